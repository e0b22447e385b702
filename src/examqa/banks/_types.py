"""What a bank reader hands back: the bank, where each question came from, and what it found wrong."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from examqa.errors import InputError
from examqa.exams.models import Question

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Location:
    """Where a record starts: the file and its 1-based line."""

    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Problem:
    """One finding about a bank: an error (the bank is wrong) or a warning (it loads, but look)."""

    severity: Severity
    message: str
    path: Path | None = None
    line: int | None = None
    question_id: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line is not None else f"{self.path}: "
        return f"{where}{self.severity}: {self.message}"


def problem_order(p: Problem) -> tuple[int, str, int]:
    """Sort key: by file, then line; findings about the whole bank (no file) come last."""
    return (p.path is None, str(p.path or ""), p.line or 0)


@dataclass(frozen=True)
class Bank:
    """A loaded question bank."""

    questions: tuple[Question, ...]
    origin: Mapping[str, Location]
    """Question id → where its record starts."""
    format: str
    """The reader used: one of ``BANK_FORMATS``, or several joined by ``+`` for a mixed folder."""
    files: tuple[Path, ...]
    problems: tuple[Problem, ...] = ()
    """Non-fatal findings made while reading (warnings): known defects that still grade."""
    digests: tuple[str, ...] = field(default=(), repr=False, compare=False)
    """SHA-256 of each file's bytes as read, aligned with ``files`` (empty: hash the files now)."""
    source: Path | None = field(default=None, compare=False)
    """The file or folder it was read from (a run records it, to read the bank again for ``report``)."""
    rounds: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)
    """Question id → the sitting (회차) its record names, where the layout has one (the KIDI papers'
    ``round``). With ``Question.year`` it tells which paper an item is from (:func:`examqa.banks.papers`)."""

    def sha256(self) -> str:
        """Fingerprint of the bank for run manifests.

        One file: the SHA-256 of its bytes, so it matches ``sha256sum``. Several: the SHA-256 of their
        hex digests, one per line, in path order — stable when the folder moves, changed by any byte.
        The digests are those taken while reading, so a file edited after loading cannot slip in.
        """
        digests = self.digests or tuple(hashlib.sha256(p.read_bytes()).hexdigest() for p in self.files)
        if len(digests) == 1:
            return digests[0]
        return hashlib.sha256("\n".join(digests).encode("ascii")).hexdigest()


ROUTED_SHA_PREFIX = "examqa-routed-bank/1"


def rows_sha256(key: str, questions: Sequence[Question]) -> str:
    """SHA-256 of ``key`` and the questions' canonical content, in id order (see ``routed_sha256``)."""
    h = hashlib.sha256(f"{ROUTED_SHA_PREFIX}\n{key}\n".encode())
    for q in sorted(questions, key=lambda q: q.id):
        canonical = {
            "id": q.id, "subject": q.subject, "number": q.number, "session": q.session, "year": q.year,
            "stem": q.stem, "choices": list(q.choices), "accepted": sorted(q.accepted),
            "points": None if q.points is None else str(q.points), "label_style": q.label_style,
        }
        h.update(json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode())
        h.update(b"\n")
    return h.hexdigest()


class Sink:
    """Where readers report findings: ``strict`` raises on the first error, otherwise errors are kept.

    Loading raises (one clear line); ``validate`` collects every problem. Readers call :meth:`error`
    and then skip what they could not read, so both modes share one code path.
    """

    def __init__(self, *, strict: bool) -> None:
        self.strict = strict
        self.problems: list[Problem] = []

    def error(self, message: str, *, path: Path | None, line: int | None = None, hint: str | None = None,
              question_id: str | None = None) -> None:
        """Report an error: raise :class:`InputError` when strict, else record it."""
        if self.strict:
            raise InputError(message, path=path, line=line, hint=hint)
        text = f"{message} ({hint})" if hint else message
        self.problems.append(Problem("error", text, path, line, question_id))

    def warning(self, message: str, *, path: Path | None, line: int | None = None,
                question_id: str | None = None) -> None:
        """Record a warning; never raises."""
        self.problems.append(Problem("warning", message, path, line, question_id))

    @property
    def errors(self) -> int:
        """How many errors were recorded."""
        return sum(p.severity == "error" for p in self.problems)
