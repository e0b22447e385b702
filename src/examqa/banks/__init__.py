"""Question banks: read them from examqa's own JSON lines or from the public datasets, and validate them.

>>> bank = load_bank(Path("exams/samples/papers/loss-adjuster.jsonl"))          # doctest: +SKIP
>>> problems = validate_bank(Path("papers/"), blueprint)                  # doctest: +SKIP
>>> routed = route_bank(Path("kmmlu-pro.jsonl"), ["customs-broker"])     # doctest: +SKIP

Formats are told from each file's content; see ``docs/banks.md`` for the layouts and what ``validate``
reports. Fatal problems raise :class:`examqa.errors.InputError` naming the file and line.

Owns reading files (encodings, CSV and JSON lines), the bank formats (the ``examqa.bank_formats`` entry-point
group), validation, routing a bank that holds several exams to each, and the papers (sittings) a bank
holds (:func:`one_paper`: a verdict is about one paper). May import :mod:`examqa.exams`;
must not import sheets, prompts, reading, backends, runs or reports.
"""

from examqa.banks._formats import BANK_FORMATS, BankFormat, Converted, RecordError
from examqa.banks._load import bank_files, load_bank, validate_bank
from examqa.banks._papers import Paper, SeveralPapersError, one_paper, papers, papers_answered
from examqa.banks._records import MalformedCSV, csv_rows, read_text
from examqa.banks._registry import bank_formats, format_names
from examqa.banks._route import RoutedBank, bank_for_exam, licence_key, route_bank, route_notes, routed_sha256
from examqa.banks._types import Bank, Location, Problem

__all__ = [
    "BANK_FORMATS",
    "Bank",
    "BankFormat",
    "Converted",
    "Location",
    "MalformedCSV",
    "Paper",
    "Problem",
    "RecordError",
    "RoutedBank",
    "SeveralPapersError",
    "bank_files",
    "bank_for_exam",
    "bank_formats",
    "csv_rows",
    "format_names",
    "licence_key",
    "load_bank",
    "one_paper",
    "papers",
    "papers_answered",
    "read_text",
    "route_bank",
    "route_notes",
    "routed_sha256",
    "validate_bank",
]
