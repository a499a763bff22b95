"""The system under test: ``SQLEventStore.append`` on a freshly migrated database."""

from __future__ import annotations

from bench._workload import EVENT_TYPE, Batch, Result, Scenario, check_count, measure_async
from ledger.store import migrate
from ledger.store.db import create_engine
from ledger.store.records import Actor, NewEvent
from ledger.store.sql_store import SQLEventStore


async def run_ledger(url: str, scenario: Scenario) -> Result:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        store = SQLEventStore(engine)

        async def append(batch: Batch) -> None:
            await store.append(
                batch.stream_id,
                batch.expected_version,
                [NewEvent(EVENT_TYPE, payload) for payload in batch.payloads],
                actor=Actor(str(batch.payloads[0]["rater_id"]), "rater"),
                idempotency_key=batch.idempotency_key,
            )

        result = await measure_async(scenario, append)
        check_count("ledger", (await store.head()).position, scenario)
        return result
    finally:
        await engine.dispose()
