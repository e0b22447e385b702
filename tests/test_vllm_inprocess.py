"""``--backend vllm``: vLLM's engine in-process.

The vLLM tier (marked ``server``) runs ``examqa`` inside the vLLM virtualenv (``scripts/vllm-venv.sh``
installs examqa there; this checkout's code is put first on ``PYTHONPATH``): greedy output equal, item
by item, to the server path on the same paper in both modes; a run killed with SIGKILL leaves no engine
process behind and resumes without losing or repeating a sample; the Python API (streams, ``n=k``,
seeds, clean shutdown). The rest runs anywhere: the one-line error without vLLM, the grouping of
samples, engine-argument parsing, and the watchdog that reaps an engine after a SIGKILL.
"""

from __future__ import annotations

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
from examqa.backends import GenRequest, Sampling
from examqa.errors import BackendError, MissingExtraError
from helpers import LOSS_ADJUSTER_DATA, REPO, run_cli

SAMPLE_PAPER = REPO / "exams" / "samples" / "papers" / "loss-adjuster.jsonl"
PAPER = LOSS_ADJUSTER_DATA / "2020"


def _paper() -> Path:
    """The 120-item 2020 loss-adjuster paper when the shared data is here, else the repository's sample."""
    return PAPER if PAPER.is_dir() else SAMPLE_PAPER


def _has_vllm_here() -> bool:
    import importlib.util

    return importlib.util.find_spec("vllm") is not None


# ------------------------------------------------------------------------------------ anywhere


@pytest.mark.skipif(_has_vllm_here(), reason="vLLM is installed in the test environment")
def test_without_vllm_the_cli_says_which_pip_install_in_one_line(tmp_path: Path) -> None:
    res = run_cli("grade", "loss-adjuster", "--bank", str(SAMPLE_PAPER), "--backend", "vllm", "--model",
                  "LGAI-EXAONE/EXAONE-4.0-32B", "--out", str(tmp_path / "run"))
    assert res.returncode == 2
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert lines == ["examqa: error: vllm is not installed; install it with: pip install 'examqa[vllm]'"]
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "run").exists()


@pytest.mark.skipif(_has_vllm_here(), reason="vLLM is installed in the test environment")
def test_without_vllm_the_api_raises_missing_extra() -> None:
    from examqa.backends import backend_names

    assert "vllm" in backend_names()
    with pytest.raises(MissingExtraError, match=r"pip install 'examqa\[vllm\]'"):
        examqa.backend("vllm", model="LGAI-EXAONE/EXAONE-4.0-32B")


@pytest.fixture
def unopened(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A VLLMBackend built as if vLLM were installed (nothing is imported until it opens)."""
    from examqa.backends import vllm

    monkeypatch.setattr(vllm, "vllm_installed", lambda: True)
    return vllm


def test_engine_args_pass_through_with_examqa_defaults(unopened: Any) -> None:
    backend = unopened.create(model="m", engine_args={"tensor_parallel_size": 4, "enable-prefix-caching": False})
    assert backend.engine_args == {"enable_prefix_caching": False, "disable_log_stats": True,
                                   "tensor_parallel_size": 4}
    assert backend.info.settings["engine_args"] == backend.engine_args
    assert unopened.create(model="m", engine_args='{"pipeline_parallel_size": 2}').engine_args[
        "pipeline_parallel_size"] == 2
    assert unopened.create(model="m").engine_args == unopened.DEFAULT_ENGINE_ARGS


@pytest.mark.parametrize(("engine_args", "message"), [
    ("{not json", "engine_args is not a JSON object"),
    ("[1, 2]", "engine_args must be a mapping"),
    ({"model": "other"}, "give model as the backend's own setting"),
    ({"dtype": "half"}, "give dtype as the backend's own setting (--dtype)"),
])
def test_bad_engine_args_are_one_line_errors(unopened: Any, engine_args: Any, message: str) -> None:
    with pytest.raises(BackendError, match=message.replace("(", r"\(").replace(")", r"\)")):
        unopened.create(model="m", engine_args=engine_args)


def _keys(groups: list[list[GenRequest]]) -> list[list[str]]:
    return [[r.key for r in g] for g in groups]


def test_samples_go_as_one_request_only_when_no_seed_tells_them_apart(unopened: Any) -> None:
    ask = ({"role": "user", "content": "q"},)
    other = ({"role": "user", "content": "r"},)
    unseeded = [GenRequest("a#0", ask), GenRequest("a#1", ask), GenRequest("a#2", ask), GenRequest("b#0", other)]
    seeded = [GenRequest("a#0", ask, seed=7), GenRequest("a#1", ask, seed=8), GenRequest("b#0", other, seed=7)]
    backend = unopened.create(model="m")
    sampled = Sampling(temperature=0.6)
    assert _keys(backend._groups(unseeded, sampled)) == [["a#0", "a#1", "a#2"], ["b#0"]]
    assert _keys(backend._groups(seeded, sampled)) == [["a#0"], ["a#1"], ["b#0"]]
    assert _keys(backend._groups(unseeded, Sampling(temperature=0.6, seed=3))) == [["a#0"], ["a#1"], ["a#2"],
                                                                                 ["b#0"]]
    greedy = Sampling(temperature=0.0)
    assert _keys(backend._groups(seeded, greedy)) == [["a#0", "a#1"], ["b#0"]]  # seeds change nothing
    alone = unopened.create(model="m", group_samples=False)
    assert _keys(alone._groups(unseeded, sampled)) == [["a#0"], ["a#1"], ["a#2"], ["b#0"]]


def test_engine_arg_flag_reaches_the_backend(tmp_path: Path) -> None:
    res = run_cli("grade", "loss-adjuster", "--bank", str(SAMPLE_PAPER), "--model", "m", "--engine-arg",
                  "tensor_parallel_size=4", "--out", str(tmp_path / "run"))
    # the hf backend has no engine arguments: the flag is named, not a traceback
    assert res.returncode == 2
    assert "--engine-arg is not a setting of --backend hf" in res.stderr
    bad = run_cli("grade", "loss-adjuster", "--bank", str(SAMPLE_PAPER), "--backend", "vllm", "--model", "m",
                  "--engine-arg", "tensor_parallel_size", "--out", str(tmp_path / "run"))
    assert bad.returncode == 2
    assert "is not KEY=VALUE" in bad.stderr or "vllm is not installed" in bad.stderr


_GUARDED = r"""
import subprocess, sys, time
sys.path.insert(0, sys.argv[1])
from examqa.backends._reaper import Reaper, child_pids
engine = subprocess.Popen([sys.executable, "-c", "import subprocess, sys, time; "
                           "w = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); "
                           "print(w.pid, flush=True); time.sleep(120)"], stdout=subprocess.PIPE, text=True)
worker = int(engine.stdout.readline())
reaper = Reaper()
reaper.guard(child_pids() - {reaper.pid})
print(engine.pid, worker, flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
def test_the_reaper_kills_an_engine_and_its_workers_when_the_parent_is_sigkilled() -> None:
    parent = subprocess.Popen([sys.executable, "-c", _GUARDED, str(REPO / "src")], stdout=subprocess.PIPE,
                              text=True)
    try:
        engine, worker = (int(x) for x in parent.stdout.readline().split())  # type: ignore[union-attr]
        assert _alive(engine) and _alive(worker)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 10
        while (_alive(engine) or _alive(worker)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(engine) and not _alive(worker)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        parent.stdout.close()  # type: ignore[union-attr]


def test_a_disarmed_reaper_leaves_processes_alone() -> None:
    from examqa.backends._reaper import Reaper

    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        reaper = Reaper()
        reaper.guard([sleeper.pid])
        reaper.close()
        time.sleep(0.3)
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()


# ------------------------------------------------------------------------------------ the vLLM tier


@pytest.fixture(scope="session")
def vllm_env(tiny_model_dir: Path) -> tuple[Path, dict[str, str]]:
    """The vLLM virtualenv's python with examqa installed, and the environment that runs this checkout."""
    from examqa.testing import vllm_python, vllm_venv_dir

    python = vllm_python()
    problem = None
    if python is None:
        problem = f"no vLLM virtualenv at {vllm_venv_dir()}: run scripts/vllm-venv.sh"
    else:
        check = subprocess.run([str(python), "-c", "import importlib.metadata as m; "
                                "assert 'vllm' in m.entry_points(group='examqa.backends').names"],
                               capture_output=True, text=True)
        if check.returncode != 0:
            problem = f"examqa is not installed in {vllm_venv_dir()}: run scripts/vllm-venv.sh"
    if problem is not None:
        if os.environ.get("EXAMQA_REQUIRE_VLLM") == "1":
            pytest.fail(f"EXAMQA_REQUIRE_VLLM=1 but {problem}")
        pytest.skip(problem)
    assert python is not None
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]),
           "VLLM_CPU_KVCACHE_SPACE": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return python, env


def _examqa_in_vllm(vllm_env: tuple[Path, dict[str, str]], *args: str, timeout: float = 900
                    ) -> subprocess.CompletedProcess[str]:
    python, env = vllm_env
    return subprocess.run([str(python), "-m", "examqa.cli", *args], capture_output=True, text=True, env=env,
                          timeout=timeout, cwd=REPO)


def _samples(run: Path) -> dict[str, dict[str, Any]]:
    lines = (run / "samples.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(x) for x in lines if x.strip()]
    keys = Counter(f"{r['id']}#{r['sample']}" for r in records)
    assert max(keys.values()) == 1, "a sample stored twice"
    return {f"{r['id']}#{r['sample']}": r for r in records}


EAGER = ["--engine-arg", "enforce_eager=true"]  # skips torch.compile's warm-up: a CPU test need not pay it


@pytest.mark.server
def test_inprocess_greedy_equals_the_server_item_by_item(tmp_path: Path, vllm_server: str, tiny_model_dir: Path,
                                                         vllm_env: tuple[Path, dict[str, str]]) -> None:
    paper = _paper()
    common = ["--temperature", "0", "--max-new-tokens", "32", "--modes", "reasoning,non-reasoning", "--json"]
    local = _examqa_in_vllm(vllm_env, "grade", "loss-adjuster", "--bank", str(paper), "--backend", "vllm",
                            "--model", str(tiny_model_dir), "--dtype", "float32", *EAGER,
                            "--out", str(tmp_path / "local"), *common)
    assert local.returncode == 0, local.stderr[-3000:]
    served = run_cli("grade", "loss-adjuster", "--bank", str(paper), "--backend", "openai", "--base-url",
                     vllm_server, "--model", "tiny-exaone", "--concurrency", "16", "--out", str(tmp_path / "served"),
                     *common, timeout=900)
    assert served.returncode == 0, served.stderr[-3000:]
    for mode in ("reasoning", "non-reasoning"):
        mine = _samples(tmp_path / "local" / "loss-adjuster" / mode)
        theirs = _samples(tmp_path / "served" / "loss-adjuster" / mode)
        assert set(mine) == set(theirs) and len(mine) >= 10
        for key in mine:
            a, b = mine[key], theirs[key]
            # the same tokens: the same text (the server returned the reasoning apart; examqa rejoins it)
            assert a["output"] == b["output"], (mode, key)
            assert (a["completion_tokens"], a["prompt_tokens"], a["finish_reason"]) == \
                (b["completion_tokens"], b["prompt_tokens"], b["finish_reason"]), (mode, key)
            # enable_thinking reached the template: it opens the think block, or closes it empty
            assert a["prompt"].endswith("[|assistant|]\n<think>\n" if mode == "reasoning" else "\n</think>\n\n")
            if a["output"].count("</think>") <= 1:  # one close: the server's split and examqa's agree
                assert (a["choice"], a["outcome"]) == (b["choice"], b["outcome"]), (mode, key)
        manifest = json.loads((tmp_path / "local" / "loss-adjuster" / mode / "manifest.json").read_text())
        assert manifest["config"]["backend"] == "vllm"
        assert manifest["runtime"]["backend"]["engine_args"]["enable_prefix_caching"] is True


def _descendants(pid: int) -> set[int]:
    table: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    table.setdefault(int(fh.read().rsplit(")", 1)[1].split()[1]), []).append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in table.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


@pytest.mark.server
def test_sigkill_mid_run_leaves_no_engine_and_resume_loses_nothing(tmp_path: Path, vllm_server: str,
                                                                   tiny_model_dir: Path,
                                                                   vllm_env: tuple[Path, dict[str, str]]) -> None:
    paper = _paper()
    run = tmp_path / "run"
    common = ["--temperature", "0", "--max-new-tokens", "48"]
    # Four sequences at a time, so the run is still going when it is killed (and engine arguments pass through).
    args = ["grade", "loss-adjuster", "--bank", str(paper), "--backend", "vllm", "--model", str(tiny_model_dir),
            "--dtype", "float32", *EAGER, "--engine-arg", "max_num_seqs=4", "--out", str(run), *common]
    python, env = vllm_env
    log = tmp_path / "killed.log"
    with log.open("wb") as err:  # a file, not a pipe nobody reads while the run goes on
        proc = subprocess.Popen([str(python), "-m", "examqa.cli", *args], stdout=subprocess.DEVNULL, stderr=err,
                                env=env, cwd=REPO)
    engine: set[int] = set()
    try:
        deadline = time.monotonic() + 600
        stored = 0
        while time.monotonic() < deadline and proc.poll() is None:
            engine |= _descendants(proc.pid)
            samples = run / "samples.jsonl"
            if samples.exists():
                with samples.open("rb") as fh:
                    stored = sum(1 for _ in fh)
            if stored >= 6:
                break
            time.sleep(0.05)
        assert proc.poll() is None, f"the run ended before it could be killed:\n{log.read_text()[-3000:]}"
        engine |= _descendants(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert engine, "vLLM started no engine process?"
    deadline = time.monotonic() + 15
    while any(_alive(p) for p in engine) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in engine if _alive(p)], "engine processes outlived the killed run"

    before = _samples(run)
    assert len(before) >= 6 and (paper != PAPER or len(before) < 120)
    resumed = _examqa_in_vllm(vllm_env, *args, "--resume", "--json")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    after = _samples(run)  # (asserts nothing was stored twice)
    report = json.loads(resumed.stdout)
    assert report["run"]["generated"] == len(after) == report["run"]["items"]
    assert all(after[k]["output"] == before[k]["output"] for k in before)  # kept, not redone
    served = run_cli("grade", "loss-adjuster", "--bank", str(paper), "--backend", "openai", "--base-url", vllm_server,
                     "--model", "tiny-exaone", "--concurrency", "16", "--out", str(tmp_path / "served"), *common,
                     timeout=900)
    assert served.returncode == 0, served.stderr[-3000:]
    theirs = _samples(tmp_path / "served")
    assert {k: r["output"] for k, r in after.items()} == {k: r["output"] for k, r in theirs.items()}


@pytest.mark.server
def test_the_python_api_streams_groups_seeds_and_shuts_down_clean(tmp_path: Path, tiny_model_dir: Path,
                                                                   vllm_env: tuple[Path, dict[str, str]]) -> None:
    python, env = vllm_env
    out = tmp_path / "seen.json"
    res = subprocess.run([str(python), str(REPO / "tests" / "vllm_api_check.py"), str(tiny_model_dir), str(out)],
                         capture_output=True, text=True, env=env, timeout=900, cwd=REPO)
    assert res.returncode == 0, res.stderr[-3000:]
    seen = json.loads(out.read_text(encoding="utf-8"))
    assert seen["repr_before_open"].endswith("not started)")
    assert seen["settings"]["engine_args"]["enable_prefix_caching"] is True
    assert seen["settings"]["vllm"]
    assert seen["sync_twice_equal"] and seen["async_equals_sync"]
    assert seen["unseeded_n"] == [3, 3, 3] and seen["unseeded_request_ids"] == 1  # samples=3 as one n=3 request
    assert seen["seeded_reproducible"] and seen["seeded_distinct"] > 1
    assert seen["stream"]["deltas"] > 1 and seen["stream"]["joined_equals_output"]
    assert seen["stream"]["output_equals_generate"] and "reasoning" in seen["stream"]["kinds"]
    assert seen["unfinished_after_close"] == 0  # the abandoned stream's request was aborted
    assert seen["alive_after_close"] == []
    assert "Exception ignored" not in res.stderr and "Traceback" not in res.stderr


def test_a_missing_model_folder_is_one_line_before_vllm_loads(unopened: Any, tmp_path: Path) -> None:
    with pytest.raises(BackendError, match=f"model folder not found: {tmp_path / 'nope'}$"):
        unopened.create(model=str(tmp_path / "nope")).open()
    (tmp_path / "empty").mkdir()
    with pytest.raises(BackendError, match=r"is not a model folder \(no config.json\)"):
        unopened.create(model=str(tmp_path / "empty")).open()


def test_vllm_config_errors_read_as_their_own_message(unopened: Any) -> None:
    from pydantic import BaseModel, ValidationError, field_validator

    class ParallelConfig(BaseModel):
        distributed_executor_backend: str

        @field_validator("distributed_executor_backend")
        @classmethod
        def _ray(cls, value: str) -> str:
            raise ValueError("Failed to import Ray: No module named 'ray'.\nPlease install Ray.")

    with pytest.raises(ValidationError) as info:
        ParallelConfig(distributed_executor_backend="ray")
    assert unopened._first_line(info.value) == ("distributed_executor_backend: Failed to import Ray: No module "
                                                "named 'ray'.")
