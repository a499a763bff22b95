"""The one runner every command goes through: load, decide, append, project.

It gives every use case the same promises: a retried request (same idempotency key) gets
the first answer and changes nothing; a version conflict is decided again on fresh state a
bounded number of times; a refusal writes nothing; the views move in the same transaction
as the append; the answer carries the domain ids of what was decided.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from ledger.domain.commands import Command, fingerprint_parts
from ledger.domain.errors import DomainError, StaleExpectedVersion, WrongExpectedVersion
from ledger.domain.events import DomainEvent
from ledger.projections.views import ProjectionBehind, Views
from ledger.store.event_store import EventStore, LedgerTransaction
from ledger.store.records import Actor, AppendResult, NewEvent, RecordedEvent

__all__ = [
    "Decision",
    "Plan",
    "Runner",
    "Views",
    "check_expected",
    "command_fingerprint",
]


@dataclass(frozen=True)
class Decision:
    """What a use case decided: the events to append to a stream read at ``version``."""

    stream_id: str
    version: int
    events: list[DomainEvent]


Plan = Callable[[LedgerTransaction], Awaitable[Decision]]


class _Replayed(Exception):
    def __init__(self, result: AppendResult) -> None:
        self.result = result


class Runner:
    def __init__(self, store: EventStore, views: Views, *, conflict_retries: int = 5) -> None:
        self.store = store
        self.views = views
        self.conflict_retries = conflict_retries

    def decode(self, history: Sequence[RecordedEvent]) -> list[DomainEvent]:
        return [self.store.registry.decode(e.type, e.payload) for e in history]

    async def run(
        self, command: Command, plan: Plan, actor: Actor, idempotency_key: str | None
    ) -> AppendResult:
        """Decide ``plan`` and append it, once, whatever the retries and races."""
        fingerprint = command_fingerprint(command, actor)
        if idempotency_key is not None:
            # A retry is answered before deciding: the state it would decide on has moved.
            found = await self.store.find_append(idempotency_key, fingerprint, actor=actor)
            if found is not None:
                return await self._with_ids(found)
        return await self._with_ids(
            await self._decide_and_append(plan, actor, idempotency_key, fingerprint)
        )

    async def _decide_and_append(
        self, plan: Plan, actor: Actor, idempotency_key: str | None, fingerprint: str
    ) -> AppendResult:
        for attempt in range(self.conflict_retries + 1):
            last = attempt == self.conflict_retries
            try:
                # The last attempt takes the head before deciding: it cannot lose a race.
                return await self._attempt(plan, actor, idempotency_key, fingerprint, last)
            except _Replayed as replayed:
                return replayed.result
            except DomainError:
                # A racing twin with the same key may have committed while we decided: the
                # refusal is then an answer to a request already done. Give the first answer.
                if idempotency_key is not None:
                    found = await self.store.find_append(idempotency_key, fingerprint, actor=actor)
                    if found is not None:
                        return found
                raise
            except WrongExpectedVersion as conflict:
                if last or isinstance(conflict, StaleExpectedVersion):
                    raise
            except ProjectionBehind:
                if last:
                    raise
                await self.views.catch_up()
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(
        self,
        plan: Plan,
        actor: Actor,
        idempotency_key: str | None,
        fingerprint: str,
        pessimistic: bool,
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
        return result

    async def _with_ids(self, result: AppendResult) -> AppendResult:
        """The answer with the domain ids of its events (a replayed answer carries no
        events: they are read back from the log, where the first answer put them)."""
        events = result.events
        if not events:
            count = result.last_position - result.first_position + 1
            events = tuple(await self.store.read_all(result.first_position - 1, count))

        def first(name: str) -> str | None:
            values = (e.payload.get(name) for e in events)
            return next((v for v in values if isinstance(v, str)), None)

        return replace(
            result,
            article_id=first("article_id"),
            rating_id=first("rating_id"),
            comment_id=first("comment_id"),
            rater_id=first("rater_id"),
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
