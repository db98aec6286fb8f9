"""Bad input gets a clear verdict or message within its budget: never a hang, a crash, a
blow-up in memory or a certificate that does not re-check (red-team of the entry points).

Each test here failed before its fix; the inputs are ones a hostile client can send.
"""

import json
import os
import subprocess
import sys
import time
import tracemalloc
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from proofs.check import check_certificate
from proofs.parsing import parse_claim
from proofs.smtlib import MAX_DEGREE, Unsupported, build_query, constraint_terms, degree_bound
from reasoning import InvalidArgument, Status, solve, verify, verify_many
from reasoning.engine._task import Task, check_answer, free_unknowns
from reasoning.rewards import compute_score, verified_reward

ROOT = Path(__file__).resolve().parent.parent


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


# ------------------------------------------------ the HTTP API: text that is not Unicode


@pytest.fixture(scope="module")
def http_client():
    from fastapi.testclient import TestClient

    from reasoning.service._http import create_app
    from reasoning.service._limits import Settings

    with TestClient(create_app(Settings(port=0, workers=1))) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "body", "where"),
    [
        ("/v1/verify", b'{"claims": ["1 = 1", "\\ud800 = 1"]}', "claims.1"),
        ("/v1/equiv", b'{"gold": "1", "prediction": "\\udc00"}', "prediction"),
        ("/v1/check", b'{"certificate": {"kind": "exact", "claim": "\\ud800"}}', "certificate.claim"),
        (
            "/v1/solve",
            b'{"task": {"text": "t", "unknowns": {"\\ud800": "Int"}, "constraints": ["x = 1"]}}',
            "task",
        ),
    ],
)
def test_an_unpaired_surrogate_is_a_422_not_a_500(http_client, path, body, where):
    # JSON's "\ud800" escape is valid JSON but not Unicode: the reply echoing it could not be
    # written as UTF-8, and the client got 500 internal_error
    response = http_client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert where in response.json()["message"] and "surrogate" in response.json()["message"]


def test_a_surrogate_pair_is_text_and_is_answered(http_client):
    body = b'{"claims": ["\\ud83d\\ude00 = 1", "\\\\ud800 = 1"]}'
    response = http_client.post("/v1/verify", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    assert [v["status"] for v in response.json()["verdicts"]] == ["invalid", "invalid"]


# ------------------------------------------------ rewards: references too large to write


@pytest.mark.parametrize(
    "reference",
    [10**50_000, Fraction(1, 10**50_000), Decimal("1e99999999"), Decimal("-1e-99999999")],
    ids=["int", "fraction", "decimal-huge", "decimal-tiny"],
)
def test_a_reference_number_too_large_to_write_is_no_reference(reference):
    # 10**50000 raised ValueError (Python's int-to-text limit) out of the reward function, and
    # Decimal("1e99999999") wrote 100 MB of zeros (1e999999999: a gigabyte) before judging
    tracemalloc.start()
    try:
        assert verified_reward(["1"], solution=[reference]) == [None]
        assert compute_score("math", "1", reference) == 0.0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16_000_000, peak


def test_a_large_reference_number_that_fits_is_still_judged():
    assert verified_reward([str(10**500)], solution=[10**500]) == [1.0]
    assert verified_reward(["0.5"], solution=[Decimal("5e-1")]) == [1.0]


# ------------------------------------------------ the CLI: files that are not what they say


def _reason(*args: str, cwd, stdin: bytes = b"") -> subprocess.CompletedProcess:
    env = {**os.environ, "LANG": "C.UTF-8", "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONIOENCODING", None)
    return subprocess.run(
        [sys.executable, "-m", "reasoning.cli", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        env=env,
        timeout=60,
    )


def _json_lines(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]


@pytest.mark.slow  # three CLI processes, about 8 s
def test_cli_prints_text_that_is_not_unicode_instead_of_crashing(tmp_path):
    # a certificate or pair file with "\ud800" (valid JSON, not Unicode): the checks ran, then
    # printing the claim ended the command with a UnicodeEncodeError traceback
    (tmp_path / "cert.json").write_text('{"kind": "exact", "claim": "\\ud800 = 1"}\n')
    human = _reason("check", "cert.json", cwd=tmp_path)
    assert human.returncode == 1 and b"Traceback" not in human.stderr, human.stderr[-600:]
    assert b"\\ud800" in human.stdout
    (tmp_path / "pairs.jsonl").write_text(
        '{"gold": "1", "prediction": "\\ud800"}\n'
        + "[" * 100_000
        + "\n"
        + '{"gold": "1", "prediction": "1"}\n'
    )
    # a line nested past the JSON decoder's recursion limit raised RecursionError out of equiv
    as_json = _reason("equiv", "--json", "--file", "pairs.jsonl", cwd=tmp_path)
    assert as_json.returncode == 1 and b"Traceback" not in as_json.stderr, as_json.stderr[-600:]
    rows = _json_lines(as_json.stdout)
    assert [r["status"] for r in rows] == ["invalid", "invalid", "proved"]
    assert rows[0]["prediction"] == "\ud800" and "nested too deeply" in rows[1]["message"]
    human = _reason("equiv", "--file", "pairs.jsonl", cwd=tmp_path)
    assert human.returncode == 1 and b"Traceback" not in human.stderr, human.stderr[-600:]


def test_cli_check_of_a_file_that_is_not_utf8_is_a_usage_error(tmp_path):
    (tmp_path / "blob.bin").write_bytes(bytes(range(256)))
    result = _reason("check", "--json", "blob.bin", cwd=tmp_path)
    assert result.returncode == 2, result.stderr[-600:]
    assert b"not UTF-8" in result.stderr and b"Traceback" not in result.stderr
    assert result.stdout == b""


@pytest.mark.parametrize("command", [["run", "--task"], ["solve", "--task"]])
def test_cli_task_file_nested_too_deeply_is_a_usage_error(tmp_path, command):
    (tmp_path / "task.json").write_text("[" * 100_000 + "]" * 100_000)
    result = _reason(*command, "task.json", "--json", cwd=tmp_path)
    assert result.returncode == 2, result.stderr[-600:]
    assert b"Traceback" not in result.stderr


# ------------------------------------------------ tasks: text that is not Unicode


def test_a_task_text_that_is_not_unicode_is_refused_before_the_run(tmp_path):
    # the run went to the end, then writing its UTF-8 files raised UnicodeEncodeError
    # (`reason run --task` and `reason solve --task` ended with a traceback)
    task = {"text": "find x \ud800", "unknowns": {"x": "Int"}, "constraints": ["x = 1"]}
    with pytest.raises(InvalidArgument, match="surrogate"):
        solve(task, out=tmp_path / "run")
    assert not (tmp_path / "run").exists()
    assert solve({**task, "text": "find x \U0001f600"}, out=tmp_path / "ok").verified


# ------------------------------------------------ the Python API: arguments refused at the door


def test_verify_many_refuses_one_str_instead_of_checking_each_character():
    # verify_many("1=1") returned three verdicts, for "1", "=" and "1"
    with pytest.raises(InvalidArgument, match="not one str"):
        verify_many("1 = 1")


@pytest.mark.parametrize("budget", [0, -1, float("nan"), float("inf"), "5", True])
def test_solve_names_the_budget_it_refuses(budget):
    # budget_s=0 was refused as "worker_timeout_s must be ..." (a parameter the caller never gave)
    with pytest.raises(InvalidArgument, match="^budget_s must be"):
        solve({"domain": "countdown", "numbers": [1, 2], "target": 3}, budget_s=budget, out=False)


def test_solve_into_a_file_is_a_clear_error(tmp_path):
    # out naming a file raised FileExistsError from inside the engine
    path = tmp_path / "a-file"
    path.write_text("keep me")
    with pytest.raises(InvalidArgument, match="is a file"):
        solve({"domain": "countdown", "numbers": [1, 2], "target": 3}, out=path)
    assert path.read_text() == "keep me"


# ------------------------------------------------ the run budget bounds the whole run


def test_the_up_front_check_keeps_to_its_total_time():
    task = Task.from_json({"text": "t", "unknowns": {"n": "Int"}, "constraints": ["n = n"]})
    assert free_unknowns(task, budget_s=2) == ["n"]
    # out of time, nothing is called free (the run then ends unproved): never a wrong refusal
    assert free_unknowns(task, budget_s=2, total_s=0) == []


def _cubic_task() -> dict:
    # budget_s=2 took 42 s: the up-front check gave each unknown a whole verify budget (10 s),
    # and the joint consistency check its own 5 s twice, past the run budget
    unknowns = {"x": "Int", "y": "Int", "z": "Int"}
    return {"text": "t", "unknowns": unknowns, "constraints": ["x^3 + y^3 + z^3 = 42", "x > 10^6"]}


def _many_unknowns_task() -> dict:
    # 180 unknowns with budget_s=2 took 11 s (the up-front check alone: 64 translations, each
    # re-hashing the whole formula tree at every node); asking for 300 never finished. (Past
    # ~190 unknowns a proved claim's certificate nests deeper than the parser reads.)
    names = {f"x{i}": "Int" for i in range(180)}
    constraints = [f"x{i} = 1" for i in range(180)]
    return {
        "text": "t",
        "unknowns": names,
        "constraints": constraints,
        "goal": {"kind": "find", "unknowns": list(names)[:64]},
    }


@pytest.mark.parametrize(
    "make_task", [_cubic_task, _many_unknowns_task], ids=["slow checks", "many unknowns"]
)
def test_a_run_budget_bounds_the_whole_run(make_task):
    slack = 2.5 * max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))  # a busy machine is slower
    started = time.perf_counter()
    result = solve(make_task(), out=False, budget_s=2)
    elapsed = time.perf_counter() - started
    assert elapsed < 2 + slack, (elapsed, result.message)
    assert not result.verified and result.status == "unknown"
    assert "run budget of 2 s ran out" in result.message


def test_an_undecided_goal_obligation_is_not_called_failed():
    # past ~130 unknowns the SMT translation gives up on the goal's obligations (nested too
    # deep); the answer was unknown with "the constraints do not constrain an asked unknown" (or
    # "the answer's values do not satisfy the task"): what a refuted one means, not an undecided one
    names = {f"x{i}": "Int" for i in range(200)}
    task = Task.from_json(
        {
            "text": "t",
            "unknowns": names,
            "constraints": [f"{n} = 1" for n in names],
            "goal": {"kind": "find", "unknowns": ["x0"]},
        }
    )
    check = check_answer(task, "x0 = 1", budget_s=10)
    assert check.status is Status.UNKNOWN
    assert "do not" not in check.message
    assert "could not be decided" in check.message and "nested too deeply" in check.message


def test_a_find_goal_past_the_answer_line_limit_is_refused_clearly():
    # 64 unknowns are proved in ~15 s; 65 ran ~10 s and ended "the organizer ended without a
    # final answer (an empty turn)": an answer is read up to 64 claim lines. Now refused up front.
    names = {f"x{i}": "Int" for i in range(65)}
    task = {"text": "t", "unknowns": names, "constraints": [" + ".join(names) + " = 1"]}
    with pytest.raises(InvalidArgument, match="asks for 65 unknowns.*up to 64 lines"):
        solve(task, out=False, budget_s=60)
    # asking for 64 of them is a task like any other
    Task.from_json({**task, "goal": {"kind": "find", "unknowns": list(names)[:64]}})
