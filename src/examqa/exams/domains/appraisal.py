"""Domain plugin: appraisal — the 감정평가사 1차 (`appraiser`)."""

from examqa.exams.domains import builtin_domain
from examqa.exams.plugins import Domain


def plugin() -> Domain:
    """Entry point of the ``examqa.plugins`` group."""
    return builtin_domain("appraisal", "appraiser")
