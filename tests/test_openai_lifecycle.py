"""The openai backend's pools and helper threads clean up after themselves: at a loop's end, at exit, on close(),
and on Ctrl-C — with real aiohttp against the fake server (and in subprocesses where exit-time output matters)."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings
import weakref
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import examqa
from examqa.testing import FakeOpenAIServer, Reply, completion
from helpers import REPO, loss_adjuster_rows, write_native_bank

pytestmark = pytest.mark.timeout(120)

QUESTION = {"subject": "보험업법", "stem": "「보험업법」상 옳은 것은?", "choices": ["가", "나", "다", "라"],
            "answer": 3}
ANSWER = completion("검토했다</think>정답: 3")


def unclosed_sessions() -> list[aiohttp.ClientSession]:
    """Every aiohttp session still open in this process (a pool someone forgot)."""
    gc.collect()
    return [o for o in gc.get_objects() if type(o) is aiohttp.ClientSession and not o.closed]


def run_python(code: str, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter that shows every warning (ResourceWarning is hidden by default)."""
    return subprocess.run([sys.executable, "-W", "default", "-c", textwrap.dedent(code), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          env={**os.environ, "PYTHONASYNCIODEBUG": "0"})


NOISE = ("Unclosed", "unclosed", "ResourceWarning", "Task was destroyed", "Exception ignored", "Traceback",
         "was never awaited")


def test_a_program_that_never_closes_its_backend_exits_quietly(tmp_path: Path) -> None:
    """The issue's repro: asolve then aevaluate, each under its own asyncio.run, with one backend that is
    never closed — dropped inside a function, and kept in a global until the interpreter exits."""
    bank = write_native_bank(tmp_path / "bank.jsonl", loss_adjuster_rows(1))
    res = run_python("""
        import asyncio, sys
        import examqa
        from examqa.testing import FakeOpenAIServer, completion

        question = {"subject": "보험업법", "stem": "옳은 것은?", "choices": ["가", "나", "다", "라"], "answer": 3}
        bank, out = sys.argv[1], sys.argv[2]

        def main():
            with FakeOpenAIServer(lambda call: completion("검토</think>정답: 3")) as server:
                backend = examqa.backend("openai", model="fake-model", base_url=server.url)
                print(asyncio.run(examqa.asolve("loss-adjuster", question, backend)).choice)
                report = asyncio.run(examqa.aevaluate("loss-adjuster", bank, backend, out=out + "/a"))
                print(report.run.generated)
                global kept
                kept = examqa.backend("openai", model="fake-model", base_url=server.url)
                print(asyncio.run(examqa.asolve("loss-adjuster", question, kept)).choice)
                print(examqa.solve("loss-adjuster", question, kept).choice)

        main()
    """, str(bank), str(tmp_path))
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["3", "3", "3", "3"]
    assert not [n for n in NOISE if n in res.stderr], res.stderr


def test_a_pool_is_closed_and_forgotten_when_its_loop_ends() -> None:
    with FakeOpenAIServer(lambda call: ANSWER) as server:
        backend = examqa.backend("openai", model="fake-model", base_url=server.url)
        loops: list[weakref.ref[asyncio.AbstractEventLoop]] = []

        async def main() -> Any:
            loops.append(weakref.ref(asyncio.get_running_loop()))
            solution = await examqa.asolve("loss-adjuster", QUESTION, backend)
            assert len(unclosed_sessions()) == 1
            return solution

        for _ in range(3):
            assert asyncio.run(main()).choice == 3
        assert unclosed_sessions() == []
        # Nothing holds on to the finished loops: a service that runs many loops does not accumulate them.
        assert [ref() for ref in loops] == [None, None, None]
        assert backend.open_pools == 0


def test_sync_calls_inside_a_running_loop_leave_no_pool_behind(tmp_path: Path) -> None:
    """Each sync call made inside a running loop runs on a helper thread's loop; its pool ends with it."""
    bank = write_native_bank(tmp_path / "bank.jsonl", loss_adjuster_rows(1))
    with FakeOpenAIServer(lambda call: ANSWER) as server:
        backend = examqa.backend("openai", model="fake-model", base_url=server.url)

        async def main() -> list[int | None]:
            choices = [examqa.solve("loss-adjuster", QUESTION, backend).choice for _ in range(3)]
            report = examqa.evaluate("loss-adjuster", bank, backend, out=tmp_path / "run")
            assert report.run is not None and report.run.generated == 3
            assert unclosed_sessions() == []  # while this loop still runs
            return choices

        assert asyncio.run(main()) == [3, 3, 3]
        assert backend.open_pools == 0
    assert not [t for t in threading.enumerate() if t.name == "examqa-sync-call" and t.is_alive()]


def test_close_from_sync_code_closes_a_pool_on_an_idle_loop() -> None:
    with FakeOpenAIServer(lambda call: ANSWER) as server:
        backend = examqa.backend("openai", model="fake-model", base_url=server.url)
        loop = asyncio.new_event_loop()
        try:
            assert loop.run_until_complete(examqa.asolve("loss-adjuster", QUESTION, backend)).choice == 3
            assert len(unclosed_sessions()) == 1
            backend.close()
            assert unclosed_sessions() == []
            assert backend.open_pools == 0
            # the backend still works afterwards: a new pool for the next call, closed the same way
            assert loop.run_until_complete(examqa.asolve("loss-adjuster", QUESTION, backend)).choice == 3
            backend.close()
            assert unclosed_sessions() == []
        finally:
            loop.close()


def test_a_pool_whose_loop_was_closed_without_finalising_is_dropped_quietly() -> None:
    """``loop.close()`` without ``shutdown_asyncgens()``: nothing can run on that loop any more, so its pool
    is marked closed the next time the backend is used (no "Unclosed client session"); its sockets go to
    the garbage collector (a ResourceWarning only ``-W`` shows, ignored here)."""
    with FakeOpenAIServer(lambda call: ANSWER) as server, warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        backend = examqa.backend("openai", model="fake-model", base_url=server.url)
        loop = asyncio.new_event_loop()
        assert loop.run_until_complete(examqa.asolve("loss-adjuster", QUESTION, backend)).choice == 3
        loop.close()
        assert asyncio.run(examqa.asolve("loss-adjuster", QUESTION, backend)).choice == 3  # the next use
        assert unclosed_sessions() == []
        assert backend.open_pools == 0


def test_close_from_sync_code_closes_a_pool_on_a_loop_in_another_thread() -> None:
    with FakeOpenAIServer(lambda call: ANSWER) as server:
        backend = examqa.backend("openai", model="fake-model", base_url=server.url)
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="service-loop")
        thread.start()
        try:
            solved = asyncio.run_coroutine_threadsafe(examqa.asolve("loss-adjuster", QUESTION, backend), loop)
            assert solved.result(30).choice == 3
            assert len(unclosed_sessions()) == 1
            backend.close()  # from this thread: closed on its own loop, in the other thread
            assert unclosed_sessions() == []
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()


def test_close_inside_the_loop_that_holds_the_pool() -> None:
    """A sync ``close()`` (``with backend:``) called from async code closes that loop's pool at once."""
    with FakeOpenAIServer(lambda call: ANSWER) as server:
        backend = examqa.backend("openai", model="fake-model", base_url=server.url)

        async def main() -> None:
            await examqa.asolve("loss-adjuster", QUESTION, backend)
            backend.close()
            assert unclosed_sessions() == []
            assert (await examqa.asolve("loss-adjuster", QUESTION, backend)).choice == 3

        asyncio.run(main())
        assert unclosed_sessions() == []


CTRL_C_CHILD = """
    import asyncio, json, sys, threading, time
    import examqa
    from examqa.testing import FakeOpenAIServer, Reply, completion

    bank, out = sys.argv[1], sys.argv[2]

    class Progress:
        def started(self, run):
            pass

        def sample(self, record):
            print("sample", flush=True)

    with FakeOpenAIServer(lambda call: Reply(body=completion("검토</think>정답: 1"), delay_s=0.4)) as server:
        backend = examqa.backend("openai", model="fake-model", base_url=server.url, concurrency=1)

        async def main():
            # A sync call inside a running loop: it runs on a helper thread's loop.
            return examqa.evaluate("loss-adjuster", bank, backend, out=out, progress=Progress())

        try:
            asyncio.run(main())
            outcome = "finished"
        except KeyboardInterrupt:
            outcome = "interrupted"
        time.sleep(0.5)  # a request already on the wire may still arrive
        settled = len(server.chat_calls())
        time.sleep(2.0)  # 5 more would be sent in this time if the run went on
        helpers = [t.name for t in threading.enumerate() if t.name == "examqa-sync-call" and t.is_alive()]
        print(json.dumps({"outcome": outcome, "calls": [settled, len(server.chat_calls())], "helpers": helpers}),
              flush=True)
"""


def test_ctrl_c_during_evaluate_inside_a_running_loop_stops_the_helper_thread(tmp_path: Path) -> None:
    """Under asyncio.run (whose own SIGINT handler would only cancel a task that cannot run while the loop
    waits): Ctrl-C stops the helper thread's run, which writes its partial report, and raises
    KeyboardInterrupt — no request is sent after it, and no helper thread is left."""
    bank = write_native_bank(tmp_path / "bank.jsonl", loss_adjuster_rows(10))  # 30 items × 0.4 s
    out = tmp_path / "run"
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(CTRL_C_CHILD), str(bank), str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "sample"  # one sample stored: the run is under way
        interrupted = time.monotonic()
        child.send_signal(signal.SIGINT)
        stdout, stderr = child.communicate(timeout=30)
        took = time.monotonic() - interrupted
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["outcome"] == "interrupted", stderr
    assert summary["calls"][0] == summary["calls"][1] < 30  # nothing went on generating after Ctrl-C
    assert summary["helpers"] == []
    assert took < 10, took  # the rest of the run would take 10 s more
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))  # the partial report
    assert 1 <= report["run"]["generated"] < 30 and report["run"]["missing"] > 0
    assert "Traceback" not in stderr or "KeyboardInterrupt" not in stderr.split("Traceback")[0]


def test_ctrl_c_stops_a_solve_made_inside_a_running_loop_in_this_process() -> None:
    """The same without a subprocess: KeyboardInterrupt raised while a sync call waits for its helper."""
    with FakeOpenAIServer(lambda call: Reply(body=ANSWER, delay_s=20)) as server:
        backend = examqa.backend("openai", model="fake-model", base_url=server.url)
        timer = threading.Timer(0.5, lambda: signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT))

        async def main() -> None:
            timer.start()
            examqa.solve("loss-adjuster", QUESTION, backend)

        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            asyncio.run(main())
        assert time.monotonic() - started < 10
        assert not [t for t in threading.enumerate() if t.name == "examqa-sync-call" and t.is_alive()]
        assert unclosed_sessions() == []
