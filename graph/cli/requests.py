"""``requests``: the rating requests' chores from the command line (``requests expire``)."""

from __future__ import annotations

from typing import Annotated

import typer

from graph.cli.data import operator
from graph.cli.database_access import (
    DEFAULT_DATABASE_URL,
    AsyncEngine,
    DatabaseOption,
    require_schema,
    with_engine,
)
from graph.settings import Settings
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases.sql_views import sql_ledger

__all__ = ["RequestDays", "RequestsPerDiscipline", "app"]

# The deployment's request policy, given alike to `serve` and to `requests expire` (whose
# sweep asks other raters in place of the expired ones).
RequestsPerDiscipline = Annotated[
    int,
    typer.Option(
        "--requests-per-discipline",
        min=4,  # the reference service asks 4 or more raters per discipline
        max=50,
        help="Raters asked at a time in each assigned discipline (4 or more).",
    ),
]
RequestDays = Annotated[
    int,
    typer.Option("--request-days", min=1, max=365, help="Days a rating request stays open."),
]

app = typer.Typer(help="Rating requests: expire the overdue ones.", no_args_is_help=True)


@app.command()
def expire(
    database: DatabaseOption = DEFAULT_DATABASE_URL,
    idempotency_key: Annotated[
        str | None,
        typer.Option(
            "--idempotency-key", help="Run it again with the same key: nothing is done twice."
        ),
    ] = None,
    requests_per_discipline: RequestsPerDiscipline = Settings.requests_per_discipline,
    request_days: RequestDays = Settings.request_days,
) -> None:
    """Expire every request past its due time, and ask other raters in their place."""

    async def work(engine: AsyncEngine) -> tuple[int, int, int]:
        await require_schema(engine)
        store = SQLEventStore(engine)
        settings = Settings(
            database_url=database,
            requests_per_discipline=requests_per_discipline,
            request_days=request_days,
        )
        ledger = sql_ledger(store, requests=settings.request_policy())
        done = await ledger.expire_requests(actor=operator(), idempotency_key=idempotency_key)
        earlier = sum(1 for result in done if result.replayed)
        return len(done), earlier, (await store.head()).position

    articles, earlier, position = with_engine(database, work)
    by_earlier = f" ({earlier} by an earlier run under this key)" if earlier else ""
    typer.echo(
        f"ok: {articles} articles' overdue requests expired{by_earlier}; "
        f"the ledger is at {position}"
    )
