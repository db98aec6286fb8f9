"""`reason mcp`: serve the verifier as an MCP server over stdio or streamable HTTP.

Registered on the `reason` app by `reasoning.cli._main` (`app.command("mcp")(mcp)`); also runnable as
`python -m reasoning.cli._mcp`. The tools and resources are in `reasoning.service._mcp`.

Over HTTP the endpoint is `http://HOST:PORT/mcp`. A bearer token (from `REASONING_TOKEN` or
`--token-file`) is required on every request when set, and required to exist at all for a
non-loopback `--host`; an empty token is an error (the rule of `reasoning.service._auth`). `--port 0` picks a free port; the chosen address is printed on stderr.
"""

from __future__ import annotations

import socket
import sys
from enum import Enum
from pathlib import Path

import typer

from reasoning.errors import InvalidArgument
from reasoning.service._auth import TOKEN_ENV, read_token, require_token_off_loopback


class Transport(str, Enum):
    stdio = "stdio"
    http = "http"


def _serve_http(app, host: str, port: int, path: str) -> None:
    """Bind first (so `--port 0` works and the address can be printed), then serve with uvicorn."""
    import uvicorn

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
        sock.listen(2048)  # connections made before uvicorn is up wait in the backlog
    except OSError as exc:
        sock.close()
        typer.echo(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from exc
    bound_port = sock.getsockname()[1]
    shown = f"[{host.strip('[]')}]" if family == socket.AF_INET6 else host
    typer.echo(f"reason mcp: serving MCP (streamable HTTP) on http://{shown}:{bound_port}{path}", err=True)
    sys.stderr.flush()
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=5)
    uvicorn.Server(config).run(sockets=[sock])


def mcp(
    transport: Transport = typer.Option(
        Transport.stdio, "--transport", "-t", help="stdio (for a local client) or http (streamable HTTP)."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="HTTP: the address to listen on."),
    port: int = typer.Option(8765, "--port", min=0, max=65535, help="HTTP: the port (0 = any free port)."),
    path: str = typer.Option("/mcp", "--path", help="HTTP: the endpoint path."),
    token_file: Path | None = typer.Option(
        None,
        "--token-file",
        help=f"HTTP: a file holding the bearer token (default: ${TOKEN_ENV}). Required off loopback.",
    ),
    max_concurrent: int = typer.Option(
        0, "--max-concurrent", min=0, help="CPU-bound tool calls at once (0 = one per CPU, at least 2)."
    ),
    log_level: str = typer.Option("WARNING", "--log-level", help="Server log level (logs go to stderr)."),
) -> None:
    """Serve the verifier to agents over MCP: tools verify_claims, check_answer, solve_task and
    check_certificate, and the claim-language resource.

    Over stdio the process speaks JSON-RPC on stdin/stdout (point an MCP client's command at
    `reason mcp`); over HTTP it serves streamable HTTP at http://HOST:PORT/mcp.
    """
    from reasoning.service._mcp import DEFAULT_MAX_CONCURRENT, build_server, http_app

    level = log_level.upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise typer.BadParameter("one of DEBUG, INFO, WARNING, ERROR, CRITICAL", param_hint="--log-level")
    if not path.startswith("/"):
        raise typer.BadParameter("the path starts with '/'", param_hint="--path")
    if transport is Transport.stdio:
        build_server(max_concurrent=max_concurrent or DEFAULT_MAX_CONCURRENT, log_level=level).run("stdio")
        return
    try:
        token = read_token(token_file)
        require_token_off_loopback(host, token)
    except InvalidArgument as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    server = build_server(max_concurrent=max_concurrent or DEFAULT_MAX_CONCURRENT, log_level=level)
    _serve_http(http_app(server, host=host, path=path, token=token), host, port, path)


if __name__ == "__main__":  # pragma: no cover - `python -m reasoning.cli._mcp`
    typer.run(mcp)
