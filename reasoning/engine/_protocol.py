"""AsyncThink organizer/worker protocol text -> typed events, read incrementally from a stream.

The protocol (DESIGN.md): `<FORK-i>sub-query</FORK-i>`, `<JOIN-i>`, `<RETURN>...</RETURN>`,
`<ANSWER>...</ANSWER>`, with free text in between. Model output arrives token by token, so
`ProtocolScanner` takes chunks split anywhere and emits each event once it is complete.

Rules (the grammar is `grammars/protocol.lark`):
- A '<' starts a tag only when `FORK`, `JOIN`, `RETURN` or `ANSWER` follows it (optionally after
  '/') and ends at a word boundary. Every other '<' (`a < b`, `<think>`, `<FORKED>`) is text.
- A tag runs to the next '>' on the same line, at most `MAX_TAG_CHARS` long; the cut-out tag
  is validated by the Lark grammar. Tags are exact and case-sensitive; an id is 1 to
  `MAX_ID_DIGITS` decimal digits compared by value (`<FORK-01>` is fork 1).
- Block bodies (fork query, return and answer text) are kept verbatim and may hold any text
  except protocol tags (so `<think>` or `x < 3` are fine inside a FORK).
- Bad input is a `FormatError(message, offset)`, offset = 0-based character position in the
  stream; nothing raises. A malformed tag is dropped (an open block stays open). A closing tag
  that does not match the open block drops the block. An opening tag or JOIN inside an open
  block drops the open block, then takes effect. A block still open at `close()` or longer than
  `max_block_chars` is dropped with an error.
- Free text is emitted as one `ProtocolText` per run between events (pieces of `max_block_chars` when
  longer), so the events do not depend on how the stream was chunked; it is delayed until the
  next event or `close()`.
- `feed_spans`/`close_spans` also give each event's end: the stream offset just past the text
  it consumed. A reader that stops at an event (the engine ends an organizer turn at a join)
  keeps the text up to that end and knows the rest did not run. An opening tag or JOIN inside
  an open block ends its error at the tag's start, since the tag then takes effect on its own.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from lark import Lark, Transformer
from lark.exceptions import LarkError

from grammars import grammar_text

#: The protocol keywords; tags are `<KW...>` or `</KW...>`.
KEYWORDS = ("FORK", "JOIN", "RETURN", "ANSWER")
#: Longest fork id accepted, in decimal digits.
MAX_ID_DIGITS = 9
#: Longest tag accepted, in characters (`</FORK-123456789>` is 17).
MAX_TAG_CHARS = 64
#: Default cap on one block body (and on one `ProtocolText` piece), in characters.
MAX_BLOCK_CHARS = 1_000_000


@dataclass(frozen=True, slots=True)
class Fork:
    """`<FORK-i>query</FORK-i>`: hand `query` to a free worker as fork `fork_id`."""

    fork_id: int
    query: str


@dataclass(frozen=True, slots=True)
class Join:
    """`<JOIN-i>`: wait for fork `fork_id` and append its result."""

    fork_id: int


@dataclass(frozen=True, slots=True)
class Return:
    """`<RETURN>text</RETURN>`: a worker's result."""

    text: str


@dataclass(frozen=True, slots=True)
class Answer:
    """`<ANSWER>text</ANSWER>`: the organizer's final answer."""

    text: str


@dataclass(frozen=True, slots=True)
class ProtocolText:
    """Free text between tags (kept, never interpreted)."""

    text: str


@dataclass(frozen=True, slots=True)
class FormatError:
    """A protocol violation at `offset` (0-based character position in the stream)."""

    message: str
    offset: int


Event = Fork | Join | Return | Answer | ProtocolText | FormatError

_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_FORMS = tuple(f"<{slash}{kw}" for slash in ("", "/") for kw in KEYWORDS)
_FORM_PREFIXES = frozenset(form[:k] for form in _FORMS for k in range(1, len(form)))
_LONGEST_FORM = max(map(len, _FORMS))
_KEYWORD = re.compile(r"</?(?:FORK|JOIN|RETURN|ANSWER)")
_TAG_LIKE = re.compile(r"</?(?:FORK|JOIN|RETURN|ANSWER)(?![A-Za-z0-9_])")
_TAG_REST = re.compile(r"[^<>\n]*")
_TAG_STOP = re.compile(r"[<>\n]")
_HINTS = {
    "FORK": "expected <FORK-i> or </FORK-i> with i a non-negative integer",
    "JOIN": "expected <JOIN-i> with i a non-negative integer (JOIN has no closing tag)",
    "RETURN": "expected exactly <RETURN> or </RETURN>",
    "ANSWER": "expected exactly <ANSWER> or </ANSWER>",
}
_OPENS = {"fork_open": "fork_close", "return_open": "return_close", "answer_open": "answer_close"}
_TEXT, _TAG, _NEED = "text", "tag", "need"
#: One well-formed item of the usual shapes, written exactly so: a FORK block whose closing tag
#: repeats the opening id's digits, a JOIN, a RETURN or ANSWER block, no "<" inside a body. A
#: chunk that is a run of these alone is read in one pass (`ProtocolScanner._fast`); anything
#: else takes the general path, which reads these the same way.
_FAST_ITEM = re.compile(
    rf"<FORK-([0-9]{{1,{MAX_ID_DIGITS}}})>([^<]*)</FORK-\1>|<JOIN-([0-9]{{1,{MAX_ID_DIGITS}}})>"
    r"|<RETURN>([^<]*)</RETURN>|<ANSWER>([^<]*)</ANSWER>"
)


def is_plain_text(text: str) -> bool:
    """True when `text` holds nothing a scanner could read as a tag, so it round-trips as is."""
    return _TAG_LIKE.search(text) is None


class _ToTag(Transformer):
    """Callbacks named after the `tag` alternatives; each gives (kind, id digits or None)."""

    def fork_open(self, items):
        return ("fork_open", str(items[1]))

    def fork_close(self, items):
        return ("fork_close", str(items[1]))

    def join(self, items):
        return ("join", str(items[1]))

    def return_open(self, _):
        return ("return_open", None)

    def return_close(self, _):
        return ("return_close", None)

    def answer_open(self, _):
        return ("answer_open", None)

    def answer_close(self, _):
        return ("answer_close", None)


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(grammar_text("protocol"), parser="lalr", lexer="contextual", start=["document", "tag"])


_DIGIT_RUN = re.compile(r"[0-9]+")


@lru_cache(maxsize=1024)
def _read_shape(shape: str) -> tuple[str, bool] | None:
    """(kind, has an id) of a tag whose digit runs are all '0', or None when it is malformed.

    Digits only ever form the id token, so every tag of one shape parses alike; caching by
    shape means `<FORK-1>`, `<FORK-2>`, ... cost one Lark parse in all.
    """
    try:
        kind, digits = _ToTag().transform(_parser().parse(shape, start="tag"))
    except LarkError:
        return None
    return kind, digits is not None


@lru_cache(maxsize=4096)
def _read_tag(tag: str) -> tuple[str, int | None] | str:
    """One complete tag -> (kind, id), or an error message (a pure function of the tag's text,
    remembered: a fork's tag is read when it opens, when it closes and when it is joined)."""
    parsed = _read_shape(_DIGIT_RUN.sub("0", tag))
    if parsed is None:
        keyword = tag.lstrip("</")
        hint = next(h for kw, h in _HINTS.items() if keyword.startswith(kw))
        return f"malformed tag {tag!r}: {hint}"
    kind, has_id = parsed
    if not has_id:
        return kind, None
    digits = _DIGIT_RUN.search(tag).group()
    if len(digits) > MAX_ID_DIGITS:
        return f"fork id in {tag!r} has {len(digits)} digits; at most {MAX_ID_DIGITS} are allowed"
    return kind, int(digits)


def _classify(data: str, j: int, final: bool) -> tuple[str, int]:
    """Does the '<' at `data[j]` start a tag (and where its keyword ends), or is it text?

    `_NEED` when the answer depends on characters not yet seen; `final` means none will come.
    """
    keyword = _KEYWORD.match(data, j)
    if keyword is None:
        undecided = not final and len(data) - j < _LONGEST_FORM and data[j:] in _FORM_PREFIXES
        return (_NEED if undecided else _TEXT), j
    end = keyword.end()
    if end < len(data):
        return (_TEXT if data[end] in _WORD_CHARS else _TAG), end
    return (_TAG if final else _NEED), end


def _tag_text(kind: str, fork_id: int | None) -> str:
    name = kind.split("_")[0].upper()
    return f"<{name}-{fork_id}>" if fork_id is not None else f"<{name}>"


class ProtocolScanner:
    """Incremental protocol reader: `feed` chunks, then `close`; linear time, bounded memory.

    Only an unfinished tag (at most `MAX_TAG_CHARS`) and the current text run or block body
    (at most `max_block_chars`) are buffered. `close` resets the scanner for a new stream.

    >>> s = ProtocolScanner()
    >>> s.feed("<FO") + s.feed("RK-1>what is") + s.feed(" 2+2?</FORK-1>")
    [Fork(fork_id=1, query='what is 2+2?')]
    """

    def __init__(self, *, max_block_chars: int = MAX_BLOCK_CHARS) -> None:
        if not isinstance(max_block_chars, int) or max_block_chars < 1:
            raise ValueError(f"max_block_chars must be a positive int, got {max_block_chars!r}")
        self._max = max_block_chars
        self._reset()

    def _reset(self) -> None:
        self._events: list[Event] = []
        self._pending = ""  # an unfinished tag candidate, kept for the next chunk
        self._pending_is_tag = False  # its keyword is complete: only the end is missing
        self._offset = 0  # stream offset of _pending[0] (of the next chunk when none)
        self._ends: list[int] = []  # stream offset just past each event of _events
        self._mark = 0  # the end of what is being consumed now: events emitted now end here
        self._body = io.StringIO()  # current free-text run, or the open block's body
        self._body_len = 0
        self._open: tuple[str, int | None, int] | None = None  # (kind, id, offset of its tag)
        self._overflowed = False

    def feed(self, chunk: str) -> list[Event]:
        """Add the next piece of the stream; return the events it completed."""
        self._consume(chunk)
        events = self._events
        if events:
            self._events, self._ends = [], []
        else:
            events = []  # a fresh list: the caller may keep it
        return events

    def close(self) -> list[Event]:
        """End the stream: flush trailing text, report what is left unfinished, reset."""
        return [event for event, _ in self.close_spans()]

    def feed_spans(self, chunk: str) -> list[tuple[Event, int]]:
        """`feed`, with each event's end (the stream offset just past the text it consumed)."""
        self._consume(chunk)
        if not self._events:
            return []
        spans = list(zip(self._events, self._ends))
        self._events, self._ends = [], []
        return spans

    def _consume(self, chunk: str) -> None:
        if not self._pending and self._open is None and not self._body_len and self._fast(chunk):
            return
        if not self._pending and "<" not in chunk:
            self._mark = self._offset + len(chunk)
            self._add_text(chunk)
            self._offset += len(chunk)
        elif (
            self._pending_is_tag
            and len(self._pending) + len(chunk) < MAX_TAG_CHARS
            and not _TAG_STOP.search(chunk)
        ):
            self._pending += chunk  # still inside the tag: what _scan would conclude, cheaply
        else:
            self._scan(self._pending + chunk, self._offset, final=False)

    def _fast(self, chunk: str) -> bool:
        """Read a chunk that is a run of `_FAST_ITEM`s, from a clean state (no unfinished tag,
        open block or text run), in one pass; False, having changed nothing, for any other."""
        if not chunk.startswith("<"):
            return False
        events: list[Event] = []
        ends: list[int] = []
        at, n, base, limit = 0, len(chunk), self._offset, self._max
        match_at = _FAST_ITEM.match
        while at < n:
            item = match_at(chunk, at)
            if item is None:
                return False
            fork, body, join, returned, answer = item.groups()
            if fork is not None:
                if len(body) > limit:
                    return False
                events.append(Fork(int(fork), body))
            elif join is not None:
                events.append(Join(int(join)))
            elif returned is not None:
                if len(returned) > limit:
                    return False
                events.append(Return(returned))
            else:
                if len(answer) > limit:
                    return False
                events.append(Answer(answer))
            at = item.end()
            ends.append(base + at)
        self._events += events
        self._ends += ends
        self._mark = self._offset = base + n
        return True

    def close_spans(self) -> list[tuple[Event, int]]:
        """`close`, with each event's end (see `feed_spans`)."""
        if self._pending:
            self._scan(self._pending, self._offset, final=True)
        self._mark = self._offset
        if self._open is not None:
            kind, fork_id, at = self._open
            self._drop_block()
            self._error(f"{_tag_text(kind, fork_id)} is never closed", at)
        self._flush_text()
        spans = list(zip(self._events, self._ends))
        self._reset()
        return spans

    def _scan(self, data: str, base: int, *, final: bool) -> None:
        """Consume `data` (which starts at stream offset `base`), keeping an unfinished tag."""
        self._pending, self._pending_is_tag = "", False
        i, n = 0, len(data)
        while i < n:
            j = data.find("<", i)
            if j < 0:
                self._mark = base + n
                self._add_text(data[i:])
                break
            if j > i:
                self._mark = base + j
                self._add_text(data[i:j])
            verdict, end = _classify(data, j, final)
            if verdict == _TEXT:
                self._mark = base + j + 1
                self._add_text("<")
                i = j + 1
                continue
            limit = j + MAX_TAG_CHARS
            stop = _TAG_REST.match(data, end, min(n, limit)).end() if verdict == _TAG else n
            if stop < n and stop < limit:
                if data[stop] == ">":
                    self._mark = base + stop + 1
                    self._on_tag(data[j : stop + 1], base + j)
                    i = stop + 1
                else:
                    self._mark = base + stop
                    self._error(f"unterminated tag {data[j:stop]!r}", base + j)
                    i = stop
            elif stop >= limit:
                self._mark = base + stop
                self._error(
                    f"tag {data[j : j + 20]!r}... is longer than {MAX_TAG_CHARS} characters", base + j
                )
                i = stop
            elif final:
                self._mark = base + n
                self._error(f"unterminated tag {data[j:]!r} at end of stream", base + j)
                i = n
            else:
                self._pending = data[j:]
                self._pending_is_tag = verdict == _TAG
                self._offset = base + j
                return
        self._offset = base + n

    def _on_tag(self, tag: str, at: int) -> None:
        parsed = _read_tag(tag)
        if isinstance(parsed, str):
            self._error(parsed, at)
            return
        kind, fork_id = parsed
        if self._open is not None:
            open_kind, open_id, _ = self._open
            opened = _tag_text(open_kind, open_id)
            if kind == _OPENS[open_kind] and fork_id == open_id:
                body, overflowed = self._body.getvalue(), self._overflowed
                self._drop_block()
                if not overflowed:
                    self._emit(_block_event(open_kind, open_id, body))
            elif kind.endswith("_close"):
                self._drop_block()
                self._error(f"{tag} does not close {opened}; the block is dropped", at)
            else:
                self._drop_block()
                mark, self._mark = self._mark, at  # the tag itself takes effect next
                self._error(f"{tag} inside {opened}: blocks do not nest; {opened} is dropped", at)
                self._mark = mark
                self._on_tag(tag, at)
            return
        self._flush_text(at)
        if kind in _OPENS:
            self._open = (kind, fork_id, at)
        elif kind == "join":
            self._emit(Join(fork_id))
        else:
            self._error(f"{tag} closes nothing: no block is open", at)

    def _add_text(self, text: str) -> None:
        if self._overflowed:
            return  # the rest of an over-long block is skipped
        self._body.write(text)
        self._body_len += len(text)
        if self._body_len <= self._max:
            return
        if self._open is not None:
            kind, fork_id, at = self._open
            self._error(
                f"{_tag_text(kind, fork_id)} block is longer than {self._max} characters; dropped", at
            )
            self._new_body()
            self._overflowed = True
            return
        run = self._body.getvalue()
        cut = len(run) // self._max * self._max
        pieces = [ProtocolText(run[k : k + self._max]) for k in range(0, cut, self._max)]
        self._events.extend(pieces)
        self._ends.extend([self._mark] * len(pieces))
        self._new_body()
        self._body.write(run[cut:])
        self._body_len = len(run) - cut

    def _flush_text(self, end: int | None = None) -> None:
        if self._open is None and self._body_len:
            self._events.append(ProtocolText(self._body.getvalue()))
            self._ends.append(self._mark if end is None else end)
            self._new_body()

    def _emit(self, event: Event) -> None:
        self._flush_text()
        self._events.append(event)
        self._ends.append(self._mark)

    def _error(self, message: str, at: int) -> None:
        self._emit(FormatError(message, at))

    def _new_body(self) -> None:
        self._body = io.StringIO()
        self._body_len = 0

    def _drop_block(self) -> None:
        self._open = None
        self._overflowed = False
        self._new_body()


def _block_event(kind: str, fork_id: int | None, body: str) -> Event:
    if kind == "fork_open":
        return Fork(fork_id, body)
    return Return(body) if kind == "return_open" else Answer(body)


def parse_protocol(text: str, *, max_block_chars: int = MAX_BLOCK_CHARS) -> list[Event]:
    """All events of a complete text (feed it whole, then close); never raises on the text."""
    scanner = ProtocolScanner(max_block_chars=max_block_chars)
    return scanner.feed(text) + scanner.close()


def render(events: Iterable[Event]) -> str:
    """Write events back as protocol text; `FormatError`s are diagnostics and render as nothing.

    `parse_protocol(render(events)) == events` when ids have at most `MAX_ID_DIGITS` digits,
    every text is `is_plain_text` and non-empty, and no two `ProtocolText`s are adjacent. There is no
    escape syntax: tag-like text cannot be carried through the protocol.
    """
    parts: list[str] = []
    for event in events:
        match event:
            case Fork(fork_id, query):
                parts.append(f"<FORK-{fork_id}>{query}</FORK-{fork_id}>")
            case Join(fork_id):
                parts.append(f"<JOIN-{fork_id}>")
            case Return(text):
                parts.append(f"<RETURN>{text}</RETURN>")
            case Answer(text):
                parts.append(f"<ANSWER>{text}</ANSWER>")
            case ProtocolText(text):
                parts.append(text)
    return "".join(parts)
