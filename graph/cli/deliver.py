"""``deliver``: send the alerts due (one pass, or ``--watch``), and the delivery settings
that ``serve`` shares.

The SMTP server's details and the unsubscribe secret come from the environment only
(``EVIDENCE_LEDGER_SMTP_*``, ``EVIDENCE_LEDGER_UNSUBSCRIBE_SECRET``): secrets have no place
in a command line that every user of the machine can list.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Mapping
from typing import Annotated

import typer

from graph.cli.database_access import (
    DEFAULT_DATABASE_URL,
    AsyncEngine,
    DatabaseOption,
    require_schema,
    with_engine,
)
from ledger.delivery.backoff import Backoff
from ledger.delivery.deliverer import PassReport
from ledger.delivery.running import deliverer_of
from ledger.delivery.settings import DeliverySettings, SmtpSettings

__all__ = ["PublicUrl", "deliver", "delivery_settings"]

PublicUrl = Annotated[
    str,
    typer.Option(
        "--public-url",
        envvar="EVIDENCE_LEDGER_PUBLIC_URL",
        help="The service's address as readers reach it: the start of every link sent.",
    ),
]
Watch = Annotated[
    bool, typer.Option("--watch", help="Keep delivering, a pass every --interval seconds.")
]
Interval = Annotated[
    float,
    typer.Option(
        "--interval",
        envvar="EVIDENCE_LEDGER_DELIVERY_INTERVAL",
        min=0.05,
        help="Seconds between passes when watching.",
    ),
]
LeaseSeconds = Annotated[
    float,
    typer.Option(
        "--lease-seconds",
        envvar="EVIDENCE_LEDGER_DELIVERY_LEASE_SECONDS",
        min=1.0,
        help="How long a deliverer that stopped answering keeps a delivery from the others.",
    ),
]
Attempts = Annotated[
    int,
    typer.Option(
        "--attempts",
        envvar="EVIDENCE_LEDGER_DELIVERY_ATTEMPTS",
        min=1,
        help="Attempts before a delivery is dead (an editor may retry it).",
    ),
]

_DEFAULTS = DeliverySettings()


def _smtp(environment: Mapping[str, str]) -> SmtpSettings | None:
    host = environment.get("EVIDENCE_LEDGER_SMTP_HOST", "").strip()
    if not host:
        return None
    sender = environment.get("EVIDENCE_LEDGER_SMTP_FROM", "").strip()
    if not sender:
        raise typer.BadParameter("EVIDENCE_LEDGER_SMTP_FROM must name the sender's address")
    try:
        return SmtpSettings(
            host=host,
            from_address=sender,
            port=int(environment.get("EVIDENCE_LEDGER_SMTP_PORT", "587")),
            security=environment.get("EVIDENCE_LEDGER_SMTP_SECURITY", "starttls").lower(),
            username=environment.get("EVIDENCE_LEDGER_SMTP_USERNAME") or None,
            password=environment.get("EVIDENCE_LEDGER_SMTP_PASSWORD") or None,
        )
    except ValueError as error:
        raise typer.BadParameter(f"SMTP settings: {error}") from None


def _number(
    environment: Mapping[str, str], name: str, given: float | None, default: float
) -> float:
    if given is not None:
        return given
    try:
        return float(environment.get(name) or default)
    except ValueError:
        raise typer.BadParameter(f"{name} must be a number") from None


def delivery_settings(
    public_url: str,
    *,
    interval: float | None = None,
    lease_seconds: float | None = None,
    attempts: int | None = None,
    environment: Mapping[str, str] = os.environ,
) -> DeliverySettings:
    """The settings from the options given, the rest from the environment (``serve`` takes
    them all from there but the public URL)."""
    smtp = _smtp(environment)
    secret = environment.get("EVIDENCE_LEDGER_UNSUBSCRIBE_SECRET") or None
    if smtp is not None and secret is None:
        raise typer.BadParameter(
            "email needs EVIDENCE_LEDGER_UNSUBSCRIBE_SECRET (kept the same across restarts, "
            "so that the unsubscribe links already sent keep working)"
        )
    return DeliverySettings(
        public_url=public_url,
        smtp=smtp,
        unsubscribe_secret=secret,
        backoff=Backoff(
            max_attempts=int(_number(environment, "EVIDENCE_LEDGER_DELIVERY_ATTEMPTS", attempts, 8))
        ),
        lease_seconds=_number(
            environment, "EVIDENCE_LEDGER_DELIVERY_LEASE_SECONDS", lease_seconds, 300.0
        ),
        interval_seconds=_number(environment, "EVIDENCE_LEDGER_DELIVERY_INTERVAL", interval, 5.0),
    )


def deliver(
    database: DatabaseOption = DEFAULT_DATABASE_URL,
    public_url: PublicUrl = _DEFAULTS.public_url,
    watch: Watch = False,
    interval: Interval = _DEFAULTS.interval_seconds,
    lease_seconds: LeaseSeconds = _DEFAULTS.lease_seconds,
    attempts: Attempts = _DEFAULTS.backoff.max_attempts,
) -> None:
    """Send the alerts due by webhook and email: one pass, or --watch until stopped."""
    settings = delivery_settings(
        public_url, interval=interval, lease_seconds=lease_seconds, attempts=attempts
    )

    async def work(engine: AsyncEngine) -> PassReport | None:
        await require_schema(engine)
        async with deliverer_of(engine, settings) as deliverer:
            if not watch:
                return await deliverer.run_once()
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            await deliverer.watch(stop)
            return None

    report = with_engine(database, work)
    if report is not None:
        typer.echo(
            f"ok: {report.taken_in} alerts taken in, {report.delivered} delivered, "
            f"{report.failed} failed ({report.dead} now dead)"
        )
