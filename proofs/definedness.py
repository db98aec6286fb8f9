"""Where an expression is defined, written as claim-language conditions.

A claim is true only where it is defined, so `3/x = 3/x` is refuted at `x = 0`. Comparing
answers needs the other reading: two answers with variables agree where they are defined. This
module writes "where they are defined" as conditions (`x != 0`, `x - 1 >= 0`, ...), listed inner
operations first, so that joined with `and` (read left to right) each condition is itself
defined wherever the ones before it hold. It mirrors the semantics of `proofs.exact` and
`proofs.smtlib`.
"""

from __future__ import annotations

from fractions import Fraction

from proofs.claims import BinOp, Call, Compare, Expr, Formula, Num, children, free_variables
from proofs.exact import NotExact, TooLarge, Undefined, evaluate

ZERO, ONE = Num(Fraction(0)), Num(Fraction(1))


class NoDomain(Exception):
    """The definedness condition cannot be written in the claim language."""


def _cmp(op: str, left: Expr, right: Expr) -> Compare:
    return Compare((op,), (left, right))


def _constant(expr: Expr) -> Fraction:
    try:
        return evaluate(expr)
    except (NotExact, TooLarge, Undefined) as exc:
        raise NoDomain(str(exc)) from exc


def _own_conditions(expr: Expr) -> list[Compare]:
    """The conditions for the outermost operation of `expr` (its arguments already checked)."""
    match expr:
        case BinOp("/" | "mod", _, right):
            return [_cmp("!=", right, ZERO)]
        case BinOp("^", base, exponent):
            if free_variables(exponent):
                raise NoDomain("a variable exponent")
            value = _constant(exponent)
            if value.denominator != 1:
                if value.denominator % 2 == 1:
                    raise NoDomain("odd roots of negative numbers have no agreed value")
                return [_cmp(">" if value < 0 else ">=", base, ZERO)]
            return [_cmp("!=", base, ZERO)] if value < 0 else []
        case Call("sqrt", (radicand,)):
            return [_cmp(">=", radicand, ZERO)]
        case Call("root", (radicand, degree)):
            n = _constant(degree)
            if n.denominator != 1 or n.numerator % 2 == 1:
                raise NoDomain("odd or non-integer root degree")
            return [_cmp(">=", radicand, ZERO)]
        case Call("ln", (arg,)) | Call("log", (arg,)):
            return [_cmp(">", arg, ZERO)]
        case Call("log", (arg, base)):
            return [_cmp(">", arg, ZERO), _cmp(">", base, ZERO), _cmp("!=", base, ONE)]
        case Call("tan", (arg,)):
            return [_cmp("!=", Call("cos", (arg,)), ZERO)]
        case Call("factorial", (arg,)):
            return [_cmp("=", Call("floor", (arg,)), arg), _cmp(">=", arg, ZERO)]
        case Call("binomial" | "gcd" | "lcm" as func, args):
            integral = [_cmp("=", Call("floor", (a,)), a) for a in args]
            return [*integral, _cmp(">=", args[0], ZERO)] if func == "binomial" else integral
    return []


def definedness_conditions(*exprs: Expr, closed: bool = False) -> list[Formula] | None:
    """Conditions that hold exactly where all of `exprs` are defined, inner operations first.

    Conditions without variables are left out (a claim decides those exactly by itself) unless
    `closed` is set. Returns None when a condition cannot be written (`x^y`, odd roots).
    """
    out: list[Formula] = []

    def visit(expr: Expr) -> None:
        for child in children(expr):
            visit(child)
        for condition in _own_conditions(expr):
            if closed or free_variables(condition):
                out.append(condition)

    try:
        for expr in exprs:
            visit(expr)
    except NoDomain:
        return None
    return list(dict.fromkeys(out))
