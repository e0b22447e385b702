"""Reading a cohort's sheets: a wide CSV, a long CSV, a folder of one-sheet CSVs, or rows handed over in Python.

The layout is told from the content, like a bank's format. Every cell is read by
:func:`examqa.exams.marks.read_marks` — the reader behind every door — once per distinct cell text and item
shape, so a cohort reads the same as its sheets one by one, at the cost of a dictionary look-up per cell.
Student names are compared in Unicode NFC: a name typed on one machine and a file name copied from macOS
(NFD) are one student.

Marks become integer codes, one per student and bank item: 0 blank, *c* a single mark on choice *c*,
−*k* the *k*-th distinct double mark (kept in ``Sheets.multis``).
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from examqa.banks import Bank, read_text
from examqa.cohort._layout import LAYOUT_HINT, STUDENT_HEADERS, csv_records, layout_of
from examqa.cohort._models import BadSheet
from examqa.errors import InputError, warn
from examqa.exams.marks import is_blank, read_marks
from examqa.exams.models import AnswerSheet, Blueprint, Marks, Question
from examqa.sheets.read import ANSWER_HEADERS, ID_HEADERS, read_sheet

AnswerValue = int | float | str | Sequence[int] | None
"""A mark handed over in Python, read as every door reads it (:func:`examqa.exams.marks.read_marks`): a
choice in any numeric type or as text (``3``, ``3.0``, ``"③"``), several choices (``[2, 4]``, ``"2;4"``), or a
blank (None, NaN, ``pd.NA``)."""


def student_name(value: Any) -> str:
    """A student's name as compared and reported: text, trimmed, in Unicode NFC (None → "")."""
    if value is None or (not isinstance(value, str) and is_blank(value)):
        return ""
    return unicodedata.normalize("NFC", str(value).strip())
StudentRows = Iterable[tuple[str, Mapping[str, Any] | AnswerSheet]]
"""The caller's own sheets: (student, id → :data:`AnswerValue`) pairs, or (student, AnswerSheet)."""


@dataclass
class Sheets:
    """A cohort's marks as codes, one row per student, one column per bank question (bank order)."""

    students: list[str]
    codes: NDArray[np.int32]
    multis: list[Marks]
    bad: list[BadSheet] = field(default_factory=list)
    layout: str = "rows"
    source: str | None = None

    def marks(self, row: int, questions: Sequence[Question]) -> dict[str, Marks]:
        """Student ``row``'s marks by question id, as the single-sheet path takes them (blanks left out)."""
        out: dict[str, Marks] = {}
        for q, code in zip(questions, self.codes[row].tolist(), strict=True):
            if code > 0:
                out[q.id] = (code,)
            elif code < 0:
                out[q.id] = self.multis[-code - 1]
        return out


class _Coder:
    """Cell text or marks → code, remembering each distinct text per item shape (choices, labels)."""

    def __init__(self, questions: Sequence[Question], choices: Mapping[str, int] | None = None) -> None:
        self.questions = questions
        self.widths = [(choices or {}).get(q.id) for q in questions]
        self.multis: list[Marks] = []
        self._multi: dict[Marks, int] = {}
        shapes: dict[tuple[int, str, int | None], dict[str, int]] = {}
        self.cache = [shapes.setdefault((len(q.choices), q.label_style, w), {"": 0})
                      for q, w in zip(questions, self.widths, strict=True)]

    def code(self, marks: Marks) -> int:
        if not marks:
            return 0
        if len(marks) == 1:
            return marks[0]
        found = self._multi.get(marks)
        if found is None:
            self.multis.append(marks)
            found = self._multi[marks] = -len(self.multis)
        return found

    def text(self, j: int, text: str, path: Path | None, line: int | None) -> int:
        code = self.code(read_marks(text, self.questions[j], choices=self.widths[j], path=path, line=line))
        self.cache[j][text] = code
        return code

    def value(self, j: int, value: Any) -> int:
        """A mark handed over in Python (any numeric type, text, several choices, None, NaN, ``pd.NA``)."""
        if type(value) is int and 1 <= value <= len(self.questions[j].choices):
            return value  # the common case, without the general reader
        if type(value) is str:
            code = self.cache[j].get(value)
            return self.text(j, value, None, None) if code is None else code
        return self.code(read_marks(value, self.questions[j], choices=self.widths[j]))


class _Collector:
    """Rows of codes and students; under ``skip_bad`` bad sheets are listed instead of raised."""

    def __init__(self, coder: _Coder, n_questions: int, *, skip_bad: bool) -> None:
        self.coder = coder
        self.n = n_questions
        self.skip_bad = skip_bad
        self.students: list[str] = []
        self.rows: list[list[int]] = []
        self.bad: list[BadSheet] = []
        self.seen: dict[str, tuple[Path | None, int | None]] = {}
        self.dropped: set[str] = set()
        self.columns: list[int] | None = None
        """When set, each row holds only these questions' codes, in this order (a wide CSV's columns)."""

    def fail(self, exc: InputError, student: str | None) -> None:
        """Raise ``exc`` naming the student, or, under skip_bad, list the sheet as bad.

        Rows handed over in Python have no file: their ``line`` is the row number, said in the message.
        """
        message = exc.message
        if exc.path is None and exc.line is not None:
            message = f"row {exc.line}: {message}"
        who = f"student {student!r}: " if student else ""
        if not self.skip_bad:
            raise InputError(who + message, path=exc.path, line=exc.line if exc.path else None,
                             hint=exc.hint) from exc
        self.bad.append(BadSheet(student=student or None, path=str(exc.path) if exc.path else None,
                                 line=exc.line, message=message + (f" ({exc.hint})" if exc.hint else "")))
        if student:
            self.dropped.add(student)

    def claim(self, student: str, path: Path | None, line: int | None) -> None:
        """Check the student's name: present, and not listed before."""
        if not student:
            raise InputError("a sheet with no student name", path=path, line=line,
                             hint="the first column names the student")
        if student in self.seen:
            where_path, where_line = self.seen[student]
            also = f"line {where_line}" if where_path == path else f"{where_path}"
            if where_path is None:
                also = f"row {where_line}"
            raise InputError(f"listed twice (also at {also})", path=path, line=line, hint="one sheet per student")
        self.seen[student] = (path, line)

    def add(self, student: str, row: list[int]) -> None:
        self.students.append(student)
        self.rows.append(row)

    def sheets(self, layout: str, source: str | None) -> Sheets:
        keep = [i for i, s in enumerate(self.students) if s not in self.dropped]
        codes = np.zeros((len(keep), self.n), dtype=np.int32)
        if keep:
            rows = self.rows if len(keep) == len(self.rows) else [self.rows[i] for i in keep]
            block = np.asarray(rows, dtype=np.int32).reshape(len(keep), -1)
            if self.columns is None:
                codes[:] = block
            else:
                codes[:, self.columns] = block
        return Sheets(students=[self.students[i] for i in keep], codes=codes, multis=self.coder.multis,
                      bad=self.bad, layout=layout, source=source)


def read_cohort_file(path: Path, bank: Bank, *, skip_bad: bool = False,
                     choices: Mapping[str, int] | None = None) -> Sheets:
    """Read a wide or long CSV, or a folder of one-sheet CSVs (one per student, named by the file).

    ``choices`` (item id → count) widens the range of items that lost a choice in extraction.
    """
    if path.is_dir():
        return _read_folder(path, bank, skip_bad=skip_bad, choices=choices)
    _, text = read_text(path)
    rows = csv_records(text, path)
    first = next(rows, None)
    if first is None:
        raise InputError("no answers in this file", path=path, hint=LAYOUT_HINT)
    coder = _Coder(bank.questions, choices)
    out = _Collector(coder, len(bank.questions), skip_bad=skip_bad)
    index = {q.id: j for j, q in enumerate(bank.questions)}
    layout = layout_of(first[1], set(index), path, first[0])
    if layout == "wide":
        _read_wide(first, rows, path, index, out)
    elif layout == "long":
        head = [c.strip().lower() for c in first[1]]
        is_header = head[0] in STUDENT_HEADERS and first[1][1].strip() not in index
        _read_long(rows if is_header else _chain(first, rows), path, index, out, text=True)
    else:
        student = student_name(path.stem)  # a single id,answer sheet: a cohort of one, named by the file
        try:
            sheet = read_sheet(path, bank, choices=choices)
        except InputError as exc:
            out.fail(exc, student)
        else:
            out.add(student, _codes(sheet.marks, index, coder, out.n))
    return out.sheets(layout, str(path))


def _codes(marks: Mapping[str, Marks], index: Mapping[str, int], coder: _Coder, n: int) -> list[int]:
    codes = [0] * n
    for qid, m in marks.items():
        codes[index[qid]] = coder.code(m)
    return codes


def _read_wide(first: tuple[int, list[str]], rows: Iterator[tuple[int, list[str]]], path: Path,
               index: Mapping[str, int], out: _Collector) -> None:
    header_line, header = first
    names = [c.strip() for c in header]
    while names and not names[-1]:
        names.pop()
    columns: list[int] = []
    for k, name in enumerate(names[1:], start=2):
        j = index.get(name)
        if j is None:
            raise InputError(f"column {k} ({name!r}) is not an item of the bank", path=path, line=header_line,
                             hint="a wide CSV's header is student, then one bank item id per column")
        if j in columns:
            raise InputError(f"column {k} repeats item {name!r}", path=path, line=header_line,
                             hint="one column per item")
        columns.append(j)
    width = len(columns) + 1
    coder = out.coder
    out.columns = columns
    caches = [coder.cache[j] for j in columns]
    get = dict.get
    for line, row in rows:
        student = student_name(row[0])
        try:
            if len(row) != width and (len(row) < width or any(c.strip() for c in row[width:])):
                raise InputError(f"{len(row)} fields, the header has {width}", path=path, line=line,
                                 hint='one cell per item; quote a double mark written with commas ("2,4")')
            out.claim(student, path, line)
            cells = row[1:width]
            # one C-level look-up per cell; a text not seen before on an item of its shape is parsed once
            found: list[int | None] = list(map(get, caches, cells))
            if None in found:
                found = [coder.text(columns[k], cells[k], path, line) if code is None else code
                         for k, code in enumerate(found)]
        except InputError as exc:
            out.fail(exc, student)
            continue
        out.add(student, cast("list[int]", found))  # no None left


def _read_long(records: Iterable[tuple[int, Sequence[Any]]], path: Path | None, index: Mapping[str, int],
               out: _Collector, *, text: bool) -> None:
    """Rows of (student, id, answer): CSV cells (``text``) or values handed over in Python."""
    coder = out.coder
    row_of: dict[str, int] = {}
    answered: dict[tuple[str, int], int] = {}
    for line, row in records:
        student = student_name(row[0]) if len(row) else ""
        if student in out.dropped:
            continue
        try:
            if len(row) < 2 or (text and any(c.strip() for c in row[3:])):
                raise InputError(f"{len(row)} fields; a long CSV row is student,id,answer", path=path, line=line,
                                 hint='quote a double mark written with commas ("2,4")')
            qid = str(row[1]).strip()
            j = index.get(qid)
            if j is None:
                raise InputError(f"item {qid!r} is not in the bank", path=path, line=line,
                                 hint="check the sheet's ids against the bank")
            if student not in row_of:
                out.claim(student, path, line)
                row_of[student] = len(out.rows)
                out.add(student, [0] * out.n)
            if (student, j) in answered:
                raise InputError(f"item {qid!r} is answered twice (also at line {answered[student, j]})",
                                 path=path, line=line, hint="one row per student and item")
            answered[student, j] = line
            value = row[2] if len(row) > 2 else ""
            if text:
                code = coder.cache[j].get(value)
                code = coder.text(j, value, path, line) if code is None else code
            else:
                code = _value(coder, j, value, line)
            out.rows[row_of[student]][j] = code
        except InputError as exc:
            out.fail(exc, student)


def _value(coder: _Coder, j: int, value: Any, line: int) -> int:
    try:
        return coder.value(j, value)
    except InputError as exc:
        raise InputError(exc.message, line=line, hint=exc.hint) from exc


def _chain(first: tuple[int, list[str]], rest: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
    yield first
    yield from rest


def sheet_files(path: Path) -> tuple[list[tuple[str, Path]], list[Path]]:
    """The one-sheet CSVs of a cohort folder, each with its student's name, and the files left out.

    Sheets in sub-folders are read too (a folder per class: ``1반/김민수.csv``); a student is then named by
    the path inside the folder (``1반/김민수``), so two classes may each have a 김민수. Hidden files and
    folders are skipped; any other file (``.xlsx``, ``.txt``) is returned as left out, to be said.
    """
    found: list[tuple[str, Path]] = []
    other: list[Path] = []
    for file in sorted(path.rglob("*"), key=lambda p: p.relative_to(path).as_posix()):
        rel = file.relative_to(path)
        if any(part.startswith(".") for part in rel.parts) or not file.is_file():
            continue
        if file.suffix.lower() != ".csv":
            other.append(file)
            continue
        found.append((student_name(rel.with_suffix("").as_posix()), file))
    return found, other


def _read_folder(path: Path, bank: Bank, *, skip_bad: bool, choices: Mapping[str, int] | None = None) -> Sheets:
    files, other = sheet_files(path)
    if other:
        shown = ", ".join(p.relative_to(path).as_posix() for p in other[:5]) + (" …" if len(other) > 5 else "")
        warn(f"{path}: {len(other)} file(s) that are not .csv answer sheets were not read: {shown}", path=path)
    if not files:
        raise InputError("no .csv answer sheets in this folder", path=path, hint=LAYOUT_HINT)
    coder = _Coder(bank.questions, choices)
    out = _Collector(coder, len(bank.questions), skip_bad=skip_bad)
    index = {q.id: j for j, q in enumerate(bank.questions)}
    for student, file in files:
        try:
            out.claim(student, file, None)
            sheet = read_sheet(file, bank, choices=choices)  # the single-sheet reader, exactly
        except InputError as exc:
            out.fail(exc, student)
            continue
        out.add(student, _codes(sheet.marks, index, coder, out.n))
    return out.sheets("folder", str(path))


def read_cohort_rows(rows: StudentRows, bank: Bank, *, skip_bad: bool = False,
                     choices: Mapping[str, int] | None = None) -> Sheets:
    """Read the caller's own sheets: (student, marks) pairs, marks by question id (see :data:`AnswerValue`).

    Errors name the student and the row (1-based position in ``rows``).
    """
    coder = _Coder(bank.questions, choices)
    out = _Collector(coder, len(bank.questions), skip_bad=skip_bad)
    index = {q.id: j for j, q in enumerate(bank.questions)}
    for number, pair in enumerate(rows, start=1):
        student = ""
        try:
            if not (isinstance(pair, Sequence) and len(pair) == 2):
                raise InputError(f"expected a (student, marks) pair, got {type(pair).__name__}", line=number)
            name, marks = pair
            student = student_name(name)
            out.claim(student, None, number)
            values: Mapping[str, Any] = marks.marks if isinstance(marks, AnswerSheet) else marks
            codes = [0] * out.n
            for qid, value in values.items():
                j = index.get(str(qid))
                if j is None:
                    raise InputError(f"item {qid!r} is not in the bank", line=number,
                                     hint="check the ids against the bank")
                codes[j] = _value(coder, j, value, number)
        except InputError as exc:
            out.fail(exc, student)
            continue
        out.add(student, codes)
    return out.sheets("rows", None)


def read_dataframe(frame: Any, bank: Bank, *, skip_bad: bool = False,
                   choices: Mapping[str, int] | None = None) -> Sheets:
    """Read a pandas DataFrame: wide (a student column, then item ids) or long (student, id, answer).

    The students may be the index (named ``student``, ``이름`` …). Columns are read with ``tolist()``, so
    NumPy and nullable dtypes (``Int64``, ``string``, ``convert_dtypes()``) arrive as plain Python values
    and ``pd.NA`` as a blank; the frame is never modified or copied.
    """
    columns = list(frame.columns)
    lower = [str(c).strip().lower() for c in columns]
    ids = {q.id for q in bank.questions}
    keys = [str(c) for c in columns]
    twice = next((k for k in keys if keys.count(k) > 1), None)
    if twice is not None:
        raise InputError(f"column {twice!r} appears twice in the DataFrame", hint="one column per item")
    student = next((c for c, low in zip(columns, lower, strict=True) if low in STUDENT_HEADERS), None)
    if student is not None:
        names: list[Any] = frame[student].tolist()
    elif str(frame.index.name or "").strip().lower() in STUDENT_HEADERS:
        names = frame.index.tolist()  # the students are the index: read it, no reset_index (no copy, no warning)
    else:
        raise InputError("the DataFrame has no student column", hint=LAYOUT_HINT)
    qid = next((c for c, low in zip(columns, lower, strict=True) if low in ID_HEADERS and str(c) not in ids),
               None)
    answer = next((c for c, low in zip(columns, lower, strict=True) if low in ANSWER_HEADERS), None)
    index = {q.id: j for j, q in enumerate(bank.questions)}
    if qid is not None and answer is not None:
        out = _Collector(_Coder(bank.questions, choices), len(bank.questions), skip_bad=skip_bad)
        records = enumerate(zip(names, frame[qid].tolist(), frame[answer].tolist(), strict=True), start=1)
        _read_long(records, None, index, out, text=False)
        return out.sheets("long", None)
    items = [c for c in columns if c is not student]
    unknown = [c for c in items if str(c) not in ids]
    if unknown:
        raise InputError(f"column {unknown[0]!r} is not an item of the bank",
                         hint="a wide DataFrame has a student column, then one column per bank item id")
    item_keys = [str(c) for c in items]
    values = [frame[c].tolist() for c in items]
    pairs = ((name, dict(zip(item_keys, row, strict=True)))
             for name, *row in zip(names, *values, strict=True))
    return read_cohort_rows(pairs, bank, skip_bad=skip_bad, choices=choices)


def is_dataframe(value: object) -> bool:
    """Whether ``value`` is a pandas DataFrame — checked without importing pandas (it is optional)."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(value, pandas.DataFrame)


# ------------------------------------------------------------------------------------------ electives


def cohort_electives(blueprint: Blueprint, questions: Sequence[Question], data: Sheets, edition: str | None,
                     elective: str | Sequence[str] | None, *, skip_bad: bool) -> tuple[Sheets, list[str]]:
    """The electives a class is graded on, and the sheets that sat them (see :func:`grade_cohort`).

    For every elective slot whose items the bank holds for several subjects: the one named in ``elective``,
    else the one elective the class's sheets answer. A sheet that answers only another elective of the slot
    is bad (named, or left out under ``skip_bad``); one that answers several is graded on the one named, as
    ``score`` grades it alone. Several electives answered across the class with none named is an error:
    a class is graded one elective at a time.
    """
    from examqa.exams.scoring import ELECTIVE_HINT, choose_edition, held_electives, sat_electives

    ed = choose_edition(blueprint, questions, edition)
    named = sat_electives(blueprint, ed, questions, {}, elective) if elective else {}
    held = held_electives(ed, questions)  # columns of the sheets, as they follow the bank's questions
    sat = dict(named)
    keep = np.ones(len(data.students), dtype=bool)
    for slot, subjects in held.items():
        if len(subjects) < 2:
            sat.setdefault(slot, next(iter(subjects)))
            continue
        answered = {name: (data.codes[:, cols] != 0).any(axis=1) for name, cols in subjects.items()}
        if slot not in sat:
            counts = {name: int(rows.sum()) for name, rows in answered.items() if rows.any()}
            if len(counts) != 1:
                listed = ", ".join(f"{name} {n}" for name, n in counts.items()) or "none answered"
                raise InputError(f"the class's sheets answer {'different' if counts else 'no'} electives of "
                                 f"{blueprint.id} (students per elective: {listed}); a class is graded on one "
                                 "elective at a time", hint=ELECTIVE_HINT + " (with --skip-bad to set the others "
                                                                            "aside)")
            sat[slot] = next(iter(counts))
        chosen = sat[slot]
        others = np.zeros(len(data.students), dtype=bool)
        for name, rows in answered.items():
            if name != chosen:
                others |= rows
        wrong = others & ~answered[chosen] & keep
        for row in np.flatnonzero(wrong).tolist():
            student = data.students[row]
            which = ", ".join(name for name, rows in answered.items() if rows[row])
            message = f"student {student!r} answers the elective {which}, not {chosen} (graded here)"
            if not skip_bad:
                raise InputError(message, path=data.source, hint=f"grade those students with --elective {which}, "
                                                                 "or add --skip-bad to set them aside")
            data.bad.append(BadSheet(student=student, path=data.source, message=message))
        keep &= ~wrong
    if not keep.all():
        data = Sheets(students=[s for s, k in zip(data.students, keep.tolist(), strict=True) if k],
                      codes=data.codes[keep], multis=data.multis, bad=data.bad, layout=data.layout,
                      source=data.source)
    return data, list(sat.values())
