"""Token masks from grammars (llguidance) for the local backend's decode loop.

`GrammarMasks(tokenizer)` wraps an HF fast tokenizer for llguidance once (~0.4 s for SmolLM2's
49,152 tokens) and compiles grammars into `LLMatcher`s: one compiled matcher per distinct
grammar text (kept in a small cache), `deep_copy()`ed for every sample row. At each decode step
`fill(rows)` computes the rows' token bitmasks in parallel (`fill_next_token_bitmask_par`, one
thread pool inside llguidance) and `apply(logits, rows)` sets the disallowed logits to -inf.

The mask is applied by hand (`allowed_mask`: the packed int32 bitmask unpacked with shifts): the
library's `apply_token_bitmask_inplace` goes through `torch.compile`, whose first call took
14.5 s on this machine.

`uniform_samples` draws strings from a grammar with no model at all: at each step every token the
grammar allows (end of text included once the text is complete) is equally likely. That is the
"uniform" baseline of `bench/thinking_modes.py --section proposer`: the same grammar, the same
tokenizer, no prior. (Uniform over tokens, not over strings: a grammar's long strings are
rarer than under a uniform distribution over its strings.)
"""

from __future__ import annotations

import random
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from reasoning.llm._base import BackendError

#: Compiled grammars kept per tokenizer (a Countdown grammar per task, the claim grammar, ...).
CACHE_SIZE = 64


class GrammarMasks:
    """llguidance state for one tokenizer: the wrapped tokenizer, compiled grammars, an executor."""

    def __init__(self, tokenizer: Any, *, vocab_size: int | None = None) -> None:
        import llguidance
        import llguidance.hf
        import llguidance.torch
        import torch

        self.torch = torch
        self.llg = llguidance
        self.llg_torch = llguidance.torch
        try:
            self.tokenizer = llguidance.hf.from_tokenizer(tokenizer)
        except ValueError as exc:
            raise BackendError(f"grammar decoding needs a fast tokenizer: {exc}", kind="model") from exc
        #: The model's logits width (may exceed the tokenizer's vocabulary: padding rows).
        self.vocab_size = max(vocab_size or 0, self.tokenizer.vocab_size)
        self.eos = self.tokenizer.eos_token
        self.executor = llguidance.LLExecutor()
        self._compiled: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._bits = torch.arange(32, dtype=torch.int32)

    def matcher(self, grammar: str) -> Any:
        """A fresh `LLMatcher` for `grammar` (a copy of the compiled one); BackendError(kind
        "grammar") when llguidance rejects the grammar."""
        with self._lock:
            base = self._compiled.get(grammar)
            if base is not None:
                self._compiled.move_to_end(grammar)
                return base.deep_copy()
        spec = self.llg.LLMatcher.grammar_from_lark(grammar)
        is_error, messages = self.llg.LLMatcher.validate_grammar_with_warnings(spec, self.tokenizer)
        if is_error:
            raise BackendError(f"the grammar is not usable: {messages[0][:500]}", kind="grammar")
        base = self.llg.LLMatcher(self.tokenizer, spec, log_level=0)
        if base.is_error():
            raise BackendError(f"the grammar is not usable: {base.get_error()[:500]}", kind="grammar")
        with self._lock:
            self._compiled[grammar] = base
            while len(self._compiled) > CACHE_SIZE:
                self._compiled.popitem(last=False)
        return base.deep_copy()

    def bitmask(self, matchers: Sequence[Any]) -> Any:
        """The packed int32 bitmasks (one row per matcher) for the next token, in parallel."""
        torch = self.torch
        mask = torch.zeros(
            self.llg_torch.get_bitmask_shape(len(matchers), self.vocab_size), dtype=torch.int32
        )
        self.llg_torch.fill_next_token_bitmask_par(
            self.executor, [(m, i) for i, m in enumerate(matchers)], mask
        )
        return mask

    def allowed(self, packed: Any) -> Any:
        """Boolean [rows, vocab_size]: which tokens each packed bitmask row allows."""
        bits = (packed.unsqueeze(-1) >> self._bits) & 1
        return bits.reshape(packed.shape[0], -1)[:, : self.vocab_size].bool()

    def apply(self, logits: Any, matchers: Sequence[Any]) -> Any:
        """`logits` [rows, vocab] with every token the rows' grammars forbid set to -inf (in place)."""
        allowed = self.allowed(self.bitmask(matchers))
        width = logits.shape[-1]
        if allowed.shape[1] < width:  # logits wider than the tokenizer: the extra ids are never allowed
            pad = self.torch.zeros((allowed.shape[0], width - allowed.shape[1]), dtype=self.torch.bool)
            allowed = self.torch.cat([allowed, pad], dim=1)
        logits.masked_fill_(~allowed[:, :width], float("-inf"))
        return logits


def uniform_samples(
    masks: GrammarMasks, grammar: str, n: int, *, seed: int = 0, max_tokens: int = 64
) -> list[list[int]]:
    """`n` token sequences drawn uniformly among the allowed tokens at each step (see the module
    docstring); each ends when the grammar allows nothing but the end (or at `max_tokens`)."""
    rng = random.Random(seed)
    out: list[list[int]] = []
    base = masks.matcher(grammar)
    for _ in range(n):
        matcher = base.deep_copy()
        tokens: list[int] = []
        while len(tokens) < max_tokens and not matcher.is_stopped():
            allowed = masks.allowed(masks.bitmask([matcher]))[0].nonzero().flatten().tolist()
            if not allowed:
                break
            token = rng.choice(allowed)
            if token == masks.eos:
                break
            if not matcher.consume_token(token):
                raise BackendError(f"llguidance refused a token it allowed: {matcher.get_error()}")
            tokens.append(token)
        out.append(tokens)
    return out
