"""reasoning.rewards: TRL- and verl-shaped calls, extraction rules, hostile text, threads, processes."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import reasoning.domains
from reasoning import InvalidArgument
from reasoning.rewards import (
    MAX_ANSWER_CHARS,
    REFERENCE_COLUMNS,
    compute_score,
    extract_answer,
    make_trl_reward,
    score_completion,
    verified_reward,
)

ROOT = Path(__file__).resolve().parents[2]


def conversation(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


# ------------------------------------------------------------------ extraction


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("reasoning... <answer> 42 </answer>", "42"),
        ("<answer>1</answer> then <ANSWER>2</ANSWER>", "2"),  # the last pair, any case
        ("<answer>\n12\n34\n</answer>", "12\n34"),  # multi-line (grids)
        (r"so \boxed{\frac{1}{2}}.", r"\frac{1}{2}"),
        (r"\boxed{1} and finally \boxed{x^{2}}", "x^{2}"),
        (r"\boxed{3} then a cut-off \boxed{\frac{1}{", "3"),  # an unbalanced last box is skipped
        (r"\fbox{7}", "7"),
        ("Natalia sold 48/2 = 24 clips.\n#### 72", "72"),
        ("The final answer is 42.", "42"),
        ("Answer: $\\frac{3}{4}$", "\\frac{3}{4}"),  # the policy reads the math of a marker line
        ("answer = 7", "7"),
        ("First 3.\nThen 5.\n\n", "Then 5"),  # the last non-empty line, full stop dropped
        ("1.5", "1.5"),
        ("", None),
        ("   \n\n", None),
        ("<answer></answer>", None),
        ("<answer>" + "1" * (MAX_ANSWER_CHARS + 1) + "</answer>", None),
    ],
)
def test_extraction_rules(text, answer):
    assert extract_answer(text) == answer


def test_tags_win_over_boxes_and_boxes_over_lines():
    assert extract_answer(r"\boxed{1} <answer>2</answer> \boxed{3}") == "2"
    assert extract_answer("The answer is 4.\n\\boxed{5}\nthanks") == "5"


# ------------------------------------------------------------------ TRL shape


def test_string_completions_against_a_solution_column():
    completions = [r"so \boxed{0.5}", "<answer>1/3</answer>", "The answer is 1/2.", "no idea"]
    assert verified_reward(completions, solution=[r"\frac{1}{2}"] * 4) == [1.0, 0.0, 1.0, 0.0]


def test_conversational_completions_and_the_keywords_trl_passes():
    calls = []
    prompts = [[{"role": "user", "content": "Solve x^2 = 4 for x > 0."}]] * 2
    completions = [conversation(r"x = \boxed{2}"), conversation(r"\boxed{-2}")]
    rewards = verified_reward(
        prompts=prompts,
        completions=completions,
        completion_ids=[[1, 2], [3]],
        trainer_state=object(),
        log_extra=lambda name, values: calls.append((name, values)),
        log_metric=lambda name, value: None,
        answer=["2", "2"],
        difficulty=[3, 3],  # columns the reward does not know are ignored
        source=["synthetic", "synthetic"],
    )
    assert rewards == [1.0, 0.0]
    assert ("verified_reward_status", ["proved", "refuted"]) in calls
    assert ("verified_reward_answer", ["2", "-2"]) in calls


def test_conversations_use_the_last_assistant_message_and_text_parts():
    tool_call = [
        {"role": "assistant", "content": "<answer>wrong</answer> let me check"},
        {"role": "tool", "content": "<answer>7</answer>"},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "So it is <answer>"},
                {"type": "text", "text": "6</answer>"},
            ],
        },
    ]
    assert verified_reward([tool_call], solution=["6"]) == [1.0]


@pytest.mark.parametrize("column", REFERENCE_COLUMNS)
def test_every_documented_reference_column_is_read(column):
    assert verified_reward([r"\boxed{10}", r"\boxed{11}"], **{column: ["10", "10"]}) == [1.0, 0.0]


def test_the_first_reference_column_wins_and_column_picks_one():
    batch = {"solution": ["1"], "answer": ["2"]}
    assert verified_reward([r"\boxed{1}"], **batch) == [1.0]
    assert make_trl_reward(column="answer")([r"\boxed{1}"], **batch) == [0.0]
    assert make_trl_reward(column="expected")([r"\boxed{1}"], **batch) == [None]


def test_missing_or_unusable_references_give_none():
    assert verified_reward([r"\boxed{1}", r"\boxed{2}"]) == [None, None]  # no reference column
    rewards = verified_reward([r"\boxed{1}"] * 6, solution=["1", None, "", r"\frac{1}{", True, float("nan")])
    assert rewards == [1.0, None, None, None, None, None]


def test_references_that_are_numbers_lists_or_marked_up():
    completions = [r"\boxed{72}", r"\boxed{0.25}", r"\boxed{3}", r"\boxed{3}", r"\boxed{9}"]
    references = [72, 0.25, ["2", "3"], "She had 5 - 2 = <<5-2=3>>3 left.\n#### 3", [r"\boxed{8}"]]
    assert verified_reward(completions, answer=references) == [1.0, 1.0, 1.0, 1.0, 0.0]


def test_unknown_and_unparseable_predictions_score_zero_not_none():
    details = verified_reward.score_batch(
        [r"\boxed{9^{9^{9^{9}}}}", r"\boxed{\frac{1}{}", "<answer>x +</answer>", 42], solution=["1"] * 4
    )
    assert [d.score for d in details] == [0.0, 0.0, 0.0, 0.0]
    assert details[0].status == "unknown"
    assert {d.status for d in details[1:]} == {"invalid"}


def test_bad_calls_raise_invalid_argument():
    with pytest.raises(InvalidArgument, match="completions"):
        verified_reward("just one string", solution=["1"])
    with pytest.raises(InvalidArgument, match="2 entries for 1"):
        verified_reward(["1"], solution=["1", "2"])
    with pytest.raises(InvalidArgument, match="budget_s"):
        make_trl_reward(budget_s=0)
    with pytest.raises(InvalidArgument, match="name"):
        make_trl_reward(name="not an identifier")
    with pytest.raises(InvalidArgument, match="budget_s"):
        compute_score("math", "1", "1", budget_s=-1)


def test_trl_names_the_reward_and_it_pickles():
    def trl_name(func):  # trl.trainer.utils.get_callable_name, as of TRL 1.16
        return getattr(func, "__name__", type(func).__name__)

    assert trl_name(verified_reward) == "verified_reward"
    custom = make_trl_reward(budget_s=0.5, name="math_accuracy")
    assert trl_name(custom) == "math_accuracy"
    copy = pickle.loads(pickle.dumps(custom))
    assert copy == custom and trl_name(copy) == "math_accuracy"
    assert copy([r"\boxed{2}"], solution=["2"]) == [1.0]


# ------------------------------------------------------------------ domain tasks


def _known_tasks():
    """A right and a wrong answer for a task of each registered domain we can build."""
    names = reasoning.domains.names()
    cases = []
    if "countdown" in names:
        task = {"domain": "countdown", "numbers": [3, 7, 25, 50], "target": 71, "solutions": 1}
        cases.append((task, "50 + 25 - 7 + 3", "50 + 25 - 3"))
        task24 = {
            "domain": "countdown",
            "numbers": [3, 3, 8, 8],
            "target": 24,
            "rule": "exactly-once",
            "integer_only": False,
        }
        cases.append((task24, "8 / (3 - 8 / 3)", "8 * 3 + 8 - 8"))
    if "sudoku" in names:
        task = {"domain": "sudoku", "grid": "1.3.3.1..1.3.3.1", "unique": False}
        cases.append((task, "1234341221434321", "2134341221434321"))  # the wrong one breaks a given
    if not cases:
        pytest.skip(f"no countdown or sudoku domain registered (registered: {names})")
    return cases


def test_task_column_checks_answers_by_the_domain_rules():
    for task, right, wrong in _known_tasks():
        completions = [f"<answer>{right}</answer>", f"<answer>{wrong}</answer>", "no tags, no answer"]
        tasks = [task, json.dumps(task), task]
        rewards = verified_reward(completions, task=tasks)
        assert rewards[:2] == [1.0, 0.0], (task, verified_reward.score_batch(completions, task=tasks))
        assert rewards[2] == 0.0


def test_task_rows_win_over_references_and_bad_tasks_are_skipped():
    task, right, _ = _known_tasks()[0]
    padded = {**task, "some_other_domain_field": None}  # a dataset struct column fills these with None
    assert verified_reward([f"<answer>{right}</answer>"], task=[padded], solution=["-12345"]) == [1.0]
    malformed = {"domain": task["domain"]}  # required fields missing
    assert verified_reward([f"<answer>{right}</answer>"], task=[malformed]) == [None]
    assert verified_reward(["<answer>1</answer>"], task=[{"domain": "no-such-domain"}]) == [None]
    # a `task` column that holds something else (a name) falls back to the reference
    assert verified_reward([r"\boxed{4}"], task=["gsm8k"], answer=["4"]) == [1.0]


# ------------------------------------------------------------------ verl shape


def test_verl_compute_score_with_reference_answers():
    gsm8k = "48 / 2 = 24 clips in May, and 48 + 24 = 72.\n#### 72"
    assert compute_score("openai/gsm8k", gsm8k, "72", {"split": "train", "index": 0}) == 1.0
    assert compute_score("openai/gsm8k", gsm8k, "71") == 0.0
    score = compute_score(
        data_source="lighteval/MATH",
        solution_str=r"so $\boxed{\dfrac{\sqrt{2}}{2}}$",
        ground_truth=r"\frac{1}{\sqrt{2}}",
        extra_info={"num_turns": 1, "rollout_reward_scores": {}},
        reward_router_address=None,  # extra keywords verl may pass are ignored
        budget_s=2.0,
    )
    assert isinstance(score, float) and score == 1.0
    assert compute_score("math", r"\boxed{3}", ["2", "3"]) == 1.0
    assert compute_score("math", r"\boxed{3}", None) == 0.0  # nothing to compare with: 0.0, not None
    assert compute_score("math", "", "3") == 0.0


def test_verl_compute_score_with_tasks():
    task, right, wrong = _known_tasks()[0]
    assert compute_score(task["domain"], f"<answer>{right}</answer>", task) == 1.0
    assert compute_score(task["domain"], f"<answer>{wrong}</answer>", json.dumps(task)) == 0.0
    assert compute_score(task["domain"], f"<answer>{right}</answer>", "", {"task": task}) == 1.0


# ------------------------------------------------------------------ hostile completions


HOSTILE = [
    "9" * 10_000_000,  # 10 MB, one line
    ("\\boxed{" * 200_000) + "1",  # unbalanced boxes
    "<answer>" + "(" * 1_000_000 + "</answer>",
    "answer is " + " " * 5_000_000,
    r"\boxed{2^{2^{2^{2^{2^{100}}}}}}",  # a power tower
    r"\boxed{9^{9^{9^{9^{9}}}}!}",
    "<answer>" + "+".join(["x"] * 3000) + "</answer>",
    "\\boxed{" + "{" * 5000 + "1" + "}" * 5001,  # deep nesting
    "1 " * 1_000_000 + "\n" * 1_000_000,  # 3 MB of tokens and blank lines
]


@pytest.mark.parametrize("completion", HOSTILE, ids=lambda c: f"{c[:12]!r}..{len(c)}")
def test_hostile_completions_are_bounded_and_score_zero(completion):
    budget = 0.5
    start = time.perf_counter()
    rewards = make_trl_reward(budget_s=budget)([completion], solution=["1"])
    elapsed = time.perf_counter() - start
    assert rewards == [0.0]
    assert elapsed < budget + 3.0, elapsed  # the budget plus scanning megabytes of text
    start = time.perf_counter()
    assert compute_score("math", completion, "1", budget_s=budget) == 0.0
    assert time.perf_counter() - start < budget + 3.0


# ------------------------------------------------------------------ threads and processes

BATCH = {
    "completions": [
        r"\boxed{\frac{1}{2}}",
        "<answer>0.5</answer>",
        r"so \boxed{(x+1)^2}",
        "The answer is x^2 + 2x + 2.",
        r"\boxed{\{1, 2, 3\}}",
        r"\boxed{[0, 1)}",
        r"\boxed{9^{9^{9^{9}}}}",
        "#### 1,000",
        conversation(r"\boxed{\sqrt{8}}"),
        "<answer></answer>",  # nothing to score: 0.0
    ],
    "solution": [
        "0.5",
        "1/2",
        "x^2 + 2x + 1",
        "(x+1)^2",
        r"\{3, 2, 1\}",
        "[0, 1]",
        "1",
        "1000",
        r"2\sqrt{2}",
        "4",
    ],
}
EXPECTED = [1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0]


def test_eight_threads_give_the_sequential_results():
    reward = make_trl_reward(budget_s=2.0)
    sequential = reward(**BATCH)
    assert sequential == EXPECTED
    verl_sequential = [compute_score("math", c, s) for c, s in zip(BATCH["completions"], BATCH["solution"])]
    with ThreadPoolExecutor(8) as pool:
        batches = list(pool.map(lambda _: reward(**BATCH), range(8)))
        verl = list(
            pool.map(lambda pair: compute_score("math", *pair), zip(BATCH["completions"], BATCH["solution"]))
        )
    assert batches == [sequential] * 8
    assert verl == verl_sequential == EXPECTED


SCRIPT = """
import json, pickle, sys
from concurrent.futures import ThreadPoolExecutor
import threading
batch = json.loads(sys.argv[1])
reward = pickle.loads(bytes.fromhex(sys.argv[2]))       # as a Ray worker receives it
barrier = threading.Barrier(8)
def run(_):
    barrier.wait()                                       # 8 cold calls at the same moment
    return reward(**batch)
with ThreadPoolExecutor(8) as pool:
    concurrent = list(pool.map(run, range(8)))
from reasoning.rewards import compute_score
print(json.dumps({"name": reward.__name__, "concurrent": concurrent, "sequential": reward(**batch),
                  "verl": compute_score("math", batch["completions"][0], batch["solution"][0])}))
"""


def test_a_fresh_process_unpickles_the_reward_and_runs_it_from_eight_threads():
    reward = make_trl_reward(budget_s=2.0, name="ray_reward")
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(BATCH), pickle.dumps(reward).hex()],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["name"] == "ray_reward"
    assert result["sequential"] == EXPECTED
    assert result["concurrent"] == [EXPECTED] * 8
    assert result["verl"] == 1.0


def test_score_completion_reports_why():
    score = score_completion(r"\boxed{1/3}", reference="0.5", budget_s=1.0)
    assert (score.score, score.status, score.answer) == (0.0, "refuted", "1/3")
    assert "1 / 3" in score.message or "1/3" in score.message


def test_the_example_runs():
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "rewards_example.py")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "TRL rewards (boxed 3/4, 0.75, wrong 2/6, factored): [1.0, 1.0, 0.0, 1.0]" in out.stdout


# ------------------------------------------------------------------ numpy and numbers.Number references


def test_verl_accepts_numpy_scalar_and_array_references():
    np = pytest.importorskip("numpy")
    assert compute_score("x", "\\boxed{72}", np.int64(72)) == 1.0
    assert compute_score("x", "\\boxed{72}", np.int32(71)) == 0.0
    assert compute_score("x", "\\boxed{0.5}", np.float32(0.5)) == 1.0
    assert compute_score("x", "\\boxed{3}", np.array([2, 3])) == 1.0
    assert compute_score("x", "\\boxed{3}", np.array(3)) == 1.0
    assert compute_score("x", "\\boxed{3}", np.array(["3"], dtype=object)) == 1.0


def test_trl_accepts_numpy_columns():
    np = pytest.importorskip("numpy")
    reward = make_trl_reward()
    assert reward(["\\boxed{72}", "\\boxed{5}"], answer=np.array([72, 6])) == [1.0, 0.0]
    assert reward(["\\boxed{72}"], answer=[np.int64(72)]) == [1.0]
    assert reward(["\\boxed{3}"], answer=[np.array([1, 3])]) == [1.0]


def test_any_number_is_a_reference():
    from decimal import Decimal
    from fractions import Fraction

    assert compute_score("x", "\\boxed{0.25}", Decimal("0.25")) == 1.0
    assert compute_score("x", "\\boxed{1/4}", Fraction(1, 4)) == 1.0
    assert compute_score("x", "\\boxed{100}", Decimal("1E+2")) == 1.0
    assert score_completion("\\boxed{1}", reference=Decimal("NaN")).score is None
    assert score_completion("\\boxed{1}", reference=True).score is None


class _DuckScalar:
    """Something with numpy's `.item()` but no numpy: a tensor-like scalar."""

    def item(self):
        return 12


def test_duck_typed_scalars_are_unwrapped():
    assert compute_score("x", "\\boxed{12}", _DuckScalar()) == 1.0


def test_boxes_follow_the_shared_extraction_policy():
    assert extract_answer(r"\boxed{1}\boxed{2}") == "1, 2"
    assert extract_answer("We get \\boxed{12} for the tank, so the final answer is 6.") == "6"
    assert compute_score("x", "so \\boxed{1} \\quad\\text{and}\\quad \\boxed{2}", "\\{1, 2\\}") == 1.0


@pytest.mark.parametrize(
    ("reference", "answer"),
    [(1e-05, "0.00001"), (1e20, "100000000000000000000"), (2.5e-07, "2.5 \\times 10^{-7}")],
)
def test_float_reference_in_scientific_notation_scores_right_answers(reference, answer):
    # repr(1e-05) is '1e-05', which was read as 1*e - 5: a right answer scored 0
    assert compute_score("x", f"The answer is {answer}.", reference) == 1.0
