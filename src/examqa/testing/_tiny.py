"""Build a tiny random-weight EXAONE 4.0 checkpoint: the real architecture, tokenizer format and chat format.

The weights are random, so the text it writes is noise; what matters is that everything around the
weights is what a user's real EXAONE 4.0 folder carries: ``Exaone4ForCausalLM`` loaded by plain
``from_pretrained``, the same special tokens, ``<think>``/``</think>`` as ordinary added tokens, and a
chat template that yields the real generation prompts in both modes. vLLM serves the same folder.

torch, transformers and tokenizers are imported inside the functions: ``examqa.testing`` (which
re-exports these) must import without the ``[hf]`` extra.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
from pathlib import Path
from typing import Any

# Bump when the build changes in a way that changes the files, so a cached copy is rebuilt.
TINY_MODEL_VERSION = "1"

# How much longer than the rest the `</think>` and end-of-turn embedding rows are (see
# build_tiny_exaone). Modest on purpose: the rows are tied, and a much longer input row makes the
# model repeat that token forever once it has emitted it.
_THINK_CLOSE_BOOST = 1.5
_EOS_BOOST = 1.7

SYSTEM = "[|system|]"
USER = "[|user|]"
ASSISTANT = "[|assistant|]"
END_OF_TURN = "[|endofturn|]"
PAD = "[PAD]"
UNK = "[UNK]"
THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"

# Special tokens come first, so their ids are small and stable (PAD 0, UNK 1, ...).
SPECIAL_TOKENS = (PAD, UNK, SYSTEM, USER, ASSISTANT, END_OF_TURN)

# The real EXAONE 4.0 prompts, turn by turn. Reasoning mode opens the think block in the prompt;
# non-reasoning mode closes an empty one. History assistant turns carry the empty block too.
CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'system' -%}"
    "{{ '[|system|]\\n' + message['content'] + '[|endofturn|]\\n' }}"
    "{%- elif message['role'] == 'user' -%}"
    "{{ '[|user|]\\n' + message['content'] + '[|endofturn|]\\n' }}"
    "{%- elif message['role'] == 'assistant' -%}"
    "{{ '[|assistant|]\\n<think>\\n\\n</think>\\n\\n' + message['content'] + '[|endofturn|]\\n' }}"
    "{%- else -%}"
    "{{ raise_exception('EXAONE 4.0 roles are system, user and assistant; got ' + message['role']) }}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}"
    "{%- if enable_thinking is defined and enable_thinking -%}"
    "{{ '[|assistant|]\\n<think>\\n' }}"
    "{%- else -%}"
    "{{ '[|assistant|]\\n<think>\\n\\n</think>\\n\\n' }}"
    "{%- endif -%}"
    "{%- endif -%}"
)

_KOREAN_WORDS = (
    "정답", "문제", "다음", "중", "옳은", "것은", "옳지", "않은", "가장", "적절한", "해설", "보기", "설명",
    "환자", "진단", "치료", "증상", "검사", "약물", "투여", "부작용", "질환", "감염", "수술", "처방",
    "치아", "치주", "교정", "보철", "마취", "한약", "본초", "방제", "생약", "효능", "관세", "수입", "수출",
    "통관", "과세", "가격", "신고", "감정평가", "토지", "건물", "임대료", "수익", "원가", "비교", "보험",
    "손해", "사정", "보상", "계약", "약관", "법률", "시행령", "규정", "조항", "의무", "권리", "기준",
    "과목", "점수", "합격", "불합격", "시험", "응시", "답안", "채점", "평균", "이상", "이하", "미만",
    "그러므로", "따라서", "먼저", "그리고", "하지만", "왜냐하면", "생각", "추론", "선택지", "번", "답",
    "입니다", "이다", "한다", "있다", "없다", "된다", "아니다", "경우", "때", "위하여", "대하여",
)
_ENGLISH_WORDS = (
    "the", "answer", "is", "question", "option", "correct", "because", "therefore", "patient", "drug",
    "dose", "tax", "value", "law", "first", "so", "not", "and", "of", "to", "in", "a", "which", "best",
    "Answer", "Question", "Let", "me", "think", "step", "by", "check", "final", "choice",
)
_MARKS = ("①", "②", "③", "④", "⑤")
_PUNCT = (".", ",", ":", "?", "!", "(", ")", "%", "-", "/", "*", "#", "=")


# Common Hangul syllables: random 1-3 syllable "words" over them give the trainer enough distinct
# pieces to reach a few thousand merges, like a real Korean vocabulary would.
_SYLLABLES = (
    "가각간갈감강개거건검게격결경계고공과관광교구국군권규그극근금기길김나남내너네년노논높누는능니다"
    "단달담당대더도독동되두드득들등디라락란람량러려력련령례로록론료루류률르른를름리린립마만말망매머"
    "면명모목무문물미민바박반발방배백버번법변별병보복본부분불비빈사산살상새서석선설성세소속손수숙순"
    "술스습승시식신실심아악안알압애야약양어억언얼업에여역연열영예오옥온완외요용우운원월위유육윤으은"
    "을음응의이인일임입자작잔장재저적전절점정제조족존종좌주준중즉증지직진질집차착찰참창채책처천철청"
    "체초촉총최추축출충취측치칙친카타탁탄태택토통투특파판패편평포표품프피필하학한할함합항해행향허헌"
    "험현혈협형혜호혹혼화확환활황회획효후훈휴흉흑흡희"
)


def _corpus(rng: random.Random, lines: int = 6000) -> list[str]:
    """Korean+English exam-like lines: questions, options, reasoning and answers.

    The think tags stay out: they are added tokens, and a trained merge that spelled them would give
    ``<think>`` a vocabulary id instead of the added-token id the real model has.
    """
    pseudo = ["".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 3))) for _ in range(2500)]
    vocabulary = list(_KOREAN_WORDS) * 8 + pseudo

    def words(n: int) -> str:
        return " ".join(rng.choice(vocabulary if rng.random() < 0.75 else _ENGLISH_WORDS)
                        for _ in range(n))

    out: list[str] = []
    for i in range(lines):
        body = words(rng.randint(3, 14))
        kind = i % 5
        if kind == 0:
            out.append(f"{rng.randint(1, 120)}. {body}?")
        elif kind == 1:
            out.append(" ".join(f"{m} {words(rng.randint(1, 3))}" for m in _MARKS))
        elif kind == 2:
            out.append(f"{body}{rng.choice(_PUNCT)}\n\n정답: {rng.choice(_MARKS)}")
        elif kind == 3:
            out.append(f"Answer: {rng.randint(1, 5)} {body} {rng.randint(0, 9999)}")
        else:
            out.append(f"{body}\n\n정답은 {rng.randint(1, 5)}번 {rng.choice(_MARKS)}")
    return out


def _alphabet() -> list[str]:
    """Characters every tokenizer build must cover, whether or not the corpus sampled them."""
    chars = {chr(c) for c in range(0x20, 0x7F)} | {"\n", "\t", *_MARKS, "▁"}
    chars |= set("".join(_KOREAN_WORDS)) | set(_SYLLABLES)
    return sorted(chars)


def build_tokenizer(seed: int = 0) -> Any:
    """Train a Metaspace BPE tokenizer on a generated corpus; return a ``PreTrainedTokenizerFast``.

    Metaspace (not byte-level) makes every token whole characters, so a random model's output is
    valid text that decodes the same in transformers and in vLLM's incremental detokenizer.
    ``prepend_scheme="never"`` keeps decoding a plain per-token map: no leading space appears or
    vanishes depending on where a decode starts.
    """
    import transformers
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers

    hf: Any = transformers  # partly typed; its untyped constructors would trip mypy --strict

    tok = Tokenizer(models.BPE(unk_token=UNK))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="never", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="never", split=True)
    trainer = trainers.BpeTrainer(
        vocab_size=4000,
        min_frequency=2,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=_alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_corpus(random.Random(seed)), trainer=trainer)
    # As in the real model the think tags are added tokens that are *not* special, so
    # decode(skip_special_tokens=True) keeps them and the reasoning can be split afterwards.
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in (THINK_OPEN, THINK_CLOSE)])

    return hf.PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token=END_OF_TURN,
        pad_token=PAD,
        unk_token=UNK,
        additional_special_tokens=[SYSTEM, USER, ASSISTANT],
        padding_side="left",
        clean_up_tokenization_spaces=False,
        chat_template=CHAT_TEMPLATE,
        model_max_length=4096,
    )


def build_tiny_exaone(path: Path, *, seed: int = 0) -> Path:
    """Build a random-weight ``Exaone4ForCausalLM`` with its tokenizer into ``path``; return ``path``.

    Deterministic for a given ``seed`` (and torch version). Takes a few seconds on a CPU. ``path`` must be
    a new or empty folder: a file, or a folder holding anything, is an :class:`~examqa.errors.InputError`
    (nothing of the user's is overwritten).
    """
    from examqa.errors import InputError

    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError("is a file, not a folder to build the tiny model in", path=path,
                         hint="give a new or empty folder")
    if path.is_dir() and any(path.iterdir()):
        raise InputError("the folder is not empty; the tiny model would overwrite what it holds", path=path,
                         hint="give a new or empty folder (or no PATH, for the cached model)")

    import torch
    import transformers

    hf: Any = transformers  # partly typed; its untyped constructors would trip mypy --strict

    path.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(seed)
    eos_id = tokenizer.convert_tokens_to_ids(END_OF_TURN)
    pad_id = tokenizer.convert_tokens_to_ids(PAD)

    config = hf.Exaone4Config(
        vocab_size=len(tokenizer),
        hidden_size=128,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=4,  # head_dim 32: vLLM's CPU attention rejects 16
        num_key_value_heads=2,
        max_position_embeddings=4096,
        # A wide init makes the logits far apart, so greedy argmax is not decided by float noise and
        # vLLM and transformers pick the same token.
        initializer_range=0.2,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=eos_id,
        pad_token_id=pad_id,
        sliding_window=None,
        sliding_window_pattern=None,
        layer_types=["full_attention", "full_attention"],
        dtype="float32",
    )
    # Private generator state: building a model must not disturb the caller's global RNG.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = hf.Exaone4ForCausalLM(config)
        # A random model almost never picks one given token out of thousands, so its runs would all
        # end at the token limit with no answer. Longer embedding rows (tied, so they are also the
        # output rows) give `</think>` and the end-of-turn token larger logits, so some runs close
        # the reasoning and some stop on their own, like a real model's would.
        with torch.no_grad():
            emb = model.get_input_embeddings().weight
            emb[tokenizer.convert_tokens_to_ids(THINK_CLOSE)] *= _THINK_CLOSE_BOOST
            emb[eos_id] *= _EOS_BOOST
    model.eval()
    model.generation_config = hf.GenerationConfig(eos_token_id=eos_id, pad_token_id=pad_id)

    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    _portable_tokenizer_config(path / "tokenizer_config.json")
    return path


def _portable_tokenizer_config(config_path: Path) -> None:
    """Make ``tokenizer_config.json`` load the way a hub EXAONE folder does, across transformers versions.

    transformers 5 writes the template to ``chat_template.jinja`` and names its own backend class;
    older loaders (and some servers) read the template from ``tokenizer_config.json`` and know the
    class as ``PreTrainedTokenizerFast``. Both files carry the same template.
    """
    data = json.loads(config_path.read_text(encoding="utf-8"))
    data["tokenizer_class"] = "PreTrainedTokenizerFast"
    data["chat_template"] = CHAT_TEMPLATE
    data["add_bos_token"] = False
    data["add_eos_token"] = False
    config_path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def default_cache_dir() -> Path:
    """``$EXAMQA_CACHE`` or ``~/.cache/examqa``."""
    env = os.environ.get("EXAMQA_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "examqa"


def tiny_model_dir(cache_dir: Path | None = None) -> Path:
    """The cached tiny model folder (``<cache>/tiny-exaone-<version>``), built on first use.

    ``<cache>`` is ``cache_dir``, else ``$EXAMQA_CACHE``, else ``~/.cache/examqa``.

    The build goes to a temporary sibling and is renamed into place, so a crash or a concurrent
    build never leaves a half-written folder behind that later looks complete.
    """
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    target = root / f"tiny-exaone-{TINY_MODEL_VERSION}"
    if (target / "config.json").is_file() and (target / "tokenizer_config.json").is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".tiny-exaone-", dir=root))
    try:
        build_tiny_exaone(staging)
        try:
            staging.rename(target)
        except OSError:
            # Another process finished first; its copy is identical (same seed), keep it.
            if not (target / "config.json").is_file():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


__all__ = [
    "ASSISTANT",
    "CHAT_TEMPLATE",
    "END_OF_TURN",
    "SYSTEM",
    "THINK_CLOSE",
    "THINK_OPEN",
    "TINY_MODEL_VERSION",
    "USER",
    "build_tiny_exaone",
    "build_tokenizer",
    "default_cache_dir",
    "tiny_model_dir",
]
