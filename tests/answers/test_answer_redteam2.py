"""Second red team on issue 12's answer rules: each case was wrong before its fix."""

import pytest

from reasoning.answers._equivalence import equivalent

# A dollar sign not directly before digits was dropped, leaving a bare number that matched any
# unit of money: `5\$` and `\$\,5` were proved equal to `5 cents`.
MISPLACED_DOLLAR_SIGNS = [
    ("5 cents", r"5\$", False),
    ("5 cents", r"5 \text{\$}", False),
    ("5 cents", r"\$\,5", False),
    ("5 cents", r"\${5}", False),
    ("5 cents", r"\$\text{5}", False),
    ("5 cents", r"\$\left(5\right)", False),
    (r"\frac{1}{2} \text{ cents}", r"\$\frac{1}{2}", False),
    ("-5 cents", r"-5\$", False),
    ("50 cents", r"\$\frac12", True),
    (r"\$5", r"5\$", True),
    ("5", r"\$\,5", True),
]


@pytest.mark.parametrize(("gold", "prediction", "expected"), MISPLACED_DOLLAR_SIGNS)
def test_a_dollar_sign_anywhere_is_dollars(gold, prediction, expected):
    assert equivalent(gold, prediction).equivalent is expected


# A percent or an angle against an amount in units: the bare-number rule (`5 cm` matches `5`)
# compared the numbers, so `\$5` took `5\%` and `5 hours` took `5^\circ`.
MARK_AGAINST_UNIT = [
    (r"\$5", r"5\%"),
    (r"\$5", r"5^\circ"),
    (r"5^\circ", r"\$5"),
    ("5 cents", r"5\%"),
    ("5 cm", "5 percent"),
    ("5 hours", "5 degrees"),
    (r"(\$5, \$6)", r"(5\%, 6\%)"),
    (r"x = \$5", r"x = 5\%"),
]


@pytest.mark.parametrize(("gold", "prediction"), MARK_AGAINST_UNIT)
def test_a_percent_or_angle_is_never_an_amount_in_units(gold, prediction):
    assert equivalent(gold, prediction).equivalent is not True


def test_marks_still_match_bare_numbers():
    assert equivalent("5", r"5\%").equivalent is True
    assert equivalent(r"90^\circ", "90").equivalent is True
    assert equivalent(r"\$5", "5").equivalent is True
