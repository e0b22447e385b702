"""The library API: evaluate/aevaluate give the CLI's report, solve/asolve/astream answer one question,
backend() builds by name, and the async path really is concurrent on one loop."""

from __future__ import annotations

import asyncio
import json
import threading
import warnings
from pathlib import Path
from typing import Any

import pytest

import examqa
from examqa.backends.base import GenRequest, Sampling, TextDelta, ThinkSplitter
from examqa.errors import GenerationError, InputError, PluginError
from examqa.testing import FakeOpenAIServer, Reply, completion, last_user
from helpers import answer_text, loss_adjuster_rows, run_cli, write_native_bank

VOLATILE = ("wall_seconds",)


def _script(tmp_path: Path, rows: list[dict[str, Any]], wrong: int = 0) -> Path:
    outputs = {str(r["id"]): answer_text(int(r["answer"]) % 4 + 1 if i < wrong else int(r["answer"]))
               for i, r in enumerate(rows)}
    path = tmp_path / "script.json"
    path.write_text(json.dumps({"outputs": outputs}, ensure_ascii=False), encoding="utf-8")
    return path


def _stable(report: dict[str, Any]) -> dict[str, Any]:
    run = {k: v for k, v in (report.get("run") or {}).items() if k not in VOLATILE}
    return {**report, "run": run}


# ------------------------------------------------------------------------------------ evaluate


def test_cli_and_evaluate_write_the_same_report(tmp_path: Path) -> None:
    rows = loss_adjuster_rows(4)
    bank = write_native_bank(tmp_path / "bank.jsonl", rows)
    script = _script(tmp_path, rows, wrong=3)
    res = run_cli("grade", "loss-adjuster", "--bank", str(bank), "--backend", "scripted", "--model", str(script),
                  "--samples", "2", "--temperature", "0.7", "--seed", "3", "--out", str(tmp_path / "cli"), "--json")
    assert res.returncode == 0, res.stderr
    report = examqa.evaluate("loss-adjuster", bank, examqa.backend("scripted", model=script), samples=2,
                             temperature=0.7, seed=3, out=tmp_path / "api")
    areport = asyncio.run(examqa.aevaluate("loss-adjuster", bank, examqa.backend("scripted", model=script),
                                           samples=2, temperature=0.7, seed=3, out=tmp_path / "async"))
    files = [json.loads((tmp_path / d / "report.json").read_text(encoding="utf-8"))
             for d in ("cli", "api", "async")]
    assert _stable(files[0]) == _stable(files[1]) == _stable(files[2])
    assert _stable(json.loads(res.stdout)) == _stable(json.loads(report.model_dump_json()))
    assert report.model_dump() == areport.model_dump() | {"run": areport.run.model_dump() | {  # type: ignore[union-attr]
        "wall_seconds": report.run.wall_seconds}}  # type: ignore[union-attr]
    manifests = [json.loads((tmp_path / d / "manifest.json").read_text(encoding="utf-8"))["config"]
                 for d in ("cli", "api", "async")]
    assert manifests[0] == manifests[1] == manifests[2]
    assert report.run is not None and report.run.mode == "reasoning" and report.run.missing == 0


def test_evaluate_validates_options_before_anything_is_written(tmp_path: Path) -> None:
    rows = loss_adjuster_rows(1)
    bank = write_native_bank(tmp_path / "bank.jsonl", rows)
    backend = examqa.backend("scripted", model=_script(tmp_path, rows))
    cases = [({"samples": 0}, "samples"), ({"temperature": -1}, "temperature"),
             ({"sampels": 2}, "unknown option 'sampels'"), ({"resume": True, "out": None}, "resume needs out"),
             ({"protocol": "nope"}, "unknown protocol")]
    for bad, needle in cases:
        with pytest.raises(InputError, match=needle):
            examqa.evaluate("loss-adjuster", bank, backend, **{"out": tmp_path / "run", **bad})
    assert not (tmp_path / "run").exists()


def test_greedy_self_consistency_warns(tmp_path: Path) -> None:
    rows = loss_adjuster_rows(1)
    bank = write_native_bank(tmp_path / "bank.jsonl", rows)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        examqa.evaluate("loss-adjuster", bank, examqa.backend("scripted", model=_script(tmp_path, rows)),
                        samples=3, temperature=0, out=tmp_path / "run")
    assert any("greedy" in str(w.message) for w in caught)


# ------------------------------------------------------------------------------------ solve / stream

QUESTION = {"id": "Q1", "subject": "보험업법", "stem": "보험업법상 옳은 것은?",
            "choices": ["가는 옳다", "나는 옳다", "다는 옳다", "라는 옳다"], "answer": 3}


def test_solve_reads_and_grades_one_question() -> None:
    backend = examqa.backend("scripted", default="보기를 검토한다.</think>\n\n정답: ③")
    sol = examqa.solve("loss-adjuster", QUESTION, backend)
    assert (sol.choice, sol.label, sol.correct, sol.outcome, sol.method) == (3, "③", True, "correct", "marker")
    assert sol.reasoning == "보기를 검토한다." and sol.final == "정답: ③" and not sol.truncated
    unkeyed = examqa.solve("loss-adjuster", {k: v for k, v in QUESTION.items() if k != "answer"}, backend)
    assert (unkeyed.choice, unkeyed.correct, unkeyed.outcome) == (3, None, "answered")
    cut = examqa.solve("loss-adjuster", QUESTION, examqa.backend("scripted", default="정답은 ③일까 아니면"))
    assert (cut.choice, cut.truncated, cut.outcome) == (None, True, "truncated")


def test_solve_takes_a_question_from_a_bank_and_the_mode() -> None:
    bank = examqa.load_bank("exams/samples/papers/customs-broker.jsonl")
    q = bank.questions[0]
    backend = examqa.backend("scripted", default=f"정답: {min(q.accepted)}")
    sol = examqa.solve("customs-broker", q, backend, thinking=False)
    assert sol.mode == "non-reasoning" and sol.correct is True and sol.reasoning is None


@pytest.mark.parametrize("question", [{"stem": "x"}, {"stem": "x", "choices": ["only"]},
                                      {"stem": "x", "choices": ["a", "b"], "answer": 5}])
def test_solve_refuses_malformed_questions(question: dict[str, Any]) -> None:
    with pytest.raises(InputError):
        examqa.solve("loss-adjuster", question, examqa.backend("scripted", default="정답: 1"))


def test_astream_yields_reasoning_then_answer_then_the_solution() -> None:
    text = "첫째 보기는 틀렸다. 셋째가 맞다.</think>\n\n정답: 3"
    backend = examqa.backend("scripted", default=text)

    async def collect() -> list[Any]:
        return [event async for event in examqa.astream("loss-adjuster", QUESTION, backend)]

    events = asyncio.run(collect())
    deltas = [e for e in events[:-1] if isinstance(e, TextDelta)]
    assert len(deltas) == len(events) - 1 and len(deltas) > 3  # it really streamed
    assert "".join(d.text for d in deltas if d.kind == "reasoning") == "첫째 보기는 틀렸다. 셋째가 맞다."
    assert "".join(d.text for d in deltas if d.kind == "answer") == "\n\n정답: 3"
    kinds = [d.kind for d in deltas]
    assert kinds == sorted(kinds, key=lambda k: k == "answer")  # reasoning first, then the answer
    solution = events[-1]
    assert isinstance(solution, examqa.Solution) and solution.choice == 3 and solution.correct


@pytest.mark.parametrize("pieces", [["ab</th", "ink>cd"], ["<", "/", "think>", "x"], ["</think>"],
                                    ["a<", "b</think"], ["<think>\nr", "</think>a"]])
def test_think_splitter_holds_a_tag_split_across_pieces(pieces: list[str]) -> None:
    splitter = ThinkSplitter("k", thinking=True)
    deltas = [d for p in pieces for d in splitter.feed(p)] + splitter.flush()
    text = "".join(pieces).removeprefix("<think>")
    reasoning, _, answer = text.partition("</think>")
    if "</think>" not in text:
        reasoning, answer = text, ""
    assert "".join(d.text for d in deltas if d.kind == "reasoning") == reasoning
    assert "".join(d.text for d in deltas if d.kind == "answer") == answer


def _split_reply(call: Any) -> Reply:
    q = last_user(call)
    return Reply(body=completion("정답: 2", reasoning=f"{q[:5]} 검토"), delay_s=0.0, stream_piece=3)


def test_openai_stream_over_sse_matches_the_whole_response() -> None:
    with FakeOpenAIServer(_split_reply) as server:
        backend = examqa.backend("openai", model="fake-model", base_url=server.url)

        async def both() -> tuple[list[Any], Any]:
            try:
                events = [e async for e in examqa.astream("loss-adjuster", QUESTION, backend)]
                whole = await examqa.asolve("loss-adjuster", QUESTION, backend)
                return events, whole
            finally:
                await backend.aclose()

        events, whole = asyncio.run(both())
        streamed = [c for c in server.chat_calls() if c.body.get("stream")]
    assert len(streamed) == 1 and streamed[0].body["stream_options"] == {"include_usage": True}
    solution = events[-1]
    deltas = [e for e in events[:-1]]
    assert len([d for d in deltas if d.kind == "reasoning"]) > 1  # several chunks, shown as they came
    assert (solution.choice, solution.reasoning, solution.final) == (whole.choice, whole.reasoning, whole.final)
    assert solution.completion_tokens == whole.completion_tokens == 22


def test_a_stream_cut_midway_is_an_error_not_an_answer() -> None:
    with FakeOpenAIServer(lambda call: Reply(body=completion("정답: 2", reasoning="길게 생각"),
                                             stream_piece=1, drop_after_chunks=3)) as server:
        backend = examqa.backend("openai", model="fake-model", base_url=server.url, max_retries=1)

        async def run() -> list[Any]:
            try:
                return [e async for e in examqa.astream("loss-adjuster", QUESTION, backend)]
            finally:
                await backend.aclose()

        with pytest.raises(GenerationError, match="stream ended without"):
            asyncio.run(run())


def test_64_concurrent_asolve_calls_share_one_loop_and_all_run_at_once() -> None:
    """The shape of the speed target (docs/benchmarks.md has the figure): all 64 in flight together,
    on the caller's loop, with no thread started. (The server holds each request 1.5 s, long enough for a
    threaded test server on two busy cores to have all 64 in hand at once.)"""
    with FakeOpenAIServer(lambda call: Reply(body=completion("x</think>정답: 3"), delay_s=1.5)) as server:
        backend = examqa.backend("openai", model="fake-model", base_url=server.url, concurrency=64)
        before = set(threading.enumerate())
        seen: set[threading.Thread] = set()

        async def main() -> list[Any]:
            async def one() -> Any:
                seen.update(threading.enumerate())
                return await examqa.asolve("loss-adjuster", QUESTION, backend)

            try:
                await backend.aopen()
                return await asyncio.gather(*(one() for _ in range(64)))
            finally:
                await backend.aclose()

        solutions = asyncio.run(main())
        in_flight = server.max_in_flight
    assert in_flight == 64
    assert all(s.choice == 3 for s in solutions)
    # the only threads that came and went are the test server's, one per connection it accepted
    started = {t for t in seen - before if "process_request" not in t.name}
    assert not started, [t.name for t in started]


def test_the_concurrency_budget_is_shared_by_all_calls_on_a_loop() -> None:
    with FakeOpenAIServer(lambda call: Reply(body=completion("x</think>정답: 3"), delay_s=0.05)) as server:
        backend = examqa.backend("openai", model="fake-model", base_url=server.url, concurrency=5)

        async def main() -> None:
            try:
                await asyncio.gather(*(examqa.asolve("loss-adjuster", QUESTION, backend) for _ in range(20)))
            finally:
                await backend.aclose()

        asyncio.run(main())
        assert server.max_in_flight == 5


def test_a_backend_is_shared_across_threads_each_with_its_own_loop() -> None:
    with FakeOpenAIServer(lambda call: Reply(body=completion("x</think>정답: 3"), delay_s=0.02)) as server:
        backend = examqa.backend("openai", model="fake-model", base_url=server.url)
        results: list[int | None] = []
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                results.append(examqa.solve("loss-adjuster", QUESTION, backend).choice)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert not errors and results == [3] * 8


def test_sync_calls_refuse_to_block_a_running_loop_for_generation() -> None:
    backend = examqa.backend("openai", model="m", base_url="http://127.0.0.1:9/v1")

    async def inside() -> None:
        gen = backend.generate([GenRequest("Q#0", ({"role": "user", "content": "x"},))], Sampling())
        with pytest.raises(RuntimeError, match="use the async API"):
            next(gen)

    asyncio.run(inside())


# ------------------------------------------------------------------------------------ backend()


def test_backend_by_name_checks_its_settings() -> None:
    from examqa.backends import backend_names

    assert set(backend_names()) >= {"hf", "openai", "scripted"}
    with pytest.raises(PluginError, match=r"unknown backend 'nope'; known: .*openai"):
        examqa.backend("nope")
    with pytest.raises(InputError, match="takes no setting 'base_urls'"):
        examqa.backend("openai", model="m", base_urls=["http://x/v1"])
    with pytest.raises(InputError, match="needs base_url"):
        examqa.backend("openai", model="m")
    hf = examqa.backend("hf", model="/no/such/model")  # built lazily: nothing loads until it is used
    assert hf.info.name == "hf"


def test_library_names_are_lazy_and_documented() -> None:
    for name in examqa.__all__:
        assert getattr(examqa, name) is not None, name
    assert {"evaluate", "aevaluate", "solve", "asolve", "astream", "backend"} <= set(examqa.__all__)


def test_sync_calls_made_inside_a_running_loop_still_work(tmp_path: Path) -> None:
    """A notebook's cell runs inside a loop: evaluate and solve move to a helper thread instead of failing."""
    rows = loss_adjuster_rows(1)
    bank = write_native_bank(tmp_path / "bank.jsonl", rows)
    with FakeOpenAIServer(lambda call: Reply(body=completion("x</think>정답: 1"))) as server:
        backend = examqa.backend("openai", model="fake-model", base_url=server.url)

        async def cell() -> tuple[Any, Any]:
            report = examqa.evaluate("loss-adjuster", bank, backend, out=tmp_path / "run")
            return report, examqa.solve("loss-adjuster", QUESTION, backend)

        report, solution = asyncio.run(cell())
    assert report.run is not None and report.run.generated == len(rows)
    assert solution.choice == 1


def test_examqa_compare_is_the_function_even_after_its_module_loads(tmp_path: Path) -> None:
    import importlib

    importlib.import_module("examqa.comparison.runs")  # what suite reports do first
    assert callable(examqa.compare) and examqa.compare.__name__ == "compare"
