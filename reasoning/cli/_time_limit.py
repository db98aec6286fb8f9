"""An overall wall-clock limit for a whole command, without signals.

`reason check` re-checks every item of a file in turn; each item has its own solver budget, but a
hostile file of many heavy items would still run for ever. `within` runs the work in a daemon
thread and waits at most `seconds` for it; the caller then stops with a clear message. The work
is abandoned, not interrupted (no signals): a command line ends its process right after
(`abandon`), and a library caller passes a deadline of its own to the work so it stops soon too.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class TimeLimit(Exception):
    """The work did not finish within the limit (it may still be running in its thread)."""


def within(seconds: float, work: Callable[[], T]) -> T:
    """`work()`'s result, or TimeLimit after `seconds`; its exceptions are re-raised here."""
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread as is
            box["error"] = exc

    thread = threading.Thread(target=target, name="reason-time-limit", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise TimeLimit(f"not finished within {seconds:g} s")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def abandon(code: int) -> None:
    """End the process now with `code`, leaving an abandoned worker thread behind (flushes the
    standard streams first; interpreter shutdown could otherwise wait on a solver call)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
