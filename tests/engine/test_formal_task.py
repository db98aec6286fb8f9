"""The formalization format (grammars/formal_task.lark), its Lark -> GBNF conversion, the
`#grammar=` spec option, and `--worker-timeout`."""

from __future__ import annotations

import lark
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.extra.lark import from_lark
from llguidance import LLMatcher
from llguidance.gbnf_to_lark import gbnf_to_lark

from grammars import grammar_text
from reasoning.api import InvalidArgument
from reasoning.engine._formal_task import (
    Formalization,
    Rejection,
    extract_block,
    grammar,
    parse_formalization,
)
from reasoning.engine._formalize import _decimal, solve_word_problem
from reasoning.engine._solve import solve
from reasoning.llm._gbnf import lark_to_gbnf
from reasoning.llm._grammar_wire import grammar_body
from reasoning.llm._openai_backend import OpenAIBackend
from reasoning.llm._scripted import ScriptedBackend
from reasoning.llm._spec import load_backend, parse_model_spec

PROBLEM = "a word problem"


def parse(text: str):
    return parse_formalization(text, PROBLEM, author="m")


def test_a_formalization_becomes_the_engine_task():
    parsed = parse(
        "unknown x, y: Int\nunknown r: Real\nconstraint: x + y = 10 and x - y = 2\nconstraint: r = x / 4\nfind unique: r"
    )
    assert isinstance(parsed, Formalization)
    task = parsed.task
    assert task.text == PROBLEM and task.unknowns == {"x": "Int", "y": "Int", "r": "Real"}
    assert task.constraints == ("x + y = 10 and x - y = 2", "r = x / 4")
    assert (task.goal.kind, task.goal.unknowns, task.goal.unique) == ("find", ("r",), True)


@pytest.mark.parametrize(
    "line, kind",
    [("all: x", "all"), ("decide: x > 2", "decide"), ("find: x", "find")],
)
def test_every_goal_line(line, kind):
    parsed = parse(f"unknown x: Int\nconstraint: x ^ 2 = 9\n{line}")
    assert isinstance(parsed, Formalization) and parsed.task.goal.kind == kind


@pytest.mark.parametrize(
    "text, reason",
    [
        ("unknown x: Int\nfind x", "line 2, column 6"),  # the colon is missing
        ("unknown x: Integer\nconstraint: x = 1\nfind: x", "line 1"),
        ("unknown x: Int\nunknown x: Real\nconstraint: x = 1\nfind: x", "declared twice"),
        ("unknown x, y: Int\nconstraint: x = 1\nfind: x", "appears in no constraint"),
        ("unknown x: Int\nconstraint: x = 1\nfind: z", "not unknowns"),
        ("unknown x: Int\nconstraint: x = y\nfind: x", "not unknowns"),
        ("", "no formalization"),
        (
            "unknown e: Real\nconstraint: 2 * e = 4\nfind: e",
            "e is a constant",
        ),  # was: "appears in no constraint"
        ("unknown x: Int\nconstraint: x = 1\nfind: x\nconstraint: x = 2", "line 4"),
    ],
)
def test_a_bad_formalization_is_rejected_with_a_reason(text, reason):
    parsed = parse(text)
    assert isinstance(parsed, Rejection) and reason in parsed.reason, parsed


def test_extract_block_cuts_the_formal_lines_out_of_prose():
    reply = (
        "Sure, here:\n```\nunknown x: Int\n  constraint: x = 2\nfind: x\n```\nHope it helps. find: nothing"
    )
    assert extract_block(reply) == "unknown x: Int\nconstraint: x = 2\nfind: x"
    assert extract_block("  no formal text  ") == "no formal text"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(from_lark(lark.Lark(grammar_text("formal_task"), parser="lalr", lexer="basic")))
def test_any_string_of_the_grammar_is_read_or_rejected_never_raises(text):
    assert isinstance(parse(text), (Formalization, Rejection))


# ------------------------------------------------------------------------------- GBNF


def test_the_formalization_grammar_converts_to_gbnf_that_llguidance_reads():
    gbnf = lark_to_gbnf(grammar())
    assert gbnf is not None and gbnf.startswith("root ::= ")
    assert "r-sum ::= ( ( r-product ) )" in gbnf  # Lark's left recursion became a repeat
    assert "r-sum ::= ( r-sum" not in gbnf
    assert "%llguidance" in gbnf_to_lark(gbnf)


def test_gbnf_of_a_small_grammar():
    gbnf = lark_to_gbnf('start: "x = " NUMBER\nNUMBER: /-?[0-9]+/')
    assert gbnf.splitlines() == [
        "root ::= r-start",
        "r-start ::= ( t-anon-0 t-number )",
        't-number ::= ( "-" )? ( [0-9] )+',
        't-anon-0 ::= "x = "',
    ]


@pytest.mark.parametrize(
    "lark_text",
    [
        grammar_text("claims"),  # look-ahead in FUNCTION
        "start: W\nW: /(?i)yes/",  # a flag
        "start: W\nW: /(a)\\1/",  # a back-reference
        "start: missing_rule",  # not a grammar
    ],
)
def test_what_gbnf_cannot_say_is_not_sent(lark_text):
    assert lark_to_gbnf(lark_text) is None
    assert grammar_body("llamacpp", lark_text) is None


def test_grammar_body_by_mode():
    assert grammar_body("none", "start: A") is None
    assert grammar_body("vllm", "start: A") == {"structured_outputs": {"grammar": "start: A"}}
    assert grammar_body("vllm-guided", "start: A") == {"guided_grammar": "start: A"}
    assert grammar_body("vllm", None) is None


# ------------------------------------------------------------------------------- spec and backend


def test_the_grammar_option_of_an_openai_spec():
    spec = parse_model_spec("openai:http://127.0.0.1:8000/v1/some/model#grammar=llamacpp")
    assert (spec.base_url, spec.model, spec.grammar_mode) == (
        "http://127.0.0.1:8000/v1",
        "some/model",
        "llamacpp",
    )
    assert str(spec).endswith("#grammar=llamacpp")
    backend = load_backend(spec)
    assert (
        isinstance(backend, OpenAIBackend) and backend.supports_grammar and backend.grammar_mode == "llamacpp"
    )
    assert not load_backend("openai:http://127.0.0.1:8000/v1/m").supports_grammar
    for bad in ("#grammar=xml", "#colour=red", "#grammar"):
        with pytest.raises(InvalidArgument, match="grammar=MODE"):
            parse_model_spec("openai:http://127.0.0.1:8000/v1/m" + bad)
    with pytest.raises(InvalidArgument):
        OpenAIBackend("http://x/v1", "m", grammar_mode="xml")


def test_worker_timeout_fails_a_slow_models_fork_in_time():
    slow = ScriptedBackend(["x = 26"], delay_s=2.0)
    task = {"domain": "arithmetic", "expression": "3 * 8 + 2"}
    result = solve(
        task, capacity=1, worker_kind="llm", model=slow, out=False, budget_s=60, worker_timeout_s=0.2
    )
    assert not result.verified
    assert "within 0.2 s" in result.message or any("0.2 s" in str(e.to_json()) for e in result.run.events)
    with pytest.raises(InvalidArgument, match="worker_timeout_s"):
        solve(task, worker_timeout_s=0)


def test_llguidance_reads_the_formalization_grammar():
    """The local backend decodes under it with llguidance (Lark dialect): it must load there."""
    is_error, warnings = LLMatcher.validate_grammar_with_warnings(LLMatcher.grammar_from_lark(grammar()))
    assert not is_error and warnings == []


@pytest.mark.parametrize(
    "value, shown", [("7/2", "3.5"), ("-1/8", "-0.125"), ("1/3", "1/3"), ("20", "20"), ("7/40", "0.175")]
)
def test_a_fraction_value_is_shown_as_a_decimal_when_it_has_one(value, shown):
    assert _decimal(value) == shown


def test_a_word_problem_with_a_fractional_answer(tmp_path):
    reply = "unknown share: Real\nconstraint: 4 * share = 7 * 2\nfind unique: share"
    problem = "Seven children share two pizzas each... how much each?"
    result = solve_word_problem(problem, model=ScriptedBackend([reply]), out=tmp_path)
    assert (result.status, result.value, result.answer) == (
        "verified_against_formalization",
        "3.5",
        "share = 7/2",
    )
