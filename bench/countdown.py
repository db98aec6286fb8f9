"""Countdown: all distinct solutions of `[25, 50, 75, 100, 3, 6] -> 952`, ours against a plain search.

What it measures (issue 4). Each number at most once; "distinct" is up to commutativity and
associativity (`reasoning.domains.countdown._search`). For integer rules (every intermediate value
an integer) and for rational rules:

- ours: `countdown_search.solve`, the memoised subset search (value sets per sub-multiset, then a
  goal-directed expansion of only the (sub-multiset, value) pairs that can reach the target).
  Median of `--repeat` cold runs (the shared value cache is cleared before each).
  Targets: integer rules <= 0.1 s, rational rules <= 2 s.
- plain: `countdown_search.plain_search`, pick two numbers, combine them every way the rules
  allow, recurse (one run; it is the search `recheck` uses, so it is exact but not clever).
- the ratio plain / ours and the number of distinct solutions each found (they must agree).
- solve: the whole `reasoning.solve` run asking for every solution (planner, 4 symbolic workers,
  every claim and the answer checked, exhaustion proved), for scale.

`--quick` skips the plain search under rational rules (about a minute on a loaded machine).

Run:
    .venv/bin/python bench/countdown.py [--quick] [--repeat R] [--json]

The exit status is 0 whether or not the targets pass.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reasoning.domains.countdown._search import clear_cache, plain_search, render_form, solve  # noqa: E402
from reasoning.engine._solve import solve as solve_task  # noqa: E402

NUMBERS = [25, 50, 75, 100, 3, 6]
TARGET = 952
TARGETS_S = {True: 0.1, False: 2.0}


def _ours(integer_only: bool, repeat: int) -> tuple[float, list]:
    times, forms = [], []
    for _ in range(repeat):
        clear_cache()
        started = time.perf_counter()
        forms = solve(NUMBERS, TARGET, rule="at-most-once", integer_only=integer_only)
        times.append(time.perf_counter() - started)
    return statistics.median(times), forms


def _plain(integer_only: bool) -> tuple[float, set]:
    started = time.perf_counter()
    found = plain_search(NUMBERS, TARGET, rule="at-most-once", integer_only=integer_only)
    return time.perf_counter() - started, set(found)


def _run(integer_only: bool, repeat: int, skip_plain: bool) -> dict[str, Any]:
    ours_s, forms = _ours(integer_only, repeat)
    row: dict[str, Any] = {
        "rules": "integer" if integer_only else "rational",
        "ours_s": round(ours_s, 6),
        "ours_solutions": len(forms),
        "target_s": TARGETS_S[integer_only],
        "pass": ours_s <= TARGETS_S[integer_only],
        "examples": [render_form(f) for f in forms[:3]],
    }
    if not skip_plain:
        plain_s, plain_forms = _plain(integer_only)
        row |= {
            "plain_s": round(plain_s, 6),
            "plain_solutions": len(plain_forms),
            "ratio": round(plain_s / ours_s, 1),
            "agree": plain_forms == set(forms),
        }
    clear_cache()
    task = {
        "domain": "countdown",
        "numbers": NUMBERS,
        "target": TARGET,
        "solutions": 10_000,
        "integer_only": integer_only,
    }
    started = time.perf_counter()
    result = solve_task(task, capacity=4, out=False)
    row |= {
        "solve_s": round(time.perf_counter() - started, 6),
        "solve_verified": result.verified,
        "solve_answers": len(result.answers),
    }
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the plain search under rational rules")
    parser.add_argument("--repeat", type=int, default=5, help="cold runs of ours (median)")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args()
    solve_task({"domain": "countdown", "numbers": [1, 2], "target": 3}, out=False)  # warm up imports
    rows = [_run(True, args.repeat, False), _run(False, args.repeat, args.quick)]
    if args.json:
        print(
            json.dumps({"numbers": NUMBERS, "target": TARGET, "rule": "at-most-once", "rows": rows}, indent=2)
        )
        return
    print(f"all distinct solutions of {NUMBERS} -> {TARGET}, each number at most once")
    header = (
        f"{'rules':<9} {'ours':>10} {'n':>4} {'plain':>10} {'n':>4} {'ratio':>8} {'agree':>6} {'target':>8}"
    )
    print(header)
    for row in rows:
        plain = (
            f"{row['plain_s']:>9.3f}s {row['plain_solutions']:>4}"
            if "plain_s" in row
            else f"{'skipped':>10} {'-':>4}"
        )
        ratio = f"{row['ratio']:>7.1f}x" if "ratio" in row else f"{'-':>8}"
        agree = ("yes" if row["agree"] else "NO") if "agree" in row else "-"
        verdict = "PASS" if row["pass"] else "FAIL"
        print(
            f"{row['rules']:<9} {row['ours_s']:>9.4f}s {row['ours_solutions']:>4} {plain} {ratio} {agree:>6} "
            f"<={row['target_s']:g}s {verdict}"
        )
    for row in rows:
        print(
            f"reasoning.solve, {row['rules']} rules, every solution: {row['solve_s']:.3f} s, "
            f"{row['solve_answers']} answers, verified: {row['solve_verified']}"
        )
        for example in row["examples"]:
            print(f"  e.g. {example} = {TARGET}")


if __name__ == "__main__":
    main()
