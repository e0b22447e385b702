"""What every report says the same way, whatever its format: verdict words, the total's name, the facts of
a header, and the numbers beside their lines (:mod:`examqa.exams.display`, the one display rule).

The terminal, Markdown and HTML renderers of a sheet, a run, a suite, a comparison and a cohort take their
words and figures from here, so a number reads the same in all three, and a rounded value never lands on
the wrong side of the line it is compared with.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from examqa.exams import display
from examqa.exams.display import line as line
from examqa.exams.display import percent as percent
from examqa.exams.display import points as points  # the display rule: the renderers take it from here

if TYPE_CHECKING:
    from examqa.exams.report import Report, RunSummary

HUNDRED = Fraction(100)


# --------------------------------------------------------------------------------------------- words


def verdict(passed: bool) -> str:
    """``합격 PASS`` or ``불합격 FAIL``."""
    return "합격 PASS" if passed else "불합격 FAIL"


def word(passed: bool) -> str:
    """``PASS`` or ``FAIL``."""
    return "PASS" if passed else "FAIL"


DECISION_WORDS = {
    "pass": "합격 PASS",
    "fail": "불합격 FAIL",
    "cut_unpublished": "판정 보류 ELIGIBLE",
    "part_only": "판정 불가 UNDECIDABLE",
}
"""How each :data:`~examqa.exams.report.Decision` heads a verdict: a rank exam without the year's published
cut is *eligible* (every statutory line met, the pass not decided); a part of a larger exam is *undecidable*."""


def decision_verdict(report: Report) -> str:
    """``합격 PASS``, ``불합격 FAIL``, ``판정 보류 ELIGIBLE`` or ``판정 불가 UNDECIDABLE``."""
    return DECISION_WORDS.get(report.decision, verdict(report.passed))


def decision_word(decision: str) -> str:
    """``PASS``, ``FAIL``, ``ELIGIBLE`` or ``UNDECIDABLE``."""
    return DECISION_WORDS.get(decision, "불합격 FAIL").split()[-1]


def decision_word_ko(decision: str) -> str:
    """``합격``, ``불합격``, ``판정 보류`` or ``판정 불가``."""
    return " ".join(DECISION_WORDS.get(decision, "불합격 FAIL").split()[:-1])


def decision_state(report: Report) -> bool | None:
    """For a badge: True for a PASS, False for a FAIL, None when the law's verdict is not decided."""
    return report.passed if report.decided else None


def pair_state(other_passed: bool, verdict: str) -> bool | None:
    """For a comparison's badge: the other run's verdict, or None when the law leaves it undecided there
    (a rank exam's unpublished cut, a part of a larger exam: its verdict word says so)."""
    after = verdict.split("→")[-1]
    return None if any(w in after for w in ("UNDECIDABLE", "ELIGIBLE")) else other_passed


def floor_word(passed: bool) -> str:
    """A subject (or merged group) against its floor: ``통과`` or ``과락``."""
    return "통과" if passed else "과락"


def total_word(passed: bool) -> str:
    """The total against its line: ``통과`` or ``미달``."""
    return "통과" if passed else "미달"


def basis_word(basis: str) -> str:
    """The total's Korean name: ``평균`` (mean of subjects) or ``총점`` (total points)."""
    return "평균" if basis == "subject_mean" else "총점"


def basis_label(basis: str) -> str:
    """The total's name in both languages: ``평균 Mean`` or ``총점 Total``."""
    return "평균 Mean" if basis == "subject_mean" else "총점 Total"


def mode_word(reasoning: bool | None, mode: str | None = None) -> str:
    """A hybrid model's mode in words (``reasoning``/``non-reasoning``)."""
    if mode:
        return mode
    return "reasoning" if reasoning else "non-reasoning"


def floor_change(before: bool, after: bool) -> str:
    """A subject's floor in two runs: ``통과``, ``과락``, or ``과락 → 통과``."""
    return floor_word(after) if before == after else f"{floor_word(before)} → {floor_word(after)}"


# --------------------------------------------------------------------------------------------- exact figures


def share(part: Fraction, whole: Fraction) -> Fraction:
    """``part`` as a percent of ``whole``, exactly; 0 when there is no whole."""
    return part * HUNDRED / whole if whole else Fraction(0)


def exact_basis(basis: str, points: Fraction, max_points: Fraction,
                subjects: Iterable[tuple[Fraction, Fraction]]) -> Fraction | None:
    """A total as the pass rule reads it, exactly, from points: ``total_points``: ``points`` ÷ ``max_points``;
    ``subject_mean``: the mean of the ``subjects``' percents, each (points, maximum). None for a basis this
    module does not know, or a mean of no subjects (the renderers then fall back on the rounded figure and
    the verdict's side)."""
    if basis == "total_points":
        return share(points, max_points)
    if basis == "subject_mean":
        shares = [share(got, most) for got, most in subjects]
        if shares:
            return sum(shares, Fraction(0)) / len(shares)
    return None


def exact_total(report: Report) -> Fraction | None:
    """The total as the pass rule reads it, exactly (the report's ``percent`` is rounded for the JSON):
    :func:`exact_basis` on the report's total and graded subjects."""
    t = report.total
    return exact_basis(t.basis, t.points, t.max_points, ((s.points, s.max_points) for s in report.subjects))


def total_line_points(report: Report) -> Fraction | None:
    """The total line in points (``total_points`` basis); None when the line is a mean of percents."""
    t = report.total
    return t.threshold_percent * t.max_points / HUNDRED if t.basis == "total_points" else None


def total_percent(report: Report) -> str:
    """The report's total, in percent, on the side of the total line its verdict is on."""
    t = report.total
    value = exact_total(report)
    return percent(t.percent if value is None else value, t.threshold_percent, reaches=t.passed)


# --------------------------------------------------------------------------------------------- a sheet's table


@dataclass(frozen=True)
class Row:
    """One line of a sheet's subject table, written once for the terminal, Markdown and HTML."""

    kind: str  # "subject", "group" or "total"
    name: str
    name_en: str
    group: str | None
    session: str
    items: str
    correct: str
    points: str
    max_points: str
    percent: str
    line: str
    passed: bool
    result: str
    value: Fraction  # the exact percent, for charts


def sheet_rows(report: Report) -> list[Row]:
    """Subjects, merged groups and the total, each number beside the line it is held against."""
    floor = report.total.floor_percent
    rows = []
    for s in report.subjects:
        value = share(s.points, s.max_points)
        items = f"{s.items}" + (f"/{s.expected_items}" if s.expected_items and s.expected_items != s.items else "")
        # a pooled subject's own share is still held against its own 40 %: the group row decides the 과락
        rows.append(Row("subject", s.name, s.name_en, s.group, str(s.session or ""), items, str(s.correct),
                        points(s.points, s.floor_points), points(s.max_points), percent(value, floor),
                        points(s.floor_points), s.passed, floor_word(s.passed), value))
    for g in report.groups:
        value = share(g.points, g.max_points)
        rows.append(Row("group", g.name, g.name_en, None, "", "", "", points(g.points, g.floor_points),
                        points(g.max_points), percent(value, floor), points(g.floor_points), g.passed,
                        floor_word(g.passed), value))
    t = report.total
    exact = exact_total(report)
    in_points = total_line_points(report)
    rows.append(Row("total", basis_word(t.basis), basis_label(t.basis).split()[1], None, "",
                    str(sum(s.items for s in report.subjects)), str(sum(s.correct for s in report.subjects)),
                    points(t.points, in_points, reaches=t.passed if in_points is not None else None),
                    points(t.max_points), total_percent(report), line_cell(report), t.passed,
                    total_result(report), exact if exact is not None else display.exact(t.percent)))
    return rows


def line_text(report: Report) -> str:
    """What the total is held against, in words: the statutory line, the year's cut, or no line at all."""
    t = report.total
    if report.decision == "part_only":
        return "선택형만으로는 판정 불가 / the law decides on the whole exam"
    if t.cut is not None:
        statutory = f"; 법정 {line(t.statutory_percent)}%" if t.statutory_percent else ""
        return f"기준 {t.cut.year}년 합격선 {t.cut.published}{statutory}"
    if not t.threshold_percent:
        return "총점 기준 없음: 과락만, 이후 순위"
    if report.rule_kind == "rank":
        year = f"{report.year}년 " if report.year is not None else ""
        return f"법정 기준 {line(t.threshold_percent)}%; {year}합격선 미발표"
    return f"기준 {line(t.threshold_percent)}%"


def line_cell(report: Report) -> str:
    """The total row's line: ``60%``, the cut (``76.66 (2024)``), or a dash where there is none."""
    t = report.total
    if report.decision == "part_only" or not t.threshold_percent:
        return "–"
    return f"{line(t.threshold_percent)}%" if t.cut is None else f"{line(t.cut.percent)}% ({t.cut.year})"


def total_result(report: Report) -> str:
    """The total row's result: 통과, 미달, or what an undecided verdict means for it."""
    t = report.total
    if report.decision == "part_only":
        return "판정 불가"
    if report.decision == "cut_unpublished" and t.passed:
        return "충족 (합격선 미발표)"
    return total_word(t.passed)


def paper_line(report: Report) -> str | None:
    """The KMMLU-Pro paper's verdict under its own rule, beside the law's (None when not computed)."""
    p = report.paper
    if p is None:
        return None
    why = f" — {'; '.join(p.reasons)}" if p.reasons else ""
    agree = "agrees with the law" if p.agrees else f"differs from the law ({decision_verdict(report)})"
    return f"paper's rule (KMMLU-Pro): {word(p.passed)}, mean {percent(p.percent)}% — {p.rule}{why}; {agree}"


def verdict_line(report: Report) -> str:
    """One line: the decision, the total against its line, and why it failed."""
    t = report.total
    text = (f"{decision_verdict(report)} — {report.exam_name} ({report.exam}, {report.edition}): "
            f"{basis_word(t.basis)} {total_percent(report)}% ({line_text(report)})")
    if report.electives:
        text += f" [선택 {', '.join(report.electives)}]"
    if report.reasons:
        text += " — " + "; ".join(report.reasons)
    if not report.complete:
        text += " [부분 시험지 / partial paper]"
    return text


# --------------------------------------------------------------------------------------------- a run's figures


def run_mode(run: RunSummary) -> str:
    """The run's mode: the recorded one, else from its reasoning flag."""
    return mode_word(run.reasoning, run.mode)


def _readings(report: Report) -> list[tuple[str, str]]:
    """Each extra reading of a run as (its name, what it read, in words)."""
    if report.run is None:
        return []
    t = report.total
    out = []
    for name, r in report.run.readings.items():
        said = decision_word(r.decision) if r.decision else word(r.passed)
        paper = "" if r.paper_passed is None else f" (paper's rule: {word(r.paper_passed)})"
        out.append((name, f"{r.correct}/{r.items} items right ({r.accuracy:.1f}%), total "
                          f"{percent(r.percent, t.threshold_percent, reaches=True if r.passed else None)}% → {said}"
                          f"{paper}; reads {r.disagreements} sample(s) differently from examqa"))
    return out


def reading_lines(report: Report) -> list[str]:
    """One line per extra reading of a run (``--protocol kmmlu-pro``: the paper's regex), in words."""
    return [f"{name} reading: {text}" for name, text in _readings(report)]


def run_figures(report: Report, *, readings: bool = True) -> list[tuple[str, str]]:
    """A run's figures as (label, value) pairs: the Markdown table, the HTML table and the terminal agree.
    ``readings=False`` leaves out the extra readings (``NAME reading``), for a caller that writes them as
    :func:`reading_lines`."""
    r = report.run
    if r is None:
        return []
    out = [("model", f"{r.model} ({r.backend})"), ("mode", run_mode(r)), ("protocol", r.protocol),
           ("samples per item", str(r.samples_per_item)), ("generated", f"{r.generated:,}"),
           ("no answer", f"{r.no_answer:,} ({r.no_answer_rate:.1%})"),
           ("truncated", f"{r.truncated:,} ({r.truncated_rate:.1%})"), ("errors", f"{r.errors:,}")]
    if r.missing:
        out.append(("missing", f"{r.missing:,} (incomplete: --resume finishes it)"))
    out.append(("tokens in / out", f"{r.prompt_tokens:,} / {r.completion_tokens:,}"))
    if r.reasoning_tokens is not None:
        out.append(("reasoning tokens", f"{r.reasoning_tokens:,}"))
    if r.pass_probability is not None:
        out.append(("P(pass)", f"{r.pass_probability:.4f}"))
    if r.wall_seconds is not None:
        out.append(("wall time", f"{r.wall_seconds:.1f} s"))
    if r.cost is not None:
        per = f", {r.cost_per_pass:.4f} per passed exam" if r.cost_per_pass is not None else ""
        out.append(("cost", f"{r.cost:.4f} {r.currency or ''}".rstrip() + per))
    if readings:
        out += [(f"{name} reading", text) for name, text in _readings(report)]
    return out


def header_facts(report: Report) -> list[tuple[str, str]]:
    """The facts a report's header names: exam, edition, and for a run its model, mode and protocol."""
    facts = [("exam", f"{report.exam_name_en} ({report.exam})"), ("edition", report.edition)]
    if report.run is not None:
        r = report.run
        facts += [("model", r.model), ("mode", run_mode(r)), ("protocol", r.protocol)]
        if r.samples_per_item > 1:
            facts.append(("samples", f"{r.samples_per_item}/item"))
    else:
        facts.append(("sheet", "answer sheet 답안지"))
    return facts
