"""Thinking modes: the same model and the same token budget, five ways of spending it (issues 5, 16).

Items (seeded, reasoning-gym): small Countdown items (3-4 numbers up to 20, targets 10-100) and
small `basic_arithmetic` items (2-3 terms of 1-2 digits). Each item is read into our domain
problem (`domain.from_reasoning_gym`) and every final answer is scored by reasoning-gym's own
`score_answer` (an oracle we did not write) through `domain.to_reasoning_gym`.

Modes, one shared backend (default: the packaged SmolLM2-135M-Instruct, `--model local`), the
same total budget of T completion tokens per item:

- sequential: one generation of up to T tokens, asked for the answer in `<ANSWER>...</ANSWER>`
  (no tag: the last non-empty line).
- parallel: k independent samples (temperature 0.7, different seeds) of T/k tokens each, run
  concurrently (the local backend batches them), majority vote over normalised answers
  (AsyncThink's "parallel thinking" baseline).
- forkjoin: `reasoning.solve(problem, worker_kind="llm", model=..., capacity=k, max_tokens=T/k,
  proposer=False)`: the domain's planner forks, LLM workers answer in free text, every claim is
  verified before the join and a rejected fork is re-dispatched with the counterexample. The
  backend is wrapped in `BudgetBackend`, which stops the item (BackendError kind "budget") once T
  tokens are spent.
- proposer: the same with `proposer=True` (solve's default): worker replies are decoded under the
  sub-query's grammar, and a search-shaped sub-query (Countdown) gets the k-sample proposer
  (`reasoning.llm._proposer`: candidates sampled in one batched call, the verifier keeps the proved
  ones). Under the budget a batch is cut to fewer samples of at least `PROPOSER_SAMPLE_TOKENS`
  (16) tokens, never to shorter ones, so T = 80 lets its first batch draw 5 samples. (Should
  `solve` lose the option, the rows say "not available".)
- mixed: `worker_kind="mixed"` (with the proposer, as `reason solve` runs it): the solver and
  the model race on each attempt (`reasoning.engine._racing`; the router gives the solver a head
  start and bounds the model's share), the first verified result is joined and the other run
  cancelled. Strong by construction: it measures the engine, not the model; the "LLM claims"
  column says how many joined claims the model produced. Its LLM tokens are still capped at T (a
  cancelled run's tokens count).

The committed table (README, bench/results/thinking_modes_n50.*) used T = 80 and k = 2: the
whole N = 50 run (2 tasks x 5 modes) had to fit in about an hour on a 2-core machine shared with
five other jobs (load average 6-9), where the model decoded 3-8 tokens/s. T = 80 holds the
direct prompt's worked-example answer (37-38 tokens greedy for Countdown) in sequential mode and,
with k = 2, in each parallel sample (40 tokens); k = 4 at T = 128 cut every parallel sample at
32 tokens (no answer tag) and cost about 80 s per Countdown item. `--torch-threads 1` (default):
under that load one torch thread decoded 4-6x faster than two.

Reported per mode and task: accuracy by reasoning-gym's scorer (mean score, fraction == 1.0),
answered items, the fraction of returned answers that were verified (our own domain check of the
answer, or the engine's verified flag for forkjoin/mixed), critical-path latency in tokens and
seconds (sequential: the one generation; parallel: the longest sample; forkjoin/mixed: the run's
critical-path metrics, in which solver replies count their words as tokens), LLM completion
tokens per item and wall time. A second table: tokens/s of the local backend with 1 and 4
concurrent requests, batched vs unbatched (`bench/llm_throughput.py`).

Section `--section proposer` (first on the command line): model-guided vs uniform sampling from
the same grammar, `bench/proposer.py`.

Run:
    .venv/bin/python bench/thinking_modes.py [--items N] [--tasks countdown basic_arithmetic]
        [--budget-tokens T] [--k K] [--modes sequential parallel forkjoin proposer mixed]
        [--model SPEC] [--seed S] [--no-throughput] [--torch-threads N] [--json] [--out FILE]
    the committed run: nice -n 5 .venv/bin/python bench/thinking_modes.py --items 50
        --budget-tokens 80 --k 2 --no-throughput --out bench/results/thinking_modes_n50.json

Progress goes to stderr. `--out FILE` writes the JSON (summary and every item's row) after each
item, so a long run leaves its partial results; `--from-json FILE` (alone) prints the table of
such a file. The exit status is 0 whatever the numbers are.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from reasoning.domains import for_reasoning_gym  # noqa: E402
from reasoning.domains._base import Domain, Problem  # noqa: E402
from reasoning.llm._base import BackendError, Delta, ModelBackend, Prompt, StreamingBackend  # noqa: E402

MODES = ("sequential", "parallel", "forkjoin", "proposer", "mixed")
#: What the proposer mode's rows say while `reasoning.solve` has no `proposer` option.
NOT_AVAILABLE = "not available: reasoning.solve has no proposer option yet (constrained decoding)"
TASKS = ("countdown", "basic_arithmetic")
#: Small reasoning-gym configurations: what a 135M model has some chance on.
TASK_CONFIGS: dict[str, dict[str, Any]] = {
    "countdown": {
        "min_numbers": 3,
        "max_numbers": 4,
        "min_value": 1,
        "max_value": 20,
        "min_target": 10,
        "max_target": 100,
    },
    "basic_arithmetic": {"min_terms": 2, "max_terms": 3, "min_digits": 1, "max_digits": 2},
}
#: The direct (sequential / parallel) prompt: a system line and two worked examples per domain
#: as chat turns (a 135M model follows the tag far more often from chat turns than from prose).
SYSTEM = (
    "You solve small math tasks. Work briefly, then give the final answer alone inside <ANSWER>...</ANSWER>."
)
SHOTS: dict[str, tuple[tuple[str, str], ...]] = {
    "countdown": (
        (
            "Countdown: make 10 from the numbers 2, 3, 4 with + - * / and parentheses; every number used "
            "exactly once.",
            "2 * 3 = 6, 6 + 4 = 10.\n<ANSWER>2 * 3 + 4</ANSWER>",
        ),
        (
            "Countdown: make 5 from the numbers 8, 1, 2 with + - * / and parentheses; every number used "
            "exactly once.",
            "8 / 2 = 4, 4 + 1 = 5.\n<ANSWER>8 / 2 + 1</ANSWER>",
        ),
    ),
    "arithmetic": (
        ("Compute the exact value of 3 + 4 * 2.", "4 * 2 = 8, 3 + 8 = 11.\n<ANSWER>11</ANSWER>"),
        ("Compute the exact value of 12 - -5.", "12 + 5 = 17.\n<ANSWER>17</ANSWER>"),
    ),
}
VERIFY_BUDGET_S = 5.0
#: The least a proposer sample is granted under the budget (a constrained Countdown expression is
#: ~10 tokens, issue 16): a batch the budget cannot hold at this length draws fewer samples.
PROPOSER_SAMPLE_TOKENS = 16
TEMPERATURE = 0.7


@dataclass(frozen=True)
class Item:
    """One reasoning-gym entry, read into our domain's problem."""

    task: str
    index: int
    entry: dict[str, Any]
    problem: Problem
    domain: Domain
    dataset: Any


def make_items(tasks: Sequence[str], n: int, *, seed: int = 0) -> tuple[list[Item], list[str]]:
    """`n` seeded items per task (the small configs above); also the messages of entries our
    domains could not read (skipped). Needs reasoning-gym."""
    import reasoning_gym

    items, skipped = [], []
    for task in tasks:
        domain = for_reasoning_gym(task)
        dataset = reasoning_gym.create_dataset(task, size=n, seed=seed, **TASK_CONFIGS.get(task, {}))
        for index in range(n):
            entry = dataset[index]
            try:
                problem = domain.from_reasoning_gym(task, entry)
            except Exception as exc:  # noqa: BLE001 - a reader's failure is reported, not fatal
                skipped.append(f"{task} #{index}: {exc}")
                continue
            items.append(Item(task, index, entry, problem, domain, dataset))
    return items, skipped


# ---------------------------------------------------------------- the token budget


class BudgetBackend(StreamingBackend):
    """Wraps a backend so that all its calls together write at most `budget_tokens` completion
    tokens. Each call reserves min(max_tokens, what is left) before it starts and gives back what
    it did not use; a call with nothing left raises BackendError(kind="budget")."""

    def __init__(self, inner: ModelBackend, budget_tokens: int, *, sample_tokens: int | None = None) -> None:
        if not isinstance(budget_tokens, int) or budget_tokens < 1:
            raise ValueError(f"budget_tokens must be a positive int, got {budget_tokens!r}")
        if sample_tokens is not None and not 1 <= sample_tokens <= budget_tokens:
            raise ValueError(f"sample_tokens must be in [1, budget_tokens], got {sample_tokens!r}")
        self.inner = inner
        self.name = inner.name
        self.budget_tokens = budget_tokens
        #: The least a sample of a k-sample call is granted (the bench's T/k): a batch that the
        #: budget cannot hold at that length is cut to fewer samples, not to shorter ones.
        self.sample_tokens = sample_tokens or 1
        self.spent = 0
        self.reserved = 0
        self.calls = 0
        self.refused = 0

    @property
    def left(self) -> int:
        return self.budget_tokens - self.spent - self.reserved

    async def stream(
        self,
        prompt: Prompt,
        *,
        max_tokens: int = 256,
        stop: Sequence[str] = (),
        temperature: float = 0.0,
        seed: int = 0,
    ) -> AsyncIterator[Delta]:
        grant = min(max_tokens, self.left)
        if grant < 1:
            self.refused += 1
            raise BackendError(
                f"the item's budget of {self.budget_tokens} completion tokens is spent", kind="budget"
            )
        self.reserved += grant
        self.calls += 1
        used = 0
        try:
            async for delta in self.inner.stream(
                prompt, max_tokens=grant, stop=stop, temperature=temperature, seed=seed
            ):
                used += delta.tokens
                yield delta
        finally:
            self.reserved -= grant
            self.spent += used

    @property
    def supports_grammar(self) -> bool:
        """As the inner backend's: grammars and k samples pass through (the proposer mode)."""
        return bool(getattr(self.inner, "supports_grammar", False))

    async def generate(self, prompt: Prompt, *, grammar=None, n: int = 1, max_tokens: int = 256, **params):
        """k samples (under `grammar`) through the inner backend, reserving n * max_tokens. When
        the budget cannot hold n samples of max_tokens, each sample gets max(left // n,
        sample_tokens) tokens (at most max_tokens) and n shrinks to what the budget holds at that
        length (a 10-token Countdown expression is not cut to 8 tokens; fewer samples are drawn)."""
        if grammar is None and n == 1:
            return await super().generate(prompt, max_tokens=max_tokens, **params)
        grant = min(max_tokens, max(self.left // n, self.sample_tokens))
        n = min(n, self.left // grant) if grant > 0 else 0
        if grant < 1 or n < 1:
            self.refused += 1
            raise BackendError(
                f"the item's budget of {self.budget_tokens} completion tokens is spent", kind="budget"
            )
        self.reserved += grant * n
        self.calls += 1
        used = 0
        try:
            generation = await self.inner.generate(prompt, grammar=grammar, n=n, max_tokens=grant, **params)
            used = generation.completion_tokens
            return generation
        finally:
            self.reserved -= grant * n
            self.spent += used

    def close(self) -> None:
        """The inner backend is shared: closing the wrapper leaves it open."""


# ---------------------------------------------------------------- answers


def direct_prompt(item: Item) -> list[dict[str, str]]:
    """The sequential / parallel prompt: the system line, the domain's worked examples, the task."""
    messages = [{"role": "system", "content": SYSTEM}]
    for question, answer in SHOTS.get(item.domain.name, ()):
        messages += [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
    return messages + [{"role": "user", "content": item.problem.text}]


_ANSWER = re.compile(r"<ANSWER>(.*?)(?:</ANSWER>|$)", re.DOTALL | re.IGNORECASE)


def extract_answer(text: str) -> str:
    """The text inside the first <ANSWER> tag (an unclosed one runs to the end); without a tag,
    the last non-empty line."""
    match = _ANSWER.search(text)
    if match and match.group(1).strip():
        return match.group(1).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def scored_answer(item: Item, answer_text: str) -> str:
    """Our answer written the way reasoning-gym's scorer reads it."""
    return item.domain.to_reasoning_gym(item.problem, item.domain.answers(item.problem, answer_text))


def vote_key(item: Item, answer_text: str) -> str:
    """A normalised answer for majority voting ('' for no answer)."""
    key = re.sub(r"\s+", "", scored_answer(item, answer_text))
    try:
        return str(Fraction(key))
    except (ValueError, ZeroDivisionError):
        return key


def score(item: Item, answer: str) -> float:
    """reasoning-gym's own score of `answer` (a crash of the scorer is a zero)."""
    try:
        return float(item.dataset.score_answer(answer=answer, entry=item.entry))
    except Exception:  # noqa: BLE001 - the oracle's crash scores zero
        return 0.0


def verified(item: Item, answer_text: str) -> bool:
    """Our own domain check of the whole answer proved it."""
    if not answer_text.strip():
        return False
    return item.domain.check_answer(item.problem, answer_text, budget_s=VERIFY_BUDGET_S).proved


# ---------------------------------------------------------------- the modes


def _row(item: Item, mode: str, answer_text: str, is_verified: bool, **extra: Any) -> dict[str, Any]:
    answer = scored_answer(item, answer_text) if answer_text.strip() else ""
    return {
        "task": item.task,
        "index": item.index,
        "mode": mode,
        "answer": answer,
        "score": score(item, answer),
        "answered": bool(answer.strip()),
        "verified": bool(is_verified and answer.strip()),
        **extra,
    }


async def run_sequential(item: Item, backend: ModelBackend, budget_tokens: int, *, seed: int = 0) -> dict:
    """One greedy generation of up to T tokens."""
    started = time.perf_counter()
    generation = await backend.generate(
        direct_prompt(item), max_tokens=budget_tokens, stop=("</ANSWER>",), temperature=0.0, seed=seed
    )
    text = extract_answer(generation.text)
    return _row(
        item,
        "sequential",
        text,
        verified(item, text),
        cp_tokens=generation.completion_tokens,
        cp_s=generation.elapsed_s,
        tokens=generation.completion_tokens,
        wall_s=time.perf_counter() - started,
        raw=generation.text[-400:],
    )


async def run_parallel(
    item: Item, backend: ModelBackend, budget_tokens: int, k: int, *, seed: int = 0
) -> dict:
    """k concurrent samples of T/k tokens, majority vote over normalised answers (ties: the
    earliest sample)."""
    started = time.perf_counter()
    each = max(1, budget_tokens // k)
    prompt = direct_prompt(item)
    generations = await asyncio.gather(
        *(
            backend.generate(
                prompt, max_tokens=each, stop=("</ANSWER>",), temperature=TEMPERATURE, seed=seed * 1000 + j
            )
            for j in range(k)
        )
    )
    texts = [extract_answer(g.text) for g in generations]
    keys = [vote_key(item, t) if t.strip() else "" for t in texts]
    counts = Counter(key for key in keys if key)
    text = ""
    if counts:
        best = max(counts.values())
        text = next(t for t, key in zip(texts, keys, strict=True) if key and counts[key] == best)
    return _row(
        item,
        "parallel",
        text,
        verified(item, text),
        cp_tokens=max(g.completion_tokens for g in generations),
        cp_s=max(g.elapsed_s for g in generations),
        tokens=sum(g.completion_tokens for g in generations),
        wall_s=time.perf_counter() - started,
        votes=dict(counts),
    )


def proposer_available() -> bool:
    """`reasoning.solve` takes the constrained proposer option (`proposer=True`)."""
    from reasoning.engine._solve import solve

    return "proposer" in inspect.signature(solve).parameters


def run_forkjoin(
    item: Item,
    backend: ModelBackend,
    budget_tokens: int,
    k: int,
    *,
    kind: str = "llm",
    seed: int = 0,
    proposer: bool = False,
) -> dict:
    """`reasoning.solve` with LLM (or mixed) workers under the item's token budget; `proposer`
    selects the constrained k-sample proposer (the "proposer" mode)."""
    from reasoning.engine._solve import solve

    started = time.perf_counter()
    capped = BudgetBackend(backend, budget_tokens, sample_tokens=min(budget_tokens, PROPOSER_SAMPLE_TOKENS))
    # Explicit both ways: `solve` constrains and proposes by default, and "forkjoin" is the
    # free-text fork/join that the proposer mode is compared with.
    options = {"proposer": proposer} if proposer_available() else {}
    result = solve(
        item.problem,
        capacity=k,
        seed=seed,
        out=False,
        worker_kind=kind,
        model=capped,
        max_tokens=max(1, budget_tokens // k),
        **options,
    )
    text = "\n".join(result.answers)
    metrics = result.metrics or {}
    producers = list(getattr(result, "producers", []) or [])
    mode = kind if kind != "llm" else "proposer" if proposer else "forkjoin"
    return _row(
        item,
        mode,
        text,
        result.verified,
        cp_tokens=metrics.get("critical_path_tokens", 0),
        cp_s=metrics.get("critical_path_s", 0.0),
        tokens=capped.spent,
        engine_tokens=metrics.get("total_tokens", 0),
        wall_s=time.perf_counter() - started,
        status=result.status,
        forks=metrics.get("forks", 0),
        redispatches=metrics.get("redispatches", 0),
        budget_refusals=capped.refused,
        producers=Counter(p.get("worker", "?") for p in producers),
        llm_claims=sum(1 for p in producers if str(p.get("worker", "")).startswith("llm")),
        by_worker=getattr(result, "by_worker", {}),
    )


def run_mode(
    item: Item, mode: str, backend: ModelBackend, budget_tokens: int, k: int, *, seed: int = 0
) -> dict:
    """One item in one mode; any failure is a row with `error` and score 0."""
    started = time.perf_counter()
    try:
        if mode == "sequential":
            return asyncio.run(run_sequential(item, backend, budget_tokens, seed=seed))
        if mode == "parallel":
            return asyncio.run(run_parallel(item, backend, budget_tokens, k, seed=seed))
        if mode == "proposer" and not proposer_available():
            row = _row(item, mode, "", False, cp_tokens=0, cp_s=0.0, tokens=0, wall_s=0.0)
            row["unavailable"] = NOT_AVAILABLE
            return row
        if mode in ("forkjoin", "proposer", "mixed"):
            kind = "mixed" if mode == "mixed" else "llm"
            return run_forkjoin(
                item, backend, budget_tokens, k, kind=kind, seed=seed, proposer=mode != "forkjoin"
            )
        raise ValueError(f"unknown mode {mode!r}; modes: {', '.join(MODES)}")
    except Exception as exc:  # noqa: BLE001 - one failed item must not end an hour-long run
        row = _row(item, mode, "", False, cp_tokens=0, cp_s=0.0, tokens=0)
        row.update(wall_s=time.perf_counter() - started, error=f"{type(exc).__name__}: {exc}")
        return row


# ---------------------------------------------------------------- the whole bench


def summarize(
    rows: Sequence[dict[str, Any]], modes: Sequence[str], tasks: Sequence[str]
) -> list[dict[str, Any]]:
    """One summary per (mode, task) that has rows."""
    out = []
    for mode in modes:
        for task in tasks:
            group = [r for r in rows if r["mode"] == mode and r["task"] == task]
            if not group:
                continue
            answered = [r for r in group if r["answered"]]
            if all(r.get("unavailable") for r in group):
                out.append(
                    {"mode": mode, "task": task, "n": len(group), "unavailable": group[0]["unavailable"]}
                )
                continue
            out.append(
                {
                    "mode": mode,
                    "task": task,
                    "n": len(group),
                    "mean_score": statistics.fmean(r["score"] for r in group),
                    "perfect": sum(r["score"] == 1.0 for r in group) / len(group),
                    "answered": len(answered),
                    "verified": (sum(r["verified"] for r in answered) / len(answered)) if answered else 0.0,
                    "cp_tokens": statistics.fmean(r["cp_tokens"] for r in group),
                    "cp_s": statistics.fmean(r["cp_s"] for r in group),
                    "tokens": statistics.fmean(r["tokens"] for r in group),
                    "max_tokens": max(r["tokens"] for r in group),
                    "wall_s": sum(r["wall_s"] for r in group),
                    "llm_claims": sum(r.get("llm_claims", 0) for r in group),
                    "errors": sum(1 for r in group if r.get("error")),
                }
            )
    return out


def run_bench(
    items: Sequence[Item],
    backend: ModelBackend,
    *,
    modes: Sequence[str] = MODES,
    budget_tokens: int = 256,
    k: int = 4,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    after_item: Callable[[list[dict[str, Any]]], None] | None = None,
) -> list[dict[str, Any]]:
    """Every item in every mode (item by item, so a cut-short run stays balanced); the rows."""
    rows: list[dict[str, Any]] = []
    for i, item in enumerate(items, start=1):
        for mode in modes:
            row = run_mode(item, mode, backend, budget_tokens, k, seed=seed + item.index)
            rows.append(row)
            if progress is not None:
                note = f" error: {row['error'][:120]}" if row.get("error") else ""
                progress(
                    f"[{i}/{len(items)}] {item.task} #{item.index} {mode}: score {row['score']:.2f}, "
                    f"verified {row['verified']}, {row['tokens']} tok, {row['wall_s']:.1f} s, "
                    f"answer {row['answer'][:40]!r}{note}"
                )
        if after_item is not None:
            after_item(rows)
    return rows


def format_table(headers: Sequence[str], lines: Sequence[Sequence[Any]]) -> str:
    """A plain-text table, right-aligned numbers."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in line] for line in lines]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    rendered = []
    for n, row in enumerate(cells):
        rendered.append(
            "  ".join(
                c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            rendered.append("  ".join("-" * w for w in widths))
    return "\n".join(rendered)


def modes_table(summary: Sequence[dict[str, Any]]) -> str:
    """The main table: one line per (mode, task)."""
    headers = (
        "mode",
        "task",
        "n",
        "score",
        "=1.0",
        "answered",
        "verified",
        "cp tok",
        "cp s",
        "LLM tok",
        "LLM claims",
        "wall s",
        "err",
    )
    lines = [
        (s["mode"], s["task"], s["n"], "n/a", *(["-"] * (len(headers) - 4)))
        if s.get("unavailable")
        else (
            s["mode"],
            s["task"],
            s["n"],
            f"{s['mean_score']:.3f}",
            f"{100 * s['perfect']:.0f}%",
            s["answered"],
            f"{100 * s['verified']:.0f}%",
            f"{s['cp_tokens']:.1f}",
            f"{s['cp_s']:.2f}",
            f"{s['tokens']:.1f}",
            s["llm_claims"],
            f"{s['wall_s']:.1f}",
            s["errors"],
        )
        for s in summary
    ]
    return format_table(headers, lines)


def throughput_table(rows: Sequence[dict[str, Any]]) -> str:
    """The second table, from `bench/llm_throughput.py`'s rows (whatever keys they carry)."""
    if not rows:
        return "(no throughput rows)"
    headers = list(dict.fromkeys(key for row in rows for key in row))
    lines = [[_cell(row.get(h, "")) for h in headers] for row in rows]
    return format_table(headers, lines)


def _cell(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def measure_throughput(spec: str | None, max_tokens: int = 64) -> list[dict[str, Any]]:
    """tokens/s with 1 and 4 concurrent requests, batched vs unbatched (A's `throughput_rows`)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from llm_throughput import throughput_rows

    from reasoning.llm import load_backend

    def factory(batching: bool = True) -> ModelBackend:
        return load_backend(spec, batching=batching)

    return throughput_rows(factory, concurrencies=(1, 4), max_tokens=max_tokens)


NOTE = (
    "Notes: score = reasoning-gym's score_answer (mean), =1.0 = fraction of items scoring 1.0; "
    "verified = fraction of answered items whose answer our checker proved; cp = critical path "
    "(sequential: the generation, parallel: the longest sample, forkjoin/mixed: the run's critical "
    "path, where solver replies count words as tokens); LLM tok = completion tokens per item "
    "(at most the budget T in every mode); LLM claims = joined claims the model produced (fork/join "
    "modes); wall s = total over the items. mixed: the solver and the model race on every attempt "
    "(first verified result joined, the other run cancelled), so it is strong by construction: it "
    "measures the engine, not the model. forkjoin: free-text LLM workers (proposer=False); proposer: "
    "fork/join with grammar-constrained replies and the k-sample proposer (proposer=True)."
)


def render_saved(saved: dict[str, Any]) -> str:
    """The modes table of a saved `--out` JSON, recomputed from its rows (a run cut short has
    items only for the tasks it reached: the n column says how many)."""
    config = saved.get("config", {})
    rows = saved.get("rows", [])
    modes = config.get("modes", list(MODES))
    tasks = config.get("tasks", list(TASKS))
    done = {task: len({r["index"] for r in rows if r["task"] == task}) for task in tasks}
    head = (
        f"Thinking modes: items per task {', '.join(f'{t} {n}' for t, n in done.items())} "
        f"(asked {config.get('items_per_task', '?')}), seed {config.get('seed', '?')}, model "
        f"{config.get('backend', '?')}, budget T = {config.get('budget_tokens', '?')} completion tokens "
        f"per item, k = {config.get('k', '?')}"
    )
    return "\n".join([head, modes_table(summarize(rows, modes, tasks)), NOTE])


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Same model, same token budget: sequential vs parallel voting vs fork/join (vs mixed)."
    )
    parser.add_argument("--items", type=int, default=50, help="items per task (default 50)")
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), help="reasoning-gym tasks")
    parser.add_argument(
        "--budget-tokens", type=int, default=256, help="completion tokens per item, every mode"
    )
    parser.add_argument("--k", type=int, default=4, help="samples for voting, and fork/join workers")
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    parser.add_argument("--model", default="local", help="backend spec (default: the packaged local model)")
    parser.add_argument("--seed", type=int, default=0, help="dataset seed (default 0)")
    parser.add_argument("--no-throughput", action="store_true", help="skip the tokens/s table")
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=1,
        help="torch CPU threads for the local model (default 1: on a loaded 2-core machine 2 threads "
        "decoded 4-6x slower than 1, measured 2026-12-06); 0 keeps torch's default",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the tables")
    parser.add_argument("--out", type=Path, help="write the JSON here (after every item)")
    args = parser.parse_args(argv)
    if args.items < 1 or args.budget_tokens < 1 or not 1 <= args.k <= args.budget_tokens:
        parser.error("--items and --budget-tokens must be >= 1, and 1 <= --k <= --budget-tokens")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the bench; print the tables (or JSON). `--section proposer` runs `bench/proposer.py`
    (model-guided vs uniform sampling from the same grammar) with the remaining options."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:2] == ["--section", "proposer"]:
        import proposer

        section = argparse.ArgumentParser(description="thinking modes, section: the model as proposer")
        proposer.add_arguments(section)
        return proposer.run(section.parse_args(argv[2:]))
    if argv[:1] == ["--from-json"] and len(argv) == 2:  # the table of a saved (maybe partial) run
        print(render_saved(json.loads(Path(argv[1]).read_text())))
        return 0
    args = _parse_args(argv)
    from reasoning.llm import load_backend

    if args.torch_threads > 0:
        import torch

        torch.set_num_threads(args.torch_threads)

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    started = time.perf_counter()
    items, skipped = make_items(args.tasks, args.items, seed=args.seed)
    for message in skipped:
        say(f"skipped {message}")
    throughput = None
    if not args.no_throughput:  # first, so that a run cut short still has it
        say("measuring tokens/s (1 and 4 concurrent, batched vs unbatched) ...")
        try:
            throughput = measure_throughput(args.model)
        except Exception as exc:  # noqa: BLE001 - the second table is optional
            say(f"throughput failed: {type(exc).__name__}: {exc}")
            throughput = [{"error": f"{type(exc).__name__}: {exc}"}]
        say(throughput_table(throughput))
    say(f"loading model {args.model} ...")
    loading = time.perf_counter()
    backend = load_backend(args.model)
    if callable(getattr(backend, "load", None)):
        backend.load()  # eagerly, so the first item's latency is not the load
    say(f"loaded in {time.perf_counter() - loading:.1f} s; {len(items)} items x {len(args.modes)} modes")
    modes_started = time.perf_counter()
    config = {
        "items_per_task": args.items,
        "tasks": args.tasks,
        "budget_tokens": args.budget_tokens,
        "k": args.k,
        "modes": args.modes,
        "model": args.model,
        "backend": backend.name,
        "seed": args.seed,
        "torch_threads": args.torch_threads,
        "load_average": os.getloadavg(),
        "task_configs": {t: TASK_CONFIGS.get(t, {}) for t in args.tasks},
        "skipped": skipped,
    }

    def report(rows: list[dict[str, Any]], throughput: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        return {
            "config": config,
            "summary": summarize(rows, args.modes, args.tasks),
            "throughput": throughput,
            "wall_s": time.perf_counter() - started,
            "rows": rows,
        }

    def save(rows: list[dict[str, Any]], throughput: list[dict[str, Any]] | None = None) -> None:
        if args.out is not None:
            args.out.write_text(json.dumps(report(rows, throughput), default=dict, indent=1) + "\n")

    rows = run_bench(
        items,
        backend,
        modes=args.modes,
        budget_tokens=args.budget_tokens,
        k=args.k,
        seed=args.seed,
        progress=say,
        after_item=lambda rows: save(rows, throughput),
    )
    bench_s = time.perf_counter() - modes_started
    backend.close()
    save(rows, throughput)
    result = report(rows, throughput)
    if args.json:
        sys.stdout.write(json.dumps(result, default=dict) + "\n")
        return 0
    print(
        f"Thinking modes: {args.items} items per task ({', '.join(args.tasks)}), seed {args.seed}, "
        f"model {backend.name}, budget T = {args.budget_tokens} completion tokens per item, k = {args.k}"
    )
    print(modes_table(result["summary"]))
    print(NOTE)
    if throughput is not None:
        print()
        print("Local backend throughput (tokens/s)")
        print(throughput_table(throughput))
    print(f"\nwall: modes {bench_s:.1f} s, total {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
