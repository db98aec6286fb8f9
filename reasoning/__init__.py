"""A neuro-symbolic verified reasoning engine.

The public surface is small: `verify`, `verify_many`, `equivalent`, `check_certificate`, the
`Verdict`/`Status` types and the errors; `solve` (a task dict in, verified answers out) and
the fork/join engine (`ForkJoinEngine`, `EngineConfig`, `Task`, `Goal`, `check_bundle`).

The public/private line is drawn by name: public are this package, `api`, `errors`, `rewards`,
`strategies` and each subpackage's `__init__` (`reasoning.answers`, `.engine`, `.llm`,
`.service`, `.cli`, `.domains`), which re-exports that subsystem's public names. Every module
whose name starts with `_` is private: importable, but it may change without notice.
"""

from reasoning._lazy import lazy_exports

# Every name is imported on first use: `import reasoning.llm` (or any other subpackage) must
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
    "equivalent": "reasoning.answers._equivalence",
    "EquivalenceResult": "reasoning.answers._equivalence",
}

_ENGINE = {
    "ForkJoinEngine": "reasoning.engine._engine",
    "EngineConfig": "reasoning.engine._engine",
    "RunResult": "reasoning.engine._engine",
    "Task": "reasoning.engine._task",
    "Goal": "reasoning.engine._goals",
    "check_bundle": "reasoning.engine._bundle",
    "solve": "reasoning.engine._solve",
    "SolveResult": "reasoning.engine._solve",
    "TaskError": "reasoning.domains",
}


__getattr__ = lazy_exports(__name__, _LAZY | _ENGINE)


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
