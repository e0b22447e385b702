"""Domain plugin: korean-medicine — the 한의사 국가시험 (`korean-medicine-doctor`)."""

from examqa.exams.domains import builtin_domain
from examqa.exams.plugins import Domain


def plugin() -> Domain:
    """Entry point of the ``examqa.plugins`` group."""
    return builtin_domain("korean-medicine", "korean-medicine-doctor")
