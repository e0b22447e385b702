"""Domain plugin: judicial-scrivening — the 법무사 1차 (`judicial-scrivener`)."""

from examqa.exams.domains import builtin_domain
from examqa.exams.plugins import Domain


def plugin() -> Domain:
    """Entry point of the ``examqa.plugins`` group."""
    return builtin_domain("judicial-scrivening", "judicial-scrivener")
