"""What the equations modules share: the parsed task, and the lines that answer it.

`Parsed` is what the `equations` domain keeps of a task (unknowns, trees, polynomials, and for one
unknown its dense and square-free forms). `read_lines` reads solution lines (`x = 3`,
`x ≈ 1.4142`, `x = 1, y = 2`) and `read_phrase` the phrases (`no solution`, `every value`), the same
way for answers, claims and re-checks. `satisfies` is the exact substitution every solver falls
back on: it evaluates the equations' own trees, not the polynomials derived from them.
`SystemVerdict` is what the system solvers return.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from proofs.verdict import Status
from reasoning.domains.common._claim_lines import content_lines
from reasoning.domains.common._expressions import (
    ExpressionTooLarge,
    ExpressionUndefined,
    Node,
    NotRational,
    evaluate,
)
from reasoning.domains.common._numerals import decimal_places, read_number
from reasoning.domains.equations._polynomials import Poly, is_linear
from reasoning.domains.equations._real_roots import Dense

#: Seconds `recheck` gives SymPy to re-count roots, or a fresh Z3 to re-solve a system.
RECHECK_BUDGET_S = 20.0


@dataclass
class Parsed:
    """What `parse` keeps: the unknowns, the equations' trees and polynomials (left - right)."""

    names: list[str]
    trees: list[tuple[Node, Node]]
    polys: list[Poly]
    dense: Dense | None = None  # one unknown: P as a dense list
    g: list[int] | None = None  # one unknown: square-free primitive part of P
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def linear(self) -> bool:
        return all(is_linear(p) for p in self.polys)


_IDENTITY = re.compile(
    r"^\s*(every (real )?(value|number)|all (real )?(values|numbers)|infinitely many( real)? solutions|any (real )?(value|number))\s*\.?\s*$",
    re.I,
)
_NONE = re.compile(r"^\s*no( real)? solutions?\s*\.?\s*$", re.I)
#: The identity phrases that say every assignment is a solution (not just infinitely many).
_EVERY = re.compile(
    r"^\s*(every (real )?(value|number)|all (real )?(values|numbers)|any (real )?(value|number))\s*\.?\s*$",
    re.I,
)
COUNT_CLAIM = re.compile(r"^\s*(\d+)\s+real roots?\s+in\s+\(\s*([^,\]]+?)\s*,\s*([^,\]]+?)\s*\]\s*$", re.I)
ASSIGNMENT = re.compile(r"^\s*([A-Za-z_][A-Za-z_0-9]*)\s*(=|≈|~=|~)\s*(.+?)\s*$")


@dataclass(frozen=True)
class SolutionLine:
    """One solution line: values per unknown, each exact (`=`) or rounded (`≈`, with places)."""

    values: tuple[tuple[str, Fraction, int | None], ...]  # (name, value, places or None = exact)


def _read_value(text: str, op: str, decimals: int | None) -> tuple[Fraction, int | None] | str:
    """(value, places): places None for an exact value. `op` is `=`, `≈` or `bare` (a number
    alone). With `decimals` the task asks for rounded roots, so every value is read as rounded
    to that many places (`x = 1.4142` too: refuting the answer the task asked for would be
    wrong), and the certificate and message say so: it is never proved as an exact root."""
    value = read_number(text)
    if value is None:
        return f"{text[:40]!r} is not a number"
    places = decimal_places(text)
    if decimals is not None:
        if places is None or places > decimals:
            return f"{text[:40]!r}: write roots with at most {decimals} decimal places"
        return value, decimals
    if op in ("=", "bare"):
        return value, None
    if places is None:
        return f"{text[:40]!r}: a rounded value is a plain decimal"
    return value, places


def read_lines(text: str, names: Sequence[str], decimals: int | None) -> list[SolutionLine] | str:
    """Solution lines of an answer (or one claim); a string says why the text is not one."""
    out: list[SolutionLine] = []
    raw = content_lines(text)
    if len(names) == 1:  # one unknown: commas separate roots
        raw = [part.strip() for line in raw for part in line.split(",") if part.strip()]
    for line in raw:
        parts = [line] if len(names) == 1 else [p.strip() for p in line.split(",") if p.strip()]
        values: list[tuple[str, Fraction, int | None]] = []
        for part in parts:
            match = ASSIGNMENT.match(part)
            if match:
                name, op, number = match.group(1), match.group(2), match.group(3)
                op = "=" if op == "=" else "≈"
            elif len(names) == 1:
                name, op, number = names[0], "bare", part
            else:
                return f"{part[:60]!r}: write each value as 'name = value'"
            if name not in names:
                return f"{name!r} is not an unknown of the task ({', '.join(names)})"
            read = _read_value(number, op, decimals)
            if isinstance(read, str):
                return read
            values.append((name, read[0], read[1]))
        if sorted(n for n, _, _ in values) != sorted(names):
            return f"{line[:60]!r}: give a value for each of {', '.join(names)} exactly once"
        out.append(SolutionLine(tuple(sorted(values))))
    return out


def rounding_interval(value: Fraction, places: int, rule: str) -> tuple[Fraction, Fraction]:
    """The closed interval holding every real that rounds to `value` at `places` under `rule`:
    within half a unit for the half-rules, one unit towards zero's far side for `down`."""
    unit = Fraction(1, 10**places)
    if rule != "down":
        return value - unit / 2, value + unit / 2
    if value == 0:
        return -unit, unit
    return (value, value + unit) if value > 0 else (value - unit, value)


def rounding_evidence(lines: Sequence[SolutionLine], rule: str) -> list[dict[str, Any]]:
    """What each rounded (`≈`) value of the lines claims: a true root (or solution value) lies in
    `root_in`, the interval that rounds to it. The certificate carries this, so a rounded value
    is never read as an exact one; `recheck` re-derives it from the answer text."""
    out = []
    for line in lines:
        for name, value, places in line.values:
            if places is not None:
                lo, hi = rounding_interval(value, places, rule)
                out.append(
                    {
                        "name": name,
                        "value": _exact(value),
                        "places": places,
                        "rule": rule,
                        "root_in": [_exact(lo), _exact(hi)],
                    }
                )
    return out


def rounding_note(evidence: Sequence[Mapping[str, Any]]) -> str:
    """The sentence an answer's message adds when some values are rounded ('' when none)."""
    if not evidence:
        return ""
    places = {item["places"] for item in evidence}
    at = f"{places.pop()} places" if len(places) == 1 else "the places written"
    return (
        f"; the values are rounded to {at} ({evidence[0]['rule']}), not exact: each true value "
        "lies in its rounding interval (root_in in the certificate)"
    )


def _exact(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def read_phrase(text: str) -> str | None:
    if _IDENTITY.match(text):
        return "all"
    if _NONE.match(text):
        return "none"
    return None


def system_phrase(text: str) -> str | None:
    """`read_phrase` for a system: `every value` ("every") says every assignment solves it, more
    than `infinitely many solutions` ("all"). For one unknown the two agree (a non-zero polynomial
    has finitely many roots); for `x + y = 3` "every value" was proved though (0, 0) fails."""
    phrase = read_phrase(text)
    return "every" if phrase == "all" and _EVERY.match(text) else phrase


def identity(data: Parsed) -> bool:
    """Does every assignment solve the system (every equation's polynomial is zero)?"""
    return all(not poly for poly in data.polys)


def satisfies(data: Parsed, env: Mapping[str, Fraction]) -> bool:
    """Exact substitution into every equation's two sides (the trees, not the polynomials)."""
    for left, right in data.trees:
        try:
            if evaluate(left, env) != evaluate(right, env):
                return False
        except (ExpressionTooLarge, ExpressionUndefined, NotRational):
            return False
    return True


@dataclass
class SystemVerdict:
    status: Status
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
