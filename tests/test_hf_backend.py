"""HFBackend on the tiny EXAONE 4.0 model: batching, left padding, determinism, counts, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from examqa.backends.base import GenRequest, Sampling
from examqa.errors import BackendError
from helpers import HF_PROMPTS as PROMPTS  # of different lengths: a batch needs padding

pytestmark = pytest.mark.model

torch = pytest.importorskip("torch", reason="torch is not installed (examqa[hf])")

from examqa.backends.hf import HFBackend, derive_seed, resolve_device, resolve_dtype  # noqa: E402


def _requests(prompts: list[str], seed: int | None = None) -> list[GenRequest]:
    return [GenRequest(key=f"q{i}#0", messages=({"role": "user", "content": p},), seed=seed)
            for i, p in enumerate(prompts)]


GREEDY = Sampling(thinking=True, temperature=0.0, max_new_tokens=48)


@pytest.fixture(scope="module")
def backend(tiny_model_dir: Path) -> HFBackend:
    return HFBackend(tiny_model_dir, batch_size=4, device="cpu")


def test_info_declares_settings(backend: HFBackend, tiny_model_dir: Path) -> None:
    assert backend.info.name == "hf"
    assert backend.info.model == str(tiny_model_dir)
    assert backend.info.settings == {"dtype": "float32", "device": "cpu", "batch_size": 4,
                                     "trust_remote_code": False}


def test_batch_results_longest_prompt_first_with_prompt_and_counts(backend: HFBackend) -> None:
    results = list(backend.generate(_requests(PROMPTS), GREEDY))
    assert sorted(r.key for r in results) == sorted(f"q{i}#0" for i in range(len(PROMPTS)))
    # Batched by length: the longest prompts first (a stable sort: bank order among equal lengths).
    lengths = [r.prompt_tokens for r in results]
    assert lengths == sorted(lengths, reverse=True)
    tok = backend.tokenizer
    for r in results:
        prompt = PROMPTS[int(r.key[1:].split("#")[0])]
        assert r.prompt == f"[|user|]\n{prompt}[|endofturn|]\n[|assistant|]\n<think>\n"
        # Counted without the padding the batch added on the left.
        assert r.prompt_tokens == len(tok(r.prompt, add_special_tokens=False).input_ids)
        assert 1 <= r.completion_tokens <= GREEDY.max_new_tokens
        assert r.latency_s > 0
        assert r.error is None
        assert "[|endofturn|]" not in r.output and "[PAD]" not in r.output
    assert len({r.prompt_tokens for r in results}) > 1  # the batch really needed padding


def test_batched_equals_one_at_a_time_under_greedy(backend: HFBackend, tiny_model_dir: Path) -> None:
    batched = list(backend.generate(_requests(PROMPTS), GREEDY))
    single = HFBackend(tiny_model_dir, batch_size=1, device="cpu")
    alone = list(single.generate(_requests(PROMPTS), GREEDY))
    # Right padding (or a wrong attention mask) would change the padded rows' continuations.
    def by_key(results: list[Any]) -> dict[str, tuple[str, int, str]]:
        return {r.key: (r.output, r.completion_tokens, r.finish_reason) for r in results}

    assert by_key(batched) == by_key(alone)


def test_greedy_is_deterministic(backend: HFBackend) -> None:
    first = [r.output for r in backend.generate(_requests(PROMPTS[:3]), GREEDY)]
    second = [r.output for r in backend.generate(_requests(PROMPTS[:3]), GREEDY)]
    assert first == second


@pytest.mark.parametrize("thinking", [True, False], ids=["thinking", "non-thinking"])
def test_finish_reasons_and_reasoning_tokens(backend: HFBackend, thinking: bool) -> None:
    sampling = Sampling(thinking=thinking, temperature=0.0, max_new_tokens=48)
    results = list(backend.generate(_requests(PROMPTS), sampling))
    eos = backend.tokenizer.convert_tokens_to_ids("[|endofturn|]")
    think_close = backend.tokenizer.convert_tokens_to_ids("</think>")
    # Replay each completion's tokens: the finish reason and the counts must match what the
    # model actually generated, not just be self-consistent.
    for r in results:
        enc = backend.tokenizer(r.prompt, return_tensors="pt", add_special_tokens=False)
        out = backend.model.generate(**enc, max_new_tokens=48, do_sample=False, eos_token_id=eos,
                                     pad_token_id=backend.pad_id)
        ids = out[0, enc.input_ids.shape[1]:].tolist()
        assert r.completion_tokens == len(ids)
        assert r.finish_reason == ("stop" if ids[-1] == eos else "length")
        assert r.completion_tokens == 48 if r.finish_reason == "length" else r.completion_tokens <= 48
        if not thinking:
            assert r.reasoning_tokens is None
        elif think_close in ids:
            assert r.reasoning_tokens == ids.index(think_close) + 1
            assert "</think>" in r.output
        else:
            assert r.reasoning_tokens == r.completion_tokens
    if not thinking:
        assert {r.finish_reason for r in results} == {"stop", "length"}


def test_sampling_is_reproducible_from_seeds(backend: HFBackend) -> None:
    sampling = Sampling(thinking=True, temperature=1.0, top_p=1.0, max_new_tokens=24, seed=7)
    a = [r.output for r in backend.generate(_requests(PROMPTS[:4], seed=1), sampling)]
    b = [r.output for r in backend.generate(_requests(PROMPTS[:4], seed=1), sampling)]
    c = [r.output for r in backend.generate(_requests(PROMPTS[:4], seed=2), sampling)]
    greedy = [r.output for r in backend.generate(_requests(PROMPTS[:4]), GREEDY)]
    assert a == b
    assert a != c
    assert a != [g[: len(x)] for g, x in zip(greedy, a, strict=True)]  # it really sampled


def test_results_are_yielded_batch_by_batch(backend: HFBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = backend.model.generate

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["input_ids"].shape[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(backend.model, "generate", counting)
    stream = backend.generate(_requests(PROMPTS), Sampling(temperature=0.0, max_new_tokens=4))
    first = next(stream)
    assert first.key == "q6#0"  # the longest prompt
    assert calls == [4]  # only the first batch has run
    rest = list(stream)
    assert len(rest) == len(PROMPTS) - 1
    assert calls == [4, len(PROMPTS) - 4]


def test_presence_penalty_is_reported_as_ignored(backend: HFBackend) -> None:
    sampling = Sampling(temperature=0.0, max_new_tokens=2, presence_penalty=1.5)
    (result,) = backend.generate(_requests(PROMPTS[:1]), sampling)
    assert result.extra == {"ignored": ["presence_penalty"]}


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("{tmp}/no-such-folder", "model folder not found: {tmp}/no-such-folder"),
        ("{tmp}/empty", "{tmp}/empty is not a transformers model folder (no config.json)"),
        ("./relative/missing/model", "model folder not found: relative/missing/model"),
        ("no-such-org/no-such-model", "cannot load model 'no-such-org/no-such-model': "),
    ],
    ids=["missing", "not-a-model", "relative", "hub-offline"],
)
def test_load_errors_are_one_line(tmp_path: Path, model: str, message: str) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(BackendError) as info:
        HFBackend(model.format(tmp=tmp_path), device="cpu")
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith(message.format(tmp=tmp_path))


@pytest.mark.parametrize(
    ("dtype", "device", "expected"),
    [
        ("auto", "cpu", "float32"),
        ("float32", "cpu", "float32"),
        ("bf16", "cpu", "bfloat16"),
        ("BFloat16", "cpu", "bfloat16"),
        ("fp16", "cpu", "float16"),
        ("half", "cpu", "float16"),
    ],
)
def test_resolve_dtype(dtype: str, device: str, expected: str) -> None:
    assert resolve_dtype(torch, dtype, device) == getattr(torch, expected)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: resolve_dtype(torch, "int8", "cpu"), "unknown dtype 'int8'"),
        (lambda: resolve_device(torch, "toaster"), "unknown device 'toaster'"),
        (lambda: HFBackend("x", batch_size=0), "batch size must be at least 1"),
    ],
    ids=["dtype", "device", "batch-size"],
)
def test_bad_settings_raise_backend_error(call: Any, match: str) -> None:
    with pytest.raises(BackendError, match=match):
        call()


def test_auto_device_without_accelerators(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert resolve_device(torch, "auto") == "cpu"
    with pytest.raises(BackendError, match="no CUDA device"):
        resolve_device(torch, "cuda:0")


def test_auto_dtype_on_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: True)
    assert resolve_dtype(torch, "auto", "cuda") == torch.bfloat16
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)
    assert resolve_dtype(torch, "auto", "cuda:1") == torch.float16


@given(st.one_of(st.none(), st.integers(-(2**63), 2**63)),
       st.lists(st.one_of(st.none(), st.integers(0, 2**32)), max_size=8))
def test_derive_seed(sampling_seed: int | None, request_seeds: list[int | None]) -> None:
    seed = derive_seed(sampling_seed, request_seeds)
    if sampling_seed is None and all(s is None for s in request_seeds):
        assert seed is None
    else:
        assert seed is not None and 0 <= seed < 2**63
        assert seed == derive_seed(sampling_seed, list(request_seeds))
        assert seed != derive_seed(sampling_seed, [*request_seeds, 12345])


def test_sampling_leaves_torch_global_rng_alone(backend: HFBackend) -> None:
    sampling = Sampling(thinking=True, temperature=1.0, top_p=0.9, max_new_tokens=12, seed=5)
    torch.manual_seed(1234)
    before = torch.random.get_rng_state().clone()
    list(backend.generate(_requests(PROMPTS[:3], seed=1), sampling))
    assert torch.equal(torch.random.get_rng_state(), before)


def test_a_requests_sample_does_not_depend_on_its_batch(backend: HFBackend, tiny_model_dir: Path) -> None:
    """Each request draws from its own generator: alone or beside others, it samples the same tokens."""
    sampling = Sampling(thinking=True, temperature=1.0, top_p=1.0, max_new_tokens=16, seed=11)
    reqs = [GenRequest(key=f"q{i}#0", messages=({"role": "user", "content": PROMPTS[0]},), seed=i) for i in range(3)]
    together = {r.key: r.output for r in backend.generate(reqs, sampling)}
    alone = {r.key: next(iter(backend.generate([r], sampling))).output for r in reqs}
    assert together == alone
    assert len(set(together.values())) > 1  # different seeds, same prompt: different samples


def test_astream_streams_the_same_text_it_returns(backend: HFBackend) -> None:
    import asyncio

    request = _requests(PROMPTS[:1])[0]

    async def collect() -> list[Any]:
        return [item async for item in backend.astream(request, GREEDY)]

    items = asyncio.run(collect())
    *deltas, result = items
    whole = next(iter(backend.generate([request], GREEDY)))
    assert result.output == whole.output and result.completion_tokens == whole.completion_tokens
    reasoning = "".join(d.text for d in deltas if d.kind == "reasoning")
    answer = "".join(d.text for d in deltas if d.kind == "answer")
    if "</think>" in whole.output:
        head, _, tail = whole.output.partition("</think>")
        assert (reasoning.strip(), answer.strip()) == (head.strip(), tail.strip())
    else:
        assert reasoning.strip() == whole.output.strip() and answer == ""


def test_two_threads_share_one_backend(backend: HFBackend) -> None:
    import threading

    expected = [r.output for r in backend.generate(_requests(PROMPTS[:2]), GREEDY)]
    got: dict[int, list[str]] = {}

    def work(n: int) -> None:
        got[n] = [r.output for r in backend.generate(_requests(PROMPTS[:2]), GREEDY)]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert all(outputs == expected for outputs in got.values()) and len(got) == 3
