"""The tree shows the architecture, and the import contracts keep it so (docs/architecture.md).

``make lint`` runs ``lint-imports`` on the real tree; these tests check the check: each contract, given a
copy of the tree with one offending import added, fails and names that import. They also hold the shape
of the tree: packages at the top, a docstring in each package saying what it owns and what it may import.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REPO

SRC = REPO / "src" / "examqa"
LINT = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("exams", "banks", "sheets", "reading", "prompts", "backends", "samples", "reports", "runs", "cohort",
            "comparison", "suite", "cli", "testing")
TOP_MODULES = {"__init__.py", "errors.py", "_version.py", "_lazy.py", "_entrypoints.py"}

pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter is not installed (pip install -e '.[dev]')")


def lint(src_parent: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` with the project's contracts, on the ``examqa`` under ``src_parent``."""
    env = {**os.environ, "PYTHONPATH": str(src_parent)}
    return subprocess.run([str(LINT), "--no-cache", "--no-logo", str(REPO / "pyproject.toml")],
                          capture_output=True, text=True, env=env, cwd=src_parent, timeout=300)


def test_the_tree_keeps_every_contract() -> None:
    done = lint(REPO / "src")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "6 kept, 0 broken" in done.stdout


@pytest.mark.parametrize(("module", "line", "contract", "named"), [
    # a lower stage reaching up: the verdict's arithmetic importing the model run
    ("exams/scoring.py", "import examqa.runs.engine", "The stages are layered",
     "examqa.exams.scoring -> examqa.runs.engine"),
    # two modules of one package importing each other
    ("exams/models.py", "import examqa.exams.scoring", "No import cycles",
     "- .models -> .scoring"),
    # a package's private module used from another package
    ("sheets/read.py", "import examqa.banks._load", "A private module",
     "examqa.sheets.read -> examqa.banks._load"),
    # the CLI going round a package's public names
    ("cli/_runs.py", "import examqa.runs.runner", "The CLI reaches the library only through public names",
     "examqa.cli._runs -> examqa.runs.runner"),
    # a stage tied to one backend
    ("runs/engine.py", "import examqa.backends.openai", "Only examqa.backends builds a backend",
     "examqa.runs.engine -> examqa.backends.openai"),
    # the library depending on its test machinery
    ("banks/_load.py", "import examqa.testing", "The test machinery",
     "examqa.banks._load -> examqa.testing"),
])
def test_a_broken_contract_fails_and_names_the_import(tmp_path: Path, module: str, line: str, contract: str,
                                                     named: str) -> None:
    copy = tmp_path / "src" / "examqa"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # injected by the test\n", encoding="utf-8")
    done = lint(tmp_path / "src")
    assert done.returncode != 0, done.stdout
    broken = done.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken and named in broken, done.stdout


def test_the_top_holds_packages_and_a_handful_of_modules() -> None:
    modules = {p.name for p in SRC.glob("*.py")}
    assert modules == TOP_MODULES
    packages = {p.name for p in SRC.iterdir() if (p / "__init__.py").is_file()}
    assert packages == set(PACKAGES)


@pytest.mark.parametrize("package", [p for p in PACKAGES if p not in ("cli", "testing")])
def test_each_stage_says_what_it_owns_and_may_import(package: str) -> None:
    doc = ast.get_docstring(ast.parse((SRC / package / "__init__.py").read_text(encoding="utf-8"))) or ""
    assert len(doc.split()) >= 20, f"examqa.{package} has no real docstring"
    assert "may import" in doc.lower(), f"examqa.{package}'s docstring does not say what it may import"
    assert "must not" in doc.lower(), f"examqa.{package}'s docstring does not say what it must not import"


def test_every_package_is_in_the_layers() -> None:
    """A new package must be placed in the layer contract (it is exhaustive), and the doc must place it too."""
    architecture = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    for package in PACKAGES:
        assert f"`{package}/`" in architecture, f"docs/architecture.md does not describe {package}/"
