"""The `reason` command line: the typer app and a module per command group.

`app` is re-exported here (imported on first use) so the `reason` entry point stays
`reasoning.cli:app`. Private modules: `_main` (the app: verify, equivalent, check), `_run`
(`reason run`), `_solve` (`reason solve`, `reason domains`, `reason eval`), `_solve_math`
(`reason solve math`), `_serve` (`reason serve`), `_serve_model` (`reason serve-model`), `_mcp`
(`reason mcp`), `_time_limit` (a wall-clock limit for a whole command).
"""

import importlib

_EXPORTS = {
    "app": "reasoning.cli._main",
    "main": "reasoning.cli._main",
}


def __getattr__(name: str) -> object:
    """Import a public name's module on first use, so importing this package stays light."""
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, _, attr = target.partition(":")
    value = getattr(importlib.import_module(module), attr or name)
    globals()[name] = value
    return value


__all__ = sorted(_EXPORTS)
