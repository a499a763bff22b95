"""Delivery in the API: the dead letters an editor sees and retries (``deadDeliveries``,
``retryDelivery``) and a subscriber's webhook secret (``rotateWebhookSecret``), shown once.

The outbox lives outside the ledger, so an answer that reads it is never kept by the
response cache (whose invalidation follows ledger positions).
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from graph.schema.context import Context
from graph.schema.cursors import CursorFormat
from graph.schema.errors import Conflict, NotAllowed, NotFound
from graph.schema.inputs import KEY
from graph.schema.paging import page_info, page_size
from ledger.delivery.dead_letters import (
    DeadDelivery,
    DeliveryNotDead,
    UnknownDelivery,
    dead_page,
    retry_dead,
)
from ledger.delivery.secrets import rotate_secret

__all__ = [
    "DeadDeliveryConnection",
    "RetryDeliveryInput",
    "RetryDeliveryResult",
    "RotateWebhookSecretInput",
    "RotateWebhookSecretResult",
    "dead_deliveries",
    "retry_delivery",
    "rotate_webhook_secret",
]


@strawberry.enum(description="Where a delivery goes.")
class DeliveryChannel(enum.Enum):
    EMAIL = "email"
    WEBHOOK = "webhook"


@strawberry.enum(description="Where a delivery stands.")
class DeliveryState(enum.Enum):
    PENDING = strawberry.enum_value("pending", description="To be sent, or sent again.")
    DELIVERED = "delivered"
    DEAD = strawberry.enum_value("dead", description="Every attempt failed; an editor may retry.")


@strawberry.type(description="A delivery of alerts to one subscriber on one channel.")
class Delivery:
    id: strawberry.ID
    subscriber_id: str
    channel: DeliveryChannel
    cadence: str = strawberry.field(description="immediate, daily or weekly.")
    state: DeliveryState
    attempts: int
    last_error: str | None
    created_at: datetime
    article_ids: list[str] = strawberry.field(description="The articles it is about.")

    @classmethod
    def of(cls, found: DeadDelivery) -> Delivery:
        return cls(
            id=strawberry.ID(found.delivery_id),
            subscriber_id=found.subscriber_id,
            channel=DeliveryChannel(found.channel),
            cadence=found.cadence,
            state=DeliveryState(found.state),
            attempts=found.attempts,
            last_error=found.last_error,
            created_at=found.created_at,
            article_ids=list(found.article_ids),
        )


@strawberry.type
class DeliveryEdge:
    cursor: str
    node: Delivery


@strawberry.type(description="A page of dead deliveries, oldest first.")
class DeadDeliveryConnection:
    edges: list[DeliveryEdge]
    page_info: relay.PageInfo


# A caller other than an editor gets the typed refusal, as from `hiddenComments`.
DeadDeliveriesResult = Annotated[
    DeadDeliveryConnection | NotAllowed, strawberry.union("DeadDeliveriesResult")
]


@strawberry.input
class RetryDeliveryInput:
    delivery_id: strawberry.ID
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.type(description="The delivery, back in the outbox with its attempts anew.")
class RetryDeliveryPayload:
    delivery: Delivery
    replayed: bool


RetryDeliveryResult = Annotated[
    RetryDeliveryPayload | NotFound | NotAllowed | Conflict,
    strawberry.union("RetryDeliveryResult"),
]


@strawberry.input
class RotateWebhookSecretInput:
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.type(description="The new webhook signing secret: shown this once, keep it.")
class WebhookSecretPayload:
    secret: str
    replayed: bool


RotateWebhookSecretResult = Annotated[
    WebhookSecretPayload | NotAllowed, strawberry.union("RotateWebhookSecretResult")
]


async def dead_deliveries(
    info: Info[Context, None], first: int | None, after: str | None
) -> DeadDeliveriesResult:
    context = info.context
    context.facts.refuse_caching()
    settings = context.services.settings
    size = page_size(first, settings.default_page_size, settings.max_page_size)
    keyset = _CURSOR.decode(after) if after is not None else None
    page, more = await context.reader.run(lambda conn: dead_page(conn, size, after=keyset))
    edges = [
        DeliveryEdge(
            cursor=_CURSOR.encode(found.created_at.isoformat(), found.delivery_id),
            node=Delivery.of(found),
        )
        for found in page
    ]
    return DeadDeliveryConnection(
        edges=edges,
        page_info=page_info(edges, more=more, after_start=after is not None),
    )


async def retry_delivery(
    info: Info[Context, None], input: RetryDeliveryInput
) -> RetryDeliveryResult:
    engine = info.context.services.engine
    try:
        retried = await retry_dead(
            engine, str(input.delivery_id), datetime.now(UTC), input.idempotency_key
        )
    except UnknownDelivery:
        return NotFound(
            message=f"no delivery {input.delivery_id}",
            code="NOT_FOUND",
            kind="delivery",
            identifier=str(input.delivery_id),
        )
    except DeliveryNotDead as refusal:
        return Conflict(message=str(refusal), code="DELIVERY_NOT_DEAD")
    return RetryDeliveryPayload(delivery=Delivery.of(retried.delivery), replayed=retried.replayed)


async def rotate_webhook_secret(
    info: Info[Context, None], input: RotateWebhookSecretInput
) -> RotateWebhookSecretResult:
    principal = info.context.principal
    assert principal is not None, "permissions admit only callers with a token"
    rotation = await rotate_secret(
        info.context.services.engine, principal.id, datetime.now(UTC), input.idempotency_key
    )
    return WebhookSecretPayload(secret=rotation.secret, replayed=rotation.replayed)


# A dead delivery's cursor: "deliveries:<created at, ISO>|<delivery id>", the page's keyset
# (a bad time is a ValueError from fromisoformat, refused as the cursor).
_CURSOR = CursorFormat(
    "deliveries:",
    r"[0-9T:.+\-]{19,40}",
    "[0-9a-f]{32}",
    read=lambda match: (datetime.fromisoformat(match[1]), match[2]),
    separator="|",
    longest=200,
)
