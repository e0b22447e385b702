"""The fault proxy injects what it says, and the openai backend survives all of it: one result per request."""

from __future__ import annotations

import time
from collections import Counter

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from examqa.backends.base import GenRequest, Sampling
from examqa.backends.openai import OpenAIBackend
from examqa.testing.fakeserver import FakeOpenAIServer
from examqa.testing.faultproxy import FAULTS, FaultPlan, FaultProxy

pytestmark = pytest.mark.timeout(120)

CHAT = {"model": "fake-model", "messages": [{"role": "user", "content": "Q7"}]}


# ------------------------------------------------------------------------------------ the plan


@pytest.mark.parametrize(("plan", "expected"), [
    (FaultPlan(), ["pass"] * 6),
    (FaultPlan.first(2, "error500"), ["error500", "error500", "pass", "pass", "pass", "pass"]),
    (FaultPlan.every_nth(3, "rate_limit"), ["pass", "pass", "rate_limit"] * 2),
    (FaultPlan(script=["drop_body", "pass"], every={"stall_drop": 2}),
     ["drop_body", "pass", "pass", "stall_drop", "pass", "stall_drop"]),
    (FaultPlan(rates={"error500": 1.0}), ["error500"] * 6),
])
def test_plan_sequences(plan: FaultPlan, expected: list[str]) -> None:
    assert [plan.fault_for(n) for n in range(6)] == expected


@given(seed=st.integers(0, 2**31), n=st.integers(0, 10_000))
def test_plan_is_a_pure_function_of_seed_and_number(seed: int, n: int) -> None:
    rates = {"error500": 0.2, "drop_body": 0.1, "stall_late": 0.05}
    assert FaultPlan(rates=rates, seed=seed).fault_for(n) == FaultPlan(rates=rates, seed=seed).fault_for(n)


def test_plan_rates_are_roughly_honoured() -> None:
    plan = FaultPlan(rates={"error500": 0.25, "rate_limit": 0.25}, seed=3)
    counts = Counter(plan.fault_for(n) for n in range(4000))
    assert 850 < counts["error500"] < 1150 and 850 < counts["rate_limit"] < 1150
    assert counts["pass"] + counts["error500"] + counts["rate_limit"] == 4000


@pytest.mark.parametrize("kwargs", [{"rates": {"boom": 0.1}}, {"rates": {"error500": 0.7, "drop_body": 0.5}},
                                    {"rates": {"error500": -0.1}}, {"script": ["nope"]},
                                    {"every": {"error500": 0}}])
def test_bad_plans_are_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        FaultPlan(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("upstream", ["http://example.com:80/v1", "https://127.0.0.1:8000/v1",
                                      "http://10.0.0.1:8000/v1", "http://127.0.0.1/v1"])
def test_proxy_only_talks_to_localhost(upstream: str) -> None:
    with pytest.raises(ValueError, match="only forwards to"):
        FaultProxy(upstream)


# ------------------------------------------------------------------------------------ each fault


def test_pass_through_keeps_path_and_counts() -> None:
    with FakeOpenAIServer() as server, FaultProxy(server.url) as proxy:
        assert proxy.url.endswith("/v1") and proxy.url != server.url
        models = httpx.get(f"{proxy.url}/models").json()
        chat = httpx.post(f"{proxy.url}/chat/completions", json=CHAT)
        stats = proxy.stats()
    assert models["data"][0]["id"] == "fake-model"
    assert chat.status_code == 200
    assert chat.json()["choices"][0]["message"]["content"].endswith("answer to Q7")
    assert (stats.received, stats.forwarded, stats.injected) == (2, 2, {})
    assert [c.path for c in server.calls] == ["/v1/models", "/v1/chat/completions"]


def test_error_and_rate_limit_are_answered_by_the_proxy() -> None:
    plan = FaultPlan(script=["error500", "rate_limit"])
    with FakeOpenAIServer() as server, FaultProxy(server.url, plan) as proxy:
        first = httpx.post(f"{proxy.url}/chat/completions", json=CHAT)
        second = httpx.post(f"{proxy.url}/chat/completions", json=CHAT)
        third = httpx.post(f"{proxy.url}/chat/completions", json=CHAT)
        stats = proxy.stats()
    assert first.status_code == 500
    assert second.status_code == 429 and second.headers["retry-after"] == "1"
    assert third.status_code == 200
    assert stats.forwarded == 1 and len(server.chat_calls()) == 1
    assert stats.injected == {"error500": 1, "rate_limit": 1}


def test_faults_skip_other_paths() -> None:
    with FakeOpenAIServer() as server, FaultProxy(server.url, FaultPlan(rates={"error500": 1.0})) as proxy:
        assert httpx.get(f"{proxy.url}/models").status_code == 200
        assert httpx.post(f"{proxy.url}/chat/completions", json=CHAT).status_code == 500


@pytest.mark.parametrize("fault", ["drop_headers", "drop_body"])
def test_dropped_connections_reach_upstream_but_lose_the_answer(fault: str) -> None:
    with FakeOpenAIServer() as server, FaultProxy(server.url, FaultPlan.first(1, fault)) as proxy:
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            httpx.post(f"{proxy.url}/chat/completions", json=CHAT)
        assert len(server.chat_calls()) == 1
        assert proxy.stats().forwarded == 1


def test_stall_drop_outlasts_the_client_and_never_reaches_upstream() -> None:
    with FakeOpenAIServer() as server, FaultProxy(server.url, FaultPlan.first(1, "stall_drop"),
                                                  stall_s=0.6) as proxy:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{proxy.url}/chat/completions", json=CHAT, timeout=0.2)
        assert time.monotonic() - started < 0.5
        time.sleep(0.6)
        assert server.chat_calls() == []


def test_stall_late_answers_after_the_stall() -> None:
    with FakeOpenAIServer() as server, FaultProxy(server.url, FaultPlan.first(1, "stall_late"),
                                                  stall_s=0.4) as proxy:
        started = time.monotonic()
        response = httpx.post(f"{proxy.url}/chat/completions", json=CHAT, timeout=5)
        assert time.monotonic() - started >= 0.4
        assert response.status_code == 200 and len(server.chat_calls()) == 1


def test_dead_upstream_is_a_502() -> None:
    with FakeOpenAIServer() as server:
        url = server.url
    with FaultProxy(url) as proxy:
        response = httpx.post(f"{proxy.url}/chat/completions", json=CHAT)
        assert response.status_code == 502 and proxy.stats().upstream_errors == 1


def test_closing_during_a_stall_does_not_hang() -> None:
    with FakeOpenAIServer() as server:
        proxy = FaultProxy(server.url, FaultPlan(rates={"stall_drop": 1.0}), stall_s=60)
        proxy.start()
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{proxy.url}/chat/completions", json=CHAT, timeout=0.2)
        started = time.monotonic()
        proxy.close()
        assert time.monotonic() - started < 5


# ------------------------------------------------------------------------------------ the backend survives


def _requests(n: int) -> list[GenRequest]:
    return [GenRequest(key=f"Q{i}#0", messages=({"role": "user", "content": f"Q{i}"},)) for i in range(n)]


def test_backend_through_every_fault_gives_one_success_per_request() -> None:
    n = 40
    # Every fault at least twice up front, then a seeded mix.
    script = [f for f in FAULTS if f != "pass"] * 2
    rates = {"error500": 0.1, "rate_limit": 0.05, "stall_drop": 0.05, "stall_late": 0.05,
             "drop_headers": 0.05, "drop_body": 0.1}
    plan = FaultPlan(script=script, rates=rates, seed=11)
    with FakeOpenAIServer() as server, FaultProxy(server.url, plan, stall_s=1.0) as proxy:
        backend = OpenAIBackend([proxy.url], "fake-model", concurrency=6, timeout_s=0.5,
                                max_retries=12, backoff_base_s=0.01, backoff_max_s=0.05)
        results = list(backend.generate(_requests(n), Sampling()))
        stats = proxy.stats()
    assert Counter(r.key for r in results) == Counter(f"Q{i}#0" for i in range(n))
    for r in results:
        qid = r.key.split("#")[0]
        assert r.finish_reason == "stop", r.error
        assert r.output == f"thinking about {qid}</think>answer to {qid}"
    assert set(stats.injected) == set(FAULTS) - {"pass"}
    assert all(count >= 2 for count in stats.injected.values())
    # Every attempt reached the proxy; drops and late stalls reached the server without being answered.
    assert stats.received == sum(r.extra["attempts"] for r in results)
    assert stats.forwarded == len(server.chat_calls()) >= n
    assert sum(r.extra["attempts"] for r in results) == n + sum(stats.injected.values())
