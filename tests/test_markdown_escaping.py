"""Every Markdown report escapes text it did not write: rendered to HTML (as viewers do), no tag, link or
table break comes from a model name, label, student, subject, path or note — and the text reads as given."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

import examqa
from examqa.reports import cohort_markdown, comparison_markdown, suite_markdown, to_markdown
from examqa.reports._markdown import md
from helpers import answer_text, loss_adjuster_rows, write_native_bank

NASTY = ("<script>alert(1)</script> <img src=x onerror=alert(2)> | [click](javascript:alert(3)) "
         "*bold* _it_ `code` ~~s~~ &lt;b&gt; \\| <!-- x -->")
"""What a model name, a run label or a student name may hold."""

RENDER = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")


def rendered(markdown: str) -> str:
    return RENDER.render(markdown)


def assert_inert(markdown: str) -> None:
    """Rendered, the page holds no tag, link or emphasis from outside, and the text reads as given."""
    page = rendered(markdown)
    assert "<script" not in page and "<img" not in page and "<!--" not in page, page
    assert not re.search(r"<[^>]*onerror", page) and 'href="javascript' not in page, page
    assert "<em>bold" not in page and "<strong>bold" not in page and "<code>code" not in page, page
    assert "<del>" not in page
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert NASTY in text, "the outside text must read exactly as given"
    tables = [block.splitlines() for block in markdown.split("\n\n") if block.startswith("|")]
    assert tables
    for table in tables:  # every row of a table keeps the header's columns
        widths = {len(re.findall(r"(?<!\\)\|", row)) for row in table}
        assert len(widths) == 1, table


@pytest.mark.parametrize("text", [
    NASTY, "# heading", "- item", "+ item", "1. one", "12) twelve", "> quote", "=====", "---", "- - -", "a\nb",
    "a\r\nb", "tab\there", "plain 한글 EXAONE-4.0-32B", "", "\\", "a | b", "<b>x</b>", "[a]: http://x",
])
def test_md_renders_as_the_text_itself(text: str) -> None:
    assert RENDER.render("- " + md(text)).count("<li>") == 1  # in a list item too: one item, no nested block
    page = RENDER.render(md(text)).strip()
    body = re.sub(r"^<p>|</p>$", "", page)
    assert "<" not in body.replace("&lt;", "")  # no tag, no block: one paragraph of text (or nothing)
    expected = " ".join(text.replace("\r\n", "\n").replace("\t", " ").split("\n")).strip()
    assert html.unescape(body).strip() == expected


@pytest.mark.parametrize("text", ["-10.00pp 회계학", "0.2911 USD", "+40.00pp", "#3 item", "1.5 points", "EXAONE-4.0"])
def test_md_leaves_our_own_figures_as_written(text: str) -> None:
    assert md(text) == text


# --------------------------------------------------------------------------------------------- every report


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_native_bank(tmp_path_factory.mktemp("bank") / "bank.jsonl", loss_adjuster_rows(4))


@pytest.fixture(scope="module")
def two_runs(bank: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("runs")
    rows = loss_adjuster_rows(4)
    out = []
    for name, right in (("a", 6), ("b", 12)):
        script = {r["id"]: answer_text(r["answer"] if i < right else r["answer"] % 4 + 1) for i, r in enumerate(rows)}
        examqa.evaluate("loss-adjuster", bank, examqa.backend("scripted", script=script, model=NASTY),
                        out=folder / name)
        out.append(folder / name)
    return out[0], out[1]


def test_a_run_report(two_runs: tuple[Path, Path]) -> None:
    report = examqa.Report.model_validate_json((two_runs[0] / "report.json").read_text(encoding="utf-8"))
    assert report.run is not None and report.run.model == NASTY
    assert_inert(to_markdown(report))
    assert_inert((two_runs[0] / "report.md").read_text(encoding="utf-8"))  # the file a run writes


def test_a_sheet_report_with_outside_notes(bank: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("id,answer\nS0-1,1\n", encoding="utf-8")
    report = examqa.grade_sheet("loss-adjuster", bank, sheet)
    assert_inert(to_markdown(report.model_copy(update={"notes": (NASTY,), "exam_name": NASTY})))


def test_a_comparison(two_runs: tuple[Path, Path]) -> None:
    c = examqa.compare(list(two_runs), labels=[NASTY, "other " + NASTY])
    assert_inert(comparison_markdown(c))


def test_a_suite(bank: Path, tmp_path: Path) -> None:
    rows = loss_adjuster_rows(4)
    script = {r["id"]: answer_text(r["answer"]) for r in rows}
    suite = examqa.evaluate_suite("loss-adjuster", bank, examqa.backend("scripted", script=script, model=NASTY),
                                  out=tmp_path / "suite", modes=("reasoning", "non-reasoning"))
    assert_inert(suite_markdown(suite))
    assert_inert((tmp_path / "suite" / "suite-report.md").read_text(encoding="utf-8"))


def test_a_cohort(bank: Path) -> None:
    rows = loss_adjuster_rows(4)
    good = {r["id"]: r["answer"] for r in rows}
    cohort = examqa.grade_cohort("loss-adjuster", bank, [("Kim", good), (NASTY, {**good, "S0-1": 9})],
                                 skip_bad=True)
    assert cohort.summary.bad and cohort.summary.bad[0].student == NASTY
    assert_inert(cohort_markdown(cohort))
