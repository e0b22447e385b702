"""What an item is and what it asks, read once from its text: labels, a negative ask, a ㄱㄴㄷ combination,
a calculation, a law item, a science item, a clinical vignette, an extended-matching (R형) item, terms written
in Chinese characters (한자).

Prompts (:mod:`examqa.prompts`) turn these into notices for the model; reading (:mod:`examqa.reading`) uses
the same reading of the question, so what a prompt warns about and how an answer is read cannot drift apart.
Imports only :mod:`examqa.exams.models`.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from examqa.exams.models import Question

STANDARD_CHOICES = 5
"""The most choices an ordinary item has; more means an extended-matching (R형) item."""
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def choice_label(index: int, style: str) -> str:
    """The printed label of 1-based choice ``index``: ①… for numbers (then ``(21)``…), A… for letters."""
    if style == "letter":
        return chr(ord("A") + index - 1) if index <= 26 else f"({index})"
    return CIRCLED[index - 1] if index <= len(CIRCLED) else f"({index})"


# ------------------------------------------------------------------------------------------ item features

# A negative ask is the *question* part of a stem: a negated predicate, the thing asked for, a particle,
# then the end of the ask ("?" or "고르시오"). "보험료를 지급하지 않은 경우 … 옳은 것은?" is no negative ask:
# "경우" there is followed by no particle that ends the ask.
_NEG_PREDICATE = (
    r"(?:[가-힣]+지[ \t]*(?:않은|않는|못한|못하는)"  # 옳지 않은, 해당하지 않는, 포함되지 않는, 옳지 못한
    r"|[가-힣]+[ \t]+수[ \t]*없는"  # 할 수 없는, 볼 수 없는
    r"|(?:[가-힣]+(?:이|가)[ \t]+)?아닌"  # 증상이 아닌
    r"|(?:가장[ \t]+)?거리가[ \t]*먼|관계가[ \t]*없는|관련이[ \t]*없는|관련[ \t]*없는|무관한"
    r"|틀린|잘못된|잘못[ \t]+연결된|잘못[ \t]+짝지어진|부적절한|부적합한|바르지[ \t]*않은)"
)
_NEG_OBJECT = r"(?:것|자|사람|경우|기관|내용|설명|사항|항목|조합|곳|행위|예|사례|방법)"
_NEGATIVE_RE = re.compile(
    rf"(?P<phrase>{_NEG_PREDICATE}[ \t]*{_NEG_OBJECT})(?:만을|만|끼리|은|는|을|를|으로|로)"
    r"(?=[^?？\n]{0,40}(?:[?？]|고르시오|고르면|고른))"
)
# English stems (무역영어): the test writers capitalise the negation.
_NEGATIVE_EN_RE = re.compile(r"\b(?:NOT|EXCEPT|LEAST|INCORRECT|FALSE|WRONG)\b")
_COMBINATION_STEM_RE = re.compile(r"모두[ \t]*(?:고른|골라|고르면|묶은)|(?:고른|묶은|묶인)[ \t]*것(?:은|을)")
_ITEM_MARKS = (
    "ㄱㄴㄷㄹㅁㅂㅅㅇㅈㅊㅋㅌㅍㅎ"
    + "".join(chr(c) for c in range(0x3260, 0x326E))  # ㉠…㉭
    + "".join(chr(c) for c in range(0x3200, 0x320E))  # ㈀…㈍
    + "".join(chr(c) for c in range(0x326E, 0x327C))  # ㉮…㉻
)
_ITEM = rf"(?:\(?[{_ITEM_MARKS}]\)?|\([가-하]\))"
_ITEM_SET_RE = re.compile(rf"{_ITEM}(?:[ \t]*(?:,|、|·|및|과|와)?[ \t]*{_ITEM})*")
_UNIT = r"(?:백만원|천만원|억원|만원|천원|원|달러|유로|엔|개월|시간|년|월|일|분|초|명|개|회|배|점|평|세|%|‰|㎡|m²)"
# A quantity: an optional currency sign, a number, an optional unit right after it, and at most a few words
# more ("₩1,000 증가", "12.5% (이익)"); "P = 10, Q = 20" (a second number) is not one quantity.
_QUANTITY_RE = re.compile(
    rf"^[ \t]*(?P<pre>US\$|[₩$€¥])?[ \t]*[-−+]?[ \t]*\d[\d,]*(?:\.\d+)?[ \t]*(?P<unit>{_UNIT})?[^\d]{{0,10}}$"
)
_CALC_CUE_RE = re.compile(r"계산|얼마|금액은|금액을|금액으로|산출|산정|구하[면라시]|몇[ \t]*(?:원|개|%|퍼센트)")
_ROUNDING_RE = re.compile(r"[^.()\n?,]*(?:반올림|절사|절상|버림|올림)[^.()\n?]*")
_STATUTE_RE = re.compile(r"「[^」]*(?:법|법률|령|규칙)[^」]*」")
_HANJA_RE = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]{2,}")
"""Two or more Chinese characters in a row: a term written in 한자 (處方名, 本草名, 經穴名 …)."""
_VIGNETTE_RE = re.compile(
    r"\d+[ \t]*(?:세|개월|일|주)[ \t]*(?:의|된|인)?[ \t]*"
    r"(?:남자|여자|남성|여성|남아|여아|환자|신생아|소년|소녀|임신부|산모|환아)"
    r"|\([ \t]*\d+[ \t]*세[ \t]*[,/]?[ \t]*[남여]"  # 환자(45세, 남)
)


@dataclass(frozen=True)
class ItemFeatures:
    """What a template needs to know about one item; each field drives one notice line."""

    negative: str | None
    """The negative ask as the stem writes it ("옳지 않은 것", "해당하지 않는 것", "NOT"), or None."""
    negative_josa: str
    """The object particle that follows ``negative``: 을 or 를; "" when ``negative`` is not Korean ("NOT")."""
    combination: bool
    """A ㄱㄴㄷ combination item: the answer is the number of the choice that lists the right set."""
    law: bool
    """Answer under the law in force on the exam date: a law subject, or a stem that cites a statute."""
    calculation: bool
    """A calculation item in a calculation subject: numeric choices or a stem that asks for an amount."""
    units: str | None
    """The unit every numeric choice shares ("원", "%", "₩"), or None when they share none."""
    rounding: str | None
    """The stem's rounding rule ("소수점 첫째 자리에서 반올림"), or None when it states none."""
    extended_matching: bool
    """More than :data:`STANDARD_CHOICES` choices: an extended-matching (R형) item."""
    vignette: bool
    """A clinical vignette: the stem presents a patient ("55세 남자가 …")."""
    science: bool = False
    """An item of a science subject (변리사 자연과학개론): physics, chemistry, biology, earth science."""
    hanja: str | None = None
    """The first term the stem or a choice writes in Chinese characters (한자, e.g. 補中益氣湯), or None."""


def object_josa(word: str) -> str:
    """을 after a final consonant, 를 after a vowel, "" when the last character is not Korean."""
    last = word.rstrip()[-1:] or " "
    if not "가" <= last <= "힣":
        return ""
    return "을" if (ord(last) - 0xAC00) % 28 else "를"


def negative_ask(stem: str) -> str | None:
    """The negative ask of a stem ("옳지 않은 것", "할 수 없는 자", "NOT"), or None for a positive ask."""
    found = _NEGATIVE_RE.search(stem)
    if found:
        return re.sub(r"[ \t]+", " ", found.group("phrase").strip())
    english = _NEGATIVE_EN_RE.search(stem)
    return english.group(0) if english else None


def is_combination(stem: str, choices: Collection[str]) -> bool:
    """A ㄱㄴㄷ combination item: the stem asks for the items "모두 고른 것", or every choice is a set of them."""
    if _COMBINATION_STEM_RE.search(stem):
        return True
    texts = [c.strip().rstrip(".") for c in choices]
    return len(texts) >= 2 and all(t and _ITEM_SET_RE.fullmatch(t) for t in texts)


def shared_unit(choices: Collection[str]) -> str | None:
    """The unit all choices share when every choice is a quantity ("1,200원", "₩500", "12.5%"), else None."""
    units: set[str] = set()
    for text in choices:
        m = _QUANTITY_RE.match(text)
        if m is None:
            return None
        units.add((m.group("pre") or "") + (m.group("unit") or ""))
    if len(units) != 1:
        return None
    unit = units.pop()
    return unit or None


def rounding_rule(stem: str) -> str | None:
    """The clause of the stem that states how to round ("소수점 첫째 자리에서 반올림"), or None."""
    m = _ROUNDING_RE.search(stem)
    if m is None:
        return None
    clause = re.sub(r"\s+", " ", m.group(0)).strip(" ,:;")
    return clause or None


def item_features(question: Question, subject_kinds: Collection[str] = ()) -> ItemFeatures:
    """Read ``question`` for the notices its prompt needs; ``subject_kinds`` come from ``subjects.json``."""
    stem = question.stem
    negative = negative_ask(stem)
    all_quantities = all(_QUANTITY_RE.match(c) for c in question.choices)
    calculation = "calculation" in subject_kinds and (all_quantities or bool(_CALC_CUE_RE.search(stem)))
    return ItemFeatures(
        negative=negative,
        negative_josa=object_josa(negative) if negative else "",
        combination=is_combination(stem, question.choices),
        law="law" in subject_kinds or bool(_STATUTE_RE.search(stem)),
        calculation=calculation,
        units=shared_unit(question.choices) if calculation else None,
        rounding=rounding_rule(stem) if calculation else None,
        extended_matching=len(question.choices) > STANDARD_CHOICES,
        vignette=bool(_VIGNETTE_RE.search(stem)),
        science="science" in subject_kinds,
        hanja=hanja_term(stem, question.choices),
    )


def hanja_term(stem: str, choices: Collection[str] = ()) -> str | None:
    """The first run of two or more Chinese characters in the stem, else in a choice; None when there is none."""
    for text in (stem, *choices):
        found = _HANJA_RE.search(text)
        if found:
            return found.group(0)
    return None
