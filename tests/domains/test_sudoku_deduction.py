"""Sudoku deductions: the proof made without Z3 (`_deduction`) and its independent replay
(`_deduction_check`), in the domain's checks, its recheck, `proofs.check` and sealed bundles."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from proofs.check import check_certificate
from reasoning.domains import get
from reasoning.domains.grids._deduction import deduce
from reasoning.domains.grids._deduction_check import MAX_NODES as REPLAY_MAX_NODES
from reasoning.domains.grids._deduction_check import DeductionError, deduction_leaves
from reasoning.domains.grids._grid_search import grid_text, search
from reasoning.domains.grids._sudoku import parse_grid
from reasoning.engine._bundle import check_bundle, load_bundle
from reasoning.engine._solve import solve

DOMAIN = get("sudoku")
# One solution; propagation alone does not finish it (the deduction splits).
SPLIT = "53.6..9.2...1.53.8..8...5.78....1.2..2...3....1.92.8...6.5..2.428.4.....3.5....7."
# One solution, forced by singles alone.
SINGLES = "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79"
SOLUTION = "534678912672195348198342567859761423426853791713924856961537284287419635345286179"
TWO = ".....4..2..34.2."  # 4x4, two solutions


def grid(text: str) -> tuple[int, ...]:
    return parse_grid(text)[1]


def all_solutions(givens, n, fixed=None):
    found = search(givens, n, fixed=fixed, limit=10_000, budget_s=30.0)
    assert found.complete
    return sorted(found.solutions)


def pattern(n: int) -> tuple[int, ...]:
    b = {4: 2, 9: 3, 16: 4}[n]
    return tuple((b * (r % b) + r // b + c) % n + 1 for r in range(n) for c in range(n))


@st.composite
def puzzles(draw, sizes=(4, 9), min_blank=0.3, max_blank=0.62):
    """A valid full grid (a pattern with digits, rows in a band and bands permuted), then blanks."""
    n = draw(st.sampled_from(sizes))
    b = {4: 2, 9: 3}[n]
    digits = draw(st.permutations(range(1, n + 1)))
    bands = draw(st.permutations(range(b)))
    rows = [band * b + r for band in bands for r in draw(st.permutations(range(b)))]
    base = pattern(n)
    full = [digits[base[rows[r] * n + c] - 1] for r in range(n) for c in range(n)]
    k = draw(st.integers(int(min_blank * n * n), int(max_blank * n * n)))
    blanks = draw(st.sets(st.integers(0, n * n - 1), min_size=k, max_size=k))
    return n, tuple(0 if i in blanks else v for i, v in enumerate(full))


# ---------------------------------------------------------------- the replay agrees with search


def test_singles_and_split_puzzles_deduce_to_their_one_solution():
    for text in (SINGLES, SPLIT):
        tree = deduce(grid(text), 9)
        assert tree is not None
        assert deduction_leaves(grid(text), 9, {}, tree) == [grid(SOLUTION)]
    assert deduce(grid(SINGLES), 9)["then"] == "solved"
    assert deduce(grid(SPLIT), 9)["then"][0] == "split"


@given(puzzles())
@settings(max_examples=60, deadline=None)
def test_the_leaves_of_a_deduction_are_exactly_the_solutions(case):
    n, givens = case
    # A deduction larger than the replay reads is refused by it (DeductionError: an unknown), so
    # the property is about deductions within the replay's limit (10_000 here drew one of 4_097).
    tree = deduce(givens, n, max_nodes=REPLAY_MAX_NODES)
    assume(tree is not None)
    assert sorted(deduction_leaves(givens, n, {}, json.loads(json.dumps(tree)))) == all_solutions(givens, n)


def test_branch_cells_and_contradictions():
    two = grid(TWO)
    one = deduce(two, 4, {0: 1})
    assert deduction_leaves(two, 4, {0: 1}, one) == [grid("1234341221434321")]
    stuck = grid("12....3." + "." * 8)  # r1c3/r1c4 must be 4/3, but r2c3 is 3
    none = deduce(stuck, 4)
    assert none is not None and deduction_leaves(stuck, 4, {}, none) == []
    assert deduce(grid("11" + "." * 14), 4) is None  # clashing givens: left to Z3
    assert deduce(two, 4, {5: 1}) is None  # r2c2 is given 4
    with pytest.raises(DeductionError):
        deduction_leaves(grid("11" + "." * 14), 4, {}, {"steps": [], "then": ["no-candidate", 2]})


def test_deduce_gives_up_past_its_node_budget():
    empty = (0,) * 16
    assert deduce(empty, 4, max_nodes=3) is None
    assert len(deduction_leaves(empty, 4, {}, deduce(empty, 4, max_nodes=1000))) == 288


# ---------------------------------------------------------------- tampering


def _steps(tree):
    """Every (node, index) of a step in the tree."""
    out, todo = [], [tree]
    while todo:
        node = todo.pop()
        out += [(node, i) for i in range(len(node["steps"]))]
        if isinstance(node["then"], list) and node["then"][0] == "split":
            todo += [child for _, child in node["then"][2]]
    return out


def _rejected(givens, n, tree) -> bool:
    try:
        deduction_leaves(givens, n, {}, tree)
    except DeductionError:
        return True
    return False


MUTATIONS = ("digit", "cell", "drop", "rule", "unit", "to_front", "swap")


@given(puzzles(sizes=(9,), min_blank=0.45, max_blank=0.6), st.sampled_from(MUTATIONS), st.data())
@settings(max_examples=70, deadline=None)
def test_a_tampered_deduction_never_proves_something_false(case, mutation, data):
    """Changing one step's digit, cell or rule, moving its unit off the cell, or dropping it,
    always fails the replay. A reordering may still be a valid deduction (two independent steps
    swapped); then it must prove the truth."""
    n, givens = case
    tree = deduce(givens, n, max_nodes=10_000)
    sites = _steps(tree)
    if not sites:
        return
    forged = copy.deepcopy(tree)
    node, i = data.draw(st.sampled_from(_steps(forged)))
    step = node["steps"][i]
    must_fail = True
    if mutation == "digit":
        step[1] = data.draw(st.sampled_from([d for d in range(1, n + 1) if d != step[1]]))
    elif mutation == "cell":
        step[0] = data.draw(st.sampled_from([c for c in range(n * n) if c != step[0]]))
    elif mutation == "drop":
        del node["steps"][i]
    elif mutation == "rule":  # only the rule's name: the fields no longer fit it
        step[2] = "hidden" if step[2] == "naked" else "naked"
    elif mutation == "unit":  # a unit that does not hold the cell
        r, c = divmod(step[0], n)
        box = (r // 3) * 3 + c // 3
        others = [u for u in range(3 * n) if u not in (r, n + c, 2 * n + box)]
        if len(step) == 4:
            step[3] = data.draw(st.sampled_from(others))
        else:
            step[2:] = ["hidden", data.draw(st.sampled_from(others))]
    elif mutation == "to_front":
        must_fail = False
        node["steps"].insert(0, node["steps"].pop(i))
    else:
        must_fail = False
        j = data.draw(st.integers(0, len(node["steps"]) - 1))
        node["steps"][i], node["steps"][j] = node["steps"][j], node["steps"][i]
    if must_fail:
        assert _rejected(givens, n, forged), mutation
    elif not _rejected(givens, n, forged):
        assert sorted(deduction_leaves(givens, n, {}, forged)) == all_solutions(givens, n)


def test_reordering_a_dependent_step_is_rejected():
    tree = deduce(grid(SINGLES), 9)
    forged = copy.deepcopy(tree)
    forged["steps"].insert(0, forged["steps"].pop())  # the last forced digit first
    assert _rejected(grid(SINGLES), 9, forged)


@given(puzzles(sizes=(4, 9), min_blank=0.5, max_blank=0.6), st.data())
@settings(max_examples=40, deadline=None)
def test_a_forged_trace_cannot_prove_a_false_uniqueness(case, data):
    """Fill the cells of one solution in a random order with made-up rules: the replay accepts
    only when that really is the only solution."""
    n, givens = case
    solution = all_solutions(givens, n)[0]
    blanks = data.draw(st.permutations([c for c in range(n * n) if not givens[c]]))
    steps = []
    for cell in blanks:
        r, c = divmod(cell, n)
        b = {4: 2, 9: 3}[n]
        units = [r, n + c, 2 * n + (r // b) * b + c // b]
        steps.append(
            data.draw(
                st.sampled_from(
                    [[cell, solution[cell], "naked"]] + [[cell, solution[cell], "hidden", u] for u in units]
                )
            )
        )
    try:
        leaves = deduction_leaves(givens, n, {}, {"steps": steps, "then": "solved"})
    except DeductionError:
        return
    assert leaves == [solution] == all_solutions(givens, n)


@pytest.mark.parametrize(
    "then",
    [
        ["split", 2, [[1, {"steps": [], "then": ["no-candidate", 3]}]]],  # misses a candidate
        ["split", 2, [[1, {"steps": [], "then": "solved"}], [2, {"steps": [], "then": "solved"}]]],
        ["no-candidate", 2],  # r1c1 still has candidates
        ["no-place", 0, 1],  # 1 has places in row 1
        ["no-place", 0, 4],  # row 1 holds 4
        ["explode", 2],
        "solved",  # cells are empty
    ],
)
def test_malformed_or_false_endings_are_rejected(then):
    with pytest.raises(DeductionError):
        deduction_leaves(grid(TWO), 4, {}, {"steps": [], "then": then})


@pytest.mark.parametrize(
    "step",
    [
        [0, 1, "naked", 0],
        [0, 1, "hidden"],
        [0, True, "naked"],
        [0.0, 1, "naked"],
        [99, 1, "naked"],
        [0, 1, "guess"],
        "r1c1=1",
    ],
)
def test_malformed_steps_are_rejected(step):
    with pytest.raises(DeductionError):
        deduction_leaves(grid(TWO), 4, {}, {"steps": [step], "then": "solved"})


# ---------------------------------------------------------------- where certificates are re-checked


def _mutate_first_digit(data) -> int:
    """Change the first step's digit of every deduction in a JSON tree; how many were changed."""
    count = 0
    if isinstance(data, dict):
        if "deduction" in data and data["deduction"]["steps"]:
            step = data["deduction"]["steps"][0]
            step[1] = step[1] % 9 + 1
            count += 1
        for value in data.values():
            count += _mutate_first_digit(value)
    elif isinstance(data, list):
        for value in data:
            count += _mutate_first_digit(value)
    return count


def test_the_certificate_rechecks_through_proofs_check_and_fails_when_tampered():
    p = DOMAIN.parse({"grid": SPLIT})
    result = DOMAIN.check_answer(p, f"{SOLUTION} unique", budget_s=10.0)
    cert = result.certificate
    assert result.proved and "deduction" in cert["evidence"]["lines"][0]
    assert check_certificate(copy.deepcopy(cert)).ok
    forged = copy.deepcopy(cert)
    assert _mutate_first_digit(forged) == 1
    assert not check_certificate(forged).ok
    assert not DOMAIN.recheck(DOMAIN.parse(forged["task"]), forged)[0]


def test_a_bundle_with_a_tampered_deduction_fails(tmp_path):
    result = solve({"domain": "sudoku", "grid": SPLIT}, out=tmp_path)
    assert result.verified and result.run.answer == f"{SOLUTION} unique"
    data = load_bundle(result.bundle)
    assert check_bundle(copy.deepcopy(data)).ok
    assert _mutate_first_digit(data) >= 1
    assert not check_bundle(data).ok


def test_futoshiki_never_takes_a_sudoku_deduction():
    # A Latin square has no boxes: this grid has one solution as a Sudoku but two as a Latin
    # square, so its Sudoku deduction slipped into a futoshiki certificate must not pass.
    mini = ".2.43......34.2."
    sudoku_solution = all_solutions(grid(mini), 4)
    assert len(sudoku_solution) == 1
    futoshiki = get("futoshiki")
    p = futoshiki.parse({"grid": mini, "constraints": [], "unique": True})
    claim = f"{grid_text(sudoku_solution[0])} unique"
    refuted = futoshiki.check_claim(p, claim, budget_s=10.0)
    assert refuted.status.value == "refuted" and "deduction" not in refuted.certificate["evidence"]
    forged = copy.deepcopy(refuted.certificate)
    forged["holds"] = True
    forged["evidence"] = {"kind": "unique", "deduction": deduce(grid(mini), 4)}
    assert deduction_leaves(grid(mini), 4, {}, forged["evidence"]["deduction"]) == sudoku_solution
    assert not futoshiki.recheck(p, forged)[0]
    assert not check_certificate(forged).ok
