"""Load test of the HTTP API's `/v1/equiv`, against math-verify behind an equivalent endpoint.

What it measures. Two servers run on loopback, each in its own process with a pool of the same
number of worker processes (`--workers`, default one per CPU):

- ours: `reason serve`'s app (`reasoning.service._http.create_app`), POST /v1/equiv;
- the peer: a minimal FastAPI app with the same wire format, POST /v1/equiv
  `{"gold", "prediction"} -> {"results": [{"equivalent": ...}]}`, that runs math-verify's
  `verify(parse(gold), parse(prediction))` (default settings, signal-based timeouts, which only
  work in a process's main thread) in a `ProcessPoolExecutor`: the workaround RL trainers use.
  Answers without `$` or `\\boxed` are wrapped in `$...$` for it, as in bench/verify_vs_mathverify.py.

Then `--clients` concurrent clients (asyncio, one keep-alive HTTP/1.1 connection each, in this process)
send one pair per request for `--seconds` each, first to ours, then to the peer, after a warm-up
of up to 5 s on other pairs. The pairs come from the labelled corpus of bench/corpus.py, 20,000 by
default, so within a run almost every request is a pair the server has not seen (ours caches
parsed answers; repeats would flatter it). For each server it prints requests, errors (any
non-200 answer, malformed answer or transport error), requests/s, p50/p99 latency, and agreement
with the corpus labels (unknown counts as disagreement). Everything shares this machine's CPUs:
the clients too, so the figures are for the whole loop, not the server alone.

Run:
    .venv/bin/python bench/service_load.py [--seconds 30] [--clients 32] [--workers N] [--no-peer] [--json]

Exit status 0 when ours answered every request without error, 1 otherwise; 2 when math-verify is
missing (`pip install -e '.[bench]'`) and `--no-peer` was not given.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

from corpus import Pair, build_corpus  # noqa: E402
from pydantic import BaseModel, ConfigDict  # noqa: E402

# ----------------------------------------------------------------------------- load generation


@dataclass
class LoadStats:
    """What one load run saw."""

    system: str
    clients: int
    seconds: float
    latencies_s: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    agreed: int = 0

    @property
    def requests(self) -> int:
        return len(self.latencies_s) + self.errors

    def percentile_ms(self, q: float) -> float:
        if not self.latencies_s:
            return float("nan")
        ordered = sorted(self.latencies_s)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def to_json(self) -> dict[str, Any]:
        ok = len(self.latencies_s)
        return {
            "system": self.system,
            "clients": self.clients,
            "seconds": round(self.seconds, 3),
            "requests": self.requests,
            "errors": self.errors,
            "requests_per_s": round(self.requests / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(self.percentile_ms(0.50), 2),
            "p99_ms": round(self.percentile_ms(0.99), 2),
            "agreement": round(self.agreed / ok, 4) if ok else None,
            "error_samples": self.error_samples,
        }


class _Connection:
    """A minimal keep-alive HTTP/1.1 client for JSON POSTs.

    The load generator shares the CPUs with the servers it measures, so it must be cheap: httpx's
    async client costs several milliseconds of CPU per request here, this costs a fraction of one.
    """

    def __init__(self, host: str, port: int, token: str | None) -> None:
        self.host, self.port = host, port
        self.auth = f"Authorization: Bearer {token}\r\n" if token else ""
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, payload: Any) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        body = json.dumps(payload).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{self.auth}\r\n"
        )
        self.writer.write(head.encode() + body)
        await self.writer.drain()
        lines = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
        data = await self.reader.readexactly(int(headers["content-length"]))
        if headers.get("connection") == "close":
            self.close()
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _load(
    url: str,
    *,
    system: str,
    seconds: float,
    clients: int,
    pairs: list[Pair],
    token: str | None,
    timeout_s: float,
) -> LoadStats:
    from urllib.parse import urlsplit

    where = urlsplit(url)
    stats = LoadStats(system=system, clients=clients, seconds=seconds)
    counter = iter(range(10**12))

    def fail(why: str) -> None:
        stats.errors += 1
        if len(stats.error_samples) < 5:
            stats.error_samples.append(why)

    deadline = time.perf_counter() + seconds

    async def one_client() -> None:
        connection = _Connection(where.hostname or "127.0.0.1", where.port or 80, token)
        try:
            while time.perf_counter() < deadline:
                pair = pairs[next(counter) % len(pairs)]
                start = time.perf_counter()
                try:
                    async with asyncio.timeout(timeout_s):
                        status, data = await connection.post(
                            "/v1/equiv", {"gold": pair.gold, "prediction": pair.prediction}
                        )
                except (
                    OSError,
                    TimeoutError,
                    ValueError,
                    KeyError,
                    IndexError,
                    asyncio.IncompleteReadError,
                ) as exc:
                    connection.close()
                    fail(f"{type(exc).__name__}: {exc}")
                    continue
                elapsed = time.perf_counter() - start
                try:
                    results = json.loads(data)["results"] if status == 200 else None
                except (ValueError, KeyError, TypeError):
                    results = None
                if not isinstance(results, list) or len(results) != 1 or "equivalent" not in results[0]:
                    fail(f"HTTP {status}: {data[:200]!r}")
                    continue
                stats.latencies_s.append(elapsed)
                # unknown and invalid count as "not equivalent", as in bench/verify_vs_mathverify.py
                stats.agreed += (results[0]["equivalent"] is True) == pair.label
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    stats.seconds = time.perf_counter() - started
    return stats


def run_load(
    url: str,
    *,
    seconds: float = 30.0,
    clients: int = 32,
    pairs: list[Pair] | None = None,
    token: str | None = None,
    system: str = "ours",
    timeout_s: float = 60.0,
) -> LoadStats:
    """`clients` concurrent clients posting one pair each to `url`/v1/equiv for `seconds`."""
    pairs = pairs or build_corpus(2000, seed=0)
    return asyncio.run(
        _load(
            url,
            system=system,
            seconds=seconds,
            clients=clients,
            pairs=pairs,
            token=token,
            timeout_s=timeout_s,
        )
    )


# ----------------------------------------------------------------------------- the servers


class PairIn(BaseModel):
    """The peer's request: one pair, the same JSON as ours for one pair."""

    model_config = ConfigDict(extra="forbid")
    gold: str
    prediction: str


def _mv_init() -> None:
    import logging

    for name in ("math_verify", "latex2sympy2_extended"):  # its timeout warnings are not errors here
        logging.getLogger(name).setLevel(logging.ERROR)
    import math_verify  # noqa: F401 - pay for the import before the first request


def mv_equivalent(gold: str, prediction: str) -> bool:
    """math-verify's judgement, in a pool process's main thread (where its signal timeouts work)."""
    from math_verify import parse, verify
    from verify_vs_mathverify import _delimit

    try:
        return bool(verify(parse(_delimit(gold)), parse(_delimit(prediction))))
    except Exception:  # math-verify's own errors are "not equivalent", as in its metric
        return False


def peer_app(workers: int) -> Any:
    """The minimal math-verify endpoint: the same wire format as ours for one pair."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from contextlib import asynccontextmanager

    from fastapi import FastAPI

    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_mv_init)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        pool.shutdown(cancel_futures=True)

    app = FastAPI(title="math-verify peer", lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/equiv")
    async def equiv(pair: PairIn) -> dict[str, Any]:
        start = time.perf_counter()
        verdict = await asyncio.get_running_loop().run_in_executor(
            pool, mv_equivalent, pair.gold, pair.prediction
        )
        return {
            "results": [{"gold": pair.gold, "prediction": pair.prediction, "equivalent": verdict}],
            "elapsed_ms": round((time.perf_counter() - start) * 1000, 3),
        }

    return app


def serve(system: str, port: int, workers: int, clients: int) -> None:
    """Run one server in this process (the `--serve` mode the benchmark starts itself in)."""
    import uvicorn

    if system == "ours":
        from reasoning.service._http import create_app
        from reasoning.service._limits import Settings

        settings = Settings(
            port=port, workers=workers, max_concurrent=max(32, clients), max_queue=max(64, clients)
        )
        app = create_app(settings)
    else:
        app = peer_app(workers)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(system: str, workers: int, clients: int) -> tuple[subprocess.Popen, str]:
    import httpx

    port = _free_port()
    command = [sys.executable, __file__, "--serve", system, "--port", str(port)]
    command += ["--workers", str(workers), "--clients", str(clients)]
    process = subprocess.Popen(command, cwd=HERE.parent)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the {system} server exited with status {process.returncode}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the {system} server did not come up within 60 s")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _measure(system: str, args: argparse.Namespace, pairs: list[Pair]) -> LoadStats:
    process, url = _start(system, args.workers, args.clients)
    try:
        # Warm-up (worker imports, first-use costs) on other pairs, so the measured ones are new to the server.
        warm = build_corpus(1000, seed=1)
        run_load(url, seconds=min(5.0, args.seconds), clients=args.clients, pairs=warm, system=system)
        return run_load(url, seconds=args.seconds, clients=args.clients, pairs=pairs, system=system)
    finally:
        _stop(process)


def _row(stats: LoadStats) -> str:
    data = stats.to_json()
    agreement = "-" if data["agreement"] is None else f"{100 * data['agreement']:.1f}%"
    return (
        f"{stats.system:<12} {data['clients']:>7} {data['seconds']:>6.1f} {data['requests']:>9} {data['errors']:>6} "
        f"{data['requests_per_s']:>9.1f} {data['p50_ms']:>8.1f} {data['p99_ms']:>8.1f} {agreement:>9}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="Measured seconds per server.")
    parser.add_argument("--clients", type=int, default=32, help="Concurrent clients.")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="Worker processes per server."
    )
    parser.add_argument("--size", type=int, default=20000, help="Corpus pairs to cycle through.")
    parser.add_argument("--no-peer", action="store_true", help="Measure ours only.")
    parser.add_argument("--json", action="store_true", help="Print one JSON object instead of the table.")
    parser.add_argument("--serve", choices=("ours", "math-verify"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.workers, args.clients)
        return
    if args.seconds <= 0 or args.clients < 1 or args.workers < 1:
        parser.error("--seconds, --clients and --workers must be positive")
    systems = ["ours"]
    if not args.no_peer:
        try:
            import math_verify  # noqa: F401
        except ImportError:
            print(
                "math-verify is not installed: pip install -e '.[bench]' (or pass --no-peer)", file=sys.stderr
            )
            sys.exit(2)
        systems.append("math-verify")
    pairs = build_corpus(args.size, seed=0)
    rows = [_measure(system, args, pairs) for system in systems]
    if args.json:
        print(
            json.dumps({"rows": [r.to_json() for r in rows], "workers": args.workers, "cpus": os.cpu_count()})
        )
    else:
        print(
            f"POST /v1/equiv on loopback: {args.clients} clients, {args.workers} worker processes per server, "
        )
        print(f"{os.cpu_count()} CPUs shared by servers and clients; corpus of {len(pairs)} labelled pairs\n")
        print(
            f"{'system':<12} {'clients':>7} {'s':>6} {'requests':>9} {'errors':>6} {'req/s':>9} "
            f"{'p50 ms':>8} {'p99 ms':>8} {'agreement':>9}"
        )
        for stats in rows:
            print(_row(stats))
            for sample in stats.error_samples:
                print(f"    error: {sample}")
    sys.exit(0 if rows[0].errors == 0 else 1)


if __name__ == "__main__":
    main()
