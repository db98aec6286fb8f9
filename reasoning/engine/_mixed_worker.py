"""`MixedWorker`: LLM workers and symbolic workers share the forks of one run.

The default policy, `share="race"` (what `reason solve --workers mixed` runs): every attempt goes
to the symbolic worker, and also to the model when the router (`reasoning.llm._router.YieldRouter`) says
so; the engine races them (`reasoning.engine._racing`): the first verified result is joined and the other
run is cancelled. The router bounds the model's share of the capacity and learns, per domain
and sub-query kind, which worker kind yields verified claims per second; its reason for each
decision goes to the trace.

The older policies (one worker per attempt, no race):

`share="alternate"`:

- odd fork ids go to the LLM, even fork ids to the symbolic worker;
- an LLM fork's re-dispatch goes back to the LLM, with the rejection as feedback;
- the last attempt of any fork (`attempt >= max_attempts`) goes to the symbolic worker, so a weak model
  cannot sink the run: a fork the model keeps getting wrong is still answered.

With `share="llm-first"` every fork starts on the LLM (the last attempt still goes to the symbolic worker).
Every (fork, attempt) records the label of the worker that ran it in `producers`, so the answer
can say which worker produced each verified claim.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from reasoning.engine._racing import ContestResult, Entrant, Lineup
from reasoning.engine._workers import Chunk, Worker, WorkerRequest, has_methods
from reasoning.errors import InvalidArgument
from reasoning.llm._router import YieldRouter, problem_shape

SHARES = ("race", "alternate", "llm-first")
SYMBOLIC_LABEL = "symbolic"


class MixedWorker:
    """Races `symbolic` and `llm` on each attempt, or routes it to one (see the module docstring).

    `max_attempts` must be the engine's `max_attempts`, so that the last attempt is known.
    `llm_label` names the LLM in `producers` (default: `llm:<backend name>` when `llm` has a
    `label`, else "llm"); the symbolic worker is "symbolic". With `share="race"`, `capacity` (the engine's)
    bounds the model's share and `router` decides (default: a fresh `YieldRouter`).
    """

    def __init__(
        self,
        llm: Worker,
        symbolic: Worker,
        *,
        max_attempts: int = 3,
        llm_label: str | None = None,
        share: str = "race",
        capacity: int = 4,
        router: YieldRouter | None = None,
    ) -> None:
        if not isinstance(llm, Worker) or not isinstance(symbolic, Worker):
            raise InvalidArgument("llm and symbolic must be workers (with a stream(request) method)")
        if not isinstance(max_attempts, int) or isinstance(max_attempts, bool) or max_attempts < 1:
            raise InvalidArgument(f"max_attempts must be a positive int, got {max_attempts!r}")
        if share not in SHARES:
            raise InvalidArgument(f"share must be one of {', '.join(SHARES)}, got {share!r}")
        self.llm = llm
        self.symbolic = symbolic
        self.max_attempts = max_attempts
        self.llm_label = llm_label or getattr(llm, "label", None) or "llm"
        if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1:
            raise InvalidArgument(f"capacity must be a positive int, got {capacity!r}")
        if router is not None and not isinstance(router, YieldRouter):
            raise InvalidArgument("router must be a YieldRouter")
        self.share = share
        self.capacity = capacity
        self.router = router or YieldRouter()
        #: (fork id, attempt) -> the label of the worker whose result it took.
        self.producers: dict[tuple[int, int], str] = {}
        self._model_runs: set[tuple[int, int]] = set()  # attempts with a model entrant running

    def route(self, fork_id: int, attempt: int) -> str:
        """ "llm" or "symbolic": who runs this attempt without a race (the symbolic worker under "race")."""
        if self.share == "race" or attempt >= self.max_attempts:
            return "symbolic"
        if self.share == "alternate" and fork_id % 2 == 0:
            return "symbolic"
        return "llm"

    def lineup(self, request: WorkerRequest) -> Lineup:
        """Who runs this attempt (the engine races two entrants), and why."""
        symbolic = Entrant(SYMBOLIC_LABEL, "symbolic", self.symbolic)
        llm = Entrant(self.llm_label, "llm", self.llm)
        attempt = (request.fork_id, request.attempt)
        if self.share != "race":
            kind = self.route(*attempt)
            self.producers[attempt] = llm.label if kind == "llm" else SYMBOLIC_LABEL
            last = " (the last attempt)" if request.attempt >= self.max_attempts else ""
            return Lineup((llm if kind == "llm" else symbolic,), f"{self.share} policy: {kind}{last}")
        key = _router_key(self.router, request)
        race, why = self.router.decide(key, model_busy=len(self._model_runs), capacity=self.capacity)
        self.producers[attempt] = SYMBOLIC_LABEL
        if not race:
            return Lineup((symbolic,), why)
        self._model_runs.add(attempt)
        head_start = self.router.head_start(key)
        llm = Entrant(llm.label, "llm", self.llm, delay_s=head_start)
        return Lineup((symbolic, llm), f"{why}; the symbolic worker's head start {head_start:.2g} s")

    def settled(self, request: WorkerRequest, results: Sequence[ContestResult]) -> None:
        """The attempt ended: free its model slot, note who produced it, teach the router."""
        attempt = (request.fork_id, request.attempt)
        self._model_runs.discard(attempt)
        taken = next((r for r in results if r.outcome in ("won", "accepted")), None)
        if taken is not None:
            self.producers[attempt] = taken.label
        if self.share == "race":
            self.router.record(_router_key(self.router, request), results)

    def stream(self, request: WorkerRequest) -> AsyncIterator[Chunk]:
        """Run the attempt on one worker (`route`), without a race (the engine races `lineup`)."""
        kind = self.route(request.fork_id, request.attempt)
        label = self.llm_label if kind == "llm" else SYMBOLIC_LABEL
        self.producers[(request.fork_id, request.attempt)] = label
        return (self.llm if kind == "llm" else self.symbolic).stream(request)


def _router_key(router: YieldRouter, request: WorkerRequest) -> str:
    """The router's key of this attempt: domain, sub-query kind and task shape."""
    return router.key(_domain(request), request.query, problem_shape(request.task.problem))


def _domain(request: WorkerRequest) -> str | None:
    problem = request.task.problem
    return getattr(problem, "domain", None) if problem is not None else None


class LabelledWorker:
    """One worker for every attempt, recording its `label` per (fork, attempt) like MixedWorker."""

    def __init__(self, worker: Worker, label: str) -> None:
        if not has_methods(worker, "stream"):  # the Worker Protocol, checked cheaply
            raise InvalidArgument("worker must have a stream(request) method")
        self.worker = worker
        self.label = label
        self.producers: dict[tuple[int, int], str] = {}

    def stream(self, request: WorkerRequest) -> AsyncIterator[Chunk]:
        self.producers[(request.fork_id, request.attempt)] = self.label
        return self.worker.stream(request)
