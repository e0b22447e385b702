"""A tiny OpenAI-compatible server for fast tests: threads, 127.0.0.1, a free port, a scripted reply.

Part of :mod:`examqa.testing`: a service built on examqa can test its own code against it.

    with FakeOpenAIServer(reply) as server:
        backend = OpenAIBackend([server.url], "fake-model")

``reply(call)`` gets the recorded :class:`Call` (path, headers, parsed JSON body, per-server index) and
returns either a JSON object (sent as a 200) or a :class:`Reply` (status, headers, body, delay). The
server records every call and the most requests it ever had in flight at once.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """A scripted response. ``body``: a dict (JSON) or raw bytes/str; ``delay_s``: wait before answering.

    To a request with ``"stream": true`` a dict body that is a chat completion is sent as server-sent
    events, the way vLLM streams: its reasoning and content cut into pieces of ``stream_piece``
    characters (``chunk_delay_s`` apart), then the finish reason, the usage and ``[DONE]``.
    ``drop_after_chunks`` closes the connection after that many chunks (a stream cut mid-way).
    """

    status: int = 200
    body: dict[str, Any] | bytes | str = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    stream_piece: int = 4
    chunk_delay_s: float = 0.0
    drop_after_chunks: int | None = None


def stream_chunks(body: dict[str, Any], piece: int) -> list[dict[str, Any]]:
    """A chat completion as the ``chat.completion.chunk`` objects a streaming server sends."""
    choice = body["choices"][0]
    message = choice.get("message") or {}
    base = {"id": body.get("id", "chatcmpl-fake"), "object": "chat.completion.chunk",
            "model": body.get("model", "fake-model")}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    out = [chunk({"role": "assistant", "content": ""})]
    for name in ("reasoning_content", "reasoning"):
        text = message.get(name)
        if isinstance(text, str):
            out += [chunk({name: text[i:i + piece]}) for i in range(0, len(text), piece)]
    content = message.get("content")
    if isinstance(content, str):
        out += [chunk({"content": content[i:i + piece]}) for i in range(0, len(content), piece)]
    out.append(chunk({}, choice.get("finish_reason")))
    if body.get("usage"):
        out.append({**base, "choices": [], "usage": body["usage"]})
    return out


@dataclass
class Call:
    """One request the server received."""

    index: int
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    started: float


ReplyFn = Callable[[Call], "Reply | dict[str, Any]"]


def completion(content: str | None = "answer", *, reasoning: str | None = None,
               reasoning_field: str = "reasoning_content", finish_reason: str | None = "stop",
               prompt_tokens: int = 11, completion_tokens: int = 22, reasoning_tokens: int | None = None,
               model: str = "fake-model") -> dict[str, Any]:
    """A chat-completion JSON object in the shape vLLM returns."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if reasoning is not None:
        message[reasoning_field] = reasoning
    usage: dict[str, Any] = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                             "total_tokens": prompt_tokens + completion_tokens}
    if reasoning_tokens is not None:
        usage["completion_tokens_details"] = {"reasoning_tokens": reasoning_tokens}
    return {"id": "chatcmpl-fake", "object": "chat.completion", "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}], "usage": usage}


def last_user(call: Call) -> str:
    """The content of the last user message of a chat call."""
    users = [m["content"] for m in call.body["messages"] if m.get("role") == "user"]
    return str(users[-1]) if users else ""


def echo_reply(call: Call) -> dict[str, Any]:
    """An unsplit reasoning-mode completion that names the user message, so results can be matched."""
    text = last_user(call)
    return completion(f"thinking about {text}</think>answer to {text}")


class _Server(ThreadingHTTPServer):
    # The default listen backlog (5) drops the SYNs of a burst of connections, which the client then
    # retries a second later: 64 concurrent requests would not all arrive together.
    request_queue_size = 256


class FakeOpenAIServer:
    """``/v1/chat/completions`` and ``/v1/models`` on 127.0.0.1, answering with ``reply``."""

    def __init__(self, reply: ReplyFn = echo_reply, *, models: tuple[str, ...] = ("fake-model",),
                 models_reply: Reply | None = None) -> None:
        self.reply = reply
        self.models = models
        self.models_reply = models_reply
        self.calls: list[Call] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-openai", daemon=True)

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def chat_calls(self) -> list[Call]:
        """The calls to ``/chat/completions``, in arrival order."""
        with self._lock:
            return [c for c in self.calls if c.path == "/v1/chat/completions"]

    def _record(self, method: str, path: str, headers: dict[str, str], body: Any) -> Call:
        with self._lock:
            call = Call(len(self.calls), method, path, headers, body, time.monotonic())
            self.calls.append(call)
            return call

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
            disable_nagle_algorithm = True  # headers and body go in separate writes: no 40 ms stalls

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, reply: Reply) -> None:
                body = reply.body
                raw = (json.dumps(body).encode() if isinstance(body, dict)
                       else body.encode() if isinstance(body, str) else body)
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json", **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _stream(self, reply: Reply) -> None:
                assert isinstance(reply.body, dict)
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                chunks = stream_chunks(reply.body, max(1, reply.stream_piece))
                for sent, chunk in enumerate(chunks):
                    if reply.drop_after_chunks is not None and sent >= reply.drop_after_chunks:
                        self.close_connection = True
                        return
                    self.wfile.write(b"data: " + json.dumps(chunk, ensure_ascii=False).encode() + b"\n\n")
                    self.wfile.flush()
                    if reply.chunk_delay_s:
                        time.sleep(reply.chunk_delay_s)
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

            def do_GET(self) -> None:
                server._record("GET", self.path, {k.lower(): v for k, v in self.headers.items()}, None)
                if self.path == "/v1/models" and server.models_reply is not None:
                    self._send(server.models_reply)
                elif self.path == "/v1/models":
                    self._send(Reply(body={"object": "list",
                                           "data": [{"id": m, "object": "model"} for m in server.models]}))
                else:
                    self._send(Reply(status=404, body={"error": {"message": f"no route {self.path}"}}))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                call = server._record("POST", self.path, {k.lower(): v for k, v in self.headers.items()},
                                      body)
                with server._lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    if self.path != "/v1/chat/completions":
                        reply = Reply(status=404, body={"error": {"message": f"no route {self.path}"}})
                    else:
                        answer = server.reply(call)
                        reply = answer if isinstance(answer, Reply) else Reply(body=answer)
                    if reply.delay_s:
                        time.sleep(reply.delay_s)
                finally:
                    with server._lock:
                        server.in_flight -= 1
                # The client may have given up (timeout, cancellation): then there is no one to answer.
                streaming = isinstance(body, dict) and body.get("stream") is True
                with contextlib.suppress(OSError):
                    if streaming and reply.status == 200 and isinstance(reply.body, dict) and "choices" in reply.body:
                        self._stream(reply)
                    else:
                        self._send(reply)

        return Handler
