"""Item statistics against a hand computation, the flags a misbehaving item raises, and placement."""

from __future__ import annotations

import math
import random
import statistics
from pathlib import Path

import pytest

from examqa.banks import Bank
from examqa.cohort import grade_cohort
from examqa.exams.models import Blueprint, Edition, PassRule, Question, SubjectSpec
from examqa.exams.plugins import Domain, ExamEntry, registry
from examqa.exams.scoring import score


def entry_for(blueprint: Blueprint) -> ExamEntry:
    return ExamEntry(blueprint=blueprint, domain=Domain(name="t", blueprints=(blueprint,), prompts=Path(".")))


def bank_of(questions: list[Question]) -> Bank:
    return Bank(questions=tuple(questions), origin={}, format="native", files=())


def q(qid: str, subject: str, key: int = 1, choices: int = 4) -> Question:
    return Question(id=qid, subject=subject, stem="문항", choices=tuple(str(c) for c in range(1, choices + 1)),
                    accepted=frozenset({key}))


# ------------------------------------------------------------------------------------- by hand

TOY = Blueprint(id="toy", domain="t", name_ko="모의", name_en="toy", body="t",
                pass_rule=PassRule(text="총점 60 %, 과목 40 %"),
                editions=(Edition(id="e", from_year=2000, subjects=(SubjectSpec(name="A", name_en="A"),
                                                                     SubjectSpec(name="B", name_en="B"))),))
TOY_ITEMS = [q("A1", "A"), q("A2", "A"), q("B1", "B")]
# Every item keys choice 1 and is worth 1 point. Scored (1) or not (0), and each student's total:
#   s1: 1 1 1  (3)      s2: 1 0 1  (2)      s3: 0 1 0  (1, B1 blank)      s4: 0 0 0  (0)      s5: 1 1 0  (2)
TOY_SHEETS = [("s1", {"A1": 1, "A2": 1, "B1": 1}), ("s2", {"A1": 1, "A2": 2, "B1": 1}),
              ("s3", {"A1": 2, "A2": 1, "B1": None}), ("s4", {"A1": 3, "A2": 2, "B1": 4}),
              ("s5", {"A1": 1, "A2": 1, "B1": 2})]


def test_item_statistics_by_hand() -> None:
    cohort = grade_cohort(entry_for(TOY), bank_of(TOY_ITEMS), TOY_SHEETS)
    items = {i.id: i for i in cohort.items}
    # difficulty: the share who scored
    assert [items[k].difficulty for k in ("A1", "A2", "B1")] == [0.6, 0.6, 0.4]
    # A1 against the rest of the paper: x = 1 1 0 0 1, rest = 2 1 1 0 1
    #   cov = mean(x·rest) − 0.6·1.0 = 0.8 − 0.6 = 0.2; var x = 0.24; var rest = 1.4 − 1 = 0.4
    #   r = 0.2 / √(0.24 · 0.4) = 0.645497
    assert items["A1"].discrimination == pytest.approx(0.2 / math.sqrt(0.24 * 0.4), abs=1e-6)
    for item_id, col in (("A2", 1), ("B1", 2)):  # the same definition, computed independently
        x = [[1, 1, 1], [1, 0, 1], [0, 1, 0], [0, 0, 0], [1, 1, 0]]
        scored = [row[col] for row in x]
        rest = [sum(row) - row[col] for row in x]
        assert items[item_id].discrimination == pytest.approx(statistics.correlation(scored, rest), abs=1e-6)
    # the share marking each choice alone, blanks and double marks apart
    assert items["A1"].option_shares == (0.6, 0.2, 0.2, 0.0)
    assert items["B1"].option_shares == (0.4, 0.2, 0.0, 0.2)
    assert (items["B1"].blank, items["B1"].multiple) == (0.2, 0.0)
    # the strongest quarter: ⌈5/4⌉ = 2 students, s1 (3) and s2 (2, before s5 on the tie)
    assert items["A2"].top_option_shares == (0.5, 0.5, 0.0, 0.0)
    # KR-20 = 3/2 · (1 − Σpq / σ²) with Σpq = 3 · 0.24 = 0.72 and σ² of 3 2 1 0 2 = 1.04
    assert cohort.summary.kr20 == pytest.approx(1.5 * (1 - 0.72 / 1.04), abs=1e-6)
    # subject A alone: k = 2, p = .6 .6, totals 2 1 1 0 2 → σ² = 0.56
    assert cohort.summary.subjects[0].kr20 == pytest.approx(2 * (1 - 0.48 / 0.56), abs=1e-6)
    assert cohort.summary.subjects[1].kr20 is None  # one item: KR-20 is undefined


def test_distributions_and_outcomes_by_hand() -> None:
    cohort = grade_cohort(entry_for(TOY), bank_of(TOY_ITEMS), TOY_SHEETS)
    s = cohort.summary
    # 3 points, 60 % = 1.8 → 2 points; A floor 0.8 → 1 point, B floor 0.4 → 1 point
    # s1 pass; s2 pass (A 1, B 1, total 2); s3 fails B (0) only; s4 fails both floors and the total;
    # s5 fails B (0) only
    assert [cohort.result(n).passed for n in cohort.students] == [True, True, False, False, False]
    assert (s.passed, s.failed_floor_only, s.failed_total_only, s.failed_both) == (2, 1, 0, 2)
    a = s.subjects[0]
    assert (a.mean_points, a.mean_percent, a.median_percent) == (1.2, 60.0, 50.0)
    assert a.below_floor == 1  # s4
    assert a.histogram[10] == 2 and a.histogram[19] == 2 and a.histogram[0] == 1  # 50 %, 100 %, 0 %
    assert s.to_pass == {1: 2, 2: 1}  # s3, s5 need B1; s4 needs one in A and B1


# ------------------------------------------------------------------------------- flags


def simulated_class(questions: list[Question], truth: dict[str, int], n: int, seed: int) -> list[tuple[str, dict]]:
    """Students who know an item with a probability rising with their ability; otherwise they guess."""
    rng = random.Random(seed)
    out = []
    for s in range(n):
        ability = rng.random()
        marks: dict[str, int] = {}
        for item in questions:
            know = rng.random() < 0.15 + 0.8 * ability
            marks[item.id] = truth.get(item.id, min(item.accepted)) if know else rng.randint(1, len(item.choices))
        out.append((f"s{s}", marks))
    return out


def test_a_planted_wrong_key_is_flagged_with_its_numbers() -> None:
    entry = registry()["loss-adjuster"]
    questions = [q(f"{subject}-{k}", subject, key=1 + k % 4)
                 for subject in ("보험업법", "보험계약법", "손해사정이론") for k in range(40)]
    planted = questions[17].id  # the students know 2 is right; the bank says 3
    assert min(questions[17].accepted) == 2
    questions[17] = questions[17].model_copy(update={"accepted": frozenset({3})})
    sheets = simulated_class(questions, {planted: 2}, 400, seed=5)
    cohort = grade_cohort(entry, bank_of(questions), sheets)
    suspects = [f for f in cohort.summary.flags if f.kind == "key_suspect"]
    assert [f.id for f in suspects] == [planted]
    numbers = suspects[0].numbers
    assert numbers["choice"] == 2 and numbers["top_share"] > 0.8 > 0.2 > numbers["top_key_share"]
    assert numbers["top_students"] == 100
    assert cohort.summary.flags[0].id == planted  # key suspects come first
    assert any(f.id == planted and f.kind == "negative_discrimination" for f in cohort.summary.flags)
    assert "choice 2" in suspects[0].message


def test_an_item_the_weak_get_right_has_negative_discrimination() -> None:
    questions = [q(f"A{k}", "A") for k in range(12)] + [q(f"B{k}", "B") for k in range(12)]
    sheets = simulated_class(questions, {}, 200, seed=3)
    # A0: right exactly for the students who got fewest of the rest
    totals = [sum(m[x.id] == 1 for x in questions[1:]) for _, m in sheets]
    cut = sorted(totals)[len(totals) // 3]
    for (_, marks), total in zip(sheets, totals, strict=True):
        marks["A0"] = 1 if total <= cut else 2
    cohort = grade_cohort(entry_for(TOY), bank_of(questions), sheets)
    found = [f for f in cohort.summary.flags if f.id == "A0"]
    assert [f.kind for f in found][-1] == "negative_discrimination"
    assert found[-1].numbers["discrimination"] < 0
    assert not any(f.id != "A0" and f.kind == "negative_discrimination" for f in cohort.summary.flags)


def test_all_accepted_items_raise_no_discrimination_flag() -> None:
    questions = [q(f"A{k}", "A") for k in range(6)] + [q(f"B{k}", "B") for k in range(6)]
    questions[0] = questions[0].model_copy(update={"accepted": frozenset({1, 2, 3, 4})})
    cohort = grade_cohort(entry_for(TOY), bank_of(questions), simulated_class(questions, {}, 100, seed=1))
    assert not [f for f in cohort.summary.flags if f.id == "A0"]


# ----------------------------------------------------------------------------------- placement


def test_a_model_run_is_placed_by_percentile(tmp_path: Path) -> None:
    entry = registry()["loss-adjuster"]
    questions = [q(f"{subject}-{k}", subject) for subject in ("보험업법", "보험계약법", "손해사정이론")
                 for k in range(10)]
    sheets = simulated_class(questions, {}, 50, seed=9)
    run_marks = {x.id: (1,) if i % 3 else (2,) for i, x in enumerate(questions)}
    report = score(entry.blueprint, questions, run_marks)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "report.json").write_text(report.model_dump_json(), encoding="utf-8")
    cohort = grade_cohort(entry, bank_of(questions), sheets, run=tmp_path / "run")
    p = cohort.summary.placement
    assert p is not None and p.passed == report.passed
    totals = [cohort.result(s).percent for s in cohort.students]
    mine = report.total.percent
    expected = 100 * (sum(t < mine - 1e-9 for t in totals) + sum(abs(t - mine) < 1e-9 for t in totals) / 2) / 50
    assert p.percentile == pytest.approx(expected, abs=1e-3)
    assert p.rank == 1 + sum(t > mine + 1e-9 for t in totals)
    first = [float(cohort.result(s).points["보험업법"]) for s in cohort.students]
    own = float(report.subjects[0].points)
    assert p.subjects[0].percentile == pytest.approx(
        100 * (sum(x < own for x in first) + sum(x == own for x in first) / 2) / 50, abs=1e-3)


def test_a_run_on_another_paper_is_refused(tmp_path: Path) -> None:
    from examqa.errors import InputError

    entry = registry()["loss-adjuster"]
    questions = [q(f"{s}-{k}", s) for s in ("보험업법", "보험계약법", "손해사정이론") for k in range(4)]
    other = score(entry.blueprint, questions[:-1], {})
    path = tmp_path / "report.json"
    path.write_text(other.model_dump_json(), encoding="utf-8")
    with pytest.raises(InputError, match="different paper"):
        grade_cohort(entry, bank_of(questions), simulated_class(questions, {}, 5, seed=2), run=path)
