"""The model-run engine with the scripted backend: outcomes, voting, pass probability, the run store."""

from __future__ import annotations

import itertools
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from examqa.backends.base import GenResult, Sampling
from examqa.backends.scripted import ScriptedBackend
from examqa.banks import load_bank
from examqa.exams.models import Question
from examqa.exams.plugins import get_exam
from examqa.exams.scoring import score
from examqa.prompts.templates import load_prompts
from examqa.runs import engine
from examqa.runs.store import RunStore, SampleRecord
from helpers import answer_text, loss_adjuster_rows, write_native_bank

THINK = Sampling(thinking=True, temperature=0.0, max_new_tokens=64)


def _question(accepted: frozenset[int] = frozenset({2})) -> Question:
    return Question(id="Q", subject="보험업법", stem="?", choices=("가", "나", "다", "라"), accepted=accepted)


def _result(output: str, finish: str = "stop", **kw: object) -> GenResult:
    return GenResult(key="Q#0", prompt="p", output=output, finish_reason=finish, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("output", "finish", "extra", "outcome", "choice"),
    [
        ("생각…</think>\n\n정답: 2", "stop", {}, "correct", 2),
        ("생각…</think>\n\n정답: 3", "stop", {}, "wrong", 3),
        ("생각… 정답: 2 인 것 같지만 더 따져 보면", "length", {}, "truncated", None),
        ("생각…</think>\n\n잘 모르겠습니다.", "stop", {}, "no_answer", None),
        ("", "error", {"error": "HTTP 500 after 6 tries"}, "error", None),
        # server-split reasoning: the answer part is `content`
        ("x</think>정답: 2", "stop", {"server_split": True, "reasoning": "x", "content": "정답: 2"}, "correct", 2),
        ("x", "length", {"server_split": True, "reasoning": "x 정답: 2", "content": None}, "truncated", None),
    ],
)
def test_grade_sample_keeps_outcomes_distinct(output: str, finish: str, extra: dict[str, object], outcome: str,
                                              choice: int | None) -> None:
    rec = engine.grade_sample(_question(), _result(output, finish, **extra), THINK, "h", [])
    assert rec.outcome == outcome
    assert rec.choice == choice
    assert rec.truncated == (outcome == "truncated")


def test_majority_vote_and_ties() -> None:
    def recs(choices: list[int | None]) -> list[SampleRecord]:
        return [SampleRecord(id="Q", sample=i, subject="s", prompt="", template_sha256="", output="", method="m",
                             choice=c, outcome="wrong" if c else "no_answer", finish_reason="stop")
                for i, c in enumerate(choices)]

    assert engine.majority(recs([1, 2, 2, None])) == 2
    assert engine.majority(recs([3, 1, 1, 3])) == 1  # tie: the one that reached the top count first
    assert engine.majority(recs([None, None])) is None


def _brute_force_pass_probability(exam: str, questions: list[Question], p: dict[str, float]) -> float:
    return _brute_force_rule(get_exam(exam).blueprint, questions, p)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]), min_size=6, max_size=6))
def test_pass_probability_matches_brute_force(ps: list[float]) -> None:
    rows = loss_adjuster_rows(per_subject=2)
    questions = [Question(id=r["id"], subject=r["subject"], stem=r["stem"], choices=tuple(r["choices"]),
                          accepted=frozenset({r["answer"]}), points=Fraction(50)) for r in rows]
    p = {q.id: ps[i] for i, q in enumerate(questions)}
    entry = get_exam("loss-adjuster")
    got = engine.pass_probability(entry.blueprint, questions, p)
    assert got == pytest.approx(_brute_force_pass_probability("loss-adjuster", questions, p), abs=1e-9)


def test_pass_probability_with_merged_groups_matches_brute_force() -> None:
    entry = get_exam("dentist")
    ed = entry.blueprint.edition()
    group = next(g for g in ed.floor_groups if len(g.subjects) == 2)
    others = [s.name for s in ed.subjects if all(s.name not in g.subjects for g in ed.floor_groups)][:1]
    names = [*group.subjects, *others]
    questions = [Question(id=f"{n}-{i}", subject=n, stem="?", choices=("a", "b", "c", "d", "e"),
                          accepted=frozenset({1}), points=Fraction(1)) for n in names for i in range(3)]
    p = {q.id: [0.2, 0.5, 0.9][i % 3] for i, q in enumerate(questions)}
    got = engine.pass_probability(entry.blueprint, questions, p)
    assert got == pytest.approx(_brute_force_pass_probability("dentist", questions, p), abs=1e-9)


def _setup(tmp_path: Path, per_subject: int = 4) -> tuple[object, object, object]:
    bank = load_bank(write_native_bank(tmp_path / "bank.jsonl", loss_adjuster_rows(per_subject)))
    entry = get_exam("loss-adjuster")
    prompts = load_prompts(entry.domain.prompts)
    return bank, entry, prompts


def test_run_end_to_end_with_scripted_backend(tmp_path: Path) -> None:
    bank, entry, prompts = _setup(tmp_path)
    qs = bank.questions  # type: ignore[attr-defined]
    # every item answered with its key, except: one wrong, one truncated, one without an answer
    outputs: dict[str, str] = {q.id: answer_text(min(q.accepted)) for q in qs}
    outputs[qs[0].id] = answer_text(min(q for q in range(1, 5) if q not in qs[0].accepted))
    outputs[qs[1].id] = "끝없이 생각하는 중… 정답은 1번일까"
    outputs[qs[2].id] = "검토 끝.</think>\n\n모르겠습니다."
    backend = ScriptedBackend(outputs)
    store = RunStore.create(tmp_path / "run", {"k": 1}, {}, "test")
    requests, by_key = engine.build_requests(entry.blueprint, qs, prompts, 1, None)  # type: ignore[attr-defined]
    grading = engine.Grading(sampling=THINK, template_sha256=prompts.sha256, grader=entry.domain.grader)
    assert engine.generate_and_store(backend, requests, by_key, grading, store) == len(qs)
    config = engine.RunConfig(exam="loss-adjuster", bank_sha256="x", bank_items=len(qs), template_sha256="t",
                              backend="scripted", model="m", sampling=THINK)
    report = engine.summarize(entry, bank, store.samples(), store.errors(), config, None)  # type: ignore[arg-type]
    assert report.run is not None
    assert (report.run.truncated, report.run.no_answer, report.run.errors) == (1, 1, 0)
    outcomes = {i.id: i.outcome for i in report.items}
    assert outcomes[qs[0].id] == "wrong"
    assert outcomes[qs[1].id] == "truncated"
    assert outcomes[qs[2].id] == "no_answer"
    assert sum(o == "correct" for o in outcomes.values()) == len(qs) - 3
    # the stored sample keeps prompt, raw output, reasoning and the final answer part
    rec = next(r for r in store.samples() if r.id == qs[3].id)
    assert "정답" in rec.output and rec.final.strip().startswith("정답") and rec.reasoning
    assert rec.template_sha256 == prompts.sha256  # type: ignore[attr-defined]


def test_run_store_trims_a_partial_last_line(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path / "run", {"a": 1}, {}, "test")
    rec = SampleRecord(id="Q", sample=0, subject="s", prompt="p", template_sha256="t", output="o", method="m",
                       outcome="wrong", finish_reason="stop")
    store.append(rec)
    with (tmp_path / "run" / "samples.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(rec.model_dump())[:40])  # what kill -9 in the middle of a write leaves
    store.close()  # the writer is gone (kill -9 lets go of the lock too)
    assert [r.key for r in RunStore.read(tmp_path / "run").samples()] == ["Q#0"]  # a reader skips it …
    assert (tmp_path / "run" / "samples.jsonl").read_bytes().count(b"\n") == 1  # … and leaves it there
    reopened = RunStore.open(tmp_path / "run")
    assert reopened.trimmed
    assert [r.key for r in reopened.samples()] == ["Q#0"]


def test_resume_with_different_config_is_refused(tmp_path: Path) -> None:
    from examqa.errors import RunConfigMismatch

    RunStore.create(tmp_path / "run", {"model": "a", "sampling": {"temperature": 0.6}}, {}, "test")
    store = RunStore.open(tmp_path / "run")
    with pytest.raises(RunConfigMismatch, match=r"sampling\.temperature: 0\.6 → 0\.0"):
        store.check_resume({"model": "a", "sampling": {"temperature": 0.0}}, {})
    store.check_resume({"model": "a", "sampling": {"temperature": 0.6}}, {"batch_size": 2})  # same: fine


def test_error_samples_are_kept_apart_and_retried(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path / "run", {}, {}, "test")
    base = {"subject": "s", "prompt": "p", "template_sha256": "t", "output": "", "method": "m",
            "finish_reason": "stop"}
    store.append(SampleRecord(id="Q", sample=0, outcome="error", error="HTTP 500", **base))  # type: ignore[arg-type]
    assert [r.key for r in store.errors()] == ["Q#0"] and store.samples() == []
    store.append(SampleRecord(id="Q", sample=0, outcome="wrong", **base))  # type: ignore[arg-type]
    assert store.errors() == [] and [r.key for r in store.samples()] == ["Q#0"]


def _brute_force_rule(blueprint: Any, questions: list[Question], p: dict[str, float], **kw: Any) -> float:
    total = 0.0
    for outcome in itertools.product([False, True], repeat=len(questions)):
        weight = 1.0
        marks: dict[str, tuple[int, ...]] = {}
        for q, ok in zip(questions, outcome, strict=True):
            weight *= p[q.id] if ok else 1 - p[q.id]
            marks[q.id] = (min(q.accepted),) if ok else ()
        if weight and score(blueprint, questions, marks, **kw).passed:
            total += weight
    return total


@settings(max_examples=20, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.3, 0.7, 1.0]), min_size=6, max_size=6),
       st.sampled_from([2024, 2022, 2012]))
def test_pass_probability_holds_a_rank_exam_against_the_years_cut(ps: list[float], year: int) -> None:
    """변리사: P(pass) counts the outcomes over the year's cut (2024 76.66, 2022 81.66); none without a cut."""
    blueprint = get_exam("patent-attorney").blueprint
    questions = [Question(id=f"{s}-{k}", subject=s, stem="?", choices=("1", "2", "3", "4", "5"),
                          accepted=frozenset({1}), year=year)
                 for s in ("산업재산권법", "민법개론", "자연과학개론") for k in range(2)]
    p = {q.id: ps[i] for i, q in enumerate(questions)}
    got = engine.pass_probability(blueprint, questions, p)
    if year == 2012:  # no cut known: the law's verdict is not decided from the paper
        assert got is None
        return
    assert got == pytest.approx(_brute_force_rule(blueprint, questions, p), abs=1e-9)


def test_pass_probability_is_none_for_a_part_and_counts_only_the_elective_graded() -> None:
    lawyer = get_exam("lawyer").blueprint
    qs = [Question(id=f"L{k}", subject="공법", stem="?", choices=("1", "2", "3", "4", "5"), accepted=frozenset({1}))
          for k in range(3)]
    assert engine.pass_probability(lawyer, qs, dict.fromkeys((q.id for q in qs), 1.0)) is None
    tax = get_exam("tax-accountant").blueprint
    qs = [Question(id=f"{s}-{k}", subject=s, stem="?", choices=("1", "2", "3", "4", "5"), accepted=frozenset({1}))
          for s in ("재정학", "세법학개론", "회계학개론", "상법(회사편)", "민법(총칙)") for k in range(1)]
    p = {q.id: 0.5 for q in qs} | {"상법(회사편)-0": 0.0, "민법(총칙)-0": 1.0}
    # graded on 민법(총칙) (named) it is the other three at ½ each; on the default 상법(회사편) it cannot pass
    assert engine.pass_probability(tax, qs, p, elective="민법") == pytest.approx(
        _brute_force_rule(tax, qs, p, elective="민법"))
    assert engine.pass_probability(tax, qs, p) == 0.0
