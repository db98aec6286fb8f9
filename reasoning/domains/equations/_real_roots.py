"""The real roots of a polynomial in one unknown, isolated, counted and rounded exactly.

Sturm's theorem counts the distinct real roots in an interval from the sign changes of a chain
of polynomial remainders. Every step here is exact rational (mostly integer) arithmetic, so a
count is a proof, not an estimate: `squarefree` makes every root simple, `isolate` bisects a
root bound's interval until each root has its own open interval with a strict sign change (a
`Root`), `refine_for_rounding` shrinks that interval until no rounding boundary lies inside it
(so every point of it rounds alike; a boundary that is itself a root makes the root exact), and
`make_exact` finds a rational root exactly. Long loops check a deadline and raise `BudgetExceeded`
(never a signal).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import gcd

from reasoning.domains.common._numerals import round_places, write_exact
from reasoning.domains.equations._polynomials import Poly, degree


class BudgetExceeded(Exception):
    """The time budget ran out (checked at loop heads: no signals)."""


Dense = list[Fraction]  # coefficients, index = power, no trailing zeros


def dense(p: Poly) -> Dense:
    out = [Fraction(0)] * (degree(p) + 1)
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
        raise BudgetExceeded("the time budget ran out")


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
            raise BudgetExceeded("no split point")
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
        if lies_in(g, root, lo, hi):
            total += 1
    return total


def lies_in(g: Sequence[int], root: Root, lo: Fraction | None, hi: Fraction | None) -> bool:
    for c in (lo, hi):
        if c is not None and root.value is None and root.lo < c < root.hi:
            root = split_at(g, root, c)
    point = root.value if root.value is not None else (root.lo + root.hi) / 2
    # an interval root never straddles lo or hi now, so its midpoint is on the root's side
    return (lo is None or point > lo) and (hi is None or point <= hi)
