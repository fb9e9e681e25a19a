"""A stub OpenAI-compatible chat server on loopback, replying with canned answers in turn."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class StubLLMServer:
    """Serves POST /v1/chat/completions (plain and streamed); records every request body."""

    def __init__(self, replies: list[str], delay: float = 0.0, status: int = 200) -> None:
        self.replies = list(replies)
        self.delay = delay
        self.status = status
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                time.sleep(server.delay)
                if server.status != 200:
                    self.send_response(server.status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"error": {"message": "stub failure"}}')
                    return
                reply = server.replies.pop(0) if len(server.replies) > 1 else server.replies[0]
                if body.get("stream"):
                    self._stream(reply, body)
                else:
                    self._plain(reply, body)

            def _plain(self, reply, body):
                payload = {
                    "id": "stub-1",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body.get("model", "stub"),
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": reply},
                        }
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, reply, body):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                words = reply.split(" ")
                for index, word in enumerate(words):
                    piece = word + (" " if index + 1 < len(words) else "")
                    chunk = {
                        "id": "stub-1",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": body.get("model", "stub"),
                        "choices": [
                            {"index": 0, "delta": {"content": piece}, "finish_reason": None}
                        ],
                    }
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                end = {
                    "id": "stub-1",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": "stub",
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                }
                self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> StubLLMServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
