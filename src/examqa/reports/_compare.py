"""Rendering a :class:`~examqa.comparison.models.Comparison`: Markdown, and self-contained HTML with an SVG chart.

Every string that came from a run (labels, model names, subjects, ids, notes) is escaped: ``|`` and line
breaks in Markdown table cells, everything in HTML.
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from examqa.errors import InputError
from examqa.exams.scoring import format_points as num

if TYPE_CHECKING:  # result types of the stages above: annotations only
    from examqa.comparison.models import Comparison, ItemRef, PairComparison

LISTED = 40
"""Items listed per 'right in one run only' line; the JSON always holds them all."""

COLOURS = ("#1f5fa8", "#d9822b", "#2e7d32", "#8e44ad", "#c62828", "#00838f", "#6d4c41", "#546e7a")


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _signed(value: Fraction) -> str:
    return ("+" if value > 0 else "") + num(value)


def _word(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def _items(refs: Sequence[ItemRef]) -> str:
    shown = ", ".join(f"{r.id} ({r.subject})" for r in refs[:LISTED])
    more = f", … and {len(refs) - LISTED} more" if len(refs) > LISTED else ""
    return (shown + more) or "none"


def _pair_lines(pair: PairComparison) -> list[str]:
    """The figures of one pair beyond the subject table, as plain sentences (shared by both renderers)."""
    m = pair.mcnemar
    lines = [f"Items: {pair.items} compared"
             + (f"; left out {pair.baseline_only_items} answered only by {pair.baseline}, "
                f"{pair.other_only_items} only by {pair.other}" if pair.baseline_only_items or pair.other_only_items
                else "")
             + (f"; {len(pair.key_differs)} with a different key" if pair.key_differs else "")
             + (" — partial paper" if pair.partial_paper else ""),
             f"Verdict: {pair.verdict}",
             f"{m.test}: b = {m.baseline_only} (right only in {pair.baseline}), c = {m.other_only} (right only in "
             f"{pair.other}), both right {m.both_right}, both wrong {m.both_wrong}; p = {m.p_value:.4g}"
             + (f", Holm-adjusted {m.p_holm:.4g}" if m.p_holm is not None else "")
             + (" — significant" if m.significant else " — not significant")]
    if pair.pass_probability is not None:
        pp = pair.pass_probability
        lines.append(f"P(pass) on the common items: {pp.baseline:.4f} → {pp.other:.4f} ({pp.delta:+.4f})"
                     + (f"; as reported on each run's own items: {pp.reported_baseline:.4f} → "
                        f"{pp.reported_other:.4f}" if pp.reported_baseline is not None
                        and pp.reported_other is not None else ""))
    if pair.sample_accuracy is not None:
        sa = pair.sample_accuracy
        lines.append(f"Per-item accuracy over samples: {sa.baseline_mean:g}% → {sa.other_mean:g}% "
                     f"({sa.delta:+g} points); {sa.better} item(s) better, {sa.worse} worse, {sa.ties} tied; "
                     f"{sa.test}: p = {sa.p_value:.4g}")
    if pair.reasoning_price is not None:
        rp = pair.reasoning_price
        per = (f"{rp.tokens_per_extra_correct:,.0f} extra completion tokens per extra correct answer"
               if rp.tokens_per_extra_correct is not None else "reasoning added no correct answer")
        lines.append(f"Price of reasoning ({rp.reasoning} against {rp.non_reasoning}): "
                     f"{rp.tokens_per_answer_reasoning:,.0f} vs {rp.tokens_per_answer_non_reasoning:,.0f} completion "
                     f"tokens per answer; {rp.extra_correct:+d} correct for {rp.extra_tokens:+,.0f} tokens: {per}")
    return lines


# --------------------------------------------------------------------------------------------- Markdown


def comparison_markdown(c: Comparison) -> str:
    """The comparison as Markdown: runs, per-subject percents, and each pair's deltas and tests."""
    out = [f"# Comparison — {_cell(c.exam_name)} ({_cell(c.exam)}, edition {_cell(c.edition)})", "",
           f"Baseline: **{_cell(c.runs[0].label)}**. Every run is re-scored on the items compared, under the "
           f"official rule ({c.floor_percent:g} % floor per subject, {c.total_percent:g} % "
           f"{'mean' if c.basis == 'subject_mean' else 'total'}).", "",
           "| run | model | mode | samples | protocol | items | examqa | reported % | reported |",
           "|---|---|---|---:|---|---:|---|---:|:-:|"]
    for r in c.runs:
        out.append(f"| {_cell(r.label)} | {_cell(r.model)} | {r.mode} | {r.samples} | {_cell(r.protocol)} | "
                   f"{r.items} | {_cell(r.examqa_version)} | {r.reported_percent:g} | {_word(r.reported_passed)} |")
    if c.scores:
        out += ["", f"## On the {c.common_items} item(s) every run answered", "",
                "| subject | " + " | ".join(_cell(s.label) for s in c.scores) + " |",
                "|---|" + "---:|" * len(c.scores)]
        for i, subject in enumerate(c.scores[0].subjects):
            row = [f"{s.subjects[i].percent:g}%" + ("" if s.subjects[i].passed else " (과락)") for s in c.scores]
            out.append(f"| {_cell(subject.name)} | " + " | ".join(row) + " |")
        out.append("| **total** | " + " | ".join(f"**{s.percent:g}%**" for s in c.scores) + " |")
        out.append("| verdict | " + " | ".join(_word(s.passed) for s in c.scores) + " |")
    for pair in c.pairs:
        out += ["", f"## {_cell(pair.other)} vs {_cell(pair.baseline)}", "", _cell(pair.summary), ""]
        out += [f"- {_cell(line)}" for line in _pair_lines(pair)]
        out.append(f"- Changed: {_cell('; '.join(pair.changes)) if pair.changes else 'nothing in the manifests'}")
        out += ["", f"| subject | items | {_cell(pair.baseline)} % | {_cell(pair.other)} % | Δ %p | "
                    f"{_cell(pair.baseline)} pts | {_cell(pair.other)} pts | Δ pts | floor |",
                "|---|---:|---:|---:|---:|---:|---:|---:|:-:|"]
        for s in pair.subjects:
            floor = ("통과" if s.other_passed else "과락") if s.baseline_passed == s.other_passed else \
                f"{'통과' if s.baseline_passed else '과락'} → {'통과' if s.other_passed else '과락'}"
            out.append(f"| {_cell(s.name)} | {s.items} | {s.baseline_percent:g} | {s.other_percent:g} | "
                       f"{s.delta_percent:+g} | {num(s.baseline_points)} | {num(s.other_points)} | "
                       f"{_signed(s.delta_points)} | {floor} |")
        t = pair.total
        out.append(f"| **{'mean' if t.basis == 'subject_mean' else 'total'}** | {pair.items} | "
                   f"{t.baseline_percent:g} | {t.other_percent:g} | {t.delta_percent:+g} | {num(t.baseline_points)} | "
                   f"{num(t.other_points)} | {_signed(t.delta_points)} | {_cell(pair.verdict)} |")
        out += ["", f"Right only in {_cell(pair.baseline)} ({len(pair.right_only_baseline)}): "
                    f"{_cell(_items(pair.right_only_baseline))}", "",
                f"Right only in {_cell(pair.other)} ({len(pair.right_only_other)}): "
                f"{_cell(_items(pair.right_only_other))}"]
        if pair.notes:
            out += ["", "Notes:", ""] + [f"- {_cell(n)}" for n in pair.notes]
    if c.notes:
        out += ["", "## Notes", ""] + [f"- {_cell(n)}" for n in c.notes]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------- HTML


def comparison_chart(c: Comparison) -> str:
    """Inline SVG: per subject, one bar per run (percent on the common items), with the floor and total lines."""
    if not c.scores:
        return ""
    subjects = [s.name for s in c.scores[0].subjects] + ["평균" if c.basis == "subject_mean" else "총점"]
    runs = len(c.scores)
    width, left, bar, gap = 720, 180, 14, 12
    top = 30 + 16 * ((runs - 1) // 3)  # the legend: three runs a row
    group = runs * bar + gap
    height = top + len(subjects) * group + 40
    scale = (width - left - 60) / 100
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{html.escape("per-subject percent of each run")}">']
    for i, s in enumerate(c.scores):
        colour = COLOURS[i % len(COLOURS)]
        x, y = left + (i % 3) * 180, 6 + (i // 3) * 16
        parts.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="{y + 10}" font-size="12">{html.escape(s.label[:24])}</text>')
    for j, name in enumerate(subjects):
        y0 = top + j * group
        parts.append(f'<text x="{left - 8}" y="{y0 + runs * bar / 2 + 4:.1f}" text-anchor="end" font-size="12">'
                     f"{html.escape(name)}</text>")
        for i, s in enumerate(c.scores):
            pct = s.percent if j == len(subjects) - 1 else s.subjects[j].percent
            passed = s.passed if j == len(subjects) - 1 else s.subjects[j].passed
            y = y0 + i * bar
            w = max(pct, 0) * scale
            faded = "" if passed else ' fill-opacity="0.45"'  # below the floor (or a FAIL on the total row)
            parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar - 2}" '
                         f'fill="{COLOURS[i % len(COLOURS)]}"{faded}>'
                         f"<title>{html.escape(f'{s.label}: {name} {pct:g}%')}</title></rect>")
            parts.append(f'<text x="{left + w + 4:.1f}" y="{y + bar - 4}" font-size="10">{pct:g}%</text>')
    bottom = top + len(subjects) * group
    lines: tuple[tuple[float, str, str], ...] = ((c.floor_percent, f"{c.floor_percent:g}% 과락선", "4 3"),
                                                 (c.total_percent, f"{c.total_percent:g}% 합격선", "8 4"))
    for value, label, dash in lines:
        line_x = left + value * scale
        parts.append(f'<line x1="{line_x:.1f}" y1="{top - 4}" x2="{line_x:.1f}" y2="{bottom}" stroke="#333" '
                     f'stroke-dasharray="{dash}"/>')
        parts.append(f'<text x="{line_x:.1f}" y="{bottom + 16}" text-anchor="middle" font-size="12">'
                     f"{html.escape(label)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _pair_html(pair: PairComparison) -> str:
    e = html.escape
    rows = []
    for s in pair.subjects:
        floor = ("통과" if s.other_passed else "과락") if s.baseline_passed == s.other_passed else \
            f"{'통과' if s.baseline_passed else '과락'} → {'통과' if s.other_passed else '과락'}"
        rows.append(f"<tr><td>{e(s.name)} · {e(s.name_en)}</td><td>{s.items}</td><td>{s.baseline_percent:g}</td>"
                    f"<td>{s.other_percent:g}</td><td>{s.delta_percent:+g}</td><td>{e(num(s.baseline_points))}</td>"
                    f"<td>{e(num(s.other_points))}</td><td>{e(_signed(s.delta_points))}</td>"
                    f"<td class='{'ok' if s.other_passed else 'bad'}'>{e(floor)}</td></tr>")
    t = pair.total
    rows.append(f"<tr class='total'><td>{'평균 mean' if t.basis == 'subject_mean' else '총점 total'}</td>"
                f"<td>{pair.items}</td><td>{t.baseline_percent:g}</td><td>{t.other_percent:g}</td>"
                f"<td>{t.delta_percent:+g}</td><td>{e(num(t.baseline_points))}</td><td>{e(num(t.other_points))}</td>"
                f"<td>{e(_signed(t.delta_points))}</td><td class='{'ok' if pair.other_passed else 'bad'}'>"
                f"{e(pair.verdict)}</td></tr>")
    lines = "".join(f"<li>{e(line)}</li>" for line in _pair_lines(pair))
    changes = "".join(f"<li><code>{e(ch)}</code></li>" for ch in pair.changes) or "<li>nothing in the manifests</li>"
    notes = "".join(f"<li>{e(n)}</li>" for n in pair.notes)
    only_a = "".join(f"<li>{e(r.id)} <small>{e(r.subject)}</small></li>" for r in pair.right_only_baseline)
    only_b = "".join(f"<li>{e(r.id)} <small>{e(r.subject)}</small></li>" for r in pair.right_only_other)
    return f"""<section>
<h2>{e(pair.other)} vs {e(pair.baseline)}</h2>
<p class="summary">{e(pair.summary)}</p>
<ul>{lines}</ul>
<details><summary>What changed ({len(pair.changes)})</summary><ul>{changes}</ul></details>
<table><tr><th>과목 Subject</th><th>items</th><th>{e(pair.baseline)} %</th><th>{e(pair.other)} %</th><th>Δ %p</th>
<th>{e(pair.baseline)} pts</th><th>{e(pair.other)} pts</th><th>Δ pts</th><th>floor / verdict</th></tr>
{''.join(rows)}</table>
<details><summary>Right only in {e(pair.baseline)} ({len(pair.right_only_baseline)})</summary>
<ul>{only_a}</ul></details>
<details><summary>Right only in {e(pair.other)} ({len(pair.right_only_other)})</summary>
<ul>{only_b}</ul></details>
{'<h3>Notes</h3><ul>' + notes + '</ul>' if notes else ''}
</section>"""


def comparison_html(c: Comparison) -> str:
    """A self-contained HTML page (no external assets): runs, chart, and each pair's deltas and tests."""
    e = html.escape
    runs = "".join(
        f"<tr><td>{e(r.label)}</td><td>{e(r.model)}</td><td>{e(r.mode)}</td><td>{r.samples}</td>"
        f"<td>{e(r.protocol)}</td><td>{r.items}</td><td>{e(r.examqa_version)}</td><td>{r.reported_percent:g}</td>"
        f"<td class='{'ok' if r.reported_passed else 'bad'}'>{_word(r.reported_passed)}</td></tr>" for r in c.runs)
    chart = ""
    if c.scores:
        chart = (f"<h2>On the {c.common_items} item(s) every run answered</h2>{comparison_chart(c)}<p>"
                 + " · ".join(f"{e(s.label)}: {s.percent:g}% {_word(s.passed)}" for s in c.scores) + "</p>")
    notes = "".join(f"<li>{e(n)}</li>" for n in c.notes)
    title = f"Comparison — {c.exam_name} ({c.exam})"
    return f"""<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}}
table{{border-collapse:collapse;margin:1em 0}} td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:right}}
td:first-child,th:first-child{{text-align:left}} .ok{{color:#2e7d32}} .bad{{color:#c62828;font-weight:bold}}
tr.total td{{font-weight:bold}} .summary{{font-size:1.1em;font-weight:bold}} section{{margin-top:2em}}
</style></head><body>
<h1>{e(c.exam_name)} <small>({e(c.exam_name_en)}, {e(c.edition)})</small></h1>
<p>Baseline: <b>{e(c.runs[0].label)}</b>. Every run is re-scored on the items compared, under the official rule
({c.floor_percent:g} % floor per subject, {c.total_percent:g} % {'mean' if c.basis == 'subject_mean' else 'total'}).</p>
<table><tr><th>run</th><th>model</th><th>mode</th><th>samples</th><th>protocol</th><th>items</th><th>examqa</th>
<th>reported %</th><th>reported</th></tr>{runs}</table>
{chart}
{''.join(_pair_html(p) for p in c.pairs)}
{'<h2>Notes</h2><ul>' + notes + '</ul>' if notes else ''}
</body></html>
"""


# --------------------------------------------------------------------------------------------- files


def write_comparison(comparison: Comparison, *, md: Path | str | None = None, html_path: Path | str | None = None,
                     json_path: Path | str | None = None) -> list[Path]:
    """Write the comparison as Markdown, HTML and/or JSON; returns the paths written.

    Every text is rendered before anything is written, and each file is written whole (a temporary file
    renamed into place), so a failure leaves no partial file. A missing folder is an :class:`InputError`.
    """
    texts: list[tuple[Path, str]] = []
    if md is not None:
        texts.append((Path(md), comparison.to_markdown()))
    if html_path is not None:
        texts.append((Path(html_path), comparison.to_html()))
    if json_path is not None:
        texts.append((Path(json_path), comparison.model_dump_json(indent=2) + "\n"))
    for path, _ in texts:
        if not path.parent.is_dir():
            raise InputError("no such folder for the output file", path=path.parent, hint="create it first")
    written: list[Path] = []
    for path, text in texts:
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise InputError(f"cannot write: {exc.strerror}", path=path) from exc
        written.append(path)
    return written
