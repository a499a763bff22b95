"""The PostgreSQL view writer's checks: what its driver would store differently is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from ledger.projections.postgres import PostgresWriter
from ledger.projections.tables import live_views

WHEN = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def comment(**changes: object) -> dict[str, object]:
    return {
        "comment_id": "c1",
        "article_id": "a1",
        "author_id": "s1",
        "body": "Useful.",
        "hidden": False,
        "posted_position": 7,
        "posted_at": WHEN,
        **changes,
    }


@pytest.fixture
def writer() -> PostgresWriter:
    return PostgresWriter(live_views.subscriber_comments, PGDialect_asyncpg())


def test_rows_of_the_views_types_go_to_the_driver_as_they_are(writer: PostgresWriter) -> None:
    rows = [comment(), comment(comment_id="c2", hidden=True)]
    assert writer.copy_rows(rows) == [tuple(row.values()) for row in rows]


def test_a_naive_time_in_any_row_is_refused(writer: PostgresWriter) -> None:
    rows = [comment(), comment(comment_id="c2", posted_at=datetime(2024, 5, 1, 12, 0))]
    with pytest.raises(ValueError, match="naive datetimes are refused"):
        writer.copy_rows(rows)


def test_a_flag_that_is_not_a_boolean_is_refused(writer: PostgresWriter) -> None:
    with pytest.raises(TypeError, match="not a boolean: 1"):
        writer.insert_rows([comment(), comment(comment_id="c2", hidden=1)])
