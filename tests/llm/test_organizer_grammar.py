"""`LLMOrganizer` decodes its turns under the bounded protocol grammar when the backend can
constrain: every turn parses as protocol (text, complete forks, then a join or an answer)."""

from __future__ import annotations

import asyncio
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reasoning.domains import get
from reasoning.engine._protocol import FormatError, parse_protocol
from reasoning.engine._task import Task
from reasoning.llm._grammar_dialect import bounded_organizer_grammar
from reasoning.llm._scripted import ScriptedBackend
from reasoning.llm._workers import LLMOrganizer

os.environ.setdefault("HF_HUB_OFFLINE", "1")


class GrammarScriptedBackend(ScriptedBackend):
    """Test double: a scripted backend that says it constrains, and records each grammar it got
    (it does not decode under it: the replies are what a constraining backend could return)."""

    supports_grammar = True

    def __init__(self, replies):
        super().__init__(replies)
        self.grammars: list[str | None] = []

    async def generate(self, prompt, *, grammar=None, n=1, **params):
        self.grammars.append(grammar)
        return await super().generate(prompt, n=n, **params)


async def turn(organizer, context="Task: 3*8 = 24", seed=0):
    return "".join([chunk.text async for chunk in organizer.stream(context, seed=seed)])


def parses(text: str) -> bool:
    events = parse_protocol(text)
    return bool(events) and not any(isinstance(e, FormatError) for e in events)


def test_a_constraining_backend_gets_the_bounded_grammar():
    backend = GrammarScriptedBackend(["<FORK-1>evaluate: 3*8</FORK-1><JOIN-1>"])
    organizer = LLMOrganizer(backend, Task("3*8 = 24"), max_tokens=200)
    text = asyncio.run(turn(organizer))
    assert text == "<FORK-1>evaluate: 3*8</FORK-1><JOIN-1>" and parses(text)
    assert backend.grammars == [bounded_organizer_grammar(200, max_forks=2)]


def test_a_backend_that_cannot_constrain_streams_free_text():
    backend = ScriptedBackend(["<ANSWER> 3*8 = 24"])
    organizer = LLMOrganizer(backend, Task("3*8 = 24"))
    assert organizer.grammar is None
    assert asyncio.run(turn(organizer)) == "<ANSWER> 3*8 = 24</ANSWER>"  # closed, as before
    assert LLMOrganizer(GrammarScriptedBackend([""]), Task("1 = 1"), constrain=False).grammar is None


def test_the_bounded_grammar_needs_room_and_shrinks_with_the_budget():
    assert bounded_organizer_grammar(40) is None
    small, large = bounded_organizer_grammar(60), bounded_organizer_grammar(400, max_forks=3)
    assert "fork" not in small.split("\n")[0] and "{1,27}" in small
    assert large.split("\n")[0].count("fork") == 3


@pytest.fixture(scope="module")
def masks():
    pytest.importorskip("llguidance")
    transformers = pytest.importorskip("transformers")
    from reasoning.llm._constrained import GrammarMasks
    from tests.llm.test_constrained import _tokenizer_dir

    tokenizer = transformers.AutoTokenizer.from_pretrained(str(_tokenizer_dir()))
    return GrammarMasks(tokenizer), tokenizer


@settings(max_examples=12, deadline=None)
@given(budget=st.integers(64, 300), forks=st.integers(0, 3), seed=st.integers(0, 10**6))
def test_uniform_samples_of_the_bounded_grammar_finish_within_the_budget_and_parse(
    masks, budget, forks, seed
):
    from reasoning.llm._constrained import uniform_samples

    grammar_masks, tokenizer = masks
    grammar = bounded_organizer_grammar(budget, max_forks=forks)
    for ids in uniform_samples(grammar_masks, grammar, 3, seed=seed, max_tokens=budget + 1):
        text = tokenizer.decode(ids)
        assert len(ids) <= budget and len(text) <= budget
        assert parses(text), text


def test_a_random_tiny_model_under_the_grammar_writes_only_protocol(masks):
    """A tiny random Llama (no training: any token is as likely as another) as the organizer."""
    torch = pytest.importorskip("torch")
    from transformers import LlamaConfig, LlamaForCausalLM

    from reasoning.llm._batching import DynamicBatcher
    from reasoning.llm._local import LocalBackend

    grammar_masks, tokenizer = masks
    torch.manual_seed(2)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=2048,
        eos_token_id=tokenizer.eos_token_id,
    )
    backend = LocalBackend(max_batch=4)
    backend._batcher = DynamicBatcher(LlamaForCausalLM(config).eval(), tokenizer, max_batch=4, name="tiny")
    backend._batcher._masks = grammar_masks
    try:
        problem = get("countdown").parse({"numbers": [3, 5, 7], "target": 22})
        organizer = LLMOrganizer(backend, problem, max_tokens=120, temperature=1.0, max_turns=6)
        for seed in range(6):
            text = asyncio.run(turn(organizer, "Task: make 22", seed=seed))
            assert parses(text), text
    finally:
        backend.close()


@pytest.mark.slow
def test_every_turn_of_the_packaged_model_as_organizer_parses():
    from reasoning.llm._local import LocalBackend

    backend = LocalBackend()
    try:
        problem = get("countdown").parse({"numbers": [3, 5, 7], "target": 22})
        organizer = LLMOrganizer(backend, problem, temperature=1.0, max_turns=8)
        texts = [asyncio.run(turn(organizer, problem.text, seed=seed)) for seed in range(8)]
        assert all(parses(text) for text in texts), texts
    finally:
        backend.close()


@pytest.mark.parametrize("mode", ["vllm", "llamacpp", "none"])
def test_an_openai_compatible_server_gets_the_grammar_in_its_dialect(mode):
    from reasoning.llm._openai_backend import OpenAIBackend
    from tests.llm_servers import recording_app, serve_app

    app = recording_app("<FORK-1>evaluate: 3*8</FORK-1><JOIN-1>")
    with serve_app(app) as root:
        backend = OpenAIBackend(root + "/v1", "test-model", grammar_mode=mode, backoff_s=0.01)
        organizer = LLMOrganizer(backend, Task("3*8 = 24"))
        text = asyncio.run(turn(organizer))
    assert parses(text)
    (request,) = app.state.requests
    grammar = bounded_organizer_grammar(256, max_forks=2)
    if mode == "vllm":
        assert request["structured_outputs"] == {"grammar": grammar}
    elif mode == "llamacpp":
        assert request["grammar"].startswith("root ::= ")
    else:  # nothing sent: free text, parsed and rejected by the engine
        assert organizer.grammar is None and not {"structured_outputs", "grammar"} & set(request)
