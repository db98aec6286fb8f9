"""Issue 12, third red team (from the outside): wrong verdicts and unsealed checks found by
hostile edits and inputs. Each test fails on the code before its fix."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from proofs.check import check_verdict, states_a_verdict
from reasoning import verify
from reasoning.cli._main import app

runner = CliRunner()


def _refuted_line() -> dict:
    verdict = json.loads(runner.invoke(app, ["verify", "--json", "2 + 2 = 5"]).stdout)
    assert verdict["status"] == "refuted"
    return verdict


@pytest.mark.parametrize(
    "edit",
    [
        lambda v: v.pop("claim"),  # no claim: it was re-checked as its bare certificate
        lambda v: v.update(kind="counterexample", assignment={}),  # a `kind`: the same
    ],
)
def test_a_verdict_edited_to_proved_stays_a_verdict_without_its_claim_or_with_a_kind(tmp_path, edit):
    verdict = _refuted_line()
    verdict["status"] = "proved"
    verdict["counterexample"] = None
    edit(verdict)
    assert states_a_verdict(verdict)
    path = tmp_path / "verdict.json"
    path.write_text(json.dumps(verdict))
    result = runner.invoke(app, ["check", str(path), "--no-cvc5"])
    assert result.exit_code == 1, result.output
    assert "FAILED" in result.output


def test_bare_certificates_still_check_as_certificates(tmp_path):
    cert = _refuted_line()["certificate"]
    assert not states_a_verdict(cert)
    path = tmp_path / "cert.json"
    path.write_text(json.dumps(cert))
    assert runner.invoke(app, ["check", str(path), "--no-cvc5"]).exit_code == 0


def test_a_proved_verdict_showing_another_witness_fails():
    verdict = verify("exists x in Int: x^2 = 4").to_json()
    assert check_verdict(verdict, use_cvc5=False).ok
    verdict["details"]["witness"] = {"x": "3"}  # not a witness at all; it passed
    report = check_verdict(verdict, use_cvc5=False)
    assert not report.ok and "witness" in report.message


def test_the_mcp_check_holds_a_verdict_with_a_kind_to_its_status():
    pytest.importorskip("mcp")
    from reasoning.service._mcp import _check

    verdict = _refuted_line()
    verdict.update(status="proved", counterexample=None, kind="counterexample", assignment={})
    assert not _check(verdict, use_cvc5=False).ok


@pytest.mark.parametrize(
    ("gold", "prediction"),
    [
        ("0.333...", "0.333"),  # was equivalent: the ellipsis was stripped as a full stop
        ("1.5", "1.5..."),  # was equivalent
        ("1/3", "0.333..."),  # was refuted: a right answer, written with an ellipsis
    ],
)
def test_a_trailing_ellipsis_is_not_a_full_stop(gold, prediction):
    from reasoning import equivalent

    assert equivalent(gold, prediction).equivalent is None
    assert equivalent("5", "5.").equivalent is True


# ---------------------------------------------------------------- bundles


def _bundle(task: dict, tmp_path) -> dict:
    from reasoning.engine._solve import solve

    result = solve(task, out=tmp_path / "run", budget_s=60)
    assert result.verified, result.message
    return json.loads((tmp_path / "run" / "bundle.json").read_text())


def _check(bundle: dict):
    from reasoning.engine._bundle import check_bundle

    return check_bundle(bundle, use_cvc5=False)


def test_a_join_whose_claims_do_not_answer_its_recorded_query_fails(tmp_path):
    bundle = _bundle(
        {
            "text": "d",
            "unknowns": {"x": "Real"},
            "constraints": ["x > 2"],
            "goal": {"kind": "decide", "claim": "x^2 > 4"},
        },
        tmp_path,
    )
    assert _check(bundle).ok
    for edit in ("prove: x^3 > 4", None):  # another question, or none: the join stood
        data = json.loads(json.dumps(bundle))
        for node in data["graph"]["nodes"]:
            if node.get("kind") == "attempt":
                if edit is None:
                    del node["query"]
                else:
                    node["query"] = edit
        report = _check(data)
        assert not report.ok and report.first_failure.name.startswith("join"), report.first_failure


def test_a_domain_bundle_keeps_its_claims_obligations_and_its_answer_proof_shape(tmp_path):
    bundle = _bundle({"domain": "countdown", "numbers": [1, 2, 3, 4], "target": 10}, tmp_path)
    assert _check(bundle).ok
    data = json.loads(json.dumps(bundle))
    data["claims"][0]["obligation"] = "3 * 3 + 4"  # an obligation that is not the claim passed
    assert not _check(data).ok
    data = json.loads(json.dumps(bundle))
    data["answer"]["obligations"][0]["verdict"]["counterexample"] = {"assignment": {}}
    assert not _check(data).ok  # a proof that shows a counterexample passed


@pytest.mark.parametrize(
    ("domain", "fields", "answer"),
    [
        ("sudoku", {"grid": "1..4....2......1"}, "1234341221434321 unique\n1234341221434321"),
        ("futoshiki", {"grid": "....", "constraints": ["r1c1<r1c2"]}, "1221 unique\n1221"),
    ],
)
def test_a_grid_answer_repeating_its_grid_without_unique_is_rejected(domain, fields, answer):
    # `GRID unique` then `GRID` was proved: only identical lines counted as a repeat
    from reasoning.domains import get

    problem = get(domain).parse(fields)
    check = get(domain).check_answer(problem, answer, budget_s=5)
    assert check.status.value == "invalid" and "twice" in check.message


def test_a_claim_verdict_carrying_a_domain_certificate_fails(tmp_path):
    # The equations domain proves `x = 2` is a root of x^2 - 5x + 6 = 0; wrapped as a verdict
    # for the claim `x = 2` (for every x: false, `reason verify` refutes it) it passed.
    from reasoning.domains import get, load

    problem = load({"domain": "equations", "equation": "x^2 - 5x + 6 = 0"})
    cert = get("equations").check_claim(problem, "x = 2", budget_s=5).certificate
    forged = {"claim": "x = 2", "status": "proved", "certificate": cert, "counterexample": None}
    assert not check_verdict(forged, use_cvc5=False).ok
    path = tmp_path / "verdict.json"
    path.write_text(json.dumps(forged))
    assert runner.invoke(app, ["check", str(path), "--no-cvc5"]).exit_code == 1
    assert verify("x = 2").status.value == "refuted"


def test_evaluate_is_not_answered_by_its_own_expression():
    from reasoning.engine._subqueries import unanswered

    assert unanswered("evaluate: 12 * 7", [], "12 * 7 = 12*7") is not None  # was accepted
    assert unanswered("evaluate: 12 * 7", [], "12 * 7 = 84") is None
    assert unanswered("evaluate: 12 * 7", [], "84 = 12 * 7") is None
