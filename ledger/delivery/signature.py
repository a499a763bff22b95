"""Webhook signatures: HMAC-SHA256 over ``<timestamp>.<body>`` with the subscriber's secret,
sent as ``Evidence-Ledger-Signature: t=<unix seconds>,v1=<hex>`` (Stripe's scheme).

A receiver calls ``verify_signature`` with the raw body and the header: the timestamp in the
signed text makes a captured request useless once it is older than the tolerance.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = [
    "SIGNATURE_HEADER",
    "TOLERANCE_SECONDS",
    "BadSignature",
    "sign",
    "signature_header",
    "verify_signature",
]

SIGNATURE_HEADER = "Evidence-Ledger-Signature"
TOLERANCE_SECONDS = 300


class BadSignature(ValueError):
    """The header is missing or malformed, the signature does not match, or it is too old."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify_signature(
    secret: str, body: bytes, header: str | None, *, now: float, tolerance: int = TOLERANCE_SECONDS
) -> int:
    """The signed timestamp when ``header`` signs ``body`` with ``secret`` no more than
    ``tolerance`` seconds from ``now`` (unix seconds); else ``BadSignature``."""
    if not header:
        raise BadSignature("no signature")
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        raise BadSignature("no timestamp") from None
    if abs(now - timestamp) > tolerance:
        raise BadSignature("timestamp outside the tolerance")
    # Any of several v1 signatures may match (a secret being rotated); this sender sends one.
    candidates = [
        v for k, v in (p.split("=", 1) for p in header.split(",") if "=" in p) if k == "v1"
    ]
    expected = sign(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        raise BadSignature("signature does not match")
    return timestamp
