"""An OpenAI-compatible HTTP server around any `ModelBackend` (what `reason serve-model` runs).

Routes:

- `GET /v1/models`: the one model served.
- `POST /v1/chat/completions`: OpenAI's chat completions, whole (`choices[0].message.content`,
  `finish_reason`, `usage`) or streamed as server-sent events (`chat.completion.chunk` objects,
  a usage chunk if `stream_options.include_usage`, then `data: [DONE]`).
- `GET /healthz`: liveness (no auth).

Any model name is accepted (one model is served) and echoed back. Errors have OpenAI's shape,
`{"error": {"message", "type", "code", "param"}}`: 400 for an invalid request, 401 for a
missing or wrong bearer token (compared in constant time), 413 for a body above
`max_body_bytes`, 500 when the backend fails before the first token. A failure after the first
token ends the stream with an error event (no `[DONE]`). A client that goes away cancels its
generation: the backend stream is closed, which frees its slot.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable
from typing import Any, Literal, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException
from starlette.responses import StreamingResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from reasoning.errors import InvalidArgument
from reasoning.llm._base import MAX_TOKENS_LIMIT, BackendError, Delta, ModelBackend, check_params, collect
from reasoning.service._auth import BearerAuth, validate_token

log = logging.getLogger("reasoning.model_server")

#: `max_tokens` when a request gives none.
DEFAULT_MAX_TOKENS = 256
#: How often a waiting request checks whether its client is still there.
DISCONNECT_POLL_S = 0.25

T = TypeVar("T")


# ------------------------------------------------------------------------------- request models


class TextPart(BaseModel):
    """A text part of a message's content (OpenAI's `{"type": "text", "text": ...}`)."""

    type: Literal["text"]
    text: str


class ChatMessage(BaseModel):
    """One chat message."""

    role: Literal["system", "user", "assistant"]
    content: str | list[TextPart]

    def text(self) -> str:
        return self.content if isinstance(self.content, str) else "".join(p.text for p in self.content)


class StreamOptions(BaseModel):
    include_usage: bool = False


class ChatRequest(BaseModel):
    """The fields of OpenAI's chat-completions request that matter here; others are ignored."""

    model_config = ConfigDict(extra="ignore")

    model: str | None = None
    messages: list[ChatMessage] = Field(min_length=1)
    max_tokens: int | None = Field(None, ge=1, le=MAX_TOKENS_LIMIT)
    max_completion_tokens: int | None = Field(None, ge=1, le=MAX_TOKENS_LIMIT)
    stop: str | list[str] | None = None
    temperature: float | None = Field(None, ge=0, le=2)
    seed: int | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: int = 1


# ------------------------------------------------------------------------------- errors


class OpenAIError(Exception):
    """A refusal in OpenAI's error shape."""

    def __init__(self, status: int, message: str, *, kind: str, code: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.kind, self.code, self.param = status, message, kind, code, param

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.kind, "code": self.code, "param": self.param}}

    def response(self, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=headers)


def _backend_failure(exc: BackendError) -> OpenAIError:
    return OpenAIError(500, f"the model failed: {exc}", kind="server_error", code=exc.kind)


async def _send_error(send: Send, error: OpenAIError, headers: dict[str, str] | None = None) -> None:
    body = json.dumps(error.body()).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": error.status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def _unauthorized(message: str) -> dict[str, Any]:
    """A 401 body in OpenAI's shape."""
    return OpenAIError(401, message, kind="invalid_request_error", code="invalid_api_key").body()


class ModelServerGuard:
    """Body size for every `/v1/` request, before FastAPI reads anything (the token is checked
    before it, by `reasoning.service._auth.BearerAuth`)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app, self.max_body_bytes = app, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        too_large = OpenAIError(
            413,
            f"the request body is larger than this server's limit of {self.max_body_bytes} bytes",
            kind="invalid_request_error",
            code="body_too_large",
        )
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await _send_error(send, too_large)
            return
        if scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        parts, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            part = message.get("body", b"")
            size += len(part)
            if size > self.max_body_bytes:
                await _send_error(send, too_large)
                return
            parts.append(part)
            more = message.get("more_body", False)
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if replayed:
                return await receive()  # from now on: the client's disconnect
            replayed = True
            return {"type": "http.request", "body": b"".join(parts), "more_body": False}

        await self.app(scope, replay, send)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OpenAIError)
    async def openai_error(request: Request, exc: OpenAIError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return OpenAIError(
                400, "the body is not valid JSON", kind="invalid_request_error", code="invalid_json"
            ).response()
        first = errors[0] if errors else {}
        loc = [str(part) for part in first.get("loc", ()) if part != "body"]
        message = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body')}: {e.get('msg', '')}" for e in errors
        )
        return OpenAIError(
            400,
            message or "invalid request",
            kind="invalid_request_error",
            code="invalid_value",
            param=".".join(loc) or None,
        ).response()

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return OpenAIError(
            exc.status_code, str(exc.detail), kind="invalid_request_error", code=str(exc.status_code)
        ).response()

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return OpenAIError(
            500, "internal error (see the server log)", kind="server_error", code="internal"
        ).response()


# ------------------------------------------------------------------------------- helpers


class ClientGone(Exception):
    """The client disconnected while its request was waiting."""


async def _unless_disconnected(request: Request, awaitable: Awaitable[T]) -> T:
    """Await `awaitable`, cancelling it (and raising ClientGone) if the client goes away."""
    task = asyncio.ensure_future(awaitable)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=DISCONNECT_POLL_S)
            if done:
                return task.result()
            if await request.is_disconnected():
                raise ClientGone()
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


class _EventStream(StreamingResponse):
    """A streaming response that always closes its iterator and the backend stream at the end,
    also when the client went away mid-stream."""

    def __init__(self, content: AsyncIterator[bytes], backend_stream: Any) -> None:
        super().__init__(
            content,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
        self.backend_stream = backend_stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.body_iterator.aclose()  # type: ignore[attr-defined]
            await self.backend_stream.aclose()


def _sse(obj: Any) -> bytes:
    return f"data: {json.dumps(obj, separators=(',', ':'))}\n\n".encode()


def _usage(prompt_tokens: int | None, completion_tokens: int) -> dict[str, int]:
    prompt = prompt_tokens or 0
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt + completion_tokens,
    }


# ------------------------------------------------------------------------------- the app


def create_app(
    backend: ModelBackend,
    *,
    token: str | None = None,
    max_body_bytes: int = 1_000_000,
    model_name: str | None = None,
) -> FastAPI:
    """The OpenAI-compatible app serving `backend` (see the module docstring).

    `token`: the bearer token clients must send (None: no auth). `model_name`: the name listed
    at /v1/models (default: `backend.name`). The app does not close the backend.
    """
    if token is not None:
        validate_token(token)  # an empty token is an error, not "no auth"
    if not isinstance(max_body_bytes, int) or max_body_bytes < 1:
        raise InvalidArgument(f"max_body_bytes must be a positive int, got {max_body_bytes!r}")
    served = model_name or backend.name
    app = FastAPI(
        title="reasoning model server",
        summary=f"An OpenAI-compatible chat-completions server for {served}.",
    )
    app.state.backend, app.state.model_name = backend, served
    app.add_middleware(ModelServerGuard, max_body_bytes=max_body_bytes)
    app.add_middleware(BearerAuth, token=token, prefix="/v1/", error_body=_unauthorized)  # outermost
    _install_error_handlers(app)

    @app.get("/healthz", tags=["service"])
    async def healthz() -> dict[str, Any]:
        """Liveness; needs no token."""
        return {"status": "ok", "model": served, "auth": token is not None}

    @app.get("/v1/models", tags=["openai"])
    async def models() -> dict[str, Any]:
        """The one model served."""
        return {
            "object": "list",
            "data": [{"id": served, "object": "model", "created": 0, "owned_by": "reasoning"}],
        }

    @app.post("/v1/chat/completions", tags=["openai"], response_model=None)
    async def chat_completions(body: ChatRequest, request: Request) -> JSONResponse | _EventStream:
        """A chat completion, whole or streamed (`stream: true`)."""
        if body.n != 1:
            raise OpenAIError(
                400,
                "n must be 1 on this server",
                kind="invalid_request_error",
                code="invalid_value",
                param="n",
            )
        max_tokens = body.max_tokens or body.max_completion_tokens or DEFAULT_MAX_TOKENS
        stop = [body.stop] if isinstance(body.stop, str) else list(body.stop or [])
        params = {
            "max_tokens": max_tokens,
            "stop": stop,
            "temperature": body.temperature or 0.0,
            "seed": body.seed or 0,
        }
        try:
            check_params(params["max_tokens"], stop, params["temperature"], params["seed"])
        except InvalidArgument as exc:
            raise OpenAIError(400, str(exc), kind="invalid_request_error", code="invalid_value") from exc
        messages = [{"role": m.role, "content": m.text()} for m in body.messages]
        model = body.model or served
        ident, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        stream = backend.stream(messages, **params)
        if not body.stream:
            try:
                generation = await _unless_disconnected(request, collect(stream, model=model))
            except BackendError as exc:
                raise _backend_failure(exc) from exc
            except ClientGone:
                return JSONResponse({}, status_code=499)
            finally:
                await stream.aclose()
            return JSONResponse(
                {
                    "id": ident,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": generation.text},
                            "finish_reason": generation.finish_reason,
                        }
                    ],
                    "usage": _usage(generation.prompt_tokens, generation.completion_tokens),
                }
            )
        try:
            first = await _unless_disconnected(request, anext(stream, None))
        except BaseException as exc:
            await stream.aclose()
            if isinstance(exc, BackendError):
                raise _backend_failure(exc) from exc
            if isinstance(exc, ClientGone):
                return JSONResponse({}, status_code=499)
            raise
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        events = _chunks(
            stream, first, ident=ident, created=created, model=model, include_usage=include_usage
        )
        return _EventStream(events, stream)

    return app


async def _chunks(
    stream: AsyncIterator[Delta],
    first: Delta | None,
    *,
    ident: str,
    created: int,
    model: str,
    include_usage: bool,
) -> AsyncIterator[bytes]:
    """The SSE body of a streamed completion, starting from its already-read `first` delta."""

    def chunk(delta: dict[str, str], finish_reason: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }
        if include_usage:
            out["usage"] = None
        return out

    yield _sse(chunk({"role": "assistant", "content": ""}))
    tokens, prompt_tokens, finish = 0, None, "stop"
    delta = first
    try:
        while delta is not None:
            tokens += delta.tokens
            if delta.prompt_tokens is not None:
                prompt_tokens = delta.prompt_tokens
            if delta.finish_reason is not None:
                finish = delta.finish_reason
            if delta.text:
                yield _sse(chunk({"content": delta.text}))
            delta = await anext(stream, None)
    except BackendError as exc:
        yield _sse(_backend_failure(exc).body())
        return
    except Exception as exc:  # noqa: BLE001 - the stream must end with an error event, never hang
        log.exception("the backend failed mid-stream")
        failure = OpenAIError(
            500, f"internal error: {type(exc).__name__}", kind="server_error", code="internal"
        )
        yield _sse(failure.body())
        return
    yield _sse(chunk({}, finish))
    if include_usage:
        yield _sse(
            {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [],
                "usage": _usage(prompt_tokens, tokens),
            }
        )
    yield b"data: [DONE]\n\n"
