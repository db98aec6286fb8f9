"""Dependencies by data (issue 12, item 3): what a fork uses, and what a conflict re-dispatches.

The causal graph used to record dependencies by time: every fork issued after a join "depended"
on it, and a conflict blamed the newest attempt of the unsat core. Joining fork 1 (`y = 8`) then
withdrew the already joined fork 2 (`x = 3`) and redid an unrelated fork 3: two re-dispatches
where one was needed. Now a fork depends on a join only when its query or its claims use the
join's claims, and a conflict withdraws the attempt whose withdrawal re-dispatches the fewest
attempts, preferring the attempt being joined.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs.verdict import Status
from reasoning.engine._bundle import check_bundle, load_bundle
from reasoning.engine._causal_graph import CausalGraph, Consistency, ConsistencyReport
from reasoning.engine._engine import EngineConfig, ForkJoinEngine
from reasoning.engine._task import Task
from reasoning.engine._workers import ScriptedOrganizer, ScriptedWorker

XY = Task(
    "Find integers x, y with x + y = 10.", unknowns={"x": "Int", "y": "Int"}, constraints=("x + y = 10",)
)


def run(turns, replies, task=XY, tmp_path=None, **config):
    organizer = ScriptedOrganizer(turns)
    worker = ScriptedWorker(replies)
    result = ForkJoinEngine(organizer, worker, EngineConfig(**config)).run_sync(task, run_dir=tmp_path)
    return result, organizer, worker


def redispatched(result) -> list[tuple[int, int]]:
    return [(e.fork_id, e.attempt) for e in result.events if e.kind == "redispatch"]


# ---------------------------------------------------------------- the graph records what is used


def joined(g: CausalGraph, fork_id: int, query: str, claim: str, after: list[str]) -> tuple[str, str]:
    attempt = g.add_fork(fork_id, query, after_joins=after)
    g.add_claim(attempt, claim)
    return attempt, g.add_join(fork_id)


def test_a_fork_issued_after_a_join_depends_on_it_only_when_it_uses_its_claims():
    g = CausalGraph("Find integers x, y with x + y = 10.")
    a1, j1 = joined(g, 1, "pick x", "x = 3", [])
    unrelated = g.add_fork(2, "what is 2 + 2?", after_joins=[j1])
    by_unknown = g.add_fork(3, "pick y given x", after_joins=[j1])
    by_value = g.add_fork(4, "evaluate: 10 - 3", after_joins=[j1])
    task_value = g.add_fork(5, "evaluate: 10 - 1", after_joins=[j1])  # 10 is the task's, not the join's
    assert g.descendants_of(a1) == [by_unknown, by_value]
    assert g.uses(by_unknown) == {j1: ["the query mentions x"]}
    assert g.uses(by_value) == {j1: ["the query holds the value 3"]}
    assert g.uses(unrelated) == {} and g.uses(task_value) == {}


def test_a_claim_that_mentions_a_joined_unknown_makes_a_dependency():
    g = CausalGraph("find x, y")
    a1, j1 = joined(g, 1, "pick x", "x = 3", [])
    a2 = g.add_fork(2, "pick y", after_joins=[j1])
    assert g.descendants_of(a1) == []
    g.add_claim(a2, "y = x + 4")
    assert g.descendants_of(a1) == [a2] and g.uses(a2) == {j1: ["a claim mentions x"]}


def test_a_join_the_organizer_had_not_seen_is_never_a_dependency():
    g = CausalGraph("find x")
    early = g.add_fork(1, "pick x", after_joins=[])
    a2, j2 = joined(g, 2, "pick x", "x = 3", [])
    g.add_claim(early, "x = 3")  # same unknown, but fork 1 was issued before join 2
    assert g.descendants_of(a2) == []


def test_invalidation_follows_data_edges_only():
    g = CausalGraph("find x, y, z")
    a1, j1 = joined(g, 1, "pick x", "x = 3", [])
    a2, j2 = joined(g, 2, "z from x", "z = 4", [j1])  # uses x
    unrelated, _ = joined(g, 3, "pick y", "y = 5", [j1, j2])
    a4 = g.add_fork(4, "check z", after_joins=[j1, j2])  # uses j2's z, so j1 transitively
    assert g.invalidate(a1) == [a1, a2, a4]
    nodes = g.graph.nodes
    assert nodes[unrelated]["valid"] and nodes[a4]["invalidated_by"] == a1
    assert [c.claim for c in g.accepted_claims()] == ["y = 5"]


def test_dependencies_survive_the_node_link_round_trip():
    g = CausalGraph("find x")
    a1, j1 = joined(g, 1, "pick x", "x = 3", [])
    a2 = g.add_fork(2, "use x", after_joins=[j1])
    again = CausalGraph.from_node_link(g.to_node_link())
    assert again.descendants_of(a1) == [a2] and again.uses(a2) == {j1: ["the query mentions x"]}


# ---------------------------------------------------------------- blame: the fewest re-dispatches


def inconsistent(*core: str) -> ConsistencyReport:
    return ConsistencyReport(Consistency.INCONSISTENT, "conflict", attempts=core, core=core)


def test_blame_prefers_fewest_redispatches_then_the_given_attempt_then_the_newest():
    report = inconsistent("task", "fork-1.1", "fork-2.1", "fork-3.1")
    assert report.blame() == "fork-3.1"  # no costs, no preference: the newest, never the task
    assert report.blame(prefer="fork-1.1") == "fork-1.1"
    assert report.blame(prefer="fork-1.1", cost={"fork-1.1": 3, "fork-2.1": 2, "fork-3.1": 2}) == "fork-3.1"
    assert inconsistent("task").blame() == "task"
    assert ConsistencyReport(Consistency.CONSISTENT, "ok").blame(prefer="fork-1.1") is None


def test_the_graph_blames_the_attempt_with_fewer_descendants():
    g = CausalGraph("Find integers x, y with x + y = 10.")
    a1, j1 = joined(g, 1, "pick x", "x = 3", [])
    g.add_fork(2, "pick y from x", after_joins=[j1])
    a3, _ = joined(g, 3, "pick x", "x = 4", [])
    report = g.check_consistency({"x": "Int", "y": "Int"})
    assert report.core == (a1, a3)
    assert g.redispatch_cost(a1) == 2 and g.redispatch_cost(a3) == 1
    assert g.blame(report, prefer=a1) == a3  # fewest re-dispatches first
    assert g.blame(report) == a3


# ---------------------------------------------------------------- the engine


def test_the_issue_example_needs_one_redispatch(tmp_path):
    # fork 2 (x = 3) is joined, fork 3 is issued after that join but about something else, then
    # joining fork 1 (y = 8) conflicts: fork 1 is re-dispatched, nothing else.
    result, organizer, worker = run(
        [
            "<FORK-1>pick y</FORK-1><FORK-2>pick x</FORK-2><JOIN-2>",
            "<FORK-3>what is 2 + 2?</FORK-3><JOIN-1>",
            "<JOIN-3>",
            "<ANSWER>x = 3\ny = 7</ANSWER>",
        ],
        {
            1: ["<RETURN>y = 8</RETURN>", "<RETURN>y = 7</RETURN>"],
            2: ["<RETURN>x = 3</RETURN>"],
            3: ["<RETURN>2 + 2 = 4</RETURN>"],
        },
        tmp_path=tmp_path,
    )
    assert redispatched(result) == [(1, 2)] and result.metrics.redispatches == 1
    assert [(r.fork_id, r.attempt) for r in worker.requests] == [(1, 1), (2, 1), (3, 1), (1, 2)]
    rejection = next(e for e in result.events if e.kind == "rejection")
    assert (rejection.fork_id, rejection.attempt, rejection.at_join) == (1, 1, 1)
    nodes = result.graph.graph.nodes
    assert nodes["fork-2.1"]["valid"] and nodes["fork-3.1"]["valid"] and not nodes["fork-1.1"]["valid"]
    assert {c["text"] for c in result.accepted_claims()} == {"x = 3", "y = 7", "2 + 2 = 4"}
    assert "fork 1 (attempt 1) was withdrawn" in organizer.contexts[2]
    conflict = next(j for j in result.joins if j["status"] == "conflict")
    assert conflict["attempt"] == "fork-1.1" and conflict["consistency"]["blame"] == "fork-1.1"
    assert result.status is Status.PROVED
    assert check_bundle(load_bundle(result.bundle_path), use_cvc5=False).ok


def test_a_fork_that_used_an_earlier_join_keeps_it_when_a_later_join_conflicts():
    # fork 2's query mentions y, so it uses join 1 (y = 8); joining fork 0 (x = 3) conflicts.
    # Withdrawing fork 1 would redo fork 2 too; withdrawing fork 0 redoes only fork 0.
    result, _, _ = run(
        [
            "<FORK-0>pick x</FORK-0><FORK-1>pick y</FORK-1><JOIN-1>",
            "<FORK-2>pick x given y</FORK-2><JOIN-0>",
            "<JOIN-2>",
            "<ANSWER>x = 2\ny = 8</ANSWER>",
        ],
        {
            0: ["<RETURN>x = 3</RETURN>", "<RETURN>x = 2</RETURN>"],
            1: ["<RETURN>y = 8</RETURN>"],
            2: ["<RETURN>x = 2</RETURN>"],
        },
    )
    assert redispatched(result) == [(0, 2)]
    assert result.graph.uses("fork-2.1") == {"join-1": ["the query mentions y"]}
    assert {c["attempt"] for c in result.accepted_claims()} == {"fork-0.2", "fork-1.1", "fork-2.1"}
    assert result.status is Status.PROVED and result.final_consistency.consistent


def test_withdrawing_a_join_redoes_only_the_forks_that_used_it(monkeypatch):
    # The engine withdraws the attempt being joined whenever it is in the core (it has no
    # dependents yet), so an older join with dependents is withdrawn only under another policy:
    # here `blame` is patched to pick the attempt with the MOST re-dispatches, to drive the
    # restart machinery. At JOIN-0 the core is {task, fork 0, fork 1}; fork 1 (y = 8) is used
    # by fork 2 (its query mentions y) and is withdrawn: fork 1 and fork 2 are redone, fork 3
    # (issued after the same join, about 2 + 2) is left alone.
    def most_work(self, report, *, prefer=None):
        core = [a for a in report.core if a in self.graph and a != "task"]
        return max(core, key=self.redispatch_cost) if core else report.blame()

    monkeypatch.setattr(CausalGraph, "blame", most_work)
    result, organizer, worker = run(
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
    assert set(redispatched(result)) == {(1, 2), (2, 2)}
    nodes = result.graph.graph.nodes
    withdrawn = {n for n, d in nodes(data=True) if d.get("kind") == "attempt" and not d["valid"]}
    assert withdrawn == {"fork-1.1", "fork-2.1"} and nodes["fork-2.1"]["invalidated_by"] == "fork-1.1"
    assert nodes["fork-3.1"]["valid"]
    feedback = [f for r in worker.requests if r.fork_id == 2 for f in r.feedback]
    assert any("it used the claims of fork-1.1" in f and "the query mentions y" in f for f in feedback)
    assert "fork 2 was invalidated" in organizer.contexts[2]
    assert {c["attempt"] for c in result.accepted_claims()} == {
        "fork-0.1",
        "fork-1.2",
        "fork-2.2",
        "fork-3.1",
    }
    assert result.status is Status.PROVED and result.final_consistency.consistent


@pytest.mark.parametrize("query", ["evaluate: x + 1", "given x = 3, find y"])
def test_forks_whose_query_uses_a_withdrawn_join_are_redone(query):
    g = CausalGraph("Find integers x, y with x + y = 10.")
    a1, j1 = joined(g, 1, "pick x", "x = 3", [])
    dependent = g.add_fork(2, query, after_joins=[j1])
    bystander = g.add_fork(3, "pick y", after_joins=[j1])
    assert g.invalidate(a1, reason="conflict") == [a1, dependent]
    assert g.graph.nodes[bystander]["valid"]


# ---------------------------------------------------------------- property: the rule, by brute force

NAMES = ("x", "y", "z")


@st.composite
def runs(draw):
    """Forks with queries that mention random unknowns and values, claims `u = v`, some joins."""
    steps = []
    for fork_id in range(1, draw(st.integers(2, 7)) + 1):
        mentioned = draw(st.lists(st.sampled_from(NAMES), max_size=2, unique=True))
        values = draw(st.lists(st.sampled_from(["0", "1", "2", "9"]), max_size=2))
        query = " ".join(["use", *mentioned, *values]) if mentioned or values else "something else"
        claims = draw(
            st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from([0, 1, 2, 9])), min_size=1, max_size=2)
        )
        steps.append((fork_id, query, [f"{u} = {v}" for u, v in claims], draw(st.booleans())))
    return steps


def build(steps):
    g = CausalGraph("a task with 9 in it")
    record = {}  # attempt -> (query, claims, joins seen, its join or None)
    for fork_id, query, claims, join in steps:
        seen = list(g.valid_joins())
        attempt = g.add_fork(fork_id, query, after_joins=seen)
        for claim in claims:
            g.add_claim(attempt, claim)
        record[attempt] = (query, claims, seen, g.add_join(fork_id) if join else None)
    return g, record


def oracle_descendants(record, root):
    def made_known(claims):
        names = {c.split(" = ")[0] for c in claims}
        return names, {c.split(" = ")[1] for c in claims} - {"9"}  # 9 is the task's own value

    def uses(user, provider):
        query, claims, seen, _ = record[user]
        join = record[provider][3]
        if join is None or join not in seen:
            return False
        names, values = made_known(record[provider][1])
        words = set(query.split())
        claim_names = {c.split(" = ")[0] for c in claims}
        return bool(names & words or values & words or names & claim_names)

    found, frontier = set(), [root]
    while frontier:
        provider = frontier.pop()
        for user in record:
            if user not in found and user != root and uses(user, provider):
                found.add(user)
                frontier.append(user)
    return found


@settings(max_examples=80, deadline=None)
@given(runs())
def test_descendants_are_exactly_the_attempts_that_use_a_join_by_data(steps):
    g, record = build(steps)
    for attempt in record:
        assert set(g.descendants_of(attempt)) == oracle_descendants(record, attempt), attempt
    root = next(iter(record))
    before_valid = {a for a in record if g.graph.nodes[a]["valid"]}
    invalidated = set(g.invalidate(root, reason="test"))
    assert invalidated == {root} | oracle_descendants(record, root)
    assert {a for a in record if g.graph.nodes[a]["valid"]} == before_valid - invalidated
