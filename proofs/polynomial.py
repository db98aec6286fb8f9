"""Polynomial normal forms over the rationals: the cheap sound path for algebraic identities.

Variables and the constants pi and e are treated as independent indeterminates. That is sound
for proving: if two sides are the same polynomial, they agree at every value of the
indeterminates, including the real pi and e. It is *not* a refutation: a non-zero difference
only tells us where to look for a counterexample, which is then checked by exact evaluation.
Only total operations are normalised (division by a non-zero rational constant, non-negative
integer powers), so a polynomial identity is also well defined everywhere.
"""

from __future__ import annotations

import math
from fractions import Fraction

from proofs.claims import BinOp, Call, Const, Expr, Neg, Num, Var, free_variables, uses
from proofs.exact import DEFAULT_LIMITS, Limits, NotExact, TooLarge, Undefined, evaluate

Monomial = tuple[tuple[str, int], ...]  # sorted (indeterminate, exponent) pairs
Polynomial = dict[Monomial, Fraction]

MAX_TERMS = 2_000
MAX_DEGREE = 64


class NotPolynomial(Exception):
    """The expression is not a polynomial we normalise (or it would be too big)."""


#: The indeterminate that carries square roots: (RADICAL, s) stands for sqrt(s), s squarefree > 1.
RADICAL = "%sqrt"
#: Largest radicand whose square factors we extract (by trial division).
MAX_RADICAND = 10**12


def _mul_monomials(a: Monomial, b: Monomial) -> tuple[Monomial, int]:
    """The product monomial and an integer factor from sqrt(s1) * sqrt(s2) = g * sqrt(s1 s2 / g^2)."""
    powers = dict(a)
    factor = 1
    for name, exp in b:
        if name == RADICAL and name in powers:
            g = math.gcd(powers[name], exp)
            factor = g
            merged = powers[name] * exp // (g * g)
            if merged == 1:
                del powers[name]
            else:
                powers[name] = merged
        else:
            powers[name] = powers.get(name, 0) + exp
    return tuple(sorted(powers.items())), factor


def _degree(mono: Monomial) -> int:
    return sum(e for n, e in mono if n != RADICAL)


def _square_free(n: int) -> tuple[int, int]:
    """(k, s) with n = k^2 * s and s squarefree; NotPolynomial for radicands we do not factor."""
    if n > MAX_RADICAND:
        raise NotPolynomial("radicand too large to factor")
    k, s, p = 1, n, 2
    while p * p <= s:
        while s % (p * p) == 0:
            s //= p * p
            k *= p
        p += 1 if p == 2 else 2
    return k, s


def _sqrt(value: Fraction) -> Polynomial:
    """sqrt(p/q) = sqrt(p q) / q, with square factors taken out: a linear-independence basis."""
    if value < 0:
        raise NotPolynomial("square root of a negative number")
    if value == 0:
        return {}
    k, s = _square_free(value.numerator * value.denominator)
    coeff = Fraction(k, value.denominator)
    return {((RADICAL, s),): coeff} if s > 1 else {(): coeff}


def _add(p: Polynomial, q: Polynomial, sign: int = 1) -> Polynomial:
    out = dict(p)
    for mono, coeff in q.items():
        value = out.get(mono, Fraction(0)) + sign * coeff
        if value:
            out[mono] = value
        else:
            out.pop(mono, None)
    return out


def _mul(p: Polynomial, q: Polynomial) -> Polynomial:
    if len(p) * len(q) > MAX_TERMS * 4:
        raise NotPolynomial("product too large")
    out: Polynomial = {}
    for ma, ca in p.items():
        for mb, cb in q.items():
            mono, factor = _mul_monomials(ma, mb)
            if _degree(mono) > MAX_DEGREE:
                raise NotPolynomial("degree too large")
            value = out.get(mono, Fraction(0)) + ca * cb * factor
            if value:
                out[mono] = value
            else:
                out.pop(mono, None)
    if len(out) > MAX_TERMS:
        raise NotPolynomial("too many terms")
    return out


def _constant(value: Fraction) -> Polynomial:
    return {(): value} if value else {}


def normal_form(expr: Expr, limits: Limits = DEFAULT_LIMITS) -> Polynomial:
    """The expanded polynomial of `expr`; raises NotPolynomial for anything else."""
    match expr:
        case Num(value):
            return _constant(value)
        case Var(name):
            return {((name, 1),): Fraction(1)}
        case Const("pi" | "e" as name):
            return {((f"%{name}", 1),): Fraction(1)}  # '%' keeps them apart from variables
        case Neg(arg):
            return {m: -c for m, c in normal_form(arg, limits).items()}
        case BinOp("+", left, right):
            return _add(normal_form(left, limits), normal_form(right, limits))
        case BinOp("-", left, right):
            return _add(normal_form(left, limits), normal_form(right, limits), -1)
        case BinOp("*", left, right):
            return _mul(normal_form(left, limits), normal_form(right, limits))
        case BinOp("/", left, right):
            return _mul(normal_form(left, limits), _inverse(normal_form(right, limits)))
        case BinOp("^", base, exponent):
            n, half = _small_exponent(exponent, base, limits)
            factor = normal_form(base, limits)
            if half:
                factor = _sqrt(_closed_value(base, limits))
            if n < 0:
                factor, n = _inverse(factor), -n
            result: Polynomial = {(): Fraction(1)}
            for _ in range(n):
                result = _mul(result, factor)
            return result
        case Call("sqrt", (arg,)) if not _has_variables(arg):
            return _sqrt(_closed_value(arg, limits))
        case Call() if not _has_variables(expr):
            pass
        case _:
            raise NotPolynomial(f"not a polynomial: {type(expr).__name__}")
    try:  # a closed call such as 5! or sqrt(4): fold it exactly
        return _constant(evaluate(expr, None, limits))
    except (NotExact, TooLarge, Undefined) as exc:
        raise NotPolynomial(str(exc)) from exc


def _has_variables(expr: Expr) -> bool:
    return bool(free_variables(expr)) or uses(expr, constants=True)


def _closed_value(expr: Expr, limits: Limits) -> Fraction:
    if _has_variables(expr):
        raise NotPolynomial("not a constant")
    try:
        return evaluate(expr, None, limits)
    except (NotExact, TooLarge, Undefined) as exc:
        raise NotPolynomial(str(exc)) from exc


def _small_exponent(exponent: Expr, base: Expr, limits: Limits) -> tuple[int, bool]:
    """(n, half): the power is base^n, or sqrt(base)^n when `half` (a closed rational base).

    Negative exponents are allowed only where the inverse is a monomial constant (see
    `_inverse`), so the result stays well defined."""
    value = _closed_value(exponent, limits)
    half = value.denominator == 2
    if half:
        value *= 2
    if value.denominator != 1 or abs(value.numerator) > MAX_DEGREE:
        raise NotPolynomial("exponent is not a small integer or half-integer")
    return value.numerator, half


def _inverse(poly: Polynomial) -> Polynomial:
    """1 / (c * sqrt(s)) = sqrt(s) / (c s): only single non-zero constant terms are inverted."""
    if len(poly) != 1:
        raise NotPolynomial("division by a sum (or by zero)")
    ((mono, coeff),) = poly.items()
    if any(name != RADICAL for name, _ in mono):
        raise NotPolynomial("division by a non-constant")
    if not mono:
        return {(): 1 / coeff}
    s = mono[0][1]
    return {mono: 1 / (coeff * s)}


def difference(left: Expr, right: Expr, limits: Limits = DEFAULT_LIMITS) -> Polynomial:
    """left - right in normal form (empty dict means identically zero)."""
    return _add(normal_form(left, limits), normal_form(right, limits), -1)


def indeterminates(poly: Polynomial) -> set[str]:
    return {name for mono in poly for name, _ in mono}


def degree_in(poly: Polynomial, name: str) -> int:
    """The highest power of one indeterminate (not meaningful for RADICAL)."""
    return max((e for mono in poly for n, e in mono if n == name), default=0)


def evaluate_polynomial(poly: Polynomial, env: dict[str, Fraction]) -> Fraction:
    total = Fraction(0)
    for mono, coeff in poly.items():
        term = coeff
        for name, exp in mono:
            term *= env[name] ** exp
        total += term
    return total


def to_text(poly: Polynomial) -> str:
    """A readable rendering (for certificates and messages), e.g. `2*x^2 - y + 1/3`."""
    if not poly:
        return "0"
    parts = []
    for mono, coeff in sorted(poly.items(), key=lambda mc: (-_degree(mc[0]), mc[0])):
        factors = [
            f"sqrt({e})" if n == RADICAL else n.lstrip("%") + (f"^{e}" if e > 1 else "") for n, e in mono
        ]
        magnitude = abs(coeff)
        body = "*".join(factors) if factors and magnitude == 1 else "*".join([str(magnitude), *factors])
        parts.append(("- " if coeff < 0 else "+ ") + body)
    text = " ".join(parts)
    return text[2:] if text.startswith("+ ") else "-" + text[1:]
