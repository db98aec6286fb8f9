"""Differential soundness: whatever is `proved` must hold at every point we can evaluate exactly.

Random claims over x and y mix every operator the Z3 translation handles (division, mod,
floor, ceil, abs, min, max, sqrt, integer powers, connectives, Int-sorted quantifiers). A proved
claim is then evaluated exactly at many rational points; a single point where it is false or
undefined would mean an unsound translation.
"""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs.claims import BinOp, Call, Compare, Connective, Neg, Not, Num, Quantified, Var, to_text
from proofs.exact import NotExact, TooLarge, Undefined, truth
from reasoning import Status, verify

POINTS = [Fraction(p) for p in ("0", "1", "-1", "2", "-2", "1/2", "-1/2", "3", "-3", "7/3", "-5/2", "10")]


def leaves():
    return st.one_of(
        st.sampled_from([Var("x"), Var("y")]),
        st.integers(0, 4).map(lambda n: Num(Fraction(n))),
    )


def expressions():
    return st.recursive(
        leaves(),
        lambda inner: st.one_of(
            st.tuples(st.sampled_from(["+", "-", "*", "/", "mod"]), inner, inner).map(lambda t: BinOp(*t)),
            st.tuples(inner, st.integers(-2, 3)).map(
                lambda t: BinOp("^", t[0], Num(Fraction(t[1])) if t[1] >= 0 else Neg(Num(Fraction(-t[1]))))
            ),
            inner.map(Neg),
            st.tuples(st.sampled_from(["abs", "floor", "ceil", "sqrt"]), inner).map(
                lambda t: Call(t[0], (t[1],))
            ),
            st.tuples(st.sampled_from(["min", "max"]), inner, inner).map(lambda t: Call(t[0], (t[1], t[2]))),
        ),
        max_leaves=6,
    )


def formulas():
    atoms = st.tuples(st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), expressions(), expressions()).map(
        lambda t: Compare((t[0],), (t[1], t[2]))
    )
    return st.recursive(
        atoms,
        lambda inner: st.one_of(
            inner.map(Not),
            st.tuples(st.sampled_from(["and", "or", "->", "<->"]), inner, inner).map(
                lambda t: Connective(*t)
            ),
        ),
        max_leaves=3,
    )


def holds_everywhere(formula, names, integer=False) -> bool:
    points = [p for p in POINTS if not integer or p.denominator == 1]
    for px in points:
        for py in points:
            env = {"x": px, "y": py}
            try:
                if not truth(formula, {n: env[n] for n in names}):
                    return False
            except Undefined:
                return False
            except (NotExact, TooLarge):
                continue
    return True


@settings(max_examples=300)
@given(formulas())
def test_proved_claims_hold_at_every_exact_point(formula):
    verdict = verify(to_text(formula), budget_s=0.5)
    if verdict.status is Status.PROVED:
        assert holds_everywhere(formula, ["x", "y"]), verdict


@settings(max_examples=150)
@given(formulas())
def test_proved_integer_claims_hold_at_every_integer_point(formula):
    claim = Quantified("forall", ("x", "y"), "Int", formula)
    verdict = verify(to_text(claim), budget_s=0.5)
    if verdict.status is Status.PROVED:
        assert holds_everywhere(formula, ["x", "y"], integer=True), verdict


# ------------------------------------------------ counterexamples respect the variables' sorts

TRUE_OVER_INTEGERS = [
    "forall n in Int: sin(n*pi) = 0",
    "forall n in Int: n > 0 -> ln(n) >= 0",
    "forall n in Int: cos(2*n*pi) = 1",
    "forall x in Real: forall n in Int: n >= 1 -> exp(n) >= e",
    "forall n in Int: n^2 != 2",
    "forall n in Int: n > 0 -> sqrt(n) >= 1",
]


@pytest.mark.parametrize("claim", TRUE_OVER_INTEGERS)
def test_true_integer_claims_are_not_refuted(claim):
    verdict = verify(claim, budget_s=1.0)
    assert verdict.status is not Status.REFUTED, verdict


def test_integer_counterexamples_are_integers():
    verdict = verify("forall n in Int: sin(n*pi/2) = 0", budget_s=1.0)
    if verdict.status is Status.REFUTED:
        assignment = verdict.counterexample["assignment"]
        assert Fraction(assignment["n"]).denominator == 1, verdict
