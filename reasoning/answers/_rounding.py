"""A gold answer's decimals may be roundings: when a refutation must become undecided.

A gold `1.414` may stand for sqrt(2) rounded, so a prediction `\\sqrt{2}` is not refuted by it
(nor proved); a gold `1.609 km` may stand for `1 mile` (1.609344 km) rounded. The same holds
for every decimal inside a tuple, list, set, interval, matrix or assignment: `[1.414, 2]` vs
`[\\sqrt2, 2]` is undecided, while `[1.414, 3]` vs `[\\sqrt2, 2]` stays refuted (the second
components differ whatever the rounding).

`rounding_reading(...)` puts, in place of each decimal of the gold answer, the prediction's
matching component (same position; for a set, an element) when that component is proved to
round to it at the gold's written precision (|difference| <= half a unit of its last digit),
and compares again. If the gold so read is not refuted, the refutation rested on a rounding:
the caller reports undecided. Only the gold side is read this way (`\\sqrt{2}` vs `1.414` stays
refuted: an exact gold is not a rounding).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction

from proofs.claims import BinOp, Call, Compare, Expr, Neg, Num, free_variables, to_text
from proofs.verdict import Status
from reasoning.answers._answers import (
    Answer,
    Assignment,
    FiniteSet,
    Interval,
    IntervalUnion,
    Matrix,
    Scalar,
    System,
    TupleAnswer,
)
from reasoning.answers._judge import Judge, Outcome
from reasoning.answers._latex_text import extract
from reasoning.answers._units import MAYBE_VARIABLE, read_unit

#: Longest decimal literal read as a possible rounding.
MAX_DECIMAL_CHARS = 200
#: A decimal literal with a fractional part, as written (`1.414`, `.5`, `0.0`).
_DECIMAL = re.compile(r"(?<![\d.])(\d*)\.(\d+)(?![\d.])")


def gold_decimals(gold: str) -> dict[Fraction, Fraction]:
    """|value| -> half a unit of its last written digit, for every decimal literal in the gold
    text (`1.40` -> 0.005). A value written at several precisions keeps the coarsest, so a
    rounding is never ruled out by a more precise copy elsewhere."""
    found: dict[Fraction, Fraction] = {}
    for match in _DECIMAL.finditer(gold):
        if len(match.group(0)) > MAX_DECIMAL_CHARS:
            continue  # never a realistic rounding, and too long to convert cheaply
        value = Fraction(f"{match.group(1) or '0'}.{match.group(2)}")
        half = Fraction(1, 2 * 10 ** len(match.group(2)))
        found[value] = max(half, found.get(value, Fraction(0)))
    return found


def _in_unit_of(gold: Scalar, prediction: Scalar) -> Expr:
    """The prediction's value in the gold's unit (`1 mile` is 1.609344 in km), so a gold
    `1.609 km` is read as a rounding of it; the value itself when the units do not convert."""
    units = [read_unit(s.unit.removeprefix(MAYBE_VARIABLE)) if s.unit else None for s in (gold, prediction)]
    g_unit, p_unit = units
    if (
        gold.unit == prediction.unit
        or g_unit is None
        or p_unit is None
        or g_unit.dimension != p_unit.dimension
    ):
        return prediction.expr
    ratio = p_unit.factor / g_unit.factor
    return BinOp(
        "*", prediction.expr, BinOp("/", Num(Fraction(ratio.numerator)), Num(Fraction(ratio.denominator)))
    )


class _Reader:
    """Substitutes prediction components for the gold decimals they round to."""

    def __init__(self, judge: Judge, decimals: dict[Fraction, Fraction]):
        self.judge, self.decimals = judge, decimals
        self.used = 0  # decimals replaced
        self.ambiguous = False  # a set element that several prediction elements round to

    def rounds_to(self, gold: Expr, prediction: Expr) -> bool:
        match gold:
            case Num(value) | Neg(Num(value)) if value in self.decimals:
                pass
            case _:
                return False
        if free_variables(prediction):
            return False
        half = Num(self.decimals[value])
        claim = Compare(("<=",), (Call("abs", (BinOp("-", prediction, gold),)), half))
        return self.judge.decide(claim).status is Status.PROVED

    def expr(self, gold: Expr | None, prediction: Expr | None) -> Expr | None:
        if gold is not None and prediction is not None and self.rounds_to(gold, prediction):
            self.used += 1
            return prediction
        return gold

    def scalar(self, gold: Scalar, prediction: Answer) -> Scalar:
        if isinstance(prediction, Scalar):
            if gold.mark == "%" and not prediction.mark:
                # `33.3\\%` is 0.333: `\\frac13` rounds to it as 100/3 rounds to 33.3 (it was refuted)
                return replace(
                    gold, expr=self.expr(gold.expr, BinOp("*", prediction.expr, Num(Fraction(100))))
                )
            return replace(gold, expr=self.expr(gold.expr, _in_unit_of(gold, prediction)))
        return gold

    def items(self, gold: tuple, prediction: tuple) -> tuple:
        if len(gold) != len(prediction):
            return gold
        return tuple(self.answer(g, p) for g, p in zip(gold, prediction))

    def set_items(self, gold: tuple, prediction: tuple) -> tuple:
        out = []
        for g in gold:
            if not isinstance(g, Scalar):
                out.append(g)
                continue
            hits = [p for p in prediction if isinstance(p, Scalar) and self.rounds_to(g.expr, p.expr)]
            self.ambiguous |= len(hits) > 1
            if hits:
                self.used += 1
                out.append(replace(g, expr=hits[0].expr))
            else:
                out.append(g)
        return tuple(out)

    def interval(self, gold: Interval, prediction: Answer) -> Interval:
        match prediction:
            case Interval(lo, hi):
                pass
            case TupleAnswer((Scalar(lo), Scalar(hi))):
                pass
            case _:
                return gold
        return replace(gold, lo=self.expr(gold.lo, lo), hi=self.expr(gold.hi, hi))

    def answer(self, gold: Answer, prediction: Answer) -> Answer:
        """The gold answer with its decimals replaced where the prediction rounds to them."""
        if isinstance(prediction, Assignment) and not isinstance(gold, (Assignment, System)):
            prediction = prediction.value
        match gold:
            case Scalar():
                return self.scalar(gold, prediction)
            case Assignment(name, value):
                if isinstance(prediction, Assignment):
                    if prediction.name != name:
                        return gold
                    prediction = prediction.value
                return Assignment(name, self.answer(value, prediction))
            case TupleAnswer(items, bracket):
                match prediction:
                    case TupleAnswer(p) | FiniteSet(p, False):
                        return TupleAnswer(self.items(items, p), bracket)
                    case Interval() if len(items) == 2:
                        ends = self.interval(Interval(items[0].expr, items[1].expr, False, False), prediction)
                        pair = (replace(items[0], expr=ends.lo), replace(items[1], expr=ends.hi))
                        return TupleAnswer(pair, bracket)
                return gold
            case FiniteSet(items, braced):
                if isinstance(prediction, FiniteSet):
                    return FiniteSet(self.set_items(items, prediction.items), braced)
                if isinstance(prediction, TupleAnswer) and not braced:
                    return FiniteSet(self.items(items, prediction.items), braced)
                return gold
            case Interval():
                return self.interval(gold, prediction)
            case IntervalUnion(parts):
                if isinstance(prediction, IntervalUnion) and len(parts) == len(prediction.parts):
                    return IntervalUnion(tuple(self.interval(g, p) for g, p in zip(parts, prediction.parts)))
                return gold
            case Matrix(rows):
                if isinstance(prediction, Matrix) and len(rows) == len(prediction.rows):
                    return Matrix(tuple(self.items(g, p) for g, p in zip(rows, prediction.rows)))
                return gold
            case System(assignments):
                if isinstance(prediction, System):
                    by_name = {a.name: a for a in prediction.assignments}
                    return System(
                        tuple(
                            self.answer(a, by_name[a.name]) if a.name in by_name else a for a in assignments
                        )
                    )
                return gold
        return gold


def rounding_reading(
    judge: Judge,
    gold: str,
    gold_answer: Answer,
    prediction_answer: Answer,
    compare: Callable[[Judge, Answer, Answer], Outcome],
) -> str | None:
    """Why a refutation of `prediction_answer` by `gold_answer` must not stand: with the gold's
    decimals read as roundings of the prediction's matching components, the answers are no
    longer refuted. None when no decimal was replaced or the refutation holds regardless."""
    located = extract(gold)  # the gold's answer, not the prose around it
    decimals = gold_decimals(located if isinstance(located, str) else gold)
    if not decimals:
        return None
    reader = _Reader(judge, decimals)
    read = reader.answer(gold_answer, prediction_answer)
    if not reader.used:
        return None
    again = compare(judge, read, prediction_answer)
    if again.status is Status.REFUTED and not reader.ambiguous:
        return None
    shown = ", ".join(to_text(Num(v)) for v in sorted(decimals)[:3])
    return (
        f"the gold answer {(located if isinstance(located, str) else gold).strip()[:80]} may be a rounding: the prediction rounds to its "
        f"decimal(s) ({shown}) at their written precision"
    )
