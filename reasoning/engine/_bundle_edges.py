"""Checking a proof bundle's causal-graph edges (`reasoning.bundle`): every edge is re-derived or
validated from the nodes, so a deleted, invented, moved or relabelled edge fails the check.

The edges decide what a withdrawal invalidates (`CausalGraph.invalidate` follows `depends_on`
and `spawned` edges), so they are evidence, not decoration:

- `spawned`: exactly one per attempt, from the task or from a join issued before it.
- `returned`: exactly one per claim, from the claim's own attempt.
- `joined`: from every claim of a join's attempt to that join, and nothing else.
- `depends_on` (join -> attempt, with its `uses` reasons) is re-derived as the engine derives it
  (`CausalGraph.add_fork`, `add_claim`): from the attempt's `after_joins` (the joins its
  organizer had seen, each issued before it), its query and claims, and the claims of each such
  join (the unknowns they mention, the numbers they write that the task's text does not). The
  query's reasons come first, then the claims' in claim order. A claim's reason counts only
  while the join is valid, so for a join still valid at the end (or withdrawn by the same
  withdrawal as the attempt) `uses` must be exactly the derived list; for a join withdrawn
  earlier, the query's reasons and then the reasons of some first claims of the attempt (those
  that came before the withdrawal).
- Invalidation follows the edges: an attempt invalidated by a withdrawn attempt A (other than A
  itself) must be a descendant of A through the `depends_on`/`spawned` edges of joins, every
  descendant of A must be invalid, and A must have been withdrawn itself (invalidated by A).
- `answered`: into an answer node; a valid answer rests on exactly the joins valid at the end.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import networkx as nx

from proofs.parsing import ParseFailure, parse_claim
from reasoning.engine._causal_graph import EDGE_KINDS, TASK, mentioned_names, written_numbers, written_words

#: Attributes an edge of each kind carries.
EDGE_KEYS = {kind: {"kind"} for kind in EDGE_KINDS} | {"depends_on": {"kind", "uses"}}


def check_edges(graph: nx.MultiDiGraph) -> tuple[bool, str]:
    """(ok, why): do the graph's edges agree with its nodes? (See the module docstring.)"""
    nodes = graph.nodes
    problems: list[str] = []
    edges: dict[str, list[tuple[str, str, dict[str, Any]]]] = {kind: [] for kind in EDGE_KINDS}
    for source, target, key, data in graph.edges(keys=True, data=True):
        kind = data.get("kind")
        if kind not in EDGE_KINDS or key != kind or set(data) != EDGE_KEYS[kind]:
            problems.append(f"edge {source} -> {target} ({key}) is not a {kind!r} edge of the graph's kinds")
            continue
        edges[kind].append((source, target, data))
    by_kind: dict[str, list[str]] = {}
    for node in sorted(nodes, key=lambda n: nodes[n].get("order", 0)):
        by_kind.setdefault(nodes[node].get("kind"), []).append(node)
    claims_of: dict[str, list[str]] = {}
    for claim in by_kind.get("claim", []):
        claims_of.setdefault(nodes[claim].get("attempt"), []).append(claim)
    problems += _structure(nodes, edges, by_kind, claims_of)
    if not problems:
        problems += _dependencies(nodes, edges, by_kind, claims_of)
    if not problems:
        problems += _invalidation(nodes, graph, by_kind)
    if problems:
        return False, "; ".join(problems[:3])
    return True, f"{graph.number_of_edges()} edges re-derived from the nodes"


def _structure(nodes, edges, by_kind, claims_of) -> list[str]:
    """spawned, returned, joined and answered edges."""
    problems = []
    order = lambda n: nodes[n].get("order", 0)  # noqa: E731 - a local key
    spawned = [(s, t) for s, t, _ in edges["spawned"]]
    if sorted(t for _, t in spawned) != sorted(by_kind.get("attempt", [])):
        problems.append("every attempt is spawned exactly once")
    for source, target in spawned:
        kind = nodes[source].get("kind")
        if nodes[target].get("kind") != "attempt" or not (
            source == TASK or (kind == "join" and order(source) < order(target))
        ):
            problems.append(f"{source} cannot have spawned {target}")
    returned = {(s, t) for s, t, _ in edges["returned"]}
    expected = {(nodes[c].get("attempt"), c) for c in by_kind.get("claim", [])}
    if returned != expected or len(edges["returned"]) != len(expected):
        problems.append("the returned edges are not each claim's own attempt")
    joined = {(s, t) for s, t, _ in edges["joined"]}
    expected = {(c, j) for j in by_kind.get("join", []) for c in claims_of.get(nodes[j].get("attempt"), [])}
    if joined != expected or len(edges["joined"]) != len(expected):
        problems.append("the joined edges are not the claims of each join's attempt")
    valid_joins = {j for j in by_kind.get("join", []) if nodes[j].get("valid")}
    for answer in by_kind.get("answer", []):
        sources = [s for s, t, _ in edges["answered"] if t == answer]
        if any(nodes[s].get("kind") != "join" for s in sources) or len(set(sources)) != len(sources):
            problems.append(f"{answer} rests on nodes that are not joins")
        elif nodes[answer].get("valid") and set(sources) != valid_joins:
            problems.append(f"{answer} does not rest on exactly the valid joins")
    if any(nodes[t].get("kind") != "answer" for _, t, _ in edges["answered"]):
        problems.append("an answered edge does not end at an answer")
    return problems


def _join_terms(nodes, claims: list[str], task_numbers: set[str]) -> tuple[set[str], set[str]]:
    """(unknowns the claims mention, numbers they write that the task does not)."""
    names: set[str] = set()
    values: set[str] = set()
    for claim in claims:
        names |= _claim_names(nodes[claim])
        values |= written_numbers(nodes[claim].get("text", "")) - task_numbers
    return names, values


def _claim_names(attrs: dict[str, Any]) -> frozenset[str]:
    if attrs.get("role") == "domain":
        return frozenset()
    formula = parse_claim(str(attrs.get("claim")))
    return frozenset() if isinstance(formula, ParseFailure) else mentioned_names(formula)


def _dedup(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _dependencies(nodes, edges, by_kind, claims_of) -> list[str]:
    """Each attempt's depends_on edges against the ones its after_joins, query and claims give."""
    problems = []
    task_numbers = written_numbers(nodes[TASK].get("text", ""))
    recorded: dict[tuple[str, str], Any] = {}
    for source, target, data in edges["depends_on"]:
        recorded[(source, target)] = data.get("uses")
    terms = {
        j: _join_terms(nodes, claims_of.get(nodes[j].get("attempt"), []), task_numbers)
        for j in by_kind.get("join", [])
    }
    expected_edges = set()
    for attempt in by_kind.get("attempt", []):
        attrs = nodes[attempt]
        seen = attrs.get("after_joins")
        if not isinstance(seen, list) or any(
            j not in terms or nodes[j].get("order", 0) >= attrs.get("order", 0) for j in seen
        ):
            problems.append(f"{attempt}: after_joins must list joins issued before it")
            continue
        words, numbers = written_words(attrs.get("query", "")), written_numbers(attrs.get("query", ""))
        claims = claims_of.get(attempt, [])
        for join in seen:
            names, values = terms[join]
            query = [f"the query mentions {w}" for w in sorted(words) if w in names]
            query += [f"the query holds the value {n}" for n in sorted(numbers) if n in values]
            per_claim = [
                [f"a claim mentions {n}" for n in sorted(_claim_names(nodes[c])) if n in names]
                for c in claims
            ]
            cause = nodes.get(nodes[join].get("attempt"), {}).get("invalidated_by")
            if nodes[join].get("valid") or (cause is not None and attrs.get("invalidated_by") == cause):
                # valid for all the attempt's claims (withdrawn by the same call as the attempt,
                # which takes no claim once withdrawn)
                allowed = [_dedup(query + sum(per_claim, []))]
            else:  # withdrawn at some point: only the claims that came before count
                allowed = [_dedup(query + sum(per_claim[:k], [])) for k in range(len(claims) + 1)]
            uses = recorded.get((join, attempt))
            if uses is None:
                if [] not in allowed:
                    problems.append(
                        f"{attempt} uses {join} ({', '.join(allowed[-1])}) but has no edge from it"
                    )
                continue
            expected_edges.add((join, attempt))
            if not isinstance(uses, list) or not uses or uses not in allowed:
                problems.append(f"the edge {join} -> {attempt} says it uses {uses!r}, not {allowed[-1]!r}")
    invented = set(recorded) - expected_edges
    if invented:
        source, target = sorted(invented)[0]
        problems.append(
            f"{target} does not depend on {source}: its after_joins, query and claims give no such use"
        )
    return problems


def _descendants(graph: nx.MultiDiGraph, attempt: str, joins_of: dict[str, list[str]]) -> set[str]:
    """As `CausalGraph.descendants_of`: attempts reached from the attempt's joins, transitively."""
    seen: set[str] = set()
    frontier = [attempt]
    while frontier:
        current = frontier.pop()
        for join in joins_of.get(current, []):
            for _, target, kind in graph.out_edges(join, keys=True):
                if kind in ("depends_on", "spawned") and target not in seen and target != attempt:
                    seen.add(target)
                    frontier.append(target)
    return seen


def _invalidation(nodes, graph, by_kind) -> list[str]:
    """Every invalidated attempt was reached through the edges from the attempt withdrawn."""
    problems = []
    joins_of: dict[str, list[str]] = {}
    for join in by_kind.get("join", []):
        joins_of.setdefault(nodes[join].get("attempt"), []).append(join)
    attempts = by_kind.get("attempt", [])
    causes = {nodes[a].get("invalidated_by") for a in attempts} - {None}
    for cause in sorted(causes):
        if nodes[cause].get("invalidated_by") != cause:
            problems.append(f"{cause} invalidated others but was not withdrawn itself")
            continue
        reached = _descendants(graph, cause, joins_of)
        stray = [
            a for a in attempts if nodes[a].get("invalidated_by") == cause and a != cause and a not in reached
        ]
        if stray:
            problems.append(f"{stray[0]} is invalidated by {cause} but does not depend on it")
        alive = [a for a in sorted(reached) if nodes[a].get("valid")]
        if alive:
            problems.append(f"{alive[0]} depends on the withdrawn {cause} but is still valid")
    return problems
