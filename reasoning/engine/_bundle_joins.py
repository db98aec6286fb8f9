"""Re-deriving a proof bundle's join history (`reasoning.engine._bundle`): which attempts were accepted at
each join, and whether each decision follows from its consistency certificate.

The checker replays the bundle's `joins` list from an empty set of accepted attempts, taking each
attempt's claims from the causal graph (claims recorded `proved`; domain claims take no part):

- `accepted` / `conflict` / `task-inconsistent` add the entry's attempt (it must be joined in the
  graph, through the entry's own join node, answer its typed sub-query (`_subqueries.unanswered`,
  for a task without a domain) and have no refuted claim; with `require_claims`, at least one
  proved claim); `rejected` removes its attempt and every accepted attempt the graph
  says it invalidated; `failed` (a fork that never produced an accepted attempt) changes nothing.
  Any other status (e.g. `unverified`, a join whose consistency is unknown) holds its attempt:
  its consistency report covers it with the accepted ones and must be `unknown`, the graph must
  set it aside (invalid, by itself), and it is never counted as accepted.
- An entry with a consistency report is checked against the set after the entry: `consistent`
  needs a `sat` certificate over exactly the task's constraints and the accepted claims;
  `inconsistent` an `unsat` certificate over exactly the claims of the attempts in its core
  that SMT-LIB can express, all accepted; `unknown` has no certificate and can never accept the entry's attempt.
- After an inconsistent report, the entries up to the next report must withdraw (`rejected`)
  attempts of its core, and an entry is `conflict` exactly when its own attempt is withdrawn;
  a core of the task alone marks the entry `task-inconsistent` instead.
- At the end, the replayed set must be exactly the graph's joined, valid attempts and every
  join node of the graph must be named by exactly one entry.

Each certificate is re-checked through `proofs.check` (fresh Z3, cvc5 where installed).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from proofs.check import check_certificate
from proofs.parsing import ParseFailure, parse_claim
from proofs.smtlib import constraint_terms
from reasoning.engine._causal_graph import TASK
from reasoning.engine._subqueries import incomplete, unanswered

#: Statuses that add the entry's attempt to the accepted set; `rejected` and `failed` are
#: handled on their own, and any other status holds its attempt (never accepted).
ADDING = ("accepted", "conflict", "task-inconsistent")

Item = tuple[str, bool, str]
#: Keys every consistency report has (`ConsistencyReport.to_json`), besides descriptive ones.
REPORT_KEYS = {"status", "attempts", "core", "blame", "witness", "skipped", "certificate"}
#: Keys every join entry has.
ENTRY_KEYS = {"fork_id", "attempt", "join", "status", "consistency"}


@dataclass
class _Pending:
    """An inconsistent report waiting for its withdrawals."""

    index: int
    entry: dict[str, Any]
    core: set[str]
    blame: Any
    withdrawn: list[str] = field(default_factory=list)
    #: Forks whose accepted attempt was removed: the only ones that may re-join before the
    #: next consistency report.
    forks: set[Any] = field(default_factory=set)


@dataclass
class Replay:
    """The outcome: the items checked and the accepted attempts at the end (None on failure)."""

    items: list[Item]
    accepted: list[str] | None
    memo: dict[str, tuple[bool, str]] = field(default_factory=dict)


def attempt_claims(nodes: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """attempt -> the canonical texts of its claims that take part in consistency checks."""
    out: dict[str, list[str]] = {}
    claims = sorted(
        (n for n, d in nodes.items() if d.get("kind") == "claim"), key=lambda n: nodes[n].get("order", 0)
    )
    for node in claims:
        data = nodes[node]
        if data.get("status") == "proved" and data.get("role") != "domain":
            out.setdefault(data.get("attempt"), []).append(data.get("claim"))
    return out


def expected_pairs(constraints: list[str], claims: dict[str, list[str]], accepted) -> list[tuple[str, str]]:
    """(attempt, claim) pairs a consistency check of `accepted` covers, with the task's."""
    pairs = [(TASK, c) for c in constraints]
    for attempt in accepted:
        pairs += [(attempt, c) for c in claims.get(attempt, [])]
    return pairs


def certificate_pairs(cert: dict[str, Any]) -> list[tuple[Any, Any]]:
    return [(c.get("attempt"), c.get("claim")) for c in cert.get("claims", []) if isinstance(c, dict)]


def check_report(
    report: Any,
    unknowns: dict[str, str],
    pairs: list[tuple[str, str]],
    use_cvc5: bool,
    memo: dict[str, tuple[bool, str]] | None = None,
) -> tuple[bool, str, set[str] | None]:
    """Check one consistency report against the claims it should cover.

    Returns (ok, message, core): core is the set of attempts of an unsat core, None otherwise.
    `memo` keeps re-check results by certificate within one bundle (the final consistency is
    usually the last join's certificate again).
    """
    if not isinstance(report, dict) or not set(report) >= REPORT_KEYS:
        return False, f"a consistency report is an object with {', '.join(sorted(REPORT_KEYS))}", None
    if not isinstance(report["skipped"], dict) or not isinstance(report["core"], list):
        return False, "a consistency report's skipped claims are an object and its core a list", None
    status = report.get("status")
    cert = report.get("certificate")
    attempts = {a for a, _ in pairs}
    if "attempts" in report and (
        not isinstance(report["attempts"], list) or set(report["attempts"]) != attempts
    ):
        return False, "the report's attempts are not the accepted ones", None
    if status == "unknown":
        if cert is not None:
            return False, "an unknown consistency report cannot carry a certificate", None
        return True, "joint consistency was not established", None
    if status not in ("consistent", "inconsistent"):
        return False, f"consistency status {status!r} is not consistent, inconsistent or unknown", None
    expect = "sat" if status == "consistent" else "unsat"
    if not isinstance(cert, dict) or cert.get("kind") != "consistency" or cert.get("expect") != expect:
        return False, f"a {status} report needs a consistency certificate with expect = {expect}", None
    if cert.get("unknowns") != unknowns:
        return False, "the certificate's unknowns are not the task's", None
    given = certificate_pairs(cert)
    core = {a for a, _ in given}
    if status == "consistent":
        if Counter(given) != Counter(pairs):
            return False, "the certificate does not cover exactly the task and the accepted claims", None
        if report.get("core", []) != [] or report.get("blame") is not None or report.get("skipped", {}) != {}:
            return False, "a consistent report has no core, blame or skipped claims", None
        if report.get("witness") != cert.get("witness"):
            return False, "the report's witness is not the certificate's", None
    else:
        expressible = Counter(p for p in pairs if p[0] in core and _expressible(p[1], unknowns))
        if not core or not core <= attempts or Counter(given) != expressible:
            return False, "the unsat core is not made of exactly the claims of accepted attempts", None
        if not isinstance(report.get("core"), list) or set(report["core"]) != core:
            return False, "the report's core is not the certificate's", None
        if report.get("witness") is not None:
            return False, "an inconsistent report has no witness", None
    key = json.dumps(cert, sort_keys=True)
    if memo is None or key not in memo:
        checked = check_certificate(cert, use_cvc5=use_cvc5)
        result = (checked.ok, checked.message)
        if memo is not None:
            memo[key] = result
    ok, message = memo[key] if memo is not None else result
    return ok, message, core if status == "inconsistent" else None


def _expressible(claim: str, unknowns: dict[str, str]) -> bool:
    """Can the claim be asserted in a consistency script? (An unsat certificate leaves out the
    claims SMT-LIB cannot express: they are never asserted, so they cannot be re-checked.)"""
    formula = parse_claim(claim)
    return (
        not isinstance(formula, ParseFailure) and constraint_terms([formula], unknowns).terms[0] is not None
    )


class _Replayer:
    def __init__(
        self, task, constraints: list[str], nodes: dict[str, dict[str, Any]], use_cvc5: bool
    ) -> None:
        self.task = task
        self.nodes = nodes
        self.use_cvc5 = use_cvc5
        self.claims = attempt_claims(nodes)
        self.constraints = constraints
        self.accepted: dict[str, None] = {}
        self.ever: set[str] = set()
        self.held: set[str] = set()  # joined with a status that does not accept (e.g. unverified)
        self.tentative: str | None = None  # the held attempt of the current entry
        self.memo: dict[str, tuple[bool, str]] = {}
        self.used_joins: set[str] = set()
        self.pending: _Pending | None = None
        self.items: list[Item] = []

    def attempt(self, node: Any) -> dict[str, Any] | None:
        data = self.nodes.get(node) if isinstance(node, str) else None
        return data if data is not None and data.get("kind") == "attempt" else None

    def statuses(self, attempt: str) -> list[Any]:
        return [
            d.get("status")
            for d in self.nodes.values()
            if d.get("kind") == "claim" and d.get("attempt") == attempt
        ]

    # -------------------------------------------------------- one entry

    def effect(self, entry: dict[str, Any]) -> str:
        """Apply the entry to the accepted set; "" or why it cannot be."""
        status, attempt = entry.get("status"), entry.get("attempt")
        if not isinstance(status, str):
            return "a join entry needs a status"
        if status == "failed":
            data = [
                d
                for d in self.nodes.values()
                if d.get("kind") == "attempt" and d.get("fork_id") == entry.get("fork_id")
            ]
            if attempt is not None or entry.get("join") is not None:
                return "a failed fork joins no attempt"
            if not data or any(d.get("valid") for d in data):
                return f"fork {entry.get('fork_id')} has a valid attempt, so it did not fail"
            return ""
        if status == "rejected":
            return self.withdraw(entry)
        return self.add(entry, counted=status in ADDING)

    def add(self, entry: dict[str, Any], *, counted: bool) -> str:
        attempt = entry.get("attempt")
        data = self.attempt(attempt)
        if data is None:
            return f"{attempt!r} is not an attempt of the graph"
        if data.get("fork_id") != entry.get("fork_id"):
            return f"{attempt} is not an attempt of fork {entry.get('fork_id')}"
        if attempt in self.ever or not data.get("joined"):
            return f"{attempt} cannot be joined here (already joined once, or never joined in the graph)"
        join = self.nodes.get(entry.get("join")) if isinstance(entry.get("join"), str) else None
        if (
            join is None
            or join.get("kind") != "join"
            or join.get("attempt") != attempt
            or entry["join"] in self.used_joins
        ):
            return f"{entry.get('join')!r} is not a join of {attempt} in the graph"
        self.used_joins.add(entry["join"])
        self.ever.add(attempt)
        if not isinstance(data.get("query"), str):
            return f"{attempt} records no query"
        if self.task.domain is None:  # the engine vets a RETURN against its typed sub-query first
            claims = sorted(
                (d for d in self.nodes.values() if d.get("kind") == "claim" and d.get("attempt") == attempt),
                key=lambda d: d.get("order", 0),
            )
            text = "\n".join(str(d.get("text", "")) for d in claims)
            missing = unanswered(data["query"], self.task.unknowns, text)
            if missing is None:
                missing = incomplete(
                    data["query"],
                    self.task.unknowns,
                    [(str(d.get("text", "")), d.get("role"), d.get("status")) for d in claims],
                )
            if missing is not None:
                return f"{attempt} cannot be joined: {missing}"
        if not counted:  # held (e.g. unverified): checked with the others, then set aside
            self.held.add(attempt)
            self.tentative = attempt
            data = self.attempt(attempt) or {}
            if data.get("valid") or data.get("invalidated_by") != attempt:
                return f"the graph does not set {attempt} aside"
            return ""
        statuses = self.statuses(attempt)
        if any(s != "proved" and s != "unknown" for s in statuses):
            return f"{attempt} has a claim that is not proved or unknown; it cannot be accepted"
        if self.task.require_claims and "proved" not in statuses:
            return f"{attempt} has no proved claim; this task requires one"
        self.accepted[attempt] = None
        return ""

    def withdraw(self, entry: dict[str, Any]) -> str:
        attempt = entry.get("attempt")
        pending = self.pending
        if pending is None:
            return "a rejection needs an inconsistent consistency report before it"
        if attempt not in pending.core or attempt not in self.accepted or attempt == TASK:
            return f"{attempt!r} is not an accepted attempt of the unsat core {sorted(pending.core)}"
        if entry.get("join") is not None or (
            "core" in entry and set(entry.get("core") or ()) != pending.core
        ):
            return "a rejection names the unsat core it follows and no join"
        data = self.attempt(attempt) or {}
        if data.get("valid") or data.get("invalidated_by") != attempt:
            return f"the graph does not record {attempt} as rejected"
        if entry.get("fork_id") != data.get("fork_id"):
            return f"{attempt} is not an attempt of fork {entry.get('fork_id')}"
        pending.withdrawn.append(attempt)
        for other in list(self.accepted):
            if other == attempt or (self.attempt(other) or {}).get("invalidated_by") == attempt:
                del self.accepted[other]
                pending.forks.add((self.attempt(other) or {}).get("fork_id"))
        return ""

    def settle(self) -> str:
        """Close the pending inconsistent report: were the right attempts withdrawn?"""
        pending, self.pending = self.pending, None
        if pending is None:
            return ""
        entry, withdrawn = pending.entry, pending.withdrawn
        if pending.core == {TASK}:
            if entry.get("status") != "task-inconsistent" or withdrawn:
                return f"join {pending.index}: the task alone is inconsistent; the entry must say task-inconsistent"
            return ""
        if not withdrawn:
            return f"join {pending.index}: the joined claims were inconsistent and nothing was withdrawn"
        own = entry.get("attempt") in withdrawn
        if own != (entry.get("status") == "conflict"):
            return f"join {pending.index}: status {entry.get('status')} but its attempt was {'' if own else 'not '}withdrawn"
        if pending.blame is not None and pending.blame not in withdrawn:
            return f"join {pending.index}: the report blames {pending.blame}, which was not withdrawn"
        return ""

    def entry(self, index: int, entry: Any) -> tuple[bool, str]:
        if not isinstance(entry, dict) or not set(entry) >= ENTRY_KEYS:
            return False, f"a join entry is an object with {', '.join(sorted(ENTRY_KEYS))}"
        self.tentative = None
        status = entry.get("status")
        if status == "rejected" and "core" not in entry:
            return False, "a rejection names the unsat core it follows"
        resolving = self.pending is not None and self.pending.withdrawn
        if resolving and status != "rejected" and entry.get("fork_id") not in self.pending.forks:
            return (
                False,
                f"fork {entry.get('fork_id')} joins in the middle of resolving join {self.pending.index}",
            )
        why = self.effect(entry)
        if why:
            return False, why
        report = entry.get("consistency")
        if report is None:
            if status in ADDING and (self.pending is None or not self.pending.withdrawn):
                return False, f"fork {entry.get('fork_id')} was {status} without a consistency check"
            return True, f"fork {entry.get('fork_id')}: {status}, checked by the next consistency report"
        why = self.settle()
        if why:
            return False, why
        checked = [*self.accepted, *([self.tentative] if self.tentative else [])]
        pairs = expected_pairs(self.constraints, self.claims, checked)
        ok, message, core = check_report(report, self.task.unknowns, pairs, self.use_cvc5, self.memo)
        if not ok:
            return False, message
        outcome = report.get("status")
        if self.tentative is not None and outcome != "unknown":
            return False, f"status {status}, but joint consistency was established ({outcome})"
        if outcome == "unknown" and status in ADDING:
            return (
                False,
                f"fork {entry.get('fork_id')} was {status} although joint consistency was not established",
            )
        if outcome == "consistent" and status in ("conflict", "task-inconsistent"):
            return False, f"status {status} but the joined claims are consistent"
        if core is not None:
            self.pending = _Pending(index, entry, core, report.get("blame"))
        elif status == "task-inconsistent":
            return False, "task-inconsistent needs an unsat core of the task alone"
        return True, f"fork {entry.get('fork_id')} ({status}): {message}"

    def finish(self) -> str:
        why = self.settle()
        if why:
            return why
        joined = {
            n
            for n, d in self.nodes.items()
            if d.get("kind") == "attempt" and d.get("valid") and d.get("joined")
        }
        if set(self.accepted) != joined - self.held:
            return (
                f"the replayed accepted attempts {sorted(self.accepted)} are not the graph's "
                f"joined, valid attempts {sorted(joined)}"
            )
        every = {n for n, d in self.nodes.items() if d.get("kind") == "join"}
        if self.used_joins != every:
            return f"join nodes {sorted(every - self.used_joins)} of the graph have no join entry"
        attempts_joined = {n for n, d in self.nodes.items() if d.get("kind") == "attempt" and d.get("joined")}
        if attempts_joined != self.ever:
            return f"the graph marks {sorted(attempts_joined ^ self.ever)} joined, the join entries do not"
        return ""


def replay_joins(
    task,
    constraints: list[str],
    nodes: dict[str, dict[str, Any]],
    joins: Any,
    *,
    use_cvc5: bool,
    deadline: float | None = None,
) -> Replay:
    """Replay `joins` against the graph's `nodes` (id -> attributes) for `task`, whose constraints
    in canonical text are `constraints`; see the module docstring. Past `deadline`
    (time.monotonic) the replay stops and fails: it is not re-checked in time."""
    if not isinstance(joins, list):
        return Replay([("joins", False, "joins must be a list")], None)
    replayer = _Replayer(task, constraints, nodes, use_cvc5)
    items: list[Item] = []
    for index, entry in enumerate(joins, start=1):
        if deadline is not None and time.monotonic() > deadline:
            items.append(("time limit", False, f"not re-checked within the time limit (at join {index})"))
            return Replay(items, None)
        ok, message = replayer.entry(index, entry)
        items.append((f"join {index}", ok, message))
        if not ok:
            return Replay(items, None)
    why = replayer.finish()
    items.append(
        ("joins replayed", not why, why or f"{len(joins)} join entries replay to the graph's accepted set")
    )
    return Replay(items, None if why else list(replayer.accepted), replayer.memo)


def label_conflicts(joins: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The engine's join entries with `conflict` wherever an entry's own attempt was withdrawn
    because of its consistency report (the engine labels only the organizer's joins so)."""
    out = [dict(j) for j in joins]
    for index, entry in enumerate(out):
        report = entry.get("consistency") or {}
        if report.get("status") != "inconsistent" or entry.get("status") != "accepted":
            continue
        withdrawn = []
        for later in out[index + 1 :]:
            if later.get("consistency") is not None:
                break
            if later.get("status") == "rejected":
                withdrawn.append(later.get("attempt"))
        if entry.get("attempt") in withdrawn:
            entry["status"] = "conflict"
    return out
