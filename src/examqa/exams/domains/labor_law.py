"""Domain plugin: labor-law — the 공인노무사 1차 (`labor-attorney`)."""

from examqa.exams.domains import builtin_domain
from examqa.exams.plugins import Domain


def plugin() -> Domain:
    """Entry point of the ``examqa.plugins`` group."""
    return builtin_domain("labor-law", "labor-attorney")
