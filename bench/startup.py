"""Whole-process start-up cost: ``examqa --help`` and grading a 120-item sheet, against ``python -c pass``.

    python bench/startup.py                 # 21 runs of each, alternating, medians and minimums
    python bench/startup.py --runs 51 --json startup.json
    python bench/startup.py --callgrind     # also each command's instruction count (valgrind)
    git archive COMMIT src exams prompts | tar -x -C /tmp/old
    python bench/startup.py --baseline /tmp/old/src   # that version too, alternating with this one

Each command is a fresh process (what a user waits for at the shell), timed from spawn to exit with
``time.perf_counter``, and its CPU time (user + system, from ``getrusage``) taken too. The commands
alternate run by run, so load from other jobs hits all of them alike. The 120-item paper is a synthetic
loss-adjuster paper (3 subjects × 40 items, 4 choices) written to a temporary folder, with a sheet
answering every item; the report goes to ``/dev/null`` as terminal text (the default output, so rich's
table rendering is included). A second row times the same sheet with ``--json``, a third grades and
prints it through the library (``examqa.grade_sheet`` + ``examqa.print_report``, no command line).

On a shared machine the medians move by tens of percent with the load; the minimums and the CPU times
move less, and ``--callgrind`` counts instructions (``valgrind --tool=callgrind``, one run each, about
a minute in all), which do not depend on the load at all: the figure to compare two versions by.
Bytecode is written and used as in an installed package (``PYTHONDONTWRITEBYTECODE`` is dropped for
the children), so the first, untimed run of each command compiles examqa and later runs do not.

Not a test: nothing here asserts a time. Targets (issue "examqa as a library"): ``--help`` < 0.3 s and
sheet grading < 0.4 s on the development machine (2 shared cores).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
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


def child_env(src: Path | None = None) -> dict[str, str]:
    """The environment of the timed commands: this one, with bytecode caching on (as for a user), and
    ``src`` (another version's ``src/`` folder) ahead of the installed examqa when given."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if src is not None:
        env["PYTHONPATH"] = str(src)
    return env


LIBRARY = """
import sys
from rich.console import Console
import examqa
examqa.print_report(examqa.grade_sheet("loss-adjuster", sys.argv[1], sys.argv[2]),
                    Console(highlight=False, soft_wrap=True))
"""


def timed(cmd: list[str], src: Path | None = None) -> tuple[float, float]:
    """Seconds from spawn to exit, and the child's CPU seconds (user + system); the command must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=child_env(src))
    elapsed = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.decode()[-400:]}")
    return elapsed, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def instructions(cmd: list[str], src: Path | None = None) -> int:
    """Instructions the command executes (``valgrind --tool=callgrind``; the same from run to run)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        done = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *cmd],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              env={**child_env(src), "PYTHONHASHSEED": "0"})
    if done.returncode != 0:
        raise SystemExit(f"valgrind {' '.join(cmd)} failed: {done.stderr[-400:]}")
    counted = [line for line in done.stderr.splitlines() if "Collected :" in line]
    return int(counted[-1].split(":")[-1].strip())


def main() -> None:
    """Run the comparison and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--json", type=Path, help="Also write every timing to this file.")
    parser.add_argument("--callgrind", action="store_true", help="Also count each command's instructions.")
    parser.add_argument("--baseline", type=Path, metavar="SRC",
                        help="Another version's src/ folder (with exams/ and prompts/ beside it): its examqa "
                             "commands run too, alternating with this version's.")
    args = parser.parse_args()
    if args.callgrind and shutil.which("valgrind") is None:
        raise SystemExit("--callgrind needs valgrind on PATH")
    print(f"machine: {machine()}; load average {os.getloadavg()}")
    examqa = str(Path(sys.executable).with_name("examqa"))
    with tempfile.TemporaryDirectory() as tmp:
        bank, sheet = write_paper(Path(tmp))
        examqa_commands = {
            "examqa --help": [examqa, "--help"],
            "examqa grade (120-item sheet, table)": [examqa, "grade", "loss-adjuster", "--bank", str(bank),
                                                     "--answers", str(sheet)],
            "examqa grade (120-item sheet, --json)": [examqa, "grade", "loss-adjuster", "--bank", str(bank),
                                                      "--answers", str(sheet), "--json"],
            # the same sheet through the library, as a tutoring product calls it: no argparse, no CLI
            "python: grade_sheet + print_report": [sys.executable, "-c", LIBRARY, str(bank), str(sheet)],
        }
        commands: dict[str, tuple[list[str], Path | None]] = {"python -c pass": ([sys.executable, "-c", "pass"], None)}
        for name, cmd in examqa_commands.items():
            if args.baseline is not None:
                commands[f"{name} [baseline]"] = (cmd, args.baseline.resolve())
            commands[name] = (cmd, None)
        for cmd, src in commands.values():  # warm the file cache and write the .pyc files
            timed(cmd, src)
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, (cmd, src) in commands.items():
                wall, used = timed(cmd, src)
                times[name].append(wall)
                cpu[name].append(used)
        counts = {name: instructions(cmd, src) for name, (cmd, src) in commands.items()} if args.callgrind else {}
    base = median(times["python -c pass"])
    print(f"\n{args.runs} runs of each, alternating; load average {os.getloadavg()} at the end\n")
    print("| command | median (s) | min (s) | median − python -c pass (s) | CPU median (s) | CPU min (s) |"
          + (" instructions (M) |" if counts else ""))
    print("|---|---:|---:|---:|---:|---:|" + ("---:|" if counts else ""))
    for name, values in times.items():
        print(f"| {name} | {median(values):.3f} | {min(values):.3f} | {median(values) - base:.3f} | "
              f"{median(cpu[name]):.3f} | {min(cpu[name]):.3f} |"
              + (f" {counts[name] / 1e6:,.0f} |" if counts else ""))
    if args.json:
        args.json.write_text(json.dumps({"wall": times, "cpu": cpu, "instructions": counts}, indent=2),
                             encoding="utf-8")


if __name__ == "__main__":
    main()
