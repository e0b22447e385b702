"""docs/api.md's examples: each code block is the file it names, and every file runs.

The ASGI example runs against examqa.testing.FakeOpenAIServer here, and against the real vLLM server in
the ``server`` tier.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from examqa.testing import FakeOpenAIServer, Reply, completion
from helpers import API_EXAMPLE_OUTPUT, REPO

DOC = REPO / "docs" / "api.md"
EXAMPLES = REPO / "docs" / "examples"
BLOCK = re.compile(r"<!-- example: (?P<path>[^ ]+) -->\n```python\n(?P<code>.*?)```", re.S)


def _blocks() -> list[tuple[str, str]]:
    return [(m.group("path"), m.group("code")) for m in BLOCK.finditer(DOC.read_text(encoding="utf-8"))]


def test_every_example_block_is_its_file() -> None:
    blocks = _blocks()
    assert {Path(p).name for p, _ in blocks} == {"grade_sheet.py", "evaluate.py", "solve.py", "stream.py",
                                                 "concurrency.py", "errors.py"}
    for path, code in blocks:
        assert (REPO / path).read_text(encoding="utf-8") == code, path


EXPECT = API_EXAMPLE_OUTPUT


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_example_runs(name: str) -> None:
    res = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, cwd=REPO,
                         timeout=300)
    assert res.returncode == 0, res.stderr
    for needle in EXPECT[name]:
        assert needle in res.stdout, (needle, res.stdout)


# ------------------------------------------------------------------------------------ the ASGI app


def _app(monkeypatch: pytest.MonkeyPatch, url: str, model: str) -> Any:
    pytest.importorskip("starlette", reason="starlette is not installed (the dev extra has it)")
    monkeypatch.setenv("EXAMQA_BASE_URL", url)
    monkeypatch.setenv("EXAMQA_MODEL", model)
    monkeypatch.chdir(REPO)
    monkeypatch.syspath_prepend(str(EXAMPLES))
    sys.modules.pop("asgi_app", None)
    import asgi_app

    return asgi_app.app


def _exercise(app: Any, expect_choice: int | None, **options: Any) -> dict[str, Any]:
    from starlette.testclient import TestClient

    bank_q = {"subject": "관세법개론", "stem": "관세법상 옳은 것은?", "choices": ["가", "나", "다", "라", "마"],
              "answer": 2}
    with TestClient(app) as client:
        graded = client.post("/grade", json={"exam": "customs-broker", "answers": {"CUS-01": 2, "CUS-02": 1}})
        assert graded.status_code == 200, graded.text
        report = graded.json()
        assert report["exam"] == "customs-broker" and report["passed"] is False
        assert report["to_pass"]["items"] > 0 and "items" not in report
        bad = client.post("/grade", json={"exam": "customs-broker", "answers": {"CUS-01": 9}})
        assert bad.status_code == 422 and "out of range" in bad.json()["error"]
        # JSON numbers and nulls as a client sends them (issue 15.5: 2.0 and null were a 500)
        loose = client.post("/grade", json={"exam": "customs-broker",
                                            "answers": {"CUS-01": 2.0, "CUS-02": None, "CUS-03": "③"}})
        assert loose.status_code == 200, loose.text
        assert loose.json()["total"] == client.post("/grade", json={
            "exam": "customs-broker", "answers": {"CUS-01": 2, "CUS-03": 3}}).json()["total"]
        half = client.post("/grade", json={"exam": "customs-broker", "answers": {"CUS-01": 2.5}})
        assert half.status_code == 422 and "CUS-01" in half.json()["error"]
        solved = client.post("/solve", json={"exam": "customs-broker", "question": bank_q, "options": options})
        assert solved.status_code == 200, solved.text
        solution = solved.json()
        assert solution["exam"] == "customs-broker" and solution["mode"] == "reasoning"
        if expect_choice is not None:
            assert solution["choice"] == expect_choice and solution["correct"] is (expect_choice == 2)
        typo = client.post("/solve", json={"exam": "customs-broker", "question": bank_q, "options": {"temp": 1}})
        assert typo.status_code == 422 and "unknown option 'temp'" in typo.json()["error"]
        with client.stream("POST", "/solve/stream", json={"exam": "customs-broker", "question": bank_q,
                                                          "options": {**options, "thinking": False}}) as stream:
            events = [json.loads(line[6:]) for line in stream.iter_lines() if line.startswith("data: ")]
        assert events[-1]["kind"] == "solution", events[-1]
        assert events[-1]["solution"]["mode"] == "non-reasoning"
        text = "".join(e["text"] for e in events[:-1])
        assert events[-1]["solution"]["final"].strip() in text
        return solution


def test_asgi_example_against_a_fake_server(monkeypatch: pytest.MonkeyPatch) -> None:
    reply = Reply(body=completion("다섯 개를 검토했다.</think>\n\n정답: ②"), stream_piece=5)
    with FakeOpenAIServer(lambda call: reply, models=("exaone",)) as server:
        _exercise(_app(monkeypatch, server.url, "exaone"), expect_choice=2)


@pytest.mark.server
def test_asgi_example_against_the_real_vllm_server(monkeypatch: pytest.MonkeyPatch, vllm_server: str) -> None:
    from examqa.testing import TINY_MODEL_NAME

    # The tiny model writes noise: the answer is whatever it reads as, but every call must go through.
    solution = _exercise(_app(monkeypatch, vllm_server, TINY_MODEL_NAME), expect_choice=None, max_new_tokens=32)
    assert solution["model"] == TINY_MODEL_NAME and solution["completion_tokens"] > 0
