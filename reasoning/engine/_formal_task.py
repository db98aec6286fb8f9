"""A word problem's formalization: the small formal format a model writes (grammars/formal_task.lark),
read into an engine `Task`, and re-checked from a proof bundle.

    unknown apples, pears: Int
    constraint: apples + pears = 12
    constraint: apples = 2 * pears
    find: apples

Unknown lines first (names and a sort, Int or Real), then constraints (claims), then one goal
line: `find: NAMES`, `find unique: NAMES`, `all: NAMES` or `decide: CLAIM` (`reasoning.engine._goals`).
`parse_formalization(text, problem)` returns a `Formalization` (its `task` is the engine task
whose text is the word problem) or a `Rejection` saying why not (line, column and the expected
tokens for a parse error; the engine's own reason for a task that cannot be verified, e.g. an
unknown no constraint mentions). `extract_block` cuts the formal lines out of free model text
(code fences, prose around it) before parsing; generation under the grammar needs no cutting.

An answer proved against a formalization is proved against what the model wrote, not against the
word problem: `check_recorded` re-reads the recorded text and requires the bundle's task to be
exactly that formalization, so `reason check` can say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedInput

from grammars import grammar_text
from proofs.parsing import CLAIM_CONSTANTS, ParseFailure, parse_claim
from reasoning.engine._goals import Goal
from reasoning.engine._task import Task
from reasoning.errors import InvalidArgument

GRAMMAR_NAME = "formal_task"
#: Longest formalization text read (a model's runaway output is cut before parsing).
MAX_CHARS = 4_000
_HEAD = re.compile(r"^\s*(unknown\b)", re.MULTILINE)
_GOAL = re.compile(r"^\s*(find|all|decide)\b[^\n]*", re.MULTILINE)


@cache
def grammar() -> str:
    """The formalization grammar (Lark syntax; also what is sent to a grammar-decoding server)."""
    return grammar_text(GRAMMAR_NAME)


@cache
def _parser() -> Lark:
    return Lark(grammar(), parser="lalr", propagate_positions=True)


@dataclass(frozen=True)
class Formalization:
    """A parsed formalization: the `text` as written, its `task`, and who wrote it (`author`)."""

    text: str
    task: Task
    author: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "author": self.author, "task": self.task.to_json()}


@dataclass(frozen=True)
class Rejection:
    """A formalization that cannot be used: the text and why."""

    text: str
    reason: str
    author: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "reason": self.reason, "author": self.author}


def extract_block(reply: str) -> str:
    """The formal lines of a model reply: from the first `unknown` line through the first goal
    line after it; the whole reply (stripped) when there is no such block."""
    reply = reply[:MAX_CHARS].replace("```", "\n")
    head = _HEAD.search(reply)
    if head is None:
        return reply.strip()
    goal = _GOAL.search(reply, head.start())
    end = goal.end() if goal else len(reply)
    lines = [line.strip() for line in reply[head.start() : end].splitlines()]
    return "\n".join(line for line in lines if line)


def parse_formalization(text: str, problem: str, *, author: str = "") -> Formalization | Rejection:
    """Read `text` (the formal format) as a formalization of the word problem `problem`."""
    if not isinstance(text, str) or not text.strip():
        return Rejection(text if isinstance(text, str) else "", "the model wrote no formalization", author)
    if len(text) > MAX_CHARS:
        return Rejection(text[:MAX_CHARS], f"longer than {MAX_CHARS} characters", author)
    try:
        tree = _parser().parse(text.strip() + "\n")
    except UnexpectedInput as exc:
        where = f"line {exc.line}, column {exc.column}"
        expected = sorted(
            {_shown(name) for name in getattr(exc, "expected", None) or getattr(exc, "allowed", None) or []}
        )
        hint = f"; expected one of: {', '.join(expected[:12])}" if expected else ""
        return Rejection(text, f"does not parse at {where}{hint}", author)
    except LarkError as exc:
        return Rejection(text, f"does not parse: {exc}", author)
    source = text.strip() + "\n"
    unknowns: dict[str, str] = {}
    constraints: list[str] = []
    goal: Goal | None = None
    try:
        for item in tree.children:
            if item.data == "unknown_line":
                names, sort = _names(item.children[0]), str(item.children[1])
                for name in names:
                    if name in CLAIM_CONSTANTS:
                        return Rejection(
                            text,
                            f"{name} is a constant in the claim language; give the unknown another name",
                            author,
                        )
                    if name in unknowns:
                        return Rejection(text, f"unknown {name} is declared twice", author)
                    unknowns[name] = sort
            elif item.data == "constraint_line":
                constraints.append(_claim(source, item.children[0]))
            elif item.data in ("find", "find_unique", "all"):
                names = _names(item.children[0])
                goal = Goal(
                    "all" if item.data == "all" else "find", tuple(names), unique=item.data == "find_unique"
                )
            elif item.data == "decide":
                goal = Goal.decide(_claim(source, item.children[0]))
        task = Task(text=problem, unknowns=unknowns, constraints=tuple(constraints), goal=goal)
    except InvalidArgument as exc:
        return Rejection(text, str(exc), author)
    return Formalization(text.strip(), task, author)


def _shown(terminal: str) -> str:
    """A terminal as a person reads it: its literal text (`"unknown"`), `a new line`, or a word."""
    if terminal == "_NL":
        return "a new line"
    try:
        pattern = _parser().get_terminal(terminal).pattern
    except KeyError:
        return terminal.lower()
    return repr(pattern.value) if pattern.type == "str" else terminal.lower()


def _names(tree: Tree) -> list[str]:
    return [str(token) for token in tree.children if isinstance(token, Token)]


def _claim(source: str, tree: Tree) -> str:
    """The claim's text as written, checked by the claim parser (the last word on claims).
    The formal grammar has no factorial, so its `a!=b` can only be `a != b`: spaced so, since
    the claim parser refuses an unspaced `!=` as ambiguous (`4!=25`); a grammar-valid
    formalization with `a!=b` was rejected."""
    written = source[tree.meta.start_pos : tree.meta.end_pos].replace("!=", " != ")
    text = " ".join(written.split())
    if isinstance(parse_claim(text), ParseFailure):
        raise InvalidArgument(f"the claim {text!r} is not in the claim language")
    return text


# ---------------------------------------------------------------- the bundle section


@dataclass(frozen=True)
class RecordedCheck:
    """One item of `check_recorded`: `name`, `ok` and why."""

    name: str
    ok: bool
    message: str


def bundle_section(
    formalization: Formalization, *, status: str, samples: list[dict[str, Any]]
) -> dict[str, Any]:
    """The `formalization` section of a proof bundle: the text, its author, the word problem,
    the status of the answer ("verified_against_formalization" or not) and every sample."""
    return {
        "text": formalization.text,
        "author": formalization.author,
        "problem": formalization.task.text,
        "grammar": GRAMMAR_NAME,
        "status": status,
        "samples": samples,
    }


def check_recorded(section: Any, task_json: Any) -> list[RecordedCheck]:
    """Re-read a bundle's `formalization` section and require the bundle's task to be exactly
    that formalization of that problem (so its proved answer is proved against what is shown)."""
    if not isinstance(section, dict) or not isinstance(section.get("text"), str):
        return [RecordedCheck("formalization", False, "the formalization section has no text")]
    problem = section.get("problem")
    if not isinstance(problem, str):
        return [RecordedCheck("formalization", False, "the formalization section has no problem text")]
    parsed = parse_formalization(section["text"], problem, author=str(section.get("author") or ""))
    if isinstance(parsed, Rejection):
        return [RecordedCheck("formalization parses", False, f"the recorded formalization {parsed.reason}")]
    out = [
        RecordedCheck(
            "formalization parses",
            True,
            f"{len(parsed.task.constraints)} constraint(s), goal: {parsed.task.goal.describe()}",
        )
    ]
    if parsed.task.to_json() != task_json:
        out.append(
            RecordedCheck(
                "formalization is the task", False, "the bundle's task is not the recorded formalization"
            )
        )
        return out
    author = parsed.author or "an unnamed model"
    out.append(
        RecordedCheck(
            "formalization is the task",
            True,
            f"the answer is verified against this formalization (written by {author}), "
            "not against the word problem's text",
        )
    )
    return out
