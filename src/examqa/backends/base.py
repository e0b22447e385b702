"""The backend protocol: one method, ``generate``, that turns chat requests into completions.

A backend yields results as they finish, in any order; the engine stores each one the moment it
arrives, so a crash loses at most the requests in flight.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

FinishReason = Literal["stop", "length", "error"]


@dataclass(frozen=True)
class Sampling:
    """How to sample. ``temperature == 0`` means greedy decoding."""

    thinking: bool = True
    temperature: float = 0.6
    top_p: float = 0.95
    max_new_tokens: int = 16384
    seed: int | None = None
    presence_penalty: float | None = None

    @property
    def greedy(self) -> bool:
        """Whether decoding is greedy (temperature 0)."""
        return self.temperature == 0


@dataclass(frozen=True)
class GenRequest:
    """One sample to generate: ``key`` is ``"<question id>#<sample index>"``."""

    key: str
    messages: tuple[dict[str, str], ...]
    seed: int | None = None


@dataclass(frozen=True)
class GenResult:
    """One finished sample.

    ``output`` is the raw completion text. For a transformers backend in reasoning mode it is
    ``reasoning</think>answer`` (the prompt opened ``<think>``). A server that splits the reasoning out
    returns it in ``reasoning`` and the answer part in ``content``; ``output`` then holds
    ``reasoning + "</think>" + content`` for the record.
    """

    key: str
    prompt: str
    output: str
    finish_reason: FinishReason
    reasoning: str | None = None
    content: str | None = None
    server_split: bool = False
    """True when the server separated reasoning from content (vLLM's reasoning parser)."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int | None = None
    latency_s: float = 0.0
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BackendInfo:
    """What a backend declares about itself, written to the run manifest (never secrets)."""

    name: str
    model: str
    settings: dict[str, Any] = field(default_factory=dict)


class Backend(Protocol):
    """Generates completions for chat requests."""

    info: BackendInfo

    def generate(self, requests: Sequence[GenRequest], sampling: Sampling) -> Iterator[GenResult]:
        """Yield one :class:`GenResult` per request, as each finishes (any order)."""
        ...
