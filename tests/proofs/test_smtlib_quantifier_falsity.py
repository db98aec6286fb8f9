"""A `forall` is false only where its body is defined and false (proofs.smtlib): a body that is
merely undefined somewhere made `not (forall ...)` proved, so a claim and its classical
equivalent (`exists ...: not ...`) got opposite verdicts, and `reason run --text` certified
`not (forall x in Real: 1/x > 0 -> x > 0)` (issue 12 red team)."""

import pytest

from proofs.check import check_certificate
from reasoning import verify

NOT_PROVED = [
    "not (forall x in Real: 1/x > 0 -> x > 0)",
    "not (forall y in Real: 1/y = 1/y)",
    "(forall x in Real: 1/x = 1/x) -> 1 = 2",
    "not (forall x in Real: x^2 >= 0)",
]
PROVED = [
    "not (forall x in Real: x^2 > 0)",
    "not (forall x in Int: x > 0)",
    "not (forall x in Real: x != 0 -> 1/x > 0)",
    "(forall x in Int: 2*x = 1) or 1 = 1",
]


@pytest.mark.parametrize("claim", NOT_PROVED)
def test_an_undefined_point_does_not_prove_a_negated_forall(claim):
    assert verify(claim).status.value != "proved"


@pytest.mark.parametrize("claim", PROVED)
def test_a_defined_false_point_still_refutes_a_forall(claim):
    verdict = verify(claim)
    assert verdict.status.value == "proved"
    assert check_certificate(verdict.certificate, use_cvc5=False).ok


def test_negated_forall_agrees_with_its_exists_form():
    negated = verify("not (forall x in Real: 1/x > 0 -> x > 0)")
    existential = verify("exists x in Real: not (1/x > 0 -> x > 0)")
    assert negated.status.value == existential.status.value == "refuted"
