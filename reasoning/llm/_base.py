"""The model-backend interface: `stream(prompt, ...)` yields `Delta`s; `generate` collects them.

A prompt is plain text (sent as one user message to a chat model) or a list of chat messages
(`{"role": "system" | "user" | "assistant", "content": str}`). Generation parameters are the
OpenAI ones: `max_tokens` (completion tokens), `stop` (strings; generation ends before the first
one and the text excludes it), `temperature` (0 is greedy) and `seed` (sampling is reproducible
for a given seed, prompt and backend).

Grammars and samples (additive; `supports_grammar` says what a backend does with them):
`generate(..., grammar=G, n=K)` asks for K samples (seeds `seed`, `seed + 1`, ...) of one prompt,
each decoded under the Lark grammar G (llguidance's Lark dialect: `reasoning.llm._grammar_dialect`).
A backend with `supports_grammar = True` guarantees every finished sample is in G's language (a
sample cut by `max_tokens` may be a prefix); one without it ignores G, and the caller parses and
rejects (every output goes through our own Lark parsers anyway). All K texts are in
`Generation.texts` (`text` is the first); token counts are the sum over the samples.

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
#: Most samples one `generate(..., n=K)` call may ask for.
MAX_SAMPLES = 256
#: Longest grammar text accepted.
MAX_GRAMMAR_CHARS = 2_000_000
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
    """A whole completion with its token usage and wall time.

    With `n` samples: `texts` holds every sample's text and `finish_reasons` their reasons
    (`text` and `finish_reason` are the first's); token counts are summed over the samples (the
    prompt is counted once per sample, as the servers do). `constrained` says the samples were
    decoded under the grammar (False when the backend ignored it).
    """

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    model: str
    elapsed_s: float
    texts: tuple[str, ...] = ()
    finish_reasons: tuple[str, ...] = ()
    constrained: bool = False

    @property
    def samples(self) -> tuple[str, ...]:
        """Every sample's text (one-sample generations included)."""
        return self.texts or (self.text,)


@runtime_checkable
class ModelBackend(Protocol):
    """What the engine needs from a model. `name` says which model (for traces and metrics)."""

    name: str
    #: True when `generate(..., grammar=G)` decodes under G (else G is ignored: parse and reject).
    supports_grammar: bool = False

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
        grammar: str | None = None,
        n: int = 1,
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


def check_sampling(grammar: str | None, n: int) -> None:
    """Validate the grammar and sample-count parameters of `generate` at the door."""
    if grammar is not None and (not isinstance(grammar, str) or not grammar.strip()):
        raise InvalidArgument("grammar must be None or a non-empty Lark grammar text")
    if isinstance(grammar, str) and len(grammar) > MAX_GRAMMAR_CHARS:
        raise InvalidArgument(f"grammar is longer than {MAX_GRAMMAR_CHARS} characters")
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_SAMPLES:
        raise InvalidArgument(f"n must be an int in [1, {MAX_SAMPLES}], got {n!r}")


def merge_samples(generations: Sequence[Generation], *, constrained: bool) -> Generation:
    """One `Generation` holding several samples (see `Generation`)."""
    first = generations[0]
    return Generation(
        first.text,
        sum(g.prompt_tokens for g in generations),
        sum(g.completion_tokens for g in generations),
        first.finish_reason,
        first.model,
        max(g.elapsed_s for g in generations),
        texts=tuple(g.text for g in generations),
        finish_reasons=tuple(g.finish_reason for g in generations),
        constrained=constrained,
    )


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
    """A base for backends: subclasses write `stream`; `generate` collects it, `close` does nothing.

    It cannot constrain: `generate(..., grammar=G, n=K)` ignores G and runs K streams at once
    (seeds `seed`, `seed + 1`, ...); the caller parses and rejects.
    """

    name: str = "model"
    supports_grammar: bool = False

    def stream(self, prompt: Prompt, **params) -> AsyncIterator[Delta]:
        raise NotImplementedError

    async def generate(
        self, prompt: Prompt, *, grammar: str | None = None, n: int = 1, **params
    ) -> Generation:
        """The whole completion of `stream(prompt, **params)`, with its usage and wall time;
        `n` > 1 samples it `n` times concurrently (the grammar is ignored: see the class doc)."""
        check_sampling(grammar, n)
        if n == 1:
            return await collect(self.stream(prompt, **params), model=self.name)
        seed = params.pop("seed", 0)
        runs = [collect(self.stream(prompt, seed=seed + i, **params), model=self.name) for i in range(n)]
        return merge_samples(await asyncio.gather(*runs), constrained=False)

    def close(self) -> None:
        """Release what the backend holds (threads, connections); the default holds nothing."""


def generate_sync(backend: ModelBackend, prompt: Prompt, **params) -> Generation:
    """`backend.generate(prompt, **params)` from synchronous code (not from a running event loop)."""
    return asyncio.run(backend.generate(prompt, **params))
