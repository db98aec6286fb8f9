"""Grammar-constrained decoding: per-query grammars, the llguidance dialect, the parse guarantee,
the masked decode loop and the proposer.

The parse guarantee is tested with the real SmolLM2 tokenizer (no weights: the tokenizer files of
the converted model cache, or, the first time on a machine, the tokenizer alone read from the
packaged GGUF and kept beside the cache) and llguidance: strings are sampled from each grammar
token by token, and every finished one must parse with our own readers. The decode loop runs a
tiny random Llama over the same tokenizer.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections import Counter
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proofs.parsing import ParseFailure, parse_claim
from reasoning.domains import get, load
from reasoning.domains.common._query_grammars import (
    MAX_EXACT_SPLITS,
    countdown_grammar,
    evaluate_grammar,
    split_count,
    sudoku_grammar,
)
from reasoning.domains.countdown._search import ExpressionSyntaxError, leaves, parse_line
from reasoning.llm._base import Generation, StreamingBackend
from reasoning.llm._grammar_dialect import claim_grammar, organizer_grammar, return_grammar
from reasoning.llm._proposer import Proposer

pytest.importorskip("llguidance")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


# ---- grammar text -------------------------------------------------------------------------


def test_countdown_grammar_has_one_rule_per_sub_multiset():
    text = countdown_grammar([3, 5, 7], 22)
    rules = [line.split(":")[0] for line in text.splitlines() if line.startswith("e_")]
    assert len(rules) == 7  # the non-empty subsets of {3, 5, 7}
    assert "e_1_1_1" in rules and '"22"' in text
    repeated = countdown_grammar([4, 4, 8], 24)
    assert len([line for line in repeated.splitlines() if line.startswith("e_")]) == 5  # (0..2)x(0..1) - 1
    assert "start: (e_2_1)" in countdown_grammar([4, 4, 8], 24, rule="exactly-once").replace(" (/", " (/")


def test_countdown_grammar_falls_back_to_literals_for_many_numbers():
    numbers = list(range(1, 10))
    assert split_count(numbers) > MAX_EXACT_SPLITS
    text = countdown_grammar(numbers, 100)
    assert "NUM:" in text and "e_" not in text


def test_split_count_matches_three_to_the_m():
    assert split_count([1, 2, 3]) == 3**3 - 2 * 2**3 + 1
    assert split_count([5]) == 0


def test_evaluate_and_sudoku_grammars_quote_their_text():
    assert '"3 * (4 + \\"x\\")"' in evaluate_grammar('3 * (4 + "x")')
    text = sudoku_grammar([1, 0, 0, 0], 2, {1: 2}, "12", suffix=" with r1c2=2")
    assert 'grid: "1" "2" D D' in text and '" with r1c2=2"' in text


def test_claim_grammar_has_no_lookaround_or_priorities():
    text = claim_grammar()
    assert "(?" not in text and ".2:" not in text
    assert "%ignore WS_INLINE" in text


def test_return_grammar_renames_an_inlined_start():
    text = return_grammar('?start: x\nx: "a"', max_lines=3)
    assert text.startswith("start: line")
    assert "?line: x" in text


def test_domains_supply_query_grammars():
    countdown = load({"domain": "countdown", "numbers": [3, 5, 7], "target": 22})
    domain = get("countdown")
    assert domain.query_grammar(countdown, "search part 1 of 4, want 1, skip 0") is not None
    assert domain.query_grammar(countdown, "what is this") is None
    assert domain.proposer_prompt(countdown, "search all")[-1]["content"] == "Numbers: 3, 5, 7. Target: 22"
    sudoku = load({"domain": "sudoku", "grid": ".....4..2..34.2."})
    text = get("sudoku").query_grammar(sudoku, "branch r1c1=1")
    assert text is not None and '" with r1c1=1"' in text
    assert get("sudoku").proposer_prompt(sudoku, "branch r1c1=1") is None
    arithmetic = load({"domain": "arithmetic", "expression": "3*8 + 2"})
    assert get("arithmetic").query_grammar(arithmetic, "evaluate: 3*8") == evaluate_grammar("3*8")


# ---- the real tokenizer and llguidance -------------------------------------------------------


def _tokenizer_dir():
    from reasoning.llm import _local_model as local_model

    gguf = local_model.default_model_file()
    key = local_model.cache_key(gguf)
    model_dir = local_model.cache_root() / key
    if (model_dir / local_model.MARKER).is_file():
        return model_dir
    tokenizer_dir = local_model.cache_root() / f"tokenizer-{key}"
    if not (tokenizer_dir / "tokenizer.json").is_file():  # once per machine: ~20 s from the GGUF
        import transformers

        tokenizer = transformers.AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        tokenizer.save_pretrained(str(tokenizer_dir))
    return tokenizer_dir


@pytest.fixture(scope="module")
def tokenizer():
    transformers = pytest.importorskip("transformers")
    return transformers.AutoTokenizer.from_pretrained(str(_tokenizer_dir()))


@pytest.fixture(scope="module")
def masks(tokenizer):
    from reasoning.llm._constrained import GrammarMasks

    return GrammarMasks(tokenizer)


@pytest.fixture(scope="module")
def token_texts(tokenizer, masks):
    """Every token's text (decoded once)."""
    return [tokenizer.decode([t]) for t in range(masks.vocab_size)]


@pytest.fixture(scope="module")
def short_tokens(token_texts):
    """Boolean [vocab]: tokens whose text is at most two characters."""
    import torch

    return torch.tensor([0 < len(text) <= 2 for text in token_texts])


@pytest.fixture(scope="module")
def claim_tokens(token_texts):
    """Boolean [vocab]: a small claim alphabet (a few names, digits, operators, relations,
    connectives), so that random claims finish instead of growing one long name; it holds the
    pieces of the spellings our parser refuses (`10 000`, `4!=2`, `1e3`, `ab(`, `not(`)."""
    import torch

    words = {"x", "y", "e", "ab", "and", "or", "not", "mod", "(", ")"} | set("0123456789+-*/=<>!.^")
    return torch.tensor([text.strip() in words and text.strip() != "" for text in token_texts])


def short_samples(masks, tokenizer, short, grammar, n, *, seed, max_tokens=40, stop_p=0.3):
    """Strings from `grammar`, token by token: among the allowed tokens, those of at most two
    characters (`short`) are preferred, and the end is taken with probability `stop_p` once
    allowed (a uniform pick would almost never end a wide grammar). Unfinished samples are dropped."""
    rng = random.Random(seed)
    base = masks.matcher(grammar)
    out = []
    for _ in range(n):
        matcher = base.deep_copy()
        tokens: list[int] = []
        finished = False
        while len(tokens) < max_tokens:
            if matcher.is_stopped():
                finished = True
                break
            allowed = masks.allowed(masks.bitmask([matcher]))[0]
            if allowed[masks.eos] and rng.random() < stop_p:
                finished = True
                break
            allowed[masks.eos] = False
            preferred = allowed & short
            choices = (preferred if preferred.any() else allowed).nonzero().flatten().tolist()
            token = rng.choice(choices)
            assert matcher.consume_token(token)
            tokens.append(token)
        if finished:
            out.append(tokenizer.decode(tokens))
    return out


def test_the_mask_forbids_exactly_the_disallowed_tokens(masks, tokenizer):
    import torch

    matcher = masks.matcher(countdown_grammar([3, 5], 8))
    logits = torch.zeros((1, masks.vocab_size))
    masks.apply(logits, [matcher])
    allowed = set(torch.isfinite(logits[0]).nonzero().flatten().tolist())
    assert tokenizer.convert_tokens_to_ids("3") in allowed
    assert tokenizer.convert_tokens_to_ids("4") not in allowed
    assert masks.eos not in allowed  # nothing written yet: the end is not allowed
    assert 0 < len(allowed) < 200


def test_a_bad_grammar_is_a_grammar_error(masks):
    from reasoning.llm._base import BackendError

    with pytest.raises(BackendError) as caught:
        masks.matcher("start: undefined_rule")
    assert caught.value.kind == "grammar"


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    numbers=st.lists(st.integers(0, 30), min_size=1, max_size=5),
    target=st.integers(-50, 200),
    rule=st.sampled_from(["at-most-once", "exactly-once"]),
    seed=st.integers(0, 10**6),
)
def test_every_countdown_sample_parses_and_uses_only_the_given_numbers(
    masks, tokenizer, short_tokens, numbers, target, rule, seed
):
    problem = load({"domain": "countdown", "numbers": numbers, "target": target, "rule": rule})
    grammar = countdown_grammar(numbers, target, rule=rule)
    samples = short_samples(masks, tokenizer, short_tokens, grammar, 6, seed=seed, stop_p=0.5, max_tokens=60)
    assert samples
    for text in samples:
        tree, stated = parse_line(text)  # ExpressionSyntaxError would fail the test
        used = Counter(leaves(tree))
        assert not used - Counter(numbers), text
        if rule == "exactly-once":
            assert used == Counter(numbers), text
        assert stated in (None, target)
        assert get("countdown").check_claim(problem, text, budget_s=1.0).status.value != "invalid", text


def test_uniform_samples_of_countdown_grammars_parse(masks, tokenizer):
    from reasoning.llm._constrained import uniform_samples

    for seed in range(3):
        for ids in uniform_samples(masks, countdown_grammar([2, 3, 7, 7], 17), 20, seed=seed):
            try:
                tree, _ = parse_line(tokenizer.decode(ids))
            except ExpressionSyntaxError as exc:  # pragma: no cover - the failure message
                pytest.fail(f"{tokenizer.decode(ids)!r}: {exc}")
            assert not Counter(leaves(tree)) - Counter([2, 3, 7, 7])


def test_every_claim_grammar_sample_parses_with_our_parser(masks, tokenizer, claim_tokens):
    samples = []
    for seed in range(100):  # ~8 s
        samples += short_samples(
            masks, tokenizer, claim_tokens, claim_grammar(), 4, seed=seed, max_tokens=24, stop_p=0.5
        )
    assert len(samples) >= 150
    failures = [s for s in samples if isinstance(parse_claim(s), ParseFailure)]
    assert not failures, failures[:5]


def test_every_evaluate_sample_parses_as_that_expression(masks, tokenizer, short_tokens):
    expression = "12 - 3 * 4 + 7 / 2"
    for text in short_samples(
        masks, tokenizer, short_tokens, evaluate_grammar(expression), 30, seed=1, stop_p=0.4
    ):
        claim = parse_claim(text)
        assert not isinstance(claim, ParseFailure), text
        assert text.startswith(expression + " = ")
        value = text.split(" = ")[1]
        assert value == "undefined" or Fraction(value) is not None


def test_every_sudoku_sample_is_a_claim_line_the_domain_reads(masks, tokenizer, short_tokens):
    problem = load({"domain": "sudoku", "grid": ".....4..2..34.2."})
    grammar = get("sudoku").query_grammar(problem, "branch r1c1=1")
    for text in short_samples(masks, tokenizer, short_tokens, grammar, 20, seed=2, max_tokens=40):
        check = get("sudoku").check_claim(problem, text, budget_s=5.0)
        assert check.status.value != "invalid", (text, check.message)
        assert text.endswith("with r1c1=1")


def test_every_organizer_sample_parses_as_a_protocol_document(masks, tokenizer, short_tokens):
    from reasoning.engine._protocol import FormatError, parse_protocol

    samples = []
    for seed in range(10):
        samples += short_samples(
            masks, tokenizer, short_tokens, organizer_grammar(), 4, seed=seed, max_tokens=60, stop_p=0.0
        )
    for text in samples:
        events = parse_protocol(text)
        assert not [e for e in events if isinstance(e, FormatError)], text


# ---- the masked decode loop, with a tiny random model over the real tokenizer -----------------


@pytest.fixture(scope="module")
def tiny_backend(tokenizer):
    torch = pytest.importorskip("torch")
    from transformers import LlamaConfig, LlamaForCausalLM

    from reasoning.llm._batching import DynamicBatcher
    from reasoning.llm._local import LocalBackend

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=1024,
        eos_token_id=tokenizer.eos_token_id,
    )
    model = LlamaForCausalLM(config).eval()
    backend = LocalBackend(max_batch=4)
    backend._batcher = DynamicBatcher(model, tokenizer, max_batch=4, name="tiny")
    yield backend
    backend.close()


def test_grouped_constrained_samples_all_parse_and_share_one_prefill(tiny_backend):
    grammar = countdown_grammar([3, 5, 7], 22)
    before = tiny_backend.stats()
    generation = asyncio.run(
        tiny_backend.generate("Numbers 3 5 7", grammar=grammar, n=12, temperature=1.0, seed=3, max_tokens=40)
    )
    after = tiny_backend.stats()
    assert generation.constrained and len(generation.texts) == 12
    assert after["prefills"] - before["prefills"] == 1  # 12 rows (past max_batch 4), one prefill
    assert after["masked_tokens"] > before["masked_tokens"]
    finished = [t for t, r in zip(generation.texts, generation.finish_reasons, strict=True) if r == "stop"]
    assert finished
    for text in finished:
        tree, _ = parse_line(text)
        assert not Counter(leaves(tree)) - Counter([3, 5, 7])
    assert generation.completion_tokens >= len(generation.texts)


def test_the_same_seed_gives_the_same_constrained_samples(tiny_backend):
    grammar = countdown_grammar([2, 9], 11)

    def draw():
        return asyncio.run(
            tiny_backend.generate("x", grammar=grammar, n=4, temperature=1.0, seed=11, max_tokens=30)
        ).texts

    assert draw() == draw()


def test_a_stream_under_a_grammar_and_a_free_one_share_the_loop(tiny_backend):
    async def both():
        free = tiny_backend.generate("hello", max_tokens=5)
        bound = tiny_backend.generate(
            "hello", grammar=evaluate_grammar("1 + 1"), max_tokens=30, temperature=0.5
        )
        return await asyncio.gather(free, bound)

    free, bound = asyncio.run(both())
    assert not free.constrained and free.completion_tokens <= 5
    assert bound.constrained and bound.text.startswith("1 + 1 = ")


def test_an_unusable_grammar_fails_only_its_request(tiny_backend):
    from reasoning.llm._base import BackendError

    with pytest.raises(BackendError):
        asyncio.run(tiny_backend.generate("x", grammar="start: nowhere", max_tokens=5))
    assert asyncio.run(tiny_backend.generate("x", max_tokens=3)).completion_tokens >= 1


# ---- the proposer, with a test double ----------------------------------------------------------


class SamplesBackend(StreamingBackend):
    """Test double: `generate(..., n=k)` returns the next k texts of `texts` (cycling)."""

    supports_grammar = True
    name = "samples"

    def __init__(self, texts):
        self.texts, self.at, self.calls = list(texts), 0, []

    async def generate(self, prompt, *, grammar=None, n=1, seed=0, **params):
        self.calls.append((n, seed))
        out = tuple(self.texts[(self.at + i) % len(self.texts)] for i in range(n))
        self.at += n
        return Generation(out[0], 10 * n, 3 * n, "stop", self.name, 0.0, texts=out, constrained=True)


def test_the_proposer_keeps_only_checked_lines_and_doubles_k_on_zero_yield():
    backend = SamplesBackend(["1 + 1"] * 8 + ["2 + 2"])
    proposer = Proposer(backend, k=4, k_min=2, k_max=16)
    proposal = asyncio.run(proposer.propose([{"role": "user", "content": "q"}], "g", lambda s: s == "2 + 2"))
    assert proposal.verified == ["2 + 2"]
    assert proposal.ks == [4, 8]  # nothing verified in the first batch: k doubled
    assert proposal.completion_tokens == 3 * 12
    assert proposer.k == 8  # 1 of 8 verified: k stays


def test_the_proposer_halves_k_on_a_high_yield_and_respects_bounds():
    proposer = Proposer(SamplesBackend(["a", "b"]), k=8, k_min=4, k_max=8)
    assert proposer.adapt(8, 6) == 4
    assert proposer.adapt(4, 4) == 4  # k_min
    assert proposer.adapt(4, 0) == 8
    assert proposer.adapt(8, 0) == 8  # k_max


def test_concurrent_identical_proposals_share_one_batch():
    backend = SamplesBackend(["ok"])
    proposer = Proposer(backend, k=4)

    async def two():
        messages = [{"role": "user", "content": "q"}]
        return await asyncio.gather(
            proposer.propose(messages, "g", lambda s: True, seed=5),
            proposer.propose(messages, "g", lambda s: True, seed=5),
        )

    first, second = asyncio.run(two())
    assert len(backend.calls) == 1
    assert first.verified == second.verified == ["ok"]
    assert first.completion_tokens + second.completion_tokens == 12  # counted once


# ---- the packaged model (slow) -----------------------------------------------------------------


@pytest.mark.slow
def test_the_packaged_model_solves_3_5_7_to_22_as_proposer():
    import reasoning

    result = reasoning.solve(
        {"domain": "countdown", "numbers": [3, 5, 7], "target": 22}, worker_kind="llm", out=False
    )
    assert result.verified
    assert result.producers and all(p["worker"].startswith("llm:") for p in result.producers)
    assert result.model_load_s is not None and result.model_load_s > 0
    assert result.metrics["total_tokens"] > 0


@pytest.mark.slow
def test_the_packaged_model_writes_only_grammar_lines_under_a_grammar():
    from reasoning.llm._local import LocalBackend

    backend = LocalBackend()
    try:
        problem = load({"domain": "countdown", "numbers": [4, 9, 11, 2], "target": 35})
        domain = get("countdown")
        generation = asyncio.run(
            backend.generate(
                domain.proposer_prompt(problem, "search all"),
                grammar=domain.query_grammar(problem, "search all"),
                n=8,
                temperature=1.0,
                seed=7,
                max_tokens=48,
            )
        )
    finally:
        backend.close()
    for text, reason in zip(generation.texts, generation.finish_reasons, strict=True):
        assert reason == "stop"
        tree, _ = parse_line(text)
        assert not Counter(leaves(tree)) - Counter([4, 9, 11, 2])


def test_the_llm_worker_proposes_checks_and_returns_only_proved_lines():
    import reasoning

    backend = SamplesBackend(["3 + 5", "3 * 5 + 7", "7 - 5"])
    result = reasoning.solve(
        {"domain": "countdown", "numbers": [3, 5, 7], "target": 22},
        worker_kind="llm",
        model=backend,
        out=False,
    )
    assert result.verified and result.answers == ["3 * 5 + 7"]
    assert {p["claim"] for p in result.producers} == {"3 * 5 + 7"}
    assert all(p["worker"] == "llm:samples" for p in result.producers)
    assert result.metrics["rejected_claims"] == 0  # the wrong samples never reached the engine
    assert len(backend.calls) == 1  # the forks shared one batch


def test_proposer_false_keeps_the_free_text_path():
    import reasoning

    backend = SamplesBackend(["3 * 5 + 7"])
    result = reasoning.solve(
        {"domain": "countdown", "numbers": [3, 5, 7], "target": 22},
        worker_kind="llm",
        model=backend,
        out=False,
        proposer=False,
        budget_s=20,
    )
    assert backend.calls == []  # no k-sample call: the worker streamed (and this double cannot)
    assert not result.verified
