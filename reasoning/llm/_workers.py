"""Workers and organizers that use a language model (`reasoning.llm.ModelBackend`).

LLMs propose; the verifier disposes. `LLMWorker` asks the model for a `<RETURN>` block of claims
in the domain's notation (or the claim language, for a plain task); the engine checks every
claim line and sends a rejected attempt back with the counterexample or parse error, which the
next prompt shows. `LLMOrganizer` asks the model to plan with `<FORK-i>`/`<JOIN-i>`/`<ANSWER>`.

Generation under grammars: when the backend can constrain (`supports_grammar`), the worker asks
the domain for the sub-query's grammar (`Domain.query_grammar`; for a plain task `evaluate: E`
gets `E = VALUE` and anything else one line of the claim grammar) and decodes under it, so every
reply parses. For a search-shaped sub-query (`Domain.proposer_prompt`, e.g. a Countdown search)
the model is a proposer (`reasoning.llm._proposer`): k samples in one batched call, every
candidate checked by the domain's own rules, only the proved ones returned. A backend that cannot
constrain gets the free-text path: the verifier parses and rejects.

A backend failure (unreachable server, HTTP error, timeout, garbage) is raised as a
`BackendError` whose message starts "model backend failed (KIND)"; the engine turns it into a
rejected attempt of that one fork with the message as feedback, never a failed run.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import AsyncIterator, Callable, Sequence

from reasoning.domains import Problem, get
from reasoning.domains._base import feedback_lines
from reasoning.domains.common._query_grammars import evaluate_grammar
from reasoning.engine._task import Task
from reasoning.engine._workers import Chunk, Tokens, WorkerRequest
from reasoning.errors import InvalidArgument
from reasoning.llm._base import BackendError, Delta, Message, ModelBackend, check_params
from reasoning.llm._grammar_dialect import bounded_organizer_grammar, claim_grammar, return_grammar
from reasoning.llm._proposer import Proposer

RETURN_OPEN, RETURN_CLOSE = "<RETURN>", "</RETURN>"
ANSWER_OPEN, ANSWER_CLOSE = "<ANSWER>", "</ANSWER>"
#: Protocol tags removed from text the worker wrote without a RETURN block before wrapping it.
_TAG = re.compile(r"</?(?:FORK|JOIN|RETURN|ANSWER)\b[^>\n]{0,62}>")

GENERIC_WORKER_PROMPT = """You answer one sub-query of a math task with claims that a checker verifies.
Write one claim per line inside <RETURN>...</RETURN>. Claims use exact numbers, + - * / ^,
relations = != < <= > >=, and `and`, `or`, `not`. A wrong claim is sent back to you.
A typed sub-query wants one form: `evaluate: E` wants `E = value` (that very E); `solve: ... for x`
wants `x = value`; `all: ... for x` wants one claim naming every solution, `x = 2 or x = -2`;
`prove: C` wants the claim C itself.
Example. Task: What is 3*8 + 2? Sub-query: evaluate: 3*8
<RETURN>
3*8 = 24
</RETURN>
Example. Task: find x (Int) with x + 3 = 10. Sub-query: solve: for x
<RETURN>
x = 7
</RETURN>"""

GENERIC_ORGANIZER_PROMPT = """You organize workers. Write only protocol tags:
<FORK-1>sub-query</FORK-1> gives a sub-query to worker 1 (sub-queries: `evaluate: EXPR`,
`solve: for x`, `all: CONSTRAINTS for x`, `prove: CLAIM`); <JOIN-1> waits for worker 1 and shows
its verified claims; end with <ANSWER>claims, one per line</ANSWER> in the form the Goal asks.
Example. Task: What is 3*8 + 2*5?
<FORK-1>evaluate: 3*8</FORK-1><FORK-2>evaluate: 2*5</FORK-2><JOIN-1>
[fork 1, attempt 1: verified]
3*8 = 24   # proved (closed)
<JOIN-2>
[fork 2, attempt 1: verified]
2*5 = 10   # proved (closed)
<ANSWER>3*8 + 2*5 = 34</ANSWER>"""


async def _close(stream) -> None:
    closer = getattr(stream, "aclose", None)
    if closer is not None:
        with contextlib.suppress(Exception):
            await closer()


async def _relay(stream: AsyncIterator[Delta], parts: list[str]) -> AsyncIterator[Chunk]:
    """The backend's deltas as `Tokens` chunks (their text also kept in `parts`). A BackendError
    comes out as "model backend failed (KIND): ..."; the backend stream is always closed."""
    try:
        async for delta in stream:
            if delta.text or delta.tokens:
                parts.append(delta.text)
                yield Tokens(delta.text, delta.tokens)
    except BackendError as exc:
        raise BackendError(
            f"model backend failed ({exc.kind}): {exc}", kind=exc.kind, retryable=exc.retryable
        ) from exc
    finally:
        await _close(stream)


def _check_common(max_tokens: int, temperature: float) -> None:
    check_params(max_tokens, (), temperature, 0)


def _task_lines(task: Task) -> list[str]:
    lines = [f"Task: {task.text.strip()}"]
    if task.unknowns:
        lines.append("Unknowns: " + ", ".join(f"{name} ({sort})" for name, sort in task.unknowns.items()))
    if task.constraints:
        lines.append("Constraints: " + "; ".join(task.constraints))
    if task.domain is None:
        lines.append(f"Goal: {task.goal.describe()} (answer: {_answer_form(task)})")
    return lines


def _answer_form(task: Task) -> str:
    """What an answer to the task's goal looks like (`reasoning.goals`), for the prompts."""
    goal = task.goal
    if goal.kind == "decide":
        return f"`{goal.claim}` or `not ({goal.claim})`"
    names = goal.asked(list(task.unknowns))
    each = ", ".join(f"{name} = value" for name in names)
    if goal.kind == "all":
        return f"one solution per line, each `{each}`, or `false` when there is none"
    return f"`{each}`, one per line" + ("; proved to be the only solution" if goal.unique else "")


def generic_worker_prompt(task: Task, query: str, feedback: Sequence[str] = ()) -> str:
    """The worker prompt of a plain engine task: the claim language, two examples, the task."""
    lines = [GENERIC_WORKER_PROMPT, *_task_lines(task), f"Sub-query: {query}", *feedback_lines(feedback)]
    return "\n".join(lines)


#: A worked example's answer: a RETURN block on lines of its own (not an inline mention).
_BLOCK = re.compile(r"(<RETURN>\n.*?\n</RETURN>)", re.S)
_EXAMPLE = re.compile(r"^Example\b[.:]?\s*", re.M)


def prompt_messages(prompt: str, query: str) -> list[dict[str, str]]:
    """A worker prompt as a few-shot chat: the instructions as the system message, each worked
    example as a user turn (its task and sub-query) and an assistant turn (its `<RETURN>`
    block), and the rest (the task, the sub-query, the feedback) as the last user turn.

    Small models follow examples given as earlier turns far better than examples quoted inside
    one long system message (measured on SmolLM2-135M-Instruct: see `LLMWorker`). A prompt
    without a `<RETURN>` example is one system message and one user turn.
    """
    parts = _BLOCK.split(prompt)
    texts, blocks = parts[0::2], parts[1::2]
    if not blocks:
        return [
            {"role": "system", "content": prompt.strip()},
            {"role": "user", "content": f"Sub-query: {query}"},
        ]
    messages: list[dict[str, str]] = []
    for i, block in enumerate(blocks):
        before = texts[i]
        starts = [m.start() for m in _EXAMPLE.finditer(before)]
        cut = starts[-1] if starts else (len(before) if i == 0 else 0)
        if i == 0:
            messages.append({"role": "system", "content": before[:cut].strip()})
        lead = _EXAMPLE.sub("", before[cut:], count=1).strip() if starts else before[cut:].strip()
        messages.append({"role": "user", "content": lead or "(the same task)"})
        messages.append({"role": "assistant", "content": block})
    last = texts[-1].strip()
    if f"Sub-query: {query}" not in last:
        last = f"{last}\nSub-query: {query}".strip()
    if "<RETURN>" not in last:
        last += "\nReply with <RETURN>...</RETURN>."
    if not messages[0]["content"]:
        messages[0]["content"] = "Answer each sub-query with claims inside <RETURN>...</RETURN>."
    messages.append({"role": "user", "content": last})
    return messages


class LLMWorker:
    """A worker that asks a model for a `<RETURN>` block (see the module docstring).

    Each attempt is one few-shot chat made from the domain's `worker_prompt(problem, query,
    feedback)` (or, for a plain task, `generic_worker_prompt`) by `prompt_messages`: the
    instructions as the system message, each worked example as a user/assistant exchange, then
    the task, the sub-query and, on a re-dispatch, the rejection (the counterexample or parse
    error) with "Fix it". `prompt(request)`, when given, returns the messages instead. Generation
    stops at `</RETURN>`; chunks are `Tokens` with the backend's token counts. A reply without
    `<RETURN>` is wrapped into one, so the verifier judges every line it wrote. Re-dispatches
    sample at `retry_temperature` (when higher than `temperature`), so a greedy model does not
    repeat its rejected answer word for word.

    Measured on SmolLM2-135M-Instruct (`evaluate: 7 + 5`, `evaluate: 3 * 8 + 2`): with the
    examples quoted inside one system message it wrote prose ("The answer is: 10"); with them as
    earlier turns it wrote `<RETURN>` blocks ("7 + 5 = 12").

    >>> from reasoning.llm._scripted import ScriptedBackend
    >>> worker = LLMWorker(ScriptedBackend(["<RETURN> 3*8 = 24 </RETURN>"]))
    """

    def __init__(
        self,
        backend: ModelBackend,
        *,
        max_tokens: int = 256,
        temperature: float = 0.0,
        retry_temperature: float = 0.7,
        prompt: Callable[[WorkerRequest], Sequence[Message]] | None = None,
        constrain: bool = True,
        proposer: Proposer | None = None,
    ) -> None:
        if not callable(getattr(backend, "stream", None)):
            raise InvalidArgument("backend must be a ModelBackend (with a stream method)")
        _check_common(max_tokens, temperature)
        _check_common(max_tokens, retry_temperature)
        if prompt is not None and not callable(prompt):
            raise InvalidArgument("prompt must be a function of the WorkerRequest returning messages")
        self.backend = backend
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.retry_temperature = retry_temperature
        self.prompt = prompt
        #: Decode under grammars (only when the backend supports them and no custom prompt is set).
        self.constrain = (
            bool(constrain) and bool(getattr(backend, "supports_grammar", False)) and prompt is None
        )
        self.proposer = proposer if proposer is not None else Proposer(backend)
        #: One dict per proposer call: fork, attempt, samples, distinct, verified, batches, ks, seconds.
        self.proposals: list[dict] = []

    @property
    def label(self) -> str:
        """How producers name this worker: `llm:<backend name>`."""
        return f"llm:{getattr(self.backend, 'name', 'model')}"

    def messages(self, request: WorkerRequest) -> list[dict[str, str]]:
        """The chat messages for one attempt."""
        if self.prompt is not None:
            return list(self.prompt(request))
        problem = request.task.problem
        if problem is not None:
            prompt = get(problem.domain).worker_prompt(problem, request.query, request.feedback)
        else:
            prompt = generic_worker_prompt(request.task, request.query, request.feedback)
        return prompt_messages(prompt, request.query)

    def grammar(self, request: WorkerRequest) -> str | None:
        """The grammar of one claim line answering this request's sub-query, or None."""
        problem = request.task.problem
        if problem is not None:
            return get(problem.domain).query_grammar(problem, request.query)
        match = re.fullmatch(r"\s*evaluate:\s*([^\n]+?)\s*", request.query)
        if match is not None and len(match.group(1)) <= 2_000:
            return evaluate_grammar(match.group(1))
        return claim_grammar()

    async def stream(self, request: WorkerRequest) -> AsyncIterator[Chunk]:
        """Stream the model's reply as `Tokens`, ending with `</RETURN>`; BackendError on failure."""
        if self.constrain:
            grammar = self.grammar(request)
            if grammar is not None:
                async for chunk in self._constrained(request, grammar):
                    yield chunk
                return
        temperature = self.temperature
        if request.attempt > 1:
            temperature = max(temperature, self.retry_temperature)
        parts: list[str] = []
        stream = self.backend.stream(
            self.messages(request),
            max_tokens=self.max_tokens,
            stop=(RETURN_CLOSE,),
            temperature=temperature,
            seed=request.seed + request.attempt,
        )
        async with contextlib.aclosing(_relay(stream, parts)) as chunks:
            async for chunk in chunks:
                yield chunk
        text = "".join(parts)
        if RETURN_OPEN in text:
            yield Tokens(RETURN_CLOSE, 0)
        else:
            yield Tokens(f"{RETURN_OPEN}\n{_TAG.sub('', text).strip()}\n{RETURN_CLOSE}", 0)

    async def _constrained(self, request: WorkerRequest, grammar: str) -> AsyncIterator[Chunk]:
        """The reply decoded under `grammar`: proposals for a search-shaped query, else one
        constrained generation of a `<RETURN>` block of grammar lines."""
        problem = request.task.problem
        if problem is not None:
            domain = get(problem.domain)
            messages = domain.proposer_prompt(problem, request.query)
            if messages is not None:
                yield await self._propose(request, domain, messages, grammar)
                return
        temperature = (
            self.temperature if request.attempt == 1 else max(self.temperature, self.retry_temperature)
        )
        block = 'start: "<RETURN>\\n" body "\\n</RETURN>"\n' + return_grammar(grammar).replace(
            "start:", "body:", 1
        )
        try:
            generation = await self.backend.generate(
                self.messages(request),
                max_tokens=self.max_tokens,
                temperature=temperature,
                seed=request.seed + request.attempt,
                grammar=block,
            )
        except BackendError as exc:
            raise BackendError(
                f"model backend failed ({exc.kind}): {exc}", kind=exc.kind, retryable=exc.retryable
            ) from exc
        text = generation.text
        if RETURN_CLOSE not in text:  # cut by max_tokens: close the block so the checker reads it
            text = (text if RETURN_OPEN in text else RETURN_OPEN + "\n" + text) + "\n" + RETURN_CLOSE
        yield Tokens(text, generation.completion_tokens)

    async def _propose(self, request: WorkerRequest, domain, messages, grammar: str) -> Tokens:
        """k samples under `grammar`, each checked by the domain's rules; the proved ones returned."""
        problem = request.task.problem

        def check(line: str) -> bool:
            return domain.check_claim(problem, line, budget_s=1.0).proved

        # Forks of one task asking the same question share a batch: the seed depends on the
        # query without its part and on the attempt, not on the fork.
        shared = re.sub(r"part\s+\d+\s+of\s+\d+", "", request.query.lower())
        key = f"{shared}|{request.attempt}|{len(request.feedback)}".encode()
        seed = int.from_bytes(hashlib.blake2b(key, digest_size=4).digest(), "big")
        try:
            proposal = await self.proposer.propose(messages, grammar, check, seed=seed)
        except BackendError as exc:
            raise BackendError(
                f"model backend failed ({exc.kind}): {exc}", kind=exc.kind, retryable=exc.retryable
            ) from exc
        self.proposals.append(
            {
                "fork": request.fork_id,
                "attempt": request.attempt,
                "samples": proposal.samples,
                "distinct": proposal.distinct,
                "verified": len(proposal.verified),
                "batches": proposal.batches,
                "shared": proposal.shared,
                "ks": proposal.ks,
                "seconds": round(proposal.seconds, 3),
            }
        )
        note = (
            f"# proposer: {len(proposal.verified)} verified of {proposal.distinct} distinct candidates "
            f"in {proposal.samples} samples"
        )
        body = "\n".join([*proposal.verified, note])
        return Tokens(f"{RETURN_OPEN}\n{body}\n{RETURN_CLOSE}", proposal.completion_tokens)


class LLMOrganizer:
    """An organizer that asks a model to plan with the fork/join protocol.

    `problem_or_task` is a domain `Problem` or an engine `Task`. Each turn is one chat: a system
    message with the domain's `organizer_prompt` (or `GENERIC_ORGANIZER_PROMPT` and the task),
    and a user message holding the run so far (the task, what the organizer wrote, the engine's
    replies to its joins and format errors), asking it to continue. The reply streams as `Tokens`
    (the engine stops reading at the first join, answer or format error). A reply that opens
    `<ANSWER>` and stops is closed with `</ANSWER>`. After `max_turns` turns it writes nothing,
    and the engine ends the run without an answer.

    When the backend can constrain (`supports_grammar`: the local backend through llguidance, an
    OpenAI-compatible server that takes grammars) and `constrain` is on, each turn is decoded
    under `bounded_organizer_grammar(max_tokens)`: text, at most `max_forks` complete forks, then
    a join or an answer, short enough to finish within `max_tokens`, so every turn parses as
    protocol. Elsewhere the turn is free text and the engine reports what does not parse as a
    format error (parse and reject).
    """

    def __init__(
        self,
        backend: ModelBackend,
        problem_or_task,
        *,
        max_tokens: int = 256,
        max_turns: int = 8,
        temperature: float = 0.0,
        constrain: bool = True,
        max_forks: int = 2,
    ) -> None:
        if not callable(getattr(backend, "stream", None)):
            raise InvalidArgument("backend must be a ModelBackend (with a stream method)")
        _check_common(max_tokens, temperature)
        if not isinstance(max_forks, int) or isinstance(max_forks, bool) or not 0 <= max_forks <= 16:
            raise InvalidArgument(f"max_forks must be an int in [0, 16], got {max_forks!r}")
        if not isinstance(max_turns, int) or isinstance(max_turns, bool) or max_turns < 1:
            raise InvalidArgument(f"max_turns must be a positive int, got {max_turns!r}")
        if isinstance(problem_or_task, Task):
            problem, task = problem_or_task.problem, problem_or_task
        elif isinstance(problem_or_task, Problem):
            problem, task = problem_or_task, Task.of_problem(problem_or_task)
        else:
            raise InvalidArgument("LLMOrganizer needs a domain Problem or an engine Task")
        self.backend = backend
        self.problem = problem
        self.task = task
        self.max_tokens = max_tokens
        self.max_turns = max_turns
        self.temperature = temperature
        self.turns = 0
        #: The grammar each turn is decoded under (None: free text, parsed and rejected).
        self.grammar = (
            bounded_organizer_grammar(max_tokens, max_forks=max_forks)
            if constrain and getattr(backend, "supports_grammar", False)
            else None
        )

    def system_prompt(self) -> str:
        """The organizer's instructions: the domain's prompt, or the generic one with the task."""
        if self.problem is not None:
            return get(self.problem.domain).organizer_prompt(self.problem)
        return "\n".join([GENERIC_ORGANIZER_PROMPT, *_task_lines(self.task)])

    def messages(self, context: str) -> list[dict[str, str]]:
        """The chat messages of one turn."""
        user = (
            f"The run so far:\n{context.rstrip()}\n\n"
            "Continue the run: write FORK, JOIN or ANSWER tags only, no explanations."
        )
        return [{"role": "system", "content": self.system_prompt()}, {"role": "user", "content": user}]

    async def stream(self, context: str, *, seed: int) -> AsyncIterator[Chunk]:
        """One turn of protocol text as `Tokens`; nothing after `max_turns` turns."""
        if self.turns >= self.max_turns:
            return
        self.turns += 1
        parts: list[str] = []
        if self.grammar is not None:
            try:
                generation = await self.backend.generate(
                    self.messages(context),
                    max_tokens=self.max_tokens,
                    stop=(ANSWER_CLOSE,),  # a server that ignored the grammar stops where it would
                    temperature=self.temperature,
                    seed=seed,
                    grammar=self.grammar,
                )
            except BackendError as exc:
                raise BackendError(
                    f"model backend failed ({exc.kind}): {exc}", kind=exc.kind, retryable=exc.retryable
                ) from exc
            parts.append(generation.text)
            yield Tokens(generation.text, generation.completion_tokens)
        else:
            stream = self.backend.stream(
                self.messages(context),
                max_tokens=self.max_tokens,
                stop=(ANSWER_CLOSE,),
                temperature=self.temperature,
                seed=seed,
            )
            async with contextlib.aclosing(_relay(stream, parts)) as chunks:
                async for chunk in chunks:
                    yield chunk
        text = "".join(parts)
        opened = text.rfind(ANSWER_OPEN)
        if opened >= 0 and ANSWER_CLOSE not in text[opened:]:
            yield Tokens(ANSWER_CLOSE, 0)
