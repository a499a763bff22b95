"""The delivery outbox's tables, outside the hashed chain as contacts are: what is to be
sent where, each delivery once under a stable id, its attempts and its state.

They share the store's ``metadata`` (so the migrations' check sees them) but not the views':
a rebuild never touches them, and a delivery made stays made whatever a replay does.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from ledger.store.tables import UTCDateTime, metadata

__all__ = ["OUTBOX", "deliveries", "delivery_checkpoints", "delivery_items", "webhook_secrets"]

# The name of the outbox's checkpoint row: the last due alert's position it has taken in.
OUTBOX = "outbox"

# One delivery per (due alert, channel), or per (subscriber, digest period, channel).
deliveries = Table(
    "deliveries",
    metadata,
    Column("delivery_id", String(32), primary_key=True),
    Column("subscriber_id", String(200), nullable=False),
    Column("channel", String(8), nullable=False),  # email or webhook
    # The contact row it goes to (``alert_contacts``): erasing that row leaves nothing here.
    Column("contact_id", String(64), nullable=False),
    Column("cadence", String(12), nullable=False),  # immediate, daily or weekly
    Column("period_start", UTCDateTime, nullable=True),  # a digest's period, else none
    Column("state", String(10), nullable=False),  # pending, delivered or dead
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime, nullable=True),
    # The idempotency key of the editor's last retry, so that a repeat answers the same.
    Column("retry_key", String(200), nullable=True),
    Index(None, "state", "next_attempt_at"),
    Index(None, "subscriber_id", "cadence", "period_start"),
)

# What a delivery carries: one due alert (immediate) or each one of a digest, as it was
# when the outbox took it in (so every retry sends the same words).
delivery_items = Table(
    "delivery_items",
    metadata,
    Column("delivery_id", String(32), primary_key=True),
    Column("alert_id", String(32), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("content", Text, nullable=False),  # JSON object
)

# A subscriber's webhook signing secret, shown to them once.
webhook_secrets = Table(
    "webhook_secrets",
    metadata,
    Column("subscriber_id", String(200), primary_key=True),
    Column("secret", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # The idempotency key of the rotation that made it, so that a repeat shows it again.
    Column("rotation_key", String(200), nullable=True),
)

delivery_checkpoints = Table(
    "delivery_checkpoints",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
)
