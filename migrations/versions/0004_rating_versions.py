"""Rating versions: every version of every rating, for a rater's own history.

The new view must be filled from the whole log, so the views are emptied and their
checkpoints set back to 0: the service catches them up on start (or run
`evidence-ledger rebuild`). No append projects over the gap meanwhile.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
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
)


def upgrade() -> None:
    op.create_table(
        "rating_versions",
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("rating_id", sa.String(length=80), nullable=False),
        sa.Column("rater_id", sa.String(length=64), nullable=False),
        sa.Column("article_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("relevance", sa.Integer(), nullable=True),
        sa.Column("newsworthiness", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_rating_versions")),
    )
    with op.batch_alter_table("rating_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rating_versions_rater_id_position"),
            ["rater_id", "position"],
            unique=False,
        )
    for view in VIEWS:
        op.execute(f"DELETE FROM {view}")
    op.execute("UPDATE projection_checkpoints SET position = 0")


def downgrade() -> None:
    with op.batch_alter_table("rating_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rating_versions_rater_id_position"))

    op.drop_table("rating_versions")
