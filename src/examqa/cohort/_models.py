"""What a cohort report holds, as versioned pydantic models (``--json`` prints them)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from examqa.exams.models import Points

COHORT_SCHEMA_VERSION = 1


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class BadSheet(_Out):
    """A sheet left out under ``skip_bad``: who, where, and what was wrong with it."""

    student: str | None = Field(description="The student, when the row or file names one.")
    path: str | None = None
    line: int | None = Field(default=None, description="1-based line in ``path``, or the row number of "
                                                       "rows handed over in Python.")
    message: str


class SubjectDistribution(_Out):
    """How a subject went across the cohort, against its 40 % line."""

    name: str
    name_en: str
    items: int
    max_points: Points
    floor_points: Points = Field(description="The subject's own 40 % line, in points.")
    group: str | None = Field(default=None, description="Merged 과락 group whose pooled line decides.")
    mean_points: float
    mean_percent: float
    median_percent: float
    below_floor: int = Field(description="Students under the subject's own 40 % line.")
    failed_floor: int = Field(description="Students whose floor (the merged group's, if any) is not met.")
    histogram: tuple[int, ...] = Field(description="Students per 5 % band of the subject's percent: "
                                                   "[0, 5), [5, 10), …, [95, 100].")
    kr20: float | None = Field(description="KR-20 reliability of the subject's items; None when undefined.")


class ItemStats(_Out):
    """Classical item statistics for one item."""

    id: str
    subject: str
    number: int | None = None
    key: tuple[int, ...] = Field(description="Accepted choices (1-based).")
    points: Points
    choices: int
    difficulty: float = Field(description="Share of students who scored the item (p).")
    discrimination: float | None = Field(
        description="Point-biserial correlation of scoring the item with the points on the rest of the "
                    "paper; None when either has no variance.")
    option_shares: tuple[float, ...] = Field(description="Share marking each choice alone (index 0 = choice 1).")
    blank: float = Field(description="Share leaving it blank.")
    multiple: float = Field(description="Share with two or more marks.")
    top_option_shares: tuple[float, ...] = Field(
        description="The same shares among the strongest quarter of the cohort (by the total line's measure).")


FlagKind = Literal["key_suspect", "negative_discrimination", "low_discrimination"]


class ItemFlag(_Out):
    """An item that misbehaves, with the numbers that raised the flag."""

    id: str
    subject: str
    kind: FlagKind = Field(description="key_suspect: a wrong choice draws more of the strongest quarter than "
                                       "the key (a likely key error or a second right answer); "
                                       "negative/low_discrimination: stronger students do no better on it.")
    message: str
    numbers: dict[str, float] = Field(description="The figures behind the flag.")


class SubjectPlacement(_Out):
    """Where a model run's subject score falls in the cohort."""

    name: str
    points: Points
    percent: float
    percentile: float = Field(description="Share of the cohort below it, ties counting half, in percent.")


class Placement(_Out):
    """A model run placed in the cohort: its percentile subject by subject and on the total line."""

    run: str
    model: str | None = None
    passed: bool
    total_percent: float = Field(description="The run's total, read as the pass rule reads it.")
    percentile: float
    rank: int = Field(description="1 + students strictly above it.")
    subjects: tuple[SubjectPlacement, ...]


class CohortSummary(_Out):
    """The cohort at a glance: who passed, why the others failed, subjects, reliability, flags."""

    schema_version: int = COHORT_SCHEMA_VERSION
    exam: str
    exam_name: str
    exam_name_en: str
    edition: str
    complete: bool = Field(description="False when the bank lacks items or subjects the blueprint states.")
    basis: Literal["total_points", "subject_mean"]
    total_percent: Points = Field(description="The total line (60 %, or the year's announced cut of a rank exam).")
    floor_percent: Points = Field(description="The floor of every subject or merged group (40 %).")
    students: int
    passed: int = Field(description="Decided passes under the law.")
    undecided: int = Field(default=0, description="Students whose verdict the law does not decide from this paper: "
                                                  "eligible where a rank exam's cut is not published, or everyone "
                                                  "on a part of a larger exam.")
    decision_rule: Literal["absolute", "rank", "part"] = Field(
        default="absolute", description="How the law decides (see Report.rule_kind).")
    year: int | None = Field(default=None, description="The exam year whose rules (and announced cut) apply.")
    electives: tuple[str, ...] = Field(default=(), description="The elective(s) the class is graded on.")
    pass_rate: float = Field(description="passed ÷ students (0 for an empty cohort).")
    failed_floor_only: int = Field(description="Failed only by a 과락 floor: the total line was met.")
    failed_total_only: int = Field(description="Failed only by the total line (mean or total): every floor met.")
    failed_both: int
    to_pass: dict[int, int] = Field(description="Failed students by further correct answers needed (N → count).")
    mean_percent: float = Field(description="Mean of the total line's measure (percent of total, or mean).")
    subjects: tuple[SubjectDistribution, ...]
    kr20: float | None = Field(description="KR-20 over every graded item.")
    flags: tuple[ItemFlag, ...] = ()
    placement: Placement | None = None
    bad: tuple[BadSheet, ...] = Field(default=(), description="Sheets left out (skip_bad), never silently.")
    notes: tuple[str, ...] = ()
    pass_rule: str
