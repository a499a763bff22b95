"""What a deployment decides about delivery: where links point, the SMTP server (none: email
off), the unsubscribe secret, and how failures are retried."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ledger.delivery.backoff import Backoff

__all__ = ["DeliverySettings", "SmtpSettings", "delivery_settings_of"]

SECURITIES = ("starttls", "tls", "none")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    from_address: str
    port: int = 587
    # starttls: upgrade a plain connection (port 587); tls: TLS from the start (465);
    # none: plain text (a relay on the same machine, or a test's server).
    security: str = "starttls"
    username: str | None = None
    password: str | None = None
    timeout_seconds: float = 30.0

    def __post_init__(self) -> None:
        if self.security not in SECURITIES:
            raise ValueError(f"SMTP security must be one of {', '.join(SECURITIES)}")


@dataclass(frozen=True)
class DeliverySettings:
    # The service's address as readers reach it: the start of every link sent.
    public_url: str = "http://127.0.0.1:8000"
    smtp: SmtpSettings | None = None
    # Signs the unsubscribe links (HMAC of the subscriber's id); email needs one, and it
    # must stay the same across restarts for links already sent to keep working.
    unsubscribe_secret: str | None = None
    backoff: Backoff = field(default_factory=Backoff)
    # How long a claimed delivery is left to its deliverer before another may try it.
    lease_seconds: float = 300.0
    webhook_timeout_seconds: float = 10.0
    # Deliveries claimed (and sent side by side) at a time.
    batch: int = 50
    # Seconds between passes when watching.
    interval_seconds: float = 5.0
    # Seconds at least from the start of one pass to the next one woken by an append: a
    # stream of appends is taken in by a pass every so often (each pass reads the outbox and
    # claims what is due), not by a pass per append, which would cost a busy process as
    # much as its reads. Passes on the interval keep to the interval.
    pass_gap_seconds: float = 0.1

    @property
    def email_on(self) -> bool:
        return self.smtp is not None and bool(self.unsubscribe_secret)

    def channels(self) -> tuple[str, ...]:
        return ("email", "webhook") if self.email_on else ("webhook",)


def delivery_settings_of(given: dict[str, Any]) -> DeliverySettings:
    """The settings back from ``dataclasses.asdict`` (as worker processes receive them)."""
    smtp = given.get("smtp")
    return DeliverySettings(
        **(
            given
            | {
                "smtp": SmtpSettings(**smtp) if smtp is not None else None,
                "backoff": Backoff(**given["backoff"]),
            }
        )
    )
