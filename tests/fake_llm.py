"""A real OpenAI-compatible HTTP server on 127.0.0.1 that serves scripted Chat Completions and
behaves like llama.cpp's server (llama-cpp-python) where it is strict:

- tools offered without ``tool_choice`` are left out of the prompt: the step's tool calls are
  not made, it answers ``{"ignored": "text"}`` (or a fixed sentence) instead;
- a streamed request with tools is answered 200 with an empty body ("automatic streaming tool
  choice is not supported");
- an assistant message with tool calls and ``content: null`` is refused with 500.

Each request that passes takes the next scripted step; a step is one of
``{"content": "text"}``, ``{"tool_calls": [{"name": ..., "arguments": "..."}]}``,
``{"status": 429}`` (or any error status), with optionally ``{"sleep": seconds}`` before the
step's answer (a streamed answer sleeps ``{"pause": seconds}`` between its pieces),
``{"during": callable}``, called while the request is being answered, and ``{"usage": ...}``
(``None``: the server reports no usage). Every request body is recorded in ``requests``;
what the server refused is recorded in ``refused``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

IGNORED = "I cannot see your trading journal."
DEFAULT_USAGE = {"prompt_tokens": 100, "completion_tokens": 20}


class FakeLLM:
    """The server's script and what it received."""

    def __init__(self) -> None:
        self.script: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.refused: list[str] = []
        self.models = ["fake-model"]
        self.base_url = ""

    def then(self, *steps: dict[str, Any]) -> FakeLLM:
        """Append steps to the script."""
        self.script.extend(steps)
        return self

    def next_step(self) -> dict[str, Any]:
        return self.script.pop(0) if self.script else {"content": "(script exhausted)"}


def _chunk(delta: dict[str, Any] | None, finish: str | None = None, usage: Any = None) -> bytes:
    body = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "fake-model",
        "choices": [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if usage is not None:
        body["usage"] = usage
    return b"data: " + json.dumps(body).encode() + b"\n\n"


def _tool_calls(step: dict[str, Any], request_number: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"call_{request_number}_{i}",
            "type": "function",
            "function": {"name": call["name"], "arguments": call["arguments"]},
        }
        for i, call in enumerate(step["tool_calls"])
    ]


def _refusal(body: dict[str, Any]) -> str | None:
    """Why llama.cpp's server would refuse this request, None when it takes it."""
    for message in body.get("messages", []):
        if message.get("tool_calls") and message.get("content") is None:
            return "content null"
    if body.get("stream") and body.get("tools"):
        return "streaming with tools"
    return None


def _handler(fake: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("retry-after-ms", "10")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                data = [{"id": m, "object": "model", "owned_by": "me"} for m in fake.models]
                self._json(200, {"object": "list", "data": data})
            else:
                self._json(404, {"error": {"message": "not found"}})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            body["_authorization"] = self.headers.get("authorization")
            fake.requests.append(body)
            refusal = _refusal(body)
            if refusal == "content null":
                fake.refused.append(refusal)
                self._json(500, {"error": {"message": "content must be a string"}})
                return
            if refusal == "streaming with tools":
                fake.refused.append(refusal)
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                return
            step = fake.next_step()
            time.sleep(step.get("sleep", 0))
            if "during" in step:  # something the test does while the model "thinks"
                step["during"]()
            if "status" in step:
                self._json(step["status"], {"error": {"message": "scripted", "type": "x"}})
                return
            if "tool_calls" in step and body.get("tools") and body.get("tool_choice") is None:
                step = {"content": step.get("ignored", IGNORED)}  # tools left out of the prompt
            elif "tool_calls" in step and not body.get("tools"):
                step = {"content": step.get("ignored", IGNORED)}
            usage = step.get("usage", DEFAULT_USAGE)
            if usage is not None:
                usage = usage | {
                    "total_tokens": usage["prompt_tokens"] + usage["completion_tokens"]
                }
            if body.get("stream"):
                self._stream(step, usage, len(fake.requests))
            else:
                self._whole(step, usage, len(fake.requests))

        def _whole(self, step: dict[str, Any], usage: Any, number: int) -> None:
            message: dict[str, Any] = {"role": "assistant", "content": step.get("content")}
            finish = "stop"
            if "tool_calls" in step:
                message |= {"content": None, "tool_calls": _tool_calls(step, number)}
                finish = "tool_calls"
            payload = {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": 0,
                "model": "fake-model",
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            }
            if usage is not None:
                payload["usage"] = usage
            self._json(200, payload)

        def _stream(self, step: dict[str, Any], usage: Any, number: int) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.end_headers()
            self.wfile.write(_chunk({"role": "assistant", "content": ""}))
            text = step["content"]
            for start in range(0, len(text), 12):  # several deltas, like a real stream
                self.wfile.write(_chunk({"content": text[start : start + 12]}))
                self.wfile.flush()
                time.sleep(step.get("pause", 0))
            self.wfile.write(_chunk({}, "stop"))
            if usage is not None:
                self.wfile.write(_chunk(None, usage=usage))
            self.wfile.write(b"data: [DONE]\n\n")

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and hung up is expected here


@contextmanager
def fake_llm_server() -> Iterator[FakeLLM]:
    """Serve a FakeLLM on a free port of 127.0.0.1 for the duration of the block."""
    fake = FakeLLM()
    server = _QuietServer(("127.0.0.1", 0), _handler(fake))
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
