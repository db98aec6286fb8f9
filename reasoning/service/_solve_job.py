"""The HTTP server's solve job, run in a sandbox worker (see `reasoning.service._jobs`).

A module of its own because `solve` brings the engine and the LLM stack (about 140 modules, a
second or two): a worker imports it on its first solve job, not at start-up as it does the
verification jobs, so the pool's workers start as fast as a verifier needs.
"""

from __future__ import annotations

from typing import Any

from reasoning.engine._bundle import build_bundle
from reasoning.engine._solve import solve
from reasoning.errors import InvalidArgument


def solve_job(
    task: dict[str, Any], budget_s: float, seed: int, workers: int, include_bundle: bool
) -> dict[str, Any]:
    """`solve(task, out=False)` as JSON; a malformed task is `{"error": "invalid_task", ...}`."""
    try:
        result = solve(
            task,
            out=False,
            budget_s=budget_s,
            verify_budget_s=min(10.0, budget_s),
            seed=seed,
            capacity=workers,
        )
    except InvalidArgument as exc:  # TaskError included
        return {"error": "invalid_task", "message": str(exc)}
    out = result.to_json()
    out.pop("run_dir", None)
    out["bundle"] = build_bundle(result.run) if include_bundle and result.run is not None else None
    return out
