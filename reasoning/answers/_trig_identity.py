"""Trigonometric identities decided by algebra, before any solver: `\\tan^2 x + 1` = `\\sec^2 x`.

Each side is rewritten as a quotient of polynomials in sin A and cos A (one pair per distinct
argument A; tan, cot, sec and csc become quotients), other calls and non-integer powers become
opaque atoms, and the numerator of `gold - prediction` is reduced modulo sin^2 A + cos^2 A - 1.
A zero remainder proves the two sides equal wherever both are defined (sin^2 + cos^2 = 1 holds
at every real argument); anything else decides nothing (other identities, such as the double
angle formulas, are left to the solvers). Exact rational arithmetic only, microseconds.
"""

from __future__ import annotations

from fractions import Fraction

from proofs import polynomial
from proofs.claims import BinOp, Call, Const, Expr, Neg, Num, Var, free_variables, walk
from proofs.exact import NotExact, TooLarge, Undefined

_TRIG = frozenset({"sin", "cos", "tan", "cot", "sec", "csc"})
_ONE = Num(Fraction(1))
#: Largest integer power expanded.
MAX_POWER = 12
#: Largest expansion attempted (an upper bound on monomials, and on total degree): a product of
#: forty sums `(\\sin x + \\cos x)(\\sin x + \\cos x)...` would otherwise expand to 2^40 terms.
MAX_TERMS = 4096
MAX_DEGREE = 48


class _NotRational(Exception):
    """The expression is outside quotients of polynomials in the atoms."""


class _Atoms:
    """Names for sin A, cos A and opaque sub-expressions (names no answer can spell)."""

    def __init__(self) -> None:
        self.arguments: dict[Expr, int] = {}
        self.opaque: dict[Expr, str] = {}

    def trig(self, func: str, arg: Expr) -> tuple[Expr, Expr]:
        k = self.arguments.setdefault(arg, len(self.arguments))
        s, c = Var(f"#s{k}"), Var(f"#c{k}")
        return {
            "sin": (s, _ONE),
            "cos": (c, _ONE),
            "tan": (s, c),
            "cot": (c, s),
            "sec": (_ONE, c),
            "csc": (_ONE, s),
        }[func]

    def atom(self, expr: Expr) -> Var:
        return Var(self.opaque.setdefault(expr, f"#a{len(self.opaque)}"))


def _mul(a: Expr, b: Expr) -> Expr:
    if a == _ONE:
        return b
    return a if b == _ONE else BinOp("*", a, b)


def _quotient(expr: Expr, atoms: _Atoms) -> tuple[Expr, Expr]:
    """(numerator, denominator) with only +, -, * and integer powers of atoms inside."""
    match expr:
        case Num() | Var() | Const():
            return expr, _ONE
        case Neg(arg):
            n, d = _quotient(arg, atoms)
            return Neg(n), d
        case BinOp("+" | "-" as op, left, right):
            (a, b), (c, d) = _quotient(left, atoms), _quotient(right, atoms)
            if b == d:
                return BinOp(op, a, c), b
            return BinOp(op, _mul(a, d), _mul(c, b)), _mul(b, d)
        case BinOp("*", left, right):
            (a, b), (c, d) = _quotient(left, atoms), _quotient(right, atoms)
            return _mul(a, c), _mul(b, d)
        case BinOp("/", left, right):
            (a, b), (c, d) = _quotient(left, atoms), _quotient(right, atoms)
            return _mul(a, d), _mul(b, c)
        case BinOp("^", base, Num(value)) if value.denominator == 1 and abs(value) <= MAX_POWER:
            n, d = _quotient(base, atoms)
            power = Num(Fraction(abs(value)))
            n, d = BinOp("^", n, power), BinOp("^", d, power)
            return (n, d) if value >= 0 else (d, n)
        case Call(func, (arg,)) if func in _TRIG:
            return atoms.trig(func, arg)
        case Call() if not free_variables(expr) and not _mentions_trig(expr):
            return expr, _ONE  # a closed call such as sqrt(2): the normal form folds it
        case Call() | BinOp():
            return atoms.atom(expr), _ONE
    raise _NotRational(type(expr).__name__)


def _size(expr: Expr) -> tuple[int, int]:
    """Upper bounds on the monomials and the total degree of `expr` expanded (a `_quotient` part)."""
    match expr:
        case Neg(arg):
            return _size(arg)
        case BinOp("+" | "-", left, right):
            (t1, d1), (t2, d2) = _size(left), _size(right)
            return t1 + t2, max(d1, d2)
        case BinOp("*", left, right):
            (t1, d1), (t2, d2) = _size(left), _size(right)
            return min(t1 * t2, MAX_TERMS + 1), d1 + d2
        case BinOp("^", base, Num(value)):
            t, d = _size(base)
            k = int(abs(value))
            return (MAX_TERMS + 1 if t > 1 and k * t.bit_length() > 13 else min(t**k, MAX_TERMS + 1)), d * k
        case Var():
            return 1, 1
    return 1, 0


def _reduce(poly: polynomial.Polynomial, pairs: int) -> polynomial.Polynomial:
    """`poly` modulo s_k^2 + c_k^2 - 1 for every k: no monomial keeps s_k^2 or a higher power."""
    work = dict(poly)
    out: polynomial.Polynomial = {}
    while work:
        mono, coefficient = work.popitem()
        powers = dict(mono)
        name = next((f"#s{k}" for k in range(pairs) if powers.get(f"#s{k}", 0) >= 2), None)
        if name is None:
            out[mono] = out.get(mono, Fraction(0)) + coefficient
            if not out[mono]:
                del out[mono]
            continue
        cos_name = "#c" + name[2:]
        powers[name] -= 2  # s^2 -> 1 - c^2
        lowered = tuple(sorted((n, p) for n, p in powers.items() if p))
        powers[cos_name] = powers.get(cos_name, 0) + 2
        raised = tuple(sorted((n, p) for n, p in powers.items() if p))
        for key, value in ((lowered, coefficient), (raised, -coefficient)):
            work[key] = work.get(key, Fraction(0)) + value
            if not work[key]:
                del work[key]
    return out


def _mentions_trig(expr: Expr) -> bool:
    return any(isinstance(n, Call) and n.func in _TRIG for n in walk(expr))


def trig_identity(gold: Expr, prediction: Expr) -> bool:
    """Whether `gold = prediction` wherever both are defined, shown by the rewrite above.

    False means "not shown", never "different".
    """
    if not (_mentions_trig(gold) or _mentions_trig(prediction)):
        return False
    atoms = _Atoms()
    try:
        (a, b), (c, d) = _quotient(gold, atoms), _quotient(prediction, atoms)
        pairs = len(atoms.arguments)
        for part in (a, b, c, d):
            terms, degree = _size(part)
            if terms > MAX_TERMS or degree > MAX_DEGREE:
                return False
        difference = _reduce(polynomial.normal_form(BinOp("-", _mul(a, d), _mul(c, b))), pairs)
        if difference:
            return False
        # Denominators that vanish identically would make both sides undefined everywhere.
        return all(_reduce(polynomial.normal_form(den), pairs) for den in (b, d))
    except (_NotRational, polynomial.NotPolynomial, NotExact, TooLarge, Undefined, ZeroDivisionError):
        return False
