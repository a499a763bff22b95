"""API bearer tokens: random, shown once, stored only as SHA-256 hashes.

A token is ``el_<token id>_<secret>``; the id names it for listing and revocation, and the
whole string is what is hashed. Tokens are high-entropy random, so a plain hash suffices
(no slow password hash is needed to resist guessing).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.db import write_transaction
from ledger.errors import NotFound, ValidationFailed
from ledger.tables import ROLES, api_tokens, live_views, people

__all__ = ["IssuedToken", "Principal", "authenticate", "issue_token", "revoke_token"]


@dataclass(frozen=True)
class Principal:
    """Who is calling: an id, the role they act in, and the rater they are, if a rater."""

    id: str
    role: str
    rater_id: str | None = None
    token_id: str | None = None


@dataclass(frozen=True)
class IssuedToken:
    token: str
    principal: Principal
    expires_at: datetime | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(
    engine: AsyncEngine,
    role: str,
    *,
    rater_id: str | None = None,
    name: str | None = None,
    expires_at: datetime | None = None,
) -> IssuedToken:
    if role not in ROLES:
        raise ValidationFailed("role", f"must be one of {', '.join(ROLES)}")
    if (role == "rater") != (rater_id is not None):
        raise ValidationFailed("rater_id", "is required for, and only for, the rater role")
    if expires_at is not None and expires_at <= datetime.now(UTC):
        raise ValidationFailed("expires_at", "must be in the future")
    token_id = secrets.token_hex(6)
    token = f"el_{token_id}_{secrets.token_urlsafe(32)}"
    principal_id = rater_id if rater_id is not None else f"{role}-{token_id}"
    async with write_transaction(engine) as conn:
        if rater_id is not None:
            raters = live_views.raters
            known = await conn.scalar(
                select(raters.c.rater_id).where(raters.c.rater_id == rater_id)
            )
            if known is None:
                raise NotFound("rater", rater_id)
        elif name is not None:
            # A display name for subscribers' comments, kept outside the chain (erasable).
            await conn.execute(insert(people).values(person_id=principal_id, display_name=name))
        await conn.execute(
            insert(api_tokens).values(
                token_id=token_id,
                token_hash=_hash(token),
                role=role,
                principal_id=principal_id,
                rater_id=rater_id,
                created_at=datetime.now(UTC),
                expires_at=expires_at,
            )
        )
    return IssuedToken(token, Principal(principal_id, role, rater_id, token_id), expires_at)


async def revoke_token(engine: AsyncEngine, token_id: str) -> None:
    async with write_transaction(engine) as conn:
        result = await conn.execute(
            update(api_tokens)
            .where(api_tokens.c.token_id == token_id, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
    if result.rowcount == 0:
        raise NotFound("active token", token_id)


async def authenticate(engine: AsyncEngine, token: str) -> Principal | None:
    """The principal a token stands for; None when unknown, expired or revoked."""
    if not token.startswith("el_") or len(token) > 200:
        return None
    async with engine.connect() as conn:
        row = (
            await conn.execute(select(api_tokens).where(api_tokens.c.token_hash == _hash(token)))
        ).one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= datetime.now(UTC):
        return None
    return Principal(row.principal_id, row.role, row.rater_id, row.token_id)
