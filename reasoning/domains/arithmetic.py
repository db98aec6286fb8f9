"""Domain `arithmetic`: the exact value of an arithmetic expression, optionally rounded.

Reads reasoning-gym `basic_arithmetic`, `decimal_arithmetic` and `chain_sum`. A task is an
expression over integers and decimals with `+ - * / ^ **`, parentheses and signs, e.g.
`{"domain": "arithmetic", "expression": "(0.664*6.635)*(5.867-4.618-4.105)",
"significant_digits": 12}`. The value is computed exactly (`Fraction`); the answer is that value
(`format`: integer, decimal or fraction), or the value correctly rounded to `significant_digits`
or `decimals` under `rounding` (half-up means ties away from zero, as Python's
`decimal.ROUND_HALF_UP`). An expression with no value (division by zero) has the answer
`undefined`, which is proved like any other answer.

This module also holds the small expression core the `equations` domain shares: a tokenizer and
recursive-descent parser with size and nesting limits checked before any work (10 MB strings and
100,000 nested parentheses are refused at once), a flat tree (sums and products are n-ary, so a
long chain is not a deep tree), a printer, and a bounded exact evaluator (sizes are checked before
a power is computed, so `2^2^2^2^100` is refused in microseconds). Nothing here evaluates text.

Claim lines (one per line, checked by `check_claim`): `EXPR = VALUE` (both sides closed
expressions; proved when they are exactly equal) and `EXPR = undefined` (proved when evaluating
EXPR divides by zero). The certificate embeds the project kernel's exact certificate
(`reasoning.api.verify`) when the claim fits the claim language; `recheck` re-evaluates with this
module's evaluator and re-checks the embedded certificate with `proofs.check.check_certificate`.

Sub-queries (solver worker): `evaluate: EXPR`. The planner splits a top-level chain (`a - b + c
...` or `a * b / c ...`) into up to `capacity` contiguous parts, forks one `evaluate:` per part,
then forks one `evaluate:` that combines the verified part values, and answers.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from proofs.verdict import Status
from reasoning.domains import register
from reasoning.domains.base import (
    Domain,
    DomainCheck,
    FieldSpec,
    Problem,
    TaskError,
    certificate,
    check_fields,
)

# ---------------------------------------------------------------- limits

#: Longest expression text read, in characters; longer text is refused before tokenizing.
MAX_EXPRESSION_CHARS = 50_000
#: Deepest nesting of brackets and signs accepted (the parser recurses once per level).
MAX_NESTING = 100
#: Largest numerator or denominator of any value computed, in bits (about 3,900 digits: below
#: Python's 4,300-digit limit on int <-> str, so every value can be written and read back).
MAX_BITS = 13_000
#: Most digits of one number in an expression.
MAX_NUMBER_DIGITS = 3_000
#: Most digits an answer may need (its value and the places asked for).
MAX_ANSWER_DIGITS = 4_000
#: Most decimal places or significant digits a task may ask for.
MAX_DIGITS = 1_000
#: Rounding rules for `rounding`.
ROUNDINGS = ("half-up", "half-even", "half-down", "down")
#: Answer formats for `format`.
FORMATS = ("auto", "integer", "decimal", "fraction")


class ExpressionError(ValueError):
    """Text that is not an expression of this language; the message gives the position."""


class TooLarge(ArithmeticError):
    """A value would exceed `MAX_BITS`; refused before it is computed."""


class Undefined(ArithmeticError):
    """The expression has no value (division by zero, zero to a negative power)."""


class NotRational(ArithmeticError):
    """The value is not a rational this evaluator computes (a non-integer exponent, a variable)."""


# ---------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d+)?|\.\d+)|(?P<name>[A-Za-z_][A-Za-z_0-9]*)|(?P<op>\*\*|[-+*/^()=×÷−]))"
)
_ALIASES = {"×": "*", "÷": "/", "−": "-", "**": "^"}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # num | name | op | end
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    """Tokens of `text`; ExpressionError (with the column) for anything else."""
    if not isinstance(text, str):
        raise ExpressionError(f"expected text, got {type(text).__name__}")
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ExpressionError(f"{len(text)} characters; the limit is {MAX_EXPRESSION_CHARS}")
    tokens: list[Token] = []
    pos, depth = 0, 0
    end = len(text.rstrip())
    while pos < end:
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            where = len(text) - len(text[pos:].lstrip())
            raise ExpressionError(f"unexpected character {text[where]!r} at column {where + 1}")
        kind = match.lastgroup or "op"
        raw = match.group(kind)
        value = _ALIASES.get(raw, raw)
        depth += value == "("
        depth -= value == ")"
        if depth > MAX_NESTING:
            raise ExpressionError(
                f"brackets nested deeper than {MAX_NESTING} at column {match.start(kind) + 1}"
            )
        tokens.append(Token(kind, value, match.start(kind) + 1))
        pos = match.end()
    tokens.append(Token("end", "", end + 1))
    return tokens


# ---------------------------------------------------------------- trees
# ("num", Fraction, text) | ("var", name) | ("neg", node) | ("pow", base, exponent)
# | ("sum", ((+1 | -1, node), ...)) | ("prod", (("*" | "/", node), ...))   (first sign +1 / "*")
Node = tuple


class _Parser:
    def __init__(self, tokens: list[Token], *, names: bool, implicit: bool) -> None:
        self.tokens, self.i, self.names, self.implicit, self.depth = tokens, 0, names, implicit, 0

    @property
    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def fail(self, what: str) -> ExpressionError:
        token = self.peek
        found = "the end" if token.kind == "end" else repr(token.text)
        return ExpressionError(f"expected {what} at column {token.pos}, found {found}")

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ExpressionError(f"brackets and signs nested deeper than {MAX_NESTING}")

    def expr(self) -> Node:
        terms = [(1, self.term())]
        while self.peek.text in ("+", "-") and self.peek.kind == "op":
            sign = 1 if self.take().text == "+" else -1
            terms.append((sign, self.term()))
        return terms[0][1] if len(terms) == 1 else ("sum", tuple(terms))

    def term(self) -> Node:
        factors = [("*", self.unary())]
        while True:
            token = self.peek
            if token.kind == "op" and token.text in ("*", "/"):
                self.take()
                factors.append((token.text, self.unary()))
            elif self.implicit and (token.kind in ("num", "name") or token.text == "("):
                factors.append(("*", self.power()))
            else:
                break
        return factors[0][1] if len(factors) == 1 else ("prod", tuple(factors))

    def unary(self) -> Node:
        token = self.peek
        if token.kind == "op" and token.text in ("+", "-"):
            self.take()
            self.nest()
            inner = self.unary()
            self.depth -= 1
            return ("neg", inner) if token.text == "-" else inner
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        if self.peek.kind == "op" and self.peek.text == "^":
            self.take()
            self.nest()
            exponent = self.unary()  # right associative: 2^3^2 = 2^9; 2^-1 is allowed
            self.depth -= 1
            return ("pow", base, exponent)
        return base

    def atom(self) -> Node:
        token = self.peek
        if token.kind == "num":
            if len(token.text) > MAX_NUMBER_DIGITS:
                raise ExpressionError(
                    f"a number with more than {MAX_NUMBER_DIGITS} digits at column {token.pos}"
                )
            self.take()
            return ("num", Fraction(token.text), token.text)
        if token.kind == "name":
            if not self.names:
                raise ExpressionError(
                    f"letters are not numbers: {token.text!r} at column {token.pos} (an arithmetic "
                    "expression has only numbers, + - * / ^ and brackets)"
                )
            self.take()
            return ("var", token.text)
        if token.kind == "op" and token.text == "(":
            self.take()
            self.nest()
            inner = self.expr()
            self.depth -= 1
            if not (self.peek.kind == "op" and self.peek.text == ")"):
                raise self.fail("')'")
            self.take()
            return inner
        raise self.fail("a number or '('" if not self.names else "a number, a name or '('")


def parse_expression(text: str, *, names: bool = False, implicit: bool = False) -> Node:
    """The tree of one expression (no `=`); ExpressionError with the position otherwise.

    `names` allows variables; `implicit` allows implicit multiplication (`2x`, `3(x+1)`).
    """
    tokens = tokenize(text)
    if len(tokens) == 1:
        raise ExpressionError("the expression is empty")
    parser = _Parser(tokens, names=names, implicit=implicit)
    tree = parser.expr()
    if parser.peek.kind == "name" and not names:
        parser.atom()  # raises the clear "letters are not numbers" error
    if parser.peek.kind != "end":
        raise parser.fail("an operator or the end")
    return tree


def parse_equation(text: str) -> tuple[Node, Node]:
    """(left, right) trees of `LEFT = RIGHT` (names and implicit multiplication allowed)."""
    tokens = tokenize(text)
    eqs = [t for t in tokens if t.kind == "op" and t.text == "="]
    if len(eqs) != 1:
        raise ExpressionError(
            "an equation has exactly one '='" + (f", found {len(eqs)}" if eqs else ", found none")
        )
    split = tokens.index(eqs[0])
    sides = []
    for part, where in (
        (tokens[:split] + [Token("end", "", eqs[0].pos)], "left"),
        (tokens[split + 1 :], "right"),
    ):
        if len(part) == 1:
            raise ExpressionError(f"the {where} side of the equation is empty")
        parser = _Parser(part, names=True, implicit=True)
        tree = parser.expr()
        if parser.peek.kind != "end":
            raise parser.fail("an operator, '=' or the end")
        sides.append(tree)
    return sides[0], sides[1]


def variables(node: Node) -> set[str]:
    """The variable names in a tree."""
    out: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        kind = item[0]
        if kind == "var":
            out.add(item[1])
        elif kind == "neg":
            stack.append(item[1])
        elif kind == "pow":
            stack += [item[1], item[2]]
        elif kind in ("sum", "prod"):
            stack += [child for _, child in item[1]]
    return out


# ---------------------------------------------------------------- printing


def show(node: Node) -> str:
    """Canonical text of a tree: parses back to the same tree (up to number spelling)."""
    kind = node[0]
    if kind == "num":
        return node[2]
    if kind == "var":
        return node[1]
    if kind == "neg":
        inner = node[1]
        return "-" + (show(inner) if inner[0] in ("num", "var", "pow", "prod") else f"({show(inner)})")
    if kind == "pow":
        base, exponent = node[1], node[2]
        left = show(base) if base[0] in ("num", "var") else f"({show(base)})"
        right = show(exponent) if exponent[0] in ("num", "var") else f"({show(exponent)})"
        return f"{left}^{right}"
    if kind == "sum":
        parts = []
        for index, (sign, child) in enumerate(node[1]):
            text = show(child)
            if child[0] == "sum" or (index and child[0] == "neg"):
                text = f"({text})"
            parts.append(text if index == 0 else f"{'+' if sign > 0 else '-'} {text}")
        return " ".join(parts)
    if kind == "prod":
        parts = []
        for index, (op, child) in enumerate(node[1]):
            text = show(child)
            if child[0] in ("sum", "prod") or (index and child[0] == "neg"):
                text = f"({text})"
            parts.append(text if index == 0 else f"{op} {text}")
        return " ".join(parts)
    raise ValueError(f"not an expression tree: {kind!r}")


# ---------------------------------------------------------------- exact evaluation


def _bits(value: Fraction) -> int:
    return max(value.numerator.bit_length(), value.denominator.bit_length())


def _bounded(value: Fraction) -> Fraction:
    if _bits(value) > MAX_BITS:
        raise TooLarge(f"a value exceeds {MAX_BITS} bits")
    return value


def power(base: Fraction, exponent: Fraction) -> Fraction:
    """base^exponent for an integer exponent, refused (TooLarge) before a huge one is computed."""
    if exponent.denominator != 1:
        raise NotRational(f"the exponent {exponent} is not an integer")
    e = exponent.numerator
    if base == 0:
        if e < 0:
            raise Undefined("zero to a negative power")
        return Fraction(1 if e == 0 else 0)
    if base in (1, -1):
        return base ** (e % 2) if base == -1 else base
    if (max(1, _bits(base) - 1)) * abs(e) > MAX_BITS:
        raise TooLarge(f"a power would exceed {MAX_BITS} bits")
    return _bounded(base**e)


def evaluate(node: Node, env: Mapping[str, Fraction] | None = None) -> Fraction:
    """The exact value of a tree; TooLarge, Undefined or NotRational when there is none we give.

    Recursion follows bracket nesting only (sums and products are flat), which the parser bounds.
    """
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "var":
        if env is not None and node[1] in env:
            return env[node[1]]
        raise NotRational(f"the variable {node[1]} has no value")
    if kind == "neg":
        return -evaluate(node[1], env)
    if kind == "pow":
        return power(evaluate(node[1], env), evaluate(node[2], env))
    if kind == "sum":
        total = Fraction(0)
        for sign, child in node[1]:
            value = evaluate(child, env)
            total = _bounded(total + value if sign > 0 else total - value)
        return total
    if kind == "prod":
        total = Fraction(1)
        for op, child in node[1]:
            value = evaluate(child, env)
            if op == "/":
                if value == 0:
                    raise Undefined("division by zero")
                total = _bounded(total / value)
            else:
                total = _bounded(total * value)
        return total
    raise ValueError(f"not an expression tree: {kind!r}")


# ---------------------------------------------------------------- numbers: reading, rounding, writing

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


# ---------------------------------------------------------------- the domain


@dataclass(frozen=True)
class _Parsed:
    tree: Node
    value: Fraction | None  # None when undefined
    undefined: str = ""


def _evaluate_task(tree: Node) -> _Parsed:
    try:
        return _Parsed(tree, evaluate(tree))
    except Undefined as exc:
        return _Parsed(tree, None, str(exc))


_QUESTION = (
    re.compile(r"^\s*(?:calculate|what is|solve|compute|evaluate:?)\s+(.*?)\s*[.?]?\s*\Z", re.I | re.S),
    re.compile(r"following arithmetic problem:\s*(.*?)\s*=\s*\Z", re.I | re.S),
)
_DECIMAL_QUESTION = re.compile(
    r"maximum of (\d+) significant digits, rounding up from the half.*?\n(.*?)\s*=\s*\?\s*\Z", re.I | re.S
)
_UNDEFINED = re.compile(r"\s*undefined\b", re.I)


class Arithmetic(Domain):
    """The exact (or correctly rounded) value of an arithmetic expression."""

    name = "arithmetic"
    summary = "exact value of an arithmetic expression (+ - * / ^), optionally rounded"
    reasoning_gym = ("basic_arithmetic", "decimal_arithmetic", "chain_sum")
    fields = {
        "expression": FieldSpec("str", "the expression, e.g. '(0.5 + 1/3) * 6 - 2^10'", required=True),
        "format": FieldSpec(
            "str",
            "how to write an unrounded answer: auto (integer, else finite decimal, else p/q), "
            "integer, decimal or fraction",
            default="auto",
        ),
        "significant_digits": FieldSpec("int", "round the answer to this many significant digits"),
        "decimals": FieldSpec("int", "round the answer to this many decimal places"),
        "rounding": FieldSpec("str", "rounding rule: " + ", ".join(ROUNDINGS), default="half-up"),
    }

    # ------------------------------------------------------------ tasks

    def parse(self, data: Mapping[str, Any]) -> Problem:
        fields = check_fields(self, data)
        try:
            tree = parse_expression(fields["expression"])
        except ExpressionError as exc:
            raise TaskError(f"expression: {exc}") from None
        fields["expression"] = " ".join(fields["expression"].split())
        if fields["format"] not in FORMATS:
            raise TaskError(f"format: must be one of {', '.join(FORMATS)}, got {fields['format']!r}")
        if fields["rounding"] not in ROUNDINGS:
            raise TaskError(f"rounding: must be one of {', '.join(ROUNDINGS)}, got {fields['rounding']!r}")
        sig, places = fields["significant_digits"], fields["decimals"]
        if sig is not None and places is not None:
            raise TaskError("significant_digits and decimals: give at most one of them")
        if sig is not None and not 1 <= sig <= MAX_DIGITS:
            raise TaskError(f"significant_digits: must be in 1..{MAX_DIGITS}, got {sig}")
        if places is not None and not -MAX_DIGITS <= places <= MAX_DIGITS:
            raise TaskError(f"decimals: must be in -{MAX_DIGITS}..{MAX_DIGITS}, got {places}")
        try:
            parsed = _evaluate_task(tree)
        except TooLarge as exc:
            raise TaskError(f"expression: too large to compute exactly ({exc})") from None
        except NotRational as exc:
            raise TaskError(f"expression: {exc}") from None
        value = parsed.value
        if value is not None:
            digits = max(value.numerator.bit_length(), value.denominator.bit_length()) * 0.302 + abs(
                places or 0
            )
            if digits > MAX_ANSWER_DIGITS or (sig or 0) > MAX_ANSWER_DIGITS:
                raise TaskError(f"expression: the answer would need more than {MAX_ANSWER_DIGITS} digits")
        if value is not None and sig is None and places is None:
            if fields["format"] == "integer" and value.denominator != 1:
                raise TaskError(
                    f"format: the value {write_exact(value)} is not an integer; use auto or fraction"
                )
            if fields["format"] == "decimal" and not terminating(value):
                raise TaskError(
                    f"format: the value {write_exact(value)} has no finite decimal expansion; "
                    "give significant_digits or decimals"
                )
        rule = ""
        if sig is not None:
            rule = f", rounded to {sig} significant digits ({fields['rounding']})"
        elif places is not None:
            rule = f", rounded to {places} decimal places ({fields['rounding']})"
        text = f"Compute the exact value of {fields['expression']}{rule}."
        return Problem(self.name, fields, text, parsed)

    def from_reasoning_gym(self, task_name: str, entry: Mapping[str, Any]) -> Problem:
        """From the question text only (never `answer` or metadata)."""
        question = entry.get("question") if isinstance(entry, Mapping) else None
        if task_name not in self.reasoning_gym:
            raise TaskError(f"arithmetic does not read reasoning-gym task {task_name!r}")
        if not isinstance(question, str):
            raise TaskError("question: a reasoning-gym entry needs its question text")
        if task_name == "decimal_arithmetic":
            match = _DECIMAL_QUESTION.search(question)
            if match is None:
                raise TaskError("question: not a decimal_arithmetic question")
            return self.parse(
                {
                    "expression": match.group(2),
                    "significant_digits": int(match.group(1)),
                    "rounding": "half-up",
                }
            )
        for pattern in _QUESTION:
            if match := pattern.search(question):
                return self.parse({"expression": match.group(1)})
        raise TaskError(f"question: cannot find the expression in {question[:80]!r}")

    # ------------------------------------------------------------ answers

    def target(self, problem: Problem) -> Fraction | None:
        """The value an answer must state: exact, or correctly rounded per the task."""
        value = problem.data.value
        if value is None:
            return None
        f = problem.fields
        if f["significant_digits"] is not None:
            return round_significant(value, f["significant_digits"], f["rounding"])
        if f["decimals"] is not None:
            return round_places(value, f["decimals"], f["rounding"])
        return value

    def write_answer(self, problem: Problem, value: Fraction | None) -> str:
        """The answer text for an exact value, in the task's format (rounding applied here)."""
        if value is None:
            return "undefined"
        f = problem.fields
        if f["significant_digits"] is not None:
            return write_decimal(round_significant(value, f["significant_digits"], f["rounding"]))
        if f["decimals"] is not None:
            rounded = round_places(value, f["decimals"], f["rounding"])
            return write_decimal(rounded, max(0, f["decimals"]))
        if f["format"] == "fraction" or (f["format"] == "auto" and not _short_decimal(value)):
            return write_exact(value)
        return write_decimal(value)

    def check_answer(self, problem: Problem, text: str, *, budget_s: float) -> DomainCheck:
        if not isinstance(text, str) or not text.strip():
            return DomainCheck(Status.INVALID, "the answer is empty: write the value")
        line = text.strip()
        value, rule = problem.data.value, self._rule(problem)
        if _UNDEFINED.match(line):
            holds = value is None
            why = (
                f"the expression is undefined ({problem.data.undefined})"
                if holds
                else f"the expression has the value {_short(value)}, it is not undefined"
            )
            evidence = {"value": None if value is None else write_exact(value)}
            return _checked(problem, line, holds, why, evidence, role="answer")
        stated = read_number(line)
        if stated is None:
            return DomainCheck(
                Status.INVALID,
                f"the answer {line[:80]!r} is not a number (an integer, a decimal or p/q) nor 'undefined'",
            )
        if value is None:
            why = f"the expression has no value ({problem.data.undefined}); the answer is 'undefined'"
            return _checked(problem, line, False, why, {"value": None}, role="answer")
        target = self.target(problem)
        holds = stated == target
        if holds:
            why = f"{line} is the exact value{rule}" if rule else f"{line} is the exact value"
        else:
            why = f"{line} is not the value{rule}: the exact value is {_short(value)}"
        return _checked(problem, line, holds, why, {"value": write_exact(value)}, role="answer")

    def answers(self, problem: Problem, answer_text: str) -> list[str]:
        lines = [line.strip() for line in answer_text.splitlines() if line.strip()]
        return lines[:1]

    # ------------------------------------------------------------ claims

    def check_claim(self, problem: Problem, text: str, *, budget_s: float) -> DomainCheck:
        claim = _claim(text)
        if isinstance(claim, str):
            return DomainCheck(Status.INVALID, claim)
        left_text, left, right_text, right = claim
        try:
            lhs = evaluate(left)
        except Undefined as exc:
            holds = right is None
            return _checked(
                problem, text.strip(), holds, f"{left_text} is undefined ({exc})", {}, role="claim"
            )
        except (TooLarge, NotRational) as exc:
            return DomainCheck(Status.UNKNOWN, f"cannot evaluate {left_text[:80]} exactly: {exc}")
        if right is None:
            why = f"{left_text[:80]} has the value {_short(lhs)}, it is not undefined"
            return _checked(problem, text.strip(), False, why, {"value": write_exact(lhs)}, role="claim")
        try:
            rhs = evaluate(right)
        except (Undefined, TooLarge, NotRational) as exc:
            return DomainCheck(Status.INVALID, f"the right side {right_text[:80]} is not a value: {exc}")
        holds = lhs == rhs
        why = f"{left_text[:80]} = {_short(lhs)}" + ("" if holds else f", not {_short(rhs)}")
        evidence: dict[str, Any] = {"value": write_exact(lhs)}
        kernel = _kernel_certificate(f"{left_text} = {right_text}", budget_s)
        if kernel is not None:
            evidence["exact"] = kernel
        return _checked(problem, text.strip(), holds, why, evidence, role="claim")

    def recheck(self, problem: Problem, cert: Mapping[str, Any]) -> tuple[bool, str]:
        """Re-evaluate with this module's evaluator; re-check the kernel certificate if embedded."""
        if not isinstance(cert, Mapping) or cert.get("kind") != "domain" or cert.get("domain") != self.name:
            return False, "not an arithmetic domain certificate"
        if cert.get("task") != problem.to_json():
            return False, "the certificate is for another task"
        text, role, holds = cert.get("claim"), cert.get("role"), cert.get("holds")
        if not isinstance(text, str) or role not in ("claim", "answer") or not isinstance(holds, bool):
            return False, "a certificate needs a claim text, a role and a boolean holds"
        fresh = self._recheck_answer(problem, text) if role == "answer" else self._recheck_claim(text)
        if isinstance(fresh, str):
            return False, fresh
        if fresh != holds:
            return False, f"re-evaluation finds the {role} {'holds' if fresh else 'fails'}, not as certified"
        evidence = cert.get("evidence") or {}
        kernel = evidence.get("exact") if isinstance(evidence, Mapping) else None
        if kernel is not None:
            from proofs.check import certified_truth, check_certificate

            claim = _claim(text)
            if isinstance(claim, str) or claim[3] is None:
                return False, "an exact certificate for a claim that is not an equation"
            if not isinstance(kernel, dict) or kernel.get("claim") is None:
                return False, "the embedded exact certificate is malformed"
            from proofs.parsing import ParseFailure, parse_claim

            mine, theirs = parse_claim(f"{claim[0]} = {claim[2]}"), parse_claim(str(kernel.get("claim")))
            if isinstance(mine, ParseFailure) or mine != theirs:
                return False, "the embedded exact certificate is about another claim"
            report = check_certificate(kernel)
            if not report.ok or certified_truth(kernel) is not holds:
                return False, f"the embedded exact certificate does not re-check: {report.message}"
        return True, f"re-evaluated exactly: the {role} {'holds' if holds else 'fails'}"

    def _recheck_claim(self, text: str) -> bool | str:
        claim = _claim(text)
        if isinstance(claim, str):
            return claim
        _, left, _, right = claim
        try:
            lhs = evaluate(left)
        except Undefined:
            return right is None
        except (TooLarge, NotRational) as exc:
            return f"cannot re-evaluate: {exc}"
        if right is None:
            return False
        try:
            return lhs == evaluate(right)
        except (Undefined, TooLarge, NotRational) as exc:
            return f"the right side is not a value: {exc}"

    def _recheck_answer(self, problem: Problem, text: str) -> bool | str:
        try:
            tree = parse_expression(problem.fields["expression"])
            value: Fraction | None = evaluate(tree)
        except Undefined:
            value = None
        except (ExpressionError, TooLarge, NotRational) as exc:
            return f"the task's expression does not re-evaluate: {exc}"
        if _UNDEFINED.match(text):
            return value is None
        stated = read_number(text)
        if stated is None:
            return "the answer is not a number"
        if value is None:
            return False
        f = problem.fields
        if f["significant_digits"] is not None:
            # An independent reading of "correctly rounded": the stated value has at most that
            # many significant digits and lies within half a unit of its last place (ties per rule).
            return _is_rounding(value, stated, f["significant_digits"], f["rounding"], significant=True)
        if f["decimals"] is not None:
            return _is_rounding(value, stated, f["decimals"], f["rounding"], significant=False)
        return stated == value

    def _rule(self, problem: Problem) -> str:
        f = problem.fields
        if f["significant_digits"] is not None:
            return f" rounded to {f['significant_digits']} significant digits ({f['rounding']})"
        if f["decimals"] is not None:
            return f" rounded to {f['decimals']} decimal places ({f['rounding']})"
        return ""

    # ------------------------------------------------------------ workers and planner

    def solver_worker(self) -> ArithmeticWorker:
        return ArithmeticWorker()

    def planner(self, problem: Problem, *, capacity: int) -> ArithmeticPlanner:
        return ArithmeticPlanner(self, problem, capacity=capacity)

    def to_reasoning_gym(self, problem: Problem, answers: Sequence[str]) -> str:
        return answers[0] if answers else ""

    def worker_prompt(self, problem: Problem, query: str, feedback: Sequence[str] = ()) -> str:
        lines = [
            "You compute exact values of arithmetic expressions. Every claim you return is checked "
            "by exact rational arithmetic; a wrong one is sent back to you.",
            f"Task: {problem.text}",
            f"Sub-query: {query}",
            "Reply with one claim per line inside <RETURN>...</RETURN>, each 'EXPRESSION = VALUE' "
            "with VALUE an integer, a decimal or p/q (or 'EXPRESSION = undefined' when it divides "
            "by zero). Lines starting with # are notes.",
            "Example: sub-query 'evaluate: 12 - 3 * 4 + 7 / 2' -> <RETURN>12 - 3 * 4 + 7 / 2 = 7/2</RETURN>",
        ]
        lines += [f"An earlier attempt was rejected: {item}" for item in feedback]
        return "\n".join(lines)

    def organizer_prompt(self, problem: Problem) -> str:
        return (
            f"Task (arithmetic): {problem.text}\n"
            "Split the expression at its top-level + and - (or * and /) into parts and hand each "
            "to a worker: <FORK-i>evaluate: PART</FORK-i>; <JOIN-i> waits for its verified "
            "'PART = VALUE'. Then fork one 'evaluate:' that combines the part values, and end with "
            "<ANSWER>VALUE</ANSWER> written as the task asks (rounded when it says so; "
            "'undefined' for a division by zero)."
        )


def _short_decimal(value: Fraction) -> bool:
    return terminating(value) and value.denominator <= 10**50


def _short(value: Fraction | None) -> str:
    if value is None:
        return "undefined"
    if _bits(value) > 200:
        return f"a {_bits(value)}-bit number"
    return write_exact(value)


def _is_rounding(value: Fraction, stated: Fraction, digits: int, rounding: str, *, significant: bool) -> bool:
    """Is `stated` the rounding of `value`? Checked from the definition, not by recomputing it:
    `stated` is a multiple of the unit u of the last kept place, |value - stated| <= u/2, and on a
    tie the rule picks `stated` (for `down`: |stated| <= |value| < |stated| + u, same sign)."""
    if significant:
        if value == 0:
            return stated == 0
        exponent = decimal_exponent(value)
        places = digits - 1 - exponent
        # rounding up may carry into the next power of ten (9.96 -> 10.0): the unit stays the same
    else:
        places = digits
    unit = Fraction(1, 10**places) if places >= 0 else Fraction(10 ** (-places))
    if (stated / unit).denominator != 1:
        return False
    gap = abs(value - stated)
    if rounding == "down":
        return (stated == 0 or (stated > 0) == (value > 0)) and abs(stated) <= abs(value) < abs(stated) + unit
    if gap > unit / 2:
        return False
    if gap < unit / 2:
        return True
    away = abs(stated) > abs(value)
    if rounding == "half-up":
        return away
    if rounding == "half-down":
        return not away
    return (stated / unit).numerator % 2 == 0  # half-even


def _claim(text: str) -> tuple[str, Node, str, Node | None] | str:
    """(left text, left tree, right text, right tree or None for 'undefined'), or why not a claim."""
    if not isinstance(text, str) or not text.strip():
        return "an empty claim: write 'EXPRESSION = VALUE'"
    if len(text) > MAX_EXPRESSION_CHARS:
        return f"the claim is {len(text)} characters long; the limit is {MAX_EXPRESSION_CHARS}"
    if text.count("=") != 1:
        return f"a claim is 'EXPRESSION = VALUE' with one '=': {text.strip()[:80]!r}"
    left_text, right_text = (part.strip() for part in text.split("="))
    try:
        left = parse_expression(left_text)
    except ExpressionError as exc:
        return f"the left side is not an expression: {exc}"
    if right_text.lower() == "undefined":
        return left_text, left, right_text, None
    try:
        right = parse_expression(right_text)
    except ExpressionError as exc:
        return f"the right side is not an expression: {exc}"
    return left_text, left, right_text, right


def _kernel_certificate(claim: str, budget_s: float) -> dict[str, Any] | None:
    """The project kernel's exact certificate of `claim`, when it decides it exactly."""
    from proofs.parsing import MAX_CLAIM_CHARS
    from reasoning.api import verify

    if len(claim) > MAX_CLAIM_CHARS:
        return None
    verdict = verify(claim, budget_s=max(0.1, min(budget_s, 10.0)))
    cert = verdict.certificate
    if (
        verdict.status in (Status.PROVED, Status.REFUTED)
        and isinstance(cert, dict)
        and cert.get("kind") == "exact"
    ):
        return cert
    return None


def _checked(
    problem: Problem, text: str, holds: bool, why: str, evidence: Mapping[str, Any], *, role: str
) -> DomainCheck:
    cert = certificate(problem, text, role=role, holds=holds, evidence=evidence)
    return DomainCheck(Status.PROVED if holds else Status.REFUTED, why, cert)


# ---------------------------------------------------------------- worker

_QUERY = re.compile(r"\s*evaluate\s*:(.*)\Z", re.I | re.S)


class ArithmeticWorker:
    """Answers `evaluate: EXPR` with `EXPR = VALUE` (exact), computed by the project kernel
    (`proofs.exact`, through the claim parser) so that the domain's own evaluator checks an
    independent computation. Bad queries become `#` notes; CPU work runs in a thread."""

    async def stream(self, request: Any) -> AsyncIterator[Any]:
        from reasoning.workers import Tokens

        text = await asyncio.to_thread(self.reply, request.query)
        yield Tokens(text, len(text.split()))

    def reply(self, query: str) -> str:
        return f"<RETURN>\n{self.answer(query)}\n</RETURN>"

    def answer(self, query: str) -> str:
        from proofs import exact
        from proofs.claims import Compare
        from proofs.parsing import parse_claim

        match = _QUERY.match(query) if isinstance(query, str) and len(query) <= MAX_EXPRESSION_CHARS else None
        if match is None:
            return "# arithmetic worker: queries are 'evaluate: EXPRESSION'"
        expression = " ".join(match.group(1).split())
        try:
            tree = parse_expression(expression)
        except ExpressionError as exc:
            return f"# evaluate: not an arithmetic expression: {str(exc)[:200]}"
        text = show(tree)
        formula = parse_claim(f"{text} = 0")
        try:
            # Beyond the kernel's parser limits (a chain of thousands of terms): our evaluator.
            value = exact.evaluate(formula.terms[0]) if isinstance(formula, Compare) else evaluate(tree)
        except (exact.Undefined, Undefined):
            return f"{text} = undefined"
        except (exact.TooLarge, exact.NotExact, TooLarge, NotRational, ValueError, OverflowError) as exc:
            return f"# evaluate: no exact value: {str(exc)[:200]}"
        if _bits(value) > MAX_BITS:
            return "# evaluate: the value is too large to state"
        return f"{text} = {write_exact(value)}"


# ---------------------------------------------------------------- planner


def _chain(tree: Node) -> tuple[str, list[tuple[Any, Node]]] | None:
    """A top-level chain to split: ('sum' | 'prod', [(sign or op, term), ...]) or None."""
    if tree[0] in ("sum", "prod") and len(tree[1]) >= 2:
        return tree[0], list(tree[1])
    return None


def split_chain(tree: Node, parts: int) -> tuple[str, list[Node]] | None:
    """The top-level chain of `tree` cut into at most `parts` contiguous sub-expressions whose
    sum (for a `sum` chain) or product (for a `prod` chain) is `tree`; None when there is none.

    Parts after the first start from the identity: `0 - c + d` and `1 / c * d`, so a part is a
    closed expression and the parts combine with `+` or `*` only.
    """
    chain = _chain(tree)
    if chain is None or parts < 2:
        return None
    kind, items = chain
    count = min(parts, len(items))
    size, extra = divmod(len(items), count)
    out: list[Node] = []
    start = 0
    for index in range(count):
        stop = start + size + (index < extra)
        piece = items[start:stop]
        if index > 0:
            identity = ("num", Fraction(0 if kind == "sum" else 1), "0" if kind == "sum" else "1")
            piece = [(1 if kind == "sum" else "*", identity), *piece]
        out.append(piece[0][1] if len(piece) == 1 else (kind, tuple(piece)))
        start = stop
    return kind, out


class ArithmeticPlanner:
    """Forks the parts of the top-level chain, then a combining `evaluate:`, then answers."""

    def __init__(self, domain: Arithmetic, problem: Problem, *, capacity: int) -> None:
        if not isinstance(capacity, int) or capacity < 1:
            raise TaskError(f"capacity must be a positive int, got {capacity!r}")
        self.domain, self.problem, self.capacity = domain, problem, capacity
        self._turns = self._plan()
        next(self._turns)

    async def stream(self, context: str, *, seed: int) -> AsyncIterator[str]:
        try:
            turn = self._turns.send(context)
        except StopIteration:
            return
        yield turn

    def _plan(self):
        from reasoning.planner import verified_claims

        context = yield ""
        tree = self.problem.data.tree
        split = split_chain(tree, self.capacity)
        if split is None:
            context = yield f"<FORK-1>evaluate: {show(tree)}</FORK-1><JOIN-1>"
            value = _value_of(verified_claims(context).get(1, []))
            yield f"<ANSWER>{self._answer(value)}</ANSWER>"
            return
        kind, parts = split
        forks = "".join(f"<FORK-{i}>evaluate: {show(part)}</FORK-{i}>" for i, part in enumerate(parts, 1))
        context = yield forks + "<JOIN-1>"
        for i in range(2, len(parts) + 1):
            context = yield f"<JOIN-{i}>"
        found = verified_claims(context)
        values = [_value_of(found.get(i, [])) for i in range(1, len(parts) + 1)]
        if any(v == "undefined" for v in values):
            yield "<ANSWER>undefined</ANSWER>"
            return
        if any(v is None for v in values):
            yield f"<ANSWER>{self._answer(None)}</ANSWER>"  # a part failed: nothing to combine
            return
        glue = " + " if kind == "sum" else " * "
        combined = glue.join(write_exact(v) if v >= 0 else f"({write_exact(v)})" for v in values)
        last = len(parts) + 1
        context = yield f"<FORK-{last}>evaluate: {combined}</FORK-{last}><JOIN-{last}>"
        yield f"<ANSWER>{self._answer(_value_of(verified_claims(context).get(last, [])))}</ANSWER>"

    def _answer(self, value: Fraction | str | None) -> str:
        if value == "undefined":
            return "undefined"
        if value is None:
            return "no verified value"
        assert isinstance(value, Fraction)
        return self.domain.write_answer(self.problem, value)


def _value_of(claims: Sequence[str]) -> Fraction | str | None:
    """The value stated by the last verified `EXPR = VALUE` claim ('undefined' or a Fraction)."""
    for claim in reversed(claims):
        _, _, right = claim.rpartition("=")
        right = right.strip()
        if right.lower() == "undefined":
            return "undefined"
        value = read_number(right)
        if value is not None:
            return value
    return None


register(Arithmetic())
