"""The pass rules of the fourteen licences, at their boundaries: a rank exam's announced cut, a part of a larger
exam, electives, items labelled by a merged 과락 group, and the KMMLU-Pro paper's own rule beside the law's.

Every paper here is synthetic (placeholder stems); the facts under test are the blueprints' own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from examqa.errors import InputError
from examqa.exams.models import Blueprint, Marks, Question
from examqa.exams.plugins import registry
from examqa.exams.report import Report
from examqa.exams.scoring import paper_verdict, score
from examqa.reports._sheet import to_html, to_markdown, verdict_line


def bp(exam_id: str) -> Blueprint:
    return registry()[exam_id].blueprint


def paper(counts: Mapping[str, int], year: int | None = None, points: Fraction | None = None) -> list[Question]:
    """``counts[subject]`` items keyed 1, five choices each."""
    return [Question(id=f"{s}-{k}", subject=s, stem="문항", choices=("1", "2", "3", "4", "5"),
                     accepted=frozenset({1}), year=year, points=points)
            for s, n in counts.items() for k in range(n)]


def right(questions: Sequence[Question], counts: Mapping[str, int]) -> dict[str, Marks]:
    """The first ``counts[subject]`` items of each subject right, the others wrong."""
    seen: dict[str, int] = {}
    out: dict[str, Marks] = {}
    for q in questions:
        seen[q.subject] = seen.get(q.subject, 0) + 1
        out[q.id] = (1,) if seen[q.subject] <= counts.get(q.subject, 0) else (2,)
    return out


# ------------------------------------------------------------------------------ rank: the announced cut

SCRIVENER = {"헌법": 20, "상법": 30, "민법": 40, "가족관계의 등록 등에 관한 법률": 10, "민사집행법": 35,
             "상업등기법 및 비송사건절차법": 15, "부동산등기법": 30, "공탁법": 20}


def scrivener(counts: Mapping[str, int], year: int | None = 2024, **kw: object) -> Report:
    qs = paper(SCRIVENER, year)
    return score(bp("judicial-scrivener"), qs, right(qs, counts), **kw)  # type: ignore[arg-type]


def test_judicial_scrivener_exactly_at_the_2024_cut_passes_and_one_item_below_fails() -> None:
    # 120 of 200 items × 2 points = 240 of 400: a mean of 60.0 over the four 과목 = the 2024 cut
    at = {"헌법": 12, "상법": 18, "민법": 24, "가족관계의 등록 등에 관한 법률": 6, "민사집행법": 21,
          "상업등기법 및 비송사건절차법": 9, "부동산등기법": 18, "공탁법": 12}
    report = scrivener(at)
    assert report.complete and report.total.points == 240 and report.total.percent == 60
    assert report.decision == "pass" and report.passed and report.reasons == ()
    assert report.total.cut is not None and report.total.cut.met and report.total.cut.published == "60 (mean of 100)"
    below = scrivener(at | {"공탁법": 11})  # one item (2 points, half a point of the mean) fewer
    assert below.decision == "fail" and below.total.percent == 59.5
    assert below.reasons == ("총점 59.50% < 2024년 합격선 60%",)
    assert below.to_pass is not None and below.to_pass.items == 1 and below.to_pass.target == "cut"


def test_judicial_scrivener_has_floors_per_subject_pair_and_no_total_line() -> None:
    floors_only = dict.fromkeys(SCRIVENER, 0) | {"헌법": 20, "상법": 0, "민법": 40, "민사집행법": 35,
                                                  "부동산등기법": 30}  # each 과목 ≥ 40 by one law alone
    report = scrivener(floors_only, year=2025)  # no cut known for 2025
    assert all(g.passed for g in report.groups) and report.total.percent == 62.5
    assert report.decision == "cut_unpublished" and not report.passed
    assert report.total.threshold_percent == 0 and report.total.statutory_percent is None
    assert report.to_pass is not None and (report.to_pass.items, report.to_pass.target) == (0, "eligible")
    assert any("2025년 합격선 미발표" in n for n in report.notes)
    # the same sheet under 2024's cut (60.0) passes; a 과목 under 40 fails whatever the year
    assert scrivener(floors_only, year=2024).decision == "pass"
    failed = scrivener(floors_only | {"헌법": 19}, year=2025)
    assert failed.decision == "fail" and failed.reasons == ("제1과목(헌법·상법) 38점 < 40점 (과락, 합산)",)


PATENT = {"산업재산권법": 40, "민법개론": 40, "자연과학개론": 40}


def test_patent_attorney_at_the_truncated_cut_and_one_item_below() -> None:
    """2024's cut is published as 76.66 (230 of 300 = 76.666… truncated): a mean of 76.67 passes, 75.83 fails."""
    blueprint = bp("patent-attorney")
    qs = paper(PATENT, 2024)
    at = score(blueprint, qs, right(qs, {"산업재산권법": 31, "민법개론": 30, "자연과학개론": 31}))  # 92 items = 230
    assert at.total.points == 230 and at.decision == "pass"
    below = score(blueprint, qs, right(qs, {"산업재산권법": 31, "민법개론": 30, "자연과학개론": 30}))  # 227.5
    assert below.decision == "fail" and below.reasons == ("평균 75.83점 < 2024년 합격선 76.66점",)
    assert below.reasons_en == ("mean 75.83 < the 2024 cut 76.66",)
    assert below.to_pass is not None and below.to_pass.items == 1 and below.to_pass.target == "cut"
    # floors and the statutory mean met, the cut missed: a FAIL the flat 40/60 rule would call a PASS
    middling = score(blueprint, qs, right(qs, dict.fromkeys(PATENT, 28)))  # mean 70
    assert middling.total.statutory_percent == 60 and middling.total.percent == 70
    assert middling.decision == "fail" and middling.to_pass is not None and middling.to_pass.items == 8  # 210 → 230


def test_cpa_half_a_point_below_the_2024_cut_fails() -> None:
    """384.5 of 550 (2024): 49 회계학 items × 3 + 95 others × 2.5 = 384.5 passes; 48 × 3 + 96 × 2.5 = 384 fails."""
    blueprint = bp("cpa")
    subjects = {"경영학": 40, "경제원론": 40, "상법": 40, "세법개론": 40, "회계학": 50}
    qs = paper(subjects, 2024)
    at = score(blueprint, qs, right(qs, {"경영학": 24, "경제원론": 24, "상법": 24, "세법개론": 23, "회계학": 49}))
    assert at.edition == "until-2024" and at.total.points == Fraction(769, 2) and at.decision == "pass"
    below = score(blueprint, qs, right(qs, {"경영학": 24, "경제원론": 24, "상법": 24, "세법개론": 24, "회계학": 48}))
    assert below.total.points == 384 and below.decision == "fail"
    assert below.reasons == ("총점 384점 < 2024년 합격선 384.5점",)
    # 2016: the cut is not known, so the same sheet is eligible, never passed
    qs16 = paper(subjects, 2016)
    eligible = score(blueprint, qs16, right(qs16, {"경영학": 24, "경제원론": 24, "상법": 24, "세법개론": 24,
                                                    "회계학": 48}))
    assert eligible.decision == "cut_unpublished" and not eligible.passed and eligible.reasons == ()
    assert "판정 보류 ELIGIBLE" in verdict_line(eligible) and "합격선 미발표" in verdict_line(eligible)


def test_a_bank_without_a_year_takes_the_cut_of_the_year_named() -> None:
    blueprint = bp("patent-attorney")
    qs = paper(PATENT)  # KMMLU-Pro rows carry no year
    marks = right(qs, dict.fromkeys(PATENT, 32))  # mean 80
    unknown = score(blueprint, qs, marks)
    assert unknown.year is None and unknown.decision == "cut_unpublished"
    assert any("pass --year" in n for n in unknown.notes)
    assert score(blueprint, qs, marks, year=2024).decision == "pass"  # 80 ≥ 76.66
    assert score(blueprint, qs, marks, year=2022).decision == "fail"  # 80 < 81.66


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=3, max_size=3), st.sampled_from([2013, 2019, 2022, 2024, 2025, 2012]))
def test_patent_verdict_is_floors_and_the_cut_exactly(counts: list[int], year: int) -> None:
    blueprint = bp("patent-attorney")
    qs = paper(PATENT, year)
    report = score(blueprint, qs, right(qs, dict(zip(PATENT, counts, strict=True))))
    mean = Fraction(sum(counts) * 5, 2 * 3)  # each item 2.5 of a 100-point subject
    floors = all(c >= 16 for c in counts)
    cut = blueprint.pass_rule.cut(year)
    if not floors or mean < 60:
        assert report.decision == "fail"
    elif cut is None:
        assert report.decision == "cut_unpublished"
    else:
        assert report.decision == ("pass" if mean >= cut.percent else "fail")
    assert report.passed is (report.decision == "pass")


# ------------------------------------------------------------------------------ part of a larger exam

LAWYER = {"공법": 40, "형사법": 40, "민사법": 70}


@pytest.mark.parametrize("correct", [0, 60, 150])
def test_the_bar_multiple_choice_part_is_never_a_pass_under_the_law(correct: int) -> None:
    blueprint = bp("lawyer")
    qs = paper(LAWYER, 2025)
    marks = {q.id: (1,) if n < correct else (2,) for n, q in enumerate(qs)}
    report = score(blueprint, qs, marks)
    assert report.decision == "part_only" and report.passed is False and report.rule_kind == "part"
    assert report.reasons == () and report.to_pass is None
    assert report.total.max_points == 375 and report.total.points == Fraction(5, 2) * correct
    assert verdict_line(report).startswith("판정 불가 UNDECIDABLE")
    assert any("undecidable from this part" in n for n in report.notes)
    assert "UNDECIDABLE" in to_markdown(report) and "판정 불가" in to_html(report)


def test_the_papers_54_22_cut_off_on_the_bar_part() -> None:
    blueprint = bp("lawyer")
    qs = paper(LAWYER, 2025)
    # 82 of 150 = 54.67 % ≥ 54.22 %; 81 = 54.0 % below
    for correct, passes in ((82, True), (81, False)):
        marks = {q.id: (1,) if n < correct else (2,) for n, q in enumerate(qs)}
        report = score(blueprint, qs, marks)
        verdict = paper_verdict(report, blueprint.paper)
        assert verdict.passed is passes and not verdict.agrees  # the law decides nothing here
        assert report.decision == "part_only"


# ------------------------------------------------------------------------------ electives

TAX = {"재정학": 4, "세법학개론": 4, "회계학개론": 4, "상법(회사편)": 4, "민법(총칙)": 4, "행정소송법": 4}


def tax_paper() -> list[Question]:
    return paper(TAX, 2024)


def test_an_elective_is_graded_on_the_one_the_sheet_answers() -> None:
    blueprint = bp("tax-accountant")
    qs = tax_paper()
    marks = right(qs, {"재정학": 3, "세법학개론": 3, "회계학개론": 2, "민법(총칙)": 2})
    for q in qs:  # the other electives left blank
        if q.subject in ("상법(회사편)", "행정소송법"):
            marks.pop(q.id)
    report = score(blueprint, qs, marks)
    assert report.electives == ("민법(총칙)",)
    assert [s.name for s in report.subjects] == ["재정학", "세법학개론", "회계학개론", "민법(총칙)"]
    assert report.total.percent == 62.5 and report.decision == "pass"  # (75 + 75 + 50 + 50) / 4, not / 6
    assert any(n == "electives not sat, not graded: 상법(회사편) (4 item(s)), 행정소송법 (4 item(s))"
               for n in report.notes)
    assert report.complete is False  # 4 of 40 items per subject


def test_a_sheet_answering_two_electives_or_none_must_say_which() -> None:
    blueprint = bp("tax-accountant")
    qs = tax_paper()
    both = right(qs, dict.fromkeys(TAX, 3))
    with pytest.raises(InputError, match=r"several electives .*상법\(회사편\) 4, 민법\(총칙\) 4, 행정소송법 4"):
        score(blueprint, qs, both)
    none = {q.id: m for q, m in zip(qs, both.values(), strict=True) if q.subject in ("재정학", "세법학개론")}
    with pytest.raises(InputError, match="answers none of the electives") as err:
        score(blueprint, qs, none)
    assert "--elective" in str(err.value)
    # named, the sheet is graded on it, and the other electives' marks are left out, and said so
    named = score(blueprint, qs, both, elective="행정소송법")
    assert named.electives == ("행정소송법",) and len(named.subjects) == 4
    assert any("also marks items of electives not sat" in n for n in named.notes)
    assert score(blueprint, qs, both, elective="민법").electives == ("민법(총칙)",)  # an alias names it too


def test_naming_what_is_no_elective_is_an_error() -> None:
    qs = tax_paper()
    with pytest.raises(InputError, match="'재정학' is not an elective of tax-accountant"):
        score(bp("tax-accountant"), qs, {}, elective="재정학")
    with pytest.raises(InputError, match="customs-broker has no electives"):
        cqs = paper({"관세법개론": 2})
        score(bp("customs-broker"), cqs, {}, elective="민법")
    labor = paper({"노동법(1)": 2, "경영학개론": 2})
    with pytest.raises(InputError, match="holds no items of the elective 경제학원론"):
        score(bp("labor-attorney"), labor, {}, elective="경제학원론")


def test_a_bank_holding_one_elective_is_that_one() -> None:
    blueprint = bp("labor-attorney")
    qs = paper({"노동법(1)": 4, "노동법(2)": 4, "민법": 4, "사회보험법": 4, "경제학원론": 4}, 2024)
    report = score(blueprint, qs, {})  # a blank sheet: nothing to infer from, nothing to infer
    assert report.electives == ("경제학원론",) and report.decision == "fail"


# ------------------------------------------------------------------------------ merged groups as labels


def test_dentist_items_labelled_by_a_merged_group_count_toward_it() -> None:
    """KMMLU-Pro's dentist rows say 소아치과학/치과교정학: such an item counts toward that group's pooled line."""
    blueprint = bp("dentist")
    groups = ["소아치과학/치과교정학", "영상치의학/구강내과학/구강병리학", "치주과학/구강보건학",
              "치과재료학/구강생물학"]
    qs = paper(dict.fromkeys(["치과보존학", "치과보철학", "구강악안면외과학", "보건의약관계법규", *groups], 5))
    # one member-labelled item beside the group-labelled ones: both pool
    qs.append(Question(id="member", subject="소아치과학", stem="문항", choices=("1", "2", "3", "4", "5"),
                       accepted=frozenset({1})))
    marks = right(qs, dict.fromkeys(["치과보존학", "치과보철학", "구강악안면외과학", "보건의약관계법규", *groups], 5))
    marks = marks | right([q for q in qs if q.subject == "소아치과학/치과교정학"], {"소아치과학/치과교정학": 1})
    marks["member"] = (1,)
    report = score(blueprint, qs, marks)
    group = next(g for g in report.groups if g.name == "소아치과학·치과교정학")
    assert group.subjects == ("소아치과학", "소아치과학·치과교정학")
    assert (group.points, group.max_points) == (2, 6)  # 2 of 6 < 2.4: 과락 on the pooled points
    assert not group.passed and report.decision == "fail"
    assert report.reasons == ("소아치과학·치과교정학 2점 < 2.4점 (과락, 합산)",)
    assert any("labelled by the merged group" in n for n in report.notes)
    assert report.to_pass is not None and report.to_pass.items == 1
    marks["소아치과학/치과교정학-1"] = (1,)  # one more right in the group-labelled items: 3 of 6 clears 2.4
    assert score(blueprint, qs, marks).decision == "pass"


def test_pharmacist_clinical_pharmacy_is_one_subject_for_the_floor() -> None:
    blueprint = bp("pharmacist")
    counts = {"생명약학": 10, "산업약학": 10, "임상·실무약학Ⅰ": 10, "임상·실무약학Ⅱ": 10, "보건·의약관계법규": 10}
    qs = paper(counts, 2025)
    # Ⅰ 0 of 10 but Ⅱ 9 of 10: 9 of 20 pooled ≥ 8, so no 과락
    report = score(blueprint, qs, right(qs, {"생명약학": 8, "산업약학": 8, "임상·실무약학Ⅰ": 0, "임상·실무약학Ⅱ": 9,
                                             "보건·의약관계법규": 8}))
    assert report.decision == "pass" and [g.name for g in report.groups] == ["임상·실무약학"]
    kmmlu = paper({"생명약학": 2, "임상실무약학": 2}, 2025)  # KMMLU-Pro's one string for both parts
    assert {s.name for s in score(blueprint, kmmlu, {}).subjects} == {"생명약학", "임상·실무약학"}


# ------------------------------------------------------------------------------ reports


def test_old_reports_without_a_decision_still_load() -> None:
    qs = paper({"관세법개론": 2})
    report = score(bp("customs-broker"), qs, right(qs, {"관세법개론": 2}))
    data = json.loads(report.model_dump_json())
    for key in ("decision", "rule_kind", "year", "electives", "paper"):
        data.pop(key)
    old = Report.model_validate(data)
    assert old.decision == "pass" and old.decided
    data["passed"] = False
    assert Report.model_validate(data).decision == "fail"
    with pytest.raises(ValueError, match="decision"):
        Report.model_validate(data | {"decision": "pass"})


def test_the_schema_names_every_decision() -> None:
    schema = json.dumps(Report.model_json_schema(mode="serialization"), ensure_ascii=False)
    for word in ("cut_unpublished", "part_only", "rule_kind", "CutResult", "PaperVerdict"):
        assert word in schema


def test_validation_knows_group_labels_electives_and_licence_names(tmp_path: Path) -> None:
    from examqa.banks import validate_bank

    rows = [{"question": f"문항 {i}", "options": ["가", "나", "다", "라", "마"], "solution": "1", "subject": s,
             "license_name": licence}
            for i, (s, licence) in enumerate([("소아치과학/치과교정학", "치과의사"), ("치과보존학", "치과의사")])]
    dent = tmp_path / "dent.jsonl"
    dent.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    said = [p.message for p in validate_bank(dent, bp("dentist"))]
    assert not any("no items for 소아치과학" in m or "no items for 치과교정학" in m for m in said)
    assert any("no items for 치과보철학" in m for m in said)
    tax = tmp_path / "tax.jsonl"
    tax.write_text("".join(json.dumps({"question": "문항", "options": ["가", "나", "다", "라", "마"], "solution": "1",
                                       "subject": s, "license_name": "Certified Tax Accountant"},
                                      ensure_ascii=False) + "\n" for s in ("재정학", "민법")), encoding="utf-8")
    said = [p.message for p in validate_bank(tax, bp("tax-accountant"))]
    assert not any("상법(회사편)" in m or "행정소송법" in m for m in said)  # one elective held covers its slot
    assert not any("license_name" in m for m in said)  # the card's English name is this licence's
