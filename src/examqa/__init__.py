"""examqa: would this answer sheet pass the Korean licence exam?

The public surface: load an exam and a bank, grade a sheet or parse a model's response, render a report.
Heavy dependencies (torch, transformers) are imported only by the backends that need them.
"""

from examqa._version import __version__
from examqa.api import grade_sheet, load_exam
from examqa.banks import Bank, load_bank, validate_bank
from examqa.errors import ExamqaError, InputError, UnknownExamError
from examqa.models import AnswerSheet, Blueprint, Question
from examqa.parsing import ParsedResponse, parse_response
from examqa.plugins import Domain, ExamEntry, domain_from_files
from examqa.render import print_report, to_html, to_markdown
from examqa.report import Report
from examqa.scoring import score
from examqa.sheets import read_sheet

__all__ = [
    "AnswerSheet",
    "Bank",
    "Blueprint",
    "Domain",
    "ExamEntry",
    "ExamqaError",
    "InputError",
    "ParsedResponse",
    "Question",
    "Report",
    "UnknownExamError",
    "__version__",
    "domain_from_files",
    "grade_sheet",
    "load_bank",
    "load_exam",
    "parse_response",
    "print_report",
    "read_sheet",
    "score",
    "to_html",
    "to_markdown",
    "validate_bank",
]
