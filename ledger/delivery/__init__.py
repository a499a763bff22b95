"""Delivery of due alerts: the outbox filled from the alerts projection, webhooks signed
with HMAC-SHA256, email over SMTP, retries with backoff, and the dead letters."""

from __future__ import annotations

from ledger.delivery.signature import SIGNATURE_HEADER, BadSignature, verify_signature

__all__ = ["SIGNATURE_HEADER", "BadSignature", "verify_signature"]
