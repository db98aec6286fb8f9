"""LLM workers, the LLM organizer and mixed workers, driven by `ScriptedBackend` (a test double)."""

from __future__ import annotations

import re

import pytest

from reasoning.api import InvalidArgument
from reasoning.domains import get, load
from reasoning.domains.common._expressions import evaluate, parse_expression
from reasoning.domains.common._numerals import write_exact
from reasoning.engine._engine import EngineConfig, ForkJoinEngine
from reasoning.engine._mixed_worker import MixedWorker
from reasoning.engine._run_trace import FormatErrorEvent, RejectionEvent
from reasoning.engine._solve import solve
from reasoning.engine._task import Task
from reasoning.engine._workers import ScriptedOrganizer, ScriptedWorker, Tokens, WorkerRequest
from reasoning.llm._base import BackendError
from reasoning.llm._scripted import ScriptedBackend
from reasoning.llm._workers import LLMOrganizer, LLMWorker, prompt_messages

ONE_FORK = ["<FORK-1>evaluate: 3*8</FORK-1><JOIN-1>", "<ANSWER>3*8 = 24</ANSWER>"]


def run(worker, organizer=None, task: Task | None = None, **config):
    engine = ForkJoinEngine(organizer or ScriptedOrganizer(ONE_FORK), worker, EngineConfig(**config))
    return engine.run_sync(task or Task("3*8 = 24"))


def system(messages) -> str:
    return next(m["content"] for m in messages if m["role"] == "system")


def user(messages) -> str:
    """The last user turn: the task, the sub-query and the feedback (the earlier ones are examples)."""
    return [m["content"] for m in messages if m["role"] == "user"][-1]


def sub_query(messages) -> str:
    return re.search(r"^Sub-query: (.*)$", user(messages), re.M).group(1)


def arithmetic_reply(messages) -> str:
    """A correct arithmetic worker (for the test double): the value of the sub-query's expression."""
    query = sub_query(messages)
    expression = query.split(":", 1)[1].strip()
    return f"<RETURN>\n{expression} = {write_exact(evaluate(parse_expression(expression)))}\n</RETURN>"


# ---------------------------------------------------------------- LLMWorker


def test_a_wrong_reply_without_return_is_wrapped_checked_and_its_counterexample_fed_back():
    backend = ScriptedBackend(["3*8 = 25", "<RETURN> 3*8 = 24 </RETURN> and more"])
    result = run(LLMWorker(backend))
    assert result.verified and result.answer == "3*8 = 24"
    first, second = backend.prompts
    assert "Sub-query: evaluate: 3*8" in user(first) and "rejected" not in user(first)
    # the re-dispatch shows the rejected claim and why (the checker's counterexample)
    assert "Your previous answer was rejected" in user(second) and "Fix it" in user(second)
    assert "3*8 = 25" in user(second) and "refuted" in user(second)
    assert user(second).rstrip().endswith("Reply with <RETURN>...</RETURN>.")
    rejections = [e for e in result.events if isinstance(e, RejectionEvent)]
    assert len(rejections) == 1 and "refuted" in rejections[0].reason


def test_token_counts_of_the_model_reach_the_metrics():
    backend = ScriptedBackend(["<RETURN> 3*8 = 24 </RETURN>"])
    result = run(LLMWorker(backend))
    # the words "<RETURN>", "3*8", "=", "24" and the stop word: 5 tokens as the backend counts them
    assert result.metrics.worker_tokens == 5
    assert result.metrics.critical_path_tokens >= 5


async def _chunks(worker, request):
    return [chunk async for chunk in worker.stream(request)]


def test_the_stream_ends_with_the_closing_tag_and_counts_no_tokens_for_it():
    import asyncio

    request = WorkerRequest(1, 1, "evaluate: 3*8", Task("3*8 = 24"))
    chunks = asyncio.run(_chunks(LLMWorker(ScriptedBackend(["<RETURN> 3*8 = 24"])), request))
    assert all(isinstance(c, Tokens) for c in chunks)
    assert chunks[-1] == Tokens("</RETURN>", 0) and sum(c.count for c in chunks) == 4
    wrapped = asyncio.run(_chunks(LLMWorker(ScriptedBackend(["3*8 = 24 <JOIN-2>"])), request))
    assert wrapped[-1] == Tokens("<RETURN>\n3*8 = 24\n</RETURN>", 0)


def test_the_domain_template_is_the_system_prompt():
    problem = load({"domain": "arithmetic", "expression": "3 * 8 + 2 * 5"})
    backend = ScriptedBackend(arithmetic_reply)
    result = solve(problem, worker_kind="llm", model=backend, out=False)
    assert result.verified and result.answers == ["34"]
    template = get("arithmetic").worker_prompt(problem, sub_query(backend.prompts[0]))
    messages = backend.prompts[0]
    assert messages == prompt_messages(template, sub_query(messages))
    # few-shot: the worked examples are earlier turns, the model's part in them a RETURN block
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert messages[0]["content"] in template and messages[2]["content"].startswith("<RETURN>\n")
    assert {p["worker"] for p in result.producers} == {"llm:scripted"}
    assert result.metrics["critical_path_tokens"] > 0


def test_a_backend_failure_fails_the_fork_with_a_readable_reason():
    backend = ScriptedBackend([BackendError("no byte for 0.1 s", kind="timeout")])
    result = run(LLMWorker(backend), max_attempts=2)
    assert result.joins[0]["status"] == "failed"  # that fork failed; the run went on to its answer
    reasons = [e.reason for e in result.events if isinstance(e, RejectionEvent)]
    assert len(reasons) == 2
    assert all("model backend failed (timeout): no byte for 0.1 s" in r for r in reasons)
    assert "model backend failed (timeout)" in result.ledger


def test_plain_tasks_get_the_generic_prompt_in_the_claim_language():
    backend = ScriptedBackend(["<RETURN> x = 4 </RETURN>"])
    task = Task("Find x.", unknowns={"x": "Int"}, constraints=("x + 3 = 7",))
    result = solve(task.to_json(), worker_kind="llm", model=backend, out=False)
    assert result.verified and result.answers == ["x = 4"]
    prompt = user(backend.prompts[0])
    assert "Unknowns: x (Int)" in prompt and "x + 3 = 7" in prompt and "Sub-query: solve: for x" in prompt
    assert {"role": "assistant", "content": "<RETURN>\nx = 7\n</RETURN>"} in backend.prompts[0]


def test_re_dispatches_sample_and_first_attempts_are_greedy():
    seen = []

    class Recording(ScriptedBackend):
        def stream(self, prompt, **params):
            seen.append(params)
            return super().stream(prompt, **params)

    run(LLMWorker(Recording(["3*8 = 25", "<RETURN> 3*8 = 24 </RETURN>"])))
    assert [p["temperature"] for p in seen] == [0.0, 0.7] and seen[0]["stop"] == ("</RETURN>",)
    assert seen[0]["seed"] != seen[1]["seed"]


def test_worker_arguments_are_checked():
    with pytest.raises(InvalidArgument):
        LLMWorker(object())
    with pytest.raises(InvalidArgument):
        LLMWorker(ScriptedBackend([""]), max_tokens=0)


def test_a_prompt_becomes_a_few_shot_chat():
    prompt = "Rules.\nExample. Sub-query: a\n<RETURN>\n1 = 1\n</RETURN>\nSub-query: b\n<RETURN>\n2 = 2\n</RETURN>\nTask: t\nSub-query: c"
    assert prompt_messages(prompt, "c") == [
        {"role": "system", "content": "Rules."},
        {"role": "user", "content": "Sub-query: a"},
        {"role": "assistant", "content": "<RETURN>\n1 = 1\n</RETURN>"},
        {"role": "user", "content": "Sub-query: b"},
        {"role": "assistant", "content": "<RETURN>\n2 = 2\n</RETURN>"},
        {"role": "user", "content": "Task: t\nSub-query: c\nReply with <RETURN>...</RETURN>."},
    ]
    plain = prompt_messages("Answer inside <RETURN>...</RETURN>.", "q")
    assert plain == [
        {"role": "system", "content": "Answer inside <RETURN>...</RETURN>."},
        {"role": "user", "content": "Sub-query: q"},
    ]


# ---------------------------------------------------------------- domain prompts

PROMPT_TASKS = [
    ({"domain": "arithmetic", "expression": "3 * 8 + 2"}, "evaluate: 3 * 8"),
    (
        {"domain": "countdown", "numbers": [25, 50, 75, 100, 3, 6], "target": 952},
        "search part 1 of 2, want 1",
    ),
    ({"domain": "equations", "equation": "x^2 - 2 = 0", "decimals": 4}, "roots in (0, 8]"),
    ({"domain": "sudoku", "grid": ".....4..2..34.2."}, "branch r1c1=1"),
    ({"domain": "futoshiki", "grid": "....2....4..4...", "constraints": ["r2c4<r2c3"]}, "branch r1c1=1"),
    ({"domain": "logic", "premises": ["P -> Q", "P"], "conclusion": "Q"}, "decide: Q"),
    ({"domain": "knights_knaves", "people": ["A", "B"], "statements": ["A: ¬B", "B: (A ∧ B)"]}, "who is A?"),
]


@pytest.mark.parametrize(("task", "query"), PROMPT_TASKS, ids=[t["domain"] for t, _ in PROMPT_TASKS])
def test_every_domain_prompt_is_few_shot_and_says_the_feedback(task, query):
    problem = load(task)
    domain = get(problem.domain)
    first = domain.worker_prompt(problem, query)
    assert re.search(r"<RETURN>\n.+\n</RETURN>", first, re.S), "no worked example"
    assert problem.text in first and query in first and "rejected by the checker" not in first
    again = domain.worker_prompt(problem, query, ["attempt 1 was rejected: 1 + 1 = 3: refuted"])
    assert "Your previous answer was rejected by the checker. Fix it" in again
    assert "1 + 1 = 3: refuted" in again
    assert len(first) < 2400  # ~<= 350 tokens of SmolLM2 for the short tasks here (measured)
    assert problem.text in domain.organizer_prompt(problem) or domain.name == "countdown"


@pytest.mark.parametrize(
    ("task", "query"),
    [
        ({"domain": "arithmetic", "expression": "12 - 3 * 4 + 7 / 2"}, "evaluate: 12"),
        ({"domain": "equations", "equation": "x^2 - 2 = 0", "decimals": 4}, "roots in (0, 8]"),
    ],
)
def test_the_first_worked_example_of_a_prompt_is_proved(task, query):
    problem = load(task)
    domain = get(problem.domain)
    body = re.search(r"<RETURN>\n(.*?)\n</RETURN>", domain.worker_prompt(problem, query), re.S).group(1)
    for line in body.splitlines():
        assert domain.check_claim(problem, line, budget_s=5).proved, line


# ---------------------------------------------------------------- LLMOrganizer


def plan(turns: list[str], worker_reply: str = "<RETURN> 3*8 = 24 </RETURN>"):
    """A backend that plays the organizer (by turn) and a worker, told apart by the system prompt."""
    count = {"turn": 0}

    def reply(messages):
        if system(messages).startswith("You organize"):
            count["turn"] += 1
            return turns[min(count["turn"], len(turns)) - 1]
        return worker_reply

    return ScriptedBackend(reply)


def test_an_llm_organizer_drives_a_run_to_a_verified_answer():
    backend = plan(["<FORK-1>evaluate: 3*8</FORK-1> <JOIN-1>", "<ANSWER> 3*8 = 24 </ANSWER>"])
    result = solve({"text": "3*8 = 24"}, organizer="llm", worker_kind="symbolic", model=backend, out=False)
    assert result.verified and result.answers == ["3*8 = 24"] and result.organizer == "llm"
    organizer_prompts = [p for p in backend.prompts if system(p).startswith("You organize")]
    assert len(organizer_prompts) == 2
    # the second turn sees the engine's reply to the join: the verified claim
    assert "[fork 1, attempt 1: verified]" in user(organizer_prompts[1])
    assert result.metrics["organizer_tokens"] > 0 and result.producers[0]["worker"] == "symbolic"


def test_an_answer_left_open_is_closed():
    backend = plan(["<FORK-1>evaluate: 3*8</FORK-1> <JOIN-1>", "<ANSWER> 3*8 = 24"])
    result = solve({"text": "3*8 = 24"}, organizer="llm", worker_kind="llm", model=backend, out=False)
    assert result.verified and result.producers[0]["worker"] == "llm:scripted"


def test_a_garbage_organizer_ends_cleanly_after_its_turns():
    backend = ScriptedBackend(["I like turtles <FORK-x> and </JOIN>"])
    organizer = LLMOrganizer(backend, Task("3*8 = 24"), max_turns=3)
    result = run(ScriptedWorker({}), organizer=organizer, max_turns=3)
    assert result.answer is None and not result.verified
    assert "all 3 turns" in result.message
    assert result.metrics.format_errors >= 3
    assert len(backend.prompts) == 3
    errors = [e.message for e in result.events if isinstance(e, FormatErrorEvent)]
    assert len(errors) == result.metrics.format_errors
    # a format error is fed back: the second turn's context shows it
    assert "[format error:" in user(backend.prompts[1])


def test_after_its_turns_the_organizer_writes_nothing():
    import asyncio

    organizer = LLMOrganizer(ScriptedBackend(["<ANSWER>1</ANSWER>"]), Task("1 = 1"), max_turns=1)

    async def turn():
        return [c async for c in organizer.stream("t", seed=0)]

    assert asyncio.run(turn()) and asyncio.run(turn()) == []


def test_the_domain_organizer_prompt_is_used():
    problem = load({"domain": "arithmetic", "expression": "3 * 8"})
    organizer = LLMOrganizer(ScriptedBackend([""]), problem)
    assert organizer.system_prompt() == get("arithmetic").organizer_prompt(problem)
    assert "<FORK-1>" in LLMOrganizer(ScriptedBackend([""]), Task("1 = 1")).system_prompt()
    with pytest.raises(InvalidArgument):
        LLMOrganizer(ScriptedBackend([""]), "a string", max_turns=1)


# ---------------------------------------------------------------- MixedWorker


def test_mixed_routing_odd_forks_to_the_llm_and_every_last_attempt_to_the_solver():
    mixed = MixedWorker(
        ScriptedWorker({}), ScriptedWorker({}), max_attempts=3, llm_label="llm:m", share="alternate"
    )
    assert [mixed.route(1, a) for a in (1, 2, 3)] == ["llm", "llm", "symbolic"]
    assert [mixed.route(2, a) for a in (1, 2, 3)] == ["symbolic", "symbolic", "symbolic"]
    assert mixed.route(3, 1) == "llm" and mixed.route(5, 4) == "symbolic"
    first = MixedWorker(ScriptedWorker({}), ScriptedWorker({}), max_attempts=2, share="llm-first")
    assert [first.route(2, a) for a in (1, 2)] == ["llm", "symbolic"]
    with pytest.raises(InvalidArgument):
        MixedWorker(ScriptedWorker({}), ScriptedWorker({}), share="random")


def test_a_weak_model_cannot_sink_a_mixed_run():
    # mixed workers race the solver and the model on each fork (reasoning.engine._racing): the solver's
    # verified result is joined, the always-wrong model is rejected or cancelled, nothing waits
    problem = load({"domain": "arithmetic", "expression": "3 * 8 + 2 * 5"})
    backend = ScriptedBackend(["the answer is 12"])  # always wrong, never a RETURN
    result = solve(problem, worker_kind="mixed", model=backend, out=False)
    assert result.verified and result.answers == ["34"]
    assert {p["worker"] for p in result.producers} == {"symbolic"}
    assert all(p["attempt"] == 1 for p in result.producers) and result.metrics["redispatches"] == 0
    llm = result.by_worker["llm:scripted"]
    assert llm["verified"] == 0 and llm["won"] == 0 and llm["attempts"] >= 1
    assert result.by_worker["symbolic"]["won"] == result.metrics["forks"]


def test_a_good_model_shares_a_mixed_run():
    problem = load({"domain": "arithmetic", "expression": "3 * 8 + 2 * 5"})
    result = solve(problem, worker_kind="mixed", model=ScriptedBackend(arithmetic_reply), out=False)
    assert result.verified and result.answers == ["34"]
    # whoever is verified first on a fork produced it; the answer names that worker
    workers = {p["fork"]: p["worker"] for p in result.producers}
    assert set(workers.values()) <= {"llm:scripted", "symbolic"} and len(workers) == 3
    taken = sum(item["won"] for item in result.by_worker.values())
    assert taken == result.metrics["forks"] == 3
    assert result.worker_kind == "mixed" and result.model == "scripted"
    data = result.to_json()
    assert data["producers"] == result.producers and data["worker_kind"] == "mixed"
