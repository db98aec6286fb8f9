"""The MCP server (`reasoning.service._mcp`, `reason mcp`) through the SDK's own client.

The stdio server runs as a real subprocess (`python -m reasoning.cli._mcp`), shared by the tests
of this module through one client session held open in a background event loop; the streamable
HTTP server runs as another subprocess on a free loopback port.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from reasoning.service._auth import is_loopback
from reasoning.service._limits import LIMITS
from reasoning.service._mcp import CLAIM_LANGUAGE, CLAIM_LANGUAGE_URI, DOMAINS_URI

ROOT = Path(__file__).resolve().parents[2]
TOOLS = {"verify_claims", "check_answer", "solve_task", "check_certificate"}
PLAIN_TASK = {
    "text": "Find integers x, y with x + y = 10 and x - y = 2.",
    "unknowns": {"x": "Int", "y": "Int"},
    "constraints": ["x + y = 10", "x - y = 2"],
}
#: A claim Z3 cannot settle: it takes its whole budget and comes back unknown.
SLOW_CLAIM = (
    "forall x in Int: forall y in Int: forall z in Int: x > 0 and y > 0 and z > 0 -> x^3 + y^3 != z^3"
)


def _server_args(*extra: str) -> list[str]:
    return ["-m", "reasoning.cli._mcp", *extra]


class HeldSession:
    """An MCP client session kept open in a background event loop, driven from sync tests."""

    def __init__(self, target: Any, **client_options: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self._ready: concurrent.futures.Future[Client] = concurrent.futures.Future()
        self._stop: asyncio.Event | None = None
        self._main = asyncio.run_coroutine_threadsafe(self._hold(target, client_options), self.loop)
        self.client = self._ready.result(timeout=60)

    async def _hold(self, target: Any, options: dict[str, Any]) -> None:
        self._stop = asyncio.Event()
        try:
            async with Client(target, **options) as client:
                self._ready.set_result(client)
                await self._stop.wait()
        except BaseException as exc:
            if not self._ready.done():
                self._ready.set_exception(exc)
            raise

    def run(self, coro, timeout: float = 60.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, tool: str, arguments: dict[str, Any], timeout: float = 60.0):
        return self.run(self.client.call_tool(tool, arguments), timeout)

    def close(self) -> None:
        assert self._stop is not None
        self.loop.call_soon_threadsafe(self._stop.set)
        try:
            self._main.result(timeout=30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
            self.loop.close()


def _stdio_params() -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable, args=_server_args("--transport", "stdio"), cwd=str(ROOT), env=dict(os.environ)
    )


@pytest.fixture(scope="module")
def session():
    held = HeldSession(_stdio_params())
    yield held
    held.close()


def _ok(result) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert result.structured_content is not None
    # The text content carries the same JSON, for clients that ignore structured content.
    assert json.loads(result.content[0].text) == result.structured_content
    return result.structured_content


def _error_text(result) -> str:
    assert result.is_error, result.structured_content
    text = " ".join(block.text for block in result.content)
    assert "Traceback" not in text
    return text


# ------------------------------------------------------------------ listing


def test_lists_the_four_tools_with_typed_input_and_output_schemas(session):
    tools = {tool.name: tool for tool in session.run(session.client.list_tools()).tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.description and tool.input_schema["type"] == "object"
        assert tool.output_schema is not None and tool.output_schema["type"] == "object"
        assert tool.annotations is not None and tool.annotations.read_only_hint is True
    claims = tools["verify_claims"].input_schema
    assert claims["required"] == ["claims"]
    assert claims["properties"]["claims"]["minItems"] == 1
    assert claims["properties"]["claims"]["maxItems"] == LIMITS.max_items
    assert claims["properties"]["budget_s"]["exclusiveMinimum"] == 0
    assert claims["properties"]["budget_s"]["maximum"] == LIMITS.max_budget_s
    assert "claim language" in claims["properties"]["claims"]["description"]
    assert set(tools["check_answer"].input_schema["required"]) == {"gold", "prediction"}
    assert tools["solve_task"].input_schema["required"] == ["task"]
    assert tools["check_certificate"].input_schema["required"] == ["certificate"]
    verdict_fields = tools["verify_claims"].output_schema["$defs"]["VerdictOut"]["properties"]
    assert {"status", "certificate", "counterexample"} <= set(verdict_fields)
    assert {"equivalent", "certificate", "counterexample"} <= set(
        tools["check_answer"].output_schema["properties"]
    )
    assert {"answers", "verified", "certificates"} <= set(tools["solve_task"].output_schema["properties"])


def test_resources_document_the_claim_language_and_the_domains(session):
    listed = {str(r.uri): r for r in session.run(session.client.list_resources()).resources}
    assert {CLAIM_LANGUAGE_URI, DOMAINS_URI} <= set(listed)
    assert listed[CLAIM_LANGUAGE_URI].mime_type == "text/markdown"
    text = session.run(session.client.read_resource(CLAIM_LANGUAGE_URI)).contents[0].text
    assert text == CLAIM_LANGUAGE
    for needle in ("forall x in Int", "`= != < <= > >=`", "not and or -> <->", "proved", "counterexample"):
        assert needle in text
    domains = json.loads(session.run(session.client.read_resource(DOMAINS_URI)).contents[0].text)
    from reasoning.domains import names

    assert [d["domain"] for d in domains["domains"]] == names()
    assert set(domains["plain_task"]) == {"text", "unknowns", "constraints", "goal"}


def _squash(text: str) -> str:
    return " ".join(text.split())


def test_the_claim_language_text_follows_the_readme():
    """Every bullet of the README's "Claim language" section is in the resource, word for word."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Claim language", 1)[1].split("\n## ", 1)[0]
    bullets = [_squash(b) for b in re.split(r"\n- ", section)[1:]]
    assert len(bullets) >= 5
    shipped = _squash(CLAIM_LANGUAGE)
    missing = [b for b in bullets if b not in shipped]
    assert not missing, f"README bullets missing from CLAIM_LANGUAGE: {missing}"


# ------------------------------------------------------------------ the tools


def test_verify_claims_gives_verdicts_with_certificates_and_counterexamples(session):
    claims = ["(x + 1)^2 = x^2 + 2x + 1", "x / x = 1", "1 + (2"]
    out = _ok(session.call("verify_claims", {"claims": claims, "detail": "full"}))
    proved, refuted, invalid = out["verdicts"]
    assert proved["status"] == "proved" and proved["certificate"]["kind"] in ("polynomial", "smt", "sympy")
    assert refuted["status"] == "refuted"
    assert refuted["counterexample"]["assignment"] == {"x": "0"}
    assert invalid["status"] == "invalid" and invalid["certificate"] is None
    assert invalid["details"]["line"] == 1 and invalid["details"]["column"] == 7
    assert out["counts"] == {"proved": 1, "refuted": 1, "unknown": 0, "invalid": 1}
    assert out["all_proved"] is False
    # Both certificates re-check through the server; a forged one does not.
    for verdict in (proved, refuted):
        check = _ok(session.call("check_certificate", {"certificate": verdict["certificate"]}))
        assert check["ok"] is True and check["checked"] == "certificate", check
        assert check["kind"] == verdict["certificate"]["kind"]
    forged = dict(refuted["certificate"], assignment={"x": "1"})
    check = _ok(session.call("check_certificate", {"certificate": forged}))
    assert check["ok"] is False and check["message"]
    # A verdict (with its certificate inside) is accepted as well.
    assert _ok(session.call("check_certificate", {"certificate": proved}))["ok"] is True


def test_a_claim_proved_in_a_sympy_worker_process_keeps_the_stdio_wire_clean(session):
    """SymPy runs in child processes; nothing they write may reach the JSON-RPC stream."""
    claims = ["sin(x)^2 + cos(x)^2 = 1"]
    out = _ok(session.call("verify_claims", {"claims": claims, "budget_s": 10, "detail": "full"}))
    verdict = out["verdicts"][0]
    assert verdict["status"] == "proved" and verdict["backend"] == "sympy", verdict
    assert _ok(session.call("check_certificate", {"certificate": verdict["certificate"]}))["ok"] is True


def test_hostile_claims_come_back_unknown_or_invalid_within_budget(session):
    deep = "(" * 9_000 + "1" + ")" * 9_000 + " = 1"  # within the length limit, far past the nesting limit
    hostile = ["2^2^2^2^100 = 5", deep, "1000000! = 1"]
    started = time.perf_counter()
    out = _ok(session.call("verify_claims", {"claims": hostile, "budget_s": 2}, timeout=30))
    elapsed = time.perf_counter() - started
    assert [v["status"] in ("unknown", "invalid") for v in out["verdicts"]] == [True] * 3, out["counts"]
    assert elapsed < 10, f"hostile claims took {elapsed:.1f} s"
    assert len(out["verdicts"][1]["claim"]) < 300  # the echo of a huge claim is shortened
    # The server is unharmed; a claim past the length limit is refused by the schema.
    assert _ok(session.call("verify_claims", {"claims": ["1 + 1 = 2"]}))["all_proved"] is True
    too_long = "1" * LIMITS.max_claim_chars + " = 1"
    assert f"at most {LIMITS.max_claim_chars} characters" in _error_text(
        session.call("verify_claims", {"claims": [too_long]})
    )


def test_check_answer_decides_equivalence(session):
    same = _ok(session.call("check_answer", {"gold": r"\frac{1}{2}", "prediction": "0.5", "detail": "full"}))
    assert same["equivalent"] is True and same["status"] == "proved"
    assert same["certificate"]["kind"] == "equivalence"
    different = _ok(session.call("check_answer", {"gold": "1/2^{99}", "prediction": "1/2^{98}"}))
    assert different["equivalent"] is False and different["status"] == "refuted"
    assert different["counterexample"] is not None
    undecided = _ok(session.call("check_answer", {"gold": "2^2^2^2^100", "prediction": "5"}))
    assert undecided["equivalent"] is None
    check = _ok(session.call("check_certificate", {"certificate": same}))  # a result carrying one
    assert check["ok"] is True and check["kind"] == "equivalence"


def test_solve_task_returns_verified_answers_and_a_bundle_that_rechecks(session):
    out = _ok(session.call("solve_task", {"task": PLAIN_TASK, "budget_s": 30, "detail": "full"}))
    assert out["verified"] is True and out["status"] == "proved"
    assert out["answers"] == ["x = 6\ny = 4"]
    assert out["certificates"] and all(c["certificate"] for c in out["certificates"])
    assert out["task"]["constraints"] == PLAIN_TASK["constraints"]
    assert out["metrics"]["forks"] >= 1
    bundle = out["bundle"]
    report = _ok(session.call("check_certificate", {"certificate": bundle}))
    assert report["ok"] is True and report["checked"] == "bundle" and report["failed"] is None
    assert len(report["items"]) >= 5
    tampered = copy.deepcopy(bundle)
    tampered["answer"]["text"] = "x = 7\ny = 3"
    report = _ok(session.call("check_certificate", {"certificate": tampered}))
    assert report["ok"] is False and report["failed"]
    # With the default detail (summary) no bundle is sent.
    assert _ok(session.call("solve_task", {"task": PLAIN_TASK}))["bundle"] is None


@pytest.mark.parametrize("spelling", ["capacity", "workers"])  # workers: the deprecated spelling
def test_solve_task_takes_its_capacity_under_either_spelling(session, spelling):
    out = _ok(session.call("solve_task", {"task": PLAIN_TASK, spelling: 2, "budget_s": 30}))
    assert out["verified"] is True and out["answers"] == ["x = 6\ny = 4"]


#: Small tasks with a known outcome, for whichever domains are registered.
DOMAIN_EXAMPLES = {
    "countdown": {"numbers": [1, 2, 3], "target": 6},
    "arithmetic": {"expression": "1/2 + 1/3"},
}


def test_solve_task_solves_a_domain_task(session):
    from reasoning.domains import names

    available = [name for name in DOMAIN_EXAMPLES if name in names()]
    if not available:
        pytest.skip(f"none of {sorted(DOMAIN_EXAMPLES)} is registered yet (registered: {names()})")
    domain = available[0]
    task = {"domain": domain, **DOMAIN_EXAMPLES[domain]}
    out = _ok(session.call("solve_task", {"task": task, "budget_s": 30, "detail": "full"}))
    assert out["verified"] is True and out["status"] == "proved", out["message"]
    assert out["answers"] and out["task"]["domain"] == domain
    cert = out["certificates"][0]["certificate"]
    assert _ok(session.call("check_certificate", {"certificate": cert}))["ok"] is True


BAD_ARGUMENTS = [
    ("verify_claims", {}, "claims"),
    ("verify_claims", {"claims": []}, "at least 1 item"),
    ("verify_claims", {"claims": "1 = 1"}, "valid list"),
    ("verify_claims", {"claims": [1]}, "valid string"),
    ("verify_claims", {"claims": ["1 = 1"] * (LIMITS.max_items + 1)}, f"at most {LIMITS.max_items} items"),
    ("verify_claims", {"claims": ["1 = 1"], "budget_s": 0}, "greater than 0"),
    ("verify_claims", {"claims": ["1 = 1"], "budget_s": 1e9}, "less than or equal to 30"),
    ("check_answer", {"gold": "1"}, "prediction"),
    ("check_answer", {"gold": "", "prediction": "1"}, "at least 1 character"),
    ("solve_task", {"task": {"domain": "no-such-domain"}}, "'no-such-domain' found using 'domain'"),
    ("solve_task", {"task": {"text": "t", "unknowns": {"x": "Complex"}}}, "'Int' or 'Real'"),
    (
        "solve_task",
        {"task": {"text": "t", "unknowns": {"x": "Int"}, "constraints": ["x = ("]}},
        "does not parse",
    ),
    ("solve_task", {"task": {}}, "text"),
    ("solve_task", {"task": PLAIN_TASK, "workers": 0}, "greater than or equal to 1"),
    ("solve_task", {"task": PLAIN_TASK, "capacity": 0}, "greater than or equal to 1"),
    ("check_certificate", {"certificate": {"no": "kind"}}, "no certificate found"),
    ("check_certificate", {"certificate": "smt"}, "valid dictionary"),
    ("no_such_tool", {}, "Unknown tool"),
]


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    BAD_ARGUMENTS,
    ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(BAD_ARGUMENTS)],
)
def test_bad_arguments_are_clean_tool_errors(session, tool, arguments, message):
    text = _error_text(session.call(tool, arguments))
    assert message in text, text


def test_a_certificate_of_an_unknown_kind_is_a_failed_check_not_an_error(session):
    out = _ok(session.call("check_certificate", {"certificate": {"kind": "magic", "claim": "1 = 2"}}))
    assert out["ok"] is False and "unknown certificate kind" in out["message"]


def test_the_server_answers_while_a_slow_claim_is_being_checked(session):
    async def race() -> tuple[float, bool]:
        slow = asyncio.create_task(
            session.client.call_tool("verify_claims", {"claims": [SLOW_CLAIM], "budget_s": 3})
        )
        await asyncio.sleep(0.3)  # the slow claim is in Z3 by now
        started = time.perf_counter()
        quick = await session.client.call_tool("check_answer", {"gold": "2", "prediction": "4/2"})
        quick_s = time.perf_counter() - started
        still_running = not slow.done()
        slow_result = await slow
        assert _ok(quick)["equivalent"] is True
        assert _ok(slow_result)["verdicts"][0]["status"] == "unknown"
        return quick_s, still_running

    quick_s, still_running = session.run(race(), timeout=60)
    assert still_running, "the slow claim finished before the quick call: the race proves nothing"
    assert quick_s < 2.0, f"a quick call waited {quick_s:.2f} s behind a slow one"


def test_a_handshake_era_client_gets_the_same_tools():
    held = HeldSession(_stdio_params(), mode="legacy")
    try:
        assert held.client.protocol_version < "2026"
        assert {t.name for t in held.run(held.client.list_tools()).tools} == TOOLS
        out = _ok(held.call("verify_claims", {"claims": ["x^2 >= 0"]}))
        assert out["verdicts"][0]["status"] == "proved"
    finally:
        held.close()


# ------------------------------------------------------------------ streamable HTTP


def _start_http(*extra: str, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """Start `reason mcp --transport http --port 0` and read the URL it prints on stderr."""
    process = subprocess.Popen(
        [sys.executable, *_server_args("--transport", "http", "--port", "0", *extra)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stderr], daemon=True).start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        found = re.search(r"(http://127\.0\.0\.1:\d+/mcp)", line)
        if found:
            return process, found.group(1)
    process.kill()
    process.wait()
    raise AssertionError("the HTTP server did not announce its address")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_streamable_http_transport_with_a_bearer_token():
    import httpx2

    env = dict(os.environ, REASONING_TOKEN="s3cret-token")
    process, url = _start_http(env=env)
    try:
        # No token, a wrong token: 401 before the MCP layer is reached.
        assert httpx.post(url, json={}, timeout=10).status_code == 401
        wrong = httpx.post(url, json={}, headers={"Authorization": "Bearer nope"}, timeout=10)
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"

        async def scenario() -> None:
            async with (
                httpx2.AsyncClient(headers={"Authorization": "Bearer s3cret-token"}, timeout=30) as http,
                Client(streamable_http_client(url, http_client=http)) as client,
            ):
                tools = await client.list_tools()
                assert {t.name for t in tools.tools} == TOOLS
                result = await client.call_tool("verify_claims", {"claims": ["1/2^99 = 1/2^98"]})
                verdict = _ok(result)["verdicts"][0]
                assert verdict["status"] == "refuted" and verdict["counterexample"]["values"]
                bad = await client.call_tool("check_answer", {"gold": 5})
                assert "prediction" in _error_text(bad)

        asyncio.run(scenario())
    finally:
        _stop(process)


def test_http_refuses_a_public_address_without_a_token():
    env = {k: v for k, v in os.environ.items() if k != "REASONING_TOKEN"}
    done = subprocess.run(
        [sys.executable, *_server_args("--transport", "http", "--host", "0.0.0.0", "--port", "0")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "refusing to serve on 0.0.0.0" in done.stderr


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("192.168.1.5", False),
        ("::", False),
        ("example.com", False),
    ],
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback
