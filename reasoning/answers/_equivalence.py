"""Answer equivalence (gold vs prediction), reduced to claims that a sound backend decides.

`equivalent(gold, prediction)` parses both answers (`reasoning.answers._latex`) and compares them by kind:
- scalars: the claim `gold = prediction` goes to `solvers.dispatch.decide` (`reasoning.answers._judge`,
  also for the percent and degree rules and for expressions with variables);
- tuples: componentwise, in order; a bare list `1, 2` compared with a tuple is ordered too;
- finite sets (and bare lists, and `n = 2, 3, 4`): element by element, by membership claims;
  intervals and unions: part by part, else at exact test points, else by one quantified claim
  (both in `reasoning.answers._compare_sets`);
- `x = 5` vs `5`: the variable is dropped when only one side names it; two different names are
  compared as equations (so `x = 5` vs `y = 5` is refuted by the point x = 5, y = 0);
- equations: the same solution set when one is a rational multiple of the other, different
  when an exact point lies on one only (`reasoning.answers._compare_equations`).

Certificates: `{"kind": "equivalence", "method", "gold", "prediction", "claims"}` where `claims`
are the component claim certificates (each re-checkable by `proofs.check`); `method` is
`claims`, `syntactic` (identical answers after normalisation, built from operations defined at
the exact point checked; no claims) or `structural` (a refutation by shape: different tuple
lengths, different variable names, a set against a tuple; no claims).

Soundness: `equivalent=True` only when every component claim was proved (or the two answers are
identical trees that are defined at some exact point); `False` only with a refuting claim, an
exact counterexample or a structural mismatch (different tuple lengths, a set against a tuple).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from proofs.check import CheckReport, check_certificate
from proofs.claims import free_variables
from proofs.parsing import ParseFailure
from proofs.verdict import Status
from reasoning.answers._answers import (
    Answer,
    Assignment,
    Equation,
    FiniteSet,
    Interval,
    IntervalUnion,
    Matrix,
    Scalar,
    System,
    TextAnswer,
    TupleAnswer,
    answer_expressions,
    ends_in_order,
)

# GRID and MAX_SET_PAIRS are re-exported: they stay importable from here.
from reasoning.answers._compare_equations import GRID, as_equation, compare_equations  # noqa: F401
from reasoning.answers._compare_sets import (  # noqa: F401
    MAX_SET_PAIRS,
    compare_finite_sets,
    compare_intervals,
    compare_tuple_sets,
)
from reasoning.answers._judge import (
    Judge,
    Outcome,
    defined_somewhere,
    proved_outcome,
    structural_outcome,
    unknown_outcome,
)
from reasoning.answers._latex import parse_answer
from reasoning.answers._readings import (
    ambiguous_readings,
    decimal_comma,
    decimal_reading,
    other_readings,
    unit_word_as_letters,
    with_unit,
)
from reasoning.answers._rounding import rounding_reading
from reasoning.errors import InvalidArgument

DEFAULT_BUDGET_S = 2.0
#: Seconds a re-check may spend re-deriving the comparison.
RECHECK_BUDGET_S = 10.0


@dataclass(frozen=True, kw_only=True)
class EquivalenceResult:
    """Whether `prediction` is mathematically the same answer as `gold`, with the evidence."""

    gold: str
    prediction: str
    status: Status
    equivalent: bool | None
    backend: str
    elapsed_ms: float = 0.0
    certificate: dict[str, Any] | None = None
    counterexample: dict[str, Any] | None = None
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        """The wire form: stable keys, JSON types only."""
        return {
            "gold": self.gold,
            "prediction": self.prediction,
            "status": self.status.value,
            "equivalent": self.equivalent,
            "backend": self.backend,
            "elapsed_ms": self.elapsed_ms,
            "certificate": self.certificate,
            "counterexample": self.counterexample,
            "message": self.message,
        }


# -------------------------------------------------------------------- kinds


def _intervals(answer: Answer) -> tuple[Interval, ...] | None:
    match answer:
        case Interval():
            return (answer,)
        case IntervalUnion(parts):
            return parts
        case TupleAnswer(items, "(") if len(items) == 2 and not any(i.mark or i.unit for i in items):
            lo, hi = items[0].expr, items[1].expr
            # a pair stands for an open interval only when its ends are in order (or symbolic)
            order = ends_in_order(lo, hi, False)
            if order is True or (order is None and (free_variables(lo) or free_variables(hi))):
                return (Interval(lo, hi, False, False),)
    return None


def _points(answer: Answer) -> tuple[Interval, ...] | None:
    """A finite set as a union of points (`\\{1\\}` is `[1, 1]`), to compare with intervals."""
    match answer:
        case FiniteSet(items) if _plain_values(items):
            return tuple(Interval(i.expr, i.expr, True, True) for i in items)
        case Scalar(expr) if _plain_values((answer,)) and not free_variables(expr):
            # `5` is the set {5}, which `[5, 5]` also is (it matched `\{5\}` but not `5`)
            return (Interval(expr, expr, True, True),)
    return None


def _marked_pair(answer: Answer) -> bool:
    """A bracketed pair whose items carry % or units (`[5\\%, 10\\%]`, `(2 cm, 5 cm)`)."""
    return (
        isinstance(answer, TupleAnswer)
        and len(answer.items) == 2
        and all(isinstance(i, Scalar) for i in answer.items)
        and any(i.mark or i.unit for i in answer.items)
    )


def _plain_values(items: tuple) -> bool:
    return bool(items) and all(isinstance(i, Scalar) and not (i.mark or i.unit) for i in items)


def _tuples(answer: Answer) -> tuple[TupleAnswer, ...] | None:
    """The tuples of a set or list of tuples (`\\{(1, 2), (3, 4)\\}`; a lone tuple is one)."""
    match answer:
        case FiniteSet(items) if items and all(isinstance(i, TupleAnswer) for i in items):
            return items
        case TupleAnswer(items) if all(isinstance(i, Scalar) for i in items):
            return (answer,)
    return None


def _vector(answer: Answer) -> tuple[Scalar, ...] | None:
    """A matrix with one row or one column as its entries (a vector is compared with a tuple)."""
    match answer:
        case Matrix(rows) if len(rows) == 1:
            return rows[0]
        case Matrix(rows) if all(len(r) == 1 for r in rows):
            return tuple(r[0] for r in rows)
        case TupleAnswer(items):
            return items
    return None


def _elements(answer: Answer) -> tuple[Scalar, ...] | None:
    match answer:
        case FiniteSet(items) if all(isinstance(i, Scalar) for i in items):
            return items
        case Scalar():
            return (answer,)
    return None


def _kind(answer: Answer) -> str:
    names = {
        Scalar: "a number or expression",
        TupleAnswer: "a tuple",
        FiniteSet: "a finite set",
        Interval: "an interval",
        IntervalUnion: "a union of intervals",
        Equation: "an equation",
        Assignment: "an assignment",
        System: "a system of assignments",
        TextAnswer: "text",
        Matrix: "a matrix",
    }
    return names[type(answer)]


def _compare(judge: Judge, gold: Answer, prediction: Answer) -> Outcome:
    """Compare two parsed answers (see the module docstring for the rules)."""
    if isinstance(gold, Assignment) and isinstance(prediction, Assignment):
        if gold.name == prediction.name:
            return _compare(judge, gold.value, prediction.value)
        if _is_label(gold.name) or _is_label(prediction.name):
            return unknown_outcome(f"different labels ({gold.name} and {prediction.name})")
        g_eq, p_eq = as_equation(gold), as_equation(prediction)
        if g_eq is not None and p_eq is not None:
            return compare_equations(judge, g_eq, p_eq)
        return structural_outcome(f"different variables ({gold.name} and {prediction.name})")
    if isinstance(gold, Equation) or isinstance(prediction, Equation):
        g_eq, p_eq = as_equation(gold), as_equation(prediction)
        if g_eq is not None and p_eq is not None:
            return compare_equations(judge, g_eq, p_eq)
        return unknown_outcome(
            f"an equation is compared with {_kind(prediction if isinstance(gold, Equation) else gold)}"
        )
    for side in (gold, prediction):
        if isinstance(side, Assignment) and side.name.startswith("|"):
            # `1 <= |z| <= 2` constrains z or gives the range of |z|: only the same label decides
            return unknown_outcome(f"a condition on {side.name} is compared only with one on {side.name}")
    if isinstance(gold, Assignment):
        return _compare(judge, gold.value, prediction)
    if isinstance(prediction, Assignment):
        return _compare(judge, gold, prediction.value)
    if isinstance(gold, TextAnswer) or isinstance(prediction, TextAnswer):
        if gold == prediction:
            return proved_outcome("syntactic", backends={"syntactic"})
        return unknown_outcome("answers in words are only compared word for word")
    if isinstance(gold, System) or isinstance(prediction, System):
        return _systems(judge, gold, prediction)
    if isinstance(gold, Scalar) and isinstance(prediction, Scalar):
        return judge.scalars(gold, prediction, "value")
    if isinstance(gold, TupleAnswer) and isinstance(prediction, TupleAnswer):
        return judge.tuples(gold.items, prediction.items)
    if isinstance(gold, Matrix) or isinstance(prediction, Matrix):
        return _matrices(judge, gold, prediction)
    g_tuples, p_tuples = _tuples(gold), _tuples(prediction)
    if g_tuples is not None and p_tuples is not None:
        return compare_tuple_sets(judge, g_tuples, p_tuples)
    g_parts, p_parts = _intervals(gold), _intervals(prediction)
    if g_parts is not None and p_parts is not None:
        return compare_intervals(judge, g_parts, p_parts)
    if isinstance(gold, (Interval, IntervalUnion)) and (p_points := _points(prediction)) is not None:
        return compare_intervals(judge, g_parts, p_points)
    if isinstance(prediction, (Interval, IntervalUnion)) and (g_points := _points(gold)) is not None:
        return compare_intervals(judge, g_points, p_parts)
    ordered = _ordered_pair(gold, prediction)
    if ordered is not None:
        return judge.tuples(*ordered)
    g_items, p_items = _elements(gold), _elements(prediction)
    if g_items is not None and p_items is not None:
        return compare_finite_sets(judge, g_items, p_items)
    for one, other in ((gold, prediction), (prediction, gold)):
        if isinstance(one, FiniteSet) and _tuples(one) is not None and _intervals(other) is not None:
            # `(0, 1), (2, 3)` may list two open intervals: not refuted by its shape alone
            return unknown_outcome(f"{_kind(one)} of tuples is compared with {_kind(other)}")
        if _marked_pair(one) and isinstance(other, Interval):
            # `[5\\%, 10\\%]`: interval ends cannot carry % or units, so it reads as a list, but it
            # may be the interval from 5% to 10%: not refuted by its shape alone
            return unknown_outcome(f"a pair with % or units is compared with {_kind(other)}")
    return structural_outcome(f"the gold answer is {_kind(gold)}, the prediction is {_kind(prediction)}")


def _is_label(name: str) -> bool:
    """A name that labels a value (`|z|`, the segment `AB`) rather than a variable."""
    return name.startswith("|") or (len(name) >= 2 and name.isalpha() and name.isupper())


def _ordered_pair(gold: Answer, prediction: Answer):
    """A tuple against a bare list `1, 2` is compared in order."""
    match gold, prediction:
        case TupleAnswer(g), FiniteSet(p, False) if all(isinstance(i, Scalar) for i in p):
            return g, p
        case FiniteSet(g, False), TupleAnswer(p) if all(isinstance(i, Scalar) for i in g):
            return g, p
    return None


def _matrices(judge: Judge, gold: Answer, prediction: Answer) -> Outcome:
    """Matrices entry by entry (same shape); a one-row or one-column matrix is a vector and
    compares with a tuple in order."""
    if isinstance(gold, Matrix) and isinstance(prediction, Matrix):
        g_shape = (len(gold.rows), len(gold.rows[0]))
        p_shape = (len(prediction.rows), len(prediction.rows[0]))
        if g_shape != p_shape:
            return structural_outcome(f"matrices of different shapes ({g_shape} and {p_shape})")
        flat = [tuple(e for row in m.rows for e in row) for m in (gold, prediction)]
        return judge.tuples(flat[0], flat[1])
    g_vector, p_vector = _vector(gold), _vector(prediction)
    if g_vector is not None and p_vector is not None:
        return judge.tuples(g_vector, p_vector)
    return structural_outcome(f"the gold answer is {_kind(gold)}, the prediction is {_kind(prediction)}")


def _systems(judge: Judge, gold: Answer, prediction: Answer) -> Outcome:
    def values(answer: Answer) -> tuple[list[str] | None, tuple[Scalar, ...] | None]:
        match answer:
            case System(assignments):
                if all(isinstance(a.value, Scalar) for a in assignments):
                    return [a.name for a in assignments], tuple(a.value for a in assignments)
            case TupleAnswer(items) | FiniteSet(items, False):
                return None, items
        return None, None

    g_names, g_values = values(gold)
    p_names, p_values = values(prediction)
    if g_values is None or p_values is None:
        return structural_outcome(f"the gold answer is {_kind(gold)}, the prediction is {_kind(prediction)}")
    if g_names is not None and p_names is not None:
        if sorted(g_names) != sorted(p_names):
            return structural_outcome(f"different variables ({', '.join(g_names)} and {', '.join(p_names)})")
        order = {name: i for i, name in enumerate(p_names)}
        p_values = tuple(p_values[order[name]] for name in g_names)
    return judge.tuples(g_values, p_values)


# -------------------------------------------------------------------- public entry point


def _check_budget(budget_s: float) -> float:
    if not isinstance(budget_s, (int, float)) or isinstance(budget_s, bool) or not 0 < budget_s <= 3600:
        raise InvalidArgument(f"budget_s must be a number of seconds in (0, 3600], got {budget_s!r}")
    return float(budget_s)


def _shown(text: str) -> str:
    return text if len(text) <= 200 else text[:200] + "..."


def _all_defined(answer: Answer) -> bool:
    return all(defined_somewhere(e) for e in answer_expressions(answer))


def equivalent(gold: str, prediction: str, *, budget_s: float = DEFAULT_BUDGET_S) -> EquivalenceResult:
    """Judge whether `prediction` is the same answer as `gold`, e.g. `equivalent("\\\\frac12", "0.5")`.

    Returns an EquivalenceResult: status proved (equivalent=True), refuted (False, usually with a
    counterexample), unknown (None: budget, or a fragment we cannot decide) or invalid (None: an
    answer did not parse; the message says where). Never raises on answer content; raises
    InvalidArgument for a non-string answer or a budget outside (0, 3600] seconds.
    """
    budget_s = _check_budget(budget_s)
    for name, value in (("gold", gold), ("prediction", prediction)):
        if not isinstance(value, str):
            raise InvalidArgument(f"{name} must be a str, got {type(value).__name__}")
    start = time.perf_counter()

    def result(outcome: Outcome, backend: str | None = None) -> EquivalenceResult:
        status = outcome.status
        certificate = None
        if status in (Status.PROVED, Status.REFUTED):
            certificate = {
                "kind": "equivalence",
                "equivalent": status is Status.PROVED,
                "method": outcome.method,
                "gold": gold,
                "prediction": prediction,
                "claims": outcome.claims,
            }
        return EquivalenceResult(
            gold=_shown(gold),
            prediction=_shown(prediction),
            status=status,
            equivalent={Status.PROVED: True, Status.REFUTED: False}.get(status),
            backend=backend or "+".join(sorted(outcome.backends)) or outcome.method,
            elapsed_ms=round((time.perf_counter() - start) * 1000, 3),
            certificate=certificate,
            counterexample=outcome.counterexample,
            message=outcome.message,
        )

    outcome, backend = _in_every_reading(gold, prediction, budget_s)
    return result(outcome, backend)


def _in_every_reading(gold: str, prediction: str, budget_s: float) -> tuple[Outcome, str | None]:
    """The outcome when every reading of the texts gives it (its claims are all of theirs); else
    unknown: `\\ln 2` was refuted for `\\log 2` and `2` proved for `\\log 100` (base 10 only),
    `3/4\\pi` refuted for `\\frac{3\\pi}{4}` (read as 3/(4 pi) only)."""
    readings = ambiguous_readings(gold, prediction)
    if len(readings) == 1:
        return _outcome(gold, prediction, budget_s)
    # The readings share the budget (a caller's budget bounds the whole comparison): each gets an
    # equal part of what is left when it starts.
    deadline = time.perf_counter() + budget_s
    outcomes = []
    for index, (name, g, p) in enumerate(readings):
        share = max(0.001, (deadline - time.perf_counter()) / (len(readings) - index))
        outcomes.append((name, *_outcome(g, p, share)))
    statuses = {outcome.status for _, outcome, _ in outcomes}
    _, first, backend = outcomes[0]
    if len(statuses) != 1 or first.status not in (Status.PROVED, Status.REFUTED):
        shown = ", ".join(f"{name}: {o.status.value}" for name, o, _ in outcomes)
        return unknown_outcome(f"the readings of an ambiguous answer decide differently ({shown})"), None
    claims = [claim for _, outcome, _ in outcomes for claim in outcome.claims]
    return replace(first, claims=claims, backends=set().union(*(o.backends for _, o, _ in outcomes))), backend


def _outcome(gold: str, prediction: str, budget_s: float) -> tuple[Outcome, str | None]:
    """Parse and compare two answer texts: the outcome and, for a parse failure, its backend."""
    parsed = []
    for name, text in (("gold", gold), ("prediction", prediction)):
        answer = parse_answer(text)
        if isinstance(answer, ParseFailure):
            return Outcome(Status.INVALID, message=f"{name}: {answer.describe()}"), "parser"
        parsed.append(answer)
    gold_answer, prediction_answer = parsed
    judge = Judge(budget_s)
    if gold_answer == prediction_answer and _all_defined(gold_answer):
        syntactic = proved_outcome(
            "syntactic", backends={"syntactic"}, message="identical after normalisation"
        )
        return _proof_in_decimal_reading(judge, gold, prediction, syntactic), None
    try:
        outcome = _compare(judge, gold_answer, prediction_answer)
        if outcome.status is Status.REFUTED:
            outcome = _refutation_in_every_reading(judge, gold, prediction, outcome)
        elif outcome.status is Status.PROVED:
            outcome = _proof_in_decimal_reading(judge, gold, prediction, outcome)
    except Exception as exc:  # a bug here must cost one unknown verdict, not the caller's run
        outcome = unknown_outcome(f"internal error: {type(exc).__name__}: {exc}")
    if outcome.status is Status.REFUTED and (
        rounding := rounding_reading(judge, gold, gold_answer, prediction_answer, _compare)
    ):
        outcome = unknown_outcome(rounding)
    if outcome.status is Status.REFUTED and any(
        _APPROXIMATE in t or "\u2248" in t for t in (gold, prediction)
    ):
        # `x \\approx 1.41` is read as `x = 1.41`, but an approximate value is not refuted exactly.
        outcome = unknown_outcome(f"an approximate answer (\\approx) is not refuted: {outcome.message}")
    return outcome, None


_APPROXIMATE = "\\approx"


def _proof_in_decimal_reading(judge: Judge, gold: str, prediction: str, outcome: Outcome) -> Outcome:
    """`outcome` (a proof) when the decimal-comma reading proves it too; else unknown. `3,5 cm` is
    the list `3, 5 cm` or 3.5 cm: proved against `3 cm, 5 cm` in the list reading alone, a proof
    rested on one reading of an ambiguous answer. Only with a unit after the comma: a bare `2,5`
    against a list stays the list, as before."""
    if not any((m := decimal_comma(t.strip())) is not None and with_unit(m) for t in (gold, prediction)):
        return outcome  # a bare `2,5` against a list is the list (`tests/answers/test_answer_redteam.py`)
    reading = decimal_reading(gold, prediction)
    if reading is None:
        return outcome
    answers = [parse_answer(reading[0]), parse_answer(reading[1])]
    if any(isinstance(a, ParseFailure) for a in answers):
        return unknown_outcome("the decimal-comma reading of the answers does not parse")
    if answers[0] == answers[1] and _all_defined(answers[0]):
        return outcome
    other = _compare(judge, answers[0], answers[1])
    if other.status is not Status.PROVED:
        return unknown_outcome(
            f"proved in one reading but not with a decimal comma ({reading[0]} vs {reading[1]})"
        )
    return outcome


def _refutation_in_every_reading(judge: Judge, gold: str, prediction: str, outcome: Outcome) -> Outcome:
    """`outcome` (a refutation) when every other reading of the texts refutes too; else unknown,
    so a verdict never rests on one reading of an ambiguous answer (issue 13)."""
    if (word := unit_word_as_letters(gold) or unit_word_as_letters(prediction)) is not None:
        return unknown_outcome(f"the unit word {word!r} is read as a product of letters: {outcome.message}")
    for other_gold, other_prediction in other_readings(gold, prediction):
        answers = [parse_answer(other_gold), parse_answer(other_prediction)]
        if any(isinstance(a, ParseFailure) for a in answers):
            return unknown_outcome(f"another reading of the answers does not parse: {outcome.message}")
        other = _compare(judge, answers[0], answers[1])
        if other.status is not Status.REFUTED:
            return unknown_outcome(
                f"refuted in one reading but not in another ({other_gold} vs {other_prediction}): "
                + outcome.message
            )
    return outcome


def recheck_certificate(cert: dict[str, Any], *, use_cvc5: bool = True) -> CheckReport:
    """Re-check an equivalence certificate: the reduction of the two answers to component claims
    is re-derived from `gold` and `prediction` and must give the same judgement and the same
    claims; then every component certificate is re-checked through `proofs.check` alone."""
    gold, prediction = cert.get("gold"), cert.get("prediction")
    if not isinstance(gold, str) or not isinstance(prediction, str):
        return CheckReport(False, "an equivalence certificate names its gold and prediction answers")
    parts = cert.get("claims")
    if not isinstance(parts, list) or not all(isinstance(p, dict) for p in parts):
        return CheckReport(False, "claims must be a list of claim certificates")
    fresh = equivalent(gold, prediction, budget_s=RECHECK_BUDGET_S)
    if fresh.certificate is None or fresh.equivalent != cert.get("equivalent"):
        return CheckReport(False, f"re-deriving the comparison gives {fresh.status.value}: {fresh.message}")
    if fresh.certificate["method"] != cert.get("method"):
        return CheckReport(
            False, f"re-deriving the comparison uses {fresh.certificate['method']}, not {cert.get('method')}"
        )
    if sorted(p.get("claim", "") for p in parts) != sorted(p["claim"] for p in fresh.certificate["claims"]):
        return CheckReport(False, "the component claims are not the ones these answers reduce to")
    for index, part in enumerate(parts, start=1):
        report = check_certificate(part, use_cvc5=use_cvc5)
        if not report.ok:
            return CheckReport(False, f"component {index} ({part.get('claim')}) fails: {report.message}")
    what = "equivalent" if cert["equivalent"] else "not equivalent"
    return CheckReport(
        True,
        f"{what}: re-derived by {cert['method']}, {len(parts)} component certificate(s) re-check",
        {"components": str(len(parts))},
    )
