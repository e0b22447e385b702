"""Answer sheets: a CSV of ``id,answer`` rows read against a bank.

An answer is a choice as a candidate or a spreadsheet writes it — ``3``, ``③``, ``３``, ``3.0``, or a letter
(``B``) on items whose paper labels choices with letters — or several for a double mark (``2;4``,
``2|4``, ``2 4``, or ``"2,4"`` quoted), which scores nothing. A blank answer is unanswered, and so is
an id the sheet leaves out. Every cell is read by :func:`examqa.exams.marks.read_marks`, the reader behind
every door (mappings, cohorts, DataFrames); every error names the file and line.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from examqa.banks import Bank, MalformedCSV, csv_rows, read_text
from examqa.errors import InputError
from examqa.exams.marks import ANSWER_HINT, read_marks
from examqa.exams.models import AnswerSheet, Marks, Question

ID_HEADERS = {"id", "qid", "question", "question_id", "문항", "문항번호", "번호"}
ANSWER_HEADERS = {"answer", "answers", "mark", "marks", "choice", "정답", "답", "답안", "마킹"}

__all__ = ["ANSWER_HEADERS", "ANSWER_HINT", "ID_HEADERS", "parse_marks", "read_sheet"]


def read_sheet(path: Path | str, bank: Bank, *, choices: Mapping[str, int] | None = None) -> AnswerSheet:
    """Read the answer sheet at ``path`` against ``bank``, the bank whose item ids the sheet names.

    ``bank`` is needed to read each cell: whether an item's choices are numbered or lettered, and how
    many it has. ``choices`` (item id → count, from :func:`examqa.exams.scoring.mark_choices`) widens the
    range for items that lost a choice in extraction; :func:`~examqa.sheets.grade_sheet` passes it.

    The header row (``id,answer``) is optional and a UTF-8 byte-order mark is tolerated. Errors raise
    :class:`~examqa.errors.InputError` naming the file and line: an empty file, an id the bank lacks or
    one listed twice, a mark out of range for its item, unreadable marks, more than two non-blank
    columns, or bytes that are not UTF-8.
    """
    path = Path(path)
    _, text = read_text(path)
    if not text.strip():
        raise InputError("no answers in this file (it is empty)", path=path,
                         hint="a sheet is id,answer rows; leave a row's answer blank for no answer")
    questions = {q.id: q for q in bank.questions}
    widths = choices or {}
    marks: dict[str, Marks] = {}
    seen_at: dict[str, int] = {}
    first = True
    try:
        for line, row in csv_rows(text):
            cells = [c.strip() for c in row]
            if not any(cells):
                continue
            if len(cells) > 2 and any(cells[2:]):
                raise InputError(f"{len(cells)} columns; a sheet row is id,answer", path=path, line=line,
                                 hint='quote a double mark written with commas ("2,4") or write 2;4')
            qid, answer = cells[0], cells[1] if len(cells) > 1 else ""
            if first:
                first = False
                if qid not in questions and (qid.lower() in ID_HEADERS or answer.lower() in ANSWER_HEADERS):
                    continue
            if not qid:
                raise InputError("missing question id", path=path, line=line)
            q = questions.get(qid)
            if q is None:
                example = next(iter(questions), "")
                raise InputError(f"question id {qid!r} is not in the bank", path=path, line=line,
                                 hint=f"check the sheet against the bank (its ids look like {example!r})")
            if qid in seen_at:
                raise InputError(f"question {qid!r} is answered twice (also at line {seen_at[qid]})",
                                 path=path, line=line, hint="keep one row per question")
            seen_at[qid] = line
            marks[qid] = read_marks(answer, q, choices=widths.get(qid), path=path, line=line)
    except MalformedCSV as exc:
        raise InputError(f"malformed CSV: {exc}", path=path, line=exc.line,
                         hint='quote a double mark written with commas: "2,4"') from exc
    return AnswerSheet(marks=marks, source=str(path))


def sheet_ids(path: Path | str) -> list[str]:
    """The item ids a sheet CSV names (its first column, header left out), read leniently: for messages
    that say which paper a sheet belongs to, before the sheet itself is read. Unreadable: ``[]``."""
    try:
        _, text = read_text(Path(path))
        rows = [row[0].strip() for _, row in csv_rows(text) if row and row[0].strip()]
    except (InputError, MalformedCSV, OSError):
        return []
    return rows[1:] if rows and rows[0].lower() in ID_HEADERS else rows


def parse_marks(answer: Any, question: Question, *, path: Path | None = None, line: int | None = None,
                choices: int | None = None) -> Marks:
    """The 1-based choices marked in one cell for ``question``; ``()`` when blank.

    The cell may be text (``"③"``, ``"2;4"``) or any value another door hands over (``3``, ``3.0``, None):
    see :func:`examqa.exams.marks.read_marks`.
    """
    return read_marks(answer, question, choices=choices, path=path, line=line)
