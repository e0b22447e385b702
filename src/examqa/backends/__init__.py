"""Backends that generate answers: ``hf`` (transformers), ``vllm`` (vLLM in-process), ``openai`` (vLLM-class
servers), ``scripted``.

Each is a factory in the ``examqa.backends`` entry-point group, so :func:`backend` builds the built-ins
and third-party backends the same way.

Owns the :class:`Backend` protocol and what crosses it (:class:`GenRequest`, :class:`GenResult`,
:class:`Sampling`, :class:`TextDelta`), and the built-in implementations. A backend knows chat messages and
sampling, nothing about exams: it may import only :mod:`examqa.errors` and :mod:`examqa._entrypoints`, and
must not import exams, banks, prompts, reading, runs or reports. Only this package imports an
implementation (``hf``, ``vllm``, ``openai``, ``scripted``); every other package builds one by name.
"""

from __future__ import annotations

import inspect
from typing import Any

from examqa._entrypoints import BACKENDS_GROUP, group, load_entry
from examqa.backends.base import (
    AsyncBackend,
    Backend,
    BackendInfo,
    FinishReason,
    GenRequest,
    GenResult,
    Sampling,
    StreamItem,
    SyncBackend,
    TextDelta,
    ThinkSplitter,
)
from examqa.errors import InputError, PluginError

__all__ = ["AsyncBackend", "Backend", "BackendInfo", "FinishReason", "GenRequest", "GenResult", "Sampling",
           "StreamItem", "SyncBackend", "TextDelta", "ThinkSplitter", "backend", "backend_names", "backend_settings"]


def backend_names() -> list[str]:
    """The names :func:`backend` accepts (the ``examqa.backends`` entry points installed)."""
    return sorted(group(BACKENDS_GROUP))


def backend_settings(name: str) -> dict[str, inspect.Parameter]:
    """The settings backend ``name`` takes, as its factory declares them (name → parameter)."""
    factory = load_entry(BACKENDS_GROUP, name, "backend")
    return dict(inspect.signature(factory).parameters)


def backend(name: str, **settings: Any) -> Backend:
    """Build the backend registered as ``name`` with ``settings``.

    ``examqa.backend("openai", model="exaone", base_url="http://127.0.0.1:8000/v1", concurrency=64)``,
    ``examqa.backend("hf", model="LGAI-EXAONE/EXAONE-4.0-1.2B")``,
    ``examqa.backend("scripted", model="script.json")``. A setting the backend does not take, or a
    required one left out, is an :class:`~examqa.errors.InputError` naming the settings it does take.
    Building contacts nothing and loads nothing: a run opens the backend (loads the model, checks the
    server) only after checking its own inputs.
    """
    factory = load_entry(BACKENDS_GROUP, name, "backend")
    params = inspect.signature(factory).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    named = [p for p in params.values() if p.kind in (inspect.Parameter.KEYWORD_ONLY,
                                                      inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    known = ", ".join(p.name for p in named) or "none"
    if not takes_any:
        unknown = [k for k in settings if k not in params]
        if unknown:
            raise InputError(f"backend {name!r} takes no setting {unknown[0]!r}", hint=f"its settings: {known}")
    missing = [p.name for p in named if p.default is inspect.Parameter.empty and p.name not in settings]
    if missing:
        raise InputError(f"backend {name!r} needs {', '.join(missing)}", hint=f"its settings: {known}")
    built = factory(**settings)
    if not isinstance(built, Backend):
        raise PluginError(f"backend plugin {name!r} returned {type(built).__name__}, which is not an "
                          "examqa Backend (agenerate, generate, astream, aopen/open, aclose/close, info)")
    return built
