"""The report: the verdict the examiners would give, subject by subject, as a versioned pydantic model.

``REPORT_SCHEMA_VERSION`` changes whenever a field changes meaning or disappears; new optional fields
keep it. ``examqa schema`` prints the JSON schema.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from examqa.exams.grading import ItemStatus
from examqa.exams.models import Marks, Points, RuleKind

REPORT_SCHEMA_VERSION = 1

Decision = Literal["pass", "fail", "cut_unpublished", "part_only"]
"""What the law's verdict is on this sheet: ``pass`` or ``fail`` (decided); ``cut_unpublished``: the statutory
lines are met, but the exam passes by rank within a quota and the year's cut is not published (or the bank
names no year), so examqa cannot decide; ``part_only``: the paper is one part of a larger exam (변호사시험
선택형) and the law decides on the whole. ``passed`` is True only for ``pass``."""


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class SubjectResult(_Out):
    """One subject's points against its own maximum and the 40 % line."""

    name: str
    name_en: str
    session: int | None = None
    points: Points
    max_points: Points
    percent: float = Field(description="points / max_points × 100, rounded to 4 places for display.")
    floor_points: Points = Field(description="The 40 % line in points.")
    passed: bool = Field(description="Whether this subject's floor group clears the 40 % line.")
    group: str | None = Field(default=None, description="Merged 과락 group, when the subject is in one.")
    items: int = Field(description="Items of this subject in the bank.")
    expected_items: int | None = Field(default=None, description="Items the blueprint states.")
    answered: int
    correct: int
    multiple: int = Field(default=0, description="Items with two or more marks (they score nothing).")


class GroupResult(_Out):
    """A merged 과락 group (치과의사): the floor applies to the pooled points."""

    name: str
    name_en: str
    subjects: tuple[str, ...]
    points: Points
    max_points: Points
    percent: float
    floor_points: Points
    passed: bool


class SessionResult(_Out):
    """Points per 교시 (no floor applies per session; shown for reference)."""

    session: int
    points: Points
    max_points: Points


class CutResult(_Out):
    """The year's announced 합격선 of a rank exam, as the verdict used it."""

    year: int
    round: int | None = None
    published: str = Field(description="As announced: '76.66 (mean of 100)' or '384.5 / 550 points'.")
    percent: Points = Field(description="The cut on the measure the verdict reads (mean, or percent of total).")
    source: str = Field(description="Where the cut is from: the source's title and address.")
    verified: bool = Field(description="False when only a secondary source states it.")
    met: bool = Field(description="Whether the sheet reaches it (이상: the cut itself passes).")


class TotalResult(_Out):
    """The total against its line, read as the law reads it (``basis``).

    ``threshold_percent`` is the line the verdict holds the total against: the statutory line (60 %), or the
    year's announced cut where it is higher (rank exams); 0 where the law sets none (법무사 1차 without a cut).
    """

    points: Points
    max_points: Points
    percent: float = Field(description="Total points ÷ maximum, or the mean of subject percents (basis).")
    threshold_percent: Points
    floor_percent: Points = Field(description="The per-subject (or group) floor, in percent.")
    basis: Literal["total_points", "subject_mean"]
    passed: bool
    statutory_percent: Points | None = Field(
        default=None, description="The law's own total line (60 %); None when it sets none. Reports written "
                                  "before examqa knew rank exams leave it out: it is threshold_percent then.")
    cut: CutResult | None = Field(default=None, description="The year's announced cut, when the rule ranks and "
                                                            "examqa knows it.")


class ItemResult(_Out):
    """One item: what was marked, what the key accepts, and how it ended."""

    id: str
    subject: str
    marks: Marks
    accepted: tuple[int, ...]
    points: Points
    status: ItemStatus
    awarded: Points
    outcome: Literal["correct", "wrong", "no_answer", "truncated", "error"] | None = Field(
        default=None, description="Model runs: how the majority answer came about; None for sheets."
    )


class PaperVerdict(_Out):
    """The KMMLU-Pro paper's verdict under its own simplified rule (not the law), shown beside the law's."""

    rule: str = Field(description="The paper's rule for this licence, in words.")
    passed: bool
    percent: float = Field(description="The mean of the floor units' percents (what the paper's mean rule reads).")
    total_percent: float = Field(description="Points ÷ maximum, in percent (what a cut-off reads).")
    reasons: tuple[str, ...] = Field(default=(), description="Why it fails under the paper's rule.")
    agrees: bool = Field(description="Whether the law's verdict is the same decided PASS/FAIL (an undecided law "
                                     "verdict never agrees with a PASS).")


class ReadingResult(_Out):
    """Another extractor's reading of the same outputs (a protocol's own), scored exactly like examqa's."""

    correct: int = Field(description="Items whose majority reading scores.")
    items: int
    accuracy: float = Field(description="Percent of items correct: the figure papers report.")
    percent: float = Field(description="The total under the exam's rule (points or mean of subjects).")
    passed: bool = Field(description="The verdict under the official rule with this reading.")
    disagreements: int = Field(description="Samples where this reading differs from examqa's.")
    decision: Decision | None = Field(default=None, description="The law's decision with this reading.")
    paper_passed: bool | None = Field(default=None, description="The paper's own rule with this reading "
                                                                "(kmmlu-pro runs).")


class RunSummary(_Out):
    """What a model run adds: answer-extraction rates, tokens, time, cost, and pass probability."""

    model: str
    backend: str
    reasoning: bool
    samples_per_item: int
    items: int = Field(description="Items in the paper.")
    generated: int = Field(description="Samples generated (items × samples, less errors).")
    no_answer: int = Field(description="Samples whose answer part named no single choice.")
    truncated: int = Field(description="Samples cut off before </think> or by the token limit.")
    errors: int = Field(description="Samples that failed (server errors); --resume retries them.")
    missing: int = Field(default=0, description="Samples not graded yet — failed, or never generated (an "
                         "interrupted run): items × samples − generated. Non-zero: the run is incomplete and "
                         "--resume finishes it.")
    mode: Literal["reasoning", "non-reasoning"] | None = Field(
        default=None, description="The hybrid model's mode (thinking on or off).")
    protocol: str = Field(default="examqa", description="Prompt and reading protocol (examqa, kmmlu-pro).")
    readings: dict[str, ReadingResult] = Field(
        default_factory=dict, description="Other extractors' readings, scored (e.g. the paper's regex).")
    no_answer_rate: float
    truncated_rate: float
    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int | None = None
    wall_seconds: float | None = None
    pass_probability: float | None = Field(
        default=None, description="P(pass) estimated from per-item correctness over the K samples."
    )
    cost: float | None = Field(default=None, description="Cost of the run, from --price-in/--price-out.")
    cost_per_pass: float | None = Field(default=None, description="Cost ÷ pass probability.")
    currency: str | None = None

    @property
    def complete(self) -> bool:
        """Every item has all its samples graded: nothing for ``--resume`` to do."""
        return self.missing == 0


class ToPass(_Out):
    """What it takes to pass: the fewest further correct answers that turn the sheet into a PASS.

    Exact: item points, merged 과락 groups and the total line (points or mean) are all honoured. An item
    "turned correct" is one marked with an accepted choice. See :mod:`examqa.exams.topass`.
    """

    items: int = Field(description="Further correct answers needed; 0 for a PASS (or for a sheet already "
                                   "eligible where the cut is not published).")
    by_subject: dict[str, int] = Field(
        default_factory=dict,
        description="One way to get there with that many: further correct answers per subject, highest-point "
                    "items first; empty for a PASS.")
    target: Literal["pass", "cut", "eligible"] = Field(
        default="pass", description="What the count reaches: the statutory lines (pass), the year's announced "
                                    "cut (cut), or only the statutory lines of a rank exam whose cut is not "
                                    "published (eligible: a pass is then not decided).")


class Report(_Out):
    """The verdict on one answer sheet (a student's, or a model's majority answers)."""

    schema_version: int = REPORT_SCHEMA_VERSION
    exam: str
    exam_name: str = Field(description="Korean name of the exam.")
    exam_name_en: str
    edition: str
    passed: bool = Field(description="A decided PASS under the law (decision == 'pass').")
    decision: Decision = Field(
        default="fail", description="pass / fail (decided), cut_unpublished (the statutory lines are met; the "
                                    "rank exam's cut for the year is not published), part_only (one part of a "
                                    "larger exam: the law decides on the whole). Older reports: from passed.")
    rule_kind: RuleKind = Field(default="absolute", description="How the law decides (absolute, rank, part).")
    year: int | None = Field(default=None, description="The exam year whose rules apply (the bank's, or --year).")
    electives: tuple[str, ...] = Field(default=(), description="The elective subject(s) graded: the one sat.")
    complete: bool = Field(description="False when the bank lacks items or subjects the blueprint states.")
    total: TotalResult
    subjects: tuple[SubjectResult, ...]
    groups: tuple[GroupResult, ...] = ()
    sessions: tuple[SessionResult, ...] = ()
    reasons: tuple[str, ...] = Field(description="Why it failed, in Korean; empty on a pass.")
    reasons_en: tuple[str, ...] = Field(description="The same reasons in English.")
    notes: tuple[str, ...] = Field(default=(), description="Caveats: partial banks, unverified facts.")
    pass_rule: str
    items: tuple[ItemResult, ...] = ()
    run: RunSummary | None = None
    to_pass: ToPass | None = Field(
        default=None, description="What it takes to pass (0 items for a PASS). None in reports written "
                                  "before examqa computed it, when no further correct answers would pass, or "
                                  "when this paper cannot decide a pass (part_only).")
    paper: PaperVerdict | None = Field(
        default=None, description="The KMMLU-Pro paper's verdict under its own rule (--protocol kmmlu-pro).")

    @model_validator(mode="after")
    def _passed_is_a_decided_pass(self) -> Report:
        if self.passed != (self.decision == "pass"):
            raise ValueError(f"passed is {self.passed} but the decision is {self.decision!r}")
        return self

    @model_validator(mode="before")
    @classmethod
    def _decision_from_passed(cls, data: Any) -> Any:
        """A report written before ``decision`` existed: decided, and as ``passed`` says."""
        if isinstance(data, dict) and "decision" not in data and "passed" in data:
            data = {**data, "decision": "pass" if data["passed"] else "fail"}
        return data

    @property
    def decided(self) -> bool:
        """Whether the law's verdict is decided from this sheet (PASS or FAIL)."""
        return self.decision in ("pass", "fail")
