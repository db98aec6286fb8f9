"""The `reason` command line: the typer app and a module per command group.

`app` is re-exported here (imported on first use) so the `reason` entry point stays
`reasoning.cli:app`. Private modules: `_main` (the app: verify, equivalent, check), `_run`
(`reason run`), `_solve` (`reason solve`, `reason domains`, `reason eval`), `_solve_math`
(`reason solve math`), `_serve` (`reason serve`), `_serve_model` (`reason serve-model`), `_mcp`
(`reason mcp`), `_time_limit` (a wall-clock limit for a whole command).
"""

from reasoning._lazy import lazy_exports

_EXPORTS = {
    "app": "reasoning.cli._main",
    "main": "reasoning.cli._main",
}


__getattr__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(_EXPORTS)
