"""Projections: article views, topics, discipline scores, ratings, comments, raters,
disciplines, their checkpoints, and the people table kept outside the hash chain.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "active_ratings",
        sa.Column("rating_id", sa.String(length=80), nullable=False),
        sa.Column("article_id", sa.String(length=64), nullable=False),
        sa.Column("rater_id", sa.String(length=64), nullable=False),
        sa.Column("discipline", sa.String(length=100), nullable=False),
        sa.Column("relevance", sa.Integer(), nullable=False),
        sa.Column("newsworthiness", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("submitted_position", sa.BigInteger(), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("rating_id", name=op.f("pk_active_ratings")),
        sa.UniqueConstraint(
            "article_id", "rater_id", name=op.f("uq_active_ratings_article_id_rater_id")
        ),
    )
    op.create_table(
        "article_topics",
        sa.Column("article_id", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("article_id", "topic", name=op.f("pk_article_topics")),
    )
    with op.batch_alter_table("article_topics", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_article_topics_topic_article_id"), ["topic", "article_id"], unique=False
        )

    op.create_table(
        "article_views",
        sa.Column("article_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("authors", sa.Text(), nullable=False),
        sa.Column("journal", sa.String(length=300), nullable=False),
        sa.Column("journal_abbreviation", sa.String(length=100), nullable=True),
        sa.Column("published_on", sa.String(length=10), nullable=True),
        sa.Column("volume", sa.String(length=50), nullable=True),
        sa.Column("issue", sa.String(length=50), nullable=True),
        sa.Column("pages", sa.String(length=50), nullable=True),
        sa.Column("doi", sa.String(length=220), nullable=True),
        sa.Column("pmid", sa.String(length=10), nullable=True),
        sa.Column("publication_note", sa.String(length=300), nullable=True),
        sa.Column("study_type", sa.String(length=100), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=False),
        sa.Column("retracted", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("registered_position", sa.BigInteger(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_article_views")),
        sa.UniqueConstraint(
            "registered_position", name=op.f("uq_article_views_registered_position")
        ),
    )
    op.create_table(
        "discipline_scores",
        sa.Column("article_id", sa.String(length=64), nullable=False),
        sa.Column("discipline", sa.String(length=100), nullable=False),
        sa.Column("relevance_sum", sa.Integer(), nullable=False),
        sa.Column("newsworthiness_sum", sa.Integer(), nullable=False),
        sa.Column("rating_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("article_id", "discipline", name=op.f("pk_discipline_scores")),
    )
    with op.batch_alter_table("discipline_scores", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_discipline_scores_discipline_article_id"),
            ["discipline", "article_id"],
            unique=False,
        )

    op.create_table(
        "disciplines",
        sa.Column("discipline_key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("registered_position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("discipline_key", name=op.f("pk_disciplines")),
        sa.UniqueConstraint("name", name=op.f("uq_disciplines_name")),
    )
    op.create_table(
        "people",
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=300), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_people")),
    )
    checkpoints = op.create_table(
        "projection_checkpoints",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_projection_checkpoints")),
    )
    op.bulk_insert(
        checkpoints,
        [{"name": "article_view", "position": 0}, {"name": "rater_directory", "position": 0}],
    )
    op.create_table(
        "raters",
        sa.Column("rater_id", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("discipline", sa.String(length=100), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("rater_id", name=op.f("pk_raters")),
    )
    op.create_table(
        "subscriber_comments",
        sa.Column("comment_id", sa.String(length=80), nullable=False),
        sa.Column("article_id", sa.String(length=64), nullable=False),
        sa.Column("author_id", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("posted_position", sa.BigInteger(), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("comment_id", name=op.f("pk_subscriber_comments")),
    )
    with op.batch_alter_table("subscriber_comments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subscriber_comments_article_id_posted_position"),
            ["article_id", "posted_position"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("subscriber_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscriber_comments_article_id_posted_position"))

    op.drop_table("subscriber_comments")
    op.drop_table("raters")
    op.drop_table("projection_checkpoints")
    op.drop_table("people")
    op.drop_table("disciplines")
    with op.batch_alter_table("discipline_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_discipline_scores_discipline_article_id"))

    op.drop_table("discipline_scores")
    op.drop_table("article_views")
    with op.batch_alter_table("article_topics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_topics_topic_article_id"))

    op.drop_table("article_topics")
    op.drop_table("active_ratings")
