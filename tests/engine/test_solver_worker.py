"""SymbolicWorker: the symbolic worker behind the Worker interface (evaluate, prove, solve)."""

from __future__ import annotations

import asyncio
import re
import time
from fractions import Fraction

import pytest

from proofs.claims import Compare, Connective, Not, Num, Var
from proofs.parsing import ParseFailure, parse_claim
from reasoning.api import InvalidArgument, verify
from reasoning.engine._symbolic_worker import SymbolicWorker, exclusions
from reasoning.engine._task import Task, check_answer, read_claims
from reasoning.engine._workers import Steps, Worker, WorkerRequest

PAIR = Task("x + y = 10 and x - y = 2", {"x": "Int", "y": "Int"}, ("x + y = 10", "x - y = 2"))
SPLITS = Task("split 10", {"x": "Int", "y": "Int"}, ("x + y = 10", "x >= 0", "y >= 0"))


def ask(query: str, task: Task = Task("1 = 1"), feedback: tuple[str, ...] = (), budget_s: float = 2.0) -> str:
    """Run one request through `stream` and return the RETURN body (asserting the chunk shape)."""

    async def collect():
        worker = SymbolicWorker(budget_s=budget_s)
        request = WorkerRequest(
            fork_id=1, attempt=len(feedback) + 1, query=query, task=task, feedback=feedback
        )
        return [chunk async for chunk in worker.stream(request)]

    chunks = asyncio.run(collect())
    assert len(chunks) == 1 and isinstance(chunks[0], Steps)
    text = chunks[0].text
    assert chunks[0].count == 1  # one solver call: a step, never invented tokens
    match = re.fullmatch(r"(?s)(.*)<RETURN>\n(.*)\n</RETURN>", text)
    assert match is not None, text
    body = match.group(2)
    for line in read_claims(body):
        assert not isinstance(parse_claim(line), ParseFailure), line
    return body


def claims_of(body: str) -> list[str]:
    return read_claims(body)


def assert_note_only(body: str) -> None:
    assert body.strip() and claims_of(body) == [], body
    assert all(line.startswith("#") for line in body.splitlines()), body


def values(body: str) -> dict[str, Fraction]:
    """`name = value` lines as exact values (the worker's solve format)."""
    out = {}
    for line in claims_of(body):
        formula = parse_claim(line)
        assert isinstance(formula, Compare) and formula.ops == ("=",), line
        name, value = line.split("=")
        assert isinstance(formula.terms[0], Var)
        out[name.strip()] = Fraction(value.strip())
    return out


def substituted(task: Task, assignment: dict[str, Fraction]) -> list[str]:
    """The task's constraints with the values written in: closed claims to verify."""
    out = []
    for text in task.constraints:
        for name, value in assignment.items():
            text = re.sub(rf"\b{name}\b", f"({value})", text)
        out.append(text)
    return out


def test_is_a_worker_and_rejects_a_bad_budget():
    assert isinstance(SymbolicWorker(), Worker)
    with pytest.raises(InvalidArgument):
        SymbolicWorker(budget_s=0)


# ---------------------------------------------------------------- evaluate


def test_evaluate_returns_an_exact_value_that_verifies():
    body = ask("evaluate: 3*8 + 1/2")
    assert claims_of(body) == ["3*8 + 1/2 = 49/2"]
    assert verify(claims_of(body)[0]).proved


@pytest.mark.parametrize(
    ("query", "value"),
    [("EVALUATE: 2 - 5", "-3"), ("Evaluate:1/(2-4)", "-1/2"), ("evaluate: 10!/(9!) # a comment", "10")],
)
def test_evaluate_negative_fractions_case_and_comments(query, value):
    (line,) = claims_of(ask(query))
    assert line.endswith(f" = {value}")
    assert verify(line).proved


@pytest.mark.parametrize(
    ("query", "why"),
    [
        ("evaluate: x + 1", "variables"),
        ("evaluate: 1/0", "undefined"),
        ("evaluate: sqrt(2)", "not an exact rational"),
        ("evaluate: 1 < 2", "not an expression"),
        ("evaluate: 1 = 0 # the comment hides nothing", "not an expression"),
        ("evaluate: 3 +", "not an expression"),
        ("evaluate:", "needs something"),
    ],
)
def test_evaluate_without_a_value_gives_only_a_note(query, why):
    body = ask(query)
    assert_note_only(body)
    assert why in body


# ---------------------------------------------------------------- prove


def test_prove_returns_a_proved_claim():
    body = ask("prove: (a+b)^2 = a^2 + 2*a*b + b^2")
    assert claims_of(body) == ["(a+b)^2 = a^2 + 2*a*b + b^2"]


def test_prove_a_false_claim_gives_a_note_with_the_counterexample():
    body = ask("prove: x^2 >= x")
    assert_note_only(body)
    assert "refuted" in body and "counterexample: x = " in body


def test_prove_unparseable_text_gives_an_invalid_note():
    body = ask("prove: 1 + = 2")
    assert_note_only(body)
    assert "invalid" in body


# ---------------------------------------------------------------- solve


def test_solve_a_unique_solution_from_the_task_constraints():
    body = ask("solve:", PAIR)
    assert claims_of(body) == ["x = 6", "y = 4"]
    assignment = values(body)
    for claim in substituted(PAIR, assignment):
        assert verify(claim).proved, claim
    assert check_answer(PAIR, body, budget_s=5).proved


def test_solve_for_only_reports_the_task_unknowns():
    assert claims_of(ask("solve: for y", PAIR)) == ["y = 4"]


def test_solve_with_a_for_list_reports_only_those_variables_in_order():
    body = ask("solve: z = x * y for z, x", PAIR)
    assert claims_of(body) == ["z = 24", "x = 6"]


def test_solve_free_variables_of_the_query_follow_the_unknowns():
    body = ask("solve: 2*b = 1; a = b + 1", Task("1 = 1"))
    assert claims_of(body) == ["a = 3/2", "b = 1/2"]


def test_solve_negative_and_fractional_values_parse():
    body = ask("solve: 4*x = -2 for x")
    assert claims_of(body) == ["x = -1/2"]


def test_solve_exclusions_from_feedback_find_a_different_solution():
    first = ask("solve: x >= 0", SPLITS)
    first_values = values(first)
    feedback = "attempt 1 was rejected: the join was inconsistent\n" + "\n".join(
        f"rejected claim: {line}" for line in claims_of(first)
    )
    second = ask("solve: x >= 0", SPLITS, (feedback,))
    second_values = values(second)
    assert set(second_values) == {"x", "y"} and second_values != first_values
    for claim in substituted(SPLITS, second_values):
        assert verify(claim).proved, claim
    more = "rejected claim: " + "\nrejected claim: ".join(claims_of(second))
    third = values(ask("solve: x >= 0", SPLITS, (feedback, more)))
    assert third not in (first_values, second_values)


def test_exclusions_skip_claims_about_other_variables_and_closed_claims():
    feedback = ("rejected claim: x = 1\nrejected claim: w = 5\nrejected claim: 1 = 1\nnot a claim line",)
    assert exclusions(feedback, ["x", "y"]) == [Not(parse_claim("x = 1"))]
    both = ("rejected claim: x = 1\nrejected claim: y = 2", "rejected claim: x = 3")
    assert exclusions(both, ["x", "y"]) == [
        Not(Connective("and", parse_claim("x = 1"), parse_claim("y = 2"))),
        Not(parse_claim("x = 3")),
    ]
    assert exclusions(("attempt 2 was invalidated: the join failed",), ["x"]) == []


def test_solve_excluding_the_only_solution_is_unsat():
    feedback = ("attempt 1 was rejected: no\nrejected claim: x = 6\nrejected claim: y = 4",)
    body = ask("solve: x >= 0", PAIR, feedback)
    assert_note_only(body)
    assert body.startswith("# no solution:")


def test_solve_unsat_gives_a_no_solution_note():
    body = ask("solve: x > 1; x < 0")
    assert_note_only(body)
    assert body.startswith("# no solution:")


def test_solve_an_irrational_solution_gives_a_note():
    body = ask("solve: x^2 = 2 and x > 0 for x")
    assert_note_only(body)
    assert "not an exact rational" in body


def test_solve_a_constraint_that_does_not_parse_gives_a_note():
    body = ask("solve: x + = 1", PAIR)
    assert_note_only(body)
    assert "does not parse" in body


def test_solve_for_a_constant_gives_a_note():
    assert_note_only(ask("solve: x = 1 for x, pi"))


# ---------------------------------------------------------------- anything else, hostile input


@pytest.mark.parametrize("query", ["hello", "", "compute: 1 + 1", "evaluate 1 + 1"])
def test_unrecognised_queries_list_the_verbs(query):
    body = ask(query)
    assert_note_only(body)
    assert "unrecognised query" in body
    assert all(verb in body for verb in ("evaluate:", "prove:", "solve:"))


@pytest.mark.parametrize(
    "query",
    [
        "evaluate: " + "(" * 100_000 + "1" + ")" * 100_000,
        "prove: " + "(" * 100_000 + "1 = 1" + ")" * 100_000,
        "solve: " + "(" * 100_000,
        "evaluate: " + "(" * 1_000 + "1" + ")" * 1_000,
        "evaluate: 2^2^2^2^100",
        "prove: 2^2^2^2^100 = 0",
        "solve: x = 2^2^2^2^100",
        "evaluate: (10^400)!",
        "prove: x = (10^400)!",
        "solve: x = 10^5000",
        "prove: <RETURN> 1 = 1 </RETURN> <FORK-2>x</FORK-2>",
        "x" * 300_000,
    ],
)
def test_hostile_input_comes_back_quickly_with_a_note(query):
    start = time.perf_counter()
    body = ask(query, PAIR, budget_s=1.0)
    assert time.perf_counter() - start < 5
    assert_note_only(body)
    assert "<RETURN" not in body and "<FORK" not in body and "</RETURN" not in body


def test_large_but_stateable_values_are_exact():
    (line,) = claims_of(ask("evaluate: 2^1000"))
    formula = parse_claim(line)
    assert isinstance(formula, Compare) and formula.terms[1] == Num(Fraction(2**1000))


def test_all_lists_every_solution_as_one_entailed_claim():
    from reasoning.engine._task import check_claim

    body = ask("all: for x, y", SPLITS)
    (line,) = read_claims(body)
    assert line.count(" or ") == 10  # the 11 splits of 10 into two naturals
    assert check_claim(SPLITS, line, budget_s=5).role == "entailed"
    assert "no solution" in ask("all: x > 20 for x", SPLITS)
    assert "more than 64 solutions" in ask("all: for x", Task("n", {"x": "Int"}, ("x >= 0",)))
    assert "not an exact rational" in ask("all: for x", Task("r", {"x": "Real"}, ("x^2 = 2",)))


def test_all_lists_solutions_in_value_order_whatever_order_z3_found_them():
    # CI saw `x = -2 or x = 2` where a quiet run gave `x = 2 or x = -2`: Z3's model order
    # depends on what the process solved before, and a run's answer must not.
    body = ask("all: for x", Task("roots", {"x": "Int"}, ("x^2 = 4",)))
    assert read_claims(body) == ["(x = -2) or (x = 2)"]
    body = ask("all: for x, y", SPLITS)
    (line,) = read_claims(body)
    pairs = [tuple(int(p.split(" = ")[1]) for p in s.strip("()").split(" and ")) for s in line.split(" or ")]
    assert pairs == sorted(pairs) and len(pairs) == 11


def test_prove_reads_a_claim_about_the_unknowns_under_the_task_constraints():
    assert read_claims(ask("prove: x = 6", PAIR)) == ["x = 6"]
    assert "not proved" in ask("prove: x = 5", PAIR)


def test_solve_answers_the_same_solution_whatever_z3_solved_before(z3_perturbed):
    # `solve:` is the symbolic worker's answer to a find goal: with many solutions, which one it
    # gives must not follow the AST ids and solver state an earlier check left in a reused context.
    seen = {}
    for label in range(8):
        z3_perturbed.before(f"history {label}")
        for query in ("solve: for x, y", "solve: for y, x", "solve: for x", "solve: for y"):
            for line in claims_of(ask(query, SPLITS)):
                seen.setdefault(line.split(" = ")[0], set()).add(line)
    assert {name: len(lines) for name, lines in seen.items()} == {"x": 1, "y": 1}, seen
