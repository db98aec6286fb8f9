"""The equations domain's solver side: a worker that answers sub-queries, and a planner.

`EquationsWorker` answers `roots in (A, B]` with a root count and one line per root in that
interval, and `solve` / `classify` with the whole solution set (one unknown, a linear or a
non-linear system). `EquationsPlanner` cuts (-B, B], B a bound on every root, into `capacity`
parts, forks one `roots in` per part and answers with the verified root lines; a system gets one
`solve` fork. Nothing here decides what is true: the domain checks every line.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Sequence
from fractions import Fraction
from typing import Any, Protocol

from reasoning.domains._base import Problem, TaskError
from reasoning.domains.common._numerals import read_number, round_places, write_decimal, write_exact
from reasoning.domains.equations._linear_systems import linear_solution_set
from reasoning.domains.equations._nonlinear_systems import nonlinear_solutions
from reasoning.domains.equations._real_roots import BudgetExceeded, lies_in, root_bound
from reasoning.domains.equations._task import ASSIGNMENT, COUNT_CLAIM, Parsed, read_phrase
from reasoning.engine._planner import TurnPlanner, verified_claims
from reasoning.engine._workers import Steps


class EquationsLike(Protocol):
    """What the worker and planner need of the equations domain (passed in, so this module does
    not import the domain module that imports it)."""

    def solution_set(self, problem: Problem, deadline: float) -> dict[str, Any]: ...

    def write_roots(self, problem: Problem, roots: Sequence[Any], deadline: float) -> list[str]: ...


_ROOTS_QUERY = re.compile(r"^\s*roots\s+in\s+\(\s*([^,\]]+?)\s*,\s*([^,\]]+?)\s*\]\s*$", re.I)


# ---------------------------------------------------------------- worker


class EquationsWorker:
    """Answers `roots in (A, B]`, `classify` and `solve` sub-queries with checkable claims."""

    def __init__(self, domain: EquationsLike, *, budget_s: float = 20.0) -> None:
        self.domain, self.budget_s = domain, budget_s

    async def stream(self, request: Any) -> AsyncIterator[Any]:
        text = await asyncio.to_thread(self.reply, request.task.problem, request.query)
        yield Steps(text)  # one solver call: symbolic work is steps, not tokens

    def reply(self, problem: Problem, query: str) -> str:
        try:
            body = self.answer(problem, query)
        except BudgetExceeded:
            body = "# the time budget ran out"
        return f"<RETURN>\n{body}\n</RETURN>"

    def answer(self, problem: Problem, query: str) -> str:
        deadline = time.monotonic() + self.budget_s
        query = query.strip() if isinstance(query, str) else ""
        data: Parsed = problem.data
        if query.lower() in ("solve", "classify") or len(data.names) > 1:
            return self._whole(problem, deadline)
        match = _ROOTS_QUERY.match(query)
        if match is None:
            return "# equations worker: queries are 'roots in (A, B]', 'classify' or 'solve'"
        lo, hi = read_number(match.group(1)), read_number(match.group(2))
        if lo is None or hi is None or lo >= hi:
            return "# roots in (A, B]: A and B are rational numbers with A < B"
        found = self.domain.solution_set(problem, deadline)
        if found["kind"] == "all":
            return "every value"
        g = data.g or []
        inside = [r for r in found["roots"] if lies_in(g, r, lo, hi)]
        lines = [f"{len(inside)} real roots in ({match.group(1)}, {match.group(2)}]"]
        return "\n".join(lines + self.domain.write_roots(problem, inside, deadline))

    def _whole(self, problem: Problem, deadline: float) -> str:
        data: Parsed = problem.data
        if len(data.names) == 1:
            found = self.domain.solution_set(problem, deadline)
            if found["kind"] == "all":
                return "every value"
            if found["kind"] == "none":
                return "no real solution"
            return "\n".join(self.domain.write_roots(problem, found["roots"], deadline))
        decimals, rule = problem.fields["decimals"], problem.fields["rounding"]
        if data.linear:
            found = linear_solution_set(data)
            if found["kind"] == "none":
                return "no solution"
            if found["kind"] == "many":
                return "infinitely many solutions"
            solutions = [dict(zip(data.names, found["solution"]))]
        else:
            listed, why = nonlinear_solutions(data, deadline)
            if listed is None:
                return f"# no exact answer: {why}"
            if not listed:
                return "no solution"
            solutions = listed
        out = []
        for solution in solutions:
            parts = []
            for name in data.names:
                value = solution[name]
                if decimals is None or not data.linear:
                    parts.append(f"{name} = {write_exact(value)}")
                else:
                    near = round_places(value, decimals, rule)
                    parts.append(f"{name} {'=' if near == value else '≈'} {write_decimal(near, decimals)}")
            out.append(", ".join(parts))
        return "\n".join(out)


# ---------------------------------------------------------------- planner


class EquationsPlanner(TurnPlanner):
    """One unknown: forks `roots in (A, B]` over `capacity` parts of (-B, B] (B a root bound),
    joins them and answers with the verified root lines; a system: one `solve` fork."""

    def __init__(self, domain: EquationsLike, problem: Problem, *, capacity: int) -> None:
        if not isinstance(capacity, int) or capacity < 1:
            raise TaskError(f"capacity must be a positive int, got {capacity!r}")
        self.domain, self.problem, self.capacity = domain, problem, capacity
        self._start()

    def _plan(self):
        context = yield ""
        data: Parsed = self.problem.data
        if len(data.names) > 1 or not data.g or len(data.g) <= 1:
            context = yield "<FORK-1>solve</FORK-1><JOIN-1>"
            claims = verified_claims(context).get(1, [])
            yield f"<ANSWER>{chr(10).join(claims) or 'no verified answer'}</ANSWER>"
            return
        bound = Fraction(root_bound(data.g))
        parts = self.capacity
        edges = [-bound + 2 * bound * k / parts for k in range(parts + 1)]
        forks = "".join(
            f"<FORK-{i}>roots in ({write_exact(edges[i - 1])}, {write_exact(edges[i])}]</FORK-{i}>"
            for i in range(1, parts + 1)
        )
        context = yield forks + "<JOIN-1>"
        for i in range(2, parts + 1):
            context = yield f"<JOIN-{i}>"
        found = verified_claims(context)
        lines, total, complete = [], 0, True
        for i in range(1, parts + 1):
            claims = found.get(i)
            if claims is None:
                complete = False
                continue
            for claim in claims:
                if match := COUNT_CLAIM.match(claim):
                    total += int(match.group(1))
                elif read_phrase(claim) is None:
                    lines.append(claim)
        if complete and total == 0:
            yield "<ANSWER>no real solution</ANSWER>"
            return
        yield f"<ANSWER>{chr(10).join(_sorted_lines(lines)) or 'no verified answer'}</ANSWER>"


def _sorted_lines(lines: list[str]) -> list[str]:
    def key(line: str) -> Fraction:
        match = ASSIGNMENT.match(line)
        value = read_number(match.group(3)) if match else None
        return value if value is not None else Fraction(0)

    return sorted(lines, key=key)
