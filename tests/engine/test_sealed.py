"""Sealed checks: `reason check` re-derives every status it is shown and exits 0 only when the
file proves what it says.

Verdicts: the recorded status (and `equivalent`) must be the one its certificate establishes.
Bundles: every section is present, every join decision is re-derived from the attempts before
it, every recorded claim status from its certificate, the answer from the task. A property
mutates one field of small real bundles and verdicts at random: every mutation must fail.
"""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from proofs.check import check_verdict
from reasoning import verify
from reasoning.answers._equivalence import equivalent
from reasoning.cli._main import app
from reasoning.engine._bundle import REQUIRED_SECTIONS, build_bundle, check_bundle
from reasoning.engine._engine import EngineConfig, ForkJoinEngine
from reasoning.engine._planner import SymbolicPlanner
from reasoning.engine._symbolic_worker import SymbolicWorker
from reasoning.engine._task import Task
from reasoning.engine._workers import ScriptedOrganizer, ScriptedWorker

runner = CliRunner()

TASK = Task(
    "Find integers x, y with x + y = 10.", unknowns={"x": "Int", "y": "Int"}, constraints=("x + y = 10",)
)


def _run(turns, replies, task=TASK):
    result = ForkJoinEngine(ScriptedOrganizer(turns), ScriptedWorker(replies), EngineConfig()).run_sync(task)
    return json.loads(json.dumps(build_bundle(result)))  # as read from a file: no shared objects


@pytest.fixture(scope="module")
def conflict_bundle():
    """A proved run with a conflict at a join, a withdrawn attempt, an unknown claim and a
    rejected attempt: every kind of join entry and claim status."""
    return _run(
        [
            "<FORK-1>pick x</FORK-1><FORK-2>pick y</FORK-2><FORK-3>a fact</FORK-3><JOIN-1>",
            "<JOIN-2>",
            "<JOIN-3>",
            "<ANSWER>x = 3\ny = 7</ANSWER>",
        ],
        {
            1: ["<RETURN>x = 3</RETURN>"],
            2: ["<RETURN>y = 8</RETURN>", "<RETURN>y = 7</RETURN>"],
            3: ["<RETURN>2 + 2 = 5</RETURN>", "<RETURN>x + y = 10\n2^(2^(2^20)) = 3</RETURN>"],
        },
    )


@pytest.fixture(scope="module")
def simple_bundle():
    return _run(
        ["<FORK-1>pick x</FORK-1><JOIN-1>", "<ANSWER>x = 4\ny = 6</ANSWER>"],
        {1: ["<RETURN>x = 4\n10 - x = y</RETURN>"]},
    )


@pytest.fixture(scope="module")
def solver_bundle():
    """A run of the symbolic planner with real symbolic workers."""
    task = Task(
        "x + y = 10, x - y = 2", unknowns={"x": "Int", "y": "Int"}, constraints=("x + y = 10", "x - y = 2")
    )
    engine = ForkJoinEngine(SymbolicPlanner(task, capacity=2), SymbolicWorker(budget_s=2.0), EngineConfig())
    result = engine.run_sync(task)
    assert result.verified
    return json.loads(json.dumps(build_bundle(result)))


@pytest.fixture(scope="module")
def unanswered_bundle():
    return _run(["<FORK-1>pick x</FORK-1><JOIN-1>", "no answer here"], {1: ["<RETURN>x = 4</RETURN>"]})


def _fails(data):
    report = check_bundle(data, use_cvc5=False)
    assert not report.ok, "the tampered bundle re-checked"
    return report.first_failure


def test_real_bundles_recheck(conflict_bundle, simple_bundle, solver_bundle):
    for bundle in (conflict_bundle, simple_bundle, solver_bundle):
        report = check_bundle(bundle, use_cvc5=False)
        assert report.ok, report.to_json()
    names = [item.name for item in check_bundle(conflict_bundle, use_cvc5=False).items]
    assert sum(n.startswith("join ") for n in names) == len(conflict_bundle["joins"])
    assert {j["status"] for j in conflict_bundle["joins"]} == {"accepted", "conflict", "rejected"}


# ---------------------------------------------------------------- the bugs, one test each


def test_a_bundle_without_its_answer_section_fails(conflict_bundle, tmp_path):
    data = copy.deepcopy(conflict_bundle)
    del data["answer"]
    assert _fails(data).name == "answer"
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(data))
    assert runner.invoke(app, ["check", str(path), "--no-cvc5"]).exit_code == 1


@pytest.mark.parametrize("section", REQUIRED_SECTIONS)
def test_every_required_section_must_be_present(simple_bundle, section):
    data = copy.deepcopy(simple_bundle)
    del data[section]
    assert not check_bundle(data, use_cvc5=False).ok


def test_accepted_joins_relabelled_rejected_fail(conflict_bundle, tmp_path):
    data = copy.deepcopy(conflict_bundle)
    for join in data["joins"]:
        if join["status"] == "accepted":
            join["status"] = "rejected"
    assert _fails(data).name.startswith("join")
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(data))
    assert runner.invoke(app, ["check", str(path), "--no-cvc5"]).exit_code == 1


def test_one_accepted_join_relabelled_fails(simple_bundle):
    data = copy.deepcopy(simple_bundle)
    data["joins"][0]["status"] = "rejected"
    assert _fails(data).name.startswith("join")


def test_a_bundle_without_a_proved_answer_exits_1_saying_so(unanswered_bundle, tmp_path):
    report = check_bundle(unanswered_bundle, use_cvc5=False)
    assert not report.ok
    assert "this run has no proved answer" in report.first_failure.message
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(unanswered_bundle))
    result = runner.invoke(app, ["check", str(path), "--no-cvc5"])
    assert result.exit_code == 1
    assert "this run has no proved answer" in result.output


def test_a_join_accepted_without_established_consistency_fails():
    """exp(1) > 2 is proved, but Z3 cannot express it, so the joint check is unknown: the join is
    held unverified, and a bundle that says it was accepted fails at that join."""
    task = Task("0 < x < 4", unknowns={"x": "Real"}, constraints=("x > 0", "x < 4"))
    bundle = _run(
        ["<FORK-1>facts</FORK-1><JOIN-1>", "<ANSWER>x = 3</ANSWER>"],
        {1: ["<RETURN>exp(1) > 2\nx = 3</RETURN>"]},
        task,
    )
    assert bundle["joins"][0]["consistency"]["status"] == "unknown"
    assert bundle["joins"][0]["status"] == "unverified"
    items = {item.name: item for item in check_bundle(bundle, use_cvc5=False).items}
    assert items["join 1"].ok and items["final consistency"].ok
    data = copy.deepcopy(bundle)
    data["joins"][0]["status"] = "accepted"
    failure = _fails(data)
    assert failure.name == "join 1", failure


def test_a_verdict_saying_proved_around_a_counterexample_fails(tmp_path):
    verdict = verify("(x + 1)^2 = x^2 + 1").to_json()
    assert verdict["certificate"]["kind"] == "counterexample"
    verdict["status"] = "proved"
    verdict["counterexample"] = None
    path = tmp_path / "verdict.json"
    path.write_text(json.dumps(verdict))
    result = runner.invoke(app, ["check", str(path), "--no-cvc5"])
    assert result.exit_code == 1, result.output
    assert "FAILED" in result.output


def test_a_verify_json_line_edited_from_refuted_to_proved_fails(tmp_path):
    line = runner.invoke(app, ["verify", "--json", "2 + 2 = 5"]).stdout.strip()
    assert json.loads(line)["status"] == "refuted"
    path = tmp_path / "verdicts.jsonl"
    path.write_text(line.replace('"refuted"', '"proved"') + "\n")
    result = runner.invoke(app, ["check", str(path), "--no-cvc5"])
    assert result.exit_code == 1, result.output


# ---------------------------------------------------------------- verdict rules


def test_genuine_proved_and_refuted_verdicts_pass(tmp_path):
    claims = ["2 + 2 = 4", "2 + 2 = 5", "x/x = 1", "exists x in Int: x^2 = 2", "pi > 3.14"]
    path = tmp_path / "verdicts.jsonl"
    path.write_text("".join(json.dumps(verify(c).to_json()) + "\n" for c in claims))
    result = runner.invoke(app, ["check", str(path), "--no-cvc5"])
    assert result.exit_code == 0, result.output


def test_unknown_and_invalid_verdicts_prove_nothing(tmp_path):
    for claim in ("2^(2^(2^20)) = 3", "1 +"):
        verdict = verify(claim).to_json()
        report = check_verdict(verdict, use_cvc5=False)
        assert not report.ok and "proves nothing" in report.message
        path = tmp_path / "v.json"
        path.write_text(json.dumps(verdict))
        result = runner.invoke(app, ["check", str(path), "--no-cvc5"])
        assert result.exit_code == 1 and "NO PROOF" in result.output


def test_a_proved_verdict_without_a_certificate_fails():
    verdict = verify("2 + 2 = 4").to_json()
    verdict["certificate"] = None
    assert not check_verdict(verdict, use_cvc5=False).ok


def test_a_certificate_about_another_claim_fails():
    verdict = verify("2 + 2 = 4").to_json()
    verdict["claim"] = "2 + 3 = 4"
    assert "another claim" in check_verdict(verdict, use_cvc5=False).message


def test_equivalence_results_are_sealed():
    good = equivalent("\\frac{1}{2}", "0.5").to_json()
    bad = equivalent("1/2^{99}", "1/2^{98}").to_json()
    assert check_verdict(good, use_cvc5=False).ok and check_verdict(bad, use_cvc5=False).ok
    flipped = {**bad, "equivalent": True, "status": "proved"}
    assert not check_verdict(flipped, use_cvc5=False).ok
    half = {**bad, "equivalent": True}  # the flag alone
    assert not check_verdict(half, use_cvc5=False).ok
    other = {**good, "prediction": "0.6"}
    assert not check_verdict(other, use_cvc5=False).ok
    none = {**good, "equivalent": None, "status": "unknown", "certificate": None}
    assert not check_verdict(none, use_cvc5=False).ok


# ---------------------------------------------------------------- single-field mutations

#: Fields that only describe (timings, messages, display text): not part of what is proved.
#: `require_claims` is left out too: turning it off only makes the acceptance rule laxer, and
#: every attempt of these runs returned claims, so the bundle still proves what it says.
_DESCRIPTIVE = {
    "message",
    "elapsed_ms",
    "backend",
    "query",
    "reason",
    "metrics",
    "details",
    "order",
    "require_claims",
    "notes",  # an answer's `#` lines: kept apart from its text, never checked
}


def _paths(value, prefix=()):
    """Every (path, leaf) of a JSON value outside descriptive fields; lists and dicts included.
    An equivalence result's counterexample describes; its certificate is the evidence."""
    yield prefix, value
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in _DESCRIPTIVE and not (key == "counterexample" and "equivalent" in value):
                yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _graph_edges(path):
    return len(path) >= 2 and path[0] == "graph" and path[1] in ("edges", "directed", "multigraph")


_STATUSES = [
    "proved",
    "refuted",
    "unknown",
    "invalid",
    "accepted",
    "rejected",
    "conflict",
    "failed",
    "consistent",
    "inconsistent",
    "sat",
    "unsat",
    "choice",
    "entailed",
    "closed",
]


def _mutations(draw, value):
    """A different value for a leaf (or a container with one part removed)."""
    if isinstance(value, bool):
        return [not value]
    if value is None:
        return ["proved", 1, True]
    if isinstance(value, int):
        return [value + 1, -1]
    if isinstance(value, str):
        options = [value + "1", "0"]
        if value in _STATUSES:
            options += [s for s in _STATUSES if s != value]
        return options
    if isinstance(value, dict):
        return [{k: v for k, v in value.items() if k != key} for key in value if key not in _DESCRIPTIVE]
    if isinstance(value, list):
        out = [value[:i] + value[i + 1 :] for i in range(len(value))]
        if len(value) > 1:
            out.append(value[1:] + value[:1])
        return out
    return []


def _set(data, path, new):
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new


#: Lists whose order carries no meaning (sets written as lists).
_UNORDERED = {"nodes", "attempts", "core", "claims"}


def _mutation_applies(path, value, new):
    """False for a reordering of a list that is a set (top-level claims, graph nodes, cores)."""
    reordered = isinstance(value, list) and isinstance(new, list) and len(new) == len(value)
    return not (reordered and path[-1] in _UNORDERED and "certificate" not in path)


@st.composite
def mutated(draw, original):
    paths = [(p, v) for p, v in _paths(original) if p and not _graph_edges(p)]
    path, value = draw(st.sampled_from(paths))
    options = [o for o in _mutations(draw, value) if o != value and _mutation_applies(path, value, o)]
    if not options:
        options = [None]
    new = draw(st.sampled_from(options))
    data = copy.deepcopy(original)
    _set(data, path, new)
    return path, new, data


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_every_single_field_mutation_of_a_bundle_fails(conflict_bundle, simple_bundle, solver_bundle, data):
    original = data.draw(st.sampled_from([conflict_bundle, simple_bundle, solver_bundle]))
    path, new, bundle = data.draw(mutated(original))
    report = check_bundle(bundle, use_cvc5=False)
    assert not report.ok, f"{path} -> {new!r} still re-checks"


_VERDICTS = [
    json.loads(json.dumps(verify(c).to_json()))
    for c in (
        "2 + 2 = 4",
        "2 + 2 = 5",
        "(x + 1)^2 = x^2 + 1",
        "forall n in Int: n^2 >= n",
        "exists x in Int: x^2 = 9",
        "exists x in Int: x^2 = 2",
        "x/x = 1",
        "pi > 3.14",
    )
] + [
    json.loads(json.dumps(equivalent(g, p).to_json()))
    for g, p in (("\\frac{1}{2}", "0.5"), ("1/2^{99}", "1/2^{98}"))
]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(_VERDICTS).flatmap(mutated))
def test_every_single_field_mutation_of_a_verdict_fails(case):
    path, new, verdict = case
    report = check_verdict(verdict, use_cvc5=False)
    assert not report.ok, f"{path} -> {new!r} still re-checks"


def test_the_mcp_check_tool_seals_verdicts_too():
    from reasoning.service._mcp import _check

    verdict = json.loads(json.dumps(verify("2 + 2 = 5").to_json()))
    assert _check(verdict, False).ok
    verdict["status"] = "proved"
    verdict["counterexample"] = None
    assert not _check(verdict, False).ok


def test_a_file_with_no_certificate_or_verdict_is_unusable_input(tmp_path):
    path = tmp_path / "summary.json"
    path.write_text(json.dumps({"status": "proved", "answers": ["x = 3"], "verified": True}))
    assert runner.invoke(app, ["check", str(path)]).exit_code == 2


# ---------------------------------------------------------------- the causal graph's edges are sealed


@pytest.fixture(scope="module")
def cascade_bundle():
    """A run whose conflict withdraws a join another fork used (its query mentions y): the
    dependent fork is invalidated through a `depends_on` edge. `blame` is patched to pick the
    attempt with the most re-dispatches, as in tests/test_dependencies.py, to reach that path."""
    from reasoning.engine._causal_graph import CausalGraph

    def most_work(self, report, *, prefer=None):
        core = [a for a in report.core if a in self.graph and a != "task"]
        return max(core, key=self.redispatch_cost) if core else report.blame()

    saved = CausalGraph.blame
    CausalGraph.blame = most_work
    try:
        data = _run(
            [
                "<FORK-0>pick x</FORK-0><FORK-1>pick y</FORK-1><JOIN-1>",
                "<FORK-2>double y</FORK-2><FORK-3>what is 2 + 2?</FORK-3><JOIN-0>",
                "<JOIN-2>",
                "<JOIN-3>",
                "<ANSWER>x = 3\ny = 7</ANSWER>",
            ],
            {
                0: ["<RETURN>x = 3</RETURN>"],
                1: ["<RETURN>y = 8</RETURN>", "<RETURN>y = 7</RETURN>"],
                2: ["<RETURN>y = 8</RETURN>", "<RETURN>y = 7</RETURN>"],
                3: ["<RETURN>2 + 2 = 4</RETURN>"],
            },
        )
    finally:
        CausalGraph.blame = saved
    nodes = {n["id"]: n for n in data["graph"]["nodes"]}
    assert nodes["fork-2.1"]["invalidated_by"] == "fork-1.1"
    return data


def _edge(data, kind, target):
    return next(e for e in data["graph"]["edges"] if e["kind"] == kind and e["target"] == target)


def _edge_change(name):
    def drop(data):
        data["graph"]["edges"].remove(_edge(data, "depends_on", "fork-2.1"))

    def relabel(data):
        _edge(data, "depends_on", "fork-2.1")["uses"] = ["the query mentions x"]

    def empty(data):
        _edge(data, "depends_on", "fork-2.1")["uses"] = []

    def retarget(data):
        _edge(data, "depends_on", "fork-2.1")["target"] = "fork-3.1"

    def invent(data):
        data["graph"]["edges"].append(
            {
                "kind": "depends_on",
                "key": "depends_on",
                "source": "join-1",
                "target": "fork-3.1",
                "uses": ["the query mentions y"],
            }
        )

    def rekind(data):
        edge = _edge(data, "depends_on", "fork-2.1")
        edge["kind"] = edge["key"] = "spawned"

    def drop_spawned(data):
        data["graph"]["edges"].remove(_edge(data, "spawned", "fork-3.1"))

    def drop_answered(data):
        data["graph"]["edges"].remove(_edge(data, "answered", "answer-1"))

    def drop_seen(data):
        node = next(n for n in data["graph"]["nodes"] if n["id"] == "fork-2.1")
        node["after_joins"] = []

    return locals()[name]


@pytest.mark.parametrize(
    "change",
    [
        "drop",
        "relabel",
        "empty",
        "retarget",
        "invent",
        "rekind",
        "drop_spawned",
        "drop_answered",
        "drop_seen",
    ],
)
def test_a_changed_dependency_edge_fails_the_check(cascade_bundle, change):
    # The edges decide what a withdrawal invalidates, yet `reason check` read none of them: a
    # deleted or relabelled `depends_on` edge (so fork-2.1 was "invalidated" for nothing) passed.
    assert check_bundle(cascade_bundle, use_cvc5=False).ok
    data = copy.deepcopy(cascade_bundle)
    _edge_change(change)(data)
    failure = _fails(data)
    assert failure.name == "graph edges", failure


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_every_single_field_mutation_of_the_graph_edges_fails(cascade_bundle, conflict_bundle, data):
    original = data.draw(st.sampled_from([cascade_bundle, conflict_bundle]))
    # (an attempt's after_joins only bounds what it may use: a seen join it did not use leaves
    # no trace, so dropping it changes nothing proved; dropping a used one fails, see above)
    paths = [(p, v) for p, v in _paths(original) if p[:2] == ("graph", "edges")]
    path, value = data.draw(st.sampled_from(paths))
    options = [o for o in _mutations(data.draw, value) if o != value]
    if path == ("graph", "edges"):  # the edge list is a set: a reordering is no change
        options = [o for o in options if len(o) != len(value)]
    new = data.draw(st.sampled_from(options or [None]))
    bundle = copy.deepcopy(original)
    _set(bundle, path, new)
    report = check_bundle(bundle, use_cvc5=False)
    assert not report.ok, f"{path} -> {new!r} still re-checks"
