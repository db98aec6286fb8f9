"""Joint consistency of a run's joined claims, checked incrementally: one Z3 solver per run.

`reasoning.engine._causal_graph.check_claims` answers "can all these claims hold at once?" from scratch:
it translates every claim, builds a fresh solver and tracks one assumption per attempt. At every
join of a run that is all the claims joined so far, so a run of N joins costs O(N^2) translation
and solving. `IncrementalConsistency` keeps, for one run, a stack of groups (the task's
constraints, then each joined attempt's claims) mirrored by Z3 scopes (`push` per group) and by
the SMT-LIB translator's state. A check that only adds attempts translates and pushes just the new
ones; one that drops an attempt (a conflict, an invalidation) pops back to it and re-pushes what
followed.

Only `sat` is decided here: the report, its witness and its certificate are the ones
`check_claims` gives (the certificate's script is, byte for byte, `consistency_script` of the same
claims, so `recheck_consistency_certificate` re-derives it). `unsat` and `unknown` return None and
the caller runs `check_claims`, whose tracked assumptions give the unsat core (the attempts to
blame) and whose non-incremental solver may decide what the incremental one could not. Why not
assumption literals on the incremental solver too: measured with Z3 4.x, a `check` under N
assumptions costs about 1.4 ms whatever the claims, against 0.05 ms for a scoped `check`, and
conflicts are rare.

The solver state is exactly the script's: every auxiliary definition the translator writes for a
group lives in that group's scope, and the translator is rebuilt whenever a group is popped, so
the asserted formulas are always those of the certificate's script.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import z3

from proofs.claims import Formula, to_text
from proofs.exact import DEFAULT_LIMITS
from proofs.smtlib import Unsupported, _Translator, constraint_term, symbol
from reasoning.engine._causal_graph import DEFAULT_BUDGET_S, SORTS, Consistency, ConsistencyReport
from reasoning.errors import InvalidArgument
from solvers.z3_backend import model_value
from solvers.z3_context import fresh_context

__all__ = ["IncrementalConsistency"]


@dataclass
class _Group:
    """One attempt's claims as pushed: the key says when a later check may keep it."""

    attempt: str
    formulas: tuple[Formula, ...]
    lines: str  # the script text of its assertions (comment + assert per expressible claim)
    entries: list[dict[str, str]]  # {"attempt", "claim"} per claim, for certificates
    skipped: dict[int, str]  # claim index -> why SMT-LIB cannot express it

    def same(self, attempt: str, formulas: tuple[Formula, ...]) -> bool:
        return (
            attempt == self.attempt
            and len(formulas) == len(self.formulas)
            and all(a is b or a == b for a, b in zip(formulas, self.formulas))
        )


class IncrementalConsistency:
    """The joint-consistency checker of one run (see the module docstring).

    `check(claims)` takes the same (attempt, formula) pairs as `check_claims`, in the same order
    (the task's constraints first, then joined claims in issue order, an attempt's claims
    together). Thread-safe: checks are serialized by a lock (a Z3 context is not thread-safe).
    """

    def __init__(self, unknowns: dict[str, str]) -> None:
        if not isinstance(unknowns, dict) or not all(
            isinstance(k, str) and k and v in SORTS for k, v in unknowns.items()
        ):
            raise InvalidArgument(f"unknowns must map names to 'Int' or 'Real', got {unknowns!r}")
        self.unknowns = dict(unknowns)
        self._lock = threading.Lock()
        self._ctx: z3.Context | None = None  # made on first use: a context costs milliseconds
        self._solver: z3.Solver | None = None
        self._timeout_ms = 0
        self._header = "(set-logic ALL)\n" + "".join(
            f"(declare-const {symbol(n)} {s})\n" for n, s in self.unknowns.items()
        )
        self._reset_translation()
        self.stats = {"checks": 0, "pushed": 0, "popped": 0, "fallbacks": 0}

    def _reset_translation(self) -> None:
        self._translator = _Translator(sorts=dict(self.unknowns), limits=DEFAULT_LIMITS, integer_claims=True)
        self._groups: list[_Group] = []  # pushed, in order; each one Z3 scope
        self._claims: list[tuple[str, Formula]] = []  # the claims of the last check
        # flat views of the groups, kept in step so a report costs C-level joins only
        self._lines: list[str] = []
        self._entries: list[dict[str, str]] = []
        self._attempts: dict[str, None] = {}
        self._skipped: dict[str, str] = {}

    def _z3(self) -> z3.Solver:
        # A fresh context per run, never one an earlier run left: the witness of a `sat` check
        # (in the bundle's certificates) follows the AST ids and solver state the context has
        # seen, so a reused one gave another witness for the same run in another process.
        if self._solver is None:
            self._ctx = fresh_context()
            self._solver = z3.Solver(ctx=self._ctx)
        return self._solver

    def close(self) -> None:
        """Let the run's solver go (a later run makes its own: see `_z3`)."""
        with self._lock:
            self._drop_all()

    # ------------------------------------------------------------ the check

    def check(
        self, claims: list[tuple[str, Formula]], *, budget_s: float = DEFAULT_BUDGET_S
    ) -> ConsistencyReport | None:
        """The report when Z3 finds the claims jointly satisfiable; None otherwise (unsat,
        unknown, or a translation Z3 rejects): then `check_claims` must decide, from scratch."""
        if not isinstance(budget_s, (int, float)) or isinstance(budget_s, bool) or not 0 < budget_s <= 3600:
            raise InvalidArgument(f"budget_s must be a number of seconds in (0, 3600], got {budget_s!r}")
        start = time.perf_counter()
        with self._lock:
            self.stats["checks"] += 1
            if not claims and not self._groups:  # nothing to assert: trivially satisfiable
                self._claims = []
                return self._sat_report(0, start, model=None)
            try:
                answer = self._sync_and_check(list(claims), budget_s)
            except z3.Z3Exception:  # a translator bug: the from-scratch check reports it
                self._drop_all()
                answer = None
            if answer != z3.sat:
                self.stats["fallbacks"] += 1
                return None
            return self._sat_report(len(claims), start)

    def _sync_and_check(self, claims: list[tuple[str, Formula]], budget_s: float):
        solver = self._z3()
        last = self._claims
        if (
            len(claims) >= len(last)
            and claims[: len(last)] == last  # C-level, identity first: O(N) but cheap
            and (
                len(claims) == len(last)
                or not self._groups
                or claims[len(last)][0] != self._groups[-1].attempt
            )
        ):
            new = _grouped(claims[len(last) :])  # the usual case: attempts were only added
        else:
            groups = _grouped(claims)
            keep = 0
            while keep < min(len(groups), len(self._groups)) and self._groups[keep].same(*groups[keep]):
                keep += 1
            if keep < len(self._groups):  # pop back, and re-translate what stays (aux names restart)
                solver.pop(len(self._groups) - keep)
                self.stats["popped"] += len(self._groups) - keep
                kept = self._groups[:keep]
                self._reset_translation()
                for group in kept:
                    self._add(self._translate(group.attempt, group.formulas))
            new = groups[keep:]
        self._claims = claims
        for attempt, formulas in new:
            defs_before = len(self._translator.aux_defs)
            group = self._translate(attempt, formulas)
            solver.push()
            self._add(group)
            self.stats["pushed"] += 1
            script = (
                self._header
                + "".join(line + "\n" for line in self._translator.aux_decls)
                + "".join(line + "\n" for line in self._translator.aux_defs[defs_before:])
                + group.lines
            )
            for assertion in z3.parse_smt2_string(script, ctx=self._ctx):
                solver.add(assertion)
        timeout = max(1, int(budget_s * 1000))
        if timeout != self._timeout_ms:
            solver.set("timeout", timeout)
            self._timeout_ms = timeout
        return solver.check()

    def _add(self, group: _Group) -> None:
        self._groups.append(group)
        self._lines.append(group.lines)
        self._entries.extend(group.entries)
        self._attempts.setdefault(group.attempt, None)
        for index, why in group.skipped.items():
            self._skipped[group.attempt] = f"{group.entries[index]['claim']}: {why}"

    def _drop_all(self) -> None:
        self._ctx = self._solver = None
        self._timeout_ms = 0
        self._reset_translation()

    def _translate(self, attempt: str, formulas: tuple[Formula, ...]) -> _Group:
        """Translate one group with the shared translator, as `constraint_terms` would."""
        translator = self._translator
        lines, entries, skipped = [], [], {}
        for index, formula in enumerate(formulas):
            text = to_text(formula)
            entries.append({"attempt": attempt, "claim": text})
            try:
                term = constraint_term(translator, formula, self.unknowns)
            except Unsupported as exc:
                skipped[index] = str(exc)
                continue
            lines.append(f"; {attempt}: {text}".replace("\n", " ") + "\n")
            lines.append(f"(assert {term})\n")
        return _Group(attempt, formulas, "".join(lines), entries, skipped)

    # ------------------------------------------------------------ the report

    def script(self) -> str:
        """The SMT-LIB script of the current groups, without `(check-sat)`: equal to
        `consistency_script(unknowns, claims)[0]` for the claims last checked."""
        translator = self._translator
        return (
            self._header
            + "".join(line + "\n" for line in translator.aux_decls)
            + "".join(line + "\n" for line in translator.aux_defs)
            + "".join(self._lines)
        )

    def _sat_report(self, count: int, start: float, model: Any = True) -> ConsistencyReport:
        """The report of a `sat` answer (`model=None`: no claim, so any values will do: 0)."""
        if model is None:
            witness = dict.fromkeys(self.unknowns, "0")
        else:
            assert self._solver is not None and self._ctx is not None
            model = self._solver.model()
            witness = {
                name: model_value(model.eval(_const(name, sort, self._ctx), model_completion=True))[0]
                for name, sort in self.unknowns.items()
            }
        attempts = tuple(self._attempts)

        def elapsed() -> float:
            return round((time.perf_counter() - start) * 1000, 3)

        if self._skipped:
            return ConsistencyReport(
                Consistency.UNKNOWN,
                f"consistent, but {len(self._skipped)} attempt(s) have claims Z3 cannot express",
                attempts=attempts,
                witness=witness,
                skipped=dict(self._skipped),
                elapsed_ms=elapsed(),
            )
        certificate: dict[str, Any] = {
            "kind": "consistency",
            "unknowns": dict(self.unknowns),
            # the entry dicts are shared by the certificates of later checks: read-only
            "claims": list(self._entries),
            "script": self.script() + "(check-sat)\n",
            "expect": "sat",
            "witness": witness,
        }
        return ConsistencyReport(
            Consistency.CONSISTENT,
            f"all {count} claim(s) of {len(attempts)} attempt(s) hold together",
            attempts=attempts,
            witness=witness,
            certificate=certificate,
            elapsed_ms=elapsed(),
        )


def _grouped(claims: list[tuple[str, Formula]]) -> list[tuple[str, tuple[Formula, ...]]]:
    """Consecutive claims of one attempt, as (attempt, formulas) groups."""
    groups: list[tuple[str, list[Formula]]] = []
    for attempt, formula in claims:
        if groups and groups[-1][0] == attempt:
            groups[-1][1].append(formula)
        else:
            groups.append((attempt, [formula]))
    return [(a, tuple(fs)) for a, fs in groups]


def _const(name: str, sort: str, ctx: z3.Context) -> z3.ArithRef:
    raw = symbol(name).strip("|")
    return z3.Int(raw, ctx) if sort == "Int" else z3.Real(raw, ctx)
