"""The openai backend against a real vLLM server serving the tiny EXAONE 4.0 model (the ``server`` tier)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from examqa.backends.base import GenRequest, GenResult, Sampling
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
