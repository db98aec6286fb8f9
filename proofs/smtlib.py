"""Claims -> SMT-LIB 2 scripts whose `unsat` proves (or refutes) the claim.

The script *is* the certificate: the Z3 backend solves exactly this text, and `proofs.check`
re-derives it from the claim and re-runs it in a fresh Z3 (and cvc5 where installed).

Semantics: a claim is true when it is well defined and holds. `T(f)` below says "f is defined
and true", `F(f)` "f is defined and false"; connectives are read left to right, so the guard in
`x != 0 -> 1/x > 0` protects the division. `forall` holds when its body is defined and true
for every value and is false when it is defined and false for some value (so `not (forall x:
1/x > 0 -> x > 0)` is not proved by the undefined point 0); `exists` holds when its body is
defined and true for some value and is false otherwise. All arithmetic is over the reals;
integer variables are declared `Int` and converted with `to_real`, which keeps the script
well-sorted for strict solvers such as cvc5.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

from proofs.claims import (
    TRANSCENDENTAL,
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
    children,
    free_variables,
    walk,
)
from proofs.exact import DEFAULT_LIMITS, Limits, NotExact, TooLarge, Undefined, evaluate

#: Largest integer exponent expanded into a product.
MAX_EXPANDED_POWER = 64
#: Longest translation of one sub-formula: `<->` (and `or`, `->` on their left side) use both
#: T and F of a part, so nesting can double the text at each level; past this it is Unsupported.
MAX_FORMULA_CHARS = 1_000_000
#: Highest polynomial degree a script may reach (an upper bound over the claim's terms):
#: Z3's nonlinear procedures do not poll their timeout inside high-degree polynomial work
#: (`x^2 = ((x^2)^2)...` at degree 1024 ran 16-27 s under a 2 s timeout), so past it the claim
#: is Unsupported (unknown), never a hang.
MAX_DEGREE = 128


class Unsupported(Exception):
    """The claim uses something SMT arithmetic cannot express (pi, sin, a variable exponent...)."""


def real_literal(value: Fraction) -> str:
    def whole(n: int) -> str:
        return f"{n}.0" if n >= 0 else f"(- {-n}.0)"

    if value.denominator == 1:
        return whole(value.numerator)
    return f"(/ {whole(value.numerator)} {value.denominator}.0)"


_PLAIN_SYMBOL = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def symbol(name: str) -> str:
    """An SMT-LIB symbol for a claim variable (primes need quoting)."""
    return f"v_{name}" if _PLAIN_SYMBOL.fullmatch(name) else f"|v_{name}|"


def _sized(text: str) -> str:
    """`text`, or Unsupported when it passes MAX_FORMULA_CHARS: terms repeat their arguments
    (`abs` three times, `min`/`max` twice per argument, a power n times), so nesting them grew
    the text exponentially (16 nested `abs` took 1.2 GB, 18 took 10 GB) before any check."""
    if len(text) > MAX_FORMULA_CHARS:
        raise Unsupported(f"a term's SMT-LIB text passes {MAX_FORMULA_CHARS} characters")
    return text


def _conj(parts: list[str]) -> str:
    parts = [p for p in parts if p != "true"]
    if not parts:
        return "true"
    if "false" in parts:
        return "false"
    return parts[0] if len(parts) == 1 else f"(and {' '.join(parts)})"


def _disj(parts: list[str]) -> str:
    parts = [p for p in parts if p != "false"]
    if not parts:
        return "false"
    if "true" in parts:
        return "true"
    return parts[0] if len(parts) == 1 else f"(or {' '.join(parts)})"


@dataclass
class _Translator:
    sorts: dict[str, str]  # variable name -> "Int" | "Real" (innermost binding wins)
    limits: Limits
    bound: set[str] = field(default_factory=set)
    aux_decls: list[str] = field(default_factory=list)
    aux_defs: list[str] = field(default_factory=list)
    aux_cache: dict[tuple, str] = field(default_factory=dict)
    #: T and F of each sub-formula already translated, per binding context: `or` and `->`
    #: translate both T and F of their left side, so a chain of n disjunctions took 2^n steps.
    #: Keyed by the sub-formula's id (the entry keeps the formula, so the id stays its own) and
    #: the binding context: hashing the formula itself re-hashed its whole tree at every node,
    #: and the context's sorted tuple cost every bound name per node (80 unknowns: 30 s).
    memo: dict[tuple, tuple[Formula, str]] = field(default_factory=dict)
    #: The binding context's key, built once per change of `sorts`/`bound` (None: rebuild).
    context: tuple | None = None
    integer: bool = False  # every variable is an integer: write pure integer arithmetic
    #: `constraint_term` writes a claim over Int constants only in integer arithmetic
    integer_claims: bool = False

    @property
    def zero(self) -> str:
        return "0" if self.integer else "0.0"

    def literal(self, value: Fraction) -> str:
        if self.integer and value.denominator == 1:
            n = value.numerator
            return str(n) if n >= 0 else f"(- {-n})"
        return real_literal(value)

    # ------------------------------------------------------------ terms: (smt text, WD condition)

    def term(self, expr: Expr) -> tuple[str, list[str]]:
        if not isinstance(expr, (Num, Var)) and not free_variables(expr):
            folded = self._fold(expr)
            if folded is not None:
                return folded
        match expr:
            case Num(value):
                return self.literal(value), []
            case Var(name):
                sym = symbol(name)
                return (f"(to_real {sym})" if self.sorts.get(name) == "Int" and not self.integer else sym), []
            case Const(name):
                raise Unsupported(f"the constant {name}")
            case Neg(arg):
                text, wd = self.term(arg)
                return f"(- {text})", wd
            case BinOp("^", base, exponent):
                return self._power(base, exponent)
            case BinOp(op, left, right):
                a, wd_a = self.term(left)
                b, wd_b = self.term(right)
                wd = wd_a + wd_b
                if op in "+-*":
                    return _sized(f"({op} {a} {b})"), wd
                if op == "/":
                    return _sized(f"(/ {a} {b})"), [*wd, f"(not (= {b} 0.0))"]
                if op == "mod":
                    return self._mod(a, b), [*wd, f"(not (= {b} {self.zero}))"]
            case Call(func, args):
                return self._call(func, args)
        raise Unsupported(f"cannot translate {expr!r}")

    def _fold(self, expr: Expr) -> tuple[str, list[str]] | None:
        """Closed sub-terms are evaluated exactly; an undefined one makes the claim undefined."""
        try:
            return self.literal(evaluate(expr, None, self.limits)), []
        except Undefined:
            return self.zero, ["false"]
        except TooLarge as exc:
            raise Unsupported(str(exc)) from exc
        except NotExact:
            return None

    def _mod(self, a: str, b: str) -> str:
        if self.integer:  # SMT-LIB's mod is Euclidean; ours takes the sign of the divisor
            return _sized(f"(ite (> {b} 0) (mod {a} {b}) (- (mod (- {a}) (- {b}))))")
        return _sized(f"(- {a} (* {b} (to_real (to_int (/ {a} {b})))))")

    def _power(self, base: Expr, exponent: Expr) -> tuple[str, list[str]]:
        if free_variables(exponent):
            raise Unsupported("a variable exponent")
        try:
            e = evaluate(exponent, None, self.limits)
        except (NotExact, TooLarge, Undefined) as exc:
            raise Unsupported(f"exponent: {exc}") from exc
        b, wd = self.term(base)
        if e.denominator != 1:
            if e.denominator > MAX_EXPANDED_POWER:
                raise Unsupported("root degree too large")
            root, root_wd = self._root(base, b, wd, e.denominator)
            return self._int_power(root, root_wd, e.numerator)
        return self._int_power(b, wd, e.numerator)

    def _int_power(self, b: str, wd: list[str], n: int) -> tuple[str, list[str]]:
        if abs(n) > MAX_EXPANDED_POWER:
            raise Unsupported(f"exponent {n} is too large to expand")
        if n == 0:
            return ("1" if self.integer else "1.0"), wd
        if len(b) * abs(n) > MAX_FORMULA_CHARS:
            raise Unsupported(f"a term's SMT-LIB text passes {MAX_FORMULA_CHARS} characters")
        product = b if abs(n) == 1 else f"(* {' '.join([b] * abs(n))})"
        if n > 0:
            return product, wd
        return f"(/ 1.0 {product})", [*wd, f"(not (= {b} 0.0))"]

    def _root(self, base: Expr, b: str, wd: list[str], degree: int) -> tuple[str, list[str]]:
        """The principal real root as a fresh constant r with r >= 0 and r^degree = base.

        Only for arguments without bound variables (the constant lives at the top level). The
        defining axiom is guarded by `base >= 0`, so a negative base leaves r unconstrained
        and the claim undefined there, rather than silently excluding those values.
        """
        if free_variables(base) & self.bound:
            raise Unsupported("a root of a quantified variable")
        if degree % 2 == 1:
            raise Unsupported("odd roots (conventions for negative arguments differ)")
        key = (b, degree)
        if key not in self.aux_cache:
            name = f"root_{len(self.aux_cache) + 1}"
            self.aux_cache[key] = name
            self.aux_decls.append(f"(declare-const {name} Real)")
            power = name if degree == 1 else f"(* {' '.join([name] * degree)})"
            self.aux_defs.append(f"(assert (=> (>= {b} 0.0) (and (>= {name} 0.0) (= {power} {b}))))")
        return self.aux_cache[key], [*wd, f"(>= {b} 0.0)"]

    def _call(self, func: str, args: tuple[Expr, ...]) -> tuple[str, list[str]]:
        if func in TRANSCENDENTAL:
            raise Unsupported(f"the function {func}")
        if func == "sqrt":
            b, wd = self.term(args[0])
            return self._root(args[0], b, wd, 2)
        if func == "root":
            try:
                degree = evaluate(args[1], None, self.limits)
            except (NotExact, TooLarge, Undefined) as exc:
                raise Unsupported(f"root degree: {exc}") from exc
            if degree.denominator != 1 or not 1 <= degree.numerator <= MAX_EXPANDED_POWER:
                raise Unsupported("root degree must be a small positive integer")
            b, wd = self.term(args[0])
            return self._root(args[0], b, wd, degree.numerator)
        parts = [self.term(a) for a in args]
        texts = [p[0] for p in parts]
        wd = [c for p in parts for c in p[1]]
        if func == "abs":
            a = texts[0]
            return _sized(f"(ite (>= {a} {self.zero}) {a} (- {a}))"), wd
        if func in ("min", "max"):
            cmp = "<=" if func == "min" else ">="
            result = texts[0]
            for other in texts[1:]:
                result = _sized(f"(ite ({cmp} {result} {other}) {result} {other})")
            return result, wd
        if func in ("floor", "ceil") and self.integer:
            return texts[0], wd
        if func == "floor":
            return f"(to_real (to_int {texts[0]}))", wd
        if func == "ceil":
            return f"(- (to_real (to_int (- {texts[0]}))))", wd
        if func == "mod":
            return self._mod(texts[0], texts[1]), [*wd, f"(not (= {texts[1]} {self.zero}))"]
        raise Unsupported(f"{func} of a non-constant argument")

    # ------------------------------------------------------------ formulas

    def true(self, formula: Formula) -> str:
        """T(f): f is defined and true."""
        return self._memo(True, formula)

    def false(self, formula: Formula) -> str:
        """F(f): f is defined and false."""
        return self._memo(False, formula)

    def _memo(self, polarity: bool, formula: Formula) -> str:
        if self.context is None:
            self.context = (tuple(sorted(self.sorts.items())), frozenset(self.bound))
        key = (polarity, id(formula), self.context, self.integer)
        hit = self.memo.get(key)
        if hit is not None and hit[0] is formula:
            return hit[1]
        text = self._true(formula) if polarity else self._false(formula)
        if len(text) > MAX_FORMULA_CHARS:
            raise Unsupported(f"the formula's SMT-LIB text passes {MAX_FORMULA_CHARS} characters")
        self.memo[key] = (formula, text)
        return text

    def _true(self, formula: Formula) -> str:
        match formula:
            case BoolConst(value):
                return "true" if value else "false"
            case Compare() | Member():
                holds, wd = self._atom(formula)
                return _conj([*wd, holds])
            case Not(arg):
                return self.false(arg)
            case Connective(op, left, right):
                tl, tr = self.true(left), self.true(right)
                if op == "and":
                    return _conj([tl, tr])
                fl = self.false(left)
                if op == "or":
                    return _disj([tl, _conj([fl, tr])])
                if op == "->":
                    return _disj([fl, _conj([tl, tr])])
                fr = self.false(right)
                return _disj([_conj([tl, tr]), _conj([fl, fr])])
            case Quantified(kind, names, sort, body):
                return self._quantified(kind, names, sort, body)
        raise Unsupported(f"cannot translate {formula!r}")

    def _false(self, formula: Formula) -> str:
        match formula:
            case BoolConst(value):
                return "false" if value else "true"
            case Compare() | Member():
                holds, wd = self._atom(formula)
                return _conj([*wd, f"(not {holds})"])
            case Not(arg):
                return self.true(arg)
            case Connective(op, left, right):
                tl, fl, fr = self.true(left), self.false(left), self.false(right)
                if op == "and":
                    return _disj([fl, _conj([tl, fr])])
                if op == "or":
                    return _conj([fl, fr])
                if op == "->":
                    return _conj([tl, fr])
                tr = self.true(right)
                return _disj([_conj([tl, fr]), _conj([fl, tr])])
            case Quantified("forall", names, sort, body):
                # false only at a value where the body is defined and false: a body undefined
                # somewhere (`forall x: 1/x > 0 -> x > 0` at 0) does not make its negation true
                return self._quantified("exists", names, sort, body, polarity=False)
            case Quantified():
                return f"(not {self.true(formula)})"
        raise Unsupported(f"cannot translate {formula!r}")

    def _atom(self, formula: Compare | Member) -> tuple[str, list[str]]:
        if isinstance(formula, Member):
            elem, wd = self.term(formula.elem)
            options = []
            for option in formula.options:
                text, option_wd = self.term(option)
                options.append(f"(= {elem} {text})")
                wd += option_wd
            return _disj(options), wd
        texts, wd = [], []
        for t in formula.terms:
            text, term_wd = self.term(t)
            texts.append(text)
            wd += term_wd
        links = []
        for op, a, b in zip(formula.ops, texts, texts[1:]):
            links.append(f"(not (= {a} {b}))" if op == "!=" else f"({op} {a} {b})")
        return _conj(links), list(dict.fromkeys(wd))

    def _quantified(
        self, kind: str, names: tuple[str, ...], sort: str, body: Formula, *, polarity: bool = True
    ) -> str:
        """`(kind (binders) T(body))`, or F(body) when `polarity` is False."""
        saved = {n: self.sorts.get(n) for n in names}
        saved_bound = set(self.bound)
        for n in names:
            self.sorts[n] = sort
            self.bound.add(n)
        saved_context, self.context = self.context, None
        try:
            inner = self.true(body) if polarity else self.false(body)
        finally:
            for n, s in saved.items():
                if s is None:
                    self.sorts.pop(n, None)
                else:
                    self.sorts[n] = s
            self.bound = saved_bound
            self.context = saved_context
        binders = " ".join(f"({symbol(n)} {sort})" for n in names)
        return f"({kind} ({binders}) {inner})"


_INTEGER_SAFE_CALLS = frozenset(
    {"abs", "min", "max", "mod", "floor", "ceil", "gcd", "lcm", "factorial", "binomial"}
)


def _integer_only(formula: Formula, variables: dict[str, str]) -> bool:
    """True when every variable is an integer and every operation stays in the integers, so
    the script can use Z3's integer arithmetic (much stronger with quantifiers than to_real)."""
    if not variables and not any(isinstance(n, Quantified) for n in walk(formula)):
        return False
    if any(sort != "Int" for sort in variables.values()):
        return False
    for node in walk(formula):
        match node:
            case Quantified(_, _, sort, _) if sort != "Int":
                return False
            case Num(value) if value.denominator != 1:
                return False
            case BinOp("/", _, _):
                return False
            case BinOp("^", _, exponent) if not isinstance(exponent, Num):
                return False
            case Call(func, _) if func not in _INTEGER_SAFE_CALLS:
                return False
    return True


@dataclass(frozen=True)
class SmtQuery:
    """A script plus what its answer means for the claim."""

    script: str
    mode: str  # "validity": unsat proves the claim; "witness": sat proves, unsat refutes
    variables: dict[str, str]  # variable -> sort, the constants a model assigns


def split_prefix(formula: Formula) -> tuple[str, dict[str, str], Formula]:
    """Peel the top-level quantifier prefix of one kind.

    Returns (mode, variables, body): `validity` with the free variables (reals) plus any
    top-level `forall` variables, or `witness` for a closed claim that starts with `exists`.
    """
    variables = {name: "Real" for name in sorted(free_variables(formula))}
    if not variables and isinstance(formula, Quantified) and formula.kind == "exists":
        body: Formula = formula
        while isinstance(body, Quantified) and body.kind == "exists":
            variables.update({n: body.sort for n in body.names})
            body = body.body
        return "witness", variables, body
    body = formula
    while isinstance(body, Quantified) and body.kind == "forall" and not set(body.names) & set(variables):
        variables.update({n: body.sort for n in body.names})
        body = body.body
    return "validity", variables, body


def degree_bound(formula: Formula, limits: Limits = DEFAULT_LIMITS) -> int:
    """An upper bound on the polynomial degree of every term the script for `formula` writes.

    Iterative (claims may be 400 levels deep). A product adds its factors' degrees, an integer
    power multiplies its base's by the exponent; a root (`sqrt`, `root`, a power p/q) is a fresh
    constant r of degree 1 in the term (r^p: degree |p|) whose axiom r^q = base has degree
    max(q, the base's); everything else takes the largest of its arguments' degrees. (Carrying
    the base's degree through the root refused `sqrt(x^64)^4 >= 0`, degree 64 and 4, as 256.)
    """
    degrees: dict[int, int] = {}
    stack: list[tuple[object, bool]] = [(formula, False)]
    best = 0
    while stack:
        node, done = stack.pop()
        if not done:
            stack.append((node, True))
            stack.extend((child, False) for child in children(node))
            continue
        below = [degrees.get(id(child), 0) for child in children(node)]
        axiom = 0
        match node:
            case Var():
                d = 1
            case BinOp("*" | "/" | "mod", _, _) | Call("mod" | "gcd" | "lcm", _):
                d = sum(below)
            case BinOp("^", _, exponent):
                numerator, denominator = _exponent_parts(exponent, limits)
                if denominator > 1:  # r^numerator, r a fresh constant with r^denominator = base
                    d, axiom = numerator, max(denominator, below[0])
                else:
                    d = max(below[0] * numerator, *below[1:])
            case Call("sqrt", _):
                d, axiom = 1, max(2, below[0])
            case Call("root", (_, index)):
                d, axiom = 1, max(max(_exponent_parts(index, limits)), below[0])
            case _:
                d = max(below, default=0)
        degrees[id(node)] = d
        best = max(best, d, axiom)
    return best


def _exponent_parts(exponent: Expr, limits: Limits) -> tuple[int, int]:
    """(|numerator|, denominator) of a closed exponent, each at least 1 ((1, 1) when it has none:
    a variable or unevaluable exponent is Unsupported anyway)."""
    if free_variables(exponent):
        return 1, 1
    try:
        e = evaluate(exponent, None, limits)
    except (NotExact, TooLarge, Undefined):
        return 1, 1
    return max(1, abs(e.numerator)), e.denominator


def _translated(translator: _Translator, formula: Formula) -> str:
    """T(formula) through `translator`, with the bounds every script keeps: a degree past
    MAX_DEGREE, or a claim nested too deep for the recursive translator (a few Python frames
    per level: 300 nested `forall`s raised RecursionError out of `verify`), is Unsupported."""
    degree = degree_bound(formula, translator.limits)
    if degree > MAX_DEGREE:
        raise Unsupported(f"a polynomial of degree up to {degree} (the limit is {MAX_DEGREE})")
    try:
        return translator.true(formula)
    except RecursionError as exc:
        raise Unsupported("the claim is nested too deeply for the SMT-LIB translation") from exc


def build_query(formula: Formula, limits: Limits = DEFAULT_LIMITS) -> SmtQuery:
    """The SMT-LIB 2 script for a claim. Raises Unsupported if arithmetic cannot express it."""
    mode, variables, body = split_prefix(formula)
    translator = _Translator(sorts=dict(variables), limits=limits, integer=_integer_only(formula, variables))
    core = _translated(translator, body)
    lines = ["(set-logic ALL)"]
    lines += [f"(declare-const {symbol(n)} {s})" for n, s in variables.items()]
    lines += translator.aux_decls
    lines += translator.aux_defs
    lines.append(f"(assert (not {core}))" if mode == "validity" else f"(assert {core})")
    lines.append("(check-sat)")
    return SmtQuery(script="\n".join(lines) + "\n", mode=mode, variables=variables)


@dataclass(frozen=True)
class Constraints:
    """Several claims as SMT-LIB constraints over shared constants (for joint consistency).

    `declarations` declares the shared variables and any auxiliary constants (roots) and asserts
    the auxiliaries' definitions, which are guarded and so constrain nothing else. `terms[i]` is
    T(formulas[i]), or None when formula i cannot be written (`unsupported[i]` says why).
    """

    declarations: tuple[str, ...]
    terms: tuple[str | None, ...]
    unsupported: dict[int, str]


def constraint_term(translator: _Translator, formula: Formula, variables: dict[str, str]) -> str:
    """T(formula) as one constraint over the shared constants `variables` (name -> sort), with
    `translator` (shared by the constraints of one script). Raises Unsupported.

    Free variables outside `variables` are universally closed (as Reals), which is how the
    formula would be read if it were verified on its own. When the translator's
    `integer_claims` is set, a formula over Int constants only whose every operation stays in
    the integers (`_integer_only`) is written in integer arithmetic, without `to_real`: the same
    truth value at every point (all its terms are integers), but Z3 decides integer constraints
    far better that way (read through `to_real`, `2*x - y != -5 and -2*x + y != 6` left a fresh
    Z3 without an answer for 10 s). Without it, every formula goes through `to_real`: the
    encoding of certificates written before, which checkers still accept.
    """
    extra = tuple(sorted(free_variables(formula) - set(variables)))
    if extra:
        return _translated(translator, Quantified("forall", extra, "Real", formula))
    if not translator.integer_claims:
        return _translated(translator, formula)
    own = {name: variables[name] for name in free_variables(formula)}
    translator.integer = _integer_only(formula, own)
    try:
        return _translated(translator, formula)
    finally:
        translator.integer = False


def constraint_terms(
    formulas: list[Formula],
    variables: dict[str, str],
    limits: Limits = DEFAULT_LIMITS,
    *,
    integer: bool = True,
) -> Constraints:
    """T(f) for each formula, with `variables` (name -> "Int" | "Real") as shared constants
    (see `constraint_term`; `integer=False`: every claim through `to_real`, the encoding of
    certificates written before integer claims had their own).

    One translator serves all the formulas, so auxiliary constants are numbered once and never clash.
    """
    translator = _Translator(sorts=dict(variables), limits=limits, integer_claims=integer)
    terms: list[str | None] = []
    unsupported: dict[int, str] = {}
    for index, formula in enumerate(formulas):
        try:
            terms.append(constraint_term(translator, formula, variables))
        except Unsupported as exc:
            terms.append(None)
            unsupported[index] = str(exc)
    declarations = [f"(declare-const {symbol(n)} {s})" for n, s in variables.items()]
    declarations += translator.aux_decls
    declarations += translator.aux_defs
    return Constraints(declarations=tuple(declarations), terms=tuple(terms), unsupported=unsupported)
