"""The model-backend interface: `stream(prompt, ...)` yields `Delta`s; `generate` collects them.

A prompt is plain text (sent as one user message to a chat model) or a list of chat messages
(`{"role": "system" | "user" | "assistant", "content": str}`). Generation parameters are the
OpenAI ones: `max_tokens` (completion tokens), `stop` (strings; generation ends before the first
one and the text excludes it), `temperature` (0 is greedy) and `seed` (sampling is reproducible
for a given seed, prompt and backend).

Every backend is async and safe to call from several tasks at once. Closing a stream early (the
engine stops reading at `</RETURN>` or at a join) cancels the generation and frees its slot.
A backend that fails raises `BackendError` with a message that says what failed (unreachable,
HTTP status, timeout, garbage), so the engine can fail that one fork and go on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from reasoning.errors import InvalidArgument, ReasoningError

Message = Mapping[str, str]
Prompt = str | Sequence[Message]

#: Bounds checked at the door by `check_params`.
MAX_TOKENS_LIMIT = 32_768
MAX_STOPS = 8
ROLES = ("system", "user", "assistant")


class BackendError(ReasoningError):
    """A model backend failed: unreachable, an HTTP error, a timeout, garbage, a missing model.

    `kind` is one of: "unavailable", "http", "timeout", "protocol", "model", "budget", "cancelled".
    `retryable` says whether trying again later might succeed.
    """

    def __init__(self, message: str, *, kind: str = "model", retryable: bool = False) -> None:
        super().__init__(message)
        self.kind = kind
        self.retryable = retryable


@dataclass(frozen=True)
class Delta:
    """A piece of a streamed completion: `text` and the completion `tokens` it took.

    The last delta of a stream has `finish_reason` ("stop": a stop string or end of text;
    "length": `max_tokens` reached) and `prompt_tokens`; its text may be empty.
    """

    text: str
    tokens: int = 0
    finish_reason: str | None = None
    prompt_tokens: int | None = None


@dataclass(frozen=True)
class Generation:
    """A whole completion with its token usage and wall time."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    model: str
    elapsed_s: float


@runtime_checkable
class ModelBackend(Protocol):
    """What the engine needs from a model. `name` says which model (for traces and metrics)."""

    name: str

    def stream(
        self,
        prompt: Prompt,
        *,
        max_tokens: int = 256,
        stop: Sequence[str] = (),
        temperature: float = 0.0,
        seed: int = 0,
    ) -> AsyncIterator[Delta]: ...

    async def generate(
        self,
        prompt: Prompt,
        *,
        max_tokens: int = 256,
        stop: Sequence[str] = (),
        temperature: float = 0.0,
        seed: int = 0,
    ) -> Generation: ...

    def close(self) -> None: ...


def check_prompt(prompt: Prompt) -> list[dict[str, str]]:
    """The prompt as chat messages; InvalidArgument for anything else."""
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    if isinstance(prompt, Sequence) and prompt:
        messages = []
        for i, message in enumerate(prompt):
            if not isinstance(message, Mapping):
                raise InvalidArgument(f"message {i} is not a mapping")
            role, content = message.get("role"), message.get("content")
            if role not in ROLES or not isinstance(content, str):
                raise InvalidArgument(f"message {i} needs a role in {ROLES} and a string content")
            messages.append({"role": role, "content": content})
        return messages
    raise InvalidArgument("a prompt is a string or a non-empty list of chat messages")


def check_params(max_tokens: int, stop: Sequence[str], temperature: float, seed: int) -> tuple[str, ...]:
    """Validate generation parameters at the door; returns `stop` as a tuple."""
    if (
        not isinstance(max_tokens, int)
        or isinstance(max_tokens, bool)
        or not 1 <= max_tokens <= MAX_TOKENS_LIMIT
    ):
        raise InvalidArgument(f"max_tokens must be an int in [1, {MAX_TOKENS_LIMIT}], got {max_tokens!r}")
    if isinstance(stop, str):
        stop = (stop,)
    stop = tuple(stop)
    if len(stop) > MAX_STOPS or not all(isinstance(s, str) and s for s in stop):
        raise InvalidArgument(f"stop is at most {MAX_STOPS} non-empty strings")
    if (
        not isinstance(temperature, (int, float))
        or isinstance(temperature, bool)
        or not 0 <= temperature <= 2
    ):
        raise InvalidArgument(f"temperature must be a number in [0, 2], got {temperature!r}")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise InvalidArgument(f"seed must be an int, got {seed!r}")
    return stop


class StopScanner:
    """Finds the first stop string in streamed text, holding back a tail that may start one.

    `feed(text)` returns the text that is safe to emit; `stopped` turns true once a stop string
    is seen (the rest is dropped). `flush()` returns what was held back at the end.
    """

    def __init__(self, stop: Sequence[str]) -> None:
        self.stop = tuple(stop)
        self.hold = max((len(s) for s in self.stop), default=1) - 1
        self.buffer = ""
        self.stopped = False

    def feed(self, text: str) -> str:
        if self.stopped:
            return ""
        self.buffer += text
        cut = min((i for i in (self.buffer.find(s) for s in self.stop) if i >= 0), default=-1)
        if cut >= 0:
            self.stopped = True
            out, self.buffer = self.buffer[:cut], ""
            return out
        keep = len(self.buffer) - self.hold
        if keep <= 0:
            return ""
        out, self.buffer = self.buffer[:keep], self.buffer[keep:]
        return out

    def flush(self) -> str:
        out, self.buffer = ("" if self.stopped else self.buffer), ""
        return out


async def collect(stream: AsyncIterator[Delta], *, model: str = "") -> Generation:
    """A whole `Generation` from a stream of deltas."""
    started = time.perf_counter()
    parts: list[str] = []
    tokens, prompt_tokens, finish = 0, 0, "stop"
    async for delta in stream:
        parts.append(delta.text)
        tokens += delta.tokens
        if delta.prompt_tokens is not None:
            prompt_tokens = delta.prompt_tokens
        if delta.finish_reason is not None:
            finish = delta.finish_reason
    return Generation("".join(parts), prompt_tokens, tokens, finish, model, time.perf_counter() - started)


class StreamingBackend:
    """A base for backends: subclasses write `stream`; `generate` collects it, `close` does nothing."""

    name: str = "model"

    def stream(self, prompt: Prompt, **params) -> AsyncIterator[Delta]:
        raise NotImplementedError

    async def generate(self, prompt: Prompt, **params) -> Generation:
        """The whole completion of `stream(prompt, **params)`, with its usage and wall time."""
        return await collect(self.stream(prompt, **params), model=self.name)

    def close(self) -> None:
        """Release what the backend holds (threads, connections); the default holds nothing."""


def generate_sync(backend: ModelBackend, prompt: Prompt, **params) -> Generation:
    """`backend.generate(prompt, **params)` from synchronous code (not from a running event loop)."""
    return asyncio.run(backend.generate(prompt, **params))
