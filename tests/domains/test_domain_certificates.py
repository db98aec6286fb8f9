"""Every domain's `recheck` refuses a certificate that is not about its own task (one shared check,
`domains.base.certificate_shape`); sudoku used to accept one naming another domain or task."""

from __future__ import annotations

import pytest

from reasoning.domains import get, load

CASES = [
    ({"domain": "countdown", "numbers": [1, 2, 3], "target": 6}, "1 + 2 + 3"),
    ({"domain": "arithmetic", "expression": "2 + 3 * 4"}, "14"),
    ({"domain": "equations", "equation": "x + 1 = 3"}, "x = 2"),
    ({"domain": "sudoku", "grid": "12..34..21..43.."}, None),
    ({"domain": "logic", "premises": ["P", "P -> Q"], "conclusion": "Q"}, None),
]


def _proved_certificate(task, answer):
    problem = load(task)
    domain = get(problem.domain)
    if answer is None:  # let the domain's own solver find the answer
        from reasoning.engine.solving import solve

        answer = solve(task, out=False).run.answer
    check = domain.check_answer(problem, answer, budget_s=10)
    assert check.proved, check.message
    return problem, domain, check.certificate


@pytest.mark.parametrize(("task", "answer"), CASES, ids=[t["domain"] for t, _ in CASES])
def test_recheck_refuses_certificates_about_something_else(task, answer):
    problem, domain, cert = _proved_certificate(task, answer)
    assert domain.recheck(problem, cert)[0]
    tampered = [
        {**cert, "domain": "elsewhere"},
        {**cert, "kind": "exact"},
        {**cert, "task": {**cert["task"], "domain": "elsewhere"}},
        {**cert, "role": "hint"},
        {**cert, "holds": "yes"},
        {**cert, "evidence": None},
        {k: v for k, v in cert.items() if k != "claim"},
    ]
    for bad in tampered:
        ok, message = domain.recheck(problem, bad)
        assert not ok and message, bad
