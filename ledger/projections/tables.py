"""The projections' tables: the read models, built only from events, and their checkpoints.

They share the store's ``metadata``: imported from here, it holds the whole schema that the
migrations create (the store's tables and these).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from ledger.projections.alert_tables import alert_tables
from ledger.projections.request_tables import request_tables
from ledger.store.tables import UTCDateTime, metadata

__all__ = [
    "ALERTS",
    "PROJECTIONS",
    "ViewTables",
    "live_views",
    "metadata",
    "projection_checkpoints",
    "view_tables",
]

PROJECTIONS = ("article_view", "rater_directory")
# The alerts projection keeps a checkpoint of its own (``ledger.projections.alerts``).
ALERTS = "alerts"

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
    alert_profiles: Table
    alert_interests: Table
    alert_articles: Table
    due_alerts: Table
    rating_requests: Table
    rater_profiles: Table
    article_disciplines: Table
    assigned_disciplines: Table

    def all(self) -> tuple[Table, ...]:
        """Every view table: what a replay creates, swaps in, compares and drops."""
        return (*self.folded(), *self.alerts(), *self.requests())

    def folded(self) -> tuple[Table, ...]:
        """The tables the projector's fold writes (``ledger.projections.fold``), in
        partitions when a replay is large: all but the alerts projection's."""
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

    def alerts(self) -> tuple[Table, ...]:
        """The alerts projection's tables (``ledger.projections.alerts``)."""
        return (self.alert_profiles, self.alert_interests, self.alert_articles, self.due_alerts)

    def requests(self) -> tuple[Table, ...]:
        """The requests projection's tables (``ledger.projections.requests``)."""
        return (
            self.rating_requests,
            self.rater_profiles,
            self.article_disciplines,
            self.assigned_disciplines,
        )


# A table of tables (one column a line), not logic: its length is the views' width.
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
            # The folded words a full-text search finds the article by
            # (``ledger.domain.search_text``), which each backend's search index is built over.
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
            Column("rating_count", Integer, nullable=False),  # ratings with a relevance
            # Of those, the ratings with a newsworthiness: its mean's own count.
            Column("newsworthiness_count", Integer, nullable=False),
            Index(None, "discipline", "article_id"),
        ),
        active_ratings=Table(
            f"active_ratings{suffix}",
            target,
            Column("rating_id", String(80), primary_key=True),
            Column("article_id", String(64), nullable=False),
            Column("rater_id", String(64), nullable=False),
            Column("discipline", String(100), nullable=False),
            Column("relevance", Integer, nullable=True),
            Column("newsworthiness", Integer, nullable=True),
            # Why newsworthiness is null (``ledger.domain.ratings``): not_asked, dont_know or
            # beyond_expertise (then relevance is null too).
            Column("newsworthiness_absent", String(20), nullable=True),
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
            Column("newsworthiness_absent", String(20), nullable=True),
            Column("comment", Text, nullable=True),
            Column("recorded_at", UTCDateTime, nullable=False),
            Index(None, "rater_id", "position"),
        ),
        **alert_tables(target, suffix),
        **request_tables(target, suffix),
    )


live_views = view_tables(metadata)
