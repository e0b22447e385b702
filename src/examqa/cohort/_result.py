"""A graded cohort: the summary, item statistics and flags, and each student's result and report."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from examqa.cohort._models import CohortSummary, ItemStats
from examqa.exams.grading import Grader
from examqa.exams.models import Edition, Marks, Question
from examqa.exams.plugins import ExamEntry
from examqa.exams.report import Decision, Report, ToPass
from examqa.exams.scoring import Tally, format_points, item_session, report_from_tallies, score
from examqa.exams.topass import by_subject, to_pass_target

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from examqa.cohort._grade import Counts, Graded
    from examqa.cohort._read import Sheets

FailedBy = Literal["floor", "total", "both"]


@dataclass(frozen=True)
class StudentResult:
    """One student's verdict, as the cohort computed it (the same as ``score`` on the sheet alone)."""

    student: str
    passed: bool
    failed_by: FailedBy | None
    """``floor``: only a 과락 floor; ``total``: only the total line (mean, total or the year's cut); ``both``;
    None when not failed (a PASS, or a verdict the law cannot decide from this paper)."""
    points: dict[str, Fraction]
    """Subject → points."""
    total_points: Fraction
    percent: float
    """The total as the pass rule reads it: percent of the total, or the mean of subject percents."""
    to_pass: ToPass | None
    decision: Decision = "fail"
    """The law's decision, as :attr:`examqa.exams.Report.decision` (pass, fail, cut_unpublished, part_only)."""


@dataclass(frozen=True)
class StudentTable:
    """Every student's result as columns of display-ready values: what the CSV export and HTML list."""

    student: list[str]
    passed: list[bool]
    failed_by: list[str]
    """``floor``, ``total``, ``both``, or "" when not failed."""
    percent: list[float]
    total_points: list[str]
    points: dict[str, list[str]]
    """Subject → each student's points, written as an examiner writes them (35, 37.5)."""
    to_pass: list[int]
    """Further correct answers needed: 0 for a PASS, −1 when nothing passes."""
    to_pass_by: dict[str, list[int]]
    decision: list[str] = field(default_factory=list)
    """Each student's decision (pass, fail, cut_unpublished, part_only)."""


class Cohort:
    """A whole class's mock exam, graded: what :func:`examqa.grade_cohort` returns.

    ``summary`` (pass rate, why students failed, subject distributions, KR-20, flags, a placed model run),
    ``items`` (item statistics) and ``students`` (names, in input order) are ready; ``result(name)`` is a
    student's verdict and ``report(name)`` the full report of the single-sheet path.
    """

    def __init__(self, entry: ExamEntry, grader: Grader, questions: Sequence[Question], edition: str | None,
                 sheets: Sheets, graded: Graded, summary: CohortSummary, items: tuple[ItemStats, ...],
                 percent: Sequence[float], *, elective: str | Sequence[str] | None = None,
                 year: int | None = None) -> None:
        self.entry = entry
        self.grader = grader
        self.questions = tuple(questions)
        self.edition = edition
        self.summary = summary
        self.items = items
        self.students: tuple[str, ...] = tuple(sheets.students)
        self._sheets = sheets
        self._graded = graded
        self._percent = list(percent)
        self._row = {name: row for row, name in enumerate(self.students)}
        self.elective = graded.template.electives or elective
        self.year = year

    def __len__(self) -> int:
        return len(self.students)

    def _index(self, student: str) -> int:
        try:
            return self._row[student]
        except KeyError:
            raise KeyError(f"no student {student!r} in this cohort") from None

    def marks(self, student: str) -> dict[str, Marks]:
        """The student's marks by question id, blanks left out."""
        return self._sheets.marks(self._index(student), self.questions)

    def result(self, student: str) -> StudentResult:
        """The student's verdict, subject points and what it takes to pass."""
        return self._result(self._index(student))

    def results(self) -> Iterator[StudentResult]:
        """Every student's result, in input order."""
        return (self._result(row) for row in range(len(self.students)))

    def _result(self, row: int) -> StudentResult:
        g = self._graded
        unit = g.frame.unit
        points = {name: Fraction(int(p), unit) for name, p in zip(g.frame.subjects, g.points[row], strict=True)}
        floor_ok, total_ok = bool(g.group_ok[row].all()), bool(g.total_ok[row])
        failed_by: FailedBy | None = (None if (floor_ok and total_ok) or not g.frame.counts else
                                      "both" if not (floor_ok or total_ok) else "floor" if not floor_ok else "total")
        return StudentResult(student=self.students[row], passed=bool(g.passed[row]), failed_by=failed_by,
                             points=points, total_points=sum(points.values(), Fraction(0)),
                             percent=round(self._percent[row], 4), to_pass=self._to_pass(row),
                             decision=decision_of(g, row))

    def _to_pass(self, row: int) -> ToPass | None:
        g = self._graded
        need = int(g.to_pass[row])
        if need < 0:
            return None
        return ToPass(items=need, by_subject=by_subject(g.frame.subjects, [int(k) for k in g.to_pass_by[row]]),
                      target=to_pass_target(g.template))

    def table(self) -> StudentTable:
        """All students at once, as columns (fast: formatted once per distinct value, not per student)."""
        import numpy as np

        g = self._graded
        floor_ok, total_ok = g.group_ok.all(axis=1), g.total_ok
        failed_by = np.where(floor_ok & total_ok, "", np.where(floor_ok, "total", np.where(total_ok, "floor", "both")))
        if not g.frame.counts:
            failed_by[:] = ""
        return StudentTable(
            student=list(self.students), passed=g.passed.tolist(), failed_by=failed_by.tolist(),
            percent=[round(p, 4) for p in self._percent], total_points=_points_text(g.points.sum(axis=1), g.frame.unit),
            points={name: _points_text(g.points[:, s], g.frame.unit) for s, name in enumerate(g.frame.subjects)},
            to_pass=g.to_pass.tolist(),
            to_pass_by={name: g.to_pass_by[:, s].tolist() for s, name in enumerate(g.frame.subjects)},
            decision=decisions_of(g))

    def report(self, student: str) -> Report:
        """The student's full report: ``score`` on the sheet alone, exactly as ``examqa grade`` gives it."""
        return score(self.entry.blueprint, self.questions, self.marks(student), edition=self.edition,
                     grader=self.grader, elective=self.elective or None, year=self.year)

    def student_json(self, student: str, *, include_items: bool = False) -> dict[str, Any]:
        """The student's report JSON plus ``student`` (and ``to_pass``, which every report holds).

        ``items`` (the sheet again, item by item) is left out unless asked for: it is most of the bytes.
        """
        if include_items:
            data = self.report(student).model_dump(mode="json")
        else:
            data = next(self._reports([self._index(student)])).model_dump(mode="json", exclude={"items"})
        return {"student": student, **data}

    def to_json(self, *, include_items: bool = False) -> dict[str, Any]:
        """``{"cohort": summary, "students": [...], "items": [...]}`` — what ``--json`` prints."""
        if include_items:
            students = [self.student_json(s, include_items=True) for s in self.students]
        else:
            students = [{"student": name, **report.model_dump(mode="json", exclude={"items"})}
                        for name, report in zip(self.students, self._reports(range(len(self.students))),
                                                strict=True)]
        return {"cohort": self.summary.model_dump(mode="json"), "students": students,
                "items": [i.model_dump(mode="json") for i in self.items]}

    @cached_property
    def _counts(self) -> tuple[Edition, Counts]:
        """The edition graded under, and every student's tallies (taken once, for all students)."""
        from examqa.cohort._grade import counts

        g = self._graded
        edition = self.entry.blueprint.edition(edition_id=g.template.edition)
        sessions_of = []
        for q in g.questions:
            spec = edition.subject(q.subject)
            assert spec is not None  # the template was scored under this edition: every graded subject is in it
            sessions_of.append(item_session(q, spec))
        return edition, counts(g, sessions_of)

    def _reports(self, rows: Iterable[int]) -> Iterator[Report]:
        """Students' reports without ``items``, equal to ``report(name)`` less its items.

        What ``score`` counts on one sheet's items (:func:`~examqa.exams.scoring.tally_of`) is counted for every
        student at once; the verdict, the reasons and the rest come from
        :func:`~examqa.exams.scoring.report_from_tallies`, which ``score`` calls too.
        """
        g = self._graded
        template = g.template
        blueprint = self.entry.blueprint
        edition, c = self._counts
        unit = g.frame.unit
        fractions: dict[int, Fraction] = {}

        def points(units: int) -> Fraction:
            found = fractions.get(units)
            if found is None:
                found = fractions[units] = Fraction(units, unit)
            return found

        subjects = list(enumerate(g.frame.subjects))
        maxima = [points(m) for m in g.frame.max_units]
        session_maxima = [points(m) for m in c.session_max]
        for row in rows:
            got, answered, correct = g.points[row].tolist(), c.answered[row].tolist(), c.correct[row].tolist()
            multiple, held = c.multiple[row].tolist(), c.session_points[row].tolist()
            tallies = {name: Tally(points=points(got[s]), max_points=maxima[s], items=c.items[s],
                                   answered=answered[s], correct=correct[s], multiple=multiple[s])
                       for s, name in subjects}
            sessions = {number: Tally(points=points(held[j]), max_points=session_maxima[j])
                        for j, number in enumerate(c.sessions)}
            yield report_from_tallies(blueprint, edition, tallies, sessions, notes=template.notes,
                                      complete=template.complete, to_pass=self._to_pass(row), year=template.year,
                                      electives=template.electives)


def decision_of(g: Graded, row: int) -> Decision:
    """The law's decision on one student, as ``score`` gives it on the sheet alone."""
    if not g.frame.counts:
        return "part_only"
    if g.passed[row]:
        return "pass"
    return "cut_unpublished" if g.eligible[row] else "fail"


_DECISIONS: tuple[Decision, ...] = ("fail", "cut_unpublished", "pass")
"""What :func:`decisions_of` indexes: 0 neither eligible nor passed, 1 eligible only, 2 passed."""


def decisions_of(g: Graded) -> list[str]:
    """:func:`decision_of` for every student at once, in input order: one object-array index, not a call each."""
    import numpy as np

    if not g.frame.counts:
        return ["part_only"] * len(g.passed)
    index = np.where(g.passed, 2, np.where(g.eligible, 1, 0))
    decisions: list[str] = np.array(_DECISIONS, dtype=object)[index].tolist()
    return decisions


def _points_text(units: NDArray[np.int64], unit: int) -> list[str]:
    """Points in ``unit``s as text, formatting each distinct value once."""
    import numpy as np

    distinct, where = np.unique(units, return_inverse=True)
    texts = np.array([format_points(Fraction(int(u), unit)) for u in distinct.tolist()], dtype=object)
    return list(texts[where.reshape(-1)])
