"""Pools the engine reuses across runs, and the synchronous runner."""

from __future__ import annotations

import threading

from reasoning.engine_pools import default_executor, lend_checker, run, take_back


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
