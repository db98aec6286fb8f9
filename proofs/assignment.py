"""A model's assignment as certificates carry it (variable -> value text): read and pinned.

A `sat` answer is proved by one satisfying assignment, so a checker holding one need not
re-solve: it asserts the values (`pin_assignment`) and asks for `sat` of a script that is then
closed, or evaluates the claims exactly. Values are read exactly or not at all: an Int's value is
an integer; a Real's is a rational, or an approximation of an algebraic number (Z3 writes those as
`<approximation> (algebraic: (root-obj ...))` or as a decimal ending in '?'), which only bounds
the value to an interval and is never rounded.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from proofs.exact import parse_fraction
from proofs.smtlib import real_literal, symbol

#: How close `solvers.z3_backend.model_value`'s approximation of an algebraic value is to it.
APPROXIMATION_DIGITS = 20
#: Longer approximations are not read (a witness is hostile input).
MAX_APPROXIMATION_CHARS = 200
_ALGEBRAIC = re.compile(r"(-?\d+(?:/\d+)?|-?\d+\.\d*\?) \(algebraic: .*\)", re.DOTALL)
_TRUNCATED = re.compile(r"-?\d+(?:\.(\d*))?\?")


def approximation(text: str) -> tuple[Fraction, Fraction] | None:
    """The interval a Real value written as an approximation lies in: Z3's algebraic text
    (`<approximation> (algebraic: (root-obj ...))`, within 10^-20 of the value), or a decimal
    with '?' (the value truncated after its last digit); None for any other text."""
    match = _ALGEBRAIC.fullmatch(text)
    if match:
        text = match.group(1)
        if not text.endswith("?"):
            if len(text) > MAX_APPROXIMATION_CHARS:
                return None
            try:
                value = parse_fraction(text)
            except (ValueError, ZeroDivisionError):
                return None
            width = Fraction(1, 10**APPROXIMATION_DIGITS)
            return value - width, value + width
    match = _TRUNCATED.fullmatch(text)
    if not match or len(text) > MAX_APPROXIMATION_CHARS:
        return None
    width = Fraction(1, 10 ** len(match.group(1) or ""))
    value = Fraction(text[:-1])
    return value - width, value + width


def read_assignment(
    sorts: dict[str, str], assignment: Any
) -> tuple[dict[str, Fraction], dict[str, tuple[Fraction, Fraction]], str]:
    """An assignment (name -> value text) read against `sorts` (name -> "Int" | "Real"):
    (exact values, intervals of the values written as approximations, what is wrong with it or
    ""). It names every variable and nothing else, each value a string; an Int's is an integer.
    A Real may be an approximation of an algebraic number (see `approximation`): it is never
    rounded, only bounded."""
    if not isinstance(assignment, dict):
        return {}, {}, "an assignment is an object mapping each variable to a value"
    missing, extra = set(sorts) - set(assignment), set(assignment) - set(sorts)
    if missing or extra:
        named = ", ".join(
            f"{what} {sorted(names)}"
            for what, names in (("no value for", missing), ("a value for", extra))
            if names
        )
        return {}, {}, f"it must give every variable a value and nothing else ({named})"
    values: dict[str, Fraction] = {}
    bounds: dict[str, tuple[Fraction, Fraction]] = {}
    for name, sort in sorts.items():
        text = assignment[name]
        if not isinstance(text, str):
            return {}, {}, f"the value of {name} is not a string"
        try:
            value = parse_fraction(text)
        except (ValueError, ZeroDivisionError):
            interval = None if sort == "Int" else approximation(text)
            if interval is None:
                kind = "an integer" if sort == "Int" else "a number"
                return {}, {}, f"{name} is an {sort}, its value {text[:80]!r} is not {kind}"
            bounds[name] = interval
            continue
        if sort == "Int" and value.denominator != 1:
            return {}, {}, f"{name} is an Int, its value {text[:80]!r} is not an integer"
        values[name] = value
    return values, bounds, ""


def pin_assignment(
    script: str,
    sorts: dict[str, str],
    values: dict[str, Fraction],
    bounds: dict[str, tuple[Fraction, Fraction]],
) -> str:
    """The script (ending in `(check-sat)`) with `unknown = value` asserted for each of
    `values` (written in the unknown's sort) and `lo <= unknown <= hi` for each of `bounds`.
    Extra assertions only: if this is `sat`, so is the script."""
    pins = []
    for name, value in values.items():
        if sorts[name] == "Int":
            n = value.numerator
            pins.append(f"(assert (= {symbol(name)} {n if n >= 0 else f'(- {-n})'}))\n")
        else:
            pins.append(f"(assert (= {symbol(name)} {real_literal(value)}))\n")
    for name, (lo, hi) in bounds.items():
        pins.append(f"(assert (<= {real_literal(lo)} {symbol(name)} {real_literal(hi)}))\n")
    body = script[: -len("(check-sat)\n")] if script.endswith("(check-sat)\n") else script
    return body + "".join(pins) + "(check-sat)\n"
