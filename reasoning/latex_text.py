"""Stage 1 of `parse_answer` (`reasoning.latex`): find the answer in a text and normalise it.

Regular expressions and scans only, no grammar: `extract` takes the last `\\boxed{...}` (or the
last math segment), `normalise` rewrites it into the grammar's input and pulls out the units,
and `_nesting_failure` rejects unbalanced braces and deep nesting before the grammar sees them.
The conventions these rewrites implement (thousands separators, mixed numbers) are documented
once, in `reasoning.latex`.
"""

from __future__ import annotations

import re

from proofs.parsing import ParseFailure

#: Deepest bracket nesting accepted.
MAX_NESTING = 64

# ------------------------------------------------------------------ stage 1: extraction


def _matching_brace(text: str, open_index: int) -> int:
    """Index of the '}' closing text[open_index] == '{', or -1 (escaped braces are skipped)."""
    level = 0
    index = open_index
    n = len(text)
    while index < n:
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "{":
            level += 1
        elif char == "}":
            level -= 1
            if level == 0:
                return index
        index += 1
    return -1


_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\[(.+?)\\\]|\\\((.+?)\\\)", re.DOTALL)


def extract(text: str) -> str | ParseFailure:
    """The answer inside a response: the last `\\boxed{}`/`\\fbox{}`, else the last math segment."""
    text = text.replace("\\$", " ")  # an escaped dollar is a currency sign, not a delimiter
    start = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if start >= 0:
        index = start + (6 if text.startswith("\\boxed", start) else 5)
        while index < len(text) and text[index] == " ":
            index += 1
        if index < len(text) and text[index] == "{":
            end = _matching_brace(text, index)
            if end < 0:
                return ParseFailure("unbalanced braces in \\boxed{...}", column=index + 1, found="{")
            return text[index + 1 : end]
        rest = text[index:].split(None, 1)
        return rest[0].rstrip("$") if rest else ""
    if "$" in text or "\\[" in text or "\\(" in text:
        found = _MATH.findall(text)
        if found:
            return next(part for part in found[-1] if part)
        if "$" in text:
            return ParseFailure("unbalanced $ delimiters", column=text.index("$") + 1, found="$")
    return text


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
_SPACING = re.compile(r"\\[,;:! ]|\\q?quad(?![a-zA-Z])|\\(?:display|text)style(?![a-zA-Z])|~|\\textdollar")
_FRAC_NAMES = re.compile(r"\\[dtc]frac(?![a-zA-Z])")
_BINOM_NAMES = re.compile(r"\\[dt]binom(?![a-zA-Z])")
_RELATION_NAMES = re.compile(r"\\(leqslant|geqslant|leq|geq|neq)(?![a-zA-Z])")
_TEXT = re.compile(
    r"\\(text|textbf|textit|textrm|textnormal|mathrm|mathbf|mathit|mathsf|mbox|operatorname)\s*"
    r"\{([^{}]*)\}(\s*\^\s*(?:\{\s*\d\s*\}|\d))?"
)
_TEXT_FUNCTIONS = frozenset(
    {"sin", "cos", "tan", "cot", "sec", "csc", "ln", "log", "exp", "gcd", "lcm", "max", "min"}
)
_NUMBER_THEN_WORDS = re.compile(r"(-?[\d.,]*\d)\s*([A-Za-z][A-Za-z .]*)")
_DEGREE = re.compile(r"\^\s*\{?\s*\\circ\s*\}?|\\degree(?![a-zA-Z])|\\circ(?![a-zA-Z])")
_WORD_SEPARATORS = re.compile(r"\s+(?:or|and)\s+")
_TRAILING_WORDS = re.compile(r"(?<=[\d}\)\]%\u00b0])\s+((?:[A-Za-z]{2,}\.?\s*)+)$")
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


def _text_command(match: re.Match, units: list[str]) -> str:
    command, content, exponent = match.group(1), match.group(2).strip(), match.group(3) or ""
    letters = sum(c.isalpha() for c in content)
    if not content:
        return " "
    if content.lower() in ("or", "and"):
        return ","
    if content in _TEXT_FUNCTIONS:
        return f"\\{content} "
    after_number = match.string[: match.start()].rstrip()[-1:].isdigit()
    if letters == 1 and content.isalpha() and (command == "text" or command == "mbox") and after_number:
        units.append(content + exponent.replace(" ", ""))  # `5\text{ m}`: a one-letter unit
        return " "
    if letters <= 1:  # `\text{5}`, `\mathrm{e}`, `\text{(C)}`: keep the content
        return f" {content}{exponent} "
    quantity = _NUMBER_THEN_WORDS.fullmatch(content)
    if quantity is not None:  # `\text{5 cm}`
        units.append(quantity.group(2) + exponent.replace(" ", ""))
        return f" {quantity.group(1)} "
    units.append((content + exponent.replace(" ", "")).strip())
    return " "


#: Two-letter words that are units; other bare trailing words need three letters (`2 ab` is 2ab).
_SHORT_UNITS = frozenset(
    {"cm", "mm", "km", "kg", "mg", "ft", "in", "yd", "mi", "oz", "lb", "hr", "ml", "mL", "cc", "sq"}
)


def _unit_words(words: str) -> bool:
    """Whether trailing bare words after a number read as a unit (`5 cm`, `12 square feet`)."""
    parts = [w.rstrip(".") for w in words.split()]
    if _BARE_WORDS.fullmatch(" ".join(parts)):
        return False
    return all(len(w) >= 3 or w in _SHORT_UNITS for w in parts)


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
        return match.group(0).replace(",", "") if all(c in top for c in commas) else match.group(0)

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


def normalise(answer: str) -> tuple[str, tuple[str, ...]]:
    """Rewrite an extracted answer into the grammar's input; returns (text, units found)."""
    units: list[str] = []
    text = answer.translate(_UNICODE)
    text = _SIZING.sub("", text)
    text = _THIN_THOUSANDS.sub("", text)
    text = _SPACING.sub(" ", text)
    text = _FRAC_NAMES.sub(r"\\frac", text)
    text = _BINOM_NAMES.sub(r"\\binom", text)
    text = _RELATION_NAMES.sub(lambda m: "\\" + m.group(1)[:2], text)
    if "\\" in text:
        for _ in range(3):  # nested \text{\textbf{...}} unwraps from the inside out
            new = _TEXT.sub(lambda m: _text_command(m, units), text)
            if new == text:
                break
            text = new
    text = _DEGREE.sub("\u00b0", text)
    text = text.replace("\\%", "%").replace("{,}", "").replace("**", "^")
    text = _WORD_SEPARATORS.sub(",", text)
    text = text.strip().rstrip(".").strip()
    trailing = _TRAILING_WORDS.search(text)
    if trailing is not None and _unit_words(trailing.group(1)):
        units.append(" ".join(trailing.group(1).split()))
        text = text[: trailing.start()].rstrip()
    text = _BARE_WORDS.sub(lambda m: "\\infty" if m.group(1).startswith("inf") else "\\" + m.group(1), text)
    text = _FRAC_FIRST.sub(r"\\frac{\1}", text)
    text = _FRAC_SECOND.sub(r"\\frac\1{\2}", text)
    text = _SQRT_SHORT.sub(r"\\sqrt{\1}", text)
    text = _FUNCTION_NAME.sub(r"\1_{\2} =", text)  # `f(x) = 2x` assigns to the name f_x
    text = _MIXED_NUMBER.sub(r"(\1+\\frac{\2}{\3})", text)
    text = _bars(text)
    text = _PLAIN_UNION.sub(r" \\cup ", text)
    text = _drop_thousands(text)
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
