"""bench/thinking_modes.py runs end to end on a test double, so the script cannot rot."""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import re
import sys
from pathlib import Path

import pytest

from reasoning.llm._base import BackendError
from reasoning.llm._scripted import ScriptedBackend

pytest.importorskip("reasoning_gym")

ROOT = Path(__file__).resolve().parents[2]


def _load_bench():
    spec = importlib.util.spec_from_file_location("thinking_modes", ROOT / "bench" / "thinking_modes.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["thinking_modes"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


@pytest.fixture(scope="module")
def items():
    items, skipped = bench.make_items(bench.TASKS, 2, seed=0)
    assert not skipped
    return items


def _oracle_replies(items):
    """A scripted model that knows reasoning-gym's answers: right in the direct prompt, right
    with a <RETURN> block elsewhere (whatever the worker prompt asks, a claim line is checked)."""
    answers = {item.problem.text: item.entry["answer"] for item in items}

    def reply(messages):
        prompt = "\n".join(message["content"] for message in messages)
        for text, answer in answers.items():
            if text in prompt:
                if "<ANSWER>" in prompt:
                    return f"Easy. <ANSWER>{answer}</ANSWER>"
                return f"<RETURN>{answer}</RETURN>"
        return "I do not know."

    return reply


def test_every_mode_runs_on_two_items_per_task_within_the_budget(items):
    backend = ScriptedBackend(_oracle_replies(items))
    lines = []
    rows = bench.run_bench(items, backend, budget_tokens=32, k=4, progress=lines.append)
    assert len(rows) == len(items) * len(bench.MODES) == 20
    assert len(lines) == 20 and all(re.match(r"\[\d/4\] ", line) for line in lines)
    for row in rows:
        assert "error" not in row, row
        assert 0.0 <= row["score"] <= 1.0
        assert row["tokens"] <= 32  # the same budget in every mode
    for row in (r for r in rows if r["mode"] in ("sequential", "parallel", "mixed")):
        assert row["score"] == 1.0 and row["verified"], row  # the right answer, checked both ways
    assert any(r["mode"] == "forkjoin" and r["verified"] for r in rows)
    summary = bench.summarize(rows, bench.MODES, bench.TASKS)
    assert {(s["mode"], s["task"]) for s in summary} == {(m, t) for m in bench.MODES for t in bench.TASKS}
    table = bench.modes_table(summary)
    assert all(mode in table for mode in bench.MODES) and "verified" in table
    # mixed races the model against the solver: every joined claim names its producer
    mixed = [r for r in rows if r["mode"] == "mixed"]
    assert all(sum(r["producers"].values()) >= r["llm_claims"] for r in mixed)
    assert all("symbolic" in r["by_worker"] for r in mixed)


def test_the_proposer_mode_says_not_available_until_solve_has_the_option(items, monkeypatch):
    monkeypatch.setattr(bench, "proposer_available", lambda: False)
    rows = bench.run_bench(items, ScriptedBackend(["x"]), modes=("proposer",), budget_tokens=32, k=4)
    assert rows and all(r["unavailable"] == bench.NOT_AVAILABLE and not r["answered"] for r in rows)
    table = bench.modes_table(bench.summarize(rows, ("proposer",), bench.TASKS))
    assert table.count(" n/a ") == len(bench.TASKS)


def test_a_wrong_model_scores_zero_and_is_not_verified(items):
    backend = ScriptedBackend(["<ANSWER>1 + 1 + 1 + 1 + 1 + 1 + 1</ANSWER>"])
    rows = bench.run_bench(items, backend, modes=("sequential", "parallel"), budget_tokens=64, k=4)
    assert all(r["score"] < 1.0 and not r["verified"] for r in rows if r["task"] == "countdown")


def test_the_budget_wrapper_caps_every_call_and_then_refuses():
    inner = ScriptedBackend([" ".join(["word"] * 50)])
    capped = bench.BudgetBackend(inner, 30)

    async def calls():
        first = await capped.generate("hi", max_tokens=20)
        second = await capped.generate("hi", max_tokens=20)
        return first, second

    first, second = asyncio.run(calls())
    assert (first.completion_tokens, second.completion_tokens, capped.spent) == (20, 10, 30)
    with pytest.raises(BackendError) as caught:
        asyncio.run(capped.generate("hi", max_tokens=5))
    assert caught.value.kind == "budget"


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("so <ANSWER> 2 * 3 + 4 </ANSWER> done", "2 * 3 + 4"),
        ("unclosed <ANSWER>11", "11"),
        ("no tag\n\n  42  \n", "42"),
        ("", ""),
    ],
)
def test_answers_are_extracted_from_the_tag_or_the_last_line(text, answer):
    assert bench.extract_answer(text) == answer


class _RecordingSampler(ScriptedBackend):
    """Test double: records the n and max_tokens of every k-sample call, answers 'word' * 10."""

    def __init__(self):
        super().__init__([" ".join(["word"] * 10)])
        self.calls = []

    async def generate(self, prompt, *, grammar=None, n=1, **params):
        self.calls.append((n, params.get("max_tokens")))
        return await super().generate(prompt, n=n, **params)


def test_a_k_sample_call_the_budget_cannot_hold_draws_fewer_samples_not_shorter_ones():
    inner = _RecordingSampler()
    capped = bench.BudgetBackend(inner, 64, sample_tokens=16)
    first = asyncio.run(capped.generate("hi", n=16, max_tokens=48, grammar='start: "x"'))
    # 64 tokens hold 4 samples of 16 (before the fix: 16 samples of 64 // 16 = 4 tokens)
    assert inner.calls == [(4, 16)] and len(first.samples) == 4
    assert capped.spent == 40
    with pytest.raises(BackendError) as caught:  # 24 left: one sample of 16 fits, then nothing
        asyncio.run(capped.generate("hi", n=16, max_tokens=48, grammar='start: "x"'))
        asyncio.run(capped.generate("hi", n=16, max_tokens=48, grammar='start: "x"'))
    assert caught.value.kind == "budget" and inner.calls[1] == (1, 16)
    assert capped.spent <= 64


def test_forkjoin_is_the_free_text_path_and_the_proposer_mode_asks_for_the_proposer(items, monkeypatch):
    seen = []
    import reasoning.engine._solve as solving

    real = solving.solve

    @functools.wraps(real)  # the bench reads solve's signature
    def spy(problem, **options):
        seen.append(options.get("proposer"))
        return real(problem, **options)

    monkeypatch.setattr(solving, "solve", spy)
    backend = ScriptedBackend(_oracle_replies(items))
    bench.run_bench(items[:1], backend, modes=("forkjoin", "proposer", "mixed"), budget_tokens=32, k=2)
    # solve's default is proposer=True: forkjoin must switch it off to be the free-text peer
    assert seen == [False, True, True]


def test_a_saved_partial_run_renders_its_table_with_the_items_it_reached(items, tmp_path, capsys):
    rows = bench.run_bench(items[:1], ScriptedBackend(["x"]), modes=("sequential",), budget_tokens=16, k=2)
    saved = {
        "config": {"modes": ["sequential"], "tasks": list(bench.TASKS), "items_per_task": 50, "k": 2},
        "rows": rows,
    }
    path = tmp_path / "partial.json"
    path.write_text(bench.json.dumps(saved))
    assert bench.main(["--from-json", str(path)]) == 0
    out = capsys.readouterr().out
    assert "countdown 1, basic_arithmetic 0 (asked 50)" in out and "sequential" in out
