"""The output layer over chosen token ids only, for grammar-constrained decode steps.

Under a grammar a row may take only a few tokens (a Countdown expression: digits of its own
numbers, operators, parentheses, a space, the end: tens of ids out of SmolLM2's 49,152), yet the
full output layer multiplies every hidden state with all 49,152 rows of the output embedding
(about a fifth of a 135M model's decode step) and sampling then softmaxes the whole vocabulary
once per row. `SparseHead` runs the model's body, gathers the output-embedding rows of the union
of the rows' allowed ids, and computes only those logits; `pick` then samples a row's token from
the softmax over its own allowed ids. That is the same distribution as the full softmax with the
forbidden logits at -inf (their terms are exp(-inf) = 0), and greedy decoding picks the same
token (the first maximum in id order). The logits agree with the full layer's up to float
rounding (a smaller matrix product sums in another order).

`SparseHead.of(model)` returns None unless the model's logits are exactly `lm_head(body(x))`
(a `...ForCausalLM` with a plain linear output layer, checked once numerically on a short input,
so a logit soft-cap, a logit scale or a wrapper falls back to the full path).
"""

from __future__ import annotations

from typing import Any

#: Above this share of the vocabulary, one full product beats gathering the rows first.
MAX_SPARSE_SHARE = 0.125


class SparseHead:
    """A causal LM split into its body (hidden states) and its output layer (see the module doc)."""

    def __init__(self, body: Any, weight: Any, bias: Any = None) -> None:
        import torch

        self.torch = torch
        self.body = body
        self.weight = weight
        self.bias = bias
        self.vocab = int(weight.shape[0])
        self._bits = torch.arange(32, dtype=torch.int32)

    @classmethod
    def of(cls, model: Any) -> SparseHead | None:
        """The split of `model`, or None when its logits are not `lm_head(body(x))`."""
        import torch

        get_head = getattr(model, "get_output_embeddings", None)
        prefix = getattr(model, "base_model_prefix", None)
        body = getattr(model, prefix, None) if isinstance(prefix, str) and prefix else None
        head = get_head() if callable(get_head) else None
        if body is None or not isinstance(head, torch.nn.Linear):
            return None
        split = cls(body, head.weight, head.bias)
        try:
            with torch.inference_mode():
                ids = torch.tensor([[1, 2, 3]], dtype=torch.long)
                full = model(input_ids=ids, use_cache=False).logits[:, -1, :].float()
                hidden = body(input_ids=ids, use_cache=False).last_hidden_state[:, -1, :]
                mine = split.full(hidden).float()
        except Exception:  # a model whose body takes other arguments: use the full path
            return None
        if mine.shape != full.shape or not torch.allclose(mine, full, rtol=1e-4, atol=1e-4):
            return None
        return split

    def forward(self, **kwargs: Any) -> tuple[Any, Any]:
        """(hidden states of the last position [rows, hidden], the KV cache) of one body call."""
        out = self.body(use_cache=True, **kwargs)
        return out.last_hidden_state[:, -1, :], out.cache

    def full(self, hidden: Any) -> Any:
        """Logits over the whole vocabulary [rows, vocab]."""
        return self.torch.nn.functional.linear(hidden, self.weight, self.bias)

    def restricted(self, hidden: Any, ids: Any) -> Any:
        """Logits of the token ids `ids` only [rows, len(ids)] (`ids` a 1-D LongTensor)."""
        bias = None if self.bias is None else self.bias.index_select(0, ids)
        return self.torch.nn.functional.linear(hidden, self.weight.index_select(0, ids), bias)

    def allowed(self, packed: Any) -> list[Any]:
        """Per row of a packed int32 token bitmask (llguidance's: bit b of word w is token 32w+b),
        its allowed token ids in increasing order (ids past the output layer dropped)."""
        torch = self.torch
        rows, words = packed.nonzero(as_tuple=True)
        bits = ((packed[rows, words].unsqueeze(-1) >> self._bits) & 1).bool()
        entry, bit = bits.nonzero(as_tuple=True)
        tokens = words.index_select(0, entry).long() * 32 + bit
        owner = rows.index_select(0, entry)
        keep = tokens < self.vocab
        tokens, owner = tokens[keep], owner[keep]
        counts = torch.bincount(owner, minlength=packed.shape[0]).tolist()
        return list(torch.split(tokens, counts))

    def logits_of(self, hidden: Any, allowed: list[Any]) -> list[Any]:
        """Per row, the logits of its `allowed` ids (in their order): from the union's rows of the
        output embedding, or from the full layer when the union is a large share of it."""
        torch = self.torch
        union = torch.unique(torch.cat(allowed)) if allowed else torch.empty(0, dtype=torch.long)
        if union.numel() > MAX_SPARSE_SHARE * self.vocab:
            table = self.full(hidden)
            return [table[i].index_select(0, ids) for i, ids in enumerate(allowed)]
        table = self.restricted(hidden, union)
        return [table[i].index_select(0, torch.searchsorted(union, ids)) for i, ids in enumerate(allowed)]


def pick(logits: Any, ids: Any, temperature: float, generator: Any) -> int:
    """A token among `ids` (their `logits`, 1-D): argmax at temperature 0, else a draw from
    softmax(logits / temperature) with `generator`."""
    import torch

    if temperature <= 0:
        return int(ids[int(logits.argmax())])
    probs = torch.softmax(logits.float() / temperature, dim=-1)
    return int(ids[int(torch.multinomial(probs, 1, generator=generator))])
