"""``examqa grade EXAM --bank B --answers SHEETS`` on a cohort: outputs, JSON, bad input, and the single sheet."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

import examqa
from helpers import loss_adjuster_rows, run_cli, write_native_bank

IDS = [f"S{s}-{k}" for s in range(3) for k in range(1, 5)]
KEYS = [(k % 4) + 1 for _ in range(3) for k in range(4)]


@pytest.fixture
def bank(tmp_path: Path) -> Path:
    return write_native_bank(tmp_path / "bank.jsonl", loss_adjuster_rows(4))


def class_csv(path: Path, extra: str = "") -> Path:
    lines = ["student," + ",".join(IDS)]
    for n in range(8):  # n + 4 right answers, the rest wrong; one double mark
        cells = [str(k) if i < n + 4 else str(k % 4 + 1) for i, k in enumerate(KEYS)]
        if n == 3:
            cells[0] = "1;2"
        lines.append(f"학생{n}," + ",".join(cells))
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def test_cohort_terminal_and_files(tmp_path: Path, bank: Path) -> None:
    out = tmp_path / "out"
    done = run_cli("grade", "loss-adjuster", "--bank", str(bank), "--answers", str(class_csv(tmp_path / "c.csv")),
                   "--csv-out", str(out / "students.csv"), "--html", str(out / "cohort.html"),
                   "--md", str(out / "cohort.md"))
    assert done.returncode == 0, done.stderr
    assert "응시 8명" in done.stdout and "과목별 분포" in done.stdout
    rows = list(csv.DictReader((out / "students.csv").read_text(encoding="utf-8").splitlines()))
    assert [r["student"] for r in rows] == [f"학생{n}" for n in range(8)]
    assert (out / "cohort.html").read_text(encoding="utf-8").startswith("<!doctype html>")
    assert "## 문항 통계" in (out / "cohort.md").read_text(encoding="utf-8")
    assert not list(out.glob(".*.tmp"))
    umask = os.umask(0)
    os.umask(umask)
    assert (out / "students.csv").stat().st_mode & 0o777 == 0o666 & ~umask  # like any new file, not private
    assert f"wrote {out / 'students.csv'}" in done.stderr


def test_cohort_json_is_each_students_report(tmp_path: Path, bank: Path) -> None:
    wide = class_csv(tmp_path / "c.csv")
    done = run_cli("grade", "loss-adjuster", "--bank", str(bank), "--answers", str(wide), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) == {"cohort", "students", "items"}
    assert data["cohort"]["students"] == 8 and len(data["items"]) == 12
    lines = wide.read_text(encoding="utf-8").splitlines()
    for entry, line in zip(data["students"], lines[1:], strict=True):
        name, *cells = line.split(",")
        sheet = tmp_path / f"{name}.csv"
        sheet.write_text("id,answer\n" + "".join(f"{q},{c}\n" for q, c in zip(IDS, cells, strict=True)),
                         encoding="utf-8")
        alone = examqa.grade_sheet("loss-adjuster", bank, sheet).model_dump(mode="json", exclude={"items"})
        assert entry == {"student": name, **alone}
        assert entry["to_pass"]["items"] >= 0


def test_a_bad_sheet_stops_everything_and_writes_nothing(tmp_path: Path, bank: Path) -> None:
    wide = class_csv(tmp_path / "c.csv", extra="늦은학생," + ",".join(["1"] * 11) + ",9\n")
    target = tmp_path / "out" / "students.csv"
    done = run_cli("grade", "loss-adjuster", "--bank", str(bank), "--answers", str(wide), "--csv-out", str(target),
                   "--html", str(tmp_path / "out" / "c.html"))
    assert done.returncode == 2
    assert done.stderr.strip() == (f"examqa: error: {wide}:10: student '늦은학생': answer 9 is out of range for "
                                   "question 'S2-4': valid choices are 1–4")
    assert not target.exists() and not (tmp_path / "out" / "c.html").exists()
    assert done.stdout == ""


def test_skip_bad_grades_the_rest_and_says_so(tmp_path: Path, bank: Path) -> None:
    wide = class_csv(tmp_path / "c.csv", extra="늦은학생," + ",".join(["1"] * 11) + ",9\n")
    done = run_cli("grade", "loss-adjuster", "--bank", str(bank), "--answers", str(wide), "--skip-bad",
                   "--csv-out", str(tmp_path / "s.csv"))
    assert done.returncode == 0, done.stderr
    assert "1 sheet(s) left out as bad (--skip-bad): 늦은학생" in done.stderr
    assert "left out: 늦은학생" in done.stdout
    assert len(list(csv.reader((tmp_path / "s.csv").read_text(encoding="utf-8").splitlines()))) == 1 + 8


def test_a_single_sheet_is_graded_as_before(tmp_path: Path, bank: Path) -> None:
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("id,answer\n" + "".join(f"{q},{k}\n" for q, k in zip(IDS, KEYS, strict=True)), encoding="utf-8")
    done = run_cli("grade", "loss-adjuster", "--bank", str(bank), "--answers", str(sheet), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["passed"] is True and report["to_pass"] == {"items": 0, "by_subject": {}, "target": "pass"}
    assert report == examqa.grade_sheet("loss-adjuster", bank, sheet).model_dump(mode="json")
    misuse = run_cli("grade", "loss-adjuster", "--bank", str(bank), "--answers", str(sheet), "--csv-out", "x.csv")
    assert misuse.returncode == 2 and "--csv-out is for a cohort" in misuse.stderr


def test_a_model_run_is_placed(tmp_path: Path, bank: Path) -> None:
    report = examqa.grade_sheet("loss-adjuster", bank, dict(zip(IDS, KEYS[:6] + [1] * 6, strict=True)))
    run = tmp_path / "run"
    run.mkdir()
    (run / "report.json").write_text(report.model_dump_json(), encoding="utf-8")
    done = run_cli("grade", "loss-adjuster", "--bank", str(bank), "--answers", str(class_csv(tmp_path / "c.csv")),
                   "--run", str(run), "--json")
    assert done.returncode == 0, done.stderr
    placement = json.loads(done.stdout)["cohort"]["placement"]
    assert placement["run"] == str(run) and placement["passed"] == report.passed
    assert [s["name"] for s in placement["subjects"]] == ["보험업법", "보험계약법", "손해사정이론"]
    missing = run_cli("grade", "loss-adjuster", "--bank", str(bank), "--answers", str(tmp_path / "c.csv"),
                      "--run", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "cannot read the run's report" in missing.stderr


def test_the_docs_example_is_its_file_and_runs() -> None:
    import re
    import subprocess
    import sys

    from helpers import REPO

    doc = (REPO / "docs" / "cohorts.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- example: docs/examples/cohort.py -->\n```python\n(.*?)```", doc, re.S)
    assert block is not None
    assert (REPO / "docs" / "examples" / "cohort.py").read_text(encoding="utf-8") == block.group(1)
    done = subprocess.run([sys.executable, "docs/examples/cohort.py"], capture_output=True, text=True, cwd=REPO,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "30/60 passed" in done.stdout and "합격까지 정답" in done.stdout
    shown = re.search(r"```text\n(30/60 passed.*?)\n…", doc, re.S)
    assert shown is not None and done.stdout.startswith(shown.group(1))
