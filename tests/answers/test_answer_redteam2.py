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


# The unit or sign right after a located box or math segment belongs to the value: dropped, it
# left a bare number, so `$10$ dollars` matched `10 cents` and `\boxed{0.05}\%` matched `5\%`.
SUFFIX_AFTER_LOCATED_VALUE = [
    ("10 cents", r"\boxed{10} dollars", False),
    ("10 cents", r"\boxed{10}\text{ dollars}", False),
    ("10 cents", "So it costs $10$ dollars.", False),
    ("10 cents", "Thus $x=10$ dollars", False),
    ("10 km", r"So it is \(10\) meters.", False),
    ("2 hours", "It takes $2$ minutes.", False),
    (r"5\%", r"\boxed{0.05}\%", False),
    ("0.05", r"\boxed{5}\%", None),
    (r"5\%", r"\boxed{5}\%", True),
    ("5000000", r"\boxed{5} million", True),
    (r"5\text{ cm}^2", r"\boxed{5} \text{ cm}^2", True),
    ("5", r"\boxed{5} in total", True),
    ("10", "The answer is $10$ meters.", True),
]


@pytest.mark.parametrize(("gold", "prediction", "expected"), SUFFIX_AFTER_LOCATED_VALUE)
def test_a_unit_after_the_located_value_is_kept(gold, prediction, expected):
    assert equivalent(gold, prediction).equivalent is expected


# `[5\%, 10\%]` reads as a list (interval ends cannot carry %), and a list against an interval
# was refuted by shape: a right answer `[0.05, 0.1]` was judged wrong.
@pytest.mark.parametrize(
    ("gold", "prediction"), [(r"[5\%, 10\%]", "[0.05, 0.1]"), ("[0.05, 0.1]", r"[5\%, 10\%]")]
)
def test_a_pair_of_percents_is_not_refuted_by_an_interval(gold, prediction):
    assert equivalent(gold, prediction).equivalent is None


# A percent gold's decimal rounds its value times 100: `33.3\%` may be 1/3 rounded, so the
# prediction `\frac13` (which was refuted, compared as 1/3 with 33.3) is undecided.
@pytest.mark.parametrize(
    ("gold", "prediction", "expected"),
    [
        (r"33.3\%", r"\frac{1}{3}", None),
        (r"66.7\%", r"\frac23", None),
        (r"(33.3\%, 2)", r"(\frac13, 2)", None),
        (r"33.4\%", r"\frac{1}{3}", False),
        (r"(33.3\%, 2)", r"(\frac13, 3)", False),
    ],
)
def test_a_percent_decimal_is_a_rounding_of_its_value(gold, prediction, expected):
    assert equivalent(gold, prediction).equivalent is expected


# A dollar sign just outside the box (`\$\boxed{5}`, `\boxed{5}\$`) was left behind by the
# extraction, so the bare 5 matched `5 cents`.
@pytest.mark.parametrize(
    ("gold", "prediction", "expected"),
    [
        ("5 cents", r"\$\boxed{5}", False),
        ("5 cents", r"\boxed{5}\$", False),
        ("5 cents", r"The cost is \$\boxed{5}.", False),
        (r"\$5", r"\$\boxed{5}", True),
        ("5", r"\boxed{5}\$", True),
    ],
)
def test_a_dollar_sign_beside_the_box_is_kept(gold, prediction, expected):
    assert equivalent(gold, prediction).equivalent is expected


@pytest.mark.parametrize(
    ("gold", "prediction"),
    [("720", "3!!"), ("15", "5!!"), ("15", r"\boxed{5!!}"), ("720", "3! !"), ("3!!", "3")],
)
def test_a_double_factorial_is_never_judged(gold, prediction):
    """`5!!` is the double factorial (15) or (5!)!: read as (5!)!, 720 was equivalent to `3!!`
    and 15 not equivalent to `5!!` (a right answer refuted). Neither reading is taken."""
    assert equivalent(gold, prediction).equivalent is not True
    assert equivalent(gold, prediction).equivalent is not False


@pytest.mark.parametrize(("gold", "prediction"), [("6", "3!"), ("720", "(3!)!")])
def test_single_factorials_still_count(gold, prediction):
    assert equivalent(gold, prediction).equivalent is True


@pytest.mark.parametrize(
    ("gold", "prediction", "expected"),
    [
        ("12", r"\boxed{12} dozen", None),  # 12 dozens, or 144: was refuted (reward 0)
        ("1", r"\boxed{1} thousand", None),
        ("5", r"\boxed{5}\text{ million}", None),
        ("144", r"\boxed{12} dozen", True),
        ("5000000", r"\boxed{5} million", True),
        ("13", r"\boxed{12} dozen", False),  # neither reading gives 13
        ("12", "12 dozen", False),  # no box: `12 dozen` is 144 (the README's number words)
    ],
)
def test_a_number_word_after_a_box_is_also_read_without_it(gold, prediction, expected):
    assert equivalent(gold, prediction).equivalent is expected
