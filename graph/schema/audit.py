"""Auditors' part of the schema: histories, the global log, and verification.

Only auditors may ask. Anyone else gets ``NotAllowed`` before anything is read, so they do
not learn even whether an article has a history.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Annotated, Any, cast

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from graph.schema.context import Context
from graph.schema.errors import BadInput, NotAllowed, NotFound
from graph.schema.event_data import EventData, event_data
from graph.schema.ids import (
    article_key,
    decode_history_cursor,
    encode_history_cursor,
    ledger_position,
)
from graph.schema.paging import page_info, page_size
from graph.schema.permissions import Auditors, only
from ledger.audit import history
from ledger.domain.articles import stream_id
from ledger.domain.errors import ValidationFailed
from ledger.read.reader import read_now

__all__ = ["AuditQuery", "LedgerEvent", "to_ledger_events"]

MAX_PAGE = 500
PAGE = 100  # when `first` is not given


@strawberry.type
class EventActor:
    id: str
    role: str
    name: str | None = strawberry.field(description="A rater's name, while not erased.")
    discipline: str | None = strawberry.field(description="A rater's discipline.")


@strawberry.type(description="One event of the ledger, as stored and chained.")
class LedgerEvent(relay.Node):
    position: int
    stream_id: str
    stream_version: int
    type: str
    schema_version: int
    recorded_at: datetime
    actor: EventActor
    idempotency_key: str | None
    correlation_id: str
    causation_id: str | None
    hash: str
    previous_hash: str
    payload: JSON = strawberry.field(description="The payload as JSON, in its current shape.")
    data: EventData | None = strawberry.field(description="The payload as typed fields.")

    @classmethod
    def resolve_id(cls, root: LedgerEvent, *, info: Info[Context, None]) -> str:
        return str(root.position)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info[Context, None], node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        """Events by position, for auditors only: to anyone else they do not exist."""
        ids = list(node_ids)
        principal = info.context.principal
        if principal is None or principal.role != "auditor":
            return [None] * len(ids)
        positions = [ledger_position(i) for i in ids]
        services = info.context.services
        entries = await read_now(
            services.engine, lambda conn: history.events_at(conn, services.store, positions)
        )
        found = {e.position: e for e in await _ledger_events(info, entries)}
        return [found.get(position) for position in positions]


@strawberry.type
class LedgerEventConnection(relay.Connection[LedgerEvent]):
    pass


@strawberry.type(description="A page of the global log, for incremental consumers.")
class LedgerEventsPage:
    events: list[LedgerEvent]
    last_position: int = strawberry.field(
        description="Ask again with `after` set to this to go on."
    )
    has_more: bool


@strawberry.type
class ProjectionMismatch:
    table: str
    key: str
    article_id: str | None


@strawberry.type(description="The hash chain recomputed and the views compared with a replay.")
class LedgerVerification:
    ok: bool
    checked_events: int
    head_position: int
    head_hash: str
    first_broken_position: int | None
    broken_reason: str | None
    projections_match: bool
    projections_position: int
    mismatches: list[ProjectionMismatch]


HistoryResult = Annotated[
    LedgerEventConnection | NotFound | NotAllowed, strawberry.union("ArticleHistoryResult")
]
LogResult = Annotated[LedgerEventsPage | NotAllowed, strawberry.union("LedgerEventsResult")]
VerifyResult = Annotated[LedgerVerification | NotAllowed, strawberry.union("VerifyLedgerResult")]


def _event_types(info: Info[Context, None], types: Sequence[str] | None) -> Sequence[str] | None:
    """The asked-for event types, each one the ledger knows: a typo is not an empty page."""
    registry = info.context.services.store.registry
    for name in types or ():
        if not registry.is_known(name):
            raise BadInput(f"`types`: {name[:100]!r} is not an event type of the ledger", "types")
    return types


async def _ledger_events(
    info: Info[Context, None], entries: list[history.HistoryEntry]
) -> list[LedgerEvent]:
    actor_ids = [e.event.metadata.actor.id for e in entries]
    details = await info.context.reader.run(lambda conn: history.actor_details(conn, actor_ids))
    events = []
    for entry in entries:
        event, metadata = entry.event, entry.event.metadata
        known = details.get(metadata.actor.id) if metadata.actor.role == "rater" else None
        events.append(
            LedgerEvent(
                position=event.position,
                stream_id=event.stream_id,
                stream_version=event.stream_version,
                type=event.type,
                schema_version=event.schema_version,
                recorded_at=metadata.recorded_at,
                actor=EventActor(
                    id=metadata.actor.id,
                    role=metadata.actor.role,
                    name=known.name if known else None,
                    discipline=known.discipline if known else None,
                ),
                idempotency_key=metadata.idempotency_key,
                correlation_id=metadata.correlation_id,
                causation_id=metadata.causation_id,
                hash=event.hash,
                previous_hash=entry.previous_hash,
                payload=cast(JSON, dict(event.payload)),
                data=event_data(event.type, event.payload),
            )
        )
    return events


# The log's entries as the schema shows them (also to live subscriptions).
to_ledger_events = _ledger_events


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="Every event of an article's stream, in order (auditors).",
        extensions=only(Auditors),
    )
    async def article_history(
        self,
        info: Info[Context, None],
        id: strawberry.ID,
        first: int = PAGE,
        after: str | None = None,
        types: list[str] | None = None,
        actor: str | None = None,
    ) -> HistoryResult:
        try:
            article_id = article_key(id, "id")
        except ValidationFailed as error:
            raise BadInput(str(error), "id") from None
        size = page_size(first, PAGE, MAX_PAGE)
        after_version = decode_history_cursor(after) if after is not None else 0
        wanted = _event_types(info, types)
        if await info.context.loaders.articles.load(article_id) is None:
            return NotFound(
                message=f"no article {article_id!r}",
                code="NOT_FOUND",
                kind="article",
                identifier=article_id,
            )
        store = info.context.services.store
        entries, more = await info.context.reader.run(
            lambda conn: history.stream_page(
                conn,
                store,
                stream_id(article_id),
                after_version=after_version,
                first=size,
                types=wanted,
                actor_id=actor,
            )
        )
        nodes = await _ledger_events(info, entries)
        edges = [relay.Edge(cursor=encode_history_cursor(n.stream_version), node=n) for n in nodes]
        return LedgerEventConnection(
            edges=edges,
            page_info=page_info(edges, more=more, after_start=after_version > 0),
        )

    @strawberry.field(
        description="The global log after a position, in order (auditors). A consumer that "
        "keeps the last position it saw and asks again never misses or repeats an event.",
        extensions=only(Auditors),
    )
    async def ledger_events(
        self,
        info: Info[Context, None],
        after: int = 0,
        first: int = PAGE,
        types: list[str] | None = None,
    ) -> LogResult:
        if after < 0:
            raise BadInput("`after` is a position: 0 or more", "after")
        size, wanted = page_size(first, PAGE, MAX_PAGE), _event_types(info, types)
        services = info.context.services
        # Read outside the request's snapshot: a consumer polls for what is new.
        entries, more = await read_now(
            services.engine,
            lambda conn: history.log_page(
                conn, services.store, after_position=after, first=size, types=wanted
            ),
        )
        events = await _ledger_events(info, entries)
        last = events[-1].position if events else after
        return LedgerEventsPage(events=events, last_position=last, has_more=more)

    @strawberry.field(
        description="Recompute the hash chain and compare the views with a replay (auditors).",
        extensions=only(Auditors),
    )
    async def verify_ledger(self, info: Info[Context, None]) -> VerifyResult:
        chain, views = await info.context.services.verification()
        return LedgerVerification(
            ok=chain.ok and views.ok,
            checked_events=chain.checked_events,
            head_position=chain.head_position,
            head_hash=chain.head_hash,
            first_broken_position=chain.first_broken_position,
            broken_reason=chain.reason,
            projections_match=views.ok,
            projections_position=views.position,
            mismatches=[
                ProjectionMismatch(table=m.table, key=m.key, article_id=m.article_id)
                for m in views.mismatches
            ],
        )
