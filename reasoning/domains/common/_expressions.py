"""The expression language the `arithmetic` and `equations` domains share: text, tree, exact value.

A tokenizer and recursive-descent parser with size and nesting limits checked before any work
(10 MB strings and 100,000 nested parentheses are refused at once), a flat tree (sums and
products are n-ary, so a long chain is not a deep tree), a printer (`show`), and a bounded exact
evaluator (sizes are checked before a power is computed, so `2^2^2^2^100` is refused in
microseconds). Nothing here evaluates text.

Both domains read expressions through this one module so that `(0.5 + 1/3) * 6` and
`2x^2 - 3 = x` mean the same thing, hit the same limits and fail with the same messages
everywhere. Numerals (reading `1.4142` or `p/q`, rounding, writing) are `numerals`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

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


class ExpressionError(ValueError):
    """Text that is not an expression of this language; the message gives the position."""


class ExpressionTooLarge(ArithmeticError):
    """A value would exceed `MAX_BITS`; refused before it is computed."""


class ExpressionUndefined(ArithmeticError):
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


def size_in_bits(value: Fraction) -> int:
    return max(value.numerator.bit_length(), value.denominator.bit_length())


def _bounded(value: Fraction) -> Fraction:
    if size_in_bits(value) > MAX_BITS:
        raise ExpressionTooLarge(f"a value exceeds {MAX_BITS} bits")
    return value


def power(base: Fraction, exponent: Fraction) -> Fraction:
    """base^exponent for an integer exponent, refused (ExpressionTooLarge) before a huge one is computed."""
    if exponent.denominator != 1:
        raise NotRational(f"the exponent {exponent} is not an integer")
    e = exponent.numerator
    if base == 0:
        if e < 0:
            raise ExpressionUndefined("zero to a negative power")
        return Fraction(1 if e == 0 else 0)
    if base in (1, -1):
        return base ** (e % 2) if base == -1 else base
    if (max(1, size_in_bits(base) - 1)) * abs(e) > MAX_BITS:
        raise ExpressionTooLarge(f"a power would exceed {MAX_BITS} bits")
    return _bounded(base**e)


def evaluate(node: Node, env: Mapping[str, Fraction] | None = None) -> Fraction:
    """The exact value of a tree; ExpressionTooLarge, ExpressionUndefined or NotRational when there is none we give.

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
                    raise ExpressionUndefined("division by zero")
                total = _bounded(total / value)
            else:
                total = _bounded(total * value)
        return total
    raise ValueError(f"not an expression tree: {kind!r}")
