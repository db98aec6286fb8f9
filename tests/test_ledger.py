"""The progress ledger: Markdown rendering, status changes, atomic rewrite on every change."""

import os

import pytest

from reasoning.api import InvalidArgument
from reasoning.ledger import ItemStatus, Ledger


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
