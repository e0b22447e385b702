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

**One name, two entry points** (the same rule in every group, and for exam ids across exam plugins):
examqa's own wins, and a warning names the distribution that tried to take the name — a third-party
``openai`` backend never replaces the built-in one, the one handed the API key. Two *other* distributions
claiming one name: neither is used (a warning names both), and asking for that name is a
:class:`~examqa.errors.PluginError` naming both — which one a user meant cannot be guessed, and the
order entry points are found in must not decide it. **A broken plugin** — one that fails to import,
to build, or returns the wrong thing — is reported by a warning naming it and its distribution, and
skipped wherever plugins are loaded in bulk (exams, bank formats); the built-ins never go down with it.
Asking for it by name (a backend, a grader) is a :class:`~examqa.errors.PluginError` saying why.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, EntryPoints, entry_points
from typing import Any

from examqa.errors import PluginError, warn

OWN_DISTRIBUTION = "examqa"
"""examqa's own distribution: its entry points are the built-ins."""

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


def distribution(ep: EntryPoint) -> str:
    """The distribution (package) an entry point comes from, as installed; ``?`` when unknown."""
    dist = getattr(ep, "dist", None)
    name = getattr(dist, "name", None) if dist is not None else None
    return str(name) if name else "?"


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def is_builtin(ep: EntryPoint) -> bool:
    """Whether the entry point is examqa's own."""
    return _normalized(distribution(ep)) == OWN_DISTRIBUTION


@dataclass(frozen=True)
class Claim:
    """One thing (an entry point name, an exam id) claimed by several distributions."""

    what: str
    """What is claimed, for messages: "backend 'openai'", "exam 'physician'"."""
    winner: str | None
    """examqa's own claim, which is used; None when no claim is examqa's and none is used."""
    others: tuple[str, ...]
    """The other claimants (``distribution (target)``)."""

    def message(self) -> str:
        """One line for a warning or an error."""
        if self.winner is not None:
            return (f"{self.what} is also provided by {', '.join(self.others)}; examqa's own ({self.winner}) "
                    "is used — uninstall the other package or rename its entry point")
        return (f"{self.what} is provided by {' and '.join(self.others)}; neither is used — uninstall one of "
                "them (which one is meant cannot be guessed)")


def resolve(what: str, claims: Iterable[tuple[Any, str, bool]]) -> tuple[Any | None, Claim | None]:
    """Pick one of several claims to one name: ``(item, "distribution (target)", builtin)`` each.

    One claim: it. Several: examqa's own if there is one (with the :class:`Claim` to warn about), else
    none (with the Claim to raise when the name is asked for).
    """
    found = list(claims)
    if len(found) == 1:
        return found[0][0], None
    own = [c for c in found if c[2]]
    if own:
        return own[0][0], Claim(what, own[0][1], tuple(c[1] for c in found if c is not own[0]))
    return None, Claim(what, None, tuple(c[1] for c in found))


def resolve_all(claims: Mapping[str, Iterable[tuple[Any, str, bool]]],
                what: Callable[[str], str]) -> tuple[dict[str, Any], dict[str, Claim]]:
    """:func:`resolve` each name of ``claims``, in order, warning about every :class:`Claim`: the items
    used, by name, and the names refused (claimed by two others), with their Claims. ``what`` names a
    name for messages (``"backend 'openai'"``)."""
    found: dict[str, Any] = {}
    refused: dict[str, Claim] = {}
    for key, claimed in claims.items():
        chosen, claim = resolve(what(key), claimed)
        if claim is not None:
            warn(claim.message())  # shown at the user's line, as every examqa warning
            if chosen is None:
                refused[key] = claim
        if chosen is not None:
            found[key] = chosen
    return found, refused


_WHAT = {EXAMS_GROUP: "exam plugin", BACKENDS_GROUP: "backend", BANK_FORMATS_GROUP: "bank format",
         GRADERS_GROUP: "grader"}


def described(ep: EntryPoint) -> str:
    """``distribution (target)``, how messages name an entry point."""
    return f"{distribution(ep)} ({ep.value})"


_resolutions: dict[str, tuple[dict[str, EntryPoint], dict[str, Claim]]] = {}
"""Each group's entry points by name, and the names refused, as last resolved."""


def _resolved(name: str, fresh: bool = False) -> tuple[dict[str, EntryPoint], dict[str, Claim]]:
    if not fresh and name in _resolutions:
        return _resolutions[name]
    by_name: dict[str, list[EntryPoint]] = {}
    for ep in entry_points_of(name):
        same = by_name.setdefault(ep.name, [])
        if not any(e.value == ep.value and distribution(e) == distribution(ep) for e in same):
            same.append(ep)
    what = _WHAT.get(name, f"entry point of {name}")
    claims = {ep_name: [(e, described(e), is_builtin(e))
                        for e in sorted(by_name[ep_name], key=lambda e: (distribution(e), e.value))]
              for ep_name in sorted(by_name)}
    _resolutions[name] = resolve_all(claims, lambda ep_name: f"{what} {ep_name!r}")
    return _resolutions[name]


def group(name: str, *, fresh: bool = False) -> dict[str, EntryPoint]:
    """The entry points of group ``name`` by name (not loaded), one per name: see the module docstring for
    a name claimed twice (examqa's own wins; two others: neither, and a warning). ``fresh`` reads the
    installed distributions again."""
    if fresh:
        entry_points_of(name, fresh=True)
    return _resolved(name, fresh)[0]


def refused(group_name: str, name: str) -> Claim | None:
    """The claim that kept ``name`` out of ``group_name`` (two other distributions provide it), or None."""
    return _resolved(group_name)[1].get(name)


def load_entry(group_name: str, name: str, what: str) -> Any:
    """Load entry point ``name`` of ``group_name``; an unknown name lists the known ones, a name two
    distributions claim names both, and a plugin that fails to import says which and why."""
    eps = group(group_name)
    ep = eps.get(name)
    if ep is None:
        claim = refused(group_name, name)
        if claim is not None:
            raise PluginError(claim.message())
        known = ", ".join(sorted(eps)) or "none installed"
        raise PluginError(f"unknown {what} {name!r}; known: {known}")
    try:
        return ep.load()
    except Exception as exc:  # a broken third-party plugin: say which, not a traceback
        raise PluginError(f"{what} plugin {name!r} from {described(ep)} failed to load: "
                          f"{type(exc).__name__}: {exc}") from exc


def on_refresh(clear: Callable[[], None]) -> Callable[[], None]:
    """Register ``clear`` (a registry's ``cache_clear``) to run on :func:`refresh`; returns it."""
    _on_refresh.append(clear)
    return clear


def refresh() -> None:
    """Forget every plugin looked up so far, so that packages installed since are found (a notebook
    that just ran ``pip install``, a test that puts a distribution on ``sys.path``)."""
    _scan.clear()
    _resolutions.clear()
    for clear in _on_refresh:
        clear()
