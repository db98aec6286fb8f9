"""`reason serve-model`: serve a model over an OpenAI-compatible HTTP API, so several engine
processes (or any OpenAI client) share one loaded model.

The bearer token comes from `--token-file` or else `REASONING_TOKEN` (as for `reason serve`);
without one the server only listens on loopback and refuses any other address (exit status 2).
"""

from __future__ import annotations

import json
import socket
import sys
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from reasoning.cli._serve import bind_socket, url_of
from reasoning.errors import InvalidArgument
from reasoning.llm._base import BackendError, ModelBackend
from reasoning.llm._model_server import create_app
from reasoning.llm._spec import load_backend, parse_model_spec
from reasoning.service._auth import TOKEN_ENV, read_token, require_token_off_loopback

err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def serve_model(
    model: str = typer.Option(
        "local",
        "--model",
        help="What to serve: 'local' (the packaged SmolLM2-135M-Instruct), a local model directory "
        "or .gguf file, or openai:http://host:port/v1 or .../v1/MODEL (a proxy).",
    ),
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to listen on (not loopback: a token is required)."
    ),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="Port to listen on (0: any free port)."),
    token_file: Path = typer.Option(
        None, "--token-file", help=f"File holding the bearer token (default: ${TOKEN_ENV})."
    ),
    max_batch: int = typer.Option(
        8, "--max-batch", min=1, help="Requests sharing one forward pass (local models)."
    ),
    no_batching: bool = typer.Option(
        False, "--no-batching", help="Serve one request at a time (local models)."
    ),
    preload: bool = typer.Option(
        True,
        "--preload/--no-preload",
        help="Load the model before listening, so the first request is not slow.",
    ),
    max_body_bytes: int = typer.Option(1_000_000, "--max-body-bytes", min=1, help="Largest request body."),
    json_output: bool = typer.Option(
        False, "--json", help='When ready, print one JSON line {"url": ..., "model": ...} to stdout.'
    ),
    log_level: str = typer.Option("warning", "--log-level", help="uvicorn's log level."),
) -> None:
    """Serve a model as an OpenAI-compatible API: /v1/chat/completions (streaming), /v1/models,
    /healthz. Point the engine at it with --model openai:http://HOST:PORT/v1 (the URL it prints).

    The port is bound before the model is loaded: a port in use is an error at once.
    """
    try:
        token = read_token(token_file)
        require_token_off_loopback(host, token)
        spec = parse_model_spec(model)
        sock = bind_socket(host, port)
    except InvalidArgument as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    try:
        options = {"batching": not no_batching, "max_batch": max_batch} if spec.kind == "local" else {}
        backend = load_backend(spec, **options)
    except (InvalidArgument, BackendError) as exc:
        sock.close()
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc

    if preload and hasattr(backend, "load"):
        err.print(f"loading model {escape(str(spec))}…")
        started = time.perf_counter()
        try:
            backend.load()
        except BackendError as exc:
            sock.close()
            err.print(f"[red]error:[/] cannot load the model: {escape(str(exc))}")
            raise typer.Exit(1) from exc
        err.print(f"loaded {escape(backend.name)} in {time.perf_counter() - started:.1f} s")
    _run(
        backend,
        sock,
        host=host,
        token=token,
        max_body_bytes=max_body_bytes,
        json_output=json_output,
        log_level=log_level,
    )


def _run(
    backend: ModelBackend,
    sock: socket.socket,
    *,
    host: str,
    token: str | None,
    max_body_bytes: int,
    json_output: bool,
    log_level: str,
) -> None:
    """Serve `backend` on the bound `sock` with uvicorn until interrupted; announce the URL
    once listening."""
    import uvicorn

    url = url_of(host, sock) + "/v1"
    app = create_app(backend, token=token, max_body_bytes=max_body_bytes)
    server = uvicorn.Server(uvicorn.Config(app, log_level=log_level, access_log=False))
    startup = server.startup

    async def announce(sockets=None) -> None:
        await startup(sockets=sockets)
        if server.started:
            auth = "bearer token required" if token else "no auth: loopback only"
            err.print(f"serving {escape(backend.name)} on {escape(url)} ({auth})")
            if json_output:
                sys.stdout.write(
                    json.dumps({"url": url, "model": backend.name, "auth": token is not None}) + "\n"
                )
                sys.stdout.flush()

    server.startup = announce  # type: ignore[method-assign]
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        backend.close()
