"""What a task asks, stated formally (`Goal`), and the obligations an answer must prove for it.

A goal is one of:

- `find`: values for named unknowns (default: all of them). The answer gives `u = value` for each
  asked unknown; `goal:find:pins` proves every value of the named unknowns the answer fixes
  extends to a solution (`forall V: A -> exists W: C`, V the unknowns the answer speaks about, W
  the rest), `goal:find:exists` that the answer is satisfiable with the constraints
  (`exists U: A and C`). With `unique`, `goal:unique` proves no other solution exists
  (`forall U: C -> A`); without it the answer is *a* solution, and `goal:find:constrained`
  proves, for each asked unknown u, that the constraints constrain it (some solution stops being
  one when u alone changes): an unknown every value of which fits (`n = n`) is never answered.
- `all`: the complete solution set, one solution per answer line (each pinning every asked
  unknown), or the single line `false` for "no solution". `goal:all:member` proves each line
  is a solution (`exists U: s_i and C`), `goal:all:complete` that there are no others
  (`forall U: C -> s_1 or ... or s_k`).
- `decide`: a claim; the answer states the claim or its negation `not (claim)`, and
  `goal:decide` proves it (`forall U: C -> line` over the unknowns' sorts, when it mentions an
  unknown; then `goal:decide:consistent` proves `exists U: C` first, since under contradictory
  constraints the claim and its negation would both hold vacuously).
- `domain`: a domain problem's own goal (`reasoning.domains`); its rules check the answer.

As an antecedent (`C -> ...`) the constraints are guarded by their definedness (`total`): a
point where they are undefined (`sqrt(x)` at x = -1) is no solution, not a counterexample.

Answer lines that are not about the goal must be closed claims, proved as written (`closed`).
The functions here take the task's parts (unknowns, constraint formulas), not the `Task`, so
`reasoning.engine._task` can use them without an import cycle.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

from proofs.claims import (
    BoolConst,
    Compare,
    Connective,
    Formula,
    Member,
    Not,
    Quantified,
    Var,
    free_variables,
)
from proofs.definedness import definedness_conditions
from proofs.parsing import ParseFailure, parse_claim
from reasoning.errors import InvalidArgument

KINDS = ("find", "all", "decide", "domain")


@dataclass(frozen=True)
class Goal:
    """A task's formal question. `unknowns` (find/all) empty means every unknown of the task;
    `unique` only for find; `claim` (a claim text) only for decide."""

    kind: str
    unknowns: tuple[str, ...] = ()
    unique: bool = False
    claim: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidArgument(f"goal kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        names = self.unknowns
        if isinstance(names, str) or not all(isinstance(n, str) for n in names):
            raise InvalidArgument("goal unknowns must be a list of unknown names")
        object.__setattr__(self, "unknowns", tuple(dict.fromkeys(names)))
        if not isinstance(self.unique, bool):
            raise InvalidArgument("goal 'unique' must be true or false")
        if self.unique and self.kind != "find":
            raise InvalidArgument("'unique' applies to a find goal only")
        if self.unknowns and self.kind not in ("find", "all"):
            raise InvalidArgument(f"a {self.kind} goal names no unknowns")
        if self.kind == "decide":
            if not isinstance(self.claim, str) or not self.claim.strip():
                raise InvalidArgument("a decide goal needs the claim to decide")
            if isinstance(self.formula, ParseFailure):
                raise InvalidArgument(
                    f"decide claim {self.claim!r} does not parse: {self.formula.describe()}"
                )
        elif self.claim is not None:
            raise InvalidArgument(f"a {self.kind} goal has no claim")

    @classmethod
    def find(cls, unknowns: Iterable[str] = (), *, unique: bool = False) -> Goal:
        return cls("find", tuple(unknowns), unique=unique)

    @classmethod
    def all(cls, unknowns: Iterable[str] = ()) -> Goal:
        return cls("all", tuple(unknowns))

    @classmethod
    def decide(cls, claim: str) -> Goal:
        return cls("decide", claim=claim)

    @property
    def formula(self) -> Formula | ParseFailure | None:
        """The decide claim, parsed (None for other kinds)."""
        return parse_claim(self.claim) if self.claim is not None else None

    def asked(self, task_unknowns: Sequence[str]) -> list[str]:
        """The unknowns a find/all goal asks for, in the task's order."""
        wanted = set(self.unknowns) or set(task_unknowns)
        return [name for name in task_unknowns if name in wanted]

    def describe(self) -> str:
        """One line for people and organizers, e.g. `find x, y (unique)`."""
        if self.kind == "decide":
            return f"decide: {self.claim}"
        if self.kind == "domain":
            return "the domain's goal"
        if self.kind == "all":
            return f"all solutions{' for ' + ', '.join(self.unknowns) if self.unknowns else ''}"
        names = ", ".join(self.unknowns) or "every unknown"
        return f"find {names}{' (unique)' if self.unique else ''}"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.unknowns:
            out["unknowns"] = list(self.unknowns)
        if self.unique:
            out["unique"] = True
        if self.claim is not None:
            out["claim"] = self.claim
        return out

    @classmethod
    def from_json(cls, data: Any) -> Goal:
        """Read a goal object (`{"kind": "find", "unknowns": ["x"], "unique": true}`, ...)."""
        if isinstance(data, Goal):
            return data
        if not isinstance(data, dict):
            raise InvalidArgument('a goal is an object such as {"kind": "find", "unknowns": ["x"]}')
        extra = sorted(set(data) - {"kind", "unknowns", "unique", "claim"})
        if extra:
            raise InvalidArgument(f"unknown goal field(s): {', '.join(extra)}")
        unknowns = data.get("unknowns", [])
        if not isinstance(unknowns, list):
            raise InvalidArgument("goal 'unknowns' must be a list of names")
        return cls(
            kind=data.get("kind"),
            unknowns=tuple(unknowns),
            unique=data.get("unique", False),
            claim=data.get("claim"),
        )


# ---------------------------------------------------------------- formula helpers


def conjunction(formulas: Iterable[Formula]) -> Formula:
    items = list(formulas)
    return reduce(lambda a, b: Connective("and", a, b), items) if items else BoolConst(True)


def disjunction(formulas: Iterable[Formula]) -> Formula:
    items = list(formulas)
    return reduce(lambda a, b: Connective("or", a, b), items) if items else BoolConst(False)


def quantify(kind: str, unknowns: dict[str, str], body: Formula) -> Formula:
    """`kind u1. kind u2. ... body`, outermost first in the order of `unknowns`."""
    for name, sort in reversed(list(unknowns.items())):
        body = Quantified(kind, (name,), sort, body)
    return body


def total(formula: Formula) -> Formula:
    """`formula` with its atoms guarded by their definedness conditions (`x != 0 and 1/x = 2`):
    true exactly where `formula` is, and false (never undefined) elsewhere, as far as its
    top-level `and`s reach. As an antecedent (`forall U: C -> A`) a point where C is undefined
    is no solution of the task; unguarded it refuted right answers (`sqrt(x) = 2`: x = 4 "not
    the only solution" at x = -1)."""
    match formula:
        case Connective("and", left, right):
            return Connective("and", total(left), total(right))
        case Compare() | Member():
            terms = formula.terms if isinstance(formula, Compare) else (formula.elem, *formula.options)
            conditions = definedness_conditions(*terms, closed=True)
            return formula if not conditions else conjunction([*conditions, formula])
    return formula


def pinned(formulas: Iterable[Formula], unknowns: set[str]) -> set[str]:
    """Unknowns given a value by a top-level conjunct `u = closed expression` (either side)."""
    names: set[str] = set()
    stack = list(formulas)
    while stack:
        formula = stack.pop()
        if isinstance(formula, Connective) and formula.op == "and":
            stack += [formula.left, formula.right]
        elif isinstance(formula, Compare) and formula.ops == ("=",):
            for side, other in (formula.terms, tuple(reversed(formula.terms))):
                if isinstance(side, Var) and side.name in unknowns and not free_variables(other):
                    names.add(side.name)
    return names


def disjuncts(formula: Formula) -> list[Formula]:
    """The top-level `or` operands of `formula`, left to right."""
    if isinstance(formula, Connective) and formula.op == "or":
        return [*disjuncts(formula.left), *disjuncts(formula.right)]
    return [formula]


# ---------------------------------------------------------------- answer obligations

Obligations = list[tuple[str, Formula]]


def goal_obligations(
    goal: Goal, unknowns: dict[str, str], constraints: list[Formula], formulas: list[Formula]
) -> Obligations | str:
    """(role, formula to prove) for an answer's parsed lines, or a message saying why the
    answer cannot discharge `goal`."""
    names = set(unknowns)
    if goal.kind == "decide":
        return _decide(goal, unknowns, constraints, formulas)
    about = [f for f in formulas if free_variables(f) & names]
    out: Obligations = [("closed", f) for f in formulas if not free_variables(f) & names]
    stray = sorted(set().union(*(free_variables(f) for f in about)) - names) if about else []
    if stray:
        return f"the answer mixes the unknowns with other variables ({', '.join(stray)})"
    asked = goal.asked(list(unknowns))
    task_holds = conjunction(constraints)
    if goal.kind == "all":
        return _all(asked, unknowns, task_holds, formulas)
    missing = [name for name in asked if name not in pinned(about, names)]
    if missing:  # without a value for every asked unknown, "the answer solves the task" says nothing
        return f"the answer gives no value for {', '.join(missing)}: write `name = value` for each"
    answer = conjunction(about)
    spoken = set(asked).union(*(free_variables(f) for f in about))
    outer = {n: s for n, s in unknowns.items() if n in spoken}
    inner = {n: s for n, s in unknowns.items() if n not in spoken}
    extends = quantify("exists", inner, task_holds)
    out.append(("goal:find:pins", quantify("forall", outer, Connective("->", answer, extends))))
    out.append(("goal:find:exists", quantify("exists", unknowns, Connective("and", answer, task_holds))))
    if goal.unique:
        out.append(("goal:unique", quantify("forall", unknowns, Connective("->", total(task_holds), answer))))
    else:  # (unique already rules out an unknown every value of which fits)
        out += constrained_obligations(goal, unknowns, constraints)  # of the question, not the answer
    return out


def constrained_obligations(goal: Goal, unknowns: dict[str, str], constraints: list[Formula]) -> Obligations:
    """For a find goal without `unique`, one `goal:find:constrained` formula per asked unknown
    (the asked ones outer, the rest existential, whatever an answer names: naming a witness for
    an unasked unknown does not make the question less vacuous). A refuted one means the task
    leaves that unknown free, so `reason run` refuses it up front."""
    if goal.kind != "find" or goal.unique:
        return []
    asked = goal.asked(list(unknowns))
    outer = {n: s for n, s in unknowns.items() if n in asked}
    inner = {n: s for n, s in unknowns.items() if n not in asked}
    extends = quantify("exists", inner, conjunction(constraints))
    return [("goal:find:constrained", _constrained(name, outer, extends)) for name in asked]


def _constrained(name: str, outer: dict[str, str], extends: Formula) -> Formula:
    """`name` is constrained: some solution stops being one when `name` alone changes,
    `not (forall other, V: R(V) -> R(V with name := other))`, R = `extends` (the task's
    constraints, the unknowns the answer does not speak about existential). Without it, a
    constraint such as `n = n` (or any y for `x + y = 10` when only x is asked) let any value be
    "proved". Written as a negated `forall`, it is proved by an SMT certificate that the checker
    re-derives from the claim (an existential's witness is one of many, so not sealed)."""
    other = next(f"{name}_{k}" for k in itertools.count(1) if f"{name}_{k}" not in outer)
    moved = Quantified(
        "exists", (name,), outer[name], Connective("and", Compare(("=",), (Var(name), Var(other))), extends)
    )
    return Not(quantify("forall", {other: outer[name], **outer}, Connective("->", extends, moved)))


def _all(asked: list[str], unknowns: dict[str, str], task_holds: Formula, formulas: list[Formula]):
    if formulas == [BoolConst(False)]:
        return [("goal:all:complete", quantify("forall", unknowns, Not(total(task_holds))))]
    out: Obligations = []
    for formula in formulas:
        missing = [n for n in asked if n not in pinned([formula], set(unknowns))]
        if not free_variables(formula) or missing:
            return (
                "each line of an `all` answer is one solution giving `name = value` for "
                f"{', '.join(asked)} (or the single line `false` for none)"
            )
        out.append(("goal:all:member", quantify("exists", unknowns, Connective("and", formula, task_holds))))
    every = Connective("->", total(task_holds), disjunction(formulas))
    out.append(("goal:all:complete", quantify("forall", unknowns, every)))
    return out


def _decide(goal: Goal, unknowns: dict[str, str], constraints: list[Formula], formulas: list[Formula]):
    claim = goal.formula
    assert claim is not None and not isinstance(claim, ParseFailure)  # validated by Goal
    answers = [f for f in formulas if f in (claim, Not(claim))]
    if len(answers) != 1:
        return f"the answer must state the claim `{goal.claim}` or its negation `not ({goal.claim})` once"
    out: Obligations = []
    for formula in formulas:
        about = bool(free_variables(formula) & set(unknowns))
        if formula is answers[0] or formula == answers[0]:
            if about:  # quantified with the unknowns' sorts (an open Int claim is not read over the reals)
                if constraints:  # else `C -> claim` and `C -> not claim` both hold vacuously
                    task_holds = conjunction(constraints)
                    out.append(("goal:decide:consistent", quantify("exists", unknowns, task_holds)))
                    formula = Connective("->", total(task_holds), formula)
                formula = quantify("forall", unknowns, formula)
            out.append(("goal:decide", formula))
        elif about:
            return "besides the decided claim, an answer to a decide goal holds closed claims only"
        else:
            out.append(("closed", formula))
    return out
