"""Every script in bench/ runs, at its smallest size: a smoke test, so a benchmark cannot rot unnoticed.

No figure is asserted (timings belong to the scripts and docs/benchmarks.md, never to tests); what is
checked is that each script runs to the end and prints its table. Scripts that start a vLLM server or
engine are in the vLLM tier (``server``); the lm-eval comparison runs only where lm-eval is installed
(it says so and skips otherwise).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REPO

BENCH = REPO / "bench"
SMALL = ["--items", "2", "--repeats", "1"]

CASES: dict[str, tuple[list[str], list[pytest.MarkDecorator]]] = {
    "async_solve.py": (["--n", "2", "--repeats", "1", "--delay", "0.01"], []),
    "async_stream.py": (["--n", "2", "--chunks", "10", "--repeats", "1"], []),
    "parse_throughput.py": (["--repeats", "1", "--passes", "1", "--max-length", "2000"], []),
    "startup.py": (["--runs", "1"], []),
    "cohort.py": (["--students", "20", "--repeats", "1"], []),
    "cohort_doors.py": (["--students", "20", "--repeats", "1"], []),
    "hf_overhead.py": ([*SMALL, "--max-new-tokens", "4", "--threads", "1"], [pytest.mark.model]),
    "engines.py": ([*SMALL, "--max-new-tokens", "4", "--only", "lm-eval", "--only", "continuous"],
                   [pytest.mark.model]),
    "engines.py --only vllm": ([*SMALL, "--max-new-tokens", "4", "--only", "vllm", "--eager"],
                               [pytest.mark.model, pytest.mark.server]),
    "server_throughput.py": ([*SMALL, "--max-tokens", "4", "--concurrency", "1", "--skip-lm-eval"],
                             [pytest.mark.model, pytest.mark.server]),
}


def test_every_bench_script_has_a_smoke_test() -> None:
    scripts = {p.name for p in BENCH.glob("*.py")} - {"common.py"}
    assert scripts == {name.split()[0] for name in CASES}


@pytest.mark.parametrize("case", [pytest.param(name, marks=marks) for name, (_, marks) in CASES.items()])
def test_bench_script_runs_at_its_smallest_size(case: str, tmp_path: Path) -> None:
    script = case.split()[0]
    args, marks = CASES[case]
    if any(m.name == "model" for m in marks):
        pytest.importorskip("torch", reason="torch is not installed (examqa[hf])")
    if any(m.name == "server" for m in marks):
        from examqa.testing import vllm_python, vllm_venv_dir

        if vllm_python() is None:
            if os.environ.get("EXAMQA_REQUIRE_VLLM") == "1":
                pytest.fail(f"EXAMQA_REQUIRE_VLLM=1 but no vLLM virtualenv at {vllm_venv_dir()}")
            pytest.skip(f"no vLLM virtualenv at {vllm_venv_dir()}")
    out = tmp_path / "figures.json"
    writes_json = '"--json"' in (BENCH / script).read_text(encoding="utf-8")  # the scripts that can, do
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "VLLM_CPU_KVCACHE_SPACE": "1"}
    res = subprocess.run([sys.executable, str(BENCH / script), *args, *(["--json", str(out)] if writes_json else [])],
                         capture_output=True, text=True, env=env, cwd=REPO, timeout=1200)
    assert res.returncode == 0, f"{case} failed:\n{res.stdout[-2000:]}\n{res.stderr[-4000:]}"
    assert "|" in res.stdout  # it printed its table(s)
    assert not writes_json or (out.is_file() and out.stat().st_size > 0)


@pytest.mark.parametrize("items", [1, 2, 48, 119, 120])
def test_the_bench_bank_is_one_valid_paper(items: int, tmp_path: Path) -> None:
    # The scripts fall back on this bank when ../shared is absent (a clean clone in CI): it must grade.
    sys.path.insert(0, str(BENCH))
    try:
        from common import EXAM, write_bank
    finally:
        sys.path.remove(str(BENCH))
    from examqa.banks import bank_for_exam, one_paper
    from examqa.exams.plugins import registry

    bank, _ = bank_for_exam(write_bank(tmp_path / "bank.jsonl", items), EXAM)
    assert len(bank.questions) == items
    assert one_paper(bank, registry()[EXAM].blueprint) is bank  # refused (raises) were it several papers
