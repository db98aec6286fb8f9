"""SymPy backend: identities `lhs = rhs` (and `lhs != rhs`) decided in a killable worker process.

The check itself is `proofs.sympy_form.check_claim_text`; here it runs in a sandbox with a
time and memory budget, so a runaway `simplify` costs at most the budget (plus the few
milliseconds it takes to kill the worker) and comes back `unknown`, never a hang.

SymPy is never imported in the caller's process: importing it costs about a second, which
would overrun the budget of the first claim that reaches this step. The check is named to the
worker by module and function name (`_by_name`), and this module keeps its own sandbox whose
workers import `proofs.sympy_form` at start-up (a start-up that counts against the deadline).
"""

from __future__ import annotations

import importlib
import threading
import time
from typing import Any

from proofs.claims import Formula, free_variables, to_text
from proofs.sandbox import Sandbox
from proofs.verdict import Status, Verdict, unknown

#: Below this many seconds there is no point sending work to a worker.
MIN_BUDGET_S = 0.01
#: The SymPy check and its methods, named rather than imported (see the module docstring).
CHECK_MODULE, CHECK_FUNCTION = "proofs.sympy_form", "check_claim_text"
METHODS = ("evaluate", "expand", "simplify")

_lock = threading.Lock()
_sandbox: Sandbox | None = None


def _resolve(module: str, name: str) -> Any:
    """Runs in the worker while it unpickles the task: the named function itself."""
    return getattr(importlib.import_module(module), name)


class _ByName:
    """Pickles as a call of `_resolve`, so the worker gets the function and we need not import it."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        return _resolve, (self.module, self.name)


def _sympy_workers() -> Sandbox:
    global _sandbox
    with _lock:
        if _sandbox is None or _sandbox.closed:
            _sandbox = Sandbox(preload=(CHECK_MODULE,))
        return _sandbox


def run_check(claim: str, *, budget_s: float, memory_mb: int) -> tuple[dict[str, Any] | None, str]:
    """The SymPy check of `claim` in a worker: (outcome, '') or (None, why it did not finish)."""
    result = _sympy_workers().run(
        _ByName(CHECK_MODULE, CHECK_FUNCTION), claim, METHODS, budget_s=budget_s, memory_mb=memory_mb
    )
    if result.timed_out:
        return None, f"sympy: budget of {budget_s:g} s exhausted"
    if not result.ok:
        return None, f"sympy: {result.error}"
    return result.value, ""


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
