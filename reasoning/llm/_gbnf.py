"""Lark grammar → llama.cpp GBNF, for the simple grammars this project writes.

Lark compiles the grammar (so its own loader resolves EBNF operators, imports and inlined
rules); each compiled rule becomes a GBNF rule, each terminal a GBNF rule from its string or
from its regular expression. Only plain regular expressions are translated (literals, character
classes, groups, alternatives, repeats; `\\d`, `\\s`, `\\w`, `.`); a flag, a look-around or a
back-reference gives None: the grammar is then not sent and the answer is parsed and rejected
as with any other server. `%ignore`d terminals become an optional separator between the symbols
of every rule.

GBNF is character-level while Lark lexes first, so a GBNF string may still fail to lex the way
the grammar meant (two names with no space between them, say): every answer is parsed by Lark
anyway, and one that fails is rejected, never trusted.

Lark is imported when a grammar is converted, not with this module: a remote backend imports
this module (through `_grammar_wire`) whatever its grammar mode, and only the `llamacpp` mode
converts, so the other modes never load Lark.
"""

from __future__ import annotations

import json
import re
from re import _constants as sre_c  # noqa: PLC2701 - the stdlib's regex parser, read-only
from re import _parser as sre_parse  # noqa: PLC2701
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import lark

_CATEGORIES = {
    sre_c.CATEGORY_DIGIT: "0-9",
    sre_c.CATEGORY_SPACE: r" \t\n\r",
    sre_c.CATEGORY_WORD: "a-zA-Z0-9_",
}


class GbnfUnsupported(Exception):
    """A grammar feature GBNF (or this converter) cannot say."""


def lark_to_gbnf(grammar: str, *, start: str = "start") -> str | None:
    """The GBNF text of the Lark `grammar` (root = `start`), or None when it cannot be said."""
    import lark  # only here: see the module docstring

    try:
        parser = lark.Lark(grammar, start=start, parser="earley", lexer="basic")
    except lark.exceptions.LarkError:
        return None
    try:
        return _convert(parser, start)
    except GbnfUnsupported:
        return None


def _convert(parser: lark.Lark, start: str) -> str:
    ignore = list(parser.ignore_tokens)
    sep = " sep " if ignore else " "
    rules: dict[str, list[list[str]]] = {}
    for rule in parser.rules:
        symbols = [_name(symbol.name, symbol.is_term) for symbol in rule.expansion]
        rules.setdefault(_name(rule.origin.name, False), []).append(symbols)
    out = [f"root ::= {'sep ' if ignore else ''}{_name(start, False)}{' sep' if ignore else ''}"]
    out += [f"{name} ::= {_alternatives(name, alts, sep)}" for name, alts in rules.items()]
    for terminal in parser.terminals:
        out.append(f"{_name(terminal.name, True)} ::= {_pattern(terminal.pattern)}")
    if ignore:
        out.append("sep ::= ( " + " | ".join(_name(name, True) for name in ignore) + " )?")
    return "\n".join(out) + "\n"


def _alternatives(name: str, alts: list[list[str]], sep: str) -> str:
    """The GBNF body of rule `name`. Lark writes repeats as left recursion (`a ::= a x | y`),
    which llama.cpp refuses, so direct left recursion becomes `( y ) ( x )*`."""
    rest = [alt[1:] for alt in alts if alt and alt[0] == name]
    base = [alt for alt in alts if not alt or alt[0] != name]
    if not rest:
        return " | ".join(f"( {sep.join(alt) or chr(34) * 2} )" for alt in alts)
    if not base or any(not tail for tail in rest):
        raise GbnfUnsupported(f"rule {name} has no way out of its left recursion")
    head = " | ".join(f"( {sep.join(alt) or chr(34) * 2} )" for alt in base)
    tails = " | ".join(f"( {sep.join(tail)} )" for tail in rest)
    return f"( {head} ) ({sep.rstrip()} ( {tails} ) )*" if sep.strip() else f"( {head} ) ( {tails} )*"


def _name(name: str, terminal: bool) -> str:
    cleaned = re.sub(r"[^a-zA-Z0-9]+", "-", name).strip("-").lower() or "x"
    return ("t-" if terminal else "r-") + cleaned


def _pattern(pattern: lark.lexer.Pattern) -> str:
    if pattern.flags:
        raise GbnfUnsupported(f"regex flags {pattern.flags}")
    if pattern.type == "str":  # a `PatternStr`; otherwise a `PatternRE`
        return _literal(pattern.value)
    parsed = sre_parse.parse(pattern.value)
    if parsed.state.flags & ~(re.UNICODE | re.ASCII):  # an inline (?i), (?s), (?x) ...
        raise GbnfUnsupported("inline regex flags")
    return _regex(parsed)


def _literal(text: str) -> str:
    if not text:
        return '""'
    return json.dumps(text)


def _char(code: int) -> str:
    char = chr(code)
    if char in "\\]-^[":
        return "\\" + char
    if char == "\n":
        return "\\n"
    if char == "\t":
        return "\\t"
    if char == "\r":
        return "\\r"
    if not char.isprintable():
        return f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}"
    return char


def _regex(items) -> str:
    parts: list[str] = []
    run = ""  # consecutive literal characters, written as one string
    for op, arg in items:
        if op is sre_c.LITERAL:
            run += chr(arg)
            continue
        if run:
            parts.append(_literal(run))
            run = ""
        if op is sre_c.NOT_LITERAL:
            parts.append(f"[^{_char(arg)}]")
        elif op is sre_c.ANY:
            parts.append("[^\\n]")
        elif op is sre_c.IN:
            parts.append(_charset(arg))
        elif op is sre_c.CATEGORY:
            parts.append(_charset([(op, arg)]))
        elif op is sre_c.SUBPATTERN:
            _group, add_flags, del_flags, sub = arg
            if add_flags or del_flags:
                raise GbnfUnsupported("inline regex flags")
            parts.append(f"( {_regex(sub)} )")
        elif op is sre_c.BRANCH:
            parts.append("( " + " | ".join(_regex(alt) or '""' for alt in arg[1]) + " )")
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, sre_c.POSSESSIVE_REPEAT):
            low, high, sub = arg
            parts.append(f"( {_regex(sub)} ){_repeat(low, high)}")
        else:
            raise GbnfUnsupported(f"regex operator {op}")
    if run:
        parts.append(_literal(run))
    return " ".join(parts) if parts else '""'


def _repeat(low: int, high: int) -> str:
    unbounded = high == sre_c.MAXREPEAT
    if (low, unbounded) == (0, True):
        return "*"
    if (low, unbounded) == (1, True):
        return "+"
    if (low, high) == (0, 1):
        return "?"
    return f"{{{low},}}" if unbounded else f"{{{low},{high}}}"


def _charset(items) -> str:
    negate, body = False, []
    for op, arg in items:
        if op is sre_c.NEGATE:
            negate = True
        elif op is sre_c.LITERAL:
            body.append(_char(arg))
        elif op is sre_c.RANGE:
            body.append(f"{_char(arg[0])}-{_char(arg[1])}")
        elif op is sre_c.CATEGORY and arg in _CATEGORIES:
            body.append(_CATEGORIES[arg])
        else:
            raise GbnfUnsupported(f"character class item {op}")
    return f"[{'^' if negate else ''}{''.join(body)}]"
