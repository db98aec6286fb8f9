"""Pools the engine reuses across runs, and the synchronous runner."""

from __future__ import annotations

import threading

from reasoning.engine._engine_pools import default_executor, lend_checker, run, take_back


def test_run_returns_the_result_without_formatting_it():
    # asyncio.run formats the main task (and so its result) when it puts the SIGINT handler
    # back: for a RunResult that cost tens of milliseconds at the end of every run.
    calls = []

    class Loud:
        def __repr__(self) -> str:
            calls.append(1)
            return "loud"

    async def make() -> Loud:
        return Loud()

    assert threading.current_thread() is threading.main_thread()
    assert isinstance(run(make()), Loud)
    assert calls == []


def test_the_default_executor_and_clean_checker_pools_outlive_a_run():
    async def worker_thread() -> str:
        import asyncio

        return await asyncio.to_thread(lambda: threading.current_thread().name)

    assert run(worker_thread()).startswith("engine-worker")
    assert default_executor() is default_executor()
    pool = lend_checker(1)
    take_back(pool, 1, clean=True)
    assert lend_checker(1) is pool  # lent again, threads and Z3 contexts warm
    take_back(pool, 1, clean=False)  # work may still be queued: not lent again
    assert lend_checker(1) is not pool


def test_run_starts_no_thread_to_shut_the_shared_executor_down(monkeypatch):
    # asyncio.Runner's close awaits shutdown_default_executor, which starts and joins a thread
    # only to shut down the shared executor (a no-op): a thread start per run.
    import asyncio

    async def refuse(self) -> None:
        raise AssertionError("shutdown_default_executor was awaited")

    monkeypatch.setattr(asyncio.BaseEventLoop, "shutdown_default_executor", refuse)

    async def answer() -> int:
        return await asyncio.to_thread(lambda: 42)

    assert run(answer()) == 42


def test_run_cancels_what_a_run_left_pending():
    import asyncio

    cancelled = []

    async def forever() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.append(1)
            raise

    async def leave_one() -> str:
        asyncio.get_running_loop().create_task(forever())
        await asyncio.sleep(0)
        return "done"

    assert run(leave_one()) == "done"
    assert cancelled == [1]
