"""Which layout a cohort's answers are in, told from the content — without importing numpy.

The CLI asks this of every ``--answers`` path: a single ``id,answer`` sheet must stay as cheap to grade
as it was, so this module imports nothing heavy.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal

from examqa.banks import Bank, MalformedCSV, csv_rows, read_text
from examqa.errors import InputError
from examqa.sheets.read import ANSWER_HEADERS, ID_HEADERS

Layout = Literal["sheet", "wide", "long", "folder"]
"""``sheet``: one candidate's ``id,answer`` CSV; the others hold a cohort."""

STUDENT_HEADERS = {"student", "students", "name", "candidate", "학생", "이름", "성명", "수험번호", "수험자", "응시자"}
LAYOUT_HINT = ("a cohort is a wide CSV (student, then one column per item id), a long CSV (student,id,answer) "
               "or a folder of id,answer sheets named after the students")


def blank(row: Sequence[str]) -> bool:
    """Whether a CSV row holds nothing but whitespace."""
    return not any(cell.strip() for cell in row)


def csv_records(text: str, path: Path) -> Iterator[tuple[int, list[str]]]:
    """Non-blank CSV rows with their line; a malformed row is an error naming its line."""
    try:
        for line, row in csv_rows(text):
            if (row and row[0].strip()) or not blank(row):  # the first cell settles nearly every row
                yield line, row
    except MalformedCSV as exc:
        raise InputError(f"malformed CSV: {exc}", path=path, line=exc.line,
                         hint='quote a double mark written with commas: "2,4"') from exc


def detect_layout(path: Path | str, bank: Bank) -> Layout:
    """Which layout the answers at ``path`` are in, told from the content (a folder is a folder)."""
    path = Path(path)
    if path.is_dir():
        return "folder"
    _, text = read_text(path)
    rows = csv_records(text, path)
    first = next(rows, None)
    if first is None:
        raise InputError("no answers in this file", path=path, hint=LAYOUT_HINT)
    return layout_of(first[1], {q.id for q in bank.questions}, path, first[0])


def layout_of(row: Sequence[str], ids: set[str], path: Path, line: int) -> Layout:
    """The layout a file's first non-blank row says it is in (``ids``: the bank's item ids)."""
    cells = [c.strip() for c in row]
    while cells and not cells[-1]:
        cells.pop()
    head = [c.lower() for c in cells]
    if cells[0] in ids or (len(cells) <= 2 and head[0] in ID_HEADERS):
        return "sheet"
    if head[0] in STUDENT_HEADERS:  # a header row
        if len(cells) == 3 and head[1] in ID_HEADERS and head[2] in ANSWER_HEADERS and cells[1] not in ids:
            return "long"
        if any(c in ids for c in cells[1:]):
            return "wide"
        raise InputError(f"the header names no item of the bank (it starts {', '.join(cells[1:4])!r})",
                         path=path, line=line, hint="a wide CSV's header is student, then the bank's item ids")
    if len(cells) == 3 and cells[1] in ids and cells[2] not in ids:
        return "long"  # a long CSV without its header: student, id, answer
    if any(c in ids for c in cells[1:]):
        return "wide"  # a header whose first column has a name of its own
    raise InputError("cannot tell the layout of these answers", path=path, line=line, hint=LAYOUT_HINT)


