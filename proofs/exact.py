"""Bounded exact rational evaluation: the small trusted kernel behind `proved` for closed claims.

Every value is a `Fraction`. Sizes are checked *before* a power, factorial or binomial is
computed, so `2^2^2^2^2^100` or `1000000!` stop in microseconds with `TooLarge` instead of
eating memory. A claim is true when it is well defined and holds: division by zero, the square
root of a negative number or `(-1)!` make the claim `Undefined`, which is not true. Connectives
short-circuit, so `x != 0 -> 1/x > 0` is defined at `x = 0`.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from fractions import Fraction

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
)


class NotExact(Exception):
    """The value is not a rational we can compute (a variable, pi, an irrational root...)."""


class TooLarge(Exception):
    """Computing the value would exceed the size limits."""


class Undefined(Exception):
    """The expression has no value (division by zero, sqrt(-1), (-1)!, ...)."""


@dataclass(frozen=True, kw_only=True)
class Limits:
    """Size bounds for exact evaluation; frozen so it can be a cache key."""

    max_bits: int = 100_000
    max_root_degree: int = 64

    def __post_init__(self) -> None:
        if self.max_bits < 64 or self.max_root_degree < 2:
            raise ValueError("Limits: max_bits must be >= 64 and max_root_degree >= 2")


DEFAULT_LIMITS = Limits()


def _size(value: Fraction) -> int:
    return value.numerator.bit_length() + value.denominator.bit_length()


def _check(value: Fraction, limits: Limits) -> Fraction:
    if _size(value) > limits.max_bits:
        raise TooLarge(f"an intermediate value exceeds {limits.max_bits} bits")
    return value


def integer_root(n: int, k: int) -> int | None:
    """The exact non-negative k-th root of n >= 0, or None if n is not a perfect k-th power."""
    if n < 2:
        return n
    guess = 1 << -(-n.bit_length() // k)  # an upper bound; Newton's method descends from it
    while True:
        better = ((k - 1) * guess + n // guess ** (k - 1)) // k
        if better >= guess:
            break
        guess = better
    return guess if guess**k == n else None


def _rational_root(value: Fraction, k: int) -> Fraction:
    if value < 0:
        if k % 2 == 0:
            raise Undefined(f"even root of a negative number ({_short(value)})")
        # Odd roots of negatives are real but conventions differ (SymPy's principal root is
        # complex), so we do not decide them exactly.
        raise NotExact("odd root of a negative number")
    num, den = integer_root(value.numerator, k), integer_root(value.denominator, k)
    if num is None or den is None:
        raise NotExact(f"the {k}-th root of {_short(value)} is irrational")
    return Fraction(num, den)


def _power(base: Fraction, exponent: Fraction, limits: Limits) -> Fraction:
    if exponent.denominator != 1:
        if exponent.denominator > limits.max_root_degree:
            raise NotExact("root degree too large")
        root = _rational_root(base, exponent.denominator)
        return _power(root, Fraction(exponent.numerator), limits)
    e = exponent.numerator
    if base == 0:
        if e < 0:
            raise Undefined("zero to a negative power")
        return Fraction(1) if e == 0 else Fraction(0)
    if base in (1, -1):
        return base ** (e % 2) if base == -1 else base
    bits = max(base.numerator.bit_length(), base.denominator.bit_length())
    if (bits - 1) * abs(e) > limits.max_bits:
        raise TooLarge(f"a power would exceed {limits.max_bits} bits")
    return _check(base**e, limits)


def _short(value: Fraction | int) -> str:
    """A number for a message: itself when short, else its size (huge ones cannot be printed)."""
    value = Fraction(value)
    bits = max(value.numerator.bit_length(), value.denominator.bit_length())
    return str(value) if bits <= 64 else f"a {bits}-bit number"


def _integer(value: Fraction, what: str) -> int:
    if value.denominator != 1:
        raise Undefined(f"{what} needs an integer, got {_short(value)}")
    return value.numerator


def _factorial(value: Fraction, limits: Limits) -> Fraction:
    n = _integer(value, "factorial")
    if n < 0:
        raise Undefined(f"factorial of a negative number ({_short(n)})")
    # n! has more than n bits for n >= 8, so a huge n is refused before lgamma could overflow
    if n > 20 and (n > limits.max_bits or math.lgamma(n + 1) / math.log(2) > limits.max_bits):
        raise TooLarge(f"{_short(n)}! would exceed {limits.max_bits} bits")
    return Fraction(math.factorial(n))


def _binomial(n_value: Fraction, k_value: Fraction, limits: Limits) -> Fraction:
    n, k = _integer(n_value, "binomial"), _integer(k_value, "binomial")
    if n < 0:
        raise NotExact("binomial of a negative number")
    if k < 0 or k > n:
        return Fraction(0)
    k = min(k, n - k)
    if k > 0 and k * (n.bit_length()) > limits.max_bits:
        raise TooLarge(f"binomial({_short(n)}, {_short(k)}) would exceed {limits.max_bits} bits")
    return Fraction(math.comb(n, k))


def _floor_mod(a: Fraction, b: Fraction) -> Fraction:
    if b == 0:
        raise Undefined("mod by zero")
    return a - b * math.floor(a / b)  # the sign follows the divisor, as in Python


def evaluate(expr: Expr, env: dict[str, Fraction] | None = None, limits: Limits = DEFAULT_LIMITS) -> Fraction:
    """The exact value of `expr` with variables taken from `env`.

    Raises NotExact (cannot compute exactly), TooLarge (limits) or Undefined (no value).
    """
    env = env or {}
    match expr:
        case Num(value):
            return value
        case Var(name):
            if name in env:
                return env[name]
            raise NotExact(f"variable {name} has no value")
        case Const(name):
            raise NotExact(f"the constant {name} is not rational")
        case Neg(arg):
            return -evaluate(arg, env, limits)
        case BinOp(op, left, right):
            a, b = evaluate(left, env, limits), evaluate(right, env, limits)
            if op == "+":
                return _check(a + b, limits)
            if op == "-":
                return _check(a - b, limits)
            if op == "*":
                return _check(a * b, limits)
            if op == "/":
                if b == 0:
                    raise Undefined("division by zero")
                return _check(a / b, limits)
            if op == "^":
                return _power(a, b, limits)
            if op == "mod":
                return _floor_mod(a, b)
        case Call(func, args):
            return _call(func, [evaluate(a, env, limits) for a in args], limits)
    raise NotExact(f"cannot evaluate {expr!r}")


def _call(func: str, values: list[Fraction], limits: Limits) -> Fraction:
    match func:
        case "sqrt":
            return _rational_root(values[0], 2)
        case "root":
            degree = _integer(values[1], "root degree")
            if degree < 1:
                raise Undefined("root degree must be positive")
            if degree > limits.max_root_degree:
                raise NotExact("root degree too large")
            return _rational_root(values[0], degree)
        case "abs":
            return abs(values[0])
        case "min":
            return min(values)
        case "max":
            return max(values)
        case "gcd" | "lcm":
            if any(v.denominator != 1 for v in values):
                raise NotExact(f"{func} of non-integers")
            a, b = values[0].numerator, values[1].numerator
            return Fraction(math.gcd(a, b) if func == "gcd" else math.lcm(a, b))
        case "floor":
            return Fraction(math.floor(values[0]))
        case "ceil":
            return Fraction(math.ceil(values[0]))
        case "mod":
            return _floor_mod(values[0], values[1])
        case "binomial":
            return _binomial(values[0], values[1], limits)
        case "factorial":
            return _factorial(values[0], limits)
        case "exp" if values[0] == 0:
            return Fraction(1)
        case "ln" | "log" if len(values) == 1 and values[0] == 1:
            return Fraction(0)
        case "sin" | "tan" if values[0] == 0:
            return Fraction(0)
        case "cos" if values[0] == 0:
            return Fraction(1)
    raise NotExact(f"{func} is not rational in general")


_RELATIONS = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


@dataclass
class Trace:
    """The exact values computed while deciding a claim: evidence a reader can follow."""

    steps: list[dict[str, str]] = field(default_factory=list)

    def record(self, expr: Expr, value: Fraction) -> None:
        self.steps.append({"expr": expr_text(expr), "value": fraction_text(value)})


#: Values longer than this (in bits) are shown in traces by size and digest, not digits.
MAX_SHOWN_BITS = 1_000


def _int_text(n: int) -> str:
    if n.bit_length() <= MAX_SHOWN_BITS:
        return str(n)
    digest = hashlib.sha256(format(n, "x").encode()).hexdigest()[:16]
    return f"<{'-' if n < 0 else ''}{n.bit_length()}-bit integer, sha256 {digest}>"


def fraction_text(value: Fraction) -> str:
    """Exact text for a value (`p` or `p/q`); huge parts appear as size and digest."""
    if value.denominator == 1:
        return _int_text(value.numerator)
    return f"{_int_text(value.numerator)}/{_int_text(value.denominator)}"


def parse_fraction(text: str) -> Fraction:
    """Inverse of `fraction_text` (digits and one '/', nothing else)."""
    return Fraction(text)


def truth(
    formula: Formula,
    env: dict[str, Fraction] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    trace: Trace | None = None,
) -> bool:
    """Whether a quantifier-free formula holds under `env` (raises NotExact/TooLarge/Undefined)."""
    env = env or {}
    match formula:
        case BoolConst(value):
            return value
        case Compare(ops, terms):
            values = []
            for term in terms:
                value = evaluate(term, env, limits)
                if trace is not None:
                    trace.record(term, value)
                values.append(value)
            return all(_RELATIONS[op](a, b) for op, a, b in zip(ops, values, values[1:]))
        case Member(elem, options):
            value = evaluate(elem, env, limits)
            if trace is not None:
                trace.record(elem, value)
            hits = False
            for option in options:
                option_value = evaluate(option, env, limits)
                if trace is not None:
                    trace.record(option, option_value)
                hits = hits or option_value == value
            return hits
        case Not(arg):
            return not truth(arg, env, limits, trace)
        case Connective(op, left, right):
            a = truth(left, env, limits, trace)
            if op == "and":
                return a and truth(right, env, limits, trace)
            if op == "or":
                return a or truth(right, env, limits, trace)
            if op == "->":
                return (not a) or truth(right, env, limits, trace)
            return a == truth(right, env, limits, trace)
        case Quantified():
            raise NotExact("quantifiers are not evaluated exactly")
    raise NotExact(f"cannot evaluate {formula!r}")


def sort_violation(env: dict[str, Fraction], variables: dict[str, str]) -> str | None:
    """Why `env` is not an assignment of `variables` (name -> `Int` | `Real`), or None if it is.

    A counterexample or witness must give every variable of the claim a value of its sort and
    nothing else: `n = 1/2` says nothing about a claim `forall n in Int: ...`.
    """
    if set(env) != set(variables):
        return f"assignment names {sorted(env)}, the claim's variables are {sorted(variables)}"
    for name, sort in variables.items():
        if sort == "Int" and env[name].denominator != 1:
            return f"{name} must be an integer"
    return None


def holds_at(formula: Formula, env: dict[str, Fraction], limits: Limits = DEFAULT_LIMITS) -> bool | None:
    """Whether a claim is true at `env` by exact evaluation: undefined counts as not true;
    None when exact evaluation cannot decide (irrational values, sizes, quantifiers)."""
    try:
        return truth(formula, env, limits)
    except Undefined:
        return False
    except (NotExact, TooLarge):
        return None
