"""Alerts: subscribers' contact details (outside the chain) and the alerts projection's
tables, with a checkpoint of its own.

The alerts projection starts at position 0: the service catches it up on start (or run
`evidence-ledger rebuild`), and an append before that catches it up first. The other views
are left as they are.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_contacts",
        sa.Column("contact_id", sa.String(length=64), nullable=False),
        sa.Column("subscriber_id", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("webhook_url", sa.String(length=2000), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_alert_contacts")),
    )
    op.create_table(
        "alert_profiles",
        sa.Column("subscriber_id", sa.String(length=200), nullable=False),
        sa.Column("disciplines", sa.Text(), nullable=False),
        sa.Column("relevance_cutoff", sa.Integer(), nullable=False),
        sa.Column("newsworthiness_cutoff", sa.Integer(), nullable=False),
        sa.Column("topics", sa.Text(), nullable=False),
        sa.Column("study_types", sa.Text(), nullable=False),
        sa.Column("delivery", sa.String(length=12), nullable=False),
        sa.Column("contact_id", sa.String(length=64), nullable=True),
        sa.Column("set_position", sa.BigInteger(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subscriber_id", name=op.f("pk_alert_profiles")),
    )
    op.create_table(
        "alert_interests",
        sa.Column("discipline", sa.String(length=100), nullable=False),
        sa.Column("subscriber_id", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("discipline", "subscriber_id", name=op.f("pk_alert_interests")),
    )
    op.create_table(
        "alert_articles",
        sa.Column("article_id", sa.String(length=64), nullable=False),
        sa.Column("study_type", sa.String(length=100), nullable=False),
        sa.Column("topics", sa.Text(), nullable=False),
        sa.Column("retracted", sa.Boolean(), nullable=False),
        sa.Column("ratings", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_alert_articles")),
    )
    op.create_table(
        "due_alerts",
        sa.Column("alert_id", sa.String(length=32), nullable=False),
        sa.Column("subscriber_id", sa.String(length=200), nullable=False),
        sa.Column("article_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("discipline", sa.String(length=100), nullable=True),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("alert_id", name=op.f("pk_due_alerts")),
    )
    with op.batch_alter_table("due_alerts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_due_alerts_subscriber_id_position"),
            ["subscriber_id", "position"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_due_alerts_article_id"), ["article_id"], unique=False)
    op.execute("INSERT INTO projection_checkpoints (name, position) VALUES ('alerts', 0)")


def downgrade() -> None:
    op.execute("DELETE FROM projection_checkpoints WHERE name = 'alerts'")
    with op.batch_alter_table("due_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_due_alerts_article_id"))
        batch_op.drop_index(batch_op.f("ix_due_alerts_subscriber_id_position"))
    for table in ("due_alerts", "alert_articles", "alert_interests", "alert_profiles"):
        op.drop_table(table)
    op.drop_table("alert_contacts")
