"""A point where the task's constraints are undefined is no solution of the task (issue 12 red
team): `forall U: C -> A` with C undefined at some U refuted right answers (`sqrt(x) = 2`:
x = 4 "not the only solution" at x = -1; `1/x = 0`: "no solution" refuted at x = 0)."""

import pytest

from proofs.verdict import Status
from reasoning.engine._goals import Goal
from reasoning.engine._task import Task, check_answer

CASES = [
    ({"x": "Real"}, ["sqrt(x) = 2"], Goal.find(unique=True), "x = 4", Status.PROVED),
    ({"x": "Real"}, ["1/x = 2"], Goal.all(), "x = 1/2", Status.PROVED),
    ({"x": "Real"}, ["1/x = 0"], Goal.all(), "false", Status.PROVED),
    ({"x": "Real"}, ["sqrt(x) = x - 2"], Goal.all(), "x = 4", Status.PROVED),
    ({"x": "Real"}, ["sqrt(x) >= 1"], Goal.decide("x >= 1"), "x >= 1", Status.PROVED),
    ({"x": "Int"}, ["10 mod x = 0", "x > 0"], Goal.all(), "x = 1\nx = 2\nx = 5\nx = 10", Status.PROVED),
    # still refuted: a missing solution, a solution only where the constraint is defined
    ({"x": "Int"}, ["10 mod x = 0", "x > 0"], Goal.all(), "x = 1\nx = 2\nx = 5", Status.REFUTED),
    ({"x": "Real"}, ["x = 0 or 1/x = 2"], Goal.all(), "x = 1/2", Status.REFUTED),
    ({"x": "Real"}, ["sqrt(x) >= 1"], Goal.decide("x >= 1"), "not (x >= 1)", Status.REFUTED),
    ({"x": "Real"}, ["x^2 = 4"], Goal.find(unique=True), "x = 2", Status.REFUTED),
]


@pytest.mark.parametrize(("unknowns", "constraints", "goal", "answer", "expected"), CASES)
def test_undefined_points_are_not_solutions(unknowns, constraints, goal, answer, expected):
    task = Task("t", unknowns, tuple(constraints), goal=goal)
    assert check_answer(task, answer, budget_s=10).status is expected


def test_a_claim_entailed_where_the_task_is_defined_is_entailed_not_a_choice():
    # `x = 4` follows from `sqrt(x) = 2`; the undefined point x = -1 made it a mere "choice"
    from reasoning.engine._task import check_claim

    task = Task("t", {"x": "Real"}, ("sqrt(x) = 2",))
    check = check_claim(task, "x = 4", budget_s=10)
    assert check.accepted and check.role == "entailed"
    wrong = check_claim(task, "x = 5", budget_s=10)
    assert not wrong.accepted
