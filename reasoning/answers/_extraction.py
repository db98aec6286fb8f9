"""Where is the final answer in a response? The extraction policy, written down.

Models and datasets write final answers in prose (`Final Answer: The largest $n$ is 34.`), in
boxes (`\\boxed{1}\\boxed{2}`), after markers (`#### 72`) or bare (`\\frac{1}{2}`). `find_answer`
applies one policy, the same for gold and prediction, and says which rule it used:

1. **Marked answers win.** The last `\\boxed{}`/`\\fbox{}` and the last answer marker
   (`final answer is`, `final answer:`, `answer is`, `answer:`, a GSM8K `####` line) are found.
   A marker *after* the last box wins when its line reads as an answer (a digit, a math
   segment, a LaTeX command, one letter or a word answer such as `yes`): the box was an
   intermediate result. Otherwise the box wins.
2. **Several parts make one answer.** Boxes or math segments (`$..$`, `\\(..\\)`, `\\[..\\]`)
   separated only by commas, semicolons, `and`, `or`, `\\quad` or `\\text{and}` are joined with
   `, `: `\\boxed{1}\\boxed{2}` reads `1, 2`, `$1$ and $2$ and $3$` reads `1, 2, 3`. Parts
   separated by prose are not: `first \\boxed{1}, then \\boxed{2}` reads `2`. Parts inside
   brackets (`($3$, $4$)`) are not joined (a tuple is no set): undecided. A sign or unit
   words right after the last part belong to it (`\\boxed{5}\\%`, `$10$ dollars`, `$10$ m`,
   `\\boxed{10} km/h`, `in` closing the answer; `_suffix`), a term braced before them (`{x} cm`).
3. **A marker's line** is read as a phrase, up to its first full stop (so Minerva's `The final
   answer is 34. I hope it is correct.` reads `34`): the math run at its start, unless a verb
   follows it; else what follows its one `is`/`are`/`equals`/`be` (`The largest $n$ is 34.`
   reads `34`); else the sentence itself. Two verbs (`$x$ is 2 and $y$ is 3`) name several
   values: undecided, and so does a value before the verb's clause (`6 since 2 + 3 is 5`).
4. **Unmarked text**: in prose, the phrase of the last sentence when a math segment is its
   subject (`Thus $n$ is 34.` reads `34`; `...is 2/3.` reads `2/3`) and it reads as an answer
   (`...the sum is here` does not: it would parse as h*e*r*e); else the last run of math
   segments (`So $x$ is $6$.` reads `6`); else the text as is, when it is short enough to be
   an answer itself (`5 cm`, `no solution`).
5. **Currency.** `\\$` is always a currency sign. In prose, a bare `$` before a digit is one
   too when the `$` signs do not pair up or a pair would enclose prose (`costs $5 and $7`);
   so is the lone `$` of an answer that is only an amount (`$0.5`, `$1,200`). A currency sign
   is written `\\$` in the located answer, which `normalise` reads as the unit dollars
   (`\\$0.50` = `50 cents`; `The total is $15.50.` reads `\\$15.50`).
6. **Undecided rather than wrong.** When none of this locates an answer (prose with no marker
   and no phrase, several values, unbalanced `$` or braces), the result is undecided
   (`answer` None), which callers turn into an undecided verdict (`invalid`, `equivalent`
   None; a reward of 0 with status `invalid`), never a confident refutation.

Regular expressions over bounded scans only: no grammar, no evaluation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from proofs.parsing import ParseFailure
from reasoning.answers._units import MARK_WORDS, NUMBER_WORDS, POWER_WORDS, read_unit

#: Most boxes or math segments joined into one answer.
MAX_PARTS = 32
#: Most nested boxes unwrapped.
MAX_UNWRAP = 8
#: Unmarked text with at least this many plain words is prose, not an answer by itself.
PROSE_WORDS = 5


@dataclass(frozen=True)
class Extraction:
    """The located answer (`answer`, None when undecided), the `rule` that found it
    (`boxed`, `marker`, `math`, `phrase`, `whole` or `undecided`) and, when undecided, why."""

    answer: str | None
    rule: str
    reason: str = ""


def _matching_brace(text: str, open_index: int) -> int:
    """Index of the '}' closing text[open_index] == '{', or -1 (escaped braces are skipped)."""
    level = 0
    index = open_index
    n = len(text)
    while index < n:
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "{":
            level += 1
        elif char == "}":
            level -= 1
            if level == 0:
                return index
        index += 1
    return -1


_BOX = re.compile(r"\\(?:boxed|fbox)(?![a-zA-Z])\s*")
#: A segment's content may not hold its own opener (`\\[` inside `\\[..\\]`): an unclosed opener
#: then scans only up to the next one, which keeps the search linear (`"\\[" * 4999` was quadratic).
_MATH = re.compile(
    r"\$\$((?:(?!\$\$).)+?)\$\$|\$(.+?)\$|\\\[((?:(?!\\\[).)+?)\\\]|\\\(((?:(?!\\\().)+?)\\\)",
    re.DOTALL,
)
_MARKER = re.compile(
    r"(?:final\s+answer\s*(?:is\b|was\b)?|\banswer\s*(?:is\b|was\b))\s*[:=]?|\banswer\s*[:=]|^[ \t]*####",
    re.IGNORECASE | re.MULTILINE,
)
_JOINER = re.compile(
    r"(?:\s|\$|,|;|&|\\[,;: !]|\\q?quad(?![a-zA-Z])|\band\b|\bor\b|\\text\s*\{\s*(?:and|or|,)?\s*\})*",
    re.IGNORECASE,
)
_VERB = re.compile(r"\b(?:is|are|equals|be|was|were)\b\s*[:=]?", re.IGNORECASE)
_WORD = re.compile(r"(?<![\\a-zA-Z])[A-Za-z]{2,}(?![a-zA-Z])")
_SENTENCE_END = re.compile(r"\.(?:\s|$)")
_ANSWERISH = re.compile(r"[\d\\$]")
_CHOICE = re.compile(r"\(?[A-Za-z]\)?")
#: Plain words that are whole answers; other word-only phrases (`here`, `correct`) are not.
WORD_ANSWERS = frozenset({"yes", "no", "true", "false", "none", "no solution", "undefined", "infinity"})


def _answerish(found: str) -> bool:
    """Whether a phrase can be an answer: a digit, math or a command, one letter (a choice or a
    variable), or a known word answer. `here` would parse as h*e*r*e and be refuted."""
    return bool(_ANSWERISH.search(found) or _CHOICE.fullmatch(found) or found.lower() in WORD_ANSWERS)


@dataclass(frozen=True)
class _Part:
    start: int
    end: int
    content: str


def _boxes(text: str) -> list[_Part] | ParseFailure:
    """Every outermost `\\boxed{...}` / `\\fbox{...}` (or `\\boxed 5`), in order."""
    parts: list[_Part] = []
    index = 0
    while (match := _BOX.search(text, index)) is not None:
        open_at = match.end()
        if open_at < len(text) and text[open_at] == "{":
            close = _matching_brace(text, open_at)
            if close < 0:
                return ParseFailure("unbalanced braces in \\boxed{...}", column=open_at + 1, found="{")
            parts.append(_Part(match.start(), close + 1, text[open_at + 1 : close]))
            index = close + 1
        else:
            rest = text[open_at:].split(None, 1)
            word = rest[0].rstrip("$") if rest else ""
            parts.append(_Part(match.start(), open_at + len(word), word))
            index = open_at + max(1, len(word))
    return parts


def _math(text: str) -> list[_Part]:
    return [
        _Part(m.start(), m.end(), next(g for g in m.groups() if g is not None)) for m in _MATH.finditer(text)
    ]


#: What may follow a located value and still belong to it: a sign, or words (bare or in
#: `\\text{}`) checked by `_is_unit_phrase`.
_SUFFIX = re.compile(
    r"(?:\$\$?|\\\)|\\\])?(?:[ \t]|\\[,;:! ]|~)*(?:\\%|%|\\textdollar(?![a-zA-Z])(?!\s*-?\.?\d)|\^\s*\{?\s*\\circ\s*\}?|\u00b0|\u00a2"
    r"|\\(?:text|mathrm|mbox|textrm)\s*\{([^{}$]{1,60})\}|((?:[ \t]*[A-Za-z]{1,12}(?:/[A-Za-z]{1,12})?){1,4}))"
    r"(\s*\^\s*(?:\{\s*[23]\s*\}|[23]))?"
)
#: The end of a phrase: its end, or punctuation.
_PHRASE_END = re.compile(r"\s*(?:[.,;!?)]|$)")
#: Unit words that are mostly prose after a value (`\\boxed{5} in total`).
_PROSE_UNITS = frozenset({"in"})


def _is_unit_phrase(words: list[str]) -> bool:
    """Number words, then a mark word (`percent`, `degrees`) or one unit (`dollars`, `square
    feet`, `km per hour`); a product of unit words (`dollars in`) is prose, not a unit."""
    lowered = [w.lower() for w in words]
    count = next((i for i, w in enumerate(lowered) if w not in NUMBER_WORDS), len(words))
    words, lowered = words[count:], lowered[count:]
    if not words:
        return count > 0
    rest = " ".join(lowered)
    if rest in MARK_WORDS:
        return True
    if lowered[0] in _PROSE_UNITS or read_unit(" ".join(words)) is None:
        return False
    return len(words) == 1 or "per" in lowered or lowered[0] in POWER_WORDS


#: What continues a unit after the part `_suffix` read (`/\\text{h}`, `\\cdot\\text{s}^{-1}`, `^{-1}`,
#: `²`, `squared`), or starts one it cannot read (`\\frac{\\text{km}}{\\text{h}}`): cut short there,
#: `\\boxed{10}\\text{ km}/\\text{h}` read as `10 km` and was proved equal to it.
_UNIT_GOES_ON = re.compile(
    r"(?:[ \t]|\\[,;:! ]|~)*(?:/|\\cdot(?![a-zA-Z])|\\times(?![a-zA-Z])|\u00b7|\^|_|[\u00b2\u00b3\u00b5\u03bc\u03a9\u00b0]"
    r"|\\mu(?![a-zA-Z])|\\Omega(?![a-zA-Z])|\\circ(?![a-zA-Z])|\\[dt]?frac\s*\{\s*\\(?:text|mathrm|mbox|textrm)"
    r"|\\[dt]?frac\s*\{\s*[A-Za-z]+\s*\}|(?:squared|cubed)(?![a-zA-Z]))"
)
#: A unit in a text command `_SUFFIX` cannot read (`\\text{ m s^{-1}}`, `\\textbf{ km}`): its first word.
_UNREAD_TEXT = re.compile(r"(?:[ \t]|\\[,;:! ]|~)*\\[a-z]+\s*\{\s*([A-Za-z]+|\u00b0)")
#: Left for the parser where a unit after a value cannot be read whole, so the answer is undecided.
_UNREADABLE_UNIT = " \\unreadable"


def _suffix(text: str, end: int) -> str:
    """`_read_suffix`, or an unreadable mark when a unit goes on past what it read (or starts
    with what it cannot read): a unit cut short or dropped proves a different unit equal."""
    found, consumed = _read_suffix(text, end)
    if _UNIT_GOES_ON.match(text, consumed):
        return _UNREADABLE_UNIT
    match = _SUFFIX.match(text, end)
    words = (match.group(1) or match.group(2) or "").split() if match is not None and not found else []
    goes_on = match is not None and (
        _UNIT_GOES_ON.match(text, match.end())
        or ((more := _UNREAD_TEXT.match(text, match.end())) and read_unit(more.group(1)) is not None)
    )
    if words and read_unit(words[0]) is not None and (goes_on or words[1:2] in (["squared"], ["cubed"])):
        return _UNREADABLE_UNIT  # `\\boxed{10} in/\\text{s}`: inches per second, not the prose `in`
    if words and len(words[0]) > 1 and words[0].lower() not in _PROSE_UNITS and _other_case_unit(words[0]):
        return _UNREADABLE_UNIT  # `\\boxed{2} hz`: hertz in lower case, dropped as prose it matched `2 h`
    if (word := _UNREAD_TEXT.match(text, consumed)) is not None:  # `\\text{ km}\\,\\text{km}`
        first = word.group(1)
        if first == "\u00b0" or first.lower() not in _PROSE_UNITS and read_unit(first) is not None:
            return _UNREADABLE_UNIT
    return found


def _other_case_unit(word: str) -> bool:
    """Whether `word` is no unit as written but is one in another letter case (`hz`, `KM`)."""
    if read_unit(word) is not None:
        return False
    return any(read_unit(w) is not None for w in {word.lower(), word.upper(), word.capitalize()} - {word})


def _read_suffix(text: str, end: int) -> tuple[str, int]:
    """The sign or unit words right after a located value (`\\boxed{5}\\%`, `$10$ dollars`,
    `\\boxed{3}\\text{ cm}`, `$5$ million`), to keep with it; '' when none. Dropped, they left a
    bare number that matched `10 cents` for `$10$ dollars` and `0.05` for `\\boxed{0.05}\\%`."""
    match = _SUFFIX.match(text, end)
    if match is None:
        return "", end
    words = match.group(1) if match.group(1) is not None else match.group(2)
    if words is None:
        return match.group(0).strip(), match.end()
    found = words.split()
    power = match.group(3) or ""
    if found == ["in"] and _PHRASE_END.match(text, match.end()):
        # `$10$ in` closing the answer is inches (dropped, `$10$ in` matched `10 km`); in `\\boxed{5}
        # in total` it is prose
        return f" in{power.strip()}", match.end()
    for size in range(len(found), 0, -1):
        if _is_unit_phrase(found[:size]):
            # `$10$ kg m/s`: words after the unit that continue it are kept (`$10$ kg` matched `10 kg`)
            longest = max(
                (k for k in range(size + 1, len(found) + 1) if read_unit(" ".join(found[:k]))), default=size
            )
            if longest > size and found[size].lower() not in _PROSE_UNITS:
                size = longest
            power = power.strip() if size == len(found) else ""
            consumed = match.end() if size == len(found) else _after_words(text, match, size)
            if size == 1 and len(found[0]) == 1:
                # `$10$ m`: outside the math the letter is the unit metres, never a variable (dropped,
                # `$10$ m` matched `10 km`; as ` m` it read as metres or the product 10*m)
                return f"\\text{{ {found[0]}}}{power}", consumed
            return " " + " ".join(found[:size]) + power, consumed
    return "", end


def _after_words(text: str, match: re.Match, size: int) -> int:
    """Where the first `size` words of the suffix `match` end in `text`."""
    index = match.start()
    for word in match.group(2 if match.group(1) is None else 1).split()[:size]:
        index = text.index(word, index) + len(word)
    return index


#: What keeps a located value from being one term in braces (`{x = 5}`, `{1, 2}` do not parse).
_NOT_A_TERM = re.compile(r"[,;=<>]|\\(?:le|ge|ne|neq|leq|geq|in|approx|pm|mp|to|cup|cap)(?![a-zA-Z])")


def _with_suffix(found: str, suffix: str) -> str:
    """`found` with the unit words after it; a term is braced first (`{x} cm`, `{\\pi}\\text{ m}`),
    so the words read as its unit: after a letter they read as letters (x·c·m), and `$x$ cm` was
    refuted against `x`."""
    if suffix[:1] in (" ", "\\") and suffix.strip()[:1] != "%" and not _NOT_A_TERM.search(found):
        return f"{{{found}}}{suffix}"
    return found + suffix


def _last_run(text: str, parts: list[_Part]) -> str | None:
    """The last part joined with the parts before it that only joiners separate; None when
    several parts sit inside brackets (`($3$, $4$)`: joining them would turn a tuple into a set)."""
    run = [parts[-1]]
    for part in reversed(parts[:-1]):
        if len(run) >= MAX_PARTS or _JOINER.fullmatch(text, part.end, run[-1].start) is None:
            break
        run.append(part)
    if len(run) > 1 and text[: run[-1].start].rstrip()[-1:] in ("(", "[", "{"):
        return None
    contents = [p.content.strip() for p in reversed(run)]
    found = _with_suffix(", ".join(c for c in contents if c), _suffix(text, parts[-1].end))
    # `\\$\\boxed{5}`: a currency sign just before the value is its unit too
    dollar = len(run) == 1 and text[max(0, run[0].start - 40) : run[0].start].rstrip().endswith(
        DOLLAR.rstrip()
    )
    return DOLLAR + found if dollar else found


def _is_prose(text: str, words: int = PROSE_WORDS) -> bool:
    """At least `words` plain words outside math segments (LaTeX commands do not count)."""
    return len(_WORD.findall(_MATH.sub(" ", text))) >= words


#: The currency sign while the policy runs (no `$`, so it never pairs as math); a located
#: answer writes it `\\$` again.
DOLLAR = "\\textdollar "
#: An answer that is only an amount with one bare `$` (`$0.5`, `-$3`, `$1,200.50`).
_AMOUNT = re.compile(r"\s*-?\s*\$\s?-?\d[\d,]*(?:\.\d+)?\s*\.?\s*")


def _currency(text: str) -> str:
    """`$` signs before digits read as currency in prose and in a lone amount (rule 5), as
    `DOLLAR`; other text unchanged."""
    if "$" not in text:
        return text
    if text.count("$") == 1 and _AMOUNT.fullmatch(text):
        return text.replace("$", DOLLAR)
    if not _is_prose(text, 2):
        return text
    single = text.replace("$$", "")
    pairs_enclose_prose = any(_is_prose(m.group(0), 2) for m in re.finditer(r"\$[^$]*\$", single))
    if single.count("$") % 2 == 0 and not pairs_enclose_prose:
        return text
    return re.sub(r"\$(?=\s?-?\d)", lambda _: DOLLAR, text)


def _masked(text: str) -> str:
    """`text` with its math segments blanked out (same length), so prose rules skip them."""
    return _MATH.sub(lambda m: "#" * len(m.group(0)), text)


#: A phrase with several verbs (`$x$ is 2 and $y$ is 3`) names several values: undecided.
_SEVERAL = object()


def _phrase(text: str) -> str | None | object:
    """Rule 3: read a marker's line (or a sentence) as an answer: its first sentence, then the
    math run at its start, else what follows its one verb, else the sentence itself. Returns
    `_SEVERAL` when the sentence has more than one verb."""
    text = text.strip().strip("*_").lstrip(":=").strip()  # `**Answer:** ...` (Markdown bold)
    end = _SENTENCE_END.search(_masked(text))
    text = text[: end.start()].strip() if end else text
    if not text:
        return None
    math = _math(text)
    if math and re.fullmatch(r"[\s*_]*", text[: math[0].start]):
        run = [math[0]]
        for part in math[1 : MAX_PARTS + 1]:
            if _JOINER.fullmatch(text, run[-1].end, part.start) is None:
                break
            run.append(part)
        if not _VERB.search(_masked(text[run[-1].end :])):  # `$x$ is 2`: the math is a subject
            found = ", ".join(c for c in (p.content.strip() for p in run) if c)
            return _with_suffix(found, _suffix(text, run[-1].end)) if found else None
    verbs = list(_VERB.finditer(_masked(text)))
    if len(verbs) > 1:
        return _SEVERAL
    if verbs:
        subject = text[: verbs[0].start()].strip()
        if _VALUE_FIRST.match(subject) or (math and math[0].start == 0 and subject[math[0].end :].strip()):
            # `6 since 2 + 3 is 5`: a value, then a clause with another one (it read 5)
            return _SEVERAL
        return _phrase(text[verbs[0].end() :])
    return text


#: A phrase that opens with a number (`6 since ...`, `-2, because ...`).
_VALUE_FIRST = re.compile(r"[-+]?\s*\.?\d")


#: Text with none of these is a bare answer unless it is prose (the common case, kept fast).
_MARKUP = re.compile(r"[$\\#]|answer|\b(?:is|are|equals|be|was|were)\b", re.IGNORECASE)


def find_answer(text: str) -> Extraction:
    """Locate the final answer in `text` by the policy in the module docstring."""
    found = _find_answer(text)
    if found.answer is not None and DOLLAR.rstrip() in found.answer:
        return Extraction(_DOLLAR_SIGN.sub(r"\\$", found.answer), found.rule, found.reason)
    return found


_DOLLAR_SIGN = re.compile(r"\\textdollar(?![a-zA-Z]) ?")


def _find_answer(text: str) -> Extraction:
    if len(text) < 200 and not _MARKUP.search(text) and not _is_prose(text):
        return Extraction(text.strip(), "whole")
    text = _currency(text.replace("\\$", DOLLAR))
    boxes = _boxes(text)
    if isinstance(boxes, ParseFailure):
        return Extraction(None, "undecided", boxes.message)
    markers = list(_MARKER.finditer(text))
    marker = markers[-1] if markers else None
    box_end = boxes[-1].end if boxes else -1
    if marker is not None and marker.start() >= box_end:
        line_end = text.find("\n", marker.end())
        found = _phrase(text[marker.end() : len(text) if line_end < 0 else line_end])
        if isinstance(found, str) and _answerish(found):
            return Extraction(found, "marker")
        if found is _SEVERAL:
            return Extraction(None, "undecided", "the marked line names several values")
        if not boxes:
            return Extraction(None, "undecided", "the marked line does not read as an answer")
    if boxes:
        found = _last_run(text, boxes)
        return (
            Extraction(found, "boxed")
            if found is not None
            else Extraction(None, "undecided", "boxes inside brackets")
        )
    if "$" in text.replace("$$", "") and text.replace("$$", "").count("$") % 2:
        return Extraction(None, "undecided", "unbalanced $ delimiters")
    stripped = text.strip()
    sentences = [s for s in re.split(r"(?<=[.!?])\s+|\n", stripped) if s.strip()]
    last = sentences[-1] if sentences else ""
    math = _math(text)
    # `... so $n$ is 34.`: a math segment followed by a verb and a value is a subject, not the answer
    found = _phrase(last) if _is_prose(stripped, 2) and _VERB.search(_masked(last)) else None
    if found is _SEVERAL:
        return Extraction(None, "undecided", "the last sentence names several values")
    if (
        isinstance(found, str)
        and _answerish(found)
        and (not math or _VERB.search(_masked(text[math[-1].end :])))
    ):
        return Extraction(found, "phrase")
    if math:
        found = _last_run(text, math)
        return (
            Extraction(found, "math")
            if found is not None
            else Extraction(None, "undecided", "math segments inside brackets")
        )
    if _is_prose(stripped):
        return Extraction(None, "undecided", "prose with no marked answer")
    return Extraction(stripped, "whole")


def extract(text: str) -> str | ParseFailure:
    """The answer text for the LaTeX parser; a ParseFailure (an undecided verdict) saying why
    when the policy cannot locate one."""
    answer = text
    for _ in range(MAX_UNWRAP):  # `\boxed{\boxed{7}}`: a box inside the answer is unwrapped
        found = find_answer(answer)
        if found.answer is None:
            return ParseFailure(f"no final answer located: {found.reason}", found="")
        if found.answer == answer or not _BOX.search(found.answer):
            return found.answer
        answer = found.answer
    return answer
