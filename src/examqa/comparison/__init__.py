"""Comparison: what changed between stored runs of one exam, and whether the difference is real
(:func:`compare`: deltas on the common items, verdict changes, an exact McNemar test, P(pass), the price of
reasoning). The result is a versioned model, :class:`Comparison`.

(The package is not called ``compare``: ``examqa.compare`` is the function.) May import runs (it reads run
directories), exams and reports; must not import the suite or the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from examqa._lazy import lazy_exports

# name → module that defines it
_EXPORTS = {
    "compare": "examqa.comparison.runs",
    "Comparison": "examqa.comparison.models",
    "holm": "examqa.comparison.runs",
    "mcnemar_exact": "examqa.comparison.runs",
    "PairComparison": "examqa.comparison.models",
}


__getattr__, __dir__ = lazy_exports("examqa.comparison", _EXPORTS, globals())


if TYPE_CHECKING:  # static checkers and IDEs see the real names
    from examqa.comparison.models import Comparison, PairComparison
    from examqa.comparison.runs import compare, holm, mcnemar_exact

__all__ = [
    "Comparison",
    "PairComparison",
    "compare",
    "holm",
    "mcnemar_exact",
]
