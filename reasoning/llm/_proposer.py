"""The model as proposer: k samples under a grammar in one batched call, verify all, keep the proved.

For a search-shaped sub-query (a Countdown search) a single greedy answer from a small model is
nearly always wrong, but a batch of k samples at temperature 1 under the query's grammar often
holds a right one, and checking a candidate costs microseconds. `Proposer.propose` asks the
backend for k samples at once (`generate(..., grammar=G, n=k)`: on the local backend one
prefill and k rows of one batch), checks every distinct candidate with the caller's checker, and
returns the verified ones. It draws further batches until it has `want` verified candidates or
its time budget is spent.

k adapts to the measured yield (verified distinct candidates per sample), within
[`k_min`, `k_max`]: it doubles after a batch that verified nothing and halves after one whose
yield was at least `high_yield`. The state lives in the `Proposer`, so one run's forks learn
from each other. Concurrent calls with the same prompt, grammar and round share one batch (the
forks of one Countdown task ask the same question: one batch serves them all).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from reasoning.errors import InvalidArgument
from reasoning.llm._base import Generation, Message, ModelBackend


@dataclass
class Proposal:
    """What one `propose` call found: the verified lines and what it cost."""

    verified: list[str] = field(default_factory=list)
    samples: int = 0
    distinct: int = 0
    batches: int = 0
    completion_tokens: int = 0
    prompt_tokens: int = 0
    seconds: float = 0.0
    ks: list[int] = field(default_factory=list)
    constrained: bool = False
    #: Batches another concurrent caller drew (their tokens are counted there, not here).
    shared: int = 0

    @property
    def tokens(self) -> int:
        """Completion tokens of every sample drawn (the model's output, by its tokenizer)."""
        return self.completion_tokens


class Proposer:
    """Samples candidates from `backend` and keeps the ones `check` proves (module docstring)."""

    def __init__(
        self,
        backend: ModelBackend,
        *,
        k: int = 16,
        k_min: int = 4,
        k_max: int = 64,
        high_yield: float = 0.5,
        temperature: float = 1.0,
        max_tokens: int = 48,
        budget_s: float = 8.0,
        max_batches: int = 6,
    ) -> None:
        if not (isinstance(k_min, int) and isinstance(k_max, int) and 1 <= k_min <= k_max):
            raise InvalidArgument(f"need 1 <= k_min <= k_max, got {k_min!r}, {k_max!r}")
        if not isinstance(k, int) or not k_min <= k <= k_max:
            raise InvalidArgument(f"k must be an int in [{k_min}, {k_max}], got {k!r}")
        if not 0 < temperature <= 2:
            raise InvalidArgument(f"temperature must be in (0, 2], got {temperature!r}")
        self.backend = backend
        self.k = k
        self.k_min = k_min
        self.k_max = k_max
        self.high_yield = high_yield
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.budget_s = budget_s
        self.max_batches = max_batches
        self.history: list[tuple[int, int]] = []  # (k, verified distinct) per batch
        self._shared: dict[str, asyncio.Future] = {}

    def adapt(self, k: int, verified: int) -> int:
        """The next k after a batch of `k` samples that verified `verified` distinct candidates."""
        self.history.append((k, verified))
        if verified == 0:
            self.k = min(self.k_max, max(self.k, k) * 2)
        elif verified / k >= self.high_yield:
            self.k = max(self.k_min, k // 2)
        return self.k

    async def _batch(
        self, messages: Sequence[Message], grammar: str | None, seed: int, k: int
    ) -> tuple[Generation, bool]:
        """(one batch, whether this caller drew it): concurrent callers asking for the same
        thing share the batch, and only the one that drew it counts its tokens."""
        key = json.dumps([list(map(dict, messages)), grammar, seed, k], sort_keys=True)
        shared = self._shared.get(key)
        owner = shared is None
        if shared is None:
            shared = asyncio.ensure_future(
                self.backend.generate(
                    messages,
                    grammar=grammar,
                    n=k,
                    seed=seed,
                    temperature=self.temperature,
                    max_tokens=self.max_tokens,
                )
            )
            self._shared[key] = shared
            shared.add_done_callback(lambda _: self._shared.pop(key, None))
        return await asyncio.shield(shared), owner

    async def propose(
        self,
        messages: Sequence[Message],
        grammar: str | None,
        check: Callable[[str], bool],
        *,
        seed: int = 0,
        want: int = 1,
    ) -> Proposal:
        """Batches of samples until `want` distinct candidates pass `check`, the time budget is
        spent or `max_batches` batches were drawn. `check(line)` must be cheap and sound (the
        engine re-verifies whatever is returned)."""
        started = time.perf_counter()
        out = Proposal()
        seen: set[str] = set()
        round_seed = seed
        while out.batches < self.max_batches:
            k = self.k
            generation, owner = await self._batch(messages, grammar, round_seed, k)
            round_seed += k
            out.batches += 1
            out.ks.append(k)
            out.samples += k
            if owner:
                out.completion_tokens += generation.completion_tokens
                out.prompt_tokens += generation.prompt_tokens
            else:
                out.shared += 1
            out.constrained = generation.constrained
            fresh = 0
            for text in generation.samples:
                line = " ".join(text.split())
                if not line or line in seen:
                    continue
                seen.add(line)
                if check(line):
                    out.verified.append(line)
                    fresh += 1
            out.distinct = len(seen)
            self.adapt(k, fresh)
            if len(out.verified) >= want or time.perf_counter() - started >= self.budget_s:
                break
        out.seconds = time.perf_counter() - started
        return out
