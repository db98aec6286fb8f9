"""`total` reaches through every connective and quantifier (issue 12 red team): it guarded only
the atoms of top-level `and`s, so constraints with a partial function under `or`, `not`, `->`
or a quantifier left the antecedent of `goal:all:complete` / `goal:unique` undefined at some
point, and right answers were refuted there (`x^2 = 4 or sqrt(x) = 1`: {2, -2, 1} "not all
the solutions" at x = -1)."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs.claims import Connective, Not
from proofs.exact import Undefined, truth
from proofs.parsing import parse_claim
from proofs.verdict import Status
from reasoning.engine._goals import Goal, total
from reasoning.engine._task import Task, check_answer

CASES = [
    # right answers, refuted before
    (["x*x = 4 or sqrt(x) = 1"], Goal.all(), "x = 2\nx = -2\nx = 1", Status.PROVED),
    (["x*x = 4 or 1/x = 1"], Goal.all(), "x = 2\nx = -2\nx = 1", Status.PROVED),
    (["not (sqrt(x) > 1)", "x*x = 4"], Goal.all(), "false", Status.PROVED),
    (["x = 0 -> 1/x = 1", "x*x = 0"], Goal.all(), "false", Status.PROVED),
    (["not (forall y in Real: y/x = 1)", "x*x = 0"], Goal.all(), "false", Status.PROVED),
    (["sqrt(x) = 2 <-> x > 0", "x > 1"], Goal.find(unique=True), "x = 4", Status.PROVED),
    # wrong answers stay refuted: a missing solution, a point where the constraint is undefined
    (["x*x = 4 or sqrt(x) = 1"], Goal.all(), "x = 2\nx = -2", Status.REFUTED),
    (["not (sqrt(x) > 1)", "x*x = 4"], Goal.all(), "x = -2", Status.REFUTED),
    (["x != 0 -> 1/x = 1", "x*(x - 1) = 0"], Goal.find(unique=True), "x = 1", Status.REFUTED),
    (["(forall y in Real: y/x = y/x)"], Goal.all(), "false", Status.REFUTED),
]


@pytest.mark.parametrize(("constraints", "goal", "answer", "expected"), CASES)
def test_undefined_points_under_connectives_are_not_solutions(constraints, goal, answer, expected):
    task = Task("t", {"x": "Real"}, tuple(constraints), goal=goal)
    assert check_answer(task, answer, budget_s=10).status is expected


ATOMS = ["1/x = 1", "sqrt(x) >= 2", "x*x = 4", "x mod 2 = 1", "1/(x - 1) < 0", "x >= 0"]


def _formulas():
    atoms = st.sampled_from([parse_claim(a) for a in ATOMS])
    return st.recursive(
        atoms,
        lambda kids: st.one_of(
            kids.map(Not),
            st.tuples(st.sampled_from(["and", "or", "->", "<->"]), kids, kids).map(lambda t: Connective(*t)),
        ),
        max_leaves=6,
    )


def _true(formula, env):
    try:
        return truth(formula, env)
    except Undefined:
        return False


@settings(max_examples=200, deadline=None)
@given(_formulas(), st.sampled_from([-4, -1, 0, 1, 4, 9]))
def test_total_is_defined_everywhere_and_true_exactly_where_the_formula_is(formula, x):
    env = {"x": Fraction(x)}
    assert truth(total(formula), env) is _true(formula, env)  # never raises Undefined


def test_a_long_disjunction_is_made_total_with_each_part_built_once(monkeypatch):
    import reasoning.engine._goals as goals

    calls = []
    conditions = goals._conditions

    def counted(atom):
        calls.append(atom)
        if len(calls) > 2_000:  # 2^n without the memo
            raise AssertionError("total rebuilds parts of a disjunction again and again")
        return conditions(atom)

    monkeypatch.setattr(goals, "_conditions", counted)
    formula = parse_claim(" or ".join(f"1/x = {i}" for i in range(40)))
    made = total(formula)
    assert truth(made, {"x": Fraction(1, 3)}) is True
    assert truth(made, {"x": Fraction(0)}) is False
