"""A bank's papers (issue 15, items 1 and 3): a folder of several sittings is never graded as one paper,
and an item that lost a choice in extraction still takes a mark on it.

The synthetic banks here are written by the tests; the shared KIDI papers (2016–2020) are used where
present and skipped with the reason where not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import examqa
from examqa.banks import SeveralPapersError, load_bank, one_paper, papers
from examqa.cli import run_argv
from examqa.errors import InputError
from helpers import LOSS_ADJUSTER_DATA, loss_adjuster_rows, write_native_bank

EXAM = "loss-adjuster"
needs_shared = pytest.mark.skipif(not LOSS_ADJUSTER_DATA.is_dir(),
                                  reason="the shared KIDI papers (../shared/data/loss-adjuster) are absent")


def full_paper(year: int) -> list[dict[str, Any]]:
    """A whole loss-adjuster paper (40 items per subject) of ``year``, ids unique per year."""
    rows = loss_adjuster_rows(per_subject=40, year=year)
    for r in rows:
        r["id"] = f"{year}-{r['id']}"
    return rows


def two_years(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    write_native_bank(root / "2023.jsonl", full_paper(2023))
    write_native_bank(root / "2024.jsonl", full_paper(2024))
    return root


def perfect(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {r["id"]: r["answer"] for r in rows}


# ------------------------------------------------------------------------------------ the library


def test_a_bank_of_two_papers_is_refused_naming_them_and_the_sheets_paper(tmp_path: Path) -> None:
    bank = two_years(tmp_path / "bank")
    with pytest.raises(SeveralPapersError) as caught:
        examqa.grade_sheet(EXAM, bank, perfect(full_paper(2024)))
    message = str(caught.value)
    assert "the bank holds 2 papers (2023: 120 items, 2024: 120 items)" in message
    assert "보험업법 has 80 items; one loss-adjuster paper has 40" in message
    assert "the answers are all paper 2024's (120 items)" in message and "--paper 2024" in message
    report = examqa.grade_sheet(EXAM, bank, perfect(full_paper(2024)), paper="2024")
    assert report.passed and report.complete
    assert examqa.grade_sheet(EXAM, bank, perfect(full_paper(2024)), paper=2024) == report
    with pytest.raises(InputError, match=r"answers name items of other papers than 2023 \(2024 120\)"):
        examqa.grade_sheet(EXAM, bank, perfect(full_paper(2024)), paper="2023")
    with pytest.raises(InputError, match=r"the bank holds no paper '2019'.*it holds: 2023: 120 items"):
        examqa.grade_sheet(EXAM, bank, {}, paper="2019")


def test_a_mock_exam_drawn_from_several_years_is_one_paper(tmp_path: Path) -> None:
    # 20 items of each subject from 2023 and 20 from 2024: 40 per subject, as one paper holds
    rows = [r for r in full_paper(2023) if r["number"] <= 20] + [r for r in full_paper(2024) if r["number"] > 20]
    bank = write_native_bank(tmp_path / "mock.jsonl", rows)
    report = examqa.grade_sheet(EXAM, bank, perfect(rows))
    assert report.passed and report.complete
    assert [p.label for p in papers(load_bank(bank))] == ["2023", "2024"]


def test_more_items_than_a_paper_with_no_years_is_refused(tmp_path: Path) -> None:
    rows = full_paper(2023) + full_paper(2024)
    for r in rows:
        del r["year"]
    bank = write_native_bank(tmp_path / "pool.jsonl", rows)
    with pytest.raises(InputError, match=r"more than one paper's items .*rows do not say which paper"):
        examqa.grade_sheet(EXAM, bank, {})


def test_cohort_and_paper_selection(tmp_path: Path) -> None:
    bank = two_years(tmp_path / "bank")
    sheet = perfect(full_paper(2023))
    wide = tmp_path / "class.csv"
    wide.write_text("student," + ",".join(sheet) + "\n가," + ",".join(map(str, sheet.values())) + "\n",
                    encoding="utf-8")
    with pytest.raises(SeveralPapersError, match="the answers are all paper 2023's"):
        examqa.grade_cohort(EXAM, bank, wide)
    assert examqa.grade_cohort(EXAM, bank, wide, paper="2023").summary.passed == 1
    with pytest.raises(SeveralPapersError, match="the answers are all paper 2023's"):
        examqa.grade_cohort(EXAM, bank, [("가", sheet)])


def test_a_model_run_is_refused_before_anything_is_written_and_runs_one_paper(tmp_path: Path) -> None:
    bank = two_years(tmp_path / "bank")
    script = {r["id"]: f"검토</think>정답: {r['answer']}" for r in full_paper(2024)}
    backend = examqa.backend("scripted", script=script, default="검토</think>정답: 1")
    out = tmp_path / "run"
    with pytest.raises(SeveralPapersError):
        examqa.evaluate(EXAM, bank, backend, out=out, temperature=0)
    assert not out.exists()
    report = examqa.evaluate(EXAM, bank, backend, out=out, temperature=0, paper="2024")
    assert report.passed and len(report.items) == 120
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["runtime"]["paper"] == "2024"
    assert examqa.report_run(out).model_dump(exclude={"run"}) == report.model_dump(exclude={"run"})


def test_a_paper_in_a_shared_file_is_fingerprinted_by_its_own_rows(tmp_path: Path) -> None:
    both = tmp_path / "both.jsonl"
    write_native_bank(both, full_paper(2023) + full_paper(2024))
    blueprint = examqa.load_exam(EXAM).blueprint
    first = one_paper(load_bank(both), blueprint, "2024").sha256()
    rows = full_paper(2023)
    rows[0]["stem"] += " (고침)"  # another paper's row changes
    write_native_bank(both, rows + full_paper(2024))
    assert one_paper(load_bank(both), blueprint, "2024").sha256() == first
    rows24 = full_paper(2024)
    rows24[0]["stem"] += " (고침)"
    write_native_bank(both, full_paper(2023) + rows24)
    assert one_paper(load_bank(both), blueprint, "2024").sha256() != first


# ------------------------------------------------------------------------------------ the shared papers


@needs_shared
def test_a_perfect_2020_sheet_against_the_whole_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's done-when: never FAIL with exit 0; exit 2 naming the papers, or PASS with --paper."""
    year2020 = load_bank(LOSS_ADJUSTER_DATA / "2020")
    sheet = tmp_path / "perfect-2020.csv"
    sheet.write_text("id,answer\n" + "".join(f"{q.id},{min(q.accepted)}\n" for q in year2020.questions),
                     encoding="utf-8")
    args = ["grade", EXAM, "--bank", str(LOSS_ADJUSTER_DATA), "--answers", str(sheet)]
    assert run_argv(args) == 2
    err = capsys.readouterr().err
    assert "the bank holds 5 papers (2016 (39회): 120 items, 2017 (40회): 120 items, 2018 (41회): 120 items, " \
           "2019 (42회): 120 items, 2020 (43회): 120 items)" in err
    assert "the answers are all paper 2020 (43회)'s (120 items)" in err and "--paper 2020" in err
    assert run_argv([*args, "--paper", "2020", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["passed"] is True and out["complete"] is True
    assert run_argv([*args, "--paper", "43회", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["passed"] is True
    assert run_argv(["validate", str(LOSS_ADJUSTER_DATA), "--exam", EXAM]) == 2
    printed = capsys.readouterr()
    assert "error: the bank holds 5 papers" in printed.out and printed.err == ""  # one stream
    assert run_argv(["validate", str(LOSS_ADJUSTER_DATA), "--exam", EXAM, "--paper", "2020"]) == 0


@needs_shared
def test_2016_item_that_lost_a_choice_takes_a_mark_on_it(tmp_path: Path) -> None:
    """2016-39-2-40 was read with 3 choices; 손해사정이론 items have 4: a mark 4 is a (wrong) answer."""
    bank = load_bank(LOSS_ADJUSTER_DATA / "2016")
    lost = next(q for q in bank.questions if q.id == "2016-39-2-40")
    assert len(lost.choices) == 3
    answers = {q.id: min(q.accepted) for q in bank.questions}
    answers[lost.id] = 4
    report = examqa.grade_sheet(EXAM, bank, answers)
    item = next(i for i in report.items if i.id == lost.id)
    assert item.marks == (4,) and item.status == "wrong" and report.passed
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("id,answer\n" + "".join(f"{k},{v}\n" for k, v in answers.items()), encoding="utf-8")
    assert examqa.grade_sheet(EXAM, bank, sheet).model_dump() == report.model_dump()
    cohort = examqa.grade_cohort(EXAM, bank, [("가", answers), ("나", {lost.id: "④"})])
    assert cohort.summary.students == 2 and cohort.report("가").model_dump(exclude={"notes"}) == report.model_dump(
        exclude={"notes"})
    with pytest.raises(InputError, match="answer 5 is out of range for question '2016-39-2-40': valid choices are 1–4"):
        examqa.grade_sheet(EXAM, bank, {lost.id: 5})


def test_a_lost_choice_through_every_door(tmp_path: Path) -> None:
    rows = loss_adjuster_rows(per_subject=2)
    rows[0]["choices"] = rows[0]["choices"][:3]  # read with 3 of its 4 choices
    rows[0]["answer"] = 1
    path = write_native_bank(tmp_path / "bank.jsonl", rows)
    qid = rows[0]["id"]
    for answers in ({qid: 4}, {qid: "④"}, examqa.AnswerSheet(marks={qid: 4})):
        item = next(i for i in examqa.grade_sheet(EXAM, path, answers).items if i.id == qid)
        assert item.marks == (4,) and item.status == "wrong"
    sheet = tmp_path / "s.csv"
    sheet.write_text(f"id,answer\n{qid},4\n", encoding="utf-8")
    assert next(i for i in examqa.grade_sheet(EXAM, path, sheet).items if i.id == qid).marks == (4,)
    wide = tmp_path / "class.csv"
    wide.write_text(f"student,{qid}\n가,4\n나,1\n", encoding="utf-8")
    cohort = examqa.grade_cohort(EXAM, path, wide)
    first, second = cohort.results()
    assert first.points != second.points
    assert next(i for i in cohort.report("가").items if i.id == qid).status == "wrong"
    with pytest.raises(InputError, match="valid choices are 1–4"):
        examqa.grade_cohort(EXAM, path, [("가", {qid: 5})])


def test_a_suite_refuses_several_papers_before_its_directory_exists(tmp_path: Path) -> None:
    bank = two_years(tmp_path / "bank")
    backend = examqa.backend("scripted", default="검토</think>정답: 1")
    with pytest.raises(SeveralPapersError, match="the bank holds 2 papers"):
        examqa.evaluate_suite("loss-adjuster", bank, backend, out=tmp_path / "suite", temperature=0)
    assert not (tmp_path / "suite").exists()
    suite = examqa.evaluate_suite("loss-adjuster", bank, backend, out=tmp_path / "suite", temperature=0,
                                  paper="2023")
    assert [len(r.items) for r in suite.results] == [120]
