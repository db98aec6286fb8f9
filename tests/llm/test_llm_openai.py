"""The `openai` backend against real HTTP servers on loopback, and the OpenAI-compatible app.

The good server is the real `reasoning.llm._model_server` app on a real uvicorn server, around
`ScriptedBackend` or small variants of it defined here: test doubles that replay fixed text (the
real local model is exercised in test_serve_model.py). The faulty servers are real HTTP servers
too (tests/llm_servers.py), or a closed port.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from reasoning.api import InvalidArgument
from reasoning.llm import load_backend
from reasoning.llm._base import BackendError, Delta, collect, generate_sync
from reasoning.llm._model_server import create_app
from reasoning.llm._openai_backend import OpenAIBackend, Slots, server_message
from reasoning.llm._scripted import ScriptedBackend
from tests.llm_servers import (
    fault_app,
    fault_server,
    free_port,
    openai_spec,
    recording_app,
    serve_app,
    serve_model,
)

REPLY = "the answer is 42 </RETURN> and then some more words"
TOKEN = "model-token-0123456789"


def wait_until(condition, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


class TrackedBackend(ScriptedBackend):
    """Test double: a ScriptedBackend that counts streams in flight (and the most at once) and
    records streams that were closed before their end. `ignore_stop` makes it a server that does
    not honour `stop`."""

    def __init__(self, *args, ignore_stop: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.ignore_stop = ignore_stop
        self.lock = threading.Lock()
        self.in_flight = self.most_in_flight = self.finished = self.closed_early = 0

    async def stream(self, prompt, *, stop=(), **params) -> AsyncIterator[Delta]:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        done = False
        try:
            async for delta in super().stream(prompt, stop=() if self.ignore_stop else stop, **params):
                yield delta
            done = True
        finally:
            with self.lock:
                self.in_flight -= 1
                self.finished += done
                self.closed_early += not done


class GatedBackend:
    """Test double: streams "hello", then waits until `gate` is set, then streams " world". The
    client sets the gate when its first delta arrives, which proves the deltas were streamed."""

    name = "gated"

    def __init__(self) -> None:
        self.gate = threading.Event()

    async def stream(self, prompt, **params) -> AsyncIterator[Delta]:
        yield Delta("hello", 1)
        deadline = time.monotonic() + 10
        while not self.gate.is_set():
            assert time.monotonic() < deadline, "the client never saw the first delta"
            await asyncio.sleep(0.01)
        yield Delta(" world", 1, finish_reason="stop", prompt_tokens=3)

    def close(self) -> None:
        pass


class FailingBackend:
    """Test double: streams `before` deltas, then raises a BackendError."""

    name = "failing"

    def __init__(self, before: int = 1) -> None:
        self.before = before

    async def stream(self, prompt, **params) -> AsyncIterator[Delta]:
        for i in range(self.before):
            yield Delta(f"part{i} ", 1)
        raise BackendError("the model ran out of memory (test double)", kind="model")

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def scripted():
    return TrackedBackend([REPLY], delay_s=0.005)


@pytest.fixture(scope="module")
def url(scripted):
    with serve_model(scripted) as root:
        yield root


def backend_for(root: str, **options) -> OpenAIBackend:
    options.setdefault("backoff_s", 0.01)
    return OpenAIBackend(root + "/v1", "test-model", **options)


# ------------------------------------------------------------------------------- streaming


def test_deltas_arrive_one_by_one_while_the_server_is_still_generating():
    gated = GatedBackend()
    with serve_model(gated) as root:
        backend = backend_for(root)

        async def run() -> list[Delta]:
            deltas = []
            async for delta in backend.stream("hi"):
                deltas.append(delta)
                gated.gate.set()
            return deltas

        deltas = asyncio.run(run())
    assert [d.text for d in deltas] == ["hello", " world", ""]
    assert deltas[-1].finish_reason == "stop" and deltas[-1].prompt_tokens == 3
    assert sum(d.tokens for d in deltas) == 2


def test_text_and_usage_match_the_server(url):
    generation = generate_sync(backend_for(url), "hi", max_tokens=64)
    assert generation.text == REPLY
    assert generation.finish_reason == "stop"
    assert generation.prompt_tokens == 10  # ScriptedBackend's count, reported in usage
    assert generation.completion_tokens == len(REPLY.split(" "))
    assert generation.model == "openai:test-model"


def test_stop_and_max_tokens_are_honoured(url):
    backend = backend_for(url)
    stopped = generate_sync(backend, "hi", stop=["</RETURN>"])
    assert stopped.text == "the answer is 42 "
    assert stopped.finish_reason == "stop"
    short = generate_sync(backend, "hi", max_tokens=3)
    assert (short.text, short.finish_reason, short.completion_tokens) == ("the answer is", "length", 3)


def test_stop_is_applied_by_the_client_when_the_server_ignores_it():
    deaf = TrackedBackend([REPLY], delay_s=0.01, ignore_stop=True)
    with serve_model(deaf) as root:
        generation = generate_sync(backend_for(root), "hi", stop=["</RETURN>"])
        assert generation.text == "the answer is 42 "
        assert generation.finish_reason == "stop"
        # the client hung up at the stop string: the server's generation was cancelled
        wait_until(lambda: deaf.closed_early == 1)
    assert deaf.finished == 0


def test_closing_the_stream_early_cancels_the_generation_at_the_server():
    slow = TrackedBackend([" ".join(["word"] * 200)], delay_s=0.02)
    with serve_model(slow) as root:
        backend = backend_for(root)

        async def read_two() -> None:
            stream = backend.stream("hi", max_tokens=500)
            await anext(stream)
            await anext(stream)
            await stream.aclose()

        asyncio.run(read_two())
        wait_until(lambda: slow.closed_early == 1)
        assert backend.slots.in_use == 0
    assert slow.finished == 0


def test_a_failure_mid_stream_ends_in_a_clear_error_not_a_hang():
    with serve_model(FailingBackend(before=2)) as root:
        backend = backend_for(root, timeout_s=5)

        async def run() -> list[str]:
            seen = []
            with pytest.raises(BackendError) as caught:
                async for delta in backend.stream("hi"):
                    seen.append(delta.text)
            assert caught.value.kind == "model"
            assert "ran out of memory" in str(caught.value)
            return seen

        started = time.monotonic()
        assert "".join(asyncio.run(run())) == "part0 part1 "
        assert time.monotonic() - started < 4


def test_a_failure_before_the_first_token_is_a_500_in_openai_shape():
    with serve_model(FailingBackend(before=0)) as root:
        response = httpx.post(
            root + "/v1/chat/completions",
            json={"messages": [{"role": "user", "content": "hi"}], "stream": True},
        )
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["type"] == "server_error" and error["code"] == "model"
    assert "ran out of memory" in error["message"]


# ------------------------------------------------------------------------------- the app's wire format


def test_non_streaming_completion_has_openai_shape(url):
    body = {"model": "whatever-name", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}
    response = httpx.post(url + "/v1/chat/completions", json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["object"] == "chat.completion"
    assert data["model"] == "whatever-name"  # any name is accepted and echoed
    choice = data["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": "the answer is 42"}
    assert choice["finish_reason"] == "length"
    assert data["usage"] == {"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14}


def test_streaming_completion_is_sse_with_a_usage_chunk_and_done(url):
    body = {
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [{"type": "text", "text": "hi"}]},
        ],
        "stream": True,
        "stream_options": {"include_usage": True},
        "stop": "</RETURN>",
    }
    with httpx.stream("POST", url + "/v1/chat/completions", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    import json

    chunks = [json.loads(line[len("data: ") :]) for line in lines[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "the answer is 42 "
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["prompt_tokens"] == 10


def test_models_healthz_and_list_models(url):
    assert httpx.get(url + "/healthz").json()["status"] == "ok"
    listed = httpx.get(url + "/v1/models").json()
    assert listed["object"] == "list" and listed["data"][0]["id"] == "scripted"
    assert asyncio.run(backend_for(url).list_models()) == ["scripted"]


@pytest.mark.parametrize(
    "body, param",
    [
        ({"messages": [{"role": "user", "content": "hi"}], "n": 2}, "n"),
        ({"messages": [{"role": "tool", "content": "hi"}]}, "messages.0.role"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}, "max_tokens"),
        ({"messages": [{"role": "user", "content": "hi"}], "temperature": 5}, "temperature"),
        ({"messages": [{"role": "user", "content": "hi"}], "stop": [""]}, None),
    ],
)
def test_invalid_requests_are_400_in_openai_shape(url, body, param):
    response = httpx.post(url + "/v1/chat/completions", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["message"]
    if param is not None:
        assert error["param"] == param


def test_malformed_json_and_oversized_bodies_are_refused(url, scripted):
    bad = httpx.post(
        url + "/v1/chat/completions", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_json"
    with serve_model(scripted, max_body_bytes=1000) as root:
        big = {"messages": [{"role": "user", "content": "x" * 5000}]}
        response = httpx.post(root + "/v1/chat/completions", json=big)
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "body_too_large"


def test_a_token_is_required_when_set(scripted):
    with serve_model(scripted, token=TOKEN) as root:
        assert httpx.get(root + "/healthz").status_code == 200  # no token needed
        denied = backend_for(root, api_key="wrong")
        with pytest.raises(BackendError) as caught:
            generate_sync(denied, "hi")
        assert caught.value.kind == "http" and not caught.value.retryable
        assert "401" in str(caught.value) and "API key" in str(caught.value)
        assert denied.retries == 0  # a 401 is not retried
        with pytest.raises(BackendError):
            generate_sync(backend_for(root), "hi")
        assert generate_sync(backend_for(root, api_key=TOKEN), "hi").text == REPLY


def test_load_backend_builds_an_openai_backend_from_a_spec(url, monkeypatch):
    monkeypatch.setenv("REASONING_MODEL_KEY", "k")
    backend = load_backend(openai_spec(url, "some/model"), timeout_s=5.0)
    assert isinstance(backend, OpenAIBackend)
    assert (backend.base_url, backend.model, backend.name) == (url + "/v1", "some/model", "openai:some/model")
    assert backend.api_key == "k"
    assert generate_sync(backend, "hi").text == REPLY


def test_a_server_that_ignores_stream_and_answers_json_still_works():
    async def whole(request):
        completion = {
            "choices": [
                {"message": {"role": "assistant", "content": "x = 1 </RETURN> junk"}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 5, "completion_tokens": 6},
        }
        return JSONResponse(completion)

    app = Starlette(routes=[Route("/v1/chat/completions", whole, methods=["POST"])])
    with serve_app(app) as root:
        generation = generate_sync(backend_for(root), "hi", stop=["</RETURN>"])
    assert (generation.text, generation.prompt_tokens, generation.finish_reason) == ("x = 1 ", 5, "stop")


# ------------------------------------------------------------------------------- concurrency


def test_concurrency_limit_holds_at_the_server():
    counted = TrackedBackend(["a b c d e f"], delay_s=0.02)
    with serve_model(counted) as root:
        backend = backend_for(root, concurrency=2)

        async def many() -> list[str]:
            results = await asyncio.gather(*(backend.generate(f"q{i}") for i in range(6)))
            return [r.text for r in results]

        assert asyncio.run(many()) == ["a b c d e f"] * 6
    assert counted.most_in_flight == 2


def test_concurrency_limit_holds_across_event_loops_and_threads():
    counted = TrackedBackend(["a b c d e f"], delay_s=0.02)
    with serve_model(counted) as root:
        backend = backend_for(root, concurrency=2)

        def solve() -> None:  # the engine runs each solve in its own asyncio.run
            async def three() -> None:
                await asyncio.gather(*(backend.generate("q") for _ in range(3)))

            asyncio.run(three())

        threads = [threading.Thread(target=solve) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert counted.finished == 9
    assert counted.most_in_flight == 2
    assert backend.slots.in_use == 0


def test_a_cancelled_waiter_gives_its_slot_back():
    slots = Slots(1)

    async def run() -> None:
        await slots.acquire()
        waiter = asyncio.ensure_future(slots.acquire())
        await asyncio.sleep(0.01)
        slots.release()  # hands the slot to the waiter...
        waiter.cancel()  # ...which is cancelled before it runs: the slot must come back
        await asyncio.gather(waiter, return_exceptions=True)
        await asyncio.wait_for(slots.acquire(), 1)
        slots.release()

    asyncio.run(run())
    assert slots.in_use == 0


# ------------------------------------------------------------------------------- faults


def test_dead_server_is_unavailable_after_retries_in_bounded_time():
    backend = backend_for(f"http://127.0.0.1:{free_port()}", max_retries=2, connect_timeout_s=1)
    started = time.monotonic()
    with pytest.raises(BackendError) as caught:
        generate_sync(backend, "hi")
    assert caught.value.kind == "unavailable" and caught.value.retryable
    assert "cannot reach" in str(caught.value) and "3 attempts" in str(caught.value)
    assert backend.retries == 2
    assert time.monotonic() - started < 5


def test_500_always_is_an_http_error_after_max_retries():
    app = fault_app("500")
    with serve_app(app) as root:
        backend = backend_for(root, max_retries=2)
        with pytest.raises(BackendError) as caught:
            generate_sync(backend, "hi")
    assert caught.value.kind == "http" and caught.value.retryable
    assert "HTTP 500" in str(caught.value) and "the model crashed" in str(caught.value)
    assert len(app.state.requests) == 3


def test_429_then_ok_succeeds_after_a_retry():
    app = fault_app("429-then-ok", reply="x = 3")
    with serve_app(app) as root:
        backend = backend_for(root)
        generation = generate_sync(backend, "hi")
    assert generation.text == "x = 3"
    assert generation.completion_tokens == 3 and generation.prompt_tokens == 7
    assert len(app.state.requests) == 2 and backend.retries == 1


def test_a_stalled_stream_times_out_within_about_timeout_s():
    with fault_server("stall") as root:
        backend = backend_for(root, timeout_s=0.5)

        async def run() -> list[str]:
            seen = []
            with pytest.raises(BackendError) as caught:
                async for delta in backend.stream("hi"):
                    seen.append(delta.text)
            assert caught.value.kind == "timeout"
            return seen

        started = time.monotonic()
        assert asyncio.run(run()) == ["first"]
        assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    "kind, excerpt",
    [
        ("garbage", "this is not json"),
        ("html", "502 Bad Gateway"),
        ("no-choices", "no choices here"),
        ("cut", "ended before"),
    ],
)
def test_garbage_is_a_protocol_error_with_an_excerpt(kind, excerpt):
    with fault_server(kind) as root:
        backend = backend_for(root)
        with pytest.raises(BackendError) as caught:
            generate_sync(backend, "hi")
    assert caught.value.kind == "protocol"
    assert excerpt in str(caught.value)
    assert backend.retries == 0


def test_401_from_a_fault_server_is_not_retried():
    app = fault_app("401")
    with serve_app(app) as root, pytest.raises(BackendError) as caught:
        generate_sync(backend_for(root), "hi")
    assert caught.value.kind == "http" and "Incorrect API key" in str(caught.value)
    assert len(app.state.requests) == 1


# ------------------------------------------------------------------------------- small parts


def test_backoff_s_sets_the_sdks_backoff_and_retry_after_still_wins():
    """`backoff_s` reaches the SDK through one overridden method: if an SDK release renames it,
    this test fails instead of the backoff silently going back to 0.5 s."""
    import httpx2
    import openai

    assert hasattr(openai.AsyncOpenAI, "_calculate_retry_timeout")

    async def delays() -> tuple[float, float, float]:
        client = OpenAIBackend("http://127.0.0.1:1/v1", "m", backoff_s=0.01, max_retries=3)._client([0])
        options = openai._models.FinalRequestOptions(method="post", url="/x")
        first = client._calculate_retry_timeout(3, options, httpx2.Headers())
        third = client._calculate_retry_timeout(1, options, httpx2.Headers())
        asked = client._calculate_retry_timeout(3, options, httpx2.Headers({"retry-after": "2"}))
        await client.close()
        return first, third, asked

    first, third, asked = asyncio.run(delays())
    assert 0.0075 <= first <= 0.01 and 0.03 <= third <= 0.04
    assert asked == 2.0


def test_server_messages():
    assert server_message(b'{"error": {"message": "bad key"}}') == "bad key"
    assert server_message(b'{"detail": "nope"}') == "nope"
    assert server_message(b"<html>oops</html>") == "'<html>oops</html>'"


def test_invalid_construction_and_arguments_are_refused():
    with pytest.raises(InvalidArgument):
        OpenAIBackend("ftp://x", "m")
    with pytest.raises(InvalidArgument):
        OpenAIBackend("http://x/v1", "m", concurrency=0)
    with pytest.raises(InvalidArgument):
        generate_sync(OpenAIBackend("http://127.0.0.1:1/v1", "m"), "hi", max_tokens=0)


def test_create_app_refuses_an_empty_token():
    with pytest.raises(InvalidArgument):
        create_app(ScriptedBackend(["x"]), token=" ")


def test_collect_of_a_closed_backend_is_a_clear_error(url):
    backend = backend_for(url)
    backend.close()
    with pytest.raises(BackendError) as caught:
        asyncio.run(collect(backend.stream("hi")))
    assert "closed" in str(caught.value)


# ------------------------------------------------------------------------------- grammars


GRAMMAR = 'start: "x = " NUMBER\nNUMBER: /[0-9]+/'


@pytest.mark.parametrize(
    "mode, expected",
    [
        ("vllm", {"structured_outputs": {"grammar": GRAMMAR}}),
        ("vllm-guided", {"guided_grammar": GRAMMAR}),
        (
            "llamacpp",
            {
                "grammar": 'root ::= r-start\nr-start ::= ( t-anon-0 t-number )\nt-number ::= ( [0-9] )+\nt-anon-0 ::= "x = "\n'
            },
        ),
        ("none", {}),
    ],
)
def test_a_grammar_reaches_the_server_in_its_dialect(mode, expected):
    app = recording_app("x = 4")
    with serve_app(app) as root:
        backend = backend_for(root, grammar_mode=mode)
        assert backend.supports_grammar is (mode != "none")
        assert generate_sync(backend, "hi", grammar=GRAMMAR).text == "x = 4"
        assert generate_sync(backend, "hi").text == "x = 4"  # no grammar: nothing extra sent
    with_grammar, without = app.state.requests
    sent = {
        k: with_grammar[k] for k in ("structured_outputs", "guided_grammar", "grammar") if k in with_grammar
    }
    assert sent == expected
    assert not {"structured_outputs", "guided_grammar", "grammar"} & set(without)
    assert backend.grammars_sent == (1 if expected else 0)


def test_a_grammar_gbnf_cannot_say_is_not_sent_to_llamacpp():
    app = recording_app("x = 4")
    with serve_app(app) as root:
        backend = backend_for(root, grammar_mode="llamacpp")
        generate_sync(backend, "hi", grammar="start: W\nW: /(?=a)a/")  # a look-ahead
    assert "grammar" not in app.state.requests[0] and backend.grammars_sent == 0


def test_the_cli_and_solve_do_not_import_the_sdk_until_a_server_is_used():
    """The openai SDK takes about a second to import (several on a loaded machine): `reason
    verify` and `import reasoning.engine._solve` must not pay it."""
    code = "import sys, reasoning.cli, reasoning.engine._solve, reasoning.llm; print('openai' in sys.modules)"
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert shown.stdout.strip() == "False"
