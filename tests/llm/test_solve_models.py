"""`solve` and `reason solve` with models: worker kinds, organizers, producers, the fallback when
the model cannot be loaded, and (slow) a run on the real packaged model."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from reasoning.api import InvalidArgument
from reasoning.cli._main import app
from reasoning.domains.common._expressions import evaluate, parse_expression
from reasoning.engine._solve import ModelUnavailable, solve
from reasoning.llm._base import BackendError
from reasoning.llm._scripted import ScriptedBackend

ARITHMETIC = {"domain": "arithmetic", "expression": "3 * 8 + 2 * 5"}
COUNTDOWN = {"domain": "countdown", "numbers": [1, 2, 3, 4], "target": 10}


@pytest.fixture
def fake_loader(monkeypatch):
    """Replace `load_backend` (what `--model` specs go through) by a function of the test's."""
    import reasoning.llm._spec

    def install(function):
        monkeypatch.setattr(reasoning.llm._spec, "load_backend", function)

    return install


def test_the_python_api_defaults_to_symbolic_workers_and_never_loads_a_model(fake_loader):
    def refuse(spec=None, **options):
        raise AssertionError("a model was loaded")

    fake_loader(refuse)
    result = solve(ARITHMETIC, out=False, model="local")
    assert result.verified and result.worker_kind == "symbolic" and result.model is None
    assert result.producers and {p["worker"] for p in result.producers} == {"symbolic"}
    data = result.to_json()
    assert {"producers", "worker_kind", "organizer", "model", "warnings"} <= set(data)


@pytest.mark.parametrize(
    "error", [ImportError("No module named 'torch'"), BackendError("no weights", kind="model")]
)
def test_mixed_falls_back_to_symbolic_workers_when_the_model_cannot_be_loaded(fake_loader, error):
    def broken(spec=None, **options):
        raise error

    fake_loader(broken)
    result = solve(COUNTDOWN, worker_kind="mixed", out=False)
    assert result.verified and result.worker_kind == "symbolic"
    assert len(result.warnings) == 1 and "fell back to symbolic workers" in result.warnings[0]
    assert str(error) in result.warnings[0]
    with pytest.raises(ModelUnavailable, match="no weights|torch"):
        solve(COUNTDOWN, worker_kind="llm", out=False)
    with pytest.raises(ModelUnavailable):
        solve(COUNTDOWN, organizer="llm", worker_kind="mixed", out=False)


def test_a_backend_whose_lazy_load_fails_is_found_before_the_run(fake_loader):
    class Lazy(ScriptedBackend):
        closed = False

        def load(self):
            raise BackendError("the GGUF file is truncated", kind="model")

        def close(self):
            Lazy.closed = True

    fake_loader(lambda spec=None, **options: Lazy([""]))
    result = solve(COUNTDOWN, worker_kind="mixed", out=False)
    assert result.warnings and "truncated" in result.warnings[0] and Lazy.closed


def test_options_are_checked_at_the_door():
    for options in (
        {"worker_kind": "gpu"},
        {"organizer": "committee"},
        {"max_tokens": 0},
        {"worker_kind": "llm", "model": 42},
        {"worker_kind": "llm", "model": "/no/such/model.gguf"},
    ):
        with pytest.raises(InvalidArgument):
            solve(ARITHMETIC, out=False, **options)


def test_notify_says_when_the_model_loads_and_an_owned_backend_is_closed(fake_loader):
    made = []

    class Owned(ScriptedBackend):
        closed = False

        def close(self):
            self.closed = True

    def make(spec=None, **options):
        made.append(Owned(["the answer is 12"], name="owned"))
        return made[-1]

    fake_loader(make)
    messages = []
    result = solve(ARITHMETIC, worker_kind="mixed", model="local", out=False, notify=messages.append)
    assert result.verified and result.model == "owned" and made[0].closed
    assert messages[0].startswith("loading model local") and "ready" in messages[1]
    given = ScriptedBackend(["x"])
    solve(ARITHMETIC, worker_kind="mixed", model=given, out=False, notify=messages.append)
    assert len(messages) == 2  # a backend object is used as is: nothing loads


def test_llm_workers_with_a_failing_model_end_with_a_message_naming_the_backend():
    backend = ScriptedBackend([BackendError("connection refused", kind="unavailable")])
    result = solve(ARITHMETIC, worker_kind="llm", model=backend, out=False)
    assert not result.verified
    assert "model backend failed (unavailable): connection refused" in result.message


# ---------------------------------------------------------------- reason solve


def test_cli_workers_kind_capacity_and_producers(fake_loader):
    fake_loader(lambda spec=None, **options: ScriptedBackend(["no idea"], name="fake"))
    runner = CliRunner()
    mixed = runner.invoke(app, ["solve", "arithmetic", "--expression", "3 * 8 + 2 * 5", "--json"])
    assert mixed.exit_code == 0, mixed.output
    data = json.loads(mixed.stdout)
    assert data["worker_kind"] == "mixed" and data["model"] == "fake" and data["answers"] == ["34"]
    assert {p["worker"] for p in data["producers"]} == {"symbolic"}  # the model never got one right
    assert "loading model local" in mixed.stderr
    old = runner.invoke(app, ["solve", "arithmetic", "--expression", "3 * 8", "--workers", "2", "--json"])
    assert old.exit_code == 0, old.output
    assert json.loads(old.stdout)["metrics"]["capacity"] == 2
    human = runner.invoke(app, ["solve", "arithmetic", "--expression", "3 * 8", "--workers", "symbolic"])
    assert human.exit_code == 0 and "verified claims" in human.stdout and "by symbolic" in human.stdout
    assert "loading model" not in human.stderr and "deprecated" not in human.stderr
    # The old spelling `--workers solver` still works, with a one-line notice on stderr.
    alias = runner.invoke(
        app, ["solve", "arithmetic", "--expression", "3 * 8", "--workers", "solver", "--json"]
    )
    assert alias.exit_code == 0 and json.loads(alias.stdout)["answers"] == ["24"]
    assert "--workers solver is deprecated; use --workers symbolic" in alias.stderr
    bad = runner.invoke(app, ["solve", "arithmetic", "--expression", "3", "--workers", "gpu"])
    assert bad.exit_code == 2 and "symbolic, llm, mixed" in bad.output
    clash = runner.invoke(
        app, ["solve", "arithmetic", "--expression", "3", "--workers", "2", "--capacity", "3"]
    )
    assert clash.exit_code == 2 and "disagree" in clash.output
    help_text = " ".join(runner.invoke(app, ["solve", "--help"]).output.replace("│", " ").split())
    assert "--capacity" in help_text and "old spelling" in help_text and "--organizer" in help_text


def test_cli_llm_workers_without_a_model_is_a_usage_error(fake_loader):
    def broken(spec=None, **options):
        raise ImportError("No module named 'transformers'")

    fake_loader(broken)
    result = CliRunner().invoke(app, ["solve", "arithmetic", "--expression", "3", "--workers", "llm"])
    assert result.exit_code == 2 and "llm extra" in result.output
    mixed = CliRunner().invoke(app, ["solve", "arithmetic", "--expression", "3"])
    assert mixed.exit_code == 0 and "fell back to symbolic workers" in mixed.stdout


# ---------------------------------------------------------------- the real local model


@pytest.fixture(scope="module")
def local_model():
    pytest.importorskip("transformers")
    from reasoning.llm._local import LocalBackend

    backend = LocalBackend()
    backend.load()
    yield backend
    backend.close()


@pytest.mark.slow
def test_llm_workers_on_the_packaged_model_terminate_and_are_never_wrong_when_verified(local_model):
    task = {"domain": "arithmetic", "expression": "7 + 5"}
    result = solve(
        task, capacity=1, worker_kind="llm", model=local_model, max_tokens=48, budget_s=240, out=False
    )
    assert result.metrics["worker_tokens"] > 0 and result.metrics["critical_path_tokens"] > 0
    assert result.model and result.model.startswith("local:")
    if result.verified:
        assert result.answers == [str(evaluate(parse_expression(task["expression"])))]
        assert all(p["worker"].startswith("llm:local:") for p in result.producers)
