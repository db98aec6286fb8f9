"""Thread pools the engine reuses across runs.

A run checks claims on its own checker threads and symbolic workers use the event loop's default
executor (`asyncio.to_thread`). Starting threads for every run costs little in itself, but each new
thread also builds its own Z3 context on its first check (`solvers.z3_context.thread_context`),
a few milliseconds that a short run (a Sudoku: about ten checks) pays again and again. So
checker pools are lent to a run and taken back at its end (`lend_checker` / `take_back`), and
`run_sync` gives its event loop a shared default executor that outlives the loop.

The event loop itself is kept too, one per thread (`run`): making one costs a socketpair, a
selector and their closing, about a tenth of a millisecond a run, which a Sudoku run (about
three milliseconds) notices. A run that leaves anything behind on it (a task that had to be
cancelled, an async generator not closed) closes it as before, and the next run makes a new one.

Runs at the same time never share a checker pool: with one checker thread (the default) a run's
checks stay in submission order, which is what makes a scripted run's trace deterministic.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
#: Idle checker pools kept per thread count; more are shut down when returned.
MAX_IDLE = 4

_lock = threading.Lock()
_idle: dict[int, list[ThreadPoolExecutor]] = {}
_default: ThreadPoolExecutor | None = None


def lend_checker(threads: int) -> ThreadPoolExecutor:
    """An idle checker pool of `threads` threads (a new one when none is idle)."""
    with _lock:
        pools = _idle.get(threads)
        if pools:
            return pools.pop()
    return ThreadPoolExecutor(threads, thread_name_prefix="engine-check")


def take_back(pool: ThreadPoolExecutor, threads: int, *, clean: bool) -> None:
    """Return a lent pool; `clean` is False when work may still be queued on it (then it is shut
    down rather than lent again, so a later run never waits behind another run's checks)."""
    if clean:
        with _lock:
            pools = _idle.setdefault(threads, [])
            if len(pools) < MAX_IDLE:
                pools.append(pool)
                return
    pool.shutdown(wait=False, cancel_futures=True)


class _SharedExecutor(ThreadPoolExecutor):
    """A default executor that a closing event loop cannot shut down (asyncio.run would)."""

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        return None


def default_executor() -> ThreadPoolExecutor:
    """The process-wide default executor for the loops `run` makes (threads start lazily)."""
    global _default
    with _lock:
        if _default is None:
            _default = _SharedExecutor(thread_name_prefix="engine-worker")
        return _default


class _ThreadLoop:
    """The event loop `run` keeps for one thread; closed when the thread ends (its
    thread-local storage is dropped), so no loop is left unclosed."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.loop.set_default_executor(default_executor())

    def __del__(self) -> None:
        loop = getattr(self, "loop", None)
        if loop is not None and not loop.is_closed() and not loop.is_running():
            loop.close()


_local = threading.local()


def _thread_loop() -> asyncio.AbstractEventLoop:
    """This thread's kept event loop (a new one when there is none or it was closed)."""
    kept = getattr(_local, "kept", None)
    if kept is None or kept.loop.is_closed():
        kept = _local.kept = _ThreadLoop()
    return kept.loop


def _drop_thread_loop(loop: asyncio.AbstractEventLoop) -> None:
    kept = getattr(_local, "kept", None)
    if kept is not None and kept.loop is loop:
        _local.kept = None
    loop.close()


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(coroutine)` on this thread's kept event loop (see the module docstring),
    with the shared default executor: threads and their Z3 contexts survive from one
    synchronous run to the next.

    The result is passed out of the main task by hand: on the main thread asyncio.Runner puts
    back the SIGINT handler at the end, and `signal.signal` formats the old handler, which holds
    the main task, whose repr holds the repr of its result, a whole RunResult (tens of
    milliseconds for a long run)."""
    box: list[T] = []

    async def main() -> None:
        box.append(await coroutine)

    # A loop of our own rather than asyncio.Runner: closing a Runner awaits
    # `shutdown_default_executor`, which starts a thread only to shut down (a no-op here) and
    # joins it - about a millisecond per run on a busy machine. `loop.close()` shuts the
    # default executor down without waiting, and the shared one ignores that.
    loop = _thread_loop()
    keep = False
    try:
        loop.run_until_complete(main())
    finally:
        try:
            left = _cancel_all_tasks(loop)
            # async generators the run did not close (the loop tracks them): shut them down
            # as asyncio.run does, after which the loop cannot serve another run
            gens = getattr(loop, "_asyncgens", None)
            if gens is None or len(gens):
                loop.run_until_complete(loop.shutdown_asyncgens())
            else:
                keep = not left
        finally:
            if not keep:
                _drop_thread_loop(loop)
    return box[0]


def _cancel_all_tasks(loop: asyncio.AbstractEventLoop) -> bool:
    """Cancel the tasks still pending on `loop` and let them finish (as asyncio.Runner does);
    True when there were any."""
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    if not pending:
        return False
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    return True
