"""`has_methods`: the engine's cheap stand-in for isinstance against its worker Protocols."""

from __future__ import annotations

import pytest

from reasoning.engine._engine import ForkJoinEngine, _Run
from reasoning.engine._racing import RacingWorker
from reasoning.engine._task import Task
from reasoning.engine._workers import Organizer, ScriptedOrganizer, ScriptedWorker, Worker, has_methods
from reasoning.errors import InvalidArgument


class _Streams:
    def stream(self, *args, **kwargs):
        return iter(())


class _Races(_Streams):
    def lineup(self, request):
        return []

    def settled(self, request, results):
        return None


class _NotCallable:
    stream = None
    lineup = 3
    settled = "x"


@pytest.mark.parametrize("obj", [_Streams(), _Races(), object(), ScriptedWorker({})])
def test_has_methods_agrees_with_the_protocols(obj):
    assert has_methods(obj, "stream") == isinstance(obj, Worker) == isinstance(obj, Organizer)
    assert has_methods(obj, "lineup", "settled") == isinstance(obj, RacingWorker)


def test_has_methods_wants_callables():
    # stricter than the Protocols' isinstance, which takes any non-None attribute
    assert not has_methods(_NotCallable(), "stream") and not has_methods(_NotCallable(), "lineup", "settled")
    assert isinstance(_NotCallable(), RacingWorker)


def test_the_engine_refuses_organizers_and_workers_without_stream():
    with pytest.raises(InvalidArgument, match="organizer"):
        ForkJoinEngine(object(), ScriptedWorker({}))
    with pytest.raises(InvalidArgument, match="worker"):
        ForkJoinEngine(ScriptedOrganizer([]), _NotCallable())


def test_a_run_races_only_workers_that_can_race():
    plain = ForkJoinEngine(ScriptedOrganizer(["<ANSWER>1 + 1 = 2</ANSWER>"]), ScriptedWorker({}))
    racing = ForkJoinEngine(ScriptedOrganizer(["<ANSWER>1 + 1 = 2</ANSWER>"]), _Races())
    assert not _Run(plain, Task("1 + 1 = 2"), None).racing
    assert _Run(racing, Task("1 + 1 = 2"), None).racing
