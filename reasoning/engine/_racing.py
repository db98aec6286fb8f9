"""Racing workers: one attempt of a fork run by several workers at once.

A worker that races (`RacingWorker`, e.g. `reasoning.engine._mixed_worker.MixedWorker`) names, per
attempt, the entrants that run it (`Lineup`: a model worker and a symbolic one, or just one),
each with a start delay (a head start for the others), and why (the router's reason, written
to the trace). The engine runs every entrant to its
`<RETURN>` and checks its claims; the first entrant whose result is *verified* (accepted, with at
least one proved claim) wins the attempt, and the others are cancelled at once: their tasks are
cancelled, which closes their streams (a local model's batch row leaves the batch at the next
decode step; an HTTP stream is closed). A solver running in a thread cannot be interrupted: it
ends within its own budget and its result is dropped.

When nobody wins, the attempt takes the first accepted result (accepted without a proved claim),
else it is rejected with every entrant's reason. Every entrant's end is one `ContestEvent` in the
trace (won / accepted / rejected / cancelled / lost), and the racing worker hears of the results
(`settled`), so its router can learn which kind of worker yields verified claims per second.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

from proofs.verdict import Status
from reasoning.engine._run_trace import ContestEvent, RejectionEvent, VerdictEvent, WorkerTokensEvent
from reasoning.engine._task import ClaimCheck, Task
from reasoning.engine._workers import Worker, WorkerRequest

#: The kinds of worker an entrant may be.
KINDS = ("llm", "symbolic")
#: How an entrant's run ended.
OUTCOMES = ("won", "accepted", "rejected", "cancelled", "lost")

T = TypeVar("T")


@dataclass(frozen=True)
class Entrant:
    """One worker in a race: `label` names it in producers ("symbolic", "llm:local:..."), `kind`
    is "llm" or "symbolic". It starts `delay_s` after the race does (a head start for the others:
    an entrant cancelled before it starts costs nothing, not even a model's prefill)."""

    label: str
    kind: str
    worker: Worker
    delay_s: float = 0.0


@dataclass(frozen=True)
class Lineup:
    """Who runs one attempt, and why (one line, for the trace)."""

    entrants: tuple[Entrant, ...]
    why: str = ""


@dataclass(frozen=True)
class ContestResult:
    """How one entrant's run of an attempt ended (`outcome` in OUTCOMES), what it cost and what
    it produced: `proved` and `rejected` claims (refuted or invalid), `elapsed_s` from its start
    to its end (or its cancellation)."""

    label: str
    kind: str
    outcome: str
    elapsed_s: float
    tokens: int = 0
    steps: int = 0
    proved: int = 0
    rejected: int = 0
    reason: str = ""


@dataclass(eq=False)
class Contender:
    """One entrant's run of a raced attempt, filled in as it goes."""

    entrant: Entrant
    state: dict[str, int] = field(default_factory=lambda: {"tokens": 0, "steps": 0})
    elapsed_s: float = 0.0
    started: bool = False
    finished: bool = False
    body: str | None = None
    missing: str | None = None
    checks: list[ClaimCheck] = field(default_factory=list)
    accepted: bool = False
    final: bool = False
    reason: str = ""

    @property
    def verified(self) -> bool:
        """Accepted with at least one proved claim: a result worth winning a race with."""
        return self.accepted and any(c.accepted for c in self.checks)

    def judge(self, task: Task, missing: str | None, checked) -> None:
        """Accept or reject the checked RETURN, by the same rules as the engine's `_Run._attempt`."""
        if missing is not None:
            self.missing = self.reason = missing
            return
        self.checks, notes = checked
        bad = [c for c in self.checks if c.verdict.status in (Status.REFUTED, Status.INVALID)]
        if bad:
            self.reason = "; ".join(c.describe() for c in bad[:3])
            self.final = any(c.final for c in bad)
        elif task.require_claims and not any(c.accepted for c in self.checks):
            unknown = [c.describe() for c in self.checks][:3]
            self.reason = "no claim was proved" + (
                f" ({'; '.join(unknown)})" if unknown else " (the RETURN holds no claim line)"
            )
        else:
            self.accepted = True
            self.reason = "; ".join(notes)

    def result(self, outcome: str) -> ContestResult:
        statuses = [c.verdict.status for c in self.checks]
        return ContestResult(
            label=self.entrant.label,
            kind=self.entrant.kind,
            outcome=outcome,
            elapsed_s=self.elapsed_s,
            tokens=self.state["tokens"],
            steps=self.state["steps"],
            proved=sum(s is Status.PROVED for s in statuses),
            rejected=sum(s in (Status.REFUTED, Status.INVALID) for s in statuses),
            reason=self.reason if outcome != "cancelled" else self._cancelled_why(),
        )

    def _cancelled_why(self) -> str:
        if self.started:
            return "another worker's result was verified first"
        return f"not started: another worker's result was verified within its {self.entrant.delay_s:g} s head start"


def race_note(results: list[ContestResult]) -> str:
    """ "race: symbolic won in 0.05 s; llm:x cancelled" for the ledger."""
    parts = []
    for r in results:
        part = f"{r.label} {r.outcome}"
        if r.outcome in ("won", "accepted"):
            part += f" in {r.elapsed_s:.2f} s"
        parts.append(part)
    return "race: " + "; ".join(parts)


@runtime_checkable
class RacingWorker(Protocol):
    """A worker whose attempts the engine races: `lineup(request)` names the entrants,
    `settled(request, results)` hears how each ended (always called, also for a cancelled
    attempt, so slots the lineup reserved are freed)."""

    def lineup(self, request: WorkerRequest) -> Lineup: ...

    def settled(self, request: WorkerRequest, results: Sequence[ContestResult]) -> None: ...


async def first_to_win(
    runs: Sequence[Awaitable[T]], wins: Callable[[T], bool]
) -> tuple[int | None, list[T | None], list[int]]:
    """Run `runs` concurrently until one result `wins`; cancel the rest and wait for them to stop.

    Returns (index of the winner or None, the results by index (None for a run that was
    cancelled), the indices in the order they finished). Results that finish in the same loop
    step are taken in index order, so the outcome does not depend on set iteration order. A run
    that raises propagates its exception after the others are cancelled.
    """
    tasks = [asyncio.ensure_future(run) for run in runs]
    results: list[T | None] = [None] * len(tasks)
    order: list[int] = []
    winner: int | None = None
    try:
        pending = set(tasks)
        while pending and winner is None:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in sorted(done, key=tasks.index):
                index = tasks.index(task)
                results[index] = task.result()
                order.append(index)
                if winner is None and wins(results[index]):
                    winner = index
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return winner, results, order


def worker_summary(
    events: Iterable[Any], labels: Mapping[tuple[int, int], str] | None = None
) -> dict[str, dict[str, int]]:
    """Per worker label: attempts run and won, the claims it returned that were verified (proved)
    or rejected (refuted or invalid), and its runs cancelled or beaten in races.

    Raced attempts are read from their `contest` events; an attempt that was not raced is
    credited to `labels[(fork, attempt)]` (the worker's `producers`) from its `worker_tokens`,
    `verdict` and `rejection` events (taken unless rejected by its own checks).
    """
    labels = labels or {}
    events = list(events)
    raced = {(e.fork_id, e.attempt) for e in events if isinstance(e, ContestEvent)}
    summary: dict[str, dict[str, int]] = {}

    def entry(label: str) -> dict[str, int]:
        return summary.setdefault(
            label, {"attempts": 0, "won": 0, "verified": 0, "rejected": 0, "cancelled": 0, "lost": 0}
        )

    failed: set[tuple[int, int]] = set()
    for event in events:
        if isinstance(event, ContestEvent):
            item = entry(event.worker)
            item["attempts"] += 1
            if event.outcome in ("won", "accepted"):
                item["won"] += 1
            elif event.outcome in ("cancelled", "lost"):
                item[event.outcome] += 1
            item["verified"] += event.proved
            item["rejected"] += event.rejected
            continue
        if not isinstance(event, (WorkerTokensEvent, RejectionEvent, VerdictEvent)):
            continue
        key = (event.fork_id, event.attempt)
        if key in raced:
            continue
        item = entry(labels.get(key, "unknown"))
        if isinstance(event, WorkerTokensEvent) and event.final:
            item["attempts"] += 1
            item["won"] += 1
        elif isinstance(event, RejectionEvent) and event.at_join is None and key not in failed:
            failed.add(key)
            item["won"] -= 1
        elif isinstance(event, VerdictEvent):
            if event.status == "proved":
                item["verified"] += 1
            elif event.status in ("refuted", "invalid"):
                item["rejected"] += 1
    return summary
