"""Typed sub-queries: a join accepts a claim only if it answers what its fork asked."""

import json

import pytest

from proofs.parsing import parse_claim
from reasoning.engine._engine import ForkJoinEngine
from reasoning.engine._goals import Goal
from reasoning.engine._subqueries import incomplete, parse_subquery, unanswered
from reasoning.engine._task import Task
from reasoning.engine._workers import ScriptedOrganizer, ScriptedWorker

PAIR = Task("pair", {"x": "Int", "y": "Int"}, ("x + y = 10", "x - y = 2"))


@pytest.mark.parametrize(
    ("query", "verb", "names"),
    [
        ("evaluate: 12 * 7", "evaluate", ()),
        ("EVALUATE:12*7", "evaluate", ()),
        ("prove: 2 + 2 = 4", "prove", ()),
        ("solve: x + y = 3; x - y = 1 for x, y", "solve", ("x", "y")),
        ("solve: for y", "solve", ("y",)),
        ("solve: a + 1 = 2", "solve", ("x", "a")),
        ("all: for x", "all", ("x",)),
    ],
)
def test_typed_queries_parse(query, verb, names):
    asked = parse_subquery(query, ["x"])
    assert asked is not None and asked.verb == verb and asked.names == names


@pytest.mark.parametrize(
    "query", ["pick x", "what is 3*8?", "evaluate: what is 3*8?", "prove: x = = 1", "solve:", "", "guess: 1"]
)
def test_free_text_queries_are_untyped(query):
    assert parse_subquery(query, []) is None
    assert unanswered(query, [], "2 + 2 = 4") is None


@pytest.mark.parametrize(
    ("query", "text", "ok"),
    [
        ("evaluate: 12 * 7", "12*7 = 84", True),
        ("evaluate: 12 * 7", "84 = 12 * 7", True),
        ("evaluate: 12 * 7", "# a note\n12 * 7 = 84\n2 + 2 = 4", True),
        ("evaluate: 12 * 7", "2 + 2 = 4", False),
        ("evaluate: 12 * 7", "7 * 12 = 84", False),  # another expression, however equal
        ("evaluate: 12 * 7", "12 * 7 = x", False),  # not a value
        ("evaluate: 12 * 7", "12 * 7 > 80", False),
        ("prove: 2 + 2 = 4", "2+2 = 4", True),
        ("prove: 2 + 2 = 4", "1 + 1 = 2", False),
        ("solve: for x, y", "x = 6\ny = 4", True),
        ("solve: for x, y", "x = 6 and y = 4", True),
        ("solve: for x, y", "x = 6", False),
        ("solve: for x", "x + y = 10", False),
        ("all: for x", "x = 2 or x = -2", True),
        ("all: for x", "x + 1 = 3 or x = -2", False),
    ],
)
def test_claims_answer_their_sub_query_or_the_reason_names_what_was_asked(query, text, ok):
    reason = unanswered(query, ["x", "y"], text)
    assert (reason is None) is ok
    if not ok:
        assert "does not answer the sub-query" in reason and query in reason


def test_an_unparsable_line_is_left_to_the_verifier():
    assert unanswered("evaluate: 12 * 7", [], "12 * 7 = = 84") is None


def test_a_true_claim_that_does_not_answer_evaluate_is_rejected_before_verification():
    organizer = ScriptedOrganizer(["<FORK-1>evaluate: 12 * 7</FORK-1><JOIN-1>", "<ANSWER>12*7 = 84</ANSWER>"])
    worker = ScriptedWorker({1: ["<RETURN>2 + 2 = 4</RETURN>", "<RETURN>12*7 = 84</RETURN>"]})
    result = ForkJoinEngine(organizer, worker).run_sync(Task("12*7 = 84"))
    verdicts = [e.claim for e in result.events if e.kind == "verdict"]
    assert verdicts == ["12*7 = 84"]  # 2 + 2 = 4 was never verified, let alone joined
    feedback = next(r for r in worker.requests if r.attempt == 2).feedback[0]
    assert "evaluate: 12 * 7" in feedback and "12 * 7 = <value>" in feedback
    assert [c["text"] for c in result.accepted_claims()] == ["12*7 = 84"]
    assert result.verified


def test_solve_wants_every_named_value_and_free_text_forks_behave_as_before():
    organizer = ScriptedOrganizer(
        [
            "<FORK-1>solve: for x, y</FORK-1><FORK-2>pick x</FORK-2><JOIN-1>",
            "<JOIN-2>",
            "<ANSWER>x = 6\ny = 4</ANSWER>",
        ]
    )
    worker = ScriptedWorker(
        {1: ["<RETURN>x = 6</RETURN>", "<RETURN>x = 6\ny = 4</RETURN>"], 2: ["<RETURN>x - y = 2</RETURN>"]}
    )
    result = ForkJoinEngine(organizer, worker).run_sync(PAIR)
    retry = next(r for r in worker.requests if (r.fork_id, r.attempt) == (1, 2))
    assert "`y = <value>`" in retry.feedback[0]
    assert {c["text"] for c in result.accepted_claims()} == {"x = 6", "y = 4", "x - y = 2"}
    assert result.verified


def test_prove_wants_the_claim_itself():
    asked = parse_subquery("prove: (a+b)^2 = a^2 + 2*a*b + b^2", [])
    assert asked.answered_by([parse_claim("(a+b)^2 = a^2 + 2*a*b + b^2")])
    assert not asked.answered_by([parse_claim("1 = 1")])


# ---------------------------------------------------------------- all: the whole solution set
# A red team found `all: for x` joined with `x = 2` for `x^2 = 4`: verified as a choice (one
# solution), but the query asks for every solution, which only an entailed claim guarantees.

SQUARE = Task("squares", {"x": "Int"}, ("x^2 = 4",), goal=Goal.all())


def _all_run(replies, *, run_dir=None):
    organizer = ScriptedOrganizer(["<FORK-1>all: for x</FORK-1><JOIN-1>", "<ANSWER>x = 2\nx = -2</ANSWER>"])
    worker = ScriptedWorker({1: replies})
    result = ForkJoinEngine(organizer, worker).run_sync(SQUARE, run_dir=run_dir)
    return result, worker


def test_all_without_constraints_wants_a_claim_proved_complete():
    result, worker = _all_run(["<RETURN>x = 2</RETURN>", "<RETURN>x = 2 or x = -2</RETURN>"])
    retry = next(r for r in worker.requests if r.attempt == 2)
    assert "every solution" in retry.feedback[0] and "not proved complete" in retry.feedback[0]
    assert [c["text"] for c in result.accepted_claims()] == ["x = 2 or x = -2"]
    assert result.verified


@pytest.mark.parametrize(
    ("query", "claims", "ok"),
    [
        ("all: for x", [("x = 2", "choice", "proved")], False),
        ("all: for x", [("x = 2 or x = -2", "entailed", "proved")], True),
        ("all: for x", [("x = 2 or x = -2", "entailed", "unknown")], False),
        ("all: for x", [("x^2 = 4", "entailed", "proved")], False),  # lists no solution
        ("all: x > 0 for x", [("x = 2", "choice", "proved")], True),  # constraints of its own
        ("solve: for x", [("x = 2", "choice", "proved")], True),
        ("pick x", [("x = 2", "choice", "proved")], True),
    ],
)
def test_incomplete_reads_roles_only_for_whole_all_queries(query, claims, ok):
    assert (incomplete(query, ["x"], claims) is None) is ok


def test_the_bundle_checker_refuses_an_all_join_not_proved_complete(tmp_path, monkeypatch):
    from reasoning.engine import _engine
    from reasoning.engine._bundle import check_bundle

    monkeypatch.setattr(_engine, "incomplete", lambda *args: None)  # the engine before the fix
    result, _ = _all_run(["<RETURN>x = 2</RETURN>", "<RETURN>x = 2 or x = -2</RETURN>"], run_dir=tmp_path)
    assert [c["text"] for c in result.accepted_claims()][0] == "x = 2"
    report = check_bundle(json.loads((tmp_path / "bundle.json").read_text()), use_cvc5=False)
    assert not report.ok
    assert any("not proved complete" in item.message for item in report.items if not item.ok)
