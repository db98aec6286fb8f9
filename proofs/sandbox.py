"""Run a picklable function in a warm, killable worker process with a time and a memory budget.

Some work (SymPy's `simplify` of a hostile expression) can run for minutes or eat all memory, and
Python cannot interrupt it from a thread. So it runs in a separate process that we can kill. No
signals are used for the timeout (they break in threads and servers): the caller waits on the
worker's pipe with a deadline and, when it passes, terminates the worker and starts a fresh one.

Workers are fresh interpreters started with `subprocess` (`python -c ...`), not with
multiprocessing: no fork (callers may have threads), and, unlike multiprocessing's "spawn" and
"forkserver", the caller's `__main__` is never re-imported, so a script without an
`if __name__ == "__main__":` guard works. A worker gets the caller's `sys.path` and talks over
two private pipes in length-prefixed pickle frames; its stdout goes to the caller's stderr, so a
caller whose stdout is a protocol (an MCP stdio server) is never disturbed by a stray print. The
function to run is pickled by reference, so it must be importable by module path in the worker:
functions defined in the caller's `__main__` are refused with an error result.

Workers start lazily and are reused across calls, because starting one and importing SymPy costs
about a second. Memory is capped in the worker with `RLIMIT_AS` for the duration of each call.
Every outcome, including a timeout or a dead worker, comes back as a `SandboxResult` value; `run`
does not raise on them.

    >>> result = Sandbox(workers=1).run(math.factorial, 20, budget_s=5.0)
    >>> result.ok, result.value
    (True, 2432902008176640000)
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import importlib
import io
import math
import os
import pickle
import resource
import select
import signal
import subprocess
import sys
import threading
import time
import types
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Workers per sandbox unless told otherwise: SymPy work is CPU-bound, so more rarely helps.
DEFAULT_WORKERS = max(1, min(2, os.cpu_count() or 1))
#: Address-space cap (MB) for a worker during one call unless told otherwise.
DEFAULT_MEMORY_MB = 1024
#: Seconds a killed worker gets after SIGTERM before SIGKILL.
KILL_GRACE_S = 1.0
#: Workers a call may try when each dies before taking its task.
MAX_ATTEMPTS = 3

_HEADER = 8  # bytes of little-endian frame length before each pickle
_PROTOCOL = pickle.HIGHEST_PROTOCOL  # parent and worker run the same interpreter
#: The directory holding the `proofs` package: the worker's fallback for finding this module.
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)
#: What a worker interpreter runs. argv: task fd, reply fd, package root, then the caller's sys.path.
_BOOT = (
    "import sys; sys.path[:] = sys.argv[4:]; sys.path.append(sys.argv[3]); "
    "from proofs.sandbox import _worker_main; _worker_main(int(sys.argv[1]), int(sys.argv[2]))"
)


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


# ---------------------------------------------------------------- frames


def _frame(payload: bytes) -> bytes:
    return len(payload).to_bytes(_HEADER, "little") + payload


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class _DefinedInMain(Exception):
    pass


class _TaskPickler(pickle.Pickler):
    """Pickles a task, refusing functions and classes of `__main__` (the worker cannot load them)."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, (type, types.FunctionType)) and getattr(obj, "__module__", None) == "__main__":
            raise _DefinedInMain(getattr(obj, "__qualname__", repr(obj)))
        return NotImplemented


def _encode_task(task: tuple) -> bytes:
    buffer = io.BytesIO()
    _TaskPickler(buffer, _PROTOCOL).dump(task)
    return _frame(buffer.getvalue())


# ---------------------------------------------------------------- the worker process


def _limit_memory(memory_mb: int | None, default: tuple[int, int]) -> None:
    soft, hard = default
    if memory_mb is not None:
        soft = memory_mb * 1024 * 1024
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _exit_when_orphaned(task_fd: int) -> None:
    """Exit as soon as the parent is gone (its end of the task pipe closes), even mid-task.

    Otherwise a worker whose caller was killed would finish a runaway task with no budget left
    to stop it. Only hang-ups are asked for, so incoming tasks do not wake this thread.
    """

    def watch() -> None:
        poller = select.poll()
        poller.register(task_fd, 0)  # POLLHUP, POLLERR and POLLNVAL are always reported
        while True:
            with contextlib.suppress(InterruptedError):
                if poller.poll():
                    os._exit(0)

    threading.Thread(target=watch, name="sandbox-orphan-watch", daemon=True).start()


def _worker_main(task_fd: int, reply_fd: int) -> None:
    """The worker loop: import the preload, say ready, then run (fn, args, memory_mb) tasks."""
    # Ctrl-C in a terminal reaches the whole process group; the parent decides, not the worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for fd in (task_fd, reply_fd):  # processes a task starts must not hold our pipes open
        os.set_inheritable(fd, False)
    _exit_when_orphaned(task_fd)
    tasks = open(task_fd, "rb")  # noqa: SIM115 - lives as long as the process

    def receive() -> bytes:
        header = tasks.read(_HEADER)
        size = int.from_bytes(header, "little")
        payload = tasks.read(size) if len(header) == _HEADER else b""
        if len(header) < _HEADER or len(payload) < size:
            raise EOFError
        return payload

    def send(message: tuple) -> None:
        try:
            frame = _frame(pickle.dumps(message, _PROTOCOL))
        except Exception as exc:  # noqa: BLE001 - an unpicklable result
            error = f"the result cannot be sent back: {type(exc).__name__}: {exc}"
            frame = _frame(pickle.dumps(("error", error, False), _PROTOCOL))
        _write_all(reply_fd, frame)

    try:
        preload = pickle.loads(receive())
        for name in preload:
            with contextlib.suppress(Exception):  # reported when a task needs the module
                importlib.import_module(name)
        default_limit = resource.getrlimit(resource.RLIMIT_AS)
        send(("ready", os.getpid()))
        while True:
            payload = receive()
            try:
                task = pickle.loads(payload)
            except Exception as exc:  # noqa: BLE001 - e.g. the function cannot be imported here
                send(("error", f"cannot load the task: {type(exc).__name__}: {exc}", False))
                continue
            if task is None:
                return
            send(("started",))  # from here on a death is the task's doing, so no retry
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
            send(reply)
            if retire:  # a worker that ran out of memory may be in a bad state: start afresh
                return
    except (EOFError, OSError):
        return  # the parent is gone or has closed our pipes


# ---------------------------------------------------------------- the parent side


class _WorkerDied(Exception):
    pass


class _Unreadable(Exception):
    pass


@dataclass(frozen=True, slots=True)
class _Retry:
    why: str


def _worker_command() -> list[str]:
    if not sys.executable:
        raise RuntimeError("sys.executable is not set, so no worker interpreter can be started")
    flags = getattr(subprocess, "_args_from_interpreter_flags", list)()  # -O, -X, -W ... as ours
    # -P: nothing from the current directory is imported before the caller's sys.path is in place
    return [sys.executable, *flags, "-P", "-c", _BOOT]


def _stdout_for_workers() -> int:
    """Our stderr when it is open (a worker's prints must not land in our stdout), else devnull."""
    try:
        os.fstat(2)
    except OSError:
        return subprocess.DEVNULL
    return 2


def _close_fds(*fds: int) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


class _Worker:
    """One worker process and the parent's ends of its pipes; used by one caller at a time.

    The pipe fds are closed only when this object is garbage (weakref.finalize), never while
    a caller may still be reading them, so a recycled fd number can never be read by mistake.
    """

    __slots__ = (
        "process",
        "task_fd",
        "reply_fd",
        "buffer",
        "poller",
        "ready",
        "started",
        "killed",
        "__weakref__",
    )

    def __init__(self, preload: tuple[str, ...]) -> None:
        task_read, task_write = os.pipe()
        reply_read, reply_write = os.pipe()
        weakref.finalize(self, _close_fds, task_write, reply_read)
        self.task_fd, self.reply_fd = task_write, reply_read
        try:
            path = [os.fsdecode(e) for e in sys.path if isinstance(e, (str, bytes, os.PathLike))]
            self.process = subprocess.Popen(
                [*_worker_command(), str(task_read), str(reply_write), _PACKAGE_ROOT, *path],
                stdin=subprocess.DEVNULL,
                stdout=_stdout_for_workers(),
                pass_fds=(task_read, reply_write),
            )
        finally:
            _close_fds(task_read, reply_write)  # so the parent sees EOF when the worker dies
        self.buffer = bytearray()
        self.poller = select.poll()
        self.poller.register(reply_read, select.POLLIN)
        self.ready = False
        self.started = False  # whether the worker has taken the current task
        self.killed = False
        with contextlib.suppress(OSError):  # a worker that died at once is noticed on reading
            _write_all(task_write, _frame(pickle.dumps(preload, _PROTOCOL)))

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def send(self, frame: bytes) -> None:
        try:
            _write_all(self.task_fd, frame)
        except OSError as exc:
            raise _WorkerDied(self.death_note()) from exc

    def _next(self, deadline: float) -> tuple[bool, Any]:
        """(True, message) for the next message, (False, None) at the deadline."""
        buffer = self.buffer
        while True:
            want = _HEADER - len(buffer)
            if want <= 0:
                end = _HEADER + int.from_bytes(buffer[:_HEADER], "little")
                want = end - len(buffer)
                if want <= 0:
                    payload = bytes(buffer[_HEADER:end])
                    del buffer[:end]
                    try:
                        return True, pickle.loads(payload)
                    except Exception as exc:  # noqa: BLE001 - e.g. a class this process lacks
                        raise _Unreadable(f"{type(exc).__name__}: {exc}") from exc
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False, None
            try:
                if not self.poller.poll(math.ceil(min(remaining, 86400.0) * 1000)):
                    continue
                chunk = os.read(self.reply_fd, max(want, 65536))
            except OSError as exc:
                raise _WorkerDied(self.death_note()) from exc
            if not chunk:
                raise _WorkerDied(self.death_note())
            buffer += chunk

    def receive(self, deadline: float) -> tuple[bool, Any]:
        """(True, message) for the next result message, (False, None) at the deadline."""
        while True:
            answered, message = self._next(deadline)
            if not answered:
                return False, None
            if message[0] == "ready":
                self.ready = True
            elif message[0] == "started":
                self.started = True
            else:
                return True, message

    def wait_ready(self, deadline: float) -> bool:
        """Wait until the worker has finished importing; False if the deadline comes first."""
        while not self.ready:
            answered, message = self._next(deadline)
            if not answered:
                return False
            self.ready = message[0] == "ready" or self.ready
        return True

    def death_note(self) -> str:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(0.2)
        code = self.process.returncode
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
        if self.killed:
            return
        self.killed = True
        with contextlib.suppress(OSError):
            self.process.terminate()
        threading.Thread(target=self._reap, name="sandbox-reaper", daemon=True).start()

    def _reap(self) -> None:
        try:
            self.process.wait(KILL_GRACE_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                self.process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(KILL_GRACE_S)


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
        try:
            frame = _encode_task((fn, args, memory_mb))
        except _DefinedInMain as exc:
            return result(
                ok=False,
                error=f"{exc} is defined in __main__ (the script being run), which sandbox workers do not "
                "import: move it into a module that can be imported",
            )
        except Exception as exc:  # noqa: BLE001 - e.g. a lambda or a lock
            return result(ok=False, error=f"the task cannot be sent: {type(exc).__name__}: {exc}")
        why = ""
        for _ in range(MAX_ATTEMPTS):
            worker = self._acquire(deadline)
            if isinstance(worker, str):
                return result(ok=False, error=worker)
            if worker is None:
                return result(**timeout)
            outcome = self._call(worker, frame, deadline)
            if not isinstance(outcome, _Retry):
                return result(**(timeout if outcome is None else outcome))
            why = outcome.why
        return result(ok=False, error=f"{MAX_ATTEMPTS} worker processes died before taking the task ({why})")

    def _call(self, worker: _Worker, frame: bytes, deadline: float) -> dict[str, Any] | None | _Retry:
        """Run one task (an encoded frame) on an acquired worker and give it back (or replace it).

        Returns the result fields, None on timeout, or a _Retry if the worker died before it
        took the task (e.g. it was killed while idle), so another worker may take it.
        """
        worker.started = False
        try:
            if not worker.wait_ready(deadline) or time.monotonic() >= deadline:
                self._release(worker)  # out of time before the task was sent: keep the worker
                return None
            worker.send(frame)
            answered, message = worker.receive(deadline)
        except _WorkerDied as exc:
            self._discard(worker)
            return {"ok": False, "error": str(exc)} if worker.started else _Retry(str(exc))
        except _Unreadable as exc:  # the frame was consumed whole, so the worker is still in step
            self._release(worker)
            return {"ok": False, "error": f"cannot read the result: {exc}"}
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
            worker = _Worker(self._preload)
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
                worker = _Worker(self._preload)
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
