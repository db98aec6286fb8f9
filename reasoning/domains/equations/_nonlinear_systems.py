"""Non-linear polynomial systems through Z3: rational solutions found, completeness proved.

`nonlinear_solutions` asks Z3 for a solution, blocks it and asks again until `unsat` (all found)
or a limit, and re-proves every solution by exact substitution. `nonlinear_judge` proves that the
listed solutions are all there are by an `unsat` of "the system and none of the listed
solutions"; the SMT-LIB script of that query goes into the certificate, and `recheck_nonlinear`
re-solves it in a fresh Z3 context. Irrational solutions, "infinitely many" and rounded values
are out of reach here and come back `unknown`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import z3

from proofs.verdict import Status
from reasoning.domains.common._expressions import Node, evaluate
from reasoning.domains.equations._polynomials import NotPolynomialEquation
from reasoning.domains.equations._real_roots import BudgetExceeded
from reasoning.domains.equations._task import (
    RECHECK_BUDGET_S,
    Parsed,
    SolutionLine,
    SystemVerdict,
    identity,
    read_lines,
    satisfies,
    system_phrase,
)
from solvers.z3_context import fresh_context

#: Most solutions the non-linear system solver enumerates.
MAX_SOLUTIONS = 16


def _z3_term(node: Node, symbols: Mapping[str, Any]) -> Any:
    kind = node[0]
    if kind == "num":
        return z3.RealVal(str(node[1]), ctx=next(iter(symbols.values())).ctx)
    if kind == "var":
        return symbols[node[1]]
    if kind == "neg":
        return -_z3_term(node[1], symbols)
    if kind == "sum":
        total = _z3_term(node[1][0][1], symbols)
        for sign, child in node[1][1:]:
            term = _z3_term(child, symbols)
            total = total + term if sign > 0 else total - term
        return total
    if kind == "prod":
        total = None
        for op, child in node[1]:
            term = _z3_term(child, symbols)
            total = term if total is None else (total * term if op == "*" else total / term)
        return total
    if kind == "pow":
        exponent = evaluate(node[2])
        base = _z3_term(node[1], symbols)
        if exponent.denominator != 1 or exponent < 0:
            raise NotPolynomialEquation("a non-integer exponent")
        result = z3.RealVal(1, ctx=base.ctx)
        for _ in range(int(exponent)):
            result = result * base
        return result
    raise NotPolynomialEquation(kind)


def _z3_query(data: Parsed, excluded: Sequence[Mapping[str, Fraction]]) -> tuple[Any, str]:
    """A fresh solver with the system and `x != s` for each excluded solution s; its script."""
    ctx = fresh_context()
    symbols = {n: z3.Real(n, ctx) for n in data.names}
    solver = z3.Solver(ctx=ctx)
    for left, right in data.trees:
        solver.add(_z3_term(left, symbols) == _z3_term(right, symbols))
    for solution in excluded:
        solver.add(z3.Or([symbols[n] != z3.RealVal(str(v), ctx) for n, v in solution.items()], ctx))
    return solver, solver.to_smt2()


def nonlinear_solutions(data: Parsed, deadline: float) -> tuple[list[dict[str, Fraction]] | None, str]:
    """All real solutions when they are finitely many and rational (Z3 enumerates, blocking each);
    (None, why) otherwise."""
    found: list[dict[str, Fraction]] = []
    while len(found) <= MAX_SOLUTIONS:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise BudgetExceeded("out of time")
        solver, _ = _z3_query(data, found)
        solver.set("timeout", max(1, int(remaining * 1000)))
        answer = solver.check()
        if answer == z3.unsat:
            return found, "complete"
        if answer != z3.sat:
            return None, f"Z3 answers {answer}"
        model = solver.model()
        solution = {}
        for name in data.names:
            value = model.eval(z3.Real(name, solver.ctx), model_completion=True)
            if not z3.is_rational_value(value):
                return None, f"a solution has an irrational value of {name}"
            solution[name] = Fraction(value.as_fraction())
        if not satisfies(data, solution):
            return None, "Z3's model does not satisfy the equations exactly"
        found.append(solution)
    return None, f"more than {MAX_SOLUTIONS} solutions"


def nonlinear_judge(
    data: Parsed, phrase: str | None, lines: list[SolutionLine], deadline: float, *, every: bool
) -> SystemVerdict:
    if phrase == "every":
        ok = identity(data)
        why = (
            "every value solves every equation"
            if ok
            else "not every value is a solution (the system is not an identity)"
        )
        return SystemVerdict(Status.PROVED if ok else Status.REFUTED, why, {"kind": "identity"})
    if phrase == "all":
        return SystemVerdict(
            Status.UNKNOWN, "infinitely many solutions of a non-linear system are not decided"
        )
    listed = []
    for line in lines:
        if any(places is not None for _, _, places in line.values):
            return SystemVerdict(Status.UNKNOWN, "rounded solutions of a non-linear system are not decided")
        env = {n: v for n, v, _ in line.values}
        if not satisfies(data, env):
            return SystemVerdict(
                Status.REFUTED,
                "a listed solution does not satisfy the equations (substitution)",
                {"kind": "substitution"},
            )
        listed.append(env)
    if not every:
        return SystemVerdict(
            Status.PROVED,
            "each listed solution satisfies the equations (substitution)",
            {"kind": "substitution"},
        )
    if len({tuple(sorted(s.items())) for s in listed}) != len(listed):
        return SystemVerdict(Status.REFUTED, "a solution is listed twice", {"kind": "substitution"})
    solver, script = _z3_query(data, listed)
    solver.set("timeout", max(1, int((deadline - time.monotonic()) * 1000)))
    answer = solver.check()
    evidence = {"kind": "smt", "script": script, "expect": "unsat"}
    if answer == z3.unsat:
        return SystemVerdict(Status.PROVED, "no solution beyond those listed (Z3: unsat)", evidence)
    if answer == z3.sat:
        return SystemVerdict(
            Status.REFUTED,
            "the system has a solution that is not listed (Z3: sat)",
            {"kind": "smt", "script": script, "expect": "sat"},
        )
    return SystemVerdict(Status.UNKNOWN, f"Z3 answers {answer}")


def recheck_nonlinear(fresh: Parsed, text: str, role: str, evidence: Mapping[str, Any]) -> bool | str:
    phrase = system_phrase(text.strip())
    if phrase == "every":
        return identity(fresh)
    if phrase == "all":
        return "not decided for non-linear systems"
    lines = read_lines(text, fresh.names, None) if phrase is None else []
    if isinstance(lines, str):
        return lines
    listed = [{n: v for n, v, _ in line.values} for line in lines]
    if not all(satisfies(fresh, env) for env in listed):
        return False
    if role == "claim" and phrase is None:
        return True
    if len({tuple(sorted(s.items())) for s in listed}) != len(listed):
        return False
    solver, script = _z3_query(fresh, listed)
    if evidence.get("script") not in (None, script):
        return "the certificate's SMT-LIB script is not the one the task gives"
    solver.set("timeout", int(RECHECK_BUDGET_S * 1000))
    answer = solver.check()
    if answer == z3.unsat:
        return True
    if answer == z3.sat:
        return False
    return f"a fresh Z3 answers {answer}"
