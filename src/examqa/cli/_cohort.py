"""``examqa grade EXAM --bank B --answers SHEETS`` when SHEETS holds a whole cohort: ``examqa.grade_cohort``.

A wide CSV (student, then one column per item), a long CSV (student,id,answer) or a folder of id,answer
sheets is a cohort, told from the content; a single id,answer sheet is graded as before. Nothing is
written until every sheet is graded and every report rendered, and each file is replaced atomically.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

COHORT_FLAGS = {"skip_bad": "--skip-bad", "run": "--run", "csv_out": "--csv-out"}


def add_cohort_flags(parser: argparse.ArgumentParser) -> None:
    """The flags of a cohort (``--answers`` a wide or long CSV, or a folder of sheets)."""
    group = parser.add_argument_group("a cohort (--answers a wide CSV, a long CSV or a folder of sheets)")
    group.add_argument("--skip-bad", action="store_true",
                       help="Grade the good sheets and list the bad ones (default: stop at the first bad sheet).")
    group.add_argument("--run", type=Path, metavar="RUN",
                       help="Place a model run (its directory, or a report.json) in the cohort by percentile.")
    group.add_argument("--csv-out", type=Path, metavar="FILE",
                       help="Write one row per student: verdict, subject points, what it takes to pass.")
    files = parser.add_argument_group("report files (a sheet's report, or a cohort's)")
    files.add_argument("--html", type=Path, metavar="FILE",
                       help="Also write the report as one self-contained HTML page (a sheet's, or the cohort's).")
    files.add_argument("--md", type=Path, metavar="FILE", help="Also write the report as Markdown.")


def cohort_flags_given(args: argparse.Namespace) -> list[str]:
    """The cohort-only flags on the command line (an error when --answers is a single sheet)."""
    return [flag for name, flag in COHORT_FLAGS.items() if getattr(args, name, None)]


def is_cohort(answers: Path, bank: Any) -> bool:
    """Whether ``--answers`` holds a cohort (told from the content, without importing numpy)."""
    from examqa.cohort import detect_layout

    return detect_layout(answers, bank) != "sheet"


def run_cohort(args: argparse.Namespace, entry: Any, bank: Any, opts: Any) -> int:
    """Grade the cohort, render what was asked, write it, print the summary (or ``--json``)."""
    from examqa.cli._common import check_outputs, note, out_console
    from examqa.cohort import grade_cohort

    check_outputs({"--csv-out": args.csv_out, "--html": args.html, "--md": args.md},
                  {"--answers": args.answers, "--bank": args.bank, "--run": args.run})

    cohort = grade_cohort(entry, bank, args.answers, edition=opts.edition, grader=opts.grader,
                          elective=opts.elective, year=opts.year,
                          skip_bad=args.skip_bad, run=args.run, paper=opts.paper)
    files: dict[Path, str] = {}
    if args.csv_out:
        from examqa.reports import cohort_csv

        files[args.csv_out] = cohort_csv(cohort)
    if args.html:
        from examqa.reports import cohort_html

        files[args.html] = cohort_html(cohort)
    if args.md:
        from examqa.reports import cohort_markdown

        files[args.md] = cohort_markdown(cohort)
    data = cohort.to_json() if args.as_json else None
    for path, text in files.items():
        write_atomic(path, text)
    if data is not None:
        # pydantic's encoder writes what json.dumps(indent=2, ensure_ascii=False) writes, ten times faster
        # (10,000 students: 0.2 s, not 2 s); floats are spelled as in every other report examqa writes
        from pydantic_core import to_json

        sys.stdout.write(to_json(data, indent=2).decode() + "\n")
    else:
        from examqa.reports import print_cohort

        print_cohort(cohort, out_console())
    bad = cohort.summary.bad
    if bad:
        note(f"{len(bad)} sheet(s) left out as bad (--skip-bad): "
             + "; ".join(f"{b.student or '?'} ({b.path or 'row'}:{b.line})" for b in bad[:5])
             + (" …" if len(bad) > 5 else ""))
    for path in files:
        note(f"wrote {path}")
    sys.stdout.flush()
    return 0


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, so no half file is left."""
    import tempfile  # here: this module is imported for every sheet graded, and one sheet writes no file

    from examqa.errors import InputError

    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; the report is an ordinary file
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        raise InputError(f"cannot write: {exc.strerror}", path=path) from exc
