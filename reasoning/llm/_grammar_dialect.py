"""Our Lark grammars in llguidance's Lark dialect, for decoding under them.

llguidance 1.9 reads Lark syntax (rules, `?rule` inlining, `-> alias`, `%import common.X`,
`%ignore`, string literals and regexes) but its lexer is built from Rust regexes: no lookaround
(`(?!...)`, `(?=...)`) and no terminal priorities (`NAME.2:`). The grammars here are therefore
*subsets* of ours, written so that every string they generate is read the same by our own LALR
parsers (`proofs.parsing`, `reasoning.engine._protocol`): the tests sample many strings from each
grammar (uniformly at random, token by token) and parse every one of them with ours.

- `claim_grammar()`: one claim line of `grammars/claims.lark` (keyword terminals written as
  literals, the lookaheads dropped, NAME never a keyword (llguidance's `&` and `~` on lexemes),
  only spaces and tabs between tokens, no comments), without the spellings our parser refuses as
  ambiguous (`_CLAIM_EXPRESSIONS`): no number as the right factor of an implicit product
  (`10 000`, `1 1/2`), no factorial of a bare factorial (`5!!`; `(5!)!` stays), and `!=` (and
  `=` after a factorial) only after a space (`x!=2`, `4!=25`).
- `return_grammar(line)`: a `<RETURN>` body of claim lines (the worker adds the tags).
- `organizer_grammar()`: one organizer turn of `grammars/protocol.lark`: text and complete forks
  (`<FORK-i>query</FORK-i>`, i up to `MAX_FORK_ID`, the same i on both tags), ending with a join
  or an answer. Text never holds '<' (a subset of the protocol's text).
- `bounded_organizer_grammar(max_chars)`: the same turn in at most `max_chars` ASCII characters,
  so that decoding it within a token budget always ends complete (what `LLMOrganizer` decodes).
"""

from __future__ import annotations

import re
from functools import lru_cache

from grammars import grammar_text

#: Highest fork id the organizer grammar offers.
MAX_FORK_ID = 16
#: Longest free text in one organizer text run or sub-query, in characters.
MAX_TEXT_CHARS = 400

_PRIORITY = re.compile(r"^([A-Z_][A-Z_0-9]*)\.\d+:", re.M)
#: Terminals of claims.lark whose regexes use lookahead, and their llguidance form.
_CLAIM_TERMINALS = {
    "QUANTIFIER": 'QUANTIFIER: "forall" | "exists"',
    "SORT": 'SORT: "Int" | "Real"',
    # A keyword is never a name: our LALR lexer prefers the keyword literal, so llguidance must not
    # offer `not` or `and` as a NAME either (`4not` would be 4 * not there, a parse error here).
    # Nor is a function name (`3 factorial` is refused: it is a function, not a variable), nor
    # `_` and a digit (`1_000` is refused: 1000 or 1*_000?).
    "NAME": (
        "NAME: /[A-Za-z_][A-Za-z_0-9]*'*/ & ~/(and|or|not|in|true|false|mod|forall|exists|sqrt|root"
        "|abs|min|max|gcd|lcm|floor|ceil|binomial|factorial|exp|ln|log|sin|cos|tan|_[0-9].*)/"
    ),
    "FUNCTION": (
        'FUNCTION: "sqrt" | "root" | "abs" | "min" | "max" | "gcd" | "lcm" | "floor" | "ceil" '
        '| "binomial" | "factorial" | "exp" | "ln" | "log" | "sin" | "cos" | "tan"'
    ),
}


#: Rules and terminals of claims.lark that `_claim_expressions()` replaces.
_CLAIM_REPLACED = ("comparison", "sum", "product", "unary", "power", "postfix", "atom", "RELATION", "names")
#: Keywords our parser reads as an unknown function call when '(' follows at once (`not(`):
#: the dialect writes them with a space or tab after.
_SPACED_KEYWORDS = ("not", "and", "or", "mod")
#: How an expression ends: a factorial, a name, a number, or ')'.
_ENDS = ("bang", "name", "number", "paren")


def _claim_expressions() -> str:
    """The arithmetic of claims.lark without the spellings our parser refuses as ambiguous: each
    rule `X_end` derives the X that end in `end` (`_ENDS`), so that what may follow depends on it.
    - the right factor of an implicit product (`2x`) never starts with a number (`10 000`,
      `1 1/2`, `2 .5`); after a number it is not a name like `e3`, `e` or `x1` (`1e3`, `2e+3`,
      `0x10`); after a name it does not start with '(' (`ab(2)` reads as a call);
    - `!` applies to an atom, never to a factorial (`5!!`, `5! !`; `(5!)!` stays);
    - `!=`, and `=` after a factorial, are written after a space (`x!=2`, `4!=25`): that is one
      lexeme, SPACED_RELATION (llguidance's lexer is greedy, so ` !=` is that lexeme rather than
      the ignored space and then a `!=` the grammar does not have)."""
    rules = [
        'names: BOUND_NAME ("," BOUND_NAME)*',  # a constant is never bound (`forall e in Real`)
        "comparison: (sum_bang BANG_RELATION | sum_plain RELATION | sum SPACED_RELATION)+ sum",
        "?sum_plain: sum_name | sum_number | sum_paren",
        "?sum: sum_bang | sum_plain",
        "?product: " + " | ".join(f"product_{end}" for end in _ENDS),
        '?postfix: atom | atom "!"',
        '?atom: NAME | NUMBER | call | "(" sum ")"',
        '?call: FUNCTION "(" sum ("," sum)* ")"',
        "?atom_name: NAME",
        "?atom_number: NUMBER",
        '?atom_paren: call | "(" sum ")"',
        '?atom_bang: atom "!"',
    ]
    for end in _ENDS:
        rules += [
            f'?sum_{end}: product_{end} | sum ("+" | "-") product_{end}',
            f'?unary_{end}: power_{end} | "-" unary_{end} | "+" unary_{end}',
            f'?power_{end}: atom_{end} | postfix ("^" | "**") unary_{end}',
        ]
        products = [f"unary_{end}", f'product ("*" | "/" | "%" | /mod[ \\t]/) unary_{end}']
        products += [f"product_{before} factor_{before}_{end}" for before in _ENDS]
        rules.append(f"?product_{end}: " + " | ".join(products))
    for before in _ENDS:
        leads = ["NAME_AFTER_NUMBER" if before == "number" else "NAME", "call"]
        if before != "name":
            leads.append('"(" sum ")"')
        rules.append(f"?lead_{before}: " + " | ".join(leads))
        rules.append(f"?lead_{before}_name: " + leads[0])
        rules.append(f"?lead_{before}_paren: " + " | ".join(leads[1:]))
        for end in _ENDS:  # a factor ends in a number only as a power (`2x^2`)
            first = {"bang": f'lead_{before} "!" | ', "number": ""}.get(end, f"lead_{before}_{end} | ")
            rules.append(
                f'?factor_{before}_{end}: {first}(lead_{before} | lead_{before} "!") ("^" | "**") unary_{end}'
            )
    terminals = [
        'RELATION: "<=" | ">=" | "=" | "<" | ">"',
        'BANG_RELATION: "<=" | ">=" | "<" | ">"',
        r"SPACED_RELATION: /[ \t]+(<=|>=|!=|=|<|>)/",
        "BOUND_NAME: NAME & ~/(pi|e)/",
        r"NAME_AFTER_NUMBER: NAME & ~/[eE]|([eE][0-9]|[xXbBoO][0-9A-Fa-f])[A-Za-z_0-9]*'*/",
    ]
    return "\n".join(["", *rules, *terminals, ""])


class DialectError(ValueError):
    """A grammar uses a construct this converter does not know how to carry over."""


def strip_priorities(text: str) -> str:
    """`NAME.2:` -> `NAME:` (llguidance has no terminal priorities)."""
    return _PRIORITY.sub(r"\1:", text)


@lru_cache(maxsize=1)
def claim_grammar() -> str:
    """One claim line of `grammars/claims.lark`, in llguidance's dialect (see the module doc)."""
    text = strip_priorities(grammar_text("claims"))
    lines, replaced, skipping = [], set(), False
    for line in text.splitlines():
        head = line.split(":", 1)[0].strip()
        if line.strip().startswith("|") and skipping:
            continue  # an alternative of a replaced rule
        skipping = head.lstrip("?") in _CLAIM_REPLACED
        if skipping:
            replaced.add(head.lstrip("?"))
        elif head in _CLAIM_TERMINALS:
            lines.append(_CLAIM_TERMINALS[head])
        elif head == "COMMENT" or line.strip() in ("%ignore COMMENT", "%ignore WS", "%import common.WS"):
            continue
        else:
            lines.append(line)
    if replaced != set(_CLAIM_REPLACED):
        raise DialectError(f"claims.lark no longer has {sorted(set(_CLAIM_REPLACED) - replaced)}")
    out = "\n".join(lines) + _claim_expressions()
    for keyword in _SPACED_KEYWORDS:
        out = out.replace(f'"{keyword}"', f"/{keyword}[ \\t]/")
    if "(?" in out:
        raise DialectError("claims.lark has a lookaround this converter does not rewrite")
    return out + "\n%import common.WS_INLINE\n%ignore WS_INLINE\n"


def return_grammar(line_rule: str, *, max_lines: int = 8) -> str:
    """A `<RETURN>` body of 1..`max_lines` lines, each in the grammar `line_rule` (whose start
    rule is `start`); the lines are separated by newlines."""
    if max_lines < 1:
        raise DialectError("max_lines must be positive")
    body, found = re.subn(r"^\??start:", "?line:", line_rule, count=1, flags=re.M)
    if not found:
        raise DialectError("the line grammar has no start rule")
    more = " ".join(['("\\n" line)?'] * (max_lines - 1))
    return f"start: line {more}\n{body}"


@lru_cache(maxsize=1)
def organizer_grammar() -> str:
    """One organizer turn (see the module docstring)."""
    forks = " | ".join(f'"<FORK-{i}>" QUERY "</FORK-{i}>"' for i in range(1, MAX_FORK_ID + 1))
    joins = " | ".join(f'"<JOIN-{i}>"' for i in range(1, MAX_FORK_ID + 1))
    return "\n".join(
        [
            "start: TEXT? (fork TEXT?)* end",
            f"fork: {forks}",
            f'end: {joins} | "<ANSWER>" TEXT "</ANSWER>"',
            f"TEXT: /[^<]{{1,{MAX_TEXT_CHARS}}}/",
            f"QUERY: /[^<\\n]{{1,{MAX_TEXT_CHARS}}}/",
        ]
    )


#: Characters of free text between two tags in a bounded organizer turn.
BETWEEN_TAGS_CHARS = 16
#: The longest tag pair of a fork (`<FORK-16>` + `</FORK-16>`) and the answer tags, in characters.
_FORK_TAGS, _ANSWER_TAGS = 19, 17
#: ASCII text without '<': a token of it is at least one character, so characters bound tokens.
_ASCII_TEXT = r"[\n\t -;=-~]"


@lru_cache(maxsize=32)
def bounded_organizer_grammar(max_chars: int, *, max_forks: int = 2) -> str | None:
    """One organizer turn of at most `max_chars` characters (see `organizer_grammar`): ASCII text,
    at most `max_forks` forks, short text between tags, and the rest of the budget split evenly
    between the fork queries and the answer. Every token of such text is at least one character,
    so a turn decoded under it with `max_tokens >= max_chars` always ends complete (it parses).
    None when `max_chars` leaves no room for one fork or an answer of 8 characters."""
    for forks in range(max_forks, -1, -1):
        room = max_chars - BETWEEN_TAGS_CHARS - _ANSWER_TAGS - forks * (_FORK_TAGS + BETWEEN_TAGS_CHARS)
        each = room // (forks + 1)
        if each >= 8:
            break
    else:
        return None
    text = f"/{_ASCII_TEXT}{{1,{BETWEEN_TAGS_CHARS}}}/"
    fork = " | ".join(f'"<FORK-{i}>" QUERY "</FORK-{i}>"' for i in range(1, MAX_FORK_ID + 1))
    joins = " | ".join(f'"<JOIN-{i}>"' for i in range(1, MAX_FORK_ID + 1))
    body = "end"
    for _ in range(forks):
        body = f"(fork TEXT? {body} | end)" if body != "end" else "(fork TEXT? end | end)"
    return "\n".join(
        [
            f"start: TEXT? {body}",
            *([f"fork: {fork}"] if forks else []),
            f'end: {joins} | "<ANSWER>" ANSWER_TEXT "</ANSWER>"',
            f"TEXT: {text}",
            rf"QUERY: /[\t -;=-~]{{1,{each}}}/",
            f"ANSWER_TEXT: /{_ASCII_TEXT}{{1,{each}}}/",
        ]
    )
