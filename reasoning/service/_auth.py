"""Bearer-token auth shared by every server: `reason serve` (the HTTP API), `reason mcp` over HTTP
and `reason serve-model` (the OpenAI-compatible model server).

One rule for all three:

- the token comes from `--token-file` (stripped) or else `$REASONING_TOKEN` (stripped);
- an empty token file, or a `REASONING_TOKEN` that is set but empty or blank, is an error
  (InvalidArgument), never "no auth": a typo in a deployment must not open the server;
- a token is printable ASCII without whitespace (it travels in an HTTP header);
- no token is allowed only on a loopback address (`require_token_off_loopback`);
- every guarded request carries `Authorization: Bearer <token>` (scheme case-insensitive), compared
  in constant time; otherwise 401 with `WWW-Authenticate: Bearer` and the server's own JSON error
  body (`BearerAuth`).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from reasoning.api import InvalidArgument

#: The environment variable every server reads its token from (unless given --token-file).
TOKEN_ENV = "REASONING_TOKEN"
#: Largest token file read (a token is a line, not a document).
MAX_TOKEN_FILE_BYTES = 4096
#: What a 401 tells the client.
UNAUTHORIZED_MESSAGE = "missing or wrong bearer token (API key): send 'Authorization: Bearer <token>'"


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, `localhost`)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # any other host name may resolve to a public address


def validate_token(token: object) -> str:
    """`token` if it can be a bearer token (non-empty printable ASCII, no whitespace), else
    InvalidArgument."""
    if not isinstance(token, str) or not token or any(c.isspace() for c in token):
        raise InvalidArgument("the token must be a non-empty string without spaces")
    if not token.isprintable() or not token.isascii():
        raise InvalidArgument("the token must be printable ASCII (it travels in an HTTP header)")
    return token


def read_token(token_file: Path | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The token from `token_file` (whitespace stripped), else from $REASONING_TOKEN, else None.

    Raises InvalidArgument for an unreadable, oversized or empty file, a variable that is set but
    empty (an empty token would silently mean no auth), or a token that cannot be sent in a header.
    """
    if token_file is not None:
        try:
            with Path(token_file).open("rb") as handle:
                raw = handle.read(MAX_TOKEN_FILE_BYTES + 1)
        except OSError as exc:
            raise InvalidArgument(f"cannot read the token file {token_file}: {exc.strerror or exc}") from exc
        if len(raw) > MAX_TOKEN_FILE_BYTES:
            raise InvalidArgument(f"the token file {token_file} is larger than {MAX_TOKEN_FILE_BYTES} bytes")
        token = raw.decode("utf-8", errors="replace").strip()
        if not token:
            raise InvalidArgument(f"the token file {token_file} is empty")
        return validate_token(token)
    value = (os.environ if environ is None else environ).get(TOKEN_ENV)
    if value is None:
        return None
    if not value.strip():
        raise InvalidArgument(f"{TOKEN_ENV} is set but empty: unset it (loopback only) or set a token")
    return validate_token(value.strip())


def require_token_off_loopback(host: str, token: str | None) -> None:
    """InvalidArgument when `host` may be reached from other machines and there is no token."""
    if token is None and not is_loopback(host):
        raise InvalidArgument(
            f"refusing to serve on {host}, which other machines may reach, without a token: "
            f"set {TOKEN_ENV} or pass --token-file (or bind to 127.0.0.1)"
        )


def authorized(scope: Scope, token: str) -> bool:
    """Whether the request in `scope` carries `Authorization: Bearer <token>` (constant time)."""
    value = next((v for k, v in scope.get("headers", ()) if k.lower() == b"authorization"), b"")
    scheme, _, given = value.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode("latin-1"), token.encode("ascii"))


def plain_error(message: str) -> dict[str, Any]:
    """The default 401 body: `{"error": message}`."""
    return {"error": message}


class BearerAuth:
    """ASGI middleware: HTTP requests under `prefix` must carry the bearer token, else 401.

    `token` None lets every request through (the caller checked the address is loopback).
    `error_body(message)` builds the JSON body of the 401 in the server's own error shape.
    Lifespan and other non-HTTP events pass through.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str | None,
        prefix: str = "/",
        error_body: Callable[[str], dict[str, Any]] = plain_error,
    ) -> None:
        self.app, self.prefix, self.error_body = app, prefix, error_body
        self.token = None if token is None else validate_token(token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.token is None
            or scope["type"] != "http"
            or not scope["path"].startswith(self.prefix)
            or authorized(scope, self.token)
        ):
            await self.app(scope, receive, send)
            return
        body = json.dumps(self.error_body(UNAUTHORIZED_MESSAGE)).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"www-authenticate", b"Bearer"),
        ]
        await send({"type": "http.response.start", "status": 401, "headers": headers})
        await send({"type": "http.response.body", "body": body})
