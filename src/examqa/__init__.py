"""examqa: would this answer sheet pass the Korean licence exam?

The public surface, importable as ``examqa.<name>``:

- exams and banks: :func:`load_exam`, :func:`load_bank`, :func:`validate_bank`, :func:`route_bank`;
- sheets: :func:`grade_sheet`, :func:`read_sheet`, :func:`score`;
- cohorts: :func:`grade_cohort` (a whole class's sheets: verdicts, what it takes to pass, item statistics);
- models: :func:`backend`, :func:`evaluate` / :func:`aevaluate` (a paper), :func:`evaluate_suite` /
  :func:`aevaluate_suite` (several exams × modes), :func:`solve` / :func:`asolve` (one question),
  :func:`astream` (one question, streamed), :func:`compare` (runs against each other);
- stored runs: :func:`report_run`, :func:`rescore_run`;
- reading answers: :func:`parse_response`; rendering: :func:`print_report`, :func:`to_markdown`, :func:`to_html`.

Names load on first use (PEP 562), so ``import examqa`` costs almost nothing and torch, transformers,
aiohttp and jinja2 load only with the call that needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from examqa._lazy import lazy_exports
from examqa._version import __version__

# name → module that defines it
_EXPORTS: dict[str, str] = {
    "AnswerSheet": "examqa.models",
    "Backend": "examqa.backends.base",
    "Bank": "examqa.banks",
    "BankFormat": "examqa.banks",
    "Blueprint": "examqa.models",
    "Cohort": "examqa.cohort",
    "CohortSummary": "examqa.cohort",
    "Comparison": "examqa.comparison",
    "Domain": "examqa.plugins",
    "ExamEntry": "examqa.plugins",
    "ExamqaError": "examqa.errors",
    "ExamqaWarning": "examqa.runner",
    "GenerationError": "examqa.errors",
    "Grader": "examqa.grading",
    "InputError": "examqa.errors",
    "ItemFlag": "examqa.cohort",
    "ItemStats": "examqa.cohort",
    "ParsedResponse": "examqa.parsing",
    "Question": "examqa.models",
    "Report": "examqa.report",
    "RunOptions": "examqa.options",
    "RunProgress": "examqa.runner",
    "Solution": "examqa.solver",
    "SolveOptions": "examqa.options",
    "SuiteOptions": "examqa.options",
    "SuiteReport": "examqa.suite",
    "TextDelta": "examqa.backends.base",
    "UnknownExamError": "examqa.errors",
    "aevaluate": "examqa.runner",
    "aevaluate_suite": "examqa.suite",
    "asolve": "examqa.solver",
    "astream": "examqa.solver",
    "backend": "examqa.backends",
    "compare": "examqa.compare_runs",
    "domain_from_files": "examqa.plugins",
    "evaluate": "examqa.runner",
    "evaluate_suite": "examqa.suite",
    "grade_cohort": "examqa.cohort",
    "grade_sheet": "examqa.api",
    "load_bank": "examqa.banks",
    "load_exam": "examqa.api",
    "parse_response": "examqa.parsing",
    "print_report": "examqa.render",
    "read_sheet": "examqa.sheets",
    "report_run": "examqa.runner",
    "rescore_run": "examqa.runner",
    "route_bank": "examqa.banks",
    "score": "examqa.scoring",
    "solve": "examqa.solver",
    "to_html": "examqa.render",
    "to_markdown": "examqa.render",
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
    "score",
    "solve",
    "to_html",
    "to_markdown",
    "validate_bank",
]


__getattr__, __dir__ = lazy_exports("examqa", _EXPORTS, globals())


if TYPE_CHECKING:  # static checkers and IDEs see the real names
    from examqa.api import grade_sheet, load_exam
    from examqa.backends import backend
    from examqa.backends.base import Backend, TextDelta
    from examqa.banks import Bank, BankFormat, load_bank, route_bank, validate_bank
    from examqa.cohort import Cohort, CohortSummary, ItemFlag, ItemStats, grade_cohort
    from examqa.compare_runs import compare
    from examqa.comparison import Comparison
    from examqa.errors import ExamqaError, GenerationError, InputError, UnknownExamError
    from examqa.grading import Grader
    from examqa.models import AnswerSheet, Blueprint, Question
    from examqa.options import RunOptions, SolveOptions, SuiteOptions
    from examqa.parsing import ParsedResponse, parse_response
    from examqa.plugins import Domain, ExamEntry, domain_from_files
    from examqa.render import print_report, to_html, to_markdown
    from examqa.report import Report
    from examqa.runner import ExamqaWarning, RunProgress, aevaluate, evaluate, report_run, rescore_run
    from examqa.scoring import score
    from examqa.sheets import read_sheet
    from examqa.solver import Solution, asolve, astream, solve
    from examqa.suite import SuiteReport, aevaluate_suite, evaluate_suite
