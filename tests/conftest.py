"""Session fixtures: the tiny EXAONE 4.0 model folder and a real vLLM server serving it.

The ``server`` tier needs vLLM in its own virtualenv (``scripts/vllm-venv.sh``). Without it those
tests skip, unless ``EXAMQA_REQUIRE_VLLM=1`` (set in CI), where a missing server is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests: CI (and `make test`) runs them with a fixed seed (HYPOTHESIS_PROFILE=ci, set by the
# Makefile), so a run is reproducible; locally `HYPOTHESIS_PROFILE=dev pytest` (or plain pytest) draws
# fresh examples every time. Either way the property must hold for every seed: a counterexample is a
# bug in the code, not in the profile.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# Tests never touch the Hugging Face hub: an unknown model id must fail at once, not wait on the
# network. Set before anything imports huggingface_hub, which reads it at import.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _require_hf() -> None:
    for module in ("torch", "transformers", "tokenizers"):
        pytest.importorskip(module, reason=f"{module} is not installed (pip install 'examqa[hf]')")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly built tiny EXAONE 4.0 folder, shared by the whole session."""
    _require_hf()
    from examqa.testing import build_tiny_exaone

    return build_tiny_exaone(tmp_path_factory.mktemp("tiny-exaone") / "model")


@pytest.fixture(scope="session")
def vllm_server(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (``http://127.0.0.1:PORT/v1``) of a real vLLM server serving the tiny model.

    Served as ``tiny-exaone`` with the ``deepseek_v3`` reasoning parser, which follows
    ``chat_template_kwargs.enable_thinking``. The server log is ``vllm-server.log`` in the session's
    temporary folder; the whole process group is terminated when the session ends.
    """
    from examqa.testing import VLLMServer, vllm_python, vllm_venv_dir

    if vllm_python() is None:
        reason = (f"no vLLM virtualenv at {vllm_venv_dir()}: run scripts/vllm-venv.sh "
                  "(or point EXAMQA_VLLM_VENV at one)")
        if os.environ.get("EXAMQA_REQUIRE_VLLM") == "1":
            pytest.fail(f"EXAMQA_REQUIRE_VLLM=1 but {reason}")
        pytest.skip(reason)
    server = VLLMServer(tiny_model_dir, log_path=tmp_path_factory.mktemp("vllm") / "vllm-server.log")
    with server as url:
        print(f"\nvLLM server healthy after {server.startup_s:.1f} s at {url}")
        yield url
