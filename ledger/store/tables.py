"""The store's tables: the log, its head, idempotency keys, people and their API tokens.

With ``ledger.projections.tables`` (the views, in the same ``metadata``), the single source
of the schema that migrations create.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

__all__ = [
    "HEAD_ID",
    "ROLES",
    "Position",
    "UTCDateTime",
    "alert_contacts",
    "api_tokens",
    "appends",
    "events",
    "ledger_head",
    "metadata",
    "people",
    "request_sweeps",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# INTEGER PRIMARY KEY makes SQLite use the rowid itself: no second index on position.
Position = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, whatever the backend stores (SQLite keeps naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused: pass a timezone-aware UTC time")
        # The same instant on every backend: SQLite's DATETIME writes the UTC wall time as
        # naive text (its bind processor writes no offset), PostgreSQL stores the instant.
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


events = Table(
    "events",
    metadata,
    Column("position", Position, primary_key=True, autoincrement=False),
    Column("stream_id", String(160), nullable=False),
    Column("stream_version", Integer, nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("schema_version", Integer, nullable=False),
    # Stored exactly as hashed: canonical JSON text, never re-encoded by the database.
    Column("payload", Text, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("actor_id", String(200), nullable=False),
    Column("actor_role", String(40), nullable=False),
    Column("idempotency_key", String(200), nullable=True),
    Column("correlation_id", String(200), nullable=False),
    Column("causation_id", String(200), nullable=True),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("stream_id", "stream_version"),
    CheckConstraint("position >= 1", name="position_positive"),
    CheckConstraint("stream_version >= 1", name="stream_version_positive"),
)

# One row, id = HEAD_ID: the last position and hash. Appenders serialise on it.
HEAD_ID = 1
ledger_head = Table(
    "ledger_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("position", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=True),
    CheckConstraint("id = 1", name="single_row"),
)

# One row per idempotent append: what a retry with the same key must be told. A key is the
# sender's own: the same key from another actor is another request, so nobody learns which
# keys others used or can take a key before its owner does.
appends = Table(
    "appends",
    metadata,
    Column("actor_id", String(200), primary_key=True),
    Column("idempotency_key", String(200), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("stream_id", String(160), nullable=False),
    Column("first_position", BigInteger, nullable=False),
    Column("last_position", BigInteger, nullable=False),
    Column("first_version", Integer, nullable=False),
    Column("last_version", Integer, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
)


# -- outside the chain -------------------------------------------------------------------

# Identifying data is kept out of the hashed events, which refer to people by id, so that
# erasing a person later does not break the chain.
people = Table(
    "people",
    metadata,
    Column("person_id", String(64), primary_key=True),
    Column("display_name", String(300), nullable=True),
    Column("email", String(320), nullable=True),
    Column("erased_at", UTCDateTime, nullable=True),
)

# Where a subscriber's alerts go: contact details, kept out of the hashed events as names
# are (``AlertProfileSet`` carries the id of a row here), so that they can be erased.
alert_contacts = Table(
    "alert_contacts",
    metadata,
    Column("contact_id", String(64), primary_key=True),
    Column("subscriber_id", String(200), nullable=False),
    Column("email", String(320), nullable=True),
    Column("webhook_url", String(2000), nullable=True),
    Column("erased_at", UTCDateTime, nullable=True),
)

# A sweep of overdue requests run under an idempotency key: its moment and the articles it
# found overdue then, so that a retry (or a sweep interrupted part way) does that very
# sweep again, each article's append answered by its own key, rather than a new one.
request_sweeps = Table(
    "request_sweeps",
    metadata,
    Column("actor_id", String(200), primary_key=True),
    Column("idempotency_key", String(200), primary_key=True),
    Column("moment", String(20), nullable=False),  # as the events keep instants
    Column("articles", Text, nullable=False),  # JSON list of article ids, in id order
)

# Bearer tokens for the API: stored only as hashes, with a role, optional expiry, revocation.
ROLES = ("subscriber", "rater", "editor", "auditor")

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_id", String(32), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("principal_id", String(200), nullable=False),
    Column("rater_id", String(64), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    CheckConstraint("role IN ('subscriber', 'rater', 'editor', 'auditor')", name="known_role"),
    CheckConstraint("(role = 'rater') = (rater_id IS NOT NULL)", name="rater_bound"),
)
