"""The tiny EXAONE 4.0 model: real architecture, real tokens, real chat prompts, built in seconds."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.model

transformers = pytest.importorskip("transformers", reason="transformers is not installed (examqa[hf])")


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir: Path) -> Any:
    return transformers.AutoTokenizer.from_pretrained(tiny_model_dir)


def test_builds_in_seconds_and_deterministically(tiny_model_dir: Path, tmp_path: Path) -> None:
    from examqa.testing import build_tiny_exaone

    t0 = time.perf_counter()
    again = build_tiny_exaone(tmp_path / "again", seed=0)
    elapsed = time.perf_counter() - t0
    assert elapsed < 30, f"tiny model took {elapsed:.1f} s to build"
    # Same seed: byte-identical weights and tokenizer, so cached copies and CI runs agree.
    for name in ("model.safetensors", "tokenizer.json", "config.json", "tokenizer_config.json"):
        assert (again / name).read_bytes() == (tiny_model_dir / name).read_bytes(), name


def test_another_seed_gives_other_weights(tiny_model_dir: Path, tmp_path: Path) -> None:
    from examqa.testing import build_tiny_exaone

    other = build_tiny_exaone(tmp_path / "seed1", seed=1)
    assert (other / "model.safetensors").read_bytes() != (tiny_model_dir / "model.safetensors").read_bytes()


def test_loads_back_through_plain_from_pretrained(tiny_model_dir: Path, tokenizer: Any) -> None:
    model = transformers.AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    assert type(model).__name__ == "Exaone4ForCausalLM"
    cfg = model.config
    assert cfg.model_type == "exaone4"
    assert (cfg.num_hidden_layers, cfg.hidden_size, cfg.num_attention_heads, cfg.num_key_value_heads) == (
        2, 128, 4, 2)
    assert cfg.hidden_size // cfg.num_attention_heads == 32  # vLLM's CPU attention needs head_dim >= 32
    assert cfg.tie_word_embeddings is True
    assert model.get_output_embeddings().weight.data_ptr() == model.get_input_embeddings().weight.data_ptr()
    assert cfg.vocab_size == len(tokenizer)
    assert 2000 <= len(tokenizer) <= 8000
    assert cfg.eos_token_id == tokenizer.convert_tokens_to_ids("[|endofturn|]")
    # No sampling defaults: plain generate() is greedy, as with the real checkpoint.
    gen = json.loads((tiny_model_dir / "generation_config.json").read_text())
    assert not {"do_sample", "temperature", "top_p", "top_k"} & set(gen)
    tok_cfg = json.loads((tiny_model_dir / "tokenizer_config.json").read_text())
    assert "[|assistant|]" in tok_cfg["chat_template"]


def test_special_tokens(tokenizer: Any) -> None:
    assert tokenizer.eos_token == "[|endofturn|]"
    assert tokenizer.pad_token is not None and tokenizer.pad_token != tokenizer.eos_token
    assert tokenizer.padding_side == "left"
    assert tokenizer.bos_token is None
    special = set(tokenizer.all_special_tokens)
    assert {"[|system|]", "[|user|]", "[|assistant|]", "[|endofturn|]"} <= special
    # The think tags are added tokens but not special, as in the real EXAONE tokenizer.
    assert not {"<think>", "</think>"} & special
    for tag in ("<think>", "</think>"):
        assert len(tokenizer.encode(tag, add_special_tokens=False)) == 1


SYS = {"role": "system", "content": "당신은 수험생입니다."}
USER = {"role": "user", "content": "다음 중 옳은 것은?\n① 가\n② 나"}
TURN = "[|system|]\n당신은 수험생입니다.[|endofturn|]\n[|user|]\n다음 중 옳은 것은?\n① 가\n② 나[|endofturn|]\n"


@pytest.mark.parametrize(
    ("messages", "kwargs", "expected"),
    [
        ([SYS, USER], {"enable_thinking": True}, TURN + "[|assistant|]\n<think>\n"),
        ([SYS, USER], {"enable_thinking": False}, TURN + "[|assistant|]\n<think>\n\n</think>\n\n"),
        ([SYS, USER], {}, TURN + "[|assistant|]\n<think>\n\n</think>\n\n"),  # off by default
        ([USER], {"enable_thinking": True},
         "[|user|]\n다음 중 옳은 것은?\n① 가\n② 나[|endofturn|]\n[|assistant|]\n<think>\n"),
        ([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"},
          {"role": "user", "content": "Bye"}], {"enable_thinking": True},
         "[|user|]\nHi[|endofturn|]\n[|assistant|]\n<think>\n\n</think>\n\nHello[|endofturn|]\n"
         "[|user|]\nBye[|endofturn|]\n[|assistant|]\n<think>\n"),
    ],
    ids=["thinking", "non-thinking", "default-off", "no-system", "history"],
)
def test_chat_template_gives_the_real_generation_prompts(
    tokenizer: Any, messages: list[dict[str, str]], kwargs: dict[str, bool], expected: str
) -> None:
    text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False, **kwargs)
    assert text == expected


def test_no_bos_and_prompt_round_trips(tokenizer: Any) -> None:
    text = tokenizer.apply_chat_template([USER], add_generation_prompt=True, tokenize=False,
                                         enable_thinking=True)
    ids = tokenizer(text).input_ids  # default add_special_tokens=True must still add nothing
    assert ids[0] == tokenizer.convert_tokens_to_ids("[|user|]")
    assert tokenizer.decode(ids) == text


def test_decode_keeps_think_tags_and_drops_special_tokens(tokenizer: Any) -> None:
    completion = "정답을 고르면\n</think>\n\n정답: ③[|endofturn|]"
    ids = tokenizer.encode("<think>\n" + completion, add_special_tokens=False)
    assert tokenizer.decode(ids, skip_special_tokens=True) == "<think>\n정답을 고르면\n</think>\n\n정답: ③"
    assert tokenizer.decode(ids, skip_special_tokens=False).endswith("[|endofturn|]")


# Characters the tokenizer covers; anything else becomes [UNK] (a random model does not care).
_COVERED = st.sampled_from(list("다음중옳은것정답환자약물관세토지보험 \n.,:?()0123456789①②③④⑤abcAnswer"))


@settings(max_examples=200, deadline=None)
@given(st.text(_COVERED, max_size=60))
def test_metaspace_decode_is_lossless_and_per_token(text: str) -> None:
    # The session fixture cannot feed hypothesis; the cached build is the same model (seed 0).
    tok = _cached_tokenizer()
    ids = tok.encode(text, add_special_tokens=False)
    assert tok.decode(ids) == text
    # Decoding token by token concatenates to the whole: what makes vLLM's incremental detokenizer
    # and transformers' one-shot decode agree on a random model's output.
    assert "".join(tok.decode([i]) for i in ids) == text


_TOKENIZER: list[Any] = []


def _cached_tokenizer() -> Any:
    if not _TOKENIZER:
        from examqa.testing._tiny import build_tokenizer

        _TOKENIZER.append(build_tokenizer(0))
    return _TOKENIZER[0]


def test_tiny_model_dir_caches_under_examqa_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from examqa.testing import TINY_MODEL_VERSION, tiny_model_dir

    monkeypatch.setenv("EXAMQA_CACHE", str(tmp_path))
    first = tiny_model_dir()
    assert first == tmp_path / f"tiny-exaone-{TINY_MODEL_VERSION}"
    stamp = (first / "model.safetensors").stat().st_mtime_ns
    assert tiny_model_dir() == first
    assert (first / "model.safetensors").stat().st_mtime_ns == stamp  # not rebuilt
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no staging folder left behind
    assert transformers.AutoConfig.from_pretrained(first).model_type == "exaone4"


def test_testing_module_imports_without_the_hf_extra() -> None:
    # A fresh interpreter where torch, transformers and tokenizers cannot be imported (a None entry
    # in sys.modules makes `import` fail), as in an install without the [hf] extra.
    code = (
        "import sys\n"
        "for m in ('torch', 'transformers', 'tokenizers'): sys.modules[m] = None\n"
        "import examqa.testing, examqa.backends.hf\n"
        "from examqa.errors import MissingExtraError\n"
        "try:\n"
        "    examqa.backends.hf.HFBackend('whatever')\n"
        "except MissingExtraError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "torch is not installed; install it with: pip install 'examqa[hf]'"
