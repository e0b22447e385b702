"""Scoring: points per subject, floor group, session and in total, and the verdict under the law.

All arithmetic is exact (:class:`fractions.Fraction`); percentages are compared by cross-multiplying,
so "이상" (at least) includes the boundary itself: exactly 60 % passes, a hair under fails.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from examqa.errors import InputError
from examqa.exams import display
from examqa.exams.grading import Grader, KeyGrader, check_marks
from examqa.exams.models import Blueprint, Edition, Marks, PassRule, Question, SubjectSpec
from examqa.exams.report import (
    GroupResult,
    ItemResult,
    Report,
    SessionResult,
    SubjectResult,
    ToPass,
    TotalResult,
)
from examqa.exams.topass import with_to_pass

HUNDRED = Fraction(100)


# Exact, but written on numerators and denominators: each Fraction operator builds and normalises a new
# Fraction in Python, and a cohort's --json runs this arithmetic for every student (about 5 times faster).


def _pct(points: Fraction, max_points: Fraction, parts: int = 1) -> Fraction:
    """``points × 100 ÷ max_points ÷ parts``; 0 when there is no maximum."""
    if not max_points:
        return Fraction(0)
    return Fraction(points.numerator * 100 * max_points.denominator,
                    points.denominator * max_points.numerator * parts)


def _percent_of(percent: Fraction, max_points: Fraction) -> Fraction:
    """``percent`` % of ``max_points``, in points."""
    return Fraction(percent.numerator * max_points.numerator, percent.denominator * max_points.denominator * 100)


def _sum(values: Iterable[Fraction]) -> Fraction:
    """The exact sum, on a common denominator: normalised once, not once per term."""
    numerator, denominator = 0, 1
    for v in values:
        d = v.denominator
        if d != denominator:
            common = math.lcm(denominator, d)
            numerator *= common // denominator
            denominator = common
        numerator += v.numerator * (denominator // d)
    return Fraction(numerator, denominator)


# --------------------------------------------------------------------------------------------- the rule
# The pass rule's arithmetic, in one place: ``score`` and ``examqa.runs.engine.pass_probability`` both use it,
# so a verdict and the probability of that verdict cannot disagree.


def clears_floor(rule: PassRule, points: Fraction, max_points: Fraction) -> bool:
    """Whether ``points`` reach the floor (40 %) of ``max_points``; "이상": the boundary passes."""
    # points × 100 ≥ floor% × max, cross-multiplied (denominators are positive)
    f = rule.floor_percent
    return (points.numerator * 100 * f.denominator * max_points.denominator
            >= f.numerator * max_points.numerator * points.denominator)


def total_contribution(rule: PassRule, points: Fraction, max_points: Fraction, subjects: int) -> Fraction:
    """What one subject adds to the quantity held against the total line.

    ``total_points``: its points. ``subject_mean``: its percent ÷ the number of graded subjects, so the
    sum over subjects is the mean of subject percents ("평균 60점 이상", every subject out of 100).
    """
    if rule.basis == "subject_mean":
        return _pct(points, max_points, subjects)
    return points


def total_line(rule: PassRule, max_points: Fraction) -> Fraction:
    """The total line in the units of :func:`total_contribution` (``max_points``: all graded subjects)."""
    if rule.basis == "subject_mean":
        return rule.total_percent
    return _percent_of(rule.total_percent, max_points)


@lru_cache(maxsize=4096)  # a cohort's reasons repeat the same few values thousands of times
def format_points(value: Fraction) -> str:
    """Points as an examiner writes them: 35, 37.5, or 110/3 when not a terminating decimal."""
    if value.denominator == 1:
        return str(value.numerator)
    as_float = float(value)
    if Fraction(repr(as_float)) == value:
        return repr(as_float)
    return f"{as_float:.2f}"


def item_points(question: Question, spec: SubjectSpec) -> Fraction:
    """An item's points: its own, else the subject's points per item, else max ÷ items, else 1."""
    if question.points is not None:
        return question.points
    if spec.points_per_item is not None:
        return spec.points_per_item
    if spec.max_points is not None and spec.items:
        return spec.max_points / spec.items
    return Fraction(1)


def choose_edition(blueprint: Blueprint, questions: Sequence[Question], edition_id: str | None) -> Edition:
    """The edition named, else the one in force in the bank's (most common) year, else the latest."""
    if edition_id is not None:
        try:
            return blueprint.edition(edition_id=edition_id)
        except ValueError as exc:
            raise InputError(str(exc), hint="see `examqa exams --detail`") from exc
    years = Counter(q.year for q in questions if q.year is not None)
    # the most common year; ties go to the later year, so the choice never depends on item order
    year = max(years.items(), key=lambda kv: (kv[1], kv[0]))[0] if years else None
    return blueprint.edition(year=year)


def edition_notes(blueprint: Blueprint, questions: Sequence[Question], edition: Edition,
                  named: bool) -> list[str]:
    """Caveats about the edition a bank is scored under: years outside it, or outside every edition."""
    if named:
        return []
    notes: list[str] = []
    years = sorted({q.year for q in questions if q.year is not None})
    outside = [y for y in years if not any(e.covers(y) for e in blueprint.editions)]
    if outside:
        notes.append(f"year(s) {', '.join(map(str, outside))} fall outside every edition examqa knows of "
                     f"{blueprint.id}; scored under edition {edition.id} — pass --edition to choose")
    other = [y for y in years if y not in outside and not edition.covers(y)]
    if other:
        notes.append(f"the bank mixes years of different editions ({', '.join(map(str, years))}); "
                     f"scored under edition {edition.id}")
    return notes


def mark_choices(blueprint: Blueprint, questions: Sequence[Question], edition: str | None = None) -> dict[str, int]:
    """Item id → how many choices a mark may name, where the blueprint prints more than the bank holds.

    A choice lost in PDF extraction (an item read with 3 choices in a subject of 4) is still on the
    candidate's paper: a mark on it is a legitimate (wrong) answer, not an error. ``validate`` warns about
    such items; every reader takes its range from here, and :func:`score` from the blueprint directly.
    """
    ed = choose_edition(blueprint, questions, edition)
    out: dict[str, int] = {}
    for q in questions:
        spec = ed.subject(q.subject)
        if spec is not None and spec.choices is not None and spec.choices > len(q.choices):
            out[q.id] = spec.choices
    return out


@dataclass
class Tally:
    """One subject's (or 교시's) counts on one sheet: all the verdict is computed from.

    ``score`` counts a sheet's graded items (:func:`tally_of`); a cohort counts them for every student
    at once. Both hand them to :func:`report_from_tallies`, so the two cannot disagree.
    """

    points: Fraction = Fraction(0)
    max_points: Fraction = Fraction(0)
    items: int = 0
    answered: int = 0
    correct: int = 0
    multiple: int = 0


def tally_of(items: Sequence[ItemResult]) -> Tally:
    """The counts of graded ``items`` (one subject's, or one 교시's)."""
    return Tally(points=_sum(i.awarded for i in items), max_points=_sum(i.points for i in items), items=len(items),
                 answered=sum(1 for i in items if i.marks), correct=sum(1 for i in items if i.status == "correct"),
                 multiple=sum(1 for i in items if i.status == "multiple"))


def item_session(question: Question, spec: SubjectSpec) -> int | None:
    """The 교시 an item counts toward: its own, else its subject's; None when neither says."""
    return question.session if question.session is not None else spec.session


def score(
    blueprint: Blueprint,
    questions: Sequence[Question],
    marks: Mapping[str, Marks],
    *,
    edition: str | None = None,
    grader: Grader | None = None,
) -> Report:
    """Grade ``marks`` (question id → marked choices) on ``questions`` under ``blueprint``'s rule.

    Ids absent from ``marks`` are blank. A bank smaller than the blueprint is scored on what it
    holds, and the report says so (``complete`` is False, ``notes`` name the gaps).
    """
    grade = grader or KeyGrader()
    ed = choose_edition(blueprint, questions, edition)
    notes: list[str] = edition_notes(blueprint, questions, ed, named=edition is not None)
    known = {q.id for q in questions}
    stray = sorted(set(marks) - known)
    if stray:
        raise InputError(f"the sheet names ids the bank lacks: {', '.join(stray[:5])}"
                         + (" …" if len(stray) > 5 else ""), hint="check the sheet against the bank")

    held: dict[str, list[ItemResult]] = {}
    in_session: dict[int, list[ItemResult]] = {}
    items: list[ItemResult] = []
    skipped_accredited: Counter[str] = Counter()
    for q in questions:
        spec = ed.subject(q.subject)
        if spec is None:
            names = ", ".join(s.name for s in ed.subjects)
            raise InputError(f"question {q.id!r} has subject {q.subject!r}, not in {blueprint.id} "
                             f"edition {ed.id} (subjects: {names})", hint="fix the bank's subject names")
        if spec.accredited:
            skipped_accredited[spec.name] += 1
            continue
        pts = item_points(q, spec)
        # every entry path meets the same range check here; a choice lost in extraction can still be marked
        m = check_marks(q, marks.get(q.id, ()), choices=spec.choices)
        status = grade(q, m, blank_scores_on_all_accepted=blueprint.blank_scores_on_all_accepted)
        awarded = pts if status == "correct" else Fraction(0)
        item = ItemResult(id=q.id, subject=spec.name, marks=tuple(m), accepted=tuple(sorted(q.accepted)),
                          points=pts, status=status, awarded=awarded)
        items.append(item)
        held.setdefault(spec.name, []).append(item)
        session = item_session(q, spec)
        if session is not None:
            in_session.setdefault(session, []).append(item)

    tallies = {name: tally_of(graded) for name, graded in held.items()}
    sessions = {number: tally_of(graded) for number, graded in in_session.items()}
    complete = paper_notes(blueprint, ed, tallies, skipped_accredited, notes)
    report = report_from_tallies(blueprint, ed, tallies, sessions, notes=notes, complete=complete, items=items)
    return with_to_pass(report, questions, grade, blank_scores_on_all_accepted=blueprint.blank_scores_on_all_accepted)


def paper_notes(blueprint: Blueprint, edition: Edition, tallies: Mapping[str, Tally],
                skipped_accredited: Mapping[str, int], notes: list[str]) -> bool:
    """Append the caveats about the paper itself to ``notes``; whether it is complete.

    They depend on the items the bank holds, never on the marks: every sheet of one bank gets the same.
    Raises :class:`~examqa.errors.InputError` when the bank holds no gradable item.
    """
    ed = edition
    for name, count in skipped_accredited.items():
        notes.append(f"{name}: {count} item(s) ignored — this subject is met by an accredited score "
                     "and is outside the mean")
    graded_specs = [s for s in ed.subjects if not s.accredited]
    missing = [s.name for s in graded_specs if s.name not in tallies]
    complete = not missing
    if missing:
        notes.append(f"부분 시험지 / partial paper: no items for {', '.join(missing)} — verdict covers "
                     "only the subjects the bank holds")
    for spec in graded_specs:
        held = tallies.get(spec.name)
        if held is None:
            continue
        if spec.items is not None and held.items != spec.items:
            complete = False
            notes.append(f"부분 시험지 / partial paper: {spec.name} has {held.items} of {spec.items} items — "
                         "scored on what the bank holds")
        elif spec.max_points is not None and held.max_points != spec.max_points:
            complete = False
            notes.append(f"부분 시험지 / partial paper: {spec.name} is worth {format_points(held.max_points)} of "
                         f"{format_points(spec.max_points)} points here — scored on what the bank holds")
    held_total = sum((t.max_points for t in tallies.values()), Fraction(0))
    if complete and ed.total_points is not None and held_total != ed.total_points:
        complete = False
        notes.append(f"부분 시험지 / partial paper: the bank is worth {format_points(held_total)} of "
                     f"{format_points(ed.total_points)} points — scored on what the bank holds")
    for spec in ed.subjects:
        if spec.accredited:
            notes.append(f"{spec.name}: met by an accredited score, outside the mean and the 과락 check")
    if not ed.verified or any(not s.verified for s in graded_specs):
        notes.append(f"edition {ed.id}: some facts are unverified — see `examqa exams --detail`")
    if not tallies:
        raise InputError(f"the bank holds no gradable items for {blueprint.id}",
                         hint="check the bank's subjects against `examqa exams --detail`")
    return complete


def report_from_tallies(blueprint: Blueprint, edition: Edition, tallies: Mapping[str, Tally],
                        sessions: Mapping[int, Tally], *, notes: Sequence[str] = (), complete: bool = True,
                        items: Sequence[ItemResult] = (), to_pass: ToPass | None = None) -> Report:
    """The verdict under the law from per-subject tallies: floors, merged groups, the total line, reasons.

    The one implementation of the pass rule's report: ``score`` calls it for a sheet, a cohort for each
    student (with counts taken for all students at once). ``tallies`` holds every graded subject the
    bank has items of; ``sessions`` only needs points and maximum per 교시. ``notes`` and ``complete``
    describe the paper (:func:`paper_notes`); ``items`` and ``to_pass`` are passed through.
    """
    rule = blueprint.pass_rule
    ed = edition
    graded_specs = [s for s in ed.subjects if not s.accredited]
    # Floor groups: pooled points, 40 % of the pooled maximum.
    group_of: dict[str, str] = {}
    groups: list[GroupResult] = []
    group_passed: dict[str, bool] = {}
    for g in ed.floor_groups:
        present = [s for s in g.subjects if s in tallies]
        if len(g.subjects) < 2 or not present:
            continue
        pts = _sum(tallies[s].points for s in present)
        mx = _sum(tallies[s].max_points for s in present)
        ok = clears_floor(rule, pts, mx)
        floor = _percent_of(rule.floor_percent, mx)
        groups.append(GroupResult(name=g.name, name_en=g.name_en, subjects=tuple(present), points=pts,
                                  max_points=mx, percent=round(float(_pct(pts, mx)), 4),
                                  floor_points=floor, passed=ok))
        for s in present:
            group_of[s] = g.name
        group_passed[g.name] = ok

    subjects: list[SubjectResult] = []
    reasons: list[str] = []
    reasons_en: list[str] = []
    for spec in graded_specs:
        found = tallies.get(spec.name)
        if found is None:
            continue
        t = found
        floor = _percent_of(rule.floor_percent, t.max_points)
        own_ok = clears_floor(rule, t.points, t.max_points)
        group = group_of.get(spec.name)
        ok = group_passed[group] if group is not None else own_ok
        subjects.append(SubjectResult(
            name=spec.name, name_en=spec.name_en, session=spec.session, points=t.points,
            max_points=t.max_points, percent=round(float(_pct(t.points, t.max_points)), 4),
            floor_points=floor, passed=ok, group=group, items=t.items, expected_items=spec.items,
            answered=t.answered, correct=t.correct, multiple=t.multiple))
        if group is None and not own_ok:
            shown, at = display.points(t.points, floor), display.line(floor)
            reasons.append(f"{spec.name} {shown}점 < {at}점 (과락)")
            reasons_en.append(f"{spec.name_en} {shown} < {at} points "
                              f"(below the {display.line(rule.floor_percent)}% floor)")
    for gr in groups:
        if not gr.passed:
            shown, at = display.points(gr.points, gr.floor_points), display.line(gr.floor_points)
            reasons.append(f"{gr.name} {shown}점 < {at}점 (과락, 합산)")
            reasons_en.append(f"{gr.name_en} {shown} < {at} points "
                              f"(below the {display.line(rule.floor_percent)}% floor of the merged group)")

    total_pts = _sum(t.points for t in tallies.values())
    total_max = _sum(t.max_points for t in tallies.values())
    measure = _sum(total_contribution(rule, t.points, t.max_points, len(tallies)) for t in tallies.values())
    line = total_line(rule, total_max)
    total_ok = measure >= line
    if rule.basis == "subject_mean":
        total_pct = measure
        if not total_ok:
            shown, at = display.percent(measure, rule.total_percent), display.line(rule.total_percent)
            reasons.append(f"평균 {shown}점 < {at}점")
            reasons_en.append(f"mean {shown} < {at} points")
    else:
        total_pct = _pct(total_pts, total_max)
        if not total_ok:
            shown, at = display.points(total_pts, line), display.line(line)
            reasons.append(f"총점 {shown}점 < {at}점 ({display.line(rule.total_percent)}% 미달)")
            reasons_en.append(f"total {shown} < {at} points (below {display.line(rule.total_percent)}%)")

    passed = total_ok and all(s.passed for s in subjects)
    return Report(
        exam=blueprint.id, exam_name=blueprint.name_ko, exam_name_en=blueprint.name_en, edition=ed.id,
        passed=passed, complete=complete,
        total=TotalResult(points=total_pts, max_points=total_max, percent=round(float(total_pct), 4),
                          threshold_percent=rule.total_percent, floor_percent=rule.floor_percent,
                          basis=rule.basis, passed=total_ok),
        subjects=tuple(subjects), groups=tuple(groups),
        sessions=tuple(SessionResult(session=k, points=v.points, max_points=v.max_points)
                       for k, v in sorted(sessions.items())),
        reasons=tuple(reasons), reasons_en=tuple(reasons_en), notes=tuple(notes), pass_rule=rule.text,
        items=tuple(items), to_pass=to_pass,
    )
