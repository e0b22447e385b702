"""Cohort reports: terminal, Markdown, HTML and the per-student CSV; student names are user input."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from examqa.banks import Bank, load_bank
from examqa.cohort import Cohort, grade_cohort
from examqa.reports._cohort import cohort_csv, cohort_markdown, print_cohort, sparkline, spreadsheet_safe
from examqa.reports._cohort_html import cohort_html
from helpers import loss_adjuster_rows, write_native_bank

IDS = [f"S{s}-{k}" for s in range(3) for k in range(1, 5)]
NASTY = ["=HYPERLINK(\"http://x\",\"y\")", "+1+2", "-3", "@SUM(A1)", "\tTAB", "<script>alert(1)</script>",
         'Kim "Quote", Jr.', "이|파이프"]


@pytest.fixture
def bank(tmp_path: Path) -> Bank:
    return load_bank(write_native_bank(tmp_path / "bank.jsonl", loss_adjuster_rows(4)))


@pytest.fixture
def cohort(bank: Bank) -> Cohort:
    keys = [(k % 4) + 1 for _ in range(3) for k in range(4)]  # the bank's keys, in IDS order
    rows = []
    for n, name in enumerate(NASTY):
        right = n + 4  # 4 … 11 correct
        rows.append((name, {qid: key if i < right else (key % 4) + 1 for i, (qid, key) in enumerate(zip(IDS, keys,
                                                                                                       strict=True))}))
    return grade_cohort("loss-adjuster", bank, rows)


def test_csv_export_is_safe_in_a_spreadsheet(cohort: Cohort) -> None:
    rows = list(csv.reader(io.StringIO(cohort_csv(cohort))))
    header, body = rows[0], rows[1:]
    assert header[:5] == ["student", "passed", "failed_by", "percent", "total_points"]
    assert "points:보험업법" in header and "to_pass:손해사정이론" in header
    assert len(body) == len(NASTY)
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    names = [r[0] for r in body]
    assert names[:5] == ["'=HYPERLINK(\"http://x\",\"y\")", "'+1+2", "'-3", "'@SUM(A1)", "TAB"]  # names are stripped
    assert names[6] == 'Kim "Quote", Jr.'  # quoted by the CSV writer, read back whole
    for row, r in zip(body, cohort.results(), strict=True):
        assert row[1] == ("PASS" if r.passed else "FAIL")
        need = "" if r.to_pass is None else str(r.to_pass.items)
        assert row[header.index("to_pass")] == need
        if r.to_pass is not None:
            assert sum(int(row[header.index(f"to_pass:{s}")]) for s in r.points) == r.to_pass.items


@pytest.mark.parametrize(("cell", "safe"), [("=1", "'=1"), ("plain", "plain"), ("", ""), ("3", "3"),
                                            ("-", "'-"), ("\r", "'\r"), ("\tx", "'\tx"), ("김=", "김=")])
def test_spreadsheet_safe(cell: str, safe: str) -> None:
    assert spreadsheet_safe(cell) == safe


def test_html_escapes_every_student_name_and_is_self_contained(cohort: Cohort) -> None:
    page = cohort_html(cohort)
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Kim &quot;Quote&quot;, Jr." in page
    assert not re.search(r"""(src|href)=["']?https?:""", page)  # no external asset
    assert "<link" not in page
    assert page.count("<svg") >= 1 + len(cohort.summary.subjects)  # pass-rate ring + one histogram each
    assert "40% 과락선" in page


def test_html_says_what_it_takes_each_student(cohort: Cohort) -> None:
    page = cohort_html(cohort)
    for r in cohort.results():
        if not r.passed and r.to_pass is not None:
            first = next(iter(r.to_pass.by_subject.items()))
            assert f"{r.to_pass.items}개: {first[0]} {first[1]}" in page


def test_markdown_and_terminal(cohort: Cohort) -> None:
    md = cohort_markdown(cohort)
    s = cohort.summary
    assert f"응시 {s.students:,}명 · 합격 {s.passed:,}명" in md
    assert "| 과목 | 문항 | 평균 %" in md and "## 문항 통계" in md
    buffer = io.StringIO()
    print_cohort(cohort, Console(file=buffer, width=160))
    text = buffer.getvalue()
    assert f"합격 {s.passed:,}명" in text and "과목별 분포" in text


def test_sparkline() -> None:
    assert sparkline([0, 1, 8]) == " ▂█"
    assert sparkline([0, 0]) == "  "
    assert sparkline([5, 5]) == "██"
