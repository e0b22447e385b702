"""One cell reader behind every door (issue 15, items 5, 6 and 10): the same value means the same thing
whether it comes through a CSV sheet, the command line, a ``grade_sheet`` mapping or pairs, an
``AnswerSheet``, a cohort's rows, a wide or long CSV, or a pandas DataFrame (plain, nullable dtypes,
``convert_dtypes()``, a CSV written by pandas).

The table below is the contract: whole numbers in any numeric type or text are marks, blanks in any form
are blanks, anything else is one ``InputError`` naming the item.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import examqa
from examqa.banks import Bank
from examqa.cli import run_argv
from examqa.errors import InputError
from examqa.exams.marks import read_marks
from helpers import REPO, loss_adjuster_rows, write_native_bank

EXAM = "customs-broker"
ITEM = "CUS-01"  # a 5-choice item, keyed 2
BANK_PATH = REPO / "exams" / "samples" / "papers" / "customs-broker.jsonl"


class _NA:
    """Stands in for pandas.NA where pandas is not installed (its type name is what the reader checks)."""


_NA.__name__ = "NAType"
PD_NA: Any
try:
    import pandas as pd

    PD_NA = pd.NA
except ImportError:  # pragma: no cover - the DataFrame doors skip, with the reason
    pd = None
    PD_NA = _NA()

ERROR = object()
# (label, Python value, how a CSV cell writes it (None: no text form), marks or (ERROR, message fragment))
CELLS: list[tuple[str, Any, str | None, Any]] = [
    ("int", 3, "3", (3,)),
    ("text", "3", "3", (3,)),
    ("padded text", " 3 ", " 3 ", (3,)),
    ("circled", "③", "③", (3,)),
    ("full-width", "３", "３", (3,)),
    ("float", 3.0, "3.0", (3,)),
    ("text float", "3.0", "3.0", (3,)),
    ("numpy int64", np.int64(3), "3", (3,)),
    ("numpy int8", np.int8(3), "3", (3,)),
    ("numpy float64", np.float64(3.0), "3.0", (3,)),
    ("numpy float32", np.float32(3.0), "3.0", (3,)),
    ("Decimal", Decimal("3"), "3", (3,)),
    ("Fraction", Fraction(3), "3", (3,)),
    ("double mark text", "2;4", "2;4", (2, 4)),
    ("double mark circled", "②④", "②④", (2, 4)),
    ("double mark list", [4, 2], "4|2", (2, 4)),
    ("double mark tuple of texts", ("2", "4"), "2 4", (2, 4)),
    ("double mark numpy array", np.array([2, 4]), "2/4", (2, 4)),
    ("None", None, "", ()),
    ("NaN", math.nan, "", ()),
    ("numpy NaN", np.float64("nan"), "nan", ()),
    ("pandas NA", PD_NA, "<NA>", ()),
    ("empty text", "", "", ()),
    ("blank text", "   ", "   ", ()),
    ("text nan", "nan", "nan", ()),
    ("text NA", "NA", "NA", ()),
    ("text None", "None", "None", ()),
    ("empty list", [], "", ()),
    ("half", 3.5, "3.5", (ERROR, "not a choice number")),
    ("text half", "3.5", "3.5", (ERROR, "answer 3.5 for question 'CUS-01' is not a choice number")),
    ("boolean", True, "True", (ERROR, "answer")),
    ("word", "xyz", "xyz", (ERROR, "cannot read answer 'xyz'")),
    ("letter on a numbered item", "B", "B", (ERROR, "is a letter, but its choices are numbered")),
    ("out of range", 9, "9", (ERROR, "out of range")),
    ("zero", 0, "0", (ERROR, "out of range")),
    ("two digits", "34", "34", (ERROR, "answer 34 is out of range")),
    ("negative", -1, None, (ERROR, "out of range")),
    ("infinity", math.inf, None, (ERROR, "not a choice number")),
    ("5,000 digits as text", "7" * 5000, "7" * 5000, (ERROR, "(5000 digits)")),
    ("5,000 digits as int", 7 * 10**4999, None, (ERROR, "digits")),
    ("a mapping", {"a": 1}, None, (ERROR, "not a choice number")),
    ("bytes", b"3", None, (ERROR, "not a choice number")),
]
IDS = [c[0] for c in CELLS]


@pytest.fixture(scope="module")
def bank() -> Bank:
    return examqa.load_bank(BANK_PATH)


def _marks_of(report: examqa.Report) -> tuple[int, ...]:
    return next(i.marks for i in report.items if i.id == ITEM)


def _check(expected: Any, call: Callable[[], tuple[int, ...]]) -> None:
    if isinstance(expected, tuple) and expected and expected[0] is ERROR:
        with pytest.raises(InputError) as caught:
            call()
        message = str(caught.value)
        assert expected[1] in message, message
        assert ITEM in message, message  # one error, naming the item
        assert "\n" not in message and len(message) < 400, message
        return
    assert call() == expected


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------ Python doors


@pytest.mark.parametrize(("label", "value", "text", "expected"), CELLS, ids=IDS)
def test_the_reader_itself(bank: Bank, label: str, value: Any, text: str | None, expected: Any) -> None:
    q = next(q for q in bank.questions if q.id == ITEM)
    _check(expected, lambda: read_marks(value, q))


@pytest.mark.parametrize(("label", "value", "text", "expected"), CELLS, ids=IDS)
def test_grade_sheet_mapping(bank: Bank, label: str, value: Any, text: str | None, expected: Any) -> None:
    _check(expected, lambda: _marks_of(examqa.grade_sheet(EXAM, bank, {ITEM: value})))


@pytest.mark.parametrize(("label", "value", "text", "expected"), CELLS, ids=IDS)
def test_grade_sheet_pairs(bank: Bank, label: str, value: Any, text: str | None, expected: Any) -> None:
    _check(expected, lambda: _marks_of(examqa.grade_sheet(EXAM, bank, [(ITEM, value)])))


@pytest.mark.parametrize(("label", "value", "text", "expected"), CELLS, ids=IDS)
def test_answer_sheet(bank: Bank, label: str, value: Any, text: str | None, expected: Any) -> None:
    if label == "letter on a numbered item":
        # an AnswerSheet built alone cannot know an item's labels: it refuses every letter (its own message)
        expected = (ERROR, "only the item knows its labels")
    _check(expected, lambda: _marks_of(examqa.grade_sheet(EXAM, bank, examqa.AnswerSheet(marks={ITEM: value}))))


@pytest.mark.parametrize(("label", "value", "text", "expected"), CELLS, ids=IDS)
def test_cohort_rows(bank: Bank, label: str, value: Any, text: str | None, expected: Any) -> None:
    def call() -> tuple[int, ...]:
        cohort = examqa.grade_cohort(EXAM, bank, [("김민수", {ITEM: value})])
        return _marks_of(cohort.report("김민수"))

    _check(expected, call)


# ------------------------------------------------------------------------------------ text doors


TEXT_CELLS = [c for c in CELLS if c[2] is not None]
TEXT_IDS = [c[0] for c in TEXT_CELLS]


def _csv_cell(text: str) -> str:
    return f'"{text}"' if any(ch in text for ch in ',"') else text


@pytest.mark.parametrize(("label", "value", "text", "expected"), TEXT_CELLS, ids=TEXT_IDS)
def test_sheet_csv(tmp_path: Path, bank: Bank, label: str, value: Any, text: str, expected: Any) -> None:
    sheet = _write(tmp_path, "sheet.csv", f"id,answer\n{ITEM},{_csv_cell(text)}\n")
    _check(expected, lambda: _marks_of(examqa.grade_sheet(EXAM, bank, sheet)))


@pytest.mark.parametrize(("label", "value", "text", "expected"), TEXT_CELLS, ids=TEXT_IDS)
def test_cohort_wide_and_long_csv(tmp_path: Path, bank: Bank, label: str, value: Any, text: str,
                                  expected: Any) -> None:
    wide = _write(tmp_path, "wide.csv", f"student,{ITEM}\n김민수,{_csv_cell(text)}\n")
    long = _write(tmp_path, "long.csv", f"student,id,answer\n김민수,{ITEM},{_csv_cell(text)}\n")
    for path in (wide, long):
        _check(expected, lambda p=path: _marks_of(examqa.grade_cohort(EXAM, bank, p).report("김민수")))


@pytest.mark.parametrize(("label", "value", "text", "expected"),
                         [c for c in TEXT_CELLS if c[0] in ("float", "text float", "pandas NA", "half", "double mark "
                          "circled", "5,000 digits as text", "None")], ids=lambda x: x if isinstance(x, str) else "")
def test_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], label: str, value: Any, text: str,
                          expected: Any) -> None:
    sheet = _write(tmp_path, "sheet.csv", f"id,answer\n{ITEM},{_csv_cell(text)}\n")
    code = run_argv(["grade", EXAM, "--bank", str(BANK_PATH), "--answers", str(sheet), "--json"])
    out, err = capsys.readouterr()
    if isinstance(expected, tuple) and expected and expected[0] is ERROR:
        assert code == 2 and expected[1] in err and ITEM in err and len(err.strip().splitlines()) == 1, err
    else:
        assert code == 0, err
        assert f'"id": "{ITEM}"' in out


# ------------------------------------------------------------------------------------ DataFrames


def _pandas() -> Any:
    return pytest.importorskip("pandas", reason="pandas is optional; install it to test DataFrame input")


DATAFRAME_CELLS = [c for c in CELLS if c[0] not in ("empty list",)]  # a list in a cell is not a DataFrame idiom


@pytest.mark.parametrize(("label", "value", "text", "expected"), DATAFRAME_CELLS,
                         ids=[c[0] for c in DATAFRAME_CELLS])
def test_dataframe_object_columns(bank: Bank, label: str, value: Any, text: str | None, expected: Any) -> None:
    pandas = _pandas()
    wide = pandas.DataFrame({"student": ["김민수"], ITEM: pandas.Series([value], dtype=object)})
    tall = pandas.DataFrame({"student": ["김민수"], "id": [ITEM], "answer": pandas.Series([value], dtype=object)})
    for frame in (wide, tall):
        _check(expected, lambda f=frame: _marks_of(examqa.grade_cohort(EXAM, bank, f).report("김민수")))


def test_dataframe_nullable_dtypes(bank: Bank) -> None:
    """convert_dtypes(), dtype_backend="numpy_nullable", pd.NA: read as the plain frame is (issue 15.6)."""
    pandas = _pandas()
    ids = [q.id for q in bank.questions]
    keys = {q.id: min(q.accepted) for q in bank.questions}
    plain = pandas.DataFrame({"student": ["가", "나", "다"],
                              **{i: [keys[i], 1, None if n % 2 else 3] for n, i in enumerate(ids)}})
    expected = examqa.grade_cohort(EXAM, bank, plain)
    assert plain[ids[1]].dtype == float  # a column with a gap: pandas writes 3.0, NaN
    variants = {
        "convert_dtypes": plain.convert_dtypes(),
        "Int64": plain.astype({i: "Int64" for i in ids}),
        "Float64": plain.astype({i: "Float64" for i in ids}),
        "string": plain.astype({i: "Int64" for i in ids}).astype({i: "string" for i in ids}),
        "object": plain.astype(object),
        "index": plain.set_index("student"),
    }
    assert variants["Int64"][ids[1]].isna().sum() == 1 and variants["Int64"][ids[1]].iloc[1] == 1
    for name, frame in variants.items():
        got = examqa.grade_cohort(EXAM, bank, frame)
        assert [r.percent for r in got.results()] == [r.percent for r in expected.results()], name
        assert got.report("다").model_dump() == expected.report("다").model_dump(), name
    # no missing value at all: still accepted (it was rejected for its numpy ints)
    full = pandas.DataFrame({"student": ["가"], **{i: [keys[i]] for i in ids}}).convert_dtypes()
    assert examqa.grade_cohort(EXAM, bank, full).summary.passed == 1


def test_a_csv_written_by_pandas_reads_as_its_frame(tmp_path: Path, bank: Bank,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A float column (one blank) written by pandas holds "3.0": the CLI grades it like the frame (15.6)."""
    pandas = _pandas()
    frame = pandas.DataFrame({"id": [q.id for q in bank.questions],
                              "answer": [None] + [float(min(q.accepted)) for q in bank.questions[1:]]})
    sheet = tmp_path / "sheet.csv"
    frame.to_csv(sheet, index=False)
    assert "2.0" in sheet.read_text(encoding="utf-8")
    from_frame = examqa.grade_sheet(EXAM, bank, dict(zip(frame["id"], frame["answer"], strict=True)))
    assert examqa.grade_sheet(EXAM, bank, sheet).model_dump() == from_frame.model_dump()
    assert run_argv(["grade", EXAM, "--bank", str(BANK_PATH), "--answers", str(sheet)]) == 0, capsys.readouterr().err


def test_a_wide_fragmented_dataframe_leaks_no_pandas_warning(tmp_path: Path) -> None:
    """Issue 15.13: a 120-item frame built column by column, its students as the index, made pandas warn
    (PerformanceWarning, from examqa's reset_index) on the user's screen."""
    import warnings

    pandas = _pandas()
    rows = loss_adjuster_rows(per_subject=40)
    bank = write_native_bank(tmp_path / "bank.jsonl", rows)
    frame = pandas.DataFrame(index=pandas.Index([f"s{k}" for k in range(3)], name="student"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # building it this way warns by itself: that is the user's business
        for r in rows:
            frame[r["id"]] = [r["answer"]] * 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cohort = examqa.grade_cohort("loss-adjuster", bank, frame)
    assert cohort.summary.students == 3 and cohort.summary.passed == 3


# ------------------------------------------------------------------------------------ the documented API


def test_answer_sheet_accepts_what_the_docs_say() -> None:
    sheet = examqa.AnswerSheet(marks={"A": 3, "B": None, "C": [2, 4], "D": "③", "E": 2.0})
    assert sheet.marks == {"A": (3,), "B": (), "C": (2, 4), "D": (3,), "E": (2,)}
    with pytest.raises(InputError, match=r"answer 2\.5 for question 'X' is not a choice number"):
        examqa.AnswerSheet(marks={"X": 2.5})
    with pytest.raises(InputError, match="must be a mapping"):
        examqa.AnswerSheet(marks=[("A", 3)])  # type: ignore[arg-type]


@pytest.mark.parametrize("answers", [None, 3, "not/a/file.csv"])
def test_grade_sheet_refuses_what_is_not_a_sheet(bank: Bank, answers: Any) -> None:
    with pytest.raises(InputError):
        examqa.grade_sheet(EXAM, bank, answers)


def test_pairs_from_a_generator_are_read_once(bank: Bank) -> None:
    report = examqa.grade_sheet(EXAM, bank, ((q.id, min(q.accepted)) for q in bank.questions))
    assert report.total.percent == 100


def test_a_mapping_naming_an_item_twice_through_pairs_is_refused(bank: Bank) -> None:
    with pytest.raises(InputError, match="answered twice"):
        examqa.grade_sheet(EXAM, bank, [(ITEM, 2), (ITEM, 3)])


# ------------------------------------------------------------------------------------ every door agrees



def _spellings(k: int) -> list[Any]:
    """Ways people and libraries write the mark k."""
    out: list[Any] = [k, str(k), f" {k} ", float(k), f"{k}.0", np.int64(k), np.float64(k), Decimal(k),
                      chr(0xFF10 + k) if k < 10 else str(k)]
    if 1 <= k <= 20:
        out.append(chr(0x2460 + k - 1))  # ① …
    return out


BLANKS: list[Any] = [None, "", "  ", math.nan, "nan", "NA", [], PD_NA]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_door_reads_a_random_sheet_alike(bank: Bank, data: st.DataObject) -> None:
    """A sheet with each mark spelt a random way (or a random blank, or a double mark) grades the same
    through a mapping, pairs, an AnswerSheet, cohort rows and a CSV."""
    cells: dict[str, Any] = {}
    texts: dict[str, str] = {}
    for q in bank.questions:
        kind = data.draw(st.sampled_from(["mark", "blank", "double", "absent"]))
        if kind == "absent":
            continue
        if kind == "blank":
            cells[q.id] = data.draw(st.sampled_from(BLANKS))
            texts[q.id] = ""
        elif kind == "double":
            pair = data.draw(st.lists(st.integers(1, len(q.choices)), min_size=2, max_size=2, unique=True))
            cells[q.id] = data.draw(st.sampled_from([pair, tuple(pair), f"{pair[0]};{pair[1]}"]))
            texts[q.id] = f"{pair[0]}|{pair[1]}"
        else:
            k = data.draw(st.integers(1, len(q.choices)))
            cells[q.id] = data.draw(st.sampled_from(_spellings(k)))
            texts[q.id] = str(k)
    expected = examqa.grade_sheet(EXAM, bank, {k: read_marks(v, next(q for q in bank.questions if q.id == k))
                                               for k, v in cells.items()}).model_dump()
    assert examqa.grade_sheet(EXAM, bank, cells).model_dump() == expected
    assert examqa.grade_sheet(EXAM, bank, list(cells.items())).model_dump() == expected
    assert examqa.grade_sheet(EXAM, bank, examqa.AnswerSheet(marks=cells)).model_dump() == expected
    cohort = examqa.grade_cohort(EXAM, bank, [("가", cells)])
    assert cohort.report("가").model_dump(exclude={"notes"}) == {k: v for k, v in expected.items() if k != "notes"}
    with tempfile.TemporaryDirectory() as tmp:
        sheet = Path(tmp) / "s.csv"
        sheet.write_text("id,answer\n" + "".join(f"{k},{v}\n" for k, v in texts.items()), encoding="utf-8")
        assert examqa.grade_sheet(EXAM, bank, sheet).model_dump(exclude={"notes"}) == {
            k: v for k, v in expected.items() if k != "notes"}
