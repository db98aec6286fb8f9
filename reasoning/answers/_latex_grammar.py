"""Stage 2 of `parse_answer` (`reasoning.answers._latex`): the LaTeX answer grammar and its transformer.

The LALR grammar `grammars/latex.lark` is compiled once (`_parser`); its transformer `_ToAnswer`
builds the answer while parsing (no parse tree, no recursion), so hostile nesting costs a
pre-check, not a RecursionError. Well-formed LaTeX that the answer language does not cover
raises `_Unsupported`, which `parse_answer` reports as a ParseFailure. `a \\pm b` stays a
`_PlusMinus` node while parsing and is expanded into its values afterwards (`expand_answer`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from functools import lru_cache

from lark import Lark, Token, Transformer

from grammars import grammar_text
from proofs.claims import BinOp, Call, Const, Expr, Neg, Num, Var, children
from proofs.exact import NotExact, TooLarge, Undefined, evaluate, integer_root
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
    TupleAnswer,
    answer_expressions,
    ends_in_order,
)

# ------------------------------------------------------------------ stage 2: grammar


class _Unsupported(Exception):
    """Well-formed LaTeX that this answer language does not cover (reported as a ParseFailure)."""

    def __init__(self, message: str, token: Token | None = None):
        super().__init__(message)
        self.column = getattr(token, "column", None) or 1


@dataclass(frozen=True, slots=True)
class _PlusMinus:
    """`a \\pm b` inside an expression; expanded into two values before anything else sees it."""

    left: Expr | None
    right: Expr


_ONE = Num(Fraction(1))


def _scalar(value) -> Scalar:
    if isinstance(value, Scalar):
        return value
    if isinstance(value, (TupleAnswer, FiniteSet, Interval, IntervalUnion)):
        raise _Unsupported(f"a {type(value).__name__} cannot be an element here")
    return Scalar(value)


def _is_inf(expr: Expr, sign: int) -> bool:
    if sign > 0:
        return expr == Const("inf")
    return isinstance(expr, Neg) and expr.arg == Const("inf")


def _interval(lo: Scalar, hi: Scalar, lo_closed: bool, hi_closed: bool) -> Interval:
    if lo.mark or hi.mark:
        raise _Unsupported("interval ends cannot carry % or degrees")
    lo_expr: Expr | None = lo.expr
    hi_expr: Expr | None = hi.expr
    if _is_inf(lo.expr, -1):
        lo_expr, lo_closed = None, False
    if _is_inf(hi.expr, 1):
        hi_expr, hi_closed = None, False
    for end in (lo_expr, hi_expr):
        if end is not None and _mentions_infinity(end):
            raise _Unsupported("infinity can only be an interval's lower (-) or upper (+) end")
    if (
        lo_expr is not None
        and hi_expr is not None
        and ends_in_order(lo_expr, hi_expr, lo_closed and hi_closed) is False
    ):
        raise _ReversedEnds("reversed ends are not an interval")
    return Interval(lo_expr, hi_expr, lo_closed, hi_closed)


class _ReversedEnds(_Unsupported):
    """An interval whose ends are reversed (or equal, with an open end): not an interval."""


def _mentions_infinity(expr: Expr) -> bool:
    stack = [expr]
    while stack:
        node = stack.pop()
        if node == Const("inf"):
            return True
        stack.extend(children(node))
    return False


def _as_interval(piece) -> Interval:
    match piece:
        case Interval():
            return piece
        case TupleAnswer(items, "(") if len(items) == 2:
            return _interval(items[0], items[1], False, False)
        case FiniteSet((item,), True):
            return _interval(item, item, True, True)
        case IntervalUnion():
            raise AssertionError("unions are flattened by the caller")
    raise _Unsupported(f"a {type(piece).__name__} cannot be part of a union of intervals")


_FUNC_NAMES = {"sin": "sin", "cos": "cos", "tan": "tan", "ln": "ln", "exp": "exp"}
_RECIPROCAL = {"cot": "tan", "sec": "cos", "csc": "sin"}
_RELATIONS = {"=": "=", "<": "<", ">": ">", "\\lt": "<", "\\gt": ">", "\\le": "<=", "\\ge": ">="}
_RELATIONS.update({"\\leq": "<=", "\\geq": ">=", "\\ne": "!=", "\\neq": "!=", "\\in": "in"})


def _exact(expr: Expr) -> Fraction | None:
    try:
        return evaluate(expr)
    except (NotExact, TooLarge, Undefined):
        return None


_HALF_PI = BinOp("/", Const("pi"), Num(Fraction(2)))
_QUARTER_PI = BinOp("/", Const("pi"), Num(Fraction(4)))
#: Exact values of the functions the claim language lacks, at the rational points where they
#: are rational multiples of pi (or rational): anywhere else the answer is unsupported.
_SPECIAL_VALUES: dict[str, dict[Fraction, Expr]] = {
    "arcsin": {Fraction(0): Num(Fraction(0)), Fraction(1): _HALF_PI, Fraction(-1): Neg(_HALF_PI)},
    "arccos": {Fraction(1): Num(Fraction(0)), Fraction(0): _HALF_PI, Fraction(-1): Const("pi")},
    "arctan": {Fraction(0): Num(Fraction(0)), Fraction(1): _QUARTER_PI, Fraction(-1): Neg(_QUARTER_PI)},
    "sinh": {Fraction(0): Num(Fraction(0))},
    "cosh": {Fraction(0): Num(Fraction(1))},
    "tanh": {Fraction(0): Num(Fraction(0))},
}
for _half in (Fraction(1, 2), Fraction(-1, 2)):
    _sixth = BinOp("/", Const("pi"), Num(Fraction(6)))
    _SPECIAL_VALUES["arcsin"][_half] = _sixth if _half > 0 else Neg(_sixth)
    _SPECIAL_VALUES["arccos"][_half] = (
        BinOp("/", Const("pi"), Num(Fraction(3)))
        if _half > 0
        else BinOp("/", BinOp("*", Num(Fraction(2)), Const("pi")), Num(Fraction(3)))
    )


def _perfect_power(value: Fraction) -> tuple[int, int] | None:
    """(r, m) with value = r^m, r > 1 an integer that is not itself a perfect power, m >= 1."""
    if value.denominator != 1 or value.numerator < 2 or value.numerator.bit_length() > 4096:
        return None
    n = value.numerator
    for m in range(n.bit_length(), 0, -1):
        root = integer_root(n, m)
        if root is not None and root > 1:
            return root, m
    return None


def exact_log(arg: Expr, base: Expr) -> Expr | None:
    """`log_base(arg)` as an exact rational when there is one: `\\log_2 128` is 7, `\\log_4 8` is
    3/2, `\\log_b b^k` is k, `\\ln e^k` is k; None otherwise (the logarithm stays a call)."""
    b = _exact(base)
    if not (base == Const("e") or (b is not None and b > 0 and b != 1)):
        return None  # a variable base may be 1 or negative: the logarithm stays a call
    if arg == base:
        return _ONE
    if isinstance(arg, BinOp) and arg.op == "^" and arg.left == base:
        return arg.right
    if base == Const("e"):
        return None
    a = _exact(arg)
    if a is None or b is None or a <= 0 or b <= 0 or b == 1:
        return None
    if a == 1:
        return Num(Fraction(0))
    sign = 1
    if a < 1:
        a, sign = 1 / a, -1
    if b < 1:
        b, sign = 1 / b, -sign
    pa, pb = _perfect_power(a), _perfect_power(b)
    if pa is None or pb is None or pa[0] != pb[0]:
        return None
    value = Fraction(pa[1], pb[1]) * sign
    return Num(value) if value >= 0 else Neg(Num(-value))


def _log(arg: Expr, base: Expr) -> Expr:
    exact = exact_log(arg, base)
    return exact if exact is not None else Call("log", (arg, base))


def _apply(token: Token, arg: Expr, base: Expr | None = None) -> Expr:
    name = str(token)[1:]
    if name in _SPECIAL_VALUES and base is None:
        value = _exact(arg)
        if value is None or value not in _SPECIAL_VALUES[name]:
            raise _Unsupported(f"\\{name} is only read at exact special values", token)
        return _SPECIAL_VALUES[name][value]
    if base is not None:
        if name != "log":
            raise _Unsupported(f"\\{name} takes no subscript", token)
        return _log(arg, base)
    if name == "ln":
        exact = exact_log(arg, Const("e"))
        return exact if exact is not None else Call("ln", (arg,))
    if name in _FUNC_NAMES:
        return Call(_FUNC_NAMES[name], (arg,))
    if name == "log" or name == "lg":
        return _log(arg, Num(Fraction(10)))
    if name in _RECIPROCAL:
        return BinOp("/", _ONE, Call(_RECIPROCAL[name], (arg,)))
    raise _Unsupported(f"the function \\{name} is not supported", token)


_TRIG = frozenset({"sin", "cos", "tan"})


def _has_function(expr: Expr) -> bool:
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Call) and node.func in _FUNC_NAMES:
            return True
        stack.extend(children(node))
    return False


def _degrees_in_argument(expr: Expr) -> Expr | None:
    """`\\cos 60^\\circ`, `2\\sin 30^\\circ`: the degree sign ends the argument of the last function,
    so that argument is in degrees (cos(60 pi/180)); None when no function precedes the sign (`90^\\circ`
    is an angle). A function elsewhere (`\\sin 30 \\cos 60^\\circ`, `\\ln 5^\\circ`) is unsupported:
    reading the sign as a mark on the whole value would compare cos(60 radians) (issue 12)."""
    match expr:
        case Call(func, (arg,)) if func in _TRIG and not _has_function(arg):
            return Call(func, (BinOp("/", BinOp("*", arg, Const("pi")), Num(Fraction(180))),))
        case BinOp("/", Num() as one, Call() as call) if one == _ONE and (
            inside := _degrees_in_argument(call)
        ):
            return BinOp("/", one, inside)
        case BinOp("*", left, right) if not _has_function(left) and (inside := _degrees_in_argument(right)):
            return BinOp("*", left, inside)
        case Neg(arg) if (inside := _degrees_in_argument(arg)) is not None:
            return Neg(inside)
    if _has_function(expr):
        raise _Unsupported("a degree sign after a function: write the argument as \\cos(60^\\circ)")
    return None


class _ToAnswer(Transformer):
    """Callbacks named after grammar rules; each builds one expression or answer piece."""

    # ---------------------------------------------------------- expressions
    def number(self, items):
        return Num(Fraction(str(items[0])))

    def name(self, items):
        text = str(items[0])
        base, _, sub = text.partition("_")
        if base == "e" and not sub:
            return Const("e")
        if base == "i" and not sub:
            return Const("i")
        base = base.lstrip("\\")  # `\alpha` is the variable alpha
        sub = sub.strip("{}")
        return Var(f"{base}_{sub}" if sub else base)

    def constant(self, items):
        return Const("pi" if str(items[0]) == "\\pi" else "inf")

    def add(self, items):
        return BinOp("+", items[0], items[1])

    def sub(self, items):
        return BinOp("-", items[0], items[1])

    def plus_minus(self, items):
        return _PlusMinus(items[0], items[2])

    def plus_minus_unary(self, items):
        return _PlusMinus(None, items[1])

    def mul(self, items):
        return BinOp("*", items[0], items[-1])

    def div(self, items):
        return BinOp("/", items[0], items[-1])

    def neg(self, items):
        return Neg(items[0])

    def pow(self, items):
        return BinOp("^", items[0], items[1])

    def factorial(self, items):
        return Call("factorial", (items[0],))

    def frac(self, items):
        return BinOp("/", items[1], items[2])

    def sqrt(self, items):
        return Call("sqrt", (items[1],))

    def root(self, items):
        return Call("root", (items[2], items[1]))

    def binom(self, items):
        return Call("binomial", (items[1], items[2]))

    def abs_(self, items):
        return Call("abs", (items[1],))

    def floor(self, items):
        return Call("floor", (items[1],))

    def ceil(self, items):
        return Call("ceil", (items[1],))

    def multi_call(self, items):
        token, args = items[0], tuple(items[1:])
        name = str(token)[1:]
        if name in ("gcd", "lcm") and len(args) != 2:
            raise _Unsupported(f"\\{name} takes 2 arguments, got {len(args)}", token)
        if name in ("floor", "ceil", "sgn", "sign") and len(args) != 1:
            raise _Unsupported(f"\\{name} takes 1 argument, got {len(args)}", token)
        if name in ("sgn", "sign"):  # the claim language has no sign function: exact arguments only
            value = _exact(args[0])
            if value is None:
                raise _Unsupported(f"\\{name} is only read at exact rational arguments", token)
            return Num(Fraction((value > 0) - (value < 0))) if value >= 0 else Neg(Num(Fraction(1)))
        return Call(name, args)

    def paren_arg(self, items):
        return items[0]

    def degree_arg(self, items):
        """`\\sin(30^\\circ)`: an argument in degrees."""
        return BinOp("/", BinOp("*", items[0], Const("pi")), Num(Fraction(180)))

    def func(self, items):
        return _apply(items[0], items[1])

    def func_power(self, items):
        token, exponent, arg = items
        if exponent == Neg(_ONE):
            raise _Unsupported(f"inverse functions ({token}^{{-1}}) are not supported", token)
        return BinOp("^", _apply(token, arg), exponent)

    def func_base(self, items):
        return _apply(items[0], items[2], items[1])

    def func_paren_power(self, items):
        return BinOp("^", _apply(items[0], items[1]), items[2])

    # ---------------------------------------------------------- answer pieces
    def percent(self, items):
        return Scalar(items[0], "%")

    def degrees(self, items):
        inside = _degrees_in_argument(items[0])
        return Scalar(items[0], "\u00b0") if inside is None else Scalar(inside)

    def set_(self, items):
        values = [v for v in items[1:-1] if v is not None]
        if values and all(isinstance(v, TupleAnswer) for v in values):
            return FiniteSet(tuple(values), True)  # `\{(1, 2), (3, 4)\}`
        return FiniteSet(tuple(_scalar(v) for v in values), True)

    def ratio(self, items):
        """`7:32` is the number 7/32 (a ratio is compared by its value)."""
        if isinstance(items[0], _PlusMinus) or isinstance(items[1], _PlusMinus):
            raise _Unsupported("\\pm in a ratio")
        return Scalar(BinOp("/", items[0], items[1]))

    def mrow(self, items):
        return tuple(_scalar(v) for v in items)

    def matrix(self, items):
        rows = tuple(r for r in items if isinstance(r, tuple))
        if len({len(r) for r in rows}) != 1:
            raise _Unsupported("matrix rows of different lengths", items[0])
        return Matrix(rows)

    def big_op(self, items):
        """`\\sum_{k=1}^{10} k^2`, `\\prod_{k=1}^{5} k`: expanded term by term (numeric bounds)."""
        token, name, relation, lo, hi, body = items
        # the bound name is a variable even when it is `i` or `e`
        bound = self.name([name])
        name = bound if isinstance(bound, Var) else Var(str(name))
        if str(relation) != "=":
            raise _Unsupported(f"{token} needs a bound variable: {token}_{{k=1}}^{{n}}", token)
        ends = [_exact(lo), _exact(hi)]
        if any(e is None or e.denominator != 1 for e in ends):
            raise _Unsupported(f"{token} is only read with integer bounds", token)
        first, last = int(ends[0]), int(ends[1])
        if last - first + 1 > MAX_BIG_OP_TERMS:
            raise _Unsupported(f"{token} with more than {MAX_BIG_OP_TERMS} terms", token)
        op = "+" if str(token) == "\\sum" else "*"
        if name.name in ("i", "e"):
            body = _substitute(body, "", Const(name.name), const=True)
        terms = [_substitute(body, name.name, Num(Fraction(k))) for k in range(first, last + 1)]
        if not terms:
            return Num(Fraction(0 if op == "+" else 1))
        while len(terms) > 1:  # a balanced tree keeps the depth logarithmic
            paired = [BinOp(op, a, b) for a, b in zip(terms[0::2], terms[1::2])]
            terms = paired + ([terms[-1]] if len(terms) % 2 else [])
        return terms[0]

    def paren_list(self, items):
        values = [v for v in items if not isinstance(v, Token)]
        scalars = tuple(_scalar(v) for v in values)
        if len(scalars) == 2 and any(_mentions_infinity(s.expr) for s in scalars):
            return _interval(scalars[0], scalars[1], False, False)
        return TupleAnswer(scalars, "(")

    def bracket_list(self, items):
        scalars = tuple(_scalar(v) for v in items)
        if len(scalars) == 2 and not any(s.mark for s in scalars):
            try:
                return _interval(scalars[0], scalars[1], True, True)
            except _ReversedEnds:
                pass  # `[5, 2]` is a list, not the empty set
        return TupleAnswer(scalars, "[")

    def open_closed(self, items):
        return _interval(_scalar(items[0]), _scalar(items[1]), False, True)

    def closed_open(self, items):
        return _interval(_scalar(items[0]), _scalar(items[1]), True, False)

    def empty(self, _):
        return FiniteSet((), True)

    def reals(self, _):
        return Interval(None, None, False, False)

    def union(self, items):
        left, right = items[0], items[2]
        parts = list(left.parts) if isinstance(left, IntervalUnion) else [_as_interval(left)]
        parts.append(_as_interval(right))
        return IntervalUnion(tuple(parts))

    def chain(self, items):
        terms = items[0::2]
        ops = [_RELATIONS[str(t)] for t in items[1::2]]
        return _relation(terms, ops, items[1])

    def entries(self, items):
        return _combine(items)


#: Most terms a `\\sum` or `\\prod` is expanded into.
MAX_BIG_OP_TERMS = 200


def _substitute(expr, name: str, value: Expr, const: bool = False):
    """`expr` with the variable `name` replaced by `value` (with `const`: the constant `value`
    becomes the variable of the same name, for a bound `i` or `e`)."""
    if const:
        return _map(expr, lambda node: Var(node.name) if node == value else node)
    return _map(expr, lambda node: value if isinstance(node, Var) and node.name == name else node)


def _map(expr, leaf):
    match expr:
        case Neg(arg):
            return Neg(_map(arg, leaf))
        case BinOp(op, left, right):
            return BinOp(op, _map(left, leaf), _map(right, leaf))
        case Call(func, args):
            return Call(func, tuple(_map(a, leaf) for a in args))
        case _PlusMinus():
            raise _Unsupported("\\pm inside \\sum or \\prod")
    return leaf(expr)


def _label(expr) -> str | None:
    """A name-like left side (`|AB|`, `AB`: a segment; `|z|`): the label of a value, or None."""
    inner = expr.args[0] if isinstance(expr, Call) and expr.func == "abs" else expr
    letters = []
    stack = [inner]
    while stack:
        node = stack.pop()
        if isinstance(node, BinOp) and node.op == "*":
            stack.extend((node.right, node.left))
        elif isinstance(node, Var) and len(node.name) == 1 and node.name.isupper():
            letters.append(node.name)
        else:
            letters = []
            break
    if len(letters) >= 2:
        return "".join(letters)  # `|AB|` and `AB` both name the segment AB
    if isinstance(expr, Call) and expr.func == "abs" and isinstance(inner, Var):
        return f"|{inner.name}|"
    return None


def _relation(terms: list, ops: list[str], token: Token):
    if ops == ["="]:
        lhs, rhs = terms
        if isinstance(lhs, TupleAnswer) and isinstance(rhs, TupleAnswer):
            return _labelled_tuple(lhs, rhs, token)
        label = _label(lhs) if _is_expr(lhs) else None
        if (
            label is not None
            and not isinstance(rhs, (TupleAnswer, FiniteSet))
            and not _names(_scalar(rhs).expr)
        ):
            return Assignment(label, _scalar(rhs))
        if isinstance(lhs, Var):
            if isinstance(rhs, (FiniteSet, TupleAnswer, Interval, IntervalUnion)):
                return Assignment(lhs.name, rhs)
            rhs = _scalar(rhs)
            if lhs.name not in _names(rhs.expr):
                return Assignment(lhs.name, rhs)
            return Equation(lhs, rhs.expr) if not rhs.mark else _fail_relation("=", token)
        if _is_expr(lhs) and _is_expr(rhs):
            return Equation(lhs, rhs)
        return _fail_relation("=", token)
    if ops == ["in"]:
        lhs, rhs = terms
        if isinstance(rhs, TupleAnswer) and len(rhs.items) == 2 and rhs.bracket == "(":
            rhs = _as_interval(rhs)
        if isinstance(lhs, Var) and isinstance(rhs, (FiniteSet, Interval, IntervalUnion)):
            return Assignment(lhs.name, rhs)
        return _fail_relation("\\in", token)
    return _inequality(terms, ops, token)


def _labelled_tuple(lhs: TupleAnswer, rhs: TupleAnswer, token: Token):
    """`(p, q, r) = (3, 2, 7)`: one assignment per name."""
    names = [item.expr.name if isinstance(item.expr, Var) and not item.mark else None for item in lhs.items]
    if None in names or len(set(names)) != len(names) or len(rhs.items) != len(names):
        _fail_relation("=", token)
    if any(set(names) & _names(item.expr) for item in rhs.items):
        _fail_relation("=", token)
    return System(tuple(Assignment(n, v) for n, v in zip(names, rhs.items)))


def _is_expr(value) -> bool:
    return isinstance(value, (Num, Var, Const, Neg, BinOp, Call, _PlusMinus))


def _fail_relation(op: str, token: Token):
    raise _Unsupported(f"unsupported use of {op}", token)


def _inequality(terms: list, ops: list[str], token: Token):
    """`x > 3`, `3 <= x`, `a < x <= b`, `x != 3` as an assignment of an interval (union)."""
    if not all(_is_expr(t) and not isinstance(t, _PlusMinus) for t in terms):
        _fail_relation(str(token), token)
    minus_inf, plus_inf = Scalar(Neg(Const("inf"))), Scalar(Const("inf"))
    flip = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "!=": "!="}
    terms = [_labelled_var(t) for t in terms]
    if len(terms) == 2:
        if isinstance(terms[0], Var) and terms[0].name not in _names(terms[1]):
            var, op, bound = terms[0], ops[0], Scalar(terms[1])
        elif isinstance(terms[1], Var) and terms[1].name not in _names(terms[0]):
            var, op, bound = terms[1], flip[ops[0]], Scalar(terms[0])
        else:
            _fail_relation(ops[0], token)
        if op == "!=":
            parts = (_interval(minus_inf, bound, False, False), _interval(bound, plus_inf, False, False))
            return Assignment(var.name, IntervalUnion(parts))
        if op in ("<", "<="):
            return Assignment(var.name, _interval(minus_inf, bound, False, op == "<="))
        return Assignment(var.name, _interval(bound, plus_inf, op == ">=", False))
    if len(terms) == 3 and isinstance(terms[1], Var):
        name, (lo, hi) = terms[1].name, (terms[0], terms[2])
        if ops[0] in (">", ">=") and ops[1] in (">", ">="):
            lo, hi, ops = hi, lo, [flip[ops[1]], flip[ops[0]]]
        if ops[0] in ("<", "<=") and ops[1] in ("<", "<=") and name not in _names(lo) | _names(hi):
            return Assignment(name, _interval(Scalar(lo), Scalar(hi), ops[0] == "<=", ops[1] == "<="))
    _fail_relation(" ".join(ops), token)


def _labelled_var(term):
    """`|z|` in `1 \\le |z| \\le 2` stands for a name (its label); other terms are kept."""
    label = _label(term) if isinstance(term, (Call, BinOp)) else None
    return Var(label) if label is not None else term


def _combine(entries: list):
    """A top-level comma list -> one answer (see the conventions in `reasoning.answers._latex`)."""
    if len(entries) == 1:
        entry = entries[0]
        return Scalar(entry) if _is_expr(entry) else entry
    if all(isinstance(e, TupleAnswer) and e.bracket == "(" for e in entries):
        return FiniteSet(tuple(entries), False)  # `(2, 2), (1, 3)`: several tuples
    first, rest = entries[0], entries[1:]
    if isinstance(first, Assignment) and isinstance(first.value, Scalar):
        if all(_is_expr(e) or isinstance(e, Scalar) for e in rest):
            return Assignment(first.name, FiniteSet((first.value, *(_scalar(e) for e in rest)), False))
        if all(isinstance(e, Assignment) and isinstance(e.value, Scalar) for e in entries):
            names = [e.name for e in entries]
            if len(set(names)) == 1:
                return Assignment(first.name, FiniteSet(tuple(e.value for e in entries), False))
            if len(set(names)) == len(names):
                return System(tuple(entries))
    if all(_is_expr(e) or isinstance(e, Scalar) for e in entries):
        return FiniteSet(tuple(_scalar(e) for e in entries), False)
    raise _Unsupported("unsupported comma-separated list (mix of kinds)")


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(
        grammar_text("latex"),
        parser="lalr",
        lexer="contextual",
        transformer=_ToAnswer(),
        propagate_positions=False,
        maybe_placeholders=True,
    )


# ------------------------------------------------------------------ \\pm expansion


def _expand(expr) -> list[Expr]:
    """All sign choices of the `\\pm` nodes in `expr` (depth is bounded before this runs)."""
    match expr:
        case _PlusMinus(left, right):
            rights = _expand(right)
            if left is None:
                return [r for r in rights] + [Neg(r) for r in rights]
            lefts = _expand(left)
            return [BinOp("+", a, b) for a in lefts for b in rights] + [
                BinOp("-", a, b) for a in lefts for b in rights
            ]
        case Neg(arg):
            return [Neg(a) for a in _expand(arg)]
        case BinOp(op, left, right):
            return [BinOp(op, a, b) for a in _expand(left) for b in _expand(right)]
        case Call(func, args):
            options: list[list[Expr]] = [[]]
            for arg in args:
                options = [done + [a] for done in options for a in _expand(arg)]
            return [Call(func, tuple(o)) for o in options]
    return [expr]


def _expand_scalars(items: tuple[Scalar, ...]) -> tuple[Scalar, ...]:
    out: list[Scalar] = []
    for item in items:
        out.extend(replace(item, expr=e) for e in dict.fromkeys(_expand(item.expr)))
    return tuple(out)


def expand_answer(answer: Answer) -> Answer:
    """Replace `a \\pm b` by the two values: a scalar becomes a bare list, a list grows."""
    match answer:
        case Scalar():
            items = _expand_scalars((answer,))
            return items[0] if len(items) == 1 else FiniteSet(items, False)
        case FiniteSet(items, braced) if all(isinstance(i, Scalar) for i in items):
            return FiniteSet(_expand_scalars(items), braced)
        case Assignment(name, value) if isinstance(value, (Scalar, FiniteSet)):
            return Assignment(name, expand_answer(value))
        case System(assignments):
            return System(tuple(expand_answer(a) for a in assignments))
    if any(isinstance(node, _PlusMinus) for e in answer_expressions(answer) for node in _nodes(e)):
        raise _Unsupported("\\pm is only supported in values, sets and assignments")
    return answer


def _children(node) -> tuple:
    if isinstance(node, _PlusMinus):
        return (node.right,) if node.left is None else (node.left, node.right)
    return children(node)


def _nodes(expr):
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(_children(node))


def _names(expr) -> frozenset[str]:
    return frozenset(node.name for node in _nodes(expr) if isinstance(node, Var))
