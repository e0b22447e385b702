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
    """Question id → accepted choices, over the six sample papers."""
    out: dict[str, set[int]] = {}
    for exam in SIX:
        for line in (SAMPLES / "papers" / f"{exam}.jsonl").read_text(encoding="utf-8").splitlines():
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
    assert report.exams == SIX and report.passes == {"reasoning": "passes 6 of 6"}
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
