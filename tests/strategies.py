"""Test-side generators of claims with a known truth value, built from independent oracles.

The general-purpose strategies live in `reasoning.strategies` (public, documented there); this
module keeps the shapes the older tests use: `exact_expressions()` as (tree, value) pairs, and
linear factors for polynomial identities checked against SymPy's expansion.
"""

from __future__ import annotations

from hypothesis import strategies as st

from proofs.claims import Compare, Expr, Var, expr_text
from reasoning import strategies as public
from reasoning.strategies import value_text


def exact_expressions(*, max_depth: int = 4) -> st.SearchStrategy[tuple[Expr, object]]:
    """(expression tree, its exact Fraction value): `reasoning.strategies.exact_expressions` as pairs."""
    return public.exact_expressions(max_depth=max_depth).map(lambda known: (known.tree, known.value))


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
