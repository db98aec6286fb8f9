"""Complex answers `a + bi`, compared exactly: `14+14i` = `14(1+i)`, `3+4i` != `4+3i`.

The imaginary unit `i` becomes an indeterminate, `gold - prediction` is expanded as a polynomial
(`proofs.polynomial`), and i^2 is replaced by -1 until every power of i is 0 or 1. A zero result
proves the answers equal (the same rewriting holds in the complex numbers). A remainder
`c0 + c1 i` with rational c0, c1 not both zero proves them different. Anything else (other
variables, radicals, division by a complex number) decides nothing.
"""

from __future__ import annotations

from fractions import Fraction

from proofs import polynomial
from proofs.claims import BinOp, Call, Const, Expr, Neg, Var, walk
from proofs.exact import NotExact, TooLarge, Undefined

_I = "#i"


def mentions_i(expr: Expr) -> bool:
    """Whether the imaginary unit occurs in `expr`."""
    return any(node == Const("i") for node in walk(expr))


def _real_form(expr: Expr) -> Expr:
    match expr:
        case Const("i"):
            return Var(_I)
        case Neg(arg):
            return Neg(_real_form(arg))
        case BinOp(op, left, right):
            return BinOp(op, _real_form(left), _real_form(right))
        case Call(func, args):
            return Call(func, tuple(_real_form(a) for a in args))
    return expr


def _reduce(poly: polynomial.Polynomial) -> polynomial.Polynomial:
    out: polynomial.Polynomial = {}
    for mono, coefficient in poly.items():
        powers = dict(mono)
        k = powers.pop(_I, 0)
        if k % 4 >= 2:
            coefficient = -coefficient
        if k % 2:
            powers[_I] = 1
        key = tuple(sorted(powers.items()))
        out[key] = out.get(key, Fraction(0)) + coefficient
        if not out[key]:
            del out[key]
    return out


def compare_complex(gold: Expr, prediction: Expr) -> bool | None:
    """True: equal; False: different complex numbers; None: not decided here."""
    try:
        difference = polynomial.normal_form(BinOp("-", _real_form(gold), _real_form(prediction)))
    except (polynomial.NotPolynomial, NotExact, TooLarge, Undefined, ZeroDivisionError):
        return None
    reduced = _reduce(difference)
    if not reduced:
        return True
    if all(name == _I for mono in reduced for name, _ in mono):
        return False  # c0 + c1 i with rational c0, c1 not both zero
    return None
