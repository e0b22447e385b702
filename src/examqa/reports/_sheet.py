"""Rendering a :class:`~examqa.exams.report.Report` (a sheet, or a model's run): a rich terminal table,
Markdown, and a self-contained HTML page in the reports' one design (:mod:`._parts`).

The three take their rows, words and figures from :mod:`._words`, so a number reads the same in each.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from examqa.exams.report import Report
from examqa.exams.topass import to_pass_line
from examqa.reports._markdown import bold, md, table
from examqa.reports._words import (
    Row,
    basis_word,
    decision_state,
    decision_verdict,
    header_facts,
    line,
    line_text,
    paper_line,
    percent,
    reading_lines,
    run_figures,
    sheet_rows,
    verdict_line,
)

if TYPE_CHECKING:
    from examqa.exams.report import ItemResult

__all__ = ["paper_line", "print_report", "reading_lines", "to_html", "to_markdown", "verdict_line"]

HEAD = ("과목 Subject", "교시", "문항", "정답", "점수", "만점", "%")


def _floor_head(report: Report) -> str:
    return f"{line(report.total.floor_percent)}% 선"


def _styled(text: str, style: str) -> Text:
    """``[style]text[/]`` without parsing markup: the style on the words, not on the cell's padding."""
    out = Text()
    out.append(text, style=style)
    return out


# --------------------------------------------------------------------------------------------- terminal


def print_report(report: Report, console: Console) -> None:
    """The subject table, the total against its line, the verdict, reasons and notes."""
    # Text, not markup strings, and emoji=False: the first :code: rich looks for imports its table of
    # 4,000 emoji (~10 ms, 3 % of grading a sheet); no exam name, reason or note means one, and a subject
    # name with [brackets] must not be read as markup. The output is the same, colours included.
    table_ = Table(title=Text(f"{report.exam_name} · {report.exam_name_en} · edition {report.edition}",
                              style="table.title"))
    table_.add_column(Text(HEAD[0]))
    for head in (*HEAD[1:], _floor_head(report)):
        table_.add_column(Text(head), justify="right")
    table_.add_column(Text("결과"), justify="center")
    for row in sheet_rows(report):
        undecided = row.kind == "total" and not report.decided and row.passed
        result = _styled(row.result, "yellow" if undecided or (row.kind == "total" and report.decision == "part_only")
                         else "green" if row.passed else "red")
        if row.kind == "subject":
            name = Text(row.name)
            if row.group:  # pooled: the group row below decides
                name.append(" ")
                name.append("ᴳ", style="dim")
            cells = (row.session, row.items, row.correct, row.points, row.max_points, row.percent, row.line)
            table_.add_row(name, *map(Text, cells), result)
        elif row.kind == "group":
            table_.add_row(_styled(f"ᴳ 합산 {row.name}", "italic"), Text(), Text(), Text(), Text(row.points),
                           Text(row.max_points), Text(row.percent), Text(row.line), result)
        else:
            table_.add_row(_styled(f"{row.name} {row.name_en}", "bold"), Text(), Text(row.items),
                           Text(row.correct), _styled(row.points, "bold"), Text(row.max_points),
                           _styled(row.percent, "bold"), Text(row.line), result, end_section=True)
    console.print(table_)
    if report.run is not None:
        figures = run_figures(report, readings=False)
        console.print(" · ".join(f"{k} {v}" for k, v in figures), markup=False, highlight=False, emoji=False)
        for reading in reading_lines(report):
            console.print(f"  {reading}", markup=False, highlight=False, emoji=False)
    style = "bold green" if report.passed else "bold red" if report.decision == "fail" else "bold yellow"
    console.print(verdict_line(report), style=style, markup=False, highlight=False, emoji=False)
    if (paper := paper_line(report)) is not None:
        console.print(f"  {paper}", markup=False, highlight=False, emoji=False)
    for reason in report.reasons_en:
        console.print(f"  · {reason}", markup=False, highlight=False, emoji=False)
    if (need := to_pass_line(report.to_pass, report.passed)) is not None:
        console.print(f"  → {need}", style="bold", markup=False, highlight=False, emoji=False)
    for note in report.notes:
        console.print(f"  note: {note}", style="dim", markup=False, highlight=False, emoji=False)


# --------------------------------------------------------------------------------------------- Markdown


def _md_row(row: Row) -> list[str]:
    if row.kind == "subject":
        group = f" ({md(row.group)})" if row.group else ""
        name = f"{md(row.name)} · {md(row.name_en)}{group}"
        return [name, row.session, row.items, row.correct, row.points, row.max_points, row.percent, row.line,
                row.result]
    if row.kind == "group":
        return [f"합산 {md(row.name)}", "", "", "", row.points, row.max_points, row.percent, row.line, row.result]
    return [bold(f"{row.name} {row.name_en}"), "", row.items, row.correct, bold(row.points), row.max_points,
            bold(row.percent), row.line, row.result]


def to_markdown(report: Report) -> str:
    """The report as Markdown: header facts, verdict, subject table, run figures, reasons and notes."""
    out = [f"# {md(report.exam_name)} ({md(report.exam_name_en)}) — {decision_verdict(report)}", "",
           " · ".join(f"{k} **{md(v)}**" for k, v in header_facts(report)), "",
           md(verdict_line(report)), "", f"Pass rule: {md(report.pass_rule)}", ""]
    if (paper := paper_line(report)) is not None:
        out += [md(paper), ""]
    out += table([*HEAD, _floor_head(report), "결과"], "lrrrrrrrc", (_md_row(r) for r in sheet_rows(report)))
    if report.run is not None:
        out += ["", "## Run", ""]
        out += table(["", ""], "ll", ([md(k), md(v)] for k, v in run_figures(report)))
    if report.reasons:
        out += ["", "## Reasons", ""] + [f"- {md(k)} — {md(e)}" for k, e in zip(report.reasons, report.reasons_en,
                                                                                 strict=True)]
    if (need := to_pass_line(report.to_pass, report.passed)) is not None:
        out += ["", bold(md(need))]
    if report.notes:
        out += ["", "## Notes", ""] + [f"- {md(n)}" for n in report.notes]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------- HTML

def _outcomes() -> dict[str, tuple[str, str, str]]:
    """How an item ended → (colour, Korean, English), in the palette of :mod:`._parts` — imported here, not
    at the top, so that a sheet graded at the shell (the table, no HTML) never loads it."""
    from examqa.reports._parts import AMBER, GREEN, INK, ORANGE, RED

    blank = "#c9d0de"  # no palette colour: lighter than GREY, darker than TRACK
    return {"correct": (GREEN, "정답", "correct"), "wrong": (RED, "오답", "wrong"),
            "blank": (blank, "무응답", "blank"), "no_answer": (blank, "답 없음", "no answer"),
            "multiple": (ORANGE, "복수 표기", "multiple marks"), "truncated": (AMBER, "잘림", "truncated"),
            "error": (INK, "오류", "error")}


def _outcome(item: ItemResult) -> str:
    return item.outcome or item.status


def _subject_chart(report: Report, rows: list[Row]) -> str:
    from examqa.reports._parts import GREEN, INK, RED, Bar, BarChart, BarGroup, Line

    groups = []
    for row in rows:
        label = row.name if row.kind != "group" else f"합산 {row.name}"
        sub = row.name_en if row.kind == "subject" else ("merged 과락 group" if row.kind == "group" else "")
        title = f"{row.name}: {row.points} / {row.max_points}점 ({row.percent}%) — {row.result}"
        bar = Bar(float(row.value), f"{row.percent}%", GREEN if row.passed else RED,
                  faded=row.kind == "subject" and row.group is not None, title=title)
        groups.append(BarGroup(label, [bar], sub=sub, strong=row.kind == "total"))
    t = report.total
    lines = [Line(float(t.floor_percent), f"{line(t.floor_percent)}% 과락선", RED)]
    if t.threshold_percent and report.decision != "part_only":  # no total line: 법무사 without a cut, a part
        lines.append(Line(float(t.threshold_percent), f"{line(t.threshold_percent)}% 합격선", INK, "8 4"))
    return BarChart(groups, lines, bar=22, caption="subject scores").svg()


def _items_html(report: Report) -> str:
    from examqa.reports._parts import esc, squares

    outcomes = _outcomes()
    by_subject: dict[str, list[ItemResult]] = {}
    for i in report.items:
        by_subject.setdefault(i.subject, []).append(i)
    rows = []
    for subject, items in by_subject.items():
        cells = [(outcomes.get(_outcome(i), outcomes["error"])[0],
                  f"{i.id}: {outcomes.get(_outcome(i), ('', _outcome(i), ''))[1]} — 표기 "
                  f"{','.join(map(str, i.marks)) or '—'} · 정답 {','.join(map(str, i.accepted))}") for i in items]
        right = sum(1 for i in items if i.status == "correct")
        rows.append(f'<div class="itemrow"><div><b>{esc(subject)}</b> <small>{right}/{len(items)}</small></div>'
                    f"{squares(cells)}</div>")
    seen = Counter(_outcome(i) for i in report.items)
    legend = "".join(f'<li><i style="background:{outcomes[k][0]}"></i>{esc(outcomes[k][1])} {esc(outcomes[k][2])} '
                     f"<b>{seen[k]:,}</b></li>" for k in outcomes if seen.get(k))
    return f'<ul class="legend row">{legend}</ul>' + "".join(rows)


def _item_table(report: Report) -> str:
    from examqa.reports._parts import INK, Cell, cell, esc, raw
    from examqa.reports._parts import table as html_table

    outcomes = _outcomes()

    def row(i: ItemResult) -> tuple[list[Cell], str]:
        colour, ko, en = outcomes.get(_outcome(i), (INK, _outcome(i), _outcome(i)))
        return [cell(i.id, "id"), cell(i.subject), cell(",".join(map(str, i.marks)) or "—", "c"),
                cell(",".join(map(str, i.accepted)), "c"), cell(_pts(i), "num"),
                raw(f'<span style="color:{colour};font-weight:600">{esc(ko)}</span> <small>{esc(en)}</small>')], ""

    return html_table(["문항 Item", "과목 Subject", ("표기 Marked", "c"), ("정답 Key", "c"), ("점수", "num"),
                       "결과 Outcome"], (row(i) for i in report.items))


def _pts(i: ItemResult) -> str:
    from examqa.reports._words import points

    return f"{points(i.awarded)} / {points(i.points)}"


def to_html(report: Report) -> str:
    """A self-contained HTML page (no script, nothing fetched, printable): verdict ring, key figures, why,
    the subject chart and table, the run's figures, every item."""
    from examqa.reports import _parts as p

    t = report.total
    rows = sheet_rows(report)
    total = rows[-1]
    run = report.run
    title = f"{report.exam_name} — {'모델 채점' if run is not None else '답안지 채점'}"
    said, state = decision_verdict(report), decision_state(report)
    head = p.header(title, f"{report.exam_name_en} · edition {report.edition} · {said}",
                    header_facts(report), p.badge(state, said, big=True))
    floors_failed = sum(1 for r in rows if r.kind != "total" and not r.passed and not (r.kind == "subject" and r.group))
    need = to_pass_line(report.to_pass, report.passed)
    items = len(report.items) or sum(s.items for s in report.subjects)
    correct = sum(s.correct for s in report.subjects)
    figures: list[tuple[str, str] | tuple[str, str, str]] = [
        (f"{total.percent}%", f"{basis_word(t.basis)} (기준 {total.line})", "good" if t.passed else "bad"),
        (f"{correct:,} / {items:,}", "정답 correct"),
        (str(floors_failed), f"과락 floors below {line(t.floor_percent)}%", "bad" if floors_failed else "good"),
    ]
    if report.passed:
        units = [r for r in rows if r.kind == "group" or (r.kind == "subject" and r.group is None)]
        weakest = min(units, key=lambda r: r.value, default=None)
        figures.append((f"{percent(weakest.value - t.floor_percent, 0, signed=True)}pp" if weakest else "—",
                        f"여유 margin: {weakest.name if weakest else ''}"))
    else:
        figures.append((f"{report.to_pass.items}개" if need and report.to_pass else "—", "합격까지 정답 to pass"))
    if run is not None:
        if run.pass_probability is not None and run.samples_per_item > 1:
            figures.append((f"{run.pass_probability:.3f}", "P(pass)"))
        else:
            figures.append((f"{run.no_answer_rate:.1%}", "답 없음 no answer"))
        figures.append((f"{run.completion_tokens:,}", "출력 토큰 tokens out"))
    else:
        figures.append((f"{total.points} / {total.max_points}", "점수 points"))
        blank = sum(1 for i in report.items if i.status in ("blank", "multiple"))
        figures.append((f"{blank:,}", "무응답·복수 표기 blank or double"))
    marks = ([(float(t.threshold_percent) / 100, f"{line(t.threshold_percent)}% 합격선")]
             if t.threshold_percent and report.decision != "part_only" else [])
    ring = p.ring(float(total.value) / 100, f"{total.percent}%", basis_word(t.basis),
                  colour=p.GREEN if report.passed else p.RED if report.decision == "fail" else p.AMBER, marks=marks)
    ring_card = (f'<section class="card ring">{ring}<p>{p.badge(state, said)}</p>'
                 f'<p class="muted small">{p.esc(line_text(report))} · '
                 f"과목 {line(t.floor_percent)}%</p></section>")
    if report.decision == "part_only":
        why = (f'<p>{p.esc(next((n for n in report.notes if "undecidable" in n), "판정 불가"))}</p>'
               '<p class="muted small">the multiple-choice part alone decides nothing under the law</p>')
    elif report.decision == "cut_unpublished":
        lines_met = f"모든 과목 {line(t.floor_percent)}% 이상"
        if t.threshold_percent:
            lines_met += f", {basis_word(t.basis)} {line(t.threshold_percent)}% 이상"
        why = (f"<p>{p.esc(lines_met)} — 기준 충족, 합격선 미발표</p><p class=\"muted small\">every statutory line is "
               "met; the exam passes by rank and the year's cut is not published, so the pass is not decided</p>")
    elif report.reasons:
        why = '<ul class="reasons">' + "".join(
            f"<li>{p.esc(k)}<small>{p.esc(e)}</small></li>"
            for k, e in zip(report.reasons, report.reasons_en, strict=True)) + "</ul>"
    else:
        why = (f'<p class="ok">모든 과목 {line(t.floor_percent)}% 이상, {p.esc(basis_word(t.basis))} '
               f"{line(t.threshold_percent)}% 이상 — 합격</p><p class=\"muted small\">every subject clears its "
               f"floor and the {'mean' if t.basis == 'subject_mean' else 'total'} reaches its line</p>")
    if (paper := paper_line(report)) is not None:
        why += f'<p class="muted small">{p.esc(paper)}</p>'
    if need:
        why += f'<p class="topass">{p.esc(need)}</p>'
    if not report.complete:
        why += f'<p>{p.badge(None, "부분 시험지 partial paper")}</p>'
    top = (f'<div class="grid top">{ring_card}{p.card(p.kpis(figures), "결과 요약", "Summary")}'
           f'{p.card(why, "판정 근거", "Why")}</div>')
    table_rows = []
    for row in rows:
        name = (f"{p.esc(row.name)} <small>{p.esc(row.name_en)}</small>"
                + (f" {p.chip('합산 ' + row.group)}" if row.group else "")) if row.kind == "subject" else \
            p.esc(f"합산 {row.name}" if row.kind == "group" else f"{row.name} {row.name_en}")
        kind = "pass" if row.passed else "fail"
        if row.kind == "total" and not report.decided:
            kind = ""  # the law's verdict is not decided: neither green nor red
        result = p.raw(f'<span class="{kind}">{p.esc(row.result)}</span>', "c")
        meter = p.meter(float(row.value), tick=float(t.floor_percent if row.kind != "total" else t.threshold_percent),
                        state=row.passed)
        table_rows.append(([p.raw(name), p.cell(row.session, "num"), p.cell(row.items, "num"),
                            p.cell(row.correct, "num"), p.cell(row.points, "num"), p.cell(row.max_points, "num"),
                            p.raw(f"{meter}{p.esc(row.percent)}", "num"), p.cell(row.line, "num"), result],
                           row.kind if row.kind != "subject" else ""))
    subject_table = p.table(["과목 Subject", ("교시", "num"), ("문항", "num"), ("정답", "num"), ("점수", "num"),
                             ("만점", "num"), ("%", "num"), (_floor_head(report), "num"), ("결과", "c")], table_rows)
    body = [top, p.card(_subject_chart(report, rows), "과목별 점수", f"Subjects · 막대: 득점률 · 빨간 점선: "
                        f"{line(t.floor_percent)}% 과락선 · 검은 점선: {line(t.threshold_percent)}% 합격선"),
            p.card(subject_table, "과목별 결과", "Subject table")]
    if run is not None:
        counts = Counter(_outcome(i) for i in report.items)
        parts = [(f"{ko} {en}", counts[k], colour) for k, (colour, ko, en) in _outcomes().items() if counts.get(k)]
        figures_table = p.table(["", ""], [([p.cell(k), p.cell(v)], "") for k, v in run_figures(report)])
        read = run.generated - run.no_answer - run.truncated
        samples = [("답 읽힘 answered", max(read, 0), p.GREEN), ("답 없음 no answer", run.no_answer, p.GREY),
                   ("잘림 truncated", run.truncated, p.AMBER), ("오류 errors", run.errors, p.INK),
                   ("남음 missing", max(run.missing - run.errors, 0), p.TRACK)]
        outcomes = (p.stack(parts, sum(counts.values())) + '<h3 style="margin-top:16px">표본 <small>every sample '
                    f"({run.samples_per_item}/item)</small></h3>" + p.stack(samples, run.generated + run.missing))
        body.append(f'<div class="grid two">{p.card(figures_table, "실행 정보", "Run")}'
                    f'{p.card(outcomes, "답의 결과", "Majority answers")}</div>')
    if report.items:
        body.append(p.card(_items_html(report) + f"<details><summary>문항별 결과 Items ({len(report.items):,})"
                           f"</summary>{_item_table(report)}</details>", "문항", "Items · 한 칸이 한 문항"))
    if report.notes:
        body.append(p.card(p.bullets(report.notes), "참고", "Notes"))
    footer = f"<p>합격 기준 Pass rule: {p.esc(report.pass_rule)}</p>"
    return p.page(f"{report.exam_name} — {said}", head, "\n".join(body), footer)
