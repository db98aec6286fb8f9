"""schemathesis against the server's own OpenAPI document: generated requests on every
operation; the server must never answer 5xx, must accept every request the document admits
("schema-valid request rejected" is a failure), and its answers must match the document. The
fast tests check that the document states the caps the handlers enforce."""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from reasoning.service._http import create_app, serve_in_background
from reasoning.service._limits import Settings

TOKEN = "schema-token-0123"

# Small budgets: generated claims and tasks may be expensive, the test is about the server's answers.
SETTINGS = Settings(
    port=0,
    token=TOKEN,
    workers=2,
    max_claims=16,
    default_budget_s=0.5,
    max_budget_s=1.0,
    default_solve_budget_s=2.0,
    max_solve_budget_s=2.0,
    kill_slack_s=2.0,
)


APP = create_app(SETTINGS)
# The document is the one the app serves (checked below); loaded from the app so that collection
# needs no running server. The requests go to a real server on loopback.
schema = schemathesis.openapi.from_dict(APP.openapi())


@pytest.fixture(scope="module")
def api_url():
    with serve_in_background(APP) as url:
        yield url


def test_the_document_is_the_one_the_server_serves(api_url):
    assert httpx.get(api_url + "/openapi.json").json() == APP.openapi()


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_no_valid_request_refused_and_answers_match_the_document(case, api_url):
    case.call_and_validate(
        base_url=api_url,
        headers={"Authorization": f"Bearer {TOKEN}"},
        checks=[
            not_a_server_error,
            positive_data_acceptance,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )


def _request_schema(name: str) -> dict:
    return APP.openapi()["components"]["schemas"][name]


def _budget_maximum(properties: dict) -> float:
    return next(b["maximum"] for b in properties["budget_s"]["anyOf"] if b.get("type") == "number")


def test_the_document_states_the_caps_the_server_enforces():
    verify = _request_schema("VerifyRequest")["properties"]
    assert _budget_maximum(verify) == SETTINGS.max_budget_s
    assert verify["claims"]["maxItems"] == SETTINGS.max_claims
    assert verify["claims"]["items"]["maxLength"] == SETTINGS.max_claim_chars
    for shape in _request_schema("EquivRequest")["oneOf"] + _request_schema("CheckRequest")["oneOf"]:
        assert _budget_maximum(shape["properties"]) == SETTINGS.max_budget_s
    assert _budget_maximum(_request_schema("SolveRequest")["properties"]) == SETTINGS.max_solve_budget_s
    pair = _request_schema("Pair")["properties"]
    assert pair["gold"]["maxLength"] == pair["prediction"]["maxLength"] == SETTINGS.max_claim_chars


def test_the_caps_in_the_document_are_the_ones_the_handlers_enforce():
    client = TestClient(APP)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    cap = SETTINGS.max_budget_s
    assert (
        client.post("/v1/verify", json={"claims": ["1 = 1"], "budget_s": cap}, headers=auth).status_code
        == 200
    )
    assert (
        client.post("/v1/verify", json={"claims": ["1 = 1"], "budget_s": cap * 1.5}, headers=auth).status_code
        == 422
    )
    longest = "1" * (SETTINGS.max_claim_chars - 4) + " = 1"
    assert client.post("/v1/verify", json={"claims": [longest]}, headers=auth).status_code == 200
    assert client.post("/v1/verify", json={"claims": [longest + " "]}, headers=auth).status_code == 422
    many = {"claims": ["1 = 1"] * (SETTINGS.max_claims + 1)}
    assert client.post("/v1/verify", json=many, headers=auth).status_code == 413


def test_the_one_of_rules_are_in_the_document():
    equiv = _request_schema("EquivRequest")["oneOf"]
    assert [sorted(shape["required"]) for shape in equiv] == [["gold", "prediction"], ["pairs"]]
    assert all(shape["additionalProperties"] is False for shape in equiv)
    check = _request_schema("CheckRequest")["oneOf"]
    assert [shape["required"] for shape in check] == [["certificate"], ["certificates"], ["bundle"]]


def test_the_task_schema_has_one_closed_schema_per_domain_and_the_plain_task_with_a_goal():
    from reasoning.domains import get, names

    components = APP.openapi()["components"]["schemas"]
    for name in names():
        title = "".join(part.capitalize() for part in name.replace("-", "_").split("_")) + "Task"
        task = components[title]
        assert task["properties"]["domain"]["const"] == name
        assert task["additionalProperties"] is False
        required = {field for field, spec in get(name).fields.items() if spec.required}
        assert set(task["required"]) == {"domain"} | required
    assert components["CountdownTask"]["properties"]["numbers"]["items"]["type"] == "integer"
    plain = components["PlainTask"]
    assert {"text", "unknowns", "constraints", "goal"} <= set(plain["properties"])
    assert {"FindGoal", "AllGoal", "DecideGoal"} <= set(components)


def test_the_readme_limits_table_is_the_limits_the_code_uses():
    from pathlib import Path

    from reasoning.service._limits import LIMITS

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("**Limits.**", 1)[1].split("\n\n", 2)[1]
    rows = {line.split("|")[1].strip(): line.split("|")[2].strip() for line in table.splitlines()[2:]}

    def n(value: float) -> str:
        return f"{value:,.0f}" if value == int(value) else f"{value:g}"

    assert rows["characters per claim or answer"] == n(LIMITS.max_claim_chars)
    assert rows["claims, pairs or certificates per request"] == n(LIMITS.max_items)
    assert rows["request body"] == f"{n(LIMITS.max_body_bytes)} bytes"
    assert rows["budget per claim, pair or certificate"] == (
        f"{n(LIMITS.default_budget_s)} s default, at most {n(LIMITS.max_budget_s)} s"
    )
    assert rows["budget per solve run"] == (
        f"{n(LIMITS.default_solve_budget_s)} s default, at most {n(LIMITS.max_solve_budget_s)} s"
    )
    assert rows["any budget"] == f"at most {n(LIMITS.budget_ceiling_s)} s"
    assert f"Limits: {n(LIMITS.max_claim_chars)} characters" in readme  # the claim language's own


def test_a_claim_as_long_as_the_readme_allows_is_accepted_and_a_flag_changes_the_limit():
    from reasoning.service._limits import LIMITS

    claim = "1" * 14_000 + " = 1"
    app = create_app(Settings(port=0, workers=1))
    response = TestClient(app).post("/v1/verify", json={"claims": [claim]})
    assert response.status_code == 200, response.text
    assert LIMITS.max_claim_chars == 20_000
    small = create_app(Settings(port=0, workers=1, max_claim_chars=100))
    response = TestClient(small).post("/v1/verify", json={"claims": [claim]})
    assert response.status_code == 422 and "the limit is 100" in response.json()["message"]


def test_the_document_describes_the_body_limit_no_schema_can_state():
    info = APP.openapi()["info"]["description"]
    assert f"{SETTINGS.max_body_bytes} bytes per body" in info
    assert f"at most {SETTINGS.max_claims} claims" in info
