"""Differential checks of `equivalent` on random answer pairs whose truth is known by
construction: number words, units, intervals, function commands, matrices, complex numbers,
logarithms and sets of tuples. A wrong verdict (equivalent for different answers, refuted for
equal ones) fails; undecided is always allowed."""

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from reasoning.answers._equivalence import equivalent

small = st.integers(-30, 30)
positive = st.integers(1, 40)


def _num(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    sign = "-" if value < 0 else ""
    return rf"{sign}\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"


@st.composite
def word_pairs(draw):
    n = draw(positive)
    word, factor = draw(
        st.sampled_from([("thousand", 1000), ("million", 10**6), ("dozen", 12), ("hundred", 100)])
    )
    m = draw(st.integers(1, 10**7))
    return f"{n} {word}", str(m), m == n * factor


@st.composite
def unit_pairs(draw):
    units = [("km", 1000), ("m", 1), ("cm", Fraction(1, 100)), ("mm", Fraction(1, 1000))]
    (u, fu), (v, fv) = draw(st.sampled_from(units)), draw(st.sampled_from(units))
    a, b = draw(positive), draw(st.integers(1, 10**5))
    return rf"{a}\text{{ {u}}}", rf"{b}\text{{ {v}}}", a * fu == b * fv


@st.composite
def interval_pairs(draw):
    a, b, c, d = (draw(small) for _ in range(4))
    left = draw(st.sampled_from(["[", "("]))
    right = draw(st.sampled_from(["]", ")"]))
    g = f"{left}{a}, {b}{right}"
    p = f"{left}{c}, {d}{right}"
    # Reversed or empty ends are not intervals: only non-empty intervals have a known truth.
    closed = left + right == "[]"
    ordered = all(lo < hi or (closed and lo == hi) for lo, hi in ((a, b), (c, d)))
    if g == p:
        return g, p, True
    return g, p, (a, b) == (c, d) if ordered else None


@st.composite
def function_pairs(draw):
    a, b = draw(st.integers(1, 30)), draw(st.integers(1, 30))
    func, value = draw(
        st.sampled_from(
            [
                ("lcm", a * b // __import__("math").gcd(a, b)),
                ("gcd", __import__("math").gcd(a, b)),
                ("max", max(a, b)),
                ("min", min(a, b)),
            ]
        )
    )
    m = draw(st.integers(0, 900))
    return rf"\operatorname{{{func}}}({a}, {b})", str(m), m == value


@st.composite
def complex_pairs(draw):
    a, b, c, d, k = (draw(small) for _ in range(5))
    return f"{k * a}+{k * b}i", f"{k}({c}+{d}i)", k * a == k * c and k * b == k * d


@st.composite
def matrix_pairs(draw):
    g = [draw(small) for _ in range(4)]
    p = [draw(small) for _ in range(4)]

    def text(v):
        return rf"\begin{{pmatrix}} {v[0]} & {v[1]} \\ {v[2]} & {v[3]} \end{{pmatrix}}"

    return text(g), text(p), g == p


@st.composite
def log_pairs(draw):
    base = draw(st.sampled_from([2, 3, 5, 10]))
    k = draw(st.integers(0, 12))
    m = draw(st.integers(-2, 14))
    return rf"\log_{{{base}}} {base**k}", str(m), m == k


@st.composite
def tuple_set_pairs(draw):
    g = draw(st.lists(st.tuples(small, small), min_size=1, max_size=3))
    p = draw(st.lists(st.tuples(small, small), min_size=1, max_size=3))

    def text(items):
        return r"\{" + ", ".join(f"({x}, {y})" for x, y in items) + r"\}"

    return text(g), text(p), set(g) == set(p)


PAIRS = st.one_of(
    word_pairs(),
    unit_pairs(),
    interval_pairs(),
    function_pairs(),
    complex_pairs(),
    matrix_pairs(),
    log_pairs(),
    tuple_set_pairs(),
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(PAIRS)
def test_no_wrong_verdict_on_pairs_of_known_truth(pair):
    gold, prediction, truth = pair
    for g, p in ((gold, prediction), (prediction, gold)):
        result = equivalent(g, p, budget_s=1.0)
        if truth is None:
            assert result.equivalent is not True, result
        elif result.equivalent is not None:
            assert result.equivalent is truth, result
