"""Rendering a :class:`~examqa.suite.run.SuiteReport`: the terminal table, Markdown, and self-contained HTML."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from examqa.comparison.models import PairComparison
    from examqa.suite.run import SuiteReport, SuiteRow


def _margin(row: SuiteRow) -> str:
    """The weakest subject's margin to its floor first (what matters), then its name."""
    if row.weakest is None or row.weakest_margin is None:
        return "–"
    return f"{row.weakest_margin:+.1f}pp {row.weakest}"


def _pp(row: SuiteRow) -> str:
    return f"{row.pass_probability:.3f}" if row.pass_probability is not None else "–"


def _cost(row: SuiteRow) -> str:
    return f"{row.cost:.4f} {row.currency}" if row.cost is not None else "–"


def _comparison_line(exam: str, pair: PairComparison) -> str:
    gain = pair.total.delta_percent
    line = (f"{exam}: reasoning − non-reasoning {gain:+.1f}pp ({pair.verdict}); "
            f"right only with reasoning {len(pair.right_only_other)}, only without {len(pair.right_only_baseline)}; "
            f"McNemar p = {pair.mcnemar.p_value:.3g}{' (real)' if pair.mcnemar.significant else ''}")
    price = pair.reasoning_price
    if price is not None and price.tokens_per_extra_correct is not None:
        line += f"; {price.tokens_per_extra_correct:,.0f} extra tokens per extra correct answer"
    elif price is not None:
        line += "; reasoning added no correct answer"
    return line


def print_suite(report: SuiteReport, console: Console) -> None:
    """The exam × mode table, the pass counts, and what reasoning changed per exam."""
    from rich import box
    from rich.table import Table

    table = Table(title=f"{report.model} · {report.backend} · protocol {report.protocol}", box=box.SIMPLE_HEAD,
                  pad_edge=False, collapse_padding=True)
    costs = any(r.cost is not None for r in report.rows)
    table.add_column("exam", no_wrap=True, min_width=9)
    table.add_column("mode", no_wrap=True, min_width=13)
    table.add_column("결과", justify="center", no_wrap=True, min_width=4)
    table.add_column("%", justify="right", no_wrap=True, min_width=5)
    table.add_column("weakest vs 40%", no_wrap=True, overflow="ellipsis", min_width=8, max_width=22)
    for name, width in (("P(pass)", 5), ("no ans", 4), ("cut", 4), ("tokens", 6)):
        table.add_column(name, justify="right", no_wrap=True, min_width=width)
    if costs:
        table.add_column("cost", justify="right", no_wrap=True)
    for row in report.rows:
        verdict = "[green]PASS[/]" if row.passed else "[red]FAIL[/]"
        if not row.complete:
            verdict += " [yellow]…[/]"
        cells = [row.exam, row.mode, verdict, f"{row.percent:.1f}", _margin(row), _pp(row).replace("0.", "."),
                 f"{row.no_answer_rate:.0%}", f"{row.truncated_rate:.0%}", f"{row.completion_tokens:,}"]
        table.add_row(*cells, *([_cost(row)] if costs else []))
    console.print(table)
    for mode, line in report.passes.items():
        console.print(f"{mode}: {line}", markup=False, highlight=False)
    for exam, pair in report.mode_comparisons.items():
        console.print(_comparison_line(exam, pair), markup=False, highlight=False)
    for name, count in sorted(report.unrouted.items()):
        console.print(f"  note: {count} row(s) of {name}: no installed plugin provides it (not graded)",
                      style="dim", markup=False, highlight=False)
    for exam, count in sorted(report.not_selected.items()):
        console.print(f"  note: {count} row(s) of {exam}: not asked for", style="dim", markup=False,
                      highlight=False)


def suite_markdown(report: SuiteReport) -> str:
    """The suite as Markdown."""
    out = [f"# Suite — {report.model} ({report.backend}, protocol {report.protocol})", "",
           " · ".join(f"**{mode}**: {line}" for mode, line in report.passes.items()), "",
           "| exam | mode | verdict | % | weakest (margin to 40 %) | P(pass) | no answer | truncated | tokens out "
           "| cost |", "|---|---|:-:|---:|---|---:|---:|---:|---:|---:|"]
    for r in report.rows:
        verdict = ("PASS" if r.passed else "FAIL") + ("" if r.complete else " (incomplete)")
        out.append(f"| {r.exam} ({r.exam_name}) | {r.mode} | {verdict} | {r.percent:.2f} | {_margin(r)} | "
                   f"{_pp(r)} | {r.no_answer_rate:.1%} | {r.truncated_rate:.1%} | {r.completion_tokens:,} | "
                   f"{_cost(r)} |")
    if report.mode_comparisons:
        out += ["", "## What reasoning changed", ""]
        for exam, pair in report.mode_comparisons.items():
            out += [f"### {exam}", "", _comparison_line(exam, pair), "",
                    "| subject | non-reasoning % | reasoning % | Δ pp | floor |", "|---|---:|---:|---:|:-:|"]
            for s in pair.subjects:
                floor = f"{'통과' if s.baseline_passed else '과락'} → {'통과' if s.other_passed else '과락'}"
                out.append(f"| {s.name} | {s.baseline_percent:.2f} | {s.other_percent:.2f} | "
                           f"{s.delta_percent:+.2f} | {floor} |")
            if pair.right_only_other:
                out += ["", "Right only with reasoning: " + ", ".join(i.id for i in pair.right_only_other)]
            if pair.right_only_baseline:
                out += ["", "Right only without: " + ", ".join(i.id for i in pair.right_only_baseline)]
            out.append("")
    notes = [f"{n} row(s) of {name}: no installed plugin provides it (not graded)"
             for name, n in sorted(report.unrouted.items())]
    notes += [f"{n} row(s) of {exam}: not asked for" for exam, n in sorted(report.not_selected.items())]
    if report.incomplete:
        notes.append(f"{report.incomplete} run(s) incomplete: `--resume` finishes them")
    if notes:
        out += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    return "\n".join(out) + "\n"


_CSS = """
body{font-family:system-ui,-apple-system,"Apple SD Gothic Neo","Noto Sans KR",sans-serif;margin:2rem auto;
max-width:1100px;color:#1f2430;padding:0 1rem}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:2rem}table{border-collapse:collapse;width:100%;
font-size:.9rem}th,td{padding:.35rem .5rem;border-bottom:1px solid #e3e6ee;text-align:right}
th:first-child,td:first-child,td.l,th.l{text-align:left}.pass{color:#137333;font-weight:600}
.fail{color:#b3261e;font-weight:600}.pill{display:inline-block;padding:.1rem .6rem;border-radius:1rem;
background:#eef1f7;margin-right:.5rem}.muted{color:#69707d;font-size:.85rem}a{color:#1a56c4}
"""


def _bars(report: SuiteReport) -> str:
    """An inline SVG: each exam's percent in each mode, with the 60 % line."""
    rows = report.rows
    width, left, bar_h, gap = 760, 230, 16, 6
    height = len(rows) * (bar_h + gap) + 30
    scale = (width - left - 60) / 100
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             'aria-label="percent by exam and mode">']
    for i, r in enumerate(rows):
        y = 10 + i * (bar_h + gap)
        colour = "#3b7d4f" if r.passed else "#c0533f"
        opacity = "1" if r.mode == "reasoning" else ".55"
        label = html.escape(f"{r.exam} · {r.mode}")
        parts.append(f'<text x="{left - 8}" y="{y + bar_h - 4}" font-size="12" text-anchor="end">{label}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{max(r.percent, 0) * scale:.1f}" height="{bar_h}" '
                     f'fill="{colour}" fill-opacity="{opacity}"/>')
        parts.append(f'<text x="{left + max(r.percent, 0) * scale + 4:.1f}" y="{y + bar_h - 4}" '
                     f'font-size="11">{r.percent:.1f}</text>')
    line = left + 60 * scale
    parts.append(f'<line x1="{line:.1f}" x2="{line:.1f}" y1="4" y2="{height - 16}" stroke="#1f2430" '
                 'stroke-dasharray="4 3"/>')
    parts.append(f'<text x="{line:.1f}" y="{height - 4}" font-size="11" text-anchor="middle">합격선 60</text>')
    parts.append("</svg>")
    return "".join(parts)


def suite_html(report: SuiteReport) -> str:
    """A self-contained page: the table (each row linking to its run's report), a chart, the mode deltas."""
    e = html.escape
    passes = "".join(f'<span class="pill">{e(mode)}: {e(line)}</span>' for mode, line in report.passes.items())
    head = ("<tr><th>exam</th><th class=l>mode</th><th>verdict</th><th>%</th><th class=l>weakest (margin)</th>"
            "<th>P(pass)</th><th>no answer</th><th>truncated</th><th>tokens out</th><th>cost</th></tr>")
    body = []
    for r in report.rows:
        verdict = f'<span class="{"pass" if r.passed else "fail"}">{"PASS" if r.passed else "FAIL"}</span>'
        if not r.complete:
            verdict += ' <span class="muted">incomplete</span>'
        link = (f'<a href="{e(r.exam)}/{e(r.mode)}/report.html">{e(r.exam)}</a> '
                f'<span class="muted">{e(r.exam_name)}</span>')
        body.append(f"<tr><td>{link}</td><td class=l>{e(r.mode)}</td><td>{verdict}</td><td>{r.percent:.2f}</td>"
                    f"<td class=l>{e(_margin(r))}</td><td>{e(_pp(r))}</td><td>{r.no_answer_rate:.1%}</td>"
                    f"<td>{r.truncated_rate:.1%}</td><td>{r.completion_tokens:,}</td><td>{e(_cost(r))}</td></tr>")
    sections = []
    for exam, pair in report.mode_comparisons.items():
        subject_rows = "".join(
            f"<tr><td>{e(s.name)}</td><td>{s.baseline_percent:.2f}</td><td>{s.other_percent:.2f}</td>"
            f"<td>{s.delta_percent:+.2f}</td></tr>" for s in pair.subjects)
        only = ", ".join(e(i.id) for i in pair.right_only_other) or "none"
        sections.append(f"<h2>{e(exam)}: what reasoning changed</h2><p>{e(_comparison_line(exam, pair))}</p>"
                        "<table><tr><th>subject</th><th>non-reasoning %</th><th>reasoning %</th><th>Δ pp</th></tr>"
                        f"{subject_rows}</table><p class=muted>right only with reasoning: {only}</p>")
    notes = [f"{n} row(s) of {e(name)}: no installed plugin provides it (not graded)"
             for name, n in sorted(report.unrouted.items())]
    notes += [f"{n} row(s) of {e(exam)}: not asked for" for exam, n in sorted(report.not_selected.items())]
    note_html = "".join(f"<li>{n}</li>" for n in notes)
    return (f'<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>examqa suite — {e(report.model)}'
            f"</title><style>{_CSS}</style></head><body><h1>{e(report.model)} <span class=muted>{e(report.backend)}"
            f" · protocol {e(report.protocol)}</span></h1><p>{passes}</p>{_bars(report)}"
            f"<table>{head}{''.join(body)}</table>{''.join(sections)}"
            f"{'<h2>Notes</h2><ul>' + note_html + '</ul>' if notes else ''}</body></html>\n")
