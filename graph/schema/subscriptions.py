"""Live subscriptions (over ``graphql-transport-ws`` at ``/graphql``): an article as it changes,
the global log for auditors, and the signed-in subscriber's newly due alerts.

Each waits on the process's fan-out (``ledger.read.live``) and, once woken, reads what it
must send itself: from the views or the log, after the last position it sent. So a wake-up
that comes late or covers several appends loses nothing, and a subscriber of any process
sees every append of every process. A subscription is registered with the fan-out before its
first read, so nothing committed between that read and the first wake-up is missed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from typing import Annotated

import strawberry
from strawberry.types import Info

from graph.schema.alerts import Alert
from graph.schema.audit import LedgerEvent, to_ledger_events
from graph.schema.context import Context
from graph.schema.errors import BadInput, NotAllowed
from graph.schema.ids import article_key
from graph.schema.live_context import LiveContext
from graph.schema.types import Article
from ledger.audit import history
from ledger.domain.errors import ValidationFailed
from ledger.read.live import Follower
from ledger.read.live_alerts import alerts_due_after
from ledger.read.reader import read_now

__all__ = ["Subscription"]

# Events (or alerts) read per statement while catching up: a long backlog is read in pages.
PAGE = 100

LiveEventResult = Annotated[LedgerEvent | NotAllowed, strawberry.union("LiveLedgerEventResult")]
LiveAlertResult = Annotated[Alert | NotAllowed, strawberry.union("LiveAlertResult")]


def _live(info: Info[Context, None]) -> LiveContext:
    context = info.context
    if not isinstance(context, LiveContext):
        raise BadInput("subscriptions are taken over the WebSocket at /graphql", "subscription")
    return context


def _refused(info: Info[Context, None], role: str) -> NotAllowed | None:
    principal = info.context.principal
    if principal is not None and principal.role == role:
        return None
    return NotAllowed(message=f"only a signed-in {role} may subscribe to this", code="NOT_ALLOWED")


async def _woken(context: LiveContext, follower: Follower) -> None:
    await context.begin_message(await follower.woken())


def _closer(context: LiveContext) -> Callable[[], None]:
    """What the fan-out calls when this subscription falls behind: its task (stuck in
    ``follower.sending()``, to a client that does not read) is cancelled, which ends the
    subscription and lets go of what it holds, and the connection is closed
    (``graph.http.websocket`` leaves the closing in the connection's state; the close frame
    reaches the client once it reads again)."""
    task = asyncio.current_task()
    close: Callable[[], None] | None = getattr(context.request.state, "close_behind", None)

    def fell_behind() -> None:
        if task is not None:
            task.cancel()
        if close is not None:
            close()

    return fell_behind


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="The article as the article-page query reads it: once as it stands when "
        "the subscription starts, then after every change to it (each message the whole "
        "article, as it then stands; changes close together may come as one)."
    )
    async def article_updated(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> AsyncGenerator[Article, None]:
        context = _live(info)
        try:
            article_id = article_key(id, "id")
        except ValidationFailed as error:
            raise BadInput(str(error), "id") from None
        follower = context.live.follow(frozenset({article_id}), _closer(context))
        sent: int | None = None  # the version last sent
        try:
            await context.begin_message()
            while True:
                summary = await context.loaders.articles.load(article_id)
                if summary is None:
                    raise BadInput(f"no article {article_id!r}", "id")
                # A wake-up for a change already sent (one learnt before this subscription
                # began, or a page of changes read in one go) sends nothing again.
                if summary.version != sent:
                    sent = summary.version
                    with follower.sending():
                        yield Article.of(summary)
                await _woken(context, follower)
        finally:
            context.live.leave(follower)

    @strawberry.subscription(
        description="The global log for auditors: every event after `after` in position "
        "order, then each new one as it is committed. A client that reconnects with the "
        "last position it received misses and repeats none."
    )
    async def ledger_events(
        self, info: Info[Context, None], after: int = 0
    ) -> AsyncGenerator[LiveEventResult, None]:
        context = _live(info)
        if after < 0:
            raise BadInput("`after` is a position: 0 or more", "after")
        if (refusal := _refused(info, "auditor")) is not None:
            yield refusal
            return
        follower = context.live.follow(None, _closer(context))
        services, position = context.services, after
        try:
            await context.begin_message()
            while True:
                entries, more = await read_now(
                    services.engine,
                    lambda conn, after=position: history.log_page(  # type: ignore[misc]
                        conn, services.store, after_position=after, first=PAGE
                    ),
                )
                for event in await to_ledger_events(info, entries):
                    with follower.sending():
                        yield event
                    position = event.position
                if not more:
                    await _woken(context, follower)
        finally:
            context.live.leave(follower)

    @strawberry.subscription(
        description="The signed-in subscriber's alerts as they become due (only their own), "
        "in ledger order; `after`: resume after the position of the last one received "
        "(default: from now on)."
    )
    async def alerts(
        self, info: Info[Context, None], after: int | None = None
    ) -> AsyncGenerator[LiveAlertResult, None]:
        context = _live(info)
        if (refusal := _refused(info, "subscriber")) is not None:
            yield refusal
            return
        principal = info.context.principal
        assert principal is not None
        follower = context.live.follow(None, _closer(context))
        position = await context.services.changes.current() if after is None else after
        try:
            while True:
                await context.begin_message()
                due = await read_now(
                    context.services.engine,
                    lambda conn, after=position: alerts_due_after(  # type: ignore[misc]
                        conn, principal.id, after, PAGE
                    ),
                )
                summaries = await context.loaders.articles.load_many([a.article_id for a in due])
                for found, summary in zip(due, summaries, strict=True):
                    with follower.sending():
                        yield Alert.of(found, summary)
                    position = found.position
                if len(due) < PAGE:
                    await follower.woken()
        finally:
            context.live.leave(follower)
