"""API bearer tokens: random, shown once, stored only as SHA-256 hashes.

A token is ``el_<token id>_<secret>``; the id names it for listing and revocation, and the
whole string is what is hashed. Tokens are high-entropy random, so a plain hash suffices
(no slow password hash is needed to resist guessing). A subscriber, editor or auditor is a
person of their own (``<role>-<first token id>``); a new token can be issued for the same
person, so that a replaced token keeps their comments and name.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, exists, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ledger.domain.errors import NotFound, ValidationFailed
from ledger.domain.raters import MAX_DISPLAY_NAME
from ledger.domain.validation import check_optional_text
from ledger.projections.tables import live_views
from ledger.store.db import read_on_a_live_connection, write_transaction
from ledger.store.tables import ROLES, api_tokens, people

__all__ = [
    "IssuedToken",
    "Principal",
    "TokenRecord",
    "authenticate",
    "issue_token",
    "list_tokens",
    "revoke_token",
]


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


@dataclass(frozen=True)
class TokenRecord:
    """What is known of an issued token: never its secret, nor the hash of it."""

    token_id: str
    role: str
    person_id: str
    rater_id: str | None
    name: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(
    engine: AsyncEngine,
    role: str,
    *,
    rater_id: str | None = None,
    name: str | None = None,
    expires_at: datetime | None = None,
    person_id: str | None = None,
) -> IssuedToken:
    """A new token; ``person_id`` issues it for a person who already holds (or held) a token
    of ``role``, instead of for a new one."""
    # The name goes into the people table: the same limits as a rater's, on both backends.
    name = check_optional_text("name", name, limit=MAX_DISPLAY_NAME)
    _check_request(role, rater_id, name, expires_at, person_id)
    token_id = secrets.token_hex(6)
    token = f"el_{token_id}_{secrets.token_urlsafe(32)}"
    principal_id = rater_id or person_id or f"{role}-{token_id}"
    async with write_transaction(engine) as conn:
        if person_id is not None:
            await _require_person(conn, role, person_id)
        elif rater_id is not None:
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


def _check_request(
    role: str,
    rater_id: str | None,
    name: str | None,
    expires_at: datetime | None,
    person_id: str | None,
) -> None:
    """Refusals name what the command line calls ``--rater``, ``--name`` and ``--person``."""
    if role not in ROLES:
        raise ValidationFailed("role", f"must be one of {', '.join(ROLES)}")
    if (role == "rater") != (rater_id is not None):
        raise ValidationFailed("rater", "is required for, and only for, the rater role")
    if person_id is not None and role == "rater":
        raise ValidationFailed("person", "is for subscribers, editors and auditors")
    if person_id is not None and name is not None:
        raise ValidationFailed("name", "is given only for a new person, not with person")
    if expires_at is not None and expires_at <= datetime.now(UTC):
        raise ValidationFailed("expires_at", "must be in the future")


async def _require_person(conn: AsyncConnection, role: str, person_id: str) -> None:
    held = await conn.scalar(
        select(exists().where(api_tokens.c.principal_id == person_id, api_tokens.c.role == role))
    )
    if not held:
        raise NotFound(f"{role} with a token", person_id)


async def list_tokens(engine: AsyncEngine) -> list[TokenRecord]:
    """Every token issued, oldest first, with the name of the person it stands for."""
    query = (
        select(
            api_tokens.c.token_id,
            api_tokens.c.role,
            api_tokens.c.principal_id,
            api_tokens.c.rater_id,
            people.c.display_name,
            api_tokens.c.created_at,
            api_tokens.c.expires_at,
            api_tokens.c.revoked_at,
        )
        .outerjoin(people, people.c.person_id == api_tokens.c.principal_id)
        .order_by(api_tokens.c.created_at, api_tokens.c.token_id)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [TokenRecord(*row) for row in rows]


async def revoke_token(engine: AsyncEngine, token: str) -> str:
    """Revoke a token named by its id (``el_`` optional) or given whole; returns its id."""
    token_id, _, secret = token.removeprefix("el_").partition("_")
    # A whole token is matched by its hash, so that a mistyped one revokes nothing.
    which = api_tokens.c.token_hash == _hash(token) if secret else api_tokens.c.token_id == token_id
    async with write_transaction(engine) as conn:
        result = await conn.execute(
            update(api_tokens)
            .where(which, api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
    if result.rowcount == 0:
        raise NotFound("active token", token_id)
    return token_id


async def authenticate(engine: AsyncEngine, token: str) -> Principal | None:
    """The principal a token stands for; None when unknown, expired or revoked."""
    if not token.startswith("el_") or len(token) > 200:
        return None
    found = select(api_tokens).where(api_tokens.c.token_hash == _hash(token))

    async def read(conn: AsyncConnection) -> Row[Any] | None:
        return (await conn.execute(found)).one_or_none()

    # A request's first statement: the one to meet a connection the server ended meanwhile.
    row = await read_on_a_live_connection(engine, read)
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= datetime.now(UTC):
        return None
    return Principal(row.principal_id, row.role, row.rater_id, row.token_id)
