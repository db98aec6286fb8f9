"""reasoning.answers._extraction: the final answer is taken where the text marks it; ambiguity is undecided."""

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs.parsing import ParseFailure
from reasoning import Status, equivalent
from reasoning.answers._extraction import find_answer
from reasoning.answers._latex import extract
from reasoning.strategies import answer_pairs

LOCATED = [
    # prose around a marked answer (the cases)
    ("Final Answer: The largest $n$ is 34.", "34", "marker"),
    ("So the probability is 2/3.", "2/3", "phrase"),
    # a currency sign is kept as `\$` (read as the unit dollars; issue 12)
    ("The total cost is $15.50.", "\\$15.50", "phrase"),
    ("It costs $5 and $7 in total, so the answer is $12.", "\\$12", "marker"),
    ("We get \\boxed{12} for the whole tank; half of it is needed, so the final answer is 6.", "6", "marker"),
    ("#### 72", "72", "marker"),
    ("The answer: 3/4", "3/4", "marker"),
    ("Final answer is $x = 5$ and $y = 3$.", "x = 5, y = 3", "marker"),
    ("Final Answer: The final answer is 34. I hope it is correct.", "34", "marker"),
    ("The answer is 3.5. That is all.", "3.5", "marker"),
    ("Thus $n$ is 34.", "34", "phrase"),
    ("Since $a$ is even, $a = 4$.", "a = 4", "math"),
    # several boxes or math segments that make one answer
    ("\\boxed{1}\\boxed{2}", "1, 2", "boxed"),
    ("\\boxed{k = 45} \\quad\\text{and}\\quad \\boxed{n = 2}", "k = 45, n = 2", "boxed"),
    ("$\\boxed{1}$, $\\boxed{2}$", "1, 2", "boxed"),
    ("$1$ and $2$ and $3$", "1, 2, 3", "math"),
    # parts separated by prose are not one answer: the last one is
    ("first \\boxed{1}, then \\boxed{2}", "2", "boxed"),
    ("So $x$ is $6$.", "6", "math"),
    # a marker after the box that is not an answer leaves the box in charge
    ("\\boxed{6}. I hope the answer is correct.", "6", "boxed"),
    ("Final Answer: The final answer is $\\boxed{34}$. I hope it is correct.", "34", "boxed"),
    # bare answers stay as written
    ("5 cm", "5 cm", "whole"),
    ("no solution", "no solution", "whole"),
    ("x = 5", "x = 5", "whole"),
    ("\\$5", "\\$5", "whole"),
    ("$0.5", "\\$0.5", "whole"),  # a lone `$` before an amount is a currency sign (issue 12)
    ("-$3", "-\\$3", "whole"),
]


@pytest.mark.parametrize(("text", "answer", "rule"), LOCATED)
def test_the_final_answer_is_located(text, answer, rule):
    found = find_answer(text)
    assert (found.answer, found.rule) == (answer, rule)


UNDECIDED = [
    "The value of $x$ is 2 and $y$ is 3.",  # several values in one sentence
    "Final answer: $x$ is 2 and $y$ is 3",
    "Let me think about this problem carefully before answering.",
    "The price went from $5 to",
    "\\boxed{5",
]


@pytest.mark.parametrize("text", UNDECIDED)
def test_ambiguous_text_is_undecided(text):
    assert find_answer(text).answer is None
    assert isinstance(extract(text), ParseFailure)


AGREE = [
    ("34", "Final Answer: The largest $n$ is 34."),
    ("\\frac{2}{3}", "So the probability is 2/3."),
    ("\\{1, 2\\}", "\\boxed{1}\\boxed{2}"),
    ("1, 2, 3", "$1$ and $2$ and $3$"),
    ("6", "We get \\boxed{12} for the tank, so the final answer is 6."),
    ("12", "It costs $5 and $7 in total, so the answer is $12."),
]


@pytest.mark.parametrize(("gold", "prediction"), AGREE)
def test_right_answers_in_prose_are_not_refuted(gold, prediction):
    result = equivalent(gold, prediction)
    assert result.status is Status.PROVED, result


@pytest.mark.parametrize(
    "prediction", ["I am not sure what the value of the sum is here", "The price went from $5 to"]
)
def test_unlocatable_answers_are_undecided_never_refuted(prediction):
    result = equivalent("5", prediction)
    assert result.equivalent is None, result


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=list("$\\boxed{}()[] ,.andisfinalswer:#0123456789x\n"), max_size=400))
def test_extraction_never_raises_and_is_fast(text):
    start = time.perf_counter()
    found = find_answer(text)
    assert found.answer is None or isinstance(found.answer, str)
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize("text", ["($3$, $4$)", "(\\boxed{1}, \\boxed{2})", "The answer is: ($3$, $4$)"])
def test_parts_inside_brackets_are_not_joined_into_a_set(text):
    assert equivalent("(3, 4)", text).equivalent is not False


def test_markdown_bold_around_a_marker():
    assert find_answer("**Answer:** $\\frac{1}{2}$").answer == "\\frac{1}{2}"
    assert find_answer("**Final Answer:** 42").answer == "42"


# ------------------------------------------------------------------ prose never makes a verdict more wrong

PROSE = [
    "Final Answer: The final answer is ${}$. I hope it is correct.",
    "We simplify step by step, and the answer is $\\boxed{{{}}}$.",
    "After checking every case we get \\boxed{{7}} for the first part; so the final answer is ${}$.",
    "**Answer:** ${}$",
    "Thus the result is ${}$.",
    "#### {}",
]


@settings(max_examples=150, deadline=None)
@given(answer_pairs(), st.sampled_from(PROSE))
def test_prose_around_a_prediction_never_flips_a_verdict(pair, template):
    """Wrapped in prose, a prediction is judged as it is bare, or left undecided: extraction
    may lose an answer (None), never turn a right answer into a refutation or a wrong one into
    an acceptance."""
    bare = equivalent(pair.gold, pair.prediction).equivalent
    wrapped = equivalent(pair.gold, template.format(pair.prediction)).equivalent
    assert wrapped in (bare, None), (pair, template, bare, wrapped)


@pytest.mark.parametrize("text", ["\\[" * 4999, "\\(" * 4999, "$" * 9999, "\\boxed{" * 2000, "\\(\\[" * 2500])
def test_unclosed_openers_are_read_in_linear_time(text: str) -> None:
    """An opener that never closes scans only to the next one (`"\\[" * 4999` took about 1.2 s)."""
    start = time.perf_counter()
    extract(text)
    assert time.perf_counter() - start < 0.5
