"""A scripted backend: canned completions, for tests and for demonstrating the pipeline without a model.

A script is a JSON file::

    {"default": "…</think>\\n\\n정답: 1",          # used for ids not listed (optional)
     "outputs": {"Q1": "…</think>\\n\\n정답: ③",    # one completion for every sample of Q1
                 "Q2": ["…정답: 1", "…정답: 2"]},    # or one per sample index
     "delay_s": 0.0}                                 # sleep per request (to test interruption)

It goes through the same engine, store and parser as a real model: only generation is canned.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from examqa.backends.base import BackendInfo, GenRequest, GenResult, Sampling
from examqa.errors import InputError

Script = Callable[[GenRequest], str]


class ScriptedBackend:
    """Answers each request from a script: a function of the request, or a mapping id → output(s)."""

    def __init__(self, script: Script | Mapping[str, str | Sequence[str]], *, default: str | None = None,
                 delay_s: float = 0.0, name: str = "scripted") -> None:
        self._script = script
        self._default = default
        self._delay_s = delay_s
        self.info = BackendInfo(name="scripted", model=name, settings={"delay_s": delay_s})

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

    def _output(self, request: GenRequest) -> str:
        if callable(self._script):
            return self._script(request)
        qid, _, sample = request.key.rpartition("#")
        entry = self._script.get(qid)
        if isinstance(entry, str):
            return entry
        if entry is not None and len(entry) > 0:
            return entry[int(sample) % len(entry)]
        if self._default is None:
            raise InputError(f"the script has no output for {qid!r} and no default")
        return self._default

    def generate(self, requests: Sequence[GenRequest], sampling: Sampling) -> Iterator[GenResult]:
        """Yield the scripted completion for each request, in order."""
        for request in requests:
            start = time.perf_counter()
            if self._delay_s:
                time.sleep(self._delay_s)
            text = self._output(request)
            closed = "</think>" in text or not sampling.thinking
            prompt = "\n\n".join(f"[{m['role']}]\n{m['content']}" for m in request.messages)
            yield GenResult(key=request.key, prompt=prompt, output=text,
                            finish_reason="stop" if closed else "length",
                            prompt_tokens=len(prompt.split()), completion_tokens=len(text.split()),
                            latency_s=time.perf_counter() - start)
