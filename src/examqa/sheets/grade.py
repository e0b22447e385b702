"""Grading one sheet: ``grade_sheet(exam, bank, answers)`` — what a tutoring product calls.

The report is the same object the CLI prints (``examqa grade … --json`` is its JSON).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from examqa.banks import Bank, bank_for_exam
from examqa.errors import InputError
from examqa.exams.grading import check_marks
from examqa.exams.models import AnswerSheet, Marks
from examqa.exams.plugins import ExamEntry, get_exam, get_grader
from examqa.exams.report import Report
from examqa.exams.scoring import score
from examqa.sheets.read import read_sheet

Answers = AnswerSheet | Mapping[str, int | Sequence[int] | None] | Path | str


def _marks(answers: Answers, bank: Bank) -> dict[str, Marks]:
    if isinstance(answers, AnswerSheet):
        return dict(answers.marks)
    if isinstance(answers, str | Path):
        return dict(read_sheet(Path(answers), bank).marks)
    by_id = {q.id: q for q in bank.questions}
    marks: dict[str, Marks] = {}
    for qid, value in answers.items():
        q = by_id.get(qid)
        if q is None:
            raise InputError(f"answer for {qid!r}, which the bank lacks", hint="check the ids against the bank")
        chosen: tuple[int, ...] = () if value is None else (value,) if isinstance(value, int) else tuple(value)
        marks[qid] = check_marks(q, chosen)
    return marks


def grade_sheet(exam: str | ExamEntry, bank: Bank | Path | str, answers: Answers, *,
                edition: str | None = None, grader: str | None = None, bank_format: str | None = None) -> Report:
    """Grade ``answers`` on ``bank`` under ``exam``'s pass rule.

    ``answers`` may be an :class:`AnswerSheet`, a path to a sheet CSV, or a mapping id → choice
    (1-based int), several choices (a double mark, scores nothing) or None (blank). Every path meets
    the same mark check (:func:`examqa.exams.grading.check_marks`): a mark outside the item's choices is an
    :class:`~examqa.errors.InputError`. ``grader`` names a grader in ``examqa.graders`` to use instead
    of the exam's own.
    """
    entry = get_exam(exam) if isinstance(exam, str) else exam
    # a path may hold several exams' rows (a KMMLU-Pro file): grade this exam's
    loaded = bank if isinstance(bank, Bank) else bank_for_exam(Path(bank), entry.blueprint.id, bank_format)[0]
    marks = _marks(answers, loaded)
    chosen = get_grader(grader) if grader is not None else entry.domain.grader
    return score(entry.blueprint, loaded.questions, marks, edition=edition, grader=chosen)
