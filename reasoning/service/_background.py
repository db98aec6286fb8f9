"""Serve an ASGI app with uvicorn in a daemon thread: for tests, and for programs that want a
server next to them. Used by `reasoning.service._http.serve_in_background` and the model tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def serve_asgi(
    app: Any,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    start_timeout_s: float = 30.0,
    graceful_s: float | None = None,
) -> Iterator[str]:
    """Serve `app` on `host:port` (port 0: a free port); yields the root URL, stops on exit.

    `graceful_s` bounds how long open connections (a stalled stream) may delay the stop.
    Raises RuntimeError when the server does not start within `start_timeout_s`.
    """
    import uvicorn

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets that say so, and without it
    # every small answer (or SSE chunk) waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_host, bound_port = sock.getsockname()[:2]
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=graceful_s)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="asgi-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError("the server did not start")
        time.sleep(0.01)
    try:
        yield f"http://{f'[{bound_host}]' if family == socket.AF_INET6 else bound_host}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(30 if graceful_s is None else graceful_s + 3)
        if thread.is_alive():
            server.force_exit = True
            thread.join(5)
        sock.close()
