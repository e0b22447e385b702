"""Response parsing: split a reasoning-mode completion and extract the chosen choice.

Two stages, each callable through :func:`parse_response`:

1. **Split.** In reasoning mode the chat template opens ``<think>`` in the *prompt*, so a completion is
   ``reasoning…</think>answer``. An echoed leading ``<think>`` is tolerated. With several ``</think>``
   we split at the **last** one: models sometimes close the block, reopen it and think on, and only
   the text after the final close is the answer. No ``</think>`` at all means the reasoning was cut
   off: the result is ``truncated`` with no choice — the reasoning text is never graded, because it
   is full of options the model considered and rejected. An unclosed ``<think>`` *after* the last
   ``</think>`` (thinking reopened and cut) is dropped; the answer before it still counts.
   With ``reasoning=False`` the whole text is the answer part, minus any ``<think>…</think>`` block
   (servers that return ``reasoning_content`` separately are handled by the caller passing only the
   content with ``reasoning=False``). A trailing end-of-turn token (``[|endofturn|]``) is ignored.

2. **Extract**, from the answer part only:

   a. *Statements*, taken from the **last** one backwards: a marker (정답, 답, 답안, 답변, 최종 정답, 최종 답,
      정답 번호, Answer, Final answer, Correct answer; separated by ``:``/``：``/``=``, 은/는, ``is``,
      a line break as in a ``## 정답`` heading, or a space when a label follows; ``[정답]``/``【정답】``
      too), a reversed marker ("③이 정답입니다"), or a ``\\boxed{…}``. The last statement that can be
      read wins over earlier ones and over any explanation after it ("정답: ③\\n\\n해설: ①은 …" → 3).
      Markdown (bold, headings, bullets), LaTeX ``$``/``\\text{}`` and full-width forms are removed
      first. Only the last ``MAX_STATEMENTS`` statements and ``VALUE_CAP`` characters of a marker's
      line are read, so a degenerate repetition loop costs linear time.
   b. With no readable statement: the first line read on its own ("③", "3번입니다.", "2개"), then
      every label mentioned in the answer part: exactly one distinct label is the answer, several
      are ``ambiguous``.

   A statement's value (its first line) is read as a *label* — ①–⑳ (also ❶, ➀, ⓵), ``N번``, ``(N)``,
   ``N)``, ``N.``, a bare ``N``, ⑴, letters A–Z when ``label_style == "letter"`` (and ``(B)``, ``B번``),
   Korean ordinals (세 번째, 셋째, 3번째), optionally after "보기"/"선택지"/"option" — or as a *choice's
   text*:

   * **Label or text?** A number only counts as a label when a delimiter, a particle or 번 follows it,
     so "2개", "3개월", "1,000만원", "2.5" are never labels. When both readings exist, the reading
     that explains the whole value wins: "3 개월" is the text 3개월 (the label would leave "개월"
     over). When both explain all of it and disagree — "정답: 2" where the choices are the texts
     0, 1, 2, 3 — the result is ``ambiguous``. A label followed by a choice's text ("③ 2개") must
     agree with that text, else ``ambiguous``.
   * **Exact text**: the value, or its first sentence/clause, with Korean sentence endings
     (입니다, 이다 …) removed, equals a choice text ignoring case, whitespace and punctuation.
   * **Combinations**: when every choice is a set of ㄱ/ㄴ/ㄷ (㉠, ㈀), 가/나/다 (㉮) items, an answer
     naming the same set ("ㄱ, ㄷ", "ㄱㄷ", "ㄱ과 ㄷ", "㉠㉢") picks that choice whatever the order;
     a set that is no choice is ``out_of_range``.
   * **Fuzzy**: ``rapidfuzz.fuzz.ratio`` ≥ 85 with a margin of 10 over the runner-up; after a marker
     also the one choice text (≥ 3 characters) that the value contains.
   * Several labels ("2 또는 3", "①, ③") are ``ambiguous`` unless the value is a choice's text.
     A negated label ("③이 아니라 ④") is read after the negation. 없음/정답 없음/모름/unknown is
     ``none_stated`` unless a choice's text says so ("해당 없음").

Methods (``ParsedResponse.method``) — the evidence used:

* success: ``marker`` (a label after an explicit marker), ``boxed`` (a label inside ``\\boxed{}``),
  unmarked label forms ``circled``, ``number_suffix`` (3번), ``paren`` ((3), 3), ⑴), ``letter``,
  ``ordinal``, ``bare`` (3, 3.), and text readings ``choice_text``, ``combination``, ``fuzzy``;
* failure (choice None): ``truncated`` (reasoning mode, no ``</think>``), ``no_answer`` (nothing
  readable), ``ambiguous`` (two different answers), ``out_of_range`` (a label outside
  1..len(choices), or a combination that is no choice), ``none_stated`` (the model says there is none).

"Truncated", "no answer" and "wrong" stay distinct: truncated comes only from a missing ``</think>``;
a readable answer that is not the key is simply a choice that grades wrong.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from examqa._choicetext import (
    ODD_CHARS_RE,
    TRANSLATE,
    ChoiceIndex,
    Verdict,
    choice_index,
    described,
    exact_or_set,
    fuzzy,
    loose_exact,
    named_terms,
    strip_endings,
    strip_wrapper,
)

__all__ = ["FAILURE_METHODS", "SUCCESS_METHODS", "ParsedResponse", "parse_response"]

SUCCESS_METHODS = frozenset({
    "marker", "boxed", "circled", "number_suffix", "paren", "letter", "ordinal", "bare",
    "choice_text", "combination", "fuzzy",
})
"""Methods that come with a choice."""
FAILURE_METHODS = frozenset({"truncated", "no_answer", "ambiguous", "out_of_range", "none_stated"})
"""Methods that come with ``choice=None``."""

MAX_STATEMENTS = 64  # statements read from the end of an answer part before falling back
VALUE_CAP = 600  # characters of a marker's line that are read; longer than any real choice text
CLAUSE_BACK = 300  # characters looked back from a predicate ("…이 가장 적절하다") for what it is said of


@dataclass(frozen=True)
class ParsedResponse:
    """What ``parse_response`` found."""

    choice: int | None
    """1-based choice, or None (no answer, or truncated)."""
    method: str
    """How it was found, e.g. ``marker``, ``circled``, ``boxed``, ``choice_text``, ``fuzzy``, or why not:
    ``truncated``, ``no_answer``, ``ambiguous``, ``out_of_range``, ``none_stated``."""
    reasoning: str | None
    """The reasoning text (before ``</think>``), None in non-reasoning mode."""
    answer_text: str
    """The final answer part (after ``</think>``); empty when truncated."""
    truncated: bool
    """Reasoning mode with no ``</think>``: the reasoning was cut off and there is no answer."""


# ------------------------------------------------------------------------------------------ symbol tables

_CIRCLED: dict[str, int] = {}
for _base, _count, _first in ((0x2460, 20, 1), (0x2776, 10, 1), (0x2780, 10, 1), (0x278A, 10, 1),
                              (0x24F5, 10, 1), (0x24EB, 10, 11)):
    for _i in range(_count):
        _CIRCLED[chr(_base + _i)] = _first + _i
_CIRCLED_BY_NUMBER = {k: c for c, k in reversed(_CIRCLED.items())}  # 1 → ①, the plain form
_PAREN_DIGITS = {chr(0x2474 + i): i + 1 for i in range(20)}  # ⑴..⒇
_ORDINALS = {"첫": 1, "두": 2, "둘": 2, "세": 3, "셋": 3, "네": 4, "넷": 4, "다섯": 5, "여섯": 6,
             "일곱": 7, "여덟": 8, "아홉": 9, "열": 10}
_ORDINAL_ALT = "|".join(sorted(_ORDINALS, key=len, reverse=True))

_C = "".join(_CIRCLED)
_PD = "".join(_PAREN_DIGITS)

# ----------------------------------------------------------------------------------------------- regexes

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
_END_TOKENS = ("[|endofturn|]", "<|im_end|>", "<|endoftext|>")

_LATEX_CMD_RE = re.compile(r"\\(?:text|mathrm|mathbf|textbf|mathit|textit)\s*\{([^{}]*)\}")
_TEXTCIRCLED_RE = re.compile(r"\\(?:textcircled|circled)\s*\{\s*(\d{1,2})\s*\}")
_MARKUP_RE = re.compile(r"\*+|__|`+|(?<![A-Za-z])\$+|\\[()\[\]%]|</?(?:b|strong|em)>")
_LINE_PREFIX_RE = re.compile(r"^[ \t]*(?:#{1,6}[ \t]*|>[ \t]*|[-•·][ \t]+)+", re.M)
_BOXED_RE = re.compile(r"\\(?:boxed|fbox)\s*\{([^{}]*)\}")

_KO_MARK = r"(?:최종[ \t]*)?(?:정답|답안|답변|답)(?:[ \t]*번호)?"
_EN_MARK = r"(?:(?:final|correct|best)[ \t]+)?answer"
_MARKER_RE = re.compile(rf"(?<![가-힣A-Za-z])(?:(?P<ko>{_KO_MARK})|(?P<en>{_EN_MARK}))", re.I)
_MARKER_CLOSER_RE = re.compile(r"[ \t]*[\]】)」』>]")
_SEP_COLON_RE = re.compile(r"[ \t]*[:=][ \t]*")
_SEP_KO_RE = re.compile(r"[ \t]*[은는](?![가-힣])[ \t]*")
_SEP_KO_SUBJ_RE = re.compile(r"[ \t]*이[ \t]+")
_SEP_EN_RE = re.compile(r"[ \t]+(?:is|remains|would[ \t]+be|should[ \t]+be|must[ \t]+be|will[ \t]+be)[ \t]*:?[ \t]*",
                        re.I)
_SEP_EOL_RE = re.compile(r"[ \t]*(?=\n|$)")
_SEP_WS_RE = re.compile(r"[ \t]+")
_NON_SPACE_RE = re.compile(r"\S")

# What may follow a bare number for it to be a label: a delimiter, a particle or an ending — never a
# unit (개, 월, 년, %, 만원 …), and never the rest of a decimal (2.5) or a thousands group (1,000).
_BOUND = (r"(?!\.\d|,\d{3}(?!\d))"
          r"(?=$|[\s.,;:!?)\]}…~/·、'\"]|[은는이을를과와도만로으입임또혹및]|or\b|and\b)")
_LETTER_BOUND = r"(?![A-Za-z0-9])"


def _label_alternatives(letters: bool) -> str:
    """Label forms, matched at a given position (the start of a value or after a coordinator)."""
    alts = [
        rf"[(\[【][ \t]*(?P<pc>[{_C}])[ \t]*[)\]】](?:[ \t]*번)?",
        rf"(?P<c>[{_C}])(?:[ \t]*번(?!째))?",
        rf"(?P<pd>[{_PD}])(?:[ \t]*번)?",
        r"[(\[【][ \t]*(?P<pn>\d{1,2})[ \t]*(?:번[ \t]*)?[)\]】](?:[ \t]*번)?",
        rf"(?P<o>{_ORDINAL_ALT})[ \t]*(?:번[ \t]*)?째",
        r"(?P<no>\d{1,2})[ \t]*번[ \t]*째",
        r"제[ \t]*(?P<nj>\d{1,2})[ \t]*번(?![ \t]*째)",  # 제3번, 제 2 번
        rf"(?P<n>\d{{1,2}})(?!\d)(?:(?P<nb>[ \t]*번(?!째))|(?P<np>[ \t]*\))|(?P<nd>\.(?!\d)))?{_BOUND}",
    ]
    if letters:
        alts += [
            r"[(\[][ \t]*(?P<pl>[A-Za-z])[ \t]*[)\]](?:[ \t]*번)?",
            rf"(?<![A-Za-z])(?P<l>[A-Za-z])(?:[ \t]*번)?(?:[ \t]*[).](?![A-Za-z0-9]))?{_LETTER_BOUND}",
        ]
    return "|".join(alts)


_LABEL_RE = {letters: re.compile(_label_alternatives(letters)) for letters in (False, True)}
_LABEL_PREFIX_RE = re.compile(r"(?:option|choice|보기|선택지|선지)[ \t]*(?:no\.?[ \t]*)?", re.I)
_COORD_RE = re.compile(r"[ \t]*(?:,|、|/|·|\+|&|~|또는|혹은|이나|그리고|및|과|와|나|or|and)[ \t]*", re.I)
_NEGATION_RE = re.compile(r"[ \t]*(?:번[ \t]*)?(?:[이가은는][ \t]*)?아니")
_AFTER_NEGATION_RE = re.compile(r"아니(?:라|고|며)[ \t,]*")
# "인삼이 아니라 황기", "아목시실린 대신 아지스로마이신": the answer follows.
_TEXT_NEGATION_RE = re.compile(r"[ \t]*(?:이|가|은|는)?[ \t]*아니(?:라|고)[ \t,]*|[ \t]+대신(?:에)?[ \t]+")
# Discourse words before the answer itself ("아마도 ③번", "따라서 ③번", "that the seller …").
_HEDGE_RE = re.compile(r"(?:(?:아마(?:도)?|아무래도|어쩌면|결국|바로|역시|최종적으로|결론적으로|분명히|확실히|즉|따라서"
                       r"|그러므로|그래서|probably|likely|clearly|that)[ \t,]+)+", re.I)
_PURE_REST_RE = re.compile(  # applied to a rest stripped of _PURE_STRIP at both ends (no backtracking)
    r"(?:번)?\s*(?:(?:보기|선택지|선지|지문|항목|설명)\s*)?(?:(?:이|가)\s*(?:최종\s*)?(?:정답|답)\s*)?"
    r"(?:입니다|이다|임|이에요|예요|이요|요|이며|이고|이죠|다|이겠습니다)?"
)
_PURE_STRIP = " \t\n.!。…~)]"
_REST_HEAD_RE = re.compile(r"[.!?。](?=\s|$)|[,(\[\n]")

_REVERSE_LABEL = (rf"[{_C}](?:[ \t]*번)?|[(\[][ \t]*\d{{1,2}}[ \t]*[)\]]|제[ \t]*\d{{1,2}}[ \t]*번"
                  r"|(?<![\d.,])\d{1,2}(?:[ \t]*번)?")
_REVERSE_RE = {
    letters: re.compile(
        rf"(?P<label>{_REVERSE_LABEL}{r'|(?<![A-Za-z])[(]?[A-Z][)]?' if letters else ''})"
        r"[ \t]*(?:이|가)[ \t]*(?:최종[ \t]*)?(?:정답|답)"
        r"(?=[ \t]*(?:입니다|이다|임|이며|이고|이에요|예요|[.!。]|$))",
        re.M,
    )
    for letters in (False, True)
}


def _mention_pattern(letters: bool) -> re.Pattern[str]:
    alts = [
        rf"(?P<c>[{_C}])",
        rf"(?P<pd>[{_PD}])",
        r"\([ \t]*(?:(?:option|choice|보기|선지|선택지)[ \t]*)?(?P<pn>\d{1,2})[ \t]*(?:번[ \t]*)?\)",
        r"(?<![\d.,제])(?P<nb>\d{1,2})[ \t]*번(?![째호지길\d])",
        r"제[ \t]*(?P<nj>\d{1,2})[ \t]*번(?![째호지길\d])",
        r"^[ \t]*(?P<np>\d{1,2})[ \t]*\)",
        r"^[ \t]*(?P<nd>\d{1,2})(?:\.(?!\d)|[ \t]*$)",
        rf"(?:(?P<o>{_ORDINAL_ALT})|(?<![\d.,])(?P<no>\d{{1,2}}))"
        r"[ \t]*(?:번[ \t]*)?째(?=[ \t]*(?:선택지|보기|선지|항목|답))",
    ]
    if letters:
        alts += [r"\([ \t]*(?:(?:option|choice)[ \t]*)?(?P<pl>[A-Z])[ \t]*\)",
                 r"^[ \t]*(?P<l>[A-Z])(?:[).](?!\w)|[ \t]*$)"]
    return re.compile("|".join(alts), re.M | re.I)


_MENTION_RE = {letters: _mention_pattern(letters) for letters in (False, True)}

_NONE_RE = re.compile(
    r"^(?:(?:최종[ \t]*)?(?:정답|답)[ \t]*(?:[이은는:][ \t]*)?)?"
    r"(?:없(?:음|다|습니다|어요|는)|모름|모르(?:겠|ㅂ)|모릅니다|알[ \t]*수[ \t]*없"
    r"|판단[ \t]*(?:불가|할[ \t]*수[ \t]*없)"
    r"|해당[ \t]*(?:사항[ \t]*)?없|none\b|no[ \t]+(?:correct[ \t]+)?answer|unknown|n/?a\b"
    r"|i[ \t]+don'?t[ \t]+know|cannot[ \t]+(?:be[ \t]+)?determine)",
    re.I,
)
_SENTENCE_CUT_RE = re.compile(r"[.!?。](?=\s|$)|\s[(\[]|\s[-–—]\s|[:;]\s|,\s*(?:왜냐하면|이유는|because)")
_SENTENCE_END_RE = re.compile(r"[.!?。](?=\s|$)|\n")
_ALTERNATIVE_RE = re.compile(r"[ \t]+(?:또는|혹은|or)[ \t]+", re.I)
_CLAUSE_CUT_RE = re.compile(r",\s|(?<=[가-힣])(?:이며|으며|이고|므로|지만|으나|는데|니까)\s")
_WRAP_CHARS = " \t\"'“”‘’「」『』<>"

# ---------------------------------------------------------------------------------- answer sentences (cues)
# Sentences that state an answer without a marker. Tier A: "옳지 않은 것은 X", "가장 적절한 치료는 X",
# "X이 가장 의심된다", "X를 투여한다", "진단: X". Tier B, read only when no tier-A sentence is: "X이 옳다",
# "X는 틀렸다" (whose sense depends on the question), and "…은 X이다" where X is exactly a choice's text.

_ADJ = (r"(?:옳|맞|바르|올바르|알맞|적절하|타당하|적합하|정확하)지[ \t]*않은|옳은|맞는|바른|올바른|알맞은|적절한"
        r"|타당한|적합한|정확한|틀린|잘못된|부적절한|부적합한|해당하는|해당되는|해당하지[ \t]*않는|의심되는|유력한"
        r"|가능성이[ \t]*(?:가장[ \t]*)?높은|(?:우선|먼저)(?:적으로)?[ \t]*[가-힣]{1,5}[ \t]*할|필요한|권장되는"
        r"|추천되는|고른|정답인|답인")
_FORWARD_CUE_RE = re.compile(
    rf"(?<![가-힣])(?:(?:가장[ \t]*)?(?:{_ADJ})(?:[ \t]*[가-힣A-Za-z]{{1,8}}?){{0,2}}?[ \t]*(?:은|는|으로는|로는)"
    r"|것[ \t]*(?:은|으로는)|것(?:을|만을)[ \t]*(?:모두[ \t]*)?(?:고르면|고른다면|찾으면|선택하면))[ \t]*[:,]?[ \t]+"
    r"|\bthe[ \t]+(?:most[ \t]+)?(?:likely|appropriate|suitable|(?:in)?correct|wrong|false|true|right|best|only)"
    r"(?:[ \t]+[a-z]+){0,2}?[ \t]+(?:is|would[ \t]+be)[ \t]*:?[ \t]*",
    re.I,
)
_PRED_A = (r"가장[ \t]*(?:적절|적합|타당|유력|알맞)(?:하다|합니다|해[ \t]*보인다|해[ \t]*보입니다)"
           r"|(?:가장[ \t]*|더[ \t]*)?(?:의심(?:된다|됩니다)|가능성이[ \t]*(?:가장[ \t]*|더[ \t]*)?높(?:다|습니다))"
           r"|(?:최종[ \t]*)?(?:정답|답)(?:이다|입니다|임|이에요|예요)?")
_PRED_B = (r"옳지[ \t]*않(?:다|습니다|은[ \t]*(?:설명|것|지문|내용)(?:이다|입니다)?)"
           r"|틀렸(?:다|습니다)|틀립니다|틀리다|틀린[ \t]*(?:설명|것|지문|내용)(?:이다|입니다)?"
           r"|잘못(?:되었다|되었습니다|됐다|된[ \t]*(?:설명|것|지문|내용)(?:이다|입니다)?)"
           r"|옳(?:다|습니다|은[ \t]*(?:설명|것|지문|내용)(?:이다|입니다)?)"
           r"|맞(?:다|습니다|는[ \t]*(?:설명|것|지문|내용)(?:이다|입니다)?)"
           r"|적절(?:하다|합니다)|적절하지[ \t]*않(?:다|습니다)|해당(?:한다|합니다|된다|됩니다)")
_REVERSE_CUE_RE = re.compile(
    rf"[ \t]*(?:이|가|은|는)[ \t]*(?:(?P<a>{_PRED_A})|(?P<b>{_PRED_B}))(?=[ \t]*(?:[.!。,(]|$))", re.M)
_VERB_CUE_RE = re.compile(
    r"(?<=[가-힣A-Za-z0-9)])(?:을|를)[ \t]+(?:[^\s.,]+[ \t]+){0,3}?"
    r"(?:투여|선택|처방|시행|사용|고르|고릅|택하|택합|권고|권장|추천|실시)")
_TOPIC_COLON_RE = re.compile(r"^[ \t]*(?P<head>[가-힣A-Za-z][가-힣A-Za-z \t]{0,20}?)[ \t]*[:：][ \t]*(?=\S)", re.M)
_NOT_ANSWER_HEAD_RE = re.compile(
    r"해설|근거|이유|풀이|설명|참고|분석|검토|주의|비고|요약|정리|계산|결과|오답|답|note|explanation|reason|analysis"
    r"|answer|why|step", re.I)
# A topic particle, not 또는/혹은 nor the 는/은 of a modifier (있는, 하는, 같은, 옳은).
_TOPIC_RE = re.compile(r"(?<=[가-힣A-Za-z0-9)])(?<![또혹있없하되않같많높낮작좋적옳맞])(?:은|는)[ \t]+"
                       r"|\bis[ \t]+(?:the[ \t]+|an?[ \t]+)?", re.I)
_CONCLUSION_RE = re.compile(r"(?:따라서|그러므로|그러니까|결론적으로|결국|즉|so|therefore|thus|hence)\b", re.I)
_BARE_NUMBER_RE = re.compile(r"[\d.,\s]+")
_CLAUSE_START_RE = re.compile(
    r"[.!?。](?=\s)|\n|[,;:→]|(?<=[가-힣])(?:므로|지만|으나|는데|니까|하여|해서|이며|이고|으며|보면|하면"
    r"|보다는|보다)(?=[ \t])|(?<=[ \t])중(?:에서는|에서|에는|에)(?=[ \t])")
_DEMONSTRATIVE_RE = re.compile(r"(?:이것|그것|이|그|위|해당)[ \t]*(?:설명|지문|보기|내용)?")


# ------------------------------------------------------------------------------------------ value reading

@dataclass(frozen=True, slots=True)
class _Labels:
    ks: tuple[int, ...]
    form: str
    rest: str
    first_rests: tuple[str, ...]  # what follows the first label (with, without its 번/)/. suffix)


def _label_at(s: str, pos: int, ctx: ChoiceIndex) -> tuple[int, str, int, int] | None:
    """The label at ``pos``: (number, form, end, end of the bare symbol before any 번/)/. suffix)."""
    m = _LABEL_RE[ctx.letters].match(s, pos)
    if m is None:
        return None
    g = m.group
    end = m.end()
    if g("pc"):
        return _CIRCLED[g("pc")], "circled", end, end
    if g("c"):
        return _CIRCLED[g("c")], "circled", end, m.end("c")
    if g("pd"):
        return _PAREN_DIGITS[g("pd")], "paren", end, m.end("pd")
    if g("pn"):
        return int(g("pn")), "paren", end, end
    if g("o"):
        return _ORDINALS[g("o")], "ordinal", end, end
    if g("no"):
        return int(g("no")), "ordinal", end, end
    if g("nj"):
        return int(g("nj")), "number_suffix", end, end
    if g("n"):
        form = "number_suffix" if g("nb") else "paren" if g("np") else "bare"
        return int(g("n")), form, end, m.end("n")
    if g("pl"):
        return ord(g("pl").upper()) - ord("A") + 1, "letter", end, end
    return ord(g("l").upper()) - ord("A") + 1, "letter", end, m.end("l")


def _ending_only(s: str) -> bool:
    """Nothing but 번, a sentence ending and punctuation ("번입니다.", "이 정답이다")."""
    return _PURE_REST_RE.fullmatch(s.strip(_PURE_STRIP)) is not None


def _is_pure(rest: str) -> bool:
    """The label ends its clause: what follows up to the next sentence end, comma or bracket is an ending."""
    cut = _REST_HEAD_RE.search(rest)
    return _ending_only(rest[: cut.start()] if cut else rest)


def _parse_labels(line: str, ctx: ChoiceIndex) -> _Labels | None:
    prefix = _LABEL_PREFIX_RE.match(line)  # "option 3", "보기 ③"
    first = _label_at(line, prefix.end() if prefix else 0, ctx)
    if first is None:
        return None
    ks, form, pos = [first[0]], first[1], first[2]
    while True:
        coord = _COORD_RE.match(line, pos)
        nxt = _label_at(line, coord.end(), ctx) if coord else None
        if nxt is None or coord is None:
            break
        ks.append(nxt[0])
        pos = nxt[2]
    rest = line[pos:]
    # A lowercase letter is a label only when nothing follows ("answer: a"), not "answer is a bit …".
    if form == "letter" and line[: first[2]].strip(" ()[].번").islower() and not _is_pure(rest):
        return None
    return _Labels(tuple(dict.fromkeys(ks)), form, rest, (line[first[2]:], line[first[3]:]))


def _text_candidates(s: str) -> list[str]:
    s = s.strip(_WRAP_CHARS)
    cands = [s]
    cut = _SENTENCE_CUT_RE.search(s)
    if cut:
        cands.append(s[: cut.start()])
    out: list[str] = []
    for c in cands:
        out += [c, strip_endings(c)]
    return out


def _text_match(s: str, ctx: ChoiceIndex) -> Verdict | None:
    return exact_or_set(_text_candidates(s), ctx)


def _own_text(rests: tuple[str, ...], k: int, ctx: ChoiceIndex) -> str | None:
    """What follows the label when it is its own choice's text ("② 아니가", "② 번이아니원"), else None."""
    for rest in rests:
        if not _ending_only(rest):
            own = _text_match(rest.strip(" \t()[]:-–—.,/"), ctx)
            if own is not None and own.choice == k:
                return rest
    return None


def _decide_label(labels: _Labels, text: Verdict | None, ctx: ChoiceIndex, via: str) -> Verdict | None:
    t = text.choice if text is not None else None
    k = labels.ks[0]
    # A label followed by its own choice's text is that choice, whatever words the text starts with:
    # a negation ("아니…"), a coordinator ("과…") or an ordinal ("세째…") inside a text reads nothing.
    own_rest = _own_text(labels.first_rests, k, ctx) if 1 <= k <= ctx.n else None
    own = own_rest is not None
    if len(labels.ks) > 1 and not own:
        return text if t is not None else Verdict(None, "ambiguous")
    rest = own_rest if own_rest is not None else labels.rest
    in_range = 1 <= k <= ctx.n
    pure = _is_pure(rest)
    if text is not None and t is not None:
        if not pure or not in_range or labels.form == "ordinal":
            # The text reading explains the whole value; the label would leave a residue. An ordinal
            # word that is a choice's whole text ("다섯째") names that choice, not the fifth.
            return text
        if t != k:
            return Verdict(None, "ambiguous")  # "2" with choices "1", "2", …: both readings are complete
    if not own and _NEGATION_RE.match(rest):
        after = _AFTER_NEGATION_RE.search(rest)
        again = _interpret(rest[after.end():], ctx, via) if after else None
        return again if again is not None and again.choice is not None else Verdict(None, "ambiguous")
    # Whatever follows the label beyond a sentence ending ("③ 2개", "③ (2개)") may be a choice's text.
    rest_text = None if own or _ending_only(rest) else _text_match(rest.strip(" \t()[]:-–—.,/"), ctx)
    rest_k = k if own else rest_text.choice if rest_text is not None else None
    if rest_k is not None and rest_k != k and in_range:
        return Verdict(None, "ambiguous")  # "③ 2개" where 2개 is choice ②
    if not in_range:
        return Verdict(None, "out_of_range")
    if via in ("unmarked", "cue") and not pure and rest_k != k:
        return None  # "1) 먼저 …" on the first line is a list, not an answer; the mention scan decides
    method = "boxed" if via == "boxed" else "marker" if via == "marker" else labels.form
    return Verdict(k, method)


def _mention_verdict(text: str, ctx: ChoiceIndex, pure_only: bool = False) -> Verdict:
    """The labels mentioned in ``text``: one distinct label is the answer, several are ``ambiguous``."""
    seen: dict[int, str] = {}
    for m in _MENTION_RE[ctx.letters].finditer(text):
        if pure_only and not _is_pure(text[m.end():]):
            continue  # in an answer sentence, "①의 예외" names ① without choosing it
        g = m.group
        if g("c"):
            k, form = _CIRCLED[g("c")], "circled"
        elif g("pd"):
            k, form = _PAREN_DIGITS[g("pd")], "paren"
        elif g("o") or g("no"):
            k, form = (_ORDINALS[g("o")] if g("o") else int(g("no"))), "ordinal"
        elif ctx.letters and (g("pl") or g("l")):
            k, form = ord((g("pl") or g("l")).upper()) - ord("A") + 1, "letter"
        elif not g("pn") and not g("nb") and not g("nj") and not g("np") and not g("nd"):
            continue  # a letter form matched case-insensitively in number style
        else:
            num = g("pn") or g("nb") or g("nj") or g("np") or g("nd")
            k = int(num)
            form = "paren" if (g("pn") or g("np")) else "number_suffix" if (g("nb") or g("nj")) else "bare"
        seen.setdefault(k, form)
    if not seen:
        return Verdict(None, "no_answer")
    if len(seen) > 1:
        return Verdict(None, "ambiguous")
    (k, form), = seen.items()
    return Verdict(k, form) if 1 <= k <= ctx.n else Verdict(None, "out_of_range")


def _reads_as_choice(s: str, ctx: ChoiceIndex) -> bool:
    """Whether a negated part ("인삼이 아니라 …", "②번 설명이 아니라 …") names a choice at all."""
    s = s.strip(_WRAP_CHARS + ".,")
    return bool(s) and (_parse_labels(s, ctx) is not None or _text_match(s, ctx) is not None
                        or bool(named_terms(s, ctx)) or _mention_verdict(s, ctx).method != "no_answer")


def _described_parts(core: str, ctx: ChoiceIndex) -> Verdict | None:
    """A described statement; two statements joined by 또는/or that describe two choices are ambiguous."""
    parts = _ALTERNATIVE_RE.split(core)
    if len(parts) > 1:
        each = {v.choice for v in (described(strip_wrapper(p.strip()), ctx) for p in parts) if v is not None}
        if len(each - {None}) > 1:
            return Verdict(None, "ambiguous")
    return described(core, ctx)


def _sentence_text(sentence: str, ctx: ChoiceIndex) -> Verdict | None:
    """A choice said in a sentence: its whole text, a term it names, or a statement it describes."""
    clause_cut = _CLAUSE_CUT_RE.search(sentence)
    spans = [sentence[: clause_cut.start()], sentence] if clause_cut else [sentence]
    failed = None
    for span in spans:  # the first clause ("경구 아목시실린이며, …"), then the whole sentence
        core = strip_wrapper(strip_endings(span.strip(_WRAP_CHARS)))
        if not core:
            continue
        found = loose_exact(core, ctx)
        if found is None:
            named = named_terms(span, ctx)
            found = (Verdict(None, "ambiguous") if len(named) > 1 else Verdict(named.pop(), "fuzzy") if named
                     else _described_parts(core, ctx))
        if found is not None and found.choice is not None:
            return found
        failed = failed or found
    return failed


def _interpret(value: str, ctx: ChoiceIndex, via: str) -> Verdict | None:
    """Read one value; None when it says nothing readable (the caller then tries earlier evidence).

    ``via`` is where the value comes from: ``marker``, ``boxed``, ``unmarked`` (the answer's first line)
    or ``cue`` (an answer sentence without a marker).
    """
    line = value.strip().split("\n", 1)[0].strip(_WRAP_CHARS)
    if via != "unmarked":
        hedge = _HEDGE_RE.match(line)
        if hedge:
            line = line[hedge.end():]
    if not line:
        return None
    labels = _parse_labels(line, ctx)
    text = _text_match(line, ctx)
    if labels is not None:
        verdict = _decide_label(labels, text, ctx, via)
        if verdict is not None or via != "cue":
            return verdict
    if text is not None:
        return text
    if _NONE_RE.match(line):
        return Verdict(None, "none_stated")
    if via == "unmarked":
        return fuzzy(strip_endings(line), ctx)
    negation = _TEXT_NEGATION_RE.search(line)
    if negation and _reads_as_choice(line[: negation.start()], ctx):
        again = _interpret(line[negation.end():], ctx, via)
        if again is not None and again.choice is not None:
            return again
    end = _SENTENCE_CUT_RE.search(line)
    sentence = line[: end.start()] if end else line
    said = _sentence_text(sentence, ctx)
    if said is None and via != "cue":
        said = fuzzy(strip_endings(sentence), ctx)
    first_end = _SENTENCE_END_RE.search(line)
    labelled = _mention_verdict(line[: first_end.start()] if first_end else line, ctx, pure_only=via == "cue")
    if labelled.method == "no_answer":
        return said
    if said is None or said.choice is None or labelled.choice is None:
        return labelled if said is None or labelled.choice is not None else said
    return labelled if labelled.choice == said.choice else Verdict(None, "ambiguous")


# ------------------------------------------------------------------------------------------ statements

def _starts_with_answer(s: str, ctx: ChoiceIndex) -> bool:
    return (_label_at(s, 0, ctx) is not None or _BOXED_RE.match(s) is not None
            or _NONE_RE.match(s) is not None)


def _value_at(text: str, pos: int) -> str:
    """The rest of the line from ``pos``, capped: a degenerate answer repeating "정답: …" thousands of
    times on one line must not cost quadratic time, and a value past the cap is explanation anyway."""
    end = text.find("\n", pos, pos + VALUE_CAP)
    return text[pos: end if end >= 0 else pos + VALUE_CAP]


def _marker_value(text: str, m: re.Match[str], ctx: ChoiceIndex) -> str | None:
    """The value a marker introduces, or None when this occurrence is no marker ("정답을 고르면")."""
    end = m.end()
    closer = _MARKER_CLOSER_RE.match(text, end)  # "[정답] ③", "【정답】③"
    end = closer.end() if closer else end
    for sep in (_SEP_COLON_RE, _SEP_KO_RE if m.group("ko") else _SEP_EN_RE):
        s = sep.match(text, end)
        if s:
            return _value_at(text, s.end())
    if _SEP_EOL_RE.match(text, end):  # "## 정답" heading: the value is the next non-empty line
        following = _NON_SPACE_RE.search(text, end)
        return _value_at(text, following.start()) if following else None
    at_line_start = not text[text.rfind("\n", 0, m.start()) + 1: m.start()].strip()
    if m.group("ko"):
        s = _SEP_KO_SUBJ_RE.match(text, end)  # "정답이 ③번이다"
        if s and _starts_with_answer(_value_at(text, s.end()), ctx):
            return _value_at(text, s.end())
    s = _SEP_WS_RE.match(text, end)
    # "정답 ③" mid-line is Korean shorthand; English "answer ① is wrong" mid-line is prose.
    if s and (at_line_start or (m.group("ko") and _starts_with_answer(_value_at(text, s.end()), ctx))):
        return _value_at(text, s.end())
    return None


def _statements(text: str, ctx: ChoiceIndex) -> list[tuple[int, str, str]]:
    found: list[tuple[int, str, str]] = []
    for m in _MARKER_RE.finditer(text):
        value = _marker_value(text, m, ctx)
        if value is not None:
            found.append((m.start(), "marker", value))
    for m in _REVERSE_RE[ctx.letters].finditer(text):
        found.append((m.start(), "marker", m.group("label")))
    for m in _BOXED_RE.finditer(text):
        found.append((m.start(), "boxed", m.group(1)))
    return sorted(found, key=lambda f: f[0])


def _sentence_after(text: str, pos: int) -> str:
    end = _SENTENCE_END_RE.search(text, pos, pos + VALUE_CAP)
    return text[pos: end.end() if end else pos + VALUE_CAP]


def _clause_before(text: str, pos: int, follow: bool = True) -> str:
    """What a predicate at ``pos`` is said of: back to the clause start ("…5년이므로 ③이 옳지 않다" → ③)."""
    start = max(0, pos - CLAUSE_BACK)
    boundaries = list(_CLAUSE_START_RE.finditer(text, start, pos))
    last = boundaries[-1] if boundaries else None
    clause = text[last.end() if last else start: pos].strip()
    if follow and last is not None and _DEMONSTRATIVE_RE.fullmatch(clause):
        # "…취소할 수 있으므로 이것이 정답이다": the demonstrative points at the clause before it.
        return _clause_before(text, last.start(), follow=False)
    return clause


def _cue_values(text: str) -> list[tuple[int, str, str]]:
    """Answer sentences without a marker: (position, tier, value)."""
    found: list[tuple[int, str, str]] = []
    for m in _FORWARD_CUE_RE.finditer(text):
        found.append((m.start(), "A", _sentence_after(text, m.end())))
    for m in _REVERSE_CUE_RE.finditer(text):
        found.append((m.start(), "A" if m.group("a") else "B", _clause_before(text, m.start())))
    for m in _VERB_CUE_RE.finditer(text):
        found.append((m.start(), "A", _clause_before(text, m.start())))
    for m in _TOPIC_COLON_RE.finditer(text):
        if not _NOT_ANSWER_HEAD_RE.search(m.group("head")):
            found.append((m.start(), "A", _value_at(text, m.end())))
    return found


def _topic_verdict(text: str, ctx: ChoiceIndex) -> Verdict | None:
    """"따라서 지급보험금은 800만원이다": a sentence whose one topic is said to be exactly a choice's text.

    Weak evidence, so only from the answer's last sentence or one that opens with a conclusion word,
    never from a sentence listing several givens ("기초재고는 ₩120,000이고 기말재고는 ₩200,000이다"),
    and a bare number ("기울기는 2이다") only after a conclusion word.
    """
    found = None
    starts = [0] + [m.end() for m in _SENTENCE_END_RE.finditer(text)]
    for i, start in enumerate(starts):
        sentence = text[start: starts[i + 1] if i + 1 < len(starts) else len(text)].strip()
        concluding = _CONCLUSION_RE.match(sentence) is not None
        if not sentence or not (concluding or i == len(starts) - 1 or not text[starts[i + 1]:].strip()):
            continue
        topics = list(_TOPIC_RE.finditer(sentence))
        if len(topics) != 1:
            continue
        core = strip_endings(sentence[topics[0].end():].strip())
        verdict = loose_exact(core, ctx) if core else None
        if verdict is not None and (concluding or not _BARE_NUMBER_RE.fullmatch(core)):
            found = verdict
    return found


def _cue_verdict(text: str, ctx: ChoiceIndex) -> Verdict | None:
    """The answer sentences' reading: one choice, ``ambiguous`` when they name two, None when none reads."""
    by_tier: dict[str, list[Verdict]] = {"A": [], "B": []}
    for _, tier, value in _cue_values(text):
        verdict = _interpret(value, ctx, "cue") if value.strip() else None
        if verdict is not None:
            by_tier[tier].append(verdict)
    verdict = _topic_verdict(text, ctx)
    if verdict is not None:
        by_tier["B"].append(verdict)
    for tier in ("A", "B"):
        verdicts = by_tier[tier]
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


def _clean(text: str) -> str:
    s = text.translate(TRANSLATE) if ODD_CHARS_RE.search(text) else text
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    if "\\" in s:
        s = _TEXTCIRCLED_RE.sub(lambda m: _CIRCLED_BY_NUMBER.get(int(m.group(1)), m.group(1)), s)
        for _ in range(2):  # \text{\textbf{…}} nests once in practice
            s = _LATEX_CMD_RE.sub(r"\1", s)
    s = _MARKUP_RE.sub("", s)
    return _LINE_PREFIX_RE.sub("", s)


def _extract(answer: str, ctx: ChoiceIndex) -> Verdict:
    text = _clean(answer).strip()
    if not text:
        return Verdict(None, "no_answer")
    # Only the last statements are tried: a degenerate loop of unreadable "answer is …" must stay cheap.
    for _, via, value in reversed(_statements(text, ctx)[-MAX_STATEMENTS:]):
        verdict = _interpret(value, ctx, via)
        if verdict is not None:
            return verdict
    verdict = _interpret(text, ctx, "unmarked")
    if verdict is not None:
        return verdict
    verdict = _cue_verdict(text, ctx)
    if verdict is not None:
        return verdict
    verdict = _mention_verdict(text, ctx)
    if verdict.method != "no_answer":
        return verdict
    # Last: a one-sentence answer that names one choice ("급성 충수염을 의심하며 수술을 의뢰한다."), not
    # as the topic it explains, and not an amount (a sentence of amounts restates the question's givens).
    end = _SENTENCE_END_RE.search(text)
    if end is not None and text[end.end():].strip():
        return verdict
    named = {k for k in named_terms(text[:VALUE_CAP], ctx, chosen_only=True) if not ctx.numbers[k - 1]}
    if len(named) == 1:
        return Verdict(named.pop(), "fuzzy")
    return Verdict(None, "ambiguous") if named else verdict


# ------------------------------------------------------------------------------------------ splitting

def _drop_think_blocks(text: str) -> str:
    """Remove ``<think>…</think>`` pairs (a lazy ``.*?`` regex is quadratic on many unclosed opens)."""
    kept, pos = [], 0
    while (start := text.find(THINK_OPEN, pos)) >= 0:
        close = text.find(THINK_CLOSE, start)
        if close < 0:
            break
        kept.append(text[pos:start])
        pos = close + len(THINK_CLOSE)
    kept.append(text[pos:])
    return "".join(kept)


def _split(text: str, reasoning: bool) -> tuple[str | None, str, bool]:
    """Return (reasoning, answer part, truncated)."""
    body = text.rstrip()
    while body.endswith(_END_TOKENS):  # decoded without skip_special_tokens
        body = body[: -len(next(t for t in _END_TOKENS if body.endswith(t)))].rstrip()
    if not reasoning:
        body = _drop_think_blocks(body)
        if THINK_CLOSE in body:  # a reasoning completion passed as plain text: its answer follows the close
            body = body[body.rfind(THINK_CLOSE) + len(THINK_CLOSE):]
        return None, body.split(THINK_OPEN, 1)[0].strip(), False
    stripped = body.lstrip()
    if stripped.startswith(THINK_OPEN):
        body = stripped[len(THINK_OPEN):]
    cut = body.rfind(THINK_CLOSE)
    if cut < 0:
        return body.strip(), "", True
    answer = body[cut + len(THINK_CLOSE):].split(THINK_OPEN, 1)[0]
    return body[:cut].strip(), answer.strip(), False


def parse_response(text: str, choices: Sequence[str], reasoning: bool = True,
                   label_style: Literal["number", "letter"] = "number") -> ParsedResponse:
    """Split a completion into reasoning and answer and read the 1-based choice from the answer part.

    ``reasoning=True`` expects a reasoning-mode completion (``…</think>answer``; the template opened
    ``<think>`` in the prompt); no ``</think>`` gives ``truncated=True`` and no choice. ``choices``
    are the choice texts in printed order (any count); ``label_style="letter"`` also reads A/B/C.
    Never raises on odd text; the returned choice is always None or within ``1..len(choices)``.
    See the module docstring for the rules and the ``method`` vocabulary.
    """
    thought, answer, truncated = _split(text, reasoning)
    if truncated:
        return ParsedResponse(None, "truncated", thought, "", True)
    ctx = choice_index(tuple(choices), label_style == "letter")
    verdict = _extract(answer, ctx)
    choice = verdict.choice if verdict.choice is not None and 1 <= verdict.choice <= ctx.n else None
    method = verdict.method if choice is not None or verdict.method in FAILURE_METHODS else "out_of_range"
    return ParsedResponse(choice, method, thought, answer, False)
