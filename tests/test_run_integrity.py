"""Runs cannot be mixed or cut, reading never modifies a run, and a resume refuses what changes the answers.

With real processes where it matters: two writers, a reader and a rescore while a run is written, a
``kill -9`` between two writes of one large line, a full disk. And the run's identity: templates pulled
in by ``{% include %}``, the item-feature code, ``send_thinking``, the reasoning field and in-memory banks
all change what a model is asked or how its answer is read, so a resume must refuse each.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import examqa
from examqa.banks import Bank, load_bank
from examqa.errors import RunConfigMismatch, RunStoreError
from examqa.runs.store import LOCK, RunStore, SampleRecord
from examqa.testing import FakeOpenAIServer, Reply, completion
from helpers import REPO, answer_text, loss_adjuster_rows, run_cli, write_native_bank

ROWS = loss_adjuster_rows(4)  # 12 items


def _script(path: Path, tag: str, delay: float = 0.0, big: str | None = None) -> Path:
    """A scripted-backend file: every item answered with its key, the reasoning tagged with ``tag``."""
    outputs = {str(r["id"]): f"[{tag}] " + answer_text(int(r["answer"])) for r in ROWS}  # type: ignore[call-overload]
    if big is not None:
        outputs[big] = f"[{tag}] " + "검토 " * 400_000 + "</think>\n\n정답: 1"
    path.write_text(json.dumps({"outputs": outputs, "delay_s": delay}, ensure_ascii=False), encoding="utf-8")
    return path


def _grade(bank: Path, script: Path, out: Path | None, *extra: str) -> list[str]:
    args = [sys.executable, "-m", "examqa.cli", "grade", "loss-adjuster", "--bank", str(bank), "--backend",
            "scripted", "--model", str(script)]
    return args + (["--out", str(out)] if out is not None else []) + list(extra)


def _lines(run: Path) -> list[dict[str, Any]]:
    data = (run / "samples.jsonl").read_bytes()
    return [json.loads(x) for x in data[: data.rfind(b"\n") + 1].decode().splitlines() if x.strip()]


def _keys(run: Path) -> Counter[str]:
    return Counter(f"{r['id']}#{r['sample']}" for r in _lines(run))


def _wait(predicate: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def _one_line(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("examqa: error:")]
    assert len(errors) == 1 and "Traceback" not in stderr, stderr
    return errors[0]


@pytest.fixture
def bank(tmp_path: Path) -> Path:
    return write_native_bank(tmp_path / "bank.jsonl", [dict(r) for r in ROWS])


# ------------------------------------------------------------------------------------------ two writers

def test_a_second_writer_is_refused_and_the_first_run_is_not_mixed(tmp_path: Path, bank: Path) -> None:
    run = tmp_path / "run"
    script_a = _script(tmp_path / "a.json", "A", delay=0.6)
    first = subprocess.Popen(_grade(bank, script_a, run), cwd=REPO, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    try:
        _wait(lambda: (run / "samples.jsonl").is_file() and len(_keys(run)) >= 1, "the first run's samples")
        # a new run into the same directory, and a resume of it with the very same options, while it runs
        for script, extra in ((_script(tmp_path / "b.json", "B"), ()), (script_a, ("--resume",))):
            second = subprocess.run(_grade(bank, script, run, *extra), cwd=REPO, capture_output=True, text=True,
                                    timeout=120)
            assert first.poll() is None, "the first run ended before the second writer came"
            assert second.returncode == 2
            line = _one_line(second.stderr)
            assert str(run) in line and ("being written" in line or "already holds a run" in line), line
        assert "being written" in line and "pid" in line
        _, stderr = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert first.returncode == 0, stderr
    samples = _lines(run)
    assert Counter(f"{r['id']}#{r['sample']}" for r in samples) == Counter(f"{r['id']}#0" for r in ROWS)
    assert all(r["output"].startswith("[A]") for r in samples), "a sample of the second writer got in"


SAME_SECOND = """
import sys
from pathlib import Path
import examqa.runs.runner as runner
runner._default_out = lambda exam, model: Path("runs") / "loss-adjuster-model-20250101-000000"  # one second
from examqa.cli import main
main(sys.argv[1:])
"""


def test_two_runs_into_one_default_directory_name_never_share_it(tmp_path: Path, bank: Path) -> None:
    """Two runs started in the same second (their default directory names are the same) get two."""
    procs = [subprocess.Popen([sys.executable, "-c", SAME_SECOND,
                               *_grade(bank, _script(tmp_path / f"{tag}.json", tag, delay=0.05), None)[3:]],
                              cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for tag in "AB"]
    for proc in procs:
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr
    runs = sorted((tmp_path / "runs").iterdir())
    assert [r.name for r in runs] == ["loss-adjuster-model-20250101-000000", "loss-adjuster-model-20250101-000000-2"]
    tags = {run.name: {r["output"][:3] for r in _lines(run)} for run in runs}
    assert sorted(map(sorted, tags.values())) == [["[A]"], ["[B]"]], tags
    assert all(len(_keys(run)) == len(ROWS) for run in runs)


def test_a_default_name_taken_in_the_same_second_gets_the_next_free_one(tmp_path: Path) -> None:
    root = tmp_path / "runs" / "exam-model-20250101-000000"
    first = RunStore.create(root, {"a": 1}, {}, "test", unique=True)
    second = RunStore.create(root, {"a": 2}, {}, "test", unique=True)
    assert (first.root, second.root) == (root, root.with_name(root.name + "-2"))
    with pytest.raises(RunStoreError, match="being written"):
        RunStore.open(root)  # two handles in one process are two writers too
    first.close()
    second.close()
    RunStore.open(root).close()


# ------------------------------------------------------------------------------------------ a writer at work

HOLDER = """
import sys, time
from pathlib import Path
from examqa.runs.store import RunStore
store = RunStore.open(Path(sys.argv[1]))  # a writer: it holds the run's lock
with open(Path(sys.argv[1]) / "samples.jsonl", "ab") as fh:
    fh.write(b'{"id": "S2-4", "sample": 0, "subj')  # a line being written
print("holding", flush=True)
time.sleep(600)
"""


def test_reading_or_rescoring_a_run_being_written(tmp_path: Path, bank: Path) -> None:
    """A reader sees the complete lines and modifies nothing; a rescore or a resume is refused; once the
    writer is gone (kill -9) the reader still leaves the partial line, and a resume finishes the run."""
    run = tmp_path / "run"
    done = subprocess.run(_grade(bank, _script(tmp_path / "a.json", "A"), run), cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    complete = (run / "samples.jsonl").read_bytes().splitlines(keepends=True)
    (run / "samples.jsonl").write_bytes(b"".join(complete[:8]))  # the run as it was after 8 samples
    old_report = (run / "report.json").read_bytes()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(run)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        before = (run / "samples.jsonl").read_bytes()
        assert not before.endswith(b"\n")

        report = run_cli("report", str(run), "--json")
        assert report.returncode == 3, report.stderr  # read fine; exit 3: the run is incomplete (8 of 12)
        assert json.loads(report.stdout)["run"]["generated"] == 8
        assert "being written" in report.stderr and "pid" in report.stderr
        assert (run / "report.json").read_bytes() == old_report, "a reader wrote the report of a run being written"
        compared = run_cli("compare", str(run), str(run))
        assert compared.returncode == 0, compared.stderr
        assert examqa.compare([run, run]).runs[0].items == 8

        rescored = run_cli("rescore", str(run))
        assert rescored.returncode == 2 and "being written" in _one_line(rescored.stderr)
        resumed = run_cli("grade", "loss-adjuster", "--bank", str(bank), "--backend", "scripted", "--model",
                          str(tmp_path / "a.json"), "--out", str(run), "--resume")
        assert resumed.returncode == 2 and "being written" in _one_line(resumed.stderr)
        assert (run / "samples.jsonl").read_bytes() == before
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        holder.stdout.close()  # type: ignore[union-attr]
    # the writer is gone; its partial line stays until a writer resumes
    report = run_cli("report", str(run), "--json")
    assert report.returncode == 3 and (run / "report.json").read_bytes() != old_report  # 8 samples now
    assert (run / "samples.jsonl").read_bytes() == before
    resumed = run_cli("grade", "loss-adjuster", "--bank", str(bank), "--backend", "scripted", "--model",
                      str(tmp_path / "a.json"), "--out", str(run), "--resume", "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert _keys(run) == Counter(f"{r['id']}#0" for r in ROWS)
    assert (run / "samples.jsonl").read_bytes().endswith(b"\n")


def test_a_rescore_replaces_the_samples_atomically(tmp_path: Path, bank: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    run = tmp_path / "run"
    examqa.evaluate("loss-adjuster", bank, examqa.backend("scripted", model=_script(tmp_path / "a.json", "A")),
                    out=run)
    before = (run / "samples.jsonl").read_bytes()
    real_replace = os.replace

    def fail_on_samples(src: Any, dst: Any) -> None:
        if Path(dst).name == "samples.jsonl":
            raise OSError(errno.EIO, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", fail_on_samples)
    with pytest.raises(RunStoreError, match=r"samples\.jsonl: cannot write the run: Input/output error"):
        examqa.rescore_run(run)
    monkeypatch.setattr(os, "replace", real_replace)
    assert (run / "samples.jsonl").read_bytes() == before
    assert sorted(p.name for p in run.iterdir() if p.name.endswith(".tmp")) == []
    inode = (run / "samples.jsonl").stat().st_ino
    report, changed = examqa.rescore_run(run)
    assert changed == 0 and report.passed
    assert (run / "samples.jsonl").stat().st_ino != inode  # a new file renamed over the old one
    assert (run / "samples.jsonl").read_bytes() == before


# ------------------------------------------------------------------------------------------ kill -9

KILLED_MID_LINE = """
import os, sys, time
from pathlib import Path
import examqa
import examqa.runs.store as store

real = store._write_all


def halting(fd, data):
    if len(data) > 1_000_000:  # the large line: its first half, then the kill lands before the rest
        os.write(fd, data[: len(data) // 2])
        os.fsync(fd)
        print("half", flush=True)
        time.sleep(600)
    real(fd, data)


store._write_all = halting
examqa.evaluate("loss-adjuster", sys.argv[1], examqa.backend("scripted", model=sys.argv[2]), out=sys.argv[3])
"""


def test_a_kill_between_two_writes_of_a_large_line(tmp_path: Path, bank: Path) -> None:
    run = tmp_path / "run"
    big = str(ROWS[5]["id"])
    script = _script(tmp_path / "a.json", "A", big=big)
    child = subprocess.Popen([sys.executable, "-c", KILLED_MID_LINE, str(bank), str(script), str(run)],
                             stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "half"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()  # type: ignore[union-attr]
    cut = (run / "samples.jsonl").read_bytes()
    assert not cut.endswith(b"\n") and len(cut) > 1_000_000
    stored = len(_lines(run))
    assert 0 < stored < len(ROWS) and f"{big}#0" not in _keys(run)
    report = examqa.report_run(run)  # a reader: the cut line is skipped and left alone
    assert report.run is not None and report.run.generated == stored
    assert (run / "samples.jsonl").read_bytes() == cut
    finished = examqa.evaluate("loss-adjuster", bank, examqa.backend("scripted", model=script), out=run,
                               resume=True)
    assert finished.run is not None and finished.run.generated == len(ROWS) and finished.passed
    lines = (run / "samples.jsonl").read_bytes().splitlines()
    assert all(json.loads(line) for line in lines)  # every line whole
    assert _keys(run) == Counter(f"{r['id']}#0" for r in ROWS)
    assert next(r for r in _lines(run) if r["id"] == big)["output"].endswith("정답: 1")


# ------------------------------------------------------------------------------------------ OSError

def test_a_full_disk_is_exit_2_with_the_path_and_keeps_what_was_stored(tmp_path: Path, bank: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import examqa.runs.store as store

    run = tmp_path / "run"
    script = _script(tmp_path / "a.json", "A")
    real = store._write_all
    calls = {"n": 0}

    def disk_full_after_three(fd: int, data: bytes) -> None:
        calls["n"] += data.endswith(b"\n")  # a sample's line (the lock file holds no line break)
        if calls["n"] == 4:
            os.write(fd, data[:10])  # part of the line made it to disk before the disk filled up
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd, data)

    monkeypatch.setattr(store, "_write_all", disk_full_after_three)
    with pytest.raises(RunStoreError) as failed:
        examqa.evaluate("loss-adjuster", bank, examqa.backend("scripted", model=script), out=run)
    message = str(failed.value)
    assert "\n" not in message and str(run / "samples.jsonl") in message and "No space left on device" in message
    assert len(_lines(run)) == 3 and (run / "samples.jsonl").read_bytes().endswith(b"\n")  # no partial line
    monkeypatch.setattr(store, "_write_all", real)
    finished = examqa.evaluate("loss-adjuster", bank, examqa.backend("scripted", model=script), out=run,
                               resume=True)
    assert finished.run is not None and finished.run.generated == len(ROWS)


DISK_FULL_CLI = """
import errno, sys
import examqa.runs.store as store


real = store._write_all


def full(fd, data):
    if data.endswith(b"\\n"):  # a sample's line: the disk is full by the time the first one comes
        raise OSError(errno.ENOSPC, "No space left on device")
    real(fd, data)


store._write_all = full
from examqa.cli import main
main(sys.argv[1:])
"""


def test_the_cli_says_where_the_disk_is_full(tmp_path: Path, bank: Path) -> None:
    run = tmp_path / "run"
    args = _grade(bank, _script(tmp_path / "a.json", "A"), run)[3:]
    done = subprocess.run([sys.executable, "-c", DISK_FULL_CLI, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    line = _one_line(done.stderr)
    assert str(run / "samples.jsonl") in line and "No space left on device" in line and "--resume" in line
    assert (run / "manifest.json").is_file() and (run / "samples.jsonl").read_bytes() == b""


def test_an_unwritable_run_directory_is_exit_2_with_the_path(tmp_path: Path, bank: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    run = blocker / "run"
    done = run_cli(*_grade(bank, _script(tmp_path / "a.json", "A"), run)[3:])
    assert done.returncode == 2
    assert str(blocker) in _one_line(done.stderr)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_run_directory_is_exit_2_with_the_path(tmp_path: Path, bank: Path) -> None:
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        done = run_cli(*_grade(bank, _script(tmp_path / "a.json", "A"), parent / "run")[3:])
    finally:
        parent.chmod(0o755)
    assert done.returncode == 2 and str(parent / "run") in _one_line(done.stderr)


# ------------------------------------------------------------------------------------------ resume identity

def _first(run: Path, bank: Path | Bank, **options: Any) -> None:
    script = {str(r["id"]): answer_text(int(r["answer"])) for r in ROWS}  # type: ignore[call-overload]
    examqa.evaluate("loss-adjuster", bank, examqa.backend("scripted", script=script), out=run, limit=6, **options)
    lines = (run / "samples.jsonl").read_bytes().splitlines(keepends=True)
    (run / "samples.jsonl").write_bytes(b"".join(lines[:3]))  # as if killed after three samples


def _resume(run: Path, bank: Path | Bank, **options: Any) -> examqa.Report:
    script = {str(r["id"]): answer_text(int(r["answer"])) for r in ROWS}  # type: ignore[call-overload]
    return examqa.evaluate("loss-adjuster", bank, examqa.backend("scripted", script=script), out=run, limit=6,
                           resume=True, **options)


def _prompts(tmp_path: Path, part: str) -> Path:
    folder = tmp_path / "prompts"
    folder.mkdir(exist_ok=True)
    (folder / "system.j2").write_text("{{ exam.name_ko }} 문제입니다.\n", encoding="utf-8")
    (folder / "user.j2").write_text("{% include 'part.j2' %}\n{{ question.stem }}\n"
                                    "{% for c in choices %}{{ c.label }} {{ c.text }}\n{% endfor %}", encoding="utf-8")
    (folder / "part.j2").write_text(part, encoding="utf-8")
    return folder


def test_resume_refuses_a_changed_included_template(tmp_path: Path, bank: Path) -> None:
    run = tmp_path / "run"
    prompts = _prompts(tmp_path, "정답을 ①~⑤ 중 하나로 답하시오.")
    _first(run, bank, prompts=prompts)
    _prompts(tmp_path, "정답을 고르고 이유를 쓰시오.")  # system.j2 and user.j2 are byte for byte the same
    with pytest.raises(RunConfigMismatch, match=r"the prompt of item S0-1 is not the one"):
        _resume(run, bank, prompts=prompts)
    _prompts(tmp_path, "정답을 ①~⑤ 중 하나로 답하시오.")
    assert _resume(run, bank, prompts=prompts).run.generated == 6  # type: ignore[union-attr]


def test_resume_refuses_changed_item_features(tmp_path: Path, bank: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the item-feature code reads from an item reaches the prompt: a change to it is refused."""
    import examqa.prompts.templates as templates

    run = tmp_path / "run"
    _first(run, bank)
    real = templates.item_features

    def every_item_negative(question: Any, kinds: Any = ()) -> Any:
        import dataclasses

        return dataclasses.replace(real(question, kinds), negative="옳지 않은 것", negative_josa="을")

    monkeypatch.setattr(templates, "item_features", every_item_negative)
    with pytest.raises(RunConfigMismatch, match="not the one its stored samples were asked"):
        _resume(run, bank)


def test_resume_refuses_another_in_memory_bank(tmp_path: Path, bank: Path) -> None:
    loaded = load_bank(bank)
    memory = Bank(questions=loaded.questions, origin={}, format="native", files=())
    other = Bank(questions=tuple(q.model_copy(update={"accepted": frozenset({2})}) for q in loaded.questions),
                 origin={}, format="native", files=())
    assert memory.sha256() == other.sha256()  # the file fingerprint of a bank without files cannot tell
    run = tmp_path / "run"
    _first(run, memory)
    with pytest.raises(RunConfigMismatch, match="the bank's rows changed"):
        _resume(run, other)
    assert _resume(run, memory).run.generated == 6  # type: ignore[union-attr]


def _served(tmp_path: Path, run: Path, resume: bool, **settings: Any) -> examqa.Report:
    def reply(call: Any) -> Reply:
        return Reply(body=completion("정답: 1", reasoning="검토", reasoning_field="reasoning"))

    with FakeOpenAIServer(reply) as server:
        backend = examqa.backend("openai", model="fake-model", base_url=server.url, **settings)
        try:
            return examqa.evaluate("loss-adjuster", tmp_path / "bank.jsonl", backend, out=run, limit=4,
                                   resume=resume)
        finally:
            backend.close()


@pytest.mark.parametrize(("changed", "field"), [({"send_thinking": False}, "send_thinking"),
                                                ({"reasoning_field": "reasoning"}, "reasoning_fields")])
def test_resume_refuses_other_server_settings(tmp_path: Path, bank: Path, changed: dict[str, Any],
                                              field: str) -> None:
    run = tmp_path / "run"
    _served(tmp_path, run, resume=False)
    with pytest.raises(RunConfigMismatch, match=f"backend_settings.{field}"):
        _served(tmp_path, run, resume=True, **changed)
    assert _served(tmp_path, run, resume=True).run is not None


def test_a_run_from_before_the_hashes_resumes_and_is_checked_on_its_samples(tmp_path: Path, bank: Path) -> None:
    run = tmp_path / "run"
    prompts = _prompts(tmp_path, "정답을 ①~⑤ 중 하나로 답하시오.")
    _first(run, bank, prompts=prompts)
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    for key in ("prompts_sha256", "rows_sha256"):
        del manifest["config"][key]  # what examqa 0.2 wrote
    (run / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (run / LOCK).unlink()
    _prompts(tmp_path, "다른 지시문.")
    with pytest.raises(RunConfigMismatch, match="the prompt of item S0-1"):
        _resume(run, bank, prompts=prompts)
    _prompts(tmp_path, "정답을 ①~⑤ 중 하나로 답하시오.")
    assert _resume(run, bank, prompts=prompts).run.generated == 6  # type: ignore[union-attr]


def test_the_manifest_records_the_hashes(tmp_path: Path, bank: Path) -> None:
    run = tmp_path / "run"
    _first(run, bank)
    config = json.loads((run / "manifest.json").read_text(encoding="utf-8"))["config"]
    records = [SampleRecord.model_validate(r) for r in _lines(run)]
    assert len(config["prompts_sha256"]) == len(config["rows_sha256"]) == 64
    assert records and all(r.messages for r in records)
    assert config["rows_sha256"] != hashlib.sha256(b"").hexdigest()


class _SlowToOpen:
    """A scripted backend whose opening takes a moment (a server's health check): both runs have
    checked their directory before either creates it."""

    def __init__(self, script: dict[str, str]) -> None:
        self.inner = examqa.backend("scripted", script=script, delay_s=0.02)
        self.info = self.inner.info

    async def aopen(self) -> None:
        await asyncio.sleep(0.2)

    def agenerate(self, requests: Any, sampling: Any) -> Any:
        return self.inner.agenerate(requests, sampling)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_two_writers_in_one_event_loop(tmp_path: Path, bank: Path) -> None:
    run = tmp_path / "run"
    script = {str(r["id"]): answer_text(int(r["answer"])) for r in ROWS}  # type: ignore[call-overload]

    async def both() -> list[Any]:
        return await asyncio.gather(*(examqa.aevaluate("loss-adjuster", bank, _SlowToOpen(script), out=run)
                                      for _ in range(2)), return_exceptions=True)

    results = asyncio.run(both())
    kinds = sorted(type(r).__name__ for r in results)
    assert kinds in (["InputError", "Report"], ["Report", "RunStoreError"]), results
    assert _keys(run) == Counter(f"{r['id']}#0" for r in ROWS)


@pytest.mark.parametrize("way", ["sync", "async"])
def test_a_resume_whose_backend_fails_to_open_lets_go_of_the_run(way: str, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # The resume's check takes the run's lock; a backend that then fails to start must not keep it.
    from examqa.errors import BackendError

    bank = write_native_bank(tmp_path / "bank.jsonl", loss_adjuster_rows(2))
    run = tmp_path / "run"
    backend = examqa.backend("scripted", default="검토</think>정답: 1")
    examqa.evaluate("loss-adjuster", bank, backend, out=run, temperature=0)

    def dead(*_: Any) -> None:
        raise BackendError("cannot reach the server")

    async def adead(*_: Any) -> None:
        dead()

    with monkeypatch.context() as patch:
        patch.setattr(backend, "open", dead)
        patch.setattr(backend, "aopen", adead)
        with pytest.raises(BackendError):
            if way == "sync":
                examqa.evaluate("loss-adjuster", bank, backend, out=run, temperature=0, resume=True)
            else:
                asyncio.run(examqa.aevaluate("loss-adjuster", bank, backend, out=run, temperature=0, resume=True))
    RunStore.open(run).close()  # free: another writer may take it (held, this raises RunStoreError)
    assert examqa.evaluate("loss-adjuster", bank, backend, out=run, temperature=0, resume=True).run is not None
