"""The unsound families of issue 13, each at its root: words, units, function commands,
reversed intervals, domains, degenerate intervals, and hostile text that must stay fast."""

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proofs.parsing import ParseFailure
from reasoning.answers._equivalence import equivalent
from reasoning.answers._latex import parse_answer

# Pairs that must never come back equivalent (refuted or undecided are both fine).
NEVER_EQUIVALENT = [
    # function commands are functions, never dropped as units
    (r"\operatorname{arcsin}(1)", r"\operatorname{arccos}(1)"),
    (r"\operatorname{sgn}(-2)", "-2"),
    (r"\operatorname{sgn}(5)", "5"),
    (r"\operatorname{arctan}(1)", "1"),
    (r"\mathrm{foo}(3)", "3"),
    (r"\operatorname{foo}(x)", "x"),
    (r"\operatorname{lcm}(4, 6)", "4"),
    (r"\operatorname{floor}(2.5)", "2.5"),
    (r"\mathrm{ceil}(2.5)", "2.5"),
    (r"\text{arccos}(0)", "0"),
    (r"\operatorname{sinh}(0)", r"\operatorname{cosh}(0)"),
    # magnitude and operation words are read, never dropped
    ("5 million", "5"),
    ("(x+1) squared", "x+1"),
    ("5 factorial", "5"),
    ("3 thousand", "3"),
    ("2 dozen", "2"),
    ("7 billion", "7"),
    ("x cubed", "x"),
    (r"5 \text{ million}", "5"),
    (r"4\text{ squared}", "4"),
    ("12 percent", "12000"),
    ("3 hundred", "3"),
    # reversed ends are not an interval (two empty sets are not "the same answer")
    ("(3,1)", "[5,2]"),
    ("[3,1]", "[5,2]"),
    ("(3,1)", r"\emptyset"),
    (r"(\sqrt{5}, 1)", "[3, 2]"),
    ("(3, 1]", "(5, 2]"),
    # units are compared, not ignored
    (r"5\text{ cm}", r"5\text{ m}"),
    (r"5\text{ cm}", r"5\text{ kg}"),
    ("5 cm", "5 m"),
    ("5 meters", "5 feet"),
    (r"3\text{ apples}", r"3\text{ pears}"),
    (r"3\text{ blorfs}", "3"),
    (r"2\text{ km}", r"2\text{ m}"),
    (r"1\text{ hour}", r"1\text{ minute}"),
    (r"3\text{ cm}, 4\text{ cm}", r"3\text{ m}, 4\text{ m}"),
    (r"\{3\text{ cm}, 4\text{ cm}\}", r"\{3\text{ m}, 4\text{ m}\}"),
    (r"(3\text{ cm}, 4\text{ cm})", r"(3\text{ kg}, 4\text{ kg})"),
    (r"15\text{ cm}", r"5\text{ cm} \times 3\text{ cm}"),
    ("60 mph", "60 ft/s"),
    (r"5\text{ km/h}", r"5\text{ kg}"),
    ("5 is the answer", "5"),
]


@pytest.mark.parametrize(("gold", "prediction"), NEVER_EQUIVALENT)
def test_never_equivalent(gold, prediction):
    for g, p in ((gold, prediction), (prediction, gold)):
        result = equivalent(g, p, budget_s=1.0)
        assert result.equivalent is not True, result


# The prediction must be defined wherever the gold answer is (up to finitely many points); the
# other way round is allowed (a gold answer with a smaller domain), so these are one-way.
SMALLER_DOMAIN = [
    ("|x|", r"(\sqrt{x})^2"),
    ("x", r"(\sqrt{x})^2"),
    (r"2\ln|x|", r"2\ln x"),
    (r"\ln(x^2)", r"2\ln x"),
    ("1", r"\frac{x}{x} \cdot \sqrt{x}^2/x"),
    ("x", r"\frac{x^2}{\sqrt{x}^2}"),
    (r"\{x\}", r"\{(\sqrt{x})^2\}"),
    ("(x, 1)", r"((\sqrt{x})^2, 1)"),
]


@pytest.mark.parametrize(("gold", "prediction"), SMALLER_DOMAIN)
def test_prediction_undefined_on_part_of_the_gold_domain_is_not_equivalent(gold, prediction):
    result = equivalent(gold, prediction, budget_s=1.0)
    assert result.equivalent is not True, result


EQUIVALENT = [
    (r"\frac{x^2-1}{x-1}", "x+1"),
    ("x+1", r"\frac{x^2-1}{x-1}"),
    (r"(\sqrt{x})^2", "x"),
    (r"(\sqrt{x})^2", "|x|"),
    ("5 million", "5000000"),
    ("3 thousand", "3000"),
    (r"3\text{ thousand}", "3000"),
    ("2 dozen", "24"),
    ("(x+1) squared", "(x+1)^2"),
    ("x squared", "x^2"),
    ("5 factorial", "120"),
    ("2 cubed", "8"),
    ("2.5 million", "2500000"),
    ("12 percent", r"12\%"),
    (r"2\text{ km}", r"2000\text{ m}"),
    (r"2000\text{ m}", r"2\text{ km}"),
    (r"1\text{ hour}", r"60\text{ minutes}"),
    ("3 feet", "36 inches"),
    (r"5\text{ cm}", "5"),
    (r"5\text{ cm}", r"5 \text{ cm}"),
    (r"3\text{ apples}", r"3 \text{ apples}"),
    (r"2\text{ m}^2", r"20000\text{ cm}^2"),
    (r"1\text{ L}", r"1000\text{ mL}"),
    (r"50 \text{ cents}", r"0.5 \text{ dollars}"),
    ("5 ft^2", "720 in^2"),
    ("60 mph", "88 ft/s"),
    (r"60\text{ km/h}", r"\frac{50}{3}\text{ m/s}"),
    ("2 a/b", "2a/b"),
    (r"5\text{ m}", r"5\,\mathrm{m}"),
    (r"2\mathrm{e}", "2e"),
    ("[1,1]", r"\{1\}"),
    (r"\{1\}", "[1,1]"),
    (r"\{2\}", r"[2, 2]"),
    (r"10,\!000", "10000"),
    (r"16,\!386.20", "16386.2"),
    (r"1,\!234,\!567", "1234567"),
    (r"\operatorname{sgn}(-2)", "-1"),
    (r"\operatorname{arcsin}(1)", r"\frac{\pi}{2}"),
    (r"\operatorname{arccos}(1)", "0"),
    (r"\operatorname{lcm}(4, 6)", "12"),
    (r"\mathrm{gcd}(4, 6)", "2"),
]


@pytest.mark.parametrize(("gold", "prediction"), EQUIVALENT)
def test_equivalent(gold, prediction):
    result = equivalent(gold, prediction, budget_s=2.0)
    assert result.equivalent is True, result


REFUTED = [
    (r"5\text{ cm}", r"5\text{ m}"),
    (r"2\text{ km}", r"3000\text{ m}"),
    ("5 million", "5"),
    ("3 thousand", "3"),
    ("5 factorial", "5"),
    (r"\{1, 2\}", "[1, 2]"),
    ("|x|", r"(\sqrt{x})^2"),
]


@pytest.mark.parametrize(("gold", "prediction"), REFUTED)
def test_refuted(gold, prediction):
    result = equivalent(gold, prediction, budget_s=2.0)
    assert result.equivalent is False, result


UNKNOWN_WORDS = ["5 zillion", r"\operatorname{foo}(3)", r"5 \text{ flurbs} + 2", "x+1 squared", r"\foo{3}"]


@pytest.mark.parametrize("text", UNKNOWN_WORDS)
def test_unknown_words_and_commands_never_vanish(text):
    answer = parse_answer(text)
    if not isinstance(answer, ParseFailure):
        # a kept unknown word is a unit that only matches the same word
        result = equivalent(text, text.split()[0].split("\\")[0] or "3", budget_s=0.5)
        assert result.equivalent is not True, (answer, result)


def test_reversed_ends_are_not_an_interval():
    from reasoning.answers._answers import Interval

    for text in ("(3,1)", "[5,2]", r"(\sqrt{5}, 1)"):
        answer = parse_answer(text)
        assert not isinstance(answer, Interval), answer
    assert isinstance(parse_answer("(3,1]"), ParseFailure)


@pytest.mark.parametrize("letters", [20, 47, 200, 2000])
def test_trailing_letter_runs_are_linear(letters):
    start = time.perf_counter()
    equivalent("5 " + "a" * letters + "1", "5", budget_s=0.5)
    assert time.perf_counter() - start < 1.0


_ALPHABET = st.sampled_from(list("ab ex1.2,{}()[]\\^_-+*/|=<>%$!;:") + ["\\text{", "\\frac", "cm ", " and "])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ALPHABET, max_size=2500).map("".join))
def test_random_text_returns_within_budget(text):
    text = text[:10_000]
    start = time.perf_counter()
    result = equivalent(text, "5", budget_s=0.5)
    assert time.perf_counter() - start < 0.5 + 0.5, result
