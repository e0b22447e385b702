"""One look for every HTML report: the sheet, a run, the suite, a comparison and the cohort are built from the
same parts — one stylesheet, one header naming exam, model, mode and protocol, the same verdict badges and
charts — self-contained (no script, nothing fetched), printable, and every outside string escaped."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

import examqa
from examqa.reports import cohort_html, comparison_html, suite_html, to_html
from examqa.reports._parts import CSS
from helpers import answer_text, loss_adjuster_rows, write_native_bank

NASTY = '<script>alert(1)</script><img src=x onerror=alert(2)> "quoted" & co'


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("design")
    rows = loss_adjuster_rows(8)
    bank = write_native_bank(folder / "bank.jsonl", rows)

    def script(request: examqa.backends.GenRequest, sampling: examqa.backends.Sampling) -> str:
        qid = request.key.rpartition("#")[0]
        row = next(r for r in rows if r["id"] == qid)
        right = sampling.thinking or int(qid.rpartition("-")[2]) % 3 == 0  # thinking gets every item right
        return answer_text(row["answer"] if right else row["answer"] % 4 + 1)

    backend = examqa.backend("scripted", script=script, model=NASTY)
    suite = examqa.evaluate_suite("loss-adjuster", bank, backend, out=folder / "suite",
                                  modes=("reasoning", "non-reasoning"))
    run = folder / "suite" / "loss-adjuster" / "reasoning"
    comparison = examqa.compare([folder / "suite" / "loss-adjuster" / "non-reasoning", run],
                                labels=["non-reasoning " + NASTY, "reasoning"])
    sheet = folder / "sheet.csv"
    sheet.write_text("id,answer\n" + "".join(f"{r['id']},{r['answer']}\n" for r in rows[:20]), encoding="utf-8")
    good = {r["id"]: r["answer"] for r in rows}
    cohort = examqa.grade_cohort("loss-adjuster", bank, [(NASTY, good), ("Kim", {**good, "S0-1": 1})], run=run)
    return {"sheet": to_html(examqa.grade_sheet("loss-adjuster", bank, sheet)),
            "run": (run / "report.html").read_text(encoding="utf-8"), "suite": suite_html(suite),
            "suite file": (folder / "suite" / "suite-report.html").read_text(encoding="utf-8"),
            "compare": comparison_html(comparison), "cohort": cohort_html(cohort)}


KINDS = ["sheet", "run", "suite", "suite file", "compare", "cohort"]


@pytest.mark.parametrize("kind", KINDS)
def test_one_stylesheet(pages: dict[str, str], kind: str) -> None:
    styles = re.findall(r"<style>(.*?)</style>", pages[kind], re.S)
    assert styles == [CSS], "every report carries the one stylesheet, and only it"
    assert "@media print" in CSS and "break-inside:avoid" in CSS and "print-color-adjust:exact" in CSS


@pytest.mark.parametrize("kind", KINDS)
def test_self_contained(pages: dict[str, str], kind: str) -> None:
    page = pages[kind]
    assert page.startswith("<!doctype html>")
    assert "<script" not in page and "<link" not in page and "@import" not in page and "url(" not in page
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)  # nothing fetched
    links = re.findall(r'href="([^"]*)"', page)
    assert all(not re.match(r"[a-z]+:", link) for link in links), links  # relative links only (a suite's runs)
    if kind != "sheet":  # a model name, a run label, a student: the outside string, escaped
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("kind", KINDS)
def test_well_formed(pages: dict[str, str], kind: str) -> None:
    class Balance(HTMLParser):
        VOID = frozenset({"meta", "br", "img", "input", "link", "hr", "line", "rect", "circle"})

        def __init__(self) -> None:
            super().__init__()
            self.stack: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag not in self.VOID:
                self.stack.append(tag)

        def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            pass

        def handle_endtag(self, tag: str) -> None:
            if tag in self.VOID:
                return
            assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
            self.stack.pop()

    parser = Balance()
    parser.feed(pages[kind])
    assert parser.stack == []


@pytest.mark.parametrize(("kind", "facts"), [
    ("sheet", ("exam", "edition")),
    ("run", ("exam", "edition", "model", "mode", "protocol")),
    ("suite", ("model", "modes", "protocol")),
    ("compare", ("exam", "edition", "model", "mode", "protocol")),
    ("cohort", ("exam", "edition", "students", "model placed")),
])
def test_one_header(pages: dict[str, str], kind: str, facts: tuple[str, ...]) -> None:
    header = re.search(r'<header class="page">.*?</header>', pages[kind], re.S)
    assert header is not None
    named = re.findall(r'<span class="fact"><span>([^<]+)</span>', header.group(0))
    assert set(facts) <= set(named), named
    assert pages[kind].count('<header class="page">') == 1


@pytest.mark.parametrize(("kind", "badges"), [
    ("sheet", {"pass"}), ("run", {"pass"}), ("suite", {"pass", "fail"}), ("compare", {"pass", "fail"}),
])
def test_the_same_verdict_badges(pages: dict[str, str], kind: str, badges: set[str]) -> None:
    found = set(re.findall(r'class="verdict (pass|fail|warn)', pages[kind]))
    assert badges <= found, found


@pytest.mark.parametrize("kind", ["sheet", "run", "suite", "compare", "cohort"])
def test_the_same_chart_vocabulary(pages: dict[str, str], kind: str) -> None:
    page = pages[kind]
    assert '<section class="card ring">' in page  # the verdict ring opens every report
    assert 'aria-label="' in page and page.count("<svg") >= 2
    if kind != "cohort":
        assert "합격선" in page  # the total line drawn across the bars
    assert "과락선" in page or kind == "suite"  # the floor (a suite's chart holds totals only)


def test_an_undecided_verdict_is_drawn_amber_not_as_a_fail() -> None:
    """A comparison or suite badge for a verdict the law leaves open (the bar's 선택형 part, a rank exam whose
    cut is unpublished) is neither the pass nor the fail colour."""
    from examqa.reports._words import pair_state

    assert pair_state(False, "UNDECIDABLE (part of the exam)") is None
    assert pair_state(False, "FAIL → ELIGIBLE") is None
    assert pair_state(False, "ELIGIBLE → FAIL") is False
    assert pair_state(True, "FAIL → PASS") is True
    assert pair_state(False, "FAIL (unchanged)") is False
