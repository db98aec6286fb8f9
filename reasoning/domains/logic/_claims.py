"""Reading the logic domain's claim lines and final answers into `LogicQuery`s.

Claims (one line each; the premises are always assumed): `⊨ F` (or `|= F`), `A, B ⊨ F` (with
the extra assumptions A and B), `⊭ F` (`|/= F`), `model: P=1, Q=0` and `no non-trivial
conclusion`. Answers: `entailed` / `not entailed` (`valid` / `not valid`), or one formula for a
`conclude` task.
"""

from __future__ import annotations

import re

from reasoning.domains.common._claim_lines import content_lines, unreadable
from reasoning.domains.logic._formulas import FormulaError, Node, PropVar, variables
from reasoning.domains.logic._parser import is_name, parse_formula
from reasoning.domains.logic._task import MAX_CLAIM_CHARS, LogicQuery, LogicTask

#: The turnstile of an entailment claim (`⊨ |= ⊭ |/= !|=`).
TURNSTILE = re.compile(r"\|/=|!\|=|⊭|\|=|⊨")
_MODEL = re.compile(r"\s*model\s*:(.*)\Z", re.IGNORECASE | re.DOTALL)
#: A line saying `no non-trivial conclusion`.
NOTHING_LINE = re.compile(r"\s*no non-?trivial conclusion\s*\.?\s*\Z", re.IGNORECASE)
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


def parse_claim(task: LogicTask, text: str) -> LogicQuery:
    """The query a claim line states; FormulaError when it is not a claim of this domain."""
    if why := unreadable(text, what="claim", limit=MAX_CLAIM_CHARS):
        raise FormulaError(why)
    if NOTHING_LINE.match(text):
        return LogicQuery("nothing")
    if match := _MODEL.match(text):
        assignment = parse_assignment(match.group(1))
        _known(task, *map(PropVar, assignment))
        return LogicQuery("model", (tuple(sorted(assignment.items())),))
    turnstile = TURNSTILE.search(text)
    if turnstile is None:
        raise FormulaError(
            "a claim is `⊨ F`, `A, B ⊨ F`, `⊭ F`, `model: P=1, Q=0` or `no non-trivial conclusion`"
        )
    left, right = text[: turnstile.start()], text[turnstile.end() :]
    assumptions = tuple(parse_formula(part) for part in left.split(",")) if left.strip() else ()
    formula = parse_formula(right)
    _known(task, *assumptions, formula)
    return LogicQuery("entails", (assumptions, formula), negated=turnstile.group() in ("|/=", "!|=", "⊭"))


def parse_answer(task: LogicTask, text: str) -> LogicQuery:
    """The query the final answer states (by the task's question); FormulaError otherwise."""
    if why := unreadable(text, what="answer", limit=MAX_CLAIM_CHARS, empty_ok=True):
        raise FormulaError(why)
    lines = content_lines(text)
    if len(lines) != 1:
        raise FormulaError(f"the answer is one line; got {len(lines)}")
    line = lines[0]
    if task.question in ("entails", "valid"):
        word = " ".join(line.lower().rstrip(".").split())
        if word not in _YES | _NO:
            want = "'entailed' or 'not entailed'" if task.question == "entails" else "'valid' or 'not valid'"
            raise FormulaError(f"the answer is {want}, got {line[:80]!r}")
        assert task.conclusion is not None
        return LogicQuery("entails", ((), task.conclusion), negated=word in _NO)
    if NOTHING_LINE.match(line):
        return LogicQuery("nothing")
    formula = parse_formula(line)
    _known(task, formula)
    return LogicQuery("conclusion", (formula,))
