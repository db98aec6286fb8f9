"""`LogicWorker`: the logic domain's symbolic worker, which answers `entails:`, `decide:` and
`conclude` sub-queries with claim lines decided by Z3 (in a thread)."""

from __future__ import annotations

import re

from reasoning.domains.common._threaded_worker import ThreadedDomainWorker, note
from reasoning.domains.logic._claims import TURNSTILE, parse_claim
from reasoning.domains.logic._decide import decide
from reasoning.domains.logic._formulas import FormulaError, literal, render
from reasoning.domains.logic._implicates import choose_conclusion
from reasoning.domains.logic._parser import is_name
from reasoning.domains.logic._task import MAX_CLAIM_CHARS, NOTHING, LogicQuery, LogicTask

_QUERY = re.compile(r"\s*(entails|decide|conclude)\s*(?::(.*))?\Z", re.IGNORECASE | re.DOTALL)


class LogicWorker(ThreadedDomainWorker):
    """A symbolic worker for the logic domain's sub-queries (Z3 in a thread):

    - `entails: A, B ⊨ F` (or `entails: F`): returns `A, B ⊨ F` or `A, B ⊭ F`.
    - `decide: P`: `⊨ P`, `⊨ ¬P`, both `⊭ P` and `⊭ ¬P`, or `⊨ ⊥` (inconsistent premises).
    - `conclude`: `⊨ F` for the conclusion `choose_conclusion` picks, or `no non-trivial conclusion`.

    Bad queries get `#` notes, never an exception.
    """

    task_type = LogicTask
    refusal = "logic worker: the task is not a logic task"

    def answer(self, task: LogicTask, query: str) -> str:
        """The RETURN body for `query`: claim lines, or notes."""
        match = _QUERY.match(query if isinstance(query, str) and len(query) <= MAX_CLAIM_CHARS else "")
        if match is None:
            return note(
                f"logic worker: unrecognised query {str(query)[:80]!r}",
                "queries: entails: ..., decide: P, conclude",
            )
        verb, body = match.group(1).lower(), (match.group(2) or "").strip()
        try:
            if verb == "entails":
                claim = body if TURNSTILE.search(body) else f"⊨ {body}"
                parsed = parse_claim(task, claim)
                if parsed.kind != "entails" or parsed.negated:
                    return note("entails: give `A, B ⊨ F` or `F`")
                truth, _, why = decide(task, parsed, self.budget_s)
                if truth is None:
                    return note(f"entails: {why}")
                assumptions, formula = parsed.args
                left = ", ".join(render(a) for a in assumptions)
                return f"{left + ' ' if left else ''}{'⊨' if truth else '⊭'} {render(formula)}"
            if verb == "decide":
                if not is_name(body) or body not in task.names:
                    return note(f"decide: {body[:40]!r} is not a variable of the task")
                return self._decide(task, body)
            found = choose_conclusion(task, self.budget_s)
            if found is None:
                return note("conclude: z3 gave no answer within the budget")
            return NOTHING if isinstance(found, str) else f"⊨ {render(found)}"
        except FormulaError as exc:
            return note(f"{verb}: {exc}")

    def _decide(self, task: LogicTask, name: str) -> str:
        consistent, _, why = decide(task, LogicQuery("model", ((),)), self.budget_s)
        if consistent is None:
            return note(f"decide: {why}")
        if not consistent:
            return "⊨ ⊥"
        for value in (True, False):
            literal_node = literal(name, value)
            truth, _, why = decide(task, LogicQuery("entails", ((), literal_node)), self.budget_s)
            if truth is None:
                return note(f"decide: {why}")
            if truth:
                return f"⊨ {render(literal_node)}"
        return f"⊭ {name}\n⊭ ¬{name}"
