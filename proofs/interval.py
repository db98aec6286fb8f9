"""Interval arithmetic (mpmath.iv) for closed claims with pi, e, logarithms and trig functions.

An interval encloses the true value, so disjoint intervals *prove* two sides differ, and an
interval strictly below another proves `<`. Every partial operation must be shown defined on
its whole argument interval (denominators exclude 0, square roots and logarithms see
non-negative/positive arguments); otherwise the comparison is undecided. Floating-point
agreement (overlapping intervals) never proves equality: that stays `None` (unknown).
"""

from __future__ import annotations

import threading
from fractions import Fraction

from mpmath.ctx_iv import MPIntervalContext

from proofs.claims import (
    BinOp,
    BoolConst,
    Call,
    Compare,
    Connective,
    Const,
    Expr,
    Formula,
    Neg,
    Not,
    Var,
)
from proofs.exact import DEFAULT_LIMITS, NotExact, TooLarge, Undefined, evaluate

DEFAULT_DIGITS = 40
MAX_EXPONENT = 10_000
#: Intervals whose endpoints exceed 2^MAX_MAGNITUDE are not pursued (hostile towers).
MAX_MAGNITUDE = 1_000_000

_local = threading.local()


class Undecided(Exception):
    """Interval arithmetic cannot settle this (overlap, possible division by zero, ...)."""


def _context(digits: int) -> MPIntervalContext:
    """A per-thread interval context: mpmath's precision is context state, not thread-safe."""
    ctx = getattr(_local, "ctx", None)
    if ctx is None:
        ctx = _local.ctx = MPIntervalContext()
    ctx.dps = digits
    return ctx


def _from_fraction(ctx: MPIntervalContext, value: Fraction):
    return ctx.mpf(value.numerator) / ctx.mpf(value.denominator)


def _check_size(ctx: MPIntervalContext, x):
    for end in (x.a, x.b):
        if ctx.isinf(end) or ctx.isnan(end):
            raise Undecided("interval is unbounded")
        if end != 0 and abs(ctx.mag(end)) > MAX_MAGNITUDE:
            raise Undecided("interval endpoint too large")
    return x


def enclose(expr: Expr, env: dict[str, Fraction], ctx: MPIntervalContext):
    """An interval containing the value of `expr` (raises Undecided or Undefined)."""
    try:  # exact sub-terms are computed exactly and only then widened to intervals
        return _from_fraction(ctx, evaluate(expr, env, DEFAULT_LIMITS))
    except NotExact:
        pass
    except TooLarge as exc:
        raise Undecided(str(exc)) from exc
    match expr:
        case Const("pi"):
            return ctx.pi
        case Const("e"):
            return ctx.e
        case Neg(arg):
            return -enclose(arg, env, ctx)
        case BinOp(op, left, right) if op in "+-*/":
            a, b = enclose(left, env, ctx), enclose(right, env, ctx)
            if op == "+":
                return _check_size(ctx, a + b)
            if op == "-":
                return _check_size(ctx, a - b)
            if op == "*":
                return _check_size(ctx, a * b)
            _nonzero(b)
            return _check_size(ctx, a / b)
        case BinOp("^", base, exponent):
            return _power(base, exponent, env, ctx)
        case Call(func, args):
            return _call(func, args, env, ctx)
        case Var(name):
            raise Undecided(f"variable {name} has no value")
    raise Undecided(f"no interval rule for {type(expr).__name__}")


def _nonzero(x) -> None:
    if x.a <= 0 <= x.b:
        raise Undecided("a divisor may be zero")


def _power(base: Expr, exponent: Expr, env, ctx):
    try:
        n = evaluate(exponent, env, DEFAULT_LIMITS)
    except (NotExact, TooLarge):
        n = None
    b = enclose(base, env, ctx)
    if n is not None and n.denominator == 1:
        if abs(n.numerator) > MAX_EXPONENT:
            raise Undecided("exponent too large for interval arithmetic")
        if n < 0:
            _nonzero(b)
        return _check_size(ctx, b ** int(n.numerator))
    if b.a <= 0:
        raise Undecided("non-integer power of a base that may be non-positive")
    e = enclose(exponent, env, ctx) if n is None else _from_fraction(ctx, n)
    return _check_size(ctx, ctx.exp(e * ctx.log(b)))


def _call(func: str, args, env, ctx):
    values = [enclose(a, env, ctx) for a in args]
    x = values[0]
    match func:
        case "sqrt":
            if x.a < 0:
                raise Undecided("square root of a possibly negative value")
            return ctx.sqrt(x)
        case "exp":
            if x.b > MAX_MAGNITUDE:
                raise Undecided("exp argument too large")
            return ctx.exp(x)
        case "ln" | "log":
            if x.a <= 0:
                raise Undecided("logarithm of a possibly non-positive value")
            if len(values) == 1:
                return ctx.log(x)
            base = values[1]
            if base.a <= 0:
                raise Undecided("logarithm base may be non-positive")
            log_base = ctx.log(base)
            _nonzero(log_base)
            return ctx.log(x) / log_base
        case "sin":
            return ctx.sin(x)
        case "cos":
            return ctx.cos(x)
        case "tan":
            _nonzero(ctx.cos(x))
            return ctx.tan(x)
        case "abs":
            return ctx.mpf([0, max(abs(x.a), abs(x.b))]) if x.a <= 0 <= x.b else abs(x)
        case "min" | "max":
            lows = [v.a for v in values]
            highs = [v.b for v in values]
            pick = min if func == "min" else max
            return ctx.mpf([pick(lows), pick(highs)])
    raise Undecided(f"no interval rule for {func}")


def _link(op: str, a, b) -> bool | None:
    """Decide `a op b` for intervals: True/False when certain, None otherwise."""
    below, above = a.b < b.a, a.a > b.b
    disjoint = below or above
    if op == "=":
        return False if disjoint else None
    if op == "!=":
        return True if disjoint else None
    if op in ("<", "<="):
        if below or (op == "<=" and a.b <= b.a):
            return True
        if a.a > b.b or (op == "<" and a.a >= b.b):
            return False
        return None
    if below or (op == ">" and a.b <= b.a):
        return False
    if above or (op == ">=" and a.a >= b.b):
        return True
    return None


#: Outcomes of deciding a formula by intervals. NOT_TRUE: false or undefined, we may not know
#: which (enough to refute, not enough to negate). None: undecided.
TRUE, FALSE, NOT_TRUE = "true", "false", "not-true"


def _atom(formula: Compare, env: dict[str, Fraction], ctx: MPIntervalContext, shown: list[str]) -> str | None:
    boxes = []
    for term in formula.terms:
        try:
            boxes.append(enclose(term, env, ctx))
        except Undefined:
            return NOT_TRUE
        except (Undecided, ArithmeticError, ValueError):
            boxes.append(None)
    shown.extend(str(b) if b is not None else "?" for b in boxes)
    results = [
        None if a is None or b is None else _link(op, a, b) for op, a, b in zip(formula.ops, boxes, boxes[1:])
    ]
    defined = all(b is not None for b in boxes)  # every side enclosed: every partial op defined
    if any(r is False for r in results):
        return FALSE if defined else NOT_TRUE
    if all(r is True for r in results):
        return TRUE
    return None


def _decide(formula: Formula, env, ctx, shown: list[str]) -> str | None:
    """Sequential (left-to-right) logic over interval-decided comparisons."""
    if isinstance(formula, Compare):
        return _atom(formula, env, ctx, shown)
    if isinstance(formula, BoolConst):
        return TRUE if formula.value else FALSE
    if isinstance(formula, Not):
        inner = _decide(formula.arg, env, ctx, shown)
        return {TRUE: FALSE, FALSE: TRUE}.get(inner)
    if not isinstance(formula, Connective):
        return None
    a = _decide(formula.left, env, ctx, shown)
    op = formula.op
    if op == "and" and a in (FALSE, NOT_TRUE):
        return a
    if op == "or" and a == TRUE:
        return TRUE
    if op == "->" and a == FALSE:
        return TRUE
    b = _decide(formula.right, env, ctx, shown)
    if op == "and":
        if a == TRUE:
            return b
        return NOT_TRUE if b in (FALSE, NOT_TRUE) else None
    if op == "or":
        if a == FALSE:
            return b
        return NOT_TRUE if a == NOT_TRUE and b in (FALSE, NOT_TRUE) else None
    if op == "->":
        return b if a == TRUE else None
    if a in (TRUE, FALSE) and b in (TRUE, FALSE):
        return TRUE if a == b else FALSE
    return None


def decide_formula(
    formula: Formula, env: dict[str, Fraction] | None = None, digits: int = DEFAULT_DIGITS
) -> tuple[bool | None, list[str]]:
    """Decide a quantifier-free formula by intervals: (True/False/None, the intervals as text).

    False means "not true" (false or undefined), which is what refutation needs. True is
    returned only when every side was enclosed, which shows every partial operation defined.
    """
    shown: list[str] = []
    outcome = _decide(formula, env or {}, _context(digits), shown)
    if outcome is None:
        return None, shown
    return outcome == TRUE, shown
