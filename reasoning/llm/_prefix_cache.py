"""KV caches of recent prompts, so that a prompt sharing a prefix with one prefills only the rest.

The proposer's prompts differ only in their last turn (a Countdown prompt: the same instructions
and worked examples, then this task's numbers), and an organizer's turns grow one run's text;
the key/value states of a shared prefix are the same whatever follows it (causal attention), so
they are computed once. `find(prompt)` returns the longest prefix of `prompt` (at least
`MIN_REUSE` tokens, always leaving one token to compute the next-token logits from) held here,
as a fresh `DynamicCache` over that prefix; `store(prompt, cache)` keeps a prompt's states (a
copy: the decode loop's own cache grows and shrinks). Only single-row, unpadded prompts are
kept. The states agree with a one-piece prefill up to float rounding.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

#: Shortest shared prefix worth reusing, in tokens.
MIN_REUSE = 8


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """The length of the longest common prefix of `a` and `b`."""
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


class PrefixCache:
    """Up to `size` prompts' KV states, least recently used dropped first (0 keeps nothing)."""

    def __init__(self, size: int = 4) -> None:
        if not isinstance(size, int) or size < 0:
            raise ValueError(f"prefix cache size must be a non-negative int, got {size!r}")
        self.size = size
        self.entries: OrderedDict[tuple[int, ...], list[tuple[Any, Any]]] = OrderedDict()
        self.hits = 0
        self.reused_tokens = 0

    def find(self, prompt: Sequence[int]) -> tuple[int, Any]:
        """(tokens reused, a DynamicCache over them) for `prompt`; (0, None) when nothing fits."""
        best, layers, key = 0, None, None
        for stored, states in self.entries.items():
            shared = min(common_prefix(stored, prompt), len(prompt) - 1)
            if shared > best:
                best, layers, key = shared, states, stored
        if layers is None or best < MIN_REUSE:
            return 0, None
        from transformers import DynamicCache

        self.entries.move_to_end(key)
        self.hits += 1
        self.reused_tokens += best
        return best, DynamicCache([(k[:, :, :best, :], v[:, :, :best, :]) for k, v in layers])

    def store(self, prompt: Sequence[int], cache: Any) -> None:
        """Keep a copy of the KV states of `prompt` (one row, no padding) from `cache`."""
        if self.size == 0:
            return
        key = tuple(prompt)
        self.entries[key] = [(layer.keys.clone(), layer.values.clone()) for layer in cache.layers]
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)
