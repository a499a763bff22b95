"""Webhook delivery: the alert (or the digest) POSTed as JSON, signed with the subscriber's
secret (``ledger.delivery.signature``); any answer but a 2xx is a failure to retry."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx

from ledger.delivery.attempts import Claimed
from ledger.delivery.signature import SIGNATURE_HEADER, signature_header

__all__ = ["DELIVERY_HEADER", "DeliveryFailed", "WebhookSender", "webhook_body"]

DELIVERY_HEADER = "Evidence-Ledger-Delivery"


class DeliveryFailed(Exception):
    """This attempt did not deliver; the text says why (kept as the delivery's last error)."""


def webhook_body(claimed: Claimed, public_url: str) -> dict[str, Any]:
    alerts = [item.as_message(public_url) for item in claimed.items]
    body: dict[str, Any] = {"deliveryId": claimed.delivery_id}
    if claimed.cadence == "immediate":
        return body | {"type": "alert", "alert": alerts[0]}
    period = claimed.period_start.isoformat() if claimed.period_start else None
    return (
        body
        | {"type": "digest", "cadence": claimed.cadence, "periodStart": period}
        | {"alerts": alerts}
    )


class WebhookSender:
    def __init__(
        self,
        client: httpx.AsyncClient,
        public_url: str,
        unix_time: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.public_url = public_url
        # Signing uses the wall clock: the receiver checks the timestamp against its own.
        self.unix_time = unix_time

    async def send(self, claimed: Claimed) -> None:
        if claimed.webhook_url is None or claimed.secret is None:
            raise DeliveryFailed("no webhook URL (or no secret) for this subscriber any more")
        body = json.dumps(webhook_body(claimed, self.public_url), separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            DELIVERY_HEADER: claimed.delivery_id,
            SIGNATURE_HEADER: signature_header(claimed.secret, int(self.unix_time()), body),
        }
        try:
            answer = await self.client.post(claimed.webhook_url, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}") from None
        if not answer.is_success:
            raise DeliveryFailed(f"HTTP {answer.status_code}")
