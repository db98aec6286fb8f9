"""The HTTP server's process pool and the jobs it runs there.

Every verification the server does (a claim, an answer pair, a certificate, a bundle, a solve
run) runs in a `proofs.sandbox.Sandbox` worker process, so a job that hangs or dies costs one
worker, never the server: the sandbox kills the worker at the job's deadline (its budget plus
`kill_slack_s`; the verifiers themselves stop at the budget) and starts a fresh one, and the job
comes back `unknown` with the reason. The job functions below run in the workers and return
plain JSON dicts (nothing engine-specific crosses the pipe).

`JobPool` is the asyncio side. The sandbox counts the wait for a free worker against a job's
deadline, so `JobPool` only hands a job to the sandbox when a worker is free (a semaphore of
the pool's size), and a batch holds at most `workers` of those turns at once, so one large batch
cannot starve the other requests: their jobs interleave with the batch's.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from proofs.check import check_certificate
from proofs.sandbox import Sandbox, SandboxResult
from reasoning.answers._equivalence import equivalent
from reasoning.api import verify
from reasoning.engine._bundle import check_bundle

#: Modules each worker imports at start-up, so the first job does not pay for them.
PRELOAD = (
    "reasoning",
    "reasoning.api",
    "reasoning.answers._equivalence",
    "reasoning.engine._bundle",
    "reasoning.service._jobs",
)


# ------------------------------------------------------------------------------- in the workers
# (the solve job is `reasoning.service._solve_job`: it needs the engine and the LLM stack, which
# a worker then imports on its first solve job, not at start-up)


def verify_job(text: str, budget_s: float) -> dict[str, Any]:
    return verify(text, budget_s=budget_s).to_json()


def equiv_job(gold: str, prediction: str, budget_s: float) -> dict[str, Any]:
    return equivalent(gold, prediction, budget_s=budget_s).to_json()


def check_certificate_job(certificate: dict[str, Any]) -> dict[str, Any]:
    return check_certificate(certificate).to_json()


def check_bundle_job(bundle: dict[str, Any]) -> dict[str, Any]:
    return check_bundle(bundle).to_json()


# ------------------------------------------------------------------------------- fallbacks


def why_failed(result: SandboxResult) -> str:
    """A message for a job that did not return: it ran out of time, or its worker died."""
    if result.timed_out:
        return f"stopped: the job ran past its budget ({result.elapsed_s:.1f} s) and its worker was restarted"
    return f"the job did not finish: {result.error}"


def _shown(text: str) -> str:
    return text if len(text) <= 200 else text[:200] + "..."


def unknown_verdict(text: str, result: SandboxResult) -> dict[str, Any]:
    """The verdict of a claim whose job did not return (`Verdict.to_json` shape)."""
    return {
        "claim": _shown(text),
        "status": "unknown",
        "backend": "server",
        "elapsed_ms": round(result.elapsed_s * 1000, 3),
        "certificate": None,
        "counterexample": None,
        "message": why_failed(result),
    }


def unknown_equivalence(gold: str, prediction: str, result: SandboxResult) -> dict[str, Any]:
    """The judgement of a pair whose job did not return (`EquivalenceResult.to_json` shape)."""
    return {
        "gold": _shown(gold),
        "prediction": _shown(prediction),
        "status": "unknown",
        "equivalent": None,
        "backend": "server",
        "elapsed_ms": round(result.elapsed_s * 1000, 3),
        "certificate": None,
        "counterexample": None,
        "message": why_failed(result),
    }


# ------------------------------------------------------------------------------- the pool


class JobPool:
    """Runs job functions in a sandbox of `workers` processes, from asyncio."""

    def __init__(self, *, workers: int, memory_mb: int | None, kill_slack_s: float) -> None:
        self.workers = workers
        self._memory_mb = memory_mb
        self._slack = kill_slack_s
        self._sandbox = Sandbox(workers=workers, preload=PRELOAD)
        self._threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="server-job")
        self._turns: asyncio.Semaphore | None = None

    def start(self) -> None:
        """Start the worker processes in the background (the first jobs need not wait for imports)."""
        self._sandbox.warm_up()

    def close(self) -> None:
        self._sandbox.shutdown()
        self._threads.shutdown(wait=False, cancel_futures=True)

    def running(self) -> int:
        return len(self._sandbox.worker_pids())

    def worker_pids(self) -> list[int]:
        return self._sandbox.worker_pids()

    async def run(self, fn: Callable[..., Any], *args: Any, budget_s: float) -> SandboxResult:
        """Run `fn(*args)` in a worker once one is free; kill it `kill_slack_s` after `budget_s`."""
        if self._turns is None:  # created inside the server's event loop
            self._turns = asyncio.Semaphore(self.workers)
        call = functools.partial(
            self._sandbox.run, fn, *args, budget_s=budget_s + self._slack, memory_mb=self._memory_mb
        )
        async with self._turns:
            return await asyncio.get_running_loop().run_in_executor(self._threads, call)

    async def run_batch(
        self, fn: Callable[..., Any], argument_lists: Sequence[tuple], *, budget_s: float
    ) -> list[SandboxResult]:
        """Run `fn` on each argument tuple, at most `workers` at a time; results in input order."""
        share = asyncio.Semaphore(self.workers)

        async def one(args: tuple) -> SandboxResult:
            async with share:
                return await self.run(fn, *args, budget_s=budget_s)

        return list(await asyncio.gather(*(one(args) for args in argument_lists)))
