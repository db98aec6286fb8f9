"""`reason solve`, `reason domains` and `reason eval reasoning-gym`: the main job from the shell.

Registered on the `reason` app by `reasoning.cli._main`. `reason solve DOMAIN --field value ...` reads
the domain's fields as flags (`--numbers 25 50 75 100 3 6 --target 952`); `reason solve --task
task.json` reads a task dict. `reason eval reasoning-gym TASK` generates items with reasoning-gym,
solves each with the engine and scores our answers with reasoning-gym's own `score_answer`.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.text import Text

from reasoning.cli._deprecated import capacity as worker_capacity
from reasoning.cli._deprecated import deprecated
from reasoning.cli._solve_math import MATH_HELP, solve_math
from reasoning.domains import for_reasoning_gym, get, names
from reasoning.engine._ray_pool import RayExecutorError, get_pool
from reasoning.engine._solve import solve as run_solve
from reasoning.errors import InvalidArgument

out = Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, emoji=False)

_BOOL_WORDS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def fields_from_args(domain, args: list[str]) -> dict[str, Any]:
    """The task dict of `domain` from CLI words like `--numbers 1 2 3 --target 6 --no-integer-only`.

    Each flag is a field name (`-` or `_`); its values run to the next flag (a word starting with
    `--`; negative numbers are values). Raises InvalidArgument naming the bad flag or value.
    """
    specs = domain.fields
    task: dict[str, Any] = {"domain": domain.name}
    i = 0
    while i < len(args):
        word = args[i]
        if not word.startswith("--") or len(word) == 2:
            raise InvalidArgument(f"unexpected argument {word!r}; fields are given as --name value")
        name = word[2:].replace("-", "_")
        negated = name.startswith("no_") and name[3:] in specs and specs[name[3:]].kind == "bool"
        if negated:
            name = name[3:]
        if name not in specs:
            raise InvalidArgument(
                f"{domain.name} has no field --{name.replace('_', '-')}; fields: "
                + ", ".join(f"--{n.replace('_', '-')}" for n in specs)
            )
        j = i + 1
        while j < len(args) and not args[j].startswith("--"):
            j += 1
        values, i = args[i + 1 : j], j
        task[name] = _convert(name, specs[name].kind, values, negated)
    return task


def _convert(name: str, kind: str, values: list[str], negated: bool) -> Any:
    flag = f"--{name.replace('_', '-')}"
    if kind == "bool":
        if not values:
            return not negated
        if len(values) == 1 and values[0].lower() in _BOOL_WORDS and not negated:
            return _BOOL_WORDS[values[0].lower()]
        raise InvalidArgument(f"{flag} takes no value (or true/false), got {' '.join(values)!r}")
    if kind in ("ints", "strs"):
        if not values:
            raise InvalidArgument(f"{flag} needs at least one value")
        return [_scalar(flag, kind[:-1], v) for v in values]
    if len(values) != 1:
        raise InvalidArgument(f"{flag} takes one value, got {len(values)}")
    return _scalar(flag, kind, values[0])


def _scalar(flag: str, kind: str, value: str) -> Any:
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
    except ValueError as exc:
        what = "an integer" if kind == "int" else "a number"
        raise InvalidArgument(f"{flag}: {value!r} is not {what}") from exc
    return value


_VALUES = {"int": "INT", "ints": "INT ...", "str": "TEXT", "strs": "TEXT ...", "bool": "", "float": "NUMBER"}


def domain_help(domain) -> str:
    """The help of `reason solve DOMAIN`: what the domain solves and its fields as flags."""
    lines = [
        f"Usage: reason solve {domain.name} [FIELDS] [OPTIONS]",
        "",
        f"{domain.name}: {domain.summary}",
        "",
    ]
    lines.append("Fields:")
    for name, spec in domain.fields.items():
        flag = f"--{name.replace('_', '-')}"
        if spec.kind == "bool":
            flag += f" / --no-{name.replace('_', '-')}"
        flag = f"{flag} {_VALUES.get(spec.kind, '')}".rstrip()
        note = "required" if spec.required else f"default: {json.dumps(spec.default)}"
        lines.append(f"  {flag:<34} {spec.help} [{note}]")
    lines += ["", "Options (--workers, --model, --budget, --json, ...): reason solve --help"]
    return "\n".join(lines)


def _read_task_file(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InvalidArgument(f"cannot read the task file {path}: {exc}") from exc


def solve(
    ctx: typer.Context,
    domain: str | None = typer.Argument(None, help="The domain (see `reason domains`)."),
    task_file: Path | None = typer.Option(None, "--task", help="A task JSON file naming its domain."),
    workers: str = typer.Option(
        "mixed",
        "--workers",
        help="Worker kind: llm, symbolic or mixed (the symbolic worker and, when the router says so, "
        "the model race on each fork; the first verified result is joined, the other run cancelled). "
        "'solver' is the old spelling of symbolic; an integer the old spelling of --capacity.",
    ),
    capacity: int | None = typer.Option(
        None, "--capacity", min=1, max=64, help="Worker capacity c: forks running at once [default: 4]."
    ),
    model: str | None = typer.Option(
        None,
        "--model",
        help="The model: 'local' (the packaged SmolLM2-135M-Instruct, the default), a local model "
        "directory or GGUF file, or openai:http://host:port/v1 (the server's only model) or .../v1/MODEL.",
    ),
    organizer: str = typer.Option("planner", "--organizer", help="Organizer: planner (the domain's) or llm."),
    max_tokens: int = typer.Option(256, "--max-tokens", min=1, max=32768, help="Tokens per model reply."),
    out_dir: Path | None = typer.Option(
        None, "--out", help="Run directory (trace, ledger, graph picture, bundle); default: a temp dir."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed for the run."),
    cache: Path | None = typer.Option(
        None, "--cache", help="Keep proved and refuted claims in this directory for later runs."
    ),
    budget: float = typer.Option(600.0, "--budget", min=0.1, max=86400, help="Seconds for the whole run."),
    worker_timeout: float | None = typer.Option(
        None,
        "--worker-timeout",
        min=0.01,
        max=86400,
        help="Seconds one worker may take on one attempt (slow model backends) [default: min(budget, 120)].",
    ),
    router_state: Path | None = typer.Option(
        None,
        "--router-state",
        help="Mixed workers: keep the router's learned yields (verified claims/s per worker kind) in "
        "this JSON file between runs.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object at the end."),
) -> None:
    """Solve a task and print its verified answers, how each was verified and the proof bundle.

    The domain's fields are flags after the domain name, e.g.

      reason solve countdown --numbers 25 50 75 100 3 6 --target 952 --solutions 4

      reason solve sudoku --grid '..3.2....'

      reason solve --task task.json

      reason solve math --problem 'Ann has 3 apples and buys 5 more. How many now?' --samples 3

      reason solve arithmetic --expression '3*8 + 2' --workers llm --model openai:http://127.0.0.1:8000/v1/smollm2

    Workers are mixed by default: each fork goes to the symbolic worker and, while the router finds the
    model worth it (verified claims per second, within its share of the capacity), to the model
    too; the first verified result is joined and the other run cancelled. `--workers symbolic`
    never loads a model. The answer says which worker produced each verified claim, and a
    summary per worker how many claims each had verified, rejected or cancelled. `reason domains` lists the domains and their
    fields. Exit 0 when the answer is proved, 1 when it is not (including "no solution" without
    a proof), 2 for a malformed task or a model that cannot be loaded with `--workers llm`.
    `reason solve math` (a word problem, formalized by the model) exits 3 when its answer is
    verified against the model's formalization, never 0.
    """
    if domain == "math":  # a word problem: reasoning.cli._solve_math
        if "--help" in ctx.args:
            typer.echo(MATH_HELP)
            raise typer.Exit(0)
        solve_math(
            list(ctx.args),
            model=model,
            seed=seed,
            out_dir=out_dir,
            budget=budget,
            max_tokens=max_tokens,
            worker_timeout=worker_timeout,
            as_json=as_json,
        )
    if "--help" in ctx.args or domain == "--help":  # the command has no automatic --help
        if domain is None or domain == "--help":
            typer.echo(ctx.get_help())
            raise typer.Exit(0)
        try:
            typer.echo(domain_help(get(domain)))
        except InvalidArgument as exc:
            err.print(f"[red]error:[/] {escape(str(exc))}")
            raise typer.Exit(2) from exc
        raise typer.Exit(0)
    try:
        kind, capacity = _worker_options(workers, capacity)
        if task_file is not None:
            if domain is not None or ctx.args:
                raise InvalidArgument("give either --task FILE or a domain with its fields, not both")
            task = _read_task_file(task_file)
        elif domain is None:
            raise InvalidArgument("name a domain (see `reason domains`) or give --task FILE")
        else:
            task = fields_from_args(get(domain), list(ctx.args))
        directory = out_dir or Path(tempfile.mkdtemp(prefix="reason-solve-"))
        directory.mkdir(parents=True, exist_ok=True)
        show = not as_json and err.is_terminal
        with Live(console=err, transient=False, auto_refresh=False) if show else _NoLive() as live:

            def progress(ledger: str) -> None:
                live.update(Text(ledger), refresh=True)

            def notify(message: str) -> None:
                err.print(f"[dim]{escape(message)}[/]")

            result = run_solve(
                task,
                capacity=capacity,
                seed=seed,
                out=directory,
                budget_s=budget,
                progress=progress if show else None,
                worker_kind=kind,
                model=model,
                organizer=organizer,
                max_tokens=max_tokens,
                notify=notify,
                claim_cache_dir=cache,
                worker_timeout_s=worker_timeout,
                router_state=router_state,
            )
    except InvalidArgument as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
    else:
        if not show:
            err.print(Text(result.run.ledger))
        _print_result(result)
    raise typer.Exit(0 if result.verified else 1)


#: `--workers` kinds as the command line spells them -> the engine's `worker_kind`.
CLI_WORKER_KINDS = {"symbolic": "symbolic", "llm": "llm", "mixed": "mixed"}


def _worker_options(workers: str, capacity: int | None) -> tuple[str, int]:
    """(engine worker kind, capacity) from `--workers` and `--capacity`. `--workers N` is the old
    spelling of `--capacity N`, `--workers solver` the old spelling of `--workers symbolic` (one
    meaning per word: "solver" is a decision procedure of `solvers/`); the latter prints a notice."""
    word = workers.strip().lower()
    if word == "solver":
        deprecated("--workers solver", "--workers symbolic")
        word = "symbolic"
    if word.isdigit():
        number = int(word)
        if not 1 <= number <= 64:
            raise InvalidArgument(f"--workers {workers}: a capacity is in [1, 64]")
        if capacity is not None and capacity != number:
            raise InvalidArgument(
                f"--workers {workers} (the old --capacity) and --capacity {capacity} disagree"
            )
        return "mixed", number
    if word not in CLI_WORKER_KINDS:
        raise InvalidArgument(
            f"--workers {workers!r}: give {', '.join(CLI_WORKER_KINDS)} (or a capacity, as before)"
        )
    return CLI_WORKER_KINDS[word], 4 if capacity is None else capacity


class _NoLive:
    def __enter__(self) -> _NoLive:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, *args: Any, **kwargs: Any) -> None:
        return None


def _print_result(result) -> None:
    style = "green" if result.verified else "red"
    label = "answer" if len(result.answers) == 1 else f"{len(result.answers)} answers"
    out.print(f"[bold]{label}[/] [{style}]({result.status})[/]:")
    for answer in result.answers or ["(none)"]:
        for line in answer.splitlines():
            out.print(f"  {escape(line)}")
    out.print(f"[dim]{escape(result.message)}[/]")
    for item in result.certificates:
        cert = item["certificate"] or {}
        evidence = ", ".join(sorted((cert.get("evidence") or {}).keys()))
        out.print(
            f"  [dim]verified by {item['backend']} ({cert.get('kind', '-')} certificate"
            + (f"; evidence: {escape(evidence)}" if evidence else "")
            + ")[/]"
        )
    if result.producers:
        out.print(
            f"[bold]verified claims[/] [dim](workers: {result.worker_kind}, organizer: {result.organizer}"
            + (f", model: {escape(result.model)}" if result.model else "")
            + ")[/]:"
        )
        for item in result.producers:
            out.print(
                f"  fork {item['fork']}, attempt {item['attempt']} by [bold]{escape(item['worker'])}[/]: "
                f"{escape(item['claim'])}"
            )
    if result.by_worker:
        out.print("[bold]by worker:[/] " + escape(worker_line(result.by_worker)))
    for key, kinds in result.routing.items():
        rates = ", ".join(
            f"{kind} {item['per_s']} verified/s ({item['runs']} run(s), {item['cancelled']} cancelled)"
            for kind, item in kinds.items()
        )
        out.print(f"[dim]router {escape(key)}: {escape(rates)}[/]")
    for warning in result.warnings:
        out.print(f"[yellow]warning:[/] {escape(warning)}")
    m = result.metrics
    out.print(
        f"[dim]{m['forks']} fork(s), {m['redispatches']} re-dispatch(es), {m['verified_claims']} verified "
        f"and {m['rejected_claims']} rejected claim(s), {m['total_tokens']} model token(s) and "
        f"{m['total_steps']} symbolic step(s), critical path {m['critical_path_tokens']} token(s) / "
        f"{m['critical_path_steps']} step(s), run {result.elapsed_s:.3f} s"
        + (f" (model load {result.model_load_s:.1f} s apart)" if result.model_load_s else "")
        + "[/]"
    )
    out.print(f"proof bundle: {escape(result.bundle or '-')}  (re-check: reason check BUNDLE)")


def worker_line(by_worker: dict[str, dict[str, int]]) -> str:
    """One line: per worker, claims verified / rejected and runs cancelled (solver first)."""
    order = sorted(by_worker, key=lambda label: (label != "symbolic", label))
    parts = []
    for label in order:
        item = by_worker[label]
        parts.append(
            f"{label} {item['verified']} verified, {item['rejected']} rejected, "
            f"{item['cancelled']} cancelled ({item['won']} of {item['attempts']} attempt(s) taken)"
        )
    return "; ".join(parts)


def domains(as_json: bool = typer.Option(False, "--json", help="Print one JSON object.")) -> None:
    """List the task domains, their fields and the reasoning-gym tasks each reads."""
    listing = []
    for name in names():
        domain = get(name)
        listing.append(
            {
                "domain": name,
                "summary": domain.summary,
                "reasoning_gym": list(domain.reasoning_gym),
                "fields": {
                    field: {
                        "kind": spec.kind,
                        "required": spec.required,
                        "default": spec.default,
                        "help": spec.help,
                    }
                    for field, spec in domain.fields.items()
                },
            }
        )
    if as_json:
        sys.stdout.write(json.dumps({"domains": listing}, ensure_ascii=False) + "\n")
        return
    for item in listing:
        out.print(f"[bold]{item['domain']}[/]: {escape(item['summary'])}")
        if item["reasoning_gym"]:
            out.print(f"  [dim]reasoning-gym: {', '.join(item['reasoning_gym'])}[/]")
        for field, spec in item["fields"].items():
            need = "required" if spec["required"] else f"default {json.dumps(spec['default'])}"
            out.print(f"  --{field.replace('_', '-')} ({spec['kind']}, {need}): {escape(spec['help'])}")


# ---------------------------------------------------------------- reason eval reasoning-gym

eval_app = typer.Typer(help="Evaluate the engine against an independent oracle.", no_args_is_help=True)


@eval_app.command("reasoning-gym")
def eval_reasoning_gym(
    task: str = typer.Argument(..., help="A reasoning-gym task name, e.g. countdown, sudoku, chain_sum."),
    size: int = typer.Option(50, "--size", min=1, max=100_000, help="Number of items."),
    seed: int = typer.Option(0, "--seed", help="reasoning-gym's dataset seed (also the run seed)."),
    capacity: int | None = typer.Option(
        None, "--capacity", min=1, max=64, help="Worker capacity c per item [default: 4]."
    ),
    workers: int | None = typer.Option(None, "--workers", min=1, max=64, hidden=True, help="Old --capacity."),
    out_dir: Path | None = typer.Option(None, "--out", help="Keep each item's run directory under DIR."),
    budget: float = typer.Option(120.0, "--budget", min=0.1, max=86400, help="Seconds per item."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object at the end."),
    executor: str = typer.Option(
        "local",
        "--executor",
        help="Where items are solved: 'local' (one after another here) or 'ray' (warm actors on the Ray "
        "cluster at RAY_ADDRESS, else a local Ray runtime; the `ray` extra). Scoring stays here.",
    ),
) -> None:
    """Generate items with reasoning-gym, solve each with the engine, score with reasoning-gym's
    own `score_answer` (an oracle we did not write). Needs the `eval` extra (reasoning-gym).
    With --executor ray an item whose worker hangs past --budget or dies twice scores 0.

    Prints the mean score, items scoring 1.0, median and p95 seconds per item and the failures.
    Exit 0 when every item scored 1.0, 1 otherwise, 2 for usage errors.
    """
    try:
        import reasoning_gym
    except ImportError as exc:
        err.print("[red]error:[/] reasoning-gym is not installed: pip install 'reasoning[eval]'")
        raise typer.Exit(2) from exc
    try:
        workers = worker_capacity(capacity, workers)
        domain = for_reasoning_gym(task)
        dataset = reasoning_gym.create_dataset(task, size=size, seed=seed)
    except InvalidArgument as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    except Exception as exc:  # noqa: BLE001 - reasoning-gym's own errors, shown plainly
        err.print(f"[red]error:[/] reasoning-gym cannot make {task!r}: {escape(str(exc))}")
        raise typer.Exit(2) from exc
    if executor.lower() not in ("local", "ray"):
        err.print(f"[red]error:[/] --executor must be local or ray, got {escape(executor)!r}")
        raise typer.Exit(2)
    solved = None
    if executor.lower() == "ray":
        try:
            pool = get_pool()
        except RayExecutorError as exc:
            err.print(f"[red]error:[/] {escape(str(exc))}")
            raise typer.Exit(2) from exc
        run = partial(_solve_on_worker, task=task, seed=seed, workers=workers, budget=budget, out_dir=out_dir)
        payloads = ((index, dataset[index]) for index in range(size))
        solved = pool.imap(run, payloads, budget_s=budget, fallback=_lost_item)
    items = []
    show = not as_json and err.is_terminal
    for index in range(size):
        entry = dataset[index]
        if solved is None:
            items.append(_eval_item(domain, task, dataset, entry, index, seed, workers, budget, out_dir))
        else:
            items.append(_scored(next(solved), dataset, entry))
        if show or (index + 1) % max(1, size // 10) == 0 or index + 1 == size:
            done = sum(1 for i in items if i["score"] == 1.0)
            err.print(
                f"[dim]{escape(task)}: {index + 1}/{size} items, {done} scored 1.0[/]",
                end="\r" if show else "\n",
            )
    summary = _eval_summary(task, size, seed, items)
    if as_json:
        sys.stdout.write(json.dumps(summary, ensure_ascii=False) + "\n")
    else:
        _print_eval(summary)
    raise typer.Exit(0 if summary["perfect"] == size else 1)


def _eval_item(domain, task, dataset, entry, index, seed, workers, budget, out_dir) -> dict[str, Any]:
    return _scored(_solved(domain, task, entry, index, seed, workers, budget, out_dir), dataset, entry)


def _solve_on_worker(payload: tuple[int, Any], *, task, seed, workers, budget, out_dir) -> dict[str, Any]:
    """One item solved (not scored) where it runs: what a Ray actor runs for `--executor ray`."""
    index, entry = payload
    return _solved(for_reasoning_gym(task), task, entry, index, seed, workers, budget, out_dir)


def _lost_item(payload: tuple[int, Any], why: str) -> dict[str, Any]:
    """An item whose Ray worker timed out or died: no answer, so it scores what no answer scores."""
    return {
        "index": payload[0],
        "answer": "",
        "score": 0.0,
        "verified": False,
        "status": "unknown",
        "message": why,
    }


def _solved(domain, task, entry, index, seed, workers, budget, out_dir) -> dict[str, Any]:
    started = time.perf_counter()
    item: dict[str, Any] = {"index": index, "answer": "", "score": 0.0, "verified": False, "status": "error"}
    try:
        problem = domain.from_reasoning_gym(task, entry)
        out: Path | bool = False if out_dir is None else out_dir / f"{task}-{seed}-{index}"
        result = run_solve(problem, capacity=workers, seed=seed, out=out, budget_s=budget)
        item["answer"] = domain.to_reasoning_gym(problem, result.answers)
        item["verified"], item["status"], item["message"] = result.verified, result.status, result.message
    except InvalidArgument as exc:
        item["message"] = f"cannot read the item: {exc}"
    item["elapsed_s"] = round(time.perf_counter() - started, 6)
    return item


def _scored(item: dict[str, Any], dataset, entry) -> dict[str, Any]:
    """The item scored by reasoning-gym's own oracle (always here, in the calling process)."""
    item.setdefault("elapsed_s", 0.0)
    try:
        item["score"] = float(dataset.score_answer(item["answer"], entry))
    except Exception as exc:  # noqa: BLE001 - the oracle's crash is a zero, reported
        item["score"], item["message"] = 0.0, f"score_answer raised {type(exc).__name__}: {exc}"
    return item


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))] if ordered else 0.0


def _eval_summary(task: str, size: int, seed: int, items: list[dict[str, Any]]) -> dict[str, Any]:
    times = [i["elapsed_s"] for i in items]
    perfect = sum(1 for i in items if i["score"] == 1.0)
    return {
        "task": task,
        "size": size,
        "seed": seed,
        "mean_score": round(statistics.fmean(i["score"] for i in items), 6) if items else 0.0,
        "perfect": perfect,
        "perfect_fraction": round(perfect / size, 6),
        "verified": sum(1 for i in items if i["verified"]),
        "median_s": round(statistics.median(times), 6) if times else 0.0,
        "p95_s": round(_percentile(times, 0.95), 6),
        "failures": [i for i in items if i["score"] != 1.0],
        "items": items,
    }


def _print_eval(summary: dict[str, Any]) -> None:
    s = summary
    out.print(
        f"[bold]{s['task']}[/] (seed {s['seed']}, {s['size']} items): mean score {s['mean_score']:.4f}, "
        f"{s['perfect']}/{s['size']} scored 1.0 ({100 * s['perfect_fraction']:.1f} %), "
        f"{s['verified']} verified; per item median {1000 * s['median_s']:.1f} ms, p95 {1000 * s['p95_s']:.1f} ms"
    )
    for item in s["failures"][:50]:
        out.print(
            f"  [red]item {item['index']}[/]: score {item['score']}, {item['status']}: "
            f"{escape(repr(item['answer'])[:160])}  [dim]{escape(str(item.get('message', ''))[:200])}[/]"
        )
    if len(s["failures"]) > 50:
        out.print(f"  ... and {len(s['failures']) - 50} more (see --json)")
