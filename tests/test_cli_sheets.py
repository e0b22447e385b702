"""Sheet grading through the CLI: the report fields, the hand count on real papers, bad input, exit codes."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

import examqa
from helpers import LOSS_ADJUSTER_DATA, REPO, loss_adjuster_rows, run_cli, write_native_bank

SAMPLES = REPO / "exams" / "samples"


def test_help_and_sheet_grading_never_import_torch() -> None:
    code = (
        "import sys, runpy\n"
        "sys.argv = ['examqa', 'grade', 'customs-broker', '--bank', sys.argv[1], '--answers', sys.argv[2]]\n"
        "try:\n    runpy.run_module('examqa.cli', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, 'heavy import'\n"
        "sys.argv = ['examqa', '--help']\n"
        "try:\n    runpy.run_module('examqa.cli', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "assert 'torch' not in sys.modules\n"
        "print('LIGHT')\n"
    )
    res = subprocess.run([sys.executable, "-c", code, str(SAMPLES / "papers" / "customs-broker.jsonl"),
                          str(SAMPLES / "customs-broker-sheet.csv")], capture_output=True, text=True, cwd=REPO)
    assert res.returncode == 0, res.stderr
    assert "LIGHT" in res.stdout


FOURTEEN = ("physician", "dentist", "herbal-pharmacist", "customs-broker", "appraiser", "loss-adjuster", "lawyer",
            "judicial-scrivener", "labor-attorney", "patent-attorney", "cpa", "tax-accountant",
            "korean-medicine-doctor", "pharmacist")


@pytest.mark.parametrize("exam", FOURTEEN)
def test_bundled_sample_sheets_grade(exam: str) -> None:
    res = run_cli("grade", exam, "--bank", str(SAMPLES / "papers" / f"{exam}.jsonl"), "--answers",
                  str(SAMPLES / f"{exam}-sheet.csv"), "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["exam"] == exam
    assert isinstance(report["passed"], bool)
    assert set(report["total"]) >= {"points", "max_points", "percent"}
    for s in report["subjects"]:
        assert set(s) >= {"name", "points", "max_points", "percent", "passed"}
    assert report["passed"] == (report["decision"] == "pass")
    assert (report["decision"] == "fail") == bool(report["reasons"])
    table = run_cli("grade", exam, "--bank", str(SAMPLES / "papers" / f"{exam}.jsonl"), "--answers",
                    str(SAMPLES / f"{exam}-sheet.csv"))
    assert table.returncode == 0
    assert ("합격 PASS" in table.stdout) == report["passed"]


def _hand_count(year_dir: Path, picks: dict[str, int | None]) -> dict[str, Fraction]:
    """Points per subject straight from the raw JSON: 2.5 per item whose key (or accept list) has the pick."""
    points: dict[str, Fraction] = {}
    for f in sorted(year_dir.glob("*.json")):
        for item in json.loads(f.read_text(encoding="utf-8")):
            accepted = item.get("accept") or [item["answer"]]
            pick = picks.get(item["id"])
            got = Fraction(5, 2) if pick is not None and pick in accepted else Fraction(0)
            points[item["subject"]] = points.get(item["subject"], Fraction(0)) + got
    return points


@pytest.mark.skipif(not LOSS_ADJUSTER_DATA.is_dir(), reason="../shared/data/loss-adjuster is absent")
@pytest.mark.parametrize("year", ["2016", "2017", "2018", "2019", "2020"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_loss_adjuster_sheet_matches_hand_count(tmp_path: Path, year: str, seed: int) -> None:
    rng = random.Random(f"{year}-{seed}")
    year_dir = LOSS_ADJUSTER_DATA / year
    items = [i for f in sorted(year_dir.glob("*.json")) for i in json.loads(f.read_text(encoding="utf-8"))]
    skill = [0.3, 0.65, 0.9][seed - 1]
    picks: dict[str, int | None] = {}
    lines = ["id,answer"]
    for item in items:
        roll = rng.random()
        n = len(item["choices"])
        pick: int | None = (item["answer"] if roll < skill else None if roll > 0.97
                            else rng.randint(1, n))
        picks[item["id"]] = pick
        lines.append(f"{item['id']},{pick if pick is not None else ''}")
    sheet = tmp_path / "S.csv"
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = run_cli("grade", "loss-adjuster", "--bank", str(year_dir), "--answers", str(sheet), "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    expected = _hand_count(year_dir, picks)
    got = {s["name"]: Fraction(str(s["points"])) for s in report["subjects"]}
    assert got == expected
    # the official rule: every subject ≥ 40 (of 100) and the mean ≥ 60
    passed = all(v >= 40 for v in expected.values()) and sum(expected.values()) / 3 >= 60
    assert report["passed"] is passed


@pytest.mark.skipif(not LOSS_ADJUSTER_DATA.is_dir(), reason="../shared/data/loss-adjuster is absent")
def test_validate_reports_known_defects_in_shared_papers() -> None:
    res = run_cli("validate", str(LOSS_ADJUSTER_DATA / "2016"), "--exam", "loss-adjuster")
    assert res.returncode == 0, res.stdout + res.stderr  # warnings only
    text = res.stdout
    assert "손해사정이론" in text and "warning" in text
    assert "0 error(s)" in text


def _bank(tmp_path: Path) -> Path:
    return write_native_bank(tmp_path / "bank.jsonl", loss_adjuster_rows(2))


@pytest.mark.parametrize(
    ("setup", "needle"),
    [
        ("unknown_exam", "unknown exam 'nurse'"),
        ("bank_bad_json", "bank.jsonl:2"),
        ("sheet_non_utf8", "UTF-8"),
        ("sheet_out_of_range", "S.csv:2"),
        ("sheet_zero", "S.csv:2"),
        ("sheet_unknown_id", "NOPE"),
        ("sheet_duplicate_id", "S.csv:3"),
        ("bank_duplicate_id", "bank.jsonl"),
        ("missing_bank", "nowhere"),
        ("both_modes", "exactly one"),
    ],
)
def test_bad_input_one_line_exit_2(tmp_path: Path, setup: str, needle: str) -> None:
    bank = _bank(tmp_path)
    sheet = tmp_path / "S.csv"
    sheet.write_text("id,answer\nS0-1,1\n", encoding="utf-8")
    exam = "loss-adjuster"
    extra: list[str] = []
    if setup == "unknown_exam":
        exam = "nurse"
    elif setup == "bank_bad_json":
        lines = bank.read_text(encoding="utf-8").splitlines()
        lines[1] = lines[1][:-3]
        bank.write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif setup == "sheet_non_utf8":
        sheet.write_bytes("id,answer\nS0-1,①\n".encode("cp949", errors="replace") + b"\xff\xfe\n")
    elif setup == "sheet_out_of_range":
        sheet.write_text("id,answer\nS0-1,5\n", encoding="utf-8")  # 4-choice item
    elif setup == "sheet_zero":
        sheet.write_text("id,answer\nS0-1,0\n", encoding="utf-8")
    elif setup == "sheet_unknown_id":
        sheet.write_text("id,answer\nS0-1,1\nNOPE,2\n", encoding="utf-8")
    elif setup == "sheet_duplicate_id":
        sheet.write_text("id,answer\nS0-1,1\nS0-1,2\n", encoding="utf-8")
    elif setup == "bank_duplicate_id":
        lines = bank.read_text(encoding="utf-8").splitlines()
        bank.write_text("\n".join([*lines, lines[0]]) + "\n", encoding="utf-8")
    elif setup == "missing_bank":
        bank = tmp_path / "nowhere.jsonl"
    elif setup == "both_modes":
        extra = ["--model", "x"]
    res = run_cli("grade", exam, "--bank", str(bank), "--answers", str(sheet), *extra)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert needle in res.stderr
    assert "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert res.stdout == ""


@pytest.mark.parametrize("columns", ["80", "100"])
def test_exams_listing_is_readable_in_a_narrow_terminal(columns: str) -> None:
    # At 80 columns the table once squeezed the name and subject columns to nothing.
    from examqa.exams.plugins import registry

    res = run_cli("exams", env={"COLUMNS": columns})
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert max(len(line) for line in lines) <= int(columns)
    for exam_id, entry in registry().items():
        row = next((line for line in lines if f"│ {exam_id} " in line), None)
        assert row is not None, exam_id  # the id whole, never cut to "customs-b…"
        assert entry.blueprint.name_ko.split()[0] in row, (exam_id, row)


def test_exams_listing_and_detail() -> None:
    res = run_cli("exams", env={"COLUMNS": "250"})
    assert res.returncode == 0
    for exam in FOURTEEN:
        assert exam in res.stdout
    assert "시험의 일부: 판정 불가" in res.stdout and "순위:" in res.stdout and "(선택)" in res.stdout
    detail = run_cli("exams", "--detail", env={"COLUMNS": "250"})
    assert detail.returncode == 0 and "unverified" in detail.stdout
    text = " ".join(detail.stdout.split())
    # every fact's source: the rule's, each announced cut's, and every source with its address
    from examqa.exams.plugins import registry

    for exam_id, entry in registry().items():
        bp = entry.blueprint
        assert f"pass rule ({bp.pass_rule.kind}, {bp.pass_rule.basis})" in text, exam_id
        for src in bp.sources:
            assert f"source {src.id}: " in text, (exam_id, src.id)
            if src.url:
                assert src.url in text, (exam_id, src.id)
        for cut in bp.pass_rule.cuts:
            title = next(x.title for x in bp.sources if x.id == cut.source)
            assert f"{cut.year}" in text and title in text
    assert "2024 제61회 합격선 76.66 (mean of 100)" in text and "384.5 / 550 points" in text


def test_an_elective_is_told_by_the_sheet_or_named_on_the_command_line(tmp_path: Path) -> None:
    bank = str(SAMPLES / "papers" / "tax-accountant.jsonl")
    graded = run_cli("grade", "tax-accountant", "--bank", bank, "--answers", str(SAMPLES / "tax-accountant-sheet.csv"),
                     "--json")
    assert graded.returncode == 0, graded.stderr
    assert json.loads(graded.stdout)["electives"] == ["민법(총칙)"]
    both = tmp_path / "both.csv"
    both.write_text("id,answer\nTAX-01,2\nTAX-05,5\nTAX-06,2\n", encoding="utf-8")
    res = run_cli("grade", "tax-accountant", "--bank", bank, "--answers", str(both))
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1
    assert "several electives" in res.stderr and "--elective" in res.stderr
    named = run_cli("grade", "tax-accountant", "--bank", bank, "--answers", str(both), "--elective", "상법", "--json")
    assert named.returncode == 0, named.stderr
    assert json.loads(named.stdout)["electives"] == ["상법(회사편)"]
    wrong = run_cli("grade", "tax-accountant", "--bank", bank, "--answers", str(both), "--elective", "재정학")
    assert wrong.returncode == 2 and "not an elective of tax-accountant" in wrong.stderr


def test_year_picks_the_announced_cut() -> None:
    bank = str(SAMPLES / "papers" / "patent-attorney.jsonl")
    sheet = str(SAMPLES / "patent-attorney-sheet.csv")
    as_sat = json.loads(run_cli("grade", "patent-attorney", "--bank", bank, "--answers", sheet, "--json").stdout)
    assert as_sat["year"] == 2025 and as_sat["decision"] == "fail" and as_sat["total"]["cut"]["year"] == 2025
    in_2014 = json.loads(run_cli("grade", "patent-attorney", "--bank", bank, "--answers", sheet, "--year", "2014",
                                 "--json").stdout)
    assert in_2014["decision"] == "pass" and in_2014["total"]["cut"]["percent"] == 66.66  # 66.67 ≥ 66.66
    unknown = run_cli("grade", "patent-attorney", "--bank", bank, "--answers", sheet, "--year", "2011")
    assert unknown.returncode == 0 and "판정 보류 ELIGIBLE" in unknown.stdout


def test_schema_is_versioned() -> None:
    res = run_cli("schema")
    assert res.returncode == 0
    schema = json.loads(res.stdout)
    assert "schema_version" in schema["properties"] and "reasons" in schema["properties"]
    assert {"decision", "rule_kind", "year", "electives", "paper"} <= set(schema["properties"])
    assert set(schema["properties"]["decision"]["enum"]) == {"pass", "fail", "cut_unpublished", "part_only"}


def test_a_sheet_writes_its_report_as_html_and_markdown(tmp_path: Path) -> None:
    """--html and --md are not only a cohort's: one sheet's report is written in the same design."""
    bank = SAMPLES / "papers" / "customs-broker.jsonl"
    sheet = SAMPLES / "customs-broker-sheet.csv"
    page, md = tmp_path / "out" / "sheet.html", tmp_path / "sheet.md"
    done = run_cli("grade", "customs-broker", "--bank", str(bank), "--answers", str(sheet), "--html", str(page),
                   "--md", str(md), "--json")
    assert done.returncode == 0, done.stderr
    report = examqa.grade_sheet("customs-broker", bank, sheet)
    assert json.loads(done.stdout) == report.model_dump(mode="json")
    assert page.read_text(encoding="utf-8") == examqa.to_html(report)
    assert md.read_text(encoding="utf-8") == examqa.to_markdown(report)
    assert f"wrote {page}" in done.stderr and f"wrote {md}" in done.stderr
    # an output that would overwrite the sheet is refused before anything is graded or written
    copy = tmp_path / "copy.csv"
    copy.write_bytes(sheet.read_bytes())
    refused = run_cli("grade", "customs-broker", "--bank", str(bank), "--answers", str(copy), "--html", str(copy))
    assert refused.returncode == 2 and "--html" in refused.stderr and refused.stderr.count("\n") == 1
    assert copy.read_bytes() == sheet.read_bytes()
    # the cohort-only flags stay a cohort's
    misuse = run_cli("grade", "customs-broker", "--bank", str(bank), "--answers", str(sheet), "--skip-bad")
    assert misuse.returncode == 2 and "--skip-bad is for a cohort" in misuse.stderr
