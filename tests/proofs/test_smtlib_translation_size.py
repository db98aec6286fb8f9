"""The T/F translation builds each part once (issue 12 red team): `or` and `->` translate both
T and F of their left side, so `x = 0 or x = 1 or ... or x = x` took 2^n steps (20 disjuncts:
26 s in `verify`, 25: a quarter of an hour); text that still grows past the cap is Unsupported."""

import pytest

from proofs import smtlib
from proofs.parsing import parse_claim
from reasoning import verify


def test_a_long_disjunction_translates_each_part_once(monkeypatch):
    calls = []
    term = smtlib._Translator.term

    def counted(self, expr):
        calls.append(expr)
        if len(calls) > 5_000:  # 2^n without the memo
            raise AssertionError("the translator re-translates parts of a disjunction")
        return term(self, expr)

    monkeypatch.setattr(smtlib._Translator, "term", counted)
    claim = " or ".join(f"x = {i}" for i in range(30)) + " or x = x"
    query = smtlib.build_query(parse_claim(claim))
    assert query.mode == "validity"


@pytest.mark.parametrize(
    ("claim", "status"),
    [
        (" or ".join(f"x = {i}" for i in range(12)) + " or x = x", "proved"),
        (" or ".join(f"1/x = {i}" for i in range(12)) + " or x = x", "refuted"),  # undefined at 0
        ("forall x in Real: x^2 >= 0", "proved"),
        ("not (forall x in Real: 1/x > 0 -> x > 0)", "refuted"),
    ],
)
def test_long_claims_are_still_decided(claim, status):
    assert verify(claim).status.value == status


def test_text_past_the_cap_is_unsupported():
    claim = " <-> ".join(f"x = {i}" for i in range(40))
    with pytest.raises(smtlib.Unsupported):
        smtlib.build_query(parse_claim(claim))
