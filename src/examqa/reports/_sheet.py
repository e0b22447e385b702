"""Rendering a :class:`~examqa.exams.report.Report`: a rich terminal table, Markdown, and self-contained HTML."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from examqa.exams.report import Report
from examqa.exams.scoring import format_points as num
from examqa.exams.topass import to_pass_line


def verdict_line(report: Report) -> str:
    """One line: PASS/FAIL, the total against its line, and why it failed."""
    word = "합격 PASS" if report.passed else "불합격 FAIL"
    t = report.total
    basis = "평균" if t.basis == "subject_mean" else "총점"
    line = (f"{word} — {report.exam_name} ({report.exam}, {report.edition}): {basis} {t.percent:g}% "
            f"(기준 {num(t.threshold_percent)}%)")
    if report.reasons:
        line += " — " + "; ".join(report.reasons)
    if not report.complete:
        line += " [부분 시험지 / partial paper]"
    return line


def _styled(text: str, style: str) -> Text:
    """``[style]text[/]`` without parsing markup: the style on the words, not on the cell's padding."""
    out = Text()
    out.append(text, style=style)
    return out


def print_report(report: Report, console: Console) -> None:
    """The subject table, the total against 60 %, the verdict, reasons and notes."""
    # Text, not markup strings, and emoji=False: the first :code: rich looks for imports its table of
    # 4,000 emoji (~10 ms, 3 % of grading a sheet); no exam name, reason or note means one, and a subject
    # name with [brackets] must not be read as markup. The output is the same, colours included.
    passed, floored = _styled("통과", "green"), _styled("과락", "red")
    table = Table(title=Text(f"{report.exam_name} · {report.exam_name_en} · edition {report.edition}",
                             style="table.title"))
    table.add_column(Text("과목 Subject"))
    for header in ("교시", "문항", "정답", "점수", "만점", "%", "40% 선"):
        table.add_column(Text(header), justify="right")
    table.add_column(Text("결과"), justify="center")
    for s in report.subjects:
        name = Text(s.name)
        if s.group:  # pooled: the group row below decides
            name.append(" ")
            name.append("ᴳ", style="dim")
        items = f"{s.items}" + (f"/{s.expected_items}" if s.expected_items and s.expected_items != s.items else "")
        table.add_row(name, *map(Text, (str(s.session or ""), items, str(s.correct), num(s.points),
                                        num(s.max_points), f"{s.percent:.2f}", num(s.floor_points))),
                      passed if s.passed else floored)
    for g in report.groups:
        table.add_row(_styled(f"ᴳ 합산 {g.name}", "italic"), Text(), Text(), Text(), Text(num(g.points)),
                      Text(num(g.max_points)), Text(f"{g.percent:.2f}"), Text(num(g.floor_points)),
                      passed if g.passed else floored)
    t = report.total
    total_label = "평균 Mean" if t.basis == "subject_mean" else "총점 Total"
    table.add_row(_styled(total_label, "bold"), Text(), Text(), Text(), _styled(num(t.points), "bold"),
                  Text(num(t.max_points)), _styled(f"{t.percent:.2f}", "bold"), Text(f"{num(t.threshold_percent)}%"),
                  passed if t.passed else _styled("미달", "red"), end_section=True)
    console.print(table)
    if report.run is not None:
        r = report.run
        line = (f"model {r.model} ({r.backend}, {'reasoning' if r.reasoning else 'non-reasoning'}), "
                f"{r.samples_per_item} sample(s)/item: no answer {r.no_answer} ({r.no_answer_rate:.1%}), "
                f"truncated {r.truncated} ({r.truncated_rate:.1%}), errors {r.errors}; "
                f"tokens in {r.prompt_tokens:,} / out {r.completion_tokens:,}")
        if r.reasoning_tokens is not None:
            line += f" (reasoning {r.reasoning_tokens:,})"
        if r.pass_probability is not None and r.samples_per_item > 1:
            line += f"; P(pass) ≈ {r.pass_probability:.3f}"
        if r.cost is not None:
            line += f"; cost {r.cost:.4f} {r.currency}"
            if r.cost_per_pass is not None:
                line += f" ({r.cost_per_pass:.4f} per passed exam)"
        console.print(line, markup=False, highlight=False, emoji=False)
        for reading in reading_lines(report):
            console.print(f"  {reading}", markup=False, highlight=False, emoji=False)
    style = "bold green" if report.passed else "bold red"
    console.print(verdict_line(report), style=style, markup=False, highlight=False, emoji=False)
    for reason in report.reasons_en:
        console.print(f"  · {reason}", markup=False, highlight=False, emoji=False)
    if (need := to_pass_line(report.to_pass, report.passed)) is not None:
        console.print(f"  → {need}", style="bold", markup=False, highlight=False, emoji=False)
    for note in report.notes:
        console.print(f"  note: {note}", style="dim", markup=False, highlight=False, emoji=False)


def reading_lines(report: Report) -> list[str]:
    """One line per extra reading of a run (``--protocol kmmlu-pro``: the paper's regex), in words."""
    if report.run is None:
        return []
    return [f"{name} reading: {r.correct}/{r.items} items right ({r.accuracy:.1f}%), total {r.percent:g}% "
            f"→ {'PASS' if r.passed else 'FAIL'}; reads {r.disagreements} sample(s) differently from examqa"
            for name, r in report.run.readings.items()]


def to_markdown(report: Report) -> str:
    """The report as Markdown: verdict, subject table, run figures, reasons and notes."""
    out = [f"# {report.exam_name} ({report.exam_name_en}) — {'PASS' if report.passed else 'FAIL'}", "",
           verdict_line(report), "", f"Pass rule: {report.pass_rule}", "",
           "| 과목 Subject | 문항 | 정답 | 점수 | 만점 | % | 40% 선 | 결과 |",
           "|---|---:|---:|---:|---:|---:|---:|:-:|"]
    for s in report.subjects:
        group = f" ({s.group})" if s.group else ""
        out.append(f"| {s.name} · {s.name_en}{group} | {s.items} | {s.correct} | {num(s.points)} | "
                   f"{num(s.max_points)} | {s.percent:g} | {num(s.floor_points)} | "
                   f"{'통과' if s.passed else '과락'} |")
    for g in report.groups:
        out.append(f"| 합산 {g.name} | | | {num(g.points)} | {num(g.max_points)} | {g.percent:g} | "
                   f"{num(g.floor_points)} | {'통과' if g.passed else '과락'} |")
    t = report.total
    out.append(f"| **{'평균' if t.basis == 'subject_mean' else '총점'}** | | | **{num(t.points)}** | "
               f"{num(t.max_points)} | **{t.percent:g}** | {num(t.threshold_percent)}% | "
               f"{'통과' if t.passed else '미달'} |")
    if report.run is not None:
        r = report.run
        out += ["", "## Run", "", "| | |", "|---|---|",
                f"| model | {r.model} ({r.backend}) |", f"| mode | {'reasoning' if r.reasoning else 'non-reasoning'} |",
                f"| samples per item | {r.samples_per_item} |", f"| generated | {r.generated} |",
                f"| no answer | {r.no_answer} ({r.no_answer_rate:.1%}) |",
                f"| truncated | {r.truncated} ({r.truncated_rate:.1%}) |", f"| errors | {r.errors} |",
                f"| tokens in / out | {r.prompt_tokens:,} / {r.completion_tokens:,} |"]
        if r.reasoning_tokens is not None:
            out.append(f"| reasoning tokens | {r.reasoning_tokens:,} |")
        if r.pass_probability is not None:
            out.append(f"| P(pass) | {r.pass_probability:.4f} |")
        if r.wall_seconds is not None:
            out.append(f"| wall time | {r.wall_seconds:.1f} s |")
        if r.cost is not None:
            per = f", {r.cost_per_pass:.4f} per passed exam" if r.cost_per_pass is not None else ""
            out.append(f"| cost | {r.cost:.4f} {r.currency}{per} |")
        if r.protocol != "examqa":
            out.append(f"| protocol | {r.protocol} |")
        out += [f"| {line.split(' reading: ')[0]} reading | {line.split(' reading: ')[1]} |"
                for line in reading_lines(report)]
    if report.reasons:
        out += ["", "## Reasons", ""] + [f"- {k} — {e}" for k, e in zip(report.reasons, report.reasons_en,
                                                                          strict=True)]
    if (need := to_pass_line(report.to_pass, report.passed)) is not None:
        out += ["", f"**{need}**"]
    if report.notes:
        out += ["", "## Notes", ""] + [f"- {n}" for n in report.notes]
    return "\n".join(out) + "\n"


def _bar_chart(report: Report) -> str:
    """An inline SVG: one bar per subject (percent), with the floor and total lines drawn across."""
    import html  # here, not at the top: a sheet graded at the terminal never writes HTML

    rows = [(s.name, s.percent, s.passed) for s in report.subjects]
    width, left, bar_h, gap = 640, 170, 22, 8
    height = len(rows) * (bar_h + gap) + 40
    scale = (width - left - 20) / 100
    floor = float(report.total.floor_percent)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="subject scores">']
    for i, (name, pct, ok) in enumerate(rows):
        y = 10 + i * (bar_h + gap)
        colour = "#2e7d32" if ok else "#c62828"
        parts.append(f'<text x="{left - 8}" y="{y + bar_h - 6}" text-anchor="end" font-size="13">'
                     f"{html.escape(name)}</text>")
        parts.append(f'<rect x="{left}" y="{y}" width="{max(pct, 0) * scale:.1f}" height="{bar_h}" '
                     f'fill="{colour}"/>')
        parts.append(f'<text x="{left + max(pct, 0) * scale + 4:.1f}" y="{y + bar_h - 6}" font-size="12">'
                     f"{pct:g}%</text>")
    bottom = 10 + len(rows) * (bar_h + gap)
    total_line = float(report.total.threshold_percent)
    for value, label, dash in ((floor, f"{floor:g}% 과락선", "4 3"), (total_line, f"{total_line:g}% 합격선", "8 4")):
        x = left + value * scale
        parts.append(f'<line x1="{x:.1f}" y1="4" x2="{x:.1f}" y2="{bottom}" stroke="#333" '
                     f'stroke-dasharray="{dash}"/>')
        parts.append(f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle" font-size="12">{label}</text>')
    parts.append("</svg>")
    return "".join(parts)


def to_html(report: Report) -> str:
    """A self-contained HTML page (no external assets): verdict, bar chart, tables, items."""
    import html

    md_rows = []
    for s in report.subjects:
        md_rows.append(f"<tr><td>{html.escape(s.name)} · {html.escape(s.name_en)}</td><td>{s.items}</td>"
                       f"<td>{s.correct}</td><td>{num(s.points)}</td><td>{num(s.max_points)}</td>"
                       f"<td>{s.percent:g}</td><td>{num(s.floor_points)}</td>"
                       f"<td class='{'ok' if s.passed else 'bad'}'>{'통과' if s.passed else '과락'}</td></tr>")
    t = report.total
    md_rows.append(f"<tr class='total'><td>{'평균' if t.basis == 'subject_mean' else '총점'}</td><td></td><td></td>"
                   f"<td>{num(t.points)}</td><td>{num(t.max_points)}</td><td>{t.percent:g}</td>"
                   f"<td>{num(t.threshold_percent)}%</td>"
                   f"<td class='{'ok' if t.passed else 'bad'}'>{'통과' if t.passed else '미달'}</td></tr>")
    items = "".join(
        f"<tr><td>{html.escape(i.id)}</td><td>{html.escape(i.subject)}</td>"
        f"<td>{','.join(map(str, i.marks)) or '—'}</td><td>{','.join(map(str, i.accepted))}</td>"
        f"<td>{html.escape(i.outcome or i.status)}</td></tr>" for i in report.items)
    run = ""
    if report.run is not None:
        r = report.run
        run = (f"<h2>Run</h2><p>{html.escape(r.model)} ({html.escape(r.backend)}), "
               f"{'reasoning' if r.reasoning else 'non-reasoning'}, {r.samples_per_item} sample(s)/item — "
               f"no answer {r.no_answer_rate:.1%}, truncated {r.truncated_rate:.1%}, errors {r.errors}, "
               f"tokens {r.prompt_tokens:,} in / {r.completion_tokens:,} out"
               + (f", P(pass) ≈ {r.pass_probability:.3f}" if r.pass_probability is not None else "")
               + (f", cost {r.cost:.4f} {html.escape(r.currency or '')}" if r.cost is not None else "")
               + "</p>" + "".join(f"<p>{html.escape(line)}</p>" for line in reading_lines(report)))
    reasons = "".join(f"<li>{html.escape(k)} — {html.escape(e)}</li>"
                      for k, e in zip(report.reasons, report.reasons_en, strict=True))
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in report.notes)
    title = f"{report.exam_name} — {'PASS' if report.passed else 'FAIL'}"
    return f"""<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:900px;margin:2em auto;padding:0 1em;color:#222}}
table{{border-collapse:collapse;margin:1em 0}} td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:right}}
td:first-child,th:first-child{{text-align:left}} .ok{{color:#2e7d32}} .bad{{color:#c62828;font-weight:bold}}
.verdict{{font-size:1.3em;font-weight:bold}} tr.total td{{font-weight:bold}} details{{margin-top:1em}}
.topass{{font-weight:bold;color:#8a4b00;background:#fff4e0;padding:.4em .7em;border-radius:4px}}
</style></head><body>
<h1>{html.escape(report.exam_name)}
<small>({html.escape(report.exam_name_en)}, {html.escape(report.edition)})</small></h1>
<p class="verdict {'ok' if report.passed else 'bad'}">{html.escape(verdict_line(report))}</p>
{f'<p class="topass">{html.escape(need)}</p>' if (need := to_pass_line(report.to_pass, report.passed)) else ''}
<p>Pass rule: {html.escape(report.pass_rule)}</p>
{_bar_chart(report)}
<table><tr><th>과목 Subject</th><th>문항</th><th>정답</th><th>점수</th><th>만점</th><th>%</th>
<th>40% 선</th><th>결과</th></tr>
{''.join(md_rows)}</table>
{run}
{'<h2>Reasons</h2><ul>' + reasons + '</ul>' if reasons else ''}
{'<h2>Notes</h2><ul>' + notes + '</ul>' if notes else ''}
<details><summary>Items ({len(report.items)})</summary>
<table><tr><th>id</th><th>subject</th><th>marked</th><th>key</th><th>outcome</th></tr>{items}</table></details>
</body></html>
"""
