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

2. **Extract**, from the answer part only, in this order; the first step that reads anything decides.
   Markdown (bold, headings, bullets, quotes), HTML emphasis, LaTeX ``$``/``\\text{}``/
   ``\\textcircled{}`` and full-width forms are removed first, and so is every sentence that only rules
   a choice out or doubts it (``_stance``): "①번은 확실히 아니다", "정답은 ③이 아니다", "③은 배제된다",
   "③일 수도 있다", "option (3) seems unlikely", "(B) is not the answer" — and, once the question's
   polarity is known (``question=``/``negative=``), a choice said to be wrong on a question that asks for
   the right one ("④는 명백히 틀렸습니다" on "옳은 것은?") or right on one that asks for the wrong one
   ("①은 옳다" on "옳지 않은 것은?", where "④는 옳지 않다" *is* the answer). A choice ruled out is never
   the answer, and no choice is read by elimination: the text read is what is left.

   a. *Statements*, taken from the **last** one backwards: a marker (정답, 답, 답안, 답변, 최종 정답, 최종 답,
      정답 번호, Answer, Final answer, Correct answer; separated by ``:``/``：``/``=``, 은/는, ``is``/
      ``remains``/``would be``, a line break as in a ``## 정답`` heading, or a space when a label follows;
      ``[정답]``/``【정답】`` too), a reversed marker ("③이 정답입니다", "제4번이 정답이다"), or a
      ``\\boxed{…}``. The last statement that can be read wins over earlier ones and over any
      explanation after it ("정답: ③\\n\\n해설: ①은 …" → 3; "Answer: D … The answer remains C." → C).
   b. The answer's *first line* read on its own ("③", "3번입니다.", "2개", "ㄱ, ㄷ", a choice's text).
   c. *Answer sentences* without a marker, read like a statement's value; one whose sense contradicts the
      question's polarity ("옳지 않은 것은 ①" on "옳은 것은?") rules its value out and is not read. Tier A: a
      cue before the answer ("옳지 않은 것은 …", "가장 적절한 치료는 …", "가능성이 가장 높은 진단은 …", "…것은 …",
      "옳은 것을 고르면 …", "The most likely diagnosis is …", "진단: …"), a predicate after it ("…이
      가장 적절하다", "…이 가장 의심된다", "…가 정답이다"), or a verb ("…을 투여한다", "…을
      선택한다", "③번을 고르겠습니다"). What a predicate or verb is said of is its clause ("…5년이므로
      ③이 옳지 않다" → ③; "A와 B 중에서는 B가 더 가능성이 높다" → B; "…할 수 있으므로 이것이 정답이다" →
      the clause before 이것). Tier B, read only when tier A reads nothing: "…이 옳다/틀렸다/옳지
      않다" (whose sense depends on the question), and a sentence whose one topic is exactly a
      choice's text ("따라서 지급보험금은 800만원이다") — only the answer's last sentence or one that
      opens with 따라서/그러므로/즉/so/therefore…, never a sentence of several givens ("기초재고는
      ₩120,000이고 기말재고는 ₩200,000이다"), and a bare number ("기울기는 2이다") only after such a
      word. Sentences of one tier that name two different choices are ``ambiguous``. Between tier A and
      tier B: an answer that declines to answer ("정답을 고를 수 없습니다", "판단하기 어렵다", "I cannot
      determine") is ``no_answer`` — the weaker evidence below is not read from it.
   d. Every label *mentioned* in the answer part: exactly one distinct label is the answer, several
      are ``ambiguous``. A mention that rules its label out ("③이 아니라 ④", "③은 틀렸고" on a positive
      question) does not count; a doubted one ("④일 가능성도 있다") counts against another label but is no
      answer on its own.
   e. A one-sentence answer that names exactly one short choice ("급성 충수염을 의심하며 수술을
      의뢰한다."), not as the topic it explains ("레진 시멘트는 … 안 된다") and not an amount.

   A value (a statement's or an answer sentence's first line; "아마도", "따라서", "that" … before it are
   skipped) is read as a *label* — ①–⑳ (also ❶, ➀, ⓵), ``N번``, ``제N번``/``제 N 번``, ``(N)``, ``N)``,
   ``N.``, a bare ``N``, ⑴, letters A–Z when ``label_style == "letter"`` (and ``(B)``, ``B번``), Korean
   ordinals (세 번째, 셋째, 3번째), optionally after "보기"/"선택지"/"option" — or as a *choice's text*:

   * **Label or text?** A number only counts as a label when a delimiter, a particle or 번 follows it,
     so "2개", "3개월", "1,000만원", "2.5" are never labels. When both readings exist, the reading
     that explains the whole value wins: "3 개월" is the text 3개월 (the label would leave "개월"
     over), and an ordinal word that is a whole choice text ("다섯째") is that choice. When both
     explain all of it and disagree — "정답: 2" where the choices are the texts 0, 1, 2, 3 — the
     result is ``ambiguous``. A label followed by a choice's text ("③ 2개") must agree with that
     text, else ``ambiguous``; a label followed by its own choice's text is that choice whatever
     the text starts with ("② 아니가", where 아니가 is no negation but choice ②'s text).
   * **Exact text**: the value, or its first sentence/clause, with Korean sentence endings
     (입니다, 이다 …) and a frame ("…라는 설명", "…다는 것", "…이라고 한 내용") removed, equals a choice
     text ignoring case, whitespace, punctuation and the won sign (``₩180,000`` = ``180,000원``);
     a choice's own ending may be left off too ("…무효" for "…무효이다.").
   * **Combinations**: when every choice is a set of ㄱ/ㄴ/ㄷ (㉠, ㈀), 가/나/다 (㉮) items, an answer
     naming the same set ("ㄱ, ㄷ", "ㄱㄷ", "ㄱ과 ㄷ", "㉠㉢") picks that choice whatever the order
     (two choices that are the same set in two orders are told apart by their exact text); a set
     that is no choice is ``out_of_range``.
   * **Named term** (method ``fuzzy``): a short choice — a drug, a diagnosis, an amount — that occurs
     in the value's first clause (or sentence) as a whole word: followed by a space, punctuation or a
     particle, never glued to more letters ("아목시실린 투여" names 아목시실린; "아목시실린-클라불란산"
     and "13개월" name nothing). Two named choices are ``ambiguous``; a choice inside a longer named
     choice is not separate evidence. Bare numbers are never terms.
   * **Described statement** (method ``fuzzy``): a long choice said in other words — other particles
     and endings, words left out ("옳지 않은 것은 보험금청구권이 2년간 행사하지 않으면 시효로 소멸한다는
     설명입니다"). Value and choices are cut into syllable pairs after dropping each word's particle;
     the value must be at least 60 % pairs of one choice, state no number that choice lacks, keep
     its sense (no negation it lacks, the same negated or plain ending, no 무-/불-/비- word turned
     around: "세포성" is not "무세포성"), and be told apart from every other choice by pairs only
     that one has ("대리할 수 없다" against "대리할 수 있다"). Two statements joined by 또는/or that
     describe two choices are ``ambiguous``.
   * **Fuzzy spelling**: ``rapidfuzz.fuzz.ratio`` ≥ 85 with a margin of 10 over the runner-up and the
     same numbers ("13개월" is not 3개월) — after a marker, and on the answer's first line.
   * Several labels ("2 또는 3", "①, ③") are ``ambiguous`` unless the value is a choice's text.
     A negated label or text ("③이 아니라 ④", "인삼이 아니라 황기", "X 대신 Y") is read after the
     negation. 없음/정답 없음/모름/unknown is ``none_stated`` unless a choice's text says so ("해당 없음").
     Labels mentioned inside a value count with its text reading ("보험대리점이 … 없다는 ③입니다");
     in an answer sentence only a label that ends its clause counts ("…③번 설명이다", not "①의 예외").

   Cost is linear in the completion's length: only the last ``MAX_STATEMENTS`` statements of each kind
   and the last ``MAX_CUES`` answer sentences are read, a value is its first ``VALUE_CAP`` characters,
   labels are looked for in the first ``MENTION_CAP`` characters, and a negation is followed at most
   ``NEGATION_DEPTH`` times — a degenerate repetition loop costs at most linear time.

Methods (``ParsedResponse.method``) — the evidence used:

* success: ``marker`` (a label after an explicit marker), ``boxed`` (a label inside ``\\boxed{}``),
  unmarked label forms ``circled``, ``number_suffix`` (3번, 제3번), ``paren`` ((3), 3), ⑴), ``letter``,
  ``ordinal``, ``bare`` (3, 3.), and text readings ``choice_text`` (exact), ``combination``,
  ``fuzzy`` (a named term, a described statement, a respelling);
* failure (choice None): ``truncated`` (reasoning mode, no ``</think>``), ``no_answer`` (nothing
  readable), ``ambiguous`` (two different answers), ``out_of_range`` (a label outside
  1..len(choices), or a combination that is no choice), ``none_stated`` (the model says there is none).

"Truncated", "no answer" and "wrong" stay distinct: truncated comes only from a missing ``</think>``;
a readable answer that is not the key is simply a choice that grades wrong. The module's own cases
are in tests/test_parsing.py; tests/data/parsing/completions.json holds 386 completions with the
reading a careful grader gives each (none where a grader would refuse).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from examqa.exams.features import negative_ask
from examqa.exams.models import Question
from examqa.reading._choicetext import ODD_CHARS_RE, TRANSLATE, ChoiceIndex, Verdict, choice_index, named_terms
from examqa.reading._cues import CIRCLED_BY_NUMBER, SENTENCE_END_RE, interpret, mention_verdict
from examqa.reading._cues import MENTION_CAP as MENTION_CAP  # the limits the docstring names, re-exported
from examqa.reading._cues import NEGATION_DEPTH as NEGATION_DEPTH
from examqa.reading._cues import VALUE_CAP as VALUE_CAP
from examqa.reading._stance import drop_rejections, refuses, rejects_text
from examqa.reading._statements import MAX_CUES as MAX_CUES
from examqa.reading._statements import MAX_STATEMENTS as MAX_STATEMENTS
from examqa.reading._statements import cue_values, cue_verdict, explains, statements

__all__ = ["FAILURE_METHODS", "SUCCESS_METHODS", "ParsedResponse", "asks_negative", "parse_response"]

SUCCESS_METHODS = frozenset({
    "marker", "boxed", "circled", "number_suffix", "paren", "letter", "ordinal", "bare",
    "choice_text", "combination", "fuzzy",
})
"""Methods that come with a choice."""
FAILURE_METHODS = frozenset({"truncated", "no_answer", "ambiguous", "out_of_range", "none_stated"})
"""Methods that come with ``choice=None``."""


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


THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
_END_TOKENS = ("[|endofturn|]", "<|im_end|>", "<|endoftext|>")

_LATEX_CMD_RE = re.compile(r"\\(?:text|mathrm|mathbf|textbf|mathit|textit)\s*\{([^{}]*)\}")
_TEXTCIRCLED_RE = re.compile(r"\\(?:textcircled|circled)\s*\{\s*(\d{1,2})\s*\}")
_LATEX_MARKUP_RE = re.compile(r"\\[()\[\]%]")
_DOLLAR_RE = re.compile(r"(?<![A-Za-z])\$+")  # "US$ 2,000" keeps its dollar
_HTML_RE = re.compile(r"</?(?:b|strong|em)>")
_LINE_PREFIX_RE = re.compile(r"[ \t]*(?:#{1,6}[ \t]*|>[ \t]*|[-•·][ \t]+)+")
_NEWLINE_PREFIX_RE = re.compile(r"\n[ \t]*(?:#{1,6}[ \t]*|>[ \t]*|[-•·][ \t]+)+")


# ------------------------------------------------------------------------------------------ extraction

def _strip_line_prefixes(s: str) -> str:
    """Headings, quotes and bullets off every line ("## 정답", "> **정답: ③**", "- ① …")."""
    first = _LINE_PREFIX_RE.match(s)
    if first is not None and first.end():
        s = s[first.end():]
    # Anchored on the line break: a pattern that starts with a literal is searched for quickly.
    return _NEWLINE_PREFIX_RE.sub("\n", s) if "\n" in s else s


def _clean(text: str) -> str:
    """Markdown, HTML emphasis, LaTeX wrappers and full-width forms removed (plain string operations
    where they do: a regex tried at every character is the largest cost of a short answer)."""
    s = text.translate(TRANSLATE) if ODD_CHARS_RE.search(text) else text
    if "\r" in s:
        s = s.replace("\r\n", "\n").replace("\r", "\n")
    if "\\" in s:
        s = _TEXTCIRCLED_RE.sub(lambda m: CIRCLED_BY_NUMBER.get(int(m.group(1)), m.group(1)), s)
        for _ in range(2):  # \text{\textbf{…}} nests once in practice
            s = _LATEX_CMD_RE.sub(r"\1", s)
        s = _LATEX_MARKUP_RE.sub("", s)
    if "__" in s:
        s = s.replace("__", "")
    if "*" in s:
        s = s.replace("*", "")
    if "`" in s:
        s = s.replace("`", "")
    if "$" in s:
        s = _DOLLAR_RE.sub("", s)
    if "<" in s:
        s = _HTML_RE.sub("", s)
    return _strip_line_prefixes(s)


def _extract(answer: str, ctx: ChoiceIndex) -> Verdict:
    # A sentence that only rules a choice out ("①번은 확실히 아니다") is no evidence for any reading.
    text = drop_rejections(_clean(answer), ctx).strip()
    if not text:
        return Verdict(None, "no_answer")
    # Only the last statements are tried: a degenerate loop of unreadable "answer is …" must stay cheap.
    for _, via, value in reversed(statements(text, ctx)[-MAX_STATEMENTS:]):
        verdict = interpret(value, ctx, via)
        if verdict is not None:
            return verdict
    verdict = interpret(text, ctx, "unmarked")
    if verdict is not None:
        return verdict
    cues = cue_values(text)
    verdict = cue_verdict(text, ctx, tiers="A", cues=cues)
    if verdict is not None:
        return verdict
    # "정답을 고를 수 없습니다": below here the evidence is weak (a choice said to be right or wrong,
    # one mentioned), and a model that declines to answer has not answered by mentioning one.
    if refuses(text):
        return Verdict(None, "no_answer")
    verdict = cue_verdict(text, ctx, tiers="B", cues=cues)
    if verdict is not None:
        return verdict
    verdict = mention_verdict(text, ctx)
    if verdict.method != "no_answer":
        return verdict
    # Last: a one-sentence answer that names one choice ("급성 충수염을 의심하며 수술을 의뢰한다."), not
    # as the topic it explains, and not an amount (a sentence of amounts restates the question's givens).
    end = SENTENCE_END_RE.search(text)
    if (end is not None and text[end.end():].strip()) or explains(text) or rejects_text(text, ctx):
        return verdict  # … and not a choice said to be ruled out ("아목시실린은 아니다")
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


def _space_before(text: str, start: int, end: int) -> int:
    """``end`` moved back over whitespace, not before ``start``, without copying the text."""
    while end > start:
        chunk = text[max(start, end - 256): end]
        kept = len(chunk.rstrip())
        end -= len(chunk) - kept
        if kept:
            break
    return end


def _space_after(text: str, start: int, end: int) -> int:
    """``start`` moved on over whitespace, not past ``end``, without copying the text."""
    while start < end:
        chunk = text[start: min(end, start + 256)]
        kept = len(chunk.lstrip())
        start += len(chunk) - kept
        if kept:
            break
    return start


def _split(text: str, reasoning: bool) -> tuple[str | None, str, bool]:
    """Return (reasoning, answer part, truncated).

    Works on positions and slices once at the end: a reasoning trace runs to tens of kilobytes, and
    each ``strip()`` of it would be a copy.
    """
    end = _space_before(text, 0, len(text))
    while text.endswith(_END_TOKENS, 0, end):  # decoded without skip_special_tokens
        end = _space_before(text, 0, end - len(next(t for t in _END_TOKENS if text.endswith(t, 0, end))))
    if not reasoning:
        body = _drop_think_blocks(text[:end])
        if THINK_CLOSE in body:  # a reasoning completion passed as plain text: its answer follows the close
            body = body[body.rfind(THINK_CLOSE) + len(THINK_CLOSE):]
        return None, body.split(THINK_OPEN, 1)[0].strip(), False
    start = _space_after(text, 0, end)
    start = start + len(THINK_OPEN) if text.startswith(THINK_OPEN, start, end) else 0
    cut = text.rfind(THINK_CLOSE, start, end)
    if cut < 0:
        return text[_space_after(text, start, end): end], "", True
    answer_start = cut + len(THINK_CLOSE)
    reopened = text.find(THINK_OPEN, answer_start, end)
    answer = text[answer_start: reopened if reopened >= 0 else end].strip()
    thought_start = _space_after(text, start, cut)
    return text[thought_start: _space_before(text, thought_start, cut)], answer, False


def parse_response(text: str, choices: Sequence[str], reasoning: bool = True,
                   label_style: Literal["number", "letter"] = "number", *, question: Question | None = None,
                   negative: bool | None = None) -> ParsedResponse:
    """Split a completion into reasoning and answer and read the 1-based choice from the answer part.

    ``reasoning=True`` expects a reasoning-mode completion (``…</think>answer``; the template opened
    ``<think>`` in the prompt); no ``</think>`` gives ``truncated=True`` and no choice. ``choices``
    are the choice texts in printed order (any count); ``label_style="letter"`` also reads A/B/C.

    What the question asks decides what a sentence about a choice says: "④는 옳지 않다" answers
    "옳지 않은 것은?" and rules ④ out on "옳은 것은?". ``question`` gives it (its stem is read for a
    negative ask, as prompts read it: :func:`examqa.exams.features.negative_ask`); ``negative`` says it
    directly and wins over ``question``. With neither, such sentences are read as before the polarity
    was known, and only what rules a choice out whatever the question asks ("①은 확실히 아니다",
    "option (3) seems unlikely") is set aside.

    Never raises on odd text; the returned choice is always None or within ``1..len(choices)``.
    See the module docstring for the rules and the ``method`` vocabulary.
    """
    thought, answer, truncated = _split(text, reasoning)
    if truncated:
        return _parsed(None, "truncated", thought, "", True)
    if negative is None and question is not None:
        negative = asks_negative(question)
    ctx = choice_index(choices if isinstance(choices, tuple) else tuple(choices), label_style == "letter", negative)
    verdict = _extract(answer, ctx)
    choice = verdict.choice if verdict.choice is not None and 1 <= verdict.choice <= ctx.n else None
    method = verdict.method if choice is not None or verdict.method in FAILURE_METHODS else "out_of_range"
    return _parsed(choice, method, thought, answer, False)


def asks_negative(question: Question) -> bool:
    """Whether ``question`` asks for the choice that is *not* so ("옳지 않은 것은?", "… EXCEPT")."""
    return _negative_ask(question.stem)


@functools.lru_cache(maxsize=4096)
def _negative_ask(stem: str) -> bool:
    return negative_ask(stem) is not None


def _parsed(choice: int | None, method: str, reasoning: str | None, answer_text: str,
            truncated: bool) -> ParsedResponse:
    """A ParsedResponse without the frozen dataclass's ``__init__``, which sets each field through
    ``object.__setattr__``: a tenth of a short answer's parse time."""
    parsed = _new(ParsedResponse)
    parsed.__dict__.update(choice=choice, method=method, reasoning=reasoning, answer_text=answer_text,
                           truncated=truncated)
    return parsed


_new = object.__new__
