"""Comparing runs: the exact tests by hand, and deltas on run directories made by the engine (scripted)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from math import comb
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st

from examqa import __version__
from examqa.backends.base import Sampling
from examqa.backends.scripted import ScriptedBackend
from examqa.banks import load_bank
from examqa.comparison.models import Comparison
from examqa.comparison.runs import compare, holm, mcnemar_exact
from examqa.errors import InputError
from examqa.exams.plugins import get_exam
from examqa.prompts.templates import prompts_for
from examqa.reports._compare import write_comparison
from examqa.runs import engine
from examqa.runs.store import RunStore
from helpers import loss_adjuster_rows, write_native_bank

# --------------------------------------------------------------------------------------------- statistics


@pytest.mark.parametrize(("b", "c", "p"), [
    (1, 6, 2 * (1 + 7) / 128),   # C(7,0) + C(7,1) = 8 of 2^7
    (0, 5, 2 / 32),              # 0.0625
    (6, 1, 0.125),
    (2, 0, 0.5),
    (0, 0, 1.0),                 # no discordant pair: no evidence either way
    (3, 3, 1.0),
    (0, 10, 2 / 1024),
])
def test_mcnemar_by_hand(b: int, c: int, p: float) -> None:
    assert mcnemar_exact(b, c) == pytest.approx(p, rel=1e-12)


@given(st.integers(0, 300), st.integers(0, 300))
def test_mcnemar_properties(b: int, c: int) -> None:
    p = mcnemar_exact(b, c)
    assert 0.0 < p <= 1.0
    assert p == mcnemar_exact(c, b)
    if b == c:
        assert p == 1.0
    # the same test written the other way: the probability of every outcome no likelier than the one seen
    n = b + c
    seen = comb(n, min(b, c))
    as_extreme = sum(comb(n, k) for k in range(n + 1) if comb(n, k) <= seen)
    assert p == pytest.approx(min(1.0, float(Fraction(as_extreme, 2**n))), rel=1e-9)
    # one more discordant pair on the side that already leads can only make the evidence stronger
    if c >= b:
        assert mcnemar_exact(b, c + 1) <= p


def test_holm_by_hand() -> None:
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5]) == [0.5]
    assert holm([0.6, 0.7]) == [1.0, 1.0]


# --------------------------------------------------------------------------------------------- run dirs

ROWS = loss_adjuster_rows(8)  # 3 subjects × 8 items, ids S<subject>-<k>, item k keyed (k-1) % 4 + 1


def _answer(key: int, right: bool, thinking: bool, pad: int) -> str:
    choice = key if right else key % 4 + 1
    if not thinking:
        return f"정답: {choice}"
    return "생각 " * pad + f"</think>\n\n정답: {choice}"


def make_run(root: Path, right: Callable[[str, int], bool], *, thinking: bool = True, samples: int = 1,
             rows: Sequence[Mapping[str, Any]] = ROWS, model: str = "tiny-hybrid", exam: str = "loss-adjuster",
             pad: int = 49) -> Path:
    """A run directory made the way `examqa grade` makes one: engine stages, scripted backend, run store.

    ``right(id, sample)`` says whether that sample answers correctly.
    """
    entry = get_exam(exam)
    bank = load_bank(write_native_bank(root.with_suffix(".bank.jsonl"), [dict(r) for r in rows]))
    prompts = prompts_for(entry.domain.prompts, None, entry.domain.name)
    sampling = Sampling(thinking=thinking, temperature=0.6 if samples > 1 else 0.0, max_new_tokens=256, seed=1)
    outputs = {q.id: [_answer(min(q.accepted), right(q.id, k), thinking, pad) for k in range(samples)]
               for q in bank.questions}
    backend = ScriptedBackend(outputs, name=model)
    config = engine.RunConfig(exam=exam, bank_sha256=bank.sha256(), bank_items=len(bank.questions),
                              template_sha256=prompts.sha256, backend="scripted", model=model, sampling=sampling,
                              samples=samples)
    store = RunStore.create(root, config.identity(), {"bank_path": str(bank.files[0])}, __version__)
    requests, by_key = engine.build_requests(entry.blueprint, bank.questions, prompts, samples, sampling.seed)
    messages = {r.key: r.messages for r in requests}
    for result in backend.generate(requests, sampling):
        store.append(engine.grade_sample(by_key[result.key], result, sampling, prompts.sha256, messages[result.key]))
    report = engine.summarize(entry, bank, store.samples(), store.errors(), config, None)
    store.write_text("report.json", report.model_dump_json(indent=2))
    return root


def _k(qid: str) -> int:
    return int(qid.split("-")[1])


# Baseline (non-reasoning): 보험업법 8/8, 보험계약법 items 1–2 (25 %: 과락), 손해사정이론 items 1–6.
# Other (reasoning):        보험업법 8/8, 보험계약법 items 1–6,            손해사정이론 items 2–8.
def _baseline_right(qid: str, sample: int) -> bool:
    s, k = qid.split("-")[0], _k(qid)
    return s == "S0" or (s == "S1" and k <= 2) or (s == "S2" and k <= 6)


def _other_right(qid: str, sample: int) -> bool:
    s, k = qid.split("-")[0], _k(qid)
    return s == "S0" or (s == "S1" and k <= 6) or (s == "S2" and k >= 2)


@pytest.fixture
def two_modes(tmp_path: Path) -> tuple[Path, Path]:
    return (make_run(tmp_path / "plain", _baseline_right, thinking=False),
            make_run(tmp_path / "think", _other_right, thinking=True))


def test_deltas_verdicts_and_mcnemar_on_two_modes(two_modes: tuple[Path, Path]) -> None:
    c = compare(two_modes)
    assert c.exam == "loss-adjuster" and c.runs[0].label == "plain" and c.runs[1].mode == "reasoning"
    (pair,) = c.pairs
    assert pair.items == 24 and pair.baseline_only_items == 0 and pair.other_only_items == 0
    by = {s.name: s for s in pair.subjects}
    assert (by["보험업법"].baseline_percent, by["보험업법"].other_percent) == (100.0, 100.0)
    law = by["보험계약법"]  # 2 → 6 of 8 items at 2.5 points
    assert (law.baseline_points, law.other_points, law.delta_points) == (5, 15, 10)
    assert (law.baseline_percent, law.other_percent, law.delta_percent) == (25.0, 75.0, 50.0)
    assert (law.baseline_passed, law.other_passed) == (False, True)
    theory = by["손해사정이론"]
    assert (theory.baseline_percent, theory.other_percent) == (75.0, 87.5)
    assert pair.total.basis == "subject_mean"
    assert pair.total.baseline_percent == pytest.approx((100 + 25 + 75) / 3, abs=1e-4)
    assert pair.total.other_percent == pytest.approx((100 + 75 + 87.5) / 3, abs=1e-4)
    assert (pair.baseline_passed, pair.other_passed, pair.verdict) == (False, True, "FAIL → PASS")
    assert [r.id for r in pair.right_only_baseline] == ["S2-1"]
    assert [r.id for r in pair.right_only_other] == ["S1-3", "S1-4", "S1-5", "S1-6", "S2-7", "S2-8"]
    assert {r.subject for r in pair.right_only_other} == {"보험계약법", "손해사정이론"}
    m = pair.mcnemar
    assert (m.baseline_only, m.other_only, m.both_right, m.both_wrong) == (1, 6, 15, 2)
    assert m.p_value == pytest.approx(0.125) and not m.significant
    assert pair.partial_paper  # 8 of 40 items per subject
    assert "sampling.thinking: False → True" in pair.changes
    assert "not distinguishable from chance" in pair.summary and "FAIL → PASS" in pair.summary
    assert pair.pass_probability is None and pair.sample_accuracy is None  # one sample per item


def test_price_of_reasoning(two_modes: tuple[Path, Path]) -> None:
    price = compare(two_modes).pairs[0].reasoning_price
    assert price is not None
    assert (price.reasoning, price.non_reasoning) == ("think", "plain")
    # scripted tokens are words: non-reasoning "정답: k" = 2; reasoning 49 pads + "</think>" + 2 = 52
    assert (price.tokens_per_answer_non_reasoning, price.tokens_per_answer_reasoning) == (2, 52)
    assert price.extra_correct == (8 + 6 + 7) - (8 + 2 + 6)
    assert price.extra_tokens == 24 * 50
    assert price.tokens_per_extra_correct == 24 * 50 / 5


def test_no_price_across_models(tmp_path: Path) -> None:
    a = make_run(tmp_path / "a", _baseline_right, thinking=False, model="m1")
    b = make_run(tmp_path / "b", _other_right, thinking=True, model="m2")
    (pair,) = compare([a, b]).pairs
    assert pair.reasoning_price is None
    assert "model: 'm1' → 'm2'" in pair.changes


def test_swapping_the_baseline_mirrors_the_result(two_modes: tuple[Path, Path]) -> None:
    ab, ba = compare(two_modes).pairs[0], compare(list(reversed(two_modes))).pairs[0]
    assert ab.total.delta_percent == -ba.total.delta_percent
    assert (ab.mcnemar.baseline_only, ab.mcnemar.other_only) == (ba.mcnemar.other_only, ba.mcnemar.baseline_only)
    assert ab.mcnemar.p_value == ba.mcnemar.p_value
    assert ab.right_only_other == ba.right_only_baseline
    assert ba.verdict == "PASS → FAIL"


def test_a_real_difference_is_called_real(tmp_path: Path) -> None:
    a = make_run(tmp_path / "a", lambda q, s: _k(q) <= 2)  # 6 of 24 right
    b = make_run(tmp_path / "b", lambda q, s: True)        # all right: c = 18, b = 0
    m = compare([a, b]).pairs[0].mcnemar
    assert (m.baseline_only, m.other_only) == (0, 18)
    assert m.p_value == pytest.approx(2 / 2**18) and m.significant


def test_samples_compare_pass_probability_and_per_item_accuracy(tmp_path: Path) -> None:
    a = make_run(tmp_path / "a", lambda q, s: s < 2, samples=3)  # 2 of 3 samples right on every item
    b = make_run(tmp_path / "b", lambda q, s: True, samples=3)
    (pair,) = compare([a, b]).pairs
    assert pair.mcnemar.baseline_only == pair.mcnemar.other_only == 0  # both majorities right everywhere
    assert pair.mcnemar.p_value == 1.0 and pair.verdict == "PASS (unchanged)"
    pp, acc = pair.pass_probability, pair.sample_accuracy
    assert pp is not None and acc is not None
    assert pp.other == 1.0 and 0.0 < pp.baseline < 1.0
    # on the whole paper the common items are the run's own: the same figure report.json gives
    assert pp.baseline == pytest.approx(pp.reported_baseline, abs=1e-6)
    assert (acc.better, acc.worse, acc.ties) == (24, 0, 0)
    assert acc.baseline_mean == pytest.approx(200 / 3, abs=1e-3) and acc.other_mean == 100.0
    assert acc.p_value == pytest.approx(2 / 2**24)


# --------------------------------------------------------------------------------------------- item sets


def test_runs_on_different_items_are_compared_on_the_intersection(tmp_path: Path) -> None:
    a = make_run(tmp_path / "a", _baseline_right)
    fewer = [r for r in ROWS if _k(str(r["id"])) <= 6]  # 18 of the 24 items
    b = make_run(tmp_path / "b", _other_right, rows=fewer)
    (pair,) = compare([a, b]).pairs
    assert pair.items == 18 and pair.baseline_only_items == 6 and pair.other_only_items == 0
    assert "compared on the 18 item(s) both runs answered: left out 6 answered only by a" in pair.notes[0]
    assert all(_k(r.id) <= 6 for r in (*pair.right_only_baseline, *pair.right_only_other))
    with pytest.raises(InputError, match=r"a and b differ on 6 item\(s\): 6 answered only by a"):
        compare([a, b], on="strict")


def test_items_whose_key_differs_are_left_out(tmp_path: Path) -> None:
    a = make_run(tmp_path / "a", _baseline_right)
    rekeyed = [dict(r, answer=int(r["answer"]) % 4 + 1) if r["id"] == "S0-1" else r for r in ROWS]
    b = make_run(tmp_path / "b", _baseline_right, rows=rekeyed)
    (pair,) = compare([a, b]).pairs
    assert pair.key_differs == ("S0-1",) and pair.items == 23
    with pytest.raises(InputError, match="1 with a different key"):
        compare([a, b], on="strict")


def test_runs_of_different_exams_are_refused(tmp_path: Path) -> None:
    a = make_run(tmp_path / "a", _baseline_right)
    customs = [{"id": f"C-{k}", "subject": "회계학", "stem": f"모의 문항 {k}",
                "choices": ["가", "나", "다", "라", "마"], "answer": 1} for k in range(1, 5)]
    b = make_run(tmp_path / "b", lambda q, s: True, rows=customs, exam="customs-broker")
    with pytest.raises(InputError, match="different exams: a is loss-adjuster, b is customs-broker"):
        compare([a, b])


def test_three_runs_use_holm_and_the_common_items(tmp_path: Path) -> None:
    a = make_run(tmp_path / "a", _baseline_right, thinking=False)
    b = make_run(tmp_path / "b", _other_right)
    c = make_run(tmp_path / "c", lambda q, s: True, rows=[r for r in ROWS if _k(str(r["id"])) <= 4])
    result = compare([a, b, c], labels=["base", "think", "all-right"])
    assert [p.other for p in result.pairs] == ["think", "all-right"]
    assert all(p.mcnemar.p_holm is not None and p.mcnemar.p_holm >= p.mcnemar.p_value for p in result.pairs)
    assert result.common_items == 12
    assert [s.label for s in result.scores] == ["base", "think", "all-right"]
    assert result.scores[2].percent == 100.0 and result.scores[2].passed


# --------------------------------------------------------------------------------------------- output


def test_json_markdown_and_html(two_modes: tuple[Path, Path]) -> None:
    c = compare(two_modes, labels=["<b>plain</b> & co", "think|ing"])
    again = Comparison.model_validate_json(c.model_dump_json())
    assert again == c and json.loads(c.model_dump_json())["schema_version"] == 1
    md = c.to_markdown()
    assert "FAIL → PASS" in md and "p = 0.125" in md and "think\\|ing" in md
    assert "| 보험계약법 | 8 | 25.00 | 75.00 | +50.00 |" in md  # percents: two decimals, as everywhere
    page = c.to_html()
    assert page.startswith("<!doctype html>") and "<svg" in page and "40% 과락선" in page and "60% 합격선" in page
    assert "<b>plain</b>" not in page and "&lt;b&gt;plain&lt;/b&gt; &amp; co" in page
    chart = re.search(r'<svg[^>]*aria-label="per-subject percent of each run".*?</svg>', page, re.S)
    svg = ElementTree.fromstring(chart.group(0))  # type: ignore[union-attr]
    bars = [e for e in svg.iter("{http://www.w3.org/2000/svg}rect") if e.find("{http://www.w3.org/2000/svg}title")
            is not None]
    assert len(bars) == 2 * 4  # two runs × (three subjects + the mean)
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing fetched


def test_write_comparison_writes_whole_files_or_none(two_modes: tuple[Path, Path], tmp_path: Path) -> None:
    c = compare(two_modes)
    out = tmp_path / "out"
    out.mkdir()
    written = write_comparison(c, md=out / "c.md", html_path=out / "c.html", json_path=out / "c.json")
    assert written == [out / "c.md", out / "c.html", out / "c.json"]
    assert Comparison.model_validate_json((out / "c.json").read_text(encoding="utf-8")) == c
    assert (out / "c.md").read_text(encoding="utf-8") == c.to_markdown()
    assert sorted(p.name for p in out.iterdir()) == ["c.html", "c.json", "c.md"]  # no temporary file left
    with pytest.raises(InputError, match="no such folder"):
        write_comparison(c, md=tmp_path / "fresh.md", html_path=tmp_path / "missing" / "c.html")
    assert not (tmp_path / "fresh.md").exists()  # checked before anything is written


# --------------------------------------------------------------------------------------------- bad input


def test_bad_arguments_and_run_dirs(two_modes: tuple[Path, Path], tmp_path: Path) -> None:
    with pytest.raises(InputError, match="at least two runs"):
        compare(two_modes[:1])
    with pytest.raises(InputError, match="1 label"):
        compare(two_modes, labels=["x"])
    with pytest.raises(InputError, match="not an examqa run directory"):
        compare([two_modes[0], tmp_path])
    (two_modes[1] / "report.json").unlink()
    with pytest.raises(InputError, match=r"no report\.json"):
        compare(two_modes)


def test_a_partial_last_line_is_skipped_and_the_run_left_alone(two_modes: tuple[Path, Path]) -> None:
    samples = two_modes[1] / "samples.jsonl"
    with samples.open("a", encoding="utf-8") as fh:
        fh.write('{"id": "S0-1", "sample": 1, "subj')  # what kill -9 mid-write leaves
    before = samples.read_bytes()
    assert compare(two_modes).pairs[0].items == 24
    assert samples.read_bytes() == before


# ------------------------------------------------------------------------- rank and part exams

SAMPLE_PAPERS = Path(__file__).resolve().parents[1] / "exams" / "samples" / "papers"


def _sample_run(tmp_path: Path, exam: str, name: str, right: Callable[[str], bool], samples: int = 1) -> Path:
    import examqa

    bank = SAMPLE_PAPERS / f"{exam}.jsonl"
    keys = {q.id: min(q.accepted) for q in load_bank(bank).questions}

    def answer(request: Any) -> str:
        qid = request.key.rsplit("#", 1)[0]
        choice = keys[qid] if right(qid) else keys[qid] % 5 + 1
        return f"검토</think>\n\n정답: {choice}"

    examqa.evaluate(exam, bank, examqa.backend("scripted", script=answer), out=tmp_path / name, samples=samples,
                    temperature=0.6 if samples > 1 else None)
    return tmp_path / name


def test_compare_a_rank_exam_under_the_years_cut(tmp_path: Path) -> None:
    """변리사 2025 (cut 79.16): 4 of 6 right (66.67, statutory lines met) against 6 of 6."""
    base = _sample_run(tmp_path, "patent-attorney", "base", lambda q: q not in ("PA-02", "PA-05"))
    other = _sample_run(tmp_path, "patent-attorney", "other", lambda q: True)
    pair = compare([base, other]).pairs[0]
    assert (pair.baseline_passed, pair.other_passed) == (False, True)
    assert pair.verdict == "FAIL → PASS"


def test_compare_the_bar_part_stays_undecidable(tmp_path: Path) -> None:
    base = _sample_run(tmp_path, "lawyer", "base", lambda q: False, samples=2)
    other = _sample_run(tmp_path, "lawyer", "other", lambda q: True, samples=2)
    pair = compare([base, other]).pairs[0]
    assert pair.verdict == "UNDECIDABLE (part of the exam) (unchanged)"
    assert pair.pass_probability is None and pair.sample_accuracy is not None  # no P(pass) from a part
