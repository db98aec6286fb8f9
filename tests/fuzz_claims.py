"""Random claims over the whole claim language and an independent truth oracle (for the
differential soundness fuzzer: tests/api/test_fuzz_soundness.py and bench/soundness_fuzz.py).

`claims()` draws claims with every function, pi and e, nested definedness (`x > 0 -> ln(x) ...`),
connectives, finite-set membership, and a quantifier prefix over `Int` and `Real` variables (or
free variables). `audit(claim, verdict)` says whether a verdict is unsound: a `proved` claim
must not fail at any sample point (of each variable's sort), a `refuted` one must carry a
certificate that re-checks and whose point does not satisfy the claim. The oracle evaluates
exactly (`proofs.exact`) where it can and otherwise with mpmath at 50 digits, deciding a
comparison or a domain condition only with a wide margin; anything closer is "uncertain" and
that point is skipped, so the oracle never invents a counterexample.
"""

from __future__ import annotations

import functools
import itertools
from fractions import Fraction

import mpmath
from hypothesis import strategies as st

from proofs.check import check_certificate
from proofs.claims import (
    BinOp,
    BoolConst,
    Call,
    Compare,
    Connective,
    Const,
    Expr,
    Formula,
    Member,
    Neg,
    Not,
    Num,
    Quantified,
    Var,
    to_text,
)
from proofs.exact import NotExact, TooLarge, Undefined, parse_fraction, truth
from proofs.smtlib import split_prefix
from proofs.verdict import Status, Verdict

REAL_POINTS = tuple(
    Fraction(p)
    for p in ("0", "1", "-1", "2", "-2", "1/2", "-1/2", "3", "-3", "1/3", "7/3", "-5/2", "10", "1/10")
)
INT_POINTS = tuple(Fraction(p) for p in ("0", "1", "-1", "2", "-2", "3", "-3", "5", "10"))
#: Most sample points per claim.
MAX_POINTS = 200

TRUE, FALSE, UNDEFINED, UNCERTAIN = "true", "false", "undefined", "uncertain"

_CTX = mpmath.MPContext()
_CTX.dps = 50
#: Numbers closer than this (relative) are not told apart; values beyond BIG are not pursued.
EPS = _CTX.mpf("1e-30")
BIG = _CTX.mpf("1e60")


class _Uncertain(Exception):
    pass


class _Undef(Exception):
    pass


# ------------------------------------------------------------------ strategies

UNARY = ("sqrt", "abs", "floor", "ceil", "factorial", "exp", "ln", "log", "sin", "cos", "tan")
BINARY = ("min", "max", "gcd", "lcm", "mod", "binomial", "log")  # `mod` also as the operator


@functools.cache
def _leaves(names: tuple[str, ...]) -> st.SearchStrategy[Expr]:
    numbers = st.one_of(
        st.integers(-3, 5).map(lambda n: Num(Fraction(n)) if n >= 0 else Neg(Num(Fraction(-n)))),
        st.sampled_from([Num(Fraction(1, 2)), Num(Fraction(3, 2))]),
    )
    options = [numbers, st.sampled_from([Const("pi"), Const("e")])]
    if names:
        options.insert(0, st.sampled_from([Var(n) for n in names]))
    return st.one_of(*options)


@functools.cache
def expressions(names: tuple[str, ...]) -> st.SearchStrategy[Expr]:
    """Expressions over `names` with every operator and function of the claim language."""
    return st.recursive(
        _leaves(names),
        lambda inner: st.one_of(
            st.tuples(st.sampled_from(["+", "-", "*", "/", "mod"]), inner, inner).map(lambda t: BinOp(*t)),
            st.tuples(
                inner,
                st.sampled_from([Fraction(2), Fraction(3), Fraction(1, 2), Fraction(1, 3), Fraction(0)]),
            ).map(lambda t: BinOp("^", t[0], Num(t[1]))),
            inner.map(lambda base: BinOp("^", base, Neg(Num(Fraction(1))))),
            st.tuples(inner, inner).map(lambda t: BinOp("^", t[0], t[1])),
            inner.map(Neg),
            st.tuples(st.sampled_from(UNARY), inner).map(lambda t: Call(t[0], (t[1],))),
            st.tuples(st.sampled_from(BINARY), inner, inner).map(lambda t: Call(t[0], (t[1], t[2]))),
            st.tuples(inner, st.sampled_from([2, 3])).map(
                lambda t: Call("root", (t[0], Num(Fraction(t[1]))))
            ),
        ),
        max_leaves=5,
    )


@functools.cache
def _atoms(names: tuple[str, ...]) -> st.SearchStrategy[Formula]:
    expr = expressions(names)
    ops = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
    return st.one_of(
        st.tuples(ops, expr, expr).map(lambda t: Compare((t[0],), (t[1], t[2]))),
        st.tuples(ops, ops, expr, expr, expr).map(lambda t: Compare((t[0], t[1]), (t[2], t[3], t[4]))),
        st.tuples(expr, st.lists(expr, min_size=1, max_size=3)).map(lambda t: Member(t[0], tuple(t[1]))),
        st.sampled_from([BoolConst(True), BoolConst(False)]),
    )


@functools.cache
def formulas(names: tuple[str, ...]) -> st.SearchStrategy[Formula]:
    """Quantifier-free formulas; `->` with a guard on the left gives nested definedness."""
    return st.recursive(
        _atoms(names),
        lambda inner: st.one_of(
            inner.map(Not),
            st.tuples(st.sampled_from(["and", "or", "->", "<->"]), inner, inner).map(
                lambda t: Connective(*t)
            ),
        ),
        max_leaves=3,
    )


@st.composite
def claims(draw: st.DrawFn) -> Formula:
    """A claim: a formula under a prefix of `forall` (or `exists`) blocks over Int and Real
    variables, or over free (real) variables."""
    shape = draw(st.sampled_from(["free", "forall", "exists", "closed"]))
    if shape == "closed":
        return draw(formulas(()))
    blocks = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["Int", "Real"]), st.sampled_from([("x",), ("n",), ("x", "y"), ("m", "n")])
            ),
            min_size=1,
            max_size=2,
            unique_by=lambda b: b[1],
        )
    )
    seen: set[str] = set()
    blocks = [(sort, tuple(n for n in names if n not in seen and not seen.add(n))) for sort, names in blocks]
    blocks = [b for b in blocks if b[1]]
    names = tuple(n for _, block in blocks for n in block)
    body = draw(formulas(names))
    if shape == "free":
        return body
    for sort, block in reversed(blocks):
        body = Quantified(shape, block, sort, body)
    return body


# ------------------------------------------------------------------ the oracle


def _mp(value: Fraction):
    return _CTX.mpf(value.numerator) / value.denominator


def _guard(value):
    if not _CTX.isfinite(value) or abs(value) > BIG:
        raise _Uncertain("too large")
    return value


def _sign(value) -> int:
    """-1, 0 or 1, raising _Uncertain when the value is too close to zero to tell."""
    if value == 0:
        return 0
    if abs(value) <= EPS:
        raise _Uncertain("too close to zero")
    return 1 if value > 0 else -1


def _integer(value) -> int | None:
    """The integer `value` certainly is, None if it certainly is not one (else _Uncertain)."""
    nearest = _CTX.nint(value)
    if value == nearest:
        return int(nearest)
    if abs(value - nearest) <= EPS * max(1, abs(value)):
        raise _Uncertain("too close to an integer")
    return None


def _value(expr: Expr, env: dict[str, Fraction]):
    """mpmath value of `expr` under the project's semantics (raises _Undef / _Uncertain)."""
    match expr:
        case Num(value):
            return _mp(value)
        case Var(name):
            return _mp(env[name])
        case Const("pi"):
            return +_CTX.pi
        case Const("e"):
            return _CTX.e + 0
        case Const():
            raise _Uncertain("constant")
        case Neg(arg):
            return -_value(arg, env)
        case BinOp(op, left, right):
            a, b = _value(left, env), _value(right, env)
            if op == "+":
                return _guard(a + b)
            if op == "-":
                return _guard(a - b)
            if op == "*":
                return _guard(a * b)
            if op in ("/", "mod"):
                if _sign(b) == 0:
                    raise _Undef("division by zero")
                if op == "/":
                    return _guard(a / b)
                q = a / b
                _integer(q)  # a quotient too close to an integer has an uncertain floor
                return _guard(a - b * _CTX.floor(q))
            return _power(a, b)
        case Call(func, args):
            return _call(func, [_value(a, env) for a in args])
    raise _Uncertain(f"no rule for {expr!r}")


def _power(a, b):
    n = _integer(b)
    if n is not None:
        if abs(n) > 200:
            raise _Uncertain("large exponent")
        if _sign(a) == 0:
            if n < 0:
                raise _Undef("zero to a negative power")
            return _CTX.mpf(1 if n == 0 else 0)
        return _guard(a**n)
    if _sign(a) <= 0:
        raise _Uncertain("non-integer power of a non-positive base")
    return _guard(_CTX.exp(b * _CTX.log(a)))


def _call(func: str, v: list):
    x = v[0]
    match func:
        case "sqrt":
            if _sign(x) < 0:
                raise _Undef("sqrt of a negative number")
            return _CTX.sqrt(x)
        case "root":
            k = _integer(v[1])
            if k is None or k < 1:
                raise _Undef("root degree")
            if _sign(x) < 0:
                if k % 2 == 0:
                    raise _Undef("even root of a negative number")
                raise _Uncertain("odd root of a negative number")
            return _CTX.root(x, k)
        case "abs":
            return abs(x)
        case "min":
            return min(v)
        case "max":
            return max(v)
        case "floor" | "ceil":
            n = _integer(x)
            if n is not None:
                return _CTX.mpf(n)
            return _CTX.floor(x) if func == "floor" else _CTX.ceil(x)
        case "exp":
            if x > 140:
                raise _Uncertain("exp overflow")
            return _CTX.exp(x)
        case "ln" | "log":
            if _sign(x) <= 0:
                raise _Undef("log of a non-positive number")
            if len(v) == 1:
                return _CTX.log(x)
            if _sign(v[1]) <= 0 or _sign(v[1] - 1) == 0:
                raise _Undef("log base")
            return _CTX.log(x) / _CTX.log(v[1])
        case "sin":
            return _CTX.sin(x)
        case "cos":
            return _CTX.cos(x)
        case "tan":
            if _sign(_CTX.cos(x)) == 0:
                raise _Undef("tan at a pole")
            return _guard(_CTX.tan(x))
        case "factorial":
            n = _integer(x)
            if n is None or n < 0:
                raise _Undef("factorial needs a natural number")
            if n > 100:
                raise _Uncertain("large factorial")
            return _CTX.factorial(n)
    raise _Uncertain(f"{func} of irrational arguments")  # gcd, lcm, binomial: integers only


_LINK = {
    "=": lambda s: s == 0,
    "!=": lambda s: s != 0,
    "<": lambda s: s < 0,
    "<=": lambda s: s <= 0,
    ">": lambda s: s > 0,
    ">=": lambda s: s >= 0,
}


def _difference_sign(a, b) -> int:
    if a == b:
        return 0
    if abs(a - b) <= EPS * max(1, abs(a), abs(b)):
        raise _Uncertain("too close to compare")
    return 1 if a > b else -1


def _atom(formula: Formula, env: dict[str, Fraction]) -> str:
    terms = formula.terms if isinstance(formula, Compare) else (formula.elem, *formula.options)
    values, uncertain = [], False
    for term in terms:
        try:
            values.append(_value(term, env))
        except _Undef:
            return UNDEFINED
        except (_Uncertain, ValueError, ZeroDivisionError, OverflowError):
            values.append(None)
            uncertain = True
    if uncertain:
        return UNCERTAIN
    try:
        if isinstance(formula, Compare):
            ok = all(_LINK[op](_difference_sign(a, b)) for op, a, b in zip(formula.ops, values, values[1:]))
        else:
            ok = any(_difference_sign(values[0], o) == 0 for o in values[1:])
    except _Uncertain:
        return UNCERTAIN
    return TRUE if ok else FALSE


def _numeric(formula: Formula, env: dict[str, Fraction]) -> str:
    """TRUE, FALSE, UNDEFINED or UNCERTAIN, with the short-circuit semantics of `proofs.exact`."""
    match formula:
        case BoolConst(value):
            return TRUE if value else FALSE
        case Compare() | Member():
            return _atom(formula, env)
        case Not(arg):
            inner = _numeric(arg, env)
            return {TRUE: FALSE, FALSE: TRUE}.get(inner, inner)
        case Connective(op, left, right):
            a = _numeric(left, env)
            if a in (UNDEFINED, UNCERTAIN):
                return a
            if (op, a) in (("and", FALSE), ("->", FALSE), ("or", TRUE)):
                return FALSE if op == "and" else TRUE
            b = _numeric(right, env)
            if op != "<->" or b in (UNDEFINED, UNCERTAIN):
                return b
            return TRUE if a == b else FALSE
    return UNCERTAIN


def oracle(body: Formula, env: dict[str, Fraction]) -> str:
    """The truth of a quantifier-free `body` at `env`: exactly when possible, else by mpmath."""
    try:
        return TRUE if truth(body, env) else FALSE
    except Undefined:
        return UNDEFINED
    except (NotExact, TooLarge):
        pass
    try:
        return _numeric(body, env)
    except (_Uncertain, ValueError, ZeroDivisionError, OverflowError):
        return UNCERTAIN


def sample_points(variables: dict[str, str]):
    """Points respecting each variable's sort (at most MAX_POINTS)."""
    names = sorted(variables)
    axes = [INT_POINTS if variables[n] == "Int" else REAL_POINTS for n in names]
    for point in itertools.islice(itertools.product(*axes), MAX_POINTS):
        yield dict(zip(names, point))


def _exact_assignment(raw) -> dict[str, Fraction] | None:
    try:
        return {str(k): parse_fraction(str(v)) for k, v in (raw or {}).items()}
    except (ValueError, ZeroDivisionError):
        return None


def audit(formula: Formula, verdict: Verdict) -> str | None:
    """Why `verdict` on `formula` is unsound, or None when no evidence of that was found."""
    if verdict.status not in (Status.PROVED, Status.REFUTED):
        return None
    mode, variables, body = split_prefix(formula)
    if any(isinstance(node, Quantified) for node in _formulas(body)):
        return None  # nested quantifiers: no finite oracle
    if verdict.certificate is not None:
        report = check_certificate(verdict.certificate, use_cvc5=False)
        if not report.ok:
            return f"certificate does not re-check: {report.message}"
    bad = {TRUE: "holds", FALSE: "fails", UNDEFINED: "is undefined"}
    cert = verdict.certificate or {}
    point = _exact_assignment(cert.get("assignment")) if "assignment" in cert else None
    if point is not None and set(point) != set(variables) and cert.get("kind") != "smt":
        return f"the point {point} does not assign exactly the variables {sorted(variables)}"
    if point is not None and set(point) == set(variables):
        if any(variables[n] == "Int" and v.denominator != 1 for n, v in point.items()):
            return f"the point {point} does not respect the sorts {variables}"
        outcome = oracle(body, point)
        witness_fails = (
            mode == "witness" and verdict.status is Status.PROVED and outcome in (FALSE, UNDEFINED)
        )
        if witness_fails or (mode == "validity" and verdict.status is Status.REFUTED and outcome == TRUE):
            return f"at its own point {point} the claim {bad[outcome]}"
    if mode == "validity" and verdict.status is Status.PROVED:
        for env in sample_points(variables):
            outcome = oracle(body, env)
            if outcome in (FALSE, UNDEFINED):
                return f"proved, but at {env} the claim {bad[outcome]}"
    if mode == "witness" and verdict.status is Status.REFUTED:
        for env in sample_points(variables):
            if oracle(body, env) == TRUE:
                return f"refuted, but {env} is a witness"
    if not variables and verdict.status is Status.REFUTED and oracle(body, {}) == TRUE:
        return "refuted, but the closed claim holds"
    return None


def _formulas(formula: Formula):
    yield formula
    match formula:
        case Not(arg):
            yield from _formulas(arg)
        case Connective(_, left, right):
            yield from _formulas(left)
            yield from _formulas(right)
        case Quantified(body=body):
            yield from _formulas(body)


__all__ = ["audit", "claims", "expressions", "formulas", "oracle", "sample_points", "to_text"]
