"""Sweeps of overdue rating requests kept under their idempotency keys (outside the chain),
so that a retried or interrupted sweep does the same sweep again.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "request_sweeps",
        sa.Column("actor_id", sa.String(length=200), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("moment", sa.String(length=20), nullable=False),
        sa.Column("articles", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("actor_id", "idempotency_key", name=op.f("pk_request_sweeps")),
    )


def downgrade() -> None:
    op.drop_table("request_sweeps")
