"""proofs.domain: answers with variables are compared on their domains."""

import pytest

from proofs.claims import to_text
from proofs.domain import NoDomain, domain, equivalence_claim
from proofs.parsing import parse_claim
from solvers.dispatch import decide


def expr(text):
    return parse_claim(f"{text} = 0").terms[0]


@pytest.mark.parametrize(
    ("text", "condition"),
    [
        ("x + 1", "true"),
        ("1/x", "x != 0"),
        ("sqrt(x) / 6", "x >= 0"),
        ("ln(x - 1)", "x - 1 > 0"),
        ("1/(1/x)", "x != 0 and 1 / x != 0"),
        ("x^(-2)", "x != 0"),
        ("x^(1/2)", "x >= 0"),
    ],
)
def test_domain_conditions(text, condition):
    assert to_text(domain(expr(text))) == condition


def test_inexpressible_domains_raise():
    with pytest.raises(NoDomain):
        domain(expr("x^y"))
    with pytest.raises(NoDomain):
        domain(expr("x^(1/3)"))


@pytest.mark.parametrize(
    ("gold", "prediction", "status"),
    [
        ("1/x", "1/x", "proved"),
        ("(x + 8)/x", "1 + 8/x", "proved"),
        ("1/t + 1/s", "(t + s)/(t*s)", "proved"),
        ("sqrt(x)/6", "1/6 * sqrt(x)", "proved"),
        ("(x^2 - 1)/(x - 1)", "x + 1", "refuted"),  # different domains: x = 1
        ("1/x", "2/x", "refuted"),
        ("sqrt(x)", "sqrt(-x)", "refuted"),
        ("ln(x^2)", "2 ln(x)", "refuted"),
    ],
)
def test_equivalence_claims(gold, prediction, status):
    verdict = decide(equivalence_claim(expr(gold), expr(prediction)))
    assert verdict.status.value == status, verdict
