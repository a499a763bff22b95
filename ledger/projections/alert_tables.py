"""The alerts projection's tables: the profiles in force, the article facts the alert rule
reads, and the due alerts (``ledger.domain.alert_rule``).

Defined like the other views (a live set and a fresh set per replay), so a rebuild swaps
them in and a verification compares them row by row with the rest.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, MetaData, String, Table, Text

from ledger.store.tables import UTCDateTime

__all__ = ["alert_tables"]


# A table of tables (one column a line), not logic.
def alert_tables(target: MetaData, suffix: str = "") -> dict[str, Table]:
    """The alerts projection's tables in ``target``, their names ending with ``suffix``."""
    return {
        # The profile in force per subscriber (none: cleared, or never set).
        "alert_profiles": Table(
            f"alert_profiles{suffix}",
            target,
            Column("subscriber_id", String(200), primary_key=True),
            Column("disciplines", Text, nullable=False),  # JSON list, as registered
            Column("relevance_cutoff", Integer, nullable=False),
            Column("newsworthiness_cutoff", Integer, nullable=False),
            Column("topics", Text, nullable=False),  # JSON list (empty: any)
            Column("study_types", Text, nullable=False),  # JSON list (empty: any)
            Column("delivery", String(12), nullable=False),
            Column("contact_id", String(64), nullable=True),  # a row of alert_contacts
            Column("set_position", BigInteger, nullable=False),
            Column("set_at", UTCDateTime, nullable=False),
        ),
        # Who each discipline concerns: the profiles an article's ratings may now meet.
        "alert_interests": Table(
            f"alert_interests{suffix}",
            target,
            Column("discipline", String(100), primary_key=True),
            Column("subscriber_id", String(200), primary_key=True),
        ),
        # What the rule reads of an article, as of the projection's checkpoint.
        "alert_articles": Table(
            f"alert_articles{suffix}",
            target,
            Column("article_id", String(64), primary_key=True),
            Column("study_type", String(100), nullable=False),
            Column("topics", Text, nullable=False),  # JSON list
            Column("retracted", Boolean, nullable=False),
            # JSON object: rating id -> [discipline, relevance, newsworthiness], active ones.
            Column("ratings", Text, nullable=False),
            # JSON list: the disciplines assigned, whose ratings alone count (null: never any).
            Column("assigned", Text, nullable=True),
        ),
        # Every alert made due, once: what a delivery outbox consumes by ``alert_id``.
        "due_alerts": Table(
            f"due_alerts{suffix}",
            target,
            Column("alert_id", String(32), primary_key=True),
            Column("subscriber_id", String(200), nullable=False),
            Column("article_id", String(64), nullable=False),
            Column("kind", String(12), nullable=False),  # article or retraction
            Column("discipline", String(100), nullable=True),
            Column("position", BigInteger, nullable=False),
            Column("due_at", UTCDateTime, nullable=False),
            Index(None, "subscriber_id", "position"),
            Index(None, "article_id"),
            Index(None, "position"),  # the outbox's look for alerts past its checkpoint
        ),
    }
