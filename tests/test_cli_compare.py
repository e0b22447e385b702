"""``examqa compare``: the command line over :func:`examqa.comparison.runs.compare`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import examqa.cli as cli
from examqa.comparison.models import Comparison
from test_compare import ROWS, _baseline_right, _other_right, make_run


@pytest.fixture
def runs(tmp_path: Path) -> tuple[Path, Path]:
    return (make_run(tmp_path / "plain", _baseline_right, thinking=False),
            make_run(tmp_path / "think", _other_right, thinking=True))


def test_markdown_to_stdout_and_files(runs: tuple[Path, Path], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    md, page = tmp_path / "c.md", tmp_path / "c.html"
    code = cli.run_argv(["compare", str(runs[0]), str(runs[1]), "--md", str(md), "--html", str(page),
                         "--label", "off", "--label", "on"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.startswith("# Comparison") and "## on vs off" in out and "FAIL → PASS" in out
    assert md.read_text(encoding="utf-8") == out
    assert "<svg" in page.read_text(encoding="utf-8")
    assert f"wrote {md}" in err and f"wrote {page}" in err


def test_json(runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run_argv(["compare", *map(str, runs), "--json"]) == 0
    result = Comparison.model_validate_json(capsys.readouterr().out)
    assert result.pairs[0].mcnemar.p_value == pytest.approx(0.125)
    assert json.loads(result.model_dump_json())["on"] == "intersection"


def test_user_mistakes_exit_2_with_one_line(runs: tuple[Path, Path], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run_argv(["compare", str(runs[0])]) == 2
    assert "at least two runs" in capsys.readouterr().err
    assert cli.run_argv(["compare", str(runs[0]), str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "not an examqa run directory" in err and len(err.strip().splitlines()) == 1
    assert cli.run_argv(["compare", *map(str, runs), "--html", str(tmp_path / "no" / "c.html")]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert cli.run_argv(["compare", *map(str, runs), "--on", "both"]) == 2
    capsys.readouterr()
    same = tmp_path / "c.txt"
    assert cli.run_argv(["compare", *map(str, runs), "--md", str(same), "--html", str(same)]) == 2
    err = capsys.readouterr().err
    assert f"--md and --html name the same file ({same})" in err and not same.exists()
    fewer = make_run(tmp_path / "fewer", _other_right, rows=[r for r in ROWS if r["id"] != "S0-1"])
    assert cli.run_argv(["compare", str(runs[0]), str(fewer), "--on", "strict"]) == 2
    assert "differ on 1 item(s)" in capsys.readouterr().err
    assert cli.run_argv(["compare", str(runs[0]), str(fewer)]) == 0
