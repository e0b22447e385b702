"""Rendering a :class:`~examqa.comparison.models.Comparison`: Markdown, and a self-contained HTML page in the
reports' one design (verdict rings, key figures, the per-subject chart, each pair's deltas and tests).

Every string that came from a run (labels, model names, subjects, ids, notes, changes) is escaped: by
:func:`examqa.reports._markdown.md` in Markdown, by :func:`examqa.reports._parts.esc` in HTML. Numbers are
exact where the comparison carries points (subjects, totals of each pair) and written by the one display
rule (:mod:`._words`): never across the floor or the total line they are held against.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from examqa.errors import InputError
from examqa.reports._markdown import bold, md, table
from examqa.reports._words import (
    basis_word,
    exact_basis,
    floor_change,
    line,
    pair_state,
    percent,
    points,
    share,
    word,
)

if TYPE_CHECKING:  # result types of the stages above: annotations only
    from examqa.comparison.models import Comparison, ItemRef, PairComparison, RunScore

LISTED = 40
"""Items listed per 'right in one run only' line; the JSON always holds them all."""


def _items(refs: Sequence[ItemRef]) -> str:
    shown = ", ".join(f"{r.id} ({r.subject})" for r in refs[:LISTED])
    more = f", … and {len(refs) - LISTED} more" if len(refs) > LISTED else ""
    return (shown + more) or "none"


# --------------------------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class SubjectLine:
    """One subject of a pair, written once for Markdown and HTML."""

    name: str
    name_en: str
    items: int
    baseline: str
    other: str
    delta: str
    sign: int
    baseline_points: str
    other_points: str
    delta_points: str
    baseline_passed: bool
    other_passed: bool
    floor: str
    baseline_value: float
    other_value: float


def _exact_totals(pair: PairComparison) -> tuple[Fraction, Fraction] | None:
    """Both runs' totals as the rule reads them, exactly, from the pair's points (None: a basis unknown here)."""
    t, subjects = pair.total, pair.subjects
    a = exact_basis(t.basis, t.baseline_points, t.max_points, ((s.baseline_points, s.max_points) for s in subjects))
    b = exact_basis(t.basis, t.other_points, t.max_points, ((s.other_points, s.max_points) for s in subjects))
    return None if a is None or b is None else (a, b)


def subject_lines(c: Comparison, pair: PairComparison) -> list[SubjectLine]:
    """Per subject, then the total: both runs' percents beside the floor (the total: the total line)."""
    out = []
    for s in pair.subjects:
        a, b = share(s.baseline_points, s.max_points), share(s.other_points, s.max_points)
        out.append(SubjectLine(s.name, s.name_en, s.items, percent(a, c.floor_percent), percent(b, c.floor_percent),
                               percent(b - a, 0, signed=True), (b > a) - (b < a), points(s.baseline_points),
                               points(s.other_points), points(s.delta_points, 0, signed=True), s.baseline_passed,
                               s.other_passed, floor_change(s.baseline_passed, s.other_passed), float(a), float(b)))
    t = pair.total
    exact = _exact_totals(pair)
    a, b = exact if exact is not None else (Fraction(t.baseline_percent), Fraction(t.other_percent))
    name = "평균 mean" if t.basis == "subject_mean" else "총점 total"
    out.append(SubjectLine(name, "", pair.items, percent(a, c.total_percent), percent(b, c.total_percent),
                           percent(b - a, 0, signed=True), (b > a) - (b < a), points(t.baseline_points),
                           points(t.other_points), points(t.delta_points, 0, signed=True), pair.baseline_passed,
                           pair.other_passed, pair.verdict, float(a), float(b)))
    return out


def _total_reaches(score: RunScore) -> bool | None:
    """Whether a run's total reached the line, from its verdicts: a pass did; a fail with every floor met did
    not; a fail with a floor missed does not say."""
    if score.passed:
        return True
    return False if all(s.passed for s in score.subjects) else None


def score_cells(c: Comparison, score: RunScore) -> tuple[list[str], str]:
    """A run's subject percents and its total on the common items, each on its side of its line."""
    return ([percent(s.percent, c.floor_percent) for s in score.subjects],
            percent(score.percent, c.total_percent, reaches=_total_reaches(score)))


def pair_sentence(c: Comparison, pair: PairComparison) -> str:
    """The pair in one sentence: totals, the items that differ, the test, the verdict."""
    lines = subject_lines(c, pair)[-1]
    m = pair.mcnemar
    p = m.p_holm if m.p_holm is not None else m.p_value
    which = "Holm-adjusted p" if m.p_holm is not None else "p"
    real = "a real difference" if m.significant else "not distinguishable from chance"
    unit = "mean" if pair.total.basis == "subject_mean" else "total"
    text = (f"{pair.other} vs {pair.baseline} on {pair.items} common item(s): {unit} {lines.other}% vs "
            f"{lines.baseline}% ({lines.delta} percentage points); {m.other_only} item(s) right only in "
            f"{pair.other}, {m.baseline_only} only in {pair.baseline}; exact McNemar {which} = {p:.4g}, {real}; "
            f"verdict {pair.verdict}")
    return text + (" (partial paper)." if pair.partial_paper else ".")


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
        lines.append(f"Per-item accuracy over samples: {percent(sa.baseline_mean)}% → {percent(sa.other_mean)}% "
                     f"({percent(sa.delta, 0, signed=True)} points); {sa.better} item(s) better, {sa.worse} worse, "
                     f"{sa.ties} tied; {sa.test}: p = {sa.p_value:.4g}")
    if pair.reasoning_price is not None:
        rp = pair.reasoning_price
        per = (f"{rp.tokens_per_extra_correct:,.0f} extra completion tokens per extra correct answer"
               if rp.tokens_per_extra_correct is not None else "reasoning added no correct answer")
        lines.append(f"Price of reasoning ({rp.reasoning} against {rp.non_reasoning}): "
                     f"{rp.tokens_per_answer_reasoning:,.0f} vs {rp.tokens_per_answer_non_reasoning:,.0f} completion "
                     f"tokens per answer; {rp.extra_correct:+d} correct for {rp.extra_tokens:+,.0f} tokens: {per}")
    return lines


def _rule(c: Comparison) -> str:
    return (f"Every run is re-scored on the items compared, under the official rule ({line(c.floor_percent)} % floor "
            f"per subject, {line(c.total_percent)} % {'mean' if c.basis == 'subject_mean' else 'total'}).")


def _reported(c: Comparison, passed: bool, value: float) -> str:
    return percent(value, c.total_percent, reaches=True if passed else None)


# --------------------------------------------------------------------------------------------- Markdown


def comparison_markdown(c: Comparison) -> str:
    """The comparison as Markdown: runs, per-subject percents, and each pair's deltas and tests."""
    out = [f"# Comparison — {md(c.exam_name)} ({md(c.exam)}, edition {md(c.edition)})", "",
           f"Baseline: **{md(c.runs[0].label)}**. {_rule(c)}", ""]
    out += table(["run", "model", "mode", "samples", "protocol", "items", "examqa", "reported %", "reported"],
                 "lllrlrlrc",
                 ([md(r.label), md(r.model), md(r.mode), str(r.samples), md(r.protocol), str(r.items),
                   md(r.examqa_version), _reported(c, r.reported_passed, r.reported_percent), word(r.reported_passed)]
                  for r in c.runs))
    if c.scores:
        out += ["", f"## On the {c.common_items} item(s) every run answered", ""]
        cells = [score_cells(c, s) for s in c.scores]
        rows = [[md(subject.name)] + [f"{subjects[i]}%" + ("" if s.subjects[i].passed else " (과락)")
                                      for s, (subjects, _) in zip(c.scores, cells, strict=True)]
                for i, subject in enumerate(c.scores[0].subjects)]
        rows.append([bold("total")] + [bold(f"{total}%") for _, total in cells])
        rows.append(["verdict"] + [word(s.passed) for s in c.scores])
        out += table(["subject", *(md(s.label) for s in c.scores)], "l" + "r" * len(c.scores), rows)
    for pair in c.pairs:
        out += ["", f"## {md(pair.other)} vs {md(pair.baseline)}", "", md(pair_sentence(c, pair)), ""]
        out += [f"- {md(text)}" for text in _pair_lines(pair)]
        out.append(f"- Changed: {md('; '.join(pair.changes)) if pair.changes else 'nothing in the manifests'}")
        out.append("")
        lines = subject_lines(c, pair)
        rows = [[md(s.name), str(s.items), s.baseline, s.other, s.delta, s.baseline_points, s.other_points,
                 s.delta_points, s.floor] for s in lines[:-1]]
        t = lines[-1]
        rows.append([bold(t.name.split()[1]), str(t.items), t.baseline, t.other, t.delta, t.baseline_points,
                     t.other_points, t.delta_points, md(t.floor)])
        out += table(["subject", "items", f"{md(pair.baseline)} %", f"{md(pair.other)} %", "Δ %p",
                      f"{md(pair.baseline)} pts", f"{md(pair.other)} pts", "Δ pts", "floor"], "lrrrrrrrc", rows)
        out += ["", f"Right only in {md(pair.baseline)} ({len(pair.right_only_baseline)}): "
                    f"{md(_items(pair.right_only_baseline))}", "",
                f"Right only in {md(pair.other)} ({len(pair.right_only_other)}): {md(_items(pair.right_only_other))}"]
        if pair.notes:
            out += ["", "Notes:", ""] + [f"- {md(n)}" for n in pair.notes]
    if c.notes:
        out += ["", "## Notes", ""] + [f"- {md(n)}" for n in c.notes]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------- HTML


def comparison_chart(c: Comparison) -> str:
    """Inline SVG: per subject, one bar per run (percent on the common items), with the floor and total lines."""
    from examqa.reports._parts import INK, RED, SERIES, Bar, BarChart, BarGroup, Line

    if not c.scores:
        return ""
    groups = []
    cells = [score_cells(c, s) for s in c.scores]
    for j, subject in enumerate(c.scores[0].subjects):
        bars = [Bar(s.subjects[j].percent, f"{cells[i][0][j]}%" + ("" if s.subjects[j].passed else " 과락"),
                    SERIES[i % len(SERIES)], faded=not s.subjects[j].passed,
                    title=f"{s.label}: {subject.name} {cells[i][0][j]}%") for i, s in enumerate(c.scores)]
        groups.append(BarGroup(subject.name, bars))
    total = basis_word(c.basis)
    groups.append(BarGroup(total, [Bar(s.percent, f"{cells[i][1]}% {word(s.passed)}", SERIES[i % len(SERIES)],
                                       faded=not s.passed, title=f"{s.label}: {total} {cells[i][1]}%")
                                   for i, s in enumerate(c.scores)], strong=True))
    lines = [Line(c.floor_percent, f"{line(c.floor_percent)}% 과락선", RED),
             Line(c.total_percent, f"{line(c.total_percent)}% 합격선", INK, "8 4")]
    legend = [(s.label, SERIES[i % len(SERIES)]) for i, s in enumerate(c.scores)]
    return BarChart(groups, lines, legend=legend, bar=16, caption="per-subject percent of each run").svg()


def _pair_html(c: Comparison, pair: PairComparison) -> str:
    from examqa.reports import _parts as p

    lines = subject_lines(c, pair)
    rows = []
    for n, s in enumerate(lines):
        last = n == len(lines) - 1
        tick = c.total_percent if last else c.floor_percent
        name = p.esc(s.name) + (f" <small>{p.esc(s.name_en)}</small>" if s.name_en else "")
        rows.append(([p.raw(name), p.cell(s.items, "num"),
                      p.raw(p.meter(s.baseline_value, tick=tick, state=s.baseline_passed) + p.esc(s.baseline), "num"),
                      p.raw(p.meter(s.other_value, tick=tick, state=s.other_passed) + p.esc(s.other), "num"),
                      p.raw(p.delta(s.delta, s.sign), "num"), p.cell(s.baseline_points, "num"),
                      p.cell(s.other_points, "num"), p.raw(p.delta(s.delta_points, s.sign), "num"),
                      p.raw(f'<span class="{"pass" if s.other_passed else "fail"}">{p.esc(s.floor)}</span>', "c")],
                     "total" if last else ""))
    table_ = p.table(["과목 Subject", ("items", "num"), (f"{pair.baseline} %", "num"), (f"{pair.other} %", "num"),
                      ("Δ %p", "num"), (f"{pair.baseline} pts", "num"), (f"{pair.other} pts", "num"),
                      ("Δ pts", "num"), ("floor / verdict", "c")], rows)
    changes = "".join(f"<li><code>{p.esc(ch)}</code></li>" for ch in pair.changes) \
        or "<li>nothing in the manifests</li>"
    only_a = "".join(p.chip(f"{r.id} · {r.subject}", "bad") for r in pair.right_only_baseline) or "—"
    only_b = "".join(p.chip(f"{r.id} · {r.subject}", "good") for r in pair.right_only_other) or "—"
    flip = p.badge(pair_state(pair.other_passed, pair.verdict), pair.verdict)
    return p.card(
        f'<p>{flip} <span class="muted">{p.esc(pair_sentence(c, pair))}</span></p>{table_}'
        f'<div class="grid two" style="margin-top:12px"><div><h3>검정과 수치 <small>tests and figures</small></h3>'
        f"{p.bullets(_pair_lines(pair))}</div><div><h3>바뀐 설정 <small>what changed ({len(pair.changes)})</small>"
        f'</h3><ul class="plain">{changes}</ul></div></div>'
        f"<details><summary>{p.esc(pair.other)}만 맞힌 문항 right only in {p.esc(pair.other)} "
        f"({len(pair.right_only_other)})</summary><p>{only_b}</p></details>"
        f"<details><summary>{p.esc(pair.baseline)}만 맞힌 문항 right only in {p.esc(pair.baseline)} "
        f"({len(pair.right_only_baseline)})</summary><p>{only_a}</p></details>"
        + (f"<h3 style=\"margin-top:12px\">Notes</h3>{p.bullets(pair.notes)}" if pair.notes else ""),
        f"{pair.other} vs {pair.baseline}", f"{pair.items} common item(s)")


def comparison_html(c: Comparison) -> str:
    """A self-contained page (no script, nothing fetched, printable): each run's verdict ring on the common
    items, key figures, the per-subject chart, the runs, and each pair's deltas and tests."""
    from examqa.reports import _parts as p

    first = c.pairs[0] if c.pairs else None
    models = list(dict.fromkeys(r.model for r in c.runs))
    facts = [("exam", f"{c.exam_name_en} ({c.exam})"), ("edition", c.edition), ("baseline", c.runs[0].label),
             ("model", ", ".join(models)), ("mode", " → ".join(dict.fromkeys(r.mode for r in c.runs))),
             ("protocol", ", ".join(dict.fromkeys(r.protocol for r in c.runs))), ("items", f"{c.common_items} common")]
    badge = p.badge(first.other_passed, first.verdict,
                    big=True) if first is not None else ""
    head = p.header(f"{c.exam_name} — 실행 비교", f"Comparison · {c.exam_name_en} · edition {c.edition} · "
                    + " → ".join(r.label for r in c.runs), facts, badge)
    rings = []
    for s in c.scores:
        _, total = score_cells(c, s)
        ring = p.ring(s.percent / 100, f"{total}%", basis_word(c.basis), colour=p.GREEN if s.passed else p.RED,
                      marks=[(c.total_percent / 100, f"{line(c.total_percent)}% 합격선")])
        rings.append(f"<div>{ring}<p><b>{p.esc(s.label)}</b><br>{p.badge(s.passed, word(s.passed))}</p></div>")
    ring_card = (f'<section class="card ring"><div class="rings">{"".join(rings)}</div>'
                 f'<p class="muted small">공통 {c.common_items}문항 · common items</p></section>')
    figures: list[tuple[str, str] | tuple[str, str, str]] = [(f"{c.common_items:,}", "공통 문항 common items")]
    if first is not None:
        t = subject_lines(c, first)[-1]
        m = first.mcnemar
        figures += [(f"{t.delta}pp", f"Δ {basis_word(c.basis)} {first.other} − {first.baseline}",
                     "good" if t.sign > 0 else "bad" if t.sign < 0 else ""),
                    (f"{m.other_only} / {m.baseline_only}", "한쪽만 맞힘 right only (c / b)"),
                    (f"{m.p_value:.3g}", "McNemar p" + (" — real" if m.significant else " — not significant"),
                     "good" if m.significant else ""),
                    (f"{first.pass_probability.baseline:.3f} → {first.pass_probability.other:.3f}"
                     if first.pass_probability is not None else "–", "P(pass)"),
                    (f"{first.reasoning_price.tokens_per_extra_correct:,.0f}" if first.reasoning_price is not None
                     and first.reasoning_price.tokens_per_extra_correct is not None else "–",
                     "추가 정답당 토큰 tokens per extra correct")]
    runs_table = p.table(
        ["run", "model", "mode", ("samples", "num"), "protocol", ("items", "num"), "examqa", ("reported %", "num"),
         ("reported", "c")],
        [([p.cell(r.label), p.cell(r.model), p.cell(r.mode), p.cell(r.samples, "num"), p.cell(r.protocol),
           p.cell(r.items, "num"), p.cell(r.examqa_version),
           p.cell(_reported(c, r.reported_passed, r.reported_percent), "num"),
           p.raw(p.badge(r.reported_passed, word(r.reported_passed)), "c")], "") for r in c.runs])
    changed = "".join(f"<li><code>{p.esc(ch)}</code></li>" for ch in first.changes) if first is not None else ""
    third = p.card(f'<ul class="plain">{changed or "<li>nothing in the manifests</li>"}</ul>'
                   f'<p class="muted small">{p.esc(_rule(c))}</p>', "바뀐 설정", "What changed")
    body = [f'<div class="grid top">{ring_card}{p.card(p.kpis(figures), "결과 요약", "Summary")}{third}</div>']
    if c.scores:
        body.append(p.card(comparison_chart(c), "과목별 점수", f"on the {c.common_items} item(s) every run answered · "
                           f"옅은 막대: 과락 · 빨간 점선: {line(c.floor_percent)}% 과락선 · 검은 점선: "
                           f"{line(c.total_percent)}% 합격선"))
    body.append(p.card(runs_table, "실행", "Runs — as each run's own report.json has them"))
    body += [_pair_html(c, pair) for pair in c.pairs]
    if c.notes:
        body.append(p.card(p.bullets(c.notes), "참고", "Notes"))
    return p.page(f"Comparison — {c.exam_name} ({c.exam})", head, "\n".join(body))


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
