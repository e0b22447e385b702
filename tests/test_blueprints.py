"""The fourteen bundled exams as data: blueprints, sample papers, sample sheets and prompt templates."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from examqa.banks import load_bank, validate_bank
from examqa.exams.models import Blueprint, Edition, Question
from examqa.exams.plugins import ExamEntry, load_blueprint, registry
from examqa.exams.resources import exams_dir
from examqa.exams.scoring import score
from examqa.prompts.templates import load_prompts
from examqa.sheets.read import read_sheet
from helpers import LOSS_ADJUSTER_DATA

DOMAINS = {
    "physician": "medicine",
    "dentist": "dentistry",
    "herbal-pharmacist": "herbal-pharmacy",
    "customs-broker": "customs",
    "appraiser": "appraisal",
    "loss-adjuster": "loss-adjusting",
    "lawyer": "bar",
    "judicial-scrivener": "judicial-scrivening",
    "labor-attorney": "labor-law",
    "patent-attorney": "patent",
    "cpa": "accounting",
    "tax-accountant": "taxation",
    "korean-medicine-doctor": "korean-medicine",
    "pharmacist": "pharmacy",
}

# exam id → (sample sheet passes?, its reasons): the customs sheet shows a 과락 despite a mean of 75.
SHEET_VERDICTS = {
    "physician": (True, ()),
    "dentist": (True, ()),
    "herbal-pharmacist": (True, ()),
    "customs-broker": (False, ("회계학 2.5점 < 3점 (과락)",)),
    "appraiser": (True, ()),
    "loss-adjuster": (True, ()),
    "lawyer": (False, ()),  # never a PASS under the law: the multiple-choice part decides nothing alone
    "judicial-scrivener": (True, ()),  # over the 2024 cut (60.0)
    "labor-attorney": (True, ()),  # graded on the elective it answers (경제학원론)
    "patent-attorney": (False, ("평균 66.67점 < 2025년 합격선 79.16점",)),  # every statutory line met, the cut missed
    "cpa": (True, ()),
    "tax-accountant": (True, ()),
    "korean-medicine-doctor": (False, ("본초학·한방생리학·예방의학 1점 < 1.2점 (과락, 합산)",)),
    "pharmacist": (True, ()),
}


def entry(exam_id: str) -> ExamEntry:
    """The registered exam (through the entry points, as users get it)."""
    return registry()[exam_id]


def bp(exam_id: str) -> Blueprint:
    """The registered blueprint of ``exam_id``."""
    return entry(exam_id).blueprint


def sample_paper(exam_id: str) -> Path:
    """The bundled sample paper of ``exam_id``, found through its domain plugin."""
    samples = entry(exam_id).domain.samples
    assert samples is not None
    return samples / "papers" / f"{exam_id}.jsonl"


def sample_sheet(exam_id: str) -> Path:
    """The bundled sample answer sheet of ``exam_id`` (beside the papers folder)."""
    samples = entry(exam_id).domain.samples
    assert samples is not None
    return samples / f"{exam_id}-sheet.csv"


def sample_questions(exam_id: str) -> tuple[Question, ...]:
    """The sample paper's questions as the bank reader gives them."""
    return load_bank(sample_paper(exam_id)).questions


# ------------------------------------------------------------------------------------------ blueprints


@pytest.mark.parametrize("exam_id", sorted(DOMAINS))
def test_bundled_blueprint_loads_and_is_named_after_its_file(exam_id: str) -> None:
    loaded = load_blueprint(exams_dir() / f"{exam_id}.json")
    assert loaded.id == exam_id
    assert loaded.domain == DOMAINS[exam_id]
    assert loaded == bp(exam_id)


def test_registry_lists_exactly_the_fourteen_builtin_exams() -> None:
    assert {k: v.domain.name for k, v in registry().items()} == DOMAINS


def test_bundled_exams_folder_holds_only_the_fourteen() -> None:
    assert {p.stem for p in exams_dir().glob("*.json")} == set(DOMAINS)


def _subject_table(ed: Edition) -> list[tuple[str, int | None, int | None, Fraction | None, Fraction | None,
                                              int | None, bool]]:
    return [(s.name, s.session, s.items, s.points_per_item, s.max_points, s.choices, s.accredited)
            for s in ed.subjects]


H = Fraction(5, 2)


@pytest.mark.parametrize(("exam_id", "subjects", "total"), [
    ("customs-broker", [("관세법개론", 1, 40, H, 100, 5, False), ("무역영어", 1, 40, H, 100, 5, False),
                        ("내국소비세법", 2, 40, H, 100, 5, False), ("회계학", 2, 40, H, 100, 5, False)], 400),
    ("appraiser", [("민법(총칙·물권)", 1, 40, H, 100, 5, False), ("경제학원론", 1, 40, H, 100, 5, False),
                   ("부동산학원론", 1, 40, H, 100, 5, False), ("감정평가관계법규", 2, 40, H, 100, 5, False),
                   ("회계학", 2, 40, H, 100, 5, False), ("영어", None, None, None, None, None, True)], 500),
    ("loss-adjuster", [("보험업법", 1, 40, H, 100, 4, False), ("보험계약법", 1, 40, H, 100, 4, False),
                       ("손해사정이론", 2, 40, H, 100, 4, False),
                       ("영어", None, None, None, None, None, True)],
     300),
    ("herbal-pharmacist", [("한약학 기초", 1, 110, 1, 110, 5, False),
                           ("보건의약관계법규", 1, 30, 1, 30, 5, False),
                           ("한약학 응용", 2, 110, 1, 110, 5, False)], 250),
])
def test_current_edition_facts(exam_id: str, subjects: list[tuple[object, ...]], total: int) -> None:
    ed = bp(exam_id).edition()
    assert _subject_table(ed) == subjects
    assert ed.total_points == total


@pytest.mark.parametrize(("exam_id", "basis", "text"), [
    ("physician", "total_points", "전 과목 총점의 60% 이상, 매 과목 40% 이상 득점"),
    ("herbal-pharmacist", "total_points", "전 과목 총점의 60% 이상, 매 과목 40% 이상 득점"),
    ("dentist", "total_points", None),
    ("customs-broker", "subject_mean",
     "매 과목 100점을 만점으로 하여 매 과목 40점 이상, 전 과목 평균 60점 이상"),
    ("appraiser", "subject_mean", None),
    ("loss-adjuster", "subject_mean", None),
])
def test_pass_rules(exam_id: str, basis: str, text: str | None) -> None:
    rule = bp(exam_id).pass_rule
    assert (rule.total_percent, rule.floor_percent, rule.basis) == (60, 40, basis)
    if text is not None:
        assert rule.text == text
    assert rule.source in {s.id for s in bp(exam_id).sources}


@pytest.mark.parametrize("exam_id", sorted(DOMAINS))
def test_sessions_match_the_subjects(exam_id: str) -> None:
    for ed in bp(exam_id).editions:
        declared = {s.number for s in ed.sessions}
        used = {s.session for s in ed.subjects if s.session is not None}
        assert used <= declared or not used, ed.id


@pytest.mark.parametrize(("exam_id", "minutes"), [
    ("customs-broker", {1: 80, 2: 80}),
    ("appraiser", {1: 120, 2: 80}),
    ("loss-adjuster", {1: 80, 2: 40}),
])
def test_session_times(exam_id: str, minutes: dict[int, int]) -> None:
    assert {s.number: s.minutes for s in bp(exam_id).edition().sessions} == minutes


@pytest.mark.parametrize("exam_id", sorted(DOMAINS))
def test_stated_numbers_are_consistent(exam_id: str) -> None:
    """items × points per item = subject maximum, and the subject maxima add up to the edition's total
    (a candidate sits one subject of each elective slot, and the slot's subjects weigh alike)."""
    for ed in bp(exam_id).editions:
        graded = [s for s in ed.subjects if not s.accredited]
        for s in graded:
            if s.items is not None and s.points_per_item is not None and s.max_points is not None:
                assert s.items * s.points_per_item == s.max_points, (ed.id, s.name)
        for slot, names in ed.electives.items():
            assert len({ed.subject(n).max_points for n in names}) == 1, (ed.id, slot)  # type: ignore[union-attr]
        sat = {names[0] for names in ed.electives.values()}
        maxima = [s.max_points for s in graded if s.elective is None or s.name in sat]
        if ed.total_points is not None and all(m is not None for m in maxima):
            assert sum(m for m in maxima if m is not None) == ed.total_points, ed.id


@pytest.mark.parametrize("exam_id", sorted(DOMAINS))
def test_every_subject_has_an_english_name_and_unverified_facts_are_listed(exam_id: str) -> None:
    blueprint = bp(exam_id)
    for ed in blueprint.editions:
        assert all(s.name_en.strip() for s in ed.subjects)
        assert all(g.name_en.strip() for g in ed.floor_groups)
    # every exam leaves the blank-on-전항정답 question open, so every exam lists something unverified
    assert blueprint.unverified
    assert blueprint.blank_scores_on_all_accepted is False
    # whatever is not verified says why, in its own note
    for ed in blueprint.editions:
        assert ed.verified or ed.note, ed.id
        assert all(s.verified or s.note for s in ed.subjects), ed.id
    assert all(s.verified or s.note for s in blueprint.sources)


def test_physician_editions_by_year() -> None:
    physician = bp("physician")
    assert [(year, physician.edition(year=year).id) for year in (2005, 2019, 2020, 2021, 2022, 2024)] == [
        (2005, "2005"), (2019, "2019"), (2020, "2019"), (2021, "2019"), (2022, "2022"), (2024, "2022")]
    assert physician.edition().id == "2022"
    assert [e.total_points for e in physician.editions] == [538, 360, 320]


def test_physician_2019_split_is_secondary_and_2022_split_is_open() -> None:
    physician = bp("physician")
    e2019 = physician.edition(edition_id="2019")
    assert [(s.name, s.max_points) for s in e2019.subjects] == [
        ("의학총론", 60), ("의학각론", 280), ("보건의약관계법규", 20)]
    assert not e2019.verified and not any(s.verified for s in e2019.subjects)
    e2022 = physician.edition(edition_id="2022")
    assert all(s.items is None and s.max_points is None and not s.verified for s in e2022.subjects)
    assert all(s.choices is None for e in physician.editions for s in e.subjects)  # 5 choices plus R형


def test_physician_2005_law_items_are_half_points() -> None:
    law = bp("physician").edition(edition_id="2005").subject("보건의약관계법규")
    assert law is not None and law.points_per_item == Fraction(1, 2) and law.verified


def test_dentist_floor_groups_and_editions() -> None:
    dentist = bp("dentist")
    by_year = [(y, dentist.edition(year=y).id, dentist.edition(year=y).total_points)
               for y in (2020, 2022, 2023, 2025)]
    assert by_year == [(2020, "until-2022", 340), (2022, "until-2022", 340),
                       (2023, "2023", 300), (2025, "2023", 300)]
    for ed in dentist.editions:
        assert len(ed.subjects) == 13
        assert [g.subjects for g in ed.floor_groups] == [
            ("소아치과학", "치과교정학"), ("영상치의학", "구강내과학", "구강병리학"),
            ("치주과학", "구강보건학"), ("치과재료학", "구강생물학")]
        grouped = {s for g in ed.floor_groups for s in g.subjects}
        assert [s.name for s in ed.subjects if s.name not in grouped] == [
            "치과보존학", "치과보철학", "구강악안면외과학", "보건의약관계법규"]
        assert all(s.items is None and not s.verified for s in ed.subjects)


@pytest.mark.parametrize("exam_id", ["appraiser", "loss-adjuster"])
def test_english_is_accredited_not_sat(exam_id: str) -> None:
    english = bp(exam_id).edition().subject("영어")
    assert english is not None and english.accredited and english.name_en == "English"


def test_customs_trade_english_is_an_ordinary_subject() -> None:
    ed = bp("customs-broker").edition()
    assert not any(s.accredited for s in ed.subjects)


@pytest.mark.parametrize(("spelling", "name"), [
    ("보험계약법", "보험계약법"),
    ("보험계약법(상법 보험편)", "보험계약법"),
    ("보험업법", "보험업법"),
    ("손해사정이론", "손해사정이론"),
    ("보험 계약법", "보험계약법"),   # spacing alone does not make another subject (KMMLU-Pro-style spellings)
    ("보험계약", None),
    ("상법", None),
])
def test_loss_adjuster_subject_aliases(spelling: str, name: str | None) -> None:
    spec = bp("loss-adjuster").edition().subject(spelling)
    assert (spec.name if spec else None) == name


@pytest.mark.skipif(not LOSS_ADJUSTER_DATA.is_dir(),
                    reason="../shared/data/loss-adjuster is not beside the checkout")
def test_real_loss_adjuster_papers_use_the_blueprint_subjects() -> None:
    ed = bp("loss-adjuster").edition()
    subjects: set[str] = set()
    for path in sorted(LOSS_ADJUSTER_DATA.glob("*/*.json")):
        records = json.loads(path.read_text(encoding="utf-8"))
        assert len(records) == 40, path
        # a choice can be lost in PDF extraction (see the data's README), never gained
        assert all(len(r["choices"]) <= 4 for r in records), path
        subjects |= {r["subject"] for r in records}
    assert subjects == {"보험업법", "보험계약법", "손해사정이론"}
    assert all(ed.subject(s) is not None for s in subjects)


# ------------------------------------------------------------------------------------------ sample papers


@pytest.mark.parametrize("exam_id", sorted(DOMAINS))
def test_sample_paper_reads_and_matches_its_blueprint(exam_id: str) -> None:
    questions = sample_questions(exam_id)
    blueprint = bp(exam_id)
    ed = blueprint.edition(year=questions[0].year)
    assert ed == blueprint.edition()  # the samples are written for the current edition
    problems = validate_bank(sample_paper(exam_id), blueprint)
    assert [p for p in problems if p.severity == "error"] == []
    names = [q.subject for q in questions]
    # banks spell subjects exactly as the blueprint names them (no alias needed)
    assert all(n in {s.name for s in ed.subjects} for n in names)
    graded = [s.name for s in ed.subjects if not s.accredited]
    assert set(names) == set(graded)  # every subject, and nothing for the accredited English
    for q in questions:
        spec = ed.subject(q.subject)
        assert spec is not None
        if spec.choices is not None:
            assert len(q.choices) == spec.choices, q.id
        if spec.points_per_item is not None:
            assert q.points is None, f"{q.id}: the blueprint fixes the points"
    assert len({q.id for q in questions}) == len(questions)


def test_sample_paper_choice_counts() -> None:
    assert {len(q.choices) for q in sample_questions("loss-adjuster")} == {4}
    for exam_id in ("dentist", "herbal-pharmacist", "customs-broker", "appraiser"):
        assert {len(q.choices) for q in sample_questions(exam_id)} == {5}, exam_id
    physician = sample_questions("physician")
    r_type = [q for q in physician if len(q.choices) >= 8]
    assert len(r_type) == 1 and r_type[0].label_style == "letter"
    assert all(q.points == 1 for q in physician)  # the 2022 split is open: the samples state their points


def test_samples_hold_multiple_and_all_accepted_keys() -> None:
    questions = [q for exam_id in DOMAINS for q in sample_questions(exam_id)]
    assert any(1 < len(q.accepted) < len(q.choices) for q in questions)  # 복수정답
    assert any(q.all_accepted for q in questions)  # 전항정답


def test_dentist_sample_covers_every_floor_group() -> None:
    ed = bp("dentist").edition()
    present = {q.subject for q in sample_questions("dentist")}
    assert all(set(g.subjects) <= present for g in ed.floor_groups)


@pytest.mark.parametrize("exam_id", sorted(DOMAINS))
def test_sample_sheet_grades_with_the_expected_verdict(exam_id: str) -> None:
    bank = load_bank(sample_paper(exam_id))
    sheet = read_sheet(sample_sheet(exam_id), bank)
    assert set(sheet.marks) == {q.id for q in bank.questions}
    report = score(bp(exam_id), bank.questions, sheet.marks, grader=entry(exam_id).domain.grader)
    passed, reasons = SHEET_VERDICTS[exam_id]
    assert (report.passed, report.reasons) == (passed, reasons)
    assert report.edition == bp(exam_id).edition().id


def test_customs_sample_sheet_fails_only_on_the_floor() -> None:
    bank = load_bank(sample_paper("customs-broker"))
    sheet = read_sheet(sample_sheet("customs-broker"), bank)
    report = score(bp("customs-broker"), bank.questions, sheet.marks)
    assert report.total.passed and report.total.percent == 75
    assert [s.name for s in report.subjects if not s.passed] == ["회계학"]
    assert not report.complete  # 12 of 160 items: a partial paper, and the report says so
    assert any("부분 시험지" in n for n in report.notes)


def test_sample_sheets_show_blanks_and_double_marks() -> None:
    statuses = set()
    for exam_id in DOMAINS:
        bank = load_bank(sample_paper(exam_id))
        sheet = read_sheet(sample_sheet(exam_id), bank)
        report = score(bp(exam_id), bank.questions, sheet.marks)
        statuses |= {i.status for i in report.items}
        assert any(len(m) == 2 for m in sheet.marks.values()), exam_id
    assert statuses == {"correct", "wrong", "blank", "multiple"}


# ------------------------------------------------------------------------------------------ prompts


@pytest.mark.parametrize("exam_id", sorted(DOMAINS))
def test_prompts_render_every_sample_question(exam_id: str) -> None:
    e = entry(exam_id)
    prompts = load_prompts(e.domain.prompts)
    assert e.domain.prompts.name == DOMAINS[exam_id]
    for q in sample_questions(exam_id):
        system, user = prompts.render(e.blueprint, q)
        assert system["role"] == "system" and "전문가" in system["content"]
        assert e.blueprint.name_ko in system["content"]
        text = user["content"]
        assert q.stem in text and q.subject in text
        assert all(c in text for c in q.choices)
        assert text.splitlines().count("정답: N") == 1
        assert f"1부터 {len(q.choices)}까지" in text
        assert ("A는 1" in text) == (q.label_style == "letter")
