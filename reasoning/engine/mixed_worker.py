"""`MixedWorker`: LLM workers and solver workers share the forks of one run.

The policy (`share="alternate"`, the default of `reason solve --workers mixed`):

- odd fork ids go to the LLM, even fork ids to the solver;
- an LLM fork's re-dispatch goes back to the LLM, with the rejection as feedback;
- the last attempt of any fork (`attempt >= max_attempts`) goes to the solver, so a weak model
  cannot sink the run: a fork the model keeps getting wrong is still answered.

With `share="llm-first"` every fork starts on the LLM (the last attempt still goes to the solver).
Every (fork, attempt) records the label of the worker that ran it in `producers`, so the answer
can say which worker produced each verified claim.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from reasoning.api import InvalidArgument
from reasoning.engine.workers import Chunk, Worker, WorkerRequest

SHARES = ("alternate", "llm-first")
SOLVER_LABEL = "solver"


class MixedWorker:
    """Routes each attempt to `llm` or `solver` (see the module docstring for the policy).

    `max_attempts` must be the engine's `max_attempts`, so that the last attempt is known.
    `llm_label` names the LLM in `producers` (default: `llm:<backend name>` when `llm` has a
    `label`, else "llm"); the solver is "solver".
    """

    def __init__(
        self,
        llm: Worker,
        solver: Worker,
        *,
        max_attempts: int = 3,
        llm_label: str | None = None,
        share: str = "alternate",
    ) -> None:
        if not isinstance(llm, Worker) or not isinstance(solver, Worker):
            raise InvalidArgument("llm and solver must be workers (with a stream(request) method)")
        if not isinstance(max_attempts, int) or isinstance(max_attempts, bool) or max_attempts < 1:
            raise InvalidArgument(f"max_attempts must be a positive int, got {max_attempts!r}")
        if share not in SHARES:
            raise InvalidArgument(f"share must be one of {', '.join(SHARES)}, got {share!r}")
        self.llm = llm
        self.solver = solver
        self.max_attempts = max_attempts
        self.llm_label = llm_label or getattr(llm, "label", None) or "llm"
        self.share = share
        #: (fork id, attempt) -> the label of the worker that ran it.
        self.producers: dict[tuple[int, int], str] = {}

    def route(self, fork_id: int, attempt: int) -> str:
        """ "llm" or "solver": who runs this attempt."""
        if attempt >= self.max_attempts:
            return "solver"
        if self.share == "alternate" and fork_id % 2 == 0:
            return "solver"
        return "llm"

    def stream(self, request: WorkerRequest) -> AsyncIterator[Chunk]:
        kind = self.route(request.fork_id, request.attempt)
        label = self.llm_label if kind == "llm" else SOLVER_LABEL
        self.producers[(request.fork_id, request.attempt)] = label
        return (self.llm if kind == "llm" else self.solver).stream(request)


class LabelledWorker:
    """One worker for every attempt, recording its `label` per (fork, attempt) like MixedWorker."""

    def __init__(self, worker: Worker, label: str) -> None:
        if not isinstance(worker, Worker):
            raise InvalidArgument("worker must have a stream(request) method")
        self.worker = worker
        self.label = label
        self.producers: dict[tuple[int, int], str] = {}

    def stream(self, request: WorkerRequest) -> AsyncIterator[Chunk]:
        self.producers[(request.fork_id, request.attempt)] = self.label
        return self.worker.stream(request)
