"""Item grading: does a candidate's mark on one item score under the final key?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from examqa.exams.marks import check_marks  # re-exported: its home is the cell reader
from examqa.exams.models import Marks, Question

ItemStatus = Literal["correct", "wrong", "blank", "multiple"]
"""How one item ended: scored, a wrong single mark, no mark, or two or more marks (scores nothing)."""


class Grader(Protocol):
    """Decides the status of one item. A domain plugin may bring its own."""

    def __call__(self, question: Question, marks: Marks, *, blank_scores_on_all_accepted: bool) -> ItemStatus:
        """Grade ``marks`` on ``question``."""
        ...


@dataclass(frozen=True)
class KeyGrader:
    """The rule shared by every built-in exam: a single mark scores when the final key accepts it.

    복수정답 and 전항정답 keys accept several or all choices; two marks on one item score nothing even
    when both are accepted. A blank scores on a 전항정답 item only where the exam says so.
    """

    def __call__(self, question: Question, marks: Marks, *, blank_scores_on_all_accepted: bool) -> ItemStatus:
        """Grade ``marks`` on ``question``."""
        distinct = set(marks)
        if not distinct:
            if blank_scores_on_all_accepted and question.all_accepted:
                return "correct"
            return "blank"
        if len(distinct) > 1:
            return "multiple"
        return "correct" if next(iter(distinct)) in question.accepted else "wrong"


__all__ = ["Grader", "ItemStatus", "KeyGrader", "check_marks"]
