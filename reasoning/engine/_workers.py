"""The worker and organizer interfaces of the fork/join engine, and the scripted test doubles.

A worker turns a sub-query (plus the task, the feedback of earlier rejected attempts and the
shared progress ledger) into text that ends with `<RETURN>...</RETURN>`. An organizer turns the
run's context (task text, everything it wrote so far, and the engine's replies to its joins and
mistakes) into more protocol text. Both stream: they yield chunks, and each chunk says what its
text cost, so the metrics never mix model tokens with invented ones:

- `Tokens(text, count)`: `count` model tokens, as the model's tokenizer counted them (the LLM
  backends give the real counts);
- `Steps(text, count)`: `count` steps of symbolic work (a planner's turn, a solver's reply);
- a bare `str`: one step (work whose producer did not measure it; never a token).

`ScriptedWorker` and `ScriptedOrganizer` replay fixed text. They are test doubles for
deterministic scenarios and benchmarks, never the default of anything a user runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from reasoning.engine._task import Task
from reasoning.errors import InvalidArgument


@dataclass(frozen=True)
class Tokens:
    """A stream chunk of model output: `count` tokens by the model's tokenizer."""

    text: str
    count: int


@dataclass(frozen=True)
class Steps:
    """A stream chunk of symbolic work: `count` steps (a planner turn, a solver call), no tokens."""

    text: str
    count: int = 1


Chunk = str | Tokens | Steps


def chunk_work(chunk: Chunk) -> tuple[str, int, int]:
    """(text, model tokens, symbolic steps) of a stream chunk; InvalidArgument for anything else."""
    if isinstance(chunk, str):
        return chunk, 0, 1
    if isinstance(chunk, (Tokens, Steps)) and isinstance(chunk.text, str):
        count = chunk.count
        if isinstance(count, int) and not isinstance(count, bool):
            count = max(0, count)
            return (chunk.text, count, 0) if isinstance(chunk, Tokens) else (chunk.text, 0, count)
    raise InvalidArgument(f"a stream chunk is a str, Tokens or Steps, got {type(chunk).__name__}")


def chunk_parts(chunk: Chunk) -> tuple[str, int]:
    """(text, model tokens) of a stream chunk (see `chunk_work` for the steps too)."""
    text, tokens, _ = chunk_work(chunk)
    return text, tokens


@dataclass(frozen=True)
class WorkerRequest:
    """What a worker gets for one attempt of one fork."""

    fork_id: int
    attempt: int
    query: str
    task: Task
    feedback: tuple[str, ...] = ()
    ledger: str = ""
    seed: int = 0


@runtime_checkable
class Worker(Protocol):
    """Anything with `stream(request)` yielding chunks; the engine reads up to `</RETURN>`."""

    def stream(self, request: WorkerRequest) -> AsyncIterator[Chunk]: ...


def has_methods(obj: object, *names: str) -> bool:
    """Does `obj` have a callable attribute of each name? What `isinstance` against these
    runtime-checkable Protocols tests, at a fraction of its cost (typing walks the Protocol's
    members on every call: about 0.1 ms a run, where the engine's own budget is 0.5 ms a cycle)."""
    return all(callable(getattr(obj, name, None)) for name in names)


@runtime_checkable
class Organizer(Protocol):
    """Anything with `stream(context, seed=...)` yielding protocol text that continues `context`.

    The engine stops reading at the first tag that needs a reply (a join, an answer, a format
    error), appends its reply to the context and calls `stream` again.
    """

    def stream(self, context: str, *, seed: int) -> AsyncIterator[Chunk]: ...


# ---------------------------------------------------------------- scripted test doubles


class Hang:
    """A script entry for a worker that never answers (to test timeouts)."""

    def __repr__(self) -> str:
        return "HANG"


HANG = Hang()
#: A scripted reply: whole text, a list of chunks, an exception to raise, or HANG.
Script = str | Sequence[Chunk] | BaseException | Hang


async def _replay(entry: Script, delay_s: float) -> AsyncIterator[Chunk]:
    if isinstance(entry, Hang):
        await asyncio.Event().wait()
    if isinstance(entry, BaseException):
        if delay_s:
            await asyncio.sleep(delay_s)
        raise entry
    chunks = [entry] if isinstance(entry, str) else list(entry)
    for chunk in chunks:
        if delay_s:
            await asyncio.sleep(delay_s)
        yield chunk


class ScriptedWorker:
    """Test double: replays `replies[fork_id][attempt - 1]` (the last entry repeats).

    `delay_s` is slept before each chunk, to simulate latency. Every request is kept in
    `requests`, so a test can assert the feedback a re-dispatch carried.
    """

    def __init__(self, replies: Mapping[int, Sequence[Script]], *, delay_s: float = 0.0) -> None:
        self.replies = {k: list(v) for k, v in replies.items()}
        self.delay_s = delay_s
        self.requests: list[WorkerRequest] = []

    def stream(self, request: WorkerRequest) -> AsyncIterator[Chunk]:
        self.requests.append(request)
        script = self.replies.get(request.fork_id)
        if not script:
            return _replay(RuntimeError(f"no scripted reply for fork {request.fork_id}"), 0.0)
        return _replay(script[min(request.attempt, len(script)) - 1], self.delay_s)


class ScriptedOrganizer:
    """Test double: turn k of the run replays `turns[k]` (text, chunks, or a function of the
    context returning text); after the last turn it yields nothing. Contexts are kept in
    `contexts`, so a test can assert what the engine told the organizer."""

    def __init__(self, turns: Sequence[Script | Callable[[str], str]], *, delay_s: float = 0.0) -> None:
        self.turns = list(turns)
        self.delay_s = delay_s
        self.contexts: list[str] = []

    def stream(self, context: str, *, seed: int) -> AsyncIterator[Chunk]:
        turn = len(self.contexts)
        self.contexts.append(context)
        if turn >= len(self.turns):
            return _replay([], 0.0)
        entry = self.turns[turn]
        if callable(entry) and not isinstance(entry, BaseException):
            entry = entry(context)
        return _replay(entry, self.delay_s)
