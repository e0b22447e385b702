"""Exam plugins: the registry of exams (the ``examqa.plugins`` entry-point group) and graders by name.

A domain plugin is a zero-argument callable returning a :class:`Domain` — its blueprints, its prompt
templates and its grader; the built-in domains (:mod:`examqa.exams.domains`) register through the same
group as a third-party package would. Finding and loading entry points is :mod:`examqa._entrypoints`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pydantic import ValidationError

from examqa._entrypoints import EXAMS_GROUP, GRADERS_GROUP, entry_points_of, group, load_entry, on_refresh, refresh
from examqa.errors import PluginError, UnknownExamError
from examqa.exams.grading import Grader, KeyGrader
from examqa.exams.models import Blueprint


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


@cache
def registry() -> dict[str, ExamEntry]:
    """All exams from all installed plugins, keyed by exam id. Loaded once, on first use."""
    exams: dict[str, ExamEntry] = {}
    for ep in sorted(entry_points_of(EXAMS_GROUP, fresh=True), key=lambda e: e.name):
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


# --------------------------------------------------------------------------------------------- graders


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


def grader_names() -> list[str]:
    """The names ``--grader`` accepts (the ``examqa.graders`` entry points installed)."""
    return sorted(group(GRADERS_GROUP))


def load_exam(exam_id: str) -> ExamEntry:
    """The exam ``exam_id`` (e.g. ``"customs-broker"``): its blueprint and the domain plugin that owns it."""
    return get_exam(exam_id)


def clear_caches() -> None:
    """Forget every plugin looked up so far, so that packages installed since are found (a notebook
    that just ran ``pip install``, a test that puts a distribution on ``sys.path``)."""
    refresh()


on_refresh(registry.cache_clear)
on_refresh(get_grader.cache_clear)
