"""The MCP tools' contracts: per-domain task schemas, the `detail` argument, clean descriptions
and the service's limits, through the SDK's client on an in-process server."""

from __future__ import annotations

import json

import pytest

from reasoning.service._limits import LIMITS
from reasoning.service._mcp import build_server
from tests.service.test_mcp import HeldSession

SUDOKU = "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79"


@pytest.fixture(scope="module")
def session():
    held = HeldSession(build_server())
    yield held
    held.close()


def _tools(session) -> dict:
    return {tool.name: tool for tool in session.run(session.client.list_tools()).tools}


def _structured(result) -> dict:
    assert not result.is_error, result.content
    return result.structured_content


def test_solve_task_has_a_closed_input_schema_per_domain(session):
    from reasoning.domains import get, names

    schema = _tools(session)["solve_task"].input_schema
    defs = schema["$defs"]
    for name in names():
        model = next(
            d for d in defs.values() if d.get("properties", {}).get("domain", {}).get("const") == name
        )
        assert set(model["properties"]) == {"domain", *get(name).fields}
        assert model["additionalProperties"] is False
    countdown = next(
        d for d in defs.values() if d.get("properties", {}).get("domain", {}).get("const") == "countdown"
    )
    assert countdown["properties"]["numbers"]["items"]["type"] == "integer"
    assert {"numbers", "target"} <= set(countdown["required"])
    assert {"text", "unknowns", "constraints", "goal"} <= set(defs["PlainTask"]["properties"])
    assert schema["properties"]["detail"]["enum"] == ["summary", "full"]


def test_a_task_with_a_wrong_field_type_is_refused_by_the_schema(session):
    result = session.call("solve_task", {"task": {"domain": "countdown", "numbers": "1 2", "target": 3}})
    assert result.is_error and "numbers" in " ".join(block.text for block in result.content)


def test_a_9x9_sudoku_summary_is_small_and_full_has_the_certificates_and_bundle(session):
    task = {"domain": "sudoku", "grid": SUDOKU}
    summary = _structured(session.call("solve_task", {"task": task, "budget_s": 60}, timeout=120))
    assert summary["verified"] is True and len(summary["answers"]) == 1
    assert all(item["certificate"] is None for item in summary["certificates"])
    assert summary["bundle"] is None
    full = _structured(
        session.call("solve_task", {"task": task, "budget_s": 60, "detail": "full"}, timeout=120)
    )
    assert full["certificates"][0]["certificate"] and full["bundle"]
    small, large = len(json.dumps(summary)), len(json.dumps(full))
    # A 9x9 uniqueness proof is a deduction tree (about 1.5 KB), no longer a 30 KB Z3 script.
    assert small < 4000 and large > 5 * small, (small, large)


def test_verify_claims_summary_keeps_counterexamples_and_drops_certificates(session):
    out = _structured(session.call("verify_claims", {"claims": ["(x+1)^2 = x^2 + 1", "1 + 1 = 2"]}))
    refuted, proved = out["verdicts"]
    assert refuted["status"] == "refuted" and refuted["counterexample"] and refuted["certificate"] is None
    assert proved["status"] == "proved" and proved["certificate"] is None
    full = _structured(session.call("verify_claims", {"claims": ["1 + 1 = 2"], "detail": "full"}))
    assert full["verdicts"][0]["certificate"]["kind"]
    answer = _structured(session.call("check_answer", {"gold": "1/2", "prediction": "0.5"}))
    assert answer["equivalent"] is True and answer["certificate"] is None


def test_tool_descriptions_have_no_docstring_indentation(session):
    for tool in _tools(session).values():
        assert not any(line.startswith(" ") for line in tool.description.splitlines()), tool.name


def test_the_tools_take_the_services_limits(session):
    tools = _tools(session)
    claims = tools["verify_claims"].input_schema["properties"]["claims"]
    assert claims["maxItems"] == LIMITS.max_items
    assert claims["items"]["maxLength"] == LIMITS.max_claim_chars
    assert tools["verify_claims"].input_schema["properties"]["budget_s"]["maximum"] == LIMITS.max_budget_s
    assert tools["solve_task"].input_schema["properties"]["budget_s"]["maximum"] == LIMITS.max_solve_budget_s
