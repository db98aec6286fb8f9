"""SymPy backend: identities `lhs = rhs` (and `lhs != rhs`) decided in a killable worker process.

The check itself is `proofs.sympy_form.check_claim_text`; here it runs in the shared sandbox
with a time and memory budget, so a runaway `simplify` costs at most the budget (plus the
few milliseconds it takes to kill the worker) and comes back `unknown`, never a hang.
"""

from __future__ import annotations

import time

from proofs.claims import Formula, free_variables, to_text
from proofs.sympy_form import run_check
from proofs.verdict import Status, Verdict, unknown

#: Below this many seconds there is no point sending work to a worker.
MIN_BUDGET_S = 0.01


def decide_with_sympy(formula: Formula, *, budget_s: float, memory_mb: int = 1024) -> Verdict:
    """Decide an equation by SymPy within `budget_s` seconds and `memory_mb` MB of worker memory.

    `proved` only when lhs - rhs reduces to exactly 0 and every partial operation is defined;
    `refuted` when the claim is exactly undefined or lhs - rhs is exactly never 0 (then every
    point is a counterexample, so all variables at 0 are given as one); otherwise `unknown`.
    """
    start = time.perf_counter()
    claim = to_text(formula)

    def finish(verdict: Verdict) -> Verdict:
        return verdict.timed((time.perf_counter() - start) * 1000)

    if budget_s < MIN_BUDGET_S:
        return finish(unknown(claim, "sympy", f"sympy: budget of {budget_s:g} s exhausted"))
    outcome, why = run_check(claim, budget_s=budget_s, memory_mb=memory_mb)
    if outcome is None:
        return finish(unknown(claim, "sympy", why))
    message = f"sympy: {outcome['message']}"
    if outcome["status"] == "unknown":
        return finish(unknown(claim, "sympy", message))
    certificate = {
        "kind": "sympy",
        "claim": claim,
        "method": outcome["method"],
        "difference": outcome["difference"],
        "holds": outcome["holds"],
    }
    if outcome["status"] == "proved":
        return finish(
            Verdict(
                claim=claim, status=Status.PROVED, backend="sympy", certificate=certificate, message=message
            )
        )
    counterexample = {
        "assignment": {name: "0" for name in sorted(free_variables(formula))},
        "reason": outcome["message"],
    }
    return finish(
        Verdict(
            claim=claim,
            status=Status.REFUTED,
            backend="sympy",
            certificate=certificate,
            counterexample=counterexample,
            message=message,
        )
    )
