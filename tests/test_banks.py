"""Bank readers: format detection, each format into Questions, fatal errors with file:line, validate."""

from __future__ import annotations

import hashlib
import json
import shutil
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from examqa.banks import BANK_FORMATS, Bank, Location, Problem, load_bank, validate_bank
from examqa.errors import InputError
from examqa.exams.models import Blueprint, Question
from examqa.exams.plugins import load_blueprint

DATA = Path(__file__).parent / "data" / "banks"
MIXED = DATA / "mixed"


@pytest.fixture(scope="module")
def toy() -> Blueprint:
    return load_blueprint(DATA / "toy-blueprint.json")


def native_row(qid: str = "Q1", **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"id": qid, "subject": "기초", "stem": "모의 문항: 알맞은 것은?",
                           "choices": ["가", "나", "다", "라"], "answer": 1}
    row.update(over)
    return row


def jsonl(*rows: dict[str, Any]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


# ------------------------------------------------------------------------------------- formats, one by one


def test_folder_loads_every_format_and_skips_other_files() -> None:
    bank = load_bank(MIXED)
    assert bank.format == "kmmlu-pro+kormedmcqa+loss-adjuster+native"
    assert [p.name for p in bank.files] == ["kmmlu-pro-table.csv", "kmmlu-pro.jsonl", "kormedmcqa.csv",
                                            "loss-adjuster.json", "native.jsonl"]
    assert "hidden" not in bank.origin  # .hidden/ is skipped, README.md is not a bank file
    assert len(bank.questions) == 11
    assert bank.problems == ()
    assert set(bank.origin) == {q.id for q in bank.questions}


def test_native_round_trip() -> None:
    bank = load_bank(MIXED / "native.jsonl")
    by_id = {q.id: q for q in bank.questions}
    assert bank.format == "native"
    assert by_id["T-1"] == Question(id="T-1", subject="기초", number=1, session=1, year=2024,
                                    stem="모의 문항 하나: 알맞은 것은?",
                                    choices=("가나", "다라", "마바", "사아"), accepted=frozenset({2}))
    assert by_id["T-2"].accepted == {2, 4}
    assert by_id["T-3"].accepted == {1, 2, 3, 4, 5} and by_id["T-3"].all_accepted
    assert by_id["T-3"].label_style == "letter"
    assert by_id["T-4"].points == Fraction(5, 2)
    # the blank line 3 is skipped, and lines are counted from the file, not from the records
    assert bank.origin["T-3"] == Location(MIXED / "native.jsonl", 4)
    assert load_bank(str(MIXED / "native.jsonl")).questions == bank.questions  # a str path is fine too


def test_kmmlu_pro_rows_from_jsonl_and_csv() -> None:
    rows = load_bank(MIXED / "kmmlu-pro.jsonl")
    (q,) = rows.questions
    assert (q.id, q.subject, q.accepted, len(q.choices)) == ("kp-7", "응용", {4}, 5)
    table = load_bank(MIXED / "kmmlu-pro-table.csv")
    first, second = table.questions
    # no id column: <file stem>-<line>; a multi-line quoted question keeps the line it starts on
    assert (first.id, first.choices, first.accepted) == ("kmmlu-pro-table-2", ("갑", "을", "병", "정"), {3})
    assert second.id == "kmmlu-pro-table-3" and second.stem == "여러 줄\n문항: 옳은 것은?"
    assert table.format == "kmmlu-pro"


def test_kormedmcqa_rows() -> None:
    bank = load_bank(MIXED / "kormedmcqa.csv")
    first, second = bank.questions
    assert first.id == "doctor-2022-1-1" and second.id == "doctor-2022-2-1"
    assert (first.subject, first.year, first.session, first.number) == ("doctor", 2022, 1, 1)
    assert first.choices == ("관찰", "검사", "투약", "수술", "전원") and first.accepted == {2}
    assert first.label_style == "number"
    assert second.accepted == {5}


def test_kormedmcqa_jsonl_with_null_fifth_choice(tmp_path: Path) -> None:
    row = {"subject": "pharm", "year": 2023, "period": 1, "q_number": 7, "question": "모의 문항",
           "A": "가", "B": "나", "C": "다", "D": "라", "E": None, "answer": 4, "cot": "ignored"}
    path = tmp_path / "k.jsonl"
    path.write_text(jsonl(row), encoding="utf-8")
    (q,) = load_bank(path).questions
    assert q.id == "pharm-2023-1-7" and q.choices == ("가", "나", "다", "라") and q.accepted == {4}


def test_loss_adjuster_accept_overrides_answer() -> None:
    bank = load_bank(MIXED / "loss-adjuster.json")
    first, second = bank.questions
    assert first.accepted == {1} and second.accepted == {2, 3, 4}
    assert (second.number, second.year, second.session) == (2, 2099, None)
    assert bank.origin[second.id].line == 14  # the line of the object's opening brace


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("native-named.csv", jsonl(native_row()), "native"),
    ("table.json", "subject,year,period,q_number,question,A,B,C,D,E,answer\n"
                   "nurse,2021,1,3,모의,가,나,다,라,마,1\n", "kormedmcqa"),
    ("rows.txt", json.dumps([{"question": "모의", "options": ["가", "나", "다", "라"], "solution": 2,
                              "subject": "기초"}], ensure_ascii=False), "kmmlu-pro"),
    ("paper.jsonl", json.dumps([{"id": "x", "subject": "기초", "question": "모의", "choices": ["가", "나"],
                                 "answer": 1}], ensure_ascii=False), "loss-adjuster"),
])
def test_format_is_told_from_content_not_extension(tmp_path: Path, name: str, content: str,
                                                   expected: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert load_bank(path).format == expected


def test_format_override_is_used(tmp_path: Path) -> None:
    path = tmp_path / "paper.json"
    shutil.copy(MIXED / "loss-adjuster.json", path)
    with pytest.raises(InputError, match=r"paper.json:2: unknown fields 'explanation', 'num', 'question'"):
        load_bank(path, "native")


# ------------------------------------------------------------------------------------- fatal errors


CP949_LINE = "가나다".encode("cp949")
BAD_INPUTS: list[tuple[str, str, bytes, str | None, int, str]] = [
    # (case, file name, bytes, fmt, line, message fragment)
    ("malformed jsonl", "b.jsonl", (jsonl(native_row()) + '{"id": "Q2",\n').encode(), None, 2,
     "malformed JSON"),
    ("jsonl array line", "b.jsonl", (jsonl(native_row()) + "[1, 2]\n").encode(), None, 2,
     "expected a JSON object"),
    ("array missing comma", "b.json", b'[\n {"id": "a"}\n {"id": "b"}\n]', None, 3, "expected , or ]"),
    ("array not closed", "b.json", b'[\n {"question": "q", "choices": ["a", "b"]},\n', None, 3, "not closed"),
    ("array bad value", "b.json", b'[\n {"id": "a",\n  "x": tru}\n]', None, 3, "malformed JSON"),
    ("array holds a string", "b.json", b'[\n "text"\n]', None, 2, "expected a JSON object"),
    ("text after array", "b.json", b'[]\nmore', None, 2, "text after the closing ]"),
    ("not utf-8", "b.csv", b"question,options,solution\n" + CP949_LINE + b",x,1\n", None, 2, "CP949"),
    ("missing field", "b.jsonl", jsonl({k: v for k, v in native_row().items() if k != "answer"}).encode(),
     None, 1, "missing field 'answer'"),
    ("duplicate id", "b.jsonl", jsonl(native_row("A"), native_row("B"), native_row("A")).encode(), None, 3,
     "duplicate id 'A': also at"),
    ("key out of range", "b.jsonl", jsonl(native_row(answer=5)).encode(), None, 1, "out of range 1–4"),
    ("key list out of range", "b.jsonl", jsonl(native_row(answer=[0, 2])).encode(), None, 1, "answer key 0"),
    ("one choice", "b.jsonl", jsonl(native_row(choices=["가"])).encode(), None, 1, "at least 2"),
    ("unknown native field", "b.jsonl", jsonl(native_row(stme="x")).encode(), None, 1,
     "unknown field 'stme'"),
    ("misspelt stem", "b.jsonl",
     jsonl({("stme" if k == "stem" else k): v for k, v in native_row().items()}).encode(), None, 1,
     "unknown field 'stme'"),
    ("answer as text", "b.jsonl", jsonl(native_row(answer="2,4")).encode(), None, 1, "[2, 4] for 복수정답"),
    ("empty answer list", "b.jsonl", jsonl(native_row(answer=[])).encode(), None, 1, "empty answer list"),
    ("boolean answer", "b.jsonl", jsonl(native_row(answer=True)).encode(), None, 1, "answer must be"),
    ("negative points", "b.jsonl", jsonl(native_row(points=-1)).encode(), None, 1, "points must be positive"),
    ("bad points", "b.jsonl", jsonl(native_row(points="many")).encode(), None, 1, "not a number"),
    ("bad label style", "b.jsonl", jsonl(native_row(label_style="roman")).encode(), None, 1, "label_style"),
    ("choices not a list", "b.jsonl", jsonl(native_row(choices=7)).encode(), None, 1, "list of choice texts"),
    ("year not a number", "b.jsonl", jsonl(native_row(year="2024년")).encode(), None, 1, "whole number"),
    ("unknown format", "b.csv", b"foo,bar\n1,2\n", None, 2, "cannot tell which bank format"),
    ("csv open quote", "b.csv", b'question,options,solution\n"q,"[1,2]",1\n', None, 2,
     "malformed CSV"),
    ("csv extra fields", "b.csv", b"question,options,solution\nq,\"['a','b']\",1,extra\n", None, 2,
     "row has 4 fields"),
    ("kmmlu solution garbage", "b.csv", b"question,options,solution,subject\nq,\"['a','b']\",x,s\n",
     None, 2, "'solution' must be a whole number"),
    ("kmmlu options not a list", "b.csv", b"question,options,solution,subject\nq,a;b,1,s\n", None, 2,
     "'options' is not a list"),
    ("kmmlu no subject", "b.jsonl", b'{"question": "q", "options": ["a", "b"], "solution": 1}\n', None, 1,
     "missing field 'subject'"),
    ("kormed no id parts", "b.csv", b"subject,question,A,B,answer\ndoctor,q,a,b,1\n", None, 2,
     "no 'id'"),
    ("loss accept empty", "b.json", b'[{"id": "x", "subject": "s", "question": "q", "choices": ["a", "b"],'
                                    b' "answer": 1, "accept": []}]', None, 1, "'accept' must be"),
    ("loss missing choices", "b.json", b'[{"id": "x", "subject": "s", "question": "q", "answer": 1}]',
     "loss-adjuster", 1, "missing field 'choices'"),
]


@pytest.mark.parametrize(("case", "name", "content", "fmt", "line", "fragment"), BAD_INPUTS,
                         ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_names_file_and_line(tmp_path: Path, toy: Blueprint, case: str, name: str, content: bytes,
                                       fmt: str | None, line: int, fragment: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        load_bank(path, fmt)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert fragment in message
    assert "\n" not in message
    # validate reports the same problem, at the same place, instead of stopping
    errors = [p for p in validate_bank(path, toy, fmt) if p.severity == "error"]
    assert any(p.path == path and p.line == line and fragment in p.message for p in errors), errors


def test_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text(jsonl(native_row("X")), encoding="utf-8")
    second.write_text(jsonl(native_row("Y"), native_row("X")), encoding="utf-8")
    with pytest.raises(InputError, match=rf"^{second}:2: duplicate id 'X': also at {first}:1 "):
        load_bank(tmp_path)


def test_not_utf8_suggests_reencoding(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    path.write_bytes(jsonl(native_row()).encode() + jsonl(native_row("Q2", stem="가나")).encode("cp949"))
    with pytest.raises(InputError) as info:
        load_bank(path)
    assert info.value.line == 2
    assert "not UTF-8" in str(info.value) and "iconv -f CP949 -t UTF-8" in str(info.value)


@pytest.mark.parametrize(("make", "fragment"), [
    (lambda p: p / "missing", "no such file or folder"),
    (lambda p: p, "no bank files"),
])
def test_path_problems(tmp_path: Path, make: Any, fragment: str) -> None:
    (tmp_path / "notes.txt").write_text("not a bank", encoding="utf-8")
    with pytest.raises(InputError, match=fragment):
        load_bank(make(tmp_path))


def test_unknown_format_name(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"unknown bank format 'kmmlu'.*native, kmmlu-pro"):
        load_bank(MIXED, "kmmlu")
    assert "kmmlu-pro" in BANK_FORMATS


def test_empty_bank_is_an_error_and_empty_file_a_warning(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="no questions found"):
        load_bank(tmp_path)
    (tmp_path / "real.jsonl").write_text(jsonl(native_row()), encoding="utf-8")
    bank = load_bank(tmp_path)
    empty = tmp_path / "empty.jsonl"
    assert [str(p) for p in bank.problems] == [f"{empty}: warning: no questions in this file"]


# ------------------------------------------------------------------------------------- warnings, still loads


@pytest.mark.parametrize(("over", "fragment"), [
    ({"choices": ["가", "", "다", " "]}, "choices 2, 4 empty"),
    ({"choices": ["가", "나 다", "나  다", "라"]}, "choices 2 and 3 have the same text"),
    ({"choices": ["발생시점은 언제인가? 가", "나", "다", "라"]}, "choice 1 holds a question mark"),
    ({"stem": "  "}, "empty stem"),
    ({"stem": "가나다라마바사아자차카타파하가나다라마바사아"}, "lost its spaces"),
])
def test_defects_are_warnings_and_the_bank_loads(tmp_path: Path, over: dict[str, Any], fragment: str) -> None:
    path = tmp_path / "b.jsonl"
    path.write_text(jsonl(native_row("ok"), native_row("odd", **over)), encoding="utf-8")
    bank = load_bank(path)
    assert len(bank.questions) == 2
    (problem,) = bank.problems
    assert (problem.severity, problem.path, problem.line) == ("warning", path, 2)
    assert fragment in problem.message


def test_loss_adjuster_answer_outside_accept_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps([{"id": "x", "subject": "기초", "question": "q", "choices": ["a", "b", "c"],
                                 "answer": 1, "accept": [2, 3]}]), encoding="utf-8")
    bank = load_bank(path)
    assert bank.questions[0].accepted == {2, 3}
    assert "answer 1 is not among accept [2, 3]" in bank.problems[0].message


def test_problem_str() -> None:
    assert str(Problem("error", "bad", Path("b.jsonl"), 3)) == "b.jsonl:3: error: bad"
    assert str(Problem("warning", "odd", Path("b.jsonl"))) == "b.jsonl: warning: odd"
    assert str(Problem("warning", "no items")) == "warning: no items"


# ------------------------------------------------------------------------------------- validate


def test_validate_lists_every_problem_sorted(tmp_path: Path, toy: Blueprint) -> None:
    path = tmp_path / "b.jsonl"
    rows = [
        native_row("A", number=1),
        native_row("B", answer=9),                                             # 2: key out of range
        native_row("C", subject="수학"),                                        # 3: unknown subject
        native_row("D", subject="수학"),                                        # 4: same subject, once
        native_row("E", subject="응용", choices=list("가나다라마바")),             # 5: 6 choices > 5
        native_row("F", subject="응용과목", choices=list("가나다라")),            # 6: 4 < 5: a warning
        native_row("G", number=1, choices=["가", "", "다", "라"]),                # 7: empty + number reused
        native_row("H", subject="영어"),                                         # 8: accredited, not graded
    ]
    path.write_text(jsonl(*rows[:7]) + "not json\n" + jsonl(rows[7]), encoding="utf-8")
    problems = validate_bank(path, toy)
    located = [(p.line, p.severity) for p in problems if p.path == path]
    assert located == sorted(located, key=lambda x: x[0])
    text = "\n".join(map(str, problems))
    assert f"{path}:2: error: question 'B': answer key 9 is out of range 1–4" in text
    assert text.count("subject '수학'") == 1 and f"{path}:3: error: subject '수학' is not in toy" in text
    assert "(2 item(s); its subjects: 기초, 응용, 영어)" in text
    assert f"{path}:5: error: question 'E' has 6 choices; 응용 items have 5" in text
    assert f"{path}:6: warning: question 'F' has 4 choices; 응용 items have 5" in text
    assert f"{path}:7: warning: question 'G': choice 2 empty" in text
    assert f"{path}:7: warning: question 'G': 기초 item number 1 is also question 'A'" in text
    assert f"{path}:8: error: malformed JSON" in text
    assert f"{path}:9: warning: question 'H': 영어 is met by an accredited score" in text
    # A and G are 기초's two items; E and F (under its alias) are 응용's two: the counts match
    assert all(p.path == path for p in problems)


def test_validate_counts_per_year_and_missing_subjects(tmp_path: Path, toy: Blueprint) -> None:
    path = tmp_path / "b.jsonl"
    path.write_text(jsonl(native_row("A", year=2021), native_row("B", year=2021), native_row("C", year=2022)),
                    encoding="utf-8")
    problems = [str(p) for p in validate_bank(path, toy)]
    # two papers (2021 whole, 2022 partial) are more items than one paper holds: an error naming them
    assert problems[0].startswith("error: the bank holds 2 papers (2021: 2 items, 2022: 1 items)")
    assert problems[1:] == ["warning: 2022 기초: 1 item, the blueprint says 2",
                            "warning: no items for 응용: the verdict will cover only the subjects the bank holds"]
    assert [str(p) for p in validate_bank(path, toy, paper="2022")] == [
        "warning: 2022 기초: 1 item, the blueprint says 2",
        "warning: no items for 응용: the verdict will cover only the subjects the bank holds"]


def test_validate_mixed_folder(toy: Blueprint) -> None:
    problems = validate_bank(MIXED, toy)
    text = "\n".join(map(str, problems))
    assert [p for p in problems if p.severity == "error"] == [
        next(p for p in problems if "subject 'doctor'" in p.message),
        next(p for p in problems if p.message.startswith("the bank holds 4 papers (2022: 2 items"))]
    assert "KorMedMCQA's subject column names the exam" in text
    assert "warning: 1 item(s) are from 다른시험 (license_name), not 모의시험" in text


def test_validate_named_edition(tmp_path: Path, toy: Blueprint) -> None:
    path = tmp_path / "b.jsonl"
    path.write_text(jsonl(native_row("A", year=2019), native_row("B", year=2020)), encoding="utf-8")
    text = "\n".join(map(str, validate_bank(path, toy, edition="toy-2020")))
    assert "question 'A' is from 2019, outside edition toy-2020" in text
    with pytest.raises(InputError, match="no edition 'nope'"):
        validate_bank(path, toy, edition="nope")


def test_validate_of_a_clean_bank_is_empty(tmp_path: Path, toy: Blueprint) -> None:
    path = tmp_path / "b.jsonl"
    five = list("가나다라마")
    path.write_text(jsonl(native_row("A", number=1), native_row("B", number=2),
                          native_row("C", subject="응용", choices=five, number=1),
                          native_row("D", subject="응용과목", choices=five, number=2)), encoding="utf-8")
    assert validate_bank(path, toy) == []


# ------------------------------------------------------------------------------------- fingerprint


def test_sha256_single_file_matches_sha256sum_and_folder_is_stable(tmp_path: Path) -> None:
    single = MIXED / "native.jsonl"
    assert load_bank(single).sha256() == hashlib.sha256(single.read_bytes()).hexdigest()
    moved = tmp_path / "elsewhere"
    shutil.copytree(MIXED, moved)
    original = load_bank(MIXED).sha256()
    assert load_bank(moved).sha256() == original
    bank = load_bank(moved)
    assert Bank(bank.questions, bank.origin, bank.format, bank.files).sha256() == original  # re-hashed
    target = moved / "kormedmcqa.csv"
    target.write_bytes(target.read_bytes().replace(b"2022", b"2023"))
    assert load_bank(moved).sha256() != original


# ------------------------------------------------------------------------------------- invariants

texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@st.composite
def questions(draw: st.DrawFn) -> list[Question]:
    out = []
    for i in range(draw(st.integers(1, 5))):
        choices = tuple(draw(st.lists(texts, min_size=2, max_size=7)))
        accepted = draw(st.sets(st.integers(1, len(choices)), min_size=1))
        out.append(Question(
            id=f"q{i}", subject=draw(st.sampled_from(["기초", "응용", "보험업법"])), stem=draw(texts),
            choices=choices, accepted=frozenset(accepted), number=draw(st.none() | st.integers(1, 99)),
            year=draw(st.none() | st.integers(2000, 2030)),
            points=draw(st.none() | st.sampled_from([Fraction(5, 2), Fraction(1), Fraction(10, 3)])),
            label_style=draw(st.sampled_from(["number", "letter"]))))
    return out


def to_native(q: Question) -> dict[str, Any]:
    row: dict[str, Any] = {"id": q.id, "subject": q.subject, "stem": q.stem, "choices": list(q.choices),
                           "answer": "all" if q.all_accepted else sorted(q.accepted),
                           "label_style": q.label_style}
    for key in ("number", "year"):
        if getattr(q, key) is not None:
            row[key] = getattr(q, key)
    if q.points is not None:
        row["points"] = f"{q.points.numerator}/{q.points.denominator}"
    return row


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(qs=questions(), indent=st.sampled_from([None, 1, 2]))
def test_native_round_trips_and_json_arrays_keep_lines(tmp_path: Path, qs: list[Question],
                                                       indent: int | None) -> None:
    rows = [to_native(q) for q in qs]
    lines = tmp_path / "b.jsonl"
    lines.write_text(jsonl(*rows), encoding="utf-8")
    assert load_bank(lines).questions == tuple(qs)
    array = tmp_path / "b.json"
    text = json.dumps(rows, ensure_ascii=False, indent=indent)
    array.write_text(text, encoding="utf-8")
    bank = load_bank(array)
    assert bank.questions == tuple(qs)
    if indent is not None:  # each record starts on the line holding its opening brace
        opening = [n for n, line in enumerate(text.split("\n"), 1) if line.strip() == "{"]
        assert [bank.origin[q.id].line for q in qs] == opening
