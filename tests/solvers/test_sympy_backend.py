"""The SymPy backend and its sandbox: sound identities, budgets, threads, dead workers."""

from __future__ import annotations

import asyncio
import operator
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from proofs.check import check_certificate
from proofs.parsing import parse_claim
from proofs.sandbox import Sandbox
from proofs.sympy_form import check_claim_text, recheck_sympy_certificate, sympy_sandbox
from proofs.verdict import Status
from solvers.sympy_backend import decide_with_sympy

#: Costs SymPy about 15 s (a product of two degree-300 polynomials, then simplify).
EXPENSIVE = "(x+1)^300 * (x-1)^300 = (x^2-1)^300 + 1"


@pytest.fixture(scope="module")
def warm_sympy():
    """The shared SymPy sandbox with its workers started and SymPy imported."""
    sandbox = sympy_sandbox()
    assert sandbox.warm_up(wait_s=60) >= 1
    return sandbox


def decide(text: str, budget_s: float = 30.0):
    formula = parse_claim(text)
    assert not hasattr(formula, "describe"), formula
    return decide_with_sympy(formula, budget_s=budget_s)


# ---------------------------------------------------------------- the check itself (in-process)


@pytest.mark.parametrize(
    ("claim", "status", "method"),
    [
        ("sin(x)^2 + cos(x)^2 = 1", "proved", "simplify"),
        ("exp(ln(2)) = 2", "proved", "evaluate"),
        ("(x+1)^2 = x^2 + 2*x + 1", "proved", "expand"),
        ("sin(2*x) = 2*sin(x)*cos(x)", "proved", "simplify"),
        ("2^x * 2^x = 4^x", "proved", "simplify"),
        ("sqrt(2) * sqrt(3) = sqrt(6)", "proved", "evaluate"),
        ("sqrt(pi - 3)^2 = pi - 3", "proved", "evaluate"),
        ("log(8, 2) = 3", "proved", "evaluate"),
        ("abs(x)^2 = x^2", "proved", "evaluate"),
        ("x + 1 = x", "refuted", "evaluate"),
        ("x^2 + 1 != 0", "proved", "simplify"),
        ("x + 1 != 1 + x", "refuted", "evaluate"),
        ("1/(pi - pi) = 0", "refuted", "evaluate"),
    ],
)
def test_decided_claims(claim, status, method):
    outcome = check_claim_text(claim)
    assert (outcome["status"], outcome["method"]) == (status, method), outcome


@pytest.mark.parametrize(
    "claim",
    [
        "x/x = 1",  # undefined at x = 0, though SymPy rewrites x/x to 1
        "sqrt(x)^2 = x",  # undefined for x < 0
        "tan(x) = sin(x)/cos(x)",  # tan is partial
        "ln(x^2) = 2*ln(abs(x))",  # undefined at 0
        "x^(-1) * x = 1",
        "(-8)^(1/3) = -2",  # odd roots of negatives: conventions differ, so never decided
        "0^pi = 0",  # our semantics do not say
        "gcd(x, 4) = gcd(4, x)",
        "exp(x) = x",  # true nowhere, but not shown by an exact step
        "x < 1",
        "1 = 1 = 1",
        "x = ",
    ],
)
def test_undecided_claims(claim):
    assert check_claim_text(claim)["status"] == "unknown"


def test_factorial_gcd_and_undefined_constants():
    assert check_claim_text("5! = 120")["status"] == "proved"
    assert check_claim_text("gcd(12, 18) + lcm(4, 6) = 18")["status"] == "proved"
    assert check_claim_text("(-1)! = 1")["status"] == "refuted"
    assert check_claim_text("sqrt(-4) = 2")["status"] == "refuted"
    assert check_claim_text("tan(pi/2) = 0")["status"] == "refuted"


# ---------------------------------------------------------------- the backend, through the sandbox


@pytest.mark.parametrize("claim", ["sin(x)^2 + cos(x)^2 = 1", "exp(ln(2)) = 2", "(x+1)^2 = x^2 + 2*x + 1"])
def test_backend_proves_with_a_certificate_that_rechecks(warm_sympy, claim):
    verdict = decide(claim)
    assert verdict.status is Status.PROVED, verdict.message
    assert verdict.backend == "sympy"
    cert = verdict.certificate
    assert cert["kind"] == "sympy" and cert["difference"] == "0" and cert["holds"] is True
    assert cert["claim"] == verdict.claim
    ok, message = recheck_sympy_certificate(cert)
    assert ok, message
    assert check_certificate(cert).ok


@pytest.mark.parametrize("claim", ["x/x = 1", "sqrt(x)^2 = x"])
def test_backend_does_not_prove_partial_identities(warm_sympy, claim):
    assert decide(claim).status is Status.UNKNOWN


def test_refutation_has_a_counterexample(warm_sympy):
    verdict = decide("x + 1 = x")
    assert verdict.status is Status.REFUTED
    assert verdict.counterexample["assignment"] == {"x": "0"}
    assert recheck_sympy_certificate(verdict.certificate)[0]


def test_forged_certificates_do_not_recheck(warm_sympy):
    forged = {"kind": "sympy", "claim": "x/x = 1", "method": "simplify", "difference": "0", "holds": True}
    assert not recheck_sympy_certificate(forged)[0]
    wrong_way = {
        "kind": "sympy",
        "claim": "x + 1 = x",
        "method": "simplify",
        "difference": "0",
        "holds": True,
    }
    assert not recheck_sympy_certificate(wrong_way)[0]
    assert not recheck_sympy_certificate({"kind": "sympy", "claim": "1 = 1", "method": "eval"})[0]
    assert not check_certificate(forged).ok


def test_budget_overrun_is_unknown_and_the_sandbox_recovers(warm_sympy):
    start = time.perf_counter()
    verdict = decide(EXPENSIVE, budget_s=0.5)
    elapsed = time.perf_counter() - start
    assert verdict.status is Status.UNKNOWN
    assert "budget of 0.5 s exhausted" in verdict.message
    assert elapsed < 0.5 + 0.3  # the worker is killed, not waited for
    assert decide("exp(ln(2)) = 2").status is Status.PROVED
    assert decide("sin(x)^2 + cos(x)^2 = 1").status is Status.PROVED


def test_eight_threads_at_once_agree_with_one(warm_sympy):
    claims = [
        "sin(x)^2 + cos(x)^2 = 1",
        "exp(ln(2)) = 2",
        "x/x = 1",
        "x + 1 = x",
        "(x+1)^2 = x^2 + 2*x + 1",
    ] * 4
    alone = [decide(c).status for c in claims]
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(lambda c: decide(c).status, claims))
    assert together == alone
    assert alone[:5] == [Status.PROVED, Status.PROVED, Status.UNKNOWN, Status.REFUTED, Status.PROVED]


# ---------------------------------------------------------------- the sandbox on its own


@pytest.fixture
def sandbox():
    box = Sandbox(workers=1)
    assert box.warm_up(wait_s=30) == 1
    yield box
    box.shutdown()


def test_values_and_errors_come_back_as_results(sandbox):
    result = sandbox.run(operator.add, 2, 3, budget_s=10)
    assert (result.ok, result.value, result.timed_out) == (True, 5, False)
    failed = sandbox.run(int, "not a number", budget_s=10)
    assert not failed.ok and "ValueError" in failed.error and not failed.timed_out
    unpicklable = sandbox.run(threading.Lock, budget_s=10)
    assert not unpicklable.ok and "cannot be sent back" in unpicklable.error
    assert sandbox.run(operator.mul, 6, 7, budget_s=10).value == 42


def test_timeout_kills_and_replaces_the_worker(sandbox):
    [pid] = sandbox.worker_pids()
    result = sandbox.run(time.sleep, 30, budget_s=0.3)
    assert result.timed_out and not result.ok
    assert result.elapsed_s < 0.3 + 0.3
    assert sandbox.run(operator.add, 1, 1, budget_s=30).value == 2
    assert pid not in sandbox.worker_pids()


def test_memory_budget_is_enforced(sandbox):
    result = sandbox.run(bytearray, 2**31, budget_s=30, memory_mb=256)
    assert not result.ok and "memory" in result.error.lower()
    assert sandbox.run(len, bytearray(10), budget_s=30).value == 10


def test_a_worker_dying_mid_task_is_an_error_and_is_replaced(sandbox):
    result = sandbox.run(os._exit, 3, budget_s=30)
    assert not result.ok and not result.timed_out and "exit code 3" in result.error
    assert sandbox.run(operator.add, 1, 2, budget_s=30).value == 3


def test_a_worker_killed_while_idle_is_replaced(sandbox):
    [pid] = sandbox.worker_pids()
    os.kill(pid, signal.SIGKILL)
    result = sandbox.run(operator.add, 2, 2, budget_s=30)
    assert result.ok and result.value == 4
    assert pid not in sandbox.worker_pids()


def test_run_async_and_shutdown(sandbox):
    async def both():
        return await asyncio.gather(
            sandbox.run_async(operator.add, 1, 2, budget_s=30), sandbox.run_async(abs, -5, budget_s=30)
        )

    assert [r.value for r in asyncio.run(both())] == [3, 5]
    sandbox.shutdown()
    after = sandbox.run(abs, -1, budget_s=5)
    assert not after.ok and "shut down" in after.error


def test_waiting_for_a_busy_worker_counts_against_the_budget(sandbox):
    blocker = threading.Thread(target=sandbox.run, args=(time.sleep, 1.0), kwargs={"budget_s": 5})
    blocker.start()
    time.sleep(0.1)
    result = sandbox.run(abs, -1, budget_s=0.2)
    blocker.join()
    assert result.timed_out and result.elapsed_s < 0.5
    assert sandbox.run(abs, -1, budget_s=5).value == 1


def test_a_zero_budget_does_not_cost_a_worker(sandbox):
    [pid] = sandbox.worker_pids()
    assert sandbox.run(abs, -1, budget_s=0).timed_out
    assert sandbox.worker_pids() == [pid]


def test_functions_of_main_are_refused_with_a_clear_error(sandbox):
    def defined_in_a_script(x):
        return x

    defined_in_a_script.__module__ = "__main__"
    result = sandbox.run(defined_in_a_script, 1, budget_s=10)
    assert not result.ok and not result.timed_out
    assert "defined_in_a_script" in result.error and "__main__" in result.error
    assert sandbox.run(abs, -3, budget_s=10).value == 3


UNGUARDED_SCRIPT = """
    import reasoning
    from proofs.parsing import parse_claim
    from proofs.sandbox import Sandbox
    from solvers.sympy_backend import decide_with_sympy

    print("MARKER: top level of the script")
    verdict = decide_with_sympy(parse_claim("sin(x)^2 + cos(x)^2 = 1"), budget_s=60)
    print("VERDICT", verdict.status.value, verdict.backend)
    print("VERIFY", reasoning.verify("sin(x)^2 + cos(x)^2 = 1", budget_s=60).status.value)
    Sandbox(workers=1).run(print, "PRINTED BY A WORKER", budget_s=60)

    def local(x):
        return x

    print("LOCAL", Sandbox(workers=1).run(local, 1, budget_s=60).error)
"""


def test_a_script_without_a_main_guard_runs_once(tmp_path):
    # Workers are fresh interpreters that never import the caller's __main__, so the script's
    # top level runs once; and a worker's prints go to stderr, never into the caller's stdout.
    script = tmp_path / "quick.py"
    script.write_text(textwrap.dedent(UNGUARDED_SCRIPT))
    root = str(Path(__file__).resolve().parents[2])  # for a checkout without an install
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("MARKER") == 1, done.stdout
    assert "VERDICT proved sympy" in done.stdout
    assert "VERIFY proved" in done.stdout
    assert "PRINTED BY A WORKER" not in done.stdout and "PRINTED BY A WORKER" in done.stderr
    assert "local is defined in __main__" in done.stdout
    assert "RuntimeError" not in done.stderr
