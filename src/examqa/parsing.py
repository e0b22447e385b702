"""Response parsing: split a reasoning-mode completion and extract the chosen choice.

PLACEHOLDER — being written; the public signature below is fixed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Method = str


@dataclass(frozen=True)
class ParsedResponse:
    """What ``parse_response`` found."""

    choice: int | None
    """1-based choice, or None (no answer, or truncated)."""
    method: str
    """How it was found, e.g. ``marker``, ``circled``, ``boxed``, ``choice_text``, ``fuzzy``, or why not:
    ``truncated``, ``no_answer``, ``ambiguous``, ``out_of_range``, ``none_stated``."""
    reasoning: str | None
    """The reasoning text (before ``</think>``), None in non-reasoning mode."""
    answer_text: str
    """The final answer part (after ``</think>``); empty when truncated."""
    truncated: bool
    """Reasoning mode with no ``</think>``: the reasoning was cut off and there is no answer."""


def parse_response(text: str, choices: Sequence[str], reasoning: bool = True,
                   label_style: Literal["number", "letter"] = "number") -> ParsedResponse:
    """Extract the answer from a completion. See module docs."""
    raise NotImplementedError
