"""What grading one sheet at the shell imports: only what it uses (start-up is most of its time).

``bench/startup.py`` measures the time; this checks the cause that is easy to lose by accident, a
module-level import of something heavy on the sheet path. Each module is checked on its own, in a
fresh interpreter running ``examqa grade EXAM --bank B --answers SHEET`` (the table, and ``--json``).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from helpers import REPO, loss_adjuster_rows, write_native_bank

# Never needed to grade a sheet: model runs (torch, transformers, aiohttp, httpx), cohorts (numpy and the
# cohort's models, statistics and readers), and rich's emoji table (nothing examqa prints is an emoji code).
NEVER = ("torch", "transformers", "aiohttp", "httpx", "numpy", "examqa.cohort._api", "examqa.cohort._models",
         "examqa.cohort._result", "examqa.cohort._grade", "examqa.cohort._read", "examqa.cohort._stats",
         "examqa.reports._cohort", "examqa.reports._cohort_html", "rich._emoji_codes")

# Model-run modules a sheet does not use either: the suite, the runner, the engine, prompts (jinja2), the
# answer parser (rapidfuzz) and asyncio. (SuiteOptions lives with the other options models, route_notes
# with bank_for_exam, so that `examqa grade … --answers` reaches none of them.)
RUN_ONLY = ("examqa.suite.run", "examqa.runs.runner", "examqa.runs.engine", "examqa.prompts.templates",
            "examqa.reading.parse", "jinja2", "rapidfuzz", "asyncio")

PROBE = """
import json, runpy, sys
sys.argv = ["examqa", *json.loads(sys.argv[1])]
try:
    runpy.run_module("examqa.cli", run_name="__main__")
except SystemExit as done:
    assert not done.code, done.code
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def imported(*argv: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``examqa ARGV``."""
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argv)], capture_output=True, text=True,
                          cwd=REPO)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.fixture(scope="module")
def sheet_modules(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    folder = tmp_path_factory.mktemp("sheet")
    bank = write_native_bank(folder / "bank.jsonl", loss_adjuster_rows(4))
    rows = [json.loads(line) for line in bank.read_text(encoding="utf-8").splitlines()]
    sheet = folder / "sheet.csv"
    sheet.write_text("id,answer\n" + "".join(f"{r['id']},{r['answer']}\n" for r in rows), encoding="utf-8")
    common = ("grade", "loss-adjuster", "--bank", str(bank), "--answers", str(sheet))
    return {"table": imported(*common), "json": imported(*common, "--json")}


def test_the_probe_sees_what_grading_imports(sheet_modules: dict[str, set[str]]) -> None:
    """A check of the check: the modules a sheet does use are there, so an absence below means something."""
    for modules in sheet_modules.values():
        assert {"examqa.exams.scoring", "examqa.exams.report", "examqa.cohort._layout", "pydantic"} <= modules
    assert "rich.table" in sheet_modules["table"]


@pytest.mark.parametrize("module", NEVER)
def test_grading_a_sheet_does_not_import(sheet_modules: dict[str, set[str]], module: str) -> None:
    for output, modules in sheet_modules.items():
        assert module not in modules, f"{output}: {module}"


@pytest.mark.parametrize("module", RUN_ONLY)
def test_grading_a_sheet_does_not_import_the_model_run(sheet_modules: dict[str, set[str]], module: str) -> None:
    for output, modules in sheet_modules.items():
        assert module not in modules, f"{output}: {module}"


def test_help_imports_no_pydantic_rich_or_torch() -> None:
    modules = imported("--help")
    assert "examqa.cli" in modules
    assert not {"pydantic", "rich", "jinja2", "torch", "numpy"} & modules
