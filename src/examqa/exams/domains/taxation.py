"""Domain plugin: taxation — the 세무사 1차 (`tax-accountant`)."""

from examqa.exams.domains import builtin_domain
from examqa.exams.plugins import Domain


def plugin() -> Domain:
    """Entry point of the ``examqa.plugins`` group."""
    return builtin_domain("taxation", "tax-accountant")
