"""Cohorts: grade a whole class's mock exam (모의고사) at once, find the items that misbehave, and tell each
candidate what it takes to pass.

>>> cohort = grade_cohort("loss-adjuster", "papers/2020", "mock-exam.csv")        # doctest: +SKIP
>>> cohort.summary.pass_rate, cohort.summary.flags[:3]                             # doctest: +SKIP
>>> cohort.result("김민수").to_pass                                                 # doctest: +SKIP

numpy does the counting and is imported on the first call, never by ``import examqa``. The names load
on first use (PEP 562): the command line asks ``detect_layout`` for every ``--answers`` to
tell a cohort from one sheet, and one sheet must not pay for the cohort's models.

Owns reading a class's sheets (wide, long, a folder, rows, a DataFrame), grading them all exactly as each
is graded alone, item statistics and flags, and placing a model run among the students. May import exams,
banks and sheets; must not import prompts, reading, backends, runs, comparison or the suite (a model run is
placed from its :class:`~examqa.exams.Report`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from examqa._lazy import lazy_exports

# name → module that defines it
_EXPORTS = {
    "BadSheet": "examqa.cohort._models",
    "Cohort": "examqa.cohort._result",
    "CohortSummary": "examqa.cohort._models",
    "ItemFlag": "examqa.cohort._models",
    "ItemStats": "examqa.cohort._models",
    "Placement": "examqa.cohort._models",
    "StudentResult": "examqa.cohort._result",
    "SubjectDistribution": "examqa.cohort._models",
    "SubjectPlacement": "examqa.cohort._models",
    "detect_layout": "examqa.cohort._layout",
    "grade_cohort": "examqa.cohort._api",
}


__getattr__, __dir__ = lazy_exports("examqa.cohort", _EXPORTS, globals())


if TYPE_CHECKING:  # static checkers and IDEs see the real names
    from examqa.cohort._api import grade_cohort
    from examqa.cohort._layout import detect_layout
    from examqa.cohort._models import (
        BadSheet,
        CohortSummary,
        ItemFlag,
        ItemStats,
        Placement,
        SubjectDistribution,
        SubjectPlacement,
    )
    from examqa.cohort._result import Cohort, StudentResult

__all__ = [
    "BadSheet",
    "Cohort",
    "CohortSummary",
    "ItemFlag",
    "ItemStats",
    "Placement",
    "StudentResult",
    "SubjectDistribution",
    "SubjectPlacement",
    "detect_layout",
    "grade_cohort",
]
