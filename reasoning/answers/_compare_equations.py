"""Equations, compared for `equivalent` (`reasoning.answers._equivalence`) by their solution sets.

Two equations have the same solution set when `c * (lhs1 - rhs1) = lhs2 - rhs2` is a polynomial
identity for a non-zero rational c read off the coefficients; different when an exact point
satisfies one equation and not the other; otherwise unknown.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

from proofs import polynomial
from proofs.claims import BinOp, Call, Compare, Expr, Neg, Var
from proofs.exact import NotExact, TooLarge, Undefined, evaluate, fraction_text
from proofs.verdict import Status
from reasoning.answers._answers import Answer, Assignment, Equation, Scalar
from reasoning.answers._judge import (
    Judge,
    Outcome,
    merge_outcomes,
    number_expr,
    outcome_from_verdict,
    proved_outcome,
    unknown_outcome,
)

#: Integer grid values tried per variable when looking for a point on one equation only.
GRID = tuple(Fraction(v) for v in (0, 1, -1, 2, -2, 3, 5, -3, 7))


def compare_equations(judge: Judge, gold: Equation, prediction: Equation) -> Outcome:
    """Whether two equations have the same solution set (see the module docstring)."""
    d1 = BinOp("-", gold.lhs, gold.rhs)
    d2 = BinOp("-", prediction.lhs, prediction.rhs)
    try:
        p1, p2 = polynomial.normal_form(d1), polynomial.normal_form(d2)
    except polynomial.NotPolynomial:
        return unknown_outcome("equations that are not polynomial are not compared")
    if any(n.startswith("%") for n in polynomial.indeterminates(p1) | polynomial.indeterminates(p2)):
        return unknown_outcome("equations with pi or e are not compared")
    if p1 and p2:
        mono = max(p1)
        factor = p2.get(mono, Fraction(0)) / p1[mono]
        if factor:
            claim = Compare(("=",), (BinOp("*", number_expr(factor), d1), d2))
            verdict = judge.decide(claim)
            if verdict.status is Status.PROVED:
                outcome = outcome_from_verdict(verdict, "proportional")
                outcome.message = f"prediction = {fraction_text(factor)} * gold (as lhs - rhs)"
                return outcome
    elif not p1 and not p2:
        return proved_outcome("claims", message="both equations hold everywhere", backends={"polynomial"})
    names = sorted(polynomial.indeterminates(p1) | polynomial.indeterminates(p2))
    for on, off, where in ((gold, prediction, "gold"), (prediction, gold, "prediction")):
        p_on = p1 if on is gold else p2
        point = _point_on(p_on, names)
        if point is None:
            continue
        if _holds_exactly(off, point) is not False:
            continue
        env = {n: number_expr(v) for n, v in point.items()}
        member = judge.decide(Compare(("=",), (_substitute(on.lhs, env), _substitute(on.rhs, env))))
        absent = judge.decide(Compare(("!=",), (_substitute(off.lhs, env), _substitute(off.rhs, env))))
        outcomes = [outcome_from_verdict(member, "on"), outcome_from_verdict(absent, "off")]
        if all(o.status is Status.PROVED for o in outcomes):
            assignment = {n: fraction_text(v) for n, v in point.items()}
            counterexample = {"assignment": assignment, "satisfies": where}
            return merge_outcomes(
                Status.REFUTED,
                outcomes,
                counterexample,
                f"the point {assignment} is only on the {where} equation",
            )
    return unknown_outcome("could not show the equations have the same or different solution sets")


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


def as_equation(answer: Answer) -> Equation | None:
    match answer:
        case Equation():
            return answer
        case Assignment(name, Scalar(expr, "")):
            return Equation(Var(name), expr)
    return None
