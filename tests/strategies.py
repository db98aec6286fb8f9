"""Test-side generators of claims with a known truth value, built from independent oracles."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st

from proofs.claims import BinOp, Call, Compare, Expr, Neg, Num, Var, expr_text


@st.composite
def exact_expressions(draw, max_depth: int = 4) -> tuple[Expr, Fraction]:
    """(expression, its exact value), the value computed here with Fraction arithmetic."""
    if max_depth == 0 or draw(st.integers(0, 3)) == 0:
        if draw(st.booleans()):
            n = draw(st.integers(0, 1000))
            return Num(Fraction(n)), Fraction(n)
        cents = draw(st.integers(0, 10_000))
        value = Fraction(cents, 100)
        return Num(value), value
    kind = draw(st.sampled_from(["+", "-", "*", "/", "^", "neg", "abs", "max", "fact"]))
    left, a = draw(exact_expressions(max_depth=max_depth - 1))
    if kind == "neg":
        return Neg(left), -a
    if kind == "abs":
        return Call("abs", (left,)), abs(a)
    if kind == "fact":
        n = draw(st.integers(0, 12))
        return Call("factorial", (Num(Fraction(n)),)), Fraction(__import__("math").factorial(n))
    if kind == "^":
        e = draw(st.integers(-3, 4))
        if a == 0 and e < 0:
            e = -e
        exponent: Expr = Num(Fraction(e)) if e >= 0 else Neg(Num(Fraction(-e)))
        return BinOp("^", left, exponent), a**e
    right, b = draw(exact_expressions(max_depth=max_depth - 1))
    if kind == "max":
        return Call("max", (left, right)), max(a, b)
    if kind == "/":
        if b == 0:
            return BinOp("+", left, right), a + b
        return BinOp("/", left, right), a / b
    ops = {"+": a + b, "-": a - b, "*": a * b}
    return BinOp(kind, left, right), ops[kind]


def value_text(value: Fraction) -> str:
    """The value as claim text (a quotient of integers, negated if needed)."""
    text = (
        str(abs(value.numerator)) if value.denominator == 1 else f"{abs(value.numerator)}/{value.denominator}"
    )
    return f"-({text})" if value < 0 else f"({text})"


@st.composite
def polynomial_factors(draw, names=("x", "y")) -> list[tuple[int, str, int]]:
    """Linear factors (a*v + b) as (a, v, b) triples, a != 0."""
    count = draw(st.integers(1, 4))
    return [
        (draw(st.integers(-5, 5).filter(bool)), draw(st.sampled_from(names)), draw(st.integers(-5, 5)))
        for _ in range(count)
    ]


def equation(left: Expr, right_text: str) -> str:
    return f"{expr_text(left)} = {right_text}"


__all__ = ["Compare", "Var", "equation", "exact_expressions", "polynomial_factors", "value_text"]
