"""Helpers for tests that race writers: one engine (so one connection) per writer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from ledger.store.db import create_engine
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
