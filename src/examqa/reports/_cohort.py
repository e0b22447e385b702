"""Rendering a :class:`~examqa.cohort.Cohort`: the terminal, Markdown, and a per-student CSV export.

The HTML report is :func:`examqa.reports._cohort_html.cohort_html`. Student names are user input: the CSV
export never lets a cell start a spreadsheet formula, and Markdown escapes its table separators.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from examqa.exams.scoring import format_points as num
from examqa.reports._markdown import md
from examqa.reports._words import basis_word, decision_word, percent
from examqa.reports._words import line as line_text

if TYPE_CHECKING:  # result types of the stages above: annotations only
    from examqa.cohort import Cohort, CohortSummary, ItemFlag, Placement

SPARK = "▁▂▃▄▅▆▇█"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
FLAG_WORDS = {"key_suspect": "정답 의심 key?", "negative_discrimination": "역변별 negative",
              "low_discrimination": "변별 낮음 low"}


def spreadsheet_safe(cell: str) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula (``=``, ``+``, ``-``, ``@``, tab,
    line break) gets a leading apostrophe, as OWASP advises against CSV injection."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def sparkline(counts: Iterable[int]) -> str:
    """Counts as block characters, tallest = the largest count."""
    values = list(counts)
    top = max(values, default=0)
    if not top:
        return " " * len(values)
    return "".join(SPARK[min(len(SPARK) - 1, (v * (len(SPARK) - 1) + top - 1) // top)] if v else " "
                   for v in values)


def headline(s: CohortSummary) -> str:
    """One line: students, passes, and why the others failed."""
    total = basis_word(s.basis)
    if s.decision_rule == "part":
        return (f"응시 {s.students:,}명 · 판정 불가 {s.undecided:,}명: 이 시험지는 시험의 일부(선택형)라 합격 여부는 "
                "전체 시험으로 정해짐 / undecidable from this part")
    line = (f"응시 {s.students:,}명 · 합격 {s.passed:,}명 ({s.pass_rate:.1%}) · 불합격 사유: 과락만 "
            f"{s.failed_floor_only:,} · {total}만 {s.failed_total_only:,} · 둘 다 {s.failed_both:,}")
    if s.undecided:
        line += (f" · 기준 충족, 합격선 미발표 {s.undecided:,}명 (eligible; the {s.year or 'year'} cut is not "
                 "published)")
    return line


def placed_percent(p: Placement, s: CohortSummary) -> str:
    """A placed run's total, on its side of the total line (a pass reached it; a fail says nothing of which
    line it missed, so the figure decides)."""
    return percent(p.total_percent, s.total_percent, reaches=True if p.passed else None)


def near_misses(s: CohortSummary, upto: int = 5) -> str | None:
    """``합격까지 정답 1개: 32명 · 2개: 41명 …`` for the closest failures, or None when nobody failed."""
    if not s.to_pass:
        return None
    parts = [f"{k}개: {v:,}명" for k, v in sorted(s.to_pass.items()) if 0 < k <= upto]
    beyond = sum(v for k, v in s.to_pass.items() if k > upto)
    if beyond:
        parts.append(f"{upto + 1}개 이상: {beyond:,}명")
    return "합격까지 정답 " + " · ".join(parts)


def print_cohort(cohort: Cohort, console: Console, *, max_flags: int = 20) -> None:
    """The cohort in the terminal: headline, subjects, near misses, flags, a placed run, bad sheets, notes."""
    s = cohort.summary
    console.print(f"[bold]{s.exam_name}[/] · {s.exam_name_en} · edition {s.edition} — 모의고사 {s.students:,}명")
    console.print(headline(s), style="bold", markup=False, highlight=False)
    table = Table(title="과목별 분포 Subjects")
    merged = any(d.group for d in s.subjects)  # only then can a subject's 과락 differ from its own 40 % line
    below = f"{line_text(s.floor_percent)}%미만"
    columns = [("과목", "left"), ("평균%", "right"), ("중앙%", "right"), (below, "right")]
    columns += [("과락", "right")] if merged else []
    columns += [("KR20", "right"), ("분포 0→100%", "left")]
    for name, justify in columns:
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for d in s.subjects:
        cells = [d.name + (" ᴳ" if d.group else ""), percent(d.mean_percent, s.floor_percent),
                 percent(d.median_percent, s.floor_percent),
                 f"{d.below_floor:,}"] + ([f"{d.failed_floor:,}"] if merged else [])
        table.add_row(*cells, "—" if d.kr20 is None else f"{d.kr20:.2f}", sparkline(d.histogram))
    total = basis_word(s.basis)
    table.add_row(f"[bold]{total}[/]", f"[bold]{percent(s.mean_percent, s.total_percent)}[/]", "", "",
                  *([""] if merged else []),
                  "—" if s.kr20 is None else f"{s.kr20:.2f}", "", end_section=True)
    console.print(table)
    if (line := near_misses(s)) is not None:
        console.print(line, markup=False, highlight=False)
    if s.flags:
        flags = Table(title=f"문항 경고 Flagged items ({len(s.flags)})")
        flags.add_column("문항 Item")
        flags.add_column("과목")
        flags.add_column("경고")
        flags.add_column("근거 Why")
        for f in s.flags[:max_flags]:
            flags.add_row(f.id, f.subject, FLAG_WORDS[f.kind], f.message)
        console.print(flags)
        if len(s.flags) > max_flags:
            console.print(f"  … and {len(s.flags) - max_flags} more (see --json, --md or --html)", style="dim")
    else:
        console.print("문항 경고 없음 — no item misbehaves", style="green")
    if s.placement is not None:
        p = s.placement
        who = p.model or p.run
        parts = ", ".join(f"{x.name} {x.percentile:.0f}" for x in p.subjects)
        console.print(f"모델 {who}: {'합격' if p.passed else '불합격'} {placed_percent(p, s)}% — 백분위 "
                      f"{p.percentile:.1f} (순위 {p.rank:,}/{s.students:,}); 과목별 백분위: {parts}",
                      markup=False, highlight=False)
    for bad in s.bad:
        where = (f"{bad.path}:{bad.line}" if bad.path and bad.line else bad.path
                 or (f"row {bad.line}" if bad.line else ""))
        console.print(f"  left out: {bad.student or '?'} ({where}): {bad.message}", style="yellow",
                      markup=False, highlight=False)
    for note in s.notes:
        console.print(f"  note: {note}", style="dim", markup=False, highlight=False)


def _flag_row(f: ItemFlag) -> str:
    return f"| {md(f.id)} | {md(f.subject)} | {FLAG_WORDS[f.kind]} | {md(f.message)} |"


def cohort_markdown(cohort: Cohort) -> str:
    """The cohort as Markdown: headline, subjects, near misses, flags, items, placement, bad sheets, notes."""
    s = cohort.summary
    total = basis_word(s.basis)
    out = [f"# {md(s.exam_name)} ({md(s.exam_name_en)}) — 모의고사 {s.students:,}명", "", f"**{md(headline(s))}**",
           "", f"Pass rule: {md(s.pass_rule)}", "", "## 과목별 분포", "",
           f"| 과목 | 문항 | 평균 % | 중앙 % | {line_text(s.floor_percent)}% 미만 | 과락 | KR-20 | 분포 |",
           "|---|---:|---:|---:|---:|---:|---:|---|"]
    for d in s.subjects:
        group = f" ({md(d.group)})" if d.group else ""
        out.append(f"| {md(d.name)}{group} | {d.items} | {percent(d.mean_percent, s.floor_percent)} | "
                   f"{percent(d.median_percent, s.floor_percent)} | "
                   f"{d.below_floor:,} | {d.failed_floor:,} | {'—' if d.kr20 is None else f'{d.kr20:.2f}'} | "
                   f"`{sparkline(d.histogram)}` |")
    out.append(f"| **{total}** | | **{percent(s.mean_percent, s.total_percent)}** | | | | "
               f"{'—' if s.kr20 is None else f'{s.kr20:.2f}'} | |")
    if (line := near_misses(s, upto=10)) is not None:
        out += ["", line]
    out += ["", f"## 문항 경고 ({len(s.flags)})", ""]
    if s.flags:
        out += ["| 문항 | 과목 | 경고 | 근거 |", "|---|---|---|---|"] + [_flag_row(f) for f in s.flags]
    else:
        out.append("No item misbehaves.")
    out += ["", "## 문항 통계", "", "| 문항 | 과목 | 정답 | 정답률 | 변별도 | 선택 비율 (①②③…) | 무응답 | 복수 |",
            "|---|---|---|---:|---:|---|---:|---:|"]
    for i in cohort.items:
        shares = " ".join(f"{x:.0%}" for x in i.option_shares)
        disc = "—" if i.discrimination is None else f"{i.discrimination:+.2f}"
        out.append(f"| {md(i.id)} | {md(i.subject)} | {','.join(map(str, i.key))} | {i.difficulty:.0%} | {disc} | "
                   f"{shares} | {i.blank:.0%} | {i.multiple:.0%} |")
    if s.placement is not None:
        p = s.placement
        out += ["", "## 모델 위치 Placement", "", f"{md(p.model or p.run)}: {'PASS' if p.passed else 'FAIL'}, "
                f"{placed_percent(p, s)}% — percentile {p.percentile:.1f}, rank {p.rank:,} of {s.students:,}", "",
                "| 과목 | 점수 | 백분위 |", "|---|---:|---:|"]
        out += [f"| {md(x.name)} | {num(x.points)} | {x.percentile:.1f} |" for x in p.subjects]
    if s.bad:
        out += ["", f"## Left out ({len(s.bad)})", ""]
        out += [f"- {md(b.student or '?')} ({md(b.path or '')}{':' + str(b.line) if b.line else ''}): "
                f"{md(b.message)}" for b in s.bad]
    if s.notes:
        out += ["", "## Notes", ""] + [f"- {md(n)}" for n in s.notes]
    return "\n".join(out) + "\n"


def cohort_csv(cohort: Cohort) -> str:
    """One row per student: verdict, why it failed, the total, subject points, and what it takes to pass.

    Safe to open in a spreadsheet: no cell starts a formula (:func:`spreadsheet_safe` on every text that
    comes from outside — student names, subject names; the numbers are written here and never start with
    a formula character).
    """
    subjects = [d.name for d in cohort.summary.subjects]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([spreadsheet_safe(c) for c in (
        "student", "passed", "failed_by", "percent", "total_points", *(f"points:{n}" for n in subjects),
        "to_pass", *(f"to_pass:{n}" for n in subjects))])
    t = cohort.table()
    columns = [t.student, [decision_word(d) for d in t.decision], t.failed_by, [f"{x:g}" for x in t.percent],
               t.total_points, *(t.points[n] for n in subjects), [str(k) if k >= 0 else "" for k in t.to_pass],
               *([str(k) if need >= 0 else "" for k, need in zip(t.to_pass_by[n], t.to_pass, strict=True)]
                 for n in subjects)]
    columns[0] = [spreadsheet_safe(name) for name in t.student]
    writer.writerows(zip(*columns, strict=True))
    return buffer.getvalue()
