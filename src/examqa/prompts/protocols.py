"""Exam protocols: how a run asks its questions and reads the answers.

Two protocols ship, chosen with ``--protocol``:

* ``examqa`` (default) — the domain's own templates (``prompts/<domain>/``), choices labelled as the paper
  prints them (①②③), the answer read by :func:`examqa.reading.parse.parse_response` from the text after
  ``</think>`` only.
* ``kmmlu-pro`` — the protocol of the KMMLU-Pro paper (arXiv 2507.08924, App. E.1), to reproduce its table:
  zero-shot, no system turn, choices relabelled ``A)``–``E)``, the paper's instruction
  (``prompts/_protocols/kmmlu-pro/user.j2``), greedy decoding without reasoning. Each sample also records
  the paper's own regex reading of the whole completion (:func:`read_kmmlu_pro`) next to examqa's, so a
  report can show where the two disagree.

A protocol changes only what is asked, how it is sampled by default and which extra readings are kept;
grading (the final key, 복수정답, the pass rule) is the same for both. See ``docs/protocols.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from examqa.errors import InputError
from examqa.exams.models import Question
from examqa.exams.resources import prompts_dir
from examqa.prompts.templates import PromptSet, prompts_for

__all__ = [
    "KMMLU_PRO_MATCH",
    "PROTOCOLS",
    "ExamProtocol",
    "ProtocolName",
    "Reader",
    "get_protocol",
    "read_kmmlu_pro",
]

ProtocolName = Literal["examqa", "kmmlu-pro"]
Reader = Callable[[str, int], int | None]
"""An extra reading of a completion: ``reader(completion, n_choices)`` → 1-based choice or None."""

# ----------------------------------------------------------------------------------- the paper's reader

KMMLU_PRO_MATCH: Literal["first", "last"] = "first"
"""Which match of a pattern the paper's reader takes. The paper quotes its regexes but not the code that
applies them: ``first`` follows simple-evals (``re.search``), whose template the paper's prompt mirrors.
A third-party port that says it follows LG's code takes the last (``re.findall(...)[-1]``); set ``last``
to read that way. Not checked against the paper's code (see docs/protocols.md)."""

_KMMLU_PRO_PATTERNS = (  # exactly as the paper quotes them, tried in this order
    re.compile(r"정답[^A-E]*:[^A-E]*([A-E])"),
    re.compile(r"(?i)Answer[^A-E]*: [^A-E]*([A-E])"),
    re.compile(r"정답[^A-E]*([A-E])|([A-E])\)"),  # the fallback
)


def read_kmmlu_pro(completion: str, n_choices: int) -> int | None:
    """Read ``completion`` as the KMMLU-Pro paper's extractor does: the letter → a 1-based choice.

    The three patterns are tried in order; the first pattern that matches anywhere decides, and within it
    the first match (:data:`KMMLU_PRO_MATCH`). ``completion`` is the whole text the paper's harness sees:
    reasoning, ``</think>`` and answer together — nothing is split off, so a trace cut off before
    ``</think>`` can still be read as an answer. The ``(?i)`` pattern can capture a lowercase letter; it
    is read as the capital. A letter past the item's choices (E on a 4-choice item) reads as None, which
    scores the same as the paper's wrong letter.
    """
    for pattern in _KMMLU_PRO_PATTERNS:
        matches = list(pattern.finditer(completion))
        if not matches:
            continue
        m = matches[0] if KMMLU_PRO_MATCH == "first" else matches[-1]
        letter = next(g for g in m.groups() if g is not None).upper()
        choice = ord(letter) - ord("A") + 1
        return choice if choice <= n_choices else None
    return None


# ----------------------------------------------------------------------------------- protocols


def _frozen(values: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType(dict(values))


@dataclass(frozen=True)
class ExamProtocol:
    """How a run asks and reads: templates, choice labels, default sampling, extra readings."""

    name: str
    """``examqa`` or ``kmmlu-pro``; recorded in the run manifest."""
    summary: str
    """One line for ``--help`` and reports."""
    templates: str | None
    """A folder under the bundled ``prompts/`` that replaces the domain's templates; None = the domain's."""
    label_style: Literal["number", "letter"] | None
    """Relabel every question's choices: ``letter`` = A)–E) as the paper prints them; None = the bank's own."""
    reasoning_sampling: Mapping[str, float] = field(compare=False)
    """Defaults in reasoning mode: ``temperature`` and ``top_p``."""
    direct_sampling: Mapping[str, float] = field(compare=False)
    """Defaults in non-reasoning mode."""
    readers: Mapping[str, Reader] = field(default_factory=lambda: MappingProxyType({}), compare=False)
    """Extra readings kept per sample (``readings`` in ``samples.jsonl``): name → reader of the whole completion."""

    def prompts(self, domain_prompts: Path, override: Path | None, domain: str) -> PromptSet:
        """The templates to render: ``override`` (``--prompts``) if given, else this protocol's, else the domain's."""
        if self.templates is not None and override is None:
            return prompts_for(prompts_dir() / self.templates, None, domain)
        return prompts_for(domain_prompts, override, domain)

    def sampling_defaults(self, thinking: bool) -> dict[str, float]:
        """``{"temperature": …, "top_p": …}`` for the mode; explicit ``--temperature``/``--top-p`` win."""
        return dict(self.reasoning_sampling if thinking else self.direct_sampling)

    def relabel(self, question: Question) -> Question:
        """``question`` with this protocol's choice labels; rendering and parsing must both use the result."""
        if self.label_style is None or question.label_style == self.label_style:
            return question
        return question.model_copy(update={"label_style": self.label_style})

    def read(self, completion: str, n_choices: int) -> dict[str, int | None]:
        """Every extra reading of ``completion`` (the whole output, reasoning included), by reader name."""
        return {name: reader(completion, n_choices) for name, reader in self.readers.items()}


_EXAONE_REASONING = {"temperature": 0.6, "top_p": 0.95}  # EXAONE 4.0 model card, and the paper's

PROTOCOLS: Mapping[str, ExamProtocol] = MappingProxyType({
    "examqa": ExamProtocol(
        name="examqa",
        summary="examqa's per-domain prompts; the answer after </think> read by parse_response",
        templates=None,
        label_style=None,
        reasoning_sampling=_frozen(_EXAONE_REASONING),
        # top_p stays at the CLI's 0.95 so greedy runs keep the manifest identity they always had
        direct_sampling=_frozen({"temperature": 0.0, "top_p": 0.95}),
    ),
    "kmmlu-pro": ExamProtocol(
        name="kmmlu-pro",
        summary="the KMMLU-Pro paper's zero-shot prompt, A)-E) labels and regex reading",
        templates="_protocols/kmmlu-pro",
        label_style="letter",
        reasoning_sampling=_frozen(_EXAONE_REASONING),
        direct_sampling=_frozen({"temperature": 0.0, "top_p": 1.0}),  # greedy
        readers=MappingProxyType({"kmmlu-pro": read_kmmlu_pro}),
    ),
})
"""The protocols ``--protocol`` accepts, by name."""


def get_protocol(name: str) -> ExamProtocol:
    """The protocol called ``name``; an unknown name is an :class:`InputError` listing the known ones."""
    try:
        return PROTOCOLS[name]
    except KeyError:
        known = ", ".join(PROTOCOLS)
        raise InputError(f"unknown protocol {name!r}; known protocols: {known}",
                         hint="e.g. --protocol kmmlu-pro") from None


def render_item(exam_id: str, question: Question, protocol: ProtocolName | str = "examqa", thinking: bool = True,
                prompts: Path | None = None) -> tuple[dict[str, str], ...]:
    """The exact messages a run of ``exam_id`` under ``protocol`` sends for ``question``.

    ``prompts`` is a ``--prompts`` override folder. This is what ``examqa prompts EXAM --bank B --item ID``
    prints; under ``kmmlu-pro`` the choices are relabelled A)–E) as the paper's harness does.
    """
    from examqa.exams.plugins import get_exam

    entry = get_exam(exam_id)
    proto = get_protocol(protocol)
    prompt_set = proto.prompts(entry.domain.prompts, prompts, entry.domain.name)
    return prompt_set.render(entry.blueprint, proto.relabel(question), thinking=thinking)
