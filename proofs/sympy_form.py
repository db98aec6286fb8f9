"""Claims trees -> SymPy objects, and the identity check that runs inside a sandbox worker.

SymPy objects are built directly from the tree (no strings, no `sympify`, no eval); variables
are real symbols. A claim is true iff it is defined and holds, and SymPy happily rewrites
`x/x` to `1`, so definedness is settled on the claim tree *before* SymPy sees an expression:

* with free variables, a partial operation (division, negative or fractional power, sqrt,
  root, log, tan, gcd, lcm, mod, factorial, binomial) must have constant arguments;
* a constant argument must be shown fit (non-zero, non-negative, positive, integer) by its exact
  rational value, or else by SymPy's assumptions *and* a rigorous interval enclosure
  (`proofs.interval`) together.

Only then is `lhs - rhs` reduced, cheapest method first (SymPy's automatic evaluation,
`expand`, `simplify`); `proved` needs the result to be exactly `0`, never a float.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import sympy
from mpmath.ctx_iv import MPIntervalContext

from proofs import exact, interval
from proofs.claims import BinOp, Call, Compare, Const, Expr, Neg, Num, Var, free_variables
from proofs.parsing import ParseFailure, parse_claim
from proofs.sandbox import Sandbox

#: Reduction methods, cheapest first; a certificate names the one that reached zero.
METHODS = ("evaluate", "expand", "simplify")
#: Seconds and MB a re-check of a certificate may use.
RECHECK_BUDGET_S = 10.0
RECHECK_MEMORY_MB = 1024
#: Largest n for n!, and most bits of an exact power or binomial, built in SymPy.
MAX_FACTORIAL = 100_000
MAX_BITS = 1_000_000
#: Longest SymPy expression text quoted in a message.
MAX_SHOWN = 200
_INTERVAL_DIGITS = 40


class SympyUnsupported(Exception):
    """The claim cannot be translated, or a partial operation cannot be shown defined."""


class ShownUndefined(Exception):
    """A partial operation is exactly undefined (1/0, sqrt(-1), (-1)!): the claim is false."""


def _fits(value: sympy.Rational, need: str) -> bool:
    if need == "nonzero":
        return value != 0
    if need == "nonnegative":
        return value >= 0
    return value > 0


def _sympy_fact(value: sympy.Expr, need: str) -> bool | None:
    if need == "nonzero":
        return None if value.is_zero is None else not value.is_zero
    if need == "nonnegative":
        return value.is_nonnegative
    return value.is_positive


def _box_fits(box: Any, need: str) -> bool:
    if need == "nonzero":
        return box.a > 0 or box.b < 0
    if need == "nonnegative":
        return box.a >= 0
    return box.a > 0


def _bits(value: sympy.Rational) -> int:
    return max(int(value.p).bit_length(), int(value.q).bit_length())


class Translator:
    """Builds SymPy expressions from claim expressions, checking each partial operation."""

    def __init__(self) -> None:
        self.symbols: dict[str, sympy.Symbol] = {}
        self._ctx: MPIntervalContext | None = None

    def expr(self, node: Expr) -> sympy.Expr:
        """The SymPy form of `node` (raises SympyUnsupported or ShownUndefined)."""
        match node:
            case Num(value):
                return sympy.Rational(value.numerator, value.denominator)
            case Var(name):
                if name not in self.symbols:
                    self.symbols[name] = sympy.Symbol(name, real=True)
                return self.symbols[name]
            case Const("pi"):
                return sympy.pi
            case Const("e"):
                return sympy.E
            case Const(name):
                raise SympyUnsupported(f"the constant {name} is not a real number")
            case Neg(arg):
                return -self.expr(arg)
            case BinOp(op, left, right):
                return self._binop(op, left, right)
            case Call(func, args):
                return self._call(func, args)
        raise SympyUnsupported(f"cannot translate {type(node).__name__}")

    # -- definedness

    def require(
        self, node: Expr, value: sympy.Expr, need: str, what: str, *, else_undefined: bool = True
    ) -> None:
        """Show `value` (the SymPy form of `node`) is `need` ('nonzero' | 'nonnegative' | 'positive').

        A rational value that does not fit makes the claim undefined (`else_undefined`) or,
        where our semantics do not say, undecided.
        """
        if free_variables(node):
            raise SympyUnsupported(f"{what} of an expression with variables may be undefined")
        if value.is_Rational:
            if not _fits(value, need):
                raise (ShownUndefined if else_undefined else SympyUnsupported)(f"{what} of {value}")
            return
        if _sympy_fact(value, need) is not True or not self._interval_fits(node, need):
            raise SympyUnsupported(f"cannot show the argument of {what} is {need}: {_short(value)}")

    def _interval_fits(self, node: Expr, need: str) -> bool:
        if self._ctx is None:
            self._ctx = MPIntervalContext()
            self._ctx.dps = _INTERVAL_DIGITS
        try:
            box = interval.enclose(node, {}, self._ctx)
        except (interval.Undecided, exact.Undefined, ArithmeticError, ValueError):
            return False
        return _box_fits(box, need)

    def _integer(self, node: Expr, value: sympy.Expr, what: str, *, strict: bool = True) -> int:
        """A constant exact integer argument; a non-integer rational is undefined if `strict`."""
        if free_variables(node):
            raise SympyUnsupported(f"{what} of an expression with variables")
        if value.is_Integer:
            return int(value)
        if value.is_Rational and strict:
            raise ShownUndefined(f"{what} needs an integer, got {value}")
        raise SympyUnsupported(f"{what} needs an exact integer, got {_short(value)}")

    # -- operators and functions

    def _binop(self, op: str, left: Expr, right: Expr) -> sympy.Expr:
        a, b = self.expr(left), self.expr(right)
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            self.require(right, b, "nonzero", "a division")
            return a / b
        if op == "mod":
            return self._mod(left, right, a, b)
        return self._power(left, a, b)

    def _power(self, base: Expr, a: sympy.Expr, n: sympy.Expr) -> sympy.Expr:
        if n.is_Integer:
            if n < 0:
                self.require(base, a, "nonzero", "a negative power")
            if a.is_number and a not in (0, 1, -1) and abs(n) > MAX_BITS:
                raise SympyUnsupported(f"the exponent {n} is too large")
            if a.is_Rational and a not in (0, 1, -1) and abs(n) * _bits(a) > MAX_BITS:
                raise SympyUnsupported(f"a power would exceed {MAX_BITS} bits")
        elif n.is_Rational:
            if a.is_Rational and a < 0 and n.q % 2 == 1:
                raise SympyUnsupported("odd roots of negative numbers (conventions differ)")
            self.require(base, a, "positive" if n < 0 else "nonnegative", "a fractional power")
        else:  # a real exponent: only positive bases are defined for all of them
            self.require(base, a, "positive", "a power with a non-rational exponent", else_undefined=False)
        return sympy.Pow(a, n)

    def _mod(self, left: Expr, right: Expr, a: sympy.Expr, b: sympy.Expr) -> sympy.Expr:
        if free_variables(left):
            raise SympyUnsupported("mod of an expression with variables")
        self.require(right, b, "nonzero", "mod")
        return sympy.Mod(a, b)

    def _call(self, func: str, args: tuple[Expr, ...]) -> sympy.Expr:
        values = [self.expr(arg) for arg in args]
        x = values[0]
        simple: dict[str, Callable[..., sympy.Expr]] = {
            "abs": sympy.Abs,
            "min": sympy.Min,
            "max": sympy.Max,
            "floor": sympy.floor,
            "ceil": sympy.ceiling,
            "exp": sympy.exp,
            "sin": sympy.sin,
            "cos": sympy.cos,
        }
        if func in simple:
            return simple[func](*values)
        match func:
            case "sqrt":
                self.require(args[0], x, "nonnegative", "sqrt")
                return sympy.sqrt(x)
            case "root":
                return self._root(args, values)
            case "ln" | "log":
                self.require(args[0], x, "positive", func)
                if len(values) == 1:
                    return sympy.log(x)
                self.require(args[1], values[1], "positive", "a logarithm base")
                self.require(
                    BinOp("-", args[1], Num(Fraction(1))), values[1] - 1, "nonzero", "a logarithm base - 1"
                )
                return sympy.log(x, values[1])
            case "tan":
                self.require(Call("cos", args), sympy.cos(x), "nonzero", "tan (its cosine)")
                return sympy.tan(x)
            case "mod":
                return self._mod(args[0], args[1], x, values[1])
            case "gcd" | "lcm":
                a, b = (
                    sympy.Integer(self._integer(arg, v, func, strict=False)) for arg, v in zip(args, values)
                )
                return sympy.gcd(a, b) if func == "gcd" else sympy.lcm(a, b)
            case "factorial":
                n = self._integer(args[0], x, "factorial")
                if n < 0:
                    raise ShownUndefined(f"factorial of {n}")
                if n > MAX_FACTORIAL:
                    raise SympyUnsupported(f"{n}! is too large")
                return sympy.factorial(sympy.Integer(n))
            case "binomial":
                n, k = (self._integer(arg, v, "binomial") for arg, v in zip(args, values))
                if n < 0:
                    raise SympyUnsupported("binomial of a negative number")
                if min(k, n - k) * max(1, n.bit_length()) > MAX_BITS:
                    raise SympyUnsupported(f"binomial({n}, {k}) is too large")
                return sympy.binomial(sympy.Integer(n), sympy.Integer(k))
        raise SympyUnsupported(f"no SymPy form for {func}")

    def _root(self, args: tuple[Expr, ...], values: list[sympy.Expr]) -> sympy.Expr:
        degree = self._integer(args[1], values[1], "a root degree")
        if degree < 1:
            raise ShownUndefined(f"root degree {degree}")
        x = values[0]
        if x.is_Rational and x < 0 and degree % 2 == 1:
            raise SympyUnsupported("odd roots of negative numbers (conventions differ)")
        self.require(args[0], x, "nonnegative", "root")
        return sympy.root(x, degree)


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "..."


def _reduce(difference: sympy.Expr, methods: Sequence[str]) -> tuple[str, sympy.Expr]:
    """Try each method on the difference, cheapest first; stop at the first exact rational."""
    reduced, name = difference, "evaluate"
    for name in methods:
        if name == "expand":
            reduced = sympy.expand(difference)
        elif name == "simplify":
            reduced = sympy.simplify(difference)
        if reduced.is_Rational:
            break
    return name, reduced


def _surely_nonzero(value: sympy.Expr) -> bool:
    """Exactly non-zero: a non-zero rational, or non-zero for all reals by SymPy's assumptions."""
    if value.is_Rational:
        return value != 0
    if not value.free_symbols:
        return False  # a closed irrational: interval arithmetic decides those, not us
    if value.atoms(sympy.NumberSymbol) or any(f.is_number for f in value.atoms(sympy.Function)):
        return False
    return value.is_zero is False


def _outcome(status: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"status": status, "message": message, **extra}


def check_claim_text(text: str, methods: Sequence[str] = METHODS) -> dict[str, Any]:
    """Decide `lhs = rhs` or `lhs != rhs` (free variables are reals); runs inside a worker.

    Returns plain data: status ('proved' | 'refuted' | 'unknown'), message, and when decided
    also holds (bool), method and difference (text of the reduced lhs - rhs).
    """
    formula = parse_claim(text)
    if isinstance(formula, ParseFailure):
        return _outcome("unknown", f"the claim does not parse: {formula.describe()}")
    if not (isinstance(formula, Compare) and len(formula.ops) == 1 and formula.ops[0] in ("=", "!=")):
        return _outcome("unknown", "SymPy decides only single `lhs = rhs` and `lhs != rhs` claims")
    equal = formula.ops[0] == "="
    translator = Translator()
    try:
        lhs, rhs = (translator.expr(term) for term in formula.terms)
    except ShownUndefined as exc:
        return _outcome(
            "refuted", f"the claim is undefined: {exc}", holds=False, method="evaluate", difference=""
        )
    except SympyUnsupported as exc:
        return _outcome("unknown", str(exc))
    method, reduced = _reduce(lhs - rhs, methods)
    shown = _short(reduced)
    if reduced == sympy.S.Zero:
        note = f"lhs - rhs reduces to 0 by {method}, and every partial operation is defined"
        if not equal:
            note = f"lhs - rhs reduces to 0 by {method}: both sides are defined and equal everywhere"
        return _outcome("proved" if equal else "refuted", note, holds=equal, method=method, difference="0")
    if _surely_nonzero(reduced):
        note = f"lhs - rhs reduces to {shown} by {method}, which is never 0"
        return _outcome(
            "refuted" if equal else "proved", note, holds=not equal, method=method, difference=shown
        )
    return _outcome("unknown", f"lhs - rhs reduces to {shown}, not to 0")


# ---------------------------------------------------------------- the shared sandbox

_lock = threading.Lock()
_sandbox: Sandbox | None = None


def sympy_sandbox() -> Sandbox:
    """The process-wide sandbox whose workers have SymPy (and this module) imported."""
    global _sandbox
    with _lock:
        if _sandbox is None or _sandbox.closed:
            _sandbox = Sandbox(preload=("proofs.sympy_form",))
        return _sandbox


def run_check(
    claim: str, *, budget_s: float, memory_mb: int, methods: Sequence[str] = METHODS
) -> tuple[dict[str, Any] | None, str]:
    """`check_claim_text` in the sandbox: (outcome, '') or (None, why it did not finish)."""
    result = sympy_sandbox().run(
        check_claim_text, claim, tuple(methods), budget_s=budget_s, memory_mb=memory_mb
    )
    if result.timed_out:
        return None, f"sympy: budget of {budget_s:g} s exhausted"
    if not result.ok:
        return None, f"sympy: {result.error}"
    return result.value, ""


def recheck_sympy_certificate(cert: dict[str, Any]) -> tuple[bool, str]:
    """Re-parse cert['claim'] and re-run the check (up to cert['method']) in the sandbox.

    The certificate holds when the fresh run decides the claim the same way (`holds`, default
    True) with the same reduced difference (`difference`, default "0").
    """
    claim, method = cert.get("claim"), cert.get("method", "simplify")
    holds, difference = cert.get("holds", True), cert.get("difference", "0")
    if not isinstance(claim, str) or method not in METHODS or not isinstance(holds, bool):
        return False, "a sympy certificate needs a claim, a method in " + ", ".join(
            METHODS
        ) + " and a boolean holds"
    outcome, why = run_check(
        claim,
        budget_s=RECHECK_BUDGET_S,
        memory_mb=RECHECK_MEMORY_MB,
        methods=METHODS[: METHODS.index(method) + 1],
    )
    if outcome is None:
        return False, f"re-check did not finish: {why}"
    if outcome["status"] == "unknown":
        return False, f"re-check does not decide the claim: {outcome['message']}"
    if outcome["holds"] != holds:
        return (
            False,
            f"re-check finds the claim {'holds' if outcome['holds'] else 'fails'}: {outcome['message']}",
        )
    if outcome["difference"] != str(difference):
        return False, f"re-check reduces lhs - rhs to {outcome['difference']!r}, not {difference!r}"
    return True, f"SymPy re-check: {outcome['message']}"
