"""Verified rewards for RL: the TRL and verl reward functions on real-shaped inputs.

Run it: `python examples/rewards_example.py` (no TRL or verl needed; it calls the functions the
way the trainers do).

With TRL (`pip install trl`), pass the reward function to the trainer; the dataset's `solution`
(or `answer`, `ground_truth`, ...) column, or a `task` column of domain tasks, reaches it as a
keyword argument:

    from trl import GRPOConfig, GRPOTrainer
    from reasoning.rewards import make_trl_reward

    trainer = GRPOTrainer(
        model="Qwen/Qwen2.5-0.5B-Instruct",
        reward_funcs=[make_trl_reward(budget_s=2.0)],
        args=GRPOConfig(output_dir="out"),
        train_dataset=dataset,  # columns: prompt, solution
    )

With verl, name the function in the config:

    custom_reward_function.path=pkg://reasoning.rewards
    custom_reward_function.name=compute_score
    +custom_reward_function.reward_kwargs.budget_s=2.0
"""

from __future__ import annotations

import json

from reasoning.rewards import compute_score, make_trl_reward, verified_reward


def trl_batch() -> None:
    # What GRPOTrainer passes: one entry per completion (num_generations per prompt), the
    # dataset's columns repeated to match, plus its own keyword arguments.
    prompts = [[{"role": "user", "content": "What is 1/2 + 1/4?"}]] * 3 + [
        [{"role": "user", "content": "Factor x^2 - 1."}]
    ]
    completions = [
        [{"role": "assistant", "content": "1/2 + 1/4 = 2/4 + 1/4, so the answer is \\boxed{\\frac{3}{4}}."}],
        [{"role": "assistant", "content": "Adding gives <answer>0.75</answer>"}],
        [{"role": "assistant", "content": "I think it is \\boxed{\\frac{2}{6}}"}],
        [{"role": "assistant", "content": "x^2 - 1 = <answer>(x - 1)(x + 1)</answer>"}],
    ]
    solution = ["\\frac{3}{4}", "\\frac{3}{4}", "\\frac{3}{4}", "x^2 - 1"]
    rewards = verified_reward(
        prompts=prompts,
        completions=completions,
        completion_ids=[[0]] * 4,
        trainer_state=None,
        solution=solution,
        level=["easy"] * 4,  # other columns are ignored
    )
    print("TRL rewards (boxed 3/4, 0.75, wrong 2/6, factored):", rewards)
    assert rewards == [1.0, 1.0, 0.0, 1.0], rewards

    # No reference for a row: None, which TRL reads as "this reward does not apply here".
    print(
        "TRL rewards with a missing reference:",
        verified_reward(["\\boxed{3}", "\\boxed{3}"], answer=["3", None]),
    )


def trl_domain_tasks() -> None:
    # A `task` column of domain tasks: the answer is checked against the task's rules.
    reward = make_trl_reward(budget_s=2.0, name="countdown_reward")
    task = {"domain": "countdown", "numbers": [3, 7, 25, 50], "target": 71, "rule": "at-most-once"}
    completions = ["Use 50 + 25 - 7 + 3: <answer>50 + 25 - 7 + 3</answer>", "<answer>50 + 25 - 3</answer>"]
    print(f"{reward.__name__} (right, wrong):", reward(completions, task=[task, json.dumps(task)]))
    details = reward.score_batch(completions, task=[task, task])
    print("  why the second is wrong:", details[1].status, "-", details[1].message)


def verl_calls() -> None:
    # What verl's reward manager passes for each response.
    response = "Natalia sold 48 / 2 = 24 clips in May, 48 + 24 = 72 altogether.\n#### 72"
    print("verl score (GSM8K, right):", compute_score("openai/gsm8k", response, "72", {"split": "train"}))
    print("verl score (MATH, wrong):", compute_score("math", "so \\boxed{\\sqrt{2}}", "\\frac{\\sqrt{2}}{2}"))
    print("verl score (power tower, bounded):", compute_score("math", "\\boxed{9^{9^{9^{9}}}}", "1"))


if __name__ == "__main__":
    trl_batch()
    trl_domain_tasks()
    verl_calls()
