"""Helpers for tests that race writers: one engine (so one connection) per writer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.store.db import create_engine
from ledger.store.event_store import READ_PAGE
from ledger.store.records import RecordedEvent
from ledger.store.sql_store import SQLEventStore


@asynccontextmanager
async def separate_stores(database_url: str, count: int) -> AsyncIterator[list[SQLEventStore]]:
    """``count`` stores on separate engines, so the database alone arbitrates between them."""
    engines = [create_engine(database_url, pool_size=1) for _ in range(count)]
    try:
        yield [SQLEventStore(engine) for engine in engines]
    finally:
        for engine in engines:
            await engine.dispose()


class LetsAWriterInAfterReading(SQLEventStore):
    """A real store that, once the replay has read the whole log (its last page is empty),
    lets a writer append before the rebuild goes on: the appends land after the replay and
    before the swap."""

    def __init__(self, engine: AsyncEngine, writer: Callable[[], Awaitable[None]]) -> None:
        super().__init__(engine)
        self.writer = writer
        self.let_in = False

    async def read_all(self, after: int = 0, limit: int = READ_PAGE) -> list[RecordedEvent]:
        page = await super().read_all(after, limit)
        if not page and not self.let_in:
            self.let_in = True
            await self.writer()
        return page
