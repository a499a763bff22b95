"""Alert email over SMTP (``aiosmtplib``): one message per delivery, a digest's alerts all in
one, with a plain-text part, its HTML twin and a link to unsubscribe without logging in."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from html import escape

import aiosmtplib

from ledger.delivery.attempts import Claimed
from ledger.delivery.content import AlertContent
from ledger.delivery.settings import SmtpSettings
from ledger.delivery.unsubscribe import unsubscribe_token
from ledger.delivery.webhooks import DELIVERY_HEADER, DeliveryFailed

__all__ = ["EmailSender", "alert_email"]


def _subject(claimed: Claimed) -> str:
    if claimed.cadence != "immediate":
        count = len(claimed.items)
        noun = "alert" if count == 1 else "alerts"
        return f"Your {claimed.cadence} evidence digest: {count} {noun}"
    [item] = claimed.items
    prefix = "Retracted" if item.kind == "retraction" else "New evidence"
    return f"{prefix}: {item.title}"


def _scores(item: AlertContent) -> str:
    if item.kind == "retraction":
        return "This article, which you were sent, has been retracted."
    score = f"{item.score} out of {item.out_of}" if item.score is not None else "pending"
    # A mean no rater gave (only "don't know" answers, say) is said, not printed as None.
    relevance = item.relevance if item.relevance is not None else "not given"
    newsworthiness = item.newsworthiness if item.newsworthiness is not None else "not given"
    return (
        f"{item.discipline} score: {score} (relevance {relevance}, "
        f"newsworthiness {newsworthiness}, {item.rating_count} ratings)"
    )


def _text(claimed: Claimed, public_url: str, unsubscribe: str) -> str:
    blocks = [
        f"{item.citation}\n{_scores(item)}\n{item.link(public_url)}" for item in claimed.items
    ]
    return "\n\n".join([*blocks, f"To stop these emails: {unsubscribe}"]) + "\n"


def _html(claimed: Claimed, public_url: str, unsubscribe: str) -> str:
    items = "".join(
        f'<li><p><a href="{escape(item.link(public_url))}">{escape(item.citation)}</a></p>'
        f"<p>{escape(_scores(item))}</p></li>"
        for item in claimed.items
    )
    return (
        f"<!doctype html><html><body><ul>{items}</ul>"
        f'<p><a href="{escape(unsubscribe)}">Unsubscribe</a> from these emails.</p>'
        "</body></html>"
    )


def alert_email(
    claimed: Claimed, sender: str, public_url: str, unsubscribe_secret: str
) -> EmailMessage:
    """The message for ``claimed`` (an email delivery): both parts, and the unsubscribe
    link in the body and in ``List-Unsubscribe`` (one-click, RFC 8058)."""
    token = unsubscribe_token(unsubscribe_secret, claimed.subscriber_id)
    unsubscribe = f"{public_url.rstrip('/')}/unsubscribe?token={token}"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = claimed.email or ""
    message["Subject"] = _subject(claimed)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain="evidence-ledger")
    message[DELIVERY_HEADER] = claimed.delivery_id
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(_text(claimed, public_url, unsubscribe))
    message.add_alternative(_html(claimed, public_url, unsubscribe), subtype="html")
    return message


class EmailSender:
    def __init__(self, smtp: SmtpSettings, public_url: str, unsubscribe_secret: str) -> None:
        self.smtp = smtp
        self.public_url = public_url
        self.unsubscribe_secret = unsubscribe_secret

    async def send(self, claimed: Claimed) -> None:
        if claimed.email is None:
            raise DeliveryFailed("no email address for this subscriber any more")
        message = alert_email(
            claimed, self.smtp.from_address, self.public_url, self.unsubscribe_secret
        )
        try:
            await aiosmtplib.send(
                message,
                hostname=self.smtp.host,
                port=self.smtp.port,
                username=self.smtp.username,
                password=self.smtp.password,
                use_tls=self.smtp.security == "tls",
                start_tls=self.smtp.security == "starttls",
                timeout=self.smtp.timeout_seconds,
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}") from None
