"""A third-party distribution — a backend, a bank format, an exam with its own grader, and a grader in
examqa.graders — installed as a real dist-info, used from the CLI and from the API.

The exam's grader (an appeals table: items whose key was widened after 이의신청) is honoured wherever a
verdict is made: grading a sheet, a model run's per-sample outcomes and majority, and P(pass).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from textwrap import dedent

import pytest

import examqa
from examqa.exams.plugins import clear_caches
from helpers import run_cli

BLUEPRINT = {
    "id": "mock-nurse", "domain": "mock-nursing", "name_ko": "모의 간호사 시험", "name_en": "Mock nursing (fixture)",
    "body": "test fixture", "pass_rule": {"basis": "total_points", "text": "총점 60% 이상, 매 과목 40% 이상"},
    "editions": [{"id": "fixture", "from_year": 2024, "total_points": 10, "subjects": [
        {"name": "기본간호학", "name_en": "Fundamentals", "items": 5, "points_per_item": 1, "max_points": 5,
         "choices": 4},
        {"name": "보건의약관계법규", "name_en": "Health law", "items": 5, "points_per_item": 1, "max_points": 5,
         "choices": 4},
    ]}],
}

MODULE = dedent('''\
    """A third-party examqa extension: an exam, a backend, a bank format and a grader."""
    from pathlib import Path

    from examqa.backends import AsyncBackend, BackendInfo, GenResult
    from examqa.banks import RecordError
    from examqa.exams.grading import KeyGrader
    from examqa.exams.models import Question
    from examqa.exams.plugins import domain_from_files

    HERE = Path(__file__).resolve().parent / "mock_exam_data"
    APPEALS = {"K-3": {4}}   # 이의신청: choice 4 also accepted on K-3 (key 2)


    class AppealGrader:
        """The final key, widened by the appeals table."""

        def __call__(self, question, marks, *, blank_scores_on_all_accepted):
            extra = APPEALS.get(question.id, set())
            if len(set(marks)) == 1 and next(iter(marks)) in extra:
                return "correct"
            return KeyGrader()(question, marks, blank_scores_on_all_accepted=blank_scores_on_all_accepted)


    def domain():
        return domain_from_files("mock-nursing", [HERE / "exam.json"], prompts=HERE / "prompts",
                                 grader=AppealGrader())


    class Constant(AsyncBackend):
        """Answers every question with the same choice."""

        def __init__(self, model, answer):
            self.answer = answer
            self.info = BackendInfo(name="constant", model=model, settings={"answer": answer})

        async def agenerate(self, requests, sampling):
            for r in requests:
                yield GenResult(key=r.key, prompt=r.messages[-1]["content"],
                                output=f"생각했다.</think>\\n\\n정답: {self.answer}", finish_reason="stop")


    def constant(*, model: str, answer: int = 1):
        return Constant(model, answer)


    class QuizCsv:
        """A prep school's export: qid, topic, text, opt1..opt4, key."""

        name = "quiz-csv"
        priority = 5

        def detect(self, record):
            return {"qid", "opt1", "key"} <= set(record)

        def convert(self, record, path, line):
            opts = tuple(record[f"opt{i}"] for i in range(1, 5))
            if not str(record["key"]).isdigit():
                raise RecordError(f"key {record['key']!r} is not a number", hint="write 1-4")
            return Question(id=record["qid"], subject=record["topic"], stem=record["text"], year=2024,
                            choices=opts, accepted=frozenset({int(record["key"])}))


    def quiz_csv():
        return QuizCsv()


    def lenient():
        return KeyGrader()   # registered under examqa.graders as a named grader
''')


@pytest.fixture
def dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    site = tmp_path / "site"
    data = site / "mock_exam_data"
    (data / "prompts").mkdir(parents=True)
    (data / "exam.json").write_text(json.dumps(BLUEPRINT, ensure_ascii=False), encoding="utf-8")
    (data / "prompts" / "system.j2").write_text("{{ exam.name_ko }}\n", encoding="utf-8")
    (data / "prompts" / "user.j2").write_text(
        "{{ question.stem }}\n{% for c in choices %}{{ c.label }} {{ c.text }}\n{% endfor %}정답: N\n",
        encoding="utf-8")
    (site / "mock_exam.py").write_text(MODULE, encoding="utf-8")
    info = site / "mock_exam-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mock-exam\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(dedent("""\
        [examqa.plugins]
        mock-nursing = mock_exam:domain
        [examqa.backends]
        constant = mock_exam:constant
        [examqa.bank_formats]
        quiz-csv = mock_exam:quiz_csv
        [examqa.graders]
        plain-key = mock_exam:lenient
        """), encoding="utf-8")
    (info / "RECORD").write_text("", encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    clear_caches()
    try:
        yield site
    finally:
        sys.modules.pop("mock_exam", None)
        clear_caches()


def _bank(tmp_path: Path) -> Path:
    rows = ["qid,topic,text,opt1,opt2,opt3,opt4,key"]
    for prefix, subject, keys in (("F", "기본간호학", (2, 4, 2, 4, 4)), ("K", "보건의약관계법규", (2, 2, 2, 4, 4))):
        for k, key in enumerate(keys, start=1):
            rows.append(f"{prefix}-{k},{subject},{subject} 문항 {k},가,나,다,라,{key}")
    path = tmp_path / "quiz.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _env(site: Path) -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}


def test_the_api_uses_the_plugins_and_the_exams_grader(dist: Path, tmp_path: Path) -> None:
    bank = examqa.load_bank(_bank(tmp_path))
    assert bank.format == "quiz-csv"
    # answer 4 everywhere: 3 of 5 in each subject, K-3 right only by appeal → 6 of 10, exactly 60 %
    backend = examqa.backend("constant", model="m", answer=4)
    report = examqa.evaluate("mock-nurse", bank, backend, out=tmp_path / "run")
    outcomes = {i.id: i.outcome for i in report.items}
    assert outcomes["K-3"] == "correct" and outcomes["K-1"] == "wrong"
    assert (report.passed, report.total.points) == (True, 6)
    assert report.run is not None and report.run.pass_probability == 1.0
    samples = [json.loads(x) for x in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    assert {s["id"]: s["correct"] for s in samples}["K-3"] is True
    # the same answers as a sheet: the same verdict, item by item
    sheet = examqa.grade_sheet("mock-nurse", bank, {q.id: 4 for q in bank.questions})
    assert sheet.passed == report.passed and sheet.total.points == report.total.points
    assert [i.status for i in sheet.items] == [i.status for i in report.items]
    # a named grader from examqa.graders overrides the exam's: K-3 is wrong again, 5 of 10 fails
    plain = examqa.grade_sheet("mock-nurse", bank, {q.id: 4 for q in bank.questions}, grader="plain-key")
    assert (plain.passed, plain.total.points) == (False, 5)
    solution = examqa.solve("mock-nurse", bank.questions[7], backend)
    assert bank.questions[7].id == "K-3" and solution.correct is True


def test_the_cli_uses_the_plugins(dist: Path, tmp_path: Path) -> None:
    bank = _bank(tmp_path)
    env = _env(dist)
    listed = run_cli("exams", "--plugins", env={**env, "COLUMNS": "200"})
    assert listed.returncode == 0, listed.stderr
    assert "constant" in listed.stdout and "quiz-csv" in listed.stdout and "plain-key" in listed.stdout
    run = run_cli("grade", "mock-nurse", "--bank", str(bank), "--backend", "constant", "--model", "m",
                  "--backend-option", "answer=4", "--out", str(tmp_path / "run"), "--json", env=env)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["passed"] is True and report["run"]["backend"] == "constant"
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("".join(f"{q},4\n" for q in ("F-1", "F-2", "F-3", "F-4", "F-5", "K-1", "K-2", "K-3", "K-4",
                                                  "K-5")), encoding="utf-8")
    graded = run_cli("grade", "mock-nurse", "--bank", str(bank), "--answers", str(sheet), "--json", env=env)
    assert graded.returncode == 0, graded.stderr
    assert json.loads(graded.stdout)["total"] == report["total"]
    plain = run_cli("grade", "mock-nurse", "--bank", str(bank), "--answers", str(sheet), "--grader", "plain-key",
                    "--json", env=env)
    assert json.loads(plain.stdout)["passed"] is False
    bad = run_cli("grade", "mock-nurse", "--bank", str(bank), "--backend", "constant", "--model", "m",
                  "--backend-option", "colour=blue", env=env)
    assert bad.returncode == 2 and "takes no setting 'colour'" in bad.stderr


def test_a_bad_record_in_a_plugin_format_names_its_line(dist: Path, tmp_path: Path) -> None:
    path = _bank(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace(",가,나,다,라,4\n", ",가,나,다,라,four\n", 1),
                    encoding="utf-8")
    with pytest.raises(examqa.InputError, match=r"quiz.csv:3: key 'four' is not a number \(write 1-4\)"):
        examqa.load_bank(path)


def test_without_the_distribution_its_names_are_unknown(tmp_path: Path) -> None:
    clear_caches()
    with pytest.raises(examqa.UnknownExamError):
        examqa.load_exam("mock-nurse")
    with pytest.raises(examqa.ExamqaError, match="unknown backend 'constant'"):
        examqa.backend("constant", model="m")
