"""Cohort grading through the Python doors: rows and pandas DataFrames, 10,000 students × 120 items.

    python bench/cohort_doors.py [--students N] [--repeats R]

``grade_cohort`` on the caller's own rows (``(student, {id: mark})`` pairs) and on DataFrames of the same
marks — plain ``int64`` columns, and the nullable dtypes ``convert_dtypes()`` gives — in-process, CPU time
(``time.process_time``) of each call, the bank already loaded. Every door reads its cells with the one cell
reader (``examqa.exams.marks.read_marks``); the rows door takes plain ints without it.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import examqa
from cohort import write_paper
from common import machine, median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    bank = examqa.load_bank(write_paper(Path(tempfile.mkdtemp()) / "bank.jsonl"))
    rng = random.Random(2024)
    rows = [(f"s{i:05d}", {q.id: rng.randint(1, len(q.choices)) for q in bank.questions})
            for i in range(args.students)]
    doors: dict[str, object] = {"rows": rows}
    try:
        import pandas as pd

        frame = pd.DataFrame([{"student": s, **m} for s, m in rows])
        doors["DataFrame (int64)"] = frame
        doors["DataFrame (convert_dtypes: Int64)"] = frame.convert_dtypes()
    except ImportError:
        print("pandas is not installed: the DataFrame doors are left out")
    facts = machine()
    print(f"Machine: {facts.get('cpus')} CPUs ({facts.get('cpu')}), Python {facts.get('python')}")
    print(f"\n{args.students:,} students × {len(bank.questions)} items, CPU seconds per grade_cohort call\n")
    print("| door | runs (s) | median (s) |\n|---|---|---:|")
    for name, sheets in doors.items():
        runs = []
        for _ in range(args.repeats):
            start = time.process_time()
            examqa.grade_cohort("loss-adjuster", bank, sheets)
            runs.append(time.process_time() - start)
        print(f"| {name} | {', '.join(f'{r:.2f}' for r in runs)} | {median(runs):.2f} |")


if __name__ == "__main__":
    main()
