"""Grading one sheet: ``grade_sheet(exam, bank, answers)`` — what a tutoring product calls.

The report is the same object the CLI prints (``examqa grade … --json`` is its JSON).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from examqa.banks import Bank, SeveralPapersError, bank_for_exam, one_paper, papers_answered
from examqa.errors import InputError
from examqa.exams.marks import read_marks
from examqa.exams.models import AnswerSheet, Blueprint, Marks
from examqa.exams.plugins import ExamEntry, get_exam, get_grader
from examqa.exams.report import Report
from examqa.exams.scoring import mark_choices, score
from examqa.sheets.read import read_sheet, sheet_ids

Answers = AnswerSheet | Mapping[str, Any] | Sequence[tuple[str, Any]] | Path | str
"""A sheet: an :class:`AnswerSheet`, a path to a CSV, a mapping id → mark, or (id, mark) pairs."""


def _pairs(answers: Any) -> Iterable[tuple[Any, Any]]:
    if isinstance(answers, Mapping):
        return answers.items()
    if isinstance(answers, Iterable) and not isinstance(answers, bytes):
        pairs = list(answers)
        if all(isinstance(p, Sequence) and not isinstance(p, str) and len(p) == 2 for p in pairs):
            return [(p[0], p[1]) for p in pairs]
    raise InputError(f"answers must be a mapping of question id to mark, (id, mark) pairs, an AnswerSheet or a "
                     f"sheet's path, not {type(answers).__name__}", hint='e.g. {"CUS-01": 3, "CUS-02": None}')


def _marks(answers: Any, bank: Bank, widths: Mapping[str, int]) -> dict[str, Marks]:
    if isinstance(answers, AnswerSheet):
        return dict(answers.marks)
    if isinstance(answers, str | Path):
        return dict(read_sheet(Path(answers), bank, choices=widths).marks)
    by_id = {q.id: q for q in bank.questions}
    marks: dict[str, Marks] = {}
    for key, value in _pairs(answers):
        qid = key if isinstance(key, str) else str(key) if isinstance(key, int) and not isinstance(key, bool) else None
        q = by_id.get(qid) if qid is not None else None
        if q is None:
            raise InputError(f"answer for {key!r}, which the bank lacks", hint="check the ids against the bank")
        if qid in marks:
            raise InputError(f"question {qid!r} is answered twice", hint="give one mark per question")
        marks[q.id] = read_marks(value, q, choices=widths.get(q.id))
    return marks


def _answered(answers: Any) -> list[str]:
    """The item ids a sheet names, whatever its form (for messages; unreadable: ``[]``)."""
    if isinstance(answers, AnswerSheet):
        return list(answers.marks)
    if isinstance(answers, str | Path):
        return sheet_ids(answers)
    try:
        return [str(k) for k, _ in _pairs(answers)]
    except InputError:
        return []


def paper_for_answers(bank: Bank, blueprint: Blueprint, paper: str | int | None, edition: str | None,
                      answered: Sequence[str] | Callable[[], Sequence[str]]) -> Bank:
    """:func:`examqa.banks.one_paper`, with what the sheet's ids say: the paper they all belong to when the
    bank holds several and none was named, or the items of other papers a sheet answers when one was.

    ``answered`` is the ids, or a function that gives them, called only when they are needed: when the
    bank holds several papers or ``paper`` is named (a sheet CSV is not read twice for a one-paper bank)."""
    def ids() -> Sequence[str]:
        return answered() if callable(answered) else answered

    try:
        chosen = one_paper(bank, blueprint, paper, edition=edition)
    except SeveralPapersError as exc:
        held = papers_answered(bank, ids())
        if len(held) != 1:
            raise
        label = held[0][0].label
        name = str(held[0][0].year) if held[0][0].year is not None else label
        raise SeveralPapersError(f"{exc.message}; the answers are all paper {label}'s ({held[0][1]} items)",
                                 papers=exc.papers, path=exc.path,
                                 hint=f"grade it with --paper {name} (paper=\"{name}\" in Python)") from exc
    if chosen is not bank:
        inside = {q.id for q in chosen.questions}
        others = papers_answered(bank, [i for i in ids() if i not in inside])
        if others:
            listing = ", ".join(f"{p.label} {n}" for p, n in others)
            raise InputError(f"the answers name items of other papers than {paper} ({listing})",
                             hint="check --paper against the sheet")
    return chosen


def grade_sheet(exam: str | ExamEntry, bank: Bank | Path | str, answers: Answers, *,
                edition: str | None = None, grader: str | None = None, bank_format: str | None = None,
                paper: str | int | None = None, elective: str | Sequence[str] | None = None,
                year: int | None = None) -> Report:
    """Grade ``answers`` on ``bank`` under ``exam``'s pass rule.

    ``answers`` may be an :class:`AnswerSheet`, a path to a sheet CSV, a mapping id → mark, or a
    sequence of (id, mark) pairs. A mark is read as every door reads it
    (:func:`examqa.exams.marks.read_marks`): a choice as any whole number or its text (``3``, ``3.0``,
    ``"3"``, ``"③"``, a letter on items labelled A/B/C), several choices (a double mark, scores
    nothing), or a blank (None, NaN, ``""``). A mark outside the item's choices, or anything that is not
    a mark, is one :class:`~examqa.errors.InputError` naming the item. ``grader`` names a grader in
    ``examqa.graders`` to use instead of the exam's own.

    A verdict is about one paper: a bank that holds several papers' items (a folder of five years)
    raises :class:`~examqa.banks.SeveralPapersError` naming them (and the one the sheet's ids belong
    to); ``paper`` (``"2020"``, ``"43회"``) grades one of them (:func:`examqa.banks.one_paper`).

    ``elective`` names the elective sat (세무사, 공인노무사) when the bank holds several (default: the one
    the sheet answers); ``year`` the exam year whose announced cut applies (rank exams; default: the
    paper's year).
    """
    entry = get_exam(exam) if isinstance(exam, str) else exam
    if not isinstance(answers, AnswerSheet | str | Path | Mapping):
        answers = list(_pairs(answers))  # read once: a generator of pairs is not to be consumed twice
    # a path may hold several exams' rows (a KMMLU-Pro file): grade this exam's
    routed = bank if isinstance(bank, Bank) else bank_for_exam(Path(bank), entry.blueprint.id, bank_format)[0]
    loaded = paper_for_answers(routed, entry.blueprint, paper, edition, lambda: _answered(answers))
    widths = mark_choices(entry.blueprint, loaded.questions, edition)
    marks = _marks(answers, loaded, widths)
    chosen = get_grader(grader) if grader is not None else entry.domain.grader
    return score(entry.blueprint, loaded.questions, marks, edition=edition, grader=chosen, elective=elective,
                 year=year)
