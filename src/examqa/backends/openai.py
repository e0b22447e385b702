"""The ``openai`` backend: chat completions from vLLM-class OpenAI-compatible servers, async at its core.

One :class:`OpenAIBackend` talks to one or more base URLs (``http://host:port/v1``: replicas of the same
model) with at most ``concurrency`` requests in flight, spread least-in-flight first, and retries what a
busy or flaky server throws at a long run: 429 (honouring ``Retry-After``), 5xx, 408/409, timeouts,
refused or dropped connections and malformed bodies, with exponential backoff and full jitter. A
request that still fails comes back as a result with ``finish_reason="error"`` — never as an answer.

Reasoning mode is asked for per request with ``chat_template_kwargs: {"enable_thinking": …}``. A server
run with a reasoning parser (vLLM ``--reasoning-parser``) returns the thinking in ``reasoning_content``
or ``reasoning`` and the answer in ``content``; one without returns ``reasoning</think>answer`` (the
prompt opened ``<think>``) in ``content``. Both end up in a :class:`GenResult` the engine grades alike.

Async, threads and loops. Everything runs on the caller's event loop with one HTTP client library
(aiohttp): ``agenerate`` and ``astream`` start no thread and no loop. The backend keeps, *per event
loop*, one connection pool, one ``concurrency`` budget shared by every call on that loop, and what it
has learnt about each URL (in flight, resting, down), so 64 concurrent ``asolve`` calls share one pool.
Using the object from several threads (each with its own loop) is safe: each loop gets its own state.
``await backend.aclose()`` (or ``async with``) closes the current loop's pool. The synchronous
``generate`` drives ``agenerate`` on a private loop in the caller's thread and closes that loop's pool
when it ends; Ctrl-C cancels the requests in flight and propagates.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import threading
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from examqa.backends._wire import (
    REASONING_FIELDS,
    Answer,
    StreamState,
    body_message,
    deep_merge,
    parse_retry_after,
    read_completion,
    redact_url,
    refused,
    render_messages,
    sse_events,
)
from examqa.backends.base import (
    AsyncBackend,
    BackendInfo,
    GenRequest,
    GenResult,
    Sampling,
    StreamItem,
    TextDelta,
    ThinkSplitter,
    iterate_sync,
    run_sync,
)
from examqa.errors import BackendError

__all__ = ["OpenAIBackend", "create", "parse_retry_after", "render_messages"]

log = logging.getLogger(__name__)

_RETRY_STATUS = frozenset({408, 409, 429})
DEFAULT_CONCURRENCY = 64


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
    """One base URL and what the scheduler knows about it (per event loop)."""

    url: str
    shown: str
    in_flight: int = 0
    failures: int = 0
    """Consecutive failed attempts; a success resets it."""
    down_since: float | None = None
    """Loop time since which every attempt failed to connect; None once one got through."""
    resting_until: float = 0.0
    """Skipped (while another URL is usable) until this loop time."""


@dataclass
class _LoopState:
    """What the backend holds for one event loop: the pool, the in-flight budget, the URLs' health."""

    session: aiohttp.ClientSession
    slots: asyncio.Semaphore
    endpoints: list[_Endpoint]
    turn: list[int] = field(default_factory=lambda: [0])


def _describe(exc: BaseException, timeout_s: float, connect_timeout_s: float) -> tuple[str, bool]:
    """A short reason for a failed request, and whether the URL was unreachable."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return f"connect timed out after {connect_timeout_s:g} s", True
    if isinstance(exc, aiohttp.ClientConnectorError):
        return ("connection refused" if refused(exc) else f"cannot connect: {exc}"), True
    if isinstance(exc, TimeoutError):  # aiohttp's read timeouts subclass it
        return f"no response within {timeout_s:g} s ({type(exc).__name__})", False
    return f"connection dropped ({exc or type(exc).__name__})", False


class OpenAIBackend(AsyncBackend):
    """Chat completions from OpenAI-compatible servers (vLLM, SGLang, llama.cpp, hosted endpoints).

    The API key comes from the environment only (``api_key_env``, else ``OPENAI_API_KEY``); it is sent
    as ``Authorization: Bearer`` and kept out of :attr:`info`, ``repr``, logs and error messages.
    """

    down_after_s = 60.0
    """A URL that has refused every connection for this long counts as down. When every URL is down a
    request stops at its first failed attempt instead of a full retry series, so a dead fleet ends a
    long run in about a minute rather than hours; a short restart is still ridden out by retries."""

    def __init__(self, base_urls: Sequence[str], model: str, *, concurrency: int = DEFAULT_CONCURRENCY,
                 api_key_env: str = "EXAMQA_API_KEY", timeout_s: float = 600.0,
                 connect_timeout_s: float = 10.0, max_retries: int = 6, backoff_base_s: float = 1.0,
                 backoff_max_s: float = 60.0, retry_after_max_s: float = 300.0,
                 extra_body: Mapping[str, Any] | None = None, send_thinking: bool = True,
                 reasoning_field: str | None = None) -> None:
        """Set up the client; nothing is contacted until :meth:`aopen`/:meth:`check_health` or a request.

        ``concurrency`` bounds the requests in flight through this object on one event loop, across all
        calls and URLs. ``timeout_s`` bounds each request's wait for the reply (reasoning is slow: the
        default is ten minutes) — for a stream, the wait between chunks; ``connect_timeout_s`` bounds
        connecting. ``extra_body`` is merged into every request (nested objects merge; its values win).
        ``send_thinking=False`` leaves ``chat_template_kwargs`` out for endpoints that reject it.
        ``reasoning_field`` names the response field holding parsed reasoning; by default
        ``reasoning_content`` and then ``reasoning`` are tried.
        """
        urls = [u.strip().rstrip("/") for u in base_urls if u.strip()]
        if not urls:
            raise BackendError("the openai backend needs at least one base URL (e.g. http://127.0.0.1:8000/v1)")
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise BackendError(f"base URL {redact_url(url)!r} is not an http(s) URL "
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
        self._states: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self._healthy = False
        self.info = BackendInfo(name="openai", model=model, streams=True, settings={
            "base_urls": [redact_url(u) for u in urls], "concurrency": concurrency,
            "timeout_s": timeout_s, "connect_timeout_s": connect_timeout_s, "max_retries": max_retries,
            "extra_body": self._extra_body, "send_thinking": send_thinking,
            "reasoning_fields": list(self._reasoning_fields), "api_key_env": api_key_env,
            "api_key_set": self._api_key is not None,
        })

    def __repr__(self) -> str:
        shown = ", ".join(redact_url(u) for u in self._urls)
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

    def _state(self) -> _LoopState:
        """This loop's pool, budget and URL health, created on first use."""
        loop = asyncio.get_running_loop()
        with self._lock:
            state = self._states.get(loop)
            if state is None or state.session.closed:
                # aiohttp, not httpx.AsyncClient: with many requests in flight httpx's pool costs
                # several times more client time (docs/benchmarks.md, encode/httpx#3215).
                session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, limit_per_host=0),
                                                timeout=self._timeout(), headers=self._headers())
                state = _LoopState(session=session, slots=asyncio.Semaphore(self._concurrency),
                                   endpoints=[_Endpoint(url=u, shown=redact_url(u)) for u in self._urls])
                self._states[loop] = state
            return state

    async def aclose(self) -> None:
        """Close the current event loop's connection pool (a later call opens a new one)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            state = self._states.pop(loop, None)
        if state is not None and not state.session.closed:
            await state.session.close()

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
        return deep_merge(body, self._extra_body)

    # ------------------------------------------------------------------------------ health

    async def acheck_health(self) -> dict[str, list[str]]:
        """Ask every base URL for ``/models``; return the model ids each serves.

        Raises :class:`BackendError` with one line saying what to do when a URL cannot be reached or
        rejects the key. A model id missing from a listing is only logged: llama.cpp lists a file name
        yet serves any requested name.
        """
        served: dict[str, list[str]] = {}
        read_s = max(self._connect_timeout_s, 30.0)
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=self._connect_timeout_s, sock_read=read_s)
        async with aiohttp.ClientSession(timeout=timeout, headers=self._headers()) as client:
            for url in self._urls:
                shown = redact_url(url)
                try:
                    async with client.get(f"{url}/models") as response:
                        status, raw = response.status, await response.read()
                except (aiohttp.ClientError, TimeoutError) as exc:
                    reason, _ = _describe(exc, read_s, self._connect_timeout_s)
                    raise BackendError(f"cannot reach {shown}: {reason} — is the server running?") from None
                if status in (401, 403):
                    raise BackendError(f"{shown} rejected the request (HTTP {status}): "
                                       f"{self._redact(body_message(raw))} — set {self._api_key_env} to a "
                                       "valid API key")
                if status == 404:
                    raise BackendError(f"{shown}/models not found (HTTP 404) — the base URL usually ends in /v1")
                if status >= 400:
                    raise BackendError(f"{shown} is not healthy (HTTP {status}): {self._redact(body_message(raw))}")
                try:
                    data = json.loads(raw).get("data", [])
                    ids = [str(m["id"]) for m in data if isinstance(m, dict) and "id" in m]
                except (ValueError, AttributeError, TypeError):
                    ids = []
                served[shown] = ids
                if ids and self._model not in ids:
                    log.warning("%s serves %s, not %r; requests may fail", shown, ", ".join(ids), self._model)
        return served

    def check_health(self) -> dict[str, list[str]]:
        """:meth:`acheck_health` for synchronous callers."""
        result: dict[str, list[str]] = run_sync(self.acheck_health)
        return result

    async def aopen(self) -> None:
        """Check every URL once (``/models``); a dead or misconfigured server is one clear error."""
        if not self._healthy:
            await self.acheck_health()
            self._healthy = True

    # ------------------------------------------------------------------------------ generate

    def generate(self, requests: Sequence[GenRequest], sampling: Sampling) -> Iterator[GenResult]:
        """Yield one :class:`GenResult` per request as each completes (any order), on a private loop."""
        todo = list(requests)

        async def owned() -> AsyncIterator[GenResult]:
            try:
                async for result in self.agenerate(todo, sampling):
                    yield result
            finally:
                await self.aclose()  # the private loop ends with this call: close its pool too

        return iterate_sync(owned) if todo else iter(())

    async def agenerate(self, requests: Sequence[GenRequest], sampling: Sampling) -> AsyncIterator[GenResult]:
        """Yield one :class:`GenResult` per request as each completes (any order), on the running loop.

        Closing the iterator early (or cancelling its consumer) cancels the requests in flight.
        """
        todo = list(requests)
        if not todo:
            return
        state = self._state()
        pending = iter(todo)
        done: asyncio.Queue[GenResult | BaseException] = asyncio.Queue()

        async def worker() -> None:
            # Workers pull lazily from one iterator, so a million queued requests cost no more than a few.
            try:
                for request in pending:
                    done.put_nowait(await self._complete(state, request, sampling))
            except asyncio.CancelledError:
                raise
            except BaseException as exc:  # a bug: hand it to the consumer rather than hang it
                done.put_nowait(exc)

        workers = [asyncio.create_task(worker()) for _ in range(min(self._concurrency, len(todo)))]
        try:
            for _ in range(len(todo)):
                item = await done.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    def _pick(self, state: _LoopState) -> _Endpoint:
        """Least in flight among usable URLs, rotating ties; the soonest-rested one if none is usable."""
        endpoints, turn = state.endpoints, state.turn
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

    def _note_failure(self, state: _LoopState, endpoint: _Endpoint, failure: _Retry) -> bool:
        """Record a failed attempt on ``endpoint``; True when every URL has been down for long."""
        now = asyncio.get_running_loop().time()
        endpoint.failures += 1
        if not failure.unreachable:
            endpoint.down_since = None
        elif endpoint.down_since is None:
            endpoint.down_since = now
        # Rest a failing URL so the others take the load; a 429's Retry-After sets the rest.
        rest = min(30.0, 0.5 * 2 ** min(endpoint.failures, 6))
        endpoint.resting_until = now + max(rest, min(failure.retry_after or 0.0, self._retry_after_max_s))
        return all(e.down_since is not None and now - e.down_since >= self.down_after_s for e in state.endpoints)

    async def _complete(self, state: _LoopState, request: GenRequest, sampling: Sampling) -> GenResult:
        """One request through its retries; always returns a result (an error result if it must)."""
        body = self.request_body(request, sampling)
        prompt = render_messages(request.messages)
        loop = asyncio.get_running_loop()
        started = loop.time()
        attempt = 0
        while True:
            endpoint = self._pick(state)
            shown = endpoint.shown
            failure: _Retry | _Fail | None = None
            async with state.slots:
                endpoint.in_flight += 1
                t0 = loop.time()
                try:
                    answer = await self._attempt(state.session, endpoint, body, sampling)
                except (_Retry, _Fail) as exc:
                    failure = exc
                finally:
                    endpoint.in_flight -= 1
            if failure is None:
                endpoint.failures, endpoint.down_since, endpoint.resting_until = 0, None, 0.0
                return self._result(request, prompt, answer, shown, attempt, loop.time() - t0,
                                    loop.time() - started)
            reason = str(failure)
            if isinstance(failure, _Fail):
                break
            all_down = self._note_failure(state, endpoint, failure)
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

    @staticmethod
    def _result(request: GenRequest, prompt: str, answer: Answer, shown: str, attempt: int, latency: float,
                wall: float) -> GenResult:
        return GenResult(
            key=request.key, prompt=prompt, output=answer.output, finish_reason=answer.finish_reason,
            reasoning=answer.reasoning, content=answer.content, server_split=answer.server_split,
            prompt_tokens=answer.prompt_tokens, completion_tokens=answer.completion_tokens,
            reasoning_tokens=answer.reasoning_tokens, latency_s=round(latency, 4),
            extra={**answer.extra, "base_url": shown, "attempts": attempt + 1, "wall_s": round(wall, 4)},
        )

    async def _attempt(self, client: aiohttp.ClientSession, endpoint: _Endpoint, body: dict[str, Any],
                       sampling: Sampling) -> Answer:
        """POST once; raise :class:`_Retry` or :class:`_Fail`, or return the parsed answer."""
        try:
            async with client.post(f"{endpoint.url}/chat/completions", json=body) as response:
                status = response.status
                retry_after = response.headers.get("retry-after")
                raw = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            reason, unreachable = _describe(exc, self._timeout_s, self._connect_timeout_s)
            raise _Retry(reason, unreachable=unreachable) from None
        self._check_status(status, retry_after, raw)
        try:
            data = json.loads(raw)
        except ValueError:
            raise _Retry(f"malformed response: not JSON ({len(raw)} bytes)") from None
        try:
            return read_completion(data, self._reasoning_fields, sampling.thinking)
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise _Retry(f"malformed response: no usable choices[0].message ({type(exc).__name__})") from None

    @staticmethod
    def _check_status(status: int, retry_after: str | None, raw: bytes) -> None:
        if status in _RETRY_STATUS or status >= 500:
            raise _Retry(f"HTTP {status}: {body_message(raw)}", retry_after=parse_retry_after(retry_after))
        if status >= 300:
            raise _Fail(f"HTTP {status}: {body_message(raw)}")

    # ------------------------------------------------------------------------------ stream

    async def astream(self, request: GenRequest, sampling: Sampling) -> AsyncIterator[StreamItem]:
        """Stream one request (``"stream": true`` over server-sent events): deltas, then the result.

        Failures before the first delta are retried like any request. Once text has been shown it
        cannot be taken back, so a failure mid-stream ends the stream with an error result.
        """
        state = self._state()
        body = {**self.request_body(request, sampling), "stream": True,
                "stream_options": {"include_usage": True}}
        prompt = render_messages(request.messages)
        loop = asyncio.get_running_loop()
        started = loop.time()
        attempt = 0
        reason = ""
        shown = ""
        while True:
            endpoint = self._pick(state)
            shown = endpoint.shown
            stream = StreamState(self._reasoning_fields)
            splitter = ThinkSplitter(request.key, thinking=sampling.thinking)
            shown_any = False
            failure: _Retry | _Fail | None = None
            async with state.slots:
                endpoint.in_flight += 1
                t0 = loop.time()
                try:
                    chunks = self._stream_attempt(state.session, endpoint, body, stream)
                    async with contextlib.aclosing(chunks):
                        async for thought, text in chunks:
                            for delta in self._deltas(request.key, thought, text, splitter):
                                shown_any = True
                                yield delta
                except (_Retry, _Fail) as exc:
                    failure = exc
                finally:
                    endpoint.in_flight -= 1
            if failure is None:
                for delta in splitter.flush():
                    yield delta
                endpoint.failures, endpoint.down_since, endpoint.resting_until = 0, None, 0.0
                yield self._result(request, prompt, stream.answer(sampling.thinking), shown, attempt,
                                   loop.time() - t0, loop.time() - started)
                return
            reason = str(failure)
            if isinstance(failure, _Fail) or shown_any:
                break
            all_down = self._note_failure(state, endpoint, failure)
            if attempt >= self._max_retries or all_down:
                break
            attempt += 1
            await asyncio.sleep(self._backoff(attempt - 1, failure.retry_after))
        message = self._redact(f"{reason} after {attempt + 1} attempt(s) ({shown})")
        yield GenResult(key=request.key, prompt=prompt, output="", finish_reason="error", error=message,
                        latency_s=round(loop.time() - started, 4), extra={"base_url": shown, "attempts": attempt + 1})

    @staticmethod
    def _deltas(key: str, thought: str, text: str, splitter: ThinkSplitter) -> list[TextDelta]:
        out = [TextDelta(key, "reasoning", thought)] if thought else []
        if text:
            # Without a reasoning parser the content carries ``reasoning</think>answer``: split it here.
            out += splitter.feed(text) if not thought else [TextDelta(key, "answer", text)]
        return out

    async def _stream_attempt(self, client: aiohttp.ClientSession, endpoint: _Endpoint, body: dict[str, Any],
                              stream: StreamState) -> AsyncGenerator[tuple[str, str], None]:
        try:
            async with client.post(f"{endpoint.url}/chat/completions", json=body) as response:
                if response.status >= 300:
                    self._check_status(response.status, response.headers.get("retry-after"),
                                       await response.read())
                buffer = bytearray()
                async for piece in response.content.iter_any():
                    buffer += piece
                    for data in sse_events(buffer):
                        if data.strip() == b"[DONE]":
                            stream.done = True
                            continue
                        try:
                            chunk = json.loads(data)
                            yield stream.feed(chunk)
                        except (ValueError, TypeError, AttributeError) as exc:
                            raise _Retry(f"malformed stream chunk ({type(exc).__name__})") from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            reason, unreachable = _describe(exc, self._timeout_s, self._connect_timeout_s)
            raise _Retry(reason, unreachable=unreachable) from None
        if not stream.done and stream.finish is None:
            raise _Retry("connection dropped (the stream ended without [DONE])")


def create(*, model: str, base_url: str | Sequence[str], concurrency: int = DEFAULT_CONCURRENCY,
           timeout_s: float = 600.0, connect_timeout_s: float = 10.0, max_retries: int = 6,
           extra_body: Mapping[str, Any] | str | None = None, send_thinking: bool = True,
           reasoning_field: str | None = None, api_key_env: str = "EXAMQA_API_KEY") -> OpenAIBackend:
    """Entry point of ``examqa.backends``: ``examqa.backend("openai", model=…, base_url=…)``.

    ``base_url`` is one URL or several (replicas); ``extra_body`` may be a JSON object or its text.
    """
    urls = [base_url] if isinstance(base_url, str) else list(base_url)
    body: Mapping[str, Any] | None
    if isinstance(extra_body, str):
        try:
            parsed = json.loads(extra_body)
        except json.JSONDecodeError as exc:
            raise BackendError(f"extra_body is not JSON: {exc.msg}") from None
        if not isinstance(parsed, dict):
            raise BackendError("extra_body must be a JSON object")
        body = parsed
    else:
        body = extra_body
    return OpenAIBackend(urls, model, concurrency=concurrency, timeout_s=timeout_s,
                         connect_timeout_s=connect_timeout_s, max_retries=max_retries, extra_body=body,
                         send_thinking=send_thinking, reasoning_field=reasoning_field, api_key_env=api_key_env)
