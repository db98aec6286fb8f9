"""The `reason` command line: verify claims, compare answers, re-check certificates and bundles,
run the fork/join engine (`reason run`, in `reasoning.cli._run`).

Exit status: 0 when everything asked was proved (equivalent, re-checked), 1 when something was
refuted, unknown or invalid, 2 for usage errors (a missing file, bad options). For `reason check`,
0 means the file proves what it says: every certificate re-checks and every recorded status
(a refuted verdict too) is the one its certificate establishes; unknown or invalid verdicts and
bundles without a proved answer prove nothing, so they give 1.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

import typer
import typer.rich_utils
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from proofs.check import check_certificate, check_verdict, states_a_verdict
from proofs.verdict import Status
from reasoning.answers._equivalence import EquivalenceResult, equivalent
from reasoning.api import lost_verdict
from reasoning.api import verify as verify_one
from reasoning.cli._time_limit import TimeLimit, abandon, within
from reasoning.engine._bundle import check_bundle, is_bundle, time_limit_message
from reasoning.engine._ray_pool import RayExecutorError, get_pool
from reasoning.service._limits import LIMITS

#: Help width when stdout is not a terminal (a pipe, a file, a test runner): wide enough that
#: help lines are not cut at 80 columns. A terminal gets its own width; TERMINAL_WIDTH wins.
HELP_WIDTH = 120
if not os.environ.get("TERMINAL_WIDTH") and not sys.stdout.isatty():
    typer.rich_utils.MAX_WIDTH = int(os.environ.get("COLUMNS") or 0) or HELP_WIDTH

app = typer.Typer(
    help="A verified reasoning engine: every claim is checked by exact arithmetic, Z3 or SymPy, "
    "and comes back proved, refuted (with a counterexample), unknown or invalid, with a "
    "certificate anyone can re-check.",
    no_args_is_help=True,
    add_completion=False,
)
# emoji=False: user text such as `:x:` is printed as written, never as an emoji.
out = Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, emoji=False)


def package_version() -> str:
    """The installed `reasoning` version ("0+unknown" when running from a source tree)."""
    try:
        return metadata.version("reasoning")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _show_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"reason {package_version()}\n")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """A verified reasoning engine: every claim is checked by exact arithmetic, Z3 or SymPy, and
    comes back proved, refuted (with a counterexample), unknown or invalid, with a certificate
    anyone can re-check."""
    _printable_streams()


def _printable_streams() -> None:
    """Text that is not Unicode (a lone surrogate from a file's `"\\ud800"`, or bytes that were
    not UTF-8) is printed as a backslash escape: written as is, it ended the command with a
    UnicodeEncodeError traceback after the checks had run."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if callable(reconfigure):
            with contextlib.suppress(ValueError, OSError):  # a closed or detached stream stays
                reconfigure(errors="backslashreplace")


def summary_line(statuses: Counter, elapsed_s: float, noun: str) -> str:
    """`500 claims in 12.3 s: 480 proved, 10 refuted, 5 unknown, 5 invalid` (zero counts left out)."""
    total = sum(statuses.values())
    order = ["proved", "equivalent", "not equivalent", "refuted", "unknown", "invalid"]
    keys = [k for k in order if statuses.get(k)] + sorted(k for k in statuses if k not in order)
    counts = ", ".join(f"{statuses[k]} {k}" for k in keys)
    return f"{total} {noun}{'' if total == 1 else 's'} in {elapsed_s:.1f} s: {counts or 'none'}"


#: A lone UTF-16 surrogate: JSON's `"\\ud800"` escape decodes to one.
_SURROGATE = re.compile("[\ud800-\udfff]")

_STYLE = {"proved": "green", "refuted": "red", "unknown": "yellow", "invalid": "magenta"}
_MARK = {"proved": "✔", "refuted": "✘", "unknown": "?", "invalid": "!"}


def _read_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, text) for each claim line: blank and comment-only lines are skipped."""
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        err.print(f"[red]error:[/] cannot read {escape(str(path))}: {escape(exc.strerror or str(exc))}")
        raise typer.Exit(2) from exc
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.split("#", 1)[0].strip():
            lines.append((number, line))
    return lines


def _print_json(obj: dict[str, Any]) -> None:
    text = json.dumps(obj, ensure_ascii=False)
    if _SURROGATE.search(text):  # not Unicode (a file's `"\\ud800"`): UTF-8 cannot write it
        text = json.dumps(obj)  # escaped as \\ud800, still the same JSON
    sys.stdout.write(text + "\n")


def _show_verdict(verdict: dict[str, Any], label: str) -> None:
    status = verdict["status"]
    style = _STYLE.get(status, "white")
    out.print(
        f"[{style}]{_MARK.get(status, ' ')} {status:<8}[/] {escape(label)}  "
        f"[dim]({verdict['backend']}, {verdict['elapsed_ms']:.1f} ms)[/]"
    )
    counterexample = verdict.get("counterexample") or {}
    if status == "refuted" and counterexample.get("assignment"):
        pairs = ", ".join(f"{k} = {v}" for k, v in counterexample["assignment"].items())
        out.print(f"    counterexample: {escape(pairs)}")
    if status == "refuted" and counterexample.get("values"):
        for step in counterexample["values"][:6]:
            out.print(f"    {escape(step['expr'])} evaluates to {escape(step['value'])}")
    if verdict.get("message") and status != "proved":
        for line in verdict["message"].splitlines():
            out.print(f"    [dim]{escape(line)}[/]")


def _progress(total: int, enabled: bool):
    return Progress(console=err, transient=True, disable=not enabled or total < 20)


EXECUTOR_HELP = (
    "Where the work runs: 'local' (this process) or 'ray' (warm actors on the Ray cluster at "
    "RAY_ADDRESS, else on a local Ray runtime; needs the `ray` extra)."
)


def _check_executor(executor: str) -> str:
    executor = executor.lower()
    if executor not in ("local", "ray"):
        err.print(f"[red]error:[/] --executor must be local or ray, got {escape(executor)!r}")
        raise typer.Exit(2)
    return executor


def _on_ray(fn, payloads: list, budget: float, fallback) -> Iterator[Any]:
    """`fn` over `payloads` on the shared Ray pool, in input order (streamed: a large file is
    never all in flight); Ray missing or no actor is a usage error (exit 2)."""
    try:
        pool = get_pool()
    except RayExecutorError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    return pool.imap(fn, payloads, budget_s=budget, fallback=fallback)


def _equiv_pair(pair: tuple[str, str], *, budget_s: float):
    """One JSONL pair judged (what a Ray actor runs for `reason equiv --executor ray`)."""
    return equivalent(pair[0], pair[1], budget_s=budget_s)


def _lost_pair(pair: tuple[str, str], why: str):
    """A pair whose Ray worker timed out or died: unknown, never a guess."""
    shown = [t if len(t) <= 200 else t[:200] + "..." for t in pair]
    return EquivalenceResult(
        gold=shown[0], prediction=shown[1], status=Status.UNKNOWN, equivalent=None, backend="ray", message=why
    )


@app.command()
def verify(
    claims: list[str] = typer.Argument(None, help="Claims in the claim language, e.g. '2^10 = 1024'."),
    file: Path = typer.Option(
        None, "--file", "-f", help="Read claims from a file, one per line ('-' for stdin)."
    ),
    budget: float = typer.Option(
        LIMITS.default_budget_s,
        "--budget",
        "-b",
        help="Seconds allowed per claim.",
        min=0.001,
        max=LIMITS.budget_ceiling_s,
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per claim, in input order."),
    executor: str = typer.Option("local", "--executor", help=EXECUTOR_HELP),
) -> None:
    """Verify claims: proved, refuted (with a counterexample), unknown or invalid.

    With --file a summary line ends the output (counts per status and the time; on stderr with
    --json, so stdout stays JSON lines)."""
    executor = _check_executor(executor)
    items: list[tuple[int | None, str]] = [(None, c) for c in claims or []]
    if file is not None:
        items += _read_lines(file)
    if not items:
        err.print("[red]error:[/] give claims as arguments or with --file")
        raise typer.Exit(2)
    texts = [text for _, text in items]
    if executor == "ray":
        verdicts = _on_ray(partial(verify_one, budget_s=budget), texts, budget, lost_verdict)
    else:
        verdicts = (verify_one(text, budget_s=budget) for text in texts)
    all_proved = True
    statuses: Counter = Counter()
    started = time.perf_counter()
    with _progress(len(items), not as_json) as progress:
        task = progress.add_task("verifying", total=len(items))
        for (line_number, text), result in zip(items, verdicts, strict=True):
            verdict = result.to_json()
            if line_number is not None:
                verdict["line"] = line_number
            all_proved &= verdict["status"] == "proved"
            statuses[verdict["status"]] += 1
            progress.advance(task)
            if as_json:
                _print_json(verdict)
            else:
                _show_verdict(
                    verdict, text.strip() if line_number is None else f"{line_number}: {text.strip()}"
                )
    if file is not None:
        (err if as_json else out).print(
            escape(summary_line(statuses, time.perf_counter() - started, "claim"))
        )
    raise typer.Exit(0 if all_proved else 1)


def _equiv_pairs(file: Path) -> list[tuple[int, str, str] | tuple[int, str]]:
    pairs: list = []
    for number, line in _read_lines(file):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            pairs.append((number, f"line {number}: not JSON ({exc.msg} at column {exc.colno})"))
            continue
        except RecursionError:
            pairs.append((number, f"line {number}: not JSON (nested too deeply to read)"))
            continue
        if (
            not isinstance(obj, dict)
            or not isinstance(obj.get("gold"), str)
            or not isinstance(obj.get("prediction"), str)
        ):
            pairs.append(
                (number, f"line {number}: expected an object with string fields 'gold' and 'prediction'")
            )
            continue
        pairs.append((number, obj["gold"], obj["prediction"]))
    return pairs


@app.command()
def equiv(
    gold: str = typer.Argument(None, help="The reference answer (LaTeX or plain), e.g. '\\frac{1}{2}'."),
    prediction: str = typer.Argument(None, help="The answer to judge, e.g. '0.5'."),
    file: Path = typer.Option(None, "--file", "-f", help='JSONL file of {"gold": ..., "prediction": ...}.'),
    budget: float = typer.Option(
        LIMITS.default_budget_s,
        "--budget",
        "-b",
        help="Seconds allowed per pair.",
        min=0.001,
        max=LIMITS.budget_ceiling_s,
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per pair, in input order."),
    executor: str = typer.Option("local", "--executor", help=EXECUTOR_HELP),
) -> None:
    """Judge whether a predicted answer is mathematically equivalent to the gold answer.

    With --file a summary line ends the output (counts per outcome and the time; on stderr with
    --json)."""
    executor = _check_executor(executor)
    pairs: list = []
    if gold is not None or prediction is not None:
        if gold is None or prediction is None:
            err.print("[red]error:[/] give both GOLD and PREDICTION")
            raise typer.Exit(2)
        pairs.append((None, gold, prediction))
    if file is not None:
        pairs += _equiv_pairs(file)
    if not pairs:
        err.print("[red]error:[/] give GOLD and PREDICTION, or --file pairs.jsonl")
        raise typer.Exit(2)
    well_formed = [(item[1], item[2]) for item in pairs if len(item) == 3]
    if executor == "ray":
        results = _on_ray(partial(_equiv_pair, budget_s=budget), well_formed, budget, _lost_pair)
    else:
        results = (_equiv_pair(pair, budget_s=budget) for pair in well_formed)
    all_equivalent = True
    outcomes: Counter = Counter()
    started = time.perf_counter()
    with _progress(len(pairs), not as_json) as progress:
        task = progress.add_task("comparing", total=len(pairs))
        for item in pairs:
            progress.advance(task)
            if len(item) == 2:  # a malformed JSONL line
                all_equivalent = False
                record = {
                    "gold": None,
                    "prediction": None,
                    "status": "invalid",
                    "equivalent": None,
                    "backend": "input",
                    "elapsed_ms": 0.0,
                    "certificate": None,
                    "counterexample": None,
                    "message": item[1],
                    "line": item[0],
                }
            else:
                record = next(results).to_json()
                if item[0] is not None:
                    record["line"] = item[0]
                all_equivalent &= record["equivalent"] is True
            outcomes[
                {True: "equivalent", False: "not equivalent", None: record["status"]}[record["equivalent"]]
            ] += 1
            if as_json:
                _print_json(record)
            else:
                label = f"{record['gold']}  vs  {record['prediction']}" if record["gold"] is not None else ""
                verdict_word = {True: "equivalent", False: "not equivalent", None: record["status"]}[
                    record["equivalent"]
                ]
                style = {True: "green", False: "red", None: "yellow"}[record["equivalent"]]
                out.print(
                    f"[{style}]{verdict_word}[/] {escape(label)} [dim]({record['backend']}, {record['elapsed_ms']:.1f} ms)[/]"
                )
                if record.get("message") and record["equivalent"] is not True:
                    out.print(f"    [dim]{escape(record['message'])}[/]")
    if file is not None:
        (err if as_json else out).print(escape(summary_line(outcomes, time.perf_counter() - started, "pair")))
    raise typer.Exit(0 if all_equivalent else 1)


def _is_verdict(item: dict[str, Any]) -> bool:
    """A verdict (`verify --json`) or an equivalence result (`equiv --json`), not a certificate:
    anything that records a status is held to it (`proofs.check.states_a_verdict`)."""
    return states_a_verdict(item)


def _items_in(data: Any) -> list[dict[str, Any]]:
    """What a file holds to re-check: bare certificates (with a `kind`), verdicts and equivalence
    results (with a `status`), from one object, a list or JSON lines."""
    if isinstance(data, list):
        return [item for entry in data for item in _items_in(entry)]
    if isinstance(data, dict) and ("kind" in data or _is_verdict(data)):
        return [data]
    if isinstance(data, dict) and isinstance(data.get("certificate"), dict):
        return [data["certificate"]]
    return []


def _first_unread(data: Any) -> int | None:
    """The 1-based index of the first entry of a list (or JSON lines) that holds nothing to
    re-check, or None."""
    if isinstance(data, list):
        for index, entry in enumerate(data, start=1):
            if not _items_in(entry) or (isinstance(entry, list) and _first_unread(entry) is not None):
                return index
    return None


@app.command()
def check(
    path: Path = typer.Argument(
        ...,
        help="A certificate JSON file, a verdict from --json, JSON lines of verdicts, or a run's "
        "proof bundle (bundle.json).",
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON report per certificate or verdict."),
    cvc5: bool = typer.Option(
        True, "--cvc5/--no-cvc5", help="Also re-solve SMT certificates with cvc5 if installed."
    ),
    timeout: float = typer.Option(
        60.0,
        "--timeout",
        min=0.001,
        max=86_400,
        help="Seconds for the whole check (at most a day); past them it stops and exits 1.",
    ),
) -> None:
    """Re-check certificates, verdicts (or a whole proof bundle) from their JSON alone, in fresh
    solvers, and re-derive every status they record. A check not finished within --timeout
    seconds (default 60) stops: "not re-checked within N s", exit 1.

    Exit 0 only when the file proves what it says: every certificate re-checks and every
    recorded status (proved, refuted, equivalent) is the one its certificate establishes. Exit 1
    when an item fails (it is named) or proves nothing (an unknown or invalid verdict, a bundle
    without a proved answer); 2 for unusable input.
    """
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except OSError as exc:
        err.print(f"[red]error:[/] cannot read {escape(str(path))}: {escape(exc.strerror or str(exc))}")
        raise typer.Exit(2) from exc
    except UnicodeDecodeError as exc:
        err.print(f"[red]error:[/] {escape(str(path))} is not UTF-8 text: {escape(str(exc))}")
        raise typer.Exit(2) from exc
    try:
        data: Any = json.loads(text)
    except (json.JSONDecodeError, RecursionError):  # nesting too deep for the decoder is unusable too
        try:
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
        except (json.JSONDecodeError, RecursionError) as exc:
            err.print(
                f"[red]error:[/] {escape(str(path))} is neither JSON nor JSON lines: {escape(str(exc))}"
            )
            raise typer.Exit(2) from exc
    if is_bundle(data):
        _check_bundle(data, path, as_json, cvc5, timeout)
    items = _items_in(data)
    if not items:
        err.print(f"[red]error:[/] no certificate or verdict found in {escape(str(path))}")
        raise typer.Exit(2)
    if (unread := _first_unread(data)) is not None:
        # skipped, an entry that is no certificate or verdict (`{"results": [forged]}`) let a
        # file with one good line beside it exit 0: the file says more than was re-checked
        err.print(
            f"[red]error:[/] entry {unread} of {escape(str(path))} is neither a certificate nor a "
            "verdict: nothing in it would be re-checked"
        )
        raise typer.Exit(2)

    def recheck_all() -> list:
        return [
            (check_verdict if _is_verdict(item) else check_certificate)(item, use_cvc5=cvc5) for item in items
        ]

    reports = _within_timeout(timeout, recheck_all, as_json)
    all_ok = True
    for index, (item, report) in enumerate(zip(items, reports), start=1):
        is_verdict = _is_verdict(item)
        all_ok &= report.ok
        cert = item.get("certificate") if is_verdict else item
        kind = cert.get("kind") if isinstance(cert, dict) else None
        if as_json:
            _print_json(
                {
                    "index": index,
                    "kind": kind,
                    "claim": item.get("claim"),
                    "status": item.get("status") if is_verdict else None,
                    **report.to_json(),
                }
            )
        else:
            if report.ok:
                style, word = "green", "ok"
            elif report.checks.get("status") == "no proof":
                style, word = "yellow", "NO PROOF"
            else:
                style, word = "red", "FAILED"
            what = item.get("claim") or f"{item.get('gold')} vs {item.get('prediction')}"
            label = f"{item.get('status')} ({kind})" if is_verdict else str(kind)
            checks = ", ".join(f"{k}: {v}" for k, v in report.checks.items())
            out.print(f"[{style}]{word}[/] #{index} {escape(label)}  {escape(str(what))}")
            out.print(f"    [dim]{escape(report.message)}{' (' + escape(checks) + ')' if checks else ''}[/]")
    raise typer.Exit(0 if all_ok else 1)


def _within_timeout(timeout: float, work, as_json: bool):
    """`work()` within `timeout` seconds, else say so and end the process with 1 (never 0)."""
    try:
        return within(timeout, work)
    except TimeLimit:
        if as_json:
            _print_json({"ok": False, "message": time_limit_message(timeout)})
        err.print(f"[red]check FAILED:[/] {escape(time_limit_message(timeout))}")
        abandon(1)


def _check_bundle(data: Any, path: Path, as_json: bool, cvc5: bool, timeout: float) -> None:
    """Re-check a proof bundle item by item; exits with 0 (all ok) or 1 (naming the failure)."""
    with err.status(f"re-checking the proof bundle {escape(str(path))}..."):
        report = _within_timeout(
            timeout, lambda: check_bundle(data, use_cvc5=cvc5, budget_s=timeout), as_json
        )
    if as_json:
        _print_json({"bundle": str(path), **report.to_json()})
    else:
        for item in report.items:
            style, word = ("green", "ok") if item.ok else ("red", "FAILED")
            out.print(f"[{style}]{word}[/] {escape(item.name)}  [dim]{escape(item.message)}[/]")
        failure = report.first_failure
        if failure is None:
            out.print(f"[green]bundle ok:[/] all {len(report.items)} items re-check")
        else:
            out.print(f"[red]bundle FAILED at {escape(failure.name)}:[/] {escape(failure.message)}")
    raise typer.Exit(0 if report.ok else 1)


from reasoning.cli._run import run as _run_command  # noqa: E402 - registered after the app exists

app.command("run")(_run_command)

from reasoning.cli._solve import domains as _domains_command  # noqa: E402
from reasoning.cli._solve import eval_app as _eval_app  # noqa: E402
from reasoning.cli._solve import solve as _solve_command  # noqa: E402

# No automatic --help: `reason solve DOMAIN --help` shows that domain's fields (reasoning.cli._solve.solve).
app.command(
    "solve",
    add_help_option=False,
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)(_solve_command)
app.command("domains")(_domains_command)
app.add_typer(_eval_app, name="eval")

from reasoning.cli._mcp import mcp as _mcp_command  # noqa: E402

app.command("mcp")(_mcp_command)

from reasoning.cli._serve import serve as _serve_command  # noqa: E402

app.command("serve")(_serve_command)

from reasoning.cli._serve_model import serve_model as _serve_model_command  # noqa: E402

app.command("serve-model")(_serve_model_command)


def main() -> None:  # pragma: no cover - entry point
    app()


if __name__ == "__main__":  # pragma: no cover - `python -m reasoning.cli`
    main()
