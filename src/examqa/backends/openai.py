"""The ``openai`` backend: chat completions from vLLM-class OpenAI-compatible servers.

One :class:`OpenAIBackend` talks to one or more base URLs (``http://host:port/v1``: replicas of the same
model) with a bounded number of requests in flight, spread least-in-flight first, and retries what a
busy or flaky server throws at a long run: 429 (honouring ``Retry-After``), 5xx, 408/409, timeouts,
refused or dropped connections and malformed bodies, with exponential backoff and full jitter. A
request that still fails comes back as a result with ``finish_reason="error"`` — never as an answer.

Reasoning mode is asked for per request with ``chat_template_kwargs: {"enable_thinking": …}``. A server
run with a reasoning parser (vLLM ``--reasoning-parser``) returns the thinking in ``reasoning_content``
or ``reasoning`` and the answer in ``content``; one without returns ``reasoning</think>answer`` (the
prompt opened ``<think>``) in ``content``. Both end up in a :class:`GenResult` the engine grades alike.

Threads and Ctrl-C: :meth:`OpenAIBackend.generate` is a plain generator. It runs an asyncio loop in a
daemon thread and hands each result over a queue the moment it arrives. Ctrl-C raises
KeyboardInterrupt in the main thread, i.e. in the consumer; when the consumer stops iterating (the
engine closes the generator in a ``finally``) the generator cancels the requests in flight, waits a few
seconds for the loop to wind down, and returns. Results not yet received are simply not stored, so
``--resume`` regenerates them.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import logging
import math
import os
import queue
import random
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import httpx

from examqa.backends.base import BackendInfo, FinishReason, GenRequest, GenResult, Sampling
from examqa.errors import BackendError

__all__ = ["OpenAIBackend", "parse_retry_after", "render_messages"]

log = logging.getLogger(__name__)

REASONING_FIELDS = ("reasoning_content", "reasoning")
"""Where servers put the parsed reasoning: ``reasoning_content`` (vLLM < 0.11, SGLang, llama.cpp,
FriendliAI) and ``reasoning`` (newer vLLM)."""

_RETRY_STATUS = frozenset({408, 409, 429})
_MESSAGE_CHARS = 300


def render_messages(messages: Sequence[Mapping[str, str]]) -> str:
    """Chat messages as readable text (``[role]\\ncontent`` blocks): the server applies the template."""
    return "\n\n".join(f"[{m.get('role', '?')}]\n{m.get('content', '')}" for m in messages)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date); None if absent/invalid."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:  # an HTTP date is GMT by definition
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
        return max(0.0, seconds)
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def _redact_url(url: str) -> str:
    """The URL without user:password, for anything shown or stored."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]))


def _deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``extra``; nested objects merge so extra_body can add template kwargs."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _server_message(response: httpx.Response) -> str:
    """The error text a server put in its body (OpenAI, vLLM and FastAPI shapes), shortened."""
    return _body_message(response.content)


def _body_message(raw: bytes) -> str:
    """The error text in a response body, shortened: ``error.message``, ``message``, ``detail`` or the text."""
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    text: Any = None
    if isinstance(data, dict):
        err = data.get("error")
        text = err.get("message") if isinstance(err, dict) else err
        text = text or data.get("message") or data.get("detail")
    if not text:
        text = raw.decode("utf-8", errors="replace")
    flat = " ".join(str(text).split())
    return flat[:_MESSAGE_CHARS] + ("…" if len(flat) > _MESSAGE_CHARS else "")


def _refused(exc: BaseException) -> bool:
    """Whether a connect error was a refusal: the async stack wraps the OS error a few levels down."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, ConnectionRefusedError) or "refused" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _describe(exc: httpx.TransportError, timeout_s: float, connect_timeout_s: float) -> str:
    """A short reason for a transport failure (no request details: headers would carry the key)."""
    if isinstance(exc, httpx.ConnectTimeout):
        return f"connect timed out after {connect_timeout_s:g} s"
    if isinstance(exc, httpx.TimeoutException):
        return f"no response within {timeout_s:g} s ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError):
        return "connection refused" if _refused(exc) else f"cannot connect: {exc}"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return f"connection dropped ({exc or type(exc).__name__})"
    return f"{type(exc).__name__}: {exc}"


def _describe_aiohttp(exc: BaseException, timeout_s: float, connect_timeout_s: float) -> tuple[str, bool]:
    """A short reason for a failed POST on the async path, and whether the URL was unreachable."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return f"connect timed out after {connect_timeout_s:g} s", True
    if isinstance(exc, aiohttp.ClientConnectorError):
        return ("connection refused" if _refused(exc) else f"cannot connect: {exc}"), True
    if isinstance(exc, TimeoutError):  # aiohttp's read timeouts subclass it
        return f"no response within {timeout_s:g} s ({type(exc).__name__})", False
    return f"connection dropped ({exc or type(exc).__name__})", False


class _Retry(Exception):
    """One attempt failed in a way worth retrying."""

    def __init__(self, reason: str, *, retry_after: float | None = None, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.unreachable = unreachable


class _Fail(Exception):
    """One attempt failed in a way retrying cannot fix (a 4xx: bad request, bad key, unknown model)."""


@dataclass
class _Endpoint:
    """One base URL and what the scheduler knows about it."""

    url: str
    shown: str
    in_flight: int = 0
    failures: int = 0
    """Consecutive failed attempts; a success resets it."""
    down_since: float | None = None
    """Loop time since which every attempt failed to connect; None once one got through."""
    resting_until: float = 0.0
    """Skipped (while another URL is usable) until this loop time."""


@dataclass(frozen=True)
class _Answer:
    """The parts of a completion that go into a GenResult."""

    output: str
    finish_reason: FinishReason
    reasoning: str | None
    content: str | None
    server_split: bool
    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int | None
    extra: dict[str, Any]


class OpenAIBackend:
    """Chat completions from OpenAI-compatible servers (vLLM, SGLang, llama.cpp, hosted endpoints).

    The API key comes from the environment only (``api_key_env``, else ``OPENAI_API_KEY``); it is sent
    as ``Authorization: Bearer`` and kept out of :attr:`info`, ``repr``, logs and error messages.
    """

    down_after_s = 60.0
    """A URL that has refused every connection for this long counts as down. When every URL is down a
    request stops at its first failed attempt instead of a full retry series, so a dead fleet ends a
    long run in about a minute rather than hours; a short restart is still ridden out by retries."""

    def __init__(self, base_urls: Sequence[str], model: str, *, concurrency: int = 8,
                 api_key_env: str = "EXAMQA_API_KEY", timeout_s: float = 600.0,
                 connect_timeout_s: float = 10.0, max_retries: int = 6, backoff_base_s: float = 1.0,
                 backoff_max_s: float = 60.0, retry_after_max_s: float = 300.0,
                 extra_body: Mapping[str, Any] | None = None, send_thinking: bool = True,
                 reasoning_field: str | None = None) -> None:
        """Set up the client; nothing is contacted until :meth:`check_health` or :meth:`generate`.

        ``timeout_s`` bounds each request's wait for the reply (reasoning is slow: the default is ten
        minutes); ``connect_timeout_s`` bounds connecting. ``extra_body`` is merged into every request
        (nested objects merge; its values win). ``send_thinking=False`` leaves ``chat_template_kwargs``
        out for endpoints that reject it. ``reasoning_field`` names the response field holding parsed
        reasoning; by default ``reasoning_content`` and then ``reasoning`` are tried.
        """
        urls = [u.strip().rstrip("/") for u in base_urls if u.strip()]
        if not urls:
            raise BackendError("the openai backend needs at least one base URL (e.g. http://127.0.0.1:8000/v1)")
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise BackendError(f"base URL {_redact_url(url)!r} is not an http(s) URL "
                                   "(expected e.g. http://127.0.0.1:8000/v1)")
        if concurrency < 1:
            raise BackendError(f"concurrency must be at least 1, not {concurrency}")
        if max_retries < 0 or timeout_s <= 0 or connect_timeout_s <= 0:
            raise BackendError("max_retries must be ≥ 0 and timeouts > 0")
        if not model:
            raise BackendError("the openai backend needs a model name (the server's model id)")
        self._urls = urls
        self._model = model
        self._concurrency = concurrency
        self._timeout_s = timeout_s
        self._connect_timeout_s = connect_timeout_s
        self._max_retries = max_retries
        self._backoff_base_s = backoff_base_s
        self._backoff_max_s = backoff_max_s
        self._retry_after_max_s = retry_after_max_s
        self._extra_body = dict(extra_body or {})
        self._send_thinking = send_thinking
        self._reasoning_fields = (reasoning_field,) if reasoning_field else REASONING_FIELDS
        self._api_key_env = api_key_env
        self._api_key = os.environ.get(api_key_env) or os.environ.get("OPENAI_API_KEY") or None
        self._rng = random.Random()
        self.info = BackendInfo(name="openai", model=model, settings={
            "base_urls": [_redact_url(u) for u in urls], "concurrency": concurrency,
            "timeout_s": timeout_s, "connect_timeout_s": connect_timeout_s, "max_retries": max_retries,
            "extra_body": self._extra_body, "send_thinking": send_thinking,
            "reasoning_fields": list(self._reasoning_fields), "api_key_env": api_key_env,
            "api_key_set": self._api_key is not None,
        })

    def __repr__(self) -> str:
        shown = ", ".join(_redact_url(u) for u in self._urls)
        return f"OpenAIBackend(model={self._model!r}, base_urls=[{shown}], concurrency={self._concurrency})"

    # ------------------------------------------------------------------------------ plumbing

    def _redact(self, text: str) -> str:
        """``text`` with the API key masked: servers echo bad keys back in their errors."""
        return text.replace(self._api_key, "***") if self._api_key else text

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}

    def _timeout(self) -> aiohttp.ClientTimeout:
        # sock_read bounds the wait between bytes, which for a non-streamed completion is the wait for
        # the whole reply; no total limit, since a long reasoning trace is not a fault.
        return aiohttp.ClientTimeout(total=None, sock_connect=self._connect_timeout_s, sock_read=self._timeout_s)

    def request_body(self, request: GenRequest, sampling: Sampling) -> dict[str, Any]:
        """The JSON body sent for ``request``: no ``stop`` strings, since they would cut the reasoning."""
        body: dict[str, Any] = {
            "model": self._model,
            "messages": [dict(m) for m in request.messages],
            "max_tokens": sampling.max_new_tokens,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
        }
        seed = request.seed if request.seed is not None else sampling.seed
        if seed is not None:
            body["seed"] = seed
        if sampling.presence_penalty is not None:
            body["presence_penalty"] = sampling.presence_penalty
        if self._send_thinking:
            body["chat_template_kwargs"] = {"enable_thinking": sampling.thinking}
        return _deep_merge(body, self._extra_body)

    # ------------------------------------------------------------------------------ health

    def check_health(self) -> dict[str, list[str]]:
        """Ask every base URL for ``/models``; return the model ids each serves.

        Raises :class:`BackendError` with one line saying what to do when a URL cannot be reached or
        rejects the key. A model id missing from a listing is only logged: llama.cpp lists a file name
        yet serves any requested name.
        """
        served: dict[str, list[str]] = {}
        timeout = httpx.Timeout(max(self._connect_timeout_s, 30.0), connect=self._connect_timeout_s)
        with httpx.Client(timeout=timeout, headers=self._headers()) as client:
            for url in self._urls:
                shown = _redact_url(url)
                try:
                    response = client.get(f"{url}/models")
                except httpx.TransportError as exc:
                    reason = _describe(exc, timeout.read or 30.0, self._connect_timeout_s)
                    raise BackendError(f"cannot reach {shown}: {reason} — is the server running?") from None
                if response.status_code in (401, 403):
                    raise BackendError(f"{shown} rejected the request (HTTP {response.status_code}): "
                                       f"{self._redact(_server_message(response))} — set "
                                       f"{self._api_key_env} to a valid API key")
                if response.status_code == 404:
                    raise BackendError(f"{shown}/models not found (HTTP 404) — the base URL usually "
                                       "ends in /v1")
                if response.status_code >= 400:
                    raise BackendError(f"{shown} is not healthy (HTTP {response.status_code}): "
                                       f"{self._redact(_server_message(response))}")
                try:
                    data = response.json().get("data", [])
                    ids = [str(m["id"]) for m in data if isinstance(m, dict) and "id" in m]
                except (ValueError, AttributeError, TypeError):
                    ids = []
                served[shown] = ids
                if ids and self._model not in ids:
                    log.warning("%s serves %s, not %r; requests may fail", shown, ", ".join(ids), self._model)
        return served

    # ------------------------------------------------------------------------------ generate

    def generate(self, requests: Sequence[GenRequest], sampling: Sampling) -> Iterator[GenResult]:
        """Yield one :class:`GenResult` per request as each completes (any order); see the module doc."""
        todo = list(requests)
        if not todo:
            return
        runner = _LoopThread(lambda emit: self._run(todo, sampling, emit))
        runner.start()
        try:
            for _ in range(len(todo)):
                yield runner.next_result()
        finally:
            runner.stop()

    async def _run(self, requests: list[GenRequest], sampling: Sampling,
                   emit: Callable[[GenResult], None]) -> None:
        """Complete every request with at most ``concurrency`` in flight; emit each result when done."""
        endpoints = [_Endpoint(url=u, shown=_redact_url(u)) for u in self._urls]
        pending = iter(requests)
        turn = [0]
        # aiohttp, not httpx.AsyncClient, on this hot path: with many requests in flight httpx's
        # connection pool costs several times more client time (docs/benchmarks.md, encode/httpx#3215).
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=0)
        client = aiohttp.ClientSession(connector=connector, timeout=self._timeout(), headers=self._headers())
        async with client:

            async def worker() -> None:
                # Workers pull lazily from one iterator, so in-flight never exceeds the worker count
                # and a million queued requests cost no more than eight.
                for request in pending:
                    emit(await self._complete(client, endpoints, turn, request, sampling))

            async with asyncio.TaskGroup() as group:
                for _ in range(min(self._concurrency, len(requests))):
                    group.create_task(worker())

    def _pick(self, endpoints: list[_Endpoint], turn: list[int]) -> _Endpoint:
        """Least in flight among usable URLs, rotating ties; the soonest-rested one if none is usable."""
        now = asyncio.get_running_loop().time()
        usable = [e for e in endpoints if e.resting_until <= now]
        if not usable:
            return min(endpoints, key=lambda e: e.resting_until)
        turn[0] += 1
        start = turn[0] % len(usable)
        rotated = usable[start:] + usable[:start]
        return min(rotated, key=lambda e: e.in_flight)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Full-jitter exponential backoff; a server's Retry-After (capped) is a floor, not a suggestion."""
        ceiling = min(self._backoff_max_s, self._backoff_base_s * (2 ** attempt))
        delay = self._rng.uniform(0, ceiling)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self._retry_after_max_s))
        return delay

    async def _complete(self, client: aiohttp.ClientSession, endpoints: list[_Endpoint], turn: list[int],
                        request: GenRequest, sampling: Sampling) -> GenResult:
        """One request through its retries; always returns a result (an error result if it must)."""
        body = self.request_body(request, sampling)
        prompt = render_messages(request.messages)
        loop = asyncio.get_running_loop()
        started = loop.time()
        attempt = 0
        while True:
            endpoint = self._pick(endpoints, turn)
            shown = endpoint.shown
            endpoint.in_flight += 1
            t0 = loop.time()
            failure: _Retry | _Fail | None = None
            try:
                answer = await self._attempt(client, endpoint, body, sampling)
            except (_Retry, _Fail) as exc:
                failure = exc
            finally:
                endpoint.in_flight -= 1
            if failure is None:
                endpoint.failures, endpoint.down_since, endpoint.resting_until = 0, None, 0.0
                return GenResult(
                    key=request.key, prompt=prompt, output=answer.output,
                    finish_reason=answer.finish_reason, reasoning=answer.reasoning,
                    content=answer.content, server_split=answer.server_split,
                    prompt_tokens=answer.prompt_tokens, completion_tokens=answer.completion_tokens,
                    reasoning_tokens=answer.reasoning_tokens, latency_s=round(loop.time() - t0, 4),
                    extra={**answer.extra, "base_url": shown, "attempts": attempt + 1,
                           "wall_s": round(loop.time() - started, 4)},
                )
            reason = str(failure)
            if isinstance(failure, _Fail):
                break
            now = loop.time()
            endpoint.failures += 1
            if not failure.unreachable:
                endpoint.down_since = None
            elif endpoint.down_since is None:
                endpoint.down_since = now
            # Rest a failing URL so the others take the load; a 429's Retry-After sets the rest.
            rest = min(30.0, 0.5 * 2 ** min(endpoint.failures, 6))
            endpoint.resting_until = now + max(rest, min(failure.retry_after or 0.0, self._retry_after_max_s))
            all_down = all(e.down_since is not None and now - e.down_since >= self.down_after_s
                           for e in endpoints)
            if all_down:
                reason = f"{reason} (every base URL has been unreachable for {self.down_after_s:g} s)"
            if attempt >= self._max_retries or all_down:
                break
            delay = self._backoff(attempt, failure.retry_after)
            log.debug("%s: %s from %s; retry %d in %.2f s", request.key, reason, shown, attempt + 1, delay)
            attempt += 1
            await asyncio.sleep(delay)
        message = self._redact(f"{reason} after {attempt + 1} attempt(s) ({shown})")
        log.warning("%s: %s", request.key, message)
        return GenResult(key=request.key, prompt=prompt, output="", finish_reason="error", error=message,
                         latency_s=round(loop.time() - started, 4),
                         extra={"base_url": shown, "attempts": attempt + 1})

    async def _attempt(self, client: aiohttp.ClientSession, endpoint: _Endpoint, body: dict[str, Any],
                       sampling: Sampling) -> _Answer:
        """POST once; raise :class:`_Retry` or :class:`_Fail`, or return the parsed answer."""
        try:
            async with client.post(f"{endpoint.url}/chat/completions", json=body) as response:
                status = response.status
                retry_after = response.headers.get("retry-after")
                raw = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            reason, unreachable = _describe_aiohttp(exc, self._timeout_s, self._connect_timeout_s)
            raise _Retry(reason, unreachable=unreachable) from None
        if status in _RETRY_STATUS or status >= 500:
            raise _Retry(f"HTTP {status}: {_body_message(raw)}", retry_after=parse_retry_after(retry_after))
        if status >= 300:
            raise _Fail(f"HTTP {status}: {_body_message(raw)}")
        try:
            data = json.loads(raw)
        except ValueError:
            raise _Retry(f"malformed response: not JSON ({len(raw)} bytes)") from None
        try:
            return self._answer(data, sampling)
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise _Retry(f"malformed response: no usable choices[0].message ({type(exc).__name__})") from None

    def _answer(self, data: Any, sampling: Sampling) -> _Answer:
        """Map one chat-completion JSON object to the parts of a GenResult (raises on a bad shape)."""
        choice = data["choices"][0]
        message = choice["message"]
        if not isinstance(message, dict):
            raise TypeError("message is not an object")
        content = message.get("content")
        reasoning: str | None = None
        field_used: str | None = None
        for name in self._reasoning_fields:
            if isinstance(message.get(name), str):
                reasoning, field_used = message[name], name
                break
        raw_finish = choice.get("finish_reason")
        finish: FinishReason = "length" if raw_finish == "length" else "stop"
        extra: dict[str, Any] = {"finish_reason_raw": raw_finish}
        if reasoning is None:
            # No parser on the server: the raw text is ``reasoning</think>answer`` in reasoning mode.
            output = content or ""
            split_reasoning, split_content, server_split = None, None, False
        elif not sampling.thinking and not content:
            # A deepseek_r1-style parser calls everything before a </think> reasoning, and with thinking
            # off the prompt already closed the block: this "reasoning" is the answer.
            output, split_reasoning, split_content, server_split = reasoning, None, reasoning, True
            extra["reasoning_relabelled"] = True
        else:
            split_reasoning, split_content, server_split = reasoning, content, True
            # No content means the reasoning never closed; the record must not pretend it did.
            output = reasoning if content is None else f"{reasoning}</think>{content}"
        if field_used:
            extra["reasoning_field"] = field_used
        usage = data.get("usage") or {}
        details = usage.get("completion_tokens_details") or {}
        reasoning_tokens = details.get("reasoning_tokens") if isinstance(details, dict) else None
        if not reasoning_tokens and split_reasoning:
            # vLLM counts only tokens between a <think> and </think> *in the output*; EXAONE's template
            # opens <think> in the prompt, so it reports 0 for real reasoning. Unknown beats wrong.
            reasoning_tokens = None
        return _Answer(output=output, finish_reason=finish, reasoning=split_reasoning,
                       content=split_content, server_split=server_split,
                       prompt_tokens=int(usage.get("prompt_tokens") or 0),
                       completion_tokens=int(usage.get("completion_tokens") or 0),
                       reasoning_tokens=int(reasoning_tokens) if reasoning_tokens is not None else None,
                       extra=extra)


_END = object()


class _Crash:
    """An exception raised inside the loop thread, carried over to the consumer."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class _LoopThread:
    """An asyncio loop in a daemon thread, feeding results to a synchronous consumer through a queue."""

    STOP_GRACE_S = 10.0

    def __init__(self, make: Callable[[Callable[[GenResult], None]], Coroutine[Any, Any, None]]) -> None:
        self._make = make
        self._out: queue.Queue[object] = queue.Queue()
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._thread = threading.Thread(target=self._main, name="examqa-openai", daemon=True)

    def start(self) -> None:
        """Start the thread and wait until its loop can be cancelled."""
        self._thread.start()
        self._ready.wait()

    def _main(self) -> None:
        try:
            asyncio.run(self._body())
        except asyncio.CancelledError:
            pass  # the consumer stopped early and cancelled us
        except BaseException as exc:  # a bug: hand it to the consumer rather than die silently
            self._out.put(_Crash(exc))
        finally:
            self._ready.set()
            self._out.put(_END)

    async def _body(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._ready.set()
        await self._make(self._out.put)

    def next_result(self) -> GenResult:
        """Block until the next result; re-raise a crash from the loop thread."""
        while True:
            try:
                # A timeout keeps the wait interruptible by Ctrl-C on every platform.
                item = self._out.get(timeout=0.5)
            except queue.Empty:
                continue
            if isinstance(item, GenResult):
                return item
            if isinstance(item, _Crash):
                exc = item.exc
                if isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
                    exc = exc.exceptions[0]
                raise exc
            raise RuntimeError("the openai backend stopped before returning every result")

    def stop(self) -> None:
        """Cancel whatever is in flight and wait (bounded) for the loop thread to end."""
        loop, task = self._loop, self._task
        if loop is not None and task is not None and self._thread.is_alive():
            # The loop may close between the check and the call: then nothing is left to cancel.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(task.cancel)
        self._thread.join(self.STOP_GRACE_S)
        if self._thread.is_alive():
            log.warning("openai backend: requests still winding down after %.0f s; leaving them",
                        self.STOP_GRACE_S)
