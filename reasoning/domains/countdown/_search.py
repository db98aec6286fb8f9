"""Countdown expressions and searches: parsing, rule-checked evaluation, canonical forms, a
memoised subset search (the fast solver) and a plain pick-two-and-recurse search (the
independent re-check and the benchmark's baseline).

**Expressions.** Task numbers (non-negative integers), `+ - * /` (also `×`, `·`, `÷` and the
Unicode minus) and parentheses, read by a bounded tokenizer and recursive-descent parser
(`parse_line`; never `eval`). Trees are tuples: `("n", value)` for a number, `(op, left, right)`
for an operation.

**Rules.** `rule` is `at-most-once` (each task number used at most as often as it occurs) or
`exactly-once` (every task number used exactly once). `integer_only` demands that every
intermediate value is an integer (so each division is exact); otherwise values are rationals.
Division by zero is never allowed. Negative intermediate values are allowed.

**Distinct solutions (canonical forms).** Two expressions are the same solution when they are
equal up to commutativity and associativity. The canonical form flattens every maximal chain
of `+`/`-` into a sum node holding the multiset of added terms and the multiset of subtracted
terms, and every maximal chain of `*`/`/` into a product node holding the multiset of
multiplied and divided factors (subtracting a sum or dividing by a product flips its parts:
`a - (b - c)` is `a + c - b`, `a / (b / c)` is `a * c / b`); the multisets are sorted. Forms are
tuples: `("n", v)`, `("+", added, subtracted)`, `("*", multiplied, divided)`. No other law is
used: `(a - b) * (c - d)` and `(b - a) * (d - c)` are distinct, and `a * (b + c)` is not
`a * b + a * c`. `canonical(tree)` computes the form of a tree; the fast solver builds forms
incrementally with `combine` (a second implementation; the tests check that they agree).

**Parts of the search space.** The root of an expression tree splits the numbers it uses into
two sub-multisets (a lone number is its own part). The part keys of a problem are the distinct
(used multiset, unordered split) pairs, sorted; part `k` of `n` holds the keys whose index is
`k - 1` modulo `n`. A solution (canonical form) is in part `k` when some valid expression with
that form has its root split in part `k`, so parts may share a solution and together hold all.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from fractions import Fraction
from itertools import combinations

Value = int | Fraction
Tree = tuple
Form = tuple

#: Longest expression line read, in characters.
MAX_LINE_CHARS = 2_000
#: Deepest parenthesis nesting read.
MAX_DEPTH = 60
#: Longest number literal read, in digits.
MAX_DIGITS = 30
#: Operators, as written -> as read.
OPERATORS = {"+": "+", "-": "-", "−": "-", "–": "-", "*": "*", "×": "*", "·": "*", "/": "/", "÷": "/"}
RULES = ("at-most-once", "exactly-once")


class ExpressionSyntaxError(ValueError):
    """Text that is not an expression; `column` is 1-based."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"column {column}: {message}")
        self.column = column


class RuleError(ValueError):
    """An expression that breaks the rules (division by zero, a non-integer intermediate)."""


class OutOfBudget(Exception):
    """The search ran out of time."""


class SearchBudget:
    """A wall-clock deadline checked every `every` ticks (no signals)."""

    def __init__(self, seconds: float | None, *, every: int = 512) -> None:
        self.deadline = None if seconds is None else time.monotonic() + seconds
        self.every = every
        self.count = 0

    def tick(self) -> None:
        self.count += 1
        if self.deadline is not None and self.count % self.every == 0 and time.monotonic() > self.deadline:
            raise OutOfBudget


# ---------------------------------------------------------------- parsing


def _tokens(text: str) -> list[tuple[str, object, int]]:
    """(kind, value, column) tokens: `int`, `op`, `(`, `)`, `=`."""
    out: list[tuple[str, object, int]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif "0" <= ch <= "9":
            j = i
            while j < n and "0" <= text[j] <= "9":
                j += 1
            if j - i > MAX_DIGITS:
                raise ExpressionSyntaxError(f"a number longer than {MAX_DIGITS} digits", i + 1)
            out.append(("int", int(text[i:j]), i + 1))
            i = j
        elif ch in OPERATORS:
            out.append(("op", OPERATORS[ch], i + 1))
            i += 1
        elif ch in "()=":
            out.append((ch, ch, i + 1))
            i += 1
        else:
            shown = ch if ch.isprintable() else repr(ch)
            raise ExpressionSyntaxError(
                f"unexpected {shown!r}: only task numbers, + - * /, parentheses and '= target' are allowed",
                i + 1,
            )
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, object, int]], end: int) -> None:
        self.tokens = tokens
        self.pos = 0
        self.end = end

    def peek(self) -> tuple[str, object, int] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def column(self) -> int:
        token = self.peek()
        return token[2] if token else self.end

    def expr(self, depth: int) -> Tree:
        tree = self.term(depth)
        while (token := self.peek()) is not None and token[0] == "op" and token[1] in "+-":
            self.pos += 1
            tree = (token[1], tree, self.term(depth))
        return tree

    def term(self, depth: int) -> Tree:
        tree = self.factor(depth)
        while (token := self.peek()) is not None and token[0] == "op" and token[1] in "*/":
            self.pos += 1
            tree = (token[1], tree, self.factor(depth))
        return tree

    def factor(self, depth: int) -> Tree:
        token = self.peek()
        if token is None:
            raise ExpressionSyntaxError("expected a number or '(' but the expression ended", self.end)
        kind, value, column = token
        if kind == "int":
            self.pos += 1
            return ("n", value)
        if kind == "(":
            if depth >= MAX_DEPTH:
                raise ExpressionSyntaxError(f"parentheses nested deeper than {MAX_DEPTH}", column)
            self.pos += 1
            tree = self.expr(depth + 1)
            close = self.peek()
            if close is None or close[0] != ")":
                raise ExpressionSyntaxError("expected ')'", self.column())
            self.pos += 1
            return tree
        if kind == "op" and value == "-":
            raise ExpressionSyntaxError(
                "a minus sign must stand between two operands (no negative numbers)", column
            )
        raise ExpressionSyntaxError(f"expected a number or '(' but found {value!r}", column)


def parse_line(text: str) -> tuple[Tree, int | None]:
    """(tree, stated target or None) of `EXPR` or `EXPR = TARGET`; ExpressionSyntaxError otherwise."""
    if not isinstance(text, str):
        raise ExpressionSyntaxError("an expression is text", 1)
    if len(text) > MAX_LINE_CHARS:
        raise ExpressionSyntaxError(
            f"the line is {len(text)} characters long; at most {MAX_LINE_CHARS} are read", 1
        )
    depth = 0
    for column, ch in enumerate(text, 1):  # refuse deep nesting before building anything
        depth += (ch == "(") - (ch == ")")
        if depth > MAX_DEPTH:
            raise ExpressionSyntaxError(f"parentheses nested deeper than {MAX_DEPTH}", column)
    tokens = _tokens(text)
    if not tokens:
        raise ExpressionSyntaxError("the line is empty", 1)
    stated: int | None = None
    equals = [i for i, t in enumerate(tokens) if t[0] == "="]
    if len(equals) > 1:
        raise ExpressionSyntaxError("more than one '='", tokens[equals[1]][2])
    if equals:
        i = equals[0]
        rest = tokens[i + 1 :]
        sign = 1
        if rest and rest[0][:2] == ("op", "-"):
            sign, rest = -1, rest[1:]
        if len(rest) != 1 or rest[0][0] != "int":
            raise ExpressionSyntaxError("'=' must be followed by the target number alone", tokens[i][2])
        stated = sign * int(rest[0][1])  # type: ignore[call-overload]
        tokens = tokens[:i]
        if not tokens:
            raise ExpressionSyntaxError("nothing before '='", 1)
    parser = _Parser(tokens, len(text) + 1)
    tree = parser.expr(0)
    if parser.pos != len(tokens):
        raise ExpressionSyntaxError(f"unexpected {parser.tokens[parser.pos][1]!r}", parser.column())
    return tree, stated


# ---------------------------------------------------------------- evaluation and rules


def leaves(tree: Tree) -> list[int]:
    """The numbers a tree uses, left to right (iterative: trees may be deep)."""
    out: list[int] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if node[0] == "n":
            out.append(node[1])
        else:
            stack += [node[2], node[1]]
    return out


def usage_problem(used: Sequence[int], numbers: Sequence[int], rule: str) -> str | None:
    """Why `used` (the numbers an expression uses) breaks the rule, or None when it does not."""
    have, want = Counter(numbers), Counter(used)
    for value, count in sorted(want.items()):
        if value not in have:
            return f"{value} is not one of the numbers {list(numbers)}"
        if count > have[value]:
            times = {1: "once", 2: "twice"}.get(have[value], f"{have[value]} times")
            return f"uses {value} {count} times but the numbers have it {times}"
    if rule == "exactly-once":
        missing = sorted((have - want).elements())
        if missing:
            return f"does not use {', '.join(map(str, missing))} (each number must be used exactly once)"
    return None


def _norm(value: Value) -> Value:
    if type(value) is Fraction and value.denominator == 1:
        return value.numerator
    return value


def apply(op: str, a: Value, b: Value, integer_only: bool) -> Value | None:
    """`a op b` under the rules, or None when not allowed (division by zero, inexact division)."""
    if op == "+":
        return _norm(a + b)
    if op == "-":
        return _norm(a - b)
    if op == "*":
        return _norm(a * b)
    if b == 0:
        return None
    if type(a) is int and type(b) is int:
        if a % b == 0:
            return a // b
        return None if integer_only else Fraction(a, b)
    return None if integer_only else _norm(Fraction(a) / b)


def render_value(value: Value) -> str:
    return str(value) if type(value) is int else f"{value.numerator}/{value.denominator}"


def evaluate(tree: Tree, integer_only: bool) -> Value:
    """The exact value of `tree` under the rules; RuleError naming the first broken step."""
    if tree[0] == "n":
        return tree[1]
    op, left, right = tree
    a, b = evaluate(left, integer_only), evaluate(right, integer_only)
    value = apply(op, a, b, integer_only)
    if value is None:
        step = f"{render_value(a)} / {render_value(b)}"
        if b == 0:
            raise RuleError(f"divides by zero ({render(right)} is 0)")
        raise RuleError(f"{step} is not an integer ({render(tree)}); intermediate values must be integers")
    return value


# ---------------------------------------------------------------- canonical forms


def canonical(tree: Tree) -> Form:
    """The canonical form of a tree (see the module docstring): flatten, then sort."""
    op = tree[0]
    if op == "n":
        return tree
    if op in "+-":
        plus: list[Form] = []
        minus: list[Form] = []
        _collect(tree, True, "+-", plus, minus)
        return ("+", tuple(sorted(plus)), tuple(sorted(minus)))
    times: list[Form] = []
    over: list[Form] = []
    _collect(tree, True, "*/", times, over)
    return ("*", tuple(sorted(times)), tuple(sorted(over)))


def _collect(tree: Tree, positive: bool, ops: str, pos: list[Form], neg: list[Form]) -> None:
    if tree[0] in ops:
        inverse = "-" if ops == "+-" else "/"
        _collect(tree[1], positive, ops, pos, neg)
        _collect(tree[2], positive != (tree[0] == inverse), ops, pos, neg)
    else:
        (pos if positive else neg).append(canonical(tree))


def combine(op: str, x: Form, y: Form) -> Form:
    """The canonical form of `x op y` from the forms of `x` and `y` (incremental, for the solver)."""
    kind = "+" if op in "+-" else "*"
    xp, xn = (x[1], x[2]) if x[0] == kind else ((x,), ())
    yp, yn = (y[1], y[2]) if y[0] == kind else ((y,), ())
    if op in "+*":
        return (kind, tuple(sorted(xp + yp)), tuple(sorted(xn + yn)))
    return (kind, tuple(sorted(xp + yn)), tuple(sorted(xn + yp)))


def form_leaves(form: Form) -> list[int]:
    """The numbers a canonical form uses."""
    if form[0] == "n":
        return [form[1]]
    return [v for part in (form[1], form[2]) for child in part for v in form_leaves(child)]


def form_tree(form: Form) -> Tree:
    """An expression tree with this canonical form, valid whenever any tree of the form is:
    added terms first, then subtracted ones; `(multiplied) / (divided)` in one division."""
    if form[0] == "n":
        return form
    kind, first, second = form
    inverse = "-" if kind == "+" else "/"
    tree = form_tree(first[0])
    for child in first[1:]:
        tree = (kind, tree, form_tree(child))
    if not second:
        return tree
    if kind == "+":
        for child in second:
            tree = ("-", tree, form_tree(child))
        return tree
    divisor = form_tree(second[0])
    for child in second[1:]:
        divisor = ("*", divisor, form_tree(child))
    return (inverse, tree, divisor)


_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


def render(tree: Tree, *, times: str = "*", divide: str = "/") -> str:
    """The tree as text with just the parentheses that keep its shape (left-associative)."""
    if tree[0] == "n":
        return str(tree[1])
    op, left, right = tree
    level = _PRECEDENCE[op]
    a = render(left, times=times, divide=divide)
    b = render(right, times=times, divide=divide)
    if left[0] != "n" and _PRECEDENCE[left[0]] < level:
        a = f"({a})"
    if right[0] != "n" and _PRECEDENCE[right[0]] <= level:
        b = f"({b})"
    shown = {"*": times, "/": divide}.get(op, op)
    return f"{a} {shown} {b}"


def render_form(form: Form) -> str:
    return render(form_tree(form))


# ---------------------------------------------------------------- parts


def _split_key(a: Sequence[int], b: Sequence[int]) -> tuple:
    a, b = tuple(sorted(a)), tuple(sorted(b))
    return (a, b) if a <= b else (b, a)


def sub_multisets(numbers: Sequence[int]) -> list[tuple[int, ...]]:
    """The distinct non-empty sub-multisets of `numbers`, as sorted tuples, sorted."""
    values = sorted(numbers)
    out = {
        tuple(values[i] for i in range(len(values)) if mask >> i & 1) for mask in range(1, 1 << len(values))
    }
    return sorted(out, key=lambda t: (len(t), t))


def part_keys(numbers: Sequence[int], rule: str) -> list[tuple]:
    """Every (used multiset, split) part key of the problem, sorted (see the module docstring).

    A split is the sorted pair of sub-multisets the root divides the used numbers into; a lone
    number's split is `()`.
    """
    used = [tuple(sorted(numbers))] if rule == "exactly-once" else sub_multisets(numbers)
    keys = []
    for multiset in used:
        if len(multiset) == 1:
            keys.append((multiset, ()))
            continue
        splits = set()
        for size in range(1, len(multiset) // 2 + 1):
            for chosen in combinations(range(len(multiset)), size):
                rest = [multiset[i] for i in range(len(multiset)) if i not in chosen]
                splits.add(_split_key([multiset[i] for i in chosen], rest))
        keys += [(multiset, split) for split in sorted(splits)]
    return keys


def tree_part_key(tree: Tree) -> tuple:
    """The part key of one expression tree: its used multiset and its root split."""
    if tree[0] == "n":
        return ((tree[1],), ())
    return (tuple(sorted(leaves(tree))), _split_key(leaves(tree[1]), leaves(tree[2])))


def keys_of_part(keys: Sequence[tuple], part: int, of: int) -> list[tuple]:
    """The keys of part `part` (1-based) of `of`."""
    return [key for i, key in enumerate(keys) if i % of == part - 1]


# ---------------------------------------------------------------- the fast solver


#: Value sets of sub-multisets, shared by every search (integer rules, rational rules): they
#: depend on nothing else, and the forks of one run and the checks of their claims need the
#: same ones. Cleared when the sets would hold more than this many values in all (memory).
MAX_CACHED_VALUES = 1_000_000
_VALUES: dict[bool, dict[tuple, set]] = {True: {}, False: {}}
_CACHED = {"values": 0}


def clear_cache() -> None:
    """Forget the shared value sets (for cold-start measurements, and to bound memory)."""
    for cache in _VALUES.values():
        cache.clear()
    _CACHED["values"] = 0


class SubsetSearch:
    """Memoised subset search: for each sub-multiset of the numbers, the values it can make
    (`values`), and, goal-directed, the canonical forms that make a wanted value (`forms`).

    `forms(multiset, v)` tries each split of the multiset into two parts X (the smaller) and Y,
    each value x that X can make and each operation, solves for the value y that Y must make,
    and recurses on (Y, y): only (sub-multiset, value) pairs that can matter are expanded, and
    each is expanded once. Value sets are computed for sub-multisets of at most `value_limit`
    numbers and prune the recursion there. Memos are keyed by multiset, so repeated numbers
    share their work. Raises OutOfBudget when `budget` runs out.
    """

    def __init__(
        self,
        integer_only: bool,
        *,
        budget: SearchBudget | None = None,
        value_limit: int = 4,
        limit: int | None = None,
    ) -> None:
        self.integer_only = integer_only
        self.limit = limit
        self.budget = budget or SearchBudget(None)
        self.value_limit = value_limit
        self._values = _VALUES[integer_only]
        self._forms: dict[tuple, frozenset] = {}
        self._splits: dict[tuple, list] = {}

    def splits(self, multiset: tuple) -> list[tuple[tuple, tuple]]:
        """Distinct unordered splits (X, Y) of a sorted multiset, X no larger than Y."""
        known = self._splits.get(multiset)
        if known is not None:
            return known
        n = len(multiset)
        seen: set = set()
        for mask in range(1, 1 << n):
            if not mask & 1 or mask == (1 << n) - 1:
                continue
            a = tuple(multiset[i] for i in range(n) if mask >> i & 1)
            b = tuple(multiset[i] for i in range(n) if not mask >> i & 1)
            seen.add((a, b) if (len(a), a) <= (len(b), b) else (b, a))
        out = sorted(seen)
        self._splits[multiset] = out
        return out

    def values(self, multiset: tuple) -> set:
        """Every value the whole multiset makes (each number used once)."""
        known = self._values.get(multiset)
        if known is not None:
            return known
        if len(multiset) == 1:
            out = {multiset[0]}
        else:
            out = set()
            tick, integer_only = self.budget.tick, self.integer_only
            for xs, ys in self.splits(multiset):
                vy = self.values(ys)
                for x in self.values(xs):
                    tick()
                    for y in vy:
                        out.add(_norm(x + y))
                        out.add(_norm(x - y))
                        out.add(_norm(y - x))
                        out.add(_norm(x * y))
                        if y != 0 and (q := apply("/", x, y, integer_only)) is not None:
                            out.add(q)
                        if x != 0 and (q := apply("/", y, x, integer_only)) is not None:
                            out.add(q)
        if _CACHED["values"] + len(out) > MAX_CACHED_VALUES:
            clear_cache()
        _CACHED["values"] += len(out)
        self._values[multiset] = out
        return out

    def can_make(self, multiset: tuple, value: Value) -> bool:
        if len(multiset) <= self.value_limit:
            return value in self.values(multiset)
        return bool(self.forms(multiset, value))

    def forms(self, multiset: tuple, value: Value, *, splits: Iterable | None = None) -> frozenset:
        """Canonical forms of the valid expressions using all of `multiset` with this value: all
        of them, or, with a `limit`, at least `limit` of them when there are that many.

        `splits` restricts the root's split (for searching one part); such calls are not memoised.
        Why a limit is exact: expansion stops only once `limit` forms are found, and `combine`
        is one-to-one in each argument, so a truncated operand list (which has `limit` forms)
        already yields `limit` distinct results; a result smaller than `limit` is therefore
        complete.
        """
        if splits is None:
            key = (multiset, value)
            known = self._forms.get(key)
            if known is not None:
                return known
        if len(multiset) == 1:
            out = frozenset([("n", multiset[0])]) if multiset[0] == value else frozenset()
        elif len(multiset) <= self.value_limit and value not in self.values(multiset):
            out = frozenset()
        else:
            found: set = set()
            for xs, ys in self.splits(multiset) if splits is None else splits:
                if self._combine_split(xs, ys, value, found):
                    break
            out = frozenset(found)
        if splits is None:
            self._forms[key] = out
        return out

    def _combine_split(self, xs: tuple, ys: tuple, v: Value, found: set) -> bool:
        """Add the forms with root split (xs, ys) to `found`; True once `found` reaches the limit."""
        integer_only, tick, limit = self.integer_only, self.budget.tick, self.limit
        for x in self.values(xs):
            tick()
            wants: list[tuple[str, bool, Value]] = [
                ("+", False, v - x),
                ("-", False, x - v),
                ("-", True, v + x),
            ]
            if x != 0:
                if (y := apply("/", v, x, integer_only)) is not None:
                    wants.append(("*", False, y))
                wants.append(("/", True, _norm(v * x)))
            if v != 0 and (y := apply("/", x, v, integer_only)) is not None and y != 0:
                wants.append(("/", False, y))
            if x == 0 and v == 0:  # 0 * y and 0 / y are 0 for every (nonzero) y
                for y in self.values(ys):
                    wants.append(("*", False, y))
                    if y != 0:
                        wants.append(("/", False, y))
            x_forms = None
            for op, swapped, y in wants:
                if len(ys) <= self.value_limit and y not in self.values(ys):
                    continue
                y_forms = self.forms(ys, _norm(y))
                if not y_forms:
                    continue
                if x_forms is None:
                    x_forms = self.forms(xs, x)
                for fx in x_forms:
                    for fy in y_forms:
                        tick()
                        found.add(combine(op, fy, fx) if swapped else combine(op, fx, fy))
                        if limit is not None and len(found) >= limit:
                            return True
        return False


def used_multisets(numbers: Sequence[int], rule: str) -> list[tuple[int, ...]]:
    return [tuple(sorted(numbers))] if rule == "exactly-once" else sub_multisets(numbers)


def solve(
    numbers: Sequence[int],
    target: int,
    *,
    rule: str,
    integer_only: bool,
    keys: Sequence[tuple] | None = None,
    limit: int | None = None,
    budget: SearchBudget | None = None,
    value_limit: int = 4,
) -> list[Form]:
    """Every distinct solution (canonical forms, sorted), optionally only those of part `keys`.

    With `limit`, the search stops once it has `limit` solutions: a list shorter than `limit`
    is then every solution (see `SubsetSearch.forms`). Raises OutOfBudget when `budget` runs out.
    """
    if limit is not None and limit < 1:
        raise ValueError("limit must be positive")
    search = SubsetSearch(integer_only, budget=budget, value_limit=value_limit, limit=limit)
    found: set = set()
    if keys is None:
        groups = [(multiset, None) for multiset in used_multisets(numbers, rule)]
    else:
        by_multiset: dict[tuple, list] = {}
        for multiset, split in keys:
            by_multiset.setdefault(multiset, []).append(split)
        groups = [
            (
                m,
                None
                if len(m) == 1
                else [(a, b) if (len(a), a) <= (len(b), b) else (b, a) for a, b in splits],
            )
            for m, splits in by_multiset.items()
        ]
    for multiset, splits in groups:
        found |= search.forms(multiset, target, splits=splits)
        if limit is not None and len(found) >= limit:
            break
    return sorted(found)


# ---------------------------------------------------------------- the plain search


def plain_search(
    numbers: Sequence[int],
    target: int,
    *,
    rule: str,
    integer_only: bool,
    budget: SearchBudget | None = None,
) -> dict[Form, set]:
    """Pick two items, combine them every way the rules allow, recurse: every solution's
    canonical form (by `canonical` of its tree, not the solver's `combine`), mapped to the part
    keys of the trees that reach it. Raises OutOfBudget.

    Kept simple and separate from the solver on purpose (it re-checks the solver's exhaustive
    claims): values are unreduced fractions `(numerator, denominator > 0)`, compared with the
    target by cross-multiplying, so no code is shared with `apply`.
    """
    budget = budget or SearchBudget(None)
    found: dict[Form, set] = {}
    recorded: set = set()
    exactly = rule == "exactly-once"

    def record(tree: Tree) -> None:
        if tree not in recorded:
            recorded.add(tree)
            found.setdefault(canonical(tree), set()).add(tree_part_key(tree))

    def go(items: list[tuple[int, int, Tree]]) -> None:
        budget.tick()
        if not exactly or len(items) == 1:
            for num, den, tree in items:
                if num == target * den:
                    record(tree)
        count = len(items)
        for i in range(count):
            for j in range(i + 1, count):
                a, b = items[i], items[j]
                if count == 2:  # the last step: nothing to recurse into
                    for num, den, tree in _pairs(a, b, integer_only):
                        if num == target * den:
                            record(tree)
                    continue
                rest = items[:i] + items[i + 1 : j] + items[j + 1 :]
                for item in _pairs(a, b, integer_only):
                    go([*rest, item])

    go([(v, 1, ("n", v)) for v in numbers])
    return found


def _pairs(a: tuple[int, int, Tree], b: tuple[int, int, Tree], integer_only: bool) -> Iterator[tuple]:
    """Every (numerator, denominator, tree) that combines items a and b under the rules."""
    an, ad, ta = a
    bn, bd, tb = b
    low, high = (ta, tb) if ta <= tb else (tb, ta)  # commutative results in one order only
    yield an * bd + bn * ad, ad * bd, ("+", low, high)
    yield an * bn, ad * bd, ("*", low, high)
    yield an * bd - bn * ad, ad * bd, ("-", ta, tb)
    yield bn * ad - an * bd, ad * bd, ("-", tb, ta)
    for (pn, pd, tp), (qn, qd, tq) in ((a, b), (b, a)):
        if qn == 0:
            continue
        num, den = pn * qd, pd * qn
        if den < 0:
            num, den = -num, -den
        if not integer_only:
            yield num, den, ("/", tp, tq)
        elif num % den == 0:
            yield num // den, 1, ("/", tp, tq)
