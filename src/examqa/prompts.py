"""Prompt rendering: per-domain jinja2 templates (``system.j2`` + ``user.j2``) in a sandbox.

Undefined variables are errors (a typo in a template must not silently drop the question), and every
rendered prompt carries the hash of the templates that made it, so a run records exactly what was asked.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from examqa.errors import TemplateError
from examqa.models import Blueprint, Question

TEMPLATE_NAMES = ("system.j2", "user.j2")
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def choice_label(index: int, style: str) -> str:
    """The printed label of 1-based choice ``index``: ①… for numbers (then ``(21)``…), A… for letters."""
    if style == "letter":
        return chr(ord("A") + index - 1) if index <= 26 else f"({index})"
    return CIRCLED[index - 1] if index <= len(CIRCLED) else f"({index})"


@dataclass(frozen=True)
class PromptSet:
    """A domain's templates loaded from one folder, with their combined hash."""

    folder: Path
    system: jinja2.Template
    user: jinja2.Template
    sha256: str

    def render(self, blueprint: Blueprint, question: Question) -> tuple[dict[str, str], ...]:
        """The chat messages for ``question``: a system turn and a user turn."""
        context = {
            "exam": blueprint,
            "subject": question.subject,
            "question": question,
            "choices": [{"label": choice_label(i, question.label_style), "text": text}
                        for i, text in enumerate(question.choices, start=1)],
            "n_choices": len(question.choices),
        }
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


def load_prompts(folder: Path) -> PromptSet:
    """Load ``system.j2`` and ``user.j2`` from ``folder`` into a sandboxed, strict environment."""
    missing = [n for n in TEMPLATE_NAMES if not (folder / n).is_file()]
    if missing:
        raise TemplateError(f"{folder}: missing prompt template(s) {', '.join(missing)} "
                            "(a prompts folder holds system.j2 and user.j2)")
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
    try:
        system, user = (env.get_template(n) for n in TEMPLATE_NAMES)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.filename or folder}:{exc.lineno}: template syntax error: {exc.message}") from exc
    return PromptSet(folder=folder, system=system, user=user, sha256=digest.hexdigest())


def prompts_for(domain_prompts: Path, override: Path | None, domain: str) -> PromptSet:
    """The templates for ``domain``: ``override/<domain>/`` or ``override/`` if given, else the plugin's."""
    if override is not None:
        nested = override / domain
        return load_prompts(nested if nested.is_dir() else override)
    return load_prompts(domain_prompts)
