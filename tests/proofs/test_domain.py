"""proofs.definedness: where expressions are defined, as claim-language conditions."""

import pytest

from proofs.claims import to_text
from proofs.definedness import definedness_conditions
from proofs.parsing import parse_claim


def expr(text):
    return parse_claim(f"{text} = 0").terms[0]


@pytest.mark.parametrize(
    ("text", "conditions"),
    [
        ("x + 1", []),
        ("1/x", ["x != 0"]),
        ("sqrt(x) / 6", ["x >= 0"]),
        ("ln(x - 1)", ["x - 1 > 0"]),
        ("1/(1/x)", ["x != 0", "1 / x != 0"]),
        ("x^(-2)", ["x != 0"]),
        ("x^(1/2)", ["x >= 0"]),
        ("tan(x)", ["cos(x) != 0"]),
        ("log(x, b)", ["x > 0", "b > 0", "b != 1"]),
        ("n!", ["floor(n) = n", "n >= 0"]),
        ("1/2 + x", []),
    ],
)
def test_conditions_are_listed_inner_first(text, conditions):
    assert [to_text(c) for c in definedness_conditions(expr(text))] == conditions


def test_closed_conditions_only_on_request():
    assert definedness_conditions(expr("1/0")) == []
    assert [to_text(c) for c in definedness_conditions(expr("1/0"), closed=True)] == ["0 != 0"]


@pytest.mark.parametrize("text", ["x^y", "x^(1/3)", "root(x, 3)"])
def test_inexpressible_domains_give_none(text):
    assert definedness_conditions(expr(text)) is None
