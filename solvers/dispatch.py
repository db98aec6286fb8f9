"""Pick the cheapest sound backend for a claim and run it within the budget.

Order, cheapest first: exact rational evaluation (closed claims), polynomial normal forms
(identities; counterexamples by exact evaluation on an integer grid), interval arithmetic
(closed claims with pi, e, logs, trig), Z3 (anything in real/integer arithmetic, quantifiers),
interval counterexample search (transcendental claims with variables), then SymPy in a killable
worker process. The first backend that decides wins; if none can, the verdict is `unknown`.
"""

from __future__ import annotations

import itertools
import time
from fractions import Fraction

from proofs import interval, polynomial
from proofs.claims import (
    TRANSCENDENTAL,
    Compare,
    Const,
    Formula,
    Quantified,
    free_variables,
    to_text,
    uses,
    walk,
)
from proofs.exact import (
    DEFAULT_LIMITS,
    Limits,
    NotExact,
    TooLarge,
    Trace,
    Undefined,
    fraction_text,
    holds_at,
    parse_fraction,
    sort_violation,
    truth,
)
from proofs.smtlib import split_prefix
from proofs.verdict import Status, Verdict, unknown
from solvers.z3_backend import decide_with_z3

#: Most grid points tried when looking for a counterexample to a polynomial identity.
MAX_GRID_POINTS = 4_096
#: Sample values for counterexample search with transcendental functions, per variable sort:
#: an `Int` variable only ever takes integer values (n = 1/2 refutes nothing about integers).
SAMPLE_VALUES = {
    "Real": tuple(Fraction(v) for v in ("0", "1", "-1", "2", "1/2", "-2", "3", "1/3")),
    "Int": tuple(Fraction(v) for v in ("0", "1", "-1", "2", "-2", "3", "-3", "5")),
}


def _has_quantifier(formula: Formula) -> bool:
    return any(isinstance(node, Quantified) for node in walk(formula))


def _exact(formula: Formula, claim: str, limits: Limits) -> Verdict | None:
    trace = Trace()
    try:
        holds = truth(formula, None, limits, trace)
    except NotExact:
        return None
    except TooLarge as exc:
        return unknown(claim, "exact", f"too large to evaluate exactly: {exc}")
    except Undefined as exc:
        return Verdict(
            claim=claim,
            status=Status.REFUTED,
            backend="exact",
            certificate={"kind": "exact", "claim": claim, "holds": False, "values": trace.steps},
            counterexample={"assignment": {}, "values": trace.steps},
            message=f"undefined: {exc}",
        )
    certificate = {"kind": "exact", "claim": claim, "holds": holds, "values": trace.steps}
    if holds:
        return Verdict(claim=claim, status=Status.PROVED, backend="exact", certificate=certificate)
    return Verdict(
        claim=claim,
        status=Status.REFUTED,
        backend="exact",
        certificate=certificate,
        counterexample={"assignment": {}, "values": trace.steps},
        message="the two sides evaluate to different exact values",
    )


def _grid(names: list[str], poly: polynomial.Polynomial):
    """Integer points 0, 1, -1, 2, ... with degree+1 values per variable: a non-zero
    polynomial is non-zero somewhere on such a grid (combinatorial Nullstellensatz)."""
    axes = []
    for name in names:
        count = polynomial.degree_in(poly, name) + 1
        values = [0] + [s * k for k in range(1, count) for s in (1, -1)]
        axes.append([Fraction(v) for v in values[:count]])
    for point in itertools.islice(itertools.product(*axes), MAX_GRID_POINTS):
        yield dict(zip(names, point))


def _polynomial(formula: Formula, claim: str, limits: Limits) -> Verdict | None:
    mode, variables, body = split_prefix(formula)
    if mode != "validity" or not isinstance(body, Compare) or set(body.ops) != {"="}:
        return None
    try:
        diffs = [polynomial.difference(a, b, limits) for a, b in zip(body.terms, body.terms[1:])]
    except polynomial.NotPolynomial:
        return None
    if not any(diffs):
        return Verdict(
            claim=claim,
            status=Status.PROVED,
            backend="polynomial",
            certificate={"kind": "polynomial", "claim": claim, "difference": "0"},
        )
    diff = next(d for d in diffs if d)
    names = sorted(polynomial.indeterminates(diff))
    if any(n.startswith("%") for n in names):
        return None  # pi or e: a non-zero difference is no counterexample
    names = sorted(set(names) | set(variables))
    for env in _grid(names, diff):
        if polynomial.evaluate_polynomial(diff, env) == 0:
            continue
        if holds_at(body, env, limits) is not False:
            continue
        assignment = {n: fraction_text(v) for n, v in env.items()}
        return Verdict(
            claim=claim,
            status=Status.REFUTED,
            backend="polynomial",
            certificate={"kind": "counterexample", "claim": claim, "assignment": assignment},
            counterexample={"assignment": assignment},
            message=f"left - right = {polynomial.to_text(diff)}, not identically zero",
        )
    return None


def _interval_verdict(formula: Formula, claim: str, env: dict[str, Fraction]) -> Verdict | None:
    mode, _, body = split_prefix(formula)
    if mode != "validity":
        return None
    holds, boxes = interval.decide_formula(body, env)
    if holds is None or (holds and env):
        return None  # holding at one point proves nothing about the others
    assignment = {n: fraction_text(v) for n, v in env.items()}
    certificate = {
        "kind": "interval",
        "claim": claim,
        "holds": holds,
        "digits": interval.DEFAULT_DIGITS,
        "assignment": assignment,
        "intervals": boxes,
    }
    if holds:
        return Verdict(claim=claim, status=Status.PROVED, backend="interval", certificate=certificate)
    return Verdict(
        claim=claim,
        status=Status.REFUTED,
        backend="interval",
        certificate=certificate,
        counterexample={"assignment": assignment, "intervals": boxes},
        message="interval enclosures of the two sides are disjoint",
    )


def _interval_counterexample(formula: Formula, claim: str) -> Verdict | None:
    _, variables, _ = split_prefix(formula)
    names = sorted(variables)
    if not names or len(names) > 3 or any(variables[n] not in SAMPLE_VALUES for n in names):
        return None
    for point in itertools.product(*(SAMPLE_VALUES[variables[n]] for n in names)):
        verdict = _interval_verdict(formula, claim, dict(zip(names, point)))
        if verdict is not None:
            return verdict
    return None


def decide(formula: Formula, *, budget_s: float = 2.0, limits: Limits = DEFAULT_LIMITS) -> Verdict:
    """Check one parsed claim with the cheapest sound backend; never raises on claim content."""
    start = time.perf_counter()
    claim = to_text(formula)

    def finish(verdict: Verdict) -> Verdict:
        if (why := _misfit_assignment(formula, verdict)) is not None:  # the last line of defence
            verdict = unknown(claim, verdict.backend, f"discarded a {verdict.status.value} verdict: {why}")
        return verdict.timed((time.perf_counter() - start) * 1000)

    def remaining() -> float:
        return budget_s - (time.perf_counter() - start)

    closed = not free_variables(formula) and not _has_quantifier(formula)
    if closed and (verdict := _exact(formula, claim, limits)) is not None:
        return finish(verdict)
    if (verdict := _polynomial(formula, claim, limits)) is not None:
        return finish(verdict)
    transcendental = uses(formula, functions=TRANSCENDENTAL, constants=True)
    if closed and (verdict := _interval_verdict(formula, claim, {})) is not None:
        return finish(verdict)
    reasons = []
    z3_verdict = decide_with_z3(formula, budget_s=max(0.05, remaining()))
    if z3_verdict.status is not Status.UNKNOWN:
        return finish(z3_verdict)
    reasons.append(z3_verdict.message)
    if transcendental and not closed and (verdict := _interval_counterexample(formula, claim)) is not None:
        return finish(verdict)
    if remaining() > 0.05 and isinstance(formula, Compare) and not _uses_unsupported_constants(formula):
        from solvers.sympy_backend import decide_with_sympy

        sympy_verdict = decide_with_sympy(formula, budget_s=remaining())
        if sympy_verdict.status is not Status.UNKNOWN:
            return finish(sympy_verdict)
        reasons.append(sympy_verdict.message)
    return finish(unknown(claim, "dispatch", "; ".join(r for r in reasons if r) or "no backend decided it"))


#: Certificate kinds that stand or fall with one exact assignment of the claim's variables.
_POINT_KINDS = ("counterexample", "witness", "interval")


def _misfit_assignment(formula: Formula, verdict: Verdict) -> str | None:
    """Why a verdict's point certificate does not assign every variable a value of its sort."""
    cert = verdict.certificate
    if not isinstance(cert, dict) or cert.get("kind") not in _POINT_KINDS:
        return None
    _, variables, _ = split_prefix(formula)
    try:
        env = {str(k): parse_fraction(str(v)) for k, v in (cert.get("assignment") or {}).items()}
    except (ValueError, ZeroDivisionError) as exc:
        return f"the assignment is not exact ({exc})"
    return sort_violation(env, variables)


def _uses_unsupported_constants(formula: Formula) -> bool:
    return any(isinstance(node, Const) and node.name not in ("pi", "e") for node in walk(formula))
