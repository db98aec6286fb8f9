"""The fork/join engine: tasks and goals, the protocol, workers and planner, the causal graph,
trace, ledger and proof bundle, and `solve` (a task dict in, verified answers out).

Public names are re-exported here and imported on first use. Private modules:
`_engine` (ForkJoinEngine), `_engine_pools` (checker pools), `_solve` (solve), `_task` (tasks
and the answer check), `_task_schema` (typed task models), `_goals` (goals), `_subqueries`
(typed sub-queries), `_formal_task` / `_formalize` (word problems), `_protocol` (the FORK/JOIN
scanner), `_workers` (worker interfaces, scripted test doubles), `_planner` (SymbolicPlanner),
`_symbolic_worker` (SymbolicWorker), `_mixed_worker` (LLM and symbolic workers together),
`_racing` (a fork raced by two workers), `_causal_graph` / `_consistency` / `_graph_svg` (the
causal graph), `_claim_cache`, `_run_trace`, `_ledger`, `_bundle` / `_bundle_joins` /
`_bundle_edges` (proof bundles), `_ray_pool` (verifier actors on Ray).
"""

from reasoning._lazy import lazy_exports

_EXPORTS = {
    "ForkJoinEngine": "reasoning.engine._engine",
    "EngineConfig": "reasoning.engine._engine",
    "RunResult": "reasoning.engine._engine",
    "Task": "reasoning.engine._task",
    "check_answer": "reasoning.engine._task",
    "check_returned": "reasoning.engine._task",
    "Goal": "reasoning.engine._goals",
    "check_bundle": "reasoning.engine._bundle",
    "load_bundle": "reasoning.engine._bundle",
    "solve": "reasoning.engine._solve",
    "SolveResult": "reasoning.engine._solve",
    "load_model": "reasoning.engine._solve",
    "WORKER_KINDS": "reasoning.engine._solve",
    "solve_word_problem": "reasoning.engine._formalize",
    "Worker": "reasoning.engine._workers",
    "Organizer": "reasoning.engine._workers",
    "ScriptedWorker": "reasoning.engine._workers",
    "ScriptedOrganizer": "reasoning.engine._workers",
    "SymbolicPlanner": "reasoning.engine._planner",
    "SymbolicWorker": "reasoning.engine._symbolic_worker",
    "IncrementalConsistency": "reasoning.engine._consistency",
}

#: Deprecated names, still importable from this package: old name -> new name.
_RENAMED = {"SolverWorker": "SymbolicWorker", "SolverPlanner": "SymbolicPlanner"}


__getattr__ = lazy_exports(__name__, _EXPORTS, _RENAMED)

__all__ = sorted(_EXPORTS)
