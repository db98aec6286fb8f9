"""The futoshiki domain: inequalities, the Latin-square rule check, reasoning-gym's layout."""

from __future__ import annotations

import copy
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reasoning.domains.grids._futoshiki  # noqa: F401  (registers the domain)
from proofs.verdict import Status
from reasoning.domains import TaskError, get
from reasoning.domains.grids._futoshiki import (
    EXAMPLE_CONSTRAINTS,
    EXAMPLE_GRID,
    ORGANIZER_PROMPT,
    WORKER_PROMPT,
    latin_violation,
    read_question,
    render,
)
from reasoning.domains.grids._grid_search import grid_text, latin_geometry, run_z3, search, smt_script
from reasoning.domains.grids._sudoku import GridError, parse_grid
from reasoning.engine._bundle import check_bundle, load_bundle
from reasoning.engine._solve import solve

DOMAIN = get("futoshiki")
BUDGET = 10.0
TWO_SOLUTIONS = ("1234234134124123", "3214234114234132")


@pytest.fixture(autouse=True)
def every_certificate_rechecks(monkeypatch):
    """Every certificate a check makes in these tests is re-derived by `recheck` at once."""
    from reasoning.domains.grids._sudoku import GridDomain

    def rechecked(method):
        def wrapper(self, problem, text, *, budget_s):
            result = method(self, problem, text, budget_s=budget_s)
            if result.certificate is not None:
                ok, why = self.recheck(self.parse(result.certificate["task"]), result.certificate)
                assert ok, f"certificate of {text!r} does not re-check: {why}"
            return result

        return wrapper

    monkeypatch.setattr(GridDomain, "check_claim", rechecked(GridDomain.check_claim))
    monkeypatch.setattr(GridDomain, "check_answer", rechecked(GridDomain.check_answer))


def problem(grid: str = EXAMPLE_GRID, constraints=EXAMPLE_CONSTRAINTS, unique: bool = True):
    return DOMAIN.parse({"grid": grid, "constraints": list(constraints), "unique": unique})


def check(text: str, **task):
    return DOMAIN.check_claim(problem(**task), text, budget_s=BUDGET)


def answer(text: str, **task):
    return DOMAIN.check_answer(problem(**task), text, budget_s=BUDGET)


def recheck(cert: dict) -> tuple[bool, str]:
    return DOMAIN.recheck(DOMAIN.parse(cert["task"]), cert)


def test_tasks_read_to_a_canonical_form():
    p = problem(constraints=["r2c3 > r2c4", "r2c4<r3c4", "R3C3<r3c4", "r2c4<r2c3"])
    assert p.fields["constraints"] == ["r2c4<r2c3", "r2c4<r3c4", "r3c3<r3c4"]
    assert p.data.geo.less == ((7, 6), (7, 11), (10, 11))
    assert problem() == p and DOMAIN.parse(p.to_json()) == p
    assert "r2c4<r2c3" in p.text and "Futoshiki" in p.text
    assert DOMAIN.parse({"grid": "." * 81}).data.n == 9


@pytest.mark.parametrize(
    ("task", "message"),
    [
        ({"grid": "." * 10}, r"grid: 10 cells; a grid has 4 \(2x2\), 9 \(3x3\), .* or 81 \(9x9\)"),
        ({"grid": "." * 15 + "5"}, "r4c4 is 5, more than 4"),
        ({"grid": "." * 15 + "A"}, "r4c4 is 10"),
        ({"grid": "(" * 100_000}, "characters"),
        ({"grid": "." * 16, "constraints": ["r1c1<<r1c2"]}, "constraints: entry 1: 'r1c1<<r1c2' is not"),
        ({"grid": "." * 16, "constraints": ["r1c1<r5c1"]}, "rows and columns run from 1 to 4"),
        ({"grid": "." * 16, "constraints": ["r1c1<r1c1"]}, "relates a cell to itself"),
        ({"grid": "." * 16, "constraints": ["x" * 10_000_000]}, "larger than|is not"),
        ({"grid": "." * 16, "constraints": ["r1c1<r1c2"] * 401}, "at most 400"),
        ({"grid": "." * 16, "constraints": "r1c1<r1c2"}, "constraints: expected a list of strings"),
        ({"grid": "." * 16, "constraints": [3]}, "constraints: expected a list of strings"),
    ],
)
def test_malformed_tasks_name_the_problem(task, message):
    with pytest.raises(TaskError, match=message):
        DOMAIN.parse(task)


def test_the_rule_check_names_the_broken_rule():
    p = problem()
    one = parse_grid(TWO_SOLUTIONS[0])[1]
    assert p.data.violation(one) is None
    assert latin_violation(one, (0,) * 16, 4, [(0, 1)]) is None
    assert "r1c2 < r1c1 does not hold (2 and 1)" in latin_violation(one, (0,) * 16, 4, [(1, 0)])
    assert "column 1" in latin_violation((1, 2, 3, 4) * 4, (0,) * 16, 4, [])
    assert "r2c1 is 1, but the puzzle gives 2" in p.data.violation(parse_grid("1" * 16)[1])
    assert "r1c1 is blank" in latin_violation((0, *one[1:]), (0,) * 16, 4, [])


def test_two_solutions_branches_and_uniqueness():
    one, three = TWO_SOLUTIONS
    assert [grid_text(s) for s in search(problem().data.givens, problem().data.geo, limit=3).solutions] == [
        one,
        three,
    ]
    assert check(one).proved and check(three).proved
    assert check(f"{one} unique with r1c1=1").proved
    assert check("no solution with r1c1=2").proved
    refuted = check(f"{one} unique")
    assert refuted.status is Status.REFUTED and refuted.certificate["evidence"]["witness"] == three
    assert recheck(refuted.certificate)[0]
    wrong = one[:8] + "4312" + one[12:]  # breaks r3c3<r3c4 (and columns)
    assert check(wrong).status is Status.REFUTED


@pytest.mark.parametrize(
    ("constraints", "grid"),
    [
        (["r1c1<r1c2", "r1c2<r1c1"], "." * 16),  # a cycle
        (["r1c1<r1c2", "r1c2<r1c3", "r1c3<r1c4", "r1c4<r2c4", "r2c4<r3c4"], "." * 16),  # a chain of 6 in 1..4
        (["r1c1<r1c2"], "21" + "." * 14),  # givens break an inequality
        (["r1c1<r1c2"], "4" + "." * 15),  # nothing is larger than 4
    ],
)
def test_contradictory_puzzles_have_a_proved_no_solution(constraints, grid):
    result = answer("no solution", grid=grid, constraints=constraints)
    assert result.proved and recheck(result.certificate)[0]
    run = solve({"domain": "futoshiki", "grid": grid, "constraints": constraints}, out=False)
    assert run.verified and run.answers == ["no solution"]


def test_recheck_rejects_tampered_certificates():
    cert = answer("\n".join(TWO_SOLUTIONS)).certificate
    assert recheck(cert)[0]
    unique = check(f"{TWO_SOLUTIONS[0]} unique with r1c1=1").certificate
    assert recheck(unique)[0]

    def flipped(c):
        c["holds"] = not c["holds"]

    def dropped_inequality(c):
        c["task"]["constraints"] = c["task"]["constraints"][1:]

    def reversed_inequality(c):
        c["task"]["constraints"][0] = "r2c3<r2c4"

    def changed_cell(c):
        c["claim"] = c["claim"].replace(TWO_SOLUTIONS[0], TWO_SOLUTIONS[0][::-1], 1)

    for base in (cert, unique):
        for change in (flipped, reversed_inequality, changed_cell):
            forged = copy.deepcopy(base)
            change(forged)
            assert not recheck(forged)[0], change.__name__
    forged = copy.deepcopy(unique)
    dropped_inequality(forged)  # the script of another task
    assert not recheck(forged)[0]


def test_inequalities_reach_the_script():
    p = problem()
    script = smt_script(p.data.givens, p.data.geo)
    assert "; inequalities: r2c4<r2c3, r2c4<r3c4, r3c3<r3c4" in script
    excluded = [parse_grid(g)[1] for g in TWO_SOLUTIONS]
    assert run_z3(smt_script(p.data.givens, p.data.geo, excluded=excluded), 5) == "unsat"
    assert run_z3(smt_script(p.data.givens, latin_geometry(4), excluded=excluded), 5) == "sat"


@st.composite
def latin_puzzles(draw):
    """A random Latin square (cyclic, rows, columns and digits shuffled), neighbour inequalities
    that hold in it, and some cells blanked."""
    n = draw(st.integers(3, 6))
    rows, cols = draw(st.permutations(range(n))), draw(st.permutations(range(n)))
    digits = draw(st.permutations(range(1, n + 1)))
    full = tuple(digits[(rows[r] + cols[c]) % n] for r in range(n) for c in range(n))
    pairs = [(r * n + c, r * n + c + 1) for r in range(n) for c in range(n - 1)]
    pairs += [(r * n + c, (r + 1) * n + c) for r in range(n - 1) for c in range(n)]
    chosen = draw(st.lists(st.sampled_from(pairs), max_size=2 * n, unique=True))
    less = tuple(sorted((a, b) if full[a] < full[b] else (b, a) for a, b in chosen))
    blanks = draw(st.sets(st.integers(0, n * n - 1)))
    givens = tuple(0 if i in blanks else v for i, v in enumerate(full))
    return n, full, less, givens


@given(latin_puzzles())
@settings(max_examples=60)
def test_solutions_keep_givens_and_inequalities(puzzle):
    n, full, less, givens = puzzle
    assert latin_violation(full, givens, n, less) is None
    found = search(givens, latin_geometry(n, less), limit=1)
    assert found.complete and len(found.solutions) == 1
    assert latin_violation(found.solutions[0], givens, n, less) is None


@given(st.integers(3, 4), st.data())
@settings(max_examples=60)
def test_search_and_the_script_agree_on_random_puzzles(n, data):
    cells = data.draw(st.lists(st.integers(0, n), min_size=n * n, max_size=n * n))
    pairs = data.draw(
        st.lists(st.tuples(st.integers(0, n * n - 1), st.integers(0, n * n - 1)), max_size=4).map(
            lambda ps: tuple(sorted({p for p in ps if p[0] != p[1]}))
        )
    )
    geo = latin_geometry(n, pairs)
    found = search(tuple(cells), geo, limit=2)
    assert found.complete
    assert all(latin_violation(s, cells, n, pairs) is None for s in found.solutions)
    assert run_z3(smt_script(tuple(cells), geo), 5) == ("sat" if found.solutions else "unsat")
    if found.solutions:
        again = run_z3(smt_script(tuple(cells), geo, excluded=found.solutions[:1]), 5)
        assert again == ("sat" if len(found.solutions) == 2 else "unsat")


def test_reasoning_gym_layout_round_trips():
    p = problem()
    text = render(parse_grid(TWO_SOLUTIONS[0])[1], 4, p.data.geo.less)
    assert text.split("\n")[2:4] == ["2   3   4 > 1", "            \u2227"]
    question = f"Solve the following 4x4 Futoshiki puzzle:\n\n{render(p.data.givens, 4, p.data.geo.less)}\n\nEnsure ..."
    n, givens, less = read_question(question)
    assert (n, givens, tuple(sorted(less))) == (4, p.data.givens, p.data.geo.less)
    assert DOMAIN.to_reasoning_gym(p, [TWO_SOLUTIONS[0]]) == text
    assert DOMAIN.to_reasoning_gym(p, ["no solution"]) == "no solution"


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("Solve this puzzle", "no 'Solve the following"),
        ("Solve the following 4x5 Futoshiki puzzle:\n\n_ _", "no 'Solve the following"),
        ("Solve the following 3x3 Futoshiki puzzle:\n\n_   _   _\n", "needs 5 lines"),
        ("Solve the following 2x2 Futoshiki puzzle:\n\n_ x _\n\n_   _\n", "unexpected 'x'"),
        ("Solve the following 2x2 Futoshiki puzzle:\n\n_   _   _\n\n_   _\n", "wider than 2"),
        ("Solve the following 2x2 Futoshiki puzzle:\n\n_\n\n_   _\n", "row 1 does not have 2 cells"),
    ],
)
def test_questions_that_do_not_read(question, message):
    with pytest.raises(GridError, match=message):
        read_question(question)
    with pytest.raises(TaskError, match="question: "):
        DOMAIN.from_reasoning_gym("futoshiki", {"question": question})


def test_reasoning_gym_items_score_one():
    reasoning_gym = pytest.importorskip("reasoning_gym")
    dataset = reasoning_gym.create_dataset("futoshiki", size=4, seed=11)
    for entry in dataset:
        p = DOMAIN.from_reasoning_gym("futoshiki", {"question": entry["question"]})
        result = solve(p, out=False)
        assert result.verified, result.message
        assert dataset.score_answer(DOMAIN.to_reasoning_gym(p, result.answers), entry) == 1.0


def test_solve_end_to_end_and_the_bundle_rechecks(tmp_path):
    result = solve(
        {"domain": "futoshiki", "grid": EXAMPLE_GRID, "constraints": list(EXAMPLE_CONSTRAINTS)}, out=tmp_path
    )
    assert result.verified and result.answers == list(TWO_SOLUTIONS)
    assert check_bundle(load_bundle(result.bundle)).ok
    unique = solve(
        {"domain": "futoshiki", "grid": "1" + EXAMPLE_GRID[1:], "constraints": list(EXAMPLE_CONSTRAINTS)},
        out=False,
    )
    assert unique.verified and unique.run.answer == f"{TWO_SOLUTIONS[0]} unique"


def test_prompt_examples_are_proved_claims():
    for claim in re.findall(r"<RETURN>\n(.*?)\n</RETURN>", WORKER_PROMPT):
        assert check(claim).proved, claim
    example = re.search(r"<ANSWER>\n(.*?)\n</ANSWER>", ORGANIZER_PROMPT, re.S).group(1)
    assert answer(example).proved
    assert problem().text in DOMAIN.worker_prompt(problem(), "branch r1c1=1")
