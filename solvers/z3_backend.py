"""Z3 backend: validity by `unsat` of the negation, witnesses and counterexamples from models.

Z3 solves the very SMT-LIB script that `proofs.smtlib` writes, so the certificate is exactly
what was checked. Each call gets a fresh solver in a per-thread context (Z3 contexts are not
shared across threads), and Z3's own timeout bounds it: no signals. A `sat` answer is solved
again in a fresh context, whose model (the counterexample or witness reported) does not depend on
what the process checked before.
"""

from __future__ import annotations

import time
from fractions import Fraction

import z3

from proofs.claims import Formula, to_text
from proofs.exact import fraction_text, holds_at
from proofs.smtlib import SmtQuery, Unsupported, build_query, split_prefix, symbol
from proofs.verdict import Status, Verdict, unknown
from solvers.z3_context import fresh_context, thread_context

#: Z3 may not use more than this much memory per process (MB); beyond it, the check is unknown.
MAX_MEMORY_MB = 2048
z3.set_param("memory_max_size", MAX_MEMORY_MB)


def run_script(script: str, budget_s: float, ctx: z3.Context | None = None) -> tuple[str, z3.ModelRef | None]:
    """Check an SMT-LIB script; returns ('sat'|'unsat'|'unknown', model or None)."""
    solver = z3.Solver(ctx=ctx or thread_context())
    solver.set("timeout", max(1, int(budget_s * 1000)))
    solver.from_string(script)
    result = solver.check()
    if result == z3.sat:
        return "sat", solver.model()
    if result == z3.unsat:
        return "unsat", None
    return "unknown", None


def model_value(value: z3.ExprRef) -> tuple[str, Fraction | None]:
    """A model value as text, and as an exact Fraction when it is rational."""
    if z3.is_int_value(value):
        n = value.as_long()
        return str(n), Fraction(n)
    if z3.is_rational_value(value):
        f = Fraction(value.numerator_as_long(), value.denominator_as_long())
        return fraction_text(f), f
    if z3.is_algebraic_value(value):
        return f"{value.approx(20)} (algebraic: {value.sexpr()})", None
    return value.sexpr(), None


def _assignment(query: SmtQuery, model: z3.ModelRef) -> tuple[dict[str, str], dict[str, Fraction] | None]:
    """The model restricted to the claim's variables; exact values only if all are rational."""
    texts: dict[str, str] = {}
    exact: dict[str, Fraction] | None = {}
    by_symbol = {d.name(): d for d in model.decls()}
    for name in query.variables:
        decl = by_symbol.get(symbol(name).strip("|"))
        if decl is None:  # unconstrained: any value will do, take 0
            texts[name] = "0"
            if exact is not None:
                exact[name] = Fraction(0)
            continue
        text, value = model_value(model[decl])
        texts[name] = text
        if value is None or exact is None:
            exact = None
        else:
            exact[name] = value
    return texts, exact


def decide_with_z3(formula: Formula, *, budget_s: float) -> Verdict:
    """Decide a claim with Z3 within `budget_s` seconds (returns unknown if it cannot)."""
    claim = to_text(formula)
    try:
        query = build_query(formula)
    except Unsupported as exc:
        return unknown(claim, "z3", f"outside Z3's arithmetic: {exc}")
    start = time.perf_counter()
    try:
        answer, model = run_script(query.script, budget_s)
        if answer == "sat":
            # The model is shown (a counterexample, a witness) and goes into the certificate: it
            # must not follow the AST ids and state earlier checks left in this thread's context.
            # A fresh context gives the one model this script always gets; only `sat` pays for it.
            again, fresh_model = run_script(
                query.script, max(0.05, budget_s - (time.perf_counter() - start)), fresh_context()
            )
            if again == "sat":
                model = fresh_model
    except z3.Z3Exception as exc:
        return unknown(claim, "z3", f"z3 error: {exc}")
    smt_cert = {"kind": "smt", "claim": claim, "script": query.script, "mode": query.mode}
    if answer == "unknown":
        return unknown(claim, "z3", f"z3 gave no answer within {budget_s:g} s (timeout or incomplete theory)")
    _, _, body = split_prefix(formula)
    if query.mode == "validity":
        if answer == "unsat":
            return Verdict(
                claim=claim, status=Status.PROVED, backend="z3", certificate={**smt_cert, "expect": "unsat"}
            )
        texts, exact = _assignment(query, model)
        certificate = {**smt_cert, "expect": "sat", "assignment": texts}
        if exact is not None and holds_at(body, exact) is False:
            certificate = {"kind": "counterexample", "claim": claim, "assignment": texts}
        return Verdict(
            claim=claim,
            status=Status.REFUTED,
            backend="z3",
            certificate=certificate,
            counterexample={"assignment": texts},
            message="the claim fails (or is undefined) at this assignment",
        )
    # witness mode: a closed claim `exists ...`
    if answer == "unsat":
        return Verdict(
            claim=claim,
            status=Status.REFUTED,
            backend="z3",
            certificate={**smt_cert, "expect": "unsat"},
            counterexample={"assignment": {}},
            message="no witness exists",
        )
    texts, exact = _assignment(query, model)
    certificate = {**smt_cert, "expect": "sat", "assignment": texts}
    if exact is not None and holds_at(body, exact) is True:
        certificate = {"kind": "witness", "claim": claim, "assignment": texts}
    return Verdict(
        claim=claim,
        status=Status.PROVED,
        backend="z3",
        certificate=certificate,
        details={"witness": texts},
    )
