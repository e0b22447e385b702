"""Inputs as people give them (issue 15): the user mistakes and rough edges a new user's afternoon found —
each a clear one-line error with exit 2, or the behaviour the docs promise. The cell reader's table is in
``test_cells.py``, papers in ``test_papers.py``, layouts in ``test_route_layouts.py``.
"""

from __future__ import annotations

import ast
import json
import re
import unicodedata
import warnings
from pathlib import Path
from typing import Any

import pytest

import examqa
from examqa.cli import COMMANDS, build_parser, run_argv
from examqa.errors import ExamqaWarning, InputError
from helpers import REPO, loss_adjuster_rows, write_native_bank

SAMPLE = REPO / "exams" / "samples" / "papers" / "customs-broker.jsonl"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = run_argv(argv)
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------------------------ banks (15.2, 15.4)


def test_a_pretty_printed_object_is_one_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one = tmp_path / "one.json"
    one.write_text(json.dumps(loss_adjuster_rows(1)[0], ensure_ascii=False, indent=2), encoding="utf-8")
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"questions": loss_adjuster_rows(1)}, ensure_ascii=False, indent=2),
                       encoding="utf-8")
    with pytest.raises(InputError, match=r"one JSON object spread over \d+ lines, not JSON lines") as caught:
        examqa.load_bank(one)
    assert "a bank is JSON lines (one object per line), a JSON array of objects, or CSV" in str(caught.value)
    with pytest.raises(InputError, match="one JSON object holding 3 records under 'questions', not a bank"):
        examqa.load_bank(wrapped)
    blueprint = examqa.load_exam("loss-adjuster").blueprint
    assert [p.severity for p in examqa.validate_bank(one, blueprint)] == ["error"]  # one, not one per line
    code, out, err = run(["validate", str(wrapped), "--exam", "loss-adjuster"], capsys)
    assert code == 2 and len(out.splitlines()) == 2 and err == ""
    # a pretty-printed object with a syntax error is still one error, at its line
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "id": "A",\n  "stem": oops\n}\n', encoding="utf-8")
    assert [(p.severity, p.line) for p in examqa.validate_bank(broken, blueprint)] == [("error", 3)]


def test_validate_prints_one_sorted_stream(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = loss_adjuster_rows(2)
    rows[1]["choices"] = ["가", "", *rows[1]["choices"][2:]]          # a warning, line 2
    rows[2]["subject"] = "수학"                                        # an error, line 3
    rows[3]["choices"] = [*rows[3]["choices"], "다섯"]                 # an error, line 4
    bank = write_native_bank(tmp_path / "b.jsonl", rows)
    code, out, err = run(["validate", str(bank), "--exam", "loss-adjuster"], capsys)
    assert code == 2 and err == ""
    lines = out.splitlines()
    located = [int(m.group(1)) for line in lines if (m := re.match(rf"{re.escape(str(bank))}:(\d+): ", line))]
    assert located == sorted(located) and len(located) >= 3
    assert lines[-1] == f"{bank}: 2 error(s), {len(lines) - 3} warning(s)"


def _flags_of_every_command() -> set[str]:
    flags = {"--help", "--version"}
    for cmd in COMMANDS:
        parser = build_parser([cmd.name])
        sub = next(a for a in parser._actions if a.dest == "command")
        child = sub.choices[cmd.name]  # type: ignore[index]
        flags |= {s for a in child._actions for s in a.option_strings}
    return flags


def test_every_flag_a_message_names_exists() -> None:
    """Issue 15.4: a hint named `examqa exams --formats`, which does not exist. Every --flag in the
    library's text (messages, hints, docstrings) is an option of some examqa command."""
    known = _flags_of_every_command()
    outside = {"--reasoning-parser"}  # vLLM's own flag, named as such
    found: dict[str, str] = {}
    for path in (REPO / "src" / "examqa").rglob("*.py"):
        if "testing" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for flag in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*[a-z0-9]", node.value):
                    found.setdefault(flag, str(path.relative_to(REPO)))
    unknown = {flag: where for flag, where in found.items() if flag not in known | outside}
    assert unknown == {}
    assert "--plugins" in found and "--paper" in found


# ------------------------------------------------------------------------------------ cohorts (15.7, 15.8)


def test_nfc_and_nfd_spellings_of_one_name_are_one_student(tmp_path: Path) -> None:
    rows = loss_adjuster_rows(1)
    bank = write_native_bank(tmp_path / "bank.jsonl", rows)
    nfc = "김민수"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd
    folder = tmp_path / "sheets"
    folder.mkdir()
    (folder / f"{nfc}.csv").write_text(f"id,answer\n{rows[0]['id']},1\n", encoding="utf-8")
    (folder / f"{nfd}.csv").write_text(f"id,answer\n{rows[0]['id']},2\n", encoding="utf-8")
    if len(list(folder.iterdir())) == 2:  # a file system that keeps both spellings apart (not macOS)
        with pytest.raises(InputError, match="listed twice"):
            examqa.grade_cohort("loss-adjuster", bank, folder)
    with pytest.raises(InputError, match=f"student '{nfc}'.*listed twice"):
        examqa.grade_cohort("loss-adjuster", bank, [(nfc, {}), (nfd, {})])
    wide = tmp_path / "wide.csv"
    wide.write_text(f"student,{rows[0]['id']}\n{nfd},1\n{nfc},2\n", encoding="utf-8")
    with pytest.raises(InputError, match="listed twice"):
        examqa.grade_cohort("loss-adjuster", bank, wide)
    one = examqa.grade_cohort("loss-adjuster", bank, [(nfd, {rows[0]["id"]: 1})])
    assert next(iter(one.results())).student == nfc  # reported in NFC


def test_a_zero_byte_sheet_in_a_folder_is_an_error_as_alone(tmp_path: Path) -> None:
    rows = loss_adjuster_rows(1)
    bank = write_native_bank(tmp_path / "bank.jsonl", rows)
    folder = tmp_path / "sheets"
    folder.mkdir()
    (folder / "가.csv").write_text(f"id,answer\n{rows[0]['id']},1\n", encoding="utf-8")
    (folder / "나.csv").write_bytes(b"")
    with pytest.raises(InputError, match="no answers in this file"):
        examqa.grade_sheet("loss-adjuster", bank, folder / "나.csv")
    with pytest.raises(InputError, match=r"나\.csv: student '나': no answers in this file"):
        examqa.grade_cohort("loss-adjuster", bank, folder)
    skipped = examqa.grade_cohort("loss-adjuster", bank, folder, skip_bad=True)
    assert skipped.summary.students == 1 and skipped.summary.bad[0].student == "나"
    # a header alone is a sheet with every item blank: graded, as before
    (folder / "나.csv").write_text("id,answer\n", encoding="utf-8")
    assert examqa.grade_cohort("loss-adjuster", bank, folder).summary.students == 2


def test_sheets_in_sub_folders_are_read_and_other_files_said(tmp_path: Path) -> None:
    rows = loss_adjuster_rows(1)
    bank = write_native_bank(tmp_path / "bank.jsonl", rows)
    folder = tmp_path / "sheets"
    for where in ("1반/김민수.csv", "2반/김민수.csv", "이영희.csv"):
        (folder / where).parent.mkdir(parents=True, exist_ok=True)
        (folder / where).write_text(f"id,answer\n{rows[0]['id']},1\n", encoding="utf-8")
    (folder / "2반" / "명단.xlsx").write_bytes(b"PK")
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "x.csv").write_text("garbage", encoding="utf-8")
    said = r"1 file\(s\) that are not \.csv answer sheets were not read: 2반/명단\.xlsx"
    with pytest.warns(ExamqaWarning, match=said):
        cohort = examqa.grade_cohort("loss-adjuster", bank, folder)
    assert [r.student for r in cohort.results()] == ["1반/김민수", "2반/김민수", "이영희"]


def test_an_output_over_an_input_or_another_output_is_refused(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    rows = loss_adjuster_rows(2)
    bank = write_native_bank(tmp_path / "bank.jsonl", rows)
    wide = tmp_path / "class.csv"
    original = f"student,{rows[0]['id']}\n가,1\n나,2\n"
    wide.write_text(original, encoding="utf-8")
    base = ["grade", "loss-adjuster", "--bank", str(bank), "--answers", str(wide)]
    for extra, needle in (
        (["--csv-out", str(wide)], "--csv-out"), (["--html", str(bank)], "--bank"),
        (["--csv-out", str(tmp_path / "o.txt"), "--md", str(tmp_path / "o.txt")], "name the same file"),
    ):
        code, _, err = run([*base, *extra], capsys)
        assert code == 2 and needle in err and len(err.strip().splitlines()) == 1, err
    assert wide.read_text(encoding="utf-8") == original and not (tmp_path / "o.txt").exists()
    folder = tmp_path / "sheets"
    folder.mkdir()
    (folder / "가.csv").write_text(f"id,answer\n{rows[0]['id']},1\n", encoding="utf-8")
    code, _, err = run(["grade", "loss-adjuster", "--bank", str(bank), "--answers", str(folder), "--csv-out",
                        str(folder / "students.csv")], capsys)
    assert code == 2 and "is inside --answers" in err and not (folder / "students.csv").exists()
    code, _, _ = run([*base, "--csv-out", str(tmp_path / "students.csv")], capsys)
    assert code == 0


# ------------------------------------------------------------------------------------ exit codes (15.10–12)


def _run_dir(tmp_path: Path, **options: Any) -> Path:
    rows = loss_adjuster_rows(2)
    bank = write_native_bank(tmp_path / "bank.jsonl", rows)
    out = tmp_path / "run"
    backend = examqa.backend("scripted", default="검토</think>정답: 1")
    examqa.evaluate("loss-adjuster", bank, backend, out=out, temperature=0, **options)
    return out


def test_report_on_an_incomplete_run_exits_3_and_says_so(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = _run_dir(tmp_path)
    assert run(["report", str(out)], capsys)[0] == 0
    samples = out / "samples.jsonl"
    lines = samples.read_text(encoding="utf-8").splitlines(keepends=True)
    samples.write_text("".join(lines[:-2]), encoding="utf-8")
    code, _, err = run(["report", str(out), "--json"], capsys)
    assert code == 3 and "incomplete: 2 sample(s) not graded" in err and "--resume" in err


def test_report_of_a_suite_directory_renders_the_suite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    backend = examqa.backend("scripted", default="검토</think>정답: 1")
    suite = examqa.evaluate_suite("customs-broker", SAMPLE, backend, out=tmp_path / "suite",
                                  modes=("reasoning", "non-reasoning"), temperature=0)
    (tmp_path / "suite" / "suite-report.md").unlink()
    code, out, err = run(["report", str(tmp_path / "suite"), "--json"], capsys)
    assert code == 0, err
    again = json.loads(out)
    assert again["rows"] == json.loads(suite.model_dump_json())["rows"]
    assert (tmp_path / "suite" / "suite-report.md").is_file()
    assert examqa.suite.report_suite(tmp_path / "suite").passes == suite.passes  # type: ignore[attr-defined]
    code, _, err = run(["rescore", str(tmp_path / "suite")], capsys)
    assert code == 2 and "is a suite directory" in err


def test_reporting_a_suite_never_writes_to_or_locks_its_runs(tmp_path: Path) -> None:
    # A suite re-rendered while one of its runs is being written (resumed elsewhere) reads that run as
    # report_run does: no lock taken, no partial last line trimmed.
    from examqa.runs import RunStore

    backend = examqa.backend("scripted", default="검토</think>정답: 1")
    examqa.evaluate_suite("customs-broker", SAMPLE, backend, out=tmp_path / "suite",
                          modes=("reasoning", "non-reasoning"), temperature=0)
    run_dir = tmp_path / "suite" / "customs-broker" / "reasoning"
    samples = run_dir / "samples.jsonl"
    with samples.open("a", encoding="utf-8") as f:
        f.write('{"partial": ')  # a writer is in the middle of a line
    before = samples.read_bytes()
    writer = RunStore.open(run_dir)  # holds the run's lock (and trims the tail, as a resuming writer does)
    try:
        samples.write_bytes(before)
        with pytest.warns(examqa.ExamqaWarning, match="is being written"):
            report = examqa.suite.report_suite(tmp_path / "suite")  # type: ignore[attr-defined]
        assert report.backend == "scripted" and len(report.results) == 2
        assert samples.read_bytes() == before
    finally:
        writer.close()


def test_a_non_utf8_byte_in_samples_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _run_dir(tmp_path)
    samples = out / "samples.jsonl"
    data = samples.read_bytes().split(b"\n")
    data[1] = data[1].replace(b'"id"', b'"\xff\xfeid"', 1)
    samples.write_bytes(b"\n".join(data))
    code, _, err = run(["report", str(out)], capsys)
    assert code == 2 and f"{samples}:2: corrupt record: not UTF-8 (byte 0xff)" in err
    assert len(err.strip().splitlines()) == 1


def test_a_five_thousand_digit_mark_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("id,answer\nCUS-01," + "9" * 5000 + "\n", encoding="utf-8")
    code, _, err = run(["grade", "customs-broker", "--bank", str(SAMPLE), "--answers", str(sheet)], capsys)
    assert code == 2 and "sheet.csv:2: answer 999999999999… (5000 digits) for question 'CUS-01'" in err
    assert len(err) < 400


def test_tiny_model_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine", encoding="utf-8")
    code, _, err = run(["tiny-model", str(a_file)], capsys)
    assert code == 2 and "is a file" in err and a_file.read_text(encoding="utf-8") == "mine"
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "config.json").write_text("{}", encoding="utf-8")
    code, _, err = run(["tiny-model", str(folder)], capsys)
    assert code == 2 and "not empty" in err and (folder / "config.json").read_text(encoding="utf-8") == "{}"


def test_no_thinking_with_modes_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["grade", "customs-broker", "--bank", str(SAMPLE), "--backend", "scripted", "--model", "x",
                        "--modes", "reasoning,non-reasoning", "--no-thinking", "--out", str(tmp_path / "s")], capsys)
    assert code == 2 and "--no-thinking and --modes contradict" in err and not (tmp_path / "s").exists()
    backend = examqa.backend("scripted", default="x</think>정답: 1")
    with pytest.raises(InputError, match="contradicts modes"):
        examqa.evaluate_suite("customs-broker", SAMPLE, backend, thinking=False, modes=("reasoning",),
                              out=tmp_path / "s")
    parser = build_parser(["grade"])
    grade = next(a for a in parser._actions if a.dest == "command").choices["grade"]  # type: ignore[index]
    helps = {s: a.help or "" for a in grade._actions for s in a.option_strings}
    assert helps["--no-thinking"].startswith("Run in non-reasoning mode") and "Not with --modes" in helps[
        "--no-thinking"]
    assert "(reasoning,non-reasoning: one run per exam and mode" in helps["--modes"]
    assert "Not with --no-thinking" in helps["--modes"] and helps["--modes"].endswith("(default reasoning)")


# ------------------------------------------------------------------------------------ the API's edges (15.13)


def test_compare_refuses_one_path(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="takes a list of run directories, not one path"):
        examqa.compare("runs/A")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="takes a list of run directories"):
        examqa.compare(tmp_path)  # type: ignore[arg-type]


def test_bank_warnings_point_at_the_callers_line(tmp_path: Path) -> None:
    rows = loss_adjuster_rows(1)
    rows[0]["choices"][1] = ""  # a known defect: a warning in the bank
    bank = write_native_bank(tmp_path / "bank.jsonl", rows)
    backend = examqa.backend("scripted", default="x</think>정답: 1")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        examqa.evaluate("loss-adjuster", bank, backend, out=tmp_path / "r", temperature=0)  # this line
    found = [w for w in seen if issubclass(w.category, ExamqaWarning)]
    assert found and all(w.filename == __file__ for w in found), [(w.filename, w.lineno) for w in found]
    assert "warning(s) in the bank" in str(found[0].message)


def test_read_sheet_and_rescore_run_are_documented() -> None:
    assert "bank" in (examqa.read_sheet.__doc__ or "") and "ids" in (examqa.read_sheet.__doc__ or "")
    api = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    assert "`examqa.rescore_run(run)` → `(report, changed)`" in api
    assert "`examqa.read_sheet(path, bank)`" in api


def test_progress_off_a_terminal_is_whole_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"default": "검토</think>정답: 2"}), encoding="utf-8")
    code, _, err = run(["grade", "customs-broker", "--bank", str(SAMPLE), "--backend", "scripted", "--model",
                        str(script), "--out", str(tmp_path / "r"), "--temperature", "0"], capsys)
    assert code == 0, err
    progress = [line for line in err.splitlines() if line.startswith("customs-broker · script.json · reasoning")]
    assert progress[0].endswith("0/12 done") and progress[-1].startswith(
        "customs-broker · script.json · reasoning: 12/12 (100%)")
    assert not any("…" in line for line in progress)
