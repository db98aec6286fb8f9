"""Units of measure and number words in answers: what `5 cm`, `2 km^2`, `60 mph`, `5 million` mean.

`read_unit(text)` reads a unit phrase (`cm`, `square feet`, `km/h`, `m^2`, `meters per second`)
into a `Unit`: its dimension (base dimensions with integer powers) and the exact factor that
converts one of it into the base unit of that dimension. A phrase with any word outside the
known list is not a unit (None): such words are never dropped, the answer keeps them and
compares only with the same words (`reasoning.answers._judge`). `mixed_quantity` reads one amount
written in several units (`5 dollars and 50 cents`); `same_quantity_unit` finds a unit in which a
bare number is a given quantity (`10` and `36 km/h`: m/s), so such a pair is undecided, not refuted.

`NUMBER_WORDS` (thousand, million, dozen, ...) multiply the number before them; `OPERATION_WORDS`
(squared, cubed, factorial) apply to the atom before them; `reasoning.answers._latex_text` rewrites both
into the expression, so `5 million` is 5000000, never 5.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction

#: Words that multiply the number before them.
NUMBER_WORDS: dict[str, int] = {
    "dozen": 12,
    "dozens": 12,
    "score": 20,
    "hundred": 100,
    "hundreds": 100,
    "thousand": 1000,
    "thousands": 1000,
    "million": 10**6,
    "millions": 10**6,
    "billion": 10**9,
    "billions": 10**9,
    "trillion": 10**12,
    "trillions": 10**12,
}

#: Words that apply an operation to the atom before them, as grammar text.
OPERATION_WORDS: dict[str, str] = {"squared": "^{2}", "cubed": "^{3}", "factorial": "!"}

#: Prefix of a unit that may also be a variable: `5 m` is 5 metres or the product 5*m.
#: `reasoning.answers._judge` compares such a value both ways and decides only when the readings agree.
MAYBE_VARIABLE = "?"

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}


def cardinal(text: str) -> int | None:
    """The number a spelled-out cardinal names (`ten`, `twenty-one`, `Forty two`), else None.

    Without it `ten` is read as the product t*e*n and a right answer is refuted."""
    words = text.lower().replace("-", " ").split()
    if len(words) == 1 and words[0] in _ONES:
        return _ONES.index(words[0])
    if words and words[0] in _TENS:
        if len(words) == 1:
            return _TENS[words[0]]
        if len(words) == 2 and words[1] in _ONES[1:10]:
            return _TENS[words[0]] + _ONES.index(words[1])
    return None


#: Words that mark the number before them.
MARK_WORDS: dict[str, str] = {
    "percent": "%",
    "per cent": "%",
    "pct": "%",
    "degrees": "\u00b0",
    "degree": "\u00b0",
}


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit: `dimension` is sorted (base, power) pairs; `factor` converts to the base unit."""

    dimension: tuple[tuple[str, int], ...]
    factor: Fraction


def _base(dimension: str, factor: Fraction | int, *names: str) -> dict[str, tuple[str, Fraction]]:
    return {name: (dimension, Fraction(factor)) for name in names}


#: Unit word -> (base dimension, factor to the base unit). Lengths in metres, masses in grams,
#: times in seconds, money in dollars (volumes: `_VOLUMES`); counted things count 1 each.
_UNITS: dict[str, tuple[str, Fraction]] = {
    **_base("length", 1, "m", "meter", "meters", "metre", "metres"),
    **_base("length", Fraction(1, 100), "cm", "centimeter", "centimeters", "centimetre", "centimetres"),
    **_base("length", Fraction(1, 1000), "mm", "millimeter", "millimeters", "millimetre", "millimetres"),
    **_base("length", 1000, "km", "kilometer", "kilometers", "kilometre", "kilometres"),
    **_base("length", Fraction(254, 10000), "in", "inch", "inches"),
    **_base("length", Fraction(3048, 10000), "ft", "foot", "feet"),
    **_base("length", Fraction(9144, 10000), "yd", "yard", "yards"),
    **_base("length", Fraction(1609344, 1000), "mi", "mile", "miles"),
    **_base("mass", 1, "g", "gram", "grams"),
    **_base("mass", Fraction(1, 1000), "mg", "milligram", "milligrams"),
    **_base("mass", 1000, "kg", "kilogram", "kilograms"),
    **_base("mass", Fraction(45359237, 100000), "lb", "lbs", "pound", "pounds"),
    **_base("mass", Fraction(45359237, 1600000), "oz", "ounce", "ounces"),
    **_base("length", Fraction(1, 10), "dm", "decimeter", "decimeters", "decimetre", "decimetres"),
    **_base("length", Fraction(1, 10**9), "nm", "nanometer", "nanometers", "nanometre", "nanometres"),
    **_base("mass", 10**6, "tonne", "tonnes"),
    **_base("time", Fraction(1, 1000), "ms", "millisecond", "milliseconds"),
    **_base("time", 1, "s", "sec", "secs", "second", "seconds"),
    **_base("time", 60, "min", "mins", "minute", "minutes"),
    **_base("time", 3600, "h", "hr", "hrs", "hour", "hours"),
    **_base("time", 86400, "day", "days"),
    **_base("time", 604800, "week", "weeks"),
    **_base("money", 1, "dollar", "dollars", "USD"),
    **_base("money", Fraction(1, 100), "cent", "cents"),
    **_base("count", 1, "units", "unit"),
    # temperatures: scales with an offset, never converted (`_judge` leaves two scales undecided)
    **_base("celsius", 1, "celsius", "Celsius"),
    **_base("fahrenheit", 1, "fahrenheit", "Fahrenheit"),
    # `298.15 K` was the product 298.15·K and refuted against `25^\circ C`
    **_base("kelvin", 1, "K", "kelvin", "kelvins", "Kelvin"),
}
#: Dimensions of temperature scales: converting between them needs an offset, so a pair on two
#: scales (`25 celsius` vs `77 fahrenheit`) is undecided, never refuted as different dimensions.
TEMPERATURES = frozenset({"celsius", "fahrenheit", "kelvin"})
_FORCE = (("length", 1), ("mass", 1), ("time", -2))
_ENERGY = (("length", 2), ("mass", 1), ("time", -2))
_POWER = (("length", 2), ("mass", 1), ("time", -3))
_PRESSURE = (("length", -1), ("mass", 1), ("time", -2))
_AREA = (("length", 2),)


def _derived(
    dimension: tuple[tuple[str, int], ...], factor: Fraction | int, *names: str
) -> dict[str, tuple[tuple[tuple[str, int], ...], Fraction]]:
    return {name: (dimension, Fraction(factor)) for name in names}


#: Units of a derived dimension written as one word: speeds, areas, and the SI force, energy,
#: power, pressure and frequency units (in grams, as masses are: 1 N = 1000 g m/s^2).
#: Without them `5 kN` was the product 5·k·N and `5000 N` was refuted against it.
_COMPOUND: dict[str, tuple[tuple[tuple[str, int], ...], Fraction]] = {
    "mph": ((("length", 1), ("time", -1)), Fraction(1609344, 1000) / 3600),
    "kph": ((("length", 1), ("time", -1)), Fraction(1000, 3600)),
    **_derived(_AREA, 10**4, "ha", "hectare", "hectares"),
    **_derived(_AREA, Fraction(40468564224, 10**7), "acre", "acres"),
    **_derived(_FORCE, 1000, "N", "newton", "newtons"),
    **_derived(_FORCE, 10**6, "kN", "kilonewton", "kilonewtons"),
    **_derived(_ENERGY, 1000, "J", "joule", "joules"),
    **_derived(_ENERGY, 10**6, "kJ", "kilojoule", "kilojoules"),
    **_derived(_POWER, 1000, "W", "watt", "watts"),
    **_derived(_POWER, 10**6, "kW", "kilowatt", "kilowatts"),
    **_derived(_PRESSURE, 1000, "Pa", "pascal", "pascals"),
    **_derived(_PRESSURE, 10**6, "kPa", "kilopascal", "kilopascals"),
    **_derived((("time", -1),), 1, "Hz", "hertz"),
    **_derived((("time", -1),), 1000, "kHz", "kilohertz"),
    **_derived((("time", -1),), 10**6, "MHz", "megahertz"),
}
#: Volumes are cubic lengths (1 L = 1/1000 m^3, 1 mL = 1 cm^3): with a dimension of their own,
#: `5 cm^3` vs `5 mL` and `1 m^3` vs `1000 L` were refuted as different dimensions.
_VOLUMES: dict[str, Fraction] = {
    **dict.fromkeys(("L", "l", "liter", "liters", "litre", "litres"), Fraction(1, 1000)),
    **dict.fromkeys(
        ("mL", "ml", "milliliter", "milliliters", "millilitre", "millilitres", "cc"), Fraction(1, 10**6)
    ),
}
#: Words that raise the unit after them to a power (`square feet`).
POWER_WORDS = {"square": 2, "sq": 2, "sq.": 2, "cubic": 3, "cu": 3}


def _power(unit: Unit, n: int) -> Unit:
    return Unit(tuple((d, p * n) for d, p in unit.dimension), unit.factor**n)


def _times(a: Unit, b: Unit) -> Unit:
    powers: dict[str, int] = dict(a.dimension)
    for d, p in b.dimension:
        powers[d] = powers.get(d, 0) + p
    return Unit(tuple(sorted((d, p) for d, p in powers.items() if p)), a.factor * b.factor)


def _word(word: str) -> Unit | None:
    """One unit word with an optional integer power (`cm^2`, `m^{3}`, `m2` is not read)."""
    base, caret, exponent = word.partition("^")
    exponent = exponent.strip("{}")
    n = 1
    if caret:
        if not exponent.lstrip("-").isdigit() or len(exponent) > 2:
            return None
        n = int(exponent)
    if base not in _COMPOUND and base not in _VOLUMES and base not in _UNITS and _capitalised(base):
        base = base.lower()  # `5 Hours`, `3 Meters`; never `Mm` (megametres) or `MB`
    if base in _COMPOUND:
        dimension, factor = _COMPOUND[base]
        return _power(Unit(dimension, factor), n)
    if base in _VOLUMES:
        return _power(Unit((("length", 3),), _VOLUMES[base]), n)
    if base not in _UNITS:
        return None
    dimension, factor = _UNITS[base]
    return _power(Unit(((dimension, 1),), factor), n)


def _capitalised(word: str) -> bool:
    return len(word) >= 3 and word[0].isupper() and word[1:].islower()


def read_unit(text: str) -> Unit | None:
    """A unit phrase -> its `Unit`, or None when any word is not a known unit word.

    Accepts products of words (`N m`), one division (`km/h`, `meters per second`), powers
    (`cm^2`, `square feet`, `cubic meters`).
    """
    text = " ".join(text.replace("\\cdot", " ").replace("*", " ").split())
    if not text or len(text) > 80:
        return None
    numerator, slash, denominator = text.replace(" per ", "/").partition("/")
    if slash and "/" in denominator:
        return None
    unit = Unit((), Fraction(1))
    for part, sign in ((numerator, 1), (denominator, -1)):
        if sign < 0 and not slash:
            break
        words = part.split()
        if not words:
            return None
        pending = 1
        for word in words:
            if word in POWER_WORDS:
                pending = POWER_WORDS[word]
                continue
            one = _word(word)
            if one is None:
                return None
            unit = _times(unit, _power(one, pending * sign))
            pending = 1
        if pending != 1:
            return None
    return unit


def same_quantity_unit(bare: Fraction, value: Fraction, unit: Unit) -> str | None:
    """A unit in which the bare number `bare` is the quantity `value` `unit`, or None.

    `0.5` against `50 cents` (0.5 dollars), `2` against `120 minutes` (2 hours), `10` against
    `36 km/h` (10 m/s): a bare number may be in a unit the answer does not write, so such a pair
    is not refuted. Tried: the one-word units of the same dimension (`N` for `kN`, volumes for
    cubic lengths) and every product of known unit words with the unit's powers (`m s^-1`)."""
    quantity = value * unit.factor
    for name, (dimension, factor) in _COMPOUND.items():
        if dimension == unit.dimension and bare * factor == quantity:
            return name
    if unit.dimension == (("length", 3),):
        for word, factor in _VOLUMES.items():
            if bare * factor == quantity:
                return word
    choices = []
    for base, power in unit.dimension:
        factors = {f: w for w, (d, f) in reversed(_UNITS.items()) if d == base}  # one word a factor
        ordered = sorted(factors.items(), key=lambda item: max(item[0], 1 / item[0]))  # `m` before `mm`
        choices.append([(w if power == 1 else f"{w}^{power}", f**power) for f, w in ordered])
    if len(choices) > 3:
        return None
    for combination in itertools.product(*choices):  # at most about a thousand products
        if bare * math.prod(f for _, f in combination) == quantity:
            return " ".join(w for w, _ in combination)
    return None


#: Most parts of a quantity written in several units (`1 day 2 hours 3 minutes 4 seconds`).
MAX_MIXED_PARTS = 4


def _amount(words: list[str], index: int) -> tuple[Fraction, int] | None:
    """The number at `words[index]` (`2`, `2.5`, `fifteen`, `twenty five`) and the index after it."""
    word = words[index]
    if word.replace(".", "", 1).isdigit() and not word.endswith("."):
        return Fraction(word), index + 1
    for size in (2, 1):
        value = cardinal(" ".join(words[index : index + size]))
        if value is not None and index + size <= len(words):
            return Fraction(value), index + size
    return None


def mixed_quantity(text: str) -> tuple[Fraction, str] | None:
    """`2 hours and 15 minutes` -> (9/4, `hours`): a quantity written in several units of one
    dimension, as its value in the first unit; None for anything else.

    Read as a list, `5 dollars and 50 cents` was the set {5·d·o·l·l·a·r·s, 50} in cents and
    refuted `\\$5.50`. Only the written form of one amount is read: plain numbers, each followed
    by one known unit word, separated by spaces or `and`, the units getting strictly smaller and
    each later part less than one of the unit before it (`2 hours and 90 minutes`, `3 m and
    4 km` stay lists)."""
    words = text.split()
    parts: list[tuple[Fraction, str, Unit]] = []
    index = 0
    while index < len(words) and len(parts) < MAX_MIXED_PARTS:
        if parts and words[index].lower() == "and":
            index += 1
        amount = _amount(words, index) if index < len(words) else None
        if amount is None or amount[1] >= len(words):
            return None
        value, index = amount
        word = words[index]
        unit = read_unit(word) if word.lower() != "and" else None
        if unit is None:
            return None
        parts.append((value, word, unit))
        index += 1
    if index != len(words) or len(parts) < 2:
        return None
    if any(value.denominator != 1 for value, _, _ in parts[:-1]):
        return None  # `1.5 hours 10 minutes` is no written form of one amount
    first = parts[0][2]
    for (_, _, bigger), (value, _, smaller) in zip(parts, parts[1:]):
        if (
            smaller.dimension != first.dimension
            or not smaller.factor < bigger.factor  # `2 h 0.5 h` is no written amount
            or not value * smaller.factor < bigger.factor
        ):
            return None
    total = sum(value * unit.factor for value, _, unit in parts) / first.factor
    return total, parts[0][1]
