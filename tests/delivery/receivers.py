"""A real webhook receiver on loopback (``http.server`` in a thread): it keeps every request
it is sent, answers 500 to the first ``failures`` of them (all, with ``failures=None``), and
counts the delivery ids it accepted, as a receiver that drops repeats would."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Received", "WebhookReceiver", "webhook_receiver"]


@dataclass(frozen=True)
class Received:
    body: bytes
    headers: dict[str, str]

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    url: str
    failures: int | None = 0
    requests: list[Received] = field(default_factory=list)
    accepted: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, received: Received) -> int:
        with self.lock:
            self.requests.append(received)
            if self.failures is None or len(self.requests) <= self.failures:
                return 500
            self.accepted[received.json["deliveryId"]] += 1
            return 204

    def accepted_once(self) -> set[str]:
        """The ids a receiver dropping repeats would have acted on, each once."""
        return set(self.accepted)


@contextmanager
def webhook_receiver(failures: int | None = 0) -> Iterator[WebhookReceiver]:
    receiver: WebhookReceiver

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # connections kept alive, as a real receiver's

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = receiver.answer(Received(body, dict(self.headers.items())))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    # A backlog for a deliverer's whole batch at once (the default, 5, refuses connections).
    Server = type("Server", (ThreadingHTTPServer,), {"request_queue_size": 256})
    server = Server(("127.0.0.1", 0), Handler)
    receiver = WebhookReceiver(f"http://127.0.0.1:{server.server_address[1]}/hook", failures)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
