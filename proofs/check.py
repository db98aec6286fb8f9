"""Re-check a certificate from its JSON alone, trusting nothing its producer computed.

Each kind is re-derived from the claim text: exact values are recomputed, counterexamples and
witnesses are re-evaluated exactly, polynomial identities are re-normalised, interval
enclosures are recomputed, and SMT scripts are rebuilt from the claim, compared with the
certificate's script, and re-solved in a fresh Z3 context (and by cvc5 where it is installed).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import z3  # imported here: the other kinds need no solver at all

from proofs import interval, polynomial
from proofs.assignment import pin_assignment, read_assignment
from proofs.claims import Compare
from proofs.exact import NotExact, TooLarge, Trace, Undefined, holds_at, parse_fraction, sort_violation, truth
from proofs.parsing import ParseFailure, parse_claim
from proofs.smtlib import Unsupported, build_query, split_prefix

#: Seconds each solver gets when re-solving an SMT certificate.
RECHECK_BUDGET_S = 10.0


@dataclass(frozen=True)
class CheckReport:
    """The outcome of re-checking one certificate: ok, why, and what each checker said."""

    ok: bool
    message: str
    checks: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "message": self.message, "checks": self.checks}


def _fail(message: str, **checks: str) -> CheckReport:
    return CheckReport(False, message, dict(checks))


def _assignment(cert: dict[str, Any]) -> dict[str, Fraction]:
    raw = cert.get("assignment") or {}
    if not isinstance(raw, dict):
        raise ValueError("assignment must be an object")
    return {str(k): parse_fraction(str(v)) for k, v in raw.items()}


def _check_exact(formula, cert) -> CheckReport:
    trace = Trace()
    try:
        holds = truth(formula, None, trace=trace)
    except Undefined as exc:
        holds = False
        note = f"undefined ({exc})"
    except (NotExact, TooLarge) as exc:
        return _fail(f"cannot re-evaluate exactly: {exc}")
    else:
        note = "holds" if holds else "does not hold"
    if bool(cert.get("holds")) != holds:
        return _fail(f"exact re-evaluation says the claim {note}", exact=note)
    if cert.get("values") and cert["values"] != trace.steps:
        return _fail("recorded values differ from the re-evaluation", exact="values differ")
    return CheckReport(True, f"exact re-evaluation: the claim {note}", {"exact": note})


def _check_point(formula, cert, *, want: bool) -> CheckReport:
    mode, variables, body = split_prefix(formula)
    if (mode == "witness") != want:
        return _fail(f"a {cert['kind']} certificate does not fit a claim of this shape")
    try:
        env = _assignment(cert)
    except (ValueError, ZeroDivisionError) as exc:
        return _fail(f"bad assignment: {exc}")
    if (why := sort_violation(env, variables)) is not None:
        return _fail(why)
    result = holds_at(body, env)
    if result is None:
        return _fail("cannot evaluate the claim exactly at this assignment")
    if result != want:
        return _fail("the assignment does not do what the certificate says")
    what = "witness satisfies the claim" if want else "counterexample falsifies the claim"
    return CheckReport(True, f"exact re-evaluation: the {what}", {"exact": "ok"})


def _check_polynomial(formula, cert) -> CheckReport:
    mode, _, body = split_prefix(formula)
    if mode != "validity" or not isinstance(body, Compare) or set(body.ops) != {"="}:
        return _fail("a polynomial certificate needs an equation (chain)")
    try:
        diffs = [polynomial.difference(a, b) for a, b in zip(body.terms, body.terms[1:])]
    except polynomial.NotPolynomial as exc:
        return _fail(f"not a polynomial identity: {exc}")
    if any(diffs):
        return _fail("the difference is not identically zero", polynomial=polynomial.to_text(diffs[0]))
    return CheckReport(True, "polynomial normal forms agree", {"polynomial": "0"})


def _check_interval(formula, cert) -> CheckReport:
    mode, variables, body = split_prefix(formula)
    try:
        env = _assignment(cert)
        digits = int(cert.get("digits", interval.DEFAULT_DIGITS))
    except (ValueError, ZeroDivisionError) as exc:
        return _fail(f"bad certificate: {exc}")
    if mode != "validity" or not 10 <= digits <= 10_000:
        return _fail("an interval certificate needs a comparison and 10..10000 digits")
    if (why := sort_violation(env, variables)) is not None:
        return _fail(why)
    holds, _ = interval.decide_formula(body, env, digits)
    if holds is None or holds != bool(cert.get("holds")):
        return _fail(f"interval re-evaluation gives {holds}", interval=str(holds))
    if holds and env:
        return _fail("an interval check at one point cannot prove a claim with variables")
    return CheckReport(True, f"interval arithmetic at {digits} digits confirms", {"interval": str(holds)})


def solve_with_cvc5(script: str, budget_s: float) -> str:
    """Run an SMT-LIB script through cvc5: 'sat' | 'unsat' | 'unknown' | 'unavailable'."""
    try:
        import cvc5
    except ImportError:
        return "unavailable"
    solver = cvc5.Solver()
    solver.setOption("tlimit-per", str(int(budget_s * 1000)))
    parser = cvc5.InputParser(solver)
    parser.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6, script, "certificate")
    symbols = parser.getSymbolManager()
    answer = "unknown"
    try:
        while True:
            command = parser.nextCommand()
            if command.isNull():
                break
            output = command.invoke(solver, symbols).strip()
            if output in ("sat", "unsat", "unknown"):
                answer = output
    except RuntimeError as exc:  # cvc5 rejects some of Z3's extensions
        return f"unknown ({exc})"
    return answer


def _check_smt(formula, cert, use_cvc5: bool) -> CheckReport:
    try:
        query = build_query(formula)
    except Unsupported as exc:
        return _fail(f"the claim cannot be written in SMT-LIB: {exc}")
    if cert.get("script") != query.script:
        return _fail("the certificate's script is not the one this claim gives")
    expect = cert.get("expect")
    if expect not in ("sat", "unsat"):
        return _fail("expect must be 'sat' or 'unsat'")
    if expect == "sat" and "assignment" in cert:
        return _check_smt_assignment(query, cert["assignment"], use_cvc5)
    z3_answer = _fresh_z3(query.script)
    checks = {"z3": z3_answer}
    if z3_answer != expect:
        return _fail(f"a fresh Z3 answers {z3_answer}, the certificate expects {expect}", **checks)
    if use_cvc5:
        cvc5_answer = solve_with_cvc5(query.script, RECHECK_BUDGET_S)
        checks["cvc5"] = cvc5_answer
        if cvc5_answer in ("sat", "unsat") and cvc5_answer != expect:
            return _fail(f"cvc5 answers {cvc5_answer}, the certificate expects {expect}", **checks)
    return CheckReport(True, f"a fresh Z3 answers {expect}", checks)


def _fresh_z3(script: str) -> str:
    solver = z3.Solver(ctx=z3.Context())
    solver.set("timeout", int(RECHECK_BUDGET_S * 1000))
    solver.from_string(script)
    return str(solver.check())


def _check_smt_assignment(query, assignment, use_cvc5: bool) -> CheckReport:
    """A `sat` script with the model's assignment: the assignment decides (pinned, the script is
    closed and easy; if that is `sat`, so is the script), so the whole script is not re-solved
    and a wrong assignment (a forged counterexample or witness) fails."""
    values, bounds, problem = read_assignment(query.variables, assignment)
    if problem:
        return _fail(f"bad assignment: {problem}")
    pinned = pin_assignment(query.script, query.variables, values, bounds)
    checks = {"z3": _fresh_z3(pinned)}
    if checks["z3"] == "unsat":
        return _fail("the assignment does not satisfy the script: with it pinned, Z3 answers unsat", **checks)
    if checks["z3"] != "sat":
        return _fail(f"the assignment is unconfirmed: with it pinned, Z3 answers {checks['z3']}", **checks)
    if use_cvc5:
        checks["cvc5"] = solve_with_cvc5(pinned, RECHECK_BUDGET_S)
        if checks["cvc5"] == "unsat":
            return _fail("with the assignment pinned, cvc5 answers unsat", **checks)
    return CheckReport(True, "with the assignment pinned, a fresh Z3 answers sat", checks)


def _check_sympy(formula, cert) -> CheckReport:
    try:
        from proofs.sympy_form import recheck_sympy_certificate
    except ImportError:
        return _fail("SymPy re-checking is not available")
    ok, message = recheck_sympy_certificate(cert)
    return CheckReport(ok, message, {"sympy": "ok" if ok else "failed"})


_CHECKERS: dict[str, Callable[..., CheckReport]] = {
    "exact": lambda f, c, _: _check_exact(f, c),
    "counterexample": lambda f, c, _: _check_point(f, c, want=False),
    "witness": lambda f, c, _: _check_point(f, c, want=True),
    "polynomial": lambda f, c, _: _check_polynomial(f, c),
    "interval": lambda f, c, _: _check_interval(f, c),
    "smt": _check_smt,
    "sympy": lambda f, c, _: _check_sympy(f, c),
}


#: Certificate kinds about things above this layer, each with the "module:function" that re-checks
#: it (`function(cert, *, use_cvc5)`). The registration is explicit and lives here, so
#: `proofs.check` alone knows every kind; the module is imported by name when a certificate of its
#: kind is first checked, so this layer has no import of the layers above it.
EXTERNAL_KINDS: dict[str, str] = {
    "equivalence": "reasoning.answers._equivalence:recheck_certificate",
    "consistency": "reasoning.engine._causal_graph:recheck_consistency_certificate",
    "domain": "reasoning.domains._certificates:recheck_domain_certificate",
}

#: Checkers registered at run time by other code (`register_checker`); they must re-derive their
#: evidence and call back into this layer.
_REGISTERED: dict[str, Callable[..., CheckReport]] = {}


def _external_checker(kind: str) -> Callable[..., CheckReport]:
    """The checker `EXTERNAL_KINDS` names for `kind`, imported on first use."""
    module_name, _, function = EXTERNAL_KINDS[kind].partition(":")
    return getattr(importlib.import_module(module_name), function)


def register_checker(kind: str, checker: Callable[..., CheckReport]) -> None:
    """Register `checker(cert, *, use_cvc5)` for certificates of `kind` (once per kind)."""
    if (
        kind in _CHECKERS
        or kind in EXTERNAL_KINDS
        or (kind in _REGISTERED and _REGISTERED[kind] is not checker)
    ):
        raise ValueError(f"a checker for {kind!r} certificates is already registered")
    _REGISTERED[kind] = checker


def check_certificate(cert: Any, *, use_cvc5: bool = True) -> CheckReport:
    """Re-check one certificate (a dict as found in a verdict's JSON). Never raises."""
    if not isinstance(cert, dict) or not isinstance(cert.get("kind"), str):
        return _fail("a certificate is a JSON object with a 'kind'")
    kind = cert["kind"]
    if kind in EXTERNAL_KINDS:
        try:
            external = _external_checker(kind)
        except (ImportError, AttributeError) as exc:
            return _fail(f"the checker for {kind!r} certificates is not available: {exc}")
        try:
            return external(cert, use_cvc5=use_cvc5)
        except Exception as exc:  # noqa: BLE001 - a hostile certificate must not crash the checker
            return _fail(f"checker error: {type(exc).__name__}: {exc}")
    if kind in _REGISTERED:
        try:
            return _REGISTERED[kind](cert, use_cvc5=use_cvc5)
        except Exception as exc:  # noqa: BLE001 - a hostile certificate must not crash the checker
            return _fail(f"checker error: {type(exc).__name__}: {exc}")
    checker = _CHECKERS.get(kind)
    if checker is None:
        known = ", ".join(sorted({*_CHECKERS, *EXTERNAL_KINDS, *_REGISTERED}))
        return _fail(f"unknown certificate kind {kind!r}; known: {known}")
    formula = parse_claim(str(cert.get("claim", "")))
    if isinstance(formula, ParseFailure):
        return _fail(f"the claim does not parse: {formula.describe()}")
    try:
        return checker(formula, cert, use_cvc5)
    except Exception as exc:  # noqa: BLE001 - a hostile certificate must not crash the checker
        return _fail(f"checker error: {type(exc).__name__}: {exc}")


def certified_truth(cert: Any) -> bool | None:
    """What a certificate of a claim establishes once it re-checks: True (the claim is proved),
    False (refuted) or None (not a claim certificate, or malformed). It does not re-check.

    Needed wherever a certificate is evidence for a verdict it does not state itself: a proof
    bundle must show that each accepted claim's certificate proves it, not that it refutes it.
    """
    if not isinstance(cert, dict) or not isinstance(cert.get("kind"), str):
        return None
    kind = cert["kind"]
    if kind in ("exact", "interval", "sympy"):
        holds = cert.get("holds", True if kind == "sympy" else None)
        return holds if isinstance(holds, bool) else None
    if kind in ("polynomial", "witness"):
        return True
    if kind == "domain":  # a task domain's rule check (registered by reasoning.domains)
        holds = cert.get("holds")
        return holds if isinstance(holds, bool) else None
    if kind == "counterexample":
        return False
    if kind == "smt" and cert.get("expect") in ("sat", "unsat"):
        formula = parse_claim(str(cert.get("claim", "")))
        if isinstance(formula, ParseFailure):
            return None
        mode, _, _ = split_prefix(formula)
        return (cert["expect"] == "unsat") == (mode == "validity")
    return None


# ---------------------------------------------------------------- sealed verdicts

#: The statuses a verdict may record; only the first two claim a proof.
VERDICT_STATUSES = ("proved", "refuted", "unknown", "invalid")


def established(cert: Any) -> bool | None:
    """What a certificate establishes once it re-checks: True (the claim holds, the answers are
    equivalent), False (refuted, not equivalent) or None (it establishes nothing). No re-check."""
    if isinstance(cert, dict) and cert.get("kind") == "equivalence":
        value = cert.get("equivalent")
        return value if isinstance(value, bool) else None
    if isinstance(cert, dict) and cert.get("kind") == "smt":
        formula = parse_claim(str(cert.get("claim", "")))
        if isinstance(formula, ParseFailure) or split_prefix(formula)[0] != cert.get("mode"):
            return None  # a certificate that misstates (or omits) its own mode establishes nothing
    if isinstance(cert, dict) and cert.get("kind") == "exact" and not isinstance(cert.get("values"), list):
        return None  # the evaluation trace is part of an exact certificate
    return certified_truth(cert)


def evidence_problem(cert: Any) -> str:
    """What a certificate's recorded evidence gets wrong beyond what `check_certificate` needs
    ("" when nothing): an exact certificate keeps its evaluation trace, an SMT one states its
    mode, an interval one its digits, point and the very enclosures a re-evaluation gives, and an
    equivalence certificate's components are held to the same rules. Sealed checks use it so
    that no recorded field of a certificate can be changed unnoticed."""
    if not isinstance(cert, dict):
        return "a certificate is a JSON object"
    kind = cert.get("kind")
    if kind == "equivalence":
        for index, part in enumerate(cert.get("claims") or [], start=1):
            problem = evidence_problem(part)
            if problem:
                return f"component {index}: {problem}"
        return ""
    if established(cert) is None and kind in ("exact", "smt"):
        return (
            f"the {kind} certificate does not record its {'evaluation trace' if kind == 'exact' else 'mode'}"
        )
    if kind == "interval":
        return _interval_evidence(cert)
    return ""


def _interval_evidence(cert: dict[str, Any]) -> str:
    formula = parse_claim(str(cert.get("claim", "")))
    if (
        isinstance(formula, ParseFailure)
        or not {"digits", "assignment", "intervals"} <= set(cert)
        or not isinstance(cert["assignment"], dict)
    ):
        return "an interval certificate records its claim, digits, point and enclosures"
    try:
        env = _assignment(cert)
        digits = int(cert["digits"])
    except (ValueError, TypeError, ZeroDivisionError) as exc:
        return f"bad interval certificate: {exc}"
    if not 10 <= digits <= 10_000:
        return "an interval certificate needs 10..10000 digits"
    _, _, body = split_prefix(formula)
    _, boxes = interval.decide_formula(body, env, digits)
    if boxes != cert["intervals"]:
        return "the recorded enclosures are not the ones interval arithmetic gives"
    return ""


def _same_claim(recorded: Any, certified: Any) -> bool:
    """Is the certificate's claim the verdict's claim (as written or after parsing both)?"""
    if not isinstance(recorded, str) or not isinstance(certified, str):
        return False
    if recorded == certified:
        return True
    a, b = parse_claim(recorded), parse_claim(certified)
    return not isinstance(a, ParseFailure) and not isinstance(b, ParseFailure) and a == b


def _no_proof(status: str, message: Any) -> CheckReport:
    why = f": {message}" if isinstance(message, str) and message else ""
    return CheckReport(False, f"{status}: this verdict proves nothing{why}", {"status": "no proof"})


def states_a_verdict(item: Any) -> bool:
    """Does this JSON object record a conclusion (a `status`, or an `equivalent` outside an
    equivalence certificate)? Then it is re-checked as a verdict (`check_verdict`), never as the
    bare certificate it carries: with its `claim` deleted or a `kind` added, a `reason verify
    --json` line for `2 + 2 = 5` edited to `proved` passed as its (refuting) certificate."""
    if not isinstance(item, dict) or not {"certificate", "claim", "gold", "prediction"} & set(item):
        return False  # e.g. a solve summary: no verdict, nothing to re-check
    return "status" in item or ("equivalent" in item and item.get("kind") != "equivalence")


def is_equivalence_result(verdict: Any) -> bool:
    """Does this JSON look like an equivalence result (`reason equiv --json`)?"""
    return isinstance(verdict, dict) and "equivalent" in verdict and "gold" in verdict


def check_verdict(verdict: Any, *, use_cvc5: bool = True) -> CheckReport:
    """Re-check a verdict (`reason verify --json`) or an equivalence result (`reason equiv
    --json`): its certificate must re-check and establish exactly the recorded status.

    A certificate that proves supports `proved` only, one that refutes `refuted` only;
    `equivalent: true` needs a certificate proving equivalence and `false` one proving a
    difference. `unknown` and `invalid` verdicts prove nothing, so they never pass: the report
    says so with `checks == {"status": "no proof"}`. Never raises.
    """
    if not isinstance(verdict, dict):
        return _fail("a verdict is a JSON object")
    missing = [key for key in ("status", "certificate", "counterexample") if key not in verdict]
    if missing:
        return _fail(f"a verdict records its {', '.join(missing)}")
    status = verdict.get("status")
    if status not in VERDICT_STATUSES:
        return _fail(f"status {status!r} is not one of {', '.join(VERDICT_STATUSES)}")
    equivalence = is_equivalence_result(verdict)
    if equivalence:
        flag = verdict.get("equivalent")
        if flag not in (True, False, None) or flag != {"proved": True, "refuted": False}.get(status):
            return _fail(f"equivalent = {flag!r} disagrees with status {status}")
    if status in ("unknown", "invalid"):
        return _no_proof(status, verdict.get("message"))
    cert = verdict.get("certificate")
    if not isinstance(cert, dict):
        return _fail(f"a {status} verdict without a certificate proves nothing")
    about = _certificate_subject(verdict, cert, equivalence)
    if about is not None:
        return about
    truth_ = established(cert)
    if truth_ is None:
        return _fail(f"a {cert.get('kind')!r} certificate establishes no status")
    derived = "proved" if truth_ else "refuted"
    if derived != status:
        return _fail(f"the certificate establishes {derived}, the verdict says {status}", status=derived)
    mismatch = _counterexample_mismatch(verdict, cert, equivalence)
    if mismatch:
        return _fail(mismatch)
    problem = evidence_problem(cert)
    if problem:
        return _fail(problem)
    report = check_certificate(cert, use_cvc5=use_cvc5)
    if not report.ok:
        return report
    what = {True: "equivalent", False: "not equivalent"}[truth_] if equivalence else derived
    return CheckReport(True, f"{what}, re-derived: {report.message}", {**report.checks, "status": derived})


def _certificate_subject(verdict: dict, cert: dict, equivalence: bool) -> CheckReport | None:
    """None when the certificate is about what the verdict is about, else the failure."""
    if equivalence:
        if cert.get("kind") != "equivalence":
            return _fail("an equivalence result needs an equivalence certificate")
        for side in ("gold", "prediction"):
            full, shown = cert.get(side), verdict.get(side)
            if not isinstance(full, str) or (
                shown != full and not (len(full) > 200 and shown == full[:200] + "...")
            ):
                return _fail(f"the certificate compares another {side} answer ({full!r})")
        return None
    if cert.get("kind") in EXTERNAL_KINDS:  # a domain certificate for `x = 2` (a root of a
        # task's equation) passed as a proof of the claim `x = 2` (for every x), which is false
        return _fail(
            f"a {cert.get('kind')} certificate is not about a claim: it cannot support a claim verdict"
        )
    if not _same_claim(verdict.get("claim"), cert.get("claim")):
        return _fail(f"the certificate is about another claim ({cert.get('claim')!r})")
    return None


def _counterexample_mismatch(verdict: dict, cert: dict, equivalence: bool) -> str:
    """A proved verdict shows no counterexample; a refuted claim verdict shows exactly the
    certificate's evidence: its point (`assignment`, empty when it has none) and its `values` or
    `intervals`. (An equivalence result's counterexample is a description; its certificate is
    the evidence. A SymPy refutation shows no re-checked point.)"""
    shown = verdict.get("counterexample")
    if verdict["status"] == "proved":
        if shown is not None:
            return "a proved verdict cannot carry a counterexample"
        details = verdict.get("details")
        if (
            isinstance(details, dict)
            and "witness" in details
            and details["witness"] != cert.get("assignment")
        ):
            return "the witness shown is not the certificate's"  # a shown x = 3 for x^2 = 4 passed
        return ""
    if equivalence or cert.get("kind") == "sympy":
        return ""
    if not isinstance(shown, dict):
        return "a refuted verdict shows its counterexample"
    expected = {"assignment": cert.get("assignment", {})}
    expected.update({key: cert[key] for key in ("values", "intervals") if key in cert})
    if shown != expected:
        return "the counterexample is not the certificate's evidence"
    return ""
