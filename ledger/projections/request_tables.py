"""The requests projection's tables: every rating request with its state, the raters'
profiles, and the disciplines assigned to each article, as a list and a row each
(``ledger.projections.requests``).

Defined like the other views (a live set and a fresh set per replay), so a rebuild swaps
them in and a verification compares them row by row with the rest.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, MetaData, String, Table, Text

__all__ = ["request_tables"]


# A table of tables (one column a line), not logic.
def request_tables(target: MetaData, suffix: str = "") -> dict[str, Table]:
    """The requests projection's tables in ``target``, their names ending with ``suffix``."""
    return {
        "rating_requests": Table(
            f"rating_requests{suffix}",
            target,
            Column("request_id", String(80), primary_key=True),
            Column("article_id", String(64), nullable=False),
            Column("rater_id", String(64), nullable=False),
            Column("discipline", String(100), nullable=False),
            # Instants as the events hold them ('YYYY-MM-DDTHH:MM:SSZ'): they sort as times.
            Column("requested_at", String(20), nullable=False),
            Column("due", String(20), nullable=False),
            Column("status", String(10), nullable=False),  # open, answered, expired or cancelled
            Column("requested_position", BigInteger, nullable=False),
            Column("closed_position", BigInteger, nullable=True),  # answered/expired/cancelled at
            Index(None, "rater_id", "requested_at"),  # a queue, a month's count
            Index(None, "article_id"),
            Index(None, "status", "due"),  # the overdue ones
        ),
        # Only raters who changed their profile: the others have the defaults.
        "rater_profiles": Table(
            f"rater_profiles{suffix}",
            target,
            Column("rater_id", String(64), primary_key=True),
            Column("populations", Text, nullable=False),  # JSON list
            Column("monthly_limit", Integer, nullable=False),
            Column("paused", Boolean, nullable=False),
        ),
        # Only articles that were assigned disciplines (the others are rated by anyone).
        "article_disciplines": Table(
            f"article_disciplines{suffix}",
            target,
            Column("article_id", String(64), primary_key=True),
            Column("disciplines", Text, nullable=False),  # JSON list, in assigned order
            Column("populations", Text, nullable=False),  # JSON list
        ),
        # The same assignments a row per discipline, so that every reader of the scores
        # (the API's loaders, the one-statement pages, the list's filters, the feeds) keeps
        # only the assigned disciplines' by one join, on both backends alike.
        "assigned_disciplines": Table(
            f"assigned_disciplines{suffix}",
            target,
            Column("article_id", String(64), primary_key=True),
            Column("discipline", String(100), primary_key=True),
        ),
    }
