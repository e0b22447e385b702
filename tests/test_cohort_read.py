"""Reading a cohort: every layout reads the same marks, and every bad input is named by file, line and student."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from examqa.banks import Bank, load_bank
from examqa.cohort import grade_cohort
from examqa.cohort._layout import detect_layout
from examqa.errors import InputError
from helpers import loss_adjuster_rows, write_native_bank

IDS = [f"S{s}-{k}" for s in range(3) for k in range(1, 5)]  # 3 subjects × 4 items, keys (k % 4) + 1


@pytest.fixture
def bank(tmp_path: Path) -> Bank:
    return load_bank(write_native_bank(tmp_path / "bank.jsonl", loss_adjuster_rows(4)))


MARKS = {  # student → cell per item (IDS order); "" blank, "2;4" a double mark, ③ a circled numeral
    "김민준": ["2", "3", "4", "1"] * 3,
    "이서연": ["2", "", "③", "1", "2;4", "3", "4", "1", "1", "1", "1", "1"],
    "박지후": ["1"] * 12,
}


def wide(path: Path, marks: dict[str, list[str]] = MARKS) -> Path:
    lines = ["student," + ",".join(IDS)] + [name + "," + ",".join(cells) for name, cells in marks.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def long(path: Path, header: bool = True) -> Path:
    lines = ["student,id,answer"] if header else []
    lines += [f"{name},{qid},{cell}" for name, cells in MARKS.items() for qid, cell in zip(IDS, cells, strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def folder(path: Path) -> Path:
    path.mkdir()
    for name, cells in MARKS.items():
        rows = "".join(f"{q},{c}\n" for q, c in zip(IDS, cells, strict=True))
        (path / f"{name}.csv").write_text("id,answer\n" + rows, encoding="utf-8")
    return path


def outcome(cohort: object) -> list[tuple[str, dict[str, tuple[int, ...]]]]:
    return [(s, cohort.marks(s)) for s in cohort.students]  # type: ignore[attr-defined]


def test_every_layout_reads_the_same_marks(tmp_path: Path, bank: Bank) -> None:
    reference = grade_cohort("loss-adjuster", bank, wide(tmp_path / "wide.csv"))
    assert reference.marks("이서연") == {"S0-1": (2,), "S0-3": (3,), "S0-4": (1,), "S1-1": (2, 4), "S1-2": (3,),
                                         "S1-3": (4,), "S1-4": (1,), "S2-1": (1,), "S2-2": (1,), "S2-3": (1,),
                                         "S2-4": (1,)}
    rows = [(name, dict(zip(IDS, cells, strict=True))) for name, cells in MARKS.items()]
    as_python = [(name, {qid: _value(c) for qid, c in zip(IDS, cells, strict=True)}) for name, cells in MARKS.items()]
    for sheets in (long(tmp_path / "long.csv"), long(tmp_path / "bare.csv", header=False), folder(tmp_path / "dir"),
                   rows, as_python):
        got = outcome(grade_cohort("loss-adjuster", bank, sheets))
        assert dict(got) == dict(outcome(reference)), sheets
        # input order, except a folder: its sheets are read in file-name order
        assert [s for s, _ in got] == (sorted(MARKS) if isinstance(sheets, Path) and sheets.is_dir() else list(MARKS))


def _value(cell: str) -> object:
    """A cell as a Python caller would hand it over: an int, a tuple for a double mark, None, or text (③)."""
    if cell.isascii() and cell.isdigit():
        return int(cell)
    return (2, 4) if cell == "2;4" else cell or None


@pytest.mark.parametrize(("make", "layout"), [
    (lambda p: wide(p / "w.csv"), "wide"), (lambda p: long(p / "l.csv"), "long"),
    (lambda p: long(p / "b.csv", header=False), "long"), (lambda p: folder(p / "d"), "folder"),
])
def test_layout_is_told_from_the_content(tmp_path: Path, bank: Bank, make: object, layout: str) -> None:
    assert detect_layout(make(tmp_path), bank) == layout  # type: ignore[operator]


def test_a_single_sheet_is_a_sheet(tmp_path: Path, bank: Bank) -> None:
    for text in ("id,answer\nS0-1,2\n", "S0-1,2\nS0-2,3\n"):
        path = tmp_path / "one.csv"
        path.write_text(text, encoding="utf-8")
        assert detect_layout(path, bank) == "sheet"
    cohort = grade_cohort("loss-adjuster", bank, path)  # a cohort of one, named by the file
    assert cohort.students == ("one",)


def test_dataframes_in_both_layouts(tmp_path: Path, bank: Bank) -> None:
    pandas = pytest.importorskip("pandas", reason="pandas is optional; install it to test DataFrame input")
    reference = grade_cohort("loss-adjuster", bank, wide(tmp_path / "wide.csv"))
    frame = pandas.read_csv(tmp_path / "wide.csv", dtype=str, keep_default_na=False)
    assert outcome(grade_cohort("loss-adjuster", bank, frame)) == outcome(reference)
    numeric = pandas.read_csv(tmp_path / "wide.csv")  # blanks become NaN, 2;4 stays text, 3 becomes 3 or 3.0
    assert outcome(grade_cohort("loss-adjuster", bank, numeric)) == outcome(reference)
    assert outcome(grade_cohort("loss-adjuster", bank, frame.set_index("student"))) == outcome(reference)
    tall = pandas.read_csv(long(tmp_path / "long.csv"), dtype=str, keep_default_na=False)
    assert outcome(grade_cohort("loss-adjuster", bank, tall)) == outcome(reference)


# ------------------------------------------------------------------------------------------ bad input

HEADER = "student," + ",".join(IDS)
GOOD = "좋은학생," + ",".join(["1"] * 12)


@pytest.mark.parametrize(("text", "line", "student", "words"), [
    (f"{HEADER}\n{GOOD}\n홍길동," + ",".join(["1"] * 11) + "\n", 3, "홍길동", "12 fields, the header has 13"),
    (f"{HEADER}\n홍길동," + ",".join(["1"] * 12) + ",3\n", 2, "홍길동", "14 fields"),
    (f"{HEADER}\n{GOOD}\n홍길동," + ",".join(["1"] * 11) + ",7\n", 3, "홍길동",
     "answer 7 is out of range for question 'S2-4': valid choices are 1–4"),
    (f"{HEADER}\n홍길동,x?," + ",".join(["1"] * 11) + "\n", 2, "홍길동", "cannot read answer 'x?'"),
    (f"{HEADER}\n{GOOD}\n{GOOD}\n", 3, "좋은학생", "listed twice (also at line 2)"),
    ("student,id,answer\n홍길동,S0-1,1\n홍길동,S9-9,1\n", 3, "홍길동", "item 'S9-9' is not in the bank"),
    ("student,id,answer\n홍길동,S0-1,1\n홍길동,S0-1,2\n", 3, "홍길동", "answered twice (also at line 2)"),
    ("student,id,answer\n홍길동,S0-1,5\n", 2, "홍길동", "answer 5 is out of range"),
])
def test_bad_rows_name_file_line_and_student(tmp_path: Path, bank: Bank, text: str, line: int, student: str,
                                             words: str) -> None:
    path = tmp_path / "class.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        grade_cohort("loss-adjuster", bank, path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: student {student!r}: "), message
    assert words in message
    assert "\n" not in message
    # skip_bad: the good sheets are graded, the bad one listed — never silently
    cohort = grade_cohort("loss-adjuster", bank, path, skip_bad=True)
    assert student not in cohort.students
    assert [(b.student, b.line) for b in cohort.summary.bad][-1] == (student, line)
    assert words in cohort.summary.bad[-1].message
    assert any("left out as bad" in n for n in cohort.summary.notes)


@pytest.mark.parametrize(("text", "words"), [
    ("student,S0-1,NOPE\n홍길동,1,1\n", "column 3 ('NOPE') is not an item of the bank"),
    ("student,S0-1,S0-1\n홍길동,1,1\n", "column 3 repeats item 'S0-1'"),
    ("student,class,group\n홍길동,1,1\n", "the header names no item of the bank"),
    ('student,S0-1\n홍길동,"1\n', "malformed CSV"),
    ("", "no answers in this file"),
])
def test_bad_files_are_one_error_even_with_skip_bad(tmp_path: Path, bank: Bank, text: str, words: str) -> None:
    path = tmp_path / "class.csv"
    path.write_text(text, encoding="utf-8")
    for skip in (False, True):
        with pytest.raises(InputError, match=words.replace("(", r"\(").replace(")", r"\)")) as caught:
            grade_cohort("loss-adjuster", bank, path, skip_bad=skip)
        assert str(caught.value).startswith(str(path))


def test_a_student_twice_drops_both_rows_under_skip_bad(tmp_path: Path, bank: Bank) -> None:
    path = tmp_path / "class.csv"
    path.write_text(f"{HEADER}\n{GOOD}\n둘째," + ",".join(["2"] * 12) + f"\n{GOOD}\n", encoding="utf-8")
    cohort = grade_cohort("loss-adjuster", bank, path, skip_bad=True)
    assert cohort.students == ("둘째",)
    assert [b.student for b in cohort.summary.bad] == ["좋은학생"]


def test_folder_errors_name_the_sheet(tmp_path: Path, bank: Bank) -> None:
    sheets = folder(tmp_path / "class")
    (sheets / "최하나.csv").write_text("id,answer\nS0-1,9\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        grade_cohort("loss-adjuster", bank, sheets)
    assert str(caught.value).startswith(f"{sheets / '최하나.csv'}:2: student '최하나': answer 9 is out of range")
    cohort = grade_cohort("loss-adjuster", bank, sheets, skip_bad=True)
    assert len(cohort) == 3 and cohort.summary.bad[0].student == "최하나"


@pytest.mark.parametrize(("rows", "words"), [
    ([("a", {"S0-1": 9})], "student 'a': row 1: answer 9 is out of range for question 'S0-1'"),
    ([("a", {"S0-1": 1}), ("b", {"ZZ": 1})], "student 'b': row 2: item 'ZZ' is not in the bank"),
    ([("a", {}), ("a", {})], "student 'a': row 2: listed twice (also at row 1)"),
    ([("", {"S0-1": 1})], "row 1: a sheet with no student name"),
    ([("a", {"S0-1": "①②"})], "student 'a'"),  # a double mark is fine: this one grades
    ([("a", {"S0-1": 1.5})], "student 'a': row 1: answer 1.5 for question 'S0-1' is not a choice number"),
])
def test_rows_from_python_name_row_and_student(bank: Bank, rows: list[tuple[str, dict[str, object]]],
                                               words: str) -> None:
    if words == "student 'a'":
        assert grade_cohort("loss-adjuster", bank, rows).marks("a") == {"S0-1": (1, 2)}
        return
    with pytest.raises(InputError) as caught:
        grade_cohort("loss-adjuster", bank, rows)
    assert str(caught.value).startswith(words), str(caught.value)


def test_an_empty_cohort_under_skip_bad(tmp_path: Path, bank: Bank) -> None:
    path = tmp_path / "class.csv"
    path.write_text(f"{HEADER}\n홍길동,9\n", encoding="utf-8")
    cohort = grade_cohort("loss-adjuster", bank, path, skip_bad=True)
    assert len(cohort) == 0 and cohort.summary.students == 0 and cohort.summary.pass_rate == 0
    assert cohort.items == () and len(cohort.summary.bad) == 1


def test_grading_one_sheet_never_imports_numpy(tmp_path: Path) -> None:
    import subprocess

    code = ("import sys, examqa; examqa.grade_sheet('customs-broker', 'exams/samples/papers/customs-broker.jsonl', "
            "'exams/samples/customs-broker-sheet.csv'); import examqa.cohort, examqa.exams.topass; "
            "assert 'numpy' not in sys.modules, 'numpy imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
