"""Grid-puzzle machinery for `reasoning.domains.grids._sudoku` (and `futoshiki`): grids, a fast solver,
the Sudoku rule check, SMT-LIB.

A puzzle's rules are a `Geometry`: units (rows, columns and, for Sudoku, boxes) that each hold
1..n once, and inequalities between cells (Futoshiki). Three parts share nothing but the grid
representation (a tuple of n*n ints, row-major, 0 for a blank), so each can check the others:

- `search`: the solver. Candidates are bitmasks; placing a digit removes it from the cell's
  peers (naked singles cascade), every unit is scanned for digits with one place left (hidden
  singles), each inequality narrows both of its cells, and the search branches on a cell with
  the fewest candidates (or, when none has two, on a digit with two places left in a unit). It
  is complete: it finds up to `limit` solutions, or shows there are no (more) within its budget.
- `rule_violation`: the Sudoku rule check, written plainly with sets and no shared tables: every
  row, column and box holds 1..n once each and every given is kept. A solution claim is proved
  by it (Futoshiki has its own, in its module).
- `smt_script`: an SMT-LIB 2 script, a function of the puzzle (plus branch assignments and
  excluded grids) alone, that is satisfiable exactly when the puzzle has a solution meeting
  them. Its `unsat` in a fresh Z3 proves "no solution" and (with the found solution excluded)
  "unique". The recheck rebuilds the script from the task and re-solves it.

The encoding (one Boolean `rRcCvV` per blank cell and digit the givens allow there): a given
fixes its cell, so a digit given in one of a blank cell's units is not allowed in that cell
(no variable); each blank cell takes exactly one allowed digit (one clause, and one "not both"
per pair of its digits); each digit missing from a unit's givens sits in at least one blank
cell of that unit; for an inequality a < b, no digit of a goes with a digit of b that is not
larger (a given is a constant there). Givens that clash in a unit or break an inequality make
the script `(assert false)`. It is exact: a solution sets its digits' variables; a model gives
one digit per blank cell, and in each unit the blank cells take only digits missing from its
givens (no variable for the others), as many cells as missing digits, each of which is taken at
least once, so each exactly once (pigeonhole: the givens of a unit are distinct, else the script
is `(assert false)`). This is about half the clauses of "at most once per unit" pairs, so Z3
reads and solves a 9x9 uniqueness script in about half the time.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import combinations

import z3

from solvers.z3_context import thread_context

#: Side of the grid -> side of a box. 4x4, 9x9 and 16x16 grids.
BOX_SIDE = {4: 2, 9: 3, 16: 4}
#: Number of cells -> side of the grid.
SIDE_OF_CELLS = {n * n: n for n in BOX_SIDE}
#: Digits of the one-character form: 1-9, then A-G for 10-16; `.` is a blank.
DIGITS = "123456789ABCDEFG"
#: Nodes between two looks at the clock in `search`.
CLOCK_EVERY = 64

Grid = tuple[int, ...]


@dataclass(frozen=True)
class Geometry:
    """The rules of a grid puzzle whose units each hold 1..n once.

    Cells are numbered row-major from 0; units are rows, then columns, then (Sudoku) boxes.
    `less` lists (a, b) for each inequality "cell a < cell b" (Futoshiki); Sudoku has none.
    """

    n: int
    units: tuple[tuple[int, ...], ...]
    peers: tuple[tuple[int, ...], ...]
    full: int  # the bitmask of every digit 1..n (bit d-1 for digit d)
    less: tuple[tuple[int, int], ...] = ()


def _geometry(n: int, units: list[tuple[int, ...]], less: tuple[tuple[int, int], ...]) -> Geometry:
    peers = []
    for cell in range(n * n):
        around = {x for unit in units if cell in unit for x in unit}
        around.discard(cell)
        peers.append(tuple(sorted(around)))
    return Geometry(n, tuple(units), tuple(peers), (1 << n) - 1, less)


def _lines(n: int) -> list[tuple[int, ...]]:
    rows = [tuple(r * n + c for c in range(n)) for r in range(n)]
    return rows + [tuple(r * n + c for r in range(n)) for c in range(n)]


@cache
def geometry(n: int) -> Geometry:
    """Sudoku: the rows, columns and boxes of an n x n grid (n in BOX_SIDE)."""
    b = BOX_SIDE[n]
    boxes = [
        tuple((br + i) * n + bc + j for i in range(b) for j in range(b))
        for br in range(0, n, b)
        for bc in range(0, n, b)
    ]
    return _geometry(n, _lines(n) + boxes, ())


@cache
def latin_geometry(n: int, less: tuple[tuple[int, int], ...] = ()) -> Geometry:
    """A Latin square (Futoshiki): rows and columns, and the inequalities `less`."""
    return _geometry(n, _lines(n), tuple(less))


def _geo(shape: int | Geometry) -> Geometry:
    return shape if isinstance(shape, Geometry) else geometry(shape)


def cell_name(n: int, cell: int) -> str:
    """`r3c5` (1-based) for a cell index."""
    return f"r{cell // n + 1}c{cell % n + 1}"


def grid_text(grid: Sequence[int]) -> str:
    """The one-line, one-character-per-cell form: `53..7....6..195...`."""
    return "".join([DIGITS[v - 1] if v else "." for v in grid])


def grid_rows(grid: Sequence[int], n: int, *, blank: str = "_") -> str:
    """Rows of space-separated numbers, one row per line (reasoning-gym's form)."""
    return "\n".join(" ".join(str(v) if v else blank for v in grid[r * n : (r + 1) * n]) for r in range(n))


# ---------------------------------------------------------------- the solver


class _Contradiction(Exception):
    pass


@dataclass(frozen=True)
class SearchResult:
    """Solutions found (at most `limit`, in search order); `complete` is False when the budget
    ran out before the search space was exhausted or `limit` solutions were found."""

    solutions: tuple[Grid, ...]
    complete: bool
    nodes: int


def _place(cand: list[int], cell: int, bit: int, peers: Sequence[Sequence[int]]) -> None:
    """Set `cell` to `bit` and cascade naked singles; _Contradiction when a cell runs out."""
    if not cand[cell] & bit:
        raise _Contradiction
    cand[cell] = bit
    stack = [cell]
    while stack:
        x = stack.pop()
        b = cand[x]
        for p in peers[x]:
            m = cand[p]
            if m & b:
                m ^= b
                if not m:
                    raise _Contradiction
                cand[p] = m
                if not m & (m - 1):
                    stack.append(p)


def _hidden_singles(cand: list[int], geo: Geometry) -> None:
    """Place every digit that has one cell left in some unit, and narrow both sides of every
    inequality, until nothing changes."""
    units, peers, full = geo.units, geo.peers, geo.full
    changed = True
    while changed:
        changed = False
        for a, b in geo.less:
            ma, mb = cand[a], cand[b]
            na = ma & ((1 << (mb.bit_length() - 1)) - 1)  # a below b's largest digit
            nb = mb & ~((1 << (na & -na).bit_length()) - 1)  # b above a's smallest digit
            if not na or not nb:
                raise _Contradiction
            for cell, old, new in ((a, ma, na), (b, mb, nb)):
                if new != old:
                    changed = True
                    if new & (new - 1):
                        cand[cell] = new
                    else:
                        _place(cand, cell, new, peers)
        for unit in units:
            once = twice = 0
            for x in unit:
                m = cand[x]
                twice |= once & m
                once |= m
            if once != full:
                raise _Contradiction
            only = once & ~twice
            while only:
                bit = only & -only
                only ^= bit
                for x in unit:
                    if cand[x] & bit:
                        if cand[x] != bit:
                            _place(cand, x, bit, peers)
                            changed = True
                        break


def candidates(
    grid: Sequence[int], shape: int | Geometry, fixed: Mapping[int, int] | None = None
) -> list[int] | None:
    """Candidate bitmasks after placing the givens and `fixed` (cell -> digit) and propagating
    (naked and hidden singles, inequalities); None when that already shows there is no solution.

    `shape` is a Sudoku's side n, or the `Geometry` of other rules."""
    geo = _geo(shape)
    n = geo.n
    cand = [geo.full] * (n * n)
    try:
        for cell, v in enumerate(grid):
            if v:
                _place(cand, cell, 1 << (v - 1), geo.peers)
        for cell, v in (fixed or {}).items():
            _place(cand, cell, 1 << (v - 1), geo.peers)
        _hidden_singles(cand, geo)
    except _Contradiction:
        return None
    return cand


def search(
    grid: Sequence[int],
    shape: int | Geometry,
    *,
    fixed: Mapping[int, int] | None = None,
    limit: int = 1,
    budget_s: float = 10.0,
) -> SearchResult:
    """Up to `limit` solutions of the puzzle `grid` (0 = blank) with the cells of `fixed` set.

    Propagation (naked and hidden singles) at every node, branching on a cell with the fewest
    candidates. With `complete`, fewer than `limit` solutions means there are no more.
    `shape` is a Sudoku's side n, or the `Geometry` of other rules.
    """
    geo = _geo(shape)
    n, peers = geo.n, geo.peers
    deadline = time.perf_counter() + budget_s
    found: list[Grid] = []
    nodes = 0
    start = candidates(grid, geo, fixed)
    if start is None:
        return SearchResult((), True, 1)
    # Depth-first with an explicit stack of candidate lists (no recursion limit to hit).
    stack = [start]
    while stack:
        cand = stack.pop()
        nodes += 1
        if nodes % CLOCK_EVERY == 0 and time.perf_counter() > deadline:
            return SearchResult(tuple(found), False, nodes)
        best, fewest = -1, n + 1
        for cell, m in enumerate(cand):
            if m & (m - 1):
                k = m.bit_count()
                if k < fewest:
                    best, fewest = cell, k
                    if k == 2:
                        break
        if best < 0:
            found.append(tuple(m.bit_length() for m in cand))
            if len(found) >= limit:
                return SearchResult(tuple(found), True, nodes)
            continue
        # Branch on the cell's digits, or, when no cell has two candidates left, on the two
        # places left for some digit in some unit (as dancing links picks its column).
        moves = [(best, bit) for bit in _bits(cand[best])]
        if fewest > 2:
            pair = _digit_with_two_places(cand, geo)
            if pair is not None:
                moves = pair
        # Pushed in reverse, so the first move is explored first (a deterministic order).
        for cell, bit in reversed(moves):
            child = cand[:]
            try:
                _place(child, cell, bit, peers)
                _hidden_singles(child, geo)
            except _Contradiction:
                continue
            stack.append(child)
    return SearchResult(tuple(found), True, nodes)


def _bits(mask: int) -> list[int]:
    out = []
    while mask:
        bit = mask & -mask
        mask ^= bit
        out.append(bit)
    return out


def _digit_with_two_places(cand: list[int], geo: Geometry) -> list[tuple[int, int]] | None:
    """[(cell1, bit), (cell2, bit)] for the first digit with exactly two places in a unit."""
    for unit in geo.units:
        once = twice = thrice = 0
        for x in unit:
            m = cand[x]
            if m & (m - 1):  # placed digits have one place, never two
                thrice |= twice & m
                twice |= once & m
                once |= m
        two = twice & ~thrice
        if two:
            bit = two & -two
            return [(x, bit) for x in unit if cand[x] & bit]
    return None


def most_constrained(grid: Sequence[int], shape: int | Geometry) -> tuple[int, list[int]] | None:
    """(cell, its candidate digits) for a cell with the fewest candidates after propagation;
    None when propagation alone solves the puzzle or shows it has no solution."""
    n = _geo(shape).n
    cand = candidates(grid, shape)
    if cand is None:
        return None
    best, fewest = -1, n + 1
    for cell, m in enumerate(cand):
        if m & (m - 1) and m.bit_count() < fewest:
            best, fewest = cell, m.bit_count()
    if best < 0:
        return None
    return best, [d for d in range(1, n + 1) if cand[best] >> (d - 1) & 1]


# ---------------------------------------------------------------- the rule check


def latin_square_violation(
    solution: Sequence[int], givens: Sequence[int], n: int, fixed: Mapping[int, int] | None = None
) -> str | None:
    """Why `solution` is not a Latin square (rows and columns hold 1..n once) keeping `givens`
    and the cells of `fixed`, or None. Deliberately plain: no tables shared with the solver.
    Sudoku adds its boxes, Futoshiki its inequalities."""
    if len(solution) != n * n or len(givens) != n * n:
        return f"a {n}x{n} grid has {n * n} cells, got {len(solution)}"
    digits = set(range(1, n + 1))
    for i, v in enumerate(solution):
        if v not in digits:
            return f"{cell_name(n, i)} is {v or 'blank'}, not a digit 1-{n}"
    for i, g in enumerate(givens):
        if g and solution[i] != g:
            return f"{cell_name(n, i)} is {solution[i]}, but the puzzle gives {g}"
    for i, v in (fixed or {}).items():
        if solution[i] != v:
            return f"{cell_name(n, i)} is {solution[i]}, not {v}"
    for r in range(n):
        row = [solution[r * n + c] for c in range(n)]
        if set(row) != digits:
            return f"row {r + 1} does not hold 1-{n} once each ({_repeated(row)} repeats)"
    for c in range(n):
        col = [solution[r * n + c] for r in range(n)]
        if set(col) != digits:
            return f"column {c + 1} does not hold 1-{n} once each ({_repeated(col)} repeats)"
    return None


def rule_violation(
    solution: Sequence[int], givens: Sequence[int], n: int, fixed: Mapping[int, int] | None = None
) -> str | None:
    """Why `solution` is not a solution of the Sudoku `givens` with the cells of `fixed` set,
    or None when it is one."""
    problem = latin_square_violation(solution, givens, n, fixed)
    if problem is not None:
        return problem
    b, digits = BOX_SIDE[n], set(range(1, n + 1))
    for br in range(0, n, b):
        for bc in range(0, n, b):
            box = [solution[(br + i) * n + bc + j] for i in range(b) for j in range(b)]
            if set(box) != digits:
                where = f"rows {br + 1}-{br + b}, columns {bc + 1}-{bc + b}"
                return f"the box at {where} does not hold 1-{n} once each ({_repeated(box)} repeats)"
    return None


def _repeated(values: list[int]) -> int:
    seen: set[int] = set()
    for v in values:
        if v in seen:
            return v
        seen.add(v)
    return 0


def given_clash(givens: Sequence[int], shape: int | Geometry) -> str | None:
    """Two equal givens in one unit, or two givens that break an inequality (the puzzle then
    has no solution), or None."""
    geo = _geo(shape)
    n = geo.n
    for a, b in geo.less:
        if givens[a] and givens[b] and givens[a] >= givens[b]:
            return f"{cell_name(n, a)} < {cell_name(n, b)}, but they are given {givens[a]} and {givens[b]}"
    for unit in geo.units:
        seen: dict[int, int] = {}
        for cell in unit:
            v = givens[cell]
            if v and v in seen:
                return f"{cell_name(n, seen[v])} and {cell_name(n, cell)} are both given {v}"
            if v:
                seen[v] = cell
    return None


# ---------------------------------------------------------------- SMT-LIB


def _var(n: int, cell: int, v: int) -> str:
    return f"{cell_name(n, cell)}v{v}"


def smt_script(
    givens: Sequence[int],
    shape: int | Geometry,
    *,
    fixed: Mapping[int, int] | None = None,
    excluded: Iterable[Sequence[int]] = (),
) -> str:
    """The SMT-LIB 2 script (see the module docstring) that is `sat` exactly when the puzzle has
    a solution with the cells of `fixed` set and equal to none of the `excluded` grids.

    `shape` is a Sudoku's side n, or the `Geometry` of other rules (units and inequalities)."""
    geo = _geo(shape)
    n = geo.n
    lines = [f"; {n}x{n} grid: {grid_text(givens)}"]
    if geo.less:
        lines.append(
            "; inequalities: " + ", ".join(f"{cell_name(n, a)}<{cell_name(n, b)}" for a, b in geo.less)
        )
    lines.append("(set-logic QF_UF)")
    clash = given_clash(givens, geo)
    if clash is not None:
        lines += [f"; clashing givens: {clash}", "(assert false)", "(check-sat)"]
        return "\n".join(lines) + "\n"
    # (Built for speed: a cell's allowed digits from its peers, variable names made once.
    # The text is the same as a plain loop over units would give.)
    digits = range(1, n + 1)
    allowed: list[list[int]] = []
    names: list[dict[int, str]] = []
    for cell in range(n * n):
        if givens[cell]:
            allowed.append([])
            names.append({})
            continue
        seen = {givens[x] for x in geo.peers[cell]}
        mine = [v for v in digits if v not in seen]
        allowed.append(mine)
        name = cell_name(n, cell)
        names.append({v: f"{name}v{v}" for v in mine})
    lines += [f"(declare-const {name} Bool)" for mine in names for name in mine.values()]
    for mine in names:
        if mine:
            cell_vars = list(mine.values())
            lines.append(_or(cell_vars))  # at least one digit ...
            # ... and at most one
            lines += [f"(assert (not (and {p} {q})))" for p, q in combinations(cell_vars, 2)]
    for unit in geo.units:
        present = {givens[x] for x in unit}
        blank = [names[x] for x in unit if not givens[x]]
        for v in digits:
            if v not in present:  # each missing digit somewhere in the unit (then exactly once)
                lines.append(_or([mine[v] for mine in blank if v in mine]))
    for a, b in geo.less:
        # a < b: no digit of a with a digit of b that is not larger. Givens are constants.
        for va in [givens[a]] if givens[a] else allowed[a]:
            for vb in [givens[b]] if givens[b] else allowed[b]:
                if va < vb:
                    continue
                both = [_var(n, cell, v) for cell, v in ((a, va), (b, vb)) if not givens[cell]]
                lines.append(
                    f"(assert (not {both[0]}))"
                    if len(both) == 1
                    else f"(assert (not (and {both[0]} {both[1]})))"
                )
    for cell, v in sorted((fixed or {}).items()):
        if givens[cell]:
            lines.append(f"; {cell_name(n, cell)} = {v}: {'given' if givens[cell] == v else 'clashes'}")
            if givens[cell] != v:
                lines.append("(assert false)")
        elif v in allowed[cell]:
            lines.append(f"(assert {_var(n, cell, v)})")
        else:
            lines += [f"; {cell_name(n, cell)} = {v} is ruled out by a given", "(assert false)"]
    for grid in excluded:
        # Some blank cell differs. A grid that breaks a given, or has a digit with no variable,
        # differs from every solution already: nothing to assert.
        differs = []
        for cell in range(n * n):
            if givens[cell]:
                if grid[cell] != givens[cell]:
                    differs = []
                    break
                continue
            if grid[cell] not in allowed[cell]:
                differs = []
                break
            differs.append(f"(not {_var(n, cell, grid[cell])})")
        else:
            lines.append(f"; not {grid_text(grid)}")
            lines.append(_or(differs))
    lines.append("(check-sat)")
    return "\n".join(lines) + "\n"


def _or(lits: list[str]) -> str:
    if not lits:
        return "(assert false)"
    return f"(assert {lits[0]})" if len(lits) == 1 else f"(assert (or {' '.join(lits)}))"


def run_z3(script: str, budget_s: float) -> str:
    """'sat' | 'unsat' | 'unknown' from a fresh Z3 solver on `script`.

    The solver is new (it holds only the script's assertions); its context is this thread's
    reused one (`solvers.z3_context.thread_context`): making a Z3 context costs 10-20 ms, more
    than parsing and solving a 9x9 script, and a context holds declarations, not assertions.
    The scripts are propositional (Bool constants and clauses), so the solver is Z3's
    finite-domain (SAT) solver: a 9x9 uniqueness script takes about 4 ms there against 6 ms in
    the default solver."""

    solver = z3.SolverFor("QF_FD", ctx=thread_context())
    solver.set("timeout", max(1, int(budget_s * 1000)))
    try:
        solver.from_string(script)
    except z3.Z3Exception as exc:
        return f"unknown (z3 could not read the script: {exc})"
    return str(solver.check())
