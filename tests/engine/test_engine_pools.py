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


def test_run_keeps_its_event_loop_between_clean_runs_and_drops_a_used_one():
    import asyncio

    async def the_loop() -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    first = run(the_loop())
    assert run(the_loop()) is first  # no new loop, socketpair and selector per run
    assert not first.is_closed()

    async def leave_one() -> asyncio.AbstractEventLoop:
        asyncio.get_running_loop().create_task(asyncio.sleep(3600))
        await asyncio.sleep(0)
        return asyncio.get_running_loop()

    assert run(leave_one()) is first
    assert first.is_closed()  # a run that left work behind closes its loop, as before
    assert run(the_loop()) is not first


def test_a_kept_loop_serves_async_generators_without_warnings(recwarn):
    async def numbers():
        yield 1
        yield 2

    async def read() -> list[int]:
        stream = numbers()
        try:
            return [n async for n in stream]
        finally:
            await stream.aclose()

    assert [run(read()) for _ in range(3)] == [[1, 2]] * 3
    assert not [w for w in recwarn if issubclass(w.category, ResourceWarning)]


def test_another_thread_gets_its_own_loop():
    import asyncio

    async def the_loop() -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    here = run(the_loop())
    there: list = []
    thread = threading.Thread(target=lambda: there.append(run(the_loop())))
    thread.start()
    thread.join()
    assert there[0] is not here
