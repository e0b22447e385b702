"""``examqa report RUN`` and ``examqa rescore RUN``: stored runs (or a whole suite), re-rendered or re-read.

Both exit 3 when the run is incomplete (samples still to grade), exactly as the ``grade`` that made it did:
a re-rendered report of an unfinished run is not a verdict to rely on.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from examqa.cli._common import emit_report, emit_suite, note, run_exit, suite_exit


def _run_argument(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("run", type=Path, metavar="RUN", help=what)
    parser.add_argument("--json", dest="as_json", action="store_true", help="Print the report as JSON.")


def configure_report(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``examqa report``."""
    _run_argument(parser, "A run directory (the --out of a model run), or a suite's (the --out of a run of "
                          "several exams or modes): every run in it and the suite report are re-rendered.")


def run_report(args: argparse.Namespace) -> int:
    """Re-render a run's (or a suite's) reports from its stored samples; exit 3 when it is incomplete."""
    from examqa.suite import is_suite

    if is_suite(args.run):
        return _report_suite(args)
    from examqa.runs import report_run

    report = report_run(args.run)
    emit_report(report, args.as_json)
    return run_exit(report, args.run, "the command that made it")


def _report_suite(args: argparse.Namespace) -> int:
    from examqa.suite import report_suite

    report = report_suite(args.run)
    emit_suite(report, args.as_json)
    note(f"re-rendered {len(report.results)} run(s) and {Path(report.out) / 'suite-report.json'} (.md, .html)")
    return suite_exit(report, args.run, "the command that made the suite")


def configure_rescore(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``examqa rescore``."""
    _run_argument(parser, "A run directory (the --out of a model run).")


def run_rescore(args: argparse.Namespace) -> int:
    """Re-parse every stored output with the current parser and rewrite the reports."""
    from examqa.errors import InputError
    from examqa.runs import rescore_run
    from examqa.suite import is_suite

    if is_suite(args.run):
        runs = sorted(p.parent for p in Path(args.run).glob("*/*/manifest.json"))
        shown = " ".join(str(r) for r in runs[:3]) + (" …" if len(runs) > 3 else "")
        raise InputError(f"{args.run} is a suite directory; rescore its runs one by one",
                         hint=f"e.g. examqa rescore {shown}; then examqa report {args.run}")
    report, changed = rescore_run(args.run)
    emit_report(report, args.as_json)
    note(f"rescored {report.run.generated if report.run else 0} sample(s); {changed} changed")
    return run_exit(report, args.run, "the command that made the run")
