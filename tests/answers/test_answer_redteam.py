"""Red-team cases for answer equivalence: each one was wrong (unsound, a wrong refutation, or a
crash) before its fix. A refutation must never rest on reading a unit as a variable."""

import time

import pytest

from reasoning.answers._equivalence import equivalent

# A one-letter unit after a number and a space (`5 m`): a unit or the product 5*m. Against an
# explicit unit it is the unit; against a bare number the two readings must agree.
ONE_LETTER_UNITS = [
    ("5 m", r"5\text{ m}", True),
    (r"5\text{ m}", "5 m", True),
    (r"5 \mathrm{m}", "5 m", True),
    ("5 s", r"5\text{ s}", True),
    ("2 km", "2000 m", True),
    ("5 m", "500 cm", True),
    (r"3\,h", "180 minutes", True),
    ("5 m", "5 m", True),
    ("5 m", "6 m", False),
    ("5 m", "5 cm", False),
    ("5 m", "5 kg", False),
    ("5 m", "6", False),
    ("6", "5 g", False),
    ("5 m", "5", None),
    ("5", "5 m", None),
    ("3 h", "3", None),
    ("x = 5 m", "5", None),
    ("5 m^2", "5", None),
    ("5 m^2", r"5\text{ m}^2", True),
    ("5 m^2", "50000 cm^2", True),
    ("5 m^2", "6", False),
]


@pytest.mark.parametrize(("gold", "prediction", "expected"), ONE_LETTER_UNITS)
def test_one_letter_unit_is_never_refuted_as_a_variable(gold, prediction, expected):
    assert equivalent(gold, prediction).equivalent is expected


# Each was refuted although right (a reward of 0 for a right answer).
RIGHT_ANSWERS = [
    ("10", "ten"),
    ("ten", "10"),
    ("7", "seven"),
    ("1", "one"),
    ("21", "twenty-one"),
    ("42", r"\text{forty two}"),
    ("0", "zero"),
    ("1000", "(1,000)"),
    ("1000", r"\{1,000\}"),
    ("[0,1000]", "[0, 1,000]"),
    (r"x \approx 1.41", r"\sqrt{2}"),
    (r"\sqrt{2}", r"\approx 1.414"),
]


@pytest.mark.parametrize(("gold", "prediction"), RIGHT_ANSWERS)
def test_right_answer_is_never_refuted(gold, prediction):
    assert equivalent(gold, prediction).equivalent is not False


@pytest.mark.parametrize(("gold", "prediction"), [("10", "ten"), ("21", "twenty-one"), ("1000", "(1,000)")])
def test_right_answer_is_equivalent(gold, prediction):
    assert equivalent(gold, prediction).equivalent is True


# Still refuted: a spelled number is the number, a tuple with a leading-zero-free item is a tuple.
@pytest.mark.parametrize(
    ("gold", "prediction"),
    [("11", "ten"), ("ten", "twelve"), ("(1,500)", "1500"), ("1.5", r"\approx 1.5"), ("2", r"x \approx 3")],
)
def test_wrong_answer_is_not_equivalent(gold, prediction):
    assert equivalent(gold, prediction).equivalent is not True


def test_a_long_trig_product_stays_within_budget():
    # 40 factors (sin x + cos x) expanded to 2^40 monomials in the trig rewrite: 180 s before.
    start = time.perf_counter()
    result = equivalent("(\\sin x + \\cos x)" * 40, "1", budget_s=1.0)
    assert time.perf_counter() - start < 1.5
    assert result.equivalent is not True


@pytest.mark.parametrize(("gold", "prediction"), [("2.5", "2,5"), ("2,5", "2.5"), ("-0.75", "-0,75")])
def test_a_decimal_comma_is_not_refuted(gold: str, prediction: str) -> None:
    """`2,5` may be 2.5 written with a decimal comma: undecided, never a refutation (issue 13)."""
    assert equivalent(gold, prediction).equivalent is None


@pytest.mark.parametrize(
    ("gold", "prediction", "verdict"),
    [("2.4", "2,5", False), ("1,000", "1000", True), ("2, 5", "\\{2,5\\}", True)],
)
def test_decimal_comma_leaves_other_verdicts(gold: str, prediction: str, verdict: bool) -> None:
    assert equivalent(gold, prediction).equivalent is verdict


@pytest.mark.parametrize(
    ("gold", "prediction"), [("3 m, 4 m", "3, 4"), ("(3 m, 4 m)", "(3,4)"), ("(3,4)", "(3 m, 4 m)")]
)
def test_units_on_list_items_are_not_refuted(gold: str, prediction: str) -> None:
    """A one-letter unit on a list item may be a unit or a variable, as for one value (issue 13)."""
    assert equivalent(gold, prediction).equivalent is not False


@pytest.mark.parametrize(("gold", "prediction"), [("3 m, 4 m", "3, 5"), ("(3 m, 4 m)", "(3, 5)")])
def test_units_on_list_items_still_refute_other_numbers(gold: str, prediction: str) -> None:
    assert equivalent(gold, prediction).equivalent is False
