"""proofs.check: genuine certificates re-check; tampered or foreign ones fail, never crash."""

import copy
import json

import pytest

from proofs.check import check_certificate, check_verdict, established, evidence_problem, solve_with_cvc5
from reasoning import verify

CLAIMS = {
    "exact": "2^10 = 1024",
    "exact-false": "1/2^99 = 1/2^98",
    "polynomial": "(x - 1)(x + 1) = x^2 - 1",
    "counterexample": "(x + 1)^2 = x^2 + 1",
    "smt": "forall n in Int: n^2 >= n",
    "witness": "exists x in Int: x^2 = 9",
    "interval": "pi > 3.14",
    "interval-false": "1 - 1/e = 1 + 1/e",
}


@pytest.mark.parametrize("name", CLAIMS)
def test_genuine_certificates_recheck(name):
    verdict = verify(CLAIMS[name])
    report = check_certificate(verdict.certificate)
    assert report.ok, report


def test_smt_certificates_are_also_checked_by_cvc5():
    report = check_certificate(verify("x >= 0 -> sqrt(x)^2 = x").certificate, use_cvc5=True)
    assert report.ok and report.checks["z3"] == "unsat"
    assert report.checks["cvc5"] in ("unsat", "unavailable")


def test_cvc5_solves_a_script():
    assert solve_with_cvc5("(set-logic ALL)\n(assert (> 1.0 2.0))\n(check-sat)\n", 5.0) in (
        "unsat",
        "unavailable",
    )


def _tampered(name, change):
    cert = copy.deepcopy(verify(CLAIMS[name]).certificate)
    change(cert)
    return check_certificate(cert, use_cvc5=False)


TAMPERINGS = [
    ("exact", lambda c: c.update(holds=False)),
    ("exact", lambda c: c.update(claim="2^10 = 1025")),
    ("exact", lambda c: c["values"][0].update(value="1023")),
    ("counterexample", lambda c: c.update(assignment={"x": "0"})),  # x = 0 satisfies (x+1)^2 = x^2 + 1
    ("counterexample", lambda c: c.update(assignment={})),
    ("counterexample", lambda c: c.update(assignment={"x": "not a number"})),
    ("polynomial", lambda c: c.update(claim="(x - 1)(x + 1) = x^2 + 1")),
    ("smt", lambda c: c.update(script=c["script"].replace(">=", ">"))),
    ("smt", lambda c: c.update(expect="sat")),
    ("smt", lambda c: c.update(claim="forall n in Int: n^2 > n")),
    ("witness", lambda c: c.update(assignment={"x": "2"})),
    ("interval", lambda c: c.update(holds=False)),
    ("interval", lambda c: c.update(digits=10**9)),
    ("interval-false", lambda c: c.update(claim="1 - 1/e = 1 - 1/e")),
]


@pytest.mark.parametrize(("name", "change"), TAMPERINGS)
def test_tampered_certificates_fail(name, change):
    report = _tampered(name, change)
    assert not report.ok
    assert report.message


@pytest.mark.parametrize(
    "cert",
    [
        None,
        [],
        "text",
        {},
        {"kind": 3},
        {"kind": "magic", "claim": "1 = 1"},
        {"kind": "exact", "claim": "1 +"},
        {"kind": "smt", "claim": "pi = 3", "script": "", "expect": "unsat"},
        {"kind": "equivalence", "claims": []},
        {"kind": "equivalence", "claims": [{"kind": "exact", "claim": "1 = 2", "holds": True}]},
    ],
)
def test_malformed_certificates_fail_cleanly(cert):
    report = check_certificate(cert)
    assert not report.ok and report.message


EQUIVALENCE_PAIRS = [
    ("(1,2)", "(1,2,3)"),
    ("\\{1,2\\}", "\\{2,1\\}"),
    ("3", "3"),
    ("x=5", "y=5"),
    ("[0,1)", "[0,1]"),
    ("\\frac{1}{t} + \\frac{1}{s}", "\\frac{t+s}{ts}"),
    ("1/2004!", "1/2006!"),
]


@pytest.mark.parametrize(("gold", "prediction"), EQUIVALENCE_PAIRS)
def test_equivalence_certificates_recheck(gold, prediction):
    from reasoning import equivalent

    result = equivalent(gold, prediction)
    assert result.certificate is not None
    assert check_certificate(result.certificate).ok


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c.update(equivalent=not c["equivalent"]),
        lambda c: c.update(prediction="4"),
        lambda c: c.update(method="syntactic"),
        lambda c: c.update(claims=[]),
        lambda c: c["claims"][0].update(claim="1 = 1", holds=True, values=[]),
    ],
)
def test_forged_equivalence_certificates_fail(change):
    from reasoning import equivalent

    cert = copy.deepcopy(equivalent("x=5", "y=5").certificate)
    change(cert)
    assert not check_certificate(cert).ok


# ---------------------------------------------------------------- sealed verdicts


@pytest.mark.parametrize("name", CLAIMS)
def test_genuine_verdicts_rederive_their_status(name):
    verdict = verify(CLAIMS[name]).to_json()
    report = check_verdict(verdict, use_cvc5=False)
    assert report.ok, report
    assert report.checks["status"] == verdict["status"]


@pytest.mark.parametrize("name", CLAIMS)
def test_a_verdict_with_the_other_status_fails(name):
    verdict = copy.deepcopy(verify(CLAIMS[name]).to_json())
    verdict["status"] = "refuted" if verdict["status"] == "proved" else "proved"
    verdict["counterexample"] = None if verdict["status"] == "proved" else {"assignment": {}}
    assert not check_verdict(verdict, use_cvc5=False).ok


@pytest.mark.parametrize(
    ("kind", "change"),
    [
        ("exact", lambda c: c.pop("values")),
        ("smt", lambda c: c.update(mode="witness")),
        ("interval", lambda c: c.update(digits=41)),
        ("interval", lambda c: c.update(intervals=c["intervals"][::-1])),
    ],
)
def test_recorded_evidence_that_check_certificate_ignores_is_sealed(kind, change):
    name = next(n for n in CLAIMS if n == kind)
    verdict = copy.deepcopy(verify(CLAIMS[name]).to_json())
    change(verdict["certificate"])
    assert evidence_problem(verdict["certificate"])
    assert not check_verdict(verdict, use_cvc5=False).ok


def test_established_reads_each_kind():
    assert established(verify("2 + 2 = 4").certificate) is True
    assert established(verify("(x + 1)^2 = x^2 + 1").certificate) is False
    assert established(verify("exists x in Int: x^2 = 2").certificate) is False  # smt, witness mode
    assert established({"kind": "equivalence", "equivalent": False}) is False
    assert established({"kind": "nonsense"}) is None


@pytest.mark.parametrize(
    "verdict",
    [None, [], {}, {"status": "proved"}, {"status": "maybe", "certificate": None, "counterexample": None}],
)
def test_malformed_verdicts_fail_cleanly(verdict):
    assert not check_verdict(verdict, use_cvc5=False).ok


FORGED_SORT_CERTIFICATES = [
    # n = 1/2 is no integer: these refute nothing about integers
    {
        "kind": "interval",
        "claim": "forall n in Int: sin(n*pi) = 0",
        "holds": False,
        "assignment": {"n": "1/2"},
    },
    {
        "kind": "interval",
        "claim": "forall n in Int: n > 0 -> ln(n) >= 0",
        "holds": False,
        "assignment": {"n": "1/2"},
    },
    {"kind": "counterexample", "claim": "forall n in Int: n^2 != 2*n - 1 + 1/4", "assignment": {"n": "1/2"}},
    # an assignment must name exactly the claim's variables
    {
        "kind": "interval",
        "claim": "forall x in Real: sin(x) = 0 or x = y",
        "holds": False,
        "assignment": {"x": "1"},
    },
    {"kind": "interval", "claim": "sin(1) = 0", "holds": False, "assignment": {"x": "1"}},
]


@pytest.mark.parametrize("cert", FORGED_SORT_CERTIFICATES)
def test_counterexamples_must_respect_sorts_and_variables(cert):
    report = check_certificate(cert, use_cvc5=False)
    assert not report.ok, report


def test_integer_interval_counterexample_rechecks():
    cert = {
        "kind": "interval",
        "claim": "forall n in Int: sin(n*pi/2) = 0",
        "holds": False,
        "assignment": {"n": "1"},
    }
    assert check_certificate(cert, use_cvc5=False).ok


@pytest.mark.parametrize("limit", ["inf", "1e308", "nan", "0"])
def test_reason_check_rejects_a_timeout_it_cannot_keep(limit, tmp_path):
    # `--timeout inf` crashed with an OverflowError traceback (threading's wait limit).
    from typer.testing import CliRunner

    from reasoning.cli import app

    path = tmp_path / "v.json"
    path.write_text(json.dumps(verify("2 + 2 = 4").to_json()), encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(path), "--timeout", limit])
    assert result.exit_code == 2 and "--timeout" in result.output, result.output
    assert CliRunner().invoke(app, ["check", str(path), "--timeout", "30"]).exit_code == 0


# ---------------------------------------------------------------- sat SMT certificates: the assignment decides

ALGEBRAIC = {
    "x*x != 2": "refuted",  # a counterexample at an irrational point: an smt certificate, expect sat
    "exists x in Real: x*x*x = 3 and x > 1": "proved",
}


@pytest.mark.parametrize("claim", ALGEBRAIC)
def test_a_sat_smt_certificate_is_rechecked_with_its_assignment_pinned(claim):
    verdict = verify(claim)
    cert = verdict.certificate
    assert verdict.status.value == ALGEBRAIC[claim] and cert["kind"] == "smt" and cert["expect"] == "sat"
    assert "algebraic" in cert["assignment"]["x"]
    report = check_certificate(cert, use_cvc5=False)
    assert report.ok and "assignment pinned" in report.message, report
    assert check_verdict(json.loads(json.dumps(verdict.to_json())), use_cvc5=False).ok


@pytest.mark.parametrize("claim", ALGEBRAIC)
@pytest.mark.parametrize(
    "assignment",
    [{"x": "1"}, {"x": "7/5"}, {"x": "10.5?"}, {"x": "junk"}, {}, {"x": "1", "y": "1"}, {"x": 1}, "x=1"],
)
def test_a_forged_assignment_fails_a_sat_smt_certificate(claim, assignment):
    """Before, the assignment of a sat SMT certificate was never looked at: a refuted verdict
    could show any counterexample and re-check."""
    verdict = verify(claim)
    cert = dict(verdict.certificate, assignment=assignment)
    assert not check_certificate(cert, use_cvc5=False).ok
    forged = dict(verdict.to_json(), certificate=cert)
    if verdict.status.value == "refuted":
        forged["counterexample"] = {"assignment": assignment}
    assert not check_verdict(json.loads(json.dumps(forged)), use_cvc5=False).ok
