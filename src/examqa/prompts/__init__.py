"""Prompts: what a model is asked — per-domain jinja2 templates rendered in a sandbox (:class:`PromptSet`), and
protocols (:class:`ExamProtocol`: examqa's own, or a paper's such as KMMLU-Pro's) that choose the templates,
the labels, the sampling per mode and an extra reading of the answer.

May import :mod:`examqa.exams`; must not import banks, backends, reading, runs or reports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from examqa._lazy import lazy_exports

# name → module that defines it
_EXPORTS = {
    "ExamProtocol": "examqa.prompts.protocols",
    "get_protocol": "examqa.prompts.protocols",
    "load_prompts": "examqa.prompts.templates",
    "load_subject_kinds": "examqa.prompts.templates",
    "prompts_for": "examqa.prompts.templates",
    "PromptSet": "examqa.prompts.templates",
    "ProtocolName": "examqa.prompts.protocols",
    "read_kmmlu_pro": "examqa.prompts.protocols",
    "render_item": "examqa.prompts.protocols",
    "SUBJECT_KINDS": "examqa.prompts.templates",
}


__getattr__, __dir__ = lazy_exports("examqa.prompts", _EXPORTS, globals())


if TYPE_CHECKING:  # static checkers and IDEs see the real names
    from examqa.prompts.protocols import ExamProtocol, ProtocolName, get_protocol, read_kmmlu_pro, render_item
    from examqa.prompts.templates import SUBJECT_KINDS, PromptSet, load_prompts, load_subject_kinds, prompts_for

__all__ = [
    "SUBJECT_KINDS",
    "ExamProtocol",
    "PromptSet",
    "ProtocolName",
    "get_protocol",
    "load_prompts",
    "load_subject_kinds",
    "prompts_for",
    "read_kmmlu_pro",
    "render_item",
]
