"""The public verification API: `verify` one claim, `verify_many` for throughput.

Both take claim text in the claim language (README, "Claim language") and return `Verdict`s;
bad input becomes an `invalid` verdict with a position, never an exception. Everything here is
safe to call from several threads at once and from asyncio (via `asyncio.to_thread`): there are
no signals and no shared mutable solver state.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import partial

from proofs.parsing import ParseFailure, parse_claim
from proofs.sandbox import Sandbox
from proofs.verdict import Verdict, invalid, unknown
from reasoning.engine import _ray_pool as ray_pool
from reasoning.errors import InvalidArgument, ReasoningError
from solvers.dispatch import decide

DEFAULT_BUDGET_S = 2.0
#: Below this many claims, `verify_many` works in-process: a pool costs more than it saves.
POOL_THRESHOLD = 64
#: Where `verify_many` runs its claims: this machine's process pool, or Ray (the `ray` extra).
EXECUTORS = ("local", "ray")

__all__ = ["EXECUTORS", "InvalidArgument", "ReasoningError", "lost_verdict", "verify", "verify_many"]


def _check_budget(budget_s: float) -> float:
    if not isinstance(budget_s, (int, float)) or isinstance(budget_s, bool) or not 0 < budget_s <= 3600:
        raise InvalidArgument(f"budget_s must be a number of seconds in (0, 3600], got {budget_s!r}")
    return float(budget_s)


def _failure_details(failure: ParseFailure) -> dict:
    return {
        "line": failure.line,
        "column": failure.column,
        "expected": list(failure.expected),
        "found": failure.found,
    }


def verify(text: str, *, budget_s: float = DEFAULT_BUDGET_S) -> Verdict:
    """Check one claim, e.g. `verify("(x+1)^2 = x^2 + 2x + 1")`.

    Returns a `Verdict` whose status is proved, refuted (with a counterexample), unknown (budget
    or fragment) or invalid (with line, column and expected tokens in `details`). The work is
    bounded by `budget_s` seconds (plus a small constant).
    Raises InvalidArgument only for a bad `budget_s` or a non-string `text`.
    """
    budget_s = _check_budget(budget_s)
    if not isinstance(text, str):
        raise InvalidArgument(f"text must be a str, got {type(text).__name__}")
    start = time.perf_counter()
    formula = parse_claim(text)
    if isinstance(formula, ParseFailure):
        shown = text if len(text) <= 200 else text[:200] + "..."
        verdict = invalid(shown, formula.describe(), **_failure_details(formula))
        return verdict.timed((time.perf_counter() - start) * 1000)
    verdict = decide(formula, budget_s=budget_s)
    # Report the claim as the caller wrote it; the certificate carries the normalised text.
    verdict = replace(verdict, claim=text.split("#", 1)[0].strip())
    return verdict.timed((time.perf_counter() - start) * 1000)


# ------------------------------------------------------------------ process pool for throughput

#: Seconds a chunk may take beyond `budget_s` per claim before its worker is killed.
CHUNK_SLACK_S = 5.0

_pool: Sandbox | None = None
_pool_workers = 0
_pool_lock = threading.Lock()


def _get_pool(workers: int) -> Sandbox:
    """The sandbox for `verify_many` (not the SymPy one: chunks may themselves call SymPy)."""
    global _pool, _pool_workers
    with _pool_lock:
        if _pool is None or _pool.closed or _pool_workers != workers:
            if _pool is not None:
                _pool.shutdown()  # chunks still running there are re-run in the new pool
            _pool, _pool_workers = Sandbox(workers=workers, preload=("reasoning.api",)), workers
        return _pool


def _verify_chunk(texts: list[str], budget_s: float) -> list[Verdict]:
    return [verify(t, budget_s=budget_s) for t in texts]


def _run_in_pool(texts: list[str], budget_s: float, workers: int) -> list[Verdict] | str:
    """`texts` checked in a pool worker that is killed at the chunk's deadline; a string says
    why not (the worker died, ran out of time, or the pool was replaced)."""
    result = _get_pool(workers).run(
        _verify_chunk, texts, budget_s, budget_s=budget_s * len(texts) + CHUNK_SLACK_S, memory_mb=None
    )
    if result.ok and isinstance(result.value, list) and len(result.value) == len(texts):
        return result.value
    return result.error or "the worker returned no verdicts"


def _rerun_one(text: str, budget_s: float, workers: int) -> Verdict:
    """Re-check one claim of a failed chunk, again in a killable worker with the same budget.

    Never in this process: a claim that killed or hung its worker would run here with nothing
    to stop it. If its own worker fails too, the claim is `unknown`.
    """
    outcome = _run_in_pool([text], budget_s, workers)
    if isinstance(outcome, list):
        return outcome[0]
    return unknown(
        text.split("#", 1)[0].strip(), "verify_many", f"the worker checking this claim failed: {outcome}"
    )


def lost_verdict(text: str, why: str) -> Verdict:
    """The verdict of a claim whose worker timed out or died: `unknown`, never a guess."""
    return unknown(text.split("#", 1)[0].strip(), "ray", why)


def verify_many(
    texts: Iterable[str],
    *,
    budget_s: float = DEFAULT_BUDGET_S,
    workers: int | None = None,
    executor: str = "local",
) -> list[Verdict]:
    """Check many claims; verdicts come back in input order.

    `executor="local"`: with more than POOL_THRESHOLD claims the work is spread over a pool of `workers` processes
    (default: the number of CPUs); `workers=0` forces in-process work. If a pool process dies or
    runs out of time, each claim of its chunk is re-checked alone in a fresh killable worker
    with the same budget (never in this process), and one that fails again is `unknown`; so a
    verdict is always returned for every claim, within a bounded time.
    `executor="ray"`: the claims run on warm Ray actors (`reasoning.engine._ray_pool`; `workers` actors,
    default one per CPU of the cluster at `RAY_ADDRESS`, or of a local runtime); a claim whose
    actor hangs past its budget or dies twice comes back `unknown`.
    """
    budget_s = _check_budget(budget_s)
    if executor not in EXECUTORS:
        raise InvalidArgument(f"executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    if isinstance(texts, (str, bytes)):  # iterated, one str was checked as one claim per character
        raise InvalidArgument(
            "texts must be a list (an iterable) of claims, not one str: use verify() for one"
        )
    items = list(texts)
    for item in items:
        if not isinstance(item, str):
            raise InvalidArgument(f"every claim must be a str, got {type(item).__name__}")
    if workers is not None and workers < 0:
        raise InvalidArgument("workers must be >= 0")
    if executor == "ray":
        pool = ray_pool.get_pool(actors=workers or None)
        return pool.map(partial(verify, budget_s=budget_s), items, budget_s=budget_s, fallback=lost_verdict)
    if workers is None:
        workers = os.cpu_count() or 1
    if workers == 0 or len(items) <= POOL_THRESHOLD:
        return _verify_chunk(items, budget_s)
    size = max(8, len(items) // (workers * 8))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]

    def run_chunk(chunk: list[str]) -> list[Verdict]:
        outcome = _run_in_pool(chunk, budget_s, workers)
        if isinstance(outcome, list):
            return outcome
        return [_rerun_one(text, budget_s, workers) for text in chunk]  # the worker died or timed out

    # One thread per worker keeps every worker busy; the threads only wait on pipes.
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="verify-many") as threads:
        return [verdict for verdicts in threads.map(run_chunk, chunks) for verdict in verdicts]
