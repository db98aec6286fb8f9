"""A symbolic worker: answers sub-queries with the exact kernel, the verifier and Z3.

`SymbolicWorker` sits behind the same `Worker` interface as an LLM worker, so the fork/join engine
can hand it sub-queries and check what it returns like any other worker's text. It yields one
chunk, `Steps(text, 1)` (one solver call; no model tokens), whose text ends in
`<RETURN>...</RETURN>`; the body holds one claim
per line (claim language) or, when there is nothing it can claim, only `#` note lines.

The query language (the verb is case-insensitive; surrounding whitespace is ignored):

- `evaluate: <expression>`: the exact value of a closed expression, by the bounded exact kernel
  (`proofs.exact`). Returns `<expression> = <value>` with the value as an integer or `p/q`.
  Variables, irrational or undefined values and values too large to state give a note.
- `prove: <claim>`: `reasoning.api.verify`; a claim about the task's unknowns is proved when the
  task's constraints entail it. Returns the claim when it is proved; otherwise a note with the
  status, the reason and the counterexample.
- `solve: <c1>; <c2>; ... [for x, y]`: values of the variables that satisfy the task's
  constraints and the query's claims (separated by `;` or line breaks; there may be none),
  found by Z3 through `reasoning.engine._causal_graph.check_claims`. The variables are the `for` list, else the task's
  unknowns followed by the other free variables of the query's claims (sorted); each has the
  task's sort for it, else `Real`. Returns `x = <value>` per variable in that order when every
  value is rational; `# no solution: ...` when the constraints are unsatisfiable; a note when Z3
  gives no answer or a value is irrational. Earlier solutions are excluded: each feedback string
  of the request (the engine's reasons for rejecting earlier attempts) contributes
  `not (c1 and c2 ...)` over its `rejected claim: <claim>` lines whose free variables are
  non-empty and among the problem's variables, so a re-dispatch finds a different solution.

- `all: <c1>; ... [for x, y]`: every solution (variables as for `solve:`), found one at a time
  with each found one excluded, until Z3 proves there is no other; returns one claim
  `(x = 1 and y = 2) or (x = 3 and y = 0)`, which the constraints entail. More than
  MAX_SOLUTIONS solutions, an irrational value or a Z3 `unknown` give a note.

Anything else gets a note listing the verbs. Bad query text never raises: it becomes a note.
All CPU work runs in a thread (`asyncio.to_thread`) within `budget_s` (Z3's own timeout; the
exact kernel bounds sizes before computing), so hostile input such as 100,000 nested
parentheses or `2^2^2^2^100` comes back at once with a note. Nothing here evaluates text.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterable
from fractions import Fraction
from functools import reduce

from proofs.claims import BoolConst, Compare, Connective, Formula, Not, Num, Var, free_variables, to_text
from proofs.exact import NotExact, TooLarge, Undefined, evaluate
from proofs.parsing import ParseFailure, parse_claim
from proofs.verdict import Status, Verdict
from reasoning.api import verify
from reasoning.engine._causal_graph import Consistency, check_claims
from reasoning.engine._goals import quantify
from reasoning.engine._task import MAX_CLAIMS
from reasoning.engine._workers import Chunk, Steps, WorkerRequest
from reasoning.errors import InvalidArgument
from solvers.dispatch import decide

#: The verbs of the query language, in the order the help note lists them.
VERBS = ("evaluate", "prove", "solve", "all")
#: Most solutions an `all:` query enumerates before it gives up with a note.
MAX_SOLUTIONS = 64
#: Longest query read, in characters; longer ones get a note without being parsed.
MAX_QUERY_CHARS = 200_000
#: Feedback strings read for exclusions (the newest ones), and claims read from each.
MAX_FEEDBACK = 64
#: Largest numerator or denominator stated in a returned claim, in bits (about 3,900 digits:
#: below Python's 4,300-digit limit on int -> str, and a claim must stay under 20,000 characters).
MAX_VALUE_BITS = 13_000
#: Characters of query text echoed in a note.
MAX_ECHO_CHARS = 120

_NAME = r"[A-Za-z_][A-Za-z_0-9]*'*"
_QUERY = re.compile(r"\s*([A-Za-z]+)\s*:(.*)\Z", re.DOTALL)
_FOR = re.compile(rf"(?:^|(?<=[\s;]))for\s+({_NAME}(?:\s*,\s*{_NAME})*)\Z")
_COMMENT = re.compile(r"#[^\n]*")
_REJECTED = re.compile(r"\s*rejected claim:(.*)\Z")
#: A '<' that would open a protocol tag (reasoning.engine._protocol); notes echo text, so they break it.
_TAG = re.compile(r"<(?=/?(?:FORK|JOIN|RETURN|ANSWER))")
#: Errors the backends have been seen to raise on hostile input (int -> str digit limits, float
#: conversion of huge factorial arguments). They are backend defects, but the worker's contract
#: is that bad text becomes a note, so they are caught at the call and reported in the note.
_BACKEND_DEFECTS = (ValueError, OverflowError, RecursionError)


def _shown(text: str, limit: int = MAX_ECHO_CHARS) -> str:
    """`text` on one line, cut to `limit` characters, for echoing in a note."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _note(*lines: str) -> str:
    """Note lines: each line of each text prefixed with '# ', protocol tags defused."""
    out = []
    for text in lines:
        for line in text.splitlines() or [""]:
            out.append("# " + _TAG.sub("< ", line).rstrip())
    return "\n".join(out)


def _returned(body: str) -> str:
    return f"<RETURN>\n{body}\n</RETURN>"


def _exact_text(value: Fraction) -> str | None:
    """`p` or `p/q` (with a leading '-' when negative), or None when too large to state."""
    if max(value.numerator.bit_length(), value.denominator.bit_length()) > MAX_VALUE_BITS:
        return None
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value.numerator}/{value.denominator}"


def _claim_lines(lines: list[str]) -> str | None:
    """The lines joined as a RETURN body, or None unless every one parses as a claim."""
    if any(isinstance(parse_claim(line), ParseFailure) for line in lines):
        return None
    return "\n".join(lines)


def _conjunction(formulas: Iterable[Formula]) -> Formula:
    items = list(formulas)
    return reduce(lambda a, b: Connective("and", a, b), items) if items else BoolConst(True)


def _is_variable_name(name: str) -> bool:
    """True for a name the claim language reads as a variable (not `pi`, `e`, `and`, ...)."""
    parsed = parse_claim(f"{name} = 0")
    return isinstance(parsed, Compare) and parsed.terms[0] == Var(name)


def exclusions(feedback: Iterable[str], variables: Iterable[str]) -> list[Formula]:
    """`not (conjunction)` of the `rejected claim:` lines of each feedback string.

    Only claims that parse and whose free variables are non-empty and among `variables` take
    part (a closed claim says nothing about a solution); a string with none adds nothing.
    """
    allowed = set(variables)
    out: list[Formula] = []
    for text in list(feedback)[-MAX_FEEDBACK:]:
        if not isinstance(text, str):
            continue
        claims = []
        for line in text.splitlines():
            match = _REJECTED.match(line)
            if match is None or len(claims) >= MAX_CLAIMS:
                continue
            formula = parse_claim(match.group(1).strip())
            if isinstance(formula, ParseFailure):
                continue
            names = free_variables(formula)
            if names and names <= allowed:
                claims.append(formula)
        if claims:
            out.append(Not(_conjunction(claims)))
    return out


class SymbolicWorker:
    """A worker that answers `evaluate:`, `prove:` and `solve:` sub-queries symbolically.

    `budget_s` bounds each backend call (the verifier's and Z3's budget), so a reply takes about
    that long at most. The reply is one chunk `Steps(text, 1)`: a solver has no tokenizer, so its
    work is counted as one step per reply in the engine's metrics, never as tokens.
    """

    def __init__(self, *, budget_s: float = 2.0) -> None:
        if not isinstance(budget_s, (int, float)) or isinstance(budget_s, bool) or not 0 < budget_s <= 3600:
            raise InvalidArgument(f"budget_s must be a number of seconds in (0, 3600], got {budget_s!r}")
        self.budget_s = float(budget_s)

    async def stream(self, request: WorkerRequest) -> AsyncIterator[Chunk]:
        """Yield the reply to `request` as one chunk; the work runs in a thread."""
        text = await asyncio.to_thread(self.reply, request)
        yield Steps(text)  # one solver call: symbolic work is steps, not tokens

    def reply(self, request: WorkerRequest) -> str:
        """The whole reply text (`<RETURN>...</RETURN>`) for `request`; blocking, CPU-bound."""
        return _returned(self.answer(request))

    def answer(self, request: WorkerRequest) -> str:
        """The RETURN body for `request`: claim lines, or note lines only."""
        query = request.query if isinstance(request.query, str) else ""
        if len(query) > MAX_QUERY_CHARS:
            return _note(
                f"symbolic worker: the query is {len(query)} characters long; the limit is {MAX_QUERY_CHARS}"
            )
        match = _QUERY.match(query)
        verb = match.group(1).lower() if match else ""
        if verb not in VERBS:
            return _note(
                f"symbolic worker: unrecognised query {_shown(query)!r}",
                "queries: 'evaluate: <expression>', 'prove: <claim>', 'solve: <c1>; <c2>; ... [for x, y]', "
                "'all: <c1>; ... [for x, y]'",
            )
        assert match is not None
        body = match.group(2).strip()
        if not body and verb != "solve":  # a bare `solve:` solves the task's own constraints
            return _note(f"symbolic worker: '{verb}:' needs something after the colon")
        if verb == "evaluate":
            return self._evaluate(body)
        if verb == "prove":
            return self._prove(body, request)
        if verb == "all":
            return self._all(body, request)
        return self._solve(body, request)

    # ------------------------------------------------------------ evaluate

    def _evaluate(self, text: str) -> str:
        # Drop comments as the grammar's lexer does, then put the expression on one line, so
        # the appended ` = 0` cannot be swallowed by a comment.
        expression = " ".join(_COMMENT.sub("", text).split())
        if not expression:
            return _note("evaluate: the expression is empty")
        parsed = parse_claim(f"{expression} = 0")
        if isinstance(parsed, ParseFailure):
            return _note(
                f"evaluate: {_shown(expression)!r} is not an expression:", _shown(parsed.describe(), 400)
            )
        # The appended `= 0` is the last relation, so one `=` means the text before it is one term.
        if not (isinstance(parsed, Compare) and parsed.ops == ("=",) and parsed.terms[1] == Num(Fraction(0))):
            return _note(f"evaluate: {_shown(expression)!r} is not an expression (use 'prove:' for claims)")
        term = parsed.terms[0]
        names = sorted(free_variables(term))
        if names:
            return _note(
                f"evaluate: the expression has variables ({', '.join(names)}); it needs a closed one"
            )
        try:
            value = evaluate(term)
        except Undefined as exc:
            return _note(f"evaluate: undefined: {_shown(str(exc))}")
        except TooLarge as exc:
            return _note(f"evaluate: too large to compute exactly: {_shown(str(exc))}")
        except NotExact as exc:
            return _note(f"evaluate: not an exact rational: {_shown(str(exc))}")
        except _BACKEND_DEFECTS as exc:
            return _note(f"evaluate: the exact kernel failed ({type(exc).__name__}: {_shown(str(exc))})")
        shown = _exact_text(value)
        if shown is None:
            bits = value.numerator.bit_length() + value.denominator.bit_length()
            return _note(f"evaluate: the value has {bits} bits, too long to state as a claim")
        body = _claim_lines([f"{expression} = {shown}"])
        return body if body is not None else _note("evaluate: the value is too long to state as a claim")

    # ------------------------------------------------------------ prove

    def _prove(self, text: str, request: WorkerRequest) -> str:
        task = request.task
        try:
            formula = parse_claim(text)
            if (
                not isinstance(formula, ParseFailure)
                and task.constraints
                and free_variables(formula) & set(task.unknowns)
            ):  # a claim about the task's unknowns holds when the constraints entail it
                premise = Connective("->", _conjunction(task.constraint_formulas), formula)
                verdict = decide(quantify("forall", task.unknowns, premise), budget_s=self.budget_s)
            else:
                verdict = verify(text, budget_s=self.budget_s)
        except _BACKEND_DEFECTS as exc:
            return _note(f"prove: the verifier failed ({type(exc).__name__}: {_shown(str(exc))})")
        if verdict.status is Status.PROVED:
            formula = parse_claim(text)
            assert not isinstance(formula, ParseFailure)  # verify proved it, so it parsed
            # The claim as written, unless it spans lines or has comments: then its canonical text.
            line = text if "\n" not in text and "#" not in text else to_text(formula)
            return _claim_lines([line]) or to_text(formula)
        return _note(*_verdict_note(verdict))

    # ------------------------------------------------------------ solve

    def _problem(self, text: str, request: WorkerRequest):
        """(wanted names, sorts, labelled claims, exclusions) of a `solve:`/`all:` body, or a note."""
        body = text.rstrip().rstrip(";").rstrip()
        wanted: list[str] | None = None
        match = _FOR.search(body)
        if match is not None:
            wanted = list(dict.fromkeys(n.strip() for n in match.group(1).split(",")))
            body = body[: match.start()]
            bad = [n for n in wanted if not _is_variable_name(n)]
            if bad:
                return _note(f"solve: {', '.join(bad)}: not variable names (constants or keywords)")
        parts = [p.strip() for p in re.split(r"[;\n]", body) if p.strip()]
        if len(parts) > MAX_CLAIMS:
            return _note(f"solve: {len(parts)} constraints; at most {MAX_CLAIMS} are read")
        query: list[Formula] = []
        for index, part in enumerate(parts, 1):
            formula = parse_claim(part)
            if isinstance(formula, ParseFailure):
                return _note(
                    f"solve: constraint {index} {_shown(part)!r} does not parse:",
                    _shown(formula.describe(), 400),
                )
            query.append(formula)
        task = request.task
        given = task.constraint_formulas
        used = set().union(*(free_variables(f) for f in [*given, *query]))
        if wanted is None:
            wanted = [*task.unknowns, *sorted(set().union(*map(free_variables, query)) - set(task.unknowns))]
        # Every variable any constraint mentions is a shared constant, reported or not.
        names = list(dict.fromkeys([*wanted, *task.unknowns, *sorted(used)]))
        unknowns = {n: task.unknowns.get(n, "Real") for n in names}
        excluded = exclusions(request.feedback, names)
        claims = [(f"task{i}", f) for i, f in enumerate(given, 1)]
        claims += [(f"query{i}", f) for i, f in enumerate(query, 1)]
        claims += [(f"excluded{i}", f) for i, f in enumerate(excluded, 1)]
        return wanted, unknowns, claims, excluded

    def _solve(self, text: str, request: WorkerRequest) -> str:
        problem = self._problem(text, request)
        if isinstance(problem, str):
            return problem
        wanted, unknowns, claims, excluded = problem
        try:
            report = check_claims(unknowns, claims, budget_s=self.budget_s)
        except _BACKEND_DEFECTS as exc:
            return _note(f"solve: the solver failed ({type(exc).__name__}: {_shown(str(exc))})")
        if report.status is Consistency.INCONSISTENT:
            texts = {label: to_text(f) for label, f in claims}
            why = (
                "; ".join(f"{label} ({_shown(texts[label], 80)})" for label in report.core)
                or "the constraints"
            )
            extra = f" (with {len(excluded)} earlier solution(s) excluded)" if excluded else ""
            return _note(f"no solution: {why} cannot all hold{extra}")
        if report.status is not Consistency.CONSISTENT or report.witness is None:
            lines = [f"solve: no exact solution found: {_shown(report.message, 400)}"]
            lines += [f"cannot express {_shown(why, 200)}" for why in report.skipped.values()]
            return _note(*lines)
        if not wanted:
            return _note("solve: the constraints are satisfiable, but there are no variables to report")
        values = _values(wanted, report.witness)
        if isinstance(values, str):
            return _note(f"solve: {values}")
        result = _claim_lines(values)
        return result if result is not None else _note("solve: the solution does not fit in claims")

    # ------------------------------------------------------------ all

    def _all(self, text: str, request: WorkerRequest) -> str:
        """Every solution for the wanted names, as one claim `(x = 1 and y = 2) or (...)`:
        solutions are found one by one, each excluded before the next search, until Z3 says
        there is no other (then the disjunction is entailed by the constraints)."""
        problem = self._problem(text, request)
        if isinstance(problem, str):
            return problem
        wanted, unknowns, claims, _ = problem
        if not wanted:
            return _note("all: there are no variables to report")
        solutions: list[list[str]] = []
        while True:
            try:
                report = check_claims(unknowns, claims, budget_s=self.budget_s)
            except _BACKEND_DEFECTS as exc:
                return _note(f"all: the solver failed ({type(exc).__name__}: {_shown(str(exc))})")
            if report.status is Consistency.INCONSISTENT:
                break
            if report.status is not Consistency.CONSISTENT or report.witness is None:
                return _note(f"all: no exact solution set found: {_shown(report.message, 400)}")
            if len(solutions) >= MAX_SOLUTIONS:
                return _note(f"all: more than {MAX_SOLUTIONS} solutions; not listed")
            values = _values(wanted, report.witness)
            if isinstance(values, str):
                return _note(f"all: {values}")
            solutions.append(values)
            pins = [parse_claim(v) for v in values]
            claims.append((f"found{len(solutions)}", Not(_conjunction(pins))))
        if not solutions:
            return _note("no solution: the constraints cannot all hold")
        # Z3's model order depends on the solver's history in this process; the answer must not.
        solutions.sort(key=lambda values: [Fraction(v.partition(" = ")[2]) for v in values])
        line = " or ".join(f"({' and '.join(values)})" for values in solutions)
        result = _claim_lines([line])
        return result if result is not None else _note("all: the solutions do not fit in a claim")


def _values(wanted: list[str], witness: dict[str, str]) -> list[str] | str:
    """`name = value` for each wanted name from a Z3 model, or what went wrong."""
    values = []
    for name in wanted:
        raw = witness.get(name, "")
        try:
            value = Fraction(raw)
        except (ValueError, ZeroDivisionError):
            return f"z3's value of {name} is not an exact rational: {_shown(raw)}"
        shown = _exact_text(value)
        if shown is None:
            return f"z3's value of {name} is too long to state as a claim"
        values.append(f"{name} = {shown}")
    return values


def _verdict_note(verdict: Verdict) -> list[str]:
    """Note lines for a claim that was not proved: status, reason, counterexample."""
    lines = [f"not proved ({verdict.status.value}): {_shown(verdict.claim)}"]
    if verdict.message:
        lines.append(_shown(verdict.message, 400))
    assignment = (verdict.counterexample or {}).get("assignment")
    if assignment:
        values = ", ".join(f"{k} = {v}" for k, v in assignment.items())
        lines.append(f"counterexample: {_shown(values, 400)}")
    return lines
