"""Red team 5: the bad-input bounds (degree, text size, canonical `--x`) and the determinism
changes (fresh Z3 contexts for models, the least model of the logic domain's SMT)."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proofs.check import check_certificate
from proofs.claims import BinOp, Call, Compare, Neg, Num, Var, to_text
from proofs.exact import holds_at
from proofs.parsing import parse_claim
from proofs.smtlib import MAX_DEGREE, Unsupported, build_query, degree_bound
from proofs.verdict import Status
from reasoning.domains.logic._formulas import PropAnd, PropIff, PropImp, PropNot, PropOr, PropVar, variables
from reasoning.domains.logic._smt import smt, smt_script, solve_smt
from solvers.z3_backend import decide_with_z3

# ------------------------------------------------ the degree bound and roots


@pytest.mark.parametrize(
    "claim",
    ["sqrt(x^64)^4 >= 0", "root(x^2, 4)^64 * x^2 >= 0", "sqrt(sqrt(x^2)^60)^60 >= 0"],
)
def test_a_root_is_a_fresh_constant_of_degree_one_not_its_arguments_degree(claim):
    # the bound carried the argument's degree through the root (sqrt(x^64)^4 counted 256, the
    # script's polynomials are x^64 in the axiom and r^4 in the claim): Z3 proved these before
    # the bound and they became unknown
    formula = parse_claim(claim)
    assert degree_bound(formula) <= MAX_DEGREE
    verdict = decide_with_z3(formula, budget_s=5.0)
    assert verdict.status is Status.PROVED, verdict
    assert check_certificate(verdict.certificate, use_cvc5=False).ok


@pytest.mark.parametrize(
    ("claim", "degree"),
    [
        ("sqrt(x) = 1", 2),  # the axiom r^2 = x
        ("root(x^100 + 1, 2) = 1", 100),  # the axiom's right side
        ("root(x, 64) = 1", 64),
        ("x^(3/2) = 1", 3),  # r^3, r^2 = x
        ("(x^50)^(1/2) = 1", 50),
        ("sqrt(x)^129 = 1", 129),  # the claim's own power still counts
    ],
)
def test_the_degree_of_a_root_counts_its_axiom_and_its_power(claim, degree):
    assert degree_bound(parse_claim(claim)) == degree


def test_a_root_inside_a_degree_past_the_limit_is_still_unsupported():
    with pytest.raises(Unsupported, match="degree"):
        build_query(parse_claim("sqrt(x^2 + 1)^100 * sqrt(x^2 + 2)^29 >= 1"))


# ------------------------------------------------ `--x`: print and parse agree (held up)

_leaves = st.one_of(
    st.builds(lambda n: Num(Fraction(n)), st.integers(0, 4)), st.sampled_from([Var("x"), Var("y")])
)


def _grow(inner):
    return st.one_of(
        st.builds(Neg, inner),
        st.builds(Neg, st.builds(Neg, inner)),
        st.builds(BinOp, st.sampled_from(["+", "-", "*", "/", "^", "mod"]), inner, inner),
        st.builds(lambda a: Call("factorial", (a,)), inner),
        st.builds(lambda a: Call("abs", (a,)), inner),
    )


_exprs = st.recursive(_leaves, _grow, max_leaves=8)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(_exprs, _exprs)
def test_canonical_text_with_nested_minus_parses_back_to_the_same_tree(left, right):
    formula = Compare(("=",), (left, right))
    assert parse_claim(to_text(formula)) == formula


@pytest.mark.parametrize(
    "claim",
    ["- -x^2 >= 0", "2--x = 2 + x", "(-x)^2 >= 0", "-x^2 <= 0", "x != 0 -> x^-1 * x = 1", "(--x)^2 = x^2"],
)
def test_claims_with_nested_minus_are_proved_and_their_certificates_recheck(claim):
    verdict = decide_with_z3(parse_claim(claim), budget_s=5.0)
    assert verdict.status is Status.PROVED, verdict
    assert check_certificate(verdict.certificate, use_cvc5=False).ok


# ------------------------------------------------ the logic domain's least model (held up)


def _value(node, model):
    match node:
        case PropVar(name):
            return model[name]
        case PropNot(arg):
            return not _value(arg, model)
        case PropAnd(args):
            return all(_value(a, model) for a in args)
        case PropOr(args):
            return any(_value(a, model) for a in args)
        case PropImp(left, right):
            return not _value(left, model) or _value(right, model)
        case PropIff(left, right):
            return _value(left, model) == _value(right, model)
    raise TypeError(node)


_props = st.recursive(
    st.sampled_from([PropVar(n) for n in ("a", "b", "c", "d", "e f")]),
    lambda inner: st.one_of(
        st.builds(PropNot, inner),
        st.builds(lambda a, b: PropAnd((a, b)), inner, inner),
        st.builds(lambda a, b: PropOr((a, b)), inner, inner),
        st.builds(PropImp, inner, inner),
        st.builds(PropIff, inner, inner),
    ),
    max_leaves=6,
)


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(_props, min_size=1, max_size=3), st.sampled_from([5.0, 0.002]))
def test_the_logic_model_satisfies_the_formulas_and_is_the_least_one(formulas, budget_s):
    names = sorted(set().union(*map(variables, formulas)))
    result, model, _ = solve_smt(smt_script(names, [smt(f) for f in formulas]), names, budget_s)
    least = next(
        (
            m
            for m in (dict(zip(names, vals)) for vals in itertools.product([False, True], repeat=len(names)))
            if all(_value(f, m) for f in formulas)
        ),
        None,
    )
    if result == "unknown":
        return
    assert (result == "sat") == (least is not None)
    if result == "sat":
        assert set(model) == set(names)
        assert all(_value(f, model) for f in formulas)  # a model even when the budget ran out
        if budget_s > 1:
            assert model == least


# ------------------------------------------------ counterexamples from the fresh context (held up)


@pytest.mark.parametrize(
    "claim", ["x^2 + y^2 = 25 -> x = 3", "x*y > 0 -> x > 1", "x / y = 2 -> x = 2", "x mod 3 = 1 -> x = 1"]
)
def test_a_refutation_shows_a_real_counterexample(claim):
    formula = parse_claim(claim)
    verdict = decide_with_z3(formula, budget_s=5.0)
    assert verdict.status is Status.REFUTED
    point = {k: Fraction(v) for k, v in verdict.counterexample["assignment"].items()}
    assert holds_at(formula, point) is not True
    assert check_certificate(verdict.certificate, use_cvc5=False).ok


# ------------------------------------------------ a fresh context's model and threads (not fixed)


@pytest.mark.xfail(
    reason="redteam5: Z3's model for the same script in a fresh context differs between the main "
    "thread and worker threads ((3, -4) alone, (5, 0) or (3, 4) in a pool of 4, even with the "
    "calls serialised by a lock): it follows per-thread state outside the context, so a fresh "
    "context alone does not make a witness deterministic (not fixed)",
    strict=False,
)
def test_a_witness_does_not_depend_on_how_many_threads_run_z3():
    formula = parse_claim("exists x, y in Int: x^2 + y^2 = 25 and x > 0")
    alone = decide_with_z3(formula, budget_s=5.0).details["witness"]
    with ThreadPoolExecutor(4) as pool:
        pooled = list(pool.map(lambda _: decide_with_z3(formula, budget_s=5.0).details["witness"], range(8)))
    assert all(w == alone for w in pooled), (alone, pooled)
