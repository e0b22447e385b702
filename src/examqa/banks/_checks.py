"""Defects a question can carry and still grade: the traces PDF extraction leaves in real papers.

The key is what grading needs; a lost choice text or a stem run into the choices spoils a prompt for a
model but not a candidate's score. So these are warnings: the bank loads, and the user can see them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from examqa.banks._types import Location, Sink
from examqa.exams.models import Question

# Twenty Hangul syllables without a space: natural Korean never runs that long (a long compound noun is
# about ten), but text whose spaces were lost in PDF extraction does.
_NO_SPACES = re.compile(r"[가-힣]{20,}")
_QUESTION_MARK = re.compile(r"[?？]")


def _numbers(indices: Sequence[int]) -> str:
    return ", ".join(str(i) for i in indices)


def question_warnings(q: Question, where: Location, sink: Sink) -> None:
    """Warn about empty or repeated choices, an empty stem, and a stem that ran into the choices."""
    if not q.stem.strip():
        sink.warning(f"question {q.id!r}: empty stem", path=where.path, line=where.line, question_id=q.id)
    empty = [i for i, c in enumerate(q.choices, start=1) if not c.strip()]
    if empty:
        plural = "s" if len(empty) > 1 else ""
        sink.warning(f"question {q.id!r}: choice{plural} {_numbers(empty)} empty (text lost in extraction?); "
                     "it still grades on its key", path=where.path, line=where.line, question_id=q.id)
    first_seen: dict[str, int] = {}
    for i, c in enumerate(q.choices, start=1):
        text = " ".join(c.split())
        if not text:
            continue
        if text in first_seen:
            sink.warning(f"question {q.id!r}: choices {first_seen[text]} and {i} have the same text",
                         path=where.path, line=where.line, question_id=q.id)
        else:
            first_seen[text] = i
    merged = [i for i, c in enumerate(q.choices, start=1) if _QUESTION_MARK.search(c)]
    if merged:
        sink.warning(f"question {q.id!r}: choice {_numbers(merged)} holds a question mark — the stem may "
                     "have run into the choices", path=where.path, line=where.line, question_id=q.id)


def lost_spaces_warning(questions: Sequence[tuple[Question, Location]], path: Path, sink: Sink) -> None:
    """One warning per file listing the questions whose text lost its spaces (common, and harmless)."""
    hits = [(q, loc) for q, loc in questions
            if any(_NO_SPACES.search(t) for t in (q.stem, *q.choices))]
    if not hits:
        return
    shown = ", ".join(q.id for q, _ in hits[:5]) + (", …" if len(hits) > 5 else "")
    sink.warning(f"{len(hits)} question(s) read as text that lost its spaces (PDF extraction?): {shown}",
                 path=path, line=hits[0][1].line)
