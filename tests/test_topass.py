"""What it takes to pass: exact, checked against brute force through ``score`` itself.

The brute force tries every set of further correct answers, smallest first, and asks ``score`` for the
verdict, so it knows nothing of the algorithm: not the highest-points-first rule, not the units, not
the group combination.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from itertools import combinations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from examqa.exams.grading import ItemStatus
from examqa.exams.models import Blueprint, Cut, Edition, FloorGroup, Marks, PassRule, Question, Source, SubjectSpec
from examqa.exams.plugins import registry
from examqa.exams.report import Report
from examqa.exams.scoring import score
from examqa.exams.topass import PassFrame, fewest_to_pass, to_pass_line


def reached(report: Report) -> bool:
    """What ``to_pass`` counts toward: a PASS, or — a rank exam without the year's cut — eligibility."""
    return report.decision in ("pass", "cut_unpublished")


def brute_force(blueprint: Blueprint, questions: Sequence[Question], marks: Mapping[str, Marks],
                **kw: object) -> int | None:
    """The fewest items to turn correct (marked with their lowest accepted choice) so that ``score`` passes
    (or, on a rank exam whose cut is not published, so that every statutory line is met)."""
    base = score(blueprint, questions, marks, **kw)  # type: ignore[arg-type]
    open_items = [i.id for i in base.items if i.status != "correct"]
    by_id = {q.id: q for q in questions}
    for k in range(len(open_items) + 1):
        for chosen in combinations(open_items, k):
            trial = dict(marks)
            for qid in chosen:
                trial[qid] = (min(by_id[qid].accepted),)
            if reached(score(blueprint, questions, trial, **kw)):  # type: ignore[arg-type]
                return k
    return None


def apply_way(questions: Sequence[Question], report: Report, marks: Mapping[str, Marks]) -> dict[str, Marks]:
    """Turn the highest-point open items of each subject correct, as many as ``to_pass.by_subject`` says."""
    assert report.to_pass is not None
    by_id = {q.id: q for q in questions}
    trial = dict(marks)
    for subject, k in report.to_pass.by_subject.items():
        open_items = sorted((i for i in report.items if i.subject == subject and i.status != "correct"),
                            key=lambda i: -i.points)
        assert len(open_items) >= k
        for item in open_items[:k]:
            trial[item.id] = (min(by_id[item.id].accepted),)
    return trial


# ------------------------------------------------------------------------------------- random blueprints

POINTS = (Fraction(1), Fraction(2), Fraction(5, 2), Fraction(1, 2), Fraction(4, 3))
STATUS: tuple[ItemStatus, ...] = ("correct", "wrong", "blank", "multiple")


@st.composite
def cases(draw: st.DrawFn) -> tuple[Blueprint, list[Question], dict[str, Marks]]:
    """A small random exam: 1–4 subjects, merged floor groups, mixed item points, either basis."""
    n_subjects = draw(st.integers(1, 4))
    names = [f"과목{i}" for i in range(n_subjects)]
    # a random partition of the subjects into floor groups (merged where a block has two or more)
    labels = draw(st.lists(st.integers(0, 2), min_size=n_subjects, max_size=n_subjects))
    blocks: dict[int, list[str]] = {}
    for name, label in zip(names, labels, strict=True):
        blocks.setdefault(label, []).append(name)
    groups = tuple(FloorGroup(name=f"합산{k}", name_en=f"group {k}", subjects=tuple(v))
                   for k, v in blocks.items() if len(v) > 1)
    basis = draw(st.sampled_from(["total_points", "subject_mean"]))
    total_percent = draw(st.sampled_from([Fraction(60), Fraction(50), Fraction(65)]))
    floor_percent = draw(st.sampled_from([Fraction(40), Fraction(30), Fraction(45)]))
    edition = Edition(id="e", from_year=2000,
                      subjects=tuple(SubjectSpec(name=n, name_en=n, choices=4) for n in names),
                      floor_groups=groups)
    blueprint = Blueprint(id="random", domain="test", name_ko="시험", name_en="exam", body="test",
                          pass_rule=PassRule(total_percent=total_percent, floor_percent=floor_percent,
                                             basis=basis, text="test"),  # type: ignore[arg-type]
                          editions=(edition,))
    questions: list[Question] = []
    total = 0
    for name in names:
        uniform = draw(st.booleans())
        same = draw(st.sampled_from(POINTS))
        for k in range(draw(st.integers(1, 4))):
            if total >= 11:  # brute force stays small: at most 2^11 sets
                break
            total += 1
            qid = f"{name}-{k}"
            accepted = draw(st.sampled_from([frozenset({1}), frozenset({2, 3}), frozenset({1, 2, 3, 4})]))
            questions.append(Question(id=qid, subject=name, stem="문항", choices=("가", "나", "다", "라"),
                                      accepted=accepted, points=same if uniform else draw(st.sampled_from(POINTS))))
    marks = draw_marks(draw, questions)
    return blueprint, questions, marks


def draw_marks(draw: st.DrawFn, questions: Sequence[Question]) -> dict[str, Marks]:
    """A sheet: each item right, wrong, blank or double-marked."""
    marks: dict[str, Marks] = {}
    for q in questions:
        status = draw(st.sampled_from(STATUS))
        wrong = next((c for c in (4, 1, 2, 3) if c not in q.accepted), None)
        marks[q.id] = {"correct": (min(q.accepted),), "wrong": (wrong,) if wrong else (), "blank": (),
                       "multiple": (1, 4)}[status]
    return marks


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_to_pass_is_the_brute_force_minimum(case: tuple[Blueprint, list[Question], dict[str, Marks]]) -> None:
    blueprint, questions, marks = case
    report = score(blueprint, questions, marks)
    expected = brute_force(blueprint, questions, marks)
    if expected is None:  # cannot happen with the key rule: every item can be marked right
        assert report.to_pass is None
        return
    assert report.to_pass is not None
    assert report.to_pass.items == expected
    assert sum(report.to_pass.by_subject.values()) == expected
    assert all(k > 0 for k in report.to_pass.by_subject.values())
    # the way it names passes
    assert score(blueprint, questions, apply_way(questions, report, marks)).passed
    if report.passed:
        assert report.to_pass.items == 0 and report.to_pass.by_subject == {}


CUT_MEANS = (Fraction(55), Fraction(60), Fraction(125, 2), Fraction(7666, 100), Fraction(200, 3), Fraction(70))


@st.composite
def ranked_cases(draw: st.DrawFn) -> tuple[Blueprint, list[Question], dict[str, Marks]]:
    """``cases()`` under a rank rule: the year's cut published or not, with or without a statutory total line."""
    blueprint, questions, marks = draw(cases())
    kind = draw(st.sampled_from(["cut", "no-cut", "floors-only-cut", "floors-only-no-cut"]))
    cut_year = 2024 if kind in ("cut", "floors-only-cut") else 2023  # the paper is of 2024
    cut = Cut(year=cut_year, mean=draw(st.sampled_from(CUT_MEANS)), source="s")
    rule = blueprint.pass_rule.model_copy(update={
        "kind": "rank", "cuts": (cut,),
        "total_percent": Fraction(0) if kind.startswith("floors-only") else blueprint.pass_rule.total_percent})
    blueprint = blueprint.model_copy(update={"pass_rule": rule, "sources": (Source(id="s", title="t"),)})
    return blueprint, [q.model_copy(update={"year": 2024}) for q in questions], marks


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ranked_cases())
def test_to_pass_reaches_the_cut_or_eligibility_in_the_brute_force_minimum(
        case: tuple[Blueprint, list[Question], dict[str, Marks]]) -> None:
    blueprint, questions, marks = case
    report = score(blueprint, questions, marks)
    expected = brute_force(blueprint, questions, marks)
    assert report.to_pass is not None and expected is not None
    assert report.to_pass.items == expected
    assert report.to_pass.target == ("cut" if report.total.cut is not None else "eligible")
    assert reached(score(blueprint, questions, apply_way(questions, report, marks)))
    # without the year's cut nothing is ever a PASS; with it, PASS is exactly: floors, and the cut (이상)
    if report.total.cut is None:
        assert not report.passed and report.decision in ("fail", "cut_unpublished")
    else:
        floors = all(s.passed for s in report.subjects)
        measure = (sum((s.points * 100 / s.max_points for s in report.subjects), Fraction(0)) / len(report.subjects)
                   if report.total.basis == "subject_mean" else report.total.points * 100 / report.total.max_points)
        line = max(report.total.cut.percent, blueprint.pass_rule.total_percent)
        assert report.passed is (floors and measure >= line)


# ------------------------------------------------------------------------------------------- real exams


def bp(exam_id: str) -> Blueprint:
    """A bundled blueprint."""
    return registry()[exam_id].blueprint


def paper(blueprint: Blueprint, counts: Mapping[str, int], points: Fraction | None = None) -> list[Question]:
    """``counts[subject]`` items keyed 1, with 5 choices."""
    return [Question(id=f"{s}-{k}", subject=s, stem="문항", choices=("1", "2", "3", "4", "5"),
                     accepted=frozenset({1}), points=points)
            for s, n in counts.items() for k in range(n)]


def marks_for(questions: Sequence[Question], right: Mapping[str, int]) -> dict[str, Marks]:
    """The first ``right[subject]`` items of each subject right, the rest wrong."""
    seen: dict[str, int] = {}
    out: dict[str, Marks] = {}
    for q in questions:
        seen[q.subject] = seen.get(q.subject, 0) + 1
        out[q.id] = (1,) if seen[q.subject] <= right.get(q.subject, 0) else (2,)
    return out


CUSTOMS = ("관세법개론", "무역영어", "내국소비세법", "회계학")


@pytest.mark.parametrize(("right", "items", "way"), [
    ((24, 24, 24, 24), 0, {}),                                          # mean exactly 60: PASS
    ((24, 24, 24, 23), 1, {"관세법개론": 1}),                             # 95 of 160; ties go to the first subject
    ((40, 40, 40, 15), 1, {"회계학": 1}),                                 # 과락 by one item, mean fine
    ((16, 16, 16, 16), 32, {"관세법개론": 24, "무역영어": 8}),              # the mean needs 96 correct
    ((10, 40, 40, 10), 12, {"관세법개론": 6, "회계학": 6}),                 # two floors; the mean is then met
    ((10, 20, 20, 10), 36, {"관세법개론": 30, "회계학": 6}),
])
def test_customs_table(right: tuple[int, ...], items: int, way: dict[str, int]) -> None:
    blueprint = bp("customs-broker")
    qs = paper(blueprint, dict.fromkeys(CUSTOMS, 40))
    report = score(blueprint, qs, marks_for(qs, dict(zip(CUSTOMS, right, strict=True))))
    assert report.to_pass is not None
    assert (report.to_pass.items, report.to_pass.by_subject) == (items, way)


DENTIST = ("치과보존학", "치과보철학", "구강악안면외과학", "소아치과학", "치과교정학", "영상치의학", "구강내과학",
           "구강병리학", "치주과학", "구강보건학", "치과재료학", "구강생물학", "보건의약관계법규")


def test_dentist_merged_group_pools_the_floor() -> None:
    """소아치과학 + 치과교정학 share one 40 % line: points in either subject count toward it."""
    blueprint = bp("dentist")
    counts = dict.fromkeys(DENTIST, 10)
    qs = paper(blueprint, counts)
    right = dict.fromkeys(DENTIST, 10) | {"소아치과학": 0, "치과교정학": 7}  # pooled 7 of 20 < 8
    report = score(blueprint, qs, marks_for(qs, right))
    assert not report.passed
    assert report.to_pass is not None
    # one more answer in either subject of the group lifts it to 8 of 20
    assert report.to_pass.items == 1
    assert report.to_pass.by_subject == {"소아치과학": 1}
    assert brute_force(blueprint, qs, marks_for(qs, right)) == 1


def test_dentist_total_and_groups_together() -> None:
    blueprint = bp("dentist")
    qs = paper(blueprint, dict.fromkeys(DENTIST, 6))  # 78 points; 60 % = 46.8 → 47
    right = dict.fromkeys(DENTIST, 3) | {"영상치의학": 0, "구강내과학": 1, "구강병리학": 1}  # group 2 of 18 < 7.2
    report = score(blueprint, qs, marks_for(qs, right))
    assert report.to_pass is not None
    total_now = int(report.total.points)
    # the group needs 6 more (to 8 ≥ 7.2); the total needs 47 − total_now in all
    assert report.to_pass.items == max(6, 47 - total_now)
    assert score(blueprint, qs, apply_way(qs, report, marks_for(qs, right))).passed


def test_half_point_items_take_the_heavier_first() -> None:
    """2005 physician: 법규 items are worth 0.5; the total line is reached sooner with 1-point items."""
    blueprint = bp("physician")
    qs = [q.model_copy(update={"year": 2005}) for q in paper(blueprint, {"의학총론": 20, "의학각론": 50})]
    qs += [q.model_copy(update={"year": 2005, "points": Fraction(1, 2)})
           for q in paper(blueprint, {"보건의약관계법규": 25})]
    marks = marks_for(qs, {"의학총론": 17, "의학각론": 20, "보건의약관계법규": 23})  # 48.5 < 49.5
    report = score(blueprint, qs, marks)
    assert report.edition == "2005" and not report.passed
    assert report.to_pass is not None
    assert (report.to_pass.items, report.to_pass.by_subject) == (1, {"의학총론": 1})


def test_partial_bank_is_judged_on_what_it_holds() -> None:
    blueprint = bp("loss-adjuster")
    qs = paper(blueprint, {"보험업법": 4, "보험계약법": 4})
    report = score(blueprint, qs, marks_for(qs, {"보험업법": 1, "보험계약법": 4}))
    assert not report.complete and report.to_pass is not None
    assert report.to_pass.items == 1 == brute_force(blueprint, qs, marks_for(qs, {"보험업법": 1, "보험계약법": 4}))


def test_an_item_the_grader_never_scores_is_not_counted() -> None:
    """A custom grader that never scores item 0: the way to pass avoids it."""
    blueprint = bp("herbal-pharmacist")
    qs = paper(blueprint, {"한약학 기초": 5, "보건의약관계법규": 5, "한약학 응용": 5})

    def grader(question: Question, marks: Marks, *, blank_scores_on_all_accepted: bool) -> ItemStatus:
        if question.id == "한약학 기초-0":
            return "wrong"
        return "correct" if marks == (1,) else "wrong" if marks else "blank"

    marks = marks_for(qs, {"한약학 기초": 0, "보건의약관계법규": 5, "한약학 응용": 5})
    report = score(blueprint, qs, marks, grader=grader)
    assert report.to_pass is not None and report.to_pass.by_subject == {"한약학 기초": 2}
    never = {q.id: (1,) for q in qs}
    assert score(blueprint, qs, never, grader=grader).passed  # 14 of 15 passes anyway
    hopeless = score(blueprint, qs, marks, grader=lambda *a, **k: "wrong")
    assert hopeless.to_pass is None


def test_to_pass_line() -> None:
    blueprint = bp("customs-broker")
    qs = paper(blueprint, dict.fromkeys(CUSTOMS, 40))
    report = score(blueprint, qs, marks_for(qs, dict(zip(CUSTOMS, (10, 40, 40, 10), strict=True))))
    assert to_pass_line(report.to_pass, report.passed) == "합격까지 정답 12개 더: 관세법개론 6, 회계학 6"
    passed = score(blueprint, qs, marks_for(qs, dict.fromkeys(CUSTOMS, 30)))
    assert to_pass_line(passed.to_pass, passed.passed) is None


def test_unequal_weights_inside_a_merged_group() -> None:
    """Mean basis with a merged group whose subjects have different maxima: the Pareto search."""
    edition = Edition(id="e", from_year=2000, floor_groups=(FloorGroup(name="g", name_en="g", subjects=("A", "B")),),
                      subjects=(SubjectSpec(name="A", name_en="A"), SubjectSpec(name="B", name_en="B"),
                                SubjectSpec(name="C", name_en="C")))
    blueprint = Blueprint(id="mean", domain="t", name_ko="t", name_en="t", body="t", editions=(edition,),
                          pass_rule=PassRule(basis="subject_mean", text="t"))
    qs = ([Question(id=f"A{k}", subject="A", stem="s", choices=("1", "2"), accepted=frozenset({1}))
           for k in range(2)]
          + [Question(id=f"B{k}", subject="B", stem="s", choices=("1", "2"), accepted=frozenset({1}))
             for k in range(6)]
          + [Question(id=f"C{k}", subject="C", stem="s", choices=("1", "2"), accepted=frozenset({1}))
             for k in range(3)])
    marks: dict[str, Marks] = {q.id: (2,) for q in qs}
    report = score(blueprint, qs, marks)
    frame = PassFrame.from_report(report)
    assert not frame.uniform(frame.groups[0])
    assert report.to_pass is not None
    assert report.to_pass.items == brute_force(blueprint, qs, marks)
    assert score(blueprint, qs, apply_way(qs, report, marks)).passed


def test_fewest_to_pass_reports_impossible() -> None:
    frame = PassFrame(subjects=("A",), groups=((0,),), unit=1, max_units=(10,), weights=(1,),
                      group_floor=(4,), total_line=6)
    assert fewest_to_pass(frame, [3], [[1]]) is None
    assert fewest_to_pass(frame, [3], [[1, 1, 1]]) == (3,)
    assert fewest_to_pass(frame, [6], [[1]]) == (0,)


def test_reports_show_what_it_takes() -> None:
    from io import StringIO

    from rich.console import Console

    from examqa.reports._sheet import print_report, to_html, to_markdown

    blueprint = bp("customs-broker")
    qs = paper(blueprint, dict.fromkeys(CUSTOMS, 40))
    report = score(blueprint, qs, marks_for(qs, dict(zip(CUSTOMS, (10, 40, 40, 10), strict=True))))
    line = "합격까지 정답 12개 더: 관세법개론 6, 회계학 6"
    assert line in to_markdown(report)
    assert line in to_html(report)
    buffer = StringIO()
    print_report(report, Console(file=buffer, width=200))
    assert line in buffer.getvalue()
    passed = score(blueprint, qs, marks_for(qs, dict.fromkeys(CUSTOMS, 30)))
    assert "합격까지" not in to_markdown(passed) + to_html(passed)
