"""Futoshiki (2x2 to 9x9): reasoning-gym's `futoshiki`.

The task: `{"domain": "futoshiki", "grid": "....2....4..4...", "constraints": ["r2c4<r2c3"],
"unique": true}`. Every row and every column holds 1..n once each, the given digits stay, and
every inequality holds.

`grid` is read as in the sudoku domain (one character per cell, `.`, `0` or `_` for a blank,
whitespace ignored; or comma-separated numbers), with n*n cells for n from 2 to 9.
`constraints` lists inequalities between two cells, `r2c4<r2c3` or `r2c3>r2c4` (rows and
columns from 1; any two cells, though reasoning-gym only relates neighbours); they are stored
as `a<b`, sorted. Malformed ones are a TaskError naming the entry. Givens or inequalities that
contradict each other are not an error: the answer `no solution` is then proved (unsat).

Claim lines, answers, certificates, the symbolic worker and the planner are the sudoku domain's
(`reasoning.domains.grids._sudoku.GridDomain`): `GRID`, `GRID unique`, `no solution`, optionally
`with r1c1=3`; the rules here are a Latin square plus the inequalities (`latin_geometry`), and
the rule check is `latin_violation`. reasoning-gym's answer is its own layout: the puzzle's
rows with the blanks filled, `<`/`>` between neighbours in a row and `∧`/`∨` (upper smaller /
upper larger) on the lines between rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reasoning.domains import FieldSpec, Problem, TaskError, register
from reasoning.domains._base import check_fields
from reasoning.domains.grids._grid_search import (
    Grid,
    cell_name,
    grid_text,
    latin_geometry,
    latin_square_violation,
)
from reasoning.domains.grids._sudoku import MAX_GRID_CHARS, GridDomain, GridError, Sudoku, parse_grid

#: Sides read: 2x2 to 9x9 (cells -> side).
SIDES = {n * n: n for n in range(2, 10)}
#: Most inequalities read from a task.
MAX_CONSTRAINTS = 400

_INEQUALITY = re.compile(r"\s*r(\d)\s*c(\d)\s*([<>])\s*r(\d)\s*c(\d)\s*\Z", re.IGNORECASE)
_UP, _DOWN = "\u2227", "\u2228"  # ∧: the upper cell is smaller; ∨: it is larger


def latin_violation(
    solution: Sequence[int],
    givens: Sequence[int],
    n: int,
    less: Sequence[tuple[int, int]],
    fixed: Mapping[int, int] | None = None,
) -> str | None:
    """Why `solution` breaks the rules (rows and columns hold 1..n once, givens kept, every
    a < b of `less`, the cells of `fixed` set), or None. Plain: no tables shared with the solver."""
    problem = latin_square_violation(solution, givens, n, fixed)
    if problem is not None:
        return problem
    for a, b in less:
        if not solution[a] < solution[b]:
            return f"{cell_name(n, a)} < {cell_name(n, b)} does not hold ({solution[a]} and {solution[b]})"
    return None


@dataclass(frozen=True)
class Futoshiki(Sudoku):
    """A parsed Futoshiki: a Latin square's geometry with its inequalities, and the givens."""

    def violation(self, grid: Sequence[int], fixed: Mapping[int, int] | None = None) -> str | None:
        return latin_violation(grid, self.givens, self.n, self.geo.less, fixed)


def parse_inequality(text: str, n: int) -> tuple[int, int]:
    """`r2c4<r2c3` or `r2c3>r2c4` -> (cell of the smaller, cell of the larger); GridError."""
    match = _INEQUALITY.match(text) if isinstance(text, str) and len(text) <= 100 else None
    if match is None:
        raise GridError(f"{str(text)[:40]!r} is not 'rRcC<rRcC' or 'rRcC>rRcC' (e.g. r1c2<r1c3)")
    r1, c1, op, r2, c2 = match.groups()
    rows_cols = [int(r1), int(c1), int(r2), int(c2)]
    if not all(1 <= x <= n for x in rows_cols):
        raise GridError(f"{text.strip()!r}: rows and columns run from 1 to {n}")
    a = (rows_cols[0] - 1) * n + rows_cols[1] - 1
    b = (rows_cols[2] - 1) * n + rows_cols[3] - 1
    if a == b:
        raise GridError(f"{text.strip()!r} relates a cell to itself")
    return (a, b) if op == "<" else (b, a)


def render(grid: Sequence[int], n: int, less: Sequence[tuple[int, int]]) -> str:
    """reasoning-gym's layout of a grid with its neighbour inequalities (blanks as `_`)."""
    smaller = set(less)

    def sign(a: int, b: int, lo: str, hi: str) -> str:
        return lo if (a, b) in smaller else hi if (b, a) in smaller else " "

    lines = []
    for r in range(n):
        parts = []
        for c in range(n):
            parts.append(str(grid[r * n + c]) if grid[r * n + c] else "_")
            if c < n - 1:
                parts.append(sign(r * n + c, r * n + c + 1, "<", ">"))
        lines.append(" ".join(parts))
        if r < n - 1:
            marks = [sign(r * n + c, (r + 1) * n + c, _UP, _DOWN) for c in range(n)]
            lines.append("   ".join(marks))
    return "\n".join(lines)


_HEADER = re.compile(r"Solve the following (\d)x(\d) Futoshiki puzzle:")


def read_question(question: str) -> tuple[int, Grid, list[tuple[int, int]]]:
    """(n, givens, inequalities) from a reasoning-gym futoshiki question; GridError says why not."""
    header = _HEADER.search(question[:2000])
    if header is None or header.group(1) != header.group(2):
        raise GridError("no 'Solve the following NxN Futoshiki puzzle:' line")
    n = int(header.group(1))
    lines = question[header.end() :].split("\n")[1:]
    while lines and not lines[0].strip():
        lines.pop(0)
    if len(lines) < 2 * n - 1:
        raise GridError(f"the puzzle needs {2 * n - 1} lines")
    cells: list[int] = []
    less: list[tuple[int, int]] = []
    for i, line in enumerate(lines[: 2 * n - 1]):
        r = i // 2
        for pos, ch in enumerate(line.rstrip()):
            if ch == " ":
                continue
            col, offset = divmod(pos, 4)
            if col >= n:
                raise GridError(f"line {i + 1} is wider than {n} cells")
            if i % 2 == 0 and offset == 0 and (ch == "_" or ch in "123456789"[:n]):
                cells.append(0 if ch == "_" else int(ch))
            elif i % 2 == 0 and offset == 2 and ch in "<>" and col < n - 1:
                a, b = r * n + col, r * n + col + 1
                less.append((a, b) if ch == "<" else (b, a))
            elif i % 2 == 1 and offset == 0 and ch in (_UP, _DOWN):
                a, b = r * n + col, (r + 1) * n + col
                less.append((a, b) if ch == _UP else (b, a))
            else:
                raise GridError(f"line {i + 1}, column {pos + 1}: unexpected {ch!r}")
        if i % 2 == 0 and len(cells) != (r + 1) * n:
            raise GridError(f"row {r + 1} does not have {n} cells")
    return n, tuple(cells), less


#: The example of the prompts (two solutions; r1c1 is 1 or 3). Tests check the examples.
EXAMPLE_GRID = "....2....4..4..."
EXAMPLE_CONSTRAINTS = ("r2c4<r2c3", "r2c4<r3c4", "r3c3<r3c4")

WORKER_PROMPT = f"""You solve one branch of a Futoshiki: every row and column holds 1..n once,
the given digits stay, and every inequality between two cells holds. Grids are written on one
line, row by row, one character per cell: 1-9, '.' for a blank.
Reply with claims, one per line, inside <RETURN>...</RETURN>; lines starting with # are notes:
  GRID                      GRID is a solution (no blanks)
  GRID unique with r1c1=1   GRID is a solution with r1c1=1 and no other solution has r1c1=1
  no solution with r1c1=2   no solution has r1c1=2
(rows and columns count from 1; leave out 'with ...' when the sub-query is 'solve'). Every claim
is checked: a wrong grid or a false 'no solution' is rejected and sent back to you.
Example. Task: 4x4 Futoshiki {EXAMPLE_GRID}, inequalities {", ".join(EXAMPLE_CONSTRAINTS)}.
Sub-query: branch r1c1=1
<RETURN>
1234234134124123 unique with r1c1=1
</RETURN>
Sub-query: branch r1c1=2
<RETURN>
no solution with r1c1=2
</RETURN>"""

ORGANIZER_PROMPT = f"""You organize the solving of a Futoshiki. Pick the blank cell with the fewest
possible digits and fork one sub-query per digit: <FORK-1>branch r1c1=1</FORK-1><FORK-2>branch r1c1=3</FORK-2>,
then <JOIN-1><JOIN-2>. Each worker returns verified claims: 'GRID unique with r1c1=1', 'GRID'
lines, or 'no solution with r1c1=3'. Answer with <ANSWER>...</ANSWER>: 'GRID unique' when one
branch has exactly one solution and every other branch has none; two different grids, one per
line, when there are two or more solutions; 'no solution' when every branch has none. Example:
for {EXAMPLE_GRID} with {", ".join(EXAMPLE_CONSTRAINTS)} the branches r1c1=1 and r1c1=3 each
give one grid, so the answer is
<ANSWER>
1234234134124123
3214234114234132
</ANSWER>"""


class FutoshikiDomain(GridDomain):
    """Futoshiki (see the module docstring)."""

    name = "futoshiki"
    summary = (
        "fill an n x n Futoshiki (Latin square with inequalities); prove the solution, uniqueness or none"
    )
    reasoning_gym = ("futoshiki",)
    worker_intro = WORKER_PROMPT
    organizer_intro = ORGANIZER_PROMPT
    fields = {
        "grid": FieldSpec(
            "str",
            "row-major cells: 1-9, '.', '0' or '_' for a blank; or comma-separated numbers",
            required=True,
        ),
        "constraints": FieldSpec(
            "strs", "inequalities between cells, e.g. r1c2<r1c3 or r2c1>r3c1", default=[]
        ),
        "unique": FieldSpec("bool", "also settle whether the solution is unique", default=True),
    }

    def parse(self, data: Mapping[str, Any]) -> Problem:
        fields = check_fields(self, data)
        try:
            n, givens = parse_grid(fields["grid"], sides=SIDES)
        except GridError as exc:
            raise TaskError(f"grid: {exc}") from exc
        raw = fields["constraints"]
        if len(raw) > MAX_CONSTRAINTS:
            raise TaskError(f"constraints: {len(raw)} inequalities; at most {MAX_CONSTRAINTS}")
        less = set()
        for i, text in enumerate(raw, 1):
            try:
                less.add(parse_inequality(text, n))
            except GridError as exc:
                raise TaskError(f"constraints: entry {i}: {exc}") from exc
        ordered = tuple(sorted(less))
        canonical = {
            "grid": grid_text(givens),
            "constraints": [f"{cell_name(n, a)}<{cell_name(n, b)}" for a, b in ordered],
            "unique": fields["unique"],
        }
        puzzle = Futoshiki(latin_geometry(n, ordered), givens)
        return Problem(self.name, canonical, _statement(puzzle, canonical), puzzle)

    def from_reasoning_gym(self, task_name: str, entry: Mapping[str, Any]) -> Problem:
        """The puzzle from the question text (its grid and the signs between cells) alone."""
        if task_name not in self.reasoning_gym:
            raise TaskError(f"the futoshiki domain reads futoshiki, not {task_name!r}")
        question = entry.get("question") if isinstance(entry, Mapping) else None
        if not isinstance(question, str):
            raise TaskError("question: a reasoning-gym entry has a question string")
        try:
            n, givens, less = read_question(question[: MAX_GRID_CHARS * 4])
        except GridError as exc:
            raise TaskError(f"question: {exc}") from exc
        constraints = [f"{cell_name(n, a)}<{cell_name(n, b)}" for a, b in less]
        return self.parse({"grid": grid_text(givens), "constraints": constraints})

    def to_reasoning_gym(self, problem: Problem, answers: Sequence[str]) -> str:
        """The first grid in reasoning-gym's layout, with the puzzle's inequality signs."""
        if not answers:
            return ""
        puzzle: Futoshiki = problem.data
        try:
            n, grid = parse_grid(answers[0], puzzle.n)
        except GridError:
            return answers[0]
        return render(grid, n, puzzle.geo.less)


def _statement(puzzle: Futoshiki, fields: Mapping[str, Any]) -> str:
    n = puzzle.n
    ask = " Say whether the solution is unique." if fields["unique"] else ""
    inequalities = ", ".join(fields["constraints"]) or "none"
    return (
        f"Fill in this {n}x{n} Futoshiki so that every row and every column holds each of 1-{n} "
        f"exactly once, keeping the given digits, and every inequality holds.{ask}\n"
        f"Grid (. is a blank): {fields['grid']}\nInequalities: {inequalities}\n"
        f"{render(puzzle.givens, n, puzzle.geo.less)}"
    )


register(FutoshikiDomain())
