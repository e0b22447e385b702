"""Exact stays exact: points are Fractions in Python and exact in JSON, and whoever reads a stored report
(compare, suite, cohort placement, report/rescore) reads exactly the points it was written with.

Before, points were written as floats even by ``model_dump()``: 110/3 became 36.666666666666664, read back
as 36666666666666664/10^15, and a cohort placement truncated 110/3 points at 3 units a point to 109 units.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import examqa
from examqa.cohort import grade_cohort
from examqa.exams.models import Marks, Question, fraction_out, to_fraction
from examqa.exams.plugins import registry
from examqa.exams.report import Report
from examqa.exams.scoring import score
from examqa.runs import report_run, rescore_run
from helpers import LOSS_SUBJECTS, loss_adjuster_rows, write_native_bank

LOSS = registry()["loss-adjuster"]


# ------------------------------------------------------------------------------------------ the JSON forms

@pytest.mark.parametrize(("points", "written"), [
    (Fraction(7), "7"),
    (Fraction(5, 2), "2.5"),
    (Fraction(75, 2), "37.5"),
    (Fraction(-1, 4), "-0.25"),
    (Fraction(1, 1024), "0.0009765625"),
    (Fraction(110, 3), '"110/3"'),
    (Fraction(10, 7), '"10/7"'),
    (Fraction(1, 3 * 2**70), f'"1/{3 * 2**70}"'),
    (Fraction(1, 2**60), f'"1/{2**60}"'),  # terminates, but no float's shortest text is that decimal
])
def test_points_are_written_exactly_and_read_back(points: Fraction, written: str) -> None:
    assert json.dumps(fraction_out(points)) == written
    assert to_fraction(json.loads(written)) == points


@pytest.mark.parametrize(("stored", "points"), [
    (36.666666666666664, Fraction(110, 3)),   # 110/3 as examqa 0.2 wrote it
    (3.3333333333333335, Fraction(10, 3)),
    (0.1, Fraction(1, 10)),
    (37.5, Fraction(75, 2)),
    (1e-07, Fraction(1, 10**7)),
    ("110/3", Fraction(110, 3)),
    (" 5/2 ", Fraction(5, 2)),
])
def test_reports_written_before_are_read_exactly(stored: Any, points: Fraction) -> None:
    assert to_fraction(stored) == points


def _paper(points: list[Fraction], year: int = 2024) -> list[Question]:
    out = []
    for index, value in enumerate(points):
        subject = LOSS_SUBJECTS[index % len(LOSS_SUBJECTS)]
        out.append(Question(id=f"Q{index}", subject=subject, number=index + 1, year=year, stem="문항",
                            choices=("1", "2", "3", "4"), accepted=frozenset({1}), points=value))
    return out


POINTS = st.sampled_from([Fraction(1), Fraction(5, 2), Fraction(10, 3), Fraction(20, 7), Fraction(1, 6),
                          Fraction(4), Fraction(7, 3)])
MARKS = st.sampled_from([(1,), (2,), (), (1, 2)])


@st.composite
def reports(draw: st.DrawFn) -> Report:
    points = draw(st.lists(POINTS, min_size=3, max_size=30))
    questions = _paper(points)
    marks: dict[str, Marks] = {q.id: draw(MARKS) for q in questions}
    return score(LOSS.blueprint, questions, marks)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reports())
def test_any_report_to_json_and_back_is_equal(report: Report) -> None:
    text = report.model_dump_json()
    again = Report.model_validate_json(text)
    assert again == report
    assert again.model_dump_json() == text
    assert Report.model_validate(report.model_dump()) == report  # Python mode: the same exact forms
    for part in (again.total, *again.subjects):
        assert isinstance(part.points, Fraction)


def test_ordinary_reports_keep_their_json() -> None:
    """Where every value terminates, the JSON is what examqa 0.2 wrote: numbers, the same floats."""
    questions = _paper([Fraction(5, 2)] * 12)
    report = score(LOSS.blueprint, questions, {q.id: (1,) if i % 3 else (2,) for i, q in enumerate(questions)})
    data = json.loads(report.model_dump_json())
    for part, written in ((report.total, data["total"]), *zip(report.subjects, data["subjects"], strict=True)):
        for name in ("points", "max_points", "floor_points"):
            value = getattr(part, name, None)
            if value is None:
                continue
            assert type(written[name]) is (int if value.denominator == 1 else float)
            assert written[name] == value.numerator / value.denominator
    assert all(type(i["points"]) in (int, float) for i in data["items"])


def test_the_schema_says_points_may_be_an_exact_fraction() -> None:
    schema = Report.model_json_schema(mode="serialization")
    points = schema["$defs"]["SubjectResult"]["properties"]["points"]
    assert {"type": "integer"} in points["anyOf"] and {"type": "number"} in points["anyOf"]
    text = next(p for p in points["anyOf"] if p.get("type") == "string")
    assert text["pattern"] == r"^-?\d+/\d+$"


# ------------------------------------------------------------------------------------------ cohort placement

def test_a_run_is_placed_with_its_exact_points(tmp_path: Path) -> None:
    """110/3 points at 3 units a point are 110 units: the run ties the students with the same points."""
    questions = _paper([Fraction(10, 3)] * 36)  # 12 items of 10/3 points per subject
    first = [q for q in questions if q.subject == LOSS_SUBJECTS[0]]

    def sheet(right_in_first: int) -> dict[str, int]:
        return {q.id: 1 if (q.subject != LOSS_SUBJECTS[0] or first.index(q) < right_in_first) else 2
                for q in questions}

    students = [(f"s{i}", sheet(right)) for i, right in enumerate([10, 10, 10, 11, 11, 11, 12, 12, 12])]
    run = score(LOSS.blueprint, questions, {k: (v,) for k, v in sheet(11).items()})
    assert run.subjects[0].points == Fraction(110, 3)  # as a float, 36.666666666666664: 109.99… units
    path = tmp_path / "report.json"
    path.write_text(run.model_dump_json(), encoding="utf-8")
    cohort = grade_cohort(LOSS, examqa.Bank(questions=tuple(questions), origin={}, format="native", files=()),
                          students, run=path)
    placed = cohort.summary.placement
    assert placed is not None
    assert placed.subjects[0].points == Fraction(110, 3)
    assert placed.subjects[0].percentile == pytest.approx(100 * (3 + 3 / 2) / 9)  # 3 below, 3 tied


# ------------------------------------------------------------------------------------------ stored runs

def _bank(tmp_path: Path, thirds: list[bool]) -> Path:
    rows = loss_adjuster_rows(per_subject=4)
    for row, third in zip(rows, thirds, strict=True):
        row["points"] = "10/3" if third else 2.5
    return write_native_bank(tmp_path / "bank.jsonl", rows)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(thirds=st.lists(st.booleans(), min_size=12, max_size=12),
       answers=st.lists(st.integers(1, 4), min_size=12, max_size=12))
def test_any_rescoring_of_a_stored_run_gives_the_stored_verdict(tmp_path_factory: pytest.TempPathFactory,
                                                                 thirds: list[bool], answers: list[int]) -> None:
    tmp_path = tmp_path_factory.mktemp("run")
    bank = _bank(tmp_path, thirds)
    rows = loss_adjuster_rows(per_subject=4)
    outputs = {row["id"]: f"검토했다.</think>\n\n정답: {a}" for row, a in zip(rows, answers, strict=True)}
    run = tmp_path / "run"
    made = examqa.evaluate("loss-adjuster", bank, examqa.backend("scripted", script=outputs), out=run)
    stored = Report.model_validate_json((run / "report.json").read_text(encoding="utf-8"))
    assert stored == made
    again = report_run(run)
    assert (again.passed, again.total, again.subjects) == (made.passed, made.total, made.subjects)
    rescored, changed = rescore_run(run)
    assert changed == 0
    assert (rescored.passed, rescored.total, rescored.subjects) == (made.passed, made.total, made.subjects)
    pair = examqa.compare([run, run]).pairs[0]
    assert pair.baseline_passed is made.passed
    assert pair.total.baseline_points == made.total.points
    assert [s.baseline_points for s in pair.subjects] == [s.points for s in made.subjects]
