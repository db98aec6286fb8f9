"""A function name is never a variable, and scientific notation is refused as ambiguous (issue 12
red team): `cos 0 = 0` was read as the product cos*0 and proved, `1e3 = 1000` as 1*e3 and refuted."""

import pytest

from proofs.parsing import ParseFailure, parse_claim
from reasoning import verify


@pytest.mark.parametrize(
    "claim",
    [
        "cos 0 = 0",
        "exp 0 = 0",
        "sqrt 4 = 2",
        "max = 3",
        "forall sqrt in Real: sqrt >= 0",
        "1e3 = 1000",
        "2e-1 = 0.2",
    ],
)
def test_ambiguous_claims_are_invalid_not_decided(claim):
    assert isinstance(parse_claim(claim), ParseFailure)
    assert verify(claim).status.value == "invalid"


@pytest.mark.parametrize(
    ("claim", "status"),
    [
        ("cos(0) = 1", "proved"),
        ("cos(0) = 0", "refuted"),
        ("2e = 2*e", "proved"),
        ("7 mod 3 = 1", "proved"),
        ("e3 = e3", "proved"),
    ],
)
def test_function_calls_and_the_constant_e_still_read(claim, status):
    assert verify(claim).status.value == status
