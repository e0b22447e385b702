"""The backend protocol: chat requests in, completions out — sync, async, and streamed.

A backend is async at its core: :meth:`Backend.agenerate` yields results as they finish, in any order,
and the engine stores each one the moment it arrives, so a crash loses at most the requests in flight.
:meth:`Backend.generate` is the same for synchronous callers, and :meth:`Backend.astream` streams one
request's text as the model writes it (a tutoring screen shows the reasoning live).

Third-party backends subclass :class:`AsyncBackend` (implement ``agenerate``; the sync side and a
one-chunk stream come free) or :class:`SyncBackend` (implement ``generate``, for compute-bound local
models; the async side runs it in a worker thread) and register a factory in the ``examqa.backends``
entry-point group, exactly as the built-in ``hf``, ``openai`` and ``scripted`` backends do.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import signal
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

from examqa.errors import BackendError

FinishReason = Literal["stop", "length", "error"]

T = TypeVar("T")


@dataclass(frozen=True)
class Sampling:
    """How to sample. ``temperature == 0`` means greedy decoding."""

    thinking: bool = True
    temperature: float = 0.6
    top_p: float = 0.95
    max_new_tokens: int = 16384
    seed: int | None = None
    presence_penalty: float | None = None

    @property
    def greedy(self) -> bool:
        """Whether decoding is greedy (temperature 0)."""
        return self.temperature == 0

    @property
    def mode(self) -> Literal["reasoning", "non-reasoning"]:
        """The hybrid model's mode this sampling asks for."""
        return "reasoning" if self.thinking else "non-reasoning"


@dataclass(frozen=True)
class GenRequest:
    """One sample to generate: ``key`` is ``"<question id>#<sample index>"``."""

    key: str
    messages: tuple[dict[str, str], ...]
    seed: int | None = None


@dataclass(frozen=True)
class GenResult:
    """One finished sample.

    ``output`` is the raw completion text. For a transformers backend in reasoning mode it is
    ``reasoning</think>answer`` (the prompt opened ``<think>``). A server that splits the reasoning out
    returns it in ``reasoning`` and the answer part in ``content``; ``output`` then holds
    ``reasoning + "</think>" + content`` for the record.
    """

    key: str
    prompt: str
    output: str
    finish_reason: FinishReason
    reasoning: str | None = None
    content: str | None = None
    server_split: bool = False
    """True when the server separated reasoning from content (vLLM's reasoning parser)."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int | None = None
    latency_s: float = 0.0
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """Backend-specific facts. ``extra["runtime_events"]`` (a list of dicts) is what the backend changed
    about itself mid-run (a batch halved after an out-of-memory …); a run records it in its manifest."""


@dataclass(frozen=True)
class TextDelta:
    """A piece of a completion as the model writes it: part of the reasoning or of the answer."""

    key: str
    kind: Literal["reasoning", "answer"]
    text: str


StreamItem = TextDelta | GenResult
"""What :meth:`Backend.astream` yields: deltas, then exactly one :class:`GenResult`."""


@dataclass(frozen=True)
class BackendInfo:
    """What a backend declares about itself, written to the run manifest (never secrets).

    ``streams`` says whether :meth:`Backend.astream` delivers text as it is generated (True) or the
    whole completion at the end as one delta (False).
    """

    name: str
    model: str
    settings: dict[str, Any] = field(default_factory=dict)
    streams: bool = False


@runtime_checkable
class Backend(Protocol):
    """Generates completions for chat requests. See the module docstring for the base classes."""

    info: BackendInfo

    async def aopen(self) -> None:
        """Get ready (load the model, check the server); raise :class:`~examqa.errors.BackendError` if unusable.

        Called before a run creates anything on disk; calling it again is cheap.
        """
        ...

    def open(self) -> None:
        """:meth:`aopen` for synchronous callers."""
        ...

    def agenerate(self, requests: Sequence[GenRequest], sampling: Sampling) -> AsyncIterator[GenResult]:
        """Yield one :class:`GenResult` per request, as each finishes (any order)."""
        ...

    def generate(self, requests: Sequence[GenRequest], sampling: Sampling) -> Iterator[GenResult]:
        """The same for synchronous callers."""
        ...

    def astream(self, request: GenRequest, sampling: Sampling) -> AsyncIterator[StreamItem]:
        """Yield :class:`TextDelta` pieces as the model writes, then the request's :class:`GenResult`."""
        ...

    async def aclose(self) -> None:
        """Release connections held for the current event loop."""
        ...

    def close(self) -> None:
        """:meth:`aclose` for synchronous callers."""
        ...


# ------------------------------------------------------------------------------------ sync <-> async


async def _anext(iterator: AsyncIterator[T]) -> T:
    return await iterator.__anext__()


def iterate_sync(make: Callable[[], AsyncIterator[T]]) -> Iterator[T]:
    """Drive an async iterator from synchronous code, on a private event loop in *this* thread.

    No thread is started. The loop runs only while the caller waits for the next item; requests in
    flight simply wait in their sockets meanwhile. Closing the generator (or Ctrl-C, which
    :class:`asyncio.Runner` turns into cancelling the awaited step) closes the async iterator, which
    cancels whatever it has in flight, before the loop is closed. Called from inside a running event
    loop it refuses: that caller should use the async API instead of blocking its loop.
    """
    if in_running_loop():
        raise RuntimeError("a synchronous examqa call was made inside a running event loop; "
                           "use the async API (aevaluate, asolve, agenerate) there")
    runner = asyncio.Runner()
    iterator: AsyncIterator[T] | None = None
    try:
        iterator = make()
        while True:
            try:
                item = runner.run(_anext(iterator))
            except StopAsyncIteration:
                return
            yield item
    finally:
        try:
            close = getattr(iterator, "aclose", None)
            if close is not None:
                runner.run(close())
        finally:
            runner.close()


def run_sync(make: Callable[[], Any]) -> Any:
    """Run the coroutine ``make()`` to completion from synchronous code.

    Outside an event loop it runs on a private loop in this thread. Inside a running loop (a
    notebook, a sync function called from async code) blocking that loop's thread would deadlock, so
    it runs on a fresh loop in a helper thread and waits; the async API avoids that thread. Ctrl-C
    while waiting cancels the helper's work, waits for it to wind down (a run writes its partial
    report), and raises KeyboardInterrupt: nothing goes on generating behind the caller's back.
    """
    if in_running_loop():
        return _on_helper_thread(make)
    with asyncio.Runner() as runner:
        return runner.run(make())


def in_running_loop() -> bool:
    """Whether this thread is running an event loop (a sync call made from async code, a notebook)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _on_helper_thread(make: Callable[[], Any]) -> Any:
    box: dict[str, Any] = {}
    started = threading.Event()

    async def main() -> Any:
        task = asyncio.current_task()
        if task is not None:
            box["stop"] = functools.partial(asyncio.get_running_loop().call_soon_threadsafe, task.cancel)
        started.set()
        return await make()

    def target() -> None:
        try:
            box["value"] = asyncio.run(main())
        except BaseException as exc:  # handed to the caller's thread below
            box["error"] = exc
        finally:
            started.set()

    worker = threading.Thread(target=target, name="examqa-sync-call")
    # The caller's loop may be asyncio.run's, whose SIGINT handler only cancels its main task (which
    # cannot run while this thread blocks): while waiting, Ctrl-C raises KeyboardInterrupt here instead.
    # Any other handler (a server's graceful shutdown) is left as it is.
    previous = signal.getsignal(signal.SIGINT) if threading.current_thread() is threading.main_thread() else None
    swap = isinstance(getattr(getattr(previous, "func", None), "__self__", None), asyncio.Runner)
    if swap:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        worker.start()
        try:
            worker.join()
        except KeyboardInterrupt:
            started.wait()
            stop = box.get("stop")
            if stop is not None:
                with contextlib.suppress(RuntimeError):  # the helper's loop is already closed
                    stop()
            worker.join()  # a second Ctrl-C stops waiting for the helper to wind down
            raise
    finally:
        if swap:
            signal.signal(signal.SIGINT, previous)
    if "error" in box:
        raise box["error"]
    return box.get("value")


class _Lifecycle:
    """Default lifecycle: nothing to open or close."""

    async def aopen(self) -> None:
        """Nothing to prepare."""

    def open(self) -> None:
        """Synchronous :meth:`aopen`."""
        run_sync(self.aopen)

    async def aclose(self) -> None:
        """Nothing to release."""

    def close(self) -> None:
        """Synchronous :meth:`aclose`."""
        run_sync(self.aclose)

    async def __aenter__(self: T) -> T:
        await self.aopen()  # type: ignore[attr-defined]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __enter__(self: T) -> T:
        self.open()  # type: ignore[attr-defined]
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


async def _one_chunk(backend: Backend, request: GenRequest, sampling: Sampling) -> AsyncIterator[StreamItem]:
    """A stream for backends that cannot stream: the whole completion as deltas, then the result."""
    result: GenResult | None = None
    async for first in backend.agenerate([request], sampling):
        result = first
        break
    if result is None:
        raise RuntimeError(f"backend {backend.info.name!r} returned no result for {request.key}")
    if result.finish_reason != "error":
        if result.server_split:
            if result.reasoning:
                yield TextDelta(request.key, "reasoning", result.reasoning)
            if result.content:
                yield TextDelta(request.key, "answer", result.content)
        else:
            splitter = ThinkSplitter(request.key, thinking=sampling.thinking)
            for delta in (*splitter.feed(result.output), *splitter.flush()):
                yield delta
    yield result


class AsyncBackend(_Lifecycle):
    """Base for backends that are async at their core: implement :meth:`agenerate`."""

    info: BackendInfo

    def agenerate(self, requests: Sequence[GenRequest], sampling: Sampling) -> AsyncIterator[GenResult]:
        """Yield one result per request as each finishes."""
        raise NotImplementedError

    def generate(self, requests: Sequence[GenRequest], sampling: Sampling) -> Iterator[GenResult]:
        """The sync side: :meth:`agenerate` on a private loop in this thread (no thread started)."""
        return iterate_sync(lambda: self.agenerate(list(requests), sampling))

    def astream(self, request: GenRequest, sampling: Sampling) -> AsyncIterator[StreamItem]:
        """The whole completion as one chunk (override to stream for real)."""
        return _one_chunk(self, request, sampling)


class SyncBackend(_Lifecycle):
    """Base for compute-bound local backends: implement :meth:`generate`.

    The async side runs ``generate`` in a worker thread one result at a time, so the event loop stays
    free while the model computes.
    """

    info: BackendInfo

    def generate(self, requests: Sequence[GenRequest], sampling: Sampling) -> Iterator[GenResult]:
        """Yield one result per request."""
        raise NotImplementedError

    async def agenerate(self, requests: Sequence[GenRequest], sampling: Sampling) -> AsyncIterator[GenResult]:
        """Run :meth:`generate` in a worker thread; yield each result as the thread produces it."""
        results = self.generate(list(requests), sampling)
        done = object()
        try:
            while True:
                item = await asyncio.to_thread(next, results, done)
                if item is done:
                    return
                assert isinstance(item, GenResult)
                yield item
        finally:
            close = getattr(results, "close", None)
            if close is not None:
                close()

    def astream(self, request: GenRequest, sampling: Sampling) -> AsyncIterator[StreamItem]:
        """The whole completion as one chunk (override to stream for real)."""
        return _one_chunk(self, request, sampling)


# ------------------------------------------------------------------------------------ stream splitting

def model_folder(model: str, kind: str = "") -> str:
    """``model`` checked where it names a folder (a path, not a hub id ``org/name``): the folder's path,
    or a one-line :class:`~examqa.errors.BackendError` when it is missing or holds no ``config.json``
    (``kind`` says what model: "transformers "). A hub id comes back unchanged. (For hf and vllm.)"""
    if not (model.startswith((".", "/", "~", "\\")) or "\\" in model or model.count("/") > 1
            or Path(model).expanduser().exists()):
        return model
    folder = Path(model).expanduser()
    if not folder.is_dir():
        raise BackendError(f"model folder not found: {folder}")
    if not (folder / "config.json").is_file():
        raise BackendError(f"{folder} is not a {kind}model folder (no config.json)")
    return str(folder)


THINK_OPEN, THINK_CLOSE = "<think>", "</think>"


def reasoning_tokens(ids: list[int], think_close_id: int | None, thinking: bool) -> int | None:
    """A completion's reasoning tokens: up to and including ``</think>``; all of them if the reasoning never
    closed; None in non-reasoning mode. (For backends that see token ids: hf, vllm.)"""
    if not thinking:
        return None
    if think_close_id is not None and think_close_id in ids:
        return ids.index(think_close_id) + 1
    return len(ids)


class ThinkSplitter:
    """Turns raw completion text, fed piece by piece, into reasoning and answer deltas.

    In reasoning mode the template opened ``<think>`` in the prompt, so text is reasoning until the
    first ``</think>`` and answer after it. (Grading splits at the *last* close, since a model may
    reopen its thinking; the final :class:`GenResult` is what is graded, the deltas are for display.)
    A tag split across pieces is held back until it can be told apart from ordinary text. An echoed
    leading ``<think>`` is dropped. In non-reasoning mode everything is answer.
    """

    def __init__(self, key: str, *, thinking: bool) -> None:
        self.key = key
        self._in_reasoning = thinking
        self._held = ""
        self._started = False

    def feed(self, text: str) -> list[TextDelta]:
        """The deltas that ``text`` (the next piece) completes."""
        buf = self._held + text
        self._held = ""
        out: list[TextDelta] = []
        if not self._started:
            stripped = buf.lstrip()
            if THINK_OPEN.startswith(stripped) and stripped != THINK_OPEN and len(stripped) < len(THINK_OPEN):
                self._held = buf  # maybe the start of an echoed <think>
                return out
            self._started = True
            if self._in_reasoning and stripped.startswith(THINK_OPEN):
                buf = stripped[len(THINK_OPEN):]
        if self._in_reasoning:
            cut = buf.find(THINK_CLOSE)
            if cut >= 0:
                if cut:
                    out.append(TextDelta(self.key, "reasoning", buf[:cut]))
                self._in_reasoning = False
                buf = buf[cut + len(THINK_CLOSE):]
            else:
                keep = _partial_suffix(buf, THINK_CLOSE)
                if len(buf) > keep:
                    out.append(TextDelta(self.key, "reasoning", buf[: len(buf) - keep]))
                self._held = buf[len(buf) - keep:] if keep else ""
                return out
        if buf:
            out.append(TextDelta(self.key, "answer", buf))
        return out

    def flush(self) -> list[TextDelta]:
        """Whatever is held back, once the completion has ended."""
        held, self._held = self._held, ""
        if not held:
            return []
        return [TextDelta(self.key, "reasoning" if self._in_reasoning else "answer", held)]


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest suffix of ``text`` that is a proper prefix of ``tag``."""
    for n in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:n]):
            return n
    return 0
