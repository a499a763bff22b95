"""SQLAlchemy Core metadata: the single source of the schema that migrations create."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

__all__ = [
    "PROJECTIONS",
    "ROLES",
    "ViewTables",
    "api_tokens",
    "appends",
    "events",
    "ledger_head",
    "live_views",
    "metadata",
    "people",
    "projection_checkpoints",
    "view_tables",
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

# -- projections: read models built only from events --------------------------------------

PROJECTIONS = ("article_view", "rater_directory")

projection_checkpoints = Table(
    "projection_checkpoints",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
)


@dataclass(frozen=True)
class ViewTables:
    """The tables one projector writes: the live ones, or fresh ones for a rebuild."""

    article_views: Table
    article_topics: Table
    discipline_scores: Table
    active_ratings: Table
    subscriber_comments: Table
    raters: Table
    disciplines: Table
    rating_versions: Table

    def all(self) -> tuple[Table, ...]:
        return (
            self.article_views,
            self.article_topics,
            self.discipline_scores,
            self.active_ratings,
            self.subscriber_comments,
            self.raters,
            self.disciplines,
            self.rating_versions,
        )


def view_tables(target: MetaData, suffix: str = "") -> ViewTables:
    """Define the projection tables in ``target``, their names ending with ``suffix``."""
    return ViewTables(
        article_views=Table(
            f"article_views{suffix}",
            target,
            Column("article_id", String(64), primary_key=True),
            Column("title", Text, nullable=False),
            Column("authors", Text, nullable=False),  # JSON list, in citation order
            Column("journal", String(300), nullable=False),
            Column("journal_abbreviation", String(100), nullable=True),
            Column("published_on", String(10), nullable=True),
            Column("volume", String(50), nullable=True),
            Column("issue", String(50), nullable=True),
            Column("pages", String(50), nullable=True),
            Column("doi", String(220), nullable=True),
            Column("pmid", String(10), nullable=True),
            Column("publication_note", String(300), nullable=True),
            Column("study_type", String(100), nullable=False),
            Column("abstract", Text, nullable=False),
            Column("retracted", Boolean, nullable=False),
            Column("version", Integer, nullable=False),
            Column("registered_position", BigInteger, nullable=False, unique=True),
            Column("registered_at", UTCDateTime, nullable=False),
            Column("updated_at", UTCDateTime, nullable=False),
            # The folded words a full-text search finds the article by (``ledger.search``),
            # which each backend's search index is built over.
            Column("search_text", Text, nullable=False),
            Index(None, "doi"),
            Index(None, "pmid"),
        ),
        article_topics=Table(
            f"article_topics{suffix}",
            target,
            Column("article_id", String(64), primary_key=True),
            Column("topic", String(100), primary_key=True),
            Column("ordinal", Integer, nullable=False),
            # The topic folded as search folds text: what a case-insensitive filter compares.
            Column("topic_key", Text, nullable=False),
            Index(None, "topic", "article_id"),
            Index(None, "topic_key", "article_id"),
        ),
        discipline_scores=Table(
            f"discipline_scores{suffix}",
            target,
            Column("article_id", String(64), primary_key=True),
            Column("discipline", String(100), primary_key=True),
            # Sums and counts, never running means: exact under revisions and withdrawals.
            Column("relevance_sum", Integer, nullable=False),
            Column("newsworthiness_sum", Integer, nullable=False),
            Column("rating_count", Integer, nullable=False),
            Index(None, "discipline", "article_id"),
        ),
        active_ratings=Table(
            f"active_ratings{suffix}",
            target,
            Column("rating_id", String(80), primary_key=True),
            Column("article_id", String(64), nullable=False),
            Column("rater_id", String(64), nullable=False),
            Column("discipline", String(100), nullable=False),
            Column("relevance", Integer, nullable=False),
            Column("newsworthiness", Integer, nullable=False),
            Column("comment", Text, nullable=True),
            Column("submitted_position", BigInteger, nullable=False),
            Column("rated_at", UTCDateTime, nullable=False),
            UniqueConstraint("article_id", "rater_id"),
        ),
        subscriber_comments=Table(
            f"subscriber_comments{suffix}",
            target,
            Column("comment_id", String(80), primary_key=True),
            Column("article_id", String(64), nullable=False),
            Column("author_id", String(200), nullable=False),
            Column("body", Text, nullable=False),
            Column("hidden", Boolean, nullable=False),
            Column("posted_position", BigInteger, nullable=False),
            Column("posted_at", UTCDateTime, nullable=False),
            Index(None, "article_id", "posted_position"),
        ),
        raters=Table(
            f"raters{suffix}",
            target,
            Column("rater_id", String(64), primary_key=True),
            Column("person_id", String(64), nullable=False),
            Column("discipline", String(100), nullable=False),
            Column("enrolled_at", UTCDateTime, nullable=False),
        ),
        disciplines=Table(
            f"disciplines{suffix}",
            target,
            Column("discipline_key", String(100), primary_key=True),
            Column("name", String(100), nullable=False, unique=True),
            Column("registered_position", BigInteger, nullable=False),
        ),
        # Every version of every rating, withdrawals included: a rater's own history.
        rating_versions=Table(
            f"rating_versions{suffix}",
            target,
            Column("position", BigInteger, primary_key=True, autoincrement=False),
            Column("rating_id", String(80), nullable=False),
            Column("rater_id", String(64), nullable=False),
            Column("article_id", String(64), nullable=False),
            Column("kind", String(12), nullable=False),  # submitted, revised or withdrawn
            Column("relevance", Integer, nullable=True),
            Column("newsworthiness", Integer, nullable=True),
            Column("comment", Text, nullable=True),
            Column("recorded_at", UTCDateTime, nullable=False),
            Index(None, "rater_id", "position"),
        ),
    )


live_views = view_tables(metadata)
