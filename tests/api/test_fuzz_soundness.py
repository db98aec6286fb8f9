"""Differential soundness fuzzing: random claims over the whole language, audited independently.

A derandomized set runs here; `bench/soundness_fuzz.py` runs the same audit for as long as you
like. The oracle (`tests/fuzz_claims.py`) is itself tested first: it must catch the unsound
verdicts it exists to catch, or a green run would mean nothing.
"""

import os
import time
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proofs.parsing import ParseFailure, parse_claim
from proofs.verdict import Status, Verdict
from reasoning import verify
from tests.fuzz_claims import FALSE, TRUE, UNCERTAIN, UNDEFINED, audit, claims, oracle, to_text

# ------------------------------------------------------------------ the oracle catches what it must


def _forged(claim: str, status: Status, certificate=None) -> Verdict:
    return Verdict(claim=claim, status=status, backend="forged", certificate=certificate)


CAUGHT = [
    _forged("forall x in Real: x^2 >= 1", Status.PROVED),  # fails at x = 0
    _forged("forall x in Real: 1/x = 1/x", Status.PROVED),  # undefined at x = 0
    _forged("forall x in Real: sin(x) < 1/2", Status.PROVED),  # fails at x = 1 (by mpmath)
    _forged("forall n in Int: n > 2 -> ln(n) < 1", Status.PROVED),  # fails at n = 3 (by mpmath)
    _forged("exists n in Int: n^2 = 4", Status.REFUTED),  # n = 2 is a witness
    _forged("pi > 3", Status.REFUTED),  # a closed claim that holds
    _forged(
        "forall n in Int: sin(n*pi) = 0",
        Status.REFUTED,
        {
            "kind": "interval",
            "claim": "forall n in Int: sin(n*pi) = 0",
            "holds": False,
            "assignment": {"n": "1/2"},
        },
    ),
    _forged(
        "forall x in Real: x^2 >= 0",
        Status.REFUTED,
        {"kind": "counterexample", "claim": "forall x in Real: x^2 >= 0", "assignment": {"x": "1"}},
    ),
]


@pytest.mark.parametrize("verdict", CAUGHT, ids=lambda v: v.claim)
def test_the_audit_catches_unsound_verdicts(verdict):
    assert audit(parse_claim(verdict.claim), verdict) is not None


@pytest.mark.parametrize(
    ("body", "env", "expected"),
    [
        ("sin(x) = 0", {"x": Fraction(0)}, TRUE),
        ("sin(x) > 0", {"x": Fraction(1)}, TRUE),
        ("ln(x) < 0", {"x": Fraction(-1)}, UNDEFINED),
        ("x > 0 -> ln(x) >= 0", {"x": Fraction(-1)}, TRUE),  # short-circuit: defined
        ("tan(x) = 0", {"x": Fraction(1)}, FALSE),
        ("sin(pi) = 0", {}, UNCERTAIN),  # mpmath cannot see an exact zero: no verdict
        ("floor(e) = 2", {}, TRUE),
        ("root(x, 3) = 2", {"x": Fraction(-8)}, UNCERTAIN),  # odd roots of negatives: no convention
    ],
)
def test_the_oracle(body, env, expected):
    assert oracle(parse_claim(body), env) == expected


# ------------------------------------------------------------------ the derandomized fuzz set


@settings(max_examples=200, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(claims())
def test_no_verdict_on_a_random_claim_is_unsound(formula):
    text = to_text(formula)
    parsed = parse_claim(text)
    assert not isinstance(parsed, ParseFailure), text  # we audit the claim as verify read it
    verdict = verify(text, budget_s=0.3)
    assert audit(parsed, verdict) is None, (text, verdict)


# ------------------------------------------------------------------ any string: budget + 0.5 s

_PIECES = [*"0123456789xyn+-*/^()=<>!,.: {}", "pi", "e", "sqrt(", "ln(", "sin(", "forall ", "exists "]
_PIECES += [" in Int", " in Real", " and ", " or ", " -> ", "not ", "factorial(", "2^2^2^2^", "9999999999"]


def _hostile_strings() -> st.SearchStrategy[str]:
    pieces = st.lists(st.sampled_from(_PIECES), max_size=60).map("".join)
    repeated = st.tuples(st.sampled_from(_PIECES), st.integers(1, 2_000)).map(
        lambda t: (t[0] * t[1])[:10_000]
    )
    return st.one_of(st.text(max_size=300), pieces, repeated)


BUDGET_S = 0.5

#: Long claims that are cheap to write and used to be costly somewhere (parse, Z3, SymPy import).
LONG_CLAIMS = [
    "1+" * 4999 + "1 = 5000",
    "(" * 4990 + "1" + ")" * 4990 + " = 1",
    "2^" * 3000 + "2 = 1",
    "x+" * 3000 + "x = 3001*x",
    "(x+y)^" + "9" * 50 + " = 1",
    "forall x in Real: " + " and ".join(["x^2 >= 0"] * 500),
    "exists x in Real: " + " and ".join(f"x^{i} > {i}" for i in range(300)),
    "forall n in Int: " + "+".join(f"sin(n*{i})" for i in range(400)) + " = 0",
    "factorial(" * 1000 + "3" + ")" * 1000 + " = 6",
]


def _slack_s() -> float:
    """Time allowed past the budget: 0.5 s, more on a machine busier than its cores (a verdict
    comes back at the budget, but the thread that returns it waits for a CPU like any other)."""
    return 0.5 * max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))


@pytest.mark.parametrize("text", LONG_CLAIMS, ids=lambda t: t[:30])
def test_long_claims_keep_their_budget(text):
    verify("1 = 1")  # the parser is built once per process, outside any claim's budget
    start = time.perf_counter()
    verify(text[:10_000], budget_s=BUDGET_S)
    assert time.perf_counter() - start <= BUDGET_S + _slack_s()


@settings(max_examples=100, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(_hostile_strings())
def test_no_string_takes_more_than_its_budget(text):
    assert len(text) <= 10_000
    start = time.perf_counter()
    verdict = verify(text, budget_s=BUDGET_S)
    elapsed = time.perf_counter() - start
    assert elapsed <= BUDGET_S + _slack_s(), (text[:200], elapsed, verdict.backend)


def test_the_audit_checks_sorts_without_trusting_the_checker(monkeypatch):
    """Even if the certificate checker let `n = 1/2` through (it once did), the audit does not."""
    import tests.fuzz_claims as fuzz
    from proofs.check import CheckReport

    monkeypatch.setattr(fuzz, "check_certificate", lambda cert, use_cvc5: CheckReport(True, "trusted"))
    claim = "forall n in Int: sin(n*pi) = 0"
    cert = {"kind": "interval", "claim": claim, "holds": False, "assignment": {"n": "1/2"}}
    assert audit(parse_claim(claim), _forged(claim, Status.REFUTED, cert)) is not None


def test_the_fuzzer_draws_every_function_of_the_language():
    from proofs.claims import FUNCTIONS
    from tests.fuzz_claims import BINARY, UNARY

    assert set(FUNCTIONS) == {*UNARY, *BINARY, "root"}
