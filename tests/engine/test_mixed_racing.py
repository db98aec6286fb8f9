"""Racing in mixed workers (`reasoning.engine._racing`, `reasoning.engine._mixed_worker`, `reasoning.llm._router`).

The model and the solver run one attempt at once; the first verified result is joined and the
other run is cancelled for real (its stream is closed, no more tokens come). The workers here
are test doubles (named so): a scripted "model" and a scripted "symbolic" with chosen latencies.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from typer.testing import CliRunner

from reasoning.api import InvalidArgument
from reasoning.cli import app
from reasoning.engine._engine import EngineConfig, ForkJoinEngine
from reasoning.engine._mixed_worker import MixedWorker
from reasoning.engine._racing import ContestResult, first_to_win, worker_summary
from reasoning.engine._run_trace import CancelEvent, ContestEvent, RejectionEvent, RouteEvent
from reasoning.engine._task import Task
from reasoning.engine._workers import ScriptedOrganizer, ScriptedWorker, Tokens
from reasoning.llm._base import Delta, StreamingBackend
from reasoning.llm._router import YieldRouter, query_kind
from reasoning.llm._workers import LLMWorker

RIGHT = "<RETURN>3*8 = 24</RETURN>"
WRONG = "<RETURN>3*8 = 25</RETURN>"
MODEL = "llm:double"


class RecordingWorkerDouble:
    """Test double: streams `chunks` (model `Tokens`, one each) `delay_s` apart, and records how
    many it sent and whether its stream was closed or cancelled."""

    def __init__(self, replies: list[str], *, delay_s: float) -> None:
        self.replies = replies
        self.delay_s = delay_s
        self.sent = 0
        self.closed = False
        self.cancelled = False
        self.requests = []

    async def stream(self, request):
        self.requests.append(request)
        text = self.replies[min(request.attempt, len(self.replies)) - 1]
        try:
            for word in text.split(" "):
                await asyncio.sleep(self.delay_s)
                self.sent += 1
                yield Tokens(word + " ", 1)
        except (asyncio.CancelledError, GeneratorExit):
            self.cancelled = True
            raise
        finally:
            self.closed = True


def words(text: str) -> str:
    """The RETURN text split into several chunks, so a slow double takes several steps."""
    return text.replace("*", " * ").replace("=", " = ")


def organizer() -> ScriptedOrganizer:
    return ScriptedOrganizer(["<FORK-1>3*8?</FORK-1><JOIN-1>", "<ANSWER>3*8 = 24</ANSWER>"])


def no_head_start(**kwargs) -> YieldRouter:
    return YieldRouter(min_head_start_s=0, max_head_start_s=0, **kwargs)


def race(model, solver, *, router=None, turns=None, capacity=2):
    mixed = MixedWorker(model, solver, llm_label=MODEL, capacity=capacity, router=router or no_head_start())
    engine = ForkJoinEngine(turns or organizer(), mixed, EngineConfig(capacity=capacity, worker_timeout_s=10))
    return engine.run_sync(Task("3*8 = 24")), mixed


def contests(result) -> dict[str, ContestEvent]:
    return {e.worker: e for e in result.events if isinstance(e, ContestEvent)}


def test_a_fast_solver_beats_a_slow_model_whose_generation_really_stops():
    model = RecordingWorkerDouble([words(RIGHT)], delay_s=0.1)  # 7 chunks: 0.7 s
    solver = ScriptedWorker({1: [RIGHT]}, delay_s=0.02)
    result, mixed = race(model, solver)
    assert result.verified
    ended = contests(result)
    assert ended["symbolic"].outcome == "won" and ended["symbolic"].taken
    assert ended[MODEL].outcome == "cancelled" and not ended[MODEL].taken
    assert model.closed and model.cancelled
    sent = model.sent
    time.sleep(0.3)  # a generation that kept going would send three more chunks by now
    assert model.sent == sent < 7
    assert mixed.producers[(1, 1)] == "symbolic"
    assert not [e for e in result.events if isinstance(e, (RejectionEvent, CancelEvent))]
    m = result.metrics
    assert m.raced_attempts == 1 and m.race_cancelled == 1 and m.rejected_attempts == 0
    # the cancelled model's tokens are spent work (in the totals) but on no chain
    assert m.race_tokens == ended[MODEL].tokens == sent and m.total_tokens == sent
    assert m.critical_path_tokens == 0


def test_a_fast_model_beats_a_slow_solver_and_is_named_as_the_producer():
    model = ScriptedWorker({1: [RIGHT]}, delay_s=0.01)
    solver = RecordingWorkerDouble([words(RIGHT)], delay_s=0.1)
    result, mixed = race(model, solver)
    assert result.verified
    ended = contests(result)
    assert ended[MODEL].outcome == "won" and ended["symbolic"].outcome == "cancelled"
    assert solver.closed and solver.sent < 7
    assert mixed.producers[(1, 1)] == MODEL
    summary = worker_summary(result.events, mixed.producers)
    assert summary[MODEL]["won"] == 1 and summary[MODEL]["verified"] == 1
    assert summary["symbolic"]["cancelled"] == 1 and summary["symbolic"]["verified"] == 0


def test_a_wrong_fast_model_loses_to_a_right_slower_solver_without_rejecting_the_attempt():
    model = ScriptedWorker({1: [WRONG]}, delay_s=0.01)
    solver = ScriptedWorker({1: [RIGHT]}, delay_s=0.2)
    result, mixed = race(model, solver)
    assert result.verified and result.metrics.redispatches == 0
    ended = contests(result)
    assert ended[MODEL].outcome == "rejected" and ended[MODEL].rejected == 1
    assert "3*8 = 25: refuted" in ended[MODEL].reason
    assert ended["symbolic"].outcome == "won"
    assert not [e for e in result.events if isinstance(e, RejectionEvent)]
    # the joined attempt holds the solver's claims only
    assert [c["text"] for c in result.accepted_claims()] == ["3*8 = 24"]
    assert mixed.producers[(1, 1)] == "symbolic"


def test_when_every_entrant_is_rejected_the_attempt_is_rejected_with_each_reason():
    model = ScriptedWorker({1: [WRONG, RIGHT]}, delay_s=0.01)
    solver = ScriptedWorker({1: ["<RETURN>3*8 = 23</RETURN>", "<RETURN>3*8 = 23</RETURN>"]}, delay_s=0.05)
    result, mixed = race(model, solver)
    assert result.verified
    (rejection,) = [e for e in result.events if isinstance(e, RejectionEvent)]
    assert rejection.attempt == 1 and f"{MODEL}: 3*8 = 25" in rejection.reason
    assert "symbolic: 3*8 = 23" in rejection.reason
    # the re-dispatch tells each worker about every rejected claim
    feedback = "\n".join(model.requests[1].feedback)
    assert "3*8 = 25" in feedback and "3*8 = 23" in feedback
    assert mixed.producers[(1, 2)] == MODEL


def test_a_solver_verified_within_its_head_start_never_starts_the_model():
    model = ScriptedWorker({1: [RIGHT]})
    solver = ScriptedWorker({1: [RIGHT]}, delay_s=0.01)
    router = YieldRouter(min_head_start_s=0.5, max_head_start_s=0.5)
    result, _ = race(model, solver, router=router)
    assert result.verified and model.requests == []  # the model's stream was never opened
    ended = contests(result)
    assert ended[MODEL].outcome == "cancelled" and ended[MODEL].elapsed_s == 0
    assert "head start" in ended[MODEL].reason
    (route,) = [e for e in result.events if isinstance(e, RouteEvent)]
    assert route.workers == f"symbolic,{MODEL}" and "head start 0.5 s" in route.why


class TickingBackendDouble(StreamingBackend):
    """Test double of a model backend: one token every `delay_s`, up to `tokens`; records how
    many it emitted and whether the stream was closed."""

    name = "ticking"

    def __init__(self, *, delay_s: float = 0.05, tokens: int = 200) -> None:
        self.delay_s = delay_s
        self.tokens = tokens
        self.emitted = 0
        self.closed = False

    async def stream(self, prompt, **params):
        try:
            for _ in range(self.tokens):
                await asyncio.sleep(self.delay_s)
                self.emitted += 1
                yield Delta("x ", 1)
            yield Delta("", 0, finish_reason="length", prompt_tokens=1)
        finally:
            self.closed = True


def test_a_losing_llm_worker_closes_its_backend_stream():
    backend = TickingBackendDouble()
    solver = ScriptedWorker({1: [RIGHT]}, delay_s=0.3)  # the model has started by then
    mixed = MixedWorker(LLMWorker(backend), solver, capacity=2, router=no_head_start())
    engine = ForkJoinEngine(organizer(), mixed, EngineConfig(capacity=2))
    result = engine.run_sync(Task("3*8 = 24"))
    assert result.verified and backend.closed
    emitted = backend.emitted
    time.sleep(0.3)
    assert backend.emitted == emitted < 200 and emitted > 0
    assert contests(result)["llm:ticking"].outcome == "cancelled"


def test_a_final_answer_cancels_a_race_and_frees_the_model_slot():
    model = RecordingWorkerDouble([words(RIGHT)], delay_s=0.2)
    solver = RecordingWorkerDouble([words(RIGHT)], delay_s=0.2)
    turns = ScriptedOrganizer(["<FORK-1>3*8?</FORK-1><ANSWER>3*8 = 24</ANSWER>"])
    result, mixed = race(model, solver, turns=turns)
    assert result.verified and model.closed and solver.closed
    assert [e.fork_id for e in result.events if isinstance(e, CancelEvent)] == [1]
    assert mixed._model_runs == set()
    stats = mixed.router.summary()["plain/query"]
    assert stats["llm"]["cancelled"] == 1 and stats["symbolic"]["cancelled"] == 1


def test_first_to_win_takes_simultaneous_results_in_entrant_order():
    async def at(delay, value):
        await asyncio.sleep(delay)
        return value

    winner, results, order = asyncio.run(first_to_win([at(0.01, "a"), at(0.01, "b")], lambda v: True))
    assert winner == 0 and results == ["a", "b"] and order == [0, 1]
    winner, results, order = asyncio.run(first_to_win([at(0.2, "a"), at(0.01, "b")], lambda v: True))
    assert winner == 1 and results == [None, "b"] and order == [1]
    winner, results, order = asyncio.run(first_to_win([at(0.0, 1), at(0.02, 2)], lambda v: v == 2))
    assert winner == 1 and results == [1, 2] and order == [0, 1]
    winner, _, _ = asyncio.run(first_to_win([at(0.0, 1)], lambda v: False))
    assert winner is None


# ---------------------------------------------------------------- the router


def result(kind: str, outcome: str, seconds: float, proved: int = 0) -> ContestResult:
    return ContestResult(label=kind, kind=kind, outcome=outcome, elapsed_s=seconds, proved=proved)


def test_the_router_explores_then_skips_a_model_that_never_yields():
    router = YieldRouter(min_trials=2, explore_every=3)
    key = router.key("countdown", "search part 1 of 4, want 4")
    assert key == "countdown/search"
    for _ in range(2):
        race_it, why = router.decide(key, model_busy=0, capacity=4)
        assert race_it and "exploring" in why
        router.record(key, [result("symbolic", "won", 0.05, 2), result("llm", "cancelled", 0.05)])
    decisions = [router.decide(key, model_busy=0, capacity=4) for _ in range(6)]
    assert [d[0] for d in decisions] == [False, False, True, False, False, True]
    assert "below 1/10" in decisions[0][1] and "re-probing" in decisions[2][1]
    assert "model 0 vs symbolic 40 verified claims/s" in decisions[0][1]


def test_the_router_races_a_model_whose_yield_is_within_the_factor():
    router = YieldRouter(min_trials=1, factor=10)
    key = "sudoku/solve"
    router.record(key, [result("symbolic", "won", 1.0, 1), result("llm", "lost", 2.0, 1)])
    race_it, why = router.decide(key, model_busy=0, capacity=4)
    assert race_it and "within 1/10" in why
    router.record(key, [result("symbolic", "won", 1.0, 100)])
    assert not router.decide(key, model_busy=0, capacity=4)[0]


def test_the_router_bounds_the_model_share_of_capacity():
    router = YieldRouter(model_share=0.5)
    assert router.model_slots(4) == 2 and router.model_slots(1) == 1
    race_it, why = router.decide("k/q", model_busy=2, capacity=4)
    assert not race_it and "share is full (2 of 2" in why
    assert YieldRouter(model_share=0).model_slots(8) == 0
    assert not YieldRouter(model_share=0).decide("k/q", model_busy=0, capacity=8)[0]


def test_mixed_workers_race_the_model_only_within_its_share():
    solver = ScriptedWorker({i: [RIGHT] for i in (1, 2, 3)}, delay_s=0.05)
    model = ScriptedWorker({i: [WRONG] for i in (1, 2, 3)}, delay_s=0.2)
    turns = ScriptedOrganizer(
        ["<FORK-1>3*8?</FORK-1><FORK-2>3*8?</FORK-2><FORK-3>3*8?</FORK-3><JOIN-1>", "<JOIN-2>", "<JOIN-3>"]
        + ["<ANSWER>3*8 = 24</ANSWER>"]
    )
    result, _ = race(model, solver, turns=turns, capacity=3)  # share 0.5 of 3: one model slot
    routes = [e for e in result.events if isinstance(e, RouteEvent)]
    assert [r.workers for r in routes] == [f"symbolic,{MODEL}", "symbolic", "symbolic"]
    assert "share is full" in routes[1].why
    assert result.verified and result.metrics.raced_attempts == 1


def test_the_head_start_follows_the_solver_speed_within_bounds():
    router = YieldRouter(min_head_start_s=0.05, max_head_start_s=0.25)
    assert router.head_start("k/q") == 0.25
    router.record("k/q", [result("symbolic", "won", 0.01, 1)])
    assert router.head_start("k/q") == 0.05
    router.record("k/q", [result("symbolic", "won", 0.09, 1)])
    assert router.head_start("k/q") == pytest.approx(0.1)


def test_the_router_keeps_its_yields_in_a_file_between_runs(tmp_path):
    path = tmp_path / "router.json"
    first = YieldRouter(state_path=path)
    first.record("countdown/search", [result("symbolic", "won", 0.5, 3), result("llm", "cancelled", 0.5)])
    data = json.loads(path.read_text())
    assert data["stats"]["countdown/search"]["symbolic"]["verified"] == 3
    second = YieldRouter(state_path=path)
    assert second.summary() == first.summary()
    path.write_text("not json")
    assert YieldRouter(state_path=path).stats == {}  # a broken file is a fresh start


def test_router_options_are_checked_at_the_door():
    for bad in ({"factor": 0.5}, {"model_share": 1.5}, {"min_trials": -1}, {"max_head_start_s": -1}):
        with pytest.raises(InvalidArgument):
            YieldRouter(**bad)
    assert query_kind("Search part 1 of 4") == "search" and query_kind("3*8?") == "query"


# ---------------------------------------------------------------- the CLI


def test_worker_timeout_and_the_per_worker_line_in_reason_solve():
    runner = CliRunner()
    ok = runner.invoke(
        app,
        ["solve", "arithmetic", "--expression", "3 * 8", "--workers", "symbolic", "--worker-timeout", "5"],
    )
    assert ok.exit_code == 0, ok.output
    assert "by worker: symbolic 3 verified, 0 rejected, 0 cancelled (3 of 3 attempt(s) taken)" in ok.stdout
    data = json.loads(
        runner.invoke(
            app, ["solve", "arithmetic", "--expression", "3 * 8", "--workers", "symbolic", "--json"]
        ).stdout
    )
    assert data["by_worker"]["symbolic"]["verified"] == 3 and data["model_load_s"] == 0
    bad = runner.invoke(app, ["solve", "arithmetic", "--expression", "3", "--worker-timeout", "0"])
    assert bad.exit_code == 2


def test_worker_timeout_in_reason_run():
    runner = CliRunner()
    args = ["run", "--unknown", "x:Int", "--constraint", "x + 3 = 10", "--worker-timeout", "5", "--json"]
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    assert runner.invoke(app, [*args[:-3], "--worker-timeout", "0"]).exit_code == 2


# ---------------------------------------------------------------- the real model (slow)


class DelayedWorkerDouble:
    """Test double: a real worker that starts `delay_s` late (a slow solver)."""

    def __init__(self, worker, delay_s: float) -> None:
        self.worker = worker
        self.delay_s = delay_s

    async def stream(self, request):
        await asyncio.sleep(self.delay_s)
        async for chunk in self.worker.stream(request):
            yield chunk


@pytest.mark.slow
def test_the_local_model_stops_generating_when_the_solver_wins(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from reasoning.domains import get, load
    from reasoning.llm._local import LocalBackend

    backend = LocalBackend()
    backend.load()
    try:
        problem = load({"domain": "countdown", "numbers": [25, 50, 75, 100, 3, 6], "target": 952})
        domain = get("countdown")
        solver = DelayedWorkerDouble(domain.symbolic_worker(), 3.0)  # the model is mid-generation by then
        mixed = MixedWorker(LLMWorker(backend, max_tokens=256), solver, capacity=1, router=no_head_start())
        engine = ForkJoinEngine(domain.planner(problem, capacity=1), mixed, EngineConfig(capacity=1))
        result = engine.run_sync(Task.of_problem(problem))
        assert result.verified
        ended = [e for e in result.events if isinstance(e, ContestEvent) and e.worker_kind == "llm"]
        assert ended and all(e.outcome in ("cancelled", "rejected", "won") for e in ended)
        time.sleep(1.0)  # the decode loop drops a cancelled row at its next step
        before = backend.stats()
        time.sleep(1.0)
        after = backend.stats()
        assert after["running"] == 0 and after["tokens_generated"] == before["tokens_generated"]
        assert after["tokens_generated"] < 256 * after["requests"]
    finally:
        backend.close()


def test_solve_keeps_the_router_state_between_runs(tmp_path):
    from reasoning.engine._solve import solve
    from reasoning.llm._scripted import ScriptedBackend

    path = tmp_path / "router.json"
    task = {"domain": "arithmetic", "expression": "3 * 8"}
    first = solve(task, worker_kind="mixed", model=ScriptedBackend(["no idea"]), out=False, router_state=path)
    assert first.verified and first.routing and path.exists()
    runs = first.routing["arithmetic/evaluate"]["symbolic"]["runs"]
    second = solve(
        task, worker_kind="mixed", model=ScriptedBackend(["no idea"]), out=False, router_state=path
    )
    assert second.routing["arithmetic/evaluate"]["symbolic"]["runs"] == 2 * runs


def test_the_router_keys_on_the_task_shape():
    from reasoning.domains import get
    from reasoning.engine._workers import WorkerRequest
    from reasoning.llm._router import problem_shape

    countdown = get("countdown")
    three = Task.of_problem(countdown.parse({"numbers": [3, 5, 7], "target": 22}))
    four = Task.of_problem(countdown.parse({"numbers": [3, 5, 7, 2], "target": 29}))
    assert problem_shape(three.problem) == "3 numbers"
    assert problem_shape(get("sudoku").parse({"grid": "0034341221434321"})) == "4x4"
    assert problem_shape(None) is None
    assert YieldRouter.key("countdown", "search all", "3 numbers") == "countdown/search/3 numbers"

    router = YieldRouter(min_trials=1)
    mixed = MixedWorker(ScriptedWorker({1: [RIGHT]}), ScriptedWorker({1: [RIGHT]}), router=router)
    for fork, task in ((1, three), (2, four)):
        request = WorkerRequest(fork, 1, "search part 1 of 2, want 1", task)
        mixed.lineup(request)
        winner = result("llm", "won", 0.5, 2) if fork == 1 else result("symbolic", "won", 0.01, 2)
        mixed.settled(request, [winner, result("symbolic" if fork == 1 else "llm", "cancelled", 0.5)])
    stats = router.summary()
    assert set(stats) == {"countdown/search/3 numbers", "countdown/search/4 numbers"}
    assert stats["countdown/search/3 numbers"]["llm"]["verified"] == 2
    assert stats["countdown/search/4 numbers"]["llm"]["verified"] == 0


def test_router_state_saved_under_the_old_solver_label_loads_as_symbolic(tmp_path):
    """One meaning per word: a state file from before the rename names the symbolic kind "solver"."""
    path = tmp_path / "router.json"
    old = {"runs": 4, "won": 4, "cancelled": 0, "verified": 8, "seconds": 2.0}
    path.write_text(json.dumps({"version": 1, "stats": {"arithmetic/evaluate": {"solver": old}}}))
    router = YieldRouter()
    router.load(path)
    assert set(router.stats["arithmetic/evaluate"]) == {"symbolic"}
    assert router.of("arithmetic/evaluate", "symbolic").verified == 8


def test_solve_still_takes_the_old_solver_worker_kind():
    from reasoning.engine import solve

    result = solve({"domain": "arithmetic", "expression": "3 * 8"}, worker_kind="solver", budget_s=30.0)
    assert result.verified and result.worker_kind == "symbolic"
    assert {p["worker"] for p in result.producers} == {"symbolic"}
