"""What an answer says *about* a choice: that it is ruled out, doubted, or — depending on what the question
asks — right or wrong. Private to :mod:`examqa.reading.parse`, whose module docstring states the rules.

A choice that is ruled out ("①번은 확실히 아니다", "option (3) seems unlikely"), doubted ("③일 수도 있다")
or said to be wrong on a question that asks for the right one ("④는 명백히 틀렸습니다" on "옳은 것은?") is
never the answer. Whether "④는 옳지 않다" rules ④ out depends on the question: on "옳지 않은 것은?" it *is*
the answer. Three tools, each linear in the text:

* :func:`drop_rejections` removes every sentence that does nothing but rule out or doubt one choice, so
  that no later step can read it (and a sentence added to an answer only to rule out another choice
  cannot change how the answer reads: the text read is the same);
* :func:`mention_stance` says whether a label mentioned inside a sentence is ruled out or doubted there
  ("③이 아니라 ④", "④일 가능성도 있다"), for the steps that count mentions;
* :func:`refuses` finds a sentence that declines to answer ("정답을 고를 수 없습니다", "I cannot determine").

A predicate's *sense* is ``reject`` (rules a choice out whatever the question asks: 아니다, 정답이 아니다,
제외, 배제, 가능성이 낮다, unlikely, ruled out, not the answer), ``doubt`` (일 수도 있다, might be),
``neg`` (says a statement is wrong: 옳지 않다, 틀렸다, 잘못되었다, 해당하지 않는다, 증상이 아니다, incorrect)
or ``pos`` (says it is right: 옳다, 맞다, 적절하다, 해당한다, correct). ``neg`` rules a choice out on a
positive question and names the answer on a negative one; ``pos`` the other way round; with the
question's polarity unknown (``ChoiceIndex.negative`` None) neither is taken as ruling anything out.
"""

from __future__ import annotations

import re
from typing import Literal

from examqa.reading._choicetext import ChoiceIndex, described, exact_or_set, loose_exact, strip_endings

Sense = Literal["reject", "doubt", "neg", "pos"]

HEAD_WINDOW = 8_192
"""Characters at an answer's start where sentences are examined for a rejection (a real answer is shorter)."""
TAIL_WINDOW = 8_192
"""Characters at its end examined (where the last statements are read from)."""
TEXT_CAP = 600
"""The longest one-sentence answer read as a choice ruled out by its text."""
REFUSAL_CAP = 4096
"""Characters read for a refusal at each end of an answer."""
Stance = Literal["rejected", "doubted"]

_CIRCLED = "".join(chr(c) for lo, hi in ((0x2460, 0x2473), (0x2776, 0x2793), (0x24EB, 0x24FE))
                   for c in range(lo, hi + 1))
_PAREN_DIGITS = "".join(chr(c) for c in range(0x2474, 0x2488))

# ------------------------------------------------------------------------------------------ predicates

_DECL = r"(?:다|습니다|ㅂ니다|음|요|네요|죠|지요)"
_NOUN_END = r"(?:설명|것|지문|내용|선지|보기|선택지|진술)(?:이다|입니다|임)?"
_ADVERB = (r"(?:확실히|분명히|명백히|명확히|절대(?:로)?|결코|당연히|전혀|아마(?:도)?|역시|물론|정말(?:로)?|완전히|"
           r"틀림없이|확실하게|분명하게|clearly|definitely|certainly|obviously|surely|also)")
_ADVERBS = rf"(?:{_ADVERB}[ \t]+)*"
# Rules a choice out whatever the question asks.
_REJECT_KO = (
    r"(?:(?:최종[ \t]*)?(?:정답|답|답안)(?:이|은|는)?[ \t]*)?"
    r"(?:아니(?:다|에요|예요|야|죠|지요|네요|었다|었습니다|었음)|아닙니다|아님"
    r"|아닌[ \t]*(?:것[ \t]*같(?:다|습니다|아요)|듯(?:하다|합니다)|것으로[ \t]*(?:보인다|보입니다|판단된다|판단됩니다))"
    r"|아닐[ \t]*(?:것(?:이다|입니다|[ \t]*같(?:다|습니다))|겁니다|거예요|듯(?:하다|합니다)))"
    r"|(?:정답|답)(?:이|으로|가)?[ \t]*(?:될|볼)[ \t]*수(?:는)?[ \t]*없(?:다|습니다|음)"
    r"|(?:고를|선택할|택할)[ \t]*수[ \t]*없(?:다|습니다|음)"
    r"|(?:제외|배제)(?:된다|됩니다|되었다|되었습니다|됨|한다|합니다|할[ \t]*수[ \t]*있(?:다|습니다|음)"
    r"|해야[ \t]*(?:한다|합니다)|하면[ \t]*(?:된다|됩니다))"
    r"|가능성(?:이|은)[ \t]*(?:매우[ \t]*|거의[ \t]*|상당히[ \t]*|극히[ \t]*)?(?:낮(?:다|습니다|음)|희박(?:하다|합니다)"
    r"|없(?:다|습니다|음))"
    r"|오답(?:이다|입니다|임)"
)
_REJECT_EN = (
    r"(?:is|'s)[ \t]+not[ \t]+(?:the[ \t]+)?(?:(?:correct|right|best|final)[ \t]+)?(?:answer|choice|option|one)"
    r"|(?:can|could)(?:not|'t|[ \t]+not)[ \t]+be[ \t]+(?:the[ \t]+)?(?:(?:correct|right)[ \t]+)?"
    r"(?:answer|it|right|correct)"
    r"|(?:is|are|can[ \t]+be|could[ \t]+be|should[ \t]+be|must[ \t]+be)[ \t]+(?:safely[ \t]+)?"
    r"(?:ruled[ \t]+out|eliminated|excluded)"
    r"|(?:is|seems|appears|looks)[ \t]+(?:to[ \t]+be[ \t]+)?(?:very[ \t]+|highly[ \t]+|quite[ \t]+|rather[ \t]+)?"
    r"(?:unlikely|implausible)"
)
_DOUBT_EN = (r"(?:might|may|could)[ \t]+(?:also[ \t]+)?be[ \t]+(?:the[ \t]+)?(?:(?:correct|right)[ \t]+)?"
             r"(?:answer|correct|right|it)")
# Said of a statement: it is wrong (an answer on a negative question, ruled out on a positive one).
_NEG_KO = (
    r"(?:옳|맞|바르|올바르|적절하|타당하|적합하|정확하)지[ \t]*(?:않(?:다|습니다|음|아요|네요)"
    rf"|않아[ \t]*(?:보인다|보입니다)|않은[ \t]*{_NOUN_END})"
    rf"|틀(?:리다|립니다|렸다|렸습니다|렸음|림|린[ \t]*{_NOUN_END})"
    rf"|잘못(?:이다|입니다|되었다|되었습니다|됐다|됐습니다|된[ \t]*{_NOUN_END})"
    rf"|부적절(?:하다|합니다|한[ \t]*{_NOUN_END})"
    r"|해당(?:하|되)지[ \t]*않(?:는다|습니다|음)"
    r"|거짓(?:이다|입니다)"
)
# "④는 증상이 아니다": a category denied (not the answer's own 정답/답, which is tried first as a rejection).
_NEG_NOUN_KO = r"[가-힣]{1,12}(?:이|가)[ \t]*(?:아니(?:다|에요|예요|야)|아닙니다|아님)"
_NEG_EN = (r"(?:is|'s)[ \t]+(?:clearly[ \t]+|definitely[ \t]+|certainly[ \t]+|obviously[ \t]+)?"
           r"(?:incorrect|wrong|false|inaccurate|not[ \t]+(?:correct|true|right|accurate))")
# Said of a statement: it is right.
_POS_KO = (
    rf"옳(?:다|습니다|음|은[ \t]*{_NOUN_END})"
    rf"|맞(?:다|습니다|음|는[ \t]*{_NOUN_END})"
    r"|(?:적절|타당|적합|정확)(?:하다|합니다)|(?:올바르|바르)다|(?:올바릅|바릅)니다"
    r"|해당(?:한다|합니다|된다|됩니다)"
    r"|사실(?:이다|입니다)"
)
_POS_EN = (r"(?:is|'s)[ \t]+(?:clearly[ \t]+|definitely[ \t]+|certainly[ \t]+|obviously[ \t]+)?"
           r"(?:correct|true|right|accurate)")
_PREDICATE = (rf"(?P<reject>{_REJECT_KO}|{_REJECT_EN})|(?P<doubt>{_DOUBT_EN})|(?P<neg>{_NEG_KO}|{_NEG_EN})"
              rf"|(?P<pos>{_POS_KO}|{_POS_EN})")
_PREDICATE_LABEL = _PREDICATE.replace(r"|(?P<pos>", rf"|(?P<negnoun>{_NEG_NOUN_KO})|(?P<pos>", 1)
# A label with its copula: "③일 수도 있다", "③번일지도 모른다", "③인지 확실하지 않다", "④일 가능성도 있다".
_DOUBT_COPULA = (
    r"(?:일|인)[ \t]*(?:수도[ \t]*있(?:다|습니다|음|겠다|겠습니다)|지도[ \t]*모르(?:겠다|겠습니다|ㄴ다|다|릅니다|죠)"
    r"|지[ \t]*(?:는[ \t]*)?(?:확실하지[ \t]*않(?:다|습니다)|모르겠(?:다|습니다)|확신(?:이[ \t]*없|할[ \t]*수[ \t]*없)"
    r"(?:다|습니다))|[ \t]*가능성(?:도|이)[ \t]*(?:있(?:다|습니다|음)|배제되지[ \t]*않(?:는다|습니다)))"
)
_END = r"[ \t]*(?:[.!?。]+[ \t]*|(?=[;\n])|\Z)"
_PARTICLE = r"(?:은|는|이|가|도|의[ \t]*경우(?:에는|는)?)"
_DISCOURSE = (r"(?:(?:다만|하지만|그러나|그리고|또한|또|한편|반면(?:에)?|물론|즉|따라서|그러므로|그래서|결국|참고로|"
              r"but|however|also|and|so|thus|therefore|note[ \t]+that|although|though)[ \t]*,?[ \t]+)?")

# ------------------------------------------------------------------------------------------ subjects

_NUMBER_LABEL = (rf"[{_CIRCLED}{_PAREN_DIGITS}]|[(\[][ \t]*\d{{1,2}}[ \t]*[)\]]|제[ \t]*\d{{1,2}}[ \t]*번"
                 r"|\d{1,2}(?![\d.,])(?:[ \t]*번(?!째))?"
                 r"|(?:첫|두|세|네|다섯|여섯|일곱|여덟|아홉|열)[ \t]*번째(?:[ \t]*(?:보기|선택지|선지|항목))?")
_LETTER_LABEL = r"|[(\[][ \t]*[A-Z][ \t]*[)\]]|(?<![A-Za-z])[A-Z](?![A-Za-z0-9])"
_LABEL_PREFIX = r"(?:(?:보기|선택지|선지|option|choice|answer[ \t]+choice|answer)[ \t]*(?:no\.?[ \t]*)?)?"


def _label(letters: bool) -> str:
    return rf"{_LABEL_PREFIX}(?:{_NUMBER_LABEL}{_LETTER_LABEL if letters else ''})(?:[ \t]*번(?!째))?"


# What a reason clause before the predicate may not hold: another label, an answer marker.
_NOT_IN_REASON = rf"(?![{_CIRCLED}{_PAREN_DIGITS}]|\([ \t]*\d|\d{{1,2}}[ \t]*번|정답|답|answer)"
_TEXT_SUBJECT = (rf"(?:{_NOT_IN_REASON}[^\s.!?。;:,\n0-9①-⑳])"
                 rf"(?:{_NOT_IN_REASON}(?!이며|이고|지만|으나|는데|므로)[^\n.!?。;:,]){{0,30}}?")


def _sentence_patterns(letters: bool) -> dict[str, tuple[re.Pattern[str], ...]]:
    """The sentences that rule out (or doubt) one choice, by how they start (a label, 정답/답, English),
    each form a pattern of its own (their groups share names)."""
    label = _label(letters)
    forms = {
        "label": (
            # a label, its particle, adverbs, then the predicate (with a reason between: _reasoned)
            rf"(?P<label>{label})(?:[ \t]*(?P<particle>{_PARTICLE}))?[ \t]*{_ADVERBS}(?:{_PREDICATE_LABEL})",
            # a label with its copula ("③일 수도 있다")
            rf"(?P<label>{label})(?P<doubtc>{_DOUBT_COPULA})",
        ),
        # the answer is not a label ("정답은 ③이 아니다", "The answer is not (3)", "It is not C")
        "answer": (
            rf"(?:최종[ \t]*)?(?:정답|답)[ \t]*(?:은|는|이)[ \t]+(?P<label>{label})[ \t]*(?:이|가)?[ \t]*{_ADVERBS}"
            r"(?:아니(?:다|에요|예요|야)|아닙니다|아님)",
        ),
        "english": (
            rf"(?:(?:the[ \t]+)?(?:(?:correct|final|right|best)[ \t]+)?answer|it|this)[ \t]+(?:is|'s|would[ \t]+be)"
            rf"[ \t]+{_ADVERBS}not[ \t]+(?P<label>{label})",
            rf"(?P<label>{label})(?:[ \t]*{_PARTICLE})?[ \t]*{_ADVERBS}(?:{_PREDICATE_LABEL})",  # "answer choice (3) …"
        ),
    }
    return {kind: tuple(re.compile(rf"{_DISCOURSE}(?:{form}){_END}", re.I) for form in kind_forms)
            for kind, kind_forms in forms.items()}


_SENTENCE_RES = {letters: _sentence_patterns(letters) for letters in (False, True)}
# "①은 시효가 3년이므로 옳지 않다": the label, then a reason ending in a connective, then the predicate. Found
# with string searches (the last connective of the sentence), not a lazy regex tried at every length.
_LABEL_ONLY_RES = {letters: re.compile(rf"{_DISCOURSE}(?P<label>{_label(letters)})(?:[ \t]*{_PARTICLE})?[ \t]*",
                                       re.I) for letters in (False, True)}
_CONNECTIVES = ("므로", "때문에", "어서", "아서", "해서", "여서", "라서", "이라", "니까", "으니")
_AFTER_REASON_RE = re.compile(rf"[ \t,]+{_ADVERBS}(?:{_PREDICATE_LABEL}){_END}", re.I)
_IN_REASON_RE = re.compile(rf"[{_CIRCLED}{_PAREN_DIGITS}]|\([ \t]*\d|\d{{1,2}}[ \t]*번|정답|답|answer", re.I)
REASON_CAP = 80
"""The longest reason between a label and what is said of it."""


def _reasoned(text: str, start: int, stop: int, letters: bool) -> re.Match[str] | None:
    """The predicate after "label (particle) reason-connective" in the sentence [start, stop), or None."""
    head = _LABEL_ONLY_RES[letters].match(text, start)
    if head is None:
        return None
    lo = head.end()
    at, width = -1, 0
    for connective in _CONNECTIVES:
        found = text.rfind(connective, lo + 1, stop)
        if found > at:
            at, width = found, len(connective)
    if at < 0 or at + width - lo > REASON_CAP or _IN_REASON_RE.search(text, lo, at):
        return None
    return _AFTER_REASON_RE.match(text, at + width)
# How a sentence that may rule a choice out starts (after a discourse word): a label, 정답/답, English.
_LABEL_START = (rf"[{_CIRCLED}{_PAREN_DIGITS}0-9(\[]|제[ \t]*\d|(?:첫|두|세|네|다섯|여섯|일곱|여덟|아홉|열)[ \t]*번째"
                r"|보기|선택지|선지|option\b|choice\b|answer[ \t]+choice\b")
_HEAD_RES = {letters: re.compile(
    rf"(?:(?P<label>{_LABEL_START}{r'|[A-Z](?![A-Za-z0-9])' if letters else ''})"
    r"|(?P<answer>(?:최종[ \t]*)?(?:정답|답)[ \t]*(?:은|는|이)[ \t])"
    r"|(?P<english>(?:the|answer|correct|final|right|best|it|this)\b))", re.I) for letters in (False, True)}
# The characters such a sentence can start with: a cheap test before the head's regex.
_HEAD_CHARS = {letters: frozenset(_CIRCLED + _PAREN_DIGITS + "0123456789([제첫두세네다여일아열보선정답최"
                                  "oOcCaAtTfFrRbBiI" + ("ABCDEFGHIJKLMNOPQRSTUVWXYZ" if letters else ""))
               for letters in (False, True)}
_DISCOURSE_RE = re.compile(_DISCOURSE.removesuffix("?"), re.I)
_DISCOURSE_CHARS = frozenset("다하그또한반물즉따결참bBhHaAsStTnN")
_BREAK_RE = re.compile(r"[\n.!?。;]")
# What a sentence that rules a choice out ends with (before its punctuation): a cheap test first.
_ENDINGS = ("다", "니다", "음", "님", "임", "요", "야", "죠", "answer", "choice", "option", "one", "it", "out",
            "eliminated", "excluded", "unlikely", "implausible", "correct", "right", "true", "accurate", "incorrect",
            "wrong", "false", "inaccurate")
# Sentence ends that say "right" (pos) or "wrong" (neg) and nothing else: where the question's polarity makes
# them no rejection, the sentence is passed over without its patterns (an explanation line per choice).
_POS_TAILS = (
    "옳다", "옳습니다", "옳음", "맞다", "맞습니다", "맞음", "적절하다", "적절합니다", "타당하다", "타당합니다",
    "적합하다", "적합합니다", "정확하다", "정확합니다", "해당한다", "해당합니다", "해당된다", "해당됩니다",
    "옳은 설명이다", "옳은 설명입니다", "맞는 설명이다", "맞는 설명입니다", "is correct", "is true",
)
_NEG_TAILS = (
    "옳지 않다", "옳지 않습니다", "옳지 않음", "맞지 않다", "맞지 않습니다", "틀렸다", "틀렸습니다",
    "틀리다", "틀립니다", "잘못되었다", "잘못되었습니다", "잘못이다", "잘못입니다", "적절하지 않다",
    "적절하지 않습니다", "해당하지 않는다", "해당하지 않습니다", "옳지 않은 설명이다", "옳지 않은 설명입니다",
    "틀린 설명이다", "틀린 설명입니다", "is incorrect", "is wrong", "is false",
)
# A short text said to be ruled out ("아목시실린은 아니다"): read only where one sentence is the whole answer.
_TEXT_SENTENCE_RE = re.compile(rf"{_DISCOURSE}(?P<text>{_TEXT_SUBJECT})[ \t]*{_PARTICLE}[ \t]*{_ADVERBS}"
                               rf"(?:{_PREDICATE}){_END}", re.I)


_TAIL_RE = re.compile(
    rf"(?:[ \t]*번(?!째))?(?:(?P<doubtc>{_DOUBT_COPULA})"
    rf"|[ \t]*(?:{_PARTICLE}[ \t]*)?{_ADVERBS}(?:{_PREDICATE_LABEL})(?=[ \t]*(?:[.!?。,;)\n]|\Z))"
    r"|[ \t]*(?:이|가|은|는)?[ \t]*(?P<connective>아니(?:라|고|며)))", re.I)
# Cheap tests before the regexes: the words every predicate holds.
_PREDICATE_WORDS = re.compile("아니|아닙|아님|아닌|아닐|없|제외|배제|가능성|오답|옳|맞|바르|올바|적절|타당|적합|정확|"
                              "틀|잘못|해당|거짓|사실|수도|지도|[Nn][Oo][Tt]|[Uu]nlikely|[Ii]mplausible|[Rr]uled|[Ee]liminated|"
                              "[Ee]xcluded|[Mm]ight|[Mm]ay|[Cc]ould|[Cc]orrect|[Ww]rong|[Ff]alse|[Tt]rue|[Rr]ight|"
                              "[Aa]ccurate|n't")
_TAIL_STARTS = frozenset(" \t번은는이가도의일인")
_BOUNDARY_RE = re.compile(r"\n|[.!?。;](?=[ \t])")


def contradicts(sense: str, negative: bool | None) -> bool:
    """Whether a ``neg``/``pos`` predicate rules its choice out under the question's polarity."""
    return (sense == "pos" and negative is True) or (sense in ("neg", "negnoun") and negative is False)


def _sense(m: re.Match[str]) -> str:
    groups = m.groupdict()
    if groups.get("doubtc") is not None:
        return "doubt"
    for name in ("reject", "doubt", "neg", "negnoun", "pos"):
        if groups.get(name) is not None:
            return name
    return "reject"  # "정답은 ③이 아니다", "The answer is not (3)"


def _rules_out(sense: str, negative: bool | None) -> bool:
    return sense in ("reject", "doubt") or contradicts(sense, negative)


def _is_choice_text(sentence: str, ctx: ChoiceIndex) -> bool:
    """Whether a sentence is a choice's own text (a statement choice "…는 대상이 아니다"), said back."""
    if not sentence.strip(" \t.!?。"):
        return False
    core = strip_endings(sentence.strip())
    return (exact_or_set([sentence.strip(), core], ctx) is not None or loose_exact(core, ctx) is not None
            or described(core, ctx) is not None)


def _sentence_starts(text: str) -> list[int]:
    """Where sentences start: the text's start, after a line break, after .!?。; and a space (checked here:
    a regex lookahead costs more than the test) — in the first ``HEAD_WINDOW`` and the last ``TAIL_WINDOW``
    characters, where a repetition loop is read."""
    size = len(text)
    spans = [(0, size)] if size <= HEAD_WINDOW + TAIL_WINDOW else [(0, HEAD_WINDOW), (size - TAIL_WINDOW, size)]
    starts = [0]
    for lo, hi in spans:
        starts += [m.end() for m in _BREAK_RE.finditer(text, lo, hi)
                   if text[m.start()] == "\n" or (m.end() < size and text[m.end()] in " \t")]
    return starts


def drop_rejections(text: str, ctx: ChoiceIndex) -> str:
    """``text`` without the sentences that only rule out or doubt one choice named by its label.

    A sentence starts the text, a line, or follows a sentence end (``.!?。;``) and a space; it is removed
    with the spaces after it and at most one line break, so that removing an added sentence gives back
    the text as it was.
    """
    head_re = _HEAD_RES[ctx.letters]
    head_chars = _HEAD_CHARS[ctx.letters]
    patterns = _SENTENCE_RES[ctx.letters]
    negative = ctx.negative
    kept: list[str] = []
    last = 0
    size = len(text)
    boundaries = _sentence_starts(text)
    for index, start in enumerate(boundaries):
        stop = boundaries[index + 1] if index + 1 < len(boundaries) else size
        while start < size and text[start] in " \t":
            start += 1
        if start < last or start >= size:
            continue
        first = text[start]
        at = start
        if first in _DISCOURSE_CHARS:
            discourse = _DISCOURSE_RE.match(text, start)
            if discourse is not None:
                at = discourse.end()
                first = text[at] if at < size else ""
        if first not in head_chars:
            continue
        head = head_re.match(text, at)
        if head is None:
            continue
        kind = "label" if head.group("label") else "answer" if head.group("answer") else "english"
        if kind != "english":
            body = text[start:stop].rstrip(" \t\n.!?。;")
            if not body.endswith(_ENDINGS):
                continue  # a predicate ends each of these forms ("The answer is not (3)" ends in its label)
            if (negative is not True and body.endswith(_POS_TAILS)) or (negative is not False
                                                                        and body.endswith(_NEG_TAILS)):
                continue  # said to be right on a positive question (wrong on a negative one): not ruled out
        m = next((found for p in patterns[kind] if (found := p.match(text, start)) is not None), None)
        reasoned = m is None and kind == "label"
        if reasoned:
            m = _reasoned(text, start, stop, ctx.letters)
        if m is None or not _rules_out(_sense(m), negative):
            continue
        if not reasoned and not m.groupdict().get("particle") and _is_choice_text(text[m.end("label"): m.end()],
                                                                                   ctx):
            continue  # a choice's own text ("③ 대상이 아니다" where ③ says so) is an answer, not a rejection
        end = m.end()
        if end < len(text) and text[end] == "\n":
            end += 1
        kept.append(text[last:start])
        last = end
    if not kept:
        return text
    kept.append(text[last:])
    return "".join(kept)


def rejects_text(sentence: str, ctx: ChoiceIndex) -> bool:
    """Whether ``sentence`` only rules out a choice named by its text ("아목시실린은 아니다"): not a choice's
    own text said back ("피보험자가 아니다" where a choice says so)."""
    if len(sentence) > TEXT_CAP or _PREDICATE_WORDS.search(sentence) is None:
        return False  # a one-sentence answer this long is a repetition loop, not a choice ruled out
    m = _TEXT_SENTENCE_RE.match(sentence.strip())
    if m is None or m.end() < len(sentence.strip()) or not _rules_out(_sense(m), ctx.negative):
        return False
    return not _is_choice_text(sentence[m.start("text"):], ctx)


def mention_stance(text: str, end: int, ctx: ChoiceIndex) -> Stance | None:
    """How the label that ends at ``end`` is spoken of: ``rejected`` ("③이 아니라", "③은 확실히 아니다",
    "③은 틀렸다" on a positive question), ``doubted`` ("③일 수도 있다"), or None (named, or chosen)."""
    if end >= len(text) or text[end] not in _TAIL_STARTS:
        return None
    m = _TAIL_RE.match(text, end)
    if m is None:
        return None
    if m.group("connective") is not None:
        return "rejected"
    sense = _sense(m)
    if sense == "doubt":
        return "doubted"
    return "rejected" if _rules_out(sense, ctx.negative) else None


# "옳지 않은 것은 ①이다" on a positive question: the label a contradicting answer sentence leads to.
_LEAD_RE = re.compile(
    r"(?:(?P<neg>(?:옳|맞|바르|올바르|알맞|적절하|타당하|적합하|정확하)지[ \t]*않은|틀린|잘못된|부적절한"
    r"|해당하지[ \t]*않는)|(?P<pos>옳은|맞는|바른|올바른|알맞은|적절한|타당한|적합한|정확한|해당하는))"
    r"[ \t]*(?:[가-힣]{1,8}[ \t]*){0,2}?(?:은|는|으로는|로는)[ \t]*[:,]?[ \t]*\Z")
_LEAD_WINDOW = 40


TAIL_STARTS = _TAIL_STARTS
LEAD_ENDS = frozenset(" \t:,은는")


def lead_stance(text: str, start: int, ctx: ChoiceIndex) -> Stance | None:
    """``rejected`` when the label at ``start`` is what a sentence of the wrong sense leads to ("옳지 않은
    것은 ①" on a positive question, "옳은 것은 ②" on a negative one); else None."""
    if ctx.negative is None or start < 2 or text[start - 1] not in " \t:,은는":
        return None
    m = _LEAD_RE.search(text, max(0, start - _LEAD_WINDOW), start)
    if m is None:
        return None
    return "rejected" if contradicts("neg" if m.group("neg") else "pos", ctx.negative) else None


# ------------------------------------------------------------------------------------------ refusals

_REFUSAL_KO_RE = re.compile(
    r"(?:(?:고를|골라낼|선택할|택할|판단할|확정할|결정할|정할|특정할|단정할|답할|알)[ \t]*수(?:가)?[ \t]*없"
    r"|(?:고르기|선택하기|판단하기|확정하기|결정하기|특정하기|단정하기|답하기|확신하기)[ \t]*(?:가[ \t]*)?어렵"
    r"|모르겠|(?:정답|답)(?:이|은|는)[ \t]*없)"
    r"(?:다|습니다|음|어요|네요|는데요)?[ \t]*[.!?。…]*[ \t]*\Z")
_REFUSAL_EN_RE = re.compile(
    r"(?:^|\b)(?:(?:I|we)[ \t]+(?:cannot|can't|can[ \t]+not|am[ \t]+unable[ \t]+to|are[ \t]+unable[ \t]+to|"
    r"am[ \t]+not[ \t]+able[ \t]+to|do[ \t]+not[ \t]+know|don't[ \t]+know)\b(?![^.;]*\b(?:but|however)\b)"
    r"|(?:cannot|can't|could[ \t]+not)[ \t]+be[ \t]+determined)", re.I)
_SENTENCE_SPLIT_RE = re.compile(r"\n|[.!?。;](?=\s|\Z)")
_REFUSAL_WORDS = re.compile("없|어렵|모르겠|[Cc]annot|can't|[Uu]nable|know|[Dd]etermined")


def refuses(text: str) -> bool:
    """Whether some sentence of ``text`` declines to answer: it ends in "…수 없다", "…하기 어렵다",
    "모르겠다", "정답이 없다", or says "I cannot …" (with no "but" after it). Only the first ``TEXT_CAP``
    characters and the last are read: a refusal longer than that is a repetition loop."""
    if len(text) > 2 * REFUSAL_CAP:
        text = text[:REFUSAL_CAP] + "\n" + text[-REFUSAL_CAP:]
    if _REFUSAL_WORDS.search(text) is None:
        return False
    start = 0
    for m in _SENTENCE_SPLIT_RE.finditer(text + "\n"):
        sentence = text[start: m.start()].strip()
        start = m.end()
        if not sentence:
            continue
        if _REFUSAL_KO_RE.search(sentence, max(0, len(sentence) - 40)) or _REFUSAL_EN_RE.search(sentence):
            return True
    return False
