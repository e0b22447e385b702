"""The openai backend against a real vLLM server serving the tiny EXAONE 4.0 model (the ``server`` tier)."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from examqa.backends.base import GenRequest, GenResult, Sampling, TextDelta
from examqa.backends.openai import OpenAIBackend
from examqa.testing.faultproxy import FAULTS, FaultPlan, FaultProxy

pytestmark = [pytest.mark.server, pytest.mark.timeout(600)]

# Short completions: the point is the transport, not the (random-weight) text.
SAMPLING = Sampling(thinking=True, temperature=0.6, top_p=0.95, max_new_tokens=16, seed=0)


def _requests(n: int) -> list[GenRequest]:
    return [GenRequest(key=f"Q{i}#0", seed=i, messages=(
        {"role": "system", "content": "Answer with one number."},
        {"role": "user", "content": f"Question {i}: pick 1, 2, 3 or 4."})) for i in range(n)]


def _served_model(url: str) -> str:
    served = OpenAIBackend([url], "probe").check_health()
    ids = next(iter(served.values()))
    assert ids, "the vLLM server lists no model"
    return ids[0]


def _check(results: list[GenResult], n: int) -> None:
    assert Counter(r.key for r in results) == Counter(f"Q{i}#0" for i in range(n))
    for r in results:
        assert r.finish_reason in ("stop", "length"), r.error
        assert r.error is None
        assert r.prompt_tokens > 0
        assert 0 < r.completion_tokens <= SAMPLING.max_new_tokens
        if r.server_split:
            assert r.output.startswith(r.reasoning or "")
        assert r.prompt.startswith("[system]\nAnswer with one number.")


def _prompt_tokens(model_dir: Path, request: GenRequest, thinking: bool) -> int:
    """How many tokens the model's own chat template makes of ``request`` in the given mode."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    text = tokenizer.apply_chat_template(list(request.messages), tokenize=False, add_generation_prompt=True,
                                         enable_thinking=thinking)
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def test_vllm_serves_all_requests_at_concurrency_8(vllm_server: str) -> None:
    backend = OpenAIBackend([vllm_server], _served_model(vllm_server), concurrency=8, timeout_s=120,
                            max_retries=2)
    results = list(backend.generate(_requests(24), SAMPLING))
    _check(results, 24)
    # The fixture's server runs a reasoning parser: in reasoning mode every reply is split.
    assert all(r.server_split for r in results)
    assert {r.extra["reasoning_field"] for r in results} <= {"reasoning", "reasoning_content"}


@pytest.mark.parametrize("thinking", [True, False])
def test_vllm_applies_the_requested_mode(vllm_server: str, tiny_model_dir: Path, thinking: bool) -> None:
    """The server's prompt length matches the template in the asked mode: enable_thinking got through."""
    request = _requests(1)[0]
    backend = OpenAIBackend([vllm_server], _served_model(vllm_server), concurrency=1, max_retries=1)
    sampling = Sampling(thinking=thinking, temperature=0.0, max_new_tokens=8)
    (result,) = backend.generate([request], sampling)
    assert result.error is None
    assert result.prompt_tokens == _prompt_tokens(tiny_model_dir, request, thinking)
    assert result.prompt_tokens != _prompt_tokens(tiny_model_dir, request, not thinking)


def test_vllm_behind_the_fault_proxy_gives_one_success_per_request(vllm_server: str) -> None:
    n = 24
    plan = FaultPlan(script=[f for f in FAULTS if f != "pass"],
                     rates={"error500": 0.1, "rate_limit": 0.05, "drop_headers": 0.05, "drop_body": 0.1},
                     seed=5)
    model = _served_model(vllm_server)
    # The stall outlasts the client's timeout; a tiny model answers 16 tokens well within it.
    with FaultProxy(vllm_server, plan, stall_s=12.0) as proxy:
        backend = OpenAIBackend([proxy.url], model, concurrency=8, timeout_s=10.0, max_retries=10,
                                backoff_base_s=0.05, backoff_max_s=0.5)
        results = list(backend.generate(_requests(n), SAMPLING))
        stats = proxy.stats()
    _check(results, n)
    assert set(stats.injected) == set(FAULTS) - {"pass"}
    assert sum(r.extra["attempts"] for r in results) == n + sum(stats.injected.values())


def _raw_message(url: str, body: dict[str, object]) -> dict[str, object]:
    """The non-streamed message exactly as the server sends it (read without examqa)."""
    request = urllib.request.Request(f"{url}/chat/completions", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as reply:
        message: dict[str, object] = json.loads(reply.read())["choices"][0]["message"]
    return message


def _kind(items: list[object], kind: str) -> str:
    return "".join(i.text for i in items if isinstance(i, TextDelta) and i.kind == kind)


@pytest.mark.parametrize("thinking", [True, False])
def test_vllm_stream_labels_match_the_parsed_response(vllm_server: str, thinking: bool) -> None:
    """With a reasoning parser, a stream carries the reasoning field's deltas and then content deltas: joined,
    each kind equals the non-streamed ``reasoning``/``reasoning_content`` and ``content`` of the same request
    (seeded sampling: the same tokens), and the stream's final result is the whole response's."""
    model = _served_model(vllm_server)
    backend = OpenAIBackend([vllm_server], model, concurrency=8, timeout_s=120, max_retries=1)
    # Sampled, not greedy: the random-weight model then closes its reasoning within 48 tokens now and then.
    sampling = Sampling(thinking=thinking, temperature=1.0, top_p=1.0, max_new_tokens=48, seed=0)
    requests = _requests(16)
    raw = {r.key: _raw_message(vllm_server, backend.request_body(r, sampling)) for r in requests}
    whole = {r.key: r for r in backend.generate(requests, sampling)}

    async def stream_all() -> list[list[object]]:
        async def one(request: GenRequest) -> list[object]:
            return [item async for item in backend.astream(request, sampling)]

        try:
            return await asyncio.gather(*(one(r) for r in requests))
        finally:
            await backend.aclose()

    both = 0
    for request, items in zip(requests, asyncio.run(stream_all()), strict=True):
        message, result = raw[request.key], items[-1]
        reasoning = message.get("reasoning_content") or message.get("reasoning") or ""
        content = message.get("content") or ""
        assert isinstance(result, GenResult) and result.error is None
        assert (_kind(items, "reasoning"), _kind(items, "answer")) == (reasoning, content), request.key
        assert (result.output, result.reasoning, result.content) == \
            (whole[request.key].output, whole[request.key].reasoning, whole[request.key].content)
        kinds = [i.kind for i in items[:-1] if isinstance(i, TextDelta)]
        assert kinds == sorted(kinds, key=lambda k: k == "answer"), request.key
        both += bool(reasoning and content and "</think>" not in content)  # no tag left for a splitter
        if not thinking:
            assert not reasoning and content  # deepseek_v3 in non-reasoning mode: everything is the answer
    if thinking:
        assert both >= 1, "no completion closed its reasoning: the test would see no answer after reasoning"


def test_vllm_examqa_astream_shows_the_answer_as_the_answer(vllm_server: str) -> None:
    """What a tutoring screen sees through ``examqa.astream``: reasoning deltas, then answer deltas whose
    text is the answer the graded Solution was read from."""
    import examqa

    model = _served_model(vllm_server)
    backend = examqa.backend("openai", model=model, base_url=vllm_server, max_retries=1)
    question = {"subject": "보험업법", "stem": "「보험업법」상 옳은 것은?", "choices": ["가", "나", "다", "라"],
                "answer": 3}
    options = {"temperature": 1.0, "top_p": 1.0, "max_new_tokens": 48}

    async def search() -> tuple[list[object], object]:
        try:
            for seed in range(32):
                solution = await examqa.asolve("loss-adjuster", question, backend, seed=seed, **options)
                answer = solution.output.partition("</think>")[2]
                if len(answer) >= 4 and "</think>" not in answer:  # a few tokens, with no tag of its own
                    events = [e async for e in examqa.astream("loss-adjuster", question, backend, seed=seed,
                                                              **options)]
                    return events, solution
            raise AssertionError("no seed closed the reasoning within 48 tokens")
        finally:
            await backend.aclose()

    events, solution = asyncio.run(search())
    streamed = events[-1]
    assert isinstance(streamed, examqa.Solution) and isinstance(solution, examqa.Solution)
    assert streamed.output == solution.output  # the same seed: the same completion, streamed or not
    assert _kind(events, "reasoning") == solution.reasoning
    assert solution.output.endswith("</think>" + _kind(events, "answer"))
