"""Domain `arithmetic`: parsing, exact values, rounding, claims, certificates, worker, planner."""

from __future__ import annotations

import copy
import re
import time
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs.verdict import Status
from reasoning.domains import TaskError, get
from reasoning.domains.arithmetic._domain import (
    ExpressionError,
    evaluate,
    parse_expression,
    read_number,
    round_places,
    round_significant,
    show,
    split_chain,
    write_decimal,
)

DOMAIN = get("arithmetic")


def problem(expression, **fields):
    return DOMAIN.parse({"expression": expression, **fields})


def answer(p, text):
    return DOMAIN.check_answer(p, text, budget_s=5.0)


def claim(p, text):
    return DOMAIN.check_claim(p, text, budget_s=5.0)


# ---------------------------------------------------------------- the language


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("2^3^2", 512),
        ("2 ** 3 ** 2", 512),
        ("-2^2", -4),
        ("(-2)^2", 4),
        ("2^-2", Fraction(1, 4)),
        ("7 - 3 - 2", 2),
        ("8 / 4 / 2", 1),
        ("542 + -9 + -438 / -( 953 * -340 + -324018 )", Fraction(172701908, 324019)),
        ("-( -( -( -2 - 9 ) ) + -3 + -13 )", 27),
        ("0.664*6.635", Fraction("4.40564")),
        (".5 + 1.25", Fraction(7, 4)),
        ("3 × 4 ÷ 6 − 1", 1),
    ],
)
def test_exact_values(text, value):
    assert evaluate(parse_expression(text)) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("2 + a", "letters are not numbers"),
        ("1O + 2", "letters are not numbers"),
        ("3 +", "expected a number"),
        ("(1 + 2", "expected ')'"),
        ("1 + 2)", "expected an operator"),
        ("2 $ 3", "unexpected character"),
        ("2 3", "expected an operator"),
        ("(" * 101 + "1" + ")" * 101, "nested deeper"),
        ("-" * 101 + "1", "nested deeper"),
    ],
)
def test_bad_expressions_are_clear_errors(text, message):
    with pytest.raises(ExpressionError, match=re.escape(message)):
        parse_expression(text)
    with pytest.raises(TaskError, match="expression: .*" + re.escape(message)):
        problem(text)


def test_hostile_sizes_are_refused_at_once():
    started = time.perf_counter()
    with pytest.raises(TaskError, match="too large to compute exactly"):
        problem("2^2^2^2^100")
    with pytest.raises(TaskError, match="the limit is"):
        problem("(" * 100_000 + "1" + ")" * 100_000)
    with pytest.raises(TaskError, match="larger than"):
        problem("1" * 10_000_000)
    with pytest.raises(TaskError, match="too large"):
        problem("10^100000")
    assert time.perf_counter() - started < 2.0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "expression: required"),
        ({"expression": 12}, "expression: expected a string"),
        ({"expression": "1", "format": "roman"}, "format: must be one of"),
        ({"expression": "1", "rounding": "banker"}, "rounding: must be one of"),
        ({"expression": "1", "significant_digits": 0}, "significant_digits: must be in"),
        ({"expression": "1", "significant_digits": 3, "decimals": 2}, "at most one"),
        ({"expression": "1", "decimals": "two"}, "decimals: expected an integer"),
        ({"expression": "1/3", "format": "decimal"}, "no finite decimal expansion"),
        ({"expression": "1/3", "format": "integer"}, "not an integer"),
        ({"expression": "1", "colour": "red"}, "no field 'colour'"),
    ],
)
def test_malformed_tasks(fields, message):
    with pytest.raises(TaskError, match=message):
        DOMAIN.parse(fields)


# ---------------------------------------------------------------- rounding and writing


@pytest.mark.parametrize(
    ("value", "places", "rule", "expected"),
    [
        ("0.125", 2, "half-up", "0.13"),
        ("0.125", 2, "half-even", "0.12"),
        ("0.125", 2, "half-down", "0.12"),
        ("-0.125", 2, "half-up", "-0.13"),
        ("0.129", 2, "down", "0.12"),
        ("-0.129", 2, "down", "-0.12"),
        ("1250", -2, "half-even", "1200"),
    ],
)
def test_round_places(value, places, rule, expected):
    assert round_places(Fraction(value), places, rule) == Fraction(expected)


def test_round_significant_and_write():
    assert round_significant(Fraction(2, 3), 12) == Fraction("0.666666666667")
    assert round_significant(Fraction("9.996"), 3) == 10
    assert round_significant(Fraction("-12345.5"), 5) == Fraction(-12346)
    assert write_decimal(Fraction("-12.58250784")) == "-12.58250784"
    assert write_decimal(Fraction(0), 4) == "0.0000"
    assert write_decimal(Fraction(-1, 1000)) == "-0.001"
    assert read_number("-3/4") == Fraction(-3, 4) and read_number("1.5e2") == 150
    assert read_number("1/0") is None and read_number("abc") is None


# ---------------------------------------------------------------- answers


def test_exact_answers():
    p = problem("1/3 + 1/6")
    assert answer(p, "1/2").proved and answer(p, "0.5").proved
    assert answer(p, "0.50").proved
    wrong = answer(p, "0.49")
    assert wrong.status is Status.REFUTED and "exact value is 1/2" in wrong.message
    assert answer(p, "half").status is Status.INVALID
    assert answer(p, "").status is Status.INVALID
    assert answer(p, "undefined").status is Status.REFUTED


def test_rounded_answers_follow_the_stated_rule():
    p = problem("1/8", decimals=2)
    assert answer(p, "0.13").proved and answer(p, "0.12").status is Status.REFUTED
    even = problem("1/8", decimals=2, rounding="half-even")
    assert answer(even, "0.12").proved and answer(even, "0.13").status is Status.REFUTED
    sig = problem("2/3", significant_digits=12)
    assert answer(sig, "0.666666666667").proved
    assert answer(sig, "0.666666666666").status is Status.REFUTED
    assert answer(sig, "0.6666666666667").status is Status.REFUTED  # 13 digits is not the rounding


def test_division_by_zero_is_a_proved_undefined_answer():
    p = problem("3 + 4 / (2 - 2)")
    check = answer(p, "undefined")
    assert check.proved and "division by zero" in check.message
    assert answer(p, "3").status is Status.REFUTED
    assert DOMAIN.recheck(p, check.certificate) == (True, "re-evaluated exactly: the answer holds")


def test_answer_format():
    assert DOMAIN.write_answer(problem("1/4"), Fraction(1, 4)) == "0.25"
    assert DOMAIN.write_answer(problem("1/3"), Fraction(1, 3)) == "1/3"
    assert DOMAIN.write_answer(problem("1/4", format="fraction"), Fraction(1, 4)) == "1/4"
    assert DOMAIN.write_answer(problem("1/8", decimals=4), Fraction(1, 8)) == "0.1250"


# ---------------------------------------------------------------- claims and certificates


def test_claims():
    p = problem("1 + 2")
    good = claim(p, "12 - 3 * 4 + 7 / 2 = 7/2")
    assert good.proved and good.certificate["evidence"]["exact"]["kind"] == "exact"
    bad = claim(p, "2 + 2 = 5")
    assert bad.status is Status.REFUTED
    assert claim(p, "1 / (1 - 1) = undefined").proved
    assert claim(p, "1 / 2 = undefined").status is Status.REFUTED
    assert claim(p, "x = 3").status is Status.INVALID
    assert claim(p, "3").status is Status.INVALID
    assert claim(p, "1 = 1 = 1").status is Status.INVALID
    assert claim(p, "2^2^2^2^100 = 4").status is Status.UNKNOWN
    for check in (good, bad):
        assert DOMAIN.recheck(p, check.certificate)[0]


def _tampered(cert, change):
    cert = copy.deepcopy(cert)
    change(cert)
    return cert


def test_recheck_rejects_tampered_certificates():
    p = problem("(0.664*6.635)*(5.867-4.618-4.105)", significant_digits=12)
    proved_claim = claim(p, "0.664*6.635 = 4.40564").certificate
    proved_answer = answer(p, "-12.58250784").certificate
    assert DOMAIN.recheck(p, proved_claim)[0] and DOMAIN.recheck(p, proved_answer)[0]

    def flip(c):
        c["holds"] = not c["holds"]

    def other_value(c):
        c["claim"] = "0.664*6.635 = 4.40565"

    def other_answer(c):
        c["claim"] = "-12.58250785"

    def other_task(c):
        c["task"]["expression"] = "1 + 1"

    def forged_kernel(c):
        c["evidence"]["exact"]["claim"] = "1 = 1"

    def kernel_refutes(c):
        c["evidence"]["exact"]["holds"] = False

    for change in (flip, other_value, other_task, forged_kernel, kernel_refutes):
        assert not DOMAIN.recheck(p, _tampered(proved_claim, change))[0], change.__name__
    for change in (flip, other_answer, other_task):
        assert not DOMAIN.recheck(p, _tampered(proved_answer, change))[0], change.__name__
    assert not DOMAIN.recheck(p, {"kind": "exact"})[0]
    assert not DOMAIN.recheck(p, _tampered(proved_claim, lambda c: c.update(role="verdict")))[0]


# ---------------------------------------------------------------- worker and planner


def test_worker_replies():
    worker = DOMAIN.symbolic_worker()
    assert worker.answer("evaluate: 1/(3-3) + 2") == "1 / (3 - 3) + 2 = undefined"
    assert worker.answer("evaluate: 2^-2 * 3") == "2^(-2) * 3 = 3/4"
    assert worker.answer("evaluate: x + 1").startswith("# evaluate: not an arithmetic expression")
    assert worker.answer("compute 3").startswith("# arithmetic worker")
    assert worker.answer("evaluate: " + "(" * 100_000).startswith("#")
    long_chain = " + ".join(["1"] * 2_000)
    assert worker.answer(f"evaluate: {long_chain}").endswith("= 2000")  # beyond the kernel's depth


def test_split_chain_parts():
    kind, parts = split_chain(
        parse_expression(
            "a - b + c - d".replace("a", "10").replace("b", "4").replace("c", "3").replace("d", "1")
        ),
        2,
    )
    assert kind == "sum" and [show(x) for x in parts] == ["10 - 4", "0 + 3 - 1"]
    kind, parts = split_chain(parse_expression("8 * 3 / 4 / 2"), 3)
    assert kind == "prod" and [show(x) for x in parts] == ["8 * 3", "1 / 4", "1 / 2"]
    assert split_chain(parse_expression("-(1 + 2)"), 4) is None


def _combine(parts):
    (left, a), op, (right, b) = parts
    text = f"({left}) {op} ({right})"
    if a is None or b is None or (op == "/" and b == 0):
        return text, None
    return text, {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else None}[op]


expressions = st.recursive(
    st.integers(min_value=0, max_value=999).map(lambda n: (str(n), Fraction(n)))
    | st.decimals(min_value=0, max_value=100, places=3, allow_nan=False).map(
        lambda d: (str(d), Fraction(str(d)))
    ),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from("+-*/"), inner).map(_combine),
        inner.map(lambda x: (f"-({x[0]})", None if x[1] is None else -x[1])),
        st.tuples(inner, st.integers(min_value=0, max_value=3)).map(
            lambda x: (f"({x[0][0]})^{x[1]}", None if x[0][1] is None else x[0][1] ** x[1])
        ),
    ),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(expressions, st.integers(min_value=1, max_value=6))
def test_random_expressions_answer_their_fraction_value(item, parts):
    text, expected = item
    try:
        p = problem(text)
    except TaskError as exc:  # nested powers can exceed the size limit: refused, never computed
        assert "too large" in str(exc)
        return
    assert p.data.value == expected
    worker = DOMAIN.symbolic_worker()
    split = split_chain(p.data.tree, parts)
    if split is not None:  # the parts combine to the whole
        kind, pieces = split
        values = [evaluate(piece) if expected is not None else None for piece in pieces]
        if expected is not None:
            total = sum(values) if kind == "sum" else _product(values)
            assert total == expected
    reply = worker.answer(f"evaluate: {text}")
    stated = reply.rpartition("=")[2].strip()
    assert stated == ("undefined" if expected is None else _exact(expected))
    assert claim(p, reply).proved
    written = DOMAIN.write_answer(p, expected)
    assert answer(p, written).proved
    if expected is not None:
        assert answer(p, _exact(expected + Fraction(1, 7))).status is Status.REFUTED


def _product(values):
    out = Fraction(1)
    for v in values:
        out *= v
    return out


def _exact(v):
    return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"


# ---------------------------------------------------------------- end to end


def test_solve_end_to_end_with_a_bundle(tmp_path):
    from reasoning import solve
    from reasoning.engine._bundle import check_bundle, load_bundle

    result = solve(
        {"domain": "arithmetic", "expression": "859 + 467 - 914 + 807 + 961 + 857"}, workers=3, out=tmp_path
    )
    assert result.answers == ["3037"] and result.verified
    assert result.metrics["forks"] == 4  # three parts and the combining fork
    assert check_bundle(load_bundle(result.bundle)).ok
    rounded = solve(
        {"domain": "arithmetic", "expression": "(0.664*6.635)*(5.867-4.618-4.105)", "significant_digits": 12},
        out=False,
    )
    assert rounded.answers == ["-12.58250784"] and rounded.verified
    undefined = solve({"domain": "arithmetic", "expression": "5 - 1 / (2 - 2) * 3"}, out=False)
    assert undefined.answers == ["undefined"] and undefined.verified


# ---------------------------------------------------------------- reasoning-gym


@pytest.mark.parametrize("task", ["basic_arithmetic", "decimal_arithmetic", "chain_sum"])
def test_reasoning_gym_items(task):
    reasoning_gym = pytest.importorskip("reasoning_gym")
    from reasoning import solve

    data = reasoning_gym.create_dataset(task, size=12, seed=7)
    for entry in data:
        p = DOMAIN.from_reasoning_gym(task, {"question": entry["question"]})
        result = solve(p, out=False)
        assert result.verified
        assert data.score_answer(DOMAIN.to_reasoning_gym(p, result.answers), entry) == 1.0, entry["question"]


def test_reasoning_gym_reads_questions_not_answers():
    q = "Please solve this problem to a maximum of 12 significant digits, rounding up from the half. Only reply with the final value.\n1.000/3.000 = ?"
    p = DOMAIN.from_reasoning_gym("decimal_arithmetic", {"question": q, "answer": "999"})
    assert p.fields["significant_digits"] == 12 and p.fields["expression"] == "1.000/3.000"
    assert (
        DOMAIN.from_reasoning_gym(
            "chain_sum",
            {"question": "State the final answer to the following arithmetic problem: 4 - 1 - 7 ="},
        ).data.value
        == -4
    )
    assert (
        DOMAIN.from_reasoning_gym("basic_arithmetic", {"question": "Calculate 5 - 3 - 6."}).data.value == -4
    )
    with pytest.raises(TaskError, match="question"):
        DOMAIN.from_reasoning_gym("chain_sum", {"question": "What colour is the sky"})
    with pytest.raises(TaskError, match="does not read"):
        DOMAIN.from_reasoning_gym("countdown", {"question": "Calculate 1."})


def test_basic_arithmetic_floor_division_quirk():
    """reasoning-gym computes basic_arithmetic answers with `//`: its oracle says 532 for an
    expression whose exact value is 172701908/324019. We answer the exact value (the question
    says 'Calculate'), so this item scores 0: reported, not gamed."""
    p = DOMAIN.from_reasoning_gym(
        "basic_arithmetic", {"question": "Calculate 542 + -9 + -438 / -( 953 * -340 + -324018 )."}
    )
    assert p.data.value == Fraction(172701908, 324019)
    assert answer(p, "532").status is Status.REFUTED
