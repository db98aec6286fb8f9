"""Claim text -> `proofs.claims` trees, with parse errors as values.

The grammar is `grammars/claims.lark`. The transformer runs inside the LALR parser (no parse
tree is built and nothing recurses), so 100,000 nested parentheses cost a cheap pre-check, not
a RecursionError. Nothing here evaluates text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from lark import Lark, Token, Transformer
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput

from grammars import grammar_text
from proofs.claims import (
    FUNCTIONS,
    BinOp,
    BoolConst,
    Call,
    Compare,
    Connective,
    Const,
    Formula,
    Member,
    Neg,
    Not,
    Num,
    Quantified,
    Var,
    depth,
)

#: Longest claim text accepted, in characters; longer text is `invalid`, not parsed.
MAX_CLAIM_CHARS = 20_000
#: Deepest bracket nesting and deepest tree accepted.
MAX_NESTING = 200
MAX_DEPTH = 400
#: A multi-letter name written directly before '(' reads as a function call, so an unknown one
#: is an error rather than a silent implicit multiplication (`cbrt(8)` is not `cbrt * 8`).
_UNKNOWN_CALL = re.compile(r"(?<![A-Za-z_0-9])([A-Za-z_][A-Za-z_0-9]+)\(")
#: Names that mean constants rather than variables in the claim language.
CLAIM_CONSTANTS = {"pi": "pi", "e": "e"}
#: `1e3`, `2.5E-4`: scientific notation, or 1*e3 (a variable), or 2.5*e - 4? Read one way it
#: refuted `1e3 = 1000`; the claim is refused as ambiguous instead.
#: `.5e3` (no digit before the point) too: it was read as 0.5*e3 and `.5e3 = 500` refuted.
_SCIENTIFIC = re.compile(r"(?:(?<![A-Za-z_0-9.])\d+(?:\.\d+)?|(?<![0-9])\.\d+)[eE][+-]?\d")
#: `0x10`, `0b10`, `0o7`: a hexadecimal, binary or octal number, or 0 times the variable x10?
#: Read as the product, `0x10 = 0` was proved and `0x10 = 16` refuted; refused as ambiguous.
_RADIX = re.compile(r"(?<![A-Za-z_0-9.])0[xXbBoO][0-9A-Fa-f]")
#: `10 000`, `1 1/2`: a number, a space, a number: thousands groups and mixed numbers, or a
#: product? Read as the product, `10 000 = 0` and `1 1/2 = 1/2` were proved; refused as ambiguous.
_SPACED_NUMBERS = re.compile(r"(?<![A-Za-z_0-9.'])\d+(?:\.\d+)?\s+\.?\d")
#: `1.5.2`, `1_000`: a number written tight against another (`.2`) or against a name of digits
#: (`_000`): a version or Python's 1000, or a product? Read as the product, `1.5.2 = 0.3` was
#: proved and `1_000 = 1000` refuted; refused as ambiguous.
_TIGHT_NUMBERS = re.compile(r"(?<![A-Za-z_0-9.])(?:\d+)?\.\d+\.\d|(?<![A-Za-z_0-9.])\d+(?:\.\d+)?_\d")
#: `5!!`: the double factorial (5*3*1 = 15), or (5!)!? Read as (5!)! it proved `3!! = 720` and
#: refuted `5!! = 15`; refused as ambiguous, and so is `3!!=720` (read `3! != 720`, it was
#: proved). `3! != 6`, with a space before `!=`, stays.
DOUBLE_FACTORIAL = re.compile(r"!!|!\s+!(?!=)")
#: `4!=25`: 4! = 25 (false) or 4 != 25 (true)? Read as `!=` it was proved; refused as
#: ambiguous when `!=` follows an operand with no space (`x != 2` and `x! = 2` stay).
_BANG_EQUALS = re.compile(r"(?<=[A-Za-z0-9_)'])!=")
#: Spellings with two readings, refused before parsing: (pattern, why and what to write).
_AMBIGUOUS = (
    (_SCIENTIFIC, "scientific notation is ambiguous here (1e3 could be 1*e3): write 1*10^3 or 1000"),
    (_RADIX, "0x, 0b and 0o numbers are ambiguous here (0x10 could be 0*x10): write 16, or 0*x10"),
    (
        _SPACED_NUMBERS,
        "a number after a number is ambiguous here (10 000 could be 10000 or 10*000, 1 1/2 could"
        " be 3/2 or 1*1/2): write 10000, 1 + 1/2 or 10*000",
    ),
    (
        _TIGHT_NUMBERS,
        "a number tight against a number is ambiguous here (1.5.2 could be 1.5*0.2, 1_000 could be"
        " 1000 or 1*_000): write 1.5*0.2, 1000 or 1*_000",
    ),
    (DOUBLE_FACTORIAL, "n!! is ambiguous here (the double factorial, or (n!)!): write (n!)! or the product"),
    (_BANG_EQUALS, "n!=m is ambiguous here (n! = m, or n != m): write n != m or n! = m, with spaces"),
)


@dataclass(frozen=True, slots=True)
class ParseFailure:
    """Why a text is not a claim: position (1-based), expected tokens and the offending text."""

    message: str
    line: int = 1
    column: int = 1
    expected: tuple[str, ...] = ()
    found: str = ""
    context: str = ""

    def describe(self) -> str:
        where = f"line {self.line}, column {self.column}"
        parts = [f"{self.message} at {where}"]
        if self.found:
            parts.append(f"found {self.found!r}")
        if self.expected:
            parts.append("expected one of: " + ", ".join(self.expected))
        text = "; ".join(parts)
        return f"{text}\n{self.context}" if self.context else text


class _ToClaims(Transformer):
    """Callbacks named after grammar rules; each builds one claims node."""

    def number(self, items):
        return Num(Fraction(str(items[0])))

    def name(self, items):
        text = str(items[0])
        if text in CLAIM_CONSTANTS:
            return Const(CLAIM_CONSTANTS[text])
        if text in FUNCTIONS:
            raise _FunctionNameError(text, items[0])
        return Var(text)

    def call(self, items):
        func, args = str(items[0]), tuple(items[1:])
        if len(args) not in FUNCTIONS[func]:
            raise _ArityError(func, len(args), items[0])
        return Call(func, args)

    def add(self, items):
        return BinOp("+", items[0], items[1])

    def sub(self, items):
        return BinOp("-", items[0], items[1])

    def mul(self, items):
        return BinOp("*", items[0], items[1])

    def div(self, items):
        return BinOp("/", items[0], items[1])

    def mod(self, items):
        return BinOp("mod", items[0], items[-1])

    def pow(self, items):
        return BinOp("^", items[0], items[-1])

    def neg(self, items):
        return Neg(items[0])

    def factorial(self, items):
        return Call("factorial", (items[0],))

    def comparison(self, items):
        terms = tuple(items[0::2])
        ops = tuple(str(t) for t in items[1::2])
        return Compare(ops, terms)

    def membership(self, items):
        return Member(items[0], tuple(items[1:]))

    def names(self, items):
        return tuple(str(t) for t in items)

    def quantified(self, items):
        kind, names, sort, body = items
        for n in names:
            if n in CLAIM_CONSTANTS:
                raise _BindConstantError(n, kind)
            if n in FUNCTIONS:
                raise _FunctionNameError(n, kind)
        return Quantified(str(kind), names, str(sort), body)

    def true(self, _):
        return BoolConst(True)

    def false(self, _):
        return BoolConst(False)

    def not_(self, items):
        return Not(items[0])

    def and_(self, items):
        return Connective("and", items[0], items[1])

    def or_(self, items):
        return Connective("or", items[0], items[1])

    def implies(self, items):
        return Connective("->", items[0], items[1])

    def iff(self, items):
        return Connective("<->", items[0], items[1])


class _ArityError(Exception):
    def __init__(self, func: str, count: int, token: Token):
        allowed = FUNCTIONS[func]
        want = " or ".join(map(str, allowed)) if len(allowed) < 4 else f"1 to {allowed[-1]}"
        super().__init__(f"{func} takes {want} argument(s), got {count}")
        self.token = token


class _FunctionNameError(Exception):
    """A function name used as a variable: `cos 0 = 0` read as the product cos*0 was proved."""

    def __init__(self, name: str, token: Token):
        super().__init__(f"{name} is a function: write {name}(...) with parentheses, it is not a variable")
        self.token = token


class _BindConstantError(Exception):
    def __init__(self, name: str, kind: str):
        super().__init__(f"cannot bind the constant {name!r} with {kind}")


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(
        grammar_text("claims"),
        parser="lalr",
        lexer="contextual",
        transformer=_ToClaims(),
        propagate_positions=False,
        maybe_placeholders=False,
    )


def _nesting_failure(text: str) -> ParseFailure | None:
    level = 0
    for index, char in enumerate(text):
        if char in "({[":
            level += 1
            if level > MAX_NESTING:
                return ParseFailure(
                    f"brackets nested deeper than {MAX_NESTING}",
                    column=index + 1,
                    found=char,
                )
        elif char in ")}]":
            level -= 1
    return None


def _caret(text: str, column: int) -> str:
    start = max(0, column - 1 - 30)
    snippet = text[start : column - 1 + 30]
    return snippet + "\n" + " " * (column - 1 - start) + "^"


def _describe_tokens(expected) -> tuple[str, ...]:
    names = {
        "LPAR": "'('",
        "RPAR": "')'",
        "NUMBER": "a number",
        "NAME": "a variable",
        "FUNCTION": "a function",
        "RELATION": "a relation (= != < <= > >=)",
        "MINUS": "'-'",
        "PLUS": "'+'",
        "STAR": "'*'",
        "SLASH": "'/'",
        "COLON": "':'",
        "COMMA": "','",
        "LBRACE": "'{'",
        "RBRACE": "'}'",
        "SORT": "Int or Real",
        "QUANTIFIER": "forall or exists",
        "$END": "end of claim",
    }
    out = []
    for token in sorted(expected):
        if token.startswith("__ANON") or token.startswith("_"):
            continue
        out.append(names.get(token, token.lower()))
    return tuple(dict.fromkeys(out))


def parse_claim(text: str) -> Formula | ParseFailure:
    """Parse one claim; returns the formula or a `ParseFailure` (never raises on bad input)."""
    if len(text) > MAX_CLAIM_CHARS:
        return ParseFailure(f"claim is {len(text)} characters long; the limit is {MAX_CLAIM_CHARS}")
    if "\x00" in text:
        return ParseFailure("claim contains a NUL byte", column=text.index("\x00") + 1, found="\\x00")
    if (failure := _nesting_failure(text)) is not None:
        return failure
    stripped = text.split("#", 1)[0].strip()
    if not stripped:
        return ParseFailure("empty claim", found="")
    for pattern, why in _AMBIGUOUS:
        if (match := pattern.search(stripped)) is not None:
            column = match.start() + 1
            return ParseFailure(why, column=column, found=match.group(0), context=_caret(text, column))
    unknown = _UNKNOWN_CALL.search(text)
    if unknown is not None and unknown.group(1) not in FUNCTIONS:
        column = unknown.start(1) + 1
        return ParseFailure(
            f"unknown function {unknown.group(1)!r}",
            column=column,
            found=unknown.group(1),
            expected=tuple(sorted(FUNCTIONS)),
            context=_caret(text, column),
        )
    try:
        tree = _parser().parse(text)
    except (UnexpectedCharacters, UnexpectedEOF, UnexpectedInput) as exc:
        line = getattr(exc, "line", 1) or 1
        column = getattr(exc, "column", len(text) + 1) or len(text) + 1
        if isinstance(exc, UnexpectedEOF) or column < 0:
            line, column = 1, len(text) + 1
        found = ""
        token = getattr(exc, "token", None)
        if token is not None:
            found = "end of claim" if token.type == "$END" else str(token)
            if token.type == "$END":
                line, column = text.count("\n") + 1, len(text.rstrip().rsplit("\n", 1)[-1]) + 1
        elif isinstance(exc, UnexpectedCharacters):
            found = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else ""
        expected = getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ()
        return ParseFailure(
            "unexpected input",
            line=line,
            column=column,
            expected=_describe_tokens(expected),
            found=found,
            context=_caret(text, column) if "\n" not in text else "",
        )
    except _ArityError as exc:
        column = getattr(exc.token, "column", 1) or 1
        return ParseFailure(str(exc), column=column, context=_caret(text, column))
    except _BindConstantError as exc:
        return ParseFailure(str(exc))
    except _FunctionNameError as exc:
        column = getattr(exc.token, "column", 1) or 1
        return ParseFailure(str(exc), column=column, found=str(exc.token), context=_caret(text, column))
    except LarkError as exc:  # anything else Lark raises is still a parse failure
        orig = getattr(exc, "orig_exc", exc)
        return ParseFailure(str(orig))
    if depth(tree, MAX_DEPTH + 1) > MAX_DEPTH:
        return ParseFailure(f"claim is nested deeper than {MAX_DEPTH} operations")
    return tree
