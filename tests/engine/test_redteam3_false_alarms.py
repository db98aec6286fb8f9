"""Issue 12, red team 3 (false alarms): valid runs and right answers that a check rejected.
Each test fails on the code before its fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import reasoning
from reasoning.engine._bundle import check_bundle
from reasoning.engine._formal_task import Formalization, bundle_section, check_recorded, parse_formalization


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


def test_a_formalization_may_write_not_equal_without_spaces():
    # the formal grammar (no factorial) reads `a!=b` as `a != b`; the claim parser refused it
    text = "unknown a, b: Int\nconstraint: a + b = 10\nconstraint: a!=b\nconstraint: a > b\nfind: a"
    parsed = parse_formalization(text, "two numbers")
    assert isinstance(parsed, Formalization), parsed
    assert parsed.task.constraints == ("a + b = 10", "a != b", "a > b")
    assert all(
        check.ok
        for check in check_recorded(
            bundle_section(parsed, status="verified_against_formalization", samples=[]), parsed.task.to_json()
        )
    )
