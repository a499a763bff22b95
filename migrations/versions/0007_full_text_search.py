"""Full-text search: the article view's folded words, each backend's index over them, and
topics compared without regard to case or accents.

``article_views.search_text`` holds the folded words of an article (``ledger.search``);
SQLite indexes them in an FTS5 table kept in step by triggers, PostgreSQL in a GIN index over
``to_tsvector('simple', search_text)``. ``article_topics.topic_key`` is the folded topic the
``topic`` filter compares. The new columns must be filled from the whole log, so the views are
emptied and their checkpoints set back to 0: the service catches them up on start (or run
`evidence-ledger rebuild`). No append projects over the gap meanwhile.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ledger.projections.search_index import drop_statements, index_statements

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


VIEWS = (
    "article_views",
    "article_topics",
    "discipline_scores",
    "active_ratings",
    "subscriber_comments",
    "raters",
    "disciplines",
    "rating_versions",
)


def upgrade() -> None:
    for view in VIEWS:
        op.execute(f"DELETE FROM {view}")
    op.execute("UPDATE projection_checkpoints SET position = 0")
    with op.batch_alter_table("article_views", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=False))
        batch_op.create_index(batch_op.f("ix_article_views_doi"), ["doi"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_views_pmid"), ["pmid"], unique=False)
    with op.batch_alter_table("article_topics", schema=None) as batch_op:
        batch_op.add_column(sa.Column("topic_key", sa.Text(), nullable=False))
        batch_op.create_index(
            batch_op.f("ix_article_topics_topic_key_article_id"),
            ["topic_key", "article_id"],
            unique=False,
        )
    for statement in index_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
    with op.batch_alter_table("article_topics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_topics_topic_key_article_id"))
        batch_op.drop_column("topic_key")
    with op.batch_alter_table("article_views", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_views_pmid"))
        batch_op.drop_index(batch_op.f("ix_article_views_doi"))
        batch_op.drop_column("search_text")
