"""`reason run`: one fork/join run with symbolic workers, the live ledger on screen, a proof bundle.

Registered on the `reason` app by `reasoning.cli._main`. The organizer is `SymbolicPlanner`, the workers
are `SymbolicWorker`s; the task comes from `--task task.json` or from `--text`, `--unknown`,
`--constraint` and the goal options `--find x,y`, `--unique`, `--all`, `--decide CLAIM`.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.text import Text

from reasoning.cli._deprecated import capacity as worker_capacity
from reasoning.engine._engine import EngineConfig, ForkJoinEngine
from reasoning.engine._goals import Goal
from reasoning.engine._planner import SymbolicPlanner
from reasoning.engine._symbolic_worker import SymbolicWorker
from reasoning.engine._task import Task, refuse_free_unknowns
from reasoning.errors import InvalidArgument

out = Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, emoji=False)


def _goal_from_options(find: str | None, unique: bool, all_: bool, decide: str | None):
    """The goal the options ask for, or None for the task's default."""
    if sum([find is not None or unique, all_, decide is not None]) > 1:
        raise InvalidArgument("give one goal: --find (with --unique), --all or --decide")
    if all_:
        return Goal.all()
    if decide is not None:
        return Goal.decide(decide)
    if find is not None or unique:
        names = [n.strip() for n in (find or "").split(",") if n.strip()]
        return Goal.find(names, unique=unique)
    return None


def _task_from_options(
    task_file: Path | None,
    text: str | None,
    unknowns: list[str],
    constraints: list[str],
    goal=None,
):
    if task_file is not None:
        if text or unknowns or constraints or goal is not None:
            raise InvalidArgument(
                "give either --task or --text/--unknown/--constraint/goal options, not both "
                "(a task file states its goal under 'goal')"
            )
        try:
            data = json.loads(task_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise InvalidArgument(f"cannot read the task file {task_file}: {exc}") from exc
        return Task.from_json(data)
    sorts = {}
    for item in unknowns:
        name, _, sort = item.partition(":")
        sorts[name.strip()] = (sort.strip() or "Real").capitalize()
    if text is None and not constraints and goal is None:
        raise InvalidArgument("give --task FILE, or --text, --constraint and/or --decide")
    fallback = "; ".join(constraints) or (goal.claim if goal is not None and goal.claim else "")
    return Task(text or fallback, unknowns=sorts, constraints=tuple(constraints), goal=goal)


def run(
    task_file: Path | None = typer.Option(
        None, "--task", help="A task JSON file: text, unknowns, constraints."
    ),
    text: str | None = typer.Option(
        None, "--text", help="The task text; alone, it must be a claim (then the goal is to decide it)."
    ),
    unknown: list[str] = typer.Option([], "--unknown", help="An unknown as NAME:Int or NAME:Real (repeat)."),
    constraint: list[str] = typer.Option([], "--constraint", help="A constraint on the unknowns (repeat)."),
    find: str | None = typer.Option(
        None, "--find", help="Goal: values for these unknowns, e.g. x,y (default goal: every unknown)."
    ),
    unique: bool = typer.Option(False, "--unique", help="Goal: the found values are the only solution."),
    all_: bool = typer.Option(False, "--all", help="Goal: every solution, with completeness proved."),
    decide: str | None = typer.Option(None, "--decide", help="Goal: prove or refute this claim."),
    capacity: int | None = typer.Option(
        None, "--capacity", min=1, max=64, help="Worker capacity c: forks running at once [default: 4]."
    ),
    workers: int | None = typer.Option(None, "--workers", min=1, max=64, hidden=True, help="Old --capacity."),
    out_dir: Path | None = typer.Option(
        None, "--out", help="Run directory (trace, ledger, graph, bundle); default: a new temp dir."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed for the run."),
    cache: Path | None = typer.Option(
        None, "--cache", help="Keep proved and refuted claims in this directory for later runs."
    ),
    budget: float = typer.Option(2.0, "--budget", min=0.01, max=3600, help="Seconds per check."),
    worker_timeout: float = typer.Option(
        60.0, "--worker-timeout", min=0.01, max=86400, help="Seconds one worker may take on one attempt."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object at the end."),
) -> None:
    """Run a task through the fork/join engine with symbolic workers and print a verified answer.

    Example: reason run --unknown x:Int --unknown y:Int --constraint "x + y = 10" --constraint "x - y = 2"

    The goal is to find every unknown unless --find, --unique, --all or --decide says otherwise;
    a --text that is itself a claim (and nothing else) asks to decide it. A task with no formal
    content (text alone, an unknown no constraint mentions) is refused.

    Exit 0 when the answer is proved to discharge the task's goal, 1 otherwise, 2 for usage errors.
    """
    try:
        workers = worker_capacity(capacity, workers)
        goal = _goal_from_options(find, unique, all_, decide)
        task = _task_from_options(task_file, text, unknown, constraint, goal)
        config = EngineConfig(
            capacity=workers,
            seed=seed,
            verify_budget_s=budget,
            claim_cache_dir=cache,
            worker_timeout_s=worker_timeout,
        )
        refuse_free_unknowns(task, budget_s=budget)
    except InvalidArgument as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    directory = out_dir or Path(tempfile.mkdtemp(prefix="reason-run-"))
    engine = ForkJoinEngine(SymbolicPlanner(task, capacity=workers), SymbolicWorker(budget_s=budget), config)
    started = time.perf_counter()
    show = not as_json and err.is_terminal
    with Live(console=err, transient=False, auto_refresh=False) if show else _NoLive() as live:

        def progress(ledger: str) -> None:
            live.update(Text(ledger), refresh=True)

        result = engine.run_sync(task, run_dir=directory, progress=progress if show else None)
    elapsed = time.perf_counter() - started
    summary = _summary(result, elapsed)
    if as_json:
        sys.stdout.write(json.dumps(summary, ensure_ascii=False) + "\n")
    else:
        if not show:
            err.print(Text(result.ledger))
        _print_summary(result, summary)
    raise typer.Exit(0 if result.verified else 1)


class _NoLive:
    def __enter__(self) -> _NoLive:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, *args: Any, **kwargs: Any) -> None:
        return None


def _summary(result, elapsed: float) -> dict[str, Any]:
    check = result.answer_check
    return {
        "task": result.task.to_json(),
        "goal": result.task.goal.to_json(),
        "answers": [result.answer] if result.answer is not None else [],
        "notes": list(check.notes) if check else [],  # the answer's `#` lines: not verified
        "verified": result.verified,
        "status": result.status.value,
        "message": result.message,
        "certificates": [
            {"role": role, "claim": v.claim, "backend": v.backend, "certificate": v.certificate}
            for role, v in (check.obligations if check else ())
        ],
        "metrics": result.metrics.to_json(),
        "bundle": str(result.bundle_path) if result.bundle_path else None,
        "run_dir": str(result.run_dir) if result.run_dir else None,
        "elapsed_s": round(elapsed, 3),
    }


def _print_summary(result, summary: dict[str, Any]) -> None:
    style = "green" if result.verified else "red"
    out.print(f"[bold]goal[/]: {escape(result.task.goal.describe())}")
    out.print(f"[bold]answer[/] [{style}]({result.status.value})[/]:")
    for line in (result.answer or "(none)").splitlines():
        out.print(f"  {escape(line)}")
    for note in summary["notes"]:
        out.print(f"  [dim](note, not verified) {escape(note)}[/]")
    out.print(f"[dim]{escape(result.message)}[/]")
    for item in summary["certificates"]:
        kind = (item["certificate"] or {}).get("kind", "-")
        out.print(
            f"  [dim]{item['role']}: {escape(item['claim'])}  ({item['backend']}, {kind} certificate)[/]"
        )
    m = result.metrics
    out.print(
        f"[dim]{m.forks} fork(s), {m.redispatches} re-dispatch(es), {m.verified_claims} verified and "
        f"{m.rejected_claims} rejected claim(s), critical path {m.critical_path_tokens} model tokens / "
        f"{m.critical_path_steps} symbolic steps / {m.critical_path_s:.3f} s, concurrency "
        f"{m.concurrency:.2f}, wall {m.wall_time_s:.3f} s[/]"
    )
    out.print(f"proof bundle: {escape(summary['bundle'] or '-')}  (re-check: reason check BUNDLE)")
