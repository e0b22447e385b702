"""Comparing runs: what changed between model runs on one exam, and whether the difference is real.

The first run is the baseline; every other run is compared with it on the items both answered (same
question ids, same final key). Both are re-scored on exactly those items with :func:`examqa.exams.scoring.score`
under the baseline's edition, so points, percents and verdicts are apples to apples; the result says when
that common set is a partial paper.

Whether a difference is real: the exact McNemar test on the paired per-item correctness of the majority
answers (two-sided, exact binomial on the discordant pairs). Where both runs drew several samples per
item, also P(pass) on the common items and a sign test on the per-item accuracy over samples — the
sign test because it is exact and assumption-free, and with one sample per item it reduces to the
exact McNemar test, so the two figures never disagree in kind. When two runs are the same model in two modes,
the price of reasoning is the extra completion tokens per extra correct answer.

Run directories are only read (a partial last line from ``kill -9`` is skipped, not trimmed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from examqa.comparison.models import (
    ALPHA,
    Comparison,
    ItemRef,
    McNemarResult,
    PairComparison,
    PassProbabilityDelta,
    ReasoningPrice,
    RunInfo,
    RunScore,
    SampleAccuracy,
    SubjectDelta,
    SubjectScore,
    TotalDelta,
)
from examqa.errors import InputError
from examqa.exams.models import Edition, Marks, Question
from examqa.exams.plugins import ExamEntry, get_exam
from examqa.exams.report import ItemResult, Report
from examqa.exams.scoring import score
from examqa.runs.engine import majority, pass_probability
from examqa.runs.store import MANIFEST, SAMPLES, RunManifest, RunStore, SampleRecord

__all__ = ["Comparison", "compare", "holm", "mcnemar_exact"]


# --------------------------------------------------------------------------------------------- statistics


def mcnemar_exact(b: int, c: int) -> float:
    """Exact two-sided McNemar p-value for ``b`` and ``c`` discordant pairs.

    ``p = min(1, 2 · Σ_{k ≤ min(b, c)} C(b+c, k) / 2^(b+c))``, computed in exact integers; 1 when
    ``b + c == 0``. The sign test on ``b`` improvements and ``c`` deteriorations is the same formula.
    """
    if b < 0 or c < 0:
        raise ValueError("counts must be non-negative")
    n = b + c
    if n == 0:
        return 1.0
    term = tail = 1  # C(n, 0); each next term from the last, not comb() afresh: n can be thousands
    for k in range(1, min(b, c) + 1):
        term = term * (n - k + 1) // k
        tail += term
    return float(min(Fraction(1), Fraction(2 * tail, 2**n)))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values, in the input order (monotone, capped at 1)."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [0.0] * len(p_values)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


# --------------------------------------------------------------------------------------------- reading runs


@dataclass(frozen=True)
class _Run:
    path: Path
    label: str
    manifest: RunManifest
    report: Report
    samples: Mapping[str, tuple[SampleRecord, ...]]
    answered: frozenset[str]


def _read_run(path: Path, label: str) -> _Run:
    manifest_path, report_path, samples_path = path / MANIFEST, path / "report.json", path / SAMPLES
    if not manifest_path.is_file():
        raise InputError(f"{path} is not an examqa run directory (no {MANIFEST})", hint="pass a run's --out folder")
    try:
        manifest = RunManifest.model_validate_json(manifest_path.read_bytes())
    except ValidationError as exc:
        raise InputError(f"unreadable manifest: {exc.errors()[0]['msg']}", path=manifest_path) from exc
    if not report_path.is_file():
        raise InputError("the run has no report.json", path=path, hint="write it with `examqa report RUN`")
    try:
        report = Report.model_validate_json(report_path.read_bytes())
    except ValidationError as exc:
        raise InputError(f"unreadable report: {exc.errors()[0]['msg']}", path=report_path) from exc
    by_id: dict[str, dict[int, SampleRecord]] = {}
    # Read as a reader: no lock, nothing trimmed; a last line being written (or cut by kill -9) is skipped.
    for rec in RunStore(path, manifest).samples() if samples_path.is_file() else ():
        by_id.setdefault(rec.id, {}).setdefault(rec.sample, rec)
    graded = {i.id for i in report.items}
    samples = {qid: tuple(recs[k] for k in sorted(recs)) for qid, recs in by_id.items()}
    return _Run(path, label, manifest, report, samples, frozenset(graded & set(samples)))


def _labels(paths: Sequence[Path], labels: Sequence[str] | None) -> list[str]:
    if labels is not None:
        if len(labels) != len(paths):
            raise InputError(f"{len(labels)} label(s) for {len(paths)} run(s)", hint="give one label per run")
        if len(set(labels)) != len(labels):
            raise InputError("labels must differ", hint="give each run its own label")
        return list(labels)
    out: list[str] = []
    for p in paths:
        name = p.resolve().name or str(p)
        n = 2
        label = name
        while label in out:
            label = f"{name} ({n})"
            n += 1
        out.append(label)
    return out


def _flat(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, Mapping):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _changes(a: _Run, b: _Run) -> list[str]:
    fa = _flat({**a.manifest.config, "examqa_version": a.manifest.examqa_version})
    fb = _flat({**b.manifest.config, "examqa_version": b.manifest.examqa_version})
    return [f"{k}: {fa.get(k)!r} → {fb.get(k)!r}" for k in sorted(set(fa) | set(fb)) if fa.get(k) != fb.get(k)]


def _run_info(run: _Run) -> RunInfo:
    cfg = run.manifest.config
    summary = run.report.run
    thinking = bool(cfg.get("sampling", {}).get("thinking", summary.reasoning if summary else True))
    return RunInfo(
        label=run.label, path=str(run.path), model=str(cfg.get("model", summary.model if summary else "?")),
        backend=str(cfg.get("backend", "?")), mode="reasoning" if thinking else "non-reasoning",
        samples=int(cfg.get("samples", 1)), protocol=str(cfg.get("protocol", "examqa")),
        template_sha256=str(cfg.get("template_sha256", "")), bank_sha256=str(cfg.get("bank_sha256", "")),
        examqa_version=run.manifest.examqa_version, items=len(run.answered),
        reported_percent=run.report.total.percent, reported_passed=run.report.passed,
        reported_pass_probability=summary.pass_probability if summary else None)


# --------------------------------------------------------------------------------------------- scoring


def _item_key(item: ItemResult) -> tuple[str, tuple[int, ...], Fraction]:
    return item.subject, tuple(sorted(item.accepted)), item.points


def _marks(run: _Run, ids: Sequence[str]) -> dict[str, Marks]:
    out: dict[str, Marks] = {}
    for qid in ids:
        choice = majority(run.samples.get(qid, ()))
        out[qid] = (choice,) if choice is not None else ()
    return out


def _questions(items: Sequence[ItemResult], edition: Edition, marks: Sequence[Mapping[str, Marks]]) -> list[Question]:
    """Questions rebuilt from report items: subject, key and points are what scoring needs.

    The run directory holds no choice texts, so the choices are blanks; their count is the subject's
    (so a 전항정답 key is recognised) or, where the blueprint leaves it open, the highest choice the key
    or a mark names.
    """
    out: list[Question] = []
    for item in items:
        spec = edition.subject(item.subject)
        named = [*item.accepted, *(c for m in marks for c in m.get(item.id, ()))]
        count = max(spec.choices if spec is not None and spec.choices else 0, *named, 2)
        out.append(Question(id=item.id, subject=item.subject, stem="", choices=tuple("" for _ in range(count)),
                            accepted=frozenset(item.accepted), points=item.points))
    return out


def _score(entry: ExamEntry, edition: Edition, questions: Sequence[Question], marks: Mapping[str, Marks],
           like: Report) -> Report:
    """Score under the baseline's edition, year (a rank exam's cut) and electives graded."""
    return score(entry.blueprint, questions, marks, edition=edition.id, grader=entry.domain.grader,
                 elective=list(like.electives) or None, year=like.year)


def _p_correct(run: _Run, ids: Sequence[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for qid in ids:
        recs = run.samples.get(qid, ())
        out[qid] = sum(bool(r.correct) for r in recs) / len(recs) if recs else 0.0
    return out


def _tokens_per_answer(run: _Run, ids: Sequence[str]) -> float:
    """Completion tokens over the items, counting one answer (the mean over its samples) per item."""
    total = 0.0
    for qid in ids:
        recs = run.samples.get(qid, ())
        if recs:
            total += sum(r.completion_tokens for r in recs) / len(recs)
    return total


_WORDS = {"pass": "PASS", "fail": "FAIL", "cut_unpublished": "ELIGIBLE (cut not published)",
          "part_only": "UNDECIDABLE (part of the exam)"}


def _verdict(a: str, b: str) -> str:
    """The law's decision in each run (``Report.decision``), in words."""
    return f"{_WORDS[a]} (unchanged)" if a == b else f"{_WORDS[a]} → {_WORDS[b]}"


# --------------------------------------------------------------------------------------------- compare


def compare(runs: Sequence[Path | str], *, labels: Sequence[str] | None = None,
            on: Literal["intersection", "strict"] = "intersection") -> Comparison:
    """Compare two or more run directories of one exam; the first is the baseline.

    Every other run is compared with the baseline on the items both answered (``on="intersection"``,
    the result says how many were left out) or, with ``on="strict"``, only when both answered exactly
    the same items. Runs of different exams are refused. See the module docstring for the tests used.
    """
    if on not in ("intersection", "strict"):
        raise InputError(f"on must be 'intersection' or 'strict', not {on!r}")
    if isinstance(runs, str | Path):  # one path is not a sequence of runs (a str would iterate its letters)
        raise InputError(f"compare takes a list of run directories, not one path ({str(runs)!r})",
                         hint='e.g. examqa.compare(["runs/A", "runs/B"])')
    paths = [Path(p) for p in runs]
    if len(paths) < 2:
        raise InputError("compare needs at least two runs", hint="give a baseline run and one or more others")
    loaded = [_read_run(p, label) for p, label in zip(paths, _labels(paths, labels), strict=True)]
    base = loaded[0]
    exam = base.report.exam
    for run in loaded[1:]:
        if run.report.exam != exam:
            raise InputError(f"runs of different exams: {base.label} is {exam}, {run.label} is {run.report.exam}",
                             hint="compare runs of one exam")
    entry = get_exam(exam)
    edition = entry.blueprint.edition(edition_id=base.report.edition)
    notes: list[str] = []
    for run in loaded[1:]:
        if run.report.edition != edition.id:
            notes.append(f"{run.label} was scored under edition {run.report.edition}; every run is re-scored "
                         f"under the baseline's, {edition.id}")

    pairs = [_pair(base, other, entry, edition, on) for other in loaded[1:]]
    if len(pairs) > 1:
        adjusted = holm([p.mcnemar.p_value for p in pairs])
        pairs = [p.model_copy(update={"mcnemar": p.mcnemar.model_copy(update={
            "p_holm": q, "significant": q < ALPHA})}) for p, q in zip(pairs, adjusted, strict=True)]
        pairs = [p.model_copy(update={"summary": _summary(p)}) for p in pairs]
        notes.append("several runs against one baseline: significance uses Holm-adjusted McNemar p-values")

    common, scores = _common_scores(loaded, entry, edition)
    if not common:
        notes.append("no item was answered by every run: the chart is empty; see each pair")
    rule = entry.blueprint.pass_rule
    return Comparison(
        exam=exam, exam_name=entry.blueprint.name_ko, exam_name_en=entry.blueprint.name_en, edition=edition.id,
        basis=rule.basis, floor_percent=float(rule.floor_percent), total_percent=float(rule.total_percent), on=on,
        runs=tuple(_run_info(r) for r in loaded), common_items=len(common), scores=tuple(scores),
        pairs=tuple(pairs), notes=tuple(notes))


def _common_scores(loaded: Sequence[_Run], entry: ExamEntry, edition: Edition) -> tuple[list[str], list[RunScore]]:
    base = loaded[0]
    keys = [{i.id: _item_key(i) for i in r.report.items} for r in loaded]
    common = [i for i in base.report.items
              if all(i.id in r.answered and k.get(i.id) == _item_key(i) for r, k in zip(loaded, keys, strict=True))]
    if not common:
        return [], []
    ids = [i.id for i in common]
    marks = [_marks(r, ids) for r in loaded]
    questions = _questions(common, edition, marks)
    scores: list[RunScore] = []
    for run, m in zip(loaded, marks, strict=True):
        rep = _score(entry, edition, questions, m, base.report)
        scores.append(RunScore(label=run.label, passed=rep.passed, percent=rep.total.percent,
                               subjects=tuple(SubjectScore(name=s.name, percent=s.percent, passed=s.passed)
                                              for s in rep.subjects)))
    return ids, scores


def _pair(base: _Run, other: _Run, entry: ExamEntry, edition: Edition,
          on: Literal["intersection", "strict"]) -> PairComparison:
    base_only = base.answered - other.answered
    other_only = other.answered - base.answered
    other_keys = {i.id: _item_key(i) for i in other.report.items}
    both = [i for i in base.report.items if i.id in base.answered and i.id in other.answered]
    differ = tuple(i.id for i in both if other_keys.get(i.id) != _item_key(i))
    if on == "strict" and (base_only or other_only or differ):
        raise InputError(
            f"{base.label} and {other.label} differ on {len(base_only) + len(other_only) + len(differ)} item(s): "
            f"{len(base_only)} answered only by {base.label}, {len(other_only)} only by {other.label}, "
            f"{len(differ)} with a different key", hint="compare on the intersection (on=\"intersection\")")
    items = [i for i in both if i.id not in set(differ)]
    if not items:
        raise InputError(f"{base.label} and {other.label} have no item in common (with the same key)",
                         hint="compare runs of the same bank")
    ids = [i.id for i in items]
    marks_a, marks_b = _marks(base, ids), _marks(other, ids)
    questions = _questions(items, edition, (marks_a, marks_b))
    rep_a = _score(entry, edition, questions, marks_a, base.report)
    rep_b = _score(entry, edition, questions, marks_b, base.report)

    right_a = {i.id for i in rep_a.items if i.status == "correct"}
    right_b = {i.id for i in rep_b.items if i.status == "correct"}
    subject_of = {i.id: i.subject for i in items}
    only_a = tuple(ItemRef(id=q, subject=subject_of[q]) for q in ids if q in right_a and q not in right_b)
    only_b = tuple(ItemRef(id=q, subject=subject_of[q]) for q in ids if q in right_b and q not in right_a)
    p = mcnemar_exact(len(only_a), len(only_b))
    both_right = len(right_a & right_b)
    mcnemar = McNemarResult(pairs=len(ids), both_right=both_right, both_wrong=len(ids) - both_right - len(only_a)
                            - len(only_b), baseline_only=len(only_a), other_only=len(only_b), p_value=p,
                            significant=p < ALPHA)

    subjects = tuple(
        SubjectDelta(name=sa.name, name_en=sa.name_en, items=sa.items, max_points=sa.max_points,
                     baseline_points=sa.points, other_points=sb.points,
                     delta_points=sb.points - sa.points, baseline_percent=sa.percent,
                     other_percent=sb.percent, delta_percent=round(sb.percent - sa.percent, 4),
                     baseline_passed=sa.passed, other_passed=sb.passed)
        for sa, sb in zip(rep_a.subjects, rep_b.subjects, strict=True))
    ta, tb = rep_a.total, rep_b.total
    total = TotalDelta(basis=ta.basis, max_points=ta.max_points, baseline_points=ta.points,
                       other_points=tb.points, delta_points=tb.points - ta.points,
                       baseline_percent=ta.percent, other_percent=tb.percent,
                       delta_percent=round(tb.percent - ta.percent, 4))

    notes = list(rep_a.notes)
    left_out = len(base_only) + len(other_only) + len(differ)
    if left_out:
        notes.insert(0, f"compared on the {len(ids)} item(s) both runs answered: left out {len(base_only)} "
                        f"answered only by {base.label}, {len(other_only)} only by {other.label}"
                        + (f", {len(differ)} whose key differs" if differ else ""))
    pass_prob, sample_acc = _sampled(base, other, entry, edition, questions, ids)
    if sample_acc is None:
        notes.append("P(pass) and per-sample accuracy are compared only when both runs drew several samples "
                     "per item")
    elif pass_prob is None:
        notes.append("no P(pass): the law's verdict is not decided from this paper (a rank exam without the "
                     "year's cut, or a part of a larger exam)")
    pair = PairComparison(
        baseline=base.label, other=other.label, changes=tuple(_changes(base, other)), items=len(ids),
        baseline_only_items=len(base_only), other_only_items=len(other_only), key_differs=differ,
        partial_paper=not rep_a.complete, baseline_passed=rep_a.passed, other_passed=rep_b.passed,
        verdict=_verdict(rep_a.decision, rep_b.decision), total=total, subjects=subjects, right_only_baseline=only_a,
        right_only_other=only_b, mcnemar=mcnemar, pass_probability=pass_prob, sample_accuracy=sample_acc,
        reasoning_price=_reasoning_price(base, other, ids, right_a, right_b), notes=tuple(notes), summary="")
    return pair.model_copy(update={"summary": _summary(pair)})


def _sampled(base: _Run, other: _Run, entry: ExamEntry, edition: Edition, questions: Sequence[Question],
             ids: Sequence[str]) -> tuple[PassProbabilityDelta | None, SampleAccuracy | None]:
    if int(base.manifest.config.get("samples", 1)) < 2 or int(other.manifest.config.get("samples", 1)) < 2:
        return None, None
    pa, pb = _p_correct(base, ids), _p_correct(other, ids)
    elective, year = list(base.report.electives) or None, base.report.year
    prob_a = pass_probability(entry.blueprint, questions, pa, edition.id, elective=elective, year=year)
    prob_b = pass_probability(entry.blueprint, questions, pb, edition.id, elective=elective, year=year)
    reported_a = base.report.run.pass_probability if base.report.run else None
    reported_b = other.report.run.pass_probability if other.report.run else None
    prob = None
    if prob_a is not None and prob_b is not None:  # None: the law's verdict is not decided from this paper
        prob = PassProbabilityDelta(baseline=round(prob_a, 6), other=round(prob_b, 6),
                                    delta=round(prob_b - prob_a, 6), reported_baseline=reported_a,
                                    reported_other=reported_b)
    better = sum(pb[q] > pa[q] for q in ids)
    worse = sum(pb[q] < pa[q] for q in ids)
    mean_a = 100 * sum(pa.values()) / len(ids)
    mean_b = 100 * sum(pb.values()) / len(ids)
    acc = SampleAccuracy(baseline_mean=round(mean_a, 4), other_mean=round(mean_b, 4),
                         delta=round(mean_b - mean_a, 4), better=better, worse=worse,
                         ties=len(ids) - better - worse, p_value=mcnemar_exact(worse, better))
    return prob, acc


def _reasoning_price(base: _Run, other: _Run, ids: Sequence[str], right_a: set[str],
                     right_b: set[str]) -> ReasoningPrice | None:
    ca, cb = base.manifest.config, other.manifest.config
    ta = bool(ca.get("sampling", {}).get("thinking", True))
    tb = bool(cb.get("sampling", {}).get("thinking", True))
    if ca.get("model") != cb.get("model") or ta == tb:
        return None
    (r_run, r_right), (n_run, n_right) = ((other, right_b), (base, right_a)) if tb else ((base, right_a),
                                                                                      (other, right_b))
    tok_r, tok_n = _tokens_per_answer(r_run, ids), _tokens_per_answer(n_run, ids)
    extra_correct = len(r_right) - len(n_right)
    extra = tok_r - tok_n
    return ReasoningPrice(
        reasoning=r_run.label, non_reasoning=n_run.label, tokens_per_answer_reasoning=round(tok_r / len(ids), 2),
        tokens_per_answer_non_reasoning=round(tok_n / len(ids), 2), extra_tokens=round(extra, 2),
        extra_correct=extra_correct,
        tokens_per_extra_correct=round(extra / extra_correct, 2) if extra_correct > 0 else None)


def _summary(pair: PairComparison) -> str:
    t, m = pair.total, pair.mcnemar
    p = m.p_holm if m.p_holm is not None else m.p_value
    which = "Holm-adjusted p" if m.p_holm is not None else "p"
    real = "a real difference" if m.significant else "not distinguishable from chance"
    unit = "mean" if t.basis == "subject_mean" else "total"
    text = (f"{pair.other} vs {pair.baseline} on {pair.items} common item(s): {unit} {t.other_percent:g}% vs "
            f"{t.baseline_percent:g}% ({t.delta_percent:+g} percentage points); {m.other_only} item(s) right only in "
            f"{pair.other}, {m.baseline_only} only in {pair.baseline}; exact McNemar {which} = {p:.4g}, {real} "
            f"at the {ALPHA:g} level; verdict {pair.verdict}")
    if pair.partial_paper:
        text += " (partial paper)"
    return text + "."
