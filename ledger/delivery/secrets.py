"""Webhook signing secrets, one per subscriber, kept outside the chain and shown once."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.delivery.sql import insert_new
from ledger.delivery.tables import webhook_secrets

__all__ = ["issue_secret", "rotate_secret", "secret_of"]

_PREFIX = "whsec_"


async def secret_of(conn: AsyncConnection, subscriber_id: str) -> str | None:
    query = select(webhook_secrets.c.secret).where(webhook_secrets.c.subscriber_id == subscriber_id)
    found: str | None = await conn.scalar(query)
    return found


async def issue_secret(conn: AsyncConnection, subscriber_id: str, now: datetime) -> str | None:
    """A secret for a subscriber who has none; returns it when it is new (to be shown once),
    None when they already had one."""
    if await secret_of(conn, subscriber_id) is not None:
        return None
    secret = _PREFIX + secrets.token_hex(24)
    row = {"subscriber_id": subscriber_id, "secret": secret, "created_at": now}
    await insert_new(conn, webhook_secrets, [row])
    # Another transaction may have made one first: theirs is the one kept.
    return secret if await secret_of(conn, subscriber_id) == secret else None


async def rotate_secret(conn: AsyncConnection, subscriber_id: str, now: datetime) -> str:
    """A new secret in place of the old one; returns it (shown once)."""
    await conn.execute(
        delete(webhook_secrets).where(webhook_secrets.c.subscriber_id == subscriber_id)
    )
    secret = _PREFIX + secrets.token_hex(24)
    await insert_new(
        conn,
        webhook_secrets,
        [{"subscriber_id": subscriber_id, "secret": secret, "created_at": now}],
    )
    return secret
