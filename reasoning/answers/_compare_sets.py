"""Finite sets, intervals and unions of intervals, compared for `equivalent`.

- finite sets (and bare lists, and `n = 2, 3, 4`): for each element g of one side the claim
  `g in {p1, ..., pm}` (the other side); all proved -> equal, one refuted -> different (that
  element equals none of the others); undecided memberships fall back to pairwise claims;
- intervals and unions: parts matched one to one by endpoint claims and closedness; failing
  that, with rational ends, membership of finitely many test points (every end, the midpoints
  between consecutive ends, one point beyond each extreme) finds a point in one set only (a
  counterexample, proved by two membership claims); otherwise the single claim
  `forall x in Real: x in gold <-> x in prediction` goes to the solvers.
"""

from __future__ import annotations

from fractions import Fraction

from proofs.claims import (
    BoolConst,
    Compare,
    Connective,
    Expr,
    Formula,
    Member,
    Not,
    Quantified,
    Var,
    expr_text,
    free_variables,
)
from proofs.exact import NotExact, TooLarge, Undefined, evaluate, fraction_text
from proofs.verdict import Status
from reasoning.answers._answers import Interval, Scalar, TupleAnswer
from reasoning.answers._judge import (
    Judge,
    Outcome,
    is_total,
    merge_outcomes,
    number_expr,
    outcome_from_verdict,
    proved_outcome,
    structural_outcome,
    unknown_outcome,
)

#: Most element comparisons tried when matching two finite sets.
MAX_SET_PAIRS = 400


# ---------------------------------------------------------------- finite sets


def compare_finite_sets(judge: Judge, gold: tuple[Scalar, ...], prediction: tuple[Scalar, ...]) -> Outcome:
    """Two finite sets (order and repetition do not matter), element by element."""
    if not gold or not prediction:
        if gold or prediction:
            return structural_outcome("one set is empty and the other is not")
        return proved_outcome("syntactic", backends={"syntactic"})
    if len(gold) * len(prediction) > MAX_SET_PAIRS:
        return unknown_outcome(f"sets too large to match ({len(gold)} x {len(prediction)} elements)")
    cache: dict[tuple[int, int], Outcome] = {}
    proofs: dict[tuple, Outcome] = {}
    open_question = False
    # Membership claims need elements that are defined everywhere (the claim is unguarded).
    unmarked = all(
        not i.mark and not i.unit and (is_total(i.expr) or not free_variables(i.expr))
        for i in gold + prediction
    )
    for side, items, others in (("gold", gold, prediction), ("prediction", prediction, gold)):
        other = "prediction" if side == "gold" else "gold"
        for k, item in enumerate(items):
            if unmarked:
                # One membership claim per element: `g in {p1, ..., pm}`.
                if item in others and is_total(item.expr):
                    continue
                verdict = judge.decide(Member(item.expr, tuple(o.expr for o in others)))
                outcome = outcome_from_verdict(verdict, f"{side} element {k + 1}")
                if outcome.status is Status.PROVED:
                    proofs[(side, k)] = outcome
                    continue
                if outcome.status is Status.REFUTED:
                    shown = expr_text(item.expr)
                    outcome.message = f"{side} element {shown} equals no {other} element"
                    outcome.counterexample = {
                        "element": shown,
                        "side": side,
                        **(outcome.counterexample or {}),
                    }
                    return outcome
            pairs = [(k, m) if side == "gold" else (m, k) for m in range(len(others))]
            # Identical elements first: the common case costs one comparison per element.
            pairs.sort(key=lambda ij: gold[ij[0]] != prediction[ij[1]])
            tried = []
            for i, j in pairs:
                if (i, j) not in cache:
                    cache[(i, j)] = judge.scalars(
                        gold[i], prediction[j], f"gold {i + 1} vs prediction {j + 1}"
                    )
                outcome = cache[(i, j)]
                tried.append(outcome)
                if outcome.status is Status.PROVED:
                    proofs[(i, j)] = outcome
                    break
            else:
                if all(t.status is Status.REFUTED for t in tried):
                    shown = expr_text(item.expr)
                    counterexample = {
                        "element": shown,
                        "side": side,
                        "refuted": [t.counterexample for t in tried if t.counterexample],
                    }
                    return merge_outcomes(
                        Status.REFUTED,
                        tried,
                        counterexample,
                        f"{side} element {shown} equals no {other} element",
                    )
                open_question = True
    if open_question:
        return unknown_outcome("some elements could be neither matched nor refuted")
    return merge_outcomes(Status.PROVED, list(proofs.values()))


def compare_tuple_sets(
    judge: Judge, gold: tuple[TupleAnswer, ...], prediction: tuple[TupleAnswer, ...]
) -> Outcome:
    """Two sets of tuples (`\\{(1, 2), (3, 4)\\}`, `(3, 4), (1, 2)`): every tuple of each side
    equals one of the other side (proved), or one tuple equals none of them (refuted)."""
    if len(gold) * len(prediction) > MAX_SET_PAIRS:
        return unknown_outcome(f"sets too large to match ({len(gold)} x {len(prediction)} tuples)")
    cache: dict[tuple[int, int], Outcome] = {}
    proofs: dict[tuple[int, int], Outcome] = {}
    open_question = False
    for side, items, others in (("gold", gold, prediction), ("prediction", prediction, gold)):
        for k in range(len(items)):
            pairs = [(k, m) if side == "gold" else (m, k) for m in range(len(others))]
            pairs.sort(key=lambda ij: gold[ij[0]] != prediction[ij[1]])
            tried = []
            for i, j in pairs:
                if (i, j) not in cache:
                    cache[(i, j)] = judge.tuples(gold[i].items, prediction[j].items)
                tried.append(cache[(i, j)])
                if cache[(i, j)].status is Status.PROVED:
                    proofs[(i, j)] = cache[(i, j)]
                    break
            else:
                if all(t.status is Status.REFUTED for t in tried):
                    return merge_outcomes(
                        Status.REFUTED,
                        tried,
                        {"element": k + 1, "side": side},
                        f"{side} tuple {k + 1} equals no tuple of the other answer",
                    )
                open_question = True
    if open_question:
        return unknown_outcome("some tuples could be neither matched nor refuted")
    return merge_outcomes(Status.PROVED, list(proofs.values()))


# ---------------------------------------------------------------- intervals


def compare_intervals(judge: Judge, gold: tuple[Interval, ...], prediction: tuple[Interval, ...]) -> Outcome:
    """Two unions of intervals (one part each for a single interval), as sets of reals."""
    if len(gold) == len(prediction):
        matched = _match_intervals(judge, gold, prediction)
        if matched is not None:
            return matched
    exact = _exact_ends(gold + prediction)
    if exact is not None:
        return _compare_at_test_points(judge, gold, prediction, exact)
    if len(gold) == 1 and len(prediction) == 1:
        outcome = _single_interval(judge, gold[0], prediction[0])
        if outcome.status is not Status.UNKNOWN:
            return outcome
    return _same_set(judge, gold, prediction)


def _interval_pair(judge: Judge, g: Interval, p: Interval, label: str) -> Outcome:
    if (g.lo is None) != (p.lo is None) or (g.hi is None) != (p.hi is None):
        return structural_outcome(f"{label}: one end is infinite on one side only")
    if g.lo_closed != p.lo_closed or g.hi_closed != p.hi_closed:
        return structural_outcome(f"{label}: an end is open on one side and closed on the other")
    outcomes = []
    for end, a, b in (("lower", g.lo, p.lo), ("upper", g.hi, p.hi)):
        if a is not None and b is not None:
            outcome = judge.expressions(a, b, f"{label} {end} end")
            if outcome.status is not Status.PROVED:
                return outcome
            outcomes.append(outcome)
    return merge_outcomes(Status.PROVED, outcomes)


def _match_intervals(judge: Judge, gold, prediction) -> Outcome | None:
    used: set[int] = set()
    proofs = []
    for i, g in enumerate(gold):
        # Same position first: most unions are written in the same order.
        for j in sorted(range(len(prediction)), key=lambda j, i=i: j != i):
            if j in used:
                continue
            outcome = _interval_pair(judge, g, prediction[j], f"part {i + 1}")
            if outcome.status is Status.PROVED:
                used.add(j)
                proofs.append(outcome)
                break
        else:
            return None
    return merge_outcomes(Status.PROVED, proofs)


def _single_interval(judge: Judge, g: Interval, p: Interval) -> Outcome:
    pair = _interval_pair(judge, g, p, "interval")
    if pair.status is not Status.REFUTED:
        return pair
    # Different ends only mean different sets when both intervals are non-empty.
    checks = []
    for part in (g, p):
        if part.lo is None or part.hi is None:
            continue
        op = "<=" if part.lo_closed and part.hi_closed else "<"
        verdict = judge.decide(Compare((op,), (part.lo, part.hi)))
        if verdict.status is not Status.PROVED:
            return unknown_outcome("could not show both intervals are non-empty")
        checks.append(outcome_from_verdict(verdict, "non-empty"))
    pair.claims = [c for o in checks for c in o.claims] + pair.claims
    pair.method = "claims" if pair.claims else "structural"
    return pair


def _compare_at_test_points(judge: Judge, gold, prediction, ends: list[Fraction]) -> Outcome:
    points = _test_points(ends)
    for point in points:
        in_gold = any(_contains(part, point) for part in gold)
        in_prediction = any(_contains(part, point) for part in prediction)
        if in_gold == in_prediction:
            continue
        inside, outside = (gold, prediction) if in_gold else (prediction, gold)
        member = judge.decide(_membership(inside, number_expr(point)))
        absent = judge.decide(Not(_membership(outside, number_expr(point))))
        outcomes = [outcome_from_verdict(member, "member"), outcome_from_verdict(absent, "not a member")]
        if not all(o.status is Status.PROVED for o in outcomes):
            return unknown_outcome("a distinguishing point was found but its claims were not proved")
        where = "gold" if in_gold else "prediction"
        counterexample = {
            "point": fraction_text(point),
            "in": where,
            "claims": [member.claim, absent.claim],
        }
        return merge_outcomes(
            Status.REFUTED, outcomes, counterexample, f"{fraction_text(point)} is only in the {where} set"
        )
    return _same_set(judge, gold, prediction)


def _same_set(judge: Judge, gold, prediction) -> Outcome:
    """`forall x in Real: x in gold <-> x in prediction`, as one claim."""
    taken = {
        n
        for part in gold + prediction
        for e in (part.lo, part.hi)
        if e is not None
        for n in free_variables(e)
    }
    name = next(n for n in ("x", "t", "x_0", "x_1", "x_2") if n not in taken) if len(taken) < 5 else None
    if name is None:
        return unknown_outcome("too many variables in the interval ends")
    x = Var(name)
    claim = Quantified(
        "forall", (name,), "Real", Connective("<->", _membership(gold, x), _membership(prediction, x))
    )
    return outcome_from_verdict(judge.decide(claim), "same set")


def _exact_ends(parts: tuple[Interval, ...]) -> list[Fraction] | None:
    ends = []
    for part in parts:
        for end in (part.lo, part.hi):
            if end is None:
                continue
            try:
                ends.append(evaluate(end))
            except (NotExact, TooLarge, Undefined):
                return None
    return ends


def _test_points(ends: list[Fraction]) -> list[Fraction]:
    """Points where a union of intervals with these ends can change membership, and between."""
    values = sorted(set(ends))
    if not values:
        return [Fraction(0)]
    points = [values[0] - 1]
    for a, b in zip(values, values[1:]):
        points += [a, (a + b) / 2]
    return points + [values[-1], values[-1] + 1]


def _contains(part: Interval, point: Fraction) -> bool:
    if part.lo is not None:
        lo = evaluate(part.lo)
        if point < lo or (point == lo and not part.lo_closed):
            return False
    if part.hi is not None:
        hi = evaluate(part.hi)
        if point > hi or (point == hi and not part.hi_closed):
            return False
    return True


def _membership(parts: tuple[Interval, ...], x: Expr) -> Formula:
    """`x` lies in one of the parts, as a claim."""
    formula: Formula | None = None
    for part in parts:
        ops, terms = [], []
        if part.lo is not None:
            ops.append("<=" if part.lo_closed else "<")
            terms.append(part.lo)
        terms.append(x)
        if part.hi is not None:
            ops.append("<=" if part.hi_closed else "<")
            terms.append(part.hi)
        one: Formula = Compare(tuple(ops), tuple(terms)) if ops else BoolConst(True)
        formula = one if formula is None else Connective("or", formula, one)
    return formula if formula is not None else BoolConst(False)
