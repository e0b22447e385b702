"""Protocols: the paper's prompt to the byte, its regex reading against examqa's, sampling defaults.

The questions and completions are written for these tests (no exam text is copied).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from examqa.errors import InputError
from examqa.exams.models import Question
from examqa.exams.plugins import get_exam
from examqa.prompts import protocols
from examqa.prompts.protocols import PROTOCOLS, get_protocol, read_kmmlu_pro
from examqa.reading.parse import parse_response

KMMLU = get_protocol("kmmlu-pro")
EXAMQA = get_protocol("examqa")

FOUR = Question(id="K1", subject="보험업법", stem="「가나법」상 등록 기간으로 옳은 것은?",
                choices=("1년", "2년", "3년", "5년"), accepted=frozenset({3}), year=2024)
FIVE = Question(id="K2", subject="회계학", stem="재고자산 원가에 포함되는 것은?\n(단, 다른 조건은 없다)",
                choices=("매입운임", "판매수수료", "광고비", "보관비", "이자비용"), accepted=frozenset({1}))


def _render(exam: str, question: Question, protocol: str = "kmmlu-pro",
            thinking: bool = True) -> tuple[dict[str, str], ...]:
    entry = get_exam(exam)
    proto = get_protocol(protocol)
    prompt_set = proto.prompts(entry.domain.prompts, None, entry.domain.name)
    return prompt_set.render(entry.blueprint, proto.relabel(question), thinking=thinking)


# ------------------------------------------------------------------------------------ the paper's prompt

GOLDEN_FOUR = (
    '다음 문제에 대해 정답을 고르세요. 당신의 최종 정답은 ABCD 중 하나이고, "정답:" 뒤에 와야 합니다. '
    "정답을 고르기 전에 차근차근 생각하고 추론하세요.\n"
    "\n"
    "「가나법」상 등록 기간으로 옳은 것은?\n"
    "\n"
    "A) 1년\n"
    "B) 2년\n"
    "C) 3년\n"
    "D) 5년"
)
GOLDEN_FIVE = (
    '다음 문제에 대해 정답을 고르세요. 당신의 최종 정답은 ABCD 중 하나이고, "정답:" 뒤에 와야 합니다. '
    "정답을 고르기 전에 차근차근 생각하고 추론하세요.\n"
    "\n"
    "재고자산 원가에 포함되는 것은?\n"
    "(단, 다른 조건은 없다)\n"
    "\n"
    "A) 매입운임\n"
    "B) 판매수수료\n"
    "C) 광고비\n"
    "D) 보관비\n"
    "E) 이자비용"
)


@pytest.mark.parametrize("thinking", [True, False])
def test_kmmlu_pro_prompt_is_the_papers_to_the_byte(thinking: bool) -> None:
    # One user turn, no system turn, the same text in both modes; "ABCD" even for five options.
    assert _render("loss-adjuster", FOUR, thinking=thinking) == ({"role": "user", "content": GOLDEN_FOUR},)
    assert _render("customs-broker", FIVE, thinking=thinking) == ({"role": "user", "content": GOLDEN_FIVE},)


def test_render_item_gives_the_same_messages_as_the_engine_path() -> None:
    from examqa.prompts.protocols import render_item

    assert render_item("loss-adjuster", FOUR, protocol="kmmlu-pro") == ({"role": "user", "content": GOLDEN_FOUR},)
    assert render_item("loss-adjuster", FOUR) == _render("loss-adjuster", FOUR, protocol="examqa")


def test_kmmlu_pro_is_the_same_for_every_exam() -> None:
    # The paper's prompt knows no domain: the same item renders the same under any exam.
    item = FOUR.model_copy(update={"subject": "__any__"})
    from examqa.exams.plugins import registry

    texts = {_render(exam, item)[0]["content"] for exam in registry()}
    assert texts == {GOLDEN_FOUR}


def test_kmmlu_pro_templates_have_their_own_hash_and_an_override_wins(tmp_path: Path) -> None:
    entry = get_exam("loss-adjuster")
    paper = KMMLU.prompts(entry.domain.prompts, None, entry.domain.name)
    own = EXAMQA.prompts(entry.domain.prompts, None, entry.domain.name)
    assert paper.sha256 != own.sha256
    (tmp_path / "system.j2").write_text("", encoding="utf-8")
    (tmp_path / "user.j2").write_text("{{ question.stem }}\n{% for c in choices %}{{ c.label }}) {{ c.text }}\n"
                                      "{% endfor %}", encoding="utf-8")
    mine = KMMLU.prompts(entry.domain.prompts, tmp_path, entry.domain.name)
    assert mine.folder == tmp_path
    text = mine.render(entry.blueprint, KMMLU.relabel(FOUR))[0]["content"]
    assert text == "「가나법」상 등록 기간으로 옳은 것은?\nA) 1년\nB) 2년\nC) 3년\nD) 5년"


# ------------------------------------------------------------------------------------ protocol object


def test_unknown_protocol_lists_the_known_ones() -> None:
    with pytest.raises(InputError, match=r"unknown protocol 'kmmlu'; known protocols: examqa, kmmlu-pro"):
        get_protocol("kmmlu")


@pytest.mark.parametrize(
    ("name", "thinking", "expected"),
    [
        ("examqa", True, {"temperature": 0.6, "top_p": 0.95}),  # EXAONE model card
        ("examqa", False, {"temperature": 0.0, "top_p": 0.95}),  # the CLI's greedy default, manifest unchanged
        ("kmmlu-pro", True, {"temperature": 0.6, "top_p": 0.95}),  # the paper, reasoning models
        ("kmmlu-pro", False, {"temperature": 0.0, "top_p": 1.0}),  # the paper: greedy
    ],
)
def test_sampling_defaults(name: str, thinking: bool, expected: dict[str, float]) -> None:
    defaults = get_protocol(name).sampling_defaults(thinking)
    assert defaults == expected
    defaults["temperature"] = 9.0  # a copy: the caller may change it
    assert get_protocol(name).sampling_defaults(thinking) == expected


def test_relabel() -> None:
    assert KMMLU.relabel(FOUR).label_style == "letter" and FOUR.label_style == "number"
    assert EXAMQA.relabel(FOUR) is FOUR
    lettered = FOUR.model_copy(update={"label_style": "letter"})
    assert KMMLU.relabel(lettered) is lettered


def test_readers() -> None:
    assert list(KMMLU.readers) == ["kmmlu-pro"]
    assert KMMLU.read("…</think>\n\n정답: B", 4) == {"kmmlu-pro": 2}
    assert EXAMQA.read("…</think>\n\n정답: B", 4) == {}
    assert set(PROTOCOLS) == {"examqa", "kmmlu-pro"}


# ------------------------------------------------------------------------------------ the two readings

CHOICES = ("17세", "18세", "19세", "20세", "21세")

# (why, reasoning mode, the whole completion, examqa's reading, the paper's reading)
READINGS = [
    # --- they agree
    ("a closed trace and a 정답: line", True, "나이를 따져 본다.</think>\n\n정답: C", 3, 3),
    ("English marker, non-reasoning", False, "Checking each option.\nAnswer: C", 3, 3),
    ("markdown bold around the statement", True, "…</think>\n\n**정답: C**", 3, 3),
    ("full-width colon: the paper's fallback reads it", True, "…</think>\n\n정답：C", 3, 3),
    ("no answer at all", False, "잘 모르겠습니다.", None, None),
    ("a statement then an explanation that names other letters", True,
     "…</think>\n\n정답: B\n\n해설: A는 민법상 기준이 아니다.", 2, 2),
    # --- they differ
    ("trace cut off before </think>: examqa has no answer, the paper reads the trace", True,
     "A는 아니다. 정답: B일까? 다시 보면", None, 2),
    ("the trace states a first guess: the paper's first match reads it", True,
     "처음에는 정답: A라고 보았으나 틀렸다.</think>\n\n정답: C", 3, 1),
    ("a circled number: the paper reads letters only", True, "…</think>\n\n정답: ③", 3, None),
    ("a bare number", True, "…</think>\n\n정답: 3", 3, None),
    ("the choice's text instead of its label", True, "…</think>\n\n정답은 19세입니다.", 3, None),
    ("\\boxed{C}: no 정답 marker, no 'C)'", True, "…</think>\n\n\\boxed{C}", 3, None),
    ("a capital letter inside a word after 정답:", True, "…</think>\n\n최종 정답: ② (DNA 검사 기준)", 2, 4),
    ("an option restated as 'B)' in the trace; the answer is circled", True,
     "B) 18세는 아니다.</think>\n\n정답: ③", 3, 2),
    ("(?i) lets [^A-E] stop at the 'e' of 'the'", False, "Answer: the answer is C", 3, 5),
]


@pytest.mark.parametrize(("why", "thinking", "completion", "ours", "paper"), READINGS, ids=[r[0] for r in READINGS])
def test_examqa_and_paper_readings(why: str, thinking: bool, completion: str, ours: int | None,
                                   paper: int | None) -> None:
    # examqa reads the answer part with the letter labels the kmmlu-pro prompt printed; the paper's
    # extractor reads the whole completion.
    assert parse_response(completion, CHOICES, reasoning=thinking, label_style="letter").choice == ours
    assert read_kmmlu_pro(completion, len(CHOICES)) == paper


def test_paper_patterns_are_tried_in_order() -> None:
    # The strict 정답: pattern wins over an earlier "Answer:" and over an earlier "B)".
    assert read_kmmlu_pro("B) 후보. Answer: A. 그래서 정답: C", 5) == 3
    # The Answer pattern needs ": " with a space; without it only the fallback "X)" can read anything.
    assert read_kmmlu_pro("Answer:C", 5) is None
    assert read_kmmlu_pro("Answer:C D) no", 5) == 4
    # The fallback's second alternative on its own.
    assert read_kmmlu_pro("고른 것은 B) 입니다", 5) == 2


def test_paper_letter_past_the_choices_reads_none() -> None:
    assert read_kmmlu_pro("정답: E", 4) is None
    assert read_kmmlu_pro("정답: E", 5) == 5


def test_match_choice_is_one_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "처음에는 정답: A라고 보았으나 틀렸다.</think>\n\n정답: C"
    assert read_kmmlu_pro(text, 5) == 1
    monkeypatch.setattr(protocols, "KMMLU_PRO_MATCH", "last")
    assert read_kmmlu_pro(text, 5) == 3
