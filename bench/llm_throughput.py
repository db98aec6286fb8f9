"""Throughput of the `local` backend: dynamic batching against one request at a time.

What it measures (issue 5).

1. Load time of the packaged SmolLM2-135M-Instruct: the first load (GGUF -> float32 safetensors
   cache, in a fresh temporary cache directory) and a load from that cache. Target: cached load
   <= 3 s (torch/transformers import time excluded: it is paid once per process before this).
2. Generation throughput with 1 and 4 concurrent requests, batched (dynamic batching, max_batch 8)
   against unbatched (the same backend with max_batch 1: requests served one at a time, FIFO),
   the same prompts, greedy, `--max-tokens` each. tokens/s = completion tokens of all requests /
   wall time from the first submit to the last completion. Each backend is loaded and warmed up
   (one short request) before timing. `ratio` = batched tokens/s / unbatched tokens/s at the same
   concurrency; `vs c=1` = tokens/s / the same mode's tokens/s at concurrency 1.

3. `--constrained` (issue 16): grammar-constrained vs unconstrained decoding, the same prompts (the
   Countdown proposer prompt of `--instances` seeded 3-number tasks), k = `--k` samples per call
   (one group: one prefill), temperature 1.0. tokens/s = completion tokens / wall time of the
   calls; `mask_share` = seconds spent computing and applying llguidance masks / seconds of
   decode forward passes (the batcher's counters); `parse` = constrained samples that our own
   expression reader parses (target 100%). Target: the mask costs <= 10% of tokens/s.

`throughput_rows(backend_factory, ...)` is the reusable part (bench/thinking_modes.py prints it).

Run:
    .venv/bin/python bench/llm_throughput.py [--max-tokens N] [--concurrency 1 4] [--model SPEC]
        [--skip-convert] [--json]

The machine has 2 cores; numbers move with whatever else runs. Exit status 0 regardless.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reasoning.llm._base import Generation  # noqa: E402

PROMPTS = [
    "Write a short story about a lighthouse keeper.",
    "Explain how a bicycle works, step by step.",
    "Describe a walk through a forest in autumn.",
    "Write a letter to a friend about learning to cook.",
    "Explain why the sky is blue to a child.",
    "Describe the city of Paris to a visitor.",
    "Write a poem about the ocean at night.",
    "Explain what a prime number is, with examples.",
]


async def _burst(backend: Any, prompts: Sequence[str], max_tokens: int) -> tuple[list[Generation], float]:
    started = time.perf_counter()
    results = await asyncio.gather(*(backend.generate(p, max_tokens=max_tokens) for p in prompts))
    return list(results), time.perf_counter() - started


def throughput_rows(
    backend_factory: Callable[..., Any],
    concurrencies: Sequence[int] = (1, 4),
    max_tokens: int = 64,
) -> list[dict[str, Any]]:
    """One row per (mode, concurrency): tokens/s batched vs unbatched.

    `backend_factory(batching=bool)` makes a backend; each is loaded (`load()` if it has one),
    warmed up, used for every concurrency, then closed. Rows carry: mode, concurrency, tokens,
    seconds, tokens_per_s, mean_batch (from `stats()` when the backend has it), vs_c1 and ratio
    (batched / unbatched tokens/s at the same concurrency, on the batched rows).
    """
    rows: list[dict[str, Any]] = []
    for batching in (False, True):
        backend = backend_factory(batching=batching)
        try:
            if hasattr(backend, "load"):
                backend.load()
            asyncio.run(_burst(backend, PROMPTS[:1], 4))  # warm-up
            for c in concurrencies:
                prompts = [PROMPTS[i % len(PROMPTS)] for i in range(c)]
                before = backend.stats() if hasattr(backend, "stats") else {}
                results, seconds = asyncio.run(_burst(backend, prompts, max_tokens))
                after = backend.stats() if hasattr(backend, "stats") else {}
                tokens = sum(g.completion_tokens for g in results)
                row: dict[str, Any] = {
                    "mode": "batched" if batching else "unbatched",
                    "concurrency": c,
                    "tokens": tokens,
                    "seconds": round(seconds, 2),
                    "tokens_per_s": round(tokens / seconds, 1) if seconds else 0.0,
                }
                steps = after.get("decode_steps", 0) - before.get("decode_steps", 0)
                if steps:
                    batch_rows = after["batch_rows"] - before.get("batch_rows", 0)
                    row["mean_batch"] = round(batch_rows / steps, 2)
                rows.append(row)
        finally:
            backend.close()
    by_key = {(r["mode"], r["concurrency"]): r for r in rows}
    for row in rows:
        base = by_key.get((row["mode"], concurrencies[0]))
        row["vs_c1"] = round(row["tokens_per_s"] / base["tokens_per_s"], 2) if base["tokens_per_s"] else 0.0
        if row["mode"] == "batched":
            peer = by_key[("unbatched", row["concurrency"])]["tokens_per_s"]
            row["ratio"] = round(row["tokens_per_s"] / peer, 2) if peer else 0.0
    return rows


def constrained_rows(backend: Any, instances: int = 5, k: int = 16, seed: int = 0) -> list[dict[str, Any]]:
    """Unconstrained vs constrained rows on the same prompts (see the module docstring, item 3)."""
    import random

    from reasoning.domains import get, load
    from reasoning.domains.countdown._search import ExpressionSyntaxError, parse_line

    domain = get("countdown")
    rng = random.Random(seed)
    problems = [
        load(
            {
                "domain": "countdown",
                "numbers": [rng.randint(1, 20) for _ in range(3)],
                "target": rng.randint(10, 100),
            }
        )
        for _ in range(instances)
    ]
    rows = []
    for constrained in (False, True):
        before = backend.stats()
        tokens = parsed = samples = 0
        started = time.perf_counter()
        for i, problem in enumerate(problems):
            messages = domain.proposer_prompt(problem, "search all")
            grammar = domain.query_grammar(problem, "search all") if constrained else None
            generation = asyncio.run(
                backend.generate(
                    messages, grammar=grammar, n=k, temperature=1.0, seed=seed + i, max_tokens=48
                )
            )
            tokens += generation.completion_tokens
            for text in generation.texts:
                samples += 1
                try:
                    parse_line(text)
                    parsed += 1
                except ExpressionSyntaxError:
                    pass
        seconds = time.perf_counter() - started
        after = backend.stats()
        decode = after["decode_s"] - before["decode_s"]
        mask = after["mask_s"] - before["mask_s"]
        rows.append(
            {
                "mode": "constrained" if constrained else "unconstrained",
                "calls": len(problems),
                "k": k,
                "tokens": tokens,
                "tokens_per_sample": round(tokens / samples, 1),
                "seconds": round(seconds, 2),
                "tokens_per_s": round(tokens / seconds, 1),
                "mask_s": round(mask, 3),
                "decode_s": round(decode, 2),
                "mask_share": round(mask / decode, 4) if decode else 0.0,
                "parse": round(parsed / samples, 4),
            }
        )
    free, bound = rows
    bound["vs_unconstrained"] = (
        round(bound["tokens_per_s"] / free["tokens_per_s"], 3) if free["tokens_per_s"] else 0.0
    )
    return rows


def load_times() -> dict[str, float]:
    """Seconds for the first load (conversion into a fresh cache) and for a load from that cache."""
    from reasoning.llm._local_model import _import_transformers, load

    _import_transformers()  # paid once per process; not part of either figure
    with tempfile.TemporaryDirectory(prefix="reasoning-bench-cache-") as cache:
        _, _, first = load(None, cache)
        _, _, cached = load(None, cache)
    return {"first_load_s": round(first.seconds, 2), "cached_load_s": round(cached.seconds, 2)}


def format_rows(rows: Sequence[dict[str, Any]]) -> str:
    """A plain-text table of `rows` (the union of their keys as columns)."""
    headers = list(dict.fromkeys(key for row in rows for key in row))
    cells = [[str(row.get(h, "")) for h in headers] for row in rows]
    widths = [max(len(h), *(len(line[i]) for line in cells)) for i, h in enumerate(headers)]
    out = ["  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True))]
    out += ["  ".join(c.rjust(w) for c, w in zip(line, widths, strict=True)) for line in cells]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--model", default=None, help="a --model spec (default: the packaged model)")
    parser.add_argument("--skip-convert", action="store_true", help="skip the first-load measurement")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--constrained", action="store_true", help="only item 3: constrained vs unconstrained"
    )
    parser.add_argument("--instances", type=int, default=5, help="prompts for --constrained")
    parser.add_argument("--k", type=int, default=16, help="samples per call for --constrained")
    args = parser.parse_args(argv)
    if args.constrained:
        import os

        from reasoning.llm._local import LocalBackend

        load = os.getloadavg()[0]
        backend = LocalBackend(max_batch=max(8, args.k))
        backend.load()
        backend._batcher.masks()
        asyncio.run(backend.generate("hi", max_tokens=2))  # warm-up
        rows = constrained_rows(backend, args.instances, args.k)
        backend.close()
        if args.json:
            print(json.dumps({"load_average_1m": load, "rows": rows}, indent=1))
            return 0
        bound = rows[1]
        cost = 1 - bound["vs_unconstrained"]
        print(
            f"constrained vs unconstrained, k={args.k}, {args.instances} prompts (load average {load:.2f}):"
        )
        print(format_rows(rows))
        print(
            f"mask share of decode time {bound['mask_share']:.1%} (target <= 10%: "
            f"{'PASS' if bound['mask_share'] <= 0.10 else 'MISS'}); tokens/s ratio {bound['vs_unconstrained']} "
            f"({'faster' if cost < 0 else f'{cost:.1%} slower'}); parse {bound['parse']:.0%} (target 100%)"
        )
        return 0

    from reasoning.llm import load_backend

    times = {} if args.skip_convert or args.model else load_times()

    def factory(batching: bool = True) -> Any:
        return load_backend(args.model, batching=batching)

    rows = throughput_rows(factory, concurrencies=args.concurrency, max_tokens=args.max_tokens)
    if args.json:
        print(json.dumps({"load": times, "rows": rows}, indent=1))
        return 0
    if times:
        verdict = "PASS" if times["cached_load_s"] <= 3 else "MISS"
        print(
            f"load: first (convert) {times['first_load_s']} s, cached {times['cached_load_s']} s "
            f"(target <= 3 s: {verdict})"
        )
    print(f"throughput, greedy, max_tokens={args.max_tokens}:")
    print(format_rows(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
