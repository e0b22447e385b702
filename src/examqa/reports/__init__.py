"""Reports: every renderer — the terminal, Markdown and self-contained HTML — for a sheet or run
(:mod:`._sheet`), a suite (:mod:`._suite`), a comparison (:mod:`._compare`) and a cohort (:mod:`._cohort`,
:mod:`._cohort_html`), sharing one set of parts:

- :mod:`._parts` — HTML: the one stylesheet (printable), the page shell, the header (exam, model, mode,
  protocol), verdict badges, the verdict ring, key figures, bar charts, meters, tables, escaping;
- :mod:`._words` — every format: verdict words, a sheet's rows, a run's figures, and numbers beside their
  lines by the one display rule (:mod:`examqa.exams.display`: never a rounded value across its line);
- :mod:`._markdown` — Markdown: one escape for every outside string (model names, labels, students …), tables.

Reports turn result models into text and never compute a verdict. They sit below the stages that write
report files (runs, suites, comparisons), so a run can write its ``report.md``; the result types of those
stages appear here in annotations only (``TYPE_CHECKING``), never as runtime imports. May import
:mod:`examqa.exams` (the :class:`~examqa.exams.Report`, how points are written); must not import banks,
sheets, prompts, reading, backends, runs, cohorts, comparison or the suite at run time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from examqa._lazy import lazy_exports

# name → module that defines it
_EXPORTS = {
    "cohort_csv": "examqa.reports._cohort",
    "cohort_html": "examqa.reports._cohort_html",
    "cohort_markdown": "examqa.reports._cohort",
    "comparison_html": "examqa.reports._compare",
    "comparison_markdown": "examqa.reports._compare",
    "print_cohort": "examqa.reports._cohort",
    "print_report": "examqa.reports._sheet",
    "print_suite": "examqa.reports._suite",
    "reading_lines": "examqa.reports._sheet",
    "suite_html": "examqa.reports._suite",
    "suite_markdown": "examqa.reports._suite",
    "to_html": "examqa.reports._sheet",
    "to_markdown": "examqa.reports._sheet",
    "verdict_line": "examqa.reports._sheet",
    "write_comparison": "examqa.reports._compare",
}


__getattr__, __dir__ = lazy_exports("examqa.reports", _EXPORTS, globals())


if TYPE_CHECKING:  # static checkers and IDEs see the real names
    from examqa.reports._cohort import cohort_csv, cohort_markdown, print_cohort
    from examqa.reports._cohort_html import cohort_html
    from examqa.reports._compare import comparison_html, comparison_markdown, write_comparison
    from examqa.reports._sheet import print_report, reading_lines, to_html, to_markdown, verdict_line
    from examqa.reports._suite import print_suite, suite_html, suite_markdown

__all__ = [
    "cohort_csv",
    "cohort_html",
    "cohort_markdown",
    "comparison_html",
    "comparison_markdown",
    "print_cohort",
    "print_report",
    "print_suite",
    "reading_lines",
    "suite_html",
    "suite_markdown",
    "to_html",
    "to_markdown",
    "verdict_line",
    "write_comparison",
]
