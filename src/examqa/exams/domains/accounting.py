"""Domain plugin: accounting — the 공인회계사 1차 (`cpa`)."""

from examqa.exams.domains import builtin_domain
from examqa.exams.plugins import Domain


def plugin() -> Domain:
    """Entry point of the ``examqa.plugins`` group."""
    return builtin_domain("accounting", "cpa")
