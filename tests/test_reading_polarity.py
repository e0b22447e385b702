"""A rejected choice is never read as the answer, and what the question asks decides what "옳지 않다" says.

``parse_response`` is told the question (``question=`` or ``negative=``): "④는 옳지 않다" answers "옳지 않은
것은?" and rules ④ out on "옳은 것은?". A choice ruled out ("①번은 확실히 아니다", "option (3) seems
unlikely"), doubted ("③일 수도 있다") or only said to be wrong on a positive question is no answer, and a
model that declines to answer ("정답을 고를 수 없습니다") has not answered by mentioning a choice. Tables in
both polarities, Korean and English, and a property over the evaluation set: adding a sentence that rules
out another label never changes a reading.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from examqa.exams.models import Question
from examqa.reading.parse import asks_negative, parse_response

LAW = ("보험료 감액 청구", "계약 해지의 통지", "보험금 청구권의 소멸", "고지의무 위반의 효과", "위험 변경의 통지")
DRUGS = ("아목시실린", "세프트리악손", "반코마이신", "아지스로마이신", "독시사이클린")
FOB = ("The seller must clear the goods for export.", "The buyer bears the risk once the goods are on board.",
       "The seller must obtain cargo insurance for the buyer.", "The seller must deliver the goods on board.")
STATEMENTS = ("보험계약자는 언제든지 계약을 해지할 수 있다.", "보험증권은 지체 없이 교부하여야 한다.",
              "피보험자가 아니다.", "보험금청구권은 3년간 행사하지 아니하면 소멸한다.")
REASONING = "①은 맞다. ②는 틀렸다. 정답은 ③일까? \\boxed{3}인지 다시 보자. ④는 옳지 않다."

POSITIVE_STEM = "보험계약법에 관한 설명으로 옳은 것은?"
NEGATIVE_STEM = "보험계약법에 관한 설명으로 옳지 않은 것은?"
ENGLISH_POSITIVE = "Which of the following is an obligation of the seller under FOB?"
ENGLISH_NEGATIVE = "Which of the following is NOT an obligation of the seller under FOB?"


def question(stem: str, choices: tuple[str, ...] = LAW, style: str = "number") -> Question:
    return Question(id="Q1", subject="보험계약법", stem=stem, choices=choices, accepted=frozenset({1}),
                    label_style=style)  # type: ignore[arg-type]


def read(answer: str, q: Question | None, choices: tuple[str, ...] = LAW, **kwargs: Any) -> int | None:
    style = q.label_style if q is not None else kwargs.pop("label_style", "number")
    return parse_response(f"{REASONING}</think>\n\n{answer}", choices, label_style=style, question=q,
                          **kwargs).choice


# ------------------------------------------------------------------------------------------ the issue's cases

ISSUE_COMPLETIONS = ["①번은 확실히 아니다.", "정답을 고를 수 없습니다. 다만 ④는 명백히 틀렸습니다.",
                     "I cannot determine; option (3) seems unlikely."]


@pytest.mark.parametrize("answer", ISSUE_COMPLETIONS)
def test_a_rejected_or_declined_choice_is_no_answer_on_a_positive_item(answer: str) -> None:
    q = question(POSITIVE_STEM)
    parsed = parse_response(f"{REASONING}</think>\n\n{answer}", LAW, question=q)
    assert (parsed.choice, parsed.method) == (None, "no_answer"), parsed


@pytest.mark.parametrize("answer", ISSUE_COMPLETIONS)
def test_the_issue_completions_are_no_answer_whatever_the_question_asks(answer: str) -> None:
    for negative in (None, True):
        assert parse_response(f"생각</think>{answer}", LAW, negative=negative).choice is None


def test_a_wrong_statement_is_the_answer_to_a_negative_item() -> None:
    q = question(NEGATIVE_STEM)
    assert asks_negative(q)
    parsed = parse_response(f"{REASONING}</think>\n\n④는 옳지 않다.", LAW, question=q)
    assert parsed.choice == 4, parsed


def test_negative_overrides_the_question_and_both_are_keywords() -> None:
    q = question(NEGATIVE_STEM)
    assert read("④는 옳지 않다.", q, negative=False) is None
    assert read("④는 옳지 않다.", question(POSITIVE_STEM), negative=True) == 4
    with pytest.raises(TypeError):
        parse_response("④", LAW, True, "number", q)  # type: ignore[misc]


# ------------------------------------------------------------------------------------------ tables

POSITIVE = question(POSITIVE_STEM)
NEGATIVE = question(NEGATIVE_STEM)

KOREAN_CASES: list[tuple[str, Question, int | None]] = [
    # a choice ruled out whatever the question asks
    ("①번은 확실히 아니다.", POSITIVE, None),
    ("①번은 확실히 아니다.", NEGATIVE, None),
    ("③은 정답이 아니다.", POSITIVE, None),
    ("정답은 ③이 아니다.", NEGATIVE, None),
    ("정답: ③이 아니다", POSITIVE, None),
    ("③은 배제된다.", POSITIVE, None),
    ("③은 가능성이 매우 낮다.", NEGATIVE, None),
    ("③은 오답입니다.", POSITIVE, None),
    ("③번은 답이 될 수 없습니다.", NEGATIVE, None),
    ("③일 수도 있다.", POSITIVE, None),
    ("③인지 확실하지 않다.", NEGATIVE, None),
    ("③이 가장 유력하지만 ④일 가능성도 있습니다.", POSITIVE, None),
    ("③이 아니라 ④가 답이다.", POSITIVE, 4),
    ("③이 아니라 ④", NEGATIVE, 4),
    ("정답: ③\n\n①은 아니다. ②도 아니다.", POSITIVE, 3),
    ("①은 아니다.\n정답: ③", NEGATIVE, 3),
    # right or wrong: the question decides
    ("④는 옳지 않다.", POSITIVE, None),
    ("④는 옳지 않다.", NEGATIVE, 4),
    ("④는 명백히 틀렸습니다.", POSITIVE, None),
    ("④는 명백히 틀렸습니다.", NEGATIVE, 4),
    ("②가 옳다.", POSITIVE, 2),
    ("②가 옳다.", NEGATIVE, None),
    ("①은 옳지 않다. ②는 옳다.", POSITIVE, 2),
    ("①은 옳다. ④는 옳지 않다.", NEGATIVE, 4),
    ("①은 옳다. ②는 옳다. ③은 옳다. ⑤는 옳다.", NEGATIVE, None),  # no answer by elimination
    ("①은 옳지 않다. ②는 옳지 않다.", POSITIVE, None),
    ("③은 보험금 청구권의 소멸시효가 3년이므로 옳지 않다.", POSITIVE, None),
    ("③은 보험금 청구권의 소멸시효가 3년이므로 옳지 않다.", NEGATIVE, 3),
    ("옳지 않은 것은 ①이다.", POSITIVE, None),
    ("옳지 않은 것은 ①이다.", NEGATIVE, 1),
    ("옳은 것은 ①, ②, ③, ⑤이고 옳지 않은 것은 ④이다.", NEGATIVE, 4),
    ("옳은 것은 ②이다.", NEGATIVE, None),
    ("옳은 것은 ②이다.", POSITIVE, 2),
    ("④가 증상이 아니다.", POSITIVE, None),
    ("④는 해당하지 않는다.", NEGATIVE, 4),
    # declining to answer
    ("정답을 고를 수 없습니다. 다만 ④는 명백히 틀렸습니다.", NEGATIVE, None),
    ("정답을 고르기 어렵다. ③이 언급되지만 확실하지 않다.", POSITIVE, None),
    ("판단할 수 없습니다. ③번 보험금 청구권의 소멸에 대해서는 더 검토해야 합니다.", POSITIVE, None),
    ("정답을 확정할 수 없으나 ③이 가장 가능성이 높다.", POSITIVE, 3),  # declines certainty, not the answer
    ("정답을 고를 수 없습니다.\n정답: ③", POSITIVE, 3),  # a marked answer stands
]


@pytest.mark.parametrize(("answer", "q", "expected"), KOREAN_CASES,
                         ids=[f"{'neg' if asks_negative(q) else 'pos'}-{a[:24]}" for a, q, _ in KOREAN_CASES])
def test_korean_statements_about_choices(answer: str, q: Question, expected: int | None) -> None:
    assert read(answer, q) == expected


FOB_POSITIVE = question(ENGLISH_POSITIVE, FOB, "letter")
FOB_NEGATIVE = question(ENGLISH_NEGATIVE, FOB, "letter")
ENGLISH_CASES: list[tuple[str, Question, int | None]] = [
    ("(B) is not the answer.", FOB_POSITIVE, None),
    ("(B) is not the answer.", FOB_NEGATIVE, None),
    ("The answer is not (B).", FOB_NEGATIVE, None),
    ("It is not C.", FOB_POSITIVE, None),
    ("Option C can be ruled out.", FOB_NEGATIVE, None),
    ("C seems unlikely.", FOB_POSITIVE, None),
    ("A might be correct.", FOB_POSITIVE, None),
    ("Option (C) is incorrect.", FOB_POSITIVE, None),
    ("Option (C) is incorrect.", FOB_NEGATIVE, 3),
    ("(C) is correct.", FOB_POSITIVE, 3),
    ("(C) is correct.", FOB_NEGATIVE, None),
    ("(B) can be ruled out. The answer is (D).", FOB_POSITIVE, 4),
    ("I cannot determine which statement is meant; (C) seems unlikely.", FOB_NEGATIVE, None),
    ("I don't know. Maybe (C).", FOB_POSITIVE, None),
    ("I cannot be certain, but the answer is C.", FOB_POSITIVE, 3),
    ("The incorrect statement is C.", FOB_NEGATIVE, 3),
    ("The incorrect statement is C.", FOB_POSITIVE, None),
    ("The correct answer is C.", FOB_NEGATIVE, 3),  # the answer, whatever the question asks
]


@pytest.mark.parametrize(("answer", "q", "expected"), ENGLISH_CASES,
                         ids=[f"{'neg' if asks_negative(q) else 'pos'}-{a[:24]}" for a, q, _ in ENGLISH_CASES])
def test_english_statements_about_choices(answer: str, q: Question, expected: int | None) -> None:
    assert read(answer, q, FOB) == expected


def test_english_numbers_item() -> None:
    q = question(POSITIVE_STEM)
    assert read("I cannot determine; option (3) seems unlikely.", q) is None
    assert read("Option (3) is not the answer. Option (2) is correct.", q) == 2


def test_a_choice_named_by_its_text_and_ruled_out() -> None:
    q = question("이 환자에게 가장 적절한 치료 약물은?", DRUGS)
    assert read("아목시실린은 아니다.", q, DRUGS) is None
    assert read("아목시실린은 아니다. 세프트리악손을 투여한다.", q, DRUGS) == 2


def test_a_choice_whose_own_text_denies_is_still_read() -> None:
    # ③'s text is itself a denial: said back, with or without its label, it is the answer, not a rejection.
    for stem in (POSITIVE_STEM, NEGATIVE_STEM):
        q = question(stem, STATEMENTS)
        assert read("③ 피보험자가 아니다.", q, STATEMENTS) == 3
        assert read("피보험자가 아니다.", q, STATEMENTS) == 3


def test_unknown_polarity_keeps_the_earlier_reading_of_right_and_wrong() -> None:
    # Without the question, "옳지 않다" cannot be weighed: read as before (the choice it is said of).
    assert read("④는 옳지 않다.", None) == 4
    assert read("②가 옳다.", None) == 2
    # … but what rules a choice out whatever is asked never reads as that choice.
    assert read("①번은 확실히 아니다.", None) is None
    assert read("정답: ③이 아니다", None) is None


def test_the_engine_way_equals_the_negative_keyword() -> None:
    for stem, negative in ((POSITIVE_STEM, False), (NEGATIVE_STEM, True), (ENGLISH_NEGATIVE, True)):
        q = question(stem)
        for answer, _, _ in KOREAN_CASES:
            assert read(answer, q) == read(answer, None, negative=negative)


# ------------------------------------------------------------------------------------------ property

EVAL_SET = Path(__file__).resolve().parent / "data" / "parsing" / "completions.json"
_DOC = json.loads(EVAL_SET.read_text(encoding="utf-8"))
CASES = [c for c in _DOC["cases"] if c["mode"] != "truncated" and c.get("answer", "").strip()]
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"
_END_TOKENS = ("[|endofturn|]", "<|im_end|>", "<|endoftext|>")

# Sentences that rule a label out whatever the question asks ({L}: the label as written).
NEUTRAL = ["{L}는 아니다.", "{L}은 확실히 아니다.", "{L}은 정답이 아니다.", "정답은 {L}이 아니다.", "{L}은 배제된다.",
           "다만 {L}는 답이 될 수 없다.", "{L}은 가능성이 낮다.", "{L} is not the answer.", "{L} can be ruled out.",
           "However, {L} seems unlikely.", "The answer is not {L}."]
# … and those that do so only under one polarity: False = a positive question, True = a negative one.
POLAR = {False: ["{L}는 옳지 않다.", "다만 {L}는 명백히 틀렸습니다.", "{L} is incorrect."],
         True: ["{L}는 옳다.", "그리고 {L}은 맞는 설명이다.", "{L} is correct."]}


def _label(k: int, style: str, form: int) -> str:
    if style == "letter":
        letter = chr(ord("A") + k - 1)
        return [f"({letter})", letter, f"option {letter}", f"({letter})"][form % 4]
    return [CIRCLED[k - 1], f"{k}번", f"({k})", f"제{k}번", f"option ({k})", f"보기 {k}번"][form % 6]


def _completion(case: dict[str, Any], answer: str) -> tuple[str, bool]:
    if case["mode"] == "plain":
        return answer, False
    return _DOC["reasonings"][case["reasoning"]] + "</think>\n\n" + answer, True


def _insert(answer: str, sentence: str, where: int) -> str:
    """``sentence`` added at the start, the end, or after one of the answer's line breaks."""
    breaks = [i + 1 for i, ch in enumerate(answer) if ch == "\n"]
    spots = ["start", "end", *breaks]
    spot = spots[where % len(spots)]
    if spot == "start":
        return f"{sentence}\n{answer}"
    if spot == "end":
        body = answer.rstrip()
        tail = next((t for t in _END_TOKENS if body.endswith(t)), "")
        body = body[: len(body) - len(tail)]
        return f"{body}\n{sentence}{tail}"
    return f"{answer[:spot]}{sentence}\n{answer[spot:]}"


@given(case=st.sampled_from(CASES), polarity=st.sampled_from([None, False, True, "item"]),
       pick=st.integers(0, 10_000), form=st.integers(0, 100), phrase=st.integers(0, 100),
       where=st.integers(0, 10_000))
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(case=next(c for c in CASES if c["id"] == "contract5-01"), polarity="item", pick=1, form=0, phrase=0,
         where=0)
def test_adding_a_negated_mention_of_another_label_never_changes_the_reading(
        case: dict[str, Any], polarity: bool | str | None, pick: int, form: int, phrase: int, where: int) -> None:
    item = _DOC["items"][case["item"]]
    choices = tuple(item["choices"])
    style = item.get("label_style", "number")
    negative = asks_negative(question(item["stem"], choices, style)) if polarity == "item" else polarity
    assert negative is None or isinstance(negative, bool)
    text, reasoning = _completion(case, case["answer"])
    before = parse_response(text, choices, reasoning=reasoning, label_style=style, negative=negative)
    others = [k for k in range(1, len(choices) + 1) if k != before.choice]
    k = others[pick % len(others)]
    phrases = NEUTRAL + (POLAR[negative] if negative is not None else [])
    sentence = phrases[phrase % len(phrases)].format(L=_label(k, style, form))
    text, reasoning = _completion(case, _insert(case["answer"], sentence, where))
    after = parse_response(text, choices, reasoning=reasoning, label_style=style, negative=negative)
    assert (after.choice, after.method) == (before.choice, before.method), (sentence, after.answer_text)
