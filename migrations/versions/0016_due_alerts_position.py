"""An index on the due alerts' positions: the deliverer, woken after every append, looks for
an alert past the outbox's checkpoint without the write lock, and takes the lock only when
it finds one.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("due_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_due_alerts_position"), ["position"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("due_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_due_alerts_position"))
