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

from examqa._entrypoints import (
    EXAMS_GROUP,
    GRADERS_GROUP,
    Claim,
    described,
    group,
    is_builtin,
    load_entry,
    on_refresh,
    refresh,
    resolve_all,
)
from examqa.errors import PluginError, UnknownExamError, warn
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


_refused_exams: dict[str, Claim] = {}
"""Exam ids two other plugins both provide (neither is used), as of the last :func:`registry` build."""
_broken: dict[str, str] = {}
"""Exam plugins that failed to load, by entry point name: why (as of the last :func:`registry` build)."""


@cache
def registry() -> dict[str, ExamEntry]:
    """All exams from all installed plugins, keyed by exam id. Loaded once, on first use.

    A plugin that fails to load (import error, a factory that raises, an invalid blueprint, something
    that is not a :class:`Domain`) is skipped with a warning naming it; the other exams stay available.
    An exam id two plugins provide: examqa's own wins (a warning names the other); two other plugins:
    neither is used, and :func:`get_exam` says why (see :mod:`examqa._entrypoints`).
    """
    _refused_exams.clear()
    _broken.clear()
    claims: dict[str, list[tuple[ExamEntry, str, bool]]] = {}
    for name, ep in group(EXAMS_GROUP, fresh=True).items():
        try:
            factory = ep.load()
            domain = factory()
            if not isinstance(domain, Domain):
                raise PluginError(f"it returned {type(domain).__name__}, not examqa.Domain")
        except Exception as exc:  # a broken plugin must not take the others (the built-ins) down
            why = str(exc) if isinstance(exc, PluginError) else f"{type(exc).__name__}: {exc}"
            _broken[name] = f"{name!r} from {described(ep)}: {why}"
            warn(f"exam plugin {_broken[name]} — skipped; the other exams are available")
            continue
        for bp in domain.blueprints:
            claims.setdefault(bp.id, []).append(
                (ExamEntry(bp, domain), f"{described(ep)}, domain {domain.name!r}", is_builtin(ep)))
    exams, refused = resolve_all(claims, lambda exam_id: f"exam {exam_id!r}")
    _refused_exams.update(refused)
    return exams


def get_exam(exam_id: str) -> ExamEntry:
    """The exam called ``exam_id``, or an error listing the known ids (and any plugin that failed to load,
    or the two plugins that both claim ``exam_id``)."""
    exams = registry()
    if exam_id not in exams:
        if exam_id in _refused_exams:
            raise PluginError(_refused_exams[exam_id].message())
        known = ", ".join(sorted(exams)) or "none installed"
        broken = f"; plugins that failed to load: {'; '.join(_broken.values())}" if _broken else ""
        raise UnknownExamError(f"unknown exam {exam_id!r}; known exams: {known} (see `examqa exams`){broken}")
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
