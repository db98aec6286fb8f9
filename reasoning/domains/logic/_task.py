"""The parsed logic task, the query a claim or an answer states, and the limits the logic and
knights_knaves domains share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reasoning.domains.logic._formulas import Node, variables

#: Most premises (and people statements, for knights_knaves) a task may have.
MAX_PREMISES = 1_000
#: Longest claim or answer line read.
MAX_CLAIM_CHARS = 100_000
#: Seconds `recheck` gives Z3 for one re-solve.
RECHECK_BUDGET_S = 30.0
#: Most `decide:` forks the conclude planner issues (and, twice that, variables the solver
#: worker decides one by one when there are too many for prime implicates).
MAX_DECIDE_FORKS = 32

QUESTIONS = ("entails", "valid", "conclude")
NOTHING = "no non-trivial conclusion"


@dataclass(frozen=True)
class LogicTask:
    """The parsed task: `names` are every variable the task mentions or declares, sorted."""

    premises: tuple[Node, ...]
    conclusion: Node | None
    question: str
    names: tuple[str, ...]

    @property
    def premise_names(self) -> list[str]:
        return sorted(set().union(*map(variables, self.premises))) if self.premises else []


@dataclass(frozen=True)
class LogicQuery:
    """What a claim or an answer asserts, as (kind, args, negated):

    - ("entails", (assumptions, formula)): premises ∧ assumptions ⊨ formula
    - ("model", (assignment,)): premises ∧ assignment is satisfiable
    - ("conclusion", (formula,)): premises ⊨ formula and formula is not valid
    - ("nothing", ()): every premise is valid
    """

    kind: str
    args: tuple[Any, ...] = ()
    negated: bool = False
