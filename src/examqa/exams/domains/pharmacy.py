"""Domain plugin: pharmacy — the 약사 국가시험 (`pharmacist`)."""

from examqa.exams.domains import builtin_domain
from examqa.exams.plugins import Domain


def plugin() -> Domain:
    """Entry point of the ``examqa.plugins`` group."""
    return builtin_domain("pharmacy", "pharmacist")
