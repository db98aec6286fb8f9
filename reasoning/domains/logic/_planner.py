"""`LogicPlanner`: the logic domain's programmatic organizer (case splits for entailment and
validity, one `decide:` fork per variable for a conclusion)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable

from reasoning.domains._base import Problem, TaskError
from reasoning.domains.logic._claims import parse_claim
from reasoning.domains.logic._formulas import (
    FormulaError,
    PropAnd,
    PropConst,
    PropNot,
    PropVar,
    conjunction,
    literal,
    render,
    variables,
)
from reasoning.domains.logic._task import MAX_DECIDE_FORKS, NOTHING, LogicQuery, LogicTask
from reasoning.engine._planner import TurnPlanner, verified_claims

#: Case-split variables of the entailment planner (2^k forks).
MAX_SPLIT_VARS = 4


class LogicPlanner(TurnPlanner):
    """The programmatic organizer of the logic domain.

    entails / valid: a case split on the k most frequent variables (2^k ≤ capacity, at least
    one): one `entails: L1, L2 ⊨ C` fork per case. Every case entailed: `entailed`; a case not
    entailed: `not entailed`. If a fork failed, one `entails: ⊨ C` fork decides it whole.

    conclude: one `decide: P` fork per premise variable. An inconsistent premise set is answered
    `(P ∧ ¬P)` at once; when every variable is decided, the answer is their conjunction;
    otherwise one `conclude` fork supplies the conclusion.
    """

    def __init__(self, problem: Problem, *, capacity: int = 4) -> None:
        if not isinstance(problem.data, LogicTask):
            raise TaskError("the logic planner needs a logic problem")
        if not isinstance(capacity, int) or capacity < 1:
            raise TaskError(f"capacity must be a positive int, got {capacity!r}")
        self.task: LogicTask = problem.data
        self.capacity = capacity
        self._start()

    def _waves(self, queries: list[str], first_id: int):
        """Fork `queries` in waves of `capacity`, joining each; sends back the last context."""
        context = ""
        for start in range(0, len(queries), self.capacity):
            wave = list(enumerate(queries[start : start + self.capacity], start=first_id + start))
            forks = "".join(f"<FORK-{i}>{q}</FORK-{i}>" for i, q in wave)
            context = yield forks + f"<JOIN-{wave[0][0]}>"
            for i, _ in wave[1:]:
                context = yield f"<JOIN-{i}>"
        return context

    def _plan(self):
        yield ""
        if self.task.question == "conclude":
            yield from self._conclude()
        else:
            yield from self._entails()

    def _entails(self):
        task = self.task
        assert task.conclusion is not None
        yes, no = ("valid", "not valid") if task.question == "valid" else ("entailed", "not entailed")
        counts: dict[str, int] = {}
        for node in [*task.premises, task.conclusion]:
            for name in variables(node):
                counts[name] = counts.get(name, 0) + 1
        ranked = sorted(counts, key=lambda n: (-counts[n], n))
        k = min(len(ranked), MAX_SPLIT_VARS, max(1, int(math.log2(self.capacity))))
        conclusion = render(task.conclusion)
        cases = [
            ", ".join(render(literal(n, v)) for n, v in zip(ranked[:k], values, strict=True))
            for values in itertools.product((True, False), repeat=k)
        ]
        queries = [
            f"entails: {case} ⊨ {conclusion}" if case else f"entails: ⊨ {conclusion}" for case in cases
        ]
        context = yield from self._waves(queries, 1)
        claims = verified_claims(context)
        found = [self._queries(claims.get(i, [])) for i in range(1, len(queries) + 1)]
        if any(q.kind == "entails" and q.negated for fork in found for q in fork):
            yield f"<ANSWER>{no}</ANSWER>"
            return
        if all(any(q.kind == "entails" and not q.negated for q in fork) for fork in found):
            yield f"<ANSWER>{yes}</ANSWER>"
            return
        whole = len(queries) + 1
        context = yield f"<FORK-{whole}>entails: ⊨ {conclusion}</FORK-{whole}><JOIN-{whole}>"
        claims_whole = self._queries(verified_claims(context).get(whole, []))
        yield f"<ANSWER>{no if any(q.kind == 'entails' and q.negated for q in claims_whole) else yes}</ANSWER>"

    def _conclude(self):
        task = self.task
        names = task.premise_names[:MAX_DECIDE_FORKS]
        context = yield from self._waves([f"decide: {n}" for n in names], 1)
        # what the verified claims `⊨ L` (no assumptions) say: literals, or ⊥
        entailed = [
            q.args[1]
            for found in verified_claims(context).values()
            for q in self._queries(found)
            if q.kind == "entails" and not q.negated and not q.args[0]
        ]
        first = task.names[0] if task.names else None
        if PropConst(False) in entailed and first is not None:
            yield f"<ANSWER>{render(PropAnd((PropVar(first), PropNot(PropVar(first)))))}</ANSWER>"
            return
        literals = [
            n
            for n in entailed
            if isinstance(n, PropVar) or (isinstance(n, PropNot) and isinstance(n.arg, PropVar))
        ]
        decided = {n.name if isinstance(n, PropVar) else n.arg.name for n in literals}
        if len(decided) == len(task.premise_names) > 1:
            ordered = sorted(set(literals), key=lambda n: n.name if isinstance(n, PropVar) else n.arg.name)
            yield f"<ANSWER>{render(conjunction(ordered))}</ANSWER>"
            return
        whole = len(names) + 1
        context = yield f"<FORK-{whole}>conclude</FORK-{whole}><JOIN-{whole}>"
        found = self._queries(verified_claims(context).get(whole, []))
        answer = NOTHING
        for query in found:
            if query.kind == "entails" and not query.negated and not query.args[0]:
                answer = render(query.args[1])
        yield f"<ANSWER>{answer}</ANSWER>"

    def _queries(self, claims: Iterable[str]) -> list[LogicQuery]:
        """The queries of verified claim lines (any notation a worker used)."""
        out = []
        for claim in claims:
            try:
                out.append(parse_claim(self.task, claim))
            except FormulaError:
                continue
        return out
