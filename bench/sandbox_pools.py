"""`proofs.sandbox.Sandbox` against the same guarantees built on pebble and on loky.

Issue 14 asks whether a kept library should replace our 627-line sandbox. Each contender here is
the smallest wrapper that gives `Sandbox.run`'s interface (a `SandboxResult`, never an exception)
and tries for its guarantees, and each guarantee is checked by running it, not by reading docs:

- `value`/`error`: a result and an exception come back as values;
- `memory`: `bytearray(2**31)` under a 256 MB `RLIMIT_AS` set in the worker fails, and the next
  call works;
- `kill`: `time.sleep(30)` with a 0.3 s budget times out, the worker that ran it is gone within
  2 s (a real kill, checked by pid), and the next call works;
- `death`: `os._exit(3)` in a worker is an error result, and the next call works;
- `isolation`: a timeout in one thread does not fail another thread's call running meanwhile;
- `no_main_rerun`: a script without an `if __name__ == "__main__":` guard that uses the pool
  runs its body once (workers never re-import the caller's `__main__`), and no fork is used.

Timings (same run, one worker each, after a warm-up): `warm_ms` = mean latency of a trivial call
on a warm worker; `recover_s` = from a timeout's result to the next call's result (the kill plus
starting a fresh worker). `lines` = non-blank, non-comment lines of the wrapper (ours: the whole
module, docstrings included; the contenders' docstrings are one line).

Measured 2026-12-06 on the shared 2-core box (load ~11), `--calls 200`:

    wrapper  warm_ms  recover_s  lines  value/error  memory  kill  death  isolation  no_main_rerun
       ours     0.24       0.35    515          yes     yes   yes    yes        yes            yes
     pebble     1.46       0.50     43          yes     yes   yes    yes        yes             NO
       loky     2.93       0.50     51          yes     yes   yes    yes         NO            yes

Warm latency moves a lot with the load: over five runs pebble / ours was 0.95-18x, over four
runs of this loky wrapper loky / ours 1.2-12x; recovery after a kill was within 0.9-1.8x of ours
for both. The guarantee columns were the same in every run of these wrappers.

So `proofs/sandbox.py` stays. pebble's pool is small and kills one worker per timeout, but its
workers are multiprocessing's: `forkserver`/`spawn` re-import the caller's `__main__` (a script
without a main guard dies with BrokenProcessPool; tests/test_sympy_backend.py checks that it
runs once), and `fork` is unsafe in our threaded callers (HTTP server, engine threads). loky
cannot kill one task: a timeout must kill every worker of the executor, so other threads' calls
in flight fail (`isolation`), and its reusable executor is one per process, shut down whenever
another sandbox asks for other settings.

Run:
    .venv/bin/python bench/sandbox_pools.py [--calls N] [--json]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import inspect
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from proofs.sandbox import Sandbox, SandboxResult  # noqa: E402

# ---------------------------------------------------------------- the contenders' wrappers


def _capped_call(fn: Callable[..., Any], args: tuple, memory_mb: int | None) -> Any:
    """Runs in the worker: `fn(*args)` under an address-space cap, restored afterwards."""
    default = resource.getrlimit(resource.RLIMIT_AS)
    if memory_mb is not None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 1024 * 1024, default[1]))
    try:
        return fn(*args)
    except MemoryError:
        raise MemoryError(f"memory budget of {memory_mb} MB exhausted") from None
    finally:
        resource.setrlimit(resource.RLIMIT_AS, default)


def _worker_init(preload: tuple[str, ...]) -> None:
    """Runs once per worker: its prints go to stderr; preload modules."""
    os.dup2(2, 1)
    for name in preload:
        __import__(name)


class PebbleSandbox:
    """`Sandbox.run` on `pebble.ProcessPool` (forkserver: no fork of a threaded caller)."""

    def __init__(self, *, workers: int = 1, preload: Sequence[str] = ()) -> None:
        import pebble

        self.pebble = pebble
        context = multiprocessing.get_context("forkserver")
        self.pool = pebble.ProcessPool(
            workers, initializer=_worker_init, initargs=(tuple(preload),), context=context
        )

    def run(
        self, fn: Callable[..., Any], *args: Any, budget_s: float, memory_mb: int | None = 1024
    ) -> SandboxResult:
        start = time.monotonic()
        future = self.pool.schedule(_capped_call, args=(fn, args, memory_mb))
        try:
            value = future.result(timeout=budget_s)
        except concurrent.futures.TimeoutError:
            future.cancel()  # a running pebble task is cancelled by terminating its worker
            return SandboxResult(False, error=f"budget of {budget_s:g} s exhausted", timed_out=True)
        except self.pebble.ProcessExpired as exc:
            return SandboxResult(False, error=f"the worker process died ({exc})")
        except BaseException as exc:  # noqa: BLE001 - every failure is a value
            return SandboxResult(False, error=f"{type(exc).__name__}: {exc}")
        return SandboxResult(True, value, elapsed_s=time.monotonic() - start)

    def shutdown(self) -> None:
        self.pool.stop()
        self.pool.join()


class LokySandbox:
    """`Sandbox.run` on a loky executor of its own (loky's reusable executor is one per process,
    and asking it for other settings shuts down the one in use). loky cannot kill one task, so a
    timeout kills every worker (`shutdown(kill_workers=True)`) and starts a new executor."""

    def __init__(self, *, workers: int = 1, preload: Sequence[str] = ()) -> None:
        import loky

        self.loky, self.workers, self.preload = loky, workers, tuple(preload)
        self.lock = threading.Lock()
        self.executor = self._executor()

    def _executor(self) -> Any:
        return self.loky.ProcessPoolExecutor(self.workers, initializer=_worker_init, initargs=(self.preload,))

    def run(
        self, fn: Callable[..., Any], *args: Any, budget_s: float, memory_mb: int | None = 1024
    ) -> SandboxResult:
        start = time.monotonic()
        with self.lock:
            executor = self.executor
        try:
            value = executor.submit(_capped_call, fn, args, memory_mb).result(timeout=budget_s)
        except concurrent.futures.TimeoutError:
            self._replace(executor)
            return SandboxResult(False, error=f"budget of {budget_s:g} s exhausted", timed_out=True)
        except self.loky.process_executor.TerminatedWorkerError as exc:  # the executor is broken now
            self._replace(executor)
            return SandboxResult(False, error=f"the worker process died ({exc})")
        except BaseException as exc:  # noqa: BLE001 - every failure is a value
            return SandboxResult(False, error=f"{type(exc).__name__}: {exc}")
        return SandboxResult(True, value, elapsed_s=time.monotonic() - start)

    def _replace(self, executor: Any) -> None:
        with self.lock:
            if self.executor is executor:
                self.executor = self._executor()
        executor.shutdown(wait=True, kill_workers=True)

    def shutdown(self) -> None:
        self.executor.shutdown(wait=True, kill_workers=True)


class OurSandbox(Sandbox):
    """`proofs.sandbox.Sandbox` as it is."""


WRAPPERS: dict[str, tuple[type, list[Any]]] = {
    "ours": (OurSandbox, [Sandbox]),
    "pebble": (PebbleSandbox, [_capped_call, _worker_init, PebbleSandbox]),
    "loky": (LokySandbox, [_capped_call, _worker_init, LokySandbox]),
}


def code_lines(objects: Sequence[Any]) -> int:
    """Non-blank, non-comment lines of the modules (for classes of proofs.sandbox) or objects."""
    sources = [
        inspect.getsource(sys.modules[obj.__module__])
        if obj.__module__ == "proofs.sandbox"
        else inspect.getsource(obj)
        for obj in objects
    ]
    return sum(
        1 for s in sources for line in s.splitlines() if line.strip() and not line.strip().startswith("#")
    )


# ---------------------------------------------------------------- the checks


def _alive(pid: int) -> bool:
    """True while `pid` runs (a zombie, killed but not yet reaped, counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    return not _alive(pid)


def guarantees(box: Any) -> tuple[dict[str, bool], float]:
    """Each guarantee checked by running it, and the seconds to recover after a timeout-kill."""
    ok: dict[str, bool] = {}
    value = box.run(max, 2, 3, budget_s=30)
    error = box.run(int, "not a number", budget_s=30)
    ok["value/error"] = value.ok and value.value == 3 and not error.ok and "ValueError" in error.error
    memory = box.run(bytearray, 2**31, budget_s=30, memory_mb=256)
    ok["memory"] = not memory.ok and box.run(abs, -1, budget_s=30).value == 1
    pid = box.run(os.getpid, budget_s=30).value
    killed = box.run(time.sleep, 30, budget_s=0.3)
    started = time.monotonic()
    after = box.run(abs, -2, budget_s=60)
    recover_s = time.monotonic() - started
    ok["kill"] = killed.timed_out and _gone_within(pid, 2.0) and after.value == 2
    death = box.run(os._exit, 3, budget_s=30)
    ok["death"] = not death.ok and box.run(abs, -4, budget_s=60).value == 4
    ok["isolation"] = _isolated(type(box))
    return ok, recover_s


def _isolated(kind: type) -> bool:
    """With two workers: a call in flight survives another thread's timeout."""
    box = kind(workers=2)
    try:
        box.run(abs, 0, budget_s=60)
        other: list[SandboxResult] = []
        thread = threading.Thread(target=lambda: other.append(box.run(time.sleep, 1.5, budget_s=60)))
        thread.start()
        time.sleep(0.2)
        box.run(time.sleep, 30, budget_s=0.5)  # times out while `thread`'s call runs
        thread.join(60)
        return bool(other) and other[0].ok
    finally:
        box.shutdown()


GUARDLESS = """
import sys
sys.path.insert(0, {root!r})
sys.path.insert(0, {bench!r})
from sandbox_pools import WRAPPERS
print("BODY RAN")
box = WRAPPERS[{name!r}][0](workers=1)
print("RESULT", box.run(abs, -7, budget_s=60).value)
box.shutdown()
"""


def runs_main_once(name: str) -> bool:
    """A script without a main guard that uses the pool: does its body run exactly once?"""
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "guardless.py"
        script.write_text(
            textwrap.dedent(GUARDLESS.format(root=str(ROOT), bench=str(ROOT / "bench"), name=name))
        )
        try:
            out = subprocess.run(
                [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
            ).stdout
        except subprocess.TimeoutExpired:
            return False
    return out.count("BODY RAN") == 1 and "RESULT 7" in out


def warm_latency_ms(box: Any, calls: int) -> float:
    for _ in range(5):
        box.run(abs, -1, budget_s=60)
    started = time.perf_counter()
    for i in range(calls):
        box.run(abs, -i, budget_s=60)
    return (time.perf_counter() - started) / calls * 1000


def measure(calls: int) -> list[dict[str, Any]]:
    rows = []
    for name, (kind, objects) in WRAPPERS.items():
        box = kind(workers=1)
        try:
            latency = warm_latency_ms(box, calls)
            ok, recover_s = guarantees(box)
        finally:
            box.shutdown()
        ok["no_main_rerun"] = runs_main_once(name)
        rows.append(
            {
                "wrapper": name,
                "warm_ms": round(latency, 2),
                "recover_s": round(recover_s, 2),
                "lines": code_lines(objects),
                **{k: "yes" if v else "NO" for k, v in ok.items()},
            }
        )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = measure(args.calls)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    from bench.llm_throughput import format_rows

    print(format_rows(rows))
    ours = rows[0]
    for row in rows[1:]:
        print(
            f"{row['wrapper']}: warm latency x{row['warm_ms'] / ours['warm_ms']:.2f} of ours, "
            f"recovery x{row['recover_s'] / ours['recover_s']:.2f}, lines x{row['lines'] / ours['lines']:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
