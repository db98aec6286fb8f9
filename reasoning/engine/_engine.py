"""`ForkJoinEngine`: an organizer forks sub-queries to concurrent workers and joins only what is
verified and jointly consistent.

One run (`ForkJoinEngine.run`):

1. The organizer streams protocol text (`reasoning.engine._protocol`). `<FORK-i>q</FORK-i>` starts fork i
   on a worker in the background; `<JOIN-i>`, `<ANSWER>` and every format error end the
   organizer's turn: the engine appends its reply to the context and asks for the next turn.
   Tags run in order; the context keeps the turn only up to the tag that ended it, and tags
   written after that one did not run, so they are cut and answered with a format error.
2. A fork's attempt runs the worker (with a timeout) up to `</RETURN>`, reads the claims of the
   RETURN body (one per line, `reasoning.engine._task`) and checks each against the task. A refuted or
   invalid claim, no accepted claim when the task demands one, a crash, a timeout or a missing
   RETURN rejects the attempt; the fork is re-dispatched with the reason as feedback, up to
   `max_attempts` attempts in all; then the fork has failed and its join says so.
3. At `<JOIN-i>` the accepted attempt joins the causal graph and every accepted claim (with the
   task's constraints) is checked for joint consistency with Z3. On a conflict one attempt of
   the unsat core is withdrawn: the one whose withdrawal re-dispatches the fewest attempts
   (itself and the attempts that use its claims, `CausalGraph.blame`), preferring the attempt
   joined last, then the newest. It and its descendants by data are invalidated and
   re-dispatched (joined ones are re-joined in place, one at a time, before the join returns),
   until the joined set is consistent.
4. `<ANSWER>` is checked against the task (`reasoning.engine._task.check_answer`); a failed check is
   reported back, up to `max_answer_attempts` times. A final answer cancels the outstanding work.

Capacity: at most `capacity` forks may be outstanding (forked, not yet joined); one more is a
"pool full" format error. A re-dispatch reuses its fork's slot, and joined forks are re-done one
at a time while the organizer waits, so at most `capacity` workers ever run at once.

Everything is recorded: the causal graph, the trace (`reasoning.engine._run_trace`), the ledger
(`reasoning.engine._ledger`) and, with a run directory, their files and the proof bundle.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import math
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from proofs.claims import Formula
from proofs.verdict import Status
from reasoning.engine._bundle import write_run_files
from reasoning.engine._causal_graph import TASK, CausalGraph, Consistency, ConsistencyReport, check_claims
from reasoning.engine._claim_cache import ClaimCache
from reasoning.engine._consistency import IncrementalConsistency
from reasoning.engine._engine_pools import lend_checker, take_back
from reasoning.engine._engine_pools import run as run_coroutine
from reasoning.engine._ledger import Ledger
from reasoning.engine._protocol import (
    Answer,
    Fork,
    FormatError,
    Join,
    ProtocolScanner,
    ProtocolText,
    Return,
    parse_protocol,
)
from reasoning.engine._racing import Contender, ContestResult, Entrant, first_to_win, race_note
from reasoning.engine._run_trace import (
    AnswerEvent,
    CancelEvent,
    ContestEvent,
    ForkEvent,
    FormatErrorEvent,
    JoinEvent,
    RedispatchEvent,
    RejectionEvent,
    RouteEvent,
    RunMetrics,
    RunTrace,
    VerdictEvent,
    WorkerTokensEvent,
    compute_metrics,
)
from reasoning.engine._subqueries import incomplete, unanswered
from reasoning.engine._task import AnswerCheck, ClaimCheck, Task, check_answer
from reasoning.engine._workers import Organizer, Worker, WorkerRequest, chunk_work, has_methods
from reasoning.errors import InvalidArgument

#: Longest sub-query and RETURN body the engine accepts, in characters.
MAX_BLOCK_CHARS = 100_000
#: Longest organizer turn, in characters: the context must not grow without bound.
MAX_TURN_CHARS = 1_000_000
#: Fewest seconds a check gets when the run budget is (nearly) used up (`_Run._left`).
MIN_CHECK_S = 0.05


def _step_down(seconds: float) -> float:
    """The largest of 1, 2 or 5 times a power of ten that is at most `seconds` (0 for none)."""
    if seconds < MIN_CHECK_S:
        return 0.0
    power = 10.0 ** math.floor(math.log10(seconds))
    return max(step * power for step in (1, 2, 5) if step * power <= seconds)


@dataclass(frozen=True)
class EngineConfig:
    """Run settings. Every time is in seconds; `seed` makes worker and organizer seeds.

    Checks (claims, joint consistency, the answer) run off the event loop on `verify_threads`
    threads. With one (the default) they run in submission order, so scripted runs give the
    same trace every time; more threads overlap slow checks at the price of that determinism.
    Under `run_sync` (an event loop of the run's own) a check the run waits for while no other
    worker runs and no check is in flight runs on the loop's thread instead: nothing could use
    the loop meanwhile, and the hop would cost two thread wake-ups. Such a check cannot be cut
    short by the run budget (it has its own budget), so a run may end up to one check late.

    Identical claims are checked once per run (`reasoning.engine._claim_cache`); `claim_cache_dir` keeps
    their definitive verdicts on disk for later runs too. With a run directory, the trace and the
    ledger are written once, at the end, unless `live_files` asks for them as the run goes (the
    ledger then at most every `ledger_interval_s`, and at the end).
    """

    capacity: int = 4
    max_attempts: int = 3
    max_answer_attempts: int = 3
    worker_timeout_s: float = 60.0
    verify_budget_s: float = 2.0
    consistency_budget_s: float = 5.0
    run_budget_s: float = 600.0
    max_turns: int = 200
    seed: int = 0
    verify_threads: int = 1
    claim_cache_dir: str | Path | None = None
    live_files: bool = False
    ledger_interval_s: float = 0.25

    def __post_init__(self) -> None:
        for name in ("capacity", "max_attempts", "max_answer_attempts", "max_turns", "verify_threads"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InvalidArgument(f"{name} must be a positive int, got {value!r}")
        for name in ("worker_timeout_s", "verify_budget_s", "consistency_budget_s", "run_budget_s"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value <= 86_400:
                raise InvalidArgument(f"{name} must be a number of seconds in (0, 86400], got {value!r}")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise InvalidArgument(f"seed must be an int, got {self.seed!r}")
        if self.claim_cache_dir is not None and not isinstance(self.claim_cache_dir, (str, Path)):
            raise InvalidArgument(f"claim_cache_dir must be a path, got {self.claim_cache_dir!r}")
        if not isinstance(self.live_files, bool):
            raise InvalidArgument(f"live_files must be a bool, got {self.live_files!r}")
        interval = self.ledger_interval_s
        if not isinstance(interval, (int, float)) or isinstance(interval, bool) or not 0 <= interval <= 3600:
            raise InvalidArgument(f"ledger_interval_s must be in [0, 3600] seconds, got {interval!r}")


@dataclass
class AttemptOutcome:
    """How one attempt of a fork ended."""

    fork_id: int
    attempt: int
    node: str
    accepted: bool
    reason: str = ""
    return_text: str = ""
    checks: list[ClaimCheck] = field(default_factory=list)
    #: The rejection cannot be mended by re-dispatching (a domain check said so).
    final: bool = False
    #: How a raced attempt went ("symbolic won in 0.05 s; llm:... cancelled"), for the ledger.
    race: str = ""


@dataclass
class _Fork:
    fork_id: int
    query: str
    after_joins: tuple[str, ...]
    attempts: int = 0
    feedback: list[str] = field(default_factory=list)
    outcome: AttemptOutcome | None = None  # the latest finished attempt
    runner: asyncio.Task | None = None
    running_attempt: int | None = None
    joined: bool = False  # the organizer has joined it (and it is not failed)
    failed: bool = False


@dataclass
class RunResult:
    """What a run produced. `status` is the final answer check (`unknown` with no answer)."""

    task: Task
    answer: str | None
    status: Status
    message: str
    answer_check: AnswerCheck | None
    metrics: RunMetrics
    graph: CausalGraph
    events: tuple
    joins: list[dict[str, Any]]
    final_consistency: ConsistencyReport
    ledger: str
    timings: dict[str, float]
    run_dir: Path | None = None
    bundle_path: Path | None = None

    @property
    def verified(self) -> bool:
        return self.status is Status.PROVED

    def accepted_claims(self) -> list[dict[str, Any]]:
        """The claims the answer may rest on: those of joined, valid attempts."""
        out = []
        for record in self.graph.accepted_claims():
            data = self.graph.graph.nodes[record.node]
            out.append(
                {
                    "node": record.node,
                    "attempt": record.attempt,
                    "text": record.text,
                    "claim": record.claim,
                    "role": data.get("role"),
                    "obligation": (record.certificate or {}).get("claim"),
                    "status": record.status,
                    "certificate": record.certificate,
                }
            )
        return out


def _vet_then_check(
    cache: ClaimCache, task: Task, query: str, body: str, budget_s: float
) -> tuple[str | None, tuple[list[ClaimCheck], list[str]] | None]:
    """(reason the RETURN does not answer its sub-query, None), or (None, its checks and notes).

    A task without a domain has typed sub-queries (`reasoning.engine._subqueries.unanswered`); a
    domain's queries follow its own rules. Runs on a checker thread: one hop for both."""
    if task.domain is None:
        missing = unanswered(query, task.unknowns, body)
        if missing is not None:
            return missing, None
    checks, notes = cache.check_returned(task, body, budget_s=budget_s)
    if task.domain is None and not any(c.verdict.status in (Status.REFUTED, Status.INVALID) for c in checks):
        # (a refuted claim rejects the RETURN anyway, with its counterexample as feedback)
        missing = incomplete(query, task.unknowns, [(c.text, c.role, c.verdict.status.value) for c in checks])
        if missing is not None:
            return missing, None
    return None, (checks, notes)


def _seed_for(seed: int, *parts: object) -> int:
    key = "|".join([str(seed), *map(str, parts)]).encode()  # one list, no tuple of the parts
    return int.from_bytes(hashlib.blake2b(key, digest_size=4).digest(), "big")


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


class _Interrupt(Exception):
    """An organizer event that needs a reply ends the organizer's turn."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.tag = "that tag"  # what ended the turn, as the organizer wrote it


def _tag_name(event) -> str:
    match event:
        case Join(fork_id):
            return f"<JOIN-{fork_id}>"
        case Fork(fork_id, _):
            return f"<FORK-{fork_id}>"
        case Answer():
            return "<ANSWER>"
        case Return():
            return "<RETURN>"
    return "the format error"


def _unrun_text(event) -> str:
    """How a tag that did not run is named to the organizer (in words, not as a tag)."""
    match event:
        case Fork(fork_id, _):
            return f"fork {fork_id} was not dispatched"
        case Join(fork_id):
            return f"the join of fork {fork_id} was not run"
        case Answer():
            return "the answer was not checked"
        case Return():
            return "a RETURN block was ignored"
        case FormatError(message, _):
            return f"a malformed piece was ignored: {_one_line(message, 120)}"
    return "text was ignored"


class ForkJoinEngine:
    """Runs tasks with one organizer and one worker (called concurrently, up to `capacity`).

    >>> from reasoning.engine._workers import ScriptedOrganizer, ScriptedWorker
    >>> organizer = ScriptedOrganizer(["<FORK-1>3*8?</FORK-1><JOIN-1>", "<ANSWER>3*8 = 24</ANSWER>"])
    >>> worker = ScriptedWorker({1: ["<RETURN>3*8 = 24</RETURN>"]})
    >>> result = ForkJoinEngine(organizer, worker).run_sync(Task("3*8 = 24"))
    >>> result.answer, result.status.value
    ('3*8 = 24', 'proved')
    """

    def __init__(self, organizer: Organizer, worker: Worker, config: EngineConfig | None = None) -> None:
        if not has_methods(organizer, "stream"):  # the Organizer Protocol, checked cheaply
            raise InvalidArgument("organizer must have a stream(context, seed=...) method")
        if not has_methods(worker, "stream"):  # the Worker Protocol
            raise InvalidArgument("worker must have a stream(request) method")
        self.organizer = organizer
        self.worker = worker
        self.config = config or EngineConfig()

    def run_sync(
        self,
        task: Task,
        *,
        run_dir: str | Path | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> RunResult:
        """`run` from synchronous code (starts an event loop of its own, so a check the run
        waits for with nothing else to do runs on the loop's thread: see `_Run._loop_idle`)."""
        return run_coroutine(self._run(task, run_dir, progress, own_loop=True))

    async def run(
        self,
        task: Task,
        *,
        run_dir: str | Path | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> RunResult:
        """Run `task` to a final answer (or out of turns or budget); never raises for anything an
        organizer or worker does. With `run_dir`, writes trace.jsonl, ledger.md, graph.json,
        graph.svg and bundle.json there (the ledger and trace live, as the run goes).
        `progress` is called with the ledger (Markdown) whenever it changes."""
        return await self._run(task, run_dir, progress, own_loop=False)

    async def _run(
        self,
        task: Task,
        run_dir: str | Path | None,
        progress: Callable[[str], None] | None,
        *,
        own_loop: bool,
    ) -> RunResult:
        if not isinstance(task, Task):
            raise InvalidArgument("task must be a reasoning.engine._task.Task")
        directory = Path(run_dir) if run_dir is not None else None
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
        run = _Run(self, task, directory, progress)
        run.own_loop = own_loop
        try:
            return await run.execute()
        finally:
            run.close()


class _Run:
    """The state of one run (one per `ForkJoinEngine.run` call)."""

    def __init__(
        self,
        engine: ForkJoinEngine,
        task: Task,
        directory: Path | None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.engine = engine
        self.config = engine.config
        self.task = task
        self.dir = directory
        live = directory is not None and self.config.live_files
        self.trace = RunTrace(directory / "trace.jsonl" if live else None)
        self.ledger = Ledger(
            directory / "ledger.md" if live else None,
            title=_one_line(task.text, 120),
            on_change=progress,
            min_interval_s=self.config.ledger_interval_s,
        )
        self.ledger.add(
            "task",
            _one_line(task.text, 120),
            criterion=f"final answer proved to discharge the goal ({_one_line(task.goal.describe(), 120)})",
        )
        self.graph = CausalGraph(task.text)
        self.forks: dict[int, _Fork] = {}
        self.outstanding: set[int] = set()
        self.joins: list[dict[str, Any]] = []
        self.organizer_tokens = 0  # model tokens since the organizer's last event
        self.organizer_steps = 0  # symbolic steps (a planner's turns) since then
        self._ran_to = 0  # see _turn
        self.answer_attempts = 0
        self.answer_check: AnswerCheck | None = None
        self.answer: str | None = None
        self.message = ""
        self.timings = {"verify_s": 0.0, "consistency_s": 0.0, "answer_s": 0.0}
        self.checker = lend_checker(self.config.verify_threads)
        self.pending: set = set()  # checks handed to the pool and not yet finished
        self.consistency = IncrementalConsistency(task.unknowns)
        self.claim_cache = ClaimCache(self.config.claim_cache_dir)
        self._task_claims = [(TASK, f) for f in task.constraint_formulas]
        self._join_claims: dict[str, tuple[int, list[tuple[str, Formula]]]] = {}
        # _joined_groups, last time: (valid joins read, groups, claims, joins withdrawn then)
        self._joins_seen: tuple = (0, [], list(self._task_claims), 0)
        # read once per run: isinstance against a runtime_checkable Protocol is slow per attempt
        self.racing = has_methods(engine.worker, "lineup", "settled")  # the RacingWorker Protocol
        self.own_loop = False  # the event loop serves this run alone (run_sync): see _loop_idle
        self.deadline: float | None = None  # perf_counter() when the run budget ends (`_left`)
        self.settling: _Fork | None = None  # the fork whose attempt the organizer waits for
        self.runners: set[asyncio.Task] = set()  # forks' background attempts not yet finished

    def close(self) -> None:
        self.trace.close()
        self.ledger.flush()
        clean = not any(not f.done() for f in list(self.pending))
        take_back(self.checker, self.config.verify_threads, clean=clean)
        if clean:  # else a check may still hold the solver: let it go with the run
            self.consistency.close()

    def _loop_idle(self, fork: _Fork | None = None) -> bool:
        """True when a check may run on the event loop's thread: the loop serves this run alone,
        no check is in flight, and no fork's worker runs but `fork`'s (whose check this is, and
        whose result the organizer is waiting for). Then nothing could use the loop while the
        check runs, and a hop to a checker thread would only add two thread wake-ups (far more
        than the check itself for the small ones, and more still on a busy machine)."""
        if not self.own_loop or any(not f.done() for f in self.pending):
            return False
        if fork is not None and self.settling is not fork:
            return False
        mine = fork.runner if fork is not None else None
        return all(t is mine or t.done() for t in self.runners)

    def _start_runner(self, fork: _Fork) -> asyncio.Task:
        """Start the fork's attempts in the background (tracked for `_loop_idle`)."""
        runner = asyncio.create_task(self._run_fork(fork), name=f"fork-{fork.fork_id}")
        self.runners.add(runner)
        runner.add_done_callback(self.runners.discard)
        return runner

    async def _off_loop(self, timing: str, function, *args, _for: _Fork | None = None, **kwargs):
        """Run a blocking check on the checker threads (on this thread when `_loop_idle(_for)`:
        see there), adding its duration to `timings`."""
        started = time.perf_counter()
        if self._loop_idle(_for):
            try:
                return function(*args, **kwargs)
            finally:
                self.timings[timing] += time.perf_counter() - started
        future = self.checker.submit(functools.partial(function, *args, **kwargs))
        self.pending.add(future)
        try:
            return await asyncio.wrap_future(future)
        finally:
            if future.done():  # else cancelled while it runs: close() sees it
                self.pending.discard(future)
            self.timings[timing] += time.perf_counter() - started

    # ------------------------------------------------------------ the organizer loop

    def _left(self, seconds: float) -> float:
        """`seconds` for one check, cut to what is left of the run budget (at least MIN_CHECK_S):
        a check runs unbroken (no signals), so one begun near the end, or the final consistency
        check after the budget ran out, took its whole budget past it (3 s runs took 13 s).
        A cut budget is rounded down to 1, 2 or 5 times a power of ten: the claim cache keys
        an obligation by its budget, and a budget cut to the microsecond never hit it again."""
        if self.deadline is None:
            return seconds
        left = self.deadline - time.perf_counter()
        return seconds if left >= seconds else max(_step_down(left), MIN_CHECK_S)

    async def execute(self) -> RunResult:
        self.deadline = time.perf_counter() + self.config.run_budget_s
        try:
            async with asyncio.timeout(self.config.run_budget_s):
                await self._organize()
        except TimeoutError:
            self.message = f"the run budget of {self.config.run_budget_s:g} s ran out"
        await self._cancel_all("the run ended")
        return await self._result()

    async def _organize(self) -> None:
        context = self.task.text.rstrip() + "\n"
        for turn in range(self.config.max_turns):
            reply, context = await self._turn(context, turn)
            if reply is None:
                return
            context += reply
        self.message = f"the organizer used all {self.config.max_turns} turns without a final answer"

    async def _turn(self, context: str, turn: int) -> tuple[str | None, str]:
        """One organizer turn; returns (reply to append or None when the run is over, context).

        The turn runs its tags in order and ends at the first one that needs a reply (a join, an
        answer, a format error). The context keeps the turn's text only up to the end of the
        last tag that ran; tags after it did not run, so they are cut and answered with a format
        error (the organizer never sees a fork that was not dispatched)."""
        turn_chars = 0
        parts: list[str] = []
        self._ran_to = 0  # end (in this turn's text) of the last event that ran
        scanner = ProtocolScanner(max_block_chars=MAX_BLOCK_CHARS)
        stream = self.engine.organizer.stream(context, seed=_seed_for(self.config.seed, "organizer", turn))
        try:
            async for chunk in stream:
                try:
                    text, tokens, steps = chunk_work(chunk)
                except InvalidArgument as exc:
                    reply = self._organizer_error(str(exc)) + self._unrun(parts, "the bad chunk")
                    return reply, self._cut(context, parts)
                parts.append(text)
                turn_chars += len(text)
                self.organizer_tokens += tokens
                self.organizer_steps += steps
                if turn_chars > MAX_TURN_CHARS:
                    reply = self._organizer_error(f"the turn is longer than {MAX_TURN_CHARS} characters")
                    return reply + self._unrun(parts, "the length limit"), self._cut(context, parts)
                for event, end in scanner.feed_spans(text):
                    await self._run_event(event, end)
            for event, end in scanner.close_spans():
                await self._run_event(event, end)
        except _Interrupt as interrupt:
            if self.answer is not None:
                return None, self._cut(context, parts)
            return interrupt.reply + self._unrun(parts, interrupt.tag), self._cut(context, parts)
        except (asyncio.CancelledError, TimeoutError):
            raise
        except Exception as exc:  # noqa: BLE001 - a broken organizer ends its turn, not the run
            reply = self._organizer_error(f"the organizer raised {type(exc).__name__}: {exc}")
            return reply + self._unrun(parts, "the error"), self._cut(context, parts)
        finally:
            await _close_stream(stream)
        context += "".join(parts)
        if self.answer is not None:
            return None, context
        if turn_chars == 0:  # nothing more to say: asking again would only repeat this max_turns times
            self.message = "the organizer ended without a final answer (an empty turn)"
            return None, context
        return self._organizer_error("the organizer stopped without <ANSWER>...</ANSWER>"), context

    async def _run_event(self, event, end: int) -> None:
        """Run one organizer event; `end` is where its text ends in the turn."""
        try:
            await self._on_event(event)
        except _Interrupt as interrupt:
            self._ran_to = end
            interrupt.tag = _tag_name(event)
            raise
        self._ran_to = end

    def _cut(self, context: str, parts: list[str]) -> str:
        """The context plus this turn's text up to the end of the last event that ran."""
        return context + "".join(parts)[: self._ran_to]

    def _unrun(self, parts: list[str], after: str) -> str:
        """A format error for the tags of this turn after `after` (they did not run), or ""."""
        rest = "".join(parts)[self._ran_to :]
        if "<" not in rest:  # every tag starts with "<": plain text holds nothing that did not run
            return ""
        unrun = [e for e in parse_protocol(rest) if not isinstance(e, ProtocolText)]
        if not unrun:
            return ""
        what = [_unrun_text(e) for e in unrun[:5]] + ([f"{len(unrun) - 5} more"] if len(unrun) > 5 else [])
        return self._organizer_error(
            f"the turn ended at {after}, so what followed did not run: {'; '.join(what)}"
        )

    def _organizer_error(self, message: str) -> str:
        self.trace.add(FormatErrorEvent, message=message, **self._take_work())
        return f"\n[format error: {message}]\n"

    def _take_work(self) -> dict[str, int]:
        """The organizer's tokens and steps since its last event, as event fields; resets them."""
        work = {"organizer_tokens": self.organizer_tokens, "organizer_steps": self.organizer_steps}
        self.organizer_tokens = self.organizer_steps = 0
        return work

    def _take_tokens(self) -> int:
        """The organizer's model tokens since its last event (its steps stay for the next event;
        `_take_work` takes both)."""
        tokens, self.organizer_tokens = self.organizer_tokens, 0
        return tokens

    async def _on_event(self, event) -> None:
        match event:
            case ProtocolText():
                return
            case Fork(fork_id, query):
                error = self._fork(fork_id, query)
                if error:
                    raise _Interrupt(self._organizer_error(error))
            case Join(fork_id):
                raise _Interrupt(await self._join(fork_id))
            case Answer(text):
                raise _Interrupt(await self._answer(text) or "")
            case Return():
                raise _Interrupt(
                    self._organizer_error("<RETURN> is for workers; the organizer ends with <ANSWER>")
                )
            case FormatError(message, offset):
                raise _Interrupt(self._organizer_error(f"{message} (at character {offset} of this turn)"))

    # ------------------------------------------------------------ forks and attempts

    def _fork(self, fork_id: int, query: str) -> str | None:
        if fork_id in self.forks:
            return f"fork {fork_id} already exists; use a new id"
        if len(self.outstanding) >= self.config.capacity:
            busy = ", ".join(map(str, sorted(self.outstanding)))
            return f"the pool is full ({self.config.capacity} forks outstanding: {busy}); join one first"
        after = self.graph.joins_snapshot()  # one tuple shared until the next join: no copy
        fork = _Fork(fork_id, query.strip(), after)
        self.forks[fork_id] = fork
        self.outstanding.add(fork_id)
        self.trace.add(ForkEvent, fork_id=fork_id, query=_one_line(query), **self._take_work())
        self.ledger.add(
            f"f{fork_id}",
            _one_line(query, 120) or "(empty query)",
            criterion="claims proved and consistent",
            parent="task",
        )
        fork.runner = self._start_runner(fork)
        return None

    async def _run_fork(self, fork: _Fork) -> AttemptOutcome | None:
        """Attempts of `fork` until one is accepted or `max_attempts` are used; None if failed."""
        while fork.attempts < self.config.max_attempts:
            fork.attempts += 1
            number = fork.attempts
            if number > 1:
                self.trace.add(
                    RedispatchEvent,
                    fork_id=fork.fork_id,
                    attempt=number,
                    feedback=_one_line(fork.feedback[-1]),
                )
                self.ledger.retry(f"f{fork.fork_id}", note=fork.feedback[-1].splitlines()[0])
            else:
                self.ledger.start(f"f{fork.fork_id}")
            joins = fork.after_joins
            if number > 1:  # a re-dispatch cannot build on joins withdrawn since the fork
                joins = tuple(j for j in joins if self.graph.is_valid_join(j))
            node = self.graph.add_fork(fork.fork_id, fork.query, after_joins=joins)
            fork.running_attempt = number
            outcome = await self._attempt(fork, number, node)
            fork.running_attempt = None
            fork.outcome = outcome
            if outcome.accepted:
                return outcome
            self._reject(fork, outcome, outcome.reason)
            self.graph.invalidate(outcome.node, reason=f"rejected: {_one_line(outcome.reason)}")
            if outcome.final:
                break
        self._fail(fork)
        return None

    def _reject(self, fork: _Fork, outcome: AttemptOutcome, reason: str, at_join: int | None = None) -> None:
        self.trace.add(
            RejectionEvent,
            fork_id=fork.fork_id,
            attempt=outcome.attempt,
            reason=_one_line(reason),
            at_join=at_join,
        )
        lines = [f"attempt {outcome.attempt} was rejected: {reason}"]
        lines += [
            f"rejected claim: {c.text}" for c in outcome.checks if c.formula is not None or c.role == "domain"
        ]
        fork.feedback.append("\n".join(lines))
        self.ledger.reject(f"f{fork.fork_id}", _one_line(reason, 160))

    def _fail(self, fork: _Fork) -> None:
        fork.failed = True
        last = fork.feedback[-1].splitlines()[0] if fork.feedback else ""
        self.ledger.fail(f"f{fork.fork_id}", f"{fork.attempts} attempt(s); last: {_one_line(last, 160)}")

    async def _attempt(self, fork: _Fork, number: int, node: str) -> AttemptOutcome:
        request = WorkerRequest(
            fork_id=fork.fork_id,
            attempt=number,
            query=fork.query,
            task=self.task,
            feedback=tuple(fork.feedback),
            ledger=self.ledger.render(),
            seed=_seed_for(self.config.seed, "worker", fork.fork_id, number),
        )
        if self.racing:
            return await self._race_attempt(fork, number, node, request)
        state = {"tokens": 0, "steps": 0}
        try:
            async with asyncio.timeout(self.config.worker_timeout_s):
                body = await self._read_return(request, state)
        except TimeoutError:
            body = f"the worker gave no <RETURN> within {self.config.worker_timeout_s:g} s"
            return self._finish_failed(fork, number, node, body, state)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a crashing worker fails its attempt, not the run
            return self._finish_failed(
                fork, number, node, f"the worker raised {type(exc).__name__}: {exc}", state
            )
        if isinstance(body, _NoReturn):
            return self._finish_failed(fork, number, node, body.reason, state)
        self.trace.add(WorkerTokensEvent, fork_id=fork.fork_id, attempt=number, final=True, **state)
        # One hop to the checker thread: the sub-query test, then (when it passes) the checks.
        missing, checked = await self._off_loop(
            "verify_s",
            _vet_then_check,
            self.claim_cache,
            self.task,
            fork.query,
            body,
            self._left(self.config.verify_budget_s),
            _for=fork,
        )
        if missing is not None:  # rejected before verification: a true claim may answer nothing
            return AttemptOutcome(fork.fork_id, number, node, False, reason=missing, return_text=body)
        checks, notes = checked
        for check in checks:
            self.trace.add(
                VerdictEvent,
                fork_id=fork.fork_id,
                attempt=number,
                claim=_one_line(check.text),
                status=check.verdict.status.value,
                cached=self.claim_cache.was_hit(check),
            )
        outcome = AttemptOutcome(fork.fork_id, number, node, False, return_text=body, checks=checks)
        for check in checks:
            if check.formula is not None or check.role == "domain":
                self.graph.add_claim(node, check.text, check.formula, check.verdict, role=check.role)
        bad = [c for c in checks if c.verdict.status in (Status.REFUTED, Status.INVALID)]
        if bad:
            outcome.reason = "; ".join(c.describe() for c in bad[:3])
            outcome.final = any(c.final for c in bad)
        elif self.task.require_claims and not any(c.accepted for c in checks):
            unknown = [c.describe() for c in checks][:3]
            outcome.reason = "no claim was proved" + (
                f" ({'; '.join(unknown)})" if unknown else " (the RETURN holds no claim line)"
            )
        else:
            outcome.accepted = True
            outcome.reason = "; ".join(notes)
        return outcome

    # ------------------------------------------------------------ races (reasoning.engine._racing)

    async def _race_attempt(
        self, fork: _Fork, number: int, node: str, request: WorkerRequest
    ) -> AttemptOutcome:
        """One attempt run by every entrant the racing worker names: the first verified result
        is taken and the others are cancelled; with no verified result, the first accepted one;
        with none, the attempt is rejected with every entrant's reason."""
        worker = self.engine.worker
        lineup = worker.lineup(request)
        runs = [Contender(e) for e in lineup.entrants if isinstance(e, Entrant)]
        self.trace.add(
            RouteEvent,
            fork_id=fork.fork_id,
            attempt=number,
            workers=",".join(c.entrant.label for c in runs),
            why=_one_line(lineup.why, 300),
        )
        results: list[ContestResult] = []
        try:
            if not runs:
                return self._finish_failed(fork, number, node, "the racing worker named no worker", 0)
            winner, _, order = await first_to_win(
                [self._contend(c, request, fork.query) for c in runs], lambda c: c.verified
            )
            chosen = winner if winner is not None else next((i for i in order if runs[i].accepted), None)
            taken = chosen if chosen is not None else order[-1]
            results = self._record_contest(fork, number, runs, order, chosen, taken, winner is not None)
            race = race_note(results) if len(runs) > 1 else ""
            if chosen is not None:
                return self._contender_outcome(fork, number, node, runs[chosen], race)
            return self._rejected_race(fork, number, node, [runs[i] for i in order], runs[taken])
        finally:
            if not results:  # cancelled as a whole (the run ended, the fork was withdrawn)
                results = [c.result("cancelled") for c in runs]
            worker.settled(request, results)

    async def _contend(self, run: Contender, request: WorkerRequest, query: str) -> Contender:
        """One entrant's run: its RETURN within the worker timeout, then its checks (as in
        `_attempt`); `run` is filled in as it goes, so a cancelled run still shows its work.
        It starts after the entrant's `delay_s`: cancelled before that, it never ran."""
        if run.entrant.delay_s > 0:
            await asyncio.sleep(run.entrant.delay_s)
        run.started = True
        started = time.perf_counter()
        try:
            try:
                async with asyncio.timeout(self.config.worker_timeout_s):
                    body = await self._read_return(request, run.state, worker=run.entrant.worker)
            except TimeoutError:
                body = _NoReturn(f"the worker gave no <RETURN> within {self.config.worker_timeout_s:g} s")
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a crashing entrant loses, the run goes on
                body = _NoReturn(f"the worker raised {type(exc).__name__}: {exc}")
            if isinstance(body, _NoReturn):
                run.reason = body.reason
            else:
                run.body = body
                missing, checked = await self._off_loop(
                    "verify_s",
                    _vet_then_check,
                    self.claim_cache,
                    self.task,
                    query,
                    body,
                    self._left(self.config.verify_budget_s),
                )
                run.judge(self.task, missing, checked)
            run.finished = True
            return run
        finally:
            run.elapsed_s = time.perf_counter() - started

    def _record_contest(
        self,
        fork: _Fork,
        number: int,
        runs: list[Contender],
        order: list[int],
        chosen: int | None,
        taken: int,
        won: bool,
    ) -> list[ContestResult]:
        """One contest event per entrant (finished ones in finish order, then the cancelled)."""
        results = []
        for i in [*order, *(i for i in range(len(runs)) if i not in order)]:
            run = runs[i]
            if i == chosen:
                outcome = "won" if won else "accepted"
            elif not run.finished:
                outcome = "cancelled"
            else:
                outcome = "lost" if run.accepted else "rejected"
            result = run.result(outcome)
            results.append(result)
            self.trace.add(
                ContestEvent,
                fork_id=fork.fork_id,
                attempt=number,
                worker=result.label,
                worker_kind=result.kind,
                outcome=outcome,
                elapsed_s=round(result.elapsed_s, 6),
                tokens=result.tokens,
                steps=result.steps,
                proved=result.proved,
                rejected=result.rejected,
                reason=_one_line(result.reason, 300),
                taken=i == taken,
            )
        return results

    def _contender_outcome(
        self, fork: _Fork, number: int, node: str, run: Contender, race: str
    ) -> AttemptOutcome:
        """The attempt's outcome from the entrant it took: its work, verdicts and claims."""
        self.trace.add(WorkerTokensEvent, fork_id=fork.fork_id, attempt=number, final=True, **run.state)
        if run.body is None or run.missing is not None:
            return AttemptOutcome(
                fork.fork_id, number, node, False, reason=run.reason, return_text=run.body or "", race=race
            )
        for check in run.checks:
            self.trace.add(
                VerdictEvent,
                fork_id=fork.fork_id,
                attempt=number,
                claim=_one_line(check.text),
                status=check.verdict.status.value,
                cached=self.claim_cache.was_hit(check),
            )
            if check.formula is not None or check.role == "domain":
                self.graph.add_claim(node, check.text, check.formula, check.verdict, role=check.role)
        return AttemptOutcome(
            fork.fork_id,
            number,
            node,
            run.accepted,
            reason=run.reason,
            return_text=run.body,
            checks=list(run.checks),
            final=run.final,
            race=race,
        )

    def _rejected_race(
        self, fork: _Fork, number: int, node: str, finished: list[Contender], taken: Contender
    ) -> AttemptOutcome:
        """Every entrant was rejected: the attempt ends with the last one's work (it waited for
        it), every entrant's claims (so the feedback shows each one's counterexamples) and every
        reason."""
        outcome = self._contender_outcome(fork, number, node, taken, "")
        outcome.checks = [c for run in finished for c in run.checks]
        if len(finished) > 1:
            outcome.reason = "; ".join(f"{run.entrant.label}: {run.reason}" for run in finished)
        outcome.final = any(run.final for run in finished)
        outcome.accepted = False
        return outcome

    def _finish_failed(
        self, fork: _Fork, number: int, node: str, reason: str, work: dict[str, int] | int
    ) -> AttemptOutcome:
        """A failed attempt; `work` is its {"tokens", "steps"} so far (or its tokens alone)."""
        fields = work if isinstance(work, dict) else {"tokens": work}
        self.trace.add(WorkerTokensEvent, fork_id=fork.fork_id, attempt=number, final=True, **fields)
        return AttemptOutcome(fork.fork_id, number, node, False, reason=reason)

    async def _read_return(self, request: WorkerRequest, state: dict, worker=None) -> str | _NoReturn:
        scanner = ProtocolScanner(max_block_chars=MAX_BLOCK_CHARS)
        stream = (worker or self.engine.worker).stream(request)
        try:
            async for chunk in stream:
                text, tokens, steps = chunk_work(chunk)
                state["tokens"] += tokens
                state["steps"] += steps
                for event in scanner.feed(text):
                    if isinstance(event, Return):
                        return event.text
                    self._worker_event(request, event)
            for event in scanner.close():
                if isinstance(event, Return):
                    return event.text
                self._worker_event(request, event)
        finally:
            await _close_stream(stream)
        return _NoReturn("the worker's text has no <RETURN>...</RETURN> block")

    def _worker_event(self, request: WorkerRequest, event) -> None:
        if isinstance(event, ProtocolText):
            return
        if isinstance(event, FormatError):
            message = event.message
        else:
            message = f"workers cannot use {type(event).__name__.upper()} tags; ignored"
        self.trace.add(FormatErrorEvent, message=message, fork_id=request.fork_id, attempt=request.attempt)

    # ------------------------------------------------------------ joins

    async def _join(self, fork_id: int) -> str:
        requested_t = self.trace.now()
        work = self._take_work()
        fork = self.forks.get(fork_id)
        if fork is None or fork_id not in self.outstanding:
            why = "was never forked" if fork is None else "is already joined"
            message = f"<JOIN-{fork_id}>: fork {fork_id} {why}"
            self.trace.add(FormatErrorEvent, message=message, **work)
            return f"\n[format error: {message}]\n"
        self.outstanding.discard(fork_id)
        outcome = await self._settle(fork)
        if outcome is None:
            self._record_failed_join(fork, requested_t, work)
            return f"\n[fork {fork_id} failed after {fork.attempts} attempt(s); last rejection: {fork.feedback[-1] if fork.feedback else 'none'}]\n"
        notes: list[str] = []
        self._record_join(fork, outcome)
        report = await self._consistency()
        blamed = self._blame(report)
        if report.status is Consistency.UNKNOWN:
            return self._hold_unverified(fork, outcome, report, requested_t, work)
        conflict = blamed == outcome.node
        if conflict:
            self.joins[-1]["status"] = "conflict"
        self.trace.add(
            JoinEvent,
            fork_id=fork_id,
            attempt=outcome.attempt,
            requested_t=requested_t,
            status="conflict" if conflict else "accepted",
            **work,
        )
        await self._resolve_conflicts(report, blamed, fork_id, notes)
        return self._join_text(fork, notes)

    def _hold_unverified(
        self,
        fork: _Fork,
        outcome: AttemptOutcome,
        report: ConsistencyReport,
        requested_t: float,
        work: dict[str, int],
    ) -> str:
        """A join whose joint consistency is unknown is not accepted: the attempt is held as
        unverified, its claims leave the accepted set (so no answer can rest on them), and the
        organizer is told."""
        why = f"the joint consistency of its claims with the joined ones is unknown ({_one_line(report.message, 160)})"
        self.joins[-1]["status"] = "unverified"
        fork.joined = False
        self.graph.invalidate(outcome.node, reason=f"unverified: {why}")
        self.ledger.set_status(f"f{fork.fork_id}", "unverified", note=why)
        self.trace.add(
            JoinEvent,
            fork_id=fork.fork_id,
            attempt=outcome.attempt,
            requested_t=requested_t,
            status="unverified",
            **work,
        )
        lines = [
            f"[fork {fork.fork_id}, attempt {outcome.attempt}: unverified: {why}; its claims are not used]"
        ]
        lines += [f"{c.text}   # unverified" for c in outcome.checks]
        return "\n" + "\n".join(lines) + "\n"

    def _blame(self, report: ConsistencyReport) -> str | None:
        """The attempt to withdraw for `report` (None when consistent), recorded with the report
        in the newest join entry: the fewest re-dispatches, then the attempt joined last."""
        last = self.graph.last_valid_join()
        joined_last = self.graph.graph.nodes[last]["attempt"] if last is not None else None
        blamed = self.graph.blame(report, prefer=joined_last)
        self.joins[-1]["consistency"] = {**report.to_json(), "blame": blamed}
        return blamed

    def _record_failed_join(self, fork: _Fork, requested_t: float, work: dict[str, int] | None) -> None:
        self.trace.add(
            JoinEvent,
            fork_id=fork.fork_id,
            attempt=fork.attempts,
            requested_t=requested_t,
            status="failed",
            **(work or {}),
        )
        self.joins.append(
            {"fork_id": fork.fork_id, "attempt": None, "join": None, "status": "failed", "consistency": None}
        )

    async def _settle(self, fork: _Fork) -> AttemptOutcome | None:
        """Wait for the fork's background attempts; None when it failed."""
        if fork.runner is not None:
            self.settling = fork
            try:
                outcome = await fork.runner
            finally:
                self.settling = None
            fork.runner = None
            if outcome is None:
                return None
        return (
            fork.outcome if fork.outcome is not None and fork.outcome.accepted and not fork.failed else None
        )

    def _record_join(self, fork: _Fork, outcome: AttemptOutcome) -> str:
        join = self.graph.add_join(fork.fork_id)
        fork.joined = True
        self.joins.append(
            {
                "fork_id": fork.fork_id,
                "attempt": outcome.node,
                "join": join,
                "status": "accepted",
                "consistency": None,
            }
        )
        race = f"; {outcome.race}" if outcome.race else ""
        self.ledger.done(f"f{fork.fork_id}", note=f"joined attempt {outcome.attempt}{race}")
        return join

    async def _consistency(self) -> ConsistencyReport:
        """Joint consistency of the task's constraints and every accepted claim: the run's
        incremental solver decides `sat`; `check_claims` from scratch decides the rest (its
        tracked assumptions give the unsat core)."""
        groups, claims = self._joined_groups()
        budget = self._left(self.config.consistency_budget_s)
        report = await self._off_loop("consistency_s", self.consistency.check, claims, budget_s=budget)
        if report is not None:
            return report
        # from scratch, in the graph's claim order, so the unsat core is the one it always was
        claims = [
            *self._task_claims,
            *(pair for _, pairs in sorted(groups, key=lambda g: g[0]) for pair in pairs),
        ]
        ranks = {a: self.graph.order(a) for a in self.graph.attempts()}
        ranks[TASK] = 0
        return await self._off_loop(
            "consistency_s", check_claims, self.task.unknowns, claims, order=ranks, budget_s=budget
        )

    def _joined_groups(self) -> tuple[list, list[tuple[str, Formula]]]:
        """(groups, claims): per valid join, in join order, (order, [(attempt, formula)]) for
        the claims of `graph.accepted_claims()` that have a formula (`order`: the attempt's
        first claim's, by which the graph lists claims); and the task's constraints followed by
        all those pairs. A join's claims never change and an invalidated attempt loses its
        joins, so each join is read once, and a join after the last costs O(its claims)."""
        formulas = getattr(self.graph, "claim_formulas", None)
        if formulas is None:  # the graph changed shape: take the slow, sure way
            pairs = [(c.attempt, c.formula) for c in self.graph.accepted_claims() if c.formula is not None]
            return [(0, pairs)], [*self._task_claims, *pairs]
        withdrawn, count = self.graph.join_state()
        known, groups, claims, seen_withdrawn = self._joins_seen
        if withdrawn != seen_withdrawn:  # a join was withdrawn: start again from what is known
            joins = self.graph.valid_joins()
            kept = [j for j in joins if j in self._join_claims]
            groups = [self._join_claims[j] for j in kept]
            claims = [*self._task_claims, *(pair for _, pairs in groups for pair in pairs)]
            known, new = len(kept), joins[len(kept) :]
        else:  # only joins added since: the valid joins then are a prefix of the valid joins now
            new = self.graph.newest_valid_joins(count - known)
        # in place: the lists are this run's own (the consistency checker copies what it keeps)
        for join in new:
            group = self._join_claims.get(join)
            if group is None:
                group = self._join_claims[join] = self._claims_of_join(join, formulas)
            groups.append(group)
            claims += group[1]
        self._joins_seen = (known + len(new), groups, claims, withdrawn)
        return groups, claims

    def _claims_of_join(self, join: str, formulas: dict) -> tuple[int, list[tuple[str, Formula]]]:
        nodes = self.graph.graph.nodes
        attempt = nodes[join]["attempt"]
        claims = self.graph._claims_of(attempt)  # the attempt's claims, in issue order
        accepted = [c for c in claims if nodes[c]["valid"] and nodes[c]["status"] in (None, "proved")]
        pairs = [(attempt, formulas[c]) for c in accepted if formulas.get(c) is not None]
        return (nodes[claims[0]]["order"] if claims else 0, pairs)

    async def _resolve_conflicts(
        self, report: ConsistencyReport, blamed: str | None, at_join: int, notes: list[str]
    ) -> None:
        """Withdraw one attempt of each unsat core (`blamed`, chosen by `_blame`: the fewest
        re-dispatches, preferring the attempt joined last) until the joined claims are
        consistent. Only the withdrawn attempt and the attempts that use its claims (its
        descendants in the causal graph) are re-dispatched."""
        while blamed is not None:
            if blamed == TASK:
                notes.append("the task's own constraints cannot all hold")
                self.joins[-1]["status"] = "task-inconsistent"
                return
            data = self.graph.graph.nodes[blamed]
            fork = self.forks[data["fork_id"]]
            others = [a for a in report.core if a not in (blamed, TASK)]
            reason = f"its claims conflict with {', '.join(others) or 'the task'}"
            outcome = fork.outcome
            assert outcome is not None and outcome.node == blamed
            self._reject(fork, outcome, reason, at_join=at_join)
            self.joins.append(
                {
                    "fork_id": fork.fork_id,
                    "attempt": blamed,
                    "join": None,
                    "status": "rejected",
                    "consistency": None,  # the entry before this one holds the unsat core
                    "core": list(report.core),
                }
            )
            uses = {n: self.graph.uses(n) for n in self.graph.descendants_of(blamed)}
            invalidated = self.graph.invalidate(blamed, reason=reason)
            notes.append(f"fork {fork.fork_id} (attempt {outcome.attempt}) was withdrawn: {reason}")
            dependents: dict[int, str] = {}
            for node in invalidated[1:]:  # one restart per fork, however many attempts it had
                why = "; ".join(r for rs in uses.get(node, {}).values() for r in rs) or "it builds on them"
                dependents.setdefault(self.graph.graph.nodes[node]["fork_id"], why)
            for fork_id, why in dependents.items():
                await self._restart(
                    self.forks[fork_id],
                    f"it used the claims of {blamed}, which were withdrawn ({why})",
                    notes,
                )
            await self._redo(fork, at_join, notes)
            report = await self._consistency()
            blamed = self._blame(report)

    async def _stop(self, fork: _Fork, reason: str) -> bool:
        """Cancel the fork's background attempts if they still run; True when it did."""
        if fork.runner is None or fork.runner.done():
            return False
        fork.runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await fork.runner
        if fork.running_attempt is not None:
            self.trace.add(CancelEvent, fork_id=fork.fork_id, attempt=fork.running_attempt, reason=reason)
            fork.running_attempt = None
        return True

    async def _restart(self, fork: _Fork, reason: str, notes: list[str]) -> None:
        """An invalidated fork: stop what it runs, then re-dispatch it (re-joined if it was joined)."""
        if fork.failed:
            return
        await self._stop(fork, _one_line(reason))
        fork.feedback.append(f"attempt {fork.attempts} was invalidated: {reason}")
        self.ledger.invalidate(f"f{fork.fork_id}", _one_line(reason, 160))
        notes.append(f"fork {fork.fork_id} was invalidated: {reason}")
        if fork.joined:
            fork.joined = False
            await self._redo(fork, None, notes)
        else:
            fork.outcome = None
            fork.runner = self._start_runner(fork)

    async def _redo(self, fork: _Fork, at_join: int | None, notes: list[str]) -> None:
        """Re-dispatch a withdrawn fork now and re-join it when an attempt is accepted."""
        fork.joined = False
        fork.outcome = None
        requested_t = self.trace.now()
        outcome = await self._run_fork(fork)
        if outcome is None:
            notes.append(f"fork {fork.fork_id} failed after {fork.attempts} attempt(s)")
            self._record_failed_join(fork, requested_t, None)
            return
        self._record_join(fork, outcome)
        self.trace.add(
            JoinEvent,
            fork_id=fork.fork_id,
            attempt=outcome.attempt,
            requested_t=requested_t,
            status="rejoined",
        )
        notes.append(_verified_block(outcome, "verified, re-joined"))

    def _join_text(self, fork: _Fork, notes: list[str]) -> str:
        lines = []
        outcome = fork.outcome
        if fork.failed or outcome is None:
            lines.append(f"[fork {fork.fork_id} failed after {fork.attempts} attempt(s)]")
        else:
            lines.append(_verified_block(outcome, "verified"))
        lines += [note if note.startswith("[fork") and "\n" in note else f"[{note}]" for note in notes]
        return "\n" + "\n".join(lines) + "\n"

    # ------------------------------------------------------------ the answer

    async def _answer(self, text: str) -> str | None:
        self.answer_attempts += 1
        check = await self._off_loop(
            "answer_s",
            check_answer,
            self.task,
            text.strip(),
            budget_s=self._left(self.config.verify_budget_s),
        )
        self.trace.add(AnswerEvent, text=_one_line(text), status=check.status.value, **self._take_work())
        final = check.proved or self.answer_attempts >= self.config.max_answer_attempts
        if not final:
            return f"\n[answer rejected ({check.status.value}): {check.message}; {self.config.max_answer_attempts - self.answer_attempts} attempt(s) left]\n"
        self.answer = check.text  # the checked claim lines; `#` notes stay in check.notes
        self.answer_check = check
        self.graph.add_answer(self.answer)
        self.message = check.message
        if check.proved:
            self.ledger.done("task", note="answer proved")
        else:
            self.ledger.fail("task", f"answer {check.status.value}: {check.message}")
        await self._cancel_all("the answer is final")
        return None

    async def _cancel_all(self, reason: str) -> None:
        for fork in self.forks.values():
            if await self._stop(fork, reason):
                self.ledger.set_status(f"f{fork.fork_id}", "failed", note=f"cancelled: {reason}")

    # ------------------------------------------------------------ the result

    async def _result(self) -> RunResult:
        final = await self._consistency()
        status = self.answer_check.status if self.answer_check else Status.UNKNOWN
        # An answer may rest on the joined claims only when they are consistent together; a core
        # of the task's constraints alone says the task has no solution, which an answer may prove.
        task_alone = final.status is Consistency.INCONSISTENT and set(final.core) == {TASK}
        if status is Status.PROVED and not final.consistent and not task_alone:
            status = Status.UNKNOWN
            self.message = f"the answer's checks passed, but the joined claims are {final.status.value} together: {final.message}"
            self.ledger.fail("task", self.message)
        if self.answer is None and not self.message:
            self.message = "no final answer"
        if self.answer is None:
            self.ledger.fail("task", self.message)
        self.ledger.flush()
        metrics = compute_metrics(self.trace.events, self.config.capacity)
        result = RunResult(
            task=self.task,
            answer=self.answer,
            status=status,
            message=self.message,
            answer_check=self.answer_check,
            metrics=metrics,
            graph=self.graph,
            events=self.trace.events,
            joins=self.joins,
            final_consistency=final,
            ledger=self.ledger.render(),
            timings={k: round(v, 6) for k, v in self.timings.items()},
            run_dir=self.dir,
        )
        if self.dir is not None:
            result.bundle_path = write_run_files(
                result, self.dir, trace_and_ledger=not self.config.live_files
            )
        return result


def _verified_block(outcome: AttemptOutcome, label: str) -> str:
    """`[fork i, attempt n: <label>]` and one line per claim: `claim   # status (role)`."""
    lines = [f"[fork {outcome.fork_id}, attempt {outcome.attempt}: {label}]"]
    lines += [
        f"{c.text}   # {c.verdict.status.value}{f' ({c.role})' if c.role else ''}" for c in outcome.checks
    ]
    if not outcome.checks and outcome.return_text.strip():
        lines.append(_one_line(outcome.return_text, 2000))
    return "\n".join(lines)


@dataclass(frozen=True)
class _NoReturn:
    reason: str


async def _close_stream(stream: AsyncIterator) -> None:
    if getattr(stream, "ag_frame", True) is None:  # an async generator that ran to its end
        return  # is closed already: aclose() would only make and await a no-op
    closer = getattr(stream, "aclose", None)
    if closer is not None:
        # a plain try: contextlib.suppress builds a context manager on every turn
        try:  # noqa: SIM105
            await closer()
        except Exception:  # noqa: BLE001 - a stream that fails to close is closed enough
            pass
