"""Other readings of an answer's text, for spellings with more than one meaning.

A verdict on an ambiguous pair must hold in every reading: `\\log 2` in bases 10, e and 2,
`3/4\\pi` as 3/(4 pi) and (3/4) pi, `5K` as 5000 and 5·K, `3,5 cm` with a decimal comma or as a
list, `5cm` as a unit or the letters c·m. These functions only rewrite text; `_equivalence`
compares the readings, so a misfiring pattern costs an undecided verdict, never a proof.
"""

from __future__ import annotations

import re

from reasoning.answers._latex_text import SCIENTIFIC, extract, normalise
from reasoning.answers._units import NUMBER_WORDS, mixed_quantity, read_unit

#: `\\log x` or `log(x)` without a base: base 10, e (SymPy's LaTeX printer, calculus, `log(2)` in
#: plain text) or 2 (computer science). A verdict must hold in every reading.
_BARE_LOG = re.compile(
    r"(?:\\(?:operatorname|mathrm|text|rm)\s*\{\s*log\s*\}|\\log|(?<![\\A-Za-z])log)(?![A-Za-z])(?!\s*_)"
)
#: The bases a bare logarithm is read in besides base 10 (the parser's own reading). Base 2 is
#: left out where a power follows the name (`\\log^2 x`): `\\log_{2}^2 x` is not in the grammar.
_LOG_BASES = ("\\ln", "\\log_{2}")
_LOG_POWER = re.compile(
    r"(?:\\log|(?<![\\A-Za-z])log|\\(?:operatorname|mathrm|text|rm)\s*\{\s*log\s*\})\s*\^"
)
#: `1/2x`, `3/4\\pi`, `1/2(x+1)`: 1/(2x) as read, or (1/2)x as the claim language and many
#: writers mean it. The second reading makes the product explicit after the divisor.
_SLASH_PRODUCT = re.compile(
    r"/\s*(\d+(?:\.\d+)?|[A-Za-z])\s*"
    r"(?=[A-Za-z](?![A-Za-z])|\(|\\(?:pi|sqrt|frac|sin|cos|tan|ln|log|exp|left|theta|alpha|beta)(?![A-Za-z]))"
)


#: `5K`, `1.5M`, `3B`: 5000, 1500000, 3000000000 as written in prose, or the products 5K, 1.5M.
_SUFFIX = re.compile(r"(?<![\w.^_{}\\])(\d+(?:\.\d+)?) ?([kKMB])(?![A-Za-z0-9])")
_SUFFIXES = {"k": "1000", "K": "1000", "M": "1000000", "B": "1000000000"}


def _suffix_value(match: re.Match) -> str:
    return f"({match.group(1)} \\cdot {_SUFFIXES[match.group(2)]})"


def ambiguous_readings(gold: str, prediction: str) -> list[tuple[str, str, str]]:
    """Every reading of an ambiguous pair (name, gold, prediction); the texts alone when none."""
    readings = [("as written", gold, prediction)]
    if _SUFFIX.search(gold) or _SUFFIX.search(prediction):
        readings += [("5K=5000", _SUFFIX.sub(_suffix_value, gold), _SUFFIX.sub(_suffix_value, prediction))]
    if _SLASH_PRODUCT.search(gold) or _SLASH_PRODUCT.search(prediction):
        readings += [
            (
                f"{name.replace('as written', '')} (a/b)c".strip(),
                _SLASH_PRODUCT.sub(r"/\1 \\cdot ", g),
                _SLASH_PRODUCT.sub(r"/\1 \\cdot ", p),
            )
            for name, g, p in readings
        ]
    if _BARE_LOG.search(gold) or _BARE_LOG.search(prediction):
        powered = _LOG_POWER.search(gold) or _LOG_POWER.search(prediction)
        bases = _LOG_BASES[:1] if powered else _LOG_BASES
        readings += [
            (
                f"{name.replace('as written', '')} {base[1:]}".strip(),
                *(_BARE_LOG.sub(lambda _m, b=base: f" {b} ", t) for t in (g, p)),
            )
            for base in bases
            for name, g, p in readings
        ]
    return readings


#: What may follow a decimal comma as its unit or mark: spacing, then `\text{}`/`\mathrm{}`,
#: words, a percent or a degree sign (`1,5\,\text{m}`, `1,5\%`, `1,5^\circ` were read as lists only).
_COMMA_UNIT = (
    r"(\s*(?:\\[,;: ]|~)?\s*(?:\\(?:text|mathrm)\s*\{[^{}$]*\}|[A-Za-z][A-Za-z /^]*|\\%|%"
    r"|\^\s*\{?\s*\\circ\s*\}?|\u00b0))?"
)
#: `2,5`: two numbers, or 2.5 with a decimal comma (`1,000` is a thousands separator instead);
#: also with a unit after it (`3,5 cm`, refuted against `3.5 cm` before), a dollar sign before it
#: (`\$1,50`) or LaTeX's decimal comma `{,}` (`1{,}5` was read as 15).
_DECIMAL_COMMA = re.compile(r"(\\\$)?\$?\s*(?:\\\$)?(-?\d+)(,|\{,\})(\d{1,2})\s*\$?" + _COMMA_UNIT)
#: `0,111`: never thousands (a leading 0), so the list {0, 111} or 0.111 with a decimal comma.
_ZERO_COMMA = re.compile(r"(\\\$)?\$?\s*(?:\\\$)?(-?0)(,|\{,\})(\d+)\s*\$?" + _COMMA_UNIT)
#: A number, a space and one letter inside a list (`3 m, 4 m`): a unit or a product.
_ITEM_LETTER = re.compile(r"(\d)\s+([A-Za-z])(?:\^\{?[23]\}?)?(?![A-Za-z])")


#: `\\boxed{3,5} cm`: a decimal comma inside a box, with a unit after it.
_BOXED_COMMA = re.compile(r"(\\\$)?\\boxed\s*\{\s*(-?\d+)(,|\{,\})(\d{1,2})\s*\}" + _COMMA_UNIT)


def decimal_comma(text: str) -> re.Match | None:
    """`2,5`, `3,5 cm`, `0,111`, `\\boxed{3,5} cm`: a whole answer that reads as a decimal comma."""
    return _DECIMAL_COMMA.fullmatch(text) or _ZERO_COMMA.fullmatch(text) or _BOXED_COMMA.fullmatch(text)


def with_unit(match: re.Match) -> bool:
    """Whether a decimal-comma answer has a unit, a mark or a dollar sign with it."""
    return bool(match.group(1) or match.group(5))


def decimal_reading(gold: str, prediction: str) -> tuple[str, str] | None:
    """The texts with a decimal comma read as a decimal point (`3,5 cm` -> `3.5 cm`), or None."""
    decimal = [decimal_comma(t.strip()) for t in (gold, prediction)]
    if not any(decimal):
        return None
    return tuple(  # type: ignore[return-value]
        t.strip()[: m.start(3)] + "." + t.strip()[m.end(3) :] if m else t
        for m, t in zip(decimal, (gold, prediction))
    )


def other_readings(gold: str, prediction: str) -> list[tuple[str, str]]:
    """The readings a refutation must also hold in: `2,5` as the decimal 2.5, a list whose
    items carry one-letter units (`3 m, 4 m`) read with the units dropped, and `2e-1` as 2e - 1."""
    readings = []
    if (decimal := decimal_reading(gold, prediction)) is not None:
        readings.append(decimal)
    if "," in gold + prediction and any(_ITEM_LETTER.search(t) for t in (gold, prediction)):
        readings.append((_units_dropped(gold), _units_dropped(prediction)))
    if any(m.group(3)[0] in "+-" for t in (gold, prediction) for m in SCIENTIFIC.finditer(t)):
        readings.append(tuple(SCIENTIFIC.sub(_constant_e, t) for t in (gold, prediction)))
    if any(_COUNTED_IN.search(t) for t in (gold, prediction)):
        readings.append(tuple(_COUNTED_IN.sub("", t) for t in (gold, prediction)))
    spaced = tuple(
        _FRAC_UNIT.sub(_fraction_unit, _TIGHT_UNIT.sub(_spaced_unit, t)) for t in (gold, prediction)
    )
    if spaced != (gold, prediction):
        readings.append(spaced)
    if any(_SCALE_LETTER.search(t) for t in (gold, prediction)):
        readings.append(tuple(_SCALE_LETTER.sub(r"^\\circ \1", t) for t in (gold, prediction)))
    if any(_MS_INVERSE.search(t) for t in (gold, prediction)):
        readings.append(tuple(_MS_INVERSE.sub(r"m s\1", t) for t in (gold, prediction)))
    united = [_symbol_with_unit(t) for t in (gold, prediction)]
    if any(u is not None for u in united):
        readings.append(tuple(u or t for u, t in zip(united, (gold, prediction))))
    mixed = [_one_amount(t) for t in (gold, prediction)]
    if any(m is not None for m in mixed):
        readings.append(tuple(m or t for m, t in zip(mixed, (gold, prediction))))
    return readings


#: A unit written tight against its number (`5cm`, `12000mm`) or a unit with a negative power in
#: plain text (`10 m s^{-1}`): as letters, a product (5·c·m), and `5cm` was refuted against `50 mm`.
_TIGHT_UNIT = re.compile(
    r"(?<![\w.\\])(\d+(?:\.\d+)?)\s*((?:[A-Za-z]{1,12}(?:\^\{?-?\d\}?)?(?:/| (?=[A-Za-z]))?){1,4})(?![\w{^])"
)


def _spaced_unit(match: re.Match) -> str:
    """`5cm` -> `5\\text{ cm}`, `1 N m` -> `1\\text{ N m}`, `1 Km` -> `1\\text{ km}`: the letters after
    a number as a unit, when they read as one (in lower case too); else as they were."""
    number, letters = match.groups()
    unit = letters if read_unit(letters) is not None else None
    if unit is None and len(letters) > 1 and read_unit(letters.lower()) is not None:
        unit = letters.lower()  # `1 KM`, `1 Ft`: refuted as the product K·M
    tight = match.group(0)[len(number)].isalpha()
    if unit is None or not (
        tight or "^{-" in letters or "^-" in letters or " " in letters or unit != letters
    ):
        return match.group(0)  # `3 cm` is read as a unit already
    return f"{number}\\text{{ {unit}}}"


#: A unit written as a fraction of letters after a number (`10 \\frac{km}{h}`): as letters, k·m/h,
#: and `10 \\frac{km}{h}` was refuted against `10 km/h`.
_FRAC_UNIT = re.compile(
    r"(?<=\d)(\s*(?:\\[,;: ]|~)?\s*)\\[dt]?frac\s*\{\s*([A-Za-z ]{1,30})\}\s*\{\s*([A-Za-z ]{1,30})\}(?![\w^])"
)


def _fraction_unit(match: re.Match) -> str:
    """`\\frac{km}{h}` after a number -> `\\text{ km/h}` when it reads as a unit; else as it was."""
    unit = f"{match.group(2).strip()}/{match.group(3).strip()}"
    return f"\\text{{ {unit}}}" if read_unit(unit) is not None else match.group(0)


#: `25 C`, `77 F` closing an answer: degrees of a temperature scale, or a product with a variable
#: (`25 C` was refuted against `25` as 25·C).
_SCALE_LETTER = re.compile(r"(?<=\d)\s*([CF])\s*\.?\s*$")
#: `ms^{-1}`: per millisecond, or metres per second as physics books write it (`m s^{-1}`);
#: `5\\text{ms}^{-1}` was refuted against `5 m/s` as a different dimension.
_MS_INVERSE = re.compile(r"(?<![A-Za-z\\])ms(\s*\}?\s*\^\s*\{?\s*-)")


#: A symbolic value, a space and unit words closing the answer (`x km`, `2\\pi m`, `$2\\pi$ km`).
_SYMBOL_THEN_WORDS = re.compile(
    r"\$?\s*([\w\\{}^+\-*/()]*[A-Za-z})])\s*\$?\s+([A-Za-z][A-Za-z /^{}\-0-9.]{0,60})"
)
#: A word in a symbolic value that is no command (`square`, `degrees`): the value is prose, not math.
_PLAIN_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2,}")


def _symbol_with_unit(text: str) -> str | None:
    """`x km` -> `{x}\\text{ km}`: the reading of words after a symbolic value as its unit (as
    letters, `x km` was x·k·m and refuted against `1000x m`); None when the words are no unit."""
    match = _SYMBOL_THEN_WORDS.fullmatch(text.strip().removesuffix("."))
    if match is None or read_unit(match.group(2).strip()) is None or "\\boxed" in match.group(1):
        return None
    if _PLAIN_WORD.search(match.group(1)) or not any(c.isalpha() for c in match.group(1)):
        return None
    return f"{{{match.group(1)}}}\\text{{ {match.group(2).strip()}}}"


def _one_amount(text: str) -> str | None:
    """`2 hours, 15 minutes` -> `2 hours 15 minutes`: a list that also reads as one amount in
    several units (`reasoning.answers._units.mixed_quantity`), also with its numbers boxed or in
    math (`\\boxed{1} h \\boxed{30} min` read as its last box, 30 min); None otherwise."""
    if len(text) > 120:
        return None
    plain = _BOX_CONTENT.sub(r" \1 ", text).replace("$", " ")
    if "," not in text and plain == text:
        return None
    joined = " ".join(plain.replace(",", " ").split())
    return joined if mixed_quantity(joined) is not None else None


#: A box holding a plain number.
_BOX_CONTENT = re.compile(r"\\boxed\s*\{\s*(\d+(?:\.\d+)?)\s*\}")


#: A number word right after a box or math segment (`\boxed{12} dozen`, `$5$ million`): the
#: extraction keeps it with the value (144, 5000000), but `12 dozen` may also answer "how many
#: dozens" with 12. The reading without it: a refutation must hold there too.
_COUNTED_IN = re.compile(
    r"(?<=[}$])[ \t]*(?:\\text\s*\{\s*(?:"
    + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
    + r")\s*\}|(?:"
    + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
    + r")\b)",
    re.IGNORECASE,
)


def _constant_e(match: re.Match) -> str:
    """`2e-1` -> `2\\cdot e-1`: the reading of a tight `e` (with a signed exponent) as the constant."""
    mantissa, letter, exponent = match.groups()
    return f"{mantissa}\\cdot {letter}{exponent}" if exponent[0] in "+-" else match.group(0)


def _units_dropped(text: str) -> str:
    """`3 m, 4 x` -> `3, 4 x`: known one-letter units after a number dropped (the unit reading)."""
    return _ITEM_LETTER.sub(lambda m: m.group(1) if read_unit(m.group(2)) is not None else m.group(0), text)


#: A word of three letters or more in a normalised answer, not a command.
_LETTER_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{3,}(?![A-Za-z])")


def unit_word_as_letters(text: str) -> str | None:
    """A unit word the normalised answer still holds (`half an hour`, `1 and a half hours`): read
    as a product of letters h·o·u·r, so a refutation rests on nothing; None when there is none."""
    found = extract(text)
    if not isinstance(found, str):
        return None
    normalised, _ = normalise(found)
    for match in _LETTER_WORD.finditer(normalised):
        word = match.group(0)
        if read_unit(word) is not None or read_unit(word.lower()) is not None:
            return word
    return None
