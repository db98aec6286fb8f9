"""A neuro-symbolic verified reasoning engine.

The public surface is small: `verify`, `verify_many`, `equivalent`, `check_certificate`, the
`Verdict`/`Status` types and the errors; `solve` (a task dict in, verified answers out) and
the fork/join engine (`ForkJoinEngine`, `EngineConfig`, `Task`, `Goal`, `check_bundle`). Everything else is importable but internal.
"""

from proofs.check import CheckReport, check_certificate, register_checker
from proofs.verdict import Certificate, Status, Verdict
from reasoning.api import InvalidArgument, ReasoningError, verify, verify_many


def _recheck_equivalence(cert, *, use_cvc5: bool = True) -> CheckReport:
    from reasoning.answers.equivalence import recheck_certificate

    return recheck_certificate(cert, use_cvc5=use_cvc5)


register_checker("equivalence", _recheck_equivalence)


def _recheck_consistency(cert, *, use_cvc5: bool = True) -> CheckReport:
    from reasoning.engine.causal_graph import recheck_consistency_certificate

    return recheck_consistency_certificate(cert, use_cvc5=use_cvc5)


register_checker("consistency", _recheck_consistency)


def _recheck_domain(cert, *, use_cvc5: bool = True) -> CheckReport:
    from reasoning.domains import get, load

    task = cert.get("task")
    if not isinstance(task, dict) or task.get("domain") != cert.get("domain"):
        return CheckReport(False, "a domain certificate names its task and the task's domain")
    problem = load(task)
    ok, message = get(problem.domain).recheck(problem, cert)
    return CheckReport(bool(ok), message, {f"domain:{problem.domain}": "ok" if ok else "failed"})


register_checker("domain", _recheck_domain)


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
    # Imported lazily: the LaTeX grammar is only compiled when answers are compared.
    if name in ("equivalent", "EquivalenceResult"):
        from reasoning.answers import equivalence

        return getattr(equivalence, name)
    if name in _ENGINE:
        import importlib

        return getattr(importlib.import_module(_ENGINE[name]), name)
    raise AttributeError(f"module 'reasoning' has no attribute {name!r}")


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
