"""Entry-point groups: how exams, backends, bank formats and graders get into examqa.

Each extension point is a Protocol plus an entry-point group, and the built-ins register through the
same groups (``pyproject.toml``) exactly as a third-party package would:

========================  ===========================================================  ===================
group                     the entry point's object                                     built-ins
========================  ===========================================================  ===================
``examqa.plugins``        zero-argument callable → :class:`~examqa.exams.Domain`       the exam domains
``examqa.backends``       callable(**settings) → :class:`~examqa.backends.Backend`     hf, openai, scripted
``examqa.bank_formats``   zero-argument callable → :class:`~examqa.banks.BankFormat`   native, kmmlu-pro, …
``examqa.graders``        zero-argument callable → :class:`~examqa.exams.Grader`       key
========================  ===========================================================  ===================

This module only finds and loads entry points; what each group's objects are is the business of the
package that owns the group (:mod:`examqa.exams.plugins`, :mod:`examqa.backends`, :mod:`examqa.banks`).
Groups are read once, on first use; nothing is imported for a group nobody asks for. It imports nothing
of examqa but :mod:`examqa.errors`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib.metadata import EntryPoint, EntryPoints, entry_points
from typing import Any

from examqa.errors import PluginError

EXAMS_GROUP = "examqa.plugins"
BACKENDS_GROUP = "examqa.backends"
BANK_FORMATS_GROUP = "examqa.bank_formats"
GRADERS_GROUP = "examqa.graders"
GROUPS = (EXAMS_GROUP, BACKENDS_GROUP, BANK_FORMATS_GROUP, GRADERS_GROUP)

_scan: dict[str, EntryPoints] = {}
"""examqa's groups from the last read of every installed distribution's entry points."""
_on_refresh: list[Callable[[], None]] = []
"""What :func:`refresh` clears besides this module's own caches (registries built from the groups)."""


def entry_points_of(group_name: str, *, fresh: bool = False) -> EntryPoints:
    """The entry points of ``group_name``. Reading them means reading every installed distribution's
    metadata (several ms), whatever the group: so examqa's groups are read together, once, and the read
    is kept for the next group asked for; ``fresh`` reads again."""
    if group_name not in GROUPS:
        return entry_points(group=group_name)
    if fresh or not _scan:
        every = entry_points()
        _scan.update({name: every.select(group=name) for name in GROUPS})
    return _scan[group_name]


@cache
def group(name: str) -> dict[str, EntryPoint]:
    """The entry points of group ``name`` by name (not loaded). Two with one name: the first by value wins."""
    found: dict[str, EntryPoint] = {}
    for ep in sorted(entry_points_of(name), key=lambda e: (e.name, e.value)):
        found.setdefault(ep.name, ep)
    return found


def load_entry(group_name: str, name: str, what: str) -> Any:
    """Load entry point ``name`` of ``group_name``; an unknown name lists the known ones."""
    eps = group(group_name)
    ep = eps.get(name)
    if ep is None:
        known = ", ".join(sorted(eps)) or "none installed"
        raise PluginError(f"unknown {what} {name!r}; known: {known}")
    try:
        return ep.load()
    except Exception as exc:  # a broken third-party plugin: say which, not a traceback
        raise PluginError(f"{what} plugin {name!r} ({ep.value}) failed to load: {exc}") from exc


def on_refresh(clear: Callable[[], None]) -> Callable[[], None]:
    """Register ``clear`` (a registry's ``cache_clear``) to run on :func:`refresh`; returns it."""
    _on_refresh.append(clear)
    return clear


def refresh() -> None:
    """Forget every plugin looked up so far, so that packages installed since are found (a notebook
    that just ran ``pip install``, a test that puts a distribution on ``sys.path``)."""
    _scan.clear()
    group.cache_clear()
    for clear in _on_refresh:
        clear()
