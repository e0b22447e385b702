"""A third-party domain plugin, installed the way pip installs one, is found beside the fourteen built-in exams.

The fake distribution is written into a temporary folder: a module ``fake_nursing.py`` and a
``fake_nursing-0.1.dist-info/`` with ``METADATA`` and ``entry_points.txt``. Putting the folder on
``sys.path`` is all an installed wheel amounts to for :mod:`importlib.metadata`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from textwrap import dedent

import pytest

from examqa._entrypoints import EXAMS_GROUP
from examqa.exams.models import Question
from examqa.exams.plugins import Domain, registry
from examqa.exams.scoring import score
from examqa.prompts.templates import load_prompts
from helpers import run_cli

BUILTIN = {"physician", "dentist", "herbal-pharmacist", "customs-broker", "appraiser", "loss-adjuster",
           "lawyer", "judicial-scrivener", "labor-attorney", "patent-attorney", "cpa", "tax-accountant",
           "korean-medicine-doctor", "pharmacist"}

# A test fixture, not the real nursing exam's facts: two subjects of five one-point items.
NURSE_BLUEPRINT = {
    "id": "nurse",
    "domain": "nursing",
    "name_ko": "간호사 국가시험",
    "name_en": "Korean Nursing Licensing Examination (test fixture)",
    "body": "한국보건의료인국가시험원 (KHPLEI)",
    "pass_rule": {"basis": "total_points", "text": "전 과목 총점의 60% 이상, 매 과목 40% 이상 득점"},
    "editions": [{
        "id": "fixture", "from_year": 2024, "total_points": 10,
        "subjects": [
            {"name": "기본간호학", "name_en": "Fundamentals of Nursing", "session": 1, "items": 5,
             "points_per_item": 1, "max_points": 5, "choices": 5},
            {"name": "보건의약관계법규", "name_en": "Health and Medical Laws", "session": 1, "items": 5,
             "points_per_item": 1, "max_points": 5, "choices": 5},
        ],
    }],
    "unverified": ["fixture: not the real exam's subjects or sizes"],
}

PLUGIN_MODULE = dedent('''\
    """A third-party examqa plugin: the 간호사 국가시험, from files shipped beside this module."""
    from pathlib import Path

    from examqa.exams.plugins import Domain, domain_from_files

    HERE = Path(__file__).resolve().parent / "fake_nursing_data"


    def plugin() -> Domain:
        """Entry point of the examqa.plugins group."""
        return domain_from_files("nursing", [HERE / "nurse.json"], prompts=HERE / "prompts")
''')


@pytest.fixture
def nursing_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Install the fake distribution into ``tmp_path`` and put it on ``sys.path``; undo it afterwards."""
    data = tmp_path / "fake_nursing_data"
    (data / "prompts").mkdir(parents=True)
    (data / "nurse.json").write_text(json.dumps(NURSE_BLUEPRINT, ensure_ascii=False), encoding="utf-8")
    (data / "prompts" / "system.j2").write_text("당신은 {{ exam.name_ko }} 전문가입니다.\n", encoding="utf-8")
    (data / "prompts" / "user.j2").write_text(
        "{{ question.stem }}\n{% for c in choices %}{{ c.label }} {{ c.text }}\n{% endfor %}"
        "마지막 줄에 정답: N (1–{{ n_choices }})\n", encoding="utf-8")
    (tmp_path / "fake_nursing.py").write_text(PLUGIN_MODULE, encoding="utf-8")
    info = tmp_path / "fake_nursing-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-nursing\nVersion: 0.1\n"
                                   "Requires-Dist: examqa\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[{EXAMS_GROUP}]\nnursing = fake_nursing:plugin\n",
                                           encoding="utf-8")
    (info / "RECORD").write_text("", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.cache_clear()
    try:
        yield tmp_path
    finally:
        # leave the registry and module cache as the other tests expect them: the fourteen built-ins only
        sys.modules.pop("fake_nursing", None)
        registry.cache_clear()


def test_fake_plugin_is_listed_beside_the_fourteen(nursing_dist: Path) -> None:
    exams = registry()
    assert set(exams) == BUILTIN | {"nurse"}
    entry = exams["nurse"]
    assert isinstance(entry.domain, Domain)
    assert entry.domain.name == "nursing"
    assert entry.blueprint.name_ko == "간호사 국가시험"
    assert entry.domain.prompts == nursing_dist / "fake_nursing_data" / "prompts"


def test_registry_forgets_the_plugin_once_uninstalled() -> None:
    registry.cache_clear()
    assert set(registry()) == BUILTIN


@pytest.mark.parametrize(("right", "passed", "reasons"), [
    ((4, 2), True, ()),                                    # 6 of 10, 법규 2 of 5 = 40 %
    ((5, 1), False, ("보건의약관계법규 1점 < 2점 (과락)",)),
    ((3, 2), False, ("총점 5점 < 6점 (60% 미달)",)),
])
def test_fake_plugin_grades_a_sheet(nursing_dist: Path, right: tuple[int, int], passed: bool,
                                    reasons: tuple[str, ...]) -> None:
    entry = registry()["nurse"]
    questions, marks = [], {}
    for subject, n_right in zip(("기본간호학", "보건의약관계법규"), right, strict=True):
        for k in range(5):
            q = Question(id=f"{subject}-{k}", subject=subject, stem=f"{subject} 문항 {k}", year=2024,
                         choices=("가", "나", "다", "라", "마"), accepted=frozenset({3}))
            questions.append(q)
            marks[q.id] = (3,) if k < n_right else (1,)
    report = score(entry.blueprint, questions, marks, grader=entry.domain.grader)
    assert (report.exam, report.passed, report.reasons) == ("nurse", passed, reasons)
    system, user = load_prompts(entry.domain.prompts).render(entry.blueprint, questions[0])
    assert system["content"] == "당신은 간호사 국가시험 전문가입니다."
    assert "③ 다" in user["content"]


@pytest.mark.skipif(importlib.util.find_spec("examqa.cli") is None, reason="examqa.cli is not written yet")
def test_cli_lists_the_fake_plugin(nursing_dist: Path) -> None:
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(nursing_dist), os.environ.get("PYTHONPATH")])),
           "COLUMNS": "200"}
    res = run_cli("exams", "--json", env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    assert {bp["id"] for bp in json.loads(res.stdout)} == BUILTIN | {"nurse"}
    table = run_cli("exams", env=env, timeout=120)
    assert table.returncode == 0, table.stderr
    assert "nurse" in table.stdout and "간호사" in table.stdout
    plain = run_cli("exams", "--json", timeout=120)  # without the folder on the path, it is gone
    assert "nurse" not in {bp["id"] for bp in json.loads(plain.stdout)}
