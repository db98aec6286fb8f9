"""reasoning.domains.common._claim_lines: the door checks and content lines that the logic,
knights_knaves and equations domains share when they read a claim or an answer."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proofs.verdict import Status
from reasoning.domains import get
from reasoning.domains.common._claim_lines import content_lines, unreadable
from reasoning.engine._task import Task
from reasoning.engine._workers import WorkerRequest


@pytest.mark.parametrize(
    ("text", "kwargs", "expected"),
    [
        (None, {}, "the claim is not text"),
        (b"x", {}, "the claim is not text"),
        ("   \n\t", {}, "the claim is empty"),
        ("   ", {"empty_ok": True}, None),
        ("x" * 11, {"limit": 10}, "the claim has 11 characters; at most 10 are read"),
        ("x" * 10, {"limit": 10}, None),
        (" " * 11, {"limit": 10, "empty_ok": True}, "the claim has 11 characters; at most 10 are read"),
    ],
)
def test_unreadable(text, kwargs, expected):
    assert unreadable(text, what="claim", **kwargs) == expected


def test_content_lines_drop_notes_and_blank_lines():
    assert content_lines("  # note\n\n x = 1 \n#x = 2\n  y = 3") == ["x = 1", "y = 3"]
    assert content_lines("") == []


@given(st.text(alphabet=st.sampled_from("ab #\n\t=1"), max_size=40))
def test_content_lines_are_the_stripped_lines_without_notes(text):
    lines = content_lines(text)
    assert all(line == line.strip() and line and not line.startswith("#") for line in lines)
    assert lines == [s.strip() for s in text.splitlines() if s.strip() and not s.strip().startswith("#")]


PROBLEMS = {
    "logic": {"premises": ["P → Q", "P"], "conclusion": "Q"},
    "knights_knaves": {"people": ["A", "B"], "statements": ["A: ¬A ∨ B"]},
    "equations": {"equation": "x^2 - 4 = 0"},
}


@pytest.mark.parametrize("name", sorted(PROBLEMS))
@pytest.mark.parametrize("text", [None, "", "  \n ", "x" * 200_001])
def test_the_three_domains_refuse_unreadable_claims_with_the_shared_words(name, text):
    domain = get(name)
    problem = domain.parse(PROBLEMS[name])
    check = domain.check_claim(problem, text, budget_s=5.0)
    assert check.status is Status.INVALID
    assert check.message.startswith("the claim ")


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_notes_in_an_answer_are_not_read(name):
    domain = get(name)
    problem = domain.parse(PROBLEMS[name])
    answer = {
        "logic": "entailed",
        "knights_knaves": "A is a knight\nB is a knight",
        "equations": "x = 2, x = -2",
    }
    check = domain.check_answer(problem, f"# my working\n\n{answer[name]}\n# done", budget_s=10.0)
    assert check.status is Status.PROVED, check.message


@pytest.mark.parametrize(("mine", "other"), [("logic", "knights_knaves"), ("knights_knaves", "logic")])
def test_a_symbolic_worker_notes_a_task_of_another_domain(mine, other):
    """The shared worker shape (`common._threaded_worker`): a task of another domain gets one
    `#` note inside the RETURN block, never an exception."""
    worker = get(mine).symbolic_worker()
    foreign = Task.of_problem(get(other).parse(PROBLEMS[other]))
    reply = worker.reply(WorkerRequest(task=foreign, query="solve", fork_id=1, attempt=1))
    assert reply.startswith("<RETURN>\n# ") and reply.endswith("\n</RETURN>")
    assert f"not a {mine} task" in reply
