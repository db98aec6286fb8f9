"""Fork/join engine overhead and concurrency: `ForkJoinEngine` against the bare checks it makes.

What it measures (issue 3).

1. Overhead per fork/verify/join cycle, verification excluded. A `ScriptedOrganizer` runs
   `--cycles` N cycles, each `<FORK-i>q</FORK-i><JOIN-i>` in its own turn (`--batch b`: b forks,
   then b joins, one join per turn), then answers `1 + 1 = 2`. A `ScriptedWorker` with no delay
   returns the closed claim `i + 1 = i+1` for fork i, so checking it is cheap. The run's wall
   time (around `run_sync`) minus `RunResult.timings` (claim checks `verify_s`, joint
   consistency `consistency_s`, answer check `answer_s`), divided by N, is the engine's overhead
   per cycle. Targets (issue 12): <= 0.5 ms, and flat: the same figure for a run of
   `--flat-cycles` (20) cycles, measured in the same repeats, is at most `FLAT_RATIO` times
   smaller (a cost per cycle that grows with the run's length is a quadratic run). The timings
   are measured around each hand-off to the checker thread, so the hop to and from that thread counts as verification here; the peer ratio below
   does not have that blind spot. With `--batch` > 1 the checks of a batch queue on the checker
   thread at once and each timing includes its wait in that queue, so the timings overlap and
   the subtraction understates the overhead (a note says so); the peer ratio still holds.
   Also printed: the CPU time of the event-loop thread per cycle (`time.thread_time`), the
   engine's own work without the checks and without waiting for the CPU: on a busy machine the
   wall figures grow with the load, this one much less.

   Peers, measured in the same process: the same checks made sequentially in the main thread
   without the engine, i.e. N calls of `reasoning.engine._task.check_returned` on the RETURN bodies, N
   joint-consistency checks of the claims joined so far, the final consistency check and
   `reasoning.engine._task.check_answer`. "Peer (scratch)" checks consistency with
   `reasoning.engine._causal_graph.check_claims`, a fresh solver over every claim at every join (the
   engine did this before issue 12: the cost grows with N squared); "peer (incremental)" with
   one `reasoning.engine._consistency.IncrementalConsistency`, as the engine now does, so the ratio
   engine / peer (incremental) is the engine's own cost with nothing to hide behind.

2. Concurrency. `--forks` F independent sub-queries, each answered by a `ScriptedWorker` that
   sleeps `--latency` seconds before its single chunk. With capacity c the organizer forks c,
   joins them, forks the next c, and so on; c = 4 runs against c = 1 (fork and join one at a
   time). Speedup = wall(c=1) / wall(c=4); target close to 4x (PASS at >= 0.9 * 4). The run
   metrics' `concurrency` (mean active workers / c) and `critical_path_s` are printed for both.

Every figure is the median over `--repeat` repeats; one small run beforehand warms up imports,
grammars and Z3. `--profile K` also runs one overhead run under cProfile (main thread, so the
engine's own work plus its waits for the checker thread) and prints the K heaviest functions by
cumulative time.

Run:
    .venv/bin/python bench/engine_overhead.py [--cycles N] [--batch B] [--latency S] [--forks F]
        [--repeat R] [--json] [--profile K]

The exit status is 0 whether or not the targets pass.

Figures (issue 12, item 7, the engine's own cost; load 2-3 while other jobs ran, medians of 5
repeats): overhead 0.591, 0.554 and 0.413 ms per cycle (the last at load 2.1-2.4) against 0.526
and 0.656 for the code before in between; flat 0.91-1.02x; c = 4 speed-up 3.73-3.85x. At this
load the wall figure moves more with the machine than with the code, so the engine's CPU was
measured too: the event-loop thread's CPU time minus the CPU time of the checks made on it,
per cycle of a 200-cycle run, 0.38-0.45 ms (medians 0.40-0.45) against 0.45-0.69 ms (medians
0.50-0.69) for the code before, run alternately; with the checks answered from a memo (the
engine alone, min of 10 runs) 0.30-0.31 ms against 0.38-0.42 ms. The 0.5 ms target is met in
one run of three at this load.

Earlier figures (this 2-core machine at load 9-14 while other jobs ran; each run is
the median of 5 repeats; four runs of this code alternating with four of the code before):
overhead 0.65-0.76 ms per cycle (median of runs 0.69) against 0.85-1.18 (0.89) before; flat
0.76-1.18x (limit 1.25x); c = 4 speed-up 3.45-3.66x against 3.42-3.53x. The checks a run waits
for with nothing else running now run on the event loop's thread under `run_sync`, so the c = 1
run lost its thread hops too (which lowers this ratio). At load 0 the code before gave 0.65 ms
and 3.85x. The 0.5 ms target is not met at this load; single repeats reach 0.44-0.50 ms.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from proofs.claims import Formula  # noqa: E402
from reasoning.engine._causal_graph import TASK  # noqa: E402
from reasoning.engine._causal_graph import check_claims as check_scratch  # noqa: E402
from reasoning.engine._consistency import IncrementalConsistency  # noqa: E402
from reasoning.engine._engine import EngineConfig, ForkJoinEngine, RunResult  # noqa: E402
from reasoning.engine._goals import Goal  # noqa: E402
from reasoning.engine._task import Task, check_answer, check_returned  # noqa: E402
from reasoning.engine._workers import ScriptedOrganizer, ScriptedWorker  # noqa: E402

OVERHEAD_TARGET_MS = 0.5
FLAT_RATIO = 1.25  # ms/cycle at --cycles over ms/cycle at --flat-cycles
SPEEDUP_TARGET_FRACTION = 0.9  # of the ideal speedup, c_high / c_low
TASK_TEXT = "Engine overhead benchmark: check the returned closed claims."
ANSWER = "1 + 1 = 2"


# ----------------------------------------------------------------------------- scripts


def claim(i: int) -> str:
    return f"{i} + 1 = {i + 1}"


def organizer_turns(forks: int, batch: int) -> list[str]:
    """Forks `batch` at a time; each join ends the organizer's turn, so a batch's forks ride in
    the turn of its first join and every other join has a turn of its own."""
    turns = []
    for first in range(1, forks + 1, batch):
        ids = range(first, min(first + batch, forks + 1))
        turns.append("".join(f"<FORK-{i}>sub-query {i}</FORK-{i}>" for i in ids) + f"<JOIN-{first}>")
        turns += [f"<JOIN-{i}>" for i in ids[1:]]
    return [*turns, f"<ANSWER>{ANSWER}</ANSWER>"]


def run_engine(forks: int, batch: int, capacity: int, latency_s: float) -> tuple[RunResult, float]:
    turns = organizer_turns(forks, batch)
    organizer = ScriptedOrganizer(turns)
    worker = ScriptedWorker(
        {i: [f"<RETURN>{claim(i)}</RETURN>"] for i in range(1, forks + 1)}, delay_s=latency_s
    )
    config = EngineConfig(capacity=capacity, max_turns=len(turns) + 1)
    engine = ForkJoinEngine(organizer, worker, config)
    task = Task(TASK_TEXT, goal=Goal.decide(ANSWER))
    start, cpu = time.perf_counter(), time.thread_time()
    result = engine.run_sync(task)
    wall = time.perf_counter() - start
    result.timings["main_thread_cpu_s"] = time.thread_time() - cpu
    if not result.verified or result.metrics.forks != forks or len(result.accepted_claims()) != forks:
        raise SystemExit(
            f"benchmark run went wrong: status {result.status.value}, {result.metrics.forks} forks, "
            f"{len(result.accepted_claims())} accepted claims, message {result.message!r}"
        )
    return result, wall


# ----------------------------------------------------------------------------- measurements


def measure_overhead(cycles: int, batch: int) -> dict[str, float]:
    result, wall = run_engine(cycles, batch, capacity=batch, latency_s=0.0)
    t = result.timings
    checks = t["verify_s"] + t["consistency_s"] + t["answer_s"]
    return {
        "wall_s": wall,
        "verify_s": t["verify_s"],
        "consistency_s": t["consistency_s"],
        "answer_s": t["answer_s"],
        "checks_s": checks,
        "overhead_s": wall - checks,
        "overhead_ms_per_cycle": (wall - checks) / cycles * 1000,
        "cpu_ms_per_cycle": t["main_thread_cpu_s"] / cycles * 1000,
    }


def measure_peer(cycles: int, *, incremental: bool = False) -> dict[str, float]:
    """The checks one overhead run makes, in the same order, in this thread, without the engine."""
    task = Task(TASK_TEXT, goal=Goal.decide(ANSWER))
    if incremental:
        checker = IncrementalConsistency(task.unknowns)

        def check_consistency(unknowns, claims, *, order, budget_s):
            return checker.check(claims, budget_s=budget_s)
    else:
        check_consistency = check_scratch
    budget = EngineConfig()
    clock = time.perf_counter
    verify_s = consistency_s = 0.0
    joined: list[tuple[str, Formula]] = [(TASK, f) for f in task.constraint_formulas]
    ranks = {TASK: 0}
    start = clock()
    for i in range(1, cycles + 1):
        t0 = clock()
        checks, _ = check_returned(task, f"{claim(i)}", budget_s=budget.verify_budget_s)
        t1 = clock()
        attempt = f"fork-{i}.1"
        ranks[attempt] = i
        joined += [(attempt, c.formula) for c in checks if c.accepted]
        report = check_consistency(task.unknowns, joined, order=ranks, budget_s=budget.consistency_budget_s)
        verify_s += t1 - t0
        consistency_s += clock() - t1
        if report is None or not report.consistent:
            raise SystemExit(f"peer run went wrong at cycle {i}: {report.message}")
    t0 = clock()
    check_consistency(task.unknowns, joined, order=ranks, budget_s=budget.consistency_budget_s)
    t1 = clock()
    answer = check_answer(task, ANSWER, budget_s=budget.verify_budget_s)
    total = clock() - start
    if not answer.proved:
        raise SystemExit(f"peer answer check went wrong: {answer.message}")
    return {
        "total_s": total,
        "verify_s": verify_s,
        "consistency_s": consistency_s + (t1 - t0),
        "answer_s": total - verify_s - consistency_s - (t1 - t0),
    }


def measure_concurrency(forks: int, capacity: int, latency_s: float) -> dict[str, float]:
    result, wall = run_engine(forks, capacity, capacity=capacity, latency_s=latency_s)
    m = result.metrics
    return {
        "wall_s": wall,
        "critical_path_s": m.critical_path_s,
        "concurrency": m.concurrency,
        "mean_active_workers": m.concurrency * capacity,
        "metrics_wall_s": m.wall_time_s,
    }


def median_of(runs: list[dict[str, float]], digits: int = 6) -> dict[str, float]:
    return {k: round(statistics.median(r[k] for r in runs), digits) for k in runs[0]}


def profile_overhead(cycles: int, batch: int, top: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    measure_overhead(cycles, batch)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    out.write("\n--- by own time ---\n")
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


# ----------------------------------------------------------------------------- report


def print_report(report: dict[str, Any]) -> None:
    cfg, ov, peer, conc = report["config"], report["overhead"], report["peer"], report["concurrency"]
    print(
        f"engine overhead: {cfg['cycles']} fork/verify/join cycles (batch {cfg['batch']}), instant workers,"
        f" closed claims | median of {cfg['repeat']} | python {cfg['python']}"
    )
    print()
    print(f"{'system':<28} {'total s':>9} {'claims s':>9} {'consist s':>10} {'answer s':>9} {'other s':>9}")
    print(
        f"{'engine (run_sync)':<28} {ov['wall_s']:>9.3f} {ov['verify_s']:>9.3f} {ov['consistency_s']:>10.3f}"
        f" {ov['answer_s']:>9.4f} {ov['overhead_s']:>9.3f}"
    )
    for label, row in (
        ("peer (scratch, 1 thread)", peer),
        ("peer (incremental, 1 thread)", report["peer_incremental"]),
    ):
        print(
            f"{label:<28} {row['total_s']:>9.3f} {row['verify_s']:>9.3f}"
            f" {row['consistency_s']:>10.3f} {row['answer_s']:>9.4f} {'-':>9}"
        )
    print(
        f"engine overhead: {ov['overhead_ms_per_cycle']:.3f} ms/cycle"
        f" (repeats: {', '.join(f'{x:.3f}' for x in report['overhead_ms_per_cycle_runs'])});"
        f" {report['overhead_short']['overhead_ms_per_cycle']:.3f} ms/cycle over {cfg['flat_cycles']} cycles"
        f" (repeats: {', '.join(f'{x:.3f}' for x in report['overhead_ms_per_cycle_short_runs'])})"
    )
    print(
        f"engine CPU in the event-loop thread (checks run on other threads): {ov['cpu_ms_per_cycle']:.3f} ms/cycle,"
        f" {report['overhead_short']['cpu_ms_per_cycle']:.3f} ms/cycle over {cfg['flat_cycles']} cycles"
        " (what the wall figure would be on an idle machine, less thread wake-ups)"
    )
    print(
        f"ratio engine/peer wall time: {report['ratio_engine_vs_peer']:.2f}x (scratch),"
        f" {report['ratio_engine_vs_peer_incremental']:.2f}x (incremental)"
    )
    if cfg["batch"] > 1:
        print("(batch > 1: the check timings overlap, so ms/cycle understates; trust the ratio)")
    print()
    print(
        f"concurrency: {cfg['forks']} independent forks, {cfg['latency_s']:g} s worker latency,"
        f" forked c at a time and joined"
    )
    print(f"{'capacity':<10} {'wall s':>8} {'critical path s':>16} {'concurrency':>12} {'mean active':>12}")
    for key in ("high", "low"):
        row = conc[key]
        print(
            f"{'c = ' + str(conc['capacity_' + key]):<10} {row['wall_s']:>8.3f} {row['critical_path_s']:>16.3f}"
            f" {row['concurrency']:>12.3f} {row['mean_active_workers']:>12.2f}"
        )
    print(
        f"speedup c={conc['capacity_high']} vs c={conc['capacity_low']}: {conc['speedup']:.2f}x"
        f" (ideal {conc['ideal_speedup']:g}x)"
    )
    print()
    for target in report["targets"]:
        print(f"{'PASS' if target['pass'] else 'FAIL'}  {target['name']}: {target['detail']}")
    if report.get("profile"):
        print()
        print(report["profile"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--cycles", type=int, default=200, help="fork/join cycles of the overhead run (default 200)"
    )
    ap.add_argument(
        "--flat-cycles",
        type=int,
        default=20,
        help="cycles of the short run for the flatness target (default 20)",
    )
    ap.add_argument("--batch", type=int, default=1, help="forks per batch in the overhead run (default 1)")
    ap.add_argument(
        "--latency", type=float, default=0.2, help="worker latency in s, concurrency runs (default 0.2)"
    )
    ap.add_argument("--forks", type=int, default=8, help="forks of the concurrency runs (default 8)")
    ap.add_argument("--capacity", type=int, default=4, help="the higher capacity compared with 1 (default 4)")
    ap.add_argument("--repeat", type=int, default=5, help="repeats; medians are reported (default 5)")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of the text report")
    ap.add_argument(
        "--profile", type=int, default=0, metavar="K", help="cProfile one overhead run, show top K"
    )
    args = ap.parse_args(argv)
    for name in ("cycles", "flat_cycles", "batch", "forks", "capacity", "repeat"):
        if getattr(args, name) < 1:
            ap.error(f"--{name} must be positive")
    if not 0 <= args.latency <= 60:
        ap.error("--latency must be in [0, 60] seconds")
    note = (lambda msg: print(msg, file=sys.stderr, flush=True)) if args.json else (lambda msg: None)

    run_engine(4, 2, capacity=2, latency_s=0.0)  # imports, grammars, Z3 contexts: untimed
    measure_peer(4)
    measure_peer(4, incremental=True)

    overhead, short, peer, peer_inc, high, low = [], [], [], [], [], []
    for k in range(args.repeat):
        note(f"repeat {k + 1}/{args.repeat}: engine and peers, {args.cycles} cycles ...")
        steps = [
            lambda: overhead.append(measure_overhead(args.cycles, args.batch)),
            lambda: short.append(measure_overhead(args.flat_cycles, args.batch)),
            lambda: peer.append(measure_peer(args.cycles)),
            lambda: peer_inc.append(measure_peer(args.cycles, incremental=True)),
        ]
        # rotate the order, so drift in machine load does not favour one side
        for step in steps[k % len(steps) :] + steps[: k % len(steps)]:
            step()
        note(f"repeat {k + 1}/{args.repeat}: concurrency c={args.capacity} and c=1 ...")
        high.append(measure_concurrency(args.forks, args.capacity, args.latency))
        low.append(measure_concurrency(args.forks, 1, args.latency))

    ratios = [o["wall_s"] / p["total_s"] for o, p in zip(overhead, peer)]
    ratios_inc = [o["wall_s"] / p["total_s"] for o, p in zip(overhead, peer_inc)]
    flat = [
        o["overhead_ms_per_cycle"] / max(s["overhead_ms_per_cycle"], 1e-9) for o, s in zip(overhead, short)
    ]
    short_ms = statistics.median(s["overhead_ms_per_cycle"] for s in short)
    speedups = [lo["wall_s"] / hi["wall_s"] for hi, lo in zip(high, low)]
    ov = median_of(overhead)
    ideal = args.capacity if args.forks >= args.capacity else args.forks
    conc = {
        "capacity_high": args.capacity,
        "capacity_low": 1,
        "high": median_of(high),
        "low": median_of(low),
        "speedup": round(statistics.median(speedups), 3),
        "speedup_runs": [round(s, 3) for s in speedups],
        "ideal_speedup": ideal,
    }
    speedup_goal = SPEEDUP_TARGET_FRACTION * ideal
    report: dict[str, Any] = {
        "config": {
            "cycles": args.cycles,
            "flat_cycles": args.flat_cycles,
            "batch": args.batch,
            "latency_s": args.latency,
            "forks": args.forks,
            "capacity": args.capacity,
            "repeat": args.repeat,
            "python": sys.version.split()[0],
        },
        "overhead": ov,
        "overhead_ms_per_cycle_runs": [round(o["overhead_ms_per_cycle"], 4) for o in overhead],
        "overhead_short": median_of(short),
        "overhead_ms_per_cycle_short_runs": [round(s["overhead_ms_per_cycle"], 4) for s in short],
        "flat_ratio": round(statistics.median(flat), 3),
        "flat_ratio_runs": [round(f, 3) for f in flat],
        "peer": median_of(peer),
        "peer_incremental": median_of(peer_inc),
        "ratio_engine_vs_peer": round(statistics.median(ratios), 3),
        "ratio_runs": [round(r, 3) for r in ratios],
        "ratio_engine_vs_peer_incremental": round(statistics.median(ratios_inc), 3),
        "ratio_incremental_runs": [round(r, 3) for r in ratios_inc],
        "concurrency": conc,
        "targets": [
            {
                "name": f"overhead <= {OVERHEAD_TARGET_MS:g} ms per cycle",
                "pass": ov["overhead_ms_per_cycle"] <= OVERHEAD_TARGET_MS,
                "detail": f"{ov['overhead_ms_per_cycle']:.3f} ms",
            },
            {
                "name": f"flat: ms/cycle at {args.cycles} cycles <= {FLAT_RATIO:g}x ms/cycle at {args.flat_cycles}",
                "pass": statistics.median(flat) <= FLAT_RATIO,
                "detail": f"{ov['overhead_ms_per_cycle']:.3f} ms vs {short_ms:.3f} ms:"
                f" {statistics.median(flat):.2f}x",
            },
            {
                "name": f"speedup c={args.capacity} vs c=1 >= {speedup_goal:g}x",
                "pass": conc["speedup"] >= speedup_goal,
                "detail": f"{conc['speedup']:.2f}x",
            },
        ],
    }
    if args.profile:
        note("profiling one overhead run ...")
        report["profile"] = profile_overhead(args.cycles, args.batch, args.profile)

    if args.json:
        print(json.dumps(report))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
