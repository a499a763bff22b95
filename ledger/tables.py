"""SQLAlchemy Core metadata: the single source of the schema that migrations create."""

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

__all__ = ["appends", "events", "ledger_head", "metadata"]

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
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

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

# One row, id = 1: the last position and hash. Appenders serialise on it.
ledger_head = Table(
    "ledger_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("position", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=True),
    CheckConstraint("id = 1", name="single_row"),
)

# One row per idempotent append: what a retry with the same key must be told.
appends = Table(
    "appends",
    metadata,
    Column("idempotency_key", String(200), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("stream_id", String(160), nullable=False),
    Column("first_position", BigInteger, nullable=False),
    Column("last_position", BigInteger, nullable=False),
    Column("first_version", Integer, nullable=False),
    Column("last_version", Integer, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
)
