"""`reason solve math --problem TEXT [--samples K]`: a word problem, formalized by a model and
solved and verified against that formalization (`reasoning.engine._formalize`).

The shared options of `reason solve` (`--model`, `--seed`, `--out`, `--budget`, `--max-tokens`,
`--worker-timeout`, `--json`) apply; `--problem TEXT` (or `--problem-file PATH`) and
`--samples K` are this command's own. Exit codes: 3 when the answer is verified against the
model's formalization and every verified sample agrees (never 0: nothing was proved about the
words themselves), 1 when there is no such answer (no usable formalization, none verified, or
the samples disagree), 2 for bad input or a model that cannot be loaded.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from reasoning.engine._formalize import DISAGREE, VERIFIED, WordProblemResult, solve_word_problem
from reasoning.errors import InvalidArgument

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

#: Exit code of an answer verified against a model-written formalization.
EXIT_FORMALIZED = 3
USAGE = "reason solve math --problem TEXT [--samples K] [--model SPEC] [--json]"
MATH_HELP = f"""Usage: {USAGE}

  A word problem: the model writes a formal task (unknowns with sorts, constraints, a goal),
  the symbolic workers solve it and the verifier proves the answer against it. The answer is
  reported as verified against that formalization (shown, and kept in the proof bundle), never
  as simply proved.

  --problem TEXT        the word problem (or --problem-file PATH)
  --samples K           formalizations to sample, with distinct seeds; their answers are compared
  --model SPEC          local (default), a model directory or GGUF file, or openai:URL[#grammar=MODE]
  --worker-timeout S    seconds per model request; --budget S: seconds per sample's solve
  --json                one JSON object (its `formalization` is null when none was produced)

  Exit 3: verified against the formalization, samples agree; 1: no such answer; 2: bad input."""


def math_options(args: list[str]) -> dict[str, Any]:
    """`--problem`, `--problem-file` and `--samples` from the extra arguments of `reason solve`."""
    options: dict[str, Any] = {"samples": 1}
    rest = list(args)
    while rest:
        flag = rest.pop(0)
        name, eq, inline = flag.partition("=")
        if name not in ("--problem", "--problem-file", "--samples"):
            raise InvalidArgument(f"reason solve math: unknown option {flag!r}; usage: {USAGE}")
        if not eq and not rest:
            raise InvalidArgument(f"reason solve math: {name} needs a value")
        value = inline if eq else rest.pop(0)
        if name == "--problem":
            options["problem"] = value
        elif name == "--problem-file":
            try:
                options["problem"] = Path(value).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise InvalidArgument(f"cannot read the problem file {value}: {exc}") from exc
        else:
            try:
                options["samples"] = int(value)
            except ValueError:
                raise InvalidArgument(f"--samples {value!r}: give a whole number of samples") from None
    if "problem" not in options:
        raise InvalidArgument(
            f"reason solve math needs --problem TEXT (or --problem-file PATH); usage: {USAGE}"
        )
    return options


def solve_math(
    args: list[str],
    *,
    model: str | None,
    seed: int,
    out_dir: Path | None,
    budget: float,
    max_tokens: int,
    worker_timeout: float | None,
    as_json: bool,
) -> None:
    """Run `reason solve math` (see the module docstring); always ends with typer.Exit."""
    try:
        options = math_options(args)

        def notify(message: str) -> None:
            err.print(f"[dim]{escape(message)}[/]")

        result = solve_word_problem(
            options["problem"],
            model=model,
            samples=options["samples"],
            seed=seed,
            out=out_dir,
            budget_s=budget,
            worker_timeout_s=worker_timeout or 120.0,
            max_tokens=max_tokens,
            notify=None if as_json else notify,
        )
    except InvalidArgument as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
    else:
        print_result(result)
    raise typer.Exit(EXIT_FORMALIZED if result.status == VERIFIED else 1)


def print_result(result: WordProblemResult) -> None:
    """The answer, what it rests on, the formalization and the samples, for people."""
    style = "yellow" if result.status in (VERIFIED, DISAGREE) else "red"
    out.print(f"[bold]answer[/] [{style}]({result.status.replace('_', ' ')})[/]:")
    for line in (result.answer or "(none)").splitlines():
        out.print(f"  {escape(line)}")
    out.print(f"[{style}]{escape(result.wording())}[/]")
    if result.formalization is not None:
        out.print("[bold]formalization[/]:")
        for line in result.formalization.text.splitlines():
            out.print(f"  {escape(line)}")
    rejected = [s for s in result.samples if s.rejection is not None]
    if rejected:
        out.print(f"[bold]rejected formalizations[/] ({len(rejected)}):")
        for sample in rejected:
            shown = sample.rejection.text or sample.reply
            first = shown.strip().splitlines()[0] if shown.strip() else "(empty)"
            out.print(
                f"  seed {sample.seed}: {escape(sample.rejection.reason)}  [dim]{escape(first[:80])}[/]"
            )
    verified = sum(s.verified for s in result.samples)
    agree = (
        "all agree"
        if len(result.agreement) == 1
        else "they disagree"
        if result.agreement
        else "none verified"
    )
    counts = ", ".join(f"{k}: {n}" for k, n in result.agreement.items())
    out.print(
        f"[dim]samples: {verified} of {len(result.samples)} verified, {agree}"
        + (f" ({escape(counts)})" if counts else "")
        + f"; model {escape(result.model or '-')}"
        + (" (the formalization grammar went with each request)" if result.grammar_sent else "")
        + f", {result.model_s:.1f} s of model time, {result.elapsed_s:.1f} s in all[/]"
    )
    out.print(f"[dim]{escape(result.message)}[/]")
    if result.bundle:
        out.print(f"proof bundle: {escape(result.bundle)}  (re-check: reason check BUNDLE)")
