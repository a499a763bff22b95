"""The baselines: the same rows INSERTed and committed through the same driver and engine.

``plain``: one INSERT (executemany for a batch) and COMMIT into a table with only a primary key;
positions come from a counter in this process. ``serialised``: the same, with appenders queued
on a locked one-row counter (SELECT ... FOR UPDATE, INSERT, UPDATE, COMMIT), as any gap-free
global order must (on SQLite the benchmark uses ``plain``: its single writer already
serialises). On SQLite writers begin IMMEDIATE, as the ledger's do.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Integer, MetaData, Table, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bench._workload import EVENT_TYPE, Batch, Result, Scenario, check_count, measure_async
from ledger.store.db import create_engine
from ledger.store.sqlite import SQLITE_BEGIN
from ledger.store.tables import events

_metadata = MetaData()
raw_events = Table(
    "raw_events",
    _metadata,
    *(
        Column(column.name, column.type, primary_key=column.primary_key, autoincrement=False)
        for column in events.columns
    ),
)
raw_counter = Table(
    "raw_counter",
    _metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("position", BigInteger, nullable=False),
)


def rows(batch: Batch, first_position: int) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    correlation_id = str(uuid.uuid4())
    result = []
    for offset, payload in enumerate(batch.payloads):
        payload_json = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        result.append(
            {
                "position": first_position + offset,
                "stream_id": batch.stream_id,
                "stream_version": batch.expected_version + offset + 1,
                "event_type": EVENT_TYPE,
                "schema_version": 1,
                "payload": payload_json,
                "recorded_at": now,
                "actor_id": payload["rater_id"],
                "actor_role": "rater",
                "idempotency_key": batch.idempotency_key,
                "correlation_id": correlation_id,
                "causation_id": None,
                "hash": hashlib.sha256(payload_json.encode()).hexdigest(),
            }
        )
    return result


class Positions:
    """Positions handed out in this process, without a lock in the database."""

    def __init__(self) -> None:
        self._last = 0

    def take(self, count: int) -> int:
        first = self._last + 1
        self._last += count
        return first


async def _write_plain(conn: AsyncConnection, batch: Batch, positions: Positions) -> None:
    await conn.execute(insert(raw_events), rows(batch, positions.take(len(batch.payloads))))


async def _write_serialised(conn: AsyncConnection, batch: Batch) -> None:
    head = await conn.scalar(
        select(raw_counter.c.position).where(raw_counter.c.id == 1).with_for_update()
    )
    assert head is not None
    await conn.execute(insert(raw_events), rows(batch, head + 1))
    last = head + len(batch.payloads)
    await conn.execute(update(raw_counter).where(raw_counter.c.id == 1).values(position=last))


async def _create_tables(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_metadata.create_all)
        await conn.execute(insert(raw_counter).values(id=1, position=0))


async def run_raw(url: str, scenario: Scenario, *, serialised: bool) -> Result:
    engine = create_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    positions = Positions()
    try:
        await _create_tables(engine)

        async def append(batch: Batch) -> None:
            async with engine.connect() as conn:
                if sqlite:
                    await conn.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
                async with conn.begin():
                    if serialised:
                        await _write_serialised(conn, batch)
                    else:
                        await _write_plain(conn, batch, positions)

        result = await measure_async(scenario, append)
        async with engine.connect() as conn:
            stored = await conn.scalar(select(func.count()).select_from(raw_events))
        check_count("raw", stored, scenario)
        return result
    finally:
        await engine.dispose()
