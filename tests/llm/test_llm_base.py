"""The model-backend interface: parameter checks, stop scanning, --model specs, the test double."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reasoning.api import InvalidArgument
from reasoning.llm import ModelBackend, generate_sync, parse_model_spec
from reasoning.llm._base import StopScanner, check_params, check_prompt
from reasoning.llm._scripted import ScriptedBackend


def test_check_prompt_accepts_text_and_messages() -> None:
    assert check_prompt("hi") == [{"role": "user", "content": "hi"}]
    messages = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
    assert check_prompt(messages) == messages


@pytest.mark.parametrize("bad", [[], [{"role": "robot", "content": "x"}], [{"role": "user"}], 3, None])
def test_check_prompt_rejects_malformed(bad) -> None:
    with pytest.raises(InvalidArgument):
        check_prompt(bad)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_tokens": 0},
        {"max_tokens": True},
        {"max_tokens": 10**9},
        {"stop": [""]},
        {"stop": ["a"] * 9},
        {"temperature": -1},
        {"temperature": 3},
        {"seed": 1.5},
    ],
)
def test_check_params_rejects_out_of_range(kwargs) -> None:
    params = {"max_tokens": 16, "stop": (), "temperature": 0.0, "seed": 0} | kwargs
    with pytest.raises(InvalidArgument):
        check_params(**params)


def test_a_single_stop_string_is_a_tuple() -> None:
    assert check_params(16, "</RETURN>", 0.0, 0) == ("</RETURN>",)


@given(
    text=st.text(alphabet="ab<>/RETURN x", max_size=60),
    cuts=st.lists(st.integers(min_value=0, max_value=60), max_size=8),
)
def test_stop_scanner_matches_str_find_whatever_the_chunking(text: str, cuts: list[int]) -> None:
    stop = "</R>"
    bounds = sorted({0, len(text), *(c for c in cuts if c <= len(text))})
    scanner = StopScanner([stop])
    out = "".join(scanner.feed(text[a:b]) for a, b in zip(bounds, bounds[1:])) + scanner.flush()
    expected = text[: text.find(stop)] if stop in text else text
    assert out == expected
    assert scanner.stopped == (stop in text)


@pytest.mark.parametrize(
    ("spec", "kind", "base_url", "model"),
    [
        (None, "local", None, None),
        ("local", "local", None, None),
        ("openai:http://127.0.0.1:8000/v1/smollm2", "openai", "http://127.0.0.1:8000/v1", "smollm2"),
        ("openai:https://host/v1/org/model-7b", "openai", "https://host/v1", "org/model-7b"),
        ("openai:http://host:11434/api/llama3", "openai", "http://host:11434/api", "llama3"),
        ("openai:http://host/v1/", "openai", "http://host/v1", None),  # the server's only model
    ],
)
def test_model_specs(spec, kind, base_url, model) -> None:
    parsed = parse_model_spec(spec)
    assert (parsed.kind, parsed.base_url, parsed.model) == (kind, base_url, model)


@pytest.mark.parametrize(
    "spec", ["openai:ftp://host/v1/m", "openai:http:///v1/m", "openai:http://host/", "/no/such/model/dir"]
)
def test_bad_model_specs_say_what_is_expected(spec) -> None:
    with pytest.raises(InvalidArgument, match="--model"):
        parse_model_spec(spec)


def test_a_local_path_spec(tmp_path) -> None:
    assert parse_model_spec(f"local:{tmp_path}").path == str(tmp_path)
    assert parse_model_spec(str(tmp_path)).kind == "local"


def test_scripted_backend_is_a_model_backend_and_honours_stop_and_length() -> None:
    backend = ScriptedBackend(["one two <RETURN>x</RETURN> three"])
    assert isinstance(backend, ModelBackend)
    stopped = generate_sync(backend, "q", stop=["</RETURN>"])
    assert (stopped.text, stopped.finish_reason, stopped.completion_tokens) == (
        "one two <RETURN>x",
        "stop",
        3,
    )
    cut = generate_sync(backend, "q", max_tokens=2)
    assert (cut.text, cut.finish_reason, cut.completion_tokens) == ("one two", "length", 2)
    assert backend.prompts[0] == [{"role": "user", "content": "q"}]


def test_scripted_backend_streams_deltas_and_raises_scripted_errors() -> None:
    async def deltas(backend):
        return [d async for d in backend.stream("q")]

    got = asyncio.run(deltas(ScriptedBackend(["a b c"])))
    assert "".join(d.text for d in got) == "a b c"
    assert got[-1].finish_reason == "stop" and got[-1].prompt_tokens == 10
    with pytest.raises(RuntimeError, match="boom"):
        asyncio.run(deltas(ScriptedBackend([RuntimeError("boom")])))
