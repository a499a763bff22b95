"""The peer: the ``eventsourcing`` library's application recorders, called directly.

``insert_events`` with one ``StoredEvent`` per call, from one thread per writer (the library
is synchronous). Its PostgreSQL recorder takes ``LOCK TABLE ... IN EXCLUSIVE MODE`` in every
insert transaction (so its notification ids commit in order), which serialises its writers
as the ledger's head row does; its SQLite recorder queues writers on an in-process lock.
"""

from __future__ import annotations

import json

from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

try:
    from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
except ImportError as error:  # its PostgreSQL module needs psycopg_pool
    raise ImportError(
        f"{error}: install eventsourcing[postgres] (psycopg[pool]) for the peer on PostgreSQL"
    ) from error
from sqlalchemy.engine import make_url

from bench._workload import EVENT_TYPE, Batch, Result, Scenario, check_count, measure_threads

TOPIC = f"bench.events:{EVENT_TYPE}"


def _stored(batch: Batch) -> list[StoredEvent]:
    return [
        StoredEvent(
            originator_id=batch.originator_id,
            originator_version=batch.expected_version + offset + 1,
            topic=TOPIC,
            state=json.dumps(payload, sort_keys=True, separators=(",", ":")).encode(),
        )
        for offset, payload in enumerate(batch.payloads)
    ]


def _measure(recorder: ApplicationRecorder, scenario: Scenario) -> Result:
    def append(batch: Batch) -> None:
        recorder.insert_events(_stored(batch))

    result = measure_threads(scenario, append)
    check_count("peer", recorder.max_notification_id(), scenario)
    return result


def run_peer_sqlite(path: str, scenario: Scenario) -> Result:
    datastore = SQLiteDatastore(db_name=path, pool_size=scenario.writers, lock_timeout=60)
    try:
        recorder = SQLiteApplicationRecorder(datastore)
        recorder.create_table()
        return _measure(recorder, scenario)
    finally:
        datastore.close()


def postgres_datastore(url: str, pool_size: int) -> PostgresDatastore:
    """Equivalent to PERSISTENCE_MODULE=eventsourcing.postgres with POSTGRES_* variables."""
    parsed = make_url(url)
    host = parsed.host or str(parsed.query.get("host", "localhost"))  # a socket dir works too
    return PostgresDatastore(
        dbname=parsed.database or "postgres",
        host=host,
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password or "",
        pool_size=pool_size,
    )


def run_peer_postgres(url: str, scenario: Scenario) -> Result:
    datastore = postgres_datastore(url, scenario.writers)
    try:
        recorder = PostgresApplicationRecorder(datastore)
        recorder.create_table()
        return _measure(recorder, scenario)
    finally:
        datastore.close()
