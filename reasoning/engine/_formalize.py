"""Word problems by formalization: a model writes the formal task, the symbolic side does the rest.

`solve_word_problem(problem, model=..., samples=K)` asks the model for K formalizations
(`reasoning.engine._formal_task`: unknowns with sorts, constraints, a goal), with distinct seeds (and
temperature 0.7 when K > 1), decoded under the formalization grammar where the backend can
(`supports_grammar`) and parsed and rejected otherwise. Each formalization that parses becomes an
engine task that the symbolic workers solve (`reasoning.engine._solve.solve`, workers "symbolic"); the
verifier proves the answer against that task. The answers of the verified samples are compared.

What the result may say (`WordProblemResult.status`):

- "verified_against_formalization": an answer proved against the formalization shown (written by
  the model), and every verified sample agrees with it. It is never called simply proved: the
  formalization may not say what the words say. CLI exit code 3.
- "formalizations_disagree": verified samples give different answers; the most common is shown.
- "unverified": formalizations parsed, but none has a verified answer.
- "no_formalization": no sample parsed; the rejected texts and reasons are listed.

The chosen sample's proof bundle gets a `formalization` section (`formal_task.bundle_section`),
which `reason check` re-reads against the bundle's task.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from reasoning.engine._formal_task import (
    Formalization,
    Rejection,
    bundle_section,
    extract_block,
    grammar,
    parse_formalization,
)
from reasoning.engine._solve import load_model, solve
from reasoning.errors import InvalidArgument
from reasoning.llm._base import BackendError

VERIFIED = "verified_against_formalization"
DISAGREE = "formalizations_disagree"
UNVERIFIED = "unverified"
NO_FORMALIZATION = "no_formalization"
STATUSES = (VERIFIED, DISAGREE, UNVERIFIED, NO_FORMALIZATION)
#: Longest word problem accepted.
MAX_PROBLEM_CHARS = 4_000
MAX_SAMPLES = 16
#: A formalization never starts a second problem: the reply ends there (the few-shot prompt
#: invites a model to go on with "Problem: ..."). Not at a blank line: a preamble may have one.
STOP = ("Problem:",)

SYSTEM = """You turn a math word problem into a formal task. Write only these lines, nothing else:
unknown NAMES: Int      (or Real; names are letters, digits and _)
constraint: CLAIM       (one equation or inequality over the unknowns per line)
find: NAME              (the unknown the question asks for; last line)
Claims use numbers, unknowns, + - * / ^ and parentheses, and = < <= > >= !=."""

EXAMPLE_PROBLEM = (
    "A farmer has 12 animals, all chickens or cows. He has twice as many chickens as cows. "
    "How many chickens does he have?"
)
EXAMPLE_ANSWER = """unknown chickens, cows: Int
constraint: chickens + cows = 12
constraint: chickens = 2 * cows
constraint: cows >= 0
find: chickens"""


def prompt(problem: str) -> list[dict[str, str]]:
    """The chat messages that ask for a formalization of `problem` (one worked example)."""
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Problem: {EXAMPLE_PROBLEM}"},
        {"role": "assistant", "content": EXAMPLE_ANSWER},
        {"role": "user", "content": f"Problem: {problem}"},
    ]


@dataclass
class Sample:
    """One formalization attempt: its seed, the model's reply, what was read from it, and the
    outcome of solving it (`status` of the solve, `answer`, `key`: the answer's values)."""

    seed: int
    reply: str = ""
    formalization: Formalization | None = None
    rejection: Rejection | None = None
    status: str | None = None
    answer: str | None = None
    key: str | None = None
    bundle: str | None = None
    message: str = ""

    @property
    def verified(self) -> bool:
        return self.status == "proved" and self.answer is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "reply": self.reply,
            "formalization": self.formalization.text if self.formalization else None,
            "rejected": self.rejection.reason if self.rejection else None,
            "verified": self.verified,
            "answer": self.answer,
            "message": self.message,
        }


@dataclass
class WordProblemResult:
    """What `solve_word_problem` returns (see the module docstring for `status`).

    `answer`: the answer's claim lines (e.g. `chickens = 8`), `value`: the asked unknown's value
    when the goal asks for one, `formalization`: the formalization the answer is verified against
    (None when none was produced), `samples`: every attempt, `agreement`: answer -> count over
    the verified samples, `bundle`: the chosen sample's proof bundle."""

    problem: str
    status: str
    message: str
    answer: str | None = None
    value: str | None = None
    formalization: Formalization | None = None
    samples: list[Sample] = field(default_factory=list)
    agreement: dict[str, int] = field(default_factory=dict)
    model: str | None = None
    bundle: str | None = None
    elapsed_s: float = 0.0
    model_s: float = 0.0
    grammar_sent: bool = False

    @property
    def verified(self) -> bool:
        """True only for an answer verified against its formalization with all samples agreeing."""
        return self.status == VERIFIED

    def wording(self) -> str:
        """The plain sentence that says what the answer rests on."""
        if self.formalization is None:
            return "no answer: the model produced no usable formalization"
        author = self.formalization.author or "the model"
        if self.status == VERIFIED:
            return f"verified against this formalization (written by {author}), not proved from the problem's words"
        if self.status == DISAGREE:
            return (
                f"verified against this formalization (written by {author}), but other formalizations "
                "give other answers"
            )
        return f"not verified: no answer was proved against the formalization (written by {author})"

    def to_json(self) -> dict[str, Any]:
        rejected = [s.rejection.to_json() for s in self.samples if s.rejection is not None]
        return {
            "problem": self.problem,
            "status": self.status,
            "proved": False,  # never simply proved: see `status`
            "verified_against_formalization": self.status in (VERIFIED, DISAGREE),
            "message": self.message,
            "wording": self.wording(),
            "answer": self.answer,
            "value": self.value,
            "formalization": self.formalization.to_json() if self.formalization else None,
            "rejected": rejected,
            "samples": [s.to_json() for s in self.samples],
            "agreement": {"answers": self.agreement, "agree": len(self.agreement) == 1},
            "model": self.model,
            "grammar_sent": self.grammar_sent,
            "bundle": self.bundle,
            "elapsed_s": round(self.elapsed_s, 6),
            "model_s": round(self.model_s, 6),
        }


def solve_word_problem(
    problem: str,
    *,
    model: str | Any | None = None,
    samples: int = 1,
    seed: int = 0,
    out: str | Path | None | bool = None,
    budget_s: float = 120.0,
    worker_timeout_s: float = 120.0,
    max_tokens: int = 128,
    temperature: float | None = None,
    notify: Any = None,
) -> WordProblemResult:
    """Formalize `problem` with `model` (`samples` times), solve and verify each formalization,
    and compare their answers. `model`: a `--model` spec, a `ModelBackend` (not closed here) or
    None (the packaged local model). `out`: a directory for the samples' runs (None: a temporary
    one, False: none). `budget_s` bounds each sample's solve, `worker_timeout_s` each model
    request. Raises InvalidArgument for bad arguments, `ModelUnavailable` when the model cannot
    be loaded."""
    if not isinstance(problem, str) or not problem.strip():
        raise InvalidArgument("the word problem is empty")
    if len(problem) > MAX_PROBLEM_CHARS:
        raise InvalidArgument(f"the word problem is longer than {MAX_PROBLEM_CHARS} characters")
    if not isinstance(samples, int) or isinstance(samples, bool) or not 1 <= samples <= MAX_SAMPLES:
        raise InvalidArgument(f"samples must be an int in [1, {MAX_SAMPLES}], got {samples!r}")
    if not isinstance(worker_timeout_s, (int, float)) or not 0 < worker_timeout_s <= 86_400:
        raise InvalidArgument(
            f"worker_timeout_s must be a positive number of seconds, got {worker_timeout_s!r}"
        )
    problem = " ".join(problem.split())
    started = time.perf_counter()
    backend, owned = load_model(model, notify=notify)
    try:
        name = getattr(backend, "name", "model")
        use_grammar = bool(getattr(backend, "supports_grammar", False))
        temp = temperature if temperature is not None else (0.0 if samples == 1 else 0.7)
        model_started = time.perf_counter()
        replies = asyncio.run(
            _ask(backend, problem, samples, seed, temp, max_tokens, use_grammar, worker_timeout_s)
        )
        model_s = time.perf_counter() - model_started
    finally:
        if owned:
            backend.close()
    directory = (
        None
        if out is False
        else Path(out)
        if out not in (None, True)
        else Path(tempfile.mkdtemp(prefix="reason-math-"))
    )
    outcomes = []
    for index, (sample_seed, reply) in enumerate(replies):
        outcome = Sample(seed=sample_seed, reply=reply if isinstance(reply, str) else "")
        if isinstance(reply, BackendError):
            outcome.rejection = Rejection("", f"the model failed ({reply.kind}): {reply}", name)
        else:
            parsed = parse_formalization(extract_block(reply), problem, author=name)
            if isinstance(parsed, Rejection):
                outcome.rejection = parsed
            else:
                outcome.formalization = parsed
                _solve(outcome, directory / f"sample-{index + 1}" if directory else False, budget_s)
        outcomes.append(outcome)
    result = _decide(problem, outcomes, name)
    result.model_s, result.grammar_sent = model_s, use_grammar
    result.elapsed_s = time.perf_counter() - started
    if result.bundle:
        _record(result)
    return result


async def _ask(backend, problem, samples, seed, temperature, max_tokens, use_grammar, timeout_s):
    """[(seed, reply text or BackendError)] for `samples` requests sent at once."""
    extra = {"grammar": grammar()} if use_grammar else {}

    async def one(sample_seed: int):
        try:
            async with asyncio.timeout(timeout_s):
                generation = await backend.generate(
                    prompt(problem),
                    max_tokens=max_tokens,
                    stop=STOP,
                    temperature=temperature,
                    seed=sample_seed,
                    **extra,
                )
            return sample_seed, generation.text
        except TimeoutError:
            return sample_seed, BackendError(f"no formalization within {timeout_s:g} s", kind="timeout")
        except BackendError as exc:
            return sample_seed, exc

    return await asyncio.gather(*(one(seed + i) for i in range(samples)))


def _solve(outcome: Sample, out: Path | bool, budget_s: float) -> None:
    """Solve the sample's formal task with the symbolic workers and record what came of it."""
    task = outcome.formalization.task
    try:
        run = solve(task.to_json(), worker_kind="symbolic", out=out, budget_s=budget_s)
    except InvalidArgument as exc:
        outcome.status, outcome.message = "invalid", str(exc)
        return
    outcome.status, outcome.message, outcome.bundle = run.status, run.message, run.bundle
    if run.verified and run.answers:
        outcome.answer = run.answers[0]
        outcome.key = answer_key(outcome.answer, task)


def answer_key(answer: str, task) -> str:
    """What two answers must share to agree: the asked unknowns' values (exact numbers compared
    as numbers), or the answer's text for a decide goal."""
    if task.goal.kind not in ("find", "all"):
        return " ".join(answer.split())
    asked = set(task.goal.asked(list(task.unknowns)))
    values = []
    for line in answer.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() in asked:
            values.append(_number(value.strip()))
    return ", ".join(sorted(values)) if task.goal.kind == "all" else ", ".join(values)


def _number(text: str) -> str:
    try:
        number = Fraction(text)
    except (ValueError, ZeroDivisionError):
        return " ".join(text.split())
    return str(number.numerator) if number.denominator == 1 else f"{number.numerator}/{number.denominator}"


def _decimal(value: str) -> str:
    """`7/2` as `3.5` (a fraction with a finite decimal expansion); anything else as it is."""
    try:
        number = Fraction(value)
    except (ValueError, ZeroDivisionError):
        return value
    rest, digits = number.denominator, 0
    while rest % 10 == 0 or rest % 2 == 0 or rest % 5 == 0:
        rest //= 10 if rest % 10 == 0 else 2 if rest % 2 == 0 else 5
        digits += 1
    if rest != 1 or digits == 0:
        return value
    scaled = str(abs(number.numerator) * 10**digits // number.denominator).rjust(digits + 1, "0")
    sign = "-" if number < 0 else ""
    return f"{sign}{scaled[:-digits]}.{scaled[-digits:]}".rstrip("0").rstrip(".")


def _decide(problem: str, outcomes: list[Sample], name: str) -> WordProblemResult:
    """The result over all samples: the most common verified answer, and whether all agree."""
    verified = [s for s in outcomes if s.verified]
    parsed = [s for s in outcomes if s.formalization is not None]
    counts = Counter(s.key for s in verified)
    if not parsed:
        reasons = "; ".join(s.rejection.reason for s in outcomes if s.rejection)
        return WordProblemResult(
            problem,
            NO_FORMALIZATION,
            f"no usable formalization from {len(outcomes)} sample(s): {reasons}",
            samples=outcomes,
            model=name,
        )
    if not verified:
        first = parsed[0]
        return WordProblemResult(
            problem,
            UNVERIFIED,
            f"{len(parsed)} of {len(outcomes)} formalization(s) parsed, none has a verified answer: {first.message}",
            formalization=first.formalization,
            samples=outcomes,
            model=name,
            bundle=first.bundle,
        )
    key, count = counts.most_common(1)[0]
    chosen = next(s for s in verified if s.key == key)
    agree = len(counts) == 1
    status = VERIFIED if agree else DISAGREE
    asked = chosen.formalization.task.goal.asked(list(chosen.formalization.task.unknowns))
    value = _decimal(key) if chosen.formalization.task.goal.kind == "find" and len(asked) == 1 else None
    message = (
        f"{count} of {len(outcomes)} sample(s) verified with this answer"
        + ("" if agree else f"; other verified answers: {', '.join(k for k in counts if k != key)}")
        + f"; {len(outcomes) - len(parsed)} formalization(s) rejected"
    )
    return WordProblemResult(
        problem,
        status,
        message,
        answer=chosen.answer,
        value=value,
        formalization=chosen.formalization,
        samples=outcomes,
        agreement=dict(counts),
        model=name,
        bundle=chosen.bundle,
    )


def _record(result: WordProblemResult) -> None:
    """Add the `formalization` section to the chosen sample's proof bundle."""
    path = Path(result.bundle)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["formalization"] = bundle_section(
        result.formalization, status=result.status, samples=[s.to_json() for s in result.samples]
    )
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    temp.replace(path)
