"""The Countdown domain: task parsing, rule checks, distinctness, hostile input, exhaustion,
re-checking, the symbolic worker and planner, and reasoning-gym's countdown / puzzle24."""

from __future__ import annotations

import asyncio
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs.verdict import Status
from reasoning.domains import TaskError, get
from reasoning.domains.countdown._domain import MAX_LISTED, CountdownPlanner, CountdownWorker, _rpn_tree
from reasoning.domains.countdown._search import (
    ExpressionSyntaxError,
    canonical,
    combine,
    form_tree,
    keys_of_part,
    parse_line,
    part_keys,
    plain_search,
    render,
    render_form,
    solve,
)
from reasoning.engine._task import Task
from reasoning.engine._workers import ScriptedWorker, WorkerRequest

DOMAIN = get("countdown")
BUDGET = 10.0


def problem(numbers, target, **fields):
    return DOMAIN.parse({"numbers": numbers, "target": target, **fields})


def claim(p, text):
    return DOMAIN.check_claim(p, text, budget_s=BUDGET)


def answer(p, text):
    return DOMAIN.check_answer(p, text, budget_s=BUDGET)


def rechecks(p, check):
    assert check.certificate is not None, check.message
    ok, why = DOMAIN.recheck(p, check.certificate)
    assert ok, why
    return why


# ---------------------------------------------------------------- tasks


def test_defaults_and_canonical_json():
    p = DOMAIN.parse({"domain": "countdown", "numbers": [25, 50, 75, 100, 3, 6], "target": 952})
    assert p.to_json() == {
        "domain": "countdown",
        "numbers": [25, 50, 75, 100, 3, 6],
        "target": 952,
        "solutions": 1,
        "rule": "at-most-once",
        "integer_only": True,
    }
    assert "952" in p.text and "at most once" in p.text
    assert problem([1, 2], 3, rule="Exactly_Once").fields["rule"] == "exactly-once"


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"numbers": [1, "a", 3], "target": 4}, "numbers"),
        ({"numbers": "1 2 3", "target": 4}, "numbers"),
        ({"numbers": [1, 2.5], "target": 4}, "numbers"),
        ({"numbers": [1, True], "target": 4}, "numbers"),
        ({"numbers": [1, 2, 3]}, "target: required"),
        ({"target": 5}, "numbers: required"),
        ({"numbers": [1, 2], "target": 3, "solutions": -1}, "solutions"),
        ({"numbers": [1, 2], "target": 3, "solutions": 0}, "solutions"),
        ({"numbers": [1, 2], "target": 3, "rule": "twice"}, "rule"),
        ({"numbers": [1, 2], "target": 3, "integer_only": "yes"}, "integer_only"),
        ({"numbers": [], "target": 3}, "numbers"),
        ({"numbers": [-4, 2], "target": 3}, "-4"),
        ({"numbers": list(range(1, 20)), "target": 3}, "numbers"),
        ({"numbers": [10**20], "target": 3}, "numbers"),
        ({"numbers": [1], "target": 10**40}, "target"),
        ({"numbers": [1], "target": 1, "colour": "red"}, "colour"),
    ],
)
def test_malformed_tasks_name_the_field(fields, needle):
    with pytest.raises(TaskError, match=needle):
        DOMAIN.parse(fields)


def test_a_huge_task_is_refused():
    with pytest.raises(TaskError):
        DOMAIN.parse({"numbers": [1] * 400_000, "target": 1})


# ---------------------------------------------------------------- claims and rules


@pytest.mark.parametrize(
    ("rule", "status", "needle"),
    [("at-most-once", Status.PROVED, "reaches 100"), ("exactly-once", Status.REFUTED, "does not use 3")],
)
def test_at_most_once_versus_exactly_once(rule, status, needle):
    check = claim(problem([25, 4, 3], 100, rule=rule), "25 * 4")
    assert check.status is status and needle in check.message


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("25 * 4 + 25", "uses 25 2 times but the numbers have it once"),
        ("7 * 14", "7 is not one of the numbers"),
        ("25 * 3 + 4", "reaches 79, not the target 100"),
        ("25 * 4 = 99", "states = 99, but the target is 100"),
        ("25 / (4 - 4)", "uses 4 2 times"),
        ("(25 - 3) * 4 + 12", "12 is not one of the numbers"),
        ("(25 + 4) / 3", "29 / 3 is not an integer"),
    ],
)
def test_refutations_say_what_is_wrong(text, needle):
    check = claim(problem([25, 4, 3], 100), text)
    assert check.status is Status.REFUTED
    assert needle in check.message
    rechecks(problem([25, 4, 3], 100), check)


def test_integer_only_rejects_fractional_steps_and_rationals_allow_them():
    text = "6 / (1 - 3 / 4)"
    strict = claim(problem([1, 3, 4, 6], 24, rule="exactly-once"), text)
    assert strict.status is Status.REFUTED and "3 / 4 is not an integer" in strict.message
    loose = claim(problem([1, 3, 4, 6], 24, rule="exactly-once", integer_only=False), text)
    assert loose.status is Status.PROVED
    rechecks(problem([1, 3, 4, 6], 24, rule="exactly-once", integer_only=False), loose)
    # Exact rationals: 8 / (3 - 8/3) is exactly 24, with no floating-point rounding.
    assert claim(problem([3, 3, 8, 8], 24, integer_only=False), "8 / (3 - 8 / 3)").proved


def test_division_by_zero_is_refuted():
    check = claim(problem([5, 3, 3], 5, integer_only=False), "5 / (3 - 3)")
    assert check.status is Status.REFUTED and "divides by zero" in check.message


def test_equals_target_and_unicode_operators():
    p = problem([25, 50, 75, 100, 3, 6], 952)
    assert claim(p, "((100 + 6) × 3 × 75 − 50) ÷ 25 = 952").proved
    assert claim(p, "((100+6)*3*75-50)/25").proved


def test_repeated_numbers_may_be_used_as_often_as_given():
    p = problem([5, 5, 5, 1], 24, rule="exactly-once", integer_only=False)
    assert claim(p, "5 * (5 - 1 / 5)").proved
    assert "uses 5 5 times but the numbers have it 3 times" in claim(p, "5 * (5 - 1 / 5) + 5 - 5").message


# ---------------------------------------------------------------- hostile input


@pytest.mark.parametrize(
    "text",
    [
        "1" * 10_000_000,
        "(" * 100_000 + "1" + ")" * 100_000,
        "1" + "+1" * 200_000,
        "9" * 40,
        "2 ^ 3",
        "__import__('os').system('true')",
        "-25 * 4",
        "25 * -4",
        "25 4",
        "(25 * 4",
        "25 * 4)",
        "",
        "   ",
        "= 100",
        "25 * 4 = 100 = 100",
        "25 * 4 = x",
        "٣ + 1",
        "25 * 4\x00",
    ],
)
def test_hostile_claims_are_invalid_fast(text):
    p = problem([25, 4, 3], 100)
    started = time.perf_counter()
    check = claim(p, text)
    assert check.status in (Status.INVALID, Status.REFUTED)
    assert not check.proved
    assert time.perf_counter() - started < 1.0


def test_long_chains_of_task_numbers_are_refuted_not_evaluated():
    check = claim(problem([1], 1), "1" + "*1" * 900)
    assert check.status is Status.REFUTED and "uses 1 901 times" in check.message


def test_hostile_answers_and_non_text():
    p = problem([25, 4, 3], 100)
    assert answer(p, "1" * 10_000_000).status is Status.INVALID
    assert not answer(p, "\n".join(["25 * 4"] * 100_000)).proved
    assert answer(p, "\n".join(["25 * 4"] * 20)).status is Status.REFUTED
    assert claim(p, None).status is Status.INVALID  # type: ignore[arg-type]
    assert answer(p, "").status is Status.INVALID


# ---------------------------------------------------------------- distinctness


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1 + 2 + 3", "3 + (2 + 1)"),
        ("6 - (2 - 1)", "6 + 1 - 2"),
        ("8 / (4 / 2)", "8 * 2 / 4"),
        ("8 / 4 / 2", "8 / (2 * 4)"),
        ("(1 + 2) * 3", "3 * (2 + 1)"),
    ],
)
def test_equal_up_to_commutativity_and_associativity(a, b):
    assert canonical(parse_line(a)[0]) == canonical(parse_line(b)[0])


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("(8 - 2) * (4 - 1)", "(2 - 8) * (1 - 4)"),
        ("2 * (4 + 1)", "2 * 4 + 2 * 1"),
        ("1 * 2 * 3", "2 * 3 / 1"),
    ],
)
def test_other_laws_give_distinct_solutions(a, b):
    assert canonical(parse_line(a)[0]) != canonical(parse_line(b)[0])


def test_answer_lines_must_be_distinct():
    p = problem([1, 2, 3], 6, solutions=2, rule="exactly-once")
    check = answer(p, "1 + 2 + 3\n3 + (2 + 1)")
    assert check.status is Status.REFUTED and "lines 1 and 2 are the same solution" in check.message
    rechecks(p, check)
    good = answer(p, "1 + 2 + 3\n1 * 2 * 3")
    assert good.proved
    rechecks(p, good)


def test_answer_must_give_as_many_as_asked_unless_exhausted():
    p = problem([2, 3, 5], 1, solutions=10)
    every = [render_form(f) for f in solve([2, 3, 5], 1, rule="at-most-once", integer_only=True)]
    check = answer(p, "\n".join(every))
    assert check.proved and "all 8 distinct solutions" in check.message
    assert check.certificate["evidence"]["total"] == 8
    rechecks(p, check)
    short = answer(p, "\n".join(every[:7]))
    assert short.status is Status.REFUTED and "there are at least 8" in short.message
    assert every[7] in short.message
    rechecks(p, short)
    many = answer(problem([1, 2, 3], 6, rule="exactly-once"), "1 + 2 + 3\n1 * 2 * 3")
    assert many.status is Status.REFUTED and "1 were asked for" in many.message


@pytest.mark.slow
def test_both_integer_solutions_of_952_are_all_there_are():
    p = problem([25, 50, 75, 100, 3, 6], 952, solutions=4)
    check = answer(p, "((6 + 100) * 3 * 75 - 50) / 25\n(3 + 100) * 6 * 75 / 50 + 25")
    assert check.proved and check.certificate["evidence"]["total"] == 2
    rechecks(p, check)
    one = answer(p, "((6 + 100) * 3 * 75 - 50) / 25")
    assert one.status is Status.REFUTED and "there are at least 2" in one.message


def test_an_answer_line_that_breaks_a_rule_is_named():
    p = problem([1, 2, 3], 6, solutions=2, rule="exactly-once")
    check = answer(p, "1 + 2 + 3\n2 * 3")
    assert check.status is Status.REFUTED and check.message.startswith("line 2 (2 * 3)")
    assert answer(p, "1 + 2 + 3\n2 ** 3").status is Status.INVALID


# ---------------------------------------------------------------- exhaustion


def test_unsolvable_instance_is_no_solution_with_an_exhausted_search():
    p = problem([1, 1], 100, integer_only=False)
    check = answer(p, "no solution")
    assert check.proved and check.certificate["evidence"]["total"] == 0
    assert "re-checked" in rechecks(p, check)
    assert claim(p, "no solution").proved
    wrong = answer(problem([1, 2, 3], 6), "no solution")
    assert wrong.status is Status.REFUTED and "is missing" in wrong.message
    rechecks(problem([1, 2, 3], 6), wrong)


def test_game_of_24_without_integer_solution():
    p = problem([1, 3, 4, 6], 24, rule="exactly-once")
    assert answer(p, "no solution").proved
    assert answer(
        problem([1, 3, 4, 6], 24, rule="exactly-once", integer_only=False), "no solution"
    ).status is (Status.REFUTED)


def test_a_search_out_of_budget_is_unknown_not_proved():
    p = problem([3, 7, 11, 13, 17, 19, 23, 29], 10_007, integer_only=False)
    check = DOMAIN.check_answer(p, "no solution", budget_s=0.01)
    assert check.status is Status.UNKNOWN


# ---------------------------------------------------------------- recheck


def test_recheck_rejects_tampered_certificates():
    p = problem([25, 4, 3], 100)
    cert = claim(p, "25 * 4").certificate
    assert DOMAIN.recheck(p, cert)[0]
    assert not DOMAIN.recheck(p, {**cert, "holds": False})[0]
    assert not DOMAIN.recheck(p, {**cert, "claim": "25 * 3 + 4"})[0]
    assert not DOMAIN.recheck(p, {**cert, "claim": "25 * 4 = 101"})[0]
    assert not DOMAIN.recheck(p, {**cert, "kind": "exact"})[0]
    assert not DOMAIN.recheck(p, {**cert, "task": {**cert["task"], "target": 101}})[0]
    assert not DOMAIN.recheck(p, {**cert, "role": "other"})[0]
    other = problem([25, 4, 3], 101)
    assert not DOMAIN.recheck(other, cert)[0]
    # A refutation certificate re-checks only while the claim really fails.
    bad = claim(p, "25 * 3 + 4").certificate
    assert DOMAIN.recheck(p, bad)[0]
    assert not DOMAIN.recheck(p, {**bad, "claim": "25 * 4"})[0]


def test_recheck_recounts_exhaustion_with_the_plain_search():
    p = problem([1, 1], 100)
    cert = answer(p, "no solution").certificate
    assert not DOMAIN.recheck(problem([1, 99], 100), {**cert, "task": problem([1, 99], 100).to_json()})[0]
    counted = claim(problem([2, 3, 5], 1), "part 1 of 1: 8 solutions")
    assert counted.proved
    rechecks(problem([2, 3, 5], 1), counted)
    tampered = {**counted.certificate, "claim": "part 1 of 1: 7 solutions"}
    assert not DOMAIN.recheck(problem([2, 3, 5], 1), tampered)[0]
    answered = answer(problem([1, 2, 3], 6, rule="exactly-once", solutions=5), "1 + 2 + 3\n1 * 2 * 3")
    assert answered.status is Status.REFUTED
    forged = {**answered.certificate, "holds": True}
    assert not DOMAIN.recheck(problem([1, 2, 3], 6, rule="exactly-once", solutions=5), forged)[0]


def test_the_second_reader_agrees_with_the_first():
    for text in ["(1 + 2) * 3 - 4 / 2", "1 - (2 - 3)", "((7))", "8 / (3 - 8 / 3) = 24"]:
        assert _rpn_tree(text) == parse_line(text)


_ALPHABET = st.text(alphabet="123+-*/() =", max_size=24)


@settings(max_examples=300)
@given(_ALPHABET)
def test_the_two_readers_accept_the_same_lines(text):
    try:
        first = parse_line(text)
    except ExpressionSyntaxError:
        first = None
    try:
        second = _rpn_tree(text)
    except ValueError:
        second = None
    assert first == second


# ---------------------------------------------------------------- the solver


def test_solver_finds_both_integer_solutions_of_952():
    forms = solve([25, 50, 75, 100, 3, 6], 952, rule="at-most-once", integer_only=True)
    assert sorted(render_form(f) for f in forms) == [
        "((6 + 100) * 3 * 75 - 50) / 25",
        "(3 + 100) * 6 * 75 / 50 + 25",
    ]


@settings(max_examples=60)
@given(
    numbers=st.lists(st.integers(0, 12), min_size=1, max_size=4),
    target=st.integers(-20, 60),
    rule=st.sampled_from(["at-most-once", "exactly-once"]),
    integer_only=st.booleans(),
)
def test_solver_solutions_check_and_match_the_plain_search(numbers, target, rule, integer_only):
    p = problem(numbers, target, rule=rule, integer_only=integer_only)
    forms = solve(numbers, target, rule=rule, integer_only=integer_only)
    plain = plain_search(numbers, target, rule=rule, integer_only=integer_only)
    assert set(forms) == set(plain)
    for form in forms:
        text = render_form(form)
        assert claim(p, text).proved, text
        assert canonical(form_tree(form)) == form
    # A limited search gives at least `limit` solutions, or all of them.
    for limit in (1, 2, 5):
        some = solve(numbers, target, rule=rule, integer_only=integer_only, limit=limit)
        assert set(some) <= set(forms)
        assert len(some) >= limit or set(some) == set(forms)
    # Parts cover the solutions, and each part's solver count is the plain count of that part.
    keys = part_keys(numbers, rule)
    for n in (1, 3):
        union = set()
        for k in range(1, n + 1):
            chosen = set(keys_of_part(keys, k, n))
            part = solve(numbers, target, rule=rule, integer_only=integer_only, keys=list(chosen))
            assert set(part) == {f for f, where in plain.items() if where & chosen}
            union |= set(part)
        assert union == set(forms)


@settings(max_examples=80)
@given(
    st.recursive(
        st.integers(1, 9).map(lambda v: ("n", v)), lambda t: st.tuples(st.sampled_from("+-*/"), t, t)
    )
)
def test_incremental_forms_equal_forms_of_trees(tree):
    def build(node):
        return node if node[0] == "n" else combine(node[0], build(node[1]), build(node[2]))

    assert build(tree) == canonical(tree)
    assert parse_line(render(tree))[0] == tree


# ---------------------------------------------------------------- worker and planner


def request(p, query, feedback=()):
    return WorkerRequest(fork_id=1, attempt=1, query=query, task=Task.of_problem(p), feedback=tuple(feedback))


def test_worker_lists_checked_expressions_and_a_count_when_exhausted():
    p = problem([2, 3, 5], 1, solutions=3)
    body = CountdownWorker().answer(p, "search part 1 of 1, want 3")
    lines = body.splitlines()
    assert len(lines) == 3 and all(claim(p, line).proved for line in lines)
    body = CountdownWorker().answer(p, "search all, want 20")
    assert body.splitlines()[-1] == "part 1 of 1: 8 solutions"
    assert all(claim(p, line).proved for line in body.splitlines())
    rest = CountdownWorker().answer(p, "search all, want 20, skip 6").splitlines()
    assert len(rest) == 3 and rest[-1] == "part 1 of 1: 8 solutions"


def test_worker_parts_and_empty_parts():
    p = problem([1, 1], 100)
    body = CountdownWorker().answer(p, "search part 2 of 3, want 1")
    assert body == "none in part 2 of 3"
    assert claim(p, body).proved
    assert claim(problem([2, 3, 5], 1), "none in part 1 of 1").status is Status.REFUTED
    assert CountdownWorker().answer(p, "find it please").startswith("#")
    assert CountdownWorker().answer(p, "Search: part 2 of 3, want 1.") == "none in part 2 of 3"
    started = time.perf_counter()
    assert CountdownWorker().answer(p, "search part 1 of 1" + " " * 1_000_000 + "x").startswith("#")
    assert CountdownWorker().answer(p, "search all want" + " ," * 5_000 + "x").startswith("#")
    assert time.perf_counter() - started < 1.0
    assert CountdownWorker().answer(p, "search part 4 of 3").startswith("#")
    assert claim(p, "none in part 4 of 3").status is Status.INVALID


def test_worker_avoids_rejected_claims_and_caps_its_list():
    p = problem([2, 3, 5], 1, solutions=2)
    first = CountdownWorker().answer(p, "search all, want 2").splitlines()
    feedback = ["attempt 1 was rejected: ...\n" + "\n".join(f"rejected claim: {x}" for x in first)]
    again = CountdownWorker().answer(p, "search all, want 2", feedback).splitlines()
    assert not set(first) & set(again) and len(again) == 2
    many = problem([1, 2, 3, 4, 5, 6], 10, solutions=500)
    assert len(CountdownWorker().answer(many, "search all, want 500").splitlines()) == MAX_LISTED


def test_worker_stream_runs_in_a_thread():
    p = problem([1, 2, 3], 6)

    async def collect():
        return [c async for c in CountdownWorker().stream(request(p, "search all, want 1"))]

    (chunk,) = asyncio.run(collect())
    assert chunk.text.startswith("<RETURN>") and chunk.text.endswith("</RETURN>")


def test_planner_forks_at_most_capacity_parts_at_once():
    p = problem([25, 50, 75, 100, 3, 6], 952, solutions=4)
    planner = CountdownPlanner(p, capacity=3)

    async def first_turn():
        return "".join([c async for c in planner.stream("", seed=0)])

    turn = asyncio.run(first_turn())
    assert turn.count("<FORK-") == 3 and turn.endswith("<JOIN-1>")
    assert "search part 2 of 3, want 4, skip 0" in turn


solve_task = pytest.importorskip("reasoning.engine._solve").solve


@pytest.mark.parametrize("workers", [1, 4])
def test_end_to_end_multi_solution(workers):
    result = solve_task(
        {
            "domain": "countdown",
            "numbers": [4, 7, 8, 8],
            "target": 24,
            "solutions": 3,
            "rule": "exactly-once",
        },
        capacity=workers,
        out=False,
    )
    assert result.verified and len(result.answers) == 3
    forms = {canonical(parse_line(a)[0]) for a in result.answers}
    assert len(forms) == 3
    assert result.metrics["forks"] >= min(workers, 2)


def test_end_to_end_no_solution_and_exhaustion():
    result = solve_task({"domain": "countdown", "numbers": [1, 1], "target": 100}, out=False)
    assert result.verified and result.answers == ["no solution"]
    result = solve_task(
        {"domain": "countdown", "numbers": [25, 50, 75, 100, 3, 6], "target": 952, "solutions": 4}, out=False
    )
    assert result.verified and len(result.answers) == 2


def test_end_to_end_many_solutions_need_several_rounds():
    result = solve_task(
        {"domain": "countdown", "numbers": [1, 2, 3, 4, 5], "target": 10, "solutions": 150},
        workers=2,
        out=False,
    )
    assert result.verified and len(result.answers) == 150
    assert len({canonical(parse_line(a)[0]) for a in result.answers}) == 150


def test_end_to_end_a_failing_worker_falls_back():
    from reasoning.engine._engine import EngineConfig, ForkJoinEngine

    p = problem([1, 2, 3], 6, solutions=2, rule="exactly-once")
    good = CountdownWorker()

    class Flaky:
        def stream(self, req):
            if req.fork_id == 1:
                return ScriptedWorker({1: ["<RETURN>\n1 + 2 * 3\n</RETURN>"]}).stream(req)
            return good.stream(req)

    run = ForkJoinEngine(CountdownPlanner(p, capacity=2), Flaky(), EngineConfig(capacity=2)).run_sync(
        Task.of_problem(p)
    )
    assert run.verified
    assert len(DOMAIN.answers(p, run.answer)) == 2
    assert "1 + 2 * 3" not in run.answer
    assert run.metrics.redispatches == 2  # fork 1 was re-dispatched twice, then failed


def test_bundle_of_a_run_rechecks(tmp_path):
    from reasoning.engine._bundle import check_bundle, load_bundle

    result = solve_task(
        {"domain": "countdown", "numbers": [2, 3, 5], "target": 1, "solutions": 20}, out=tmp_path / "run"
    )
    assert result.verified and len(result.answers) == 8
    report = check_bundle(load_bundle(result.bundle))
    assert report.ok, report


# ---------------------------------------------------------------- reasoning-gym


def test_reasoning_gym_adapter_reads_the_question_not_the_answer():
    p = DOMAIN.from_reasoning_gym(
        "countdown",
        {
            "question": "Calculate 309 using all of these numbers: 6, 61, 94, 4.\nEach number may be used at most once.",
            "answer": "not read",
            "metadata": {"numbers": [6, 61, 94, 4], "target": 309, "expression": "not read"},
        },
    )
    assert p.fields["numbers"] == [6, 61, 94, 4] and p.fields["target"] == 309
    assert p.fields["rule"] == "exactly-once" and p.fields["integer_only"] is False
    q = DOMAIN.from_reasoning_gym(
        "puzzle24",
        {
            "question": "Make 24 using 9, 9, 3, 8. You can only use each number once. You can use the operators +, -, *, /."
        },
    )
    assert (
        q.fields["numbers"] == [9, 9, 3, 8]
        and q.fields["target"] == 24
        and q.fields["rule"] == "exactly-once"
    )
    with pytest.raises(TaskError):
        DOMAIN.from_reasoning_gym("countdown", {"question": "What is the capital of France?"})
    with pytest.raises(TaskError):
        DOMAIN.from_reasoning_gym(
            "countdown",
            {
                "question": "Calculate 309 using all of these numbers: 6, 61, 94, 4.",
                "metadata": {"target": 310},
            },
        )
    with pytest.raises(TaskError):
        DOMAIN.from_reasoning_gym(
            "puzzle24", {"question": "Make 24 using 1, 2, 3, 4. You can use the operators +, -."}
        )


def test_to_reasoning_gym_is_a_bare_expression():
    p = problem([4, 7, 8, 8], 24, rule="exactly-once")
    assert DOMAIN.to_reasoning_gym(p, ["(4 + 7 − 8) × 8 = 24"]) == "(4 + 7 - 8) * 8"
    assert DOMAIN.to_reasoning_gym(p, []) == ""


@pytest.mark.parametrize("task", ["countdown", "puzzle24"])
def test_reasoning_gym_items_score_one(task):
    reasoning_gym = pytest.importorskip("reasoning_gym")
    dataset = reasoning_gym.create_dataset(task, size=3, seed=3)
    for entry in dataset:
        p = DOMAIN.from_reasoning_gym(task, {"question": entry["question"]})
        result = solve_task(p, out=False)
        assert result.verified
        assert dataset.score_answer(DOMAIN.to_reasoning_gym(p, result.answers), entry) == 1.0


def test_prompts_state_the_task_and_their_examples_are_right():
    p = problem([25, 50, 75, 100, 3, 6], 952, solutions=4)
    prompt = DOMAIN.worker_prompt(p, "search part 2 of 4, want 4", ["rejected claim: 25 * 4"])
    assert "952" in prompt and "search part 2 of 4" in prompt and "rejected claim: 25 * 4" in prompt
    organizer = DOMAIN.organizer_prompt(p)
    assert "952" in organizer and "<FORK-1>" in organizer
    example = problem([4, 7, 8, 8], 24, rule="exactly-once", integer_only=False, solutions=2)
    for text in (prompt, organizer):
        shown = text.split("<RETURN>\n" if "<RETURN>\n" in text else "<ANSWER>\n")[1].split("</")[0]
        lines = [line for line in shown.splitlines() if line.strip()]
        assert len(lines) == 2 and answer(example, "\n".join(lines)).proved
