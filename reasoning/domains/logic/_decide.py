"""Deciding a logic query with Z3 and re-checking its evidence without trusting the producer.

`decide` settles a `LogicQuery` and returns evidence: the SMT-LIB script whose `unsat` shows an
entailment, or a (counter)model. `verify` re-establishes the result from the evidence alone:
scripts are rebuilt from the task and the query and re-solved in a fresh Z3 context, models are
re-evaluated exactly with `_formulas.evaluate` (no Z3).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from reasoning.domains.logic._formulas import Node, conjunction, evaluate, variables
from reasoning.domains.logic._smt import smt, smt_script, solve_smt
from reasoning.domains.logic._task import RECHECK_BUDGET_S, LogicQuery, LogicTask


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


def decide(task: LogicTask, query: LogicQuery, budget_s: float) -> tuple[bool | None, dict[str, Any], str]:
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
        entailed, evidence, why = decide(task, LogicQuery("entails", ((), formula)), budget_s)
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


def verify(task: LogicTask, query: LogicQuery, truth: bool, evidence: Mapping[str, Any]) -> tuple[bool, str]:
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
            ok, why = verify(task, LogicQuery("entails", ((), formula)), True, evidence)
            if not ok:
                return ok, why
            falsifier = _total(evidence.get("falsifier"), variables(formula))
            if falsifier is None or evaluate(formula, falsifier):
                return False, "no assignment that falsifies the formula (it might be valid)"
            return True, "entailed (rebuilt script unsat) and false at the falsifier, so not valid"
        if "valid_script" in evidence:
            return _unsat_again(evidence, "valid_script", _script_valid(formula))
        return verify(task, LogicQuery("entails", ((), formula)), False, evidence)
    if query.kind == "nothing":
        if truth:
            return _unsat_again(evidence, "script", _script_nothing(task))
        model = _total(evidence.get("countermodel"), task.premise_names)
        if model is None or all(evaluate(p, model) for p in task.premises):
            return False, "no assignment that falsifies a premise"
        return True, "a premise is false at the countermodel, so the premises are not all valid"
    return False, f"unknown query kind {query.kind!r}"
