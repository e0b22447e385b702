"""The result of comparing runs: a versioned pydantic model, one docstring per field.

:func:`examqa.comparison.runs.compare` builds it; :mod:`examqa.reports` renders it (Markdown, HTML).
``COMPARISON_SCHEMA_VERSION`` changes whenever a field changes meaning or disappears.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from examqa.exams.models import Points

COMPARISON_SCHEMA_VERSION = 1
ALPHA = 0.05
"""The significance level the verdicts use; the p-values themselves are always given."""

Basis = Literal["total_points", "subject_mean"]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class RunInfo(_Out):
    """One compared run, as its manifest and report describe it."""

    label: str = Field(description="The name the comparison uses for the run.")
    path: str = Field(description="The run directory.")
    model: str = Field(description="The model, as the run named it.")
    backend: str = Field(description="The backend that generated the run (hf, openai, scripted).")
    mode: Literal["reasoning", "non-reasoning"] = Field(description="The hybrid model's mode (thinking on/off).")
    samples: int = Field(description="Samples per item the run asked for.")
    protocol: str = Field(description="Prompt and reading protocol (examqa, kmmlu-pro).")
    template_sha256: str = Field(description="Hash of the prompt templates.")
    bank_sha256: str = Field(description="Fingerprint of the bank the run used.")
    examqa_version: str = Field(description="The examqa that wrote the run (its parser, unless rescored).")
    items: int = Field(description="Items the run answered (at least one stored sample).")
    reported_percent: float = Field(description="report.json's total percent (over the run's own items).")
    reported_passed: bool = Field(description="report.json's verdict (over the run's own items).")
    reported_pass_probability: float | None = Field(description="report.json's P(pass) (the run's own items).")


class SubjectScore(_Out):
    """A subject's result for one run on the items every run answered (the chart's data)."""

    name: str = Field(description="The subject, as the blueprint names it.")
    percent: float = Field(description="Points ÷ maximum × 100 on the common items.")
    passed: bool = Field(description="Clears the floor (for a merged 과락 group: the group does).")


class RunScore(_Out):
    """One run re-scored on the items every compared run answered."""

    label: str = Field(description="The run's label.")
    passed: bool = Field(description="The verdict on the common items under the official rule.")
    percent: float = Field(description="Total percent as the rule reads it (points, or mean of subjects).")
    subjects: tuple[SubjectScore, ...] = Field(description="Per subject, in the blueprint's order.")


class SubjectDelta(_Out):
    """One subject, baseline against the other run, on the pair's common items."""

    name: str = Field(description="The subject, as the blueprint names it (Korean).")
    name_en: str = Field(description="The subject in English.")
    items: int = Field(description="Common items of this subject.")
    max_points: Points = Field(description="The subject's maximum on the common items.")
    baseline_points: Points = Field(description="The baseline's points.")
    other_points: Points = Field(description="The other run's points.")
    delta_points: Points = Field(description="Other − baseline, in points.")
    baseline_percent: float = Field(description="The baseline's percent of the maximum.")
    other_percent: float = Field(description="The other run's percent of the maximum.")
    delta_percent: float = Field(description="Other − baseline, in percentage points.")
    baseline_passed: bool = Field(description="The baseline clears the floor (or its merged group does).")
    other_passed: bool = Field(description="The other run clears the floor (or its merged group does).")


class TotalDelta(_Out):
    """The total, as the pass rule reads it, baseline against the other run."""

    basis: Basis = Field(description="total_points (전 과목 총점) or subject_mean (전 과목 평균).")
    max_points: Points = Field(description="The maximum on the common items.")
    baseline_points: Points = Field(description="The baseline's points.")
    other_points: Points = Field(description="The other run's points.")
    delta_points: Points = Field(description="Other − baseline, in points.")
    baseline_percent: float = Field(description="The baseline's total percent, or mean of subject percents.")
    other_percent: float = Field(description="The other run's total percent, or mean of subject percents.")
    delta_percent: float = Field(description="Other − baseline, in percentage points.")


class ItemRef(_Out):
    """An item, by id and subject."""

    id: str = Field(description="The question id.")
    subject: str = Field(description="Its subject.")


class McNemarResult(_Out):
    """Exact McNemar test on the per-item correctness of the majority answers."""

    test: str = Field(default="exact McNemar (two-sided binomial on the discordant pairs)",
                      description="The test, in words.")
    pairs: int = Field(description="Items compared.")
    both_right: int = Field(description="Items right in both runs.")
    both_wrong: int = Field(description="Items wrong (or unanswered) in both runs.")
    baseline_only: int = Field(description="b: items right in the baseline only.")
    other_only: int = Field(description="c: items right in the other run only.")
    p_value: float = Field(description="min(1, 2·Σ_{k≤min(b,c)} C(b+c,k)/2^(b+c)); 1 when b+c = 0.")
    p_holm: float | None = Field(default=None, description="Holm-adjusted across the pairs (several runs).")
    significant: bool = Field(description=f"p (Holm-adjusted when given) < {ALPHA}.")


class PassProbabilityDelta(_Out):
    """P(pass) from the per-item accuracy over samples (both runs drew several samples per item)."""

    baseline: float = Field(description="The baseline's P(pass) on the common items.")
    other: float = Field(description="The other run's P(pass) on the common items.")
    delta: float = Field(description="Other − baseline.")
    reported_baseline: float | None = Field(description="report.json's figure (the baseline's own items).")
    reported_other: float | None = Field(description="report.json's figure (the other run's own items).")


class SampleAccuracy(_Out):
    """Per-item accuracy over samples, paired: an exact sign test on the per-item differences."""

    test: str = Field(default="exact sign test on per-item accuracy over samples (two-sided; ties dropped)",
                      description="The test, in words.")
    baseline_mean: float = Field(description="The baseline's mean per-item accuracy over samples, percent.")
    other_mean: float = Field(description="The other run's mean per-item accuracy over samples, percent.")
    delta: float = Field(description="Other − baseline, in percentage points.")
    better: int = Field(description="Items more accurate in the other run.")
    worse: int = Field(description="Items less accurate in the other run.")
    ties: int = Field(description="Items equally accurate (dropped by the sign test).")
    p_value: float = Field(description="Exact two-sided sign test on better against worse.")


class ReasoningPrice(_Out):
    """Same model, two modes: what the reasoning mode's extra correct answers cost in completion tokens."""

    reasoning: str = Field(description="Label of the reasoning-mode run.")
    non_reasoning: str = Field(description="Label of the non-reasoning run.")
    tokens_per_answer_reasoning: float = Field(description="Mean completion tokens per answer, reasoning.")
    tokens_per_answer_non_reasoning: float = Field(description="Mean completion tokens per answer, non-reasoning.")
    extra_tokens: float = Field(description="Extra completion tokens over the common items (one answer each).")
    extra_correct: int = Field(description="Extra correct majority answers (may be ≤ 0).")
    tokens_per_extra_correct: float | None = Field(
        description="extra_tokens ÷ extra_correct; None when reasoning added no correct answer.")


class PairComparison(_Out):
    """One run against the baseline, on the items both answered."""

    baseline: str = Field(description="The baseline's label.")
    other: str = Field(description="The other run's label.")
    changes: tuple[str, ...] = Field(description="What differs in the manifests: 'field: old → new'.")
    items: int = Field(description="Common items compared.")
    baseline_only_items: int = Field(description="Items only the baseline answered (left out).")
    other_only_items: int = Field(description="Items only the other run answered (left out).")
    key_differs: tuple[str, ...] = Field(description="Common ids whose key, points or subject differ (left out).")
    partial_paper: bool = Field(description="The common items are not the whole paper the blueprint states.")
    baseline_passed: bool = Field(description="The baseline's verdict on the common items.")
    other_passed: bool = Field(description="The other run's verdict on the common items.")
    verdict: str = Field(description="e.g. 'FAIL → PASS', or 'PASS (unchanged)'.")
    total: TotalDelta = Field(description="The total against the 60 % line, both runs.")
    subjects: tuple[SubjectDelta, ...] = Field(description="Per subject, in the blueprint's order.")
    right_only_baseline: tuple[ItemRef, ...] = Field(description="Items right in the baseline only.")
    right_only_other: tuple[ItemRef, ...] = Field(description="Items right in the other run only.")
    mcnemar: McNemarResult = Field(description="Whether the per-item difference is real.")
    pass_probability: PassProbabilityDelta | None = Field(
        default=None, description="P(pass) on the common items; None unless both runs have samples > 1.")
    sample_accuracy: SampleAccuracy | None = Field(
        default=None, description="Per-item accuracy over samples; None unless both runs have samples > 1.")
    reasoning_price: ReasoningPrice | None = Field(
        default=None, description="The price of reasoning; None unless the same model ran in both modes.")
    notes: tuple[str, ...] = Field(description="Caveats: the intersection, partial paper, editions.")
    summary: str = Field(description="One sentence: what changed, by how much, and whether it is real.")


class Comparison(_Out):
    """Two or more runs of one exam compared with the first (the baseline)."""

    schema_version: int = Field(default=COMPARISON_SCHEMA_VERSION, description="Bumped when a field changes.")
    exam: str = Field(description="The exam id all runs share.")
    exam_name: str = Field(description="The exam's Korean name.")
    exam_name_en: str = Field(description="The exam's English name.")
    edition: str = Field(description="The edition every run is re-scored under (the baseline's).")
    basis: Basis = Field(description="How the pass rule reads the total: total_points or subject_mean.")
    floor_percent: float = Field(description="The per-subject (or merged group) floor, percent (40).")
    total_percent: float = Field(description="The total line, percent (60).")
    on: Literal["intersection", "strict"] = Field(description="Which items were compared.")
    runs: tuple[RunInfo, ...] = Field(description="The runs, baseline first.")
    common_items: int = Field(description="Items every run answered (the chart and `scores`).")
    scores: tuple[RunScore, ...] = Field(description="Each run re-scored on the items every run answered.")
    pairs: tuple[PairComparison, ...] = Field(description="Each other run against the baseline.")
    notes: tuple[str, ...] = Field(default=(), description="Caveats about the whole comparison.")

    def to_markdown(self) -> str:
        """The comparison as Markdown."""
        from examqa.reports import comparison_markdown

        return comparison_markdown(self)

    def to_html(self) -> str:
        """A self-contained HTML page (no external assets) with an inline SVG chart."""
        from examqa.reports import comparison_html

        return comparison_html(self)
