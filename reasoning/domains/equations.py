"""Domain `equations`: all real solutions of a polynomial equation, or of a system, proved.

Reads reasoning-gym `simple_equations` (linear, one unknown, integer answer) and
`polynomial_equations` (real roots, comma-separated, rounded to 4 places). A task is one
equation (`{"domain": "equations", "equation": "56 - 98*e = -1218"}`) or a system
(`{"equations": ["x + y = 3", "x - y = 1"]}`), polynomial in its unknowns (any letters; a
single equation has one), with `decimals` to write roots rounded to that many places under
`rounding` (half-up: ties away from zero).

How answers are proved (never by floating point):

- One unknown: `P(x) = left - right` is expanded exactly. `P = 0` identically: every value is a
  solution; `P` a non-zero constant: none. Otherwise the distinct real roots are isolated with a
  Sturm sequence of the square-free part in exact rational arithmetic, each root in an interval
  `(lo, hi)` with a strict sign change. An exact answer `x = v` is proved by substituting `v`;
  a rounded one `x ≈ d` by refining the root's interval until it holds no rounding boundary
  (splitting at a boundary that is itself a root makes the root exact). The answer must list
  all and only the real roots: lines and roots are matched one to one. The certificate lists the
  roots; `recheck` re-verifies every sign change and exact root, counts the real roots again
  with SymPy (`Poly.count_roots`, in the project's killable sandbox) and re-judges the answer.
- Linear systems: exact Gauss-Jordan elimination. A unique solution is proved by substitution
  and a non-zero minor (full column rank); "no solution" by multipliers that combine the
  equations into `0 = c` with `c != 0`; "infinitely many solutions" by a solution plus a non-zero
  null vector. `recheck` verifies each of these from the task alone.
- Non-linear systems: rational solutions are found by Z3 and proved by substitution; that there
  are no others is an `unsat` of "the system and none of the listed solutions", re-solved in a
  fresh Z3 context by `recheck` (the SMT-LIB script is in the certificate).

Answer lines: `x = 3`, `x ≈ 1.4142` (or a bare number), `x = 1, y = 2` for a system, and the
phrases `no solution` / `no real solution`, `every value` / `infinitely many solutions`.
Claim lines (worker returns): the same solution lines, `N real roots in (A, B]`, and the phrases.
Sub-queries: `roots in (A, B]` (A, B rational), `classify` and `solve`. The planner splits a root
bound's interval into `capacity` parts, forks one `roots in` per part and answers with the
verified roots; a system gets one `solve` fork.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from math import gcd
from typing import Any

from proofs.verdict import Status
from reasoning.domains import register
from reasoning.domains.arithmetic import (
    ROUNDINGS,
    ExpressionError,
    Node,
    NotRational,
    TooLarge,
    Undefined,
    decimal_places,
    evaluate,
    parse_equation,
    read_number,
    round_places,
    variables,
    write_decimal,
    write_exact,
)
from reasoning.domains.base import (
    Domain,
    DomainCheck,
    FieldSpec,
    Problem,
    TaskError,
    certificate,
    check_fields,
)

#: Highest degree of an expanded polynomial, and most terms of a multivariate one.
MAX_DEGREE = 64
MAX_TERMS = 2_000
#: Largest numerator or denominator of a coefficient, in bits.
MAX_COEFF_BITS = 4_000
#: Most equations and unknowns in a system.
MAX_EQUATIONS = 12
#: Most decimal places a task may ask for.
MAX_DECIMALS = 50
#: Places an irrational root is written with when the task gives no `decimals`.
DEFAULT_PLACES = 6
#: Most solutions the non-linear system solver enumerates.
MAX_SOLUTIONS = 16
#: Seconds `parse` may spend on the square-free part of a single equation's polynomial.
PARSE_BUDGET_S = 5.0
#: Seconds SymPy gets to re-count roots in `recheck`.
RECHECK_BUDGET_S = 20.0


class Budget(Exception):
    """The time budget ran out (checked at loop heads: no signals)."""


class NotPolynomial(ValueError):
    """An equation that is not polynomial in its unknowns (or too large)."""


# ---------------------------------------------------------------- multivariate polynomials
# A polynomial over unknowns (n0, n1, ...) is {exponent tuple: Fraction}, zero terms dropped.

Poly = dict[tuple[int, ...], Fraction]


def _clean(p: Poly) -> Poly:
    return {m: c for m, c in p.items() if c}


def _add(p: Poly, q: Poly, sign: int = 1) -> Poly:
    out = dict(p)
    for m, c in q.items():
        out[m] = out.get(m, Fraction(0)) + sign * c
    return _clean(out)


def _mul(p: Poly, q: Poly) -> Poly:
    if len(p) * len(q) > MAX_TERMS * 8:
        raise NotPolynomial("the expanded polynomial has too many terms")
    out: Poly = {}
    for ma, ca in p.items():
        for mb, cb in q.items():
            m = tuple(a + b for a, b in zip(ma, mb))
            if sum(m) > MAX_DEGREE:
                raise NotPolynomial(f"the degree exceeds {MAX_DEGREE}")
            out[m] = out.get(m, Fraction(0)) + ca * cb
    out = _clean(out)
    if len(out) > MAX_TERMS:
        raise NotPolynomial("the expanded polynomial has too many terms")
    if any(max(c.numerator.bit_length(), c.denominator.bit_length()) > MAX_COEFF_BITS for c in out.values()):
        raise NotPolynomial(f"a coefficient exceeds {MAX_COEFF_BITS} bits")
    return out


def _degree(p: Poly) -> int:
    return max((sum(m) for m in p), default=-1)


def polynomial(node: Node, names: Sequence[str]) -> Poly:
    """The expanded polynomial of a tree in the unknowns `names`; NotPolynomial otherwise."""
    zero = (0,) * len(names)
    kind = node[0]
    if kind == "num":
        return _clean({zero: node[1]})
    if kind == "var":
        if node[1] not in names:
            raise NotPolynomial(f"{node[1]} is not an unknown")
        m = tuple(int(n == node[1]) for n in names)
        return {m: Fraction(1)}
    if kind == "neg":
        return {m: -c for m, c in polynomial(node[1], names).items()}
    if kind == "sum":
        out: Poly = {}
        for sign, child in node[1]:
            out = _add(out, polynomial(child, names), sign)
        return out
    if kind == "prod":
        out = {zero: Fraction(1)}
        for op, child in node[1]:
            factor = polynomial(child, names)
            if op == "/":
                if any(any(m) for m in factor) or not factor:
                    what = "zero" if not factor else "an expression in the unknowns"
                    raise NotPolynomial(f"division by {what} (only polynomial equations are solved)")
                factor = {zero: 1 / factor[zero]}
            out = _mul(out, factor)
        return out
    if kind == "pow":
        if variables(node[2]):
            raise NotPolynomial("an exponent with an unknown in it")
        try:
            exponent = evaluate(node[2])
        except (TooLarge, Undefined, NotRational) as exc:
            raise NotPolynomial(f"the exponent has no value: {exc}") from None
        base = polynomial(node[1], names)
        if not any(any(m) for m in base):  # a constant: exact power (negative exponents too)
            try:
                return _clean(
                    {zero: evaluate(("pow", ("num", base.get(zero, Fraction(0)), ""), ("num", exponent, "")))}
                )
            except (TooLarge, Undefined, NotRational) as exc:
                raise NotPolynomial(str(exc)) from None
        if exponent.denominator != 1 or exponent < 0:
            raise NotPolynomial(f"the exponent {exponent} is not a whole number")
        if _degree(base) * exponent > MAX_DEGREE:
            raise NotPolynomial(f"the degree exceeds {MAX_DEGREE}")
        out = {zero: Fraction(1)}
        for _ in range(int(exponent)):
            out = _mul(out, base)
        return out
    raise NotPolynomial(f"not an expression tree: {kind!r}")


def _is_linear(p: Poly) -> bool:
    return _degree(p) <= 1


# ---------------------------------------------------------------- univariate, exact

Dense = list[Fraction]  # coefficients, index = power, no trailing zeros


def dense(p: Poly) -> Dense:
    out = [Fraction(0)] * (_degree(p) + 1)
    for m, c in p.items():
        out[m[0] if m else 0] += c
    return _trim(out)


def _trim(a: Dense) -> Dense:
    a = list(a)
    while a and a[-1] == 0:
        a.pop()
    return a


def _divmod(a: Dense, b: Dense) -> tuple[Dense, Dense]:
    a, q = list(a), [Fraction(0)] * max(0, len(a) - len(b) + 1)
    while len(a) >= len(b) and a:
        shift, factor = len(a) - len(b), a[-1] / b[-1]
        q[shift] = factor
        for i, c in enumerate(b):
            a[shift + i] -= factor * c
        a = _trim(a)
    return _trim(q), a


def _gcd(a: Dense, b: Dense, deadline: float) -> Dense:
    while b:
        _tick(deadline)
        a, b = b, _divmod(a, b)[1]
    return [c / a[-1] for c in a]


def _derivative(a: Dense) -> Dense:
    return _trim([i * c for i, c in enumerate(a)][1:])


def primitive(a: Dense) -> list[int]:
    """Integer coefficients with gcd 1 and the same signs as `a` (a positive multiple of it)."""
    lcm = 1
    for c in a:
        lcm = lcm * c.denominator // gcd(lcm, c.denominator)
    ints = [int(c * lcm) for c in a]
    g = 0
    for c in ints:
        g = gcd(g, c)
    return [c // g for c in ints] if g else ints


def squarefree(a: Dense, deadline: float) -> list[int]:
    """The square-free part of `a` (same distinct roots, all simple) as a primitive integer list."""
    g = _gcd(a, _derivative(a), deadline)
    return primitive(_divmod(a, g)[0] if len(g) > 1 else a)


def value_sign(p: Sequence[int], x: Fraction) -> int:
    """The sign of p(x) for integer coefficients `p` (index = power) and a rational x, exactly:
    the sign of den^n p(num/den) = sum p_i num^i den^(n-i) (integers only, Horner's rule)."""
    if not p:
        return 0
    num, den, n = x.numerator, x.denominator, len(p) - 1
    powers = [1] * (n + 1)
    for k in range(1, n + 1):
        powers[k] = powers[k - 1] * den
    acc = p[n]
    for i in range(n - 1, -1, -1):
        acc = acc * num + p[i] * powers[n - i]
    return (acc > 0) - (acc < 0)


def _tick(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise Budget("the time budget ran out")


def sturm_chain(p: list[int], deadline: float) -> list[list[int]]:
    """p, p', -rem(p, p'), ... each scaled by a positive constant (signs preserved)."""
    chain = [p, primitive(_derivative([Fraction(c) for c in p]))]
    while len(chain[-1]) > 1:
        _tick(deadline)
        _, rem = _divmod([Fraction(c) for c in chain[-2]], [Fraction(c) for c in chain[-1]])
        if not rem:
            break
        chain.append(primitive([-c for c in rem]))
    return chain


def _variations(signs: Iterator[int]) -> int:
    count, last = 0, 0
    for s in signs:
        if s:
            if last and s != last:
                count += 1
            last = s
    return count


def variations_at(chain: list[list[int]], x: Fraction | None, *, at_minus: bool = False) -> int:
    """Sign changes of the chain at x (None: at +infinity, or -infinity with at_minus)."""
    if x is None:
        return _variations(
            (1 if p[-1] > 0 else -1) * (-1 if at_minus and (len(p) - 1) % 2 else 1) for p in chain
        )
    return _variations(value_sign(p, x) for p in chain)


def root_bound(p: Sequence[int]) -> int:
    """A power of two B with every real root strictly inside (-B, B).

    Fujiwara's bound, |r| <= 2 max_k |a_(n-k) / a_n|^(1/k) (the last term halved), rounded up
    to powers of two from bit lengths alone, then doubled once more so the bound is strict."""
    n, lead = len(p) - 1, abs(p[-1])
    exponent = 0
    for k in range(1, n + 1):
        c = abs(p[n - k])
        if c:
            bits = c.bit_length() - lead.bit_length() + 1  # |c / lead| < 2^bits
            exponent = max(exponent, -(-bits // k))
    return 2 ** (exponent + 2)


@dataclass
class Root:
    """One real root: exactly `value`, or the only root in the open interval (lo, hi)."""

    lo: Fraction
    hi: Fraction
    value: Fraction | None = None

    def to_json(self) -> dict[str, str]:
        if self.value is not None:
            return {"value": write_exact(self.value)}
        return {"lo": write_exact(self.lo), "hi": write_exact(self.hi)}


def isolate(g: list[int], deadline: float) -> list[Root]:
    """Every real root of the square-free integer polynomial g, left to right."""
    if len(g) <= 1:
        return []
    chain = sturm_chain(g, deadline)
    bound = Fraction(root_bound(g))
    out: list[Root] = []
    stack = [(-bound, bound, variations_at(chain, -bound) - variations_at(chain, bound))]
    while stack:
        _tick(deadline)
        lo, hi, count = stack.pop()
        if count == 0:
            continue
        if count == 1:
            out.append(Root(lo, hi))
            continue
        mid = _split_point(g, lo, hi)
        if mid is None:  # never: finitely many roots, many candidate points
            raise Budget("no split point")
        v_mid = variations_at(chain, mid)
        stack.append((mid, hi, v_mid - variations_at(chain, hi)))
        stack.append((lo, mid, variations_at(chain, lo) - v_mid))
    out.sort(key=lambda r: r.lo)
    return out


def _split_point(g: Sequence[int], lo: Fraction, hi: Fraction) -> Fraction | None:
    """A point strictly inside (lo, hi) that is not a root (the midpoint when it is not)."""
    for k, n in ((1, 2), (1, 3), (2, 3), (1, 4), (3, 4), (1, 5), (2, 5), (3, 5), (4, 5), (1, 7)):
        point = lo + (hi - lo) * k / n
        if value_sign(g, point):
            return point
    return None


def split_at(g: Sequence[int], root: Root, c: Fraction) -> Root:
    """The root's interval cut at c (lo < c < hi): exact when g(c) = 0, else the side with the
    sign change."""
    s = value_sign(g, c)
    if s == 0:
        return Root(c, c, c)
    if value_sign(g, root.lo) * s < 0:
        return Root(root.lo, c)
    return Root(c, root.hi)


def refine_for_rounding(g: Sequence[int], root: Root, places: int, deadline: float) -> Root:
    """Shrink the interval until no rounding boundary ((k + 1/2) 10^-places) lies inside it, so
    every point in it rounds alike; a boundary that is a root makes the root exact."""
    unit = Fraction(1, 10**places)
    while root.value is None:
        _tick(deadline)
        first = _floor(root.lo / unit - Fraction(1, 2)) + 1  # smallest k with boundary > lo
        last = _ceil(root.hi / unit - Fraction(1, 2)) - 1  # largest k with boundary < hi
        if first > last:
            return root
        root = split_at(g, root, ((first + last) // 2 + Fraction(1, 2)) * unit)
    return root


def _floor(x: Fraction) -> int:
    return x.numerator // x.denominator


def _ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


def rounded(g: Sequence[int], root: Root, places: int, rule: str, deadline: float) -> tuple[Fraction, Root]:
    """(the root rounded to `places`, the refined root)."""
    root = refine_for_rounding(g, root, places, deadline)
    point = root.value if root.value is not None else (root.lo + root.hi) / 2
    return round_places(point, places, rule), root


def make_exact(g: Sequence[int], root: Root, deadline: float) -> Root:
    """The root with its exact value when it is rational (checked by substitution), else as is.

    A rational root of the primitive integer g is k / lead for an integer k; once the interval is
    narrower than 1 / |lead| it holds at most one such point, which is tried."""
    if root.value is not None:
        return root
    lead = abs(g[-1])
    width = Fraction(1, lead)
    while root.hi - root.lo >= width and root.value is None:
        _tick(deadline)
        root = split_at(g, root, (root.lo + root.hi) / 2)
    if root.value is not None:
        return root
    candidate = Fraction(_ceil(root.lo * lead), lead)
    if root.lo < candidate < root.hi and value_sign(g, candidate) == 0:
        return Root(candidate, candidate, candidate)
    return root


def count_in(g: Sequence[int], roots: list[Root], lo: Fraction | None, hi: Fraction | None) -> int:
    """How many of the roots lie in (lo, hi] (None: unbounded on that side)."""
    total = 0
    for root in roots:
        if _inside(g, root, lo, hi):
            total += 1
    return total


def _inside(g: Sequence[int], root: Root, lo: Fraction | None, hi: Fraction | None) -> bool:
    for c in (lo, hi):
        if c is not None and root.value is None and root.lo < c < root.hi:
            root = split_at(g, root, c)
    point = root.value if root.value is not None else (root.lo + root.hi) / 2
    # an interval root never straddles lo or hi now, so its midpoint is on the root's side
    return (lo is None or point > lo) and (hi is None or point <= hi)


# ---------------------------------------------------------------- the problem


@dataclass
class Parsed:
    """What `parse` keeps: the unknowns, the equations' trees and polynomials (left - right)."""

    names: list[str]
    trees: list[tuple[Node, Node]]
    polys: list[Poly]
    dense: Dense | None = None  # one unknown: P as a dense list
    g: list[int] | None = None  # one unknown: square-free primitive part of P
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def linear(self) -> bool:
        return all(_is_linear(p) for p in self.polys)


_IDENTITY = re.compile(
    r"^\s*(every (real )?(value|number)|all (real )?(values|numbers)|infinitely many( real)? solutions|any (real )?(value|number))\s*\.?\s*$",
    re.I,
)
_NONE = re.compile(r"^\s*no( real)? solutions?\s*\.?\s*$", re.I)
_COUNT = re.compile(r"^\s*(\d+)\s+real roots?\s+in\s+\(\s*([^,\]]+?)\s*,\s*([^,\]]+?)\s*\]\s*$", re.I)
_ASSIGN = re.compile(r"^\s*([A-Za-z_][A-Za-z_0-9]*)\s*(=|≈|~=|~)\s*(.+?)\s*$")
_ROOTS_QUERY = re.compile(r"^\s*roots\s+in\s+\(\s*([^,\]]+?)\s*,\s*([^,\]]+?)\s*\]\s*$", re.I)


@dataclass(frozen=True)
class Line:
    """One solution line: values per unknown, each exact (`=`) or rounded (`≈`, with places)."""

    values: tuple[tuple[str, Fraction, int | None], ...]  # (name, value, places or None = exact)


def _read_value(text: str, op: str, decimals: int | None) -> tuple[Fraction, int | None] | str:
    value = read_number(text)
    if value is None:
        return f"{text[:40]!r} is not a number"
    places = decimal_places(text)
    if decimals is not None:  # every value is read as rounded to `decimals` places
        if places is None or places > decimals:
            return f"{text[:40]!r}: write roots with at most {decimals} decimal places"
        return value, decimals
    if op == "=":
        return value, None
    if places is None:
        return f"{text[:40]!r}: a rounded value is a plain decimal"
    return value, places


def read_lines(text: str, names: Sequence[str], decimals: int | None) -> list[Line] | str:
    """Solution lines of an answer (or one claim); a string says why the text is not one."""
    out: list[Line] = []
    raw = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    if len(names) == 1:  # one unknown: commas separate roots
        raw = [part.strip() for line in raw for part in line.split(",") if part.strip()]
    for line in raw:
        parts = [line] if len(names) == 1 else [p.strip() for p in line.split(",") if p.strip()]
        values: list[tuple[str, Fraction, int | None]] = []
        for part in parts:
            match = _ASSIGN.match(part)
            if match:
                name, op, number = match.group(1), match.group(2), match.group(3)
                op = "=" if op == "=" else "≈"
            elif len(names) == 1:
                name, op, number = names[0], "=", part
            else:
                return f"{part[:60]!r}: write each value as 'name = value'"
            if name not in names:
                return f"{name!r} is not an unknown of the task ({', '.join(names)})"
            read = _read_value(number, op, decimals)
            if isinstance(read, str):
                return read
            values.append((name, read[0], read[1]))
        if sorted(n for n, _, _ in values) != sorted(names):
            return f"{line[:60]!r}: give a value for each of {', '.join(names)} exactly once"
        out.append(Line(tuple(sorted(values))))
    return out


class Equations(Domain):
    """Real solutions of polynomial equations and systems, proved exactly."""

    name = "equations"
    summary = "all real solutions of a polynomial equation or system (exact, or rounded and proved)"
    reasoning_gym = ("simple_equations", "polynomial_equations")
    fields = {
        "equation": FieldSpec("str", "one equation, e.g. '2*x^2 - 3 = x' (or use equations)"),
        "equations": FieldSpec("strs", "a system: several equations"),
        "variable": FieldSpec("str", "the unknown of a single equation (inferred when it has one letter)"),
        "variables": FieldSpec("strs", "the unknowns of a system (default: every letter, sorted)"),
        "decimals": FieldSpec("int", "write solutions rounded to this many decimal places"),
        "rounding": FieldSpec("str", "rounding rule: " + ", ".join(ROUNDINGS), default="half-up"),
    }

    # ------------------------------------------------------------ tasks

    def parse(self, data: Mapping[str, Any]) -> Problem:
        fields = check_fields(self, data)
        one, many = fields["equation"], fields["equations"]
        if (one is None) == (many is None):
            raise TaskError("equation or equations: give exactly one of them")
        texts = [one] if one is not None else list(many)
        if not texts:
            raise TaskError("equations: the list is empty")
        if len(texts) > MAX_EQUATIONS:
            raise TaskError(f"equations: {len(texts)} equations; at most {MAX_EQUATIONS}")
        where = "equation" if one is not None else "equations"
        trees = []
        for index, text in enumerate(texts, 1):
            label = where if one is not None else f"equations[{index}]"
            try:
                trees.append(parse_equation(text))
            except ExpressionError as exc:
                raise TaskError(f"{label}: {exc}") from None
        letters = sorted(set().union(*(variables(a) | variables(b) for a, b in trees)))
        names = self._unknowns(fields, letters, one is not None)
        if fields["rounding"] not in ROUNDINGS:
            raise TaskError(f"rounding: must be one of {', '.join(ROUNDINGS)}, got {fields['rounding']!r}")
        if fields["decimals"] is not None and not 0 <= fields["decimals"] <= MAX_DECIMALS:
            raise TaskError(f"decimals: must be in 0..{MAX_DECIMALS}, got {fields['decimals']}")
        polys = []
        for index, (left, right) in enumerate(trees, 1):
            label = where if one is not None else f"equations[{index}]"
            try:
                polys.append(_add(polynomial(left, names), polynomial(right, names), -1))
            except NotPolynomial as exc:
                raise TaskError(f"{label}: {exc}") from None
        if one is not None:
            fields["equation"] = " ".join(one.split())
        else:
            fields["equations"] = [" ".join(t.split()) for t in many]
        fields["variable"] = names[0] if one is not None else None
        fields["variables"] = names if one is None else None
        parsed = Parsed(names, trees, polys)
        if one is not None:
            parsed.dense = dense(polys[0])
            if len(parsed.dense) > 1:
                try:
                    parsed.g = squarefree(parsed.dense, time.monotonic() + PARSE_BUDGET_S)
                except Budget:
                    raise TaskError(f"equation: too large to factor within {PARSE_BUDGET_S:g} s") from None
        rule = ""
        if fields["decimals"] is not None:
            rule = f", each rounded to {fields['decimals']} decimal places ({fields['rounding']})"
        if one is not None:
            text = f"Find every real solution {names[0]} of {fields['equation']}{rule}."
        else:
            text = f"Find every real solution ({', '.join(names)}) of the system {'; '.join(fields['equations'])}{rule}."
        return Problem(self.name, fields, text, parsed)

    def _unknowns(self, fields: dict[str, Any], letters: list[str], single: bool) -> list[str]:
        if single:
            if fields["variables"] is not None:
                raise TaskError("variables: a single equation names its unknown with variable")
            wanted = fields["variable"]
            if wanted is None:
                if len(letters) != 1:
                    found = ", ".join(letters) or "none"
                    raise TaskError(
                        f"variable: the equation needs exactly one unknown letter (found {found}); name it"
                    )
                return letters
            if not re.fullmatch(r"[A-Za-z_][A-Za-z_0-9]*", wanted):
                raise TaskError(f"variable: {wanted!r} is not a name")
            others = [n for n in letters if n != wanted]
            if others:
                raise TaskError(
                    f"variable: the equation has other letters ({', '.join(others)}); only {wanted} may appear"
                )
            return [wanted]
        if fields["variable"] is not None:
            raise TaskError("variable: a system names its unknowns with variables")
        wanted_list = fields["variables"]
        if wanted_list is None:
            if not letters:
                raise TaskError("equations: the system has no unknowns")
            return letters
        bad = [n for n in wanted_list if not re.fullmatch(r"[A-Za-z_][A-Za-z_0-9]*", n)]
        if bad or len(set(wanted_list)) != len(wanted_list) or not wanted_list:
            raise TaskError("variables: distinct names, at least one")
        others = [n for n in letters if n not in wanted_list]
        if others:
            raise TaskError(f"variables: the equations have other letters ({', '.join(others)})")
        if len(wanted_list) > MAX_EQUATIONS:
            raise TaskError(f"variables: at most {MAX_EQUATIONS} unknowns")
        return list(wanted_list)

    def from_reasoning_gym(self, task_name: str, entry: Mapping[str, Any]) -> Problem:
        """From the question text only (never `answer` or metadata)."""
        question = entry.get("question") if isinstance(entry, Mapping) else None
        if task_name not in self.reasoning_gym:
            raise TaskError(f"equations does not read reasoning-gym task {task_name!r}")
        if not isinstance(question, str):
            raise TaskError("question: a reasoning-gym entry needs its question text")
        if task_name == "simple_equations":
            match = re.search(
                r"(?:value of|Solve for|value of)\s+([A-Za-z])\b[^:]*:\s*(.+?)\s*\Z", question, re.S
            )
            if match is None:
                raise TaskError("question: not a simple_equations question")
            return self.parse({"equation": match.group(2), "variable": match.group(1)})
        match = re.search(r"(?:of|for real)\s+([A-Za-z])\b[^:]*:\s*\n?(.+?=\s*0)\s*\n", question, re.S)
        if match is None:
            raise TaskError("question: not a polynomial_equations question")
        places = re.search(r"Round all decimal values to (\d+) decimal places", question)
        return self.parse(
            {
                "equation": match.group(2),
                "variable": match.group(1),
                "decimals": int(places.group(1)) if places else 4,
                "rounding": "half-up",
            }
        )

    # ------------------------------------------------------------ the solution set

    def solution_set(self, problem: Problem, deadline: float) -> dict[str, Any]:
        """One unknown: {'kind': 'all' | 'none' | 'roots', 'roots': [Root]}; cached per problem."""
        data: Parsed = problem.data
        if "set" in data.cache:
            return data.cache["set"]
        p = data.dense or []
        if not p:
            result: dict[str, Any] = {"kind": "all", "roots": []}
        elif len(p) == 1:
            result = {"kind": "none", "roots": []}
        else:
            roots = isolate(data.g or [], deadline)
            result = {"kind": "roots" if roots else "none", "roots": roots}
        data.cache["set"] = result
        return result

    # ------------------------------------------------------------ answers and claims

    def check_answer(self, problem: Problem, text: str, *, budget_s: float) -> DomainCheck:
        if not isinstance(text, str) or not text.strip():
            return DomainCheck(
                Status.INVALID, "the answer is empty: list the solutions, or say 'no solution'"
            )
        deadline = time.monotonic() + budget_s
        try:
            if len(problem.data.names) == 1:
                return self._check_single(problem, text.strip(), deadline, role="answer")
            return self._check_system(problem, text.strip(), deadline, role="answer")
        except Budget:
            return DomainCheck(Status.UNKNOWN, f"the time budget of {budget_s:g} s ran out")

    def check_claim(self, problem: Problem, text: str, *, budget_s: float) -> DomainCheck:
        if not isinstance(text, str) or not text.strip():
            return DomainCheck(Status.INVALID, "an empty claim")
        if len(text) > 20_000:
            return DomainCheck(Status.INVALID, "the claim is longer than 20,000 characters")
        deadline = time.monotonic() + budget_s
        line = text.strip()
        try:
            if len(problem.data.names) == 1:
                if match := _COUNT.match(line):
                    return self._check_count(problem, line, match, deadline)
                return self._check_single(problem, line, deadline, role="claim")
            return self._check_system(problem, line, deadline, role="claim")
        except Budget:
            return DomainCheck(Status.UNKNOWN, f"the time budget of {budget_s:g} s ran out")

    def _check_count(self, problem: Problem, line: str, match: re.Match, deadline: float) -> DomainCheck:
        n = int(match.group(1))
        lo, hi = read_number(match.group(2)), read_number(match.group(3))
        if lo is None or hi is None or lo >= hi:
            return DomainCheck(Status.INVALID, "write 'N real roots in (A, B]' with rational A < B")
        found = self.solution_set(problem, deadline)
        if found["kind"] == "all":
            return _checked(problem, line, False, "every value is a solution", {"kind": "all"}, role="claim")
        g = problem.data.g or []
        actual = count_in(g, found["roots"], lo, hi)
        evidence = {"kind": found["kind"], "roots": [r.to_json() for r in found["roots"]], "count": actual}
        why = f"{actual} distinct real root(s) in ({match.group(2)}, {match.group(3)}]"
        return _checked(problem, line, actual == n, why, evidence, role="claim")

    def _check_single(self, problem: Problem, text: str, deadline: float, *, role: str) -> DomainCheck:
        data: Parsed = problem.data
        decimals, rule = problem.fields["decimals"], problem.fields["rounding"]
        found = self.solution_set(problem, deadline)
        g = data.g or []
        phrase = _phrase(text)
        evidence: dict[str, Any] = {"kind": found["kind"], "roots": [r.to_json() for r in found["roots"]]}
        if phrase == "all":
            holds = found["kind"] == "all"
            why = (
                "the equation holds for every value"
                if holds
                else "the equation does not hold for every value"
            )
            if not holds and found["kind"] == "none":
                why += ": it has no solution"
            return _checked(problem, text, holds, why, evidence, role=role)
        if phrase == "none":
            holds = found["kind"] == "none"
            why = "the equation has no real solution" if holds else "the equation has real solutions"
            return _checked(problem, text, holds, why, evidence, role=role)
        lines = read_lines(text, data.names, decimals)
        if isinstance(lines, str):
            return DomainCheck(Status.INVALID, lines)
        if not lines:
            return DomainCheck(Status.INVALID, "no solution lines")
        if found["kind"] == "all":
            if role == "claim":
                return _checked(problem, text, True, "every value is a solution", evidence, role=role)
            return _checked(
                problem, text, False, "every value is a solution; say 'every value'", evidence, role=role
            )
        values = [line.values[0][1:] for line in lines]
        outcome = judge(data.dense or [], g, found["roots"], values, rule, deadline, every=role == "answer")
        evidence["roots"] = [r.to_json() for r in outcome.roots]
        return _checked(problem, text, outcome.holds, outcome.message, evidence, role=role)

    def _check_system(self, problem: Problem, text: str, deadline: float, *, role: str) -> DomainCheck:
        data: Parsed = problem.data
        phrase = _phrase(text)
        lines: list[Line] = []
        if phrase is None:
            # Non-linear systems are answered exactly (their solutions are rational or unknown).
            decimals = problem.fields["decimals"] if data.linear else None
            read = read_lines(text, data.names, decimals)
            if isinstance(read, str):
                return DomainCheck(Status.INVALID, read)
            if not read:
                return DomainCheck(Status.INVALID, "no solution lines")
            lines = read
        if data.linear:
            verdict = linear_judge(data, phrase, lines, problem.fields["rounding"], every=role == "answer")
        else:
            verdict = nonlinear_judge(data, phrase, lines, deadline, every=role == "answer")
        if verdict.status is Status.UNKNOWN:
            return DomainCheck(Status.UNKNOWN, verdict.message)
        return _checked(
            problem, text, verdict.status is Status.PROVED, verdict.message, verdict.evidence, role=role
        )

    def recheck(self, problem: Problem, cert: Mapping[str, Any]) -> tuple[bool, str]:
        """Re-derive the verdict from the task: see the module docstring."""
        if not isinstance(cert, Mapping) or cert.get("kind") != "domain" or cert.get("domain") != self.name:
            return False, "not an equations domain certificate"
        if cert.get("task") != problem.to_json():
            return False, "the certificate is for another task"
        text, role, holds = cert.get("claim"), cert.get("role"), cert.get("holds")
        evidence = cert.get("evidence")
        if not isinstance(text, str) or role not in ("claim", "answer") or not isinstance(holds, bool):
            return False, "a certificate needs a claim text, a role and a boolean holds"
        if not isinstance(evidence, Mapping):
            return False, "the certificate has no evidence"
        fresh = self._fresh(problem)
        try:
            if len(fresh.names) == 1:
                result = _recheck_single(fresh, problem, text, role, evidence)
            elif fresh.linear:
                result = _recheck_linear(fresh, problem, text, role)
            else:
                result = _recheck_nonlinear(fresh, text, role, evidence)
        except Budget:
            return False, "the re-check ran out of time"
        except (ValueError, KeyError, TypeError, ZeroDivisionError) as exc:
            return False, f"malformed evidence: {type(exc).__name__}: {exc}"
        if isinstance(result, str):
            return False, result
        if result != holds:
            return False, f"the re-check finds the {role} {'holds' if result else 'fails'}, not as certified"
        return True, f"re-checked: the {role} {'holds' if holds else 'fails'}"

    def _fresh(self, problem: Problem) -> Parsed:
        """The task's polynomials rebuilt from its text (nothing reused from parsing)."""
        return self.parse(problem.to_json()).data

    # ------------------------------------------------------------ presentation

    def write_roots(self, problem: Problem, roots: Sequence[Root], deadline: float) -> list[str]:
        """Answer lines for one unknown's roots (exact when rational, else rounded)."""
        data: Parsed = problem.data
        name, decimals, rule = data.names[0], problem.fields["decimals"], problem.fields["rounding"]
        g = data.g or []
        out = []
        for root in roots:
            if decimals is None:
                root = make_exact(g, root, deadline)
                if root.value is not None:
                    out.append(f"{name} = {write_exact(root.value)}")
                    continue
                value, root = rounded(g, root, DEFAULT_PLACES, rule, deadline)
                out.append(f"{name} ≈ {write_decimal(value, DEFAULT_PLACES)}")
                continue
            root = make_exact(g, root, deadline)
            value, root = rounded(g, root, decimals, rule, deadline)
            exact = root.value is not None and root.value == value
            out.append(f"{name} {'=' if exact else '≈'} {write_decimal(value, decimals)}")
        return out

    def answers(self, problem: Problem, answer_text: str) -> list[str]:
        return [line.strip() for line in answer_text.splitlines() if line.strip()]

    def to_reasoning_gym(self, problem: Problem, answers: Sequence[str]) -> str:
        """Bare values, comma-separated ('' when there is no real solution)."""
        values = []
        for line in answers:
            if _phrase(line) is not None:
                continue
            for part in line.split(","):
                match = _ASSIGN.match(part)
                values.append(match.group(3) if match else part.strip())
        return ", ".join(values)

    def worker_prompt(self, problem: Problem, query: str, feedback: Sequence[str] = ()) -> str:
        name = problem.data.names[0]
        lines = [
            "You solve polynomial equations. Every claim you return is checked exactly (substitution, "
            "Sturm root counting); a wrong one is sent back to you.",
            f"Task: {problem.text}",
            f"Sub-query: {query}",
            "Reply inside <RETURN>...</RETURN> with one claim per line:",
            f"  '{name} = VALUE' for an exact root, '{name} ≈ DECIMAL' for a rounded one,",
            "  'N real roots in (A, B]' for how many distinct real roots lie in that interval,",
            "  'no real solution' or 'every value'. For a system: 'x = 1, y = 2' per solution.",
            "Example: task x^2 - 2 = 0 with 4 decimals, sub-query 'roots in (0, 8]' -> "
            "<RETURN>1 real roots in (0, 8]\nx ≈ 1.4142</RETURN>",
        ]
        lines += [f"An earlier attempt was rejected: {item}" for item in feedback]
        return "\n".join(lines)

    def organizer_prompt(self, problem: Problem) -> str:
        return (
            f"Task (equations): {problem.text}\n"
            "Split the real line into intervals (A, B] that together cover every root and hand each "
            "to a worker: <FORK-i>roots in (A, B]</FORK-i>; <JOIN-i> waits for its verified claims "
            "('N real roots in (A, B]' and one line per root). For a system fork 'solve'. End with "
            "<ANSWER>one solution per line</ANSWER>, or 'no real solution' / 'every value'."
        )

    def solver_worker(self) -> EquationsWorker:
        return EquationsWorker(self)

    def planner(self, problem: Problem, *, capacity: int) -> EquationsPlanner:
        return EquationsPlanner(self, problem, capacity=capacity)


def _phrase(text: str) -> str | None:
    if _IDENTITY.match(text):
        return "all"
    if _NONE.match(text):
        return "none"
    return None


def _checked(
    problem: Problem, text: str, holds: bool, why: str, evidence: Mapping[str, Any], *, role: str
) -> DomainCheck:
    cert = certificate(problem, text, role=role, holds=holds, evidence=evidence)
    return DomainCheck(Status.PROVED if holds else Status.REFUTED, why, cert)


# ---------------------------------------------------------------- judging one unknown


@dataclass
class Judgement:
    holds: bool
    message: str
    roots: list[Root]


def judge(
    p: Dense,
    g: Sequence[int],
    roots: list[Root],
    values: Sequence[tuple[Fraction, int | None]],
    rule: str,
    deadline: float,
    *,
    every: bool,
) -> Judgement:
    """Do `values` (exact, or rounded to places) name the roots? With `every`, all and only the
    roots, one to one; else each value names some root (a claim about some roots)."""
    roots = list(roots)
    # Exact values: substitution into P itself, then which isolated root it is.
    for value, places in values:
        if places is None and value_sign(primitive(p), value) != 0:
            return Judgement(False, f"{write_exact(value)} is not a solution (substitution)", roots)
    candidates: list[list[int]] = []
    for value, places in values:
        fits = []
        for index, root in enumerate(roots):
            if places is None:
                if root.value is None and root.lo < value < root.hi:
                    roots[index] = root = Root(value, value, value)  # P(value) = 0, the only root here
                if root.value == value:
                    fits.append(index)
            else:
                near, roots[index] = rounded(g, root, places, rule, deadline)
                if near == value:
                    fits.append(index)
        if not fits:
            shown = write_exact(value) if places is None else write_decimal(value, places)
            what = "a solution" if places is None else f"a root rounded to {places} places ({rule})"
            return Judgement(False, f"{shown} is not {what}", roots)
        candidates.append(fits)
    if not every:
        return Judgement(True, "each value names a real root", roots)
    if len(values) != len(roots):
        return Judgement(
            False,
            f"the equation has {len(roots)} distinct real root(s), the answer lists {len(values)}",
            roots,
        )
    if _matching(candidates, len(roots)) < len(values):
        return Judgement(False, "the values do not name distinct roots (one is listed twice)", roots)
    return Judgement(True, f"all {len(roots)} real root(s), each once", roots)


def _matching(candidates: list[list[int]], n: int) -> int:
    """Size of a maximum matching of values to roots (augmenting paths; small n)."""
    owner = [-1] * n

    def assign(v: int, seen: set[int]) -> bool:
        for r in candidates[v]:
            if r in seen:
                continue
            seen.add(r)
            if owner[r] == -1 or assign(owner[r], seen):
                owner[r] = v
                return True
        return False

    return sum(assign(v, set()) for v in range(len(candidates)))


def _sympy_count(coefficients: list[str], lo: str | None, hi: str | None) -> int:
    """Distinct real roots of the polynomial in the closed [lo, hi] (None: unbounded), by SymPy.
    Runs in the sandbox (module-level, so it pickles by reference)."""
    from sympy import Poly, Rational, Symbol

    x = Symbol("x")
    p = Poly([Rational(c) for c in reversed(coefficients)], x).sqf_part()
    return int(p.count_roots(None if lo is None else Rational(lo), None if hi is None else Rational(hi)))


def sympy_root_count(p: Sequence[int], lo: Fraction | None = None, hi: Fraction | None = None) -> int | str:
    """`_sympy_count` in the project's killable SymPy sandbox; a string says why it failed."""
    from proofs.sympy_form import sympy_sandbox

    args = ([str(c) for c in p], None if lo is None else str(lo), None if hi is None else str(hi))
    result = sympy_sandbox().run(_sympy_count, *args, budget_s=RECHECK_BUDGET_S, memory_mb=1024)
    if not result.ok or not isinstance(result.value, int):
        return f"SymPy could not count the roots: {result.error or 'no value'}"
    return result.value


def _recheck_single(
    fresh: Parsed, problem: Problem, text: str, role: str, evidence: Mapping[str, Any]
) -> bool | str:
    """Verify the evidence's root list (sign changes, exact roots, SymPy's count), then judge."""
    p = fresh.dense or []
    deadline = time.monotonic() + 60.0
    kind = evidence.get("kind")
    if not p:
        actual = "all"
    elif len(p) == 1:
        actual = "none"
    else:
        actual = None
    if actual is not None and kind != actual:
        return (
            f"the evidence says {kind!r}, the equation is {'an identity' if actual == 'all' else 'constant'}"
        )
    g = squarefree(p, deadline) if len(p) > 1 else []
    roots: list[Root] = []
    if actual is None:
        for item in evidence.get("roots") or []:
            if "value" in item:
                v = Fraction(item["value"])
                if value_sign(g, v) != 0:
                    return f"{item['value']} is not a root"
                roots.append(Root(v, v, v))
            else:
                lo, hi = Fraction(item["lo"]), Fraction(item["hi"])
                if not lo < hi or value_sign(g, lo) * value_sign(g, hi) >= 0:
                    return f"no strict sign change on ({item['lo']}, {item['hi']})"
                roots.append(Root(lo, hi))
        roots.sort(key=lambda r: r.lo)
        for a, b in zip(roots, roots[1:]):
            if a.hi > b.lo or (a.hi == b.lo and a.value is not None and b.value is not None):
                return "the evidence's roots overlap (or one is listed twice)"
        count = sympy_root_count(g)
        if isinstance(count, str):
            return count
        if count != len(roots):
            return f"SymPy counts {count} distinct real root(s), the evidence lists {len(roots)}"
        if kind != ("roots" if roots else "none"):
            return "the evidence's kind does not fit its roots"
    line = text.strip()
    match = _COUNT.match(line) if role == "claim" else None
    if match:
        lo, hi = read_number(match.group(2)), read_number(match.group(3))
        if lo is None or hi is None or lo >= hi or actual == "all":
            return False if actual == "all" else "malformed count claim"
        return count_in(g, roots, lo, hi) == int(match.group(1))
    phrase = _phrase(line)
    state = actual or ("roots" if roots else "none")
    if phrase is not None:
        return phrase == state
    lines = read_lines(line, fresh.names, problem.fields["decimals"])
    if isinstance(lines, str):
        return lines
    if state == "all":
        return role == "claim"
    values = [entry.values[0][1:] for entry in lines]
    return judge(p, g, roots, values, problem.fields["rounding"], deadline, every=role == "answer").holds


# ---------------------------------------------------------------- linear systems


@dataclass
class SystemVerdict:
    status: Status
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)


def _linear_rows(data: Parsed) -> list[list[Fraction]]:
    """Rows [a_1 .. a_n, b] with a . x = b for each equation (P = a . x - b)."""
    n = len(data.names)
    rows = []
    for p in data.polys:
        row = [Fraction(0)] * (n + 1)
        for m, c in p.items():
            if any(m):
                row[m.index(1)] += c
            else:
                row[n] -= c
        rows.append(row)
    return rows


def eliminate(rows: list[list[Fraction]]) -> tuple[list[list[Fraction]], list[int], list[list[Fraction]]]:
    """Gauss-Jordan: (reduced rows, pivot columns, combination per reduced row): each reduced
    row is the combination (multipliers of the original rows) of the original rows."""
    m = len(rows)
    rows = [list(r) for r in rows]
    combo = [[Fraction(int(i == j)) for j in range(m)] for i in range(m)]
    pivots: list[int] = []
    r = 0
    n = len(rows[0]) - 1 if rows else 0
    for col in range(n):
        pick = next((i for i in range(r, m) if rows[i][col] != 0), None)
        if pick is None:
            continue
        rows[r], rows[pick] = rows[pick], rows[r]
        combo[r], combo[pick] = combo[pick], combo[r]
        scale = rows[r][col]
        rows[r] = [c / scale for c in rows[r]]
        combo[r] = [c / scale for c in combo[r]]
        for i in range(m):
            if i != r and rows[i][col] != 0:
                f = rows[i][col]
                rows[i] = [a - f * b for a, b in zip(rows[i], rows[r])]
                combo[i] = [a - f * b for a, b in zip(combo[i], combo[r])]
        pivots.append(col)
        r += 1
    return rows, pivots, combo


def linear_solution_set(data: Parsed) -> dict[str, Any]:
    """{'kind': 'one' | 'none' | 'many', 'solution', 'multipliers', 'null', 'minor'} (exact)."""
    rows = _linear_rows(data)
    n = len(data.names)
    reduced, pivots, combo = eliminate(rows)
    for i, row in enumerate(reduced):
        if all(c == 0 for c in row[:n]) and row[n] != 0:
            return {"kind": "none", "multipliers": combo[i]}
    solution = [Fraction(0)] * n
    for i, col in enumerate(pivots):
        solution[col] = reduced[i][n]
    if len(pivots) == n:
        # a non-singular n x n minor: the rows that produced the pivots, found greedily
        minor = _independent_rows(rows, n)
        return {"kind": "one", "solution": solution, "minor": minor}
    free = next(c for c in range(n) if c not in pivots)
    null = [Fraction(0)] * n
    null[free] = Fraction(1)
    for i, col in enumerate(pivots):
        null[col] = -reduced[i][free]
    return {"kind": "many", "solution": solution, "null": null}


def _independent_rows(rows: list[list[Fraction]], n: int) -> list[int]:
    chosen: list[int] = []
    for i in range(len(rows)):
        trial = [rows[j][:n] for j in [*chosen, i]]
        if _rank(trial) == len(chosen) + 1:
            chosen.append(i)
        if len(chosen) == n:
            break
    return chosen


def _rank(matrix: list[list[Fraction]]) -> int:
    if not matrix:
        return 0
    reduced, pivots, _ = eliminate([[*row, Fraction(0)] for row in matrix])
    return len(pivots)


def determinant(matrix: list[list[Fraction]]) -> Fraction:
    """The determinant by fraction-free cofactor-free elimination (Bareiss on scaled integers)."""
    n = len(matrix)
    scale = 1
    for row in matrix:
        for c in row:
            scale = scale * c.denominator // gcd(scale, c.denominator)
    a = [[int(c * scale) for c in row] for row in matrix]
    sign, prev = 1, 1
    for k in range(n - 1):
        if a[k][k] == 0:
            swap = next((i for i in range(k + 1, n) if a[i][k] != 0), None)
            if swap is None:
                return Fraction(0)
            a[k], a[swap] = a[swap], a[k]
            sign = -sign
        for i in range(k + 1, n):
            for j in range(k + 1, n):
                a[i][j] = (a[i][j] * a[k][k] - a[i][k] * a[k][j]) // prev
        prev = a[k][k]
    return Fraction(sign * a[n - 1][n - 1], scale**n) if n else Fraction(1)


def _satisfies(data: Parsed, env: Mapping[str, Fraction]) -> bool:
    """Exact substitution into every equation's two sides (the trees, not the polynomials)."""
    for left, right in data.trees:
        try:
            if evaluate(left, env) != evaluate(right, env):
                return False
        except (TooLarge, Undefined, NotRational):
            return False
    return True


def _line_fits(line: Line, solution: Mapping[str, Fraction], rule: str) -> bool:
    for name, value, places in line.values:
        exact = solution[name]
        if (exact if places is None else round_places(exact, places, rule)) != value:
            return False
    return True


def linear_judge(
    data: Parsed, phrase: str | None, lines: list[Line], rule: str, *, every: bool
) -> SystemVerdict:
    found = linear_solution_set(data)
    kind = found["kind"]
    evidence: dict[str, Any] = {"kind": kind}
    for key in ("solution", "multipliers", "null"):
        if key in found:
            evidence[key] = [write_exact(v) for v in found[key]]
    if "minor" in found:
        evidence["minor"] = found["minor"]
    names = data.names
    if phrase == "none":
        ok = kind == "none"
        return SystemVerdict(
            Status.PROVED if ok else Status.REFUTED,
            "no solution" if ok else "the system has solutions",
            evidence,
        )
    if phrase == "all":
        ok = kind == "many"
        why = (
            "infinitely many solutions"
            if ok
            else f"the system has {'no' if kind == 'none' else 'exactly one'} solution"
        )
        return SystemVerdict(Status.PROVED if ok else Status.REFUTED, why, evidence)
    for line in lines:
        env = {n: v for n, v, places in line.values if places is None}
        if len(env) == len(names) and not _satisfies(data, env):
            return SystemVerdict(Status.REFUTED, "a listed solution does not satisfy the equations", evidence)
    if kind == "none":
        return SystemVerdict(Status.REFUTED, "the system has no solution", evidence)
    if kind == "many":
        if every:
            return SystemVerdict(Status.REFUTED, "the system has infinitely many solutions", evidence)
        ok = all(len([1 for _, _, p in line.values if p is None]) == len(names) for line in lines)
        return SystemVerdict(
            Status.PROVED if ok else Status.UNKNOWN, "each listed solution satisfies the system", evidence
        )
    solution = dict(zip(names, found["solution"]))
    if not all(_line_fits(line, solution, rule) for line in lines):
        return SystemVerdict(Status.REFUTED, "a listed value is not the solution's", evidence)
    if every and len(lines) != 1:
        return SystemVerdict(
            Status.REFUTED, "the system has exactly one solution; it is listed more than once", evidence
        )
    return SystemVerdict(Status.PROVED, "the unique solution (substitution and a non-zero minor)", evidence)


def _recheck_linear(fresh: Parsed, problem: Problem, text: str, role: str) -> bool | str:
    """An independent route: Cramer's rule / determinants on the rows rebuilt from the task."""
    rows = _linear_rows(fresh)
    n = len(fresh.names)
    phrase = _phrase(text.strip())
    # Rank of A and of [A | b] by determinants of minors is exponential; use a different
    # elimination order instead (columns right to left), then verify the conclusions directly.
    reversed_rows = [[*reversed(r[:n]), r[n]] for r in rows]
    reduced, pivots, combo = eliminate(reversed_rows)
    inconsistent = next(
        (combo[i] for i, r in enumerate(reduced) if all(c == 0 for c in r[:n]) and r[n] != 0), None
    )
    if inconsistent is not None:
        # verify the multipliers: sum m_i * row_i = (0, ..., 0, c) with c != 0
        total = [sum((m * row[j] for m, row in zip(inconsistent, rows)), Fraction(0)) for j in range(n + 1)]
        if any(total[:n]) or total[n] == 0:
            return "the combination does not give 0 = c"
        kind = "none"
    elif len(pivots) == n:
        minor = _independent_rows(rows, n)
        square = [rows[i][:n] for i in minor]
        det = determinant(square)
        if det == 0:
            return "the chosen minor is singular"
        # Cramer's rule
        solution = []
        for col in range(n):
            replaced = [[*row[:col], rows[i][n], *row[col + 1 :]] for row, i in zip(square, minor)]
            solution.append(determinant(replaced) / det)
        env = dict(zip(fresh.names, solution))
        if not _satisfies(fresh, env):
            return "Cramer's solution does not satisfy every equation"
        kind = "one"
    else:
        kind = "many"
    if phrase == "none":
        return kind == "none"
    if phrase == "all":
        return kind == "many"
    lines = read_lines(text, fresh.names, problem.fields["decimals"])
    if isinstance(lines, str):
        return lines
    for line in lines:
        env = {name: v for name, v, places in line.values if places is None}
        if len(env) == n and not _satisfies(fresh, env):
            return False
    if kind == "none":
        return False
    if kind == "many":
        if role == "answer":
            return False
        return all(all(p is None for _, _, p in line.values) for line in lines)
    solution_map = dict(zip(fresh.names, solution))
    if not all(_line_fits(line, solution_map, problem.fields["rounding"]) for line in lines):
        return False
    return role == "claim" or len(lines) == 1


# ---------------------------------------------------------------- non-linear systems (Z3)


def _z3_term(node: Node, symbols: Mapping[str, Any]) -> Any:
    import z3

    kind = node[0]
    if kind == "num":
        return z3.RealVal(str(node[1]), ctx=next(iter(symbols.values())).ctx)
    if kind == "var":
        return symbols[node[1]]
    if kind == "neg":
        return -_z3_term(node[1], symbols)
    if kind == "sum":
        total = _z3_term(node[1][0][1], symbols)
        for sign, child in node[1][1:]:
            term = _z3_term(child, symbols)
            total = total + term if sign > 0 else total - term
        return total
    if kind == "prod":
        total = None
        for op, child in node[1]:
            term = _z3_term(child, symbols)
            total = term if total is None else (total * term if op == "*" else total / term)
        return total
    if kind == "pow":
        exponent = evaluate(node[2])
        base = _z3_term(node[1], symbols)
        if exponent.denominator != 1 or exponent < 0:
            raise NotPolynomial("a non-integer exponent")
        result = z3.RealVal(1, ctx=base.ctx)
        for _ in range(int(exponent)):
            result = result * base
        return result
    raise NotPolynomial(kind)


def _z3_query(data: Parsed, excluded: Sequence[Mapping[str, Fraction]]) -> tuple[Any, str]:
    """A fresh solver with the system and `x != s` for each excluded solution s; its script."""
    import z3

    ctx = z3.Context()
    symbols = {n: z3.Real(n, ctx) for n in data.names}
    solver = z3.Solver(ctx=ctx)
    for left, right in data.trees:
        solver.add(_z3_term(left, symbols) == _z3_term(right, symbols))
    for solution in excluded:
        solver.add(z3.Or([symbols[n] != z3.RealVal(str(v), ctx) for n, v in solution.items()], ctx))
    return solver, solver.to_smt2()


def nonlinear_solutions(data: Parsed, deadline: float) -> tuple[list[dict[str, Fraction]] | None, str]:
    """All real solutions when they are finitely many and rational (Z3 enumerates, blocking each);
    (None, why) otherwise."""
    import z3

    found: list[dict[str, Fraction]] = []
    while len(found) <= MAX_SOLUTIONS:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Budget("out of time")
        solver, _ = _z3_query(data, found)
        solver.set("timeout", max(1, int(remaining * 1000)))
        answer = solver.check()
        if answer == z3.unsat:
            return found, "complete"
        if answer != z3.sat:
            return None, f"Z3 answers {answer}"
        model = solver.model()
        solution = {}
        for name in data.names:
            value = model.eval(z3.Real(name, solver.ctx), model_completion=True)
            if not z3.is_rational_value(value):
                return None, f"a solution has an irrational value of {name}"
            solution[name] = Fraction(value.as_fraction())
        if not _satisfies(data, solution):
            return None, "Z3's model does not satisfy the equations exactly"
        found.append(solution)
    return None, f"more than {MAX_SOLUTIONS} solutions"


def nonlinear_judge(
    data: Parsed, phrase: str | None, lines: list[Line], deadline: float, *, every: bool
) -> SystemVerdict:
    import z3

    if phrase == "all":
        return SystemVerdict(
            Status.UNKNOWN, "infinitely many solutions of a non-linear system are not decided"
        )
    listed = []
    for line in lines:
        if any(places is not None for _, _, places in line.values):
            return SystemVerdict(Status.UNKNOWN, "rounded solutions of a non-linear system are not decided")
        env = {n: v for n, v, _ in line.values}
        if not _satisfies(data, env):
            return SystemVerdict(
                Status.REFUTED,
                "a listed solution does not satisfy the equations (substitution)",
                {"kind": "substitution"},
            )
        listed.append(env)
    if not every:
        return SystemVerdict(
            Status.PROVED,
            "each listed solution satisfies the equations (substitution)",
            {"kind": "substitution"},
        )
    if len({tuple(sorted(s.items())) for s in listed}) != len(listed):
        return SystemVerdict(Status.REFUTED, "a solution is listed twice", {"kind": "substitution"})
    solver, script = _z3_query(data, listed)
    solver.set("timeout", max(1, int((deadline - time.monotonic()) * 1000)))
    answer = solver.check()
    evidence = {"kind": "smt", "script": script, "expect": "unsat"}
    if answer == z3.unsat:
        return SystemVerdict(Status.PROVED, "no solution beyond those listed (Z3: unsat)", evidence)
    if answer == z3.sat:
        return SystemVerdict(
            Status.REFUTED,
            "the system has a solution that is not listed (Z3: sat)",
            {"kind": "smt", "script": script, "expect": "sat"},
        )
    return SystemVerdict(Status.UNKNOWN, f"Z3 answers {answer}")


def _recheck_nonlinear(fresh: Parsed, text: str, role: str, evidence: Mapping[str, Any]) -> bool | str:
    import z3

    phrase = _phrase(text.strip())
    if phrase == "all":
        return "not decided for non-linear systems"
    lines = read_lines(text, fresh.names, None) if phrase is None else []
    if isinstance(lines, str):
        return lines
    listed = [{n: v for n, v, _ in line.values} for line in lines]
    if not all(_satisfies(fresh, env) for env in listed):
        return False
    if role == "claim" and phrase is None:
        return True
    if len({tuple(sorted(s.items())) for s in listed}) != len(listed):
        return False
    solver, script = _z3_query(fresh, listed)
    if evidence.get("script") not in (None, script):
        return "the certificate's SMT-LIB script is not the one the task gives"
    solver.set("timeout", int(RECHECK_BUDGET_S * 1000))
    answer = solver.check()
    if answer == z3.unsat:
        return True
    if answer == z3.sat:
        return False
    return f"a fresh Z3 answers {answer}"


# ---------------------------------------------------------------- worker


class EquationsWorker:
    """Answers `roots in (A, B]`, `classify` and `solve` sub-queries with checkable claims."""

    def __init__(self, domain: Equations, *, budget_s: float = 20.0) -> None:
        self.domain, self.budget_s = domain, budget_s

    async def stream(self, request: Any) -> AsyncIterator[Any]:
        from reasoning.workers import Tokens

        text = await asyncio.to_thread(self.reply, request.task.problem, request.query)
        yield Tokens(text, len(text.split()))

    def reply(self, problem: Problem, query: str) -> str:
        try:
            body = self.answer(problem, query)
        except Budget:
            body = "# the time budget ran out"
        return f"<RETURN>\n{body}\n</RETURN>"

    def answer(self, problem: Problem, query: str) -> str:
        deadline = time.monotonic() + self.budget_s
        query = query.strip() if isinstance(query, str) else ""
        data: Parsed = problem.data
        if query.lower() in ("solve", "classify") or len(data.names) > 1:
            return self._whole(problem, deadline)
        match = _ROOTS_QUERY.match(query)
        if match is None:
            return "# equations worker: queries are 'roots in (A, B]', 'classify' or 'solve'"
        lo, hi = read_number(match.group(1)), read_number(match.group(2))
        if lo is None or hi is None or lo >= hi:
            return "# roots in (A, B]: A and B are rational numbers with A < B"
        found = self.domain.solution_set(problem, deadline)
        if found["kind"] == "all":
            return "every value"
        g = data.g or []
        inside = [r for r in found["roots"] if _inside(g, r, lo, hi)]
        lines = [f"{len(inside)} real roots in ({match.group(1)}, {match.group(2)}]"]
        return "\n".join(lines + self.domain.write_roots(problem, inside, deadline))

    def _whole(self, problem: Problem, deadline: float) -> str:
        data: Parsed = problem.data
        if len(data.names) == 1:
            found = self.domain.solution_set(problem, deadline)
            if found["kind"] == "all":
                return "every value"
            if found["kind"] == "none":
                return "no real solution"
            return "\n".join(self.domain.write_roots(problem, found["roots"], deadline))
        decimals, rule = problem.fields["decimals"], problem.fields["rounding"]
        if data.linear:
            found = linear_solution_set(data)
            if found["kind"] == "none":
                return "no solution"
            if found["kind"] == "many":
                return "infinitely many solutions"
            solutions = [dict(zip(data.names, found["solution"]))]
        else:
            listed, why = nonlinear_solutions(data, deadline)
            if listed is None:
                return f"# no exact answer: {why}"
            if not listed:
                return "no solution"
            solutions = listed
        out = []
        for solution in solutions:
            parts = []
            for name in data.names:
                value = solution[name]
                if decimals is None or not data.linear:
                    parts.append(f"{name} = {write_exact(value)}")
                else:
                    near = round_places(value, decimals, rule)
                    parts.append(f"{name} {'=' if near == value else '≈'} {write_decimal(near, decimals)}")
            out.append(", ".join(parts))
        return "\n".join(out)


# ---------------------------------------------------------------- planner


class EquationsPlanner:
    """One unknown: forks `roots in (A, B]` over `capacity` parts of (-B, B] (B a root bound),
    joins them and answers with the verified root lines; a system: one `solve` fork."""

    def __init__(self, domain: Equations, problem: Problem, *, capacity: int) -> None:
        if not isinstance(capacity, int) or capacity < 1:
            raise TaskError(f"capacity must be a positive int, got {capacity!r}")
        self.domain, self.problem, self.capacity = domain, problem, capacity
        self._turns = self._plan()
        next(self._turns)

    async def stream(self, context: str, *, seed: int) -> AsyncIterator[str]:
        try:
            turn = self._turns.send(context)
        except StopIteration:
            return
        yield turn

    def _plan(self):
        from reasoning.planner import verified_claims

        context = yield ""
        data: Parsed = self.problem.data
        if len(data.names) > 1 or not data.g or len(data.g) <= 1:
            context = yield "<FORK-1>solve</FORK-1><JOIN-1>"
            claims = verified_claims(context).get(1, [])
            yield f"<ANSWER>{chr(10).join(claims) or 'no verified answer'}</ANSWER>"
            return
        bound = Fraction(root_bound(data.g))
        parts = self.capacity
        edges = [-bound + 2 * bound * k / parts for k in range(parts + 1)]
        forks = "".join(
            f"<FORK-{i}>roots in ({write_exact(edges[i - 1])}, {write_exact(edges[i])}]</FORK-{i}>"
            for i in range(1, parts + 1)
        )
        context = yield forks + "<JOIN-1>"
        for i in range(2, parts + 1):
            context = yield f"<JOIN-{i}>"
        found = verified_claims(context)
        lines, total, complete = [], 0, True
        for i in range(1, parts + 1):
            claims = found.get(i)
            if claims is None:
                complete = False
                continue
            for claim in claims:
                if match := _COUNT.match(claim):
                    total += int(match.group(1))
                elif _phrase(claim) is None:
                    lines.append(claim)
        if complete and total == 0:
            yield "<ANSWER>no real solution</ANSWER>"
            return
        yield f"<ANSWER>{chr(10).join(_sorted_lines(lines)) or 'no verified answer'}</ANSWER>"


def _sorted_lines(lines: list[str]) -> list[str]:
    def key(line: str) -> Fraction:
        match = _ASSIGN.match(line)
        value = read_number(match.group(3)) if match else None
        return value if value is not None else Fraction(0)

    return sorted(lines, key=key)


register(Equations())
