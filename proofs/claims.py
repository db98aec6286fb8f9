"""Typed claim objects: the one tree every parser produces and every backend consumes.

Expressions and formulas are frozen dataclasses, so they hash, compare structurally and can be
cached. `to_text` prints a claim back in the claim language; parsing that text gives the same
tree again (tested), which is what lets certificates carry claims as plain text.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

# ---------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Num:
    """A non-negative exact rational literal (negation is `Neg`)."""

    value: Fraction


@dataclass(frozen=True, slots=True)
class Var:
    name: str


@dataclass(frozen=True, slots=True)
class Const:
    """A named mathematical constant: `pi`, `e` (Euler's number), `i`, `inf`."""

    name: str


@dataclass(frozen=True, slots=True)
class Neg:
    arg: Expr


@dataclass(frozen=True, slots=True)
class BinOp:
    """`op` is one of `+ - * / ^ mod`."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Call:
    """A named function applied to arguments (see FUNCTIONS for the arities)."""

    func: str
    args: tuple[Expr, ...]


Expr = Num | Var | Const | Neg | BinOp | Call

#: Function name -> allowed argument counts. `factorial` is what `n!` parses to.
FUNCTIONS: dict[str, tuple[int, ...]] = {
    "sqrt": (1,),
    "root": (2,),  # root(x, n): the principal n-th root
    "abs": (1,),
    "min": tuple(range(1, 65)),
    "max": tuple(range(1, 65)),
    "gcd": (2,),
    "lcm": (2,),
    "floor": (1,),
    "ceil": (1,),
    "mod": (2,),
    "binomial": (2,),
    "factorial": (1,),
    "exp": (1,),
    "ln": (1,),
    "log": (1, 2),  # log(x) is natural, log(x, b) is base b
    "sin": (1,),
    "cos": (1,),
    "tan": (1,),
}

#: Functions whose values are in general transcendental: exact rational evaluation and Z3's
#: decision procedures do not cover them, SymPy and interval arithmetic do.
TRANSCENDENTAL = frozenset({"exp", "ln", "log", "sin", "cos", "tan"})

# ---------------------------------------------------------------- formulas


@dataclass(frozen=True, slots=True)
class BoolConst:
    value: bool


@dataclass(frozen=True, slots=True)
class Compare:
    """A chain `t0 op0 t1 op1 t2 ...`; ops are `= != < <= > >=`."""

    ops: tuple[str, ...]
    terms: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Member:
    """`elem in {options...}`."""

    elem: Expr
    options: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Not:
    arg: Formula


@dataclass(frozen=True, slots=True)
class Connective:
    """`op` is one of `and or -> <->`."""

    op: str
    left: Formula
    right: Formula


@dataclass(frozen=True, slots=True)
class Quantified:
    """`kind` is `forall` or `exists`; `sort` is `Int` or `Real`."""

    kind: str
    names: tuple[str, ...]
    sort: str
    body: Formula


Formula = BoolConst | Compare | Member | Not | Connective | Quantified
Node = Expr | Formula

# ---------------------------------------------------------------- queries over trees


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-trees of a node, in order."""
    match node:
        case Neg(arg) | Not(arg):
            return (arg,)
        case BinOp(_, left, right) | Connective(_, left, right):
            return (left, right)
        case Call(_, args):
            return args
        case Compare(_, terms):
            return terms
        case Member(elem, options):
            return (elem, *options)
        case Quantified(_, _, _, body):
            return (body,)
    return ()


def walk(node: Node):
    """Every node of the tree, iteratively (trees can be deep; no recursion limit issues)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(children(current))


def free_variables(node: Node) -> frozenset[str]:
    """Names used but not bound by a quantifier."""
    match node:
        case Var(name):
            return frozenset({name})
        case Quantified(_, names, _, body):
            return free_variables(body) - frozenset(names)
    result: frozenset[str] = frozenset()
    for child in children(node):
        result |= free_variables(child)
    return result


def uses(node: Node, *, functions: frozenset[str] = frozenset(), constants: bool = False) -> bool:
    """True if the tree calls one of `functions` (or, with `constants`, names a constant)."""
    for sub in walk(node):
        if isinstance(sub, Call) and sub.func in functions:
            return True
        if constants and isinstance(sub, Const):
            return True
    return False


def depth(node: Node, limit: int) -> int:
    """Tree depth, counting no further than `limit` (so it is cheap on hostile input)."""
    best = 0
    stack = [(node, 1)]
    while stack:
        current, d = stack.pop()
        best = max(best, d)
        if best >= limit:
            return limit
        stack.extend((c, d + 1) for c in children(current))
    return best


# ---------------------------------------------------------------- printing

_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "mod": 2, "^": 4}


def _num_text(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    # Parsed literals are terminating decimals; print them as such so text round-trips.
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return f"({value.numerator}/{value.denominator})"
    places = max(twos, fives)
    scaled = value.numerator * 10**places // value.denominator
    whole, frac = divmod(scaled, 10**places)
    return f"{whole}.{frac:0{places}d}"


def expr_text(expr: Expr, parent_prec: int = 0) -> str:
    """Print an expression in the claim language, parenthesising only where needed."""
    match expr:
        case Num(value):
            return _num_text(value)
        case Var(name) | Const(name):
            return name
        case Neg(arg):
            # `--x` reads back as Neg(Neg(x)); bracketing each inner minus (`-(-(-x))`) made a
            # claim of 300 minus signs print past the parser's bracket nesting, so its
            # certificate no longer re-checked
            text = "-" + expr_text(arg, 1 if isinstance(arg, Neg) else 3)
            return f"({text})" if parent_prec >= 2 else text
        case Call("factorial", (arg,)):
            inner = expr_text(arg, 5)  # `(3!)!`: `3!!` reads as the (refused) double factorial
            return f"({inner})!" if isinstance(arg, Call) and arg.func == "factorial" else inner + "!"
        case Call(func, args):
            return f"{func}({', '.join(expr_text(a) for a in args)})"
        case BinOp(op, left, right):
            prec = _PREC[op]
            if op == "^":  # right-associative
                text = f"{expr_text(left, prec + 1)}^{expr_text(right, prec)}"
            else:
                sep = " mod " if op == "mod" else f" {op} "
                text = f"{expr_text(left, prec)}{sep}{expr_text(right, prec + 1)}"
            return f"({text})" if prec < parent_prec else text
    raise TypeError(f"not an expression: {expr!r}")


_FORMULA_PREC = {"<->": 1, "->": 2, "or": 3, "and": 4}


def to_text(node: Node, parent_prec: int = 0) -> str:
    """Print a formula (or expression) in the claim language; it parses back to `node`."""
    match node:
        case BoolConst(value):
            return "true" if value else "false"
        case Compare(ops, terms):
            parts = [expr_text(terms[0])]
            for op, term in zip(ops, terms[1:]):
                parts.append(f"{op} {expr_text(term)}")
            return " ".join(parts)
        case Member(elem, options):
            return f"{expr_text(elem)} in {{{', '.join(expr_text(o) for o in options)}}}"
        case Not(arg):
            return f"not {to_text(arg, 5)}"
        case Connective(op, left, right):
            prec = _FORMULA_PREC[op]
            # `->` is right-associative, the others left-associative.
            lp, rp = (prec + 1, prec) if op == "->" else (prec, prec + 1)
            text = f"{to_text(left, lp)} {op} {to_text(right, rp)}"
            return f"({text})" if prec < parent_prec else text
        case Quantified(kind, names, sort, body):
            text = f"{kind} {', '.join(names)} in {sort}: {to_text(body)}"
            return f"({text})" if parent_prec > 0 else text
    return expr_text(node)
