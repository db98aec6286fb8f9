"""Agreement of `reasoning.equivalent` with graded (gold, prediction, label) answer pairs.

What it measures. A table of our own graded pairs, written by category after reading the kinds
of cases public answer-checker suites test (number formats, fractions, delimiters and prose
around the answer, percent, intervals, sets and tuples, equations, algebraic forms, text
answers, units, several answers, degrees and trigonometry, complex numbers, matrices). None of
their cases is copied. Each pair is judged once; per category and overall it reports:

- agreement: `equivalent` is True for a right answer and False for a wrong one;
- undecided: `equivalent` is None (unknown or invalid); it costs agreement, never soundness;
- false accepts: True for a wrong answer (target: zero);
- false refutes: False for a right answer (a reward of 0 for a right answer).

Run:
    .venv/bin/python bench/answer_agreement.py [--budget SECONDS] [--json] [--show]

`--show` prints every pair we disagree on. Exit status 1 on any false accept, else 0.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reasoning import equivalent  # noqa: E402

R, W = True, False  # right and wrong answers

#: (category, gold, prediction, label): label True when the prediction is the same answer.
PAIRS: list[tuple[str, str, str, bool]] = [
    # number formats
    ("numbers", "4200", "4,200", R),
    ("numbers", "4200", "4200.0", R),
    ("numbers", "0.75", ".75", R),
    ("numbers", "-13", "-13", R),
    ("numbers", "250000", "250{,}000", R),
    ("numbers", "12000", "12,\\!000", R),
    ("numbers", "3", "3.0001", W),
    ("numbers", "17", "71", W),
    ("numbers", "1000", "100", W),
    # fractions and decimals
    ("fractions", "\\frac{7}{4}", "1.75", R),
    ("fractions", "7/4", "\\dfrac{7}{4}", R),
    ("fractions", "\\frac{2}{6}", "\\frac13", R),
    ("fractions", "-\\frac{5}{8}", "\\frac{-5}{8}", R),
    ("fractions", "\\frac{1}{3}", "0.33", W),
    ("fractions", "\\frac{3}{5}", "\\frac{5}{3}", W),
    ("fractions", "2\\frac{1}{4}", "\\frac{9}{4}", R),
    # delimiters and prose around the answer
    ("prose", "9", "The result is $\\boxed{9}$.", R),
    ("prose", "9", "\\[ 9 \\]", R),
    ("prose", "\\frac{5}{2}", "Thus $y = \\boxed{\\frac{5}{2}}$.", R),
    ("prose", "34", "Final Answer: The largest $n$ is 34.", R),
    ("prose", "6", "Doubling gives \\boxed{12}; half of that is needed, so the final answer is 6.", R),
    ("prose", "\\frac{2}{3}", "So the probability is 2/3.", R),
    ("prose", "15", "The total cost is $15.", R),
    ("prose", "8", "We get $\\boxed{7}$.", W),
    ("prose", "8", "#### 9", W),
    # percent
    ("percent", "35\\%", "35", R),
    ("percent", "35\\%", "0.35", R),
    ("percent", "35\\%", "35 \\%", R),
    ("percent", "35\\%", "3.5", W),
    # intervals
    ("intervals", "[1, 4)", "[1,4)", R),
    ("intervals", "(-\\infty, 2]", "(-\\infty,2]", R),
    ("intervals", "[1, 4)", "[1, 4]", W),
    ("intervals", "(0, 5)", "(0, 6)", W),
    ("intervals", "(2, 1)", "[3, 5]", W),
    ("intervals", "[1, 2] \\cup [3, 4]", "[3,4] \\cup [1,2]", R),
    # sets, tuples, several answers
    ("sets", "\\{2, 5\\}", "\\{5, 2\\}", R),
    ("sets", "2, 5", "5, 2", R),
    ("sets", "\\{2, 5\\}", "\\{2, 6\\}", W),
    ("sets", "(1, 2)", "(2, 1)", W),
    ("sets", "(3, -1)", "(3,-1)", R),
    ("several", "1, 2", "\\boxed{1}\\boxed{2}", R),
    ("several", "1, 2, 3", "$1$ and $2$ and $3$", R),
    ("several", "k = 4, n = 7", "\\boxed{k = 4} \\quad\\text{and}\\quad \\boxed{n = 7}", R),
    ("several", "1, 2", "\\boxed{1}\\boxed{3}", W),
    # equations and assignments
    ("equations", "x = 4", "4", R),
    ("equations", "y = 3x - 2", "y = -2 + 3x", R),
    ("equations", "y = 3x - 2", "3x - y - 2 = 0", R),
    ("equations", "x = 4", "y = 4", W),
    ("equations", "y = 3x - 2", "y = 3x + 2", W),
    ("equations", "x = 1, 2", "x = 2, 1", R),
    # algebraic forms
    ("algebra", "(a+1)^2", "a^2 + 2a + 1", R),
    ("algebra", "\\frac{t+1}{t}", "1 + \\frac{1}{t}", R),
    ("algebra", "2\\sqrt{2}", "\\sqrt{8}", R),
    ("algebra", "\\frac{\\sqrt{3}}{3}", "\\frac{1}{\\sqrt{3}}", R),
    ("algebra", "x^2 - 1", "(x-1)(x+1)", R),
    ("algebra", "(a+1)^2", "a^2 + 1", W),
    ("algebra", "\\sqrt{2}", "1.414", W),
    ("algebra", "\\pi", "3.14", W),
    ("algebra", "1 - \\frac{1}{e}", "1 + \\frac{1}{e}", W),
    ("algebra", "\\frac{1}{2^{50}}", "\\frac{1}{2^{51}}", W),
    # text answers
    ("text", "\\text{Tuesday}", "\\text{Tuesday}", R),
    ("text", "\\text{Tuesday}", "Tuesday", R),
    ("text", "\\text{(B)}", "(B)", R),
    ("text", "\\text{Tuesday}", "\\text{Monday}", W),
    # units and magnitude words
    ("units", "12", "12 \\text{ cm}", R),
    ("units", "5\\text{ m}", "5\\text{ cm}", W),
    ("units", "5", "5 million", W),
    ("units", "3", "3 thousand", W),
    ("units", "5", "5 factorial", W),
    # degrees and trigonometry
    ("trig", "45^\\circ", "45", R),
    ("trig", "90^\\circ", "\\frac{\\pi}{2}", R),
    ("trig", "\\sin^2 x + \\cos^2 x", "1", R),
    ("trig", "\\operatorname{arcsin}(1)", "\\operatorname{arccos}(1)", W),
    ("trig", "\\frac{\\sqrt{2}}{2}", "\\sin(\\pi/4)", R),
    # function commands
    ("functions", "\\operatorname{sgn}(-2)", "-2", W),
    ("functions", "\\lfloor 2.5 \\rfloor", "2", R),
    ("functions", "|x|", "(\\sqrt{x})^2", W),
    # complex numbers and matrices
    ("complex", "3 + 4i", "4i + 3", R),
    ("complex", "14 + 14i", "14(1 + i)", R),
    ("complex", "3 + 4i", "3 - 4i", W),
    ("matrices", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", R),
    ("matrices", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix} 2 \\\\ 1 \\end{pmatrix}", W),
    # logarithms
    ("logs", "7", "\\log_2 128", R),
    ("logs", "3", "\\ln e^3", R),
    ("logs", "7", "\\log_2 64", W),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=float, default=2.0)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--show", action="store_true")
    args = ap.parse_args(argv)

    rows = collections.defaultdict(collections.Counter)
    disagreements = []
    start = time.perf_counter()
    for category, gold, prediction, label in PAIRS:
        verdict = equivalent(gold, prediction, budget_s=args.budget).equivalent
        for key in (category, "all"):
            counts = rows[key]
            counts["pairs"] += 1
            counts["agree"] += verdict is label
            counts["undecided"] += verdict is None
            counts["false_accept"] += verdict is True and not label
            counts["false_refute"] += verdict is False and label
        if verdict is not label:
            disagreements.append(
                {"category": category, "gold": gold, "prediction": prediction, "label": label, "got": verdict}
            )
    elapsed = time.perf_counter() - start

    report = {
        key: {**counts, "agreement": round(counts["agree"] / counts["pairs"], 3)}
        for key, counts in sorted(rows.items(), key=lambda kv: (kv[0] == "all", kv[0]))
    }
    if args.json:
        print(
            json.dumps({"categories": report, "disagreements": disagreements, "elapsed_s": round(elapsed, 2)})
        )
    else:
        print(
            f"{'category':<12} {'pairs':>5} {'agree':>6} {'undecided':>9} {'false acc':>9} {'false ref':>9}"
        )
        for key, counts in report.items():
            print(
                f"{key:<12} {counts['pairs']:>5} {counts['agreement']:>6.0%} {counts['undecided']:>9} "
                f"{counts['false_accept']:>9} {counts['false_refute']:>9}"
            )
        print(f"({elapsed:.1f} s)")
        if args.show:
            for row in disagreements:
                print(
                    f"  [{row['category']}] {row['gold']!r} vs {row['prediction']!r}: label {row['label']}, got {row['got']}"
                )
    return 1 if report["all"]["false_accept"] else 0


if __name__ == "__main__":
    sys.exit(main())
