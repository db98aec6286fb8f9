"""The arithmetic domain's solver side: a worker that evaluates sub-queries, and a planner.

`ArithmeticWorker` answers `evaluate: EXPR` with `EXPR = VALUE`. It computes with the project
kernel (`proofs.exact`), not with `reasoning.domains.common._expressions`, so the domain, which checks
every claim with `expressions`, checks an independent computation. `ArithmeticPlanner` cuts a
top-level chain (`a - b + c ...` or `a * b / c ...`) into up to `capacity` contiguous parts
(`split_chain`), forks one `evaluate:` per part, then one `evaluate:` that combines the verified
part values, and answers. Nothing here decides what is true: the domain checks every line.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from fractions import Fraction
from typing import Any, Protocol

from proofs import exact
from proofs.claims import Compare
from proofs.parsing import parse_claim
from reasoning.domains._base import Problem, TaskError
from reasoning.domains.common._expressions import (
    MAX_BITS,
    MAX_EXPRESSION_CHARS,
    ExpressionError,
    ExpressionTooLarge,
    ExpressionUndefined,
    Node,
    NotRational,
    evaluate,
    parse_expression,
    show,
    size_in_bits,
)
from reasoning.domains.common._numerals import read_number, write_exact
from reasoning.engine._planner import TurnPlanner, verified_claims
from reasoning.engine._workers import Steps


class ArithmeticLike(Protocol):
    """What the planner needs of the arithmetic domain (passed in, so this module does not
    import the domain module that imports it)."""

    def write_answer(self, problem: Problem, value: Fraction | None) -> str: ...


# ---------------------------------------------------------------- worker

_QUERY = re.compile(r"\s*evaluate\s*:(.*)\Z", re.I | re.S)


class ArithmeticWorker:
    """Answers `evaluate: EXPR` with `EXPR = VALUE` (exact), computed by the project kernel
    (`proofs.exact`, through the claim parser) so that the domain's own evaluator checks an
    independent computation. Bad queries become `#` notes; CPU work runs in a thread."""

    async def stream(self, request: Any) -> AsyncIterator[Any]:
        text = await asyncio.to_thread(self.reply, request.query)
        yield Steps(text)  # one solver call: symbolic work is steps, not tokens

    def reply(self, query: str) -> str:
        return f"<RETURN>\n{self.answer(query)}\n</RETURN>"

    def answer(self, query: str) -> str:
        match = _QUERY.match(query) if isinstance(query, str) and len(query) <= MAX_EXPRESSION_CHARS else None
        if match is None:
            return "# arithmetic worker: queries are 'evaluate: EXPRESSION'"
        expression = " ".join(match.group(1).split())
        try:
            tree = parse_expression(expression)
        except ExpressionError as exc:
            return f"# evaluate: not an arithmetic expression: {str(exc)[:200]}"
        text = show(tree)
        formula = parse_claim(f"{text} = 0")
        try:
            # Beyond the kernel's parser limits (a chain of thousands of terms): our evaluator.
            value = exact.evaluate(formula.terms[0]) if isinstance(formula, Compare) else evaluate(tree)
        except (exact.Undefined, ExpressionUndefined):
            return f"{text} = undefined"
        except (
            exact.TooLarge,
            exact.NotExact,
            ExpressionTooLarge,
            NotRational,
            ValueError,
            OverflowError,
        ) as exc:
            return f"# evaluate: no exact value: {str(exc)[:200]}"
        if size_in_bits(value) > MAX_BITS:
            return "# evaluate: the value is too large to state"
        return f"{text} = {write_exact(value)}"


# ---------------------------------------------------------------- planner


def _chain(tree: Node) -> tuple[str, list[tuple[Any, Node]]] | None:
    """A top-level chain to split: ('sum' | 'prod', [(sign or op, term), ...]) or None."""
    if tree[0] in ("sum", "prod") and len(tree[1]) >= 2:
        return tree[0], list(tree[1])
    return None


def split_chain(tree: Node, parts: int) -> tuple[str, list[Node]] | None:
    """The top-level chain of `tree` cut into at most `parts` contiguous sub-expressions whose
    sum (for a `sum` chain) or product (for a `prod` chain) is `tree`; None when there is none.

    Parts after the first start from the identity: `0 - c + d` and `1 / c * d`, so a part is a
    closed expression and the parts combine with `+` or `*` only.
    """
    chain = _chain(tree)
    if chain is None or parts < 2:
        return None
    kind, items = chain
    count = min(parts, len(items))
    size, extra = divmod(len(items), count)
    out: list[Node] = []
    start = 0
    for index in range(count):
        stop = start + size + (index < extra)
        piece = items[start:stop]
        if index > 0:
            identity = ("num", Fraction(0 if kind == "sum" else 1), "0" if kind == "sum" else "1")
            piece = [(1 if kind == "sum" else "*", identity), *piece]
        out.append(piece[0][1] if len(piece) == 1 else (kind, tuple(piece)))
        start = stop
    return kind, out


class ArithmeticPlanner(TurnPlanner):
    """Forks the parts of the top-level chain, then a combining `evaluate:`, then answers."""

    def __init__(self, domain: ArithmeticLike, problem: Problem, *, capacity: int) -> None:
        if not isinstance(capacity, int) or capacity < 1:
            raise TaskError(f"capacity must be a positive int, got {capacity!r}")
        self.domain, self.problem, self.capacity = domain, problem, capacity
        self._start()

    def _plan(self):
        context = yield ""
        tree = self.problem.data.tree
        split = split_chain(tree, self.capacity)
        if split is None:
            context = yield f"<FORK-1>evaluate: {show(tree)}</FORK-1><JOIN-1>"
            value = _value_of(verified_claims(context).get(1, []))
            yield f"<ANSWER>{self._answer(value)}</ANSWER>"
            return
        kind, parts = split
        forks = "".join(f"<FORK-{i}>evaluate: {show(part)}</FORK-{i}>" for i, part in enumerate(parts, 1))
        context = yield forks + "<JOIN-1>"
        for i in range(2, len(parts) + 1):
            context = yield f"<JOIN-{i}>"
        found = verified_claims(context)
        values = [_value_of(found.get(i, [])) for i in range(1, len(parts) + 1)]
        if any(v == "undefined" for v in values):
            yield "<ANSWER>undefined</ANSWER>"
            return
        if any(v is None for v in values):
            yield f"<ANSWER>{self._answer(None)}</ANSWER>"  # a part failed: nothing to combine
            return
        glue = " + " if kind == "sum" else " * "
        combined = glue.join(write_exact(v) if v >= 0 else f"({write_exact(v)})" for v in values)
        last = len(parts) + 1
        context = yield f"<FORK-{last}>evaluate: {combined}</FORK-{last}><JOIN-{last}>"
        yield f"<ANSWER>{self._answer(_value_of(verified_claims(context).get(last, [])))}</ANSWER>"

    def _answer(self, value: Fraction | str | None) -> str:
        if value == "undefined":
            return "undefined"
        if value is None:
            return "no verified value"
        assert isinstance(value, Fraction)
        return self.domain.write_answer(self.problem, value)


def _value_of(claims: Sequence[str]) -> Fraction | str | None:
    """The value stated by the last verified `EXPR = VALUE` claim ('undefined' or a Fraction)."""
    for claim in reversed(claims):
        _, _, right = claim.rpartition("=")
        right = right.strip()
        if right.lower() == "undefined":
            return "undefined"
        value = read_number(right)
        if value is not None:
            return value
    return None
