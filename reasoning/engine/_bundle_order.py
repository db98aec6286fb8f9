"""Declaration order of a bundle's unknowns, recovered after a JSON round trip that sorted keys.

A task's unknowns are a JSON object, and obligations and SMT-LIB scripts list the unknowns in
their declaration order, so `json.dumps(bundle, sort_keys=True)` (a common way to store JSON)
re-ordered them and every claim, join and answer of a valid run failed `reason check`. Key
order is not data: the order of a set of unknowns changes no claim's meaning (a `forall` or
`exists` chain over them says the same in any order). So before the check, each object of
unknowns is put back in the order the bundle's own evidence declares them: a consistency
certificate's in the order of its script's `declare-const` lines, the task's in the order of
the first recorded obligation that quantifies over exactly its unknowns. Only the order of keys
changes, never a name or a sort, and everything is then re-checked as usual.
"""

from __future__ import annotations

import copy
import re
from typing import Any

_DECLARE = re.compile(r"^\(declare-const v_(\S+) (?:Int|Real)\)$", re.MULTILINE)
_QUANTIFIER = re.compile(r"(?:forall|exists) ([A-Za-z_][A-Za-z_0-9']*) in (?:Int|Real): ")


def _reordered(unknowns: dict, order: list[str]) -> dict | None:
    """`unknowns` in `order` when `order` names exactly its keys, else None."""
    if len(order) != len(unknowns) or set(order) != set(unknowns):
        return None
    return {name: unknowns[name] for name in order}


def _quantified(text: Any) -> list[str]:
    """The names of the leading quantifier chain of an obligation's text (`forall x in Int: ...`)."""
    names: list[str] = []
    position = 0
    while isinstance(text, str):
        match = _QUANTIFIER.match(text, position)
        if match is None:
            break
        names.append(match.group(1))
        position = match.end()
    return names


def _obligation_texts(data: dict) -> list[Any]:
    """Recorded obligations, claims first, then the answer's (where the task's order shows)."""
    texts: list[Any] = [c.get("obligation") for c in data.get("claims") or [] if isinstance(c, dict)]
    answer = data.get("answer")
    if isinstance(answer, dict) and isinstance(answer.get("obligations"), list):
        for entry in answer["obligations"]:
            verdict = entry.get("verdict") if isinstance(entry, dict) else None
            if isinstance(verdict, dict):
                texts.append(verdict.get("claim"))
    return texts


def _restore_scripts(value: Any) -> None:
    """Every object with a `script` and `unknowns` gets its unknowns in the script's order."""
    if isinstance(value, dict):
        script, unknowns = value.get("script"), value.get("unknowns")
        if isinstance(script, str) and isinstance(unknowns, dict):
            fixed = _reordered(unknowns, _DECLARE.findall(script))
            if fixed is not None:
                value["unknowns"] = fixed
        for item in value.values():
            _restore_scripts(item)
    elif isinstance(value, list):
        for item in value:
            _restore_scripts(item)


def declaration_order(data: Any) -> Any:
    """A copy of bundle `data` with its unknowns in declaration order (`data` itself when it is
    not a JSON object); anything that does not fit is left as it is, for the check to judge."""
    if not isinstance(data, dict):
        return data
    data = copy.deepcopy(data)
    _restore_scripts(data)
    task = data.get("task")
    unknowns = task.get("unknowns") if isinstance(task, dict) else None
    if isinstance(unknowns, dict) and len(unknowns) > 1:
        for text in _obligation_texts(data):
            fixed = _reordered(unknowns, _quantified(text))
            if fixed is not None:
                task["unknowns"] = fixed
                break
    return data
