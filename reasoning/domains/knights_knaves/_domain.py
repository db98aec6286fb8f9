"""Domain `knights_knaves`: who tells the truth? (reasoning-gym `knights_knaves`), with Z3 and a
uniqueness check.

Every person is a knight (always tells the truth) or a knave (always lies); `knight` and
`knave` name the two kinds (hero/villain, angel/devil, ...). A task has `people` (names) and
`statements`, each `Speaker: formula` (also `Speaker says: formula`) in the formula language of
the logic domain (`reasoning.domains.logic`), where a person's name stands for "that person is a knight":
`Amelia: Elizabeth ∧ ¬Amelia` says "Elizabeth is a knight and I am a knave". The English of
reasoning-gym's puzzles is read too: `Amelia says: Elizabeth is a knight and Amelia is a knave`.
A statement holds exactly when its speaker is a knight: `speaker ↔ formula`.

Claims (one line each) and answers:

- A list of roles, `Amelia is a knight`, `Amelia is a hero, and Elizabeth is a villain.` or
  `Amelia: knight, Elizabeth: knave`: the puzzle has a solution and every solution gives these
  roles. For a final answer the list must name everyone, so it says "this is the unique solution".
- `possible: <roles>`: some solution gives these roles.
- `Amelia is undetermined`: two solutions disagree about Amelia.
- `no solution` / `several solutions`.

Certificates: the SMT-LIB script whose `unsat` shows the claim (no solution; no solution that
breaks the listed roles), which `recheck` rebuilds from the task and the claim text and re-solves
in a fresh Z3 context, and solutions that `recheck` re-evaluates against every statement exactly
(no Z3).

`from_reasoning_gym` parses the puzzle's English: the knight/knave words, the people, and one
statement per template sentence (every template of reasoning-gym's generator), each a
"X is a knight/knave", "it is not the case that (...)", "... and/or ...", "if ... then ...",
"... if and only if ..." phrase. It never reads the stored answer or solution.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reasoning.domains import register
from reasoning.domains._base import (
    FieldSpec,
    Problem,
    TaskError,
    check_fields,
    feedback_lines,
)
from reasoning.domains.common._claim_lines import content_lines, unreadable
from reasoning.domains.common._threaded_worker import ThreadedDomainWorker, note
from reasoning.domains.logic._formulas import (
    FormulaError,
    Node,
    PropAnd,
    PropIff,
    PropImp,
    PropNot,
    PropOr,
    PropVar,
    evaluate,
    render,
    variables,
)
from reasoning.domains.logic._parser import is_name, parse_formula
from reasoning.domains.logic._query_domain import QueryDomain
from reasoning.domains.logic._smt import smt, smt_script, solve_smt
from reasoning.domains.logic._task import MAX_CLAIM_CHARS, MAX_PREMISES, RECHECK_BUDGET_S
from reasoning.engine._planner import TurnPlanner, verified_claims

#: Most people a puzzle may have.
MAX_PEOPLE = 500
#: Deepest nesting of an English statement read by `from_reasoning_gym`.
MAX_ENGLISH_DEPTH = 50

#: reasoning-gym's statement templates (its generator's `TEMPLATES`, copied as data).
TEMPLATES = (
    "{name} said that {content}.",
    "{name} told you that {content}.",
    '{name} said, "{content}."',
    '{name} stated, "{content}".',
    'According to {name}, "{content}".',
    'In {name}\'s words: "{content}".',
    '{name} remarked, "{content}".',
    '"{content}," {name} declared.',
    '{name} was heard saying, "{content}".',
    "{name} expressed that {content}.",
    '"{content}" - {name}.',
    'As {name} put it, "{content}".',
    '{name} asserted: "{content}".',
    '"{content}," {name} mentioned.',
    '{name} commented, "{content}".',
    'In a statement by {name}: "{content}".',
    '{name} noted, "{content}".',
    '"{content}," {name} claimed.',
)


@dataclass(frozen=True)
class KnightsTask:
    """The parsed puzzle: people, (speaker, formula) statements and the two role words."""

    people: tuple[str, ...]
    statements: tuple[tuple[str, Node], ...]
    knight: str
    knave: str

    def role(self, value: bool) -> str:
        """`a knight` / `an angel`: the role word with its article."""
        word = self.knight if value else self.knave
        return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"

    def solves(self, assignment: Mapping[str, bool]) -> bool:
        """Does `assignment` (a bool per person) make every statement hold exactly when its
        speaker is a knight? Direct evaluation, no solver."""
        return all(assignment[s] == evaluate(f, assignment) for s, f in self.statements)


Literals = tuple[tuple[str, bool], ...]


@dataclass(frozen=True)
class KnightsQuery:
    """What a claim or an answer says: `roles` (every solution gives these roles, and one
    exists), `possible` (some solution does), `undetermined` (solutions disagree about a
    person), `none` (no solution) or `several` (at least two)."""

    kind: str
    literals: Literals = ()
    person: str = ""


# ---------------------------------------------------------------- scripts, deciding, re-checking


def _term(literal: tuple[str, bool]) -> str:
    name, value = literal
    return f"|{name}|" if value else f"(not |{name}|)"


def script(task: KnightsTask, extra: Sequence[str] = ()) -> str:
    """The SMT-LIB script: each person a Bool, `(= speaker formula)` per statement, then `extra`."""
    terms = [f"(= |{s}| {smt(f)})" for s, f in task.statements]
    return smt_script(task.people, [*terms, *extra])


def _not_all(literals: Literals) -> str:
    return f"(not (and {' '.join(map(_term, literals))} true))"


def _solve(task: KnightsTask, extra: Sequence[str], budget_s: float, fresh: bool = False):
    text = script(task, extra)
    result, model, why = solve_smt(text, task.people, budget_s, fresh=fresh)
    return text, result, model, why


def _shown(task: KnightsTask, model: Mapping[str, bool]) -> str:
    return ", ".join(f"{p}: {task.knight if model[p] else task.knave}" for p in task.people)


def decide(
    task: KnightsTask, query: KnightsQuery, budget_s: float
) -> tuple[bool | None, dict[str, Any], str]:
    """(truth of the query or None when unknown, evidence, message)."""
    base, result, first, why = _solve(task, (), budget_s)
    if result == "unknown":
        return None, {}, why
    if query.kind == "none":
        if result == "unsat":
            return True, {"script": base}, "no assignment satisfies the statements (the script is unsat)"
        return False, {"solution": first}, f"a solution: {_shown(task, first)}"
    if result == "unsat":
        return False, {"none_script": base}, "the puzzle has no solution (the script is unsat)"
    assert first is not None
    if query.kind == "roles":
        text, result, other, why = _solve(task, [_not_all(query.literals)], budget_s)
        if result == "unsat":
            everyone = len(query.literals) == len(task.people)
            why = (
                f"the unique solution: {_shown(task, first)}"
                if everyone
                else "every solution gives these roles"
            )
            return True, {"solution": first, "script": text}, why
        if result == "sat":
            return False, {"solution": other}, f"a solution that does not: {_shown(task, other)}"
        return None, {}, why
    if query.kind == "possible":
        text, result, model, why = _solve(task, list(map(_term, query.literals)), budget_s)
        if result == "sat":
            return True, {"solution": model}, f"a solution: {_shown(task, model)}"
        if result == "unsat":
            return False, {"script": text}, "no solution gives these roles (the script is unsat)"
        return None, {}, why
    if query.kind == "undetermined":
        other_value = not first[query.person]
        text, result, other, why = _solve(task, [_term((query.person, other_value))], budget_s)
        if result == "sat":
            return True, {"solutions": [first, other]}, f"solutions disagree about {query.person}"
        if result == "unsat":
            return (
                False,
                {"script": text, "value": other_value},
                f"{query.person} is always {task.role(not other_value)}",
            )
        return None, {}, why
    if query.kind == "several":
        literals = tuple((p, first[p]) for p in task.people)
        text, result, other, why = _solve(task, [_not_all(literals)], budget_s)
        if result == "sat":
            return True, {"solutions": [first, other]}, "at least two solutions"
        if result == "unsat":
            return False, {"solution": first, "script": text}, f"the unique solution: {_shown(task, first)}"
        return None, {}, why
    raise ValueError(f"unknown query kind {query.kind!r}")


def _solution(task: KnightsTask, model: Any) -> dict[str, bool] | None:
    """`model` when it gives every person a bool and solves the puzzle, else None."""
    if not isinstance(model, dict) or set(model) != set(task.people):
        return None
    if not all(isinstance(v, bool) for v in model.values()) or not task.solves(model):
        return None
    return dict(model)


def _unsat_again(task: KnightsTask, given: Any, extra: Sequence[str]) -> tuple[bool, str]:
    text, result, _, why = _solve(task, extra, RECHECK_BUDGET_S, fresh=True)
    if given != text:
        return False, "the evidence's script is not the one rebuilt from the task and the claim"
    if result != "unsat":
        return False, f"a fresh z3 says {result}, not unsat {why}".rstrip()
    return True, "the rebuilt script is unsat in a fresh z3"


def verify(
    task: KnightsTask, query: KnightsQuery, truth: bool, evidence: Mapping[str, Any]
) -> tuple[bool, str]:
    """(ok, why): does `evidence` establish that `query` is `truth`? Scripts are rebuilt and
    re-solved in a fresh Z3 context; solutions are re-evaluated directly."""
    agrees = lambda m: all(m[n] == v for n, v in query.literals)  # noqa: E731
    if query.kind == "none":
        if truth:
            return _unsat_again(task, evidence.get("script"), ())
        return (
            (True, "the solution satisfies every statement")
            if _solution(task, evidence.get("solution"))
            else (
                False,
                "no solution in the evidence",
            )
        )
    if not truth and "none_script" in evidence:
        return _unsat_again(task, evidence.get("none_script"), ())
    if query.kind in ("roles", "possible"):
        model = _solution(task, evidence.get("solution"))
        if truth:
            if model is None or not agrees(model):
                return False, "no solution with these roles in the evidence"
            if query.kind == "possible":
                return True, "the solution satisfies every statement and gives these roles"
            return _unsat_again(task, evidence.get("script"), [_not_all(query.literals)])
        if query.kind == "possible":
            return _unsat_again(task, evidence.get("script"), list(map(_term, query.literals)))
        if model is None or agrees(model):
            return False, "no solution that breaks these roles in the evidence"
        return True, "the solution satisfies every statement and breaks a listed role"
    if query.kind == "undetermined":
        if truth:
            found = evidence.get("solutions")
            models = (
                [_solution(task, m) for m in found] if isinstance(found, list) and len(found) == 2 else []
            )
            if len(models) != 2 or None in models or models[0][query.person] == models[1][query.person]:
                return False, f"no two solutions that disagree about {query.person}"
            return True, f"two solutions disagree about {query.person}"
        value = evidence.get("value")
        if not isinstance(value, bool):
            return False, "no fixed value in the evidence"
        return _unsat_again(task, evidence.get("script"), [_term((query.person, value))])
    if query.kind == "several":
        if truth:
            found = evidence.get("solutions")
            models = (
                [_solution(task, m) for m in found] if isinstance(found, list) and len(found) == 2 else []
            )
            if len(models) != 2 or None in models or models[0] == models[1]:
                return False, "no two different solutions in the evidence"
            return True, "two different solutions"
        model = _solution(task, evidence.get("solution"))
        if model is None:
            return False, "no solution in the evidence"
        return _unsat_again(
            task, evidence.get("script"), [_not_all(tuple((p, model[p]) for p in task.people))]
        )
    return False, f"unknown query kind {query.kind!r}"


# ---------------------------------------------------------------- reading claims and answers

_NONE = re.compile(r"\s*no (?:valid )?solution(?: exists)?\s*\.?\s*\Z", re.IGNORECASE)
_SEVERAL = re.compile(
    r"\s*(?:several solutions|multiple solutions|more than one solution|not unique)\s*\.?\s*\Z", re.IGNORECASE
)
_UNDETERMINED = re.compile(r"\s*(\S+)\s+(?:is undetermined|could be either)\s*\.?\s*\Z", re.IGNORECASE)
_POSSIBLE = re.compile(r"\s*possible\s*:(.*)\Z", re.IGNORECASE | re.DOTALL)
_SEPARATOR = re.compile(r"\s*(?:[,;\n]|\band\b)\s*", re.IGNORECASE)
_ROLE_ITEM = re.compile(
    r"(?P<name>[A-Za-z_][A-Za-z0-9_'-]*)\s*(?:\bis\b|:|=)\s*(?:(?:a|an)\s+)?(?P<role>[A-Za-z-]+)\Z",
    re.IGNORECASE,
)


def _person(task: KnightsTask, name: str) -> str:
    """The person called `name` (any letter case); FormulaError naming the people otherwise."""
    for person in task.people:
        if person.lower() == name.lower():
            return person
    raise FormulaError(f"unknown person {name[:40]!r} (people: {', '.join(task.people)})")


def parse_roles(task: KnightsTask, text: str, *, once: bool = False) -> Literals:
    """`A is a knight, and B is a knave.` / `A: knight; B: knave` / one per line -> literals.
    With `once` (an answer), a person's role given twice is an error, as a repeated countdown
    answer line is."""
    words = {task.knight.lower(): True, task.knave.lower(): False, "knight": True, "knave": False}
    out: dict[str, bool] = {}
    items = [item for item in _SEPARATOR.split(text.strip().rstrip(".")) if item.strip()]
    if not items:
        raise FormulaError("no roles given")
    for item in items:
        match = _ROLE_ITEM.match(item.strip())
        if match is None:
            raise FormulaError(
                f"{item.strip()[:60]!r} is not `NAME is a {task.knight}` or `NAME is a {task.knave}`"
            )
        role = match.group("role").lower()
        if role not in words:
            raise FormulaError(f"{match.group('role')!r} is neither {task.knight!r} nor {task.knave!r}")
        person = _person(task, match.group("name"))
        if out.get(person, words[role]) != words[role]:
            raise FormulaError(f"{person} is given both roles")
        if once and person in out:
            raise FormulaError(f"{person}'s role is given twice")
        out[person] = words[role]
    return tuple(sorted(out.items(), key=lambda item: task.people.index(item[0])))


def parse_claim(task: KnightsTask, text: str) -> KnightsQuery:
    """The query of one claim line (see the module docstring); FormulaError otherwise."""
    if why := unreadable(text, what="claim", limit=MAX_CLAIM_CHARS):
        raise FormulaError(why)
    if _NONE.match(text):
        return KnightsQuery("none")
    if _SEVERAL.match(text):
        return KnightsQuery("several")
    if match := _UNDETERMINED.match(text):
        return KnightsQuery("undetermined", person=_person(task, match.group(1)))
    if match := _POSSIBLE.match(text):
        return KnightsQuery("possible", parse_roles(task, match.group(1)))
    return KnightsQuery("roles", parse_roles(task, text))


def parse_answer(task: KnightsTask, text: str) -> KnightsQuery:
    """The final answer: `no solution`, `several solutions`, or everyone's role (then: this is
    the unique solution); FormulaError otherwise."""
    if why := unreadable(text, what="answer", limit=MAX_CLAIM_CHARS):
        raise FormulaError(why)
    body = "\n".join(content_lines(text))
    if _NONE.match(body):
        return KnightsQuery("none")
    if _SEVERAL.match(body):
        return KnightsQuery("several")
    literals = parse_roles(task, body, once=True)
    missing = [p for p in task.people if p not in dict(literals)]
    if missing:
        raise FormulaError(f"the answer gives no role for {', '.join(missing)}")
    return KnightsQuery("roles", literals)


# ---------------------------------------------------------------- reasoning-gym's English


def _words(text: str) -> list[str]:
    tokens = re.findall(r"\(|\)|[A-Za-z'-]+", text)
    if "".join(tokens) != re.sub(r"\s+", "", text):
        raise FormulaError(f"unexpected characters in {text[:60]!r}")
    return tokens


class _English:
    """A recursive-descent reader of one statement of reasoning-gym's generator."""

    def __init__(self, text: str, people: Sequence[str], knight: str, knave: str) -> None:
        self.tokens = _words(text)
        self.pos = 0
        self.people = set(people)
        self.roles = {knight.lower(): True, knave.lower(): False}
        self.depth = 0

    def read(self) -> Node:
        node = self.statement()
        if self.pos != len(self.tokens):
            raise FormulaError(f"unexpected {' '.join(self.tokens[self.pos : self.pos + 5])!r}")
        return node

    def at(self, *words: str) -> bool:
        return tuple(self.tokens[self.pos : self.pos + len(words)]) == words

    def take(self, *words: str) -> None:
        if not self.at(*words):
            found = " ".join(self.tokens[self.pos : self.pos + len(words)]) or "the end"
            raise FormulaError(f"expected {' '.join(words)!r}, found {found!r}")
        self.pos += len(words)

    def statement(self) -> Node:
        self.depth += 1
        if self.depth > MAX_ENGLISH_DEPTH:
            raise FormulaError(f"a statement nested deeper than {MAX_ENGLISH_DEPTH}")
        try:
            if self.at("if"):
                self.take("if")
                left = self.unit()
                self.take("then")
                return PropImp(left, self.unit())
            first = self.unit()
            if self.at("if", "and", "only", "if"):
                self.take("if", "and", "only", "if")
                return PropIff(first, self.unit())
            for word, cls in (("and", PropAnd), ("or", PropOr)):
                if self.at(word):
                    items = [first]
                    while self.at(word):
                        self.take(word)
                        items.append(self.unit())
                    return cls(tuple(items))
            return first
        finally:
            self.depth -= 1

    def unit(self) -> Node:
        if self.at("("):
            self.take("(")
            node = self.statement()
            self.take(")")
            return node
        if self.at("it", "is", "not", "the", "case", "that"):
            self.take("it", "is", "not", "the", "case", "that")
            self.depth += 1
            try:
                if self.depth > MAX_ENGLISH_DEPTH:
                    raise FormulaError(f"a statement nested deeper than {MAX_ENGLISH_DEPTH}")
                return PropNot(self.unit())
            finally:
                self.depth -= 1
        if self.pos >= len(self.tokens) or self.tokens[self.pos] not in self.people:
            found = self.tokens[self.pos] if self.pos < len(self.tokens) else "the end"
            raise FormulaError(f"expected a person's name, found {found!r}")
        name = self.tokens[self.pos]
        self.pos += 1
        self.take("is")
        negated = self.at("not")
        if negated:
            self.take("not")
        if self.at("a") or self.at("an"):
            self.pos += 1
        role = self.tokens[self.pos].lower() if self.pos < len(self.tokens) else ""
        if role not in self.roles:
            raise FormulaError(f"expected a role ({', '.join(self.roles)}), found {role or 'the end'!r}")
        self.pos += 1
        knight = self.roles[role] != negated
        return PropVar(name) if knight else PropNot(PropVar(name))


def _template_patterns(people: Sequence[str]) -> list[re.Pattern[str]]:
    names = "|".join(re.escape(p) for p in sorted(people, key=len, reverse=True))
    out = []
    for template in TEMPLATES:
        parts = []
        for part in re.split(r"(\{name\}|\{content\})", template):
            if part == "{name}":
                parts.append(f"(?P<name>{names})")
            elif part == "{content}":
                parts.append(r'(?P<content>[^"]+?)')
            else:
                parts.append(re.escape(part))
        out.append(re.compile("".join(parts) + r"(?=\s|\Z)"))
    return out


def read_puzzle(question: str) -> dict[str, Any]:
    """The task dict of a reasoning-gym knights_knaves question (its English text only)."""
    if not isinstance(question, str) or len(question) > MAX_CLAIM_CHARS:
        raise TaskError("question: a reasoning-gym question text (at most 100,000 characters)")
    terms = re.search(r"So who is an? ([A-Za-z-]+) and who is an? ([A-Za-z-]+)\?", question)
    if terms is None:
        raise TaskError("question: no 'So who is a ... and who is a ...?' sentence")
    knight, knave = terms.group(1), terms.group(2)
    meet = re.search(r"You meet (\d+) inhabitants?: ([^.]*)\.", question)
    if meet is None:
        raise TaskError("question: no 'You meet N inhabitants: ...' sentence")
    people = [p.strip() for p in re.split(r",|\band\b", meet.group(2)) if p.strip()]
    if len(people) != int(meet.group(1)):
        raise TaskError(f"question: {meet.group(1)} inhabitants announced, {len(people)} named")
    region = question[meet.end() : terms.start()]
    patterns = _template_patterns(people)
    statements = []
    pos = 0
    while region[pos:].strip():
        pos += len(region[pos:]) - len(region[pos:].lstrip())
        found = None
        errors = []
        for pattern in patterns:
            match = pattern.match(region, pos)
            if match is None:
                continue
            try:
                node = _English(match.group("content"), people, knight, knave).read()
            except FormulaError as exc:
                errors.append(str(exc))
                continue
            found = (match, node)
            break
        if found is None:
            why = f" ({errors[0]})" if errors else ""
            raise TaskError(f"question: cannot read the statement {region[pos : pos + 80]!r}{why}")
        match, node = found
        statements.append(f"{match.group('name')}: {render(node)}")
        pos = match.end()
    return {"people": people, "statements": statements, "knight": knight, "knave": knave}


# ---------------------------------------------------------------- the domain

_STATEMENT = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:says\s*)?:(.*)\Z", re.IGNORECASE | re.DOTALL)
_ROLE_WORD = re.compile(r"[A-Za-z][A-Za-z-]*\Z")


class KnightsKnavesDomain(QueryDomain):
    """Knights (truth-tellers) and knaves (liars), see the module docstring."""

    name = "knights_knaves"
    summary = "knights and knaves: who tells the truth, with a uniqueness check (Z3)"
    reasoning_gym = ("knights_knaves",)
    fields = {
        "people": FieldSpec("strs", "the inhabitants' names", required=True),
        "statements": FieldSpec(
            "strs",
            "`Speaker: formula`, a name meaning 'is a knight' (e.g. `Amelia: Elizabeth & !Amelia`)",
            default=[],
        ),
        "knight": FieldSpec("str", "the word for a truth-teller", default="knight"),
        "knave": FieldSpec("str", "the word for a liar", default="knave"),
    }

    def parse(self, data: Mapping[str, Any]) -> Problem:
        values = check_fields(self, data)
        people = [p.strip() for p in values["people"]]
        if not people:
            raise TaskError("people: empty; a puzzle needs at least one person")
        if len(people) > MAX_PEOPLE:
            raise TaskError(f"people: {len(people)} people; at most {MAX_PEOPLE}")
        for person in people:
            if not is_name(person):
                raise TaskError(f"people: {person[:40]!r} is not a name (letters, digits, _; not a keyword)")
        lowered = [p.lower() for p in people]
        twice = sorted({p for p in people if lowered.count(p.lower()) > 1})
        if twice:
            raise TaskError(f"people: {twice[0]!r} is named twice")
        knight, knave = values["knight"].strip(), values["knave"].strip()
        for field, word in (("knight", knight), ("knave", knave)):
            if not _ROLE_WORD.match(word) or word.lower() in ("a", "an", "is", "and"):
                raise TaskError(f"{field}: {word[:40]!r} is not a single word")
        if knight.lower() == knave.lower() or knight.lower() == "knave" or knave.lower() == "knight":
            raise TaskError(f"knight, knave: {knight!r} and {knave!r} do not name two different roles")
        if len(values["statements"]) > MAX_PREMISES:
            raise TaskError(f"statements: {len(values['statements'])} statements; at most {MAX_PREMISES}")
        statements = []
        for index, text in enumerate(values["statements"], 1):
            match = _STATEMENT.match(text)
            if match is None:
                raise TaskError(f"statements[{index}]: {text[:60]!r} is not `Speaker: formula`")
            speaker = match.group(1)
            if speaker not in people:
                raise TaskError(
                    f"statements[{index}]: unknown speaker {speaker!r} (people: {', '.join(people)})"
                )
            formula = _statement_formula(match.group(2), people, knight, knave, index)
            unknown = sorted(variables(formula) - set(people))
            if unknown:
                raise TaskError(
                    f"statements[{index}]: unknown person {unknown[0]!r} (people: {', '.join(people)})"
                )
            statements.append((speaker, formula))
        task = KnightsTask(tuple(people), tuple(statements), knight, knave)
        fields = {
            "people": people,
            "statements": [t.strip() for t in values["statements"]],
            "knight": knight,
            "knave": knave,
        }
        return Problem(self.name, fields, _text(task), task)

    def from_reasoning_gym(self, task_name: str, entry: Mapping[str, Any]) -> Problem:
        """The puzzle from the question's English alone (never `answer` or `metadata`)."""
        if task_name not in self.reasoning_gym:
            raise TaskError(f"the knights_knaves domain reads knights_knaves, not {task_name!r}")
        question = entry.get("question") if isinstance(entry, Mapping) else None
        return self.parse(read_puzzle(question))

    def parse_query(self, problem: Problem, text: str, role: str) -> Any:
        return (parse_claim if role == "claim" else parse_answer)(problem.data, text)

    def decide_query(self, problem: Problem, query: Any, budget_s: float) -> tuple[bool | None, Any, str]:
        return decide(problem.data, query, budget_s)

    def verify_query(self, problem: Problem, query: Any, holds: bool, evidence: Any) -> tuple[bool, str]:
        return verify(problem.data, query, holds, evidence)

    def answers(self, problem: Problem, answer_text: str) -> list[str]:
        """`no solution`, `several solutions`, or one `NAME is a ROLE` per person in order."""
        task: KnightsTask = problem.data
        try:
            query = parse_answer(task, answer_text)
        except FormulaError:
            return super().answers(problem, answer_text)
        if query.kind == "none":
            return ["no solution"]
        if query.kind == "several":
            return ["several solutions"]
        return [f"{name} is {task.role(value)}" for name, value in query.literals]

    def to_reasoning_gym(self, problem: Problem, answers: Sequence[str]) -> str:
        """reasoning-gym's sentence: `A is a hero, B is a villain, and C is a hero.`"""
        if not answers:
            return ""
        if len(answers) == 1:
            return answers[0] if answers[0] in ("no solution", "several solutions") else answers[0] + "."
        return ", ".join(answers[:-1]) + ", and " + answers[-1] + "."

    def symbolic_worker(self) -> KnightsWorker:
        return KnightsWorker()

    def planner(self, problem: Problem, *, capacity: int) -> KnightsPlanner:
        return KnightsPlanner(problem, capacity=capacity)

    def worker_prompt(self, problem: Problem, query: str, feedback: Sequence[str] = ()) -> str:
        task: KnightsTask = problem.data
        lines = [
            f"Task (knights_knaves): {problem.text}",
            "Answer the sub-query with claims, one per line, inside <RETURN>...</RETURN>:",
            f"`NAME is {task.role(True)}` / `NAME is {task.role(False)}` (true in every solution),",
            "`NAME is undetermined`, `possible: A is ..., B is ...` (some solution), `no solution`,",
            "`several solutions`.",
            f"Example: A: ¬B, B: (A ∧ B). Sub-query: who is A? If A were {task.role(False)}, B would be",
            f"{task.role(True)} telling a falsehood; so A is {task.role(True)} (and B {task.role(False)}).",
            f"<RETURN>\nA is {task.role(True)}\n</RETURN>",
            "Example: A: A (nothing forces A). Sub-query: who is A?\n<RETURN>\nA is undetermined\n</RETURN>",
            f"Sub-query: {query}",
        ]
        lines += feedback_lines(feedback)
        return "\n".join(lines)

    def organizer_prompt(self, problem: Problem) -> str:
        return (
            f"Task (knights_knaves): {problem.text}\n"
            "Fork one sub-query per person (<FORK-i>who is NAME?</FORK-i>), <JOIN-i> each for its verified "
            "claim, then answer everyone's role, one `NAME is a ROLE` per line, or `no solution` / "
            "`several solutions`: <ANSWER>...</ANSWER>."
        )


def _statement_formula(text: str, people: Sequence[str], knight: str, knave: str, index: int) -> Node:
    """A statement's formula, or failing that its English (`Elizabeth is a knight and ...`, the
    phrases of reasoning-gym's generator); TaskError with the formula's parse error otherwise."""
    try:
        return parse_formula(text)
    except FormulaError as exc:
        english = text.strip().rstrip(".")
        if len(english) <= MAX_CLAIM_CHARS and re.search(r"\bis\b", english):
            try:
                return _English(english, people, knight, knave).read()
            except FormulaError as why:
                raise TaskError(f"statements[{index}]: {exc} (read as English: {why})") from exc
        raise TaskError(f"statements[{index}]: {exc}") from exc


def _text(task: KnightsTask) -> str:
    said = "; ".join(f"{s} says: {render(f)}" for s, f in task.statements) or "nobody says anything"
    return (
        f"Each person is {task.role(True)} (always tells the truth) or {task.role(False)} (always lies). "
        f'People: {", ".join(task.people)}. In the statements a name means "that person is '
        f'{task.role(True)}". {said}. Who is {task.role(True)} and who is {task.role(False)}?'
    )


# ---------------------------------------------------------------- the solver worker

_WHO = re.compile(r"\s*who\s+is\s+([A-Za-z_][A-Za-z0-9_]*)\s*\??\s*\Z", re.IGNORECASE)
_SOLVE = re.compile(r"\s*solve\s*:?\s*\Z", re.IGNORECASE)


class KnightsWorker(ThreadedDomainWorker):
    """A symbolic worker for knights_knaves sub-queries (Z3 in a thread):

    - `who is NAME?`: `NAME is a knight` / `... a knave` (true in every solution),
      `NAME is undetermined`, or `no solution`.
    - `solve`: everyone's role on one line when the solution is unique; `several solutions`
      with two `possible:` lines; or `no solution`.
    """

    task_type = KnightsTask
    refusal = "knights worker: the task is not a knights_knaves task"

    def answer(self, task: KnightsTask, query: str) -> str:
        """The RETURN body for `query`."""
        query = query if isinstance(query, str) and len(query) <= MAX_CLAIM_CHARS else ""
        base, result, first, why = _solve(task, (), self.budget_s)
        if result == "unknown":
            return note(f"knights worker: {why}")
        if (who := _WHO.match(query)) is not None:
            try:
                person = _person(task, who.group(1))
            except FormulaError as exc:
                return note(f"who is: {exc}")
            if first is None:
                return "no solution"
            _, result, _, why = _solve(task, [_term((person, not first[person]))], self.budget_s)
            if result == "unknown":
                return note(f"who is: {why}")
            return (
                f"{person} is {task.role(first[person])}"
                if result == "unsat"
                else f"{person} is undetermined"
            )
        if _SOLVE.match(query):
            if first is None:
                return "no solution"
            literals = tuple((p, first[p]) for p in task.people)
            _, result, other, why = _solve(task, [_not_all(literals)], self.budget_s)
            if result == "unknown":
                return note(f"solve: {why}")
            everyone = ", ".join(f"{p} is {task.role(first[p])}" for p in task.people)
            if result == "unsat":
                return everyone
            second = ", ".join(f"{p} is {task.role(other[p])}" for p in task.people)
            return f"several solutions\npossible: {everyone}\npossible: {second}"
        return note(f"knights worker: unrecognised query {query[:80]!r}", "queries: 'who is NAME?', 'solve'")


# ---------------------------------------------------------------- the planner


class KnightsPlanner(TurnPlanner):
    """Forks `who is NAME?` per person (waves of `capacity`), joins them and answers: `no
    solution` if a fork found none, `several solutions` if someone is undetermined, else
    everyone's role (every role entailed: the solution is unique). When a fork failed, one
    `solve` fork answers the whole puzzle."""

    def __init__(self, problem: Problem, *, capacity: int = 4) -> None:
        if not isinstance(problem.data, KnightsTask):
            raise TaskError("the knights_knaves planner needs a knights_knaves problem")
        if not isinstance(capacity, int) or capacity < 1:
            raise TaskError(f"capacity must be a positive int, got {capacity!r}")
        self.task: KnightsTask = problem.data
        self.capacity = capacity
        self._start()

    def _plan(self):
        task = self.task
        context = yield ""
        people = list(task.people)
        for start in range(0, len(people), self.capacity):
            wave = list(enumerate(people[start : start + self.capacity], start=start + 1))
            context = (
                yield "".join(f"<FORK-{i}>who is {p}?</FORK-{i}>" for i, p in wave) + f"<JOIN-{wave[0][0]}>"
            )
            for i, _ in wave[1:]:
                context = yield f"<JOIN-{i}>"
        claims = [c for found in verified_claims(context).values() for c in found]
        roles: dict[str, bool] = {}
        for claim in claims:
            try:
                query = parse_claim(task, claim)
            except FormulaError:
                continue
            if query.kind == "roles":
                roles.update(query.literals)
        if any(_NONE.match(c) for c in claims):
            yield "<ANSWER>no solution</ANSWER>"
            return
        if any(_UNDETERMINED.match(c) for c in claims):
            yield "<ANSWER>several solutions</ANSWER>"
            return
        if len(roles) == len(people):
            yield "<ANSWER>" + "\n".join(f"{p} is {task.role(roles[p])}" for p in people) + "</ANSWER>"
            return
        whole = len(people) + 1
        context = yield f"<FORK-{whole}>solve</FORK-{whole}><JOIN-{whole}>"
        found = verified_claims(context).get(whole, [])
        answer = next((c for c in found if not c.lower().startswith("possible")), "no solution")
        yield f"<ANSWER>{answer}</ANSWER>"


register(KnightsKnavesDomain())
