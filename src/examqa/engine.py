"""The model-run engine, in visible stages.

render prompts → generate (backend) → split reasoning / extract answer (``parse_response``) → store the
sample → majority vote per item → score (the same :func:`examqa.scoring.score` as answer sheets) → report.
Each stage is a function that can be called alone; :func:`run` strings them together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from examqa.backends.base import Backend, GenRequest, GenResult, Sampling
from examqa.banks import Bank
from examqa.models import Blueprint, Marks, Question
from examqa.parsing import parse_response
from examqa.plugins import ExamEntry
from examqa.prompts import PromptSet
from examqa.report import Report, RunSummary
from examqa.runstore import Outcome, RunStore, SampleRecord
from examqa.scoring import choose_edition, item_points, score


@dataclass(frozen=True)
class Pricing:
    """Prices per million tokens, for the cost lines of a report."""

    input_per_million: float
    output_per_million: float
    currency: str = "USD"


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a run. ``identity()`` is what ``--resume`` must match."""

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

    def identity(self) -> dict[str, Any]:
        """The manifest's ``config``: exam, hashes, model, backend, sampling and K."""
        s = self.sampling
        return {
            "exam": self.exam, "edition": self.edition, "bank_sha256": self.bank_sha256,
            "bank_items": self.bank_items, "template_sha256": self.template_sha256,
            "backend": self.backend, "model": self.model, "samples": self.samples,
            "sampling": {"thinking": s.thinking, "temperature": s.temperature, "top_p": s.top_p,
                         "max_new_tokens": s.max_new_tokens, "seed": s.seed,
                         "presence_penalty": s.presence_penalty},
            "backend_settings": self.backend_settings,
        }


# ------------------------------------------------------------------------------------ stage: requests


def build_requests(blueprint: Blueprint, questions: Sequence[Question], prompts: PromptSet, samples: int,
                   seed: int | None) -> tuple[list[GenRequest], dict[str, Question]]:
    """One request per (item, sample). Sample k gets seed ``seed + k`` so samples differ reproducibly."""
    requests: list[GenRequest] = []
    by_key: dict[str, Question] = {}
    for q in questions:
        messages = prompts.render(blueprint, q)
        for k in range(samples):
            key = f"{q.id}#{k}"
            requests.append(GenRequest(key=key, messages=messages, seed=None if seed is None else seed + k))
            by_key[key] = q
    return requests, by_key


# ------------------------------------------------------------------------------------ stage: grade one


def grade_sample(question: Question, result: GenResult, sampling: Sampling, template_sha256: str,
                 messages: Sequence[dict[str, str]]) -> SampleRecord:
    """Parse one completion and grade it. Errors, truncation and no-answer stay distinct outcomes."""
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
    if result.server_split:
        # The server's reasoning parser split the text: the answer part is ``content``. With no content
        # and the token limit hit, the reasoning never closed — truncated, as in the unsplit case.
        content = result.content or ""
        truncated = sampling.thinking and result.finish_reason == "length" and not content.strip()
        parsed = parse_response(content, question.choices, reasoning=False, label_style=question.label_style)
        reasoning = result.reasoning
        final = parsed.answer_text
        choice = None if truncated else parsed.choice
        method = "truncated" if truncated else parsed.method
    else:
        parsed = parse_response(result.output, question.choices, reasoning=sampling.thinking,
                                label_style=question.label_style)
        truncated, reasoning, final = parsed.truncated, parsed.reasoning, parsed.answer_text
        choice, method = parsed.choice, parsed.method
    correct = choice is not None and choice in question.accepted
    outcome: Outcome = ("truncated" if truncated else "no_answer" if choice is None
                        else "correct" if correct else "wrong")
    return SampleRecord(**base, reasoning=reasoning, final=final, choice=choice, method=method,
                        truncated=truncated, correct=correct, outcome=outcome)


# ------------------------------------------------------------------------------------ stage: generate


ProgressFn = Callable[[SampleRecord], None]


def generate_and_store(backend: Backend, requests: Sequence[GenRequest], by_key: dict[str, Question],
                       sampling: Sampling, template_sha256: str, store: RunStore,
                       on_sample: ProgressFn | None = None) -> int:
    """Generate ``requests`` and store each sample the moment it is graded. Returns how many were stored.

    A KeyboardInterrupt propagates after the backend is closed; everything stored so far stays.
    """
    messages = {r.key: r.messages for r in requests}
    stored = 0
    results = backend.generate(requests, sampling)
    try:
        for result in results:
            q = by_key[result.key]
            record = grade_sample(q, result, sampling, template_sha256, messages[result.key])
            store.append(record)
            stored += 1
            if on_sample is not None:
                on_sample(record)
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()
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


def pass_probability(blueprint: Blueprint, questions: Sequence[Question], p_correct: dict[str, float],
                     edition: str | None = None) -> float:
    """P(pass) if each item is answered correctly with probability ``p_correct[id]``, independently.

    Exact distributions over points (rational support) per floor group, filtered by the 40 % floor,
    then convolved over groups and checked against the 60 % line as the pass rule reads it.
    """
    ed = choose_edition(blueprint, questions, edition)
    rule = blueprint.pass_rule
    subjects: dict[str, list[tuple[Fraction, float]]] = {}
    for q in questions:
        spec = ed.subject(q.subject)
        if spec is None or spec.accredited:
            continue
        subjects.setdefault(spec.name, []).append((item_points(q, spec), p_correct.get(q.id, 0.0)))
    if not subjects:
        return 0.0
    max_of = {s: sum((p for p, _ in items), Fraction(0)) for s, items in subjects.items()}
    n = len(subjects)

    def measure(subject: str, pts: Fraction) -> Fraction:
        # the quantity summed against the 60 % line: points, or the subject's share of the mean
        if rule.basis == "subject_mean":
            return pts * 100 / max_of[subject] / n
        return pts

    group_of = {s: g.name for g in ed.floor_groups for s in g.subjects if s in subjects}
    groups: dict[str, list[str]] = {}
    for s in subjects:
        groups.setdefault(group_of.get(s, s), []).append(s)

    total: dict[Fraction, float] = {Fraction(0): 1.0}
    for members in groups.values():
        # joint distribution of (pooled points, measure) within the group
        dist: dict[tuple[Fraction, Fraction], float] = {(Fraction(0), Fraction(0)): 1.0}
        for s in members:
            for pts, p in subjects[s]:
                nxt: dict[tuple[Fraction, Fraction], float] = {}
                for (gp, m), w in dist.items():
                    if p > 0:
                        k = (gp + pts, m + measure(s, pts))
                        nxt[k] = nxt.get(k, 0.0) + w * p
                    if p < 1:
                        nxt[(gp, m)] = nxt.get((gp, m), 0.0) + w * (1 - p)
                dist = nxt
        gmax = sum((max_of[s] for s in members), Fraction(0))
        ok: dict[Fraction, float] = {}
        for (gp, m), w in dist.items():
            if gp * 100 >= rule.floor_percent * gmax:
                ok[m] = ok.get(m, 0.0) + w
        combined: dict[Fraction, float] = {}
        for a, wa in total.items():
            for b, wb in ok.items():
                combined[a + b] = combined.get(a + b, 0.0) + wa * wb
        total = combined
    if rule.basis == "subject_mean":
        line = rule.total_percent
    else:
        line = rule.total_percent * sum(max_of.values(), Fraction(0)) / 100
    return min(1.0, sum(w for m, w in total.items() if m >= line))


def summarize(entry: ExamEntry, bank: Bank, records: Sequence[SampleRecord], errors: Sequence[SampleRecord],
              config: RunConfig, edition: str | None, wall_seconds: float | None = None,
              pricing: Pricing | None = None) -> Report:
    """The report of a run: majority answers scored like a sheet, plus the run's own figures."""
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
    report = score(entry.blueprint, bank.questions, marks, edition=edition, grader=entry.domain.grader)

    errored = {e.id for e in errors}
    outcomes: dict[str, Outcome] = {}
    for q in bank.questions:
        recs = by_id.get(q.id, [])
        if marks[q.id]:
            outcomes[q.id] = "correct" if marks[q.id][0] in q.accepted else "wrong"
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
    p_pass = pass_probability(entry.blueprint, bank.questions, p_correct, edition) if records else 0.0
    cost = cost_per_pass = None
    if pricing is not None:
        cost = (prompt_tokens * pricing.input_per_million + completion_tokens * pricing.output_per_million) / 1e6
        cost_per_pass = cost / p_pass if p_pass > 0 else None
    summary = RunSummary(
        model=config.model, backend=config.backend, reasoning=config.sampling.thinking,
        samples_per_item=config.samples, items=len(bank.questions), generated=generated,
        no_answer=no_answer, truncated=truncated, errors=len(errors),
        no_answer_rate=round(no_answer / generated, 4) if generated else 0.0,
        truncated_rate=round(truncated / generated, 4) if generated else 0.0,
        prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
        reasoning_tokens=sum(reasoning_counts) if reasoning_counts else None,
        wall_seconds=round(wall_seconds, 3) if wall_seconds is not None else None,
        pass_probability=round(p_pass, 6), cost=cost, cost_per_pass=cost_per_pass,
        currency=pricing.currency if pricing else None,
    )
    notes = list(report.notes)
    missing = config.samples * len(bank.questions) - generated
    if missing:
        notes.append(f"incomplete run: {missing} sample(s) not generated — `--resume` finishes them")
    return report.model_copy(update={"items": items, "run": summary, "notes": tuple(notes)})
