"""A model server that fails (dead, 500, stall, garbage) fails THAT fork, never the run.

Real HTTP on loopback: `OpenAIBackend` against the fault servers of `tests/llm_servers.py`. With
mixed workers the solver races the model on each fork, so the run still gets a verified answer;
with LLM workers only, the run ends cleanly, unverified, with a message naming the failure.
"""

from __future__ import annotations

import pytest

from reasoning.engine._run_trace import RejectionEvent
from reasoning.engine._solve import solve
from reasoning.llm._openai_backend import OpenAIBackend
from tests.llm_servers import fault_server

TASK = {"domain": "arithmetic", "expression": "3 * 8 + 2"}  # one fork with capacity 1
FAULTS = [("dead", "unavailable"), ("500", "http"), ("stall", "timeout"), ("garbage", "protocol")]


def backend(url: str) -> OpenAIBackend:
    return OpenAIBackend(
        url + "/v1", "test-model", timeout_s=0.5, connect_timeout_s=0.5, max_retries=1, backoff_s=0.01
    )


def rejections(result) -> list[RejectionEvent]:
    return [e for e in result.run.events if isinstance(e, RejectionEvent)]


@pytest.mark.parametrize(("fault", "kind"), FAULTS, ids=[f for f, _ in FAULTS])
def test_a_failing_model_fails_its_fork_not_the_run(fault, kind):
    with fault_server(fault, stall_s=30.0) as url:
        model = backend(url)
        try:
            mixed = solve(TASK, capacity=1, worker_kind="mixed", model=model, out=False, budget_s=60)
            only_llm = solve(TASK, capacity=1, worker_kind="llm", model=model, out=False, budget_s=60)
        finally:
            model.close()
    reason = f"model backend failed ({kind})"
    # mixed: the solver and the model race on fork 1; the solver's verified result is joined at
    # once and the failing model never costs the fork an attempt
    assert mixed.verified and mixed.answers == ["26"], mixed.message
    assert rejections(mixed) == []
    assert mixed.producers == [{"fork": 1, "attempt": 1, "claim": "3 * 8 + 2 = 26", "worker": "symbolic"}]
    # llm only: every attempt fails with the reason; the run ends, unverified, and says why
    assert not only_llm.verified and only_llm.status != "proved"
    assert len(rejections(only_llm)) == 3 and all(reason in e.reason for e in rejections(only_llm))
    assert reason in only_llm.message and only_llm.producers == []
    assert reason in only_llm.run.ledger  # the failed fork's line names its last rejection
