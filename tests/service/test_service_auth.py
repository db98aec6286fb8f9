"""The one auth rule of every server (`reasoning.service._auth`): `reason serve`, `reason mcp` over
HTTP and `reason serve-model` read the token the same way, refuse an empty one the same way and
answer a request without it with the same 401."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from reasoning.api import InvalidArgument
from reasoning.cli._main import app as cli
from reasoning.llm._model_server import create_app as model_app
from reasoning.llm._scripted import ScriptedBackend
from reasoning.service._auth import (
    TOKEN_ENV,
    BearerAuth,
    authorized,
    is_loopback,
    read_token,
    require_token_off_loopback,
)
from reasoning.service._http import create_app as http_app_of
from reasoning.service._limits import Settings
from reasoning.service._mcp import build_server, http_app

TOKEN = "t0ken-for-tests"
ROOT = Path(__file__).resolve().parents[2]

#: Each server's CLI command, stopped before it binds a port or loads a model.
COMMANDS = {
    "serve": ["serve", "--port", "0"],
    "mcp": ["mcp", "--transport", "http", "--port", "0"],
    "serve-model": ["serve-model", "--port", "0", "--no-preload", "--model", "/no/such/model.gguf"],
}


# ------------------------------------------------------------------------------- reading the token


@pytest.mark.parametrize("value", ["", " ", "\n\t "])
def test_an_empty_token_variable_is_an_error_not_no_auth(value):
    with pytest.raises(InvalidArgument, match="set but empty"):
        read_token(None, {TOKEN_ENV: value})


def test_the_token_file_wins_and_is_stripped(tmp_path):
    path = tmp_path / "token"
    path.write_text(f"  {TOKEN}\n")
    assert read_token(path, {TOKEN_ENV: "other"}) == TOKEN
    assert read_token(None, {TOKEN_ENV: f" {TOKEN} "}) == TOKEN
    assert read_token(None, {}) is None


def test_bad_token_files_are_errors(tmp_path):
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(InvalidArgument, match="is empty"):
        read_token(empty, {})
    with pytest.raises(InvalidArgument, match="cannot read"):
        read_token(tmp_path / "missing", {})
    spaced = tmp_path / "spaced"
    spaced.write_text("two words")
    with pytest.raises(InvalidArgument, match="without spaces"):
        read_token(spaced, {})


def test_no_token_is_allowed_on_loopback_only():
    require_token_off_loopback("127.0.0.1", None)
    require_token_off_loopback("0.0.0.0", TOKEN)
    with pytest.raises(InvalidArgument, match="refusing to serve on 0.0.0.0"):
        require_token_off_loopback("0.0.0.0", None)
    assert is_loopback(" localhost ") and not is_loopback("example.org")


# ------------------------------------------------------------------------------- every CLI, one rule


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("value", ["", "   "])
def test_every_server_refuses_an_empty_token_variable(command, value):
    """`reason mcp` used to treat REASONING_TOKEN="" as no token and run; now every server exits 2."""
    result = CliRunner().invoke(cli, COMMANDS[command], env={TOKEN_ENV: value})
    assert result.exit_code == 2, result.output
    assert "set but empty" in result.output


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_server_refuses_a_public_address_without_a_token(command):
    args = [*COMMANDS[command], "--host", "0.0.0.0"]
    result = CliRunner().invoke(cli, args, env={TOKEN_ENV: None})
    assert result.exit_code == 2, result.output
    assert "without a token" in result.output


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_server_refuses_an_empty_token_file(command, tmp_path):
    empty = tmp_path / "token"
    empty.write_text(" \n")
    result = CliRunner().invoke(cli, [*COMMANDS[command], "--token-file", str(empty)], env={TOKEN_ENV: None})
    assert result.exit_code == 2, result.output
    assert "is empty" in result.output


# ------------------------------------------------------------------------------- every app, one 401


def _apps(token: str) -> dict[str, object]:
    return {
        "serve": http_app_of(Settings(token=token, workers=1)),
        "mcp": http_app(build_server(), token=token),
        "serve-model": model_app(ScriptedBackend(["x"]), token=token),
    }


PATHS = {"serve": "/v1/verify", "mcp": "/mcp", "serve-model": "/v1/chat/completions"}


async def _post(app: object, path: str, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)  # no lifespan: a 401 never reaches the app
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        return await client.post(path, json={}, headers=headers)


@pytest.mark.parametrize("name", sorted(PATHS))
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"Authorization": f"Basic {TOKEN}"}],
)
def test_every_server_answers_401_without_the_token(name, headers):
    response = asyncio.run(_post(_apps(TOKEN)[name], PATHS[name], headers))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "bearer token" in response.text


def test_each_server_keeps_its_own_error_shape():
    apps = _apps(TOKEN)
    body = asyncio.run(_post(apps["serve"], PATHS["serve"], {})).json()
    assert body["error"] == "unauthorized" and "Bearer" in body["message"]
    body = asyncio.run(_post(apps["serve-model"], PATHS["serve-model"], {})).json()
    assert body["error"]["code"] == "invalid_api_key" and body["error"]["type"] == "invalid_request_error"
    body = asyncio.run(_post(apps["mcp"], PATHS["mcp"], {})).json()
    assert "bearer token" in body["error"]


def test_every_app_refuses_an_empty_token():
    with pytest.raises(InvalidArgument):
        Settings(token="")
    with pytest.raises(InvalidArgument):
        http_app(build_server(), token="")
    with pytest.raises(InvalidArgument):
        model_app(ScriptedBackend(["x"]), token="")
    with pytest.raises(InvalidArgument):
        BearerAuth(model_app(ScriptedBackend(["x"])), token=" ")


def _scope(value: bytes | None) -> dict[str, object]:
    return {"type": "http", "headers": [] if value is None else [(b"authorization", value)]}


def test_the_scheme_is_case_insensitive():
    assert authorized(_scope(f"bearer {TOKEN}".encode()), TOKEN)
    assert authorized(_scope(f"BEARER {TOKEN}".encode()), TOKEN)
    assert not authorized(_scope(None), TOKEN)


@given(st.binary(max_size=64))
def test_only_the_token_authorizes(value):
    assert authorized(_scope(value), TOKEN) == (
        value.partition(b" ")[0].lower() == b"bearer" and value.partition(b" ")[2].strip() == TOKEN.encode()
    )


def test_no_service_module_has_its_own_auth():
    """The token, address and 401 rules live in `reasoning.service._auth` only (issue 14: no logic copied)."""
    pattern = re.compile(r"def is_loopback|compare_digest|REASONING_TOKEN\"|class BearerAuth|def read_token")
    sources = [*(ROOT / "reasoning").rglob("*.py")]
    owners = {
        p.relative_to(ROOT).as_posix() for p in sources if pattern.search(p.read_text(encoding="utf-8"))
    }
    assert owners == {"reasoning/service/_auth.py"}
