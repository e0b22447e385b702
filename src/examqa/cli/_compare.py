"""``examqa compare RUN_A RUN_B [RUN_C …]``: runs of one exam against the first, and whether it is real.

A thin shell over :func:`examqa.comparison.runs.compare` (same names: ``--label`` ↔ ``labels``, ``--on`` ↔ ``on``)
and :func:`examqa.reports.write_comparison`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from examqa.cli._common import check_outputs, note


def configure_compare(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``examqa compare``."""
    parser.add_argument("runs", nargs="+", type=Path, metavar="RUN",
                        help="Run directories (the --out of model runs) of one exam; the first is the baseline.")
    parser.add_argument("--label", dest="labels", action="append", metavar="NAME",
                        help="A name for each run, in order (repeat it; default: the folder names).")
    parser.add_argument("--on", choices=("intersection", "strict"), default="intersection",
                        help="intersection (default): compare the items both runs answered and say how many "
                             "were left out; strict: refuse runs that answered different items.")
    parser.add_argument("--json", dest="as_json", action="store_true", help="Print the comparison as JSON.")
    parser.add_argument("--md", type=Path, metavar="FILE", help="Also write it as Markdown.")
    parser.add_argument("--html", type=Path, metavar="FILE",
                        help="Also write it as a self-contained HTML page with a chart.")


def run_compare(args: argparse.Namespace) -> int:
    """Compare the runs, write the files asked for, print Markdown (or JSON)."""
    from examqa.comparison import compare
    from examqa.errors import InputError
    from examqa.reports import write_comparison

    if len(args.runs) < 2:
        raise InputError("compare needs at least two runs", hint="give a baseline run and one or more others")
    check_outputs({"--html": args.html, "--md": args.md}, {})
    result = compare(args.runs, labels=args.labels, on=args.on)
    written = write_comparison(result, md=args.md, html_path=args.html)
    sys.stdout.write(result.model_dump_json(indent=2) + "\n" if args.as_json else result.to_markdown())
    for path in written:
        note(f"wrote {path}")
    return 0
