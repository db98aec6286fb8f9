"""Re-check a Sudoku deduction: a proof, without Z3, of what solutions a puzzle can have.

A deduction is a tree. Each node lists forced placements (steps), then ends in one of:

- `"solved"`: every cell is filled; that grid is the only solution this node allows;
- `["no-candidate", cell]`: an empty cell whose row, column and box already hold every digit;
- `["no-place", unit, digit]`: a digit missing from a unit that no empty cell of the unit can take;
- `["split", cell, [[digit, node], ...]]`: one branch per candidate of an empty cell (exactly
  the digits its row, column and box do not hold yet), each branch with that digit placed.

A step is `[cell, digit, "naked"]` (the digit is the cell's only candidate) or
`[cell, digit, "hidden", unit]` (the cell is the only one of `unit` that can take the digit, which
is also a candidate of the cell). Cells are row-major from 0; units are the rows 0..n-1, then the
columns n..2n-1, then the boxes 2n..3n-1, left to right and top to bottom.

Why it proves: every solution keeping the givens (and the branch cells) keeps each step (a unit
holds every digit once, so an only candidate or an only place is forced), takes one of a split's
branches, and reaches no contradiction node. So the solutions are among the `solved` leaves:
none when there is no leaf (`no solution`), the one grid when it is the only leaf (`unique`).
A step that is not forced, a split that misses a candidate, a contradiction that is not one, a
node that stops early, or any field out of shape rejects the whole deduction.

Written plainly with its own unit masks and no tables shared with the solver that produces
deductions (`reasoning.domains.grids._deduction`), so a bug there cannot certify itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import isqrt
from typing import Any

#: Most nodes and most steps in one deduction (a bound on the work of re-checking it).
MAX_NODES = 4_096
MAX_STEPS = 200_000


class DeductionError(ValueError):
    """Why a deduction does not re-check."""


class _Board:
    """A partly filled grid and, per unit, the bitmask of the digits it holds."""

    def __init__(self, n: int) -> None:
        b = isqrt(n)
        self.n, self.b, self.full = n, b, (1 << n) - 1
        self.cells = [0] * (n * n)
        self.rows = [0] * n
        self.cols = [0] * n
        self.boxes = [0] * n

    def copy(self) -> _Board:
        other = _Board.__new__(_Board)
        other.n, other.b, other.full = self.n, self.b, self.full
        other.cells, other.rows, other.cols, other.boxes = (
            self.cells[:],
            self.rows[:],
            self.cols[:],
            self.boxes[:],
        )
        return other

    def box(self, cell: int) -> int:
        r, c = divmod(cell, self.n)
        return (r // self.b) * self.b + c // self.b

    def candidates(self, cell: int) -> int:
        """The digits (bitmask) an empty cell can still take: none its row, column or box holds."""
        r, c = divmod(cell, self.n)
        return self.full & ~(self.rows[r] | self.cols[c] | self.boxes[self.box(cell)])

    def put(self, cell: int, digit: int) -> None:
        r, c = divmod(cell, self.n)
        bit = 1 << (digit - 1)
        self.cells[cell] = digit
        self.rows[r] |= bit
        self.cols[c] |= bit
        self.boxes[self.box(cell)] |= bit

    def unit(self, u: int) -> tuple[int, list[int]]:
        """(the digits unit `u` holds, its cells)."""
        n, b = self.n, self.b
        if u < n:
            return self.rows[u], [u * n + c for c in range(n)]
        if u < 2 * n:
            c = u - n
            return self.cols[c], [r * n + c for r in range(n)]
        k = u - 2 * n
        br, bc = (k // b) * b, (k % b) * b
        return self.boxes[k], [(br + i) * n + bc + j for i in range(b) for j in range(b)]


def _int(value: Any, low: int, high: int, what: str) -> int:
    if type(value) is not int or not low <= value <= high:
        raise DeductionError(f"{what} is {value!r}, not a whole number {low}-{high}")
    return value


def _only_place(board: _Board, u: int, cell: int | None, bit: int) -> None:
    """No empty cell of unit `u` other than `cell` can take the digit `bit`, which `u` lacks."""
    held, cells = board.unit(u)
    if held & bit:
        raise DeductionError(f"unit {u} already holds that digit")
    for x in cells:
        if x != cell and not board.cells[x] and board.candidates(x) & bit:
            raise DeductionError(f"cell {x} of unit {u} can take that digit too")


class _Replay:
    def __init__(self) -> None:
        self.nodes = 0
        self.steps = 0
        self.leaves: list[tuple[int, ...]] = []

    def node(self, board: _Board, node: Any) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise DeductionError(f"more than {MAX_NODES} nodes")
        if not isinstance(node, Mapping) or set(node) != {"steps", "then"}:
            raise DeductionError("a node is {'steps': [...], 'then': ...}")
        steps, then = node["steps"], node["then"]
        if not isinstance(steps, list):
            raise DeductionError("a node's steps are a list")
        n = board.n
        for k, step in enumerate(steps):
            self.steps += 1
            if self.steps > MAX_STEPS:
                raise DeductionError(f"more than {MAX_STEPS} steps")
            self.step(board, step, k)
        if then == "solved":
            if not all(board.cells):
                raise DeductionError("a node ends 'solved' with empty cells")
            self.leaves.append(tuple(board.cells))
            return
        if not isinstance(then, list) or not then:
            raise DeductionError(f"a node ends 'solved', 'no-candidate', 'no-place' or 'split', not {then!r}")
        kind = then[0]
        if kind == "no-candidate" and len(then) == 2:
            cell = _int(then[1], 0, n * n - 1, "the cell")
            if board.cells[cell] or board.candidates(cell):
                raise DeductionError(f"cell {cell} is filled or still has a candidate")
        elif kind == "no-place" and len(then) == 3:
            u = _int(then[1], 0, 3 * n - 1, "the unit")
            bit = 1 << (_int(then[2], 1, n, "the digit") - 1)
            _only_place(board, u, None, bit)
        elif kind == "split" and len(then) == 3 and isinstance(then[2], list):
            cell = _int(then[1], 0, n * n - 1, "the cell")
            if board.cells[cell]:
                raise DeductionError(f"split on the filled cell {cell}")
            branches = then[2]
            digits = [
                _int(b[0], 1, n, "a branch digit") if isinstance(b, list) and len(b) == 2 else -1
                for b in branches
            ]
            want = [d for d in range(1, n + 1) if board.candidates(cell) >> (d - 1) & 1]
            if sorted(digits) != want:
                raise DeductionError(
                    f"the split on cell {cell} has branches {digits}, not its candidates {want}"
                )
            for digit, child in branches:
                below = board.copy()
                below.put(cell, digit)
                self.node(below, child)
        else:
            raise DeductionError(f"a node ends 'solved', 'no-candidate', 'no-place' or 'split', not {then!r}")

    def step(self, board: _Board, step: Any, k: int) -> None:
        n = board.n
        if not isinstance(step, list) or len(step) not in (3, 4):
            raise DeductionError(f"step {k} is [cell, digit, 'naked'] or [cell, digit, 'hidden', unit]")
        cell = _int(step[0], 0, n * n - 1, f"step {k}'s cell")
        digit = _int(step[1], 1, n, f"step {k}'s digit")
        bit = 1 << (digit - 1)
        if board.cells[cell]:
            raise DeductionError(f"step {k} fills cell {cell}, which is filled")
        cand = board.candidates(cell)
        if not cand & bit:
            raise DeductionError(f"step {k}: {digit} is not a candidate of cell {cell}")
        rule = step[2]
        if rule == "naked" and len(step) == 3:
            if cand != bit:
                raise DeductionError(f"step {k}: cell {cell} has other candidates than {digit}")
        elif rule == "hidden" and len(step) == 4:
            u = _int(step[3], 0, 3 * n - 1, f"step {k}'s unit")
            if cell not in board.unit(u)[1]:
                raise DeductionError(f"step {k}: cell {cell} is not in unit {u}")
            _only_place(board, u, cell, bit)
        else:
            raise DeductionError(f"step {k}: the rule is 'naked' (3 fields) or 'hidden' (4 fields)")
        board.put(cell, digit)


def deduction_leaves(
    givens: Sequence[int], n: int, fixed: Mapping[int, int], deduction: Any
) -> list[tuple[int, ...]]:
    """The `solved` leaves of a deduction for the n x n Sudoku `givens` with the cells of `fixed`
    set: every solution is one of them. DeductionError says why the deduction does not check
    (also for givens that clash or a `fixed` cell that contradicts them: deductions are made
    only for puzzles without)."""
    if n not in (4, 9, 16) or len(givens) != n * n:
        raise DeductionError(f"deductions are for 4x4, 9x9 and 16x16 Sudoku, not {len(givens)} cells")
    board = _Board(n)
    for cell, v in [*enumerate(givens), *sorted(fixed.items())]:
        if not v:
            continue
        if board.cells[cell]:
            if board.cells[cell] != v:
                raise DeductionError(f"cell {cell} is both {board.cells[cell]} and {v}")
            continue
        if not board.candidates(cell) >> (v - 1) & 1:
            raise DeductionError(f"the givens clash at cell {cell}")
        board.put(cell, v)
    replay = _Replay()
    replay.node(board, deduction)
    return replay.leaves
