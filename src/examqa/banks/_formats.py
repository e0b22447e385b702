"""The bank formats: how a raw record of each becomes a :class:`~examqa.exams.models.Question`.

- ``native`` — examqa's own JSON lines (see ``docs/banks.md``); strict: unknown fields are errors.
- ``kmmlu-pro`` — LG AI Research's KMMLU-Pro rows: ``question``, ``options``, ``solution`` (1-based),
  ``subject``, ``license_name``.
- ``kormedmcqa`` — ``sean0042/KorMedMCQA`` rows: ``subject`` (the exam: doctor, dentist, nurse, pharm),
  ``year``, ``period`` (교시), ``q_number``, ``question``, ``A``–``E``, ``answer`` (1-based).
- ``loss-adjuster`` — the KIDI papers' layout: ``id``, ``year``, ``round``, ``subject``, ``num``,
  ``question``, ``choices``, ``answer``, optional ``accept`` (every accepted choice; it overrides
  ``answer``), ``explanation``, ``source``.

The foreign formats ignore columns they do not use (datasets grow columns); the native one does not,
so that a typo in a hand-written bank is an error rather than a silently dropped fact.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import ValidationError

from examqa.banks._records import RawRecord
from examqa.banks._types import Sink
from examqa.exams.models import Question, to_fraction

BANK_FORMATS = ("native", "kmmlu-pro", "kormedmcqa", "loss-adjuster")
"""The bank readers, by the name ``--bank-format`` takes."""

NATIVE_REQUIRED = ("id", "subject", "stem", "choices", "answer")
NATIVE_OPTIONAL = ("number", "session", "year", "points", "label_style", "exam")
KMMLU_REQUIRED = ("question", "options", "solution")
KORMED_REQUIRED = ("subject", "question", "A", "B", "answer")
LOSS_REQUIRED = ("id", "subject", "question", "choices", "answer")
KORMED_LETTERS = "ABCDE"


@dataclass(frozen=True)
class Converted:
    """A question, and the exam its record names: KMMLU-Pro's ``license_name``, or a native ``exam``."""

    question: Question
    exam_name: str | None = None
    warnings: tuple[str, ...] = ()
    exam_id: str | None = None
    """The native ``exam`` field: an exam id (or name) that routes the row in a multi-exam bank."""
    round: int | None = None
    """The sitting (회차) the record names, where the layout has one: with the year, which paper it is from."""


Converter = Callable[[RawRecord, Path, Sink], "Converted | None"]


@runtime_checkable
class BankFormat(Protocol):
    """A bank layout: which records are its own, and how one becomes a question.

    Registered as a zero-argument factory in the ``examqa.bank_formats`` entry-point group; the
    built-in formats are registered there the same way. ``priority`` orders detection (lower first;
    the built-ins use 10–40, so a third-party format that must win sets less). ``convert`` returns a
    :class:`~examqa.exams.models.Question` or a :class:`Converted` (with the exam the record names, for
    multi-exam banks) and raises :class:`RecordError` for a record it cannot read.
    """

    @property
    def name(self) -> str:
        """The name ``--bank-format`` takes."""
        ...

    @property
    def priority(self) -> int:
        """Detection order: lower is tried first."""
        ...

    def detect(self, record: Mapping[str, Any]) -> bool:
        """Whether a file whose first record is ``record`` is in this format."""
        ...

    def convert(self, record: Mapping[str, Any], path: Path, line: int) -> Converted | Question:
        """The question ``record`` (at ``path:line``) holds."""
        ...


class RecordError(Exception):
    """A record that cannot become a question. A :class:`BankFormat` raises it; the reader reports it
    with the file and line (``validate`` collects them all, loading stops at the first)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def _is_native(keys: set[str]) -> bool:
    # the second test lets a misspelt stem be reported as an unknown native field
    return "stem" in keys or ({"id", "choices", "answer"} <= keys and "question" not in keys)


def _is_kmmlu_pro(keys: set[str]) -> bool:
    return {"options", "solution"} <= keys


def _is_kormedmcqa(keys: set[str]) -> bool:
    return "q_number" in keys or {"question", "A", "B", "answer"} <= keys


def _is_loss_adjuster(keys: set[str]) -> bool:
    return {"question", "choices"} <= keys


# --------------------------------------------------------------------------------------------- field readers


def _require(data: dict[str, Any], names: tuple[str, ...]) -> None:
    missing = [n for n in names if n not in data or data[n] is None]
    if missing:
        listed = ", ".join(repr(n) for n in missing)
        raise RecordError(f"missing field{'s' if len(missing) > 1 else ''} {listed}",
                   hint=f"each record needs {', '.join(names)}")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any, name: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # a number where text belongs (an id written as 17) is still readable
    raise RecordError(f"field {name!r} must be text, not {type(value).__name__}")


def _whole(value: Any, name: str) -> int:
    """A whole number from JSON (``3``, ``3.0``) or CSV text (``"3"``)."""
    if isinstance(value, bool):
        raise RecordError(f"field {name!r} must be a whole number, not {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)  # pandas writes integer columns with gaps as floats: 2016.0
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit() and value.strip().isascii():
        return int(value.strip())
    raise RecordError(f"field {name!r} must be a whole number, not {value!r}")


def _optional_whole(data: dict[str, Any], name: str) -> int | None:
    value = data.get(name)
    return None if _blank(value) else _whole(value, name)


def _choice_list(value: Any, name: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = _list_from_text(value, name)
    if not isinstance(value, list):
        raise RecordError(f"field {name!r} must be a list of choice texts, not {type(value).__name__}")
    return tuple(_text("" if v is None else v, f"{name}[{i}]") for i, v in enumerate(value))


def _list_from_text(text: str, name: str) -> Any:
    """A list stored in one CSV cell: JSON (``["a", "b"]``) or a Python repr (``['a', 'b']``, pandas)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError) as exc:
        raise RecordError(f"field {name!r} is not a list: {text[:40]!r}",
                   hint='write it as a JSON list, e.g. ["first", "second"]') from exc


def _build(*, id: str, subject: str, stem: str, choices: tuple[str, ...], accepted: set[int],
           number: int | None = None, session: int | None = None, year: int | None = None,
           points: Any = None, label_style: Literal["number", "letter"] = "number") -> Question:
    """Check what the messages should word themselves, then let the model check the rest."""
    if not id.strip():
        raise RecordError("empty id")
    if not subject.strip():
        raise RecordError(f"question {id!r} has an empty subject")
    if len(choices) < 2:
        raise RecordError(f"question {id!r} has {len(choices)} choice{'s' if len(choices) != 1 else ''}; "
                   "a question needs at least 2")
    bad = sorted(k for k in accepted if not 1 <= k <= len(choices))
    if bad:
        keys = ", ".join(map(str, bad))
        raise RecordError(f"question {id!r}: answer key {keys} is out of range 1–{len(choices)}",
                   hint="keys are 1-based choice numbers")
    try:
        return Question(id=id, subject=subject.strip(), number=number, session=session, year=year, stem=stem,
                        choices=choices, accepted=frozenset(accepted), points=points, label_style=label_style)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise RecordError(f"question {id!r}: {where}: {first['msg']}") from exc


# --------------------------------------------------------------------------------------------- formats


def _native(record: RawRecord, path: Path) -> Converted:
    data = record.data
    unknown = sorted(set(data) - set(NATIVE_REQUIRED) - set(NATIVE_OPTIONAL))
    if unknown:
        listed = ", ".join(repr(u) for u in unknown)
        raise RecordError(f"unknown field{'s' if len(unknown) > 1 else ''} {listed}",
                   hint=f"native fields are {', '.join(NATIVE_REQUIRED + NATIVE_OPTIONAL)}")
    _require(data, NATIVE_REQUIRED)
    qid = _text(data["id"], "id")
    choices = _choice_list(data["choices"], "choices")
    answer = data["answer"]
    accepted: set[int]
    if answer == "all":
        accepted = set(range(1, len(choices) + 1))  # 전항정답
    elif isinstance(answer, list):
        if not answer:
            raise RecordError(f"question {qid!r}: empty answer list", hint='list every accepted choice, e.g. [2, 4]')
        accepted = {_whole(a, "answer") for a in answer}  # 복수정답
    elif isinstance(answer, int) and not isinstance(answer, bool):
        accepted = {answer}
    else:
        raise RecordError(f"question {qid!r}: answer must be a choice number, a list or \"all\", not {answer!r}",
                   hint='e.g. 3, [2, 4] for 복수정답, "all" for 전항정답')
    points = data.get("points")
    if points is not None:
        try:
            points = to_fraction(points)
        except ValueError as exc:
            raise RecordError(f"question {qid!r}: points: {exc}") from exc
        if points <= 0:
            raise RecordError(f"question {qid!r}: points must be positive, not {data['points']!r}")
    style = data.get("label_style", "number")
    if style not in ("number", "letter"):
        raise RecordError(f"question {qid!r}: label_style must be \"number\" or \"letter\", not {style!r}")
    exam = None if _blank(data.get("exam")) else _text(data["exam"], "exam").strip()
    return Converted(exam_id=exam, question=_build(
        id=qid, subject=_text(data["subject"], "subject"), stem=_text(data["stem"], "stem"), choices=choices,
        accepted=accepted, number=_optional_whole(data, "number"), session=_optional_whole(data, "session"),
        year=_optional_whole(data, "year"), points=points, label_style=style))


def _kmmlu_pro(record: RawRecord, path: Path) -> Converted:
    data = record.data
    _require(data, KMMLU_REQUIRED)
    qid = _text(data["id"], "id") if not _blank(data.get("id")) else f"{path.stem}-{record.line}"
    licence = None if _blank(data.get("license_name")) else _text(data["license_name"], "license_name")
    subject = data.get("subject")
    if _blank(subject):
        if licence is None:
            raise RecordError("missing field 'subject' (and no 'license_name' to stand in)",
                       hint="KMMLU-Pro rows carry subject and license_name")
        subject = licence
    return Converted(_build(
        id=qid, subject=_text(subject, "subject"), stem=_text(data["question"], "question"),
        choices=_choice_list(data["options"], "options"), accepted={_whole(data["solution"], "solution")},
        year=_optional_whole(data, "year")), exam_name=licence)


def _kormedmcqa(record: RawRecord, path: Path) -> Converted:
    data = record.data
    _require(data, KORMED_REQUIRED)
    year = _optional_whole(data, "year")
    period = _optional_whole(data, "period")
    q_number = _optional_whole(data, "q_number")
    if not _blank(data.get("id")):
        qid = _text(data["id"], "id")
    elif year is None or period is None or q_number is None:
        raise RecordError("no 'id', and not all of 'year', 'period', 'q_number' to make one",
                   hint="KorMedMCQA rows carry year, period and q_number")
    else:
        # the exam is part of the id: doctor and nurse papers of one year share numbers.
        qid = f"{_text(data['subject'], 'subject')}-{year}-{period}-{q_number}"
    letters = [k for k in KORMED_LETTERS if k in data]
    while letters and data[letters[-1]] is None:  # a 4-choice row in JSON may carry E: null
        letters.pop()
    choices = tuple(_text("" if data[k] is None else data[k], k) for k in letters)
    # The papers number their choices ①–⑤; A–E are only the dataset's column names.
    return Converted(_build(
        id=qid, subject=_text(data["subject"], "subject"), stem=_text(data["question"], "question"),
        choices=choices, accepted={_whole(data["answer"], "answer")}, number=q_number, session=period,
        year=year))


def _loss_adjuster(record: RawRecord, path: Path) -> Converted:
    data = record.data
    _require(data, LOSS_REQUIRED)
    qid = _text(data["id"], "id")
    answer = _whole(data["answer"], "answer")
    accept = data.get("accept")
    if accept is None:
        accepted = {answer}
    else:
        if not isinstance(accept, list) or not accept:
            raise RecordError(f"question {qid!r}: 'accept' must be a non-empty list of choice numbers",
                       hint="e.g. [2, 3, 4] for 복수정답, [1, 2, 3, 4] for 전항정답")
        accepted = {_whole(a, "accept") for a in accept}  # the final key: it overrides answer
    notes: tuple[str, ...] = ()
    if answer not in accepted:
        notes = (f"question {qid!r}: answer {answer} is not among accept {sorted(accepted)}; "
                 "accept is the final key and wins",)
    # Sessions are left to the blueprint: which subject sits in which 교시 is an exam fact, kept as data.
    return Converted(_build(
        id=qid, subject=_text(data["subject"], "subject"), stem=_text(data["question"], "question"),
        choices=_choice_list(data["choices"], "choices"), accepted=accepted,
        number=_optional_whole(data, "num"), year=_optional_whole(data, "year")), warnings=notes,
        round=_optional_whole(data, "round"))


@dataclass(frozen=True)
class _Builtin:
    """A built-in :class:`BankFormat`: a key test and a reader."""

    name: str
    priority: int
    keys: Callable[[set[str]], bool]
    read: Callable[[RawRecord, Path], Converted]

    def detect(self, record: Mapping[str, Any]) -> bool:
        """Whether ``record``'s fields are this format's."""
        return self.keys(set(record))

    def convert(self, record: Mapping[str, Any], path: Path, line: int) -> Converted:
        """Read one record."""
        return self.read(RawRecord(dict(record), line), path)


def native_format() -> BankFormat:
    """Entry point of ``examqa.bank_formats``: examqa's own JSON lines."""
    return _Builtin("native", 10, _is_native, _native)


def kmmlu_pro_format() -> BankFormat:
    """Entry point of ``examqa.bank_formats``: KMMLU-Pro rows."""
    return _Builtin("kmmlu-pro", 20, _is_kmmlu_pro, _kmmlu_pro)


def kormedmcqa_format() -> BankFormat:
    """Entry point of ``examqa.bank_formats``: KorMedMCQA rows."""
    return _Builtin("kormedmcqa", 30, _is_kormedmcqa, _kormedmcqa)


def loss_adjuster_format() -> BankFormat:
    """Entry point of ``examqa.bank_formats``: the KIDI loss-adjuster papers' layout."""
    return _Builtin("loss-adjuster", 40, _is_loss_adjuster, _loss_adjuster)


def converter(fmt: BankFormat) -> Converter:
    """``fmt.convert`` with its :class:`RecordError` (or a bad return) reported at the record's line."""

    def convert(record: RawRecord, path: Path, sink: Sink) -> Converted | None:
        try:
            done = fmt.convert(record.data, path, record.line)
        except RecordError as bad:
            qid = record.data.get("id")
            sink.error(bad.message, path=path, line=record.line, hint=bad.hint,
                       question_id=qid if isinstance(qid, str) else None)
            return None
        if isinstance(done, Question):
            return Converted(done)
        if not isinstance(done, Converted):
            sink.error(f"bank format {fmt.name!r} returned {type(done).__name__}, not a Question", path=path,
                       line=record.line)
            return None
        return done

    return convert
