"""Rendering a :class:`~examqa.suite.run.SuiteReport`: the terminal table, Markdown, and a self-contained HTML
page in the reports' one design — the claim's own table, the page an evaluation team shares.

The three formats are built from the same lines (:func:`suite_lines`, :func:`headlines`): a figure added
there shows in all three. Numbers are exact inside and written by the one display rule (:mod:`._words`):
a total is held against its exam's line, a weakest subject's margin against zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from examqa.reports._markdown import md, table
from examqa.reports._words import decision_word, line, pair_state, percent, share, total_percent, word

if TYPE_CHECKING:
    from rich.console import Console

    from examqa.comparison.models import PairComparison
    from examqa.exams.report import Report
    from examqa.suite.run import SuiteReport, SuiteRow


@dataclass(frozen=True)
class SuiteLine:
    """One (exam, mode) of the suite, written once for every format."""

    exam: str
    exam_name: str
    mode: str
    passed: bool
    complete: bool
    value: float  # the total in percent, for charts
    percent: str
    threshold: str
    floor: str
    weakest: str
    margin: str
    margin_below: bool
    pass_probability: str
    no_answer: str
    truncated: str
    tokens: str
    cost: str
    link: str
    decision: str = "fail"
    paper_passed: bool | None = None

    @property
    def verdict(self) -> str:
        """The law's decision in a word, and the paper's own verdict when the suite ran its protocol."""
        said = decision_word(self.decision) if self.decision else word(self.passed)
        return said + ("" if self.paper_passed is None else f" · paper {word(self.paper_passed)}")

    @property
    def state(self) -> bool | None:
        """For colour: True for a PASS, False for a FAIL, None when the law's verdict is not decided."""
        return self.passed if self.decision in ("pass", "fail") else None


def _exact_margin(result: Report, name: str) -> Fraction | None:
    """The weakest unit's margin over its floor, exactly, from the full report (the row rounds it)."""
    for g in result.groups:
        if g.name == name:
            return share(g.points, g.max_points) - result.total.floor_percent
    for s in result.subjects:
        if s.name == name and s.group is None:
            return share(s.points, s.max_points) - result.total.floor_percent
    return None


def _line(row: SuiteRow, result: Report | None) -> SuiteLine:
    if result is not None:
        t = result.total
        shown = total_percent(result)
        threshold, floor = line(t.threshold_percent), line(t.floor_percent)
    else:  # a suite report without its runs' reports: the rounded figure, and the verdict's side
        shown, threshold, floor = percent(row.percent), "60", "40"
    margin, below = "–", False
    if row.weakest is not None and row.weakest_margin is not None:
        exact_margin = _exact_margin(result, row.weakest) if result is not None else None
        value = row.weakest_margin if exact_margin is None else exact_margin
        below = value < 0
        margin = f"{percent(value, 0, signed=True)}pp {row.weakest}"
    return SuiteLine(
        exam=row.exam, exam_name=row.exam_name, mode=row.mode, passed=row.passed, complete=row.complete,
        value=row.percent, percent=shown, threshold=threshold, floor=floor, weakest=row.weakest or "",
        margin=margin, margin_below=below,
        pass_probability=f"{row.pass_probability:.3f}" if row.pass_probability is not None else "–",
        no_answer=f"{row.no_answer_rate:.1%}", truncated=f"{row.truncated_rate:.1%}",
        tokens=f"{row.completion_tokens:,}", cost=f"{row.cost:.4f} {row.currency}" if row.cost is not None else "–",
        link=f"{row.exam}/{row.mode}/report.html", decision=row.decision, paper_passed=row.paper_passed)


def suite_lines(report: SuiteReport) -> list[SuiteLine]:
    """The table's rows, each with its exact figures written by the display rule."""
    results = {(r.exam, r.mode): r for r in report.results}
    return [_line(row, results.get((row.exam, row.mode))) for row in report.rows]


def headlines(report: SuiteReport) -> list[str]:
    """The suite in a line or two: per mode, how many exams it passes."""
    return [f"{mode}: {text}" for mode, text in report.passes.items()]


def notes(report: SuiteReport) -> list[str]:
    """What the suite did not grade, and what is unfinished."""
    out = [f"{n} row(s) of {name}: no installed plugin provides it (not graded)"
           for name, n in sorted(report.unrouted.items())]
    out += [f"{n} row(s) of {exam}: not asked for" for exam, n in sorted(report.not_selected.items())]
    if report.incomplete:
        out.append(f"{report.incomplete} run(s) incomplete: `--resume` finishes them")
    return out


def comparison_line(exam: str, pair: PairComparison) -> str:
    """What reasoning changed on one exam, in one sentence."""
    gain = pair.total.delta_percent
    text = (f"{exam}: reasoning − non-reasoning {percent(gain, 0, signed=True)}pp ({pair.verdict}); "
            f"right only with reasoning {len(pair.right_only_other)}, only without {len(pair.right_only_baseline)}; "
            f"McNemar p = {pair.mcnemar.p_value:.3g}{' (real)' if pair.mcnemar.significant else ''}")
    price = pair.reasoning_price
    if price is not None and price.tokens_per_extra_correct is not None:
        text += f"; {price.tokens_per_extra_correct:,.0f} extra tokens per extra correct answer"
    elif price is not None:
        text += "; reasoning added no correct answer"
    return text


def _subject_delta(pair: PairComparison) -> list[tuple[str, str, str, str, str, bool, bool]]:
    """Per subject: name, non-reasoning %, reasoning %, Δ, floor change, and both floors."""
    from examqa.reports._words import floor_change

    out = []
    for s in pair.subjects:
        a, b = share(s.baseline_points, s.max_points), share(s.other_points, s.max_points)
        out.append((s.name, percent(a), percent(b), percent(b - a, 0, signed=True),
                    floor_change(s.baseline_passed, s.other_passed), s.baseline_passed, s.other_passed))
    return out


# --------------------------------------------------------------------------------------------- terminal


def print_suite(report: SuiteReport, console: Console) -> None:
    """The exam × mode table, the pass counts, and what reasoning changed per exam."""
    from rich import box
    from rich.table import Table

    table_ = Table(title=f"{report.model} · {report.backend} · protocol {report.protocol}", box=box.SIMPLE_HEAD,
                   pad_edge=False, collapse_padding=True)
    costs = any(r.cost is not None for r in report.rows)
    table_.add_column("exam", no_wrap=True, min_width=9)
    table_.add_column("mode", no_wrap=True, min_width=13)
    table_.add_column("결과", justify="center", no_wrap=True, min_width=4)
    table_.add_column("%", justify="right", no_wrap=True, min_width=6)
    table_.add_column("weakest vs floor", no_wrap=True, overflow="ellipsis", min_width=8, max_width=22)
    for name, width in (("P(pass)", 5), ("no ans", 4), ("cut", 4), ("tokens", 6)):
        table_.add_column(name, justify="right", no_wrap=True, min_width=width)
    if costs:
        table_.add_column("cost", justify="right", no_wrap=True)
    for ln in suite_lines(report):
        colour = "yellow" if ln.state is None else "green" if ln.state else "red"
        verdict = f"[{colour}]{ln.verdict}[/]"
        if not ln.complete:
            verdict += " [yellow]…[/]"
        cells = [ln.exam, ln.mode, verdict, ln.percent, ln.margin, ln.pass_probability.replace("0.", "."),
                 ln.no_answer, ln.truncated, ln.tokens]
        table_.add_row(*cells, *([ln.cost] if costs else []))
    console.print(table_)
    for text in headlines(report):
        console.print(text, markup=False, highlight=False)
    for exam, pair in report.mode_comparisons.items():
        console.print(comparison_line(exam, pair), markup=False, highlight=False)
    for note in notes(report):
        console.print(f"  note: {note}", style="dim", markup=False, highlight=False)


# --------------------------------------------------------------------------------------------- Markdown


def suite_markdown(report: SuiteReport) -> str:
    """The suite as Markdown: the headline, the exam × mode table, what reasoning changed, notes."""
    out = [f"# Suite — {md(report.model)} ({md(report.backend)}, protocol {md(report.protocol)})", "",
           " · ".join(f"**{md(text)}**" for text in headlines(report)), ""]
    out += table(["exam", "mode", "verdict", "%", "weakest (margin to its floor)", "P(pass)", "no answer", "truncated",
                  "tokens out", "cost"], "llcrlrrrrr",
                 ([f"{md(ln.exam)} ({md(ln.exam_name)})", md(ln.mode),
                   ln.verdict + ("" if ln.complete else " (incomplete)"), ln.percent, md(ln.margin),
                   ln.pass_probability, ln.no_answer, ln.truncated, ln.tokens, md(ln.cost)]
                  for ln in suite_lines(report)))
    if report.mode_comparisons:
        out += ["", "## What reasoning changed", ""]
        for exam, pair in report.mode_comparisons.items():
            out += [f"### {md(exam)}", "", md(comparison_line(exam, pair)), ""]
            out += table(["subject", "non-reasoning %", "reasoning %", "Δ pp", "floor"], "lrrrc",
                         ([md(name), a, b, d, floor] for name, a, b, d, floor, _, _ in _subject_delta(pair)))
            if pair.right_only_other:
                out += ["", "Right only with reasoning: " + ", ".join(md(i.id) for i in pair.right_only_other)]
            if pair.right_only_baseline:
                out += ["", "Right only without: " + ", ".join(md(i.id) for i in pair.right_only_baseline)]
            out.append("")
    if found := notes(report):
        out += ["", "## Notes", ""] + [f"- {md(n)}" for n in found]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------- HTML


def _change_badge(pair: PairComparison) -> str:
    from examqa.reports import _parts as p

    return p.badge(pair_state(pair.other_passed, pair.verdict), pair.verdict.replace(" (unchanged)", ""))


def _chart(lines: list[SuiteLine], modes: tuple[str, ...]) -> str:
    from examqa.reports._parts import AMBER, GREEN, INK, RED, Bar, BarChart, BarGroup, Line

    groups: dict[str, list[Bar]] = {}
    names: dict[str, str] = {}
    for ln in lines:
        faded = len(modes) > 1 and ln.mode != modes[0]
        colour = AMBER if ln.state is None else GREEN if ln.state else RED
        groups.setdefault(ln.exam, []).append(Bar(ln.value, f"{ln.percent}% · {ln.mode}", colour,
                                                  faded=faded, title=f"{ln.exam} {ln.mode}: {ln.percent}% "
                                                                     f"{ln.verdict}"))
        names[ln.exam] = ln.exam_name
    thresholds = {ln.threshold for ln in lines}
    drawn = [Line(float(at), f"{at}% 합격선", INK, "8 4") for at in thresholds] if len(thresholds) == 1 else []
    chart = BarChart([BarGroup(names[e], bars, sub=e) for e, bars in groups.items()], drawn,
                     caption="each exam's total in each mode").svg()
    shades = " · ".join(f"{m}: {'진한 막대 solid' if i == 0 else '옅은 막대 pale'}" for i, m in enumerate(modes))
    undecided = " · 노랑: 법령상 판정 보류·불가 undecided" if any(ln.state is None for ln in lines) else ""
    return chart + f'<p class="muted small">{shades} · 초록: 합격 PASS · 빨강: 불합격 FAIL{undecided}</p>'


def _mode_section(exam: str, name: str, pair: PairComparison, floor: float) -> str:
    from examqa.reports import _parts as p

    rows = []
    for subject, a, b, d, change, ok_a, ok_b in _subject_delta(pair):
        sign = 0 if d.lstrip("+-") == "0.00" else (-1 if d.startswith("-") else 1)
        rows.append(([p.cell(subject), p.raw(p.meter(float(a), tick=floor, state=ok_a) + p.esc(a), "num"),
                      p.raw(p.meter(float(b), tick=floor, state=ok_b) + p.esc(b), "num"),
                      p.raw(p.delta(d, sign), "num"),
                      p.raw(f'<span class="{"pass" if ok_b else "fail"}">{p.esc(change)}</span>', "c")], ""))
    t = pair.total
    total_sign = 0 if t.delta_percent == 0 else (1 if t.delta_percent > 0 else -1)
    flip = p.badge(pair_state(pair.other_passed, pair.verdict), pair.verdict)
    only = "".join(p.chip(i.id, "good") for i in pair.right_only_other)
    lost = "".join(p.chip(i.id, "bad") for i in pair.right_only_baseline)
    m = pair.mcnemar
    facts = p.kpis([(percent(t.delta_percent, 0, signed=True) + "pp", "Δ 총점/평균 total", "good" if total_sign > 0
                     else "bad" if total_sign < 0 else ""),
                    (f"{len(pair.right_only_other)} / {len(pair.right_only_baseline)}", "추론으로만 / 없이만 맞힘"),
                    (f"{m.p_value:.3g}", "McNemar p" + (" — real" if m.significant else " — not significant")),
                    (f"{pair.reasoning_price.tokens_per_extra_correct:,.0f}" if pair.reasoning_price
                     and pair.reasoning_price.tokens_per_extra_correct is not None else "–",
                     "추가 정답당 토큰 tokens per extra correct")])
    table_ = p.table(["과목 Subject", ("non-reasoning %", "num"), ("reasoning %", "num"), ("Δ pp", "num"),
                      ("과락 floor", "c")], rows)
    return p.card(f'<p>{flip} <span class="muted">{p.esc(comparison_line(exam, pair))}</span></p>'
                  f'<div class="grid side">{facts}<div>{table_}</div></div>'
                  f"<details><summary>추론으로만 맞힌 문항 right only with reasoning ({len(pair.right_only_other)})"
                  f"</summary><p>{only or '—'}</p></details>"
                  f"<details><summary>추론 없이만 맞힌 문항 right only without ({len(pair.right_only_baseline)})"
                  f"</summary><p>{lost or '—'}</p></details>",
                  f"{name} · {exam}", "what reasoning changed")


def _delta_html(value: float) -> str:
    from examqa.reports import _parts as p

    return p.delta(percent(value, 0, signed=True) + "pp", (value > 0) - (value < 0))


def suite_html(report: SuiteReport) -> str:
    """A self-contained page: pass counts per mode, key figures, the chart, the exam × mode table (each row
    linking to its run's own report), what reasoning changed per exam, notes."""
    from examqa.reports import _parts as p

    lines = suite_lines(report)
    modes = tuple(report.modes)
    samples = {r.run.samples_per_item for r in report.results if r.run is not None}
    facts = [("model", report.model), ("backend", report.backend), ("modes", ", ".join(modes)),
             ("protocol", report.protocol), ("samples", f"{', '.join(map(str, sorted(samples)))}/item" if samples
                                              else ""), ("bank", report.bank or "")]
    names = {ln.exam: ln.exam_name for ln in lines}
    head = p.header(f"{report.model}", f"모델 평가 suite · {len(names)} exam(s) × {len(modes)} mode(s) · "
                    + " · ".join(headlines(report)), facts)
    rings = []
    for mode in modes:
        mine = [ln for ln in lines if ln.mode == mode]
        k, n = sum(ln.passed for ln in mine), len(mine)
        colour = p.GREEN if n and k == n else p.RED if k == 0 else p.AMBER
        judged = [ln.paper_passed for ln in mine if ln.paper_passed is not None]
        paper = (f'<p class="muted small">paper\'s rule {sum(judged)}/{len(judged)}</p>' if judged else "")
        rings.append(f"<div>{p.ring(k / n if n else 0, f'{k}/{n}', '합격 passed', colour=colour)}"
                     f"<p><b>{p.esc(mode)}</b></p>{paper}</div>")
    ring_card = (f'<section class="card ring"><div class="rings">{"".join(rings)}</div>'
                 '<p class="muted small">합격 = 법령 기준 (the law\'s rule)</p></section>')
    cost = [r.cost for r in report.rows if r.cost is not None]
    currency = next((r.currency for r in report.rows if r.currency), "")
    pps = [r.pass_probability for r in report.rows if r.pass_probability is not None]
    figures: list[tuple[str, str] | tuple[str, str, str]] = [
        (f"{len(names)}", "시험 exams"), (f"{len(lines)}", "실행 runs (exam × mode)"),
        (f"{sum(r.completion_tokens for r in report.rows):,}", "출력 토큰 tokens out"),
        (f"{sum(cost):.2f} {currency}" if cost else "–", "비용 cost"),
        (f"{min(pps):.3f}" if pps else "–", "가장 낮은 P(pass) lowest"),
        (f"{report.incomplete}", "미완료 incomplete runs", "bad" if report.incomplete else "good")]
    if report.mode_comparisons:
        changes = "".join(
            f'<div class="change">{_change_badge(pair)}'
            f"<b>{p.esc(names.get(exam, exam))}</b><small>{p.esc(exam)}</small>"
            f"{_delta_html(pair.total.delta_percent)}</div>" for exam, pair in report.mode_comparisons.items())
        third = p.card(changes, "추론이 바꾼 것", "non-reasoning → reasoning")
    else:
        third = p.card(p.bullets(notes(report)) or '<p class="ok">모든 실행 완료 — every run complete</p>',
                       "참고", "Notes")
    top = f'<div class="grid top">{ring_card}{p.card(p.kpis(figures), "결과 요약", "Summary")}{third}</div>'
    rows = []
    for ln in lines:
        verdict = p.badge(ln.state, ln.verdict)
        if not ln.complete:
            verdict += " " + p.badge(None, "미완료 incomplete")
        exam = f'<a href="{p.esc(ln.link)}">{p.esc(ln.exam_name)}</a><br><small>{p.esc(ln.exam)}</small>'
        margin = f'<span class="{"fail" if ln.margin_below else ""}">{p.esc(ln.margin)}</span>'
        rows.append(([p.raw(exam), p.cell(ln.mode, "nw"), p.raw(verdict, "c"),
                      p.raw(p.meter(ln.value, tick=float(ln.threshold), state=ln.passed) + p.esc(ln.percent), "num"),
                      p.raw(margin), p.cell(ln.pass_probability, "num"), p.cell(ln.no_answer, "num"),
                      p.cell(ln.truncated, "num"), p.cell(ln.tokens, "num"), p.cell(ln.cost, "num")], ""))
    table_ = p.table(["시험 Exam", "모드 mode", ("판정 verdict", "c"), ("총점/평균 %", "num"),
                      "가장 약한 과목 weakest (margin to floor)", ("P(pass)", "num"), ("답 없음", "num"),
                      ("잘림 cut", "num"), ("출력 토큰", "num"), ("비용 cost", "num")], rows)
    body = [top, p.card(_chart(lines, modes), "시험별 점수", "each exam's total, as its pass rule reads it"),
            p.card(table_, "시험 × 모드", "exam × mode — each exam links to its run's own report")]
    floors = {ln.exam: float(ln.floor) for ln in lines}
    body += [_mode_section(exam, names.get(exam, exam), pair, floors.get(exam, 40.0))
             for exam, pair in report.mode_comparisons.items()]
    if (found := notes(report)) and report.mode_comparisons:
        body.append(p.card(p.bullets(found), "참고", "Notes"))
    footer = f"<p>결과 폴더 out: {p.esc(report.out)}</p>"
    return p.page(f"examqa suite — {report.model}", head, "\n".join(body), footer)
