"""Unsubscribe tokens: the subscriber's id signed (HMAC-SHA256) with the server's secret, so a
link in an email works without logging in and cannot be made for someone else."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

__all__ = ["subscriber_of_token", "unsubscribe_token"]


def _mac(secret: str, subscriber_id: str) -> str:
    message = b"unsubscribe\x1f" + subscriber_id.encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def unsubscribe_token(secret: str, subscriber_id: str) -> str:
    name = base64.urlsafe_b64encode(subscriber_id.encode()).decode().rstrip("=")
    return f"{name}.{_mac(secret, subscriber_id)}"


def subscriber_of_token(secret: str, token: str) -> str | None:
    """The subscriber a token was made for, None when it is not one this secret signed."""
    if len(token) > 600 or token.count(".") != 1:
        return None
    name, mac = token.split(".")
    try:
        subscriber_id = base64.urlsafe_b64decode(name + "=" * (-len(name) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeError):
        return None
    return subscriber_id if hmac.compare_digest(mac, _mac(secret, subscriber_id)) else None
