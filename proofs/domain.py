"""Where an expression is defined, written as a claim-language formula.

Used to compare answers that contain variables: `1/x` and `\\frac{1}{x}` are the same answer
even though `1/x = 1/x` is refuted at `x = 0` (a claim is true only where it is defined). Two
expressions are equivalent when they are defined at the same points and agree there:

    (D(g) <-> D(p)) and (D(g) -> g = p)

The conditions are listed inner operations first and joined with `and`, which is read left to
right, so each condition is itself defined wherever the ones before it hold.
"""

from __future__ import annotations

from fractions import Fraction

from proofs.claims import (
    BinOp,
    BoolConst,
    Call,
    Compare,
    Connective,
    Expr,
    Formula,
    Neg,
    Num,
    free_variables,
)
from proofs.exact import NotExact, TooLarge, Undefined, evaluate, truth

ZERO, ONE = Num(Fraction(0)), Num(Fraction(1))


class NoDomain(Exception):
    """The definedness condition cannot be written in the claim language."""


def _cmp(op: str, left: Expr, right: Expr) -> Formula:
    return Compare((op,), (left, right))


def _integer(expr: Expr) -> Formula:
    return _cmp("=", Call("floor", (expr,)), expr)


def _conditions(expr: Expr, out: list[Formula]) -> None:
    match expr:
        case Neg(arg):
            _conditions(arg, out)
        case BinOp(op, left, right):
            _conditions(left, out)
            _conditions(right, out)
            if op in ("/", "mod"):
                out.append(_cmp("!=", right, ZERO))
            elif op == "^":
                _power_conditions(left, right, out)
        case Call(func, args):
            for arg in args:
                _conditions(arg, out)
            _call_conditions(func, args, out)


def _power_conditions(base: Expr, exponent: Expr, out: list[Formula]) -> None:
    if free_variables(exponent):
        raise NoDomain("a variable exponent")
    try:
        value = evaluate(exponent)
    except (NotExact, TooLarge, Undefined) as exc:
        raise NoDomain(str(exc)) from exc
    if value.denominator != 1:
        if value.denominator % 2 == 1:
            raise NoDomain("odd roots of negative numbers have no agreed value")
        out.append(_cmp(">" if value < 0 else ">=", base, ZERO))
    elif value < 0:
        out.append(_cmp("!=", base, ZERO))


def _call_conditions(func: str, args: tuple[Expr, ...], out: list[Formula]) -> None:
    match func:
        case "sqrt" | "root":
            if func == "root":
                try:
                    degree = evaluate(args[1])
                except (NotExact, TooLarge, Undefined) as exc:
                    raise NoDomain(str(exc)) from exc
                if degree.denominator != 1 or degree.numerator % 2 == 1:
                    raise NoDomain("odd or non-integer root degree")
            out.append(_cmp(">=", args[0], ZERO))
        case "ln":
            out.append(_cmp(">", args[0], ZERO))
        case "log":
            out.append(_cmp(">", args[0], ZERO))
            if len(args) == 2:
                out.append(_cmp(">", args[1], ZERO))
                out.append(_cmp("!=", args[1], ONE))
        case "tan":
            out.append(_cmp("!=", Call("cos", args), ZERO))
        case "factorial":
            out.append(_integer(args[0]))
            out.append(_cmp(">=", args[0], ZERO))
        case "binomial" | "gcd" | "lcm":
            out.extend(_integer(a) for a in args)
            if func == "binomial":
                out.append(_cmp(">=", args[0], ZERO))


def _surely_true(condition: Formula) -> bool:
    """A closed condition that holds exactly (such as `6 != 0`) says nothing; drop it."""
    if free_variables(condition):
        return False
    try:
        return truth(condition)
    except (NotExact, TooLarge, Undefined):
        return False


def domain(expr: Expr) -> Formula:
    """A formula that holds exactly where `expr` is defined (raises NoDomain if inexpressible)."""
    conditions: list[Formula] = []
    _conditions(expr, conditions)
    unique = [c for c in dict.fromkeys(conditions) if not _surely_true(c)]
    if not unique:
        return BoolConst(True)
    result = unique[0]
    for condition in unique[1:]:
        result = Connective("and", result, condition)
    return result


def equivalence_claim(gold: Expr, prediction: Expr) -> Formula:
    """`gold` and `prediction` are defined at the same points and agree there.

    For expressions defined everywhere this is simply `gold = prediction`.
    """
    same = Compare(("=",), (gold, prediction))
    try:
        dg, dp = domain(gold), domain(prediction)
    except NoDomain:
        return same
    if dg == dp == BoolConst(True):
        return same
    return Connective("and", Connective("<->", dg, dp), Connective("->", dg, same))
