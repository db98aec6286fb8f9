"""Exact numbers as text: reading numerals, rounding under a named rule, writing decimals.

`read_number` reads an integer, a decimal (optionally with an exponent) or `p/q` as a `Fraction`;
`round_places` and `round_significant` round under one of `ROUNDINGS` (half-up means ties away
from zero, as Python's `decimal.ROUND_HALF_UP`); `write_decimal` and `write_exact` write values
back. All of it is exact rational arithmetic, never floating point, so a rounded answer is the
true rounding of the true value. The `arithmetic` and `equations` domains share this module so
that they agree on what `1.4142` says and what half-up means.
"""

from __future__ import annotations

import re
from fractions import Fraction

#: Most decimal places or significant digits a task may ask for (a numeral longer than four
#: times this is not read).
MAX_DIGITS = 1_000
#: Rounding rules for `rounding`.
ROUNDINGS = ("half-up", "half-even", "half-down", "down")


_NUMBER = re.compile(r"\s*([-+]?)\s*(\d+(?:\.\d*)?|\.\d+)(?:[eE]([-+]?\d{1,6}))?\s*\Z")
_RATIO = re.compile(r"\s*([-+]?)\s*(\d+)\s*/\s*(\d+)\s*\Z")


def read_number(text: str) -> Fraction | None:
    """An integer, decimal (optionally with an exponent) or `p/q` as a Fraction; None otherwise."""
    if not isinstance(text, str) or len(text) > MAX_DIGITS * 4:
        return None
    text = text.replace("−", "-")
    if match := _NUMBER.match(text):
        sign, digits, exponent = match.groups()
        value = Fraction(digits.rstrip(".") if digits.endswith(".") else digits)
        if exponent is not None:
            shift = int(exponent)
            if abs(shift) > MAX_DIGITS * 4:
                return None
            value *= Fraction(10) ** shift
        return -value if sign == "-" else value
    if match := _RATIO.match(text):
        sign, p, q = match.groups()
        if int(q) == 0:
            return None
        value = Fraction(int(p), int(q))
        return -value if sign == "-" else value
    return None


def decimal_places(text: str) -> int | None:
    """Digits after the decimal point of a plain decimal numeral (`-1.2300` -> 4), else None."""
    match = _NUMBER.match(text.replace("−", "-")) if isinstance(text, str) else None
    if match is None or match.group(3) is not None:
        return None
    digits = match.group(2)
    return len(digits.split(".", 1)[1]) if "." in digits else 0


def round_places(value: Fraction, places: int, rounding: str = "half-up") -> Fraction:
    """`value` rounded to a multiple of 10^-places (places may be negative) under `rounding`."""
    if rounding not in ROUNDINGS:
        raise ValueError(f"rounding must be one of {', '.join(ROUNDINGS)}")
    scale = Fraction(10) ** places
    scaled = abs(value) * scale
    whole = scaled.numerator // scaled.denominator
    rest = scaled - whole
    if rounding == "down":
        up = False
    elif rest != Fraction(1, 2):
        up = rest > Fraction(1, 2)
    else:
        up = rounding == "half-up" or (rounding == "half-even" and whole % 2 == 1)
    result = Fraction(whole + up) / scale
    return -result if value < 0 else result


def decimal_exponent(value: Fraction) -> int:
    """e with 10^e <= |value| < 10^(e+1), for value != 0 (exact, no floating point)."""
    magnitude = abs(value)
    e = int((magnitude.numerator.bit_length() - magnitude.denominator.bit_length()) * 0.30102999566398)
    ten = Fraction(10)
    while ten**e > magnitude:
        e -= 1
    while ten ** (e + 1) <= magnitude:
        e += 1
    return e


def round_significant(value: Fraction, digits: int, rounding: str = "half-up") -> Fraction:
    """`value` rounded to `digits` significant digits under `rounding`."""
    if value == 0:
        return Fraction(0)
    return round_places(value, digits - 1 - decimal_exponent(value), rounding)


def terminating(value: Fraction) -> bool:
    """True when `value` has a finite decimal expansion."""
    d = value.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def write_decimal(value: Fraction, places: int | None = None) -> str:
    """Plain decimal text of a terminating `value`: exactly `places` digits after the point when
    given, else as few as needed (`12.5`, `3`, `-0.001`). No exponent, no `-0`."""
    if not terminating(value):
        raise ValueError(f"{value} has no finite decimal expansion")
    if places is None:
        places = 0
        while (value * 10**places).denominator != 1:
            places += 1
    scaled = value * 10**places
    if scaled.denominator != 1:
        raise ValueError(f"{value} needs more than {places} decimal places")
    digits = str(abs(scaled.numerator)).rjust(places + 1, "0")
    text = digits if places == 0 else f"{digits[:-places]}.{digits[-places:]}"
    return ("-" if scaled.numerator < 0 else "") + text


def write_exact(value: Fraction) -> str:
    """`p` or `p/q`: the exact value as a claim-language number."""
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
