"""`reason run` and the symbolic planner: real symbolic workers, a live ledger, a bundle that re-checks."""

import json

import pytest
from typer.testing import CliRunner

from reasoning.cli._main import app
from reasoning.engine._bundle import check_bundle, load_bundle
from reasoning.engine._engine import ForkJoinEngine
from reasoning.engine._planner import SymbolicPlanner, verified_claims
from reasoning.engine._symbolic_worker import SymbolicWorker
from reasoning.engine._task import Task
from reasoning.errors import InvalidArgument

runner = CliRunner()


def test_reason_run_solves_a_system_and_writes_a_bundle_that_rechecks(tmp_path):
    args = ["run", "--unknown", "x:Int", "--unknown", "y:Int", "--constraint", "x + y = 10"]
    args += ["--constraint", "x - y = 2", "--out", str(tmp_path), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["answers"] == ["x = 6\ny = 4"] and summary["verified"] is True
    assert {c["role"] for c in summary["certificates"]} == {
        "goal:find:pins",
        "goal:find:exists",
        "goal:find:constrained",
    }
    assert summary["metrics"]["forks"] == 2 and summary["bundle"] == str(tmp_path / "bundle.json")
    assert "[x] **f1** solve: for x" in (tmp_path / "ledger.md").read_text()
    assert check_bundle(load_bundle(summary["bundle"]), use_cvc5=False).ok


def test_reason_run_reads_a_task_file_and_prints_the_ledger_and_the_bundle(tmp_path):
    task = tmp_path / "task.json"
    data = {"text": "What is 3*8 + 1/2?", "unknowns": {"v": "Real"}, "constraints": ["v = 3*8 + 1/2"]}
    task.write_text(json.dumps(data))
    result = runner.invoke(app, ["run", "--task", str(task), "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    assert "v = 49/2" in result.output and "proof bundle:" in result.output
    assert "[x] **f1** solve: for v" in result.output  # the ledger, printed as text


@pytest.mark.parametrize(
    "args",
    [
        ["run"],
        ["run", "--task", "/nonexistent.json"],
        ["run", "--unknown", "x:Complex", "--constraint", "x = 1"],
        ["run", "--constraint", "x = = 1", "--unknown", "x:Int"],
        ["run", "--constraint", "y = 1", "--unknown", "x:Int"],
    ],
)
def test_reason_run_usage_errors_exit_2_with_a_message(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "error" in result.output.lower() or "usage" in result.output.lower()


def test_an_unsolvable_task_exits_1_without_a_verified_answer():
    args = ["run", "--unknown", "x:Int", "--constraint", "2*x = 7", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert json.loads(result.output)["verified"] is False


def test_verified_claims_follows_redone_and_dropped_forks():
    context = "\n".join(
        [
            "[fork 1, attempt 1: verified]",
            "x = 3   # proved (choice)",
            "[fork 2, attempt 1: verified]",
            "y = 8   # proved (choice)",
            "[fork 2 (attempt 1) was withdrawn: its claims conflict with fork-1.1]",
            "[fork 2, attempt 2: verified, re-joined]",
            "y = 7   # proved (choice)",
            "[fork 3 failed after 3 attempt(s)]",
            "z = 1   # proved (choice)",
        ]
    )
    assert verified_claims(context) == {1: ["x = 3"], 2: ["y = 7"]}


def test_the_planner_with_more_unknowns_than_workers_forks_in_waves():
    task = Task(
        "three",
        unknowns={"a": "Int", "b": "Int", "c": "Int"},
        constraints=("a + b + c = 6", "a = b", "b = c"),
    )
    planner = SymbolicPlanner(task, capacity=2)
    result = ForkJoinEngine(planner, SymbolicWorker()).run_sync(task)
    assert result.verified and result.answer == "a = 2\nb = 2\nc = 2"
    assert result.metrics.forks == 3 and result.metrics.format_errors == 0


def test_reason_run_takes_capacity_and_the_old_workers_spelling_with_a_notice(tmp_path):
    """One meaning per word: `--workers` names worker kinds (`reason solve`); a count is `--capacity`."""
    args = ["run", "--unknown", "x:Int", "--constraint", "x + 1 = 3", "--json"]
    new = runner.invoke(app, [*args, "--capacity", "2", "--out", str(tmp_path / "new")])
    assert new.exit_code == 0 and "deprecated" not in new.stderr, new.output
    old = runner.invoke(app, [*args, "--workers", "2", "--out", str(tmp_path / "old")])
    assert old.exit_code == 0 and json.loads(old.stdout)["answers"] == json.loads(new.stdout)["answers"]
    assert "--workers N is deprecated; use --capacity N" in old.stderr
    clash = runner.invoke(app, [*args, "--workers", "2", "--capacity", "3"])
    assert clash.exit_code == 2 and "disagree" in clash.output
    assert "--workers" not in runner.invoke(app, ["run", "--help"]).stdout


def test_serve_counts_processes_and_keeps_the_old_workers_spelling_hidden(capsys):
    from reasoning.cli._deprecated import capacity

    help_text = runner.invoke(app, ["serve", "--help"]).stdout
    assert "--processes" in help_text and "--workers" not in help_text
    assert capacity(None, None) == 4 and capacity(3, None) == 3
    assert capacity(None, 2) == 2 and "--workers N is deprecated; use --capacity N" in capsys.readouterr().err
    with pytest.raises(InvalidArgument, match="disagree"):
        capacity(3, 2)
