"""`reason serve-model` as a real subprocess, called over real HTTP with the `openai` backend.

The slow test serves the real packaged model (SmolLM2-135M-Instruct, the local backend). The
fast ones run the same command as a proxy (`--model openai:...`) in front of a ScriptedBackend
(a test double) served in this process, so the CLI's serving path is tested without a model.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from reasoning.cli._main import app
from reasoning.llm._base import generate_sync
from reasoning.llm._openai_backend import OpenAIBackend
from reasoning.llm._scripted import ScriptedBackend
from tests.llm_servers import serve_model

ROOT = Path(__file__).resolve().parents[2]
REASON = ROOT / ".venv" / "bin" / "reason"
TOKEN = "serve-model-token-0123456789"


@contextmanager
def serve_model_process(
    *args: str, ready_timeout_s: float = 300.0, env: dict | None = None
) -> Iterator[dict]:
    """Run `reason serve-model --port 0 --json ARGS` until its JSON line says it is ready; yields
    that line (with "url", the OpenAI base URL) and stops the process at the end."""
    command = [str(REASON), "serve-model", "--port", "0", "--json", *args]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()), daemon=True)
    reader.start()
    try:
        reader.join(ready_timeout_s)
        if not lines or not lines[0].strip():
            process.kill()
            _, stderr = process.communicate(timeout=30)
            raise AssertionError(f"serve-model did not get ready: {stderr[-2000:]}")
        ready = json.loads(lines[0])
        ready["process"] = process
        yield ready
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(15)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


# ------------------------------------------------------------------------------- fast: the CLI


def test_non_loopback_host_without_a_token_is_refused(monkeypatch):
    monkeypatch.delenv("REASONING_TOKEN", raising=False)
    result = CliRunner().invoke(app, ["serve-model", "--host", "0.0.0.0", "--no-preload"])
    assert result.exit_code == 2
    assert "without a token" in result.output


def test_a_bad_model_spec_is_refused():
    result = CliRunner().invoke(app, ["serve-model", "--model", "/no/such/model.gguf"])
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_serve_model_as_a_proxy_streams_and_requires_its_token(tmp_path):
    scripted = ScriptedBackend(["x = 4 </RETURN> tail"])
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    with (
        serve_model(scripted) as upstream,
        serve_model_process(
            "--model", f"openai:{upstream}/v1", "--token-file", str(token_file), ready_timeout_s=60
        ) as ready,
    ):
        assert ready["url"].startswith("http://127.0.0.1:") and ready["url"].endswith("/v1")
        assert ready["auth"] is True
        backend = OpenAIBackend(ready["url"], "anything", api_key=TOKEN, backoff_s=0.01)
        generation = generate_sync(backend, "hi", stop=["</RETURN>"])
        assert generation.text == "x = 4 "
        assert generation.prompt_tokens == 10
        denied = httpx.post(ready["url"] + "/chat/completions", json={"messages": []})
        assert denied.status_code == 401
    assert scripted.prompts[-1] == [{"role": "user", "content": "hi"}]


# ------------------------------------------------------------------------------- slow: the real model


@pytest.fixture(scope="module")
def local_server():
    with serve_model_process("--max-batch", "4") as ready:
        yield ready


@pytest.mark.slow
def test_serves_the_packaged_model_over_real_http(local_server):
    url = local_server["url"]
    models = httpx.get(url + "/models").json()["data"]
    assert models[0]["id"] == local_server["model"]
    assert "SmolLM2" in local_server["model"]
    backend = OpenAIBackend(url, "smollm2", timeout_s=120)

    async def stream() -> list:
        return [d async for d in backend.stream("What is 2 + 3? Answer with a number.", max_tokens=12)]

    deltas = asyncio.run(stream())
    text = "".join(d.text for d in deltas)
    assert text.strip(), "the model wrote nothing"
    assert len(deltas) > 2  # streamed, not one block
    last = deltas[-1]
    assert last.finish_reason in ("stop", "length")
    assert last.prompt_tokens and last.prompt_tokens > 5
    completion_tokens = sum(d.tokens for d in deltas)
    assert 1 <= completion_tokens <= 12
    if last.finish_reason == "length":
        assert completion_tokens == 12
    again = generate_sync(backend, "What is 2 + 3? Answer with a number.", max_tokens=12)
    assert again.text == text  # temperature 0 is greedy: the same text again


@pytest.mark.slow
def test_concurrent_requests_to_the_packaged_model_all_complete(local_server):
    backend = OpenAIBackend(local_server["url"], "smollm2", timeout_s=120, concurrency=4)

    async def four() -> list:
        prompts = [f"Say the number {i}." for i in range(4)]
        return await asyncio.gather(*(backend.generate(p, max_tokens=8) for p in prompts))

    generations = asyncio.run(four())
    assert all(g.completion_tokens >= 1 and g.prompt_tokens > 0 for g in generations)
