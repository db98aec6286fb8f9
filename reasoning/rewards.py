"""Reward functions for RL trainers, scored by the verifier: TRL's `GRPOTrainer` and verl.

**TRL.** `verified_reward` (or your own `make_trl_reward(...)`) is a reward function for
`GRPOTrainer(reward_funcs=[verified_reward], ...)`. TRL calls it with `prompts`, `completions`,
`completion_ids`, `trainer_state`, `log_extra`, `log_metric` and every other dataset column as
keyword arguments, one list entry per completion. It returns `list[float | None]`:

- a **reference answer** comes from the first of the columns `solution`, `answer`,
  `ground_truth`, `gold`, `reference` that the batch has (or the one named by `column=`): a
  string, any `numbers.Number` (int, Fraction, float, Decimal, complex), a numpy scalar or
  array (verl and pandas hand these over; numpy is detected by duck typing, never imported),
  or a list of acceptable answers. The completion's answer is compared with
  `reasoning.equivalent(reference, answer, budget_s=...)`;
- a **task** comes from the `task` column (a task dict in the domain format, or its JSON text,
  e.g. `{"domain": "countdown", "numbers": [...], "target": 24}`): the answer is checked against
  the task's rules by its domain (`reasoning.domains`). A row with a task is scored by the task.

**Scores.** `1.0` only when the answer is *proved* right (equivalence proved, or the domain's
rule check proved); `0.0` when it is refuted, when no answer can be extracted or it does not
parse, and also when the verifier cannot decide within the budget (`unknown`). Unknown scores 0
rather than being skipped so that a policy cannot escape a penalty by writing answers too large
or too odd to decide (a power tower); the budget is generous for ordinary answers. `None` (TRL:
"this reward does not apply to this sample") when the row has no reference and no task, when the
reference itself does not parse, or when the task is malformed. verl has no such convention:
`compute_score` gives `0.0` there.

**Answer extraction** (`extract_answer`), first rule that applies:

1. the content of the last complete `<answer>...</answer>` pair (any case, so the fork/join
   protocol's `<ANSWER>` too);
2. when the text has a `\\boxed{...}` / `\\fbox{...}`: the answer `reasoning.answers._extraction`'s
   policy locates (boxes that are parts of one answer joined, `\\boxed{1}\\boxed{2}` gives
   `1, 2`; an answer marker after the last box wins over it), else the last balanced box;
3. the text after the last GSM8K-style `####` marker, to the end of its line;
4. the line after the last "answer is" / "answer:" (any case, e.g. "The final answer is 42.
   I hope it is correct."), read as the extraction policy reads a marker's line (up to its first
   full stop; undecided, so no answer, when it does not read as one);
5. the last non-empty line.

A trailing full stop is dropped. Answers longer than `MAX_ANSWER_CHARS` are not scored (0.0).
Multi-line answers (a Sudoku grid) need rule 1. A reference is read the same way when it
contains an `<answer>` tag, a `\\boxed{}` or `####` (GSM8K's solutions), otherwise as written.

**verl.** `compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs)`
returns a float, the same score as above (None becomes 0.0). `ground_truth` is a reference answer
(string, number or list) or a task dict; `extra_info["task"]`, when present, is a task. Point
verl at it with `custom_reward_function.path=pkg://reasoning.rewards` and
`custom_reward_function.name=compute_score`; `reward_kwargs` may set `budget_s`. For verl's
batch reward manager, `compute_score_batch(data_sources, solution_strs, ground_truths,
extra_infos)` scores a whole batch (one float per item, in order); with `executor="ray"` (also
`make_trl_reward(executor="ray")`) the batch runs on the shared pool of warm Ray actors
(`reasoning.engine._ray_pool`), where an item whose worker hangs or dies scores 0.0 (unknown).

**Safety.** No signals, no global mutable state: every function here can be called from many
threads at once (verl runs `compute_score` in a thread pool), from Ray workers (the reward
objects pickle, and the module imports cleanly in a fresh process). Each completion costs at
most about `budget_s` seconds of verification per reference answer it is compared with (one,
unless the reference is a list) plus a linear scan of its text; hostile text (megabytes, power
towers, deep nesting) is refused by size checks or ends as `unknown`.
"""

from __future__ import annotations

import json
import math
import numbers
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import partial
from typing import Any

import reasoning.domains as domains
from proofs.parsing import ParseFailure
from proofs.verdict import Status
from reasoning.answers._equivalence import equivalent
from reasoning.answers._extraction import find_answer
from reasoning.answers._latex import parse_answer
from reasoning.api import EXECUTORS
from reasoning.engine._ray_pool import get_pool
from reasoning.errors import InvalidArgument

#: Dataset columns read as the reference answer, in this order (the first present one is used).
REFERENCE_COLUMNS = ("solution", "answer", "ground_truth", "gold", "reference")
#: Dataset column read as a domain task.
TASK_COLUMN = "task"
#: Seconds of verification per completion.
DEFAULT_BUDGET_S = 1.0
#: Longest extracted answer scored, in characters.
MAX_ANSWER_CHARS = 10_000
#: Longest task JSON text read.
MAX_TASK_CHARS = 1_000_000

_ANSWER_OPEN = re.compile(r"<answer\s*>", re.IGNORECASE)
_ANSWER_CLOSE = re.compile(r"</answer\s*>", re.IGNORECASE)
_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")
_HASHES = re.compile(r"^[ \t]*####[ \t]*(.*)$", re.MULTILINE)
_ANSWER_IS = re.compile(r"answer\s*(?:is\b[ \t]*[:=]?|[:=])[ \t]*(.*)$", re.IGNORECASE | re.MULTILINE)
#: How many `\boxed{` openings (from the last) are tried when the later ones are unbalanced.
_BOXED_TRIES = 16
#: Guards the first load of the domain registry (see `_domains`); holds no data.
_DOMAINS_LOCK = threading.Lock()


# ------------------------------------------------------------------ extraction


def _last(pattern: re.Pattern[str], text: str, end: int | None = None) -> re.Match[str] | None:
    match = None
    for match in pattern.finditer(text, 0, len(text) if end is None else end):  # noqa: B007
        pass
    return match


def _tagged(text: str) -> str | None:
    close = _last(_ANSWER_CLOSE, text)
    if close is None:
        return None
    opening = _last(_ANSWER_OPEN, text, close.start())
    return None if opening is None else text[opening.end() : close.start()]


def _boxed(text: str) -> str | None:
    starts = [m.end() for m in _BOXED.finditer(text)][-_BOXED_TRIES:]
    for start in reversed(starts):
        depth = 1
        limit = min(len(text), start + MAX_ANSWER_CHARS + 1)
        for i in range(start, limit):
            char = text[i]
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth == 0:
                    return text[start:i]
    return None


def _clean(answer: str) -> str:
    answer = answer.strip()
    if answer.endswith(".") and not answer.endswith(".."):
        answer = answer[:-1].rstrip()
    return answer


def extract_answer(text: str) -> str | None:
    """The final answer written in a completion, by the rules in the module docstring; None when
    there is none (empty text, or an answer longer than `MAX_ANSWER_CHARS`).

    >>> extract_answer("so x = 2, and <answer>\\\\frac{1}{2}</answer>")
    '\\\\frac{1}{2}'
    """
    if not isinstance(text, str):
        return None
    found = _tagged(text)
    if found is None and _BOXED.search(text):
        marked = find_answer(text)  # the shared policy: joined boxes, a marker after the box
        found = marked.answer if marked.rule in ("boxed", "marker") else _boxed(text)
    if found is None:
        marker = _last(_HASHES, text) or _last(_ANSWER_IS, text)
        if marker is not None and marker.group(1).strip():
            # The shared policy reads a marker's line as a phrase, up to its first full stop: the
            # rest of the line, read again as a whole answer, took `5` from `Final answer: 6. The
            # number of primes is 5.` and nothing from `The final answer is 34. I hope it is correct.`
            marked = find_answer(text)
            if marked.rule == "undecided":
                return None
            found = marked.answer if marked.rule == "marker" else marker.group(1)
        else:
            found = next((line for line in reversed(text.splitlines()) if line.strip()), None)
    if found is None:
        return None
    found = _clean(found)
    return found if found and len(found) <= MAX_ANSWER_CHARS else None


#: Largest array (in elements) unwrapped as a list of acceptable reference answers.
MAX_REFERENCE_ITEMS = 1_000


def _plain(value: Any) -> Any:
    """A numpy (or tensor-like) value as plain Python, found by duck typing so numpy stays
    optional: arrays by `.tolist()`, scalars by `.item()`. A low-precision float scalar becomes
    its shortest round-tripping text (`np.float32(0.1)` is `0.1`, not `0.10000000149011612`)."""
    if value is None or isinstance(value, (str, bytes, bool, int, float, Fraction, list, tuple, Mapping)):
        return value
    size = getattr(value, "size", None)
    if isinstance(size, int) and size > MAX_REFERENCE_ITEMS:
        return None
    try:
        if getattr(value, "ndim", 0) == 0 and callable(getattr(value, "item", None)):
            item = value.item()
            if isinstance(item, float) and not isinstance(value, float):
                text = str(value)
                return text if type(value)(text) == value else item
            return item
        if callable(getattr(value, "tolist", None)):
            return value.tolist()
    except Exception:  # noqa: BLE001 - a foreign object that will not convert is no reference
        return None
    return value


#: Bits of an integer whose decimal text fits in MAX_ANSWER_CHARS (log2(10) < 3.33).
_MAX_REFERENCE_BITS = int(MAX_ANSWER_CHARS * 3.32)


def _number_text(value: numbers.Number) -> str | None:
    """Any `numbers.Number` as exact text: integers and rationals exactly, finite reals by their
    shortest repr, decimals in positional notation, complex numbers as `a + bi`. None for a
    number whose text would pass MAX_ANSWER_CHARS, as for a text reference that long (`10**50000`
    raised Python's int-to-text limit; `Decimal("1e999999999")` wrote a gigabyte of zeros)."""
    if isinstance(value, numbers.Integral):
        n = int(value)
        return str(n) if n.bit_length() <= _MAX_REFERENCE_BITS else None
    if isinstance(value, numbers.Rational):
        p, q = int(value.numerator), int(value.denominator)
        return str(Fraction(p, q)) if max(p.bit_length(), q.bit_length()) <= _MAX_REFERENCE_BITS else None
    if isinstance(value, numbers.Real):
        number = float(value)
        return repr(number) if math.isfinite(number) else None
    if isinstance(value, Decimal):
        if not value.is_finite() or abs(value.adjusted()) > MAX_ANSWER_CHARS:
            return None
        return format(value, "f") if len(value.as_tuple().digits) <= MAX_ANSWER_CHARS else None
    if isinstance(value, numbers.Complex):
        real, imag = (_number_text(part) for part in (value.real, value.imag))
        if real is None or imag is None:
            return None
        return real if value.imag == 0 else f"{real} + {imag}i"
    return None


def _reference_text(value: Any) -> str | None:
    """A reference answer as text (numbers exactly as written), extracted when it is marked up."""
    value = _plain(value)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, numbers.Number):
        return _number_text(value)
    if not isinstance(value, str):
        return None
    if _ANSWER_CLOSE.search(value) or _BOXED.search(value) or "####" in value:
        return extract_answer(value)
    value = value.strip()
    return value if value and len(value) <= MAX_ANSWER_CHARS else None


def completion_text(completion: Any) -> str | None:
    """The text of a completion: a string as is; a conversation (a list of messages) gives the
    content of its last assistant message (text parts joined). None for any other shape."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping):
        completion = [completion]
    if not isinstance(completion, Sequence) or not completion:
        return None
    messages = [m for m in completion if isinstance(m, Mapping)]
    assistant = [m for m in messages if m.get("role", "assistant") == "assistant"]
    if not assistant:
        return None
    content = assistant[-1].get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):  # multimodal parts: [{"type": "text", "text": ...}]
        parts = [p.get("text") for p in content if isinstance(p, Mapping) and isinstance(p.get("text"), str)]
        return "".join(parts) if parts else None
    return None


# ------------------------------------------------------------------ scoring one item


@dataclass(frozen=True)
class Score:
    """One completion's reward and why: `score` (1.0, 0.0 or None), the verifier's `status`
    (`proved`, `refuted`, `unknown`, `invalid`, or `skipped` when nothing could be compared),
    the extracted `answer` and a short `message`."""

    score: float | None
    status: str
    answer: str | None = None
    message: str = ""


def _check_budget(budget_s: Any) -> float:
    if not isinstance(budget_s, (int, float)) or isinstance(budget_s, bool) or not 0 < budget_s <= 3600:
        raise InvalidArgument(f"budget_s must be a number of seconds in (0, 3600], got {budget_s!r}")
    return float(budget_s)


def _as_task(value: Any) -> Mapping[str, Any] | None:
    """A task dict from a dict or its JSON text; keys with None values are dropped (a dataset
    column of task dicts fills the fields of other domains with None)."""
    if isinstance(value, str):
        if not value.lstrip().startswith("{") or len(value) > MAX_TASK_CHARS:
            return None
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, Mapping) or "domain" not in value:
        return None
    return {k: v for k, v in value.items() if v is not None}


def _domains() -> Any:
    # The registry loads its built-in domains on first use without a lock; loading them here,
    # under ours, keeps a first burst of concurrent calls from seeing a half-filled registry.
    with _DOMAINS_LOCK:
        domains.names()
    return domains


def _score_task(task: Mapping[str, Any], answer: str | None, budget_s: float) -> Score:
    domains = _domains()
    try:
        problem = domains.load(task)
        domain = domains.get(problem.domain)
    except domains.TaskError as exc:
        return Score(None, "skipped", answer, f"task: {exc}")
    if answer is None:
        return Score(0.0, "invalid", None, "no answer found in the completion")
    try:
        check = domain.check_answer(problem, answer, budget_s=budget_s)
    except Exception as exc:  # a domain bug costs this item its score, not the trainer its run
        return Score(None, "skipped", answer, f"internal error in {problem.domain}: {type(exc).__name__}")
    return Score(1.0 if check.proved else 0.0, check.status.value, answer, check.message)


def _parses(reference: str, memo: dict[str, bool]) -> bool:
    if reference not in memo:
        memo[reference] = not isinstance(parse_answer(reference), ParseFailure)
    return memo[reference]


def _score_references(references: list[str], answer: str | None, budget_s: float) -> Score:
    """Proved against any reference: 1.0; otherwise 0.0 with the most telling verdict (refuted
    over unknown over invalid)."""
    if answer is None:
        return Score(0.0, "invalid", None, "no answer found in the completion")
    rank = {Status.REFUTED: 0, Status.UNKNOWN: 1, Status.INVALID: 2}
    results = []
    for reference in references:
        result = equivalent(reference, answer, budget_s=budget_s)
        if result.status is Status.PROVED:
            return Score(1.0, "proved", answer, result.message)
        results.append(result)
    worst = min(results, key=lambda r: rank.get(r.status, 3))
    return Score(0.0, worst.status.value, answer, worst.message)


def _score(completion: Any, reference: Any, task: Any, budget_s: float, memo: dict[str, bool]) -> Score:
    text = completion_text(completion)
    answer = extract_answer(text) if text is not None else None
    task_dict = _as_task(task) if task is not None else None
    if task_dict is not None:
        return _score_task(task_dict, answer, budget_s)
    reference = _plain(reference)
    candidates = reference if isinstance(reference, (list, tuple)) else [reference]
    references = [r for r in map(_reference_text, candidates) if r is not None and _parses(r, memo)]
    if not references:
        why = "no usable reference answer" if task is None else "no usable reference answer or task"
        return Score(None, "skipped", answer, why)
    if text is None:
        return Score(0.0, "invalid", None, "the completion is neither text nor a list of messages")
    return _score_references(references, answer, budget_s)


def _score_row(row: tuple[Any, Any, Any], *, budget_s: float) -> Score:
    """One (completion, reference, task) row scored: what a Ray actor runs per item."""
    return _score(row[0], row[1], row[2], budget_s, {})


def _lost_row(row: tuple[Any, Any, Any], why: str) -> Score:
    """A row whose Ray worker timed out or died: unknown, so 0.0 (as for any unknown)."""
    return Score(0.0, "unknown", None, why)


def _score_rows(
    rows: list[tuple[Any, Any, Any]], budget_s: float, executor: str, memo: dict[str, bool] | None = None
) -> list[Score]:
    """Score (completion, reference, task) rows here or on the shared Ray pool, in order."""
    if executor == "local":
        memo = {} if memo is None else memo
        return [_score(c, r, t, budget_s, memo) for c, r, t in rows]
    # A row costs one budget per reference it is compared with: the call's deadline allows that.
    most = max((len(r) for _, r, _ in rows if isinstance(r, (list, tuple))), default=1)
    return get_pool().map(
        partial(_score_row, budget_s=budget_s), rows, budget_s=budget_s * max(1, most), fallback=_lost_row
    )


def _check_executor(executor: Any) -> str:
    if executor not in EXECUTORS:
        raise InvalidArgument(f"executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    return executor


def score_completion(
    completion: Any, *, reference: Any = None, task: Any = None, budget_s: float = DEFAULT_BUDGET_S
) -> Score:
    """Score one completion (a string or a conversation) against a reference answer (a string,
    a number or a list of acceptable ones) or a task (a dict or its JSON text; a task wins when
    both are given, a value that is not a task is ignored). Never raises on content;
    InvalidArgument for a bad `budget_s`."""
    return _score(completion, reference, task, _check_budget(budget_s), {})


# ------------------------------------------------------------------ TRL


def _is_list(value: Any) -> bool:
    """A list-like batch column (a list, a tuple, a numpy array), not a string or a dict."""
    if isinstance(value, (str, bytes, Mapping)):
        return False
    return isinstance(value, Sequence) or (hasattr(value, "__len__") and hasattr(value, "__getitem__"))


@dataclass(frozen=True, kw_only=True)
class TRLReward:
    """A TRL `GRPOTrainer` reward function (see the module docstring). Build it with
    `make_trl_reward`; it is immutable and picklable, and TRL logs it under `name`."""

    budget_s: float = DEFAULT_BUDGET_S
    column: str | None = None
    task_column: str | None = TASK_COLUMN
    name: str = "verified_reward"
    executor: str = "local"
    _columns: tuple[str, ...] = field(init=False, repr=False, default=())

    def __post_init__(self) -> None:
        _check_budget(self.budget_s)
        _check_executor(self.executor)
        for label, value in (("column", self.column), ("task_column", self.task_column)):
            if value is not None and (not isinstance(value, str) or not value):
                raise InvalidArgument(f"{label} must be a non-empty string or None, got {value!r}")
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise InvalidArgument(f"name must be an identifier (TRL logs rewards by it), got {self.name!r}")
        columns = (self.column,) if self.column is not None else REFERENCE_COLUMNS
        object.__setattr__(self, "_columns", columns)
        object.__setattr__(self, "__name__", self.name)

    def __call__(
        self,
        completions: Sequence[Any],
        prompts: Sequence[Any] | None = None,
        completion_ids: Sequence[Any] | None = None,
        trainer_state: Any = None,
        log_extra: Callable[[str, list], None] | None = None,
        log_metric: Callable[[str, float], None] | None = None,
        **columns: Any,
    ) -> list[float | None]:
        scores = self.score_batch(completions, **columns)
        if callable(log_extra):
            log_extra(f"{self.name}_status", [s.status for s in scores])
            log_extra(f"{self.name}_answer", [s.answer for s in scores])
        return [s.score for s in scores]

    def score_batch(self, completions: Sequence[Any], **columns: Any) -> list[Score]:
        """Like calling the reward, but each item's `Score` (status, answer, message) too."""
        if not _is_list(completions):
            raise InvalidArgument(f"completions must be a list, got {type(completions).__name__}")
        n = len(completions)
        for key in (*self._columns, self.task_column):
            value = columns.get(key) if key is not None else None
            if value is not None and not _is_list(value):
                raise InvalidArgument(f"column {key!r} must be a list (one entry per completion)")
            if value is not None and len(value) != n:
                raise InvalidArgument(f"column {key!r} has {len(value)} entries for {n} completions")
        reference_column = next((columns[c] for c in self._columns if columns.get(c) is not None), None)
        tasks = columns.get(self.task_column) if self.task_column is not None else None
        rows = [
            (
                completion,
                None if reference_column is None else reference_column[i],
                None if tasks is None else tasks[i],
            )
            for i, completion in enumerate(completions)
        ]
        # The memo is per call: TRL repeats each reference once per generation.
        return _score_rows(rows, self.budget_s, self.executor, {})


def make_trl_reward(
    *,
    budget_s: float = DEFAULT_BUDGET_S,
    column: str | None = None,
    task_column: str | None = TASK_COLUMN,
    name: str = "verified_reward",
    executor: str = "local",
) -> TRLReward:
    """A TRL reward function: `budget_s` seconds of verification per completion; `column` names
    the reference-answer column (default: the first of `REFERENCE_COLUMNS` the batch has);
    `task_column` the domain-task column (None: ignore tasks); `name` is what TRL logs;
    `executor="ray"` scores each batch on the shared Ray pool (`reasoning.engine._ray_pool`).

    >>> reward = make_trl_reward(budget_s=2.0)
    >>> reward(["... so \\\\boxed{0.5}", "<answer>1/3</answer>"], solution=["1/2", "1/2"])
    [1.0, 0.0]
    """
    return TRLReward(budget_s=budget_s, column=column, task_column=task_column, name=name, executor=executor)


#: The default TRL reward function (`GRPOTrainer(reward_funcs=[verified_reward])`).
verified_reward = make_trl_reward()


# ------------------------------------------------------------------ verl


def compute_score(
    data_source: Any,
    solution_str: Any,
    ground_truth: Any,
    extra_info: Mapping[str, Any] | None = None,
    *,
    budget_s: float = DEFAULT_BUDGET_S,
    **kwargs: Any,
) -> float:
    """verl's custom reward function: 1.0 when `solution_str`'s answer is proved right against
    `ground_truth` (a reference answer, a list of them, or a task dict), else 0.0 (refuted,
    unknown, no answer, or nothing to compare with). `extra_info["task"]` is read as a task.
    Extra keyword arguments verl passes (e.g. `reward_router_address`) are ignored."""
    completion, reference, task = _verl_row(solution_str, ground_truth, extra_info)
    score = score_completion(completion, reference=reference, task=task, budget_s=budget_s)
    return 0.0 if score.score is None else score.score


def _verl_row(solution_str: Any, ground_truth: Any, extra_info: Any) -> tuple[Any, Any, Any]:
    """verl's arguments as a (completion, reference, task) row (see `compute_score`)."""
    task = extra_info.get("task") if isinstance(extra_info, Mapping) else None
    if task is None and _as_task(ground_truth) is not None:
        task, ground_truth = ground_truth, None
    return solution_str, ground_truth, task


def compute_score_batch(
    data_sources: Sequence[Any],
    solution_strs: Sequence[Any],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[Any] | None = None,
    *,
    budget_s: float = DEFAULT_BUDGET_S,
    executor: str = "local",
    **kwargs: Any,
) -> list[float]:
    """verl's batched reward (`reward_model.reward_manager=batch`): one `compute_score` per
    item, in order. `executor="ray"` (verl: `reward_kwargs`) runs the batch on the shared Ray
    pool, inside verl's own Ray job; an item whose worker hangs or dies scores 0.0 (unknown)."""
    budget_s = _check_budget(budget_s)
    executor = _check_executor(executor)
    n = len(solution_strs)
    if len(ground_truths) != n or (extra_infos is not None and len(extra_infos) != n):
        raise InvalidArgument("solution_strs, ground_truths and extra_infos must have one entry per item")
    infos = [None] * n if extra_infos is None else list(extra_infos)
    rows = [_verl_row(s, g, e) for s, g, e in zip(solution_strs, ground_truths, infos, strict=True)]
    return [0.0 if score.score is None else score.score for score in _score_rows(rows, budget_s, executor)]


__all__ = [
    "DEFAULT_BUDGET_S",
    "MAX_ANSWER_CHARS",
    "REFERENCE_COLUMNS",
    "Score",
    "TRLReward",
    "compute_score",
    "compute_score_batch",
    "completion_text",
    "extract_answer",
    "make_trl_reward",
    "score_completion",
    "verified_reward",
]
