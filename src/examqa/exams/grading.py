"""Item grading: does a candidate's mark on one item score under the final key?"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

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
    """The rule shared by all six exams: a single mark scores when the final key accepts it.

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


def check_marks(question: Question, marks: Iterable[int], *, path: Path | None = None,
                line: int | None = None) -> Marks:
    """The marks on ``question`` as a sorted tuple of distinct 1-based choices, or an error.

    The one place marks are validated, whatever path they came by (a CSV sheet, a dict, an
    :class:`~examqa.exams.models.AnswerSheet`, a cohort): a mark outside ``1..len(choices)`` — or one that is
    not a whole number — raises :class:`~examqa.errors.InputError` naming the question (and the file
    and line when given). Two or more distinct marks are a double mark, kept as such (it scores nothing).
    """
    from examqa.errors import InputError

    chosen: set[int] = set()
    n = len(question.choices)
    letters = question.label_style == "letter"
    valid = f"A–{chr(64 + n)}" if letters and n <= 26 else f"1–{n}"
    for mark in marks:
        if isinstance(mark, bool) or not isinstance(mark, int):
            raise InputError(f"answer {mark!r} for question {question.id!r} is not a choice number",
                             path=path, line=line, hint=f"marks are whole numbers 1–{n}")
        if not 1 <= mark <= n:
            shown = chr(64 + mark) if letters and 1 <= mark <= 26 else str(mark)
            raise InputError(f"answer {shown} is out of range for question {question.id!r}: valid choices "
                             f"are {valid}", path=path, line=line)
        chosen.add(mark)
    return tuple(sorted(chosen))
