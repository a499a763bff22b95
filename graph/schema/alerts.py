"""Alert profiles and due alerts: ``setAlertProfile``, ``clearAlertProfile``, and the
signed-in subscriber's ``me { alertProfile alerts }`` (nobody sees another's)."""

from __future__ import annotations

import enum
import re
from datetime import UTC, datetime
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from graph.schema.context import Context
from graph.schema.cursors import CursorFormat
from graph.schema.errors import Conflict, NotAllowed, NotFound, ValidationError, error_of
from graph.schema.ids import INT64_MAX
from graph.schema.inputs import KEY
from graph.schema.paging import page_info, page_size
from graph.schema.types import Article
from graph.schema.vocabulary import Discipline
from ledger.delivery.secrets import issue_secret_now
from ledger.domain.commands import ClearAlertProfile, SetAlertProfile
from ledger.domain.errors import LedgerError
from ledger.read.alerts import AlertProfileView, DueAlertView, alert_page, alert_profile
from ledger.read.articles import ArticleSummary
from ledger.store.records import Actor

__all__ = [
    "Alert",
    "AlertConnection",
    "AlertProfile",
    "AlertProfileResult",
    "ClearAlertProfileInput",
    "SetAlertProfileInput",
    "clear_profile",
    "my_alert_profile",
    "my_alerts",
    "set_profile",
]


@strawberry.enum(description="How a subscriber's alerts are delivered.")
class AlertDelivery(enum.Enum):
    IMMEDIATE = "immediate"
    DAILY = "daily"
    WEEKLY = "weekly"
    NONE = strawberry.enum_value("none", description="Never: only followed live.")


@strawberry.enum
class AlertKind(enum.Enum):
    ARTICLE = strawberry.enum_value("article", description="The article meets the profile.")
    RETRACTION = strawberry.enum_value(
        "retraction", description="An article the subscriber was sent has been retracted."
    )


@strawberry.type(description="What a subscriber wants to be sent.")
class AlertProfile:
    disciplines: list[Discipline]
    relevance_cutoff: int = strawberry.field(description="1 to 7, met by the mean relevance.")
    newsworthiness_cutoff: int = strawberry.field(
        description="1 to 7, met by the mean newsworthiness."
    )
    topics: list[str] = strawberry.field(description="One must be the article's (none: any).")
    study_types: list[str] = strawberry.field(description="One must be the article's (none: any).")
    delivery: AlertDelivery
    email: str | None
    webhook_url: str | None
    set_at: datetime

    @classmethod
    def of(cls, found: AlertProfileView) -> AlertProfile:
        return cls(
            disciplines=[Discipline(name=name) for name in found.disciplines],
            relevance_cutoff=found.relevance_cutoff,
            newsworthiness_cutoff=found.newsworthiness_cutoff,
            topics=list(found.topics),
            study_types=list(found.study_types),
            delivery=AlertDelivery(found.delivery),
            email=found.email,
            webhook_url=found.webhook_url,
            set_at=found.set_at,
        )


@strawberry.type(description="An alert due to the subscriber, once; its id never changes.")
class Alert:
    id: strawberry.ID
    kind: AlertKind
    discipline: Discipline | None = strawberry.field(
        description="The discipline whose means met the profile (none for a retraction)."
    )
    position: int = strawberry.field(description="The ledger position that made it due.")
    due_at: datetime
    article: Article | None

    @classmethod
    def of(cls, found: DueAlertView, summary: ArticleSummary | None) -> Alert:
        """The alert as read, with its article's summary (None: the article is not found)."""
        return cls(
            id=strawberry.ID(found.alert_id),
            kind=AlertKind(found.kind),
            discipline=Discipline(name=found.discipline) if found.discipline else None,
            position=found.position,
            due_at=found.due_at,
            article=Article.of(summary) if summary is not None else None,
        )


@strawberry.type
class AlertEdge:
    cursor: str
    node: Alert


@strawberry.type(description="A page of the subscriber's alerts, newest first.")
class AlertConnection:
    edges: list[AlertEdge]
    page_info: relay.PageInfo


@strawberry.input
class SetAlertProfileInput:
    disciplines: list[str] = strawberry.field(description="Registered disciplines (any case).")
    relevance_cutoff: int
    newsworthiness_cutoff: int
    topics: list[str] = strawberry.field(default_factory=list)
    study_types: list[str] = strawberry.field(default_factory=list)
    delivery: AlertDelivery = AlertDelivery.IMMEDIATE
    email: str | None = strawberry.field(
        default=None, description="Kept outside the ledger's hashed events."
    )
    webhook_url: str | None = strawberry.field(
        default=None, description="Kept outside the ledger's hashed events."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class ClearAlertProfileInput:
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.type
class AlertProfilePayload:
    alert_profile: AlertProfile | None = strawberry.field(
        description="The profile as it now stands (none once cleared)."
    )
    position: int
    replayed: bool
    webhook_secret: str | None = strawberry.field(
        default=None,
        description="The secret webhooks are signed with, shown once: when a webhook is first "
        "set (rotateWebhookSecret issues a new one).",
    )


AlertProfileResult = Annotated[
    AlertProfilePayload | ValidationError | NotFound | NotAllowed | Conflict,
    strawberry.union("AlertProfileResult"),
]


def _subscriber(info: Info[Context, None]) -> Actor:
    principal = info.context.principal
    assert principal is not None, "permissions admit only callers with a token"
    return Actor(principal.id, principal.role)


async def _run(
    info: Info[Context, None], command: SetAlertProfile | ClearAlertProfile, key: str | None
) -> AlertProfileResult:
    actor = _subscriber(info)
    try:
        result = await info.context.services.ledger.execute(
            command, actor=actor, idempotency_key=key
        )
    except LedgerError as refusal:
        return error_of(refusal)
    await info.context.after_write()
    secret = None
    if isinstance(command, SetAlertProfile) and command.webhook_url:
        secret = await issue_secret_now(info.context.services.engine, actor.id, datetime.now(UTC))
    return AlertProfilePayload(
        alert_profile=await my_alert_profile(info, actor.id),
        position=result.last_position,
        replayed=result.replayed,
        webhook_secret=secret,
    )


async def set_profile(info: Info[Context, None], input: SetAlertProfileInput) -> AlertProfileResult:
    command = SetAlertProfile(
        subscriber_id=_subscriber(info).id,
        disciplines=list(input.disciplines),
        relevance_cutoff=input.relevance_cutoff,
        newsworthiness_cutoff=input.newsworthiness_cutoff,
        topics=list(input.topics),
        study_types=list(input.study_types),
        delivery=input.delivery.value,
        email=input.email,
        webhook_url=input.webhook_url,
    )
    return await _run(info, command, input.idempotency_key)


async def clear_profile(
    info: Info[Context, None], input: ClearAlertProfileInput
) -> AlertProfileResult:
    return await _run(info, ClearAlertProfile(_subscriber(info).id), input.idempotency_key)


async def my_alert_profile(info: Info[Context, None], subscriber_id: str) -> AlertProfile | None:
    found = await info.context.reader.run(lambda conn: alert_profile(conn, subscriber_id))
    return AlertProfile.of(found) if found is not None else None


async def my_alerts(
    info: Info[Context, None], subscriber_id: str, first: int | None, after: str | None
) -> AlertConnection:
    settings = info.context.services.settings
    size = page_size(first, settings.default_page_size, settings.max_page_size)
    before = _CURSOR.decode(after) if after is not None else None
    page, more = await info.context.reader.run(
        lambda conn: alert_page(conn, subscriber_id, size, before=before)
    )
    articles = await info.context.loaders.articles.load_many([a.article_id for a in page])
    edges = [
        AlertEdge(
            cursor=_CURSOR.encode(found.position, found.alert_id), node=Alert.of(found, summary)
        )
        for found, summary in zip(page, articles, strict=True)
    ]
    return AlertConnection(
        edges=edges,
        page_info=page_info(edges, more=more, after_start=after is not None),
    )


def _alert_place(match: re.Match[str]) -> tuple[int, str] | None:
    position = int(match[1])
    return (position, match[2]) if 1 <= position <= INT64_MAX else None


# An alert's cursor: "alerts:<position>:<alert id>", the page's keyset (newest first).
_CURSOR = CursorFormat("alerts:", "[0-9]{1,19}", "[0-9a-f]{32}", read=_alert_place)
