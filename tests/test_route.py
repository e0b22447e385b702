"""Multi-exam banks: routing KMMLU-Pro, KorMedMCQA, native and sub-folder banks to the installed exams.

Every row here is a synthetic placeholder written for these tests; no exam text is copied.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from examqa.banks import load_bank, route_bank
from examqa.banks._route import licence_key
from examqa.errors import InputError, UnknownExamError
from examqa.exams.plugins import get_exam
from examqa.exams.scoring import score


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def kmmlu_rows(licence: str, subject: str, n: int, prefix: str, solution: int = 2) -> list[dict[str, Any]]:
    return [{"id": f"{prefix}-{k}", "question": f"모의 {licence} 문항 {k}: 옳은 것은?",
             "options": [f"보기 {c}" for c in range(1, 6)], "solution": solution, "subject": subject,
             "license_name": licence} for k in range(1, n + 1)]


def native_rows(prefix: str, subject: str, n: int, **extra: Any) -> list[dict[str, Any]]:
    return [{"id": f"{prefix}-{k}", "subject": subject, "stem": f"모의 문항 {k}: 알맞은 것은?",
             "choices": [f"보기 {c}" for c in range(1, 6)], "answer": 1, **extra} for k in range(1, n + 1)]


@pytest.fixture
def kmmlu(tmp_path: Path) -> Path:
    rows = (kmmlu_rows("관세사", "관세법개론", 3, "cus") + kmmlu_rows("변호사", "민사법", 4, "law")
            + kmmlu_rows("감정평가사", "경제학원론", 2, "apr") + kmmlu_rows("손해사정사", "보험업법", 2, "loss")
            + kmmlu_rows("의사", "의학각론", 2, "phy") + kmmlu_rows("치과의사", "치주과학", 2, "den")
            + kmmlu_rows("한약사", "보건의약관계법규", 2, "hp") + kmmlu_rows("한의사", "한방생리학", 3, "om")
            + kmmlu_rows("약사", "생명약학", 1, "ph") + kmmlu_rows("관세사", "회계학", 1, "cus2")
            + kmmlu_rows("간호사", "기본간호학", 2, "nu"))
    return write_jsonl(tmp_path / "kmmlu-pro.jsonl", rows)


# ------------------------------------------------------------------------------------------------ KMMLU-Pro


def test_kmmlu_pro_rows_route_by_licence_and_the_rest_are_counted(kmmlu: Path) -> None:
    routed = route_bank(kmmlu)
    assert routed.format == "kmmlu-pro"
    assert {e: len(b.questions) for e, b in routed.banks.items()} == {
        "customs-broker": 4, "lawyer": 4, "appraiser": 2, "loss-adjuster": 2, "physician": 2, "dentist": 2,
        "herbal-pharmacist": 2, "korean-medicine-doctor": 3, "pharmacist": 1}
    # 한의사 is not 의사 and 약사 is not 한약사; a licence no plugin provides is counted, not dropped
    assert routed.unrouted == {"간호사": 2}
    assert routed.not_selected == {}
    customs = routed.banks["customs-broker"]
    assert [q.id for q in customs.questions] == ["cus-1", "cus-2", "cus-3", "cus2-1"]
    assert str(customs.origin["cus2-1"]) == f"{kmmlu}:22"  # the line of the row in the whole file
    assert customs.files == (kmmlu,) and customs.format == "kmmlu-pro"
    assert routed.unknown_subjects == {}


def test_selecting_exams_counts_the_others(kmmlu: Path) -> None:
    routed = route_bank(kmmlu, ["dentist", "customs-broker"])
    assert list(routed.banks) == ["dentist", "customs-broker"]
    assert routed.not_selected == {"lawyer": 4, "appraiser": 2, "loss-adjuster": 2, "physician": 2,
                                   "herbal-pharmacist": 2, "korean-medicine-doctor": 3, "pharmacist": 1}
    assert routed.unrouted == {"간호사": 2}


def test_asking_for_an_unknown_exam_or_one_without_rows_is_refused(kmmlu: Path, tmp_path: Path) -> None:
    with pytest.raises(UnknownExamError, match="nurse"):
        route_bank(kmmlu, ["nurse"])
    only_customs = write_jsonl(tmp_path / "c.jsonl", kmmlu_rows("관세사", "회계학", 2, "c"))
    with pytest.raises(InputError, match=r"no rows for dentist .*it holds: customs-broker 2"):
        route_bank(only_customs, ["dentist"])


@pytest.mark.parametrize(("licence", "exam"), [
    ("관세사", "customs-broker"),
    ("관세사 1차", "customs-broker"),
    ("관세사 1차 시험", "customs-broker"),
    ("관 세 사", "customs-broker"),
    ("손해사정사", "loss-adjuster"),
    ("감정평가사(1차)", "appraiser"),
    ("의사 국가시험", "physician"),
    ("치과의사", "dentist"),
    ("한약사", "herbal-pharmacist"),
    ("customs-broker", "customs-broker"),  # an exam id is accepted too
    ("관세사 2차", None),  # the essay stage is another paper
    ("한의사", "korean-medicine-doctor"),
    ("약사", "pharmacist"),
    ("의사면허", None),
    ("변호사", "lawyer"),
    ("변호사시험", "lawyer"),
    ("Lawyer", "lawyer"),
    ("certified public accountant", "cpa"),  # the dataset card's English names, any case
    ("공인회계사 1차", "cpa"),
    ("법무사 2차", None),
    ("간호사", None),
])
def test_licence_names_match_blueprints_exactly_up_to_spaces_and_suffixes(
        tmp_path: Path, licence: str, exam: str | None) -> None:
    rows = kmmlu_rows(licence, "회계학", 1, "x") + kmmlu_rows("관세사", "회계학", 1, "anchor")
    routed = route_bank(write_jsonl(tmp_path / "b.jsonl", rows))
    if exam is None:
        assert routed.unrouted == {licence: 1}
    else:
        assert "x-1" in {q.id for q in routed.banks[exam].questions}
        assert routed.unrouted == {}


@given(st.sampled_from(["관세사 1차 시험", "의사 국가시험", "치과의사 국가시험", "손해사정사"]),
       st.lists(st.integers(min_value=0, max_value=12), max_size=4), st.sampled_from([" ", "\t", "\u3000"]))
def test_spaces_anywhere_never_change_the_licence_key(name: str, cuts: list[int], space: str) -> None:
    spaced = name
    for cut in sorted(cuts, reverse=True):
        spaced = spaced[:cut] + space + spaced[cut:]
    assert licence_key(spaced) == licence_key(name)


def test_a_decomposed_hangul_name_still_matches(tmp_path: Path) -> None:
    import unicodedata

    nfd = unicodedata.normalize("NFD", "관세사")
    assert nfd != "관세사"
    routed = route_bank(write_jsonl(tmp_path / "b.jsonl", kmmlu_rows(nfd, "회계학", 2, "c")))
    assert list(routed.banks) == ["customs-broker"]


def test_a_kmmlu_row_without_licence_is_refused_at_its_line(tmp_path: Path) -> None:
    rows = kmmlu_rows("관세사", "회계학", 2, "c")
    del rows[1]["license_name"]
    path = write_jsonl(tmp_path / "b.jsonl", rows)
    with pytest.raises(InputError) as err:
        route_bank(path)
    assert err.value.line == 2 and "license_name" in str(err.value)


# ------------------------------------------------------------------------------------------------ scoring


def test_a_routed_bank_scores_like_a_loaded_one(kmmlu: Path, tmp_path: Path) -> None:
    entry = get_exam("customs-broker")
    routed = route_bank(kmmlu, ["customs-broker"]).banks["customs-broker"]
    rows = kmmlu_rows("관세사", "관세법개론", 3, "cus") + kmmlu_rows("관세사", "회계학", 1, "cus2")
    alone = load_bank(write_jsonl(tmp_path / "alone.jsonl", rows))
    marks = {"cus-1": (2,), "cus-2": (1,), "cus-3": (2,), "cus2-1": (2,)}
    a = score(entry.blueprint, routed.questions, marks)
    b = score(entry.blueprint, alone.questions, marks)
    assert a.model_dump(exclude={"items"}) == b.model_dump(exclude={"items"})
    assert [i.awarded for i in a.items] == [i.awarded for i in b.items]


def test_fingerprint_is_of_the_exams_own_rows(kmmlu: Path) -> None:
    first = route_bank(kmmlu)
    again = route_bank(kmmlu)
    assert first.banks["customs-broker"].sha256() == again.banks["customs-broker"].sha256()
    assert first.banks["customs-broker"].sha256() != first.banks["appraiser"].sha256()

    lines = kmmlu.read_text(encoding="utf-8").splitlines()
    law = json.loads(lines[3])  # a 변호사 row: another licence's edit leaves customs-broker's hash alone
    law["solution"] = 5
    lines[3] = json.dumps(law, ensure_ascii=False)
    kmmlu.write_text("\n".join(lines) + "\n", encoding="utf-8")
    edited = route_bank(kmmlu)
    assert edited.banks["customs-broker"].sha256() == first.banks["customs-broker"].sha256()

    cus = json.loads(lines[0])  # customs-broker's own key: its hash changes
    cus["solution"] = 5
    lines[0] = json.dumps(cus, ensure_ascii=False)
    kmmlu.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert route_bank(kmmlu).banks["customs-broker"].sha256() != first.banks["customs-broker"].sha256()


def test_unknown_subjects_are_named_before_scoring_refuses_them(tmp_path: Path) -> None:
    rows = kmmlu_rows("관세사", "관세법", 2, "c") + kmmlu_rows("관세사", "회계학", 1, "ok")
    routed = route_bank(write_jsonl(tmp_path / "b.jsonl", rows))
    assert routed.unknown_subjects == {"customs-broker": {"관세법": 2}}
    bank = routed.banks["customs-broker"]
    assert any("관세법" in p.message and p.line == 1 for p in bank.problems)
    with pytest.raises(InputError, match="관세법"):
        score(get_exam("customs-broker").blueprint, bank.questions, {})


# ------------------------------------------------------------------------------------------------ KorMedMCQA


def test_kormedmcqa_routes_by_its_exam_column(tmp_path: Path) -> None:
    lines = ["subject,year,period,q_number,question,A,B,C,D,E,answer"]
    for exam, n in (("doctor", 3), ("dentist", 2), ("nurse", 4)):
        lines += [f"{exam},2023,1,{k},모의 {exam} 문항 {k},가,나,다,라,마,{k % 5 + 1}" for k in range(1, n + 1)]
    path = tmp_path / "kormedmcqa.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    routed = route_bank(path)
    assert routed.format == "kormedmcqa"
    assert {e: len(b.questions) for e, b in routed.banks.items()} == {"physician": 3, "dentist": 2}
    assert routed.unrouted == {"nurse": 4}
    assert routed.banks["dentist"].origin["dentist-2023-1-1"].line == 5
    # KorMedMCQA names the exam, not the subject: say so before a run is wasted on it
    assert routed.unknown_subjects == {"physician": {"doctor": 3}, "dentist": {"dentist": 2}}


# ------------------------------------------------------------------------------------------------ native


def test_native_rows_route_by_their_exam_field(tmp_path: Path) -> None:
    rows = (native_rows("c", "회계학", 2, exam="customs-broker") + native_rows("d", "치주과학", 3, exam="dentist")
            + native_rows("l", "기본간호학", 1, exam="nurse") + native_rows("k", "회계학", 1, exam="관세사 1차"))
    routed = route_bank(write_jsonl(tmp_path / "b.jsonl", rows))
    assert routed.format == "native"
    assert {e: [q.id for q in b.questions] for e, b in routed.banks.items()} == {
        "customs-broker": ["c-1", "c-2", "k-1"], "dentist": ["d-1", "d-2", "d-3"]}
    assert routed.unrouted == {"nurse": 1}


def test_load_bank_accepts_and_ignores_the_exam_field(tmp_path: Path) -> None:
    bank = load_bank(write_jsonl(tmp_path / "b.jsonl", native_rows("c", "회계학", 2, exam="customs-broker")))
    assert [q.id for q in bank.questions] == ["c-1", "c-2"]


def test_a_native_row_that_names_no_exam_is_refused_at_its_line(tmp_path: Path) -> None:
    rows = native_rows("c", "회계학", 2, exam="customs-broker") + native_rows("x", "회계학", 1)
    path = write_jsonl(tmp_path / "b.jsonl", rows)
    with pytest.raises(InputError) as err:
        route_bank(path)
    assert err.value.path == path and err.value.line == 3
    assert "'x-1' does not say which exam" in str(err.value) and "exam" in (err.value.hint or "")


def test_loss_adjuster_layout_routes_to_loss_adjuster(tmp_path: Path) -> None:
    rows = [{"id": f"la-{k}", "year": 2020, "subject": "보험업법", "num": k, "question": f"모의 문항 {k}",
             "choices": ["가", "나", "다", "라"], "answer": 1} for k in range(1, 4)]
    path = tmp_path / "paper.json"
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    routed = route_bank(path)
    assert list(routed.banks) == ["loss-adjuster"] and routed.format == "loss-adjuster"
    assert len(routed.banks["loss-adjuster"].questions) == 3


# ------------------------------------------------------------------------------------------------ folders


def test_one_sub_folder_per_exam(tmp_path: Path) -> None:
    root = tmp_path / "bank"
    write_jsonl(root / "customs-broker" / "2024.jsonl", native_rows("c", "회계학", 2))
    write_jsonl(root / "dentist" / "papers" / "a.jsonl", native_rows("d", "치주과학", 3))
    write_jsonl(root / "nurse" / "a.jsonl", native_rows("l", "기본간호학", 5))
    write_jsonl(root / "mixed.jsonl", kmmlu_rows("감정평가사", "회계학", 1, "a"))  # top level: by content
    routed = route_bank(root)
    assert {e: len(b.questions) for e, b in routed.banks.items()} == {
        "customs-broker": 2, "dentist": 3, "appraiser": 1}
    assert routed.unrouted == {"nurse": 5}
    dentist = routed.banks["dentist"]
    assert dentist.files == (root / "dentist" / "papers" / "a.jsonl",)
    assert dentist.origin["d-2"].line == 2


def test_a_row_that_contradicts_its_folder_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "bank"
    write_jsonl(root / "customs-broker" / "a.jsonl",
                kmmlu_rows("관세사", "회계학", 1, "c") + kmmlu_rows("감정평가사", "회계학", 1, "a"))
    with pytest.raises(InputError, match=r"'a-1' is a '감정평가사' \(appraiser\) row, but it sits in the "
                                         r"customs-broker/ folder") as err:
        route_bank(root)
    assert err.value.line == 2


def test_year_folders_are_not_exam_folders(tmp_path: Path) -> None:
    root = tmp_path / "papers"
    for year in (2019, 2020):
        path = root / str(year) / "보험업법.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps([{"id": f"{year}-1", "subject": "보험업법", "question": "모의 문항",
                                     "choices": ["가", "나", "다", "라"], "answer": 2}], ensure_ascii=False),
                        encoding="utf-8")
    routed = route_bank(root)
    assert list(routed.banks) == ["loss-adjuster"] and len(routed.banks["loss-adjuster"].questions) == 2


# ------------------------------------------------------------------------------------------------ nothing


def test_a_bank_with_no_routable_rows_is_a_clear_error(tmp_path: Path) -> None:
    rows = kmmlu_rows("간호사", "기본간호학", 3, "l") + kmmlu_rows("법무사 2차", "민법", 2, "j")
    path = write_jsonl(tmp_path / "b.jsonl", rows)
    with pytest.raises(InputError) as err:
        route_bank(path)
    text = str(err.value)
    assert "no rows for an installed exam" in text and "간호사 3" in text and "법무사 2차 2" in text
    assert "customs-broker" in (err.value.hint or "")
    assert "\n" not in text
