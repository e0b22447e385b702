"""A graded cohort: the summary, item statistics and flags, and each student's result and report."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal

from examqa.cohort._models import CohortSummary, ItemStats
from examqa.grading import Grader
from examqa.models import Marks, Question
from examqa.plugins import ExamEntry
from examqa.report import Report, ToPass
from examqa.scoring import score
from examqa.topass import by_subject

if TYPE_CHECKING:
    from examqa.cohort._grade import Graded
    from examqa.cohort._read import Sheets

FailedBy = Literal["floor", "total", "both"]


@dataclass(frozen=True)
class StudentResult:
    """One student's verdict, as the cohort computed it (the same as ``score`` on the sheet alone)."""

    student: str
    passed: bool
    failed_by: FailedBy | None
    """``floor``: only a 과락 floor; ``total``: only the total line (mean or total); ``both``."""
    points: dict[str, Fraction]
    """Subject → points."""
    total_points: Fraction
    percent: float
    """The total as the pass rule reads it: percent of the total, or the mean of subject percents."""
    to_pass: ToPass | None


class Cohort:
    """A whole class's mock exam, graded: what :func:`examqa.grade_cohort` returns.

    ``summary`` (pass rate, why students failed, subject distributions, KR-20, flags, a placed model run),
    ``items`` (item statistics) and ``students`` (names, in input order) are ready; ``result(name)`` is a
    student's verdict and ``report(name)`` the full report of the single-sheet path.
    """

    def __init__(self, entry: ExamEntry, grader: Grader, questions: Sequence[Question], edition: str | None,
                 sheets: Sheets, graded: Graded, summary: CohortSummary, items: tuple[ItemStats, ...],
                 percent: Sequence[float]) -> None:
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
        failed_by: FailedBy | None = (None if floor_ok and total_ok else
                                      "both" if not (floor_ok or total_ok) else "floor" if not floor_ok else "total")
        need = int(g.to_pass[row])
        to_pass = None if need < 0 else ToPass(
            items=need, by_subject=by_subject(g.frame.subjects, [int(k) for k in g.to_pass_by[row]]))
        return StudentResult(student=self.students[row], passed=bool(g.passed[row]), failed_by=failed_by,
                             points=points, total_points=sum(points.values(), Fraction(0)),
                             percent=round(self._percent[row], 4), to_pass=to_pass)

    def report(self, student: str) -> Report:
        """The student's full report: ``score`` on the sheet alone, exactly as ``examqa grade`` gives it."""
        return score(self.entry.blueprint, self.questions, self.marks(student), edition=self.edition,
                     grader=self.grader)

    def student_json(self, student: str, *, include_items: bool = False) -> dict[str, Any]:
        """The student's report JSON plus ``student`` (and ``to_pass``, which every report holds).

        ``items`` (the sheet again, item by item) is left out unless asked for: it is most of the bytes.
        """
        data = self.report(student).model_dump(mode="json", exclude=None if include_items else {"items"})
        return {"student": student, **data}

    def to_json(self, *, include_items: bool = False) -> dict[str, Any]:
        """``{"cohort": summary, "students": [...], "items": [...]}`` — what ``--json`` prints."""
        return {"cohort": self.summary.model_dump(mode="json"),
                "students": [self.student_json(s, include_items=include_items) for s in self.students],
                "items": [i.model_dump(mode="json") for i in self.items]}
