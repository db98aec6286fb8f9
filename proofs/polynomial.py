"""Polynomial normal forms over the rationals: the cheap sound path for algebraic identities.

Variables and the constants pi and e are treated as independent indeterminates. That is sound
for proving: if two sides are the same polynomial, they agree at every value of the
indeterminates, including the real pi and e. It is *not* a refutation: a non-zero difference
only tells us where to look for a counterexample, which is then checked by exact evaluation.
Only total operations are normalised (division by a non-zero rational constant, non-negative
integer powers), so a polynomial identity is also well defined everywhere.
"""

from __future__ import annotations

from fractions import Fraction

from proofs.claims import BinOp, Call, Const, Expr, Neg, Num, Var, free_variables, uses
from proofs.exact import DEFAULT_LIMITS, Limits, NotExact, TooLarge, Undefined, evaluate

Monomial = tuple[tuple[str, int], ...]  # sorted (indeterminate, exponent) pairs
Polynomial = dict[Monomial, Fraction]

MAX_TERMS = 2_000
MAX_DEGREE = 64


class NotPolynomial(Exception):
    """The expression is not a polynomial we normalise (or it would be too big)."""


def _mul_monomials(a: Monomial, b: Monomial) -> Monomial:
    powers = dict(a)
    for name, exp in b:
        powers[name] = powers.get(name, 0) + exp
    return tuple(sorted(powers.items()))


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
            mono = _mul_monomials(ma, mb)
            if sum(e for _, e in mono) > MAX_DEGREE:
                raise NotPolynomial("degree too large")
            value = out.get(mono, Fraction(0)) + ca * cb
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
            divisor = normal_form(right, limits)
            if set(divisor) - {()} or not divisor:
                raise NotPolynomial("division by a non-constant (or zero)")
            inverse = 1 / divisor[()]
            return {m: c * inverse for m, c in normal_form(left, limits).items()}
        case BinOp("^", base, exponent):
            n = _small_natural(exponent, limits)
            result: Polynomial = {(): Fraction(1)}
            factor = normal_form(base, limits)
            for _ in range(n):
                result = _mul(result, factor)
            return result
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


def _small_natural(exponent: Expr, limits: Limits) -> int:
    if _has_variables(exponent):
        raise NotPolynomial("non-constant exponent")
    try:
        value = evaluate(exponent, None, limits)
    except (NotExact, TooLarge, Undefined) as exc:
        raise NotPolynomial(str(exc)) from exc
    if value.denominator != 1 or not 0 <= value.numerator <= MAX_DEGREE:
        raise NotPolynomial("exponent is not a small natural number")
    return value.numerator


def difference(left: Expr, right: Expr, limits: Limits = DEFAULT_LIMITS) -> Polynomial:
    """left - right in normal form (empty dict means identically zero)."""
    return _add(normal_form(left, limits), normal_form(right, limits), -1)


def indeterminates(poly: Polynomial) -> set[str]:
    return {name for mono in poly for name, _ in mono}


def degree_in(poly: Polynomial, name: str) -> int:
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
    for mono, coeff in sorted(poly.items(), key=lambda mc: (-sum(e for _, e in mc[0]), mc[0])):
        factors = [n.lstrip("%") + (f"^{e}" if e > 1 else "") for n, e in mono]
        magnitude = abs(coeff)
        body = "*".join(factors) if factors and magnitude == 1 else "*".join([str(magnitude), *factors])
        parts.append(("- " if coeff < 0 else "+ ") + body)
    text = " ".join(parts)
    return text[2:] if text.startswith("+ ") else "-" + text[1:]
