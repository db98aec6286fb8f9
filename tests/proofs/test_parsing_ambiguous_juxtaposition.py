"""Juxtapositions the claim language cannot read unambiguously are refused (issue 12, third red
team): `3!! = 720` was proved and `5!! = 15` refuted (read as (n!)!, not the double factorial),
`4!=25` was proved (read as 4 != 25, not 4! = 25), and `10 000 = 0` and `1 1/2 = 1/2` were
proved (a number after a number read as a product, not thousands groups or a mixed number)."""

import pytest

from proofs.parsing import ParseFailure, parse_claim
from reasoning import verify


@pytest.mark.parametrize(
    "claim",
    [
        *("3!! = 720", "5!! = 15", "3! ! = 720", "3!!=720", "4!=25", "2!=2", "x!=2", "(3)!=6", "n'!=1"),
        *("10 000 = 0", "1 000 000 = 1000000", "1 1/2 = 1/2", "2 3 = 6", "0.5 2 = 1", "2 .5 = 1"),
    ],
)
def test_ambiguous_factorial_signs_are_invalid(claim):
    assert isinstance(parse_claim(claim), ParseFailure)
    assert verify(claim).status.value == "invalid"


@pytest.mark.parametrize(
    ("claim", "status"),
    [
        ("(3!)! = 720", "proved"),
        ("3! != 6", "refuted"),
        ("3! !=6", "refuted"),
        ("4! = 24", "proved"),
        ("x != x + 1", "proved"),
        ("3!^2 = 36", "proved"),
        ("3 (4) = 12", "proved"),
        ("2 x = x + x", "proved"),
        ("x1 2 = 2*x1", "proved"),
        ("x in {1, 2} -> x < 3", "proved"),
    ],
)
def test_spaced_factorials_and_not_equal_still_read(claim, status):
    assert verify(claim).status.value == status
