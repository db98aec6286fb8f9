"""Domain `arithmetic`: the exact value of an arithmetic expression, optionally rounded.

Reads reasoning-gym `basic_arithmetic`, `decimal_arithmetic` and `chain_sum`. A task is an
expression over integers and decimals with `+ - * / ^ **`, parentheses and signs, e.g.
`{"domain": "arithmetic", "expression": "(0.664*6.635)*(5.867-4.618-4.105)",
"significant_digits": 12}`. The value is computed exactly (`Fraction`); the answer is that value
(`format`: integer, decimal or fraction), or the value correctly rounded to `significant_digits`
or `decimals` under `rounding` (half-up means ties away from zero, as Python's
`decimal.ROUND_HALF_UP`). An expression with no value (division by zero) has the answer
`undefined`, which is proved like any other answer.

The expression language (tokenizer, parser and its limits, exact evaluator, printer) is
`reasoning.domains.common._expressions`, reading, rounding and writing numbers is
`reasoning.domains.common._numerals`, and the symbolic worker and planner are
`reasoning.domains.arithmetic._symbolic`. This module is the domain itself: tasks, answers, claims
and their certificates, and the prompts.

Claim lines (one per line, checked by `check_claim`): `EXPR = VALUE` (both sides closed
expressions; proved when they are exactly equal) and `EXPR = undefined` (proved when evaluating
EXPR divides by zero). The certificate embeds the project kernel's exact certificate
(`reasoning.api.verify`) when the claim fits the claim language; `recheck` re-evaluates with the
`expressions` evaluator and re-checks the embedded certificate with `proofs.check.check_certificate`.

Sub-queries (symbolic worker): `evaluate: EXPR`. The planner splits a top-level chain (`a - b + c
...` or `a * b / c ...`) into up to `capacity` contiguous parts, forks one `evaluate:` per part,
then forks one `evaluate:` that combines the verified part values, and answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from proofs.check import certified_truth, check_certificate
from proofs.parsing import MAX_CLAIM_CHARS, ParseFailure, parse_claim
from proofs.verdict import Status
from reasoning.api import verify
from reasoning.domains import register
from reasoning.domains._base import (
    Domain,
    DomainCheck,
    FieldSpec,
    Problem,
    TaskError,
    certificate,
    certificate_shape,
    check_fields,
    feedback_lines,
)
from reasoning.domains.arithmetic._symbolic import ArithmeticPlanner, ArithmeticWorker
from reasoning.domains.arithmetic._symbolic import split_chain as split_chain  # re-exported for callers
from reasoning.domains.common._expressions import (
    MAX_EXPRESSION_CHARS,
    ExpressionError,
    ExpressionTooLarge,
    ExpressionUndefined,
    Node,
    NotRational,
    evaluate,
    parse_expression,
    size_in_bits,
)
from reasoning.domains.common._expressions import show as show  # re-exported for callers
from reasoning.domains.common._numerals import (
    MAX_DIGITS,
    ROUNDINGS,
    decimal_exponent,
    read_number,
    round_places,
    round_significant,
    terminating,
    write_decimal,
    write_exact,
)
from reasoning.domains.common._query_grammars import evaluate_grammar

# ---------------------------------------------------------------- limits

#: Most digits an answer may need (its value and the places asked for).
MAX_ANSWER_DIGITS = 4_000
#: Answer formats for `format`.
FORMATS = ("auto", "integer", "decimal", "fraction")


# ---------------------------------------------------------------- the domain


@dataclass(frozen=True)
class _Parsed:
    tree: Node
    value: Fraction | None  # None when undefined
    undefined: str = ""


def _evaluate_task(tree: Node) -> _Parsed:
    try:
        return _Parsed(tree, evaluate(tree))
    except ExpressionUndefined as exc:
        return _Parsed(tree, None, str(exc))


_QUESTION = (
    re.compile(r"^\s*(?:calculate|what is|solve|compute|evaluate:?)\s+(.*?)\s*[.?]?\s*\Z", re.I | re.S),
    re.compile(r"following arithmetic problem:\s*(.*?)\s*=\s*\Z", re.I | re.S),
)
_DECIMAL_QUESTION = re.compile(
    r"maximum of (\d+) significant digits, rounding up from the half.*?\n(.*?)\s*=\s*\?\s*\Z", re.I | re.S
)
_UNDEFINED = re.compile(r"\s*undefined\b", re.I)


class Arithmetic(Domain):
    """The exact (or correctly rounded) value of an arithmetic expression."""

    name = "arithmetic"
    summary = "exact value of an arithmetic expression (+ - * / ^), optionally rounded"
    reasoning_gym = ("basic_arithmetic", "decimal_arithmetic", "chain_sum")
    fields = {
        "expression": FieldSpec("str", "the expression, e.g. '(0.5 + 1/3) * 6 - 2^10'", required=True),
        "format": FieldSpec(
            "str",
            "how to write an unrounded answer: auto (integer, else finite decimal, else p/q), "
            "integer, decimal or fraction",
            default="auto",
        ),
        "significant_digits": FieldSpec("int", "round the answer to this many significant digits"),
        "decimals": FieldSpec("int", "round the answer to this many decimal places"),
        "rounding": FieldSpec("str", "rounding rule: " + ", ".join(ROUNDINGS), default="half-up"),
    }

    # ------------------------------------------------------------ tasks

    def parse(self, data: Mapping[str, Any]) -> Problem:
        fields = check_fields(self, data)
        try:
            tree = parse_expression(fields["expression"])
        except ExpressionError as exc:
            raise TaskError(f"expression: {exc}") from None
        fields["expression"] = " ".join(fields["expression"].split())
        if fields["format"] not in FORMATS:
            raise TaskError(f"format: must be one of {', '.join(FORMATS)}, got {fields['format']!r}")
        if fields["rounding"] not in ROUNDINGS:
            raise TaskError(f"rounding: must be one of {', '.join(ROUNDINGS)}, got {fields['rounding']!r}")
        sig, places = fields["significant_digits"], fields["decimals"]
        if sig is not None and places is not None:
            raise TaskError("significant_digits and decimals: give at most one of them")
        if sig is not None and not 1 <= sig <= MAX_DIGITS:
            raise TaskError(f"significant_digits: must be in 1..{MAX_DIGITS}, got {sig}")
        if places is not None and not -MAX_DIGITS <= places <= MAX_DIGITS:
            raise TaskError(f"decimals: must be in -{MAX_DIGITS}..{MAX_DIGITS}, got {places}")
        try:
            parsed = _evaluate_task(tree)
        except ExpressionTooLarge as exc:
            raise TaskError(f"expression: too large to compute exactly ({exc})") from None
        except NotRational as exc:
            raise TaskError(f"expression: {exc}") from None
        value = parsed.value
        if value is not None:
            digits = max(value.numerator.bit_length(), value.denominator.bit_length()) * 0.302 + abs(
                places or 0
            )
            if digits > MAX_ANSWER_DIGITS or (sig or 0) > MAX_ANSWER_DIGITS:
                raise TaskError(f"expression: the answer would need more than {MAX_ANSWER_DIGITS} digits")
        if value is not None and sig is None and places is None:
            if fields["format"] == "integer" and value.denominator != 1:
                raise TaskError(
                    f"format: the value {write_exact(value)} is not an integer; use auto or fraction"
                )
            if fields["format"] == "decimal" and not terminating(value):
                raise TaskError(
                    f"format: the value {write_exact(value)} has no finite decimal expansion; "
                    "give significant_digits or decimals"
                )
        rule = ""
        if sig is not None:
            rule = f", rounded to {sig} significant digits ({fields['rounding']})"
        elif places is not None:
            rule = f", rounded to {places} decimal places ({fields['rounding']})"
        text = f"Compute the exact value of {fields['expression']}{rule}."
        return Problem(self.name, fields, text, parsed)

    def from_reasoning_gym(self, task_name: str, entry: Mapping[str, Any]) -> Problem:
        """From the question text only (never `answer` or metadata)."""
        question = entry.get("question") if isinstance(entry, Mapping) else None
        if task_name not in self.reasoning_gym:
            raise TaskError(f"arithmetic does not read reasoning-gym task {task_name!r}")
        if not isinstance(question, str):
            raise TaskError("question: a reasoning-gym entry needs its question text")
        if task_name == "decimal_arithmetic":
            match = _DECIMAL_QUESTION.search(question)
            if match is None:
                raise TaskError("question: not a decimal_arithmetic question")
            return self.parse(
                {
                    "expression": match.group(2),
                    "significant_digits": int(match.group(1)),
                    "rounding": "half-up",
                }
            )
        for pattern in _QUESTION:
            if match := pattern.search(question):
                return self.parse({"expression": match.group(1)})
        raise TaskError(f"question: cannot find the expression in {question[:80]!r}")

    # ------------------------------------------------------------ answers

    def target(self, problem: Problem) -> Fraction | None:
        """The value an answer must state: exact, or correctly rounded per the task."""
        value = problem.data.value
        if value is None:
            return None
        f = problem.fields
        if f["significant_digits"] is not None:
            return round_significant(value, f["significant_digits"], f["rounding"])
        if f["decimals"] is not None:
            return round_places(value, f["decimals"], f["rounding"])
        return value

    def write_answer(self, problem: Problem, value: Fraction | None) -> str:
        """The answer text for an exact value, in the task's format (rounding applied here)."""
        if value is None:
            return "undefined"
        f = problem.fields
        if f["significant_digits"] is not None:
            return write_decimal(round_significant(value, f["significant_digits"], f["rounding"]))
        if f["decimals"] is not None:
            rounded = round_places(value, f["decimals"], f["rounding"])
            return write_decimal(rounded, max(0, f["decimals"]))
        if f["format"] == "fraction" or (f["format"] == "auto" and not _short_decimal(value)):
            return write_exact(value)
        return write_decimal(value)

    def check_answer(self, problem: Problem, text: str, *, budget_s: float) -> DomainCheck:
        if not isinstance(text, str) or not text.strip():
            return DomainCheck(Status.INVALID, "the answer is empty: write the value")
        line = text.strip()
        value, rule = problem.data.value, self._rule(problem)
        if _UNDEFINED.match(line):
            holds = value is None
            why = (
                f"the expression is undefined ({problem.data.undefined})"
                if holds
                else f"the expression has the value {_short(value)}, it is not undefined"
            )
            evidence = {"value": None if value is None else write_exact(value)}
            return _checked(problem, line, holds, why, evidence, role="answer")
        stated = read_number(line)
        if stated is None:
            return DomainCheck(
                Status.INVALID,
                f"the answer {line[:80]!r} is not a number (an integer, a decimal or p/q) nor 'undefined'",
            )
        if value is None:
            why = f"the expression has no value ({problem.data.undefined}); the answer is 'undefined'"
            return _checked(problem, line, False, why, {"value": None}, role="answer")
        target = self.target(problem)
        holds = stated == target
        if holds:
            why = f"{line} is the exact value{rule}" if rule else f"{line} is the exact value"
        else:
            why = f"{line} is not the value{rule}: the exact value is {_short(value)}"
        return _checked(problem, line, holds, why, {"value": write_exact(value)}, role="answer")

    def answers(self, problem: Problem, answer_text: str) -> list[str]:
        lines = [line.strip() for line in answer_text.splitlines() if line.strip()]
        return lines[:1]

    # ------------------------------------------------------------ claims

    def check_claim(self, problem: Problem, text: str, *, budget_s: float) -> DomainCheck:
        claim = _claim(text)
        if isinstance(claim, str):
            return DomainCheck(Status.INVALID, claim)
        left_text, left, right_text, right = claim
        try:
            lhs = evaluate(left)
        except ExpressionUndefined as exc:
            holds = right is None
            return _checked(
                problem, text.strip(), holds, f"{left_text} is undefined ({exc})", {}, role="claim"
            )
        except (ExpressionTooLarge, NotRational) as exc:
            return DomainCheck(Status.UNKNOWN, f"cannot evaluate {left_text[:80]} exactly: {exc}")
        if right is None:
            why = f"{left_text[:80]} has the value {_short(lhs)}, it is not undefined"
            return _checked(problem, text.strip(), False, why, {"value": write_exact(lhs)}, role="claim")
        try:
            rhs = evaluate(right)
        except (ExpressionUndefined, ExpressionTooLarge, NotRational) as exc:
            return DomainCheck(Status.INVALID, f"the right side {right_text[:80]} is not a value: {exc}")
        holds = lhs == rhs
        why = f"{left_text[:80]} = {_short(lhs)}" + ("" if holds else f", not {_short(rhs)}")
        evidence: dict[str, Any] = {"value": write_exact(lhs)}
        kernel = _kernel_certificate(f"{left_text} = {right_text}", budget_s)
        if kernel is not None:
            evidence["exact"] = kernel
        return _checked(problem, text.strip(), holds, why, evidence, role="claim")

    def recheck(self, problem: Problem, cert: Mapping[str, Any]) -> tuple[bool, str]:
        """Re-evaluate with this module's evaluator; re-check the kernel certificate if embedded."""
        shape = certificate_shape(self.name, problem, cert)
        if shape is not None:
            return False, shape
        text, role, holds = cert["claim"], cert["role"], cert["holds"]
        fresh = self._recheck_answer(problem, text) if role == "answer" else self._recheck_claim(text)
        if isinstance(fresh, str):
            return False, fresh
        if fresh != holds:
            return False, f"re-evaluation finds the {role} {'holds' if fresh else 'fails'}, not as certified"
        evidence = cert.get("evidence") or {}
        kernel = evidence.get("exact") if isinstance(evidence, Mapping) else None
        if kernel is not None:
            claim = _claim(text)
            if isinstance(claim, str) or claim[3] is None:
                return False, "an exact certificate for a claim that is not an equation"
            if not isinstance(kernel, dict) or kernel.get("claim") is None:
                return False, "the embedded exact certificate is malformed"
            mine, theirs = parse_claim(f"{claim[0]} = {claim[2]}"), parse_claim(str(kernel.get("claim")))
            if isinstance(mine, ParseFailure) or mine != theirs:
                return False, "the embedded exact certificate is about another claim"
            report = check_certificate(kernel)
            if not report.ok or certified_truth(kernel) is not holds:
                return False, f"the embedded exact certificate does not re-check: {report.message}"
        return True, f"re-evaluated exactly: the {role} {'holds' if holds else 'fails'}"

    def _recheck_claim(self, text: str) -> bool | str:
        claim = _claim(text)
        if isinstance(claim, str):
            return claim
        _, left, _, right = claim
        try:
            lhs = evaluate(left)
        except ExpressionUndefined:
            return right is None
        except (ExpressionTooLarge, NotRational) as exc:
            return f"cannot re-evaluate: {exc}"
        if right is None:
            return False
        try:
            return lhs == evaluate(right)
        except (ExpressionUndefined, ExpressionTooLarge, NotRational) as exc:
            return f"the right side is not a value: {exc}"

    def _recheck_answer(self, problem: Problem, text: str) -> bool | str:
        try:
            tree = parse_expression(problem.fields["expression"])
            value: Fraction | None = evaluate(tree)
        except ExpressionUndefined:
            value = None
        except (ExpressionError, ExpressionTooLarge, NotRational) as exc:
            return f"the task's expression does not re-evaluate: {exc}"
        if _UNDEFINED.match(text):
            return value is None
        stated = read_number(text)
        if stated is None:
            return "the answer is not a number"
        if value is None:
            return False
        f = problem.fields
        if f["significant_digits"] is not None:
            # An independent reading of "correctly rounded": the stated value has at most that
            # many significant digits and lies within half a unit of its last place (ties per rule).
            return _is_rounding(value, stated, f["significant_digits"], f["rounding"], significant=True)
        if f["decimals"] is not None:
            return _is_rounding(value, stated, f["decimals"], f["rounding"], significant=False)
        return stated == value

    def _rule(self, problem: Problem) -> str:
        f = problem.fields
        if f["significant_digits"] is not None:
            return f" rounded to {f['significant_digits']} significant digits ({f['rounding']})"
        if f["decimals"] is not None:
            return f" rounded to {f['decimals']} decimal places ({f['rounding']})"
        return ""

    # ------------------------------------------------------------ workers and planner

    def symbolic_worker(self) -> ArithmeticWorker:
        return ArithmeticWorker()

    def planner(self, problem: Problem, *, capacity: int) -> ArithmeticPlanner:
        return ArithmeticPlanner(self, problem, capacity=capacity)

    def to_reasoning_gym(self, problem: Problem, answers: Sequence[str]) -> str:
        return answers[0] if answers else ""

    def worker_prompt(self, problem: Problem, query: str, feedback: Sequence[str] = ()) -> str:
        lines = [
            "You compute exact values. Every claim is checked exactly; a wrong one is sent back.",
            "Reply inside <RETURN>...</RETURN> with one claim per line: 'EXPRESSION = VALUE', VALUE an "
            "integer, a decimal or p/q ('EXPRESSION = undefined' for a division by zero). End with the "
            "sub-query's whole expression.",
            "Example. Sub-query: evaluate: 12 - 3 * 4 + 7 / 2",
            "<RETURN>\n3 * 4 = 12\n12 - 3 * 4 + 7 / 2 = 7/2\n</RETURN>",
            "Example. Sub-query: evaluate: 8 / (2 - 2)",
            "<RETURN>\n8 / (2 - 2) = undefined\n</RETURN>",
            f"Task: {problem.text}",
            f"Sub-query: {query}",
        ]
        lines += feedback_lines(feedback)
        return "\n".join(lines)

    def query_grammar(self, problem: Problem, query: str) -> str | None:
        """`evaluate: E` -> exactly `E = VALUE` (`query_grammars.evaluate_grammar`)."""
        match = re.fullmatch(r"\s*evaluate:\s*(.+?)\s*", query, re.S) if isinstance(query, str) else None
        if match is None or "\n" in match.group(1) or len(match.group(1)) > 2_000:
            return None
        return evaluate_grammar(match.group(1))

    def organizer_prompt(self, problem: Problem) -> str:
        return (
            f"Task (arithmetic): {problem.text}\n"
            "Split the expression at its top-level + and - (or * and /) into parts and hand each "
            "to a worker: <FORK-i>evaluate: PART</FORK-i>; <JOIN-i> waits for its verified "
            "'PART = VALUE'. Then fork one 'evaluate:' that combines the part values, and end with "
            "<ANSWER>VALUE</ANSWER> written as the task asks (rounded when it says so; "
            "'undefined' for a division by zero)."
        )


def _short_decimal(value: Fraction) -> bool:
    return terminating(value) and value.denominator <= 10**50


def _short(value: Fraction | None) -> str:
    if value is None:
        return "undefined"
    if size_in_bits(value) > 200:
        return f"a {size_in_bits(value)}-bit number"
    return write_exact(value)


def _is_rounding(value: Fraction, stated: Fraction, digits: int, rounding: str, *, significant: bool) -> bool:
    """Is `stated` the rounding of `value`? Checked from the definition, not by recomputing it:
    `stated` is a multiple of the unit u of the last kept place, |value - stated| <= u/2, and on a
    tie the rule picks `stated` (for `down`: |stated| <= |value| < |stated| + u, same sign)."""
    if significant:
        if value == 0:
            return stated == 0
        exponent = decimal_exponent(value)
        places = digits - 1 - exponent
        # rounding up may carry into the next power of ten (9.96 -> 10.0): the unit stays the same
    else:
        places = digits
    unit = Fraction(1, 10**places) if places >= 0 else Fraction(10 ** (-places))
    if (stated / unit).denominator != 1:
        return False
    gap = abs(value - stated)
    if rounding == "down":
        return (stated == 0 or (stated > 0) == (value > 0)) and abs(stated) <= abs(value) < abs(stated) + unit
    if gap > unit / 2:
        return False
    if gap < unit / 2:
        return True
    away = abs(stated) > abs(value)
    if rounding == "half-up":
        return away
    if rounding == "half-down":
        return not away
    return (stated / unit).numerator % 2 == 0  # half-even


def _claim(text: str) -> tuple[str, Node, str, Node | None] | str:
    """(left text, left tree, right text, right tree or None for 'undefined'), or why not a claim."""
    if not isinstance(text, str) or not text.strip():
        return "an empty claim: write 'EXPRESSION = VALUE'"
    if len(text) > MAX_EXPRESSION_CHARS:
        return f"the claim is {len(text)} characters long; the limit is {MAX_EXPRESSION_CHARS}"
    if text.count("=") != 1:
        return f"a claim is 'EXPRESSION = VALUE' with one '=': {text.strip()[:80]!r}"
    left_text, right_text = (part.strip() for part in text.split("="))
    try:
        left = parse_expression(left_text)
    except ExpressionError as exc:
        return f"the left side is not an expression: {exc}"
    if right_text.lower() == "undefined":
        return left_text, left, right_text, None
    try:
        right = parse_expression(right_text)
    except ExpressionError as exc:
        return f"the right side is not an expression: {exc}"
    return left_text, left, right_text, right


def _kernel_certificate(claim: str, budget_s: float) -> dict[str, Any] | None:
    """The project kernel's exact certificate of `claim`, when it decides it exactly."""
    if len(claim) > MAX_CLAIM_CHARS:
        return None
    verdict = verify(claim, budget_s=max(0.1, min(budget_s, 10.0)))
    cert = verdict.certificate
    if (
        verdict.status in (Status.PROVED, Status.REFUTED)
        and isinstance(cert, dict)
        and cert.get("kind") == "exact"
    ):
        return cert
    return None


def _checked(
    problem: Problem, text: str, holds: bool, why: str, evidence: Mapping[str, Any], *, role: str
) -> DomainCheck:
    cert = certificate(problem, text, role=role, holds=holds, evidence=evidence)
    return DomainCheck(Status.PROVED if holds else Status.REFUTED, why, cert)


register(Arithmetic())
