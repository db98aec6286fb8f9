"""Formulas to SMT-LIB and back: the SMT-LIB term of a formula, a QF_UF script over Bool
constants, and one Z3 run of a script with Z3's own timeout (no signals) in a context from
`solvers.z3_context` (a borrowed idle one, or a brand-new one for a re-check).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import z3

from reasoning.domains.logic._formulas import Node, PropAnd, PropConst, PropImp, PropNot, PropOr, PropVar
from solvers.z3_context import borrowed_context, fresh_context


def smt(node: Node) -> str:
    """The SMT-LIB 2 term of `node` (names quoted as `|name|`)."""
    if isinstance(node, PropVar):
        return f"|{node.name}|"
    if isinstance(node, PropConst):
        return "true" if node.value else "false"
    if isinstance(node, PropNot):
        return f"(not {smt(node.arg)})"
    if isinstance(node, (PropAnd, PropOr)):
        return f"({'and' if isinstance(node, PropAnd) else 'or'} {' '.join(smt(a) for a in node.args)})"
    return f"({'=>' if isinstance(node, PropImp) else '='} {smt(node.left)} {smt(node.right)})"


def smt_script(names: Iterable[str], asserts: Iterable[str]) -> str:
    """A QF_UF script declaring `names` (sorted) as Bool constants and asserting `asserts`."""
    lines = ["(set-logic QF_UF)"]
    lines += [f"(declare-const |{name}| Bool)" for name in sorted(set(names))]
    lines += [f"(assert {term})" for term in asserts]
    lines.append("(check-sat)")
    return "\n".join(lines) + "\n"


def solve_smt(
    script: str, names: Iterable[str], budget_s: float, *, fresh: bool = False
) -> tuple[str, dict[str, bool] | None, str]:
    """('sat' | 'unsat' | 'unknown', a model over `names` when sat, a message), with Z3's own
    timeout (no signals). A new solver each call, in a borrowed idle context, or with `fresh` in a
    brand-new context (what `recheck` uses: nothing is shared with the producer)."""
    # A borrowed idle context: creating one costs milliseconds (over 10 ms in a new thread, and
    # the engine runs checks in fresh threads).
    if fresh:
        return _run(fresh_context(), script, names, budget_s)
    with borrowed_context() as ctx:
        return _run(ctx, script, names, budget_s)


def _run(
    ctx: z3.Context, script: str, names: Iterable[str], budget_s: float
) -> tuple[str, dict[str, bool] | None, str]:
    # Every Z3 object made here is released when this function returns, before the context
    # goes back to the idle list for another thread.
    deadline = time.monotonic() + budget_s
    solver = z3.Solver(ctx=ctx)
    solver.set("timeout", max(1, int(budget_s * 1000)))
    try:
        solver.from_string(script)
        result = solver.check()
        if result == z3.sat:
            return "sat", _least_model(solver, sorted(set(names)), ctx, deadline), ""
    except z3.Z3Exception as exc:
        return "unknown", None, f"z3 failed: {exc}"
    if result == z3.unsat:
        return "unsat", None, ""
    return "unknown", None, f"z3 gave no answer ({solver.reason_unknown()})"


def _least_model(solver: z3.Solver, names: list[str], ctx: z3.Context, deadline: float) -> dict[str, bool]:
    """The least model over `names` (sorted; false before true), of a solver that answered sat.

    Which model Z3 picks follows the AST ids and state a reused context has from earlier checks;
    a countermodel is shown and kept as evidence, so it must not change with the process's
    history. Pinning one name at a time (false if that stays satisfiable) gives the same model
    whatever the history: each step's answer is a fact about the script. A step Z3 leaves
    unknown, or no time left for one (`deadline`, time.monotonic()), keeps the last model found:
    a model all the same."""
    model = solver.model()
    pinned: list[z3.BoolRef] = []
    for name in names:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        atom = z3.Bool(name, ctx)
        if not z3.is_true(model.eval(atom, model_completion=True)):
            pinned.append(z3.Not(atom))  # the model found already has it false: no check needed
            continue
        solver.set("timeout", max(1, int(remaining * 1000)))
        answer = solver.check(*pinned, z3.Not(atom))
        if answer == z3.sat:
            model = solver.model()
            pinned.append(z3.Not(atom))
        elif answer == z3.unsat:
            pinned.append(atom)
        else:
            break
    found = {d.name(): z3.is_true(model[d]) for d in model.decls() if d.arity() == 0}
    return {name: found.get(name, False) for name in names}
