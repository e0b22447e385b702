"""The wheel ships exams/ and prompts/ inside the package, and the entry points of the six domains."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from helpers import REPO


def test_wheel_carries_data_and_plugins(tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
                         capture_output=True, text=True, timeout=600)
    if res.returncode != 0 and "hatchling" in res.stderr and "No matching distribution" in res.stderr:
        pytest.skip("cannot fetch the build backend (hatchling) here")
    assert res.returncode == 0, res.stderr
    wheel = next(tmp_path.glob("examqa-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for exam in ("physician", "dentist", "herbal-pharmacist", "customs-broker", "appraiser", "loss-adjuster"):
        assert f"examqa/_data/exams/{exam}.json" in names
        assert f"examqa/_data/exams/samples/{exam}.jsonl" in names
    for domain in ("medicine", "dentistry", "herbal-pharmacy", "customs", "appraisal", "loss-adjusting"):
        assert f"examqa/_data/prompts/{domain}/user.j2" in names
        assert f"examqa/_data/prompts/{domain}/system.j2" in names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[examqa.plugins]" in text and "loss-adjusting = examqa.domains.loss_adjusting:plugin" in text
