"""schemathesis against the server's own OpenAPI document: generated requests, valid and not,
on every operation; the server must never answer 5xx, and its answers must match the document."""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from reasoning.server import create_app, serve_in_background
from reasoning.server_limits import Settings

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


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_answers_match_the_document(case, api_url):
    case.call_and_validate(
        base_url=api_url,
        headers={"Authorization": f"Bearer {TOKEN}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
