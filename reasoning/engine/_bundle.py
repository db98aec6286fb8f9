"""The proof bundle of a fork/join run, and `check_bundle`, which re-checks one from scratch.

A bundle (`reasoning.bundle/1`) is one JSON object; every section but `metrics` is required:

- `task`: the task (`reasoning.engine._task.Task.to_json`).
- `claims`: every accepted claim (of a joined, valid attempt): its text, the role it was
  accepted in (closed / entailed / choice) and the certificate of its obligation.
- `joins`: every join and withdrawal in order (`reasoning.engine._bundle_joins` says what each status
  means), each with the joint-consistency report made right after it, if any.
- `final_consistency`: the joint check of all accepted claims with the task's constraints:
  `consistent`, or `inconsistent` with a core of the task alone (the task has no solution,
  which only an answer that proves so can discharge).
- `answer`: the final answer (its claim lines), its status and the certificates of its
  obligations (or null); `notes` holds its `#` lines, descriptive and never checked.
  A domain task (`task.domain`, see `reasoning.domains`) has `domain` claims and one `domain`
  obligation for the answer; each certificate names the task and the text it is about and is
  re-derived by the domain's own `recheck`.
- `graph`: the causal graph as node-link JSON, with every attempt and claim (status, role,
  certificate), join and answer; `metrics`: the run's metrics (descriptive, not checked).
- `formalization` (only for a word problem, `reasoning.engine._formalize`): the model-written formal
  text the task was read from, its author and the problem; the check re-reads it and requires
  the task to be exactly that formalization, and says the answer rests on it.

`check_bundle` trusts none of the producer's conclusions and passes only a bundle that proves a
proved answer. It rebuilds the task; requires the graph's bookkeeping to agree with itself and
the task; re-derives the graph's edges from its nodes (`reasoning.engine._bundle_edges`: a changed
`depends_on` edge or `uses` reason would change what a withdrawal invalidated); re-derives
every recorded claim status from its certificate (the obligation comes from
the task and the claim text, the certificate must be about exactly that formula and prove or
refute it as recorded); replays the join history (`reasoning.engine._bundle_joins`): every join decision
from the consistency certificate over exactly the attempts accepted at that point; re-checks the
final consistency over exactly the replayed set; and re-derives the answer's obligations from the
task (`reasoning.engine._task.answer_obligations`). Every certificate is re-checked through
`proofs.check` (fresh Z3, cvc5 where installed, exact re-evaluation). A run without a proved
answer fails ("this run has no proved answer"). It reports every item it checked and names the
first that fails.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from proofs.check import CheckReport, check_certificate, check_verdict, established, evidence_problem
from proofs.claims import to_text
from proofs.parsing import ParseFailure, parse_claim
from reasoning.engine._bundle_edges import check_edges
from reasoning.engine._bundle_joins import (
    attempt_claims,
    check_report,
    expected_pairs,
    label_conflicts,
    replay_joins,
)
from reasoning.engine._causal_graph import TASK, CausalGraph
from reasoning.engine._formal_task import check_recorded
from reasoning.engine._task import Task, answer_obligations, obligations
from reasoning.errors import InvalidArgument


class BundleSource(Protocol):
    """What a bundle is built from: the parts of `reasoning.engine._engine.RunResult` read here
    (a structural type, so this module does not import the engine that writes bundles)."""

    task: Task
    answer: str | None
    status: Any
    message: str
    answer_check: Any
    metrics: Any
    graph: CausalGraph
    events: tuple
    joins: list[dict[str, Any]]
    final_consistency: Any
    ledger: str

    def accepted_claims(self) -> list[dict[str, Any]]: ...


FORMAT = "reasoning.bundle/1"
#: The sections every bundle has; a missing one fails the check.
REQUIRED_SECTIONS = ("task", "claims", "joins", "final_consistency", "answer", "graph")
#: Largest bundle file `load_bundle` reads.
MAX_BUNDLE_BYTES = 50_000_000


def build_bundle(result: BundleSource) -> dict[str, Any]:
    """The bundle of a finished run (JSON types only)."""
    check = result.answer_check
    return {
        "format": FORMAT,
        "task": result.task.to_json(),
        "claims": result.accepted_claims(),
        "joins": label_conflicts(result.joins),
        "final_consistency": result.final_consistency.to_json(),
        "answer": None
        if result.answer is None
        else {
            "text": result.answer,
            "status": result.status.value,
            "message": result.message,
            "obligations": check.to_json()["obligations"] if check else [],
            "notes": list(check.notes) if check else [],  # the answer's `#` lines: never checked
        },
        "graph": result.graph.to_node_link(),
        "metrics": result.metrics.to_json(),
    }


def _write_json(path: Path, data: Any) -> None:
    _write_text(path, json.dumps(data, indent=1, sort_keys=True) + "\n")


def _write_text(path: Path, text: str) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def write_run_files(result: BundleSource, directory: Path, *, trace_and_ledger: bool = True) -> Path:
    """Write graph.json, graph.svg and bundle.json into `directory`, and trace.jsonl and
    ledger.md unless `trace_and_ledger` is False (the run wrote them live); returns the bundle's
    path. Each file is written once, whole (temporary file, then rename)."""
    if trace_and_ledger:
        lines = "".join(json.dumps(e.to_json(), sort_keys=True) + "\n" for e in result.events)
        _write_text(directory / "trace.jsonl", lines)
        _write_text(directory / "ledger.md", result.ledger)
    _write_json(directory / "graph.json", result.graph.to_node_link())
    result.graph.render_svg(directory / "graph.svg")
    path = directory / "bundle.json"
    _write_json(path, build_bundle(result))
    return path


# ---------------------------------------------------------------- checking


@dataclass(frozen=True)
class BundleItem:
    """One checked item: `name` says which (e.g. `claim claim-3`), `ok` and why."""

    name: str
    ok: bool
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"item": self.name, "ok": self.ok, "message": self.message}


class OutOfTime(Exception):
    """The overall budget of `check_bundle` ran out (checked as each item is added)."""


@dataclass
class BundleReport:
    """All items checked; `ok` only when every one passed. `deadline` (time.monotonic) stops
    the check at the next item once passed."""

    items: list[BundleItem] = field(default_factory=list)
    deadline: float | None = None

    @property
    def ok(self) -> bool:
        return bool(self.items) and all(item.ok for item in self.items)

    @property
    def first_failure(self) -> BundleItem | None:
        return next((item for item in self.items if not item.ok), None)

    def add(self, name: str, report: CheckReport | tuple[bool, str]) -> bool:
        ok, message = (report.ok, report.message) if isinstance(report, CheckReport) else report
        self.items.append(BundleItem(name, ok, message))
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise OutOfTime
        return ok

    def to_json(self) -> dict[str, Any]:
        failure = self.first_failure
        return {
            "ok": self.ok,
            "checked": len(self.items),
            "failed": failure.name if failure else None,
            "message": failure.message if failure else f"all {len(self.items)} items re-check",
            "items": [item.to_json() for item in self.items],
        }


def load_bundle(path: str | os.PathLike) -> dict[str, Any]:
    """Read a bundle file; InvalidArgument when it is too big, not JSON or not a bundle."""
    file = Path(path)
    if file.stat().st_size > MAX_BUNDLE_BYTES:
        raise InvalidArgument(f"{path}: larger than {MAX_BUNDLE_BYTES} bytes")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InvalidArgument(f"{path}: not JSON: {exc}") from exc
    if not is_bundle(data):
        raise InvalidArgument(f"{path}: not a proof bundle (format {FORMAT})")
    return data


def is_bundle(data: Any) -> bool:
    return isinstance(data, dict) and data.get("format") == FORMAT


def _proves(name: str, cert: Any, expected_claim: str, use_cvc5: bool) -> tuple[bool, str]:
    """Does `cert` re-check, prove (not refute) and concern exactly `expected_claim`?"""
    if not isinstance(cert, dict):
        return False, f"{name} has no certificate"
    if cert.get("claim") != expected_claim:
        return False, f"{name}: the certificate is about {cert.get('claim')!r}, not {expected_claim!r}"
    if established(cert) is not True:
        return False, f"{name}: the certificate does not prove its claim"
    problem = evidence_problem(cert)
    if problem:
        return False, f"{name}: {problem}"
    report = check_certificate(cert, use_cvc5=use_cvc5)
    return report.ok, report.message


def _domain_proves(
    task: Task, name: str, cert: Any, text: str, role: str, use_cvc5: bool
) -> tuple[bool, str]:
    """Is `cert` a re-checking domain certificate that `text` (a claim or the answer) holds for
    exactly this task?"""
    if not isinstance(cert, dict) or cert.get("kind") != "domain":
        return False, f"{name} has no domain certificate"
    if cert.get("claim") != text or cert.get("role") != role:
        return False, f"{name}: the certificate is about {cert.get('role')} {cert.get('claim')!r}"
    if cert.get("task") != task.domain or cert.get("domain") != task.domain.get("domain"):
        return False, f"{name}: the certificate is about another task"
    if cert.get("holds") is not True:
        return False, f"{name}: the certificate does not prove it"
    report = check_certificate(cert, use_cvc5=use_cvc5)
    return report.ok, report.message


def _domain_certifies(
    task: Task, name: str, cert: Any, text: str, role: str, want: bool, use_cvc5: bool
) -> tuple[bool, str]:
    """Does a re-checking domain certificate establish `want` for `text` in exactly this task?"""
    if want:
        return _domain_proves(task, name, cert, text, role, use_cvc5)
    if not isinstance(cert, dict) or cert.get("kind") != "domain" or cert.get("holds") is not False:
        return False, f"{name}: recorded refuted, but there is no domain certificate refuting it"
    if cert.get("claim") != text or cert.get("role") != role or cert.get("task") != task.domain:
        return False, f"{name}: the certificate is about another claim or task"
    report = check_certificate(cert, use_cvc5=use_cvc5)
    return report.ok, report.message


def check_bundle(data: Any, *, use_cvc5: bool = True, budget_s: float | None = None) -> BundleReport:
    """Re-check a bundle (see the module docstring); never raises on bad data. With `budget_s`,
    a check still running after that many seconds stops at its next item and fails ("not
    re-checked within N s"): a hostile bundle of many heavy items cannot run for ever."""
    deadline = None if budget_s is None else time.monotonic() + budget_s
    report = BundleReport(deadline=deadline)
    try:
        _check(data, report, use_cvc5)
        if isinstance(data, dict) and "formalization" in data:  # a word problem (engine.formalize)
            for item in check_recorded(data["formalization"], data.get("task")):
                report.add(item.name, (item.ok, item.message))
    except OutOfTime:
        report.items.append(BundleItem("time limit", False, time_limit_message(budget_s)))
    except Exception as exc:  # noqa: BLE001 - a hostile bundle must not crash the checker
        report.add("bundle", (False, f"malformed bundle: {type(exc).__name__}: {exc}"))
    return report


def time_limit_message(budget_s: float | None) -> str:
    """What a check cut short by its overall budget says (the CLI's --timeout too)."""
    return f"not re-checked within {budget_s:g} s: nothing is proved (raise --timeout to finish the check)"


def _check(data: Any, report: BundleReport, use_cvc5: bool) -> None:
    if not report.add(
        "format", (is_bundle(data), f"format {FORMAT}" if is_bundle(data) else "not a proof bundle")
    ):
        return
    missing = [name for name in REQUIRED_SECTIONS if name not in data]
    for name in missing:
        report.add(name, (False, f"the bundle has no {name} section"))
    if missing:
        return
    try:
        task = Task.from_json(data.get("task"))
    except InvalidArgument as exc:
        report.add("task", (False, str(exc)))
        return
    if task.to_json() != data["task"]:  # nothing left to defaults, nothing the task does not read
        report.add("task", (False, "the task is not written in full (Task.to_json)"))
        return
    if task.domain is not None:
        report.add("task", (True, f"a {task.domain.get('domain')} task"))
    else:
        report.add("task", (True, f"{len(task.unknowns)} unknown(s), {len(task.constraints)} constraint(s)"))
    link = data.get("graph")
    if not isinstance(link, dict) or link.get("directed") is not True or link.get("multigraph") is not True:
        report.add("graph", (False, "the graph is a directed multigraph in node-link form"))
        return
    try:
        graph = CausalGraph.from_node_link(link)
    except (InvalidArgument, KeyError, TypeError, ValueError) as exc:
        report.add("graph", (False, f"not a causal graph: {exc}"))
        return
    nodes = {node: dict(attrs) for node, attrs in graph.graph.nodes(data=True)}
    joined = {record.node: record for record in graph.accepted_claims()}
    claims = data.get("claims")
    if not isinstance(claims, list):
        report.add("claims", (False, "claims must be a list"))
        return
    listed = {c.get("node") for c in claims if isinstance(c, dict)}
    same = listed == set(joined) and len(listed) == len(claims)
    if not report.add(
        "graph",
        (
            same,
            "the accepted claims are exactly the graph's joined, valid claims"
            if same
            else f"the claims listed ({sorted(map(str, listed))}) are not the graph's joined claims ({sorted(joined)})",
        ),
    ):
        return
    _check_graph_nodes(task, nodes, report)
    report.add("graph edges", check_edges(graph.graph))
    for entry in claims:
        _check_claim(task, entry, joined, nodes, report, use_cvc5)
    for node, attrs in nodes.items():
        if attrs.get("kind") == "claim" and node not in joined:
            report.add(f"recorded claim {node}", _claim_status(task, node, attrs, use_cvc5))
    constraints = [to_text(f) for f in task.constraint_formulas]
    replay = replay_joins(
        task, constraints, nodes, data.get("joins"), use_cvc5=use_cvc5, deadline=report.deadline
    )
    for name, ok, message in replay.items:
        report.add(name, (ok, message))
    if replay.accepted is None:
        return
    final = data.get("final_consistency")
    claims_of = attempt_claims(nodes)
    pairs = expected_pairs(constraints, claims_of, replay.accepted)
    ok, message, core = check_report(final, task.unknowns, pairs, use_cvc5, replay.memo)
    # As in the engine: a core of the task's constraints alone says the task has no solution,
    # which the answer may prove (its obligations never rest on the accepted claims).
    if ok and final.get("status") != "consistent" and core != {TASK}:
        ok, message = False, f"the joint consistency of the accepted claims was not established: {message}"
    report.add("final consistency", (ok, message))
    _check_answer(task, data.get("answer"), nodes, report, use_cvc5)


#: Attributes every node of a kind has (`CausalGraph`), besides descriptive ones.
NODE_KEYS = {
    "attempt": {"valid", "fork_id", "attempt", "joined", "invalidated_by", "after_joins"},
    "claim": {"valid", "attempt", "text", "claim", "status", "role", "certificate"},
    "join": {"valid", "fork_id", "attempt"},
    "answer": {"valid", "text"},
}


def _check_graph_nodes(task: Task, nodes: dict[str, dict], report: BundleReport) -> None:
    """The graph's own bookkeeping: the task's text, attempt names and validity, joins."""
    problems = []
    if nodes.get(TASK, {}).get("text") != task.text or nodes[TASK].get("valid") is not True:
        problems.append("the graph's task is not the bundle's task")
    for node, attrs in nodes.items():
        kind = attrs.get("kind")
        missing = NODE_KEYS.get(kind, set()) - set(attrs)
        if missing or any(not isinstance(attrs.get(k), bool) for k in ("valid", "joined") if k in attrs):
            problems.append(f"{node} lacks {', '.join(sorted(missing)) or 'boolean flags'}")
            continue
        if kind == "attempt":
            if node != f"fork-{attrs.get('fork_id')}.{attrs.get('attempt')}":
                problems.append(
                    f"{node} is not attempt {attrs.get('attempt')} of fork {attrs.get('fork_id')}"
                )
            cause = attrs.get("invalidated_by")
            if bool(attrs.get("valid")) == (cause is not None):
                problems.append(f"{node}: valid = {attrs.get('valid')} but invalidated_by = {cause!r}")
            elif cause is not None and nodes.get(cause, {}).get("kind") != "attempt":
                problems.append(f"{node} is invalidated by {cause!r}, which is not an attempt")
        elif kind in ("claim", "join"):
            owner = nodes.get(attrs.get("attempt"), {})
            if owner.get("kind") != "attempt" or bool(attrs.get("valid")) != bool(owner.get("valid")):
                problems.append(f"{node} does not share the validity of its attempt {attrs.get('attempt')!r}")
            elif kind == "join" and attrs.get("fork_id") != owner.get("fork_id"):
                problems.append(f"{node} joins fork {attrs.get('fork_id')}, its attempt is of another fork")
    report.add("graph nodes", (not problems, "; ".join(problems[:3]) or f"{len(nodes)} nodes agree"))


def _claim_status(task: Task, node: str, attrs: dict, use_cvc5: bool) -> tuple[bool, str]:
    """Re-derive a claim's recorded status (and role) from its certificate."""
    status, role, cert, text = (
        attrs.get("status"),
        attrs.get("role"),
        attrs.get("certificate"),
        attrs.get("text"),
    )
    if status not in ("proved", "refuted", "unknown", "invalid"):
        return False, f"status {status!r} is not a verdict"
    undecided = status in ("unknown", "invalid")
    want = status == "proved"
    if task.domain is not None:
        if role != "domain" or attrs.get("claim") != text:
            return False, "a domain task's claims are domain claims"
        if undecided:
            if cert is not None and established(cert) is not None:
                return False, f"recorded {status}, but it carries a certificate that decides it"
            return True, f"{text}: {status}, no proof claimed"
        return _domain_certifies(task, f"claim {node}", cert, text, "claim", want, use_cvc5)
    formula = parse_claim(str(attrs.get("claim")))
    if isinstance(formula, ParseFailure) or not isinstance(text, str):
        return False, "the claim does not parse"
    written = parse_claim(text)
    if isinstance(written, ParseFailure) or to_text(written) != to_text(formula):
        return False, "the claim's text is not the claim"
    roles = obligations(task, formula)
    if role not in dict(roles) or (not want and role != roles[-1][0]):
        return False, f"role {role!r} is not the one a {status} claim is checked in"
    if undecided:
        if cert is not None:
            return False, f"recorded {status}, but it carries a certificate"
        return True, f"{text}: {status}, no proof claimed"
    expected = to_text(dict(roles)[role])
    if not isinstance(cert, dict) or cert.get("claim") != expected:
        return False, f"the certificate is not about {expected!r}"
    if established(cert) is not want:
        return False, f"recorded {status}, but the certificate does not {'prove' if want else 'refute'} it"
    if evidence_problem(cert):
        return False, evidence_problem(cert)
    checked = check_certificate(cert, use_cvc5=use_cvc5)
    return checked.ok, f"{text} ({role}, {status}): {checked.message}"


def _check_claim(
    task: Task, entry: Any, joined: dict, nodes: dict, report: BundleReport, use_cvc5: bool
) -> None:
    name = f"claim {entry.get('node') if isinstance(entry, dict) else '?'}"
    if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
        report.add(name, (False, "a claim entry needs its text"))
        return
    attrs = nodes.get(entry.get("node"), {})
    fields = ("attempt", "text", "claim", "role", "status", "certificate")
    differ = [f for f in fields if entry.get(f) != attrs.get(f)]
    if differ or entry.get("status") != "proved":
        report.add(
            name, (False, f"not the proved claim the graph records for this node ({', '.join(differ)})")
        )
        return
    if task.domain is not None:
        record = joined.get(entry.get("node"))
        if record is None or record.claim != entry["text"] or entry.get("role") != "domain":
            report.add(name, (False, "not the domain claim the graph records for this node"))
            return
        if entry.get("obligation") != entry["text"]:  # a domain claim's obligation is itself
            report.add(name, (False, "a domain claim's obligation is its text"))
            return
        ok, message = _domain_proves(task, name, entry.get("certificate"), entry["text"], "claim", use_cvc5)
        report.add(name, (ok, f"{entry['text']} (domain): {message}"))
        return
    formula = parse_claim(entry["text"])
    if isinstance(formula, ParseFailure):
        report.add(name, (False, f"does not parse: {formula.describe()}"))
        return
    record = joined.get(entry.get("node"))
    if record is None or record.claim != to_text(formula):
        report.add(name, (False, "not the claim the graph records for this node"))
        return
    roles = dict(obligations(task, formula))
    role = entry.get("role")
    if role not in roles:
        report.add(name, (False, f"role {role!r} does not apply; possible: {', '.join(roles)}"))
        return
    if entry.get("obligation") != to_text(roles[role]):
        report.add(name, (False, f"the obligation of role {role} is {to_text(roles[role])!r}"))
        return
    ok, message = _proves(name, entry.get("certificate"), to_text(roles[role]), use_cvc5)
    report.add(name, (ok, f"{entry['text']} ({role}): {message}"))


NO_PROOF = "this run has no proved answer"


def _check_answer(task: Task, answer: Any, nodes: dict, report: BundleReport, use_cvc5: bool) -> None:
    if answer is None:
        report.add("answer", (False, f"{NO_PROOF}: it ended without an answer"))
        return
    if not isinstance(answer, dict) or not isinstance(answer.get("text"), str):
        report.add("answer", (False, "an answer needs its text"))
        return
    answers = [attrs for attrs in nodes.values() if attrs.get("kind") == "answer"]
    if len(answers) != 1 or answers[0].get("text") != answer["text"] or not answers[0].get("valid"):
        report.add("answer", (False, "the graph records another answer, or none"))
        return
    if answer.get("status") != "proved":
        report.add("answer", (False, f"{NO_PROOF}: its answer is recorded as {answer.get('status')}"))
        return
    given = answer.get("obligations")
    if task.domain is not None:
        if (
            not isinstance(given, list)
            or len(given) != 1
            or not isinstance(given[0], dict)
            or given[0].get("role") != "domain"
        ):
            report.add("answer", (False, "a domain answer has exactly one obligation, in role domain"))
            return
        verdict = given[0].get("verdict") or {}
        if (
            verdict.get("status") != "proved"
            or verdict.get("claim") != answer["text"]
            or verdict.get("counterexample", "") is not None  # as `check_verdict` asks of a proof
        ):
            report.add("answer (domain)", (False, "the obligation's verdict is not a proof of this answer"))
            return
        cert = verdict.get("certificate")
        report.add(
            "answer (domain)", _domain_proves(task, "answer", cert, answer["text"], "answer", use_cvc5)
        )
        return
    planned = answer_obligations(task, answer["text"])
    if isinstance(planned, (str, ParseFailure)):
        report.add(
            "answer", (False, f"the answer has no obligations: {getattr(planned, 'message', planned)}")
        )
        return
    if not isinstance(given, list) or len(given) != len(planned):
        count = len(given) if isinstance(given, list) else 0
        report.add("answer", (False, f"{count} certificates for {len(planned)} obligations"))
        return
    for (role, formula), entry in zip(planned, given):
        name = f"answer ({role})"
        if not isinstance(entry, dict) or entry.get("role") != role:
            report.add(name, (False, "obligations are not the ones this answer gives"))
            return
        verdict = entry.get("verdict")
        if not isinstance(verdict, dict) or verdict.get("status") != "proved":
            report.add(name, (False, "the obligation's verdict is not proved"))
            return
        if verdict.get("claim") != to_text(formula):
            report.add(
                name, (False, f"the verdict is about {verdict.get('claim')!r}, not {to_text(formula)!r}")
            )
            return
        cert = verdict.get("certificate")
        if not isinstance(cert, dict) or cert.get("claim") != to_text(formula):
            report.add(name, (False, f"the certificate is not about {to_text(formula)!r}"))
            return
        checked = check_verdict(verdict, use_cvc5=use_cvc5)  # re-checks it and re-derives `proved`
        report.add(name, (checked.ok, checked.message))
