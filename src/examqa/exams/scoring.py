"""Scoring: points per subject, floor group, session and in total, and the verdict under the law.

All arithmetic is exact (:class:`fractions.Fraction`); percentages are compared by cross-multiplying,
so "이상" (at least) includes the boundary itself: exactly 60 % passes, a hair under fails.

The rule kinds (:data:`~examqa.exams.models.RuleKind`): ``absolute`` lines decide; a ``rank`` exam's lines make a
sheet eligible and the year's announced cut decides (:func:`applied_rule` puts the cut in place of the total
line when it is higher; without a published cut an eligible sheet is ``cut_unpublished``, never a PASS); a
``part`` paper never decides on its own. Electives: a sheet is graded on the elective it sat (:func:`sat_electives`).
The KMMLU-Pro paper's own rule is :func:`paper_verdict`, shown beside the law's, never instead of it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Literal

from examqa.errors import InputError
from examqa.exams import display
from examqa.exams.grading import Grader, KeyGrader, check_marks
from examqa.exams.models import (
    Blueprint,
    Cut,
    Edition,
    Marks,
    PaperRule,
    PassRule,
    Question,
    RuleKind,
    SubjectSpec,
    rule_decides,
)
from examqa.exams.report import (
    CutResult,
    Decision,
    GroupResult,
    ItemResult,
    PaperVerdict,
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


@dataclass(frozen=True)
class AppliedRule:
    """The pass rule as it applies to one year's paper: the lines the verdict holds a sheet against.

    ``total_percent`` is the line the total is held against: the statutory one, or the year's announced
    cut where that is higher (a rank exam). ``decides`` is False when no line this paper holds decides a
    pass: a rank exam without the year's cut, or a part of a larger exam.
    """

    kind: RuleKind
    basis: Literal["total_points", "subject_mean"]
    floor_percent: Fraction
    total_percent: Fraction
    cut: Cut | None

    @property
    def decides(self) -> bool:
        """Whether a sheet that meets every line here passes under the law."""
        return rule_decides(self.kind, self.cut is not None)


def applied_rule(blueprint: Blueprint, year: int | None) -> AppliedRule:
    """``blueprint``'s rule for the paper of ``year`` (None: unknown, so no announced cut applies)."""
    rule = blueprint.pass_rule
    cut = rule.cut(year) if rule.kind == "rank" else None
    line = rule.total_percent if cut is None else max(rule.total_percent, cut.percent)
    return AppliedRule(kind=rule.kind, basis=rule.basis, floor_percent=rule.floor_percent, total_percent=line,
                       cut=cut)


RuleLike = PassRule | AppliedRule


def clears_floor(rule: RuleLike | PaperRule, points: Fraction, max_points: Fraction) -> bool:
    """Whether ``points`` reach the floor (40 %) of ``max_points``; "이상": the boundary passes.

    The law's floor (a :class:`PassRule`) or the KMMLU-Pro paper's own (a :class:`PaperRule`).
    """
    # points × 100 ≥ floor% × max, cross-multiplied (denominators are positive)
    f = rule.floor_percent
    return (points.numerator * 100 * f.denominator * max_points.denominator
            >= f.numerator * max_points.numerator * points.denominator)


def total_contribution(rule: RuleLike, points: Fraction, max_points: Fraction, subjects: int) -> Fraction:
    """What one subject adds to the quantity held against the total line.

    ``total_points``: its points. ``subject_mean``: its percent ÷ the number of graded subjects, so the
    sum over subjects is the mean of subject percents ("평균 60점 이상", every subject out of 100).
    """
    if rule.basis == "subject_mean":
        return _pct(points, max_points, subjects)
    return points


def total_line(rule: RuleLike, max_points: Fraction) -> Fraction:
    """The total line in the units of :func:`total_contribution` (``max_points``: all graded subjects).

    The rule's own line: the statutory one (a :class:`PassRule`), or the year's cut where that is higher
    (an :class:`AppliedRule`).
    """
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


def exam_year(questions: Sequence[Question]) -> int | None:
    """The bank's year: the most common year its items state (ties: the later year); None when none does.

    Ties go to the later year, so the year never depends on item order.
    """
    years = Counter(q.year for q in questions if q.year is not None)
    return max(years.items(), key=lambda kv: (kv[1], kv[0]))[0] if years else None


def choose_edition(blueprint: Blueprint, questions: Sequence[Question], edition_id: str | None) -> Edition:
    """The edition named, else the one in force in the bank's (most common) year, else the latest."""
    if edition_id is not None:
        try:
            return blueprint.edition(edition_id=edition_id)
        except ValueError as exc:
            raise InputError(str(exc), hint="see `examqa exams --detail`") from exc
    return blueprint.edition(year=exam_year(questions))


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


ELECTIVE_HINT = "name the elective sat: elective=NAME in Python, --elective NAME on the command line"


def _as_names(chosen: str | Sequence[str] | None) -> list[str]:
    if chosen is None:
        return []
    if isinstance(chosen, str):
        return [n.strip() for n in chosen.split(",") if n.strip()]
    return [n.strip() for n in chosen if n.strip()]


def held_electives(edition: Edition, questions: Sequence[Question]) -> dict[str, dict[str, list[int]]]:
    """Elective slot → subject → the positions in ``questions`` of its items, for every slot the bank holds
    items of (slots and subjects in the order of their first item)."""
    held: dict[str, dict[str, list[int]]] = {}
    for j, q in enumerate(questions):
        spec = edition.subject(q.subject)
        if spec is not None and spec.elective is not None:
            held.setdefault(spec.elective, {}).setdefault(spec.name, []).append(j)
    return held


def sat_electives(blueprint: Blueprint, edition: Edition, questions: Sequence[Question],
                  marks: Mapping[str, Marks] | None, chosen: str | Sequence[str] | None) -> dict[str, str]:
    """Elective slot → the subject sat, for every slot the bank holds items of.

    The elective named in ``chosen`` (a subject name or alias, or several for several slots) wins. Else a
    slot whose bank holds one elective's items is that one; else the sheet tells, by the one elective it
    marks answers in (``marks``; None = do not infer). Raises :class:`~examqa.errors.InputError` when a
    named subject is no elective of the exam, and when the sheet marks answers in several electives of a
    slot, or in none while the bank holds several.
    """
    slots = edition.electives
    if not slots:
        if _as_names(chosen):
            raise InputError(f"{blueprint.id} has no electives, so there is none to choose "
                             f"({', '.join(_as_names(chosen))})", hint="leave out --elective for this exam")
        return {}
    held = held_electives(edition, questions)
    sat: dict[str, str] = {}
    for name in _as_names(chosen):
        spec = edition.subject(name)
        if spec is None or spec.elective is None:
            offered = "; ".join(f"{slot}: {', '.join(names)}" for slot, names in slots.items())
            raise InputError(f"{name!r} is not an elective of {blueprint.id} (electives — {offered})",
                             hint=ELECTIVE_HINT)
        if spec.elective in sat and sat[spec.elective] != spec.name:
            raise InputError(f"two electives named for {spec.elective} of {blueprint.id}: {sat[spec.elective]} and "
                             f"{spec.name}; a candidate sits one", hint=ELECTIVE_HINT)
        in_slot = held.get(spec.elective, {})
        if in_slot and spec.name not in in_slot:
            raise InputError(f"the bank holds no items of the elective {spec.name} (it holds: "
                             f"{', '.join(in_slot)})", hint=ELECTIVE_HINT)
        sat[spec.elective] = spec.name
    for slot in slots:  # blueprint order
        subjects = held.get(slot, {})
        if slot in sat or not subjects:
            continue
        if len(subjects) == 1:
            sat[slot] = next(iter(subjects))
            continue
        if marks is None:
            raise InputError(f"the bank holds several electives of {blueprint.id} ({', '.join(subjects)}): "
                             "which one was sat?", hint=ELECTIVE_HINT)
        answered = {name: sum(1 for j in at if marks.get(questions[j].id)) for name, at in subjects.items()}
        marked = [name for name, n in answered.items() if n]
        if len(marked) == 1:
            sat[slot] = marked[0]
        elif not marked:
            raise InputError(f"the sheet answers none of the electives of {blueprint.id} the bank holds "
                             f"({', '.join(subjects)}), so it does not say which was sat", hint=ELECTIVE_HINT)
        else:
            listed = ", ".join(f"{name} {n}" for name, n in answered.items() if n)
            raise InputError(f"the sheet answers items of several electives of {blueprint.id} ({listed} item(s)); "
                             "a candidate sits one", hint=ELECTIVE_HINT)
    return sat


def run_electives(blueprint: Blueprint, edition: Edition, questions: Sequence[Question],
                  chosen: str | Sequence[str] | None) -> tuple[list[str], list[str]]:
    """The electives a model run is graded on, and a note for each one examqa chose.

    A model answers every item it is asked, so its answers cannot say which elective it "sat": the one
    named in ``chosen`` is graded, else the first of the slot (blueprint order) the bank holds, and the
    note says so. Raises :class:`~examqa.errors.InputError` for a name that is no elective of the exam.
    """
    named = sat_electives(blueprint, edition, questions, {}, chosen) if _as_names(chosen) else {}
    held = held_electives(edition, questions)
    notes: list[str] = []
    sat = dict(named)
    for slot, names in edition.electives.items():
        present = [n for n in names if n in held.get(slot, {})]
        if slot in sat or not present:
            continue
        sat[slot] = present[0]
        if len(present) > 1:
            notes.append(f"graded on the elective {present[0]}, the first of {slot} the bank holds "
                         f"({', '.join(present)}): --elective names another")
    return list(sat.values()), notes


def electives_of(blueprint: Blueprint, names: str | Sequence[str] | None) -> list[str]:
    """The names in ``names`` that are electives of ``blueprint`` (a suite's --elective covers several exams)."""
    electives = {n for e in blueprint.editions for n in (s for names_ in e.electives.values() for s in names_)}
    out = []
    for name in _as_names(names):
        for e in blueprint.editions:
            spec = e.subject(name)
            if spec is not None and spec.name in electives:
                out.append(name)
                break
    return out


def elective_notes(edition: Edition, questions: Sequence[Question], marks: Mapping[str, Marks],
                   sat: Mapping[str, str]) -> list[str]:
    """What grading on the electives sat leaves out, in words (never dropped silently)."""
    left: Counter[str] = Counter()
    marked: Counter[str] = Counter()
    for q in questions:
        spec = edition.subject(q.subject)
        if spec is None or spec.elective is None or sat.get(spec.elective) == spec.name:
            continue
        left[spec.name] += 1
        marked[spec.name] += bool(marks.get(q.id))
    notes = []
    if sat:
        notes.append("선택과목 / elective sat: " + ", ".join(sat.values()))
    if left:
        notes.append("electives not sat, not graded: " + ", ".join(f"{name} ({n} item(s))" for name, n in left.items()))
    if any(marked.values()):
        notes.append("the sheet also marks items of electives not sat (not graded): "
                     + ", ".join(f"{name} {n}" for name, n in marked.items() if n))
    return notes


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
    elective: str | Sequence[str] | None = None,
    year: int | None = None,
) -> Report:
    """Grade ``marks`` (question id → marked choices) on ``questions`` under ``blueprint``'s rule.

    Ids absent from ``marks`` are blank. A bank smaller than the blueprint is scored on what it
    holds, and the report says so (``complete`` is False, ``notes`` name the gaps).

    ``elective`` names the elective sat (세무사, 공인노무사) when the bank holds several; by default the
    sheet tells by the one it answers (:func:`sat_electives`). ``year`` is the exam year whose announced
    cut applies (rank exams); by default the bank's (:func:`exam_year`).
    """
    grade = grader or KeyGrader()
    ed = choose_edition(blueprint, questions, edition)
    notes: list[str] = edition_notes(blueprint, questions, ed, named=edition is not None)
    known = {q.id for q in questions}
    stray = sorted(set(marks) - known)
    if stray:
        raise InputError(f"the sheet names ids the bank lacks: {', '.join(stray[:5])}"
                         + (" …" if len(stray) > 5 else ""), hint="check the sheet against the bank")
    sat = sat_electives(blueprint, ed, questions, marks, elective)
    notes += elective_notes(ed, questions, marks, sat)
    the_year = year if year is not None else exam_year(questions)

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
        if spec.elective is not None and sat.get(spec.elective) != spec.name:
            continue  # an elective not sat (elective_notes says so)
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
    complete = paper_notes(blueprint, ed, tallies, skipped_accredited, notes, sat=sat)
    rule_notes(blueprint, the_year, complete, notes)
    report = report_from_tallies(blueprint, ed, tallies, sessions, notes=notes, complete=complete, items=items,
                                 year=the_year, electives=tuple(sat.values()))
    return with_to_pass(report, questions, grade, blank_scores_on_all_accepted=blueprint.blank_scores_on_all_accepted)


def rule_notes(blueprint: Blueprint, year: int | None, complete: bool, notes: list[str]) -> None:
    """Append what the rule kind means for this paper: the cut used or missing, a part that decides nothing.

    They depend on the paper and the year, never on the marks: every sheet of one bank gets the same.
    """
    rule = blueprint.pass_rule
    applied = applied_rule(blueprint, year)
    if rule.kind == "part":
        notes.append(f"판정 불가 / undecidable from this part: {rule.whole}")
        if rule.floor_percent:
            notes.append(f"the {format_points(rule.floor_percent)}% lines shown are this part's own, for reference: "
                         "the law's floor is on each subject's parts together")
        return
    if rule.kind != "rank":
        return
    cut = applied.cut
    known = ", ".join(str(c.year) for c in rule.cuts) or "none"
    if cut is None and year is None:
        notes.append("the bank names no year, so no year's announced cut applies: a sheet that meets the statutory "
                     f"lines is eligible, not passed — pass --year (cuts known for: {known})")
    elif cut is None:
        notes.append(f"{year}년 합격선 미발표 / the {year} cut is not published (or not known to examqa; known for: "
                     f"{known}): a sheet that meets the statutory lines is eligible, not passed")
    else:
        src = blueprint.source(cut.source)
        where = f" ({src.title}{', ' + src.url if src and src.url else ''})" if src else ""
        notes.append(f"{year}년 합격선 {cut.published} applies{where}"
                     + ("" if cut.verified else " — from a secondary source, unverified"))
        if not complete:
            notes.append("the cut is for the whole paper; this bank is partial, so it is held against the percent "
                         "of what the bank holds")
    if rule.quota:
        notes.append(f"합격자 결정 / the pass goes by rank: {rule.quota}")


def paper_notes(blueprint: Blueprint, edition: Edition, tallies: Mapping[str, Tally],
                skipped_accredited: Mapping[str, int], notes: list[str], *,
                sat: Mapping[str, str] | None = None) -> bool:
    """Append the caveats about the paper itself to ``notes``; whether it is complete.

    They depend on the items the bank holds, never on the marks: every sheet of one bank gets the same.
    Raises :class:`~examqa.errors.InputError` when the bank holds no gradable item.
    """
    ed = edition
    for name, count in skipped_accredited.items():
        notes.append(f"{name}: {count} item(s) ignored — this subject is met by an accredited score "
                     "and is outside the mean")
    sat = sat or {}
    graded_specs = [s for s in ed.subjects if not s.accredited
                    and (s.elective is None or sat.get(s.elective) == s.name)]
    as_group = {m for g in ed.floor_groups if g.name in tallies for m in g.subjects}
    missing = [s.name for s in graded_specs if s.name not in tallies and s.name not in as_group]
    missing += [f"{slot} ({'/'.join(names)})" for slot, names in ed.electives.items() if slot not in sat]
    complete = not missing
    for g in ed.floor_groups:
        if g.name in tallies:
            complete = False  # the group's items are not told apart by subject: their counts cannot be checked
            notes.append(f"{g.name}: {tallies[g.name].items} item(s) labelled by the merged group, counted toward "
                         "its pooled 과락 line")
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
                        items: Sequence[ItemResult] = (), to_pass: ToPass | None = None, year: int | None = None,
                        electives: Sequence[str] = ()) -> Report:
    """The verdict under the law from per-subject tallies: floors, merged groups, the total line, reasons.

    The one implementation of the pass rule's report: ``score`` calls it for a sheet, a cohort for each
    student (with counts taken for all students at once). ``tallies`` holds every graded subject the
    bank has items of (the electives sat only); ``sessions`` only needs points and maximum per 교시.
    ``notes`` and ``complete`` describe the paper (:func:`paper_notes`, :func:`rule_notes`); ``items``,
    ``to_pass`` and ``electives`` are passed through; ``year`` picks a rank exam's announced cut.
    """
    rule = blueprint.pass_rule
    applied = applied_rule(blueprint, year)
    ed = edition
    graded_specs = [s for s in (*ed.subjects, *(gs for gs in ed.group_subjects if gs.name in tallies))
                    if not s.accredited]
    # Floor groups: pooled points, 40 % of the pooled maximum.
    group_of: dict[str, str] = {}
    groups: list[GroupResult] = []
    group_passed: dict[str, bool] = {}
    for g in ed.floor_groups:
        present = [s for s in (*g.subjects, g.name) if s in tallies]
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

    part = rule.kind == "part"  # a part's own 40 % lines are for reference: they give no reasons
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
        if group is None and not own_ok and not part:
            shown, at = display.points(t.points, floor), display.line(floor)
            reasons.append(f"{spec.name} {shown}점 < {at}점 (과락)")
            reasons_en.append(f"{spec.name_en} {shown} < {at} points "
                              f"(below the {display.line(rule.floor_percent)}% floor)")
    for gr in groups:
        if not gr.passed and not part:
            shown, at = display.points(gr.points, gr.floor_points), display.line(gr.floor_points)
            reasons.append(f"{gr.name} {shown}점 < {at}점 (과락, 합산)")
            reasons_en.append(f"{gr.name_en} {shown} < {at} points "
                              f"(below the {display.line(rule.floor_percent)}% floor of the merged group)")

    total_pts = _sum(t.points for t in tallies.values())
    total_max = _sum(t.max_points for t in tallies.values())
    measure = _sum(total_contribution(rule, t.points, t.max_points, len(tallies)) for t in tallies.values())
    statutory_ok = measure >= total_line(rule, total_max)
    total_ok = measure >= total_line(applied, total_max)
    mean = rule.basis == "subject_mean"
    total_pct = measure if mean else _pct(total_pts, total_max)
    if not statutory_ok and not part:
        if mean:
            shown, at = display.percent(measure, rule.total_percent), display.line(rule.total_percent)
            reasons.append(f"평균 {shown}점 < {at}점")
            reasons_en.append(f"mean {shown} < {at} points")
        else:
            line = total_line(rule, total_max)
            shown, at = display.points(total_pts, line), display.line(line)
            reasons.append(f"총점 {shown}점 < {at}점 ({display.line(rule.total_percent)}% 미달)")
            reasons_en.append(f"total {shown} < {at} points (below {display.line(rule.total_percent)}%)")
    cut = applied.cut
    if cut is not None and statutory_ok and not total_ok:
        if mean:
            shown, at = display.percent(measure, cut.percent), display.line(cut.percent)
            reasons.append(f"평균 {shown}점 < {cut.year}년 합격선 {at}점")
            reasons_en.append(f"mean {shown} < the {cut.year} cut {at}")
        elif cut.points is not None and total_max == cut.of_points:
            shown, at = display.points(total_pts, cut.points), display.line(cut.points)
            reasons.append(f"총점 {shown}점 < {cut.year}년 합격선 {at}점")
            reasons_en.append(f"total {shown} < the {cut.year} cut {at} points")
        else:
            shown, at = display.percent(total_pct, cut.percent), display.line(cut.percent)
            reasons.append(f"총점 {shown}% < {cut.year}년 합격선 {at}%")
            reasons_en.append(f"total {shown}% < the {cut.year} cut {at}%")

    floors_ok = all(s.passed for s in subjects)
    decision: Decision
    if part:
        decision = "part_only"
    elif not (floors_ok and statutory_ok):
        decision = "fail"
    elif rule.kind == "rank" and cut is None:
        decision = "cut_unpublished"
    else:
        decision = "pass" if total_ok else "fail"
    cut_result = None
    if cut is not None:
        src = blueprint.source(cut.source)
        cut_result = CutResult(year=cut.year, round=cut.round, published=cut.published, percent=cut.percent,
                               source=(f"{src.title}{' — ' + src.url if src.url else ''}" if src else cut.source),
                               verified=cut.verified and (src is None or src.verified), met=total_ok)
    return Report(
        exam=blueprint.id, exam_name=blueprint.name_ko, exam_name_en=blueprint.name_en, edition=ed.id,
        passed=decision == "pass", decision=decision, rule_kind=rule.kind, year=year, electives=tuple(electives),
        complete=complete,
        total=TotalResult(points=total_pts, max_points=total_max, percent=round(float(total_pct), 4),
                          threshold_percent=applied.total_percent, floor_percent=rule.floor_percent,
                          basis=rule.basis, passed=total_ok, statutory_percent=rule.total_percent or None,
                          cut=cut_result),
        subjects=tuple(subjects), groups=tuple(groups),
        sessions=tuple(SessionResult(session=k, points=v.points, max_points=v.max_points)
                       for k, v in sorted(sessions.items())),
        reasons=tuple(reasons), reasons_en=tuple(reasons_en), notes=tuple(notes), pass_rule=rule.text,
        items=tuple(items), to_pass=to_pass,
    )


# --------------------------------------------------------------------------------------------- the paper's rule


def paper_verdict(report: Report, rule: PaperRule) -> PaperVerdict:
    """The KMMLU-Pro paper's verdict on ``report``'s sheet under its own rule (not the law's).

    Floor units are the merged groups and the subjects outside them (``floor_unit: group``) or every
    subject (``subject``); the mean is the mean of the units' percents; a cut-off reads the percent of the
    total. Exact: the boundary itself passes.
    """
    if rule.floor_unit == "group":
        units = [(g.name, g.points, g.max_points) for g in report.groups]
        grouped = {s for g in report.groups for s in g.subjects}
        units += [(s.name, s.points, s.max_points) for s in report.subjects if s.name not in grouped]
    else:
        units = [(s.name, s.points, s.max_points) for s in report.subjects]
    units = [u for u in units if u[2]]
    reasons: list[str] = []
    for name, pts, mx in units:
        if not clears_floor(rule, pts, mx):
            reasons.append(f"{name} {display.percent(_pct(pts, mx), rule.floor_percent)}% < "
                           f"{display.line(rule.floor_percent)}%")
    mean = _sum(_pct(pts, mx) for _, pts, mx in units) / len(units) if units else Fraction(0)
    if rule.mean_percent is not None and mean < rule.mean_percent:
        reasons.append(f"mean {display.percent(mean, rule.mean_percent)}% < {display.line(rule.mean_percent)}%")
    total = _pct(report.total.points, report.total.max_points)
    if rule.cut_percent is not None and total < rule.cut_percent:
        reasons.append(f"total {display.percent(total, rule.cut_percent)}% < the cut-off "
                       f"{display.line(rule.cut_percent)}%")
    passed = not reasons and bool(units)
    return PaperVerdict(rule=rule.text, passed=passed, percent=round(float(mean), 4),
                        total_percent=round(float(total), 4), reasons=tuple(reasons),
                        agrees=report.decided and report.passed == passed)
