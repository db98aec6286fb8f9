"""The domain interface: what a task domain (Countdown, Sudoku, ...) gives the engine.

A domain turns a task dict (or CLI flags, or a reasoning-gym entry) into a `Problem`, checks
candidate answers against the task's *rules* (never against a stored solution), and brings a
complete symbolic worker, a planner (a programmatic organizer speaking the fork/join protocol),
prompt templates for LLM workers and an adapter to reasoning-gym's answer format.

Claims in a domain run are one line each, in the domain's own notation (an arithmetic
expression, a grid, an assignment). `check_claim` and `check_answer` return a `DomainCheck`
whose certificate is a JSON object of kind `domain`:

    {"kind": "domain", "domain": NAME, "task": problem.to_json(), "claim": TEXT,
     "role": "claim" | "answer", "holds": true | false, "evidence": {...}}

`recheck(problem, certificate)` re-derives the verdict from the task and the claim text alone,
using the evidence only as hints that it verifies (a witness it re-evaluates, an SMT script it
rebuilds and re-solves); it never trusts a conclusion the producer wrote down. A proved domain
claim is a closed statement ("this expression reaches the target under the rules"), so two
proved domain claims can never contradict each other: they take no part in the engine's joint
consistency check.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from proofs.verdict import Status
from reasoning.errors import InvalidArgument


class DomainWorker(Protocol):
    """A symbolic worker: `stream(request)` yields chunks for one `reasoning.engine._workers.
    WorkerRequest`. Structurally the engine's `Worker`, declared here so that domains do not
    import the engine (whose `Task` loads domains)."""

    def stream(self, request: Any) -> AsyncIterator[Any]: ...


class DomainOrganizer(Protocol):
    """A programmatic organizer: `stream(context, seed=...)` yields protocol text. Structurally
    the engine's `Organizer` (see `DomainWorker`)."""

    def stream(self, context: str, *, seed: int) -> AsyncIterator[Any]: ...


#: Largest task (as JSON) a domain reads; bigger ones are refused before parsing.
MAX_TASK_CHARS = 1_000_000


class TaskError(InvalidArgument):
    """A malformed task. The message names the field and the problem (e.g. `grid: 80 cells, need 81`)."""


@dataclass(frozen=True)
class FieldSpec:
    """One field of a domain's task dict: its type (for CLI flags), its default and what it means.

    `kind` is one of `int`, `ints`, `str`, `strs`, `bool`, `float`. `required` fields have no
    default. The CLI turns `--numbers 1 2 3` into `numbers=[1, 2, 3]` for kind `ints`.
    """

    kind: str
    help: str
    default: Any = None
    required: bool = False


@dataclass(frozen=True)
class Problem:
    """A parsed, validated task of one domain.

    `fields` is the canonical JSON form (defaults filled in, values normalised): what the proof
    bundle stores and `Domain.parse` reads back. `text` is the statement shown to organizers and
    LLM workers. `data` holds parsed structures the domain wants to keep (not serialised).
    """

    domain: str
    fields: Mapping[str, Any]
    text: str
    data: Any = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        """A fresh JSON copy (the fields as JSON text are worked out once: a run asks for them
        for the task and for every certificate; `fields` is never changed once parsed)."""
        text = self.__dict__.get("_fields_json")
        if text is None:
            text = json.dumps(dict(self.fields))
            self.__dict__["_fields_json"] = text  # a cache, not a field: frozen stays frozen
        return {"domain": self.domain, **json.loads(text)}


@dataclass(frozen=True)
class DomainCheck:
    """The outcome of checking one claim line or one final answer against the task's rules.

    `status` is proved only when the rules are shown to hold. `certificate` (kind `domain`, see
    the module docstring) lets `Domain.recheck` re-derive it. `final` says that re-dispatching
    the same sub-query cannot help (e.g. a Sudoku branch that is contradictory in itself): the
    engine then fails the fork at once instead of retrying.
    """

    status: Status
    message: str
    certificate: dict[str, Any] | None = None
    final: bool = False

    @property
    def proved(self) -> bool:
        return self.status is Status.PROVED


def certificate(
    problem: Problem, text: str, *, role: str, holds: bool, evidence: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A `domain` certificate (see the module docstring)."""
    if role not in ("claim", "answer"):
        raise InvalidArgument(f"role must be 'claim' or 'answer', got {role!r}")
    return {
        "kind": "domain",
        "domain": problem.domain,
        "task": problem.to_json(),
        "claim": text,
        "role": role,
        "holds": bool(holds),
        "evidence": dict(evidence or {}),
    }


def certificate_shape(domain: str, problem: Problem, cert: Any) -> str | None:
    """Why `cert` is not a well-formed domain certificate about `problem`, or None."""
    if not isinstance(cert, Mapping) or cert.get("kind") != "domain" or cert.get("domain") != domain:
        return f"not a {domain} domain certificate"
    if cert.get("task") != problem.to_json():
        return "the certificate is about another task"
    if cert.get("role") not in ("claim", "answer") or not isinstance(cert.get("claim"), str):
        return "the certificate has no claim text and role"
    if not isinstance(cert.get("holds"), bool) or not isinstance(cert.get("evidence"), Mapping):
        return "the certificate has no holds flag or evidence"
    return None


class Domain(ABC):
    """One task domain. Subclasses set the class attributes and implement the methods.

    Register an instance with `reasoning.domains.register` at the end of the module.
    """

    #: Registry name, e.g. "countdown"; what a task dict's `domain` field says.
    name: ClassVar[str]
    #: One line for `reason solve --help` and the README.
    summary: ClassVar[str]
    #: reasoning-gym task names this domain reads (`from_reasoning_gym`).
    reasoning_gym: ClassVar[tuple[str, ...]] = ()
    #: The task dict's fields (besides `domain`).
    fields: ClassVar[Mapping[str, FieldSpec]]

    @abstractmethod
    def parse(self, data: Mapping[str, Any]) -> Problem:
        """Validate a task dict (without or with its `domain` key); TaskError names what is wrong."""

    @abstractmethod
    def from_reasoning_gym(self, task_name: str, entry: Mapping[str, Any]) -> Problem:
        """A problem from a reasoning-gym entry (`question`, `metadata`), never from its `answer`
        or stored solution; TaskError when the entry cannot be read."""

    @abstractmethod
    def check_claim(self, problem: Problem, text: str, *, budget_s: float) -> DomainCheck:
        """Check one claim line a worker returned. Never raises on bad text: `invalid`."""

    @abstractmethod
    def check_answer(self, problem: Problem, text: str, *, budget_s: float) -> DomainCheck:
        """Check the organizer's final answer (all of it) against the task's rules."""

    @abstractmethod
    def recheck(self, problem: Problem, cert: Mapping[str, Any]) -> tuple[bool, str]:
        """(ok, why): re-derive a `domain` certificate's verdict independently of its producer.

        ok means the certificate's `holds` is exactly what the rules say about `cert["claim"]`
        (claim role: one claim line; answer role: the whole answer text).
        """

    @abstractmethod
    def symbolic_worker(self) -> DomainWorker:
        """A complete symbolic worker for this domain's sub-queries."""

    @abstractmethod
    def planner(self, problem: Problem, *, capacity: int) -> DomainOrganizer:
        """A programmatic organizer for `problem` (forks at most `capacity` at a time)."""

    def answers(self, problem: Problem, answer_text: str) -> list[str]:
        """The final answer split into the domain's answer strings (default: one per line)."""
        return [line.strip() for line in answer_text.splitlines() if line.strip()]

    def to_reasoning_gym(self, problem: Problem, answers: Sequence[str]) -> str:
        """Our answers written the way reasoning-gym's `score_answer` expects (default: the first)."""
        return answers[0] if answers else ""

    def worker_prompt(self, problem: Problem, query: str, feedback: Sequence[str] = ()) -> str:
        """The prompt for an LLM worker given sub-query `query` (few-shot, asks for `<RETURN>`)."""
        lines = [
            "You answer one sub-query of a task with claims that a checker verifies; a wrong claim "
            "is sent back to you. Write one claim per line inside <RETURN>...</RETURN>.",
            f"Task ({self.name}): {problem.text}",
            f"Sub-query: {query}",
        ]
        return "\n".join(lines + feedback_lines(feedback))

    def query_grammar(self, problem: Problem, query: str) -> str | None:
        """A grammar (llguidance's Lark dialect, `reasoning.domains.common._query_grammars`) of one claim
        line that answers `query` in this domain's claim format, for decoding a model's reply
        under it; None when the domain has none for this query (the model then writes freely and
        the checker parses and rejects)."""
        return None

    def proposer_prompt(self, problem: Problem, query: str) -> list[dict[str, str]] | None:
        """For a search-shaped sub-query: chat messages asking for ONE candidate claim line (a
        line of `query_grammar`), which the model worker samples k times at once and verifies
        (`reasoning.llm._proposer`); None when `query` is not search-shaped."""
        return None

    def organizer_prompt(self, problem: Problem) -> str:
        """The prompt for an LLM organizer: the task and the protocol."""
        return (
            f"Task ({self.name}): {problem.text}\n"
            "Split the task into sub-queries: <FORK-i>sub-query</FORK-i> starts worker i, <JOIN-i> "
            "waits for its verified result. End with <ANSWER>...</ANSWER>."
        )


def feedback_lines(feedback: Sequence[str]) -> list[str]:
    """The re-dispatch part of a worker prompt: what the checker said about the earlier attempts
    (the counterexample or parse error), last, so that a small model reads it right before it
    answers. Empty on a first attempt."""
    if not feedback:
        return []
    lines = ["Your previous answer was rejected by the checker. Fix it: return only claims that hold."]
    return lines + [f"An earlier attempt was rejected: {item}" for item in feedback]


def check_fields(domain: Domain, data: Mapping[str, Any]) -> dict[str, Any]:
    """The task dict's fields with defaults filled in; TaskError for unknown or missing fields
    and for values of the wrong type (the types of `FieldSpec.kind`)."""
    if not isinstance(data, Mapping):
        raise TaskError(f"a {domain.name} task is a JSON object, got {type(data).__name__}")
    if len(json.dumps(data, default=str)) > MAX_TASK_CHARS:
        raise TaskError(f"the task is larger than {MAX_TASK_CHARS} characters")
    extra = sorted(set(data) - set(domain.fields) - {"domain"})
    if extra:
        raise TaskError(
            f"{domain.name} has no field {', '.join(map(repr, extra))}; fields: {', '.join(domain.fields)}"
        )
    out: dict[str, Any] = {}
    for name, spec in domain.fields.items():
        if name not in data or data[name] is None:
            if spec.required:
                raise TaskError(f"{name}: required ({spec.help})")
            out[name] = spec.default
            continue
        out[name] = _typed(name, spec.kind, data[name])
    return out


def _typed(name: str, kind: str, value: Any) -> Any:
    def is_int(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool)

    if kind == "int" and is_int(value):
        return value
    if kind == "ints" and isinstance(value, (list, tuple)) and all(is_int(v) for v in value):
        return list(value)
    if kind == "str" and isinstance(value, str):
        return value
    if kind == "strs" and isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    if kind == "bool" and isinstance(value, bool):
        return value
    if kind == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    want = {
        "int": "an integer",
        "ints": "a list of integers",
        "str": "a string",
        "strs": "a list of strings",
        "bool": "true or false",
        "float": "a number",
    }[kind]
    raise TaskError(f"{name}: expected {want}, got {json.dumps(value, default=str)[:80]}")
