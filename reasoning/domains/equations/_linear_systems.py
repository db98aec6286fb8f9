"""Linear systems, solved and certified by exact elimination.

`linear_solution_set` runs Gauss-Jordan elimination over `Fraction`s and keeps, for each reduced
row, the multipliers that built it from the original rows, so every outcome comes with evidence
that checks without trusting the elimination: a unique solution by substitution and a non-zero
minor (full column rank); "no solution" by multipliers that combine the equations into `0 = c`
with `c != 0`; "infinitely many solutions" by a solution plus a non-zero null vector.
`linear_judge` judges an answer against it; `recheck_linear` reaches the verdict again by another
route (elimination in reverse column order, Cramer's rule on a non-singular minor).
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from math import gcd
from typing import Any

from proofs.verdict import Status
from reasoning.domains._base import Problem
from reasoning.domains.common._numerals import round_places, write_exact
from reasoning.domains.equations._task import (
    Parsed,
    SolutionLine,
    SystemVerdict,
    identity,
    read_lines,
    satisfies,
    system_phrase,
)


def _linear_rows(data: Parsed) -> list[list[Fraction]]:
    """Rows [a_1 .. a_n, b] with a . x = b for each equation (P = a . x - b)."""
    n = len(data.names)
    rows = []
    for p in data.polys:
        row = [Fraction(0)] * (n + 1)
        for m, c in p.items():
            if any(m):
                row[m.index(1)] += c
            else:
                row[n] -= c
        rows.append(row)
    return rows


def eliminate(rows: list[list[Fraction]]) -> tuple[list[list[Fraction]], list[int], list[list[Fraction]]]:
    """Gauss-Jordan: (reduced rows, pivot columns, combination per reduced row): each reduced
    row is the combination (multipliers of the original rows) of the original rows."""
    m = len(rows)
    rows = [list(r) for r in rows]
    combo = [[Fraction(int(i == j)) for j in range(m)] for i in range(m)]
    pivots: list[int] = []
    r = 0
    n = len(rows[0]) - 1 if rows else 0
    for col in range(n):
        pick = next((i for i in range(r, m) if rows[i][col] != 0), None)
        if pick is None:
            continue
        rows[r], rows[pick] = rows[pick], rows[r]
        combo[r], combo[pick] = combo[pick], combo[r]
        scale = rows[r][col]
        rows[r] = [c / scale for c in rows[r]]
        combo[r] = [c / scale for c in combo[r]]
        for i in range(m):
            if i != r and rows[i][col] != 0:
                f = rows[i][col]
                rows[i] = [a - f * b for a, b in zip(rows[i], rows[r])]
                combo[i] = [a - f * b for a, b in zip(combo[i], combo[r])]
        pivots.append(col)
        r += 1
    return rows, pivots, combo


def linear_solution_set(data: Parsed) -> dict[str, Any]:
    """{'kind': 'one' | 'none' | 'many', 'solution', 'multipliers', 'null', 'minor'} (exact)."""
    rows = _linear_rows(data)
    n = len(data.names)
    reduced, pivots, combo = eliminate(rows)
    for i, row in enumerate(reduced):
        if all(c == 0 for c in row[:n]) and row[n] != 0:
            return {"kind": "none", "multipliers": combo[i]}
    solution = [Fraction(0)] * n
    for i, col in enumerate(pivots):
        solution[col] = reduced[i][n]
    if len(pivots) == n:
        # a non-singular n x n minor: the rows that produced the pivots, found greedily
        minor = _independent_rows(rows, n)
        return {"kind": "one", "solution": solution, "minor": minor}
    free = next(c for c in range(n) if c not in pivots)
    null = [Fraction(0)] * n
    null[free] = Fraction(1)
    for i, col in enumerate(pivots):
        null[col] = -reduced[i][free]
    return {"kind": "many", "solution": solution, "null": null}


def _independent_rows(rows: list[list[Fraction]], n: int) -> list[int]:
    chosen: list[int] = []
    for i in range(len(rows)):
        trial = [rows[j][:n] for j in [*chosen, i]]
        if _rank(trial) == len(chosen) + 1:
            chosen.append(i)
        if len(chosen) == n:
            break
    return chosen


def _rank(matrix: list[list[Fraction]]) -> int:
    if not matrix:
        return 0
    reduced, pivots, _ = eliminate([[*row, Fraction(0)] for row in matrix])
    return len(pivots)


def determinant(matrix: list[list[Fraction]]) -> Fraction:
    """The determinant by fraction-free cofactor-free elimination (Bareiss on scaled integers)."""
    n = len(matrix)
    scale = 1
    for row in matrix:
        for c in row:
            scale = scale * c.denominator // gcd(scale, c.denominator)
    a = [[int(c * scale) for c in row] for row in matrix]
    sign, prev = 1, 1
    for k in range(n - 1):
        if a[k][k] == 0:
            swap = next((i for i in range(k + 1, n) if a[i][k] != 0), None)
            if swap is None:
                return Fraction(0)
            a[k], a[swap] = a[swap], a[k]
            sign = -sign
        for i in range(k + 1, n):
            for j in range(k + 1, n):
                a[i][j] = (a[i][j] * a[k][k] - a[i][k] * a[k][j]) // prev
        prev = a[k][k]
    return Fraction(sign * a[n - 1][n - 1], scale**n) if n else Fraction(1)


def _line_fits(line: SolutionLine, solution: Mapping[str, Fraction], rule: str) -> bool:
    for name, value, places in line.values:
        exact = solution[name]
        if (exact if places is None else round_places(exact, places, rule)) != value:
            return False
    return True


def linear_judge(
    data: Parsed, phrase: str | None, lines: list[SolutionLine], rule: str, *, every: bool
) -> SystemVerdict:
    found = linear_solution_set(data)
    kind = found["kind"]
    evidence: dict[str, Any] = {"kind": kind}
    for key in ("solution", "multipliers", "null"):
        if key in found:
            evidence[key] = [write_exact(v) for v in found[key]]
    if "minor" in found:
        evidence["minor"] = found["minor"]
    names = data.names
    if phrase == "every":
        ok = identity(data)
        why = (
            "every value solves every equation"
            if ok
            else "not every value is a solution (the system is not an identity)"
        )
        return SystemVerdict(Status.PROVED if ok else Status.REFUTED, why, evidence)
    if phrase == "none":
        ok = kind == "none"
        return SystemVerdict(
            Status.PROVED if ok else Status.REFUTED,
            "no solution" if ok else "the system has solutions",
            evidence,
        )
    if phrase == "all":
        ok = kind == "many"
        why = (
            "infinitely many solutions"
            if ok
            else f"the system has {'no' if kind == 'none' else 'exactly one'} solution"
        )
        return SystemVerdict(Status.PROVED if ok else Status.REFUTED, why, evidence)
    for line in lines:
        env = {n: v for n, v, places in line.values if places is None}
        if len(env) == len(names) and not satisfies(data, env):
            return SystemVerdict(Status.REFUTED, "a listed solution does not satisfy the equations", evidence)
    if kind == "none":
        return SystemVerdict(Status.REFUTED, "the system has no solution", evidence)
    if kind == "many":
        if every:
            return SystemVerdict(Status.REFUTED, "the system has infinitely many solutions", evidence)
        ok = all(len([1 for _, _, p in line.values if p is None]) == len(names) for line in lines)
        return SystemVerdict(
            Status.PROVED if ok else Status.UNKNOWN, "each listed solution satisfies the system", evidence
        )
    solution = dict(zip(names, found["solution"]))
    if not all(_line_fits(line, solution, rule) for line in lines):
        return SystemVerdict(Status.REFUTED, "a listed value is not the solution's", evidence)
    if every and len(lines) != 1:
        return SystemVerdict(
            Status.REFUTED, "the system has exactly one solution; it is listed more than once", evidence
        )
    return SystemVerdict(Status.PROVED, "the unique solution (substitution and a non-zero minor)", evidence)


def recheck_linear(fresh: Parsed, problem: Problem, text: str, role: str) -> bool | str:
    """An independent route: Cramer's rule / determinants on the rows rebuilt from the task."""
    rows = _linear_rows(fresh)
    n = len(fresh.names)
    phrase = system_phrase(text.strip())
    if phrase == "every":
        return all(all(c == 0 for c in row) for row in rows)
    # Rank of A and of [A | b] by determinants of minors is exponential; use a different
    # elimination order instead (columns right to left), then verify the conclusions directly.
    reversed_rows = [[*reversed(r[:n]), r[n]] for r in rows]
    reduced, pivots, combo = eliminate(reversed_rows)
    inconsistent = next(
        (combo[i] for i, r in enumerate(reduced) if all(c == 0 for c in r[:n]) and r[n] != 0), None
    )
    if inconsistent is not None:
        # verify the multipliers: sum m_i * row_i = (0, ..., 0, c) with c != 0
        total = [sum((m * row[j] for m, row in zip(inconsistent, rows)), Fraction(0)) for j in range(n + 1)]
        if any(total[:n]) or total[n] == 0:
            return "the combination does not give 0 = c"
        kind = "none"
    elif len(pivots) == n:
        minor = _independent_rows(rows, n)
        square = [rows[i][:n] for i in minor]
        det = determinant(square)
        if det == 0:
            return "the chosen minor is singular"
        # Cramer's rule
        solution = []
        for col in range(n):
            replaced = [[*row[:col], rows[i][n], *row[col + 1 :]] for row, i in zip(square, minor)]
            solution.append(determinant(replaced) / det)
        env = dict(zip(fresh.names, solution))
        if not satisfies(fresh, env):
            return "Cramer's solution does not satisfy every equation"
        kind = "one"
    else:
        kind = "many"
    if phrase == "none":
        return kind == "none"
    if phrase == "all":
        return kind == "many"
    lines = read_lines(text, fresh.names, problem.fields["decimals"])
    if isinstance(lines, str):
        return lines
    for line in lines:
        env = {name: v for name, v, places in line.values if places is None}
        if len(env) == n and not satisfies(fresh, env):
            return False
    if kind == "none":
        return False
    if kind == "many":
        if role == "answer":
            return False
        return all(all(p is None for _, _, p in line.values) for line in lines)
    solution_map = dict(zip(fresh.names, solution))
    if not all(_line_fits(line, solution_map, problem.fields["rounding"]) for line in lines):
        return False
    return role == "claim" or len(lines) == 1
