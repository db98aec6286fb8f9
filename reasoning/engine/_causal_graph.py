"""The causal graph of a fork/join run, and the joint consistency of what it has accepted.

Nodes (`kind`): the `task`; fork `attempt`s (fork id + attempt number: a re-dispatched fork is
a new attempt); the `claim`s an attempt returned, with their verdicts; `join`s; `answer`s.
Edges (`kind`, also the multigraph key): `spawned` (task/join -> attempt), `returned` (attempt
-> claim), `joined` (claim -> join), `depends_on` (join -> attempt that uses its claims),
`answered` (join -> answer).

Dependencies are by data, not by time. An attempt may use only the joins its organizer had seen
when it issued the fork (`after_joins`), and of those it uses a join when its query mentions an
unknown of the join's claims or a value they state that the task does not (a planner read it
and wrote it into the query), or when one of its own claims mentions an unknown of the join's
claims. Each `depends_on` edge lists those reasons in `uses`. A fork issued after a join but
about something else does not depend on it, so withdrawing the join leaves it alone.

On a conflict, `blame` picks the attempt of the unsat core whose withdrawal re-dispatches the
fewest attempts (itself and its valid descendants), preferring a given attempt (the engine's:
the one being joined) and then the newest; the core is minimal, so withdrawing any one of its
attempts removes that conflict.

Every node carries `order`, the issue counter, so "newest" is well defined and the graph is
deterministic. Invalidation never deletes: nodes are marked `valid = False` with the attempt
that caused it, so the bundle shows what was rejected and why.

`check_consistency` asks Z3 whether every accepted claim can hold at once, with the task's
unknowns as shared constants and one tracked assumption per attempt. Its certificate is an
SMT-LIB script re-derived by `recheck_consistency_certificate`, which re-solves an `unsat` one and
decides a `sat` one from its witness (a satisfying assignment proves `sat`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction
from itertools import filterfalse, islice
from types import MappingProxyType
from typing import Any

import networkx as nx
import z3

from proofs.assignment import pin_assignment, read_assignment
from proofs.check import RECHECK_BUDGET_S, CheckReport, solve_with_cvc5
from proofs.claims import Formula, Var, free_variables, to_text, walk
from proofs.exact import holds_at
from proofs.parsing import ParseFailure, parse_claim
from proofs.smtlib import constraint_terms, symbol
from proofs.verdict import Verdict
from reasoning.engine._graph_svg import render
from reasoning.errors import InvalidArgument
from solvers.z3_backend import model_value
from solvers.z3_context import fresh_context

#: Seconds Z3 gets for one joint-consistency check by default.
DEFAULT_BUDGET_S = 5.0
NODE_KINDS = ("task", "attempt", "claim", "join", "answer")
EDGE_KINDS = ("spawned", "returned", "joined", "depends_on", "answered")
SORTS = ("Int", "Real")
TASK = "task"
#: A number written in a text (a value a claim states or a query repeats).
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w]|\.\d)")
#: A name written in a text (an unknown a query mentions).
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Consistency(str, Enum):
    CONSISTENT = "consistent"
    INCONSISTENT = "inconsistent"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class ClaimRecord:
    """One claim as the graph holds it; `formula` is the parsed tree, `claim` its canonical text."""

    node: str
    attempt: str
    text: str
    claim: str
    formula: Formula | None  # None for a domain claim (role "domain"), checked by its domain
    status: str | None
    certificate: dict[str, Any] | None


@dataclass(frozen=True)
class ConsistencyReport:
    """The joint check of every accepted claim.

    `core` lists the attempts of the unsat core in issue order (empty unless inconsistent);
    `witness` maps each unknown to a value of a model (only when consistent); `skipped` maps
    attempts to claims Z3 cannot express (their presence turns `sat` into `unknown`).
    """

    status: Consistency
    message: str
    attempts: tuple[str, ...] = ()
    core: tuple[str, ...] = ()
    witness: dict[str, str] | None = None
    skipped: dict[str, str] = field(default_factory=dict)
    certificate: dict[str, Any] | None = None
    elapsed_ms: float = 0.0

    @property
    def consistent(self) -> bool:
        return self.status is Consistency.CONSISTENT

    def blame(self, *, prefer: str | None = None, cost: Mapping[str, int] | None = None) -> str | None:
        """The attempt to reject (None unless inconsistent): the one of the unsat core with the
        lowest `cost` (default 1 each; the engine passes how many attempts withdrawing it
        re-dispatches), then `prefer` (the attempt being joined), then the newest. The task
        is blamed only when the core holds nothing else."""
        if self.status is not Consistency.INCONSISTENT or not self.core:
            return None
        candidates = [a for a in self.core if a != TASK] or [TASK]
        costs = cost or {}
        ranked = sorted(
            range(len(candidates)),
            key=lambda i: (costs.get(candidates[i], 1), candidates[i] != prefer, -i),
        )
        return candidates[ranked[0]]

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "message": self.message,
            "attempts": list(self.attempts),
            "core": list(self.core),
            "blame": self.blame(),
            "witness": self.witness,
            "skipped": self.skipped,
            "certificate": self.certificate,
            "elapsed_ms": self.elapsed_ms,
        }


# ---------------------------------------------------------------- SMT-LIB for a set of claims


def _check_unknowns(unknowns: Any) -> dict[str, str]:
    if not isinstance(unknowns, dict) or not all(
        isinstance(k, str) and k and v in SORTS for k, v in unknowns.items()
    ):
        raise InvalidArgument(f"unknowns must map names to 'Int' or 'Real', got {unknowns!r}")
    return dict(unknowns)


def consistency_script(
    unknowns: dict[str, str], claims: list[tuple[str, Formula]], *, integer: bool = True
) -> tuple[str, list[int], dict[int, str]]:
    """The SMT-LIB script asserting T(f) for each (attempt, formula), without `(check-sat)`.

    Returns (script, indices of the claims it asserts, in order; index -> why a claim is left out).
    Each assertion is preceded by a comment naming its attempt and claim, so the script reads.
    """
    constraints = constraint_terms([f for _, f in claims], unknowns, integer=integer)
    lines = ["(set-logic ALL)", *constraints.declarations]
    asserted = []
    for index, ((attempt, formula), term) in enumerate(zip(claims, constraints.terms)):
        if term is None:
            continue
        lines.append(f"; {attempt}: {to_text(formula)}".replace("\n", " "))
        lines.append(f"(assert {term})")
        asserted.append(index)
    return "\n".join(lines) + "\n", asserted, constraints.unsupported


def _model_text(value: z3.ExprRef) -> str:
    return model_value(value)[0]


def _const(name: str, sort: str, ctx: z3.Context) -> z3.ArithRef:
    raw = symbol(name).strip("|")
    return z3.Int(raw, ctx) if sort == "Int" else z3.Real(raw, ctx)


def _certificate(unknowns, claims, script, expect, witness=None) -> dict[str, Any]:
    cert = {
        "kind": "consistency",
        "unknowns": dict(unknowns),
        "claims": [{"attempt": a, "claim": to_text(f)} for a, f in claims],
        "script": script + "(check-sat)\n",
        "expect": expect,
    }
    if witness is not None:
        cert["witness"] = witness
    return cert


def check_claims(
    unknowns: dict[str, str],
    claims: list[tuple[str, Formula]],
    *,
    order: dict[str, int] | None = None,
    budget_s: float = DEFAULT_BUDGET_S,
) -> ConsistencyReport:
    """Can all `claims` ((attempt, formula) pairs) hold at once? One tracked assumption per attempt.

    `order` ranks attempts by issue time for the core (default: first appearance in `claims`).
    """
    unknowns = _check_unknowns(unknowns)
    if not isinstance(budget_s, (int, float)) or isinstance(budget_s, bool) or not 0 < budget_s <= 3600:
        raise InvalidArgument(f"budget_s must be a number of seconds in (0, 3600], got {budget_s!r}")
    start = time.perf_counter()
    attempts = tuple(dict.fromkeys(a for a, _ in claims))
    rank = order or {a: i for i, a in enumerate(attempts)}

    def report(status, message, **kwargs) -> ConsistencyReport:
        elapsed = round((time.perf_counter() - start) * 1000, 3)
        return ConsistencyReport(status, message, attempts=attempts, elapsed_ms=elapsed, **kwargs)

    script, asserted, unsupported = consistency_script(unknowns, claims)
    skipped = {claims[i][0]: f"{to_text(claims[i][1])}: {why}" for i, why in unsupported.items()}
    # A fresh context, not this thread's: in a reused one, the model (a `solve:` answer, a
    # witness in a bundle) and the unsat core (the attempts blamed) follow the AST ids and state
    # earlier checks left behind, so the same claims would get another answer in another process.
    ctx = fresh_context()
    try:
        parsed = z3.parse_smt2_string(script, ctx=ctx)
    except z3.Z3Exception as exc:  # a translator bug, but it must cost an unknown, not the run
        return report(Consistency.UNKNOWN, f"z3 rejected the script: {exc}", skipped=skipped)
    definitions = len(parsed) - len(asserted)
    solver = z3.Solver(ctx=ctx)
    solver.set("timeout", max(1, int(budget_s * 1000)))
    solver.set("core.minimize", True)
    per_attempt: dict[str, list[z3.BoolRef]] = {}
    for k in range(definitions):
        solver.add(parsed[k])
    for k, index in enumerate(asserted):
        per_attempt.setdefault(claims[index][0], []).append(parsed[definitions + k])
    tracker = {}
    for attempt, terms in per_attempt.items():
        label = z3.Bool(f"attempt!{attempt}", ctx)
        tracker[str(label)] = attempt
        solver.assert_and_track(terms[0] if len(terms) == 1 else z3.And(terms), label)
    answer = solver.check()
    if answer == z3.unsat:
        core = sorted({tracker[str(p)] for p in solver.unsat_core()}, key=lambda a: rank.get(a, -1))
        # Only the claims asserted can be in the certificate (one SMT-LIB cannot express could
        # never be re-checked); an unsat subset of the core's claims proves the core inconsistent.
        core_claims = [(a, f) for a, f in claims if a in core]
        _, kept, _ = consistency_script(unknowns, core_claims)
        core_claims = [core_claims[i] for i in kept]
        core_script, _, _ = consistency_script(unknowns, core_claims)
        return report(
            Consistency.INCONSISTENT,
            f"the claims of {', '.join(core)} cannot all hold",
            core=tuple(core),
            skipped=skipped,
            certificate=_certificate(unknowns, core_claims, core_script, "unsat"),
        )
    if answer == z3.sat:
        model = solver.model()
        witness = {
            name: _model_text(model.eval(_const(name, sort, ctx), model_completion=True))
            for name, sort in unknowns.items()
        }
        if skipped:
            return report(
                Consistency.UNKNOWN,
                f"consistent, but {len(skipped)} attempt(s) have claims Z3 cannot express",
                witness=witness,
                skipped=skipped,
            )
        return report(
            Consistency.CONSISTENT,
            f"all {len(claims)} claim(s) of {len(attempts)} attempt(s) hold together",
            witness=witness,
            certificate=_certificate(unknowns, claims, script, "sat", witness),
        )
    return report(
        Consistency.UNKNOWN,
        f"z3 gave no answer within {budget_s:g} s ({solver.reason_unknown()})",
        skipped=skipped,
    )


def recheck_consistency_certificate(cert: dict[str, Any], *, use_cvc5: bool = True) -> CheckReport:
    """Re-check a consistency certificate from its JSON alone.

    The script is re-derived from the unknowns and the claim texts and must equal the
    certificate's (the current encoding, or the one before Int-only claims were written in
    integer arithmetic: old bundles keep re-checking; the current one is solved either way).

    `unsat`: a fresh Z3 (and cvc5 where installed) must answer unsat. `sat` with a witness: the
    witness decides, as "sat with this witness" proves "sat". It must give every unknown a value
    and nothing else, an integer for an Int. When every value is rational and every claim is
    quantifier-free over the unknowns, exact evaluation (`proofs.exact`, whose definedness
    rules the script's encoding mirrors) must find every claim true; otherwise the script with
    each exact value pinned must be `sat` for a fresh Z3 (algebraic values, given as decimals
    with '?', are left unpinned, never rounded). A witness a claim rejects fails the
    certificate; one no check can confirm leaves it unconfirmed (not ok, "unknown" said). A
    `sat` certificate without a witness is re-solved whole, as before.
    """
    expect = cert.get("expect")
    if expect not in ("sat", "unsat"):
        return CheckReport(False, "expect must be 'sat' or 'unsat'")
    try:
        unknowns = _check_unknowns(cert.get("unknowns"))
    except InvalidArgument as exc:
        return CheckReport(False, str(exc))
    entries = cert.get("claims")
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("attempt"), str) and isinstance(e.get("claim"), str)
        for e in entries
    ):
        return CheckReport(False, "claims must be a list of {attempt, claim} objects")
    claims = []
    for entry in entries:
        formula = parse_claim(entry["claim"])
        if isinstance(formula, ParseFailure):
            return CheckReport(False, f"claim {entry['claim']!r} does not parse: {formula.message}")
        claims.append((entry["attempt"], formula))
    script, _, unsupported = consistency_script(unknowns, claims)
    if unsupported:
        return CheckReport(False, "the certificate names claims that SMT-LIB cannot express")
    script += "(check-sat)\n"
    if cert.get("script") != script and cert.get("script") != (
        consistency_script(unknowns, claims, integer=False)[0] + "(check-sat)\n"
    ):
        return CheckReport(False, "the certificate's script is not the one these claims give")
    if expect == "sat" and cert.get("witness") is not None:
        return _recheck_witness(script, unknowns, [f for _, f in claims], cert["witness"], use_cvc5)
    checks = {"z3": _fresh_z3(script)}
    if checks["z3"] != expect:
        return CheckReport(
            False, f"a fresh Z3 answers {checks['z3']}, the certificate expects {expect}", checks
        )
    if use_cvc5 and not _cvc5_agrees(script, expect, checks):
        return CheckReport(False, f"cvc5 answers {checks['cvc5']}, the certificate expects {expect}", checks)
    what = "consistent" if expect == "sat" else "inconsistent"
    return CheckReport(True, f"{len(claims)} claim(s) are {what}: a fresh Z3 answers {expect}", checks)


def _cvc5_agrees(script: str, expect: str, checks: dict[str, str]) -> bool:
    """Run cvc5 (where installed) on `script`; False only when it decides against `expect`."""
    checks["cvc5"] = solve_with_cvc5(script, RECHECK_BUDGET_S)
    return checks["cvc5"] not in ("sat", "unsat") or checks["cvc5"] == expect


def _recheck_witness(
    script: str, unknowns: dict[str, str], formulas: list[Formula], witness: Any, use_cvc5: bool
) -> CheckReport:
    """Does the witness satisfy every claim (so the script is `sat`)? See
    `recheck_consistency_certificate`."""
    values, bounds, problem = read_assignment(unknowns, witness)
    if problem:
        return CheckReport(False, f"the witness is malformed: {problem}")
    count = len(formulas)
    checks: dict[str, str] = {}
    exact = _holds_exactly(formulas, values) if len(values) == len(unknowns) else None
    if isinstance(exact, str):
        return CheckReport(
            False, f"the witness does not satisfy {exact!r} (exact evaluation)", {"exact": "fails"}
        )
    pinned = pin_assignment(script, unknowns, values, bounds)
    if exact:
        checks["exact"] = "holds"
        message = f"{count} claim(s) are consistent: the witness satisfies each one by exact evaluation"
    else:
        checks["z3"] = _fresh_z3(pinned)
        if checks["z3"] == "unsat":
            return CheckReport(
                False, "the witness does not satisfy the claims: with it pinned, Z3 answers unsat", checks
            )
        if checks["z3"] != "sat":
            return CheckReport(
                False, f"the witness is unconfirmed: with it pinned, Z3 answers {checks['z3']}", checks
            )
        message = f"{count} claim(s) are consistent: with the witness pinned, a fresh Z3 answers sat"
    if use_cvc5 and not _cvc5_agrees(pinned, "sat", checks):
        return CheckReport(False, f"with the witness pinned, cvc5 answers {checks['cvc5']}", checks)
    return CheckReport(True, message, checks)


def _holds_exactly(formulas: list[Formula], values: dict[str, Fraction]) -> bool | str | None:
    """True when exact evaluation finds every formula true at `values`; the text of one it finds
    false or undefined; None when it cannot decide some formula (a quantifier, a free variable
    other than the unknowns, an irrational root, a size limit) and none fails."""
    decided = True
    for formula in formulas:
        if not free_variables(formula) <= set(values):
            decided = False
            continue
        holds = holds_at(formula, values)
        if holds is False:
            return to_text(formula)
        decided = decided and holds is True
    return True if decided else None


def _fresh_z3(script: str) -> str:
    solver = z3.Solver(ctx=fresh_context())
    solver.set("timeout", int(RECHECK_BUDGET_S * 1000))
    solver.from_string(script)
    return str(solver.check())


# ---------------------------------------------------------------- the graph


def _names(formula: Formula | None) -> frozenset[str]:
    """The names a claim mentions (bound ones too: a safe over-approximation)."""
    if formula is None:
        return frozenset()
    return frozenset(node.name for node in walk(formula) if isinstance(node, Var))


def mentioned_names(formula: Formula | None) -> frozenset[str]:
    """The names a claim mentions, as dependencies read them (`reasoning.engine._bundle_edges` too)."""
    return _names(formula)


def written_words(text: str) -> set[str]:
    """The names a query text writes, as dependencies read them."""
    return set(_WORD.findall(str(text)))


def written_numbers(text: str) -> set[str]:
    """The numbers a text writes (a value a claim states or a query repeats)."""
    return set(_NUMBER.findall(str(text)))


class CausalGraph:
    """The causal graph of one run (see the module docstring for nodes and edges).

    >>> g = CausalGraph("find x with 2x + 1 = 7")
    >>> a = g.add_fork(1, "solve for x", after_joins=[])
    >>> g.add_claim(a, "x = 3")
    'claim-1'
    >>> j = g.add_join(1)
    >>> g.check_consistency({"x": "Real"}).status.value
    'consistent'
    """

    def __init__(self, task: str = "") -> None:
        self.graph = nx.MultiDiGraph()
        self._order = 0
        self._formulas: dict[str, Formula | None] = {}
        self._attempts: dict[int, list[str]] = {}  # fork id -> its attempts, oldest first
        self._joins: dict[str, list[str]] = {}  # attempt -> its joins
        self._counts = {"claim": 0, "join": 0, "answer": 0}
        self._by_kind: dict[str, list[str]] = {}
        # indexes kept in step with the node attributes, so a join costs O(its own size)
        self._claims: dict[str, list[str]] = {}  # attempt -> its claims, in order
        self._valid_joins: dict[str, None] = {}  # an ordered set
        self._accepted: dict[str, None] = {}  # joined, valid attempts
        # dependencies by data: what each join made known, and the joins each attempt had seen
        self._by_name: dict[str, list[str]] = {}  # unknown -> joins whose claims mention it
        self._by_value: dict[str, list[str]] = {}  # number -> joins whose claims made it known
        # attempt -> the joins its organizer had seen (a tuple, often one shared by many
        # attempts: `joins_snapshot`), and their sets, made only for a long membership test
        self._seen: dict[str, tuple[str, ...]] = {}
        self._seen_sets: dict[int, tuple[tuple[str, ...], frozenset[str]]] = {}
        self._snapshot: tuple[str, ...] | None = None  # the valid joins as a tuple, while unchanged
        self._withdrawn = 0  # valid joins invalidated so far (see `join_state`)
        self._claim_names: dict[str, frozenset[str]] = {}  # claim -> the names it mentions
        self._given: tuple[str | None, frozenset[str]] = (None, frozenset())  # task text, its numbers
        self._add_node(TASK, kind="task", text=task)

    # ------------------------------------------------------------ building

    def _add_node(self, node: str, **attrs: Any) -> str:
        self._order += 1
        self.graph.add_node(node, order=self._order, valid=True, **attrs)
        self._by_kind.setdefault(attrs["kind"], []).append(node)  # issue order, kept cheap
        return node

    def _add_edge(self, source: str, target: str, kind: str) -> None:
        self.graph.add_edge(source, target, key=kind, kind=kind)

    def _next_id(self, kind: str) -> str:
        self._counts[kind] += 1
        return f"{kind}-{self._counts[kind]}"

    def _node(self, node: str, kind: str) -> dict[str, Any]:
        if not isinstance(node, str) or node not in self.graph or self.graph.nodes[node]["kind"] != kind:
            raise InvalidArgument(f"{node!r} is not a {kind} of this graph")
        return self.graph.nodes[node]

    def add_task(self, text: str) -> str:
        """Set the task text (the task node exists from the start); returns its node id."""
        self.graph.nodes[TASK]["text"] = str(text)
        return TASK

    def add_fork(
        self,
        fork_id: int,
        query: str,
        *,
        after_joins: Iterable[str] | None = None,
        spawned_by: str | None = None,
    ) -> str:
        """Record a new attempt of fork `fork_id` and return its node id (`fork-<id>.<n>`).

        `after_joins`: the joins whose results the organizer had seen when it issued this fork
        (None means every valid join so far); the attempt depends on those of them its query
        uses (see the module docstring), and later on those its claims use.
        `spawned_by`: the task (default) or a join whose result prompted this fork.
        Raises InvalidArgument for an unknown or invalidated join.
        """
        if not isinstance(fork_id, int) or isinstance(fork_id, bool) or fork_id < 0:
            raise InvalidArgument(f"fork_id must be a non-negative int, got {fork_id!r}")
        if after_joins is None or (after_joins is self._snapshot and after_joins is not None):
            # every valid join so far, in issue order: valid and unique by construction, and
            # one tuple shared by every fork issued before the next join (no copy per fork)
            joins = self.joins_snapshot()
            named = [spawned_by] if spawned_by not in (None, TASK) else []
        else:
            joins = tuple(dict.fromkeys(after_joins))
            named = [*joins, *([spawned_by] if spawned_by not in (None, TASK) else [])]
        # only the joins not in the valid set need a look (filterfalse runs the test in C)
        for join in filterfalse(self._valid_joins.__contains__, named):
            if not self._node(join, "join")["valid"]:
                raise InvalidArgument(f"{join} was invalidated; a new fork cannot build on it")
        attempts = self._attempts.setdefault(fork_id, [])
        number = len(attempts) + 1
        node = self._add_node(
            f"fork-{fork_id}.{number}",
            kind="attempt",
            fork_id=fork_id,
            attempt=number,
            query=str(query),
            joined=False,
            invalidated_by=None,
            after_joins=joins,  # what it may use: the bundle re-derives its edges from it (a tuple,
            # written as a list by `to_node_link`)
        )
        attempts.append(node)
        self._add_edge(spawned_by or TASK, node, "spawned")
        self._seen[node] = joins
        found: dict[str, list[str]] = {}
        words = [(w, self._by_name[w]) for w in sorted(set(_WORD.findall(str(query)))) if w in self._by_name]
        numbers = [
            (v, self._by_value[v]) for v in sorted(set(_NUMBER.findall(str(query)))) if v in self._by_value
        ]
        if words or numbers:
            seen = self._seen_in(node, sum(len(js) for _, js in words) + sum(len(js) for _, js in numbers))
            for word, candidates in words:
                for join in candidates:
                    if join in seen:
                        found.setdefault(join, []).append(f"the query mentions {word}")
            for number, candidates in numbers:
                for join in candidates:
                    if join in seen:
                        found.setdefault(join, []).append(f"the query holds the value {number}")
        for join in sorted(found, key=self.order):
            self._depend(join, node, found[join])
        return node

    def _seen_in(self, attempt: str, tests: int):
        """The joins `attempt`'s organizer had seen, for `tests` membership tests: the tuple
        itself for a few (a scan in C), else a set, made once per tuple however many attempts
        share it."""
        seen = self._seen.get(attempt, ())
        if tests <= 4 or len(seen) <= 16:
            return seen
        cached = self._seen_sets.get(id(seen))
        if cached is None or cached[0] is not seen:
            cached = self._seen_sets[id(seen)] = (seen, frozenset(seen))
        return cached[1]

    def joins_snapshot(self) -> tuple[str, ...]:
        """The valid joins in issue order, as a tuple made again only once a join is added or
        invalidated: passed back to `add_fork` as `after_joins`, it is taken without a copy or
        a check (it is valid and free of repeats by construction)."""
        if self._snapshot is None:
            self._snapshot = tuple(self._valid_joins)
        return self._snapshot

    def last_valid_join(self) -> str | None:
        """The newest valid join (None when there is none), without copying the valid joins."""
        return next(reversed(self._valid_joins), None)

    def join_state(self) -> tuple[int, int]:
        """(valid joins withdrawn so far, valid joins now). While the first number stays the
        same, the valid joins of an earlier call are a prefix of the valid joins now."""
        return self._withdrawn, len(self._valid_joins)

    def newest_valid_joins(self, count: int) -> list[str]:
        """The newest `count` valid joins, in issue order (O(count), not O(all joins))."""
        return list(islice(reversed(self._valid_joins), count))[::-1] if count > 0 else []

    def is_valid_join(self, join: str) -> bool:
        return join in self._valid_joins

    def _depend(self, join: str, attempt: str, reasons: list[str]) -> None:
        """Record that `attempt` uses the claims of `join`, for `reasons`."""
        if self.graph.has_edge(join, attempt, key="depends_on"):
            uses = self.graph.edges[join, attempt, "depends_on"]["uses"]
            uses.extend(r for r in reasons if r not in uses)
        else:
            self.graph.add_edge(join, attempt, key="depends_on", kind="depends_on", uses=list(reasons))

    def _names_of(self, claim: str) -> frozenset[str]:
        """The names claim `claim` mentions (worked out once per claim)."""
        names = self._claim_names.get(claim)
        if names is None:
            names = self._claim_names[claim] = _names(self._formulas.get(claim))
        return names

    def _index_join(self, join: str) -> None:
        """Index a join by what its claims make known: the unknowns they mention, and the
        numbers they write that the task's text does not (values the join made known)."""
        claims = self._claims_of(self.graph.nodes[join]["attempt"])
        names = set().union(*(self._names_of(c) for c in claims))
        text = self.graph.nodes[TASK].get("text", "")
        if self._given[0] != text:  # the numbers the task's text writes, read once per text
            self._given = (text, frozenset(_NUMBER.findall(text)))
        given = self._given[1]
        values = {v for c in claims for v in _NUMBER.findall(self.graph.nodes[c]["text"]) if v not in given}
        for name in names:
            self._by_name.setdefault(name, []).append(join)
        for value in values:
            self._by_value.setdefault(value, []).append(join)

    def add_claim(
        self,
        attempt: str,
        claim_text: str,
        formula: Formula | None = None,
        verdict: Verdict | None = None,
        *,
        role: str | None = None,
    ) -> str:
        """Record a claim that `attempt` returned; returns the claim's node id.

        `formula` is the parsed claim (parsed from `claim_text` when None); `verdict` its
        individual check and `role` how it was checked (see reasoning.engine._task). A claim in role
        `domain` is text in a domain's notation: it is not parsed and has no formula (it is a
        closed statement, so it takes no part in `check_consistency`). Only claims without
        a verdict or with a `proved` one count as accepted when the attempt is joined. Raises InvalidArgument if the text does not parse, or the attempt is
        unknown, invalidated or already joined.
        """
        data = self._node(attempt, "attempt")
        if not data["valid"] or data["joined"]:
            raise InvalidArgument(
                f"{attempt} is {'joined' if data['joined'] else 'invalidated'}; no more claims"
            )
        if formula is None and role != "domain":
            formula = parse_claim(claim_text)
            if isinstance(formula, ParseFailure):
                raise InvalidArgument(f"claim {claim_text!r} does not parse: {formula.describe()}")
        node = self._add_node(
            self._next_id("claim"),
            kind="claim",
            attempt=attempt,
            text=str(claim_text),
            claim=str(claim_text) if formula is None else to_text(formula),
            status=verdict.status.value if verdict else None,
            role=role,
            backend=verdict.backend if verdict else None,
            certificate=verdict.certificate if verdict else None,
        )
        self._formulas[node] = formula
        names = self._names_of(node)
        self._claims.setdefault(attempt, []).append(node)
        self._add_edge(attempt, node, "returned")
        found: dict[str, list[str]] = {}
        candidates = [(n, self._by_name[n]) for n in sorted(names) if n in self._by_name]
        if candidates:
            seen = self._seen_in(attempt, sum(len(js) for _, js in candidates))
            for name, joins in candidates:
                for join in joins:
                    if join in seen and join in self._valid_joins:
                        found.setdefault(join, []).append(f"a claim mentions {name}")
        for join in sorted(found, key=self.order):
            self._depend(join, attempt, found[join])
        return node

    def add_join(self, fork_id: int, attempt: int | None = None) -> str:
        """Join fork `fork_id` (its latest attempt, or attempt number `attempt`); returns the join id.

        Raises InvalidArgument for an unknown fork or attempt, or one invalidated or joined.
        """
        attempts = self._attempts.get(fork_id, [])
        if not attempts or (attempt is not None and not 1 <= attempt <= len(attempts)):
            raise InvalidArgument(f"fork {fork_id} has no attempt {attempt or ''}".rstrip())
        node_id = attempts[-1 if attempt is None else attempt - 1]
        data = self.graph.nodes[node_id]
        if not data["valid"] or data["joined"]:
            raise InvalidArgument(f"{node_id} is {'already joined' if data['joined'] else 'invalidated'}")
        data["joined"] = True
        join = self._add_node(self._next_id("join"), kind="join", fork_id=fork_id, attempt=node_id)
        for claim in self._claims_of(node_id):
            self._add_edge(claim, join, "joined")
        self._joins.setdefault(node_id, []).append(join)
        self._valid_joins[join] = None
        self._snapshot = None
        self._index_join(join)
        self._accepted[node_id] = None
        return join

    def add_answer(self, text: str, *, joins: Iterable[str] | None = None) -> str:
        """Record the organizer's answer, resting on `joins` (default: every valid join)."""
        if joins is None:
            joins = [n for n in self._nodes_of("join") if self.graph.nodes[n]["valid"]]
        joins = list(dict.fromkeys(joins))
        for join in joins:
            self._node(join, "join")
        node = self._add_node(self._next_id("answer"), kind="answer", text=str(text))
        for join in joins:
            self._add_edge(join, node, "answered")
        if not all(self.graph.nodes[j]["valid"] for j in joins):
            self.graph.nodes[node]["valid"] = False
        return node

    # ------------------------------------------------------------ queries

    def _nodes_of(self, kind: str) -> list[str]:
        return list(self._by_kind.get(kind, ()))

    def _claims_of(self, attempt: str) -> list[str]:
        return list(self._claims.get(attempt, ()))

    @property
    def claim_formulas(self) -> Mapping[str, Formula | None]:
        """Claim node -> its parsed formula (None for a domain claim): a read-only live view."""
        return MappingProxyType(self._formulas)

    def valid_joins(self) -> list[str]:
        """The joins not invalidated, in issue order."""
        return list(self._valid_joins)

    def attempts(self, fork_id: int | None = None) -> list[str]:
        """Attempt ids in issue order (of one fork, or all)."""
        if fork_id is not None:
            return list(self._attempts.get(fork_id, []))
        return self._nodes_of("attempt")

    def order(self, node: str) -> int:
        return self.graph.nodes[node]["order"]

    def descendants_of(self, attempt: str) -> list[str]:
        """Every attempt that depends, directly or transitively, on a join of `attempt`
        (uses its claims, or was spawned by it), in issue order; `attempt` itself is not included."""
        self._node(attempt, "attempt")
        seen: set[str] = set()
        frontier = [attempt]
        while frontier:
            current = frontier.pop()
            for join in self._joins.get(current, []):
                for _, target, kind in self.graph.out_edges(join, keys=True):
                    if kind in ("depends_on", "spawned") and target not in seen and target != attempt:
                        seen.add(target)
                        frontier.append(target)
        return sorted(seen, key=self.order)

    def redispatch_cost(self, attempt: str) -> int:
        """How many attempts withdrawing `attempt` re-dispatches: itself and its valid descendants."""
        nodes = self.graph.nodes
        return 1 + sum(1 for d in self.descendants_of(attempt) if nodes[d]["valid"])

    def blame(self, report: ConsistencyReport, *, prefer: str | None = None) -> str | None:
        """The attempt of `report`'s unsat core to withdraw: the fewest re-dispatches, then
        `prefer`, then the newest (see `ConsistencyReport.blame`); None unless inconsistent."""
        cost = {a: self.redispatch_cost(a) for a in report.core if a in self.graph and a != TASK}
        return report.blame(prefer=prefer, cost=cost)

    def uses(self, attempt: str) -> dict[str, list[str]]:
        """Join -> why `attempt` depends on it (the `uses` of its `depends_on` edges)."""
        self._node(attempt, "attempt")
        return {
            source: list(data.get("uses", []))
            for source, _, key, data in self.graph.in_edges(attempt, keys=True, data=True)
            if key == "depends_on"
        }

    def invalidate(self, attempt: str, *, reason: str = "") -> list[str]:
        """Mark `attempt`, its claims and joins, and every descendant attempt (with theirs)
        invalid, and answers resting on those joins. Returns the attempts newly invalidated, in
        issue order: the ones the engine must re-dispatch (or cancel if still running)."""
        self._node(attempt, "attempt")
        newly = []
        for node in [attempt, *self.descendants_of(attempt)]:
            data = self.graph.nodes[node]
            if not data["valid"]:
                continue
            data["valid"] = False
            data["invalidated_by"] = attempt
            data["reason"] = reason or ("rejected" if node == attempt else f"depends on {attempt}")
            newly.append(node)
            self._accepted.pop(node, None)
            for claim in self._claims_of(node):
                self.graph.nodes[claim]["valid"] = False
            for join in self._joins.get(node, []):
                self.graph.nodes[join]["valid"] = False
                if self._valid_joins.pop(join, False) is None:
                    self._withdrawn += 1
                    self._snapshot = None
                for _, target, kind in self.graph.out_edges(join, keys=True):
                    if kind == "answered":
                        self.graph.nodes[target]["valid"] = False
        return newly

    def accepted_claims(self) -> list[ClaimRecord]:
        """The proved (or unchecked) claims of joined, valid attempts, in issue order."""
        out = []
        nodes = self.graph.nodes
        claims = sorted(
            (c for a in self._accepted for c in self._claims.get(a, ())), key=lambda c: nodes[c]["order"]
        )
        for node in claims:
            data = nodes[node]
            attempt = nodes[data["attempt"]]
            if (
                data["valid"]
                and attempt["valid"]
                and attempt["joined"]
                and data["status"] in (None, "proved")
            ):
                out.append(
                    ClaimRecord(
                        node=node,
                        attempt=data["attempt"],
                        text=data["text"],
                        claim=data["claim"],
                        formula=self._formulas[node],
                        status=data["status"],
                        certificate=data["certificate"],
                    )
                )
        return out

    def check_consistency(
        self, unknowns: dict[str, str], *, budget_s: float = DEFAULT_BUDGET_S
    ) -> ConsistencyReport:
        """Are all accepted claims jointly satisfiable, with `unknowns` (name -> "Int" | "Real")
        shared? An unsat core names the attempts in conflict (`blame` picks one to withdraw).
        Raises InvalidArgument for bad unknowns or budget; a Z3 timeout is `unknown`."""
        claims = [(c.attempt, c.formula) for c in self.accepted_claims() if c.formula is not None]
        ranks = {a: self.order(a) for a in self._nodes_of("attempt")}
        return check_claims(unknowns, claims, order=ranks, budget_s=budget_s)

    # ------------------------------------------------------------ export

    def to_node_link(self) -> dict[str, Any]:
        """The graph as networkx node-link JSON (JSON types only; `from_node_link` reads it)."""
        data = nx.node_link_data(self.graph, edges="edges")
        for node in data["nodes"]:  # fresh dicts: the graph's own attributes stay as they are
            if isinstance(node.get("after_joins"), tuple):
                node["after_joins"] = list(node["after_joins"])
        data["graph"] = {"format": "reasoning.causal_graph/1"}
        return data

    @classmethod
    def from_node_link(cls, data: dict[str, Any]) -> CausalGraph:
        """Rebuild a graph from `to_node_link` output; claims are re-parsed from their text.

        Raises InvalidArgument when the data is not a causal graph of this format.
        """
        try:
            graph = nx.node_link_graph(data, directed=True, multigraph=True, edges="edges")
        except (KeyError, TypeError, nx.NetworkXError) as exc:
            raise InvalidArgument(f"not node-link data: {exc}") from exc
        if data.get("graph", {}).get("format") != "reasoning.causal_graph/1":
            raise InvalidArgument("not a causal graph in reasoning.causal_graph/1 format")
        self = cls.__new__(cls)
        self.graph = graph
        self._formulas, self._attempts, self._joins = {}, {}, {}
        self._counts = {"claim": 0, "join": 0, "answer": 0}
        self._by_kind, self._claims, self._valid_joins, self._accepted = {}, {}, {}, {}
        self._by_name, self._by_value, self._seen = {}, {}, {}
        self._seen_sets, self._snapshot, self._withdrawn = {}, None, 0
        self._claim_names, self._given = {}, (None, frozenset())
        self._order = max((d.get("order", 0) for _, d in graph.nodes(data=True)), default=0)
        for node in sorted(graph.nodes, key=lambda n: graph.nodes[n].get("order", 0)):
            d = graph.nodes[node]
            kind = d.get("kind")
            if kind not in NODE_KINDS:
                raise InvalidArgument(f"node {node!r} has unknown kind {kind!r}")
            self._by_kind.setdefault(kind, []).append(node)
            if kind == "attempt":
                self._attempts.setdefault(d["fork_id"], []).append(node)
                if d.get("valid") and d.get("joined"):
                    self._accepted[node] = None
            elif kind == "join":
                self._joins.setdefault(d["attempt"], []).append(node)
                if d.get("valid"):
                    self._valid_joins[node] = None
            elif kind == "claim":
                self._claims.setdefault(d["attempt"], []).append(node)
                if d.get("role") == "domain":
                    self._formulas[node] = None
                else:
                    formula = parse_claim(d["claim"])
                    if isinstance(formula, ParseFailure):
                        raise InvalidArgument(f"claim {d['claim']!r} does not parse: {formula.message}")
                    self._formulas[node] = formula
            if kind in self._counts:
                self._counts[kind] = max(self._counts[kind], int(str(node).rsplit("-", 1)[1]))
        if TASK not in graph:
            raise InvalidArgument("the graph has no task node")
        for join in self._by_kind.get("join", ()):
            self._index_join(join)
        return self

    def render_svg(self, path) -> None:
        """Write a layered drawing of the graph to `path` (SVG; see reasoning.engine._graph_svg)."""
        with open(path, "w", encoding="utf-8") as out:
            out.write(render(self.graph))
