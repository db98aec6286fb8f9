"""The verified-claim cache: an obligation is checked once per run and, opt-in, once across runs.

The neuro-symbolic loop re-checks the same claims again and again (a re-dispatched fork returns
some of its earlier lines, branches share lemmas, a benchmark re-runs a task). `ClaimCache`
wraps `reasoning.engine._task.check_claim`: a claim whose obligation was already decided gets the same
`ClaimCheck` back, certificate and all, so a cached verdict is exactly as re-checkable as a fresh
one (the bundle and `reason check` never know the difference).

What is the same obligation. The key is the whole task (`Task.to_json`: text, unknowns,
constraints, domain problem), the claim and the check budget. The claim is normalized for a
task with a symbolic core (its parsed formula: `x+1 = 3` and `x + 1 = 3` are one obligation),
and taken verbatim for a domain task (a domain reads its own notation). The on-disk cache adds
`checker_version()`, a digest of every source file that can decide a verdict (reasoning/,
proofs/, solvers/, grammars/) and of the Python, Z3 and SymPy versions, so changing the checker
empties the cache. The key material is stored in each entry and compared on reading: a file
reached by a hash collision or copied from elsewhere is a miss, never someone else's verdict.

The disk keeps only definitive verdicts (`proved`, `refuted`): an `unknown` may be a budget
that ran out and must be retried in a later run; an `invalid` costs nothing to redo. Entries are
written atomically (a temporary file in the same directory, then `os.replace`), so a reader sees
a whole entry or none; an unreadable entry is a miss. The cache directory is trusted like the
code: an entry read back must still be about the obligation of its role for this very claim
and task, with a certificate that establishes its status (else it is a miss), but its
certificate is not re-run; the run's answer is always checked afresh, and `reason check`
re-checks the bundle's certificates from scratch either way.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.metadata
import json
import os
import platform
import tempfile
import threading
from pathlib import Path
from typing import Any

import z3

from proofs.check import established
from proofs.claims import Formula, to_text
from proofs.parsing import ParseFailure, parse_claim
from proofs.verdict import Status, Verdict
from reasoning.engine._task import MAX_CLAIMS, ClaimCheck, Task, check_claim, obligations, read_claims
from reasoning.errors import InvalidArgument

#: Bumped when the entry format changes (the checker's own changes are in checker_version()).
FORMAT = 1
_ROOT = Path(__file__).resolve().parents[2]
_SOURCES = (("reasoning", "*.py"), ("proofs", "*.py"), ("solvers", "*.py"), ("grammars", "*.lark"))
_DEFINITIVE = (Status.PROVED, Status.REFUTED)


@functools.cache
def checker_version() -> str:
    """A digest of everything that can decide a verdict: the checking code and its solvers."""
    digest = hashlib.sha256()
    digest.update(
        f"{FORMAT}|{platform.python_version()}|{z3.get_full_version()}|{importlib.metadata.version('sympy')}".encode()
    )
    for folder, pattern in _SOURCES:
        for path in sorted((_ROOT / folder).rglob(pattern)):
            digest.update(str(path.relative_to(_ROOT)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def _verdict_from_json(data: dict[str, Any]) -> Verdict:
    return Verdict(
        claim=data["claim"],
        status=Status(data["status"]),
        backend=data["backend"],
        elapsed_ms=data.get("elapsed_ms", 0.0),
        certificate=data.get("certificate"),
        counterexample=data.get("counterexample"),
        message=data.get("message", ""),
        details=data.get("details") or {},
    )


def _fits(task: Task, text: str, formula: Formula | None, check: ClaimCheck) -> bool:
    """Is a stored check one that `check_claim` could have made for this claim? Its verdict must
    be about the obligation of its role (a refutation in the last role tried), and its
    certificate must establish its status. Cheap (no solver): a copied, stale or edited entry
    becomes a miss; the certificate itself is re-checked by `reason check`, not here."""
    verdict, cert = check.verdict, check.verdict.certificate
    want = verdict.status is Status.PROVED
    if formula is None:  # a domain task: the rules' certificate about this very claim and task
        return (
            check.role == "domain"
            and verdict.claim == text
            and isinstance(cert, dict)
            and cert.get("kind") == "domain"
            and (cert.get("claim"), cert.get("role"), cert.get("task")) == (text, "claim", task.domain)
            and cert.get("holds") is want
        )
    roles = obligations(task, formula)
    if check.role not in dict(roles) or (not want and check.role != roles[-1][0]):
        return False
    expected = to_text(dict(roles)[check.role])
    return (
        verdict.claim == expected
        and isinstance(cert, dict)
        and cert.get("claim") == expected
        and established(cert) is want
    )


class ClaimCache:
    """Checked claims of one run (and, with `directory`, of earlier runs on this machine).

    `check_claim` and `check_returned` have the signatures of their `reasoning.engine._task` namesakes.
    `hits`, `lookups` and `hit_rate` count claim checks answered from the cache. Thread-safe.
    """

    def __init__(self, directory: str | os.PathLike | None = None) -> None:
        self.directory = Path(directory) if directory is not None else None
        if self.directory is not None:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InvalidArgument(f"cannot use {self.directory} as a claim cache: {exc}") from exc
        self._memory: dict[tuple, ClaimCheck] = {}
        self._tasks: dict[int, tuple[Task, str]] = {}
        self._hits: set[int] = set()
        self._handed: dict[int, ClaimCheck] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.disk_hits = 0
        self.lookups = 0

    @property
    def hit_rate(self) -> float:
        return round(self.hits / self.lookups, 4) if self.lookups else 0.0

    def stats(self) -> dict[str, Any]:
        return {
            "lookups": self.lookups,
            "hits": self.hits,
            "disk_hits": self.disk_hits,
            "hit_rate": self.hit_rate,
        }

    # ------------------------------------------------------------ checking

    def check_returned(self, task: Task, text: str, *, budget_s: float) -> tuple[list[ClaimCheck], list[str]]:
        """`reasoning.engine._task.check_returned`, each claim through the cache."""
        lines = read_claims(text)
        notes = []
        if len(lines) > MAX_CLAIMS:
            notes.append(f"only the first {MAX_CLAIMS} of {len(lines)} claim lines were checked")
            lines = lines[:MAX_CLAIMS]
        return [self.check_claim(task, line, budget_s=budget_s) for line in lines], notes

    def check_claim(self, task: Task, text: str, *, budget_s: float) -> ClaimCheck:
        """`reasoning.engine._task.check_claim`, answered from the cache when the obligation was decided."""
        task_key = self._task_key(task)
        raw_key = ("raw", task_key, text, budget_s)
        with self._lock:
            self.lookups += 1
            cached = self._memory.get(raw_key)
            if cached is not None:
                return self._hit(dataclasses.replace(cached))
        formula = None
        if task.domain is None:
            formula = parse_claim(text)
            if isinstance(formula, ParseFailure):  # as cheap to redo as to look up
                return check_claim(task, text, budget_s=budget_s)
            claim_key = repr(formula)
        else:
            claim_key = text
        key = ("norm", task_key, claim_key, budget_s)
        with self._lock:
            cached = self._memory.get(key)
        if cached is None:
            cached = self._load(task_key, claim_key, budget_s)
            if cached is not None and not _fits(task, text, formula, cached):
                cached = None
            if cached is not None:
                with self._lock:
                    self.disk_hits += 1
        if cached is not None:
            check = ClaimCheck(text, cached.role, cached.verdict, formula or cached.formula, cached.final)
            with self._lock:
                self._memory[raw_key] = self._memory[key] = check
                return self._hit(dataclasses.replace(check))
        check = check_claim(task, text, budget_s=budget_s, formula=formula)
        with self._lock:
            self._memory[raw_key] = self._memory[key] = check
        if check.verdict.status in _DEFINITIVE:
            self._store(task_key, claim_key, budget_s, check)
        return check

    def _hit(self, check: ClaimCheck) -> ClaimCheck:
        """Count a hit (the lock is held) and remember the object handed out, for `was_hit`."""
        self.hits += 1
        self._hits.add(id(check))
        self._handed[id(check)] = check  # keeps the id from being reused until asked
        return check

    def was_hit(self, check: ClaimCheck) -> bool:
        """Whether `check` came from the cache (asked once per check: the answer is forgotten)."""
        with self._lock:
            self._handed.pop(id(check), None)
            if id(check) in self._hits:
                self._hits.discard(id(check))
                return True
            return False

    def _task_key(self, task: Task) -> str:
        """The task as canonical JSON, text included (cheap to keep right; a goal may one day
        live in the text); remembered per task object, so a long task is serialized once."""
        with self._lock:
            known = self._tasks.get(id(task))
            if known is not None and known[0] is task:
                return known[1]
        key = json.dumps(task.to_json(), sort_keys=True, default=str)
        with self._lock:
            self._tasks[id(task)] = (task, key)
        return key

    # ------------------------------------------------------------ the disk

    def _path(self, task_key: str, claim_key: str, budget_s: float) -> tuple[Path, dict[str, Any]] | None:
        if self.directory is None:
            return None
        full = {
            "format": FORMAT,
            "checker": checker_version(),
            "task": task_key,
            "claim": claim_key,
            "budget_s": budget_s,
        }
        name = hashlib.sha256(json.dumps(full, sort_keys=True).encode()).hexdigest()
        return self.directory / name[:2] / f"{name}.json", full

    def _load(self, task_key: str, claim_key: str, budget_s: float) -> ClaimCheck | None:
        located = self._path(task_key, claim_key, budget_s)
        if located is None:
            return None
        path, full = located
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            if entry.get("key") != full:
                return None
            verdict = _verdict_from_json(entry["verdict"])
            if verdict.status not in _DEFINITIVE or entry["role"] not in (
                "closed",
                "entailed",
                "choice",
                "domain",
            ):
                return None
            return ClaimCheck(entry["text"], entry["role"], verdict, None, bool(entry.get("final")))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # missing, half-written by an older version, or not ours: a miss

    def _store(self, task_key: str, claim_key: str, budget_s: float, check: ClaimCheck) -> None:
        located = self._path(task_key, claim_key, budget_s)
        if located is None:
            return
        path, full = located
        entry = {
            "key": full,
            "text": check.text,
            "role": check.role,
            "final": check.final,
            "verdict": check.verdict.to_json(),
        }
        try:
            path.parent.mkdir(exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(entry, handle, sort_keys=True)
                os.replace(temp, path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except (OSError, TypeError, ValueError):
            return  # a cache that cannot be written is only slower
