"""Run traces: JSONL round trip, and critical-path / concurrency metrics on hand-computed runs."""

import json
from itertools import count

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reasoning.api import InvalidArgument
from reasoning.engine._run_trace import (
    AnswerEvent,
    CancelEvent,
    ForkEvent,
    FormatErrorEvent,
    JoinEvent,
    RedispatchEvent,
    RejectionEvent,
    RunTrace,
    VerdictEvent,
    WorkerTokensEvent,
    compute_metrics,
    event_from_json,
)


def sequential_single_fork():
    return [
        ForkEvent(t=1.0, fork_id=1, organizer_tokens=10, query="3*8?"),
        WorkerTokensEvent(t=3.0, fork_id=1, tokens=20, final=True),
        VerdictEvent(t=3.5, fork_id=1, claim="3*8 = 24", status="proved"),
        JoinEvent(t=4.0, fork_id=1, requested_t=2.0, organizer_tokens=5),
        AnswerEvent(t=5.0, organizer_tokens=7, text="24", status="proved"),
    ]


def two_parallel_forks():
    return [
        ForkEvent(t=1.0, fork_id=1, organizer_tokens=10),
        ForkEvent(t=2.0, fork_id=2, organizer_tokens=5),
        WorkerTokensEvent(t=3.0, fork_id=2, tokens=10, final=True),
        WorkerTokensEvent(t=4.0, fork_id=1, tokens=30, final=True),
        JoinEvent(t=5.0, fork_id=1, requested_t=2.5, organizer_tokens=2),
        JoinEvent(t=5.0, fork_id=2, requested_t=5.0, organizer_tokens=1),
        AnswerEvent(t=6.0, organizer_tokens=4),
    ]


def fork_after_join():
    return [
        ForkEvent(t=0.0, fork_id=1, organizer_tokens=4),
        WorkerTokensEvent(t=2.0, fork_id=1, tokens=8, final=True),
        JoinEvent(t=2.0, fork_id=1, requested_t=1.0, organizer_tokens=2),
        ForkEvent(t=3.0, fork_id=2, organizer_tokens=3),
        WorkerTokensEvent(t=5.0, fork_id=2, tokens=9, final=True),
        JoinEvent(t=6.0, fork_id=2, requested_t=4.0, organizer_tokens=1),
        AnswerEvent(t=7.0, organizer_tokens=2),
    ]


def redispatched_fork():
    return [
        ForkEvent(t=0.0, fork_id=1, organizer_tokens=5),
        WorkerTokensEvent(t=1.0, fork_id=1, tokens=10, final=True),
        VerdictEvent(t=1.5, fork_id=1, claim="3*8 = 25", status="refuted"),
        RejectionEvent(t=1.5, fork_id=1, reason="refuted: 3*8 = 24"),
        RedispatchEvent(t=2.0, fork_id=1, attempt=2, feedback="3*8 = 24"),
        WorkerTokensEvent(t=4.0, fork_id=1, attempt=2, tokens=12, final=True),
        VerdictEvent(t=4.5, fork_id=1, attempt=2, claim="3*8 = 24", status="proved"),
        JoinEvent(t=5.0, fork_id=1, attempt=2, requested_t=0.5, organizer_tokens=3),
        AnswerEvent(t=6.0, organizer_tokens=1),
    ]


def blamed_at_a_later_join():
    return [
        ForkEvent(t=0.0, fork_id=1, organizer_tokens=2),
        ForkEvent(t=1.0, fork_id=2, organizer_tokens=2),
        WorkerTokensEvent(t=2.0, fork_id=1, tokens=3, final=True),
        WorkerTokensEvent(t=3.0, fork_id=2, tokens=20, final=True),
        JoinEvent(t=3.0, fork_id=1, requested_t=2.0, organizer_tokens=1),
        JoinEvent(t=4.0, fork_id=2, requested_t=3.5, organizer_tokens=1, status="rejected"),
        RejectionEvent(t=4.0, fork_id=1, reason="unsat core {1, 2}", at_join=2),
        RedispatchEvent(t=4.5, fork_id=1, attempt=2),
        WorkerTokensEvent(t=5.5, fork_id=1, attempt=2, tokens=6, final=True),
        JoinEvent(t=6.0, fork_id=1, attempt=2, requested_t=4.2, organizer_tokens=2),
        AnswerEvent(t=7.0, organizer_tokens=1),
    ]


# (events, capacity, critical-path tokens, critical-path seconds, concurrency), worked by hand:
# sequential: org 10 -> worker 20 (1s..3.5s) -> join waits, check 0.5s -> org 7 = 37 tok, 5.0 s.
# parallel: chain org 10 -> worker 1 (30 tok, 3 s) -> join 1 (check 1 s) -> org 1 + 4 = 45, 6.0 s;
#   worker 2's chain (15 + 10 = 25 tok) is shorter. Busy 3 + 1 s over 2 slots * 6 s.
# fork after join: 4 + 8 (worker 1) -> join -> 3 + 9 (worker 2) -> join -> 2 = 26 tok; seconds:
#   worker 1 ends at 2 s, org 1 s to fork 2, worker 2 2 s, join check 1 s, answer 1 s = 7.
# redispatch: 5 + 10 + 12 + 1 = 28 tok; seconds 1.5 (attempt 1) + 2.5 (attempt 2) + 0.5 check
#   + 1 = 5.5: the 0.5 s re-dispatch delay is no node's work. Busy 1.5 + 2.5 s over 6 s.
# blamed at join 2: attempt 2 of fork 1 follows join 2 (24 tok, 4 s), then 6 tok / 1 s, a 0.5 s
#   check and the answer's 1 tok / 1 s: 31 tok, 6.5 s. Busy 2 + 2 + 1 s over 2 slots * 7 s.
CASES = {
    "sequential": (sequential_single_fork, 1, 37, 5.0, 2.5 / 5),
    "parallel": (two_parallel_forks, 2, 45, 6.0, 4 / 12),
    "fork_after_join": (fork_after_join, 2, 26, 7.0, 4 / 14),
    "redispatch": (redispatched_fork, 1, 28, 5.5, 4 / 6),
    "blamed_at_join": (blamed_at_a_later_join, 2, 31, 6.5, 5 / 14),
}


@pytest.mark.parametrize("name", CASES)
def test_critical_path_and_concurrency_match_hand_computation(name):
    make, capacity, tokens, seconds, concurrency = CASES[name]
    metrics = compute_metrics(make(), capacity)
    assert metrics.critical_path_tokens == tokens
    assert metrics.critical_path_s == pytest.approx(seconds)
    assert metrics.concurrency == pytest.approx(concurrency)


def test_totals_of_a_redispatched_run():
    metrics = compute_metrics(redispatched_fork(), 1)
    assert metrics.to_json() == {
        "capacity": 1,
        "critical_path_tokens": 28,
        "critical_path_steps": 0,
        "critical_path_s": 5.5,
        "concurrency": pytest.approx(4 / 6),
        "wall_time_s": 6.0,
        "total_tokens": 31,
        "organizer_tokens": 9,
        "worker_tokens": 22,
        "total_steps": 0,
        "organizer_steps": 0,
        "worker_steps": 0,
        "forks": 1,
        "redispatches": 1,
        "verified_claims": 1,
        "rejected_claims": 1,
        "unknown_claims": 0,
        "rejected_attempts": 1,
        "cancelled_attempts": 0,
        "format_errors": 0,
        "answer_attempts": 1,
        "answered": False,  # the answer event's status is "unknown": no verified answer
        "claim_checks": 2,
        "claim_cache_hits": 0,
        "claim_cache_hit_rate": 0.0,
        "raced_attempts": 0,
        "race_cancelled": 0,
        "race_tokens": 0,
        "race_steps": 0,
    }


def test_parallel_forks_shorten_the_critical_path_below_total_tokens():
    metrics = compute_metrics(two_parallel_forks(), 2)
    assert metrics.total_tokens == 62
    assert metrics.critical_path_tokens < metrics.total_tokens


def test_an_unjoined_cancelled_worker_still_counts_on_the_critical_path():
    events = [
        ForkEvent(t=0.0, fork_id=1, organizer_tokens=1),
        WorkerTokensEvent(t=4.0, fork_id=1, tokens=50),
        AnswerEvent(t=5.0, organizer_tokens=2),
        CancelEvent(t=5.0, fork_id=1, reason="answered"),
    ]
    metrics = compute_metrics(events, 1)
    assert (metrics.critical_path_tokens, metrics.critical_path_s) == (51, 5.0)
    assert metrics.cancelled_attempts == 1
    assert metrics.concurrency == pytest.approx(1.0)


def test_format_errors_count_and_organizer_tokens_stay_on_its_timeline():
    events = [
        FormatErrorEvent(t=1.0, message="<JOIN-7>: unknown fork", organizer_tokens=4),
        AnswerEvent(t=2.0, organizer_tokens=3),
    ]
    metrics = compute_metrics(events, 2)
    assert (metrics.format_errors, metrics.critical_path_tokens, metrics.critical_path_s) == (1, 7, 2.0)
    assert metrics.concurrency == 0.0


@pytest.mark.parametrize(
    "events, message",
    [
        ([WorkerTokensEvent(t=0.0, fork_id=3, tokens=1)], "never started"),
        ([ForkEvent(t=2.0, fork_id=1), ForkEvent(t=1.0, fork_id=2)], "time order"),
        ([ForkEvent(t=0.0, fork_id=1), ForkEvent(t=0.0, fork_id=1)], "started twice"),
        (
            [
                ForkEvent(t=0.0, fork_id=1),
                ForkEvent(t=0.0, fork_id=2),
                WorkerTokensEvent(t=1.0, fork_id=1, tokens=1),
                WorkerTokensEvent(t=1.0, fork_id=2, tokens=1),
            ],
            "capacity",
        ),
        ([ForkEvent(t=0.0, fork_id=1), RedispatchEvent(t=1.0, fork_id=1, attempt=1)], "redispatch"),
        ([ForkEvent(t=0.0, fork_id=1), VerdictEvent(t=1.0, fork_id=1, claim="x", status="ok")], "status"),
    ],
)
def test_malformed_traces_are_rejected_with_a_reason(events, message):
    with pytest.raises(InvalidArgument, match=message):
        compute_metrics(events, 1)


def test_capacity_must_be_positive():
    with pytest.raises(InvalidArgument, match="capacity"):
        compute_metrics([], 0)


# ---------------------------------------------------------------- the live JSONL log


def test_trace_stamps_events_from_the_injected_clock_and_round_trips(tmp_path):
    ticks = iter([100.0, 100.25, 101.0, 102.5])
    path = tmp_path / "trace.jsonl"
    with RunTrace(path, clock=lambda: next(ticks)) as trace:
        fork = trace.add(ForkEvent, fork_id=1, organizer_tokens=3, query="a < b?")
        trace.add(RejectionEvent, fork_id=1, reason="refuted", at_join=None)
        # written and flushed before close: a crashed run leaves a readable prefix
        assert len(path.read_text().splitlines()) == 2
        trace.add(JoinEvent, fork_id=1, requested_t=1.5, status="failed")
    assert fork.t == 0.25
    lines = path.read_text().splitlines()
    assert [json.loads(line)["kind"] for line in lines] == ["fork", "rejection", "join"]
    assert json.loads(lines[2]) == {
        "kind": "join",
        "t": 2.5,
        "fork_id": 1,
        "attempt": 1,
        "requested_t": 1.5,
        "organizer_tokens": 0,
        "organizer_steps": 0,
        "status": "failed",
    }
    assert RunTrace.load(path) == list(trace.events)


def test_every_scripted_run_round_trips_through_jsonl(tmp_path):
    for name, (make, *_) in CASES.items():
        path = tmp_path / f"{name}.jsonl"
        with RunTrace(path, clock=lambda: 0.0) as trace:
            for event in make():
                trace.record(event)
        assert RunTrace.load(path) == make()


def test_trace_refuses_to_go_back_in_time():
    trace = RunTrace()
    trace.record(ForkEvent(t=2.0, fork_id=1))
    with pytest.raises(InvalidArgument, match="earlier"):
        trace.record(AnswerEvent(t=1.0))


def test_load_names_the_bad_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"kind": "answer", "t": 1.0}\n{"kind": "teleport", "t": 2.0}\n')
    with pytest.raises(InvalidArgument, match=r"bad.jsonl:2: .*unknown or missing kind"):
        RunTrace.load(path)


# ---------------------------------------------------------------- properties on simulated runs


@st.composite
def simulated_runs(draw):
    """A valid trace from a simulated organizer with capacity c, plus the spans it was built from."""
    capacity = draw(st.integers(min_value=1, max_value=3))
    seconds = st.floats(min_value=0.0, max_value=3.0, allow_nan=False)
    tokens = st.integers(min_value=0, max_value=50)
    seq = count()
    events, spans, worker_token_counts = [], [], []
    t, next_id, outstanding = 0.0, 1, {}  # fork id -> (attempt, end time)

    def emit(event):
        events.append((event.t, next(seq), event))

    def run_worker(fork_id, attempt, start):
        duration, produced = draw(seconds), draw(tokens)
        spans.append(duration)
        worker_token_counts.append(produced)
        emit(WorkerTokensEvent(t=start + duration, fork_id=fork_id, attempt=attempt, tokens=produced))
        return start + duration

    for action in draw(st.lists(st.sampled_from(["fork", "join"]), max_size=12)):
        step = draw(seconds)
        spans.append(step)
        if action == "fork" and len(outstanding) < capacity:
            t += step
            emit(ForkEvent(t=t, fork_id=next_id, organizer_tokens=draw(tokens)))
            outstanding[next_id] = (1, run_worker(next_id, 1, t))
            next_id += 1
        elif action == "join" and outstanding:
            fork_id = draw(st.sampled_from(sorted(outstanding)))
            attempt, end = outstanding.pop(fork_id)
            for _ in range(draw(st.integers(min_value=0, max_value=2))):
                emit(RejectionEvent(t=end, fork_id=fork_id, attempt=attempt))
                gap = draw(seconds)
                attempt += 1
                emit(RedispatchEvent(t=end + gap, fork_id=fork_id, attempt=attempt))
                end = run_worker(fork_id, attempt, end + gap)
            requested = t + step
            check = draw(seconds)
            spans.append(check)
            t = max(requested, end) + check
            emit(
                JoinEvent(
                    t=t,
                    fork_id=fork_id,
                    attempt=attempt,
                    requested_t=requested,
                    organizer_tokens=draw(tokens),
                )
            )
    step = draw(seconds)
    spans.append(step)
    emit(AnswerEvent(t=t + step, organizer_tokens=draw(tokens)))
    ordered = [event for _, _, event in sorted(events, key=lambda e: (e[0], e[1]))]
    return ordered, capacity, spans, worker_token_counts


def _attempt_spans(events):
    starts, ends = {}, {}
    for event in events:
        key = (event.fork_id, 1) if isinstance(event, ForkEvent) else None
        if isinstance(event, RedispatchEvent):
            key = (event.fork_id, event.attempt)
        if key is not None:
            starts[key] = ends[key] = event.t
        elif isinstance(event, WorkerTokensEvent):
            ends[(event.fork_id, event.attempt)] = event.t
    return [ends[k] - starts[k] for k in starts]


@given(simulated_runs())
def test_critical_path_lies_between_the_longest_span_and_the_sum_of_spans(run):
    events, capacity, all_spans, worker_tokens = run
    metrics = compute_metrics(events, capacity)
    longest = max(_attempt_spans(events), default=0.0)
    assert longest - 1e-9 <= metrics.critical_path_s <= sum(all_spans) + 1e-9
    assert metrics.critical_path_s <= metrics.wall_time_s + 1e-9
    assert max(worker_tokens, default=0) <= metrics.critical_path_tokens <= metrics.total_tokens
    assert metrics.organizer_tokens <= metrics.critical_path_tokens
    assert 0.0 <= metrics.concurrency <= 1.0 + 1e-9


# ---------------------------------------------------------------- honest metrics (issue 12)
# `answered` used to be true for any answer event, verified or not, and symbolic work was
# reported as invented tokens (one per planner turn, word counts for solvers), so critical-path
# "tokens" mixed model tokens with made-up ones. Now tokens are model tokens only, symbolic work
# is counted in steps, and the critical path is reported in both.


def test_answered_only_when_an_answer_was_verified():
    refuted = [AnswerEvent(t=1.0, text="3*8 = 25", status="refuted")]
    assert not compute_metrics(refuted, 1).answered
    assert compute_metrics(refuted, 1).answer_attempts == 1
    then_proved = [*refuted, AnswerEvent(t=2.0, text="3*8 = 24", status="proved")]
    assert compute_metrics(then_proved, 1).answered
    assert not compute_metrics([], 1).answered


def planner_with_a_model_worker_and_a_symbolic_worker():
    """A planner (steps) forks a model worker (tokens) and a symbolic worker (steps)."""
    return [
        ForkEvent(t=0.0, fork_id=1, organizer_steps=1),
        ForkEvent(t=0.0, fork_id=2),
        WorkerTokensEvent(t=4.0, fork_id=1, tokens=40, final=True),  # the model: 40 tokens, 4 s
        WorkerTokensEvent(t=1.0, fork_id=2, tokens=0, steps=3, final=True),  # the solver: 3 steps, 1 s
        JoinEvent(t=4.0, fork_id=1, requested_t=0.0),
        JoinEvent(t=4.0, fork_id=2, requested_t=4.0, organizer_steps=1),
        AnswerEvent(t=4.0, organizer_steps=1, status="proved"),
    ]


def test_the_critical_path_in_tokens_and_in_steps_are_separate_measures():
    # tokens: only the model worker's 40 are tokens. steps: planner 1 -> solver 3 = 4 at join 2
    # (the planner's own chain is 2 there), then the answer's 1 step = 5; the model's chain
    # carries only the planner's first step.
    events = sorted(planner_with_a_model_worker_and_a_symbolic_worker(), key=lambda e: e.t)
    metrics = compute_metrics(events, 2)
    assert (metrics.critical_path_tokens, metrics.critical_path_steps) == (40, 5)
    assert (metrics.total_tokens, metrics.organizer_tokens, metrics.worker_tokens) == (40, 0, 40)
    assert (metrics.total_steps, metrics.organizer_steps, metrics.worker_steps) == (6, 3, 3)
    assert metrics.critical_path_s == pytest.approx(4.0) and metrics.answered


def test_old_trace_lines_without_steps_still_load():
    line = {"kind": "worker_tokens", "t": 1.0, "fork_id": 1, "attempt": 1, "tokens": 5, "final": True}
    event = event_from_json(line)
    assert event.steps == 0 and event.tokens == 5


def test_a_run_whose_final_answer_failed_is_not_answered():
    from reasoning.engine._engine import EngineConfig, ForkJoinEngine
    from reasoning.engine._task import Task
    from reasoning.engine._workers import ScriptedOrganizer, ScriptedWorker

    organizer = ScriptedOrganizer(["<ANSWER>v = 25</ANSWER>"])
    config = EngineConfig(max_answer_attempts=1, max_turns=2)
    task = Task("What is 3*8?", unknowns={"v": "Int"}, constraints=("v = 3*8",))
    result = ForkJoinEngine(organizer, ScriptedWorker({}), config).run_sync(task)
    assert result.answer == "v = 25" and result.status.value != "proved"
    assert result.metrics.answer_attempts == 1 and not result.metrics.answered


def test_planners_and_symbolic_workers_count_steps_not_tokens():
    from reasoning.engine._solve import solve

    result = solve({"text": "x + 1 = 4", "unknowns": {"x": "Int"}, "constraints": ["x + 1 = 4"]}, out=False)
    metrics = result.metrics
    assert result.verified and metrics["answered"]
    assert metrics["total_tokens"] == 0 and metrics["critical_path_tokens"] == 0  # no model ran
    # the planner's turns and the solver's replies are steps: a fork, a join, an answer, a reply
    assert metrics["organizer_steps"] >= 2 and metrics["worker_steps"] >= 1
    assert metrics["critical_path_steps"] >= 3
