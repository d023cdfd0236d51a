"""A real OpenAI-compatible HTTP server on 127.0.0.1 that serves scripted Chat Completions.

Each request takes the next scripted step; a step is one of
``{"content": "text"}``, ``{"tool_calls": [{"name": ..., "arguments": "..."}]}``,
``{"status": 429}`` (or any error status), ``{"sleep": seconds}`` before the step's answer and
``{"during": callable}``, called while the request is being answered.
Every request body is recorded in ``requests``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeLLM:
    """The server's script and what it received."""

    def __init__(self) -> None:
        self.script: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.base_url = ""

    def then(self, *steps: dict[str, Any]) -> FakeLLM:
        """Append steps to the script."""
        self.script.extend(steps)
        return self

    def next_step(self) -> dict[str, Any]:
        return self.script.pop(0) if self.script else {"content": "(script exhausted)"}


def _chunk(delta: dict[str, Any], finish: str | None = None, usage: Any = None) -> bytes:
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


def _handler(fake: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            body["_authorization"] = self.headers.get("authorization")
            fake.requests.append(body)
            step = fake.next_step()
            time.sleep(step.get("sleep", 0))
            if "during" in step:  # something the test does while the model "thinks"
                step["during"]()
            if "status" in step:
                payload = json.dumps({"error": {"message": "scripted", "type": "x"}}).encode()
                self.send_response(step["status"])
                self.send_header("content-type", "application/json")
                self.send_header("retry-after-ms", "10")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.end_headers()
            self.wfile.write(_chunk({"role": "assistant", "content": ""}))
            if "tool_calls" in step:
                for i, call in enumerate(step["tool_calls"]):
                    delta = {
                        "tool_calls": [
                            {
                                "index": i,
                                "id": f"call_{len(fake.requests)}_{i}",
                                "type": "function",
                                "function": {"name": call["name"], "arguments": call["arguments"]},
                            }
                        ]
                    }
                    self.wfile.write(_chunk(delta))
                finish = "tool_calls"
            else:
                text = step["content"]
                for start in range(0, len(text), 12):  # several deltas, like a real stream
                    self.wfile.write(_chunk({"content": text[start : start + 12]}))
                finish = "stop"
            self.wfile.write(_chunk({}, finish))
            usage = step.get("usage", {"prompt_tokens": 100, "completion_tokens": 20})
            usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
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
