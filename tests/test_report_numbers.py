"""Numbers people read: every report writes a figure beside its line on the verdict's side of it.

A loss-adjuster paper of 9, 13 and 17 items: 5, 7 and 12 right is a mean of 59.9966 % — a FAIL that plain
rounding writes as 60.00 (two places) or 60.0 (one). Each renderer — terminal, Markdown, HTML; sheet, run,
suite, comparison, cohort — and the reasons must write 59.99, and the same figure everywhere.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

import examqa
from examqa.banks import load_bank
from examqa.exams import load_exam, score
from examqa.reports import (
    cohort_html,
    cohort_markdown,
    comparison_html,
    comparison_markdown,
    print_cohort,
    print_report,
    print_suite,
    suite_html,
    suite_markdown,
    to_html,
    to_markdown,
    verdict_line,
)
from helpers import LOSS_SUBJECTS, answer_text, write_native_bank

SIZES = (9, 13, 17)
RIGHT = (5, 7, 12)  # 55.56 %, 53.85 %, 70.59 %: mean 59.9966 %
SHOWN = re.compile(r"(?<![\d.])59\.99(?![\d])")
CROSSED = re.compile(r"(?<![\d.])60\.00?(?![\d])")  # 60.0 or 60.00: the rounded value on the wrong side


def rows(sizes: tuple[int, ...] = SIZES) -> list[dict[str, Any]]:
    out = []
    for s, (subject, n) in enumerate(zip(LOSS_SUBJECTS, sizes, strict=True)):
        for k in range(n):
            out.append({"id": f"S{s}-{k + 1}", "subject": subject, "number": k + 1, "year": 2024,
                        "stem": f"{subject} 시험용 문항 {k + 1}", "choices": [f"보기 {c}" for c in range(1, 5)],
                        "answer": (k % 4) + 1})
    return out


def marks(right: tuple[int, ...], sizes: tuple[int, ...] = SIZES) -> dict[str, int]:
    """The first ``right[s]`` items of each subject right, the others wrong."""
    out = {}
    for s, (n, k) in enumerate(zip(sizes, right, strict=True)):
        for i in range(n):
            key = (i % 4) + 1
            out[f"S{s}-{i + 1}"] = key if i < k else key % 4 + 1
    return out


@pytest.fixture(scope="module")
def bank_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_native_bank(tmp_path_factory.mktemp("bank") / "bank.jsonl", rows())


@pytest.fixture(scope="module")
def report(bank_path: Path) -> examqa.Report:
    sheet = bank_path.parent / "sheet.csv"
    sheet.write_text("id,answer\n" + "".join(f"{k},{v}\n" for k, v in marks(RIGHT).items()), encoding="utf-8")
    return examqa.grade_sheet("loss-adjuster", bank_path, sheet)


def visible(page: str) -> str:
    """An HTML page's text: what a reader sees (and the tooltips), not the stylesheet or SVG coordinates."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", " ", page, flags=re.S))


def terminal(render: Any, value: Any) -> str:
    buffer = io.StringIO()
    render(value, Console(file=buffer, width=240, color_system=None))
    return buffer.getvalue()


def test_the_sheet_is_a_fail_a_hair_under_the_line(report: examqa.Report) -> None:
    assert not report.passed and report.total.percent == 59.9966  # the JSON keeps four places, unchanged


def test_the_reason_and_the_verdict_line_write_one_figure_under_the_line(report: examqa.Report) -> None:
    assert report.reasons == ("평균 59.99점 < 60점",)
    assert report.reasons_en == ("mean 59.99 < 60 points",)
    assert "평균 59.99% (기준 60%)" in verdict_line(report)


@pytest.mark.parametrize("render", ["terminal", "markdown", "html"])
def test_every_sheet_renderer_writes_59_99(report: examqa.Report, render: str) -> None:
    text = {"terminal": lambda: terminal(print_report, report), "markdown": lambda: to_markdown(report),
            "html": lambda: visible(to_html(report))}[render]()
    assert SHOWN.search(text), text
    assert not CROSSED.search(text), CROSSED.search(text)


def test_the_terminal_and_markdown_tables_agree(report: examqa.Report) -> None:
    md = to_markdown(report)
    table = terminal(print_report, report)
    for figure in ("55.56", "53.85", "70.59", "59.99", "17.5", "97.5"):
        assert figure in md and figure in table, figure


@pytest.fixture(scope="module")
def runs(bank_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("runs")
    out = []
    for name, right in (("weak", RIGHT), ("strong", SIZES)):
        script = {qid: answer_text(choice) for qid, choice in marks(right).items()}
        backend = examqa.backend("scripted", script=script)
        examqa.evaluate("loss-adjuster", bank_path, backend, out=folder / name)
        out.append(folder / name)
    return out[0], out[1]


def test_a_comparison_writes_the_weak_run_under_the_line(runs: tuple[Path, Path]) -> None:
    c = examqa.compare(list(runs), labels=["weak", "strong"])
    for text in (comparison_markdown(c), visible(comparison_html(c))):
        assert SHOWN.search(text)
        assert not CROSSED.search(text), CROSSED.search(text)


def test_a_suite_writes_the_fail_under_the_line(bank_path: Path, tmp_path: Path) -> None:
    script = {qid: answer_text(choice) for qid, choice in marks(RIGHT).items()}
    suite = examqa.evaluate_suite("loss-adjuster", bank_path, examqa.backend("scripted", script=script),
                                  out=tmp_path / "suite")
    assert suite.rows[0].percent == 59.9966 and not suite.rows[0].passed
    for text in (suite_markdown(suite), visible(suite_html(suite)), terminal(print_suite, suite)):
        assert SHOWN.search(text)
        assert not CROSSED.search(text), CROSSED.search(text)
    assert "+13.85pp 보험계약법" in suite_markdown(suite)  # the weakest subject's margin to its floor


def test_a_cohort_row_reads_59_99_not_60_0(bank_path: Path) -> None:
    cohort = examqa.grade_cohort("loss-adjuster", bank_path, [("하나", marks(RIGHT)), ("둘", marks(SIZES))])
    page = cohort_html(cohort)
    row = re.search(r"<tr><td>하나</td>.*?</tr>", page)
    assert row is not None and SHOWN.search(visible(row.group(0))), row
    assert not CROSSED.search(visible(row.group(0)))
    for text in (cohort_markdown(cohort), terminal(print_cohort, cohort)):
        assert not CROSSED.search(text)


# --------------------------------------------------------------------------------------------- for any sheet

CELL = re.compile(r"^\| (?P<name>[^|]+?) \|(?:[^|]*\|){5} (?:\*\*)?(?P<percent>[\d.]+)(?:\*\*)? \| "
                  r"(?P<line>[\d.]+%?) \| (?P<result>\S+) \|$")


@settings(max_examples=60, deadline=None)
@given(sizes=st.tuples(*[st.integers(min_value=3, max_value=23)] * 3), data=st.data())
def test_any_sheet_shows_every_figure_on_its_side(sizes: tuple[int, int, int], data: st.DataObject) -> None:
    blueprint = load_exam("loss-adjuster").blueprint
    questions = load_bank_rows(sizes)
    right = tuple(data.draw(st.integers(min_value=0, max_value=n)) for n in sizes)
    report = score(blueprint, questions, {k: (v,) for k, v in marks(right, sizes).items()})
    exact = [Fraction(100 * k, n) for k, n in zip(right, sizes, strict=True)]
    mean = sum(exact, Fraction(0)) / 3
    found = [m.groupdict() for line in to_markdown(report).splitlines() if (m := CELL.match(line))]
    assert len(found) == 4  # three subjects and the mean
    for cells, value in zip(found, exact, strict=False):
        assert (Decimal(cells["percent"]) >= 40) == (value >= 40), (cells, value)
    total = found[-1]
    assert (Decimal(total["percent"]) >= 60) == (mean >= 60) == report.total.passed, (total, mean)
    for reason in report.reasons:  # "X 2.5점 < 3점": the figure stays under its line
        shown, at = re.search(r"([\d.]+)점 < ([\d.]+)점", reason).groups()  # type: ignore[union-attr]
        assert Decimal(shown) < Decimal(at), reason


_QUESTIONS: dict[tuple[int, ...], Any] = {}


def load_bank_rows(sizes: tuple[int, ...]) -> Any:
    """The questions of a paper with ``sizes`` items per subject (read once per shape)."""
    if sizes not in _QUESTIONS:
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            _QUESTIONS[sizes] = load_bank(write_native_bank(Path(folder) / "b.jsonl", rows(sizes))).questions
    return _QUESTIONS[sizes]
