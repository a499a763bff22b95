"""The alert rule counts only an article's assigned disciplines, as only their scores
show: the facts the alerts projection keeps of an article gain the assignment.

Filled from ``article_disciplines`` (the same JSON text), so the alerts projection is
exact under its checkpoint for what comes next. An alert already made due by a discipline
that was not assigned stays due: it may have been sent, and an alert is due once.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert_articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assigned", sa.Text(), nullable=True))
    op.execute(
        "UPDATE alert_articles SET assigned = (SELECT d.disciplines FROM article_disciplines d "
        "WHERE d.article_id = alert_articles.article_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("alert_articles", schema=None) as batch_op:
        batch_op.drop_column("assigned")
