"""Scale-out on Ray: a pool of warm verifier actors shared by `verify_many(executor="ray")`,
`reason verify|equiv --executor ray` and the batched rewards.

Ray is an optional dependency (the `ray` extra): it is imported only inside this module's
functions, so `import reasoning` never loads it. The pool is generic: it runs a picklable
`fn(payload)` for each payload on actors that import the verifier once and stay warm, and it
keeps three promises:

- **input order**: `imap` yields one result per payload, in input order, as soon as the
  results before it are in;
- **back-pressure**: at most `depth` calls are queued per actor, and at most `window` payloads
  are taken from the input before their results are yielded, so a file of millions of claims
  is streamed in constant memory;
- **nothing lost, nothing hung**: a call that runs past `budget_s + grace_s` has its actor
  killed (and replaced) and comes back as `fallback(payload, why)` (callers make that
  `unknown`); a call whose actor or node dies is re-run on another actor under the same
  budget, up to `max_attempts` runs, then comes back as the fallback too. If no actor is left
  and none can be started within `ready_timeout_s`, the remaining payloads come back as the
  fallback. A soundness note: the fallback is only ever a "not decided" value.

Where Ray runs: inside an existing Ray job (verl, a Ray Train loop) the pool uses that
runtime; otherwise `connect()` joins the cluster at `RAY_ADDRESS`, or starts a local runtime
whose workers import this same source tree.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

#: Seconds a call may run past its budget before its actor is killed (pickling, scheduling).
DEFAULT_GRACE_S = 2.0
#: Calls queued on one actor: 2 hides the round trip without blurring per-item deadlines.
DEFAULT_DEPTH = 2
#: Runs of one payload when actors die under it (a payload that kills every actor stops here).
DEFAULT_MAX_ATTEMPTS = 2
#: Seconds to wait for an actor to start (import the verifier) before giving up on it.
DEFAULT_READY_TIMEOUT_S = 60.0
#: Seconds a new pool waits for its other actors once one is ready (the rest join later).
ALL_READY_WAIT_S = 10.0
#: Object store of a local runtime started here: results are small, keep the footprint small.
LOCAL_OBJECT_STORE_BYTES = 100 * 1024 * 1024
#: Modules an actor imports when it starts, so its first item does not pay for them.
PRELOAD = ("reasoning.api", "reasoning.answers._equivalence")
#: Claims an actor checks when it starts: SymPy's first simplify costs about a second, which
#: would otherwise eat the budget of the actor's first trigonometric claim.
WARMUP_CLAIMS = ("sin(x)^2 + cos(x)^2 = 1", "(x + 1)^2 = x^2 + 2x + 1")


class RayExecutorError(RuntimeError):
    """Ray is not installed, or the pool has no actor at all (reported as a usage error)."""


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RayExecutorError("the Ray executor needs Ray: pip install 'reasoning[ray]'") from exc
    return ray


def source_root() -> str:
    """The directory holding the `reasoning`, `proofs` and `solvers` packages in use here."""
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def connect(address: str | None = None) -> None:
    """Join Ray unless this process already has: `address`, else `RAY_ADDRESS`, else a new
    local runtime (all CPUs, a small object store). Workers get this source tree first on
    their PYTHONPATH, so they run the same verifier as the caller."""
    ray = _ray()
    if ray.is_initialized():
        return
    address = address or os.environ.get("RAY_ADDRESS") or None
    path = os.pathsep.join(p for p in (source_root(), os.environ.get("PYTHONPATH", "")) if p)
    options: dict[str, Any] = {
        "runtime_env": {"env_vars": {"PYTHONPATH": path}},
        "log_to_driver": False,
        "include_dashboard": False,
    }
    if address is None:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        options["object_store_memory"] = LOCAL_OBJECT_STORE_BYTES
    try:
        ray.init(address=address, **options)
    except (ConnectionError, RuntimeError, ValueError, TimeoutError) as exc:
        where = f"the Ray cluster at {address}" if address else "a local Ray runtime"
        raise RayExecutorError(f"cannot start or reach {where}: {exc}") from exc


class _Verifier:
    """One warm worker: imports the verifier once, then runs calls one at a time."""

    def __init__(self, preload: tuple[str, ...]) -> None:
        for name in preload:
            importlib.import_module(name)
        if "reasoning.api" in preload:
            verify = importlib.import_module("reasoning.api").verify
            for claim in WARMUP_CLAIMS:
                verify(claim, budget_s=30.0)

    def ready(self) -> tuple[int, str]:
        """(process id, node id): answered once the imports are done."""
        import ray

        return os.getpid(), ray.get_runtime_context().get_node_id()

    def run(self, fn: Callable[[Any], Any], payload: Any) -> Any:
        return fn(payload)


@dataclass
class _Call:
    ref: Any
    index: int
    payload: Any
    attempts: int
    started: float = 0.0  # when it became the actor's running call (calls run in order)


@dataclass
class _Slot:
    actor: Any
    calls: deque[_Call] = field(default_factory=deque)
    node: str = ""


@dataclass
class PoolStats:
    """Counters over the pool's life: what ran, what was re-run, what came back as fallback."""

    submitted: int = 0
    completed: int = 0
    retried: int = 0
    timed_out: int = 0
    lost: int = 0
    actors_started: int = 0
    actors_killed: int = 0
    max_in_flight: int = 0
    max_window: int = 0


class VerifierPool:
    """Warm verifier actors (see the module docstring). `actors`: how many (None: one per CPU
    of the cluster); `num_cpus`: CPUs each actor reserves; `window`: payloads taken from the
    input ahead of the results yielded (None: 8 per actor slot, at least 64)."""

    def __init__(
        self,
        *,
        actors: int | None = None,
        num_cpus: float = 1.0,
        depth: int = DEFAULT_DEPTH,
        window: int | None = None,
        grace_s: float = DEFAULT_GRACE_S,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        ready_timeout_s: float = DEFAULT_READY_TIMEOUT_S,
        preload: tuple[str, ...] = PRELOAD,
    ) -> None:
        ray = _ray()
        connect()
        if actors is None:
            actors = max(1, int(ray.cluster_resources().get("CPU", 1) // max(num_cpus, 1e-9)))
        if actors < 1 or depth < 1 or max_attempts < 1 or num_cpus < 0 or grace_s < 0:
            raise ValueError("actors, depth and max_attempts must be >= 1; num_cpus, grace_s >= 0")
        self.size, self.depth, self.grace_s = actors, depth, grace_s
        self.window = window if window is not None else max(64, 8 * actors * depth)
        if self.window < 1:
            raise ValueError("window must be >= 1")
        self.max_attempts, self.ready_timeout_s = max_attempts, ready_timeout_s
        self.stats = PoolStats()
        self.job_id = ray.get_runtime_context().get_job_id()
        self._remote = ray.remote(_Verifier).options(
            num_cpus=num_cpus, max_restarts=0, max_concurrency=1, scheduling_strategy="SPREAD"
        )
        self._preload = preload
        self._slots: list[_Slot] = []
        self._starting: dict[Any, tuple[Any, float]] = {}  # ready ref -> (actor, deadline)
        # One batch at a time (the actors are shared): other threads wait for the running batch;
        # a batch this thread left unfinished (an iterator never closed) is ended instead, since
        # waiting for it would deadlock.
        self._lock = threading.Condition()
        self._active: _Batch | None = None
        self._active_thread: int | None = None
        self._closed = False
        self._top_up()
        self._await_started(wait_all=True)

    # ---------------------------------------------------------------- actors

    def _top_up(self) -> None:
        for _ in range(self.size - len(self._slots) - len(self._starting)):
            actor = self._remote.remote(self._preload)
            self._starting[actor.ready.remote()] = (actor, time.monotonic() + self.ready_timeout_s)
            self.stats.actors_started += 1

    def _kill(self, actor: Any) -> None:
        with contextlib.suppress(Exception):  # an actor already gone is what we wanted
            _ray().kill(actor, no_restart=True)
        self.stats.actors_killed += 1

    def _started(self, ref: Any) -> None:
        ray = _ray()
        actor, _ = self._starting.pop(ref)
        try:
            _, node = ray.get(ref, timeout=0)
        except ray.exceptions.RayError:
            self._kill(actor)
            return
        self._slots.append(_Slot(actor, node=node))

    def _expire_starting(self) -> None:
        now = time.monotonic()
        for ref, (actor, deadline) in list(self._starting.items()):
            if now >= deadline:
                del self._starting[ref]
                self._kill(actor)

    def _await_started(self, wait_all: bool) -> None:
        """Wait for starting actors: until one is live, and (at construction) for the others up
        to ALL_READY_WAIT_S more; those still starting then join the pool when they are ready."""
        ray = _ray()
        first_live: float | None = time.monotonic() if self._slots else None
        while self._starting:
            now = time.monotonic()
            if self._slots and (not wait_all or now - (first_live or now) >= ALL_READY_WAIT_S):
                break
            deadline = min(d for _, d in self._starting.values())
            if self._slots:
                deadline = min(deadline, (first_live or now) + ALL_READY_WAIT_S)
            ready, _ = ray.wait(list(self._starting), num_returns=1, timeout=max(0.0, deadline - now))
            for ref in ready:
                self._started(ref)
            if self._slots and first_live is None:
                first_live = time.monotonic()
            self._expire_starting()
        if not self._slots:
            raise RayExecutorError("no Ray actor could be started (are CPUs free in the cluster?)")

    def nodes(self) -> list[str]:
        """The node ids of the live actors."""
        return [s.node for s in self._slots]

    # ---------------------------------------------------------------- batches

    def map(
        self,
        fn: Callable[[Any], Any],
        payloads: Iterable[Any],
        *,
        budget_s: float,
        fallback: Callable[[Any, str], Any],
    ) -> list[Any]:
        """`list(imap(...))`."""
        return list(self.imap(fn, payloads, budget_s=budget_s, fallback=fallback))

    def imap(
        self,
        fn: Callable[[Any], Any],
        payloads: Iterable[Any],
        *,
        budget_s: float,
        fallback: Callable[[Any, str], Any],
    ) -> Iterator[Any]:
        """`fn(payload)` for each payload on the actors, yielded in input order. `budget_s` is the
        time one call may take (plus `grace_s`); `fallback(payload, why)` is the result of a call
        that timed out or whose actors kept dying (callers return `unknown` there)."""
        if self._closed:
            raise RayExecutorError("the pool is shut down")
        batch = _Batch(self, fn, iter(payloads), budget_s, fallback)
        me = threading.get_ident()
        with self._lock:
            while self._active is not None and self._active_thread != me:
                self._lock.wait()
            if self._active is not None:
                self._active.end_abandoned()
            self._active, self._active_thread = batch, me
        try:
            yield from batch.run()
        finally:
            with self._lock:
                if self._active is batch:
                    self._active = self._active_thread = None
                    self._lock.notify_all()

    def shutdown(self) -> None:
        """Kill the actors (the Ray runtime itself is left as it is)."""
        self._closed = True
        for slot in self._slots:
            self._kill(slot.actor)
        for actor, _ in self._starting.values():
            self._kill(actor)
        self._slots, self._starting = [], {}


class _Batch:
    """One `imap` run: the scheduling loop over the pool's actors."""

    def __init__(
        self, pool: VerifierPool, fn: Callable, source: Iterator, budget_s: float, fallback: Callable
    ):
        self.pool, self.fn, self.source, self.fallback = pool, fn, source, fallback
        self.limit_s = budget_s + pool.grace_s
        self.pending: deque[tuple[int, Any, int]] = deque()  # (index, payload, attempts) to run
        self.results: dict[int, Any] = {}
        self.taken = 0  # payloads taken from the source
        self.yielded = 0
        self.exhausted = False
        self.ended = False

    def _in_flight(self) -> int:
        return sum(len(s.calls) for s in self.pool._slots)

    def _next(self) -> tuple[int, Any, int] | None:
        if self.pending:
            return self.pending.popleft()
        if self.exhausted or self.taken - self.yielded >= self.pool.window:
            return None  # back-pressure: wait until the caller has consumed results
        try:
            payload = next(self.source)
        except StopIteration:
            self.exhausted = True
            return None
        self.taken += 1
        self.pool.stats.max_window = max(self.pool.stats.max_window, self.taken - self.yielded)
        return self.taken - 1, payload, 0

    def _submit(self) -> None:
        pool = self.pool
        for slot in pool._slots:
            while len(slot.calls) < pool.depth:
                item = self._next()
                if item is None:
                    return
                index, payload, attempts = item
                call = _Call(slot.actor.run.remote(self.fn, payload), index, payload, attempts)
                if not slot.calls:
                    call.started = time.monotonic()
                slot.calls.append(call)
                pool.stats.submitted += 1
        pool.stats.max_in_flight = max(pool.stats.max_in_flight, self._in_flight())

    def _give_up(self, call: _Call | tuple[int, Any, int], why: str) -> None:
        index, payload = (call.index, call.payload) if isinstance(call, _Call) else call[:2]
        self.results[index] = self.fallback(payload, why)

    def _drop_slot(self, slot: _Slot, reason: str) -> None:
        """The actor died (or was killed): re-queue its calls, or give up on them."""
        pool = self.pool
        pool._slots.remove(slot)
        pool._kill(slot.actor)
        requeue = []
        for call in slot.calls:
            ran = call.started > 0  # calls behind the running one never started
            attempts = call.attempts + (1 if ran else 0)
            if attempts >= pool.max_attempts:
                pool.stats.lost += 1
                self._give_up(call, f"not decided: {reason} (ran {attempts} times)")
            else:
                pool.stats.retried += 1
                requeue.append((call.index, call.payload, attempts))
        self.pending.extendleft(reversed(requeue))
        pool._top_up()

    def _finished(self, slot: _Slot, call: _Call) -> None:
        ray = _ray()
        slot.calls.remove(call)
        if slot.calls and slot.calls[0].started == 0:
            slot.calls[0].started = time.monotonic()
        try:
            self.results[call.index] = ray.get(call.ref, timeout=0)
            self.pool.stats.completed += 1
        except ray.exceptions.RayTaskError as exc:  # fn raised: an error value, not a lost worker
            self.results[call.index] = self.fallback(
                call.payload, f"internal error: {type(exc.cause).__name__}"
            )
        except ray.exceptions.RayError as exc:  # the actor, its node or the object is gone
            slot.calls.appendleft(call)
            call.started = call.started or time.monotonic()
            self._drop_slot(slot, f"the Ray worker was lost ({type(exc).__name__})")

    def _expire(self) -> None:
        """Kill actors whose running call is past its deadline; that call gives up, the queued
        calls behind it are re-run elsewhere (they never started)."""
        now = time.monotonic()
        for slot in list(self.pool._slots):
            if slot.calls and now - slot.calls[0].started >= self.limit_s:
                head = slot.calls.popleft()
                self.pool.stats.timed_out += 1
                self._give_up(head, f"not decided within the budget ({self.limit_s:.1f} s with grace)")
                self._drop_slot(slot, "its actor was killed after a timeout")

    def _wait(self) -> None:
        ray, pool = _ray(), self.pool
        by_ref: dict[Any, tuple[_Slot | None, _Call | None]] = {r: (None, None) for r in pool._starting}
        deadlines = [d for _, d in pool._starting.values()]
        for slot in pool._slots:
            for call in slot.calls:
                by_ref[call.ref] = (slot, call)
            if slot.calls:
                deadlines.append(slot.calls[0].started + self.limit_s)
        if not by_ref:
            return
        timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
        ready, _ = ray.wait(list(by_ref), num_returns=1, timeout=timeout)
        if ready:
            ready, _ = ray.wait(list(by_ref), num_returns=len(by_ref), timeout=0)
        for ref in ready:
            slot, call = by_ref[ref]
            if call is None:
                if ref in pool._starting:
                    pool._started(ref)
            elif slot in pool._slots and call in slot.calls:
                self._finished(slot, call)
        pool._expire_starting()
        self._expire()

    def run(self) -> Iterator[Any]:
        try:
            yield from self._loop()
        finally:
            if not self.ended:
                self._release()

    def _release(self) -> None:
        """The caller stopped early: calls still queued on actors would skew the next batch."""
        for slot in [s for s in self.pool._slots if s.calls]:
            self.pool._slots.remove(slot)
            self.pool._kill(slot.actor)

    def end_abandoned(self) -> None:
        """A later batch on the same thread starts while this one's iterator was left unfinished:
        free the actors now; resuming this iterator raises."""
        self.ended = True
        self._release()

    def _loop(self) -> Iterator[Any]:
        pool = self.pool
        pool._top_up()
        while True:
            while self.yielded in self.results:
                result = self.results.pop(self.yielded)
                self.yielded += 1
                yield result
                if self.ended:
                    raise RayExecutorError("this batch was ended: a later batch on the same thread started")
            self._submit()
            if self.exhausted and not self.pending and self.yielded == self.taken:
                return
            if not pool._slots and not pool._starting:
                pool._top_up()  # every actor is gone: try once more, or give up on the rest
                if not pool._starting:
                    self._abandon("no Ray actor is left")
                    continue
            if not pool._slots:
                try:
                    pool._await_started(wait_all=False)
                except RayExecutorError:
                    self._abandon("no Ray actor could be started")
                    continue
            self._wait()

    def _abandon(self, why: str) -> None:
        """No actor at all: everything not yet answered comes back as the fallback."""
        while self.pending:
            self.pool.stats.lost += 1
            self._give_up(self.pending.popleft(), f"not decided: {why}")
        for index, payload in enumerate(self.source, start=self.taken):
            self.results[index] = self.fallback(payload, f"not decided: {why}")
            self.taken = index + 1
        self.exhausted = True


# ------------------------------------------------------------------ the shared pool

_POOL: VerifierPool | None = None
_POOL_LOCK = threading.Lock()


def get_pool(actors: int | None = None) -> VerifierPool:
    """The process's shared pool in the current Ray job (made on first use; `actors` None: one
    per CPU). A pool from an earlier Ray job, or of another size, is replaced."""
    global _POOL
    ray = _ray()
    with _POOL_LOCK:
        connect()
        job = ray.get_runtime_context().get_job_id()
        pool = _POOL
        if pool is None or pool._closed or pool.job_id != job or (actors is not None and pool.size != actors):
            if pool is not None and pool.job_id == job:
                pool.shutdown()
            _POOL = pool = VerifierPool(actors=actors)
        return pool


def shutdown_pool() -> None:
    """Kill the shared pool's actors (the Ray runtime is left running)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is not None:
            _POOL.shutdown()
        _POOL = None
