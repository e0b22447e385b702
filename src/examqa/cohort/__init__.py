"""Cohorts: grade a whole class's mock exam (모의고사) at once, find the items that misbehave, and tell each
candidate what it takes to pass.

>>> cohort = grade_cohort("loss-adjuster", "papers/2020", "mock-exam.csv")        # doctest: +SKIP
>>> cohort.summary.pass_rate, cohort.summary.flags[:3]                             # doctest: +SKIP
>>> cohort.result("김민수").to_pass                                                 # doctest: +SKIP

numpy does the counting and is imported on the first call, never by ``import examqa``.
"""

from examqa.cohort._api import grade_cohort
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
    "grade_cohort",
]
