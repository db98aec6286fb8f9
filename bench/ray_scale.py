"""Batch verification throughput: the local process pool against the Ray executor (issue 15).

What it measures, on `--items` N seeded claims (polynomial identities, inequalities, exact
arithmetic, a tenth of them false), each check bounded by `--budget` seconds:

1. **in-process**: `verify_many(claims, workers=0)`, one process, no pool: the floor.
2. **local pool**: `verify_many(claims, executor="local", workers=W)` for W = 1 and 2 (the
   process pool every `verify_many` call over POOL_THRESHOLD claims uses).
3. **Ray, 1 node / 2 nodes**: a real `ray.cluster_utils.Cluster` on this machine, one CPU per
   node, so one warm verifier actor per node; `verify_many(claims, executor="ray")`. Starting
   the cluster and the actors is timed separately and not counted in items/s: a trainer or a
   service pays it once.
4. **Ray per-item overhead**: the pool's `imap` over a function that does nothing (`abs`), one
   actor: the round trip Ray adds to each item (scheduling, pickling, the result fetch), and,
   for the real claims, (Ray with 1 actor - in-process) / N.

Every figure is the best of `--repeat` runs (the machine is shared: the best run is the one
least disturbed by other load; `uptime`'s load average is printed with the figures). Verdicts
of every run are compared with the in-process ones (statuses); a mismatch is reported.

Run:
    .venv/bin/python bench/ray_scale.py [--items N] [--budget S] [--repeat R] [--heavy] [--json]

`--heavy` replaces the claims by trigonometric identities that SymPy proves in tens of
milliseconds each: the regime where Ray's per-item round trip stops mattering.

Needs the `ray` extra. The exit status is 0 unless a run disagrees with the in-process verdicts.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reasoning import verify_many  # noqa: E402

NODE = {"num_cpus": 1, "object_store_memory": 80 * 1024 * 1024}


def claims(n: int, seed: int = 0) -> list[str]:
    """N seeded claims of the kinds a trainer checks: mostly true, a tenth false."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        a, b, c = rng.randint(1, 40), rng.randint(1, 40), rng.randint(2, 9)
        kind = i % 5
        if kind == 0:
            out.append(f"(x + {a})^2 = x^2 + {2 * a}x + {a * a}")
        elif kind == 1:
            out.append(f"{a}/{b} + {c}/{b} = {a + c}/{b}")
        elif kind == 2:
            out.append(f"x^2 + {a} > 0")
        elif kind == 3:
            out.append(f"(x - {a})(x + {b}) = x^2 + {b - a}x - {a * b}")
        else:
            out.append(f"{a}^{c} = {a**c + (1 if i % 10 == 4 else 0)}")  # every other one false
    return out


def heavy_claims(n: int, seed: int = 0) -> list[str]:
    """N seeded trigonometric identities: SymPy's work, tens of milliseconds each."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        a, b = rng.randint(2, 30), rng.randint(1, 30)
        if i % 2 == 0:
            out.append(f"sin({a}x + {b})^2 + cos({a}x + {b})^2 = 1")
        else:
            out.append(f"cos({a}x)^2 - sin({a}x)^2 = cos({2 * a}x)")
    return out


def best_rate(run, n: int, repeat: int) -> tuple[float, list[str]]:
    """(items/s of the fastest of `repeat` runs, that run's statuses)."""
    best, statuses = float("inf"), []
    for _ in range(repeat):
        started = time.perf_counter()
        verdicts = run()
        elapsed = time.perf_counter() - started
        if elapsed < best:
            best, statuses = elapsed, [v.status.value for v in verdicts]
    return n / best, statuses


def ray_figures(items: list[str], budget: float, repeat: int, nodes: int) -> dict[str, Any]:
    import ray
    from ray.cluster_utils import Cluster

    from reasoning.engine import _ray_pool as ray_pool

    started = time.perf_counter()
    cluster = Cluster(initialize_head=True, head_node_args=dict(NODE))
    for _ in range(nodes - 1):
        cluster.add_node(**NODE)
    try:
        ray_pool.connect(cluster.address)
        cluster_s = time.perf_counter() - started
        started = time.perf_counter()
        pool = ray_pool.get_pool()
        actors_s = time.perf_counter() - started
        rate, statuses = best_rate(
            lambda: verify_many(items, budget_s=budget, executor="ray"), len(items), repeat
        )
        figures: dict[str, Any] = {
            "nodes": nodes,
            "actors": len(pool.nodes()),
            "cluster_start_s": round(cluster_s, 2),
            "actors_start_s": round(actors_s, 2),
            "items_per_s": round(rate, 1),
            "statuses": statuses,
        }
        if nodes == 1:
            trivial = list(range(len(items)))
            best = float("inf")
            for _ in range(repeat):
                t = time.perf_counter()
                pool.map(abs, trivial, budget_s=budget, fallback=lambda p, why: None)
                best = min(best, time.perf_counter() - t)
            figures["noop_ms_per_item"] = round(1000 * best / len(trivial), 3)
        return figures
    finally:
        ray_pool.shutdown_pool()
        ray.shutdown()
        cluster.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=400)
    parser.add_argument("--budget", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--heavy", action="store_true", help="trigonometric identities (SymPy) instead")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    items = (heavy_claims if args.heavy else claims)(args.items)
    verify_many(items[:20], workers=0)  # warm up imports, grammars, Z3 and SymPy
    base_rate, base = best_rate(
        lambda: verify_many(items, budget_s=args.budget, workers=0), len(items), args.repeat
    )
    result: dict[str, Any] = {
        "workload": "heavy" if args.heavy else "light",
        "items": len(items),
        "budget_s": args.budget,
        "in_process_items_per_s": round(base_rate, 1),
    }
    mismatches = []
    for workers in (1, 2):
        rate, statuses = best_rate(
            lambda w=workers: verify_many(items, budget_s=args.budget, workers=w), len(items), args.repeat
        )
        result[f"local_pool_{workers}_items_per_s"] = round(rate, 1)
        print(f"local pool {workers}: {rate:.1f} items/s", file=sys.stderr)
        mismatches += [f"local pool {workers}"] if statuses != base else []
    for nodes in (1, 2):
        figures = ray_figures(items, args.budget, args.repeat, nodes)
        mismatches += [f"ray {nodes} node(s)"] if figures.pop("statuses") != base else []
        result[f"ray_{nodes}_node"] = figures
        print(f"ray {nodes} node(s): {figures}", file=sys.stderr)
    result["ray_overhead_ms_per_item"] = round(
        1000 * (1 / result["ray_1_node"]["items_per_s"] - 1 / base_rate), 3
    )
    result["mismatches"] = mismatches
    result["load_average"] = os.getloadavg()
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{len(items)} {result['workload']} claims, budget {args.budget} s, load average {result['load_average']}"
        )
        print(f"  in-process            {result['in_process_items_per_s']:8.1f} items/s")
        for workers in (1, 2):
            print(
                f"  local pool, {workers} worker{'s' if workers > 1 else ' '} {result[f'local_pool_{workers}_items_per_s']:8.1f} items/s"
            )
        for nodes in (1, 2):
            f = result[f"ray_{nodes}_node"]
            print(
                f"  Ray, {nodes} node{'s' if nodes > 1 else ' '}       {f['items_per_s']:8.1f} items/s "
                f"({f['actors']} actor(s); cluster start {f['cluster_start_s']} s, actors {f['actors_start_s']} s)"
            )
        print(f"  Ray round trip of a no-op item: {result['ray_1_node']['noop_ms_per_item']} ms")
        print(f"  Ray overhead per claim (1 actor vs in-process): {result['ray_overhead_ms_per_item']} ms")
        print(f"  verdicts differing from in-process: {', '.join(mismatches) or 'none'}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
