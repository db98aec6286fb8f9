"""reasoning.domains.knights_knaves._domain: puzzles, claims and answers with Z3 and a uniqueness check,
certificates, reasoning-gym's English, the solver worker and planner."""

import copy
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs.verdict import Status
from reasoning.domains import TaskError, get
from reasoning.domains.knights_knaves._domain import TEMPLATES, KnightsWorker, read_puzzle
from reasoning.domains.logic._formulas import PropAnd, PropIff, PropImp, PropNot, PropOr, PropVar, render

DOMAIN = get("knights_knaves")


def puzzle(people, statements, **terms):
    return DOMAIN.parse({"people": people, "statements": statements, **terms})


TWO = (["A", "B"], ["A: ~B", "B: A & B"])  # unique: A knight, B knave
SILENT = (["A", "B"], ["A: A"])  # nobody pins anything: four solutions
LIAR = (["A", "B"], ["A: ~A"])  # "I am a knave": no solution


def truth(node, env):
    """The tests' own evaluator (independent of the module's)."""
    match node:
        case PropVar(name):
            return env[name]
        case PropNot(arg):
            return not truth(arg, env)
        case PropAnd(args):
            return all(truth(a, env) for a in args)
        case PropOr(args):
            return any(truth(a, env) for a in args)
        case PropImp(left, right):
            return not truth(left, env) or truth(right, env)
        case PropIff(left, right):
            return truth(left, env) == truth(right, env)
    raise AssertionError(node)


def brute_force(task):
    """Every solution, by trying every assignment."""
    people = task.data.people
    out = []
    for values in itertools.product((True, False), repeat=len(people)):
        env = dict(zip(people, values, strict=True))
        if all(env[s] == truth(f, env) for s, f in task.data.statements):
            out.append(env)
    return out


# ---------------------------------------------------------------- tasks


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"statements": ["A: A"]}, "people: required"),
        ({"people": []}, "people: empty"),
        ({"people": ["A", "a"]}, "named twice"),
        ({"people": ["A", "not"]}, "'not' is not a name"),
        ({"people": ["Mary Ann"]}, "is not a name"),
        ({"people": ["A"], "statements": ["Z: A"]}, "unknown speaker 'Z'"),
        ({"people": ["A"], "statements": ["A: Zed"]}, "statements[1]: unknown person 'Zed'"),
        ({"people": ["A"], "statements": ["A says nothing"]}, "is not `Speaker: formula`"),
        ({"people": ["A"], "statements": ["A: (A & A"]}, "statements[1]: column 2: unbalanced '('"),
        ({"people": ["A"], "statements": ["A: A)"]}, "unbalanced ')'"),
        ({"people": ["A"], "statements": ["A: " + "(" * 40_000 + "A" + ")" * 40_000]}, "nested deeper"),
        ({"people": ["A"], "statements": ["A: " + "(" * 100_000 + "A" + ")" * 100_000]}, "200002 characters"),
        ({"people": ["A"], "statements": ["A: " + "A" * 10_000_000]}, "larger than"),
        ({"people": ["A"], "knight": "hero", "knave": "Hero"}, "do not name two different roles"),
        ({"people": ["A"], "knight": "knave", "knave": "liar"}, "do not name two different roles"),
        ({"people": ["A"], "knight": "good guy"}, "knight: 'good guy' is not a single word"),
        ({"people": ["A"], "statements": "A: A"}, "statements: expected a list of strings"),
    ],
)
def test_malformed_puzzles_name_the_field(data, words):
    with pytest.raises(TaskError) as info:
        DOMAIN.parse(data)
    assert words in str(info.value)


def test_statement_forms_and_text():
    task = puzzle(
        ["Amelia", "Elizabeth"], ["Amelia says: Elizabeth and not Amelia", "Elizabeth: Amelia <-> Elizabeth"]
    )
    assert task.data.statements == (
        ("Amelia", PropAnd((PropVar("Elizabeth"), PropNot(PropVar("Amelia"))))),
        ("Elizabeth", PropIff(PropVar("Amelia"), PropVar("Elizabeth"))),
    )
    assert "Amelia says: (Elizabeth ∧ ¬Amelia)" in task.text
    english = puzzle(
        ["Amelia", "Elizabeth"],
        [
            "Amelia says: Elizabeth is a hero and Amelia is a villain.",
            "Elizabeth: if Amelia is a hero then (Elizabeth is a villain)",
        ],
        knight="hero",
        knave="villain",
    )
    assert english.data.statements == (
        ("Amelia", PropAnd((PropVar("Elizabeth"), PropNot(PropVar("Amelia"))))),
        ("Elizabeth", PropImp(PropVar("Amelia"), PropNot(PropVar("Elizabeth")))),
    )
    with pytest.raises(TaskError, match=r"statements\[1\]: .*read as English: expected a role"):
        puzzle(["Amelia"], ["Amelia: Amelia is a saint"])
    hero = puzzle(["Ann"], [], knight="angel", knave="devil")
    assert "Ann" in hero.text and "an angel" in hero.text and "a devil" in hero.text


# ---------------------------------------------------------------- claims and answers


@pytest.mark.parametrize(
    ("task", "claim", "status"),
    [
        (TWO, "A is a knight", Status.PROVED),
        (TWO, "B is a knave.", Status.PROVED),
        (TWO, "a: knight, b: knave", Status.PROVED),
        (TWO, "A is a knave", Status.REFUTED),
        (TWO, "A is a knight, and B is a knight", Status.REFUTED),
        (TWO, "possible: A is a knight", Status.PROVED),
        (TWO, "possible: B is a knight", Status.REFUTED),
        (TWO, "A is undetermined", Status.REFUTED),
        (TWO, "no solution", Status.REFUTED),
        (TWO, "several solutions", Status.REFUTED),
        (SILENT, "A is undetermined", Status.PROVED),
        (SILENT, "B could be either", Status.PROVED),
        (SILENT, "A is a knight", Status.REFUTED),
        (SILENT, "possible: A is a knave, B is a knight", Status.PROVED),
        (SILENT, "several solutions", Status.PROVED),
        (LIAR, "no solution", Status.PROVED),
        (LIAR, "A is a knight", Status.REFUTED),
        (LIAR, "A is undetermined", Status.REFUTED),
        (LIAR, "several solutions", Status.REFUTED),
        (TWO, "Zed is a knight", Status.INVALID),
        (TWO, "A is a villain", Status.INVALID),
        (TWO, "A is a knight, A is a knave", Status.INVALID),
        (TWO, "A knight", Status.INVALID),
        (TWO, "", Status.INVALID),
        (TWO, "A is a knight, " * 20_000, Status.INVALID),
        (TWO, "Zed is undetermined", Status.INVALID),
    ],
)
def test_claims(task, claim, status):
    parsed = puzzle(*task)
    check = DOMAIN.check_claim(parsed, claim, budget_s=10)
    assert check.status is status, check.message
    if status in (Status.PROVED, Status.REFUTED):
        assert check.certificate["holds"] is (status is Status.PROVED)
        assert DOMAIN.recheck(parsed, check.certificate)[0]


@pytest.mark.parametrize(
    ("task", "answer", "status"),
    [
        (TWO, "A is a knight\nB is a knave", Status.PROVED),
        (TWO, "A is a knight, and B is a knave.", Status.PROVED),
        (TWO, "A: knight; B: knave", Status.PROVED),
        (TWO, "A is a knave, and B is a knave.", Status.REFUTED),
        (TWO, "A is a knight", Status.INVALID),  # says nothing about B
        (TWO, "no solution", Status.REFUTED),
        (SILENT, "A is a knight, and B is a knight.", Status.REFUTED),  # a solution, not the only one
        (SILENT, "several solutions", Status.PROVED),
        (LIAR, "no solution", Status.PROVED),
        (LIAR, "A is a knight, and B is a knave.", Status.REFUTED),
    ],
)
def test_answers(task, answer, status):
    parsed = puzzle(*task)
    check = DOMAIN.check_answer(parsed, answer, budget_s=10)
    assert check.status is status, check.message
    if status in (Status.PROVED, Status.REFUTED):
        assert DOMAIN.recheck(parsed, check.certificate)[0]


def test_inconsistent_puzzle_is_answered_with_an_unsat_certificate():
    from reasoning import solve

    result = solve({"domain": "knights_knaves", "people": LIAR[0], "statements": LIAR[1]}, out=False)
    assert result.answers == ["no solution"] and result.verified
    cert = result.certificates[0]["certificate"]
    assert "(check-sat)" in cert["evidence"]["script"] and cert["holds"] is True
    assert DOMAIN.recheck(puzzle(*LIAR), cert)[0]


def test_puzzle_with_several_solutions_says_so():
    from reasoning import solve

    result = solve({"domain": "knights_knaves", "people": SILENT[0], "statements": SILENT[1]}, out=False)
    assert result.answers == ["several solutions"] and result.verified
    first, second = result.certificates[0]["certificate"]["evidence"]["solutions"]
    assert first != second


@pytest.mark.parametrize(
    ("task", "text", "role", "change"),
    [
        (TWO, "A is a knight", "claim", lambda c: c.update(holds=False)),
        (TWO, "A is a knight", "claim", lambda c: c["evidence"].update(script="(check-sat)\n")),
        (TWO, "A is a knight", "claim", lambda c: c["evidence"]["solution"].update(A=False)),
        (TWO, "A is a knight", "claim", lambda c: c["evidence"].pop("solution")),
        (TWO, "A is a knight", "claim", lambda c: c.update(claim="A is a knave")),
        (TWO, "A is a knight", "claim", lambda c: c["task"].update(statements=["A: ~B"])),
        (TWO, "A is a knave", "claim", lambda c: c.update(holds=True)),
        (TWO, "A is a knave", "claim", lambda c: c["evidence"]["solution"].update(B=True)),
        (TWO, "A is a knave", "claim", lambda c: c["evidence"].update(solution={"A": True})),
        (TWO, "A is undetermined", "claim", lambda c: c["evidence"].update(value=True)),
        (TWO, "several solutions", "answer", lambda c: c["evidence"]["solution"].update(A=False)),
        (TWO, "A is a knight, and B is a knave", "answer", lambda c: c["evidence"].update(script="")),
        (
            SILENT,
            "several solutions",
            "claim",
            lambda c: c["evidence"].update(solutions=[{"A": True, "B": True}] * 2),
        ),
        (
            SILENT,
            "A is undetermined",
            "claim",
            lambda c: c["evidence"]["solutions"][1].update(c["evidence"]["solutions"][0]),
        ),
        (SILENT, "possible: A is a knave", "claim", lambda c: c["evidence"]["solution"].update(A=True)),
        (LIAR, "no solution", "answer", lambda c: c.update(holds=False)),
        (LIAR, "no solution", "answer", lambda c: c["evidence"].update(script="(assert false)(check-sat)")),
        (LIAR, "A is a knight", "claim", lambda c: c["evidence"].update(none_script="")),
    ],
)
def test_recheck_rejects_tampered_certificates(task, text, role, change):
    parsed = puzzle(*task)
    check = (DOMAIN.check_claim if role == "claim" else DOMAIN.check_answer)(parsed, text, budget_s=10)
    assert DOMAIN.recheck(parsed, check.certificate)[0]
    bad = copy.deepcopy(check.certificate)
    change(bad)
    ok, why = DOMAIN.recheck(parsed, bad)
    assert not ok, why


def test_answers_and_reasoning_gym_format():
    task = puzzle(
        ["Ann", "Bob", "Eve"], ["Ann: Bob", "Bob: Ann", "Eve: ~Eve | Ann"], knight="angel", knave="devil"
    )
    assert DOMAIN.answers(task, "bob: devil\nann: devil; Eve is an angel") == [
        "Ann is a devil",
        "Bob is a devil",
        "Eve is an angel",
    ]
    assert DOMAIN.to_reasoning_gym(task, DOMAIN.answers(task, "Ann: devil, Bob: devil, Eve: angel")) == (
        "Ann is a devil, Bob is a devil, and Eve is an angel."
    )
    assert DOMAIN.to_reasoning_gym(task, ["Ann is a devil"]) == "Ann is a devil."
    assert DOMAIN.answers(task, "no solution") == ["no solution"]
    assert DOMAIN.to_reasoning_gym(task, []) == ""


# ---------------------------------------------------------------- worker, planner, solve


@pytest.mark.parametrize(
    ("task", "query", "reply"),
    [
        (TWO, "who is A?", "A is a knight"),
        (TWO, "Who is b", "B is a knave"),
        (TWO, "solve", "A is a knight, B is a knave"),
        (SILENT, "who is A?", "A is undetermined"),
        (LIAR, "who is B?", "no solution"),
        (LIAR, "solve", "no solution"),
    ],
)
def test_worker_answers(task, query, reply):
    parsed = puzzle(*task)
    body = KnightsWorker().answer(parsed.data, query)
    assert body == reply
    assert DOMAIN.check_claim(parsed, body, budget_s=10).proved


def test_worker_solve_with_several_solutions_returns_checkable_lines():
    parsed = puzzle(*SILENT)
    lines = KnightsWorker().answer(parsed.data, "solve").splitlines()
    assert lines[0] == "several solutions" and len(lines) == 3
    assert all(DOMAIN.check_claim(parsed, line, budget_s=10).proved for line in lines)


@pytest.mark.parametrize("query", ["who is Zed?", "", "what now", "who is", 5])
def test_worker_notes_bad_queries(query):
    body = KnightsWorker().answer(puzzle(*TWO).data, query)
    assert all(line.startswith("# ") for line in body.splitlines())


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_solve_forks_one_query_per_person(workers):
    from reasoning import solve

    people = ["A", "B", "C", "D", "E"]
    statements = ["A: D <-> ~A", "B: ~C", "C: A -> E", "D: C | D", "E: E <-> B"]
    result = solve(
        {"domain": "knights_knaves", "people": people, "statements": statements}, workers=workers, out=False
    )
    assert result.verified, result.message
    (solution,) = brute_force(DOMAIN.parse({"people": people, "statements": statements}))
    assert result.answers == [f"{p} is {'a knight' if solution[p] else 'a knave'}" for p in people]
    assert result.metrics["forks"] == len(people)


@st.composite
def puzzles(draw):
    people = draw(st.lists(st.sampled_from(["Ann", "Bob", "Cy", "Di"]), min_size=1, max_size=4, unique=True))

    def formulas(depth):
        atom = st.sampled_from(people).map(PropVar)
        if depth == 0:
            return st.one_of(atom, atom.map(PropNot))
        sub = formulas(depth - 1)
        return st.one_of(
            atom,
            sub.map(PropNot),
            st.lists(sub, min_size=2, max_size=3).map(lambda xs: PropAnd(tuple(xs))),
            st.lists(sub, min_size=2, max_size=3).map(lambda xs: PropOr(tuple(xs))),
            st.tuples(sub, sub).map(lambda ab: PropImp(*ab)),
            st.tuples(sub, sub).map(lambda ab: PropIff(*ab)),
        )

    speakers = draw(st.lists(st.sampled_from(people), max_size=len(people) + 1))
    statements = [f"{s}: {render(draw(formulas(2)))}" for s in speakers]
    return DOMAIN.parse({"people": people, "statements": statements})


@settings(max_examples=60)
@given(puzzles())
def test_random_puzzles_agree_with_brute_force(task):
    solutions = brute_force(task)
    body = KnightsWorker().answer(task.data, "solve")
    answer = body.splitlines()[0]
    check = DOMAIN.check_answer(task, answer, budget_s=10)
    assert check.proved, check.message
    assert DOMAIN.recheck(task, check.certificate)[0]
    if not solutions:
        assert answer == "no solution"
    elif len(solutions) > 1:
        assert answer == "several solutions"
    else:
        env = {line.split(" is ")[0]: line.endswith("knight") for line in DOMAIN.answers(task, answer)}
        assert env == solutions[0]
        assert all(env[s] == truth(f, env) for s, f in task.data.statements)  # direct evaluation


# ---------------------------------------------------------------- reasoning-gym's English


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_is_read(template):
    sentence = template.format(
        name="Zoey", content="if Zoey is a sage then (Luke is a fool or Zoey is a fool)"
    )
    question = (
        "A very special island is inhabited only by sages and fools. Sages always tell the truth, and fools "
        f"always lie. You meet 2 inhabitants: Zoey, and Luke. {sentence} Luke said that Zoey is a sage. "
        'So who is a sage and who is a fool? (Format your answer like: "Zoey is a sage/fool, and Luke is a sage/fool")'
    )
    task = read_puzzle(question)
    assert task == {
        "people": ["Zoey", "Luke"],
        "statements": ["Zoey: (Zoey → (¬Luke ∨ ¬Zoey))", "Luke: Zoey"],
        "knight": "sage",
        "knave": "fool",
    }


@pytest.mark.parametrize(
    ("content", "formula"),
    [
        ("Ava is an angel", "Ava"),
        ("Ava is a devil", "¬Ava"),
        ("Ava is not a devil", "Ava"),
        ("it is not the case that (Ava is an angel and Max is an angel)", "¬(Ava ∧ Max)"),
        ("(Ava is a devil) if and only if (if Max is an angel then Ava is an angel)", "(¬Ava ↔ (Max → Ava))"),
        (
            "Ava is an angel or Max is a devil or (Max is an angel and Ava is a devil)",
            "((Ava ∨ ¬Max) ∨ (Max ∧ ¬Ava))",
        ),
    ],
)
def test_statement_phrases(content, formula):
    question = (
        "A very special island is inhabited only by angels and devils. You meet 2 inhabitants: Ava, and Max. "
        f'Ava said, "{content}." Max told you that Ava is an angel. So who is an angel and who is a devil?'
    )
    assert read_puzzle(question)["statements"][0] == f"Ava: {formula}"


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("", "So who is"),
        ("So who is a knight and who is a knave?", "You meet"),
        (
            "You meet 3 inhabitants: A, and B. So who is a knight and who is a knave?",
            "3 inhabitants announced",
        ),
        (
            "You meet 1 inhabitants: , and Al. Al said that Zed is a knight. So who is a knight and who is a knave?",
            "expected a person's name",
        ),
        (
            "You meet 1 inhabitants: , and Al. Al said that Al is a hero. So who is a knight and who is a knave?",
            "expected a role",
        ),
        (
            "You meet 1 inhabitants: , and Al. Al sang (Al is a knight. So who is a knight and who is a knave?",
            "cannot read the statement",
        ),
        (
            "You meet 1 inhabitants: , and Al. " + "x" * 200_000 + " So who is a knight and who is a knave?",
            "question",
        ),
    ],
)
def test_unreadable_questions(question, words):
    with pytest.raises(TaskError) as info:
        DOMAIN.from_reasoning_gym("knights_knaves", {"question": question})
    assert words in str(info.value)


def test_a_one_person_puzzle_reads():
    question = (
        "You meet 1 inhabitants: , and Al. Al said that it is not the case that (Al is a knave). "
        "So who is a knight and who is a knave?"
    )
    assert read_puzzle(question)["statements"] == ["Al: ¬¬Al"]


def _dataset(size, seed, **config):
    reasoning_gym = pytest.importorskip("reasoning_gym")
    return reasoning_gym.create_dataset("knights_knaves", size=size, seed=seed, **config)


@pytest.mark.parametrize("config", [{}, {"n_people": 4, "depth_constraint": 3, "width_constraint": 3}])
def test_the_english_means_what_the_generator_meant(config):
    """Our reading of each statement agrees with reasoning-gym's own statement tree (the test's
    oracle) on every assignment, and our answer scores 1.0."""
    from reasoning_gym.logic.knights_knaves import KnightsKnavesDataset

    dataset = _dataset(15, 5, **config)
    for entry in dataset:
        task = DOMAIN.from_reasoning_gym("knights_knaves", {"question": entry["question"]})
        names = entry["metadata"]["names"]
        ours = dict(task.data.statements)
        for values in itertools.product((True, False), repeat=len(names)):
            env = dict(zip(names, values, strict=True))
            for index, statement in enumerate(entry["metadata"]["statements"]):
                assert truth(ours[names[index]], env) == bool(
                    KnightsKnavesDataset.test_satisfiability(statement, values)
                )
        answer = KnightsWorker().answer(task.data, "solve")
        assert DOMAIN.check_answer(task, answer, budget_s=10).proved
        assert dataset.score_answer(DOMAIN.to_reasoning_gym(task, DOMAIN.answers(task, answer)), entry) == 1.0


@pytest.mark.slow
@pytest.mark.parametrize("seed", [11, 12])
def test_reasoning_gym_eval_through_solve(seed):
    """The eval measurement: 200 items solved by the engine, scored by reasoning-gym."""
    from reasoning import solve

    dataset = _dataset(200, seed)
    full = 0
    for entry in dataset:
        task = DOMAIN.from_reasoning_gym("knights_knaves", entry)
        result = solve(task, capacity=4, out=False)
        assert result.verified, result.message
        full += dataset.score_answer(DOMAIN.to_reasoning_gym(task, result.answers), entry) == 1.0
    assert full >= 198


def test_planner_with_an_llm_like_worker_rejects_false_claims():
    from reasoning.engine._engine import EngineConfig, ForkJoinEngine
    from reasoning.engine._task import Task
    from reasoning.engine._workers import ScriptedWorker

    task = puzzle(*TWO, knight="hero", knave="villain")
    worker = ScriptedWorker(
        {
            1: ["<RETURN>A is a villain</RETURN>", "<RETURN>a: hero</RETURN>"],
            2: ["<RETURN>B is a villain.</RETURN>"],
        }
    )
    run = ForkJoinEngine(DOMAIN.planner(task, capacity=2), worker, EngineConfig(capacity=2)).run_sync(
        Task.of_problem(task)
    )
    assert run.verified and DOMAIN.answers(task, run.answer) == ["A is a hero", "B is a villain"]
    again = [r for r in worker.requests if r.fork_id == 1 and r.attempt == 2]
    assert again and any("rejected claim: A is a villain" in f for f in again[0].feedback)


def test_prompts_use_the_puzzle_words():
    task = puzzle(*TWO, knight="hero", knave="villain")
    prompt = DOMAIN.worker_prompt(task, "who is A?", ["rejected claim: A is a villain"])
    assert (
        task.text in prompt
        and prompt.count("<RETURN>") >= 2
        and "a hero" in prompt
        and "a knight" not in prompt
    )
    assert prompt.rstrip().endswith("An earlier attempt was rejected: rejected claim: A is a villain")
    assert "who is NAME?" in DOMAIN.organizer_prompt(task)
