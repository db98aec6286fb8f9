"""Issue 12, red team 3 (false alarms): valid runs and right answers that a check rejected.
Each test fails on the code before its fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import reasoning
from reasoning.engine._bundle import check_bundle


def _solve(task: dict, tmp_path) -> dict:
    result = reasoning.solve(task, out=tmp_path, capacity=4)
    assert result.verified, result.message
    return json.loads(Path(result.bundle).read_text())


def _sorted(bundle: dict) -> dict:
    return json.loads(json.dumps(bundle, sort_keys=True))


TASKS = [
    {  # unknowns declared out of alphabetical order: sorted keys re-ordered them
        "text": "find",
        "unknowns": {"y": "Int", "x": "Int"},
        "constraints": ["x + y = 10", "x = 3"],
        "goal": {"kind": "find", "unknowns": ["y", "x"], "unique": True},
    },
    {
        "text": "all",
        "unknowns": {"w": "Real", "v_2": "Int"},
        "constraints": ["v_2^2 = 4", "w = 6"],
        "goal": {"kind": "all"},
    },
    {
        "text": "decide",
        "unknowns": {"p": "Real", "b": "Int", "a": "Int"},
        "constraints": ["a + b = 8", "b = 2", "p = a"],
        "goal": {"kind": "decide", "claim": "a > 0"},
    },
]


@pytest.mark.parametrize("task", TASKS, ids=["find-unique", "all", "decide"])
def test_a_bundle_stored_with_sorted_keys_still_rechecks(tmp_path, task):
    bundle = _solve(task, tmp_path)
    assert check_bundle(bundle, use_cvc5=False).ok
    report = check_bundle(_sorted(bundle), use_cvc5=False)
    assert report.ok, report.first_failure


def test_a_sorted_bundle_with_a_changed_sort_still_fails(tmp_path):
    bundle = _sorted(_solve(TASKS[0], tmp_path))
    bundle["task"]["unknowns"]["x"] = "Real"  # another task: only key order is forgiven
    assert not check_bundle(bundle, use_cvc5=False).ok
