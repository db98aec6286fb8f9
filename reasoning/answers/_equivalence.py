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

import re
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
from reasoning.answers._latex_text import SCIENTIFIC, extract, normalise
from reasoning.answers._rounding import rounding_reading
from reasoning.answers._units import NUMBER_WORDS, mixed_quantity, read_unit
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


#: `\\log x` or `log(x)` without a base: base 10, e (SymPy's LaTeX printer, calculus, `log(2)` in
#: plain text) or 2 (computer science). A verdict must hold in every reading.
_BARE_LOG = re.compile(
    r"(?:\\(?:operatorname|mathrm|text|rm)\s*\{\s*log\s*\}|\\log|(?<![\\A-Za-z])log)(?![A-Za-z])(?!\s*_)"
)
#: The bases a bare logarithm is read in besides base 10 (the parser's own reading). Base 2 is
#: left out where a power follows the name (`\\log^2 x`): `\\log_{2}^2 x` is not in the grammar.
_LOG_BASES = ("\\ln", "\\log_{2}")
_LOG_POWER = re.compile(
    r"(?:\\log|(?<![\\A-Za-z])log|\\(?:operatorname|mathrm|text|rm)\s*\{\s*log\s*\})\s*\^"
)
#: `1/2x`, `3/4\\pi`, `1/2(x+1)`: 1/(2x) as read, or (1/2)x as the claim language and many
#: writers mean it. The second reading makes the product explicit after the divisor.
_SLASH_PRODUCT = re.compile(
    r"/\s*(\d+(?:\.\d+)?|[A-Za-z])\s*"
    r"(?=[A-Za-z](?![A-Za-z])|\(|\\(?:pi|sqrt|frac|sin|cos|tan|ln|log|exp|left|theta|alpha|beta)(?![A-Za-z]))"
)


#: `5K`, `1.5M`, `3B`: 5000, 1500000, 3000000000 as written in prose, or the products 5K, 1.5M.
_SUFFIX = re.compile(r"(?<![\w.^_{}\\])(\d+(?:\.\d+)?) ?([kKMB])(?![A-Za-z0-9])")
_SUFFIXES = {"k": "1000", "K": "1000", "M": "1000000", "B": "1000000000"}


def _suffix_value(match: re.Match) -> str:
    return f"({match.group(1)} \\cdot {_SUFFIXES[match.group(2)]})"


def _readings(gold: str, prediction: str) -> list[tuple[str, str, str]]:
    """Every reading of an ambiguous pair (name, gold, prediction); the texts alone when none."""
    readings = [("as written", gold, prediction)]
    if _SUFFIX.search(gold) or _SUFFIX.search(prediction):
        readings += [("5K=5000", _SUFFIX.sub(_suffix_value, gold), _SUFFIX.sub(_suffix_value, prediction))]
    if _SLASH_PRODUCT.search(gold) or _SLASH_PRODUCT.search(prediction):
        readings += [
            (
                f"{name.replace('as written', '')} (a/b)c".strip(),
                _SLASH_PRODUCT.sub(r"/\1 \\cdot ", g),
                _SLASH_PRODUCT.sub(r"/\1 \\cdot ", p),
            )
            for name, g, p in readings
        ]
    if _BARE_LOG.search(gold) or _BARE_LOG.search(prediction):
        powered = _LOG_POWER.search(gold) or _LOG_POWER.search(prediction)
        bases = _LOG_BASES[:1] if powered else _LOG_BASES
        readings += [
            (
                f"{name.replace('as written', '')} {base[1:]}".strip(),
                *(_BARE_LOG.sub(lambda _m, b=base: f" {b} ", t) for t in (g, p)),
            )
            for base in bases
            for name, g, p in readings
        ]
    return readings


def _in_every_reading(gold: str, prediction: str, budget_s: float) -> tuple[Outcome, str | None]:
    """The outcome when every reading of the texts gives it (its claims are all of theirs); else
    unknown: `\\ln 2` was refuted for `\\log 2` and `2` proved for `\\log 100` (base 10 only),
    `3/4\\pi` refuted for `\\frac{3\\pi}{4}` (read as 3/(4 pi) only)."""
    readings = _readings(gold, prediction)
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

#: What may follow a decimal comma as its unit or mark: spacing, then `\text{}`/`\mathrm{}`,
#: words, a percent or a degree sign (`1,5\,\text{m}`, `1,5\%`, `1,5^\circ` were read as lists only).
_COMMA_UNIT = (
    r"(\s*(?:\\[,;: ]|~)?\s*(?:\\(?:text|mathrm)\s*\{[^{}$]*\}|[A-Za-z][A-Za-z /^]*|\\%|%"
    r"|\^\s*\{?\s*\\circ\s*\}?|\u00b0))?"
)
#: `2,5`: two numbers, or 2.5 with a decimal comma (`1,000` is a thousands separator instead);
#: also with a unit after it (`3,5 cm`, refuted against `3.5 cm` before), a dollar sign before it
#: (`\$1,50`) or LaTeX's decimal comma `{,}` (`1{,}5` was read as 15).
_DECIMAL_COMMA = re.compile(r"(\\\$)?\$?\s*(?:\\\$)?(-?\d+)(,|\{,\})(\d{1,2})\s*\$?" + _COMMA_UNIT)
#: `0,111`: never thousands (a leading 0), so the list {0, 111} or 0.111 with a decimal comma.
_ZERO_COMMA = re.compile(r"(\\\$)?\$?\s*(?:\\\$)?(-?0)(,|\{,\})(\d+)\s*\$?" + _COMMA_UNIT)
#: A number, a space and one letter inside a list (`3 m, 4 m`): a unit or a product.
_ITEM_LETTER = re.compile(r"(\d)\s+([A-Za-z])(?:\^\{?[23]\}?)?(?![A-Za-z])")


#: `\\boxed{3,5} cm`: a decimal comma inside a box, with a unit after it.
_BOXED_COMMA = re.compile(r"(\\\$)?\\boxed\s*\{\s*(-?\d+)(,|\{,\})(\d{1,2})\s*\}" + _COMMA_UNIT)


def _decimal_comma(text: str) -> re.Match | None:
    """`2,5`, `3,5 cm`, `0,111`, `\\boxed{3,5} cm`: a whole answer that reads as a decimal comma."""
    return _DECIMAL_COMMA.fullmatch(text) or _ZERO_COMMA.fullmatch(text) or _BOXED_COMMA.fullmatch(text)


def _with_unit(match: re.Match) -> bool:
    """Whether a decimal-comma answer has a unit, a mark or a dollar sign with it."""
    return bool(match.group(1) or match.group(5))


def _decimal_reading(gold: str, prediction: str) -> tuple[str, str] | None:
    """The texts with a decimal comma read as a decimal point (`3,5 cm` -> `3.5 cm`), or None."""
    decimal = [_decimal_comma(t.strip()) for t in (gold, prediction)]
    if not any(decimal):
        return None
    return tuple(  # type: ignore[return-value]
        t.strip()[: m.start(3)] + "." + t.strip()[m.end(3) :] if m else t
        for m, t in zip(decimal, (gold, prediction))
    )


def _proof_in_decimal_reading(judge: Judge, gold: str, prediction: str, outcome: Outcome) -> Outcome:
    """`outcome` (a proof) when the decimal-comma reading proves it too; else unknown. `3,5 cm` is
    the list `3, 5 cm` or 3.5 cm: proved against `3 cm, 5 cm` in the list reading alone, a proof
    rested on one reading of an ambiguous answer. Only with a unit after the comma: a bare `2,5`
    against a list stays the list, as before."""
    if not any((m := _decimal_comma(t.strip())) is not None and _with_unit(m) for t in (gold, prediction)):
        return outcome  # a bare `2,5` against a list is the list (`tests/answers/test_answer_redteam.py`)
    reading = _decimal_reading(gold, prediction)
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


def _other_readings(gold: str, prediction: str) -> list[tuple[str, str]]:
    """The readings a refutation must also hold in: `2,5` as the decimal 2.5, a list whose
    items carry one-letter units (`3 m, 4 m`) read with the units dropped, and `2e-1` as 2e - 1."""
    readings = []
    if (decimal := _decimal_reading(gold, prediction)) is not None:
        readings.append(decimal)
    if "," in gold + prediction and any(_ITEM_LETTER.search(t) for t in (gold, prediction)):
        readings.append((_units_dropped(gold), _units_dropped(prediction)))
    if any(m.group(3)[0] in "+-" for t in (gold, prediction) for m in SCIENTIFIC.finditer(t)):
        readings.append(tuple(SCIENTIFIC.sub(_constant_e, t) for t in (gold, prediction)))
    if any(_COUNTED_IN.search(t) for t in (gold, prediction)):
        readings.append(tuple(_COUNTED_IN.sub("", t) for t in (gold, prediction)))
    spaced = tuple(
        _FRAC_UNIT.sub(_fraction_unit, _TIGHT_UNIT.sub(_spaced_unit, t)) for t in (gold, prediction)
    )
    if spaced != (gold, prediction):
        readings.append(spaced)
    if any(_SCALE_LETTER.search(t) for t in (gold, prediction)):
        readings.append(tuple(_SCALE_LETTER.sub(r"^\\circ \1", t) for t in (gold, prediction)))
    if any(_MS_INVERSE.search(t) for t in (gold, prediction)):
        readings.append(tuple(_MS_INVERSE.sub(r"m s\1", t) for t in (gold, prediction)))
    united = [_symbol_with_unit(t) for t in (gold, prediction)]
    if any(u is not None for u in united):
        readings.append(tuple(u or t for u, t in zip(united, (gold, prediction))))
    mixed = [_one_amount(t) for t in (gold, prediction)]
    if any(m is not None for m in mixed):
        readings.append(tuple(m or t for m, t in zip(mixed, (gold, prediction))))
    return readings


#: A unit written tight against its number (`5cm`, `12000mm`) or a unit with a negative power in
#: plain text (`10 m s^{-1}`): as letters, a product (5·c·m), and `5cm` was refuted against `50 mm`.
_TIGHT_UNIT = re.compile(
    r"(?<![\w.\\])(\d+(?:\.\d+)?)\s*((?:[A-Za-z]{1,12}(?:\^\{?-?\d\}?)?(?:/| (?=[A-Za-z]))?){1,4})(?![\w{^])"
)


def _spaced_unit(match: re.Match) -> str:
    """`5cm` -> `5\\text{ cm}`, `1 N m` -> `1\\text{ N m}`, `1 Km` -> `1\\text{ km}`: the letters after
    a number as a unit, when they read as one (in lower case too); else as they were."""
    number, letters = match.groups()
    unit = letters if read_unit(letters) is not None else None
    if unit is None and len(letters) > 1 and read_unit(letters.lower()) is not None:
        unit = letters.lower()  # `1 KM`, `1 Ft`: refuted as the product K·M
    tight = match.group(0)[len(number)].isalpha()
    if unit is None or not (
        tight or "^{-" in letters or "^-" in letters or " " in letters or unit != letters
    ):
        return match.group(0)  # `3 cm` is read as a unit already
    return f"{number}\\text{{ {unit}}}"


#: A unit written as a fraction of letters after a number (`10 \\frac{km}{h}`): as letters, k·m/h,
#: and `10 \\frac{km}{h}` was refuted against `10 km/h`.
_FRAC_UNIT = re.compile(
    r"(?<=\d)(\s*(?:\\[,;: ]|~)?\s*)\\[dt]?frac\s*\{\s*([A-Za-z ]{1,30})\}\s*\{\s*([A-Za-z ]{1,30})\}(?![\w^])"
)


def _fraction_unit(match: re.Match) -> str:
    """`\\frac{km}{h}` after a number -> `\\text{ km/h}` when it reads as a unit; else as it was."""
    unit = f"{match.group(2).strip()}/{match.group(3).strip()}"
    return f"\\text{{ {unit}}}" if read_unit(unit) is not None else match.group(0)


#: `25 C`, `77 F` closing an answer: degrees of a temperature scale, or a product with a variable
#: (`25 C` was refuted against `25` as 25·C).
_SCALE_LETTER = re.compile(r"(?<=\d)\s*([CF])\s*\.?\s*$")
#: `ms^{-1}`: per millisecond, or metres per second as physics books write it (`m s^{-1}`);
#: `5\\text{ms}^{-1}` was refuted against `5 m/s` as a different dimension.
_MS_INVERSE = re.compile(r"(?<![A-Za-z\\])ms(\s*\}?\s*\^\s*\{?\s*-)")


#: A symbolic value, a space and unit words closing the answer (`x km`, `2\\pi m`, `$2\\pi$ km`).
_SYMBOL_THEN_WORDS = re.compile(
    r"\$?\s*([\w\\{}^+\-*/()]*[A-Za-z})])\s*\$?\s+([A-Za-z][A-Za-z /^{}\-0-9.]{0,60})"
)
#: A word in a symbolic value that is no command (`square`, `degrees`): the value is prose, not math.
_PLAIN_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2,}")


def _symbol_with_unit(text: str) -> str | None:
    """`x km` -> `{x}\\text{ km}`: the reading of words after a symbolic value as its unit (as
    letters, `x km` was x·k·m and refuted against `1000x m`); None when the words are no unit."""
    match = _SYMBOL_THEN_WORDS.fullmatch(text.strip().removesuffix("."))
    if match is None or read_unit(match.group(2).strip()) is None or "\\boxed" in match.group(1):
        return None
    if _PLAIN_WORD.search(match.group(1)) or not any(c.isalpha() for c in match.group(1)):
        return None
    return f"{{{match.group(1)}}}\\text{{ {match.group(2).strip()}}}"


def _one_amount(text: str) -> str | None:
    """`2 hours, 15 minutes` -> `2 hours 15 minutes`: a list that also reads as one amount in
    several units (`reasoning.answers._units.mixed_quantity`), also with its numbers boxed or in
    math (`\\boxed{1} h \\boxed{30} min` read as its last box, 30 min); None otherwise."""
    if len(text) > 120:
        return None
    plain = _BOX_CONTENT.sub(r" \1 ", text).replace("$", " ")
    if "," not in text and plain == text:
        return None
    joined = " ".join(plain.replace(",", " ").split())
    return joined if mixed_quantity(joined) is not None else None


#: A box holding a plain number.
_BOX_CONTENT = re.compile(r"\\boxed\s*\{\s*(\d+(?:\.\d+)?)\s*\}")


#: A number word right after a box or math segment (`\boxed{12} dozen`, `$5$ million`): the
#: extraction keeps it with the value (144, 5000000), but `12 dozen` may also answer "how many
#: dozens" with 12. The reading without it: a refutation must hold there too.
_COUNTED_IN = re.compile(
    r"(?<=[}$])[ \t]*(?:\\text\s*\{\s*(?:"
    + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
    + r")\s*\}|(?:"
    + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
    + r")\b)",
    re.IGNORECASE,
)


def _constant_e(match: re.Match) -> str:
    """`2e-1` -> `2\\cdot e-1`: the reading of a tight `e` (with a signed exponent) as the constant."""
    mantissa, letter, exponent = match.groups()
    return f"{mantissa}\\cdot {letter}{exponent}" if exponent[0] in "+-" else match.group(0)


def _units_dropped(text: str) -> str:
    """`3 m, 4 x` -> `3, 4 x`: known one-letter units after a number dropped (the unit reading)."""
    return _ITEM_LETTER.sub(lambda m: m.group(1) if read_unit(m.group(2)) is not None else m.group(0), text)


#: A word of three letters or more in a normalised answer, not a command.
_LETTER_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{3,}(?![A-Za-z])")


def _unit_word_as_letters(text: str) -> str | None:
    """A unit word the normalised answer still holds (`half an hour`, `1 and a half hours`): read
    as a product of letters h·o·u·r, so a refutation rests on nothing; None when there is none."""
    found = extract(text)
    if not isinstance(found, str):
        return None
    normalised, _ = normalise(found)
    for match in _LETTER_WORD.finditer(normalised):
        word = match.group(0)
        if read_unit(word) is not None or read_unit(word.lower()) is not None:
            return word
    return None


def _refutation_in_every_reading(judge: Judge, gold: str, prediction: str, outcome: Outcome) -> Outcome:
    """`outcome` (a refutation) when every other reading of the texts refutes too; else unknown,
    so a verdict never rests on one reading of an ambiguous answer (issue 13)."""
    if (word := _unit_word_as_letters(gold) or _unit_word_as_letters(prediction)) is not None:
        return unknown_outcome(f"the unit word {word!r} is read as a product of letters: {outcome.message}")
    for other_gold, other_prediction in _other_readings(gold, prediction):
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
