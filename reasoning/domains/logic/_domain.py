"""Domain `logic`: propositional entailment, validity and "what follows?" (reasoning-gym
`propositional_logic`), decided with Z3 and re-checked independently.

A task has `premises` (formulas), an optional `conclusion` and a `question`:

- `entails` (the default with a conclusion): do the premises entail the conclusion? The answer
  is `entailed` or `not entailed` (also `yes` / `no`).
- `valid`: is the conclusion valid, true under every assignment? The premises must be empty.
  The answer is `valid` or `not valid`.
- `conclude` (the default without a conclusion, reasoning-gym's question): the answer is one
  formula that the premises entail and that is not valid on its own (a tautology says nothing
  about the premises). When every premise is valid, nothing non-trivial follows and the answer
  is `no non-trivial conclusion`.

Formulas: names (`P`, `rain`, `x_1`), `⊤`/`⊥` (`true`/`false`), `¬ ∧ ∨ → ↔` and the ASCII forms
`~ ! & && | || -> => <-> <=>` and the words `not and or implies iff`, with parentheses. `¬` binds
tightest, then `∧`, `∨`, `→` (right-associative) and `↔`. The parser is an iterative
shunting-yard (no recursion), refuses text longer than `MAX_FORMULA_CHARS` and nesting deeper
than `MAX_DEPTH`, so hostile input (10 MB, 100,000 parentheses) is an error at once.

Claims (one line each; the premises are always assumed):

- `⊨ F` (or `|= F`): the premises entail F. `A, B ⊨ F`: the premises with the extra
  assumptions A and B entail F (a case of a case split). `⊭ F` (`|/= F`): they do not.
- `model: P=1, Q=0`: some model of the premises agrees with this (partial) assignment.
- `no non-trivial conclusion`: every premise is valid.

Certificates: an entailment is proved by the SMT-LIB script (declarations, the premises, the
assumptions, the negated formula) whose `unsat` `recheck` rebuilds from the task and the claim
text and re-solves in a fresh Z3 context; a non-entailment by a countermodel that `recheck`
re-evaluates exactly with the package's own evaluator (no Z3). A `conclude` answer needs both:
the entailment script and an assignment falsifying the formula alone.

The parts live in private modules of this package: `_formulas` (the formula tree), `_parser`,
`_smt` (SMT-LIB and Z3 runs), `_task` (the task, the query, shared limits), `_claims` (reading
claims and answers), `_decide` (decide and re-check), `_implicates` (what to conclude),
`_query_domain` (the base class knights_knaves shares), `_worker` and `_planner`. This module is
the domain itself: tasks, reasoning-gym, prompts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from reasoning.domains import register
from reasoning.domains._base import FieldSpec, Problem, TaskError, check_fields, feedback_lines
from reasoning.domains.logic._claims import NOTHING_LINE, parse_answer, parse_claim
from reasoning.domains.logic._decide import decide, verify
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
    render,
    variables,
)
from reasoning.domains.logic._parser import is_name, parse_formula
from reasoning.domains.logic._planner import LogicPlanner
from reasoning.domains.logic._query_domain import QueryDomain
from reasoning.domains.logic._task import MAX_PREMISES, NOTHING, QUESTIONS, LogicTask
from reasoning.domains.logic._worker import LogicWorker


class LogicDomain(QueryDomain):
    """Propositional entailment, validity and conclusions (see the module docstring)."""

    name = "logic"
    summary = "propositional logic: entailment, validity or a conclusion from premises (Z3)"
    reasoning_gym = ("propositional_logic",)
    fields = {
        "premises": FieldSpec("strs", "premise formulas (¬ ∧ ∨ → ↔ or ~ & | -> <->)", required=True),
        "conclusion": FieldSpec("str", "the formula asked about (entails, valid)"),
        "question": FieldSpec("str", "entails | valid | conclude (default: entails with a conclusion)"),
        "variables": FieldSpec("strs", "further variable names an answer may use", default=[]),
    }

    # ------------------------------------------------------------ parsing

    def parse(self, data: Mapping[str, Any]) -> Problem:
        values = check_fields(self, data)
        premises_text = [p.strip() for p in values["premises"]]
        if len(premises_text) > MAX_PREMISES:
            raise TaskError(f"premises: {len(premises_text)} premises; at most {MAX_PREMISES}")
        question = values["question"]
        if question is None:
            question = "entails" if values["conclusion"] is not None else "conclude"
        question = question.strip().lower()
        if question not in QUESTIONS:
            raise TaskError(f"question: {values['question']!r} is not one of {', '.join(QUESTIONS)}")
        premises = []
        for index, text in enumerate(premises_text, 1):
            try:
                premises.append(parse_formula(text))
            except FormulaError as exc:
                raise TaskError(f"premises[{index}]: {exc}") from exc
        conclusion = None
        if values["conclusion"] is not None:
            if question == "conclude":
                raise TaskError("conclusion: the question 'conclude' asks for one; give none")
            try:
                conclusion = parse_formula(values["conclusion"].strip())
            except FormulaError as exc:
                raise TaskError(f"conclusion: {exc}") from exc
        elif question != "conclude":
            raise TaskError(f"conclusion: required for the question {question!r}")
        if question == "valid" and premises:
            raise TaskError("premises: the question 'valid' is about the conclusion alone; use 'entails'")
        if question == "conclude" and not premises:
            raise TaskError("premises: empty; 'conclude' needs at least one premise")
        bad = [v for v in values["variables"] if not is_name(v)]
        if bad:
            raise TaskError(f"variables: {bad[0][:40]!r} is not a variable name")
        names = set(values["variables"]).union(*map(variables, premises))
        if conclusion is not None:
            names |= variables(conclusion)
        task = LogicTask(tuple(premises), conclusion, question, tuple(sorted(names)))
        fields = {
            "premises": premises_text,
            "conclusion": values["conclusion"].strip() if values["conclusion"] is not None else None,
            "question": question,
            "variables": list(values["variables"]),
        }
        return Problem(self.name, fields, _statement(task), task)

    def from_reasoning_gym(self, task_name: str, entry: Mapping[str, Any]) -> Problem:
        """Premises from the question text (`Given: 1. ... .2. ...`); the variable list from
        `metadata.variables` (it restates the problem: reasoning-gym's scorer only accepts those
        letters). Never the stored `example_answer`."""
        if task_name not in self.reasoning_gym:
            raise TaskError(f"the logic domain reads {', '.join(self.reasoning_gym)}, not {task_name!r}")
        question = entry.get("question") if isinstance(entry, Mapping) else None
        if not isinstance(question, str):
            raise TaskError("question: a reasoning-gym entry needs its question text")
        match = re.search(r"Given:\s*\n(.*?)What can we conclude", question, re.DOTALL)
        if match is None:
            raise TaskError("question: no 'Given: ... What can we conclude' block")
        premises = []
        for line in match.group(1).splitlines():
            line = line.strip().lstrip(".").strip()
            if not line:
                continue
            numbered = re.match(r"(\d+)\.\s*(.+)\Z", line)
            if numbered is None or int(numbered.group(1)) != len(premises) + 1:
                raise TaskError(f"question: {line[:60]!r} is not premise {len(premises) + 1}")
            premises.append(numbered.group(2).strip())
        metadata = entry.get("metadata") or {}
        names = metadata.get("variables", []) if isinstance(metadata, Mapping) else []
        return self.parse({"premises": premises, "question": "conclude", "variables": list(names)})

    # ------------------------------------------------------------ checking

    def parse_query(self, problem: Problem, text: str, role: str) -> Any:
        return (parse_claim if role == "claim" else parse_answer)(problem.data, text)

    def decide_query(self, problem: Problem, query: Any, budget_s: float) -> tuple[bool | None, Any, str]:
        truth, evidence, message = decide(problem.data, query, budget_s)
        return (None if truth is None else truth != query.negated), evidence, message

    def verify_query(self, problem: Problem, query: Any, holds: bool, evidence: Any) -> tuple[bool, str]:
        return verify(problem.data, query, holds != query.negated, evidence)

    # ------------------------------------------------------------ answers, workers, planner

    def to_reasoning_gym(self, problem: Problem, answers: Sequence[str]) -> str:
        """The conclusion in reasoning-gym's notation (Unicode, fully parenthesised); `⊥`/`⊤`
        and NOTHING become `(P ∧ ¬P)` / `(P ∨ ¬P)` over the first variable, since its parser
        has no constants."""
        if not answers:
            return ""
        task: LogicTask = problem.data
        first = task.names[0] if task.names else "P"
        if NOTHING_LINE.match(answers[0]):
            return f"({first} ∨ ¬{first})"
        try:
            node = parse_formula(answers[0])
        except FormulaError:
            return answers[0]
        return render(_without_constants(node, first))

    def symbolic_worker(self) -> LogicWorker:
        return LogicWorker()

    def planner(self, problem: Problem, *, capacity: int) -> LogicPlanner:
        return LogicPlanner(problem, capacity=capacity)

    def worker_prompt(self, problem: Problem, query: str, feedback: Sequence[str] = ()) -> str:
        lines = [
            f"Task (logic): {problem.text}",
            "Answer the sub-query with claims, one per line, inside <RETURN>...</RETURN>. The premises",
            "are always assumed. Claims: `⊨ F` (the premises entail F), `A, B ⊨ F` (with the extra",
            "assumptions A, B), `⊭ F` (they do not), `model: P=1, Q=0` (a model of the premises agrees),",
            "`no non-trivial conclusion` (every premise is valid). Formulas use ¬ ∧ ∨ → ↔ and parentheses.",
            "Example: premises (P → Q), P. Sub-query: decide: Q",
            "<RETURN>\n⊨ Q\n</RETURN>",
            "Example: premises (P ∨ Q). Sub-query: entails: ¬P ⊨ Q",
            "<RETURN>\n¬P ⊨ Q\n</RETURN>",
            "Example: premises (P ∨ Q). Sub-query: entails: ⊨ P",
            "<RETURN>\n⊭ P\n</RETURN>",
            f"Sub-query: {query}",
        ]
        lines += feedback_lines(feedback)
        return "\n".join(lines)

    def organizer_prompt(self, problem: Problem) -> str:
        return (
            f"Task (logic): {problem.text}\n"
            "Split the work: <FORK-i>entails: L1, L2 ⊨ C</FORK-i> checks one case of a case split on "
            "variables, <FORK-i>decide: P</FORK-i> asks what follows about P, <FORK-i>conclude</FORK-i> "
            "asks for a conclusion; <JOIN-i> waits for the verified claims. End with "
            "<ANSWER>entailed</ANSWER> / <ANSWER>not entailed</ANSWER> (valid / not valid), or one "
            "formula for a 'conclude' task."
        )


def _without_constants(node: Node, name: str) -> Node:
    if isinstance(node, PropConst):
        return (PropOr if node.value else PropAnd)((PropVar(name), PropNot(PropVar(name))))
    if isinstance(node, PropNot):
        return PropNot(_without_constants(node.arg, name))
    if isinstance(node, (PropAnd, PropOr)):
        return type(node)(tuple(_without_constants(a, name) for a in node.args))
    if isinstance(node, (PropImp, PropIff)):
        return type(node)(_without_constants(node.left, name), _without_constants(node.right, name))
    return node


def _statement(task: LogicTask) -> str:
    premises = " ".join(f"{i}. {render(p)}" for i, p in enumerate(task.premises, 1)) or "(none)"
    if task.question == "valid":
        assert task.conclusion is not None
        return f"Is {render(task.conclusion)} valid (true under every assignment)? Answer 'valid' or 'not valid'."
    if task.question == "entails":
        assert task.conclusion is not None
        return (
            f"Premises: {premises} Do the premises entail {render(task.conclusion)}? "
            "Answer 'entailed' or 'not entailed'."
        )
    return (
        f"Premises: {premises} What can we conclude? Answer one formula that the premises entail "
        f"and that is not valid on its own (or '{NOTHING}' when every premise is valid)."
    )


register(LogicDomain())
