"""A real webhook receiver on loopback (the benchmarks' own, ``http.server`` in a thread):
it keeps every request it is sent, answers 500 to the first ``failures`` of them (all, with
``failures=None``), and counts the delivery ids it accepted, as a receiver that drops repeats
would."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bench._webhook_receiver import loopback_webhooks

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

    def answer(self, body: bytes, headers: dict[str, str]) -> int:
        received = Received(body, headers)
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
    receiver = WebhookReceiver("", failures)
    with loopback_webhooks(receiver.answer) as url:
        receiver.url = url
        yield receiver
