"""`OpenAIBackend`: any OpenAI-compatible chat-completions server (vLLM, Ollama, llama.cpp's
server, a hosted API, `reason serve-model`), through the official `openai` SDK.

The SDK does the HTTP: connections, server-sent events, timeouts, and retries with exponential
backoff and jitter before the answer starts (connection failures, timeouts, 408/409/429/5xx,
honouring `Retry-After`); nothing is retried once the answer started. This module maps what the
SDK raises to a `BackendError` whose `kind` says what went wrong: "unavailable" (unreachable),
"http" (an error status, with the server's message), "timeout" (no byte for `timeout_s`),
"protocol" (the answer is not an OpenAI stream; with an excerpt), "model" (the server reported an
error mid-stream). It also applies `stop` on the client (some servers ignore it), counts tokens,
sends a grammar where the server takes one (`grammar_mode`, see `reasoning.llm._grammar_wire`)
and bounds the requests in flight.

At most `concurrency` requests per backend object are in flight at once, across threads and
event loops (the engine runs each solve in its own `asyncio.run`). Each request has its own
HTTP client (SDK clients cannot move between event loops), closed when it ends.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import json
import ssl
import threading
from collections import deque
from collections.abc import AsyncIterator, Sequence
from types import ModuleType
from typing import Any

from reasoning.errors import InvalidArgument
from reasoning.llm._base import (
    BackendError,
    Delta,
    Prompt,
    StopScanner,
    StreamingBackend,
    check_params,
    check_prompt,
)
from reasoning.llm._grammar_wire import GRAMMAR_MODES, grammar_body

#: How much of a bad answer goes into an error message.
EXCERPT_CHARS = 200
#: The SDK's first backoff, which `backoff_s` replaces (the SDK doubles it on each retry).
SDK_INITIAL_BACKOFF_S = 0.5
#: The grammar of the `generate` call in progress: it reaches `stream` even when a base class's
#: `generate` (one that samples n times, say) calls `stream` without it.
_GRAMMAR: contextvars.ContextVar[str | None] = contextvars.ContextVar("openai_grammar", default=None)


def excerpt(text: str | bytes, limit: int = EXCERPT_CHARS) -> str:
    """A short, printable excerpt of `text` for an error message."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[:limit] + "…")


def server_message(body: bytes) -> str:
    """The error message in an error answer: OpenAI's `{"error": {"message": ...}}`, a
    `{"error": "..."}`, FastAPI's `{"detail": ...}`, or else an excerpt of the body."""
    try:
        data = json.loads(body)
    except ValueError:
        return excerpt(body) if body.strip() else "(empty body)"
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return error["message"]
        if isinstance(error, str):
            return str(data.get("message") or error)
        if "detail" in data:
            return str(data["detail"])
    return excerpt(body)


class Slots:
    """A counting semaphore usable from any thread and any event loop, awaited without blocking
    the loop. Waiters are served first come, first served; a cancelled waiter gives back a slot
    it was handed."""

    def __init__(self, value: int) -> None:
        self._lock = threading.Lock()
        self._free = value
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future]] = deque()
        self.in_use = 0

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._free > 0 and not self._waiters:
                self._free -= 1
                self.in_use += 1
                return
            waiter = (loop, loop.create_future())
            self._waiters.append(waiter)
        try:
            await waiter[1]
        except BaseException:
            with self._lock:
                try:
                    self._waiters.remove(waiter)
                    handed = False
                except ValueError:
                    handed = True  # release() already passed its slot to us
            if handed:
                self.release()
            raise

    def release(self) -> None:
        with self._lock:
            self.in_use -= 1
            while self._waiters:
                loop, future = self._waiters.popleft()
                try:
                    loop.call_soon_threadsafe(_wake, future)
                except RuntimeError:  # that loop is closed: its waiter is gone
                    continue
                self.in_use += 1
                return
            self._free += 1


def _wake(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


def _sdk() -> ModuleType:
    """The `openai` SDK, imported on first use: importing it takes about a second (several on a
    loaded machine), which `import reasoning.engine._solve` and the CLI should not pay unless a server
    is actually used."""
    import openai

    return openai


@functools.cache
def _client_class() -> type:
    """The SDK client with our first backoff (`backoff_s`) in place of its fixed 0.5 s; a
    server's `Retry-After` still wins."""
    openai = _sdk()

    class Client(openai.AsyncOpenAI):
        backoff_s: float = SDK_INITIAL_BACKOFF_S

        def _calculate_retry_timeout(self, remaining_retries, options, response_headers=None) -> float:
            delay = super()._calculate_retry_timeout(remaining_retries, options, response_headers)
            asked = self._parse_retry_after_header(response_headers)
            if asked is not None and 0 < asked <= 60:
                return delay
            return delay * self.backoff_s / SDK_INITIAL_BACKOFF_S

    return Client


class OpenAIBackend(StreamingBackend):
    """A model behind an OpenAI-compatible server: `base_url` up to and including `/v1`, `model`
    the name it serves. Streams `POST {base_url}/chat/completions` through the `openai` SDK.

    `timeout_s` is the longest silence allowed while waiting for the answer or between two chunks;
    `connect_timeout_s` for the connection. Up to `max_retries` retries before the first delta
    (the SDK's), the first `backoff_s` after the failure, doubling. `concurrency` requests at most
    in flight. `grammar_mode` says how a `grammar` reaches the server: "none" (not sent; the
    caller parses and rejects), "vllm" (structured outputs), "vllm-guided" (older vLLM's
    `guided_grammar`) or "llamacpp" (converted to GBNF when it is simple enough, else not sent).

    >>> backend = OpenAIBackend("http://127.0.0.1:8000/v1", "smollm2")  # doctest: +SKIP
    >>> generate_sync(backend, "2 + 2 = ?", max_tokens=16).text  # doctest: +SKIP
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout_s: float = 60.0,
        connect_timeout_s: float = 5.0,
        max_retries: int = 3,
        backoff_s: float = 0.5,
        concurrency: int = 4,
        grammar_mode: str = "none",
    ) -> None:
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise InvalidArgument(f"base_url must be an http(s) URL, got {base_url!r}")
        if not isinstance(model, str) or not model.strip():
            raise InvalidArgument("model must be a non-empty string")
        for name, value in (("timeout_s", timeout_s), ("connect_timeout_s", connect_timeout_s)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value < 1e6:
                raise InvalidArgument(f"{name} must be a positive number of seconds, got {value!r}")
        if not isinstance(max_retries, int) or isinstance(max_retries, bool) or not 0 <= max_retries <= 20:
            raise InvalidArgument(f"max_retries must be an int in [0, 20], got {max_retries!r}")
        if not isinstance(backoff_s, (int, float)) or isinstance(backoff_s, bool) or not 0 <= backoff_s <= 60:
            raise InvalidArgument(f"backoff_s must be a number in [0, 60], got {backoff_s!r}")
        if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
            raise InvalidArgument(f"concurrency must be a positive int, got {concurrency!r}")
        if grammar_mode not in GRAMMAR_MODES:
            raise InvalidArgument(
                f"grammar_mode must be one of {', '.join(GRAMMAR_MODES)}, got {grammar_mode!r}"
            )
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.name = f"openai:{model}"
        self.api_key = api_key
        self.timeout_s = float(timeout_s)
        self.connect_timeout_s = float(connect_timeout_s)
        self.max_retries = max_retries
        self.backoff_s = float(backoff_s)
        self.concurrency = concurrency
        self.grammar_mode = grammar_mode
        self.slots = Slots(concurrency)
        self.retries = 0  # retries made so far (for metrics and tests)
        self.grammars_sent = 0  # requests that carried a grammar to the server
        self._ssl: ssl.SSLContext | None = None
        self._closed = False

    @property
    def supports_grammar(self) -> bool:
        """True when a `grammar` may be sent to the server (it may still be refused as too
        complex for llama.cpp's GBNF; the caller parses every answer either way)."""
        return self.grammar_mode != "none"

    def __repr__(self) -> str:
        return f"OpenAIBackend({self.base_url!r}, {self.model!r})"

    def _client(self, attempts: list[int]) -> Any:
        """An SDK client for the current event loop; `attempts[0]` counts the requests it sends.
        The TLS context, slow to build, is built once and shared."""
        if self._ssl is None and self.base_url.startswith("https://"):
            self._ssl = ssl.create_default_context()

        async def count(request: Any) -> None:
            attempts[0] += 1

        openai = _sdk()
        http = openai.DefaultAsyncHttpxClient(
            verify=self._ssl if self._ssl is not None else False,
            trust_env=False,
            event_hooks={"request": [count]},
        )
        client = _client_class()(
            base_url=self.base_url,
            api_key=self.api_key or "none",
            organization=None,
            project=None,
            timeout=openai.Timeout(self.timeout_s, connect=self.connect_timeout_s),
            max_retries=self.max_retries,
            http_client=http,
        )
        client.backoff_s = self.backoff_s
        return client

    def _auth_headers(self) -> dict[str, Any] | None:
        """No key: no Authorization header at all (a local server needs none)."""
        return None if self.api_key else {"Authorization": _sdk().omit}

    # -------------------------------------------------------------------------- the interface

    async def generate(self, prompt: Prompt, **params: Any):
        """The whole completion (see `ModelBackend.generate`); a `grammar` goes to the server
        with every request this call makes (see `grammar_mode`)."""
        token = _GRAMMAR.set(params.pop("grammar", None))
        try:
            return await super().generate(prompt, **params)
        finally:
            _GRAMMAR.reset(token)

    async def stream(
        self,
        prompt: Prompt,
        *,
        max_tokens: int = 256,
        stop: Sequence[str] = (),
        temperature: float = 0.0,
        seed: int = 0,
        grammar: str | None = None,
    ) -> AsyncIterator[Delta]:
        """Stream a chat completion (see `ModelBackend.stream`). Raises BackendError."""
        messages = check_prompt(prompt)
        stop = check_params(max_tokens, stop, temperature, seed)
        grammar = grammar if grammar is not None else _GRAMMAR.get()
        if grammar is not None and not isinstance(grammar, str):
            raise InvalidArgument("grammar must be a string (Lark syntax) or None")
        if self._closed:
            raise BackendError(f"{self.name}: the backend is closed", kind="unavailable")
        openai = _sdk()
        extra_body = grammar_body(self.grammar_mode, grammar) if grammar else None
        if extra_body:
            self.grammars_sent += 1
        attempts = [0]
        await self.slots.acquire()
        try:
            async with self._client(attempts) as client:
                request = client.chat.completions.with_streaming_response.create(
                    model=self.model,
                    messages=messages,
                    max_tokens=max_tokens,
                    temperature=temperature,
                    seed=seed,
                    stop=list(stop) or openai.omit,
                    stream=True,
                    stream_options={"include_usage": True},
                    extra_body=extra_body,
                    extra_headers=self._auth_headers(),
                )
                try:
                    async with request as response:
                        async for delta in self._deltas(response, StopScanner(stop)):
                            yield delta
                except openai.OpenAIError as exc:
                    raise self._error(exc, started=False, attempts=attempts[0]) from exc
        finally:
            self.retries += max(attempts[0] - 1, 0)
            self.slots.release()

    async def _deltas(self, response: Any, scanner: StopScanner) -> AsyncIterator[Delta]:
        """Deltas from a streaming (or, if the server ignored `stream`, a whole JSON) answer."""
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "application/json":
            yield self._whole(await self._read(response), scanner)
            return
        if content_type not in ("text/event-stream", ""):
            head = await self._read(response)
            raise BackendError(
                f"{self.name}: expected an event stream, got {content_type}: {excerpt(head)}", kind="protocol"
            )
        openai = _sdk()
        pending = counted = 0
        finish: str | None = None
        usage: Any = None
        chunks = (await response.parse()).__aiter__()
        while True:
            try:
                chunk = await chunks.__anext__()
            except StopAsyncIteration:
                break
            except ValueError as exc:  # a data line that is not JSON
                raise BackendError(
                    f"{self.name}: a stream chunk is not JSON: {excerpt(getattr(exc, 'doc', str(exc)))}",
                    kind="protocol",
                ) from None
            except openai.OpenAIError as exc:
                raise self._error(exc, started=True) from exc
            if getattr(chunk, "usage", None) is not None:
                usage = chunk.usage
            choices = getattr(chunk, "choices", None)
            if not isinstance(choices, list) or (not choices and usage is None):
                raise BackendError(
                    f"{self.name}: a stream chunk without choices: {excerpt(chunk.to_json(indent=None))}",
                    kind="protocol",
                )
            if not choices:
                continue
            choice = choices[0]
            content = getattr(getattr(choice, "delta", None), "content", None)
            if isinstance(content, str) and content:
                pending += 1
                text = scanner.feed(content)
                if text:
                    yield Delta(text, pending)
                    counted, pending = counted + pending, 0
                if scanner.stopped:
                    finish = "stop"
                    break
            reason = getattr(choice, "finish_reason", None)
            if reason is not None:
                finish = "length" if reason == "length" else "stop"
        if finish is None:
            raise BackendError(
                f"{self.name}: the stream ended before a finish_reason or [DONE] (connection cut?)",
                kind="protocol",
                retryable=True,
            )
        yield self._last(scanner.flush(), pending, counted, finish, usage, scanner.stopped)

    def _last(
        self, tail: str, pending: int, counted: int, finish: str, usage: Any, stopped_here: bool
    ) -> Delta:
        """The final delta: the held-back tail, and token counts corrected to the server's usage
        (its `completion_tokens` is the truth when it reports one; the correction may be negative)."""
        prompt_tokens = getattr(usage, "prompt_tokens", None)
        completion = getattr(usage, "completion_tokens", None)
        tokens = pending
        if isinstance(completion, int) and not stopped_here:
            tokens = completion - counted
        return Delta(
            tail,
            tokens,
            finish_reason=finish,
            prompt_tokens=prompt_tokens if isinstance(prompt_tokens, int) else None,
        )

    def _whole(self, raw: bytes, scanner: StopScanner) -> Delta:
        """The one delta of a non-streamed `chat.completion` answer."""
        try:
            data = json.loads(raw)
            choice = data["choices"][0]
            text = choice["message"]["content"] or ""
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise BackendError(
                f"{self.name}: not a chat completion: {excerpt(raw)}", kind="protocol"
            ) from exc
        if not isinstance(text, str):
            raise BackendError(f"{self.name}: not a chat completion: {excerpt(raw)}", kind="protocol")
        out = scanner.feed(text) + scanner.flush()
        finish = "stop" if scanner.stopped or choice.get("finish_reason") != "length" else "length"
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        prompt_tokens = usage.get("prompt_tokens")
        completion = usage.get("completion_tokens")
        tokens = completion if isinstance(completion, int) and not scanner.stopped else (1 if text else 0)
        return Delta(
            out,
            tokens,
            finish_reason=finish,
            prompt_tokens=prompt_tokens if isinstance(prompt_tokens, int) else None,
        )

    async def _read(self, response: Any) -> bytes:
        try:
            return await response.read()
        except _sdk().OpenAIError as exc:
            raise self._error(exc, started=True) from exc

    def _error(self, exc: Exception, *, started: bool, attempts: int = 1) -> BackendError:
        """The BackendError for what the SDK raised; `started`: the answer had begun."""
        openai = _sdk()
        if isinstance(exc, BackendError):
            return exc
        url = f"{self.base_url}/chat/completions"
        cause = exc.__cause__
        if isinstance(exc, openai.APITimeoutError):
            if started:
                error = BackendError(
                    f"{self.name}: the server sent nothing for {self.timeout_s:g} s mid-answer",
                    kind="timeout",
                    retryable=True,
                )
            elif type(cause).__name__ == "ConnectTimeout":
                error = BackendError(
                    f"{self.name}: cannot connect to {url} within {self.connect_timeout_s:g} s",
                    kind="unavailable",
                    retryable=True,
                )
            else:
                error = BackendError(
                    f"{self.name}: no answer from {url} within {self.timeout_s:g} s",
                    kind="timeout",
                    retryable=True,
                )
        elif isinstance(exc, openai.APIConnectionError):
            detail = (
                f"{type(cause).__name__}: {cause or 'connection failed'}" if cause else "connection failed"
            )
            where = "the connection failed mid-answer" if started else f"cannot reach {url}"
            error = BackendError(f"{self.name}: {where}: {detail}", kind="unavailable", retryable=True)
        elif isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            try:
                body = exc.response.content
            except Exception:  # noqa: BLE001 - a body that cannot be read has no message to show
                body = b""
            error = BackendError(
                f"{self.name}: {url} answered HTTP {status}: {server_message(body)}",
                kind="http",
                retryable=status == 429 or status >= 500,
            )
        elif isinstance(exc, openai.APIError):  # an error event in the stream
            body = exc.body if isinstance(exc.body, dict) else {}
            code = body.get("code")
            kind = code if code in ("timeout", "model", "budget", "cancelled") else "model"
            error = BackendError(f"{self.name}: the server failed mid-answer: {exc.message}", kind=kind)
        else:
            error = BackendError(f"{self.name}: {type(exc).__name__}: {exc}", kind="protocol")
        if attempts > 1:
            error.args = (f"{error.args[0]} (after {attempts} attempts)",)
        return error

    async def list_models(self) -> list[str]:
        """The model names the server lists at `GET {base_url}/models`. Raises BackendError."""
        attempts = [0]
        try:
            async with self._client(attempts) as client:
                page = await client.models.list(extra_headers=self._auth_headers())
                return [str(item.id) for item in page.data]
        except _sdk().OpenAIError as exc:
            raise self._error(exc, started=False, attempts=attempts[0]) from exc
        except (AttributeError, TypeError, ValueError) as exc:
            raise BackendError(
                f"{self.name}: not a model list from {self.base_url}/models", kind="protocol"
            ) from exc

    def close(self) -> None:
        """Refuse new requests (each request has its own connection, closed when it ends)."""
        self._closed = True
