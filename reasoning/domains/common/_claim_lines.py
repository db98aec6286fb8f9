"""Reading a worker's claim or answer text before a domain parses it: the checks every domain
makes at the door (text, not too long, not blank) and the content lines (a worker's `#` notes
and blank lines dropped). Shared by the logic, knights_knaves and equations domains."""

from __future__ import annotations


def unreadable(text: object, *, what: str, limit: int | None = None, empty_ok: bool = False) -> str | None:
    """Why `text` cannot be read as a `what` ("claim", "answer"): not a string, longer than
    `limit` characters, or blank (unless `empty_ok`); None when it can be read.

    >>> unreadable("x" * 11, what="claim", limit=10)
    'the claim has 11 characters; at most 10 are read'
    """
    if not isinstance(text, str):
        return f"the {what} is not text"
    if limit is not None and len(text) > limit:
        return f"the {what} has {len(text)} characters; at most {limit} are read"
    if not empty_ok and not text.strip():
        return f"the {what} is empty"
    return None


def content_lines(text: str) -> list[str]:
    """The stripped, non-blank lines of `text` that are not `#` notes.

    >>> content_lines("  x = 1\\n\\n# a note\\ny = 2 ")
    ['x = 1', 'y = 2']
    """
    return [line for line in map(str.strip, text.splitlines()) if line and not line.startswith("#")]
