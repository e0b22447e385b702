"""``examqa prompts``: the CLI prints exactly what ``examqa.prompts.templates.render_item`` returns."""

from __future__ import annotations

import json
from pathlib import Path

from examqa.banks import load_bank
from examqa.exams.models import Question
from examqa.prompts.protocols import render_item
from helpers import REPO, run_cli

BANK = REPO / "exams" / "samples" / "papers" / "loss-adjuster.jsonl"


def _question(item: str) -> Question:
    return next(q for q in load_bank(BANK).questions if q.id == item)


def test_prints_the_library_messages_for_each_protocol_and_mode() -> None:
    for extra, protocol, thinking in (([], "examqa", True), (["--no-thinking"], "examqa", False),
                                      (["--protocol", "kmmlu-pro"], "kmmlu-pro", True)):
        res = run_cli("prompts", "loss-adjuster", "--bank", str(BANK), "--item", "LOS-02", "--json", *extra)
        assert res.returncode == 0, res.stderr
        expected = render_item("loss-adjuster", _question("LOS-02"), protocol=protocol, thinking=thinking)
        assert json.loads(res.stdout) == [dict(m) for m in expected]


def test_plain_output_shows_each_turn() -> None:
    res = run_cli("prompts", "loss-adjuster", "--bank", str(BANK), "--item", "LOS-02")
    assert res.returncode == 0, res.stderr
    system, user = render_item("loss-adjuster", _question("LOS-02"))
    assert res.stdout == f"[system]\n{system['content']}\n\n[user]\n{user['content']}\n"
    assert "해당하지 않는 것을 묻습니다" in res.stdout  # the sample item's negative ask


def test_unknown_item_and_protocol_are_one_line_input_errors(tmp_path: Path) -> None:
    res = run_cli("prompts", "loss-adjuster", "--bank", str(BANK), "--item", "LOS-99")
    assert res.returncode == 2 and "no item 'LOS-99'" in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    res = run_cli("prompts", "loss-adjuster", "--bank", str(BANK), "--item", "LOS-02", "--protocol", "paper")
    assert res.returncode == 2 and "known protocols: examqa, kmmlu-pro" in res.stderr
