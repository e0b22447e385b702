"""The transformers backend: a local model folder or hub id, batched ``generate`` on one device.

A reasoning-mode completion comes back raw (``reasoning</think>answer``: the chat template opened the
think block in the prompt); splitting it is the parser's job, not the backend's. No stop strings are
passed: a task's stop strings would cut the reasoning. Generation ends on the end-of-turn token or the
token limit, nothing else.

torch and transformers are imported when a backend is built, never when this module is imported.

Sampling draws from per-request ``torch.Generator`` objects (seeded from the run's and the request's
seeds), never from torch's global RNG: two runs in one process do not disturb each other, and a
request's sample does not depend on which other requests share its batch. The draw is the Gumbel-max
form of the same distribution (temperature, then top-p, then argmax of logits plus Gumbel noise).

One backend object is safe to share between threads and tasks: calls take turns on the model (a lock),
and the async side runs generation in a worker thread so the event loop stays free.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

from examqa.backends.base import (
    BackendInfo,
    FinishReason,
    GenRequest,
    GenResult,
    Sampling,
    StreamItem,
    SyncBackend,
    ThinkSplitter,
)
from examqa.errors import BackendError, MissingExtraError

THINK_CLOSE = "</think>"

_DTYPES = {
    "float32": "float32", "fp32": "float32",
    "float16": "float16", "fp16": "float16", "half": "float16",
    "bfloat16": "bfloat16", "bf16": "bfloat16",
}


def _import_torch() -> tuple[Any, Any]:
    """Import torch and transformers, or say which extra installs them."""
    try:
        import torch
    except ImportError as exc:
        raise MissingExtraError("torch", "hf") from exc
    try:
        import transformers
    except ImportError as exc:
        raise MissingExtraError("transformers", "hf") from exc
    return torch, transformers


def resolve_device(torch: Any, device: str) -> str:
    """``auto`` → ``cuda`` if available, else ``mps``, else ``cpu``; an explicit device is checked."""
    if device == "auto":
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return "mps"
        return "cpu"
    try:
        kind = torch.device(device).type
    except (RuntimeError, TypeError) as exc:
        raise BackendError(f"unknown device {device!r}; use auto, cpu, cuda, cuda:N or mps") from exc
    if kind == "cuda" and not torch.cuda.is_available():
        raise BackendError(f"device {device!r} asked for, but torch sees no CUDA device")
    return device


def resolve_dtype(torch: Any, dtype: str, device: str) -> Any:
    """``auto`` → bfloat16 on CUDA when supported, else float16 on CUDA/MPS, float32 on CPU."""
    if dtype == "auto":
        kind = torch.device(device).type
        if kind == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        if kind == "mps":
            return torch.float16
        return torch.float32
    name = _DTYPES.get(dtype.lower())
    if name is None:
        raise BackendError(f"unknown dtype {dtype!r}; use auto, float32, bfloat16 or float16")
    return getattr(torch, name)


def _looks_like_path(model: str) -> bool:
    """Whether ``model`` names a folder rather than a hub id (``org/name``)."""
    return (model.startswith((".", "/", "~", "\\")) or "\\" in model or model.count("/") > 1
            or Path(model).expanduser().exists())


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def derive_seed(sampling_seed: int | None, request_seeds: Sequence[int | None]) -> int | None:
    """One torch seed for a batch, from the run's seed and the requests' seeds; ``None`` if none is set.

    A stable hash (not ``hash()``, which is salted per process) so that a rerun of the same batch
    draws the same samples.
    """
    if sampling_seed is None and all(s is None for s in request_seeds):
        return None
    text = repr((sampling_seed, tuple(request_seeds)))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") & (2**63 - 1)


def row_seed(sampling_seed: int | None, request_seed: int | None) -> int:
    """The seed of one request's generator: derived from the seeds when any is set, else fresh entropy."""
    derived = derive_seed(sampling_seed, [request_seed])
    return derived if derived is not None else int.from_bytes(os.urandom(8), "big") & (2**63 - 1)


def _gumbel_sampler(torch: Any, generators: list[Any]) -> Any:
    """A logits processor that adds Gumbel noise row by row from ``generators``: argmax then samples."""
    from transformers import LogitsProcessor

    class GumbelSampler(LogitsProcessor):
        def __call__(self, input_ids: Any, scores: Any) -> Any:
            rows = [torch.rand(scores.shape[1], generator=g, device=scores.device, dtype=torch.float32)
                    for g in generators]
            uniform = torch.stack(rows).clamp_(min=1e-20, max=1.0 - 1e-7)
            return scores + (-torch.log(-torch.log(uniform))).to(scores.dtype)

    return GumbelSampler()


class HFBackend(SyncBackend):
    """Generates with a transformers causal LM, ``batch_size`` prompts at a time, left-padded.

    ``presence_penalty`` has no transformers equivalent and is ignored (the result's ``extra`` says so).
    ``load=False`` defers loading the model to :meth:`open` (``examqa.backend("hf", …)`` does this, so
    a run can check its directory before spending minutes on a model).
    """

    def __init__(self, model: str | Path, *, trust_remote_code: bool = False, dtype: str = "auto",
                 device: str = "auto", batch_size: int = 8, load: bool = True) -> None:
        if batch_size < 1:
            raise BackendError(f"batch size must be at least 1, got {batch_size}")
        self.model_name = str(model)
        self.batch_size = batch_size
        self._trust_remote_code = trust_remote_code
        self._dtype_name = dtype
        self._device_name = device
        self._lock = threading.Lock()
        self._loaded = False
        self.info = BackendInfo(name="hf", model=self.model_name, streams=True, settings={
            "dtype": dtype, "device": device, "batch_size": batch_size, "trust_remote_code": trust_remote_code,
        })
        if load:
            self.open()

    def open(self) -> None:
        """Load the tokenizer and model (once); a missing folder or unknown hub id is one clear line."""
        if self._loaded:  # no lock needed to see it: it only ever turns True
            return
        with self._lock:
            if self._loaded:
                return
            torch, transformers = _import_torch()
            self._torch = torch
            name = self.model_name
            self.device = resolve_device(torch, self._device_name)
            self.dtype = resolve_dtype(torch, self._dtype_name, self.device)
            self.tokenizer, self.model = self._load(transformers, name, self._trust_remote_code)
            tok = self.tokenizer
            tok.padding_side = "left"  # generation continues from the right end of every row
            eos_ids: list[int] = []
            for candidate in (tok.eos_token_id, getattr(self.model.generation_config, "eos_token_id", None)):
                for i in candidate if isinstance(candidate, list) else [candidate]:
                    if isinstance(i, int) and i not in eos_ids:
                        eos_ids.append(i)
            if not eos_ids:
                raise BackendError(f"{name}: the tokenizer declares no end-of-turn (eos) token")
            self.eos_ids = eos_ids
            if tok.pad_token_id is None:
                tok.pad_token = tok.convert_ids_to_tokens(eos_ids[0])
            self.pad_id: int = tok.pad_token_id
            think = tok.convert_tokens_to_ids(THINK_CLOSE)
            self.think_close_id: int | None = (
                think if isinstance(think, int) and think != tok.unk_token_id else None
            )
            self.info = BackendInfo(name="hf", model=name, streams=True, settings={
                "dtype": str(self.dtype).removeprefix("torch."), "device": self.device,
                "batch_size": self.batch_size, "trust_remote_code": self._trust_remote_code,
            })
            self._loaded = True

    async def aopen(self) -> None:
        """Load the model in a worker thread (loading a real model takes a while)."""
        await asyncio.to_thread(self.open)

    def _load(self, transformers: Any, name: str, trust_remote_code: bool) -> tuple[Any, Any]:
        """Load tokenizer and model; a missing folder or unreachable hub id is one clear line."""
        if _looks_like_path(name):
            folder = Path(name).expanduser()
            if not folder.is_dir():
                raise BackendError(f"model folder not found: {folder}")
            if not (folder / "config.json").is_file():
                raise BackendError(f"{folder} is not a transformers model folder (no config.json)")
            name = str(folder)
        # transformers renamed ``torch_dtype`` to ``dtype`` in 4.56; older releases ignore ``dtype``.
        major, minor = (int(p) for p in transformers.__version__.split(".")[:2])
        dtype_kw = "dtype" if (major, minor) >= (4, 56) else "torch_dtype"
        try:
            tokenizer = transformers.AutoTokenizer.from_pretrained(name, trust_remote_code=trust_remote_code)
            model = transformers.AutoModelForCausalLM.from_pretrained(
                name, trust_remote_code=trust_remote_code, **{dtype_kw: self.dtype}
            )
        except (OSError, ValueError) as exc:
            # OSError: unknown hub id, offline hub, missing weight files; ValueError: an architecture
            # this transformers does not know (or one that needs --trust-remote-code).
            raise BackendError(f"cannot load model {name!r}: {_first_line(exc)}") from exc
        model.to(self.device)
        model.eval()
        return tokenizer, model

    def render(self, request: GenRequest, sampling: Sampling) -> str:
        """The chat-templated prompt text for one request."""
        self.open()
        text: str = self.tokenizer.apply_chat_template(
            list(request.messages), add_generation_prompt=True, enable_thinking=sampling.thinking,
            tokenize=False,
        )
        return text

    def generate(self, requests: Sequence[GenRequest], sampling: Sampling) -> Iterator[GenResult]:
        """Yield one result per request, batch by batch in the order given."""
        self.open()
        for start in range(0, len(requests), self.batch_size):
            yield from self._generate_batch(requests[start:start + self.batch_size], sampling)

    def _generate_kwargs(self, sampling: Sampling, batch: Sequence[GenRequest]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "max_new_tokens": sampling.max_new_tokens,
            "eos_token_id": self.eos_ids,
            "pad_token_id": self.pad_id,
            "do_sample": False,
            # A model's generation_config may carry sampling defaults; they must not leak in.
            "temperature": None, "top_p": None, "top_k": None,
        }
        if not sampling.greedy:
            from transformers import LogitsProcessorList, TemperatureLogitsWarper, TopPLogitsWarper

            torch = self._torch
            generators = []
            for request in batch:
                g = torch.Generator(device=self.device)
                g.manual_seed(row_seed(sampling.seed, request.seed))
                generators.append(g)
            processors: list[Any] = [TemperatureLogitsWarper(sampling.temperature)]
            if sampling.top_p < 1.0:
                processors.append(TopPLogitsWarper(sampling.top_p))
            processors.append(_gumbel_sampler(torch, generators))
            kwargs["logits_processor"] = LogitsProcessorList(processors)
        return kwargs

    def _run_model(self, batch: Sequence[GenRequest], sampling: Sampling, streamer: Any = None
                   ) -> tuple[list[str], Any, Any, float]:
        torch = self._torch
        prompts = [self.render(r, sampling) for r in batch]
        enc = self.tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
        enc = {k: v.to(self.device) for k, v in enc.items()}
        kwargs = self._generate_kwargs(sampling, batch)
        if streamer is not None:
            kwargs["streamer"] = streamer
        t0 = time.perf_counter()
        with self._lock, torch.inference_mode():
            out = self.model.generate(**enc, **kwargs)
        return prompts, enc, out, time.perf_counter() - t0

    def _generate_batch(self, batch: Sequence[GenRequest], sampling: Sampling,
                        streamer: Any = None) -> Iterator[GenResult]:
        torch = self._torch
        try:
            prompts, enc, out, elapsed = self._run_model(batch, sampling, streamer)
        except torch.OutOfMemoryError as exc:
            message = f"out of memory generating a batch of {len(batch)}; lower --batch-size ({exc})"
            for request in batch:
                yield GenResult(key=request.key, prompt=self.render(request, sampling), output="",
                                finish_reason="error", error=message)
            return
        share = elapsed / len(batch)
        prompt_width = enc["input_ids"].shape[1]
        prompt_lens = enc["attention_mask"].sum(dim=1).tolist()
        extra = {"ignored": ["presence_penalty"]} if sampling.presence_penalty is not None else {}
        for row, (request, prompt) in enumerate(zip(batch, prompts, strict=True)):
            ids = out[row, prompt_width:].tolist()
            finish: FinishReason = "length"
            for i, token in enumerate(ids):
                if token in self.eos_ids:
                    # Keep the end-of-turn token in the count (servers count it too), drop the padding.
                    ids = ids[:i + 1]
                    finish = "stop"
                    break
            yield GenResult(
                key=request.key,
                prompt=prompt,
                output=self.tokenizer.decode(ids, skip_special_tokens=True),
                finish_reason=finish,
                prompt_tokens=int(prompt_lens[row]),
                completion_tokens=len(ids),
                reasoning_tokens=self._reasoning_tokens(ids, sampling.thinking),
                latency_s=share,
                extra=dict(extra),
            )

    async def astream(self, request: GenRequest, sampling: Sampling) -> AsyncIterator[StreamItem]:
        """Stream one request's text as the model writes it (a transformers streamer in a worker thread)."""
        await self.aopen()
        from transformers import TextIteratorStreamer

        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["result"] = next(self._generate_batch([request], sampling, streamer))
            except BaseException as exc:  # handed to the consumer below
                box["error"] = exc
                streamer.on_finalized_text("", stream_end=True)

        worker = threading.Thread(target=work, name="examqa-hf-stream", daemon=True)
        worker.start()
        splitter = ThinkSplitter(request.key, thinking=sampling.thinking)
        done = object()
        while True:
            piece = await asyncio.to_thread(next, streamer, done)
            if piece is done:
                break
            for delta in splitter.feed(str(piece)):
                yield delta
        for delta in splitter.flush():
            yield delta
        await asyncio.to_thread(worker.join)
        if "error" in box:
            raise box["error"]
        yield box["result"]

    def _reasoning_tokens(self, ids: list[int], thinking: bool) -> int | None:
        """Tokens up to and including ``</think>``; all of them if the reasoning never closed."""
        if not thinking:
            return None
        if self.think_close_id is not None and self.think_close_id in ids:
            return ids.index(self.think_close_id) + 1
        return len(ids)


def create(*, model: str | Path, dtype: str = "auto", device: str = "auto", batch_size: int = 8,
           trust_remote_code: bool = False) -> HFBackend:
    """Entry point of ``examqa.backends``: ``examqa.backend("hf", model=…)``; the model loads on first use."""
    return HFBackend(model, dtype=dtype, device=device, batch_size=batch_size,
                     trust_remote_code=trust_remote_code, load=False)


__all__ = ["HFBackend", "create", "derive_seed", "resolve_device", "resolve_dtype", "row_seed"]
