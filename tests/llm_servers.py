"""Real HTTP servers for tests of model backends: a good one and faulty ones, on loopback.

- `free_port()`: a TCP port nothing listens on right now (also what a "dead server" is).
- `serve_app(app)`: serve any ASGI app with uvicorn in a background thread; yields the root URL
  (`http://127.0.0.1:PORT`). An OpenAI-compatible base URL is that plus `/v1`.
- `serve_model(backend, **options)`: `reasoning.llm._model_server.create_app(backend)` served the
  same way; yields the root URL. Use it with a `ScriptedBackend` (a test double) to get a real
  OpenAI-compatible server in milliseconds.
- `fault_app(kind, ...)`: a small server that misbehaves in one way (see `FAULTS`);
  `fault_server(kind, ...)` serves it (or, for "dead", yields a URL where nothing listens).
- `openai_spec(url, model)`: the `--model` string for a server at root URL `url`.

Every fault app counts the chat-completion requests it received in `app.state.requests` (a list
of their JSON bodies), so a test can check that a retry happened or did not.

>>> with fault_server("500") as url:  # doctest: +SKIP
...     backend = OpenAIBackend(url + "/v1", "m", max_retries=1, backoff_s=0.01)
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from reasoning.service._background import serve_asgi

#: What `fault_app` can do. Each ends, for a client, in one clear failure (or a retried success).
FAULTS = {
    "dead": "nothing listens on the port: connection refused",
    "500": "every request answers 500 with an OpenAI-style error body",
    "429-then-ok": "the first `failures` requests answer 429 (Retry-After: 0), then a good stream",
    "stall": "answers 200, sends one chunk, then sends nothing for `stall_s` seconds",
    "garbage": "answers 200 text/event-stream whose data line is not JSON",
    "html": "answers 200 text/html (a proxy's error page, say)",
    "no-choices": "answers 200 text/event-stream with JSON chunks that have no `choices`",
    "cut": "sends one chunk, then ends the stream without a finish_reason or [DONE]",
    "401": "answers 401 with an OpenAI-style error body (a wrong or missing API key)",
}


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on `host` that nothing listens on now (bound and released at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@contextmanager
def serve_app(app: Any, *, host: str = "127.0.0.1", start_timeout_s: float = 30.0) -> Iterator[str]:
    """Serve the ASGI `app` with uvicorn on a free loopback port in a daemon thread.

    Yields the root URL (`http://127.0.0.1:PORT`); stops the server on exit (streams still open
    are cut after 2 s, so a stalled handler cannot hang the test).
    """
    with serve_asgi(app, host=host, start_timeout_s=start_timeout_s, graceful_s=2) as url:
        yield url


@contextmanager
def serve_model(backend: Any, **options: Any) -> Iterator[str]:
    """`reasoning.llm._model_server.create_app(backend, **options)` on a real server; yields the
    root URL (the OpenAI base URL is that plus `/v1`)."""
    from reasoning.llm._model_server import create_app

    with serve_app(create_app(backend, **options)) as url:
        yield url


def openai_spec(url: str, model: str = "test-model") -> str:
    """The `--model` string for the OpenAI-compatible server at root URL `url`."""
    return f"openai:{url}/v1/{model}"


# ------------------------------------------------------------------------------- SSE helpers


def chunk(content: str | None = None, finish_reason: str | None = None, **extra: Any) -> dict[str, Any]:
    """One `chat.completion.chunk` object (as an OpenAI server streams it)."""
    delta = {} if content is None else {"content": content}
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "test-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        **extra,
    }


def sse(obj: Any) -> bytes:
    """`obj` as one server-sent event (`data: JSON` and a blank line); strings are sent as is."""
    data = obj if isinstance(obj, str) else json.dumps(obj)
    return f"data: {data}\n\n".encode()


async def good_stream(text: str, *, prompt_tokens: int = 7) -> AsyncIterator[bytes]:
    """A well-formed stream of `text`, one word per chunk, with a usage chunk and `[DONE]`."""
    words = text.split(" ")
    for i, word in enumerate(words):
        yield sse(chunk(word if i == 0 else " " + word))
    yield sse(chunk(None, "stop"))
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": len(words),
        "total_tokens": prompt_tokens + len(words),
    }
    yield sse({**chunk(), "choices": [], "usage": usage})
    yield sse("[DONE]")


def _openai_error(status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> Response:
    body = {"error": {"message": message, "type": kind, "code": str(status)}}
    return JSONResponse(body, status_code=status, headers=headers)


# ------------------------------------------------------------------------------- fault apps


def fault_app(
    kind: str, *, reply: str = "the answer is 42", failures: int = 1, stall_s: float = 60.0
) -> Starlette:
    """A server at `/v1/chat/completions` that misbehaves as `FAULTS[kind]` says (not "dead":
    that one has no app; use `fault_server`). `reply` is the good answer of "429-then-ok";
    `failures` how many 429s come first; `stall_s` how long "stall" is silent."""
    if kind not in FAULTS or kind == "dead":
        raise ValueError(f"unknown fault {kind!r}; expected one of {sorted(set(FAULTS) - {'dead'})}")
    requests: list[Any] = []

    async def completions(request: Request) -> Response:
        try:
            requests.append(await request.json())
        except ValueError:
            requests.append(None)
        if kind == "500":
            return _openai_error(500, "the model crashed (test fault)", "server_error")
        if kind == "401":
            return _openai_error(401, "Incorrect API key provided (test fault)", "invalid_request_error")
        if kind == "429-then-ok":
            if len(requests) <= failures:
                return _openai_error(429, "rate limited (test fault)", "rate_limit", {"Retry-After": "0"})
            return StreamingResponse(good_stream(reply), media_type="text/event-stream")
        if kind == "html":
            return Response("<html><body><h1>502 Bad Gateway</h1></body></html>", media_type="text/html")
        return StreamingResponse(_faulty_stream(kind, stall_s), media_type="text/event-stream")

    async def models(request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": "test-model", "object": "model"}]})

    app = Starlette(
        routes=[
            Route("/v1/chat/completions", completions, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
        ]
    )
    app.state.requests = requests
    app.state.kind = kind
    return app


async def _faulty_stream(kind: str, stall_s: float) -> AsyncIterator[bytes]:
    if kind == "garbage":
        yield b"data: this is not json {{{\n\n"
    elif kind == "no-choices":
        yield sse({"id": "x", "object": "chat.completion.chunk", "note": "no choices here"})
        yield sse("[DONE]")
    elif kind == "cut":
        yield sse(chunk("partial"))
    elif kind == "stall":
        yield sse(chunk("first"))
        await asyncio.sleep(stall_s)  # cancelled when the client goes away
        yield sse(chunk(None, "stop"))
        yield sse("[DONE]")


@contextmanager
def fault_server(kind: str, **options: Any) -> Iterator[str]:
    """Serve `fault_app(kind, **options)`; yields its root URL. For "dead", yields the URL of a
    free port where nothing listens (connections are refused)."""
    if kind == "dead":
        yield f"http://127.0.0.1:{free_port()}"
        return
    with serve_app(fault_app(kind, **options)) as url:
        yield url


# ------------------------------------------------------------------------------- a recording server


def recording_app(reply: Any, *, model: str = "test-model") -> Starlette:
    """A good OpenAI-compatible server that answers each chat completion with `reply(body)` (or
    `reply` itself when it is a string), streamed, and keeps every request body in
    `app.state.requests`, so a test can check what the client sent (a grammar, a seed)."""
    requests: list[Any] = []

    async def completions(request: Request) -> Response:
        body = await request.json()
        requests.append(body)
        text = reply(body) if callable(reply) else reply
        return StreamingResponse(good_stream(text), media_type="text/event-stream")

    async def models(request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": model, "object": "model"}]})

    app = Starlette(
        routes=[
            Route("/v1/chat/completions", completions, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
        ]
    )
    app.state.requests = requests
    return app
