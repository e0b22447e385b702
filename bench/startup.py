"""Whole-process start-up cost: ``examqa --help`` and grading a 120-item sheet, against ``python -c pass``.

    python bench/startup.py                 # 21 runs of each, alternating, medians and minimums
    python bench/startup.py --runs 51 --json startup.json

Each command is a fresh process (what a user waits for at the shell), timed from spawn to exit with
``time.perf_counter``. The three commands alternate run by run, so load from other jobs hits all of
them alike. The 120-item paper is a synthetic loss-adjuster paper (3 subjects × 40 items, 4 choices)
written to a temporary folder, with a sheet answering every item; the report goes to ``/dev/null`` as
terminal text (the default output, so rich's table rendering is included). A second row times the
same sheet with ``--json``.

Not a test: nothing here asserts a time. Targets (issue "examqa as a library"): ``--help`` < 0.3 s and
sheet grading < 0.4 s on the development machine (2 shared cores).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import machine, median

SUBJECTS = ("보험업법", "보험계약법", "손해사정이론")


def write_paper(folder: Path) -> tuple[Path, Path]:
    """A 120-item native bank and a sheet that answers every item (three quarters right)."""
    rows, sheet = [], ["id,answer"]
    for s, subject in enumerate(SUBJECTS):
        for k in range(1, 41):
            qid = f"P{s}-{k:02d}"
            key = (k % 4) + 1
            rows.append(json.dumps({
                "id": qid, "subject": subject, "number": k, "year": 2024, "session": 1 if s < 2 else 2,
                "stem": f"{subject} 벤치마크 문항 {k}: 다음 중 옳은 것은?",
                "choices": [f"{subject} 보기 {k}-{c}" for c in range(1, 5)], "answer": key,
            }, ensure_ascii=False))
            sheet.append(f"{qid},{key if k % 4 else (key % 4) + 1}")
    bank = folder / "paper.jsonl"
    bank.write_text("\n".join(rows) + "\n", encoding="utf-8")
    answers = folder / "sheet.csv"
    answers.write_text("\n".join(sheet) + "\n", encoding="utf-8")
    return bank, answers


def timed(cmd: list[str]) -> float:
    """Seconds from spawn to exit; the command must succeed."""
    t0 = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ.copy())
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.decode()[-400:]}")
    return elapsed


def main() -> None:
    """Run the comparison and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--json", type=Path, help="Also write every timing to this file.")
    args = parser.parse_args()
    print(f"machine: {machine()}; load average {os.getloadavg()}")
    examqa = str(Path(sys.executable).with_name("examqa"))
    with tempfile.TemporaryDirectory() as tmp:
        bank, sheet = write_paper(Path(tmp))
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "examqa --help": [examqa, "--help"],
            "examqa grade (120-item sheet, table)": [examqa, "grade", "loss-adjuster", "--bank", str(bank),
                                                     "--answers", str(sheet)],
            "examqa grade (120-item sheet, --json)": [examqa, "grade", "loss-adjuster", "--bank", str(bank),
                                                      "--answers", str(sheet), "--json"],
        }
        for cmd in commands.values():  # warm the file cache and .pyc files
            timed(cmd)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, cmd in commands.items():
                times[name].append(timed(cmd))
    base = median(times["python -c pass"])
    print(f"\n{args.runs} runs of each, alternating\n")
    print("| command | median (s) | min (s) | median − python -c pass (s) |")
    print("|---|---:|---:|---:|")
    for name, values in times.items():
        print(f"| {name} | {median(values):.3f} | {min(values):.3f} | {median(values) - base:.3f} |")
    if args.json:
        args.json.write_text(json.dumps(times, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
