"""Differential soundness fuzzing of `reasoning.verify`: a long run of random claims.

What it does. Draws random claims over the whole claim language (`tests/fuzz_claims.py`: every
function, pi and e, nested definedness, Int and Real quantifier prefixes, free variables),
verifies each with `reasoning.verify`, and audits every `proved` and `refuted` verdict with an
independent oracle: exact evaluation where possible, else mpmath at 50 digits with a wide
margin, at many sample points respecting each variable's sort. A `proved` claim that fails or
is undefined at a sample point, a `refuted` one whose certificate does not re-check or whose
own point satisfies it, a point that does not respect a sort: each is an unsound verdict.

It prints a progress line (JSON) every `--report-every` examples and a final summary with the
counts of proved / refuted / unknown / invalid and of unsound verdicts (each one printed with
its claim). Target: zero unsound verdicts; the issue asks for >= 100,000 examples.

Run:
    .venv/bin/python bench/soundness_fuzz.py [--examples N] [--budget SECONDS] [--seed S]
        [--report-every K]

Exit status 1 when an unsound verdict was found, else 0.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402

from proofs.parsing import ParseFailure, parse_claim  # noqa: E402
from reasoning import verify  # noqa: E402
from tests.fuzz_claims import audit, claims, to_text  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=10_000)
    ap.add_argument("--budget", type=float, default=0.3, help="seconds per verify call")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--report-every", type=int, default=1_000)
    args = ap.parse_args(argv)

    counts: collections.Counter[str] = collections.Counter()
    unsound: list[dict[str, str]] = []
    start = time.perf_counter()

    @seed(args.seed)
    @settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(claims())
    def one(formula) -> None:
        text = to_text(formula)
        verdict = verify(text, budget_s=args.budget)
        counts[verdict.status.value] += 1
        counts["examples"] += 1
        parsed = parse_claim(text)
        why = (
            "the printed claim does not parse" if isinstance(parsed, ParseFailure) else audit(parsed, verdict)
        )
        if why is not None:
            counts["unsound"] += 1
            unsound.append(
                {"claim": text, "status": verdict.status.value, "backend": verdict.backend, "why": why}
            )
            print(json.dumps({"unsound": unsound[-1]}), flush=True)
        if counts["examples"] % args.report_every == 0:
            elapsed = time.perf_counter() - start
            print(json.dumps({"progress": dict(counts), "elapsed_s": round(elapsed, 1)}), flush=True)

    one()
    elapsed = time.perf_counter() - start
    summary = {
        "summary": dict(counts),
        "elapsed_s": round(elapsed, 1),
        "per_s": round(counts["examples"] / elapsed, 1),
    }
    print(json.dumps(summary), flush=True)
    return 1 if unsound else 0


if __name__ == "__main__":
    sys.exit(main())
