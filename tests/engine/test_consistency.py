"""The incremental joint-consistency checker agrees with the from-scratch one, certificate and all."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from proofs.claims import free_variables
from proofs.exact import NotExact, TooLarge, Undefined, parse_fraction, truth
from proofs.parsing import parse_claim
from reasoning.engine._causal_graph import (
    TASK,
    Consistency,
    check_claims,
    consistency_script,
    recheck_consistency_certificate,
)
from reasoning.engine._consistency import IncrementalConsistency

UNKNOWNS = {"x": "Int", "y": "Real"}
# satisfiable and not, linear and not, roots (auxiliary constants), free variables, undefined terms
POOL = [
    "x = 3",
    "x > 1",
    "x < 2",
    "x + y = 10",
    "y >= 0",
    "y*y = 2",
    "sqrt(y) = 2",
    "sqrt(y + 1) > 1",
    "1/x = 1/x",
    "x = 0",
    "a + 0 = a",
    "2 + 2 = 4",
    "exp(y) > 0",
]
FORMULAS = {text: parse_claim(text) for text in POOL}


def _claims(groups: list[tuple[str, list[str]]]):
    return [(attempt, FORMULAS[t]) for attempt, texts in groups for t in texts]


def test_consistent_claims_give_check_claims_report_and_a_certificate_that_rechecks():
    checker = IncrementalConsistency(UNKNOWNS)
    claims = _claims([(TASK, ["x > 1"]), ("fork-1.1", ["x = 3"]), ("fork-2.1", ["x + y = 10", "y >= 0"])])
    report = checker.check(claims)
    reference = check_claims(UNKNOWNS, claims)
    assert report is not None and report.status is Consistency.CONSISTENT
    assert report.message == reference.message and report.attempts == reference.attempts
    assert report.certificate["script"] == reference.certificate["script"]
    assert report.certificate["claims"] == reference.certificate["claims"]
    assert recheck_consistency_certificate(report.certificate, use_cvc5=False).ok
    assert report.witness == {"x": "3", "y": "7"}


def test_a_conflict_is_left_to_check_claims_and_a_dropped_attempt_is_popped():
    checker = IncrementalConsistency(UNKNOWNS)
    ok = [("fork-1.1", ["x = 3"])]
    assert checker.check(_claims(ok)) is not None
    assert checker.check(_claims([*ok, ("fork-2.1", ["x < 2"])])) is None  # unsat: no core here
    after = checker.check(_claims([*ok, ("fork-3.1", ["y >= 0"])]))
    assert after is not None and after.consistent
    assert checker.stats["popped"] == 1


def test_claims_z3_cannot_express_make_it_unknown_as_check_claims_does():
    checker = IncrementalConsistency(UNKNOWNS)
    claims = _claims([("fork-1.1", ["x = 3", "exp(y) > 0"])])
    report = checker.check(claims)
    reference = check_claims(UNKNOWNS, claims)
    assert reference.status is Consistency.UNKNOWN
    assert report is not None and report.status is Consistency.UNKNOWN
    assert report.skipped == reference.skipped and report.certificate is None


group = st.lists(st.sampled_from(POOL), min_size=1, max_size=3)


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(
        st.one_of(st.tuples(st.just("add"), group), st.tuples(st.just("drop"), st.integers(0, 5))),
        min_size=1,
        max_size=8,
    )
)
def test_every_check_agrees_with_check_claims_on_the_same_claims(steps):
    """Adding and dropping attempts in any order: a report only when check_claims says the same,
    with the identical script; None only when check_claims does not find the claims consistent
    with every claim expressible, or the incremental solver gave up (then check_claims decides)."""
    checker = IncrementalConsistency(UNKNOWNS)
    current: list[tuple[str, list[str]]] = [(TASK, ["y >= 0"])]
    for number, (op, arg) in enumerate(steps, start=1):
        if op == "add":
            current.append((f"fork-{number}.1", list(arg)))
        elif len(current) > 1:
            del current[1 + arg % (len(current) - 1)]
        claims = _claims(current)
        report = checker.check(claims, budget_s=2.0)
        reference = check_claims(UNKNOWNS, claims, budget_s=2.0)
        assert checker.script() == consistency_script(UNKNOWNS, claims)[0]
        if report is None:
            assert reference.status is not Consistency.CONSISTENT or checker.stats["fallbacks"]
            continue
        assert reference.status is not Consistency.INCONSISTENT
        assert report.status is reference.status or reference.status is Consistency.UNKNOWN
        assert report.skipped == reference.skipped
        if report.certificate is not None:
            assert report.certificate["script"] == check_claims_script(claims)
            assert recheck_consistency_certificate(report.certificate, use_cvc5=False).ok
            _assert_witness_holds(report.witness, claims)


def check_claims_script(claims) -> str:
    return consistency_script(UNKNOWNS, claims)[0] + "(check-sat)\n"


def _assert_witness_holds(witness: dict[str, str], claims) -> None:
    """Each claim over the unknowns that exact arithmetic can evaluate holds at the witness."""
    try:
        env = {k: parse_fraction(v) for k, v in witness.items()}
    except ValueError:  # an algebraic value (a root): nothing exact to evaluate
        return
    for _, formula in claims:
        if free_variables(formula) <= set(UNKNOWNS):
            try:
                holds = truth(formula, env)
            except (NotExact, Undefined, TooLarge):
                continue
            assert holds, formula


def test_no_claims_need_no_solver_and_still_give_a_certificate():
    checker = IncrementalConsistency(UNKNOWNS)
    report = checker.check([])
    assert report is not None and report.consistent and checker._solver is None
    assert report.certificate["script"] == consistency_script(UNKNOWNS, [])[0] + "(check-sat)\n"
    assert recheck_consistency_certificate(report.certificate, use_cvc5=False).ok


def test_a_closed_run_leaves_an_empty_solver_to_the_next_run():
    first = IncrementalConsistency(UNKNOWNS)
    assert first.check(_claims([("fork-1.1", ["x = 3"])])) is not None
    first.close()
    second = IncrementalConsistency(UNKNOWNS)
    report = second.check(_claims([("fork-1.1", ["x = 0"])]))  # x = 3 must be gone
    assert report is not None and report.witness["x"] == "0"
    assert second.check(_claims([("fork-1.1", ["x = 0"]), ("fork-2.1", ["x = 3"])])) is None
    second.close()


def test_a_runs_witness_does_not_depend_on_the_runs_before_it():
    # The witness goes into the bundle's consistency certificates. A solver kept from an earlier
    # run carried that run's AST ids and state, and Z3's model follows them: the same run gave
    # (7, 3) after some runs and (6, 4) after others.
    unknowns = {"x": "Int", "y": "Int"}
    claims = [
        (TASK, parse_claim("x + y = 10")),
        (TASK, parse_claim("x > y")),
        ("fork-1.1", parse_claim("x*y > 3")),
    ]
    earlier = [
        "x = 3",
        "x + y > 7",
        "x*y = 12",
        "y - x < 2",
        "x^2 = y",
        "x > 100",
        "y*y > x + 5",
        "x + 2*y = 1",
    ]
    witnesses = set()
    for index in range(len(earlier)):
        for text in earlier[: index + 1]:  # a process history: other runs, closed
            before = IncrementalConsistency(unknowns)
            before.check([(TASK, parse_claim(text)), ("fork-1.1", parse_claim("x*y != 7"))])
            before.close()
        checker = IncrementalConsistency(unknowns)
        witnesses.add(tuple(checker.check(claims).witness.items()))
        checker.close()
    assert len(witnesses) == 1, witnesses
