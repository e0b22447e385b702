"""The suite: several exams × both modes in one call, from one bank, resumable run by run."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import examqa
from examqa.backends.base import GenRequest, Sampling
from examqa.errors import RunConfigMismatch
from examqa.suite.run import evaluate_suite
from helpers import REPO, run_cli

SAMPLES = REPO / "exams" / "samples"
SIX = ("appraiser", "customs-broker", "dentist", "herbal-pharmacist", "loss-adjuster", "physician")


def bank_folder(root: Path, exams: tuple[str, ...] = SIX) -> Path:
    """The bundled sample papers in the one-folder-per-exam layout."""
    for exam in exams:
        (root / exam).mkdir(parents=True)
        shutil.copy(SAMPLES / "papers" / f"{exam}.jsonl", root / exam / "paper.jsonl")
    return root


def keys() -> dict[str, set[int]]:
    """Question id → accepted choices, over every bundled sample paper."""
    out: dict[str, set[int]] = {}
    for paper in sorted((SAMPLES / "papers").glob("*.jsonl")):
        for line in paper.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                answer = row["answer"]
                n = len(row["choices"])
                out[row["id"]] = (set(range(1, n + 1)) if answer == "all" else
                                  set(answer) if isinstance(answer, list) else {answer})
    return out


KEYS = keys()


def wise_when_thinking(request: GenRequest, sampling: Sampling) -> str:
    """Right on every item when reasoning; without reasoning, wrong on every third item."""
    qid = request.key.rsplit("#", 1)[0]
    right = min(KEYS[qid])
    wrong = right % 2 + 1 if right != 1 else 2
    index = sorted(KEYS).index(qid)
    if sampling.thinking:
        return f"보기를 검토했다. {'길게 ' * 20}</think>\n\n정답: {right}"
    return f"정답: {wrong if index % 3 == 0 else right}"


def test_six_exams_in_both_modes_from_one_folder(tmp_path: Path) -> None:
    bank = bank_folder(tmp_path / "bank")
    backend = examqa.backend("scripted", script=wise_when_thinking)
    report = evaluate_suite("all", bank, backend, modes=("reasoning", "non-reasoning"), out=tmp_path / "out")
    assert [(r.exam, r.mode) for r in report.rows] == [(e, m) for e in SIX for m in ("reasoning", "non-reasoning")]
    assert report.passes["reasoning"] == "passes 6 of 6"
    non = [r for r in report.rows if r.mode == "non-reasoning"]
    assert report.passes["non-reasoning"] == f"passes {sum(r.passed for r in non)} of 6"
    assert set(report.mode_comparisons) == set(SIX)
    for exam, pair in report.mode_comparisons.items():
        thinking = next(r for r in report.results if r.exam == exam and r.mode == "reasoning")
        plain = next(r for r in report.results if r.exam == exam and r.mode == "non-reasoning")
        right = {i.id for i in thinking.items if i.status == "correct"}
        plain_right = {i.id for i in plain.items if i.status == "correct"}
        assert {i.id for i in pair.right_only_other} == right - plain_right
        assert pair.total.delta_percent == pytest.approx(thinking.total.percent - plain.total.percent, abs=1e-3)
        assert pair.reasoning_price is not None
        if right - plain_right:
            assert pair.reasoning_price.tokens_per_extra_correct is not None
            assert pair.reasoning_price.tokens_per_extra_correct > 0
    for row in report.rows:
        assert (tmp_path / "out" / row.exam / row.mode / "report.json").is_file()
    for name in ("suite.json", "suite-report.json", "suite-report.md", "suite-report.html"):
        assert (tmp_path / "out" / name).is_file()
    html = (tmp_path / "out" / "suite-report.html").read_text(encoding="utf-8")
    assert "<svg" in html and 'href="customs-broker/reasoning/report.html"' in html


def test_the_bundled_papers_folder_routes_by_file_name(tmp_path: Path) -> None:
    backend = examqa.backend("scripted", script=wise_when_thinking)
    report = evaluate_suite("all", SAMPLES / "papers", backend, out=tmp_path / "out")
    assert set(report.exams) == set(examqa.exams.registry()) and len(report.exams) == 14
    # all right: every exam passes under the law but the bar's multiple-choice part, which decides nothing alone
    assert report.passes == {"reasoning": "passes 13 of 14 (undecided: lawyer — part of a larger exam)"}
    assert not report.unrouted and not report.mode_comparisons


def test_cli_json_is_results_with_full_reports_and_modes(tmp_path: Path) -> None:
    bank = bank_folder(tmp_path / "bank", ("customs-broker", "dentist"))
    script = tmp_path / "script.json"
    outputs = {qid: f"검토</think>\n\n정답: {min(k)}" for qid, k in KEYS.items()}
    script.write_text(json.dumps({"outputs": outputs}, ensure_ascii=False), encoding="utf-8")
    res = run_cli("grade", "customs-broker,dentist", "--bank", str(bank), "--backend", "scripted", "--model",
                  str(script), "--modes", "reasoning,non-reasoning", "--out", str(tmp_path / "out"), "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    results = data["results"]
    assert [(r["exam"], r["mode"]) for r in results] == [("customs-broker", "reasoning"),
                                                         ("customs-broker", "non-reasoning"),
                                                         ("dentist", "reasoning"), ("dentist", "non-reasoning")]
    single = json.loads((tmp_path / "out" / "dentist" / "reasoning" / "report.json").read_text(encoding="utf-8"))
    mine = next(r for r in results if r["exam"] == "dentist" and r["mode"] == "reasoning")
    assert {k: v for k, v in mine.items() if k not in ("mode", "run")} == \
        {k: v for k, v in single.items() if k != "run"}
    table = run_cli("grade", "customs-broker,dentist", "--bank", str(bank), "--backend", "scripted", "--model",
                    str(script), "--modes", "reasoning,non-reasoning", "--out", str(tmp_path / "out"), "--resume",
                    env={"COLUMNS": "240"})
    assert table.returncode == 0, table.stderr
    assert "reasoning: passes 2 of 2" in table.stdout and "non-reasoning: passes 2 of 2" in table.stdout


def kmmlu_row(licence: str, subject: str, n: int, solution: int = 1) -> dict[str, Any]:
    return {"question": f"{licence} {subject} 시험용 문항 {n}", "options": ["가", "나", "다", "라", "마"],
            "solution": solution, "subject": subject, "license_name": licence}


def test_a_kmmlu_pro_file_is_routed_and_other_licences_are_named(tmp_path: Path) -> None:
    rows = [kmmlu_row("관세사", "관세법개론", n) for n in range(3)]
    rows += [kmmlu_row("감정평가사", "회계학", n) for n in range(2)]
    rows += [kmmlu_row("간호사", "기본간호학", n) for n in range(4)]
    bank = tmp_path / "kmmlu-pro.jsonl"
    bank.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    backend = examqa.backend("scripted", default="</think>정답: A")
    report = evaluate_suite("all", bank, backend, protocol="kmmlu-pro", out=tmp_path / "out")
    assert report.exams == ("appraiser", "customs-broker")
    assert report.unrouted == {"간호사": 4}
    by_exam = {r.exam: r for r in report.results}
    assert len(by_exam["customs-broker"].items) == 3 and len(by_exam["appraiser"].items) == 2
    assert all(i.status == "correct" for r in report.results for i in r.items)  # A = choice 1 = the key
    assert "간호사" in (tmp_path / "out" / "suite-report.md").read_text(encoding="utf-8")
    # the paper's reading was recorded beside examqa's, and scored
    assert by_exam["customs-broker"].run is not None
    assert by_exam["customs-broker"].run.readings["kmmlu-pro"].correct == 3
    page = (tmp_path / "out" / "customs-broker" / "reasoning" / "report.md").read_text(encoding="utf-8")
    assert "| kmmlu-pro reading | 3/3 items right (100.0%)" in page
    # one exam of the same file, graded alone, takes that exam's rows and says what it left out
    with pytest.warns(examqa.ExamqaWarning) as caught:
        one = examqa.evaluate("customs-broker", bank, backend, protocol="kmmlu-pro", out=tmp_path / "one")
    said = " ".join(str(w.message) for w in caught)
    assert "간호사 4" in said and "appraiser 2" in said
    assert len(one.items) == 3
    assert any("간호사 4" in n for n in one.notes) and any("appraiser 2" in n for n in one.notes)


def test_kill_9_mid_suite_then_resume_finishes_every_run_once(tmp_path: Path) -> None:
    bank = bank_folder(tmp_path / "bank", ("customs-broker", "loss-adjuster"))
    script = tmp_path / "script.json"
    outputs = {qid: f"검토</think>\n\n정답: {min(k)}" for qid, k in KEYS.items()}
    script.write_text(json.dumps({"outputs": outputs, "delay_s": 0.05}, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "examqa.cli", "grade", "customs-broker,loss-adjuster", "--bank", str(bank),
           "--backend", "scripted", "--model", str(script), "--modes", "reasoning,non-reasoning", "--out", str(out)]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    first = out / "customs-broker" / "non-reasoning" / "samples.jsonl"
    while time.monotonic() < deadline and not (first.exists() and first.read_text(encoding="utf-8").count("\n") >= 3):
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (out / "loss-adjuster" / "non-reasoning").exists(), "the kill must land mid-suite"
    res = subprocess.run([*cmd, "--resume", "--json"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    for exam, n in (("customs-broker", 12), ("loss-adjuster", 10)):
        for mode in ("reasoning", "non-reasoning"):
            lines = (out / exam / mode / "samples.jsonl").read_text(encoding="utf-8").splitlines()
            counts = Counter(json.loads(x)["id"] for x in lines if x.strip())
            assert len(counts) == n and max(counts.values()) == 1, (exam, mode)
    assert all(r["run"]["missing"] == 0 for r in json.loads(res.stdout)["results"])


def test_suite_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    bank = bank_folder(tmp_path / "bank", ("customs-broker",))
    backend = examqa.backend("scripted", default="</think>정답: 1")
    with pytest.raises(examqa.UnknownExamError):
        evaluate_suite("customs-broker,nurse", bank, backend, out=tmp_path / "a")
    with pytest.raises(examqa.InputError, match="no rows for dentist"):
        evaluate_suite("customs-broker,dentist", bank, backend, out=tmp_path / "b")
    with pytest.raises(examqa.InputError, match="modes"):
        evaluate_suite("customs-broker", bank, backend, modes=("thinking",), out=tmp_path / "c")
    evaluate_suite("customs-broker", bank, backend, out=tmp_path / "d")
    with pytest.raises(examqa.InputError, match="already holds runs"):
        evaluate_suite("customs-broker", bank, backend, out=tmp_path / "d")
    res = run_cli("grade", "all", "--bank", str(bank), "--answers", str(tmp_path / "x.csv"))
    assert res.returncode == 2 and "one exam" in res.stderr
    with pytest.raises(examqa.InputError, match="unknown protocol"):
        evaluate_suite("customs-broker", bank, backend, protocol="paper", out=tmp_path / "e")
    dead = examqa.backend("openai", model="m", base_url="http://127.0.0.1:9/v1")
    with pytest.raises(examqa.ExamqaError, match="cannot reach"):
        evaluate_suite("customs-broker", bank, dead, out=tmp_path / "f")
    assert not (tmp_path / "e").exists() and not (tmp_path / "f").exists()  # nothing half-written


def test_the_async_suite_runs_every_exam_and_mode_at_once_with_the_same_result(tmp_path: Path) -> None:
    import asyncio

    from examqa.suite.run import aevaluate_suite

    bank = bank_folder(tmp_path / "bank", ("customs-broker", "dentist"))
    backend = examqa.backend("scripted", script=wise_when_thinking, delay_s=0.01)
    together = asyncio.run(aevaluate_suite("customs-broker,dentist", bank, backend,
                                           modes=("reasoning", "non-reasoning"), out=tmp_path / "async"))
    alone = evaluate_suite("customs-broker,dentist", bank, backend, modes=("reasoning", "non-reasoning"),
                           out=tmp_path / "sync")
    assert [r.model_dump(exclude={"out"}) for r in together.rows] == [r.model_dump(exclude={"out"}) for r in alone.rows]
    assert together.passes == alone.passes


# ------------------------------------------------------------------------------ the fourteen licences

KMMLU_PRO_SUBJECTS = {  # the dataset's subject strings by licence (research 13, two public loaders agree)
    "법무사": ["헌법", "상법", "민법", "가족관계의등록등에관한법률", "민사집행법", "상업등기법및비송사건절차법",
             "부동산등기법", "공탁법"],
    "변호사": ["공법", "형사법", "민사법"],
    "공인노무사": ["노동법1", "노동법2", "민법", "사회보험법", "경영학개론", "경제학원론"],
    "변리사": ["산업재산권법", "민법개론", "자연과학개론"],
    "공인회계사": ["경영학", "경제원론", "상법", "세법개론", "회계학"],
    "세무사": ["재정학", "세법학개론", "회계학개론", "상법", "민법", "행정소송법"],
    "관세사": ["관세법개론", "무역영어", "내국소비세법", "회계학"],
    "손해사정사": ["보험업법", "보험계약법", "손해사정이론"],
    "감정평가사": ["민법", "경제학원론", "부동산학원론", "감정평가관계법규", "회계학"],
    "한의사": ["내과학1", "내과학2", "침구학", "외과학", "신경정신과학", "안이비인후과학", "부인과학", "소아과학",
             "예방의학", "한방생리학", "본초학", "보건의약관계법규"],
    "치과의사": ["치과보존학", "치과보철학", "구강악안면외과학", "소아치과학/치과교정학",
              "영상치의학/구강내과학/구강병리학", "치주과학/구강보건학", "치과재료학/구강생물학", "보건의약관계법규"],
    "약사": ["생명약학", "산업약학", "임상실무약학", "보건의약관계법규"],
    "한약사": ["한약학기초", "한약학 응용", "보건의약관계법규"],
    "의사": ["의학총론", "의학각론", "보건의약관계법규"],
}


def kmmlu_pro_file(path: Path, per_subject: int = 3) -> Path:
    rows = []
    for licence, subjects in KMMLU_PRO_SUBJECTS.items():
        for subject in subjects:
            for n in range(per_subject):
                rows.append({"id": f"{licence}-{subject}-{n}", "question": f"{licence} {subject} 시험용 문항 {n}",
                             "options": ["가", "나", "다", "라", "마"], "solution": "1", "subject": subject,
                             "license_name": licence})
    rows.append({"id": "nurse-1", "question": "간호사 문항", "options": ["가", "나", "다", "라"], "solution": "2",
                 "subject": "기본간호학", "license_name": "간호사"})
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def two_thirds_right(request: GenRequest) -> str:
    """Right on the first two of every subject's three items (about 67 %): 40/60 passes, a high cut fails."""
    n = int(request.key.rsplit("#", 1)[0].rsplit("-", 1)[1])
    return "</think>정답: A" if n < 2 else "</think>정답: B"


def test_a_kmmlu_pro_file_of_all_fourteen_licences_reads_like_the_papers_table(tmp_path: Path) -> None:
    bank = kmmlu_pro_file(tmp_path / "kmmlu-pro.jsonl")
    routed = examqa.route_bank(bank)
    assert len(routed.banks) == 14 and routed.unrouted == {"간호사": 1} and not routed.unknown_subjects
    backend = examqa.backend("scripted", script=two_thirds_right)
    report = evaluate_suite("all", bank, backend, protocol="kmmlu-pro", out=tmp_path / "out", year=2024)
    assert len(report.rows) == 14 and report.unrouted == {"간호사": 1}
    by_exam = {r.exam: r for r in report.rows}
    # under the law: the bar's multiple-choice part decides nothing; the 2024 cuts (76.66, 384.5 of 550, 60.0)
    # fail a 67 % paper that the paper's 40/60 passes; 법무사's paper rule floors every law (67 % ≥ 40 %)
    assert by_exam["lawyer"].decision == "part_only" and by_exam["lawyer"].paper_passed is True  # 66.7 ≥ 54.22
    assert by_exam["patent-attorney"].decision == "fail" and by_exam["patent-attorney"].paper_passed is True
    assert by_exam["cpa"].decision == "fail" and by_exam["cpa"].paper_passed is True
    assert by_exam["judicial-scrivener"].decision == "pass" and by_exam["judicial-scrivener"].paper_passed is True
    assert by_exam["customs-broker"].decision == "pass" and by_exam["customs-broker"].paper_passed is True
    headline = report.headlines["reasoning"]
    assert (headline.law, headline.paper, headline.exams) == (11, 14, 14)
    assert set(headline.disagree) == {"lawyer", "patent-attorney", "cpa"}
    assert report.passes["reasoning"] == (
        "passes 11 of 14 (law) / 14 of 14 (paper's rule); they differ on cpa (law FAIL, paper PASS), "
        "lawyer (law undecided (part of a larger exam), paper PASS), patent-attorney (law FAIL, paper PASS)")
    md = (tmp_path / "out" / "suite-report.md").read_text(encoding="utf-8")
    html = (tmp_path / "out" / "suite-report.html").read_text(encoding="utf-8")
    assert "passes 11 of 14 (law) / 14 of 14 (paper's rule)" in md and "paper PASS" in md
    assert "passes 11 of 14 (law) / 14 of 14 (paper&#x27;s rule)" in html
    # every report carries the paper's verdict beside the law's; electives default to the first listed
    tax = next(r for r in report.results if r.exam == "tax-accountant")
    assert tax.paper is not None and tax.electives == ("상법(회사편)",)
    assert any("graded on the elective 상법(회사편)" in n for n in tax.notes)
    dentist = next(r for r in report.results if r.exam == "dentist")
    assert {g.name for g in dentist.groups} == {"소아치과학·치과교정학", "영상치의학·구강내과학·구강병리학",
                                                 "치주과학·구강보건학", "치과재료학·구강생물학"}


def test_without_a_year_rank_exams_are_undecided_and_the_headline_names_them(tmp_path: Path) -> None:
    bank = kmmlu_pro_file(tmp_path / "kmmlu-pro.jsonl", per_subject=1)
    backend = examqa.backend("scripted", default="</think>정답: 1")
    report = evaluate_suite("all", bank, backend, out=tmp_path / "out", elective="민법,경제학원론")
    undecided = report.headlines["reasoning"].undecided
    assert undecided == {"cpa": "cut_unpublished", "judicial-scrivener": "cut_unpublished",
                         "lawyer": "part_only", "patent-attorney": "cut_unpublished"}
    assert report.passes["reasoning"].startswith("passes 10 of 14 (undecided: ")
    electives = {r.exam: r.electives for r in report.results if r.electives}
    assert electives == {"tax-accountant": ("민법(총칙)",), "labor-attorney": ("경제학원론",)}
    with pytest.raises(examqa.InputError, match="'회계원리' is an elective of none"):
        evaluate_suite("all", bank, backend, out=tmp_path / "again", elective="회계원리")


def test_one_failing_run_cancels_the_others_and_nothing_is_left_generating(tmp_path: Path) -> None:
    """The dentist runs fail (the script has no output for them); the customs-broker runs, slow, are
    cancelled with them — each writes its partial report — and the error the caller sees is the run's own,
    once no task of the suite is left running."""
    import asyncio

    from examqa.suite.run import aevaluate_suite

    bank = bank_folder(tmp_path / "bank", ("customs-broker", "dentist"))
    customs = {qid: "검토</think>\n\n정답: 1" for qid in KEYS if qid.startswith("CUS")}
    assert customs
    backend = examqa.backend("scripted", script=customs, delay_s=0.2)
    out = tmp_path / "out"

    async def main() -> set[asyncio.Task[Any]]:
        with pytest.raises(examqa.InputError, match="no output for 'DEN"):
            await aevaluate_suite("customs-broker,dentist", bank, backend, modes=("reasoning", "non-reasoning"),
                                  out=out)
        return {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}

    left = asyncio.run(main())
    assert left == set()  # nothing generating, detached
    for mode in ("reasoning", "non-reasoning"):
        partial = json.loads((out / "customs-broker" / mode / "report.json").read_text(encoding="utf-8"))
        assert partial["run"]["missing"] > 0  # cancelled part-way, and said so


def test_every_run_is_checked_before_any_generates(tmp_path: Path) -> None:
    """A resume whose one sub-run no longer matches is refused before any sub-run generates a sample."""
    import asyncio

    from examqa.suite.run import aevaluate_suite

    bank = bank_folder(tmp_path / "bank", ("customs-broker", "dentist"))
    out = tmp_path / "out"
    evaluate_suite("customs-broker,dentist", bank, examqa.backend("scripted", script=wise_when_thinking),
                   modes=("reasoning", "non-reasoning"), out=out)
    samples = out / "customs-broker" / "reasoning" / "samples.jsonl"
    samples.write_text("".join(samples.read_text(encoding="utf-8").splitlines(keepends=True)[:2]), encoding="utf-8")
    manifest = out / "dentist" / "non-reasoning" / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["config"]["sampling"]["temperature"] = 0.123  # as if that run had been made another way
    manifest.write_text(json.dumps(data), encoding="utf-8")
    calls: list[str] = []

    def counting(request: GenRequest, sampling: Sampling) -> str:
        calls.append(request.key)
        return wise_when_thinking(request, sampling)

    for suite in (lambda b: asyncio.run(aevaluate_suite("customs-broker,dentist", bank, b, resume=True, out=out,
                                                        modes=("reasoning", "non-reasoning"))),
                  lambda b: evaluate_suite("customs-broker,dentist", bank, b, resume=True, out=out,
                                           modes=("reasoning", "non-reasoning"))):
        with pytest.raises(RunConfigMismatch):
            suite(examqa.backend("scripted", script=counting, delay_s=0.01))
        assert calls == []
        assert len(samples.read_text(encoding="utf-8").splitlines()) == 2
