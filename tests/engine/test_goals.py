"""Task goals: what a task asks, the obligations that discharge it, and the tasks that are refused."""

import itertools
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs.exact import holds_at
from proofs.verdict import Status
from reasoning.api import InvalidArgument
from reasoning.engine._bundle import check_bundle, load_bundle
from reasoning.engine._engine import EngineConfig, ForkJoinEngine
from reasoning.engine._goals import Goal
from reasoning.engine._planner import verified_claims
from reasoning.engine._task import Task, answer_obligations, check_answer
from reasoning.engine._workers import ScriptedOrganizer, ScriptedWorker

PAIR = Task("pair", {"x": "Int", "y": "Int"}, ("x + y = 10", "x - y = 2"))
SQUARE = ("x^2 = 4",)


def roles(task, text):
    check = check_answer(task, text, budget_s=5)
    return check.status, [role for role, _ in check.obligations]


# ---------------------------------------------------------------- refused tasks


def test_an_unknown_no_constraint_mentions_is_refused():
    with pytest.raises(InvalidArgument, match=r"n appears in no constraint"):
        Task("How many primes are less than 100?", unknowns={"n": "Int"})
    with pytest.raises(InvalidArgument, match=r"y appears in no constraint"):
        Task("t", unknowns={"x": "Int", "y": "Int"}, constraints=("x = 1",))


@pytest.mark.parametrize("text", ["What is 3*8?", "", "3*8"])
def test_a_text_only_task_is_refused(text):
    with pytest.raises(InvalidArgument, match="no formal content"):
        Task(text)


def test_constraints_without_unknowns_ask_nothing_and_goals_must_fit_the_task():
    with pytest.raises(InvalidArgument, match="needs unknowns"):
        Task("t", constraints=("1 = 1",))
    with pytest.raises(InvalidArgument, match="z, which are not unknowns"):
        Task("t", {"x": "Int"}, ("x = 1",), goal=Goal.find(["z"]))
    with pytest.raises(InvalidArgument, match="unique"):
        Goal("all", unique=True)
    with pytest.raises(InvalidArgument, match="does not parse"):
        Goal.decide("x = = 1")
    with pytest.raises(InvalidArgument, match="domain"):
        Task("t", {"x": "Int"}, ("x = 1",), goal=Goal("domain"))
    with pytest.raises(InvalidArgument, match="unknown goal field"):
        Goal.from_json({"kind": "find", "values": ["x"]})


def test_reason_run_refuses_the_primes_question_instead_of_answering_n_equals_0():
    from typer.testing import CliRunner

    from reasoning.cli._main import app

    args = ["run", "--text", "How many primes are less than 100?", "--unknown", "n:Int"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "n = 0" not in result.output
    assert "appears in no constraint" in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("unknowns", "constraints", "goal", "answer"),
    [
        ({"n": "Int"}, ("n = n",), None, "n = 0"),  # a tautology mentioning n
        ({"n": "Int"}, ("n = n or n = 1",), None, "n = 1"),
        ({"n": "Real"}, ("n * 0 = 0",), None, "n = 5"),
        ({"n": "Int", "m": "Int"}, ("n = n", "m = 3"), None, "n = 0\nm = 3"),  # n is free, m is not
        ({"x": "Int", "y": "Int"}, ("x + y = 10",), Goal.find(["x"]), "x = 5"),  # some y fits any x
        ({"x": "Int", "y": "Int"}, ("x + y = 10",), Goal.find(["x"]), "x = 5\ny = 5"),  # so naming y
    ],
)
def test_an_unknown_the_constraints_leave_free_is_never_answered_proved(unknowns, constraints, goal, answer):
    # `n = n` mentions n, so the task passed the "no constraint mentions it" refusal, and
    # `n = 0` was proved (pins and exists both hold): an answer to a question never asked.
    task = Task("How many primes are less than 100?", unknowns, constraints, goal=goal)
    check = check_answer(task, answer, budget_s=5)
    assert check.status is not Status.PROVED
    assert "constrain" in check.message
    assert [role for role, _ in check.obligations][-1] == "goal:find:constrained"


def test_constrained_unknowns_are_still_found_as_a_solution():
    loose = Task("x, y", {"x": "Int", "y": "Int"}, ("x + y = 10",))
    check = check_answer(loose, "x = 3\ny = 7", budget_s=5)
    assert check.proved and "a solution" in check.message and "not proved unique" in check.message
    positive = Task("n", {"n": "Int"}, ("n >= 0",))
    assert check_answer(positive, "n = 0", budget_s=5).proved


def test_reason_run_gives_no_proved_answer_for_a_tautological_constraint():
    from typer.testing import CliRunner

    from reasoning.cli import app

    args = ["run", "--text", "How many primes are less than 100?", "--unknown", "n:Int"]
    result = CliRunner().invoke(app, [*args, "--constraint", "n = n"])
    assert result.exit_code == 2, result.output
    assert "answer (proved)" not in result.output and "constrain" in " ".join(result.output.split())


def test_solve_refuses_a_task_whose_constraints_leave_an_unknown_free():
    from reasoning.engine._solve import solve

    with pytest.raises(InvalidArgument, match="do not constrain n"):
        solve({"text": "primes below 100?", "unknowns": {"n": "Int"}, "constraints": ["n = n"]}, out=False)


def test_solve_refuses_a_text_only_task():
    from reasoning.engine._solve import solve

    with pytest.raises(InvalidArgument, match="no formal content"):
        solve({"text": "What is 3*8?"}, out=False)


# ---------------------------------------------------------------- answers discharge the goal


@pytest.mark.parametrize("answer", ["1 + 1 = 2", "3*8 = 25 or 1 = 1", "24 = 24"])
def test_a_true_claim_unrelated_to_the_goal_is_not_an_answer(answer):
    decide = Task("3*8 = 24")
    assert decide.goal == Goal.decide("3*8 = 24")
    assert check_answer(decide, answer, budget_s=5).status is Status.INVALID
    find = Task("What is 3*8?", {"v": "Int"}, ("v = 3*8",))
    assert check_answer(find, answer, budget_s=5).status is Status.INVALID


def test_a_run_answering_a_closed_true_claim_to_a_find_task_is_not_proved():
    task = Task("What is 3*8?", {"v": "Int"}, ("v = 3*8",))
    organizer = ScriptedOrganizer(["<ANSWER>1 + 1 = 2</ANSWER>"])
    result = ForkJoinEngine(organizer, ScriptedWorker({}), EngineConfig(max_answer_attempts=1)).run_sync(task)
    assert result.status is Status.INVALID and not result.verified


def test_find_names_its_obligations_and_unique_proves_uniqueness():
    assert roles(PAIR, "x = 6\ny = 4") == (
        Status.PROVED,
        ["goal:find:pins", "goal:find:exists", "goal:find:constrained", "goal:find:constrained"],
    )
    unique = Task("u", {"x": "Int"}, ("x^3 = 8",), goal=Goal.find(unique=True))
    assert roles(unique, "x = 2") == (Status.PROVED, ["goal:find:pins", "goal:find:exists", "goal:unique"])
    two = Task("u", {"x": "Int"}, SQUARE, goal=Goal.find(unique=True))
    assert roles(two, "x = 2")[0] is Status.REFUTED


def test_find_a_subset_of_the_unknowns():
    task = Task("x only", {"x": "Int", "y": "Int"}, ("x + y = 10", "x - y = 2"), goal=Goal.find(["x"]))
    assert roles(task, "x = 6")[0] is Status.PROVED
    assert roles(task, "x = 5")[0] is Status.REFUTED
    loose = Task("x only", {"x": "Int", "y": "Int"}, ("x + y = 10",), goal=Goal.find(["x"]))
    assert roles(loose, "x = 5")[0] is Status.REFUTED  # some y fits every x: x is not constrained
    assert roles(PAIR, "x = 6")[0] is Status.INVALID  # the default asks for every unknown


def test_all_proves_each_member_and_completeness():
    task = Task("roots", {"x": "Int"}, SQUARE, goal=Goal.all())
    assert roles(task, "x = 2\nx = -2") == (
        Status.PROVED,
        ["goal:all:member", "goal:all:member", "goal:all:complete"],
    )
    assert roles(task, "x = 2")[0] is Status.REFUTED  # incomplete
    assert roles(task, "x = 3\nx = 2\nx = -2")[0] is Status.REFUTED  # x = 3 is no solution
    assert roles(task, "false")[0] is Status.REFUTED
    none = Task("none", {"x": "Int"}, ("x^2 = -1",), goal=Goal.all())
    assert roles(none, "false") == (Status.PROVED, ["goal:all:complete"])
    assert roles(task, "1 = 1")[0] is Status.INVALID


def test_decide_proves_the_claim_or_its_negation():
    assert roles(Task("3*8 = 24"), "3*8 = 24") == (Status.PROVED, ["goal:decide"])
    assert roles(Task("3*8 = 25"), "not (3*8 = 25)") == (Status.PROVED, ["goal:decide"])
    assert roles(Task("3*8 = 25"), "3*8 = 25")[0] is Status.REFUTED
    assert roles(Task("3*8 = 24"), "3*8 = 24\n3*8 = 24")[0] is Status.INVALID
    under = Task("t", {"x": "Real"}, ("x > 2",), goal=Goal.decide("x^2 > 4"))
    assert roles(under, "x^2 > 4") == (Status.PROVED, ["goal:decide:consistent", "goal:decide"])


def test_goals_round_trip_through_json_and_old_tasks_default_to_find():
    for task in [
        PAIR,
        Task("r", {"x": "Int"}, SQUARE, goal=Goal.all()),
        Task("u", {"x": "Int", "y": "Int"}, ("x + y = 1",), goal=Goal.find(["x"], unique=True)),
        Task("3*8 = 24"),
    ]:
        assert Task.from_json(task.to_json()) == task
    old = {"text": "pair", "unknowns": {"x": "Int", "y": "Int"}, "constraints": ["x + y = 10", "x - y = 2"]}
    assert Task.from_json(old).goal == Goal.find()
    assert Task.from_json({**old, "goal": {"kind": "all"}}).goal == Goal.all()


def test_a_goal_run_writes_a_bundle_that_rechecks_the_goal_obligations(tmp_path):
    task = Task("roots", {"x": "Int"}, SQUARE, goal=Goal.all())
    organizer = ScriptedOrganizer(["<ANSWER>x = 2\nx = -2</ANSWER>"])
    result = ForkJoinEngine(organizer, ScriptedWorker({})).run_sync(task, run_dir=tmp_path)
    assert result.verified
    report = check_bundle(load_bundle(result.bundle_path), use_cvc5=False)
    assert report.ok, report.to_json()
    assert "answer (goal:all:complete)" in [item.name for item in report.items]
    assert answer_obligations(task, "x = 2\nx = -2")[-1][0] == "goal:all:complete"


# ---------------------------------------------------------------- joins with unknown consistency


def test_a_join_whose_consistency_is_unknown_is_held_unverified(tmp_path):
    task = Task("x", {"x": "Real"}, ("x > 0", "x < 4"))
    organizer = ScriptedOrganizer(["<FORK-1>pick x</FORK-1><JOIN-1>", "<ANSWER>x = 3</ANSWER>"])
    worker = ScriptedWorker({1: ["<RETURN>exp(1) > 2\nx = 3</RETURN>"]})
    result = ForkJoinEngine(organizer, worker).run_sync(task, run_dir=tmp_path)
    assert result.joins[-1]["status"] == "unverified"
    assert [e.status for e in result.events if e.kind == "join"] == ["unverified"]
    assert result.accepted_claims() == []  # nothing may rest on them
    assert "attempt 1: unverified" in organizer.contexts[1]
    assert verified_claims(organizer.contexts[1]) == {}
    assert "[?] **f1**" in result.ledger
    assert result.final_consistency.consistent
    assert result.verified  # x = 3 is proved from the task's constraints alone
    report = check_bundle(load_bundle(result.bundle_path), use_cvc5=False)
    assert report.ok, report.to_json()


# ---------------------------------------------------------------- property: proved means right

BOUND = 4
RELATIONS = ["=", "<=", ">=", "!="]


@st.composite
def small_tasks(draw):
    names = ["x", "y"][: draw(st.integers(1, 2))]
    constraints = [f"{n} >= -{BOUND}" for n in names] + [f"{n} <= {BOUND}" for n in names]
    for _ in range(draw(st.integers(1, 2))):
        coeffs = [draw(st.integers(-2, 2)) for _ in names]
        lhs = " + ".join(f"{c}*{n}" for c, n in zip(coeffs, names))
        constraints.append(f"{lhs} {draw(st.sampled_from(RELATIONS))} {draw(st.integers(-3, 3))}")
    kind = draw(st.sampled_from(["find", "unique", "all"]))
    goal = Goal.all() if kind == "all" else Goal.find(unique=kind == "unique")
    return Task("t", {n: "Int" for n in names}, tuple(constraints), goal=goal)


def _holds(task, point):
    env = {name: Fraction(value) for name, value in point.items()}
    return all(holds_at(f, env) for f in task.constraint_formulas)


def _solutions(task):
    names = list(task.unknowns)
    values = range(-BOUND, BOUND + 1)
    return {p for p in itertools.product(values, repeat=len(names)) if _holds(task, dict(zip(names, p)))}


@settings(max_examples=30, deadline=None)
@given(small_tasks(), st.lists(st.tuples(st.integers(-BOUND, BOUND), st.integers(-BOUND, BOUND)), max_size=3))
def test_a_proved_answer_is_confirmed_by_brute_force(task, picks):
    names = list(task.unknowns)
    points = [p[: len(names)] for p in picks]
    lines = [" and ".join(f"{n} = {v}" for n, v in zip(names, p)) for p in points]
    if task.goal.kind == "find":
        lines = lines[:1]
    check = check_answer(task, "\n".join(lines) or "false", budget_s=5)
    if check.status is not Status.PROVED:
        return
    solutions = _solutions(task)
    if task.goal.kind == "all":
        assert set(points) == solutions or (not points and not solutions)
    else:
        assert points[0] in solutions
        if task.goal.unique:
            assert solutions == {points[0]}


# ---------------------------------------------------------------- the symbolic planner by goal


@pytest.mark.parametrize(
    ("task", "answer"),
    [
        (Task("roots", {"x": "Int"}, SQUARE, goal=Goal.all()), "x = 2\nx = -2"),
        (Task("none", {"x": "Int"}, ("x^2 = -4",), goal=Goal.all()), "false"),
        (Task("u", {"x": "Int"}, ("x^3 = 8",), goal=Goal.find(unique=True)), "x = 2"),
        (Task("y", {"x": "Int", "y": "Int"}, ("x + y = 10", "x - y = 2"), goal=Goal.find(["y"])), "y = 4"),
        (Task("3*8 = 25"), "not (3*8 = 25)"),
        (Task("d", {"x": "Real"}, ("x > 2",), goal=Goal.decide("x^2 > 4")), "x^2 > 4"),
    ],
)
def test_the_symbolic_planner_discharges_each_goal_kind(task, answer, tmp_path):
    from reasoning.engine._planner import SymbolicPlanner
    from reasoning.engine._symbolic_worker import SymbolicWorker

    result = ForkJoinEngine(SymbolicPlanner(task), SymbolicWorker()).run_sync(task, run_dir=tmp_path)
    # the order of the solutions is the order Z3's models came in
    assert result.verified and sorted(result.answer.splitlines()) == sorted(answer.splitlines()), (
        result.message
    )
    report = check_bundle(load_bundle(result.bundle_path), use_cvc5=False)
    assert report.ok, report.to_json()


def test_a_unique_goal_with_two_solutions_is_never_proved():
    from reasoning.engine._planner import SymbolicPlanner
    from reasoning.engine._symbolic_worker import SymbolicWorker

    task = Task("u", {"x": "Int"}, SQUARE, goal=Goal.find(unique=True))
    result = ForkJoinEngine(SymbolicPlanner(task), SymbolicWorker()).run_sync(task)
    assert not result.verified


def test_reason_run_goal_options_and_solve_with_a_goal(tmp_path):
    import json

    from typer.testing import CliRunner

    from reasoning.cli._main import app
    from reasoning.engine._solve import solve

    runner = CliRunner()
    args = ["run", "--unknown", "x:Int", "--constraint", "x^2 = 9", "--all", "--json", "--out", str(tmp_path)]
    summary = json.loads(runner.invoke(app, args).output)
    assert summary["verified"] and summary["goal"] == {"kind": "all"}
    assert summary["answers"] == ["x = -3\nx = 3"]
    assert [c["role"] for c in summary["certificates"]][-1] == "goal:all:complete"
    result = runner.invoke(app, ["run", "--decide", "2^10 > 1000", "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["answers"] == ["2^10 > 1000"]
    result = runner.invoke(
        app, ["run", "--unknown", "x:Int", "--constraint", "x = 1", "--all", "--decide", "1 = 1"]
    )
    assert result.exit_code == 2 and "one goal" in result.output
    plain = {"text": "roots", "unknowns": {"x": "Int"}, "constraints": ["x^2 = 4"], "goal": {"kind": "all"}}
    solved = solve(plain, out=False)
    assert solved.verified and solved.answers == ["x = -2\nx = 2"]
    assert solved.to_json()["task"]["goal"] == {"kind": "all"}


# ---------------------------------------------------------------- property: runs with random workers

REPLIES = [
    "2 + 2 = 4",  # true, unrelated
    "2 + 2 = 5",  # false
    "12*7 = 84",  # answers `evaluate: 12 * 7`
    "x = 1",
    "x = -1",
    "x = 3",  # contradicts the task
    "x = 1 and x = -1",  # contradictory
    "exp(1) > 2\nx = 1",  # joint consistency unknown
    "x^2 = 1",  # entailed
]
QUERIES = ["pick x", "evaluate: 12 * 7", "solve: for x", "prove: x^2 = 1"]
ANSWERS = ["x = 1", "x = -1", "x = 3", "x = 1\nx = -1", "false", "2 + 2 = 4", "x^2 = 1"]


@settings(max_examples=25, deadline=None)
@given(
    st.sampled_from([Goal.find(), Goal.find(unique=True), Goal.all()]),
    st.lists(st.sampled_from(QUERIES), min_size=1, max_size=3),
    st.lists(st.sampled_from(REPLIES), min_size=3, max_size=9),
    st.sampled_from(ANSWERS),
)
def test_a_run_reported_proved_is_right_and_its_bundle_rechecks(goal, queries, replies, answer):
    import tempfile

    task = Task("x^2 = 1", {"x": "Int"}, ("x^2 = 1",), goal=goal)
    forks = "".join(f"<FORK-{i}>{q}</FORK-{i}>" for i, q in enumerate(queries, 1))
    turns = [
        forks + "<JOIN-1>",
        *[f"<JOIN-{i}>" for i in range(2, len(queries) + 1)],
        f"<ANSWER>{answer}</ANSWER>",
    ]
    script = {
        i: [f"<RETURN>{r}</RETURN>" for r in replies[i - 1 :: len(queries)]]
        for i in range(1, len(queries) + 1)
    }
    with tempfile.TemporaryDirectory() as directory:
        engine = ForkJoinEngine(
            ScriptedOrganizer(turns), ScriptedWorker(script), EngineConfig(max_answer_attempts=1)
        )
        result = engine.run_sync(task, run_dir=directory)
        if not result.verified:
            return
        picked = {int(line.split("=")[1]) for line in answer.splitlines()}
        if goal.kind == "all":
            assert picked == {1, -1}
        else:
            assert len(picked) == 1 and picked <= {1, -1} and not goal.unique  # x^2 = 1 has two roots
        assert result.final_consistency.consistent
        report = check_bundle(load_bundle(result.bundle_path), use_cvc5=False)
        assert report.ok, report.to_json()


def test_a_run_whose_final_consistency_is_unknown_is_not_proved():
    # fork 2 conflicts with fork 1, is withdrawn and re-joined at once with a claim Z3 cannot
    # express: the joined claims end `unknown` together, so the answer cannot be proved.
    task = Task("x", {"x": "Int"}, ("x^2 = 1",))
    organizer = ScriptedOrganizer(
        ["<FORK-1>pick x</FORK-1><FORK-2>pick x too</FORK-2><JOIN-1>", "<JOIN-2>", "<ANSWER>x = 1</ANSWER>"]
    )
    worker = ScriptedWorker(
        {1: ["<RETURN>x = 1</RETURN>"], 2: ["<RETURN>x = -1</RETURN>", "<RETURN>exp(1) > 2\nx = 1</RETURN>"]}
    )
    result = ForkJoinEngine(organizer, worker).run_sync(task)
    assert result.answer_check.proved  # the answer itself checks out ...
    assert not result.final_consistency.consistent
    assert result.status is Status.UNKNOWN and not result.verified  # ... but the run is not proved
    assert "unknown together" in result.message
