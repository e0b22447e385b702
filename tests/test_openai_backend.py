"""The openai backend against a scripted in-process server: bodies, response shapes, retries, spreading."""

from __future__ import annotations

import email.utils
import socket
import threading
import time
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from examqa.backends.base import GenRequest, GenResult, Sampling
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


def test_openai_api_key_is_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXAMQA_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    with FakeOpenAIServer() as server:
        run(make([server.url]), requests(1))
        assert server.chat_calls()[0].headers["authorization"] == f"Bearer {SECRET}"


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


def _loop_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "examqa-openai" and t.is_alive()]


def _fast_then_slow(call: Call) -> Reply | dict[str, Any]:
    return Reply(body=echo_reply(call), delay_s=0.0 if last_user(call) == "Q0" else 30.0)


def test_closing_early_cancels_and_does_not_hang() -> None:
    with FakeOpenAIServer(_fast_then_slow) as server:
        gen = make([server.url], concurrency=4).generate(requests(6), Sampling())
        first = next(gen)
        started = time.monotonic()
        gen.close()
        assert time.monotonic() - started < 3.0
    assert first.key == "Q0#0"
    assert not _loop_threads()


def test_keyboard_interrupt_propagates_and_stops_the_loop() -> None:
    with FakeOpenAIServer(_fast_then_slow) as server:
        gen = make([server.url], concurrency=4).generate(requests(6), Sampling())
        next(gen)
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            gen.throw(KeyboardInterrupt())
        assert time.monotonic() - started < 3.0
    assert not _loop_threads()


def test_an_unstarted_generator_starts_nothing() -> None:
    with FakeOpenAIServer() as server:
        gen = make([server.url]).generate(requests(3), Sampling())
        gen.close()
        assert server.calls == []
    assert list(make([server.url]).generate([], Sampling())) == []
