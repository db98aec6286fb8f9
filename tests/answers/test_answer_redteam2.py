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
