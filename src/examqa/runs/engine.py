"""The model-run engine, in visible stages.

render prompts → generate (backend) → split reasoning / extract answer (``parse_response``) → store the
sample → majority vote per item → score (the same :func:`examqa.exams.scoring.score` as answer sheets) → report.
Each stage is a function that can be called alone; :func:`run` strings them together.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

from examqa.backends.base import Backend, GenRequest, GenResult, Sampling
from examqa.banks import Bank
from examqa.exams.grading import Grader, KeyGrader
from examqa.exams.models import Blueprint, Marks, Question
from examqa.exams.plugins import ExamEntry
from examqa.exams.report import ReadingResult, Report, RunSummary
from examqa.exams.scoring import (
    applied_rule,
    choose_edition,
    clears_floor,
    exam_year,
    item_points,
    paper_verdict,
    run_electives,
    score,
    total_contribution,
    total_line,
)
from examqa.prompts.templates import PromptSet
from examqa.reading.parse import parse_response
from examqa.runs.store import Outcome, RunStore, SampleRecord

LabelStyle = Literal["number", "letter"]
Reader = Callable[[str, int], "int | None"]
"""An extra reading of a completion (a protocol's own extractor): (text, choice count) → 1-based choice."""


@dataclass(frozen=True)
class Pricing:
    """Prices per million tokens, for the cost lines of a report."""

    input_per_million: float
    output_per_million: float
    currency: str = "USD"


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a run. ``identity()`` is what ``--resume`` must match.

    ``prompts_sha256`` (the exact messages every item is asked: templates, ``{% include %}``d files, the
    item-feature code, the choices' labels, the mode all end up in them) and ``rows_sha256`` (the bank's
    rows as read: stems, choices, keys, points — an in-memory bank too) make a resume refuse any change
    that alters what the model is asked or how its answers are graded.
    """

    exam: str
    bank_sha256: str
    bank_items: int
    template_sha256: str
    backend: str
    model: str
    sampling: Sampling
    samples: int = 1
    edition: str | None = None
    backend_settings: dict[str, Any] = field(default_factory=dict)
    protocol: str = "examqa"
    grader: str | None = None
    elective: str | None = None
    year: int | None = None
    prompts_sha256: str | None = None
    rows_sha256: str | None = None

    def identity(self) -> dict[str, Any]:
        """The manifest's ``config``: exam, hashes, model, backend, protocol, sampling and K."""
        s = self.sampling
        identity: dict[str, Any] = {
            "exam": self.exam, "edition": self.edition, "bank_sha256": self.bank_sha256,
            "bank_items": self.bank_items, "template_sha256": self.template_sha256,
            "backend": self.backend, "model": self.model, "samples": self.samples,
            "sampling": {"thinking": s.thinking, "temperature": s.temperature, "top_p": s.top_p,
                         "max_new_tokens": s.max_new_tokens, "seed": s.seed,
                         "presence_penalty": s.presence_penalty},
            "backend_settings": self.backend_settings,
        }
        # Added in 0.2; left out at their defaults so that 0.1 runs still resume.
        if self.protocol != "examqa":
            identity["protocol"] = self.protocol
        if self.grader is not None:
            identity["grader"] = self.grader
        if self.elective is not None:  # grading only (every item is asked), but a resume must grade alike
            identity["elective"] = self.elective
        if self.year is not None:
            identity["year"] = self.year
        # Added in 0.3: a run from before has neither (see examqa.runs.runner.check_resume).
        if self.prompts_sha256 is not None:
            identity["prompts_sha256"] = self.prompts_sha256
        if self.rows_sha256 is not None:
            identity["rows_sha256"] = self.rows_sha256
        return identity

    @classmethod
    def from_identity(cls, config: Mapping[str, Any]) -> RunConfig:
        """The config a manifest stores, read back."""
        return cls(exam=config["exam"], edition=config.get("edition"), bank_sha256=config["bank_sha256"],
                   bank_items=config["bank_items"], template_sha256=config["template_sha256"],
                   backend=config["backend"], model=config["model"], sampling=Sampling(**config["sampling"]),
                   samples=config["samples"], backend_settings=dict(config.get("backend_settings", {})),
                   protocol=config.get("protocol", "examqa"), grader=config.get("grader"),
                   elective=config.get("elective"), year=config.get("year"),
                   prompts_sha256=config.get("prompts_sha256"), rows_sha256=config.get("rows_sha256"))


@dataclass(frozen=True)
class Grading:
    """How every sample of a run is read and graded: the stage after generation, fixed for a run."""

    sampling: Sampling
    template_sha256: str
    grader: Grader = field(default_factory=KeyGrader)
    label_style: LabelStyle | None = None
    readers: Mapping[str, Reader] = field(default_factory=dict)
    blank_scores_on_all_accepted: bool = False

    def grade(self, question: Question, result: GenResult, messages: Sequence[dict[str, str]]) -> SampleRecord:
        """:func:`grade_sample` with this run's settings."""
        return grade_sample(question, result, self.sampling, self.template_sha256, messages, grader=self.grader,
                            label_style=self.label_style, readers=self.readers,
                            blank_scores_on_all_accepted=self.blank_scores_on_all_accepted)


# ------------------------------------------------------------------------------------ stage: requests


def build_requests(blueprint: Blueprint, questions: Sequence[Question], prompts: PromptSet, samples: int,
                   seed: int | None, thinking: bool = True) -> tuple[list[GenRequest], dict[str, Question]]:
    """One request per (item, sample). Sample k gets seed ``seed + k`` so samples differ reproducibly.

    ``thinking`` is the mode: a template may word its answer instruction for each.
    """
    requests: list[GenRequest] = []
    by_key: dict[str, Question] = {}
    for q in questions:
        messages = prompts.render(blueprint, q, thinking=thinking)
        for k in range(samples):
            key = f"{q.id}#{k}"
            requests.append(GenRequest(key=key, messages=messages, seed=None if seed is None else seed + k))
            by_key[key] = q
    return requests, by_key


def prompts_sha256(requests: Sequence[GenRequest]) -> str:
    """The hash of every item's exact messages, in request order (one entry per item, not per sample)."""
    digest = hashlib.sha256()
    seen: set[str] = set()
    for request in requests:
        item = request.key.rsplit("#", 1)[0]
        if item in seen:
            continue
        seen.add(item)
        digest.update(json.dumps([item, [dict(m) for m in request.messages]], ensure_ascii=False,
                                 sort_keys=True).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def canonical_row(question: Question) -> dict[str, Any]:
    """A question as the JSON a bank row would hold, with the key sorted: the same row, the same bytes."""
    row = question.model_dump(mode="json")
    row["accepted"] = sorted(question.accepted)
    return row


def rows_sha256(questions: Sequence[Question]) -> str:
    """The hash of the bank's rows as read (ids, subjects, stems, choices, keys, points …), in bank order:
    it tells two in-memory banks apart, and a file read differently by another examqa."""
    digest = hashlib.sha256()
    for q in questions:
        digest.update(json.dumps(canonical_row(q), ensure_ascii=False, sort_keys=True).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


# ------------------------------------------------------------------------------------ stage: grade one


def grade_sample(question: Question, result: GenResult, sampling: Sampling, template_sha256: str,
                 messages: Sequence[dict[str, str]], *, grader: Grader | None = None,
                 label_style: LabelStyle | None = None, readers: Mapping[str, Reader] | None = None,
                 blank_scores_on_all_accepted: bool = False) -> SampleRecord:
    """Parse one completion and grade it. Errors, truncation and no-answer stay distinct outcomes.

    The completion is read knowing what ``question`` asks (a negative ask turns "④는 옳지 않다" from a
    rejection into the answer). A protocol's extra ``readers`` (the KMMLU-Pro paper's regex) read the raw
    output their own way, as the paper did: they are reproductions, not examqa's reading.

    ``grader`` decides whether the parsed choice scores (the exam's grader: the same one that grades
    sheets). ``label_style`` overrides the question's (a protocol that prints A)–E) reads letters);
    ``readers`` add other extractors' readings of the raw output, recorded beside examqa's own.
    """
    grade = grader or KeyGrader()
    sample = int(result.key.rsplit("#", 1)[1])
    base: dict[str, Any] = {
        "id": question.id, "sample": sample, "subject": question.subject, "prompt": result.prompt,
        "messages": list(messages), "template_sha256": template_sha256, "output": result.output,
        "finish_reason": result.finish_reason, "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens, "reasoning_tokens": result.reasoning_tokens,
        "latency_s": result.latency_s, "server_split": result.server_split,
    }
    if result.finish_reason == "error":
        return SampleRecord(**base, method="error", outcome="error", error=result.error)
    style = label_style or question.label_style
    if result.server_split:
        # The server's reasoning parser split the text: the answer part is ``content``. With no content
        # and the token limit hit, the reasoning never closed — truncated, as in the unsplit case.
        content = result.content or ""
        truncated = sampling.thinking and result.finish_reason == "length" and not content.strip()
        parsed = parse_response(content, question.choices, reasoning=False, label_style=style, question=question)
        reasoning = result.reasoning
        final = parsed.answer_text
        choice = None if truncated else parsed.choice
        method = "truncated" if truncated else parsed.method
    else:
        parsed = parse_response(result.output, question.choices, reasoning=sampling.thinking, label_style=style,
                                question=question)
        truncated, reasoning, final = parsed.truncated, parsed.reasoning, parsed.answer_text
        choice, method = parsed.choice, parsed.method
    correct = choice is not None and grade(
        question, (choice,), blank_scores_on_all_accepted=blank_scores_on_all_accepted) == "correct"
    outcome: Outcome = ("truncated" if truncated else "no_answer" if choice is None
                        else "correct" if correct else "wrong")
    readings = {name: read(result.output, len(question.choices)) for name, read in (readers or {}).items()}
    return SampleRecord(**base, reasoning=reasoning, final=final, choice=choice, method=method,
                        truncated=truncated, correct=correct, outcome=outcome, readings=readings)


# ------------------------------------------------------------------------------------ stage: generate


ProgressFn = Callable[[SampleRecord], None]


def _keeper(requests: Sequence[GenRequest], by_key: Mapping[str, Question], grading: Grading, store: RunStore,
            on_sample: ProgressFn | None) -> Callable[[GenResult], None]:
    """What happens to each result, sync or async: grade it, store it, record the backend's events, report it."""
    messages = {r.key: r.messages for r in requests}

    def keep(result: GenResult) -> None:
        record = grading.grade(by_key[result.key], result, messages[result.key])
        store.append(record)
        if result.extra.get("runtime_events"):
            store.record_events(result.extra["runtime_events"])
        if on_sample is not None:
            on_sample(record)

    return keep


def generate_and_store(backend: Backend, requests: Sequence[GenRequest], by_key: Mapping[str, Question],
                       grading: Grading, store: RunStore, on_sample: ProgressFn | None = None) -> int:
    """Generate ``requests`` and store each sample the moment it is graded. Returns how many were stored.

    A KeyboardInterrupt propagates after the backend's generator is closed; everything stored so far stays.
    """
    keep = _keeper(requests, by_key, grading, store, on_sample)
    stored = 0
    results = backend.generate(requests, grading.sampling)
    try:
        for result in results:
            keep(result)
            stored += 1
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()
    return stored


async def agenerate_and_store(backend: Backend, requests: Sequence[GenRequest], by_key: Mapping[str, Question],
                              grading: Grading, store: RunStore, on_sample: ProgressFn | None = None) -> int:
    """:func:`generate_and_store` on the running event loop: cancelling it keeps what was stored."""
    keep = _keeper(requests, by_key, grading, store, on_sample)
    stored = 0
    results = backend.agenerate(requests, grading.sampling)
    try:
        async for result in results:
            keep(result)
            stored += 1
    finally:
        close = getattr(results, "aclose", None)
        if close is not None:
            await close()
    return stored


# ------------------------------------------------------------------------------------ stage: aggregate


def majority(records: Iterable[SampleRecord]) -> int | None:
    """The most frequent parsed choice; ties go to the choice that reached the top count first."""
    ordered = sorted(records, key=lambda r: r.sample)
    counts: Counter[int] = Counter()
    best: int | None = None
    for r in ordered:
        if r.choice is None:
            continue
        counts[r.choice] += 1
        if best is None or counts[r.choice] > counts[best]:
            best = r.choice
    return best


def pass_probability(blueprint: Blueprint, questions: Sequence[Question], p_correct: Mapping[str, float],
                     edition: str | None = None, *, elective: str | Sequence[str] | None = None,
                     year: int | None = None) -> float | None:
    """P(pass) if each item is answered correctly with probability ``p_correct[id]``, independently.

    Exact distributions over points (rational support) per floor group, filtered by the floor, then
    convolved over groups and held against the total line — with the very functions :func:`score` uses
    (:func:`~examqa.exams.scoring.clears_floor`, :func:`~examqa.exams.scoring.total_contribution`,
    :func:`~examqa.exams.scoring.total_line`), so with probabilities of 0 and 1 it gives the verdict ``score``
    gives for the same answers. The line is the year's (``year``, default the bank's): a rank exam's
    announced cut. None when the law's verdict cannot be decided from this paper (a rank exam without the
    year's cut, a part of a larger exam). Only the electives graded count (``elective``; default as a run's).
    """
    ed = choose_edition(blueprint, questions, edition)
    rule = applied_rule(blueprint, year if year is not None else exam_year(questions))
    if not rule.decides:
        return None
    sat_names = set(run_electives(blueprint, ed, questions, elective)[0])
    subjects: dict[str, list[tuple[Fraction, float]]] = {}
    for q in questions:
        spec = ed.subject(q.subject)
        if spec is None or spec.accredited:
            continue
        if spec.elective is not None and spec.name not in sat_names:
            continue
        subjects.setdefault(spec.name, []).append((item_points(q, spec), p_correct.get(q.id, 0.0)))
    if not subjects:
        return 0.0
    max_of = {s: sum((p for p, _ in items), Fraction(0)) for s, items in subjects.items()}
    n = len(subjects)
    group_of = {s: g.name for g in ed.floor_groups for s in (*g.subjects, g.name) if s in subjects}
    groups: dict[str, list[str]] = {}
    for s in subjects:
        groups.setdefault(group_of.get(s, s), []).append(s)

    total: dict[Fraction, float] = {Fraction(0): 1.0}
    for members in groups.values():
        # joint distribution of (pooled points, per-subject points) within the group
        dist: dict[tuple[Fraction, ...], float] = {tuple(Fraction(0) for _ in members): 1.0}
        for index, s in enumerate(members):
            for pts, p in subjects[s]:
                nxt: dict[tuple[Fraction, ...], float] = {}
                for key, w in dist.items():
                    if p > 0:
                        up = (*key[:index], key[index] + pts, *key[index + 1:])
                        nxt[up] = nxt.get(up, 0.0) + w * p
                    if p < 1:
                        nxt[key] = nxt.get(key, 0.0) + w * (1 - p)
                dist = nxt
        gmax = sum((max_of[s] for s in members), Fraction(0))
        ok: dict[Fraction, float] = {}
        for key, w in dist.items():
            if clears_floor(rule, sum(key, Fraction(0)), gmax):
                m = sum((total_contribution(rule, pts, max_of[s], n) for s, pts in zip(members, key, strict=True)),
                        Fraction(0))
                ok[m] = ok.get(m, 0.0) + w
        combined: dict[Fraction, float] = {}
        for a, wa in total.items():
            for b, wb in ok.items():
                combined[a + b] = combined.get(a + b, 0.0) + wa * wb
        total = combined
    line = total_line(rule, sum(max_of.values(), Fraction(0)))
    return min(1.0, sum(w for m, w in total.items() if m >= line))


def summarize(entry: ExamEntry, bank: Bank, records: Sequence[SampleRecord], errors: Sequence[SampleRecord],
              config: RunConfig, edition: str | None, wall_seconds: float | None = None,
              pricing: Pricing | None = None, grader: Grader | None = None) -> Report:
    """The report of a run: majority answers scored like a sheet, plus the run's own figures.

    ``grader`` (default: the exam's own) grades the majority answers exactly as it grades a sheet, and
    the per-item correctness behind P(pass) is the stored samples' ``correct``, which the same grader
    decided when each sample was graded.
    """
    grade = grader or entry.domain.grader
    by_id: dict[str, list[SampleRecord]] = {}
    for r in records:
        by_id.setdefault(r.id, []).append(r)
    marks: dict[str, Marks] = {}
    p_correct: dict[str, float] = {}
    for q in bank.questions:
        recs = by_id.get(q.id, [])
        choice = majority(recs)
        marks[q.id] = (choice,) if choice is not None else ()
        p_correct[q.id] = sum(bool(r.correct) for r in recs) / config.samples
    ed = choose_edition(entry.blueprint, bank.questions, edition)
    electives, elective_notes = run_electives(entry.blueprint, ed, bank.questions, config.elective)
    report = score(entry.blueprint, bank.questions, marks, edition=edition, grader=grade, elective=electives,
                   year=config.year)
    if elective_notes:
        report = report.model_copy(update={"notes": (*elective_notes, *report.notes)})
    if config.protocol == "kmmlu-pro":  # the paper's table judged by its own rule: shown beside the law's
        report = report.model_copy(update={"paper": paper_verdict(report, entry.blueprint.paper)})
    status = {i.id: i.status for i in report.items}

    errored = {e.id for e in errors}
    outcomes: dict[str, Outcome] = {}
    for q in bank.questions:
        recs = by_id.get(q.id, [])
        if marks[q.id]:
            outcomes[q.id] = "correct" if status.get(q.id) == "correct" else "wrong"
        elif q.id in errored and len(recs) < config.samples:
            outcomes[q.id] = "error"
        elif recs and all(r.truncated for r in recs):
            outcomes[q.id] = "truncated"
        else:
            outcomes[q.id] = "no_answer" if recs else "error"
    items = tuple(i.model_copy(update={"outcome": outcomes.get(i.id)}) for i in report.items)

    generated = len(records)
    prompt_tokens = sum(r.prompt_tokens for r in records)
    completion_tokens = sum(r.completion_tokens for r in records)
    reasoning_counts = [r.reasoning_tokens for r in records if r.reasoning_tokens is not None]
    no_answer = sum(r.outcome == "no_answer" for r in records)
    truncated = sum(r.outcome == "truncated" for r in records)
    p_pass = (pass_probability(entry.blueprint, bank.questions, p_correct, edition, elective=electives,
                               year=config.year) if records else 0.0)
    cost = cost_per_pass = None
    if pricing is not None:
        cost = (prompt_tokens * pricing.input_per_million + completion_tokens * pricing.output_per_million) / 1e6
        cost_per_pass = cost / p_pass if p_pass else None
    summary = RunSummary(
        model=config.model, backend=config.backend, reasoning=config.sampling.thinking,
        samples_per_item=config.samples, items=len(bank.questions), generated=generated,
        no_answer=no_answer, truncated=truncated, errors=len(errors),
        missing=max(0, config.samples * len(bank.questions) - generated), mode=config.sampling.mode,
        protocol=config.protocol,
        readings=_reading_scores(entry, bank, records, config, edition, grade, electives),
        no_answer_rate=round(no_answer / generated, 4) if generated else 0.0,
        truncated_rate=round(truncated / generated, 4) if generated else 0.0,
        prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
        reasoning_tokens=sum(reasoning_counts) if reasoning_counts else None,
        wall_seconds=round(wall_seconds, 3) if wall_seconds is not None else None,
        pass_probability=round(p_pass, 6) if p_pass is not None else None, cost=cost, cost_per_pass=cost_per_pass,
        currency=pricing.currency if pricing else None,
    )
    notes = list(report.notes)
    missing = config.samples * len(bank.questions) - generated
    if missing:
        notes.append(f"incomplete run: {missing} sample(s) not generated — `--resume` finishes them")
    return report.model_copy(update={"items": items, "run": summary, "notes": tuple(notes)})


def _reading_scores(entry: ExamEntry, bank: Bank, records: Sequence[SampleRecord], config: RunConfig,
                    edition: str | None, grader: Grader, electives: Sequence[str] = ()) -> dict[str, ReadingResult]:
    """Each extra reading (a protocol's own extractor) scored like examqa's: majority, grader, pass rule."""
    names = sorted({name for r in records for name in r.readings})
    out: dict[str, ReadingResult] = {}
    for name in names:
        by_id: dict[str, list[SampleRecord]] = {}
        for r in records:
            by_id.setdefault(r.id, []).append(r.model_copy(update={"choice": r.readings.get(name)}))
        marks: dict[str, Marks] = {}
        for q in bank.questions:
            choice = majority(by_id.get(q.id, []))
            marks[q.id] = (choice,) if choice is not None else ()
        report = score(entry.blueprint, bank.questions, marks, edition=edition, grader=grader,
                       elective=list(electives), year=config.year)
        correct = sum(i.status == "correct" for i in report.items)
        differ = sum(r.readings.get(name) != r.choice for r in records)
        paper = paper_verdict(report, entry.blueprint.paper).passed if config.protocol == "kmmlu-pro" else None
        out[name] = ReadingResult(correct=correct, items=len(report.items),
                                  accuracy=round(100 * correct / len(report.items), 4) if report.items else 0.0,
                                  percent=report.total.percent, passed=report.passed, disagreements=differ,
                                  decision=report.decision, paper_passed=paper)
    return out
