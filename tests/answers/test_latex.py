"""LaTeX answers: what each feature parses to, the fast paths, hostile input and round trips."""

import time
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from proofs.claims import BinOp, Call, Const, Expr, Neg, Num, Var, walk
from proofs.parsing import ParseFailure
from reasoning.answers._answers import ends_in_order
from reasoning.answers._latex import (
    MAX_INPUT_CHARS,
    Assignment,
    Equation,
    FiniteSet,
    Interval,
    IntervalUnion,
    Scalar,
    System,
    TextAnswer,
    TupleAnswer,
    _fast_list,
    _fast_number,
    _parse_normalised,
    normalise,
    parse_answer,
)


def n(value) -> Num:
    return Num(Fraction(value))


def s(expr: Expr, mark: str = "", unit: str = "") -> Scalar:
    return Scalar(expr, mark, unit)


HALF = BinOp("/", n(1), n(2))
X, Y = Var("x"), Var("y")
INF, MINUS_INF = Const("inf"), Neg(Const("inf"))

FEATURES = [
    # delimiters and \boxed
    (r"\boxed{3}", s(n(3))),
    (r"The answer is \boxed{4}.", s(n(4))),
    (r"first \boxed{1}, then \boxed{\frac{1}{2}}", s(HALF)),
    (r"\boxed{\boxed{7}}", s(n(7))),
    (r"\boxed 5", s(n(5))),
    ("$5$", s(n(5))),
    ("So $x$ is $6$.", s(n(6))),
    (r"\(6\)", s(n(6))),
    (r"\[6\]", s(n(6))),
    ("$$6$$", s(n(6))),
    # fractions and roots
    (r"\frac{1}{2}", s(HALF)),
    (r"\dfrac{1}{2}", s(HALF)),
    (r"\tfrac{1}{2}", s(HALF)),
    (r"\frac12", s(HALF)),
    (r"\frac1{2}", s(HALF)),
    (r"\frac{x}2", s(BinOp("/", X, n(2)))),
    (r"-\frac{1}{2}", s(Neg(HALF))),
    ("-1/2", s(BinOp("/", Neg(n(1)), n(2)))),
    (r"\sqrt{2}", s(Call("sqrt", (n(2),)))),
    (r"\sqrt2", s(Call("sqrt", (n(2),)))),
    (r"\sqrt 2", s(Call("sqrt", (n(2),)))),
    (r"\sqrt[3]{8}", s(Call("root", (n(8), n(3))))),
    (r"2\sqrt{3}", s(BinOp("*", n(2), Call("sqrt", (n(3),))))),
    # operators and powers
    (r"2 \cdot 3", s(BinOp("*", n(2), n(3)))),
    (r"2 \times 3", s(BinOp("*", n(2), n(3)))),
    (r"6 \div 3", s(BinOp("/", n(6), n(3)))),
    ("2*x", s(BinOp("*", n(2), X))),
    ("x^2", s(BinOp("^", X, n(2)))),
    ("x^{10}", s(BinOp("^", X, n(10)))),
    ("2^{-1}", s(BinOp("^", n(2), Neg(n(1))))),
    ("x^2y", s(BinOp("*", BinOp("^", X, n(2)), Y))),
    ("(x+1)(x-1)", s(BinOp("*", BinOp("+", X, n(1)), BinOp("-", X, n(1))))),
    ("5!", s(Call("factorial", (n(5),)))),
    (r"\binom{5}{2}", s(Call("binomial", (n(5), n(2))))),
    # names and constants
    ("x_1", s(Var("x_1"))),
    ("a_{12}", s(Var("a_12"))),
    (r"\alpha", s(Var("alpha"))),
    (r"\pi", s(Const("pi"))),
    ("e", s(Const("e"))),
    (r"\mathrm{e}", s(Const("e"))),
    ("i", s(Const("i"))),
    (r"\infty", s(INF)),
    (r"\pi/2", s(BinOp("/", Const("pi"), n(2)))),
    # delimiters and absolute values
    (r"\left( x+1 \right)^2", s(BinOp("^", BinOp("+", X, n(1)), n(2)))),
    (r"\left[ x \right]", s(X)),
    ("|x|", s(Call("abs", (X,)))),
    (r"\lvert -3 \rvert", s(Call("abs", (Neg(n(3)),)))),
    (r"\left| x \right|", s(Call("abs", (X,)))),
    (r"\lfloor 2.5 \rfloor", s(Call("floor", (n("2.5"),)))),
    # functions
    (r"\ln 2", s(Call("ln", (n(2),)))),
    (r"\log 100", s(n(2))),  # exact logarithms are folded while parsing
    (r"\log_2 8", s(n(3))),
    (r"\log_4 8", s(Num(Fraction(3, 2)))),
    (r"\log 7", s(Call("log", (n(7), n(10))))),
    (r"\log_2 6", s(Call("log", (n(6), n(2))))),
    (r"\ln e^{3}", s(n(3))),
    (r"\sin x", s(Call("sin", (X,)))),
    (r"\cos(2x)", s(Call("cos", (BinOp("*", n(2), X),)))),
    (r"\sin 2x \cos x", s(BinOp("*", Call("sin", (BinOp("*", n(2), X),)), Call("cos", (X,))))),
    (r"\sin^2 x", s(BinOp("^", Call("sin", (X,)), n(2)))),
    (r"\tan(x)^2", s(BinOp("^", Call("tan", (X,)), n(2)))),
    (r"\exp(1)", s(Call("exp", (n(1),)))),
    (r"\sec x", s(BinOp("/", n(1), Call("cos", (X,))))),
    (r"\gcd(4, 6)", s(Call("gcd", (n(4), n(6))))),
    # sets, tuples, intervals
    (r"\{1, 2\}", FiniteSet((s(n(1)), s(n(2))))),
    (r"\left\{1, 2\right\}", FiniteSet((s(n(1)), s(n(2))))),
    (r"\{\}", FiniteSet(())),
    (r"\emptyset", FiniteSet(())),
    ("(1, 2)", TupleAnswer((s(n(1)), s(n(2))))),
    ("[1, 2, 3]", TupleAnswer((s(n(1)), s(n(2)), s(n(3))), "[")),
    (r"\langle 1, 2 \rangle", TupleAnswer((s(n(1)), s(n(2))))),
    ("(a, b]", Interval(Var("a"), Var("b"), False, True)),
    ("[0, 1]", Interval(n(0), n(1), True, True)),
    (r"[0, \infty)", Interval(n(0), None, True, False)),
    (r"(-\infty, 3)", Interval(None, n(3), False, False)),
    (r"(-\infty, +\infty)", Interval(None, None, False, False)),
    (r"\mathbb{R}", Interval(None, None, False, False)),
    (
        r"(-\infty, 0) \cup [1, 2]",
        IntervalUnion((Interval(None, n(0), False, False), Interval(n(1), n(2), True, True))),
    ),
    (
        "(0, 1) U (2, 3)",
        IntervalUnion((Interval(n(0), n(1), False, False), Interval(n(2), n(3), False, False))),
    ),
    # equations, assignments, lists
    ("x = 5", Assignment("x", s(n(5)))),
    ("x=5", Assignment("x", s(n(5)))),
    ("y = 2x + 1", Assignment("y", s(BinOp("+", BinOp("*", n(2), X), n(1))))),
    ("2x - y = 1", Equation(BinOp("-", BinOp("*", n(2), X), Y), n(1))),
    ("x = x^2", Equation(X, BinOp("^", X, n(2)))),
    ("n=2,3,4", Assignment("n", FiniteSet((s(n(2)), s(n(3)), s(n(4))), False))),
    ("x = 2, 3", Assignment("x", FiniteSet((s(n(2)), s(n(3))), False))),
    ("x = 2 or x = 3", Assignment("x", FiniteSet((s(n(2)), s(n(3))), False))),
    (r"2 \text{ or } 3", FiniteSet((s(n(2)), s(n(3))), False)),
    ("2, 3", FiniteSet((s(n(2)), s(n(3))), False)),
    ("x = 1, y = 2", System((Assignment("x", s(n(1))), Assignment("y", s(n(2)))))),
    (r"x \in [0, 1)", Assignment("x", Interval(n(0), n(1), True, False))),
    (r"x \in (0, 1)", Assignment("x", Interval(n(0), n(1), False, False))),
    ("x > 3", Assignment("x", Interval(n(3), None, False, False))),
    (r"x \geq 3", Assignment("x", Interval(n(3), None, True, False))),
    ("3 < x", Assignment("x", Interval(n(3), None, False, False))),
    (r"-1 < x \le 3", Assignment("x", Interval(Neg(n(1)), n(3), False, True))),
    (
        r"x \neq 0",
        Assignment(
            "x", IntervalUnion((Interval(None, n(0), False, False), Interval(n(0), None, False, False)))
        ),
    ),
    ("f(x) = 2x", Assignment("f_x", s(BinOp("*", n(2), X)))),
    (r"3\frac{1}{2}", s(BinOp("+", n(3), HALF))),
    (r"-3\frac{1}{2}", s(Neg(BinOp("+", n(3), HALF)))),
    (r"3 \cdot \frac{1}{2}", s(BinOp("*", n(3), HALF))),
    (r"\pm 3", FiniteSet((s(n(3)), s(Neg(n(3)))), False)),
    (
        r"x = 1 \pm \sqrt{2}",
        Assignment(
            "x",
            FiniteSet(
                (s(BinOp("+", n(1), Call("sqrt", (n(2),)))), s(BinOp("-", n(1), Call("sqrt", (n(2),))))),
                False,
            ),
        ),
    ),
    # percent, degrees, units, separators
    (r"5\%", s(n(5), "%")),
    ("5%", s(n(5), "%")),
    (r"5^\circ", s(n(5), "\u00b0")),
    (r"5^{\circ}", s(n(5), "\u00b0")),
    ("5\u00b0", s(n(5), "\u00b0")),
    (r"\text{5 cm}", s(n(5), unit="cm")),
    (r"5\text{ cm}", s(n(5), unit="cm")),
    (r"5 \mathrm{cm}", s(n(5), unit="cm")),
    (r"5\text{ cm}^2", s(n(5), unit="cm^2")),
    ("12 inches", s(n(12), unit="inches")),
    (r"x = 5\text{ m}", Assignment("x", s(n(5), unit="m"))),
    (r"\$5", s(n(5), unit="dollars")),  # a currency sign is the unit dollars (issue 12)
    ("50\u00a2", s(n(50), unit="cents")),
    (r"\$5\text{ dollars}", s(n(5), unit="dollars")),
    (r"\$3, \$4", FiniteSet((s(n(3), unit="dollars"), s(n(4), unit="dollars")), False)),
    (r"\text{no solution}", TextAnswer("no solution")),
    ("1{,}000", s(n(1000))),
    ("1,000", s(n(1000))),
    ("12,345,678", s(n(12345678))),
    (r"1\,000", s(n(1000))),
    ("0.5", s(n("0.5"))),
    (".5", s(n("0.5"))),
    ("-3", s(Neg(n(3)))),
    ("1/2", s(HALF)),
    ("3.", s(n(3))),
    ("\u22123", s(Neg(n(3)))),
]


@pytest.mark.parametrize(("text", "expected"), FEATURES)
def test_features_parse_to_the_expected_answer(text, expected):
    assert parse_answer(text) == expected


THOUSANDS = [
    # The comma rule: thousands only at depth 0, 1-3 digits then groups of exactly 3, no space.
    ("1,000", s(n(1000))),
    ("10,000, 20,000", FiniteSet((s(n(10000)), s(n(20000))), False)),
    ("1,2", FiniteSet((s(n(1)), s(n(2))), False)),
    ("1, 000", FiniteSet((s(n(1)), s(n(0))), False)),
    ("10,20,30", FiniteSet((s(n(10)), s(n(20)), s(n(30))), False)),
    ("0,500", FiniteSet((s(n(0)), s(n(500))), False)),
    ("[0,100]", Interval(n(0), n(100), True, True)),
    # a group with a leading zero is never a list item (`000` is no numeral): thousands in brackets too
    ("(1,000)", s(n(1000))),
    ("(1,500)", TupleAnswer((s(n(1)), s(n(500))))),
    (r"\{1{,}000\}", FiniteSet((s(n(1000)),))),
]


@pytest.mark.parametrize(("text", "expected"), THOUSANDS)
def test_thousands_separator_rule(text, expected):
    assert parse_answer(text) == expected


FAILURES = [
    ("x = = 5", 5),
    (r"\frac{5}{", None),
    (r"\frac{}{}", 7),
    ("{5", None),
    ("5}", None),
    (r"\boxed{5", None),
    ("5 +", 4),
    ("???", 1),
    ("", None),
    ("$$", None),
    ("$5 + $", None),  # an incomplete sum; a lone `$5` is an amount (issue 12)
    ("\\", 1),
    ("3.5.5", 4),
    (r"\arcsin x", 1),
    (r"\sin^{-1} x", 1),
    (r"(\infty, 3)", None),
    ("(1, 2, 3]", None),
    (r"\left( 1, 2", None),
    (r"\foo{1}", 1),
    ("x = y = 1", None),
]


@pytest.mark.parametrize(("text", "column"), FAILURES)
def test_bad_answers_fail_with_a_position(text, column):
    failure = parse_answer(text)
    assert isinstance(failure, ParseFailure), failure
    assert failure.message
    if column is not None:
        assert failure.column == column, failure


def test_syntax_failures_name_expected_tokens_and_show_a_caret():
    failure = parse_answer("5 +")
    assert isinstance(failure, ParseFailure)
    assert "a number" in failure.expected and failure.found == "end of answer"
    assert failure.context.endswith("^")


HOSTILE = [
    "1" * (MAX_INPUT_CHARS + 1),
    "x" * 10_000_000,
    "1\x002",
    "{" * 100_000 + "1" + "}" * 100_000,
    r"\boxed{" + "{" * 100_000 + "1" + "}" * 100_000 + "}",
    "(" * 2000 + "1" + ")" * 2000,
    "(" * 70 + "1" + ")" * 70 + "+" + "(" * 70 + "1" + ")" * 70,
    "+".join(["1"] * 20_000),
    "-" * 1500 + "1",
    "1" + "^{1" * 500 + "}" * 500,
    "$" * 100_001,
    r"\pm 1 \pm 2 \pm 3 \pm 4 \pm 5",
    r"\frac" * 1000,
    "{" * 50_000,
    "}" * 50_000,
    r"\boxed{" * 10_000,
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_fails_fast_without_raising(text):
    start = time.perf_counter()
    result = parse_answer(text)
    assert time.perf_counter() - start < 1.0  # a hang detector, not a benchmark
    assert isinstance(result, ParseFailure), result


def test_nesting_within_the_limit_still_parses():
    assert parse_answer("(" * 60 + "1" + ")" * 60 + "+ 1") == s(BinOp("+", n(1), n(1)))


@pytest.mark.parametrize("value", [None, 5, b"5", ["5"]])
def test_non_strings_are_failures_not_exceptions(value):
    assert isinstance(parse_answer(value), ParseFailure)


def test_normalise_strips_spacing_and_sizing():
    text, units = normalise(r"\left(\displaystyle \dfrac{1}{2}\,\right)\!\!.")
    assert text == r"(  \frac{1}{2} )"
    assert units == ()


# ----------------------------------------------------------------------------- fast paths


def _number_texts():
    integer = st.integers(0, 10**30).map(str)
    decimal = st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)).map(lambda t: f"{t[0]}.{t[1]}")
    frac = st.tuples(st.integers(0, 999), st.integers(0, 999)).map(lambda t: rf"\frac{{{t[0]}}}{{{t[1]}}}")
    slash = st.tuples(st.integers(0, 999), st.integers(0, 999)).map(lambda t: f"{t[0]}/{t[1]}")
    infinity = st.just(r"\infty")
    body = st.one_of(integer, decimal, frac, slash, infinity)
    return st.tuples(st.sampled_from(["", "-", "+", " - "]), body, st.sampled_from(["", " "])).map("".join)


@settings(max_examples=300)
@given(
    st.lists(_number_texts(), min_size=1, max_size=4),
    st.sampled_from(["", r"\{", "(", "["]),
    st.sampled_from(["", r"\}", ")", "]"]),
)
def test_the_list_fast_path_agrees_with_the_grammar(items, opener, closer):
    text = opener + ",".join(items) + closer
    fast = _fast_list(text)
    slow = _parse_normalised(text, ())
    if fast is not None:
        assert fast == slow, text


@settings(max_examples=200)
@given(_number_texts())
def test_the_number_fast_path_agrees_with_the_grammar(text):
    fast = _fast_number(text)
    if fast is not None:
        assert fast == _parse_normalised(normalise(text)[0], ())


# ----------------------------------------------------------------------------- round trips

#: The functions the printer below covers, with their LaTeX names.
_PRINTED = {"sin": r"\sin", "cos": r"\cos", "tan": r"\tan", "ln": r"\ln", "exp": r"\exp"}


def latex(expr: Expr) -> str:
    """A test-side LaTeX printer: fully bracketed, so the grammar must rebuild the same tree."""
    match expr:
        case Num(value):
            return str(value.numerator) if value.denominator == 1 else str(float(value))
        case Var(name):
            base, _, sub = name.partition("_")
            return f"{base}_{{{sub}}}" if sub else base
        case Const("pi"):
            return r"\pi"
        case Const(name):
            return name
        case Neg(arg):
            return f"-{{{latex(arg)}}}"
        case BinOp("/", left, right):
            return rf"\frac{{{latex(left)}}}{{{latex(right)}}}"
        case BinOp("^", left, right):
            return f"{{{latex(left)}}}^{{{latex(right)}}}"
        case BinOp("*", left, right):
            return rf"{{{latex(left)}}} \cdot {{{latex(right)}}}"
        case BinOp(op, left, right):
            return f"{{{latex(left)}}} {op} {{{latex(right)}}}"
        case Call("sqrt", (arg,)):
            return rf"\sqrt{{{latex(arg)}}}"
        case Call("root", (arg, degree)):
            return rf"\sqrt[{latex(degree)}]{{{latex(arg)}}}"
        case Call("abs", (arg,)):
            return rf"\lvert {latex(arg)} \rvert"
        case Call("factorial", (arg,)):
            return f"{{{latex(arg)}}}!"
        case Call(func, (arg,)):
            return f"{_PRINTED[func]}({latex(arg)})"
    raise ValueError(expr)


def expressions(max_leaves: int = 12):
    leaves = st.one_of(
        st.integers(0, 10**6).map(lambda v: Num(Fraction(v))),
        st.sampled_from(["0.5", "2.25", "0.125"]).map(lambda v: Num(Fraction(v))),
        st.sampled_from(["x", "y", "a_1", "t_12"]).map(Var),
        st.sampled_from([Const("pi"), Const("e")]),
    )

    def extend(children):
        binary = st.tuples(st.sampled_from(["+", "-", "*", "/", "^"]), children, children)
        unary = st.tuples(st.sampled_from(["neg", "sqrt", "abs", "factorial", *_PRINTED]), children)
        return st.one_of(
            binary.map(lambda t: BinOp(*t)),
            unary.map(lambda t: Neg(t[1]) if t[0] == "neg" else Call(t[0], (t[1],))),
            st.tuples(children, st.integers(2, 5)).map(lambda t: Call("root", (t[0], Num(Fraction(t[1]))))),
        )

    return st.recursive(leaves, extend, max_leaves=max_leaves)


def _folds_exactly(expr: Expr) -> bool:
    """True when the parser folds part of `expr` (ln(e), ln(e^k): exact logarithms), so it does not print back."""
    return any(
        isinstance(node, Call)
        and node.func == "ln"
        and (
            node.args[0] == Const("e")
            or (
                isinstance(node.args[0], BinOp) and node.args[0].op == "^" and node.args[0].left == Const("e")
            )
        )
        for node in walk(expr)
    )


@settings(max_examples=300)
@given(expressions())
def test_printed_expressions_parse_back_to_the_same_tree(expr):
    assume(not _folds_exactly(expr))
    assert parse_answer(latex(expr)) == Scalar(expr)


@settings(max_examples=100)
@given(st.lists(expressions(max_leaves=4), min_size=2, max_size=5))
def test_printed_sets_and_tuples_parse_back(items):
    assume(not any(_folds_exactly(e) for e in items))
    body = ", ".join(latex(e) for e in items)
    scalars = tuple(Scalar(e) for e in items)
    assert parse_answer(rf"\{{{body}\}}") == FiniteSet(scalars)
    # Two items in brackets are a closed interval unless their ends are reversed (then a list).
    reversed_ends = len(items) == 2 and ends_in_order(items[0], items[1], True) is False
    assert parse_answer(f"\\boxed{{[{body}]}}") == (
        Interval(items[0], items[1], True, True)
        if len(items) == 2 and not reversed_ends
        else TupleAnswer(scalars, "[")
    )


@settings(max_examples=200)
@given(st.text(max_size=60))
def test_arbitrary_text_never_raises(text):
    result = parse_answer(text)
    assert result is not None


_NOISE = [*"0123456789x+-*/^()[]{},.=<> %$|!", r"\frac", r"\sqrt", r"\{", r"\}", r"\pi", r"\infty", r"\cup"]
_NOISE += [r"\pm", r"\cdot", r"\left(", r"\right)", r"\boxed{", r"\text{ cm}", "^\\circ", r"\%", r"\in"]


@settings(max_examples=300)
@given(st.lists(st.sampled_from(_NOISE), max_size=30).map("".join))
def test_latex_like_noise_never_raises(text):
    result = parse_answer(text)
    assert result is not None
