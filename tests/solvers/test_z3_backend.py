"""solvers.z3_backend: verdicts and their models do not depend on the process's Z3 history."""

from __future__ import annotations

from proofs.parsing import parse_claim
from proofs.verdict import Status
from solvers.z3_backend import decide_with_z3


def test_a_counterexample_is_the_same_whatever_z3_solved_before(z3_perturbed):
    # `x + y < 3` fails at (0, 3) and at (3, 0) alike; which one a reused context's model picks
    # followed the AST ids earlier checks left, so `reason verify` printed either.
    seen = set()
    for label in range(8):
        z3_perturbed.before(f"history {label}")
        for claim in ("x + y < 3", "x*y*z != 6 or x > y"):
            verdict = decide_with_z3(parse_claim(claim), budget_s=2.0)
            assert verdict.status is Status.REFUTED, verdict
            seen.add((claim, tuple(sorted(verdict.counterexample["assignment"].items()))))
    assert len(seen) == 2, seen
