"""Word problems by formalization, end to end over real HTTP: a scripted OpenAI-compatible server
(tests/llm_servers.py `recording_app`, a test double on loopback) returns a right, a wrong and an
unparseable formalization; the answer is reported as verified against the formalization, never
as proved; the bundle records the formalization and `reason check` re-reads it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from llguidance.gbnf_to_lark import gbnf_to_lark
from typer.testing import CliRunner

from reasoning.cli import app
from reasoning.engine._bundle import check_bundle
from reasoning.engine._formal_task import grammar
from reasoning.engine._formalize import DISAGREE, NO_FORMALIZATION, VERIFIED, solve_word_problem
from tests.llm_servers import openai_spec, recording_app, serve_app

PROBLEM = (
    "A farm has 30 animals, all chickens or cows, and twice as many chickens as cows. "
    "How many chickens are there?"
)
RIGHT = """unknown chickens, cows: Int
constraint: chickens + cows = 30
constraint: chickens = 2 * cows
find: chickens"""
WRONG = """unknown chickens, cows: Int
constraint: chickens + cows = 30
constraint: cows = 2 * chickens
find: chickens"""
GARBAGE = "The farm has many chickens. I think the answer is twenty!"


def by_seed(*replies: str):
    """A reply function: request with seed i gets replies[i] (the last one repeats)."""
    return lambda body: replies[min(body.get("seed", 0), len(replies) - 1)]


def run_cli(*args: str):
    return CliRunner().invoke(app, ["solve", "math", *args], catch_exceptions=False)


def test_a_right_formalization_is_verified_against_it_never_proved(tmp_path):
    server = recording_app("Here it is:\n```\n" + RIGHT + "\n```")
    with serve_app(server) as url:
        result = solve_word_problem(PROBLEM, model=openai_spec(url), out=tmp_path)
    assert result.status == VERIFIED and result.verified
    assert (result.answer, result.value) == ("chickens = 20", "20")
    assert result.wording().startswith("verified against this formalization (written by openai:test-model)")
    data = result.to_json()
    assert data["proved"] is False and data["status"] != "proved"
    assert data["formalization"]["text"] == RIGHT and data["formalization"]["author"] == "openai:test-model"
    assert data["formalization"]["task"]["constraints"] == ["chickens + cows = 30", "chickens = 2 * cows"]
    assert data["rejected"] == [] and data["agreement"] == {"answers": {"20": 1}, "agree": True}
    body = server.state.requests[0]
    assert PROBLEM in body["messages"][-1]["content"] and body["temperature"] == 0
    assert "structured_outputs" not in body and "grammar" not in body  # grammar mode none by default
    bundle = json.loads(Path(result.bundle).read_text())
    assert bundle["formalization"]["text"] == RIGHT and bundle["formalization"]["status"] == VERIFIED
    report = check_bundle(bundle)
    assert report.ok, report.to_json()
    last = report.items[-1]
    assert last.name == "formalization is the task" and "written by openai:test-model" in last.message


def test_a_bundle_whose_formalization_is_not_its_task_fails_the_check(tmp_path):
    with serve_app(recording_app(RIGHT)) as url:
        result = solve_word_problem(PROBLEM, model=openai_spec(url), out=tmp_path)
    bundle = json.loads(Path(result.bundle).read_text())
    bundle["formalization"]["text"] = RIGHT.replace("2 * cows", "3 * cows")  # shown != solved
    report = check_bundle(bundle)
    assert not report.ok and report.first_failure.name == "formalization is the task"
    bundle["formalization"]["text"] = "unknown x Int"
    assert check_bundle(bundle).first_failure.name == "formalization parses"


def test_a_wrong_formalization_gives_a_wrong_answer_that_says_what_it_rests_on(tmp_path):
    with serve_app(recording_app(WRONG)) as url:
        result = solve_word_problem(PROBLEM, model=openai_spec(url), out=tmp_path)
    # 30 animals with cows = 2 * chickens: chickens = 10. Verified against what the model wrote;
    # the wording and the shown formalization are how a reader catches the mistake.
    assert result.status == VERIFIED and result.value == "10"
    assert "cows = 2 * chickens" in result.formalization.text
    assert "not proved from the problem's words" in result.wording()


def test_an_unparseable_formalization_gives_no_answer_and_a_clear_reason(tmp_path):
    with serve_app(recording_app(GARBAGE)) as url:
        result = solve_word_problem(PROBLEM, model=openai_spec(url), out=tmp_path)
    assert result.status == NO_FORMALIZATION and not result.verified
    assert result.answer is None and result.formalization is None and result.bundle is None
    data = result.to_json()
    assert data["formalization"] is None
    [rejected] = data["rejected"]
    assert rejected["text"] == GARBAGE and "does not parse at line 1, column 1" in rejected["reason"]
    assert "no usable formalization" in result.message


def test_samples_that_disagree_are_reported_and_not_verified(tmp_path):
    server = recording_app(by_seed(RIGHT, WRONG, GARBAGE))
    with serve_app(server) as url:
        result = solve_word_problem(PROBLEM, model=openai_spec(url), samples=3, seed=0, out=tmp_path)
    assert sorted(body["seed"] for body in server.state.requests) == [0, 1, 2]
    assert all(body["temperature"] == 0.7 for body in server.state.requests)
    assert result.status == DISAGREE and not result.verified
    assert result.agreement == {"20": 1, "10": 1}
    assert [s.verified for s in result.samples] == [True, True, False]
    assert result.samples[2].rejection is not None
    assert "other formalizations give other answers" in result.wording()


def test_samples_that_agree_are_verified(tmp_path):
    with serve_app(recording_app(by_seed(RIGHT, RIGHT.replace("2 * cows", "cows * 2")))) as url:
        result = solve_word_problem(PROBLEM, model=openai_spec(url), samples=2, out=tmp_path)
    assert result.status == VERIFIED and result.agreement == {"20": 2}


@pytest.mark.parametrize(
    "mode, field",
    [
        ("vllm", "structured_outputs"),
        ("vllm-guided", "guided_grammar"),
        ("llamacpp", "grammar"),
        ("none", None),
    ],
)
def test_the_formalization_grammar_is_sent_in_the_servers_dialect(tmp_path, mode, field):
    server = recording_app(RIGHT)
    with serve_app(server) as url:
        result = solve_word_problem(PROBLEM, model=openai_spec(url) + f"#grammar={mode}", out=tmp_path)
    assert result.status == VERIFIED and result.grammar_sent is (mode != "none")
    body = server.state.requests[0]
    keys = {"structured_outputs", "guided_grammar", "grammar"} & set(body)
    if field is None:
        assert keys == set()
        return
    assert keys == {field}
    if mode == "vllm":
        assert body["structured_outputs"] == {"grammar": grammar()}
    elif mode == "vllm-guided":
        assert body["guided_grammar"] == grammar()
    else:
        assert body["grammar"].startswith("root ::=")
        assert "%llguidance" in gbnf_to_lark(body["grammar"])  # llguidance reads it as GBNF


# ------------------------------------------------------------------------------- the CLI


def test_cli_prints_the_wording_and_the_formalization_and_exits_3(tmp_path):
    with serve_app(recording_app(RIGHT)) as url:
        result = run_cli("--problem", PROBLEM, "--model", openai_spec(url), "--out", str(tmp_path))
    assert result.exit_code == 3, result.output
    assert "verified against this formalization (written by openai:test-model)" in result.output
    assert "chickens = 20" in result.output and "constraint: chickens = 2 * cows" in result.output
    assert "proved)" not in result.output
    bundle = next(tmp_path.glob("sample-1/bundle.json"))
    checked = CliRunner().invoke(app, ["check", str(bundle)], catch_exceptions=False)
    assert checked.exit_code == 0, checked.output
    assert "not against the word problem's text" in checked.output


def test_cli_json_has_a_null_formalization_when_none_parsed(tmp_path):
    with serve_app(recording_app(GARBAGE)) as url:
        result = run_cli(
            "--problem",
            PROBLEM,
            "--model",
            openai_spec(url),
            "--samples",
            "2",
            "--json",
            "--out",
            str(tmp_path),
        )
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["formalization"] is None and data["status"] == NO_FORMALIZATION
    assert len(data["rejected"]) == 2 and data["answer"] is None


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "needs --problem"),
        (["--problem", "x", "--samples", "two"], "whole number"),
        (["--problem", "x", "--samples", "99"], "samples must be"),
        (["--problem", "x", "--colour", "red"], "unknown option"),
    ],
)
def test_cli_refuses_bad_arguments_with_exit_2(args, message):
    result = CliRunner().invoke(app, ["solve", "math", *args, "--model", "openai:http://127.0.0.1:9/v1/m"])
    assert result.exit_code == 2
    assert message in result.output
