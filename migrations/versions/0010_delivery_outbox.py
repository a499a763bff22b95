"""Delivery: the outbox of deliveries (one per due alert or digest and channel), what each
carries, the webhook signing secrets, and the outbox's checkpoint; all outside the chain.

The outbox starts at position 0: its first pass takes in every alert already due.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("delivery_id", sa.String(length=32), nullable=False),
        sa.Column("subscriber_id", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("contact_id", sa.String(length=64), nullable=False),
        sa.Column("cadence", sa.String(length=12), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retry_key", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_deliveries")),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deliveries_state_next_attempt_at"),
            ["state", "next_attempt_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_deliveries_subscriber_id_cadence_period_start"),
            ["subscriber_id", "cadence", "period_start"],
            unique=False,
        )
    op.create_table(
        "delivery_items",
        sa.Column("delivery_id", sa.String(length=32), nullable=False),
        sa.Column("alert_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("delivery_id", "alert_id", name=op.f("pk_delivery_items")),
    )
    op.create_table(
        "webhook_secrets",
        sa.Column("subscriber_id", sa.String(length=200), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotation_key", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("subscriber_id", name=op.f("pk_webhook_secrets")),
    )
    op.create_table(
        "delivery_checkpoints",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_delivery_checkpoints")),
    )
    op.execute("INSERT INTO delivery_checkpoints (name, position) VALUES ('outbox', 0)")


def downgrade() -> None:
    op.drop_table("delivery_checkpoints")
    op.drop_table("webhook_secrets")
    op.drop_table("delivery_items")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveries_subscriber_id_cadence_period_start"))
        batch_op.drop_index(batch_op.f("ix_deliveries_state_next_attempt_at"))
    op.drop_table("deliveries")
