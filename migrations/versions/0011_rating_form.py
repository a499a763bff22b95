"""The full rating form: a rating may lack a newsworthiness (not asked, "don't know") or
both scales (beyond the rater's expertise), and newsworthiness has a mean over its own count.

Every rating stored before this has both scales, so the views need no replay: the new
count equals the rating count, and no stored rating has a reason for a missing
newsworthiness.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("discipline_scores", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("newsworthiness_count", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute("UPDATE discipline_scores SET newsworthiness_count = rating_count")
    with op.batch_alter_table("discipline_scores", schema=None) as batch_op:
        batch_op.alter_column("newsworthiness_count", server_default=None)
    with op.batch_alter_table("active_ratings", schema=None) as batch_op:
        batch_op.alter_column("relevance", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("newsworthiness", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("newsworthiness_absent", sa.String(20), nullable=True))
    with op.batch_alter_table("rating_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("newsworthiness_absent", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rating_versions", schema=None) as batch_op:
        batch_op.drop_column("newsworthiness_absent")
    # A ledger that holds ratings without both scales cannot go back: the older code
    # cannot read their events, and the NOT NULL below refuses their rows.
    with op.batch_alter_table("active_ratings", schema=None) as batch_op:
        batch_op.drop_column("newsworthiness_absent")
        batch_op.alter_column("newsworthiness", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("relevance", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("discipline_scores", schema=None) as batch_op:
        batch_op.drop_column("newsworthiness_count")
