"""The verified-claim cache: once per run, opt-in across runs, never a verdict for another obligation."""

from __future__ import annotations

import json

import pytest

from proofs.check import check_certificate
from proofs.verdict import Status
from reasoning.engine import _claim_cache as claim_cache
from reasoning.engine._bundle import check_bundle, load_bundle
from reasoning.engine._claim_cache import ClaimCache
from reasoning.engine._engine import EngineConfig, ForkJoinEngine
from reasoning.engine._task import Task, check_claim
from reasoning.engine._workers import ScriptedOrganizer, ScriptedWorker

XY = Task(
    "Find integers x, y with x + y = 10.", unknowns={"x": "Int", "y": "Int"}, constraints=("x + y = 10",)
)
# the same claim, refuted here: x > 5 rules x = 3 out
XY_BIG = Task(
    "Find integers x, y with x + y = 10.",
    unknowns={"x": "Int", "y": "Int"},
    constraints=("x + y = 10", "x > 5"),
)
BUDGET = 2.0


def test_an_identical_obligation_is_checked_once_and_keeps_its_certificate():
    cache = ClaimCache()
    first = cache.check_claim(XY, "x = 3", budget_s=BUDGET)
    again = cache.check_claim(XY, "x=3", budget_s=BUDGET)  # the same formula, other spacing
    assert (cache.lookups, cache.hits) == (2, 1)
    assert again.text == "x=3" and again.verdict is first.verdict and again.role == first.role
    assert again.verdict.status is Status.PROVED
    assert check_certificate(again.verdict.certificate, use_cvc5=False).ok
    assert not cache.was_hit(first) and cache.was_hit(again)


def test_another_task_or_budget_is_another_obligation():
    cache = ClaimCache()
    assert cache.check_claim(XY, "x = 3", budget_s=BUDGET).verdict.status is Status.PROVED
    assert cache.check_claim(XY_BIG, "x = 3", budget_s=BUDGET).verdict.status is Status.REFUTED
    cache.check_claim(XY, "x = 3", budget_s=BUDGET + 1)
    assert cache.hits == 0


def test_a_run_counts_its_cache_hits_in_the_metrics(tmp_path):
    organizer = ScriptedOrganizer(
        ["<FORK-1>x?</FORK-1><JOIN-1>", "<FORK-2>x again?</FORK-2><JOIN-2>", "<ANSWER>x = 3\ny = 7</ANSWER>"]
    )
    worker = ScriptedWorker({1: ["<RETURN>x = 3</RETURN>"], 2: ["<RETURN>x = 3\ny = 7</RETURN>"]})
    result = ForkJoinEngine(organizer, worker, EngineConfig()).run_sync(XY, run_dir=tmp_path)
    assert result.verified
    m = result.metrics
    assert (m.claim_checks, m.claim_cache_hits, m.claim_cache_hit_rate) == (
        3,
        1,
        pytest.approx(1 / 3, abs=1e-4),
    )
    assert [e.cached for e in result.events if e.kind == "verdict"] == [False, True, False]
    report = check_bundle(load_bundle(result.bundle_path), use_cvc5=False)
    assert report.ok, report.to_json()


def test_a_refuted_claim_returned_again_is_not_checked_again():
    organizer = ScriptedOrganizer(["<FORK-1>3*8?</FORK-1><JOIN-1>", "<ANSWER>3*8 = 24</ANSWER>"])
    worker = ScriptedWorker({1: ["<RETURN>3*8 = 25</RETURN>"]})
    result = ForkJoinEngine(organizer, worker, EngineConfig()).run_sync(Task("3*8 = 24"))
    assert result.metrics.rejected_attempts == 3
    assert (result.metrics.claim_checks, result.metrics.claim_cache_hits) == (3, 2)


def test_the_disk_cache_serves_a_later_run_with_a_recheckable_certificate(tmp_path):
    first = ClaimCache(tmp_path)
    fresh = first.check_claim(XY, "x = 3", budget_s=BUDGET)
    later = ClaimCache(tmp_path)  # a new run: nothing in memory
    cached = later.check_claim(XY, "x = 3", budget_s=BUDGET)
    assert later.disk_hits == 1 and later.hits == 1
    assert cached.verdict.to_json() == fresh.verdict.to_json()
    assert cached.formula is not None and cached.role == fresh.role
    assert check_certificate(cached.verdict.certificate, use_cvc5=False).ok
    assert not list(tmp_path.rglob("*.tmp"))  # written atomically: no temporary file left
    # the same claim about another task is a miss, and is decided on its own
    assert later.check_claim(XY_BIG, "x = 3", budget_s=BUDGET).verdict.status is Status.REFUTED
    assert later.disk_hits == 1


def test_the_disk_cache_through_the_engine_config(tmp_path):
    def one_run():
        organizer = ScriptedOrganizer(["<FORK-1>x?</FORK-1><JOIN-1>", "<ANSWER>x = 3\ny = 7</ANSWER>"])
        worker = ScriptedWorker({1: ["<RETURN>x = 3</RETURN>"]})
        config = EngineConfig(claim_cache_dir=tmp_path / "cache")
        return ForkJoinEngine(organizer, worker, config).run_sync(XY, run_dir=tmp_path / "run")

    assert one_run().metrics.claim_cache_hits == 0
    second = one_run()
    assert second.verified and second.metrics.claim_cache_hits == 1
    assert check_bundle(load_bundle(second.bundle_path), use_cvc5=False).ok


def _only_entry(directory):
    (entry,) = list(directory.rglob("*.json"))
    return entry


def test_an_edited_key_a_new_checker_or_a_broken_file_is_a_miss(tmp_path, monkeypatch):
    ClaimCache(tmp_path).check_claim(XY, "x = 3", budget_s=BUDGET)
    path = _only_entry(tmp_path)
    entry = json.loads(path.read_text())

    # an entry whose stored key is not the one asked for (moved, collided, edited) is not used
    entry["key"]["task"] = entry["key"]["task"].replace("x + y = 10", "x + y = 11")
    path.write_text(json.dumps(entry))
    cache = ClaimCache(tmp_path)
    assert cache.check_claim(XY, "x = 3", budget_s=BUDGET).verdict.status is Status.PROVED
    assert cache.disk_hits == 0

    path.write_text('{"key": ')  # half a file
    assert ClaimCache(tmp_path).check_claim(XY, "x = 3", budget_s=BUDGET).verdict.status is Status.PROVED

    # a checker that changed does not read the old checker's verdicts
    ClaimCache(tmp_path).check_claim(XY, "x = 3", budget_s=BUDGET)
    monkeypatch.setattr(claim_cache, "checker_version", lambda: "another checker")
    cache = ClaimCache(tmp_path)
    cache.check_claim(XY, "x = 3", budget_s=BUDGET)
    assert cache.disk_hits == 0


def test_a_stored_verdict_that_is_not_definitive_is_never_served(tmp_path):
    ClaimCache(tmp_path).check_claim(XY, "x = 3", budget_s=BUDGET)
    path = _only_entry(tmp_path)
    entry = json.loads(path.read_text())
    entry["verdict"]["status"] = "unknown"
    path.write_text(json.dumps(entry))
    cache = ClaimCache(tmp_path)
    assert cache.check_claim(XY, "x = 3", budget_s=BUDGET).verdict.status is Status.PROVED
    assert cache.disk_hits == 0


def test_only_definitive_verdicts_go_to_disk(tmp_path):
    cache = ClaimCache(tmp_path)
    assert cache.check_claim(XY, "x = = 3", budget_s=BUDGET).verdict.status is Status.INVALID
    unknown = Task("t", unknowns={"x": "Real"}, constraints=("x > 0",))
    status = cache.check_claim(unknown, "exp(x) > x + 1", budget_s=BUDGET).verdict.status
    assert status is check_claim(unknown, "exp(x) > x + 1", budget_s=BUDGET).verdict.status
    stored = list(tmp_path.rglob("*.json"))
    assert len(stored) == (1 if status in (Status.PROVED, Status.REFUTED) else 0)


def test_a_domain_claim_is_keyed_by_its_exact_text(tmp_path):
    task = Task.from_json({"text": "24", "domain": {"domain": "countdown", "numbers": [3, 8], "target": 24}})
    cache = ClaimCache(tmp_path)
    first = cache.check_claim(task, "3 * 8 = 24", budget_s=BUDGET)
    cache.check_claim(task, "3*8 = 24", budget_s=BUDGET)  # another text: checked by the domain again
    again = ClaimCache(tmp_path).check_claim(task, "3 * 8 = 24", budget_s=BUDGET)
    assert cache.hits == 0
    assert again.verdict.to_json() == first.verdict.to_json() and again.role == "domain"


def test_reason_run_and_solve_take_a_cache_directory(tmp_path):
    from typer.testing import CliRunner

    from reasoning.cli._main import app

    runner = CliRunner()
    args = ["run", "--unknown", "x:Int", "--unknown", "y:Int", "--constraint", "x + y = 10"]
    args += ["--constraint", "x - y = 2", "--cache", str(tmp_path / "cache"), "--json"]
    hits = []
    for _ in range(2):
        result = runner.invoke(app, [*args, "--out", str(tmp_path / f"run{len(hits)}")])
        assert result.exit_code == 0, result.output
        hits.append(json.loads(result.output)["metrics"]["claim_cache_hits"])
    assert hits[0] == 0 and hits[1] > 0
    solve = ["solve", "countdown", "--numbers", "3", "8", "--target", "24", "--workers", "symbolic"]
    solve += ["--cache", str(tmp_path / "cache"), "--json"]
    solved = [json.loads(runner.invoke(app, solve).output)["metrics"]["claim_cache_hits"] for _ in range(2)]
    assert solved[0] == 0 and solved[1] > 0


def test_check_returned_through_the_cache_is_check_returned():
    from reasoning.engine._task import MAX_CLAIMS, check_returned

    cache = ClaimCache()
    bodies = [
        "x = 3\n# a note\nx + y = 10\n\nx = = 1\ny = 7",
        "x = 3\nx=3\nx > 100",
        "\n".join(f"x + {i} = {i} + x" for i in range(MAX_CLAIMS + 2)),
    ]
    for body in bodies * 2:  # the second time from the cache
        got, notes = cache.check_returned(XY, body, budget_s=BUDGET)
        want, want_notes = check_returned(XY, body, budget_s=BUDGET)
        assert notes == want_notes
        assert [(c.text, c.role, c.verdict.to_json() | {"elapsed_ms": 0}) for c in got] == [
            (c.text, c.role, c.verdict.to_json() | {"elapsed_ms": 0}) for c in want
        ]
    assert cache.hits > MAX_CLAIMS


def test_a_run_whose_budget_cuts_its_checks_still_hits_the_cache():
    # The run budget cuts each check to what is left of it; cut to the microsecond, every check
    # had its own budget, so the cache (keyed by budget) never hit: 0 hits of 2 here.
    organizer = ScriptedOrganizer(
        ["<FORK-1>x?</FORK-1><JOIN-1>", "<FORK-2>x again?</FORK-2><JOIN-2>", "<ANSWER>x = 3\ny = 7</ANSWER>"]
    )
    worker = ScriptedWorker({1: ["<RETURN>x = 3</RETURN>"], 2: ["<RETURN>x = 3\ny = 7</RETURN>"]})
    config = EngineConfig(run_budget_s=30.0, verify_budget_s=60.0)
    result = ForkJoinEngine(organizer, worker, config).run_sync(XY)
    assert result.verified and result.metrics.claim_cache_hits == 1


def test_a_cut_budget_steps_down_to_one_two_or_five_times_a_power_of_ten():
    from reasoning.engine._engine import _step_down

    assert [_step_down(s) for s in (29.99, 20.0, 9.7, 4.99, 1.0, 0.31, 0.01)] == [20, 20, 5, 2, 1, 0.2, 0.0]
