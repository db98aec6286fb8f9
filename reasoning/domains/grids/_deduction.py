"""Make a Sudoku deduction (the proof format of `_deduction_check`): forced placements (naked
and hidden singles), and a split on the cell with the fewest candidates where they stall.

The tree is the search that shows which solutions a puzzle has, written down step by step so
that `_deduction_check.deduction_leaves` can replay it without trusting this code. Most 9x9
puzzles need no split or one; `deduce` gives up (None) past `max_nodes` nodes, and the caller
then proves with Z3 instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from math import isqrt
from typing import Any

#: Most nodes `deduce` makes before it gives up.
MAX_NODES = 64


@cache
def _tables(n: int) -> tuple[tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]]:
    """(units in the order of `_deduction_check`: rows, columns, boxes; peers of each cell)."""
    b = isqrt(n)
    rows = [tuple(r * n + c for c in range(n)) for r in range(n)]
    cols = [tuple(r * n + c for r in range(n)) for c in range(n)]
    boxes = [
        tuple((br + i) * n + bc + j for i in range(b) for j in range(b))
        for br in range(0, n, b)
        for bc in range(0, n, b)
    ]
    units = tuple(rows + cols + boxes)
    peers = tuple(tuple(sorted({x for u in units if cell in u for x in u} - {cell})) for cell in range(n * n))
    return units, peers


class _GaveUp(Exception):
    pass


class _Deducer:
    def __init__(self, n: int, max_nodes: int) -> None:
        self.n = n
        self.units, self.peers = _tables(n)
        self.max_nodes = max_nodes
        self.nodes = 0

    def node(self, cells: list[int], cand: list[int]) -> dict[str, Any]:
        """Propagate from (cells, cand), then end the node; `cand` is 0 for filled cells."""
        self.nodes += 1
        if self.nodes > self.max_nodes:
            raise _GaveUp
        steps: list[list[Any]] = []
        end = self.propagate(cells, cand, steps)
        if end is not None:
            return {"steps": steps, "then": end}
        best, fewest = -1, self.n + 1
        for cell, m in enumerate(cand):
            if m:
                k = m.bit_count()
                if k < fewest:
                    best, fewest = cell, k
                    if k == 2:
                        break
        if best < 0:
            return {"steps": steps, "then": "solved"}
        branches = []
        m = cand[best]
        while m:
            bit = m & -m
            m ^= bit
            c2, k2 = cells[:], cand[:]
            self.place(c2, k2, best, bit, None)
            branches.append([bit.bit_length(), self.node(c2, k2)])
        return {"steps": steps, "then": ["split", best, branches]}

    def place(self, cells: list[int], cand: list[int], cell: int, bit: int, queue: list[int] | None) -> int:
        """Fill `cell` with `bit`; the first peer left with no candidate (or -1). Peers left with
        one candidate go on `queue`."""
        cells[cell] = bit.bit_length()
        cand[cell] = 0
        empty = -1
        for p in self.peers[cell]:
            m = cand[p]
            if m & bit:
                m ^= bit
                cand[p] = m
                if not m:
                    empty = p if empty < 0 else empty
                elif queue is not None and not m & (m - 1):
                    queue.append(p)
        return empty

    def propagate(self, cells: list[int], cand: list[int], steps: list[list[Any]]) -> Any:
        """Naked singles, then hidden singles, until neither applies; the contradiction ending
        the node, or None when it continues (solved or split)."""
        units, full = self.units, (1 << self.n) - 1
        for cell, v in enumerate(cells):
            if not v and not cand[cell]:
                return ["no-candidate", cell]
        queue = [cell for cell, m in enumerate(cand) if m and not m & (m - 1)]
        u = 0
        while True:
            while queue:
                cell = queue.pop()
                m = cand[cell]
                if not m:  # filled by an earlier step of this queue
                    continue
                steps.append([cell, m.bit_length(), "naked"])
                empty = self.place(cells, cand, cell, m, queue)
                if empty >= 0:
                    return ["no-candidate", empty]
            for k in range(len(units)):
                ui = (u + k) % len(units)
                unit = units[ui]
                held = once = twice = 0
                for x in unit:
                    m = cand[x]
                    if m:
                        twice |= once & m
                        once |= m
                    else:
                        held |= 1 << (cells[x] - 1)
                missing = full & ~held & ~once
                if missing:
                    return ["no-place", ui, (missing & -missing).bit_length()]
                only = once & ~twice
                if only:
                    bit = only & -only
                    cell = next(x for x in unit if cand[x] & bit)
                    steps.append([cell, bit.bit_length(), "hidden", ui])
                    empty = self.place(cells, cand, cell, bit, queue)
                    if empty >= 0:
                        return ["no-candidate", empty]
                    u = ui
                    break
            else:
                return None


def deduce(
    givens: Sequence[int], n: int, fixed: Mapping[int, int] | None = None, *, max_nodes: int = MAX_NODES
) -> dict[str, Any] | None:
    """A deduction for the n x n Sudoku `givens` with the cells of `fixed` set, or None when it
    would take more than `max_nodes` nodes or the givens (and `fixed`) clash."""
    if n not in (4, 9, 16) or len(givens) != n * n:
        return None
    units, peers = _tables(n)
    cells = list(givens)
    for cell, v in (fixed or {}).items():
        if cells[cell] and cells[cell] != v:
            return None
        cells[cell] = v
    full = (1 << n) - 1
    cand = [0] * (n * n)
    for cell in range(n * n):
        if cells[cell]:
            if any(cells[p] == cells[cell] for p in peers[cell]):
                return None  # clashing givens: Z3 proves `no solution` for those
            continue
        held = 0
        for p in peers[cell]:
            if cells[p]:
                held |= 1 << (cells[p] - 1)
        cand[cell] = full & ~held
    try:
        return _Deducer(n, max_nodes).node(cells, cand)
    except _GaveUp:
        return None
