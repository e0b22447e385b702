"""A cohort grades every sheet exactly as ``examqa grade`` grades it alone: verdict, subject points, to_pass.

The reference is the single-sheet path (``read_sheet`` + ``score``, i.e. ``grade_sheet``), whose
``to_pass`` is itself checked against brute force in ``test_topass.py``; near misses on the real
paper are brute-forced here again.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from fractions import Fraction
from itertools import combinations
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import examqa
from examqa.banks import Bank, load_bank
from examqa.cohort import Cohort, grade_cohort
from examqa.exams.models import Blueprint, Marks, Question
from examqa.exams.plugins import Domain, ExamEntry, registry
from examqa.exams.report import ItemResult
from examqa.exams.scoring import score
from helpers import LOSS_ADJUSTER_DATA
from test_topass import brute_force, cases, draw_marks, ranked_cases


def simulated_cells(questions: Sequence[Question], n: int, seed: int) -> list[tuple[str, list[str]]]:
    """``n`` students of spread-out skill: right, wrong, blank, double marks, and marks written as ③."""
    rng = random.Random(seed)
    out = []
    for s in range(n):
        skill = rng.uniform(0.25, 0.95)
        cells = []
        for q in questions:
            r = rng.random()
            k = len(q.choices)
            if r < skill:
                c = min(q.accepted)
                cells.append("③" if c == 3 and rng.random() < 0.2 else str(c))
            elif r < skill + 0.04:
                cells.append("")
            elif r < skill + 0.06:
                cells.append(f"{1 + rng.randrange(k - 1)};{k}")
            else:
                cells.append(str(rng.randint(1, k)))
        out.append((f"학생{s:04d}", cells))
    return out


def write_wide(path: Path, questions: Sequence[Question], students: list[tuple[str, list[str]]]) -> Path:
    lines = ["student," + ",".join(q.id for q in questions)]
    lines += [name + "," + ",".join(cells) for name, cells in students]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_sheets(folder: Path, questions: Sequence[Question], students: list[tuple[str, list[str]]]) -> Path:
    folder.mkdir()
    for name, cells in students:
        rows = ["id,answer"] + [f"{q.id},{cell}" for q, cell in zip(questions, cells, strict=True)]
        (folder / f"{name}.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def assert_matches_single_sheets(cohort: Cohort, reports: dict[str, examqa.Report]) -> None:
    """For every student: the cohort's verdict, subject points and to_pass equal the sheet graded alone."""
    assert list(cohort.students) == list(reports)
    for name, alone in reports.items():
        mine = cohort.result(name)
        assert mine.passed == alone.passed, name
        assert mine.decision == alone.decision, name
        assert mine.points == {s.name: s.points for s in alone.subjects}, name
        assert mine.to_pass == alone.to_pass, name
        assert mine.total_points == alone.total.points
        assert mine.percent == pytest.approx(alone.total.percent, abs=1e-3)
        floor_ok = all(s.passed for s in alone.subjects)
        assert (mine.failed_by is None) == (alone.decision != "fail")
        if alone.decision == "fail":
            assert mine.failed_by == ("both" if not (floor_ok or alone.total.passed) else
                                      "floor" if not floor_ok else "total")


# ------------------------------------------------------------------------------------ the real paper


@pytest.fixture(scope="module")
def real_bank() -> Bank:
    if not LOSS_ADJUSTER_DATA.exists():
        pytest.skip(f"the shared loss-adjuster papers are not at {LOSS_ADJUSTER_DATA}")
    return load_bank(LOSS_ADJUSTER_DATA / "2020")


def test_2000_students_on_a_real_paper_match_their_sheets_alone(tmp_path: Path, real_bank: Bank) -> None:
    questions = real_bank.questions
    students = simulated_cells(questions, 2000, seed=2020)
    cohort = grade_cohort("loss-adjuster", real_bank, write_wide(tmp_path / "wide.csv", questions, students))
    folder = write_sheets(tmp_path / "sheets", questions, students)
    reports = {name: examqa.grade_sheet("loss-adjuster", real_bank, folder / f"{name}.csv")
               for name, _ in students}
    assert_matches_single_sheets(cohort, reports)
    s = cohort.summary
    assert s.students == 2000 and 0 < s.passed < 2000
    assert s.passed + s.failed_floor_only + s.failed_total_only + s.failed_both == 2000
    assert sum(s.to_pass.values()) == 2000 - s.passed
    # the folder layout reads the same sheets
    assert [r.passed for r in grade_cohort("loss-adjuster", real_bank, folder).results()] == \
        [r.passed for r in cohort.results()]
    # near misses: no way with one answer fewer, brute-forced over per-subject counts (every item is
    # worth 2.5 here, so which items of a subject does not matter), and the way given passes
    entry = registry()["loss-adjuster"]
    near = [r for r in cohort.results() if r.to_pass is not None and 1 <= r.to_pass.items <= 3][:40]
    assert near
    for r in near:
        assert r.to_pass is not None
        marks = cohort.marks(r.student)
        alone = score(entry.blueprint, questions, marks)
        open_by = {sub.name: [i for i in alone.items if i.subject == sub.name and i.status != "correct"]
                   for sub in alone.subjects}
        fewer = r.to_pass.items - 1
        splits = [c for c in _compositions(fewer, len(open_by))
                  if all(k <= len(items) for k, items in zip(c, open_by.values(), strict=True))]
        assert not any(_passes(entry.blueprint, questions, marks, open_by, c) for c in splits), r.student
        way = [r.to_pass.by_subject.get(n, 0) for n in open_by]
        assert _passes(entry.blueprint, questions, marks, open_by, way), r.student


def _passes(blueprint: Blueprint, questions: Sequence[Question], marks: dict[str, Marks],
            open_by: dict[str, list[ItemResult]], counts: Sequence[int]) -> bool:
    """Whether turning the first ``counts[s]`` open items of each subject correct passes."""
    trial = dict(marks)
    for items, k in zip(open_by.values(), counts, strict=True):
        for item in items[:k]:
            trial[item.id] = (item.accepted[0],)
    return score(blueprint, questions, trial).passed


def _compositions(total: int, parts: int) -> list[tuple[int, ...]]:
    """Every way to write ``total`` as ``parts`` non-negative integers."""
    out = []
    for cuts in combinations(range(total + parts - 1), parts - 1):
        bounds = (-1, *cuts, total + parts - 1)
        out.append(tuple(bounds[i + 1] - bounds[i] - 1 for i in range(parts)))
    return out


# ------------------------------------------------------------------------- dentist and 2.5-point items

DENTIST = ("치과보존학", "치과보철학", "구강악안면외과학", "소아치과학", "치과교정학", "영상치의학", "구강내과학",
           "구강병리학", "치주과학", "구강보건학", "치과재료학", "구강생물학", "보건의약관계법규")


def synthetic(subjects: dict[str, int], *, choices: int = 5, points: Fraction | None = None,
              year: int | None = None) -> list[Question]:
    """Items keyed 1 (every fifth item: 2 and 4, a 복수정답) with placeholder texts."""
    return [Question(id=f"S{i:02d}-{k:02d}", subject=s, stem="문항", year=year, number=k,
                     choices=tuple(str(c) for c in range(1, choices + 1)),
                     accepted=frozenset({2, 4}) if k % 5 == 4 else frozenset({1}), points=points)
            for i, (s, n) in enumerate(subjects.items()) for k in range(n)]


def test_dentist_merged_groups_match_and_are_minimal() -> None:
    entry = registry()["dentist"]
    questions = synthetic(dict.fromkeys(DENTIST, 3), year=2024)
    students = simulated_cells(questions, 120, seed=7)
    rows = [(name, dict(zip([q.id for q in questions], cells, strict=True))) for name, cells in students]
    bank = Bank(questions=tuple(questions), origin={}, format="native", files=())
    cohort = grade_cohort(entry, bank, rows)
    reports = {name: score(entry.blueprint, questions, cohort.marks(name), grader=entry.domain.grader)
               for name, _ in students}
    assert_matches_single_sheets(cohort, reports)
    assert any(r.groups and not all(g.passed for g in r.groups) for r in reports.values())
    checked = 0
    for name, report in reports.items():
        if report.to_pass is not None and report.to_pass.items <= 2:
            assert brute_force(entry.blueprint, questions, cohort.marks(name)) == report.to_pass.items
            checked += 1
    assert checked >= 5


def test_customs_two_and_a_half_point_items(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("examqa.cohort._grade._CHUNK", 16)  # the to-pass search in many blocks
    entry = registry()["customs-broker"]
    questions = synthetic(dict.fromkeys(("관세법개론", "무역영어", "내국소비세법", "회계학"), 40), year=2024)
    students = simulated_cells(questions, 300, seed=11)
    path = write_wide(tmp_path / "wide.csv", questions, students)
    bank = Bank(questions=tuple(questions), origin={}, format="native", files=())
    cohort = grade_cohort(entry, bank, path)
    reports = {name: score(entry.blueprint, questions, cohort.marks(name)) for name, _ in students}
    assert_matches_single_sheets(cohort, reports)
    assert {i.points for r in reports.values() for i in r.items} == {Fraction(5, 2)}


# ---------------------------------------------------------------------------- random exams (property)


@st.composite
def cohorts(draw: st.DrawFn) -> tuple[Blueprint, list[Question], list[dict[str, Marks]]]:
    blueprint, questions, first = draw(cases())
    rest = [draw_marks(draw, questions) for _ in range(draw(st.integers(0, 12)))]
    return blueprint, questions, [first, *rest]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cohorts())
def test_random_exams_match_score(case: tuple[Blueprint, list[Question], list[dict[str, Marks]]]) -> None:
    """Merged groups, both bases, 2.5-, 1/2- and 4/3-point items: the vectorised path is the single one."""
    blueprint, questions, sheets = case
    entry = ExamEntry(blueprint=blueprint, domain=Domain(name="test", blueprints=(blueprint,), prompts=Path(".")))
    bank = Bank(questions=tuple(questions), origin={}, format="native", files=())
    cohort = grade_cohort(entry, bank, [(f"s{i}", m) for i, m in enumerate(sheets)])
    assert_matches_single_sheets(cohort, {f"s{i}": score(blueprint, questions, m) for i, m in enumerate(sheets)})


@st.composite
def ranked_cohorts(draw: st.DrawFn) -> tuple[Blueprint, list[Question], list[dict[str, Marks]]]:
    blueprint, questions, first = draw(ranked_cases())
    rest = [draw_marks(draw, questions) for _ in range(draw(st.integers(0, 12)))]
    return blueprint, questions, [first, *rest]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ranked_cohorts())
def test_random_rank_exams_match_score(case: tuple[Blueprint, list[Question], list[dict[str, Marks]]]) -> None:
    """A rank rule with the year's cut, without it, and without a statutory total line: as ``score`` decides."""
    test_random_exams_match_score.hypothesis.inner_test(case)  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------- the fourteen licences


SAMPLES = Path(__file__).resolve().parents[1] / "exams" / "samples"


@pytest.mark.parametrize("exam", sorted(registry()))
def test_every_licence_cohort_on_its_sample_paper_matches_each_sheet_alone(exam: str) -> None:
    """Every rule kind, elective and merged group of the fourteen: the class graded at once is each sheet alone."""
    entry = registry()[exam]
    bank = load_bank(SAMPLES / "papers" / f"{exam}.jsonl")
    questions = bank.questions
    electives = {n for names in entry.blueprint.edition().electives.values() for n in names}
    sat = [n for names in entry.blueprint.edition().electives.values() for n in names[-1:]]
    rng = random.Random(exam)
    students = []
    for s in range(60):
        cells = {}
        for q in questions:
            spec = entry.blueprint.edition().subject(q.subject)
            if spec is not None and spec.name in electives and spec.name not in sat:
                continue  # the class sat the last-listed elective; the others are left blank
            r = rng.random()
            cells[q.id] = (str(min(q.accepted)) if r < 0.3 + s / 100 else "" if r < 0.35 + s / 100
                           else f"1;{len(q.choices)}" if r < 0.4 + s / 100 else str(rng.randint(1, len(q.choices))))
        students.append((f"학생{s:02d}", cells))
    cohort = grade_cohort(entry, bank, students)
    # a sheet alone that leaves its elective blank cannot say which it sat: the class's is named
    reports = {name: score(entry.blueprint, questions, cohort.marks(name), grader=entry.domain.grader,
                           elective=sat or None) for name, _ in students}
    assert_matches_single_sheets(cohort, reports)
    assert cohort.summary.electives == tuple(sat)
    decisions = {r.decision for r in reports.values()}
    if entry.blueprint.pass_rule.kind == "part":
        assert decisions == {"part_only"} and cohort.summary.undecided == 60 and cohort.summary.passed == 0
        assert all(cohort.result(n).to_pass is None for n, _ in students)
    else:
        assert decisions <= {"pass", "fail", "cut_unpublished"}
        assert cohort.summary.undecided == sum(d == "cut_unpublished" for d in (r.decision for r in reports.values()))
    # the CSV and the page name each student's decision in the words every report uses
    from examqa.reports import cohort_csv, cohort_html

    words = {"pass": ("PASS", "합격"), "fail": ("FAIL", "불합격"), "cut_unpublished": ("ELIGIBLE", "판정 보류"),
             "part_only": ("UNDECIDABLE", "판정 불가")}
    rows = {line.split(",")[0]: line.split(",")[1] for line in cohort_csv(cohort).splitlines()[1:]}
    page = cohort_html(cohort)
    for name, report in reports.items():
        english, korean = words[report.decision]
        assert rows[name] == english, name
        assert re.search(rf"<tr><td>{name}</td><td><span[^>]*>{korean}</span>", page), (name, korean)
    # the per-student JSON is the sheet's own report, less the items
    first = students[0][0]
    assert cohort.student_json(first) == {"student": first,
                                          **reports[first].model_dump(mode="json", exclude={"items"})}


def test_a_class_answering_different_electives_is_graded_one_elective_at_a_time() -> None:
    entry = registry()["tax-accountant"]
    qs = synthetic({"재정학": 4, "세법학개론": 4, "회계학개론": 4, "상법(회사편)": 4, "민법(총칙)": 4, "행정소송법": 4},
                   year=2024)
    def sheet(elective: str) -> dict[str, str]:
        return {q.id: str(min(q.accepted)) for q in qs if q.subject in ("재정학", "세법학개론", "회계학개론", elective)}
    rows = [("갑", sheet("민법(총칙)")), ("을", sheet("상법(회사편)")), ("병", sheet("민법(총칙)"))]
    bank = Bank(questions=tuple(qs), origin={}, format="native", files=())
    with pytest.raises(examqa.InputError, match=r"different electives .*상법\(회사편\) 1, 민법\(총칙\) 2"):
        grade_cohort(entry, bank, rows)
    with pytest.raises(examqa.InputError, match="'을' answers the elective 상법\\(회사편\\), not 민법\\(총칙\\)"):
        grade_cohort(entry, bank, rows, elective="민법(총칙)")
    civil = grade_cohort(entry, bank, rows, elective="민법", skip_bad=True)
    assert civil.students == ("갑", "병") and [b.student for b in civil.summary.bad] == ["을"]
    assert civil.summary.electives == ("민법(총칙)",) and civil.summary.passed == 2
    assert civil.report("갑").electives == ("민법(총칙)",)
    commercial = grade_cohort(entry, bank, rows, elective="상법(회사편)", skip_bad=True)
    assert commercial.students == ("을",)
    alone = grade_cohort(entry, bank, rows[:1])  # one elective answered across the class: that one
    assert alone.summary.electives == ("민법(총칙)",)


def test_a_run_is_placed_only_among_students_of_its_elective() -> None:
    entry = registry()["tax-accountant"]
    qs = synthetic({"재정학": 2, "세법학개론": 2, "회계학개론": 2, "상법(회사편)": 2, "민법(총칙)": 2}, year=2024)
    rows = [(f"s{i}", {q.id: str(min(q.accepted)) for q in qs[: 6 + i] if q.subject != "상법(회사편)"})
            for i in range(3)]
    bank = Bank(questions=tuple(qs), origin={}, format="native", files=())
    all_right = {q.id: (min(q.accepted),) for q in qs}
    on_commercial = score(entry.blueprint, qs, all_right, elective="상법(회사편)")
    with pytest.raises(examqa.InputError, match=r"graded on the elective 상법\(회사편\), the cohort on 민법\(총칙\)"):
        grade_cohort(entry, bank, rows, elective="민법(총칙)", run=on_commercial)
    on_civil = score(entry.blueprint, qs, all_right, elective="민법(총칙)")
    placed = grade_cohort(entry, bank, rows, elective="민법(총칙)", run=on_civil).summary.placement
    assert placed is not None and placed.rank == 1 and [s.name for s in placed.subjects][-1] == "민법(총칙)"
