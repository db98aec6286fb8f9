"""Red team on answer equivalence with units: each row was wrong before its fix.

A row gives the verdicts a careful human grader accepts (`True`, `False`, `None` = undecided);
undecided costs a reward, never soundness."""

import pytest

from reasoning.answers._equivalence import equivalent

T, F, U = True, False, None

FOUND: list[tuple[str, str, set]] = [
    # a decimal comma with a unit is 3.5 cm in one reading: the list reading alone proved these
    ("3,5 cm", "3 cm, 5 cm", {U, F}),
    ("3 cm, 5 cm", "3,5 cm", {U, F}),
    ("3,5 cm", "3, 5 cm", {U, F}),
    ("3,5 cm", "3 cm and 5 cm", {U, F}),
    (r"3,5\text{ cm}", r"3\text{ cm}, 5\text{ cm}", {U, F}),
    (r"\boxed{3,5} cm", "3 cm, 5 cm", {U, F}),
    ("$3,5$ cm", "3 cm, 5 cm", {U, F}),
    ("0,5 kg", "0 kg, 5 kg", {U, F}),
    # ... and the readings that agree still decide
    ("3,5 cm", "3.4 cm", {F}),
    ("3,5 cm", "3,5 cm", {T}),
    ("3, 5 cm", "3 cm, 5 cm", {T}),
    # a symbolic value before a unit word was a product of letters (x·k·m): a right answer refuted
    ("x km", "1000x m", {U, T}),
    (r"2\pi km", r"2000\pi m", {U, T}),
    (r"$2\pi$ km", r"2000\pi m", {U, T}),
    ("x square feet", "144x square inches", {U, T}),
    ("x km", "x m", {U, F}),
    # kelvin is a temperature scale, not the variable K: 298.15 K is 25 degrees Celsius
    (r"25^\circ C", "298.15 K", {U, T}),
    (r"25^\circ\text{C}", r"298.15\text{ K}", {U, T}),
    ("300 kelvin", r"27^\circ C", {U, T}),
    ("300 K", "300 kelvin", {T}),
    ("300 K", "301 K", {F}),
    # an amount in several units has strictly smaller units: `2 h 0.5 h` is no written amount
    ("2 h 0.5 h", "2.5 h", {U, F}),
    ("1 m 0.5 m", "1.5 m", {U, F}),
    ("2 h 30 min", "2.5 h", {T}),
]


@pytest.mark.parametrize(("gold", "prediction", "allowed"), FOUND)
def test_red_team_unit_pair(gold, prediction, allowed):
    result = equivalent(gold, prediction)
    assert result.equivalent in allowed, result.message
