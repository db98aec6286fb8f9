"""`YieldRouter`: learns which kind of worker yields verified claims per second, per domain,
sub-query kind and task shape, and decides whether the model races the symbolic worker on the next attempt.

The key is "DOMAIN/KIND" plus, when the task has a size that changes who wins, "/SHAPE"
(`problem_shape`): "countdown/search/3 numbers" and "countdown/search/4 numbers" are learned
apart (the packaged model proposes verified 3-number answers often and 4-number ones almost
never), as are "sudoku/search/4x4" and "sudoku/search/9x9".

The estimate for a (domain, query kind, worker kind) is the verified claims it returned divided
by the seconds it ran (a run cancelled because the other entrant won counts its seconds and no
claims: it was beaten). The decision for one attempt, in order:

1. the model's share of capacity is bounded: at most `max(1, floor(model_share * capacity))`
   model runs at once; past that the symbolic worker runs alone ("model share full");
2. with fewer than `min_trials` model runs on this key, the model races (exploring);
3. the model races when its yield per second is at least 1/`factor` of the symbolic worker's;
4. otherwise the symbolic worker runs alone, except every `explore_every`-th skip on the key, when the
   model races once more (the estimate may have been unlucky).

In a race the symbolic worker gets a head start (`head_start`): the model starts only if the
symbolic worker has not been verified by then (twice its mean seconds per run on the key, within
[`min_head_start_s`, `max_head_start_s`]; `max_head_start_s` before any symbolic run). A symbolic
worker that answers in milliseconds so never pays for a model's prefill on two shared cores, and a
model that is never needed costs nothing; on a slow symbolic worker the model races almost at once.

Every decision comes with a one-line reason, which the engine writes to the trace. The
statistics live as long as the router (one run, by default); `state_path` keeps them in a small
JSON file between runs.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from reasoning.errors import InvalidArgument

_WORD = re.compile(r"[a-z]+")


def query_kind(query: str) -> str:
    """The first word of a sub-query ("search part 1 of 4" -> "search"), or "query"."""
    match = _WORD.search(query.lower()[:200]) if isinstance(query, str) else None
    return match.group(0) if match else "query"


def problem_shape(problem: Any) -> str | None:
    """The size of a domain task that the router keys on: "N numbers" for a task with a list of
    `numbers` (Countdown, 24), "NxN" for a grid of side `n` (Sudoku, Futoshiki), else None."""
    fields = getattr(problem, "fields", None)
    numbers = fields.get("numbers") if isinstance(fields, dict) else None
    if isinstance(numbers, (list, tuple)):
        return f"{len(numbers)} numbers"
    side = getattr(getattr(problem, "data", None), "n", None)
    if isinstance(side, int) and not isinstance(side, bool) and side > 0:
        return f"{side}x{side}"
    return None


@dataclass
class KindStats:
    """What one worker kind did on one key: runs, runs won, verified claims, seconds run."""

    runs: int = 0
    won: int = 0
    cancelled: int = 0
    verified: int = 0
    seconds: float = 0.0

    def rate(self) -> float:
        """Verified claims per second (0 before any run)."""
        return self.verified / self.seconds if self.seconds > 0 else (math.inf if self.verified else 0.0)


class YieldRouter:
    """Decides, per attempt, whether the model races the symbolic worker (see the module docstring)."""

    def __init__(
        self,
        *,
        factor: float = 10.0,
        model_share: float = 0.5,
        min_trials: int = 2,
        explore_every: int = 8,
        min_head_start_s: float = 0.05,
        max_head_start_s: float = 0.25,
        state_path: str | os.PathLike | None = None,
    ) -> None:
        if not isinstance(factor, (int, float)) or isinstance(factor, bool) or not factor >= 1:
            raise InvalidArgument(f"factor must be a number >= 1, got {factor!r}")
        if (
            not isinstance(model_share, (int, float))
            or isinstance(model_share, bool)
            or not 0 <= model_share <= 1
        ):
            raise InvalidArgument(f"model_share must be in [0, 1], got {model_share!r}")
        for name, value in (("min_trials", min_trials), ("explore_every", explore_every)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InvalidArgument(f"{name} must be a non-negative int, got {value!r}")
        if not (
            isinstance(min_head_start_s, (int, float))
            and isinstance(max_head_start_s, (int, float))
            and 0 <= min_head_start_s <= max_head_start_s <= 60
        ):
            raise InvalidArgument("head starts must satisfy 0 <= min_head_start_s <= max_head_start_s <= 60")
        self.min_head_start_s = float(min_head_start_s)
        self.max_head_start_s = float(max_head_start_s)
        self.factor = float(factor)
        self.model_share = float(model_share)
        self.min_trials = min_trials
        self.explore_every = explore_every
        self.state_path = Path(state_path) if state_path is not None else None
        self.stats: dict[str, dict[str, KindStats]] = {}
        self.skips: dict[str, int] = {}
        if self.state_path is not None and self.state_path.exists():
            self.load(self.state_path)

    @staticmethod
    def key(domain: str | None, query: str, shape: str | None = None) -> str:
        """The key statistics are kept under: "DOMAIN/KIND" ("plain/KIND" without a domain), then
        "/SHAPE" when a task shape is given (`problem_shape`)."""
        base = f"{domain or 'plain'}/{query_kind(query)}"
        return f"{base}/{shape}" if shape else base

    def of(self, key: str, kind: str) -> KindStats:
        return self.stats.setdefault(key, {}).setdefault(kind, KindStats())

    def model_slots(self, capacity: int) -> int:
        """How many model runs may run at once with `capacity` workers (0 with a share of 0)."""
        if self.model_share == 0:
            return 0
        return max(1, math.floor(self.model_share * capacity))

    def decide(self, key: str, *, model_busy: int, capacity: int) -> tuple[bool, str]:
        """(race the model?, why) for the next attempt on `key`."""
        slots = self.model_slots(capacity)
        if model_busy >= slots:
            return False, (
                f"symbolic alone: the model's share is full ({model_busy} of {slots} model slot(s), "
                f"{self.model_share:.0%} of capacity {capacity}, busy)"
            )
        llm, symbolic = self.of(key, "llm"), self.of(key, "symbolic")
        if llm.runs < self.min_trials:
            return True, f"race: exploring the model on {key} ({llm.runs} of {self.min_trials} trial runs)"
        llm_rate, symbolic_rate = llm.rate(), symbolic.rate()
        rates = f"model {_rate(llm_rate)} vs symbolic {_rate(symbolic_rate)} verified claims/s on {key}"
        if symbolic.runs == 0 or llm_rate * self.factor >= symbolic_rate:
            return True, f"race: {rates} (within 1/{self.factor:g})"
        self.skips[key] = self.skips.get(key, 0) + 1
        if self.explore_every and self.skips[key] % self.explore_every == 0:
            return True, f"race: re-probing the model after {self.skips[key]} skips; {rates}"
        return False, f"symbolic alone: {rates} (below 1/{self.factor:g})"

    def head_start(self, key: str) -> float:
        """Seconds the symbolic worker runs before the model joins the race on `key`."""
        solver = self.of(key, "symbolic")
        if solver.runs == 0:
            return self.max_head_start_s
        mean = solver.seconds / solver.runs
        return min(self.max_head_start_s, max(self.min_head_start_s, 2 * mean))

    def record(self, key: str, results: Iterable[Any]) -> None:
        """Learn from one attempt's `reasoning.engine._racing.ContestResult`s."""
        for result in results:
            stats = self.of(key, result.kind)
            stats.runs += 1
            stats.seconds += max(0.0, float(result.elapsed_s))
            stats.won += result.outcome in ("won", "accepted")
            stats.cancelled += result.outcome == "cancelled"
            if result.outcome in ("won", "accepted", "lost"):
                stats.verified += result.proved
        if self.state_path is not None:
            self.save(self.state_path)

    def summary(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Per key and worker kind: runs, won, cancelled, verified claims, seconds, claims/s."""
        return {
            key: {
                kind: {**asdict(s), "seconds": round(s.seconds, 6), "per_s": _rounded(s.rate())}
                for kind, s in sorted(kinds.items())
            }
            for key, kinds in sorted(self.stats.items())
        }

    def save(self, path: str | os.PathLike) -> None:
        """Write the statistics to `path` (atomically)."""
        path = Path(path)
        data = {key: {kind: asdict(s) for kind, s in kinds.items()} for key, kinds in self.stats.items()}
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".router-", suffix=".json")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump({"version": 1, "stats": data}, out, sort_keys=True)
        os.replace(temporary, path)

    def load(self, path: str | os.PathLike) -> None:
        """Read statistics written by `save`; a file that is not one is ignored (a fresh start)."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            stats = {
                str(key): {
                    _KIND_RENAMES.get(str(kind), str(kind)): KindStats(**values)
                    for kind, values in kinds.items()
                }
                for key, kinds in data["stats"].items()
            }
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return
        self.stats = stats


#: Worker kinds renamed since a state file may have been saved: "solver" is now "symbolic".
_KIND_RENAMES = {"solver": "symbolic"}


def _rate(value: float) -> str:
    return "inf" if math.isinf(value) else f"{value:.3g}"


def _rounded(value: float) -> float | str:
    return "inf" if math.isinf(value) else round(value, 4)
