"""Finding where an answer part states its answer: marker statements ("정답: ③", "③이 정답입니다",
``\\boxed{3}``) and, when none can be read, answer sentences without a marker ("옳지 않은 것은 …",
"X이 가장 의심된다", "X를 투여한다", "진단: X", "따라서 …은 X이다"). Private to :mod:`examqa.reading.parse`.

Every search here is anchored on a literal ("답", "answer", "\\boxed", ":") or guarded by one: a
regex that starts with alternatives or a lookbehind is tried at every character, and answers run to
megabytes when a model loops.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from examqa.reading._choicetext import ChoiceIndex, Verdict, loose_exact, strip_endings
from examqa.reading._cues import NONE_RE, SENTENCE_END_RE, VALUE_CAP, C, interpret, label_at
from examqa.reading._stance import contradicts

MAX_STATEMENTS = 16  # statements read from the end of an answer part before falling back
MAX_CUES = 16  # answer sentences read from the end
CLAUSE_BACK = 300  # characters looked back from a predicate ("…이 가장 적절하다") for what it is said of

_BOXED_RE = re.compile(r"\\(?:boxed|fbox)\s*\{([^{}]*)\}")
_MARKER_RE = re.compile(r"(?<![가-힣A-Za-z])(?:(?P<ko>(?:최종[ \t]*)?(?:정답|답안|답변|답)(?:[ \t]*번호)?)"
                        r"|(?P<en>(?:(?:final|correct|best)[ \t]+)?answer))", re.I)
# The same markers without IGNORECASE, for the Korean ones: case folding is wasted work on Hangul.
_KO_MARKER_RE = re.compile(r"(?<![가-힣A-Za-z])(?P<ko>(?:최종[ \t]*)?(?:정답|답안|답변|답)(?:[ \t]*번호)?)(?P<en>)")
_FINAL_BEFORE_RE = re.compile(r"최종[ \t]*$")
_EN_QUALIFIER_BEFORE_RE = re.compile(r"(?:final|correct|best)[ \t]+$", re.I)
_MARKER_CLOSER_RE = re.compile(r"[ \t]*[\]】)」』>]")
_CLOSER_STARTS = frozenset(" \t]】)」』>")
_SEP_COLON_RE = re.compile(r"[ \t]*[:=][ \t]*")
_SEP_KO_RE = re.compile(r"[ \t]*[은는](?![가-힣])[ \t]*")
_SEP_KO_SUBJ_RE = re.compile(r"[ \t]*이[ \t]+")
_SEP_EN_RE = re.compile(r"[ \t]+(?:is|remains|would[ \t]+be|should[ \t]+be|must[ \t]+be|will[ \t]+be)[ \t]*:?[ \t]*",
                        re.I)
_SEP_EOL_RE = re.compile(r"[ \t]*(?=\n|$)")
_SEP_WS_RE = re.compile(r"[ \t]+")
_NON_SPACE_RE = re.compile(r"\S")

_REVERSE_LABEL = (rf"[{C}](?:[ \t]*번)?|[(\[][ \t]*\d{{1,2}}[ \t]*[)\]]|제[ \t]*\d{{1,2}}[ \t]*번"
                  r"|(?<![\d.,])\d{1,2}(?:[ \t]*번)?")
# "③이 정답", "(2)가 최종 답": read backwards from the 답 (the window ends at it).
_REVERSE_BEFORE_RE = {
    letters: re.compile(rf"(?P<label>{_REVERSE_LABEL}{r'|(?<![A-Za-z])[(]?[A-Z][)]?' if letters else ''})"
                        r"[ \t]*(?:이|가)[ \t]*(?:최종[ \t]*)?(?:정답|답)$")
    for letters in (False, True)
}
_REVERSE_AFTER_RE = re.compile(r"[ \t]*(?:입니다|이다|임|이며|이고|이에요|예요|[.!。]|$)", re.M)

# ---------------------------------------------------------------------------------- answer sentences (cues)
# Tier A: "옳지 않은 것은 X", "가장 적절한 치료는 X", "X이 가장 의심된다", "X를 투여한다", "진단: X".
# Tier B, read only when no tier-A sentence is: "X이 옳다", "X는 틀렸다" (whose sense depends on the
# question), and "따라서 …은 X이다" where X is exactly a choice's text.

_ADJ = (r"(?P<fneg>(?:옳|맞|바르|올바르|알맞|적절하|타당하|적합하|정확하)지[ \t]*않은|틀린|잘못된|부적절한|부적합한"
        r"|해당하지[ \t]*않는)"
        r"|(?P<fpos>옳은|맞는|바른|올바른|알맞은|적절한|타당한|적합한|정확한|해당하는|해당되는)"
        r"|의심되는|유력한|가능성이[ \t]*(?:가장[ \t]*)?높은|(?:우선|먼저)(?:적으로)?[ \t]*[가-힣]{1,5}[ \t]*할|필요한"
        r"|권장되는|추천되는|고른|정답인|답인")
# The lookaheads give the scan the characters a match can start with (the alternatives alone do not).
_FORWARD_CUE_RE = re.compile(
    r"(?=[옳맞바올알적타정틀잘부해의유가우먼필권추고답것])"
    rf"(?:(?:가장[ \t]*)?(?:{_ADJ})(?:[ \t]*[가-힣A-Za-z]{{1,8}}?){{0,2}}?[ \t]*(?:은|는|으로는|로는)"
    r"|것[ \t]*(?:은|으로는)|것(?:을|만을)[ \t]*(?:모두[ \t]*)?(?:고르면|고른다면|찾으면|선택하면))[ \t]*[:,]?[ \t]+")
# Literals every match of a cue pattern contains: one search for them is cheaper than the pattern's scan.
_FORWARD_WORDS = re.compile("것|옳|맞|바르|바른|알맞|적절|타당|적합|정확|틀린|잘못|해당|의심|유력|가능성|우선|먼저"
                            "|필요|권장|추천|고른|답인")
_ENGLISH_CUE_RE = re.compile(
    r"(?=[Tt])\bthe[ \t]+(?:most[ \t]+)?(?:likely|appropriate|suitable|(?P<eneg>incorrect|wrong|false)"
    r"|(?P<epos>correct|true|right)|best|only)"
    r"(?P<ewords>(?:[ \t]+[a-z]+){0,2}?)[ \t]+(?:is|would[ \t]+be)[ \t]*:?[ \t]*", re.I)
# "the correct answer is": the answer itself, whatever the question asks; "the correct statement is" says
# which statement is right.
_ANSWER_WORD_RE = re.compile(r"[ \t]+(?:answer|choice|option)\b", re.I)
_PRED_A = (r"가장[ \t]*(?:적절|적합|타당|유력|알맞)(?:하다|합니다|해[ \t]*보인다|해[ \t]*보입니다)"
           r"|(?:가장[ \t]*|더[ \t]*)?(?:의심(?:된다|됩니다)|가능성이[ \t]*(?:가장[ \t]*|더[ \t]*)?높(?:다|습니다))"
           r"|(?:최종[ \t]*)?(?:정답|답)(?:이다|입니다|임|이에요|예요)?")
_PRED_B_NEG = (r"옳지[ \t]*않(?:다|습니다|은[ \t]*(?:설명|것|지문|내용)(?:이다|입니다)?)"
               r"|틀렸(?:다|습니다)|틀립니다|틀리다|틀린[ \t]*(?:설명|것|지문|내용)(?:이다|입니다)?"
               r"|잘못(?:되었다|되었습니다|됐다|된[ \t]*(?:설명|것|지문|내용)(?:이다|입니다)?)"
               r"|적절하지[ \t]*않(?:다|습니다)")
_PRED_B_POS = (r"옳(?:다|습니다|은[ \t]*(?:설명|것|지문|내용)(?:이다|입니다)?)"
               r"|맞(?:다|습니다|는[ \t]*(?:설명|것|지문|내용)(?:이다|입니다)?)"
               r"|적절(?:하다|합니다)|해당(?:한다|합니다|된다|됩니다)")
_REVERSE_CUE_RE = re.compile(rf"(?:이|가|은|는)[ \t]*(?:(?P<a>{_PRED_A})|(?P<bneg>{_PRED_B_NEG})"
                             rf"|(?P<bpos>{_PRED_B_POS}))(?=[ \t]*(?:[.!。,(]|$))", re.M)
# The sense of a line head ("옳지 않은 것: ③"): a statement said to be wrong, or right.
_HEAD_NEG_RE = re.compile(r"(?:옳|맞|바르|올바르|알맞|적절하|타당하|적합하|정확하)지[ \t]*않|틀린|잘못|부적|해당하지"
                          r"|incorrect|wrong|false|\bnot\b", re.I)
_HEAD_POS_RE = re.compile(r"옳은|맞는|바른|올바른|알맞은|적절한|타당한|적합한|정확한|해당하는|correct|true|right", re.I)
_PRED_WORDS = re.compile("적절|적합|타당|유력|알맞|의심|가능성|답|옳|틀|잘못|맞|해당")
_VERB_CUE_RE = re.compile(r"[을를][ \t]+(?:[^\s.,]+[ \t]+){0,3}?"
                          r"(?:투여|선택|처방|시행|사용|고르|고릅|택하|택합|권고|권장|추천|실시)")
_VERB_WORDS = re.compile("투여|선택|처방|시행|사용|고르|고릅|택하|택합|권고|권장|추천|실시")
_TOPIC_HEAD_RE = re.compile(r"[ \t]*(?P<head>[가-힣A-Za-z][가-힣A-Za-z \t]{0,20}?)[ \t]*")
# Heads of lines that explain, or list what is ruled out ("감별 진단: …", "배제할 것: …"), not the answer;
# and marker heads (정답:, Answer:), which are read as statements, not here.
_EXPLAINING_HEAD = (r"해설|근거|이유|풀이|설명|참고|분석|검토|주의|비고|요약|정리|계산|결과|오답|감별|배제|제외|금기"
                    r"|부작용|note|explanation|reason|analysis|why|step|differential|rule|exclude|contraindicat")
_EXPLAINING_HEAD_RE = re.compile(_EXPLAINING_HEAD, re.I)
_NOT_ANSWER_HEAD_RE = re.compile(rf"{_EXPLAINING_HEAD}|답|answer", re.I)
# A topic particle, not 또는/혹은 nor the 는/은 of a modifier (있는, 하는, 같은, 옳은): the characters
# before it are checked on the match (see _topics), since a leading lookbehind is scanned slowly.
_TOPIC_KO_RE = re.compile(r"[은는][ \t]+")
_TOPIC_EN_RE = re.compile(r"\bis[ \t]+(?:the[ \t]+|an?[ \t]+)?", re.I)
_NOT_TOPIC_BEFORE = frozenset("또혹있없하되않같많높낮작좋적옳맞")
_CONCLUSION_RE = re.compile(r"(?:따라서|그러므로|그러니까|결론적으로|결국|즉|so|therefore|thus|hence)\b", re.I)
_CONCLUSION_WORDS = re.compile("따라서|그러|결론|결국|즉|[Ss][Oo]|[Tt][Hh][Ee][Rr][Ee]|[Tt][Hh][Uu][Ss]"
                               "|[Hh][Ee][Nn][Cc][Ee]")
_BARE_NUMBER_RE = re.compile(r"[\d.,\s]+")
# Connective endings that open a new clause ("…5년이므로 ③이 …"), after a syllable (checked on the match),
# and " 중에서는 " ("A와 B 중에서는 B가 …").
_CLAUSE_START_RE = re.compile(
    r"(?:므로|지만|으나|는데|니까|하여|해서|이며|이고|으며|보면|하면|보다는|보다)(?=[ \t])"
    r"|(?<=[ \t])중(?:에서는|에서|에는|에)(?=[ \t])")
_DEMONSTRATIVE_RE = re.compile(r"(?:이것|그것|이|그|위|해당)[ \t]*(?:설명|지문|보기|내용)?")


def _matches_after(pattern: re.Pattern[str], text: str, allowed: Callable[[str], bool],
                   at_start: bool = True) -> list[re.Match[str]]:
    """Matches whose preceding character passes ``allowed`` (what a leading lookbehind would say, but a
    pattern that starts with one is tried slowly at every character); ``at_start``: whether a match at
    the very start counts. A rejected match is searched past by one character, as finditer would."""
    found = []
    pos = 0
    while (m := pattern.search(text, pos)) is not None:
        if (at_start if m.start() == 0 else allowed(text[m.start() - 1])):
            found.append(m)
            pos = max(m.end(), m.start() + 1)
        else:
            pos = m.start() + 1
    return found


def _is_word_char(ch: str) -> bool:
    return "가" <= ch <= "힣" or (ch.isascii() and ch.isalpha())


# ------------------------------------------------------------------------------------------ statements

def _starts_with_answer(s: str, ctx: ChoiceIndex) -> bool:
    return label_at(s, 0, ctx) is not None or _BOXED_RE.match(s) is not None or NONE_RE.match(s) is not None


def value_at(text: str, pos: int) -> str:
    """The rest of the line from ``pos``, capped: a degenerate answer repeating "정답: …" thousands of
    times on one line must not cost quadratic time, and a value past the cap is explanation anyway."""
    end = text.find("\n", pos, pos + VALUE_CAP)
    return text[pos: end if end >= 0 else pos + VALUE_CAP]


def _marker_value(text: str, m: re.Match[str], ctx: ChoiceIndex) -> str | None:
    """The value a marker introduces, or None when this occurrence is no marker ("정답을 고르면")."""
    end = m.end()
    if text[end: end + 1] in _CLOSER_STARTS:
        closer = _MARKER_CLOSER_RE.match(text, end)  # "[정답] ③", "【정답】③"
        end = closer.end() if closer else end
    for sep in (_SEP_COLON_RE, _SEP_KO_RE if m.group("ko") else _SEP_EN_RE):
        s = sep.match(text, end)
        if s:
            return value_at(text, s.end())
    if _SEP_EOL_RE.match(text, end):  # "## 정답" heading: the value is the next non-empty line
        following = _NON_SPACE_RE.search(text, end)
        return value_at(text, following.start()) if following else None
    at_line_start = not text[text.rfind("\n", 0, m.start()) + 1: m.start()].strip()
    if m.group("ko"):
        s = _SEP_KO_SUBJ_RE.match(text, end)  # "정답이 ③번이다"
        if s and _starts_with_answer(value_at(text, s.end()), ctx):
            return value_at(text, s.end())
    s = _SEP_WS_RE.match(text, end)
    # "정답 ③" mid-line is Korean shorthand; English "answer ① is wrong" mid-line is prose.
    if s and (at_line_start or (m.group("ko") and _starts_with_answer(value_at(text, s.end()), ctx))):
        return value_at(text, s.end())
    return None


def _particle_before(text: str, start: int, final: re.Match[str] | None) -> bool:
    """Whether 이/가 comes before a (최종) (정)답 that starts at ``start``: "③이 정답", "(2)가 최종 답"."""
    j = final.start() if final else start
    while j and text[j - 1] in " \t":
        j -= 1
    return j > 0 and text[j - 1] in "이가"


def _marker_at(pattern: re.Pattern[str], text: str, anchor: int, starts: list[int]) -> re.Match[str] | None:
    """The marker around a 답/answer at ``anchor``, tried from its leftmost possible start."""
    for start in starts:
        m = pattern.match(text, start)
        if m is not None and m.end() > anchor:
            return m
    return None


def statements(text: str, ctx: ChoiceIndex) -> list[tuple[int, str, str]]:
    """The answer part's last marker statements, in order: (position, ``marker``/``boxed``, value).

    Each kind is searched for from the end and only its last ``MAX_STATEMENTS`` are kept (no more are
    read): a repetition loop of "정답: ③이 아니라 …" costs the same at any length.
    """
    found: list[tuple[int, str, str]] = []
    reverse = _REVERSE_BEFORE_RE[ctx.letters]
    finals = "최종" in text
    korean = reversed_found = 0
    limit = len(text)  # a marker found later bounds the next one found (they never overlap)
    pos = text.rfind("답")
    while pos >= 0 and (korean < MAX_STATEMENTS or reversed_found < MAX_STATEMENTS):
        start = pos - 1 if pos and text[pos - 1] == "정" else pos
        final = _FINAL_BEFORE_RE.search(text, max(0, start - 4), start) if finals else None
        if korean < MAX_STATEMENTS:
            starts = ([final.start()] if final else []) + ([start, pos] if start != pos else [pos])
            m = _marker_at(_KO_MARKER_RE, text, pos, starts)
            if m is not None and m.end() <= limit:
                limit = m.start()
                value = _marker_value(text, m, ctx)
                if value is not None:
                    found.append((m.start(), "marker", value))
                    korean += 1
        if (reversed_found < MAX_STATEMENTS and _particle_before(text, start, final)
                and _REVERSE_AFTER_RE.match(text, pos + 1)):
            r = reverse.search(text, max(0, pos - 24), pos + 1)
            if r is not None:
                found.append((r.start(), "marker", r.group("label")))
                reversed_found += 1
        pos = text.rfind("답", 0, pos)
    if "nswer" in text or "NSWER" in text:
        low = text.lower()
        english = 0
        limit = len(text)
        pos = low.rfind("answer")
        while pos >= 0 and english < MAX_STATEMENTS:
            qualifier = _EN_QUALIFIER_BEFORE_RE.search(text, max(0, pos - 10), pos)
            m = _marker_at(_MARKER_RE, text, pos, ([qualifier.start()] if qualifier else []) + [pos])
            if m is not None and m.group("en") and m.end() <= limit:
                limit = m.start()
                value = _marker_value(text, m, ctx)
                if value is not None:
                    found.append((m.start(), "marker", value))
                    english += 1
            pos = low.rfind("answer", 0, pos)
    if "\\boxed" in text or "\\fbox" in text:
        boxed = [(m.start(), "boxed", m.group(1)) for m in _BOXED_RE.finditer(text)]
        found += boxed[-MAX_STATEMENTS:]
    if len(found) > 1:
        found.sort(key=lambda f: f[0])
    return found[-MAX_STATEMENTS:]


# ------------------------------------------------------------------------------------------ answer sentences

def _sentence_after(text: str, pos: int) -> str:
    end = SENTENCE_END_RE.search(text, pos, pos + VALUE_CAP)
    return text[pos: end.end() if end else pos + VALUE_CAP]


def _clause_before(text: str, pos: int, follow: bool = True) -> str:
    """What a predicate at ``pos`` is said of: back to the clause start ("…5년이므로 ③이 옳지 않다" → ③)."""
    start = max(0, pos - CLAUSE_BACK)
    # The nearest plain boundary by string search; the connective endings only after it.
    plain = max(text.rfind(ch, start, pos) for ch in "\n,;:→")
    for end_mark in ".!?。":
        at = text.rfind(end_mark, start, pos)
        while at >= 0 and (at + 1 >= pos or not text[at + 1].isspace()):  # a sentence end has a space after
            at = text.rfind(end_mark, start, at)
        plain = max(plain, at)
    boundary_start, boundary_end = (plain, plain + 1) if plain >= 0 else (-1, start)
    for m in _CLAUSE_START_RE.finditer(text, boundary_end, pos):
        if text[m.start()] == "중" or (m.start() and "가" <= text[m.start() - 1] <= "힣"):
            boundary_start, boundary_end = m.start(), m.end()
    clause = text[boundary_end:pos].strip()
    if follow and boundary_start >= 0 and _DEMONSTRATIVE_RE.fullmatch(clause):
        # "…취소할 수 있으므로 이것이 정답이다": the demonstrative points at the clause before it.
        return _clause_before(text, boundary_start, follow=False)
    return clause


Cue = tuple[int, str, str, int, str]
"""An answer sentence: (position, tier, how its value is found, where, sense)."""


def _forward_sense(m: re.Match[str]) -> str:
    return "neg" if m.group("fneg") else "pos" if m.group("fpos") else ""


def _english_sense(m: re.Match[str]) -> str:
    if _ANSWER_WORD_RE.match(m.group("ewords")):
        return ""  # "the correct answer is": the answer, on any question
    return "neg" if m.group("eneg") else "pos" if m.group("epos") else ""


def _head_sense(head: str) -> str:
    return "neg" if _HEAD_NEG_RE.search(head) else "pos" if _HEAD_POS_RE.search(head) else ""


def cue_values(text: str) -> list[Cue]:
    """Answer sentences without a marker, the last ``MAX_CUES`` of them: (position, tier, how the value
    is found — ``after`` the cue to the sentence end or the clause ``before`` it — where, and the sense
    of what the sentence says of its value: ``neg`` (it is the wrong one: "옳지 않은 것은 …", "…이
    틀렸다"), ``pos`` (the right one: "옳은 것은 …", "…이 옳다") or "" (it is chosen: "…이 가장
    의심된다", "…을 투여한다"))."""
    found: list[Cue] = []
    if _FORWARD_WORDS.search(text):
        for m in _matches_after(_FORWARD_CUE_RE, text, lambda ch: not "가" <= ch <= "힣"):
            found.append((m.start(), "A", "after", m.end(), _forward_sense(m)))
    if "the " in text or "The " in text or "THE " in text:
        found += [(m.start(), "A", "after", m.end(), _english_sense(m)) for m in _ENGLISH_CUE_RE.finditer(text)]
    if _PRED_WORDS.search(text):
        for m in _REVERSE_CUE_RE.finditer(text):
            at = m.start()
            while at and text[at - 1] in " \t":
                at -= 1
            sense = "neg" if m.group("bneg") else "pos" if m.group("bpos") else ""
            found.append((at, "A" if m.group("a") else "B", "before", at, sense))
    if _VERB_WORDS.search(text):
        verb_object = _matches_after(_VERB_CUE_RE, text, lambda ch: _is_word_char(ch) or ch in "0123456789)",
                                     at_start=False)
        found += [(m.start(), "A", "before", m.start(), "") for m in verb_object]
    colon = text.find(":")
    while colon >= 0:
        line_start = text.rfind("\n", 0, colon) + 1
        head = _TOPIC_HEAD_RE.fullmatch(text, line_start, colon)
        if head is not None and not _NOT_ANSWER_HEAD_RE.search(head.group("head")):
            value_start = colon + 1
            while value_start < len(text) and text[value_start] in " \t":
                value_start += 1
            if value_start < len(text) and not text[value_start].isspace():
                found.append((line_start, "A", "line", value_start, _head_sense(head.group("head"))))
        colon = text.find(":", colon + 1)
    return sorted(found)[-MAX_CUES:]


def explains(text: str) -> bool:
    """Whether the first line is headed as an explanation or a list of what is ruled out ("해설: …",
    "배제할 진단: …"): what it names is not chosen."""
    colon = text.find(":", 0, text.find("\n") if "\n" in text else len(text))
    head = _TOPIC_HEAD_RE.fullmatch(text, 0, colon) if colon > 0 else None
    return head is not None and _EXPLAINING_HEAD_RE.search(head.group("head")) is not None


def _cue_value(text: str, how: str, at: int) -> str:
    if how == "after":
        return _sentence_after(text, at)
    if how == "before":
        return _clause_before(text, at)
    return value_at(text, at)


def _topics(sentence: str) -> list[int]:
    """Where the values of a sentence's topics start ("지급보험금은 |800만원", "The document is |the …")."""
    found = []
    for m in _TOPIC_KO_RE.finditer(sentence):
        before = sentence[m.start() - 1] if m.start() else ""
        if before and (_is_word_char(before) or before in "0123456789)") and before not in _NOT_TOPIC_BEFORE:
            found.append(m.end())
    if "is" in sentence or "IS" in sentence or "Is" in sentence:
        found += [m.end() for m in _TOPIC_EN_RE.finditer(sentence)]
    return sorted(found)


def _opens_sentence(text: str, at: int) -> bool:
    """Whether ``at`` starts a sentence: only spaces between it and the text start, a line break, or a
    sentence end that a space follows."""
    j = at
    while j > 0 and text[j - 1] in " \t":
        j -= 1
    return j == 0 or text[j - 1] == "\n" or (text[j - 1] in ".!?。" and j < at)


def _topic_verdict(text: str, ctx: ChoiceIndex) -> Verdict | None:
    """"따라서 지급보험금은 800만원이다": a sentence whose one topic is said to be exactly a choice's text.

    Weak evidence, so only from the answer's last sentence or one that opens with a conclusion word,
    never from a sentence listing several givens ("기초재고는 ₩120,000이고 기말재고는 ₩200,000이다"),
    and a bare number ("기울기는 2이다") only after a conclusion word.
    """
    spans: list[tuple[int, int]] = []
    tail_start = max(0, len(text) - VALUE_CAP)
    last_start = tail_start
    for m in SENTENCE_END_RE.finditer(text, tail_start):
        if text[m.end():].strip():
            last_start = m.end()
    spans.append((last_start, len(text)))
    if _CONCLUSION_WORDS.search(text):
        for m in _CONCLUSION_RE.finditer(text):
            if _opens_sentence(text, m.start()):
                stop = SENTENCE_END_RE.search(text, m.start(), m.start() + VALUE_CAP)
                spans.append((m.start(), stop.end() if stop else min(len(text), m.start() + VALUE_CAP)))
    found = None
    for start, end in sorted(set(spans))[-MAX_CUES:]:
        sentence = text[start:end].strip()
        if not sentence:
            continue
        concluding = _CONCLUSION_RE.match(sentence) is not None
        topics = _topics(sentence)
        if len(topics) != 1:
            continue
        core = strip_endings(sentence[topics[0]:].strip())
        verdict = loose_exact(core, ctx) if core else None
        if verdict is not None and (concluding or not _BARE_NUMBER_RE.fullmatch(core)):
            found = verdict
    return found


def cue_verdict(text: str, ctx: ChoiceIndex, tiers: str = "AB", cues: list[Cue] | None = None) -> Verdict | None:
    """The answer sentences' reading: one choice, ``ambiguous`` when they name two, None when none reads.

    Tier B (and its "…은 X이다" sentences) is read only when tier A gives nothing; ``tiers`` reads only
    some (``cues``: :func:`cue_values` of ``text``, when already at hand). A sentence that says its
    value is the wrong one on a question asking for the right one ("옳지 않은 것은 ①", "①이 틀렸다"
    on "옳은 것은?"), or the right one on a negative question, rules that value out: it is not read.
    """
    if cues is None:
        cues = cue_values(text)
    for tier in tiers:
        verdicts = []
        for _, cue_tier, how, at, sense in cues:
            if cue_tier == tier and not contradicts(sense, ctx.negative):
                value = _cue_value(text, how, at)
                verdict = interpret(value, ctx, "cue") if value.strip() else None
                if verdict is not None:
                    verdicts.append(verdict)
        if tier == "B":
            topic = _topic_verdict(text, ctx)
            if topic is not None:
                verdicts.append(topic)
        chosen = {v.choice for v in verdicts if v.choice is not None}
        failed = [v for v in verdicts if v.choice is None and v.method != "no_answer"]
        if len(chosen) == 1 and not any(v.method == "ambiguous" for v in failed):
            k = chosen.pop()
            return next(v for v in verdicts if v.choice == k)
        if len(chosen) > 1:
            return Verdict(None, "ambiguous")
        if failed:
            return failed[-1]
    return None
