"""A webhook receiver on loopback: ``http.server`` in a thread, answering each POST as told.

The alert fan-out benchmark and the delivery tests both receive webhooks through it; it uses
the standard library only, so neither needs the other's extras.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Answer", "loopback_webhooks"]

# What a POST is answered with: its status, from its body and headers.
Answer = Callable[[bytes, dict[str, str]], int]


class _Server(ThreadingHTTPServer):
    # A backlog for a deliverer's whole batch at once (the default, 5, refuses connections).
    request_queue_size = 256


@contextmanager
def loopback_webhooks(answer: Answer) -> Iterator[str]:
    """Webhooks received at the URL given, each POST's body and headers passed to ``answer``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # connections kept alive, as a real receiver's

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(answer(body, dict(self.headers.items())))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()
