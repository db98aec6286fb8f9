"""The HTTP API on a real uvicorn server on loopback, called with httpx: every endpoint, auth,
every limit, malformed input, dying and hanging workers, and a slow claim next to fast requests."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import typer
from typer.testing import CliRunner

import reasoning
from reasoning.cli._serve import serve
from reasoning.engine._bundle import check_bundle
from reasoning.service._auth import is_loopback
from reasoning.service._http import create_app, serve_in_background
from reasoning.service._jobs import JobPool, unknown_verdict, verify_job
from reasoning.service._limits import Settings
from reasoning.service._wire import SolveRequest

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
#: Z3 cannot decide this within a few seconds: it runs to its budget and comes back unknown.
FERMAT = "forall x, y, z in Int: x^3 + y^3 != z^3 or x*y*z = 0"
TASK = json.loads((ROOT / "examples" / "task.json").read_text())
ENDPOINTS = {
    "/v1/verify": {"claims": ["1 + 1 = 2"]},
    "/v1/equiv": {"gold": "1", "prediction": "1"},
    "/v1/check": {"certificate": {"kind": "exact", "claim": "1 = 1", "holds": True, "values": []}},
    "/v1/solve": {"task": {"domain": "no-such-domain"}},
}


@pytest.fixture(scope="module")
def app():
    settings = Settings(
        port=0,
        token=TOKEN,
        workers=2,
        max_claims=8,
        max_claim_chars=2000,
        default_budget_s=2.0,
        max_budget_s=5.0,
        max_solve_budget_s=30.0,
        max_concurrent=16,
        max_queue=16,
        kill_slack_s=3.0,
    )
    return create_app(settings)


@pytest.fixture(scope="module")
def url(app):
    with serve_in_background(app) as base:
        httpx.post(
            base + "/v1/equiv", json={"gold": "1", "prediction": "1"}, headers=AUTH, timeout=60
        )  # warm
        yield base


@pytest.fixture(scope="module")
def client(url):
    with httpx.Client(base_url=url, headers=AUTH, timeout=60) as session:
        yield session


def wait_until(condition, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] == code, body
    assert body["message"]
    return body


# ------------------------------------------------------------------------------- endpoints


def test_healthz_needs_no_token_and_reports_the_pool(url):
    wait_until(lambda: httpx.get(url + "/healthz").json()["workers_running"] == 2)
    body = httpx.get(url + "/healthz").json()
    assert body["status"] == "ok"
    assert body["auth"] is True
    assert body["processes"] == 2 and body["processes_running"] == 2
    assert body["workers"] == 2 and body["workers_running"] == 2  # deprecated spellings, still sent
    assert body["active_requests"] == 0 and body["queued_requests"] == 0


def test_openapi_document_lists_every_endpoint_and_the_bearer_scheme(url):
    document = httpx.get(url + "/openapi.json").json()
    assert set(ENDPOINTS) | {"/healthz"} <= set(document["paths"])
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    responses = document["paths"]["/v1/verify"]["post"]["responses"]
    assert {"200", "401", "413", "422", "429"} <= set(responses)
    assert responses["413"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")


def test_verify_answers_a_batch_in_order_with_certificates_that_recheck(client):
    claims = ["2^10 = 1024", "x^2 < 0", "(x+1)^2 = x^2 + 2x + 1", "1 +"]
    response = client.post("/v1/verify", json={"claims": claims})
    assert response.status_code == 200, response.text
    verdicts = response.json()["verdicts"]
    assert [v["status"] for v in verdicts] == ["proved", "refuted", "proved", "invalid"]
    assert [v["claim"] for v in verdicts] == claims
    assert verdicts[1]["counterexample"]["assignment"] == {"x": "0"}
    for verdict in verdicts[:3]:
        assert reasoning.check_certificate(verdict["certificate"], use_cvc5=False).ok
    assert {"line", "column", "expected"} <= set(verdicts[3]["details"])


def test_equiv_judges_one_pair_and_a_batch(client):
    one = client.post("/v1/equiv", json={"gold": "\\frac{1}{2}", "prediction": "0.5"}).json()["results"]
    assert len(one) == 1 and one[0]["equivalent"] is True and one[0]["status"] == "proved"
    assert reasoning.check_certificate(one[0]["certificate"], use_cvc5=False).ok
    pairs = [
        {"gold": "x = 5", "prediction": "5"},
        {"gold": "(x+2)^2", "prediction": "x^2+4x+4"},
        {"gold": "1", "prediction": "2"},
        {"gold": "\\frac{", "prediction": "1"},
    ]
    results = client.post("/v1/equiv", json={"pairs": pairs, "budget_s": 5}).json()["results"]
    assert [r["equivalent"] for r in results] == [True, True, False, None]
    assert [r["status"] for r in results] == ["proved", "proved", "refuted", "invalid"]
    assert "gold" in results[3]["message"]


def test_check_recheks_certificates_and_rejects_a_tampered_one(client):
    verdict = client.post("/v1/verify", json={"claims": ["2^10 = 1024"]}).json()["verdicts"][0]
    good = verdict["certificate"]
    bad = copy.deepcopy(good)
    bad["claim"] = "2^10 = 1025"
    assert client.post("/v1/check", json={"certificate": good}).json()["ok"] is True
    assert client.post("/v1/check", json={"certificate": bad}).json()["ok"] is False
    batch = client.post("/v1/check", json={"certificates": [good, bad, {"kind": "nonsense"}]}).json()
    assert batch["ok"] is False
    assert [r["ok"] for r in batch["reports"]] == [True, False, False]
    assert "unknown certificate kind" in batch["reports"][2]["message"]


def test_solve_answers_with_certificates_and_a_bundle_that_rechecks(client):
    response = client.post("/v1/solve", json={"task": TASK, "include_bundle": True, "budget_s": 20})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["verified"] is True and result["status"] == "proved"
    assert result["answers"] == ["x = 6\ny = 4"]
    assert result["certificates"]
    for entry in result["certificates"]:
        assert reasoning.check_certificate(entry["certificate"], use_cvc5=False).ok
    bundle = result["bundle"]
    assert check_bundle(bundle, use_cvc5=False).ok  # re-checked here, without trusting the server
    checked = client.post("/v1/check", json={"bundle": bundle}).json()
    assert checked["ok"] is True and checked["bundle"]["failed"] is None
    tampered = copy.deepcopy(bundle)
    tampered["answer"]["text"] = "x = 7\ny = 3"
    refused = client.post("/v1/check", json={"bundle": tampered}).json()
    assert refused["ok"] is False and refused["bundle"]["failed"]


@pytest.mark.parametrize("spelling", ["capacity", "workers"])  # workers: the deprecated spelling
def test_solve_takes_its_capacity_under_either_spelling(client, spelling):
    assert SolveRequest.model_validate({"task": TASK, spelling: 3}).capacity == 3
    assert_error(client.post("/v1/solve", json={"task": TASK, spelling: 0}), 422, "invalid_request")
    response = client.post("/v1/solve", json={"task": TASK, spelling: 2, "budget_s": 20})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "proved"


def test_a_task_outside_the_schema_is_422_naming_the_field(client):
    body = assert_error(
        client.post("/v1/solve", json={"task": {"domain": "no-such-domain"}}), 422, "invalid_request"
    )
    assert "no-such-domain" in body["message"] and "countdown" in body["message"]
    body = assert_error(client.post("/v1/solve", json={"task": {"numbers": [1]}}), 422, "invalid_request")
    assert "text" in body["message"]  # no domain: a plain task, which needs its text
    body = assert_error(
        client.post("/v1/solve", json={"task": {"domain": "countdown", "numbers": "1 2", "target": 3}}),
        422,
        "invalid_request",
    )
    assert "numbers" in body["message"]


def test_a_schema_valid_task_the_engine_cannot_read_is_status_invalid_not_a_refusal(client):
    bad = {"text": "t", "unknowns": {"x": "Int"}, "constraints": ["x + = 1"], "goal": {"kind": "find"}}
    response = client.post("/v1/solve", json={"task": bad})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "invalid" and not body["verified"] and "does not parse" in body["message"]
    assert body["task"] == bad


def test_unknown_routes_and_methods_answer_json(client):
    assert_error(client.get("/v1/nothing"), 404, "not_found")
    assert_error(client.get("/v1/verify"), 405, "method_not_allowed")


# ------------------------------------------------------------------------------- auth


@pytest.mark.parametrize("path", sorted(ENDPOINTS))
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Bearer {TOKEN[:-1]}x"},
        {"Authorization": TOKEN},
    ],
    ids=["missing", "wrong", "last-char", "no-scheme"],
)
def test_every_endpoint_refuses_a_missing_or_wrong_token(url, path, headers):
    response = httpx.post(url + path, json=ENDPOINTS[path], headers=headers)
    assert_error(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("path", sorted(ENDPOINTS))
def test_every_endpoint_accepts_the_token(url, path):
    response = httpx.post(url + path, json=ENDPOINTS[path], headers=AUTH, timeout=60)
    assert response.status_code in (200, 422)  # the solve example is a bad task on purpose
    assert response.json().get("error") != "unauthorized"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True), ("localhost", True),
     ("0.0.0.0", False), ("::", False), ("192.168.1.5", False), ("example.org", False)],
)  # fmt: skip
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_settings_refuse_a_non_loopback_address_without_a_token():
    with pytest.raises(reasoning.InvalidArgument, match="without a token"):
        Settings(host="0.0.0.0")
    assert Settings(host="0.0.0.0", token="t0ken").token == "t0ken"
    assert "t0ken" not in repr(Settings(host="0.0.0.0", token="t0ken"))


@pytest.mark.parametrize(
    "bad",
    [
        {"workers": 0},
        {"max_budget_s": -1.0},
        {"default_budget_s": 10.0, "max_budget_s": 5.0},
        {"max_body_bytes": True},
        {"port": 70000},
        {"token": "two words"},
        {"token": ""},
        {"queue_wait_s": float("inf")},
        {"max_queue": -1},
        {"max_solve_budget_s": 5000.0},
    ],
)
def test_settings_reject_nonsense(bad):
    with pytest.raises(reasoning.InvalidArgument):
        Settings(**bad)


def _serve_cli(args: list[str], env: dict[str, str]):
    app = typer.Typer()
    app.command()(serve)
    return CliRunner().invoke(app, args, env=env)


def test_serve_refuses_a_non_loopback_address_without_a_token(tmp_path):
    result = _serve_cli(["--host", "0.0.0.0", "--port", "0"], env={"REASONING_TOKEN": None})
    assert result.exit_code == 2
    assert "without a token" in result.output
    empty = tmp_path / "token"
    empty.write_text("\n")
    result = _serve_cli(["--host", "0.0.0.0", "--token-file", str(empty)], env={"REASONING_TOKEN": None})
    assert result.exit_code == 2 and "is empty" in result.output
    result = _serve_cli(["--host", "0.0.0.0"], env={"REASONING_TOKEN": "  "})
    assert result.exit_code == 2 and "set but empty" in result.output
    result = _serve_cli(["--token-file", str(tmp_path / "missing")], env={"REASONING_TOKEN": None})
    assert result.exit_code == 2 and "cannot read the token file" in result.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_runs_the_api_in_its_own_process_with_a_token_file(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("file-token-42\n")
    port = _free_port()
    code = "import typer; from reasoning.cli._serve import serve; typer.run(serve)"
    command = [
        sys.executable,
        "-c",
        code,
        "--port",
        str(port),
        "--processes",
        "1",
        "--token-file",
        str(token_file),
    ]
    env = {k: v for k, v in os.environ.items() if k != "REASONING_TOKEN"}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            assert process.poll() is None, process.stderr.read().decode()
            try:
                return httpx.get(base + "/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(up, timeout_s=60)
        claim = {"claims": ["2^10 = 1024"]}
        assert httpx.post(base + "/v1/verify", json=claim, timeout=60).status_code == 401
        # The first verify starts the pool's worker process: on a loaded machine that takes
        # longer than httpx's 5 s default.
        answer = httpx.post(
            base + "/v1/verify", json=claim, headers={"Authorization": "Bearer file-token-42"}, timeout=60
        )
        assert answer.json()["verdicts"][0]["status"] == "proved"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode == 0


# ------------------------------------------------------------------------------- limits


def test_too_many_claims_pairs_or_certificates_are_413(client):
    assert_error(client.post("/v1/verify", json={"claims": ["1 = 1"] * 9}), 413, "too_many_items")
    pairs = [{"gold": "1", "prediction": "1"}] * 9
    body = assert_error(client.post("/v1/equiv", json={"pairs": pairs}), 413, "too_many_items")
    assert "limit is 8" in body["message"]
    certificate = ENDPOINTS["/v1/check"]["certificate"]
    assert_error(client.post("/v1/check", json={"certificates": [certificate] * 9}), 413, "too_many_items")
    assert client.post("/v1/verify", json={"claims": ["1 = 1"] * 8}).status_code == 200


def test_a_budget_above_the_cap_is_422(client):
    body = assert_error(
        client.post("/v1/verify", json={"claims": ["1 = 1"], "budget_s": 6}), 422, "budget_too_high"
    )
    assert "limit of 5 s" in body["message"]
    assert_error(
        client.post("/v1/equiv", json={"gold": "1", "prediction": "1", "budget_s": 60}),
        422,
        "budget_too_high",
    )
    assert_error(client.post("/v1/solve", json={"task": TASK, "budget_s": 31}), 422, "budget_too_high")
    assert_error(client.post("/v1/verify", json={"claims": ["1 = 1"], "budget_s": 0}), 422, "invalid_request")
    nan = b'{"claims": ["1 = 1"], "budget_s": NaN}'
    assert_error(
        client.post("/v1/verify", content=nan, headers={"content-type": "application/json"}),
        422,
        "invalid_request",
    )
    assert client.post("/v1/verify", json={"claims": ["1 = 1"], "budget_s": 5}).status_code == 200


def test_a_claim_that_is_too_long_is_422(client):
    body = assert_error(
        client.post("/v1/verify", json={"claims": ["1 = 1", "1" * 2001]}), 422, "text_too_long"
    )
    assert "claim 1 has 2001 characters" in body["message"]


def test_a_10_mb_body_is_413_and_the_server_carries_on(client):
    huge = b'{"claims": ["' + b"1" * 10_000_000 + b'"]}'
    body = assert_error(
        client.post("/v1/verify", content=huge, headers={"content-type": "application/json"}),
        413,
        "body_too_large",
    )
    assert "1000000 bytes" in body["message"]

    def chunks():  # no Content-Length: the size is only known by reading
        for _ in range(160):
            yield b" " * 65536

    streamed = client.post("/v1/verify", content=chunks(), headers={"content-type": "application/json"})
    assert_error(streamed, 413, "body_too_large")
    assert client.post("/v1/verify", json={"claims": ["1 = 1"]}).json()["verdicts"][0]["status"] == "proved"


def _raw_request(url: str, head: str, body: bytes = b"") -> tuple[socket.socket, bytes]:
    """Send a request by hand (possibly incomplete) and read one whole answer (head and body)."""
    port = int(url.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(head.encode() + body)
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(4096) or pytest.fail(f"connection closed after {answer!r}")
    top, _, rest = answer.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in top.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    while len(rest) < length:
        rest += sock.recv(4096) or pytest.fail("connection closed mid-answer")
    return sock, top + b"\r\n\r\n" + rest


def test_a_declared_10_mb_body_is_refused_before_it_is_sent(url):
    head = (
        "POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Length: 10485760\r\n\r\n"
    )
    sock, answer = _raw_request(url, head)  # not one byte of the body is sent
    with sock:
        assert answer.startswith(b"HTTP/1.1 413")
        assert b"body_too_large" in answer


def test_a_chunked_body_is_cut_off_at_the_limit_without_reading_the_rest(url):
    head = (
        "POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"10000\r\n" + b" " * 0x10000 + b"\r\n"
    sock, answer = _raw_request(url, head, chunk * 20)  # 1.3 MB so far and never finished
    with sock:
        assert answer.startswith(b"HTTP/1.1 413")
        assert b"body_too_large" in answer


def test_a_body_that_stalls_gets_408():
    with serve_in_background(create_app(Settings(port=0, workers=1, body_timeout_s=0.5))) as base:
        head = "POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        start = time.perf_counter()
        sock, answer = _raw_request(base, head, b'{"claims": ')  # 11 of the 100 bytes, then nothing
        with sock:
            assert answer.startswith(b"HTTP/1.1 408") and b"request_timeout" in answer
        assert 0.4 < time.perf_counter() - start < 5


def test_malformed_json_is_400_and_a_wrong_shape_is_422(client):
    json_header = {"content-type": "application/json"}
    body = assert_error(
        client.post("/v1/verify", content=b'{"claims": [', headers=json_header), 400, "malformed_json"
    )
    assert "not valid JSON" in body["message"]
    body = assert_error(client.post("/v1/verify", json={"claims": "1 = 1"}), 422, "invalid_request")
    assert "claims" in body["message"] and body["details"][0]["loc"] == ["body", "claims"]
    body = assert_error(
        client.post("/v1/verify", json={"claims": ["1 = 1"], "budget": 1}), 422, "invalid_request"
    )
    assert "budget: Extra inputs are not permitted" in body["message"]
    body = assert_error(client.post("/v1/equiv", json={"gold": "1"}), 422, "invalid_request")
    assert "gold and prediction come together" in body["message"]
    body = assert_error(client.post("/v1/check", json={}), 422, "invalid_request")
    assert "exactly one of certificate, certificates, bundle" in body["message"]
    assert_error(client.post("/v1/verify", content=b"[]", headers=json_header), 422, "invalid_request")
    assert_error(
        client.post("/v1/verify", content=b"x", headers={"content-type": "text/plain"}),
        415,
        "unsupported_media_type",
    )


# ------------------------------------------------------------------------------- time and failure


def test_a_claim_that_times_out_does_not_hold_up_other_requests(client):
    with ThreadPoolExecutor(1) as executor:
        slow = executor.submit(client.post, "/v1/verify", json={"claims": [FERMAT], "budget_s": 3})
        wait_until(lambda: client.get("/healthz").json()["active_requests"] >= 1)
        time.sleep(0.3)  # the claim's job is in a worker now
        latencies = []
        for i in range(10):
            start = time.perf_counter()
            answer = client.post("/v1/equiv", json={"gold": f"\\frac{{{i}}}{{4}}", "prediction": str(i / 4)})
            latencies.append(time.perf_counter() - start)
            assert answer.json()["results"][0]["equivalent"] is True
        assert not slow.done(), "the slow claim should still be running"
        assert max(latencies) < 1.0, latencies
        verdict = slow.result().json()["verdicts"][0]
    assert verdict["status"] == "unknown"
    assert "no answer within" in verdict["message"]


def test_a_worker_killed_mid_claim_costs_that_claim_only(client, app):
    with ThreadPoolExecutor(1) as executor:
        slow = executor.submit(client.post, "/v1/verify", json={"claims": [FERMAT], "budget_s": 4})
        wait_until(lambda: client.get("/healthz").json()["active_requests"] >= 1)
        time.sleep(0.5)
        for pid in app.state.pool.worker_pids():
            os.kill(pid, signal.SIGKILL)
        verdict = slow.result().json()["verdicts"][0]
    assert verdict["status"] == "unknown"
    assert "died" in verdict["message"] and "SIGKILL" in verdict["message"]
    # The replacement workers start (and import z3, sympy) within the next claims' budget: give
    # them time to come up and the largest budget, so a busy machine (CI ran at load 6) does not
    # turn a slow start into unknown.
    wait_until(lambda: client.get("/healthz").json()["processes_running"] >= 2, timeout_s=60)
    after = client.post(
        "/v1/verify", json={"claims": ["3 * 7 = 21", "2 + 2 = 5"], "budget_s": 5}, timeout=120
    ).json()["verdicts"]
    assert [v["status"] for v in after] == ["proved", "refuted"], after


def test_a_hung_job_is_killed_at_its_deadline_and_the_pool_recovers():
    pool = JobPool(workers=1, memory_mb=None, kill_slack_s=0.5)

    async def run() -> tuple:
        ready = await pool.run(verify_job, "1 = 1", 2.0, budget_s=60)  # the worker is up and warm
        assert ready.ok
        before = pool.worker_pids()
        hung = await pool.run(time.sleep, 120, budget_s=0.5)
        after = await pool.run(verify_job, "6 * 7 = 42", 2.0, budget_s=30)
        return before, hung, after, pool.worker_pids()

    try:
        start = time.perf_counter()
        before, hung, after, pids = asyncio.run(run())
    finally:
        pool.close()
    assert hung.timed_out and not hung.ok
    assert 1.0 <= hung.elapsed_s < 5  # the budget plus the slack, then the worker was killed
    assert before and not set(before) & set(pids)  # a fresh worker replaced the hung one
    assert "ran past its budget" in unknown_verdict("x", hung)["message"]
    assert after.ok and after.value["status"] == "proved"
    assert time.perf_counter() - start < 60


def test_excess_requests_wait_in_a_bounded_queue_then_get_429():
    settings = Settings(port=0, workers=1, max_concurrent=1, max_queue=1, queue_wait_s=1.0, max_budget_s=10.0)
    with (
        serve_in_background(create_app(settings)) as base,
        httpx.Client(base_url=base, timeout=60) as session,
    ):

        def health() -> dict:
            return session.get("/healthz").json()

        pair = {"gold": "1", "prediction": "1"}
        with ThreadPoolExecutor(2) as executor:
            slow = executor.submit(session.post, "/v1/verify", json={"claims": [FERMAT], "budget_s": 3})
            wait_until(lambda: health()["active_requests"] == 1)
            queued = executor.submit(session.post, "/v1/equiv", json=pair)
            wait_until(lambda: health()["queued_requests"] == 1)
            start = time.perf_counter()
            refused = session.post("/v1/equiv", json=pair)
            assert time.perf_counter() - start < 0.5  # refused at once, not after waiting
            body = assert_error(refused, 429, "too_many_requests")
            assert refused.headers["retry-after"] == "1"
            assert "waiting" in body["message"]
            waited = queued.result()
            body = assert_error(waited, 429, "too_many_requests")
            assert "within 1 s" in body["message"]
            assert slow.result().json()["verdicts"][0]["status"] == "unknown"
        assert session.post("/v1/equiv", json=pair).json()["results"][0]["equivalent"] is True
        assert health()["active_requests"] == 0 and health()["queued_requests"] == 0


@pytest.mark.slow
def test_a_shortened_load_test_has_no_errors(url):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from corpus import build_corpus
        from service_load import run_load
    finally:
        sys.path.remove(str(ROOT / "bench"))
    stats = run_load(url, seconds=3.0, clients=8, pairs=build_corpus(500, seed=3), token=TOKEN)
    assert stats.errors == 0, stats.error_samples
    assert len(stats.latencies_s) >= 50
    assert stats.agreed >= 0.95 * len(stats.latencies_s)


def test_pool_workers_start_without_the_solve_stack():
    """A sandbox worker imports PRELOAD at start-up; the solve job's engine and LLM stack (about
    140 modules, a second or two more per worker start) come with its own module, on the first
    solve job only, so hoisting the job functions' imports did not make every worker heavier."""
    code = (
        "import importlib, sys\n"
        "from reasoning.service._jobs import PRELOAD\n"
        "for name in PRELOAD: importlib.import_module(name)\n"
        "assert 'reasoning.engine._solve' not in sys.modules\n"
        "import reasoning.service._solve_job\n"
        "assert 'reasoning.engine._solve' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
