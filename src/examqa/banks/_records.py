"""Raw records out of a bank file: UTF-8 text, then a JSON array, JSON lines or CSV — told by content.

Every record keeps the 1-based line where it starts, so every message can name ``file:line``.
"""

from __future__ import annotations

import bisect
import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from examqa.banks._types import Sink
from examqa.errors import InputError

Container = Literal["json", "jsonl", "csv"]

REENCODE_HINT = "re-encode it as UTF-8, e.g. `iconv -f CP949 -t UTF-8 in.csv > out.csv`"


@dataclass(frozen=True)
class RawRecord:
    """One record as the file holds it, and the line it starts on."""

    data: dict[str, Any]
    line: int


@dataclass(frozen=True)
class RawFile:
    """A bank file split into records."""

    path: Path
    container: Container
    records: list[RawRecord]
    digest: str


def read_text(path: Path) -> tuple[bytes, str]:
    """The file's bytes and its text; non-UTF-8 bytes raise an error naming the line.

    A UTF-8 byte-order mark is dropped (spreadsheets write one). Korean files from older Windows tools
    are often CP949/EUC-KR; the message says so when the bytes decode that way.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=path) from exc
    try:
        return data, data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        try:
            data.decode("cp949")
            guess = "; it looks like CP949/EUC-KR"
        except UnicodeDecodeError:
            guess = ""
        raise InputError(f"not UTF-8 text (byte 0x{data[exc.start]:02x}){guess}", path=path, line=line,
                         hint=REENCODE_HINT) from exc


def read_records(path: Path, sink: Sink) -> RawFile | None:
    """Split ``path`` into records. Errors go to ``sink``; None when nothing could be read."""
    try:
        data, text = read_text(path)
    except InputError as exc:
        sink.error(exc.message, path=exc.path, line=exc.line, hint=exc.hint)
        return None
    digest = hashlib.sha256(data).hexdigest()
    head = text.lstrip()[:1]
    container: Container = "json" if head == "[" else "jsonl" if head == "{" else "csv"
    if container == "json":
        records = _json_array(text, path, sink)
    elif container == "jsonl":
        whole = _one_object(text, path, sink)
        records = [] if whole else _json_lines(text, path, sink)
    else:
        records = _csv_rows(text, path, sink)
    return RawFile(path, container, records, digest)


BANK_SHAPES = "a bank is JSON lines (one object per line), a JSON array of objects, or CSV with a header row"


def _one_object(text: str, path: Path, sink: Sink) -> bool:
    """Whether the file is one JSON object spread over several lines (pretty-printed), not JSON lines.

    Said in one error rather than one "malformed JSON" per line: what the file is, and what a bank is.
    """
    first = next((line for line in text.split("\n") if line.strip()), "")
    try:
        json.loads(first)
        return False  # the first line is a whole record: JSON lines (errors further down are per line)
    except json.JSONDecodeError:
        pass
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        if first.strip() != "{":
            return False
        sink.error(f"malformed JSON: {exc.msg} (a pretty-printed object, read as a whole)", path=path,
                   line=exc.lineno, hint=BANK_SHAPES)
        return True
    if not isinstance(value, dict):
        return False
    lines = len(text.strip().split("\n"))
    listed = [(k, v) for k, v in value.items() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
    if listed:
        key, records = listed[0]
        sink.error(f"this file is one JSON object holding {len(records)} records under {key!r}, not a bank",
                   path=path, line=1, hint=f"{BANK_SHAPES}: write the list itself as the file ([{{…}}, …]), "
                   "or one record per line (jq -c '." + key + "[]')")
    else:
        sink.error(f"this file is one JSON object spread over {lines} lines, not JSON lines", path=path, line=1,
                   hint=f"{BANK_SHAPES}: put each record on one line (jq -c .), or list the records in [ ]")
    return True


def _json_lines(text: str, path: Path, sink: Sink) -> list[RawRecord]:
    records: list[RawRecord] = []
    # split on "\n" only: str.splitlines would also split on U+2028 and friends, which JSON strings may hold.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            sink.error(f"malformed JSON: {exc.msg} (column {exc.colno})", path=path, line=number,
                       hint="JSON lines hold one complete object per line")
            continue
        if not isinstance(value, dict):
            sink.error(f"expected a JSON object, found {_kind(value)}", path=path, line=number)
            continue
        records.append(RawRecord(value, number))
    return records


def _json_array(text: str, path: Path, sink: Sink) -> list[RawRecord]:
    """Decode a top-level array element by element, so each record knows its starting line."""
    starts = [i for i, ch in enumerate(text) if ch == "\n"]

    def line_at(offset: int) -> int:
        return bisect.bisect_left(starts, offset) + 1

    decoder = json.JSONDecoder()
    records: list[RawRecord] = []
    pos = _skip_ws(text, 0) + 1  # past "["
    expect_value = True
    values = 0
    while True:
        pos = _skip_ws(text, pos)
        if pos >= len(text):
            sink.error("malformed JSON: the array is not closed with ]", path=path, line=line_at(pos))
            return records
        ch = text[pos]
        if ch == "]" and (not expect_value or values == 0):
            break
        if not expect_value:
            if ch != ",":
                sink.error("malformed JSON: expected , or ] between records", path=path, line=line_at(pos))
                return records
            pos += 1
            expect_value = True
            continue
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            sink.error(f"malformed JSON: {exc.msg} (column {exc.colno})", path=path, line=exc.lineno)
            return records
        if isinstance(value, dict):
            records.append(RawRecord(value, line_at(pos)))
        else:
            sink.error(f"expected a JSON object, found {_kind(value)}", path=path, line=line_at(pos))
        pos = end
        values += 1
        expect_value = False
    rest = _skip_ws(text, pos + 1)
    if rest < len(text):
        sink.error("malformed JSON: text after the closing ]", path=path, line=line_at(rest))
    return records


class MalformedCSV(Exception):
    """A CSV row that cannot be read; ``line`` is where the row starts."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line


def csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """Each CSV row with the 1-based line it starts on; raises :class:`MalformedCSV` naming that line.

    Strict quoting: an unclosed quote is an error rather than a field that silently swallows the rest
    of the file.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise MalformedCSV(start, str(exc)) from exc
        yield start, row


def _csv_rows(text: str, path: Path, sink: Sink) -> list[RawRecord]:
    records: list[RawRecord] = []
    header: list[str] | None = None
    try:
        for start, row in csv_rows(text):
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [cell.strip() for cell in row]
                continue
            if len(row) > len(header) and any(cell.strip() for cell in row[len(header):]):
                sink.error(f"row has {len(row)} fields, the header has {len(header)}", path=path, line=start,
                           hint="quote fields that contain commas")
                continue
            records.append(RawRecord({k: v for k, v in zip(header, row, strict=False) if k}, start))
    except MalformedCSV as exc:
        sink.error(f"malformed CSV: {exc}", path=path, line=exc.line,
                   hint="check the quotes: a field with a comma or line break must be quoted")
    return records


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _kind(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number",
            type(None): "null"}.get(type(value), type(value).__name__)
