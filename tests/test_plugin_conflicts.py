"""Plugins cannot hijack, and one broken plugin cannot take the others down — with real dist-info folders.

The rule, the same in every group (exams, backends, bank formats, graders) and for exam ids: a name that
examqa's own distribution provides stays examqa's, with a warning naming the package that tried to take
it; a name two other packages both provide is used by neither, with a warning, and asking for it is an
error naming both. A plugin that fails to load is reported by a warning naming it and skipped.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from textwrap import dedent

import pytest

import examqa
from examqa.backends import backend, backend_names
from examqa.banks import load_bank
from examqa.banks._registry import bank_formats
from examqa.errors import ExamqaWarning, PluginError, UnknownExamError
from examqa.exams.plugins import clear_caches, get_exam, get_grader, grader_names, registry
from helpers import loss_adjuster_rows, run_cli, write_native_bank

BLUEPRINT = {
    "id": "mock-nurse", "domain": "mock-nursing", "name_ko": "모의 간호사 시험", "name_en": "Mock nursing (fixture)",
    "body": "test fixture", "pass_rule": {"basis": "total_points", "text": "총점 60% 이상, 매 과목 40% 이상"},
    "editions": [{"id": "fixture", "from_year": 2024, "total_points": 10, "subjects": [
        {"name": "기본간호학", "name_en": "Fundamentals", "items": 10, "points_per_item": 1, "max_points": 10,
         "choices": 4}]}],
}

MODULE = dedent('''\
    """A third-party package: whatever its entry points name."""
    import json
    from pathlib import Path

    from examqa.backends import AsyncBackend, BackendInfo, GenResult
    from examqa.exams.grading import KeyGrader
    from examqa.exams.models import Blueprint
    from examqa.exams.plugins import Domain

    HERE = Path(__file__).resolve().parent


    class Hijacker(AsyncBackend):
        """Would receive the API key, if it were ever chosen."""

        def __init__(self, **settings):
            self.info = BackendInfo(name="hijacker", model=str(settings.get("model")), settings={})

        async def agenerate(self, requests, sampling):
            for r in requests:
                yield GenResult(key=r.key, prompt="", output="정답: 1", finish_reason="stop")


    def create(**settings):
        return Hijacker(**settings)


    def exam_domain(exam_id="mock-nurse", name="DIST"):
        data = json.loads((HERE / "blueprint.json").read_text(encoding="utf-8"))
        data["id"] = exam_id
        return Domain(name=name, blueprints=(Blueprint.model_validate(data),), prompts=HERE)


    def nurse():
        return exam_domain()


    def physician():  # claims a built-in exam id
        return exam_domain("physician", "DIST-physician")


    class NotAFormat:
        pass


    def bad_format():
        return NotAFormat()


    def exploding():
        raise RuntimeError("the plugin's data files are missing")


    def grader():
        return KeyGrader()
''')


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, str], Path]]:
    """``install(dist_name, entry_points_txt)``: a real distribution (dist-info + module) on ``sys.path``."""
    modules: list[str] = []

    def make(dist: str, entry_points: str) -> Path:
        module = dist.replace("-", "_")
        site = tmp_path / dist
        site.mkdir()
        (site / f"{module}.py").write_text(MODULE.replace("DIST", dist), encoding="utf-8")
        (site / "blueprint.json").write_text(json.dumps(BLUEPRINT, ensure_ascii=False), encoding="utf-8")
        (site / "system.j2").write_text("{{ exam.name_ko }}\n", encoding="utf-8")
        (site / "user.j2").write_text("{{ question.stem }}\n정답: N\n", encoding="utf-8")
        info = site / f"{module}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n", encoding="utf-8")
        (info / "entry_points.txt").write_text(dedent(entry_points.replace("MODULE", module)), encoding="utf-8")
        (info / "RECORD").write_text("", encoding="utf-8")
        monkeypatch.syspath_prepend(str(site))
        modules.append(module)
        clear_caches()
        return site

    try:
        yield make
    finally:
        for module in modules:
            sys.modules.pop(module, None)
        clear_caches()


def _warnings(call: Callable[[], object]) -> tuple[object, list[str]]:
    clear_caches()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    return result, [str(w.message) for w in caught if issubclass(w.category, ExamqaWarning)]


def _env(*sites: Path) -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join([*(str(s) for s in sites), os.environ.get("PYTHONPATH", "")])}


# ------------------------------------------------------------------------------------------ the built-in wins

def test_a_third_party_openai_backend_never_replaces_the_built_in(install: Callable[[str, str], Path]) -> None:
    install("evil-backends", "[examqa.backends]\nopenai = MODULE:create\n")
    built, said = _warnings(lambda: backend("openai", model="m", base_url="http://127.0.0.1:9/v1"))
    assert type(built).__name__ == "OpenAIBackend"
    assert any("'openai'" in m and "evil-backends" in m and "examqa's own" in m for m in said), said
    assert backend_names().count("openai") == 1


def test_the_built_in_wins_in_every_group(install: Callable[[str, str], Path]) -> None:
    install("shadow", """\
        [examqa.graders]
        key = MODULE:grader
        [examqa.bank_formats]
        native = MODULE:bad_format
        [examqa.plugins]
        medicine = MODULE:nurse
        shadow-physician = MODULE:physician
        """)
    found, said = _warnings(lambda: (registry(), get_grader("key"), bank_formats()))
    assert isinstance(found, tuple)
    exams = found[0]
    assert exams["physician"].domain.name == "medicine"  # the built-in domain keeps its exam id
    assert "mock-nurse" not in exams  # the entry point named like the built-in medicine was not used
    for what in ("grader 'key'", "bank format 'native'", "exam plugin 'medicine'", "exam 'physician'"):
        assert any(m.startswith(what) and "shadow" in m for m in said), (what, said)
    assert type(get_grader("key")).__name__ == "KeyGrader"
    assert type(bank_formats()["native"]).__name__ != "NotAFormat"


def test_the_cli_warns_and_keeps_the_built_in(install: Callable[[str, str], Path], tmp_path: Path) -> None:
    site = install("evil-backends", "[examqa.backends]\nopenai = MODULE:create\n")
    listed = run_cli("exams", "--plugins", env={**_env(site), "COLUMNS": "200"})
    assert listed.returncode == 0, listed.stderr
    assert "backend 'openai' is also provided by evil-backends" in listed.stderr


# ------------------------------------------------------------------------------------------ two third parties

def test_two_packages_claiming_one_backend_name_leave_it_unused(install: Callable[[str, str], Path]) -> None:
    install("fancy-one", "[examqa.backends]\nfancy = MODULE:create\n")
    install("fancy-two", "[examqa.backends]\nfancy = MODULE:create\n")
    names, said = _warnings(backend_names)
    assert isinstance(names, list) and "fancy" not in names and "scripted" in names
    assert any("fancy-one" in m and "fancy-two" in m for m in said), said
    with pytest.raises(PluginError, match=r"fancy-one.*fancy-two|fancy-two.*fancy-one"):
        backend("fancy", model="m")
    assert backend("scripted", default="정답: 1").info.name == "scripted"


def test_two_packages_claiming_one_exam_leave_it_unused(install: Callable[[str, str], Path]) -> None:
    install("nurse-a", "[examqa.plugins]\nnurse-a = MODULE:nurse\n")
    install("nurse-b", "[examqa.plugins]\nnurse-b = MODULE:nurse\n")
    exams, said = _warnings(registry)
    assert isinstance(exams, dict) and "mock-nurse" not in exams and "physician" in exams
    assert any("exam 'mock-nurse'" in m and "nurse-a" in m and "nurse-b" in m for m in said), said
    with pytest.raises(PluginError) as refused:
        get_exam("mock-nurse")
    assert "nurse-a" in str(refused.value) and "nurse-b" in str(refused.value)


def test_one_package_alone_is_used(install: Callable[[str, str], Path]) -> None:
    install("nurse-a", "[examqa.plugins]\nnurse-a = MODULE:nurse\n[examqa.graders]\nlenient = MODULE:grader\n")
    exams, said = _warnings(registry)
    assert isinstance(exams, dict) and exams["mock-nurse"].domain.name == "nurse-a"
    assert not said
    assert "lenient" in grader_names()


# ------------------------------------------------------------------------------------------ broken plugins

def test_a_broken_exam_plugin_never_takes_the_built_ins_down(install: Callable[[str, str], Path],
                                                             tmp_path: Path) -> None:
    site = install("broken-exams", """\
        [examqa.plugins]
        exploding = MODULE:exploding
        missing = MODULE:no_such_function
        absent-module = no_such_module_anywhere:plugin
        """)
    exams, said = _warnings(registry)
    assert isinstance(exams, dict) and {"physician", "customs-broker", "loss-adjuster"} <= set(exams)
    for name in ("exploding", "missing", "absent-module"):
        assert any(f"exam plugin '{name}' from broken-exams" in m and "skipped" in m for m in said), (name, said)
    assert any("the plugin's data files are missing" in m for m in said)
    with pytest.raises(UnknownExamError, match="failed to load: 'absent-module' from broken-exams"):
        get_exam("mock-nurse")
    # the CLI grades a built-in exam with the broken plugin installed: a warning, exit 0
    bank = write_native_bank(tmp_path / "bank.jsonl", loss_adjuster_rows(per_subject=2))
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("".join(f"{r['id']},{r['answer']}\n" for r in loss_adjuster_rows(per_subject=2)),
                     encoding="utf-8")
    done = run_cli("grade", "loss-adjuster", "--bank", str(bank), "--answers", str(sheet), "--json",
                   env=_env(site))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["passed"] is True
    assert "exam plugin 'exploding' from broken-exams" in done.stderr and "Traceback" not in done.stderr


def test_a_broken_bank_format_is_skipped(install: Callable[[str, str], Path], tmp_path: Path) -> None:
    install("broken-formats", "[examqa.bank_formats]\nnot-a-format = MODULE:bad_format\n"
                              "exploding = MODULE:exploding\n")
    bank = write_native_bank(tmp_path / "bank.jsonl", loss_adjuster_rows(per_subject=2))
    loaded, said = _warnings(lambda: load_bank(bank))
    assert isinstance(loaded, examqa.Bank) and loaded.format == "native" and len(loaded.questions) == 6
    assert any("bank format plugin 'not-a-format' from broken-formats" in m for m in said), said
    assert any("bank format plugin 'exploding' from broken-formats" in m for m in said), said


def test_a_broken_backend_or_grader_fails_only_when_asked_for(install: Callable[[str, str], Path]) -> None:
    install("broken-misc", "[examqa.backends]\nbroken = no_such_module_anywhere:create\n"
                           "[examqa.graders]\nbroken = MODULE:exploding\n")
    with pytest.raises(PluginError, match=r"backend plugin 'broken' from broken-misc .* failed to load"):
        backend("broken", model="m")
    with pytest.raises(PluginError, match="grader plugin 'broken' failed to build"):
        get_grader("broken")
    assert backend("scripted", default="정답: 1").info.name == "scripted"
    assert type(get_grader("key")).__name__ == "KeyGrader"
