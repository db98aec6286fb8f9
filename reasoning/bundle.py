"""The proof bundle of a fork/join run, and `check_bundle`, which re-checks one from scratch.

A bundle (`reasoning.bundle/1`) is one JSON object:

- `task`: the task (`reasoning.task.Task.to_json`).
- `claims`: every accepted claim (of a joined, valid attempt): its text, the role it was
  accepted in (closed / entailed / choice) and the certificate of its obligation.
- `joins`: every join and rejection in order, each with its joint-consistency report and
  certificate (`sat` for an accepted join, `unsat` with the core for a rejection).
- `final_consistency`: the joint check of all accepted claims with the task's constraints.
- `answer`: the final answer, its status and the certificates of its obligations (or null).
  A domain task (`task.domain`, see `reasoning.domains`) has `domain` claims and one `domain`
  obligation for the answer; each certificate names the task and the text it is about and is
  re-derived by the domain's own `recheck`.
- `graph`: the causal graph as node-link JSON; `metrics`: the run's metrics.

`check_bundle` trusts none of the producer's conclusions. It rebuilds the task, re-derives each
claim's obligation from the task and the claim text and requires the certificate to be about
exactly that formula and to prove it, re-checks every certificate through `proofs.check` (fresh
Z3, cvc5 where installed, exact re-evaluation), requires the accepted claims to be exactly those
the graph says were joined, requires a consistent final-consistency certificate covering all of
them, and re-derives the answer's obligations the same way. It reports every item it checked
and names the first that fails.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proofs.check import CheckReport, certified_truth, check_certificate
from proofs.claims import to_text
from proofs.parsing import ParseFailure, parse_claim
from reasoning.api import InvalidArgument
from reasoning.causal_graph import TASK, CausalGraph
from reasoning.task import Task, answer_obligations, obligations

if TYPE_CHECKING:
    from reasoning.engine import RunResult

FORMAT = "reasoning.bundle/1"
#: The sections every bundle has; a missing one fails the check.
REQUIRED_SECTIONS = ("task", "claims", "joins", "final_consistency", "answer", "graph")
#: Largest bundle file `load_bundle` reads.
MAX_BUNDLE_BYTES = 50_000_000


def build_bundle(result: RunResult) -> dict[str, Any]:
    """The bundle of a finished run (JSON types only)."""
    check = result.answer_check
    return {
        "format": FORMAT,
        "task": result.task.to_json(),
        "claims": result.accepted_claims(),
        "joins": result.joins,
        "final_consistency": result.final_consistency.to_json(),
        "answer": None
        if result.answer is None
        else {
            "text": result.answer,
            "status": result.status.value,
            "message": result.message,
            "obligations": check.to_json()["obligations"] if check else [],
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


def write_run_files(result: RunResult, directory: Path, *, trace_and_ledger: bool = True) -> Path:
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


@dataclass
class BundleReport:
    """All items checked; `ok` only when every one passed."""

    items: list[BundleItem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.items) and all(item.ok for item in self.items)

    @property
    def first_failure(self) -> BundleItem | None:
        return next((item for item in self.items if not item.ok), None)

    def add(self, name: str, report: CheckReport | tuple[bool, str]) -> bool:
        ok, message = (report.ok, report.message) if isinstance(report, CheckReport) else report
        self.items.append(BundleItem(name, ok, message))
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
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
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
    if certified_truth(cert) is not True:
        return False, f"{name}: the certificate does not prove its claim"
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


def _consistency(cert: Any, expect: str, use_cvc5: bool) -> tuple[bool, str]:
    if not isinstance(cert, dict) or cert.get("kind") != "consistency" or cert.get("expect") != expect:
        return False, f"expected a consistency certificate with expect = {expect}"
    report = check_certificate(cert, use_cvc5=use_cvc5)
    return report.ok, report.message


def check_bundle(data: Any, *, use_cvc5: bool = True) -> BundleReport:
    """Re-check a bundle (see the module docstring); never raises on bad data."""
    report = BundleReport()
    try:
        _check(data, report, use_cvc5)
    except Exception as exc:  # noqa: BLE001 - a hostile bundle must not crash the checker
        report.add("bundle", (False, f"malformed bundle: {type(exc).__name__}: {exc}"))
    return report


def _check(data: Any, report: BundleReport, use_cvc5: bool) -> None:
    if not report.add(
        "format", (is_bundle(data), f"format {FORMAT}" if is_bundle(data) else "not a proof bundle")
    ):
        return
    try:
        task = Task.from_json(data.get("task"))
    except InvalidArgument as exc:
        report.add("task", (False, str(exc)))
        return
    if task.domain is not None:
        report.add("task", (True, f"a {task.domain.get('domain')} task"))
    else:
        report.add("task", (True, f"{len(task.unknowns)} unknown(s), {len(task.constraints)} constraint(s)"))
    try:
        graph = CausalGraph.from_node_link(data.get("graph"))
    except InvalidArgument as exc:
        report.add("graph", (False, str(exc)))
        return
    joined = {record.node: record for record in graph.accepted_claims()}
    claims = data.get("claims")
    if not isinstance(claims, list):
        report.add("claims", (False, "claims must be a list"))
        return
    listed = {c.get("node") for c in claims if isinstance(c, dict)}
    same = listed == set(joined) and len(listed) == len(claims)
    report.add(
        "graph",
        (
            same,
            "the accepted claims are exactly the graph's joined, valid claims"
            if same
            else f"the claims listed ({sorted(map(str, listed))}) are not the graph's joined claims ({sorted(joined)})",
        ),
    )
    for entry in claims:
        _check_claim(task, entry, joined, report, use_cvc5)
    _check_joins(data.get("joins"), report, use_cvc5)
    final = data.get("final_consistency") or {}
    cert = final.get("certificate")
    ok, message = _consistency(cert, "sat", use_cvc5)
    if cert is None and final.get("status") == "unknown":
        message = f"the joint consistency of the accepted claims was not established: {final.get('message')}"
    if ok:
        covered = sorted(
            (c.get("attempt"), c.get("claim")) for c in cert.get("claims", []) if c.get("attempt") != TASK
        )
        needed = sorted((r.attempt, r.claim) for r in joined.values() if r.formula is not None)
        tasks = sorted(c.get("claim") for c in cert.get("claims", []) if c.get("attempt") == TASK)
        constraints = sorted(to_text(f) for f in task.constraint_formulas)
        if covered != needed or tasks != constraints:
            ok, message = (
                False,
                "the final consistency certificate does not cover exactly the task and the accepted claims",
            )
    report.add("final consistency", (ok, message))
    _check_answer(task, data.get("answer"), report, use_cvc5)


def _check_claim(task: Task, entry: Any, joined: dict, report: BundleReport, use_cvc5: bool) -> None:
    name = f"claim {entry.get('node') if isinstance(entry, dict) else '?'}"
    if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
        report.add(name, (False, "a claim entry needs its text"))
        return
    if task.domain is not None:
        record = joined.get(entry.get("node"))
        if record is None or record.claim != entry["text"] or entry.get("role") != "domain":
            report.add(name, (False, "not the domain claim the graph records for this node"))
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
    ok, message = _proves(name, entry.get("certificate"), to_text(roles[role]), use_cvc5)
    report.add(name, (ok, f"{entry['text']} ({role}): {message}"))


def _check_joins(joins: Any, report: BundleReport, use_cvc5: bool) -> None:
    if not isinstance(joins, list):
        report.add("joins", (False, "joins must be a list"))
        return
    for index, join in enumerate(joins, start=1):
        if not isinstance(join, dict):
            report.add(f"join {index}", (False, "not an object"))
            continue
        consistency = join.get("consistency")
        if consistency is None or consistency.get("certificate") is None:
            status = consistency.get("status") if isinstance(consistency, dict) else join.get("status")
            report.add(
                f"join {index}", (True, f"fork {join.get('fork_id')}: {status}, no certificate to check")
            )
            continue
        expect = "unsat" if consistency.get("status") == "inconsistent" else "sat"
        ok, message = _consistency(consistency["certificate"], expect, use_cvc5)
        report.add(f"join {index}", (ok, f"fork {join.get('fork_id')} ({join.get('status')}): {message}"))


def _check_answer(task: Task, answer: Any, report: BundleReport, use_cvc5: bool) -> None:
    if answer is None:
        report.add("answer", (True, "the run has no final answer; nothing to check"))
        return
    if not isinstance(answer, dict) or not isinstance(answer.get("text"), str):
        report.add("answer", (False, "an answer needs its text"))
        return
    if answer.get("status") != "proved":
        report.add("answer", (True, f"the answer is recorded as {answer.get('status')}, not as verified"))
        return
    if task.domain is not None:
        given = answer.get("obligations") or []
        if len(given) != 1 or not isinstance(given[0], dict) or given[0].get("role") != "domain":
            report.add("answer", (False, "a domain answer has exactly one obligation, in role domain"))
            return
        cert = (given[0].get("verdict") or {}).get("certificate")
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
    given = answer.get("obligations") or []
    if len(given) != len(planned):
        report.add("answer", (False, f"{len(given)} certificates for {len(planned)} obligations"))
        return
    for (role, formula), entry in zip(planned, given):
        name = f"answer ({role})"
        if not isinstance(entry, dict) or entry.get("role") != role:
            report.add(name, (False, "obligations are not the ones this answer gives"))
            return
        cert = (entry.get("verdict") or {}).get("certificate")
        ok, message = _proves(name, cert, to_text(formula), use_cvc5)
        report.add(name, (ok, message))
