"""Judging an answer about one unknown: do the stated values name all and only the real roots?

`judge` matches the stated values (exact, or rounded to some places) one to one against the
roots `real_roots.isolate` found: an exact value by substitution into the polynomial itself, a
rounded one by refining its root's interval past every rounding boundary. `recheck_single`
re-verifies a certificate's root list from the task alone (every sign change and exact root
again, and the number of real roots counted independently by SymPy in the project's killable
sandbox), then judges the answer afresh.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from reasoning.domains._base import Problem
from reasoning.domains.common._numerals import read_number, write_decimal, write_exact
from reasoning.domains.equations._real_roots import (
    Dense,
    Root,
    count_in,
    primitive,
    rounded,
    squarefree,
    value_sign,
)
from reasoning.domains.equations._task import COUNT_CLAIM, RECHECK_BUDGET_S, Parsed, read_lines, read_phrase


@dataclass
class Judgement:
    holds: bool
    message: str
    roots: list[Root]


def judge(
    p: Dense,
    g: Sequence[int],
    roots: list[Root],
    values: Sequence[tuple[Fraction, int | None]],
    rule: str,
    deadline: float,
    *,
    every: bool,
) -> Judgement:
    """Do `values` (exact, or rounded to places) name the roots? With `every`, all and only the
    roots, one to one; else each value names some root (a claim about some roots)."""
    roots = list(roots)
    # Exact values: substitution into P itself, then which isolated root it is.
    for value, places in values:
        if places is None and value_sign(primitive(p), value) != 0:
            hint = "" if value.denominator == 1 else "; a rounded root is written `x ≈ value`"
            return Judgement(False, f"{write_exact(value)} is not a solution (substitution){hint}", roots)
    candidates: list[list[int]] = []
    for value, places in values:
        fits = []
        for index, root in enumerate(roots):
            if places is None:
                if root.value is None and root.lo < value < root.hi:
                    roots[index] = root = Root(value, value, value)  # P(value) = 0, the only root here
                if root.value == value:
                    fits.append(index)
            else:
                near, roots[index] = rounded(g, root, places, rule, deadline)
                if near == value:
                    fits.append(index)
        if not fits:
            shown = write_exact(value) if places is None else write_decimal(value, places)
            what = "a solution" if places is None else f"a root rounded to {places} places ({rule})"
            return Judgement(False, f"{shown} is not {what}", roots)
        candidates.append(fits)
    if not every:
        return Judgement(True, "each value names a real root", roots)
    if len(values) != len(roots):
        return Judgement(
            False,
            f"the equation has {len(roots)} distinct real root(s), the answer lists {len(values)}",
            roots,
        )
    if _matching(candidates, len(roots)) < len(values):
        return Judgement(False, "the values do not name distinct roots (one is listed twice)", roots)
    return Judgement(True, f"all {len(roots)} real root(s), each once", roots)


def _matching(candidates: list[list[int]], n: int) -> int:
    """Size of a maximum matching of values to roots (augmenting paths; small n)."""
    owner = [-1] * n

    def assign(v: int, seen: set[int]) -> bool:
        for r in candidates[v]:
            if r in seen:
                continue
            seen.add(r)
            if owner[r] == -1 or assign(owner[r], seen):
                owner[r] = v
                return True
        return False

    return sum(assign(v, set()) for v in range(len(candidates)))


def _sympy_count(coefficients: list[str], lo: str | None, hi: str | None) -> int:
    """Distinct real roots of the polynomial in the closed [lo, hi] (None: unbounded), by SymPy.
    Runs in the sandbox (module-level, so it pickles by reference)."""
    from sympy import Poly, Rational, Symbol

    x = Symbol("x")
    p = Poly([Rational(c) for c in reversed(coefficients)], x).sqf_part()
    return int(p.count_roots(None if lo is None else Rational(lo), None if hi is None else Rational(hi)))


def sympy_root_count(p: Sequence[int], lo: Fraction | None = None, hi: Fraction | None = None) -> int | str:
    """`_sympy_count` in the project's killable SymPy sandbox; a string says why it failed."""
    from proofs.sympy_form import sympy_sandbox

    args = ([str(c) for c in p], None if lo is None else str(lo), None if hi is None else str(hi))
    result = sympy_sandbox().run(_sympy_count, *args, budget_s=RECHECK_BUDGET_S, memory_mb=1024)
    if not result.ok or not isinstance(result.value, int):
        return f"SymPy could not count the roots: {result.error or 'no value'}"
    return result.value


def recheck_single(
    fresh: Parsed, problem: Problem, text: str, role: str, evidence: Mapping[str, Any]
) -> bool | str:
    """Verify the evidence's root list (sign changes, exact roots, SymPy's count), then judge."""
    p = fresh.dense or []
    deadline = time.monotonic() + 60.0
    kind = evidence.get("kind")
    if not p:
        actual = "all"
    elif len(p) == 1:
        actual = "none"
    else:
        actual = None
    if actual is not None and kind != actual:
        return (
            f"the evidence says {kind!r}, the equation is {'an identity' if actual == 'all' else 'constant'}"
        )
    g = squarefree(p, deadline) if len(p) > 1 else []
    roots: list[Root] = []
    if actual is None:
        for item in evidence.get("roots") or []:
            if "value" in item:
                v = Fraction(item["value"])
                if value_sign(g, v) != 0:
                    return f"{item['value']} is not a root"
                roots.append(Root(v, v, v))
            else:
                lo, hi = Fraction(item["lo"]), Fraction(item["hi"])
                if not lo < hi or value_sign(g, lo) * value_sign(g, hi) >= 0:
                    return f"no strict sign change on ({item['lo']}, {item['hi']})"
                roots.append(Root(lo, hi))
        roots.sort(key=lambda r: r.lo)
        for a, b in zip(roots, roots[1:]):
            if a.hi > b.lo or (a.hi == b.lo and a.value is not None and b.value is not None):
                return "the evidence's roots overlap (or one is listed twice)"
        count = sympy_root_count(g)
        if isinstance(count, str):
            return count
        if count != len(roots):
            return f"SymPy counts {count} distinct real root(s), the evidence lists {len(roots)}"
        if kind != ("roots" if roots else "none"):
            return "the evidence's kind does not fit its roots"
    line = text.strip()
    match = COUNT_CLAIM.match(line) if role == "claim" else None
    if match:
        lo, hi = read_number(match.group(2)), read_number(match.group(3))
        if lo is None or hi is None or lo >= hi or actual == "all":
            return False if actual == "all" else "malformed count claim"
        return count_in(g, roots, lo, hi) == int(match.group(1))
    phrase = read_phrase(line)
    state = actual or ("roots" if roots else "none")
    if phrase is not None:
        return phrase == state
    lines = read_lines(line, fresh.names, problem.fields["decimals"])
    if isinstance(lines, str):
        return lines
    if state == "all":
        return role == "claim"
    values = [entry.values[0][1:] for entry in lines]
    return judge(p, g, roots, values, problem.fields["rounding"], deadline, every=role == "answer").holds
