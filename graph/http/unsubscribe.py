"""``/unsubscribe?token=``: the link in every alert email, working without logging in.

The token is the subscriber's id signed with the server's secret
(``ledger.delivery.unsubscribe``). ``GET`` shows what will happen and a button; ``POST``
(the button, or a mail client's one-click ``List-Unsubscribe-Post``) sets the subscriber's
profile again without its email address, through the same command as any profile change,
so it is an event on their stream like the rest.
"""

from __future__ import annotations

from dataclasses import replace
from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

from graph.schema.context import Services
from ledger.delivery.unsubscribe import subscriber_of_token
from ledger.domain.commands import SetAlertProfile
from ledger.domain.errors import LedgerError
from ledger.read.alerts import AlertProfileView, alert_profile
from ledger.read.reader import read_now
from ledger.store.event_store import CommitUnknown
from ledger.store.records import Actor

__all__ = ["unsubscribe_routes"]

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>{title}</h1>{body}</main></body></html>"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    return HTMLResponse(_PAGE.format(title=escape(title), body=body), status, headers=headers)


def _refused() -> HTMLResponse:
    body = "<p>This unsubscribe link is not valid. Use the link in your latest alert email.</p>"
    return _page("Link not valid", body, 400)


async def _subscriber(request: Request) -> tuple[Services, str] | None:
    services: Services = request.app.state.services
    secret = services.settings.delivery.unsubscribe_secret
    token = request.query_params.get("token", "")
    subscriber_id = subscriber_of_token(secret, token) if secret else None
    return (services, subscriber_id) if subscriber_id is not None else None


async def _profile(services: Services, subscriber_id: str) -> AlertProfileView | None:
    return await read_now(services.engine, lambda conn: alert_profile(conn, subscriber_id))


async def confirm(request: Request) -> HTMLResponse:
    found = await _subscriber(request)
    if found is None:
        return _refused()
    services, subscriber_id = found
    profile = await _profile(services, subscriber_id)
    if profile is None or profile.email is None:
        return _page("Already unsubscribed", "<p>No alert emails are sent to you.</p>")
    token = escape(request.query_params["token"])
    body = (
        f"<p>Stop sending alert emails to {escape(profile.email)}? Your other alert "
        "settings stay as they are.</p>"
        f'<form method="post" action="/unsubscribe?token={token}">'
        '<button type="submit">Unsubscribe</button></form>'
    )
    return _page("Unsubscribe from alert emails", body)


def _without_email(subscriber_id: str, profile: AlertProfileView) -> SetAlertProfile:
    command = SetAlertProfile(
        subscriber_id,
        list(profile.disciplines),
        profile.relevance_cutoff,
        profile.newsworthiness_cutoff,
        topics=list(profile.topics),
        study_types=list(profile.study_types),
        delivery=profile.delivery,
        email=None,
        webhook_url=profile.webhook_url,
    )
    # Without a webhook either, nothing is left to deliver to: alerts are then only listed.
    return command if profile.webhook_url else replace(command, delivery="none")


async def unsubscribe(request: Request) -> HTMLResponse:
    found = await _subscriber(request)
    if found is None:
        return _refused()
    services, subscriber_id = found
    profile = await _profile(services, subscriber_id)
    if profile is not None and profile.email is not None:
        command = _without_email(subscriber_id, profile)
        try:
            await services.ledger.execute(command, actor=Actor(subscriber_id, "subscriber"))
        except CommitUnknown:
            # Made or not, the profile tells: an address already removed is done. A commit
            # still under way may land after this look: the page then asks to try again,
            # and the next try finds the address gone (nothing is written twice).
            after = await _profile(services, subscriber_id)
            if after is None or after.email is not None:
                return _not_changed()
        except LedgerError:
            return _not_changed()
    return _page("Unsubscribed", "<p>No more alert emails will be sent to you.</p>")


def _not_changed() -> HTMLResponse:
    body = "<p>Your profile could not be changed just now. Please try again.</p>"
    return _page("Not unsubscribed", body, 409)


def unsubscribe_routes() -> list[BaseRoute]:
    return [
        Route("/unsubscribe", confirm, methods=["GET"]),
        Route("/unsubscribe", unsubscribe, methods=["POST"]),
    ]
