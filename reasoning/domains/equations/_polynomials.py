"""Exact multivariate polynomials: an expression tree expanded in its unknowns.

`polynomial(tree, names)` turns `(x + 1)^2 - 3*x*y` into `{exponent tuple: coefficient}` with
`Fraction` coefficients. It refuses (`NotPolynomialEquation`) division by an expression in the unknowns,
an exponent that is not a whole number or contains an unknown, and anything past the degree,
term and coefficient-size limits, before the oversized result is built. The `equations` domain
expands `left - right` of each equation with it, then hands one unknown to `real_roots` and a
system to `linear_systems` or `nonlinear_systems`.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from reasoning.domains.common._expressions import (
    ExpressionTooLarge,
    ExpressionUndefined,
    Node,
    NotRational,
    evaluate,
    variables,
)

#: Highest degree of an expanded polynomial, and most terms of a multivariate one.
MAX_DEGREE = 64
MAX_TERMS = 2_000
#: Largest numerator or denominator of a coefficient, in bits.
MAX_COEFF_BITS = 4_000


class NotPolynomialEquation(ValueError):
    """An equation that is not polynomial in its unknowns (or too large)."""


# A polynomial over unknowns (n0, n1, ...) is {exponent tuple: Fraction}, zero terms dropped.

Poly = dict[tuple[int, ...], Fraction]


def _clean(p: Poly) -> Poly:
    return {m: c for m, c in p.items() if c}


def add_polynomials(p: Poly, q: Poly, sign: int = 1) -> Poly:
    out = dict(p)
    for m, c in q.items():
        out[m] = out.get(m, Fraction(0)) + sign * c
    return _clean(out)


def _mul(p: Poly, q: Poly) -> Poly:
    if len(p) * len(q) > MAX_TERMS * 8:
        raise NotPolynomialEquation("the expanded polynomial has too many terms")
    out: Poly = {}
    for ma, ca in p.items():
        for mb, cb in q.items():
            m = tuple(a + b for a, b in zip(ma, mb))
            if sum(m) > MAX_DEGREE:
                raise NotPolynomialEquation(f"the degree exceeds {MAX_DEGREE}")
            out[m] = out.get(m, Fraction(0)) + ca * cb
    out = _clean(out)
    if len(out) > MAX_TERMS:
        raise NotPolynomialEquation("the expanded polynomial has too many terms")
    if any(max(c.numerator.bit_length(), c.denominator.bit_length()) > MAX_COEFF_BITS for c in out.values()):
        raise NotPolynomialEquation(f"a coefficient exceeds {MAX_COEFF_BITS} bits")
    return out


def degree(p: Poly) -> int:
    return max((sum(m) for m in p), default=-1)


def polynomial(node: Node, names: Sequence[str]) -> Poly:
    """The expanded polynomial of a tree in the unknowns `names`; NotPolynomialEquation otherwise."""
    zero = (0,) * len(names)
    kind = node[0]
    if kind == "num":
        return _clean({zero: node[1]})
    if kind == "var":
        if node[1] not in names:
            raise NotPolynomialEquation(f"{node[1]} is not an unknown")
        m = tuple(int(n == node[1]) for n in names)
        return {m: Fraction(1)}
    if kind == "neg":
        return {m: -c for m, c in polynomial(node[1], names).items()}
    if kind == "sum":
        out: Poly = {}
        for sign, child in node[1]:
            out = add_polynomials(out, polynomial(child, names), sign)
        return out
    if kind == "prod":
        out = {zero: Fraction(1)}
        for op, child in node[1]:
            factor = polynomial(child, names)
            if op == "/":
                if any(any(m) for m in factor) or not factor:
                    what = "zero" if not factor else "an expression in the unknowns"
                    raise NotPolynomialEquation(f"division by {what} (only polynomial equations are solved)")
                factor = {zero: 1 / factor[zero]}
            out = _mul(out, factor)
        return out
    if kind == "pow":
        if variables(node[2]):
            raise NotPolynomialEquation("an exponent with an unknown in it")
        try:
            exponent = evaluate(node[2])
        except (ExpressionTooLarge, ExpressionUndefined, NotRational) as exc:
            raise NotPolynomialEquation(f"the exponent has no value: {exc}") from None
        base = polynomial(node[1], names)
        if not any(any(m) for m in base):  # a constant: exact power (negative exponents too)
            try:
                return _clean(
                    {zero: evaluate(("pow", ("num", base.get(zero, Fraction(0)), ""), ("num", exponent, "")))}
                )
            except (ExpressionTooLarge, ExpressionUndefined, NotRational) as exc:
                raise NotPolynomialEquation(str(exc)) from None
        if exponent.denominator != 1 or exponent < 0:
            raise NotPolynomialEquation(f"the exponent {exponent} is not a whole number")
        if degree(base) * exponent > MAX_DEGREE:
            raise NotPolynomialEquation(f"the degree exceeds {MAX_DEGREE}")
        out = {zero: Fraction(1)}
        for _ in range(int(exponent)):
            out = _mul(out, base)
        return out
    raise NotPolynomialEquation(f"not an expression tree: {kind!r}")


def is_linear(p: Poly) -> bool:
    return degree(p) <= 1
