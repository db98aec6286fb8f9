"""`OpenAIBackend`: any OpenAI-compatible chat-completions server (vLLM, Ollama, llama.cpp's
server, a hosted API, `reason serve-model`), streamed over HTTP with httpx.

Every request streams (`stream: true`, usage included). Failures before the first delta are
retried with exponential backoff and jitter (connection refused or reset, 429, 5xx; a
`Retry-After` is honoured up to `RETRY_AFTER_CAP_S`); after the first delta nothing is retried,
since the text already went out. Every failure is a `BackendError` whose `kind` says what went
wrong: "unavailable" (unreachable), "http" (an error status, with the server's message),
"timeout" (no byte for `timeout_s`), "protocol" (the answer is not an OpenAI stream; with an
excerpt), "model" (the server reported an error mid-stream).

At most `concurrency` requests per backend object are in flight at once, across threads and
event loops (the engine runs each solve in its own `asyncio.run`).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import ssl
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from typing import Any

import httpx

from reasoning.errors import InvalidArgument
from reasoning.llm.base import (
    BackendError,
    Delta,
    Prompt,
    StopScanner,
    StreamingBackend,
    check_params,
    check_prompt,
)

#: Longest wait a server's `Retry-After` may ask for; longer asks are capped.
RETRY_AFTER_CAP_S = 30.0
#: Longest backoff between two attempts (before jitter).
BACKOFF_CAP_S = 10.0
#: How much of a bad answer goes into an error message.
EXCERPT_CHARS = 200
#: How much of an error body is read to find the server's message.
ERROR_BODY_BYTES = 16_384


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


def retry_after_s(value: str | None) -> float | None:
    """Seconds asked by a `Retry-After` header (a number or an HTTP date), capped; None if absent
    or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), RETRY_AFTER_CAP_S)


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


class OpenAIBackend(StreamingBackend):
    """A model behind an OpenAI-compatible server: `base_url` up to and including `/v1`, `model`
    the name it serves. Streams `POST {base_url}/chat/completions`.

    `timeout_s` is the longest silence allowed while waiting for the answer or between two chunks;
    `connect_timeout_s` for the connection. Up to `max_retries` retries before the first delta,
    `backoff_s * 2**attempt` apart (with jitter). `concurrency` requests at most in flight.

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
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.name = f"openai:{model}"
        self.api_key = api_key
        self.timeout = httpx.Timeout(float(timeout_s), connect=float(connect_timeout_s))
        self.timeout_s = float(timeout_s)
        self.max_retries = max_retries
        self.backoff_s = float(backoff_s)
        self.concurrency = concurrency
        self.slots = Slots(concurrency)
        self.retries = 0  # retries made so far (for metrics and tests)
        self._ssl: ssl.SSLContext | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"OpenAIBackend({self.base_url!r}, {self.model!r})"

    # -------------------------------------------------------------------------- HTTP plumbing

    def _client(self) -> httpx.AsyncClient:
        """A client for the current event loop (httpx clients cannot move between loops). The
        TLS context, slow to build, is built once and shared."""
        if self._ssl is None and self.base_url.startswith("https://"):
            self._ssl = ssl.create_default_context()
        headers = {"Accept": "text/event-stream, application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return httpx.AsyncClient(
            timeout=self.timeout,
            headers=headers,
            verify=self._ssl if self._ssl is not None else False,
            trust_env=False,
        )

    def _backoff(self, attempt: int, asked: float | None) -> float:
        delay = min(BACKOFF_CAP_S, self.backoff_s * 2**attempt) * (0.5 + random.random())
        return max(delay, asked) if asked is not None else delay

    async def _open(self, client: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
        """The streaming response to `body`, after retries; BackendError when it cannot be had."""
        url = f"{self.base_url}/chat/completions"
        attempt = 0
        while True:
            asked: float | None = None
            try:
                response = await client.send(client.build_request("POST", url, json=body), stream=True)
            except httpx.TimeoutException as exc:
                if isinstance(exc, httpx.ConnectTimeout):
                    error = BackendError(
                        f"{self.name}: cannot connect to {url} within {self.timeout.connect:g} s",
                        kind="unavailable",
                        retryable=True,
                    )
                else:  # the server took the request but said nothing: do not pile on
                    raise BackendError(
                        f"{self.name}: no answer from {url} within {self.timeout_s:g} s",
                        kind="timeout",
                        retryable=True,
                    ) from exc
            except httpx.TransportError as exc:
                error = BackendError(
                    f"{self.name}: cannot reach {url}: {type(exc).__name__}: {exc or 'connection failed'}",
                    kind="unavailable",
                    retryable=True,
                )
            else:
                if response.status_code == 200:
                    return response
                error = await self._status_error(response, url)
                if not error.retryable:
                    raise error
                asked = retry_after_s(response.headers.get("retry-after"))
            if attempt >= self.max_retries:
                if attempt:
                    error.args = (f"{error.args[0]} (after {attempt + 1} attempts)",)
                raise error
            await asyncio.sleep(self._backoff(attempt, asked))
            attempt += 1
            self.retries += 1

    async def _status_error(self, response: httpx.Response, url: str) -> BackendError:
        try:
            body = b""
            async for part in response.aiter_bytes():
                body += part
                if len(body) >= ERROR_BODY_BYTES:
                    break
        except httpx.HTTPError:
            pass
        finally:
            await response.aclose()
        status = response.status_code
        retryable = status == 429 or status >= 500
        return BackendError(
            f"{self.name}: {url} answered HTTP {status}: {server_message(body)}",
            kind="http",
            retryable=retryable,
        )

    # -------------------------------------------------------------------------- the interface

    async def stream(
        self,
        prompt: Prompt,
        *,
        max_tokens: int = 256,
        stop: Sequence[str] = (),
        temperature: float = 0.0,
        seed: int = 0,
    ) -> AsyncIterator[Delta]:
        """Stream a chat completion (see `ModelBackend.stream`). Raises BackendError."""
        messages = check_prompt(prompt)
        stop = check_params(max_tokens, stop, temperature, seed)
        if self._closed:
            raise BackendError(f"{self.name}: the backend is closed", kind="unavailable")
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "seed": seed,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if stop:
            body["stop"] = list(stop)
        await self.slots.acquire()
        try:
            async with self._client() as client:
                response = await self._open(client, body)
                try:
                    async with aclosing(self._deltas(response, StopScanner(stop))) as deltas:
                        async for delta in deltas:
                            yield delta
                finally:
                    await response.aclose()
        finally:
            self.slots.release()

    async def _deltas(self, response: httpx.Response, scanner: StopScanner) -> AsyncIterator[Delta]:
        """Deltas from a streaming (or, if the server ignored `stream`, a whole JSON) answer."""
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "application/json":
            async for delta in self._whole(response, scanner):
                yield delta
            return
        if content_type not in ("text/event-stream", ""):
            head = await self._head(response)
            raise BackendError(
                f"{self.name}: expected an event stream, got {content_type}: {excerpt(head)}", kind="protocol"
            )
        pending = counted = 0
        finish: str | None = None
        usage: dict[str, Any] | None = None
        async with aclosing(self._events(response)) as events:
            async for data in events:
                if data == "[DONE]":
                    break
                event = self._decode(data)
                if isinstance(event.get("usage"), dict):
                    usage = event["usage"]
                choices = event.get("choices")
                if not isinstance(choices, list) or (
                    not choices and not isinstance(event.get("usage"), dict)
                ):
                    raise BackendError(
                        f"{self.name}: a stream chunk without choices: {excerpt(data)}", kind="protocol"
                    )
                if not choices:
                    continue
                choice = choices[0] if isinstance(choices[0], dict) else {}
                delta = choice.get("delta") if isinstance(choice.get("delta"), dict) else {}
                content = delta.get("content")
                if isinstance(content, str) and content:
                    pending += 1
                    text = scanner.feed(content)
                    if text:
                        yield Delta(text, pending)
                        counted, pending = counted + pending, 0
                    if scanner.stopped:
                        finish = "stop"
                        break
                if choice.get("finish_reason") is not None:
                    finish = "length" if choice["finish_reason"] == "length" else "stop"
            else:
                if finish is None:
                    raise BackendError(
                        f"{self.name}: the stream ended before a finish_reason or [DONE] (connection cut?)",
                        kind="protocol",
                        retryable=True,
                    )
        yield self._last(scanner.flush(), pending, counted, finish, usage, scanner.stopped)

    def _last(
        self,
        tail: str,
        pending: int,
        counted: int,
        finish: str | None,
        usage: dict[str, Any] | None,
        stopped_here: bool,
    ) -> Delta:
        """The final delta: the held-back tail, and token counts corrected to the server's usage
        (its `completion_tokens` is the truth when it reports one; the correction may be negative)."""
        prompt_tokens = None
        tokens = pending
        if usage is not None:
            if isinstance(usage.get("prompt_tokens"), int):
                prompt_tokens = usage["prompt_tokens"]
            if isinstance(usage.get("completion_tokens"), int) and not stopped_here:
                tokens = usage["completion_tokens"] - counted
        return Delta(tail, tokens, finish_reason=finish or "stop", prompt_tokens=prompt_tokens)

    async def _whole(self, response: httpx.Response, scanner: StopScanner) -> AsyncIterator[Delta]:
        """One delta from a non-streamed `chat.completion` answer."""
        raw = await self._head(response, limit=None)
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
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else None
        yield self._last(out, 1 if text else 0, 0, finish, usage, scanner.stopped)

    async def _head(self, response: httpx.Response, limit: int | None = ERROR_BODY_BYTES) -> bytes:
        body = b""
        async with aclosing(self._reading(response.aiter_bytes())) as parts:
            async for part in parts:
                body += part
                if limit is not None and len(body) >= limit:
                    break
        return body

    async def _reading(self, parts: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """`parts`, with httpx's read errors turned into BackendErrors."""
        try:
            async for part in parts:
                yield part
        except httpx.ReadTimeout as exc:
            raise BackendError(
                f"{self.name}: the server sent nothing for {self.timeout_s:g} s mid-answer",
                kind="timeout",
                retryable=True,
            ) from exc
        except httpx.HTTPError as exc:
            raise BackendError(
                f"{self.name}: the connection failed mid-answer: {type(exc).__name__}: {exc}",
                kind="unavailable",
                retryable=True,
            ) from exc

    async def _events(self, response: httpx.Response) -> AsyncIterator[str]:
        """The `data` of each server-sent event (multi-line data joined with newlines)."""
        data: list[str] = []
        async with aclosing(self._reading(response.aiter_lines())) as lines:
            async for line in lines:
                if not line:
                    if data:
                        yield "\n".join(data)
                        data = []
                    continue
                field, colon, value = line.partition(":")
                if not colon or field not in ("", "data", "event", "id", "retry"):
                    raise BackendError(f"{self.name}: not an event stream: {excerpt(line)}", kind="protocol")
                if field == "data":
                    data.append(value[1:] if value.startswith(" ") else value)
        if data:
            yield "\n".join(data)

    def _decode(self, data: str) -> dict[str, Any]:
        try:
            event = json.loads(data)
        except ValueError:
            raise BackendError(
                f"{self.name}: a stream chunk is not JSON: {excerpt(data)}", kind="protocol"
            ) from None
        if not isinstance(event, dict):
            raise BackendError(
                f"{self.name}: a stream chunk is not an object: {excerpt(data)}", kind="protocol"
            )
        error = event.get("error")
        if error is not None:
            message = error.get("message") if isinstance(error, dict) else error
            code = error.get("code") if isinstance(error, dict) else None
            kind = code if code in ("timeout", "model", "budget", "cancelled") else "model"
            raise BackendError(f"{self.name}: the server failed mid-answer: {message}", kind=kind)
        return event

    async def list_models(self) -> list[str]:
        """The model names the server lists at `GET {base_url}/models`. Raises BackendError."""
        url = f"{self.base_url}/models"
        try:
            async with self._client() as client:
                response = await client.get(url)
        except httpx.TimeoutException as exc:
            raise BackendError(f"{self.name}: no answer from {url}", kind="timeout", retryable=True) from exc
        except httpx.HTTPError as exc:
            raise BackendError(
                f"{self.name}: cannot reach {url}: {exc}", kind="unavailable", retryable=True
            ) from exc
        if response.status_code != 200:
            raise BackendError(
                f"{self.name}: {url} answered HTTP {response.status_code}: {server_message(response.content)}",
                kind="http",
                retryable=response.status_code == 429 or response.status_code >= 500,
            )
        try:
            return [str(item["id"]) for item in response.json()["data"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise BackendError(
                f"{self.name}: not a model list: {excerpt(response.content)}", kind="protocol"
            ) from exc

    def close(self) -> None:
        """Refuse new requests (each request has its own connection, closed when it ends)."""
        self._closed = True
