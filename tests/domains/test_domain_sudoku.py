"""The sudoku domain: grids, the solver, the rule check, unsat certificates, worker and planner."""

from __future__ import annotations

import asyncio
import copy
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs.verdict import Status
from reasoning.domains import TaskError, get
from reasoning.domains.grids._deduction_check import deduction_leaves
from reasoning.domains.grids._grid_search import (
    CLOCK_EVERY,
    grid_text,
    most_constrained,
    rule_violation,
    run_z3,
    search,
    smt_script,
)
from reasoning.domains.grids._sudoku import (
    EXAMPLE_GRID,
    ORGANIZER_PROMPT,
    WORKER_PROMPT,
    GridError,
    SudokuPlanner,
    SudokuWorker,
    combine,
    parse_grid,
    parse_line,
)
from reasoning.engine._bundle import check_bundle, load_bundle
from reasoning.engine._engine import ForkJoinEngine
from reasoning.engine._solve import solve
from reasoning.engine._task import Task
from reasoning.engine._workers import ScriptedOrganizer, ScriptedWorker, Steps, WorkerRequest

DOMAIN = get("sudoku")
BUDGET = 10.0

# A 9x9 puzzle with one solution (reasoning-gym style), and that solution.
PUZZLE = "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79"
SOLUTION = "534678912672195348198342567859761423426853791713924856961537284287419635345286179"
# Norvig's "hardest for brute force": 17 givens, more than one solution.
NORVIG = ".....6....59.....82....8....45........3........6..3.54...325..6.................."
# 4x4 with exactly two solutions (the prompts' example) and one with one solution.
TWO = EXAMPLE_GRID
TWO_SOLUTIONS = ("1234341221434321", "3214143221434321")
MINI = "1..4..1.2..3.3.."


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


def pattern(n: int) -> tuple[int, ...]:
    b = {4: 2, 9: 3, 16: 4}[n]
    return tuple((b * (r % b) + r // b + c) % n + 1 for r in range(n) for c in range(n))


def problem(grid: str, unique: bool = True):
    return DOMAIN.parse({"grid": grid, "unique": unique})


def check(text: str, grid: str = PUZZLE, unique: bool = True):
    return DOMAIN.check_claim(problem(grid, unique), text, budget_s=BUDGET)


def answer(text: str, grid: str = PUZZLE, unique: bool = True):
    return DOMAIN.check_answer(problem(grid, unique), text, budget_s=BUDGET)


def recheck(cert: dict) -> tuple[bool, str]:
    return DOMAIN.recheck(DOMAIN.parse(cert["task"]), cert)


# ---------------------------------------------------------------- tasks


@pytest.mark.parametrize(
    ("grid", "n"),
    [
        (PUZZLE, 9),
        ("\n".join(PUZZLE[i : i + 9] for i in range(0, 81, 9)), 9),
        (" ".join(PUZZLE.replace(".", "_")), 9),
        (PUZZLE.replace(".", "0"), 9),
        (",".join("0" if ch == "." else ch for ch in PUZZLE), 9),
        (MINI, 4),
        (grid_text(pattern(16)).lower(), 16),
        (", ".join(str(v) for v in pattern(16)), 16),
    ],
)
def test_grid_forms_read_to_one_canonical_grid(grid, n):
    p = problem(grid)
    assert p.data.n == n and len(p.fields["grid"]) == n * n
    assert problem(p.fields["grid"]) == p  # canonical form round-trips
    assert p.fields["unique"] is True and p.to_json()["domain"] == "sudoku"


@pytest.mark.parametrize(
    ("task", "message"),
    [
        ({"grid": PUZZLE[:80]}, r"grid: 80 cells; a grid has 16 \(4x4\), 81 \(9x9\) or 256"),
        ({"grid": PUZZLE + "1"}, "82 cells"),
        ({"grid": "A" + PUZZLE[1:]}, "r1c1 is 10, more than 9"),
        ({"grid": PUZZLE[:5] + "x" + PUZZLE[6:]}, "character 6 'x' is not a digit"),
        ({"grid": "1" * 15 + "9"}, "r4c4 is 9, more than 4"),
        ({"grid": "1,2,3,x" + ",0" * 12}, "entry 4 'x' is not a number"),
        ({"grid": "1,2,3,17" + ",0" * 12}, "r1c4 is 17, more than 4"),
        ({"grid": "1,2,3,100" + ",0" * 12}, "entry 4 '100'"),
        ({"grid": "1,2,3,-1" + ",0" * 12}, "entry 4 '-1'"),
        ({"grid": "5" * 10_000_000}, "characters"),
        ({"grid": "(" * 100_000}, "characters"),
        ({"grid": "(" * 100}, "character 1 '\\(' is not a digit"),
        ({"grid": ""}, "0 cells"),
        ({"grid": "٣" * 81}, "is not a digit"),
        ({"grid": 12}, "grid: expected a string"),
        ({}, "grid: required"),
        ({"grid": PUZZLE, "unique": "yes"}, "unique: expected true or false"),
        ({"grid": PUZZLE, "size": 9}, "no field 'size'"),
    ],
)
def test_malformed_tasks_name_the_problem(task, message):
    with pytest.raises(TaskError, match=message):
        DOMAIN.parse(task)


def test_a_malformed_task_through_solve_is_a_task_error():
    with pytest.raises(TaskError, match="grid: 80 cells"):
        solve({"domain": "sudoku", "grid": PUZZLE[:80]}, out=False)


# ---------------------------------------------------------------- the solver and the rule check


@pytest.mark.parametrize("n", [4, 9, 16])
def test_search_solves_every_size_and_keeps_givens(n):
    full = pattern(n)
    givens = tuple(v if i % 3 else 0 for i, v in enumerate(full))
    found = search(givens, n, limit=1)
    assert found.complete and len(found.solutions) == 1
    assert rule_violation(found.solutions[0], givens, n) is None
    empty = search((0,) * (n * n), n, limit=2)
    assert len(empty.solutions) == 2 and all(
        rule_violation(s, (0,) * (n * n), n) is None for s in empty.solutions
    )


def test_search_finds_the_one_solution_and_norvigs_several():
    givens = parse_grid(PUZZLE)[1]
    found = search(givens, 9, limit=2)
    assert found.complete and [grid_text(s) for s in found.solutions] == [SOLUTION]
    norvig = search(parse_grid(NORVIG)[1], 9, limit=2)
    assert len(set(norvig.solutions)) == 2


def test_rule_violation_names_the_broken_rule():
    sol = parse_grid(SOLUTION)[1]
    givens = parse_grid(PUZZLE)[1]
    assert rule_violation(sol, givens, 9) is None
    swapped = list(sol)
    swapped[0], swapped[1] = swapped[1], swapped[0]  # rows still fine, columns not
    assert "column 1" in rule_violation(swapped, (0,) * 81, 9)
    assert "but the puzzle gives 5" in rule_violation(swapped, givens, 9)
    assert "r1c1 is blank" in rule_violation((0, *sol[1:]), (0,) * 81, 9)
    assert "not 9" in rule_violation(sol, givens, 9, {0: 9})
    relabel = tuple(v % 9 + 1 for v in sol)  # a valid grid, but not these givens
    assert rule_violation(relabel, (0,) * 81, 9) is None and rule_violation(relabel, givens, 9)


def test_most_constrained_gives_the_branching_cell():
    assert most_constrained(parse_grid(PUZZLE)[1], 9) is None  # propagation alone solves it
    assert most_constrained(parse_grid(TWO)[1], 4) == (0, [1, 3])
    assert most_constrained(parse_grid("11" + "." * 14)[1], 4) is None  # clash


# ---------------------------------------------------------------- claims


def test_solution_claims_are_proved_by_the_rule_check():
    result = check(SOLUTION)
    assert result.proved and "rule check" in result.message
    assert result.certificate["holds"] is True and recheck(result.certificate)[0]


@pytest.fixture
def no_deductions(monkeypatch):
    """Lines are proved by Z3 alone (as when a deduction would need too many splits)."""
    import reasoning.domains.grids._sudoku as sudoku

    monkeypatch.setattr(sudoku, "deduce", lambda *a, **k: None)


def test_unique_claims_carry_a_deduction_that_replays():
    result = check(f"{SOLUTION} unique")
    assert result.proved and "deduction" in result.message, result.message
    evidence = result.certificate["evidence"]
    assert "script" not in evidence and "z3" not in evidence
    leaves = deduction_leaves(parse_grid(PUZZLE)[1], 9, {}, evidence["deduction"])
    assert leaves == [parse_grid(SOLUTION)[1]]
    assert recheck(result.certificate)[0]


def test_unique_claims_carry_an_unsat_script(no_deductions):
    result = check(f"{SOLUTION} unique")
    assert result.proved, result.message
    evidence = result.certificate["evidence"]
    assert evidence["z3"] == "unsat" and "(check-sat)" in evidence["script"]
    assert evidence["script"] == smt_script(parse_grid(PUZZLE)[1], 9, excluded=[parse_grid(SOLUTION)[1]])
    assert recheck(result.certificate)[0]


def test_non_unique_puzzles_refute_uniqueness_with_a_witness():
    first, second = TWO_SOLUTIONS
    assert check(first, TWO).proved and check(second, TWO).proved
    refuted = check(f"{first} unique", TWO)
    assert refuted.status is Status.REFUTED and refuted.certificate["evidence"]["witness"] == second
    assert recheck(refuted.certificate)[0]
    assert check(f"{first} unique with r1c1=1", TWO).proved
    assert check("no solution with r1c1=2", TWO).proved
    assert check("no solution with r1c1=3", TWO).status is Status.REFUTED


@pytest.mark.parametrize(
    "grid",
    [
        "11" + "." * 14,  # clashing givens
        "12....3." + "." * 8,  # no direct clash: r1c3/r1c4 must be 4/3, but r2c3 is 3
        "123." + "...4" + "." * 8,  # r1c4 needs 4, but r2c4 is 4
    ],
)
def test_contradictory_puzzles_have_a_proved_no_solution(grid):
    assert search(parse_grid(grid)[1], 4).solutions == ()
    result = answer("no solution", grid)
    evidence = result.certificate["evidence"]["lines"][0]
    # clashing givens: Z3; the others: a deduction ending in a contradiction
    assert result.proved and (
        evidence.get("z3") == "unsat" if grid.startswith("11") else "deduction" in evidence
    )
    assert recheck(result.certificate)[0]
    run = solve({"domain": "sudoku", "grid": grid}, out=False)
    assert run.verified and run.answers == ["no solution"]


def test_a_false_no_solution_is_refuted_with_a_solution():
    result = check("no solution")
    assert result.status is Status.REFUTED
    witness = result.certificate["evidence"]["witness"]
    assert witness == SOLUTION and recheck(result.certificate)[0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected 'GRID'"),
        ("hello", "character 1 'h'"),
        ("hello world", "expected 'GRID'"),
        (SOLUTION[:80], "80 cells"),
        (MINI.replace(".", "1"), "16 cells; this puzzle is 9x9"),
        (f"{SOLUTION} unique with r10c1=1", "rows, columns and digits run from 1 to 9"),
        (f"{SOLUTION} with r1c1=5, r1c1=6", "set twice"),
        (f"{SOLUTION} with", "expected 'GRID'"),
        (f"{SOLUTION} with r1c1=5 r1c2", "expected 'rRcC=D'"),
        ("unique", "expected a grid"),
        ("5" * 100_000, "characters long"),
        ("(" * 100_000, "characters long"),
    ],
)
def test_malformed_claims_are_invalid(text, message):
    result = check(text)
    assert result.status is Status.INVALID and re.search(message, result.message), result.message
    assert result.certificate is None


def test_lines_have_one_canonical_text():
    assert parse_line("No  Solution WITH r1c1=2 and r2c2 = 3", 4).text == "no solution with r1c1=2, r2c2=3"
    with pytest.raises(GridError, match="expected 'GRID'"):  # a grid in a line has no spaces
        parse_line(f"{TWO_SOLUTIONS[0].replace('1', '1 ')} unique", 4)
    line = parse_line(f"{','.join(TWO_SOLUTIONS[0])}   UNIQUE with r1c1=1", 4)
    assert line.text == f"{TWO_SOLUTIONS[0]} unique with r1c1=1"


def test_wrong_grids_are_refuted_and_not_final():
    wrong = SOLUTION[:-2] + SOLUTION[-1] + SOLUTION[-2]
    result = check(wrong)
    assert result.status is Status.REFUTED and not result.final
    assert "not a solution" in result.message and recheck(result.certificate)[0]
    blanks = check(PUZZLE)
    assert blanks.status is Status.REFUTED and "blank" in blanks.message


# ---------------------------------------------------------------- answers


def test_answers_must_settle_uniqueness_when_asked():
    assert answer(f"{SOLUTION} unique").proved
    bare = answer(SOLUTION)
    assert bare.status is Status.UNKNOWN and "unique" in bare.message and bare.certificate is None
    assert answer(SOLUTION, unique=False).proved
    two = answer("\n".join(TWO_SOLUTIONS), TWO)
    assert two.proved and "not unique" in two.message and recheck(two.certificate)[0]
    assert answer("no solution").status is Status.REFUTED
    assert answer(f"{SOLUTION} unique with r1c3=4").status is Status.INVALID
    assert answer("").status is Status.INVALID
    assert answer("\n".join([SOLUTION] * 17), unique=False).status is Status.INVALID


def test_answers_and_reasoning_gym_format():
    p = problem(PUZZLE)
    assert DOMAIN.answers(p, f"{SOLUTION} unique") == [SOLUTION]
    assert DOMAIN.answers(p, "no solution") == ["no solution"]
    rows = DOMAIN.to_reasoning_gym(p, [SOLUTION]).split("\n")
    assert len(rows) == 9 and rows[0] == "5 3 4 6 7 8 9 1 2"
    assert DOMAIN.to_reasoning_gym(p, []) == ""
    big = problem(grid_text(pattern(16)))
    assert DOMAIN.to_reasoning_gym(big, [big.fields["grid"]]).split("\n")[0].split()[-1] == "16"


# ---------------------------------------------------------------- tampered certificates


def _tampered(cert: dict, change) -> tuple[bool, str]:
    forged = copy.deepcopy(cert)
    change(forged)
    return recheck(forged)


@pytest.mark.parametrize("prover", ["deduction", "z3"])
def test_recheck_rejects_tampered_certificates(prover, monkeypatch):
    if prover == "z3":
        import reasoning.domains.grids._sudoku as sudoku

        monkeypatch.setattr(sudoku, "deduce", lambda *a, **k: None)
    unique = answer(f"{SOLUTION} unique").certificate
    assert recheck(unique)[0]
    assert ("deduction" if prover == "deduction" else "script") in unique["evidence"]["lines"][0]

    def changed_cell(c):
        c["claim"] = c["claim"].replace(SOLUTION, SOLUTION[:-1] + "8")

    def wrong_holds(c):
        c["holds"] = False

    def other_task(c):
        c["task"]["grid"] = c["task"]["grid"].replace(".", "1", 1)

    def loosened_script(c):
        evidence = c["evidence"]["lines"][0]
        if "deduction" in evidence:
            evidence["deduction"] = {"steps": [], "then": "solved"}
        else:
            evidence["script"] = "(check-sat)\n"

    def dropped_uniqueness(c):
        c["claim"] = SOLUTION

    for change in (changed_cell, wrong_holds, other_task, loosened_script, dropped_uniqueness):
        ok, _ = _tampered(unique, change)
        assert not ok, change.__name__

    none = answer("no solution", "11" + "." * 14).certificate

    def made_solvable(c):
        c["task"]["grid"] = "1" + "." * 15

    def forged_witness(c):
        c["holds"] = False
        c["evidence"]["lines"][0]["witness"] = "1" * 16

    for change in (made_solvable, forged_witness, wrong_holds):
        assert not _tampered(none, change)[0], change.__name__

    def flipped(c):
        c["holds"] = not c["holds"]

    assert not _tampered(check("no solution").certificate, flipped)[0]
    assert not _tampered(check(SOLUTION).certificate, flipped)[0]
    assert not _tampered(check(f"{TWO_SOLUTIONS[0]} unique", TWO).certificate, flipped)[0]


def test_the_script_is_exact_on_small_cases():
    two = parse_grid(TWO)[1]
    assert run_z3(smt_script(two, 4), 5) == "sat"
    excluded = [parse_grid(g)[1] for g in TWO_SOLUTIONS]
    assert run_z3(smt_script(two, 4, excluded=excluded[:1]), 5) == "sat"
    assert run_z3(smt_script(two, 4, excluded=excluded), 5) == "unsat"
    assert run_z3(smt_script(two, 4, fixed={0: 2}), 5) == "unsat"
    # An excluded grid that breaks a given excludes nothing.
    broken = (2, *excluded[0][1:])
    assert run_z3(smt_script(two, 4, excluded=[broken, excluded[1]]), 5) == "sat"


def test_the_script_reads_in_cvc5_too():
    pytest.importorskip("cvc5")
    from proofs.check import solve_with_cvc5

    two = parse_grid(TWO)[1]
    excluded = [parse_grid(g)[1] for g in TWO_SOLUTIONS]
    assert solve_with_cvc5(smt_script(two, 4, excluded=excluded), 5) == "unsat"
    assert solve_with_cvc5(smt_script(two, 4, excluded=excluded[:1]), 5) == "sat"


# ---------------------------------------------------------------- properties


@st.composite
def valid_grids(draw, sizes=(4, 9)):
    """A random valid n x n grid: a pattern with digits relabelled and rows, columns, bands
    and stacks shuffled (each keeps the rules)."""
    n = draw(st.sampled_from(sizes))
    b = {4: 2, 9: 3, 16: 4}[n]
    digits = draw(st.permutations(range(1, n + 1)))
    bands = draw(st.permutations(range(b)))
    stacks = draw(st.permutations(range(b)))
    rows = [band * b + r for band in bands for r in draw(st.permutations(range(b)))]
    cols = [stack * b + c for stack in stacks for c in draw(st.permutations(range(b)))]
    base = pattern(n)
    grid = tuple(digits[base[rows[r] * n + cols[c]] - 1] for r in range(n) for c in range(n))
    return n, grid


@given(valid_grids(), st.data())
@settings(max_examples=60)
def test_solutions_keep_givens_and_pass_the_rule_check(grid, data):
    n, full = grid
    assert rule_violation(full, full, n) is None
    blanks = data.draw(st.sets(st.integers(0, n * n - 1)))
    givens = tuple(0 if i in blanks else v for i, v in enumerate(full))
    found = search(givens, n, limit=1)
    assert found.complete and len(found.solutions) == 1
    assert rule_violation(found.solutions[0], givens, n) is None
    assert all(found.solutions[0][i] == g for i, g in enumerate(givens) if g)


@given(st.lists(st.integers(0, 4), min_size=16, max_size=16))
@settings(max_examples=60)
def test_search_and_the_script_agree_on_random_4x4_puzzles(cells):
    givens = tuple(cells)
    found = search(givens, 4, limit=2)
    assert found.complete
    assert run_z3(smt_script(givens, 4), 5) == ("sat" if found.solutions else "unsat")
    if found.solutions:
        unique = run_z3(smt_script(givens, 4, excluded=found.solutions[:1]), 5)
        assert unique == ("sat" if len(found.solutions) == 2 else "unsat")


# ---------------------------------------------------------------- worker and planner


def ask(query: str, grid: str = TWO, unique: bool = True) -> str:
    async def collect():
        task = Task.of_problem(problem(grid, unique))
        request = WorkerRequest(fork_id=1, attempt=1, query=query, task=task)
        return [chunk async for chunk in SudokuWorker().stream(request)]

    chunks = asyncio.run(collect())
    assert len(chunks) == 1 and isinstance(chunks[0], Steps) and chunks[0].count == 1  # steps, not tokens
    match = re.fullmatch(r"(?s)<RETURN>\n(.*)\n</RETURN>", chunks[0].text)
    assert match is not None
    return match.group(1)


@pytest.mark.parametrize(
    ("query", "grid", "unique", "body"),
    [
        ("branch r1c1=1", TWO, True, f"{TWO_SOLUTIONS[0]} unique with r1c1=1"),
        ("solve with r1c1=3", TWO, True, f"{TWO_SOLUTIONS[1]} unique with r1c1=3"),
        ("branch r1c1=2", TWO, True, "no solution with r1c1=2"),
        ("solve", TWO, True, "\n".join(TWO_SOLUTIONS)),
        ("solve", TWO, False, TWO_SOLUTIONS[0]),
        ("solve", PUZZLE, True, f"{SOLUTION} unique"),
        ("solve", "11" + "." * 14, True, "no solution"),
    ],
)
def test_the_worker_answers_with_claims_that_check(query, grid, unique, body):
    assert ask(query, grid, unique) == body
    for line in body.splitlines():
        assert check(line, grid, unique).proved, line


@pytest.mark.parametrize("query", ["hello", "branch r9c9=1", "branch", "solve with x", "(" * 100_000])
def test_the_worker_notes_bad_queries(query):
    body = ask(query)
    assert body.startswith("# sudoku worker:") and "\n" not in body


def run_engine(grid: str, worker, *, unique: bool = True, capacity: int = 4):
    p = problem(grid, unique)
    organizer = SudokuPlanner(p, capacity=capacity)
    return ForkJoinEngine(organizer, worker).run_sync(Task.of_problem(p))


class RecordingWorker(SudokuWorker):
    def __init__(self) -> None:
        super().__init__()
        self.queries: list[str] = []

    def stream(self, request):  # every query, whether the quick search or a thread answers it
        self.queries.append(request.query)
        return super().stream(request)


def test_the_planner_forks_the_most_constrained_cell_and_answers_non_unique():
    worker = RecordingWorker()
    result = run_engine(TWO, worker, capacity=1)
    assert worker.queries == ["branch r1c1=1", "branch r1c1=3"]
    assert result.verified and result.answer == "\n".join(TWO_SOLUTIONS)


def test_the_planner_answers_unique_only_when_every_branch_is_settled():
    one, three = TWO_SOLUTIONS
    # Branch 1 settled (unique within it); branch 2 gives only a bare grid: two grids -> not unique.
    assert combine(problem(TWO), [(((0, 1),), [f"{one} unique with r1c1=1"]), (((0, 3),), [three])]) == (
        f"{one}\n{three}"
    )
    # Every branch settled, one solution: unique.
    assert (
        combine(
            problem(TWO),
            [(((0, 1),), [f"{one} unique with r1c1=1"]), (((0, 3),), ["no solution with r1c1=3"])],
        )
        == f"{one} unique"
    )
    # A failed branch, or a claim about another branch, settles nothing.
    assert combine(problem(TWO), [(((0, 1),), [f"{one} unique with r1c1=1"]), (((0, 3),), None)]) is None
    assert (
        combine(
            problem(TWO),
            [(((0, 1),), [f"{one} unique with r1c1=1"]), (((0, 3),), ["no solution with r1c1=2"])],
        )
        is None
    )
    assert combine(problem(TWO, False), [(((0, 1),), [one]), (((0, 3),), None)]) == one
    assert (
        combine(
            problem(TWO), [(((0, 1),), ["no solution with r1c1=1"]), (((0, 3),), ["no solution with r1c1=3"])]
        )
        == "no solution"
    )


def test_a_wrong_branch_claim_is_redispatched_and_a_failed_branch_falls_back_to_solve():
    one, three = TWO_SOLUTIONS
    worker = ScriptedWorker(
        {
            1: [
                f"<RETURN>{one[1] + one[0] + one[2:]}</RETURN>",
                f"<RETURN>{one} unique with r1c1=1</RETURN>",
            ],
            2: ["<RETURN>no solution with r1c1=3</RETURN>"],  # false: refuted three times
            3: [f"<RETURN>{one}\n{three}</RETURN>"],
        }
    )
    result = run_engine(TWO, worker)
    forks = {r.fork_id for r in worker.requests}
    assert forks == {1, 2, 3}
    first = [r for r in worker.requests if r.fork_id == 1]
    assert [r.attempt for r in first] == [1, 2] and "rejected claim:" in first[1].feedback[0]
    assert [r.attempt for r in worker.requests if r.fork_id == 2] == [1, 2, 3]
    assert result.verified and result.answer == f"{one}\n{three}"


def test_a_lying_worker_cannot_get_a_false_answer_through():
    one, _ = TWO_SOLUTIONS
    organizer = ScriptedOrganizer([f"<ANSWER>{one} unique</ANSWER>"] * 3)
    result = ForkJoinEngine(organizer, ScriptedWorker({})).run_sync(Task.of_problem(problem(TWO)))
    assert not result.verified and result.status is Status.REFUTED


def test_solve_end_to_end_with_a_bundle_that_rechecks(tmp_path):
    result = solve({"domain": "sudoku", "grid": NORVIG}, out=tmp_path)
    assert result.verified and len(result.answers) == 2
    report = check_bundle(load_bundle(result.bundle))
    assert report.ok, report.to_json()
    data = load_bundle(result.bundle)
    data["answer"]["obligations"][0]["verdict"]["certificate"]["claim"] = result.answers[0] + " unique"
    data["answer"]["text"] = result.answers[0] + " unique"
    assert not check_bundle(data).ok
    unique = solve({"domain": "sudoku", "grid": PUZZLE}, out=False)
    assert unique.verified and unique.answers == [SOLUTION] and unique.run.answer == f"{SOLUTION} unique"


def test_sixteen_by_sixteen_end_to_end():
    full = pattern(16)
    grid = grid_text(tuple(0 if i % 4 == 1 else v for i, v in enumerate(full)))
    result = solve({"domain": "sudoku", "grid": grid}, out=False)
    assert result.verified and result.answers
    givens = parse_grid(grid)[1]
    assert all(rule_violation(parse_grid(a)[1], givens, 16) is None for a in result.answers)


# ---------------------------------------------------------------- prompts


def test_prompt_examples_are_proved_claims():
    for claim in re.findall(r"<RETURN>\n(.*?)\n</RETURN>", WORKER_PROMPT):
        assert check(claim, TWO).proved, claim
    example = re.search(r"<ANSWER>\n(.*?)\n</ANSWER>", ORGANIZER_PROMPT, re.S).group(1)
    assert answer(example, TWO).proved
    p = problem(TWO)
    text = DOMAIN.worker_prompt(p, "branch r1c1=1", ["attempt 1 was rejected: x"])
    assert "Sub-query: branch r1c1=1" in text and "rejected: attempt 1" in text and p.text in text
    assert p.text in DOMAIN.organizer_prompt(p)


# ---------------------------------------------------------------- reasoning-gym


def _question_only(entry: dict) -> dict:
    return {"question": entry["question"]}


@pytest.mark.parametrize("task", ["sudoku", "mini_sudoku"])
def test_reasoning_gym_items_score_one(task):
    reasoning_gym = pytest.importorskip("reasoning_gym")
    dataset = reasoning_gym.create_dataset(task, size=3, seed=7)
    for entry in dataset:
        p = DOMAIN.from_reasoning_gym(task, _question_only(entry))
        assert p.fields["grid"].replace(".", "0") == "".join(
            str(v) for row in entry["metadata"]["puzzle"] for v in row
        )
        result = solve(p, out=False)
        assert result.verified
        assert dataset.score_answer(DOMAIN.to_reasoning_gym(p, result.answers), entry) == 1.0


def test_reasoning_gym_questions_that_do_not_read():
    with pytest.raises(TaskError, match="no 9x9 grid"):
        DOMAIN.from_reasoning_gym("sudoku", {"question": "Solve this Sudoku puzzle:\n1 2 3\n"})
    with pytest.raises(TaskError, match="no 4x4 grid"):
        DOMAIN.from_reasoning_gym("mini_sudoku", {"question": "x" * 10_000_000})
    with pytest.raises(TaskError, match="question"):
        DOMAIN.from_reasoning_gym("sudoku", {"answer": SOLUTION})
    with pytest.raises(TaskError, match="not 'futoshiki'"):
        DOMAIN.from_reasoning_gym("futoshiki", {"question": PUZZLE})


@pytest.mark.slow
@pytest.mark.parametrize("task", ["sudoku", "mini_sudoku"])
def test_reasoning_gym_eval_sample(task):
    reasoning_gym = pytest.importorskip("reasoning_gym")
    dataset = reasoning_gym.create_dataset(task, size=20, seed=3)
    scores = []
    for entry in dataset:
        p = DOMAIN.from_reasoning_gym(task, _question_only(entry))
        result = solve(p, out=False)
        scores.append(dataset.score_answer(DOMAIN.to_reasoning_gym(p, result.answers), entry))
    assert scores == [1.0] * len(scores)


# ---------------------------------------------------------------- speed without less proof


def test_run_z3_makes_no_new_context_but_a_fresh_solver(monkeypatch):
    import z3

    made = []
    real = z3.Context

    def counting(*args, **kwargs):
        made.append(1)
        return real(*args, **kwargs)

    run_z3("(declare-const a Bool)\n(assert a)\n(check-sat)\n", 5.0)  # this thread's context exists
    monkeypatch.setattr(z3, "Context", counting)
    assert run_z3("(declare-const a Bool)\n(assert (not a))\n(check-sat)\n", 5.0) == "sat"
    # The solver is fresh: what an earlier script asserted does not carry over.
    assert run_z3("(declare-const a Bool)\n(assert a)\n(check-sat)\n", 5.0) == "sat"
    assert made == []


def test_an_answer_repeating_a_verified_claim_reuses_its_proof(monkeypatch):
    import reasoning.domains.grids._sudoku as sudoku

    # Every check here is also re-checked (the autouse fixture), which runs Z3 but does not
    # decide lines: `_decide_line` runs once per line proved, so its calls count the proofs made.
    calls = []
    decide = sudoku._decide_line
    monkeypatch.setattr(sudoku, "_decide_line", lambda *a, **k: calls.append(1) or decide(*a, **k))
    p = problem(PUZZLE)
    claim = DOMAIN.check_claim(p, f"{SOLUTION} unique", budget_s=10.0)
    final = DOMAIN.check_answer(p, f"{SOLUTION} unique", budget_s=10.0)
    assert claim.proved and final.proved and len(calls) == 1
    assert final.certificate["evidence"]["lines"][0] == claim.certificate["evidence"]
    ok, why = DOMAIN.recheck(problem(PUZZLE), final.certificate)
    assert ok, why
    # Another puzzle object proves it afresh.
    assert DOMAIN.check_answer(problem(PUZZLE), f"{SOLUTION} unique", budget_s=10.0).proved
    assert len(calls) == 2


def test_solve_on_a_nine_by_nine_forks_one_solve_and_proves_uniqueness_once(monkeypatch):
    import reasoning.domains.grids._sudoku as sudoku

    calls, proofs = [], []
    monkeypatch.setattr(sudoku, "search", lambda *a, **k: calls.append(1) or search(*a, **k))
    decide = sudoku._decide_line
    monkeypatch.setattr(sudoku, "_decide_line", lambda *a, **k: proofs.append(1) or decide(*a, **k))
    queries = []
    real = SudokuWorker._answer
    monkeypatch.setattr(
        SudokuWorker, "_answer", lambda self, p, q, *a, **k: queries.append(q) or real(self, p, q, *a, **k)
    )
    grid = "53.6..9.2...1.53.8..8...5.78....1.2..2...3....1.92.8...6.5..2.428.4.....3.5....7."
    assert most_constrained(parse_grid(grid)[1], 9) is not None  # propagation leaves a choice
    result = solve({"domain": "sudoku", "grid": grid}, out=False)
    assert result.verified and result.run.answer == f"{SOLUTION} unique"
    # the worker's search, then one proof (a deduction: a proved line needs no second search)
    assert queries == ["solve"] and len(calls) == 1 and len(proofs) == 1


def test_the_planner_branches_on_sixteen_by_sixteen():
    full = pattern(16)
    p = problem(grid_text(tuple(0 if i % 4 == 1 else v for i, v in enumerate(full))))
    assert DOMAIN.planner(p, capacity=4).branch and not DOMAIN.planner(problem(PUZZLE), capacity=4).branch


@given(valid_grids(sizes=(9,)), st.data())
@settings(max_examples=25, deadline=None)
def test_the_script_agrees_with_the_search_on_random_9x9_puzzles(grid, data):
    # The script's encoding (exactly one digit per blank cell, each missing digit at least once
    # per unit) must say sat/unsat exactly as the complete search does, with a branch cell too.
    _, full = grid
    blanks = data.draw(st.sets(st.integers(0, 80), min_size=40, max_size=70))
    givens = tuple(0 if i in blanks else v for i, v in enumerate(full))
    found = search(givens, 9, limit=2)
    assert found.complete
    unique = run_z3(smt_script(givens, 9, excluded=found.solutions[:1]), 5)
    assert unique == ("sat" if len(found.solutions) == 2 else "unsat")
    cell = data.draw(st.sampled_from(sorted(blanks)))
    digit = data.draw(st.integers(1, 9))
    branch = search(givens, 9, fixed={cell: digit}, limit=1)
    assert run_z3(smt_script(givens, 9, fixed={cell: digit}), 5) == ("sat" if branch.solutions else "unsat")


def _plain_grid_values(text: str) -> list[int] | None:
    """The one-character form read one character at a time (None for a bad character)."""
    values = []
    for ch in text:
        if ch.isspace():
            continue
        if ch in ".0_":
            values.append(0)
        elif ch.isascii() and ch.upper() in "123456789ABCDEFG":
            values.append("123456789ABCDEFG".index(ch.upper()) + 1)
        else:
            return None
    return values


@given(st.sampled_from([4, 9]), st.data())
@settings(max_examples=80)
def test_grid_reading_matches_a_plain_character_loop(n, data):
    # parse_grid reads the usual grid with one table look-up per cell; the result (or the
    # error) must be that of reading it character by character.
    cell = st.sampled_from(list("123456789.0_abcgAG") + ["h", "Z", "\u00e9", "\u0663"])
    cells = data.draw(st.lists(cell, min_size=n * n - 1, max_size=n * n + 1))
    text = "".join(c + data.draw(st.sampled_from(["", "", "", " ", "\n", "\t"])) for c in cells)
    expected = _plain_grid_values(text)
    try:
        side, grid = parse_grid(text, n)
    except GridError as exc:
        assert expected is None or len(expected) != n * n or any(v > n for v in expected), exc
        return
    assert side == n and list(grid) == expected


def test_grid_reading_names_the_bad_character():
    with pytest.raises(GridError, match=r"character 3 'x'"):
        parse_grid("12x4" + "." * 12)


def test_the_worker_answers_a_nine_by_nine_without_a_thread(monkeypatch):
    # Up to 9x9 the search first runs on the loop's thread with a small budget: a hop to a
    # thread costs more than the usual millisecond of search.
    import reasoning.domains.grids._sudoku as sudoku

    def no_thread(*args, **kwargs):
        raise AssertionError("the quick search should have answered")

    monkeypatch.setattr(sudoku.asyncio, "to_thread", no_thread)
    assert ask("solve", PUZZLE) == f"{SOLUTION} unique"


def test_the_worker_hands_a_long_search_to_a_thread(monkeypatch):
    # When the quick search runs out of its budget, the search starts again, in a thread,
    # with the worker's whole budget.
    import reasoning.domains.grids._sudoku as sudoku
    from reasoning.domains.grids._grid_search import SearchResult

    threads, budgets = [], []
    real_thread, real_search = sudoku.asyncio.to_thread, sudoku.search

    def search_that_needs_time(*args, budget_s, **kwargs):
        budgets.append(budget_s)
        if budget_s <= sudoku.QUICK_BUDGET_S:  # as a search whose clock ran out
            return SearchResult((), False, CLOCK_EVERY)
        return real_search(*args, budget_s=budget_s, **kwargs)

    monkeypatch.setattr(sudoku, "search", search_that_needs_time)
    monkeypatch.setattr(
        sudoku.asyncio, "to_thread", lambda *a, **k: threads.append(1) or real_thread(*a, **k)
    )
    assert ask("solve", PUZZLE) == f"{SOLUTION} unique"
    assert threads == [1] and budgets == [sudoku.QUICK_BUDGET_S, sudoku.WORKER_BUDGET_S]
