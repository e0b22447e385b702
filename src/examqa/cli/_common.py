"""What the commands share: output, warnings, flags generated from the options models, backends, progress."""

from __future__ import annotations

import argparse
import json
import sys
import types
import typing
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from examqa.exams import Report
    from examqa.runs import Options, RunStarted, SampleRecord
    from examqa.suite import SuiteReport


def out_console() -> Console:
    """The console for results (stdout)."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def err_console() -> Console:
    """The console for progress and notes (stderr)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def note(text: str) -> None:
    """One line on stderr."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def install_warning_printer() -> None:
    """Show library warnings as one ``warning: …`` line on stderr (no file, no line of examqa's source)."""

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: typing.TextIO | None = None, line: str | None = None) -> None:
        note(f"warning: {message}")

    warnings.showwarning = show


def emit_report(report: Report, as_json: bool) -> None:
    """The report on stdout: JSON, or the terminal table."""
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
        return
    from examqa.reports import print_report

    print_report(report, out_console())


def emit_suite(report: SuiteReport, as_json: bool) -> None:
    """The suite report on stdout: JSON, or the terminal table."""
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
        return
    from examqa.reports import print_suite

    print_suite(report, out_console())


def suite_exit(report: SuiteReport, out: str | Path, command: str) -> int:
    """:func:`run_exit` for a suite: 0, or 3 with a note when some of its runs have samples still to grade."""
    from examqa.cli import EXIT_INCOMPLETE

    if not report.incomplete:
        return 0
    note(f"incomplete: {report.incomplete} run(s) have samples still to grade; {command} plus --resume "
         f"--out {out} finishes them")
    return EXIT_INCOMPLETE


def run_exit(report: Report, out: str | Path | None, command: str) -> int:
    """The exit status of a command that leaves a run's report: 0, or 3 (incomplete) with a note saying that
    the verdict is not the run's yet and that ``command`` plus ``--resume --out OUT`` finishes it."""
    from examqa.cli import EXIT_INCOMPLETE

    run = report.run
    if run is None or not run.missing:
        return 0
    note(f"incomplete: {run.missing} sample(s) not graded ({run.errors} failed), so this is not the run's "
         f"verdict yet; {command} plus --resume --out {out} finishes it")
    return EXIT_INCOMPLETE


def check_outputs(outputs: dict[str, Path | None], inputs: dict[str, Path | None]) -> None:
    """Refuse an output that would overwrite an input (the class's answers, the bank, a run's report) or
    another output: both are user mistakes that lose data, so nothing is graded or written (exit 2)."""
    from examqa.errors import UsageError

    seen: dict[Path, str] = {}
    for flag, path in outputs.items():
        if path is None:
            continue
        where = path.resolve()
        if where in seen:
            raise UsageError(f"{flag} and {seen[where]} name the same file ({path}): give each its own")
        seen[where] = flag
        for name, source in inputs.items():
            if source is None:
                continue
            held = source.resolve()
            if where == held or (held.is_dir() and held in where.parents):
                what = "is" if where == held else "is inside"
                raise UsageError(f"{flag} {path} {what} {name} {source}: writing it would overwrite what is "
                                 "read", hint="write the output somewhere else")


def emit_json(data: Any) -> None:
    """Any JSON-able value on stdout."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


# ------------------------------------------------------------------------------------ flags from options


def _kind(annotation: Any) -> Any:
    """The non-None type of an ``X | None`` annotation."""
    args = typing.get_args(annotation)
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        rest = [a for a in args if a is not type(None)]
        return rest[0] if len(rest) == 1 else str
    return annotation


def add_option_flags(parser: argparse.ArgumentParser | Any, model: type[Options],
                     skip: tuple[str, ...] = ()) -> None:
    """One flag per field of ``model`` (name, help and limits from the field). Values stay text until the
    model validates them, so a bad value is reported once, by the same rule the library applies."""
    from examqa.runs import cli_spec

    for name, field in model.model_fields.items():
        if name in skip:
            continue
        spec = cli_spec(model, name)
        flag = spec.get("flag") or "--" + name.replace("_", "-")
        help_text = spec.get("help") or field.description or ""
        if _kind(field.annotation) is bool:
            const = not spec.get("negate", False)
            parser.add_argument(flag, dest=name, action="store_const", const=const, default=argparse.SUPPRESS,
                                help=help_text)
        else:
            default = field.default
            if isinstance(default, tuple):
                default = ",".join(map(str, default))
            shown = "" if default is None or default == "" else f" (default {default})"
            parser.add_argument(flag, dest=name, metavar=spec.get("metavar") or name.upper(),
                                default=argparse.SUPPRESS, help=help_text + shown)


def given_options(args: argparse.Namespace, model: type[Options]) -> dict[str, Any]:
    """The option values the user typed (flags left out keep the model's defaults)."""
    return {name: getattr(args, name) for name in model.model_fields if hasattr(args, name)}


def options_from(args: argparse.Namespace, model: type[Options], extra: dict[str, Any] | None = None) -> Any:
    """Validate the typed options; a bad value is a usage error naming the flag."""
    from examqa.cli import UsageProblem
    from examqa.errors import InputError
    from examqa.runs import validated

    try:
        return validated(model, {**given_options(args, model), **(extra or {})}, flags=True)
    except InputError as exc:
        raise UsageProblem(args._parser, str(exc)) from None


# ------------------------------------------------------------------------------------ backends

BACKEND_FLAGS = {
    # flag dest → backend setting
    "base_url": "base_url", "concurrency": "concurrency", "timeout": "timeout_s", "max_retries": "max_retries",
    "batch_size": "batch_size", "dtype": "dtype", "device": "device", "trust_remote_code": "trust_remote_code",
    "extra_body": "extra_body",
}


def add_backend_flags(parser: argparse.ArgumentParser | Any) -> None:
    """``--backend``, ``--model`` and the backends' own settings (passed only when typed)."""
    group = parser.add_argument_group("model backend")
    group.add_argument("--model", metavar="MODEL", help="Model folder or hub id (hf), served name (openai), "
                       "script file (scripted).")
    group.add_argument("--backend", metavar="NAME", default="hf",
                       help="Generation backend: hf, vllm (in-process), openai, scripted, or an installed plugin's "
                            "(default hf).")
    group.add_argument("--base-url", dest="base_url", metavar="URL", action="append", default=argparse.SUPPRESS,
                       help="openai: server base URL ending in /v1; repeat for replicas.")
    group.add_argument("--concurrency", type=int, metavar="N", default=argparse.SUPPRESS,
                       help="openai: requests in flight (default 64).")
    group.add_argument("--timeout", type=float, metavar="S", default=argparse.SUPPRESS,
                       help="openai: seconds to wait for a reply (default 600).")
    group.add_argument("--max-retries", dest="max_retries", type=int, metavar="N", default=argparse.SUPPRESS,
                       help="openai: retries per request (default 6).")
    group.add_argument("--extra-body", dest="extra_body", metavar="JSON", default=argparse.SUPPRESS,
                       help="openai: JSON object merged into every request.")
    group.add_argument("--batch-size", dest="batch_size", type=_batch_size, metavar="N|auto",
                       default=argparse.SUPPRESS,
                       help="hf: prompts per batch, or auto (the largest that fits; default 8).")
    group.add_argument("--dtype", metavar="DTYPE", default=argparse.SUPPRESS,
                       help="hf, vllm: auto, float32, bfloat16, float16.")
    group.add_argument("--device", metavar="DEVICE", default=argparse.SUPPRESS,
                       help="hf: auto, cpu, cuda, cuda:1, mps.")
    group.add_argument("--trust-remote-code", dest="trust_remote_code", action="store_true",
                       default=argparse.SUPPRESS, help="hf, vllm: run the model repository's own code.")
    group.add_argument("--engine-arg", dest="engine_arg", metavar="KEY=VALUE", action="append",
                       default=argparse.SUPPRESS,
                       help="vllm: one of vLLM's engine arguments (tensor_parallel_size=4, max_model_len=40960, "
                            "distributed_executor_backend=ray …; a JSON value or text); repeatable.")
    group.add_argument("--backend-option", dest="backend_option", metavar="KEY=VALUE", action="append",
                       default=[], help="Any backend setting by name (a JSON value or text); repeatable.")


def _batch_size(text: str) -> int | str:
    """``--batch-size``: a whole number, or auto."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number or auto") from None


def _option_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def make_backend(args: argparse.Namespace) -> Any:
    """The backend the flags ask for, through ``examqa.backend`` (settings checked by the backend)."""
    from examqa.backends import backend
    from examqa.errors import InputError

    settings: dict[str, Any] = {"model": args.model}
    for dest, setting in BACKEND_FLAGS.items():
        if hasattr(args, dest):
            settings[setting] = getattr(args, dest)
    settings.update(_key_values(args.backend_option, "--backend-option"))
    if hasattr(args, "engine_arg"):
        settings["engine_args"] = _key_values(args.engine_arg, "--engine-arg", " (e.g. tensor_parallel_size=4)")
    try:
        return backend(args.backend, **settings)
    except InputError as exc:
        raise _in_flags(exc, args.backend) from None


def _key_values(items: list[str], flag: str, example: str = "") -> dict[str, Any]:
    """Repeated ``FLAG KEY=VALUE`` items as settings (``-`` in a key read as ``_``, values typed)."""
    from examqa.errors import InputError

    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{flag} {item!r} is not KEY=VALUE{example}")
        out[key.strip().replace("-", "_")] = _option_value(value)
    return out


def _in_flags(exc: Any, name: str) -> Any:
    """A backend-settings error reworded in the flags a command-line user typed."""
    from examqa.errors import InputError

    flags = {setting: "--" + dest.replace("_", "-") for dest, setting in BACKEND_FLAGS.items()}
    flags["model"] = "--model"
    flags["engine_args"] = "--engine-arg"
    message = exc.message
    for setting, flag in flags.items():
        if message.endswith(f"takes no setting {setting!r}"):
            return InputError(f"{flag} is not a setting of --backend {name}", hint=exc.hint)
        if message.endswith(f"needs {setting}"):
            example = " URL (e.g. http://127.0.0.1:8000/v1)" if setting == "base_url" else ""
            return InputError(f"--backend {name} needs {flag}{example}")
    return exc


# ------------------------------------------------------------------------------------ progress


class ProgressBar:
    """A model run's progress on stderr: done/total, rate, accuracy so far, ETA.

    On a terminal, a rich progress bar redrawn in place. Otherwise (a log file, CI, a pipe) whole lines —
    one at the start, one per tenth of the run or half a minute, one at the end — never a bar cut to an
    assumed width (``0:… ETA 0:…``). Quiet (``--json``) off a terminal: nothing.
    """

    LINE_EVERY_S = 30.0

    def __init__(self, quiet: bool) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        console = err_console()
        self.lines = not console.is_terminal and not quiet
        self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[rate]}"), TextColumn("acc {task.fields[acc]}"),
                                 TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=console,
                                 disable=not console.is_terminal)
        self.task: Any = None
        self.out: Path | None = None
        self._done = self._correct = self._first = self._total = 0
        self._t0 = self._last_line = 0.0
        self._label = ""
        self._next_tenth = 0

    def started(self, run: RunStarted) -> None:
        """Start drawing (called once the run directory exists)."""
        import time

        self.out = run.out
        self._done, self._correct, self._first, self._total = run.done, run.correct, run.done, run.total
        self._t0 = self._last_line = time.perf_counter()
        self._label = f"{run.exam} · {Path(run.model).name} · {run.mode}"
        self._next_tenth = run.done * 10 // max(run.total, 1) + 1
        self.progress.start()
        self.task = self.progress.add_task(self._label, total=run.total, completed=run.done, rate="", acc="–")
        if self.lines:
            note(f"{self._label}: {run.done}/{run.total} done" + (" (resumed)" if run.done else ""))

    def sample(self, record: SampleRecord) -> None:
        """One more sample stored."""
        import time

        self._done += 1
        self._correct += bool(record.correct)
        now = time.perf_counter()
        elapsed = now - self._t0
        new = self._done - self._first
        rate = new / elapsed if elapsed > 0 else 0.0
        acc = f"{self._correct / self._done:.1%}"
        self.progress.update(self.task, advance=1, acc=acc, rate=f"{rate:.2f} it/s" if rate else "")
        if not self.lines:
            return
        tenth = self._done * 10 // max(self._total, 1)
        if tenth >= self._next_tenth or self._done == self._total or now - self._last_line >= self.LINE_EVERY_S:
            self._next_tenth = tenth + 1
            self._last_line = now
            left = (self._total - self._done) / rate if rate else None
            note(f"{self._label}: {self._done}/{self._total} ({self._done / max(self._total, 1):.0%}), "
                 f"{rate:.2f} it/s, acc {acc}, elapsed {_clock(elapsed)}"
                 + (f", ETA {_clock(left)}" if left is not None and self._done < self._total else ""))

    def stop(self) -> None:
        """Stop drawing."""
        self.progress.stop()


def _clock(seconds: float) -> str:
    """``h:mm:ss``."""
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
