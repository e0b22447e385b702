"""Multi-exam banks: which exam each row belongs to.

A public dataset mixes licences in one file (KMMLU-Pro: 14 licences; KorMedMCQA: doctor, dentist, nurse,
pharmacist papers). :func:`route_bank` reads such a bank once and splits it into one :class:`Bank` per
installed exam. What decides a row's exam, in order:

1. the sub-folder it sits in, when the bank is a folder with one sub-folder per exam id
   (``bank/customs-broker/…``, ``bank/dentist/…``);
2. what the row itself says: KMMLU-Pro's ``license_name``, KorMedMCQA's ``subject`` column (the exam:
   doctor, dentist, nurse, pharm), a native row's ``exam`` field;
3. for a row that says nothing of its exam (a native row without ``exam``; a row in the KIDI papers'
   ``question``/``choices``/``answer`` layout, which many exported datasets share — its layout is not its
   exam): the exam asked for, when one is; else its subject, when exactly one installed exam's blueprint
   has that subject (보험업법 is a 손해사정사 subject; 회계학 is in several, so it says nothing).

A licence name matches a blueprint's ``name_ko`` or one of its ``licence_names`` (KMMLU-Pro's Korean names and
the English ones of its card, as data in the blueprint) with spaces, case and the suffixes 국가시험 / 시험 / 1차
ignored, and otherwise exactly: 한의사 is not 의사 and 약사 is not 한약사. Rows of licences no installed plugin
provides are counted by name in :attr:`RoutedBank.unrouted`, never dropped silently.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from examqa.banks._load import _Read, _read, bank_from_read
from examqa.banks._types import Bank, Location, Problem, problem_order, rows_sha256
from examqa.errors import InputError, UnknownExamError
from examqa.exams.models import Blueprint, Question
from examqa.exams.plugins import registry
from examqa.exams.scoring import choose_edition

KORMEDMCQA_EXAMS: Mapping[str, str] = {"doctor": "의사", "dentist": "치과의사", "nurse": "간호사", "pharm": "약사"}
"""KorMedMCQA's exam codes (its ``subject`` column) → the licence's Korean name, matched like a licence."""

# Stripped from the end of a licence name before matching. Only the first stage: 관세사 2차 is an essay
# exam, a different paper, and must not land in the 1차 blueprint.
_SUFFIXES = ("국가시험", "자격시험", "시험", "(1차)", "제1차", "1차")



def licence_key(name: str) -> str:
    """A licence name reduced for matching: NFC, no spaces, no trailing 국가시험 / 시험 / 1차."""
    key = "".join(unicodedata.normalize("NFC", name).split()).casefold()
    stripped = True
    while stripped:
        stripped = False
        for suffix in _SUFFIXES:
            if key.endswith(suffix) and len(key) > len(suffix):
                key = key[: -len(suffix)]
                stripped = True
    return key


@dataclass(frozen=True)
class _ExamBank(Bank):
    """One exam's rows out of a multi-exam bank; its fingerprint is of those rows, not of the files."""

    exam: str = ""

    def sha256(self) -> str:
        """Fingerprint of the routed rows: see :func:`routed_sha256`."""
        return routed_sha256(self.exam, self.questions)


def routed_sha256(exam: str, questions: Sequence[Question]) -> str:
    """SHA-256 of an exam id and its questions' canonical content, in id order.

    A routed bank is a slice of one or more files, so the files' hash would change whenever a row of
    *another* licence changed, and a resumed run would be refused for nothing. This hash changes with
    anything that grades or prompts (id, subject, stem, choices, key, points, number, session, year,
    label style) and with nothing else: not with other licences' rows, row order, file layout or bytes
    such as whitespace between JSON fields.
    """
    return rows_sha256(exam, questions)


@dataclass(frozen=True)
class RoutedBank:
    """A multi-exam bank split by exam."""

    banks: dict[str, Bank]
    """Exam id → the bank of its rows: the exams asked for, or every exam the file holds rows for."""
    unrouted: dict[str, int]
    """Licence or exam name that no installed plugin provides → row count (e.g. ``{"변호사": 150}``)."""
    not_selected: dict[str, int]
    """Installed exam id with rows in the bank that was not asked for → row count."""
    format: str
    """The readers used, joined by ``+`` when the files differ."""
    unknown_subjects: dict[str, dict[str, int]] = field(default_factory=dict)
    """Exam id → subject the exam's blueprint does not know → row count. ``score`` refuses such rows:
    add an alias to the blueprint or rewrite the subject (KorMedMCQA names no subject at all)."""


def route_bank(path: Path | str, exams: Sequence[str] | None = None, fmt: str | None = None) -> RoutedBank:
    """Read the bank at ``path`` and split its rows by exam (see the module docstring for the rules).

    ``exams`` limits the result to those exam ids (each must be installed and hold rows); rows of other
    installed exams are counted in ``not_selected``. Each routed :class:`Bank` keeps the file and line of
    every row, grades with :func:`examqa.exams.scoring.score` like :func:`load_bank`'s, and fingerprints its
    own rows (:func:`routed_sha256`). Raises :class:`~examqa.errors.InputError` on the first bad record,
    on a row that names no exam and sits in no exam folder, on a row whose exam contradicts its folder,
    and when no row belongs to an installed exam (or to one asked for).
    """
    root = Path(path)
    catalogue = {exam_id: entry.blueprint for exam_id, entry in registry().items()}
    wanted = _wanted(exams, catalogue)
    return _route(_read(root, fmt, strict=True), root, catalogue, wanted)


def bank_for_exam(path: Path | str, exam: str, fmt: str | None = None) -> tuple[Bank, RoutedBank | None]:
    """The bank of ``exam``'s rows at ``path``, read once, and how it was routed (None: not at all).

    A bank whose rows name no exam (native rows without ``exam``, no exam sub-folders) is all ``exam``'s,
    exactly as :func:`load_bank` reads it. So is a bank whose rows all name ``exam``. A bank that also
    holds other exams' rows (a KMMLU-Pro file of 14 licences, a folder per exam) gives ``exam``'s rows,
    with the rest counted in the returned :class:`RoutedBank`.
    """
    root = Path(path)
    catalogue = {exam_id: entry.blueprint for exam_id, entry in registry().items()}
    wanted = _wanted([exam], catalogue)
    read = _read(root, fmt, strict=True)
    folders = _exam_folders(root, catalogue)
    if not folders and all(_label(q, read.origin[q.id], read)[0] is None for q in read.questions):
        return bank_from_read(read, root), None
    routed = _route(read, root, catalogue, wanted)
    if not routed.unrouted and not routed.not_selected:
        return bank_from_read(read, root), None  # every row is this exam's: keep the files' own hash
    return routed.banks[exam], routed


def _route(read: _Read, root: Path, catalogue: Mapping[str, Blueprint], wanted: list[str] | None) -> RoutedBank:
    """Split what one pass over the files read by exam (see :func:`route_bank`)."""
    resolver = _Resolver(catalogue)
    folders = _exam_folders(root, catalogue)
    asked = wanted[0] if wanted is not None and len(wanted) == 1 else None

    rows: dict[str, list[Question]] = {}
    unrouted: Counter[str] = Counter()
    for q in read.questions:
        where = read.origin[q.id]
        exam, name = _route_one(q, where, read, root, folders, resolver, asked)
        if exam is None:
            unrouted[name] += 1
        else:
            rows.setdefault(exam, []).append(q)

    if not rows:
        found = _listing(unrouted) or "none"
        raise InputError(f"no rows for an installed exam (rows by licence: {found})", path=root,
                         hint=f"installed exams: {', '.join(sorted(catalogue))}")
    selected = list(rows) if wanted is None else wanted
    missing = [e for e in selected if e not in rows]
    if missing:
        held = _listing(Counter({e: len(qs) for e, qs in rows.items()}) + unrouted)
        raise InputError(f"no rows for {', '.join(missing)} in this bank (it holds: {held})", path=root,
                         hint="check the exam ids, or the licence names in the bank")
    banks: dict[str, Bank] = {}
    unknown: dict[str, dict[str, int]] = {}
    for exam in selected:
        bank, odd = _exam_bank(exam, rows[exam], read, catalogue[exam], root)
        banks[exam] = bank
        if odd:
            unknown[exam] = odd
    not_selected = {e: len(qs) for e, qs in rows.items() if e not in banks}
    return RoutedBank(banks=banks, unrouted=dict(unrouted), not_selected=not_selected,
                      format="+".join(read.formats), unknown_subjects=unknown)


# --------------------------------------------------------------------------------------------- helpers


def _wanted(exams: Sequence[str] | None, catalogue: Mapping[str, Blueprint]) -> list[str] | None:
    if exams is None:
        return None
    wanted = list(dict.fromkeys(exams))
    if not wanted:
        raise InputError("no exams asked for", hint="pass exam ids, or None for every exam in the bank")
    for exam in wanted:
        if exam not in catalogue:
            known = ", ".join(sorted(catalogue)) or "none installed"
            raise UnknownExamError(f"unknown exam {exam!r}; known exams: {known} (see `examqa exams`)")
    return wanted


class _Resolver:
    """Licence name or exam id → installed exam id, or None when no plugin provides it."""

    def __init__(self, catalogue: Mapping[str, Blueprint]) -> None:
        self._ids = set(catalogue)
        self._catalogue = catalogue
        self._by_key: dict[str, list[str]] = {}
        self._subjects: dict[str, str | None] = {}
        for exam_id, bp in catalogue.items():
            for name in dict.fromkeys(licence_key(n) for n in (bp.name_ko, *bp.licence_names)):
                self._by_key.setdefault(name, []).append(exam_id)

    def by_subject(self, subject: str) -> str | None:
        """The one installed exam whose blueprint (any edition) has ``subject``; None when none or several."""
        if subject not in self._subjects:
            having = [exam_id for exam_id, bp in self._catalogue.items()
                      if any(ed.subject(subject) is not None for ed in bp.editions)]
            self._subjects[subject] = having[0] if len(having) == 1 else None
        return self._subjects[subject]

    def __call__(self, label: str, where: Location) -> str | None:
        if label in self._ids:
            return label
        found = self._by_key.get(licence_key(label), [])
        if len(found) > 1:
            raise InputError(f"licence {label!r} matches several installed exams ({', '.join(sorted(found))})",
                             path=where.path, line=where.line, hint="name the exam id in an \"exam\" field")
        return found[0] if found else None


def _exam_folders(root: Path, catalogue: Mapping[str, Blueprint]) -> set[str]:
    """The sub-folders (or top-level files, by stem) of ``root`` that hold one exam each, or none when the
    layout is not one-per-exam.

    The layout counts as one-per-exam when at least one sub-folder is named after an installed exam;
    then every sub-folder is an exam folder, so rows of an exam no plugin provides (``bank/lawyer/``)
    are counted by the folder's name rather than refused.
    """
    if not root.is_dir():
        return set()
    subs = {p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")}
    # A file named after an exam id at the top (customs-broker.jsonl) is that exam's, like a folder.
    files = {p.stem for p in root.iterdir() if p.is_file() and p.stem in catalogue}
    return (subs | files) if (subs | files) & set(catalogue) else set()


def _label(q: Question, where: Location, read: _Read) -> tuple[str | None, list[str]]:
    """The exam name a row carries, and the spellings to try for it.

    Whatever the reader reported comes first (a native ``exam`` field, KMMLU-Pro's ``license_name``, or
    what a third-party format's converter names); two built-in layouts say it another way.
    """
    named = read.exam_ids.get(q.id) or read.exam_names.get(q.id)
    if named:
        return named, [named]
    fmt = read.file_format.get(where.path)
    if fmt == "kormedmcqa":  # its subject column is the exam (doctor, dentist, nurse, pharm)
        korean = KORMEDMCQA_EXAMS.get(q.subject.strip().lower())
        return q.subject, [q.subject] + ([korean] if korean else [])
    return None, []  # a layout is not an exam: the KIDI papers' layout is also customs brokers' exports


def _route_one(q: Question, where: Location, read: _Read, root: Path, folders: set[str],
               resolve: _Resolver, asked: str | None = None) -> tuple[str | None, str]:
    """(exam id or None, the name to count it under when None)."""
    label, spellings = _label(q, where, read)
    target = next((t for t in (resolve(s, where) for s in spellings) if t is not None), None)
    parts = where.path.relative_to(root).parts if root.is_dir() else ()
    folder = parts[0] if len(parts) > 1 and parts[0] in folders else None
    if len(parts) == 1 and Path(parts[0]).stem in folders:  # a top-level file named after its exam
        folder = Path(parts[0]).stem
    if folder is not None:
        folder_exam = resolve(folder, where)
        if label is None:
            return folder_exam, folder
        if folder_exam is not None and target != folder_exam:
            says = f"{label!r}" + (f" ({target})" if target and target != label else "")
            raise InputError(f"question {q.id!r} is a {says} row, but it sits in the {folder}/ folder",
                             path=where.path, line=where.line, hint="move the file, or fix the row's exam")
        if folder_exam is not None:
            return folder_exam, folder
    if label is None and asked is not None:
        return asked, asked  # a row that says nothing belongs to the exam asked for
    if label is None:
        by_subject = resolve.by_subject(q.subject)
        if by_subject is not None:
            return by_subject, by_subject
        hint = "add an \"exam\" field (an exam id, e.g. customs-broker)"
        if read.file_format.get(where.path) == "kmmlu-pro":
            hint = "KMMLU-Pro rows name their licence in license_name"
        raise InputError(f"question {q.id!r} does not say which exam it belongs to", path=where.path,
                         line=where.line, hint=f"{hint}, or put the file in a sub-folder named after the exam")
    return target, label


def _exam_bank(exam: str, questions: list[Question], read: _Read, blueprint: Blueprint,
               root: Path | None = None) -> tuple[Bank, dict[str, int]]:
    ids = {q.id for q in questions}
    origin = {q.id: read.origin[q.id] for q in questions}
    used = {loc.path for loc in origin.values()}
    files = [(f, d) for f, d in zip(read.files, read.digests, strict=True) if f in used]
    formats = [f for f in read.formats if any(read.file_format.get(p) == f for p in used)]
    problems = [p for p in read.sink.problems
                if p.question_id in ids or (p.question_id is None and p.path in used)]
    edition = choose_edition(blueprint, questions, None)
    odd = Counter(q.subject for q in questions if edition.subject(q.subject) is None)
    for subject, n in odd.items():
        first = next(q for q in questions if q.subject == subject)
        where = origin[first.id]
        problems.append(Problem("warning", f"{n} {exam} row(s) have subject {subject!r}, which edition "
                                f"{edition.id} does not know: scoring refuses them (add an alias to the "
                                "blueprint or rewrite the subject)", where.path, where.line, first.id))
    bank = _ExamBank(questions=tuple(questions), origin=origin, format="+".join(formats),
                     files=tuple(f for f, _ in files), problems=tuple(sorted(problems, key=problem_order)),
                     digests=tuple(d for _, d in files), exam=exam, source=root,
                     rounds={q.id: read.rounds[q.id] for q in questions if q.id in read.rounds})
    return bank, dict(odd)


def _listing(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{name} {n}" for name, n in counts.items())


def route_notes(routed: RoutedBank | None) -> list[str]:
    """What a multi-exam bank held besides the exam graded, in words (never dropped silently)."""
    if routed is None:
        return []
    notes = []
    if routed.unrouted:
        held = ", ".join(f"{name} {n}" for name, n in sorted(routed.unrouted.items()))
        notes.append(f"the bank also holds rows no installed plugin provides (not graded): {held}")
    if routed.not_selected:
        held = ", ".join(f"{name} {n}" for name, n in sorted(routed.not_selected.items()))
        notes.append(f"the bank also holds rows of other exams (not asked for): {held}")
    return notes
