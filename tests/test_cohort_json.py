"""A cohort's ``--json`` gives every student exactly the report ``score`` gives that sheet alone (less its items).

The cohort builds those reports from counts taken for all students at once and hands them to
:func:`examqa.exams.scoring.report_from_tallies`, which ``score`` itself calls; these tests hold the two paths
to byte-for-byte equal JSON on merged 과락 groups, 2.5-, 1/2- and 4/3-point items, 교시 set per item,
partial papers, accredited subjects and a named edition.
"""

from __future__ import annotations

import random
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from examqa.banks import Bank
from examqa.cohort import Cohort, grade_cohort
from examqa.exams.models import Blueprint, Marks, Question, to_fraction
from examqa.exams.plugins import Domain, ExamEntry, registry
from examqa.exams.scoring import score
from test_cohort import DENTIST, cohorts, simulated_cells, synthetic


def alone(entry: ExamEntry, questions: list[Question], marks: dict[str, Marks], edition: str | None) -> dict[str, Any]:
    """The single-sheet path's JSON for one student, as ``--json`` prints a cohort's entry."""
    report = score(entry.blueprint, questions, marks, edition=edition, grader=entry.domain.grader)
    return report.model_dump(mode="json", exclude={"items"})


def assert_json_is_score(cohort: Cohort, entry: ExamEntry, questions: list[Question],
                         edition: str | None = None) -> list[dict[str, Any]]:
    """Every student's entry in ``to_json()`` equals ``score`` on the sheet alone; the entries, in order."""
    students = cohort.to_json()["students"]
    assert [s["student"] for s in students] == list(cohort.students)
    for entry_json in students:
        name = entry_json["student"]
        expected = {"student": name, **alone(entry, questions, cohort.marks(name), edition)}
        assert entry_json == expected, name
    first = cohort.students[0]
    assert cohort.student_json(first) == students[0]
    assert cohort.student_json(first, include_items=True) == {
        "student": first, **cohort.report(first).model_dump(mode="json")}
    return students


def _cohort(entry: ExamEntry, questions: list[Question], n: int, seed: int,
            edition: str | None = None) -> Cohort:
    cells = simulated_cells(questions, n, seed)
    rows = [(name, dict(zip([q.id for q in questions], marks, strict=True))) for name, marks in cells]
    bank = Bank(questions=tuple(questions), origin={}, format="native", files=())
    return grade_cohort(entry, bank, rows, edition=edition)


def _dentist() -> tuple[list[Question], str | None]:
    return synthetic(dict.fromkeys(DENTIST, 3), year=2024), None


def _customs() -> tuple[list[Question], str | None]:
    # 2.5 points per item written on every item, 40 per subject: 교시 from the blueprint (1, 1, 2, 2)
    return synthetic(dict.fromkeys(("관세법개론", "무역영어", "내국소비세법", "회계학"), 40), points=Fraction(5, 2),
                     year=2024), None


def _loss_adjuster_partial() -> tuple[list[Question], str | None]:
    # a partial paper (30, 40 and 25 items), 교시 written on some items (overriding the subject's), and
    # accredited English items that are ignored with a note
    questions = synthetic({"보험업법": 30, "보험계약법": 40, "손해사정이론": 25, "영어": 3}, choices=4, year=2024)
    return [q.model_copy(update={"session": 3}) if q.number is not None and q.number % 7 == 0 else q
            for q in questions], None


def _physician_2005() -> tuple[list[Question], str | None]:
    # half-point law items (the blueprint's), 4/3-point items of their own, the edition named
    questions = synthetic({"의학총론": 12, "의학각론": 20, "보건의약관계법규": 10}, year=2005)
    return [q.model_copy(update={"points": Fraction(4, 3)}) if q.subject == "의학총론" and q.number is not None
            and q.number % 3 == 0 else q for q in questions], "2005"


@pytest.mark.parametrize(("exam", "paper", "students"), [
    ("dentist", _dentist, 150),
    ("customs-broker", _customs, 120),
    ("loss-adjuster", _loss_adjuster_partial, 120),
    ("physician", _physician_2005, 100),
])
def test_every_students_json_is_score_on_the_sheet_alone(exam: str, paper: Any, students: int) -> None:
    entry = registry()[exam]
    questions, edition = paper()
    cohort = _cohort(entry, questions, students, seed=len(exam), edition=edition)
    out = assert_json_is_score(cohort, entry, questions, edition)
    # the paper really exercises what the case is for: passes and fails, and the case's feature
    assert {s["passed"] for s in out} == {True, False}
    if exam == "dentist":
        assert any(g["passed"] is False for s in out for g in s["groups"])
    if exam == "customs-broker":
        assert {s["session"] for s in out[0]["sessions"]} == {1, 2}
        assert any(isinstance(sub["points"], float) for s in out for sub in s["subjects"])  # 37.5 and the like
    if exam == "loss-adjuster":
        assert out[0]["complete"] is False and any("영어" in n for n in out[0]["notes"])
        assert {s["session"] for s in out[0]["sessions"]} == {1, 2, 3}
    if exam == "physician":
        assert out[0]["edition"] == "2005"
        # 40/3-point subjects: exact in JSON ("40/3"), where 0.2 wrote 13.333333333333334
        assert any(to_fraction(sub["max_points"]).denominator != 1 for sub in out[0]["subjects"])
        assert "40/3" in [sub["max_points"] for sub in out[0]["subjects"]]


def test_a_wide_csv_cohort_json_is_score(tmp_path: Path) -> None:
    """The path the command line takes: a wide CSV read from disk, double marks and ③ included."""
    entry = registry()["customs-broker"]
    questions, _ = _customs()
    cells = simulated_cells(questions, 60, seed=3)
    wide = tmp_path / "wide.csv"
    wide.write_text("\n".join(["student," + ",".join(q.id for q in questions)]
                              + [name + "," + ",".join(c) for name, c in cells]) + "\n", encoding="utf-8")
    bank = Bank(questions=tuple(questions), origin={}, format="native", files=())
    cohort = grade_cohort(entry, bank, wide)
    assert_json_is_score(cohort, entry, questions)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cohorts())
def test_random_exams_json_is_score(case: tuple[Blueprint, list[Question], list[dict[str, Marks]]]) -> None:
    """Random blueprints: merged groups, both bases, 1-, 2-, 2.5-, 1/2- and 4/3-point items."""
    blueprint, questions, sheets = case
    entry = ExamEntry(blueprint=blueprint, domain=Domain(name="test", blueprints=(blueprint,), prompts=Path(".")))
    bank = Bank(questions=tuple(questions), origin={}, format="native", files=())
    cohort = grade_cohort(entry, bank, [(f"s{i}", m) for i, m in enumerate(sheets)])
    assert_json_is_score(cohort, entry, questions)


def test_reports_differ_where_the_sheets_do() -> None:
    """Not one report copied to every student: two sheets with different marks get different reports."""
    entry = registry()["loss-adjuster"]
    questions = synthetic({"보험업법": 40, "보험계약법": 40, "손해사정이론": 40}, choices=4, year=2024)
    right = {q.id: (min(q.accepted),) for q in questions}
    rng = random.Random(5)
    weak = {q.id: (rng.choice([c for c in (1, 2, 3, 4) if c not in q.accepted]),) for q in questions}
    bank = Bank(questions=tuple(questions), origin={}, format="native", files=())
    out = grade_cohort(entry, bank, [("강", right), ("약", weak)]).to_json()["students"]
    assert out[0]["passed"] is True and out[0]["reasons"] == []
    assert out[0]["to_pass"] == {"items": 0, "by_subject": {}, "target": "pass"}
    assert out[1]["passed"] is False and out[1]["total"]["points"] == 0 and out[1]["to_pass"]["items"] == 72
