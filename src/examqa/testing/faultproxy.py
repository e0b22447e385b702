"""A fault-injecting HTTP proxy for testing clients of OpenAI-compatible servers.

    plan = FaultPlan(rates={"error500": 0.1, "drop_body": 0.05}, seed=7)
    with FaultProxy("http://127.0.0.1:8000/v1", plan, stall_s=3.0) as proxy:
        backend = OpenAIBackend([proxy.url], model, timeout_s=1.0)   # proxy.url ends in /v1 as well
        ...
    print(proxy.stats())

It listens on 127.0.0.1 (a free port), forwards to an upstream on 127.0.0.1 only, and decides per
request, deterministically, whether to pass it or inject one of these faults:

``error500``      answer 500 without asking upstream
``rate_limit``    answer 429 with ``Retry-After`` (1 s by default) without asking upstream
``stall_drop``    hold the request ``stall_s`` seconds (longer than the client's timeout), then close
``stall_late``    hold ``stall_s`` seconds, then forward and answer (the client has usually given up)
``drop_headers``  forward, then send half the response headers and close the connection
``drop_body``     forward, then send the headers and half the body and close the connection

The two ``drop_*`` faults reach the upstream, so the server did the work but the client lost the
answer: the case that tests a client for duplicated or lost results. Each connection carries one
request (responses say ``Connection: close``), and request sizes and waits are bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args
from urllib.parse import urlsplit

__all__ = ["FAULTS", "Fault", "FaultPlan", "FaultProxy", "FaultStats"]

Fault = Literal["pass", "error500", "rate_limit", "stall_drop", "stall_late", "drop_headers", "drop_body"]
FAULTS: tuple[str, ...] = get_args(Fault)

_MAX_HEAD = 64 * 1024
_MAX_BODY = 64 * 1024 * 1024
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "te", "trailer",
               "upgrade", "host", "content-length", "transfer-encoding"}


def _check_fault(name: str) -> Fault:
    if name not in FAULTS:
        raise ValueError(f"unknown fault {name!r}; expected one of {', '.join(FAULTS)}")
    return cast(Fault, name)


def _content_length(head: bytes) -> int | None:
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            return int(value.strip())
    return None


@dataclass(frozen=True)
class FaultPlan:
    """Which fault the n-th request (0-based, counting only requests faults apply to) gets.

    The ``script`` decides the first ``len(script)`` requests; after that a request whose 1-based
    number is a multiple of ``every[fault]`` gets that fault; otherwise ``rates`` (probabilities
    summing to at most 1) decide, drawn from a generator seeded by ``(seed, n)`` — so the n-th
    request gets the same fault whatever order concurrent requests arrive in.
    """

    rates: Mapping[str, float] = field(default_factory=dict)
    seed: int = 0
    script: Sequence[str] = ()
    every: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in (*self.rates, *self.script, *self.every):
            _check_fault(name)
        if any(not 0.0 <= p <= 1.0 for p in self.rates.values()) or sum(self.rates.values()) > 1.0 + 1e-9:
            raise ValueError("fault rates must each be in [0, 1] and sum to at most 1")
        if any(k < 1 for k in self.every.values()):
            raise ValueError("'every' periods must be at least 1")

    @classmethod
    def first(cls, n: int, fault: str) -> FaultPlan:
        """Fail the first ``n`` requests with ``fault``, pass the rest."""
        return cls(script=(_check_fault(fault),) * n)

    @classmethod
    def every_nth(cls, k: int, fault: str) -> FaultPlan:
        """Give every ``k``-th request (the k-th, 2k-th, …) ``fault``, pass the rest."""
        return cls(every={_check_fault(fault): k})

    def fault_for(self, n: int) -> Fault:
        """The fault for request number ``n`` (0-based)."""
        if n < len(self.script):
            return _check_fault(self.script[n])
        for name, k in self.every.items():
            if (n + 1) % k == 0:
                return _check_fault(name)
        draw = random.Random(self.seed * 1_000_003 + n).random()
        total = 0.0
        for name, p in self.rates.items():
            total += p
            if draw < total:
                return _check_fault(name)
        return "pass"


@dataclass(frozen=True)
class FaultStats:
    """What the proxy saw and did."""

    received: int
    """Requests received (all paths)."""
    forwarded: int
    """Requests sent on to the upstream (passes, late stalls and the ``drop_*`` faults)."""
    injected: dict[str, int]
    """Faults injected, by name."""
    upstream_errors: int
    """Forwards that failed to reach or hear from the upstream (answered 502)."""


class FaultProxy:
    """An HTTP proxy on 127.0.0.1 that injects faults by a :class:`FaultPlan`; a context manager.

    ``url`` is the proxy's base URL, with the upstream's path (e.g. ``http://127.0.0.1:PORT/v1``).
    Faults apply to requests whose path ends with one of ``fault_paths``; others (``/models``) pass.
    """

    def __init__(self, upstream: str, plan: FaultPlan | None = None, *, stall_s: float = 5.0,
                 retry_after_s: int = 1, fault_paths: Sequence[str] = ("/chat/completions",),
                 upstream_timeout_s: float = 600.0) -> None:
        """Prepare the proxy; :meth:`start` (or ``with``) opens the port."""
        parts = urlsplit(upstream)
        if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost") or not parts.port:
            raise ValueError(f"FaultProxy only forwards to http://127.0.0.1:PORT, not {upstream!r}")
        self.plan = plan or FaultPlan()
        self.stall_s = stall_s
        self.retry_after_s = retry_after_s
        self.fault_paths = tuple(fault_paths)
        self.upstream_timeout_s = upstream_timeout_s
        self._upstream_port = parts.port
        self._base_path = parts.path.rstrip("/")
        self.url = ""
        self._lock = threading.Lock()
        self._received = 0
        self._forwarded = 0
        self._upstream_errors = 0
        self._injected: Counter[str] = Counter()
        self._next = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------------------------ lifecycle

    def __enter__(self) -> FaultProxy:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Open the port and serve from a background thread."""
        if self._thread is not None:
            return
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="examqa-faultproxy", daemon=True)
        self._thread.start()
        server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", 0, limit=_MAX_HEAD), loop).result(10)
        self._server = server
        port = server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}{self._base_path}"

    def close(self) -> None:
        """Stop listening, cut every open connection (stalls included), and end the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(TimeoutError, RuntimeError):
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        if not thread.is_alive():
            loop.close()
        self._loop = self._thread = None

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)

    def stats(self) -> FaultStats:
        """A snapshot of the counters."""
        with self._lock:
            return FaultStats(self._received, self._forwarded, dict(self._injected), self._upstream_errors)

    # ------------------------------------------------------------------------------ serving

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            request = await asyncio.wait_for(self._read_request(reader), timeout=60)
            if request is not None:
                await self._serve(writer, *request)
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError,
                ValueError):
            pass  # a client that hangs up or sends garbage just loses its connection
        finally:
            if task is not None:
                self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _read_request(self, reader: asyncio.StreamReader
                            ) -> tuple[str, str, list[tuple[str, str]], bytes] | None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers: list[tuple[str, str]] = []
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers.append((name.strip(), value.strip()))
        lengths = [v for k, v in headers if k.lower() == "content-length"]
        length = int(lengths[0]) if lengths else 0
        if length < 0 or length > _MAX_BODY:
            raise ValueError("request body too large")
        body = await reader.readexactly(length) if length else b""
        return method, target, headers, body

    def _decide(self, target: str) -> Fault:
        with self._lock:
            self._received += 1
            if not target.split("?", 1)[0].endswith(self.fault_paths):
                return "pass"
            fault = self.plan.fault_for(self._next)
            self._next += 1
            if fault != "pass":
                self._injected[fault] += 1
            return fault

    async def _serve(self, writer: asyncio.StreamWriter, method: str, target: str,
                     headers: list[tuple[str, str]], body: bytes) -> None:
        fault = self._decide(target)
        if fault == "error500":
            await self._reply(writer, 500, {"error": {"message": "injected fault: internal server error"}})
            return
        if fault == "rate_limit":
            await self._reply(writer, 429, {"error": {"message": "injected fault: rate limited"}},
                              {"Retry-After": str(self.retry_after_s)})
            return
        if fault in ("stall_drop", "stall_late"):
            await asyncio.sleep(self.stall_s)
            if fault == "stall_drop":
                return
        head, payload = await self._forward(method, target, headers, body)
        if fault == "drop_headers":
            writer.write(head[: max(1, len(head) // 2)])
        elif fault == "drop_body":
            writer.write(head + payload[: len(payload) // 2])
        else:
            writer.write(head + payload)
        with contextlib.suppress(ConnectionError):
            await writer.drain()

    async def _reply(self, writer: asyncio.StreamWriter, status: int, body: dict[str, Any],
                     extra: Mapping[str, str] | None = None) -> None:
        raw = json.dumps(body).encode()
        reason = {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway"}[status]
        lines = [f"HTTP/1.1 {status} {reason}", "Content-Type: application/json",
                 f"Content-Length: {len(raw)}", "Connection: close"]
        lines += [f"{k}: {v}" for k, v in (extra or {}).items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + raw)
        await writer.drain()

    async def _forward(self, method: str, target: str, headers: list[tuple[str, str]],
                       body: bytes) -> tuple[bytes, bytes]:
        """Send the request upstream on a fresh connection; return the response head and body."""
        with self._lock:
            self._forwarded += 1
        try:
            return await asyncio.wait_for(self._exchange(method, target, headers, body),
                                          timeout=self.upstream_timeout_s)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            with self._lock:
                self._upstream_errors += 1
            raw = json.dumps({"error": {"message": "fault proxy: upstream unavailable"}}).encode()
            head = ("HTTP/1.1 502 Bad Gateway\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(raw)}\r\nConnection: close\r\n\r\n").encode()
            return head, raw

    async def _exchange(self, method: str, target: str, headers: list[tuple[str, str]],
                        body: bytes) -> tuple[bytes, bytes]:
        reader, writer = await asyncio.open_connection("127.0.0.1", self._upstream_port, limit=_MAX_HEAD)
        try:
            kept = [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP]
            lines = [f"{method} {target} HTTP/1.1", f"Host: 127.0.0.1:{self._upstream_port}",
                     *(f"{k}: {v}" for k, v in kept), f"Content-Length: {len(body)}", "Connection: close"]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            length = _content_length(head)
            if length is not None:
                if length > _MAX_BODY:
                    raise ValueError("upstream response too large")
                payload = await reader.readexactly(length)
            else:
                # No length (chunked or close-delimited): upstream closes after one response.
                chunks: list[bytes] = []
                size = 0
                while chunk := await reader.read(65536):
                    size += len(chunk)
                    if size > _MAX_BODY:
                        raise ValueError("upstream response too large")
                    chunks.append(chunk)
                payload = b"".join(chunks)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        return self._rewrite_head(head), payload

    @staticmethod
    def _rewrite_head(head: bytes) -> bytes:
        """The upstream's status line and headers with ``Connection: close`` (one request per socket)."""
        lines = head.decode("latin-1").rstrip("\r\n").split("\r\n")
        kept = [lines[0]] + [ln for ln in lines[1:]
                             if ln.split(":", 1)[0].strip().lower() not in ("connection", "keep-alive")]
        return ("\r\n".join([*kept, "Connection: close"]) + "\r\n\r\n").encode("latin-1")
