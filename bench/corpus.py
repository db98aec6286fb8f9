"""A seeded, labelled corpus of (gold, prediction) answer pairs for answer-equivalence checkers.

`build_corpus(size, seed)` returns `size` `Pair`s spread evenly over `KINDS`. Every label is
mathematical truth, not grader convention: a rounded decimal of 1/3 is *not* equal to 1/3, a
decimal approximation of pi is *not* pi, and an answer with unbalanced braces is *not* equivalent
to anything. Where a label can be computed (fractions, sets, polynomials) it is computed from the
underlying values rather than assumed.

`hostile_pairs()` lists inputs that are cheap to write and expensive to evaluate (towers of
powers, huge factorials, deep nesting); they stay out of the timed corpus.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from math import gcd


@dataclass(frozen=True)
class Pair:
    kind: str
    gold: str
    prediction: str
    label: bool  # True: mathematically equivalent answers
    note: str = ""  # the template that produced the pair, to make disagreements readable


# ----------------------------------------------------------------------------- formatting helpers


def _dec(fr: Fraction) -> str:
    """The exact decimal of a fraction whose denominator has only the prime factors 2 and 5."""
    with localcontext() as ctx:
        ctx.prec = 80
        text = format(Decimal(fr.numerator) / Decimal(fr.denominator), "f")
    return text


def _rounded(fr: Fraction, digits: int) -> str:
    with localcontext() as ctx:
        ctx.prec = 80
        value = Decimal(fr.numerator) / Decimal(fr.denominator)
        return format(value.quantize(Decimal(1).scaleb(-digits)), "f")


def _frac(fr: Fraction, style: str = "frac") -> str:
    if fr.denominator == 1:
        return str(fr.numerator)
    sign = "-" if fr < 0 else ""
    p, q = abs(fr.numerator), fr.denominator
    if style == "slash":
        return f"{sign}{p}/{q}"
    if style == "dfrac":
        return f"{sign}\\dfrac{{{p}}}{{{q}}}"
    return f"{sign}\\frac{{{p}}}{{{q}}}"


def _present(rng: random.Random, text: str, boxed_ok: bool = True) -> str:
    """The same answer as a model might print it: bare, in $...$, or boxed."""
    roll = rng.random()
    if roll < 0.6:
        return text
    if roll < 0.85 or not boxed_ok:
        return f"${text}$"
    return f"\\boxed{{{text}}}"


def _int(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.45:
        n = rng.randint(0, 100)
    elif roll < 0.75:
        n = rng.randint(101, 10**6)
    elif roll < 0.9:
        n = rng.randint(10**6, 10**12)
    else:
        n = rng.randint(10**15, 10**24)
    return -n if rng.random() < 0.2 else n


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", "{,}")


# ----------------------------------------------------------------------------- polynomials
# A polynomial is a dict from exponent tuples (one entry per variable) to integer coefficients.

Poly = dict[tuple[int, ...], int]


def _pmul(a: Poly, b: Poly) -> Poly:
    out: Poly = {}
    for ea, ca in a.items():
        for eb, cb in b.items():
            e = tuple(x + y for x, y in zip(ea, eb, strict=True))
            out[e] = out.get(e, 0) + ca * cb
    return {e: c for e, c in out.items() if c}


def _ppow(a: Poly, k: int) -> Poly:
    out: Poly = {tuple(0 for _ in next(iter(a))): 1}
    for _ in range(k):
        out = _pmul(out, a)
    return out


def _pfmt(p: Poly, names: tuple[str, ...], spaced: bool) -> str:
    terms = sorted(p.items(), key=lambda item: (-sum(item[0]), [-x for x in item[0]]))
    parts: list[str] = []
    for i, (exps, coef) in enumerate(terms):
        mono = "".join(
            (name if e == 1 else f"{name}^{e}" if e < 10 else f"{name}^{{{e}}}")
            for name, e in zip(names, exps, strict=True)
            if e
        )
        mag = abs(coef)
        body = (str(mag) if mag != 1 or not mono else "") + mono
        if i == 0:
            parts.append(("-" if coef < 0 else "") + body)
        else:
            op = "-" if coef < 0 else "+"
            parts.append(f" {op} {body}" if spaced else f"{op}{body}")
    return "".join(parts) if parts else "0"


def _linear(a: int, b: int, name: str = "x") -> str:
    """`a*name + b` as a factor body, e.g. x+3, 2x-1."""
    lead = name if a == 1 else f"-{name}" if a == -1 else f"{a}{name}"
    if b == 0:
        return lead
    return f"{lead}{'+' if b > 0 else '-'}{abs(b)}"


# ----------------------------------------------------------------------------- kinds
# Each generator takes (rng, equivalent?) and returns (gold, prediction, label, note). The label
# returned is the truth; generators compute it where they can and never rely on luck.

Gen = Callable[[random.Random, bool], tuple[str, str, bool, str]]


def gen_integers(rng: random.Random, equiv: bool) -> tuple[str, str, bool, str]:
    n = _int(rng)
    gold = _present(rng, str(n))
    if equiv:
        forms = [str(n), f"${n}$", f"\\boxed{{{n}}}", f"{n}.0", f"{n}.00"]
        if abs(n) >= 1000:
            forms.append(_thousands(n))
        form = rng.choice(forms)
        return gold, form, True, "same integer, other form"
    choices = [n + 1, n - 1, n * 10 if n else 7, -n if n else 1]
    text = str(n).lstrip("-")
    if len(text) >= 2 and text[-1] != text[-2]:
        swapped = int(text[:-2] + text[-1] + text[-2]) * (-1 if n < 0 else 1)
        choices.append(swapped)
    m = rng.choice([c for c in choices if c != n])
    return gold, _present(rng, str(m)), m == n, "different integer"


def _terminating(rng: random.Random) -> Fraction:
    while True:
        q = 2 ** rng.randint(0, 5) * 5 ** rng.randint(0, 3)
        if q == 1:
            continue
        p = rng.randint(1, 3 * q)
        if gcd(p, q) == 1:
            return Fraction(-p if rng.random() < 0.2 else p, q)


def gen_fraction_decimal(rng: random.Random, equiv: bool) -> tuple[str, str, bool, str]:
    style = rng.choice(["frac", "frac", "slash", "dfrac"])
    if equiv:
        fr = _terminating(rng)
        dec = _dec(fr)
        if rng.random() < 0.2 and "." in dec:
            dec += "0"
        frac = _present(rng, _frac(fr, style))
        pair = (frac, dec) if rng.random() < 0.7 else (dec, frac)
        return pair[0], pair[1], True, "fraction vs its exact decimal"
    roll = rng.random()
    if roll < 0.4:
        fr = _terminating(rng)
        dec = _dec(fr)
        step = Fraction(1, 10 ** len(dec.split(".")[1]))
        other = fr + rng.choice([step, -step])
        return _present(rng, _frac(fr, style)), _dec(other), fr == other, "decimal off in the last digit"
    if roll < 0.7:
        # A repeating decimal cut off: close, but not equal. (A hard case for float-based graders.)
        q = rng.choice([3, 6, 7, 9, 11, 12, 13, 15, 21])
        p = rng.choice([k for k in range(1, 2 * q) if gcd(k, q) == 1])
        fr = Fraction(p, q)
        digits = rng.choice([4, 6, 6, 8, 10])
        approx = _rounded(fr, digits)
        return _present(rng, _frac(fr, style)), approx, Fraction(approx) == fr, "rounded repeating decimal"
    # Numerator and denominator both of the form 2^i 5^j, so the reciprocal terminates too.
    i, j = rng.randint(1, 5), rng.randint(1, 3)
    fr = Fraction(2**i, 5**j) if rng.random() < 0.5 else Fraction(5**j, 2**i)
    inv = 1 / fr
    return _present(rng, _frac(fr, style)), _dec(inv), inv == fr, "reciprocal as a decimal"


_SQUAREFREE = [2, 3, 5, 6, 7, 10, 11, 13, 14, 15]


def gen_latex_forms(rng: random.Random, equiv: bool) -> tuple[str, str, bool, str]:
    template = rng.choice(
        [
            "dfrac",
            "sqrt",
            "boxed",
            "dollar",
            "left",
            "shorthand",
            "power",
            "cdot",
            "sqrtfrac",
            "rationalize",
            "cuberoot",
        ]
    )
    if template == "dfrac":
        fr = Fraction(rng.randint(1, 40), rng.randint(2, 41))
        if fr.denominator == 1:
            fr = Fraction(5, 7)
        gold = f"\\dfrac{{{fr.numerator}}}{{{fr.denominator}}}"
        if equiv:
            return (
                gold,
                rng.choice([_frac(fr), _frac(fr, "slash"), f"\\tfrac{{{fr.numerator}}}{{{fr.denominator}}}"]),
                True,
                template,
            )
        other = 1 / fr if rng.random() < 0.5 else fr + 1
        return gold, _frac(other), other == fr, template
    if template == "sqrt":
        k, m = rng.randint(2, 9), rng.choice(_SQUAREFREE)
        gold = _present(rng, f"\\sqrt{{{k * k * m}}}")
        if equiv:
            return (
                gold,
                rng.choice([f"{k}\\sqrt{{{m}}}", f"{k} \\sqrt{{{m}}}", f"${k}\\sqrt{{{m}}}$"]),
                True,
                template,
            )
        if rng.random() < 0.5:
            return gold, f"{k + 1}\\sqrt{{{m}}}", False, template
        m2 = rng.choice([s for s in _SQUAREFREE if s != m])
        return gold, f"{k}\\sqrt{{{m2}}}", False, template
    if template in ("boxed", "dollar"):
        fr = Fraction(rng.randint(-50, 200), rng.choice([1, 1, 2, 3, 5, 7]))
        body = _frac(fr)
        gold = f"\\boxed{{{body}}}" if template == "boxed" else f"${body}$"
        if equiv:
            return gold, body, True, template
        return gold, _frac(fr + 1), False, template
    if template == "left":
        a = rng.randint(-20, 20)
        b = a + rng.randint(1, 20)
        gold = f"\\left( {a}, {b} \\right)"
        if equiv:
            return gold, rng.choice([f"({a},{b})", f"({a}, {b})"]), True, template
        return gold, f"({b}, {a})", False, template
    if template == "shorthand":
        p, q = rng.randint(1, 9), rng.randint(2, 9)
        gold = f"\\frac{p}{q}"
        if equiv:
            return gold, f"\\frac{{{p}}}{{{q}}}", True, template
        return gold, f"\\frac{{{q}}}{{{p}}}", Fraction(p, q) == Fraction(q, p), template
    if template == "power":
        base, exp = rng.randint(2, 9), rng.randint(2, 12)
        gold = _present(rng, f"{base}^{{{exp}}}")
        if equiv:
            return gold, str(base**exp), True, template
        return gold, str(rng.choice([base ** (exp + 1), base**exp + 1, base**exp - 1])), False, template
    if template == "cdot":
        a, b = rng.randint(2, 99), rng.randint(2, 99)
        op = rng.choice(["\\cdot", "\\times"])
        gold = f"{a} {op} {b}"
        if equiv:
            return str(a * b), gold, True, template
        return str(a * b + rng.choice([-1, 1])), gold, False, template
    if template == "sqrtfrac":
        k, m = rng.randint(2, 9), rng.choice(_SQUAREFREE)
        gold = f"\\frac{{\\sqrt{{{m}}}}}{{{k}}}"
        if equiv:
            return gold, f"\\frac{{1}}{{{k}}}\\sqrt{{{m}}}", True, template
        return gold, f"\\frac{{{k}}}{{\\sqrt{{{m}}}}}", False, template
    if template == "rationalize":
        m = rng.choice(_SQUAREFREE)
        gold = f"\\frac{{1}}{{\\sqrt{{{m}}}}}"
        if equiv:
            return gold, f"\\frac{{\\sqrt{{{m}}}}}{{{m}}}", True, template
        return gold, f"\\sqrt{{{m}}}", False, template
    k = rng.randint(2, 12)
    gold = f"\\sqrt[3]{{{k**3}}}"
    if equiv:
        return gold, str(k), True, template
    return gold, str(k + rng.choice([-1, 1])), False, template


def _interval(
    lo, hi, lo_closed: bool, hi_closed: bool, fmt: Callable[[Fraction | None, int], str], lr: bool
) -> str:
    left = "[" if lo_closed else "("
    right = "]" if hi_closed else ")"
    if lr:
        left, right = f"\\left{left}", f"\\right{right}"
    return f"{left}{fmt(lo, -1)}, {fmt(hi, 1)}{right}"


def gen_intervals(rng: random.Random, equiv: bool) -> tuple[str, str, bool, str]:
    a = Fraction(rng.randint(-20, 20), rng.choice([1, 1, 1, 2, 4]))
    b = a + Fraction(rng.randint(1, 20), rng.choice([1, 1, 2]))
    lo = None if rng.random() < 0.15 else a
    hi = None if rng.random() < 0.15 and lo is not None else b
    lo_c = lo is not None and rng.random() < 0.5
    hi_c = hi is not None and rng.random() < 0.5

    def plain(v, side):
        if v is None:
            return "-\\infty" if side < 0 else "\\infty"
        return _frac(v)

    def alt(v, side):
        if v is None:
            return "-\\infty" if side < 0 else rng.choice(["\\infty", "+\\infty"])
        return _dec(v) if v.denominator > 1 else str(v.numerator)

    gold = _interval(lo, hi, lo_c, hi_c, plain, False)
    if rng.random() < 0.2 and hi is not None and lo is not None:
        # A union of two rays around [lo, hi]: order of the parts does not matter.
        left = f"(-\\infty, {_frac(lo)}{']' if lo_c else ')'}"
        right = f"{'[' if hi_c else '('}{_frac(hi)}, \\infty)"
        gold = f"{left} \\cup {right}"
        if equiv:
            return gold, f"{right} \\cup {left}", True, "union reordered"
        return gold, left, False, "union vs one part"
    if equiv:
        return (
            gold,
            _interval(lo, hi, lo_c, hi_c, alt, rng.random() < 0.5),
            True,
            "same interval, other notation",
        )
    roll = rng.random()
    if roll < 0.4 and (lo is not None or hi is not None):
        # Flip one finite end between open and closed.
        if lo is not None and (hi is None or rng.random() < 0.5):
            return gold, _interval(lo, hi, not lo_c, hi_c, plain, False), False, "one end open/closed flipped"
        return gold, _interval(lo, hi, lo_c, not hi_c, plain, False), False, "one end open/closed flipped"
    if roll < 0.7 and lo is not None and hi is not None:
        return gold, _interval(hi, lo, lo_c, hi_c, lambda v, s: _frac(v), False), False, "bounds swapped"
    if lo is not None:
        return gold, _interval(lo - 1, hi, lo_c, hi_c, plain, False), False, "bound off by one"
    return gold, _interval(lo, hi + 1, lo_c, hi_c, plain, False), False, "bound off by one"


def _set_text(items: list[Fraction], style: str) -> str:
    body = ", ".join(_dec(v) if style == "dec" and v.denominator > 1 else _frac(v) for v in items)
    if style == "left":
        return f"\\left\\{{{body}\\right\\}}"
    return f"\\{{{body}\\}}"


def gen_sets(rng: random.Random, equiv: bool) -> tuple[str, str, bool, str]:
    size = rng.randint(2, 5)
    pool = [Fraction(k) for k in range(-15, 30)] + [Fraction(k, 2) for k in range(-9, 10, 2)]
    items = rng.sample(pool, size)
    gold = _present(rng, _set_text(items, "frac"), boxed_ok=False)
    if equiv:
        other = list(items)
        rng.shuffle(other)
        roll = rng.random()
        if roll < 0.25:
            other.append(rng.choice(items))
            note = "set with a repeated element"
        elif roll < 0.5 and any(v.denominator > 1 for v in items):
            note = "set with decimal elements"
            return gold, _set_text(other, "dec"), set(other) == set(items), note
        else:
            note = "set permuted"
        return gold, _set_text(other, rng.choice(["frac", "left"])), set(other) == set(items), note
    other = list(items)
    roll = rng.random()
    if roll < 0.33:
        other.pop(rng.randrange(len(other)))
        note = "set missing an element"
    elif roll < 0.66:
        other.append(rng.choice([v for v in pool if v not in items]))
        note = "set with an extra element"
    else:
        i = rng.randrange(len(other))
        other[i] = other[i] + rng.choice([-1, 1])
        note = "set with one element changed"
    rng.shuffle(other)
    return gold, _set_text(other, "frac"), set(other) == set(items), note


def _rational_identity(rng: random.Random, equiv: bool) -> tuple[str, str, bool, str]:
    """Identities with a variable in a denominator or under a root: both sides have the same
    domain, so they are the same answer (a point where both are undefined is no counterexample)."""
    a, b = rng.randint(1, 9), rng.randint(1, 9)
    v = rng.choice(["x", "x", "t"])
    w = "y" if v == "x" else "s"
    template = rng.choice(["slash", "sum", "common", "split", "root"])
    if template == "slash":
        gold = f"\\frac{{{a}}}{{{v}}}"
        return (
            (gold, f"{a}/{v}", True, "rational: \\frac vs slash")
            if equiv
            else (gold, f"\\frac{{{v}}}{{{a}}}", False, "rational: inverted")
        )
    if template == "sum":
        gold = f"\\frac{{1}}{{{v}}} + \\frac{{1}}{{{w}}}"
        if equiv:
            return gold, f"\\frac{{{v}+{w}}}{{{v}{w}}}", True, "rational: common denominator"
        return gold, f"\\frac{{1}}{{{v}+{w}}}", False, "rational: wrong sum of reciprocals"
    if template == "common":
        gold = f"\\frac{{{a}}}{{{v}}} + \\frac{{{b}}}{{{v}}}"
        if equiv:
            return gold, f"\\frac{{{a + b}}}{{{v}}}", True, "rational: like denominators"
        return gold, f"\\frac{{{a + b}}}{{2{v}}}", False, "rational: denominators added"
    if template == "split":
        gold = f"\\frac{{{v}+{a}}}{{{v}}}"
        if equiv:
            return gold, f"1 + \\frac{{{a}}}{{{v}}}", True, "rational: split fraction"
        return gold, f"1 + \\frac{{{v}}}{{{a}}}", False, "rational: split wrongly"
    gold = f"\\frac{{\\sqrt{{{v}}}}}{{{a + 1}}}"
    if equiv:
        return gold, f"\\frac{{1}}{{{a + 1}}}\\sqrt{{{v}}}", True, "root of a variable"
    return gold, f"\\frac{{{a + 1}}}{{\\sqrt{{{v}}}}}", False, "root of a variable, inverted"


def gen_algebraic(rng: random.Random, equiv: bool) -> tuple[str, str, bool, str]:
    if rng.random() < 0.15:
        return _rational_identity(rng, equiv)
    roll = rng.random()
    spaced = rng.random() < 0.3
    if roll < 0.75:
        # Product of linear factors in x against its expansion.
        names: tuple[str, ...] = (rng.choice(["x", "x", "x", "t", "n"]),)
        v = names[0]
        shape = rng.choice(["square", "cube", "two", "three", "diffsq"])
        if shape == "square":
            a, b = rng.choice([1, 1, 2, 3]), rng.choice([k for k in range(-9, 10) if k])
            factored = f"({_linear(a, b, v)})^2"
            poly = _ppow({(1,): a, (0,): b}, 2)
        elif shape == "cube":
            b = rng.choice([k for k in range(-5, 6) if k])
            factored = f"({_linear(1, b, v)})^3"
            poly = _ppow({(1,): 1, (0,): b}, 3)
        elif shape == "diffsq":
            a = rng.randint(1, 12)
            factored = f"({_linear(1, -a, v)})({_linear(1, a, v)})"
            poly = {(2,): 1, (0,): -a * a}
        else:
            count = 2 if shape == "two" else 3
            factors = [
                (rng.choice([1, 1, 1, 2, 3, -1]), rng.choice([k for k in range(-9, 10) if k]))
                for _ in range(count)
            ]
            factored = "".join(f"({_linear(a, b, v)})" for a, b in factors)
            poly = {(0,): 1}
            for a, b in factors:
                poly = _pmul(poly, {(1,): a, (0,): b})
        if rng.random() < 0.15:
            factored = factored.replace("(", "\\left(").replace(")", "\\right)")
    else:
        names = ("x", "y") if rng.random() < 0.6 else ("a", "b")
        x, y = names
        shape = rng.choice(["square", "cube", "diffsq"])
        sign = rng.choice([1, -1])
        op = "+" if sign > 0 else "-"
        base = {(1, 0): 1, (0, 1): sign}
        if shape == "square":
            factored, poly = f"({x}{op}{y})^2", _ppow(base, 2)
        elif shape == "cube":
            factored, poly = f"({x}{op}{y})^3", _ppow(base, 3)
        else:
            factored, poly = f"({x}+{y})({x}-{y})", {(2, 0): 1, (0, 2): -1}
    expanded = _pfmt(poly, names, spaced)
    if equiv:
        pair = (factored, expanded) if rng.random() < 0.6 else (expanded, factored)
        return pair[0], pair[1], True, "factored vs expanded"
    roll = rng.random()
    if roll < 0.7:
        wrong = dict(poly)
        key = rng.choice(sorted(wrong))
        wrong[key] += rng.choice([-1, 1, 2])
        wrong = {e: c for e, c in wrong.items() if c}
        note = "one coefficient wrong"
    elif roll < 0.9 and any(sum(e) % 2 for e in poly):
        wrong = {e: (-c if sum(e) % 2 else c) for e, c in poly.items()}
        note = "odd-degree signs flipped"
    elif roll < 0.9:
        zero = tuple(0 for _ in names)
        wrong = dict(poly)
        wrong[zero] = wrong.get(zero, 0) + rng.choice([-1, 1])
        wrong = {e: c for e, c in wrong.items() if c}
        note = "constant term changed"
    else:
        renamed = tuple({"x": "z", "t": "s", "n": "m", "y": "w", "a": "c", "b": "d"}[n] for n in names)
        return factored, _pfmt(poly, renamed, spaced), False, "variable renamed"
    pair = (
        (factored, _pfmt(wrong, names, spaced))
        if rng.random() < 0.6
        else (_pfmt(wrong, names, spaced), factored)
    )
    return pair[0], pair[1], wrong == poly, note


def gen_equations_units(rng: random.Random, equiv: bool) -> tuple[str, str, bool, str]:
    template = rng.choice(["assign", "percent", "degrees", "units", "dollars", "line"])
    n = rng.randint(1, 360)
    m = n + rng.choice([-1, 1, 10])
    if template == "assign":
        var = rng.choice(["x", "x", "y", "n", "k"])
        if rng.random() < 0.3:
            fr = _terminating(rng)
            gold = f"{var} = {_frac(fr)}"
            return (
                (gold, _dec(fr), True, "assignment vs decimal")
                if equiv
                else (gold, _dec(fr + 1), False, template)
            )
        gold = _present(rng, rng.choice([f"{var} = {n}", f"{var}={n}"]), boxed_ok=False)
        return (gold, str(n), True, template) if equiv else (gold, str(m), False, template)
    if template == "percent":
        gold = f"{n}\\%"
        return (gold, f"{n}%", True, template) if equiv else (gold, f"{m}%", False, template)
    if template == "degrees":
        gold = rng.choice([f"{n}^\\circ", f"{n}^{{\\circ}}", f"{n}°"])
        return (gold, str(n), True, template) if equiv else (gold, str(m), False, template)
    if template == "units":
        unit = rng.choice(
            ["\\text{ cm}", "\\text{ meters}", "\\,\\text{kg}", "\\text{ units}", " \\mbox{ inches}"]
        )
        gold = f"{n}{unit}"
        return (gold, str(n), True, template) if equiv else (gold, str(m), False, template)
    if template == "dollars":
        gold = f"\\${n}"
        return (gold, str(n), True, template) if equiv else (gold, str(m), False, template)
    a, b = rng.choice([k for k in range(-9, 10) if k not in (0, 1)]), rng.randint(1, 20)
    gold = f"y = {a}x + {b}"
    if equiv:
        return gold, rng.choice([f"y = {b} + {a}x", f"y={a}x+{b}"]), True, "same line, reordered"
    if rng.random() < 0.5:
        return gold, f"y = {a}x - {b}", False, "different line"  # b >= 1, so never the same line
    return gold, f"y = {b}x + {a}", a == b, "different line"


def gen_wrong(rng: random.Random, equiv: bool) -> tuple[str, str, bool, str]:
    """Near misses: every pair here is NOT equivalent, and many fool float-based comparison."""
    template = rng.choice(
        [
            "offbyone",
            "swapped",
            "tinypow",
            "euler",
            "nlist",
            "factorial",
            "tinydec",
            "approx",
            "bigint",
            "sign",
        ]
    )
    if template == "offbyone":
        n = rng.randint(2, 10**6)
        return f"\\boxed{{{n}}}", str(n + rng.choice([-1, 1])), False, template
    if template == "swapped":
        a = rng.randint(-10, 10)
        b = a + rng.randint(1, 10)
        return f"[{a}, {b})", f"({a}, {b}]", False, "open/closed ends swapped"
    if template == "tinypow":
        k = rng.randint(40, 200)
        if rng.random() < 0.5:
            return f"\\frac{{1}}{{2^{{{k}}}}}", f"\\frac{{1}}{{2^{{{k - 1}}}}}", False, template
        return f"1/2^{{{k}}}", f"1/2^{{{k - 1}}}", False, template
    if template == "euler":
        return rng.choice(
            [
                ("1-\\frac{1}{e}", "1+\\frac{1}{e}"),
                ("1-1/e", "1+1/e"),
                ("1 - e^{-1}", "1 + e^{-1}"),
                ("$1-\\frac{1}{e}$", "$1+\\frac{1}{e}$"),
            ]
        ) + (False, template)
    if template == "nlist":
        a = rng.randint(1, 20)
        gold = f"n={a + 1},{a + 2},{a + 3}"
        return gold, f"n={a},{a + 1},{a + 2}", False, "shifted solution list"
    if template == "factorial":
        n = rng.randint(100, 2500)
        if rng.random() < 0.7:
            return f"\\frac{{1}}{{{n}!}}", f"\\frac{{1}}{{{n + rng.choice([1, 2])}!}}", False, template
        return f"{n}!", f"{n + 1}!", False, template
    if template == "tinydec":
        zeros = rng.randint(6, 12)
        d = rng.randint(1, 8)
        return f"0.{'0' * zeros}{d}", f"0.{'0' * zeros}{d + 1}", False, "tiny decimals"
    if template == "approx":
        return rng.choice(
            [
                ("\\pi", "3.14159265"),
                ("\\pi", "3.1415926535"),
                ("\\sqrt{2}", "1.41421356"),
                ("\\sqrt{3}", "1.7320508"),
                ("e", "2.718281828"),
                ("\\frac{\\pi}{4}", "0.785398"),
                ("\\ln 2", "0.693147"),
            ]
        ) + (False, "decimal approximation of an irrational")
    if template == "bigint":
        k = rng.randint(16, 40)
        return f"10^{{{k}}}", f"10^{{{k}}}+1", False, "huge integer plus one"
    fr = _terminating(rng)
    return _frac(abs(fr)), _frac(-abs(fr)), False, "sign error"


def gen_malformed(rng: random.Random, equiv: bool) -> tuple[str, str, bool, str]:
    """Predictions that are not well-formed answers; none is equivalent to the gold."""
    n = rng.randint(1, 99)
    q = rng.randint(2, 9)
    a = rng.randint(-9, 9)
    b = a + rng.randint(1, 9)
    cases = [
        (f"\\frac{{{n}}}{{{q}}}", f"\\frac{{{n}}}{{{q}"),
        (str(n), f"{n}}}"),
        (str(n), f"{{{n}"),
        (f"\\boxed{{{n}}}", f"\\boxed{{{n}"),
        (f"\\sqrt{{{n}}}", "\\sqrt{"),
        (f"({a}, {b})", f"(({a}, {b})"),
        (f"\\left( {a}, {b} \\right)", f"\\left( {a}, {b}"),
        (f"\\{{{a}, {b}\\}}", f"\\{{{a}, {b}"),
        (str(n), f"{n} +"),
        (str(n), f"{n} \\cdot"),
        (str(n), f"{n}^"),
        (f"\\frac{{{n}}}{{{q}}}", "\\frac{}{}"),
        (str(n), "asdf"),
        (str(n), "???"),
        (str(n), ""),
        (str(n), "$$"),
        (str(n), "\\"),
        (str(n), f"{n})"),
        (f"[{a}, {b}]", f"[{a}, {b}"),
        (f"x = {n}", f"x = = {n}"),
        (str(n), f"\\frac{{{n}}}{{0}}"),
        (str(n), f"{n}.{n}.{n}"),
    ]
    gold, pred = rng.choice(cases)
    return gold, pred, False, "malformed prediction"


def gen_words_units(rng: random.Random, equiv: bool) -> tuple[str, str, bool, str]:
    """Number words, operation words, unit conversions and MATH's `10,\\!000` separator."""
    template = rng.choice(["magnitude", "operation", "convert", "separator"])
    n = rng.randint(2, 99)
    if template == "magnitude":
        word, factor = rng.choice([("thousand", 1000), ("million", 10**6), ("dozen", 12), ("hundred", 100)])
        gold = f"{n} {word}" if rng.random() < 0.5 else f"{n}\\text{{ {word}}}"
        return (gold, str(n * factor), True, template) if equiv else (gold, str(n), False, template)
    if template == "operation":
        word, value = rng.choice([("squared", n * n), ("cubed", n**3)])
        k = rng.randint(3, 6)  # 2! = 2
        if rng.random() < 0.3:
            return (
                (f"{k} factorial", f"{k}!", True, template)
                if equiv
                else (f"{k} factorial", str(k), False, template)
            )
        return (
            (f"{n} {word}", str(value), True, template) if equiv else (f"{n} {word}", str(n), False, template)
        )
    if template == "convert":
        big, small, factor = rng.choice(
            [("km", "m", 1000), ("m", "cm", 100), ("hours", "minutes", 60), ("kg", "g", 1000)]
        )
        gold = f"{n}\\text{{ {big}}}"
        if equiv:
            return gold, f"{n * factor}\\text{{ {small}}}", True, template
        return (
            gold,
            rng.choice([f"{n}\\text{{ {small}}}", f"{n * factor + 1}\\text{{ {small}}}"]),
            False,
            template,
        )
    value = rng.randint(1, 999) * 1000 + rng.randint(0, 999)
    gold = f"{value // 1000},\\!{value % 1000:03d}"
    return (gold, str(value), True, template) if equiv else (gold, str(value // 1000), False, template)


def gen_tuples_relations(rng: random.Random, equiv: bool) -> tuple[str, str, bool, str]:
    """Sets and lists of tuples, semicolon lists, relations, chains and labelled answers."""
    template = rng.choice(["tuple_set", "semicolons", "relation", "chain", "labelled"])
    a, b, c, d = (rng.randint(-9, 9) for _ in range(4))
    if template == "tuple_set":
        gold = f"\\{{({a}, {b}), ({c}, {d})\\}}"
        if equiv:
            return gold, f"({c},{d}), ({a},{b})", True, template
        return gold, f"({c},{d}), ({a},{b + 1})", False, template
    if template == "semicolons":
        items = sorted({a, b, c})
        gold = "; ".join(map(str, items))
        pred = ", ".join(map(str, reversed(items)))
        return (
            (gold, f"\\{{{pred}\\}}", True, template)
            if equiv
            else (gold, f"\\{{{pred}, {max(items) + 1}\\}}", False, template)
        )
    if template == "relation":
        latex_op, ascii_op, other = rng.choice(
            [("\\ge", ">=", ">"), ("\\le", "<=", "<"), ("\\ne", "!=", "=")]
        )
        gold = f"x {latex_op} {a}"
        return (
            (gold, f"x {ascii_op} {a}", True, template)
            if equiv
            else (gold, f"x {other} {a}", False, template)
        )
    if template == "chain":
        lo, hi = sorted(rng.sample(range(1, 20), 2))
        gold = f"{lo} \\leq |z| \\leq {hi}"
        if equiv:  # a chain on |z| decides only against a chain on |z|
            return gold, f"{lo} \\le |z| \\le {hi}.0", True, template
        return gold, f"{lo} \\le |z| \\le {hi + 1}", False, template
    gold = f"(p,q,r)=({a},{b},{c})"
    if equiv:
        return gold, f"({a}, {b}, {c})", True, template
    return gold, f"({a}, {b}, {c + 1})", False, template


def gen_logs_trig_complex(rng: random.Random, equiv: bool) -> tuple[str, str, bool, str]:
    """Exact logarithms, trigonometric identities and complex numbers in a + bi form."""
    template = rng.choice(["log", "ln", "trig", "complex"])
    if template == "log":
        base, k = rng.choice([2, 3, 5, 10]), rng.randint(1, 8)
        gold = f"\\log_{{{base}}} {base**k}"
        return (gold, str(k), True, template) if equiv else (gold, str(k + 1), False, template)
    if template == "ln":
        k = rng.randint(2, 9)
        return (
            (f"\\ln e^{{{k}}}", str(k), True, template)
            if equiv
            else (f"\\ln e^{{{k}}}", str(k - 1), False, template)
        )
    if template == "trig":
        pairs = [
            ("\\sin^2 x + \\cos^2 x + {k}", "{k1}", "{k}"),
            ("\\tan^2 x + {k}", "\\sec^2 x + {km1}", "\\sec^2 x + {k}"),
            ("{k}\\sin^2 x", "{k} - {k}\\cos^2 x", "{k} - \\cos^2 x"),
        ]
        gold, same, other = rng.choice(pairs)
        k = rng.randint(2, 9)
        values = {"k": k, "k1": k + 1, "km1": k - 1}
        return (gold.format(**values), (same if equiv else other).format(**values), equiv, template)
    a, b = rng.randint(1, 20), rng.randint(1, 20)
    gold = f"{a * b}+{a * b}i"
    if equiv:
        return gold, f"{a * b}(1+i)", True, template
    return gold, f"{a * b}(1-i)", False, template


def gen_matrices_misc(rng: random.Random, equiv: bool) -> tuple[str, str, bool, str]:
    """Matrices and vectors, ratios, base-n numerals, sums with numeric bounds."""
    template = rng.choice(["matrix", "vector", "ratio", "base", "sum"])
    a, b, c, d = (rng.randint(-9, 9) for _ in range(4))
    if template == "matrix":
        gold = f"\\begin{{pmatrix}} {a} & {b} \\\\ {c} & {d} \\end{{pmatrix}}"
        if equiv:
            return gold, f"\\begin{{bmatrix}} {a} & {b} \\\\ {c} & {d} \\end{{bmatrix}}", True, template
        return gold, f"\\begin{{pmatrix}} {a} & {b} \\\\ {c} & {d + 1} \\end{{pmatrix}}", False, template
    if template == "vector":
        gold = f"\\begin{{pmatrix}} {a} \\\\ {b} \\end{{pmatrix}}"
        return (gold, f"({a}, {b})", True, template) if equiv else (gold, f"({b}, {a + 10})", False, template)
    if template == "ratio":
        p, q = rng.randint(1, 9), rng.randint(1, 9)
        k = rng.randint(2, 5)
        gold = f"{p}:{q}"
        return (
            (gold, f"{p * k}:{q * k}", True, template) if equiv else (gold, f"{q}:{p + q}", False, template)
        )
    if template == "base":
        base = rng.randint(2, 9)
        value = rng.randint(base, 500)
        digits, n = "", value
        while n:
            digits, n = str(n % base) + digits, n // base
        gold = f"{digits}_{{{base}}}"
        return (gold, str(value), True, template) if equiv else (gold, str(value + 1), False, template)
    n = rng.randint(2, 30)
    gold = f"\\sum_{{k=1}}^{{{n}}} k"
    return (
        (gold, str(n * (n + 1) // 2), True, template)
        if equiv
        else (gold, str(n * (n + 1) // 2 + 1), False, template)
    )


KINDS: dict[str, Gen] = {
    "integers": gen_integers,
    "fraction_decimal": gen_fraction_decimal,
    "latex_forms": gen_latex_forms,
    "intervals": gen_intervals,
    "sets": gen_sets,
    "algebraic": gen_algebraic,
    "equations_units": gen_equations_units,
    "wrong": gen_wrong,
    "malformed": gen_malformed,
    "words_units": gen_words_units,
    "tuples_relations": gen_tuples_relations,
    "logs_trig_complex": gen_logs_trig_complex,
    "matrices_misc": gen_matrices_misc,
}


def build_corpus(size: int = 2000, seed: int = 0) -> list[Pair]:
    """`size` labelled pairs, the same for the same (size, seed), spread evenly over `KINDS`.

    Within each kind the requested label alternates, so kinds that have both (all but `wrong` and
    `malformed`) are about half equivalent. Duplicate pairs are avoided where the kind allows it.
    """
    rng = random.Random(seed)
    names = list(KINDS)
    seen: set[tuple[str, str, str]] = set()
    out: list[Pair] = []
    for i in range(size):
        kind = names[i % len(names)]
        want = (i // len(names)) % 2 == 0
        for _attempt in range(50):
            gold, pred, label, note = KINDS[kind](rng, want)
            if (kind, gold, pred) not in seen:
                break
        seen.add((kind, gold, pred))
        out.append(Pair(kind, gold, pred, label, note))
    rng.shuffle(out)
    return out


def hostile_pairs() -> list[Pair]:
    """Inputs built to exhaust time or memory. Kept out of the timed corpus."""
    deep = "(" * 2000 + "1" + ")" * 2000
    long_sum = "+".join(["1"] * 20000)
    return [
        Pair("hostile", "2003^{2002^{2001}}", "2003^{2002^{2001}}+1", False, "power tower"),
        Pair("hostile", "$2003^{2002^{2001}}$", "$5$", False, "power tower vs small"),
        Pair("hostile", "2^{2^{2^{20}}}", "1", False, "power tower"),
        Pair("hostile", "9^{9^{9}}", "9^{9^{9}}+1", False, "huge power plus one"),
        Pair("hostile", "7^{7^{10}}", "1", False, "huge power"),
        Pair("hostile", "(10^{100})!", "1", False, "huge factorial"),
        Pair("hostile", "\\frac{1}{99999!}", "0", False, "tiny reciprocal factorial"),
        Pair("hostile", "x^{10^{9}}", "x", False, "huge symbolic power"),
        Pair("hostile", "(x+1)^{100000}", "x", False, "huge expansion"),
        Pair("hostile", deep, "1", True, "2000-deep parentheses"),
        Pair("hostile", long_sum, "20000", True, "20000-term sum"),
    ]
