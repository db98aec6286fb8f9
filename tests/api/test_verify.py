"""verify(): soundness, counterexamples, certificates, budgets and concurrency."""

import asyncio
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs.check import check_certificate
from proofs.claims import Compare, to_text
from proofs.parsing import parse_claim
from reasoning import InvalidArgument, Status, verify, verify_many
from tests.strategies import exact_expressions, polynomial_factors, value_text


def assert_rechecks(verdict):
    assert verdict.certificate is not None, verdict
    report = check_certificate(verdict.certificate, use_cvc5=False)
    assert report.ok, (verdict.to_json(), report)


@settings(max_examples=150)
@given(exact_expressions(), st.integers(-3, 3))
def test_exact_equations_are_proved_iff_the_value_matches(pair, delta):
    expr, value = pair
    claimed = value + delta
    verdict = verify(f"{to_text(expr)} = {value_text(claimed)}")
    expected = Status.PROVED if delta == 0 else Status.REFUTED
    assert verdict.status is expected, verdict
    assert_rechecks(verdict)
    if delta:
        assert verdict.counterexample is not None


@settings(max_examples=150)
@given(exact_expressions(), exact_expressions())
def test_print_then_parse_gives_the_same_claim(left, right):
    claim = Compare(("<=",), (left[0], right[0]))
    assert parse_claim(to_text(claim)) == claim


def _factored_and_expanded(factors):
    factored = " * ".join(f"({a}*{v} + {b})" for a, v, b in factors)
    symbols = {name: sympy.Symbol(name) for name in ("x", "y")}
    product = sympy.Integer(1)
    for a, v, b in factors:
        product *= a * symbols[v] + b
    expanded = str(sympy.expand(product)).replace("**", "^")
    return factored, expanded


@settings(max_examples=60)
@given(polynomial_factors())
def test_polynomial_identities_are_proved(factors):
    factored, expanded = _factored_and_expanded(factors)
    verdict = verify(f"{factored} = {expanded}")
    assert verdict.status is Status.PROVED, verdict
    assert_rechecks(verdict)


@settings(max_examples=60)
@given(polynomial_factors(), st.integers(-4, 4).filter(bool), st.sampled_from(["", "x", "x*y", "y^2"]))
def test_perturbed_identities_are_refuted_with_a_counterexample(factors, k, monomial):
    factored, expanded = _factored_and_expanded(factors)
    perturbation = f"{k}" if not monomial else f"{k}*{monomial}"
    verdict = verify(f"{factored} = {expanded} + {perturbation}")
    assert verdict.status is Status.REFUTED, verdict
    assert verdict.counterexample and "assignment" in verdict.counterexample
    assert_rechecks(verdict)


@settings(max_examples=80)
@given(st.integers(1, 30), st.integers(2, 50), st.integers(-3, 3))
def test_radicals_are_normalised(a, b, delta):
    verdict = verify(f"sqrt({a * a * b}) = {a + delta} sqrt({b})")
    b_is_square = int(b**0.5) ** 2 == b
    if delta == 0:
        assert verdict.status is Status.PROVED, verdict
    elif not (b_is_square and a + delta == 0):
        assert verdict.status is Status.REFUTED, verdict


PROVED = [
    "1 + 2 = 3",
    "0.1 + 0.2 = 0.3",
    "2^10 = 1024",
    "2^-2 = 0.25",
    "4^(1/2) = 2",
    "8^(2/3) = 4",
    "sqrt(8) = 2 sqrt(2)",
    "20! = 2432902008176640000",
    "binomial(10, 3) = 120",
    "gcd(12, 18) = 6 and lcm(4, 6) = 12",
    "-7 mod 3 = 2",
    "floor(-2.5) = -3",
    "(x + 1)^2 = x^2 + 2x + 1",
    "x != 0 -> x / x = 1",
    "forall n in Int: n^2 >= n",
    "exists x in Int: x^2 = 4",
    "exists x in Real: x^2 = 2",
    "0 < x < 1 -> x^2 < x",
    "x >= 0 -> sqrt(x)^2 = x",
    "x in {1, 2} -> x^2 in {1, 4}",
    "abs(x) >= 0",
    "pi > 3.14 and pi < 3.15",
    "pi / 2 = 0.5 pi",
    "e > 2.718",
    "sqrt(2) / 2 = 1 / sqrt(2)",
    "1/2004! != 1/2006!",
    "forall x in Int: exists y in Int: y > x",
    "forall n in Int: n mod 2 = 0 or n mod 2 = 1",
    "forall n in Int: n mod -3 <= 0",
    "forall x in Int: x^2 != 2",
    "sqrt(12) = 2 sqrt(3)",
    "(1 + sqrt(2))^2 = 3 + 2 sqrt(2)",
    "sqrt(1/2) = sqrt(2) / 2",
    "2^(-1/2) = 1 / sqrt(2)",
    "x sqrt(8) = 2x sqrt(2)",
]


@pytest.mark.parametrize("claim", PROVED)
def test_true_claims_are_proved_with_rechecking_certificates(claim):
    verdict = verify(claim)
    assert verdict.status is Status.PROVED, verdict
    assert_rechecks(verdict)


# Claims that must never be proved: false, undefined somewhere, or only float-close.
NOT_PROVED = [
    "1/2004! = 1/2006!",
    "1/2^99 = 1/2^98",
    "1 - 1/e = 1 + 1/e",
    "0.1 + 0.2 = 0.30000000000000004",
    "x / x = 1",
    "sqrt(x)^2 = x",
    "1/0 = 1/0",
    "(-1)! = 1",
    "sqrt(-4) = 2",
    "(x+1)^2 = x^2 + 1",
    "forall n in Int: n^2 > n",
    "exists x in Int: x^2 = 2",
    "x in {1, 2, 3}",
    "pi = 3.141592653589793",
    "sin(x) = x",
    "e^x = 1 + x",
    "2^2^2^2^2^100 = 5",
    "1000000! = 1000000!",
    "x < x + 0",
    "x^2 = x",
    "forall n in Int: n mod 3 < 2",
    "forall x in Real: exists y in Int: y = x",
    "sqrt(12) = 3 sqrt(2)",
    "sqrt(2) + sqrt(3) = sqrt(5)",
    "(-8)^(1/2) = 0",
    "x / sqrt(2) = x sqrt(2)",
]


@pytest.mark.parametrize("claim", NOT_PROVED)
def test_false_or_undefined_claims_are_never_proved(claim):
    verdict = verify(claim)
    assert verdict.status in (Status.REFUTED, Status.UNKNOWN), verdict
    if verdict.status is Status.REFUTED:
        assert_rechecks(verdict)


@pytest.mark.parametrize(
    "claim",
    ["2^2^2^2^2^100 = 5", "1000000! = 1", "2003^(2002^2001) = 1", "binomial(10^9, 10^8) = 1", "(10^9)! > 1"],
)
def test_hostile_sizes_come_back_unknown_fast(claim):
    start = time.perf_counter()
    verdict = verify(claim, budget_s=1.0)
    assert verdict.status is Status.UNKNOWN
    assert time.perf_counter() - start < 1.1


@pytest.mark.parametrize(
    "text",
    [
        "(" * 100_000 + "1" + ")" * 100_000 + " = 1",
        "1 = " + "1" * 10_000_000,
        "1 = 1\x00",
        "\\frac{1}{2} = 0.5",
    ],
    ids=["nested", "10MB", "nul", "latex"],
)
def test_malformed_text_is_invalid_with_details(text):
    start = time.perf_counter()
    verdict = verify(text, budget_s=1.0)
    assert verdict.status is Status.INVALID
    assert {"line", "column", "expected", "found"} <= set(verdict.details)
    assert time.perf_counter() - start < 1.1
    assert len(verdict.claim) <= 203


def test_budget_is_respected_by_a_hard_z3_claim():
    claim = "forall x, y, z in Int: x^3 + y^3 != z^3 or x*y*z = 0"
    start = time.perf_counter()
    verdict = verify(claim, budget_s=0.5)
    assert verdict.status in (Status.UNKNOWN, Status.PROVED)
    assert time.perf_counter() - start < 0.5 + 0.6


def test_bad_arguments_raise_invalid_argument():
    with pytest.raises(InvalidArgument):
        verify("1 = 1", budget_s=0)
    with pytest.raises(InvalidArgument):
        verify(b"1 = 1")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        verify_many(["1 = 1"], workers=-1)


CONCURRENT = PROVED[:12] + NOT_PROVED[:10] + ["1 + = 2"]


def _signature(verdict):
    return (
        verdict.claim,
        verdict.status,
        verdict.backend,
        repr(verdict.certificate),
        repr(verdict.counterexample),
    )


def test_threads_and_asyncio_give_the_same_verdicts_as_serial_calls():
    serial = [_signature(verify(c)) for c in CONCURRENT]

    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(lambda c: _signature(verify(c)), CONCURRENT * 2))
    assert threaded == serial * 2

    async def from_asyncio():
        return await asyncio.gather(*(asyncio.to_thread(verify, c) for c in CONCURRENT))

    results: list = []
    thread = threading.Thread(target=lambda: results.extend(asyncio.run(from_asyncio())))
    thread.start()
    with ThreadPoolExecutor(max_workers=4) as pool:
        also_threaded = list(pool.map(lambda c: _signature(verify(c)), CONCURRENT))
    thread.join()
    assert [_signature(v) for v in results] == serial
    assert also_threaded == serial


def test_verify_many_keeps_input_order_in_process():
    verdicts = verify_many(CONCURRENT, workers=0)
    assert [_signature(v) for v in verdicts] == [_signature(verify(c)) for c in CONCURRENT]


@pytest.mark.slow
def test_verify_many_with_a_process_pool_matches_serial():
    claims = [f"{i} + {i} = {2 * i + (i % 3 == 0)}" for i in range(200)]
    verdicts = verify_many(claims, workers=2)
    assert [v.status for v in verdicts] == [verify(c).status for c in claims]
    assert sum(v.status is Status.REFUTED for v in verdicts) == len(range(0, 200, 3))


PAIRS = [
    ("\\frac{1}{2}", "0.5"),
    ("1/2004!", "1/2006!"),
    ("1-1/e", "1+1/e"),
    ("n=2,3,4", "n=1,2,3"),
    ("\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt 2}"),
    ("[0, \\infty)", "[0,\\infty)"),
    ("\\frac{1}{t}+\\frac{1}{s}", "\\frac{t+s}{ts}"),
    ("\\{1, 2\\}", "\\{2, 1\\}"),
    ("2003^{2002^{2001}}", "1"),
    ("\\frac{1}{", "1"),
]


def test_equivalent_from_threads_and_asyncio_matches_serial():
    from reasoning import equivalent

    def signature(pair):
        result = equivalent(*pair)
        return (result.status, result.equivalent, repr(result.certificate))

    serial = [signature(p) for p in PAIRS]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(signature, PAIRS * 2)) == serial * 2

    async def from_asyncio():
        return await asyncio.gather(*(asyncio.to_thread(signature, p) for p in PAIRS))

    assert asyncio.run(from_asyncio()) == serial


@pytest.mark.parametrize(
    ("claim", "status"),
    [
        ("x = 10^5000", Status.REFUTED),  # a 5,000-digit literal in the SMT script
        ("(10^400)! = 0", Status.UNKNOWN),  # lgamma overflowed on the huge n
        ("binomial(2^20000, 2^19000) = 1", Status.UNKNOWN),  # the message printed both numbers
        ("sqrt(-(10^5000)) = 1", Status.REFUTED),
        ("root(10^5000 + 1, 3) = 1", Status.UNKNOWN),  # or refuted, if SymPy is quick enough
    ],
)
def test_huge_numbers_give_a_verdict_not_an_exception(claim, status):
    got = verify(claim, budget_s=2.0).status
    assert got is status or (status is Status.UNKNOWN and got is Status.REFUTED)


# ------------------------------------------------ verify_many: no untrusted work outside a killable process


def _hostile_chunk(texts, budget_s):
    """Stands in for `_verify_chunk` in pool workers: `HANG` hangs the worker, `DIE` kills it."""
    if "HANG" in texts:
        time.sleep(30)
    if "DIE" in texts:
        os._exit(3)
    return [verify(t, budget_s=budget_s) for t in texts]


@pytest.mark.slow
@pytest.mark.parametrize("poison", ["HANG", "DIE"])
def test_verify_many_reruns_a_failed_chunk_only_in_killable_processes(monkeypatch, poison):
    import reasoning.api as api

    monkeypatch.setattr(api, "_verify_chunk", _hostile_chunk)
    monkeypatch.setattr(api, "POOL_THRESHOLD", 0)
    monkeypatch.setattr(api, "CHUNK_SLACK_S", 3.0)
    claims = ["1 + 1 = 2", poison, "2 > 3"]
    start = time.monotonic()
    verdicts = verify_many(claims, budget_s=0.5, workers=1)
    elapsed = time.monotonic() - start
    assert elapsed < 25, elapsed  # in-process, HANG would sleep its 30 s (and DIE end pytest)
    assert [v.claim for v in verdicts] == claims
    assert verdicts[1].status is Status.UNKNOWN, verdicts[1]
    assert verdicts[0].status in (Status.PROVED, Status.UNKNOWN)
    assert verdicts[2].status in (Status.REFUTED, Status.UNKNOWN)


_FRESH_PROCESS = """
import sys, time
from reasoning import verify
verify("1 = 1")  # builds the claim parser, a cost of its own
start = time.perf_counter()
verdict = verify(sys.argv[1], budget_s=0.5)
print(time.perf_counter() - start, "sympy" in sys.modules, verdict.status.value)
"""


def test_the_first_sympy_claim_in_a_fresh_process_keeps_its_budget():
    """Importing SymPy costs about a second: that must not happen in the caller's process."""
    import subprocess
    import sys

    claim = "(x+y)^" + "9" * 50 + " = 1"  # reaches the SymPy step
    out = subprocess.run(
        [sys.executable, "-c", _FRESH_PROCESS, claim], capture_output=True, text=True, timeout=120, check=True
    )
    elapsed, imported, status = out.stdout.split()
    assert float(elapsed) <= 0.5 + 0.5, out
    assert (imported, status) == ("False", "unknown"), out


def test_the_sympy_step_names_the_same_methods_as_the_check():
    from proofs.sympy_form import METHODS, check_claim_text
    from solvers import sympy_backend

    assert sympy_backend.METHODS == METHODS
    assert getattr(__import__(sympy_backend.CHECK_MODULE, fromlist=["x"]), sympy_backend.CHECK_FUNCTION) is (
        check_claim_text
    )
