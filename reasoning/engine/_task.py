"""What a fork/join run works on, and how a returned claim or a final answer is checked against it.

A `Task` is a text for the organizer plus, optionally, a symbolic core: `unknowns` (names the
task asks for, each `Int` or `Real`) and `constraints` (claims in the claim language that the
unknowns must satisfy). Claims are read from worker text one per line (`read_claims`).

The claim language reads free variables universally, which is right for identities
(`(a+b)^2 = a^2 + 2ab + b^2`) but wrong for a claim about the task's unknowns (`x = 6` is not
true for every x). So a claim is checked by the first obligation that applies (`obligations`):

- `closed`: it mentions no unknown; it must be proved as written.
- `entailed`: it mentions unknowns; proved when every value of the unknowns that satisfies the
  constraints satisfies it: `forall U: (C -> claim)`. It can never conflict with another claim
  of a satisfiable task.
- `choice`: it mentions only unknowns and is not entailed; accepted when some value of the
  unknowns satisfies the constraints and it: `exists U: (C and claim)`. It is a candidate, not a
  fact: two choices can contradict each other, which is what the engine's joint consistency
  check at every join catches.

A claim whose obligation is refuted or invalid rejects the fork that returned it.

A task of a domain (`reasoning.domains`: Countdown, Sudoku, ...) carries its problem as
`domain` (the problem's JSON). Its claims and answer are then checked by the domain's rules
(`Domain.check_claim`, `Domain.check_answer`) in the role `domain`: closed statements with a
`domain` certificate, which never take part in the joint consistency check.

Every task states formally what it asks, its `goal` (`reasoning.engine._goals.Goal`): `find` values
for named unknowns (optionally `unique`), `all` solutions, `decide` a claim, or a domain's own
goal. A task with unknowns and constraints and no goal asks to find every unknown; a task whose
whole text is a claim and that has nothing else asks to decide that claim. A task with no formal
content (text only; an unknown no constraint mentions; constraints without unknowns or goal) is
refused with InvalidArgument: nothing about it could be proved.

The final answer is checked by `check_answer` against the goal (`reasoning.engine._goals`): each
obligation is an ordinary claim with an ordinary certificate, named by the role it discharges
(`goal:find:pins`, `goal:find:exists`, `goal:unique`, `goal:all:member`, `goal:all:complete`,
`goal:decide`, `closed`), so the proof bundle re-derives the obligation from the task and the
answer text and re-checks the certificate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from proofs.claims import Connective, Formula, free_variables, to_text
from proofs.parsing import ParseFailure, parse_claim
from proofs.verdict import Status, Verdict, invalid
from reasoning.domains import get as domain_named
from reasoning.domains import load as load_problem
from reasoning.engine._goals import (
    Goal,
    conjunction,
    constrained_obligations,
    goal_obligations,
    quantify,
    total,
)
from reasoning.errors import InvalidArgument
from solvers.dispatch import decide

SORTS = ("Int", "Real")
ROLES = ("closed", "entailed", "choice", "domain")
#: Most claims read from one worker result or answer; the rest are reported, not checked.
MAX_CLAIMS = 64
_NAME = re.compile(r"[A-Za-z_][A-Za-z_0-9]*'*")
#: A lone UTF-16 surrogate (JSON's `"\\ud800"` escape decodes to one): not Unicode text.
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Task:
    """A task for the engine. `unknowns` keeps its order (it fixes quantifier order).

    `require_claims`: a worker result must contain at least one accepted claim (the default);
    when False, a result with no claim lines is joined as plain text. `domain`: the JSON of a
    domain problem (`reasoning.domains.Problem.to_json`); its rules then check claims and answer.
    `goal`: what is asked (a `Goal` or its JSON); None takes the default (module docstring), and
    after construction it is always a `Goal`.
    """

    text: str
    unknowns: dict[str, str] = field(default_factory=dict)
    constraints: tuple[str, ...] = ()
    require_claims: bool = True
    domain: dict[str, Any] | None = None
    goal: Goal | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise InvalidArgument("task text must be a str")
        if _SURROGATE.search(self.text):  # the run's files are UTF-8: writing it failed at the end
            raise InvalidArgument(
                "task text holds an unpaired UTF-16 surrogate (\\ud800...): not Unicode text"
            )
        if self.domain is not None:
            if self.unknowns or self.constraints:
                raise InvalidArgument("a domain task has no unknowns or constraints of its own")
            self.problem  # noqa: B018 - parse now, so a bad domain task fails here, clearly
        if not isinstance(self.unknowns, dict):
            raise InvalidArgument("unknowns must map names to 'Int' or 'Real'")
        for name, sort in self.unknowns.items():
            if not isinstance(name, str) or not _NAME.fullmatch(name) or sort not in SORTS:
                raise InvalidArgument(f"unknown {name!r}: {sort!r} must be a name with sort Int or Real")
        constraints = tuple(self.constraints)
        object.__setattr__(self, "constraints", constraints)
        for text in constraints:
            if not isinstance(text, str):
                raise InvalidArgument("constraints must be claim texts")
            formula = parse_claim(text)
            if isinstance(formula, ParseFailure):
                raise InvalidArgument(f"constraint {text!r} does not parse: {formula.describe()}")
            stray = sorted(free_variables(formula) - set(self.unknowns))
            if stray:
                raise InvalidArgument(f"constraint {text!r} uses {', '.join(stray)}, which are not unknowns")
        object.__setattr__(self, "goal", self._resolve_goal())

    def _resolve_goal(self) -> Goal:
        """The task's goal, defaulted and checked against the task (see the module docstring)."""
        goal = self.goal if self.goal is None else Goal.from_json(self.goal)
        if self.domain is not None:
            if goal is not None and goal.kind != "domain":
                raise InvalidArgument("a domain task has the domain's own goal")
            return Goal("domain")
        if goal is not None and goal.kind == "domain":
            raise InvalidArgument("a domain goal needs a domain problem")
        if goal is None and not self.unknowns and not self.constraints:
            formula = parse_claim(self.text)
            if isinstance(formula, ParseFailure) or not self.text.strip():
                raise InvalidArgument(
                    "the task has no formal content: text alone cannot be verified. Give unknowns "
                    "with constraints (a find or all goal; to evaluate E, an unknown v with the "
                    "constraint `v = E`), a claim to decide, or a domain problem"
                )
            goal = Goal.decide(self.text.strip())
        if goal is None:
            goal = Goal.find()
        mentioned = set().union(*(free_variables(f) for f in self.constraint_formulas))
        if goal.kind == "decide":
            mentioned |= free_variables(goal.formula)
        idle = [name for name in self.unknowns if name not in mentioned]
        if idle:
            many = len(idle) > 1
            raise InvalidArgument(
                f"unknown{'s' if many else ''} {', '.join(idle)} {'appear' if many else 'appears'} in no "
                f"constraint: nothing says what {'they are' if many else 'it is'}, so no answer could "
                f"be proved; add constraints that define {'them' if many else 'it'}"
            )
        if goal.kind in ("find", "all"):
            if not self.unknowns:
                raise InvalidArgument(f"a {goal.kind} goal needs unknowns (and constraints on them)")
            stray = [name for name in goal.unknowns if name not in self.unknowns]
            if stray:
                raise InvalidArgument(f"the goal asks for {', '.join(stray)}, which are not unknowns")
        return goal

    @cached_property
    def problem(self):
        """The parsed domain problem (`reasoning.domains.Problem`), or None for a plain task."""
        if self.domain is None:
            return None
        return load_problem(self.domain)

    @property
    def constraint_formulas(self) -> list[Formula]:
        return [parse_claim(text) for text in self.constraints]  # validated in __post_init__

    def to_json(self) -> dict[str, Any]:
        out = {
            "text": self.text,
            "unknowns": dict(self.unknowns),
            "constraints": list(self.constraints),
            "require_claims": self.require_claims,
        }
        if self.domain is not None:
            out["domain"] = self.domain
        else:
            out["goal"] = self.goal.to_json()
        return out

    @classmethod
    def from_json(cls, data: Any) -> Task:
        """Build a task from its `to_json` form; InvalidArgument names what is wrong."""
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            raise InvalidArgument("a task is a JSON object with a 'text' string")
        constraints = data.get("constraints", [])
        if not isinstance(constraints, list):
            raise InvalidArgument("task 'constraints' must be a list of claim texts")
        domain = data.get("domain")
        if domain is not None and not isinstance(domain, dict):
            raise InvalidArgument("task 'domain' must be a domain problem object")
        goal = data.get("goal")
        return cls(
            text=data["text"],
            unknowns=data.get("unknowns", {}),
            constraints=tuple(constraints),
            require_claims=bool(data.get("require_claims", True)),
            domain=domain,
            goal=None if goal is None else Goal.from_json(goal),
        )

    @classmethod
    def of_problem(cls, problem, *, own: bool = False) -> Task:
        """The engine task of a domain problem (`reasoning.domains.Problem`).

        Its `problem` is parsed again from the problem's JSON, unless `own` says the problem
        was parsed for this run alone: then it is `problem` itself (a second parse of the same
        JSON costs a tenth of a millisecond). Only then: a parsed problem may remember what its
        checks decided (a Sudoku's settled lines), which must not carry over to another run."""
        if not own:
            return cls(text=problem.text, domain=problem.to_json())
        task = cls.__new__(cls)
        task.__dict__["problem"] = problem  # what the cached property would parse, already parsed
        task.__init__(text=problem.text, domain=problem.to_json())
        return task


def free_unknowns(task: Task, *, budget_s: float) -> list[str]:
    """The asked unknowns of a find task that its constraints provably leave free (every value
    of one fits them: `n = n`), so no answer could ever be proved (`goals.constrained_obligations`)."""
    if task.domain is not None:
        return []
    checks = constrained_obligations(task.goal, task.unknowns, task.constraint_formulas)
    asked = task.goal.asked(list(task.unknowns))
    free = [n for n, (_, f) in zip(asked, checks) if decide(f, budget_s=budget_s).status is Status.REFUTED]
    if not free:
        return []
    # with no solution at all, nothing is free: the run may still prove "no solution"
    solvable = quantify("exists", task.unknowns, conjunction(task.constraint_formulas))
    return free if decide(solvable, budget_s=budget_s).status is Status.PROVED else []


def refuse_free_unknowns(task: Task, *, budget_s: float) -> None:
    """InvalidArgument when the constraints provably leave an asked unknown free (`n = n`):
    `reason run` and `solve` refuse such a task up front, as they refuse text alone."""
    free = free_unknowns(task, budget_s=budget_s)
    if free:
        raise InvalidArgument(
            f"the constraints do not constrain {', '.join(free)}: every value fits them, so no answer "
            "could be proved; add constraints that define it"
        )


def read_claims(text: str) -> list[str]:
    """The claim lines of a worker result or answer: non-blank lines not starting with '#'."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def obligations(task: Task, formula: Formula) -> list[tuple[str, Formula]]:
    """(role, formula to prove) for a returned claim, in the order they are tried."""
    mentioned = free_variables(formula) & set(task.unknowns)
    if not mentioned:
        return [("closed", formula)]
    constraints = task.constraint_formulas
    # a point where the constraints are undefined is no solution (`total`), not a counterexample
    premise = Connective("->", total(conjunction(constraints)), formula) if constraints else formula
    out = [("entailed", quantify("forall", task.unknowns, premise))]
    if free_variables(formula) <= set(task.unknowns):
        body = conjunction([*constraints, formula])
        out.append(("choice", quantify("exists", task.unknowns, body)))
    return out


@dataclass(frozen=True)
class ClaimCheck:
    """One returned claim: its text, the role it was accepted in, and the deciding verdict."""

    text: str
    role: str | None
    verdict: Verdict
    formula: Formula | None = None
    #: A rejection that re-dispatching the same sub-query cannot mend (see DomainCheck.final).
    final: bool = False

    @property
    def accepted(self) -> bool:
        return self.verdict.status is Status.PROVED

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "role": self.role, "verdict": self.verdict.to_json()}

    def describe(self) -> str:
        """One line for feedback and join texts."""
        v = self.verdict
        line = f"{self.text}: {v.status.value}"
        if self.role and v.status is Status.PROVED:
            line += f" ({self.role})"
        if v.counterexample and v.counterexample.get("assignment"):
            values = ", ".join(f"{k} = {x}" for k, x in v.counterexample["assignment"].items())
            line += f"; counterexample: {values}"
        if v.message and v.status is not Status.PROVED:
            line += f"; {v.message}"
        return line


def _domain_verdict(task: Task, text: str, check) -> Verdict:
    return Verdict(
        claim=text,
        status=check.status,
        backend=f"domain:{task.problem.domain}",
        certificate=check.certificate,
        message=check.message,
    )


def check_claim(task: Task, text: str, *, budget_s: float, formula: Formula | None = None) -> ClaimCheck:
    """Check one returned claim against `task` (see the module docstring). `formula`: `text`
    already parsed by the caller (the claim cache parses it for its key), so it is not parsed twice."""
    if task.domain is not None:
        domain_check = _domain(task).check_claim(task.problem, text, budget_s=budget_s)
        return ClaimCheck(
            text, "domain", _domain_verdict(task, text, domain_check), final=bool(domain_check.final)
        )
    if formula is None:
        formula = parse_claim(text)
    if isinstance(formula, ParseFailure):
        return ClaimCheck(text, None, invalid(text, formula.describe()))
    verdict: Verdict | None = None
    role = None
    for role, obligation in obligations(task, formula):  # noqa: B007 - the last role stands
        verdict = decide(obligation, budget_s=budget_s)
        if verdict.status is Status.PROVED:
            break  # else: not entailed, but it may still be a choice
    assert verdict is not None
    if role == "choice" and verdict.status is Status.REFUTED:
        verdict = Verdict(
            claim=verdict.claim,
            status=Status.REFUTED,
            backend=verdict.backend,
            elapsed_ms=verdict.elapsed_ms,
            certificate=verdict.certificate,
            counterexample=verdict.counterexample,
            message="no value of the unknowns satisfies the task's constraints and this claim",
        )
    return ClaimCheck(text, role, verdict, formula)


def check_returned(task: Task, text: str, *, budget_s: float) -> tuple[list[ClaimCheck], list[str]]:
    """Check the claim lines of `text` (at most MAX_CLAIMS); returns (checks, notes on the rest)."""
    lines = read_claims(text)
    notes = []
    if len(lines) > MAX_CLAIMS:
        notes.append(f"only the first {MAX_CLAIMS} of {len(lines)} claim lines were checked")
        lines = lines[:MAX_CLAIMS]
    return [check_claim(task, line, budget_s=budget_s) for line in lines], notes


# ---------------------------------------------------------------- the final answer


@dataclass(frozen=True)
class AnswerCheck:
    """The final answer's check: `status` is proved only when every obligation is proved.

    `text` is what was checked: the answer's claim lines only. Its `#` note lines are kept
    apart in `notes`, never checked, so a proved answer never shows an unchecked line."""

    text: str
    status: Status
    message: str
    obligations: tuple[tuple[str, Verdict], ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def proved(self) -> bool:
        return self.status is Status.PROVED

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "status": self.status.value,
            "message": self.message,
            "obligations": [{"role": r, "verdict": v.to_json()} for r, v in self.obligations],
            "notes": list(self.notes),
        }


def split_notes(text: str) -> tuple[str, tuple[str, ...]]:
    """(the claim lines of an answer, its `#` note lines): only the former are ever checked."""
    notes = tuple(line.strip() for line in text.splitlines() if line.lstrip().startswith("#"))
    claims = "\n".join(line.rstrip() for line in text.splitlines() if not line.lstrip().startswith("#"))
    return claims.strip(), notes


def answer_obligations(task: Task, text: str) -> list[tuple[str, Formula]] | ParseFailure | str:
    """(role, formula) pairs the answer must prove to discharge the task's goal
    (`reasoning.engine._goals`); a ParseFailure or a message when it cannot."""
    if task.domain is not None:
        return "a domain answer is checked by the domain's rules"
    lines = read_claims(text)
    if not lines:
        return "the answer holds no claim"
    if len(lines) > MAX_CLAIMS:
        return f"the answer has {len(lines)} claim lines; at most {MAX_CLAIMS} are checked"
    formulas = []
    for line in lines:
        formula = parse_claim(line)
        if isinstance(formula, ParseFailure):
            return formula
        formulas.append(formula)
    return goal_obligations(task.goal, task.unknowns, task.constraint_formulas, formulas)


#: What a failed obligation means, for the answer check's message.
_FAILED = {
    "goal:find:pins": "the answer's values do not satisfy the task",
    "goal:find:exists": "no value of the unknowns satisfies both the answer and the task",
    "goal:unique": "the answer is not the only solution",
    "goal:find:constrained": (
        "the constraints do not constrain an asked unknown (every value of it fits them), so no "
        "value answers the question; add constraints that define it"
    ),
    "goal:all:member": "a listed solution does not satisfy the task",
    "goal:all:complete": "the listed solutions are not all the solutions",
    "goal:decide": "the decided claim is not proved",
    "goal:decide:consistent": "no value of the unknowns satisfies the task's constraints",
}


def _domain(task: Task):
    return domain_named(task.problem.domain)


def check_answer(task: Task, text: str, *, budget_s: float) -> AnswerCheck:
    """Is `text` a verified answer to `task`? (See the module docstring.) Its `#` note lines
    are set apart first (`split_notes`): the check's `text` is the claim lines it checked."""
    text, notes = split_notes(text)
    if notes:
        return replace(_check_answer(task, text, budget_s=budget_s), notes=notes)
    return _check_answer(task, text, budget_s=budget_s)


def _check_answer(task: Task, text: str, *, budget_s: float) -> AnswerCheck:
    if task.domain is not None:
        check = _domain(task).check_answer(task.problem, text, budget_s=budget_s)
        verdict = _domain_verdict(task, text, check)
        return AnswerCheck(text, check.status, check.message, (("domain", verdict),))
    planned = answer_obligations(task, text)
    if isinstance(planned, ParseFailure):
        return AnswerCheck(text, Status.INVALID, f"the answer does not parse: {planned.describe()}")
    if isinstance(planned, str):
        return AnswerCheck(text, Status.INVALID, planned)
    results = []
    for role, formula in planned:
        verdict = decide(formula, budget_s=budget_s)
        results.append((role, verdict))
        if verdict.status is not Status.PROVED:
            what = _FAILED.get(role) or f"{to_text(formula)} is not proved"
            return AnswerCheck(text, verdict.status, f"{what} ({verdict.status.value})", tuple(results))
    solution = ": a solution, not proved unique" if task.goal.kind == "find" and not task.goal.unique else ""
    return AnswerCheck(
        text,
        Status.PROVED,
        f"the answer discharges the goal ({task.goal.describe()}){solution}",
        tuple(results),
    )
