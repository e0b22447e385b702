"""A bank's layout is not its exam (issue 16.2): rows in the KIDI papers' question/choices/answer layout —
what many exported datasets look like — belong to the exam their folder or the caller names, in every
reader: a single-exam grade, a cohort, validate, and a suite folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import examqa
from examqa.banks import bank_for_exam, route_bank
from examqa.cli import run_argv
from examqa.errors import InputError

CUSTOMS = {"관세법개론": 1, "무역영어": 2, "내국소비세법": 3, "회계학": 4}


def customs_rows(per_subject: int = 2) -> list[dict[str, Any]]:
    """A customs-broker paper in the KIDI layout (id, year, subject, num, question, choices, answer)."""
    rows = []
    for subject, session in CUSTOMS.items():
        for k in range(1, per_subject + 1):
            rows.append({"id": f"c{session}-{k}", "year": 2024, "round": 41, "subject": subject, "num": k,
                         "question": f"{subject} 시험용 문항 {k}: 옳은 것은?",
                         "choices": [f"{subject} 보기 {c}" for c in range(1, 6)], "answer": (k % 5) + 1})
    return rows


def write_array(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def perfect(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {r["id"]: r["answer"] for r in rows}


def test_a_customs_broker_bank_in_the_kidi_layout_grades_as_customs_broker(tmp_path: Path) -> None:
    rows = customs_rows()
    folder = tmp_path / "papers"
    write_array(folder / "2024_관세법개론.json", rows[:2])
    write_array(folder / "2024_rest.json", rows[2:])
    bank, routed = bank_for_exam(folder, "customs-broker")
    assert routed is None and len(bank.questions) == 8 and bank.format == "loss-adjuster"
    report = examqa.grade_sheet("customs-broker", folder, perfect(rows))
    assert report.exam == "customs-broker" and report.total.percent == 100
    cohort = examqa.grade_cohort("customs-broker", folder, [("가", perfect(rows)), ("나", {})])
    assert cohort.summary.passed == 1 and cohort.summary.students == 2
    assert [p for p in examqa.validate_bank(folder, examqa.load_exam("customs-broker").blueprint)
            if p.severity == "error"] == []


def test_the_command_line_on_such_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = customs_rows()
    folder = tmp_path / "papers"
    write_array(folder / "2024.json", rows)
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("id,answer\n" + "".join(f"{k},{v}\n" for k, v in perfect(rows).items()), encoding="utf-8")
    assert run_argv(["grade", "customs-broker", "--bank", str(folder), "--answers", str(sheet), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["exam"] == "customs-broker"
    assert run_argv(["validate", str(folder), "--exam", "customs-broker"]) == 0


def test_a_suite_folder_in_that_layout_routes_by_folder(tmp_path: Path) -> None:
    root = tmp_path / "bank"
    write_array(root / "customs-broker" / "2024.json", customs_rows())
    write_array(root / "loss-adjuster" / "2020.json", [
        {"id": f"la-{k}", "year": 2020, "subject": "보험업법", "num": k, "question": f"모의 문항 {k}",
         "choices": ["가", "나", "다", "라"], "answer": 1} for k in range(1, 4)])
    routed = route_bank(root)
    assert {e: len(b.questions) for e, b in routed.banks.items()} == {"customs-broker": 8, "loss-adjuster": 3}
    script = {r["id"]: f"검토</think>정답: {r['answer']}" for r in customs_rows()}
    backend = examqa.backend("scripted", script=script, default="검토</think>정답: 1")
    suite = examqa.evaluate_suite("customs-broker,loss-adjuster", root, backend, out=tmp_path / "suite",
                                  temperature=0)
    assert [(r.exam, r.passed) for r in suite.rows] == [("customs-broker", True), ("loss-adjuster", True)]


def test_rows_that_say_nothing_take_their_subjects_exam_or_are_refused(tmp_path: Path) -> None:
    # no folder, several exams asked: 보험업법 is a 손해사정사 subject only, so the row says its exam
    la = tmp_path / "la.json"
    write_array(la, [{"id": "la-1", "year": 2020, "subject": "보험업법", "question": "모의", "choices": ["가", "나"],
                      "answer": 1}])
    assert list(route_bank(la).banks) == ["loss-adjuster"]
    # 회계학 is in several exams' blueprints: a row that says nothing else cannot be placed
    both = write_array(tmp_path / "acc.json", [{"id": "x-1", "subject": "회계학", "question": "모의",
                                                "choices": ["가", "나", "다", "라", "마"], "answer": 1}])
    with pytest.raises(InputError, match="'x-1' does not say which exam"):
        route_bank(both)
    # …unless one exam is asked for
    assert list(route_bank(both, ["appraiser"]).banks) == ["appraiser"]
