"""A scripted backend: canned completions, for tests and for demonstrating the pipeline without a model.

A script is a JSON file::

    {"default": "…</think>\\n\\n정답: 1",          # used for ids not listed (optional)
     "outputs": {"Q1": "…</think>\\n\\n정답: ③",    # one completion for every sample of Q1
                 "Q2": ["…정답: 1", "…정답: 2"]},    # or one per sample index
     "delay_s": 0.0}                                 # sleep per request (to test interruption)

It goes through the same engine, store and parser as a real model: only generation is canned.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from pathlib import Path

from examqa.backends.base import (
    AsyncBackend,
    BackendInfo,
    GenRequest,
    GenResult,
    Sampling,
    StreamItem,
    ThinkSplitter,
)
from examqa.errors import InputError

Script = Callable[[GenRequest], str] | Callable[[GenRequest, Sampling], str]
"""A function of the request — or of the request and the sampling, to answer each mode its own way."""


class ScriptedBackend(AsyncBackend):
    """Answers each request from a script: a function of the request, or a mapping id → output(s).

    It is both a sync and an async backend with real behaviour on each side (``delay_s`` sleeps the
    thread in ``generate`` and awaits in ``agenerate``), and it streams a few characters at a time.
    """

    STREAM_PIECE = 8

    def __init__(self, script: Script | Mapping[str, str | Sequence[str]], *, default: str | None = None,
                 delay_s: float = 0.0, name: str = "scripted") -> None:
        self._script = script
        self._default = default
        self._delay_s = delay_s
        self.info = BackendInfo(name="scripted", model=name, settings={"delay_s": delay_s}, streams=True)

    @classmethod
    def from_file(cls, path: Path) -> ScriptedBackend:
        """Load a script file (see the module docstring)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"cannot read scripted-backend file: {exc}", path=path,
                             hint="it must be a JSON object with 'outputs' and/or 'default'") from exc
        if not isinstance(data, dict) or not ({"outputs", "default"} & set(data)):
            raise InputError("not a script: expected a JSON object with 'outputs' and/or 'default'", path=path)
        return cls(data.get("outputs", {}), default=data.get("default"),
                   delay_s=float(data.get("delay_s", 0.0)), name=path.name)

    def _output(self, request: GenRequest, sampling: Sampling) -> str:
        if callable(self._script):
            if len(inspect.signature(self._script).parameters) >= 2:
                return self._script(request, sampling)  # type: ignore[call-arg]
            return self._script(request)  # type: ignore[call-arg]
        qid, _, sample = request.key.rpartition("#")
        entry = self._script.get(qid)
        if isinstance(entry, str):
            return entry
        if entry is not None and len(entry) > 0:
            return entry[int(sample) % len(entry)]
        if self._default is None:
            raise InputError(f"the script has no output for {qid!r} and no default")
        return self._default

    def _result(self, request: GenRequest, sampling: Sampling, text: str, started: float) -> GenResult:
        closed = "</think>" in text or not sampling.thinking
        prompt = "\n\n".join(f"[{m['role']}]\n{m['content']}" for m in request.messages)
        return GenResult(key=request.key, prompt=prompt, output=text,
                         finish_reason="stop" if closed else "length",
                         prompt_tokens=len(prompt.split()), completion_tokens=len(text.split()),
                         latency_s=time.perf_counter() - started)

    def generate(self, requests: Sequence[GenRequest], sampling: Sampling) -> Iterator[GenResult]:
        """Yield the scripted completion for each request, in order."""
        for request in requests:
            start = time.perf_counter()
            if self._delay_s:
                time.sleep(self._delay_s)
            yield self._result(request, sampling, self._output(request, sampling), start)

    async def agenerate(self, requests: Sequence[GenRequest], sampling: Sampling) -> AsyncIterator[GenResult]:
        """The same on the running loop: the delay is an ``asyncio.sleep``, so calls overlap."""
        for request in requests:
            start = time.perf_counter()
            if self._delay_s:
                await asyncio.sleep(self._delay_s)
            yield self._result(request, sampling, self._output(request, sampling), start)

    async def astream(self, request: GenRequest, sampling: Sampling) -> AsyncIterator[StreamItem]:
        """The scripted completion a few characters at a time (the delay spread over the pieces)."""
        start = time.perf_counter()
        text = self._output(request, sampling)
        splitter = ThinkSplitter(request.key, thinking=sampling.thinking)
        pieces = [text[i:i + self.STREAM_PIECE] for i in range(0, len(text), self.STREAM_PIECE)] or [""]
        for piece in pieces:
            if self._delay_s:
                await asyncio.sleep(self._delay_s / len(pieces))
            for delta in splitter.feed(piece):
                yield delta
        for delta in splitter.flush():
            yield delta
        yield self._result(request, sampling, text, start)


def create(*, model: str | Path | None = None, script: Script | Mapping[str, str | Sequence[str]] | None = None,
           default: str | None = None, delay_s: float = 0.0) -> ScriptedBackend:
    """Entry point of ``examqa.backends``: a script file (``model``, as ``--model`` gives it) or a script."""
    if model is not None and script is None:
        return ScriptedBackend.from_file(Path(model))
    if script is None and default is None:
        raise InputError("the scripted backend needs a script file (model=…/--model FILE) or script=/default=")
    return ScriptedBackend(script or {}, default=default, delay_s=delay_s, name=str(model or "scripted"))
