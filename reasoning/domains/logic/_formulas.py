"""Propositional formulas: the tree (`PropVar`, `PropConst`, `Not`, `And`, `Or`, `Imp`, `Iff`),
its variables, its exact evaluation and its Unicode text. No parsing (`_parser`) and no solver
(`_smt`): the logic and knights_knaves domains build on these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


class FormulaError(ValueError):
    """A formula, claim or answer that does not read; `column` is 1-based (0 when it is about
    the whole text)."""

    def __init__(self, message: str, column: int = 0) -> None:
        super().__init__(f"column {column}: {message}" if column else message)
        self.column = column


@dataclass(frozen=True, slots=True)
class PropVar:
    """A propositional variable."""

    name: str


@dataclass(frozen=True, slots=True)
class PropConst:
    """`⊤` (True) or `⊥` (False)."""

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


Node = PropVar | PropConst | Not | And | Or | Imp | Iff


def literal(name: str, value: bool) -> Node:
    """`name` when `value` is true, else `¬name`."""
    return PropVar(name) if value else Not(PropVar(name))


def conjunction(items: Sequence[Node]) -> Node:
    """`⊤`, the one item, or their `∧`."""
    if not items:
        return PropConst(True)
    return items[0] if len(items) == 1 else And(tuple(items))


def variables(node: Node) -> frozenset[str]:
    """The names in `node`."""
    out: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, PropVar):
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
    if isinstance(node, PropVar):
        value = assignment[node.name]
        if not isinstance(value, bool):
            raise KeyError(node.name)
        return value
    if isinstance(node, PropConst):
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
    if isinstance(node, PropVar):
        return node.name
    if isinstance(node, PropConst):
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
