"""Answer sheets: a CSV of ``id,answer`` rows read against a bank.

An answer is a choice as a candidate or a spreadsheet writes it — ``3``, ``③``, ``３``, or a letter
(``B``) on items whose paper labels choices with letters — or several for a double mark (``2;4``,
``2|4``, ``2 4``, or ``"2,4"`` quoted), which scores nothing. A blank answer is unanswered, and so is
an id the sheet leaves out. Every error names the file and line.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from examqa.banks import Bank, MalformedCSV, csv_rows, read_text
from examqa.errors import InputError
from examqa.exams.grading import check_marks
from examqa.exams.models import AnswerSheet, Marks, Question

ID_HEADERS = {"id", "qid", "question", "question_id", "문항", "문항번호", "번호"}
ANSWER_HEADERS = {"answer", "answers", "mark", "marks", "choice", "정답", "답", "답안", "마킹"}
_SEPARATORS = re.compile(r"[\s,;|/]+")
_NUMBER = re.compile(r"[0-9]+")
_LETTER = re.compile(r"[A-Za-z]")
ANSWER_HINT = "write a choice number (3 or ③), several for a double mark (2;4), or leave it blank"


def read_sheet(path: Path | str, bank: Bank) -> AnswerSheet:
    """Read the answer sheet at ``path`` for ``bank``.

    The header row (``id,answer``) is optional and a UTF-8 byte-order mark is tolerated. Errors raise
    :class:`~examqa.errors.InputError` naming the file and line: an id the bank lacks or one listed
    twice, a mark out of range for its item, unreadable marks, more than two non-blank columns, or
    bytes that are not UTF-8.
    """
    path = Path(path)
    _, text = read_text(path)
    questions = {q.id: q for q in bank.questions}
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
            marks[qid] = parse_marks(answer, q, path=path, line=line)
    except MalformedCSV as exc:
        raise InputError(f"malformed CSV: {exc}", path=path, line=exc.line,
                         hint='quote a double mark written with commas: "2,4"') from exc
    return AnswerSheet(marks=marks, source=str(path))


def _spread_circled(text: str) -> str:
    """Turn each circled or parenthesised numeral (①, ❶, ⑴) into a separate plain number.

    Done before NFKC so that ``②④`` reads as two marks, not as the number 24.
    """
    out: list[str] = []
    for ch in text:
        name = unicodedata.name(ch, "")
        if ("CIRCLED" in name or "PARENTHESIZED" in name) and unicodedata.numeric(ch, None) is not None:
            out.append(f" {int(unicodedata.numeric(ch))} ")
        elif "CIRCLED LATIN" in name:
            out.append(f" {unicodedata.normalize('NFKC', ch)} ")
        else:
            out.append(ch)
    return "".join(out)


def parse_marks(answer: str, question: Question, *, path: Path | None = None,
                line: int | None = None) -> Marks:
    """The 1-based choices marked in one sheet cell for ``question``; ``()`` when blank."""
    if not answer.strip():
        return ()
    n = len(question.choices)
    letters = question.label_style == "letter"
    valid = f"A–{chr(64 + n)}" if letters else f"1–{n}"
    tokens = [t for t in _SEPARATORS.split(unicodedata.normalize("NFKC", _spread_circled(answer))) if t]
    chosen: list[int] = []
    for token in tokens:
        if _NUMBER.fullmatch(token):
            chosen.append(int(token))
        elif _LETTER.fullmatch(token):
            if not letters:
                raise InputError(f"answer {token!r} for question {question.id!r} is a letter, but its "
                                 "choices are numbered", path=path, line=line,
                                 hint=f"write a number, {valid}")
            chosen.append(ord(token.upper()) - ord("A") + 1)
        else:
            raise InputError(f"cannot read answer {answer!r} for question {question.id!r}", path=path,
                             line=line, hint=ANSWER_HINT)
    return check_marks(question, chosen, path=path, line=line)
