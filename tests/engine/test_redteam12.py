"""Red-team regressions for task goals, sealed checks and the claim cache (issue 12).

Each test here failed before its fix: a goal read with the wrong sorts or vacuously, a forged
file that `reason check` passed, or a stored verdict that was trusted as is.
"""

from __future__ import annotations

import pytest

from proofs.verdict import Status
from reasoning.api import InvalidArgument
from reasoning.engine._goals import Goal
from reasoning.engine._task import Task, check_answer

# A 9x9 sudoku with one solution, and that solution.
PUZZLE = "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79"
SOLUTION = "534678912672195348198342567859761423426853791713924856961537284287419635345286179"


def _status(task: Task, answer: str) -> Status:
    return check_answer(task, answer, budget_s=5).status


def test_decide_without_constraints_reads_the_unknowns_with_their_sorts():
    # 2x = 1 has no integer solution, and x^2 >= x holds for every integer: both are right
    # answers over Int, and were refuted by counterexamples x = 1/2 read over the reals.
    odd = Task("d", {"x": "Int"}, goal=Goal.decide("2*x != 1"))
    assert _status(odd, "2*x != 1") is Status.PROVED
    assert _status(odd, "not (2*x != 1)") is Status.REFUTED
    square = Task("d", {"x": "Int"}, goal=Goal.decide("x*x >= x"))
    assert _status(square, "x*x >= x") is Status.PROVED


def test_decide_under_contradictory_constraints_proves_neither_answer():
    # No x has x > 2 and x < 1, so `C -> x = 5` and `C -> not (x = 5)` both hold vacuously:
    # a run answered "proved: x = 5" (or its negation) to a question with no subject.
    task = Task("d", {"x": "Int"}, ("x > 2", "x < 1"), goal=Goal.decide("x = 5"))
    assert _status(task, "x = 5") is not Status.PROVED
    assert _status(task, "not (x = 5)") is not Status.PROVED
    fine = Task("d", {"x": "Int"}, ("x > 2", "x < 4"), goal=Goal.decide("x = 5"))
    assert _status(fine, "not (x = 5)") is Status.PROVED


# ---------------------------------------------------------------- the on-disk claim cache


def _entries(directory) -> dict[str, tuple]:
    import json

    out = {}
    for path in directory.glob("*/*.json"):
        entry = json.loads(path.read_text(encoding="utf-8"))
        out[entry["text"]] = (path, entry)
    return out


def test_a_disk_entry_holding_another_claims_verdict_is_a_miss(tmp_path):
    import json

    from reasoning.engine._claim_cache import ClaimCache

    task = Task("t", {"x": "Int"}, ("x + 1 = 4",))
    first = ClaimCache(tmp_path)
    assert first.check_claim(task, "x = 3", budget_s=5).accepted
    assert not first.check_claim(task, "x = 4", budget_s=5).accepted
    entries = _entries(tmp_path)
    path, entry = entries["x = 4"]
    entry["verdict"], entry["role"] = entries["x = 3"][1]["verdict"], entries["x = 3"][1]["role"]
    path.write_text(json.dumps(entry), encoding="utf-8")  # a copied (or stale) proof of x = 3
    later = ClaimCache(tmp_path)
    check = later.check_claim(task, "x = 4", budget_s=5)
    assert not check.accepted and later.disk_hits == 0


def test_a_disk_entry_whose_status_its_certificate_contradicts_is_a_miss(tmp_path):
    import json

    from reasoning.engine._claim_cache import ClaimCache

    task = Task("t", {"x": "Int"}, ("x + 1 = 4",))
    ClaimCache(tmp_path).check_claim(task, "x = 4", budget_s=5)
    path, entry = _entries(tmp_path)["x = 4"]
    entry["verdict"]["status"] = "proved"  # the refuting certificate kept, the status flipped
    path.write_text(json.dumps(entry), encoding="utf-8")
    later = ClaimCache(tmp_path)
    assert not later.check_claim(task, "x = 4", budget_s=5).accepted and later.disk_hits == 0


# ---------------------------------------------------------------- bundles of real runs


def test_the_bundle_of_a_proved_no_solution_answer_re_checks(tmp_path):
    # The task's constraints alone are contradictory: the run proves `false` (no solution) and
    # reports it proved, as it may; its bundle failed `reason check` at the final consistency,
    # which is the task's own unsat core and can never be `consistent`.
    from reasoning.engine._bundle import check_bundle, load_bundle
    from reasoning.engine._engine import ForkJoinEngine
    from reasoning.engine._planner import SymbolicPlanner
    from reasoning.engine._symbolic_worker import SymbolicWorker

    task = Task("none", {"x": "Int", "y": "Int"}, ("x - y = -2", "x*y = -4"), goal=Goal.all(["x"]))
    result = ForkJoinEngine(SymbolicPlanner(task), SymbolicWorker()).run_sync(task, run_dir=tmp_path)
    assert result.verified and result.answer == "false", result.message
    report = check_bundle(load_bundle(result.bundle_path), use_cvc5=False)
    assert report.ok, report.to_json()["message"]


def test_a_conflict_with_a_claim_smt_cannot_express_re_checks():
    # fork 2 returns `exp(1) > 2` (outside SMT-LIB) with `x = 3`, which contradicts fork 1's
    # `x < 0`: the unsat certificate named the inexpressible claim too, so it could never be
    # re-checked and the proved run's own bundle failed `reason check`.
    import json

    from reasoning.engine._bundle import build_bundle, check_bundle
    from reasoning.engine._engine import EngineConfig, ForkJoinEngine
    from reasoning.engine._workers import ScriptedOrganizer, ScriptedWorker

    task = Task("t", {"x": "Int", "y": "Int"}, ("x + y = 10", "y >= 0"), goal=Goal.find(["x"]))
    turns = ["<FORK-1>a</FORK-1><FORK-2>b</FORK-2><JOIN-1>", "<JOIN-2>", "<ANSWER>x = 3</ANSWER>"]
    replies = {
        1: ["<RETURN>x < 0</RETURN>"],
        2: ["<RETURN>exp(1) > 2\nx = 3</RETURN>", "<RETURN>1 = 1</RETURN>"],
    }
    result = ForkJoinEngine(ScriptedOrganizer(turns), ScriptedWorker(replies), EngineConfig()).run_sync(task)
    assert result.verified
    assert [j["status"] for j in result.joins][:2] == ["accepted", "conflict"]
    assert result.joins[1]["consistency"]["status"] == "inconsistent"
    bundle = json.loads(json.dumps(build_bundle(result)))
    report = check_bundle(bundle, use_cvc5=False)
    assert report.ok, report.to_json()["message"]
    # Only the inexpressible claims may be left out: a certificate without an expressible claim
    # of its core (here `x < 0`, script rebuilt to match) still fails.
    from proofs.parsing import parse_claim
    from reasoning.engine._causal_graph import consistency_script

    cert = bundle["joins"][1]["consistency"]["certificate"]
    assert [c["claim"] for c in cert["claims"]] == ["x < 0", "x = 3"]
    cert["claims"] = cert["claims"][1:]
    pairs = [(c["attempt"], parse_claim(c["claim"])) for c in cert["claims"]]
    cert["script"] = consistency_script(task.unknowns, pairs)[0] + "(check-sat)\n"
    assert not check_bundle(bundle, use_cvc5=False).ok


# ---------------------------------------------------------------- hostile input to `reason check`


def test_reason_check_on_deeply_nested_json_is_unusable_input_not_a_crash(tmp_path):
    from typer.testing import CliRunner

    from reasoning.cli._main import app
    from reasoning.engine._bundle import load_bundle

    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(deep)])
    assert result.exit_code == 2 and not isinstance(result.exception, RecursionError), result.output
    with pytest.raises(InvalidArgument):
        load_bundle(deep)


def test_note_lines_of_an_answer_are_not_reported_as_proved():
    # `# y = 8` was shown as part of a proved answer (result, CLI, bundle) though nothing checked
    # it: the proved answer now holds only checked lines, and the notes are kept apart.
    import json

    from reasoning.engine._bundle import build_bundle, check_bundle
    from reasoning.engine._engine import EngineConfig, ForkJoinEngine
    from reasoning.engine._workers import ScriptedOrganizer, ScriptedWorker

    task = Task("t", {"x": "Int", "y": "Int"}, ("x + y = 10", "y >= 0"), goal=Goal.find(["x"]))
    turns = ["<ANSWER>x = 3\n# y = 8 as well</ANSWER>"]
    result = ForkJoinEngine(ScriptedOrganizer(turns), ScriptedWorker({}), EngineConfig()).run_sync(task)
    assert result.verified
    assert result.answer == "x = 3"
    assert result.answer_check.notes == ("# y = 8 as well",)
    bundle = json.loads(json.dumps(build_bundle(result)))
    assert bundle["answer"]["text"] == "x = 3"
    assert bundle["answer"]["notes"] == ["# y = 8 as well"]
    assert check_bundle(bundle, use_cvc5=False).ok
    # The note relabelled as a claim (in the answer and its graph node alike) fails the check.
    bundle["answer"]["text"] = "x = 3\ny = 8"
    for node in bundle["graph"]["nodes"]:
        if node.get("kind") == "answer":
            node["text"] = "x = 3\ny = 8"
    assert not check_bundle(bundle, use_cvc5=False).ok


def test_the_notes_of_a_domain_answer_are_set_apart_and_its_claims_checked():
    from reasoning.domains import get

    sudoku = get("sudoku")
    task = Task.of_problem(sudoku.parse({"grid": PUZZLE}))
    check = check_answer(task, f"# the solver found it\n{SOLUTION} unique", budget_s=5)
    assert check.proved, check.message
    assert check.notes == ("# the solver found it",)
    assert "#" not in check.text


@pytest.mark.parametrize(
    ("domain", "fields", "answer"),
    [
        (
            "knights_knaves",
            {"people": ["A", "B"], "statements": ["A: ~B", "B: A & B"]},
            "A is a knight\nB is a knave\nA is a knight",
        ),
        (
            "knights_knaves",
            {"people": ["A", "B"], "statements": ["A: ~B", "B: A & B"]},
            "A is a knight, and B is a knave, and B is a knave.",
        ),
    ],
)
def test_a_domain_answer_repeating_a_line_is_rejected(domain, fields, answer):
    # countdown rejected a repeated line; sudoku and knights_knaves accepted one.
    from reasoning.domains import get

    problem = get(domain).parse(fields)
    check = get(domain).check_answer(problem, answer, budget_s=5)
    assert check.status is not Status.PROVED
    assert "twice" in check.message


def test_a_sudoku_answer_repeating_a_line_is_rejected():
    from reasoning.domains import get

    sudoku = get("sudoku")
    problem = sudoku.parse({"grid": PUZZLE})
    line = f"{SOLUTION} unique"
    assert sudoku.check_answer(problem, line, budget_s=5).proved
    check = sudoku.check_answer(problem, f"{line}\n{line}", budget_s=5)
    assert check.status is not Status.PROVED
    assert "twice" in check.message


# ---------------------------------------------------------------- rounded roots are not exact roots


def _equations(fields):
    from reasoning.domains import get

    domain = get("equations")
    return domain, domain.parse(fields)


def test_a_rounded_root_is_proved_only_as_rounded():
    # x^2 = 2 to 4 places: `x = 1.4142` was proved with the message "all 2 real root(s), each
    # once" and a certificate listing only the roots: read as an exact root, which it is not.
    # The task asks for rounded roots, so the answer is right, but what is proved is that each
    # value is its root rounded (the root lies in the value's rounding interval), and it says so.
    domain, p = _equations({"equation": "x^2 = 2", "decimals": 4})
    for text in ("x = -1.4142\nx = 1.4142", "x ≈ -1.4142\nx ≈ 1.4142", "-1.4142, 1.4142"):
        check = domain.check_answer(p, text, budget_s=5)
        assert check.proved, check.message
        assert "rounded to 4 places (half-up)" in check.message and "not exact" in check.message
        intervals = [item["root_in"] for item in check.certificate["evidence"]["rounded"]]
        assert intervals == [["-5657/4000", "-28283/20000"], ["28283/20000", "5657/4000"]]  # +-0.00005
        assert domain.recheck(p, check.certificate)[0]
    assert domain.check_claim(p, "x = 1.4143", budget_s=5).status is Status.REFUTED
    # without `decimals`, `x = 1.4142` claims an exact root and is refuted, with a hint
    domain, exact = _equations({"equation": "x^2 = 2"})
    refuted = domain.check_answer(exact, "x = -1.4142\nx = 1.4142", budget_s=5)
    assert refuted.status is Status.REFUTED and "≈" in refuted.message


def test_a_rounded_answer_certificate_names_the_interval_of_its_rounding():
    domain, p = _equations({"equation": "x^2 = 2", "decimals": 4, "rounding": "down"})
    check = domain.check_answer(p, "x ≈ -1.4142\nx ≈ 1.4142", budget_s=5)
    assert check.proved, check.message
    rounding = check.certificate["evidence"]["rounded"]
    # `down` truncates: 1.4142 stands for a root in [1.4142, 1.4143), not within 0.00005 of it
    assert {
        "name": "x",
        "value": "7071/5000",
        "places": 4,
        "rule": "down",
        "root_in": ["7071/5000", "14143/10000"],
    } in (rounding)
    assert domain.recheck(p, check.certificate)[0]
    forged = __import__("copy").deepcopy(check.certificate)
    forged["evidence"]["rounded"][1]["root_in"] = ["7071/5000", "7071/5000"]
    assert not domain.recheck(p, forged)[0]
    dropped = __import__("copy").deepcopy(check.certificate)
    del dropped["evidence"]["rounded"]
    assert not domain.recheck(p, dropped)[0]


def test_rounded_values_against_an_identity_recheck():
    # every value solves x = x: the certificate of `x ≈ 1.50` must still re-check
    domain, p = _equations({"equation": "x = x", "decimals": 2})
    for check in (
        domain.check_claim(p, "x ≈ 1.50", budget_s=5),
        domain.check_answer(p, "x ≈ 1.50", budget_s=5),
    ):
        assert check.status in (Status.PROVED, Status.REFUTED)
        assert domain.recheck(p, check.certificate)[0]


def test_a_linear_system_rounded_value_says_it_is_rounded():
    domain, p = _equations({"equations": ["3*x = 1", "y = 2"], "decimals": 4})
    check = domain.check_answer(p, "x = 0.3333, y = 2", budget_s=5)
    assert check.proved and "not exact" in check.message
    assert {item["name"] for item in check.certificate["evidence"]["rounded"]} == {"x", "y"}
    assert domain.recheck(p, check.certificate)[0]
    assert domain.check_answer(p, "x = 0.3334, y = 2", budget_s=5).status is Status.REFUTED


# ---------------------------------------------------------------- prompts name goals and sub-query types


def test_the_generic_prompts_name_the_goal_and_what_each_typed_sub_query_wants():
    # The model was never told the task's goal nor the answer form each typed sub-query
    # requires, so its answers were rejected (`2 + 2 = 4` for `evaluate: 12 * 7`, no `x = ...`).
    from reasoning.llm._scripted import ScriptedBackend
    from reasoning.llm._workers import LLMOrganizer, generic_worker_prompt

    every = Task("roots", {"x": "Int"}, ("x^2 = 4",), goal=Goal.all())
    worker = generic_worker_prompt(every, "all: x^2 = 4 for x")
    assert "Goal: all solutions" in worker
    for verb, form in (("evaluate:", "E = value"), ("solve:", "x = value"), ("prove:", "C itself")):
        assert verb in worker and form in worker
    assert "all:" in worker and "x = 2 or x = -2" in worker
    organizer = LLMOrganizer(ScriptedBackend([]), Task("t", {"x": "Int"}, ("x + 1 = 4",))).system_prompt()
    assert "Goal: find every unknown" in organizer and "x = value" in organizer
    for verb in ("evaluate:", "solve:", "all:", "prove:"):
        assert verb in organizer
    decide = LLMOrganizer(ScriptedBackend([]), Task("2^10 > 1000")).system_prompt()
    assert "Goal: decide: 2^10 > 1000" in decide and "not (2^10 > 1000)" in decide


def test_the_mcp_solve_task_tool_describes_task_goals():
    import asyncio

    from reasoning.service._mcp import build_server

    tools = {tool.name: tool for tool in asyncio.run(build_server().list_tools())}
    text = tools["solve_task"].description
    for word in ("find", "unique", "all", "decide", "evaluate:", "solve:", "prove:"):
        assert word in text, word


def test_the_mcp_bundle_check_stops_at_the_call_budget(monkeypatch):
    # check_certificate on a bundle had no overall limit: a hostile bundle ran for ever.
    import json

    import reasoning.service._mcp as mcp
    from reasoning.engine._bundle import build_bundle
    from reasoning.engine._engine import EngineConfig, ForkJoinEngine
    from reasoning.engine._workers import ScriptedOrganizer, ScriptedWorker

    task = Task("t", {"x": "Int"}, ("x + 1 = 4",))
    organizer = ScriptedOrganizer(["<FORK-1>x</FORK-1><JOIN-1>", "<ANSWER>x = 3</ANSWER>"])
    result = ForkJoinEngine(
        organizer, ScriptedWorker({1: ["<RETURN>x = 3</RETURN>"]}), EngineConfig()
    ).run_sync(task)
    bundle = json.loads(json.dumps(build_bundle(result)))
    assert mcp._check(bundle, False).ok
    monkeypatch.setattr(mcp, "MAX_CALL_S", 0.0)
    out = mcp._check(bundle, False)
    assert not out.ok and "not re-checked within 0 s" in out.message
