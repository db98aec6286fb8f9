"""Domain `equations`: parsing, exact root isolation, answers, systems, certificates, planner."""

from __future__ import annotations

import copy
import time
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs.verdict import Status
from reasoning.domains import TaskError, get
from reasoning.domains.equations._domain import (
    Root,
    isolate,
    primitive,
    refine_for_rounding,
    squarefree,
    value_sign,
)

DOMAIN = get("equations")


def problem(equation=None, **fields):
    if equation is not None:
        fields["equation"] = equation
    return DOMAIN.parse(fields)


def answer(p, text):
    return DOMAIN.check_answer(p, text, budget_s=10.0)


def claim(p, text):
    return DOMAIN.check_claim(p, text, budget_s=10.0)


def solved(p):
    return DOMAIN.symbolic_worker().answer(p, "solve")


# ---------------------------------------------------------------- tasks


def test_the_unknown_is_inferred_or_named():
    assert problem("56 - 98*e = -1218").data.names == ["e"]  # `e` is a letter here, not Euler's e
    assert problem("2x + 1 = 7", variable="x").fields["variable"] == "x"
    assert problem("0 = 0", variable="i").data.names == ["i"]
    assert problem(equations=["x + y = 3", "x - y = 1"]).data.names == ["x", "y"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "give exactly one of them"),
        ({"equation": "x = 1", "equations": ["x = 1"]}, "give exactly one of them"),
        ({"equation": ""}, "exactly one '='"),
        ({"equation": "x + 1"}, "exactly one '='"),
        ({"equation": "x == 1"}, "exactly one '='"),
        ({"equation": "= 3"}, "left side of the equation is empty"),
        ({"equation": "x ="}, "right side of the equation is empty"),
        ({"equation": "x + y = 1"}, "exactly one unknown letter"),
        ({"equation": "x = 1O"}, "exactly one unknown letter"),  # a letter O where a 0 goes
        ({"equation": "3 = 4"}, "exactly one unknown letter"),
        ({"equation": "x + y = 1", "variable": "x"}, "other letters"),
        ({"equation": "1/x = 2"}, "division by an expression"),
        ({"equation": "x / 0 = 2"}, "division by zero"),
        ({"equation": "x^0.5 = 2"}, "not a whole number"),
        ({"equation": "2^x = 8"}, "exponent with an unknown"),
        ({"equation": "x^65 = 1"}, "degree exceeds"),
        ({"equation": "x^(2^100) = 1"}, "degree exceeds"),
        ({"equation": "2^2^2^2^100 = x"}, "exceed"),
        ({"equation": "x = 1", "decimals": "four"}, "decimals: expected an integer"),
        ({"equation": "x = 1", "decimals": -1}, "decimals: must be in"),
        ({"equation": "x = 1", "rounding": "up"}, "rounding: must be one of"),
        ({"equations": []}, "the list is empty"),
        ({"equations": ["x = 1"], "variables": ["x", "x"]}, "distinct names"),
        ({"equation": "(" * 101 + "x" + ")" * 101 + " = 1"}, "nested deeper"),
        ({"equation": "(" * 100_000 + "x" + ")" * 100_000 + " = 1"}, "the limit is"),
        ({"equation": "x" * 10_000_000 + " = 1"}, "larger than"),
    ],
)
def test_malformed_tasks_are_clear_errors(fields, message):
    started = time.perf_counter()
    with pytest.raises(TaskError, match=message):
        DOMAIN.parse(fields)
    assert time.perf_counter() - started < 2.0


# ---------------------------------------------------------------- one unknown


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"equation": "56 - 98*e = -1218"}, "e = 13"),
        ({"equation": "x = x + 1"}, "no real solution"),
        ({"equation": "x = x"}, "every value"),
        ({"equation": "2(x + 1) = 2x + 2"}, "every value"),
        ({"equation": "x^2 + 1 = 0"}, "no real solution"),
        ({"equation": "(x-1)^3*(2x+1) = 0"}, "x = -1/2\nx = 1"),
        ({"equation": "x^2 = 2", "decimals": 4}, "x ≈ -1.4142\nx ≈ 1.4142"),
        ({"equation": "x^2 = 2"}, "x ≈ -1.414214\nx ≈ 1.414214"),
        ({"equation": "51*h**3 - 61*h**2 - 78*h = 0", "decimals": 4}, "h ≈ -0.7757\nh = 0.0000\nh ≈ 1.9717"),
    ],
)
def test_solutions_are_found_and_proved(fields, expected):
    p = DOMAIN.parse(fields)
    text = solved(p)
    assert text == expected
    check = answer(p, text)
    assert check.proved, check.message
    ok, why = DOMAIN.recheck(p, check.certificate)
    assert ok, why


def test_no_solution_and_identity_answers_are_certified():
    none = problem("x = x + 1")
    assert answer(none, "no solution").proved
    assert answer(none, "x = 0").status is Status.REFUTED
    assert answer(none, "every value").status is Status.REFUTED
    identity = problem("x = x")
    assert answer(identity, "every value").proved and answer(identity, "all real numbers").proved
    assert answer(identity, "x = 3").status is Status.REFUTED
    assert claim(identity, "x = 3").proved  # as a claim: 3 is a solution
    for p, text in ((none, "no solution"), (identity, "every value")):
        assert DOMAIN.recheck(p, answer(p, text).certificate)[0]


def test_wrong_answers():
    p = problem("x^2 - 5x + 6 = 0")
    assert answer(p, "x = 2\nx = 3").proved and answer(p, "3, 2").proved
    assert answer(p, "x = 2").status is Status.REFUTED  # a root is missing
    assert answer(p, "x = 2\nx = 3\nx = 4").status is Status.REFUTED  # 4 is not a root
    assert answer(p, "x = 2\nx = 2").status is Status.REFUTED  # listed twice, 3 missing
    assert answer(p, "x ≈ 2.0\nx ≈ 3.0").proved  # rounded values at the places written
    assert answer(p, "no real solution").status is Status.REFUTED
    assert answer(p, "y = 2").status is Status.INVALID
    assert answer(p, "x = two").status is Status.INVALID
    assert answer(p, "").status is Status.INVALID


def test_rounding_ties_follow_the_rule():
    # 32n + 13 = 0: n = -0.40625 exactly, a tie at 4 places
    up = problem("32*n + 13 = 0", decimals=4)
    assert solved(up) == "n ≈ -0.4063"
    assert answer(up, "-0.4063").proved and answer(up, "-0.4062").status is Status.REFUTED
    even = problem("32*n + 13 = 0", decimals=4, rounding="half-even")
    assert answer(even, "-0.4062").proved and answer(even, "-0.4063").status is Status.REFUTED
    # a non-dyadic tie: 160 x = 1 -> 0.00625
    tie = problem("160x = 1", decimals=4)
    assert answer(tie, "0.0063").proved and answer(tie, "0.0062").status is Status.REFUTED
    assert answer(tie, "0.00625").status is Status.INVALID  # more places than asked


def test_close_roots_and_claims():
    p = problem("(x - 1/100000)(x + 1/100000)(x^2 - 3) = 0", decimals=4)
    text = solved(p)
    assert text.splitlines() == ["x ≈ -1.7321", "x ≈ 0.0000", "x ≈ 0.0000", "x ≈ 1.7321"]
    assert answer(p, text).proved
    assert answer(p, "x ≈ -1.7321\nx ≈ 0.0000\nx ≈ 1.7321").status is Status.REFUTED
    assert claim(p, "2 real roots in (-1, 1]").proved
    assert claim(p, "1 real roots in (-1, 1]").status is Status.REFUTED
    assert claim(p, "1 real roots in (0, 1/100000]").proved  # the right end is a root
    assert claim(p, "0 real roots in (1/100000, 1]").proved
    assert claim(p, "x ≈ 1.7321").proved and claim(p, "x ≈ 1.7320").status is Status.REFUTED
    assert claim(p, "3 real roots in (1, 0]").status is Status.INVALID
    for text in ("2 real roots in (-1, 1]", "1 real roots in (0, 1/100000]", "x ≈ 1.7321"):
        assert DOMAIN.recheck(p, claim(p, text).certificate)[0], text


def test_recheck_rejects_tampered_certificates():
    p = problem("x^3 - 2x = 0", decimals=4)
    cert = answer(p, solved(p)).certificate
    assert DOMAIN.recheck(p, cert)[0]

    def flip(c):
        c["holds"] = False

    def drop_root(c):
        c["evidence"]["roots"].pop()
        c["claim"] = "\n".join(c["claim"].splitlines()[:-1])

    def fake_interval(c):
        c["evidence"]["roots"][0] = {"lo": "5", "hi": "6"}

    def fake_value(c):
        c["evidence"]["roots"][1] = {"value": "1/3"}

    def other_answer(c):
        c["claim"] = c["claim"].replace("1.4142", "1.4143")

    def other_task(c):
        c["task"]["equation"] = "x^3 - 3x = 0"

    def duplicate(c):
        c["evidence"]["roots"].append(c["evidence"]["roots"][1])

    for change in (flip, drop_root, fake_interval, fake_value, other_answer, other_task, duplicate):
        tampered = copy.deepcopy(cert)
        change(tampered)
        assert not DOMAIN.recheck(p, tampered)[0], change.__name__
    # a refuted answer re-checks as refuted, and not as proved
    wrong = answer(p, "x = 0")
    assert wrong.status is Status.REFUTED and DOMAIN.recheck(p, wrong.certificate)[0]
    forged = copy.deepcopy(wrong.certificate)
    forged["holds"] = True
    assert not DOMAIN.recheck(p, forged)[0]


# ---------------------------------------------------------------- systems


@pytest.mark.parametrize(
    ("equations", "expected"),
    [
        (["x + y = 3", "x - y = 1"], "x = 2, y = 1"),
        (["x + y = 3", "2x + 2y = 7"], "no solution"),
        (["x + y = 3", "2x + 2y = 6"], "infinitely many solutions"),
        (["2a + b - c = 1", "a - b = 0", "a + b + c = 6", "3a - c = 0"], "no solution"),
        (["x^2 + y^2 = 25", "x + y = 7"], "x = 3, y = 4\nx = 4, y = 3"),
        (["x^2 + y^2 = -1", "x = y"], "no solution"),
    ],
)
def test_systems(equations, expected):
    p = problem(equations=equations)
    text = solved(p)
    assert text == expected
    check = answer(p, text)
    assert check.proved, check.message
    assert DOMAIN.recheck(p, check.certificate)[0]


def test_wrong_system_answers_and_tampering():
    p = problem(equations=["x + y = 3", "x - y = 1"])
    assert answer(p, "x = 1, y = 2").status is Status.REFUTED
    assert answer(p, "no solution").status is Status.REFUTED
    assert answer(p, "infinitely many solutions").status is Status.REFUTED
    assert answer(p, "x = 2").status is Status.INVALID
    assert claim(p, "x = 2, y = 1").proved
    cert = answer(p, "x = 2, y = 1").certificate
    forged = copy.deepcopy(cert)
    forged["claim"] = "x = 1, y = 2"
    assert not DOMAIN.recheck(p, forged)[0]
    circle = problem(equations=["x^2 + y^2 = 25", "x + y = 7"])
    partial = answer(circle, "x = 3, y = 4")
    assert partial.status is Status.REFUTED  # a solution is missing (Z3: sat)
    assert DOMAIN.recheck(circle, partial.certificate)[0]
    proved = answer(circle, "x = 3, y = 4\nx = 4, y = 3").certificate
    tampered = copy.deepcopy(proved)
    tampered["evidence"]["script"] = "(check-sat)"
    assert not DOMAIN.recheck(circle, tampered)[0]


@pytest.mark.parametrize(
    ("equations", "holds"),
    [
        (["x + y = 3", "2x + 2y = 6"], False),  # infinitely many solutions, but (0, 0) is none
        (["x*y = 1", "2*x*y = 2"], False),  # non-linear, the same
        (["x = x", "y + 0 = y"], True),
        (["x*y = y*x", "x^2 = x*x"], True),
    ],
)
def test_every_value_for_a_system_means_every_assignment(equations, holds):
    # Red team: "every value" for x + y = 3, 2x + 2y = 6 was proved ("infinitely many
    # solutions"), so a reward model paid for a wrong answer. For one unknown the two phrases
    # agree; for a system "every value" says every assignment is a solution.
    p = problem(equations=equations)
    check = answer(p, "every value")
    assert check.status is (Status.PROVED if holds else Status.REFUTED), check.message
    assert DOMAIN.recheck(p, check.certificate)[0]
    forged = copy.deepcopy(check.certificate)
    forged["holds"] = not holds
    assert not DOMAIN.recheck(p, forged)[0]
    if p.data.linear:
        assert answer(p, "infinitely many solutions").proved


# ---------------------------------------------------------------- properties

roots_lists = st.lists(
    st.fractions(min_value=-20, max_value=20, max_denominator=12), min_size=1, max_size=5, unique=True
)


@settings(max_examples=40, deadline=None)
@given(roots_lists, st.lists(st.integers(1, 3), min_size=5, max_size=5), st.integers(0, 2))
def test_polynomials_built_from_known_roots(roots, multiplicities, quadratics):
    factors = [f"(x - ({r.numerator}/{r.denominator}))^{m}" for r, m in zip(roots, multiplicities)]
    factors += ["(x^2 + 1)"] * quadratics  # no real roots of its own
    p = problem(" * ".join(factors) + " = 0")
    text = solved(p)
    found = [Fraction(line.split("=")[1].strip()) for line in text.splitlines()]
    assert found == sorted(roots)
    assert answer(p, text).proved
    if len(roots) > 1:
        assert answer(p, "\n".join(text.splitlines()[1:])).status is Status.REFUTED


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 10_000).filter(lambda k: int(k**0.5) ** 2 != k), st.integers(1, 6))
def test_irrational_roots_are_correctly_rounded(k, places):
    p = problem(f"x^2 - {k} = 0", decimals=places)
    with localcontext() as ctx:
        ctx.prec = 60
        root = Decimal(k).sqrt().quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    assert solved(p).splitlines() == [f"x ≈ {-root}", f"x ≈ {root}"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-50, 50), min_size=2, max_size=8).filter(lambda c: c[-1] != 0))
def test_isolation_agrees_with_sign_changes(coefficients):
    g = squarefree([Fraction(c) for c in coefficients], time.monotonic() + 10)
    roots = isolate(g, time.monotonic() + 10)
    for root in roots:
        assert root.lo < root.hi and value_sign(g, root.lo) * value_sign(g, root.hi) < 0
    for a, b in zip(roots, roots[1:]):
        assert a.hi <= b.lo
    # a dense scan finds no sign change outside the intervals
    points = [Fraction(i, 8) for i in range(-8 * 60, 8 * 60)]
    for a, b in zip(points, points[1:]):
        if value_sign(g, a) * value_sign(g, b) < 0:
            assert any(r.lo <= a and b <= r.hi or r.lo < b and a < r.hi for r in roots)


def test_refinement_stops_at_an_exact_tie():
    g = primitive([Fraction(-1), Fraction(160)])  # 160 x - 1: root 1/160 = 0.00625
    root = refine_for_rounding(g, Root(Fraction(0), Fraction(1)), 4, time.monotonic() + 5)
    assert root.value == Fraction(1, 160)


def test_budget_overrun_is_unknown():
    p = problem("x^64 - 3x^63 + 7x^31 - 12345678901234567890x + 1 = 0", decimals=40)
    check = DOMAIN.check_answer(p, "x = 1", budget_s=0.001)
    assert check.status is Status.UNKNOWN and "budget" in check.message


# ---------------------------------------------------------------- planner and end to end


def test_solve_end_to_end(tmp_path):
    from reasoning import solve
    from reasoning.engine._bundle import check_bundle, load_bundle

    result = solve(
        {"domain": "equations", "equation": "x^3 - 2x = 0", "decimals": 4}, capacity=3, out=tmp_path
    )
    assert result.answers == ["x ≈ -1.4142", "x = 0.0000", "x ≈ 1.4142"] and result.verified
    assert result.metrics["forks"] == 3  # one `roots in` fork per part of the root bound
    assert check_bundle(load_bundle(result.bundle)).ok
    assert DOMAIN.to_reasoning_gym(result.problem, result.answers) == "-1.4142, 0.0000, 1.4142"
    none = solve({"domain": "equations", "equation": "x^2 + 4 = 0"}, out=False)
    assert none.answers == ["no real solution"] and none.verified
    assert DOMAIN.to_reasoning_gym(none.problem, none.answers) == ""
    system = solve({"domain": "equations", "equations": ["x + y = 3", "x - y = 1"]}, out=False)
    assert system.answers == ["x = 2, y = 1"] and system.verified


@pytest.mark.parametrize("task", ["simple_equations", "polynomial_equations"])
def test_reasoning_gym_items(task):
    reasoning_gym = pytest.importorskip("reasoning_gym")
    from reasoning import solve

    data = reasoning_gym.create_dataset(task, size=12, seed=40)  # no `0 = 0` item (see the quirks)
    for entry in data:
        p = DOMAIN.from_reasoning_gym(task, {"question": entry["question"]})
        result = solve(p, out=False)
        assert result.verified
        assert data.score_answer(DOMAIN.to_reasoning_gym(p, result.answers), entry) == 1.0, entry["question"]


def test_reasoning_gym_quirks():
    """Reported, not gamed. simple_equations can generate `0 = 0` (every value solves it) with a
    single stored answer; polynomial_equations' oracle rounds ties with Python's `round` on a
    float (-0.40625 -> -0.4062) where its question asks to round the half up."""
    pytest.importorskip("reasoning_gym")
    identity = DOMAIN.from_reasoning_gym(
        "simple_equations", {"question": "Determine the value of i that satisfies: 0 = 0"}
    )
    assert solved(identity) == "every value"
    q = (
        "Solve for real n: 32*n + 13 = 0\nIn solving equations, please follow these instructions:\n"
        "5. Round all decimal values to 4 decimal places (rounding down when the 5th decimal place is 5 or greater).\n"
    )
    tie = DOMAIN.from_reasoning_gym("polynomial_equations", {"question": q})
    assert tie.fields["decimals"] == 4 and solved(tie) == "n ≈ -0.4063"
    with pytest.raises(TaskError, match="question"):
        DOMAIN.from_reasoning_gym("polynomial_equations", {"question": "no equation here"})
