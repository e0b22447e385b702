"""The bundled samples, from any install: sample papers, answer sheets and a class, by exam id.

>>> import examqa                                                                          # doctest: +SKIP
>>> bank = examqa.samples.bank("customs-broker")         # the sample paper, loaded        # doctest: +SKIP
>>> examqa.grade_sheet("customs-broker", bank, examqa.samples.sheet("customs-broker"))   # doctest: +SKIP
>>> examqa.grade_cohort("customs-broker", bank, examqa.samples.cohort("customs-broker")) # doctest: +SKIP

The samples are short papers **written for examqa** (not copied from any exam), shipped inside the wheel
with the blueprints; a checkout reads them from ``exams/samples/``. Whatever sample papers the installed
exam data holds are offered — :func:`exams` lists them — so an exam added with its sample paper is
here without a change to this module. Every path returned exists; a missing sample is an
:class:`~examqa.errors.InputError` naming the ones there are.

Owns finding the bundled samples. May import banks and exams (for :func:`bank`); must not import sheets,
prompts, reading, backends or anything above them — and nothing in the library imports it (only ``examqa``'s
public names, the CLI and your code).
"""

from __future__ import annotations

from pathlib import Path

from examqa.banks import Bank, load_bank
from examqa.errors import InputError
from examqa.exams.resources import exams_dir

__all__ = ["bank", "cohort", "cohorts", "exams", "paper", "papers", "sheet", "sheets"]


def _samples() -> Path:
    return exams_dir() / "samples"


def papers() -> Path:
    """The folder of sample papers: one native JSON-lines file per exam id (``customs-broker.jsonl`` …).

    It is itself a multi-exam bank: ``examqa.evaluate_suite("all", examqa.samples.papers(), backend)``
    routes each file to its exam by name.
    """
    return _samples() / "papers"


def exams() -> list[str]:
    """The exam ids with a bundled sample paper, sorted."""
    folder = papers()
    return sorted(p.stem for p in folder.glob("*.jsonl")) if folder.is_dir() else []


def _missing(what: str, exam: str, have: list[str]) -> InputError:
    return InputError(f"no bundled sample {what} for {exam!r}",
                      hint=f"samples exist for: {', '.join(have) or 'none (is the exam data installed?)'}")


def paper(exam: str) -> Path:
    """The path of ``exam``'s sample paper (a native JSON-lines bank)."""
    path = papers() / f"{exam}.jsonl"
    if not path.is_file():
        raise _missing("paper", exam, exams())
    return path


def bank(exam: str) -> Bank:
    """``exam``'s sample paper, loaded (:func:`examqa.load_bank`)."""
    return load_bank(paper(exam))


def sheets() -> list[str]:
    """The exam ids with a bundled sample answer sheet, sorted."""
    return sorted(p.name.removesuffix("-sheet.csv") for p in _samples().glob("*-sheet.csv"))


def sheet(exam: str) -> Path:
    """The path of a sample answer sheet (``id,answer`` CSV) for ``exam``'s sample paper: a candidate's,
    with a blank and a double mark, that a grade shows the verdict and what it takes to pass."""
    path = _samples() / f"{exam}-sheet.csv"
    if not path.is_file():
        raise _missing("sheet", exam, sheets())
    return path


def cohorts() -> list[str]:
    """The exam ids with a bundled sample class, sorted."""
    folder = _samples() / "cohorts"
    return sorted(p.stem for p in folder.glob("*.csv")) if folder.is_dir() else []


def cohort(exam: str) -> Path:
    """The path of a sample class's answers on ``exam``'s sample paper: a wide CSV (``student``, then one
    column per item), for :func:`examqa.grade_cohort` or ``examqa grade EXAM --answers``."""
    path = _samples() / "cohorts" / f"{exam}.csv"
    if not path.is_file():
        raise _missing("class", exam, cohorts())
    return path
