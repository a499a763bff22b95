"""The context of a WebSocket connection, whose subscriptions read afresh for every message.

One context serves every operation of a connection, for as long as it is open, while an
HTTP request's reads share one snapshot and loaders that remember what they loaded. So here
each message of each subscription reads with loaders of its own (``fresh_reads``), which its
fields find through a context variable: a subscription runs in a task of its own, and the
fields of one message are resolved in that task (or in tasks it starts), so two
subscriptions of one connection never see each other's loaders. Their readers are finished
from the start: every read has a snapshot of its own that ends with it, so no connection is
held while a message waits to be sent to a slow client.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from graph.schema.context import Context, Loaders, new_loaders
from graph.schema.facts import ReadFacts, RecordingReader
from ledger.read.live import LiveLedger

__all__ = ["LiveContext", "SubscriptionsOverWebSocket"]


@dataclass
class _Reads:
    reader: RecordingReader
    loaders: Loaders
    facts: ReadFacts


_message: ContextVar[_Reads | None] = ContextVar("live_message_reads", default=None)


class LiveContext(Context):
    """A WebSocket connection's context: its principal is set by ``connection_init``."""

    connection_params: dict[str, Any]
    _own_reader: RecordingReader
    _own_loaders: Loaders

    @property
    def reader(self) -> RecordingReader:
        reads = _message.get()
        return reads.reader if reads is not None else self._own_reader

    @reader.setter
    def reader(self, value: RecordingReader) -> None:
        self._own_reader = value

    @property
    def loaders(self) -> Loaders:
        reads = _message.get()
        return reads.loaders if reads is not None else self._own_loaders

    @loaders.setter
    def loaders(self, value: Loaders) -> None:
        self._own_loaders = value

    @property
    def live(self) -> LiveLedger:
        live = self.services.live
        assert live is not None, "the app follows the ledger once it has started"
        return live

    async def begin_message(self, position: int | None = None) -> None:
        """The reads of one message: loaders of its own, each read on a snapshot of its
        own. Left in place until the next message's (its fields are resolved after the
        resolver has yielded it).

        Woken at ``position``, a message shares its loaders with every other woken there
        (of any connection of the app): the subscribers of one article read it once, in
        one batch. Their reads all begin after ``position`` was committed, so each sees it;
        a later change wakes them again, to read with newer loaders."""
        state = self.request.app.state
        kept: tuple[int, _Reads] | None = getattr(state, "live_reads", None)
        if position is not None and kept is not None and kept[0] == position:
            _message.set(kept[1])
            return
        facts = ReadFacts()
        reader = RecordingReader(self.services.engine, facts, self.services.changes)
        await reader.finish()  # from now on, every read opens and ends its own snapshot
        reads = _Reads(reader, new_loaders(reader, self.services), facts)
        if position is not None and (kept is None or kept[0] < position):
            state.live_reads = (position, reads)  # only the newest position's are kept
        _message.set(reads)


class SubscriptionsOverWebSocket(SchemaExtension):
    """Over a WebSocket, only subscriptions, refused as over HTTP when over a limit.

    Queries and mutations go over HTTP, where the cache, read-your-writes and the mutation
    rates are. Strawberry runs a subscription even when an earlier extension set a refusal
    as the result (the cost limit does): raising it here ends the stream with it instead.
    """

    def on_execute(self) -> Iterator[None]:
        execution_context = self.execution_context
        if isinstance(execution_context.context, LiveContext):
            if execution_context.operation_type is not OperationType.SUBSCRIPTION:
                raise GraphQLError(
                    "Only subscriptions are taken over the WebSocket: send queries and "
                    "mutations over HTTP.",
                    extensions={"code": "OPERATION_NOT_SUPPORTED"},
                )
            refused = execution_context.result
            if refused is not None and refused.errors:
                raise refused.errors[0]
        yield
