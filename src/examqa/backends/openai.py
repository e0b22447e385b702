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
A request takes its concurrency slot first and picks its URL after, on fresh health data.
``await backend.aclose()`` (or ``async with``) closes the current loop's pool; forgetting it is
harmless: a pool closes itself, quietly, when its loop shuts down (``asyncio.run`` and
``asyncio.Runner`` finalise async generators, and each pool is held by one), and a pool whose loop
was closed without that is dropped the next time the backend is used or closed. ``close()`` from
synchronous code closes every pool, whichever loop or thread it belongs to. The synchronous
``generate`` drives ``agenerate`` on a private loop in the caller's thread and closes that loop's pool
when it ends; Ctrl-C cancels the requests in flight and propagates. A stream is read by a task of its
own into a queue, so a consumer that stops reading holds neither a slot nor a response: the slot is
freed when the server finishes, and dropping or closing the stream (or cancelling its reader) cancels
the request at once.

Keys. The API key comes from the environment only: the variable named by ``api_key_env``, else
``EXAMQA_API_KEY``, and ``OPENAI_API_KEY`` only for OpenAI's own API (``https://api.openai.com``) unless
named. A key (or URL credentials, or a secret-looking ``extra_body`` entry) is never sent over plain
http to a host other than this machine unless ``allow_http_key=True``; without it the backend refuses to
be built, with one line naming the fix. Keys and secret-looking settings are masked (``***``) in
:attr:`info` (what manifests record), ``repr``, logs and error messages.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
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
    MASK,
    REASONING_FIELDS,
    Answer,
    StreamState,
    body_message,
    deep_merge,
    has_secrets,
    is_loopback,
    is_openai_api,
    mask_secrets,
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
DEFAULT_KEY_ENV = "EXAMQA_API_KEY"
OPENAI_KEY_ENV = "OPENAI_API_KEY"
_CLOSE_WAIT_S = 10.0
"""How long a synchronous ``close()`` waits for a pool owned by a loop running in another thread."""


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


@dataclass(eq=False)
class _LoopState:
    """What the backend holds for one event loop: the pool, the in-flight budget, the URLs' health."""

    session: aiohttp.ClientSession
    slots: asyncio.Semaphore
    endpoints: list[_Endpoint]
    turn: list[int] = field(default_factory=lambda: [0])
    keeper: AsyncGenerator[None, None] | None = None
    """Suspended on its loop until the loop finalises async generators (``asyncio.run``'s end), then
    closes the pool: see :func:`_keep_open`."""

    async def close(self) -> None:
        """Close the pool (on its own loop). The keeper is left to the loop: it finds the pool closed,
        and closing it here could race the loop's own shutdown of its async generators."""
        if not self.session.closed:
            await self.session.close()


async def _keep_open(session: aiohttp.ClientSession, forget: functools.partial[None]) -> AsyncGenerator[None, None]:
    """Hold a pool open for the life of its loop; close it when the loop finalises its async generators.

    ``asyncio.run``/``asyncio.Runner`` (and uvloop, and any loop shut down properly) call
    ``loop.shutdown_asyncgens()`` before closing, which closes this generator on the still-running
    loop: the pool is closed there, and forgotten by its backend, without a word at exit.
    """
    try:
        yield
    finally:
        forget()
        if not session.closed:
            await session.close()


def _forget(owner: weakref.ref[OpenAIBackend], loop: asyncio.AbstractEventLoop,
            state: weakref.ref[_LoopState]) -> None:
    backend, held = owner(), state()
    if backend is not None and held is not None:
        backend._drop(loop, held)


def _start(keeper: AsyncGenerator[None, None]) -> None:
    """Run ``keeper`` to its first ``yield`` now, on the running loop (which registers it there)."""
    step = keeper.asend(None)
    try:
        step.send(None)
    except StopIteration:
        return
    step.close()  # cannot happen: the keeper yields before awaiting anything
    raise RuntimeError("the pool keeper did not start")


def _close_now(session: aiohttp.ClientSession) -> None:
    """Close a pool without awaiting, for when its loop is closed or cannot be waited on from here.

    ``connector.close()`` does its work at once and returns an awaitable that only waits for TLS
    shutdowns; its synchronous part is called directly, so nothing is left un-awaited.
    """
    connector = session.connector
    if connector is not None and not connector.closed:
        connector._close()


OPENAI_API_URL = "https://api.openai.com"


def _read_key(named: str | None, urls: Sequence[str]) -> tuple[str, str | None]:
    """The variable the key is read from and the key (None when unset).

    A variable the user names is read whatever the URLs. Otherwise ``EXAMQA_API_KEY``, examqa's own, and
    ``OPENAI_API_KEY`` only when every URL is OpenAI's API: that key was given for OpenAI, and a server
    elsewhere (a colleague's vLLM, a proxy) must not receive it unasked.
    """
    if named is not None:
        if not named.strip():
            raise BackendError("api_key_env must name an environment variable (e.g. EXAMQA_API_KEY)")
        return named, os.environ.get(named) or None
    key = os.environ.get(DEFAULT_KEY_ENV) or None
    if key is None and all(is_openai_api(u) for u in urls) and os.environ.get(OPENAI_KEY_ENV):
        return OPENAI_KEY_ENV, os.environ[OPENAI_KEY_ENV]
    return DEFAULT_KEY_ENV, key


def _refuse_plain_http(urls: Sequence[str], key_env: str | None, extra_body: Mapping[str, Any]) -> None:
    """Refuse to send a credential over plain http to another machine (anyone on the path could read it)."""
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme != "http" or is_loopback(url):
            continue
        if key_env is not None:
            what, unset = f"the API key in {key_env}", f", unset {key_env} if this server needs no key"
        elif parts.username or parts.password:
            what, unset = "the credentials in the base URL", ""
        elif has_secrets(extra_body):
            what, unset = "a secret in extra_body", ""
        else:
            continue
        raise BackendError(f"refusing to send {what} over plain http to {parts.hostname} ({redact_url(url)}): "
                           f"use an https:// base URL{unset}, or allow it on a network you trust with "
                           "allow_http_key=True (--backend-option allow_http_key=true)")


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

    The API key comes from the environment only (``api_key_env``, else ``EXAMQA_API_KEY``, and
    ``OPENAI_API_KEY`` for OpenAI's own API only); it is sent as ``Authorization: Bearer``, never over
    plain http to another machine unless ``allow_http_key``, and kept out of :attr:`info`, ``repr``,
    logs and error messages.
    """

    down_after_s = 60.0
    """A URL that has refused every connection for this long counts as down. When every URL is down a
    request stops at its first failed attempt instead of a full retry series, so a dead fleet ends a
    long run in about a minute rather than hours; a short restart is still ridden out by retries."""

    def __init__(self, base_urls: Sequence[str], model: str, *, concurrency: int = DEFAULT_CONCURRENCY,
                 api_key_env: str | None = None, timeout_s: float = 600.0,
                 connect_timeout_s: float = 10.0, max_retries: int = 6, backoff_base_s: float = 1.0,
                 backoff_max_s: float = 60.0, retry_after_max_s: float = 300.0,
                 extra_body: Mapping[str, Any] | None = None, send_thinking: bool = True,
                 reasoning_field: str | None = None, allow_http_key: bool = False) -> None:
        """Set up the client; nothing is contacted until :meth:`aopen`/:meth:`check_health` or a request.

        ``concurrency`` bounds the requests in flight through this object on one event loop, across all
        calls and URLs. ``timeout_s`` bounds each request's wait for the reply (reasoning is slow: the
        default is ten minutes) — for a stream, the wait between chunks; ``connect_timeout_s`` bounds
        connecting. ``extra_body`` is merged into every request (nested objects merge; its values win).
        ``send_thinking=False`` leaves ``chat_template_kwargs`` out for endpoints that reject it.
        ``reasoning_field`` names the response field holding parsed reasoning; by default
        ``reasoning_content`` and then ``reasoning`` are tried. ``api_key_env`` names the environment
        variable holding the key (default ``EXAMQA_API_KEY``, with ``OPENAI_API_KEY`` for
        ``https://api.openai.com`` only). ``allow_http_key=True`` lets a key travel over plain http to
        another machine (a trusted network); without it such a setup is refused.
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
        self._api_key_env, self._api_key = _read_key(api_key_env, urls)
        self._idle_openai_key = (api_key_env is None and self._api_key is None and not all(map(is_openai_api, urls))
                                 and bool(os.environ.get(OPENAI_KEY_ENV)))
        if not allow_http_key:
            _refuse_plain_http(urls, self._api_key_env if self._api_key else None, self._extra_body)
        self._rng = random.Random()
        self._states: dict[asyncio.AbstractEventLoop, _LoopState] = {}
        self._lock = threading.Lock()
        self._healthy = False
        known = (self._api_key,) if self._api_key else ()
        self.info = BackendInfo(name="openai", model=model, streams=True, settings={
            "base_urls": [redact_url(u) for u in urls], "concurrency": concurrency,
            "timeout_s": timeout_s, "connect_timeout_s": connect_timeout_s, "max_retries": max_retries,
            "extra_body": mask_secrets(self._extra_body, known), "send_thinking": send_thinking,
            "reasoning_fields": list(self._reasoning_fields), "api_key_env": self._api_key_env,
            "api_key_set": self._api_key is not None, "allow_http_key": allow_http_key,
        })

    def __repr__(self) -> str:
        shown = ", ".join(redact_url(u) for u in self._urls)
        return f"OpenAIBackend(model={self._model!r}, base_urls=[{shown}], concurrency={self._concurrency})"

    # ------------------------------------------------------------------------------ plumbing

    def _redact(self, text: str) -> str:
        """``text`` with the API key masked: servers echo bad keys back in their errors."""
        return text.replace(self._api_key, MASK) if self._api_key else text

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}

    def _key_hint(self) -> str:
        """What to do about a rejected (or missing) key."""
        hint = f"set {self._api_key_env} to a valid API key"
        if self._idle_openai_key:
            hint += (f" ({OPENAI_KEY_ENV} is sent only to {OPENAI_API_URL}; "
                     f"api_key_env={OPENAI_KEY_ENV} sends it to this server)")
        return hint

    def _timeout(self) -> aiohttp.ClientTimeout:
        # sock_read bounds the wait between bytes, which for a non-streamed completion is the wait for
        # the whole reply; no total limit, since a long reasoning trace is not a fault.
        return aiohttp.ClientTimeout(total=None, sock_connect=self._connect_timeout_s, sock_read=self._timeout_s)

    def _state(self) -> _LoopState:
        """This loop's pool, budget and URL health, created on first use (and closed with the loop)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            state = self._states.get(loop)
            if state is not None and not state.session.closed:
                return state
            self._sweep()
            # aiohttp, not httpx.AsyncClient: with many requests in flight httpx's pool costs
            # several times more client time (docs/benchmarks.md, encode/httpx#3215).
            session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, limit_per_host=0),
                                            timeout=self._timeout(), headers=self._headers())
            state = _LoopState(session=session, slots=asyncio.Semaphore(self._concurrency),
                               endpoints=[_Endpoint(url=u, shown=redact_url(u)) for u in self._urls])
            # The keeper refers to the backend and the state weakly: dropping the backend drops its pools
            # (each closed on its loop by the keeper's finaliser), and no reference cycle holds a pool.
            state.keeper = _keep_open(session, functools.partial(_forget, weakref.ref(self), loop,
                                                                 weakref.ref(state)))
            _start(state.keeper)
            self._states[loop] = state
            return state

    def _drop(self, loop: asyncio.AbstractEventLoop, state: _LoopState) -> None:
        """Forget ``loop``'s pool if it is still ``state`` (its keeper is closing it)."""
        with self._lock:
            if self._states.get(loop) is state:
                del self._states[loop]

    def _sweep(self) -> None:
        """Drop (and close at once) the pools of loops that were closed without finalising them."""
        for loop in [lp for lp in self._states if lp.is_closed()]:
            _close_now(self._states.pop(loop).session)

    @property
    def open_pools(self) -> int:
        """How many connection pools (one per event loop that used this backend) are open now."""
        with self._lock:
            self._sweep()
            return sum(not s.session.closed for s in self._states.values())

    async def aclose(self) -> None:
        """Close the current event loop's connection pool (a later call opens a new one)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            state = self._states.pop(loop, None)
            self._sweep()
        if state is not None:
            await state.close()

    def close(self) -> None:
        """Close every connection pool this backend holds, whichever loop or thread it belongs to.

        A pool on a loop running in another thread is closed there (this call waits for it); one on
        the loop running in this thread (a sync call from async code) or on a closed loop is closed at
        once; one on an idle loop is closed by running that loop briefly.
        """
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        with self._lock:
            taken = list(self._states.items())
            self._states.clear()
        for loop, state in taken:
            if state.session.closed:
                continue
            if loop.is_closed() or loop is current:
                _close_now(state.session)
            elif loop.is_running():
                future = asyncio.run_coroutine_threadsafe(state.close(), loop)
                try:
                    future.result(_CLOSE_WAIT_S)
                except (TimeoutError, RuntimeError, aiohttp.ClientError, concurrent.futures.CancelledError):
                    # that loop is stuck or stopping: leave the pool to it
                    future.cancel()
                    log.warning("could not close the connection pool of an event loop in another thread")
            elif current is None:
                loop.run_until_complete(state.close())
            else:
                _close_now(state.session)

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
                                       f"{self._redact(body_message(raw))} — {self._key_hint()}")
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
            failure: _Retry | _Fail | None = None
            async with state.slots:
                # Picked once the slot is ours: whatever failed or rested while this request waited counts.
                endpoint = self._pick(state)
                shown = endpoint.shown
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

        The response is read by a task of its own into a queue, so the concurrency slot and the HTTP
        response are held only while the server writes: a consumer that stops reading (or whose task
        is cancelled between deltas) holds neither. Closing the stream, dropping it, or cancelling
        its reader cancels the request at once.
        """
        state = self._state()
        items: asyncio.Queue[StreamItem | BaseException] = asyncio.Queue()
        reader = asyncio.get_running_loop().create_task(self._read_stream(state, request, sampling, items),
                                                        name=f"examqa-openai-stream {request.key}")
        try:
            while True:
                item = await items.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
                if isinstance(item, GenResult):
                    return
        finally:
            if not reader.done():
                reader.cancel()
                await asyncio.wait({reader})

    async def _read_stream(self, state: _LoopState, request: GenRequest, sampling: Sampling,
                           items: asyncio.Queue[StreamItem | BaseException]) -> None:
        """Put the stream's items on ``items`` as they arrive (a failure too: the reader re-raises it)."""
        try:
            async for item in self._stream_items(state, request, sampling):
                items.put_nowait(item)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # a bug: hand it to the consumer rather than hang it
            items.put_nowait(exc)

    async def _stream_items(self, state: _LoopState, request: GenRequest,
                            sampling: Sampling) -> AsyncIterator[StreamItem]:
        """The stream with its retries: deltas, then the result (or an error result)."""
        body = {**self.request_body(request, sampling), "stream": True,
                "stream_options": {"include_usage": True}}
        prompt = render_messages(request.messages)
        loop = asyncio.get_running_loop()
        started = loop.time()
        attempt = 0
        reason = ""
        shown = ""
        while True:
            stream = StreamState(self._reasoning_fields)
            splitter = ThinkSplitter(request.key, thinking=sampling.thinking)
            shown_any = False
            failure: _Retry | _Fail | None = None
            async with state.slots:
                endpoint = self._pick(state)  # once the slot is ours: fresh health data
                shown = endpoint.shown
                endpoint.in_flight += 1
                t0 = loop.time()
                try:
                    chunks = self._stream_attempt(state.session, endpoint, body, stream)
                    async with contextlib.aclosing(chunks):
                        async for thought, text in chunks:
                            for delta in self._deltas(request.key, thought, text, stream, splitter):
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
    def _deltas(key: str, thought: str, text: str, stream: StreamState, splitter: ThinkSplitter) -> list[TextDelta]:
        """One chunk's text as deltas, each labelled reasoning or answer.

        A server with a reasoning parser sends the reasoning in its own field and then the answer as
        ``content``: once the stream has carried reasoning that way, content is the answer (the server
        consumed the ``</think>``). Until then content may be ``reasoning</think>answer`` (no parser):
        the splitter cuts it at the tag.
        """
        out = [TextDelta(key, "reasoning", thought)] if thought else []
        if text:
            out += [TextDelta(key, "answer", text)] if stream.carried_reasoning else splitter.feed(text)
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
           reasoning_field: str | None = None, api_key_env: str | None = None,
           allow_http_key: bool = False) -> OpenAIBackend:
    """Entry point of ``examqa.backends``: ``examqa.backend("openai", model=…, base_url=…)``.

    ``base_url`` is one URL or several (replicas); ``extra_body`` may be a JSON object or its text.
    ``api_key_env`` names the variable holding the key (default ``EXAMQA_API_KEY``; ``OPENAI_API_KEY``
    is read for ``https://api.openai.com`` only, unless named); ``allow_http_key=True`` lets a key go
    over plain http to another machine.
    """
    urls = [base_url] if isinstance(base_url, str) else list(base_url)
    if not isinstance(allow_http_key, bool):
        raise BackendError(f"allow_http_key must be true or false, not {allow_http_key!r}")
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
                         send_thinking=send_thinking, reasoning_field=reasoning_field, api_key_env=api_key_env,
                         allow_http_key=allow_http_key)
