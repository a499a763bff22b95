"""Webhook signing secrets, one per subscriber, kept outside the chain and shown once: when
the subscriber first sets a webhook, and whenever they rotate it."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ledger.delivery.sql import insert_new
from ledger.delivery.tables import webhook_secrets
from ledger.store.db import write_transaction
from ledger.store.in_lists import in_chunks

__all__ = [
    "Rotation",
    "issue_secret",
    "issue_secret_now",
    "issue_secrets",
    "rotate_secret",
    "secret_of",
]

_PREFIX = "whsec_"


@dataclass(frozen=True)
class Rotation:
    secret: str
    replayed: bool  # the same idempotency key again: the secret it made, shown again


def _new_secret() -> str:
    return _PREFIX + secrets.token_hex(24)


async def secret_of(conn: AsyncConnection, subscriber_id: str) -> str | None:
    query = select(webhook_secrets.c.secret).where(webhook_secrets.c.subscriber_id == subscriber_id)
    found: str | None = await conn.scalar(query)
    return found


async def issue_secret(conn: AsyncConnection, subscriber_id: str, now: datetime) -> str | None:
    """A secret for a subscriber who has none; returns it when it is new (to be shown once),
    None when they already had one."""
    if await secret_of(conn, subscriber_id) is not None:
        return None
    secret = _new_secret()
    row = {"subscriber_id": subscriber_id, "secret": secret, "created_at": now}
    await insert_new(conn, webhook_secrets, [row])
    # Another transaction may have made one first: theirs is the one kept.
    return secret if await secret_of(conn, subscriber_id) == secret else None


async def issue_secrets(
    conn: AsyncConnection, subscriber_ids: Sequence[str], now: datetime
) -> None:
    """A secret for each of these subscribers who has none (an outbox page's webhook
    subscribers, thousands at once): one read per ``IN`` list of ids, then one insert. Another
    transaction's secret made first is kept, as ``issue_secret`` keeps it."""
    column = webhook_secrets.c.subscriber_id
    rows = []
    for chunk in in_chunks(subscriber_ids):
        have = set(await conn.scalars(select(column).where(column.in_(chunk))))
        rows += [
            {"subscriber_id": s, "secret": _new_secret(), "created_at": now}
            for s in chunk
            if s not in have
        ]
    await insert_new(conn, webhook_secrets, rows)


async def issue_secret_now(engine: AsyncEngine, subscriber_id: str, now: datetime) -> str | None:
    async with write_transaction(engine) as conn:
        return await issue_secret(conn, subscriber_id, now)


async def rotate_secret(
    engine: AsyncEngine, subscriber_id: str, now: datetime, key: str | None = None
) -> Rotation:
    """A new secret in place of the old one (deliveries from then on are signed with it)."""
    async with write_transaction(engine) as conn:
        query = select(webhook_secrets).where(webhook_secrets.c.subscriber_id == subscriber_id)
        found = (await conn.execute(query)).mappings().one_or_none()
        if found is not None and key is not None and found["rotation_key"] == key:
            return Rotation(found["secret"], replayed=True)
        await conn.execute(
            delete(webhook_secrets).where(webhook_secrets.c.subscriber_id == subscriber_id)
        )
        secret = _new_secret()
        row = {"subscriber_id": subscriber_id, "secret": secret, "created_at": now}
        await insert_new(conn, webhook_secrets, [row | {"rotation_key": key}])
        return Rotation(secret, replayed=False)
