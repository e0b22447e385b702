"""Suites: several exams × both modes of a hybrid model in one call (:func:`evaluate_suite` /
:func:`aevaluate_suite`) — a set of ordinary resumable runs, routed from one bank, each exam's two modes
compared, and one table (:class:`SuiteReport`).

The top of the library: may import runs, comparison, banks, exams and reports; nothing in the library
imports it (only the CLI and ``examqa``'s public names), and it must not import a backend implementation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from examqa._lazy import lazy_exports

# name → module that defines it
_EXPORTS = {
    "aevaluate_suite": "examqa.suite.run",
    "evaluate_suite": "examqa.suite.run",
    "is_suite": "examqa.suite.run",
    "report_suite": "examqa.suite.run",
    "ModeReport": "examqa.suite.run",
    "MODES": "examqa.suite.run",
    "SuiteHeadline": "examqa.suite.run",
    "SuiteReport": "examqa.suite.run",
    "SuiteRow": "examqa.suite.run",
}


__getattr__, __dir__ = lazy_exports("examqa.suite", _EXPORTS, globals())


if TYPE_CHECKING:  # static checkers and IDEs see the real names
    from examqa.suite.run import (
        MODES,
        ModeReport,
        SuiteHeadline,
        SuiteReport,
        SuiteRow,
        aevaluate_suite,
        evaluate_suite,
        is_suite,
        report_suite,
    )

__all__ = [
    "MODES",
    "ModeReport",
    "SuiteHeadline",
    "SuiteReport",
    "SuiteRow",
    "aevaluate_suite",
    "evaluate_suite",
    "is_suite",
    "report_suite",
]
