"""The OpenAI chat-completions wire format, for :mod:`examqa.backends.openai`: no I/O here.

Reading a completion (whole or streamed as server-sent events) into the parts of a
:class:`~examqa.backends.base.GenResult`, the error text of a failed response, ``Retry-After``,
where a credential may be sent (:func:`is_loopback`, :func:`is_openai_api`), and keeping credentials
out of anything shown or stored (:func:`redact_url`, :func:`mask_secrets`).
"""

from __future__ import annotations

import email.utils
import ipaddress
import json
import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from examqa.backends.base import FinishReason

REASONING_FIELDS = ("reasoning_content", "reasoning")
"""Where servers put the parsed reasoning: ``reasoning_content`` (vLLM < 0.11, SGLang, llama.cpp,
FriendliAI) and ``reasoning`` (newer vLLM)."""

_MESSAGE_CHARS = 300


def render_messages(messages: Sequence[Mapping[str, str]]) -> str:
    """Chat messages as readable text (``[role]\\ncontent`` blocks): the server applies the template."""
    return "\n\n".join(f"[{m.get('role', '?')}]\n{m.get('content', '')}" for m in messages)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date); None if absent/invalid."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:  # an HTTP date is GMT by definition
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
        return max(0.0, seconds)
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def redact_url(url: str) -> str:
    """The URL without user:password, for anything shown or stored."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]))


def is_loopback(url: str) -> bool:
    """Whether ``url``'s host is this machine (127.0.0.0/8, ::1, ``localhost``): never a network hop.

    A host name other than ``localhost`` is not looked up: what it resolves to can change.
    """
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


OPENAI_API_HOST = "api.openai.com"


def is_openai_api(url: str) -> bool:
    """Whether ``url`` is OpenAI's own API (https://api.openai.com/…), the one place ``OPENAI_API_KEY`` goes."""
    parts = urlsplit(url)
    return parts.scheme == "https" and (parts.hostname or "").rstrip(".").lower() == OPENAI_API_HOST


MASK = "***"

_SECRET_WORDS = frozenset({"key", "apikey", "token", "secret", "password", "passwd", "pwd", "passphrase",
                           "credential", "credentials", "authorization", "auth", "authentication", "bearer",
                           "cookie", "signature"})
_SECRET_VALUE = re.compile(
    r"^\s*(?:(?:bearer|basic|token)\s+\S+"          # an Authorization header's value
    r"|sk-[\w-]{16,}|rk-[\w-]{16,}|hf_\w{16,}|gh[pousr]_\w{16,}|xox[abpr]-[\w-]{10,}"  # provider key formats
    r"|AKIA[0-9A-Z]{16}|eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]+)\s*$",  # AWS access key id, a JWT
    re.IGNORECASE)


def secret_name(name: str) -> bool:
    """Whether a setting or field called ``name`` holds a secret (``api_key``, ``X-Auth-Token``, …).

    The last word decides, so ``max_tokens`` and ``stop_token_ids`` are not secrets but ``hf_token`` is.
    """
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    words = [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]
    return bool(words) and (words[-1] in _SECRET_WORDS or "".join(words) in _SECRET_WORDS)


def mask_secrets(value: Any, known: Sequence[str] = ()) -> Any:
    """``value`` (JSON-like) with every secret-looking entry replaced by ``***``: entries whose name looks
    secret (:func:`secret_name`), values shaped like a key or an Authorization header, and any string
    that is, or contains, one of the ``known`` secrets (contains: when the secret has 8 characters or
    more, so a one-letter test key does not mask every word with that letter). Nested objects and lists
    are masked all the way down."""
    if isinstance(value, Mapping):
        return {k: MASK if secret_name(str(k)) and v not in (None, "") else mask_secrets(v, known)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_secrets(v, known) for v in value]
    if isinstance(value, str) and (_SECRET_VALUE.match(value)
                                   or any(s and (s == value or (len(s) >= 8 and s in value)) for s in known)):
        return MASK
    return value


def has_secrets(value: Any) -> bool:
    """Whether :func:`mask_secrets` would mask anything in ``value``."""
    if isinstance(value, Mapping):
        return any((secret_name(str(k)) and v not in (None, "")) or has_secrets(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_secrets(v) for v in value)
    return isinstance(value, str) and bool(_SECRET_VALUE.match(value))


def deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``extra``; nested objects merge so extra_body can add template kwargs."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def body_message(raw: bytes) -> str:
    """The error text in a response body, shortened: ``error.message``, ``message``, ``detail`` or the text."""
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    text: Any = None
    if isinstance(data, dict):
        err = data.get("error")
        text = err.get("message") if isinstance(err, dict) else err
        text = text or data.get("message") or data.get("detail")
    if not text:
        text = raw.decode("utf-8", errors="replace")
    flat = " ".join(str(text).split())
    return flat[:_MESSAGE_CHARS] + ("…" if len(flat) > _MESSAGE_CHARS else "")


def refused(exc: BaseException) -> bool:
    """Whether a connect error was a refusal: the async stack wraps the OS error a few levels down."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, ConnectionRefusedError) or "refused" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


@dataclass(frozen=True)
class Answer:
    """The parts of a completion that go into a GenResult."""

    output: str
    finish_reason: FinishReason
    reasoning: str | None
    content: str | None
    server_split: bool
    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int | None
    extra: dict[str, Any]


def assemble(content: str | None, reasoning: str | None, field_used: str | None, raw_finish: Any,
             usage: Mapping[str, Any], thinking: bool) -> Answer:
    """One completion's parts (from a whole response or a finished stream) as an :class:`Answer`."""
    finish: FinishReason = "length" if raw_finish == "length" else "stop"
    extra: dict[str, Any] = {"finish_reason_raw": raw_finish}
    if reasoning is None:
        # No parser on the server: the raw text is ``reasoning</think>answer`` in reasoning mode.
        output = content or ""
        split_reasoning, split_content, server_split = None, None, False
    elif not thinking and not content:
        # A deepseek_r1-style parser calls everything before a </think> reasoning, and with thinking
        # off the prompt already closed the block: this "reasoning" is the answer.
        output, split_reasoning, split_content, server_split = reasoning, None, reasoning, True
        extra["reasoning_relabelled"] = True
    else:
        split_reasoning, split_content, server_split = reasoning, content, True
        # No content means the reasoning never closed; the record must not pretend it did.
        output = reasoning if content is None else f"{reasoning}</think>{content}"
    if field_used:
        extra["reasoning_field"] = field_used
    details = usage.get("completion_tokens_details") or {}
    reasoning_tokens = details.get("reasoning_tokens") if isinstance(details, dict) else None
    if not reasoning_tokens and split_reasoning:
        # vLLM counts only tokens between a <think> and </think> *in the output*; EXAONE's template
        # opens <think> in the prompt, so it reports 0 for real reasoning. Unknown beats wrong.
        reasoning_tokens = None
    return Answer(output=output, finish_reason=finish, reasoning=split_reasoning, content=split_content,
                  server_split=server_split, prompt_tokens=int(usage.get("prompt_tokens") or 0),
                  completion_tokens=int(usage.get("completion_tokens") or 0),
                  reasoning_tokens=int(reasoning_tokens) if reasoning_tokens is not None else None, extra=extra)


def read_completion(data: Any, reasoning_fields: Sequence[str], thinking: bool) -> Answer:
    """A whole chat-completion JSON object as an :class:`Answer` (raises on a shape it cannot read)."""
    choice = data["choices"][0]
    message = choice["message"]
    if not isinstance(message, dict):
        raise TypeError("message is not an object")
    reasoning: str | None = None
    field_used: str | None = None
    for name in reasoning_fields:
        if isinstance(message.get(name), str):
            reasoning, field_used = message[name], name
            break
    return assemble(message.get("content"), reasoning, field_used, choice.get("finish_reason"),
                    data.get("usage") or {}, thinking)


@dataclass
class StreamState:
    """What the chunks of one streamed completion have said so far."""

    reasoning_fields: Sequence[str]
    content: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    field_used: str | None = None
    finish: Any = None
    usage: dict[str, Any] = field(default_factory=dict)
    done: bool = False
    carried_reasoning: bool = False
    """Some reasoning text came in a reasoning field: the server parses reasoning, content is the answer."""

    def feed(self, chunk: Mapping[str, Any]) -> tuple[str, str]:
        """Take one ``chat.completion.chunk``; return its (reasoning, content) text deltas."""
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        choices = chunk.get("choices") or []
        if not choices:
            return "", ""
        choice = choices[0]
        if choice.get("finish_reason") is not None:
            self.finish = choice["finish_reason"]
        delta = choice.get("delta") or {}
        if not isinstance(delta, dict):
            raise TypeError("delta is not an object")
        thought = ""
        for name in self.reasoning_fields:
            piece = delta.get(name)
            if isinstance(piece, str):
                thought = piece
                self.field_used = self.field_used or name
                break
        content = delta.get("content")
        text = content if isinstance(content, str) else ""
        if thought:
            self.reasoning.append(thought)
            self.carried_reasoning = True
        if text:
            self.content.append(text)
        return thought, text

    def answer(self, thinking: bool) -> Answer:
        """The finished completion, read exactly as a whole response would be."""
        reasoning = "".join(self.reasoning) if self.field_used else None
        content = "".join(self.content) if (self.content or reasoning is None) else None
        return assemble(content, reasoning, self.field_used, self.finish, self.usage, thinking)


def sse_events(buffer: bytearray) -> list[bytes]:
    """Cut the complete server-sent events out of ``buffer`` (in place); return their ``data`` payloads."""
    out: list[bytes] = []
    while True:
        cut = -1
        for sep in (b"\n\n", b"\r\n\r\n"):
            at = buffer.find(sep)
            if at >= 0 and (cut < 0 or at < cut):
                cut, width = at, len(sep)
        if cut < 0:
            return out
        event = bytes(buffer[:cut])
        del buffer[:cut + width]
        data = [line[5:].lstrip() for line in event.splitlines() if line.startswith(b"data:")]
        if data:
            out.append(b"\n".join(data))
