"""examqa: would this answer sheet pass the Korean licence exam?

The public surface, importable as ``examqa.<name>``:

- exams and banks: :func:`load_exam`, :func:`load_bank`, :func:`validate_bank`, :func:`route_bank`;
- sheets: :func:`grade_sheet`, :func:`read_sheet`, :func:`score`;
- cohorts: :func:`grade_cohort` (a whole class's sheets: verdicts, what it takes to pass, item statistics);
- models: :func:`backend`, :func:`evaluate` / :func:`aevaluate` (a paper), :func:`evaluate_suite` /
  :func:`aevaluate_suite` (several exams × modes), :func:`solve` / :func:`asolve` (one question),
  :func:`astream` (one question, streamed), :func:`compare` (runs against each other);
- stored runs: :func:`report_run`, :func:`rescore_run`;
- reading answers: :func:`parse_response`; rendering: :func:`print_report`, :func:`to_markdown`, :func:`to_html`;
- the bundled sample papers, sheets and class, from any install: :mod:`examqa.samples`.

Names load on first use (PEP 562), so ``import examqa`` costs almost nothing and torch, transformers,
aiohttp and jinja2 load only with the call that needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from examqa._lazy import lazy_exports
from examqa._version import __version__

# name → module that defines it
_EXPORTS: dict[str, str] = {
    "AnswerSheet": "examqa.exams.models",
    "Backend": "examqa.backends.base",
    "Bank": "examqa.banks",
    "BankFormat": "examqa.banks",
    "Blueprint": "examqa.exams.models",
    "Cohort": "examqa.cohort",
    "CohortSummary": "examqa.cohort",
    "Comparison": "examqa.comparison.models",
    "Domain": "examqa.exams.plugins",
    "ExamEntry": "examqa.exams.plugins",
    "ExamqaError": "examqa.errors",
    "ExamqaWarning": "examqa.errors",
    "GenerationError": "examqa.errors",
    "Grader": "examqa.exams.grading",
    "InputError": "examqa.errors",
    "ItemFlag": "examqa.cohort",
    "ItemStats": "examqa.cohort",
    "ParsedResponse": "examqa.reading.parse",
    "Question": "examqa.exams.models",
    "Report": "examqa.exams.report",
    "RunOptions": "examqa.runs.options",
    "RunProgress": "examqa.runs.runner",
    "Solution": "examqa.runs.solver",
    "SolveOptions": "examqa.runs.options",
    "SuiteOptions": "examqa.runs.options",
    "SuiteReport": "examqa.suite.run",
    "TextDelta": "examqa.backends.base",
    "UnknownExamError": "examqa.errors",
    "aevaluate": "examqa.runs.runner",
    "aevaluate_suite": "examqa.suite.run",
    "asolve": "examqa.runs.solver",
    "astream": "examqa.runs.solver",
    "backend": "examqa.backends",
    "compare": "examqa.comparison.runs",
    "domain_from_files": "examqa.exams.plugins",
    "evaluate": "examqa.runs.runner",
    "evaluate_suite": "examqa.suite.run",
    "grade_cohort": "examqa.cohort",
    "grade_sheet": "examqa.sheets.grade",
    "load_bank": "examqa.banks",
    "load_exam": "examqa.exams.plugins",
    "parse_response": "examqa.reading.parse",
    "print_report": "examqa.reports",
    "read_sheet": "examqa.sheets.read",
    "report_run": "examqa.runs.runner",
    "rescore_run": "examqa.runs.runner",
    "route_bank": "examqa.banks",
    "samples": "examqa.samples",
    "score": "examqa.exams.scoring",
    "solve": "examqa.runs.solver",
    "to_html": "examqa.reports",
    "to_markdown": "examqa.reports",
    "validate_bank": "examqa.banks",
}

__all__ = [
    "AnswerSheet",
    "Backend",
    "Bank",
    "BankFormat",
    "Blueprint",
    "Cohort",
    "CohortSummary",
    "Comparison",
    "Domain",
    "ExamEntry",
    "ExamqaError",
    "ExamqaWarning",
    "GenerationError",
    "Grader",
    "InputError",
    "ItemFlag",
    "ItemStats",
    "ParsedResponse",
    "Question",
    "Report",
    "RunOptions",
    "RunProgress",
    "Solution",
    "SolveOptions",
    "SuiteOptions",
    "SuiteReport",
    "TextDelta",
    "UnknownExamError",
    "__version__",
    "aevaluate",
    "aevaluate_suite",
    "asolve",
    "astream",
    "backend",
    "compare",
    "domain_from_files",
    "evaluate",
    "evaluate_suite",
    "grade_cohort",
    "grade_sheet",
    "load_bank",
    "load_exam",
    "parse_response",
    "print_report",
    "read_sheet",
    "report_run",
    "rescore_run",
    "route_bank",
    "samples",
    "score",
    "solve",
    "to_html",
    "to_markdown",
    "validate_bank",
]


__getattr__, __dir__ = lazy_exports("examqa", _EXPORTS, globals())


if TYPE_CHECKING:  # static checkers and IDEs see the real names
    from examqa import samples
    from examqa.backends import backend
    from examqa.backends.base import Backend, TextDelta
    from examqa.banks import Bank, BankFormat, load_bank, route_bank, validate_bank
    from examqa.cohort import Cohort, CohortSummary, ItemFlag, ItemStats, grade_cohort
    from examqa.comparison.models import Comparison
    from examqa.comparison.runs import compare
    from examqa.errors import ExamqaError, ExamqaWarning, GenerationError, InputError, UnknownExamError
    from examqa.exams.grading import Grader
    from examqa.exams.models import AnswerSheet, Blueprint, Question
    from examqa.exams.plugins import Domain, ExamEntry, domain_from_files, load_exam
    from examqa.exams.report import Report
    from examqa.exams.scoring import score
    from examqa.reading.parse import ParsedResponse, parse_response
    from examqa.reports import print_report, to_html, to_markdown
    from examqa.runs.options import RunOptions, SolveOptions, SuiteOptions
    from examqa.runs.runner import RunProgress, aevaluate, evaluate, report_run, rescore_run
    from examqa.runs.solver import Solution, asolve, astream, solve
    from examqa.sheets.grade import grade_sheet
    from examqa.sheets.read import read_sheet
    from examqa.suite.run import SuiteReport, aevaluate_suite, evaluate_suite
