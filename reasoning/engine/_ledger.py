"""The progress ledger (after ByteDance's Aime): a live Markdown checklist of a run's objectives.

Objectives are top-level items; sub-tasks hang under a parent and render indented. Each item
has an id, a one-line text, a completion criterion and a status. With a `path`, the whole file is
rewritten atomically (temporary file in the same directory, then `os.replace`), so a reader never
sees half a ledger: after every change, or, with `min_interval_s`, at most that often (a change
made sooner is written when the interval is up, if an event loop runs, by the next change
after it, or by `flush()`, which the engine calls at the end of a run). `on_change`, a live
watcher, still hears of every change.

One line per item:

    - [~] **f1** Find 3*8 (done when: `3*8 = 24` proved) (retried 1 time: refuted: 3*8 = 25)

Markers: `[ ]` pending, `[~]` running, `[x]` done, `[!]` rejected, `[-]` failed,
`[/]` invalidated, `[?]` unverified (joined, but its joint consistency is unknown). The retry count and the latest note follow when present.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from reasoning.errors import InvalidArgument


class ItemStatus(str, Enum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    REJECTED = "rejected"
    FAILED = "failed"
    INVALIDATED = "invalidated"
    UNVERIFIED = "unverified"

    @property
    def marker(self) -> str:
        return _MARKERS[self]

    def __str__(self) -> str:
        return self.value


_MARKERS = {
    ItemStatus.PENDING: "[ ]",
    ItemStatus.RUNNING: "[~]",
    ItemStatus.DONE: "[x]",
    ItemStatus.REJECTED: "[!]",
    ItemStatus.FAILED: "[-]",
    ItemStatus.INVALIDATED: "[/]",
    ItemStatus.UNVERIFIED: "[?]",
}
_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


@dataclass(frozen=True)
class LedgerItem:
    item_id: str
    text: str
    criterion: str
    status: ItemStatus = ItemStatus.PENDING
    parent: str | None = None
    retries: int = 0
    note: str = ""

    def render(self) -> str:
        line = f"- {self.status.marker} **{self.item_id}** {self.text}"
        if self.criterion:
            line += f" (done when: {self.criterion})"
        extras = []
        if self.retries:
            extras.append(f"retried {self.retries} time{'s' if self.retries != 1 else ''}")
        if self.note:
            extras.append(self.note)
        if extras:
            line += f" ({': '.join(extras)})"
        return line


class Ledger:
    """The checklist of one run; every change rewrites `path` (when given) atomically.

    >>> ledger = Ledger(title="24 from 3 3 8 8")
    >>> _ = ledger.add("goal", "Reach 24", criterion="final answer proved")
    >>> _ = ledger.add("f1", "Try 8/(3-8/3)", criterion="claim proved", parent="goal")
    >>> _ = ledger.start("f1")
    >>> print(ledger.render(), end="")
    # 24 from 3 3 8 8
    <BLANKLINE>
    - [ ] **goal** Reach 24 (done when: final answer proved)
      - [~] **f1** Try 8/(3-8/3) (done when: claim proved)
    """

    def __init__(
        self,
        path: str | os.PathLike | None = None,
        *,
        title: str = "Progress ledger",
        on_change: Callable[[str], None] | None = None,
        min_interval_s: float = 0.0,
    ):
        if (
            not isinstance(min_interval_s, (int, float))
            or isinstance(min_interval_s, bool)
            or min_interval_s < 0
        ):
            raise InvalidArgument(f"min_interval_s must be a non-negative number, got {min_interval_s!r}")
        self.path = Path(path) if path is not None else None
        self.min_interval_s = float(min_interval_s)
        self._written_at: float | None = None  # monotonic time of the last file write
        self._dirty = False  # a change not yet in the file
        self._timer: asyncio.TimerHandle | None = None
        self.on_change = on_change  # called with the rendered ledger after every change
        self.title = _one_line(title)
        self._items: dict[str, LedgerItem] = {}
        self._lines: dict[str, str] = {}  # item id -> its rendered line, redone when it changes
        self._children: dict[str, list[str]] = {}
        # the rendered lines in display order (objectives, each followed by its sub-tasks), so a
        # change costs one line and a render one join, however long the ledger
        self._display: list[str] = []
        self._pos: dict[str, int] = {}
        self._rendered: str | None = None
        self._write()

    @property
    def items(self) -> tuple[LedgerItem, ...]:
        return tuple(self._items.values())

    def __getitem__(self, item_id: str) -> LedgerItem:
        try:
            return self._items[item_id]
        except KeyError:
            raise InvalidArgument(f"no ledger item {item_id!r}") from None

    def add(self, item_id: str, text: str, *, criterion: str = "", parent: str | None = None) -> LedgerItem:
        """A new pending item; `parent` must be an existing top-level item (one level of nesting)."""
        if not isinstance(item_id, str) or not _ID.fullmatch(item_id):
            raise InvalidArgument(f"item id must be 1-64 characters of [A-Za-z0-9_.:-], got {item_id!r}")
        if item_id in self._items:
            raise InvalidArgument(f"ledger item {item_id!r} already exists")
        if parent is not None and self[parent].parent is not None:
            raise InvalidArgument(f"{parent!r} is a sub-task; sub-tasks cannot have sub-tasks")
        item = LedgerItem(item_id, _one_line(text), _one_line(criterion), parent=parent)
        self._items[item_id] = item
        self._lines[item_id] = item.render()
        self._children[item_id] = []
        if parent is None:
            at = len(self._display)
        else:
            siblings = self._children[parent]
            at = self._pos[siblings[-1] if siblings else parent] + 1
            siblings.append(item_id)
        if at < len(self._display):  # a sub-task of an earlier objective: shift what follows
            for other, position in self._pos.items():
                if position >= at:
                    self._pos[other] = position + 1
        self._display.insert(at, self._indented(item))
        self._pos[item_id] = at
        self._rendered = None
        self._write()
        return item

    def set_status(self, item_id: str, status: ItemStatus | str, *, note: str | None = None) -> LedgerItem:
        """Move an item to `status`; `note` (one line) replaces the previous note when given."""
        if type(status) is not ItemStatus:  # the engine passes members: no Enum look-up then
            try:
                status = ItemStatus(status)
            except ValueError:
                raise InvalidArgument(f"unknown ledger status {status!r}") from None
        changes: dict = {"status": status}
        if note is not None:
            changes["note"] = _one_line(note)
        return self._update(item_id, **changes)

    def start(self, item_id: str) -> LedgerItem:
        return self.set_status(item_id, ItemStatus.RUNNING)

    def done(self, item_id: str, *, note: str | None = None) -> LedgerItem:
        return self.set_status(item_id, ItemStatus.DONE, note=note)

    def reject(self, item_id: str, reason: str) -> LedgerItem:
        return self.set_status(item_id, ItemStatus.REJECTED, note=reason)

    def fail(self, item_id: str, reason: str) -> LedgerItem:
        return self.set_status(item_id, ItemStatus.FAILED, note=reason)

    def invalidate(self, item_id: str, reason: str) -> LedgerItem:
        return self.set_status(item_id, ItemStatus.INVALIDATED, note=reason)

    def retry(self, item_id: str, *, note: str | None = None) -> LedgerItem:
        """Count one more retry and mark the item running again (a re-dispatch)."""
        item = self[item_id]
        changes: dict = {"status": ItemStatus.RUNNING, "retries": item.retries + 1}
        if note is not None:
            changes["note"] = _one_line(note)
        return self._update(item_id, **changes)

    def render(self) -> str:
        """The ledger as Markdown: a title, then each objective followed by its sub-tasks."""
        if self._rendered is None:  # one join: the title, a blank line, a line per item
            self._rendered = "\n".join([f"# {self.title}\n", *self._display, ""])
        return self._rendered

    def _indented(self, item: LedgerItem) -> str:
        return self._lines[item.item_id] if item.parent is None else "  " + self._lines[item.item_id]

    def _update(self, item_id: str, **changes) -> LedgerItem:
        old = self[item_id]
        # the constructor directly: dataclasses.replace re-reads the fields on every call
        item = LedgerItem(
            old.item_id,
            old.text,
            old.criterion,
            changes.get("status", old.status),
            old.parent,
            changes.get("retries", old.retries),
            changes.get("note", old.note),
        )
        self._items[item_id] = item
        self._lines[item_id] = item.render()
        self._display[self._pos[item_id]] = self._indented(item)
        self._rendered = None
        self._write()
        return item

    def flush(self) -> None:
        """Write the file now if a change is not in it yet (a no-op without `path`)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._dirty and self.path is not None:
            self._write_file(self.render())

    def _write(self) -> None:
        if self.on_change is None and self.path is None:
            return
        text = self.render() if self.on_change is not None else None
        if self.on_change is not None:
            self.on_change(text)
        if self.path is None:
            return
        self._dirty = True
        wait = 0.0
        if self._written_at is not None and self.min_interval_s:
            wait = self._written_at + self.min_interval_s - time.monotonic()
        if wait <= 0:
            self.flush()
        elif self._timer is None:
            with contextlib.suppress(RuntimeError):  # no event loop: the next change or flush()
                self._timer = asyncio.get_running_loop().call_later(wait, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self.flush()

    def _write_file(self, text: str) -> None:
        assert self.path is not None
        self._dirty = False
        self._written_at = time.monotonic()
        fd, temp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)  # no fsync: readers need atomicity, not durability
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
