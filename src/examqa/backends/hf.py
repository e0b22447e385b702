"""The transformers backend: a local model folder or hub id, ``generate`` on one device, batched by length.

A reasoning-mode completion comes back raw (``reasoning</think>answer``: the chat template opened the
think block in the prompt); splitting it is the parser's job, not the backend's. No stop strings are
passed: a task's stop strings would cut the reasoning. Generation ends on the end-of-turn token or the
token limit, nothing else.

torch and transformers are imported when a backend is built, never when this module is imported.

**Batching.** Every prompt of a call is rendered and tokenized first, then the prompts are sorted by
length, longest first, and cut into batches: a batch pads to its longest prompt, so neighbours in
length waste the least, and the longest batch runs first, so an out-of-memory shows up at once rather
than an hour in. Results come back batch by batch, each the moment its batch is done (a run stores
them in the order they finish, as with a server; the report keeps the bank's order).

**Batch size.** A number, or ``"auto"``: the largest batch that fits — worked out once per token
budget from the free device memory and the model's KV-cache size per token, checked on an
accelerator with a trial forward pass (halving until it fits), and remembered. Whatever the setting,
an out-of-memory during a batch halves it and retries both halves — never an error, never a lost
sample — and the smaller size is kept for the rest of the backend's life. Each halving (and the size
``auto`` found) comes back in the next result's ``extra["runtime_events"]``; a run records them in
its manifest. Only a single prompt that does not fit ends as an error result (``--resume`` retries it).

**Continuous batching** (``batching="continuous"``): transformers' paged-attention scheduler
(``init_continuous_batching``) keeps a running batch full, adding a prompt as soon as another
finishes, so no batch waits for its longest trace and each result is returned the moment it is done.
It pays on a GPU with long, uneven reasoning traces; on a CPU it is slower (docs/benchmarks.md). It
decodes greedily only (it samples from torch's global generator, so per-request seeds could not be
honoured): a sampled call falls back to padded batches and says so in each result's ``extra``.

Sampling draws from per-request ``torch.Generator`` objects (seeded from the run's and the request's
seeds), never from torch's global RNG: two runs in one process do not disturb each other, and a
request's sample does not depend on which other requests share its batch. The draw is the Gumbel-max
form of the same distribution (temperature, then top-p, then argmax of logits plus Gumbel noise).

One backend object is safe to share between threads and tasks: calls take turns on the model (a lock),
and the async side runs generation in a worker thread so the event loop stays free. Cancelling an
``agenerate`` or ``astream`` (or closing or dropping the iterator) stops the generation within a token
and releases the model before the cancellation completes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from examqa.backends.base import (
    BackendInfo,
    FinishReason,
    GenRequest,
    GenResult,
    Sampling,
    StreamItem,
    SyncBackend,
    ThinkSplitter,
    model_folder,
    reasoning_tokens,
)
from examqa.errors import BackendError, MissingExtraError

log = logging.getLogger(__name__)

THINK_CLOSE = "</think>"

Batching = Literal["padded", "continuous"]

_DTYPES = {
    "float32": "float32", "fp32": "float32",
    "float16": "float16", "fp16": "float16", "half": "float16",
    "bfloat16": "bfloat16", "bf16": "bfloat16",
}

DEFAULT_MAX_BATCH_SIZE = 128
"""The most ``batch_size="auto"`` picks, however much memory is free."""

_MEMORY_SHARE = 0.85
"""The share of the free memory ``auto`` plans to fill (the rest is headroom for the allocator)."""


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


def parse_batch_size(value: int | str) -> int | Literal["auto"]:
    """A batch size setting: a positive number, or ``"auto"`` (also as text: ``"8"``, ``"auto"``)."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "auto":
            return "auto"
        try:
            value = int(text)
        except ValueError:
            raise BackendError(f"batch size must be a number or auto, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BackendError(f"batch size must be a number or auto, got {value!r}")
    if value < 1:
        raise BackendError(f"batch size must be at least 1, got {value}")
    return value


def is_out_of_memory(torch: Any, exc: BaseException) -> bool:
    """Whether ``exc`` is a device out-of-memory: CUDA/XPU raise ``torch.OutOfMemoryError``, MPS a
    RuntimeError that says so. (A failed CPU allocation is neither: on a CPU the OS steps in first.)"""
    oom = getattr(torch, "OutOfMemoryError", None)
    if oom is not None and isinstance(exc, oom):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower() and "MPS" in str(exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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


def _stop_on(torch: Any, cancel: threading.Event) -> Any:
    """A stopping criterion that ends generation at the next token once ``cancel`` is set."""
    from transformers import StoppingCriteria

    class Cancelled(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            return torch.full((input_ids.shape[0],), cancel.is_set(), dtype=torch.bool, device=input_ids.device)

    return Cancelled()


class _Cancelled(Exception):
    """The caller cancelled: stop without yielding the batch in progress."""


@dataclass
class _Prompt:
    """One request, rendered and tokenized."""

    request: GenRequest
    text: str
    ids: list[int]


@dataclass
class _Events:
    """Batch-size events not yet handed to the caller (they ride on the next result)."""

    pending: list[dict[str, Any]] = field(default_factory=list)

    def attach(self, result: GenResult) -> GenResult:
        if not self.pending:
            return result
        events, self.pending = self.pending, []
        result.extra["runtime_events"] = events
        return result


class HFBackend(SyncBackend):
    """Generates with a transformers causal LM, in length-sorted, left-padded batches.

    ``batch_size`` is a number or ``"auto"`` (see the module docstring); ``max_batch_size`` caps what
    ``auto`` picks. ``batching="continuous"`` uses transformers' continuous batching for greedy calls.
    ``presence_penalty`` has no transformers equivalent and is ignored (the result's ``extra`` says so).
    ``load=False`` defers loading the model to :meth:`open` (``examqa.backend("hf", …)`` does this, so
    a run can check its directory before spending minutes on a model).
    """

    def __init__(self, model: str | Path, *, trust_remote_code: bool = False, dtype: str = "auto",
                 device: str = "auto", batch_size: int | str = 8, max_batch_size: int = DEFAULT_MAX_BATCH_SIZE,
                 batching: Batching = "padded", load: bool = True) -> None:
        self.batch_size = parse_batch_size(batch_size)
        if max_batch_size < 1:
            raise BackendError(f"max batch size must be at least 1, got {max_batch_size}")
        if batching not in ("padded", "continuous"):
            raise BackendError(f"batching must be padded or continuous, got {batching!r}")
        self.model_name = str(model)
        self.max_batch_size = max_batch_size
        self.batching: Batching = batching
        self._trust_remote_code = trust_remote_code
        self._dtype_name = dtype
        self._device_name = device
        self._lock = threading.Lock()
        self._loaded = False
        self._limits: dict[int, int] = {}
        """Token budget → the largest batch known to fit (``auto``'s finding, or an out-of-memory's lesson)."""
        self._probe = False
        """Whether ``auto`` checks its estimate with a trial forward pass (on an accelerator)."""
        self.info = self._info(dtype, device)
        if load:
            self.open()

    def _info(self, dtype: str, device: str) -> BackendInfo:
        settings: dict[str, Any] = {"dtype": dtype, "device": device, "batch_size": self.batch_size,
                                    "trust_remote_code": self._trust_remote_code}
        if self.batch_size == "auto":
            settings["max_batch_size"] = self.max_batch_size
        if self.batching != "padded":
            settings["batching"] = self.batching
        return BackendInfo(name="hf", model=self.model_name, streams=True, settings=settings)

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
            self._eos = frozenset(eos_ids)
            if tok.pad_token_id is None:
                tok.pad_token = tok.convert_ids_to_tokens(eos_ids[0])
            self.pad_id: int = tok.pad_token_id
            think = tok.convert_tokens_to_ids(THINK_CLOSE)
            self.think_close_id: int | None = (
                think if isinstance(think, int) and think != tok.unk_token_id else None
            )
            self._probe = torch.device(self.device).type in ("cuda", "xpu", "mps")
            self.info = self._info(str(self.dtype).removeprefix("torch."), self.device)
            self._loaded = True

    async def aopen(self) -> None:
        """Load the model in a worker thread (loading a real model takes a while)."""
        await asyncio.to_thread(self.open)

    def _load(self, transformers: Any, name: str, trust_remote_code: bool) -> tuple[Any, Any]:
        """Load tokenizer and model; a missing folder or unreachable hub id is one clear line."""
        name = model_folder(name, "transformers ")
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

    # ------------------------------------------------------------------------------ prompts

    def render(self, request: GenRequest, sampling: Sampling) -> str:
        """The chat-templated prompt text for one request."""
        self.open()
        text: str = self.tokenizer.apply_chat_template(
            list(request.messages), add_generation_prompt=True, enable_thinking=sampling.thinking,
            tokenize=False,
        )
        return text

    def _prompts(self, requests: Sequence[GenRequest], sampling: Sampling) -> list[_Prompt]:
        """Every request rendered (once per distinct conversation: samples share it) and tokenized."""
        texts: dict[tuple[tuple[tuple[str, str], ...], ...], str] = {}
        rendered: list[str] = []
        for request in requests:
            key = tuple(tuple(sorted(m.items())) for m in request.messages)
            text = texts.get(key)
            if text is None:
                text = texts[key] = self.render(request, sampling)
            rendered.append(text)
        unique = list(dict.fromkeys(rendered))
        ids = dict(zip(unique, self.tokenizer(unique, add_special_tokens=False)["input_ids"], strict=True))
        return [_Prompt(r, text, list(ids[text])) for r, text in zip(requests, rendered, strict=True)]

    # ------------------------------------------------------------------------------ generate

    def generate(self, requests: Sequence[GenRequest], sampling: Sampling) -> Iterator[GenResult]:
        """Yield one result per request, batch by batch as each finishes (longest prompts first)."""
        self.open()
        return self._generate(requests, sampling, None)

    def _generate(self, requests: Sequence[GenRequest], sampling: Sampling,
                  cancel: threading.Event | None) -> Iterator[GenResult]:
        if not requests:
            return
        with contextlib.suppress(_Cancelled):
            yield from self._generate_sorted(requests, sampling, cancel)

    def _generate_sorted(self, requests: Sequence[GenRequest], sampling: Sampling,
                         cancel: threading.Event | None) -> Iterator[GenResult]:
        prompts = self._prompts(requests, sampling)
        # Longest first; a stable sort keeps bank order among equal lengths (an item's samples stay together).
        prompts.sort(key=lambda p: -len(p.ids))
        events = _Events()
        if self.batching == "continuous":
            if sampling.greedy:
                yield from self._continuous(prompts, sampling, cancel, events)
                return
            log.info("continuous batching decodes greedily only; sampling with padded batches")
        note = "padded (continuous batching decodes greedily only)" if self.batching == "continuous" else None
        yield from self._padded(prompts, sampling, cancel, events, note)

    def _padded(self, prompts: list[_Prompt], sampling: Sampling, cancel: threading.Event | None,
                events: _Events, note: str | None = None) -> Iterator[GenResult]:
        """``prompts`` in padded batches, in order, each as large as :meth:`_batch_size_for` allows for its
        first (longest) prompt; ``note`` goes in each result's ``extra["batching"]``."""
        start = 0
        while start < len(prompts):
            if cancel is not None and cancel.is_set():
                return
            size = self._batch_size_for(prompts[start], sampling, events, cancel)
            chunk = prompts[start:start + size]
            for result in self._run_halving(chunk, sampling, cancel, events):
                if note is not None:
                    result.extra["batching"] = note
                yield events.attach(result)
            start += len(chunk)

    def _batch_size_for(self, longest: _Prompt, sampling: Sampling, events: _Events,
                        cancel: threading.Event | None) -> int:
        """The batch size for the next batch (whose longest prompt is ``longest``)."""
        budget = sampling.max_new_tokens
        known = self._limits.get(budget)
        if self.batch_size != "auto":
            return min(self.batch_size, known) if known is not None else self.batch_size
        if known is None:
            known, how = self._find_auto(len(longest.ids), budget, cancel)
            self._limits[budget] = known
            events.pending.append({"event": "batch_size_auto", "batch_size": known, "how": how,
                                   "prompt_tokens": len(longest.ids), "max_new_tokens": budget, "at": _now()})
        return known

    def _run_halving(self, chunk: list[_Prompt], sampling: Sampling, cancel: threading.Event | None,
                     events: _Events) -> Iterator[GenResult]:
        """Generate ``chunk``; on an out-of-memory, halve it, remember the smaller size and retry both halves."""
        torch = self._torch
        try:
            results = self._run_batch(chunk, sampling, cancel)
        except _Cancelled:
            return
        except Exception as exc:
            if not is_out_of_memory(torch, exc):
                raise
            message = _first_line(exc)
        else:
            yield from results
            return
        self._free_device_memory()
        longest = max(len(p.ids) for p in chunk)
        if len(chunk) == 1:
            events.pending.append({"event": "out_of_memory", "batch_size": 1, "prompt_tokens": longest,
                                   "max_new_tokens": sampling.max_new_tokens, "at": _now()})
            error = (f"out of memory generating one prompt of {longest} tokens with up to "
                     f"{sampling.max_new_tokens} new tokens ({message}); lower --max-new-tokens or use a "
                     "larger device")
            p = chunk[0]
            yield GenResult(key=p.request.key, prompt=p.text, output="", finish_reason="error", error=error,
                            prompt_tokens=len(p.ids))
            return
        half = (len(chunk) + 1) // 2
        budget = sampling.max_new_tokens
        self._limits[budget] = min(half, self._limits.get(budget, half))
        events.pending.append({"event": "out_of_memory_halved", "batch_size": len(chunk), "retry_with": half,
                               "prompt_tokens": longest, "max_new_tokens": budget, "at": _now()})
        log.warning("out of memory on a batch of %d prompts (up to %d tokens); retrying as batches of %d",
                    len(chunk), longest, half)
        yield from self._run_halving(chunk[:half], sampling, cancel, events)
        rest = chunk[half:]
        while rest:  # at the size that fits by now (the first half may have taught a smaller one)
            size = min(len(rest), self._limits[budget])
            yield from self._run_halving(rest[:size], sampling, cancel, events)
            rest = rest[size:]

    def _free_device_memory(self) -> None:
        torch = self._torch
        kind = torch.device(self.device).type
        if kind == "cuda":
            torch.cuda.empty_cache()
        elif kind == "mps":
            torch.mps.empty_cache()

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

    def _pad(self, batch: Sequence[_Prompt]) -> tuple[Any, Any, int]:
        """Left-padded ``input_ids`` and ``attention_mask`` on the device, and their width."""
        torch = self._torch
        width = max(len(p.ids) for p in batch)
        ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, p in enumerate(batch):
            n = len(p.ids)
            ids[row, width - n:] = torch.tensor(p.ids, dtype=torch.long)
            mask[row, width - n:] = 1
        return ids.to(self.device), mask.to(self.device), width

    @contextlib.contextmanager
    def _model_turn(self, cancel: threading.Event | None) -> Iterator[None]:
        """Hold the model lock; a cancelled caller stops waiting for it."""
        if cancel is None:
            with self._lock:
                yield
            return
        while not self._lock.acquire(timeout=0.05):
            if cancel.is_set():
                raise _Cancelled
        try:
            if cancel.is_set():
                raise _Cancelled
            yield
        finally:
            self._lock.release()

    def _run_batch(self, batch: Sequence[_Prompt], sampling: Sampling, cancel: threading.Event | None,
                   streamer: Any = None) -> list[GenResult]:
        """One ``generate`` call on ``batch``; raises :class:`_Cancelled` if the caller cancelled meanwhile."""
        torch = self._torch
        input_ids, mask, width = self._pad(batch)
        kwargs = self._generate_kwargs(sampling, [p.request for p in batch])
        if streamer is not None:
            kwargs["streamer"] = streamer
        if cancel is not None:
            from transformers import StoppingCriteriaList

            kwargs["stopping_criteria"] = StoppingCriteriaList([_stop_on(torch, cancel)])
        with self._model_turn(cancel):
            t0 = time.perf_counter()
            with torch.inference_mode():
                out = self.model.generate(input_ids=input_ids, attention_mask=mask, **kwargs)
            elapsed = time.perf_counter() - t0
        if cancel is not None and cancel.is_set():
            raise _Cancelled  # cut short: these are not the model's completions
        share = elapsed / len(batch)
        extra = {"ignored": ["presence_penalty"]} if sampling.presence_penalty is not None else {}
        rows = out[:, width:].tolist()
        return [self._result(p, ids, sampling, share, extra) for p, ids in zip(batch, rows, strict=True)]

    def _result(self, p: _Prompt, ids: list[int], sampling: Sampling, latency: float,
                extra: dict[str, Any]) -> GenResult:
        finish: FinishReason = "length"
        for i, token in enumerate(ids):
            if token in self._eos:
                # Keep the end-of-turn token in the count (servers count it too), drop the padding.
                ids = ids[:i + 1]
                finish = "stop"
                break
        return GenResult(
            key=p.request.key,
            prompt=p.text,
            output=self.tokenizer.decode(ids, skip_special_tokens=True),
            finish_reason=finish,
            prompt_tokens=len(p.ids),
            completion_tokens=len(ids),
            reasoning_tokens=reasoning_tokens(ids, self.think_close_id, sampling.thinking),
            latency_s=latency,
            extra=dict(extra),
        )

    # ------------------------------------------------------------------------------ batch size auto

    def _kv_bytes_per_token(self) -> int:
        """Bytes of KV cache one token takes across all layers."""
        config = self.model.config
        text = config.get_text_config() if hasattr(config, "get_text_config") else config
        layers = int(text.num_hidden_layers)
        heads = int(text.num_attention_heads)
        kv_heads = int(getattr(text, "num_key_value_heads", None) or heads)
        head_dim = int(getattr(text, "head_dim", None) or text.hidden_size // heads)
        element = int(self._torch.empty((), dtype=self.dtype).element_size())
        return 2 * layers * kv_heads * head_dim * element

    def _free_memory(self) -> int:
        """Bytes free for generation on the device (CPU: the memory the OS says is available)."""
        torch = self._torch
        kind = torch.device(self.device).type
        if kind == "cuda":
            free, _ = torch.cuda.mem_get_info(torch.device(self.device))
            return int(free)
        if kind == "mps":
            return int(torch.mps.recommended_max_memory() - torch.mps.driver_allocated_memory())
        if kind == "xpu":
            free, _ = torch.xpu.mem_get_info()
            return int(free)
        try:
            for line in Path("/proc/meminfo").read_text().splitlines():
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            pass
        pages, size = os.sysconf("SC_AVPHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        return int(pages * size)

    def sequence_bytes(self, prompt_tokens: int, max_new_tokens: int) -> int:
        """What one sequence needs at most: KV cache for its prompt and whole budget, the prefill's
        activations, and a few vocabulary-sized rows of logits."""
        config = self.model.config
        text = config.get_text_config() if hasattr(config, "get_text_config") else config
        element = int(self._torch.empty((), dtype=self.dtype).element_size())
        hidden = int(text.hidden_size)
        intermediate = int(getattr(text, "intermediate_size", None) or 4 * hidden)
        vocab = int(getattr(text, "vocab_size", 0) or 0)
        length = prompt_tokens + max_new_tokens
        return (self._kv_bytes_per_token() * length + prompt_tokens * (4 * hidden + 3 * intermediate) * element
                + 4 * vocab * 4)

    def estimate_batch_size(self, prompt_tokens: int, max_new_tokens: int) -> int:
        """The largest batch the free memory should hold (:meth:`sequence_bytes` each), at most
        ``max_batch_size`` and at least one."""
        fits = int(self._free_memory() * _MEMORY_SHARE) // max(self.sequence_bytes(prompt_tokens, max_new_tokens), 1)
        return max(1, min(self.max_batch_size, fits))

    def _find_auto(self, prompt_tokens: int, max_new_tokens: int,
                   cancel: threading.Event | None) -> tuple[int, str]:
        """``auto``: the estimate, checked on an accelerator by a prefill of that many prompts (halving
        until it fits). The decode phase's growth is what the estimate's KV term is for; an
        out-of-memory there still halves the batch."""
        size = self.estimate_batch_size(prompt_tokens, max_new_tokens)
        if not self._probe:
            return size, "estimate"
        torch = self._torch
        while True:
            try:
                with self._model_turn(cancel), torch.inference_mode():
                    ids = torch.full((size, prompt_tokens), self.pad_id, dtype=torch.long, device=self.device)
                    self.model(input_ids=ids, use_cache=True)
                    del ids
                return size, "probe"
            except Exception as exc:
                if not is_out_of_memory(torch, exc):
                    raise
                if size == 1:
                    return 1, "probe"
            self._free_device_memory()
            size = max(1, size // 2)

    # ------------------------------------------------------------------------------ continuous batching

    def _continuous(self, prompts: list[_Prompt], sampling: Sampling, cancel: threading.Event | None,
                    events: _Events) -> Iterator[GenResult]:
        """Greedy generation through transformers' continuous batching; each result as it finishes."""
        from transformers import GenerationConfig

        config = GenerationConfig(  # type: ignore[no-untyped-call]
            max_new_tokens=sampling.max_new_tokens, do_sample=False, eos_token_id=self.eos_ids,
            pad_token_id=self.pad_id)
        extra: dict[str, Any] = {"batching": "continuous"}
        if sampling.presence_penalty is not None:
            extra["ignored"] = ["presence_penalty"]
        retry: list[_Prompt] = []
        with self._model_turn(cancel), _quiet_about_psutil():
            manager = self.model.init_continuous_batching(generation_config=config,
                                                          continuous_batching_config=self._cb_config(prompts, sampling))
            manager.start()
            try:
                t0 = time.perf_counter()
                ids = manager.add_requests(inputs=[p.ids for p in prompts], max_new_tokens=sampling.max_new_tokens)
                by_id = dict(zip(ids, prompts, strict=True))
                left = set(by_id)
                while left:
                    if cancel is not None and cancel.is_set():
                        return
                    out = manager.get_result(timeout=0.2)
                    if out is None:
                        if not manager.is_running():
                            raise BackendError("transformers' continuous batching stopped unexpectedly")
                        continue
                    if not out.is_finished() or out.request_id not in left:
                        continue
                    left.discard(out.request_id)
                    p = by_id[out.request_id]
                    if out.error:
                        retry.append(p)  # an out-of-memory or other failure: padded batches below
                        continue
                    latency = out.lifespan[1] - out.lifespan[0] if out.lifespan[0] >= 0 else time.perf_counter() - t0
                    yield events.attach(self._result(p, list(out.generated_tokens), sampling, latency, extra))
            finally:
                manager.stop(block=True, timeout=30)
        if retry:
            log.warning("continuous batching failed %d prompt(s); retrying them in padded batches", len(retry))
            events.pending.append({"event": "continuous_batching_retry", "prompts": len(retry), "at": _now()})
            yield from self._padded(retry, sampling, cancel, events)

    def _cb_config(self, prompts: Sequence[_Prompt], sampling: Sampling) -> Any:
        """On CUDA, transformers sizes the paged cache and the running batch from the free GPU memory.
        Elsewhere it would size them from all of RAM (slow to set up, tens of times slower to run), so
        the cache gets the pages these prompts need, within half the free memory, and at most
        ``batch_size`` sequences run at once (measured on CPU: more made every step slower)."""
        if self._torch.device(self.device).type == "cuda":
            return None
        from transformers import ContinuousBatchingConfig

        page = 32
        need = sum(-(-(len(p.ids) + sampling.max_new_tokens) // page) for p in prompts)
        fits = int(self._free_memory() * 0.5) // (page * self._kv_bytes_per_token())
        running = self.batch_size if isinstance(self.batch_size, int) else 8
        return ContinuousBatchingConfig(page_size=page, num_blocks=max(16, min(need, fits)), max_batch_tokens=4096,
                                        max_requests_per_batch=running)

    # ------------------------------------------------------------------------------ async

    async def agenerate(self, requests: Sequence[GenRequest], sampling: Sampling) -> AsyncIterator[GenResult]:
        """Generate in a worker thread, yielding each result as it is ready.

        Cancelling the consumer (or closing the iterator) stops the batch in progress within a token,
        discards it, and waits until the model is released.
        """
        todo = list(requests)
        if not todo:
            return
        await self.aopen()
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        cancel = threading.Event()
        done = object()

        def hand(item: Any) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is waiting any more
                loop.call_soon_threadsafe(queue.put_nowait, item)

        def work() -> None:
            try:
                for result in self._generate(todo, sampling, cancel):
                    hand(result)
                    if cancel.is_set():
                        return
            except BaseException as exc:  # handed to the consumer below
                hand(exc)
            finally:
                hand(done)

        worker = threading.Thread(target=work, name="examqa-hf-generate", daemon=True)
        worker.start()
        try:
            while True:
                item = await queue.get()
                if item is done:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            cancel.set()
            await _join(worker)

    async def astream(self, request: GenRequest, sampling: Sampling) -> AsyncIterator[StreamItem]:
        """Stream one request's text as the model writes it (a transformers streamer in a worker thread).

        Closing, cancelling or dropping the stream stops the generation within a token and releases
        the model before the cancellation completes.
        """
        await self.aopen()
        from transformers import TextIteratorStreamer

        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        cancel = threading.Event()
        box: dict[str, Any] = {}
        (prompt,) = self._prompts([request], sampling)

        def work() -> None:
            try:
                (box["result"],) = self._run_batch([prompt], sampling, cancel, streamer)
            except BaseException as exc:  # handed to the consumer below (_Cancelled: nobody is listening)
                box["error"] = exc
            finally:
                streamer.on_finalized_text("", stream_end=True)

        worker = threading.Thread(target=work, name="examqa-hf-stream", daemon=True)
        worker.start()
        try:
            splitter = ThinkSplitter(request.key, thinking=sampling.thinking)
            end = object()
            while True:
                piece = await asyncio.to_thread(next, streamer, end)
                if piece is end:
                    break
                for delta in splitter.feed(str(piece)):
                    yield delta
            for delta in splitter.flush():
                yield delta
            await _join(worker)
            if "error" in box:
                raise box["error"]
            yield box["result"]
        finally:
            cancel.set()
            await _join(worker)


class _NoPsutil(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "psutil" not in record.getMessage()


@contextlib.contextmanager
def _quiet_about_psutil() -> Iterator[None]:
    """transformers' continuous batching logs an ERROR on a CPU without psutil (it only sizes a CPU
    offload buffer with it, which examqa sizes itself): not worth alarming anyone over."""
    logger = logging.getLogger("ContinuousBatchingLogger")
    quiet = _NoPsutil()
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)


async def _join(worker: threading.Thread) -> None:
    """Wait for ``worker`` without blocking the loop. A cancellation meanwhile does not cut the wait
    short (the model must be released first); it is raised once the worker has ended."""
    if not worker.is_alive():
        return
    waiter = asyncio.ensure_future(asyncio.to_thread(worker.join))
    cancelled = False
    while not waiter.done():
        try:
            await asyncio.shield(waiter)
        except asyncio.CancelledError:
            cancelled = True
    if cancelled:
        raise asyncio.CancelledError


def create(*, model: str | Path, dtype: str = "auto", device: str = "auto", batch_size: int | str = 8,
           max_batch_size: int = DEFAULT_MAX_BATCH_SIZE, batching: Batching = "padded",
           trust_remote_code: bool = False) -> HFBackend:
    """Entry point of ``examqa.backends``: ``examqa.backend("hf", model=…)``; the model loads on first use.

    ``batch_size`` is a number or ``"auto"``; ``batching`` is ``"padded"`` (the default) or
    ``"continuous"`` (transformers' continuous batching, for GPUs; greedy only).
    """
    return HFBackend(model, dtype=dtype, device=device, batch_size=batch_size, max_batch_size=max_batch_size,
                     batching=batching, trust_remote_code=trust_remote_code, load=False)


__all__ = ["HFBackend", "create", "derive_seed", "is_out_of_memory", "parse_batch_size", "resolve_device",
           "resolve_dtype", "row_seed"]
