"""``examqa report RUN`` and ``examqa rescore RUN``: stored runs, re-rendered or re-read."""

from __future__ import annotations

import argparse
from pathlib import Path

from examqa.cli._common import emit_report, note


def _run_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", type=Path, metavar="RUN", help="A run directory (the --out of a model run).")
    parser.add_argument("--json", dest="as_json", action="store_true", help="Print the report as JSON.")


def configure_report(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``examqa report``."""
    _run_argument(parser)


def run_report(args: argparse.Namespace) -> int:
    """Re-render a run's reports from its stored samples."""
    from examqa.runs import report_run

    emit_report(report_run(args.run), args.as_json)
    return 0


def configure_rescore(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``examqa rescore``."""
    _run_argument(parser)


def run_rescore(args: argparse.Namespace) -> int:
    """Re-parse every stored output with the current parser and rewrite the reports."""
    from examqa.runs import rescore_run

    report, changed = rescore_run(args.run)
    emit_report(report, args.as_json)
    note(f"rescored {report.run.generated if report.run else 0} sample(s); {changed} changed")
    return 0
