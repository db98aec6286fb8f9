"""Proof bundles: a run's bundle re-checks, and every kind of tampering is caught and named."""

import copy
import json

import pytest
from typer.testing import CliRunner

from reasoning.cli._main import app
from reasoning.engine._bundle import build_bundle, check_bundle
from reasoning.engine._engine import EngineConfig, ForkJoinEngine
from reasoning.engine._task import Task
from reasoning.engine._workers import ScriptedOrganizer, ScriptedWorker

TASK = Task(
    "Find integers x, y with x + y = 10.", unknowns={"x": "Int", "y": "Int"}, constraints=("x + y = 10",)
)


@pytest.fixture(scope="module")
def bundle():
    organizer = ScriptedOrganizer(
        [
            "<FORK-1>pick x</FORK-1><FORK-2>pick y</FORK-2><FORK-3>a fact</FORK-3><JOIN-1>",
            "<JOIN-2>",
            "<JOIN-3>",
            "<ANSWER>x = 3\ny = 7</ANSWER>",
        ]
    )
    worker = ScriptedWorker(
        {
            1: ["<RETURN>x = 3</RETURN>"],
            2: ["<RETURN>y = 8</RETURN>", "<RETURN>y = 7</RETURN>"],
            3: ["<RETURN>(a + 1)^2 = a^2 + 2*a + 1\nx + y = 10</RETURN>"],
        }
    )
    result = ForkJoinEngine(organizer, worker, EngineConfig()).run_sync(TASK)
    assert result.verified
    return build_bundle(result)


def failure(data):
    report = check_bundle(data, use_cvc5=False)
    assert not report.ok
    return report.first_failure


def test_a_run_bundle_rechecks_item_by_item(bundle):
    report = check_bundle(bundle, use_cvc5=False)
    assert report.ok, report.to_json()
    names = [item.name for item in report.items]
    assert names[:3] == ["format", "task", "graph"]
    assert sum(n.startswith("claim ") for n in names) == 4  # x = 3, y = 7, the identity, the entailed sum
    assert (
        "final consistency" in names
        and "answer (goal:find:pins)" in names
        and "answer (goal:find:exists)" in names
    )
    roles = {c["text"]: c["role"] for c in bundle["claims"]}
    assert roles == {
        "x = 3": "choice",
        "y = 7": "choice",
        "(a + 1)^2 = a^2 + 2*a + 1": "closed",
        "x + y = 10": "entailed",
    }


def test_a_changed_claim_text_is_caught(bundle):
    data = copy.deepcopy(bundle)
    entry = next(c for c in data["claims"] if c["text"] == "x = 3")
    entry["text"] = "x = 4"
    assert failure(data).name == f"claim {entry['node']}"


def test_a_claim_passed_off_in_a_stronger_role_is_caught(bundle):
    data = copy.deepcopy(bundle)
    entry = next(c for c in data["claims"] if c["text"] == "x = 3")
    entry["role"] = "entailed"  # x = 3 is only a choice: the certificate proves the existential
    assert "not" in failure(data).message


def test_a_refutation_certificate_cannot_stand_for_a_proof(bundle):
    data = copy.deepcopy(bundle)
    entry = next(c for c in data["claims"] if c["role"] == "entailed")
    claim = entry["certificate"]["claim"]
    entry["certificate"] = {"kind": "counterexample", "claim": claim, "assignment": {}}
    node = next(n for n in data["graph"]["nodes"] if n["id"] == entry["node"])
    node["certificate"] = entry["certificate"]  # the graph says the same: a consistent forgery
    assert "does not prove" in failure(data).message


def test_a_dropped_or_invented_claim_is_caught(bundle):
    data = copy.deepcopy(bundle)
    data["claims"].pop()
    assert failure(data).name == "graph"
    data = copy.deepcopy(bundle)
    data["claims"].append({**data["claims"][0], "node": "claim-99"})
    assert failure(data).name == "graph"


def test_a_final_consistency_certificate_that_leaves_a_claim_out_is_caught(bundle):
    data = copy.deepcopy(bundle)
    cert = data["final_consistency"]["certificate"]
    cert["claims"] = [c for c in cert["claims"] if c["claim"] != "y = 7"]
    assert failure(data).name == "final consistency"


def test_a_flipped_join_certificate_is_caught(bundle):
    data = copy.deepcopy(bundle)
    conflict = next(j for j in data["joins"] if j["status"] == "conflict")
    conflict["consistency"]["certificate"]["expect"] = "sat"
    assert failure(data).name.startswith("join")


def test_a_wrong_answer_is_caught(bundle):
    data = copy.deepcopy(bundle)
    data["answer"]["text"] = "x = 3\ny = 8"
    assert failure(data).name.startswith("answer")


@pytest.mark.parametrize("junk", [None, [], "text", {"format": "reasoning.bundle/1"}, {"format": "other"}])
def test_junk_is_reported_not_raised(junk):
    assert not check_bundle(junk, use_cvc5=False).ok


def test_reason_check_takes_a_bundle_and_names_the_failing_item(bundle, tmp_path):
    good = tmp_path / "bundle.json"
    good.write_text(json.dumps(bundle))
    result = CliRunner().invoke(app, ["check", str(good), "--no-cvc5", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["ok"] is True
    data = copy.deepcopy(bundle)
    data["answer"]["text"] = "x = 3\ny = 8"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    result = CliRunner().invoke(app, ["check", str(bad), "--no-cvc5"])
    assert result.exit_code == 1
    assert "bundle FAILED at answer" in result.output


# ---------------------------------------------------------------- an overall time limit


def test_check_bundle_stops_at_its_budget_and_says_so(bundle):
    report = check_bundle(bundle, use_cvc5=False, budget_s=0.0)
    assert not report.ok
    assert "not re-checked within 0 s" in report.first_failure.message
    assert check_bundle(bundle, use_cvc5=False, budget_s=120.0).ok


def test_reason_check_exits_1_when_its_timeout_runs_out(bundle, tmp_path):
    # A hostile file: many verdicts, each re-solved by Z3 (and a whole bundle too). Without a
    # limit `reason check` ran until done; with --timeout it stops, says so and never exits 0.
    import subprocess
    import sys

    from reasoning import verify

    line = json.dumps(verify("forall n in Int: n^2 >= n").to_json())
    many = tmp_path / "many.jsonl"
    many.write_text("\n".join([line] * 400) + "\n", encoding="utf-8")
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    for file, limit in ((many, "0.3"), (path, "0.01")):
        done = subprocess.run(
            [sys.executable, "-m", "reasoning.cli", "check", str(file), "--no-cvc5", "--timeout", limit],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 1, (done.stdout, done.stderr)
        assert f"not re-checked within {limit} s" in done.stdout + done.stderr
    result = CliRunner().invoke(app, ["check", str(path), "--no-cvc5", "--timeout", "120"])
    assert result.exit_code == 0, result.output


def test_the_join_replay_stops_at_the_budget_too(bundle, monkeypatch):
    # the replay re-checks every join's certificate before reporting any: with many joins it
    # ran past the budget; it now stops at the deadline like every other item.
    import reasoning.engine._bundle_joins as joins

    calls = []
    real = joins.check_report

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(joins, "check_report", counted)
    replay = joins.replay_joins(TASK, ["x + y = 10"], {}, bundle["joins"] * 50, use_cvc5=False, deadline=0.0)
    assert replay.accepted is None and not calls
    assert "not re-checked within" in replay.items[-1][2]
