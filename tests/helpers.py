"""Shared test helpers: synthetic banks written in the native format, and running the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
LOSS_ADJUSTER_DATA = SHARED / "data" / "loss-adjuster"

LOSS_SUBJECTS = ("보험업법", "보험계약법", "손해사정이론")

API_EXAMPLE_OUTPUT = {
    "grade_sheet.py": ["회계학", "과락"],
    "evaluate.py": ["truncated: 1 missing: 0", "samples.jsonl"],
    "solve.py": ["③ True marker", "non-reasoning 3"],
    "stream.py": ["[reasoning]", "[answer]", "graded: ③ True"],
    "concurrency.py": ["64 answers in"],
    "errors.py": ["sheet.csv 3", "unknown exam 'nurse'", "BackendError cannot reach"],
}
"""What each docs/api.md example (docs/examples/NAME) prints, in part: run in the checkout and from a wheel."""

# Prompts of different lengths, so a batch needs padding. With the seed-0 tiny model, greedy
# non-thinking decoding of some of these ends on the end-of-turn token within 48 tokens and others
# run into the limit (checked in test_hf_backend, so a change to the model build that loses this shows up).
HF_PROMPTS = [
    "다음 중 옳은 것은?",
    "hello",
    "관세 신고 기준",
    "What is the answer?",
    "토지 가격 비교",
    "보험 약관 조항",
    "환자에게 투여할 약물은? ① 가 ② 나 ③ 다",
]


def write_native_bank(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Write rows as a native JSONL bank."""
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def loss_adjuster_rows(per_subject: int = 4, year: int = 2024) -> list[dict[str, Any]]:
    """A small synthetic loss-adjuster paper: ``per_subject`` 4-choice items per subject.

    Item k of each subject is keyed ``(k % 4) + 1``; the texts are placeholders written for the tests.
    """
    rows = []
    for s_index, subject in enumerate(LOSS_SUBJECTS):
        for k in range(per_subject):
            rows.append({
                "id": f"S{s_index}-{k + 1}", "subject": subject, "number": k + 1, "year": year,
                "session": 1 if s_index < 2 else 2,
                "stem": f"{subject} 시험용 문항 {k + 1}: 옳은 것은?",
                "choices": [f"보기 {subject[:2]} {k}-{c}" for c in range(1, 5)],
                "answer": (k % 4) + 1,
            })
    return rows


def answer_text(choice: int) -> str:
    """A realistic reasoning-mode completion that closes its reasoning and answers ``choice``."""
    return f"문제를 차례로 검토하면 보기 {choice}이(가) 맞다.\n</think>\n\n정답: {choice}"


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``examqa`` in a subprocess with the test interpreter."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "examqa.cli", *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout, cwd=cwd or REPO)
