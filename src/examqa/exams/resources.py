"""Where the bundled data lives: ``exams/`` and ``prompts/`` at the repository top, shipped in the wheel.

An installed wheel carries them under ``examqa/_data/``; a source checkout (editable install) reads
them from the repository root.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def data_root() -> Path:
    """The folder that holds ``exams/`` and ``prompts/``."""
    packaged = Path(__file__).resolve().parents[1] / "_data"
    if (packaged / "exams").is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[3]
    if (checkout / "exams").is_dir():
        return checkout
    raise RuntimeError("examqa's data folders (exams/, prompts/) are missing from this install")


def exams_dir() -> Path:
    """Bundled exam blueprints and sample papers."""
    return data_root() / "exams"


def prompts_dir() -> Path:
    """Bundled prompt templates, one folder per domain."""
    return data_root() / "prompts"
