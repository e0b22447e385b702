"""Domain plugin: customs — the 관세사 1차 (`customs-broker`)."""

from examqa.exams.domains import builtin_domain
from examqa.exams.plugins import Domain


def plugin() -> Domain:
    """Entry point of the ``examqa.plugins`` group."""
    return builtin_domain("customs", "customs-broker")
