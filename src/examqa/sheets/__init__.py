"""Sheets: one candidate's answers, read from a CSV or a mapping, and graded (:func:`grade_sheet`).

Owns reading answer cells and sheets (:func:`read_sheet`, :func:`parse_marks`) and grading one sheet against a
bank under an exam's rule. May import :mod:`examqa.exams` and :mod:`examqa.banks`; must not import prompts,
backends, reading, runs or reports — grading a sheet never loads the model-run machinery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from examqa._lazy import lazy_exports

# name → module that defines it
_EXPORTS = {
    "ANSWER_HINT": "examqa.sheets.read",
    "Answers": "examqa.sheets.grade",
    "grade_sheet": "examqa.sheets.grade",
    "paper_for_answers": "examqa.sheets.grade",
    "parse_marks": "examqa.sheets.read",
    "read_sheet": "examqa.sheets.read",
}


__getattr__, __dir__ = lazy_exports("examqa.sheets", _EXPORTS, globals())


if TYPE_CHECKING:  # static checkers and IDEs see the real names
    from examqa.sheets.grade import Answers, grade_sheet, paper_for_answers
    from examqa.sheets.read import ANSWER_HINT, parse_marks, read_sheet

__all__ = [
    "ANSWER_HINT",
    "Answers",
    "grade_sheet",
    "paper_for_answers",
    "parse_marks",
    "read_sheet",
]
