"""Bad input gets a clear verdict or message within its budget: never a hang, a crash, a
blow-up in memory or a certificate that does not re-check (red-team of the entry points).

Each test here failed before its fix; the inputs are ones a hostile client can send.
"""

import time
import tracemalloc

import pytest

from proofs.check import check_certificate
from proofs.parsing import parse_claim
from proofs.smtlib import MAX_DEGREE, Unsupported, build_query, constraint_terms, degree_bound
from reasoning import Status, verify


def _nested(func: str, depth: int, inner: str = "x") -> str:
    return f"{func}(" * depth + inner + ")" * depth


# ------------------------------------------------ SMT-LIB text that grew exponentially


@pytest.mark.parametrize(
    "claim",
    [
        _nested("abs", 15) + " >= 0",  # abs repeats its argument 3 times: 3^15 copies of x
        "min(" + ", ".join(["x + 1"] * 24) + ") <= x + 1",  # 2^23 copies
        _nested("max", 23, "x, y").replace("max(", "max(x, ") + " >= x",
    ],
)
def test_terms_that_repeat_their_arguments_stop_at_the_text_limit(claim):
    # the text was only measured per formula, after the terms were built: 16 nested abs took
    # 1.2 GB in verify(), 18 took 10 GB and a MemoryError after 37 s, under budget_s=2
    formula = parse_claim(claim)
    assert not hasattr(formula, "message"), formula
    tracemalloc.start()
    try:
        with pytest.raises(Unsupported, match="characters"):
            build_query(formula)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 24_000_000, peak


def test_nested_abs_is_unknown_within_budget():
    started = time.monotonic()
    verdict = verify(_nested("abs", 16) + " >= 0", budget_s=1.0)
    assert verdict.status is Status.UNKNOWN, verdict
    assert time.monotonic() - started < 2.5


def test_consistency_constraints_bound_their_text_too():
    formula = parse_claim(_nested("abs", 15) + " = 1")
    tracemalloc.start()
    try:
        constraints = constraint_terms([formula], {"x": "Real"})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert constraints.terms == (None,)
    assert "characters" in constraints.unsupported[0]
    assert peak < 24_000_000, peak


# ------------------------------------------------ claims nested near the depth limit


@pytest.mark.parametrize(
    "claim",
    [
        "forall x in Int: " * 300 + "x = x",
        "not " * 390 + "x = 1",
        " and ".join(["x = 1"] * 390),
        " or ".join(f"x = {i}" for i in range(390)),
    ],
)
def test_deep_claims_within_the_parser_limits_do_not_raise(claim):
    # all four parse (depth < 400) and raised RecursionError out of verify()
    verdict = verify(claim, budget_s=2.0)
    assert verdict.status in (Status.PROVED, Status.REFUTED, Status.UNKNOWN), verdict
    if verdict.certificate is not None:
        assert check_certificate(verdict.certificate, use_cvc5=False).ok


# ------------------------------------------------ degrees Z3 cannot cancel in time


def test_degree_bound_multiplies_through_powers_and_products():
    assert degree_bound(parse_claim("x + y = 1")) == 1
    assert degree_bound(parse_claim("x * y * z = 1")) == 3
    assert degree_bound(parse_claim("((x^2)^3)^2 = 1")) == 12
    assert degree_bound(parse_claim("(x + 1)^64 = 2^100")) == 64
    assert degree_bound(parse_claim("x^(1/2) = sqrt(x)")) == 2
    assert degree_bound(parse_claim("2^100 * 3^50 = 7")) == 0


def test_a_degree_past_the_limit_is_unsupported_not_a_z3_hang():
    # x^1024 ran 16-27 s inside Z3 under a 2 s timeout (its nonlinear solver polls no timeout)
    claim = "x^2 = " + "(" * 10 + "x" + "^2)" * 10
    with pytest.raises(Unsupported, match="degree"):
        build_query(parse_claim(claim))
    assert degree_bound(parse_claim(claim)) > MAX_DEGREE
    started = time.monotonic()
    verdict = verify(claim, budget_s=1.0)
    assert verdict.status is not Status.PROVED
    assert time.monotonic() - started < 3.0


# ------------------------------------------------ certificates of deep claims re-check


@pytest.mark.parametrize("claim", ["-" * 300 + "x = x", "exists x in Int: " + "-" * 300 + "x = 1"])
def test_many_minus_signs_print_back_within_the_bracket_limit(claim):
    # the canonical text was -(-(-(...))): 300 brackets, past the parser's 200, so the
    # proved verdict's certificate failed to re-check
    verdict = verify(claim, budget_s=2.0)
    assert verdict.status is Status.PROVED, verdict
    report = check_certificate(verdict.certificate, use_cvc5=False)
    assert report.ok, report
