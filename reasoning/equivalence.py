"""Answer equivalence (gold vs prediction), reduced to claims that a sound backend decides.

`equivalent(gold, prediction)` parses both answers (`reasoning.latex`) and compares them by kind:
- scalars: the claim `gold = prediction` goes to `solvers.dispatch.decide`;
- tuples: componentwise, in order; a bare list `1, 2` compared with a tuple is ordered too;
- finite sets (and bare lists, and `n = 2, 3, 4`): for each element g of one side the claim
  `g in {p1, ..., pm}` (the other side); all proved -> equal, one refuted -> different (that
  element equals none of the others); undecided memberships fall back to pairwise claims;
- intervals and unions: parts matched one to one by endpoint claims and closedness; failing
  that, with rational ends, membership of finitely many test points (every end, the midpoints
  between consecutive ends, one point beyond each extreme) finds a point in one set only (a
  counterexample, proved by two membership claims); otherwise the single claim
  `forall x in Real: x in gold <-> x in prediction` goes to the solvers;
- `x = 5` vs `5`: the variable is dropped when only one side names it; two different names are
  compared as equations (so `x = 5` vs `y = 5` is refuted by the point x = 5, y = 0);
- equations: the same solution set when `c * (lhs1 - rhs1) = lhs2 - rhs2` is a polynomial
  identity for a non-zero rational c read off the coefficients; different when an exact point
  satisfies one equation and not the other; otherwise unknown.

Percent rule: `50\\%` matches `0.5` (the value 50/100) and also `50` (the same number written
without the sign), as math-verify does; `50\\%` vs `50\\%` compares 50 with 50. Degrees:
`90^\\circ` matches `90` and `\\frac{\\pi}{2}`. Units (`\\text{ cm}`) are dropped.

Certificates: `{"kind": "equivalence", "method", "gold", "prediction", "claims"}` where `claims`
are the component claim certificates (each re-checkable by `proofs.check`); `method` is
`claims`, `syntactic` (identical answers after normalisation, built from operations defined at
the exact point checked; no claims) or `structural` (a refutation by shape: different tuple
lengths, different variable names, a set against a tuple; no claims).

Expressions with variables are equivalent when they agree wherever both are defined: with a
partial operation (`3/x`, `sqrt(x)`, `ln x`) the claim is guarded, `x != 0 -> 3/x = 3/x`, and
the guard must hold on an open region around an exact sample point (so `sqrt(x-1)` and
`sqrt(1-x)`, which share only x = 1, are not called equivalent). A refutation with variables
stands only if both sides are defined, with different exact values, at the counterexample.

Soundness: `equivalent=True` only when every component claim was proved (or the two answers are
identical trees that are defined at some exact point); `False` only with a refuting claim, an
exact counterexample or a structural mismatch (different tuple lengths, a set against a tuple).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from proofs import interval, polynomial
from proofs.check import CheckReport, check_certificate
from proofs.claims import (
    BinOp,
    BoolConst,
    Call,
    Compare,
    Connective,
    Const,
    Expr,
    Formula,
    Member,
    Neg,
    Not,
    Num,
    Quantified,
    Var,
    expr_text,
    free_variables,
    to_text,
    walk,
)
from proofs.domain import definedness_conditions
from proofs.exact import NotExact, TooLarge, Undefined, evaluate, fraction_text, parse_fraction, truth
from proofs.parsing import ParseFailure
from proofs.verdict import Status, Verdict
from reasoning.api import InvalidArgument
from reasoning.latex import (
    Answer,
    Assignment,
    Equation,
    FiniteSet,
    Interval,
    IntervalUnion,
    Scalar,
    System,
    Text,
    TupleAnswer,
    answer_expressions,
    parse_answer,
)
from solvers import dispatch

DEFAULT_BUDGET_S = 2.0
#: Seconds a re-check may spend re-deriving the comparison.
RECHECK_BUDGET_S = 10.0
#: Most element comparisons tried when matching two finite sets.
MAX_SET_PAIRS = 400
#: Integer grid values tried per variable when looking for a point on one equation only.
GRID = tuple(Fraction(v) for v in (0, 1, -1, 2, -2, 3, 5, -3, 7))
#: Operations that are total on their domain: identical trees built only from these are equal.
_TOTAL_FUNCTIONS = frozenset({"abs", "sin", "cos", "exp", "min", "max", "floor", "ceil"})


@dataclass(frozen=True, kw_only=True)
class EquivalenceResult:
    """Whether `prediction` is mathematically the same answer as `gold`, with the evidence."""

    gold: str
    prediction: str
    status: Status
    equivalent: bool | None
    backend: str
    elapsed_ms: float = 0.0
    certificate: dict[str, Any] | None = None
    counterexample: dict[str, Any] | None = None
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        """The wire form: stable keys, JSON types only."""
        return {
            "gold": self.gold,
            "prediction": self.prediction,
            "status": self.status.value,
            "equivalent": self.equivalent,
            "backend": self.backend,
            "elapsed_ms": self.elapsed_ms,
            "certificate": self.certificate,
            "counterexample": self.counterexample,
            "message": self.message,
        }


@dataclass
class _Outcome:
    """The result of comparing two answer components, before it becomes a public result."""

    status: Status
    claims: list[dict[str, Any]] = field(default_factory=list)
    counterexample: dict[str, Any] | None = None
    message: str = ""
    method: str = "claims"
    backends: set[str] = field(default_factory=set)


def _proved(method: str = "claims", **extra: Any) -> _Outcome:
    return _Outcome(Status.PROVED, method=method, **extra)


def _structural(message: str) -> _Outcome:
    return _Outcome(Status.REFUTED, method="structural", message=message, backends={"structure"})


def _unknown(message: str) -> _Outcome:
    return _Outcome(Status.UNKNOWN, message=message)


def _num(value: Fraction) -> Expr:
    return Num(value) if value >= 0 else Neg(Num(-value))


def _total(expr: Expr) -> bool:
    """Built only from operations defined everywhere (so identical trees are equal values)."""
    for node in walk(expr):
        if isinstance(node, BinOp) and node.op not in ("+", "-", "*"):
            # x^n for a natural number n and x / c for a non-zero number c are defined everywhere
            literal = node.right.value if isinstance(node.right, Num) else None
            natural = literal is not None and literal.denominator == 1
            if not ((node.op == "^" and natural) or (node.op == "/" and literal)):
                return False
        if isinstance(node, Call) and node.func not in _TOTAL_FUNCTIONS:
            return False
    return True


class _Judge:
    """Runs component claims against one shared deadline and keeps their evidence."""

    def __init__(self, budget_s: float):
        self.deadline = time.perf_counter() + budget_s

    def remaining(self) -> float:
        return self.deadline - time.perf_counter()

    def decide(self, formula: Formula) -> Verdict:
        claim = to_text(formula)
        if self.remaining() <= 0:
            return Verdict(claim=claim, status=Status.UNKNOWN, backend="budget", message="budget exhausted")
        try:
            return dispatch.decide(formula, budget_s=max(0.05, self.remaining()))
        except Exception as exc:  # a backend bug must not turn into a wrong verdict or a crash
            return Verdict(
                claim=claim, status=Status.UNKNOWN, backend="error", message=f"{type(exc).__name__}: {exc}"
            )

    # ---------------------------------------------------------------- scalars

    def expressions(self, gold: Expr, prediction: Expr, label: str) -> _Outcome:
        """`gold = prediction` as a claim (identical total trees are equal without a solver).

        With variables and partial operations (`3/x`, `sqrt(x)`) the claim is guarded by where
        both sides are defined, `x != 0 -> 3/x = 3/x`: answers agree where both have a value.
        """
        if gold == prediction and _defined_somewhere(gold):
            # Identical trees agree wherever they are defined; defined at one exact point is enough.
            return _proved("syntactic", backends={"syntactic"})
        claim: Formula = Compare(("=",), (gold, prediction))
        variables = free_variables(gold) | free_variables(prediction)
        if variables and not (_total(gold) and _total(prediction)):
            guard = definedness_conditions(gold, prediction)
            if guard:
                if _domain_point(guard, interior=True) is None:
                    return _unknown(f"{label}: found no open region where both sides are defined")
                claim = Connective("->", _conjunction(guard), claim)
        verdict = self.decide(claim)
        if (
            verdict.status is Status.REFUTED
            and variables
            and not _both_defined_and_different(gold, prediction, verdict)
        ):
            return _unknown(f"{label}: the sides differ only where one is undefined")
        return _from_verdict(verdict, label)

    def scalars(self, gold: Scalar, prediction: Scalar, label: str) -> _Outcome:
        readings = [(gold.expr, prediction.expr)]
        marks = {gold.mark, prediction.mark}
        if gold.mark != prediction.mark and "" in marks:
            marked_is_gold = bool(gold.mark)
            marked = gold.expr if marked_is_gold else prediction.expr
            if "%" in marks:
                converted = BinOp("/", marked, Num(Fraction(100)))
            else:
                converted = BinOp("/", BinOp("*", marked, Const("pi")), Num(Fraction(180)))
            readings.append((converted, prediction.expr) if marked_is_gold else (gold.expr, converted))
        outcomes = []
        for g, p in readings:
            outcome = self.expressions(g, p, label)
            if outcome.status is Status.PROVED:
                return outcome
            outcomes.append(outcome)
        if all(o.status is Status.REFUTED for o in outcomes):
            return _merge(Status.REFUTED, outcomes, outcomes[0].counterexample, outcomes[0].message)
        return _undecided(outcomes, "; ".join(o.message for o in outcomes if o.message))

    # ---------------------------------------------------------------- tuples and sets

    def tuples(self, gold: tuple[Scalar, ...], prediction: tuple[Scalar, ...]) -> _Outcome:
        if len(gold) != len(prediction):
            return _structural(f"tuples of different lengths ({len(gold)} and {len(prediction)})")
        outcomes = []
        for index, (g, p) in enumerate(zip(gold, prediction)):
            outcome = self.scalars(g, p, f"component {index + 1}")
            if outcome.status is Status.REFUTED:
                return outcome
            outcomes.append(outcome)
        if all(o.status is Status.PROVED for o in outcomes):
            return _merge(Status.PROVED, outcomes)
        return _undecided(outcomes, "; ".join(o.message for o in outcomes if o.message))

    def sets(self, gold: tuple[Scalar, ...], prediction: tuple[Scalar, ...]) -> _Outcome:
        if not gold or not prediction:
            if gold or prediction:
                return _structural("one set is empty and the other is not")
            return _proved("syntactic", backends={"syntactic"})
        if len(gold) * len(prediction) > MAX_SET_PAIRS:
            return _unknown(f"sets too large to match ({len(gold)} x {len(prediction)} elements)")
        cache: dict[tuple[int, int], _Outcome] = {}
        proofs: dict[tuple, _Outcome] = {}
        open_question = False
        # Membership claims need elements that are defined everywhere (the claim is unguarded).
        unmarked = all(
            not i.mark and (_total(i.expr) or not free_variables(i.expr)) for i in gold + prediction
        )
        for side, items, others in (("gold", gold, prediction), ("prediction", prediction, gold)):
            other = "prediction" if side == "gold" else "gold"
            for k, item in enumerate(items):
                if unmarked:
                    # One membership claim per element: `g in {p1, ..., pm}`.
                    if item in others and _total(item.expr):
                        continue
                    verdict = self.decide(Member(item.expr, tuple(o.expr for o in others)))
                    outcome = _from_verdict(verdict, f"{side} element {k + 1}")
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
                        cache[(i, j)] = self.scalars(
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
                        return _merge(
                            Status.REFUTED,
                            tried,
                            counterexample,
                            f"{side} element {shown} equals no {other} element",
                        )
                    open_question = True
        if open_question:
            return _unknown("some elements could be neither matched nor refuted")
        return _merge(Status.PROVED, list(proofs.values()))

    # ---------------------------------------------------------------- intervals

    def intervals(self, gold: tuple[Interval, ...], prediction: tuple[Interval, ...]) -> _Outcome:
        if len(gold) == len(prediction):
            matched = self._match_intervals(gold, prediction)
            if matched is not None:
                return matched
        exact = _exact_ends(gold + prediction)
        if exact is not None:
            return self._test_points(gold, prediction, exact)
        if len(gold) == 1 and len(prediction) == 1:
            outcome = self._single_interval(gold[0], prediction[0])
            if outcome.status is not Status.UNKNOWN:
                return outcome
        return self._same_set(gold, prediction)

    def _interval_pair(self, g: Interval, p: Interval, label: str) -> _Outcome:
        if (g.lo is None) != (p.lo is None) or (g.hi is None) != (p.hi is None):
            return _structural(f"{label}: one end is infinite on one side only")
        if g.lo_closed != p.lo_closed or g.hi_closed != p.hi_closed:
            return _structural(f"{label}: an end is open on one side and closed on the other")
        outcomes = []
        for end, a, b in (("lower", g.lo, p.lo), ("upper", g.hi, p.hi)):
            if a is not None and b is not None:
                outcome = self.expressions(a, b, f"{label} {end} end")
                if outcome.status is not Status.PROVED:
                    return outcome
                outcomes.append(outcome)
        return _merge(Status.PROVED, outcomes)

    def _match_intervals(self, gold, prediction) -> _Outcome | None:
        used: set[int] = set()
        proofs = []
        for i, g in enumerate(gold):
            # Same position first: most unions are written in the same order.
            for j in sorted(range(len(prediction)), key=lambda j, i=i: j != i):
                if j in used:
                    continue
                outcome = self._interval_pair(g, prediction[j], f"part {i + 1}")
                if outcome.status is Status.PROVED:
                    used.add(j)
                    proofs.append(outcome)
                    break
            else:
                return None
        return _merge(Status.PROVED, proofs)

    def _single_interval(self, g: Interval, p: Interval) -> _Outcome:
        pair = self._interval_pair(g, p, "interval")
        if pair.status is not Status.REFUTED:
            return pair
        # Different ends only mean different sets when both intervals are non-empty.
        checks = []
        for part in (g, p):
            if part.lo is None or part.hi is None:
                continue
            op = "<=" if part.lo_closed and part.hi_closed else "<"
            verdict = self.decide(Compare((op,), (part.lo, part.hi)))
            if verdict.status is not Status.PROVED:
                return _unknown("could not show both intervals are non-empty")
            checks.append(_from_verdict(verdict, "non-empty"))
        pair.claims = [c for o in checks for c in o.claims] + pair.claims
        pair.method = "claims" if pair.claims else "structural"
        return pair

    def _test_points(self, gold, prediction, ends: list[Fraction]) -> _Outcome:
        points = _test_points(ends)
        for point in points:
            in_gold = any(_contains(part, point) for part in gold)
            in_prediction = any(_contains(part, point) for part in prediction)
            if in_gold == in_prediction:
                continue
            inside, outside = (gold, prediction) if in_gold else (prediction, gold)
            member = self.decide(_membership(inside, _num(point)))
            absent = self.decide(Not(_membership(outside, _num(point))))
            outcomes = [_from_verdict(member, "member"), _from_verdict(absent, "not a member")]
            if not all(o.status is Status.PROVED for o in outcomes):
                return _unknown("a distinguishing point was found but its claims were not proved")
            where = "gold" if in_gold else "prediction"
            counterexample = {
                "point": fraction_text(point),
                "in": where,
                "claims": [member.claim, absent.claim],
            }
            return _merge(
                Status.REFUTED, outcomes, counterexample, f"{fraction_text(point)} is only in the {where} set"
            )
        return self._same_set(gold, prediction)

    def _same_set(self, gold, prediction) -> _Outcome:
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
            return _unknown("too many variables in the interval ends")
        x = Var(name)
        claim = Quantified(
            "forall", (name,), "Real", Connective("<->", _membership(gold, x), _membership(prediction, x))
        )
        return _from_verdict(self.decide(claim), "same set")

    # ---------------------------------------------------------------- equations

    def equations(self, gold: Equation, prediction: Equation) -> _Outcome:
        d1 = BinOp("-", gold.lhs, gold.rhs)
        d2 = BinOp("-", prediction.lhs, prediction.rhs)
        try:
            p1, p2 = polynomial.normal_form(d1), polynomial.normal_form(d2)
        except polynomial.NotPolynomial:
            return _unknown("equations that are not polynomial are not compared")
        if any(n.startswith("%") for n in polynomial.indeterminates(p1) | polynomial.indeterminates(p2)):
            return _unknown("equations with pi or e are not compared")
        if p1 and p2:
            mono = max(p1)
            factor = p2.get(mono, Fraction(0)) / p1[mono]
            if factor:
                claim = Compare(("=",), (BinOp("*", _num(factor), d1), d2))
                verdict = self.decide(claim)
                if verdict.status is Status.PROVED:
                    outcome = _from_verdict(verdict, "proportional")
                    outcome.message = f"prediction = {fraction_text(factor)} * gold (as lhs - rhs)"
                    return outcome
        elif not p1 and not p2:
            return _proved("claims", message="both equations hold everywhere", backends={"polynomial"})
        names = sorted(polynomial.indeterminates(p1) | polynomial.indeterminates(p2))
        for on, off, where in ((gold, prediction, "gold"), (prediction, gold, "prediction")):
            p_on = p1 if on is gold else p2
            point = _point_on(p_on, names)
            if point is None:
                continue
            if _holds_exactly(off, point) is not False:
                continue
            env = {n: _num(v) for n, v in point.items()}
            member = self.decide(Compare(("=",), (_substitute(on.lhs, env), _substitute(on.rhs, env))))
            absent = self.decide(Compare(("!=",), (_substitute(off.lhs, env), _substitute(off.rhs, env))))
            outcomes = [_from_verdict(member, "on"), _from_verdict(absent, "off")]
            if all(o.status is Status.PROVED for o in outcomes):
                assignment = {n: fraction_text(v) for n, v in point.items()}
                counterexample = {"assignment": assignment, "satisfies": where}
                return _merge(
                    Status.REFUTED,
                    outcomes,
                    counterexample,
                    f"the point {assignment} is only on the {where} equation",
                )
        return _unknown("could not show the equations have the same or different solution sets")


# -------------------------------------------------------------------- helpers


_ZERO = Num(Fraction(0))
#: Points tried when looking for one where every definedness condition holds.
_SAMPLES = tuple(Fraction(v) for v in ("1", "2", "1/2", "3", "-1", "-2", "5/3", "7", "0"))
_STEP = Fraction(1, 1000)


def _conjunction(parts: list[Formula]) -> Formula:
    formula = parts[0]
    for part in parts[1:]:
        formula = Connective("and", formula, part)
    return formula


def _domain_point(conditions: list[Formula], *, interior: bool = False) -> dict[str, Fraction] | None:
    """An exact point where every condition holds, so a guarded proof is not vacuous.

    With `interior`, the conditions must also hold a small step away along every variable in
    both directions: two answers that only meet at isolated points (`sqrt(x-1)` and `sqrt(1-x)`
    share only x = 1) are not called equivalent.
    """
    if not conditions:
        return {}
    formula = _conjunction(conditions)
    names = sorted(free_variables(formula))

    def holds(env: dict[str, Fraction]) -> bool:
        try:
            return truth(formula, env)
        except (TooLarge, Undefined):
            return False
        except NotExact:  # an irrational value such as sqrt(1.001): interval arithmetic decides
            return interval.decide_formula(formula, env, 30)[0] is True

    for values in itertools.islice(itertools.product(_SAMPLES, repeat=len(names)), 512):
        env = dict(zip(names, values))
        if not holds(env):
            continue
        if interior and not all(
            holds({**env, name: env[name] + step}) for name in names for step in (_STEP, -_STEP)
        ):
            continue
        return env
    return None


def _defined_somewhere(expr: Expr) -> bool:
    """Whether `expr` has a value at some exact point (by evaluating it, or its conditions)."""
    if _total(expr):
        return True
    names = sorted(free_variables(expr))
    for values in itertools.islice(itertools.product(_SAMPLES, repeat=len(names)), 64):
        try:
            evaluate(expr, dict(zip(names, values)))
            return True
        except (NotExact, TooLarge, Undefined):
            continue
    conditions = definedness_conditions(expr, closed=True)
    return conditions is not None and _domain_point(conditions) is not None


def _both_defined_and_different(gold: Expr, prediction: Expr, verdict: Verdict) -> bool:
    """Whether a refutation's point has both sides defined (so the answers really differ)."""
    if verdict.backend == "interval":
        return True  # disjoint enclosures: both sides have values there
    assignment = (verdict.counterexample or {}).get("assignment")
    if not isinstance(assignment, dict):
        return False
    try:
        env = {str(k): parse_fraction(str(v)) for k, v in assignment.items()}
        return evaluate(gold, env) != evaluate(prediction, env)
    except (NotExact, TooLarge, Undefined, ValueError, ZeroDivisionError):
        return False


def _from_verdict(verdict: Verdict, label: str) -> _Outcome:
    backends = {verdict.backend}
    if verdict.status is Status.PROVED:
        return _Outcome(Status.PROVED, claims=[verdict.certificate or {}], backends=backends)
    if verdict.status is Status.REFUTED:
        counterexample = {"component": label, "claim": verdict.claim, **(verdict.counterexample or {})}
        return _Outcome(
            Status.REFUTED,
            claims=[verdict.certificate] if verdict.certificate else [],
            counterexample=counterexample,
            message=f"{label}: {verdict.claim} is false"
            + (f" ({verdict.message})" if verdict.message else ""),
            backends=backends,
        )
    return _Outcome(Status.UNKNOWN, message=f"{label}: {verdict.message or 'undecided'}", backends=backends)


def _merge(status: Status, parts: list[_Outcome], counterexample=None, message: str = "") -> _Outcome:
    """Combine component outcomes; a proof without any claim rests on identical trees alone."""
    claims = [c for p in parts for c in p.claims]
    backends = set().union(*(p.backends for p in parts)) if parts else set()
    if claims:
        method = "claims"
    elif status is Status.PROVED:
        method, backends = "syntactic", backends or {"syntactic"}
    else:
        method = sorted({p.method for p in parts})[0] if parts else "structural"
    return _Outcome(
        status,
        claims=claims,
        counterexample=counterexample,
        message=message,
        method=method,
        backends=backends,
    )


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


def _substitute(expr: Expr, env: dict[str, Expr]) -> Expr:
    match expr:
        case Var(name) if name in env:
            return env[name]
        case Neg(arg):
            return Neg(_substitute(arg, env))
        case BinOp(op, left, right):
            return BinOp(op, _substitute(left, env), _substitute(right, env))
        case Call(func, args):
            return Call(func, tuple(_substitute(a, env) for a in args))
    return expr


def _point_on(poly: polynomial.Polynomial, names: list[str]) -> dict[str, Fraction] | None:
    """An exact point where `poly` vanishes, found by solving for a variable of degree 1."""
    for name in names:
        if polynomial.degree_in(poly, name) != 1:
            continue
        others = [n for n in names if n != name]
        coefficient: polynomial.Polynomial = {}
        rest: polynomial.Polynomial = {}
        for mono, c in poly.items():
            powers = dict(mono)
            if name in powers:
                del powers[name]
                key = tuple(sorted(powers.items()))
                coefficient[key] = coefficient.get(key, Fraction(0)) + c
            else:
                rest[mono] = c
        for values in itertools.islice(itertools.product(GRID, repeat=len(others)), 256):
            env = dict(zip(others, values))
            a = polynomial.evaluate_polynomial(coefficient, env)
            if a:
                env[name] = -polynomial.evaluate_polynomial(rest, env) / a
                return env
    return None


def _holds_exactly(equation: Equation, point: dict[str, Fraction]) -> bool | None:
    try:
        return evaluate(equation.lhs, point) == evaluate(equation.rhs, point)
    except (NotExact, TooLarge, Undefined):
        return None


# -------------------------------------------------------------------- kinds


def _as_equation(answer: Answer) -> Equation | None:
    match answer:
        case Equation():
            return answer
        case Assignment(name, Scalar(expr, "")):
            return Equation(Var(name), expr)
    return None


def _intervals(answer: Answer) -> tuple[Interval, ...] | None:
    match answer:
        case Interval():
            return (answer,)
        case IntervalUnion(parts):
            return parts
        case TupleAnswer(items, "(") if len(items) == 2 and not any(i.mark for i in items):
            return (Interval(items[0].expr, items[1].expr, False, False),)
    return None


def _elements(answer: Answer) -> tuple[Scalar, ...] | None:
    match answer:
        case FiniteSet(items):
            return items
        case Scalar():
            return (answer,)
    return None


def _kind(answer: Answer) -> str:
    names = {
        Scalar: "a number or expression",
        TupleAnswer: "a tuple",
        FiniteSet: "a finite set",
        Interval: "an interval",
        IntervalUnion: "a union of intervals",
        Equation: "an equation",
        Assignment: "an assignment",
        System: "a system of assignments",
        Text: "text",
    }
    return names[type(answer)]


def _compare(judge: _Judge, gold: Answer, prediction: Answer) -> _Outcome:
    """Compare two parsed answers (see the module docstring for the rules)."""
    if isinstance(gold, Assignment) and isinstance(prediction, Assignment):
        if gold.name == prediction.name:
            return _compare(judge, gold.value, prediction.value)
        g_eq, p_eq = _as_equation(gold), _as_equation(prediction)
        if g_eq is not None and p_eq is not None:
            return judge.equations(g_eq, p_eq)
        return _structural(f"different variables ({gold.name} and {prediction.name})")
    if isinstance(gold, Equation) or isinstance(prediction, Equation):
        g_eq, p_eq = _as_equation(gold), _as_equation(prediction)
        if g_eq is not None and p_eq is not None:
            return judge.equations(g_eq, p_eq)
        return _unknown(
            f"an equation is compared with {_kind(prediction if isinstance(gold, Equation) else gold)}"
        )
    if isinstance(gold, Assignment):
        return _compare(judge, gold.value, prediction)
    if isinstance(prediction, Assignment):
        return _compare(judge, gold, prediction.value)
    if isinstance(gold, Text) or isinstance(prediction, Text):
        if gold == prediction:
            return _proved("syntactic", backends={"syntactic"})
        return _unknown("answers in words are only compared word for word")
    if isinstance(gold, System) or isinstance(prediction, System):
        return _systems(judge, gold, prediction)
    if isinstance(gold, Scalar) and isinstance(prediction, Scalar):
        return judge.scalars(gold, prediction, "value")
    if isinstance(gold, TupleAnswer) and isinstance(prediction, TupleAnswer):
        return judge.tuples(gold.items, prediction.items)
    g_parts, p_parts = _intervals(gold), _intervals(prediction)
    if g_parts is not None and p_parts is not None:
        return judge.intervals(g_parts, p_parts)
    ordered = _ordered_pair(gold, prediction)
    if ordered is not None:
        return judge.tuples(*ordered)
    g_items, p_items = _elements(gold), _elements(prediction)
    if g_items is not None and p_items is not None:
        return judge.sets(g_items, p_items)
    return _structural(f"the gold answer is {_kind(gold)}, the prediction is {_kind(prediction)}")


def _ordered_pair(gold: Answer, prediction: Answer):
    """A tuple against a bare list `1, 2` is compared in order."""
    match gold, prediction:
        case TupleAnswer(g), FiniteSet(p, False):
            return g, p
        case FiniteSet(g, False), TupleAnswer(p):
            return g, p
    return None


def _systems(judge: _Judge, gold: Answer, prediction: Answer) -> _Outcome:
    def values(answer: Answer) -> tuple[list[str] | None, tuple[Scalar, ...] | None]:
        match answer:
            case System(assignments):
                if all(isinstance(a.value, Scalar) for a in assignments):
                    return [a.name for a in assignments], tuple(a.value for a in assignments)
            case TupleAnswer(items) | FiniteSet(items, False):
                return None, items
        return None, None

    g_names, g_values = values(gold)
    p_names, p_values = values(prediction)
    if g_values is None or p_values is None:
        return _structural(f"the gold answer is {_kind(gold)}, the prediction is {_kind(prediction)}")
    if g_names is not None and p_names is not None:
        if sorted(g_names) != sorted(p_names):
            return _structural(f"different variables ({', '.join(g_names)} and {', '.join(p_names)})")
        order = {name: i for i, name in enumerate(p_names)}
        p_values = tuple(p_values[order[name]] for name in g_names)
    return judge.tuples(g_values, p_values)


# -------------------------------------------------------------------- public entry point


def _check_budget(budget_s: float) -> float:
    if not isinstance(budget_s, (int, float)) or isinstance(budget_s, bool) or not 0 < budget_s <= 3600:
        raise InvalidArgument(f"budget_s must be a number of seconds in (0, 3600], got {budget_s!r}")
    return float(budget_s)


def _shown(text: str) -> str:
    return text if len(text) <= 200 else text[:200] + "..."


def _all_defined(answer: Answer) -> bool:
    return all(_defined_somewhere(e) for e in answer_expressions(answer))


def equivalent(gold: str, prediction: str, *, budget_s: float = DEFAULT_BUDGET_S) -> EquivalenceResult:
    """Judge whether `prediction` is the same answer as `gold`, e.g. `equivalent("\\\\frac12", "0.5")`.

    Returns an EquivalenceResult: status proved (equivalent=True), refuted (False, usually with a
    counterexample), unknown (None: budget, or a fragment we cannot decide) or invalid (None: an
    answer did not parse; the message says where). Never raises on answer content; raises
    InvalidArgument for a non-string answer or a budget outside (0, 3600] seconds.
    """
    budget_s = _check_budget(budget_s)
    for name, value in (("gold", gold), ("prediction", prediction)):
        if not isinstance(value, str):
            raise InvalidArgument(f"{name} must be a str, got {type(value).__name__}")
    start = time.perf_counter()

    def result(outcome: _Outcome, backend: str | None = None) -> EquivalenceResult:
        status = outcome.status
        certificate = None
        if status in (Status.PROVED, Status.REFUTED):
            certificate = {
                "kind": "equivalence",
                "equivalent": status is Status.PROVED,
                "method": outcome.method,
                "gold": gold,
                "prediction": prediction,
                "claims": outcome.claims,
            }
        return EquivalenceResult(
            gold=_shown(gold),
            prediction=_shown(prediction),
            status=status,
            equivalent={Status.PROVED: True, Status.REFUTED: False}.get(status),
            backend=backend or "+".join(sorted(outcome.backends)) or outcome.method,
            elapsed_ms=round((time.perf_counter() - start) * 1000, 3),
            certificate=certificate,
            counterexample=outcome.counterexample,
            message=outcome.message,
        )

    parsed = []
    for name, text in (("gold", gold), ("prediction", prediction)):
        answer = parse_answer(text)
        if isinstance(answer, ParseFailure):
            return result(_Outcome(Status.INVALID, message=f"{name}: {answer.describe()}"), "parser")
        parsed.append(answer)
    gold_answer, prediction_answer = parsed
    if gold_answer == prediction_answer and _all_defined(gold_answer):
        return result(_proved("syntactic", backends={"syntactic"}, message="identical after normalisation"))
    judge = _Judge(budget_s)
    try:
        outcome = _compare(judge, gold_answer, prediction_answer)
    except Exception as exc:  # a bug here must cost one unknown verdict, not the caller's run
        outcome = _unknown(f"internal error: {type(exc).__name__}: {exc}")
    return result(outcome)


def _undecided(parts: list[_Outcome], message: str) -> _Outcome:
    """Unknown: keep which backends were tried, but no claims (nothing was shown)."""
    return _Outcome(Status.UNKNOWN, message=message, backends=set().union(*(p.backends for p in parts)))


def recheck_certificate(cert: dict[str, Any], *, use_cvc5: bool = True) -> CheckReport:
    """Re-check an equivalence certificate: the reduction of the two answers to component claims
    is re-derived from `gold` and `prediction` and must give the same judgement and the same
    claims; then every component certificate is re-checked through `proofs.check` alone."""
    gold, prediction = cert.get("gold"), cert.get("prediction")
    if not isinstance(gold, str) or not isinstance(prediction, str):
        return CheckReport(False, "an equivalence certificate names its gold and prediction answers")
    parts = cert.get("claims")
    if not isinstance(parts, list) or not all(isinstance(p, dict) for p in parts):
        return CheckReport(False, "claims must be a list of claim certificates")
    fresh = equivalent(gold, prediction, budget_s=RECHECK_BUDGET_S)
    if fresh.certificate is None or fresh.equivalent != cert.get("equivalent"):
        return CheckReport(False, f"re-deriving the comparison gives {fresh.status.value}: {fresh.message}")
    if fresh.certificate["method"] != cert.get("method"):
        return CheckReport(
            False, f"re-deriving the comparison uses {fresh.certificate['method']}, not {cert.get('method')}"
        )
    if sorted(p.get("claim", "") for p in parts) != sorted(p["claim"] for p in fresh.certificate["claims"]):
        return CheckReport(False, "the component claims are not the ones these answers reduce to")
    for index, part in enumerate(parts, start=1):
        report = check_certificate(part, use_cvc5=use_cvc5)
        if not report.ok:
            return CheckReport(False, f"component {index} ({part.get('claim')}) fails: {report.message}")
    what = "equivalent" if cert["equivalent"] else "not equivalent"
    return CheckReport(
        True,
        f"{what}: re-derived by {cert['method']}, {len(parts)} component certificate(s) re-check",
        {"components": str(len(parts))},
    )
