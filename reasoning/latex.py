"""LaTeX answers -> typed `Answer` objects (scalars, tuples, sets, intervals, equations).

`parse_answer(text)` takes a final answer as models and datasets write it (`\\boxed{\\frac12}`,
`$x = 5$`, `[0, \\infty)`, `n = 2,3,4`, `50\\%`, `5\\text{ cm}`) and returns an `Answer` or a
`ParseFailure`; it never raises on bad input and never evaluates anything.

Two stages, both cheap:
1. `extract` and `normalise` (regular expressions): take the last `\\boxed{...}` (or the last
   math segment), drop spacing and `\\left`/`\\right`, rewrite shorthands (`\\frac12`, `\\sqrt2`,
   `^\\circ`, `|x|`), and pull out units (`\\text{ cm}`, a trailing ` meters`).
2. The LALR grammar `grammars/latex.lark`, whose transformer builds the answer while parsing
   (no parse tree, no recursion), so hostile nesting costs a pre-check, not a RecursionError.

Conventions (documented once, here):
- Thousands separators: `1{,}000` and `1\\,000` always mean 1000. A bare comma means thousands
  only at bracket depth 0, between a 1-3 digit group (not starting with 0) and groups of exactly
  three digits with no space (`1,000`, `12,345,678`); otherwise a comma separates list items
  (`2, 3`, `n=2,3,4`, `(1,000)`, `[0,100]`).
- `(a, b)` is a `TupleAnswer`; it stands for the open interval when compared with an interval.
  `[a, b]` is a closed interval; `(a, b]` and `[a, b)` are intervals.
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
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import lru_cache

from lark import Lark, Token, Transformer
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput

from grammars import grammar_text
from proofs.claims import BinOp, Call, Const, Expr, Neg, Num, Var, children
from proofs.parsing import ParseFailure

#: Longest text scanned for an answer (a whole model response may be passed).
MAX_INPUT_CHARS = 100_000
#: Longest text whose parse is cached.
MAX_CACHED_CHARS = 512
#: Longest extracted answer parsed.
MAX_ANSWER_CHARS = 2_000
#: Deepest bracket nesting and deepest expression tree accepted.
MAX_NESTING = 64
MAX_DEPTH = 200
#: At most this many `\\pm` signs are expanded (each doubles the values).
MAX_PLUS_MINUS = 3

# ------------------------------------------------------------------ answers


@dataclass(frozen=True, slots=True)
class Scalar:
    """One value; `mark` is '' or '%' (percent) or '°' (degrees); `unit` is stripped text."""

    expr: Expr
    mark: str = ""
    unit: str = ""


@dataclass(frozen=True, slots=True)
class TupleAnswer:
    """An ordered tuple `(1, 2)` or list `[1, 2, 3]`."""

    items: tuple[Scalar, ...]
    bracket: str = "("


@dataclass(frozen=True, slots=True)
class FiniteSet:
    """`\\{1, 2\\}` (braced) or a bare list `1, 2`; order and repetition do not matter."""

    items: tuple[Scalar, ...]
    braced: bool = True


@dataclass(frozen=True, slots=True)
class Interval:
    """A real interval; an end of None is infinite (and then never closed)."""

    lo: Expr | None
    hi: Expr | None
    lo_closed: bool
    hi_closed: bool


@dataclass(frozen=True, slots=True)
class IntervalUnion:
    """A union of two or more intervals (a point `\\{a\\}` is the interval [a, a])."""

    parts: tuple[Interval, ...]


@dataclass(frozen=True, slots=True)
class Equation:
    """`lhs = rhs` where the left side is not a lone variable defined by the right."""

    lhs: Expr
    rhs: Expr


@dataclass(frozen=True, slots=True)
class Assignment:
    """`x = 5`, `n = 2, 3, 4`, `x \\in [0, 1)`, `y = 2x + 1`: a variable and its value(s)."""

    name: str
    value: Scalar | FiniteSet | TupleAnswer | Interval | IntervalUnion


@dataclass(frozen=True, slots=True)
class System:
    """Several assignments to distinct variables: `x = 1, y = 2`."""

    assignments: tuple[Assignment, ...]


@dataclass(frozen=True, slots=True)
class Text:
    """An answer in words (`\\text{no solution}`), lower-cased with spaces collapsed."""

    text: str


Answer = Scalar | TupleAnswer | FiniteSet | Interval | IntervalUnion | Equation | Assignment | System | Text

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


# ------------------------------------------------------------------ stage 2: grammar


class _Unsupported(Exception):
    """Well-formed LaTeX that this answer language does not cover (reported as a ParseFailure)."""

    def __init__(self, message: str, token: Token | None = None):
        super().__init__(message)
        self.column = getattr(token, "column", None) or 1


@dataclass(frozen=True, slots=True)
class _PlusMinus:
    """`a \\pm b` inside an expression; expanded into two values before anything else sees it."""

    left: Expr | None
    right: Expr


_ONE = Num(Fraction(1))


def _scalar(value) -> Scalar:
    if isinstance(value, Scalar):
        return value
    if isinstance(value, (TupleAnswer, FiniteSet, Interval, IntervalUnion)):
        raise _Unsupported(f"a {type(value).__name__} cannot be an element here")
    return Scalar(value)


def _is_inf(expr: Expr, sign: int) -> bool:
    if sign > 0:
        return expr == Const("inf")
    return isinstance(expr, Neg) and expr.arg == Const("inf")


def _interval(lo: Scalar, hi: Scalar, lo_closed: bool, hi_closed: bool) -> Interval:
    if lo.mark or hi.mark:
        raise _Unsupported("interval ends cannot carry % or degrees")
    lo_expr: Expr | None = lo.expr
    hi_expr: Expr | None = hi.expr
    if _is_inf(lo.expr, -1):
        lo_expr, lo_closed = None, False
    if _is_inf(hi.expr, 1):
        hi_expr, hi_closed = None, False
    for end in (lo_expr, hi_expr):
        if end is not None and _mentions_infinity(end):
            raise _Unsupported("infinity can only be an interval's lower (-) or upper (+) end")
    return Interval(lo_expr, hi_expr, lo_closed, hi_closed)


def _mentions_infinity(expr: Expr) -> bool:
    stack = [expr]
    while stack:
        node = stack.pop()
        if node == Const("inf"):
            return True
        stack.extend(children(node))
    return False


def _as_interval(piece) -> Interval:
    match piece:
        case Interval():
            return piece
        case TupleAnswer(items, "(") if len(items) == 2:
            return _interval(items[0], items[1], False, False)
        case FiniteSet((item,), True):
            return _interval(item, item, True, True)
        case IntervalUnion():
            raise AssertionError("unions are flattened by the caller")
    raise _Unsupported(f"a {type(piece).__name__} cannot be part of a union of intervals")


_FUNC_NAMES = {"sin": "sin", "cos": "cos", "tan": "tan", "ln": "ln", "exp": "exp"}
_RECIPROCAL = {"cot": "tan", "sec": "cos", "csc": "sin"}
_RELATIONS = {"=": "=", "<": "<", ">": ">", "\\lt": "<", "\\gt": ">", "\\le": "<=", "\\ge": ">="}
_RELATIONS.update({"\\leq": "<=", "\\geq": ">=", "\\ne": "!=", "\\neq": "!=", "\\in": "in"})


def _apply(token: Token, arg: Expr, base: Expr | None = None) -> Expr:
    name = str(token)[1:]
    if base is not None:
        if name != "log":
            raise _Unsupported(f"\\{name} takes no subscript", token)
        return Call("log", (arg, base))
    if name in _FUNC_NAMES:
        return Call(_FUNC_NAMES[name], (arg,))
    if name == "log" or name == "lg":
        return Call("log", (arg, Num(Fraction(10))))
    if name in _RECIPROCAL:
        return BinOp("/", _ONE, Call(_RECIPROCAL[name], (arg,)))
    raise _Unsupported(f"the function \\{name} is not supported", token)


class _ToAnswer(Transformer):
    """Callbacks named after grammar rules; each builds one expression or answer piece."""

    # ---------------------------------------------------------- expressions
    def number(self, items):
        return Num(Fraction(str(items[0])))

    def name(self, items):
        text = str(items[0])
        base, _, sub = text.partition("_")
        if base == "e" and not sub:
            return Const("e")
        if base == "i" and not sub:
            return Const("i")
        base = base.lstrip("\\")  # `\alpha` is the variable alpha
        sub = sub.strip("{}")
        return Var(f"{base}_{sub}" if sub else base)

    def constant(self, items):
        return Const("pi" if str(items[0]) == "\\pi" else "inf")

    def add(self, items):
        return BinOp("+", items[0], items[1])

    def sub(self, items):
        return BinOp("-", items[0], items[1])

    def plus_minus(self, items):
        return _PlusMinus(items[0], items[2])

    def plus_minus_unary(self, items):
        return _PlusMinus(None, items[1])

    def mul(self, items):
        return BinOp("*", items[0], items[-1])

    def div(self, items):
        return BinOp("/", items[0], items[-1])

    def neg(self, items):
        return Neg(items[0])

    def pow(self, items):
        return BinOp("^", items[0], items[1])

    def factorial(self, items):
        return Call("factorial", (items[0],))

    def frac(self, items):
        return BinOp("/", items[1], items[2])

    def sqrt(self, items):
        return Call("sqrt", (items[1],))

    def root(self, items):
        return Call("root", (items[2], items[1]))

    def binom(self, items):
        return Call("binomial", (items[1], items[2]))

    def abs_(self, items):
        return Call("abs", (items[1],))

    def floor(self, items):
        return Call("floor", (items[1],))

    def ceil(self, items):
        return Call("ceil", (items[1],))

    def multi_call(self, items):
        token, args = items[0], tuple(items[1:])
        name = str(token)[1:]
        if name in ("gcd", "lcm") and len(args) != 2:
            raise _Unsupported(f"\\{name} takes 2 arguments, got {len(args)}", token)
        return Call(name, args)

    def paren_arg(self, items):
        return items[0]

    def func(self, items):
        return _apply(items[0], items[1])

    def func_power(self, items):
        token, exponent, arg = items
        if exponent == Neg(_ONE):
            raise _Unsupported(f"inverse functions ({token}^{{-1}}) are not supported", token)
        return BinOp("^", _apply(token, arg), exponent)

    def func_base(self, items):
        return _apply(items[0], items[2], items[1])

    def func_paren_power(self, items):
        return BinOp("^", _apply(items[0], items[1]), items[2])

    # ---------------------------------------------------------- answer pieces
    def percent(self, items):
        return Scalar(items[0], "%")

    def degrees(self, items):
        return Scalar(items[0], "\u00b0")

    def set_(self, items):
        values = [v for v in items[1:-1] if v is not None]
        return FiniteSet(tuple(_scalar(v) for v in values), True)

    def paren_list(self, items):
        values = [v for v in items if not isinstance(v, Token)]
        scalars = tuple(_scalar(v) for v in values)
        if len(scalars) == 2 and any(_mentions_infinity(s.expr) for s in scalars):
            return _interval(scalars[0], scalars[1], False, False)
        return TupleAnswer(scalars, "(")

    def bracket_list(self, items):
        scalars = tuple(_scalar(v) for v in items)
        if len(scalars) == 2:
            return _interval(scalars[0], scalars[1], True, True)
        return TupleAnswer(scalars, "[")

    def open_closed(self, items):
        return _interval(_scalar(items[0]), _scalar(items[1]), False, True)

    def closed_open(self, items):
        return _interval(_scalar(items[0]), _scalar(items[1]), True, False)

    def empty(self, _):
        return FiniteSet((), True)

    def reals(self, _):
        return Interval(None, None, False, False)

    def union(self, items):
        left, right = items[0], items[2]
        parts = list(left.parts) if isinstance(left, IntervalUnion) else [_as_interval(left)]
        parts.append(_as_interval(right))
        return IntervalUnion(tuple(parts))

    def chain(self, items):
        terms = items[0::2]
        ops = [_RELATIONS[str(t)] for t in items[1::2]]
        return _relation(terms, ops, items[1])

    def entries(self, items):
        return _combine(items)


def _relation(terms: list, ops: list[str], token: Token):
    if ops == ["="]:
        lhs, rhs = terms
        if isinstance(lhs, Var):
            if isinstance(rhs, (FiniteSet, TupleAnswer, Interval, IntervalUnion)):
                return Assignment(lhs.name, rhs)
            rhs = _scalar(rhs)
            if lhs.name not in _names(rhs.expr):
                return Assignment(lhs.name, rhs)
            return Equation(lhs, rhs.expr) if not rhs.mark else _fail_relation("=", token)
        if _is_expr(lhs) and _is_expr(rhs):
            return Equation(lhs, rhs)
        return _fail_relation("=", token)
    if ops == ["in"]:
        lhs, rhs = terms
        if isinstance(rhs, TupleAnswer) and len(rhs.items) == 2 and rhs.bracket == "(":
            rhs = _as_interval(rhs)
        if isinstance(lhs, Var) and isinstance(rhs, (FiniteSet, Interval, IntervalUnion)):
            return Assignment(lhs.name, rhs)
        return _fail_relation("\\in", token)
    return _inequality(terms, ops, token)


def _is_expr(value) -> bool:
    return isinstance(value, (Num, Var, Const, Neg, BinOp, Call, _PlusMinus))


def _fail_relation(op: str, token: Token):
    raise _Unsupported(f"unsupported use of {op}", token)


def _inequality(terms: list, ops: list[str], token: Token):
    """`x > 3`, `3 <= x`, `a < x <= b`, `x != 3` as an assignment of an interval (union)."""
    if not all(_is_expr(t) and not isinstance(t, _PlusMinus) for t in terms):
        _fail_relation(str(token), token)
    minus_inf, plus_inf = Scalar(Neg(Const("inf"))), Scalar(Const("inf"))
    flip = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "!=": "!="}
    if len(terms) == 2:
        if isinstance(terms[0], Var) and terms[0].name not in _names(terms[1]):
            var, op, bound = terms[0], ops[0], Scalar(terms[1])
        elif isinstance(terms[1], Var) and terms[1].name not in _names(terms[0]):
            var, op, bound = terms[1], flip[ops[0]], Scalar(terms[0])
        else:
            _fail_relation(ops[0], token)
        if op == "!=":
            parts = (_interval(minus_inf, bound, False, False), _interval(bound, plus_inf, False, False))
            return Assignment(var.name, IntervalUnion(parts))
        if op in ("<", "<="):
            return Assignment(var.name, _interval(minus_inf, bound, False, op == "<="))
        return Assignment(var.name, _interval(bound, plus_inf, op == ">=", False))
    if len(terms) == 3 and isinstance(terms[1], Var):
        name, (lo, hi) = terms[1].name, (terms[0], terms[2])
        if ops[0] in (">", ">=") and ops[1] in (">", ">="):
            lo, hi, ops = hi, lo, [flip[ops[1]], flip[ops[0]]]
        if ops[0] in ("<", "<=") and ops[1] in ("<", "<=") and name not in _names(lo) | _names(hi):
            return Assignment(name, _interval(Scalar(lo), Scalar(hi), ops[0] == "<=", ops[1] == "<="))
    _fail_relation(" ".join(ops), token)


def _combine(entries: list):
    """A top-level comma list -> one answer (see the module docstring for the rules)."""
    if len(entries) == 1:
        entry = entries[0]
        return Scalar(entry) if _is_expr(entry) else entry
    first, rest = entries[0], entries[1:]
    if isinstance(first, Assignment) and isinstance(first.value, Scalar):
        if all(_is_expr(e) or isinstance(e, Scalar) for e in rest):
            return Assignment(first.name, FiniteSet((first.value, *(_scalar(e) for e in rest)), False))
        if all(isinstance(e, Assignment) and isinstance(e.value, Scalar) for e in entries):
            names = [e.name for e in entries]
            if len(set(names)) == 1:
                return Assignment(first.name, FiniteSet(tuple(e.value for e in entries), False))
            if len(set(names)) == len(names):
                return System(tuple(entries))
    if all(_is_expr(e) or isinstance(e, Scalar) for e in entries):
        return FiniteSet(tuple(_scalar(e) for e in entries), False)
    raise _Unsupported("unsupported comma-separated list (mix of kinds)")


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(
        grammar_text("latex"),
        parser="lalr",
        lexer="contextual",
        transformer=_ToAnswer(),
        propagate_positions=False,
        maybe_placeholders=True,
    )


# ------------------------------------------------------------------ post-processing


def _expand(expr) -> list[Expr]:
    """All sign choices of the `\\pm` nodes in `expr` (depth is bounded before this runs)."""
    match expr:
        case _PlusMinus(left, right):
            rights = _expand(right)
            if left is None:
                return [r for r in rights] + [Neg(r) for r in rights]
            lefts = _expand(left)
            return [BinOp("+", a, b) for a in lefts for b in rights] + [
                BinOp("-", a, b) for a in lefts for b in rights
            ]
        case Neg(arg):
            return [Neg(a) for a in _expand(arg)]
        case BinOp(op, left, right):
            return [BinOp(op, a, b) for a in _expand(left) for b in _expand(right)]
        case Call(func, args):
            options: list[list[Expr]] = [[]]
            for arg in args:
                options = [done + [a] for done in options for a in _expand(arg)]
            return [Call(func, tuple(o)) for o in options]
    return [expr]


def _expand_scalars(items: tuple[Scalar, ...]) -> tuple[Scalar, ...]:
    out: list[Scalar] = []
    for item in items:
        out.extend(replace(item, expr=e) for e in dict.fromkeys(_expand(item.expr)))
    return tuple(out)


def _expand_answer(answer: Answer) -> Answer:
    """Replace `a \\pm b` by the two values: a scalar becomes a bare list, a list grows."""
    match answer:
        case Scalar():
            items = _expand_scalars((answer,))
            return items[0] if len(items) == 1 else FiniteSet(items, False)
        case FiniteSet(items, braced):
            return FiniteSet(_expand_scalars(items), braced)
        case Assignment(name, value) if isinstance(value, (Scalar, FiniteSet)):
            return Assignment(name, _expand_answer(value))
        case System(assignments):
            return System(tuple(_expand_answer(a) for a in assignments))
    if any(isinstance(node, _PlusMinus) for e in answer_expressions(answer) for node in _nodes(e)):
        raise _Unsupported("\\pm is only supported in values, sets and assignments")
    return answer


def _children(node) -> tuple:
    if isinstance(node, _PlusMinus):
        return (node.right,) if node.left is None else (node.left, node.right)
    return children(node)


def _nodes(expr):
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(_children(node))


def _names(expr) -> frozenset[str]:
    return frozenset(node.name for node in _nodes(expr) if isinstance(node, Var))


def answer_expressions(answer: Answer) -> list[Expr]:
    """Every expression inside an answer, in order (for depth checks and tests)."""
    match answer:
        case Scalar(expr):
            return [expr]
        case TupleAnswer(items) | FiniteSet(items):
            return [s.expr for s in items]
        case Interval(lo, hi):
            return [e for e in (lo, hi) if e is not None]
        case IntervalUnion(parts):
            return [e for p in parts for e in answer_expressions(p)]
        case Equation(lhs, rhs):
            return [lhs, rhs]
        case Assignment(_, value):
            return answer_expressions(value)
        case System(assignments):
            return [e for a in assignments for e in answer_expressions(a)]
    return []


def _with_units(answer: Answer, units: tuple[str, ...]) -> Answer:
    if not units:
        return answer
    unit = " ".join(units)
    match answer:
        case Scalar():
            return replace(answer, unit=unit)
        case Assignment(name, Scalar() as value):
            return Assignment(name, replace(value, unit=unit))
    return answer


def _too_deep(answer: Answer) -> bool:
    for expr in answer_expressions(answer):
        stack = [(expr, 1)]
        while stack:
            node, d = stack.pop()
            if d > MAX_DEPTH:
                return True
            stack.extend((child, d + 1) for child in _children(node))
    return False


# ------------------------------------------------------------------ public entry point


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
            return Text(" ".join(" ".join(units).lower().split()))
        return ParseFailure("empty answer", found="")
    if len(normal) < 200 and (fast := _fast_list(normal)) is not None:
        return _with_units(fast, units)
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
            result = _expand_answer(result)
        except _Unsupported as exc:
            return ParseFailure(str(exc))
    return _with_units(result, units)
