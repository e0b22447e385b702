"""Domain plugins: how exams get into examqa.

A plugin is an entry point in the ``examqa.plugins`` group whose object is a zero-argument callable
returning a :class:`Domain`. The six built-in domains register through that same group (see
``pyproject.toml``), exactly as a third-party package would.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path

from pydantic import ValidationError

from examqa.errors import PluginError, UnknownExamError
from examqa.grading import Grader, KeyGrader
from examqa.models import Blueprint

ENTRY_POINT_GROUP = "examqa.plugins"


@dataclass(frozen=True)
class Domain:
    """What a domain plugin supplies: its blueprints, its prompt templates and its grader."""

    name: str
    blueprints: tuple[Blueprint, ...]
    prompts: Path
    """Folder holding ``system.j2`` and ``user.j2``."""
    grader: Grader = field(default_factory=KeyGrader)
    samples: Path | None = None
    """Folder with ``<exam>.jsonl`` sample papers and ``<exam>-sheet.csv`` sample sheets."""


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
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
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
