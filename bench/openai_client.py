"""The OpenAI-compatible backend on the official `openai` SDK against the hand-written client it
replaced (issue 14): latency per request and lines of code, measured in the same run.

The old client is read from git (`--old-rev`, default the last commit before the swap) into a
temporary module; both talk to the same real server on loopback: `reasoning.llm._model_server`
around `ScriptedBackend` (a test double replaying a fixed 12-word reply with no delay), so what is
timed is the client: connection, request, SSE decoding, stop handling. Requests alternate old/new
so that machine noise hits both alike. Reported, for replies of `--words` chunks: median and p90
milliseconds per sequential request, wall time of `--concurrent` requests at once, the ratio
new/old, and the SDK's extra time split into per-request and per-chunk parts.

Run:
    .venv/bin/python bench/openai_client.py [--requests 200] [--concurrent 16] [--old-rev REV]

Exit status 0 regardless; the machine has 2 cores shared with others, so read the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reasoning.llm._model_server import create_app  # noqa: E402
from reasoning.llm._openai_backend import OpenAIBackend  # noqa: E402
from reasoning.llm._scripted import ScriptedBackend  # noqa: E402
from reasoning.service._background import serve_asgi  # noqa: E402

OLD_REV = "32cb31bb434b311f65db57bb0784408fd4a4ceb1"
PATH = "reasoning/llm/_openai_backend.py"


def old_module(rev: str):
    """The old `openai_backend` module from git revision `rev`, imported under another name."""
    source = subprocess.run(
        ["git", "show", f"{rev}:{PATH}"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    folder = Path(tempfile.mkdtemp())
    (folder / "old_openai_backend.py").write_bytes(source)
    spec = importlib.util.spec_from_file_location("old_openai_backend", folder / "old_openai_backend.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, source.count(b"\n")


def reply(words: int) -> str:
    return " ".join(f"w{i}" for i in range(words))


async def one(backend, words: int) -> float:
    started = time.perf_counter()
    generation = await backend.generate("hi", max_tokens=words + 8)
    assert generation.text == reply(words), generation.text
    return time.perf_counter() - started


async def many(backend, n: int, words: int) -> float:
    started = time.perf_counter()
    await asyncio.gather(*(backend.generate("hi", max_tokens=words + 8) for _ in range(n)))
    return time.perf_counter() - started


def measure(old, words: int, args) -> dict[str, tuple[float, float, float]]:
    """name -> (median ms, p90 ms, wall s of `args.concurrent` at once) for a `words`-chunk reply."""
    with serve_asgi(create_app(ScriptedBackend([reply(words)])), host="127.0.0.1") as url:
        clients = {
            "old (httpx, own SSE/retries)": old.OpenAIBackend(url + "/v1", "m", concurrency=args.concurrent),
            "new (openai SDK)": OpenAIBackend(url + "/v1", "m", concurrency=args.concurrent),
        }
        for backend in clients.values():  # warm up: imports, first connection
            asyncio.run(one(backend, words))
        times: dict[str, list[float]] = {name: [] for name in clients}
        for _ in range(args.requests):
            for name, backend in clients.items():
                times[name].append(asyncio.run(one(backend, words)))
        walls = {
            name: asyncio.run(many(backend, args.concurrent, words)) for name, backend in clients.items()
        }
    rows = {}
    for name, values in times.items():
        values.sort()
        rows[name] = (statistics.median(values) * 1e3, values[int(0.9 * len(values))] * 1e3, walls[name])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrent", type=int, default=16)
    parser.add_argument("--old-rev", default=OLD_REV)
    parser.add_argument("--words", type=int, nargs="+", default=[12, 96], help="chunks per reply")
    args = parser.parse_args()
    old, old_lines = old_module(args.old_rev)
    new_lines = (ROOT / PATH).read_text().count("\n")
    print(
        f"{args.requests} sequential requests each (alternating old/new), {args.concurrent} concurrent once"
    )
    print(f"{'chunks':>6} {'client':30} {'median ms':>10} {'p90 ms':>8} {f'{args.concurrent} at once s':>14}")
    extra = {}
    for words in args.words:
        rows = measure(old, words, args)
        for name, (median, p90, wall) in rows.items():
            print(f"{words:6} {name:30} {median:10.2f} {p90:8.2f} {wall:14.3f}")
        (old_median, *_), (new_median, *_) = rows.values()
        extra[words] = new_median - old_median
        print(f"{words:6} ratio new/old median latency: {new_median / old_median:.2f}")
    if len(args.words) >= 2:
        low, high = min(args.words), max(args.words)
        per_chunk = (extra[high] - extra[low]) / (high - low)
        print(
            f"extra client time of the SDK: {per_chunk:.3f} ms per streamed chunk, "
            f"{extra[low] - per_chunk * low:.2f} ms per request"
        )
    print(f"lines of code: old {old_lines}, new {new_lines} ({PATH})")


if __name__ == "__main__":
    main()
