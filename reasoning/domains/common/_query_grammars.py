"""Per-query grammars that domains supply: what a model may write for one sub-query.

Each builder returns a grammar in llguidance's Lark dialect (`reasoning.llm._grammar_dialect`
says what that dialect accepts) for the body of one `<RETURN>` block: one claim line in the
domain's own claim format, so that every constrained output parses with our own readers and is
checkable. The grammars narrow what a model can say, never what is true: the verifier still
checks every line.

- Countdown (`countdown_grammar`): an expression over the task's numbers, each used at most as
  often as it is given (exactly as often, under `exactly-once`), with `+ - * /` and parentheses,
  optionally followed by `= TARGET` (the task's own target: the claim format accepts it and a
  model likes to write it; any other value would be refuted at once, so it is not offered).
  "At most once" is enforced by the grammar itself: one nonterminal per sub-multiset S of the
  numbers: `e_S` is the number itself when S has one element, else `e_A OP e_B` over the ordered
  splits S = A + B or `"(" s_S ")"` with `s_S` those splits alone. The leaves of any derivation are S, so any string of the language uses
  exactly the numbers of the S it was derived from. Parentheses enclose a split only (never a
  bare number or another pair of parentheses), so nesting is bounded by the count of numbers. That is 3^m alternatives for m distinct
  numbers, so above `MAX_EXACT_SPLITS` alternatives the grammar only restricts the literals to
  the task's numbers (the verifier rejects over-use).
- Sudoku (`sudoku_grammar`): a grid line that keeps the givens and the sub-query's branch cells
  and fills blanks with digits 1..n, optionally `unique`, then the query's `with ...`; or
  `no solution with ...`. (The issue text asked for `rXcY = d` lines; our Sudoku claim format
  has no such claim, so the grammar writes the claim format that is checkable.)
- `evaluate: E` (`evaluate_grammar`): exactly `E = VALUE`, VALUE an integer, a fraction or a
  decimal, possibly negative.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import product

#: Most split alternatives an exact Countdown grammar may have (3^7 for 7 distinct numbers).
MAX_EXACT_SPLITS = 2_200
#: An operator with an optional space on either side.
OP_TERMINAL = r"OP: / ?[-+*\/] ?/"


def literal(text: str) -> str:
    """`text` as a Lark string literal (JSON escaping is a subset of what Lark reads)."""
    return json.dumps(text)


def _name(counts: Sequence[int]) -> str:
    return "e_" + "_".join(map(str, counts))


def _split(counts: Sequence[int]) -> str:
    return "s_" + "_".join(map(str, counts))


def _splits(counts: Sequence[int]) -> Iterable[tuple[tuple[int, ...], tuple[int, ...]]]:
    for left in product(*(range(c + 1) for c in counts)):
        right = tuple(c - a for c, a in zip(counts, left, strict=True))
        if any(left) and any(right):
            yield left, right


def split_count(numbers: Sequence[int]) -> int:
    """How many split alternatives the exact grammar of `numbers` has (sum over sub-multisets)."""
    total = 0
    for sub in product(*(range(c + 1) for c in Counter(numbers).values())):
        size = 1
        for c in sub:
            size *= c + 1
        total += max(0, size - 2)
    return total


def countdown_grammar(
    numbers: Sequence[int], target: int, *, rule: str = "at-most-once", state_target: bool = True
) -> str:
    """The grammar of one Countdown claim line over `numbers` (see the module docstring)."""
    values = sorted(Counter(numbers))
    have = Counter(numbers)
    counts = tuple(have[v] for v in values)
    tail = f" (/ ?= ?/ {literal(str(target))})?" if state_target else ""
    if split_count(numbers) > MAX_EXACT_SPLITS:
        choices = " | ".join(literal(str(v)) for v in values)
        return "\n".join(
            [
                f"start: e{tail}",
                "e: a | e OP a",
                'a: NUM | "(" e OP a ")"',
                f"NUM: {choices}",
                OP_TERMINAL,
            ]
        )
    subs = [s for s in product(*(range(c + 1) for c in counts)) if any(s)]
    tops = [counts] if rule == "exactly-once" else subs
    lines = [f"start: ({' | '.join(_name(s) for s in tops)}){tail}"]
    for sub in subs:
        if sum(sub) == 1:
            lines.append(f"{_name(sub)}: {literal(str(values[sub.index(1)]))}")
            continue
        splits = " | ".join(f"{_name(a)} OP {_name(b)}" for a, b in _splits(sub))
        lines.append(f'{_name(sub)}: {splits} | "(" {_split(sub)} ")"')
        lines.append(f"{_split(sub)}: {splits}")
    lines.append(OP_TERMINAL)
    return "\n".join(lines)


def sudoku_grammar(
    givens: Sequence[int], n: int, fixed: Mapping[int, int], digits: str, *, suffix: str = ""
) -> str:
    """One Sudoku claim line: a grid keeping the givens and the `fixed` cells (0 = blank), blanks
    filled with `digits[:n]`; optionally ` unique`; then `suffix` (e.g. ` with r3c5=7`). Or
    `no solution` + `suffix`."""
    cells = []
    for index, value in enumerate(givens):
        value = fixed.get(index, value)
        cells.append(literal(digits[value - 1]) if value else "D")
    tail = f" {literal(suffix)}" if suffix else ""
    choices = " | ".join(literal(d) for d in digits[:n])
    return "\n".join(
        [
            f'start: grid (" unique")?{tail} | "no solution"{tail}',
            f"grid: {' '.join(cells)}",
            f"D: {choices}",
        ]
    )


def evaluate_grammar(expression: str) -> str:
    """Exactly `EXPRESSION = VALUE` (VALUE: an integer, fraction or decimal, maybe negative; or
    `undefined`, which the arithmetic domain reads for a division by zero)."""
    return "\n".join(
        [
            f'start: {literal(expression.strip())} " = " (VALUE | "undefined")',
            r"VALUE: /-?[0-9]{1,30}(\/[1-9][0-9]{0,29}|\.[0-9]{1,30})?/",
        ]
    )
