"""The documented example runs, and stays identical to the code block in docs/api.md."""

from __future__ import annotations

import re
import subprocess
import sys

from helpers import REPO


def test_api_example_matches_docs_and_runs() -> None:
    doc = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", doc, re.S)
    assert block is not None
    example = (REPO / "docs" / "api_example.py").read_text(encoding="utf-8")
    assert block.group(1) in example
    res = subprocess.run([sys.executable, str(REPO / "docs" / "api_example.py")], capture_output=True, text=True,
                         cwd=REPO, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "회계학" in res.stdout and "과락" in res.stdout
