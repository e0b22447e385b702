"""Shared pieces of the benchmark scripts: the benchmark bank, machine facts, and table printing.

Not a test module and not part of the package: the scripts import it as a sibling
(``python bench/hf_overhead.py`` puts ``bench/`` first on ``sys.path``).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SAMPLE_BANK = REPO / "exams" / "samples" / "papers" / "loss-adjuster.jsonl"
EXAM = "loss-adjuster"


def write_bank(path: Path, items: int = 48) -> Path:
    """Write a bank of ``items`` loss-adjuster questions in examqa's native JSONL format; return ``path``.

    The repository's 10 sample items are cycled with new ids and running item numbers per subject, so
    every prompt differs (its header carries the item number). The items are shared out evenly over
    the subjects, in blueprint order, so the bank stays one valid paper (at most 40 items per subject).
    """
    source = [json.loads(line) for line in SAMPLE_BANK.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not 1 <= items <= 120:
        raise ValueError(f"items must be 1..120 (3 subjects × 40), got {items}")
    by_subject: dict[str, list[dict[str, Any]]] = {}
    for record in source:
        by_subject.setdefault(record["subject"], []).append(record)
    subjects = list(by_subject)
    lines = []
    for k, subject in enumerate(subjects):
        count = items // len(subjects) + (1 if k < items % len(subjects) else 0)
        for n in range(count):
            record = dict(by_subject[subject][n % len(by_subject[subject])])
            record["id"] = f"BENCH-{len(lines) + 1:03d}"
            record["number"] = n + 1
            lines.append(json.dumps(record, ensure_ascii=False))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_samples(run_dir: Path) -> list[dict[str, Any]]:
    """The records of a run's ``samples.jsonl``, in the order examqa stored them."""
    text = (run_dir / "samples.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def median(values: Sequence[float]) -> float:
    """The median of a non-empty sequence."""
    return float(statistics.median(values))


def version_of(dist: str) -> str:
    """An installed distribution's version, or ``-`` if it is not installed here."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "-"


def machine() -> dict[str, Any]:
    """What the figures were measured on: CPU count, CPU model, Python and library versions."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "examqa": version_of("examqa"),
        "torch": version_of("torch"),
        "transformers": version_of("transformers"),
        "httpx": version_of("httpx"),
    }


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table (pastes into docs/benchmarks.md as is); floats get 3 significant decimals."""

    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.3f}" if abs(v) < 100 else f"{v:.1f}"
        return str(v)

    cells = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in cells]
    return "\n".join(lines)
