"""HFBackend's batching: length-sorted batches, ``auto`` sizing, out-of-memory halving (injected),
continuous batching, and cancelling ``agenerate``/``astream`` (the model is released, generation stops)."""

from __future__ import annotations

import asyncio
import gc
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from examqa.backends.base import GenRequest, Sampling
from examqa.errors import BackendError
from helpers import HF_PROMPTS as PROMPTS  # of different lengths: a batch needs padding
from helpers import loss_adjuster_rows, write_native_bank

pytestmark = pytest.mark.model

torch = pytest.importorskip("torch", reason="torch is not installed (examqa[hf])")

from examqa.backends.hf import HFBackend, create, is_out_of_memory, parse_batch_size  # noqa: E402

GREEDY = Sampling(thinking=True, temperature=0.0, max_new_tokens=16)


def _requests(prompts: list[str], samples: int = 1) -> list[GenRequest]:
    return [GenRequest(key=f"q{i}#{k}", messages=({"role": "user", "content": p},), seed=k)
            for i, p in enumerate(prompts) for k in range(samples)]


def _by_key(results: Any) -> dict[str, tuple[str, int, str]]:
    return {r.key: (r.output, r.completion_tokens, r.finish_reason) for r in results}


@pytest.fixture(scope="module")
def reference(tiny_model_dir: Path) -> dict[str, tuple[str, int, str]]:
    """Each prompt generated alone (batch 1): what every batching must reproduce under greedy."""
    return _by_key(HFBackend(tiny_model_dir, batch_size=1, device="cpu").generate(_requests(PROMPTS), GREEDY))


class OOMAbove:
    """Makes the model's forward raise CUDA's out-of-memory for batches wider than ``limit`` rows."""

    def __init__(self, backend: HFBackend, monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
        self.limit = limit
        self.raised: list[int] = []
        self.widths: list[int] = []
        real = backend.model.forward

        def forward(*args: Any, **kwargs: Any) -> Any:
            ids = kwargs.get("input_ids")
            if ids is None and args:
                ids = args[0]
            rows = int(ids.shape[0]) if ids is not None else int(kwargs["inputs_embeds"].shape[0])
            self.widths.append(rows)
            if rows > self.limit:
                self.raised.append(rows)
                raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB (injected)")
            return real(*args, **kwargs)

        monkeypatch.setattr(backend.model, "forward", forward)


def test_length_sorted_batches_equal_one_at_a_time(tiny_model_dir: Path,
                                                   reference: dict[str, tuple[str, int, str]]) -> None:
    backend = HFBackend(tiny_model_dir, batch_size=3, device="cpu")
    results = list(backend.generate(_requests(PROMPTS, samples=2), GREEDY))
    assert len(results) == 2 * len(PROMPTS)
    lengths = [r.prompt_tokens for r in results]
    assert lengths == sorted(lengths, reverse=True)
    # An item's samples share a prompt: they sit side by side, in sample order.
    keys = [r.key for r in results]
    for i in range(len(PROMPTS)):
        assert keys.index(f"q{i}#1") == keys.index(f"q{i}#0") + 1
    got = _by_key(results)
    assert {k: v for k, v in got.items() if k.endswith("#0")} == reference
    assert {k.replace("#1", "#0"): v for k, v in got.items() if k.endswith("#1")} == reference


def test_out_of_memory_halves_the_batch_and_loses_nothing(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                          reference: dict[str, tuple[str, int, str]]) -> None:
    backend = HFBackend(tiny_model_dir, batch_size=4, device="cpu")
    oom = OOMAbove(backend, monkeypatch, limit=2)
    results = list(backend.generate(_requests(PROMPTS), GREEDY))
    assert _by_key(results) == reference  # every sample, and the same ones
    assert all(r.error is None for r in results)
    assert oom.raised == [4]  # the first batch of 4 once; after that batches of 2 only
    assert max(w for w in oom.widths if w <= 2) == 2
    events = [e for r in results for e in r.extra.get("runtime_events", [])]
    assert [(e["event"], e["batch_size"], e["retry_with"]) for e in events] == [("out_of_memory_halved", 4, 2)]
    assert events[0]["max_new_tokens"] == GREEDY.max_new_tokens
    # Remembered: the next call starts at the size that fitted.
    oom.raised.clear()
    assert _by_key(backend.generate(_requests(PROMPTS), GREEDY)) == reference
    assert oom.raised == []


def test_a_single_prompt_that_does_not_fit_is_an_error_result(tiny_model_dir: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    backend = HFBackend(tiny_model_dir, batch_size=2, device="cpu")
    OOMAbove(backend, monkeypatch, limit=0)
    results = list(backend.generate(_requests(PROMPTS[:3]), GREEDY))
    assert sorted(r.key for r in results) == ["q0#0", "q1#0", "q2#0"]
    assert {r.finish_reason for r in results} == {"error"}
    assert all("out of memory generating one prompt" in (r.error or "") and "--max-new-tokens" in (r.error or "")
               for r in results)


def test_an_oom_during_a_run_is_recorded_in_the_manifest(tiny_model_dir: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import examqa

    bank = write_native_bank(tmp_path / "bank.jsonl", loss_adjuster_rows(2))
    backend = HFBackend(tiny_model_dir, batch_size=4, device="cpu")
    OOMAbove(backend, monkeypatch, limit=1)
    report = examqa.evaluate("loss-adjuster", bank, backend, temperature=0, max_new_tokens=8, out=tmp_path / "run")
    assert report.run is not None and report.run.generated == 6 and report.run.errors == 0
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))
    events = manifest["runtime"]["backend_events"]
    assert [(e["event"], e["batch_size"], e["retry_with"]) for e in events] == [
        ("out_of_memory_halved", 4, 2), ("out_of_memory_halved", 2, 1)]
    # A resume keeps the log and adds to it.
    (tmp_path / "run" / "samples.jsonl").write_text("", encoding="utf-8")
    fresh = HFBackend(tiny_model_dir, batch_size=4, device="cpu")
    OOMAbove(fresh, monkeypatch, limit=2)
    examqa.evaluate("loss-adjuster", bank, fresh, temperature=0, max_new_tokens=8, out=tmp_path / "run", resume=True)
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["runtime"]["backend_events"]) == 3


def test_auto_batch_size_estimates_from_free_memory(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                    reference: dict[str, tuple[str, int, str]]) -> None:
    from examqa.backends.hf import _MEMORY_SHARE

    backend = HFBackend(tiny_model_dir, batch_size="auto", max_batch_size=64, device="cpu")
    # tiny EXAONE: 2 layers × 2 KV heads × 32 dims × (K and V) × 4 bytes
    assert backend._kv_bytes_per_token() == 2 * 2 * 2 * 32 * 4
    # A longer budget costs exactly its KV cache per sequence.
    assert backend.sequence_bytes(20, 4096) - backend.sequence_bytes(20, 16) == 4080 * 2 * 2 * 2 * 32 * 4
    per_sequence = backend.sequence_bytes(20, 16)
    for free, expected in [(10**12, 64), (0, 1), (int(3.5 * per_sequence / _MEMORY_SHARE), 3)]:
        monkeypatch.setattr(backend, "_free_memory", lambda free=free: free)
        assert backend.estimate_batch_size(20, 16) == expected, free

    longest = max(len(backend.tokenizer(backend.render(r, GREEDY), add_special_tokens=False).input_ids)
                  for r in _requests(PROMPTS))
    room = int(3.5 * backend.sequence_bytes(longest, GREEDY.max_new_tokens) / _MEMORY_SHARE)
    monkeypatch.setattr(backend, "_free_memory", lambda: room)
    results = list(backend.generate(_requests(PROMPTS), GREEDY))
    assert _by_key(results) == reference
    events = [e for r in results for e in r.extra.get("runtime_events", [])]
    assert [(e["event"], e["batch_size"], e["how"], e["prompt_tokens"]) for e in events] == [
        ("batch_size_auto", 3, "estimate", longest)]
    assert backend.info.settings["batch_size"] == "auto"
    # Found once: a second call (same budget) does not look again.
    monkeypatch.setattr(backend, "_free_memory", lambda: 0)
    again = list(backend.generate(_requests(PROMPTS), GREEDY))
    assert not [e for r in again for e in r.extra.get("runtime_events", [])]


def test_auto_batch_size_probe_halves_until_it_fits(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                    reference: dict[str, tuple[str, int, str]]) -> None:
    backend = HFBackend(tiny_model_dir, batch_size="auto", max_batch_size=16, device="cpu")
    monkeypatch.setattr(backend, "_probe", True)  # as on an accelerator
    oom = OOMAbove(backend, monkeypatch, limit=3)
    results = list(backend.generate(_requests(PROMPTS), GREEDY))
    assert _by_key(results) == reference
    assert oom.raised[:3] == [16, 8, 4]  # the probe: 16, 8, 4 fail; 2 fits
    events = [e for r in results for e in r.extra.get("runtime_events", [])]
    assert [(e["event"], e["batch_size"], e["how"]) for e in events] == [("batch_size_auto", 2, "probe")]
    assert not [e for e in events if e["event"] == "out_of_memory_halved"]  # generation never ran out


@pytest.mark.parametrize(("value", "expected"), [(8, 8), ("8", 8), ("auto", "auto"), (" AUTO ", "auto")])
def test_parse_batch_size(value: Any, expected: Any) -> None:
    assert parse_batch_size(value) == expected


@pytest.mark.parametrize("value", [0, -3, "zero", "", 2.5, True])
def test_bad_batch_sizes_are_one_line_errors(value: Any) -> None:
    with pytest.raises(BackendError, match="batch size must be"):
        create(model="x", batch_size=value)


def test_bad_batching_is_an_error() -> None:
    with pytest.raises(BackendError, match="batching must be padded or continuous"):
        create(model="x", batching="dynamic")  # type: ignore[arg-type]


def test_out_of_memory_is_recognised() -> None:
    assert is_out_of_memory(torch, torch.OutOfMemoryError("CUDA out of memory"))
    assert is_out_of_memory(torch, RuntimeError("MPS backend out of memory (MPS allocated: 1 GB)"))
    assert not is_out_of_memory(torch, RuntimeError("DefaultCPUAllocator: can't allocate memory"))
    assert not is_out_of_memory(torch, ValueError("out of memory"))


def test_continuous_batching_matches_padded_greedy(tiny_model_dir: Path,
                                                   reference: dict[str, tuple[str, int, str]]) -> None:
    backend = HFBackend(tiny_model_dir, batching="continuous", device="cpu")
    assert backend.info.settings["batching"] == "continuous"
    results = list(backend.generate(_requests(PROMPTS), GREEDY))
    assert _by_key(results) == reference
    assert all(r.extra["batching"] == "continuous" for r in results)
    assert backend.model.config._attn_implementation == "sdpa"  # restored after the paged run


def test_continuous_batching_samples_in_padded_batches(tiny_model_dir: Path) -> None:
    sampled = Sampling(thinking=True, temperature=1.0, top_p=1.0, max_new_tokens=8, seed=3)
    continuous = HFBackend(tiny_model_dir, batching="continuous", device="cpu")
    padded = HFBackend(tiny_model_dir, device="cpu")
    a = list(continuous.generate(_requests(PROMPTS[:3]), sampled))
    assert _by_key(a) == _by_key(padded.generate(_requests(PROMPTS[:3]), sampled))  # seeds honoured
    assert all("greedily only" in r.extra["batching"] for r in a)


# ------------------------------------------------------------------------------------ cancelling

LONG = Sampling(thinking=True, temperature=0.0, max_new_tokens=3000)  # q0 runs to the limit (no end-of-turn)


class Counting:
    """Counts the model's forward calls (one per generated token and row batch)."""

    def __init__(self, backend: HFBackend, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = backend.model.forward

        def forward(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(backend.model, "forward", forward)


def _released(backend: HFBackend, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while True:
        if backend._lock.acquire(blocking=False):
            backend._lock.release()
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)


@pytest.fixture
def solo(tiny_model_dir: Path) -> HFBackend:
    return HFBackend(tiny_model_dir, device="cpu")


def test_closing_a_stream_stops_generation_and_releases_the_model(solo: HFBackend,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    counter = Counting(solo, monkeypatch)
    request = _requests(PROMPTS[:1])[0]

    async def main() -> tuple[bool, int]:
        stream = solo.astream(request, LONG)
        await stream.__anext__()  # the first piece of text: generation is under way
        await stream.aclose()
        return _released(solo, 0.0), counter.calls  # released by the time aclose returns

    released, calls = asyncio.run(main())
    assert released
    time.sleep(0.3)
    assert counter.calls == calls < 200  # stopped within a token or so, far short of 3000


def test_cancelling_a_stream_consumer_stops_generation(solo: HFBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    counter = Counting(solo, monkeypatch)
    request = _requests(PROMPTS[:1])[0]
    seen = threading.Event()

    async def consume() -> None:
        async for _ in solo.astream(request, LONG):
            seen.set()

    async def main() -> bool:
        task = asyncio.create_task(consume())
        while not seen.is_set():
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return _released(solo, 0.0)

    assert asyncio.run(main())
    calls = counter.calls
    time.sleep(0.3)
    assert counter.calls == calls < 200


def test_an_abandoned_stream_stops_generation(solo: HFBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    counter = Counting(solo, monkeypatch)
    request = _requests(PROMPTS[:1])[0]

    async def main() -> bool:
        stream = solo.astream(request, LONG)
        await stream.__anext__()
        del stream  # dropped without closing: the loop finalizes it
        gc.collect()
        for _ in range(500):
            await asyncio.sleep(0.01)
            if _released(solo, 0.0):
                return True
        return False

    assert asyncio.run(main())
    calls = counter.calls
    time.sleep(0.3)
    assert counter.calls == calls < 400


def test_a_cancelled_agenerate_releases_the_model_and_keeps_what_finished(solo: HFBackend,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    counter = Counting(solo, monkeypatch)
    requests = _requests(PROMPTS[:2])
    fast = Sampling(thinking=False, temperature=0.0, max_new_tokens=3000)

    async def main() -> list[str]:
        got: list[str] = []
        gen = solo.agenerate(requests, fast)
        task = asyncio.create_task(anext(gen))
        await asyncio.sleep(0.5)  # the one batch is generating (3000 tokens: far from done)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await gen.aclose()
        return got

    assert asyncio.run(main()) == []
    assert _released(solo, 0.0)
    calls = counter.calls
    time.sleep(0.3)
    assert counter.calls == calls < 1000
    # and the backend still works
    assert len(list(solo.generate(requests, GREEDY))) == 2


def test_a_stream_waiting_for_the_model_can_be_cancelled(solo: HFBackend) -> None:
    request = _requests(PROMPTS[:1])[0]

    async def main() -> None:
        solo._lock.acquire()  # another caller holds the model
        try:
            stream = solo.astream(request, GREEDY)
            task = asyncio.create_task(anext(stream))
            await asyncio.sleep(0.2)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await stream.aclose()
        finally:
            solo._lock.release()

    asyncio.run(asyncio.wait_for(main(), 30))
    assert _released(solo, 5.0)
