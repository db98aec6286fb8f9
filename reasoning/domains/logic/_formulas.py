"""Propositional formulas: the tree (`PropVar`, `PropConst`, `PropNot`, `PropAnd`, `PropOr`,
`PropImp`, `PropIff`; the `Prop` prefix keeps them apart from the arithmetic claim language's
`Var`, `Const` and `Not` in `proofs.claims`), its variables, its exact evaluation and its
Unicode text. No parsing (`_parser`) and no solver (`_smt`): the logic and knights_knaves
domains build on these.
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
class PropNot:
    arg: Node


@dataclass(frozen=True, slots=True)
class PropAnd:
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class PropOr:
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class PropImp:
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class PropIff:
    left: Node
    right: Node


Node = PropVar | PropConst | PropNot | PropAnd | PropOr | PropImp | PropIff


def literal(name: str, value: bool) -> Node:
    """`name` when `value` is true, else `¬name`."""
    return PropVar(name) if value else PropNot(PropVar(name))


def conjunction(items: Sequence[Node]) -> Node:
    """`⊤`, the one item, or their `∧`."""
    if not items:
        return PropConst(True)
    return items[0] if len(items) == 1 else PropAnd(tuple(items))


def variables(node: Node) -> frozenset[str]:
    """The names in `node`."""
    out: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, PropVar):
            out.add(item.name)
        elif isinstance(item, PropNot):
            stack.append(item.arg)
        elif isinstance(item, (PropAnd, PropOr)):
            stack.extend(item.args)
        elif isinstance(item, (PropImp, PropIff)):
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
    if isinstance(node, PropNot):
        return not evaluate(node.arg, assignment)
    if isinstance(node, PropAnd):
        return all(evaluate(a, assignment) for a in node.args)
    if isinstance(node, PropOr):
        return any(evaluate(a, assignment) for a in node.args)
    if isinstance(node, PropImp):
        return (not evaluate(node.left, assignment)) or evaluate(node.right, assignment)
    return evaluate(node.left, assignment) == evaluate(node.right, assignment)


def render(node: Node) -> str:
    """Unicode text, every binary connective parenthesised, `∧`/`∨` chains nested to the left
    (`((A ∧ B) ∧ C)`): what reasoning-gym's parser reads unambiguously."""
    if isinstance(node, PropVar):
        return node.name
    if isinstance(node, PropConst):
        return "⊤" if node.value else "⊥"
    if isinstance(node, PropNot):
        return "¬" + render(node.arg)
    if isinstance(node, (PropAnd, PropOr)):
        symbol = " ∧ " if isinstance(node, PropAnd) else " ∨ "
        text = render(node.args[0])
        for arg in node.args[1:]:
            text = f"({text}{symbol}{render(arg)})"
        return text
    symbol = " → " if isinstance(node, PropImp) else " ↔ "
    return f"({render(node.left)}{symbol}{render(node.right)})"
