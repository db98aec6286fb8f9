"""Number forms the claim language cannot read unambiguously are refused (issue 12 red team):
`.5e3` escaped the scientific-notation check (read as 0.5*e3, `.5e3 = 500` was refuted), and
`0x10` was read as 0*x10 (`0x10 = 0` proved, `0x10 = 16` refuted)."""

import pytest

from proofs.parsing import ParseFailure, parse_claim
from reasoning import verify


@pytest.mark.parametrize(
    "claim",
    [".5e3 = 500", ".5E-1 = 1/20", "x.5e3 = 1", "0x10 = 0", "0x10 = 16", "0b10 = 0", "0o7 = 7", "2*0xA = 20"],
)
def test_ambiguous_numbers_are_invalid(claim):
    assert isinstance(parse_claim(claim), ParseFailure)
    assert verify(claim).status.value == "invalid"


@pytest.mark.parametrize(
    ("claim", "status"),
    [
        (".5 = 1/2", "proved"),
        ("0*x = 0", "proved"),
        ("0 x10 = 0", "proved"),
        ("a0x1 = a0x1", "proved"),
        ("2.5*e = 5*e/2", "proved"),
    ],
)
def test_plain_numbers_and_names_still_read(claim, status):
    assert verify(claim).status.value == status
