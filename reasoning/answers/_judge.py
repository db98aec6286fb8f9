"""The judge behind `equivalent` (`reasoning.answers._equivalence`): component claims, scalars, tuples.

`Judge` sends each component claim to `solvers.dispatch.decide` against one shared deadline
and compares expressions, scalars and tuples; an `Outcome` is one comparison's status, claims
and counterexample before it becomes an `EquivalenceResult`; `merge_outcomes` combines the outcomes of
the components. The set, interval and equation comparisons build on it
(`reasoning.answers._compare_sets`, `reasoning.answers._compare_equations`).

Percent rule (issue 12): a gold `50\\%` is its value and takes `50\\%`, `50 percent`, `0.5`
and `\\frac12`; a gold `50` (unmarked: datasets drop the sign, GSM8K's "what percent" golds)
takes `50` and `50\\%`. The other reading (`50` for a gold `50\\%`, `50\\%` for a gold `0.5`)
makes the pair undecided, never proved: one prediction must not take two different golds, or a
policy could hedge between `50` and `0.5` by writing `50\\%` (math-verify accepts all four). Degrees:
`90^\\circ` matches `90` and `\\frac{\\pi}{2}`. Units: see `_in_common_units`.

Expressions with variables are equivalent when the prediction is defined wherever the gold
answer is (except where a non-zero polynomial vanishes: `(x^2-1)/(x-1)` for `x+1`; else the
point where only the gold answer has a value refutes it: `(sqrt x)^2` for `|x|`), and they agree
wherever both are defined: with a
partial operation (`3/x`, `sqrt(x)`, `ln x`) the claim is guarded, `x != 0 -> 3/x = 3/x`, and
the guard must hold on an open region around an exact sample point (so `sqrt(x-1)` and
`sqrt(1-x)`, which share only x = 1, are not called equivalent). A refutation with variables
stands only if both sides are defined, with different exact values, at the counterexample.
Before any solver: complex answers are compared exactly as a + bi (`reasoning.answers._complex_values`)
and trigonometric identities by a sin/cos polynomial normal form (`reasoning.answers._trig_identity`).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from proofs import interval, polynomial
from proofs.claims import (
    BinOp,
    Call,
    Compare,
    Connective,
    Const,
    Expr,
    Formula,
    Neg,
    Num,
    Var,
    free_variables,
    to_text,
    walk,
)
from proofs.definedness import definedness_conditions
from proofs.exact import NotExact, TooLarge, Undefined, evaluate, fraction_text, parse_fraction, truth
from proofs.verdict import Status, Verdict
from reasoning.answers._answers import Scalar
from reasoning.answers._complex_values import compare_complex, mentions_i
from reasoning.answers._trig_identity import trig_identity
from reasoning.answers._units import MAYBE_VARIABLE, TEMPERATURES, read_unit, same_quantity_unit
from solvers import dispatch

#: Operations that are total on their domain: identical trees built only from these are equal.
TOTAL_FUNCTIONS = frozenset({"abs", "sin", "cos", "exp", "min", "max", "floor", "ceil"})


@dataclass
class Outcome:
    """The result of comparing two answer components, before it becomes a public result."""

    status: Status
    claims: list[dict[str, Any]] = field(default_factory=list)
    counterexample: dict[str, Any] | None = None
    message: str = ""
    method: str = "claims"
    backends: set[str] = field(default_factory=set)


def proved_outcome(method: str = "claims", **extra: Any) -> Outcome:
    return Outcome(Status.PROVED, method=method, **extra)


def structural_outcome(message: str) -> Outcome:
    return Outcome(Status.REFUTED, method="structural", message=message, backends={"structure"})


def unknown_outcome(message: str) -> Outcome:
    return Outcome(Status.UNKNOWN, message=message)


def number_expr(value: Fraction) -> Expr:
    return Num(value) if value >= 0 else Neg(Num(-value))


def is_total(expr: Expr) -> bool:
    """Built only from operations defined everywhere (so identical trees are equal values)."""
    for node in walk(expr):
        if isinstance(node, BinOp) and node.op not in ("+", "-", "*"):
            # x^n for a natural number n and x / c for a non-zero number c are defined everywhere
            literal = node.right.value if isinstance(node.right, Num) else None
            natural = literal is not None and literal.denominator == 1
            if not ((node.op == "^" and natural) or (node.op == "/" and literal)):
                return False
        if isinstance(node, Call) and node.func not in TOTAL_FUNCTIONS:
            return False
    return True


class Judge:
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

    def expressions(self, gold: Expr, prediction: Expr, label: str) -> Outcome:
        """`gold = prediction` as a claim (identical total trees are equal without a solver).

        With variables and partial operations (`3/x`, `sqrt(x)`) the claim is guarded by where
        both sides are defined, `x != 0 -> 3/x = 3/x`: answers agree where both have a value.
        """
        if gold == prediction and defined_somewhere(gold):
            # Identical trees agree wherever they are defined; defined at one exact point is enough.
            return proved_outcome("syntactic", backends={"syntactic"})
        claim: Formula = Compare(("=",), (gold, prediction))
        variables = free_variables(gold) | free_variables(prediction)
        if variables and not is_total(prediction):
            domain = self._prediction_domain(gold, prediction, label)
            if domain is not None:
                return domain
        guard: list[Formula] | None = []
        if variables and not (is_total(gold) and is_total(prediction)):
            guard = definedness_conditions(gold, prediction)
            if guard:
                if _domain_point(guard, interior=True) is None:
                    return unknown_outcome(f"{label}: found no open region where both sides are defined")
                claim = Connective("->", _conjunction(guard), claim)
        if mentions_i(gold) or mentions_i(prediction):
            return _complex_outcome(gold, prediction, label)
        # The rewrite shows equality wherever both sides are defined; that they are defined
        # somewhere (an open region, with variables) was checked above or is checked here.
        non_vacuous = guard is not None and (
            variables or (defined_somewhere(gold) and defined_somewhere(prediction))
        )
        if non_vacuous and trig_identity(gold, prediction):
            return proved_outcome(
                "syntactic", backends={"trig-polynomial"}, message=f"{label}: a trigonometric identity"
            )
        verdict = self.decide(claim)
        if (
            verdict.status is Status.REFUTED
            and variables
            and not _both_defined_and_different(gold, prediction, verdict)
        ):
            return unknown_outcome(f"{label}: the sides differ only where one is undefined")
        return outcome_from_verdict(verdict, label)

    def _prediction_domain(self, gold: Expr, prediction: Expr, label: str) -> Outcome | None:
        """None when the prediction is defined wherever the gold answer is, except where a non-zero
        polynomial vanishes (`(x^2-1)/(x-1)` for `x+1`); else the outcome that says why not.

        An answer undefined on part of the gold answer's domain is a different answer: `|x|` is
        not `(sqrt x)^2`, though they agree wherever both are defined.
        """
        conditions = definedness_conditions(prediction)
        if conditions is None:
            return unknown_outcome(f"{label}: cannot say where the prediction is defined")
        rest = [c for c in conditions if not _polynomial_hole(c)]
        if not rest:
            return None
        gold_conditions = definedness_conditions(gold)
        if gold_conditions is None:
            return unknown_outcome(f"{label}: cannot say where the gold answer is defined")
        known = {f for c in gold_conditions for f in _nonzero_factors(c)}
        rest = [c for c in rest if not (_nonzero_factors(c) and set(_nonzero_factors(c)) <= known)]
        if not rest:
            return None
        point = _point_outside(gold, rest)
        if point is not None:
            outcome = structural_outcome(
                f"{label}: the prediction is undefined at {point}, where the gold answer is defined"
            )
            outcome.counterexample = {"component": label, "assignment": point, "defined": "gold only"}
            return outcome
        claim: Formula = _conjunction(rest)
        if gold_conditions:
            claim = Connective("->", _conjunction(gold_conditions), claim)
        if self.decide(claim).status is Status.PROVED:
            return None
        return unknown_outcome(
            f"{label}: could not show the prediction is defined wherever the gold answer is"
        )

    def scalars(self, gold: Scalar, prediction: Scalar, label: str) -> Outcome:
        if gold.unit.startswith(MAYBE_VARIABLE) or prediction.unit.startswith(MAYBE_VARIABLE):
            return self._unit_or_variable(gold, prediction, label)
        converted = _in_common_units(gold, prediction, label)
        if isinstance(converted, Outcome):
            return converted
        written = (gold, prediction)
        if gold.mark != prediction.mark and bool(gold.unit) != bool(prediction.unit):
            # `\\$5` vs `5\\%`, `5 hours` vs `5^\\circ`: the bare-number rule compared 5 with 5 (proved)
            return unknown_outcome(f"{label}: a percent or an angle is not compared with an amount in units")
        gold, prediction = converted
        readings = [(gold.expr, prediction.expr)]
        marks = {gold.mark, prediction.mark}
        if marks == {"%", ""}:
            return self._percent(gold, prediction, label)
        if len(marks) == 2 and "" not in marks:  # `5\\%` vs `5^\\circ` compared 5 with 5 (proved)
            return unknown_outcome(f"{label}: a percent is compared only with a number or a percent")
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
            if (word := _bare_in_another_unit(*written)) is not None:
                return _undecided(outcomes, f"{label}: the bare number may be in {word}, the same quantity")
            return merge_outcomes(Status.REFUTED, outcomes, outcomes[0].counterexample, outcomes[0].message)
        return _undecided(outcomes, "; ".join(o.message for o in outcomes if o.message))

    def _percent(self, gold: Scalar, prediction: Scalar, label: str) -> Outcome:
        """One side has a percent sign (the percent rule in the module docstring): a marked gold
        is its value (`5\\%` takes `0.05`), an unmarked gold counts percent (`5` takes `5\\%`).
        The other reading only makes the pair undecided, never proved, so one prediction cannot
        take two different golds (`5\\%` takes `5` but not `0.05`)."""
        hundred = Num(Fraction(100))
        if gold.mark:
            meant = (BinOp("/", gold.expr, hundred), prediction.expr)
            other, why = (gold.expr, prediction.expr), "the prediction drops the gold's percent sign"
        else:
            meant = (gold.expr, prediction.expr)
            other = (gold.expr, BinOp("/", prediction.expr, hundred))
            why = "the gold may be the percent's value"
        outcome = self.expressions(*meant, label)
        if outcome.status is not Status.REFUTED:
            return outcome
        second = self.expressions(*other, label)
        if second.status is Status.REFUTED:
            return outcome
        return _undecided([outcome, second], f"{label}: {why} ({second.status.value} in that reading)")

    def _unit_or_variable(self, gold: Scalar, prediction: Scalar, label: str) -> Outcome:
        """`5 m` is 5 metres or 5*m. With a unit on both sides it is the unit; against a value
        without unit both readings are compared and only an agreement decides, so a verdict
        never rests on reading a unit as a variable (or a variable as a unit)."""
        as_unit = [replace(s, unit=s.unit.removeprefix(MAYBE_VARIABLE)) for s in (gold, prediction)]
        if gold.unit and prediction.unit:
            return self.scalars(as_unit[0], as_unit[1], label)
        as_variable = [
            Scalar(BinOp("*", s.expr, _as_variable(s.unit)), s.mark)
            if s.unit.startswith(MAYBE_VARIABLE)
            else s
            for s in (gold, prediction)
        ]
        outcomes = [self.scalars(*as_unit, label), self.scalars(*as_variable, label)]
        if outcomes[0].status is outcomes[1].status and outcomes[0].status in (Status.PROVED, Status.REFUTED):
            return outcomes[0]
        return _undecided(
            outcomes, f"{label}: a letter after a number may be a unit or a variable; the readings differ"
        )

    # ---------------------------------------------------------------- tuples

    def tuples(self, gold: tuple[Scalar, ...], prediction: tuple[Scalar, ...]) -> Outcome:
        if len(gold) != len(prediction):
            return structural_outcome(f"tuples of different lengths ({len(gold)} and {len(prediction)})")
        outcomes = []
        for index, (g, p) in enumerate(zip(gold, prediction)):
            outcome = self.scalars(g, p, f"component {index + 1}")
            if outcome.status is Status.REFUTED:
                return outcome
            outcomes.append(outcome)
        if all(o.status is Status.PROVED for o in outcomes):
            return merge_outcomes(Status.PROVED, outcomes)
        return _undecided(outcomes, "; ".join(o.message for o in outcomes if o.message))


def _as_variable(unit: str) -> Expr:
    """`?m` -> the variable m, `?m^2` -> m^2 (the reading of a one-letter unit as a variable)."""
    letter, _, power = unit.removeprefix(MAYBE_VARIABLE).partition("^")
    return BinOp("^", Var(letter), Num(Fraction(int(power)))) if power else Var(letter)


def _in_common_units(gold: Scalar, prediction: Scalar, label: str) -> tuple[Scalar, Scalar] | Outcome:
    """Both values in one unit, or the outcome when units decide (different dimensions) or block.

    The same unit text on both sides, or a known unit on one side only (`5 cm` vs `5`), compares
    the numbers; known units of one dimension are converted (`2 km` = `2000 m`); known units of
    different dimensions differ; a word that is not a known unit matches only itself.
    """
    if gold.unit == prediction.unit:
        return gold, prediction
    units = [read_unit(u) if u else None for u in (gold.unit, prediction.unit)]
    for text, unit in zip((gold.unit, prediction.unit), units):
        if text and unit is None:
            return unknown_outcome(f"{label}: '{text}' is not a known unit")
    g_unit, p_unit = units
    if g_unit is None or p_unit is None:
        return gold, prediction
    if g_unit.dimension != p_unit.dimension:
        if any(d in TEMPERATURES for d, _ in g_unit.dimension + p_unit.dimension):
            return unknown_outcome(f"{label}: a temperature is compared only on its own scale")
        return structural_outcome(
            f"{label}: units of different dimensions ({gold.unit} and {prediction.unit})"
        )
    return (
        Scalar(BinOp("*", gold.expr, _exact_number(g_unit.factor)), gold.mark),
        Scalar(BinOp("*", prediction.expr, _exact_number(p_unit.factor)), prediction.mark),
    )


def _bare_in_another_unit(gold: Scalar, prediction: Scalar) -> str | None:
    """The unit word in which a bare number (one side has a known unit, the other none) is the
    same quantity as the other side (`0.5` vs `50 cents`: dollars), else None. Such a pair is
    undecided: the bare answer does not say its unit."""
    if bool(gold.unit) == bool(prediction.unit) or gold.mark or prediction.mark:
        return None
    bare, written = (gold, prediction) if prediction.unit else (prediction, gold)
    unit = read_unit(written.unit.removeprefix(MAYBE_VARIABLE))
    if unit is None or free_variables(bare.expr) or free_variables(written.expr):
        return None
    try:
        return same_quantity_unit(evaluate(bare.expr), evaluate(written.expr), unit)
    except (NotExact, TooLarge, Undefined):
        return None


def _exact_number(value: Fraction) -> Expr:
    """A positive rational as a claim term that prints exactly (`5/18`, not a rounded decimal)."""
    if value.denominator == 1:
        return Num(value)
    return BinOp("/", Num(Fraction(value.numerator)), Num(Fraction(value.denominator)))


def _undecided(parts: list[Outcome], message: str) -> Outcome:
    """Unknown: keep which backends were tried, but no claims (nothing was shown)."""
    return Outcome(Status.UNKNOWN, message=message, backends=set().union(*(p.backends for p in parts)))


# -------------------------------------------------------------------- helpers


#: Points tried when looking for one where every definedness condition holds.
_SAMPLES = tuple(Fraction(v) for v in ("1", "2", "1/2", "3", "-1", "-2", "5/3", "7", "0"))
_STEP = Fraction(1, 1000)


def _complex_outcome(gold: Expr, prediction: Expr, label: str) -> Outcome:
    same = compare_complex(gold, prediction)
    if same is True:
        return proved_outcome(
            "syntactic", backends={"complex-polynomial"}, message=f"{label}: equal complex numbers"
        )
    if same is False:
        outcome = structural_outcome(
            f"{label}: different complex numbers ({to_text(gold)} and {to_text(prediction)})"
        )
        outcome.backends = {"complex-polynomial"}
        return outcome
    return unknown_outcome(f"{label}: complex answers are compared only as exact a + bi")


def _nonzero_factors(condition: Formula) -> list[Expr]:
    """`a * b^2 != 0` -> [a, b]: the factors that must be non-zero ([] for other conditions).
    `cos(x)^2 != 0` holds wherever `cos(x) != 0` does, whatever cos is."""
    if not (
        isinstance(condition, Compare) and condition.ops == ("!=",) and condition.terms[1] == Num(Fraction(0))
    ):
        return []
    factors, stack = [], [condition.terms[0]]
    while stack:
        node = stack.pop()
        if isinstance(node, BinOp) and node.op == "*":
            stack.extend((node.left, node.right))
        elif (
            isinstance(node, BinOp)
            and node.op == "^"
            and isinstance(node.right, Num)
            and node.right.value > 0
        ):
            stack.append(node.left)
        elif isinstance(node, Neg):
            stack.append(node.arg)
        else:
            factors.append(node)
    return factors


def _polynomial_hole(condition: Formula) -> bool:
    """`p != 0` for a non-zero polynomial p: false only on a set of measure zero (finitely many
    points in one variable), the removable holes that answers may have (`(x^2-1)/(x-1)`)."""
    if not (isinstance(condition, Compare) and condition.ops == ("!=",)):
        return False
    left, right = condition.terms
    try:
        poly = polynomial.difference(left, right)
    except (polynomial.NotPolynomial, TooLarge, Undefined, NotExact):
        return False
    return bool(poly) and any(mono for mono in poly)


def _point_outside(gold: Expr, conditions: list[Formula]) -> dict[str, str] | None:
    """An exact sample point where the gold answer has a value and a condition fails."""
    names = sorted(free_variables(gold) | set().union(*(free_variables(c) for c in conditions)))
    for values in itertools.islice(itertools.product(_SAMPLES, repeat=len(names)), 64):
        env = dict(zip(names, values))
        try:
            evaluate(gold, env)
        except (NotExact, TooLarge, Undefined):
            continue
        for condition in conditions:
            try:
                if not truth(condition, env):
                    return {n: fraction_text(v) for n, v in env.items()}
            except (NotExact, TooLarge, Undefined):
                break
    return None


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


def defined_somewhere(expr: Expr) -> bool:
    """Whether `expr` has a value at some exact point (by evaluating it, or its conditions)."""
    if is_total(expr):
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


def outcome_from_verdict(verdict: Verdict, label: str) -> Outcome:
    backends = {verdict.backend}
    if verdict.status is Status.PROVED:
        return Outcome(Status.PROVED, claims=[verdict.certificate or {}], backends=backends)
    if verdict.status is Status.REFUTED:
        counterexample = {"component": label, "claim": verdict.claim, **(verdict.counterexample or {})}
        return Outcome(
            Status.REFUTED,
            claims=[verdict.certificate] if verdict.certificate else [],
            counterexample=counterexample,
            message=f"{label}: {verdict.claim} is false"
            + (f" ({verdict.message})" if verdict.message else ""),
            backends=backends,
        )
    return Outcome(Status.UNKNOWN, message=f"{label}: {verdict.message or 'undecided'}", backends=backends)


def merge_outcomes(status: Status, parts: list[Outcome], counterexample=None, message: str = "") -> Outcome:
    """Combine component outcomes; a proof without any claim rests on identical trees alone."""
    claims = [c for p in parts for c in p.claims]
    backends = set().union(*(p.backends for p in parts)) if parts else set()
    if claims:
        method = "claims"
    elif status is Status.PROVED:
        method, backends = "syntactic", backends or {"syntactic"}
    else:
        method = sorted({p.method for p in parts})[0] if parts else "structural"
    return Outcome(
        status,
        claims=claims,
        counterexample=counterexample,
        message=message,
        method=method,
        backends=backends,
    )
