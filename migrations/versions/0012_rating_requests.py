"""Rating requests: the requests projection's tables (every request with its state, the
raters' profiles, the disciplines assigned to articles).

No event before this revision concerns requests, so the new tables start empty and exact,
under the views' own checkpoint: nothing to replay.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rating_requests",
        sa.Column("request_id", sa.String(length=80), nullable=False),
        sa.Column("article_id", sa.String(length=64), nullable=False),
        sa.Column("rater_id", sa.String(length=64), nullable=False),
        sa.Column("discipline", sa.String(length=100), nullable=False),
        sa.Column("requested_at", sa.String(length=20), nullable=False),
        sa.Column("due", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("requested_position", sa.BigInteger(), nullable=False),
        sa.Column("closed_position", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_rating_requests")),
    )
    with op.batch_alter_table("rating_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rating_requests_rater_id_requested_at"),
            ["rater_id", "requested_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_rating_requests_article_id"), ["article_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rating_requests_status_due"), ["status", "due"], unique=False
        )
    op.create_table(
        "rater_profiles",
        sa.Column("rater_id", sa.String(length=64), nullable=False),
        sa.Column("populations", sa.Text(), nullable=False),
        sa.Column("monthly_limit", sa.Integer(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("rater_id", name=op.f("pk_rater_profiles")),
    )
    op.create_table(
        "article_disciplines",
        sa.Column("article_id", sa.String(length=64), nullable=False),
        sa.Column("disciplines", sa.Text(), nullable=False),
        sa.Column("populations", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_article_disciplines")),
    )


def downgrade() -> None:
    op.drop_table("article_disciplines")
    op.drop_table("rater_profiles")
    with op.batch_alter_table("rating_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rating_requests_status_due"))
        batch_op.drop_index(batch_op.f("ix_rating_requests_article_id"))
        batch_op.drop_index(batch_op.f("ix_rating_requests_rater_id_requested_at"))
    op.drop_table("rating_requests")
