"""`solve(task)`: the main job. A task dict in, verified answers with certificates out.

A task dict names its `domain` (`reasoning.domains`: countdown, sudoku, futoshiki, arithmetic,
equations, logic, knights_knaves) and that domain's fields; a dict without `domain` is a plain engine task
(`text`, `unknowns`, `constraints`, as for `reason run`). The domain's planner organizes, its
solver workers answer the forks, the engine checks every claim by the domain's rules before
joining it and checks the final answer the same way, and the run's proof bundle is written.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reasoning.api import InvalidArgument
from reasoning.domains import Problem, TaskError, load

#: Default seconds for one check of a claim or an answer in a solve run.
VERIFY_BUDGET_S = 10.0


@dataclass
class SolveResult:
    """What `solve` returns.

    `answers`: the answers in the domain's answer format (strings); `verified`: the final answer
    was proved against the task's rules; `status`: proved / refuted / unknown / invalid;
    `certificates`: the answer's certificates (JSON, re-checkable with `reasoning.check_certificate`);
    `metrics`: the run's metrics (JSON); `bundle`: the proof bundle's path (None with `out=False`).
    `run` is the engine's full `RunResult`; `problem` the parsed task (None for a plain task).
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
        }


def parse_task(task: Mapping[str, Any] | Problem):
    """(engine Task, Problem or None) for a task dict; TaskError/InvalidArgument name the problem."""
    from reasoning.task import Task

    if isinstance(task, Problem):
        return Task.of_problem(task), task
    if not isinstance(task, Mapping):
        raise TaskError(f"a task is a JSON object (a dict), got {type(task).__name__}")
    if "domain" in task:
        problem = load(task)
        return Task.of_problem(problem), problem
    if "text" in task:
        return Task.from_json(dict(task)), None
    raise TaskError("a task names its 'domain' (or is a plain engine task with 'text')")


def solve(
    task: Mapping[str, Any] | Problem,
    *,
    workers: int = 4,
    seed: int = 0,
    out: str | Path | None | bool = None,
    budget_s: float = 600.0,
    verify_budget_s: float = VERIFY_BUDGET_S,
    progress: Callable[[str], None] | None = None,
) -> SolveResult:
    """Solve `task` with the domain's planner and solver workers; every answer is verified.

    `workers`: capacity c (forks running at once). `out`: the run directory (trace, ledger,
    graph picture, proof bundle); None makes a new temporary directory, False writes no files.
    `budget_s` bounds the whole run, `verify_budget_s` each check. `progress` is called with the
    live ledger (Markdown). Raises TaskError (an InvalidArgument) for a malformed task; an
    unsolvable task is not an error: its answer says so, with a certificate where possible.

    >>> solve({"domain": "countdown", "numbers": [1, 2, 3], "target": 6}).answers  # doctest: +SKIP
    ['1 + 2 + 3']
    """
    from reasoning.engine import EngineConfig, ForkJoinEngine

    engine_task, problem = parse_task(task)
    if not isinstance(workers, int) or isinstance(workers, bool) or not 1 <= workers <= 64:
        raise InvalidArgument(f"workers must be an int in [1, 64], got {workers!r}")
    config = EngineConfig(
        capacity=workers,
        seed=seed,
        run_budget_s=budget_s,
        verify_budget_s=verify_budget_s,
        worker_timeout_s=min(budget_s, 120.0),
    )
    if problem is not None:
        from reasoning.domains import get

        domain = get(problem.domain)
        organizer, worker = domain.planner(problem, capacity=workers), domain.solver_worker()
    else:
        from reasoning.planner import SolverPlanner
        from reasoning.solver_worker import SolverWorker

        organizer = SolverPlanner(engine_task, capacity=workers)
        worker = SolverWorker(budget_s=verify_budget_s)
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
    return SolveResult(
        answers=answers,
        verified=run.verified,
        status=run.status.value,
        message=run.message,
        certificates=[
            {"role": role, "claim": v.claim, "backend": v.backend, "certificate": v.certificate}
            for role, v in (check.obligations if check else ())
        ],
        metrics=run.metrics.to_json(),
        bundle=str(run.bundle_path) if run.bundle_path else None,
        elapsed_s=elapsed,
        problem=problem,
        run=run,
    )
