"""The ``examqa`` command line: a thin shell over the library (``examqa.evaluate``, ``grade_sheet`` …).

Exit codes, mapped in one place (:func:`main`):

====  =====================================================================================
0     done: graded (pass or fail), listed, rendered
1     an internal error (a bug: please report it; ``EXAMQA_DEBUG=1`` shows the traceback)
2     bad input: a mistyped command line, a malformed file, an unknown exam, a dead server
3     a model run ended incomplete: samples still failed — the same command with ``--resume`` finishes it
130   interrupted (Ctrl-C); what was finished is saved
====  =====================================================================================

Each command lives in a module of this package as a pair: ``configure(parser)`` adds its arguments,
``run(args) -> int`` does the work by calling the library. The parser is built from argparse (fast to
import: ``examqa --help`` loads no pydantic, jinja2, rich or torch).
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn

from examqa._version import __version__

EXIT_OK, EXIT_BUG, EXIT_INPUT, EXIT_INCOMPLETE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


@dataclass(frozen=True)
class Command:
    """A subcommand: where it lives and its one-line help."""

    name: str
    module: str
    help: str


COMMANDS = (
    Command("exams", "examqa.cli._info", "List the exams (and backends, bank formats, graders) installed."),
    Command("validate", "examqa.cli._info", "List every problem in a bank, with file and line."),
    Command("grade", "examqa.cli._grade",
            "Grade an answer sheet (--answers) or a model's answers (--model) under the exam's pass rule."),
    Command("report", "examqa.cli._runs", "Re-render a run's reports (JSON, Markdown, HTML) from its samples."),
    Command("rescore", "examqa.cli._runs", "Re-parse a run's stored outputs with the current parser."),
    Command("compare", "examqa.cli._compare", "Compare runs of one exam: what changed, and whether it is real."),
    Command("prompts", "examqa.cli._prompts", "Print the exact messages a run sends for one item of a bank."),
    Command("schema", "examqa.cli._info", "Print the JSON schema of reports."),
    Command("tiny-model", "examqa.cli._info",
            "Build the tiny random-weight EXAONE-4.0 test model and print its folder (needs examqa[hf])."),
)


class UsageProblem(Exception):
    """A command line argparse cannot read; carries the parser whose usage line to show."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser
        self.message = message


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, and suggests the option that was probably meant."""

    def error(self, message: str) -> NoReturn:
        raise UsageProblem(self, _suggest(self, message))


def _suggest(parser: argparse.ArgumentParser, message: str) -> str:
    prefix = "unrecognized arguments: "
    if not message.startswith(prefix):
        return message
    known = [s for action in parser._actions for s in action.option_strings]
    sub = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for action in sub:
        for child in action.choices.values():
            known += [s for a in child._actions for s in a.option_strings]
    words = message.removeprefix(prefix).split()
    for word in words:
        if word.startswith("-"):
            flag = word.split("=", 1)[0]
            close = difflib.get_close_matches(flag, known, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else ""
            return f"no such option: {flag}{hint}"
    return f"unexpected argument{'s' if len(words) > 1 else ''}: {' '.join(words)}"


def build_parser(argv: Sequence[str] | None = None) -> Parser:
    """The command line. Only the subcommand ``argv`` names is configured (its module imported), so
    ``examqa --help`` and ``examqa exams`` do not pay for the options models of ``grade``."""
    words = list(sys.argv[1:] if argv is None else argv)
    wanted = next((w for w in words if not w.startswith("-")), None)
    parser = Parser(prog="examqa", description="Would this answer sheet pass the Korean licence exam? "
                    "Grades sheets and reasoning models under the official pass rules.",
                    epilog="Exit codes: 0 graded, 2 bad input, 3 run incomplete (--resume finishes it), "
                    "1 internal error, 130 interrupted.")
    parser.add_argument("--version", action="version", version=f"examqa {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for cmd in COMMANDS:
        child = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        if cmd.name != wanted:
            continue
        module = importlib.import_module(cmd.module)
        getattr(module, f"configure_{cmd.name.replace('-', '_')}")(child)
        child.set_defaults(_run=getattr(module, f"run_{cmd.name.replace('-', '_')}"), _parser=child)
    return parser


def _print_err(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Entry point: parse, run, and map every outcome to an exit code in this one place."""
    from examqa.cli._common import install_warning_printer

    debug = os.environ.get("EXAMQA_DEBUG") == "1"
    install_warning_printer()
    code = EXIT_OK
    try:
        parser = build_parser(argv)
        args, extra = parser.parse_known_args(argv)
        if extra:  # name the subcommand whose options were meant, and the closest real one
            owner = getattr(args, "_parser", parser)
            raise UsageProblem(owner, _suggest(owner, "unrecognized arguments: " + " ".join(extra)))
        run: Callable[[argparse.Namespace], int] | None = getattr(args, "_run", None)
        if run is None:
            parser.print_help()
            code = EXIT_INPUT if argv is None and len(sys.argv) <= 1 else EXIT_OK
        else:
            code = run(args)
    except UsageProblem as exc:
        # One line, like every other bad input: what is wrong, and where the usage is.
        _print_err(f"examqa: error: {exc.message} (see `{exc.parser.prog} --help`)")
        code = EXIT_INPUT
    except KeyboardInterrupt:
        _print_err("examqa: interrupted")
        code = EXIT_INTERRUPTED
    except BrokenPipeError:
        code = EXIT_OK
    except Exception as exc:
        code = _error_code(exc, debug)
    sys.stdout.flush()
    sys.exit(code)


def _error_code(exc: Exception, debug: bool) -> int:
    from examqa.errors import ExamqaError

    if isinstance(exc, ExamqaError):
        if debug:
            raise exc
        _print_err(f"examqa: error: {exc}")
        return int(exc.exit_code)
    if debug:
        raise exc
    _print_err(f"examqa: internal error: {type(exc).__name__}: {exc} (set EXAMQA_DEBUG=1 for the traceback "
               "and please report it)")
    return EXIT_BUG


def run_argv(argv: Sequence[str]) -> int:
    """Run the command line ``argv`` in-process and return the exit code (benchmarks, notebooks)."""
    try:
        main(list(argv))
    except SystemExit as done:
        return int(done.code or 0) if not isinstance(done.code, str) else EXIT_BUG
    return EXIT_OK


__all__ = ["COMMANDS", "EXIT_BUG", "EXIT_INCOMPLETE", "EXIT_INPUT", "EXIT_INTERRUPTED", "EXIT_OK", "main",
           "run_argv"]
