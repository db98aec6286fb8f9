"""What follows from the premises: their prime implicates over a few variables (truth tables as
bit masks), and the conclusion the symbolic worker states for a `conclude` task."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from reasoning.domains.logic._decide import decide
from reasoning.domains.logic._formulas import (
    Node,
    PropAnd,
    PropConst,
    PropImp,
    PropNot,
    PropOr,
    PropVar,
    conjunction,
    evaluate,
    literal,
)
from reasoning.domains.logic._task import MAX_DECIDE_FORKS, NOTHING, LogicQuery, LogicTask

#: Premise variables up to which `conclude` computes the prime implicates (3^n clauses).
PRIME_MAX_VARS = 8
#: Most prime implicates stated in a conclusion (more: the first ones, still entailed).
MAX_IMPLICATES = 16


def _clause_node(clause: Sequence[tuple[str, bool]]) -> Node:
    literals = [literal(n, v) for n, v in clause]
    if len(literals) == 1:
        return literals[0]
    negative = [n for n, v in clause if not v]
    if len(clause) == 2 and len(negative) == 1:  # ¬A ∨ B reads better as A → B
        positive = next(n for n, v in clause if v)
        return PropImp(PropVar(negative[0]), PropVar(positive))
    return PropOr(tuple(literals))


def prime_implicates(premises: Sequence[Node], names: Sequence[str]) -> list[tuple[tuple[str, bool], ...]]:
    """The prime implicates of the premises over `names` (at most PRIME_MAX_VARS), smallest first.

    Truth tables as bit masks: assignment i sets names[j] to bit j of i; a clause is implied
    when every model lies inside its mask."""
    n = len(names)
    full = (1 << (1 << n)) - 1
    models = 0
    for i in range(1 << n):
        assignment = {name: bool(i >> j & 1) for j, name in enumerate(names)}
        if all(evaluate(p, assignment) for p in premises):
            models |= 1 << i
    masks = {}
    for j, name in enumerate(names):
        positive = sum(1 << i for i in range(1 << n) if i >> j & 1)
        masks[name, True], masks[name, False] = positive, full ^ positive
    found: list[tuple[tuple[str, bool], ...]] = []
    if models == 0:
        return [()]
    for size in range(1, n + 1):
        for chosen in itertools.combinations(names, size):
            for signs in itertools.product((False, True), repeat=size):
                clause = tuple(zip(chosen, signs, strict=True))
                if any(set(p) <= set(clause) for p in found):
                    continue
                mask = 0
                for item in clause:
                    mask |= masks[item]
                if models & ~mask & full == 0:
                    found.append(clause)
    return found


def choose_conclusion(task: LogicTask, budget_s: float) -> Node | str | None:
    """What the symbolic worker concludes: a formula, NOTHING, or None when Z3 gave no answer.

    The strongest conclusion over the premises' variables, as the conjunction of its prime
    implicates (`⊥` written `(P ∧ ¬P)` when the premises are inconsistent). One exception: when
    that is a single variable P, the answer is `(P ∨ Q)` for another variable Q of the task
    (∨-introduction), because reasoning-gym's scorer counts every bare variable as trivial."""
    first = task.names[0] if task.names else None
    consistent, _, _ = decide(task, LogicQuery("model", ((),)), budget_s)
    if consistent is None:
        return None
    if not consistent:
        return PropAnd((PropVar(first), PropNot(PropVar(first)))) if first else PropConst(False)
    nothing, _, _ = decide(task, LogicQuery("nothing"), budget_s)
    if nothing is None:
        return None
    if nothing:
        return NOTHING
    names = task.premise_names
    if len(names) <= PRIME_MAX_VARS:
        clauses = prime_implicates(task.premises, names)[:MAX_IMPLICATES]
    else:
        clauses = []
        for name in names[: MAX_DECIDE_FORKS * 2]:
            for value in (True, False):
                entailed, _, _ = decide(task, LogicQuery("entails", ((), literal(name, value))), budget_s)
                if entailed:
                    clauses.append(((name, value),))
        if not clauses:
            return conjunction(task.premises)
    result = conjunction([_clause_node(c) for c in clauses])
    if isinstance(result, PropVar):
        other = next((n for n in task.names if n != result.name), None)
        if other is not None:
            return PropOr((result, PropVar(other)))
    return result
