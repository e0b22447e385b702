"""Domain plugin: bar — the 변호사시험 선택형 (`lawyer`)."""

from examqa.exams.domains import builtin_domain
from examqa.exams.plugins import Domain


def plugin() -> Domain:
    """Entry point of the ``examqa.plugins`` group."""
    return builtin_domain("bar", "lawyer")
