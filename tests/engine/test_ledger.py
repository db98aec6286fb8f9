"""The progress ledger: Markdown rendering, status changes, atomic rewrites (every change, or coalesced)."""

import asyncio
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reasoning.api import InvalidArgument
from reasoning.engine._ledger import ItemStatus, Ledger


def make_ledger(path=None):
    ledger = Ledger(path, title="24 from 3 3 8 8")
    ledger.add("goal", "Reach 24 with 3 3 8 8", criterion="final answer proved")
    ledger.add("f1", "Try 8/(3-8/3)", criterion="`8/(3-8/3) = 24` proved", parent="goal")
    ledger.add("f2", "Try (8-3)*(8-3)", criterion="claim proved", parent="goal")
    return ledger


def test_render_shows_every_status_marker_retries_and_notes():
    ledger = make_ledger()
    ledger.add("side", "Check the digits are used once", criterion="multiset equal")
    ledger.start("goal")
    ledger.reject("f2", "refuted: (8-3)*(8-3) = 25")
    ledger.retry("f1", note="refuted:  8/(3-8/3)\n= 23")
    ledger.retry("f1")
    ledger.done("f1")
    ledger.invalidate("side", "depends on f2")
    assert ledger.render() == (
        "# 24 from 3 3 8 8\n"
        "\n"
        "- [~] **goal** Reach 24 with 3 3 8 8 (done when: final answer proved)\n"
        "  - [x] **f1** Try 8/(3-8/3) (done when: `8/(3-8/3) = 24` proved)"
        " (retried 2 times: refuted: 8/(3-8/3) = 23)\n"
        "  - [!] **f2** Try (8-3)*(8-3) (done when: claim proved) (refuted: (8-3)*(8-3) = 25)\n"
        "- [/] **side** Check the digits are used once (done when: multiset equal) (depends on f2)\n"
    )
    ledger.fail("f2", "3 attempts rejected")
    assert "- [-] **f2**" in ledger.render()
    assert ledger["f1"].retries == 2 and ledger["f1"].status is ItemStatus.DONE


def test_sub_tasks_render_under_their_objective_whatever_the_order_of_adding():
    ledger = Ledger(title="t")
    ledger.add("a", "first")
    ledger.add("b", "second")
    ledger.add("a1", "under a", parent="a")
    lines = ledger.render().splitlines()
    assert lines[2:] == ["- [ ] **a** first", "  - [ ] **a1** under a", "- [ ] **b** second"]


def test_every_change_rewrites_the_file(tmp_path):
    path = tmp_path / "ledger.md"
    ledger = make_ledger(path)
    assert path.read_text() == ledger.render()
    ledger.start("f1")
    assert "- [~] **f1**" in path.read_text()
    ledger.set_status("f1", "done")
    assert path.read_text() == ledger.render()
    assert "- [x] **f1**" in path.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.md"]  # no temporary left behind


def test_a_failed_write_leaves_the_previous_file_whole_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "ledger.md"
    ledger = make_ledger(path)
    before = path.read_text()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        ledger.done("f1")
    assert path.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.md"]


@pytest.mark.parametrize(
    "action, message",
    [
        (lambda ledger: ledger.add("f1", "again"), "already exists"),
        (lambda ledger: ledger.add("bad id", "x"), "item id"),
        (lambda ledger: ledger.add("g", "x", parent="nope"), "no ledger item"),
        (lambda ledger: ledger.add("g", "x", parent="f1"), "sub-task"),
        (lambda ledger: ledger.start("nope"), "no ledger item"),
        (lambda ledger: ledger.set_status("f1", "finished"), "unknown ledger status"),
    ],
)
def test_bad_requests_are_clear_errors(action, message):
    with pytest.raises(InvalidArgument, match=message):
        action(make_ledger())


def naive_render(ledger):
    """The ledger rendered the obvious way, from its items: what render() must equal."""
    lines = [f"# {ledger.title}", ""]
    for item in ledger.items:
        if item.parent is None:
            lines.append(item.render())
            lines += ["  " + child.render() for child in ledger.items if child.parent == item.item_id]
    return "\n".join(lines) + "\n"


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["add", "add-under", "start", "done", "retry"]), st.integers(0, 30)),
        max_size=40,
    )
)
def test_render_is_the_items_in_order_after_any_changes(steps):
    ledger = Ledger(title="t")
    for op, n in steps:
        top = [i.item_id for i in ledger.items if i.parent is None]
        if op == "add" or not ledger.items:
            ledger.add(f"o{len(ledger.items)}", f"objective {n}")
        elif op == "add-under" and top:
            ledger.add(f"s{len(ledger.items)}", f"sub-task {n}", parent=top[n % len(top)])
        else:
            item = ledger.items[n % len(ledger.items)].item_id
            {"start": ledger.start, "done": ledger.done, "retry": ledger.retry, "add-under": ledger.start}[
                op
            ](item)
        assert ledger.render() == naive_render(ledger)


def test_changes_within_the_interval_are_written_together(tmp_path, monkeypatch):
    clock = [100.0]
    monkeypatch.setattr("reasoning.engine._ledger.time.monotonic", lambda: clock[0])
    path = tmp_path / "ledger.md"
    seen = []
    ledger = Ledger(path, title="t", min_interval_s=0.5, on_change=seen.append)
    ledger.add("a", "first")  # 0 s after the first write: held back
    ledger.start("a")
    assert path.read_text() == "# t\n\n" and len(seen) == 3  # a live watcher hears every change
    clock[0] += 0.6
    ledger.done("a")  # the interval is up: written, with everything before it
    assert path.read_text() == ledger.render() and "[x] **a**" in path.read_text()
    ledger.add("b", "second")
    assert "**b**" not in path.read_text()
    ledger.flush()  # the end of a run
    assert path.read_text() == ledger.render()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.md"]


def test_a_held_back_change_is_written_when_the_interval_is_up_under_an_event_loop(tmp_path):
    path = tmp_path / "ledger.md"

    async def scenario():
        ledger = Ledger(path, title="t", min_interval_s=0.05)
        ledger.add("a", "first")
        assert "**a**" not in path.read_text()
        await asyncio.sleep(0.2)
        return ledger

    ledger = asyncio.run(scenario())
    assert path.read_text() == ledger.render() and "**a**" in path.read_text()


def test_the_engine_writes_the_ledger_and_trace_once_at_the_end_unless_live(tmp_path, monkeypatch):
    from reasoning.engine._engine import EngineConfig, ForkJoinEngine
    from reasoning.engine._run_trace import RunTrace
    from reasoning.engine._task import Task
    from reasoning.engine._workers import ScriptedOrganizer, ScriptedWorker

    writes = []
    real = Ledger._write_file
    monkeypatch.setattr(Ledger, "_write_file", lambda self, text: (writes.append(text), real(self, text)))

    def one_run(directory, **config):
        organizer = ScriptedOrganizer(
            ["<FORK-1>a</FORK-1><JOIN-1>", "<FORK-2>b</FORK-2><JOIN-2>", "<ANSWER>1 + 1 = 2</ANSWER>"]
        )
        worker = ScriptedWorker({1: ["<RETURN>1 + 1 = 2</RETURN>"], 2: ["<RETURN>2 + 2 = 4</RETURN>"]})
        engine = ForkJoinEngine(organizer, worker, EngineConfig(**config))
        return engine.run_sync(Task("1 + 1 = 2"), run_dir=directory)

    result = one_run(tmp_path / "quiet")
    assert writes == []  # no live files: written whole by the bundle step
    assert (tmp_path / "quiet" / "ledger.md").read_text() == result.ledger
    assert [e.kind for e in RunTrace.load(tmp_path / "quiet" / "trace.jsonl")] == [
        e.kind for e in result.events
    ]
    live = one_run(tmp_path / "live", live_files=True, ledger_interval_s=0)
    assert len(writes) > 5 and writes[-1] == live.ledger  # every change, as before
    assert (tmp_path / "live" / "ledger.md").read_text() == live.ledger
    assert len(RunTrace.load(tmp_path / "live" / "trace.jsonl")) == len(live.events)
