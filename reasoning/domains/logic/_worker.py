"""`LogicWorker`: the logic domain's symbolic worker, which answers `entails:`, `decide:` and
`conclude` sub-queries with claim lines decided by Z3 (in a thread)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

from reasoning.domains.logic._claims import TURNSTILE, parse_claim
from reasoning.domains.logic._decide import decide
from reasoning.domains.logic._formulas import FormulaError, literal, render
from reasoning.domains.logic._implicates import choose_conclusion
from reasoning.domains.logic._parser import is_name
from reasoning.domains.logic._task import MAX_CLAIM_CHARS, NOTHING, LogicQuery, LogicTask
from reasoning.engine.workers import Chunk, Steps, WorkerRequest

_QUERY = re.compile(r"\s*(entails|decide|conclude)\s*(?::(.*))?\Z", re.IGNORECASE | re.DOTALL)


def _note(*lines: str) -> str:
    return "\n".join("# " + " ".join(line.split()).replace("<", "< ")[:300] for line in lines)


class LogicWorker:
    """A symbolic worker for the logic domain's sub-queries (Z3 in a thread):

    - `entails: A, B ⊨ F` (or `entails: F`): returns `A, B ⊨ F` or `A, B ⊭ F`.
    - `decide: P`: `⊨ P`, `⊨ ¬P`, both `⊭ P` and `⊭ ¬P`, or `⊨ ⊥` (inconsistent premises).
    - `conclude`: `⊨ F` for the conclusion `choose_conclusion` picks, or `no non-trivial conclusion`.

    Bad queries get `#` notes, never an exception.
    """

    def __init__(self, *, budget_s: float = 10.0) -> None:
        self.budget_s = float(budget_s)

    async def stream(self, request: WorkerRequest) -> AsyncIterator[Chunk]:
        text = await asyncio.to_thread(self.reply, request)
        yield Steps(text)  # one solver call: symbolic work is steps, not tokens

    def reply(self, request: WorkerRequest) -> str:
        problem = request.task.problem
        if problem is None or not isinstance(problem.data, LogicTask):
            return "<RETURN>\n" + _note("logic worker: the task is not a logic task") + "\n</RETURN>"
        return f"<RETURN>\n{self.answer(problem.data, request.query)}\n</RETURN>"

    def answer(self, task: LogicTask, query: str) -> str:
        """The RETURN body for `query`: claim lines, or notes."""
        match = _QUERY.match(query if isinstance(query, str) and len(query) <= MAX_CLAIM_CHARS else "")
        if match is None:
            return _note(
                f"logic worker: unrecognised query {str(query)[:80]!r}",
                "queries: entails: ..., decide: P, conclude",
            )
        verb, body = match.group(1).lower(), (match.group(2) or "").strip()
        try:
            if verb == "entails":
                claim = body if TURNSTILE.search(body) else f"⊨ {body}"
                parsed = parse_claim(task, claim)
                if parsed.kind != "entails" or parsed.negated:
                    return _note("entails: give `A, B ⊨ F` or `F`")
                truth, _, why = decide(task, parsed, self.budget_s)
                if truth is None:
                    return _note(f"entails: {why}")
                assumptions, formula = parsed.args
                left = ", ".join(render(a) for a in assumptions)
                return f"{left + ' ' if left else ''}{'⊨' if truth else '⊭'} {render(formula)}"
            if verb == "decide":
                if not is_name(body) or body not in task.names:
                    return _note(f"decide: {body[:40]!r} is not a variable of the task")
                return self._decide(task, body)
            found = choose_conclusion(task, self.budget_s)
            if found is None:
                return _note("conclude: z3 gave no answer within the budget")
            return NOTHING if isinstance(found, str) else f"⊨ {render(found)}"
        except FormulaError as exc:
            return _note(f"{verb}: {exc}")

    def _decide(self, task: LogicTask, name: str) -> str:
        consistent, _, why = decide(task, LogicQuery("model", ((),)), self.budget_s)
        if consistent is None:
            return _note(f"decide: {why}")
        if not consistent:
            return "⊨ ⊥"
        for value in (True, False):
            literal_node = literal(name, value)
            truth, _, why = decide(task, LogicQuery("entails", ((), literal_node)), self.budget_s)
            if truth is None:
                return _note(f"decide: {why}")
            if truth:
                return f"⊨ {render(literal_node)}"
        return f"⊭ {name}\n⊭ ¬{name}"
