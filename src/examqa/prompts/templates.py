"""Prompt rendering: per-domain jinja2 templates (``system.j2`` + ``user.j2``) in a sandbox.

Undefined variables are errors (a typo in a template must not silently drop the question), and every
rendered prompt carries the hash of the templates that made it, so a run records exactly what was asked.

Templates decide *what* to say; :func:`examqa.exams.features.item_features` decides *which items need it*: it
reads an item once — a negative ask ("옳지 않은 것은?"), a ㄱㄴㄷ combination, a calculation, a law item, a clinical
vignette, an extended-matching (R형) item — and hands the result to the template as ``item``, so no
template carries its own regexes. Which subjects are law or calculation subjects is data: the
``subjects.json`` beside the templates (see :func:`load_subject_kinds`).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from examqa.errors import TemplateError
from examqa.exams.features import choice_label, item_features
from examqa.exams.models import Blueprint, Question

TEMPLATE_NAMES = ("system.j2", "user.j2")
SUBJECTS_FILE = "subjects.json"
SUBJECT_KINDS = frozenset({"law", "calculation", "science"})
"""``law``: answer under the law in force on the exam date. ``calculation``: units and rounding matter.
``science``: a natural-science subject (변리사 자연과학개론): laws of physics and chemistry, SI units."""
# ------------------------------------------------------------------------------------------ subject kinds


def load_subject_kinds(path: Path) -> dict[str, frozenset[str]]:
    """Read a ``subjects.json``: ``{"subjects": {"회계학": ["calculation"], …}}``, names as blueprints spell them."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TemplateError(f"{path}: cannot read subject kinds: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise TemplateError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from exc
    subjects = data.get("subjects") if isinstance(data, dict) else None
    extra = sorted(set(data) - {"subjects", "note"}) if isinstance(data, dict) else []
    if not isinstance(subjects, dict) or extra:
        raise TemplateError(f"{path}: expected {{\"subjects\": {{name: [kinds]}}, \"note\": …}}"
                            + (f", not the field(s) {', '.join(extra)}" if extra else ""))
    kinds: dict[str, frozenset[str]] = {}
    for name, values in subjects.items():
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise TemplateError(f"{path}: subject {name!r}: kinds must be a list of names, e.g. [\"law\"]")
        unknown = sorted(set(values) - SUBJECT_KINDS)
        if unknown:
            raise TemplateError(f"{path}: subject {name!r}: unknown kind(s) {', '.join(unknown)} "
                                f"(known: {', '.join(sorted(SUBJECT_KINDS))})")
        kinds[name] = frozenset(values)
    return kinds


# ------------------------------------------------------------------------------------------ prompt sets


@dataclass(frozen=True)
class PromptSet:
    """A domain's templates loaded from one folder, with their combined hash.

    ``subject_kinds`` maps subject names to their kinds (:data:`SUBJECT_KINDS`); ``sha256`` covers the
    templates and the ``subjects.json`` they were loaded with.
    """

    folder: Path
    system: jinja2.Template
    user: jinja2.Template
    sha256: str
    subject_kinds: Mapping[str, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}),
                                                        compare=False)

    def kinds_for(self, blueprint: Blueprint, question: Question) -> frozenset[str]:
        """The kinds of ``question``'s subject, reading bank spellings through the blueprint's aliases."""
        edition = blueprint.edition(question.year)
        spec = edition.subject(question.subject)
        if spec is None:  # a year outside every edition still names a subject of some edition
            found = next(((e, s) for e in blueprint.editions if (s := e.subject(question.subject))), None)
            if found is not None:
                edition, spec = found
        name = spec.name if spec is not None else question.subject
        group = edition.group_of(name) if spec is not None else None
        if group is not None and name == group.name:  # an item labelled by a merged group: its subjects' kinds
            return frozenset().union(*(self.subject_kinds.get(s, frozenset()) for s in group.subjects))
        return self.subject_kinds.get(name, self.subject_kinds.get(question.subject, frozenset()))

    def context(self, blueprint: Blueprint, question: Question, thinking: bool = True) -> dict[str, object]:
        """The variables a template sees (documented in ``docs/protocols.md``)."""
        kinds = self.kinds_for(blueprint, question)
        return {
            "exam": blueprint,
            "subject": question.subject,
            "question": question,
            "choices": [{"label": choice_label(i, question.label_style), "text": text}
                        for i, text in enumerate(question.choices, start=1)],
            "n_choices": len(question.choices),
            "subject_kinds": sorted(kinds),
            "item": item_features(question, kinds),
            "thinking": thinking,
        }

    def render(self, blueprint: Blueprint, question: Question, thinking: bool = True) -> tuple[dict[str, str], ...]:
        """The chat messages for ``question``: a system turn (when the template writes one) and a user turn.

        ``thinking`` is the generation mode; templates may word the answer instruction for it.
        """
        context = self.context(blueprint, question, thinking)
        try:
            system = self.system.render(context).strip()
            user = self.user.render(context).strip()
        except jinja2.UndefinedError as exc:
            raise TemplateError(f"{self.folder}: template uses an undefined variable: {exc.message}") from exc
        except jinja2.TemplateError as exc:
            raise TemplateError(f"{self.folder}: template failed to render: {exc}") from exc
        messages: list[dict[str, str]] = []
        if system:
            messages.append({"role": "system", "content": system})
        messages.append({"role": "user", "content": user})
        return tuple(messages)


def load_prompts(folder: Path, subjects: Path | None = None) -> PromptSet:
    """Load ``system.j2`` and ``user.j2`` from ``folder`` into a sandboxed, strict environment.

    Subject kinds come from ``subjects`` if given, else ``folder/subjects.json`` if present, else none.
    Compiled templates are kept while the files' bytes are unchanged (compiling costs ~30 ms, and a
    service answering single questions loads the same prompts for every call); an edited file is reloaded.
    """
    missing = [n for n in TEMPLATE_NAMES if not (folder / n).is_file()]
    if missing:
        raise TemplateError(f"{folder}: missing prompt template(s) {', '.join(missing)} "
                            "(a prompts folder holds system.j2 and user.j2)")
    if subjects is None and (folder / SUBJECTS_FILE).is_file():
        subjects = folder / SUBJECTS_FILE
    files = [folder / n for n in TEMPLATE_NAMES] + ([subjects] if subjects is not None else [])
    # keyed by content, not mtime: an edit within one timestamp tick must not serve the old template
    stamp = tuple((str(f.resolve()), hashlib.sha256(f.read_bytes()).hexdigest()) for f in files)
    return _load_prompts(folder, subjects, stamp)


@functools.lru_cache(maxsize=64)
def _load_prompts(folder: Path, subjects: Path | None, stamp: tuple[tuple[str, str], ...]) -> PromptSet:
    """:func:`load_prompts` for one state of the files (``stamp``: path and content hash of each)."""
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain text prompts, not HTML
        keep_trailing_newline=True,
    )
    digest = hashlib.sha256()
    for name in TEMPLATE_NAMES:
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update((folder / name).read_bytes())
        digest.update(b"\0")
    kinds: dict[str, frozenset[str]] = {}
    if subjects is not None:
        kinds = load_subject_kinds(subjects)
        # The kinds change what is rendered, so they are part of what a run must match on resume.
        digest.update(SUBJECTS_FILE.encode())
        digest.update(b"\0")
        digest.update(subjects.read_bytes())
        digest.update(b"\0")
    try:
        system, user = (env.get_template(n) for n in TEMPLATE_NAMES)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.filename or folder}:{exc.lineno}: template syntax error: {exc.message}") from exc
    return PromptSet(folder=folder, system=system, user=user, sha256=digest.hexdigest(),
                     subject_kinds=MappingProxyType(kinds))


def prompts_for(domain_prompts: Path, override: Path | None, domain: str) -> PromptSet:
    """The templates for ``domain``: ``override/<domain>/`` or ``override/`` if given, else the plugin's.

    An override folder without its own ``subjects.json`` keeps the plugin's subject kinds: they are facts
    about the exam's subjects, not wording.
    """
    if override is not None:
        nested = override / domain
        folder = nested if nested.is_dir() else override
        fallback = domain_prompts / SUBJECTS_FILE
        own = (folder / SUBJECTS_FILE).is_file()
        return load_prompts(folder, None if own or not fallback.is_file() else fallback)
    return load_prompts(domain_prompts)
