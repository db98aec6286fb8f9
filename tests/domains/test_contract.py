"""The contract every registered domain keeps, parametrized from the registry (no hand lists):

- generation: seeded reasoning-gym tasks of every task name the domain reads become problems;
- a correct answer (the domain's own solver's) is proved, with a certificate;
- a wrong answer (one reasoning-gym's own scorer rejects) is not proved;
- certificates re-check through `proofs.check` alone, and a tampered one does not;
- `recheck` refuses a certificate about something else (one shared check, `certificate_shape`;
  sudoku used to accept one naming another domain or task);
- hostile claims and answers (huge, deeply nested, regex-hostile, empty, odd unicode) are
  answered quickly with a non-proved verdict, never an exception.

A domain added to `reasoning.domains.BUILTIN` is covered without editing this file.
"""

from __future__ import annotations

import functools
import time

import pytest
import reasoning_gym

import reasoning  # noqa: F401  (registers the `domain` certificate checker with proofs.check)
from proofs.check import check_certificate
from proofs.verdict import Status
from reasoning.domains import get, names
from reasoning.domains._base import DomainCheck, Problem
from reasoning.engine._solve import solve

SEEDS = (3, 11)
BUDGET_S = 10.0
#: A hostile input must be answered within this many seconds (generous: the machine may be loaded).
HOSTILE_S = 10.0

DOMAINS = names()
TASKS = [(name, task) for name in DOMAINS for task in get(name).reasoning_gym]
SEEDED = [(name, task, seed) for name, task in TASKS for seed in SEEDS]


def _id(case: tuple) -> str:
    return "-".join(str(part) for part in case)


def test_the_registry_is_what_this_suite_covers():
    assert len(DOMAINS) >= 7 and all(get(name).reasoning_gym for name in DOMAINS)


@functools.cache
def _entry(task: str, seed: int) -> dict:
    return dict(reasoning_gym.create_dataset(task, seed=seed, size=1)[0])


@functools.cache
def _solved(name: str, task: str, seed: int) -> tuple[Problem, str]:
    domain = get(name)
    problem = domain.from_reasoning_gym(task, _entry(task, seed))
    answer = solve(problem.to_json(), out=False).run.answer
    assert isinstance(answer, str) and answer, f"the {name} solver found no answer"
    return problem, answer


def _shift_digits(text: str) -> str:
    return text.translate(str.maketrans("0123456789", "1234567890"))


def _rg_score(task: str, seed: int, problem: Problem, answer: str) -> float:
    """reasoning-gym's own score of `answer` (an oracle independent of our checkers)."""
    dataset = reasoning_gym.create_dataset(task, seed=seed, size=1)
    written = get(problem.domain).to_reasoning_gym(problem, get(problem.domain).answers(problem, answer))
    return float(dataset.score_answer(answer=written, entry=_entry(task, seed)))


@pytest.mark.parametrize(("name", "task", "seed"), SEEDED, ids=[_id(c) for c in SEEDED])
def test_seeded_tasks_parse_and_the_solver_answer_is_proved(name, task, seed):
    problem, answer = _solved(name, task, seed)
    assert problem.domain == name and problem.text
    assert get(name).parse(problem.to_json()) == problem  # a task dict round-trips
    check = get(name).check_answer(problem, answer, budget_s=BUDGET_S)
    assert isinstance(check, DomainCheck)
    assert check.proved, check.message
    assert check.certificate is not None


@pytest.mark.parametrize(("name", "task"), TASKS, ids=[_id(c) for c in TASKS])
def test_a_wrong_answer_is_not_proved(name, task):
    problem, answer = _solved(name, task, SEEDS[0])
    others = [_solved(name, task, seed)[1] for seed in SEEDS[1:]]
    candidates = [c for c in (_shift_digits(answer), *others, "") if c != answer]
    wrong = [c for c in candidates if _rg_score(task, SEEDS[0], problem, c) < 1.0]
    assert wrong, "no candidate answer that reasoning-gym rejects"
    for candidate in wrong:
        check = get(name).check_answer(problem, candidate, budget_s=BUDGET_S)
        assert not check.proved, (candidate, check.message)


@pytest.mark.parametrize(("name", "task"), TASKS, ids=[_id(c) for c in TASKS])
def test_certificates_recheck_through_proofs_check_and_tampering_is_caught(name, task):
    problem, answer = _solved(name, task, SEEDS[0])
    domain = get(name)
    cert = domain.check_answer(problem, answer, budget_s=BUDGET_S).certificate
    assert domain.recheck(problem, cert)[0]
    report = check_certificate(cert, use_cvc5=False)
    assert report.ok, report.message
    flipped = check_certificate({**cert, "holds": not cert["holds"]}, use_cvc5=False)
    assert not flipped.ok
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


HOSTILE = {
    "empty": "",
    "blank": " \n\t ",
    "huge": "1" * 1_000_000,
    "huge-lines": "x = 1\n" * 100_000,
    "deep-parens": "(" * 20_000 + "1" + ")" * 20_000,
    "deep-brackets": "[" * 20_000 + "]" * 20_000,
    "regex-hostile": "a" * 50_000 + "!",
    "regex-hostile-spaces": "1 " * 50_000 + "=",
    "repeated-operators": "1" + "+-" * 50_000 + "1",
    "nested-negation": "¬" * 20_000 + "P",
    "unicode": "𝟙𝟚𝟛 ½ ∞ \u202e\u200b\ufeff 三 = ٣ Ⅻ",
    "nul-and-controls": "1\x00 = \x1b[2J1",
    "surrogates": "\ud800 = 1",
    "json": '{"answer": [1, 2, {"x": null}]}',
}


@pytest.mark.parametrize("name", DOMAINS)
@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_text_is_not_proved_and_never_crashes(name, kind):
    domain = get(name)
    problem, _ = _solved(name, domain.reasoning_gym[0], SEEDS[0])
    text = HOSTILE[kind]
    for check_of in (domain.check_claim, domain.check_answer):
        started = time.perf_counter()
        check = check_of(problem, text, budget_s=2.0)
        elapsed = time.perf_counter() - started
        assert isinstance(check, DomainCheck)
        assert check.status is not Status.PROVED, check.message
        assert elapsed < HOSTILE_S, f"{check_of.__name__} took {elapsed:.1f} s"
