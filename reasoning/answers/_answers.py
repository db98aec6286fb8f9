"""The typed answers: what `parse_answer` (`reasoning.answers._latex`) returns and `equivalent` compares.

One frozen dataclass per kind of answer (`Scalar`, `TupleAnswer`, `FiniteSet`, `Matrix`, `Interval`,
`IntervalUnion`, `Equation`, `Assignment`, `System`, `TextAnswer`); `Answer` is their union. The
conventions that decide which kind a written answer becomes are documented in `reasoning.answers._latex`.
"""

from __future__ import annotations

from dataclasses import dataclass

from proofs import interval
from proofs.claims import Compare, Expr, free_variables
from proofs.exact import NotExact, TooLarge, Undefined, evaluate


@dataclass(frozen=True, slots=True)
class Scalar:
    """One value; `mark` is '' or '%' (percent) or '°' (degrees); `unit` is stripped text."""

    expr: Expr
    mark: str = ""
    unit: str = ""


@dataclass(frozen=True, slots=True)
class TupleAnswer:
    """An ordered tuple `(1, 2)` or list `[1, 2, 3]`."""

    items: tuple[Scalar, ...]
    bracket: str = "("


@dataclass(frozen=True, slots=True)
class FiniteSet:
    """`\\{1, 2\\}` (braced) or a bare list `1, 2`; order and repetition do not matter.

    The elements are values, or tuples (`\\{(1, 2), (3, 4)\\}`, `(2, 2), (1, 3)`)."""

    items: tuple[Scalar, ...] | tuple[TupleAnswer, ...]
    braced: bool = True


@dataclass(frozen=True, slots=True)
class Matrix:
    """`\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}` (also bmatrix): rows of values."""

    rows: tuple[tuple[Scalar, ...], ...]


@dataclass(frozen=True, slots=True)
class Interval:
    """A real interval; an end of None is infinite (and then never closed)."""

    lo: Expr | None
    hi: Expr | None
    lo_closed: bool
    hi_closed: bool


@dataclass(frozen=True, slots=True)
class IntervalUnion:
    """A union of two or more intervals (a point `\\{a\\}` is the interval [a, a])."""

    parts: tuple[Interval, ...]


@dataclass(frozen=True, slots=True)
class Equation:
    """`lhs = rhs` where the left side is not a lone variable defined by the right."""

    lhs: Expr
    rhs: Expr


@dataclass(frozen=True, slots=True)
class Assignment:
    """`x = 5`, `n = 2, 3, 4`, `x \\in [0, 1)`, `y = 2x + 1`: a variable and its value(s)."""

    name: str
    value: Scalar | FiniteSet | TupleAnswer | Interval | IntervalUnion


@dataclass(frozen=True, slots=True)
class System:
    """Several assignments to distinct variables: `x = 1, y = 2`."""

    assignments: tuple[Assignment, ...]


@dataclass(frozen=True, slots=True)
class TextAnswer:
    """An answer in words (`\\text{no solution}`), lower-cased with spaces collapsed."""

    text: str


Answer = (
    Scalar
    | TupleAnswer
    | FiniteSet
    | Matrix
    | Interval
    | IntervalUnion
    | Equation
    | Assignment
    | System
    | TextAnswer
)


def answer_expressions(answer: Answer) -> list[Expr]:
    """Every expression inside an answer, in order (for depth checks and tests)."""
    match answer:
        case Scalar(expr):
            return [expr]
        case TupleAnswer(items) | FiniteSet(items):
            return [e for item in items for e in answer_expressions(item)]
        case Matrix(rows):
            return [s.expr for row in rows for s in row]
        case Interval(lo, hi):
            return [e for e in (lo, hi) if e is not None]
        case IntervalUnion(parts):
            return [e for p in parts for e in answer_expressions(p)]
        case Equation(lhs, rhs):
            return [lhs, rhs]
        case Assignment(_, value):
            return answer_expressions(value)
        case System(assignments):
            return [e for a in assignments for e in answer_expressions(a)]
    return []


def ends_in_order(lo: Expr, hi: Expr, closed: bool) -> bool | None:
    """Whether `lo < hi` (`lo <= hi` when both ends are closed): a set of reals with these ends
    is non-empty. None when an end has variables or the order cannot be decided exactly or by
    interval arithmetic. Reversed ends are not an interval: `(3, 1)` is a tuple, not the empty set.
    """
    if free_variables(lo) or free_variables(hi):
        return None
    try:
        a, b = evaluate(lo), evaluate(hi)
        return a <= b if closed else a < b
    except (TooLarge, Undefined):
        return None
    except NotExact:
        pass
    try:
        return interval.decide_formula(Compare(("<=" if closed else "<",), (lo, hi)), None, 30)[0]
    except Exception:  # an enclosure that cannot be computed decides nothing
        return None
