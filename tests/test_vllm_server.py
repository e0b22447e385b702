"""A real vLLM server on the tiny model: same prompts, greedy, same text as the transformers backend.

Requests are raw HTTP (httpx), so these tests pin down vLLM's own behaviour that the ``openai``
backend builds on: how the reasoning parser splits a reasoning-mode completion, including one that
never closes ``</think>``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from examqa.backends.base import GenRequest, GenResult, Sampling

pytestmark = [pytest.mark.server, pytest.mark.model]

pytest.importorskip("torch", reason="torch is not installed (examqa[hf])")

from examqa.backends.hf import HFBackend  # noqa: E402

MAX_TOKENS = 48
# (system prompt or None, user prompt). With the seed-0 tiny model these cover both parser paths and
# both finish reasons (see the last test).
PROMPTS: list[tuple[str | None, str]] = [
    ("정답 번호를 고르시오.", "다음 중 옳은 것은?"),
    ("정답 번호를 고르시오.", "환자에게 투여할 약물은? ① 가 ② 나 ③ 다"),
    (None, "다음 중 옳은 것은?"),
    (None, "hello"),
    (None, "관세 신고 기준"),
    (None, "What is the answer?"),
    (None, "토지 가격 비교"),
    (None, "보험 약관 조항"),
]


def _messages(index: int) -> list[dict[str, str]]:
    system, user = PROMPTS[index]
    head = [{"role": "system", "content": system}] if system is not None else []
    return [*head, {"role": "user", "content": user}]


@pytest.fixture(scope="module")
def hf_results(tiny_model_dir: Path) -> dict[bool, list[GenResult]]:
    backend = HFBackend(tiny_model_dir, batch_size=8, device="cpu")
    requests = [GenRequest(key=f"q{i}#0", messages=tuple(_messages(i))) for i in range(len(PROMPTS))]
    # The backend answers longest prompt first; the tests index the results by prompt.
    order = {r.key: i for i, r in enumerate(requests)}
    return {
        thinking: sorted(backend.generate(requests, Sampling(thinking=thinking, temperature=0.0,
                                                              max_new_tokens=MAX_TOKENS)), key=lambda r: order[r.key])
        for thinking in (True, False)
    }


def _chat(base_url: str, index: int, thinking: bool) -> dict[str, Any]:
    body = {
        "model": "tiny-exaone",
        "messages": _messages(index),
        "temperature": 0,
        "max_tokens": MAX_TOKENS,
        "chat_template_kwargs": {"enable_thinking": thinking},
    }
    response = httpx.post(f"{base_url}/chat/completions", json=body, timeout=120)
    response.raise_for_status()
    data: dict[str, Any] = response.json()
    return data


def _reasoning(message: dict[str, Any]) -> str | None:
    # vLLM 0.32 names the field ``reasoning``; older releases ``reasoning_content``.
    value = message.get("reasoning", message.get("reasoning_content"))
    return value if isinstance(value, str) else None


def test_serves_the_tiny_model(vllm_server: str) -> None:
    models = httpx.get(f"{vllm_server}/models", timeout=30).json()
    assert [m["id"] for m in models["data"]] == ["tiny-exaone"]


@pytest.mark.parametrize("index", range(len(PROMPTS)))
def test_reasoning_mode_matches_transformers(vllm_server: str, hf_results: dict[bool, list[GenResult]],
                                             index: int) -> None:
    hf = hf_results[True][index]
    data = _chat(vllm_server, index, thinking=True)
    choice = data["choices"][0]
    message = choice["message"]
    reasoning, content = _reasoning(message), message.get("content")
    assert data["usage"]["prompt_tokens"] == hf.prompt_tokens
    assert data["usage"]["completion_tokens"] == hf.completion_tokens
    assert choice["finish_reason"] == hf.finish_reason
    if "</think>" in hf.output:
        # The parser splits at the first </think>: reasoning before, answer after (None if empty).
        before, _, after = hf.output.partition("</think>")
        assert (reasoning, content) == (before, after or None)
    else:
        # Never closed (normal for a random model, and for a real one cut off by the token limit):
        # everything is reasoning and there is no content at all, not even "".
        assert (reasoning, content) == (hf.output, None)


@pytest.mark.parametrize("index", range(len(PROMPTS)))
def test_non_reasoning_mode_matches_transformers(vllm_server: str,
                                                 hf_results: dict[bool, list[GenResult]], index: int) -> None:
    hf = hf_results[False][index]
    data = _chat(vllm_server, index, thinking=False)
    choice = data["choices"][0]
    # deepseek_v3 hands a non-reasoning request to the identity parser: the text is all content,
    # even where the random model wrote a stray </think>.
    assert choice["message"]["content"] == hf.output
    assert _reasoning(choice["message"]) is None
    assert choice["finish_reason"] == hf.finish_reason
    assert data["usage"]["completion_tokens"] == hf.completion_tokens


def test_prompts_exercise_both_parser_paths(hf_results: dict[bool, list[GenResult]]) -> None:
    # Guards the comparisons above: with this model and these prompts both the closed-reasoning and
    # the never-closed path occur, and both finish reasons in non-reasoning mode.
    thinking = hf_results[True]
    assert any("</think>" in r.output for r in thinking)
    assert any("</think>" not in r.output for r in thinking)
    assert {r.finish_reason for r in hf_results[False]} == {"stop", "length"}
