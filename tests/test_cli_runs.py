"""Model runs through the CLI with the scripted backend: reports, kill -9 + --resume, Ctrl-C, rescore."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from helpers import REPO, answer_text, loss_adjuster_rows, run_cli, write_native_bank


def _script(tmp_path: Path, rows: list[dict[str, object]], delay: float = 0.0,
            per_sample: bool = False) -> Path:
    outputs: dict[str, object] = {}
    for r in rows:
        key = int(r["answer"])  # type: ignore[call-overload]
        outputs[str(r["id"])] = ([answer_text(key), answer_text(key), answer_text(key % 4 + 1)]
                                 if per_sample else answer_text(key))
    path = tmp_path / "script.json"
    path.write_text(json.dumps({"outputs": outputs, "delay_s": delay}, ensure_ascii=False), encoding="utf-8")
    return path


def _keys(run: Path) -> Counter[str]:
    lines = (run / "samples.jsonl").read_text(encoding="utf-8").splitlines()
    return Counter(f"{json.loads(x)['id']}#{json.loads(x)['sample']}" for x in lines if x.strip())


def test_scripted_run_writes_reports_and_json(tmp_path: Path) -> None:
    rows = loss_adjuster_rows(4)
    bank = write_native_bank(tmp_path / "bank.jsonl", rows)
    run = tmp_path / "run"
    res = run_cli("grade", "loss-adjuster", "--bank", str(bank), "--backend", "scripted",
                  "--model", str(_script(tmp_path, rows)), "--out", str(run), "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["passed"] is True
    assert report["total"]["percent"] == 100.0
    assert report["run"]["no_answer"] == 0 and report["run"]["truncated"] == 0
    assert {s["name"] for s in report["subjects"]} == {"보험업법", "보험계약법", "손해사정이론"}
    for name in ("manifest.json", "samples.jsonl", "report.json", "report.md", "report.html"):
        assert (run / name).is_file(), name
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["config"]["exam"] == "loss-adjuster" and manifest["config"]["sampling"]["thinking"] is True
    html = (run / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html and "과락선" in html and "합격선" in html
    sample = json.loads((run / "samples.jsonl").read_text(encoding="utf-8").splitlines()[0])
    for field in ("id", "sample", "prompt", "output", "choice", "method", "truncated", "prompt_tokens",
                  "completion_tokens"):
        assert field in sample


def test_self_consistency_majority_and_pass_probability(tmp_path: Path) -> None:
    rows = loss_adjuster_rows(4)
    bank = write_native_bank(tmp_path / "bank.jsonl", rows)
    res = run_cli("grade", "loss-adjuster", "--bank", str(bank), "--backend", "scripted", "--samples", "3",
                  "--model", str(_script(tmp_path, rows, per_sample=True)), "--out", str(tmp_path / "r"), "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["run"]["samples_per_item"] == 3 and report["run"]["generated"] == 36
    assert report["passed"] is True  # the majority (2 of 3) is right on every item
    # each item is right with p = 2/3; P(pass) is strictly between 0 and 1
    assert 0.0 < report["run"]["pass_probability"] < 1.0


def test_kill_9_then_resume_grades_every_item_exactly_once(tmp_path: Path) -> None:
    rows = loss_adjuster_rows(10)
    bank = write_native_bank(tmp_path / "bank.jsonl", rows)
    script = _script(tmp_path, rows, delay=0.05)
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "examqa.cli", "grade", "loss-adjuster", "--bank", str(bank), "--backend",
           "scripted", "--model", str(script), "--out", str(run)]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if (run / "samples.jsonl").exists() and len(_keys(run)) >= 8:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = _keys(run)
    assert 0 < sum(before.values()) < len(rows), "the kill must land mid-run"
    res = subprocess.run([*cmd, "--resume", "--json"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    after = _keys(run)
    assert set(after) == {f"{r['id']}#0" for r in rows}
    assert max(after.values()) == 1, "no duplicates"
    report = json.loads(res.stdout)
    assert report["passed"] is True and report["run"]["generated"] == len(rows)


def test_resume_refuses_a_different_config(tmp_path: Path) -> None:
    rows = loss_adjuster_rows(2)
    bank = write_native_bank(tmp_path / "bank.jsonl", rows)
    script = _script(tmp_path, rows)
    run = tmp_path / "run"
    base = ["grade", "loss-adjuster", "--bank", str(bank), "--backend", "scripted", "--model", str(script),
            "--out", str(run)]
    assert run_cli(*base).returncode == 0
    res = run_cli(*base, "--resume", "--temperature", "0.2")
    assert res.returncode == 2
    assert "cannot resume" in res.stderr and "temperature" in res.stderr and "Traceback" not in res.stderr
    again = run_cli(*base)  # without --resume, an existing run is not overwritten
    assert again.returncode == 2 and "--resume" in again.stderr


def test_ctrl_c_saves_what_is_finished(tmp_path: Path) -> None:
    rows = loss_adjuster_rows(10)
    bank = write_native_bank(tmp_path / "bank.jsonl", rows)
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "examqa.cli", "grade", "loss-adjuster", "--bank", str(bank), "--backend",
           "scripted", "--model", str(_script(tmp_path, rows, delay=0.05)), "--out", str(run)]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not ((run / "samples.jsonl").exists() and len(_keys(run)) >= 5):
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "--resume" in stderr and "Traceback" not in stderr
    assert (run / "report.json").is_file()
    report = json.loads((run / "report.json").read_text(encoding="utf-8"))
    assert any("incomplete run" in n for n in report["notes"])


def test_rescore_and_report_rerender(tmp_path: Path) -> None:
    rows = loss_adjuster_rows(2)
    bank = write_native_bank(tmp_path / "bank.jsonl", rows)
    run = tmp_path / "run"
    assert run_cli("grade", "loss-adjuster", "--bank", str(bank), "--backend", "scripted", "--model",
                   str(_script(tmp_path, rows)), "--out", str(run)).returncode == 0
    # tamper with a stored parse: rescore must restore it from the raw output
    path = run / "samples.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first.update(choice=None, method="no_answer", outcome="no_answer", correct=False)
    path.write_text("\n".join([json.dumps(first, ensure_ascii=False), *lines[1:]]) + "\n", encoding="utf-8")
    res = run_cli("rescore", str(run), "--json")
    assert res.returncode == 0, res.stderr
    assert "1 changed" in res.stderr
    assert json.loads(res.stdout)["run"]["no_answer"] == 0
    (run / "report.md").unlink()
    res = run_cli("report", str(run))
    assert res.returncode == 0 and (run / "report.md").is_file()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["grade", "loss-adjuster", "--bank", "BANK", "--backend", "scripted", "--model", "missing.json"],
         "missing.json"),
        (["grade", "loss-adjuster", "--bank", "BANK", "--backend", "openai", "--model", "m"], "--base-url"),
        (["grade", "loss-adjuster", "--bank", "BANK", "--backend", "openai", "--model", "m", "--base-url",
          "http://127.0.0.1:9/v1"], "127.0.0.1:9"),
        (["report", "NOT_A_RUN"], "not an examqa run directory"),
    ],
)
def test_run_errors_are_one_line(tmp_path: Path, args: list[str], needle: str) -> None:
    bank = write_native_bank(tmp_path / "bank.jsonl", loss_adjuster_rows(1))
    args = [str(bank) if a == "BANK" else str(tmp_path / a) if a in {"missing.json", "NOT_A_RUN"} else a
            for a in args]
    res = run_cli(*args, env={"EXAMQA_API_KEY": "sk-secret-do-not-print"}, timeout=120)
    assert res.returncode == 2, res.stderr
    assert needle in res.stderr
    assert "Traceback" not in res.stderr and "sk-secret" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_tiny_model_cli_end_to_end(tmp_path: Path) -> None:
    pytest.importorskip("transformers", reason="needs the [hf] extra")
    rows = loss_adjuster_rows(2)
    bank = write_native_bank(tmp_path / "bank.jsonl", rows)
    model = run_cli("tiny-model", str(tmp_path / "tiny"))
    assert model.returncode == 0, model.stderr
    run = tmp_path / "run"
    res = run_cli("grade", "loss-adjuster", "--bank", str(bank), "--model", model.stdout.strip(),
                  "--max-new-tokens", "24", "--temperature", "0", "--batch-size", "3", "--out", str(run), "--json",
                  env={"EXAMQA_CACHE": str(tmp_path / "cache"), **({"HF_HUB_OFFLINE": "1"})})
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["run"]["generated"] == len(rows)
    assert report["run"]["completion_tokens"] > 0
    # random weights: whatever it says, each sample is exactly one of the distinct outcomes
    samples = [json.loads(x) for x in (run / "samples.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(samples) == len(rows)
    assert all(s["outcome"] in {"correct", "wrong", "no_answer", "truncated"} for s in samples)
    assert all(s["prompt"].endswith("[|assistant|]\n<think>\n") for s in samples)
    assert os.path.getsize(run / "report.html") > 1000


def test_prices_give_cost_per_run_and_per_pass(tmp_path: Path) -> None:
    rows = loss_adjuster_rows(2)
    bank = write_native_bank(tmp_path / "bank.jsonl", rows)
    run = tmp_path / "run"
    res = run_cli("grade", "loss-adjuster", "--bank", str(bank), "--backend", "scripted", "--model",
                  str(_script(tmp_path, rows)), "--out", str(run), "--price-in", "0.5", "--price-out", "2",
                  "--currency", "USD", "--json")
    assert res.returncode == 0, res.stderr
    r = json.loads(res.stdout)["run"]
    expected = (r["prompt_tokens"] * 0.5 + r["completion_tokens"] * 2) / 1e6
    assert r["cost"] == pytest.approx(expected) and r["cost"] > 0
    assert r["pass_probability"] == 1.0 and r["cost_per_pass"] == pytest.approx(expected)
    # re-rendering keeps the prices recorded in the manifest
    again = run_cli("report", str(run), "--json")
    assert json.loads(again.stdout)["run"]["cost"] == pytest.approx(expected)


def test_prompts_override_is_used_hashed_and_strict(tmp_path: Path) -> None:
    rows = loss_adjuster_rows(1)
    bank = write_native_bank(tmp_path / "bank.jsonl", rows)
    script = _script(tmp_path, rows)
    custom = tmp_path / "prompts"
    custom.mkdir()
    (custom / "system.j2").write_text("당신은 {{ exam.name_ko }} 채점 도우미입니다.", encoding="utf-8")
    (custom / "user.j2").write_text("MYTEMPLATE {{ question.stem }}\n{% for c in choices %}{{ c.label }} {{ c.text }}\n"
                                    "{% endfor %}정답: N (1..{{ n_choices }})", encoding="utf-8")
    run = tmp_path / "run"
    res = run_cli("grade", "loss-adjuster", "--bank", str(bank), "--backend", "scripted", "--model", str(script),
                  "--prompts", str(custom), "--out", str(run))
    assert res.returncode == 0, res.stderr
    sample = json.loads((run / "samples.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert "MYTEMPLATE" in sample["messages"][1]["content"] and "①" in sample["messages"][1]["content"]
    default = tmp_path / "default"
    assert run_cli("grade", "loss-adjuster", "--bank", str(bank), "--backend", "scripted", "--model", str(script),
                   "--out", str(default)).returncode == 0
    sha = [json.loads((d / "manifest.json").read_text(encoding="utf-8"))["config"]["template_sha256"]
           for d in (run, default)]
    assert sha[0] != sha[1]
    # an undefined variable is an error, not a silently empty prompt
    (custom / "user.j2").write_text("{{ question.stem }} {{ no_such_variable }}", encoding="utf-8")
    bad = run_cli("grade", "loss-adjuster", "--bank", str(bank), "--backend", "scripted", "--model", str(script),
                  "--prompts", str(custom), "--out", str(tmp_path / "bad"))
    assert bad.returncode == 2 and "no_such_variable" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "bad").exists(), "nothing half-written"
