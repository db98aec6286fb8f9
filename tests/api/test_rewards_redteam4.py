"""Fourth red team on the reward's answer extraction: each case was scored wrongly before its fix."""

import pytest

from reasoning.rewards import compute_score, extract_answer

# The rest of a marker's line was read again as a whole answer, so a later sentence on the line
# won (`5` from `Final answer: 6. The number ...is 5.`), and Minerva's `The final answer is 34. I
# hope it is correct.` scored 0 against 34.
MARKER_LINES = [
    ("The final answer is 34. I hope it is correct.", "34", 1.0),
    ("Final answer: 6. The number of primes is 5.", "5", 0.0),
    ("Final answer: 6. The number of primes is 5.", "6", 1.0),
    ("The answer is 6. Here x is 5.", "5", 0.0),
    ("The answer is 6. Here x is 5.", "6", 1.0),
    ("#### 6. Also x is 5", "5", 0.0),
    ("The answer is 6 because $5$ is too small", "5", 0.0),
    ("The answer is 3/4.", "0.75", 1.0),
    ("So the answer is: 42", "42", 1.0),
]


@pytest.mark.parametrize(("completion", "gold", "score"), MARKER_LINES)
def test_a_marker_line_is_read_as_the_policy_reads_it(completion, gold, score):
    assert compute_score("math", completion, gold) == score


def test_an_unreadable_marker_line_gives_no_answer():
    assert extract_answer("The answer is 6 because $5$ is too small") is None


# A marker line that opens with a value and goes on to a clause with a verb read the value after
# the verb: `The answer is 6 since 2 + 3 is 5` took 5. It names two values: no answer.
VALUE_THEN_CLAUSE = [
    ("The answer is 6 since 2 + 3 is 5", "5", 0.0),
    ("The answer is $6$ since $2+3$ is $5$", "5", 0.0),
    ("Final Answer: The largest $n$ is 34.", "34", 1.0),
    ("The answer: $x$ is 2", "2", 1.0),
]


@pytest.mark.parametrize(("completion", "gold", "score"), VALUE_THEN_CLAUSE)
def test_a_value_then_a_clause_is_not_the_clause(completion, gold, score):
    assert compute_score("math", completion, gold) == score
