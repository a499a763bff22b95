"""``token create``, ``token list`` and ``token revoke``: the API's bearer tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from graph.cli.database_access import (
    DEFAULT_DATABASE_URL,
    AsyncEngine,
    DatabaseOption,
    require_schema,
    with_engine,
)
from graph.cli.output import console
from ledger.use_cases.tokens import IssuedToken, TokenRecord, issue_token, list_tokens, revoke_token

__all__ = ["app"]

app = typer.Typer(help="Issue and revoke API bearer tokens.", no_args_is_help=True)

DEFAULT_TOKEN_DAYS = 90
# Ten years is already long for a bearer token, and a bound keeps the date representable.
MAX_TOKEN_DAYS = 3650


@app.command("create")
def create(
    role: Annotated[str, typer.Option(help="subscriber, rater, editor or auditor")],
    rater: Annotated[str | None, typer.Option(help="The rater id (rater tokens only).")] = None,
    name: Annotated[str | None, typer.Option(help="A display name (a new subscriber).")] = None,
    person: Annotated[
        str | None,
        typer.Option(
            help="Issue it for this subscriber, editor or auditor, who already has a token "
            "(see `token list`), instead of for a new person."
        ),
    ] = None,
    days: Annotated[
        int,
        typer.Option(min=0, max=MAX_TOKEN_DAYS, help="Expires after this many days (0: never)."),
    ] = DEFAULT_TOKEN_DAYS,
    database: DatabaseOption = DEFAULT_DATABASE_URL,
) -> None:
    """Print a new token once; only its hash is stored."""
    expires_at = datetime.now(UTC) + timedelta(days=days) if days else None

    async def work(engine: AsyncEngine) -> IssuedToken:
        await require_schema(engine)
        return await issue_token(
            engine, role, rater_id=rater, name=name, expires_at=expires_at, person_id=person
        )

    issued = with_engine(database, work)
    console.print(
        f"token {issued.principal.token_id} for {issued.principal.role} {issued.principal.id}"
        + (f", expires {issued.expires_at:%Y-%m-%d %H:%M} UTC" if issued.expires_at else "")
        + "; it is shown only this once:",
        highlight=False,
    )
    typer.echo(issued.token)


@app.command("list")
def list_all(database: DatabaseOption = DEFAULT_DATABASE_URL) -> None:
    """List every token issued (never the token itself): id, role, person, rater, name, times."""

    async def work(engine: AsyncEngine) -> list[TokenRecord]:
        await require_schema(engine)
        return await list_tokens(engine)

    header = ("id", "role", "person", "rater", "name", "created", "expires", "revoked")
    rows = [header, *(_row(record) for record in with_engine(database, work))]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    for row in rows:
        typer.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def _row(record: TokenRecord) -> tuple[str, ...]:
    def when(moment: datetime | None) -> str:
        return f"{moment:%Y-%m-%d %H:%M}" if moment is not None else "-"

    return (
        record.token_id,
        record.role,
        record.person_id,
        record.rater_id or "-",
        record.name or "-",
        when(record.created_at),
        when(record.expires_at),
        when(record.revoked_at),
    )


@app.command("revoke")
def revoke(
    token: Annotated[
        str, typer.Argument(metavar="TOKEN", help="The token id (see `token list`), or the token.")
    ],
    database: DatabaseOption = DEFAULT_DATABASE_URL,
) -> None:
    """Revoke a token at once."""

    async def work(engine: AsyncEngine) -> str:
        await require_schema(engine)
        return await revoke_token(engine, token)

    token_id = with_engine(database, work)
    typer.echo(f"ok: token {token_id} revoked")
