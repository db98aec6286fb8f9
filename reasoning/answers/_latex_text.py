"""Stage 1 of `parse_answer` (`reasoning.answers._latex`): find the answer in a text and normalise it.

Regular expressions and scans only, no grammar: `extract` takes the last `\\boxed{...}` (or the
last math segment), `normalise` rewrites it into the grammar's input, reads number and operation words
(`reasoning.answers._units`) and pulls out the units (never dropping a word it cannot read),
and `_nesting_failure` rejects unbalanced braces and deep nesting before the grammar sees them.
The conventions these rewrites implement (thousands separators, mixed numbers) are documented
once, in `reasoning.answers._latex`.
"""

from __future__ import annotations

import re
from fractions import Fraction

from proofs.parsing import ParseFailure
from reasoning.answers import _extraction as extraction
from reasoning.answers._units import (
    MARK_WORDS,
    MAYBE_VARIABLE,
    NUMBER_WORDS,
    OPERATION_WORDS,
    cardinal,
    mixed_quantity,
    read_unit,
)

#: Deepest bracket nesting accepted.
MAX_NESTING = 64

# ------------------------------------------------------------------ stage 1: extraction


def extract(text: str) -> str | ParseFailure:
    """The answer inside a response, by the written policy in `reasoning.answers._extraction`."""
    return extraction.extract(text)


# ------------------------------------------------------------------ stage 1: normalisation

_UNICODE = str.maketrans(
    {
        "\u2212": "-",
        "\u2013": "-",
        "\u00d7": "\\times ",
        "\u00f7": "\\div ",
        "\u00b7": "\\cdot ",
        "\u22c5": "\\cdot ",
        "\u03c0": "\\pi ",
        "\u221e": "\\infty ",
        "\u2264": "\\le ",
        "\u2265": "\\ge ",
        "\u2260": "\\ne ",
        "\u222a": "\\cup ",
        "\u2205": "\\emptyset ",
        "\u221a": "\\sqrt ",
        "\u00ba": "\u00b0",
        "\u00b2": "^2",
        "\u00b3": "^3",
    }
)

_SIZING = re.compile(r"\\(?:left|right|[bB]igg?[lr]?)(?![a-zA-Z])(?:\s*\.)?")
_THIN_THOUSANDS = re.compile(r"(?<=\d)\\[,!]\s*(?=\d{3}(?!\d))")
#: The MATH dataset's thousands separator `10,\!000`.
_COMMA_THOUSANDS = re.compile(r"(?<=\d),\s*\\!\s*(?=\d{3}(?!\d))")
_SPACING = re.compile(r"\\[,;:! ]|\\q?quad(?![a-zA-Z])|\\(?:display|text)style(?![a-zA-Z])|~|\\textdollar")
#: A currency sign before an amount (`\\$0.50` arrives as `\\textdollar 0.50`): the unit dollars.
_DOLLAR_AMOUNT = re.compile(r"(?:\\\$|\\textdollar(?![a-zA-Z]))\s*(?=[-+]?\s*\.?\d)")
#: A currency sign with the word after the amount (`\\$5 \\text{ dollars}`): the word is the unit.
_DOLLAR_AND_WORD = re.compile(
    r"(?:\\\$|\\textdollar(?![a-zA-Z]))(?=\s*[-+]?\s*[\d.,]+\s*(?:\\text\s*\{\s*)?(?:dollars?|USD)(?![a-zA-Z]))"
)
_DOLLAR_SIGN = re.compile(r"\\\$|\\textdollar(?![a-zA-Z])")
#: A cent sign after an amount (`50¢`, `50\\cent`, `50\\textcent`): the unit cents.
_CENT_AMOUNT = re.compile(r"(?<=\d)\s*(?:\u00a2|\\(?:text)?cents?(?![a-zA-Z]))")
#: Units the currency signs stand for (`reasoning.answers._units` knows both).
DOLLARS, CENTS = "dollars", "cents"
_FRAC_NAMES = re.compile(r"\\[dtc]frac(?![a-zA-Z])")
_BINOM_NAMES = re.compile(r"\\[dt]binom(?![a-zA-Z])")
_RELATION_NAMES = re.compile(r"\\(leqslant|geqslant|leq|geq|neq)(?![a-zA-Z])")
_TEXT = re.compile(
    r"\\(text|textbf|textit|textrm|textnormal|mathrm|mathbf|mathit|mathsf|mbox|operatorname)\s*"
    r"\{([^{}]*)\}(\s*\^\s*(?:\{\s*-?\d\s*\}|\d))?"
)
#: Two unit texts in a row (`\\text{m}\\cdot\\text{s}^{-1}`, `\\text{ m}/\\text{s}`): one unit.
_UNIT_TEXTS = re.compile(
    r"\\(?:text|mathrm|mbox|textrm)\s*\{([^{}]*)\}(\s*\^\s*(?:\{\s*-?\d\s*\}|\d))?"
    r"\s*(\\cdot(?![a-zA-Z])|\\[,; ]|~|/|\s)\s*"
    r"\\(?:text|mathrm|mbox|textrm)\s*\{([^{}]*)\}(\s*\^\s*(?:\{\s*-?\d\s*\}|\d))?"
)
#: Names that `\operatorname{}`, `\mathrm{}` and `\text{}` turn into the grammar's commands.
_TEXT_FUNCTIONS = frozenset(
    {
        "sin", "cos", "tan", "cot", "sec", "csc", "ln", "log", "lg", "exp", "gcd", "lcm", "max",
        "min", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "sgn", "sign", "floor", "ceil",
    }
)  # fmt: skip
#: What starts a function's argument: `2\\text{min}(a, b)` is the function min, not minutes.
_ARGUMENT_OPENERS = ("(", "[", "{", "\\left", "\\{")
#: One letter with a power inside a text command (`\\mathrm{m^2}`).
_POWERED_LETTER = re.compile(r"[A-Za-z]\^\{?-?\d\}?")
#: Left in the text where a word cannot be read, so the grammar rejects the answer (never drops it).
UNREADABLE = " \\unreadable "
_NUMBER_THEN_WORDS = re.compile(r"(-?[\d.,]*\d)\s*([A-Za-z][A-Za-z .]*)")
#: Scientific notation `1e-3`, `2.5E+4` (digits tight around the `e`): the number 1 \\times 10^{-3}.
#: With a sign the text also reads as `1 \\cdot e - 3`; `reasoning.answers._equivalence` refutes only
#: when that reading refutes too.
SCIENTIFIC = re.compile(r"(?<![\w.\\^_])(\d+(?:\.\d+)?|\.\d+)([eE])([+-]?\d+)(?![\w.])")
#: A temperature (`25^\\circ C`, `25°F`, `25 degrees Celsius`): the unit of its scale, not an angle.
_TEMPERATURE = re.compile(
    r"(?:\^\s*\{?\s*\\circ\s*\}?|\u00b0|\\degree(?![a-zA-Z]))\s*(?:\\(?:text|mathrm)\s*\{\s*([CF])\s*\}|([CF])(?![a-zA-Z]))"
    r"|\b[Dd]egrees?\s+(Celsius|Fahrenheit|celsius|fahrenheit|C|F)(?![a-zA-Z])"
)
_SCALES = {"C": "celsius", "F": "fahrenheit"}
_DEGREE = re.compile(r"\^\s*\{?\s*\\circ\s*\}?|\\degree(?![a-zA-Z])|\\circ(?![a-zA-Z])")
_WORD_SEPARATORS = re.compile(r"\s+(?:or|and)\s+")
_BARE_NAMES = ("sqrt", "pi", "infty", "infinity", "inf", "sin", "cos", "tan", "ln", "log", "exp")
_BARE_WORDS = re.compile(r"(?<![\\a-zA-Z])(sqrt|pi|infty|infinity|inf|sin|cos|tan|ln|log|exp)(?![a-zA-Z])")
_FRAC_FIRST = re.compile(r"\\frac\s*([0-9a-zA-Z])")
_FRAC_SECOND = re.compile(r"\\frac\s*(\{[^{}]*\})\s*([0-9a-zA-Z])")
_MIXED_NUMBER = re.compile(r"(?<![\d.^_a-zA-Z}])(\d+)\s*\\frac\{(\d+)\}\{(\d+)\}")
_FUNCTION_NAME = re.compile(r"^\s*([a-zA-Z])\s*\(\s*([a-zA-Z])\s*\)\s*=")
_SQRT_SHORT = re.compile(r"\\sqrt\s*([0-9a-zA-Z])")
_PLAIN_UNION = re.compile(r"(?<=[\)\]])\s*U\s*(?=[\(\[])")
_THOUSANDS = re.compile(
    r"(?<![\d.,])[1-9]\d{0,2}(?:,\d{3})+(?![\d,])|(?<![\d.,])[1-9]\d{0,2}(?:,\d{3})+(?=,\s)"
)
_MATRIX = re.compile(r"\\begin\{([pbB]?matrix|smallmatrix)\}(.*?)\\end\{\1\}", re.DOTALL)
_ASCII_RELATIONS = (
    (">=", " \\ge "),
    ("<=", " \\le "),
    ("!=", " \\ne "),
    ("=<", " \\le "),
    ("=>", " \\ge "),
    ("\\approx", " = "),
    ("\u2248", " = "),
)
#: A numeral in base 2-10: `204_5`, `1011_{2}`, `(204)_5`.
_BASE_NUMERAL = re.compile(r"(?<![\w.}\\])\(?(\d+)\)?_\{?(\d{1,2})\}?(?![\w])")
#: A time of day `12:00`, `9:05` as the whole answer.
#: A whole answer in words, maybe in `\text{}`: `ten`, `\text{twenty-one}.`
_SPELLED = re.compile(r"\s*(?:\\text\s*\{)?\s*([A-Za-z][A-Za-z -]*?)\s*\}?\s*\.?\s*")
_CLOCK = re.compile(r"\s*(\d{1,2}):(\d{2})\s*")
CLOCK_UNIT = "o'clock"


def _matrix(match: re.Match) -> str:
    body = match.group(2).replace("\\\\", " \\rowsep ")
    return f" \\matopen {body} \\matclose "


def _base_numeral(match: re.Match) -> str:
    digits, base = match.group(1), int(match.group(2))
    if not 2 <= base <= 10 or any(int(d) >= base for d in digits):
        return match.group(0)
    return str(int(digits, base))


def _top_level_semicolons(text: str) -> str:
    """`1; 2; 3` and `x = 1; y = 2` are lists; a `;` inside brackets or beside a top-level comma is
    left for the grammar to reject (`(1,5; 2)` uses a decimal comma)."""
    if ";" not in text:
        return text
    level, top_commas, nested = 0, False, False
    for char in text:
        if char in "([{":
            level += 1
        elif char in ")]}":
            level -= 1
        elif char == "," and level == 0:
            top_commas = True
        elif char == ";" and level != 0:
            nested = True
    return text if top_commas or nested else text.replace(";", ",")


_ATOM = re.compile(r"-?(?:\d+(?:\.\d+)?|[a-zA-Z]|\\[a-zA-Z]+)")


def _atomic(prefix: str) -> bool:
    """Whether `prefix` is one atom that `squared`/`factorial` can apply to (`5`, `x`, `(x+1)`)."""
    prefix = prefix.strip()
    if _ATOM.fullmatch(prefix):
        return True
    pairs = {"(": ")", "[": "]", "{": "}"}
    if not prefix or prefix[0] not in pairs or prefix[-1] != pairs[prefix[0]]:
        return False
    level = 0
    for index, char in enumerate(prefix):
        level += char in "([{"
        level -= char in ")]}"
        if level == 0 and index < len(prefix) - 1:
            return False
    return True


def read_words(prefix: str, words: list[str], units: list[str]) -> str | None:
    """Read number, operation, mark and unit words after `prefix`; the rewritten text or None.

    `5 million` -> `5 \\cdot 1000000`, `(x+1) squared` -> `(x+1)^{2}`, `12 percent` -> `12%`,
    `5 cm` -> `5` with the unit `cm` recorded. Unknown words are recorded as a unit too (they
    then only match the same words). None when a word cannot be read here.
    """
    text = prefix.rstrip()
    index = 0
    lowered = [w.rstrip(".").lower() for w in words]
    while index < len(words):
        word = lowered[index]
        if word in NUMBER_WORDS:
            if not text or not (text[-1].isdigit() or text[-1] in ")}"):
                return None
            text = f"{text} \\cdot {NUMBER_WORDS[word]}"
        elif word in OPERATION_WORDS:
            if not _atomic(text):
                return None
            text = f"{{{text}}}{OPERATION_WORDS[word]}" if OPERATION_WORDS[word] != "!" else f"({text})!"
        elif word in MARK_WORDS or " ".join(lowered[index : index + 2]) in MARK_WORDS:
            if index + 1 < len(words) and " ".join(lowered[index : index + 2]) in MARK_WORDS:
                word = " ".join(lowered[index : index + 2])
                index += 1
            if index + 1 < len(words):
                return None
            text = f"{text}{MARK_WORDS[word]}"
        else:
            break
        index += 1
    rest = " ".join(w.rstrip(".") if w.endswith(".") and len(w) > 1 else w for w in words[index:])
    if rest:
        units.append(rest)
    return text


def _text_command(match: re.Match, units: list[str]) -> str:
    """`_read_text_command`, but a unit inside a group that is raised to a power or rooted
    (`(10\\text{ m})^2`, `\\sqrt{100\\text{ m}}`) is unreadable: read out of the group, the unit
    escaped the power and `(10\\text{ m})^2` was proved equal to `100 m`."""
    count = len(units)
    read = _read_text_command(match, units)
    if len(units) > count and _in_powered_group(match.string, match.start(), match.end()):
        del units[count:]
        return UNREADABLE
    return read


_OPENERS = {")": "(", "]": "[", "}": "{"}
_ROOT_BEFORE = re.compile(r"\\sqrt\s*(?:\[[^\]]*\])?\s*$")


def _in_powered_group(text: str, start: int, end: int) -> bool:
    """Whether `text[start:end]` sits in a bracket group under a root or followed by a power."""
    depth, opener = 0, -1
    for index in range(start - 1, -1, -1):
        char = text[index]
        if char in _OPENERS:
            depth += 1
        elif char in "([{":
            if depth == 0:
                opener = index
                break
            depth -= 1
    if opener < 0:
        return False
    if text[opener] == "{" and _ROOT_BEFORE.search(text, 0, opener):
        return True
    depth = 0
    for index in range(end, len(text)):
        char = text[index]
        if char in "([{":
            depth += 1
        elif char in _OPENERS:
            if depth == 0:
                return text[index + 1 :].lstrip().startswith("^")
            depth -= 1
    return False


def _read_text_command(match: re.Match, units: list[str]) -> str:
    command, content, exponent = match.group(1), match.group(2).strip(), match.group(3) or ""
    letters = sum(c.isalpha() for c in content)
    if not content:
        return " "
    if content.lower() in ("or", "and"):
        return ","
    before = match.string[: match.start()]
    after = match.string[match.end() :]
    # `5\text{ m}`, `10^{3}\text{ m}`, `(2+3)\text{ m}`: after a number or a closed group the
    # text is a unit (read as the variable m, `10^{3} m` vs `1 km` was refuted)
    last = before.rstrip()[-1:]
    after_number = last.isdigit() or (last != "" and last in "})]")
    if content in _TEXT_FUNCTIONS:
        if (
            after_number
            and command != "operatorname"
            and read_unit(content) is not None
            and not after.lstrip().startswith(_ARGUMENT_OPENERS)
        ):
            units.append(content + exponent.replace(" ", ""))  # `5\text{ min}`: minutes, not \min
            return " "
        return f"\\{content} {exponent}"
    if command == "operatorname":  # an operator we do not know is not a unit and is not dropped
        return UNREADABLE
    as_text = command in ("text", "mbox") or read_unit(content) is not None  # `5\mathrm{m}` is 5 metres
    # `x\\text{ m}`, `2\\pi\\,\\mathrm{m}`: after a letter too, when text mode or a space sets it off
    # (as letters, `x\\text{ m}` was x·m and refuted against x); `x\\mathrm{m}` stays a product
    after_letter = (
        last.isalpha()
        and (command in ("text", "mbox") or before[-1:].isspace())
        and read_unit(content) is not None
    )
    powered = _POWERED_LETTER.fullmatch(content) is not None and read_unit(content) is not None  # `m^2`
    if letters == 1 and (content.isalpha() and as_text or powered) and (after_number or after_letter):
        units.append(content + exponent.replace(" ", ""))  # `5\text{ m}`: a one-letter unit
        return " "
    if letters <= 1:  # `\text{5}`, `\mathrm{e}`, `\text{(C)}`: keep the content
        return f" {content}{exponent} "
    quantity = _NUMBER_THEN_WORDS.fullmatch(content)
    words = content.split()
    if quantity is not None:  # `\text{5 cm}`
        number, words = quantity.group(1), quantity.group(2).split()
        if exponent:
            words[-1] += exponent.replace(" ", "")
        read = read_words(number, words, units)
        return UNREADABLE if read is None else f" {read} "
    if not before.strip():  # the whole answer is words (`\text{no solution}`) or words lead it
        if after.strip(" .$"):
            return UNREADABLE
        units.append((content + exponent.replace(" ", "")).strip())
        return " "
    if exponent:
        words[-1] += exponent.replace(" ", "")
    if not all(
        w.replace(".", "").replace("^", "").replace("{", "").replace("}", "").isalnum()
        or read_unit(w) is not None
        for w in words
    ):
        return UNREADABLE
    # Words after something: read them against the text before (units, number and operation words).
    scratch: list[str] = []
    read = read_words("@", words, scratch)
    if read is None:
        return _words_after(before, words, units, match)
    if read != "@":  # number or operation words change the text before them
        return _words_after(before, words, units, match)
    units.extend(scratch)
    return " "


def _temperature(match: re.Match) -> str:
    scale = next(g for g in match.groups() if g is not None)
    return f"\\text{{ {_SCALES.get(scale, scale.lower())}}}"


def _joined_units(match: re.Match) -> str:
    """`\\text{m}\\cdot\\text{s}^{-1}` -> `\\text{m s^{-1}}` when the two read as one unit: apart,
    the second text read as a variable (18 km·h^-1 was 18/h km, refuted against 5 m/s)."""
    first, first_power, joiner, second, second_power = match.groups()
    powers = [re.sub(r"[\s{}]", "", p or "") for p in (first_power, second_power)]
    joined = f"{first.strip()}{powers[0]}" + ("/" if joiner == "/" else " ") + f"{second.strip()}{powers[1]}"
    if read_unit(joined) is None or "/" in first + second and joiner == "/":
        return match.group(0)
    return f"\\text{{ {joined}}}"


def _words_after(before: str, words: list[str], units: list[str], match: re.Match) -> str:
    """Number or operation words inside `\\text{}` change the text before them: mark it for
    `normalise`, which rewrites them with the rest of the trailing words."""
    if match.string[match.end() :].strip(" .$"):
        return UNREADABLE
    return " " + " ".join(words) + " "


def _trailing_words(text: str) -> tuple[str, list[str]]:
    """Split trailing plain words (two letters or more, an optional '.') off the text, by a scan.

    A token with `/` or `^` (`ft/s`, `in^2`, `km/h`) is a word only when it is a known unit."""
    end = len(text)
    words: list[str] = []
    while True:
        stop = end
        while stop > 0 and text[stop - 1] == " ":
            stop -= 1
        start = stop
        while start > 0 and text[start - 1] not in " \t\n":
            start -= 1
        word = text[start:stop]
        if start == 0 or not word:
            break
        plain = word[:-1] if word.endswith(".") else word
        is_word = len(plain) >= 2 and plain.isascii() and plain.isalpha()
        if not is_word and not (("/" in plain or "^" in plain) and read_unit(plain) is not None):
            break
        if plain in _BARE_NAMES:
            break
        words.append(word)
        end = start
    return text[:end], words[::-1]


#: A number, a space and one letter (`5 m`, `x = 3 s`): a one-letter unit or a product.
_NUMBER_THEN_LETTER = re.compile(r"((?:[A-Za-z]\s*=\s*)?-?\d+(?:\.\d+)?)\s+([A-Za-z])(?:\^\{?([23])\}?)?")

_SPECIAL_WORDS = frozenset(NUMBER_WORDS) | frozenset(OPERATION_WORDS) | frozenset(MARK_WORDS)


def _read_trailing(text: str, units: list[str]) -> str:
    """Read the plain words at the end of an answer (`5 million`, `12 square feet`, `5 apples`).

    A known one-letter unit after a number and a space (`5 m`) is recorded as a unit that may be
    a variable (`MAYBE_VARIABLE`): never read as the product alone, never as the unit alone."""
    letter = _NUMBER_THEN_LETTER.fullmatch(text)
    if letter is not None and read_unit(letter.group(2)) is not None:
        power = f"^{letter.group(3)}" if letter.group(3) else ""
        units.append(MAYBE_VARIABLE + letter.group(2) + power)
        return letter.group(1)
    prefix, words = _trailing_words(text)
    if not words or not prefix.strip():
        return text
    if units and any(w.rstrip(".").lower() in OPERATION_WORDS for w in words):
        return text + UNREADABLE  # `10\\text{m} squared`: the unit squared too, not 100 m
    special = bool({w.rstrip(".").lower() for w in words} & _SPECIAL_WORDS)
    scratch: list[str] = []
    read = read_words(prefix, words, scratch)
    if read is None:
        return text + UNREADABLE
    last = prefix.rstrip()[-1:]
    if scratch:  # words that are not number, operation or mark words remain: a unit
        if not (last.isdigit() or last in "})]%\u00b0"):
            # `x apples`, `x y`: letters after a variable are a product of variables
            return text + UNREADABLE if special else text
        two_letters = all(len(w.rstrip(".")) == 2 and read_unit(w.rstrip(".")) is None for w in words)
        if two_letters and not special:
            return text  # `2 ab` is the product 2ab
    units.extend(scratch)
    return read


#: A number and a unit word that make a whole list item (`3 cm` in `3 cm, 4 cm` or `(3 cm, 4 m)`;
#: not in `5-2 m, 3 cm`, where the unit may be the whole item's).
_ITEM_UNIT = re.compile(
    r"(?:^|(?<=[(\[=])|(?<=\\\{)|(?<=,)(?<!\d,))\s*(-?\d+(?:\.\d+)?)\s*([A-Za-z]+(?:\^\{?[23]\}?)?)(?=\s*(?:,|\)|\]|\\\}|$))"
)
#: A number and a word left after `_item_units` read the items it could.
_NUMBER_WORD = re.compile(r"\d\s*[A-Za-z]{2,}")


def _item_units(text: str, units: list[str]) -> str:
    """`3 cm, 4 cm` -> `3, 4` in cm; `2 m, 50 cm` -> `200, 50` in cm: the units of list items, read
    item by item and put in the smallest of them. Only the last item's unit was read, the others
    became products of letters (3·c·m), and `3 cm, 4 cm` was refuted against `4 cm, 3 cm`.
    Units of different dimensions (`3 cm, 4 kg`) make the answer unreadable (undecided)."""
    found = [m for m in _ITEM_UNIT.finditer(text) if m.group(2) not in _BARE_NAMES]
    read = [read_unit(m.group(2)) for m in found]
    known = [(m, u) for m, u in zip(found, read) if u is not None]
    if not any(len(m.group(2).partition("^")[0]) > 1 for m, _ in known):
        return text  # `3 m, 4 m`: one letter may be a variable (the readings in `_equivalence`)
    if len(known) != text.count(",") + 1:
        if len(_NUMBER_WORD.findall(text)) == 1 and known[-1][0].end() == len(text.rstrip()):
            return text  # `2, 3 cm`: one unit after the list, read by `_read_trailing`
        return text + UNREADABLE  # `(3 cm, 4)`: an item without a unit is not given one (3·c·m)
    if len({u.dimension for _, u in known}) > 1:
        return text + UNREADABLE
    smallest = min(known, key=lambda k: k[1].factor)
    pieces, end = [], 0
    for match, unit in known:
        value = Fraction(match.group(1)) * unit.factor / smallest[1].factor
        number = str(value.numerator) if value.denominator == 1 else f"({_fraction(value)})"
        pieces += [text[end : match.start()], number]
        end = match.end()
    rewritten = "".join(pieces) + text[end:]
    if _NUMBER_WORD.search(rewritten):
        return text  # an item this did not read (`1,000 cm`, `2 apples`): left as it was
    units.append(smallest[0].group(2))
    return rewritten


def _fraction(value: Fraction) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}\\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"


def _depth_zero_commas(text: str) -> set[int]:
    level = 0
    out = set()
    for index, char in enumerate(text):
        if char in "([{":
            level += 1
        elif char in ")]}":
            level -= 1
        elif char == "," and level == 0:
            out.add(index)
    return out


def _drop_thousands(text: str) -> str:
    if "," not in text:
        return text
    top = _depth_zero_commas(text)

    def fix(match: re.Match) -> str:
        commas = [match.start() + i for i, c in enumerate(match.group(0)) if c == ","]
        # A group with a leading zero (`(1,000)`, `\\{2,050\\}`) is never a list item: thousands.
        leading_zero = all(match.group(0)[c - match.start() + 1] == "0" for c in commas)
        if all(c in top for c in commas) or leading_zero:
            return match.group(0).replace(",", "")
        return match.group(0)

    return _THOUSANDS.sub(fix, text)


def _bars(text: str) -> str:
    """Pair plain `|` bars (and `\\vert`, `\\mid`) left to right as `\\lvert ... \\rvert`."""
    text = text.replace("\\vert", "|").replace("\\mid", "|")
    count = text.count("|")
    if count == 0 or count % 2:
        return text
    parts = text.split("|")
    out = [parts[0]]
    for index, part in enumerate(parts[1:]):
        out.append(" \\lvert " if index % 2 == 0 else " \\rvert ")
        out.append(part)
    return "".join(out)


def _currency_units(text: str, units: list[str]) -> str:
    """`\\textdollar 5` -> `5` with the unit dollars, `50¢` -> `50` with the unit cents (one unit
    per amount, so `\\$3, \\$4` is a list of amounts in dollars). A sign elsewhere (`5\\$`,
    `\\$\\,5`, `\\${5}`, `\\$\\frac12`) still says dollars: dropped, it left a bare number that
    matched `5 cents`."""
    text = _DOLLAR_AND_WORD.sub(" ", text)
    for pattern, unit in ((_DOLLAR_AMOUNT, DOLLARS), (_CENT_AMOUNT, CENTS)):
        text, count = pattern.subn(" ", text)
        units.extend([unit] * count)
    text, count = _DOLLAR_SIGN.subn(" ", text)
    if count and DOLLARS not in units:
        units.append(DOLLARS)
    return text


#: A `\\text{}`-like wrapper, read as its content by `_mixed_quantity`.
_WRAPPER = re.compile(r"\\(?:text|mathrm|mbox|textrm)\s*\{([^{}]*)\}")
#: A currency sign before an amount, read as the word dollars after it by `_mixed_quantity`.
_DOLLAR_BEFORE = re.compile(r"(?:\\\$|\\textdollar(?![a-zA-Z]))\s*(\d+(?:\.\d+)?)")
#: What an amount in several units may hold once its wrappers are read.
_MIXED_CHARACTERS = re.compile(r"[A-Za-z0-9.^{} -]+")


def _mixed_quantity(text: str) -> tuple[str, tuple[str, ...]] | None:
    """`2 hours and 15 minutes`, `\\$5 and 50 cents`, `1\\text{ h } 30\\text{ min}`: one amount in
    several units (`reasoning.answers._units.mixed_quantity`) as its exact value in the first unit;
    None when the text is anything else."""
    if not any(c.isdigit() for c in text) or len(text) > 120:
        return None
    plain = _DOLLAR_BEFORE.sub(rf"\1 {DOLLARS}", _WRAPPER.sub(r" \1 ", text))
    plain = _CENT_AMOUNT.sub(f" {CENTS}", _SPACING.sub(" ", plain))
    plain = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", plain)  # `twenty-five`
    if not _MIXED_CHARACTERS.fullmatch(plain):
        return None
    found = mixed_quantity(plain.removesuffix(".").replace("{", "").replace("}", ""))
    if found is None:
        return None
    value, unit = found
    return (str(value.numerator) if value.denominator == 1 else _fraction(value)), (unit,)


def normalise(answer: str) -> tuple[str, tuple[str, ...]]:
    """Rewrite an extracted answer into the grammar's input; returns (text, units found)."""
    units: list[str] = []
    text = answer.translate(_UNICODE)
    if "\\begin" in text:
        text = _MATRIX.sub(_matrix, text)
    text = SCIENTIFIC.sub(lambda m: f"({m.group(1)} \\times 10^{{{m.group(3)}}})", text)
    for ascii_op, command in _ASCII_RELATIONS:
        if ascii_op in text:
            text = text.replace(ascii_op, command)
    spelled = _SPELLED.fullmatch(text) if len(text) < 64 else None
    if spelled is not None and cardinal(spelled.group(1)) is not None:
        text = str(cardinal(spelled.group(1)))  # `ten`, `\\text{twenty-one}`: never t*e*n
    clock = _CLOCK.fullmatch(text)
    if clock is not None and int(clock.group(2)) < 60 and int(clock.group(1)) <= 24:
        return f"{int(clock.group(1)) * 60 + int(clock.group(2))}", (CLOCK_UNIT,)
    if (mixed := _mixed_quantity(text)) is not None:
        return mixed
    if "_" in text:
        text = _BASE_NUMERAL.sub(_base_numeral, text)
    text = _SIZING.sub("", text)
    if "C" in text or "F" in text or "elsius" in text or "ahrenheit" in text:
        text = _TEMPERATURE.sub(_temperature, text)
    if "\\$" in text or "\\textdollar" in text or "\u00a2" in text or "cent" in text:
        text = _currency_units(text, units)
    text = _COMMA_THOUSANDS.sub("", text)
    text = _THIN_THOUSANDS.sub("", text)
    text = _SPACING.sub(" ", text)
    text = _FRAC_NAMES.sub(r"\\frac", text)
    text = _BINOM_NAMES.sub(r"\\binom", text)
    text = _RELATION_NAMES.sub(lambda m: "\\" + m.group(1)[:2], text)
    if "\\" in text:
        for _ in range(3):  # `\\text{kg}\\cdot\\text{m}\\cdot\\text{s}^{-2}` joins two at a time
            new = _UNIT_TEXTS.sub(_joined_units, text)
            if new == text:
                break
            text = new
        for _ in range(3):  # nested \text{\textbf{...}} unwraps from the inside out
            new = _TEXT.sub(lambda m: _text_command(m, units), text)
            if new == text:
                break
            text = new
    text = _DEGREE.sub("\u00b0", text)
    text = text.replace("\\%", "%").replace("{,}", "").replace("**", "^")
    text = _WORD_SEPARATORS.sub(",", text)
    text = text.strip()
    if not text.endswith(".."):  # an ellipsis is no full stop: `0.333...` was read as 0.333
        text = text.removesuffix(".").strip()
    if "," in text and not units:
        text = _item_units(text, units)
    text = _read_trailing(text, units)
    text = _BARE_WORDS.sub(lambda m: "\\infty" if m.group(1).startswith("inf") else "\\" + m.group(1), text)
    text = _FRAC_FIRST.sub(r"\\frac{\1}", text)
    text = _FRAC_SECOND.sub(r"\\frac\1{\2}", text)
    text = _SQRT_SHORT.sub(r"\\sqrt{\1}", text)
    text = _FUNCTION_NAME.sub(r"\1_{\2} =", text)  # `f(x) = 2x` assigns to the name f_x
    text = _MIXED_NUMBER.sub(r"(\1+\\frac{\2}{\3})", text)
    text = _bars(text)
    text = _PLAIN_UNION.sub(r" \\cup ", text)
    text = _drop_thousands(text)
    text = _top_level_semicolons(text)
    return text.strip(), tuple(units)


# ------------------------------------------------------------------ stage 1: nesting pre-check


def _nesting_failure(text: str) -> ParseFailure | None:
    level = braces = 0
    index = 0
    n = len(text)
    while index < n:
        char = text[index]
        if char == "\\" and index + 1 < n and text[index + 1] in "{}":
            index += 2
            continue
        if char in "([{":
            level += 1
            if char == "{":
                braces += 1
            if level > MAX_NESTING:
                return ParseFailure(
                    f"brackets nested deeper than {MAX_NESTING}", column=index + 1, found=char
                )
        elif char in ")]}":
            level -= 1
            if char == "}":
                braces -= 1
                if braces < 0:
                    return ParseFailure("unbalanced braces: '}' without '{'", column=index + 1, found="}")
        index += 1
    if braces:
        return ParseFailure("unbalanced braces: '{' without '}'", column=n + 1, found="end of answer")
    return None
