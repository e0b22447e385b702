"""Reading one answer cell: the one reader behind every door a mark comes through.

A CSV sheet, a ``grade_sheet`` mapping, an :class:`~examqa.exams.models.AnswerSheet`, a cohort's rows, CSV
and DataFrame all hand their cells to :func:`read_marks`, so one value means the same thing wherever it
comes from:

- **a mark**: a whole number in any numeric type or text — ``3``, ``np.int64(3)``, ``3.0`` (pandas
  writes an integer column with a gap as floats), ``Decimal("3")``, ``"3"``, ``"3.0"``, ``"③"``,
  full-width ``"３"`` — or a letter (``"B"``) on an item whose paper labels choices with letters;
- **a double mark** (it scores nothing): several of those, as a list, tuple or set, or in one text
  (``"2;4"``, ``"2|4"``, ``"2 4"``, ``"2,4"``, ``"②④"``);
- **a blank**: ``None``, ``NaN`` of any float type, pandas' ``NA`` and ``NaT``, an empty or
  whitespace-only text, the texts ``nan``, ``NA``, ``N/A``, ``<NA>``, ``None``, ``null`` (what exports
  write for a missing value), an empty list;
- **anything else** — ``3.5``, ``True``, ``"x"``, a dictionary, a number thousands of digits long — is one
  :class:`~examqa.errors.InputError` naming the item (and the file and line when there is one).

The mark's range is checked by :func:`check_marks` (the one place marks are validated) against the item's choices, or
against ``choices`` when given (the blueprint's count, for an item that lost a choice in extraction).
"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from examqa.errors import InputError

if TYPE_CHECKING:  # no runtime import: the models import this module (AnswerSheet reads its cells here)
    from examqa.exams.models import Marks, Question

ANSWER_HINT = "write a choice number (3 or ③), several for a double mark (2;4), or leave it blank"

BLANK_TEXTS = frozenset({"nan", "na", "n/a", "<na>", "none", "null", "nat"})
"""Texts read as a blank (case-insensitive): what spreadsheets and data-frame exports write for a gap."""

_SEPARATORS = re.compile(r"[\s,;|/]+")
_WHOLE = re.compile(r"([0-9]+)(?:\.0*)?")
_DECIMAL = re.compile(r"[0-9]*\.[0-9]+")
_LETTER = re.compile(r"[A-Za-z]")
_MAX_DIGITS = 9  # no item has a billion choices; longer numbers are reported without being converted


def is_blank(value: Any) -> bool:
    """Whether ``value`` is a blank answer in any of the forms above."""
    if value is None:
        return True
    if isinstance(value, str):
        text = value.strip()
        return not text or text.lower() in BLANK_TEXTS
    if isinstance(value, float | Decimal):
        return value != value  # NaN
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas.NA, pandas.NaT (pandas is never imported)
        return True
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        try:
            return math.isnan(float(value))
        except (TypeError, ValueError, OverflowError):
            return False
    return False


def read_marks(value: Any, question: Question | None = None, *, choices: int | None = None,
               qid: str | None = None, path: Path | None = None, line: int | None = None) -> Marks:
    """The 1-based choices ``value`` marks on ``question``: ``()`` blank, one, or several (a double mark).

    ``choices`` widens the range checked (the blueprint's count, where the bank's item lost a choice).
    Without ``question`` (an :class:`~examqa.exams.models.AnswerSheet` built on its own) the marks are read
    but their range is left to grading, and letters are refused: only the item knows its labels. ``qid``
    names the item in messages when there is no ``question``.
    """
    name = question.id if question is not None else qid
    found = _read(value, question, name, path, line, nested=False)
    if question is None:
        return tuple(sorted(set(found)))
    return check_marks(question, found, path=path, line=line, choices=choices)


def _about(name: str | None) -> str:
    return f" for question {name!r}" if name is not None else ""


def _read(value: Any, question: Question | None, name: str | None, path: Path | None, line: int | None,
          *, nested: bool) -> list[int]:
    if is_blank(value):
        return []
    if isinstance(value, str):
        return _text(value, question, name, path, line)
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        raise InputError(f"answer {value!r}{_about(name)} is not a choice number (a boolean)", path=path, line=line,
                         hint=ANSWER_HINT)
    if isinstance(value, numbers.Integral):
        return [_whole(int(value), name, path, line)]
    if isinstance(value, numbers.Real | Decimal):
        number = value if isinstance(value, Decimal) else float(value)
        if math.isfinite(number) and number == int(number):
            return [_whole(int(number), name, path, line)]
        raise InputError(f"answer {value!r}{_about(name)} is not a choice number (not a whole number)", path=path,
                         line=line, hint=ANSWER_HINT)
    if not nested and not isinstance(value, bytes | Mapping) and hasattr(value, "tolist"):
        value = value.tolist()  # a numpy array (or scalar): plain Python values
        if not isinstance(value, list):
            return _read(value, question, name, path, line, nested=False)
    if not nested and isinstance(value, Iterable) and not isinstance(value, bytes | Mapping):
        found: list[int] = []
        for item in value:
            found += _read(item, question, name, path, line, nested=True)
        return found
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "…"
    raise InputError(f"answer {shown}{_about(name)} is not a choice number", path=path, line=line,
                     hint=ANSWER_HINT)


def _whole(number: int, name: str | None, path: Path | None, line: int | None) -> int:
    if number.bit_length() > 30:  # str() of a number thousands of digits long is refused (and pointless)
        raise InputError(f"answer of about {int(number.bit_length() * 0.30103) + 1} digits{_about(name)} is not "
                         "a choice number", path=path, line=line, hint=ANSWER_HINT)
    return number  # its range is checked against the item's choices (check_marks)


def _spread_circled(text: str) -> str:
    """Turn each circled or parenthesised numeral (①, ❶, ⑴) into a separate plain number.

    Done before NFKC so that ``②④`` reads as two marks, not as the number 24.
    """
    out: list[str] = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
            continue
        name = unicodedata.name(ch, "")
        if ("CIRCLED" in name or "PARENTHESIZED" in name) and unicodedata.numeric(ch, None) is not None:
            out.append(f" {int(unicodedata.numeric(ch))} ")
        elif "CIRCLED LATIN" in name:
            out.append(f" {unicodedata.normalize('NFKC', ch)} ")
        else:
            out.append(ch)
    return "".join(out)


def _text(answer: str, question: Question | None, name: str | None, path: Path | None,
          line: int | None) -> list[int]:
    letters = question is not None and question.label_style == "letter"
    tokens = [t for t in _SEPARATORS.split(unicodedata.normalize("NFKC", _spread_circled(answer))) if t]
    chosen: list[int] = []
    shown = answer.strip() if len(answer.strip()) <= 40 else answer.strip()[:40] + "…"
    for token in tokens:
        whole = _WHOLE.fullmatch(token)
        if whole:
            digits = whole.group(1).lstrip("0") or "0"
            if len(digits) > _MAX_DIGITS:  # int() of thousands of digits is refused (and pointless)
                raise InputError(f"answer {digits[:12]}… ({len(digits)} digits){_about(name)} is not a choice "
                                 "number", path=path, line=line, hint=ANSWER_HINT)
            chosen.append(_whole(int(digits), name, path, line))
        elif _DECIMAL.fullmatch(token):
            raise InputError(f"answer {token}{_about(name)} is not a choice number (not a whole number)",
                             path=path, line=line, hint=ANSWER_HINT)
        elif _LETTER.fullmatch(token):
            if question is None:
                raise InputError(f"answer {token!r}{_about(name)} is a letter; only the item knows its labels",
                                 path=path, line=line,
                                 hint="give the choice number, or grade with grade_sheet, which reads letters "
                                      "on items labelled A/B/C")
            if not letters:
                n = len(question.choices)
                raise InputError(f"answer {token!r}{_about(name)} is a letter, but its choices are numbered",
                                 path=path, line=line, hint=f"write a number, 1–{n}")
            chosen.append(ord(token.upper()) - ord("A") + 1)
        else:
            raise InputError(f"cannot read answer {shown!r}{_about(name)}", path=path, line=line,
                             hint=ANSWER_HINT)
    return chosen


def check_marks(question: Question, marks: Iterable[int], *, path: Path | None = None,
                line: int | None = None, choices: int | None = None) -> Marks:
    """The marks on ``question`` as a sorted tuple of distinct 1-based choices, or an error.

    The one place marks are validated, whatever path they came by (a CSV sheet, a dict, an
    :class:`~examqa.exams.models.AnswerSheet`, a cohort): a mark outside ``1..len(choices)`` — or one that is
    not a whole number — raises :class:`~examqa.errors.InputError` naming the question (and the file
    and line when given). Two or more distinct marks are a double mark, kept as such (it scores nothing).
    ``choices`` widens the range when the paper printed more choices than the bank holds (one lost in
    extraction: the blueprint's count, see :func:`examqa.exams.scoring.mark_choices`).
    """
    chosen: set[int] = set()
    n = max(len(question.choices), choices or 0)
    letters = question.label_style == "letter"
    valid = f"A–{chr(64 + n)}" if letters and n <= 26 else f"1–{n}"
    for mark in marks:
        if isinstance(mark, bool) or not isinstance(mark, int):
            raise InputError(f"answer {mark!r} for question {question.id!r} is not a choice number",
                             path=path, line=line, hint=f"marks are whole numbers 1–{n}")
        if not 1 <= mark <= n:
            shown = chr(64 + mark) if letters and 1 <= mark <= 26 else (
                str(mark) if mark.bit_length() <= 64 else f"of about {int(mark.bit_length() * 0.30103) + 1} digits")
            raise InputError(f"answer {shown} is out of range for question {question.id!r}: valid choices "
                             f"are {valid}", path=path, line=line)
        chosen.add(mark)
    return tuple(sorted(chosen))
