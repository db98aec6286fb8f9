"""Typed sub-queries: what a fork asks for, and whether a worker's claims answer it.

A fork's query is typed when it starts with one of these verbs (case-insensitive) and its body
parses; anything else is free text, which any verified claim may answer.

- `evaluate: E` wants a claim `E = value` (or `value = E`) for that very E, equal up to parsing
  (the same parsed expression), with a closed value.
- `solve: C1; C2 [for x, y]` wants `x = <closed>` and `y = <closed>` (top-level conjuncts of the
  returned claims). Without `for`, the names are the task's unknowns followed by the other free
  variables of the query's claims, sorted (as `reasoning.engine._symbolic_worker` reads it).
- `all: C1; C2 [for x, y]` wants one claim whose disjuncts each give every name a value
  (`(x = 1 and y = 2) or (x = 3 and y = 0)`). With no constraints of its own (`all: for x, y`,
  as the planner asks it) the query asks for the task's complete solution set, so that claim
  must also be proved entailed by the task's constraints (`incomplete`, after verification): a
  claim proved only as a choice (`x = 2` for `x^2 = 4`) is one solution, not all of them.
- `prove: C` wants the claim C itself, equal up to parsing.

`unanswered` is called by the engine before any claim is verified, so a true claim that does
not answer its sub-query (`2 + 2 = 4` for `evaluate: 12 * 7`) is rejected with feedback naming
what was asked, and never joins. The bundle checker applies both tests to every join it sees.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from proofs.claims import Compare, Formula, Num, free_variables, to_text
from proofs.parsing import ParseFailure, parse_claim
from reasoning.engine._goals import disjuncts, pinned

#: The typed verbs.
VERBS = ("evaluate", "solve", "all", "prove")
#: Longest query typed; a longer one is free text (the worker refuses it anyway).
MAX_QUERY_CHARS = 200_000
#: Most claim lines read from a RETURN body when looking for the answer.
MAX_LINES = 64

_NAME = r"[A-Za-z_][A-Za-z_0-9]*'*"
_QUERY = re.compile(r"\s*([A-Za-z]+)\s*:(.*)\Z", re.DOTALL)
_FOR = re.compile(rf"(?:^|(?<=[\s;]))for\s+({_NAME}(?:\s*,\s*{_NAME})*)\Z")
_COMMENT = re.compile(r"#[^\n]*")


@dataclass(frozen=True)
class SubQuery:
    """A typed sub-query: `verb`, and what it wants (`term`, `claim` or `names`)."""

    verb: str
    term: object | None = None  # evaluate: the parsed expression
    claim: Formula | None = None  # prove: the parsed claim
    names: tuple[str, ...] = ()  # solve / all: the variables asked for
    shown: str = ""  # the asked expression or claim, as written
    whole: bool = False  # solve / all with no constraints of its own: the task's own question

    def wants(self) -> str:
        """What an answer looks like, for feedback."""
        if self.verb == "evaluate":
            return f"the claim `{self.shown} = <value>` with that very expression and a closed value"
        if self.verb == "prove":
            return f"the claim `{self.shown}` itself"
        values = " and ".join(f"`{name} = <value>`" for name in self.names)
        if self.verb == "solve":
            return f"a value for each of {', '.join(self.names)}: {values}"
        return (
            f"every solution for {', '.join(self.names)} as one claim, a disjunction of solutions "
            f"each giving {values}"
        )

    def answered_by(self, formulas: Sequence[Formula]) -> bool:
        """Do the parsed claim lines answer this sub-query?"""
        if self.verb == "evaluate":
            return any(_evaluates(f, self.term) for f in formulas)
        if self.verb == "prove":
            return self.claim in formulas
        if self.verb == "solve":
            return set(self.names) <= pinned(formulas, set(self.names))
        return any(
            all(set(self.names) <= pinned([d], set(self.names)) for d in disjuncts(f)) for f in formulas
        )


def _evaluates(formula: Formula, term: object) -> bool:
    if not (isinstance(formula, Compare) and formula.ops == ("=",)):
        return False
    left, right = formula.terms
    # the value is not E itself: `12 * 7 = 12 * 7` is true but gives no value
    return (left == term and right != term and not free_variables(right)) or (
        right == term and left != term and not free_variables(left)
    )


def _names(text: str) -> tuple[str, list[str] | None]:
    """(body without its `for` list, the names of the `for` list or None)."""
    body = text.rstrip().rstrip(";").rstrip()
    match = _FOR.search(body)
    if match is None:
        return body, None
    names = list(dict.fromkeys(n.strip() for n in match.group(1).split(",")))
    return body[: match.start()], names


def parse_subquery(query: str, unknowns: Iterable[str] = ()) -> SubQuery | None:
    """The typed sub-query of `query`, or None when it is free text (see the module docstring)."""
    if not isinstance(query, str) or len(query) > MAX_QUERY_CHARS:
        return None
    match = _QUERY.match(query)
    verb = match.group(1).lower() if match else ""
    if match is None or verb not in VERBS:
        return None
    body = match.group(2).strip()
    if verb == "evaluate":
        expression = " ".join(_COMMENT.sub("", body).split())
        parsed = parse_claim(f"{expression} = 0") if expression else None
        if not (isinstance(parsed, Compare) and parsed.ops == ("=",) and parsed.terms[1] == Num(Fraction(0))):
            return None
        return SubQuery("evaluate", term=parsed.terms[0], shown=expression)
    if verb == "prove":
        claim = parse_claim(body) if body else None
        if claim is None or isinstance(claim, ParseFailure):
            return None
        return SubQuery("prove", claim=claim, shown=" ".join(body.split()))
    rest, names = _names(body)
    if names is None:
        parts = [p.strip() for p in re.split(r"[;\n]", rest) if p.strip()]
        formulas = [parse_claim(p) for p in parts]
        if any(isinstance(f, ParseFailure) for f in formulas):
            return None
        task_names = list(unknowns)
        others = set().union(*(free_variables(f) for f in formulas)) - set(task_names)
        names = [*task_names, *sorted(others)]
    if not names:
        return None
    whole = not _COMMENT.sub("", rest).strip(" \t\n;")
    return SubQuery(verb, names=tuple(names), whole=whole)


def unanswered(query: str, unknowns: Iterable[str], text: str) -> str | None:
    """None when `text` (a RETURN body, claims one per line) answers `query` or the query is free
    text; else the reason to reject it, naming what was asked."""
    asked = parse_subquery(query, unknowns)
    if asked is None:
        return None
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    parsed = [parse_claim(line) for line in lines[:MAX_LINES]]
    formulas = [f for f in parsed if not isinstance(f, ParseFailure)]
    if len(formulas) < len(parsed):
        return None  # a line that does not parse rejects the result anyway, with its parse error
    if asked.answered_by(formulas):
        return None
    got = "; ".join(to_text(f) for f in formulas[:3]) or "no claim"
    return f"the result does not answer the sub-query `{_short(query)}`: it asks for {asked.wants()} (got: {_short(got)})"


def incomplete(
    query: str, unknowns: Iterable[str], claims: Sequence[tuple[str, str | None, str | None]]
) -> str | None:
    """For an `all:` sub-query with no constraints of its own: None when one of the verified
    `claims` ((text, role, status) of a RETURN's claim lines) that lists solutions is proved in
    the role `entailed` (the task's constraints imply it: no solution is missing); else the
    reason to reject the RETURN. None for every other sub-query."""
    verb = _QUERY.match(query) if isinstance(query, str) else None
    if verb is None or verb.group(1).lower() != "all":  # the common case, without parsing
        return None
    asked = parse_subquery(query, unknowns)
    if asked is None or not asked.whole:
        return None
    for text, role, status in claims:
        formula = parse_claim(text)
        if isinstance(formula, ParseFailure) or not asked.answered_by([formula]):
            continue
        if role == "entailed" and status == "proved":
            return None
    return (
        f"the result does not answer the sub-query `{_short(query)}`: it asks for every solution, a "
        "claim the task's constraints entail (proved in the role entailed), and the solutions "
        "given were not proved complete"
    )


def _short(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
