"""Deterministic fork/join scenarios with scripted organizers and workers (test doubles)."""

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs.verdict import Status
from reasoning.engine._bundle import check_bundle, load_bundle
from reasoning.engine._engine import EngineConfig, ForkJoinEngine
from reasoning.engine._protocol import Fork, parse_protocol
from reasoning.engine._run_trace import RunTrace, compute_metrics
from reasoning.engine._task import Task
from reasoning.engine._workers import HANG, ScriptedOrganizer, ScriptedWorker, Tokens

XY = Task(
    "Find integers x, y with x + y = 10.", unknowns={"x": "Int", "y": "Int"}, constraints=("x + y = 10",)
)


def run(turns, replies, task=XY, tmp_path=None, **config):
    organizer = ScriptedOrganizer(turns)
    worker = ScriptedWorker(replies)
    engine = ForkJoinEngine(organizer, worker, EngineConfig(**config))
    result = engine.run_sync(task, run_dir=tmp_path)
    return result, organizer, worker


def kinds(result, *names):
    return [
        (e.kind, getattr(e, "fork_id", None), getattr(e, "attempt", None))
        for e in result.events
        if e.kind in names
    ]


def test_a_verified_fork_is_joined_and_the_answer_is_proved(tmp_path):
    result, organizer, _ = run(
        ["<FORK-1>what is 3*8?</FORK-1><JOIN-1>", "<ANSWER>3*8 = 24</ANSWER>"],
        {1: ["thinking... <RETURN>3*8 = 24</RETURN> trailing junk"]},
        task=Task("3*8 = 24"),
        tmp_path=tmp_path,
    )
    assert result.status is Status.PROVED and result.answer == "3*8 = 24"
    assert [e.kind for e in result.events] == ["fork", "worker_tokens", "verdict", "join", "answer"]
    assert "[fork 1, attempt 1: verified]" in organizer.contexts[1]
    assert [c["text"] for c in result.accepted_claims()] == ["3*8 = 24"]
    for name in ("trace.jsonl", "ledger.md", "graph.json", "graph.svg", "bundle.json"):
        assert (tmp_path / name).exists()
    assert [e.kind for e in RunTrace.load(tmp_path / "trace.jsonl")] == [e.kind for e in result.events]
    assert "[x] **f1** what is 3*8?" in (tmp_path / "ledger.md").read_text()
    report = check_bundle(load_bundle(result.bundle_path), use_cvc5=False)
    assert report.ok, report.to_json()


def test_contradicting_forks_the_newer_is_blamed_redispatched_and_the_run_ends_consistent(tmp_path):
    result, organizer, worker = run(
        [
            "<FORK-1>pick x</FORK-1><FORK-2>pick y</FORK-2><JOIN-1>",
            "<JOIN-2>",
            "<ANSWER>x = 3\ny = 7</ANSWER>",
        ],
        {1: ["<RETURN>x = 3</RETURN>"], 2: ["<RETURN>y = 8</RETURN>", "<RETURN>y = 7</RETURN>"]},
        tmp_path=tmp_path,
    )
    assert result.status is Status.PROVED
    rejection = next(e for e in result.events if e.kind == "rejection")
    assert (rejection.fork_id, rejection.attempt, rejection.at_join) == (2, 1, 2)
    assert "conflict with fork-1.1" in rejection.reason
    assert ("redispatch", 2, 2) in kinds(result, "redispatch")
    retry = [r for r in worker.requests if r.fork_id == 2 and r.attempt == 2][0]
    assert "rejected claim: y = 8" in retry.feedback[0]
    joins = [(e.fork_id, e.attempt, e.status) for e in result.events if e.kind == "join"]
    assert joins == [(1, 1, "accepted"), (2, 1, "conflict"), (2, 2, "rejoined")]
    graph = result.graph.graph
    assert not graph.nodes["fork-2.1"]["valid"] and graph.nodes["fork-2.2"]["valid"]
    assert result.final_consistency.consistent
    assert {(c["attempt"], c["claim"], c["role"]) for c in result.accepted_claims()} == {
        ("fork-1.1", "x = 3", "choice"),
        ("fork-2.2", "y = 7", "choice"),
    }
    assert "fork 2 (attempt 1) was withdrawn" in organizer.contexts[2]
    assert result.joins[1]["status"] == "conflict"
    assert result.joins[1]["consistency"]["core"] == ["task", "fork-1.1", "fork-2.1"]
    assert result.joins[2]["status"] == "rejected" and result.joins[2]["attempt"] == "fork-2.1"
    report = check_bundle(load_bundle(result.bundle_path), use_cvc5=False)
    assert report.ok, report.to_json()
    assert any(item.name.startswith("join") and "unsat" in item.message for item in report.items)


def test_a_claim_refuted_three_times_fails_the_fork_and_the_organizer_is_told():
    result, organizer, worker = run(
        ["<FORK-1>what is 3*8?</FORK-1><JOIN-1>", "<ANSWER>3*8 = 24</ANSWER>"],
        {1: ["<RETURN>3*8 = 25</RETURN>"]},
        task=Task("3*8 = 24"),
    )
    assert [r.attempt for r in worker.requests] == [1, 2, 3]
    assert "3*8 = 25: refuted" in worker.requests[1].feedback[0]
    assert kinds(result, "rejection") == [("rejection", 1, 1), ("rejection", 1, 2), ("rejection", 1, 3)]
    assert "[fork 1 failed after 3 attempt(s)" in organizer.contexts[1]
    assert result.metrics.redispatches == 2 and result.metrics.rejected_attempts == 3
    assert result.metrics.rejected_claims == 3 and result.metrics.verified_claims == 0
    assert result.accepted_claims() == []
    assert result.status is Status.PROVED  # the organizer's own answer is still checked on its merits
    assert "[-] **f1**" in result.ledger


def test_a_conflict_redoes_the_attempt_being_joined_not_the_join_a_later_fork_used(tmp_path):
    # Fork 3's query mentions y, so it uses join 1 (fork 2: y = 8). Joining fork 1 (x = 3)
    # conflicts with y = 8: fork 1 is re-dispatched (1 attempt), not fork 2 and fork 3 (2).
    task = Task(
        "Find integers x, y, z with x + y = 10 and z = y + 1.",
        unknowns={"x": "Int", "y": "Int", "z": "Int"},
        constraints=("x + y = 10", "z >= 0"),
    )
    result, organizer, worker = run(
        [
            "<FORK-1>pick x</FORK-1><FORK-2>pick y</FORK-2><JOIN-2>",
            "<FORK-3>z is y + 1</FORK-3><JOIN-1>",
            "<JOIN-3>",
            "<ANSWER>x = 2\ny = 8\nz = 9</ANSWER>",
        ],
        {
            1: ["<RETURN>x = 3</RETURN>", "<RETURN>x = 2</RETURN>"],
            2: ["<RETURN>y = 8</RETURN>", "<RETURN>y = 7</RETURN>"],
            3: ["<RETURN>z = 9</RETURN>", "<RETURN>z = 8</RETURN>"],
        },
        task=task,
        tmp_path=tmp_path,
    )
    graph = result.graph.graph
    assert graph.nodes["fork-1.1"]["invalidated_by"] == "fork-1.1"
    assert graph.nodes["fork-2.1"]["valid"] and graph.nodes["fork-3.1"]["valid"]
    assert graph.has_edge("join-1", "fork-3.1")  # fork 3 uses the join of fork 2 (it mentions y)
    assert graph.edges["join-1", "fork-3.1", "depends_on"]["uses"] == ["the query mentions y"]
    assert [(r.fork_id, r.attempt) for r in worker.requests if r.attempt > 1] == [(1, 2)]
    assert {(c["attempt"], c["claim"]) for c in result.accepted_claims()} == {
        ("fork-1.2", "x = 2"),
        ("fork-2.1", "y = 8"),
        ("fork-3.1", "z = 9"),
    }
    assert "fork 1 (attempt 1) was withdrawn" in organizer.contexts[2]
    assert result.status is Status.PROVED and result.final_consistency.consistent
    assert check_bundle(load_bundle(result.bundle_path), use_cvc5=False).ok


def test_format_errors_pool_full_unknown_join_duplicate_id_are_reported_and_counted():
    result, organizer, _ = run(
        [
            "<FORK-1>a</FORK-1><FORK-2>b</FORK-2>",
            "<JOIN-7>",
            "<FORK-1>again</FORK-1>",
            "<JOIN-1><JOIN-1>",
            "<JOIN-1>",
            "<RETURN>1 = 1</RETURN>",
            "<ANSWER>1 + 1 = 2</ANSWER>",
        ],
        {1: ["<RETURN>2 + 2 = 4</RETURN>"]},
        task=Task("1 + 1 = 2"),
        capacity=1,
    )
    replies = organizer.contexts
    assert "the pool is full (1 forks outstanding: 1)" in replies[1]
    assert "fork 7 was never forked" in replies[2]
    assert "fork 1 already exists" in replies[3]
    assert "the join of fork 1 was not run" in replies[4]  # the turn ended at the first JOIN
    assert "fork 1 is already joined" in replies[5]
    assert "<RETURN> is for workers" in replies[6]
    assert result.metrics.format_errors == 6 and result.metrics.forks == 1
    assert result.status is Status.PROVED


def test_a_worker_that_raises_and_one_that_never_answers_fail_their_forks_not_the_run():
    start = time.perf_counter()
    result, organizer, worker = run(
        ["<FORK-1>a</FORK-1><FORK-2>b</FORK-2><JOIN-1>", "<JOIN-2>", "<ANSWER>1 + 1 = 2</ANSWER>"],
        {1: [RuntimeError("boom"), "<RETURN>2 + 2 = 4</RETURN>"], 2: [HANG]},
        task=Task("1 + 1 = 2"),
        worker_timeout_s=0.2,
    )
    assert time.perf_counter() - start < 5
    assert any("the worker raised RuntimeError: boom" in f for r in worker.requests for f in r.feedback)
    assert "[fork 1, attempt 2: verified]" in organizer.contexts[1]
    assert "[fork 2 failed after 3 attempt(s)" in organizer.contexts[2]
    assert "no <RETURN> within 0.2 s" in organizer.contexts[2]
    assert result.status is Status.PROVED


def test_outstanding_workers_are_cancelled_when_the_answer_is_final():
    start = time.perf_counter()
    result, _, _ = run(
        ["<FORK-1>slow</FORK-1><FORK-2>slow too</FORK-2><ANSWER>1 + 1 = 2</ANSWER>"],
        {1: [HANG], 2: [HANG]},
        task=Task("1 + 1 = 2"),
    )
    assert time.perf_counter() - start < 5
    assert result.status is Status.PROVED
    assert kinds(result, "cancel") == [("cancel", 1, 1), ("cancel", 2, 1)]
    assert result.metrics.cancelled_attempts == 2


def test_a_missing_answer_is_a_format_error_and_turns_are_bounded():
    result, organizer, _ = run(["just thinking"] * 5, {}, task=Task("1 + 1 = 2"), max_turns=3)
    assert result.answer is None and result.status is Status.UNKNOWN
    assert "the organizer stopped without <ANSWER>" in organizer.contexts[1]
    assert len(organizer.contexts) == 3 and result.metrics.format_errors == 3
    assert "used all 3 turns" in result.message


def test_an_empty_organizer_turn_ends_the_run_at_once():
    # Regression: a planner that goes silent after a rejected answer used to be asked again
    # max_turns (200) times, each empty turn counted as a format error.
    result, organizer, _ = run(["just thinking"], {}, task=Task("1 + 1 = 2"), max_turns=200)
    assert len(organizer.contexts) == 2 and result.metrics.format_errors == 1
    assert result.answer is None and "empty turn" in result.message


def test_a_wrong_answer_is_sent_back_and_can_be_corrected():
    result, organizer, _ = run(
        ["<ANSWER>v = 25</ANSWER>", "<ANSWER>v = 24</ANSWER>"],
        {},
        task=Task("What is 3*8?", unknowns={"v": "Int"}, constraints=("v = 3*8",)),
    )
    assert "[answer rejected (refuted)" in organizer.contexts[1]
    assert result.status is Status.PROVED and result.answer == "v = 24"


def test_an_answer_must_pin_a_solution_of_the_task():
    result, _, _ = run(["<ANSWER>x = 3</ANSWER>"], {}, max_answer_attempts=1)
    assert result.status is not Status.PROVED  # x = 3 alone does not determine y
    result, _, _ = run(["<ANSWER>x = 3 and y = 7</ANSWER>"], {})
    assert result.status is Status.PROVED


def test_entailed_claims_and_claims_that_contradict_the_task():
    task = Task("solve", unknowns={"x": "Int", "y": "Int"}, constraints=("x + y = 10", "x - y = 2"))
    result, organizer, worker = run(
        ["<FORK-1>x?</FORK-1><JOIN-1>", "<FORK-2>y?</FORK-2><JOIN-2>", "<ANSWER>x = 6\ny = 4</ANSWER>"],
        {1: ["<RETURN>x = 6</RETURN>"], 2: ["<RETURN>y = 5</RETURN>", "<RETURN>y = 4</RETURN>"]},
        task=task,
    )
    assert "x = 6   # proved (entailed)" in organizer.contexts[1]
    assert result.metrics.redispatches == 1  # y = 5 contradicts the task: no solution has it
    retry = [r for r in worker.requests if r.fork_id == 2][1]
    assert "y = 5: refuted" in retry.feedback[0]
    assert "no value of the unknowns satisfies" in retry.feedback[0]
    assert "y = 4   # proved (entailed)" in organizer.contexts[2]
    assert result.status is Status.PROVED


def test_a_run_with_the_same_script_gives_the_same_trace():
    def once():
        result, _, _ = run(
            [
                "<FORK-1>pick x</FORK-1><FORK-2>pick y</FORK-2><JOIN-1>",
                "<JOIN-2>",
                "<ANSWER>x = 3\ny = 7</ANSWER>",
            ],
            {1: ["<RETURN>x = 3</RETURN>"], 2: ["<RETURN>y = 8</RETURN>", "<RETURN>y = 7</RETURN>"]},
        )
        return [
            {k: v for k, v in e.to_json().items() if k not in ("t", "requested_t")} for e in result.events
        ]

    assert once() == once()


def test_critical_path_tokens_equal_the_hand_computed_value():
    # organizer: 10 tokens, FORK-1; 5, FORK-2; 1, JOIN-1; then 2, JOIN-2; then 4, ANSWER.
    # fork 1 starts at chain 10 and adds 100 -> 110; fork 2 starts at 15 and adds 30 -> 45.
    # after JOIN-1: max(16, 110) = 110; JOIN-2: max(112, 45) = 112; ANSWER: 116.
    result, _, _ = run(
        [
            [Tokens("<FORK-1>a</FORK-1>", 10), Tokens("<FORK-2>b</FORK-2>", 5), Tokens("<JOIN-1>", 1)],
            [Tokens("<JOIN-2>", 2)],
            [Tokens("<ANSWER>1 + 1 = 2</ANSWER>", 4)],
        ],
        {1: [[Tokens("<RETURN>1 + 1 = 2</RETURN>", 100)]], 2: [[Tokens("<RETURN>2 + 2 = 4</RETURN>", 30)]]},
        task=Task("1 + 1 = 2"),
    )
    metrics = result.metrics
    assert metrics.critical_path_tokens == 116
    assert metrics.total_tokens == 152 and metrics.organizer_tokens == 22 and metrics.worker_tokens == 130
    assert metrics == compute_metrics(result.events, 4)


@pytest.mark.parametrize(("capacity", "expected"), [(2, 1.0), (4, 0.5)])
def test_concurrency_matches_the_hand_computed_value(capacity, expected):
    # two workers, each busy 0.5 s, side by side; the organizer joins both at once:
    # wall ~ 0.5 s, busy ~ 1.0 s, concurrency = 1.0 / (c * 0.5).
    organizer = ScriptedOrganizer(
        ["<FORK-1>a</FORK-1><FORK-2>b</FORK-2><JOIN-1>", "<JOIN-2>", "<ANSWER>1 + 1 = 2</ANSWER>"]
    )
    worker = ScriptedWorker({1: ["<RETURN>1 = 1</RETURN>"], 2: ["<RETURN>2 = 2</RETURN>"]}, delay_s=0.5)
    result = ForkJoinEngine(organizer, worker, EngineConfig(capacity=capacity)).run_sync(Task("1 + 1 = 2"))
    metrics = result.metrics
    # real sleeps on a shared machine: the ratio is robust, absolute seconds only bounded
    assert metrics.concurrency == pytest.approx(expected, abs=0.15)
    assert 0.5 <= metrics.critical_path_s <= metrics.wall_time_s


def test_hostile_sizes_cost_a_format_error_or_a_rejection_not_memory_or_a_crash():
    junk = ["x" * 100_000] * 12  # 1.2 MB of organizer text without a tag
    big_return = "<RETURN>" + "1 = 1\n" * 2_000_000 + "</RETURN>"  # 12 MB RETURN block
    deep = "<RETURN>" + "(" * 100_000 + "1" + ")" * 100_000 + " = 1\n2^2^2^2^100 = 0</RETURN>"
    result, organizer, worker = run(
        [junk, "<FORK-1>a</FORK-1><FORK-2>b</FORK-2><JOIN-1>", "<JOIN-2>", "<ANSWER>1 + 1 = 2</ANSWER>"],
        {1: [big_return], 2: [deep]},
        task=Task("1 + 1 = 2"),
        max_attempts=1,
    )
    assert "the turn is longer than 1000000 characters" in organizer.contexts[1]
    assert "[fork 1 failed after 1 attempt(s)" in organizer.contexts[2]
    assert "[fork 2 failed after 1 attempt(s)" in organizer.contexts[3]
    assert result.status is Status.PROVED and result.accepted_claims() == []


@pytest.mark.parametrize("answer", ["2 + 2 = 4", "x + y = 10", "x = 3", "x = 3 and y = 7 or x = 1"])
def test_an_answer_that_does_not_give_every_unknown_a_value_is_not_proved(answer):
    # found by the property test: `forall U: (A -> C)` holds for these without fixing anything
    result, _, _ = run([f"<ANSWER>{answer}</ANSWER>"], {}, max_answer_attempts=1)
    assert result.status is Status.INVALID and "gives no value for" in result.message


# ---------------------------------------------------------------- a turn ends where it stopped
# Issue 12: `<FORK-1>..</FORK-1><JOIN-1><FORK-2>..</FORK-2>` in one organizer turn showed fork 2
# in the organizer's context although the turn ended at the join and fork 2 never ran, and no
# format error said so.


def test_tags_after_the_tag_that_ended_the_turn_are_not_shown_and_get_a_format_error():
    result, organizer, worker = run(
        ["<FORK-1>a</FORK-1><JOIN-1><FORK-2>b</FORK-2>", "<ANSWER>2 + 2 = 4</ANSWER>"],
        {1: ["<RETURN>2 + 2 = 4</RETURN>"], 2: ["<RETURN>3 + 3 = 6</RETURN>"]},
        task=Task("2 + 2 = 4"),
    )
    seen = organizer.contexts[1]
    assert "<FORK-2>" not in seen and "</FORK-2>" not in seen
    assert seen.index("<JOIN-1>") < seen.index("[fork 1, attempt 1: verified]")
    assert (
        "[format error: the turn ended at <JOIN-1>, so what followed did not run: fork 2 was not dispatched]"
        in seen
    )
    assert {r.fork_id for r in worker.requests} == {1}
    assert result.metrics.forks == 1 and result.metrics.format_errors == 1
    assert result.status is Status.PROVED


def test_a_second_join_in_one_turn_is_reported_not_silently_dropped():
    result, organizer, _ = run(
        ["<FORK-1>a</FORK-1><FORK-2>b</FORK-2><JOIN-1><JOIN-2>", "<JOIN-2>", "<ANSWER>2 + 2 = 4</ANSWER>"],
        {1: ["<RETURN>2 + 2 = 4</RETURN>"], 2: ["<RETURN>3 + 3 = 6</RETURN>"]},
        task=Task("2 + 2 = 4"),
    )
    assert "<JOIN-2>" not in organizer.contexts[1] and "join of fork 2 was not run" in organizer.contexts[1]
    assert "[fork 2, attempt 1: verified]" in organizer.contexts[2]


def test_plain_text_after_the_join_is_dropped_without_an_error():
    result, organizer, _ = run(
        ["<FORK-1>a</FORK-1><JOIN-1> and now I wait", "<ANSWER>2 + 2 = 4</ANSWER>"],
        {1: ["<RETURN>2 + 2 = 4</RETURN>"]},
        task=Task("2 + 2 = 4"),
    )
    assert "I wait" not in organizer.contexts[1] and result.metrics.format_errors == 0


@settings(max_examples=25, deadline=None)
@given(
    pieces=st.lists(
        st.one_of(
            st.integers(1, 3).map(lambda i: ("fork", i)),
            st.integers(1, 4).map(lambda i: ("join", i)),
            st.sampled_from(["thinking ", "x < 3 ", "\n"]).map(lambda t: ("text", t)),
        ),
        max_size=8,
    )
)
def test_the_organizer_sees_exactly_the_forks_that_were_dispatched(pieces):
    used, parts = set(), []
    for kind, value in pieces:
        if kind == "fork" and value not in used:  # fresh ids only: every fork that runs is legal
            used.add(value)
            parts.append(f"<FORK-{value}>q{value}</FORK-{value}>")
        elif kind == "join":
            parts.append(f"<JOIN-{value}>")
        elif kind == "text":
            parts.append(value)
    turn = "".join(parts)
    result, organizer, _ = run(
        [turn, "<ANSWER>2 + 2 = 4</ANSWER>"],
        {i: ["<RETURN>2 + 2 = 4</RETURN>"] for i in (1, 2, 3)},
        task=Task("2 + 2 = 4"),
    )
    if len(organizer.contexts) == 1:  # an empty turn ends the run
        assert turn == "" and result.metrics.forks == 0
        return
    shown = organizer.contexts[1][len(organizer.contexts[0]) :].split("\n[", 1)[0]
    assert turn.startswith(shown)
    shown_forks = [e.fork_id for e in parse_protocol(shown) if isinstance(e, Fork)]
    assert shown_forks == [e.fork_id for e in result.events if e.kind == "fork"]
