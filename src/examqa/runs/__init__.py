"""Runs: a model answering a paper (:func:`evaluate` / :func:`aevaluate`) or one question (:func:`solve`,
:func:`asolve`, :func:`astream`), with every sample stored the moment it is graded.

Owns the run options (:class:`RunOptions`, one validated model the CLI's flags are generated from), the
engine's stages (build requests → generate → read → store → majority → score → report), the run store
(one directory per run, resumable) and re-reading stored runs (:func:`report_run`, :func:`rescore_run`).

May import every stage below it: exams, banks, prompts, reading, the :class:`~examqa.backends.Backend`
protocol, and reports (a run writes its ``report.md`` and ``report.html``). Must not import a backend
implementation (a backend is built by name through :func:`examqa.backends.backend`), cohorts, comparison or
the suite.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from examqa._lazy import lazy_exports

# name → module that defines it
_EXPORTS = {
    "Options": "examqa.runs.options",
    "RunStarted": "examqa.runs.runner",
    "SheetOptions": "examqa.runs.options",
    "cli_spec": "examqa.runs.options",
    "option_flag": "examqa.runs.options",
    "validated": "examqa.runs.options",
    "aevaluate": "examqa.runs.runner",
    "asolve": "examqa.runs.solver",
    "astream": "examqa.runs.solver",
    "evaluate": "examqa.runs.runner",
    "Mode": "examqa.runs.options",
    "report_run": "examqa.runs.runner",
    "rescore_run": "examqa.runs.runner",
    "RunConfig": "examqa.runs.engine",
    "RunManifest": "examqa.runs.store",
    "RunOptions": "examqa.runs.options",
    "RunProgress": "examqa.runs.runner",
    "RunStore": "examqa.runs.store",
    "SampleRecord": "examqa.runs.store",
    "Solution": "examqa.runs.solver",
    "solve": "examqa.runs.solver",
    "SolveOptions": "examqa.runs.options",
    "SuiteOptions": "examqa.runs.options",
}


__getattr__, __dir__ = lazy_exports("examqa.runs", _EXPORTS, globals())


if TYPE_CHECKING:  # static checkers and IDEs see the real names
    from examqa.runs.engine import RunConfig
    from examqa.runs.options import Mode, RunOptions, SolveOptions, SuiteOptions
    from examqa.runs.runner import RunProgress, aevaluate, evaluate, report_run, rescore_run
    from examqa.runs.solver import Solution, asolve, astream, solve
    from examqa.runs.store import RunManifest, RunStore, SampleRecord

__all__ = [
    "Mode",
    "RunConfig",
    "RunManifest",
    "RunOptions",
    "RunProgress",
    "RunStore",
    "SampleRecord",
    "Solution",
    "SolveOptions",
    "SuiteOptions",
    "aevaluate",
    "asolve",
    "astream",
    "evaluate",
    "report_run",
    "rescore_run",
    "solve",
]
