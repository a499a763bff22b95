"""Uvicorn's HTTP/1.1 protocol with a deadline for each request's head.

Uvicorn closes a connection idle between two requests (``timeout_keep_alive``), but not one
that sends nothing after connecting, nor one that trickles its request line and headers (any
byte that arrives cancels that timer), so such connections stayed open indefinitely, each
holding a socket and counting against the concurrency limit. Here every request's head (the
request line and headers) must arrive whole within ``head_seconds`` of the connection being
made, or of the response before it; otherwise the connection is closed. The body has a
deadline of its own (``graph.http.body_limit``).

The protocol is httptools' (uvicorn's fast parser, installed with ``uvicorn[standard]``)
where it is installed, else h11's.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is not installed: h11 it is
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

__all__ = ["HeadDeadlineProtocol", "with_head_deadline"]


class _H11HeadDeadlineProtocol(H11Protocol):
    head_seconds: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()

    def on_response_complete(self) -> None:
        # Armed first: the response's completion may go straight on to a pipelined request.
        self._await_head()
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        super().connection_lost(exc)

    def _await_head(self) -> None:
        self._stop_waiting()
        self._head_deadline = self.loop.call_later(self.head_seconds, self._head_overdue)

    def _stop_waiting(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_overdue(self) -> None:
        """Close the connection if the request's head is still incomplete (h11 leaves the
        client's state IDLE until the head has arrived whole)."""
        self._head_deadline = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        self.transport.close()


if HttpToolsProtocol is not None:

    class _HttpToolsHeadDeadlineProtocol(HttpToolsProtocol):
        head_seconds: float = 10.0

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._head_deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._await_head()

        def on_headers_complete(self) -> None:
            # The parser calls this once a head is whole: the deadline is met.
            self._stop_waiting()
            super().on_headers_complete()

        def on_response_complete(self) -> None:
            # A pipelined request's head has already arrived whole: only an empty pipeline
            # waits for the next head (checked before the pipeline is taken from).
            if not self.pipeline:
                self._await_head()
            super().on_response_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_waiting()
            super().connection_lost(exc)

        def _await_head(self) -> None:
            self._stop_waiting()
            self._head_deadline = self.loop.call_later(self.head_seconds, self._head_overdue)

        def _stop_waiting(self) -> None:
            if self._head_deadline is not None:
                self._head_deadline.cancel()
                self._head_deadline = None

        def _head_overdue(self) -> None:
            self._head_deadline = None
            if not self.transport.is_closing():
                self.transport.close()


# The protocol ``serve`` runs: httptools' parser when it is installed, h11's otherwise.
HeadDeadlineProtocol: type[Any] = (
    _H11HeadDeadlineProtocol if HttpToolsProtocol is None else _HttpToolsHeadDeadlineProtocol
)


def with_head_deadline(head_seconds: float) -> type[asyncio.Protocol]:
    """The protocol class to give uvicorn (``http=``), with this deadline for each head:
    httptools' parser when it is installed, h11's otherwise.

    Made in the serving process and used there (a class made here cannot be imported by
    name: worker processes use ``graph.cli.workers.HeadDeadlineFromEnvironment``).
    """
    return type("HeadDeadlineProtocol", (HeadDeadlineProtocol,), {"head_seconds": head_seconds})
