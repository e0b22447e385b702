"""Domain plugin: patent — the 변리사 1차 (`patent-attorney`)."""

from examqa.exams.domains import builtin_domain
from examqa.exams.plugins import Domain


def plugin() -> Domain:
    """Entry point of the ``examqa.plugins`` group."""
    return builtin_domain("patent", "patent-attorney")
