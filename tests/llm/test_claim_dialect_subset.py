"""The claim grammar in llguidance's dialect is a subset of our claim language: it does not
generate the spellings `proofs.parsing.parse_claim` refuses as ambiguous (spaced numbers `10 000`,
double factorials `5!!`, `!=` touching an operand), and it still generates the usual claims."""

from __future__ import annotations

import os

import pytest

from proofs.parsing import ParseFailure, parse_claim
from reasoning.llm._grammar_dialect import claim_grammar

pytest.importorskip("llguidance")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

#: Refused by our parser as ambiguous, so a model must not be able to decode them.
REFUSED = [
    "10 000 = 0",
    "1 1/2 = 1",
    "2 .5 = 1",
    "x = 2 3",
    "5!! = 15",
    "3! ! = 720",
    "3!!=720",
    "x!=2",
    "4!=25",
    "(x)!=2",
    "1e3 = 1000",
    "2e+3 = 2003",
    ".5e3 = 500",
    "0x10 = 16",
    "ab(2) = 2",
    "2 ab(2) = 2",
    "xsqrt(4) = 2",
    "not(x = 1)",
    "x = 1 and(y = 2)",
    "x = 1 or(y = 2)",
    "3 mod(2) = 1",
    "3 factorial = 6",
    "x sqrt = 2",
    "forall e in Real: e = e",
    "exists x, pi in Int: x = pi",
    "1.5.2 = 0.3",
    ".5.2 = 0.1",
    "1_000 = 1000",
    "2_5 = 2*_5",
]
#: Read by our parser, and offered by the dialect grammar.
READ = [
    "x != 2",
    "4! = 24",
    "4!  = 24",
    "(3!)! = 720",
    "3! != 6",
    "4!<5",
    "4! >= 3",
    "2x = 4",
    "2 x = 4",
    "2*x + 3 = 7",
    "x=2",
    "x !=2",
    "10000 = 10000",
    "x^2 - 1 = (x-1)*(x+1)",
    "forall x in Real: x^2 >= 0",
    "a = b! = c",
    "x^2! = 4",
    "2x^2 = 8",
    "2*e^x = 1",
    "2(x + 1) = 4",
    "(x - 1)(x + 1) = 0",
    "x sqrt(4) = 2",
    "2sqrt(4) = 4",
    "x*(y) = 1",
    "not (x = 1)",
    "x = 1 and y = 2 or z = 3",
    "3 mod 2 = 1",
    "2xy = 1",
    "0x = 0",
    "x in {1, 2}",
    "forall x, y in Int: x + y = y + x",
    "2 pi = 2*pi",
    "sqrtx = factorial(3)",
    "x_1 = 2",
    "1.5*0.2 = 0.3",
    "2*x1_2 = 4",
]


@pytest.fixture(scope="module")
def llg_tokenizer():
    """Grammar masks over the packaged model's tokenizer (no model load)."""
    transformers = pytest.importorskip("transformers")
    from reasoning.llm._constrained import GrammarMasks
    from tests.llm.test_constrained import _tokenizer_dir

    return GrammarMasks(transformers.AutoTokenizer.from_pretrained(str(_tokenizer_dir())))


def accepts(masks, grammar: str, text: str, *, per_character: bool = False) -> bool:
    """Whether the whole of `text` is a complete string of `grammar` (llguidance's matcher), fed
    as the tokenizer splits it or one token per character (a model may pick either split)."""
    matcher = masks.matcher(grammar)
    tokenize = masks.tokenizer.tokenize_str
    tokens = [t for ch in text for t in tokenize(ch)] if per_character else tokenize(text)
    assert masks.tokenizer.decode_str(tokens) == text
    if matcher.validate_tokens(tokens) < len(tokens):
        return False
    assert matcher.consume_tokens(tokens)
    return matcher.is_accepting()


@pytest.mark.parametrize("text", REFUSED)
def test_the_parser_refuses_the_ambiguous_spellings(text):
    assert isinstance(parse_claim(text), ParseFailure)


@pytest.mark.parametrize("text", READ)
def test_the_parser_reads_the_plain_spellings(text):
    assert not isinstance(parse_claim(text), ParseFailure)


@pytest.mark.parametrize("per_character", [False, True])
def test_the_dialect_grammar_does_not_generate_the_ambiguous_spellings(llg_tokenizer, per_character):
    grammar = claim_grammar()
    taken = [text for text in REFUSED if accepts(llg_tokenizer, grammar, text, per_character=per_character)]
    assert taken == []


@pytest.mark.parametrize("per_character", [False, True])
def test_the_dialect_grammar_generates_the_plain_spellings(llg_tokenizer, per_character):
    grammar = claim_grammar()
    missed = [text for text in READ if not accepts(llg_tokenizer, grammar, text, per_character=per_character)]
    assert missed == []


@pytest.mark.slow
def test_the_packaged_model_writes_only_claims_our_parser_reads_under_the_claim_grammar():
    import asyncio

    from reasoning.llm._local import LocalBackend

    prompt = [
        {"role": "system", "content": "Write one arithmetic claim, nothing else."},
        {"role": "user", "content": "A claim about 4 factorial."},
        {"role": "assistant", "content": "4! = 24"},
        {"role": "user", "content": "A claim about x and 2."},
        {"role": "assistant", "content": "x != 2"},
        {"role": "user", "content": "A claim about ten thousand and 3 factorial."},
    ]
    backend = LocalBackend()
    try:
        generation = asyncio.run(
            backend.generate(prompt, grammar=claim_grammar(), n=16, temperature=1.0, seed=3, max_tokens=32)
        )
    finally:
        backend.close()
    finished = [t for t, r in zip(generation.texts, generation.finish_reasons, strict=True) if r == "stop"]
    assert finished, list(zip(generation.texts, generation.finish_reasons, strict=True))[:6]
    assert [t for t in finished if isinstance(parse_claim(t), ParseFailure)] == []
