"""Held-out equivalence pairs for rounded golds in tuples, money, and percent (issue 12).

Written before the fixes they check, as a table of our own: each row gives the verdicts that are
acceptable (`True`, `False`, `None` = undecided). A set with several members (`{None, False}`)
means either is sound; `True` is never in a set with another value.
"""

import pytest

from reasoning.answers._equivalence import equivalent

T, F, U = True, False, None

HELD_OUT: list[tuple[str, str, set]] = [
    # a gold decimal may be a rounding, inside tuples, lists, sets and intervals too
    (r"[1.414, 2]", r"[\sqrt2, 2]", {U}),
    (r"(1.41, 3)", r"(\sqrt{2}, 3)", {U}),
    (r"(1.414, 2)", r"(\sqrt2, 2)", {U}),
    (r"\{0.33, 2\}", r"\{\frac13, 2\}", {U}),
    (r"[0.33, 1]", r"[\frac{1}{3}, 1]", {U}),
    (r"(0.5, 1.73)", r"(\frac12, \sqrt3)", {U}),
    (r"(1.414, 2.5)", r"(\sqrt{2}, \frac{5}{2})", {U}),
    (r"x = 1.73", r"x = \sqrt3", {U}),
    (r"[1.414, 3]", r"[\sqrt2, 2]", {F}),
    (r"(1.41, 3)", r"(\sqrt{3}, 3)", {F}),
    (r"(1.414, 2.6)", r"(\sqrt2, \frac52)", {F}),
    (r"1.42", r"\sqrt2", {U, F}),
    (r"(1.42, 2)", r"(\sqrt2, 2)", {U, F}),
    (r"\sqrt2", r"1.414", {F}),
    (r"(\sqrt2, 2)", r"(1.414, 2)", {F}),
    (r"0.0", r"\frac{1}{100}", {U}),
    (r"0.5", r"\frac{51}{100}", {U}),
    # money: dollars and cents compare exactly
    (r"\$0.50", "50 cents", {T}),
    (r"\$0.50", "50¢", {T}),
    (r"\$0.50", "$0.5", {T}),
    (r"\$0.50", "0.50 dollars", {T}),
    (r"\$0.50", r"\$0.5", {T}),
    ("50¢", r"\$0.50", {T}),
    (r"\$1.25", "125 cents", {T}),
    (r"\$2.50", r"250\text{ cents}", {T}),
    (r"\$0.05", "5¢", {T}),
    (r"\$50", "50", {T}),
    (r"\$50", "50 cents", {F}),
    ("50 cents", r"\$50", {F}),
    (r"\$5", "5 cents", {F}),
    (r"\$5", "5¢", {F}),
    ("50¢", "50 dollars", {F}),
    ("0.5", "50 cents", {U, T}),
    (r"5\text{ cm}^3", r"5\text{ mL}", {T}),
    # percent: a gold 5% takes 5%, 5 %, 5 percent and 0.05; a gold 5 takes 5 and 5%;
    # no prediction takes both of the golds 5 and 0.05
    (r"5\%", r"5\%", {T}),
    (r"5\%", "5 %", {T}),
    (r"5\%", "5 percent", {T}),
    (r"5\%", "0.05", {T}),
    (r"5\%", r"\frac{1}{20}", {T}),
    ("5", r"5\%", {T}),
    ("25", "25 percent", {T}),
    ("0.05", r"5\%", {U, F}),
    (r"\frac{1}{20}", r"5\%", {U, F}),
    (r"5\%", "5", {U, F}),
    ("5", "0.05", {F}),
    ("0.05", "5", {F}),
    (r"5\%", "0.5", {F}),
    (r"5\%", r"50\%", {F}),
    ("5", r"6\%", {F}),
    (r"12.5\%", r"\frac18", {T}),
]


@pytest.mark.parametrize(("gold", "prediction", "allowed"), HELD_OUT)
def test_held_out_pair(gold, prediction, allowed):
    result = equivalent(gold, prediction)
    assert result.equivalent in allowed, result.message


@pytest.mark.parametrize("prediction", [r"5\%", "5 %", "5 percent", "5", "0.05", r"\frac{1}{20}", "500\\%"])
def test_one_prediction_never_takes_two_inequivalent_golds(prediction):
    """A policy must not hedge between the golds 5 and 0.05 by writing a percent."""
    taken = [g for g in ("5", "0.05") if equivalent(g, prediction).equivalent is True]
    assert len(taken) <= 1, taken
