"""Test doubles and fixtures for examqa and for services built on it. Not needed to grade anything.

- :class:`FakeOpenAIServer` — an OpenAI-compatible server on 127.0.0.1 with scripted replies, delays
  and streaming (``"stream": true``), recording every call: test a service's use of the ``openai``
  backend without a GPU.
- :class:`FaultProxy` — a proxy in front of a real server that injects 500s, 429s, stalls and dropped
  connections, deterministically.
- :func:`build_tiny_exaone` / :func:`tiny_model_dir` — a tiny random-weight EXAONE 4.0 model folder with
  the real architecture, tokenizer format and chat template, built in seconds (needs ``examqa[hf]``).
- :class:`VLLMServer` — a real vLLM server (from its own virtualenv) serving a model folder.
- The ``scripted`` backend (``examqa.backend("scripted", …)``) lives with the other backends.

Everything here imports without the ``[hf]`` extra; torch, transformers and tokenizers load only when
a model is built.
"""

from examqa.testing._tiny import (
    ASSISTANT,
    CHAT_TEMPLATE,
    END_OF_TURN,
    SYSTEM,
    THINK_CLOSE,
    THINK_OPEN,
    TINY_MODEL_VERSION,
    USER,
    build_tiny_exaone,
    default_cache_dir,
    tiny_model_dir,
)
from examqa.testing._vllm import (
    DEFAULT_REASONING_PARSER,
    TINY_MODEL_NAME,
    VLLMServer,
    free_port,
    vllm_python,
    vllm_venv_dir,
)
from examqa.testing.fakeserver import Call, FakeOpenAIServer, Reply, completion, echo_reply, last_user
from examqa.testing.faultproxy import FAULTS, FaultPlan, FaultProxy, FaultStats

__all__ = [
    "ASSISTANT",
    "CHAT_TEMPLATE",
    "DEFAULT_REASONING_PARSER",
    "END_OF_TURN",
    "FAULTS",
    "SYSTEM",
    "THINK_CLOSE",
    "THINK_OPEN",
    "TINY_MODEL_NAME",
    "TINY_MODEL_VERSION",
    "USER",
    "Call",
    "FakeOpenAIServer",
    "FaultPlan",
    "FaultProxy",
    "FaultStats",
    "Reply",
    "VLLMServer",
    "build_tiny_exaone",
    "completion",
    "default_cache_dir",
    "echo_reply",
    "free_port",
    "last_user",
    "tiny_model_dir",
    "vllm_python",
    "vllm_venv_dir",
]
