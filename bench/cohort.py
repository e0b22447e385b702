"""Cohort grading: 10,000 sheets × 120 items against grading one sheet, both as whole processes.

    python bench/cohort.py                       # the benchmark (prints Markdown tables; --json FILE too)
    python bench/cohort.py simulate OUT.csv --students 400 [--bank B] [--plant-key ID:CHOICE BANK_OUT]

The target: a 10,000-student cohort, every statistic and report included, in under five times the time
of ``examqa grade EXAM --bank B --answers sheet.csv`` (the whole process: interpreter start, imports,
bank, sheet, report). Both run as subprocesses of this script, alternating, timed by wall clock; peak
memory is the child's maximum resident set size.

The simulated class answers like a class does: abilities θ ~ N(0, 1), items with a difficulty and a
discrimination (a two-parameter logistic model), students who do not know an item guess among its
choices with uneven pull, 2 % blanks and 0.5 % double marks. The bank is :func:`write_paper`: examqa's own
sample items cycled to a full 120-item loss-adjuster paper (40 per subject), written at run time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import examqa
from common import EXAM, SAMPLE_BANK, machine, median
from examqa.exams.models import Question


def simulate(questions: tuple[Question, ...], students: int, seed: int = 2024,
             true_keys: dict[str, int] | None = None) -> list[tuple[str, list[str]]]:
    """``students`` rows of cell texts, one per question; ``true_keys`` overrides what students know is right."""
    rng = np.random.default_rng(seed)
    n, k = students, len(questions)
    theta = rng.normal(0.0, 1.0, n)
    difficulty = rng.normal(-0.4, 1.0, k)
    discrimination = rng.uniform(0.7, 2.0, k)
    knows = rng.random((n, k)) < 1 / (1 + np.exp(-discrimination * (theta[:, None] - difficulty[None, :])))
    widest = max(len(q.choices) for q in questions)
    pull = rng.dirichlet(np.full(widest, 1.2), size=k)  # how strongly each choice draws a guess
    for j, q in enumerate(questions):
        pull[j, len(q.choices):] = 0
        pull[j] /= pull[j].sum()
    guess = (rng.random((n, k))[:, :, None] > np.cumsum(pull, axis=1)[None, :, :]).sum(axis=2) + 1
    keys = np.array([(true_keys or {}).get(q.id, min(q.accepted)) for q in questions])
    answer = np.where(knows, keys[None, :], np.minimum(guess, [len(q.choices) for q in questions]))
    blank = rng.random((n, k)) < 0.02
    double = rng.random((n, k)) < 0.005
    rows = []
    for i in range(n):
        cells = ["" if blank[i, j] else f"{answer[i, j]};{answer[i, j] % len(questions[j].choices) + 1}"
                 if double[i, j] else str(answer[i, j]) for j in range(k)]
        rows.append((f"학생{i + 1:05d}", cells))
    return rows


def write_wide(path: Path, questions: tuple[Question, ...], rows: list[tuple[str, list[str]]]) -> Path:
    """A wide CSV: ``student``, then one column per item id."""
    lines = ["student," + ",".join(q.id for q in questions)] + [f"{s}," + ",".join(c) for s, c in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_paper(path: Path) -> Path:
    """A full 120-item loss-adjuster paper in native JSONL: each subject's sample items cycled to 40.

    examqa's own sample questions (``exams/samples``), new ids and running numbers; no exam text.
    """
    source = [json.loads(line) for line in SAMPLE_BANK.read_text(encoding="utf-8").splitlines() if line.strip()]
    lines = []
    for subject in dict.fromkeys(r["subject"] for r in source):
        mine = [r for r in source if r["subject"] == subject]
        for k in range(40):
            record = dict(mine[k % len(mine)], number=k + 1)
            record["id"] = f"{len(lines) + 1:03d}"
            lines.append(json.dumps(record, ensure_ascii=False))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def plant_key(bank: Path, out: Path, item: str, choice: int) -> dict[str, int]:
    """Copy a native JSONL bank with ``item`` keyed ``choice`` (a wrong key); return the true keys it hides."""
    records = [json.loads(line) for line in bank.read_text(encoding="utf-8").splitlines() if line.strip()]
    truth: dict[str, int] = {}
    for r in records:
        if r["id"] == item:
            truth[item] = r["answer"] if isinstance(r["answer"], int) else min(r["answer"])
            r["answer"] = choice
    if not truth:
        raise SystemExit(f"no item {item!r} in {bank}")
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return truth


CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""The children's environment: bytecode written and used, as in an install (the warm-up writes it)."""


def timed(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds, the child's peak RSS in MiB and its CPU seconds (user + system) of one whole-process
    run (which must succeed). CPU time moves less than wall time with other jobs' load."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=CHILD_ENV)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stderr[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, max(after.ru_maxrss, before.ru_maxrss) / 1024, cpu


def bench(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="examqa-cohort-bench-"))
    bank_path = write_paper(work / "bank.jsonl")
    bank = examqa.load_bank(bank_path)
    rows = simulate(bank.questions, args.students, seed=args.seed)
    wide = write_wide(work / "cohort.csv", bank.questions, rows)
    sheet = work / "sheet.csv"
    sheet.write_text("id,answer\n" + "".join(f"{q.id},{c}\n" for q, c in zip(bank.questions, rows[0][1],
                                                                               strict=True)), encoding="utf-8")
    exe = [sys.executable, "-m", "examqa.cli"]
    single = [*exe, "grade", EXAM, "--bank", str(bank_path), "--answers", str(sheet)]
    cohort = [*exe, "grade", EXAM, "--bank", str(bank_path), "--answers", str(wide),
              "--csv-out", str(work / "students.csv"), "--html", str(work / "cohort.html"),
              "--md", str(work / "cohort.md")]
    as_json = [*exe, "grade", EXAM, "--bank", str(bank_path), "--answers", str(wide), "--json"]
    commands = {"single": single, "cohort": cohort} | ({"json": as_json} if args.with_json else {})
    figures: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    load = os.getloadavg()
    for command in commands.values():  # warm the file cache and the bytecode
        timed(command)
    for _ in range(args.repeats):  # alternating, so load from other jobs hits every command alike
        for name, command in commands.items():
            wall, _rss, used = timed(command)
            figures[name].append(wall)
            cpu[name].append(used)
    # peak memory: one fresh child each, measured alone (RUSAGE_CHILDREN keeps the maximum so far)
    peak = {name: _peak_rss(command) for name, command in commands.items()}
    s, c = median(figures["single"]), median(figures["cohort"])
    return {"machine": machine(), "load_average": load, "load_average_after": os.getloadavg(),
            "cpu_s": cpu, "students": args.students,
            "items": len(bank.questions), "repeats": args.repeats, "single_s": figures["single"],
            "cohort_s": figures["cohort"], "single_median_s": s, "cohort_median_s": c, "ratio": c / s,
            "single_peak_mib": peak["single"], "cohort_peak_mib": peak["cohort"],
            "json_s": figures.get("json"), "json_median_s": median(figures["json"]) if args.with_json else None,
            "json_peak_mib": peak.get("json"), "csv_bytes": os.path.getsize(wide)}


def _peak_rss(command: list[str]) -> float:
    """Peak RSS (MiB) of ``command`` run under ``/usr/bin/time``-like accounting in a fresh process."""
    probe = ("import resource,subprocess,sys;subprocess.run(sys.argv[1:],check=True,capture_output=True);"
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, *command], capture_output=True, text=True, check=True,
                         env=CHILD_ENV)
    return int(out.stdout.strip()) / 1024


def print_markdown(r: dict[str, Any]) -> None:
    m = r["machine"]
    print(f"Machine: {m['cpus']} CPUs ({m['cpu']}), Python {m['python']}, load average "
          f"{', '.join(f'{x:.2f}' for x in r['load_average'])} before the runs, "
          f"{', '.join(f'{x:.2f}' for x in r['load_average_after'])} after.\n")
    print(f"Cohort: {r['students']:,} students × {r['items']} items ({r['csv_bytes'] / 1e6:.1f} MB wide CSV)\n")
    print("| whole process | runs (s) | median (s) | CPU median (s) | peak RSS (MiB) |")
    print("|---|---|---:|---:|---:|")
    rows = [("single", "one sheet: `examqa grade … --answers sheet.csv`"),
            ("cohort", "cohort: `… --answers cohort.csv --csv-out … --html … --md …`")]
    if r["json_s"] is not None:
        rows.append(("json", "cohort: `… --answers cohort.csv --json` (every student's report)"))
    for key, label in rows:
        runs = ", ".join(f"{x:.2f}" for x in r[f"{key}_s"])
        print(f"| {label} | {runs} | {r[f'{key}_median_s']:.2f} | {median(r['cpu_s'][key]):.2f} | "
              f"{r[f'{key}_peak_mib']:.0f} |")
    print(f"\n**Ratio cohort / one sheet: {r['ratio']:.2f}** (target < 5)")
    if r["json_s"] is not None:
        print(f"\n`--json` / one sheet: {r['json_median_s'] / r['single_median_s']:.2f}; "
              f"--json / cohort without it: {r['json_median_s'] / r['cohort_median_s']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    sim = sub.add_parser("simulate", help="write a simulated class's wide CSV")
    sim.add_argument("out", type=Path)
    sim.add_argument("--students", type=int, default=400)
    sim.add_argument("--seed", type=int, default=2024)
    sim.add_argument("--bank", type=Path, help="a native JSONL bank (default: the 120-item bench bank, "
                                                "written next to OUT as bank.jsonl)")
    sim.add_argument("--plant-key", nargs=2, metavar=("ID:CHOICE", "BANK_OUT"),
                     help="also write BANK_OUT, a copy of the bank with item ID keyed CHOICE (a wrong key)")
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--with-json", action="store_true",
                        help="also time --json (every student's report), alternating with the other two")
    parser.add_argument("--json", type=Path, help="write every figure here")
    args = parser.parse_args()
    if args.command == "simulate":
        bank_path = args.bank or write_paper(args.out.parent / "bank.jsonl")
        bank = examqa.load_bank(bank_path)
        truth = None
        if args.plant_key:
            item, choice = args.plant_key[0].split(":")
            truth = plant_key(bank_path, Path(args.plant_key[1]), item, int(choice))
        write_wide(args.out, bank.questions, simulate(bank.questions, args.students, args.seed, truth))
        print(f"wrote {args.out} ({args.students} students, bank {bank_path})")
        return
    result = bench(args)
    print_markdown(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
