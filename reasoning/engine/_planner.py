"""`SymbolicPlanner`: a programmatic organizer that writes the same protocol tags an LLM would.

It plans for `SymbolicWorker`s (`reasoning.engine._symbolic_worker`) by the task's goal (`reasoning.engine._goals`):

- `find`: one `solve: for u` sub-query per asked unknown (in waves of at most `capacity`), joins
  each, and answers with every claim the engine verified at its joins. If that answer is
  rejected (the per-unknown values need not fit together when the task has many solutions), it
  forks one `solve:` for all the asked unknowns at once and answers with its claims. With
  `unique`, the answer check proves that the solution is the only one.
- `all`: one `all: for u, v` sub-query; its verified claim (a disjunction of solutions, entailed
  by the constraints) becomes one answer line per solution (`false` when none was verified).
- `decide`: `prove: C`, then `prove: not (C)`; it answers with the one proved, else answers C
  and then `not (C)` for the answer check to decide under the task's constraints.

The planner reads only what the engine writes back into its context: blocks that start with
`[fork i, attempt n: verified...]` followed by `claim   # status (role)` lines, and
`[fork i failed ...]` / `[fork i was invalidated ...]` notes. One planner serves one run.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

from proofs.claims import to_text
from proofs.parsing import ParseFailure, parse_claim
from reasoning.engine._goals import disjuncts
from reasoning.engine._task import Task
from reasoning.engine._workers import Chunk
from reasoning.errors import InvalidArgument

_BLOCK = re.compile(r"^\[fork (\d+), attempt \d+: verified[^\]]*\]$")
_CLAIM = re.compile(r"^(.*\S)   # proved(?: \((\w+)\))?$")
_DROPPED = re.compile(r"^\[fork (\d+) (?:failed|was invalidated|\(attempt \d+\) was withdrawn)")


def verified_claims(context: str) -> dict[int, list[str]]:
    """Fork id -> the claims the engine last reported verified for it (dropped forks removed)."""
    claims: dict[int, list[str]] = {}
    current: int | None = None
    for line in context.splitlines():
        if block := _BLOCK.match(line):
            current = int(block.group(1))
            claims[current] = []
            continue
        if dropped := _DROPPED.match(line):
            claims.pop(int(dropped.group(1)), None)
            current = None
            continue
        claim = _CLAIM.match(line)
        if current is not None and claim:
            claims[current].append(claim.group(1))
        else:  # any other line (another bracketed note, prose) ends the block
            current = None
    return claims


class TurnPlanner:
    """An organizer written as a generator of turns (the planners' shared shape).

    A subclass defines `_plan()`, a generator that first yields "" and then one turn's protocol
    text per `send(context)`; it calls `_start()` at the end of `__init__`. Each `stream` call
    sends the engine's context in and yields the next turn, one `str` chunk, which the metrics
    count as one step of symbolic work (a planner has no tokens); after the last turn, nothing.
    """

    def _start(self) -> None:
        self._turns = self._plan()
        next(self._turns)  # run to the first `yield`, so each `send` returns one turn

    def _plan(self):
        raise NotImplementedError

    async def stream(self, context: str, *, seed: int) -> AsyncIterator[Chunk]:
        try:
            turn = self._turns.send(context)
        except StopIteration:
            return
        yield turn


class SymbolicPlanner(TurnPlanner):
    """The organizer for symbolic workers (see the module docstring)."""

    def __init__(self, task: Task, *, capacity: int = 4) -> None:
        if not isinstance(task, Task):
            raise InvalidArgument("task must be a reasoning.engine._task.Task")
        if not isinstance(capacity, int) or capacity < 1:
            raise InvalidArgument(f"capacity must be a positive int, got {capacity!r}")
        self.task = task
        self.capacity = capacity
        self._start()

    def _plan(self):
        """A generator of turns; each `send(context)` gives the next turn's text."""
        goal = self.task.goal
        context = yield ""
        if goal.kind == "decide":
            claim = " ".join((goal.claim or "").split())
            context = yield f"<FORK-1>prove: {claim}</FORK-1><JOIN-1>"
            if verified_claims(context).get(1):
                yield f"<ANSWER>{claim}</ANSWER>"
                return
            context = yield f"<FORK-2>prove: not ({claim})</FORK-2><JOIN-2>"
            if verified_claims(context).get(2):
                yield f"<ANSWER>not ({claim})</ANSWER>"
                return
            # Neither was proved by a worker; the answer check decides under the task's constraints.
            context = yield f"<ANSWER>{claim}</ANSWER>"
            yield f"<ANSWER>not ({claim})</ANSWER>"
            return
        names = goal.asked(list(self.task.unknowns))
        if goal.kind == "all":
            context = yield f"<FORK-1>all: for {', '.join(names)}</FORK-1><JOIN-1>"
            yield f"<ANSWER>{chr(10).join(solution_lines(verified_claims(context).get(1, []))) or 'false'}</ANSWER>"
            return
        for start in range(0, len(names), self.capacity):
            wave = list(enumerate(names[start : start + self.capacity], start=start + 1))
            forks = "".join(f"<FORK-{i}>solve: for {name}</FORK-{i}>" for i, name in wave)
            context = yield forks + f"<JOIN-{wave[0][0]}>"
            for i, _ in wave[1:]:
                context = yield f"<JOIN-{i}>"
        claims = [c for _, found in sorted(verified_claims(context).items()) for c in found]
        context = yield f"<ANSWER>{chr(10).join(dict.fromkeys(claims)) or 'false'}</ANSWER>"
        whole = len(names) + 1
        context = yield f"<FORK-{whole}>solve: for {', '.join(names)}</FORK-{whole}><JOIN-{whole}>"
        claims = verified_claims(context).get(whole, [])
        yield f"<ANSWER>{chr(10).join(claims) or 'false'}</ANSWER>"


def solution_lines(claims: list[str]) -> list[str]:
    """One answer line per solution: the disjuncts of the verified `all:` claims, in order."""
    lines: list[str] = []
    for text in claims:
        formula = parse_claim(text)
        if not isinstance(formula, ParseFailure):
            lines += [to_text(d) for d in disjuncts(formula)]
    return list(dict.fromkeys(lines))
