"""Reading: what a model's completion answers — :func:`parse_response` splits the reasoning from the answer and
reads the one choice the answer names (or says why none: truncated, no answer, ambiguous, out of range).

Owns the reader and its helpers (cues, statements about choices, choice text matching). May import
:mod:`examqa.exams` (the question it reads an answer to); must not import prompts, backends, runs or reports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from examqa._lazy import lazy_exports

# name → module that defines it
_EXPORTS = {
    "FAILURE_METHODS": "examqa.reading.parse",
    "parse_response": "examqa.reading.parse",
    "ParsedResponse": "examqa.reading.parse",
    "SUCCESS_METHODS": "examqa.reading.parse",
}


__getattr__, __dir__ = lazy_exports("examqa.reading", _EXPORTS, globals())


if TYPE_CHECKING:  # static checkers and IDEs see the real names
    from examqa.reading.parse import FAILURE_METHODS, SUCCESS_METHODS, ParsedResponse, parse_response

__all__ = [
    "FAILURE_METHODS",
    "SUCCESS_METHODS",
    "ParsedResponse",
    "parse_response",
]
