"""The model as proposer: model-guided vs uniform sampling from the same grammar (issue 16).

Instances: seeded reasoning-gym Countdown entries (`--numbers 3`, then 4), numbers 1-20, read
into our domain (`from_reasoning_gym`), then given our default rule `at-most-once` (`--rule
exactly-once` keeps reasoning-gym's "use every number"). Every instance has a solution that uses
all its numbers, so it is solvable under either rule.

Per instance, one batch of k = 16 samples (`--k`) under the instance's grammar
(`CountdownDomain.query_grammar`: expressions over its own numbers, each at most once, optional
`= target`), in two ways:

- model: `LocalBackend.generate(prompt, grammar=G, n=k, temperature=T, seed=s)`: one prefill,
  k rows, llguidance masks (`CountdownDomain.proposer_prompt` is the prompt);
- uniform: `reasoning.llm._constrained.uniform_samples`: at each step every token G allows (the end
  included once the expression is complete) is equally likely; same grammar, same tokenizer, no
  model. This is uniform over tokens, not over strings.

Every sample is checked by the domain's rules (`check_claim`: proved = reaches the target under
the rules). Reported per mode and size: instances, samples, parse rate (our own expression reader),
per-sample accuracy (proved samples / samples), instances solved by the one batch, distinct
candidates per batch, and seconds per batch (mean and median: the model's time includes its
prefill and all decode steps; the uniform sampler's is pure mask work). Targets (3 numbers):
solved >= 40% with <= 2 s per batch, and per-sample accuracy >= 2x uniform. `cpu_s_per_batch` is
the process's CPU time per batch (all threads): on a shared machine it says what a batch costs
whatever the load, and with `--threads 1` it is about the wall time the batch would take on one
idle core.

Run:
    .venv/bin/python bench/proposer.py [--items 50] [--numbers 3 4] [--k 16] [--temperature 1.0]
        [--shuffle] [--rule at-most-once] [--seed 0] [--json] [--out FILE]
or  .venv/bin/python bench/thinking_modes.py --section proposer [the same options]

The machine's CPU is shared: `load` in the output is the 1-minute load average at the start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from reasoning.domains import get  # noqa: E402
from reasoning.domains._base import Problem  # noqa: E402
from reasoning.domains.countdown._search import ExpressionSyntaxError, parse_line  # noqa: E402

MODES = ("model", "uniform")


def make_instances(size: int, n: int, *, seed: int = 0, rule: str = "at-most-once") -> list[Problem]:
    """`n` seeded reasoning-gym Countdown instances of `size` numbers (1-20), read into our domain."""
    import reasoning_gym

    domain = get("countdown")
    dataset = reasoning_gym.create_dataset(
        "countdown",
        size=n,
        seed=seed + size,
        min_numbers=size,
        max_numbers=size,
        min_value=1,
        max_value=20,
        min_target=10,
        max_target=100,
    )
    out = []
    for index in range(n):
        problem = domain.from_reasoning_gym("countdown", dataset[index])
        out.append(domain.parse({**problem.fields, "rule": rule}))
    return out


#: Prompt variants (`--prompt`): the domain's own ("domain"), or worked examples that use all
#: three numbers, do not start with the first one and use parentheses ("varied"), against the
#: model's habits of copying the first number and stopping after two.
PROMPTS = ("domain", "varied")
_VARIED_EXAMPLES = (
    ("Numbers: 3, 7, 5. Target: 26", "7 * 3 + 5"),
    ("Numbers: 2, 8, 5. Target: 30", "(8 - 2) * 5"),
    ("Numbers: 9, 4, 6. Target: 15", "9 + 6"),
)


def prompt_messages(problem: Problem, query: str, variant: str) -> list[dict[str, str]]:
    """The proposer prompt of `problem` in prompt `variant` (see `PROMPTS`)."""
    messages = get("countdown").proposer_prompt(problem, query)
    if variant == "domain":
        return messages
    turns = [messages[0]]
    for user, assistant in _VARIED_EXAMPLES:
        turns += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    return [*turns, messages[-1]]


def _score(problem: Problem, texts: Sequence[str]) -> dict[str, Any]:
    domain = get("countdown")
    parsed = proved = 0
    for text in texts:
        try:
            parse_line(text)
            parsed += 1
        except ExpressionSyntaxError:
            continue
        proved += domain.check_claim(problem, text, budget_s=1.0).proved
    return {"samples": len(texts), "parsed": parsed, "proved": proved, "distinct": len(set(texts))}


def run_instance(
    problem: Problem,
    backend: Any,
    mode: str,
    *,
    k: int,
    temperature: float,
    seed: int,
    shuffle: bool,
    prompt: str = "domain",
) -> dict:
    """One batch of `k` samples for `problem` in `mode`; its scores and seconds."""
    domain = get("countdown")
    query = "search all"
    grammar = domain.query_grammar(problem, query)
    started, cpu = time.perf_counter(), time.process_time()
    if mode == "model":
        prompt_problem = problem
        if shuffle:
            numbers = list(problem.fields["numbers"])
            random.Random(seed).shuffle(numbers)
            prompt_problem = domain.parse({**problem.fields, "numbers": numbers})
        messages = prompt_messages(prompt_problem, query, prompt)
        generation = asyncio.run(
            backend.generate(
                messages, grammar=grammar, n=k, temperature=temperature, seed=seed, max_tokens=48
            )
        )
        texts = [" ".join(t.split()) for t in generation.texts]
        tokens = generation.completion_tokens
    else:
        from reasoning.llm._constrained import uniform_samples

        masks = backend._batcher.masks()
        ids = uniform_samples(masks, grammar, k, seed=seed, max_tokens=48)
        texts = [" ".join(backend._batcher.tokenizer.decode(i).split()) for i in ids]
        tokens = sum(len(i) for i in ids)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "mode": mode,
        "size": len(problem.fields["numbers"]),
        "numbers": problem.fields["numbers"],
        "target": problem.fields["target"],
        "seconds": round(seconds, 3),
        "cpu_s": round(cpu, 3),
        "tokens": tokens,
        "examples": texts[:3],
        **_score(problem, texts),
    }


def summarize(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per (mode, size)."""
    out = []
    for size in sorted({r["size"] for r in rows}):
        for mode in MODES:
            mine = [r for r in rows if r["size"] == size and r["mode"] == mode]
            if not mine:
                continue
            samples = sum(r["samples"] for r in mine)
            seconds = [r["seconds"] for r in mine]
            out.append(
                {
                    "mode": mode,
                    "numbers": size,
                    "instances": len(mine),
                    "samples": samples,
                    "parse": round(sum(r["parsed"] for r in mine) / samples, 4) if samples else 0.0,
                    "per_sample_acc": round(sum(r["proved"] for r in mine) / samples, 4) if samples else 0.0,
                    "solved": sum(1 for r in mine if r["proved"]),
                    "solved_frac": round(sum(1 for r in mine if r["proved"]) / len(mine), 3),
                    "distinct_per_batch": round(statistics.mean(r["distinct"] for r in mine), 2),
                    "tokens_per_batch": round(statistics.mean(r["tokens"] for r in mine), 1),
                    "s_per_batch": round(statistics.mean(seconds), 3),
                    "median_s": round(statistics.median(seconds), 3),
                    "cpu_s_per_batch": round(statistics.mean(r.get("cpu_s", 0.0) for r in mine), 3),
                }
            )
    for line in out:
        if line["mode"] == "model":
            peer = next((x for x in out if x["mode"] == "uniform" and x["numbers"] == line["numbers"]), None)
            if peer is not None:
                base = peer["per_sample_acc"]
                line["vs_uniform"] = round(line["per_sample_acc"] / base, 2) if base else None
    return out


def table(summary: Sequence[dict[str, Any]]) -> str:
    headers = list(dict.fromkeys(key for row in summary for key in row))
    cells = [[str(row.get(h, "")) for h in headers] for row in summary]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(cell, widths, strict=True)) for cell in cells]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of this section (shared with `bench/thinking_modes.py --section proposer`)."""
    parser.add_argument("--items", type=int, default=50, help="instances per size (default 50)")
    parser.add_argument("--numbers", type=int, nargs="+", default=[3, 4], help="sizes (default 3 4)")
    parser.add_argument("--k", type=int, default=16, help="samples per batch (default 16)")
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--shuffle", action="store_true", help="shuffle the numbers' order in the prompt")
    parser.add_argument("--prompt", default="domain", choices=PROMPTS, help="prompt variant")
    parser.add_argument("--threads", type=int, help="torch threads of the decode loop (default: torch's)")
    parser.add_argument("--rule", default="at-most-once", choices=["at-most-once", "exactly-once"])
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--out", type=Path)


def run(args: argparse.Namespace) -> int:
    """Run the section with parsed `args`; print the table (or JSON)."""
    from reasoning.llm._local import LocalBackend

    load = os.getloadavg()[0]
    backend = LocalBackend(max_batch=max(8, args.k), threads=args.threads)
    info = backend.load()
    backend._batcher.masks()  # the llguidance tokenizer: made once, not inside the first batch
    asyncio.run(backend.generate("hi", max_tokens=2))  # warm-up
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for size in args.numbers:
        for index, problem in enumerate(make_instances(size, args.items, seed=args.seed, rule=args.rule)):
            for mode in args.modes:
                row = run_instance(
                    problem,
                    backend,
                    mode,
                    k=args.k,
                    temperature=args.temperature,
                    seed=args.seed * 1000 + index,
                    shuffle=args.shuffle,
                    prompt=args.prompt,
                )
                rows.append(row)
                print(
                    f"{size} numbers #{index} {mode}: {row['proved']}/{row['samples']} proved, "
                    f"{row['seconds']} s, e.g. {row['examples'][:2]}",
                    file=sys.stderr,
                    flush=True,
                )
            if args.out is not None:
                args.out.write_text(json.dumps({"rows": rows, "summary": summarize(rows)}, indent=1))
    stats = backend.stats()
    backend.close()
    summary = summarize(rows)
    result = {
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "load_average_1m": load,
        "load_average_end_1m": os.getloadavg()[0],
        "decode_loop": stats,
        "model_load_s": round(info.seconds, 2),
        "wall_s": round(time.perf_counter() - started, 1),
        "summary": summary,
        "rows": rows,
    }
    if args.out is not None:
        args.out.write_text(json.dumps(result, indent=1))
    if args.json:
        print(json.dumps(result))
        return 0
    print(
        f"Proposer: model-guided vs uniform sampling from the same grammar; k = {args.k}, temperature "
        f"{args.temperature}, rule {args.rule}, shuffle {args.shuffle}, prompt {args.prompt}, seed "
        f"{args.seed}; load average "
        f"{load:.2f} at start, {result['load_average_end_1m']:.2f} at the end; model load {info.seconds:.1f} s (apart)"
    )
    print(table(summary))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
