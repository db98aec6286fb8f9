"""The decode loop's speed-ups keep what is sampled: the output layer over allowed ids only
(`_sparse_head`), shared cache rows for requests with the same tokens so far, reused prompt
prefixes (`_prefix_cache`) and in-place KV appends (`_growing_cache`).

A tiny random Llama over the real SmolLM2 tokenizer (no weights needed) drives the loop; each
speed-up is compared with the plain path it replaces.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reasoning.domains.common._query_grammars import countdown_grammar, evaluate_grammar
from reasoning.domains.countdown._search import leaves, parse_line
from tests.llm.test_constrained import _tokenizer_dir

torch = pytest.importorskip("torch")
pytest.importorskip("llguidance")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def tokenizer():
    transformers = pytest.importorskip("transformers")
    return transformers.AutoTokenizer.from_pretrained(str(_tokenizer_dir()))


@pytest.fixture(scope="module")
def tiny(tokenizer):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(1)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=1024,
        eos_token_id=tokenizer.eos_token_id,
    )
    return LlamaForCausalLM(config).eval()


@pytest.fixture(scope="module")
def masks(tokenizer):
    from reasoning.llm._constrained import GrammarMasks

    return GrammarMasks(tokenizer)


def backend_for(tiny, tokenizer, masks, **options):
    from reasoning.llm._batching import DynamicBatcher
    from reasoning.llm._local import LocalBackend

    backend = LocalBackend(max_batch=16)
    backend._batcher = DynamicBatcher(tiny, tokenizer, max_batch=16, name="tiny", **options)
    backend._batcher._masks = masks
    return backend


PLAIN = {"sparse_head": False, "prefix_cache": 0, "grow_in_place": False, "share_rows": False}


def draw(backend, prompt, grammar, *, n=8, temperature=0.0, seed=5):
    return asyncio.run(
        backend.generate(prompt, grammar=grammar, n=n, temperature=temperature, seed=seed, max_tokens=30)
    )


# ---- the output layer over chosen ids -----------------------------------------------------------


def test_restricted_logits_equal_the_full_layers_on_those_ids(tiny):
    from reasoning.llm._sparse_head import SparseHead

    head = SparseHead.of(tiny)
    assert head is not None
    with torch.inference_mode():
        ids = torch.tensor([[5, 17, 400, 9000]])
        full = tiny(input_ids=ids).logits[:, -1, :]
        hidden, _ = head.forward(input_ids=ids)
        chosen = torch.tensor([3, 17, 1000, 20000, len(full[0]) - 1])
        assert torch.allclose(head.restricted(hidden, chosen), full[:, chosen], atol=1e-5)
        assert torch.allclose(head.full(hidden), full, atol=1e-5)


def test_a_model_whose_logits_are_not_the_plain_head_gets_the_full_path(tiny):
    from reasoning.llm._sparse_head import SparseHead

    class Scaled(torch.nn.Module):
        """A causal LM whose logits are scaled after its output layer (as Cohere's are)."""

        base_model_prefix = "model"

        def __init__(self, inner):
            super().__init__()
            self.model, self.lm_head = inner.model, inner.lm_head

        def get_output_embeddings(self):
            return self.lm_head

        def forward(self, **kwargs):
            out = self.model(**kwargs)
            return type("Out", (), {"logits": 0.5 * self.lm_head(out.last_hidden_state)})()

    class Wrapper:
        config = tiny.config

        def __call__(self, **kwargs):
            return tiny(**kwargs)

    assert SparseHead.of(Scaled(tiny)) is None
    assert SparseHead.of(Wrapper()) is None


@settings(max_examples=50, deadline=None)
@given(
    words=st.lists(st.lists(st.integers(-(2**31), 2**31 - 1), min_size=3, max_size=3), min_size=1, max_size=4)
)
def test_allowed_ids_are_the_set_bits_of_the_packed_mask(tiny, words):
    from reasoning.llm._sparse_head import SparseHead

    head = SparseHead.of(tiny)
    packed = torch.tensor(words, dtype=torch.int32)
    expected = [
        [32 * w + b for w, value in enumerate(row) for b in range(32) if (value >> b) & 1] for row in words
    ]
    assert [ids.tolist() for ids in head.allowed(packed)] == expected


def test_allowed_ids_match_the_grammar_mask(tiny, masks):
    from reasoning.llm._sparse_head import SparseHead

    head = SparseHead.of(tiny)
    matchers = [masks.matcher(countdown_grammar([3, 5, 7], 22)), masks.matcher(evaluate_grammar("2 + 2"))]
    packed = masks.bitmask(matchers)
    dense = masks.allowed(packed)
    for row, ids in zip(dense, head.allowed(packed), strict=True):
        assert ids.tolist() == row.nonzero().flatten().tolist()


def test_pick_samples_the_masked_softmax():
    from reasoning.llm._sparse_head import pick

    logits = torch.tensor([0.0, 2.0, -1.0, 2.0, 0.5, 3.0])
    allowed = torch.tensor([0, 1, 3, 4])
    masked = torch.full_like(logits, float("-inf"))
    masked[allowed] = logits[allowed]
    assert pick(logits[allowed], allowed, 0.0, None) == int(masked.argmax()) == 1  # first maximum
    want = torch.softmax(masked / 0.8, dim=-1)
    generator = torch.Generator().manual_seed(0)
    counts = Counter(pick(logits[allowed], allowed, 0.8, generator) for _ in range(6000))
    assert set(counts) <= set(allowed.tolist())
    for token in allowed.tolist():
        assert abs(counts[token] / 6000 - float(want[token])) < 0.025


# ---- the decode loop: every speed-up against the plain path -------------------------------------


@pytest.mark.parametrize(
    "options",
    [{}, {"sparse_head": False}, {"share_rows": False}, {"prefix_cache": 0}, {"grow_in_place": False}],
    ids=["all", "full-head", "own-rows", "no-prefix", "cat-cache"],
)
def test_greedy_constrained_samples_match_the_plain_path(tiny, tokenizer, masks, options):
    plain = backend_for(tiny, tokenizer, masks, **PLAIN)
    fast = backend_for(tiny, tokenizer, masks, **options)
    try:
        for numbers, target in (([3, 5, 7], 22), ([2, 9, 4], 17)):
            prompt = f"Numbers: {numbers}. Target: {target}. Write one expression."
            grammar = countdown_grammar(numbers, target)
            want, got = draw(plain, prompt, grammar, n=3), draw(fast, prompt, grammar, n=3)
            assert got.texts == want.texts
            assert got.completion_tokens == want.completion_tokens
    finally:
        plain.close()
        fast.close()


def test_sampled_rows_share_cache_rows_until_they_differ_and_all_parse(tiny, tokenizer, masks):
    shared = backend_for(tiny, tokenizer, masks)
    own = backend_for(tiny, tokenizer, masks, share_rows=False)
    try:
        grammar = countdown_grammar([3, 5, 7], 22)
        a = draw(shared, "Numbers 3 5 7, target 22", grammar, n=16, temperature=1.0)
        b = draw(own, "Numbers 3 5 7, target 22", grammar, n=16, temperature=1.0)
        assert a.texts == b.texts  # the same draws: shared rows hold the same states
        stats = shared.stats()
        assert stats["forward_rows"] < stats["batch_rows"]  # some steps served several requests
        assert own.stats()["forward_rows"] == own.stats()["batch_rows"]
        for text, reason in zip(a.texts, a.finish_reasons, strict=True):
            if reason == "stop":
                tree, _ = parse_line(text)
                assert not Counter(leaves(tree)) - Counter([3, 5, 7])
    finally:
        shared.close()
        own.close()


def test_a_prompt_sharing_a_prefix_prefills_only_the_rest(tiny, tokenizer, masks):
    cached = backend_for(tiny, tokenizer, masks)
    plain = backend_for(tiny, tokenizer, masks, **PLAIN)
    try:
        head = [{"role": "system", "content": "Write one expression over the numbers. " * 4}]
        grammar = countdown_grammar([4, 6, 9], 15)
        for numbers in ("4, 6, 9", "9, 6, 4", "6, 4, 9"):
            prompt = [*head, {"role": "user", "content": f"Numbers: {numbers}. Target: 15"}]
            assert draw(cached, prompt, grammar, n=2).texts == draw(plain, prompt, grammar, n=2).texts
        prefixes = cached._batcher.prefixes
        assert prefixes.hits == 2 and prefixes.reused_tokens >= 2 * 30
    finally:
        cached.close()
        plain.close()


def test_free_and_constrained_requests_decode_together_on_the_sparse_path(tiny, tokenizer, masks):
    backend = backend_for(tiny, tokenizer, masks)
    plain = backend_for(tiny, tokenizer, masks, **PLAIN)

    async def both(b):
        return await asyncio.gather(
            b.generate("hello", max_tokens=6), b.generate("hello", grammar=evaluate_grammar("1 + 1"))
        )

    try:
        assert backend._batcher.head is not None
        free, bound = asyncio.run(both(backend))
        assert [free.text, bound.text] == [g.text for g in asyncio.run(both(plain))]
        assert bound.text.startswith("1 + 1 = ")
    finally:
        backend.close()
        plain.close()


def test_growing_cache_layers_read_what_concatenation_reads(tiny):
    from reasoning.llm._growing_cache import growing_layer, make_growing

    with torch.inference_mode():
        ids = torch.randint(0, 1000, (3, 5))
        a, b = tiny(input_ids=ids, use_cache=True), tiny(input_ids=ids, use_cache=True)
        cat, grow = a.cache, make_growing(b.cache)
        rows = 3
        for step in range(80):  # past the headroom: the buffer is re-allocated once
            if step == 30:  # the decode loop replaces the states (drops a row): re-buffered
                rows = 2
                for layer in [*cat.layers, *grow.layers]:
                    layer.keys, layer.values = layer.keys[:rows], layer.values[:rows]
            token = torch.randint(0, 1000, (rows, 1))
            a = tiny(input_ids=token, cache=cat, use_cache=True)
            b = tiny(input_ids=token, cache=grow, use_cache=True)
            assert torch.allclose(a.logits, b.logits, atol=1e-5)
        assert all(isinstance(layer, growing_layer()) for layer in grow.layers)
