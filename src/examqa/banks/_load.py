"""Loading a bank (file or folder) and validating it against a blueprint."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from examqa.banks._checks import lost_spaces_warning, question_warnings
from examqa.banks._records import read_records
from examqa.banks._registry import check_format, converter_for, detect_format
from examqa.banks._types import Bank, Location, Problem, Sink, problem_order
from examqa.errors import InputError
from examqa.exams.models import Blueprint, Edition, Question
from examqa.exams.scoring import choose_edition

BANK_SUFFIXES = (".jsonl", ".json", ".csv")
FORMAT_HINT = "name it with --bank-format (`examqa exams --plugins` lists them); see docs/banks.md"


@dataclass
class _Read:
    """Everything one pass over the files found."""

    sink: Sink
    files: list[Path] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    origin: dict[str, Location] = field(default_factory=dict)
    file_format: dict[Path, str] = field(default_factory=dict)
    exam_names: dict[str, str] = field(default_factory=dict)
    exam_ids: dict[str, str] = field(default_factory=dict)
    """Question id → the native ``exam`` field, where the record has one."""
    rounds: dict[str, int] = field(default_factory=dict)
    """Question id → the sitting (회차) the record names."""


def bank_files(path: Path) -> list[Path]:
    """The bank files at ``path``: the file itself, or every ``.jsonl``, ``.json``, ``.csv`` in the folder.

    Sorted by relative path; hidden folders and files (``.ipynb_checkpoints``, ``.git``) are skipped.
    """
    if not path.exists():
        raise InputError("no such file or folder", path=path, hint="give a bank file or a folder of them")
    if path.is_file():
        return [path]
    found = [
        p for p in path.rglob("*")
        if p.is_file() and p.suffix.lower() in BANK_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
    ]
    if not found:
        raise InputError(f"no bank files ({', '.join(BANK_SUFFIXES)}) in this folder", path=path)
    return sorted(found, key=lambda p: p.relative_to(path).as_posix())


def _read(path: Path, fmt: str | None, *, strict: bool) -> _Read:
    if fmt is not None:
        check_format(fmt)
    out = _Read(Sink(strict=strict))
    sink = out.sink
    for file in bank_files(path):
        before = sink.errors
        raw = read_records(file, sink)
        if raw is None:
            continue
        out.files.append(file)
        out.digests.append(raw.digest)
        if not raw.records:
            if sink.errors == before:  # an unreadable file has said why already
                sink.warning("no questions in this file", path=file)
            continue
        name = fmt or detect_format(raw.records[0])
        if name is None:
            keys = ", ".join(sorted(raw.records[0].data))[:120]
            sink.error(f"cannot tell which bank format this is (fields: {keys})", path=file,
                       line=raw.records[0].line, hint=FORMAT_HINT)
            continue
        out.file_format[file] = name
        if name not in out.formats:
            out.formats.append(name)
        convert = converter_for(name)
        in_file: list[tuple[Question, Location]] = []
        for record in raw.records:
            done = convert(record, file, sink)
            if done is None:
                continue
            q = done.question
            here = Location(file, record.line)
            if q.id in out.origin:
                sink.error(f"duplicate id {q.id!r}: also at {out.origin[q.id]}", path=file, line=record.line,
                           hint="ids must be unique across the bank", question_id=q.id)
                continue
            out.origin[q.id] = here
            out.questions.append(q)
            in_file.append((q, here))
            if done.exam_name is not None:
                out.exam_names[q.id] = done.exam_name
            if done.exam_id is not None:
                out.exam_ids[q.id] = done.exam_id
            if done.round is not None:
                out.rounds[q.id] = done.round
            for note in done.warnings:
                sink.warning(note, path=file, line=record.line, question_id=q.id)
            question_warnings(q, here, sink)
        lost_spaces_warning(in_file, file, sink)
    if not out.questions and not sink.errors:
        sink.error("no questions found", path=path, hint="check the files hold records")
    return out


def load_bank(path: Path | str, fmt: str | None = None) -> Bank:
    """Read the bank at ``path`` (a file, or a folder read recursively in sorted order).

    Each file's format is told from its content unless ``fmt`` names one. The first fatal problem
    raises :class:`~examqa.errors.InputError` naming the file and line; known defects that still grade
    (empty choice texts, a stem run into the choices…) are kept as warnings in ``Bank.problems``.
    """
    return bank_from_read(_read(Path(path), fmt, strict=True), Path(path))


def bank_from_read(read: _Read, source: Path | None = None) -> Bank:
    """The whole of what one pass over the files read, as a :class:`Bank` (read from ``source``)."""
    return Bank(
        questions=tuple(read.questions),
        origin=dict(read.origin),
        format="+".join(read.formats),
        files=tuple(read.files),
        problems=tuple(sorted(read.sink.problems, key=problem_order)),
        digests=tuple(read.digests),
        source=source,
        rounds=dict(read.rounds),
    )


def validate_bank(path: Path | str, blueprint: Blueprint, fmt: str | None = None,
                  edition: str | None = None, paper: str | int | None = None) -> list[Problem]:
    """Every problem with the bank at ``path``, as read and against ``blueprint``, sorted by file and line.

    Unlike :func:`load_bank` it does not stop at the first error: a bad record is reported and skipped.
    Against the blueprint's edition (named, else the one in force in the bank's year) it reports
    subjects the exam lacks (errors), items with more choices than the subject has (errors) or fewer
    (warnings: a choice lost in extraction still grades), a bank that holds more than one paper's items
    (an error naming the papers: a verdict is about one; ``paper`` checks that one alone), per-subject
    item counts that differ, subjects with no items, and repeated item numbers (warnings). A path that
    does not exist, an unknown ``fmt`` or a ``paper`` the bank does not hold still raise
    :class:`~examqa.errors.InputError`.
    """
    from examqa.banks._papers import one_paper

    root = Path(path)
    read = _read(root, fmt, strict=False)
    sink = read.sink
    if not read.questions:
        return sorted(sink.problems, key=problem_order)
    whole = bank_from_read(read, root)
    try:
        bank = one_paper(whole, blueprint, paper, edition=edition)
    except InputError as exc:
        if paper is not None:
            raise  # a paper the bank does not hold: the command line was wrong, not the bank
        sink.error(exc.message, path=None, hint=exc.hint)
        bank = whole
    if bank is not whole:  # one paper: its rows, and only the findings about them (select kept those)
        read.questions = list(bank.questions)
        read.origin = dict(bank.origin)
        sink.problems = list(bank.problems)
    _check_blueprint(read, blueprint, choose_edition(blueprint, read.questions, edition), edition)
    return sorted(sink.problems, key=problem_order)


def _check_blueprint(read: _Read, blueprint: Blueprint, ed: Edition, edition_id: str | None) -> None:
    sink = read.sink
    names = ", ".join(s.name for s in ed.subjects)
    unknown: dict[tuple[Path, str], list[Question]] = defaultdict(list)
    counts: Counter[tuple[int | None, str]] = Counter()
    numbers: dict[tuple[int | None, int | None, str, int], str] = {}
    for q in read.questions:
        where = read.origin[q.id]
        spec = ed.subject(q.subject)
        if spec is None:
            unknown[(where.path, q.subject)].append(q)
            continue
        counts[(q.year, spec.name)] += 1
        if spec.choices is not None and len(q.choices) != spec.choices:
            if len(q.choices) > spec.choices:
                sink.error(f"question {q.id!r} has {len(q.choices)} choices; {spec.name} items have "
                           f"{spec.choices}", path=where.path, line=where.line, question_id=q.id,
                           hint="is this bank for another exam?")
            else:
                sink.warning(f"question {q.id!r} has {len(q.choices)} choices; {spec.name} items have "
                             f"{spec.choices} (a choice lost in extraction?); it still grades on its key",
                             path=where.path, line=where.line, question_id=q.id)
        if q.number is not None:
            key = (q.year, q.session, spec.name, q.number)
            if key in numbers:
                sink.warning(f"question {q.id!r}: {spec.name} item number {q.number} is also question "
                             f"{numbers[key]!r}", path=where.path, line=where.line, question_id=q.id)
            else:
                numbers[key] = q.id
        if edition_id is not None and q.year is not None and not ed.covers(q.year):
            sink.warning(f"question {q.id!r} is from {q.year}, outside edition {ed.id}",
                         path=where.path, line=where.line, question_id=q.id)
        if spec.accredited:
            sink.warning(f"question {q.id!r}: {spec.name} is met by an accredited score; its items are not "
                         "graded", path=where.path, line=where.line, question_id=q.id)

    for (path, subject), qs in unknown.items():
        first = read.origin[qs[0].id]
        hint = "fix the subject names, or add an alias to the blueprint"
        if read.file_format.get(path) == "kormedmcqa":
            hint = ("KorMedMCQA's subject column names the exam (doctor, dentist, nurse, pharm), not the "
                    "paper's subject; rewrite it to a blueprint subject")
        sink.error(f"subject {subject!r} is not in {blueprint.id} edition {ed.id} ({len(qs)} item(s); its "
                   f"subjects: {names})", path=path, line=first.line, hint=hint)

    graded = [s for s in ed.subjects if not s.accredited]
    years = sorted({y for y, _ in counts}, key=lambda y: (y is None, y or 0))
    held = {name for _, name in counts}
    # a merged group's label covers its subjects; one elective of a slot covers the others (one is sat)
    covered = {m for g in ed.floor_groups if g.name in held for m in g.subjects}
    covered |= {s.name for s in graded if s.elective is not None
                and any(o.elective == s.elective and o.name in held for o in graded)}
    for spec in graded:
        if spec.name not in held:
            if spec.name not in covered:
                sink.warning(f"no items for {spec.name}: the verdict will cover only the subjects the bank holds",
                             path=None)
            continue
        if spec.items is None:
            continue
        for year in years:
            n = counts.get((year, spec.name), 0)
            if n and n != spec.items:
                paper = f"{year} " if year is not None else ""
                sink.warning(f"{paper}{spec.name}: {n} item{'s' if n != 1 else ''}, the blueprint says "
                             f"{spec.items}", path=None)

    expected = ["".join(n.split()).casefold() for n in (blueprint.name_ko, *blueprint.licence_names)]
    foreign = Counter(name for name in read.exam_names.values()
                      if not any(e.startswith("".join(name.split()).casefold()) for e in expected))
    for name, n in sorted(foreign.items()):
        sink.warning(f"{n} item(s) are from {name} (license_name), not {blueprint.name_ko}", path=None)
