"""The public verification API: `verify` one claim, `verify_many` for throughput.

Both take claim text in the claim language (README, "Claim language") and return `Verdict`s;
bad input becomes an `invalid` verdict with a position, never an exception. Everything here is
safe to call from several threads at once and from asyncio (via `asyncio.to_thread`): there are
no signals and no shared mutable solver state.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from proofs.parsing import ParseFailure, parse_claim
from proofs.verdict import Verdict, invalid
from solvers.dispatch import decide

DEFAULT_BUDGET_S = 2.0
#: Below this many claims, `verify_many` works in-process: a pool costs more than it saves.
POOL_THRESHOLD = 64


class ReasoningError(Exception):
    """The root of the errors this package raises for misuse (never for bad claim text)."""


class InvalidArgument(ReasoningError, ValueError):
    """An argument is out of range or of the wrong type."""


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
    return verdict.timed((time.perf_counter() - start) * 1000)


# ------------------------------------------------------------------ process pool for throughput

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _get_pool(workers: int) -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None or getattr(_pool, "_max_workers", None) != workers:
            if _pool is not None:
                _pool.shutdown(wait=False, cancel_futures=True)
            # spawn, not fork: callers may have threads (fork would copy held locks)
            _pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
        return _pool


def _drop_pool() -> None:
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
            _pool = None


atexit.register(_drop_pool)


def _verify_chunk(texts: list[str], budget_s: float) -> list[Verdict]:
    return [verify(t, budget_s=budget_s) for t in texts]


def verify_many(
    texts: Iterable[str], *, budget_s: float = DEFAULT_BUDGET_S, workers: int | None = None
) -> list[Verdict]:
    """Check many claims; verdicts come back in input order.

    With more than POOL_THRESHOLD claims the work is spread over a pool of `workers` processes
    (default: the number of CPUs); `workers=0` forces in-process work. If a pool process dies,
    its claims are re-checked in-process, so a verdict is always returned for every claim.
    """
    budget_s = _check_budget(budget_s)
    items = list(texts)
    for item in items:
        if not isinstance(item, str):
            raise InvalidArgument(f"every claim must be a str, got {type(item).__name__}")
    if workers is None:
        workers = os.cpu_count() or 1
    if workers < 0:
        raise InvalidArgument("workers must be >= 0")
    if workers == 0 or len(items) <= POOL_THRESHOLD:
        return _verify_chunk(items, budget_s)
    size = max(8, len(items) // (workers * 8))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    try:
        pool = _get_pool(workers)
        futures = [pool.submit(_verify_chunk, chunk, budget_s) for chunk in chunks]
        results: list[Verdict] = []
        for chunk, future in zip(chunks, futures):
            try:
                results.extend(future.result())
            except BrokenProcessPool:
                _drop_pool()
                results.extend(_verify_chunk(chunk, budget_s))
        return results
    except BrokenProcessPool:
        _drop_pool()
        return _verify_chunk(items, budget_s)
