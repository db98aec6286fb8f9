"""Run a picklable function in a warm, killable worker process with a time and a memory budget.

Some work (SymPy's `simplify` of a hostile expression) can run for minutes or eat all memory, and
Python cannot interrupt it from a thread. So it runs in a separate process that we can kill. No
signals are used for the timeout (they break in threads and servers): the caller waits on the
worker's pipe with a deadline and, when it passes, terminates the worker and starts a fresh one.

Workers are started with the "spawn" method (callers may have threads, so no fork), lazily, and
reused across calls, because starting one and importing SymPy costs about a second. Memory is
capped in the worker with `RLIMIT_AS` for the duration of each call. Every outcome, including a
timeout or a dead worker, comes back as a `SandboxResult` value; `run` does not raise on them.

    >>> result = Sandbox(workers=1).run(math.factorial, 20, budget_s=5.0)
    >>> result.ok, result.value
    (True, 2432902008176640000)
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import importlib
import multiprocessing
import os
import resource
import signal
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

#: Workers per sandbox unless told otherwise: SymPy work is CPU-bound, so more rarely helps.
DEFAULT_WORKERS = max(1, min(2, os.cpu_count() or 1))
#: Address-space cap (MB) for a worker during one call unless told otherwise.
DEFAULT_MEMORY_MB = 1024
#: Seconds a killed worker gets after SIGTERM before SIGKILL.
KILL_GRACE_S = 1.0
#: Workers a call may try when each dies before taking its task.
MAX_ATTEMPTS = 3
_RETRY = object()


@dataclass(frozen=True, slots=True)
class SandboxResult:
    """The outcome of one sandboxed call.

    `ok` is True when the function returned; `value` is then its return value. Otherwise
    `error` says why (the exception, a dead worker, an exhausted budget) and `timed_out` is
    True when the time budget ran out. `elapsed_s` is wall time seen by the caller.
    """

    ok: bool
    value: Any = None
    error: str = ""
    timed_out: bool = False
    elapsed_s: float = 0.0


# ---------------------------------------------------------------- the worker process


def _limit_memory(memory_mb: int | None, default: tuple[int, int]) -> None:
    soft, hard = default
    if memory_mb is not None:
        soft = memory_mb * 1024 * 1024
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _worker_main(conn: Connection, preload: tuple[str, ...]) -> None:
    """The worker loop: import `preload`, say ready, then run (fn, args, memory_mb) tasks."""
    # Ctrl-C in a terminal reaches the whole process group; the parent decides, not the worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in preload:
        with contextlib.suppress(Exception):  # reported when a task needs the module
            importlib.import_module(name)
    default_limit = resource.getrlimit(resource.RLIMIT_AS)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        except Exception as exc:  # noqa: BLE001 - e.g. the function cannot be imported here
            conn.send(("error", f"cannot load the task: {type(exc).__name__}: {exc}", False))
            continue
        if task is None:
            return
        conn.send(("started",))  # from here on a death is the task's doing, so no retry
        fn, args, memory_mb = task
        retire = False
        try:
            _limit_memory(memory_mb, default_limit)
            reply = ("ok", fn(*args))
        except MemoryError:
            reply, retire = ("error", f"memory budget of {memory_mb} MB exhausted", True), True
        except BaseException as exc:  # noqa: BLE001 - every failure goes back as a value
            reply = ("error", f"{type(exc).__name__}: {exc}", False)
        finally:
            try:
                _limit_memory(None, default_limit)
            except (ValueError, OSError):
                retire = True
        try:
            conn.send(reply)
        except Exception as exc:  # noqa: BLE001 - an unpicklable result
            conn.send(("error", f"the result cannot be sent back: {type(exc).__name__}: {exc}", False))
        if retire:  # a worker that ran out of memory may be in a bad state: start afresh
            return


# ---------------------------------------------------------------- the parent side


class _WorkerDied(Exception):
    pass


class _Worker:
    """One worker process and the parent's end of its pipe; used by one caller at a time."""

    __slots__ = ("process", "conn", "ready", "started")

    def __init__(self, context: Any, preload: tuple[str, ...]) -> None:
        self.conn, child_conn = context.Pipe()
        self.process = context.Process(
            target=_worker_main, args=(child_conn, preload), daemon=True, name="sandbox-worker"
        )
        self.process.start()
        child_conn.close()  # so the parent sees EOF when the worker dies
        self.ready = False
        self.started = False  # whether the worker has taken the current task

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def receive(self, deadline: float) -> tuple[bool, Any]:
        """(True, message) for the next non-ready message, (False, None) at the deadline."""
        while True:
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0 or not self.conn.poll(remaining):
                    return False, None
                message = self.conn.recv()
            except (EOFError, OSError) as exc:
                raise _WorkerDied(self.death_note()) from exc
            if message[0] == "ready":
                self.ready = True
            elif message[0] == "started":
                self.started = True
            else:
                return True, message

    def wait_ready(self, deadline: float) -> bool:
        """Wait until the worker has finished importing; False if the deadline comes first."""
        while not self.ready:
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0 or not self.conn.poll(remaining):
                    return False
                message = self.conn.recv()
            except (EOFError, OSError) as exc:
                raise _WorkerDied(self.death_note()) from exc
            self.ready = message[0] == "ready" or self.ready
        return True

    def death_note(self) -> str:
        self.process.join(0.2)
        code = self.process.exitcode
        if code is None:
            return "the worker process stopped answering"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"the worker process died (killed by {name})"
        return f"the worker process died (exit code {code})"

    def kill(self) -> None:
        """Terminate now; reap (and SIGKILL if needed) in the background so callers never wait."""
        with contextlib.suppress(OSError, ValueError, AttributeError):
            self.process.terminate()
        threading.Thread(target=self._reap, name="sandbox-reaper", daemon=True).start()

    def _reap(self) -> None:
        try:
            self.process.join(KILL_GRACE_S)
            if self.process.is_alive():
                self.process.kill()
                self.process.join(KILL_GRACE_S)
        except (OSError, ValueError, AttributeError):
            pass
        self.conn.close()


_INSTANCES: weakref.WeakSet[Sandbox] = weakref.WeakSet()


class Sandbox:
    """A lazily started pool of warm worker processes; safe to use from many threads at once.

    `preload` names modules each worker imports at start-up (so the first call does not pay
    for them). A call waits for a free worker, and that wait counts against its budget.
    """

    def __init__(self, *, workers: int = DEFAULT_WORKERS, preload: Sequence[str] = ()) -> None:
        if workers < 1:
            raise ValueError(f"Sandbox needs at least one worker, got {workers}")
        self._size = workers
        self._preload = tuple(preload)
        self._context = multiprocessing.get_context("spawn")
        self._cond = threading.Condition()
        self._workers: set[_Worker] = set()
        self._idle: list[_Worker] = []
        self._starting = 0
        self._closed = False
        _INSTANCES.add(self)

    @property
    def closed(self) -> bool:
        return self._closed

    def worker_pids(self) -> list[int]:
        """Process ids of the current workers (busy or idle)."""
        with self._cond:
            return sorted(w.pid for w in self._workers if w.pid is not None)

    # -- public calls

    def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        budget_s: float,
        memory_mb: int | None = DEFAULT_MEMORY_MB,
    ) -> SandboxResult:
        """Call `fn(*args)` in a worker; give up after `budget_s` seconds (the worker is killed).

        `fn`, `args` and the return value must be picklable (`fn` a module-level function).
        `memory_mb` caps the worker's address space during the call (None: no cap).
        """
        start = time.monotonic()
        deadline = start + budget_s

        def result(**kwargs: Any) -> SandboxResult:
            return SandboxResult(elapsed_s=time.monotonic() - start, **kwargs)

        timeout = {"ok": False, "timed_out": True, "error": f"budget of {budget_s:g} s exhausted"}
        if memory_mb is not None and memory_mb < 1:
            return result(ok=False, error=f"memory_mb must be positive, got {memory_mb}")
        for _ in range(MAX_ATTEMPTS):
            worker = self._acquire(deadline)
            if isinstance(worker, str):
                return result(ok=False, error=worker)
            if worker is None:
                return result(**timeout)
            outcome = self._call(worker, (fn, args, memory_mb), deadline)
            if outcome is not _RETRY:
                return result(**(timeout if outcome is None else outcome))
        return result(ok=False, error=f"{MAX_ATTEMPTS} worker processes died before taking the task")

    def _call(self, worker: _Worker, task: tuple, deadline: float) -> dict[str, Any] | None | object:
        """Run one task on an acquired worker and give it back (or replace it).

        Returns the result fields, None on timeout, or _RETRY if the worker died before it
        took the task (e.g. it was killed while idle), so another worker may take it.
        """
        worker.started = False
        try:
            if not worker.wait_ready(deadline) or time.monotonic() >= deadline:
                self._release(worker)  # out of time before the task was sent: keep the worker
                return None
            try:
                worker.conn.send(task)
            except (BrokenPipeError, ConnectionError, EOFError) as exc:
                raise _WorkerDied("the worker process died") from exc
            except Exception as exc:  # noqa: BLE001 - pickling failed, so nothing was sent
                self._release(worker)
                return {"ok": False, "error": f"the task cannot be sent: {type(exc).__name__}: {exc}"}
            answered, message = worker.receive(deadline)
        except _WorkerDied as exc:
            self._discard(worker)
            return {"ok": False, "error": str(exc)} if worker.started else _RETRY
        except Exception as exc:  # noqa: BLE001 - e.g. the result cannot be unpickled here
            self._discard(worker)
            return {"ok": False, "error": f"cannot read the result: {type(exc).__name__}: {exc}"}
        if not answered:
            self._discard(worker)
            return None
        if message[0] == "ok":
            self._release(worker)
            return {"ok": True, "value": message[1]}
        _, error, retire = message
        (self._discard if retire else self._release)(worker)
        return {"ok": False, "error": error}

    async def run_async(
        self,
        fn: Callable[..., Any],
        *args: Any,
        budget_s: float,
        memory_mb: int | None = DEFAULT_MEMORY_MB,
    ) -> SandboxResult:
        """`run` from asyncio: the waiting happens in a thread, the event loop stays free."""
        return await asyncio.to_thread(self.run, fn, *args, budget_s=budget_s, memory_mb=memory_mb)

    def warm_up(self, *, wait_s: float = 0.0) -> int:
        """Start all workers now; wait up to `wait_s` for them to finish importing.

        Returns how many workers were seen ready (0 when not waiting).
        """
        with self._cond:
            missing = 0 if self._closed else self._size - len(self._workers) - self._starting
            self._starting += max(0, missing)
        for _ in range(max(0, missing)):
            self._start_in_background()
        if wait_s <= 0:
            return 0
        deadline = time.monotonic() + wait_s
        held: list[_Worker] = []
        ready = 0
        try:
            while len(held) < self._size:
                worker = self._acquire(deadline)
                if not isinstance(worker, _Worker):
                    break
                held.append(worker)
                try:
                    ready += worker.wait_ready(deadline)
                except _WorkerDied:
                    held.pop()
                    self._discard(worker)
        finally:
            for worker in held:
                self._release(worker)
        return ready

    def shutdown(self) -> None:
        """Kill every worker; later calls return an error result."""
        with self._cond:
            self._closed = True
            workers = list(self._workers)
            self._workers.clear()
            self._idle.clear()
            self._cond.notify_all()
        for worker in workers:
            worker.kill()

    # -- the pool

    def _acquire(self, deadline: float) -> _Worker | str | None:
        """A worker for the caller alone; None at the deadline; an error text if closed."""
        with self._cond:
            while True:
                if self._closed:
                    return "the sandbox is shut down"
                if self._idle:
                    ready = [w for w in self._idle if w.ready]
                    worker = (ready or self._idle)[-1]
                    self._idle.remove(worker)
                    return worker
                if len(self._workers) + self._starting < self._size:
                    self._starting += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)
        worker = None
        try:
            worker = _Worker(self._context, self._preload)
        except Exception as exc:  # noqa: BLE001 - e.g. out of processes
            return f"cannot start a worker process: {type(exc).__name__}: {exc}"
        finally:
            with self._cond:
                self._starting -= 1
                if worker is not None:
                    self._workers.add(worker)
                self._cond.notify_all()
        return worker

    def _release(self, worker: _Worker) -> None:
        with self._cond:
            if not self._closed and worker in self._workers:
                self._idle.append(worker)
                self._cond.notify_all()
                return
        worker.kill()

    def _discard(self, worker: _Worker) -> None:
        """Kill a worker and start its replacement in the background (keeps the pool warm)."""
        worker.kill()
        with self._cond:
            self._workers.discard(worker)
            replace = not self._closed and len(self._workers) + self._starting < self._size
            if replace:
                self._starting += 1
            self._cond.notify_all()
        if replace:
            self._start_in_background()

    def _start_in_background(self) -> None:
        """Start one worker in a thread; the caller has already counted it in `_starting`."""

        def start() -> None:
            worker = None
            with contextlib.suppress(Exception):  # the next call tries again and reports it
                worker = _Worker(self._context, self._preload)
            with self._cond:
                self._starting -= 1
                if worker is not None and not self._closed:
                    self._workers.add(worker)
                    self._idle.append(worker)
                    worker = None
                self._cond.notify_all()
            if worker is not None:
                worker.kill()

        threading.Thread(target=start, name="sandbox-starter", daemon=True).start()


# ---------------------------------------------------------------- process-wide helpers


def shutdown() -> None:
    """Kill the workers of every sandbox in this process (registered with atexit)."""
    for sandbox in list(_INSTANCES):
        sandbox.shutdown()


atexit.register(shutdown)
