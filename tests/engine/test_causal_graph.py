"""The causal graph: structure, invalidation, joint consistency, certificates, export."""

from __future__ import annotations

import copy
import json
import time
import xml.etree.ElementTree as ET
from fractions import Fraction

import pytest
import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs.check import check_certificate
from proofs.claims import to_text
from proofs.exact import parse_fraction, truth
from proofs.parsing import parse_claim
from reasoning.api import InvalidArgument
from reasoning.engine._causal_graph import (
    CausalGraph,
    Consistency,
    check_claims,
    consistency_script,
    recheck_consistency_certificate,
)
from solvers.dispatch import decide

UNKNOWNS = {"x": "Real"}


def contradiction_run() -> tuple[CausalGraph, dict[str, str]]:
    """Fork 1 says x = 3, fork 2 says x > 5; fork 3 is issued after both joins."""
    g = CausalGraph("find x")
    ids = {}
    ids["a1"] = g.add_fork(1, "what is x?", after_joins=[])
    g.add_claim(ids["a1"], "x = 3")
    ids["j1"] = g.add_join(1)
    ids["a2"] = g.add_fork(2, "bound x", after_joins=[])
    g.add_claim(ids["a2"], "x > 5")
    ids["j2"] = g.add_join(2)
    ids["a3"] = g.add_fork(3, "use x", after_joins=[ids["j2"]])
    g.add_claim(ids["a3"], "y = x + 1")
    ids["j3"] = g.add_join(3)
    ids["a4"] = g.add_fork(4, "use y", after_joins=[ids["j3"]])  # transitively after j2
    return g, ids


def test_contradiction_is_blamed_on_the_newer_fork():
    g, ids = contradiction_run()
    report = g.check_consistency(UNKNOWNS)
    assert report.status is Consistency.INCONSISTENT
    assert not report.consistent
    assert report.core == (ids["a1"], ids["a2"])
    assert report.blame() == ids["a2"]
    assert report.witness is None


def test_invalidation_follows_dependencies_and_leaves_a_consistent_rest():
    g, ids = contradiction_run()
    assert g.descendants_of(ids["a2"]) == [ids["a3"], ids["a4"]]
    assert g.descendants_of(ids["a1"]) == []
    invalidated = g.invalidate(g.check_consistency(UNKNOWNS).blame())
    assert invalidated == [ids["a2"], ids["a3"], ids["a4"]]
    assert g.invalidate(ids["a2"]) == []  # already invalid: nothing new to re-dispatch
    assert [c.claim for c in g.accepted_claims()] == ["x = 3"]
    nodes = g.graph.nodes
    assert not nodes[ids["j2"]]["valid"] and not nodes[ids["j3"]]["valid"] and nodes[ids["j1"]]["valid"]
    assert nodes[ids["a4"]]["invalidated_by"] == ids["a2"]
    report = g.check_consistency(UNKNOWNS)
    assert report.consistent
    assert report.witness == {"x": "3"}
    # the re-dispatched fork is a new attempt of the same fork id
    retry = g.add_fork(2, "bound x again", after_joins=[ids["j1"]])
    assert retry == "fork-2.2" and g.attempts(2) == [ids["a2"], retry]
    with pytest.raises(InvalidArgument):
        g.add_fork(5, "build on a rejected join", after_joins=[ids["j2"]])


def test_by_default_every_valid_join_may_be_used_but_only_used_ones_are_dependencies():
    g, ids = contradiction_run()
    unrelated = g.add_fork(9, "anything")
    assert set(g.graph.predecessors(unrelated)) == {"task"}  # issued after every join, uses none
    later = g.add_fork(10, "what is x + 1?")
    assert set(g.graph.predecessors(later)) == {"task", ids["j1"], ids["j2"], ids["j3"]}
    assert later in g.descendants_of(ids["a1"]) and unrelated not in g.descendants_of(ids["a1"])


def test_unjoined_and_invalidated_claims_are_not_accepted():
    g = CausalGraph("t")
    a = g.add_fork(1, "q", after_joins=[])
    g.add_claim(a, "x = 1")
    assert g.accepted_claims() == []
    assert g.check_consistency(UNKNOWNS).consistent  # nothing accepted, nothing to contradict
    g.add_join(1)
    with pytest.raises(InvalidArgument):
        g.add_claim(a, "x = 2")  # joined: closed for new claims
    with pytest.raises(InvalidArgument):
        g.add_join(1)
    with pytest.raises(InvalidArgument):
        g.add_join(7)
    with pytest.raises(InvalidArgument):
        g.add_claim(a, "x = = 2")


def test_undefined_is_not_true_in_the_joint_check():
    # `1/x = 1/x` holds only where it is defined, so it contradicts x = 0.
    report = check_claims(
        UNKNOWNS, [("fork-1.1", parse_claim("1/x = 1/x")), ("fork-2.1", parse_claim("x = 0"))]
    )
    assert report.status is Consistency.INCONSISTENT
    assert report.blame() == "fork-2.1"


def test_integer_unknowns_and_only_proved_claims_are_accepted():
    g = CausalGraph("t")
    a = g.add_fork(1, "q", after_joins=[])
    formula = parse_claim("2*n = 7")
    refuted = g.add_claim(a, "2*n = 7", formula, decide(formula, budget_s=2.0))
    g.add_claim(a, "2*n = 7")  # no verdict: taken as given
    g.add_join(1)
    assert g.graph.nodes[refuted]["status"] == "refuted"
    assert [c.status for c in g.accepted_claims()] == [None]
    assert g.check_consistency({"n": "Real"}).consistent
    report = g.check_consistency({"n": "Int"})
    assert report.status is Consistency.INCONSISTENT
    assert check_certificate(report.certificate, use_cvc5=False).ok


def test_claims_outside_smt_make_a_satisfiable_check_unknown():
    g = CausalGraph("t")
    a = g.add_fork(1, "q", after_joins=[])
    g.add_claim(a, "x = sin(1)")
    g.add_join(1)
    report = g.check_consistency(UNKNOWNS)
    assert report.status is Consistency.UNKNOWN and report.certificate is None
    assert set(report.skipped) == {a}
    b = g.add_fork(2, "q", after_joins=[])
    g.add_claim(b, "0 = 1")
    g.add_join(2)
    assert g.check_consistency(UNKNOWNS).blame() == b  # unsat of a subset still decides


def test_bad_arguments_are_rejected():
    g, _ = contradiction_run()
    with pytest.raises(InvalidArgument):
        g.check_consistency({"x": "Complex"})
    with pytest.raises(InvalidArgument):
        g.check_consistency(UNKNOWNS, budget_s=0)
    with pytest.raises(InvalidArgument):
        g.descendants_of("fork-99.1")


def test_certificates_recheck_and_tampering_fails():
    g, ids = contradiction_run()
    cert = g.check_consistency(UNKNOWNS).certificate
    assert cert["kind"] == "consistency" and cert["expect"] == "unsat"
    assert [c["attempt"] for c in cert["claims"]] == [ids["a1"], ids["a2"]]
    assert check_certificate(json.loads(json.dumps(cert))).ok
    claim_changed = copy.deepcopy(cert)
    claim_changed["claims"][1]["claim"] = "x > 2"
    script_changed = copy.deepcopy(cert)
    script_changed["script"] = script_changed["script"].replace("5.0", "2.0")
    both_changed = copy.deepcopy(cert)
    both_changed["claims"][1]["claim"] = "x > 2"
    both_changed["script"] = both_changed["script"].replace("x > 5", "x > 2").replace("5.0", "2.0")
    expect_changed = dict(cert, expect="sat")
    for tampered in (claim_changed, script_changed, both_changed, expect_changed):
        assert not check_certificate(tampered, use_cvc5=False).ok

    g.invalidate(ids["a2"])
    sat_cert = g.check_consistency(UNKNOWNS).certificate
    assert sat_cert["expect"] == "sat"
    assert recheck_consistency_certificate(sat_cert, use_cvc5=False).ok
    assert not check_certificate(dict(sat_cert, expect="unsat"), use_cvc5=False).ok
    assert not check_certificate(dict(sat_cert, witness={"x": "4"}), use_cvc5=False).ok
    assert not check_certificate(dict(sat_cert, unknowns={"x": "Int", "y": "Real"}), use_cvc5=False).ok


def test_node_link_round_trip():
    g, ids = contradiction_run()
    g.invalidate(ids["a2"])
    g.add_answer("x = 3")
    data = json.loads(json.dumps(g.to_node_link()))
    again = CausalGraph.from_node_link(data)
    assert again.to_node_link() == g.to_node_link()
    assert [c.formula for c in again.accepted_claims()] == [c.formula for c in g.accepted_claims()]
    assert again.add_fork(2, "retry", after_joins=[]) == "fork-2.2"
    assert again.add_claim("fork-2.2", "x >= 3") == "claim-4"
    with pytest.raises(InvalidArgument):
        CausalGraph.from_node_link({"nodes": [], "edges": []})


def test_svg_is_valid_xml_and_names_every_fork(tmp_path):
    g, ids = contradiction_run()
    g.invalidate(ids["a2"])
    g.add_fork(2, "bound x again", after_joins=[ids["j1"]])
    g.add_answer("x = 3 <done> & checked")
    path = tmp_path / "graph.svg"
    g.render_svg(path)
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    text = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    for fork_id in (1, 2, 3, 4):
        assert f"FORK {fork_id} attempt 1" in text
    assert "FORK 2 attempt 2" in text and "(invalid)" in text


# ---------------------------------------------------------------- property: consistent iff sat

terms = st.tuples(st.integers(-3, 3), st.integers(-3, 3), st.sampled_from(["=", "<", "<=", ">", ">=", "!="]))
linear_claims = st.lists(st.tuples(terms, st.integers(-6, 6)), min_size=1, max_size=6)


def _claim_text(coeffs, bound) -> str:
    (a, b, op) = coeffs
    return f"({a})*x + ({b})*y {op} {bound}"


def _direct(claims, sorts: tuple[str, str]):
    """The same conjunction built with z3's Python API, independently of proofs.smtlib."""
    ctx = z3.Context()
    x, y = ((z3.Int if sort == "Int" else z3.Real)(name, ctx) for name, sort in zip("xy", sorts))
    ops = {
        "=": lambda u, v: u == v,
        "<": lambda u, v: u < v,
        "<=": lambda u, v: u <= v,
        ">": lambda u, v: u > v,
        ">=": lambda u, v: u >= v,
        "!=": lambda u, v: u != v,
    }
    solver = z3.Solver(ctx=ctx)
    for (a, b, op), bound in claims:
        solver.add(ops[op](a * x + b * y, bound))
    return solver.check()


@settings(max_examples=60)
@given(claims=linear_claims, sorts=st.sampled_from([("Int", "Int"), ("Real", "Real"), ("Int", "Real")]))
def test_consistent_iff_the_conjunction_is_satisfiable(claims, sorts):
    g = CausalGraph("random")
    for fork_id, (coeffs, bound) in enumerate(claims, start=1):
        attempt = g.add_fork(fork_id, "q")
        g.add_claim(attempt, _claim_text(coeffs, bound))
        g.add_join(fork_id)
    unknowns = {"x": sorts[0], "y": sorts[1]}
    report = g.check_consistency(unknowns)
    if report.status is Consistency.UNKNOWN:  # sound, and then there is nothing to re-check
        assert report.certificate is None
        return
    expected = _direct(claims, sorts)
    assert report.consistent == (expected == z3.sat)
    # a decided report's certificate re-checks: a sat one by its witness (exact evaluation),
    # an unsat one by a fresh Z3 (Int-only claims are written in integer arithmetic)
    recheck = recheck_consistency_certificate(report.certificate, use_cvc5=False)
    assert recheck.ok, recheck.message
    if report.consistent:
        assert recheck.checks == {"exact": "holds"}
        env = {name: parse_fraction(value) for name, value in report.witness.items()}
        assert all(truth(c.formula, env) for c in g.accepted_claims())
    else:
        core = [claims[int(a.split("-")[1].split(".")[0]) - 1] for a in report.core]
        assert _direct(core, sorts) == z3.unsat
        assert report.blame() == report.core[-1]
        assert all(g.order(a) <= g.order(report.blame()) for a in report.core)
    assert all(isinstance(Fraction(v), Fraction) for v in (report.witness or {}).values())


# ---------------------------------------------------------------- sat certificates: the witness decides

#: Two Int disequations Z3 could not decide in 10 s when read through `to_real` (a bundle of a
#: run with them failed `reason check`), and four Int inequalities only integrality makes unsat.
INT_DISEQUATIONS = ["2 * x + (-1) * y != -5", "(-2) * x + 1 * y != 6"]
INT_GAP = [
    "2 * x + (-1) * y < -3",
    "(-3) * x + (-2) * y > -2",
    "3 * x + 2 * y > 1",
    "(-1) * x + (-2) * y > -5",
]
INTS = {"x": "Int", "y": "Int"}


def _pairs(texts):
    return [(f"fork-{i}.1", parse_claim(t)) for i, t in enumerate(texts, start=1)]


def _legacy_certificate(unknowns, texts, expect, witness=None):
    """A certificate as written before Int-only claims had an integer encoding (to_real)."""
    pairs = _pairs(texts)
    script = consistency_script(unknowns, pairs, integer=False)[0] + "(check-sat)\n"
    cert = {
        "kind": "consistency",
        "unknowns": dict(unknowns),
        "claims": [{"attempt": a, "claim": to_text(f)} for a, f in pairs],
        "script": script,
        "expect": expect,
    }
    return cert if witness is None else {**cert, "witness": witness}


def test_int_only_claims_are_written_in_integer_arithmetic_and_mixed_ones_through_to_real():
    script, _, _ = consistency_script(
        {"x": "Int", "y": "Real"}, _pairs(["2 * x != 5", "x + y > 1", "x / 2 = 1", "x mod 3 = 1"])
    )
    lines = [line for line in script.splitlines() if line.startswith("(assert")]
    assert lines[0] == "(assert (not (= (* 2 v_x) 5)))"
    assert "to_real" in lines[1] and "to_real" in lines[2]  # a Real unknown; a division
    assert "to_real" not in lines[3] and "(mod v_x 3)" in lines[3]
    assert "to_real" in consistency_script(INTS, _pairs(INT_DISEQUATIONS), integer=False)[0]


def test_the_int_disequations_are_consistent_and_their_certificate_rechecks_at_once():
    report = check_claims(INTS, _pairs(INT_DISEQUATIONS))
    assert report.status is Consistency.CONSISTENT
    start = time.perf_counter()
    recheck = recheck_consistency_certificate(report.certificate, use_cvc5=False)
    assert recheck.ok, recheck.message
    assert time.perf_counter() - start < 2.0  # it was a 10 s Z3 timeout, then a failure


def test_an_old_to_real_certificate_of_them_still_rechecks_by_its_witness():
    cert = _legacy_certificate(INTS, INT_DISEQUATIONS, "sat", {"x": "0", "y": "0"})
    recheck = recheck_consistency_certificate(cert, use_cvc5=False)
    assert recheck.ok and recheck.checks == {"exact": "holds"}, recheck.message


def test_an_integrality_conflict_is_found_and_its_certificate_rechecks_old_and_new():
    report = check_claims(INTS, _pairs(INT_GAP))
    assert report.status is Consistency.INCONSISTENT
    assert "to_real" not in report.certificate["script"]
    assert recheck_consistency_certificate(report.certificate, use_cvc5=False).ok
    old = _legacy_certificate(INTS, INT_GAP, "unsat")  # solved in the current encoding
    assert recheck_consistency_certificate(old, use_cvc5=False).ok
    assert not recheck_consistency_certificate(dict(old, expect="sat"), use_cvc5=False).ok


@pytest.mark.parametrize(
    ("witness", "why"),
    [
        ({"x": "0", "y": "5"}, "does not satisfy"),  # 2*0 - 5 = -5: violates the first !=
        ({"x": "-3", "y": "0"}, "does not satisfy"),  # -2*(-3) + 0 = 6: violates the second
        ({"x": "1/2", "y": "0"}, "not an integer"),
        ({"x": "0.5", "y": "0"}, "not an integer"),
        ({"x": "0.5?", "y": "0"}, "not an integer"),  # an approximation is never rounded
        ({"x": "abc", "y": "0"}, "not an integer"),
        ({"x": 0, "y": "0"}, "not a string"),
        ({"x": "0"}, "no value for ['y']"),
        ({"x": "0", "y": "0", "z": "0"}, "a value for ['z']"),
        ([["x", "0"], ["y", "0"]], "is an object"),
    ],
)
def test_a_forged_witness_fails_the_certificate(witness, why):
    for cert in (
        check_claims(INTS, _pairs(INT_DISEQUATIONS)).certificate,
        _legacy_certificate(INTS, INT_DISEQUATIONS, "sat", {"x": "0", "y": "0"}),
    ):
        recheck = check_certificate(dict(cert, witness=witness), use_cvc5=False)
        assert not recheck.ok and why in recheck.message, recheck.message


def test_a_witness_exact_evaluation_cannot_decide_is_checked_pinned_in_z3():
    # a quantifier (exact evaluation does not decide it): the pinned script decides
    unknowns = {"x": "Int"}
    claims = ["forall t in Real: t * t + x >= 0", "x != 3"]
    cert = check_claims(unknowns, _pairs(claims)).certificate
    assert recheck_consistency_certificate(cert, use_cvc5=False).checks == {"z3": "sat"}
    for forged in ({"x": "-1"}, {"x": "3"}):
        recheck = recheck_consistency_certificate(dict(cert, witness=forged), use_cvc5=False)
        assert not recheck.ok and "does not satisfy" in recheck.message, recheck.message
    # an algebraic value is not rounded: x is pinned, y only bounded by its approximation
    unknowns = {"x": "Int", "y": "Real"}
    report = check_claims(unknowns, _pairs(["y * y = 2", "y > 0", "x = 1"]))
    assert "algebraic" in report.witness["y"]  # an approximation and the root-obj
    recheck = recheck_consistency_certificate(report.certificate, use_cvc5=False)
    assert recheck.ok and recheck.checks == {"z3": "sat"}, recheck.message
    cert = report.certificate
    assert recheck_consistency_certificate(dict(cert, witness={"x": "1", "y": "1.4142?"}), use_cvc5=False).ok
    for forged in (
        {"x": "2"},
        {"y": "1.4142"},
        {"y": "1.7?"},
        {"y": "-1.4142?"},
        {"y": "zz"},
        {"y": "1.4?junk"},
    ):
        recheck = recheck_consistency_certificate(
            dict(cert, witness={**report.witness, **forged}), use_cvc5=False
        )
        assert not recheck.ok, forged


def test_undefined_claims_fail_the_witness_as_they_failed_the_check():
    # 1/x at x = 0 is undefined, so not true: exact evaluation agrees with the script's guard
    unknowns = {"x": "Int"}
    cert = check_claims(unknowns, _pairs(["1/x = 1/x", "x >= 0"])).certificate
    assert cert["witness"] != {"x": "0"} and recheck_consistency_certificate(cert, use_cvc5=False).ok
    recheck = recheck_consistency_certificate(dict(cert, witness={"x": "0"}), use_cvc5=False)
    assert not recheck.ok and "1 / x = 1 / x" in recheck.message
    cert = check_claims({"y": "Real"}, _pairs(["sqrt(y) >= 0 or y = -1"])).certificate
    assert recheck_consistency_certificate(dict(cert, witness={"y": "4"}), use_cvc5=False).ok
    assert not recheck_consistency_certificate(dict(cert, witness={"y": "-1"}), use_cvc5=False).ok


def test_claim_formulas_is_a_public_read_only_view_the_engine_uses(monkeypatch):
    from types import MappingProxyType

    from reasoning.engine._engine import EngineConfig, ForkJoinEngine
    from reasoning.engine._task import Task
    from reasoning.engine._workers import ScriptedOrganizer, ScriptedWorker

    g = CausalGraph("t")
    a = g.add_fork(1, "q", after_joins=[])
    node = g.add_claim(a, "x = 3")
    view = g.claim_formulas
    assert isinstance(view, MappingProxyType) and view[node] == parse_claim("x = 3")
    with pytest.raises(TypeError):
        view[node] = None  # type: ignore[index]
    calls = []
    real = CausalGraph.claim_formulas

    def counted(self):
        calls.append(1)
        return real.fget(self)

    monkeypatch.setattr(CausalGraph, "claim_formulas", property(counted))
    organizer = ScriptedOrganizer(["<FORK-1>x</FORK-1><JOIN-1>", "<ANSWER>x = 3</ANSWER>"])
    worker = ScriptedWorker({1: ["<RETURN>x = 3</RETURN>"]})
    task = Task("find x", {"x": "Int"}, ("x + 1 = 4",))
    assert ForkJoinEngine(organizer, worker, EngineConfig()).run_sync(task).verified
    assert calls  # the engine reads the claims' formulas through the public view
