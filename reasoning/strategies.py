"""Hypothesis strategies with known answers, for fuzzing agents, graders and this project.

Every strategy builds its examples *by construction*, so the truth comes with them and never
from the system under test: an expression and the value computed alongside it, a polynomial
expanded by hand, a Countdown target that is the value of a random expression tree over the
numbers, a Sudoku grid permuted from a valid pattern before cells are blanked.

| strategy | yields |
|----------|--------|
| `exact_expressions(*, max_depth=4)` | `KnownValue(text, value, tree)`: an expression and its exact value |
| `claims(*, truth=None, closed=None, max_depth=3, variables=("x", "y"))` | `KnownClaim(text, truth, closed)` |
| `true_claims(...)`, `false_claims(...)` | `claims(truth=True)` / `claims(truth=False)` |
| `countdown_tasks(*, min_numbers=2, max_numbers=6, min_value=1, max_value=100, max_target=None, rule="at-most-once")` | `KnownTask(task, solution)` |
| `puzzle24_tasks(*, min_value=1, max_value=13, target=24)` | `KnownTask`: four numbers, each used exactly once, rationals allowed |
| `sudoku_tasks(*, size=9, min_blanks=0, max_blanks=None)` | `KnownTask`: `grid` with `.` for blanks, `unique: False`; `solution` the full grid |
| `answer_pairs(*, equivalent=None)` | `AnswerPair(gold, prediction, equivalent)` |
| `equivalent_answers()`, `inequivalent_answers()` | `answer_pairs(equivalent=True)` / `(False)` |

**Claims** are in the claim language (README, "Claim language"). Closed ones compare an exact
expression with its value (`=`, `<=`, `!=`, `<`, ... arranged to be true, or off by a small
amount to be false); ones with variables are polynomial identities (a product of linear factors
against its expansion: true) and the same with one coefficient perturbed (false). A true claim
is one a sound verifier can prove; a false one has a counterexample.

**Tasks** are dicts in the domain format (`reasoning.domains`), ready for `reasoning.solve` or
for an agent. `solution` is *one* solution in the domain's answer format (a Countdown
expression such as `(7 + 3) * 25`; a Sudoku grid string). Tasks may have other solutions too
(a Sudoku with many blanks is rarely unique), so check an agent's answer by the rules (the
domain's `check_answer`, or `reasoning.verify`), never by comparing it with `solution`.

All bounds are keyword-only and checked when the strategy is built: a bad one raises
`hypothesis.errors.InvalidArgument` naming the argument.

    from hypothesis import given
    from reasoning.strategies import countdown_tasks

    @given(countdown_tasks(max_numbers=5))
    def test_my_agent_solves_countdown(known):
        answer = my_agent(known.task)          # e.g. "(25 - 5) * 4"
        check = reasoning.domains.get("countdown").check_answer(
            reasoning.domains.load(known.task), answer, budget_s=2.0)
        assert check.proved, check.message
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

try:
    from hypothesis import reject
    from hypothesis import strategies as st
    from hypothesis.errors import InvalidArgument
except ModuleNotFoundError as exc:  # hypothesis is a test dependency, not a runtime one
    raise ModuleNotFoundError(
        "reasoning.strategies needs hypothesis: pip install hypothesis", name=exc.name
    ) from exc

from proofs.claims import BinOp, Call, Expr, Neg, Num, expr_text

# ------------------------------------------------------------------ result types


@dataclass(frozen=True)
class KnownValue:
    """An exact expression in the claim language (`text`), its exact `value`, and its tree
    (`proofs.claims.Expr`; `expr_text(tree) == text`)."""

    text: str
    value: Fraction
    tree: Expr = field(repr=False, compare=False)


@dataclass(frozen=True)
class KnownClaim:
    """A claim (`text`, one line of the claim language) whose `truth` is known by construction;
    `closed` is True when it has no variables."""

    text: str
    truth: bool
    closed: bool


@dataclass(frozen=True)
class KnownTask:
    """A task dict in the domain format (`task["domain"]` names the domain) and one known
    `solution` in the domain's answer format. Other solutions may exist."""

    task: dict[str, Any]
    solution: str


@dataclass(frozen=True)
class AnswerPair:
    """Two final answers (LaTeX or plain text) and whether they are the same answer."""

    gold: str
    prediction: str
    equivalent: bool


# ------------------------------------------------------------------ argument checks


def _integer(name: str, value: Any, *, low: int | None = None, high: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidArgument(f"{name}={value!r} must be an integer")
    if low is not None and value < low:
        raise InvalidArgument(f"{name}={value!r} must be at least {low}")
    if high is not None and value > high:
        raise InvalidArgument(f"{name}={value!r} must be at most {high}")
    return value


def _ordered(low_name: str, low: int, high_name: str, high: int) -> None:
    if low > high:
        raise InvalidArgument(f"{low_name}={low!r} must not exceed {high_name}={high!r}")


def _optional_bool(name: str, value: Any) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise InvalidArgument(f"{name}={value!r} must be True, False or None")
    return value


# ------------------------------------------------------------------ exact expressions


def value_text(value: Fraction) -> str:
    """An exact rational as claim text: `(3)`, `(1/2)`, `-(7/4)`."""
    text = (
        f"{abs(value.numerator)}" if value.denominator == 1 else f"{abs(value.numerator)}/{value.denominator}"
    )
    return f"-({text})" if value < 0 else f"({text})"


@st.composite
def _expression(draw: st.DrawFn, max_depth: int) -> tuple[Expr, Fraction]:
    if max_depth == 0 or draw(st.integers(0, 3)) == 0:
        if draw(st.booleans()):
            n = draw(st.integers(0, 1000))
            return Num(Fraction(n)), Fraction(n)
        value = Fraction(draw(st.integers(0, 10_000)), 100)
        return Num(value), value
    kind = draw(st.sampled_from(["+", "-", "*", "/", "^", "neg", "abs", "max", "fact"]))
    left, a = draw(_expression(max_depth - 1))
    if kind == "neg":
        return Neg(left), -a
    if kind == "abs":
        return Call("abs", (left,)), abs(a)
    if kind == "fact":
        n = draw(st.integers(0, 12))
        return Call("factorial", (Num(Fraction(n)),)), Fraction(math.factorial(n))
    if kind == "^":
        e = draw(st.integers(-3, 4))
        if a == 0 and e < 0:
            e = -e
        exponent: Expr = Num(Fraction(e)) if e >= 0 else Neg(Num(Fraction(-e)))
        return BinOp("^", left, exponent), a**e
    right, b = draw(_expression(max_depth - 1))
    if kind == "max":
        return Call("max", (left, right)), max(a, b)
    if kind == "/":
        if b == 0:
            return BinOp("+", left, right), a + b
        return BinOp("/", left, right), a / b
    return BinOp(kind, left, right), {"+": a + b, "-": a - b, "*": a * b}[kind]


def exact_expressions(*, max_depth: int = 4) -> st.SearchStrategy[KnownValue]:
    """Closed expressions (numbers, decimals, `+ - * / ^`, unary minus, `abs`, `max`, `n!`) with
    their exact values, computed here with `Fraction` arithmetic; at most `max_depth` levels."""
    _integer("max_depth", max_depth, low=0, high=8)
    return _expression(max_depth).map(lambda pair: KnownValue(expr_text(pair[0]), pair[1], pair[0]))


# ------------------------------------------------------------------ claims

_NOT_VARIABLES = frozenset("e")  # `e` is Euler's number in the claim language


def _variables(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise InvalidArgument(f"variables={value!r} must be a non-empty sequence of letters")
    for name in value:
        if not (isinstance(name, str) and len(name) == 1 and name in string.ascii_lowercase):
            raise InvalidArgument(f"variables: {name!r} is not a single lowercase letter")
        if name in _NOT_VARIABLES:
            raise InvalidArgument(f"variables: {name!r} is a constant in the claim language")
    if len(set(value)) != len(value):
        raise InvalidArgument(f"variables={value!r} has duplicates")
    return tuple(value)


Monomial = tuple[int, ...]  # exponent of each variable


def _multiply(p: dict[Monomial, int], q: dict[Monomial, int]) -> dict[Monomial, int]:
    out: dict[Monomial, int] = {}
    for m1, c1 in p.items():
        for m2, c2 in q.items():
            m = tuple(a + b for a, b in zip(m1, m2))
            out[m] = out.get(m, 0) + c1 * c2
    return {m: c for m, c in out.items() if c}


def _monomial_text(monomial: Monomial, names: Sequence[str]) -> str:
    parts = [name if e == 1 else f"{name}^{e}" for name, e in zip(names, monomial) if e]
    return "*".join(parts)


def _polynomial_text(poly: dict[Monomial, int], names: Sequence[str]) -> str:
    """A polynomial as claim text, highest degree first: `3*x^2*y - x + 5`."""
    if not poly:
        return "0"
    text = ""
    for monomial in sorted(poly, key=lambda m: (-sum(m), tuple(-e for e in m))):
        c, body = poly[monomial], _monomial_text(monomial, names)
        magnitude = str(abs(c)) if not body else body if abs(c) == 1 else f"{abs(c)}*{body}"
        if not text:
            text = f"-{magnitude}" if c < 0 else magnitude
        else:
            text += f" {'-' if c < 0 else '+'} {magnitude}"
    return text


@st.composite
def _identity(draw: st.DrawFn, names: tuple[str, ...], truth: bool) -> KnownClaim:
    count = draw(st.integers(1, 4))
    zero: Monomial = tuple(0 for _ in names)
    product: dict[Monomial, int] = {zero: 1}
    factors = []
    for _ in range(count):
        a = draw(st.integers(-5, 5).filter(bool))
        index = draw(st.integers(0, len(names) - 1))
        b = draw(st.integers(-5, 5))
        unit = tuple(int(i == index) for i in range(len(names)))
        product = _multiply(product, {unit: a, zero: b} if b else {unit: a})
        term = names[index] if a == 1 else f"-{names[index]}" if a == -1 else f"{a}*{names[index]}"
        inner = term if b == 0 else f"{term} {'+' if b > 0 else '-'} {abs(b)}"
        factors.append(f"({inner})")
    if not truth:
        degree = draw(st.integers(0, 2))
        monomial = tuple(draw(st.integers(0, degree)) for _ in names)
        k = draw(st.integers(-4, 4).filter(bool))
        product = dict(product)
        product[monomial] = product.get(monomial, 0) + k
        product = {m: c for m, c in product.items() if c}
    sides = [" * ".join(factors), _polynomial_text(product, names)]
    if draw(st.booleans()):
        sides.reverse()
    return KnownClaim(f"{sides[0]} = {sides[1]}", truth, False)


#: (relation, offset from the true value) that make `expr REL value + offset` true / false.
_TRUE_RELATIONS = (("=", 0), ("<=", 0), (">=", 0), ("<", 1), (">", -1), ("!=", 1), ("!=", Fraction(-1, 2)))
_FALSE_RELATIONS = (("=", 1), ("=", -1), ("=", Fraction(1, 2)), ("<", 0), (">", 0), ("!=", 0), ("<=", -1))


@st.composite
def _closed_claim(draw: st.DrawFn, max_depth: int, truth: bool) -> KnownClaim:
    known = draw(exact_expressions(max_depth=max_depth))
    relation, offset = draw(st.sampled_from(_TRUE_RELATIONS if truth else _FALSE_RELATIONS))
    return KnownClaim(f"{known.text} {relation} {value_text(known.value + offset)}", truth, True)


def claims(
    *,
    truth: bool | None = None,
    closed: bool | None = None,
    max_depth: int = 3,
    variables: Sequence[str] = ("x", "y"),
) -> st.SearchStrategy[KnownClaim]:
    """Claims whose truth is known by construction (see the module docstring).

    `truth` / `closed`: only true or false claims, only closed ones or ones with variables
    (None: both). `max_depth` bounds closed expressions; `variables` (single letters) are the
    names used by polynomial identities.
    """
    _optional_bool("truth", truth)
    _optional_bool("closed", closed)
    _integer("max_depth", max_depth, low=0, high=8)
    names = _variables(variables)
    truths = [truth] if truth is not None else [True, False]
    parts: list[st.SearchStrategy[KnownClaim]] = []
    for t in truths:
        if closed in (None, True):
            parts.append(_closed_claim(max_depth, t))
        if closed in (None, False):
            parts.append(_identity(names, t))
    return st.one_of(parts)


def true_claims(
    *, closed: bool | None = None, max_depth: int = 3, variables: Sequence[str] = ("x", "y")
) -> st.SearchStrategy[KnownClaim]:
    """`claims(truth=True, ...)`: claims a sound verifier proves."""
    return claims(truth=True, closed=closed, max_depth=max_depth, variables=variables)


def false_claims(
    *, closed: bool | None = None, max_depth: int = 3, variables: Sequence[str] = ("x", "y")
) -> st.SearchStrategy[KnownClaim]:
    """`claims(truth=False, ...)`: claims with a counterexample."""
    return claims(truth=False, closed=closed, max_depth=max_depth, variables=variables)


# ------------------------------------------------------------------ Countdown and 24

_Item = tuple[Fraction, str, bool]  # value, text, is a bare number


def _wrap(item: _Item) -> str:
    return item[1] if item[2] else f"({item[1]})"


def _apply(op: str, a: _Item, b: _Item) -> _Item | None:
    x, y = a[0], b[0]
    if op == "/" and y == 0:
        return None
    value = x + y if op == "+" else x - y if op == "-" else x * y if op == "*" else x / y
    return (value, f"{_wrap(a)} {op} {_wrap(b)}", False)


def _countdown_step(a: _Item, b: _Item, op: str, max_target: int | None) -> _Item:
    """Combine two non-negative integers with `op`, or (when `op` would leave the integers, go
    negative or pass `max_target`) with the first of `- / +` that does not."""
    big, small = (a, b) if a[0] >= b[0] else (b, a)
    options = {
        "+": (a, b),
        "*": (a, b),
        "-": (big, small) if big[0] > small[0] else None,
        "/": (big, small) if small[0] != 0 and big[0] % small[0] == 0 else None,
    }
    for name in (op, "-", "/", "+", "*"):
        pair = options[name]
        if pair is None:
            continue
        result = _apply(name, *pair)
        if result is not None and (max_target is None or result[0] <= max_target):
            return result
    raise AssertionError("unreachable: '-' or '/' always stays within max_target")  # pragma: no cover


@st.composite
def _countdown(
    draw: st.DrawFn, min_numbers: int, max_numbers: int, min_value: int, max_value: int, max_target, rule
) -> KnownTask:
    n = draw(st.integers(min_numbers, max_numbers))
    numbers = draw(st.lists(st.integers(min_value, max_value), min_size=n, max_size=n))
    used = n if rule == "exactly-once" else draw(st.integers(min(2, n), n))
    order = draw(st.permutations(range(n)))[:used]
    pool: list[_Item] = [(Fraction(numbers[i]), str(numbers[i]), True) for i in order]
    while len(pool) > 1:
        i = draw(st.integers(0, len(pool) - 1))
        a = pool.pop(i)
        b = pool.pop(draw(st.integers(0, len(pool) - 1)))
        op = draw(st.sampled_from("+-*/"))
        pool.append(_countdown_step(a, b, op, max_target))
    value, text, _ = pool[0]
    task = {
        "domain": "countdown",
        "numbers": numbers,
        "target": int(value),
        "solutions": 1,
        "rule": rule,
        "integer_only": True,
    }
    return KnownTask(task, text)


def countdown_tasks(
    *,
    min_numbers: int = 2,
    max_numbers: int = 6,
    min_value: int = 1,
    max_value: int = 100,
    max_target: int | None = None,
    rule: str = "at-most-once",
) -> st.SearchStrategy[KnownTask]:
    """Countdown tasks with a known solution: `min_numbers`..`max_numbers` numbers in
    `min_value`..`max_value`; a random expression tree over some of them (all of them for
    `rule="exactly-once"`) whose every intermediate value is a non-negative integer gives the
    target (at most `max_target`, which must be at least `max_value`). The task asks for one
    solution with integer intermediates: `{"domain": "countdown", "numbers": [...], "target": T,
    "solutions": 1, "rule": rule, "integer_only": True}`; `solution` is the tree's expression.
    """
    _integer("min_numbers", min_numbers, low=1, high=12)
    _integer("max_numbers", max_numbers, low=1, high=12)
    _ordered("min_numbers", min_numbers, "max_numbers", max_numbers)
    _integer("min_value", min_value, low=0)
    _integer("max_value", max_value, low=0, high=10**6)
    _ordered("min_value", min_value, "max_value", max_value)
    if max_target is not None:
        _integer("max_target", max_target)
        _ordered("max_value", max_value, "max_target", max_target)
    if rule not in ("at-most-once", "exactly-once"):
        raise InvalidArgument(f"rule={rule!r} must be 'at-most-once' or 'exactly-once'")
    return _countdown(min_numbers, max_numbers, min_value, max_value, max_target, rule)


def _reach(items: list[_Item], target: Fraction) -> str | None:
    """An expression over all `items` (each once) with value `target`, or None: the complete
    pick-two-and-combine search."""
    if len(items) == 1:
        return items[0][1] if items[0][0] == target else None
    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            rest = items[:i] + items[i + 1 : j] + items[j + 1 :]
            a, b = items[i], items[j]
            for op, x, y in (("+", a, b), ("*", a, b), ("-", a, b), ("-", b, a), ("/", a, b), ("/", b, a)):
                combined = _apply(op, x, y)
                if combined is not None and (found := _reach([*rest, combined], target)) is not None:
                    return found
    return None


@st.composite
def _puzzle24(draw: st.DrawFn, min_value: int, max_value: int, target: int) -> KnownTask:
    numbers = draw(st.lists(st.integers(min_value, max_value), min_size=4, max_size=4))
    solution = _reach([(Fraction(n), str(n), True) for n in numbers], Fraction(target))
    if solution is None:
        reject()  # about a quarter of the 1..13 quadruples cannot make 24
    task = {
        "domain": "countdown",
        "numbers": numbers,
        "target": target,
        "solutions": 1,
        "rule": "exactly-once",
        "integer_only": False,
    }
    return KnownTask(task, solution)


def puzzle24_tasks(
    *, min_value: int = 1, max_value: int = 13, target: int = 24
) -> st.SearchStrategy[KnownTask]:
    """24-game tasks: four numbers in `min_value`..`max_value`, each used exactly once with
    `+ - * /` (fractions allowed on the way) to make `target`. Countdown tasks with
    `rule="exactly-once"` and `integer_only=False`; quadruples with no solution are skipped, so
    a `target` that few quadruples reach makes hypothesis give up (a health-check failure)."""
    _integer("min_value", min_value, low=0, high=1000)
    _integer("max_value", max_value, low=0, high=1000)
    _ordered("min_value", min_value, "max_value", max_value)
    _integer("target", target)
    return _puzzle24(min_value, max_value, target)


# ------------------------------------------------------------------ Sudoku

#: Side of the grid -> side of a box.
_BOX = {4: 2, 9: 3, 16: 4}
#: One character per digit: 1-9, then A-G for 10-16; `.` is a blank.
_DIGITS = "123456789ABCDEFG"


@st.composite
def _sudoku(draw: st.DrawFn, size: int, min_blanks: int, max_blanks: int) -> KnownTask:
    box = _BOX[size]

    def lines() -> list[int]:  # a permutation of rows (or columns) that keeps bands together
        bands = draw(st.permutations(range(box)))
        return [band * box + inner for band in bands for inner in draw(st.permutations(range(box)))]

    rows, cols = lines(), lines()
    digits = draw(st.permutations(range(size)))
    transpose = draw(st.booleans())

    def base(r: int, c: int) -> int:  # a valid grid: each row shifts the one above
        return (box * (r % box) + r // box + c) % size

    cells = []
    for r in range(size):
        for c in range(size):
            rr, cc = (c, r) if transpose else (r, c)
            cells.append(_DIGITS[digits[base(rows[rr], cols[cc])]])
    solution = "".join(cells)
    blanks = draw(st.integers(min_blanks, max_blanks))
    hidden = draw(st.permutations(range(size * size)))[:blanks]
    grid = list(solution)
    for index in hidden:
        grid[index] = "."
    return KnownTask({"domain": "sudoku", "grid": "".join(grid), "unique": False}, solution)


def sudoku_tasks(
    *, size: int = 9, min_blanks: int = 0, max_blanks: int | None = None
) -> st.SearchStrategy[KnownTask]:
    """Sudoku tasks with a known solution: a valid `size` x `size` grid (4, 9 or 16) from the
    shifted-rows pattern under random band, row, stack, column and digit permutations and a
    transpose, with `min_blanks`..`max_blanks` cells blanked (default at most half the cells).
    The task is `{"domain": "sudoku", "grid": "53..7....", "unique": False}` (row-major, one
    character a cell, `.` blank, digits 1-9 then A-G; `unique: False` because puzzles with many
    blanks usually have other solutions too, so a bare solution grid is a complete answer);
    `solution` is the full grid in the same form."""
    _integer("size", size)
    if size not in _BOX:
        raise InvalidArgument(f"size={size!r} must be 4, 9 or 16")
    cells = size * size
    _integer("min_blanks", min_blanks, low=0, high=cells)
    if max_blanks is None:
        max_blanks = max(min_blanks, cells // 2)
    _integer("max_blanks", max_blanks, low=0, high=cells)
    _ordered("min_blanks", min_blanks, "max_blanks", max_blanks)
    return _sudoku(size, min_blanks, max_blanks)


# ------------------------------------------------------------------ answer pairs


def _decimal(value: Fraction) -> str | None:
    """The terminating decimal of `value`, or None when it does not terminate."""
    rest, twos, fives = value.denominator, 0, 0
    while rest % 2 == 0:
        rest, twos = rest // 2, twos + 1
    while rest % 5 == 0:
        rest, fives = rest // 5, fives + 1
    if rest != 1:
        return None
    places = max(twos, fives)
    whole, frac = divmod(abs(value.numerator) * 10**places // value.denominator, 10**places)
    text = f"{whole}.{frac:0{places}d}" if places else str(whole)
    return f"-{text}" if value < 0 else text


def _rational_forms(draw: st.DrawFn, value: Fraction) -> list[str]:
    """Ways to write `value` (LaTeX and plain text)."""
    p, q = value.numerator, value.denominator
    sign, a = ("-" if p < 0 else ""), abs(p)
    if q == 1:
        forms = [str(p), f"{p}.0", f"\\frac{{{2 * p}}}{{2}}"]
        if a >= 1000:
            forms.append(sign + f"{a:,}".replace(",", "{,}"))
    else:
        k = draw(st.integers(2, 9))
        forms = [
            f"{sign}\\frac{{{a}}}{{{q}}}",
            f"{sign}\\dfrac{{{a}}}{{{q}}}",
            f"{sign}{a}/{q}",
            f"\\frac{{{p}}}{{{q}}}",
            f"{sign}\\frac{{{k * a}}}{{{k * q}}}",
        ]
    decimal = _decimal(value)
    if decimal is not None:
        forms.append(decimal)
    return forms


#: A decimal literal's fractional digits (`1.50` -> `50`).
_DECIMAL_DIGITS = re.compile(r"(?<![\d.])\d*\.(\d+)")


def _precise_forms(forms: list[str], difference: Fraction) -> list[str]:
    """The forms whose decimals are precise enough that no rounding spans `difference` (all of
    them when it is 0): `1.5` (+- 0.05) is dropped for a difference of 1/100, `1.50` is kept."""
    if not difference:
        return forms
    kept = [
        f
        for f in forms
        if all(abs(difference) > Fraction(1, 2 * 10 ** len(m.group(1))) for m in _DECIMAL_DIGITS.finditer(f))
    ]
    return kept  # never empty: every value has a form without a decimal


def _dress(draw: st.DrawFn, text: str) -> str:
    """The same answer inside `\\boxed{}`, `$..$` or as `x = ...`, or as it is."""
    wrapper = draw(st.sampled_from(["{}", "\\boxed{{{}}}", "${}$", "x = {}"]))
    return wrapper.format(text)


def _rational_values() -> st.SearchStrategy[Fraction]:
    simple = st.fractions(min_value=-10, max_value=10, max_denominator=12)
    small = st.fractions(min_value=-1000, max_value=1000, max_denominator=64)
    decimals = st.integers(-100_000, 100_000).map(lambda n: Fraction(n, 100))
    return st.one_of(simple, small, decimals, st.integers(-(10**7), 10**7).map(Fraction))


def _set_text(items: Sequence[int]) -> str:
    return "\\{" + ", ".join(map(str, items)) + "\\}"


@st.composite
def _answer_pair(draw: st.DrawFn, equivalent: bool | None) -> AnswerPair:
    same = draw(st.booleans()) if equivalent is None else equivalent
    kind = draw(
        st.sampled_from(["rational", "rational", "radical", "set", "interval", "polynomial", "power"])
    )
    if kind == "rational":
        value = draw(_rational_values())
        other = value
        if not same:
            other = value + draw(
                st.sampled_from([Fraction(1), Fraction(-1), Fraction(1, 2), Fraction(1, 100)])
            )
        # Either side may end up the gold: a decimal written too coarsely (`0.0` against 1/100)
        # may be a rounding of the other value, which a checker rightly leaves undecided.
        gold = draw(st.sampled_from(_precise_forms(_rational_forms(draw, value), other - value)))
        prediction = _dress(
            draw, draw(st.sampled_from(_precise_forms(_rational_forms(draw, other), other - value)))
        )
    elif kind == "radical":
        a, b = draw(st.integers(2, 12)), draw(st.sampled_from([2, 3, 5, 6, 7, 10, 11]))
        gold = f"\\sqrt{{{a * a * b}}}"
        prediction = f"{a}\\sqrt{{{b}}}" if same else f"{a + draw(st.sampled_from([-1, 1]))}\\sqrt{{{b}}}"
    elif kind == "set":
        items = draw(st.lists(st.integers(-50, 50), min_size=1, max_size=6, unique=True))
        shuffled = draw(st.permutations(items))
        repeated = [*shuffled, *draw(st.lists(st.sampled_from(items), max_size=2))]
        if not same:
            changed = draw(st.integers(-50, 50).filter(lambda v: v not in items))
            repeated = [changed if v == repeated[0] else v for v in repeated]
        gold, prediction = _set_text(items), _set_text(repeated)
    elif kind == "interval":
        low = draw(st.integers(-20, 20))
        width = draw(st.sampled_from([Fraction(1, 2), Fraction(1), Fraction(5, 4), Fraction(3)]))
        high = low + width
        closed = (draw(st.booleans()), draw(st.booleans()))

        def interval(lo: str, hi: str, ends: tuple[bool, bool]) -> str:
            return f"{'[' if ends[0] else '('}{lo}, {hi}{']' if ends[1] else ')'}"

        high_texts = _rational_forms(draw, high)
        gold = interval(str(low), high_texts[0], closed)
        other_ends = closed if same else (closed[0], not closed[1])
        prediction = interval(f"{low}", draw(st.sampled_from(high_texts)), other_ends)
    elif kind == "polynomial":
        r, s = draw(st.integers(-9, 9)), draw(st.integers(-9, 9))
        b, c = r + s, r * s + (0 if same else draw(st.sampled_from([-1, 1])))
        gold = f"(x {'+' if r >= 0 else '-'} {abs(r)})(x {'+' if s >= 0 else '-'} {abs(s)})"
        prediction = f"x^2 {'+' if b >= 0 else '-'} {abs(b)}x {'+' if c >= 0 else '-'} {abs(c)}"
    else:  # the math-verify false positive: 1/2^{n} against 1/2^{n+1}
        n = draw(st.integers(20, 120))
        gold = f"\\frac{{1}}{{2^{{{n}}}}}"
        prediction = f"\\frac{{2}}{{2^{{{n + 1}}}}}" if same else f"\\frac{{1}}{{2^{{{n + 1}}}}}"
    if draw(st.booleans()):
        gold, prediction = prediction, gold
    return AnswerPair(gold, prediction, same)


def answer_pairs(*, equivalent: bool | None = None) -> st.SearchStrategy[AnswerPair]:
    """Pairs of final answers with known equivalence: rationals in several forms (`\\frac{1}{2}`,
    `1/2`, `0.5`, `\\frac{3}{6}`, `\\boxed{..}`, `$..$`, `x = ..`), radicals (`\\sqrt{8}` and
    `2\\sqrt{2}`), finite sets in any order with repeats, intervals with equal endpoints written
    differently, factored against expanded quadratics, `\\frac{1}{2^{n}}` against `\\frac{2}{2^{n+1}}`.
    Inequivalent pairs differ by a small amount, one element, one endpoint's closedness or one
    coefficient; their decimals are precise enough that neither could be a rounding of the other
    value (no `0.0` against `\\frac{1}{100}`: a checker rightly leaves that undecided).
    `equivalent`: only equivalent (True) or inequivalent (False) pairs; None: both."""
    _optional_bool("equivalent", equivalent)
    return _answer_pair(equivalent)


def equivalent_answers() -> st.SearchStrategy[AnswerPair]:
    """`answer_pairs(equivalent=True)`."""
    return answer_pairs(equivalent=True)


def inequivalent_answers() -> st.SearchStrategy[AnswerPair]:
    """`answer_pairs(equivalent=False)`."""
    return answer_pairs(equivalent=False)


__all__ = [
    "AnswerPair",
    "KnownClaim",
    "KnownTask",
    "KnownValue",
    "answer_pairs",
    "claims",
    "countdown_tasks",
    "equivalent_answers",
    "exact_expressions",
    "false_claims",
    "inequivalent_answers",
    "puzzle24_tasks",
    "sudoku_tasks",
    "true_claims",
    "value_text",
]
