"""A neuro-symbolic verified reasoning engine.

The public surface is small: `verify`, `verify_many`, `equivalent`, `check_certificate`, the
`Verdict`/`Status` types and the errors; `solve` (a task dict in, verified answers out) and
the fork/join engine (`ForkJoinEngine`, `EngineConfig`, `Task`, `Goal`, `check_bundle`). Everything else is importable but internal.
"""

import importlib

# Every name is imported on first use: `import reasoning.llm.base` (or any other submodule) must
# not load Z3, Lark and mpmath. Certificate kinds defined here ("equivalence", "consistency",
# "domain") are registered in `proofs.check.EXTERNAL_KINDS`, not by importing this package.
_LAZY = {
    "CheckReport": "proofs.check",
    "check_certificate": "proofs.check",
    "register_checker": "proofs.check",
    "Certificate": "proofs.verdict",
    "Status": "proofs.verdict",
    "Verdict": "proofs.verdict",
    "InvalidArgument": "reasoning.errors",
    "ReasoningError": "reasoning.errors",
    "verify": "reasoning.api",
    "verify_many": "reasoning.api",
    "equivalent": "reasoning.answers.equivalence",
    "EquivalenceResult": "reasoning.answers.equivalence",
}

_ENGINE = {
    "ForkJoinEngine": "reasoning.engine.engine",
    "EngineConfig": "reasoning.engine.engine",
    "RunResult": "reasoning.engine.engine",
    "Task": "reasoning.engine.task",
    "Goal": "reasoning.engine.goals",
    "check_bundle": "reasoning.engine.bundle",
    "solve": "reasoning.engine.solving",
    "SolveResult": "reasoning.engine.solving",
    "TaskError": "reasoning.domains",
}


def __getattr__(name: str):
    module = _LAZY.get(name) or _ENGINE.get(name)
    if module is None:
        raise AttributeError(f"module 'reasoning' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "Certificate",
    "CheckReport",
    "EngineConfig",
    "EquivalenceResult",
    "ForkJoinEngine",
    "Goal",
    "InvalidArgument",
    "ReasoningError",
    "RunResult",
    "SolveResult",
    "Status",
    "Task",
    "TaskError",
    "Verdict",
    "check_bundle",
    "check_certificate",
    "equivalent",
    "solve",
    "verify",
    "verify_many",
]
