"""The trace of a fork/join run: typed events, a live JSONL log, and AsyncThink metrics from it.

Every event is a frozen dataclass with a class-level `kind` and `t`, seconds since run start
(`RunTrace` stamps it from a monotonic clock). The engine emits, in time order:

- `fork`: the organizer closed `<FORK-i>`; `organizer_tokens` are the model tokens and
  `organizer_steps` the symbolic steps (a planner's turns) the organizer spent since its previous
  organizer event (fork, join, format error, answer) or run start. Starts attempt 1.
- `redispatch`: the engine starts attempt `attempt` (>= 2) of fork i after a rejection.
- `worker_tokens`: `tokens` more model tokens and `steps` more symbolic steps from worker
  (i, attempt); the one at `<RETURN>` has `final=True`. Several per attempt are fine (they add
  up).
- `verdict`: one claim of (i, attempt) checked; `status` is proved / refuted / unknown / invalid.
- `rejection`: attempt (i, attempt) rejected; `at_join` is the fork id of the join whose
  consistency check blamed it (None when its own verdicts rejected it).
- `cancel`: attempt (i, attempt) stopped before it finished.
- `route`: a racing worker (`reasoning.engine._racing`) chose the entrants of (i, attempt): `workers`
  (labels, comma-separated) and `why` (the router's reason).
- `contest`: one entrant of a raced (i, attempt) ended: `outcome` won / accepted / rejected /
  cancelled / lost, with its `tokens`, `steps`, `proved` and `rejected` claim counts and
  `elapsed_s`. The work of the entrant the attempt `taken` from is also in the attempt's
  `worker_tokens` event; the others' work is only here.
- `join`: the organizer resumed after `<JOIN-i>`, at `t`; it emitted the tag at `requested_t`
  with `organizer_tokens`/`organizer_steps` since its previous organizer event, and received
  attempt `attempt`.
- `format_error`: a protocol violation; from the organizer when `fork_id` is None (then it is an
  organizer event and carries `organizer_tokens`/`organizer_steps`), else from worker (fork_id,
  attempt).
- `answer`: the organizer closed `<ANSWER>` with `organizer_tokens`/`organizer_steps` since its
  previous event; `status` is the answer check's verdict (`proved` for a verified answer).

Tokens are model tokens only, as the model's tokenizer counted them; symbolic work (planners,
symbolic workers, scripted doubles) is counted in steps (`reasoning.engine._workers`: `Tokens` vs `Steps`
chunks). The two are never added together.

Metric definitions (`compute_metrics`), following AsyncThink (arXiv 2510.26658):

- The DAG. Organizer nodes are the segments between consecutive organizer events (the first
  starts at 0; a segment after a join starts at the join's `t`); a segment's weight is its
  `organizer_tokens` and, in seconds, its length (event time, or `requested_t` for a join, minus
  the segment start); likewise in steps with `organizer_steps`. An attempt node runs from its
  fork/redispatch `t` to its end, the latest
  `t` of its worker_tokens / verdict / cancel / worker format_error events and of a rejection
  without `at_join` (its start when it has none);
  its weight is its worker tokens, its worker steps and its length in seconds. Join nodes weigh
  0 tokens, 0 steps and, in seconds, `t - max(requested_t, end of the joined attempt)` (at
  least 0): the consistency check.
- The chains. `C(x)` is the heaviest path ending at node x. Organizer segments are in sequence;
  an attempt started by a fork follows the organizer at that fork; a re-dispatched attempt
  follows the previous attempt of its fork and, when the rejection names `at_join = j`, the
  latest join of fork j; JOIN-i waits for the attempt it receives, so the chain after a join is
  max(organizer chain at the JOIN tag, chain at that attempt's end) + the join's own length.
- Critical-path latency is the largest `C` over all nodes (answer, unjoined and cancelled
  attempts included), in model tokens, in symbolic steps and in seconds, each separately. The
  maxima may come from different paths. Time nobody works in (a re-dispatch delay) is on no node, so it never counts.
- Thinking concurrency is the mean number of active workers over the run divided by c:
  (sum of attempt lengths in seconds) / (c * wall time). AsyncThink averages over the critical
  path's steps; in its lock-step model the critical path is the run's makespan, which in real
  time is the wall time. A worker slot is busy for the whole attempt (verification included),
  so a trace with more than c attempts active at once is rejected as malformed.
- Totals: wall time is the last event's `t`; tokens = organizer + worker tokens + the tokens of
  race entrants not taken (`race_tokens`: work spent, on no chain), steps likewise; forks counts
  fork events, redispatches the redispatch events;
  verified claims are `proved` verdicts, rejected claims `refuted` or `invalid` ones, unknown
  claims `unknown` ones; answer attempts counts answer events. `answered` is true only when an
  answer event has status `proved`: a verified answer was given.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, ClassVar

from reasoning.errors import InvalidArgument

VERDICT_STATUSES = ("proved", "refuted", "unknown", "invalid")


@dataclass(frozen=True, kw_only=True)
class _Event:
    kind: ClassVar[str]
    t: float

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, **dataclasses.asdict(self)}


@dataclass(frozen=True, kw_only=True)
class ForkEvent(_Event):
    """The organizer forked `fork_id`; attempt 1 starts at `t`."""

    kind: ClassVar[str] = "fork"
    fork_id: int
    organizer_tokens: int = 0
    query: str = ""
    organizer_steps: int = 0


@dataclass(frozen=True, kw_only=True)
class RedispatchEvent(_Event):
    """Attempt `attempt` (>= 2) of `fork_id` starts at `t`, with the rejection as `feedback`."""

    kind: ClassVar[str] = "redispatch"
    fork_id: int
    attempt: int
    feedback: str = ""


@dataclass(frozen=True, kw_only=True)
class WorkerTokensEvent(_Event):
    """`tokens` more model tokens and `steps` more symbolic steps from worker (fork_id, attempt);
    `final` at its `<RETURN>`."""

    kind: ClassVar[str] = "worker_tokens"
    fork_id: int
    attempt: int = 1
    tokens: int
    final: bool = False
    steps: int = 0


@dataclass(frozen=True, kw_only=True)
class VerdictEvent(_Event):
    """One claim returned by (fork_id, attempt) was checked (`cached`: the verdict came from the
    verified-claim cache, `reasoning.engine._claim_cache`)."""

    kind: ClassVar[str] = "verdict"
    fork_id: int
    attempt: int = 1
    claim: str
    status: str
    cached: bool = False


@dataclass(frozen=True, kw_only=True)
class RejectionEvent(_Event):
    """Attempt (fork_id, attempt) was rejected; `at_join` names the join that blamed it, if any."""

    kind: ClassVar[str] = "rejection"
    fork_id: int
    attempt: int = 1
    reason: str = ""
    at_join: int | None = None


@dataclass(frozen=True, kw_only=True)
class CancelEvent(_Event):
    """Attempt (fork_id, attempt) was stopped before it finished."""

    kind: ClassVar[str] = "cancel"
    fork_id: int
    attempt: int = 1
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class RouteEvent(_Event):
    """A racing worker chose who runs (fork_id, attempt): `workers` (comma-separated labels), `why`."""

    kind: ClassVar[str] = "route"
    fork_id: int
    attempt: int = 1
    workers: str = ""
    why: str = ""


@dataclass(frozen=True, kw_only=True)
class ContestEvent(_Event):
    """One entrant (`worker`, of `worker_kind` llm / symbolic) of a raced (fork_id, attempt) ended
    with `outcome` (won / accepted / rejected / cancelled / lost) after `elapsed_s`."""

    kind: ClassVar[str] = "contest"
    fork_id: int
    attempt: int = 1
    worker: str
    worker_kind: str = ""
    outcome: str
    elapsed_s: float = 0.0
    tokens: int = 0
    steps: int = 0
    proved: int = 0
    rejected: int = 0
    reason: str = ""
    #: the attempt took this entrant's result (its work is the attempt's `worker_tokens`)
    taken: bool = False


@dataclass(frozen=True, kw_only=True)
class JoinEvent(_Event):
    """The organizer resumed at `t` after `<JOIN-i>` (emitted at `requested_t`), given `attempt`."""

    kind: ClassVar[str] = "join"
    fork_id: int
    attempt: int = 1
    requested_t: float
    organizer_tokens: int = 0
    status: str = "accepted"
    organizer_steps: int = 0


@dataclass(frozen=True, kw_only=True)
class FormatErrorEvent(_Event):
    """A protocol violation by the organizer (`fork_id` None) or by worker (fork_id, attempt)."""

    kind: ClassVar[str] = "format_error"
    message: str
    fork_id: int | None = None
    attempt: int | None = None
    organizer_tokens: int = 0
    organizer_steps: int = 0


@dataclass(frozen=True, kw_only=True)
class AnswerEvent(_Event):
    """The organizer answered; `status` is the final check's verdict."""

    kind: ClassVar[str] = "answer"
    organizer_tokens: int = 0
    text: str = ""
    status: str = "unknown"
    organizer_steps: int = 0


TraceEvent = (
    ForkEvent
    | RedispatchEvent
    | WorkerTokensEvent
    | VerdictEvent
    | RejectionEvent
    | CancelEvent
    | RouteEvent
    | ContestEvent
    | JoinEvent
    | FormatErrorEvent
    | AnswerEvent
)
EVENT_TYPES: dict[str, type[_Event]] = {
    cls.kind: cls
    for cls in (
        ForkEvent,
        WorkerTokensEvent,
        VerdictEvent,
        JoinEvent,
        RejectionEvent,
        RedispatchEvent,
        FormatErrorEvent,
        AnswerEvent,
        CancelEvent,
        RouteEvent,
        ContestEvent,
    )
}
#: The event classes, for a membership test per recorded event.
_EVENT_CLASSES = frozenset(EVENT_TYPES.values())
#: The work counts each event class has (which `_check_events` requires to be non-negative).
_COUNT_FIELDS = {
    cls: tuple(
        name
        for name in ("organizer_tokens", "tokens", "organizer_steps", "steps")
        if name in cls.__dataclass_fields__
    )
    for cls in _EVENT_CLASSES
}


def event_from_json(data: Any) -> TraceEvent:
    """The event a `to_json()` dict describes; InvalidArgument for unknown kinds or fields."""
    if not isinstance(data, dict) or data.get("kind") not in EVENT_TYPES:
        raise InvalidArgument(f"not a trace event (unknown or missing kind): {data!r}")
    fields = {k: v for k, v in data.items() if k != "kind"}
    try:
        return EVENT_TYPES[data["kind"]](**fields)
    except TypeError as exc:
        raise InvalidArgument(f"bad fields for a {data['kind']} event: {exc}") from exc


class RunTrace:
    """Events of one run, in order, stamped in seconds since the trace was created.

    With `path`, each event is appended to that file as one JSON line and flushed at once, so a
    crashed run leaves a readable prefix. `clock` (default `time.monotonic`) is injectable for
    tests. Use it as a context manager, or call `close()`.

    >>> ticks = iter([10.0, 10.5])
    >>> trace = RunTrace(clock=lambda: next(ticks))
    >>> trace.add(ForkEvent, fork_id=1, organizer_tokens=3)
    ForkEvent(t=0.5, fork_id=1, organizer_tokens=3, query='', organizer_steps=0)
    """

    def __init__(self, path: str | os.PathLike | None = None, *, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._start = clock()
        self._events: list[TraceEvent] = []
        self._file: IO[str] | None = None
        if path is not None:
            self.path: Path | None = Path(path)
            self._file = self.path.open("w", encoding="utf-8")
        else:
            self.path = None

    @property
    def events(self) -> tuple[TraceEvent, ...]:
        return tuple(self._events)

    def now(self) -> float:
        """Seconds since the trace started, by its clock."""
        return self._clock() - self._start

    def add(self, event_type: type[_Event], **fields: Any) -> TraceEvent:
        """Build an event of `event_type` stamped `now()`, record it and return it."""
        event = event_type(t=self.now(), **fields)
        self.record(event)
        return event

    def record(self, event: TraceEvent) -> None:
        """Append an already stamped event; its `t` must not go back in time."""
        if type(event) not in _EVENT_CLASSES:
            raise InvalidArgument(f"not a trace event: {event!r}")
        if self._events and event.t < self._events[-1].t:
            raise InvalidArgument(f"event at t={event.t} is earlier than the previous one")
        self._events.append(event)
        if self._file is not None:
            self._file.write(json.dumps(event.to_json(), sort_keys=True) + "\n")
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> RunTrace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def load(path: str | os.PathLike) -> list[TraceEvent]:
        """The events a trace file holds, in order; InvalidArgument names the first bad line."""
        events = []
        with Path(path).open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    events.append(event_from_json(json.loads(line)))
                except (json.JSONDecodeError, InvalidArgument) as exc:
                    raise InvalidArgument(f"{path}:{number}: {exc}") from exc
        return events


# ---------------------------------------------------------------- metrics


@dataclass(frozen=True)
class RunMetrics:
    """What `compute_metrics` reports; the definitions are in the module docstring."""

    capacity: int
    critical_path_tokens: int
    critical_path_steps: int
    critical_path_s: float
    concurrency: float
    wall_time_s: float
    total_tokens: int
    organizer_tokens: int
    worker_tokens: int
    total_steps: int
    organizer_steps: int
    worker_steps: int
    forks: int
    redispatches: int
    verified_claims: int
    rejected_claims: int
    unknown_claims: int
    rejected_attempts: int
    cancelled_attempts: int
    format_errors: int
    answer_attempts: int
    answered: bool
    #: claims checked (verdict events), and those whose verdict came from the claim cache
    claim_checks: int = 0
    claim_cache_hits: int = 0
    claim_cache_hit_rate: float = 0.0
    #: raced attempts (route events naming two or more entrants), entrants cancelled when another
    #: won, and the tokens and steps of entrants that did not win (in the totals, on no chain)
    raced_attempts: int = 0
    race_cancelled: int = 0
    race_tokens: int = 0
    race_steps: int = 0

    def to_json(self) -> dict[str, Any]:
        # every field is a number or a bool: no deep copy (`dataclasses.asdict`) needed
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


#: A chain's weight: (model tokens, symbolic steps, seconds).
Chain = tuple[int, int, float]


def _longer(a: Chain, b: Chain) -> Chain:
    """The heavier of two chains, per measure (the maxima may come from different paths)."""
    return (max(a[0], b[0]), max(a[1], b[1]), max(a[2], b[2]))


@dataclass
class _Attempt:
    start_t: float
    base: Chain  # the chain where this attempt starts
    end_t: float
    tokens: int = 0
    steps: int = 0

    @property
    def chain(self) -> Chain:
        return (
            self.base[0] + self.tokens,
            self.base[1] + self.steps,
            self.base[2] + (self.end_t - self.start_t),
        )


class _Walk:
    """One pass over the events, keeping the heaviest chain into each node."""

    def __init__(self) -> None:
        self.org: Chain = (0, 0, 0.0)  # chain at the organizer's current point
        self.org_resumed_t = 0.0
        self.attempts: dict[tuple[int, int], _Attempt] = {}
        self.latest: dict[int, int] = {}  # fork id -> newest attempt number
        self.join_chain: dict[int, Chain] = {}  # fork id -> chain after its latest join
        self.at_join: dict[tuple[int, int], int] = {}

    def organizer_step(self, tokens: int, steps: int, until_t: float) -> None:
        if until_t < self.org_resumed_t:
            raise InvalidArgument(
                f"organizer event at t={until_t} precedes its resumption at {self.org_resumed_t}"
            )
        tokens_so_far, steps_so_far, seconds = self.org
        self.org = (tokens_so_far + tokens, steps_so_far + steps, seconds + until_t - self.org_resumed_t)
        self.org_resumed_t = until_t

    def attempt(self, fork_id: int, attempt: int) -> _Attempt:
        try:
            return self.attempts[(fork_id, attempt)]
        except KeyError:
            raise InvalidArgument(
                f"event for fork {fork_id} attempt {attempt}, which never started"
            ) from None

    def start(self, fork_id: int, attempt: int, t: float, base: Chain) -> None:
        if (fork_id, attempt) in self.attempts:
            raise InvalidArgument(f"fork {fork_id} attempt {attempt} started twice")
        self.attempts[(fork_id, attempt)] = _Attempt(t, base, t)
        self.latest[fork_id] = attempt

    def touch(self, fork_id: int, attempt: int, t: float) -> _Attempt:
        record = self.attempt(fork_id, attempt)
        record.end_t = max(record.end_t, t)
        return record


def _check_events(events: list[Any]) -> None:
    previous = 0.0
    for event in events:
        if type(event) not in _EVENT_CLASSES:
            raise InvalidArgument(f"not a trace event: {event!r}")
        if event.t < previous:
            raise InvalidArgument(f"events out of time order at t={event.t}")
        previous = event.t
        if isinstance(event, JoinEvent) and not 0 <= event.requested_t <= event.t:
            raise InvalidArgument(f"join of fork {event.fork_id}: requested_t must lie in [0, t]")
        for name in _COUNT_FIELDS[type(event)]:  # the fields it has: no getattr default per name
            if getattr(event, name) < 0:
                raise InvalidArgument(f"{name} must not be negative in {event!r}")


def _peak_active(attempts: Iterable[_Attempt]) -> int:
    # ends before starts at equal times: a slot freed at t may be reused at t
    edges = sorted(
        [(a.end_t, 0) for a in attempts if a.end_t > a.start_t]
        + [(a.start_t, 1) for a in attempts if a.end_t > a.start_t]
    )
    active = peak = 0
    for _, is_start in edges:
        active += 1 if is_start else -1
        peak = max(peak, active)
    return peak


def compute_metrics(events: Iterable[TraceEvent], capacity: int) -> RunMetrics:
    """Critical-path latency, thinking concurrency and totals of one run (see the module docstring).

    Raises InvalidArgument for a malformed trace: events out of time order, an event for an
    attempt that never started, an attempt started twice, or more than `capacity` attempts active
    at once.
    """
    if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1:
        raise InvalidArgument(f"capacity must be a positive int, got {capacity!r}")
    events = list(events)
    _check_events(events)
    walk = _Walk()
    counts = dict.fromkeys(VERDICT_STATUSES, 0)
    organizer_tokens = organizer_steps = forks = redispatches = rejected = cancelled = format_errors = 0
    cache_hits = 0
    raced = race_cancelled = race_tokens = race_steps = 0
    answer_attempts = 0
    answered = False
    for event in events:
        match event:
            case ForkEvent():
                forks += 1
                organizer_tokens += event.organizer_tokens
                organizer_steps += event.organizer_steps
                walk.organizer_step(event.organizer_tokens, event.organizer_steps, event.t)
                walk.start(event.fork_id, 1, event.t, walk.org)
            case RedispatchEvent():
                redispatches += 1
                previous = walk.latest.get(event.fork_id)
                if previous is None or event.attempt <= previous:
                    raise InvalidArgument(f"redispatch of fork {event.fork_id} as attempt {event.attempt}")
                base = walk.attempts[(event.fork_id, previous)].chain
                blamer = walk.at_join.get((event.fork_id, previous))
                if blamer is not None and blamer in walk.join_chain:
                    base = _longer(base, walk.join_chain[blamer])
                walk.start(event.fork_id, event.attempt, event.t, base)
            case WorkerTokensEvent():
                record = walk.touch(event.fork_id, event.attempt, event.t)
                record.tokens += event.tokens
                record.steps += event.steps
            case VerdictEvent():
                walk.touch(event.fork_id, event.attempt, event.t)
                if event.status not in counts:
                    raise InvalidArgument(f"verdict status must be one of {VERDICT_STATUSES}: {event!r}")
                counts[event.status] += 1
                cache_hits += event.cached
            case RejectionEvent():
                rejected += 1
                if event.at_join is None:
                    walk.touch(event.fork_id, event.attempt, event.t)
                else:  # blamed later, at a join: the attempt itself had already ended
                    walk.attempt(event.fork_id, event.attempt)
                    walk.at_join[(event.fork_id, event.attempt)] = event.at_join
            case CancelEvent():
                cancelled += 1
                walk.touch(event.fork_id, event.attempt, event.t)
            case RouteEvent():
                walk.touch(event.fork_id, event.attempt, event.t)
                raced += "," in event.workers
            case ContestEvent():
                walk.touch(event.fork_id, event.attempt, event.t)
                race_cancelled += event.outcome == "cancelled"
                if not event.taken:
                    race_tokens += event.tokens
                    race_steps += event.steps
            case JoinEvent():
                organizer_tokens += event.organizer_tokens
                organizer_steps += event.organizer_steps
                joined = walk.attempt(event.fork_id, event.attempt)
                walk.organizer_step(event.organizer_tokens, event.organizer_steps, event.requested_t)
                check_s = max(0.0, event.t - max(event.requested_t, joined.end_t))
                tokens, steps, seconds = _longer(walk.org, joined.chain)
                walk.org = (tokens, steps, seconds + check_s)
                walk.org_resumed_t = event.t
                walk.join_chain[event.fork_id] = walk.org
            case FormatErrorEvent():
                format_errors += 1
                if event.fork_id is None:
                    organizer_tokens += event.organizer_tokens
                    organizer_steps += event.organizer_steps
                    walk.organizer_step(event.organizer_tokens, event.organizer_steps, event.t)
                elif event.attempt is not None:
                    walk.touch(event.fork_id, event.attempt, event.t)
            case AnswerEvent():
                answer_attempts += 1
                answered = answered or event.status == "proved"
                organizer_tokens += event.organizer_tokens
                organizer_steps += event.organizer_steps
                walk.organizer_step(event.organizer_tokens, event.organizer_steps, event.t)
    attempts = list(walk.attempts.values())
    peak = _peak_active(attempts)
    if peak > capacity:
        raise InvalidArgument(f"{peak} attempts are active at once, more than capacity {capacity}")
    chains = [walk.org] + [a.chain for a in attempts]
    wall = events[-1].t if events else 0.0
    busy = sum(a.end_t - a.start_t for a in attempts)
    worker_tokens = sum(a.tokens for a in attempts)
    worker_steps = sum(a.steps for a in attempts)
    return RunMetrics(
        capacity=capacity,
        critical_path_tokens=max(c[0] for c in chains),
        critical_path_steps=max(c[1] for c in chains),
        critical_path_s=max(c[2] for c in chains),
        concurrency=busy / (capacity * wall) if wall > 0 else 0.0,
        wall_time_s=wall,
        total_tokens=organizer_tokens + worker_tokens + race_tokens,
        organizer_tokens=organizer_tokens,
        worker_tokens=worker_tokens,
        total_steps=organizer_steps + worker_steps + race_steps,
        organizer_steps=organizer_steps,
        worker_steps=worker_steps,
        forks=forks,
        redispatches=redispatches,
        verified_claims=counts["proved"],
        rejected_claims=counts["refuted"] + counts["invalid"],
        unknown_claims=counts["unknown"],
        rejected_attempts=rejected,
        cancelled_attempts=cancelled,
        format_errors=format_errors,
        answer_attempts=answer_attempts,
        answered=answered,
        claim_checks=sum(counts.values()),
        claim_cache_hits=cache_hits,
        claim_cache_hit_rate=round(cache_hits / sum(counts.values()), 4) if any(counts.values()) else 0.0,
        raced_attempts=raced,
        race_cancelled=race_cancelled,
        race_tokens=race_tokens,
        race_steps=race_steps,
    )
