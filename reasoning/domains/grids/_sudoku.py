"""Sudoku (4x4, 9x9, 16x16): reasoning-gym's `sudoku` and `mini_sudoku`.

The task: `{"domain": "sudoku", "grid": "53..7....6..195...", "unique": true}`.

`grid` is row-major. One character per cell (whitespace, such as line breaks between rows, is
ignored): `1`-`9`, then `A`-`G` for 10-16 (16x16 only); `.`, `0` or `_` for a blank. Or, when
the text has a comma, numbers separated by commas (and optional whitespace), `0` or `.` for a
blank: `5,3,0,0,7,...` (handy for 16x16). 16, 81 or 256 cells make a 4x4, 9x9 or 16x16 grid.
Wrong cell counts, other characters and digits above n are a TaskError naming the cell. Givens
that clash (two 5s in a row) are not an error: that puzzle has no solution, and the answer
`no solution` is proved with an unsat certificate like any other contradictory puzzle.

`unique` (default true) asks the answer to settle uniqueness too.

Claim and answer lines (one line each; grids in the one-character form, or comma form):

- `GRID` - GRID is a solution (every row, column and box holds 1..n once, givens kept);
- `GRID unique` - GRID is a solution and there is no other;
- `no solution` - the puzzle has no solution;
- any of these followed by `with r3c5=7, r1c2=4` (claims only): the same among the solutions
  that have those digits in those cells (row and column from 1): `no solution with r3c5=7`,
  `GRID unique with r3c5=7` (GRID has r3c5=7 and is the only solution that has).

A solution line is proved by the rule check alone. On plain Sudoku rules a `unique` or `no
solution` line is first proved by a deduction (`_deduction`): forced digits (a cell's only
candidate, a digit's only place in a unit) and, where those stall, a split over a cell's
candidates, down to the one solution or to contradictions; it counts only once the independent
replay (`_deduction_check`) accepts it, and the recheck replays it again (a deduction that does
not replay fails the recheck: no fallback). Otherwise (a split tree past 64 nodes, clashing
givens, Futoshiki's rules) the line is proved by an SMT-LIB script built from the task (plus the
branch cells and the excluded GRID) that a fresh Z3 finds `unsat` (`_grid_search.smt_script`,
solved by a new solver in the thread's reused Z3 context); the recheck rebuilds the script and
re-solves it. A refutation carries a witness (a
solution, or a second one) that the recheck rule-checks. A puzzle remembers the lines it has
settled: an answer line identical to a verified claim line (the planner's `GRID unique` after
the `solve` fork proved it) gets the same verdict and evidence without a second Z3 run.

The final answer is one or more of those lines without `with`: `GRID unique`; two or more
distinct grids (so the puzzle is not unique); `no solution`; or, when `unique` is false, a bare
`GRID`. With `unique` true a bare grid is `unknown` (true, but it leaves the question open).
`answers()` are the grids (or `no solution`); reasoning-gym gets the first grid as rows of
space-separated numbers.

The planner forks one `branch r3c5=7` sub-query per candidate digit of the cell with the fewest
candidates after propagation (`solve` when propagation alone settles the puzzle), joins them all
and answers: `GRID unique` when exactly one branch has a solution, proved the only one in its
branch, and every other branch is proved empty; the first two distinct grids when branches
found two; `no solution` when every branch is proved empty. When a branch fork failed it forks
one `solve` of the whole puzzle and answers with that (also when its answer was rejected).
`reasoning.solve` (`GridDomain.planner`) branches only from 16x16 (`BRANCH_FROM_SIDE`): up to 9x9
the whole search takes about a millisecond, so branches would only add Z3 proofs (one per
branch, then the answer's own); there it forks one `solve`, whose proved claim is the answer.

Sub-queries for the symbolic worker (`SudokuWorker`): `solve`, `solve with r3c5=7, ...` or
`branch r3c5=7, ...`. It searches for up to two solutions (one when uniqueness is not asked) and
returns `GRID unique [with ...]`, the two grids, or `no solution [with ...]`.

`GridDomain` (the checks, the worker, the planner) serves every puzzle whose rules are a
`Geometry` of units and inequalities with a plain rule check: the futoshiki domain reuses it.

Timing (bench/sudoku.py, 50 reasoning-gym 9x9 puzzles with 55-59 blanks): solve + rule check
+ certificate well under 5 ms median; the uniqueness deduction and its replay add well under a
millisecond (23 of the 50 need no split, the rest 3-31 nodes), where the Z3 script took about
3 ms on a quiet machine and several times that under load.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from proofs.verdict import Status
from reasoning.domains import Domain, DomainCheck, FieldSpec, Problem, TaskError, certificate, register
from reasoning.domains._base import certificate_shape, check_fields, feedback_lines
from reasoning.domains.common._query_grammars import sudoku_grammar
from reasoning.domains.grids._deduction import deduce
from reasoning.domains.grids._deduction_check import DeductionError, deduction_leaves
from reasoning.domains.grids._grid_search import (
    BOX_SIDE,
    DIGITS,
    SIDE_OF_CELLS,
    Geometry,
    Grid,
    cell_name,
    geometry,
    grid_rows,
    grid_text,
    most_constrained,
    rule_violation,
    run_z3,
    search,
    smt_script,
)
from reasoning.engine._planner import TurnPlanner, verified_claims
from reasoning.engine._workers import Chunk, Steps, WorkerRequest

#: Longest grid text read (a 16x16 grid in comma form with spaces fits easily).
MAX_GRID_CHARS = 4_000
#: Longest claim line or sub-query read.
MAX_LINE_CHARS = 5_000
#: Most lines read from a final answer.
MAX_ANSWER_LINES = 16
#: Smallest side for which `solve` forks branches (below it, one `solve` fork: see `GridDomain.planner`).
BRANCH_FROM_SIDE = 16
#: Seconds a symbolic worker searches one sub-query before giving up with a note.
WORKER_BUDGET_S = 20.0
#: Up to this side the worker first searches on the event loop's thread, for at most
#: `QUICK_BUDGET_S` seconds (the search looks at the clock every `CLOCK_EVERY` nodes, which
#: up to 9x9 take a few milliseconds at most), before it hands the search to a thread.
QUICK_SIDE = 9
QUICK_BUDGET_S = 0.002

_BLANKS = ".0_"
_COMMA_BLANKS = {".", "_", "0"}
#: Character -> cell value of the one-character form (digits, A-G either case, blanks).
_CHAR_VALUE = {
    **dict.fromkeys(_BLANKS, 0),
    **{ch: i + 1 for i, ch in enumerate(DIGITS)},
    **{ch.lower(): i + 1 for i, ch in enumerate(DIGITS) if ch.isalpha()},
}


class GridError(ValueError):
    """A grid text that cannot be read; the message names the character or cell."""


def parse_grid(
    text: str, n: int | None = None, *, sides: Mapping[int, int] = SIDE_OF_CELLS
) -> tuple[int, Grid]:
    """(n, cells) from a grid text (see the module docstring); GridError names the problem.

    With `n`, the grid must be n x n; else its number of cells must be a key of `sides` (cells
    -> side; Sudoku's 16, 81 and 256 by default).
    """
    if not isinstance(text, str):
        raise GridError(f"a grid is a string, got {type(text).__name__}")
    if len(text) > MAX_GRID_CHARS:
        raise GridError(f"{len(text)} characters; a grid has at most {MAX_GRID_CHARS}")
    if "," in text:
        tokens = [t for t in re.split(r"[,\s]+", text.strip()) if t]
        values = []
        for i, token in enumerate(tokens):
            if token in _COMMA_BLANKS:
                values.append(0)
            elif token.isascii() and token.isdigit() and len(token) <= 2:
                values.append(int(token))
            else:
                raise GridError(f"entry {i + 1} {token[:20]!r} is not a number 0-16 or a blank (. _ 0)")
    else:
        try:  # the usual case, one table look-up per cell; the loop below names a bad character
            values = [_CHAR_VALUE[ch] for ch in "".join(text.split())]
        except KeyError:
            values = []
        for i, ch in enumerate(text if not values else ""):
            if ch.isspace():
                continue
            if ch in _BLANKS:
                values.append(0)
            elif ch.upper() in DIGITS and ch.isascii():
                values.append(DIGITS.index(ch.upper()) + 1)
            else:
                raise GridError(
                    f"character {i + 1} {ch!r} is not a digit 1-9, a letter A-G (16x16) or a blank (. 0 _)"
                )
    if n is not None:
        if len(values) != n * n:
            raise GridError(f"{len(values)} cells; this puzzle is {n}x{n} ({n * n} cells)")
        side = n
    else:
        if len(values) not in sides:
            sizes = [f"{c} ({s}x{s})" for c, s in sorted(sides.items())]
            listed = ", ".join(sizes[:-1]) + f" or {sizes[-1]}" if len(sizes) > 1 else sizes[0]
            raise GridError(f"{len(values)} cells; a grid has {listed}")
        side = sides[len(values)]
    for cell, v in enumerate(values):
        if v > side:
            raise GridError(f"{cell_name(side, cell)} is {v}, more than {side} in a {side}x{side} grid")
    return side, tuple(values)


@dataclass(frozen=True)
class Sudoku:
    """A parsed puzzle: its rules (`geo`: units, inequalities) and the givens (0 = blank)."""

    geo: Geometry
    givens: Grid
    #: Lines already decided for this puzzle (`decide_line`): an answer that repeats a verified
    #: claim reuses its verdict and certificate rather than proving it again.
    decided: dict[SudokuLine, LineVerdict] = field(default_factory=dict, compare=False, repr=False)
    #: Lines already read (`read`): one run reads its answer line up to four times (the claim
    #: check, the planner, the answer check, `answers`), each a parse of a whole grid.
    lines: dict[str, SudokuLine] = field(default_factory=dict, compare=False, repr=False)

    @property
    def n(self) -> int:
        return self.geo.n

    def read(self, text: str) -> SudokuLine:
        """`parse_line(text, n)`, remembered (a GridError is raised again each time)."""
        line = self.lines.get(text)
        if line is None:
            line = parse_line(text, self.n)
            if len(self.lines) < MAX_DECIDED:
                self.lines[text] = line
        return line

    def violation(self, grid: Sequence[int], fixed: Mapping[int, int] | None = None) -> str | None:
        """Why `grid` is not a solution with the cells of `fixed` set (the plain rule check)."""
        return rule_violation(grid, self.givens, self.n, fixed)


# ---------------------------------------------------------------- claim lines


@dataclass(frozen=True)
class SudokuLine:
    """One claim or answer line: kind `solution`, `unique` or `none` (no solution)."""

    kind: str
    grid: Grid | None
    fixed: tuple[tuple[int, int], ...]  # (cell, digit) of the `with` part
    n: int

    @property
    def text(self) -> str:
        """The line in its canonical form."""
        head = "no solution" if self.grid is None else grid_text(self.grid)
        if self.kind == "unique":
            head += " unique"
        return head + (f" with {assignments_text(self.fixed, self.n)}" if self.fixed else "")


def assignments_text(fixed: Sequence[tuple[int, int]], n: int) -> str:
    return ", ".join(f"{cell_name(n, cell)}={v}" for cell, v in fixed)


_LINE = re.compile(
    r"\s*(?:(?P<none>no\s+solution)|(?P<grid>\S+)(?:\s+(?P<unique>unique))?)"
    r"(?:\s+with\s+(?P<fixed>.*?))?\s*\Z",
    re.IGNORECASE | re.DOTALL,
)
_ASSIGN = re.compile(r"r(\d{1,3})\s*c(\d{1,3})\s*=\s*(\d{1,3})", re.IGNORECASE)
_SEPARATOR = re.compile(r"(?:\s*,\s*|\s+and\s+|\s+)", re.IGNORECASE)


def parse_assignments(text: str, n: int) -> tuple[tuple[int, int], ...]:
    """`r3c5=7, r1c2=4` -> ((cell, digit), ...); GridError when malformed or out of range."""
    out: dict[int, int] = {}
    rest = text.strip()
    while rest:
        match = _ASSIGN.match(rest)
        if match is None:
            raise GridError(f"expected 'rRcC=D' (e.g. r3c5=7), got {rest[:30]!r}")
        r, c, v = (int(g) for g in match.groups())
        if not (1 <= r <= n and 1 <= c <= n and 1 <= v <= n):
            raise GridError(f"r{r}c{c}={v}: rows, columns and digits run from 1 to {n}")
        cell = (r - 1) * n + c - 1
        if out.get(cell, v) != v:
            raise GridError(f"r{r}c{c} is set twice")
        out[cell] = v
        rest = rest[match.end() :]
        sep = _SEPARATOR.match(rest)
        if rest and (sep is None or not sep.group()):
            raise GridError(f"expected ',' between assignments, got {rest[:30]!r}")
        rest = rest[sep.end() :] if sep else rest
    if not out:
        raise GridError("'with' needs at least one assignment such as r3c5=7")
    return tuple(sorted(out.items()))


def parse_line(text: str, n: int) -> SudokuLine:
    """One claim line of an n x n puzzle; GridError says why it does not read."""
    if len(text) > MAX_LINE_CHARS:
        raise GridError(f"the line is {len(text)} characters long; at most {MAX_LINE_CHARS}")
    match = _LINE.match(text)
    if match is None or not text.strip():
        raise GridError("expected 'GRID', 'GRID unique' or 'no solution' (optionally 'with r3c5=7')")
    fixed = parse_assignments(match.group("fixed"), n) if match.group("fixed") is not None else ()
    if match.group("none"):
        return SudokuLine("none", None, fixed, n)
    word = match.group("grid")
    if word.lower() in ("unique", "with", "no", "solution"):
        raise GridError(f"expected a grid before {word!r}")
    _, grid = parse_grid(word, n)
    return SudokuLine("unique" if match.group("unique") else "solution", grid, fixed, n)


# ---------------------------------------------------------------- deciding lines


@dataclass(frozen=True)
class LineVerdict:
    """What the rules say about one line: holds True/False, or None (undecided), and evidence."""

    holds: bool | None
    message: str
    evidence: dict[str, Any]


#: Most decided lines a puzzle remembers.
MAX_DECIDED = 64


def decide_line(puzzle: Sudoku, line: SudokuLine, *, budget_s: float) -> LineVerdict:
    """Decide one line: the rule check for grids; Z3 `unsat` proves `unique` and `no solution`;
    when Z3 does not, the search looks for the witness (a solution, or a second one) that refutes.

    A settled verdict (holds True or False) depends on the puzzle and the line alone, so it is
    remembered on the puzzle and given again for the same line (undecided ones are not kept:
    a larger budget may settle them)."""
    known = puzzle.decided.get(line)
    if known is not None:
        return known
    verdict = _decide_line(puzzle, line, budget_s=budget_s)
    if verdict.holds is not None and len(puzzle.decided) < MAX_DECIDED:
        puzzle.decided[line] = verdict
    return verdict


def _decide_line(puzzle: Sudoku, line: SudokuLine, *, budget_s: float) -> LineVerdict:
    n, givens = puzzle.n, puzzle.givens
    fixed = dict(line.fixed)
    where = f" with {assignments_text(line.fixed, n)}" if line.fixed else ""
    if line.grid is not None:
        why = puzzle.violation(line.grid, fixed)
        if why is not None:
            return LineVerdict(False, f"not a solution{where}: {why}", {"kind": line.kind, "violation": why})
        if line.kind == "solution":
            return LineVerdict(True, f"a solution{where} (rule check)", {"kind": "solution"})
    excluded = [line.grid] if line.grid is not None else []
    proof = _deduction_proof(puzzle, line, fixed)
    if proof is not None:
        what = "the only solution" if excluded else "no solution"
        return LineVerdict(True, f"{what}{where} (deduction: forced digits and splits)", proof)
    # Z3 first: its `unsat` is the proof, and a true line (the usual case) then needs no search.
    # Only a line Z3 does not prove gets the search, for a witness that refutes it.
    deadline = time.perf_counter() + budget_s
    script = smt_script(givens, puzzle.geo, fixed=fixed, excluded=excluded)
    answer = run_z3(script, budget_s)
    evidence = {"kind": line.kind, "script": script, "z3": answer}
    if answer == "unsat":
        what = "the only solution" if excluded else "no solution"
        return LineVerdict(True, f"{what}{where} (Z3: unsat)", evidence)
    left = max(deadline - time.perf_counter(), min(budget_s, 1.0))
    found = search(givens, puzzle.geo, fixed=fixed, limit=1 + len(excluded), budget_s=left)
    others = [s for s in found.solutions if s not in excluded]
    if others:
        witness = grid_text(others[0])
        what = "another solution" if excluded else "a solution"
        return LineVerdict(False, f"{what}{where} exists: {witness}", {"kind": line.kind, "witness": witness})
    if answer == "sat":
        # Z3 found a solution the search did not (it ran out of budget, or disagrees): no proof.
        return LineVerdict(None, f"Z3 finds the script sat but the search found no witness{where}", evidence)
    return LineVerdict(None, f"Z3 answers {answer}{where}", evidence)


def _sudoku_rules(puzzle: Sudoku) -> bool:
    """Are the puzzle's rules plain Sudoku (rows, columns, boxes, no inequalities)? Deductions
    are made and re-checked only for those."""
    n = puzzle.n
    return n in BOX_SIDE and not puzzle.geo.less and (puzzle.geo is geometry(n) or puzzle.geo == geometry(n))


def _deduction_proof(puzzle: Sudoku, line: SudokuLine, fixed: dict[int, int]) -> dict[str, Any] | None:
    """Evidence for a true `unique` or `no solution` line by a deduction (`_deduction`), re-checked
    by the independent replay (`_deduction_check`) before it counts; None when there is none
    (not plain Sudoku, too many splits, clashing givens, or the deduction does not prove it)."""
    if not _sudoku_rules(puzzle):
        return None
    tree = deduce(puzzle.givens, puzzle.n, fixed)
    if tree is None or not _deduction_holds(puzzle, line, fixed, tree):
        return None
    return {"kind": line.kind, "deduction": tree}


def _deduction_holds(puzzle: Sudoku, line: SudokuLine, fixed: dict[int, int], tree: Any) -> bool:
    """Does the deduction `tree` re-check and prove `line` (every solution is its grid, or there
    is none)? The grid itself is rule-checked by the caller."""
    try:
        leaves = deduction_leaves(puzzle.givens, puzzle.n, fixed, tree)
    except DeductionError:
        return False
    return leaves == ([line.grid] if line.grid is not None else [])


def recheck_line(
    puzzle: Sudoku, line: SudokuLine, evidence: Mapping[str, Any], budget_s: float
) -> bool | None:
    """Whether `line` holds, re-derived from the rules (True/False), or None when this cannot
    be settled here. The evidence is only a hint: a witness is rule-checked, a script rebuilt."""
    n, givens = puzzle.n, puzzle.givens
    fixed = dict(line.fixed)
    if line.grid is not None and puzzle.violation(line.grid, fixed) is not None:
        return False
    if line.kind == "solution":
        return True
    witness = evidence.get("witness") if isinstance(evidence, Mapping) else None
    if isinstance(witness, str):
        try:
            _, other = parse_grid(witness, n)
        except GridError:
            other = None
        if other is not None and other != line.grid and puzzle.violation(other, fixed) is None:
            return False
    if isinstance(evidence, Mapping) and "deduction" in evidence:
        # A deduction proves by itself or not at all: one that does not replay proves nothing.
        ok = _sudoku_rules(puzzle) and _deduction_holds(puzzle, line, fixed, evidence["deduction"])
        return True if ok else None
    script = smt_script(
        givens, puzzle.geo, fixed=fixed, excluded=[line.grid] if line.grid is not None else []
    )
    if isinstance(evidence, Mapping) and "script" in evidence and evidence["script"] != script:
        return None  # a script that is not the one this line gives proves nothing
    answer = run_z3(script, budget_s)
    return {"unsat": True, "sat": False}.get(answer)


# ---------------------------------------------------------------- the domain


RECHECK_BUDGET_S = 30.0


class GridDomain(Domain):
    """What every grid-puzzle domain shares: claim and answer lines, their checks and rechecks,
    the symbolic worker and the planner. `Problem.data` is the puzzle (a `Sudoku` or subclass);
    subclasses parse tasks and write reasoning-gym answers, and set the two prompt texts."""

    #: The instructions opening an LLM worker's and an LLM organizer's prompt.
    worker_intro: ClassVar[str] = ""
    organizer_intro: ClassVar[str] = ""

    # ------------------------------------------------------------ checks

    def check_claim(self, problem: Problem, text: str, *, budget_s: float) -> DomainCheck:
        puzzle: Sudoku = problem.data
        try:
            line = puzzle.read(text)
        except GridError as exc:
            return DomainCheck(Status.INVALID, f"{_shown(text)}: {exc}")
        verdict = decide_line(puzzle, line, budget_s=budget_s)
        if verdict.holds is None:
            return DomainCheck(Status.UNKNOWN, verdict.message)
        cert = certificate(problem, text, role="claim", holds=verdict.holds, evidence=verdict.evidence)
        return DomainCheck(Status.PROVED if verdict.holds else Status.REFUTED, verdict.message, cert)

    def check_answer(self, problem: Problem, text: str, *, budget_s: float) -> DomainCheck:
        puzzle: Sudoku = problem.data
        try:
            lines = _answer_lines(text, puzzle.n, puzzle)
        except GridError as exc:
            return DomainCheck(Status.INVALID, str(exc))
        verdicts = [decide_line(puzzle, line, budget_s=budget_s) for line in lines]
        evidence = {"lines": [v.evidence for v in verdicts]}
        wrong = [(line, v) for line, v in zip(lines, verdicts) if v.holds is False]
        if wrong:
            line, v = wrong[0]
            cert = certificate(problem, text, role="answer", holds=False, evidence=evidence)
            return DomainCheck(Status.REFUTED, f"{_shown(line.text)}: {v.message}", cert)
        open_ = [(line, v) for line, v in zip(lines, verdicts) if v.holds is None]
        if open_:
            line, v = open_[0]
            return DomainCheck(Status.UNKNOWN, f"{_shown(line.text)}: {v.message}")
        if problem.fields["unique"] and not _settled(lines):
            return DomainCheck(
                Status.UNKNOWN,
                "the grid is a solution, but the answer does not say whether it is the only one: "
                "write 'GRID unique', or give a second solution",
            )
        cert = certificate(problem, text, role="answer", holds=True, evidence=evidence)
        return DomainCheck(Status.PROVED, _answer_message(lines, verdicts), cert)

    def recheck(self, problem: Problem, cert: Mapping[str, Any]) -> tuple[bool, str]:
        puzzle: Sudoku = problem.data
        shape = certificate_shape(self.name, problem, cert)
        if shape is not None:
            return False, shape
        text, role, claimed, evidence = cert["claim"], cert["role"], cert["holds"], cert["evidence"]
        try:
            lines = [parse_line(text, puzzle.n)] if role == "claim" else _answer_lines(text, puzzle.n)
        except GridError as exc:
            return False, f"the {role} does not read: {exc}"
        hints = [evidence] if role == "claim" else list(evidence.get("lines") or [])
        hints += [{}] * (len(lines) - len(hints))
        results = [recheck_line(puzzle, line, h, RECHECK_BUDGET_S) for line, h in zip(lines, hints)]
        if False in results:
            holds: bool | None = False
        elif None in results:
            holds = None
        else:
            holds = role == "claim" or not problem.fields["unique"] or _settled(lines)
        if holds is None:
            return False, "re-checking could not settle the claim (a script differs, or Z3 gave no answer)"
        if holds != claimed:
            return False, f"the rules say the {role} {'holds' if holds else 'does not hold'}"
        return (
            True,
            f"re-derived: the {role} {'holds' if holds else 'does not hold'} (rule check, deduction replay or fresh Z3)",
        )

    # ------------------------------------------------------------ workers and planners

    def symbolic_worker(self) -> SudokuWorker:
        return SudokuWorker()

    def planner(self, problem: Problem, *, capacity: int) -> SudokuPlanner:
        # Branches pay only where one search can take long (16x16): up to 9x9 the whole search
        # takes about a millisecond, and the answer would prove again what the branches proved.
        return SudokuPlanner(problem, capacity=capacity, branch=problem.data.n >= BRANCH_FROM_SIDE)

    # ------------------------------------------------------------ answers

    def answers(self, problem: Problem, answer_text: str) -> list[str]:
        """The answer's grids (one-character form), or `no solution`."""
        out = []
        for raw in answer_text.splitlines()[:MAX_ANSWER_LINES]:
            try:
                line = problem.data.read(raw)
            except GridError:
                continue
            out.append("no solution" if line.grid is None else grid_text(line.grid))
        return list(dict.fromkeys(out))

    def worker_prompt(self, problem: Problem, query: str, feedback: Sequence[str] = ()) -> str:
        lines = [self.worker_intro, f"Task: {problem.text}", f"Sub-query: {query}"]
        lines += feedback_lines(feedback)
        return "\n".join(lines)

    def organizer_prompt(self, problem: Problem) -> str:
        return f"{self.organizer_intro}\nTask: {problem.text}"


#: The example puzzle of the prompts (two solutions; r1c1 is 1 or 3). Tests check the examples.
EXAMPLE_GRID = ".....4..2..34.2."

WORKER_PROMPT = f"""You solve one branch of a Sudoku. Grids are written on one line, row by row, one
character per cell: 1-9 (A-G for 10-16), '.' for a blank. The rules: every row, column and box
holds each digit once, and the given digits stay.
Reply with claims, one per line, inside <RETURN>...</RETURN>; lines starting with # are notes:
  GRID                      GRID is a solution (no blanks)
  GRID unique with r1c1=1   GRID is a solution with r1c1=1 and no other solution has r1c1=1
  no solution with r1c1=2   no solution has r1c1=2
(rows and columns count from 1; leave out 'with ...' when the sub-query is 'solve'). Every claim
is checked: a wrong grid or a false 'no solution' is rejected and sent back to you.
Example. Task: 4x4 Sudoku {EXAMPLE_GRID}, uniqueness asked.
Sub-query: branch r1c1=1
<RETURN>
1234341221434321 unique with r1c1=1
</RETURN>
Sub-query: branch r1c1=2
<RETURN>
no solution with r1c1=2
</RETURN>"""

ORGANIZER_PROMPT = f"""You organize the solving of a Sudoku. Pick the blank cell with the fewest possible
digits and fork one sub-query per digit: <FORK-1>branch r1c1=1</FORK-1><FORK-2>branch r1c1=3</FORK-2>,
then <JOIN-1><JOIN-2>. Each worker returns verified claims: 'GRID unique with r1c1=1', 'GRID'
lines, or 'no solution with r1c1=3' (see the worker's format). Answer with <ANSWER>...</ANSWER>:
'GRID unique' when one branch has exactly one solution and every other branch has none; two
different grids, one per line, when there are two or more solutions; 'no solution' when every
branch has none. Example: for {EXAMPLE_GRID} the branches r1c1=1 and r1c1=3 each give one grid,
so the answer is
<ANSWER>
1234341221434321
3214143221434321
</ANSWER>"""


class SudokuDomain(GridDomain):
    """n x n Sudoku (see the module docstring)."""

    name = "sudoku"
    summary = "fill an n x n Sudoku (4x4, 9x9, 16x16); prove the solution, its uniqueness or that none exists"
    reasoning_gym = ("sudoku", "mini_sudoku")
    worker_intro = WORKER_PROMPT
    organizer_intro = ORGANIZER_PROMPT
    fields = {
        "grid": FieldSpec(
            "str",
            "row-major cells: 1-9 (A-G for 10-16), '.', '0' or '_' for a blank; or comma-separated numbers",
            required=True,
        ),
        "unique": FieldSpec("bool", "also settle whether the solution is unique", default=True),
    }

    def query_grammar(self, problem: Problem, query: str) -> str | None:
        """`solve [with ...]` / `branch ...` -> one claim line: a grid keeping the givens and the
        branch cells, optionally `unique`, then the query's `with ...`; or `no solution with ...`
        (`query_grammars.sudoku_grammar`)."""
        match = _QUERY.match(query[:MAX_LINE_CHARS]) if isinstance(query, str) else None
        if match is None:
            return None
        puzzle: Sudoku = problem.data
        spec = match.group("with") or match.group("branch")
        try:
            fixed = parse_assignments(spec, puzzle.n) if spec else ()
        except GridError:
            return None
        suffix = f" with {assignments_text(fixed, puzzle.n)}" if fixed else ""
        return sudoku_grammar(puzzle.givens, puzzle.n, dict(fixed), DIGITS, suffix=suffix)

    # ------------------------------------------------------------ tasks

    def parse(self, data: Mapping[str, Any]) -> Problem:
        fields = check_fields(self, data)
        try:
            n, givens = parse_grid(fields["grid"])
        except GridError as exc:
            raise TaskError(f"grid: {exc}") from exc
        canonical = {"grid": grid_text(givens), "unique": fields["unique"]}
        return Problem(
            self.name, canonical, _statement(n, givens, fields["unique"]), Sudoku(geometry(n), givens)
        )

    def from_reasoning_gym(self, task_name: str, entry: Mapping[str, Any]) -> Problem:
        """The puzzle from the question text (its rows of digits and `_`); nothing else is read."""
        if task_name not in self.reasoning_gym:
            raise TaskError(f"the sudoku domain reads {', '.join(self.reasoning_gym)}, not {task_name!r}")
        question = entry.get("question") if isinstance(entry, Mapping) else None
        if not isinstance(question, str):
            raise TaskError("question: a reasoning-gym entry has a question string")
        want = 4 if task_name == "mini_sudoku" else 9
        rows = _grid_rows_in(question[: MAX_GRID_CHARS * 4], want)
        if rows is None:
            raise TaskError(f"question: no {want}x{want} grid of digits and '_' found")
        return self.parse({"grid": "".join(rows)})

    def to_reasoning_gym(self, problem: Problem, answers: Sequence[str]) -> str:
        """The first grid as rows of space-separated numbers, one row per line."""
        if not answers:
            return ""
        try:
            n, grid = parse_grid(answers[0], problem.data.n)
        except GridError:
            return answers[0]
        return grid_rows(grid, n)


def _statement(n: int, givens: Grid, unique: bool) -> str:
    b = BOX_SIDE[n]
    ask = " Say whether the solution is unique." if unique else ""
    return (
        f"Fill in this {n}x{n} Sudoku so that every row, every column and every {b}x{b} box holds "
        f"each of 1-{n} exactly once, keeping the given digits{' (10-16 written A-G)' if n == 16 else ''}."
        f"{ask}\nGrid (. is a blank): {grid_text(givens)}\n{grid_rows(givens, n, blank='.')}"
    )


_RG_ROW = re.compile(r"^[ \t]*[1-9_](?:[ \t]+[1-9_])*[ \t]*$")


def _grid_rows_in(question: str, n: int) -> list[str] | None:
    """The first run of n consecutive lines of n space-separated digits or `_` in `question`."""
    run: list[str] = []
    for raw in question.splitlines():
        if _RG_ROW.match(raw) and len(raw.split()) == n:
            run.append("".join(raw.split()))
            if len(run) == n:
                return run
        else:
            run = []
    return None


def _answer_lines(text: str, n: int, puzzle: Sudoku | None = None) -> list[SudokuLine]:
    raw = [line for line in text.splitlines() if line.strip()]
    if not raw:
        raise GridError("the answer is empty: give 'GRID unique', the solutions, or 'no solution'")
    if len(raw) > MAX_ANSWER_LINES:
        raise GridError(f"the answer has {len(raw)} lines; at most {MAX_ANSWER_LINES} are read")
    lines = []
    for i, item in enumerate(raw, 1):
        try:
            line = parse_line(item, n) if puzzle is None else puzzle.read(item)
        except GridError as exc:
            raise GridError(f"answer line {i} {_shown(item)!r}: {exc}") from exc
        if line.fixed:
            raise GridError(f"answer line {i}: an answer is about the whole puzzle, with no 'with'")
        # as countdown rejects a repeated solution; `GRID unique` then `GRID` repeats it too
        same = [
            k
            for k, other in enumerate(lines, 1)
            if other == line or (line.grid is not None and other.grid == line.grid)
        ]
        if same:
            raise GridError(f"answer line {i} gives line {same[0]} twice")
        lines.append(line)
    return lines


def _settled(lines: Sequence[SudokuLine]) -> bool:
    """The lines say whether the puzzle's solution is unique (given that they all hold)."""
    grids = {line.grid for line in lines if line.grid is not None}
    return any(line.kind in ("unique", "none") for line in lines) or len(grids) >= 2


def _answer_message(lines: Sequence[SudokuLine], verdicts: Sequence[LineVerdict]) -> str:
    grids = {line.grid for line in lines if line.grid is not None}
    by = "deduction" if any("deduction" in v.evidence for v in verdicts) else "Z3: unsat"
    if any(line.kind == "none" for line in lines):
        return f"no solution ({by})"
    if len(grids) >= 2:
        return f"{len(grids)} distinct solutions (rule check): the solution is not unique"
    if any(line.kind == "unique" for line in lines):
        return f"the only solution (rule check; {by if by == 'deduction' else by + ' with it excluded'})"
    return "a solution (rule check)"


def _shown(text: str, limit: int = 100) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


# ---------------------------------------------------------------- the symbolic worker


_QUERY = re.compile(
    r"\s*(?:(?P<solve>solve)(?:\s+with\s+(?P<with>.+?))?|branch\s+(?P<branch>.+?))\s*\Z", re.I | re.S
)


class SudokuWorker:
    """A complete solver for the domain's sub-queries.

    `solve` (the whole puzzle), `solve with r3c5=7, ...` or `branch r3c5=7, ...`. Replies (one
    claim per line): `GRID unique [with ...]` when the task asks about uniqueness and the search
    shows there is exactly one; the first two grids when there are more; `GRID [with ...]` when
    uniqueness is not asked; `no solution [with ...]` when there is none. A search that runs out
    of `budget_s` returns what it found and a note.

    Up to 9x9 the search first runs on the event loop's thread with `QUICK_BUDGET_S` (it
    usually takes about a millisecond, less than the hop to a thread costs); only when that
    budget runs out does the full search run in a thread, from the start.
    """

    def __init__(self, *, budget_s: float = WORKER_BUDGET_S) -> None:
        self.budget_s = budget_s

    async def stream(self, request: WorkerRequest) -> AsyncIterator[Chunk]:
        problem = request.task.problem
        body = None
        if isinstance(problem.data, Sudoku) and problem.data.n <= QUICK_SIDE:
            body = self._answer(problem, request.query, min(QUICK_BUDGET_S, self.budget_s))
        if body is None:
            text = await asyncio.to_thread(self.reply, request)
        else:
            text = f"<RETURN>\n{body}\n</RETURN>"
        yield Steps(text)  # one solver call: symbolic work is steps, not tokens

    def reply(self, request: WorkerRequest) -> str:
        return f"<RETURN>\n{self.answer(request.task.problem, request.query)}\n</RETURN>"

    def answer(self, problem: Problem, query: str) -> str:
        """The RETURN body for `query` about `problem`."""
        body = self._answer(problem, query, self.budget_s, complete_only=False)
        assert body is not None
        return body

    def _answer(
        self, problem: Problem, query: str, budget_s: float, *, complete_only: bool = True
    ) -> str | None:
        """The RETURN body; None when the search ran out of `budget_s` and `complete_only`."""
        puzzle: Sudoku = problem.data
        query = query if isinstance(query, str) else ""
        match = _QUERY.match(query[:MAX_LINE_CHARS])
        if match is None:
            return f"# sudoku worker: unrecognised query {_shown(query)!r}; use 'solve' or 'branch r3c5=7'"
        spec = match.group("with") or match.group("branch")
        try:
            fixed = parse_assignments(spec, puzzle.n) if spec else ()
        except GridError as exc:
            return f"# sudoku worker: {exc}"
        unique = bool(problem.fields["unique"])
        found = search(
            puzzle.givens, puzzle.geo, fixed=dict(fixed), limit=2 if unique else 1, budget_s=budget_s
        )
        suffix = f" with {assignments_text(fixed, puzzle.n)}" if fixed else ""
        grids = [grid_text(g) for g in found.solutions]
        if not found.complete:
            if complete_only:
                return None
            note = f"# the search ran out of its {budget_s:g} s budget"
            return "\n".join([*grids, note])
        if not grids:
            return f"no solution{suffix}"
        if unique and len(grids) == 1:
            return f"{grids[0]} unique{suffix}"
        return "\n".join(grids)


# ---------------------------------------------------------------- the planner


class SudokuPlanner(TurnPlanner):
    """Forks one branch per candidate of the most constrained cell (see the module docstring),
    or, with `branch` False, one `solve` of the whole puzzle."""

    def __init__(self, problem: Problem, *, capacity: int = 4, branch: bool = True) -> None:
        if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1:
            raise TaskError(f"capacity must be a positive int, got {capacity!r}")
        self.problem = problem
        self.capacity = capacity
        self.branch = branch
        self._start()

    def _plan(self):
        puzzle: Sudoku = self.problem.data
        n = puzzle.n
        context = yield ""
        choice = most_constrained(puzzle.givens, puzzle.geo) if self.branch else None
        branches: list[tuple[tuple[int, int], ...]] = (
            [()] if choice is None else [((choice[0], d),) for d in choice[1]]
        )
        queries = [f"branch {assignments_text(b, n)}" if b else "solve" for b in branches]
        fork_ids = list(range(1, len(queries) + 1))
        for start in range(0, len(queries), self.capacity):
            wave = fork_ids[start : start + self.capacity]
            forks = "".join(f"<FORK-{i}>{queries[i - 1]}</FORK-{i}>" for i in wave)
            context = yield forks + f"<JOIN-{wave[0]}>"
            for i in wave[1:]:
                context = yield f"<JOIN-{i}>"
        verified = verified_claims(context)
        answer = combine(self.problem, [(b, verified.get(i)) for b, i in zip(branches, fork_ids)])
        if answer is not None:
            context = yield f"<ANSWER>{answer}</ANSWER>"
        if answer is None or "[answer rejected" in context:
            # A branch failed (or its claims did not add up): one `solve` of the whole puzzle.
            whole = len(queries) + 1
            context = yield f"<FORK-{whole}>solve</FORK-{whole}><JOIN-{whole}>"
            answer = combine(self.problem, [((), verified_claims(context).get(whole))]) or "no solution"
        while True:
            context = yield f"<ANSWER>{answer}</ANSWER>"


def _readable(claims: Sequence[str], puzzle: Sudoku) -> list[SudokuLine]:
    out = []
    for claim in claims:
        try:
            out.append(puzzle.read(claim))
        except GridError:
            continue
    return out


def combine(
    problem: Problem, results: Sequence[tuple[tuple[tuple[int, int], ...], list[str] | None]]
) -> str | None:
    """The answer from the verified claims of branches that together cover every solution, as
    (branch assignments, claims or None for a failed fork); None when they do not settle it.

    A branch is settled by `no solution` or `GRID unique` about that very branch (or about the
    whole puzzle); two distinct grids anywhere settle non-uniqueness.
    """
    puzzle: Sudoku = problem.data
    grids: list[Grid] = []
    settled = 0
    for branch, claims in results:
        lines = _readable(claims or [], puzzle)
        grids += [g for g in (line.grid for line in lines) if g is not None and g not in grids]
        if claims is not None and any(
            line.kind in ("none", "unique") and line.fixed in (branch, ()) for line in lines
        ):
            settled += 1
    if len(grids) >= 2:
        return "\n".join(grid_text(g) for g in grids[:2])
    whole = settled == len(results)
    if not problem.fields["unique"] and grids:
        return grid_text(grids[0])
    if not whole:
        return None
    return f"{grid_text(grids[0])} unique" if grids else "no solution"


register(SudokuDomain())
