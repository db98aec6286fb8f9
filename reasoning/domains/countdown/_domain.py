"""Countdown (and the Game of 24): reach a target from given numbers with `+ - * /`.

A task: `numbers` (non-negative integers), `target`, `solutions` (how many distinct solutions are
wanted), `rule` (`at-most-once`: each number used at most as often as it is given, as in
AsyncThink's Multi-Solution Countdown; `exactly-once`: every number used, as in reasoning-gym,
TinyZero and the Game of 24) and `integer_only` (every intermediate value an integer, so each
division exact; false allows rationals). Division by zero is never allowed; negative
intermediate values are. Distinct means not equal up to commutativity and associativity; the
canonical form is defined in `reasoning.domains.countdown._search`.

**Claims** (one per line): an expression `EXPR` or `EXPR = TARGET` over the task's numbers
(proved when it follows the rules and is exactly the target); `part K of N: T solutions` or
`none in part K of N` (proved by searching part K of N of the search space, see
`reasoning.domains.countdown._search`); `no solution` (proved by an exhausted search).

**Answers**: one expression per line, `solutions` of them, pairwise distinct; or fewer when an
exhausted search shows that no more exist (the certificate states the total); or the single
line `no solution`, backed by an exhausted search.

**Re-checking** (`recheck`) never uses the fast solver: expressions are re-read and re-evaluated
by a separate shunting-yard evaluator over exact fractions, and totals are recounted by the
plain pick-two-and-recurse search (`search.plain_search`) within `RECHECK_BUDGET_S`;
a recount that cannot finish in time is reported as not re-checked.

**Solver worker** queries: `search part K of N[, want W][, skip S]` (or `search all`, which is
part 1 of 1): the distinct solutions in that part, in a fixed order, skipping S, at most W (and
at most `MAX_LISTED`). When the listing reaches the end of the part the worker adds the part's
count claim (`part K of N: T solutions`, or `none in part K of N`), so the planner knows the
part is exhausted. A query that one listing can answer stops the search once it has enough.
Solutions named in `rejected claim:` feedback lines are left out.

**Planner**: forks the parts (at most `capacity` at once), joins them, asks parts that are not
yet exhausted for more while it has fewer than `solutions`, and answers with the verified
expressions (or `no solution` when every part is exhausted and empty). If that answer is
rejected it forks one `search all` and answers with what that returns.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator, Mapping, Sequence
from fractions import Fraction
from functools import lru_cache
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
from reasoning.domains.common._query_grammars import countdown_grammar
from reasoning.domains.countdown._search import (
    MAX_DEPTH,
    MAX_DIGITS,
    MAX_LINE_CHARS,
    RULES,
    ExpressionSyntaxError,
    Form,
    OutOfBudget,
    RuleError,
    SearchBudget,
    Tree,
    canonical,
    evaluate,
    keys_of_part,
    leaves,
    parse_line,
    part_keys,
    plain_search,
    render,
    render_form,
    render_value,
    solve,
    usage_problem,
)
from reasoning.engine._planner import TurnPlanner, verified_claims
from reasoning.engine._workers import Chunk, Steps, WorkerRequest

#: Most numbers in a task (the search grows fast; more than about 8 rarely finishes).
MAX_NUMBERS = 12
#: Largest number and largest |target|.
MAX_NUMBER = 10**9
MAX_TARGET = 10**12
#: Most solutions a task may ask for.
MAX_SOLUTIONS = 10_000
#: Most parts a part claim or query may name.
MAX_PARTS = 100_000
#: Most expressions one worker reply lists (the engine checks at most 64 claim lines).
MAX_LISTED = 48
#: Seconds a recount in `recheck` may take (the plain search on 6 numbers takes 2-15 s).
RECHECK_BUDGET_S = 120.0
#: Seconds a worker's search may take.
WORKER_BUDGET_S = 60.0

NO_SOLUTION = "no solution"
_PART_CLAIM = re.compile(
    r"(?:none in part (\d{1,6}) of (\d{1,6})|part (\d{1,6}) of (\d{1,6})\s*:\s*(\d{1,7}) solutions?)\.?", re.I
)
_NO_SOLUTION = re.compile(r"no solutions?\.?", re.I)
#: A worker query after `_normal_query` (single spaces, no commas or colons).
_QUERY = re.compile(r"search (?:part (\d{1,6}) of (\d{1,6})|(all))(?: want (\d{1,6}))?(?: skip (\d{1,7}))?")
#: Longest worker query read.
MAX_QUERY_CHARS = 300
_REJECTED = re.compile(r"\s*rejected claim:(.*)")


def describe(fields: Mapping[str, Any]) -> str:
    """The task statement shown to organizers and LLM workers."""
    numbers = ", ".join(map(str, fields["numbers"]))
    rule = (
        "each number used at most once"
        if fields["rule"] == "at-most-once"
        else "every number used exactly once"
    )
    values = "every intermediate value an integer" if fields["integer_only"] else "fractions allowed"
    want = fields["solutions"]
    wanted = (
        "one solution"
        if want == 1
        else f"{want} distinct solutions (distinct up to commutativity and associativity)"
    )
    return (
        f"Countdown: make {fields['target']} from the numbers {numbers} with + - * / and parentheses; "
        f"{rule}; {values}. Give {wanted}, one expression per line, or 'no solution'."
    )


class CountdownDomain(Domain):
    """Countdown and the Game of 24 (see the module docstring)."""

    name = "countdown"
    summary = "reach a target from numbers with + - * /; k distinct solutions (also the Game of 24)"
    reasoning_gym = ("countdown", "puzzle24")
    fields = {
        "numbers": FieldSpec("ints", "the numbers (non-negative integers)", required=True),
        "target": FieldSpec("int", "the value to reach", required=True),
        "solutions": FieldSpec("int", "how many distinct solutions are wanted", default=1),
        "rule": FieldSpec(
            "str", "at-most-once or exactly-once: how often each number may be used", default="at-most-once"
        ),
        "integer_only": FieldSpec("bool", "every intermediate value must be an integer", default=True),
    }

    # ------------------------------------------------------------ tasks

    def parse(self, data: Mapping[str, Any]) -> Problem:
        fields = check_fields(self, data)
        numbers = fields["numbers"]
        if not 1 <= len(numbers) <= MAX_NUMBERS:
            raise TaskError(f"numbers: give 1 to {MAX_NUMBERS} numbers, got {len(numbers)}")
        for value in numbers:
            if not 0 <= value <= MAX_NUMBER:
                raise TaskError(
                    f"numbers: {value} is out of range; numbers are integers from 0 to {MAX_NUMBER}"
                )
        if abs(fields["target"]) > MAX_TARGET:
            raise TaskError(f"target: {fields['target']} is out of range (at most {MAX_TARGET} in size)")
        if not 1 <= fields["solutions"] <= MAX_SOLUTIONS:
            raise TaskError(f"solutions: must be from 1 to {MAX_SOLUTIONS}, got {fields['solutions']}")
        rule = fields["rule"].strip().lower().replace("_", "-").replace(" ", "-")
        if rule not in RULES:
            raise TaskError(f"rule: must be one of {', '.join(RULES)}, got {fields['rule']!r}")
        fields["rule"] = rule
        return Problem(self.name, fields, describe(fields))

    def from_reasoning_gym(self, task_name: str, entry: Mapping[str, Any]) -> Problem:
        """Read the numbers, target and rule from the question text (never the answer).

        The metadata's `numbers` / `target` (a restatement of the problem) are used only when the
        question cannot be read, and must agree with it when both are there.
        """
        if task_name not in self.reasoning_gym:
            raise TaskError(
                f"countdown reads reasoning-gym tasks {', '.join(self.reasoning_gym)}, not {task_name!r}"
            )
        question = entry.get("question") if isinstance(entry, Mapping) else None
        if not isinstance(question, str):
            raise TaskError("the reasoning-gym entry has no question text")
        metadata = entry.get("metadata") if isinstance(entry.get("metadata"), Mapping) else {}
        if task_name == "puzzle24":
            match = re.search(r"Make\s+(-?\d+)\s+using\s+(\d+(?:\s*,\s*\d+)*)", question)
            target, numbers = (int(match.group(1)), _ints(match.group(2))) if match else (24, None)
            operators = re.search(r"operators\s+([^.\n]*)", question)
            if operators and set(re.findall(r"[-+*/]", operators.group(1))) != set("+-*/"):
                raise TaskError(
                    f"puzzle24: only the operators + - * / together are supported: {operators.group(1)!r}"
                )
        else:
            match = re.search(r"numbers:?\s+(\d+(?:\s*,\s*\d+)*)", question)
            numbers = _ints(match.group(1)) if match else None
            said = re.search(r"(?:equals|make|Calculate)\s+(-?\d+)", question)
            target = int(said.group(1)) if said else None
        given_numbers, given_target = metadata.get("numbers"), metadata.get("target")
        if numbers is None:
            numbers = given_numbers
        elif isinstance(given_numbers, list) and sorted(given_numbers) != sorted(numbers):
            raise TaskError(f"the question's numbers {numbers} differ from the metadata's {given_numbers}")
        if target is None:
            target = given_target
        elif isinstance(given_target, int) and given_target != target:
            raise TaskError(f"the question's target {target} differs from the metadata's {given_target}")
        if numbers is None or target is None:
            raise TaskError("cannot read the numbers and the target from the question")
        text = question.lower()
        # "using all (of) these numbers" / "Make 24 using a, b, c, d": every number; only an
        # explicit "at most once" without "all" allows leaving numbers out.
        rule = (
            "at-most-once" if "at most once" in text and not re.search(r"\ball\b", text) else "exactly-once"
        )
        integer_only = bool(re.search(r"\bintegers?\b|whole number", text))
        return self.parse({"numbers": numbers, "target": target, "rule": rule, "integer_only": integer_only})

    # ------------------------------------------------------------ checking

    def check_claim(self, problem: Problem, text: str, *, budget_s: float) -> DomainCheck:
        if not isinstance(text, str):
            return DomainCheck(Status.INVALID, "a claim is one line of text")
        line = text.strip()
        if len(line) > MAX_LINE_CHARS:
            return DomainCheck(
                Status.INVALID, f"the claim is {len(line)} characters long; at most {MAX_LINE_CHARS}"
            )
        if _NO_SOLUTION.fullmatch(line):
            return self._check_count(problem, line, None, 0, budget_s)
        part = _PART_CLAIM.fullmatch(line)
        if part:
            k, n, count = (
                (int(part.group(1)), int(part.group(2)), 0)
                if part.group(1)
                else (int(part.group(3)), int(part.group(4)), int(part.group(5)))
            )
            if not 1 <= k <= n <= MAX_PARTS:
                return DomainCheck(Status.INVALID, f"part {k} of {n}: need 1 <= K <= N <= {MAX_PARTS}")
            return self._check_count(problem, line, (k, n), count, budget_s)
        return _check_expression(problem, line, role="claim")

    def _check_count(
        self, problem: Problem, line: str, part: tuple[int, int] | None, claimed: int, budget_s: float
    ) -> DomainCheck:
        where = "the whole search space" if part is None else f"part {part[0]} of {part[1]}"
        try:
            forms = _search(problem, part, budget_s, limit=claimed + 1)  # one more than claimed is enough
        except OutOfBudget:
            return DomainCheck(Status.UNKNOWN, f"searching {where} did not finish within {budget_s:g} s")
        holds = len(forms) == claimed
        evidence: dict[str, Any] = {"found": len(forms), "examples": [render_form(f) for f in forms[:3]]}
        if part is not None:
            evidence["part"], evidence["of"] = part
        cert = certificate(problem, line, role="claim", holds=holds, evidence=evidence)
        if holds:
            return DomainCheck(
                Status.PROVED, f"{where} holds exactly {claimed} solution(s) (exhaustive search)", cert
            )
        example = f", e.g. {render_form(forms[0])}" if forms else ""
        count = f"more than {claimed}" if len(forms) > claimed else str(len(forms))
        return DomainCheck(Status.REFUTED, f"{where} holds {count} solution(s), not {claimed}{example}", cert)

    def check_answer(self, problem: Problem, text: str, *, budget_s: float) -> DomainCheck:
        if not isinstance(text, str):
            return DomainCheck(Status.INVALID, "the answer is text")
        lines = _answer_lines(text)
        want = problem.fields["solutions"]
        if not lines:
            return DomainCheck(
                Status.INVALID, "the answer is empty: give expressions, one per line, or 'no solution'"
            )
        if len(text) > (want + 16) * (MAX_LINE_CHARS + 1):
            return DomainCheck(Status.INVALID, f"the answer is {len(text)} characters long; too long to read")
        if len(lines) > want + 16:
            return DomainCheck(
                Status.REFUTED, f"the answer has {len(lines)} lines; {want} solution(s) were asked for"
            )
        if len(lines) == 1 and _NO_SOLUTION.fullmatch(lines[0]):
            return self._check_exhausted(problem, text, [], budget_s)
        forms: list[Form] = []
        for number, line in enumerate(lines, 1):
            check = _check_expression(problem, line, role="answer")
            if not check.proved:
                return DomainCheck(check.status, f"line {number} ({_shown(line)}): {check.message}")
            form = canonical(parse_line(line)[0])
            if form in forms:
                first = forms.index(form) + 1
                return DomainCheck(
                    Status.REFUTED,
                    f"lines {first} and {number} are the same solution up to commutativity and associativity",
                    certificate(
                        problem, text, role="answer", holds=False, evidence={"same": [first, number]}
                    ),
                )
            forms.append(form)
        if len(forms) > want:
            return DomainCheck(
                Status.REFUTED,
                f"the answer gives {len(forms)} solutions; {want} were asked for",
                certificate(problem, text, role="answer", holds=False, evidence={"given": len(forms)}),
            )
        if len(forms) == want:
            cert = certificate(problem, text, role="answer", holds=True, evidence={"given": want})
            what = "a valid solution" if want == 1 else f"{want} valid, pairwise distinct solutions"
            return DomainCheck(Status.PROVED, f"{what} reaching {problem.fields['target']}", cert)
        return self._check_exhausted(problem, text, forms, budget_s)

    def _check_exhausted(
        self, problem: Problem, text: str, forms: list[Form], budget_s: float
    ) -> DomainCheck:
        """Fewer solutions than asked (or none): proved only when an exhausted search finds no others."""
        try:
            found = _search(problem, None, budget_s, limit=len(forms) + 1)
        except OutOfBudget:
            return DomainCheck(
                Status.UNKNOWN,
                f"the answer gives {len(forms)} of {problem.fields['solutions']} solutions; the search for more "
                f"did not finish within {budget_s:g} s",
            )
        complete = len(found) <= len(forms)  # else the search stopped at len(forms) + 1
        everything = {canonical(parse_line(render_form(f))[0]) for f in found}
        missing = sorted(everything - set(forms))
        if complete and set(forms) - everything:  # a valid solution the exhaustive search missed
            return DomainCheck(Status.UNKNOWN, "the exhaustive search disagrees with the answer's own check")
        if missing:
            example = render_form(missing[0])
            if not _check_expression(problem, example, role="answer").proved:  # never refute on a solver bug
                return DomainCheck(Status.UNKNOWN, f"the search's solution {example} does not check")
            total = f"at least {len(forms) + 1}" if not complete else str(len(everything))
            evidence = {"given": len(forms), "missing": example}
            return DomainCheck(
                Status.REFUTED,
                f"the answer gives {len(forms)} solution(s) but there are {total}; e.g. {example} is missing",
                certificate(problem, text, role="answer", holds=False, evidence=evidence),
            )
        evidence = {"total": len(everything), "given": len(forms)}
        cert = certificate(problem, text, role="answer", holds=True, evidence=evidence)
        if not forms:
            return DomainCheck(
                Status.PROVED, "no solution: the search of every expression is exhausted", cert
            )
        return DomainCheck(
            Status.PROVED,
            f"all {len(forms)} distinct solutions (fewer than the {problem.fields['solutions']} asked for; "
            "the search is exhausted)",
            cert,
        )

    def recheck(self, problem: Problem, cert: Mapping[str, Any]) -> tuple[bool, str]:
        shape = certificate_shape(self.name, problem, cert)
        if shape is not None:
            return False, shape
        text, role, holds = cert["claim"], cert["role"], cert["holds"]
        try:
            truth, why = _independent_truth(problem, text, role)
        except OutOfBudget:
            return False, f"the plain search could not re-count within {RECHECK_BUDGET_S:g} s"
        if truth != holds:
            return False, f"the certificate says {'holds' if holds else 'fails'}, but re-checked: {why}"
        return True, f"re-checked: {why}"

    # ------------------------------------------------------------ workers, answers, prompts

    def symbolic_worker(self) -> CountdownWorker:
        return CountdownWorker()

    def planner(self, problem: Problem, *, capacity: int) -> CountdownPlanner:
        return CountdownPlanner(problem, capacity=capacity)

    def answers(self, problem: Problem, answer_text: str) -> list[str]:
        return _answer_lines(answer_text)

    def to_reasoning_gym(self, problem: Problem, answers: Sequence[str]) -> str:
        """The first answer as a bare expression with `*` and `/`, no `= target`."""
        for answer in answers:
            try:
                tree, _ = parse_line(answer)
            except ExpressionSyntaxError:
                continue
            return render(tree)
        return answers[0] if answers else ""

    def worker_prompt(self, problem: Problem, query: str, feedback: Sequence[str] = ()) -> str:
        lines = [
            "You search one part of a Countdown puzzle. Write each solution as one expression per "
            "line: the task's numbers, + - * / and parentheses (no '=', no other text). A number may "
            "not be used more often than the task gives it; with integer rules every division must "
            "be exact. Each line is checked; a wrong one is sent back to you.",
            "'Part K of N' is a slice of the search; any valid solution is welcome. If the part has "
            "no solution, write `none in part K of N`.",
            "Example. Task: make 24 from the numbers 4, 7, 8, 8, every number used exactly once; "
            "fractions allowed. Sub-query: search part 1 of 1, want 2",
            "<RETURN>\n(7 - 8 / 8) * 4\n(4 + 7 - 8) * 8\n</RETURN>",
            f"Task: {problem.text}",
            f"Sub-query: {query}",
        ]
        lines += feedback_lines(feedback)
        lines.append("Reply with <RETURN>...</RETURN>.")
        return "\n".join(lines)

    def query_grammar(self, problem: Problem, query: str) -> str | None:
        """A `search ...` query -> one expression over the task's own numbers, each used at most as
        often as given (exactly, under exactly-once), optionally `= TARGET`
        (`query_grammars.countdown_grammar`)."""
        if _normal_query(query) is None:
            return None
        f = problem.fields
        return countdown_grammar(f["numbers"], f["target"], rule=f["rule"])

    def proposer_prompt(self, problem: Problem, query: str) -> list[dict[str, str]] | None:
        """Search queries are search-shaped: ask for ONE expression, sampled k times and verified.

        The examples are chat turns with bare expressions (what the grammar lets the model write);
        the prompt names no part of the search, so the forks of one task share one prefill.
        """
        if _normal_query(query) is None:
            return None
        f = problem.fields
        rule = "each number at most once" if f["rule"] == "at-most-once" else "every number exactly once"
        return [
            {
                "role": "system",
                "content": "Write one arithmetic expression that reaches the target from the given "
                f"numbers with + - * / and parentheses, {rule}. Reply with the expression only.",
            },
            {"role": "user", "content": "Numbers: 4, 6, 9. Target: 15"},
            {"role": "assistant", "content": "9 + 6"},
            {"role": "user", "content": "Numbers: 2, 8, 5. Target: 21"},
            {"role": "assistant", "content": "2 * 8 + 5"},
            {
                "role": "user",
                "content": f"Numbers: {', '.join(map(str, f['numbers']))}. Target: {f['target']}",
            },
        ]

    def organizer_prompt(self, problem: Problem) -> str:
        return "\n".join(
            [
                f"Task: {problem.text}",
                "Split the search into disjoint parts and give each to a worker: <FORK-i>search part K of N, "
                "want W</FORK-i>; <JOIN-i> waits for worker i and shows its verified expressions. Fork at most "
                "as many parts at once as there are workers. Then answer with the wanted number of distinct "
                "verified expressions, one per line, in <ANSWER>...</ANSWER> (or 'no solution').",
                "",
                "Example (make 24 from 4, 7, 8, 8, 2 solutions wanted, 2 workers):",
                "<FORK-1>search part 1 of 2, want 2</FORK-1><FORK-2>search part 2 of 2, want 2</FORK-2><JOIN-1>",
                "[fork 1, attempt 1: verified]\n(7 - 8 / 8) * 4   # proved (domain)",
                "<JOIN-2>",
                "[fork 2, attempt 1: verified]\n(4 + 7 - 8) * 8   # proved (domain)",
                "<ANSWER>\n(7 - 8 / 8) * 4\n(4 + 7 - 8) * 8\n</ANSWER>",
            ]
        )


# ---------------------------------------------------------------- checking helpers


def _normal_query(query: object) -> re.Match | None:
    """The `_QUERY` match of a worker query, or None."""
    text = query if isinstance(query, str) and len(query) <= MAX_QUERY_CHARS else ""
    return _QUERY.fullmatch(" ".join(text.lower().replace(",", " ").replace(":", " ").rstrip(". ").split()))


def _ints(text: str) -> list[int]:
    return [int(v) for v in re.findall(r"\d+", text)]


def _shown(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _answer_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _search(
    problem: Problem, part: tuple[int, int] | None, budget_s: float, limit: int | None = None
) -> list[Form]:
    """The distinct solutions (canonical forms) of the whole problem or of one part, by the fast
    solver; with `limit`, at least `limit` of them or else all of them."""
    f = problem.fields
    keys = None if part is None else keys_of_part(part_keys(f["numbers"], f["rule"]), *part)
    return solve(
        f["numbers"],
        f["target"],
        rule=f["rule"],
        integer_only=f["integer_only"],
        keys=keys,
        limit=limit,
        budget=SearchBudget(budget_s),
    )


def _check_expression(problem: Problem, line: str, *, role: str) -> DomainCheck:
    """One expression line against the rules: invalid (does not parse), refuted (breaks a rule or
    misses the target, with the reason) or proved."""
    f = problem.fields
    try:
        tree, stated = parse_line(line)
    except ExpressionSyntaxError as exc:
        return DomainCheck(Status.INVALID, f"not an expression: {exc}")
    target = f["target"]

    def refuted(message: str, **evidence: Any) -> DomainCheck:
        if role == "answer":  # the answer's certificate covers the whole answer; made by the caller
            return DomainCheck(Status.REFUTED, message)
        return DomainCheck(
            Status.REFUTED, message, certificate(problem, line, role="claim", holds=False, evidence=evidence)
        )

    if stated is not None and stated != target:
        return refuted(f"states = {stated}, but the target is {target}", stated=stated)
    used = leaves(tree)
    problem_text = usage_problem(used, f["numbers"], f["rule"])
    if problem_text is not None:
        return refuted(problem_text, uses=sorted(used)[:64])
    try:
        value = evaluate(tree, f["integer_only"])
    except RuleError as exc:
        return refuted(str(exc), uses=sorted(used))
    if value != target:
        return refuted(f"reaches {render_value(value)}, not the target {target}", value=render_value(value))
    evidence = {"value": render_value(value), "uses": sorted(used)}
    cert = (
        certificate(problem, line, role="claim", holds=True, evidence=evidence) if role == "claim" else None
    )
    return DomainCheck(
        Status.PROVED, f"reaches {target} using {', '.join(map(str, used))} by the rules", cert
    )


# ---------------------------------------------------------------- the independent re-check


class _NotValid(ValueError):
    pass


#: The second reader's own spelling table (kept apart from the first reader's on purpose).
_ASCII = {"×": "*", "·": "*", "÷": "/", "−": "-", "–": "-"}


def _rpn_tree(text: str) -> tuple[Tree, int | None]:
    """Shunting-yard: a second, independent reader of expression lines (no recursion)."""
    if len(text) > MAX_LINE_CHARS:
        raise _NotValid("too long")
    left, equals, right = text.partition("=")
    stated = None
    if equals:
        said = re.fullmatch(rf"\s*(-?)\s*(\d{{1,{MAX_DIGITS}}})\s*", right)
        if said is None or not said.group(2).isascii():
            raise _NotValid("'=' must be followed by the target")
        stated = int(said.group(1) + said.group(2))
    output: list[Tree] = []
    stack: list[str] = []
    previous = "start"  # start | operand | op | ( | )
    depth = 0
    precedence = {"+": 1, "-": 1, "*": 2, "/": 2}

    def reduce(op: str) -> None:
        if len(output) < 2:
            raise _NotValid("an operator lacks an operand")
        b, a = output.pop(), output.pop()
        output.append((op, a, b))

    for token in re.findall(r"\d+|\S", left):
        token = _ASCII.get(token, token)
        if token.isdigit() and token.isascii():
            if previous in ("operand", ")") or len(token) > MAX_DIGITS:
                raise _NotValid("two operands in a row")
            output.append(("n", int(token)))
            previous = "operand"
        elif token in precedence:
            if previous not in ("operand", ")"):
                raise _NotValid("an operator without a left operand")
            while stack and stack[-1] != "(" and precedence[stack[-1]] >= precedence[token]:
                reduce(stack.pop())
            stack.append(token)
            previous = "op"
        elif token == "(":
            if previous in ("operand", ")"):
                raise _NotValid("'(' after an operand")
            depth += 1
            if depth > MAX_DEPTH:
                raise _NotValid("nested too deep")
            stack.append(token)
            previous = "("
        elif token == ")":
            if previous not in ("operand", ")"):
                raise _NotValid("')' without an operand before it")
            while stack and stack[-1] != "(":
                reduce(stack.pop())
            if not stack:
                raise _NotValid("unbalanced ')'")
            stack.pop()
            depth -= 1
            previous = ")"
        else:
            raise _NotValid(f"unexpected {token!r}")
    if previous not in ("operand", ")"):
        raise _NotValid("the expression is incomplete")
    while stack:
        op = stack.pop()
        if op == "(":
            raise _NotValid("unbalanced '('")
        reduce(op)
    if len(output) != 1:
        raise _NotValid("not one expression")
    return output[0], stated


def _independent_value(tree: Tree, integer_only: bool) -> Fraction:
    """Exact value by an explicit stack (no recursion), raising _NotValid for a broken rule."""
    values: list[Fraction] = []
    stack: list[tuple[Tree, bool]] = [(tree, False)]
    while stack:
        node, ready = stack.pop()
        if node[0] == "n":
            values.append(Fraction(node[1]))
        elif not ready:
            stack += [(node, True), (node[2], False), (node[1], False)]
        else:
            b, a = values.pop(), values.pop()
            if node[0] == "+":
                value = a + b
            elif node[0] == "-":
                value = a - b
            elif node[0] == "*":
                value = a * b
            elif b == 0:
                raise _NotValid("division by zero")
            else:
                value = a / b
            if integer_only and value.denominator != 1:
                raise _NotValid(f"a non-integer intermediate value {value}")
            values.append(value)
    return values[0]


def _independent_line(problem: Problem, line: str) -> tuple[Form | None, str]:
    """(canonical form, '') when the line is a valid solution; (None, why) otherwise."""
    f = problem.fields
    try:
        tree, stated = _rpn_tree(line)
        if stated is not None and stated != f["target"]:
            raise _NotValid(f"states {stated}")
        have, want = Counter(f["numbers"]), Counter(leaves(tree))
        if any(want[v] > have[v] for v in want):
            raise _NotValid("uses a number more often than given")
        if f["rule"] == "exactly-once" and want != have:
            raise _NotValid("does not use every number exactly once")
        value = _independent_value(tree, f["integer_only"])
        if value != f["target"]:
            raise _NotValid(f"reaches {value}")
    except _NotValid as exc:
        return None, f"{_shown(line)!r} is not a solution ({exc})"
    return canonical(tree), ""


@lru_cache(maxsize=8)
def _plain_found(
    numbers: tuple[int, ...], target: int, rule: str, integer_only: bool
) -> dict[Form, frozenset]:
    """The plain search's solutions and their part keys, kept for the few latest problems: a
    bundle re-checks several count claims of one problem, and each would repeat the same search."""
    found = plain_search(
        numbers, target, rule=rule, integer_only=integer_only, budget=SearchBudget(RECHECK_BUDGET_S)
    )
    return {form: frozenset(where) for form, where in found.items()}


def _plain_forms(problem: Problem, part: tuple[int, int] | None) -> set[Form]:
    f = problem.fields
    found = _plain_found(tuple(f["numbers"]), f["target"], f["rule"], f["integer_only"])
    if part is None:
        return set(found)
    keys = set(keys_of_part(part_keys(f["numbers"], f["rule"]), *part))
    return {form for form, where in found.items() if where & keys}


def _independent_truth(problem: Problem, text: str, role: str) -> tuple[bool, str]:
    """Whether the claim (or whole answer) holds, re-derived without the fast solver."""
    want = problem.fields["solutions"]
    if role == "claim":
        line = text.strip()
        if len(line) > MAX_LINE_CHARS:
            return False, "the claim is too long to be a solution"
        if _NO_SOLUTION.fullmatch(line):
            total = len(_plain_forms(problem, None))
            return total == 0, f"the plain search finds {total} solution(s)"
        part = _PART_CLAIM.fullmatch(line)
        if part:
            k, n, count = (
                (int(part.group(1)), int(part.group(2)), 0)
                if part.group(1)
                else (int(part.group(3)), int(part.group(4)), int(part.group(5)))
            )
            if not 1 <= k <= n <= MAX_PARTS:
                return False, "a part outside the allowed range"
            total = len(_plain_forms(problem, (k, n)))
            return total == count, f"the plain search finds {total} solution(s) in part {k} of {n}"
        form, why = _independent_line(problem, line)
        return form is not None, why or "a valid solution"
    lines = _answer_lines(text)
    if not lines or len(lines) > want + 16:
        return False, "the answer is empty or too long"
    forms: list[Form] = []
    if not (len(lines) == 1 and _NO_SOLUTION.fullmatch(lines[0])):
        for line in lines:
            form, why = _independent_line(problem, line)
            if form is None:
                return False, why
            if form in forms:
                return False, "two lines are the same solution"
            forms.append(form)
    if len(forms) > want:
        return False, f"{len(forms)} solutions given, {want} asked for"
    if len(forms) == want:
        return True, f"{want} valid, distinct solution(s)"
    total = _plain_forms(problem, None)
    if total == set(forms):
        return True, f"the plain search finds exactly these {len(forms)} solution(s)"
    return False, f"the plain search finds {len(total)} solution(s); the answer gives {len(forms)}"


# ---------------------------------------------------------------- the symbolic worker


def _excluded(feedback: Sequence[str]) -> set[Form]:
    """Canonical forms of the expressions named in `rejected claim:` feedback lines."""
    out: set[Form] = set()
    for text in list(feedback)[-64:]:
        if not isinstance(text, str):
            continue
        for line in text.splitlines()[:200]:
            match = _REJECTED.match(line)
            if match is None:
                continue
            try:
                out.add(canonical(parse_line(match.group(1).strip())[0]))
            except (ExpressionSyntaxError, RecursionError):
                continue
    return out


class CountdownWorker:
    """Answers `search part K of N[, want W][, skip S]` and `search all ...` sub-queries with the fast
    solver (see the module docstring); the search runs in a thread within `budget_s`."""

    def __init__(self, *, budget_s: float = WORKER_BUDGET_S) -> None:
        self.budget_s = budget_s

    async def stream(self, request: WorkerRequest) -> AsyncIterator[Chunk]:
        text = await asyncio.to_thread(self.reply, request)
        yield Steps(text)  # one solver call: symbolic work is steps, not tokens

    def reply(self, request: WorkerRequest) -> str:
        return f"<RETURN>\n{self.answer(request.task.problem, request.query, request.feedback)}\n</RETURN>"

    def answer(self, problem: Problem, query: str, feedback: Sequence[str] = ()) -> str:
        """The RETURN body: expression lines and a count claim, or `#` notes."""
        text = query if isinstance(query, str) and len(query) <= MAX_QUERY_CHARS else ""
        match = _QUERY.fullmatch(
            " ".join(text.lower().replace(",", " ").replace(":", " ").rstrip(". ").split())
        )
        if match is None:
            return f"# countdown worker: unrecognised query {_shown(str(query))!r}; ask 'search part K of N, want W'"
        k, n = (1, 1) if match.group(3) else (int(match.group(1)), int(match.group(2)))
        if not 1 <= k <= n <= MAX_PARTS:
            return f"# countdown worker: part {k} of {n} does not exist"
        want = max(1, int(match.group(4) or problem.fields["solutions"]))
        skip = int(match.group(5) or 0)
        avoid = _excluded(feedback)
        # One listing suffices: stop the search early (a shorter result is then complete).
        limit = want + len(avoid) if skip == 0 and want <= MAX_LISTED else None
        try:
            forms = _search(problem, (k, n), self.budget_s, limit=limit)
        except OutOfBudget:
            return (
                f"# countdown worker: the search of part {k} of {n} did not finish within {self.budget_s:g} s"
            )
        complete = limit is None or len(forms) < limit
        left = [f for f in forms if f not in avoid][skip:]
        listed = left[: min(want, MAX_LISTED)]
        lines = [render_form(f) for f in listed]
        if complete and len(listed) == len(left):  # exhausted from `skip` on: say how many the part holds
            lines.append(
                f"none in part {k} of {n}" if not forms else f"part {k} of {n}: {len(forms)} solutions"
            )
        return "\n".join(lines)


# ---------------------------------------------------------------- the planner


class CountdownPlanner(TurnPlanner):
    """Forks the parts of the search space (at most `capacity` at once), joins them and answers
    with `solutions` distinct verified expressions, asking non-exhausted parts for more when short.

    It only reads what the engine writes back (verified claims per fork); it never searches itself.
    """

    def __init__(self, problem: Problem, *, capacity: int = 4) -> None:
        if not isinstance(capacity, int) or capacity < 1:
            raise TaskError(f"capacity must be a positive int, got {capacity!r}")
        self.problem = problem
        self.capacity = capacity
        self._start()

    def _plan(self):
        f = self.problem.fields
        want = f["solutions"]
        keys = len(part_keys(f["numbers"], f["rule"]))
        parts = max(1, min(self.capacity, keys))
        # part -> [next skip, exhausted?]; forks -> part
        state = {k: [0, False] for k in range(1, parts + 1)}
        forks: dict[int, int] = {}
        found: dict[Form, str] = {}
        next_id = 1
        context = yield ""
        pending = list(state)
        rounds = 0
        while pending and rounds < 10_000:
            rounds += 1
            wave, pending = pending[: self.capacity], pending[self.capacity :]
            text = ""
            for part in wave:
                forks[next_id] = part
                text += f"<FORK-{next_id}>search part {part} of {parts}, want {want}, skip {state[part][0]}</FORK-{next_id}>"
                next_id += 1
            ids = list(forks)[-len(wave) :]
            context = yield text + f"<JOIN-{ids[0]}>"
            for fork in ids[1:]:
                context = yield f"<JOIN-{fork}>"
            verified = verified_claims(context)
            for fork in ids:
                part = forks[fork]
                claims = verified.get(fork)
                if claims is None:  # the fork failed: the part stays unknown
                    state[part][1] = None  # type: ignore[call-overload]
                    continue
                listed = 0
                for claim in claims:
                    if _PART_CLAIM.fullmatch(claim):
                        state[part][1] = True
                        continue
                    try:
                        found.setdefault(canonical(parse_line(claim)[0]), claim.split("=")[0].strip())
                    except ExpressionSyntaxError:
                        continue
                    listed += 1
                state[part][0] += listed
                if len(found) < want and state[part][1] is False and listed:
                    pending.append(part)
            if len(found) >= want:
                break
        answer = list(found.values())[:want]
        context = yield f"<ANSWER>{chr(10).join(answer) if answer else NO_SOLUTION}</ANSWER>"
        # Rejected (e.g. a part failed, so exhaustion was not known): one fork over everything.
        whole = next_id
        context = yield f"<FORK-{whole}>search all, want {want}</FORK-{whole}><JOIN-{whole}>"
        claims = [c for c in verified_claims(context).get(whole, []) if not _PART_CLAIM.fullmatch(c)]
        yield f"<ANSWER>{chr(10).join(claims[:want]) if claims else NO_SOLUTION}</ANSWER>"


register(CountdownDomain())
