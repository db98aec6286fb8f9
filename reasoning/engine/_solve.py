"""`solve(task)`: the main job. A task dict in, verified answers with certificates out.

A task dict names its `domain` (`reasoning.domains`: countdown, sudoku, futoshiki, arithmetic,
equations, logic, knights_knaves) and that domain's fields; a dict without `domain` is a plain engine task
(`text`, `unknowns`, `constraints` and an optional `goal`: `reasoning.engine._goals`, as for `reason run`);
a plain task with no formal content (text alone, an unknown no constraint mentions) is refused
with InvalidArgument before anything runs, never answered. The domain's planner organizes, its
symbolic workers answer the forks, the engine checks every claim by the domain's rules before
joining it and checks the final answer the same way, and the run's proof bundle is written.

Workers (`worker_kind`): "symbolic" (the domain's complete symbolic worker; the default of the
Python API, so library users and services never load a model unasked), "llm" (a model answers
every fork: `reasoning.llm._workers.LLMWorker`) or "mixed" (the symbolic worker and, when the router
says so, the model race on each attempt; the first verified result is joined and the other run
cancelled: `reasoning.engine._mixed_worker.MixedWorker`, `reasoning.engine._racing`). The organizer is the domain's
planner (`SymbolicPlanner` for a plain task) or, with `organizer="llm"`, the model
(`reasoning.llm._workers.LLMOrganizer`). Whatever proposes, the verifier disposes: the answer
records which worker produced each verified claim (`SolveResult.producers`).
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
import warnings as _warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reasoning.domains import Problem, TaskError, get, load
from reasoning.engine._engine import EngineConfig, ForkJoinEngine
from reasoning.engine._mixed_worker import LabelledWorker, MixedWorker
from reasoning.engine._planner import SymbolicPlanner
from reasoning.engine._racing import worker_summary
from reasoning.engine._run_trace import RejectionEvent
from reasoning.engine._symbolic_worker import SymbolicWorker
from reasoning.engine._task import Task, refuse_free_unknowns
from reasoning.errors import InvalidArgument
from reasoning.llm import _spec as llm_spec
from reasoning.llm._base import BackendError
from reasoning.llm._router import YieldRouter
from reasoning.llm._workers import LLMOrganizer, LLMWorker

#: Default seconds for one check of a claim or an answer in a solve run.
VERIFY_BUDGET_S = 10.0
WORKER_KINDS = ("symbolic", "llm", "mixed")
ORGANIZERS = ("planner", "llm")
SYMBOLIC_LABEL = "symbolic"


class ModelUnavailable(InvalidArgument):
    """The model a run needs cannot be loaded (the `llm` extra is missing, no weights, a bad file)."""


@dataclass
class SolveResult:
    """What `solve` returns.

    `answers`: the answers in the domain's answer format (strings); `verified`: the final answer
    was proved against the task's rules; `status`: proved / refuted / unknown / invalid;
    `certificates`: the answer's certificates (JSON, re-checkable with `reasoning.check_certificate`);
    `metrics`: the run's metrics (JSON); `bundle`: the proof bundle's path (None with `out=False`).
    `run` is the engine's full `RunResult`; `problem` the parsed task (None for a plain task).
    `producers`: one dict per verified claim the answer may rest on, `{"fork", "attempt", "claim",
    "worker"}` with worker "symbolic" or "llm:<backend name>". `worker_kind`, `organizer` and `model`
    (the backend's name, None without one) say what ran; `warnings` what was changed on the way
    (e.g. mixed workers fell back to symbolic workers because the model could not be loaded).
    `by_worker`: per worker label, attempts run and won, verified and rejected claims, runs
    cancelled or beaten in races (`reasoning.engine._racing.worker_summary`); `routing`: the mixed
    router's learned yields per domain/query kind (empty without a race); `model_load_s`: the
    seconds spent loading the model before the run (not in `elapsed_s`, the run's own time).
    """

    answers: list[str]
    verified: bool
    status: str
    message: str
    certificates: list[dict[str, Any]]
    metrics: dict[str, Any]
    bundle: str | None
    elapsed_s: float
    problem: Problem | None = None
    run: Any = field(default=None, repr=False)
    producers: list[dict[str, Any]] = field(default_factory=list)
    worker_kind: str = "symbolic"
    organizer: str = "planner"
    model: str | None = None
    warnings: list[str] = field(default_factory=list)
    by_worker: dict[str, dict[str, int]] = field(default_factory=dict)
    routing: dict[str, Any] = field(default_factory=dict)
    model_load_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "task": self.problem.to_json() if self.problem else self.run.task.to_json(),
            "answers": self.answers,
            "verified": self.verified,
            "status": self.status,
            "message": self.message,
            "certificates": self.certificates,
            "metrics": self.metrics,
            "bundle": self.bundle,
            "run_dir": str(self.run.run_dir) if self.run is not None and self.run.run_dir else None,
            "elapsed_s": round(self.elapsed_s, 6),
            "producers": self.producers,
            "worker_kind": self.worker_kind,
            "organizer": self.organizer,
            "model": self.model,
            "warnings": self.warnings,
            "by_worker": self.by_worker,
            "routing": self.routing,
            "model_load_s": round(self.model_load_s, 6),
        }


def parse_task(task: Mapping[str, Any] | Problem):
    """(engine Task, Problem or None) for a task dict; TaskError/InvalidArgument name the problem."""
    if isinstance(task, Problem):
        return Task.of_problem(task), task
    if not isinstance(task, Mapping):
        raise TaskError(f"a task is a JSON object (a dict), got {type(task).__name__}")
    if "domain" in task:
        problem = load(task)  # parsed for this run: the engine task shares it (`own`)
        return Task.of_problem(problem, own=True), problem
    if "text" in task:
        return Task.from_json(dict(task)), None
    raise TaskError("a task names its 'domain' (or is a plain engine task with 'text')")


def load_model(model: str | Any | None, *, notify: Callable[[str], None] | None = None) -> tuple[Any, bool]:
    """(backend, owned) for `model`: a `ModelBackend` is used as is (owned False); a spec string
    or None (the packaged local model) is loaded with `reasoning.llm.load_backend` (owned True).

    Raises InvalidArgument for a malformed spec and ModelUnavailable when the model cannot be
    loaded (the `llm` extra is not installed, the weights are missing or broken).
    """
    if model is not None and not isinstance(model, str):
        if not callable(getattr(model, "stream", None)):
            raise InvalidArgument("model must be a --model spec string or a ModelBackend")
        return model, False
    spec = llm_spec.parse_model_spec(model)
    if notify is not None:
        notify(f"loading model {spec} ...")
    started = time.perf_counter()
    try:
        backend = llm_spec.load_backend(spec)  # looked up on the module: tests replace it
    except ImportError as exc:
        raise ModelUnavailable(
            f"the model {spec} needs the llm extra (pip install 'reasoning[llm]'): {exc}"
        ) from exc
    except OSError as exc:
        raise ModelUnavailable(f"the model {spec} cannot be read: {exc}") from exc
    except BackendError as exc:
        if exc.kind != "model":
            raise ModelUnavailable(f"the model {spec} cannot be used ({exc.kind}): {exc}") from exc
        raise ModelUnavailable(f"the model {spec} cannot be loaded: {exc}") from exc
    loader = getattr(backend, "load", None)
    if callable(loader):  # load now, so a missing model is found before the run starts
        try:
            loader()
        except BackendError as exc:
            backend.close()
            raise ModelUnavailable(f"the model {spec} cannot be loaded: {exc}") from exc
    if notify is not None:
        notify(f"model {getattr(backend, 'name', spec)} ready in {time.perf_counter() - started:.1f} s")
    return backend, True


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise InvalidArgument(f"{name} must be one of {', '.join(choices)}, got {value!r}")


def solve(
    task: Mapping[str, Any] | Problem,
    *,
    capacity: int = 4,
    seed: int = 0,
    out: str | Path | None | bool = None,
    budget_s: float = 600.0,
    verify_budget_s: float = VERIFY_BUDGET_S,
    progress: Callable[[str], None] | None = None,
    worker_kind: str = "symbolic",
    model: str | Any | None = None,
    organizer: str = "planner",
    max_tokens: int = 256,
    notify: Callable[[str], None] | None = None,
    claim_cache_dir: str | Path | None = None,
    worker_timeout_s: float | None = None,
    router_state: str | Path | None = None,
    proposer: bool = True,
    workers: int | None = None,
) -> SolveResult:
    """Solve `task`; every answer is verified against the task's rules.

    `capacity`: c, the forks running at once (`workers` is its old name, still accepted with a
    DeprecationWarning: "workers" now names a worker kind, as on the command line). `worker_kind`: "symbolic" (default), "llm" or
    "mixed" (see the module docstring); `organizer`: "planner" (default) or "llm". `model`: a
    `--model` spec string (`local`, a path, `openai:URL/MODEL`), a `ModelBackend` (not closed
    here), or None for the packaged local model; loaded only when an LLM is needed. `max_tokens`
    bounds each model reply. `out`: the run directory (trace, ledger, graph picture, proof
    bundle); None makes a new temporary directory, False writes no files. `budget_s` bounds the
    whole run, `verify_budget_s` each check. `progress` is called with the live ledger
    (Markdown), `notify` with one-line status messages (loading the model). `claim_cache_dir`
    keeps definitive claim verdicts on disk for later runs (`reasoning.engine._claim_cache`).
    `proposer`: model workers decode under the sub-query's grammar and, for a search-shaped
    sub-query, propose k samples at once (`reasoning.llm._workers`), when the backend can
    constrain (`supports_grammar`); False keeps the free-text path.
    `worker_timeout_s` bounds one worker's attempt (default: min(budget_s, 120)); a slow model
    backend's attempt past it is rejected (or, in a race, loses). `router_state`: a JSON file
    where mixed workers keep the router's learned yields between runs (default: one run only).

    Raises TaskError (an InvalidArgument) for a malformed task and InvalidArgument for bad
    options. When the model cannot be loaded, "mixed" falls back to symbolic workers (said in
    `warnings`) and "llm" raises ModelUnavailable. An unsolvable task is not an error: its
    answer says so, with a certificate where possible; a model that fails (a dead server, a
    timeout) fails its forks, not the run.

    >>> solve({"domain": "countdown", "numbers": [1, 2, 3], "target": 6}).answers  # doctest: +SKIP
    ['1 + 2 + 3']
    """
    if workers is not None:  # the old name of capacity (one meaning per word)
        if capacity != 4 and capacity != workers:
            raise InvalidArgument(f"give capacity only (workers={workers!r} is its old name)")
        _warnings.warn("solve(workers=N) is deprecated: use capacity=N", DeprecationWarning, stacklevel=2)
        capacity = workers
    engine_task, problem = parse_task(task)
    refuse_free_unknowns(engine_task, budget_s=verify_budget_s)
    if not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity <= 64:
        raise InvalidArgument(f"capacity must be an int in [1, 64], got {capacity!r}")
    workers = capacity
    if worker_kind == "solver":  # the old spelling (one meaning per word: solvers/ decides claims)
        worker_kind = "symbolic"
    _check_choice("worker_kind", worker_kind, WORKER_KINDS)
    _check_choice("organizer", organizer, ORGANIZERS)
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or not 1 <= max_tokens <= 32_768:
        raise InvalidArgument(f"max_tokens must be an int in [1, 32768], got {max_tokens!r}")
    for name, seconds in (("budget_s", budget_s), ("verify_budget_s", verify_budget_s)):
        # by their own names: budget_s=0 was refused as "worker_timeout_s must be ..."
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not 0 < seconds <= 86_400:
            raise InvalidArgument(f"{name} must be seconds in (0, 86400], got {seconds!r}")
    if worker_timeout_s is not None and (
        not isinstance(worker_timeout_s, (int, float))
        or isinstance(worker_timeout_s, bool)
        or not 0 < worker_timeout_s <= 86_400
    ):
        raise InvalidArgument(f"worker_timeout_s must be seconds in (0, 86400], got {worker_timeout_s!r}")
    if out not in (None, True, False) and Path(out).exists() and not Path(out).is_dir():
        # a file there raised FileExistsError from deep inside the run
        raise InvalidArgument(f"out must be a directory (or None, or False); {str(out)!r} is a file")
    warnings: list[str] = []
    backend, owned = None, False
    load_s = 0.0
    if worker_kind != "symbolic" or organizer == "llm":
        loading = time.perf_counter()
        try:
            backend, owned = load_model(model, notify=notify)
        except ModelUnavailable as exc:
            if worker_kind != "mixed" or organizer == "llm":
                raise
            warnings.append(f"mixed workers fell back to symbolic workers: {exc}")
            worker_kind = "symbolic"
        load_s = time.perf_counter() - loading
    try:
        result = _run(
            engine_task,
            problem,
            workers=workers,
            seed=seed,
            out=out,
            budget_s=budget_s,
            verify_budget_s=verify_budget_s,
            progress=progress,
            worker_kind=worker_kind,
            backend=backend,
            organizer_kind=organizer,
            max_tokens=max_tokens,
            warnings=warnings,
            claim_cache_dir=claim_cache_dir,
            worker_timeout_s=worker_timeout_s,
            router_state=router_state,
            proposer=proposer,
        )
        result.model_load_s = load_s
        return result
    finally:
        if owned and backend is not None:
            backend.close()


def _parts(
    engine_task,
    problem,
    *,
    workers: int,
    verify_budget_s: float,
    worker_kind: str,
    backend,
    organizer_kind: str,
    max_tokens: int,
    max_attempts: int,
    router_state=None,
    proposer: bool = True,
):
    """(organizer, worker with `producers`) for a run."""
    if problem is not None:
        domain = get(problem.domain)
        symbolic = domain.symbolic_worker()
    else:
        domain, symbolic = None, SymbolicWorker(budget_s=verify_budget_s)
    if organizer_kind == "llm":
        organizer = LLMOrganizer(
            backend, problem if problem is not None else engine_task, max_tokens=max_tokens
        )
    elif domain is not None:
        organizer = domain.planner(problem, capacity=workers)
    else:
        organizer = SymbolicPlanner(engine_task, capacity=workers)
    if worker_kind == "symbolic":
        return organizer, LabelledWorker(symbolic, SYMBOLIC_LABEL)
    llm = LLMWorker(backend, max_tokens=max_tokens, constrain=proposer)
    if worker_kind == "llm":
        return organizer, LabelledWorker(llm, llm.label)
    mixed = MixedWorker(
        llm,
        symbolic,
        max_attempts=max_attempts,
        llm_label=llm.label,
        capacity=workers,
        router=YieldRouter(state_path=router_state),
    )
    return organizer, mixed


def _run(
    engine_task,
    problem,
    *,
    workers,
    seed,
    out,
    budget_s,
    verify_budget_s,
    progress,
    worker_kind,
    backend,
    organizer_kind,
    max_tokens,
    warnings,
    claim_cache_dir=None,
    worker_timeout_s=None,
    router_state=None,
    proposer=True,
) -> SolveResult:
    config = EngineConfig(
        capacity=workers,
        seed=seed,
        run_budget_s=budget_s,
        verify_budget_s=verify_budget_s,
        worker_timeout_s=worker_timeout_s or min(budget_s, 120.0),
        claim_cache_dir=claim_cache_dir,
    )
    organizer, worker = _parts(
        engine_task,
        problem,
        workers=workers,
        verify_budget_s=verify_budget_s,
        worker_kind=worker_kind,
        backend=backend,
        organizer_kind=organizer_kind,
        max_tokens=max_tokens,
        max_attempts=config.max_attempts,
        router_state=router_state,
        proposer=proposer,
    )
    if organizer_kind == "llm":  # the engine ends the run when the model's turns are used up
        config = dataclasses.replace(config, max_turns=organizer.max_turns)
    if out is False:
        directory = None
    elif out is None or out is True:
        directory = Path(tempfile.mkdtemp(prefix="reason-solve-"))
    else:
        directory = Path(out)
    started = time.perf_counter()
    run = ForkJoinEngine(organizer, worker, config).run_sync(
        engine_task, run_dir=directory, progress=progress
    )
    elapsed = time.perf_counter() - started
    if run.answer is None:
        answers: list[str] = []
    elif problem is not None:
        answers = get(problem.domain).answers(problem, run.answer)
    else:
        answers = [run.answer]
    check = run.answer_check
    message = run.message
    router = getattr(worker, "router", None) if getattr(worker, "share", None) == "race" else None
    failures = _backend_failures(run)
    if failures and not run.verified:
        message = f"{message}; {len(failures)} attempt(s) failed in the model backend, e.g. {failures[0]}"
    return SolveResult(
        answers=answers,
        verified=run.verified,
        status=run.status.value,
        message=message,
        certificates=[
            {"role": role, "claim": v.claim, "backend": v.backend, "certificate": v.certificate}
            for role, v in (check.obligations if check else ())
        ],
        metrics=run.metrics.to_json(),
        bundle=str(run.bundle_path) if run.bundle_path else None,
        elapsed_s=elapsed,
        problem=problem,
        run=run,
        producers=producers(run, worker.producers),
        worker_kind=worker_kind,
        organizer=organizer_kind,
        model=getattr(backend, "name", None) if backend is not None else None,
        warnings=warnings,
        by_worker=worker_summary(run.events, worker.producers),
        routing=router.summary() if router is not None else {},
    )


def producers(run, labels: Mapping[tuple[int, int], str]) -> list[dict[str, Any]]:
    """One `{"fork", "attempt", "claim", "worker"}` per claim the run's answer may rest on."""
    out = []
    nodes = run.graph.graph.nodes
    for record in run.graph.accepted_claims():
        attempt = nodes[record.attempt]
        fork_id, number = attempt["fork_id"], attempt["attempt"]
        out.append(
            {
                "fork": fork_id,
                "attempt": number,
                "claim": record.text,
                "worker": labels.get((fork_id, number), "unknown"),
            }
        )
    return out


def _backend_failures(run) -> list[str]:
    return [
        f"fork {e.fork_id} attempt {e.attempt}: {e.reason}"
        for e in run.events
        if isinstance(e, RejectionEvent) and "model backend failed" in e.reason
    ]
