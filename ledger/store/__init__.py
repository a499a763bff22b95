"""The event store: appends with optimistic concurrency, idempotency and a hash chain.

Owns the log's tables, the records that go in and come out, the canonical bytes an event is
hashed by, and everything a backend does differently (SQLite, PostgreSQL). Imports the domain
only.
"""
