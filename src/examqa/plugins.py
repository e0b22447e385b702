"""Plugins: how exams, backends, bank formats and graders get into examqa.

Each extension point is a Protocol plus an entry-point group, and the built-ins register through the
same groups (``pyproject.toml``) exactly as a third-party package would:

========================  ===================================================  ==========================
group                     the entry point's object                             built-ins
========================  ===================================================  ==========================
``examqa.plugins``        zero-argument callable → :class:`Domain`             the six exam domains
``examqa.backends``       callable(**settings) → :class:`~examqa.backends.base.Backend`  hf, openai, scripted
``examqa.bank_formats``   zero-argument callable → :class:`~examqa.banks.BankFormat`      native, kmmlu-pro, …
``examqa.graders``        zero-argument callable → :class:`~examqa.grading.Grader`        key
========================  ===================================================  ==========================

Groups are read once, on first use; nothing is imported for a group nobody asks for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import EntryPoint, EntryPoints, entry_points
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from examqa.errors import PluginError, UnknownExamError
from examqa.grading import Grader, KeyGrader
from examqa.models import Blueprint

ENTRY_POINT_GROUP = "examqa.plugins"
BACKENDS_GROUP = "examqa.backends"
BANK_FORMATS_GROUP = "examqa.bank_formats"
GRADERS_GROUP = "examqa.graders"


@dataclass(frozen=True)
class Domain:
    """What a domain plugin supplies: its blueprints, its prompt templates and its grader."""

    name: str
    blueprints: tuple[Blueprint, ...]
    prompts: Path
    """Folder holding ``system.j2`` and ``user.j2``."""
    grader: Grader = field(default_factory=KeyGrader)
    samples: Path | None = None
    """Folder with ``papers/<exam>.jsonl`` sample papers (one bank: ``examqa grade all --bank papers``) and
    ``<exam>-sheet.csv`` sample sheets."""


def load_blueprint(path: Path) -> Blueprint:
    """Read one blueprint JSON file; errors name the file."""
    try:
        return Blueprint.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise PluginError(f"{path}: invalid blueprint at {loc}: {first['msg']}") from exc
    except OSError as exc:
        raise PluginError(f"{path}: cannot read blueprint: {exc.strerror}") from exc


def domain_from_files(name: str, blueprint_files: Iterable[Path], prompts: Path,
                      samples: Path | None = None, grader: Grader | None = None) -> Domain:
    """Build a :class:`Domain` from blueprint JSON files — the usual body of a plugin factory."""
    return Domain(
        name=name,
        blueprints=tuple(load_blueprint(p) for p in blueprint_files),
        prompts=prompts,
        grader=grader or KeyGrader(),
        samples=samples,
    )


@dataclass(frozen=True)
class ExamEntry:
    """An exam as the registry holds it: the blueprint and the domain that owns it."""

    blueprint: Blueprint
    domain: Domain


_GROUPS = (ENTRY_POINT_GROUP, BACKENDS_GROUP, BANK_FORMATS_GROUP, GRADERS_GROUP)
_scan: dict[str, EntryPoints] = {}
"""examqa's groups from the last read of every installed distribution's entry points."""


def _entry_points(group_name: str, *, fresh: bool = False) -> EntryPoints:
    """The entry points of ``group_name``. Reading them means reading every installed distribution's
    metadata (several ms), whatever the group: so examqa's groups are read together, once, and the read
    is kept for the next group asked for; ``fresh`` reads again (the registry, rebuilt after
    ``registry.cache_clear()``, finds a plugin installed since)."""
    if group_name not in _GROUPS:
        return entry_points(group=group_name)
    if fresh or not _scan:
        every = entry_points()
        _scan.update({name: every.select(group=name) for name in _GROUPS})
    return _scan[group_name]


@cache
def registry() -> dict[str, ExamEntry]:
    """All exams from all installed plugins, keyed by exam id. Loaded once, on first use."""
    exams: dict[str, ExamEntry] = {}
    for ep in sorted(_entry_points(ENTRY_POINT_GROUP, fresh=True), key=lambda e: e.name):
        try:
            factory = ep.load()
            domain = factory()
        except Exception as exc:  # a broken third-party plugin must not take the others down silently
            raise PluginError(f"plugin {ep.name!r} ({ep.value}) failed to load: {exc}") from exc
        if not isinstance(domain, Domain):
            raise PluginError(f"plugin {ep.name!r} returned {type(domain).__name__}, not examqa.Domain")
        for bp in domain.blueprints:
            if bp.id in exams:
                other = exams[bp.id].domain.name
                raise PluginError(f"exam {bp.id!r} is provided twice (plugins {other!r} and {domain.name!r})")
            exams[bp.id] = ExamEntry(bp, domain)
    return exams


def get_exam(exam_id: str) -> ExamEntry:
    """The exam called ``exam_id``, or an error listing the known ids."""
    exams = registry()
    if exam_id not in exams:
        known = ", ".join(sorted(exams)) or "none installed"
        raise UnknownExamError(f"unknown exam {exam_id!r}; known exams: {known} (see `examqa exams`)")
    return exams[exam_id]


# --------------------------------------------------------------------------------------------- other groups


@cache
def group(name: str) -> dict[str, EntryPoint]:
    """The entry points of group ``name`` by name (not loaded). Two with one name: the first by value wins."""
    found: dict[str, EntryPoint] = {}
    for ep in sorted(_entry_points(name), key=lambda e: (e.name, e.value)):
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


@cache
def get_grader(name: str) -> Grader:
    """The grader registered as ``name`` in ``examqa.graders`` (``key``: the final-key rule)."""
    factory = load_entry(GRADERS_GROUP, name, "grader")
    try:
        grader = factory()
    except Exception as exc:
        raise PluginError(f"grader plugin {name!r} failed to build: {exc}") from exc
    if not callable(grader):
        raise PluginError(f"grader plugin {name!r} returned {type(grader).__name__}, which is not callable")
    return grader  # type: ignore[no-any-return]


def clear_caches() -> None:
    """Forget every plugin looked up so far, so that packages installed since are found (a notebook
    that just ran ``pip install``, a test that puts a distribution on ``sys.path``)."""
    from examqa.banks import _registry

    _scan.clear()
    registry.cache_clear()
    group.cache_clear()
    get_grader.cache_clear()
    _registry.bank_formats.cache_clear()
    _registry.converter_for.cache_clear()
