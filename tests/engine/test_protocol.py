"""The AsyncThink protocol scanner: events, format errors, chunking invariance, round trip."""

import time

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from reasoning.engine._protocol import (
    MAX_BLOCK_CHARS,
    MAX_ID_DIGITS,
    Answer,
    Fork,
    FormatError,
    Join,
    ProtocolScanner,
    ProtocolText,
    Return,
    _parser,
    is_plain_text,
    parse_protocol,
    render,
)

EXAMPLES = [
    ("<FORK-1>what is 2+2?</FORK-1>", [Fork(1, "what is 2+2?")]),
    ("<FORK-0></FORK-0>", [Fork(0, "")]),
    ("<FORK-01>q</FORK-1>", [Fork(1, "q")]),
    ("<JOIN-7>", [Join(7)]),
    ("<RETURN>x = 4</RETURN>", [Return("x = 4")]),
    ("<ANSWER>\\boxed{4}</ANSWER>", [Answer("\\boxed{4}")]),
    (
        "plan: <FORK-1>a</FORK-1> then <JOIN-1> done",
        [ProtocolText("plan: "), Fork(1, "a"), ProtocolText(" then "), Join(1), ProtocolText(" done")],
    ),
    # junk is kept as text: stray '<', unknown tags, keyword-prefixed words, lowercase tags
    ("a < b and 3<4", [ProtocolText("a < b and 3<4")]),
    ("<think>hmm</think><JOIN-2>", [ProtocolText("<think>hmm</think>"), Join(2)]),
    ("<FORKED> <ANSWERS> <fork-1> <FOR", [ProtocolText("<FORKED> <ANSWERS> <fork-1> <FOR")]),
    ("<<JOIN-1>>", [ProtocolText("<"), Join(1), ProtocolText(">")]),
    ("<FORK-3>is x < 3? <think>yes</think></FORK-3>", [Fork(3, "is x < 3? <think>yes</think>")]),
    ("<FORK-1>line 1\nline 2</FORK-1>", [Fork(1, "line 1\nline 2")]),
]


@pytest.mark.parametrize(("text", "events"), EXAMPLES)
def test_examples(text, events):
    assert parse_protocol(text) == events


ERRORS = [
    # (text, events other than the error, message fragment, error offset)
    ("<FORK-1>q</FORK-2>", [], "does not close <FORK-1>", 9),
    ("x<FORK-1>q", [ProtocolText("x")], "<FORK-1> is never closed", 1),
    ("<RETURN>partial", [], "<RETURN> is never closed", 0),
    ("<ANSWER>4", [], "<ANSWER> is never closed", 0),
    ("<FORK-1>a<FORK-2>b</FORK-2>", [Fork(2, "b")], "blocks do not nest", 9),
    ("<FORK-1>a<JOIN-2>", [Join(2)], "blocks do not nest", 9),
    ("<FORK-x>q", [ProtocolText("q")], "malformed tag '<FORK-x>'", 0),
    ("ab<FORK->", [ProtocolText("ab")], "malformed tag '<FORK->'", 2),
    ("<FORK>q", [ProtocolText("q")], "malformed tag '<FORK>'", 0),
    ("<JOIN-1234567890>", [], "has 10 digits", 0),
    ("<FORK-9999999999>q", [ProtocolText("q")], "has 10 digits", 0),
    ("</JOIN-1>", [], "JOIN has no closing tag", 0),
    ("<RETURN-1>", [], "expected exactly <RETURN>", 0),
    ("<FORK-1 >q", [ProtocolText("q")], "malformed tag '<FORK-1 >'", 0),
    ("</ANSWER>", [], "closes nothing", 0),
    ("hi <FORK-1", [ProtocolText("hi ")], "unterminated tag '<FORK-1' at end of stream", 3),
    ("<JOIN-1\n>", [ProtocolText("\n>")], "unterminated tag '<JOIN-1'", 0),
    ("<JOIN-" + "1" * 100 + ">", [ProtocolText("1" * 42 + ">")], "longer than 64 characters", 0),
]


@pytest.mark.parametrize(("text", "others", "fragment", "offset"), ERRORS)
def test_format_errors(text, others, fragment, offset):
    events = parse_protocol(text)
    errors = [e for e in events if isinstance(e, FormatError)]
    assert len(errors) == 1, events
    assert fragment in errors[0].message
    assert errors[0].offset == offset
    assert [e for e in events if not isinstance(e, FormatError)] == others


def test_malformed_tag_inside_a_block_keeps_the_block():
    events = parse_protocol("<FORK-1>a<FORK-x>b</FORK-1>")
    assert events == [FormatError(events[0].message, 9), Fork(1, "ab")]


def test_split_tag_across_chunks():
    scanner = ProtocolScanner()
    assert scanner.feed("<FO") == []
    assert scanner.feed("RK-1>what is") == []
    assert scanner.feed(" 2+2?</FORK-1>") == [Fork(1, "what is 2+2?")]
    assert scanner.close() == []


def test_events_arrive_as_soon_as_complete():
    scanner = ProtocolScanner()
    assert scanner.feed("intro <JOIN-1") == []
    assert scanner.feed("> more") == [ProtocolText("intro "), Join(1)]
    assert scanner.close() == [ProtocolText(" more")]


def test_close_resets_for_a_new_stream():
    scanner = ProtocolScanner()
    scanner.feed("<FORK-1>abc")
    assert scanner.close() == [FormatError("<FORK-1> is never closed", 0)]
    assert scanner.feed("x<JOIN-2>") == [ProtocolText("x"), Join(2)]


def test_block_size_is_capped():
    events = parse_protocol("<FORK-1>" + "a" * 11 + "</FORK-1><JOIN-1>", max_block_chars=10)
    assert events == [FormatError(events[0].message, 0), Join(1)]
    assert "longer than 10 characters" in events[0].message
    assert parse_protocol("<FORK-1>" + "a" * 10 + "</FORK-1>", max_block_chars=10) == [Fork(1, "a" * 10)]


def test_long_free_text_comes_in_capped_pieces():
    assert parse_protocol("a" * 25, max_block_chars=10) == [
        ProtocolText("a" * 10),
        ProtocolText("a" * 10),
        ProtocolText("a" * 5),
    ]


def test_bad_cap_is_rejected():
    with pytest.raises(ValueError):
        ProtocolScanner(max_block_chars=0)


def test_render_skips_format_errors():
    assert render([ProtocolText("a"), FormatError("x", 0), Join(1)]) == "a<JOIN-1>"


# Free text drawn from characters that make tag-like junk likely; texts that would read as tags
# are filtered out (the protocol has no escapes, see `render`).
texts = st.text(alphabet="<>/-_ 0123\nFORKJINTUAWSEfork", min_size=1, max_size=30)
ids = st.integers(min_value=0, max_value=10**MAX_ID_DIGITS - 1)
events_lists = st.lists(
    st.one_of(
        st.builds(Fork, ids, texts | st.just("")),
        st.builds(Join, ids),
        st.builds(Return, texts | st.just("")),
        st.builds(Answer, texts | st.just("")),
        st.builds(ProtocolText, texts),
    ),
    max_size=8,
)
junk = st.lists(
    st.sampled_from(["<FORK-1>", "</FORK-1>", "</FORK-2>", "<JOIN-1>", "<RETURN>", "</RETURN>", "<ANSWER>"])
    | st.sampled_from(["</ANSWER>", "<FORK-x>", "<think>", "<", ">", "/", "<FORK", "1", "\n", "text "])
    | st.text(max_size=5),
    max_size=20,
).map("".join)


def _merge_text(events):
    merged = []
    for event in events:
        if isinstance(event, ProtocolText) and merged and isinstance(merged[-1], ProtocolText):
            merged[-1] = ProtocolText(merged[-1].text + event.text)
        else:
            merged.append(event)
    return merged


@given(text=junk, cap=st.sampled_from([3, MAX_BLOCK_CHARS]), data=st.data())
def test_chunking_does_not_change_events(text, cap, data):
    cuts = sorted(data.draw(st.lists(st.integers(min_value=0, max_value=len(text)), max_size=10)))
    scanner = ProtocolScanner(max_block_chars=cap)
    events = []
    for start, end in zip([0, *cuts], [*cuts, len(text)]):
        events += scanner.feed(text[start:end])
    events += scanner.close()
    assert events == parse_protocol(text, max_block_chars=cap)


@given(events=events_lists)
def test_render_then_parse_round_trips(events):
    events = _merge_text(events)
    assume(all(is_plain_text(getattr(e, "text", getattr(e, "query", ""))) for e in events))
    text = render(events)
    assert parse_protocol(text) == events
    _parser().parse(text, start="document")  # the Lark grammar accepts what the scanner reads


def test_a_megabyte_fed_one_character_at_a_time_is_fast():
    unit = "word <think> x<y <FORK-12>what is 2+2?</FORK-12> then <JOIN-12> "
    text = (unit * (1_000_000 // len(unit) + 1))[:1_000_000]
    # CPU time of this thread: a quadratic scanner costs minutes of it, a linear one about a
    # second; wall time would also count the other jobs of a busy machine (CI failed on it).
    started = time.thread_time()
    scanner = ProtocolScanner()
    events = []
    for char in text:
        events += scanner.feed(char)
    events += scanner.close()
    elapsed = time.thread_time() - started
    assert elapsed < 5, f"{elapsed:.2f} s of CPU"
    assert events == parse_protocol(text)
    assert sum(isinstance(e, Fork) for e in events) == text.count("</FORK-12>")


# ---------------------------------------------------------------- event ends (feed_spans)
# The engine ends an organizer turn at a join and must know where in the turn that was, so the
# organizer's context holds only what ran (issue 12: a FORK after a JOIN in the same turn was
# shown although it never ran).


def spans_of(text, cuts=()):
    scanner = ProtocolScanner()
    spans = []
    for start, end in zip([0, *cuts], [*cuts, len(text)]):
        spans += scanner.feed_spans(text[start:end])
    return spans + scanner.close_spans()


def test_each_event_ends_just_past_its_text():
    text = "a <FORK-1>q</FORK-1> b <JOIN-1> c <FORK-2>r</FORK-2>"
    spans = spans_of(text, cuts=[3, 15, 30])
    ends = {type(e).__name__ + str(getattr(e, "fork_id", "")): end for e, end in spans}
    assert text[: ends["Fork1"]].endswith("</FORK-1>")
    assert text[: ends["Join1"]].endswith("<JOIN-1>")
    assert ends["Fork2"] == len(text)


def test_a_join_inside_a_block_errs_before_the_join():
    text = "<FORK-1>a <JOIN-2> b"
    (error, error_end), (join, join_end), *rest = spans_of(text)
    assert isinstance(error, FormatError) and isinstance(join, Join)
    assert text[:error_end] == "<FORK-1>a " and text[:join_end] == "<FORK-1>a <JOIN-2>"


@given(text=junk, data=st.data())
def test_the_text_up_to_an_event_reads_as_the_events_up_to_it(text, data):
    cuts = sorted(data.draw(st.lists(st.integers(min_value=0, max_value=len(text)), max_size=6)))
    spans = spans_of(text, cuts)
    assert [e for e, _ in spans] == parse_protocol(text)
    ends = [end for _, end in spans]
    assert ends == sorted(ends) and all(0 <= end <= len(text) for end in ends)
    for k, (event, end) in enumerate(spans):
        if isinstance(event, (Fork, Join, Return, Answer)):
            tags = [e for e in parse_protocol(text[:end]) if not isinstance(e, ProtocolText)]
            assert tags == [e for e, _ in spans[: k + 1] if not isinstance(e, ProtocolText)]


class _GeneralPathOnly(ProtocolScanner):
    """Test double: a scanner with the one-pass reading of usual chunks switched off."""

    def _fast(self, chunk: str) -> bool:
        return False


usual_items = st.lists(
    st.one_of(
        st.builds(lambda i, b: f"<FORK-{i}>{b}</FORK-{i}>", ids, texts | st.just("")),
        st.builds(lambda i: f"<JOIN-{i}>", ids),
        st.builds(lambda b: f"<RETURN>{b}</RETURN>", texts | st.just("")),
        st.builds(lambda b: f"<ANSWER>{b}</ANSWER>", texts | st.just("")),
        st.sampled_from(
            ["<FORK-01>q</FORK-1>", "<FORK-1>q</FORK-2>", "x", "<JOIN-0001>", "<FORK-1>a<b</FORK-1>"]
        ),
    ),
    max_size=6,
).map("".join)


@given(text=usual_items | junk, cap=st.sampled_from([3, MAX_BLOCK_CHARS]), data=st.data())
def test_the_one_pass_reading_gives_the_general_paths_events_and_ends(text, cap, data):
    cuts = sorted(data.draw(st.lists(st.integers(min_value=0, max_value=len(text)), max_size=4)))
    pieces = [text[start:end] for start, end in zip([0, *cuts], [*cuts, len(text)])]
    results = []
    for scanner in (ProtocolScanner(max_block_chars=cap), _GeneralPathOnly(max_block_chars=cap)):
        spans = []
        for piece in pieces:
            spans += scanner.feed_spans(piece)
        results.append(spans + scanner.close_spans())
    assert results[0] == results[1]
