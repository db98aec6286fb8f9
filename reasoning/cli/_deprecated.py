"""Old option spellings the commands still accept, each with a one-line notice on stderr."""

from __future__ import annotations

import sys

from reasoning.errors import InvalidArgument


def deprecated(old: str, new: str) -> None:
    """Tell the user (on stderr, so JSON on stdout stays clean) that `old` is now `new`."""
    print(f"reason: {old} is deprecated; use {new}", file=sys.stderr)


def capacity(new: int | None, old: int | None, *, default: int = 4) -> int:
    """The worker capacity from `--capacity` and the old spelling `--workers N`."""
    if old is not None:
        deprecated("--workers N", "--capacity N")
        if new is not None and new != old:
            raise InvalidArgument(f"--workers {old} (the old --capacity) and --capacity {new} disagree")
        return old
    return default if new is None else new
