"""Domain plugin: loss-adjusting — the 손해사정사 1차 (`loss-adjuster`)."""

from examqa.exams.domains import builtin_domain
from examqa.exams.plugins import Domain


def plugin() -> Domain:
    """Entry point of the ``examqa.plugins`` group."""
    return builtin_domain("loss-adjusting", "loss-adjuster")
