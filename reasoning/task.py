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

The final answer is checked by `check_answer`: its claims about the unknowns, A, must pin a
solution (`forall U: (A -> C)`) that exists (`exists U: (A and C)`); its other claims must be
proved. Each obligation is an ordinary claim with an ordinary certificate, so the proof bundle
re-derives the obligation from the task and the claim text and re-checks the certificate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, reduce
from typing import Any

from proofs.claims import BoolConst, Compare, Connective, Formula, Quantified, Var, free_variables, to_text
from proofs.parsing import ParseFailure, parse_claim
from proofs.verdict import Status, Verdict, invalid
from reasoning.api import InvalidArgument
from solvers.dispatch import decide

SORTS = ("Int", "Real")
ROLES = ("closed", "entailed", "choice", "domain")
#: Most claims read from one worker result or answer; the rest are reported, not checked.
MAX_CLAIMS = 64
_NAME = re.compile(r"[A-Za-z_][A-Za-z_0-9]*'*")


@dataclass(frozen=True)
class Task:
    """A task for the engine. `unknowns` keeps its order (it fixes quantifier order).

    `require_claims`: a worker result must contain at least one accepted claim (the default);
    when False, a result with no claim lines is joined as plain text. `domain`: the JSON of a
    domain problem (`reasoning.domains.Problem.to_json`); its rules then check claims and answer.
    """

    text: str
    unknowns: dict[str, str] = field(default_factory=dict)
    constraints: tuple[str, ...] = ()
    require_claims: bool = True
    domain: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise InvalidArgument("task text must be a str")
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

    @cached_property
    def problem(self):
        """The parsed domain problem (`reasoning.domains.Problem`), or None for a plain task."""
        if self.domain is None:
            return None
        from reasoning.domains import load

        return load(self.domain)

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
        return cls(
            text=data["text"],
            unknowns=data.get("unknowns", {}),
            constraints=tuple(constraints),
            require_claims=bool(data.get("require_claims", True)),
            domain=domain,
        )

    @classmethod
    def of_problem(cls, problem) -> Task:
        """The engine task of a domain problem (`reasoning.domains.Problem`)."""
        return cls(text=problem.text, domain=problem.to_json())


def read_claims(text: str) -> list[str]:
    """The claim lines of a worker result or answer: non-blank lines not starting with '#'."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _conjunction(formulas: Iterable[Formula]) -> Formula:
    items = list(formulas)
    return reduce(lambda a, b: Connective("and", a, b), items) if items else BoolConst(True)


def _quantify(kind: str, unknowns: dict[str, str], body: Formula) -> Formula:
    for name, sort in reversed(list(unknowns.items())):
        body = Quantified(kind, (name,), sort, body)
    return body


def obligations(task: Task, formula: Formula) -> list[tuple[str, Formula]]:
    """(role, formula to prove) for a returned claim, in the order they are tried."""
    mentioned = free_variables(formula) & set(task.unknowns)
    if not mentioned:
        return [("closed", formula)]
    constraints = task.constraint_formulas
    premise = Connective("->", _conjunction(constraints), formula) if constraints else formula
    out = [("entailed", _quantify("forall", task.unknowns, premise))]
    if free_variables(formula) <= set(task.unknowns):
        body = _conjunction([*constraints, formula])
        out.append(("choice", _quantify("exists", task.unknowns, body)))
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


def check_claim(task: Task, text: str, *, budget_s: float) -> ClaimCheck:
    """Check one returned claim against `task` (see the module docstring)."""
    if task.domain is not None:
        domain_check = _domain(task).check_claim(task.problem, text, budget_s=budget_s)
        return ClaimCheck(
            text, "domain", _domain_verdict(task, text, domain_check), final=bool(domain_check.final)
        )
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
    """The final answer's check: `status` is proved only when every obligation is proved."""

    text: str
    status: Status
    message: str
    obligations: tuple[tuple[str, Verdict], ...] = ()

    @property
    def proved(self) -> bool:
        return self.status is Status.PROVED

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "status": self.status.value,
            "message": self.message,
            "obligations": [{"role": r, "verdict": v.to_json()} for r, v in self.obligations],
        }


def answer_obligations(task: Task, text: str) -> list[tuple[str, Formula]] | ParseFailure | str:
    """(role, formula) pairs the answer must prove; a ParseFailure or a message when it cannot."""
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
    about = [f for f in formulas if free_variables(f) & set(task.unknowns)]
    out: list[tuple[str, Formula]] = [("closed", f) for f in formulas if f not in about]
    missing = [name for name in task.unknowns if name not in _pinned(about, set(task.unknowns))]
    if missing:  # without a value for every unknown, "the answer solves the task" says nothing
        return f"the answer gives no value for {', '.join(missing)}: write `name = value` for each unknown"
    if about:
        stray = sorted(set().union(*(free_variables(f) for f in about)) - set(task.unknowns))
        if stray:
            return f"the answer mixes the unknowns with other variables ({', '.join(stray)})"
        pinned = _conjunction(about)
        task_holds = _conjunction(task.constraint_formulas)
        out.append(("solves", _quantify("forall", task.unknowns, Connective("->", pinned, task_holds))))
        out.append(("exists", _quantify("exists", task.unknowns, Connective("and", pinned, task_holds))))
    return out


def _pinned(formulas: Iterable[Formula], unknowns: set[str]) -> set[str]:
    """Unknowns given a value by a top-level conjunct `u = closed expression` (either side)."""
    names: set[str] = set()
    stack = list(formulas)
    while stack:
        formula = stack.pop()
        if isinstance(formula, Connective) and formula.op == "and":
            stack += [formula.left, formula.right]
        elif isinstance(formula, Compare) and formula.ops == ("=",):
            for side, other in (formula.terms, reversed(formula.terms)):
                if isinstance(side, Var) and side.name in unknowns and not free_variables(other):
                    names.add(side.name)
    return names


def _domain(task: Task):
    from reasoning.domains import get

    return get(task.problem.domain)


def check_answer(task: Task, text: str, *, budget_s: float) -> AnswerCheck:
    """Is `text` a verified answer to `task`? (See the module docstring.)"""
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
            what = {
                "solves": "the answer does not pin values that satisfy the task",
                "exists": "no value of the unknowns satisfies both the answer and the task",
                "closed": f"{to_text(formula)} is not proved",
            }[role]
            return AnswerCheck(text, verdict.status, f"{what} ({verdict.status.value})", tuple(results))
    return AnswerCheck(text, Status.PROVED, "every obligation of the answer is proved", tuple(results))
