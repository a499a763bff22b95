"""The alert rule counts only the disciplines an article is assigned, as only their scores
show: the facts the alerts projection keeps of an article gain the assignment.

Every assignment stored before this revision is of version 1, which left the alerts to every
discipline rated (``ArticleDisciplinesAssigned.limits_alerts``): the alerts projection keeps
no assignment for any of them, so the new column starts empty (null) and the alerts stay
exactly those a replay of the log decides. Assignments made from now on limit the alerts.

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


def downgrade() -> None:
    with op.batch_alter_table("alert_articles", schema=None) as batch_op:
        batch_op.drop_column("assigned")
