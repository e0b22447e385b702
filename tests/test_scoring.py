"""The verdict under the law: boundary tables per exam, item rules, partial banks, and invariants.

Papers here are synthetic: every item keys choice 1, and a sheet marks the first *k* items of a subject
with 1 (correct) and the rest with 2 (wrong), so a row of a table reads as "k correct in each subject".
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from examqa.errors import InputError
from examqa.exams.models import Blueprint, Marks, Question
from examqa.exams.plugins import registry
from examqa.exams.report import Report
from examqa.exams.scoring import score


def bp(exam_id: str) -> Blueprint:
    """A bundled blueprint."""
    return registry()[exam_id].blueprint


def paper(blueprint: Blueprint, counts: Mapping[str, int], *, year: int | None = None,
          points: Fraction | float | str | None = None, n_choices: int | None = None,
          keys: Mapping[str, frozenset[int]] | None = None) -> list[Question]:
    """``counts[subject]`` items per subject, each keyed 1 (or ``keys[id]``), choices from the blueprint."""
    ed = blueprint.edition(year=year)
    out = []
    for subject, n in counts.items():
        spec = ed.subject(subject)
        choices = n_choices or (spec.choices if spec and spec.choices else 5)
        for k in range(1, n + 1):
            qid = f"{subject}-{k}"
            out.append(Question(
                id=qid, subject=subject, number=k, year=year, stem=f"{subject} 문항 {k}",
                choices=tuple(f"보기 {c}" for c in range(1, choices + 1)),
                accepted=(keys or {}).get(qid, frozenset({1})),
                points=None if points is None else Fraction(str(points)),
            ))
    return out


def sheet(questions: Sequence[Question], correct: Mapping[str, int]) -> dict[str, Marks]:
    """Mark the first ``correct[subject]`` items of each subject right (1), the others wrong (2)."""
    seen: dict[str, int] = {}
    marks: dict[str, Marks] = {}
    for q in questions:
        seen[q.subject] = seen.get(q.subject, 0) + 1
        marks[q.id] = (1,) if seen[q.subject] <= correct.get(q.subject, 0) else (2,)
    return marks


def run(exam_id: str, counts: Mapping[str, int], correct: Mapping[str, int], **kw: object) -> Report:
    """Score a synthetic paper of ``counts`` with ``correct`` right answers per subject."""
    blueprint = bp(exam_id)
    qs = paper(blueprint, counts, **kw)  # type: ignore[arg-type]
    return score(blueprint, qs, sheet(qs, correct))


# ------------------------------------------------------------------------------------------ boundary tables

CUSTOMS = ("관세법개론", "무역영어", "내국소비세법", "회계학")


@pytest.mark.parametrize(("right", "passed", "reasons"), [
    ((24, 24, 24, 24), True, ()),                                 # 96 of 160: mean exactly 60 passes
    ((40, 40, 8, 8), False, ("내국소비세법 20점 < 40점 (과락)", "회계학 20점 < 40점 (과락)")),  # 96, two 과락
    ((24, 24, 24, 23), False, ("평균 59.38점 < 60점",)),           # 95 of 160: a mean is a percent, 2 places
    ((40, 40, 40, 16), True, ()),                                 # 16 correct = 40.0 points: the floor passes
    ((40, 40, 40, 15), False, ("회계학 37.5점 < 40점 (과락)",)),    # mean 84.4 does not save a 과락
    ((40, 40, 40, 14), False, ("회계학 35점 < 40점 (과락)",)),
    ((16, 16, 16, 16), False, ("평균 40.00점 < 60점",)),           # every floor met, mean too low
    ((0, 40, 40, 40), False, ("관세법개론 0점 < 40점 (과락)",)),
    ((15, 40, 40, 15), False, ("관세법개론 37.5점 < 40점 (과락)", "회계학 37.5점 < 40점 (과락)")),
])
def test_customs_boundaries(right: tuple[int, ...], passed: bool, reasons: tuple[str, ...]) -> None:
    report = run("customs-broker", dict.fromkeys(CUSTOMS, 40), dict(zip(CUSTOMS, right, strict=True)))
    assert (report.passed, report.reasons) == (passed, reasons)
    assert report.complete
    assert report.total.max_points == 400
    assert [s.max_points for s in report.subjects] == [100] * 4
    assert [s.points for s in report.subjects] == [Fraction(5, 2) * r for r in right]


def test_customs_reasons_in_english() -> None:
    right = dict(zip(CUSTOMS, (40, 40, 40, 14), strict=True))
    report = run("customs-broker", dict.fromkeys(CUSTOMS, 40), right)
    assert report.reasons_en == ("Accounting 35 < 40 points (below the 40% floor)",)


APPRAISER = ("민법(총칙·물권)", "경제학원론", "부동산학원론", "감정평가관계법규", "회계학")


@pytest.mark.parametrize(("right", "passed"), [
    ((24, 24, 24, 24, 24), True),    # 120 of 200
    ((24, 24, 24, 24, 23), False),   # 119
    ((40, 40, 40, 40, 16), True),
    ((40, 40, 40, 40, 15), False),
    ((16, 40, 40, 40, 40), True),
])
def test_appraiser_boundaries(right: tuple[int, ...], passed: bool) -> None:
    report = run("appraiser", dict.fromkeys(APPRAISER, 40), dict(zip(APPRAISER, right, strict=True)))
    assert report.passed is passed
    assert report.complete and report.total.max_points == 500


def test_appraiser_english_items_are_ignored_not_graded() -> None:
    blueprint = bp("appraiser")
    qs = paper(blueprint, {**dict.fromkeys(APPRAISER, 40), "영어": 3})
    report = score(blueprint, qs, sheet(qs, dict.fromkeys(APPRAISER, 24)))  # English all wrong
    assert report.passed and report.complete
    assert [s.name for s in report.subjects] == list(APPRAISER)
    assert any(n.startswith("영어: 3 item(s) ignored") for n in report.notes)
    assert not any(i.subject == "영어" for i in report.items)


LOSS = ("보험업법", "보험계약법", "손해사정이론")


@pytest.mark.parametrize(("right", "passed", "reasons"), [
    ((24, 24, 24), True, ()),                      # 72 of 120
    ((24, 24, 23), False, ("평균 59.17점 < 60점",)),  # 71: the mean 59.1666… is shown rounded
    ((16, 40, 40), True, ()),
    ((15, 40, 40), False, ("보험업법 37.5점 < 40점 (과락)",)),
])
def test_loss_adjuster_boundaries(right: tuple[int, ...], passed: bool, reasons: tuple[str, ...]) -> None:
    report = run("loss-adjuster", dict.fromkeys(LOSS, 40), dict(zip(LOSS, right, strict=True)))
    assert (report.passed, report.reasons) == (passed, reasons)
    assert {len(i.accepted) for i in report.items} == {1}
    assert report.complete and report.total.max_points == 300


def test_loss_adjuster_items_have_four_choices_and_aliases_score_as_the_subject() -> None:
    blueprint = bp("loss-adjuster")
    qs = paper(blueprint, {"보험업법": 40, "보험계약법(상법 보험편)": 40, "손해사정이론": 40})
    assert {len(q.choices) for q in qs} == {4}
    right = {"보험업법": 24, "보험계약법(상법 보험편)": 24, "손해사정이론": 24}
    report = score(blueprint, qs, sheet(qs, right))
    assert [s.name for s in report.subjects] == list(LOSS)
    assert report.passed and report.complete


HERBAL = {"한약학 기초": 110, "보건의약관계법규": 30, "한약학 응용": 110}


@pytest.mark.parametrize(("right", "passed", "reasons"), [
    ((66, 18, 66), True, ()),                                     # 150 of 250
    ((66, 18, 65), False, ("총점 149점 < 150점 (60% 미달)",)),
    ((110, 12, 110), True, ()),                                   # 법규 12 of 30 = 40 %
    ((110, 11, 110), False, ("보건의약관계법규 11점 < 12점 (과락)",)),
    ((44, 30, 110), True, ()),                                    # 기초 44 of 110 = 40 %, total 184
    ((43, 30, 110), False, ("한약학 기초 43점 < 44점 (과락)",)),
])
def test_herbal_pharmacist_boundaries(right: tuple[int, ...], passed: bool, reasons: tuple[str, ...]) -> None:
    report = run("herbal-pharmacist", HERBAL, dict(zip(HERBAL, right, strict=True)))
    assert (report.passed, report.reasons) == (passed, reasons)
    assert report.complete and report.total.max_points == 250


PHYSICIAN_2019 = {"의학총론": 60, "의학각론": 280, "보건의약관계법규": 20}


@pytest.mark.parametrize(("right", "passed", "reasons"), [
    ((60, 146, 10), True, ()),                                    # 216 of 360 = 60 %
    ((60, 145, 10), False, ("총점 215점 < 216점 (60% 미달)",)),
    ((60, 280, 8), True, ()),                                     # 법규 8 of 20 = 40 %
    ((60, 280, 7), False, ("보건의약관계법규 7점 < 8점 (과락)",)),
    ((24, 280, 20), True, ()),
    ((23, 280, 20), False, ("의학총론 23점 < 24점 (과락)",)),
])
def test_physician_2019_boundaries(right: tuple[int, ...], passed: bool, reasons: tuple[str, ...]) -> None:
    report = run("physician", PHYSICIAN_2019, dict(zip(PHYSICIAN_2019, right, strict=True)), year=2020)
    assert report.edition == "2019"
    assert (report.passed, report.reasons) == (passed, reasons)
    assert report.total.max_points == 360
    assert any("unverified" in n for n in report.notes)  # the 2019 split is from a secondary source


# 2005: 법규 items are worth 0.5. A synthetic paper of 20 + 50 one-point items and 25 half-point 법규 items
# has a maximum of 82.5 and a 60 % line of 49.5 — a half point, where float arithmetic slips.
PHYSICIAN_2005 = {"의학총론": 20, "의학각론": 50, "보건의약관계법규": 25}


@pytest.mark.parametrize(("right", "passed", "reasons"), [
    ((17, 20, 25), True, ()),                                     # 17 + 20 + 12.5 = 49.5: exactly 60 %
    ((17, 21, 23), True, ()),                                     # 17 + 21 + 11.5 = 49.5
    ((17, 20, 24), False, ("총점 49점 < 49.5점 (60% 미달)",)),
    ((20, 50, 10), True, ()),                                     # 법규 5 of 12.5 = 40 %
    ((20, 50, 9), False, ("보건의약관계법규 4.5점 < 5점 (과락)",)),
])
def test_physician_2005_half_point_items(right: tuple[int, ...], passed: bool,
                                         reasons: tuple[str, ...]) -> None:
    report = run("physician", PHYSICIAN_2005, dict(zip(PHYSICIAN_2005, right, strict=True)), year=2005)
    assert report.edition == "2005"
    assert (report.passed, report.reasons) == (passed, reasons)
    assert report.total.max_points == Fraction(165, 2)
    law = next(s for s in report.subjects if s.name == "보건의약관계법규")
    assert law.max_points == Fraction(25, 2) and law.floor_points == 5


@pytest.mark.parametrize(("points", "right", "passed"), [
    ("0.5", 60, True), ("0.5", 59, False),     # 100 items × 0.5: 30 of 50
    (2.5, 60, True), (2.5, 59, False),
    ("0.1", 60, True), ("0.1", 59, False),     # sixty 0.1s summed as floats give 5.999999999999995
])
def test_item_points_from_the_bank_at_the_60_percent_line(points: str | float, right: int,
                                                          passed: bool) -> None:
    blueprint = bp("physician")
    qs = paper(blueprint, {"의학각론": 100}, year=2024, points=points)
    report = score(blueprint, qs, sheet(qs, {"의학각론": right}))
    assert report.total.passed is passed
    assert report.total.max_points == 100 * Fraction(str(points))


DENTIST = ("치과보존학", "치과보철학", "구강악안면외과학", "소아치과학", "치과교정학", "영상치의학",
           "구강내과학",
           "구강병리학", "치주과학", "구강보건학", "치과재료학", "구강생물학", "보건의약관계법규")


def dentist(**right: int) -> Report:
    """A synthetic dentist paper, 10 one-point items per subject, 8 right unless ``right`` says otherwise."""
    correct = {s: right.get(s, 8) for s in DENTIST}
    return run("dentist", dict.fromkeys(DENTIST, 10), correct, year=2024, points=1)


@pytest.mark.parametrize(("right", "passed", "reasons"), [
    ({"소아치과학": 2}, True, ()),                                     # group 10 of 20
    ({"소아치과학": 3, "치과교정학": 5}, True, ()),                      # group 8 of 20 = 40 %
    ({"소아치과학": 2, "치과교정학": 5}, False, ("소아치과학·치과교정학 7점 < 8점 (과락, 합산)",)),
    ({"영상치의학": 0, "구강내과학": 6, "구강병리학": 6}, True, ()),      # 12 of 30
    ({"영상치의학": 0, "구강내과학": 5, "구강병리학": 6}, False,
     ("영상치의학·구강내과학·구강병리학 11점 < 12점 (과락, 합산)",)),
    ({"치주과학": 0, "구강보건학": 8}, True, ()),
    ({"치과재료학": 0, "구강생물학": 7}, False, ("치과재료학·구강생물학 7점 < 8점 (과락, 합산)",)),
    ({"치과보존학": 4}, True, ()),                                      # standalone at 40 %
    ({"치과보존학": 3}, False, ("치과보존학 3점 < 4점 (과락)",)),        # standalone: no group to carry it
    ({"보건의약관계법규": 3}, False, ("보건의약관계법규 3점 < 4점 (과락)",)),
])
def test_dentist_merged_floor_groups(right: dict[str, int], passed: bool, reasons: tuple[str, ...]) -> None:
    report = dentist(**right)
    assert report.edition == "2023"
    assert (report.passed, report.reasons) == (passed, reasons)
    by_name = {s.name: s for s in report.subjects}
    assert by_name["소아치과학"].group == "소아치과학·치과교정학"
    assert by_name["치과보존학"].group is None
    assert len(report.groups) == 4


def test_dentist_low_subject_in_a_passing_group_is_marked_passed() -> None:
    report = dentist(소아치과학=0)
    low = next(s for s in report.subjects if s.name == "소아치과학")
    assert (low.points, low.percent, low.passed) == (0, 0.0, True)
    assert report.passed


# ------------------------------------------------------------------------------------------ item rules


@pytest.mark.parametrize(("accepted", "marks", "blank_scores", "status"), [
    ({2}, (2,), False, "correct"),
    ({2}, (3,), False, "wrong"),
    ({2}, (), False, "blank"),
    ({2}, (), True, "blank"),                # a blank scores only on a 전항정답 item
    ({2}, (2, 2), False, "correct"),         # the same choice twice is one mark
    ({2, 4}, (4,), False, "correct"),        # 복수정답
    ({2, 4}, (2,), False, "correct"),
    ({2, 4}, (3,), False, "wrong"),
    ({2, 4}, (2, 4), False, "multiple"),     # a double mark scores nothing, even on accepted choices
    ({1, 2, 3, 4}, (3,), False, "correct"),  # 전항정답
    ({1, 2, 3, 4}, (), False, "blank"),
    ({1, 2, 3, 4}, (), True, "correct"),
    ({1, 2, 3, 4}, (1, 2), True, "multiple"),
])
def test_item_rules(accepted: set[int], marks: Marks, blank_scores: bool, status: str) -> None:
    blueprint = bp("loss-adjuster").model_copy(update={"blank_scores_on_all_accepted": blank_scores})
    q = Question(id="q", subject="보험업법", stem="문항", choices=("1", "2", "3", "4"),
                 accepted=frozenset(accepted))
    item = score(blueprint, [q], {"q": marks}).items[0]
    assert item.status == status
    assert item.awarded == (Fraction(5, 2) if status == "correct" else 0)
    assert item.points == Fraction(5, 2)


def test_blank_on_all_accepted_item_follows_the_exam_setting() -> None:
    keys = {"보험업법-1": frozenset({1, 2, 3, 4})}
    blueprint = bp("loss-adjuster")
    qs = paper(blueprint, dict.fromkeys(LOSS, 40), keys=keys)
    marks = sheet(qs, {"보험업법": 17, "보험계약법": 40, "손해사정이론": 40})
    marks["보험업법-1"] = ()  # blank on the 전항정답 item: 16 right remain, or 17 when blanks score
    strict = score(blueprint, qs, marks)
    lenient = score(blueprint.model_copy(update={"blank_scores_on_all_accepted": True}), qs, marks)
    assert strict.subjects[0].points == 40 and strict.passed
    assert lenient.subjects[0].points == Fraction(85, 2)
    marks["보험업법-2"] = (3,)  # one more wrong: the default setting now fails the floor, the lenient one not
    assert score(blueprint, qs, marks).reasons == ("보험업법 37.5점 < 40점 (과락)",)
    assert score(blueprint.model_copy(update={"blank_scores_on_all_accepted": True}), qs, marks).passed


def test_absent_ids_are_blank() -> None:
    blueprint = bp("customs-broker")
    qs = paper(blueprint, dict.fromkeys(CUSTOMS, 40))
    report = score(blueprint, qs, {})
    assert {i.status for i in report.items} == {"blank"}
    assert report.total.points == 0 and not report.passed
    assert [s.answered for s in report.subjects] == [0] * 4


# ------------------------------------------------------------------------------ partial banks, errors


def test_partial_bank_is_scored_and_flagged() -> None:
    blueprint = bp("customs-broker")
    qs = paper(blueprint, {"관세법개론": 40, "무역영어": 20})
    report = score(blueprint, qs, sheet(qs, {"관세법개론": 30, "무역영어": 12}))
    assert not report.complete
    assert [s.name for s in report.subjects] == ["관세법개론", "무역영어"]
    assert any("내국소비세법, 회계학" in n and "부분 시험지" in n for n in report.notes)
    assert any("무역영어 has 20 of 40 items" in n for n in report.notes)
    assert report.passed  # 75 and 60 on what the bank holds
    assert report.total.max_points == 150


def test_sheet_ids_the_bank_lacks_are_an_input_error() -> None:
    blueprint = bp("customs-broker")
    qs = paper(blueprint, {"관세법개론": 2})
    with pytest.raises(InputError, match="ids the bank lacks: nope") as info:
        score(blueprint, qs, {"관세법개론-1": (1,), "nope": (2,)})
    assert info.value.hint


def test_subject_not_in_the_blueprint_is_an_input_error() -> None:
    blueprint = bp("customs-broker")
    q = Question(id="x", subject="세법개론", stem="문항", choices=("1", "2", "3", "4", "5"),
                 accepted=frozenset({1}))
    with pytest.raises(InputError, match="세법개론"):
        score(blueprint, [q], {})


def test_unknown_edition_is_an_input_error() -> None:
    blueprint = bp("physician")
    qs = paper(blueprint, {"의학총론": 2}, year=2024, points=1)
    with pytest.raises(InputError, match="no edition '2030'"):
        score(blueprint, qs, {}, edition="2030")


def test_edition_follows_the_bank_year_unless_named() -> None:
    blueprint = bp("physician")
    qs = paper(blueprint, {"의학총론": 2}, year=2020)
    assert score(blueprint, qs, {}).edition == "2019"
    assert score(blueprint, qs, {}, edition="2022").edition == "2022"


def test_edition_choice_does_not_depend_on_item_order() -> None:
    blueprint = bp("physician")
    qs = paper(blueprint, {"의학총론": 2}, year=2021) + paper(blueprint, {"의학각론": 2}, year=2022)
    report = score(blueprint, qs, {})
    assert report.edition == score(blueprint, list(reversed(qs)), {}).edition == "2022"
    assert any("mixes years" in n for n in report.notes)


def test_year_outside_every_edition_is_noted() -> None:
    blueprint = bp("physician")
    qs = paper(blueprint, {"의학총론": 1, "의학각론": 1, "보건의약관계법규": 1}, year=2010, points=1)
    assert any("outside every edition" in n for n in score(blueprint, qs, {}).notes)
    assert not any("outside" in n for n in score(blueprint, qs, {}, edition="2022").notes)


def test_bank_far_below_the_known_total_is_not_complete() -> None:
    blueprint = bp("physician")
    qs = paper(blueprint, {"의학총론": 1, "의학각론": 1, "보건의약관계법규": 1}, year=2024, points=1)
    assert not score(blueprint, qs, {}).complete


# ------------------------------------------------------------------------------------------ invariants

STATUS_MARKS: dict[str, Marks] = {"correct": (1,), "wrong": (2,), "blank": (), "double": (1, 2)}

# (exam id, year, per-subject item counts, item points): one subject_mean exam, one with merged groups,
# one total-points exam with unequal subjects, and the half-point physician 2005 paper.
PAPERS: list[tuple[str, int | None, dict[str, int], int | None]] = [
    ("customs-broker", None, dict.fromkeys(CUSTOMS, 40), None),
    ("dentist", 2024, dict.fromkeys(DENTIST, 4), 1),
    ("herbal-pharmacist", None, {"한약학 기초": 22, "보건의약관계법규": 6, "한약학 응용": 22}, None),
    ("physician", 2005, {"의학총론": 8, "의학각론": 20, "보건의약관계법규": 10}, None),
]
_PAPER_QS = {p[0]: paper(bp(p[0]), p[2], year=p[1], points=p[3]) for p in PAPERS}


@st.composite
def graded_sheets(draw: st.DrawFn) -> tuple[str, list[Question], dict[str, Marks]]:
    """An exam, its synthetic paper, and a random sheet over it."""
    exam_id = draw(st.sampled_from([p[0] for p in PAPERS]))
    qs = _PAPER_QS[exam_id]
    # bias towards correct answers so that passes, fails and boundaries all occur
    statuses = draw(st.lists(st.sampled_from(["correct", "correct", "correct", "wrong", "blank", "double"]),
                             min_size=len(qs), max_size=len(qs)))
    return exam_id, qs, {q.id: STATUS_MARKS[s] for q, s in zip(qs, statuses, strict=True)}


INVARIANT_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@INVARIANT_SETTINGS
@given(graded_sheets(), st.data())
def test_one_more_correct_answer_never_hurts(case: tuple[str, list[Question], dict[str, Marks]],
                                            data: st.DataObject) -> None:
    exam_id, qs, marks = case
    not_right = [q.id for q in qs if marks[q.id] != (1,)]
    if not not_right:
        return
    fixed = data.draw(st.sampled_from(not_right))
    before = score(bp(exam_id), qs, marks)
    after = score(bp(exam_id), qs, {**marks, fixed: (1,)})
    assert after.total.points > before.total.points
    assert after.total.percent >= before.total.percent
    assert all(a.points >= b.points for a, b in zip(after.subjects, before.subjects, strict=True))
    assert all(a.points >= b.points for a, b in zip(after.groups, before.groups, strict=True))
    assert after.passed or not before.passed
    assert len(after.reasons) <= len(before.reasons)


@INVARIANT_SETTINGS
@given(graded_sheets(), st.randoms(use_true_random=False))
def test_verdict_and_scores_do_not_depend_on_item_order(case: tuple[str, list[Question], dict[str, Marks]],
                                                        rnd: random.Random) -> None:
    exam_id, qs, marks = case
    shuffled = list(qs)
    rnd.shuffle(shuffled)
    a, b = score(bp(exam_id), qs, marks), score(bp(exam_id), shuffled, marks)
    assert (a.passed, a.total, a.reasons) == (b.passed, b.total, b.reasons)
    assert (a.groups, a.sessions) == (b.groups, b.sessions)
    assert a.subjects == b.subjects  # subjects are listed in blueprint order, whatever the bank's order
    assert sorted(a.items, key=lambda i: i.id) == sorted(b.items, key=lambda i: i.id)


@INVARIANT_SETTINGS
@given(graded_sheets())
def test_points_never_exceed_the_maximum(case: tuple[str, list[Question], dict[str, Marks]]) -> None:
    exam_id, qs, marks = case
    report = score(bp(exam_id), qs, marks)
    for part in (report.total, *report.subjects, *report.groups, *report.sessions):
        assert 0 <= part.points <= part.max_points
    assert all(0 <= i.awarded <= i.points for i in report.items)
    assert 0 <= report.total.percent <= 100
    assert report.total.points == sum(i.awarded for i in report.items)
    assert report.passed == (report.total.passed and all(s.passed for s in report.subjects))


@pytest.mark.parametrize(("exam", "written", "subject"), [
    ("appraiser", "민법 (총칙ㆍ물권)", "민법(총칙·물권)"),     # spacing, and the Hangul middle dot
    ("appraiser", "민법（총칙·물권）", "민법(총칙·물권)"),     # full-width brackets
    ("appraiser", "부동산학 원론", "부동산학원론"),
    ("herbal-pharmacist", "한약학  기초", "한약학 기초"),
    ("appraiser", "회계", None),                               # a different name is still no subject
    ("customs-broker", "관세법", None),
])
def test_subject_names_match_across_spacing_width_and_separators(exam: str, written: str,
                                                                 subject: str | None) -> None:
    from examqa.exams.plugins import get_exam

    found = get_exam(exam).blueprint.edition().subject(written)
    assert (found.name if found else None) == subject
