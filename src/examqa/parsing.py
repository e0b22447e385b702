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

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz

__all__ = ["FAILURE_METHODS", "SUCCESS_METHODS", "ParsedResponse", "parse_response"]

Method = str

SUCCESS_METHODS = frozenset({
    "marker", "boxed", "circled", "number_suffix", "paren", "letter", "ordinal", "bare",
    "choice_text", "combination", "fuzzy",
})
"""Methods that come with a choice."""
FAILURE_METHODS = frozenset({"truncated", "no_answer", "ambiguous", "out_of_range", "none_stated"})
"""Methods that come with ``choice=None``."""

FUZZY_THRESHOLD = 85.0
FUZZY_MARGIN = 10.0
MAX_STATEMENTS = 64  # statements read from the end of an answer part before falling back
VALUE_CAP = 600  # characters of a marker's line that are read; longer than any real choice text


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

_JAMO = "ㄱㄴㄷㄹㅁㅂㅅㅇㅈㅊㅋㅌㅍㅎ"
_SYLLABLES = "가나다라마바사아자차카타파하"
_ITEM_CANON: dict[str, str] = {}
for _i, (_j, _s) in enumerate(zip(_JAMO, _SYLLABLES, strict=True)):
    _ITEM_CANON[_j] = _ITEM_CANON[chr(0x3260 + _i)] = _ITEM_CANON[chr(0x3200 + _i)] = _j  # ㄱ ㉠ ㈀
    _ITEM_CANON[_s] = _ITEM_CANON[chr(0x326E + _i)] = _ITEM_CANON[chr(0x320E + _i)] = _s  # 가 ㉮ ㈎

_C = "".join(_CIRCLED)
_PD = "".join(_PAREN_DIGITS)

# Full-width ASCII (３, ：, Ｂ) → ASCII; odd spaces → space; zero-width characters dropped.
_TRANSLATE: dict[int, int | None] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_TRANSLATE.update({0x3000: 0x20, 0x00A0: 0x20, 0x200B: None, 0x200C: None, 0x200D: None, 0xFEFF: None})

# ----------------------------------------------------------------------------------------------- regexes

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
_END_TOKENS = ("[|endofturn|]", "<|im_end|>", "<|endoftext|>")

_LATEX_CMD_RE = re.compile(r"\\(?:text|mathrm|mathbf|textbf|mathit|textit)\s*\{([^{}]*)\}")
_TEXTCIRCLED_RE = re.compile(r"\\(?:textcircled|circled)\s*\{\s*(\d{1,2})\s*\}")
_MARKUP_RE = re.compile(r"\*+|__|`+|\$+|\\[()\[\]]|</?(?:b|strong|em)>")
_LINE_PREFIX_RE = re.compile(r"^[ \t]*(?:#{1,6}[ \t]*|>[ \t]*|[-•·][ \t]+)+", re.M)
_BOXED_RE = re.compile(r"\\(?:boxed|fbox)\s*\{([^{}]*)\}")

_KO_MARK = r"(?:최종[ \t]*)?(?:정답|답안|답변|답)(?:[ \t]*번호)?"
_EN_MARK = r"(?:(?:final|correct|best)[ \t]+)?answer"
_MARKER_RE = re.compile(rf"(?<![가-힣A-Za-z])(?:(?P<ko>{_KO_MARK})|(?P<en>{_EN_MARK}))", re.I)
_MARKER_CLOSER_RE = re.compile(r"[ \t]*[\]】)」』>]")
_SEP_COLON_RE = re.compile(r"[ \t]*[:=][ \t]*")
_SEP_KO_RE = re.compile(r"[ \t]*[은는](?![가-힣])[ \t]*")
_SEP_KO_SUBJ_RE = re.compile(r"[ \t]*이[ \t]+")
_SEP_EN_RE = re.compile(r"[ \t]+is[ \t]*:?[ \t]*", re.I)
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
        rf"[(\[][ \t]*(?P<pc>[{_C}])[ \t]*[)\]](?:[ \t]*번)?",
        rf"(?P<c>[{_C}])(?:[ \t]*번(?!째))?",
        rf"(?P<pd>[{_PD}])(?:[ \t]*번)?",
        r"[(\[][ \t]*(?P<pn>\d{1,2})[ \t]*(?:번[ \t]*)?[)\]](?:[ \t]*번)?",
        rf"(?P<o>{'|'.join(sorted(_ORDINALS, key=len, reverse=True))})[ \t]*(?:번[ \t]*)?째",
        r"(?P<no>\d{1,2})[ \t]*번[ \t]*째",
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
_PURE_REST_RE = re.compile(  # applied to a rest stripped of _PURE_STRIP at both ends (no backtracking)
    r"(?:번)?\s*(?:(?:이|가)\s*(?:최종\s*)?(?:정답|답)\s*)?(?:입니다|이다|임|이에요|예요|이요|요|이며|이고|이죠|다"
    r"|이겠습니다)?"
)
_PURE_STRIP = " \t\n.!。…~)]"
_REST_HEAD_RE = re.compile(r"[.!?。](?=\s|$)|[,(\[\n]")

_REVERSE_LABEL = (rf"[{_C}](?:[ \t]*번)?|[(\[][ \t]*\d{{1,2}}[ \t]*[)\]]|(?<![\d.,])\d{{1,2}}(?:[ \t]*번)?")
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
        r"\([ \t]*(?P<pn>\d{1,2})[ \t]*\)",
        r"(?<![\d.,제])(?P<nb>\d{1,2})[ \t]*번(?![째호지길\d])",
        r"^[ \t]*(?P<np>\d{1,2})[ \t]*\)",
        r"^[ \t]*(?P<nd>\d{1,2})(?:\.(?!\d)|[ \t]*$)",
        rf"(?:(?P<o>{'|'.join(sorted(_ORDINALS, key=len, reverse=True))})|(?<![\d.,])(?P<no>\d{{1,2}}))"
        r"[ \t]*(?:번[ \t]*)?째(?=[ \t]*(?:선택지|보기|선지|항목|답))",
    ]
    if letters:
        alts += [r"\([ \t]*(?P<pl>[A-Z])[ \t]*\)", r"^[ \t]*(?P<l>[A-Z])(?:[).](?!\w)|[ \t]*$)"]
    return re.compile("|".join(alts), re.M)


_MENTION_RE = {letters: _mention_pattern(letters) for letters in (False, True)}

_ITEM_TOKEN = "".join(_ITEM_CANON)
_ITEM_RE = re.compile(rf"[(（][ \t]*(?P<pi>[{_ITEM_TOKEN}])[ \t]*[)）]|(?P<i>[{_ITEM_TOKEN}])")
_ITEM_SEP_RE = re.compile(r"[ \t]*(?:,|、|·|/|및|과|와|그리고|and|&)[ \t]*|[ \t]+")
_SYLLABLE_BOUND_RE = re.compile(r"$|[^가-힣]|(?:이|가|만|은|는|을|를|의|과|와|로|입니다|이다|임|모두|뿐)")

_NONE_RE = re.compile(
    r"^(?:(?:최종[ \t]*)?(?:정답|답)[ \t]*(?:[이은는:][ \t]*)?)?"
    r"(?:없(?:음|다|습니다|어요|는)|모름|모르(?:겠|ㅂ)|모릅니다|알[ \t]*수[ \t]*없"
    r"|판단[ \t]*(?:불가|할[ \t]*수[ \t]*없)"
    r"|해당[ \t]*(?:사항[ \t]*)?없|none\b|no[ \t]+(?:correct[ \t]+)?answer|unknown|n/?a\b"
    r"|i[ \t]+don'?t[ \t]+know|cannot[ \t]+(?:be[ \t]+)?determine)",
    re.I,
)
_ENDINGS = sorted(["입니다", "이다", "임", "이에요", "예요", "이요", "이며", "이고", "이죠", "이겠습니다",
                   "일 것이다", "일것이다", "이라고 본다", "이라고 판단된다"], key=len, reverse=True)
_TAIL_ANSWER_RE = re.compile(r"\s*(?:이|가)\s*(?:최종\s*)?(?:정답|답)$")
_TAIL_PUNCT = " \t\n.!。…~"
_SENTENCE_CUT_RE = re.compile(r"[.!?。](?=\s|$)|\s[(\[]|\s[-–—]\s|[:;]\s|,\s*(?:왜냐하면|이유는|because)")
_NORM_STRIP_RE = re.compile(r"[\s.,·、:;!?'\"“”‘’()\[\]{}<>「」『』\-–—~*_`]+")
_WRAP_CHARS = " \t\"'“”‘’「」『』<>"


# ------------------------------------------------------------------------------------------ choice index

@dataclass(frozen=True)
class _Verdict:
    choice: int | None
    method: str


@dataclass(frozen=True)
class _Ctx:
    n: int
    letters: bool
    norms: tuple[str, ...]
    exact: dict[str, int]
    sets: tuple[frozenset[str], ...] | None


def _norm(s: str) -> str:
    return _NORM_STRIP_RE.sub("", s.translate(_TRANSLATE)).lower()


def _parse_items(s: str) -> tuple[frozenset[str], int] | None:
    """Read a leading ㄱ/ㄴ/ㄷ or 가/나/다 set; return it and where it ends, or None."""
    m = _ITEM_RE.match(s)
    if not m:
        return None
    items = [m.group("pi") or m.group("i")]
    ends = [m.end()]
    pos = m.end()
    while True:
        sep = _ITEM_SEP_RE.match(s, pos)
        nxt = _ITEM_RE.match(s, sep.end() if sep else pos)
        if nxt is None:
            break
        item = nxt.group("pi") or nxt.group("i")
        # Adjacent items only for jamo-like symbols: "ㄱㄷ" is a set, "가나" or "다음" is a word.
        if sep is None and (_ITEM_CANON[item] in _SYLLABLES or _ITEM_CANON[items[-1]] in _SYLLABLES):
            break
        items.append(item)
        ends.append(nxt.end())
        pos = nxt.end()
    # A syllable item must end at a boundary ("다음과" is no set); back off until one does.
    while items:
        last, end = items[-1], ends[-1]
        if _ITEM_CANON[last] in _JAMO or _SYLLABLE_BOUND_RE.match(s, end):
            return frozenset(_ITEM_CANON[i] for i in items), end
        items.pop()
        ends.pop()
    return None


@functools.lru_cache(maxsize=512)
def _context(choices: tuple[str, ...], letters: bool) -> _Ctx:
    norms = tuple(_norm(c) for c in choices)
    counts: dict[str, int] = {}
    for nc in norms:
        counts[nc] = counts.get(nc, 0) + 1
    # Duplicate or empty texts (PDF extraction defects) cannot identify a choice.
    exact = {nc: i + 1 for i, nc in enumerate(norms) if nc and counts[nc] == 1}
    sets: list[frozenset[str]] = []
    for c in choices:
        stripped = c.translate(_TRANSLATE).strip().rstrip(".,").rstrip()
        parsed = _parse_items(stripped) if stripped else None
        if stripped and (parsed is None or parsed[1] != len(stripped)):
            break  # one choice that is not a set: this is no combination item
        sets.append(parsed[0] if parsed else frozenset())
    combo = len(sets) == len(choices) and sum(1 for st in sets if st) >= 2
    return _Ctx(len(choices), letters, norms, exact, tuple(sets) if combo else None)


# ------------------------------------------------------------------------------------------ value reading

@dataclass(frozen=True)
class _Labels:
    ks: tuple[int, ...]
    form: str
    rest: str
    first_rests: tuple[str, ...]  # what follows the first label (with, without its 번/)/. suffix)


def _label_at(s: str, pos: int, ctx: _Ctx) -> tuple[int, str, int, int] | None:
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


def _parse_labels(line: str, ctx: _Ctx) -> _Labels | None:
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


def _strip_endings(s: str) -> str:
    """Drop a Korean sentence ending ("…입니다.", "…이 정답이다") so the rest can equal a choice text."""
    s = s.rstrip(_TAIL_PUNCT)
    for ending in _ENDINGS:
        if s.endswith(ending):
            s = s[: -len(ending)]
            break
    # Search only the tail: a regex anchored at $ but tried from every position is quadratic.
    tail = _TAIL_ANSWER_RE.search(s, max(0, len(s) - 12))
    return (s[: tail.start()] if tail else s).rstrip(_TAIL_PUNCT)


def _text_candidates(s: str) -> list[str]:
    s = s.strip(_WRAP_CHARS)
    cands = [s]
    cut = _SENTENCE_CUT_RE.search(s)
    if cut:
        cands.append(s[: cut.start()])
    out: list[str] = []
    for c in cands:
        out += [c, _strip_endings(c)]
    return out


def _text_match(s: str, ctx: _Ctx) -> _Verdict | None:
    """Exact choice text or combination set; a set that is no choice is ``out_of_range``."""
    cands = _text_candidates(s)
    if ctx.sets is not None:
        exact = ctx.exact.get(_norm(cands[0]))
        if exact is not None:  # "나와가" and "가와나" may both be printed: the exact text tells them apart
            return _Verdict(exact, "combination")
        parsed = _parse_items(cands[0])
        if parsed is not None:
            matches = [i + 1 for i, st in enumerate(ctx.sets) if st == parsed[0]]
            if len(matches) == 1:
                return _Verdict(matches[0], "combination")
            return _Verdict(None, "ambiguous" if matches else "out_of_range")
    for c in cands:
        k = ctx.exact.get(_norm(c))
        if k is not None:
            return _Verdict(k, "choice_text")
    return None


def _fuzzy(s: str, ctx: _Ctx, contain: bool) -> _Verdict | None:
    nv = _norm(_strip_endings(s))
    if len(nv) < 2:
        return None
    scores = sorted(((fuzz.ratio(nv, nc), i + 1) for i, nc in enumerate(ctx.norms) if nc), reverse=True)
    if scores and scores[0][0] >= FUZZY_THRESHOLD and (
            len(scores) == 1 or scores[0][0] - scores[1][0] >= FUZZY_MARGIN):
        return _Verdict(scores[0][1], "fuzzy")
    if contain:
        inside = [i for i, nc in enumerate(ctx.norms) if len(nc) >= 3 and nc in nv]
        # A choice contained in a longer contained choice ("보험" in "보험계약") is not separate evidence.
        maximal = [i for i in inside if not any(i != j and ctx.norms[i] in ctx.norms[j] for j in inside)]
        if len(maximal) == 1:
            return _Verdict(maximal[0] + 1, "fuzzy")
    return None


def _own_text(rests: tuple[str, ...], k: int, ctx: _Ctx) -> str | None:
    """What follows the label when it is its own choice's text ("② 아니가", "② 번이아니원"), else None."""
    for rest in rests:
        if not _ending_only(rest):
            own = _text_match(rest.strip(" \t()[]:-–—.,/"), ctx)
            if own is not None and own.choice == k:
                return rest
    return None


def _decide_label(labels: _Labels, text: _Verdict | None, ctx: _Ctx, via: str) -> _Verdict | None:
    t = text.choice if text is not None else None
    k = labels.ks[0]
    # A label followed by its own choice's text is that choice, whatever words the text starts with:
    # a negation ("아니…"), a coordinator ("과…") or an ordinal ("세째…") inside a text reads nothing.
    own_rest = _own_text(labels.first_rests, k, ctx) if 1 <= k <= ctx.n else None
    own = own_rest is not None
    if len(labels.ks) > 1 and not own:
        return text if t is not None else _Verdict(None, "ambiguous")
    rest = own_rest if own_rest is not None else labels.rest
    in_range = 1 <= k <= ctx.n
    pure = _is_pure(rest)
    if text is not None and t is not None:
        if not pure or not in_range or labels.form == "ordinal":
            # The text reading explains the whole value; the label would leave a residue. An ordinal
            # word that is a choice's whole text ("다섯째") names that choice, not the fifth.
            return text
        if t != k:
            return _Verdict(None, "ambiguous")  # "2" with choices "1", "2", …: both readings are complete
    if not own and _NEGATION_RE.match(rest):
        after = _AFTER_NEGATION_RE.search(rest)
        again = _interpret(rest[after.end():], ctx, via) if after else None
        return again if again is not None and again.choice is not None else _Verdict(None, "ambiguous")
    # Whatever follows the label beyond a sentence ending ("③ 2개", "③ (2개)") may be a choice's text.
    rest_text = None if own or _ending_only(rest) else _text_match(rest.strip(" \t()[]:-–—.,/"), ctx)
    rest_k = k if own else rest_text.choice if rest_text is not None else None
    if rest_k is not None and rest_k != k and in_range:
        return _Verdict(None, "ambiguous")  # "③ 2개" where 2개 is choice ②
    if not in_range:
        return _Verdict(None, "out_of_range")
    if via == "unmarked" and not pure and rest_k != k:
        return None  # "1) 먼저 …" on the first line is a list, not an answer; the mention scan decides
    return _Verdict(k, "boxed" if via == "boxed" else "marker" if via == "marker" else labels.form)


def _interpret(value: str, ctx: _Ctx, via: str) -> _Verdict | None:
    """Read one value; None when it says nothing readable (the caller then tries earlier evidence)."""
    line = value.strip().split("\n", 1)[0].strip(_WRAP_CHARS)
    if not line:
        return None
    labels = _parse_labels(line, ctx)
    text = _text_match(line, ctx)
    if labels is not None:
        return _decide_label(labels, text, ctx, via)
    if text is not None:
        return text
    if _NONE_RE.match(line):
        return _Verdict(None, "none_stated")
    return _fuzzy(line, ctx, contain=via == "marker")


# ------------------------------------------------------------------------------------------ statements

def _starts_with_answer(s: str, ctx: _Ctx) -> bool:
    return (_label_at(s, 0, ctx) is not None or _BOXED_RE.match(s) is not None
            or _NONE_RE.match(s) is not None)


def _value_at(text: str, pos: int) -> str:
    """The rest of the line from ``pos``, capped: a degenerate answer repeating "정답: …" thousands of
    times on one line must not cost quadratic time, and a value past the cap is explanation anyway."""
    end = text.find("\n", pos, pos + VALUE_CAP)
    return text[pos: end if end >= 0 else pos + VALUE_CAP]


def _marker_value(text: str, m: re.Match[str], ctx: _Ctx) -> str | None:
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


def _statements(text: str, ctx: _Ctx) -> list[tuple[int, str, str]]:
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


def _mentions(text: str, ctx: _Ctx) -> _Verdict:
    seen: dict[int, str] = {}
    for m in _MENTION_RE[ctx.letters].finditer(text):
        g = m.group
        if g("c"):
            k, form = _CIRCLED[g("c")], "circled"
        elif g("pd"):
            k, form = _PAREN_DIGITS[g("pd")], "paren"
        elif g("o") or g("no"):
            k, form = (_ORDINALS[g("o")] if g("o") else int(g("no"))), "ordinal"
        elif ctx.letters and (g("pl") or g("l")):
            k, form = ord((g("pl") or g("l")).upper()) - ord("A") + 1, "letter"
        else:
            num = g("pn") or g("nb") or g("np") or g("nd")
            k = int(num)
            form = "paren" if (g("pn") or g("np")) else "number_suffix" if g("nb") else "bare"
        seen.setdefault(k, form)
    if not seen:
        return _Verdict(None, "no_answer")
    if len(seen) > 1:
        return _Verdict(None, "ambiguous")
    (k, form), = seen.items()
    return _Verdict(k, form) if 1 <= k <= ctx.n else _Verdict(None, "out_of_range")


def _clean(text: str) -> str:
    s = text.translate(_TRANSLATE).replace("\r\n", "\n").replace("\r", "\n")
    s = _TEXTCIRCLED_RE.sub(lambda m: _CIRCLED_BY_NUMBER.get(int(m.group(1)), m.group(1)), s)
    for _ in range(2):  # \text{\textbf{…}} nests once in practice
        s = _LATEX_CMD_RE.sub(r"\1", s)
    s = _MARKUP_RE.sub("", s)
    return _LINE_PREFIX_RE.sub("", s)


def _extract(answer: str, ctx: _Ctx) -> _Verdict:
    text = _clean(answer).strip()
    if not text:
        return _Verdict(None, "no_answer")
    # Only the last statements are tried: a degenerate loop of unreadable "answer is …" must stay cheap.
    for _, via, value in reversed(_statements(text, ctx)[-MAX_STATEMENTS:]):
        verdict = _interpret(value, ctx, via)
        if verdict is not None:
            return verdict
    verdict = _interpret(text, ctx, "unmarked")
    if verdict is not None:
        return verdict
    return _mentions(text, ctx)


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
    ctx = _context(tuple(choices), label_style == "letter")
    verdict = _extract(answer, ctx)
    choice = verdict.choice if verdict.choice is not None and 1 <= verdict.choice <= ctx.n else None
    method = verdict.method if choice is not None or verdict.method in FAILURE_METHODS else "out_of_range"
    return ParsedResponse(choice, method, thought, answer, False)
