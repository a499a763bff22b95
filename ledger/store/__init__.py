"""The event store: appends with optimistic concurrency, idempotency and a hash chain.

Owns the ``EventStore`` protocol (``event_store``) and its stores (``sql_store`` on SQLite or
PostgreSQL, ``memory`` in this process), the log's tables, the records that go in and come
out, the canonical bytes an event is hashed by, the one decoder of stored rows (``codec``),
and everything a backend does differently: one module per backend (``sqlite``, with its
writer thread in ``sqlite_writer``; ``postgres``), chosen by dialect name in ``backends``
alone. Imports the domain only.
"""
