"""The service's limits, the HTTP server's settings and its guard: bearer-token auth, body size
and concurrency limits.

`LIMITS` is the one source of truth for what a request may hold (characters per claim, items per
request, body bytes, budgets): the HTTP API's `Settings` defaults, its OpenAPI document, `reason
serve`'s option defaults, the CLI's budget bounds, the MCP tools' input schemas and the README's
table of limits (checked by a test) all read it.

`Settings` is a frozen dataclass validated at construction, so a server never starts with a limit
that makes no sense, nor on a non-loopback address without a token.

`RequestGuard` is a pure ASGI middleware in front of every `/v1/` route. It works before any handler
runs, in an order that keeps memory bounded whatever clients send:

1. auth: `reasoning.service._auth.BearerAuth`, in front of the guard (401 without the token);
2. `Content-Type` must be JSON (415) and a declared `Content-Length` above the limit gets 413
   at once, before a byte of the body is read;
3. a request slot: at most `max_concurrent` requests run, at most `max_queue` more wait (each at
   most `queue_wait_s`), everything beyond gets 429 at once: waiting costs no body memory;
4. the body is read, holding a slot, up to `max_body_bytes` (413 as soon as a chunked body goes
   past it) and within `body_timeout_s` (408), then handed to the app.

So the body memory in use is at most `max_concurrent * max_body_bytes`. Every refusal is a JSON
error body `{"error": code, "message": text, "details": ...}` (see `error_response`).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from proofs.parsing import MAX_CLAIM_CHARS
from reasoning.api import InvalidArgument
from reasoning.service._auth import require_token_off_loopback, validate_token

#: Routes under this prefix are guarded; /healthz and the OpenAPI document are open.
GUARDED_PREFIX = "/v1/"
#: The default pool is one process per CPU, up to this many (each holds SymPy and Z3: ~150 MB).
MAX_DEFAULT_WORKERS = 8


@dataclass(frozen=True)
class RequestLimits:
    """What one request may hold, by default (a server may be started with other values).

    `max_claim_chars` is the claim parser's own limit, so a claim the service accepts is one the
    verifier reads. Budgets are seconds: per claim, pair or certificate (`*_budget_s`) and per
    solve run (`*_solve_budget_s`); no budget is ever above `budget_ceiling_s`.
    """

    max_claim_chars: int = MAX_CLAIM_CHARS
    max_items: int = 256
    max_body_bytes: int = 1_000_000
    default_budget_s: float = 2.0
    max_budget_s: float = 30.0
    default_solve_budget_s: float = 30.0
    max_solve_budget_s: float = 120.0
    budget_ceiling_s: float = 3600.0


#: The defaults of every limit (see `RequestLimits`).
LIMITS = RequestLimits()


def _positive(name: str, value: Any, *, kind: type = int) -> None:
    ok_type = isinstance(value, (int, float) if kind is float else int) and not isinstance(value, bool)
    if not ok_type or not value > 0 or (kind is float and not math.isfinite(value)):
        raise InvalidArgument(
            f"{name} must be a positive {'number' if kind is float else 'int'}, got {value!r}"
        )


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything a server needs to know; invalid combinations raise InvalidArgument.

    Budgets are in seconds: `default_budget_s` per claim or pair when a request names none,
    `max_budget_s` the most a request may ask per claim, pair or certificate; solve runs get
    `default_solve_budget_s` unless they ask for up to `max_solve_budget_s`. `workers` is the
    size of the verification process pool (default: one per CPU, at most 8); `kill_slack_s` is
    how long past its budget a job may run before its worker process is killed (the verifiers
    stop themselves at the budget, the kill is for a worker that hangs). `token` None means no
    auth, allowed on loopback only.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = field(default=None, repr=False)
    workers: int = field(default_factory=lambda: max(1, min(MAX_DEFAULT_WORKERS, os.cpu_count() or 1)))
    worker_memory_mb: int | None = 2048
    max_body_bytes: int = LIMITS.max_body_bytes
    max_claims: int = LIMITS.max_items
    max_claim_chars: int = LIMITS.max_claim_chars
    default_budget_s: float = LIMITS.default_budget_s
    max_budget_s: float = LIMITS.max_budget_s
    default_solve_budget_s: float = LIMITS.default_solve_budget_s
    max_solve_budget_s: float = LIMITS.max_solve_budget_s
    max_concurrent: int = 32
    max_queue: int = 64
    queue_wait_s: float = 10.0
    body_timeout_s: float = 30.0
    kill_slack_s: float = 5.0

    def __post_init__(self) -> None:
        if not isinstance(self.host, str) or not self.host.strip():
            raise InvalidArgument("host must be a non-empty address, e.g. 127.0.0.1")
        if not isinstance(self.port, int) or isinstance(self.port, bool) or not 0 <= self.port <= 65535:
            raise InvalidArgument(f"port must be an int in [0, 65535], got {self.port!r}")
        for name in ("workers", "max_body_bytes", "max_claims", "max_claim_chars", "max_concurrent"):
            _positive(name, getattr(self, name))
        if not isinstance(self.max_queue, int) or isinstance(self.max_queue, bool) or self.max_queue < 0:
            raise InvalidArgument(f"max_queue must be an int >= 0, got {self.max_queue!r}")
        if self.worker_memory_mb is not None:
            _positive("worker_memory_mb", self.worker_memory_mb)
        for name in (
            "default_budget_s",
            "max_budget_s",
            "default_solve_budget_s",
            "max_solve_budget_s",
            "queue_wait_s",
            "body_timeout_s",
            "kill_slack_s",
        ):
            _positive(name, getattr(self, name), kind=float)
        ceiling = LIMITS.budget_ceiling_s
        if self.max_budget_s > ceiling or self.max_solve_budget_s > ceiling:
            raise InvalidArgument(f"budgets are at most {ceiling:g} s")
        if self.default_budget_s > self.max_budget_s:
            raise InvalidArgument(
                f"default_budget_s ({self.default_budget_s}) is above max_budget_s ({self.max_budget_s})"
            )
        if self.default_solve_budget_s > self.max_solve_budget_s:
            raise InvalidArgument(
                f"default_solve_budget_s ({self.default_solve_budget_s}) is above "
                f"max_solve_budget_s ({self.max_solve_budget_s})"
            )
        if self.token is not None:
            validate_token(self.token)
        require_token_off_loopback(self.host, self.token)


# ------------------------------------------------------------------------------- error bodies


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The JSON body of every error answer."""
    return {"error": code, "message": message, "details": details}


async def error_response(
    send: Send, status: int, code: str, message: str, *, headers: dict[str, str] | None = None
) -> None:
    """Send a complete JSON error answer on a raw ASGI `send`."""
    body = json.dumps(error_body(code, message)).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


# ------------------------------------------------------------------------------- concurrency


class Busy(Exception):
    """No request slot could be had (the queue is full, or the wait ran out)."""


class RequestGate:
    """At most `limit` requests at once; at most `queue` more wait, each for at most `wait_s`.

    Waiting is cheap (no body has been read yet), and the number of waiters is bounded, so
    excess load turns into 429 answers instead of memory.
    """

    def __init__(self, *, limit: int, queue: int, wait_s: float) -> None:
        self._limit, self._queue, self._wait_s = limit, queue, wait_s
        self._semaphore: asyncio.Semaphore | None = None
        self.active = 0
        self.waiting = 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one request slot; raises Busy when none is free in time."""
        if self._semaphore is None:  # created on first use, inside the server's event loop
            self._semaphore = asyncio.Semaphore(self._limit)
        semaphore = self._semaphore
        if semaphore.locked():
            if self.waiting >= self._queue:
                raise Busy(
                    f"{self.active} requests are running and {self.waiting} waiting (the most allowed)"
                )
            self.waiting += 1
            try:
                async with asyncio.timeout(self._wait_s):
                    await semaphore.acquire()
            except TimeoutError:
                raise Busy(f"no request slot became free within {self._wait_s:g} s") from None
            finally:
                self.waiting -= 1
        else:
            await semaphore.acquire()
        self.active += 1
        try:
            yield
        finally:
            self.active -= 1
            semaphore.release()


# ------------------------------------------------------------------------------- the guard


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class _TooLarge(Exception):
    pass


class RequestGuard:
    """Body size and concurrency limits for every `/v1/` request (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, settings: Settings, gate: RequestGate) -> None:
        self.app, self.settings, self.gate = app, settings, gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(GUARDED_PREFIX):
            await self.app(scope, receive, send)
            return
        settings = self.settings
        if scope["method"] in ("POST", "PUT", "PATCH"):
            content_type = _header(scope, b"content-type")
            if not _is_json(content_type):
                await error_response(
                    send,
                    415,
                    "unsupported_media_type",
                    f"send the body as JSON with Content-Type: application/json (got {content_type or 'none'})",
                )
                return
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await error_response(
                    send, 400, "bad_content_length", f"Content-Length {declared!r} is not a number"
                )
                return
            if int(declared) > settings.max_body_bytes:
                await self._too_large(send, int(declared))
                return
        try:
            async with self.gate.slot():
                await self._with_body(scope, receive, send)
        except Busy as exc:
            await error_response(
                send,
                429,
                "too_many_requests",
                f"the server is busy: {exc}; retry later",
                headers={"Retry-After": "1"},
            )

    async def _too_large(self, send: Send, size: int | None) -> None:
        what = f"{size} bytes" if size is not None else "the body"
        # No "Connection: close": closing with unread data makes the kernel reset the connection,
        # and the client loses this answer. uvicorn discards the rest of the body as it arrives.
        await error_response(
            send,
            413,
            "body_too_large",
            f"{what} is more than this server's limit of {self.settings.max_body_bytes} bytes per request",
        )

    async def _with_body(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            async with asyncio.timeout(self.settings.body_timeout_s):
                body = await self._read_body(receive)
        except _TooLarge:
            await self._too_large(send, None)
            return
        except TimeoutError:
            await error_response(
                send,
                408,
                "request_timeout",
                f"the body did not arrive within {self.settings.body_timeout_s:g} s",
                headers={"Connection": "close"},
            )
            return
        if body is None:
            return  # the client went away
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: only a disconnect can come

        await self.app(scope, replay, send)

    async def _read_body(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.settings.max_body_bytes:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)
