"""`--model` specs: what servers print is accepted, and an openai spec is checked before a run."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from reasoning import solve
from reasoning.api import InvalidArgument
from reasoning.engine._solve import ModelUnavailable, load_model
from reasoning.llm._base import BackendError
from reasoning.llm._scripted import ScriptedBackend
from reasoning.llm._spec import load_backend, parse_model_spec
from tests.llm_servers import fault_server, free_port, serve_app, serve_model

COUNTDOWN = {"domain": "countdown", "numbers": [1, 2, 3, 4], "target": 10}


def _two_models_app() -> Starlette:
    async def models(request):
        return JSONResponse({"object": "list", "data": [{"id": "alpha"}, {"id": "beta"}]})

    return Starlette(routes=[Route("/v1/models", models)])


@pytest.mark.parametrize("tail", ["/v1", "/v1/"])
def test_the_base_url_alone_parses_as_no_model_not_as_model_v1(tail):
    spec = parse_model_spec(f"openai:http://127.0.0.1:18120{tail}")
    assert (spec.base_url, spec.model) == ("http://127.0.0.1:18120/v1", None)
    assert str(spec) == "openai:http://127.0.0.1:18120/v1"


def test_a_named_model_still_parses_with_slashes():
    spec = parse_model_spec("openai:http://h:1/v1/Org/Model-1")
    assert (spec.base_url, spec.model) == ("http://h:1/v1", "Org/Model-1")


def test_the_base_url_alone_takes_the_servers_only_model():
    with serve_model(ScriptedBackend(["x = 1"], name="served-one")) as root:
        backend, owned = load_model(f"openai:{root}/v1")
        try:
            assert owned and backend.model == "served-one" and backend.base_url == root + "/v1"
        finally:
            backend.close()


def test_a_server_with_several_models_asks_for_a_name():
    expected = r"serves 2 models \(alpha, beta\); name one"
    with serve_app(_two_models_app()) as root, pytest.raises(InvalidArgument, match=expected):
        load_backend(f"openai:{root}/v1")


def test_a_model_the_server_does_not_list_is_refused_before_the_run():
    served = serve_model(ScriptedBackend(["x = 1"], name="served-one"))
    with served as root, pytest.raises(ModelUnavailable, match="has no model 'nope'.*served-one"):
        solve(COUNTDOWN, worker_kind="llm", model=f"openai:{root}/v1/nope", out=False)


def test_an_unreachable_server_is_refused_before_the_run():
    port = free_port()
    with pytest.raises(ModelUnavailable, match="cannot reach"):
        solve(COUNTDOWN, worker_kind="llm", model=f"openai:http://127.0.0.1:{port}/v1/m", out=False)
    with pytest.raises(BackendError, match="cannot reach"):
        load_backend(f"openai:http://127.0.0.1:{port}/v1")


def test_a_wrong_path_says_it_is_not_the_base_url():
    with fault_server("html") as root, pytest.raises(BackendError, match="404.*base URL"):
        load_backend(f"openai:{root}/api/v1")


def test_the_cli_refuses_an_unreachable_model_before_the_run_and_prints_the_spec_as_written():
    from typer.testing import CliRunner

    from reasoning.cli._main import app

    port = free_port()
    spec = f"openai:http://127.0.0.1:{port}/x:"
    args = ["solve", "arithmetic", "--expression", "1+1", "--workers", "llm", "--model", spec]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "cannot reach" in result.stderr and "❌" not in result.stderr
    assert f"127.0.0.1:{port}/x:" in result.stderr.replace("\n", "")
    assert "answer" not in result.stdout  # no run took place
