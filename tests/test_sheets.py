"""Answer sheets: every way a mark is written, and every bad row named by file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from examqa.banks import Bank, load_bank
from examqa.errors import InputError
from examqa.exams.models import Question
from examqa.sheets.read import parse_marks, read_sheet

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def bank() -> Bank:
    # T-1, T-2: 4 numbered choices; T-3: 5 lettered choices; T-4: 5 numbered choices
    return load_bank(DATA / "banks" / "mixed" / "native.jsonl")


def write(tmp_path: Path, text: str, name: str = "sheet.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_fixture_sheet(bank: Bank) -> None:
    path = DATA / "sheets" / "toy-sheet.csv"  # BOM, header, ②, quoted double mark, lower-case letter, blank
    sheet = read_sheet(path, bank)
    assert sheet.marks == {"T-1": (2,), "T-2": (2, 4), "T-3": (3,), "T-4": ()}
    assert sheet.source == str(path)


@pytest.mark.parametrize(("cell", "qid", "marks"), [
    ("3", "T-1", (3,)),
    ("③", "T-1", (3,)),
    ("３", "T-1", (3,)),
    (" 4 ", "T-1", (4,)),
    ("❹", "T-1", (4,)),
    ("2;4", "T-1", (2, 4)),
    ("2|4", "T-1", (2, 4)),
    ("2 4", "T-1", (2, 4)),
    ('"2,4"', "T-1", (2, 4)),
    ("②④", "T-1", (2, 4)),
    ("4;2;2", "T-1", (2, 4)),
    ("２；４", "T-1", (2, 4)),
    ("B", "T-3", (2,)),
    ("e", "T-3", (5,)),
    ("Ⓒ", "T-3", (3,)),
    ("A;C", "T-3", (1, 3)),
    ("5", "T-3", (5,)),  # a number is unambiguous on a lettered item too
    ("", "T-4", ()),
])
def test_marks_as_written(tmp_path: Path, bank: Bank, cell: str, qid: str, marks: tuple[int, ...]) -> None:
    sheet = read_sheet(write(tmp_path, f"{qid},{cell}\n"), bank)
    assert sheet.marks == {qid: marks}


def test_header_is_optional_and_missing_ids_are_absent(tmp_path: Path, bank: Bank) -> None:
    with_header = read_sheet(write(tmp_path, "id,answer\nT-2,1\n", "a.csv"), bank)
    without = read_sheet(write(tmp_path, "T-2,1\n", "b.csv"), bank)
    korean = read_sheet(write(tmp_path, "문항,정답\r\nT-2,1\r\n", "c.csv"), bank)
    assert with_header.marks == without.marks == korean.marks == {"T-2": (1,)}


def test_blank_lines_and_trailing_empty_columns(tmp_path: Path, bank: Bank) -> None:
    sheet = read_sheet(write(tmp_path, "T-1,1,,\n\n,,\nT-2,,\n"), bank)
    assert sheet.marks == {"T-1": (1,), "T-2": ()}


BAD_SHEETS = [
    # (case, content, line, fragment)
    ("unknown id", "id,answer\nT-1,1\nT-9,2\n", 3, "question id 'T-9' is not in the bank"),
    ("id twice", "T-1,1\nT-2,2\nT-1,3\n", 3, "question 'T-1' is answered twice (also at line 1)"),
    ("zero", "T-4,0\n", 1, "answer 0 is out of range for question 'T-4': valid choices are 1–5"),
    ("six", "T-4,6\n", 1, "answer 6 is out of range for question 'T-4': valid choices are 1–5"),
    ("five on four", "T-1,5\n", 1, "valid choices are 1–4"),
    ("letter past range", "T-3,F\n", 1, "valid choices are A–E"),
    ("letter on numbered item", "T-1,B\n", 1, "is a letter, but its choices are numbered"),
    ("garbage", "T-1,abc\n", 1, "cannot read answer 'abc'"),
    ("decimal", "T-1,2.5\n", 1, "answer 2.5 for question 'T-1' is not a choice number (not a whole number)"),
    ("three columns", "T-1,1\nT-2,2,4\n", 2, "3 columns"),
    ("missing id", "T-1,1\n,2\n", 2, "missing question id"),
    ("open quote", 'T-1,1\nT-2,"2,4\n', 2, "malformed CSV"),
]


@pytest.mark.parametrize(("case", "content", "line", "fragment"), BAD_SHEETS, ids=[c[0] for c in BAD_SHEETS])
def test_bad_sheet_names_file_and_line(tmp_path: Path, bank: Bank, case: str, content: str, line: int,
                                       fragment: str) -> None:
    path = write(tmp_path, content)
    with pytest.raises(InputError) as info:
        read_sheet(path, bank)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert fragment in message


def test_not_utf8_sheet(tmp_path: Path, bank: Bank) -> None:
    path = tmp_path / "sheet.csv"
    path.write_bytes(b"T-1,1\n" + "T-2,둘".encode("cp949") + b"\n")
    with pytest.raises(InputError, match=r"sheet.csv:2: not UTF-8 .*CP949.*re-encode"):
        read_sheet(path, bank)


def test_missing_sheet(tmp_path: Path, bank: Bank) -> None:
    with pytest.raises(InputError, match="cannot read"):
        read_sheet(tmp_path / "nope.csv", bank)


# ------------------------------------------------------------------------------------- invariants

SEPARATORS = [";", "|", " ", ",", " ; "]


def spell(choice: int, style: str) -> str:
    if style == "circled":
        return chr(0x2460 + choice - 1)
    if style == "wide":
        return "".join(chr(0xFF10 + int(d)) for d in str(choice))
    return str(choice)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), n=st.integers(2, 20))
def test_any_spelling_of_marks_reads_back(data: st.DataObject, n: int) -> None:
    q = Question(id="q", subject="s", stem="", choices=tuple(str(i) for i in range(n)),
                 accepted=frozenset({1}))
    chosen = data.draw(st.lists(st.integers(1, n), min_size=1, max_size=4))
    styles = data.draw(st.lists(st.sampled_from(["plain", "circled", "wide"]), min_size=len(chosen),
                                max_size=len(chosen)))
    separator = data.draw(st.sampled_from(SEPARATORS))
    cell = separator.join(spell(c, s) for c, s in zip(chosen, styles, strict=True))
    assert parse_marks(cell, q) == tuple(sorted(set(chosen)))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(marks=st.dictionaries(st.sampled_from(["T-1", "T-2", "T-4"]),
                             st.lists(st.integers(1, 4), max_size=3, unique=True).map(sorted)))
def test_sheet_round_trip(tmp_path: Path, bank: Bank, marks: dict[str, list[int]]) -> None:
    rows = "".join(f'{qid},"{",".join(map(str, m))}"\n' for qid, m in marks.items())
    sheet = read_sheet(write(tmp_path, "id,answer\n" + rows), bank)
    assert sheet.marks == {qid: tuple(m) for qid, m in marks.items()}
    assert json.loads(sheet.model_dump_json())["source"].endswith("sheet.csv")
