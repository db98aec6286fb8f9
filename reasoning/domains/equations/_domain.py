"""Domain `equations`: all real solutions of a polynomial equation, or of a system, proved.

Reads reasoning-gym `simple_equations` (linear, one unknown, integer answer) and
`polynomial_equations` (real roots, comma-separated, rounded to 4 places). A task is one
equation (`{"domain": "equations", "equation": "56 - 98*e = -1218"}`) or a system
(`{"equations": ["x + y = 3", "x - y = 1"]}`), polynomial in its unknowns (any letters; a
single equation has one), with `decimals` to write roots rounded to that many places under
`rounding` (half-up: ties away from zero).

How answers are proved (never by floating point):

- One unknown: `P(x) = left - right` is expanded exactly. `P = 0` identically: every value is a
  solution; `P` a non-zero constant: none. Otherwise the distinct real roots are isolated with a
  Sturm sequence of the square-free part in exact rational arithmetic, each root in an interval
  `(lo, hi)` with a strict sign change. An exact answer `x = v` is proved by substituting `v`;
  a rounded one `x ≈ d` by refining the root's interval until it holds no rounding boundary
  (splitting at a boundary that is itself a root makes the root exact); with `decimals` every
  value is read so, and the certificate's `rounded` entries name the interval each value stands
  for (`root_in`), so a rounded value is never proved as an exact root. The answer must list
  all and only the real roots: lines and roots are matched one to one. The certificate lists the
  roots; `recheck` re-verifies every sign change and exact root, counts the real roots again
  with SymPy (`Poly.count_roots`, in the project's killable sandbox) and re-judges the answer.
- Linear systems: exact Gauss-Jordan elimination. A unique solution is proved by substitution
  and a non-zero minor (full column rank); "no solution" by multipliers that combine the
  equations into `0 = c` with `c != 0`; "infinitely many solutions" by a solution plus a non-zero
  null vector. `recheck` verifies each of these from the task alone.
- Non-linear systems: rational solutions are found by Z3 and proved by substitution; that there
  are no others is an `unsat` of "the system and none of the listed solutions", re-solved in a
  fresh Z3 context by `recheck` (the SMT-LIB script is in the certificate).

Answer lines: `x = 3`, `x ≈ 1.4142` (or a bare number), `x = 1, y = 2` for a system, and the
phrases `no solution` / `no real solution`, `every value` / `infinitely many solutions` (for a
system, `every value` says every assignment solves it, `infinitely many solutions` only that
there are infinitely many).
Claim lines (worker returns): the same solution lines, `N real roots in (A, B]`, and the phrases.
Sub-queries: `roots in (A, B]` (A, B rational), `classify` and `solve`. The planner splits a root
bound's interval into `capacity` parts, forks one `roots in` per part and answers with the
verified roots; a system gets one `solve` fork.

Where things live: expanding equations into polynomials is `_polynomials`; isolating, counting and
rounding real roots is `_real_roots`, and judging a list of roots against them `_root_answers`;
systems are `_linear_systems` and `_nonlinear_systems`; the parsed task and the answer-line reader
they share are `_task`; the symbolic worker and planner are `_symbolic` (all in
`reasoning.domains.equations`). This module is the domain itself: tasks, answers, claims, certificates and
their re-check, and the prompts.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

from proofs.verdict import Status
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
from reasoning.domains.common._claim_lines import unreadable
from reasoning.domains.common._expressions import ExpressionError, parse_equation, variables
from reasoning.domains.common._numerals import ROUNDINGS, read_number, write_decimal, write_exact
from reasoning.domains.equations._linear_systems import linear_judge, recheck_linear
from reasoning.domains.equations._nonlinear_systems import nonlinear_judge, recheck_nonlinear
from reasoning.domains.equations._polynomials import NotPolynomialEquation, add_polynomials, polynomial
from reasoning.domains.equations._real_roots import (
    BudgetExceeded,
    Root,
    count_in,
    dense,
    isolate,
    make_exact,
    rounded,
    squarefree,
)

# Re-exported: the root-isolation primitives callers and tests import from this module.
from reasoning.domains.equations._real_roots import primitive as primitive
from reasoning.domains.equations._real_roots import refine_for_rounding as refine_for_rounding
from reasoning.domains.equations._real_roots import value_sign as value_sign
from reasoning.domains.equations._root_answers import judge, recheck_single
from reasoning.domains.equations._symbolic import EquationsPlanner, EquationsWorker
from reasoning.domains.equations._task import (
    ASSIGNMENT,
    COUNT_CLAIM,
    Parsed,
    SolutionLine,
    read_lines,
    read_phrase,
    rounding_evidence,
    rounding_note,
    system_phrase,
)

#: Most equations and unknowns in a system.
MAX_EQUATIONS = 12
#: Most decimal places a task may ask for.
MAX_DECIMALS = 50
#: Longest claim read, in characters.
MAX_CLAIM_CHARS = 20_000
#: Places an irrational root is written with when the task gives no `decimals`.
DEFAULT_PLACES = 6
#: Seconds `parse` may spend on the square-free part of a single equation's polynomial.
PARSE_BUDGET_S = 5.0


class Equations(Domain):
    """Real solutions of polynomial equations and systems, proved exactly."""

    name = "equations"
    summary = "all real solutions of a polynomial equation or system (exact, or rounded and proved)"
    reasoning_gym = ("simple_equations", "polynomial_equations")
    fields = {
        "equation": FieldSpec("str", "one equation, e.g. '2*x^2 - 3 = x' (or use equations)"),
        "equations": FieldSpec("strs", "a system: several equations"),
        "variable": FieldSpec("str", "the unknown of a single equation (inferred when it has one letter)"),
        "variables": FieldSpec("strs", "the unknowns of a system (default: every letter, sorted)"),
        "decimals": FieldSpec("int", "write solutions rounded to this many decimal places"),
        "rounding": FieldSpec("str", "rounding rule: " + ", ".join(ROUNDINGS), default="half-up"),
    }

    # ------------------------------------------------------------ tasks

    def parse(self, data: Mapping[str, Any]) -> Problem:
        fields = check_fields(self, data)
        one, many = fields["equation"], fields["equations"]
        if (one is None) == (many is None):
            raise TaskError("equation or equations: give exactly one of them")
        texts = [one] if one is not None else list(many)
        if not texts:
            raise TaskError("equations: the list is empty")
        if len(texts) > MAX_EQUATIONS:
            raise TaskError(f"equations: {len(texts)} equations; at most {MAX_EQUATIONS}")
        where = "equation" if one is not None else "equations"
        trees = []
        for index, text in enumerate(texts, 1):
            label = where if one is not None else f"equations[{index}]"
            try:
                trees.append(parse_equation(text))
            except ExpressionError as exc:
                raise TaskError(f"{label}: {exc}") from None
        letters = sorted(set().union(*(variables(a) | variables(b) for a, b in trees)))
        names = self._unknowns(fields, letters, one is not None)
        if fields["rounding"] not in ROUNDINGS:
            raise TaskError(f"rounding: must be one of {', '.join(ROUNDINGS)}, got {fields['rounding']!r}")
        if fields["decimals"] is not None and not 0 <= fields["decimals"] <= MAX_DECIMALS:
            raise TaskError(f"decimals: must be in 0..{MAX_DECIMALS}, got {fields['decimals']}")
        polys = []
        for index, (left, right) in enumerate(trees, 1):
            label = where if one is not None else f"equations[{index}]"
            try:
                polys.append(add_polynomials(polynomial(left, names), polynomial(right, names), -1))
            except NotPolynomialEquation as exc:
                raise TaskError(f"{label}: {exc}") from None
        if one is not None:
            fields["equation"] = " ".join(one.split())
        else:
            fields["equations"] = [" ".join(t.split()) for t in many]
        fields["variable"] = names[0] if one is not None else None
        fields["variables"] = names if one is None else None
        parsed = Parsed(names, trees, polys)
        if one is not None:
            parsed.dense = dense(polys[0])
            if len(parsed.dense) > 1:
                try:
                    parsed.g = squarefree(parsed.dense, time.monotonic() + PARSE_BUDGET_S)
                except BudgetExceeded:
                    raise TaskError(f"equation: too large to factor within {PARSE_BUDGET_S:g} s") from None
        rule = ""
        if fields["decimals"] is not None:
            rule = f", each rounded to {fields['decimals']} decimal places ({fields['rounding']})"
        if one is not None:
            text = f"Find every real solution {names[0]} of {fields['equation']}{rule}."
        else:
            text = f"Find every real solution ({', '.join(names)}) of the system {'; '.join(fields['equations'])}{rule}."
        return Problem(self.name, fields, text, parsed)

    def _unknowns(self, fields: dict[str, Any], letters: list[str], single: bool) -> list[str]:
        if single:
            if fields["variables"] is not None:
                raise TaskError("variables: a single equation names its unknown with variable")
            wanted = fields["variable"]
            if wanted is None:
                if len(letters) != 1:
                    found = ", ".join(letters) or "none"
                    raise TaskError(
                        f"variable: the equation needs exactly one unknown letter (found {found}); name it"
                    )
                return letters
            if not re.fullmatch(r"[A-Za-z_][A-Za-z_0-9]*", wanted):
                raise TaskError(f"variable: {wanted!r} is not a name")
            others = [n for n in letters if n != wanted]
            if others:
                raise TaskError(
                    f"variable: the equation has other letters ({', '.join(others)}); only {wanted} may appear"
                )
            return [wanted]
        if fields["variable"] is not None:
            raise TaskError("variable: a system names its unknowns with variables")
        wanted_list = fields["variables"]
        if wanted_list is None:
            if not letters:
                raise TaskError("equations: the system has no unknowns")
            return letters
        bad = [n for n in wanted_list if not re.fullmatch(r"[A-Za-z_][A-Za-z_0-9]*", n)]
        if bad or len(set(wanted_list)) != len(wanted_list) or not wanted_list:
            raise TaskError("variables: distinct names, at least one")
        others = [n for n in letters if n not in wanted_list]
        if others:
            raise TaskError(f"variables: the equations have other letters ({', '.join(others)})")
        if len(wanted_list) > MAX_EQUATIONS:
            raise TaskError(f"variables: at most {MAX_EQUATIONS} unknowns")
        return list(wanted_list)

    def from_reasoning_gym(self, task_name: str, entry: Mapping[str, Any]) -> Problem:
        """From the question text only (never `answer` or metadata)."""
        question = entry.get("question") if isinstance(entry, Mapping) else None
        if task_name not in self.reasoning_gym:
            raise TaskError(f"equations does not read reasoning-gym task {task_name!r}")
        if not isinstance(question, str):
            raise TaskError("question: a reasoning-gym entry needs its question text")
        if task_name == "simple_equations":
            match = re.search(
                r"(?:value of|Solve for|value of)\s+([A-Za-z])\b[^:]*:\s*(.+?)\s*\Z", question, re.S
            )
            if match is None:
                raise TaskError("question: not a simple_equations question")
            return self.parse({"equation": match.group(2), "variable": match.group(1)})
        match = re.search(r"(?:of|for real)\s+([A-Za-z])\b[^:]*:\s*\n?(.+?=\s*0)\s*\n", question, re.S)
        if match is None:
            raise TaskError("question: not a polynomial_equations question")
        places = re.search(r"Round all decimal values to (\d+) decimal places", question)
        return self.parse(
            {
                "equation": match.group(2),
                "variable": match.group(1),
                "decimals": int(places.group(1)) if places else 4,
                "rounding": "half-up",
            }
        )

    # ------------------------------------------------------------ the solution set

    def solution_set(self, problem: Problem, deadline: float) -> dict[str, Any]:
        """One unknown: {'kind': 'all' | 'none' | 'roots', 'roots': [Root]}; cached per problem."""
        data: Parsed = problem.data
        if "set" in data.cache:
            return data.cache["set"]
        p = data.dense or []
        if not p:
            result: dict[str, Any] = {"kind": "all", "roots": []}
        elif len(p) == 1:
            result = {"kind": "none", "roots": []}
        else:
            roots = isolate(data.g or [], deadline)
            result = {"kind": "roots" if roots else "none", "roots": roots}
        data.cache["set"] = result
        return result

    # ------------------------------------------------------------ answers and claims

    def check_answer(self, problem: Problem, text: str, *, budget_s: float) -> DomainCheck:
        if why := unreadable(text, what="answer"):
            return DomainCheck(Status.INVALID, f"{why}: list the solutions, or say 'no solution'")
        deadline = time.monotonic() + budget_s
        try:
            if len(problem.data.names) == 1:
                return self._check_single(problem, text.strip(), deadline, role="answer")
            return self._check_system(problem, text.strip(), deadline, role="answer")
        except BudgetExceeded:
            return DomainCheck(Status.UNKNOWN, f"the time budget of {budget_s:g} s ran out")

    def check_claim(self, problem: Problem, text: str, *, budget_s: float) -> DomainCheck:
        if why := unreadable(text, what="claim", limit=MAX_CLAIM_CHARS):
            return DomainCheck(Status.INVALID, why)
        deadline = time.monotonic() + budget_s
        line = text.strip()
        try:
            if len(problem.data.names) == 1:
                if match := COUNT_CLAIM.match(line):
                    return self._check_count(problem, line, match, deadline)
                return self._check_single(problem, line, deadline, role="claim")
            return self._check_system(problem, line, deadline, role="claim")
        except BudgetExceeded:
            return DomainCheck(Status.UNKNOWN, f"the time budget of {budget_s:g} s ran out")

    def _check_count(self, problem: Problem, line: str, match: re.Match, deadline: float) -> DomainCheck:
        n = int(match.group(1))
        lo, hi = read_number(match.group(2)), read_number(match.group(3))
        if lo is None or hi is None or lo >= hi:
            return DomainCheck(Status.INVALID, "write 'N real roots in (A, B]' with rational A < B")
        found = self.solution_set(problem, deadline)
        if found["kind"] == "all":
            return _checked(problem, line, False, "every value is a solution", {"kind": "all"}, role="claim")
        g = problem.data.g or []
        actual = count_in(g, found["roots"], lo, hi)
        evidence = {"kind": found["kind"], "roots": [r.to_json() for r in found["roots"]], "count": actual}
        why = f"{actual} distinct real root(s) in ({match.group(2)}, {match.group(3)}]"
        return _checked(problem, line, actual == n, why, evidence, role="claim")

    def _check_single(self, problem: Problem, text: str, deadline: float, *, role: str) -> DomainCheck:
        data: Parsed = problem.data
        decimals, rule = problem.fields["decimals"], problem.fields["rounding"]
        found = self.solution_set(problem, deadline)
        g = data.g or []
        phrase = read_phrase(text)
        evidence: dict[str, Any] = {"kind": found["kind"], "roots": [r.to_json() for r in found["roots"]]}
        if phrase == "all":
            holds = found["kind"] == "all"
            why = (
                "the equation holds for every value"
                if holds
                else "the equation does not hold for every value"
            )
            if not holds and found["kind"] == "none":
                why += ": it has no solution"
            return _checked(problem, text, holds, why, evidence, role=role)
        if phrase == "none":
            holds = found["kind"] == "none"
            why = "the equation has no real solution" if holds else "the equation has real solutions"
            return _checked(problem, text, holds, why, evidence, role=role)
        lines = read_lines(text, data.names, decimals)
        if isinstance(lines, str):
            return DomainCheck(Status.INVALID, lines)
        if not lines:
            return DomainCheck(Status.INVALID, "no solution lines")
        if rounding := rounding_evidence(lines, rule):
            evidence["rounded"] = rounding
        if found["kind"] == "all":
            if role == "claim":
                return _checked(problem, text, True, "every value is a solution", evidence, role=role)
            return _checked(
                problem, text, False, "every value is a solution; say 'every value'", evidence, role=role
            )
        values = [line.values[0][1:] for line in lines]
        outcome = judge(data.dense or [], g, found["roots"], values, rule, deadline, every=role == "answer")
        evidence["roots"] = [r.to_json() for r in outcome.roots]
        message = outcome.message + (rounding_note(rounding) if outcome.holds else "")
        return _checked(problem, text, outcome.holds, message, evidence, role=role)

    def _check_system(self, problem: Problem, text: str, deadline: float, *, role: str) -> DomainCheck:
        data: Parsed = problem.data
        phrase = system_phrase(text)
        lines: list[SolutionLine] = []
        if phrase is None:
            # Non-linear systems are answered exactly (their solutions are rational or unknown).
            decimals = problem.fields["decimals"] if data.linear else None
            read = read_lines(text, data.names, decimals)
            if isinstance(read, str):
                return DomainCheck(Status.INVALID, read)
            if not read:
                return DomainCheck(Status.INVALID, "no solution lines")
            lines = read
        if data.linear:
            verdict = linear_judge(data, phrase, lines, problem.fields["rounding"], every=role == "answer")
        else:
            verdict = nonlinear_judge(data, phrase, lines, deadline, every=role == "answer")
        if verdict.status is Status.UNKNOWN:
            return DomainCheck(Status.UNKNOWN, verdict.message)
        evidence, message, holds = dict(verdict.evidence), verdict.message, verdict.status is Status.PROVED
        if rounding := rounding_evidence(lines, problem.fields["rounding"]):
            evidence["rounded"] = rounding
            message += rounding_note(rounding) if holds else ""
        return _checked(problem, text, holds, message, evidence, role=role)

    def recheck(self, problem: Problem, cert: Mapping[str, Any]) -> tuple[bool, str]:
        """Re-derive the verdict from the task: see the module docstring."""
        shape = certificate_shape(self.name, problem, cert)
        if shape is not None:
            return False, shape
        text, role, holds = cert["claim"], cert["role"], cert["holds"]
        evidence = cert["evidence"]
        fresh = self._fresh(problem)
        if (evidence.get("rounded") or []) != self._rounding(fresh, problem, text):
            return False, "the certificate's rounding intervals are not those of the text's rounded values"
        try:
            if len(fresh.names) == 1:
                result = recheck_single(fresh, problem, text, role, evidence)
            elif fresh.linear:
                result = recheck_linear(fresh, problem, text, role)
            else:
                result = recheck_nonlinear(fresh, text, role, evidence)
        except BudgetExceeded:
            return False, "the re-check ran out of time"
        except (ValueError, KeyError, TypeError, ZeroDivisionError) as exc:
            return False, f"malformed evidence: {type(exc).__name__}: {exc}"
        if isinstance(result, str):
            return False, result
        if result != holds:
            return False, f"the re-check finds the {role} {'holds' if result else 'fails'}, not as certified"
        return True, f"re-checked: the {role} {'holds' if holds else 'fails'}"

    def _rounding(self, fresh: Parsed, problem: Problem, text: str) -> list[dict[str, Any]]:
        """The rounding evidence the text's values call for (as `_check_single`/`_check_system`)."""
        line = text.strip()
        if read_phrase(line) is not None or (len(fresh.names) == 1 and COUNT_CLAIM.match(line)):
            return []
        decimals = problem.fields["decimals"] if len(fresh.names) == 1 or fresh.linear else None
        lines = read_lines(line, fresh.names, decimals)
        return [] if isinstance(lines, str) else rounding_evidence(lines, problem.fields["rounding"])

    def _fresh(self, problem: Problem) -> Parsed:
        """The task's polynomials rebuilt from its text (nothing reused from parsing)."""
        return self.parse(problem.to_json()).data

    # ------------------------------------------------------------ presentation

    def write_roots(self, problem: Problem, roots: Sequence[Root], deadline: float) -> list[str]:
        """Answer lines for one unknown's roots (exact when rational, else rounded)."""
        data: Parsed = problem.data
        name, decimals, rule = data.names[0], problem.fields["decimals"], problem.fields["rounding"]
        g = data.g or []
        out = []
        for root in roots:
            if decimals is None:
                root = make_exact(g, root, deadline)
                if root.value is not None:
                    out.append(f"{name} = {write_exact(root.value)}")
                    continue
                value, root = rounded(g, root, DEFAULT_PLACES, rule, deadline)
                out.append(f"{name} ≈ {write_decimal(value, DEFAULT_PLACES)}")
                continue
            root = make_exact(g, root, deadline)
            value, root = rounded(g, root, decimals, rule, deadline)
            exact = root.value is not None and root.value == value
            out.append(f"{name} {'=' if exact else '≈'} {write_decimal(value, decimals)}")
        return out

    def answers(self, problem: Problem, answer_text: str) -> list[str]:
        return [line.strip() for line in answer_text.splitlines() if line.strip()]

    def to_reasoning_gym(self, problem: Problem, answers: Sequence[str]) -> str:
        """Bare values, comma-separated ('' when there is no real solution)."""
        values = []
        for line in answers:
            if read_phrase(line) is not None:
                continue
            for part in line.split(","):
                match = ASSIGNMENT.match(part)
                values.append(match.group(3) if match else part.strip())
        return ", ".join(values)

    def worker_prompt(self, problem: Problem, query: str, feedback: Sequence[str] = ()) -> str:
        name = problem.data.names[0]
        lines = [
            "You solve polynomial equations. Every claim you return is checked exactly (substitution, "
            "Sturm root counting); a wrong one is sent back to you.",
            "Reply inside <RETURN>...</RETURN> with one claim per line:",
            f"  '{name} = VALUE' for an exact root, '{name} ≈ DECIMAL' for a rounded one,",
            "  'N real roots in (A, B]' for how many distinct real roots lie in that interval,",
            "  'no real solution' or 'every value'. For a system: 'x = 1, y = 2' per solution.",
            "Example. Task: solve x^2 - 2 = 0, roots to 4 decimals. Sub-query: roots in (0, 8]",
            "<RETURN>\n1 real roots in (0, 8]\nx ≈ 1.4142\n</RETURN>",
            "Example. Task: solve x^2 - 4 = 0. Sub-query: roots in (-8, 0]",
            "<RETURN>\n1 real roots in (-8, 0]\nx = -2\n</RETURN>",
            f"Task: {problem.text}",
            f"Sub-query: {query}",
        ]
        lines += feedback_lines(feedback)
        return "\n".join(lines)

    def organizer_prompt(self, problem: Problem) -> str:
        return (
            f"Task (equations): {problem.text}\n"
            "Split the real line into intervals (A, B] that together cover every root and hand each "
            "to a worker: <FORK-i>roots in (A, B]</FORK-i>; <JOIN-i> waits for its verified claims "
            "('N real roots in (A, B]' and one line per root). For a system fork 'solve'. End with "
            "<ANSWER>one solution per line</ANSWER>, or 'no real solution' / 'every value'."
        )

    def symbolic_worker(self) -> EquationsWorker:
        return EquationsWorker(self)

    def planner(self, problem: Problem, *, capacity: int) -> EquationsPlanner:
        return EquationsPlanner(self, problem, capacity=capacity)


def _checked(
    problem: Problem, text: str, holds: bool, why: str, evidence: Mapping[str, Any], *, role: str
) -> DomainCheck:
    cert = certificate(problem, text, role=role, holds=holds, evidence=evidence)
    return DomainCheck(Status.PROVED if holds else Status.REFUTED, why, cert)


register(Equations())
