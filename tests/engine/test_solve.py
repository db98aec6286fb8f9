"""`reasoning.solve`, domain tasks in the engine, domain bundles, and `reason solve` / `reason eval`.

`DigitSum` is a test double domain (the digit sum of `n`), small enough that every path of the
domain interface can be driven and tampered with; the real domains have their own test files.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from proofs.verdict import Status
from reasoning.api import InvalidArgument
from reasoning.cli._main import app
from reasoning.cli._solve import fields_from_args
from reasoning.domains import Domain, DomainCheck, FieldSpec, Problem, TaskError, certificate, register
from reasoning.domains._base import check_fields
from reasoning.engine._bundle import check_bundle, load_bundle
from reasoning.engine._engine import ForkJoinEngine
from reasoning.engine._planner import verified_claims
from reasoning.engine._solve import solve
from reasoning.engine._task import Task
from reasoning.engine._workers import ScriptedOrganizer, ScriptedWorker, Tokens


def digit_sum(n: int) -> int:
    return sum(int(d) for d in str(abs(n)))


class _Worker:
    async def stream(self, request):
        yield Tokens(f"<RETURN>{digit_sum(request.task.problem.fields['n'])}</RETURN>", 3)


class _Planner:
    def __init__(self) -> None:
        self.turn = 0

    async def stream(self, context: str, *, seed: int):
        self.turn += 1
        if self.turn == 1:
            yield "<FORK-1>digit sum</FORK-1><JOIN-1>"
        else:
            claims = verified_claims(context).get(1, [])
            yield f"<ANSWER>{claims[0] if claims else 'none'}</ANSWER>"


class DigitSum(Domain):
    name = "test-digit-sum"
    summary = "test double: the digit sum of n"
    fields = {"n": FieldSpec("int", "the number", required=True)}

    def parse(self, data):
        fields = check_fields(self, data)
        if fields["n"] < 0:
            raise TaskError("n: must be >= 0")
        return Problem(self.name, fields, f"What is the digit sum of {fields['n']}?")

    def from_reasoning_gym(self, task_name, entry):
        raise TaskError("no reasoning-gym task")

    def _check(self, problem, text, role):
        if text.strip() == "final":
            return DomainCheck(Status.REFUTED, "this branch cannot work", final=True)
        if not text.strip().isdigit():
            return DomainCheck(Status.INVALID, f"{text!r} is not a number")
        holds = int(text) == digit_sum(problem.fields["n"])
        cert = certificate(problem, text, role=role, holds=holds)
        return DomainCheck(Status.PROVED if holds else Status.REFUTED, "checked", cert)

    def check_claim(self, problem, text, *, budget_s):
        return self._check(problem, text, "claim")

    def check_answer(self, problem, text, *, budget_s):
        return self._check(problem, text, "answer")

    def recheck(self, problem, cert):
        text = cert["claim"]
        holds = text.strip().isdigit() and int(text) == digit_sum(problem.fields["n"])
        return holds == cert["holds"], f"{text} {'is' if holds else 'is not'} the digit sum"

    def symbolic_worker(self):
        return _Worker()

    def planner(self, problem, *, capacity):
        return _Planner()


DOMAIN = DigitSum()


@pytest.fixture(autouse=True, scope="module")
def _registered():
    """The test double is in the registry only while this module's tests run (other tests
    compare the registry with the built-in domains)."""
    from reasoning import domains

    domains.names()  # load the built-ins first
    register(DOMAIN)
    yield
    domains._DOMAINS.pop(DOMAIN.name)


def test_solve_gives_verified_answers_and_a_bundle_that_rechecks(tmp_path):
    result = solve({"domain": DOMAIN.name, "n": 98765}, out=tmp_path)
    assert result.answers == ["35"] and result.verified and result.status == "proved"
    assert result.certificates[0]["certificate"]["kind"] == "domain"
    assert result.metrics["forks"] == 1
    report = check_bundle(load_bundle(result.bundle))
    assert report.ok, report.to_json()
    assert any(item.name == "answer (domain)" for item in report.items)
    assert json.loads(json.dumps(result.to_json()))["answers"] == ["35"]


def test_solve_without_files_and_plain_engine_tasks():
    result = solve({"domain": DOMAIN.name, "n": 7}, out=False)
    assert result.bundle is None and result.answers == ["7"]
    plain = solve({"text": "x = 3", "unknowns": {"x": "Int"}, "constraints": ["x + 1 = 4"]}, out=False)
    assert plain.verified and plain.problem is None


@pytest.mark.parametrize(
    ("task", "message"),
    [
        ({"domain": "no-such"}, "unknown domain"),
        ({"domain": DOMAIN.name}, "n: required"),
        ({"domain": DOMAIN.name, "n": "12a"}, "n: expected an integer"),
        ({"domain": DOMAIN.name, "n": 1, "m": 2}, "no field 'm'"),
        ({"numbers": [1]}, "names its 'domain'"),
        ([1, 2], "a task is a JSON object"),
    ],
)
def test_malformed_tasks_are_clear_errors(task, message):
    with pytest.raises(TaskError, match=message):
        solve(task, out=False)


def _tamper(bundle_path, change):
    data = load_bundle(bundle_path)
    change(data)
    return check_bundle(data)


def test_tampered_domain_bundles_fail(tmp_path):
    path = solve({"domain": DOMAIN.name, "n": 98765}, out=tmp_path).bundle

    def wrong_answer(d):
        d["answer"]["text"] = "36"

    def forged_answer(d):
        d["answer"]["text"] = "36"
        cert = d["answer"]["obligations"][0]["verdict"]["certificate"]
        cert["claim"] = "36"

    def other_task(d):
        d["claims"][0]["certificate"]["task"]["n"] = 5

    def claim_text(d):
        d["claims"][0]["text"] = "34"

    def refuting_cert(d):
        d["answer"]["obligations"][0]["verdict"]["certificate"]["holds"] = False

    for change in (wrong_answer, forged_answer, other_task, claim_text, refuting_cert):
        report = _tamper(path, change)
        assert not report.ok, change.__name__


def test_a_final_domain_rejection_is_not_redispatched():
    problem = DOMAIN.parse({"n": 12})
    worker = ScriptedWorker({1: ["<RETURN>final</RETURN>", "<RETURN>3</RETURN>"]})
    organizer = ScriptedOrganizer(["<FORK-1>branch</FORK-1><JOIN-1>", "<ANSWER>3</ANSWER>"])
    result = ForkJoinEngine(organizer, worker).run_sync(Task.of_problem(problem))
    assert len(worker.requests) == 1
    assert "[fork 1 failed after 1 attempt(s)" in organizer.contexts[1]
    assert result.verified  # the answer itself is still checked by the domain


def test_a_refuted_domain_claim_is_redispatched_with_feedback():
    problem = DOMAIN.parse({"n": 12})
    worker = ScriptedWorker({1: ["<RETURN>4</RETURN>", "<RETURN>3</RETURN>"]})
    organizer = ScriptedOrganizer(["<FORK-1>sum</FORK-1><JOIN-1>", "<ANSWER>3</ANSWER>"])
    result = ForkJoinEngine(organizer, worker).run_sync(Task.of_problem(problem))
    assert len(worker.requests) == 2
    assert "rejected claim: 4" in worker.requests[1].feedback[0]
    assert "3   # proved (domain)" in organizer.contexts[1]
    assert result.verified and [c["text"] for c in result.accepted_claims()] == ["3"]


def test_a_wrong_domain_answer_is_not_verified():
    problem = DOMAIN.parse({"n": 12})
    organizer = ScriptedOrganizer(["<ANSWER>4</ANSWER>"] * 3)
    result = ForkJoinEngine(organizer, ScriptedWorker({})).run_sync(Task.of_problem(problem))
    assert not result.verified and result.status is Status.REFUTED


def test_task_json_round_trip_and_bad_domain_tasks():
    task = Task.of_problem(DOMAIN.parse({"n": 5}))
    assert Task.from_json(task.to_json()).problem == task.problem
    with pytest.raises(TaskError):
        Task(text="t", domain={"domain": DOMAIN.name, "n": -1})
    with pytest.raises(InvalidArgument, match="no unknowns"):
        Task(text="t", domain={"domain": DOMAIN.name, "n": 1}, unknowns={"x": "Int"})


def test_fields_from_cli_words():
    class Fields(DigitSum):
        name = "test-fields"
        fields = {
            "numbers": FieldSpec("ints", "numbers", required=True),
            "target": FieldSpec("int", "target", required=True),
            "integer_only": FieldSpec("bool", "integers only", default=True),
            "rule": FieldSpec("str", "rule", default="at-most-once"),
        }

    domain = Fields()
    task = fields_from_args(domain, ["--numbers", "25", "-3", "--target", "-952", "--no-integer-only"])
    assert task == {"domain": "test-fields", "numbers": [25, -3], "target": -952, "integer_only": False}
    assert fields_from_args(domain, ["--integer-only", "false"])["integer_only"] is False
    for words, message in (
        (["--numbers", "2", "x"], "'x' is not an integer"),
        (["--target"], "takes one value"),
        (["--colour", "red"], "no field --colour"),
        (["stray"], "unexpected argument"),
    ):
        with pytest.raises(InvalidArgument, match=message):
            fields_from_args(domain, words)


def test_cli_solve_json_and_errors(tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        app, ["solve", DOMAIN.name, "--n", "1234", "--json", "--workers", "symbolic", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"answers", "verified", "certificates", "metrics", "bundle"} <= set(data)
    assert data["answers"] == ["10"] and data["verified"] and (tmp_path / "bundle.json").exists()
    human = runner.invoke(
        app, ["solve", DOMAIN.name, "--n", "1234", "--workers", "symbolic", "--out", str(tmp_path / "h")]
    )
    assert human.exit_code == 0 and "proof bundle:" in human.stdout and "10" in human.stdout
    bad = runner.invoke(app, ["solve", DOMAIN.name, "--n", "12a"])
    assert bad.exit_code == 2 and "not an integer" in bad.output
    task = tmp_path / "task.json"
    task.write_text(json.dumps({"domain": DOMAIN.name, "n": 99}))
    from_file = runner.invoke(
        app, ["solve", "--task", str(task), "--json", "--workers", "symbolic", "--out", str(tmp_path / "f")]
    )
    assert json.loads(from_file.stdout)["answers"] == ["18"]
    assert runner.invoke(app, ["solve"]).exit_code == 2


def test_cli_domains_lists_fields():
    result = CliRunner().invoke(app, ["domains", "--json"])
    listing = {d["domain"]: d for d in json.loads(result.stdout)["domains"]}
    assert listing[DOMAIN.name]["fields"]["n"]["required"] is True


def test_cli_eval_refuses_unknown_tasks():
    pytest.importorskip("reasoning_gym")
    result = CliRunner().invoke(app, ["eval", "reasoning-gym", "no_such_task", "--size", "1"])
    assert result.exit_code == 2 and "no domain reads" in result.output


def test_registry_rejects_duplicates():
    with pytest.raises(ValueError, match="already registered"):
        register(DigitSum())


def test_capacity_is_the_count_and_workers_its_deprecated_name():
    """One meaning per word (issue 14): `solve(workers=N)` was the capacity while `--workers`
    names a worker kind; `capacity=N` is the name now and `workers=N` still works, warning."""
    task = {"domain": "countdown", "numbers": [1, 2, 3], "target": 6}
    assert solve(task, capacity=2, out=False).verified
    with pytest.warns(DeprecationWarning, match="capacity"):
        assert solve(task, workers=2, out=False).verified
    with pytest.raises(InvalidArgument, match="capacity"):
        solve(task, capacity=0, out=False)
    with pytest.raises(InvalidArgument, match="capacity only"):
        solve(task, capacity=3, workers=2, out=False)


def test_a_task_dict_is_parsed_once_and_a_given_problem_again_for_each_run():
    # parse_task parses a task dict for this run alone, so the engine task shares that problem
    # (no second parse); a Problem the caller passes may come back in later runs, and what its
    # checks remember (a Sudoku's settled lines) must not carry over: it is parsed again.
    from reasoning.domains import load as load_problem
    from reasoning.engine._solve import parse_task

    task, problem = parse_task({"domain": "sudoku", "grid": "1.3.3.1..1.3.3.1"})
    assert task.problem is problem
    given = load_problem({"domain": "sudoku", "grid": "1.3.3.1..1.3.3.1"})
    again, same = parse_task(given)
    assert same is given and again.problem is not given and again.problem == given
    assert again.to_json() == task.to_json()


def test_a_find_goal_with_many_solutions_gets_one_answer_whatever_z3_solved_before(z3_perturbed):
    # The planner asks `solve: for x`, `solve: for y` and `solve: for x, y` in separate forks and
    # joins them only when they agree: with models that follow each reused Z3 context's history,
    # the answer changed from run to run and some runs ended with no answer at all.
    task = {
        "text": "x above y, sum 10",
        "unknowns": {"x": "Real", "y": "Real"},
        "constraints": ["x + y = 10", "x > y"],
    }
    outcomes = set()
    for label in range(5):
        z3_perturbed.before(f"history {label}")
        result = solve(task, out=False)
        outcomes.add((result.verified, tuple(result.answers)))
    assert len(outcomes) == 1 and next(iter(outcomes))[0], outcomes
