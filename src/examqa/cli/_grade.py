"""``examqa grade``: a sheet (``--answers``) through ``examqa.grade_sheet``, a model (``--model``) through
``examqa.evaluate``. The run flags are generated from :class:`examqa.runs.options.RunOptions`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from examqa.cli._cohort import (
    add_cohort_flags,
    cohort_flags_given,
    is_cohort,
    run_cohort,
    write_atomic,
)
from examqa.cli._common import (
    ProgressBar,
    add_backend_flags,
    add_option_flags,
    check_outputs,
    emit_report,
    emit_suite,
    make_backend,
    note,
    options_from,
    run_exit,
    suite_exit,
)

T = TypeVar("T")

def configure_grade(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``examqa grade``."""
    from examqa.runs import SuiteOptions

    parser.add_argument("exam", metavar="EXAMS", help="Exam id, e.g. loss-adjuster (see `examqa exams`); for a "
                        "model run also several (customs-broker,appraiser) or all: a suite, one run per exam "
                        "and mode.")
    parser.add_argument("--bank", required=True, type=Path, metavar="BANK",
                        help="Question bank: a file or a folder of files.")
    parser.add_argument("--answers", type=Path, metavar="SHEET",
                        help="Answer sheet CSV (id,answer), or a whole cohort: a wide CSV (student, then one column "
                             "per item id), a long CSV (student,id,answer) or a folder of sheets.")
    parser.add_argument("--json", dest="as_json", action="store_true", help="Print the report as JSON.")
    add_cohort_flags(parser)
    add_backend_flags(parser)
    runs = parser.add_argument_group("model run (the options of examqa.evaluate and evaluate_suite)")
    add_option_flags(runs, SuiteOptions)


def run_grade(args: argparse.Namespace) -> int:
    """Grade a sheet or run a model; the exit code."""
    from examqa.cli import UsageProblem

    if (args.answers is None) == (args.model is None):
        raise UsageProblem(args._parser, "give exactly one of --answers SHEET (grade a sheet) or --model MODEL "
                                         "(run a model)")
    if args.answers is not None:
        return _grade_sheet(args)
    if "," in args.exam or args.exam.strip() == "all" or hasattr(args, "modes"):
        return _run_suite(args)
    return _run_model(args)


def _grade_sheet(args: argparse.Namespace) -> int:
    from examqa.banks import bank_for_exam, one_paper, route_notes
    from examqa.cli import UsageProblem
    from examqa.exams import get_exam
    from examqa.runs import SheetOptions, SuiteOptions, option_flag
    from examqa.sheets import grade_sheet

    model_only = [n for n in SuiteOptions.model_fields if n not in SheetOptions.model_fields and hasattr(args, n)]
    if model_only:
        raise UsageProblem(args._parser, f"{option_flag(SuiteOptions, model_only[0])} is for model runs (--model), "
                                         "not for grading a sheet")
    if "," in args.exam or args.exam.strip() == "all":
        raise UsageProblem(args._parser, "a sheet is graded under one exam: name one exam id")
    opts = options_from(args, SheetOptions)
    entry = get_exam(args.exam)
    bank, routed = bank_for_exam(args.bank, entry.blueprint.id, opts.bank_format)
    graded = one_paper(bank, entry.blueprint, opts.paper, edition=opts.edition) if opts.paper else bank
    if graded.problems:
        note(f"{args.bank}: {len(graded.problems)} warning(s) in the "
             f"{'bank' if graded is bank else 'paper'} (see `examqa validate`)")
    for line in route_notes(routed):
        note(f"note: {line}")
    if is_cohort(args.answers, bank):
        return run_cohort(args, entry, bank, opts)
    if cohort_flags_given(args):
        raise UsageProblem(args._parser, f"{cohort_flags_given(args)[0]} is for a cohort (--answers a wide or long "
                                         "CSV, or a folder of sheets), not for one answer sheet")
    check_outputs({"--html": args.html, "--md": args.md}, {"--answers": args.answers, "--bank": args.bank})
    report = grade_sheet(entry, bank, args.answers, edition=opts.edition, grader=opts.grader, paper=opts.paper,
                         elective=opts.elective, year=opts.year)
    files: dict[Path, str] = {}
    if args.html or args.md:
        from examqa.reports import to_html, to_markdown

        if args.html:
            files[args.html] = to_html(report)
        if args.md:
            files[args.md] = to_markdown(report)
    for path, text in files.items():
        write_atomic(path, text)
    emit_report(report, args.as_json)
    for path in files:
        note(f"wrote {path}")
    return 0


def _drive(args: argparse.Namespace, run: Callable[[Any, ProgressBar], T],
           where: Callable[[Path], Path]) -> tuple[T, Path | None]:
    """Build the backend and run with a progress bar; the result, and the directory of the (last) run.

    On Ctrl-C it says how to finish: ``where`` turns the run in progress into what ``--resume --out`` takes.
    """
    backend = make_backend(args)
    bar = ProgressBar(quiet=args.as_json)
    try:
        return run(backend, bar), bar.out
    except KeyboardInterrupt:
        bar.stop()
        if bar.out is not None:
            note(f"interrupted: every sample so far is saved; finish with the same command plus --resume "
                 f"--out {where(bar.out)}")
        raise
    finally:
        bar.stop()
        backend.close()


def _run_model(args: argparse.Namespace) -> int:
    from examqa.runs import RunOptions, evaluate

    opts = options_from(args, RunOptions)
    given = opts.model_dump(exclude_unset=True)
    report, out = _drive(args, lambda backend, bar: evaluate(args.exam, args.bank, backend, progress=bar, **given),
                         lambda out: out)
    emit_report(report, args.as_json)
    note(f"run saved in {out} (manifest.json, samples.jsonl, report.json/.md/.html)")
    return run_exit(report, out, "the same command")


def _run_suite(args: argparse.Namespace) -> int:
    from examqa.cli import UsageProblem
    from examqa.runs import SuiteOptions
    from examqa.suite import evaluate_suite

    extra = {}
    if hasattr(args, "modes") and hasattr(args, "thinking"):
        raise UsageProblem(args._parser, "--no-thinking and --modes contradict each other: --modes names the modes "
                                         "to run (--modes non-reasoning is --no-thinking)")
    if hasattr(args, "modes"):
        modes = [m.strip() for m in str(args.modes).split(",") if m.strip()]
        if not modes:
            raise UsageProblem(args._parser, "--modes needs reasoning, non-reasoning or both")
        extra["modes"] = tuple(modes)
    given = options_from(args, SuiteOptions, extra).model_dump(exclude_unset=True)
    report, _ = _drive(args, lambda backend, bar: evaluate_suite(args.exam, args.bank, backend, progress=bar,
                                                                 **given),
                       lambda out: out.parent.parent)  # a sub-run is OUT/<exam>/<mode>
    emit_suite(report, args.as_json)
    note(f"suite saved in {report.out} (suite-report.json/.md/.html; one run per exam and mode)")
    return suite_exit(report, report.out, "the same command")
