"""A real local HTTP server for polling-trigger tests: answers JSON, counts requests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class StatusServer:
    """Answers ``{"ready": ...}``: not ready for the first ``not_ready`` requests."""

    def __init__(self, not_ready: int) -> None:
        self.not_ready = not_ready
        self.requests = 0
        self.url = ""


@contextmanager
def status_server(not_ready: int) -> Iterator[StatusServer]:
    """Serve on 127.0.0.1 (a free port) until the block ends."""
    state = StatusServer(not_ready)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests += 1
            body = json.dumps({"ready": state.requests > state.not_ready, "n": state.requests})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, format: str, *args: Any) -> None:
            del format, args

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/status"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
