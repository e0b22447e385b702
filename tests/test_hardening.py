"""Hardening: one mark check on every path, exit codes for usage errors (2) and incomplete runs (3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import examqa
from examqa.exams.models import AnswerSheet
from examqa.testing import FakeOpenAIServer, Reply, completion, last_user
from helpers import loss_adjuster_rows, run_cli, write_native_bank

SAMPLES = Path(__file__).resolve().parents[1] / "exams" / "samples"


# ------------------------------------------------------------------------------------ marks


@pytest.mark.parametrize("mark", [0, 6, 9, -1])
def test_an_out_of_range_mark_is_refused_on_every_path(tmp_path: Path, mark: int) -> None:
    bank = examqa.load_bank(SAMPLES / "papers" / "customs-broker.jsonl")
    q = bank.questions[0]
    assert len(q.choices) == 5
    expected = f"answer {mark} is out of range for question {q.id!r}: valid choices are 1–5"
    with pytest.raises(examqa.InputError, match=expected):                        # an AnswerSheet
        examqa.grade_sheet("customs-broker", bank, AnswerSheet(marks={q.id: (mark,)}))
    with pytest.raises(examqa.InputError, match=expected):                        # a dict
        examqa.grade_sheet("customs-broker", bank, {q.id: mark})
    with pytest.raises(examqa.InputError, match=expected):                        # a double mark
        examqa.grade_sheet("customs-broker", bank, {q.id: [2, mark]})
    with pytest.raises(examqa.InputError, match=expected):                        # score() itself
        examqa.score(examqa.load_exam("customs-broker").blueprint, bank.questions, {q.id: (mark,)})
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(f"id,answer\n{q.id},{mark}\n", encoding="utf-8")
    if mark >= 0:  # "-1" in a cell is not a number at all: a different, also one-line, error
        with pytest.raises(examqa.InputError, match=f"sheet.csv:2: {expected}"):  # a CSV
            examqa.grade_sheet("customs-broker", bank, sheet)
        paper = SAMPLES / "papers" / "customs-broker.jsonl"
        res = run_cli("grade", "customs-broker", "--bank", str(paper), "--answers", str(sheet))
        assert res.returncode == 2 and expected in res.stderr and len(res.stderr.splitlines()) == 1


# "3" and 2.0 are marks now (one cell reader behind every door: tests/test_cells.py); these are not
@pytest.mark.parametrize("mark", [True, 2.5, {"a": 1}, b"3"])
def test_a_non_number_mark_is_refused(mark: object) -> None:
    bank = examqa.load_bank(SAMPLES / "papers" / "customs-broker.jsonl")
    with pytest.raises(examqa.InputError, match="not a choice number"):
        examqa.grade_sheet("customs-broker", bank, {bank.questions[0].id: [mark]})  # type: ignore[list-item]


# ------------------------------------------------------------------------------------ usage errors


@pytest.mark.parametrize(("args", "needle"), [
    (["grade", "loss-adjuster", "--bank", "B", "--model", "m", "--bogus"], "no such option: --bogus"),
    (["grade", "loss-adjuster", "--bank", "B", "--model", "m", "--concurency", "4"],
     "did you mean --concurrency?"),
    (["grade", "loss-adjuster"], "required: --bank"),
    (["grade"], "required: EXAMS, --bank"),
    (["grade", "loss-adjuster", "--bank", "B", "--model", "m", "--samples", "0"],
     "--samples: Input should be greater than or equal to 1"),
    (["grade", "loss-adjuster", "--bank", "B", "--model", "m", "--samples", "many"],
     "--samples: Input should be a valid integer"),
    (["grade", "loss-adjuster", "--bank", "B", "--model", "m", "--top-p", "2"], "--top-p"),
    (["grade", "loss-adjuster", "--bank", "B", "--answers", "S", "--samples", "3"],
     "--samples is for model runs (--model)"),
    (["grade", "loss-adjuster", "--bank", "B", "--model", "m", "--resume"], "resume needs out"),
    (["grade", "loss-adjuster", "--bank", "B", "--model", "m", "--concurrency", "x"], "invalid int value"),
    (["nosuchcommand"], "invalid choice: 'nosuchcommand'"),
    (["report"], "required: RUN"),
])
def test_usage_errors_are_one_line_and_exit_2(args: list[str], needle: str) -> None:
    res = run_cli(*args)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert needle in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    assert "internal error" not in res.stderr and "--help" in res.stderr


def test_help_and_version_exit_0() -> None:
    for args in (["--help"], ["grade", "--help"], ["--version"]):
        res = run_cli(*args)
        assert res.returncode == 0, res.stderr
    assert "--max-new-tokens" in run_cli("grade", "--help").stdout  # generated from RunOptions
    assert run_cli().returncode == 2  # no command at all: the help, and a usage exit


# ------------------------------------------------------------------------------------ incomplete runs


def test_a_run_with_failed_samples_exits_3_and_resume_finishes_it(tmp_path: Path) -> None:
    rows = loss_adjuster_rows(2)
    bank = write_native_bank(tmp_path / "bank.jsonl", rows)
    broken = {rows[0]["stem"], rows[3]["stem"]}
    healthy = [True]

    def reply(call: object) -> Reply:
        if not healthy[0] and any(stem in last_user(call) for stem in broken):  # type: ignore[arg-type]
            return Reply(status=400, body={"error": {"message": "context too long"}})
        return Reply(body=completion("생각</think>정답: 1"))

    run = tmp_path / "run"
    with FakeOpenAIServer(reply) as server:
        args = ["grade", "loss-adjuster", "--bank", str(bank), "--backend", "openai", "--base-url", server.url,
                "--model", "fake-model", "--out", str(run), "--json"]
        healthy[0] = False
        first = run_cli(*args)
        assert first.returncode == 3, first.stderr
        assert "incomplete" in first.stderr and "--resume" in first.stderr
        report = json.loads(first.stdout)
        assert (report["run"]["errors"], report["run"]["missing"]) == (2, 2)
        assert report["run"]["generated"] == len(rows) - 2
        healthy[0] = True
        second = run_cli(*args, "--resume")
    assert second.returncode == 0, second.stderr
    done = json.loads(second.stdout)
    assert (done["run"]["errors"], done["run"]["missing"], done["run"]["generated"]) == (0, 0, len(rows))
