"""Per-domain prompts: item features, subject kinds as data, and which notice lines each template renders.

Every question here is written for these tests (no exam text is copied).
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from examqa.errors import TemplateError
from examqa.exams.features import item_features, negative_ask, object_josa, rounding_rule, shared_unit
from examqa.exams.models import Question
from examqa.exams.plugins import get_exam, registry
from examqa.exams.resources import prompts_dir
from examqa.prompts.protocols import render_item
from examqa.prompts.templates import load_prompts, load_subject_kinds, prompts_for
from examqa.reading.parse import parse_response

DOMAINS = ("medicine", "dentistry", "herbal-pharmacy", "customs", "appraisal", "loss-adjusting", "bar",
           "judicial-scrivening", "labor-law", "patent", "accounting", "taxation", "korean-medicine", "pharmacy")
EXAMS = ("physician", "dentist", "herbal-pharmacist", "customs-broker", "appraiser", "loss-adjuster", "lawyer",
         "judicial-scrivener", "labor-attorney", "patent-attorney", "cpa", "tax-accountant", "korean-medicine-doctor",
         "pharmacist")

# The line each feature adds, and the domains whose template renders it.
LINES = {
    "negative": "**이 문항은",  # the bold "**이 문항은 … 묻습니다.**"
    "combination": "조합을 고르는 문항입니다",
    "extended": "R형(확장 결합형)",
    "vignette": "임상 증례 문항입니다",
    "law": "법령 문항입니다",
    "calculation": "계산 문항입니다",
    "science": "자연과학 문항입니다",
    "hanja": "이 문항에는 한자 용어",
}
ALL = frozenset(DOMAINS)
RENDERED_IN = {
    "negative": ALL,
    "combination": ALL,
    "law": ALL,
    "extended": frozenset({"medicine", "dentistry"}),
    "vignette": frozenset({"medicine", "dentistry", "korean-medicine", "pharmacy"}),
    "calculation": frozenset({"customs", "appraisal", "loss-adjusting", "labor-law", "patent", "accounting",
                              "taxation", "pharmacy"}),
    "science": frozenset({"patent"}),
    "hanja": frozenset({"korean-medicine"}),
}


def q(subject: str, stem: str, choices: list[str] | None = None, year: int | None = None,
      label_style: str = "number") -> Question:
    """A question written for the tests; the key does not matter to a prompt."""
    return Question(id="T", subject=subject, stem=stem, choices=tuple(choices or ["가", "나", "다", "라", "마"]),
                    accepted=frozenset({1}), year=year, label_style=label_style)  # type: ignore[arg-type]


SETS5 = ["ㄱ", "ㄱ, ㄴ", "ㄴ, ㄷ", "ㄱ, ㄷ", "ㄱ, ㄴ, ㄷ"]


@dataclass(frozen=True)
class Case:
    key: str
    why: str
    exam: str
    question: Question
    features: frozenset[str]
    """Features the item has; the lines rendered are these ∩ what the exam's template renders."""


CASES = [
    Case("r-vignette", "vignette with eight options: R형 and vignette lines", "physician",
         q("의학각론", "62세 남자가 이틀 전부터 숨이 차서 왔다. 가장 적절한 검사는?",
           [f"검사 {i}" for i in range(1, 9)]),
         frozenset({"vignette", "extended"})),
    Case("neg-clinical", "negative ask in a clinical subject", "physician",
         q("의학각론", "급성 충수염의 소견으로 옳지 않은 것은?"), frozenset({"negative"})),
    Case("law-year", "law subject with a year", "physician",
         q("보건의약관계법규", "「의료법」상 의료인의 면허에 관한 설명으로 옳은 것은?", year=2023), frozenset({"law"})),
    Case("calc-not-subject", "numeric choices outside a calculation subject: no calculation line", "physician",
         q("의학총론", "민감도가 90%인 검사의 위음성률은 얼마인가?", ["5%", "10%", "20%", "80%", "90%"]), frozenset()),
    Case("dental-vignette", "dental vignette", "dentist",
         q("구강악안면외과학", "27세 여자가 하악 제3대구치 부위의 부종으로 왔다. 가장 적절한 처치는?"),
         frozenset({"vignette"})),
    Case("law-no-year", "dental law item without a year", "dentist",
         q("보건의약관계법규", "「의료법」상 치과의사의 의무로 옳은 것은?"), frozenset({"law"})),
    Case("combination", "ㄱㄴㄷ combination", "herbal-pharmacist",
         q("한약학 기초", "보기 중 보기(補氣) 약물을 모두 고른 것은?\nㄱ. 갑\nㄴ. 을\nㄷ. 병", SETS5),
         frozenset({"combination"})),
    Case("herbal-vignette", "a vignette in herbal pharmacy: its template has no vignette line", "herbal-pharmacist",
         q("한약학 응용", "45세 여자가 손발이 차다고 한다. 가장 적절한 처방은?"), frozenset({"vignette"})),
    Case("acc-rounding", "accounting calculation with a rounding rule", "customs-broker",
         q("회계학", "㈜가나의 20X1년 당기순이익은 얼마인가? (단, 원 미만은 반올림한다)",
           ["₩1,000", "₩1,500", "₩2,000", "₩2,500", "₩3,000"], year=2024), frozenset({"calculation"})),
    Case("english-not", "English stem with NOT", "customs-broker",
         q("무역영어", "Which of the following is NOT a duty of the seller under the contract?"),
         frozenset({"negative"})),
    Case("tax-law-calc", "tax law item that computes: law and calculation", "customs-broker",
         q("내국소비세법", "다음 자료에 따른 납부할 세액은 얼마인가?",
           ["100만원", "200만원", "300만원", "400만원", "500만원"]),
         frozenset({"law", "calculation"})),
    Case("acc-concept", "conceptual accounting item: no calculation line", "customs-broker",
         q("회계학", "재무제표 요소에 관한 설명으로 옳은 것은?",
           ["자산은 …", "부채는 …", "자본은 …", "수익은 …", "비용은 …"]),
         frozenset()),
    Case("neg-combination", "negative combination in a law subject", "appraiser",
         q("민법(총칙·물권)", "물권에 관한 설명으로 옳지 않은 것을 모두 고른 것은?", SETS5, year=2025),
         frozenset({"negative", "combination", "law"})),
    Case("statute", "statute cited in a subject that is no law subject", "appraiser",
         q("부동산학원론", "「부동산 가격공시에 관한 법률」상 표준지에 관한 설명으로 옳은 것은?"), frozenset({"law"})),
    Case("econ", "economics: numeric choices without a unit", "appraiser",
         q("경제학원론", "수요곡선과 공급곡선이 주어질 때 균형가격은?", ["10", "20", "30", "40", "50"]),
         frozenset({"calculation"})),
    Case("loss-calc", "loss adjustment calculation in 만원", "loss-adjuster",
         q("손해사정이론", "다음 조건에서 지급보험금은 얼마인가?",
           ["1,000만원", "1,200만원", "1,500만원", "1,800만원"]),
         frozenset({"calculation"})),
    Case("positive-ask", "'지급하지 않은 경우' in a positive ask is no negative ask", "loss-adjuster",
         q("보험계약법", "보험계약자가 보험료를 지급하지 않은 경우 보험자의 권리로 옳은 것은?",
           ["가", "나", "다", "라"]),
         frozenset({"law"})),
    Case("cannot-person", "'할 수 없는 자' is a negative ask", "loss-adjuster",
         q("보험업법", "「보험업법」상 모집을 할 수 없는 자는?", ["가", "나", "다", "라"]),
         frozenset({"negative", "law"})),
    # the eight licences added for KMMLU-Pro's table
    Case("bar-law-year", "bar exam: law and case law dated to the item's year", "lawyer",
         q("민사법", "「민법」상 착오로 인한 의사표시에 관한 설명으로 옳은 것은? (다툼이 있는 경우 판례에 의함)",
           year=2025),
         frozenset({"law"})),
    Case("registry-law", "judicial scrivener: registry law under the rules and practice of its year",
         "judicial-scrivener",
         q("부동산등기법", "「부동산등기법」상 등기신청에 관한 설명으로 옳지 않은 것은?", year=2024),
         frozenset({"law", "negative"})),
    Case("labor-insurance", "labour attorney: social insurance law whose amounts change yearly", "labor-attorney",
         q("사회보험법", "「고용보험법」상 구직급여에 관한 설명으로 옳은 것은?", year=2024), frozenset({"law"})),
    Case("labor-econ-calc", "labour attorney: the economics elective computes", "labor-attorney",
         q("경제학원론", "수요곡선이 Q = 100 − 2P일 때 P = 20에서 수요의 가격탄력성은?",
           ["0.5", "0.67", "1", "1.5", "2"]),
         frozenset({"calculation"})),
    Case("labor-business", "labour attorney: the business elective is conceptual", "labor-attorney",
         q("경영학개론", "다음 중 마케팅 믹스(4P)에 해당하지 않는 것은?", ["제품", "가격", "유통", "촉진", "인사"]),
         frozenset({"negative"})),
    Case("science-calc", "patent attorney: a physics item computes in SI units", "patent-attorney",
         q("자연과학개론", "질량 2 kg인 물체에 6 N의 힘이 작용할 때 가속도의 크기는?",
           ["1 m/s²", "2 m/s²", "3 m/s²", "4 m/s²", "12 m/s²"]), frozenset({"science", "calculation"})),
    Case("science-concept", "patent attorney: a biology item is science without a calculation", "patent-attorney",
         q("자연과학개론", "다음 중 원핵생물에 해당하는 것은?", ["효모", "대장균", "아메바", "짚신벌레", "곰팡이"]),
         frozenset({"science"})),
    Case("patent-law", "patent attorney: industrial property law dated to the year", "patent-attorney",
         q("산업재산권법", "「특허법」상 특허권의 존속기간에 관한 설명으로 옳은 것은?", year=2025), frozenset({"law"})),
    Case("cpa-accounting", "CPA: accounting computes in won with the stem's rounding", "cpa",
         q("회계학", "20X1년 ㈜가나의 당기순이익은 얼마인가? (단, 원 미만은 절사한다)",
           ["₩1,000", "₩1,200", "₩1,400", "₩1,600", "₩1,800"], year=2025), frozenset({"calculation"})),
    Case("cpa-tax", "CPA: tax law that computes, under the year's tax law", "cpa",
         q("세법개론", "다음 자료에 의하여 계산한 부가가치세 납부세액은 얼마인가?",
           ["₩100,000", "₩200,000", "₩300,000", "₩400,000", "₩500,000"], year=2025),
         frozenset({"law", "calculation"})),
    Case("tax-public-finance", "tax accountant: public finance computes", "tax-accountant",
         q("재정학", "다음 조건에서 조세의 초과부담은 얼마인가?", ["10", "20", "30", "40", "50"]),
         frozenset({"calculation"})),
    Case("tax-law-year", "tax accountant: tax law under the year's statutes", "tax-accountant",
         q("세법학개론", "「소득세법」상 거주자의 종합소득에 관한 설명으로 옳은 것은?", year=2024), frozenset({"law"})),
    Case("kmd-hanja", "Korean medicine: terms written in Chinese characters", "korean-medicine-doctor",
         q("본초학", "인삼(人蔘)의 효능으로 옳은 것은?"), frozenset({"hanja"})),
    Case("kmd-vignette", "Korean medicine: a clinical vignette (pattern first)", "korean-medicine-doctor",
         q("내과학Ⅰ", "52세 남자가 마른기침과 오후 미열을 호소한다. 가장 적절한 치법은?"), frozenset({"vignette"})),
    Case("kmd-law", "Korean medicine: the health-law subject", "korean-medicine-doctor",
         q("보건의약관계법규", "「의료법」상 한의사의 의무로 옳은 것은?", year=2025), frozenset({"law"})),
    Case("pharmacy-dose", "pharmacy: a dose computed in the item's units", "pharmacist",
         q("임상·실무약학Ⅱ", "체중 60 kg인 환자에게 5 mg/kg을 투여할 때 1회 투여량은 얼마인가?",
           ["60 mg", "120 mg", "300 mg", "500 mg", "600 mg"]), frozenset({"calculation"})),
    Case("pharmacy-vignette", "pharmacy: a patient case", "pharmacist",
         q("임상·실무약학Ⅰ", "68세 여자가 심방세동으로 와파린을 복용 중이다. 가장 적절한 복약 지도는?"),
         frozenset({"vignette"})),
    Case("pharmacy-law", "pharmacy: the pharmaceutical affairs law", "pharmacist",
         q("보건·의약관계법규", "「약사법」상 약국 개설에 관한 설명으로 옳은 것은?", year=2025), frozenset({"law"})),
]
CASE = {c.key: c for c in CASES}


def user_turn(key: str, thinking: bool = True) -> str:
    """The rendered user turn of ``CASE[key]`` under its own exam."""
    case = CASE[key]
    return render_item(case.exam, case.question, thinking=thinking)[-1]["content"]


def _domain(exam: str) -> str:
    return get_exam(exam).domain.name


@pytest.mark.parametrize("case", CASES, ids=[c.why for c in CASES])
def test_each_notice_line_appears_exactly_for_the_items_that_need_it(case: Case) -> None:
    domain = _domain(case.exam)
    user = render_item(case.exam, case.question)[-1]["content"]
    for feature, marker in LINES.items():
        expected = feature in case.features and domain in RENDERED_IN[feature]
        assert user.count(marker) == (1 if expected else 0), f"{feature} in {domain}:\n{user}"


@pytest.mark.parametrize("case", CASES, ids=[c.why for c in CASES])
def test_every_template_renders_its_lines_for_the_same_item(case: Case) -> None:
    # The same item under each of the fourteen templates: the lines differ exactly where the templates do.
    base = case.question
    for exam in EXAMS:
        entry = get_exam(exam)
        subject = base.subject if entry.blueprint.edition().subject(base.subject) else "__none__"
        item = base.model_copy(update={"subject": subject})
        domain = entry.domain.name
        user = load_prompts(entry.domain.prompts).render(entry.blueprint, item)[-1]["content"]
        feats = item_features(item)  # no subject kinds: only what the text itself shows
        shown = {"negative": feats.negative is not None, "combination": feats.combination,
                 "extended": feats.extended_matching, "vignette": feats.vignette, "hanja": feats.hanja is not None}
        for feature, has in shown.items():
            assert (LINES[feature] in user) == (has and domain in RENDERED_IN[feature]), (feature, domain)


def test_law_line_states_the_year_or_the_exam_date_and_never_invents_one() -> None:
    with_year = user_turn("law-year")
    assert "2023년 시험 시행일 당시 시행 중인" in with_year
    without = user_turn("law-no-year")
    assert "법령 문항입니다: 시험 시행일 당시 시행 중인" in without
    assert "년 시험" not in without


def test_negative_line_quotes_the_ask_with_its_particle() -> None:
    assert "**이 문항은 옳지 않은 것을 묻습니다.**" in user_turn("neg-clinical")
    assert "**이 문항은 할 수 없는 자를 묻습니다.**" in user_turn("cannot-person")
    assert "**이 문항은 부정형(NOT)으로 묻습니다.**" in user_turn("english-not")


def test_calculation_line_names_units_and_rounding() -> None:
    acc = user_turn("acc-rounding")
    assert "같은 단위(₩)로" in acc and "끝수는 문제에 적힌 대로(원 미만은 반올림한다)" in acc
    econ = user_turn("econ")
    assert "같은 단위로 맞추고" in econ and "중간 계산에서 반올림하지 말고" in econ
    loss = user_turn("loss-calc")
    assert "같은 단위(만원)로" in loss


def test_combination_line_asks_for_the_choice_number_not_the_letters() -> None:
    user = user_turn("combination")
    assert "ㄱ, ㄴ 같은 기호가 아니라 그 선택지의 번호를 쓰십시오" in user


def test_extended_matching_line_counts_the_options() -> None:
    assert "선택지가 8개인 R형" in user_turn("r-vignette")


def test_year_dated_law_lines_name_what_changes_each_year() -> None:
    assert "2025년 시험 시행일 당시 시행 중인 법령과 그때까지 선고된 판례" in user_turn("bar-law-year")
    assert "등기·공탁 예규" in user_turn("registry-law")
    labor = user_turn("labor-insurance")
    assert "2024년 시험 시행일 당시" in labor and "해마다 바뀌는 금액" in labor
    for key in ("tax-law-year", "cpa-tax"):
        assert "세법은 해마다 개정되므로" in user_turn(key), key


def test_computation_lines_of_the_accounting_and_pharmacy_domains() -> None:
    cpa = user_turn("cpa-accounting")
    assert "같은 단위(₩)로" in cpa and "끝수는 문제에 적힌 대로(원 미만은 절사한다)" in cpa and "원(₩) 단위" in cpa
    assert "세액은 원 단위로" in user_turn("tax-public-finance")
    assert "mg/kg" in user_turn("pharmacy-dose")


def test_science_and_hanja_lines() -> None:
    assert "SI 단위" in user_turn("science-calc") and "SI 단위" in user_turn("science-concept")
    assert "한자 용어(人蔘 등)" in user_turn("kmd-hanja")
    assert "변증을 먼저 정한 뒤" in user_turn("kmd-vignette")


@pytest.mark.parametrize(("stem", "choices", "term"), [
    ("인삼(人蔘)의 효능은?", ["가", "나"], "人蔘"),
    ("다음 처방의 구성은?", ["補中益氣湯", "六味地黃湯"], "補中益氣湯"),
    ("단(單) 한 글자는 용어가 아니다", ["가", "나"], None),
    ("한자가 없는 문항", ["가", "나"], None),
])
def test_hanja_term(stem: str, choices: list[str], term: str | None) -> None:
    assert item_features(q("본초학", stem, choices)).hanja == term


def test_items_labelled_by_a_merged_group_take_its_subjects_kinds() -> None:
    pharmacy = load_prompts(prompts_dir() / "pharmacy")
    assert "calculation" in pharmacy.kinds_for(get_exam("pharmacist").blueprint, q("임상실무약학", "용량은?"))
    dentistry = load_prompts(prompts_dir() / "dentistry")
    assert dentistry.kinds_for(get_exam("dentist").blueprint, q("소아치과학/치과교정학", "옳은 것은?")) == frozenset()


# ------------------------------------------------------------------------------------ the fourteen templates


def test_fourteen_templates_differ_and_name_their_own_laws() -> None:
    users = {d: (prompts_dir() / d / "user.j2").read_bytes() for d in DOMAINS}
    assert len(set(users.values())) == len(DOMAINS)
    law_item = q("__law__", "「가나법」상 옳은 것은?", year=2024)
    lines = set()
    for exam in EXAMS:
        entry = get_exam(exam)
        user = load_prompts(entry.domain.prompts).render(entry.blueprint, law_item)[-1]["content"]
        lines.add(next(line for line in user.splitlines() if line.startswith(LINES["law"])))
    # physician and dentist share 보건의약관계법규 (the herbal one names 약사법); the others name their own
    assert len(lines) == len(EXAMS) - 1


@pytest.mark.parametrize("exam", EXAMS)
@pytest.mark.parametrize("thinking", [True, False])
def test_answer_line_stays_what_the_parser_reads(exam: str, thinking: bool) -> None:
    entry = get_exam(exam)
    subject = entry.blueprint.edition().subjects[0].name
    item = q(subject, "다음 중 옳은 것은?", ["하나", "둘", "셋", "넷"])
    user = render_item(exam, item, thinking=thinking)[-1]["content"]
    lines = user.splitlines()
    assert "정답: N" in lines
    assert "1부터 4까지의 숫자 하나" in user
    assert ("생각을 마친 뒤" in user) is thinking and ("풀이 과정을 적은 뒤" in user) is not thinking
    # What the prompt asks for is what parse_response reads.
    assert parse_response("…</think>\n\n근거 요약\n정답: 3", item.choices).choice == 3


def test_letter_labelled_items_are_told_to_answer_with_numbers() -> None:
    item = q("보험업법", "다음 중 옳은 것은?", ["하나", "둘", "셋", "넷"], label_style="letter")
    user = render_item("loss-adjuster", item)[-1]["content"]
    assert "A 하나" in user and "A는 1, B는 2처럼 숫자로" in user


def test_subject_kinds_cover_every_blueprint_subject() -> None:
    for entry in registry().values():
        if entry.domain.name not in DOMAINS:
            continue
        kinds = load_subject_kinds(entry.domain.prompts / "subjects.json")
        names = {s.name for e in entry.blueprint.editions for s in e.subjects}
        assert set(kinds) == names, entry.blueprint.id


def test_bank_spellings_reach_kinds_through_blueprint_aliases() -> None:
    item = q("민법", "「민법」상 옳은 것은?")  # an alias of 민법(총칙·물권)
    assert "law" in load_prompts(prompts_dir() / "appraisal").kinds_for(get_exam("appraiser").blueprint, item)


# ------------------------------------------------------------------------------------ loading and hashing


def _copy_domain(tmp_path: Path, domain: str) -> Path:
    dest = tmp_path / domain
    shutil.copytree(prompts_dir() / domain, dest)
    return dest


def test_subject_kinds_are_hashed_with_the_templates(tmp_path: Path) -> None:
    folder = _copy_domain(tmp_path, "customs")
    before = load_prompts(folder).sha256
    data = json.loads((folder / "subjects.json").read_text(encoding="utf-8"))
    data["subjects"]["회계학"] = []
    (folder / "subjects.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    changed = load_prompts(folder)
    assert changed.sha256 != before
    acc = CASE["acc-rounding"].question
    assert LINES["calculation"] not in changed.render(get_exam("customs-broker").blueprint, acc)[-1]["content"]


def test_an_override_without_subjects_keeps_the_domains_kinds(tmp_path: Path) -> None:
    override = tmp_path / "mine"
    override.mkdir()
    (override / "system.j2").write_text("", encoding="utf-8")
    (override / "user.j2").write_text("{{ question.stem }}{% if item.law %} [LAW {{ subject_kinds|join(',') }}]"
                                      "{% endif %}", encoding="utf-8")
    entry = get_exam("loss-adjuster")
    used = prompts_for(entry.domain.prompts, override, entry.domain.name)
    rendered = used.render(entry.blueprint, q("보험업법", "무엇인가?", ["가", "나", "다", "라"]))
    assert rendered == ({"role": "user", "content": "무엇인가? [LAW law]"},)
    assert used.sha256 != load_prompts(override).sha256  # the borrowed kinds are part of the hash


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "invalid JSON"),
        ('{"subjects": {"회계학": ["maths"]}}', "unknown kind(s) maths"),
        ('{"subjects": {"회계학": "law"}}', "must be a list"),
        ('{"subject": {}}', "not the field(s) subject"),
    ],
)
def test_bad_subject_kinds_name_the_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "subjects.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TemplateError, match=re.escape(message)) as info:
        load_subject_kinds(path)
    assert str(path) in str(info.value)


# ------------------------------------------------------------------------------------ detection tables


@pytest.mark.parametrize(
    ("stem", "ask"),
    [
        ("「민법」상 성년이 되는 나이는?", None),
        ("다음 중 옳지 않은 것은?", "옳지 않은 것"),
        ("이 제도에 관한 설명으로 틀린 것은?", "틀린 것"),
        ("과세 대상에 해당하지 않는 것은?", "해당하지 않는 것"),
        ("초기 처치로 적절하지 않은 것은?", "적절하지 않은 것"),
        ("급여 항목에 포함되지 않는 것은?", "포함되지 않는 것"),
        ("투약 방법으로 부적절한 것은?", "부적절한 것"),
        ("「보험업법」상 모집을 할 수 없는 자는?", "할 수 없는 자"),
        ("이 이론과 가장 거리가 먼 것은?", "가장 거리가 먼 것"),
        ("이 질환의 증상이 아닌 것은?", "증상이 아닌 것"),
        ("옳지 않은 것을 모두 고른 것은?", "옳지 않은 것"),
        ("용어와 정의가 잘못 연결된 것은?", "잘못 연결된 것"),
        ("옳지 않은 것을 고르시오.", "옳지 않은 것"),
        ("보험료를 지급하지 않은 경우 보험자의 권리로 옳은 것은?", None),
        ("통증이 없는 환자에게 가장 적절한 검사는?", None),
        ("다음 설명 중 옳은 것은? (단, 다른 조건은 고려하지 않는다)", None),
        ("Which of the following is NOT a function of a bill of lading?", "NOT"),
        ("All of the following are true EXCEPT:", "EXCEPT"),
        ("Which of the following is correct?", None),
    ],
)
def test_negative_ask(stem: str, ask: str | None) -> None:
    assert negative_ask(stem) == ask


@pytest.mark.parametrize(("word", "josa"), [("옳지 않은 것", "을"), ("할 수 없는 자", "를"), ("틀린 경우", "를"),
                                            ("NOT", ""), ("", "")])
def test_object_josa(word: str, josa: str) -> None:
    assert object_josa(word) == josa


@pytest.mark.parametrize(
    ("stem", "choices", "combination"),
    [
        ("옳은 것을 모두 고른 것은?", ["가", "나", "다", "라"], True),  # the stem says so
        ("다음 중 옳은 것은?", ["ㄱ", "ㄴ, ㄷ", "ㄱㄷ", "ㄱ과 ㄴ"], True),  # every choice is a set
        ("다음 중 옳은 것은?", ["㉠, ㉡", "㉡, ㉢", "㉠, ㉢", "㉠, ㉡, ㉢"], True),
        ("다음 중 옳은 것은?", ["(가), (나)", "(나), (다)", "(가), (다)", "(다)"], True),
        ("다음 중 옳은 것은?", ["ㄱ", "ㄴ", "ㄷ", "ㄱ은 옳다"], False),  # one choice is a sentence
        ("다음 중 옳은 것은?", ["가", "나", "다", "라"], False),  # bare syllables are words, not item marks
    ],
)
def test_combination_items(stem: str, choices: list[str], combination: bool) -> None:
    assert item_features(q("보험업법", stem, choices)).combination is combination


@pytest.mark.parametrize(
    ("choices", "unit"),
    [
        (["₩1,000", "₩2,000", "₩3,000"], "₩"),
        (["1,000원", "2,000원", "3,500원"], "원"),
        (["12.5%", "15%", "20%"], "%"),
        (["₩1,000 증가", "₩1,000 감소", "₩2,000 증가"], "₩"),
        (["10", "20", "30"], None),
        (["1,000원", "2,000만원"], None),  # no shared unit
        (["₩1,000", "알 수 없다"], None),  # not all quantities
        (["P = 10, Q = 20", "P = 20, Q = 10"], None),
    ],
)
def test_shared_unit(choices: list[str], unit: str | None) -> None:
    assert shared_unit(choices) == unit


@pytest.mark.parametrize(
    ("stem", "rule"),
    [
        ("매출원가는? (단, 원 미만은 절사한다)", "원 미만은 절사한다"),
        ("현재가치는? 계산 결과는 소수점 첫째 자리에서 반올림한다.", "계산 결과는 소수점 첫째 자리에서 반올림한다"),
        ("매출원가는 얼마인가?", None),
    ],
)
def test_rounding_rule(stem: str, rule: str | None) -> None:
    assert rounding_rule(stem) == rule


# ------------------------------------------------------------------------------------ properties


@given(st.text(max_size=80))
@settings(max_examples=200, deadline=None)
def test_a_negative_ask_is_found_whatever_precedes_it(prefix: str) -> None:
    stem = prefix + "\n다음 중 옳지 않은 것은?"
    ask = negative_ask(stem)
    assert ask is not None
    assert " ".join(ask.split()) in " ".join(stem.split())


@given(stem=st.text(min_size=1, max_size=120), choices=st.lists(st.text(min_size=1, max_size=20), min_size=2,
                                                                  max_size=12), exam=st.sampled_from(EXAMS),
       year=st.none() | st.integers(2000, 2030))
@settings(max_examples=150, deadline=None)
def test_any_item_renders_its_stem_choices_and_answer_line(stem: str, choices: list[str], exam: str,
                                                           year: int | None) -> None:
    entry = get_exam(exam)
    subject = entry.blueprint.edition().subjects[0].name
    item = Question(id="P", subject=subject, stem=stem, choices=tuple(choices), accepted=frozenset({1}), year=year)
    user = render_item(exam, item)[-1]["content"]
    assert stem.strip() in user
    assert all(c.strip() in user for c in choices)
    assert f"1부터 {len(choices)}까지" in user and "\n정답: N\n" in user
