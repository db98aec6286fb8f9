"""Answer-equivalence throughput and accuracy: `reasoning.equivalent` against HuggingFace math-verify.

What it measures. A seeded, labelled corpus of (gold, prediction) pairs (`bench/corpus.py`:
integers, fractions vs decimals, LaTeX forms, intervals, sets, algebraic identities,
equations/percent/degrees/units, near-miss wrong answers, malformed answers) is judged by both
systems in the same process, one pair at a time, in the main thread. For each system it reports
pairs/s over the whole corpus (wall clock), the median per-pair time, and per kind the agreement
with the labels and the number of false "equivalent" verdicts. Then it prints PASS/FAIL for the
targets: ours >= 20x math-verify's throughput, ours' agreement >= math-verify's on every kind, and
zero false "equivalent" verdicts from ours.

How the systems are called.
- math-verify: `verify(parse(gold), parse(pred))` with its default (recommended) configuration,
  i.e. `parsing_timeout=5` and `timeout_seconds=5` (signal.alarm based, so main thread only).
  Its LaTeX extractor only sees LaTeX inside delimiters (bare `2\\sqrt{2}` parses as 2), so an
  answer with no `$` and no `\\boxed` is wrapped in `$...$` for it, as its README does for gold
  answers; `--mv-raw` passes the strings unchanged. Exceptions count as "not equivalent".
- ours: `equivalent(gold, pred, budget_s=...)`; `.equivalent` is True, False or None. None
  (unknown / invalid) counts as "not equivalent" for agreement and is reported separately.

The `--hostile` section runs inputs that are cheap to write and costly to evaluate (power towers,
huge factorials, deep nesting) through ours in-process, and through math-verify in a subprocess
that is killed after `--hostile-mv-timeout` seconds (0: do not run math-verify on them).

Run:
    .venv/bin/python bench/verify_vs_mathverify.py [--size N] [--seed S] [--budget SECONDS]
        [--json] [--hostile] [--show N] [--ours module:function]

math-verify is an optional dependency (`pip install .[bench]`); without it this exits with status 2.
Otherwise the exit status is 0 whether or not the targets pass.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import KINDS, Pair, build_corpus, hostile_pairs  # noqa: E402

THROUGHPUT_TARGET = 20.0
WARMUP = [
    ("\\frac{3}{8}", "0.375"),
    ("(x+2)^2", "x^2+4x+4"),
    ("[1, 3)", "\\left[1, 3\\right)"),
    ("\\{4, 9\\}", "\\{9, 4\\}"),
    ("x = 11", "11"),
    ("\\sqrt{12}", "2\\sqrt{3}"),
    ("\\boxed{17}", "18"),
]


# ----------------------------------------------------------------------------- the two systems


@dataclass
class Judged:
    verdict: bool | None  # None: ours said unknown/invalid (or raised)
    status: str
    seconds: float


class TimeoutCounter(logging.Handler):
    """Counts math-verify's "Timeout during ..." warnings and keeps them off the terminal."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "Timeout" in record.getMessage():
            self.count += 1


def load_math_verify() -> tuple[Any, Any, str, TimeoutCounter]:
    try:
        from math_verify import parse, verify
    except ImportError:
        print(
            "math-verify is not installed; it is an optional dependency of this benchmark.\n"
            "Install it with:  pip install '.[bench]'   (or: pip install 'math-verify[antlr4_13_2]')",
            file=sys.stderr,
        )
        sys.exit(2)
    from importlib.metadata import version

    counter = TimeoutCounter()
    for name in ("math_verify", "latex2sympy2_extended"):
        log = logging.getLogger(name)
        log.handlers[:] = [counter]
        log.propagate = False
        log.setLevel(logging.WARNING)
    return parse, verify, version("math-verify"), counter


_DELIMITED = re.compile(r"(?<!\\)\$|\\boxed|\\\(|\\\[")


def _delimit(text: str) -> str:
    return text if _DELIMITED.search(text) else f"${text}$"


def make_mv_judge(parse: Any, verify: Any, raw: bool) -> Callable[[str, str], bool]:
    prep = (lambda s: s) if raw else _delimit

    def judge(gold: str, pred: str) -> bool:
        try:
            return bool(verify(parse(prep(gold)), parse(prep(pred))))
        except Exception:  # math-verify's own errors are "not equivalent", as in its metric
            return False

    return judge


def standin_equivalent(gold: str, prediction: str, budget_s: float = 1.0) -> Any:
    """A naive stand-in for development: strip presentation, compare exact numbers or strings."""

    def norm(s: str) -> str:
        s = s.strip().strip("$").replace("\\left", "").replace("\\right", "").replace("\\dfrac", "\\frac")
        if s.startswith("\\boxed{") and s.endswith("}"):
            s = s[7:-1]
        return s.replace(" ", "").replace("{,}", "")

    def number(s: str) -> Fraction | None:
        if s.startswith("\\frac{") and s.endswith("}") and "}{" in s:
            p, q = s[6:-1].split("}{", 1)
            s = f"{p}/{q}"
        try:
            return Fraction(s)
        except (ValueError, ZeroDivisionError):
            return None

    a, b = norm(gold), norm(prediction)
    na, nb = number(a), number(b)
    if na is not None and nb is not None:
        ok: bool | None = na == nb
    else:
        ok = True if a == b else None
    return argparse.Namespace(equivalent=ok, status="proved" if ok else "unknown")


def load_ours(spec: str) -> Callable[..., Any]:
    if spec == "standin":
        return standin_equivalent
    module, _, attr = spec.partition(":")
    try:
        return getattr(importlib.import_module(module), attr or "equivalent")
    except (ImportError, AttributeError) as exc:
        print(f"cannot load ours from {spec!r}: {exc}", file=sys.stderr)
        print(
            "use --ours standin (or --ours module:function) until reasoning.equivalent exists",
            file=sys.stderr,
        )
        sys.exit(3)


def make_ours_judge(fn: Callable[..., Any], budget_s: float) -> Callable[[str, str], tuple[bool | None, str]]:
    def judge(gold: str, pred: str) -> tuple[bool | None, str]:
        try:
            result = fn(gold, pred, budget_s=budget_s)
        except Exception as exc:  # an exception is a bug in ours; count it, do not crash the run
            return None, f"error:{type(exc).__name__}"
        status = getattr(result, "status", "")
        return result.equivalent, str(getattr(status, "value", status))

    return judge


# ----------------------------------------------------------------------------- measurement


def run_mv(pairs: list[Pair], judge: Callable[[str, str], bool]) -> tuple[list[Judged], float]:
    out: list[Judged] = []
    clock = time.perf_counter
    start = clock()
    for pair in pairs:
        t0 = clock()
        verdict = judge(pair.gold, pair.prediction)
        out.append(Judged(verdict, "equivalent" if verdict else "not", clock() - t0))
    return out, clock() - start


def run_ours(
    pairs: list[Pair], judge: Callable[[str, str], tuple[bool | None, str]]
) -> tuple[list[Judged], float]:
    out: list[Judged] = []
    clock = time.perf_counter
    start = clock()
    for pair in pairs:
        t0 = clock()
        verdict, status = judge(pair.gold, pair.prediction)
        out.append(Judged(verdict, status, clock() - t0))
    return out, clock() - start


def kind_table(pairs: list[Pair], mv: list[Judged], ours: list[Judged]) -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = {}
    for kind in [*KINDS, "ALL"]:
        idx = [i for i, p in enumerate(pairs) if kind in ("ALL", p.kind)]
        if not idx:
            continue
        n = len(idx)
        labels = [pairs[i].label for i in idx]
        mv_agree = sum(bool(mv[i].verdict) == pairs[i].label for i in idx)
        ours_agree = sum((ours[i].verdict is True) == pairs[i].label for i in idx)
        table[kind] = {
            "n": n,
            "n_equivalent": sum(labels),
            "mv_agree": mv_agree,
            "mv_agree_pct": round(100 * mv_agree / n, 2),
            "ours_agree": ours_agree,
            "ours_agree_pct": round(100 * ours_agree / n, 2),
            "mv_false_equivalent": sum(bool(mv[i].verdict) and not pairs[i].label for i in idx),
            "ours_false_equivalent": sum(ours[i].verdict is True and not pairs[i].label for i in idx),
            "mv_missed_equivalent": sum(not mv[i].verdict and pairs[i].label for i in idx),
            "ours_missed_equivalent": sum(ours[i].verdict is not True and pairs[i].label for i in idx),
            "ours_none": sum(ours[i].verdict is None for i in idx),
            "ours_errors": sum(ours[i].status.startswith("error:") for i in idx),
        }
    return table


def disagreements(
    pairs: list[Pair], judged: list[Judged], other: list[Judged], ours: bool
) -> list[dict[str, Any]]:
    rows = []
    for pair, mine, theirs in zip(pairs, judged, other, strict=True):
        said = mine.verdict is True if ours else bool(mine.verdict)
        if said == pair.label:
            continue
        rows.append(
            {
                "kind": pair.kind,
                "gold": pair.gold,
                "prediction": pair.prediction,
                "label": pair.label,
                "note": pair.note,
                "verdict": mine.verdict,
                "status": mine.status,
                "ms": round(mine.seconds * 1000, 3),
                ("mv_verdict" if ours else "ours_verdict"): theirs.verdict,
            }
        )
    return rows


def pick_spread(rows: list[dict[str, Any]], limit: int) -> dict[str, list[dict[str, Any]]]:
    """Up to `limit` rows, taken round-robin across kinds so every kind gets a look."""
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_kind.setdefault(row["kind"], []).append(row)
    shown: dict[str, list[dict[str, Any]]] = {k: [] for k in by_kind}
    taken, depth = 0, 0
    while taken < limit and any(len(v) > depth for v in by_kind.values()):
        for kind, items in by_kind.items():
            if depth < len(items) and taken < limit:
                shown[kind].append(items[depth])
                taken += 1
        depth += 1
    return {k: v for k, v in shown.items() if v}


# ----------------------------------------------------------------------------- hostile inputs

_MV_CHILD = """
import json, logging, sys, time
logging.disable(logging.CRITICAL)
from math_verify import parse, verify
gold, pred = sys.argv[1], sys.argv[2]
t = time.perf_counter()
try:
    v = bool(verify(parse(gold), parse(pred)))
except Exception as exc:
    v = "error:" + type(exc).__name__
print(json.dumps({"verdict": v, "seconds": time.perf_counter() - t}))
"""


def _limit_memory() -> None:
    import resource

    cap = 4 * 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def run_hostile(
    ours: Callable[[str, str], tuple[bool | None, str]], mv_timeout: float, raw: bool
) -> list[dict[str, Any]]:
    prep = (lambda s: s) if raw else _delimit
    rows = []
    for pair in hostile_pairs():
        t0 = time.perf_counter()
        verdict, status = ours(pair.gold, pair.prediction)
        row: dict[str, Any] = {
            "gold": pair.gold if len(pair.gold) <= 60 else pair.gold[:40] + f"... ({len(pair.gold)} chars)",
            "prediction": pair.prediction,
            "label": pair.label,
            "note": pair.note,
            "ours_verdict": verdict,
            "ours_status": status,
            "ours_ms": round((time.perf_counter() - t0) * 1000, 3),
            "mv": "not run",
        }
        if mv_timeout > 0:
            t0 = time.perf_counter()
            try:
                done = subprocess.run(
                    [sys.executable, "-c", _MV_CHILD, prep(pair.gold), prep(pair.prediction)],
                    capture_output=True,
                    text=True,
                    timeout=mv_timeout,
                    preexec_fn=_limit_memory if os.name == "posix" else None,
                )
                wall = time.perf_counter() - t0
                if done.returncode == 0 and done.stdout.strip():
                    child = json.loads(done.stdout.strip().splitlines()[-1])
                    row["mv"] = f"{child['verdict']} in {child['seconds']:.2f}s"
                else:
                    tail = (done.stderr.strip().splitlines() or ["?"])[-1][:60]
                    row["mv"] = f"crashed (exit {done.returncode}: {tail}) after {wall:.1f}s"
            except subprocess.TimeoutExpired:
                row["mv"] = f"killed after {mv_timeout:g}s (no answer)"
        rows.append(row)
    return rows


# ----------------------------------------------------------------------------- report


def _fmt_verdict(v: bool | None) -> str:
    return {True: "equiv", False: "not", None: "none"}[v]


def print_report(report: dict[str, Any], show: dict[str, list[dict[str, Any]]]) -> None:
    cfg, thr = report["config"], report["throughput"]
    print(
        f"corpus: {cfg['size']} pairs, seed {cfg['seed']}, {report['kinds']['ALL']['n_equivalent']} labelled equivalent"
        f" | math-verify {cfg['math_verify_version']} ({cfg['mv_input']} input, timeouts 5s/5s)"
        f" | ours {cfg['ours']} (budget {cfg['budget_s']}s)"
    )
    print()
    print(f"{'system':<12} {'total s':>9} {'pairs/s':>10} {'median ms':>10} {'p99 ms':>9} {'max ms':>9}")
    for name in ("math_verify", "ours"):
        t = thr[name]
        print(
            f"{name:<12} {t['total_s']:>9.3f} {t['pairs_per_s']:>10.1f} {t['median_ms']:>10.3f}"
            f" {t['p99_ms']:>9.2f} {t['max_ms']:>9.2f}"
        )
    print(
        f"ratio ours/math-verify: {thr['ratio']:.1f}x   (math-verify timeouts logged: {thr['mv_timeouts']})"
    )
    print()
    head = f"{'kind':<17} {'n':>5} {'equiv':>5} {'mv agree':>9} {'ours agree':>10} {'mv FP':>6} {'ours FP':>7} {'mv FN':>6} {'ours FN':>7} {'none':>5} {'err':>4}"
    print(head)
    print("-" * len(head))
    for kind, row in report["kinds"].items():
        if kind == "ALL":
            print("-" * len(head))
        print(
            f"{kind:<17} {row['n']:>5} {row['n_equivalent']:>5} {row['mv_agree_pct']:>8.1f}% {row['ours_agree_pct']:>9.1f}%"
            f" {row['mv_false_equivalent']:>6} {row['ours_false_equivalent']:>7} {row['mv_missed_equivalent']:>6}"
            f" {row['ours_missed_equivalent']:>7} {row['ours_none']:>5} {row['ours_errors']:>4}"
        )
    print(
        "(FP: judged equivalent but labelled not; FN: labelled equivalent but not judged so; none: ours said unknown/invalid)"
    )
    print()
    if report.get("hostile"):
        print("hostile inputs (not in the timed corpus):")
        for row in report["hostile"]:
            print(
                f"  {row['note']:<28} ours: {_fmt_verdict(row['ours_verdict']):<5} {row['ours_status']:<10}"
                f" {row['ours_ms']:>9.2f} ms | math-verify: {row['mv']}"
            )
        print()
    n_dis = len(report["ours_disagreements"])
    if show:
        shown = sum(len(v) for v in show.values())
        print(f"ours disagrees with the label on {n_dis} pairs; {shown} shown (mv = math-verify's verdict):")
        for kind, rows in show.items():
            print(f"  [{kind}]")
            for r in rows:
                print(
                    f"    gold={r['gold']!r} pred={r['prediction']!r} label={_fmt_verdict(r['label'])}"
                    f" ours={_fmt_verdict(r['verdict'])}/{r['status']} mv={_fmt_verdict(r['mv_verdict'])}  ({r['note']})"
                )
        print()
    for target in report["targets"]:
        print(f"{'PASS' if target['pass'] else 'FAIL'}  {target['name']}: {target['detail']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--size", type=int, default=2000, help="number of pairs (default 2000)")
    ap.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    ap.add_argument("--budget", type=float, default=1.0, help="ours' budget_s per pair (default 1.0)")
    ap.add_argument(
        "--ours", default="reasoning:equivalent", help="module:function to benchmark, or 'standin'"
    )
    ap.add_argument("--mv-raw", action="store_true", help="give math-verify the strings without adding $...$")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of the text report")
    ap.add_argument(
        "--show", type=int, default=30, help="how many of ours' disagreements to print (default 30)"
    )
    ap.add_argument("--hostile", action="store_true", help="also run the hostile inputs (see the docstring)")
    ap.add_argument(
        "--hostile-mv-timeout", type=float, default=20.0, help="kill math-verify after this many s (0: skip)"
    )
    args = ap.parse_args(argv)
    if args.size < 1:
        ap.error("--size must be positive")

    parse, verify, mv_version, timeouts = load_math_verify()
    mv_judge = make_mv_judge(parse, verify, args.mv_raw)
    ours_judge = make_ours_judge(load_ours(args.ours), args.budget)

    pairs = build_corpus(args.size, args.seed)
    note = (lambda msg: print(msg, file=sys.stderr, flush=True)) if args.json else (lambda msg: None)

    for gold, pred in WARMUP:  # imports, grammar compilation, caches of code paths: untimed
        mv_judge(gold, pred)
        ours_judge(gold, pred)
    timeouts.count = 0

    note(f"math-verify on {len(pairs)} pairs ...")
    mv, mv_total = run_mv(pairs, mv_judge)
    note(f"ours on {len(pairs)} pairs ...")
    ours, ours_total = run_ours(pairs, ours_judge)

    def figures(judged: list[Judged], total: float) -> dict[str, float]:
        ms = sorted(j.seconds * 1000 for j in judged)
        return {
            "total_s": round(total, 4),
            "pairs_per_s": round(len(judged) / total, 2) if total > 0 else 1e9,
            "median_ms": round(statistics.median(ms), 4),
            "p99_ms": round(ms[min(len(ms) - 1, int(0.99 * len(ms)))], 3),
            "max_ms": round(ms[-1], 3),
        }

    thr = {"math_verify": figures(mv, mv_total), "ours": figures(ours, ours_total)}
    thr["ratio"] = round(mv_total / ours_total, 2) if ours_total > 0 else 1e9
    thr["mv_timeouts"] = timeouts.count
    kinds = kind_table(pairs, mv, ours)

    behind = [k for k, r in kinds.items() if k != "ALL" and r["ours_agree"] < r["mv_agree"]]
    false_eq = kinds["ALL"]["ours_false_equivalent"]
    targets = [
        {
            "name": f"throughput >= {THROUGHPUT_TARGET:g}x math-verify",
            "pass": thr["ratio"] >= THROUGHPUT_TARGET,
            "detail": f"{thr['ratio']:.1f}x ({thr['ours']['pairs_per_s']:.0f} vs {thr['math_verify']['pairs_per_s']:.1f} pairs/s)",
        },
        {
            "name": "agreement >= math-verify on every kind",
            "pass": not behind,
            "detail": "all kinds"
            if not behind
            else "behind on "
            + ", ".join(
                f"{k} ({kinds[k]['ours_agree_pct']}% vs {kinds[k]['mv_agree_pct']}%)" for k in behind
            ),
        },
        {
            "name": "zero false 'equivalent' verdicts from ours",
            "pass": false_eq == 0,
            "detail": f"{false_eq} (math-verify: {kinds['ALL']['mv_false_equivalent']})",
        },
    ]
    ours_dis = disagreements(pairs, ours, mv, ours=True)
    report: dict[str, Any] = {
        "config": {
            "size": len(pairs),
            "seed": args.seed,
            "budget_s": args.budget,
            "ours": args.ours,
            "math_verify_version": mv_version,
            "mv_input": "raw" if args.mv_raw else "delimited",
            "python": sys.version.split()[0],
        },
        "throughput": thr,
        "kinds": kinds,
        "targets": targets,
        "ours_disagreements": ours_dis,
        "mv_disagreements": disagreements(pairs, mv, ours, ours=False),
    }
    if args.hostile:
        note("hostile inputs ...")
        report["hostile"] = run_hostile(ours_judge, args.hostile_mv_timeout, args.mv_raw)

    if args.json:
        print(json.dumps(report, default=str))
    else:
        print_report(report, pick_spread(ours_dis, args.show))
    return 0


if __name__ == "__main__":
    sys.exit(main())
