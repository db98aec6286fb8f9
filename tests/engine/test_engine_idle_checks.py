"""Checks the run waits for with nothing else to do run on the event loop's thread (issue 12,
item 7): `ForkJoinEngine.run_sync` owns its loop, so a thread hop there buys no concurrency."""

from __future__ import annotations

import asyncio
import threading

import pytest

import reasoning.engine._engine as engine_module
from reasoning.engine._engine import EngineConfig, ForkJoinEngine
from reasoning.engine._task import Task
from reasoning.engine._workers import HANG, ScriptedOrganizer, ScriptedWorker


@pytest.fixture
def check_threads(monkeypatch):
    """The thread names on which the claim checks, joint-consistency checks and answer checks ran."""
    seen: dict[str, list[str]] = {"claims": [], "consistency": [], "answer": []}

    def recorded(kind, function):
        def wrapper(*args, **kwargs):
            seen[kind].append(threading.current_thread().name)
            return function(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(engine_module, "_vet_then_check", recorded("claims", engine_module._vet_then_check))
    monkeypatch.setattr(engine_module, "check_answer", recorded("answer", engine_module.check_answer))
    real = engine_module.IncrementalConsistency.check
    monkeypatch.setattr(engine_module.IncrementalConsistency, "check", recorded("consistency", real))
    return seen


def one_fork_run() -> ForkJoinEngine:
    organizer = ScriptedOrganizer(["<FORK-1>3*8?</FORK-1><JOIN-1>", "<ANSWER>3*8 = 24</ANSWER>"])
    worker = ScriptedWorker({1: ["<RETURN>3*8 = 24</RETURN>"]})
    return ForkJoinEngine(organizer, worker)


def test_run_sync_checks_on_the_loop_thread_when_nothing_else_runs(check_threads):
    result = one_fork_run().run_sync(Task("3*8 = 24"))
    assert result.verified
    main = threading.main_thread().name
    assert check_threads["claims"] == [main] and check_threads["answer"] == [main]
    assert check_threads["consistency"] and set(check_threads["consistency"]) == {main}


def test_a_shared_event_loop_keeps_its_checks_on_the_checker_thread(check_threads):
    # `run` may share its loop with other work (a server): a check must not block it.
    result = asyncio.run(one_fork_run().run(Task("3*8 = 24")))
    assert result.verified
    names = [n for kind in check_threads.values() for n in kind]
    assert names and all(n.startswith("engine-check") for n in names)


def test_a_check_goes_to_the_checker_thread_while_another_worker_runs(check_threads):
    # Fork 2 never answers: while fork 1's claims are checked, its worker still runs.
    organizer = ScriptedOrganizer(
        ["<FORK-1>3*8?</FORK-1><FORK-2>other</FORK-2><JOIN-1>", "<ANSWER>3*8 = 24</ANSWER>"]
    )
    worker = ScriptedWorker({1: ["<RETURN>3*8 = 24</RETURN>"], 2: [HANG]})
    result = ForkJoinEngine(organizer, worker, EngineConfig(worker_timeout_s=30)).run_sync(Task("3*8 = 24"))
    assert result.verified
    assert check_threads["claims"] and check_threads["claims"][0].startswith("engine-check")
    # the answer is checked while fork 2 still runs (the answer then cancels it)
    assert check_threads["answer"][0].startswith("engine-check")
