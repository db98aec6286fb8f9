"""The formula reader: text in the notation the logic domain documents (`¬ ∧ ∨ → ↔`,
their ASCII forms and words, `⊤`/`⊥`, parentheses) into a `_formulas` tree.

`¬` binds tightest, then `∧`, `∨`, `→` (right-associative) and `↔`. The reader is an iterative
shunting-yard (no recursion) that refuses text longer than `MAX_FORMULA_CHARS` and nesting
deeper than `MAX_DEPTH`, so hostile input (10 MB, 100,000 parentheses) is an error at once.
"""

from __future__ import annotations

import re

from reasoning.domains.logic._formulas import (
    FormulaError,
    Node,
    PropAnd,
    PropConst,
    PropIff,
    PropImp,
    PropNot,
    PropOr,
    PropVar,
)

#: Longest formula read, in characters.
MAX_FORMULA_CHARS = 100_000
#: Deepest nesting read (parentheses, and the height of the parsed tree).
MAX_DEPTH = 200

_SYMBOLS = {
    "(": "lp",
    ")": "rp",
    "<->": "iff",
    "<=>": "iff",
    "↔": "iff",
    "⇔": "iff",
    "->": "imp",
    "=>": "imp",
    "→": "imp",
    "⇒": "imp",
    "&&": "and",
    "&": "and",
    "∧": "and",
    "/\\": "and",
    "||": "or",
    "|": "or",
    "∨": "or",
    "\\/": "or",
    "!": "not",
    "~": "not",
    "¬": "not",
    "⊤": "true",
    "⊥": "false",
}
_WORDS = {
    "and": "and",
    "or": "or",
    "not": "not",
    "implies": "imp",
    "iff": "iff",
    "true": "true",
    "false": "false",
}
#: Words that cannot be names (case-insensitive).
KEYWORDS = frozenset(_WORDS)
_TOKEN = re.compile(
    r"\s*(?:(?P<sym><->|<=>|->|=>|&&|\|\||/\\|\\/|[()&|!~¬∧∨→↔⇒⇔⊤⊥])|(?P<word>[A-Za-z_][A-Za-z0-9_]*))"
)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PREC = {"iff": 1, "imp": 2, "or": 3, "and": 4, "not": 5}


def is_name(text: str) -> bool:
    """True for a string the formula language reads as a name (not a keyword)."""
    return bool(_NAME.match(text)) and text.lower() not in KEYWORDS


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out = []
    pos, end = 0, len(text)
    while pos < end:
        match = _TOKEN.match(text, pos)
        if match is None:
            rest = text[pos:]
            if not rest.strip():
                break
            column = pos + len(rest) - len(rest.lstrip()) + 1
            raise FormulaError(f"unexpected character {text[column - 1]!r}", column)
        column = match.start(match.lastgroup) + 1
        if match.group("sym") is not None:
            out.append((_SYMBOLS[match.group("sym")], match.group("sym"), column))
        else:
            word = match.group("word")
            out.append((_WORDS.get(word.lower(), "name"), word, column))
        pos = match.end()
    return out


def parse_formula(text: str) -> Node:
    """The formula `text` (see the module docstring); FormulaError with a column otherwise."""
    if not isinstance(text, str):
        raise FormulaError(f"a formula is a string, got {type(text).__name__}")
    if len(text) > MAX_FORMULA_CHARS:
        raise FormulaError(f"the formula has {len(text)} characters; at most {MAX_FORMULA_CHARS} are read")
    tokens = _tokens(text)
    if not tokens:
        raise FormulaError("the formula is empty")
    # (node, height); a `_Chain` is an ∧/∨ still growing, so a long chain is built in linear time
    operands: list[tuple[Node | _Chain, int]] = []
    ops: list[tuple[str, int]] = []  # (kind, column)
    depth = 0

    def reduce() -> None:
        kind, column = ops.pop()
        if kind == "not":
            arg, height = operands.pop()
            node: Node | _Chain = PropNot(_done(arg))
        else:
            (right, h2), (left, h1) = operands.pop(), operands.pop()
            # heights of the parts below the new node (a chain's own level is shared, not added)
            h1 -= isinstance(left, _Chain) and left.kind == kind
            h2 -= isinstance(right, _Chain) and right.kind == kind
            height = max(h1, h2)
            if kind in ("and", "or"):
                node = left if isinstance(left, _Chain) and left.kind == kind else _Chain(kind, [_done(left)])
                if isinstance(right, _Chain) and right.kind == kind:
                    node.parts.extend(right.parts)
                else:
                    node.parts.append(_done(right))
            else:
                node = (PropImp if kind == "imp" else PropIff)(_done(left), _done(right))
        if height + 1 > MAX_DEPTH:
            raise FormulaError(f"the formula is nested deeper than {MAX_DEPTH} levels", column)
        operands.append((node, height + 1))

    expect_operand = True
    for kind, value, column in tokens:
        if expect_operand:
            if kind == "name":
                operands.append((PropVar(value), 1))
                expect_operand = False
            elif kind in ("true", "false"):
                operands.append((PropConst(kind == "true"), 1))
                expect_operand = False
            elif kind == "not":
                ops.append(("not", column))
            elif kind == "lp":
                depth += 1
                if depth > MAX_DEPTH:
                    raise FormulaError(f"parentheses nested deeper than {MAX_DEPTH}", column)
                ops.append(("lp", column))
            else:
                raise FormulaError(f"expected a name, ¬ or '(' but found {value!r}", column)
        elif kind in ("and", "or", "imp", "iff"):
            prec = _PREC[kind]
            while (
                ops
                and ops[-1][0] != "lp"
                and (_PREC[ops[-1][0]] > prec or (_PREC[ops[-1][0]] == prec and kind != "imp"))
            ):
                reduce()
            ops.append((kind, column))
            expect_operand = True
        elif kind == "rp":
            while ops and ops[-1][0] != "lp":
                reduce()
            if not ops:
                raise FormulaError("unbalanced ')': no '(' before it", column)
            ops.pop()
            depth -= 1
        else:
            raise FormulaError(f"expected an operator or ')' but found {value!r}", column)
    if expect_operand:
        raise FormulaError("the formula ends where a name, ¬ or '(' was expected", len(text.rstrip()) + 1)
    while ops:
        if ops[-1][0] == "lp":
            raise FormulaError("unbalanced '(': it is never closed", ops[-1][1])
        reduce()
    return _done(operands[0][0])


class _Chain:
    """An ∧ or ∨ chain being parsed (see `parse_formula`)."""

    __slots__ = ("kind", "parts")

    def __init__(self, kind: str, parts: list[Node]) -> None:
        self.kind, self.parts = kind, parts


def _done(item: Node | _Chain) -> Node:
    if isinstance(item, _Chain):
        return (PropAnd if item.kind == "and" else PropOr)(tuple(item.parts))
    return item
