"""The installed bank formats (the ``examqa.bank_formats`` entry-point group), in detection order."""

from __future__ import annotations

from functools import cache

from examqa._entrypoints import BANK_FORMATS_GROUP, described, group, load_entry, on_refresh
from examqa.banks._formats import BankFormat, Converter, converter
from examqa.banks._records import RawRecord
from examqa.errors import InputError, PluginError, warn


@cache
def bank_formats() -> dict[str, BankFormat]:
    """Every installed format by name, in detection order (priority, then name).

    A format plugin that fails to load or build, or builds something that is no :class:`BankFormat`, is
    skipped with a warning naming it: the other formats (the built-ins) keep reading banks.
    """
    found: list[BankFormat] = []
    for name, ep in group(BANK_FORMATS_GROUP).items():
        try:
            fmt = load_entry(BANK_FORMATS_GROUP, name, "bank format")()
            if not isinstance(fmt, BankFormat):
                raise PluginError(f"it returned {type(fmt).__name__}, not a BankFormat (name, priority, detect, "
                                  "convert)")
        except Exception as exc:
            warn(f"bank format plugin {name!r} from {described(ep)} failed to load and is skipped: {exc}")
            continue
        found.append(fmt)
    return {f.name: f for f in sorted(found, key=lambda f: (f.priority, f.name))}


def format_names() -> list[str]:
    """The names ``--bank-format`` accepts."""
    return list(bank_formats())


def check_format(name: str) -> None:
    """An unknown format name is an error listing the known ones."""
    if name not in bank_formats():
        raise InputError(f"unknown bank format {name!r}", hint=f"known formats: {', '.join(bank_formats())}")


def detect_format(record: RawRecord) -> str | None:
    """The first format (in detection order) that claims a file whose first record is ``record``."""
    for name, fmt in bank_formats().items():
        if fmt.detect(record.data):
            return name
    return None


@cache
def converter_for(name: str) -> Converter:
    """The record converter of format ``name``."""
    return converter(bank_formats()[name])


on_refresh(bank_formats.cache_clear)
on_refresh(converter_for.cache_clear)
