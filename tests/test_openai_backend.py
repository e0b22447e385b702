"""The openai backend against a scripted in-process server: bodies, response shapes, retries, spreading."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import gc
import json
import socket
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import examqa
from examqa.backends._wire import has_secrets, mask_secrets, secret_name
from examqa.backends.base import GenRequest, GenResult, Sampling, TextDelta
from examqa.backends.openai import OpenAIBackend, parse_retry_after, render_messages
from examqa.errors import BackendError
from examqa.testing.fakeserver import Call, FakeOpenAIServer, Reply, completion, echo_reply, last_user

pytestmark = pytest.mark.timeout(60)


def make(urls: list[str], **kw: Any) -> OpenAIBackend:
    """A backend with millisecond backoff, so retry tests run fast."""
    kw.setdefault("backoff_base_s", 0.005)
    kw.setdefault("backoff_max_s", 0.02)
    kw.setdefault("timeout_s", 10.0)
    kw.setdefault("connect_timeout_s", 2.0)
    return OpenAIBackend(urls, kw.pop("model", "fake-model"), **kw)


def requests(n: int, seed: int | None = None) -> list[GenRequest]:
    return [GenRequest(key=f"Q{i}#0", messages=({"role": "system", "content": "sys"},
                                                  {"role": "user", "content": f"Q{i}"}), seed=seed)
            for i in range(n)]


def run(backend: OpenAIBackend, reqs: list[GenRequest], sampling: Sampling | None = None
        ) -> dict[str, GenResult]:
    """Every result by key, asserting none is missing or duplicated."""
    results = list(backend.generate(reqs, sampling or Sampling()))
    keys = Counter(r.key for r in results)
    assert keys == Counter(r.key for r in reqs)
    return {r.key: r for r in results}


def dead_url() -> str:
    """A URL on a port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


# ------------------------------------------------------------------------------------ request bodies


def test_default_body_asks_for_reasoning_and_sends_no_stop() -> None:
    with FakeOpenAIServer() as server:
        run(make([server.url]), requests(1), Sampling(max_new_tokens=777, seed=5))
        body = server.chat_calls()[0].body
    assert body["model"] == "fake-model"
    assert body["messages"] == [{"role": "system", "content": "sys"}, {"role": "user", "content": "Q0"}]
    assert body["max_tokens"] == 777
    assert (body["temperature"], body["top_p"]) == (0.6, 0.95)
    assert body["seed"] == 5
    assert body["chat_template_kwargs"] == {"enable_thinking": True}
    assert "stop" not in body
    assert "presence_penalty" not in body


@pytest.mark.parametrize(("sampling", "request_seed", "expected"), [
    (Sampling(thinking=False), None, {"chat_template_kwargs": {"enable_thinking": False}}),
    (Sampling(seed=1), 42, {"seed": 42}),
    (Sampling(presence_penalty=1.5), None, {"presence_penalty": 1.5}),
    (Sampling(temperature=0.0), None, {"temperature": 0.0}),
])
def test_body_follows_sampling(sampling: Sampling, request_seed: int | None,
                               expected: dict[str, Any]) -> None:
    with FakeOpenAIServer() as server:
        run(make([server.url]), requests(1, seed=request_seed), sampling)
        body = server.chat_calls()[0].body
    for name, value in expected.items():
        assert body[name] == value


def test_no_seed_anywhere_sends_none() -> None:
    with FakeOpenAIServer() as server:
        run(make([server.url]), requests(1), Sampling(seed=None))
        assert "seed" not in server.chat_calls()[0].body


def test_extra_body_merges_nested_and_wins() -> None:
    extra = {"chat_template_kwargs": {"skip_think": False}, "top_k": 20, "temperature": 0.3}
    with FakeOpenAIServer() as server:
        run(make([server.url], extra_body=extra), requests(1))
        body = server.chat_calls()[0].body
    assert body["chat_template_kwargs"] == {"enable_thinking": True, "skip_think": False}
    assert body["top_k"] == 20
    assert body["temperature"] == 0.3


def test_send_thinking_false_leaves_template_kwargs_out() -> None:
    with FakeOpenAIServer() as server:
        run(make([server.url], send_thinking=False), requests(1))
        assert "chat_template_kwargs" not in server.chat_calls()[0].body


def test_prompt_is_rendered_messages() -> None:
    msgs = ({"role": "system", "content": "S"}, {"role": "user", "content": "U\nline"})
    assert render_messages(msgs) == "[system]\nS\n\n[user]\nU\nline"
    with FakeOpenAIServer() as server:
        result = run(make([server.url]), [GenRequest(key="k#0", messages=msgs)])["k#0"]
    assert result.prompt == render_messages(msgs)


# ------------------------------------------------------------------------------------ response shapes

SHAPES = [
    # id, reply, thinking, (output, reasoning, content, server_split, finish_reason)
    ("unsplit", completion("think</think>ans"), True, ("think</think>ans", None, None, False, "stop")),
    ("split reasoning_content", completion("ans", reasoning="think"), True,
     ("think</think>ans", "think", "ans", True, "stop")),
    ("split reasoning", completion("ans", reasoning="think", reasoning_field="reasoning"), True,
     ("think</think>ans", "think", "ans", True, "stop")),
    ("split cut off: no content", completion(None, reasoning="think…", finish_reason="length"), True,
     ("think…", "think…", None, True, "length")),
    ("unsplit cut off", completion("think…", finish_reason="length"), True,
     ("think…", None, None, False, "length")),
    ("content null, no reasoning", completion(None), True, ("", None, None, False, "stop")),
    ("thinking off, plain answer", completion("ans"), False, ("ans", None, None, False, "stop")),
    ("thinking off, r1 parser calls the answer reasoning", completion(None, reasoning="ans"), False,
     ("ans", None, "ans", True, "stop")),
    ("empty reasoning", completion("ans", reasoning=""), True, ("</think>ans", "", "ans", True, "stop")),
    ("unknown finish reason", completion("a</think>b", finish_reason="content_filter"), True,
     ("a</think>b", None, None, False, "stop")),
]


@pytest.mark.parametrize(("reply", "thinking", "expected"), [s[1:] for s in SHAPES],
                         ids=[s[0] for s in SHAPES])
def test_response_shapes(reply: dict[str, Any], thinking: bool,
                         expected: tuple[str, str | None, str | None, bool, str]) -> None:
    with FakeOpenAIServer(lambda call: reply) as server:
        r = run(make([server.url]), requests(1), Sampling(thinking=thinking))["Q0#0"]
    assert (r.output, r.reasoning, r.content, r.server_split, r.finish_reason) == expected
    assert r.error is None


def test_reasoning_field_can_be_pinned() -> None:
    reply = completion("ans", reasoning="think", reasoning_field="reasoning")
    with FakeOpenAIServer(lambda call: reply) as server:
        r = run(make([server.url], reasoning_field="reasoning_content"), requests(1))["Q0#0"]
    assert not r.server_split and r.output == "ans"


def test_usage_is_recorded() -> None:
    reply = completion("ans", reasoning="t", prompt_tokens=123, completion_tokens=456, reasoning_tokens=400)
    with FakeOpenAIServer(lambda call: reply) as server:
        r = run(make([server.url]), requests(1))["Q0#0"]
    assert (r.prompt_tokens, r.completion_tokens, r.reasoning_tokens) == (123, 456, 400)
    assert r.latency_s > 0
    assert r.extra["attempts"] == 1


def test_usage_missing_is_zero() -> None:
    reply = completion("ans")
    del reply["usage"]
    with FakeOpenAIServer(lambda call: reply) as server:
        r = run(make([server.url]), requests(1))["Q0#0"]
    assert (r.prompt_tokens, r.completion_tokens, r.reasoning_tokens) == (0, 0, None)


# ------------------------------------------------------------------------------------ throughput


def test_concurrency_bound_is_honoured() -> None:
    with FakeOpenAIServer(lambda call: Reply(body=echo_reply(call), delay_s=0.05)) as server:
        results = run(make([server.url], concurrency=3), requests(24))
        assert server.max_in_flight == 3
    assert all(r.output.endswith(f"answer to {r.key.split('#')[0]}") for r in results.values())


def test_requests_spread_across_base_urls() -> None:
    slow = lambda call: Reply(body=echo_reply(call), delay_s=0.02)  # noqa: E731
    with FakeOpenAIServer(slow) as a, FakeOpenAIServer(slow) as b:
        results = run(make([a.url, b.url], concurrency=4), requests(40))
        served = (len(a.chat_calls()), len(b.chat_calls()))
        assert max(a.max_in_flight, b.max_in_flight) <= 4
    assert sum(served) == 40
    assert min(served) >= 12, served
    assert {r.extra["base_url"] for r in results.values()} == {a.url, b.url}


def test_a_dead_url_is_skipped_while_another_works() -> None:
    with FakeOpenAIServer() as live:
        results = run(make([dead_url(), live.url], concurrency=2, max_retries=3), requests(20))
    assert all(r.finish_reason == "stop" for r in results.values())
    assert len(live.chat_calls()) == 20


# ------------------------------------------------------------------------------------ retries


def test_retry_after_is_honoured() -> None:
    def reply(call: Call) -> Reply | dict[str, Any]:
        if call.index == 0:
            return Reply(status=429, headers={"Retry-After": "1"}, body={"error": {"message": "busy"}})
        return echo_reply(call)

    with FakeOpenAIServer(reply) as server:
        r = run(make([server.url]), requests(1))["Q0#0"]
        calls = server.chat_calls()
    assert r.finish_reason == "stop"
    assert len(calls) == 2
    assert calls[1].started - calls[0].started >= 1.0
    assert r.extra["attempts"] == 2


@pytest.mark.parametrize(("status", "retried"), [
    (400, False), (401, False), (403, False), (404, False), (422, False),
    (408, True), (409, True), (429, True), (500, True), (502, True), (503, True), (504, True),
])
def test_which_statuses_are_retried(status: int, retried: bool) -> None:
    def reply(call: Call) -> Reply | dict[str, Any]:
        if call.index == 0:
            return Reply(status=status, body={"error": {"message": f"scripted {status}"}})
        return echo_reply(call)

    with FakeOpenAIServer(reply) as server:
        r = run(make([server.url]), requests(1))["Q0#0"]
        attempts = len(server.chat_calls())
    if retried:
        assert (attempts, r.finish_reason, r.error) == (2, "stop", None)
    else:
        assert attempts == 1
        assert r.finish_reason == "error" and r.output == ""
        assert r.error is not None and f"HTTP {status}: scripted {status}" in r.error


def test_bad_request_message_is_kept_from_vllm_shape() -> None:
    body = {"object": "error", "message": "This model's maximum context length is 4096 tokens.",
            "type": "BadRequestError", "code": 400}
    with FakeOpenAIServer(lambda call: Reply(status=400, body=body)) as server:
        r = run(make([server.url]), requests(1))["Q0#0"]
    assert r.error is not None and "maximum context length is 4096" in r.error


@pytest.mark.parametrize("bad", [b"not json", b'{"choices": []}', b'{"choices": [{"message": {"con',
                                 b'{"choices": [{"message": "text"}]}', b"[]"])
def test_malformed_bodies_are_retried(bad: bytes) -> None:
    def reply(call: Call) -> Reply | dict[str, Any]:
        return Reply(body=bad) if call.index == 0 else echo_reply(call)

    with FakeOpenAIServer(reply) as server:
        r = run(make([server.url]), requests(1))["Q0#0"]
        assert len(server.chat_calls()) == 2
    assert r.finish_reason == "stop"


def test_persistent_failure_is_an_error_result_not_an_answer() -> None:
    overloaded = Reply(status=503, body={"error": {"message": "overloaded"}})
    with FakeOpenAIServer(lambda call: overloaded) as server:
        r = run(make([server.url], max_retries=3), requests(1))["Q0#0"]
        assert len(server.chat_calls()) == 4
    assert r.finish_reason == "error"
    assert r.output == "" and r.content is None
    assert r.error is not None and "overloaded" in r.error and "4 attempt(s)" in r.error


def test_timeout_is_retried() -> None:
    def reply(call: Call) -> Reply | dict[str, Any]:
        return Reply(body=echo_reply(call), delay_s=1.0 if call.index == 0 else 0.0)

    with FakeOpenAIServer(reply) as server:
        r = run(make([server.url], timeout_s=0.3), requests(1))["Q0#0"]
        assert len(server.chat_calls()) == 2
    assert r.finish_reason == "stop"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=st.lists(st.sampled_from(["ok", "500", "429", "400", "junk"]), min_size=1, max_size=30),
       n=st.integers(1, 12), concurrency=st.integers(1, 5))
def test_every_request_ends_exactly_once(plan: list[str], n: int, concurrency: int) -> None:
    """Whatever the server does, each request yields one result; successes carry their own answer."""
    def reply(call: Call) -> Reply | dict[str, Any]:
        kind = plan[call.index % len(plan)]
        if kind == "ok":
            return echo_reply(call)
        if kind == "junk":
            return Reply(body=b"{")
        return Reply(status=int(kind), headers={"Retry-After": "0"}, body={"error": {"message": kind}})

    with FakeOpenAIServer(reply) as server:
        results = run(make([server.url], concurrency=concurrency, max_retries=4), requests(n))
    for key, r in results.items():
        if r.finish_reason == "error":
            assert r.output == "" and r.error
        else:
            assert r.output == f"thinking about {key[:-2]}</think>answer to {key[:-2]}"
    if concurrency == 1:
        # One at a time, a request's attempts take consecutive calls: the outcome is exactly predictable.
        call, expected = 0, {}
        for req in requests(n):
            for _ in range(5):  # max_retries=4
                kind = plan[call % len(plan)]
                call += 1
                if kind in ("ok", "400"):
                    break
            expected[req.key] = "stop" if kind == "ok" else "error"
        assert {k: r.finish_reason for k, r in results.items()} == expected


@pytest.mark.parametrize(("header", "expected"), [
    (None, None), ("", None), ("1", 1.0), ("0", 0.0), ("2.5", 2.5), ("-3", None), ("soon", None),
    ("nan", None), ("inf", None),
])
def test_parse_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_parse_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after(email.utils.formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30)
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0


# ------------------------------------------------------------------------------------ dead servers


def test_dead_server_gives_error_results_after_retries() -> None:
    url = dead_url()
    results = run(make([url], max_retries=2, concurrency=2), requests(4))
    for r in results.values():
        assert r.finish_reason == "error"
        assert r.error is not None and "connection refused" in r.error and "3 attempt(s)" in r.error


def test_a_fleet_down_for_long_fails_fast() -> None:
    backend = make([dead_url()], max_retries=6, concurrency=1, backoff_base_s=0.01, backoff_max_s=0.01)
    backend.down_after_s = 0.0
    results = run(backend, requests(5))
    assert all(r.extra["attempts"] == 1 for r in results.values())
    assert all("unreachable" in (r.error or "") for r in results.values())


def test_check_health_names_the_dead_url() -> None:
    url = dead_url()
    with pytest.raises(BackendError) as err:
        make([url]).check_health()
    assert str(err.value) == f"cannot reach {url}: connection refused — is the server running?"


def test_check_health_lists_models_and_flags_bad_paths() -> None:
    with FakeOpenAIServer(models=("m1", "m2")) as server:
        assert make([server.url]).check_health() == {server.url: ["m1", "m2"]}
        with pytest.raises(BackendError, match="ends in /v1"):
            make([server.url.removesuffix("/v1")]).check_health()


@pytest.mark.parametrize(("urls", "kw", "message"), [
    ([], {}, "at least one base URL"),
    (["localhost:8000/v1"], {}, "not an http"),
    (["http://127.0.0.1:8000/v1"], {"concurrency": 0}, "concurrency must be at least 1"),
])
def test_bad_settings_are_backend_errors(urls: list[str], kw: dict[str, Any], message: str) -> None:
    with pytest.raises(BackendError, match=message):
        OpenAIBackend(urls, "m", **kw)


# ------------------------------------------------------------------------------------ the API key

SECRET = "sk-test-not-a-real-key-123"


def test_api_key_is_sent_but_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXAMQA_API_KEY", SECRET)
    # Real servers echo a rejected key back in the error message.
    rejected = Reply(status=401, body={"error": {"message": f"Incorrect API key provided: {SECRET}"}})
    with FakeOpenAIServer(lambda call: rejected, models_reply=rejected) as server:
        backend = make([server.url])
        r = run(backend, requests(1))["Q0#0"]
        assert server.chat_calls()[0].headers["authorization"] == f"Bearer {SECRET}"
        with pytest.raises(BackendError) as err:
            backend.check_health()
    assert "set EXAMQA_API_KEY" in str(err.value)
    assert backend.info.settings["api_key_set"] is True
    assert backend.info.settings["api_key_env"] == "EXAMQA_API_KEY"
    for shown in (repr(backend), str(backend.info), r.error or "", str(err.value)):
        assert SECRET not in shown
    assert "***" in (r.error or "")


def test_openai_api_key_is_not_sent_to_another_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """OPENAI_API_KEY was given for OpenAI: a local vLLM (or anyone's proxy) does not receive it unasked."""
    monkeypatch.delenv("EXAMQA_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    rejected = Reply(status=401, body={"error": {"message": "missing key"}})
    with FakeOpenAIServer(models_reply=rejected) as server:
        backend = make([server.url])
        run(backend, requests(1))
        assert "authorization" not in server.chat_calls()[0].headers
        with pytest.raises(BackendError) as err:
            backend.check_health()
    assert backend.info.settings["api_key_set"] is False
    # The 401 says what to do, including how to send that key here on purpose.
    assert "set EXAMQA_API_KEY" in str(err.value) and "api_key_env=OPENAI_API_KEY" in str(err.value)


def test_a_named_key_variable_is_sent_wherever_it_is_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXAMQA_API_KEY", "sk-examqa-default-not-this-one")
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    with FakeOpenAIServer() as server:
        backend = examqa.backend("openai", model="fake-model", base_url=server.url, api_key_env="OPENAI_API_KEY")
        list(backend.generate(requests(1), Sampling()))
        assert server.chat_calls()[0].headers["authorization"] == f"Bearer {SECRET}"
    assert backend.info.settings["api_key_env"] == "OPENAI_API_KEY"


@pytest.mark.parametrize(("url", "examqa_key", "expected"), [
    ("https://api.openai.com/v1", None, ("OPENAI_API_KEY", True)),       # OpenAI's own API: its own key
    ("https://api.openai.com/v1", "sk-examqa-key-0123456789", ("EXAMQA_API_KEY", True)),  # examqa's wins
    ("http://api.openai.com/v1", None, ("EXAMQA_API_KEY", False)),       # not over plain http
    ("https://api.openai.com.evil.example/v1", None, ("EXAMQA_API_KEY", False)),
    ("https://api.friendli.ai/serverless/v1", None, ("EXAMQA_API_KEY", False)),
    ("http://127.0.0.1:8000/v1", None, ("EXAMQA_API_KEY", False)),
])
def test_which_variable_the_key_comes_from(monkeypatch: pytest.MonkeyPatch, url: str, examqa_key: str | None,
                                           expected: tuple[str, bool]) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    if examqa_key is None:
        monkeypatch.delenv("EXAMQA_API_KEY", raising=False)
    else:
        monkeypatch.setenv("EXAMQA_API_KEY", examqa_key)
    settings = OpenAIBackend([url], "m").info.settings
    assert (settings["api_key_env"], settings["api_key_set"]) == expected


PLAIN_HTTP_ELSEWHERE = ["http://10.0.0.7:8000/v1", "http://gpu-a:8000/v1", "http://vllm.example.com/v1",
                        "http://[2001:db8::1]:8000/v1"]


@pytest.mark.parametrize("url", PLAIN_HTTP_ELSEWHERE)
def test_a_key_never_goes_over_plain_http_to_another_machine(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("EXAMQA_API_KEY", SECRET)
    with pytest.raises(BackendError) as err:
        examqa.backend("openai", model="m", base_url=["http://127.0.0.1:8000/v1", url])
    message = str(err.value)
    assert "\n" not in message and SECRET not in message
    assert "plain http" in message and "EXAMQA_API_KEY" in message
    assert "https://" in message and "allow_http_key=True" in message  # the fixes, named
    # Opting in on a trusted network is explicit, and recorded.
    allowed = examqa.backend("openai", model="m", base_url=url, allow_http_key=True)
    assert allowed.info.settings["allow_http_key"] is True and allowed.info.settings["api_key_set"] is True


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/v1", "http://127.9.9.9:1/v1", "http://localhost:8000/v1",
                                 "http://[::1]:8000/v1", "https://10.0.0.7:8000/v1", "https://gpu-a/v1"])
def test_a_key_may_go_to_this_machine_or_over_https(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("EXAMQA_API_KEY", SECRET)
    assert OpenAIBackend([url], "m").info.settings["api_key_set"] is True


def test_without_a_key_plain_http_anywhere_is_fine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXAMQA_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)  # not for these servers: not a reason to refuse them
    assert OpenAIBackend(PLAIN_HTTP_ELSEWHERE, "m").info.settings["api_key_set"] is False


@pytest.mark.parametrize(("kw", "what"), [
    ({"base_urls": ["http://user:pw@10.0.0.7:8000/v1"]}, "credentials in the base URL"),
    ({"extra_body": {"api_key": "k-123"}}, "secret in extra_body"),
    ({"extra_body": {"vendor": {"headers": {"Authorization": "Bearer abc"}}}}, "secret in extra_body"),
])
def test_other_credentials_do_not_go_over_plain_http_either(monkeypatch: pytest.MonkeyPatch, kw: dict[str, Any],
                                                            what: str) -> None:
    monkeypatch.delenv("EXAMQA_API_KEY", raising=False)
    urls = kw.pop("base_urls", ["http://10.0.0.7:8000/v1"])
    with pytest.raises(BackendError, match=what):
        OpenAIBackend(urls, "m", **kw)
    OpenAIBackend(urls, "m", allow_http_key=True, **kw)


def test_the_cli_refuses_a_key_over_plain_http_in_one_line(tmp_path: Path) -> None:
    from helpers import loss_adjuster_rows, run_cli, write_native_bank

    bank = write_native_bank(tmp_path / "bank.jsonl", loss_adjuster_rows(1))
    res = run_cli("grade", "loss-adjuster", "--bank", str(bank), "--backend", "openai", "--model", "m",
                  "--base-url", "http://10.0.0.7:8000/v1", "--out", str(tmp_path / "run"),
                  env={"EXAMQA_API_KEY": SECRET})
    assert res.returncode == 2, res.stderr
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "allow_http_key=true" in lines[0] and "Traceback" not in res.stderr
    assert SECRET not in res.stderr and not (tmp_path / "run").exists()


SECRET_BODY = {
    "api_key": "plain-secret-1", "X-Auth-Token": "plain-secret-2",
    "vendor": {"headers": {"Authorization": "Bearer plain-secret-3"}, "clientSecret": "plain-secret-4"},
    "keys": ["sk-abcdefghijklmnopqrstuvwx"],
    "top_k": 20, "max_tokens": 64, "stop_token_ids": [361], "chat_template_kwargs": {"skip_think": False},
}


def test_secret_looking_extra_body_entries_are_sent_but_masked_in_what_is_recorded(tmp_path: Path) -> None:
    with FakeOpenAIServer(lambda call: completion("x</think>정답: 1")) as server:
        backend = examqa.backend("openai", model="fake-model", base_url=server.url, extra_body=SECRET_BODY)
        bank = examqa.load_bank("exams/samples/papers/customs-broker.jsonl")
        examqa.evaluate("customs-broker", bank, backend, out=tmp_path / "run", limit=1)
        sent = server.chat_calls()[0].body
    assert sent["api_key"] == "plain-secret-1" and sent["vendor"]["headers"]["Authorization"] == "Bearer plain-secret-3"
    shown = backend.info.settings["extra_body"]
    assert shown["top_k"] == 20 and shown["max_tokens"] == 64 and shown["stop_token_ids"] == [361]
    assert shown["chat_template_kwargs"] == {"skip_think": False}
    assert shown["api_key"] == shown["X-Auth-Token"] == shown["vendor"]["headers"]["Authorization"] == "***"
    assert shown["vendor"]["clientSecret"] == "***" and shown["keys"] == ["***"]
    recorded = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "run").iterdir() if p.is_file())
    assert "manifest" in "".join(p.name for p in (tmp_path / "run").iterdir())
    for n in range(1, 5):
        assert f"plain-secret-{n}" not in recorded and f"plain-secret-{n}" not in repr(backend)
    assert "sk-abcdefghijklmnopqrstuvwx" not in recorded


@pytest.mark.parametrize(("name", "secret"), [
    ("api_key", True), ("apiKey", True), ("X-Api-Key", True), ("hf_token", True), ("access_token", True),
    ("Authorization", True), ("client_secret", True), ("password", True), ("auth", True), ("key", True),
    ("max_tokens", False), ("stop_token_ids", False), ("return_tokens_as_token_ids", False), ("top_k", False),
    ("chat_template_kwargs", False), ("author", False), ("keywords", False), ("skip_special_tokens", False),
])
def test_secret_names(name: str, secret: bool) -> None:
    assert secret_name(name) is secret


json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12))
json_value = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)


@settings(max_examples=200, deadline=None)
@given(body=st.dictionaries(st.text(max_size=8), json_value, max_size=5), where=st.lists(st.text(max_size=6),
       min_size=1, max_size=3), name=st.sampled_from(["api_key", "token", "Authorization", "password", "note"]))
def test_a_masked_body_never_shows_the_secret(body: dict[str, Any], where: list[str], name: str) -> None:
    """Wherever a key sits — under a secret-looking name or any other, at any depth — the masked copy
    never contains it, and masking changes nothing that is neither secret-named nor secret-shaped."""
    secret = "s3cr3t-VALUE-0042"
    nested: dict[str, Any] = {name: secret}
    for step in where:
        nested = {step: nested}
    merged = {**body, "__k": nested}
    masked = mask_secrets(merged, known=[secret])
    assert secret not in json.dumps(masked, ensure_ascii=False)
    assert masked == mask_secrets(masked, known=[secret])  # idempotent
    plain = {k: v for k, v in body.items() if not has_secrets(v) and not secret_name(k)}
    assert mask_secrets(plain) == json.loads(json.dumps(plain))


def test_no_key_no_header(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXAMQA_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with FakeOpenAIServer() as server:
        backend = make([server.url])
        run(backend, requests(1))
        assert "authorization" not in server.chat_calls()[0].headers
    assert backend.info.settings["api_key_set"] is False


def test_url_credentials_are_redacted() -> None:
    backend = OpenAIBackend(["http://user:pw@127.0.0.1:1/v1"], "m")
    assert "pw" not in repr(backend) and "pw" not in str(backend.info)
    assert backend.info.settings["base_urls"] == ["http://***@127.0.0.1:1/v1"]


# ------------------------------------------------------------------------------------ stopping early


def _unclosed_sessions() -> list[aiohttp.ClientSession]:
    """Every aiohttp session still open in this process (a pool someone forgot)."""
    gc.collect()
    return [o for o in gc.get_objects() if type(o) is aiohttp.ClientSession and not o.closed]


def _own_threads(before: set[threading.Thread]) -> list[str]:
    """Threads alive now that were not before, other than the test server's connection handlers."""
    return [t.name for t in threading.enumerate()
            if t not in before and t.is_alive() and "process_request" not in t.name]


def _fast_then_slow(call: Call) -> Reply | dict[str, Any]:
    return Reply(body=echo_reply(call), delay_s=0.0 if last_user(call) == "Q0" else 30.0)


def test_closing_early_cancels_and_does_not_hang() -> None:
    """The sync side runs on a private loop in this thread: no thread, and its pool closes with it."""
    with FakeOpenAIServer(_fast_then_slow) as server:
        before = set(threading.enumerate())
        backend = make([server.url], concurrency=4)
        gen = backend.generate(requests(6), Sampling())
        first = next(gen)
        assert len(_unclosed_sessions()) == 1  # the private loop's pool, open while the requests are in flight
        assert _own_threads(before) == []
        started = time.monotonic()
        gen.close()
        assert time.monotonic() - started < 3.0
        assert _unclosed_sessions() == [] and backend.open_pools == 0
    assert first.key == "Q0#0"


def test_keyboard_interrupt_propagates_and_stops_the_loop() -> None:
    with FakeOpenAIServer(_fast_then_slow) as server:
        before = set(threading.enumerate())
        backend = make([server.url], concurrency=4)
        gen = backend.generate(requests(6), Sampling())
        next(gen)
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            gen.throw(KeyboardInterrupt())
        assert time.monotonic() - started < 3.0
        assert _own_threads(before) == []
        assert _unclosed_sessions() == [] and backend.open_pools == 0
        with pytest.raises(StopIteration):
            next(gen)  # finished: nothing is left running behind it


def test_an_unstarted_generator_starts_nothing() -> None:
    with FakeOpenAIServer() as server:
        gen = make([server.url]).generate(requests(3), Sampling())
        gen.close()
        assert server.calls == []
    assert list(make([server.url]).generate([], Sampling())) == []


# ------------------------------------------------------------------------------------ streaming

def _stream(backend: OpenAIBackend, request: GenRequest, sampling: Sampling) -> list[Any]:
    async def collect() -> list[Any]:
        try:
            return [item async for item in backend.astream(request, sampling)]
        finally:
            await backend.aclose()

    return asyncio.run(collect())


def _joined(items: list[Any], kind: str) -> str:
    return "".join(i.text for i in items if isinstance(i, TextDelta) and i.kind == kind)


STREAM_STYLES = [
    # id, reply, thinking, (reasoning, answer) the deltas must spell
    ("parser: reasoning_content", completion("정답: 2 입니다", reasoning="보기 ②를 검토한다."), True,
     ("보기 ②를 검토한다.", "정답: 2 입니다")),
    ("parser: reasoning (vLLM >= 0.11)", completion("\n\n정답: 4", reasoning="r" * 30, reasoning_field="reasoning"),
     True, ("r" * 30, "\n\n정답: 4")),
    ("parser: an answer that mentions </think>", completion("태그 </think> 뒤: 정답 1", reasoning="생각"), True,
     ("생각", "태그 </think> 뒤: 정답 1")),
    ("parser, cut off in the reasoning", completion(None, reasoning="길게 생각…", finish_reason="length"), True,
     ("길게 생각…", "")),
    ("inline </think>", completion("생각을 정리한다</think>\n\n정답: 3"), True, ("생각을 정리한다", "\n\n정답: 3")),
    ("inline, an echoed <think>", completion("<think>\n생각</think>정답: 1"), True, ("\n생각", "정답: 1")),
    ("inline, never closed", completion("끝없는 생각", finish_reason="length"), True, ("끝없는 생각", "")),
    ("non-reasoning mode", completion("정답: 2"), False, ("", "정답: 2")),
]


@pytest.mark.parametrize("piece", [1, 3, 64])
@pytest.mark.parametrize(("reply", "thinking", "expected"), [s[1:] for s in STREAM_STYLES],
                         ids=[s[0] for s in STREAM_STYLES])
def test_stream_deltas_are_labelled_as_the_server_split_them(reply: dict[str, Any], thinking: bool,
                                                            expected: tuple[str, str], piece: int) -> None:
    """Once a stream has carried reasoning in its own field, content is the answer; a server that sends
    ``</think>`` inline is split at the tag. The deltas spell what the whole result holds."""
    with FakeOpenAIServer(lambda call: Reply(body=reply, stream_piece=piece)) as server:
        backend = make([server.url])
        items = _stream(backend, requests(1)[0], Sampling(thinking=thinking))
        whole = run(backend, requests(1), Sampling(thinking=thinking))["Q0#0"]
    *deltas, result = items
    assert isinstance(result, GenResult) and all(isinstance(d, TextDelta) for d in deltas)
    assert (_joined(deltas, "reasoning"), _joined(deltas, "answer")) == expected
    kinds = [d.kind for d in deltas]
    assert kinds == sorted(kinds, key=lambda k: k == "answer")  # reasoning, then the answer: never back
    assert (result.output, result.reasoning, result.content) == (whole.output, whole.reasoning, whole.content)
    if result.server_split and thinking:
        assert (_joined(deltas, "reasoning"), _joined(deltas, "answer")) == (result.reasoning, result.content or "")


# ------------------------------------------------------------------------------------ slots and streams


def test_the_url_is_chosen_once_the_slot_is_taken() -> None:
    """Twelve calls share one slot: each picks its URL when its turn comes, so after one 503 the failing
    replica rests, and none of the calls that were already waiting is sent to it."""
    busy = Reply(status=503, body={"error": {"message": "overloaded"}})
    with FakeOpenAIServer(lambda call: busy) as bad, FakeOpenAIServer() as good:
        backend = make([bad.url, good.url], concurrency=1)

        async def one(request: GenRequest) -> GenResult:
            (result,) = [r async for r in backend.agenerate([request], Sampling())]
            return result

        async def main() -> list[GenResult]:
            try:
                return await asyncio.gather(*(one(r) for r in requests(12)))
            finally:
                await backend.aclose()

        results = asyncio.run(main())
        assert len(bad.chat_calls()) == 1
    assert all(r.finish_reason == "stop" for r in results)


def _slow_stream(call: Call) -> Reply:
    return Reply(body=completion("정답: 1", reasoning="생각 " * 40), stream_piece=2, chunk_delay_s=0.05)


def test_a_stream_left_unread_holds_neither_slot_nor_response() -> None:
    """A consumer that reads one delta and walks away (keeping the stream object) does not starve the
    others: the response is read to its end in the background and the slot freed."""
    with FakeOpenAIServer(lambda call: Reply(body=completion("x</think>정답: 3"))
                          if not call.body.get("stream") else _slow_stream(call)) as server:
        backend = make([server.url], concurrency=1)

        async def main() -> GenResult:
            stream = backend.astream(requests(1)[0], Sampling())
            first = await anext(stream)
            assert isinstance(first, TextDelta)
            try:
                async for other in backend.agenerate(requests(1), Sampling()):
                    return other  # would wait forever if the abandoned stream kept the only slot
                raise AssertionError("no result")
            finally:
                await stream.aclose()
                await backend.aclose()

        other = asyncio.run(asyncio.wait_for(main(), 20))
    assert other.finish_reason == "stop"


def test_cancelling_a_stream_reader_cancels_the_request_at_once() -> None:
    """The task reading a stream is cancelled mid-stream: the request is cancelled with it, and the slot
    is free for the next request at once."""
    with FakeOpenAIServer(lambda call: Reply(body=completion("x</think>정답: 3"))
                          if not call.body.get("stream") else _slow_stream(call)) as server:
        backend = make([server.url], concurrency=1)

        async def main() -> float:
            got_one = asyncio.Event()

            async def reader() -> None:
                async for item in backend.astream(requests(1)[0], Sampling()):
                    got_one.set()
                    assert not isinstance(item, GenResult)

            task = asyncio.create_task(reader())
            await got_one.wait()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            t0 = time.monotonic()
            try:
                async for _ in backend.agenerate(requests(1), Sampling()):
                    return time.monotonic() - t0
                raise AssertionError("no result")
            finally:
                await backend.aclose()

        waited = asyncio.run(asyncio.wait_for(main(), 20))
    assert waited < 1.0  # the stream would have taken 80 chunks × 50 ms to finish
