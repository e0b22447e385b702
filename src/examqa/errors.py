"""One error hierarchy for examqa.

Every error a user can cause is an :class:`ExamqaError`; its ``str()`` is one line that names the file
and line (when there is one) and what to do. The CLI maps the classes to exit codes in one place
(:func:`examqa.cli.main`): user errors exit 2, anything else is a bug and exits 1. (Exit 3 is not an
error: a model run that ended with samples still failed — ``--resume`` finishes it.)

::

    ExamqaError                    every error examqa raises on purpose (exit 2)
    ├── InputError                 a bad file, answer, option value or id; .path, .line, .hint
    │   └── UsageError             a mistyped command line (unknown option, missing argument)
    ├── UnknownExamError           an exam id no installed plugin provides
    ├── PluginError                a plugin (exam, backend, bank format, grader) failed to load
    ├── TemplateError              a prompt template is missing or fails to render
    ├── RunConfigMismatch          --resume with a configuration that differs from the stored run
    ├── RunStoreError              a run directory in use by another examqa process, or not writable (disk
    │                              full, permission denied): names the path; what was written is kept
    └── BackendError               a backend cannot be set up: a missing model, a dead server
        ├── MissingExtraError      an optional dependency is missing; names the pip install
        └── GenerationError        one question (solve/stream) could not be answered by the backend

    ExamqaWarning                  something worth knowing that does not stop the work (a UserWarning)
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path


class ExamqaError(Exception):
    """Base class of every error examqa raises on purpose."""

    exit_code = 2


class InputError(ExamqaError):
    """Bad input: a malformed or inconsistent file, an out-of-range answer, a duplicate id.

    ``path`` and ``line`` (1-based) locate the problem; ``hint`` says what to do about it.
    """

    def __init__(self, message: str, *, path: Path | str | None = None, line: int | None = None,
                 hint: str | None = None) -> None:
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line is not None else f"{self.path}: "
        tail = f" ({self.hint})" if self.hint else ""
        return f"{where}{self.message}{tail}"


class UsageError(InputError):
    """A mistyped command line: an unknown option, a missing argument, a value of the wrong type."""


class UnknownExamError(ExamqaError):
    """An exam id that no installed plugin provides."""


class PluginError(ExamqaError):
    """A plugin failed to load or provides an inconsistent blueprint."""


class TemplateError(ExamqaError):
    """A prompt template is missing, fails to render, or uses an undefined variable."""


class RunConfigMismatch(ExamqaError):
    """``--resume`` was asked with a configuration that differs from the stored run."""


class RunStoreError(ExamqaError):
    """A run directory cannot be used: another examqa process is writing it, or writing it failed (a full
    disk, no permission, a read-only file system). The message names the path; samples already stored stay."""

    def __init__(self, message: str, *, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else None
        super().__init__(message)


class BackendError(ExamqaError):
    """A backend could not be set up (a missing model folder, a dead server, a missing extra)."""


class MissingExtraError(BackendError):
    """An optional dependency is not installed; the message names the ``pip install`` that fixes it."""

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(
            f"{module} is not installed; install it with: pip install 'examqa[{extra}]'"
        )


class GenerationError(BackendError):
    """The backend could not answer one question (``solve``/``stream``): the server failed every retry.

    A whole-paper run never raises it: failed samples are stored in ``errors.jsonl`` and the run ends
    *incomplete* (exit 3) for ``--resume`` to finish.
    """


class ExamqaWarning(UserWarning):
    """Something worth knowing that does not stop a run (a bank with warnings, greedy self-consistency)."""


_NOT_THE_CALLER = ("examqa", "asyncio", "concurrent", "threading", "contextvars")


def warn(message: str, *, path: Path | str | None = None) -> None:
    """Issue an :class:`ExamqaWarning` shown at the caller's own line, not examqa's.

    The line is the first frame outside examqa (and outside the event loop or thread machinery that may
    run examqa's code): ``script.py:12: ExamqaWarning: …``. Where there is none — a run driven on a
    worker thread — it is shown at ``path`` (the bank file the warning is about), never as ``sys:1``.
    """
    frame = sys._getframe(1)
    while frame is not None and str(frame.f_globals.get("__name__", "")).split(".")[0] in _NOT_THE_CALLER:
        frame = frame.f_back  # type: ignore[assignment]
    if frame is not None:
        registry = frame.f_globals.setdefault("__warningregistry__", {})
        warnings.warn_explicit(message, ExamqaWarning, frame.f_code.co_filename, frame.f_lineno,
                               module=str(frame.f_globals.get("__name__", "")), registry=registry)
    else:
        warnings.warn_explicit(message, ExamqaWarning, str(path) if path is not None else "examqa", 1)
