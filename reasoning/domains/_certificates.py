"""Re-check a `domain` certificate: the task it names is reloaded and its domain re-checks it.

`proofs.check.EXTERNAL_KINDS` names `recheck_domain_certificate` for the kind "domain", so
`proofs.check.check_certificate` knows the kind without `reasoning` being imported first.
"""

from __future__ import annotations

from typing import Any

from proofs.check import CheckReport
from reasoning.domains import get, load


def recheck_domain_certificate(cert: dict[str, Any], *, use_cvc5: bool = True) -> CheckReport:
    """Re-check a domain certificate from its JSON alone (`use_cvc5` is unused: domains re-check
    exactly)."""
    task = cert.get("task")
    if not isinstance(task, dict) or task.get("domain") != cert.get("domain"):
        return CheckReport(False, "a domain certificate names its task and the task's domain")
    problem = load(task)
    ok, message = get(problem.domain).recheck(problem, cert)
    return CheckReport(bool(ok), message, {f"domain:{problem.domain}": "ok" if ok else "failed"})
