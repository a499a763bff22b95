"""The disciplines assigned to each article, a row per discipline, beside the list that
``article_disciplines`` keeps: what every reader of the scores joins to show an article's
scores in its assigned disciplines only.

Filled from ``article_disciplines`` as it stands, so the views stay exact under their
checkpoint with nothing to replay.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    assigned = op.create_table(
        "assigned_disciplines",
        sa.Column("article_id", sa.String(length=64), nullable=False),
        sa.Column("discipline", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("article_id", "discipline", name=op.f("pk_assigned_disciplines")),
    )
    lists = sa.table("article_disciplines", sa.column("article_id"), sa.column("disciplines"))
    rows = [
        {"article_id": article_id, "discipline": discipline}
        for article_id, disciplines in op.get_bind().execute(sa.select(lists))
        for discipline in json.loads(disciplines)
    ]
    if rows:
        op.bulk_insert(assigned, rows)


def downgrade() -> None:
    op.drop_table("assigned_disciplines")
