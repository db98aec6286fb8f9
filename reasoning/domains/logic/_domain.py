"""Domain `logic`: propositional entailment, validity and "what follows?" (reasoning-gym
`propositional_logic`), decided with Z3 and re-checked independently.

A task has `premises` (formulas), an optional `conclusion` and a `question`:

- `entails` (the default with a conclusion): do the premises entail the conclusion? The answer
  is `entailed` or `not entailed` (also `yes` / `no`).
- `valid`: is the conclusion valid, true under every assignment? The premises must be empty.
  The answer is `valid` or `not valid`.
- `conclude` (the default without a conclusion, reasoning-gym's question): the answer is one
  formula that the premises entail and that is not valid on its own (a tautology says nothing
  about the premises). When every premise is valid, nothing non-trivial follows and the answer
  is `no non-trivial conclusion`.

Formulas: names (`P`, `rain`, `x_1`), `⊤`/`⊥` (`true`/`false`), `¬ ∧ ∨ → ↔` and the ASCII forms
`~ ! & && | || -> => <-> <=>` and the words `not and or implies iff`, with parentheses. `¬` binds
tightest, then `∧`, `∨`, `→` (right-associative) and `↔`. The parser is an iterative
shunting-yard (no recursion), refuses text longer than `MAX_FORMULA_CHARS` and nesting deeper
than `MAX_DEPTH`, so hostile input (10 MB, 100,000 parentheses) is an error at once.

Claims (one line each; the premises are always assumed):

- `⊨ F` (or `|= F`): the premises entail F. `A, B ⊨ F`: the premises with the extra
  assumptions A and B entail F (a case of a case split). `⊭ F` (`|/= F`): they do not.
- `model: P=1, Q=0`: some model of the premises agrees with this (partial) assignment.
- `no non-trivial conclusion`: every premise is valid.

Certificates: an entailment is proved by the SMT-LIB script (declarations, the premises, the
assumptions, the negated formula) whose `unsat` `recheck` rebuilds from the task and the claim
text and re-solves in a fresh Z3 context; a non-entailment by a countermodel that `recheck`
re-evaluates exactly with this module's own evaluator (no Z3). A `conclude` answer needs both:
the entailment script and an assignment falsifying the formula alone.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import re
from abc import abstractmethod
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import z3

from proofs.verdict import Status
from reasoning.domains import register
from reasoning.domains._base import (
    Domain,
    DomainCheck,
    FieldSpec,
    Problem,
    TaskError,
    certificate,
    certificate_shape,
    check_fields,
    feedback_lines,
)
from reasoning.engine._planner import TurnPlanner, verified_claims
from reasoning.engine._workers import Chunk, Steps, WorkerRequest
from solvers.z3_context import borrowed_context, fresh_context

#: Longest formula read, in characters.
MAX_FORMULA_CHARS = 100_000
#: Deepest nesting read (parentheses, and the height of the parsed tree).
MAX_DEPTH = 200
#: Most premises (and people statements, for knights_knaves) a task may have.
MAX_PREMISES = 1_000
#: Longest claim or answer line read.
MAX_CLAIM_CHARS = 100_000
#: Seconds `recheck` gives Z3 for one re-solve.
RECHECK_BUDGET_S = 30.0
#: Premise variables up to which `conclude` computes the prime implicates (3^n clauses).
PRIME_MAX_VARS = 8
#: Most prime implicates stated in a conclusion (more: the first ones, still entailed).
MAX_IMPLICATES = 16
#: Most `decide:` forks the conclude planner issues.
MAX_DECIDE_FORKS = 32
#: Case-split variables of the entailment planner (2^k forks).
MAX_SPLIT_VARS = 4

QUESTIONS = ("entails", "valid", "conclude")
NOTHING = "no non-trivial conclusion"

# ---------------------------------------------------------------- formulas


class FormulaError(ValueError):
    """A formula that does not parse; `column` is 1-based (0 when it is about the whole text)."""

    def __init__(self, message: str, column: int = 0) -> None:
        super().__init__(f"column {column}: {message}" if column else message)
        self.column = column


@dataclass(frozen=True, slots=True)
class Var:
    name: str


@dataclass(frozen=True, slots=True)
class Const:
    value: bool


@dataclass(frozen=True, slots=True)
class Not:
    arg: Node


@dataclass(frozen=True, slots=True)
class And:
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Imp:
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Iff:
    left: Node
    right: Node


Node = Var | Const | Not | And | Or | Imp | Iff

_SYMBOLS = {
    "(": "lp",
    ")": "rp",
    "<->": "iff",
    "<=>": "iff",
    "↔": "iff",
    "⇔": "iff",
    "->": "imp",
    "=>": "imp",
    "→": "imp",
    "⇒": "imp",
    "&&": "and",
    "&": "and",
    "∧": "and",
    "/\\": "and",
    "||": "or",
    "|": "or",
    "∨": "or",
    "\\/": "or",
    "!": "not",
    "~": "not",
    "¬": "not",
    "⊤": "true",
    "⊥": "false",
}
_WORDS = {
    "and": "and",
    "or": "or",
    "not": "not",
    "implies": "imp",
    "iff": "iff",
    "true": "true",
    "false": "false",
}
#: Words that cannot be names (case-insensitive).
KEYWORDS = frozenset(_WORDS)
_TOKEN = re.compile(
    r"\s*(?:(?P<sym><->|<=>|->|=>|&&|\|\||/\\|\\/|[()&|!~¬∧∨→↔⇒⇔⊤⊥])|(?P<word>[A-Za-z_][A-Za-z0-9_]*))"
)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PREC = {"iff": 1, "imp": 2, "or": 3, "and": 4, "not": 5}
_SHOWN = {"iff": "↔", "imp": "→", "or": "∨", "and": "∧", "not": "¬", "lp": "(", "rp": ")"}


def is_name(text: str) -> bool:
    """True for a string the formula language reads as a name (not a keyword)."""
    return bool(_NAME.match(text)) and text.lower() not in KEYWORDS


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out = []
    pos, end = 0, len(text)
    while pos < end:
        match = _TOKEN.match(text, pos)
        if match is None:
            rest = text[pos:]
            if not rest.strip():
                break
            column = pos + len(rest) - len(rest.lstrip()) + 1
            raise FormulaError(f"unexpected character {text[column - 1]!r}", column)
        column = match.start(match.lastgroup) + 1
        if match.group("sym") is not None:
            out.append((_SYMBOLS[match.group("sym")], match.group("sym"), column))
        else:
            word = match.group("word")
            out.append((_WORDS.get(word.lower(), "name"), word, column))
        pos = match.end()
    return out


def parse_formula(text: str) -> Node:
    """The formula `text` (see the module docstring); FormulaError with a column otherwise."""
    if not isinstance(text, str):
        raise FormulaError(f"a formula is a string, got {type(text).__name__}")
    if len(text) > MAX_FORMULA_CHARS:
        raise FormulaError(f"the formula has {len(text)} characters; at most {MAX_FORMULA_CHARS} are read")
    tokens = _tokens(text)
    if not tokens:
        raise FormulaError("the formula is empty")
    # (node, height); a `_Chain` is an ∧/∨ still growing, so a long chain is built in linear time
    operands: list[tuple[Node | _Chain, int]] = []
    ops: list[tuple[str, int]] = []  # (kind, column)
    depth = 0

    def reduce() -> None:
        kind, column = ops.pop()
        if kind == "not":
            arg, height = operands.pop()
            node: Node | _Chain = Not(_done(arg))
        else:
            (right, h2), (left, h1) = operands.pop(), operands.pop()
            # heights of the parts below the new node (a chain's own level is shared, not added)
            h1 -= isinstance(left, _Chain) and left.kind == kind
            h2 -= isinstance(right, _Chain) and right.kind == kind
            height = max(h1, h2)
            if kind in ("and", "or"):
                node = left if isinstance(left, _Chain) and left.kind == kind else _Chain(kind, [_done(left)])
                if isinstance(right, _Chain) and right.kind == kind:
                    node.parts.extend(right.parts)
                else:
                    node.parts.append(_done(right))
            else:
                node = (Imp if kind == "imp" else Iff)(_done(left), _done(right))
        if height + 1 > MAX_DEPTH:
            raise FormulaError(f"the formula is nested deeper than {MAX_DEPTH} levels", column)
        operands.append((node, height + 1))

    expect_operand = True
    for kind, value, column in tokens:
        if expect_operand:
            if kind == "name":
                operands.append((Var(value), 1))
                expect_operand = False
            elif kind in ("true", "false"):
                operands.append((Const(kind == "true"), 1))
                expect_operand = False
            elif kind == "not":
                ops.append(("not", column))
            elif kind == "lp":
                depth += 1
                if depth > MAX_DEPTH:
                    raise FormulaError(f"parentheses nested deeper than {MAX_DEPTH}", column)
                ops.append(("lp", column))
            else:
                raise FormulaError(f"expected a name, ¬ or '(' but found {value!r}", column)
        elif kind in ("and", "or", "imp", "iff"):
            prec = _PREC[kind]
            while (
                ops
                and ops[-1][0] != "lp"
                and (_PREC[ops[-1][0]] > prec or (_PREC[ops[-1][0]] == prec and kind != "imp"))
            ):
                reduce()
            ops.append((kind, column))
            expect_operand = True
        elif kind == "rp":
            while ops and ops[-1][0] != "lp":
                reduce()
            if not ops:
                raise FormulaError("unbalanced ')': no '(' before it", column)
            ops.pop()
            depth -= 1
        else:
            raise FormulaError(f"expected an operator or ')' but found {value!r}", column)
    if expect_operand:
        raise FormulaError("the formula ends where a name, ¬ or '(' was expected", len(text.rstrip()) + 1)
    while ops:
        if ops[-1][0] == "lp":
            raise FormulaError("unbalanced '(': it is never closed", ops[-1][1])
        reduce()
    return _done(operands[0][0])


class _Chain:
    """An ∧ or ∨ chain being parsed (see `parse_formula`)."""

    __slots__ = ("kind", "parts")

    def __init__(self, kind: str, parts: list[Node]) -> None:
        self.kind, self.parts = kind, parts


def _done(item: Node | _Chain) -> Node:
    if isinstance(item, _Chain):
        return (And if item.kind == "and" else Or)(tuple(item.parts))
    return item


def variables(node: Node) -> frozenset[str]:
    """The names in `node`."""
    out: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Var):
            out.add(item.name)
        elif isinstance(item, Not):
            stack.append(item.arg)
        elif isinstance(item, (And, Or)):
            stack.extend(item.args)
        elif isinstance(item, (Imp, Iff)):
            stack += [item.left, item.right]
    return frozenset(out)


def evaluate(node: Node, assignment: Mapping[str, bool]) -> bool:
    """The truth value of `node` under `assignment` (KeyError for a name it does not give)."""
    if isinstance(node, Var):
        value = assignment[node.name]
        if not isinstance(value, bool):
            raise KeyError(node.name)
        return value
    if isinstance(node, Const):
        return node.value
    if isinstance(node, Not):
        return not evaluate(node.arg, assignment)
    if isinstance(node, And):
        return all(evaluate(a, assignment) for a in node.args)
    if isinstance(node, Or):
        return any(evaluate(a, assignment) for a in node.args)
    if isinstance(node, Imp):
        return (not evaluate(node.left, assignment)) or evaluate(node.right, assignment)
    return evaluate(node.left, assignment) == evaluate(node.right, assignment)


def render(node: Node) -> str:
    """Unicode text, every binary connective parenthesised, `∧`/`∨` chains nested to the left
    (`((A ∧ B) ∧ C)`): what reasoning-gym's parser reads unambiguously."""
    if isinstance(node, Var):
        return node.name
    if isinstance(node, Const):
        return "⊤" if node.value else "⊥"
    if isinstance(node, Not):
        return "¬" + render(node.arg)
    if isinstance(node, (And, Or)):
        symbol = " ∧ " if isinstance(node, And) else " ∨ "
        text = render(node.args[0])
        for arg in node.args[1:]:
            text = f"({text}{symbol}{render(arg)})"
        return text
    symbol = " → " if isinstance(node, Imp) else " ↔ "
    return f"({render(node.left)}{symbol}{render(node.right)})"


def smt(node: Node) -> str:
    """The SMT-LIB 2 term of `node` (names quoted as `|name|`)."""
    if isinstance(node, Var):
        return f"|{node.name}|"
    if isinstance(node, Const):
        return "true" if node.value else "false"
    if isinstance(node, Not):
        return f"(not {smt(node.arg)})"
    if isinstance(node, (And, Or)):
        return f"({'and' if isinstance(node, And) else 'or'} {' '.join(smt(a) for a in node.args)})"
    return f"({'=>' if isinstance(node, Imp) else '='} {smt(node.left)} {smt(node.right)})"


def smt_script(names: Iterable[str], asserts: Iterable[str]) -> str:
    """A QF_UF script declaring `names` (sorted) as Bool constants and asserting `asserts`."""
    lines = ["(set-logic QF_UF)"]
    lines += [f"(declare-const |{name}| Bool)" for name in sorted(set(names))]
    lines += [f"(assert {term})" for term in asserts]
    lines.append("(check-sat)")
    return "\n".join(lines) + "\n"


def solve_smt(
    script: str, names: Iterable[str], budget_s: float, *, fresh: bool = False
) -> tuple[str, dict[str, bool] | None, str]:
    """('sat' | 'unsat' | 'unknown', a model over `names` when sat, a message), with Z3's own
    timeout (no signals). A new solver each call, in a borrowed idle context, or with `fresh` in a
    brand-new context (what `recheck` uses: nothing is shared with the producer)."""
    # A borrowed idle context: creating one costs milliseconds (over 10 ms in a new thread, and
    # the engine runs checks in fresh threads).
    if fresh:
        return _run(fresh_context(), script, names, budget_s)
    with borrowed_context() as ctx:
        return _run(ctx, script, names, budget_s)


def _run(ctx: z3.Context, script: str, names: Iterable[str], budget_s: float):
    # Every Z3 object made here is released when this function returns, before the context
    # goes back to the idle list for another thread.
    solver = z3.Solver(ctx=ctx)
    solver.set("timeout", max(1, int(budget_s * 1000)))
    try:
        solver.from_string(script)
        result = solver.check()
    except z3.Z3Exception as exc:
        return "unknown", None, f"z3 failed: {exc}"
    if result == z3.sat:
        model = solver.model()
        found = {d.name(): z3.is_true(model[d]) for d in model.decls() if d.arity() == 0}
        return "sat", {name: found.get(name, False) for name in sorted(set(names))}, ""
    if result == z3.unsat:
        return "unsat", None, ""
    return "unknown", None, f"z3 gave no answer ({solver.reason_unknown()})"


def conjunction(items: Sequence[Node]) -> Node:
    """`⊤`, the one item, or their `∧`."""
    if not items:
        return Const(True)
    return items[0] if len(items) == 1 else And(tuple(items))


# ---------------------------------------------------------------- the task


@dataclass(frozen=True)
class LogicTask:
    """The parsed task: `names` are every variable the task mentions or declares, sorted."""

    premises: tuple[Node, ...]
    conclusion: Node | None
    question: str
    names: tuple[str, ...]

    @property
    def premise_names(self) -> list[str]:
        return sorted(set().union(*map(variables, self.premises))) if self.premises else []


# A query is what a claim or an answer asserts, as (kind, args, negated):
#   ("entails", (assumptions, formula))   premises ∧ assumptions ⊨ formula
#   ("model", (assignment,))               premises ∧ assignment is satisfiable
#   ("conclusion", (formula,))             premises ⊨ formula and formula is not valid
#   ("nothing", ())                        every premise is valid
@dataclass(frozen=True)
class Query:
    kind: str
    args: tuple[Any, ...] = ()
    negated: bool = False


_TURNSTILE = re.compile(r"\|/=|!\|=|⊭|\|=|⊨")
_MODEL = re.compile(r"\s*model\s*:(.*)\Z", re.IGNORECASE | re.DOTALL)
_NOTHING = re.compile(r"\s*no non-?trivial conclusion\s*\.?\s*\Z", re.IGNORECASE)
_YES = {"entailed", "yes", "true", "valid", "it follows", "follows", "entails"}
_NO = {"not entailed", "no", "false", "not valid", "invalid", "does not follow", "it does not follow"}
_LITERAL = re.compile(
    r"\s*(?:(¬|~|!|not\s+)?\s*([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(\w+))\s*\Z"
)
_TRUTH = {"1": True, "true": True, "t": True, "0": False, "false": False, "f": False}


def _known(task: LogicTask, *nodes: Node) -> None:
    unknown = sorted(set().union(*map(variables, nodes)) - set(task.names)) if nodes else []
    if unknown:
        raise FormulaError(
            f"unknown variable {', '.join(unknown)} (the task's variables: {', '.join(task.names) or 'none'})"
        )


def parse_assignment(text: str) -> dict[str, bool]:
    """`P=1, Q=false, ¬R, S`: a partial assignment; FormulaError for anything else."""
    out: dict[str, bool] = {}
    for part in text.split(","):
        match = _LITERAL.match(part)
        if match is None:
            raise FormulaError(f"{part.strip()!r} is not `name=1`, `name=0`, `name` or `¬name`")
        if match.group(2) is not None:
            name, value = match.group(2), match.group(1) is None
        else:
            name, raw = match.group(3), match.group(4).lower()
            if raw not in _TRUTH:
                raise FormulaError(f"{name}: {match.group(4)!r} is not a truth value (1, 0, true, false)")
            value = _TRUTH[raw]
        if not is_name(name):
            raise FormulaError(f"{name!r} is a keyword, not a variable")
        if out.get(name, value) != value:
            raise FormulaError(f"{name} is given both values")
        out[name] = value
    return out


def parse_claim(task: LogicTask, text: str) -> Query:
    """The query a claim line states; FormulaError when it is not a claim of this domain."""
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("the claim is empty")
    if len(text) > MAX_CLAIM_CHARS:
        raise FormulaError(f"the claim has {len(text)} characters; at most {MAX_CLAIM_CHARS} are read")
    if _NOTHING.match(text):
        return Query("nothing")
    if match := _MODEL.match(text):
        assignment = parse_assignment(match.group(1))
        _known(task, *map(Var, assignment))
        return Query("model", (tuple(sorted(assignment.items())),))
    turnstile = _TURNSTILE.search(text)
    if turnstile is None:
        raise FormulaError(
            "a claim is `⊨ F`, `A, B ⊨ F`, `⊭ F`, `model: P=1, Q=0` or `no non-trivial conclusion`"
        )
    left, right = text[: turnstile.start()], text[turnstile.end() :]
    assumptions = tuple(parse_formula(part) for part in left.split(",")) if left.strip() else ()
    formula = parse_formula(right)
    _known(task, *assumptions, formula)
    return Query("entails", (assumptions, formula), negated=turnstile.group() in ("|/=", "!|=", "⊭"))


def parse_answer(task: LogicTask, text: str) -> Query:
    """The query the final answer states (by the task's question); FormulaError otherwise."""
    if not isinstance(text, str):
        raise FormulaError("the answer is not text")
    if len(text) > MAX_CLAIM_CHARS:
        raise FormulaError(f"the answer has {len(text)} characters; at most {MAX_CLAIM_CHARS} are read")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    if len(lines) != 1:
        raise FormulaError(f"the answer is one line; got {len(lines)}")
    line = lines[0]
    if task.question in ("entails", "valid"):
        word = " ".join(line.lower().rstrip(".").split())
        if word not in _YES | _NO:
            want = "'entailed' or 'not entailed'" if task.question == "entails" else "'valid' or 'not valid'"
            raise FormulaError(f"the answer is {want}, got {line[:80]!r}")
        assert task.conclusion is not None
        return Query("entails", ((), task.conclusion), negated=word in _NO)
    if _NOTHING.match(line):
        return Query("nothing")
    formula = parse_formula(line)
    _known(task, formula)
    return Query("conclusion", (formula,))


# ---------------------------------------------------------------- deciding and re-checking


def _script_entails(task: LogicTask, assumptions: Sequence[Node], formula: Node) -> tuple[str, list[str]]:
    names = sorted(set(task.premise_names).union(*map(variables, [*assumptions, formula])))
    terms = [smt(p) for p in task.premises] + [smt(a) for a in assumptions] + [f"(not {smt(formula)})"]
    return smt_script(names, terms), names


def _script_model(task: LogicTask, assignment: Sequence[tuple[str, bool]]) -> tuple[str, list[str]]:
    names = sorted(set(task.premise_names) | {n for n, _ in assignment})
    terms = [smt(p) for p in task.premises] + [f"|{n}|" if v else f"(not |{n}|)" for n, v in assignment]
    return smt_script(names, terms), names


def _script_valid(formula: Node) -> tuple[str, list[str]]:
    names = sorted(variables(formula))
    return smt_script(names, [f"(not {smt(formula)})"]), names


def _script_nothing(task: LogicTask) -> tuple[str, list[str]]:
    names = task.premise_names
    return smt_script(names, [f"(not {smt(conjunction(task.premises))})"]), names


def decide(task: LogicTask, query: Query, budget_s: float) -> tuple[bool | None, dict[str, Any], str]:
    """(truth of the query's un-negated statement or None when unknown, evidence, message)."""
    if query.kind == "entails":
        assumptions, formula = query.args
        script, names = _script_entails(task, assumptions, formula)
        result, model, why = solve_smt(script, names, budget_s)
        if result == "unsat":
            return True, {"script": script}, "entailed (the script is unsat)"
        if result == "sat":
            return False, {"countermodel": model}, f"not entailed: countermodel {_shown(model)}"
        return None, {}, why
    if query.kind == "model":
        script, names = _script_model(task, query.args[0])
        result, model, why = solve_smt(script, names, budget_s)
        if result == "sat":
            return True, {"model": model}, f"a model of the premises: {_shown(model)}"
        if result == "unsat":
            return False, {"script": script}, "no model of the premises agrees with it (the script is unsat)"
        return None, {}, why
    if query.kind == "conclusion":
        (formula,) = query.args
        entailed, evidence, why = decide(task, Query("entails", ((), formula)), budget_s)
        if not entailed:
            return entailed, evidence, why
        script, names = _script_valid(formula)
        result, model, why = solve_smt(script, names, budget_s)
        if result == "unsat":
            return False, {"valid_script": script}, "it is valid on its own, so it says nothing"
        if result == "sat":
            evidence["falsifier"] = model
            return True, evidence, f"entailed, and not valid on its own (false at {_shown(model)})"
        return None, {}, why
    if query.kind == "nothing":
        script, names = _script_nothing(task)
        result, model, why = solve_smt(script, names, budget_s)
        if result == "unsat":
            return True, {"script": script}, "every premise is valid (the script is unsat)"
        if result == "sat":
            return False, {"countermodel": model}, f"a premise is false at {_shown(model)}"
        return None, {}, why
    raise ValueError(f"unknown query kind {query.kind!r}")


def _shown(model: Mapping[str, bool] | None) -> str:
    return ", ".join(f"{k}={int(v)}" for k, v in (model or {}).items()) or "(no variables)"


def _total(model: Any, names: Iterable[str]) -> dict[str, bool] | None:
    """`model` as an assignment when it gives a bool to every one of `names`, else None."""
    if not isinstance(model, dict) or not all(isinstance(v, bool) for v in model.values()):
        return None
    return dict(model) if set(names) <= set(model) else None


def _unsat_again(evidence: Mapping[str, Any], key: str, built: tuple[str, list[str]]) -> tuple[bool, str]:
    script, names = built
    if evidence.get(key) != script:
        return False, f"the evidence's {key} is not the script rebuilt from the task and the claim"
    result, _, why = solve_smt(script, names, RECHECK_BUDGET_S, fresh=True)
    if result != "unsat":
        return False, f"a fresh z3 says {result}, not unsat {why}".rstrip()
    return True, "the rebuilt script is unsat in a fresh z3"


def verify(task: LogicTask, query: Query, truth: bool, evidence: Mapping[str, Any]) -> tuple[bool, str]:
    """(ok, why): does `evidence` establish that the query's un-negated statement is `truth`?

    Unsat claims are re-solved from scripts rebuilt here; models are re-evaluated exactly."""
    if query.kind == "entails":
        assumptions, formula = query.args
        if truth:
            return _unsat_again(evidence, "script", _script_entails(task, assumptions, formula))
        names = set(task.premise_names).union(*map(variables, [*assumptions, formula]))
        model = _total(evidence.get("countermodel"), names)
        if model is None:
            return False, "no countermodel that gives every variable a truth value"
        if not all(evaluate(p, model) for p in [*task.premises, *assumptions]):
            return False, "the countermodel falsifies a premise or an assumption"
        if evaluate(formula, model):
            return False, "the formula is true at the countermodel"
        return True, "the countermodel satisfies the premises and falsifies the formula"
    if query.kind == "model":
        (assignment,) = query.args
        if not truth:
            return _unsat_again(evidence, "script", _script_model(task, assignment))
        model = _total(evidence.get("model"), set(task.premise_names) | {n for n, _ in assignment})
        if model is None:
            return False, "no model that gives every variable a truth value"
        if any(model[n] != v for n, v in assignment):
            return False, "the model disagrees with the claimed assignment"
        if not all(evaluate(p, model) for p in task.premises):
            return False, "the model falsifies a premise"
        return True, "the model satisfies the premises and agrees with the claim"
    if query.kind == "conclusion":
        (formula,) = query.args
        if truth:
            ok, why = verify(task, Query("entails", ((), formula)), True, evidence)
            if not ok:
                return ok, why
            falsifier = _total(evidence.get("falsifier"), variables(formula))
            if falsifier is None or evaluate(formula, falsifier):
                return False, "no assignment that falsifies the formula (it might be valid)"
            return True, "entailed (rebuilt script unsat) and false at the falsifier, so not valid"
        if "valid_script" in evidence:
            return _unsat_again(evidence, "valid_script", _script_valid(formula))
        return verify(task, Query("entails", ((), formula)), False, evidence)
    if query.kind == "nothing":
        if truth:
            return _unsat_again(evidence, "script", _script_nothing(task))
        model = _total(evidence.get("countermodel"), task.premise_names)
        if model is None or all(evaluate(p, model) for p in task.premises):
            return False, "no assignment that falsifies a premise"
        return True, "a premise is false at the countermodel, so the premises are not all valid"
    return False, f"unknown query kind {query.kind!r}"


# ---------------------------------------------------------------- what to conclude


def _clause_node(clause: Sequence[tuple[str, bool]]) -> Node:
    literals = [Var(n) if v else Not(Var(n)) for n, v in clause]
    if len(literals) == 1:
        return literals[0]
    negative = [n for n, v in clause if not v]
    if len(clause) == 2 and len(negative) == 1:  # ¬A ∨ B reads better as A → B
        positive = next(n for n, v in clause if v)
        return Imp(Var(negative[0]), Var(positive))
    return Or(tuple(literals))


def prime_implicates(premises: Sequence[Node], names: Sequence[str]) -> list[tuple[tuple[str, bool], ...]]:
    """The prime implicates of the premises over `names` (at most PRIME_MAX_VARS), smallest first.

    Truth tables as bit masks: assignment i sets names[j] to bit j of i; a clause is implied
    when every model lies inside its mask."""
    n = len(names)
    full = (1 << (1 << n)) - 1
    models = 0
    for i in range(1 << n):
        assignment = {name: bool(i >> j & 1) for j, name in enumerate(names)}
        if all(evaluate(p, assignment) for p in premises):
            models |= 1 << i
    masks = {}
    for j, name in enumerate(names):
        positive = sum(1 << i for i in range(1 << n) if i >> j & 1)
        masks[name, True], masks[name, False] = positive, full ^ positive
    found: list[tuple[tuple[str, bool], ...]] = []
    if models == 0:
        return [()]
    for size in range(1, n + 1):
        for chosen in itertools.combinations(names, size):
            for signs in itertools.product((False, True), repeat=size):
                clause = tuple(zip(chosen, signs, strict=True))
                if any(set(p) <= set(clause) for p in found):
                    continue
                mask = 0
                for literal in clause:
                    mask |= masks[literal]
                if models & ~mask & full == 0:
                    found.append(clause)
    return found


def choose_conclusion(task: LogicTask, budget_s: float) -> Node | str | None:
    """What the solver worker concludes: a formula, NOTHING, or None when Z3 gave no answer.

    The strongest conclusion over the premises' variables, as the conjunction of its prime
    implicates (`⊥` written `(P ∧ ¬P)` when the premises are inconsistent). One exception: when
    that is a single variable P, the answer is `(P ∨ Q)` for another variable Q of the task
    (∨-introduction), because reasoning-gym's scorer counts every bare variable as trivial."""
    first = task.names[0] if task.names else None
    consistent, _, _ = decide(task, Query("model", ((),)), budget_s)
    if consistent is None:
        return None
    if not consistent:
        return And((Var(first), Not(Var(first)))) if first else Const(False)
    nothing, _, _ = decide(task, Query("nothing"), budget_s)
    if nothing is None:
        return None
    if nothing:
        return NOTHING
    names = task.premise_names
    if len(names) <= PRIME_MAX_VARS:
        clauses = prime_implicates(task.premises, names)[:MAX_IMPLICATES]
    else:
        clauses = []
        for name in names[: MAX_DECIDE_FORKS * 2]:
            for value in (True, False):
                entailed, _, _ = decide(
                    task, Query("entails", ((), Var(name) if value else Not(Var(name)))), budget_s
                )
                if entailed:
                    clauses.append(((name, value),))
        if not clauses:
            return conjunction(task.premises)
    result = conjunction([_clause_node(c) for c in clauses])
    if isinstance(result, Var):
        other = next((n for n in task.names if n != result.name), None)
        if other is not None:
            return Or((result, Var(other)))
    return result


# ---------------------------------------------------------------- the domain


class QueryDomain(Domain):
    """A domain whose claim and answer texts parse into a query that a decision procedure settles
    (Z3 here) with evidence that a separate procedure re-checks: propositional logic, knights and
    knaves. Subclasses write the three hooks; checking and re-checking are shared.
    """

    @abstractmethod
    def parse_query(self, problem: Problem, text: str, role: str) -> Any:
        """The query of a claim (`role` "claim") or answer text; FormulaError when it does not parse."""

    @abstractmethod
    def decide_query(self, problem: Problem, query: Any, budget_s: float) -> tuple[bool | None, Any, str]:
        """(does the text hold, None when undecided within `budget_s`; evidence; message)."""

    @abstractmethod
    def verify_query(self, problem: Problem, query: Any, holds: bool, evidence: Any) -> tuple[bool, str]:
        """(ok, message): `holds` re-derived from the evidence alone; may raise KeyError, TypeError
        or ValueError for malformed evidence."""

    def _check(self, problem: Problem, text: str, role: str, budget_s: float) -> DomainCheck:
        try:
            query = self.parse_query(problem, text, role)
        except FormulaError as exc:
            return DomainCheck(Status.INVALID, str(exc))
        holds, evidence, message = self.decide_query(problem, query, budget_s)
        if holds is None:
            return DomainCheck(Status.UNKNOWN, message)
        cert = certificate(problem, text, role=role, holds=holds, evidence=evidence)
        return DomainCheck(Status.PROVED if holds else Status.REFUTED, message, cert)

    def check_claim(self, problem: Problem, text: str, *, budget_s: float) -> DomainCheck:
        return self._check(problem, text, "claim", budget_s)

    def check_answer(self, problem: Problem, text: str, *, budget_s: float) -> DomainCheck:
        return self._check(problem, text, "answer", budget_s)

    def recheck(self, problem: Problem, cert: Mapping[str, Any]) -> tuple[bool, str]:
        problem_ok = certificate_shape(self.name, problem, cert)
        if problem_ok is not None:
            return False, problem_ok
        try:
            query = self.parse_query(problem, cert["claim"], cert["role"])
        except FormulaError as exc:
            return False, f"the {cert['role']} does not parse: {exc}"
        try:
            return self.verify_query(problem, query, cert["holds"], cert["evidence"])
        except (KeyError, TypeError, ValueError) as exc:
            return False, f"malformed evidence: {type(exc).__name__}: {exc}"


class LogicDomain(QueryDomain):
    """Propositional entailment, validity and conclusions (see the module docstring)."""

    name = "logic"
    summary = "propositional logic: entailment, validity or a conclusion from premises (Z3)"
    reasoning_gym = ("propositional_logic",)
    fields = {
        "premises": FieldSpec("strs", "premise formulas (¬ ∧ ∨ → ↔ or ~ & | -> <->)", required=True),
        "conclusion": FieldSpec("str", "the formula asked about (entails, valid)"),
        "question": FieldSpec("str", "entails | valid | conclude (default: entails with a conclusion)"),
        "variables": FieldSpec("strs", "further variable names an answer may use", default=[]),
    }

    # ------------------------------------------------------------ parsing

    def parse(self, data: Mapping[str, Any]) -> Problem:
        values = check_fields(self, data)
        premises_text = [p.strip() for p in values["premises"]]
        if len(premises_text) > MAX_PREMISES:
            raise TaskError(f"premises: {len(premises_text)} premises; at most {MAX_PREMISES}")
        question = values["question"]
        if question is None:
            question = "entails" if values["conclusion"] is not None else "conclude"
        question = question.strip().lower()
        if question not in QUESTIONS:
            raise TaskError(f"question: {values['question']!r} is not one of {', '.join(QUESTIONS)}")
        premises = []
        for index, text in enumerate(premises_text, 1):
            try:
                premises.append(parse_formula(text))
            except FormulaError as exc:
                raise TaskError(f"premises[{index}]: {exc}") from exc
        conclusion = None
        if values["conclusion"] is not None:
            if question == "conclude":
                raise TaskError("conclusion: the question 'conclude' asks for one; give none")
            try:
                conclusion = parse_formula(values["conclusion"].strip())
            except FormulaError as exc:
                raise TaskError(f"conclusion: {exc}") from exc
        elif question != "conclude":
            raise TaskError(f"conclusion: required for the question {question!r}")
        if question == "valid" and premises:
            raise TaskError("premises: the question 'valid' is about the conclusion alone; use 'entails'")
        if question == "conclude" and not premises:
            raise TaskError("premises: empty; 'conclude' needs at least one premise")
        bad = [v for v in values["variables"] if not is_name(v)]
        if bad:
            raise TaskError(f"variables: {bad[0][:40]!r} is not a variable name")
        names = set(values["variables"]).union(*map(variables, premises))
        if conclusion is not None:
            names |= variables(conclusion)
        task = LogicTask(tuple(premises), conclusion, question, tuple(sorted(names)))
        fields = {
            "premises": premises_text,
            "conclusion": values["conclusion"].strip() if values["conclusion"] is not None else None,
            "question": question,
            "variables": list(values["variables"]),
        }
        return Problem(self.name, fields, _statement(task), task)

    def from_reasoning_gym(self, task_name: str, entry: Mapping[str, Any]) -> Problem:
        """Premises from the question text (`Given: 1. ... .2. ...`); the variable list from
        `metadata.variables` (it restates the problem: reasoning-gym's scorer only accepts those
        letters). Never the stored `example_answer`."""
        if task_name not in self.reasoning_gym:
            raise TaskError(f"the logic domain reads {', '.join(self.reasoning_gym)}, not {task_name!r}")
        question = entry.get("question") if isinstance(entry, Mapping) else None
        if not isinstance(question, str):
            raise TaskError("question: a reasoning-gym entry needs its question text")
        match = re.search(r"Given:\s*\n(.*?)What can we conclude", question, re.DOTALL)
        if match is None:
            raise TaskError("question: no 'Given: ... What can we conclude' block")
        premises = []
        for line in match.group(1).splitlines():
            line = line.strip().lstrip(".").strip()
            if not line:
                continue
            numbered = re.match(r"(\d+)\.\s*(.+)\Z", line)
            if numbered is None or int(numbered.group(1)) != len(premises) + 1:
                raise TaskError(f"question: {line[:60]!r} is not premise {len(premises) + 1}")
            premises.append(numbered.group(2).strip())
        metadata = entry.get("metadata") or {}
        names = metadata.get("variables", []) if isinstance(metadata, Mapping) else []
        return self.parse({"premises": premises, "question": "conclude", "variables": list(names)})

    # ------------------------------------------------------------ checking

    def parse_query(self, problem: Problem, text: str, role: str) -> Any:
        return (parse_claim if role == "claim" else parse_answer)(problem.data, text)

    def decide_query(self, problem: Problem, query: Any, budget_s: float) -> tuple[bool | None, Any, str]:
        truth, evidence, message = decide(problem.data, query, budget_s)
        return (None if truth is None else truth != query.negated), evidence, message

    def verify_query(self, problem: Problem, query: Any, holds: bool, evidence: Any) -> tuple[bool, str]:
        return verify(problem.data, query, holds != query.negated, evidence)

    # ------------------------------------------------------------ answers, workers, planner

    def to_reasoning_gym(self, problem: Problem, answers: Sequence[str]) -> str:
        """The conclusion in reasoning-gym's notation (Unicode, fully parenthesised); `⊥`/`⊤`
        and NOTHING become `(P ∧ ¬P)` / `(P ∨ ¬P)` over the first variable, since its parser
        has no constants."""
        if not answers:
            return ""
        task: LogicTask = problem.data
        first = task.names[0] if task.names else "P"
        if _NOTHING.match(answers[0]):
            return f"({first} ∨ ¬{first})"
        try:
            node = parse_formula(answers[0])
        except FormulaError:
            return answers[0]
        return render(_without_constants(node, first))

    def solver_worker(self) -> LogicWorker:
        return LogicWorker()

    def planner(self, problem: Problem, *, capacity: int) -> LogicPlanner:
        return LogicPlanner(problem, capacity=capacity)

    def worker_prompt(self, problem: Problem, query: str, feedback: Sequence[str] = ()) -> str:
        lines = [
            f"Task (logic): {problem.text}",
            "Answer the sub-query with claims, one per line, inside <RETURN>...</RETURN>. The premises",
            "are always assumed. Claims: `⊨ F` (the premises entail F), `A, B ⊨ F` (with the extra",
            "assumptions A, B), `⊭ F` (they do not), `model: P=1, Q=0` (a model of the premises agrees),",
            "`no non-trivial conclusion` (every premise is valid). Formulas use ¬ ∧ ∨ → ↔ and parentheses.",
            "Example: premises (P → Q), P. Sub-query: decide: Q",
            "<RETURN>\n⊨ Q\n</RETURN>",
            "Example: premises (P ∨ Q). Sub-query: entails: ¬P ⊨ Q",
            "<RETURN>\n¬P ⊨ Q\n</RETURN>",
            "Example: premises (P ∨ Q). Sub-query: entails: ⊨ P",
            "<RETURN>\n⊭ P\n</RETURN>",
            f"Sub-query: {query}",
        ]
        lines += feedback_lines(feedback)
        return "\n".join(lines)

    def organizer_prompt(self, problem: Problem) -> str:
        return (
            f"Task (logic): {problem.text}\n"
            "Split the work: <FORK-i>entails: L1, L2 ⊨ C</FORK-i> checks one case of a case split on "
            "variables, <FORK-i>decide: P</FORK-i> asks what follows about P, <FORK-i>conclude</FORK-i> "
            "asks for a conclusion; <JOIN-i> waits for the verified claims. End with "
            "<ANSWER>entailed</ANSWER> / <ANSWER>not entailed</ANSWER> (valid / not valid), or one "
            "formula for a 'conclude' task."
        )


def _without_constants(node: Node, name: str) -> Node:
    if isinstance(node, Const):
        return (Or if node.value else And)((Var(name), Not(Var(name))))
    if isinstance(node, Not):
        return Not(_without_constants(node.arg, name))
    if isinstance(node, (And, Or)):
        return type(node)(tuple(_without_constants(a, name) for a in node.args))
    if isinstance(node, (Imp, Iff)):
        return type(node)(_without_constants(node.left, name), _without_constants(node.right, name))
    return node


def _statement(task: LogicTask) -> str:
    premises = " ".join(f"{i}. {render(p)}" for i, p in enumerate(task.premises, 1)) or "(none)"
    if task.question == "valid":
        assert task.conclusion is not None
        return f"Is {render(task.conclusion)} valid (true under every assignment)? Answer 'valid' or 'not valid'."
    if task.question == "entails":
        assert task.conclusion is not None
        return (
            f"Premises: {premises} Do the premises entail {render(task.conclusion)}? "
            "Answer 'entailed' or 'not entailed'."
        )
    return (
        f"Premises: {premises} What can we conclude? Answer one formula that the premises entail "
        f"and that is not valid on its own (or '{NOTHING}' when every premise is valid)."
    )


# ---------------------------------------------------------------- the solver worker


_QUERY = re.compile(r"\s*(entails|decide|conclude)\s*(?::(.*))?\Z", re.IGNORECASE | re.DOTALL)


def _note(*lines: str) -> str:
    return "\n".join("# " + " ".join(line.split()).replace("<", "< ")[:300] for line in lines)


def _literal_text(name: str, value: bool) -> str:
    return name if value else f"¬{name}"


class LogicWorker:
    """A symbolic worker for the logic domain's sub-queries (Z3 in a thread):

    - `entails: A, B ⊨ F` (or `entails: F`): returns `A, B ⊨ F` or `A, B ⊭ F`.
    - `decide: P`: `⊨ P`, `⊨ ¬P`, both `⊭ P` and `⊭ ¬P`, or `⊨ ⊥` (inconsistent premises).
    - `conclude`: `⊨ F` for the conclusion `choose_conclusion` picks, or `no non-trivial conclusion`.

    Bad queries get `#` notes, never an exception.
    """

    def __init__(self, *, budget_s: float = 10.0) -> None:
        self.budget_s = float(budget_s)

    async def stream(self, request: WorkerRequest) -> AsyncIterator[Chunk]:
        text = await asyncio.to_thread(self.reply, request)
        yield Steps(text)  # one solver call: symbolic work is steps, not tokens

    def reply(self, request: WorkerRequest) -> str:
        problem = request.task.problem
        if problem is None or not isinstance(problem.data, LogicTask):
            return "<RETURN>\n" + _note("logic worker: the task is not a logic task") + "\n</RETURN>"
        return f"<RETURN>\n{self.answer(problem.data, request.query)}\n</RETURN>"

    def answer(self, task: LogicTask, query: str) -> str:
        """The RETURN body for `query`: claim lines, or notes."""
        match = _QUERY.match(query if isinstance(query, str) and len(query) <= MAX_CLAIM_CHARS else "")
        if match is None:
            return _note(
                f"logic worker: unrecognised query {str(query)[:80]!r}",
                "queries: entails: ..., decide: P, conclude",
            )
        verb, body = match.group(1).lower(), (match.group(2) or "").strip()
        try:
            if verb == "entails":
                claim = body if _TURNSTILE.search(body) else f"⊨ {body}"
                parsed = parse_claim(task, claim)
                if parsed.kind != "entails" or parsed.negated:
                    return _note("entails: give `A, B ⊨ F` or `F`")
                truth, _, why = decide(task, parsed, self.budget_s)
                if truth is None:
                    return _note(f"entails: {why}")
                assumptions, formula = parsed.args
                left = ", ".join(render(a) for a in assumptions)
                return f"{left + ' ' if left else ''}{'⊨' if truth else '⊭'} {render(formula)}"
            if verb == "decide":
                if not is_name(body) or body not in task.names:
                    return _note(f"decide: {body[:40]!r} is not a variable of the task")
                return self._decide(task, body)
            found = choose_conclusion(task, self.budget_s)
            if found is None:
                return _note("conclude: z3 gave no answer within the budget")
            return NOTHING if isinstance(found, str) else f"⊨ {render(found)}"
        except FormulaError as exc:
            return _note(f"{verb}: {exc}")

    def _decide(self, task: LogicTask, name: str) -> str:
        consistent, _, why = decide(task, Query("model", ((),)), self.budget_s)
        if consistent is None:
            return _note(f"decide: {why}")
        if not consistent:
            return "⊨ ⊥"
        for value in (True, False):
            literal = Var(name) if value else Not(Var(name))
            truth, _, why = decide(task, Query("entails", ((), literal)), self.budget_s)
            if truth is None:
                return _note(f"decide: {why}")
            if truth:
                return f"⊨ {_literal_text(name, value)}"
        return f"⊭ {name}\n⊭ ¬{name}"


# ---------------------------------------------------------------- the planner


class LogicPlanner(TurnPlanner):
    """The programmatic organizer of the logic domain.

    entails / valid: a case split on the k most frequent variables (2^k ≤ capacity, at least
    one): one `entails: L1, L2 ⊨ C` fork per case. Every case entailed: `entailed`; a case not
    entailed: `not entailed`. If a fork failed, one `entails: ⊨ C` fork decides it whole.

    conclude: one `decide: P` fork per premise variable. An inconsistent premise set is answered
    `(P ∧ ¬P)` at once; when every variable is decided, the answer is their conjunction;
    otherwise one `conclude` fork supplies the conclusion.
    """

    def __init__(self, problem: Problem, *, capacity: int = 4) -> None:
        if not isinstance(problem.data, LogicTask):
            raise TaskError("the logic planner needs a logic problem")
        if not isinstance(capacity, int) or capacity < 1:
            raise TaskError(f"capacity must be a positive int, got {capacity!r}")
        self.task: LogicTask = problem.data
        self.capacity = capacity
        self._start()

    def _waves(self, queries: list[str], first_id: int):
        """Fork `queries` in waves of `capacity`, joining each; sends back the last context."""
        context = ""
        for start in range(0, len(queries), self.capacity):
            wave = list(enumerate(queries[start : start + self.capacity], start=first_id + start))
            forks = "".join(f"<FORK-{i}>{q}</FORK-{i}>" for i, q in wave)
            context = yield forks + f"<JOIN-{wave[0][0]}>"
            for i, _ in wave[1:]:
                context = yield f"<JOIN-{i}>"
        return context

    def _plan(self):
        yield ""
        if self.task.question == "conclude":
            yield from self._conclude()
        else:
            yield from self._entails()

    def _entails(self):
        task = self.task
        assert task.conclusion is not None
        yes, no = ("valid", "not valid") if task.question == "valid" else ("entailed", "not entailed")
        counts: dict[str, int] = {}
        for node in [*task.premises, task.conclusion]:
            for name in variables(node):
                counts[name] = counts.get(name, 0) + 1
        ranked = sorted(counts, key=lambda n: (-counts[n], n))
        k = min(len(ranked), MAX_SPLIT_VARS, max(1, int(math.log2(self.capacity))))
        conclusion = render(task.conclusion)
        cases = [
            ", ".join(_literal_text(n, v) for n, v in zip(ranked[:k], values, strict=True))
            for values in itertools.product((True, False), repeat=k)
        ]
        queries = [
            f"entails: {case} ⊨ {conclusion}" if case else f"entails: ⊨ {conclusion}" for case in cases
        ]
        context = yield from self._waves(queries, 1)
        claims = verified_claims(context)
        found = [self._queries(claims.get(i, [])) for i in range(1, len(queries) + 1)]
        if any(q.kind == "entails" and q.negated for fork in found for q in fork):
            yield f"<ANSWER>{no}</ANSWER>"
            return
        if all(any(q.kind == "entails" and not q.negated for q in fork) for fork in found):
            yield f"<ANSWER>{yes}</ANSWER>"
            return
        whole = len(queries) + 1
        context = yield f"<FORK-{whole}>entails: ⊨ {conclusion}</FORK-{whole}><JOIN-{whole}>"
        claims_whole = self._queries(verified_claims(context).get(whole, []))
        yield f"<ANSWER>{no if any(q.kind == 'entails' and q.negated for q in claims_whole) else yes}</ANSWER>"

    def _conclude(self):
        task = self.task
        names = task.premise_names[:MAX_DECIDE_FORKS]
        context = yield from self._waves([f"decide: {n}" for n in names], 1)
        # what the verified claims `⊨ L` (no assumptions) say: literals, or ⊥
        entailed = [
            q.args[1]
            for found in verified_claims(context).values()
            for q in self._queries(found)
            if q.kind == "entails" and not q.negated and not q.args[0]
        ]
        first = task.names[0] if task.names else None
        if Const(False) in entailed and first is not None:
            yield f"<ANSWER>{render(And((Var(first), Not(Var(first)))))}</ANSWER>"
            return
        literals = [
            n for n in entailed if isinstance(n, Var) or (isinstance(n, Not) and isinstance(n.arg, Var))
        ]
        decided = {n.name if isinstance(n, Var) else n.arg.name for n in literals}
        if len(decided) == len(task.premise_names) > 1:
            ordered = sorted(set(literals), key=lambda n: n.name if isinstance(n, Var) else n.arg.name)
            yield f"<ANSWER>{render(conjunction(ordered))}</ANSWER>"
            return
        whole = len(names) + 1
        context = yield f"<FORK-{whole}>conclude</FORK-{whole}><JOIN-{whole}>"
        found = self._queries(verified_claims(context).get(whole, []))
        answer = NOTHING
        for query in found:
            if query.kind == "entails" and not query.negated and not query.args[0]:
                answer = render(query.args[1])
        yield f"<ANSWER>{answer}</ANSWER>"

    def _queries(self, claims: Iterable[str]) -> list[Query]:
        """The queries of verified claim lines (any notation a worker used)."""
        out = []
        for claim in claims:
            try:
                out.append(parse_claim(self.task, claim))
            except FormulaError:
                continue
        return out


register(LogicDomain())
