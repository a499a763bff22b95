"""The one runner every command goes through: load, decide, append, project.

It gives every use case the same promises: a retried request (same idempotency key) gets
the first answer and changes nothing; a version conflict is decided again on fresh state a
bounded number of times; a refusal writes nothing; the views move in the same transaction
as the append; the answer carries the domain ids of what was decided.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TypeVar

from ledger.domain.commands import Command, fingerprint_parts
from ledger.domain.errors import DomainError, StaleExpectedVersion, WrongExpectedVersion
from ledger.domain.events import DomainEvent
from ledger.domain.requests import RequestPolicy
from ledger.projections.views import ProjectionBehind, Views
from ledger.store.event_store import (
    CommitUnknown,
    EventStore,
    LedgerTransaction,
    TransactionLost,
)
from ledger.store.records import Actor, AppendResult, NewEvent, RecordedEvent

__all__ = [
    "Clock",
    "Decision",
    "DomainIds",
    "IdsOf",
    "Plan",
    "Runner",
    "Views",
    "check_expected",
    "command_fingerprint",
    "named_by",
    "no_ids",
    "utc_now",
]

E = TypeVar("E", bound=DomainEvent)


@dataclass(frozen=True)
class Decision:
    """What a use case decided: the events to append to a stream read at ``version``."""

    stream_id: str
    version: int
    events: list[DomainEvent]


Plan = Callable[[LedgerTransaction], Awaitable[Decision]]


@dataclass(frozen=True)
class DomainIds:
    """The domain ids of what a command appended, as the command names them: the answer
    carries them, so no caller takes a stream id or a payload apart."""

    article_id: str | None = None
    rating_id: str | None = None
    comment_id: str | None = None
    rater_id: str | None = None


# How a command names its ids from the events it appended: the events it decided, or, for a
# retry answered with the first append, those the first attempt stored (an id made while
# deciding, such as a rating's, exists only there).
IdsOf = Callable[[Sequence[DomainEvent]], DomainIds]


def no_ids(events: Sequence[DomainEvent]) -> DomainIds:
    """For a command that makes no article, rating, comment or rater."""
    return DomainIds()


def named_by(kind: type[E], ids: Callable[[E], DomainIds]) -> IdsOf:
    """The ids ``ids`` reads from the first event of ``kind`` the command appended."""

    def of(events: Sequence[DomainEvent]) -> DomainIds:
        found = next((e for e in events if isinstance(e, kind)), None)
        assert found is not None, f"the command appended no {kind.__name__}"
        return ids(found)

    return of


class _Replayed(Exception):
    def __init__(self, result: AppendResult) -> None:
        self.result = result


Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Runner:
    """``requests``: the deployment's rating-request policy; ``clock``: the time requests
    are made and expire by (injected, so tests control it; a replay reads none)."""

    def __init__(
        self,
        store: EventStore,
        views: Views,
        *,
        conflict_retries: int = 5,
        requests: RequestPolicy | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.store = store
        self.views = views
        self.conflict_retries = conflict_retries
        self.requests = requests or RequestPolicy()
        self.clock = clock

    def decode(self, history: Sequence[RecordedEvent]) -> list[DomainEvent]:
        return [self.store.registry.decode(e.type, e.payload) for e in history]

    async def run(
        self,
        command: Command,
        plan: Plan,
        actor: Actor,
        idempotency_key: str | None,
        *,
        ids: IdsOf,
    ) -> AppendResult:
        """Decide ``plan`` and append it, once, whatever the retries and races; the answer
        carries the domain ids ``ids`` names from the appended events."""
        fingerprint = command_fingerprint(command, actor)
        if idempotency_key is not None:
            # A retry is answered before deciding: the state it would decide on has moved.
            found = await self.store.find_append(idempotency_key, fingerprint, actor=actor)
            if found is not None:
                return await self._first_answer(found, ids)
        return await self._decide_and_append(plan, actor, idempotency_key, fingerprint, ids)

    async def _decide_and_append(
        self,
        plan: Plan,
        actor: Actor,
        idempotency_key: str | None,
        fingerprint: str,
        ids: IdsOf,
    ) -> AppendResult:
        for attempt in range(self.conflict_retries + 1):
            last = attempt == self.conflict_retries
            try:
                # The last attempt takes the head before deciding: it cannot lose a race.
                return await self._attempt(plan, actor, idempotency_key, fingerprint, last, ids)
            except _Replayed as replayed:
                return await self._first_answer(replayed.result, ids)
            except DomainError:
                # A racing twin with the same key may have committed while we decided, or
                # this request's own commit whose answer was lost (below): the refusal is
                # then an answer to a request already done. Give the first answer.
                if (found := await self._made(idempotency_key, fingerprint, actor)) is not None:
                    return await self._first_answer(found, ids)
                raise
            except WrongExpectedVersion as conflict:
                if last or isinstance(conflict, StaleExpectedVersion):
                    # The version the client expected may be gone by the same twin's or
                    # lost commit's doing: the key tells.
                    found = await self._made(idempotency_key, fingerprint, actor)
                    if found is not None:
                        return await self._first_answer(found, ids)
                    raise
            except ProjectionBehind:
                if last:
                    raise
                # A catch-up whose transaction is lost wrote nothing, and one whose commit
                # lost its answer moved the views or not: the next attempt finds them where
                # they stand, behind or not, and catches them up again if need be.
                with contextlib.suppress(TransactionLost, CommitUnknown):
                    await self.views.catch_up()
            except TransactionLost:
                # Nothing of it was written: decided again on a new connection. Lost every
                # time, it is the database's failure (not a refusal of the ledger).
                if last:
                    raise
            except CommitUnknown:
                # Made or not, only the key can tell: decided again, the append finds the
                # first under it (waiting on the head's lock for a commit still under way)
                # and answers with it. Without a key, a second try could write it twice.
                if last or idempotency_key is None:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _made(
        self, idempotency_key: str | None, fingerprint: str, actor: Actor
    ) -> AppendResult | None:
        """The append already made under ``idempotency_key``, if there is a key and one."""
        if idempotency_key is None:
            return None
        return await self.store.find_append(idempotency_key, fingerprint, actor=actor)

    async def _attempt(
        self,
        plan: Plan,
        actor: Actor,
        idempotency_key: str | None,
        fingerprint: str,
        pessimistic: bool,
        ids: IdsOf,
    ) -> AppendResult:
        async with self.store.transaction() as tx:
            await self.views.begin(tx, pessimistic=pessimistic)
            decision = await plan(tx)
            result: AppendResult = await tx.append(
                decision.stream_id,
                decision.version,
                [NewEvent.of(event) for event in decision.events],
                actor=actor,
                idempotency_key=idempotency_key,
                fingerprint=fingerprint,
            )
            if result.replayed:
                raise _Replayed(result)  # rolls back anything the plan wrote
            await self.views.project(tx, result)
        return _carrying(result, ids(decision.events))

    async def _first_answer(self, replayed: AppendResult, ids: IdsOf) -> AppendResult:
        """The first answer again, with its ids named from the events it stored (a replayed
        answer carries none: they are read back from the log, where the first answer put
        them)."""
        count = replayed.last_position - replayed.first_position + 1
        stored = await self.store.read_all(replayed.first_position - 1, count)
        return _carrying(replayed, ids(self.decode(stored)))


def _carrying(result: AppendResult, ids: DomainIds) -> AppendResult:
    return replace(
        result,
        article_id=ids.article_id,
        rating_id=ids.rating_id,
        comment_id=ids.comment_id,
        rater_id=ids.rater_id,
    )


def check_expected(stream: str, expected: int | None, history: Sequence[object]) -> None:
    """The client said which version it decided on; if the stream moved since, say so."""
    if expected is not None and expected != len(history):
        raise StaleExpectedVersion(stream, expected, len(history))


def command_fingerprint(command: Command, actor: Actor) -> str:
    """What makes a retry "the same request": the use case, its arguments and the caller."""
    parts = [*fingerprint_parts(command), actor.id, actor.role]
    document = json.dumps(parts, sort_keys=True, default=repr)
    return hashlib.sha256(document.encode()).hexdigest()
