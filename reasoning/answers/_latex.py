"""LaTeX answers -> typed `Answer` objects (scalars, tuples, sets, intervals, equations).

`parse_answer(text)` takes a final answer as models and datasets write it (`\\boxed{\\frac12}`,
`$x = 5$`, `[0, \\infty)`, `n = 2,3,4`, `50\\%`, `5\\text{ cm}`) and returns an `Answer` or a
`ParseFailure`; it never raises on bad input and never evaluates anything.

Two stages, both cheap:
1. `extract` and `normalise` (regular expressions, `reasoning.answers._latex_text`): take the last `\\boxed{...}` (or the last
   math segment), drop spacing and `\\left`/`\\right`, rewrite shorthands (`\\frac12`, `\\sqrt2`,
   `^\\circ`, `|x|`), and pull out units (`\\text{ cm}`, a trailing ` meters`).
2. The LALR grammar `grammars/latex.lark` (`reasoning.answers._latex_grammar`), whose transformer builds the answer while parsing
   (no parse tree, no recursion), so hostile nesting costs a pre-check, not a RecursionError.

Plain numbers and lists of plain numbers take a fast path past both stages (checked against
the grammar by the tests). The answer types live in `reasoning.answers._answers` and are re-exported
here.

Conventions (documented once, here):
- Thousands separators: `1{,}000` and `1\\,000` always mean 1000. A bare comma means thousands
  only at bracket depth 0, between a 1-3 digit group (not starting with 0) and groups of exactly
  three digits with no space (`1,000`, `12,345,678`); otherwise a comma separates list items
  (`2, 3`, `n=2,3,4`, `(1,000)`, `[0,100]`).
- `(a, b)` is a `TupleAnswer`; it stands for the open interval when compared with an interval.
  `[a, b]` is a closed interval; `(a, b]` and `[a, b)` are intervals. Reversed ends are not an
  interval: `[5, 2]` is a list, `(3, 1)` a tuple, `(3, 1]` unsupported.
- Words after a value are read (`5 million`, `(x+1) squared`, `12 percent`) or kept as a unit
  (`reasoning.answers._units`); an unknown command or `\\operatorname{}` makes the answer unsupported.
- Currency signs are units: `\\$5` (and a lone `$5`, see `_extraction`) is 5 dollars, `50¢` is
  50 cents; `\\$5 \\text{ dollars}` names the unit once.
- `(2, 2), (1, 3)` and `\\{(1, 2), (3, 4)\\}` are sets of tuples; `1; 2; 3` is a list;
  `(p, q) = (1, 2)` is a system; `|AB| = 1` labels a value; `7:3` is a ratio (its value),
  `H:MM` a time of day; `204_5` a base-5 numeral; `pmatrix`/`bmatrix` a `Matrix`;
  `\\sum`/`\\prod` with integer bounds are expanded; exact logarithms are folded (`\\log_2 8` = 3).
- A bare comma list `2, 3` is a `FiniteSet` with `braced=False` (order does not matter).
- `x = 5` is an `Assignment`; so is `y = 2x + 1` (the left side is a lone variable that does not
  occur on the right); other equations are `Equation`s. `x > 3`, `x \\in [1, 2)` and
  `-1 < x \\le 3` are assignments of an interval.
- `e` is Euler's number and `i` the imaginary unit; `\\log x` is base 10 (as in math-verify and
  competition usage), `\\ln x` natural, `\\log_b x` base b.
- `3\\frac{1}{2}` is the mixed number 3 + 1/2 (an integer directly before a fraction of integers),
  as in math-verify; `3 \\cdot \\frac{1}{2}` is a product.
- `2x^23` reads the whole number as the exponent (`x^{23}`), as plain-text answers mean it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from fractions import Fraction
from functools import lru_cache

from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput

from proofs.claims import BinOp, Const, Expr, Neg, Num
from proofs.parsing import DOUBLE_FACTORIAL, ParseFailure

# The answer types, `extract`, `normalise` and `MAX_NESTING` are re-exported: they stay importable
# from here, where callers and tests have always found them.
from reasoning.answers._answers import (  # noqa: F401
    Answer,
    Assignment,
    Equation,
    FiniteSet,
    Interval,
    IntervalUnion,
    Scalar,
    System,
    TextAnswer,
    TupleAnswer,
    answer_expressions,
)
from reasoning.answers._latex_grammar import _children, _parser, _ToAnswer, _Unsupported, expand_answer
from reasoning.answers._latex_text import MAX_NESTING, _nesting_failure, extract, normalise  # noqa: F401

#: Longest text scanned for an answer (a whole model response may be passed).
MAX_INPUT_CHARS = 100_000
#: Longest text whose parse is cached.
MAX_CACHED_CHARS = 512
#: Longest extracted answer parsed.
MAX_ANSWER_CHARS = 2_000
#: A whole answer of plain letters and spaces with a word of three letters or more (`yes`, `no
#: solution`), or `no`: read as words. Digits, operators, commands (`2ab`, `a + b`, `\\pi`) and
#: two letters (`ab`) keep algebra.
_WORDS = re.compile(r"[A-Za-z]+(?:\s+[A-Za-z]+)*")
_WORD = re.compile(r"[A-Za-z]{3}")
#: Two-letter whole answers that are words, not the product of two variables (`ab` is a*b).
_SHORT_WORDS = frozenset({"no", "ok"})


def _fold(word: str) -> str:
    """`Yes` and `yes` are one word; `CO` and `Co`, `NaCl` and `nacl` are not (case is data there)."""
    return word.lower() if len(word) > 1 and word[1:].islower() else word


#: Deepest expression tree accepted (the deepest bracket nesting is `MAX_NESTING`).
MAX_DEPTH = 200
#: At most this many `\\pm` signs are expanded (each doubles the values).
MAX_PLUS_MINUS = 3

# ------------------------------------------------------------------ post-processing


def _with_units(answer: Answer, units: tuple[str, ...]) -> Answer | ParseFailure:
    """Attach the units to the values they follow; never drop them (see `reasoning.answers._units`)."""
    if not units:
        return answer
    # One unit for the whole answer, or the same unit after every item of a list (`3 cm, 4 cm`);
    # anything else (`5 cm \times 3 cm`) makes one unit text that only matches itself.
    items = answer.items if isinstance(answer, (FiniteSet, TupleAnswer)) else ()
    same_per_item = len(set(units)) == 1 and len(units) == len(items)
    unit = units[0] if len(units) == 1 or same_per_item else " ; ".join(units)
    match answer:
        case Scalar():
            return replace(answer, unit=unit)
        case Assignment(name, Scalar() as value):
            return Assignment(name, replace(value, unit=unit))
        case FiniteSet(items, braced) if all(isinstance(i, Scalar) for i in items):
            return FiniteSet(tuple(replace(i, unit=unit) for i in items), braced)
        case TupleAnswer(items, bracket):
            return TupleAnswer(tuple(replace(i, unit=unit) for i in items), bracket)
        case Assignment(name, FiniteSet() | TupleAnswer() as value):
            return Assignment(name, _with_units(value, units))
    return ParseFailure(f"units ({unit}) on {type(answer).__name__} answers are not supported")


def _too_deep(answer: Answer) -> bool:
    for expr in answer_expressions(answer):
        stack = [(expr, 1)]
        while stack:
            node, d = stack.pop()
            if d > MAX_DEPTH:
                return True
            stack.extend((child, d + 1) for child in _children(node))
    return False


# ------------------------------------------------------------------ syntax errors


def _caret(text: str, column: int) -> str:
    start = max(0, column - 1 - 30)
    return text[start : column - 1 + 30] + "\n" + " " * (column - 1 - start) + "^"


_TOKEN_NAMES = {
    "NUMBER": "a number",
    "NAME": "a variable",
    "CONSTANT": "\\pi or \\infty",
    "FUNC": "a function (\\sin, \\ln, ...)",
    "MFUNC": "\\gcd, \\lcm, \\max or \\min",
    "FRAC": "\\frac",
    "SQRT": "\\sqrt",
    "BINOM": "\\binom",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "SETOPEN": "'\\{'",
    "SETCLOSE": "'\\}'",
    "COMMA": "','",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "PM": "\\pm",
    "MUL": "\\cdot",
    "DIV": "'/'",
    "CIRCUMFLEX": "'^'",
    "BANG": "'!'",
    "PERCENT": "'%'",
    "REL": "a relation (= < > \\le \\ge \\ne \\in)",
    "CUP": "\\cup",
    "$END": "end of answer",
}


def _syntax_failure(exc: UnexpectedInput, text: str) -> ParseFailure:
    column = getattr(exc, "column", None)
    token = getattr(exc, "token", None)
    found = ""
    if isinstance(exc, UnexpectedEOF) or (token is not None and token.type == "$END"):
        column, found = len(text) + 1, "end of answer"
    elif token is not None:
        found = str(token)
    elif isinstance(exc, UnexpectedCharacters):
        found = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else ""
    if not isinstance(column, int) or column < 1:
        column = len(text) + 1
    expected = getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ()
    names = tuple(
        sorted({_TOKEN_NAMES.get(str(t), str(t).lower()) for t in expected if not str(t).startswith("__")})
    )
    return ParseFailure(
        "unexpected input in the (normalised) answer",
        column=column,
        expected=names,
        found=found,
        context=_caret(text, column),
    )


# ------------------------------------------------------------------ public entry point


def parse_answer(text: str) -> Answer | ParseFailure:
    """Parse a LaTeX (or plain-text) final answer; returns an `Answer` or a `ParseFailure`.

    Example: `parse_answer(r"\\boxed{x = \\frac{1}{2}}")` is
    `Assignment("x", Scalar(BinOp("/", Num(1), Num(2))))`.
    Never raises on bad input: non-strings, huge or NUL-containing text, unbalanced braces and
    deep nesting all come back as ParseFailure, after cheap checks.
    """
    if not isinstance(text, str):
        return ParseFailure(f"an answer is a string, got {type(text).__name__}")
    if len(text) > MAX_INPUT_CHARS:
        return ParseFailure(f"text is {len(text)} characters long; the limit is {MAX_INPUT_CHARS}")
    if "\x00" in text:
        return ParseFailure("text contains a NUL byte", column=text.index("\x00") + 1, found="\\x00")
    # Whole responses are parsed but not cached: the cache holds short answers (gold answers
    # repeat across samples), so it stays small.
    return _parse_cached(text) if len(text) <= MAX_CACHED_CHARS else _parse(text)


#: Plain numbers and fractions of integers: most answers. They skip normalisation and the
#: grammar (a Lark parse costs ~50 us); tests check they give the grammar's trees exactly.
_FAST_NUMBER = re.compile(r"\s*(-)?\s*(?:(\d+(?:\.\d+)?)|\\[dt]?frac\{(\d+)\}\{(\d+)\}|(\d+)/(\d+))\s*")


def _fast_number(answer: str) -> Scalar | None:
    match = _FAST_NUMBER.fullmatch(answer)
    if match is None:
        return None
    minus, number, frac_num, frac_den, num, den = match.groups()
    if number is not None:
        expr: Expr = Num(Fraction(number))
    elif frac_num is not None:
        expr = BinOp("/", Num(Fraction(int(frac_num))), Num(Fraction(int(frac_den))))
    else:  # `-3/8` parses as (-3)/8: unary minus binds tighter than division
        top = Num(Fraction(int(num)))
        return Scalar(BinOp("/", Neg(top) if minus else top, Num(Fraction(int(den)))))
    return Scalar(Neg(expr) if minus else expr)


_ITEM = r"\s*[-+]?\s*(?:\d+(?:\.\d+)?|\\frac\{\d+\}\{\d+\}|\d+/\d+|\\infty)\s*"
_FAST_ITEM = re.compile(r"\s*([-+])?\s*(?:(\d+(?:\.\d+)?)|\\frac\{(\d+)\}\{(\d+)\}|(\d+)/(\d+)|(\\infty))\s*")
#: Lists, sets, tuples and intervals of plain numbers, e.g. `\{1, -2\}`, `[0, \infty)`.
_FAST_LIST = re.compile(rf"(\\\{{|\(|\[)?({_ITEM}(?:,{_ITEM})*)(\\\}}|\)|\])?")
_FAST_BRACKETS = {("\\{", "\\}"), ("(", ")"), ("[", "]"), ("(", "]"), ("[", ")"), (None, None)}


def _fast_item(text: str) -> Expr:
    sign, number, frac_num, frac_den, num, den, infinity = _FAST_ITEM.fullmatch(text).groups()
    minus = sign == "-"
    if num is not None:  # `-3/8` parses as (-3)/8
        top: Expr = Num(Fraction(int(num)))
        return BinOp("/", Neg(top) if minus else top, Num(Fraction(int(den))))
    if number is not None:
        expr: Expr = Num(Fraction(number))
    elif frac_num is not None:
        expr = BinOp("/", Num(Fraction(int(frac_num))), Num(Fraction(int(frac_den))))
    else:
        expr = Const("inf")
    return Neg(expr) if minus else expr


def _fast_list(normal: str) -> Answer | None:
    """The grammar's answer for a bracketed list of plain numbers, without the grammar.

    Returns None when the text is anything else (or would be a parse failure), so the grammar
    decides those; tests check that both paths agree wherever this one answers.
    """
    match = _FAST_LIST.fullmatch(normal)
    if match is None or (match.group(1), match.group(3)) not in _FAST_BRACKETS:
        return None
    opener, body, closer = match.groups()
    items = tuple(Scalar(_fast_item(part)) for part in body.split(","))
    builder = _ToAnswer()
    try:
        if opener is None:
            return items[0] if len(items) == 1 else FiniteSet(items, False)
        if opener == "\\{":
            return FiniteSet(items, True)
        if len(items) == 1:
            return items[0] if opener + closer in ("()", "[]") else None
        kind = {"()": builder.paren_list, "[]": builder.bracket_list, "(]": builder.open_closed}
        kind["[)"] = builder.closed_open
        if len(items) > 2 and opener != closer.replace(")", "(").replace("]", "["):
            return None
        return kind[opener + closer]([s.expr for s in items])
    except _Unsupported:
        return None


def _parse(text: str) -> Answer | ParseFailure:
    answer = extract(text)
    if isinstance(answer, ParseFailure):
        return answer
    if len(answer) < 64 and (fast := _fast_number(answer)) is not None:
        return fast
    if len(answer) > MAX_ANSWER_CHARS:
        return ParseFailure(f"the answer is {len(answer)} characters long; the limit is {MAX_ANSWER_CHARS}")
    if (failure := _nesting_failure(answer)) is not None:
        return failure
    normal, units = normalise(answer)
    if not normal:
        if units:
            return TextAnswer(" ".join(_fold(w) for w in " ".join(units).split()))
        return ParseFailure("empty answer", found="")
    if _WORDS.fullmatch(normal) and (_WORD.search(normal) or normal.lower() in _SHORT_WORDS):
        # `yes`, `none`, `all real numbers`: words, not a product of one-letter variables (read
        # so, `cat` was proved equal to `act` and `Yes` refuted against `yes`)
        return TextAnswer(" ".join(_fold(w) for w in " ".join((normal, *units)).split()))
    if len(normal) < 200 and (fast := _fast_list(normal)) is not None:
        return _with_units(fast, units)
    # `5!!`: the double factorial (15) or (5!)!? Read as (5!)!, `720` was equivalent to `3!!`
    # and `15` not equivalent to `5!!`; refused, as in the claim language.
    if (double := DOUBLE_FACTORIAL.search(normal)) is not None:
        return ParseFailure(
            "n!! is ambiguous (the double factorial, or (n!)!): write (n!)! or the product",
            column=double.start() + 1,
            found=double.group(0),
        )
    return _parse_normalised(normal, units)


_parse_cached = lru_cache(maxsize=8192)(_parse)


def _parse_normalised(normal: str, units: tuple[str, ...]) -> Answer | ParseFailure:
    """The grammar path (also used by tests to check the fast paths)."""
    try:
        result = _parser().parse(normal)
    except UnexpectedInput as exc:
        return _syntax_failure(exc, normal)
    except _Unsupported as exc:
        return ParseFailure(str(exc), column=exc.column, context=_caret(normal, exc.column))
    except (LarkError, ValueError, ZeroDivisionError) as exc:  # ValueError: a malformed number
        return ParseFailure(str(getattr(exc, "orig_exc", exc)))
    if _too_deep(result):
        return ParseFailure(f"the answer is nested deeper than {MAX_DEPTH} operations")
    if "\\pm" in normal:
        if normal.count("\\pm") > MAX_PLUS_MINUS:
            return ParseFailure(f"more than {MAX_PLUS_MINUS} \\pm signs")
        try:
            result = expand_answer(result)
        except _Unsupported as exc:
            return ParseFailure(str(exc))
    return _with_units(result, units)
