"""`reason serve`: run the HTTP API (`reasoning.service._http`) with uvicorn.

The bearer token comes from `--token-file` or else the `REASONING_TOKEN` environment variable.
Without one the server only listens on loopback: on any other address it refuses to start
(exit status 2), as it does for any invalid limit or an empty token (`reasoning.service._auth`).
"""

from __future__ import annotations

import socket
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from reasoning.cli._deprecated import deprecated
from reasoning.errors import InvalidArgument
from reasoning.service._auth import TOKEN_ENV, read_token
from reasoning.service._http import create_app
from reasoning.service._limits import LIMITS, Settings

err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def bind_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (host, port) and listening, for uvicorn's `sockets=`; binding
    before anything is announced makes a port in use one clear InvalidArgument, before any
    "serving on" line (and lets `--port 0` print the port it got)."""
    bare = host.strip().strip("[]")
    family = socket.AF_INET6 if ":" in bare else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((bare, port))
        sock.listen(2048)  # connections made before uvicorn is up wait in the backlog
    except OSError as exc:
        sock.close()
        why = exc.strerror or str(exc)
        hint = "; another program listens there: choose another --port" if exc.errno == 98 else ""
        raise InvalidArgument(f"cannot listen on {host}:{port}: {why}{hint}") from exc
    return sock


def url_of(host: str, sock: socket.socket) -> str:
    """`http://HOST:PORT` of a bound socket (IPv6 hosts in brackets)."""
    bare = host.strip().strip("[]")
    shown = f"[{bare}]" if ":" in bare else bare
    return f"http://{shown}:{sock.getsockname()[1]}"


def serve(
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to listen on (not loopback: a token is required)."
    ),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="Port to listen on (0: any free port)."),
    token_file: Path = typer.Option(
        None, "--token-file", help=f"File holding the bearer token (default: ${TOKEN_ENV})."
    ),
    processes: int = typer.Option(
        None, "--processes", min=1, help="Verification processes (default: one per CPU, at most 8)."
    ),
    workers: int = typer.Option(None, "--workers", min=1, hidden=True, help="Old --processes."),
    max_claims: int = typer.Option(
        LIMITS.max_items, "--max-claims", min=1, help="Claims, pairs or certificates per request."
    ),
    max_claim_chars: int = typer.Option(
        LIMITS.max_claim_chars,
        "--max-claim-chars",
        min=1,
        help="Characters per claim or answer (longer ones get 422).",
    ),
    max_budget: float = typer.Option(
        LIMITS.max_budget_s,
        "--max-budget",
        min=0.001,
        max=LIMITS.budget_ceiling_s,
        help="Most seconds a request may ask per claim, pair or certificate.",
    ),
    max_solve_budget: float = typer.Option(
        LIMITS.max_solve_budget_s,
        "--max-solve-budget",
        min=0.001,
        max=LIMITS.budget_ceiling_s,
        help="Most seconds a /v1/solve run may ask.",
    ),
    max_body_bytes: int = typer.Option(
        LIMITS.max_body_bytes, "--max-body-bytes", min=1, help="Largest request body."
    ),
    max_concurrent: int = typer.Option(32, "--max-concurrent", min=1, help="Requests handled at once."),
    max_queue: int = typer.Option(64, "--max-queue", min=0, help="Requests waiting beyond those (then 429)."),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn's log level."),
) -> None:
    """Serve the HTTP API: /v1/verify, /v1/equiv, /v1/check, /v1/solve, /healthz, /openapi.json."""
    try:
        if workers is not None:  # one meaning per word: --workers names worker kinds elsewhere
            deprecated("--workers N", "--processes N")
            if processes is not None and processes != workers:
                raise InvalidArgument(
                    f"--workers {workers} (the old --processes) and --processes {processes} disagree"
                )
            processes = workers
        token = read_token(token_file)
        settings = Settings(
            host=host,
            port=port,
            token=token,
            max_claims=max_claims,
            max_claim_chars=max_claim_chars,
            max_budget_s=max_budget,
            default_budget_s=min(LIMITS.default_budget_s, max_budget),
            max_solve_budget_s=max_solve_budget,
            default_solve_budget_s=min(LIMITS.default_solve_budget_s, max_solve_budget),
            max_body_bytes=max_body_bytes,
            max_concurrent=max_concurrent,
            max_queue=max_queue,
            **({"workers": processes} if processes is not None else {}),
        )
        sock = bind_socket(host, port)
    except InvalidArgument as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    import uvicorn

    err.print(
        f"serving on {escape(url_of(host, sock))} ({settings.workers} verification processes, "
        f"{'bearer token required' if token else 'no auth: loopback only'})"
    )
    config = uvicorn.Config(create_app(settings), log_level=log_level)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn shut down gracefully, then re-raised the SIGINT
        pass
    finally:
        sock.close()
