"""Exams: what the examiners decide — exam facts, the items a paper holds, and the verdict under the law.

Owns the domain model (:class:`Question`, :class:`Blueprint` with its editions, subjects, merged 과락 groups and
pass rule, :class:`AnswerSheet`), the :class:`Report` a verdict is written in, reading one answer cell the same
way through every door (:func:`read_marks`), item grading under the final key (:class:`Grader`), scoring in
exact arithmetic (:func:`score`) and how its numbers are shown (:mod:`.display`: never a rounded value across
the line it is compared with), what it takes to pass (:mod:`.topass`), what an item asks (:mod:`.features`),
the registry of exam plugins (:func:`load_exam`; the built-in domains in :mod:`.domains`) and where the bundled
data lives (:mod:`.resources`).

May import: :mod:`examqa.errors`, :mod:`examqa._entrypoints`. Must not import any other examqa package: every
stage above (banks, sheets, prompts, reading, runs, cohorts, reports) builds on this one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from examqa._lazy import lazy_exports

# name → module that defines it
_EXPORTS = {
    "AnswerSheet": "examqa.exams.models",
    "Blueprint": "examqa.exams.models",
    "check_marks": "examqa.exams.grading",
    "choice_label": "examqa.exams.features",
    "clear_caches": "examqa.exams.plugins",
    "Domain": "examqa.exams.plugins",
    "domain_from_files": "examqa.exams.plugins",
    "Edition": "examqa.exams.models",
    "ExamEntry": "examqa.exams.plugins",
    "exams_dir": "examqa.exams.resources",
    "FloorGroup": "examqa.exams.models",
    "format_points": "examqa.exams.scoring",
    "get_exam": "examqa.exams.plugins",
    "get_grader": "examqa.exams.plugins",
    "grader_names": "examqa.exams.plugins",
    "Grader": "examqa.exams.grading",
    "item_features": "examqa.exams.features",
    "ItemFeatures": "examqa.exams.features",
    "ItemResult": "examqa.exams.report",
    "ItemStatus": "examqa.exams.grading",
    "KeyGrader": "examqa.exams.grading",
    "load_exam": "examqa.exams.plugins",
    "Marks": "examqa.exams.models",
    "PassRule": "examqa.exams.models",
    "mark_choices": "examqa.exams.scoring",
    "read_marks": "examqa.exams.marks",
    "Points": "examqa.exams.models",
    "prompts_dir": "examqa.exams.resources",
    "Question": "examqa.exams.models",
    "registry": "examqa.exams.plugins",
    "Report": "examqa.exams.report",
    "RunSummary": "examqa.exams.report",
    "score": "examqa.exams.scoring",
    "SubjectResult": "examqa.exams.report",
    "SubjectSpec": "examqa.exams.models",
    "to_pass": "examqa.exams.topass",
    "ToPass": "examqa.exams.report",
}


__getattr__, __dir__ = lazy_exports("examqa.exams", _EXPORTS, globals())


if TYPE_CHECKING:  # static checkers and IDEs see the real names
    from examqa.exams.features import ItemFeatures, choice_label, item_features
    from examqa.exams.grading import Grader, ItemStatus, KeyGrader, check_marks
    from examqa.exams.marks import read_marks
    from examqa.exams.models import (
        AnswerSheet,
        Blueprint,
        Edition,
        FloorGroup,
        Marks,
        PassRule,
        Points,
        Question,
        SubjectSpec,
    )
    from examqa.exams.plugins import (
        Domain,
        ExamEntry,
        clear_caches,
        domain_from_files,
        get_exam,
        get_grader,
        grader_names,
        load_exam,
        registry,
    )
    from examqa.exams.report import ItemResult, Report, RunSummary, SubjectResult, ToPass
    from examqa.exams.resources import exams_dir, prompts_dir
    from examqa.exams.scoring import format_points, mark_choices, score
    from examqa.exams.topass import to_pass

__all__ = [
    "AnswerSheet",
    "Blueprint",
    "Domain",
    "Edition",
    "ExamEntry",
    "FloorGroup",
    "Grader",
    "ItemFeatures",
    "ItemResult",
    "ItemStatus",
    "KeyGrader",
    "Marks",
    "PassRule",
    "Points",
    "Question",
    "Report",
    "RunSummary",
    "SubjectResult",
    "SubjectSpec",
    "ToPass",
    "check_marks",
    "choice_label",
    "clear_caches",
    "domain_from_files",
    "exams_dir",
    "format_points",
    "get_exam",
    "get_grader",
    "grader_names",
    "item_features",
    "load_exam",
    "mark_choices",
    "prompts_dir",
    "read_marks",
    "registry",
    "score",
    "to_pass",
]
