"""Use cases: load the streams, decide, append and project, in one transaction.

Each use case is a short verb. The runner around them gives every one the same promises:
a retried request (same idempotency key) gets the first answer and changes nothing; a
version conflict is decided again on fresh state a bounded number of times; a refusal
writes nothing; the article view moves in the same transaction as the append.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert

from ledger.domain import articles, raters
from ledger.domain.errors import DomainError, NotFound, StaleExpectedVersion, WrongExpectedVersion
from ledger.domain.events import DomainEvent, StudyTypeRegistered
from ledger.projections.projector import ProjectionBehind, Projector, advance_checkpoints, catch_up
from ledger.read import vocabulary
from ledger.store.append import lock_head
from ledger.store.records import Actor, AppendResult, NewEvent
from ledger.store.sql_store import SQLEventStore, SQLTransaction
from ledger.store.tables import people

__all__ = ["Decision", "EvidenceLedger"]


@dataclass(frozen=True)
class Decision:
    """What a use case decided: the events to append to a stream read at ``version``."""

    stream_id: str
    version: int
    events: list[DomainEvent]


Plan = Callable[[SQLTransaction], Awaitable[Decision]]


class _Replayed(Exception):
    def __init__(self, result: AppendResult) -> None:
        self.result = result


class EvidenceLedger:
    def __init__(
        self, store: SQLEventStore, projector: Projector | None = None, *, conflict_retries: int = 5
    ) -> None:
        self.store = store
        self.projector = projector or Projector(registry=store.registry)
        self.conflict_retries = conflict_retries

    # -- disciplines and raters -----------------------------------------------------------

    async def register_discipline(
        self, name: str, *, actor: Actor, idempotency_key: str | None = None
    ) -> AppendResult:
        async def plan(tx: SQLTransaction) -> Decision:
            stream = raters.discipline_stream_id(str(name))
            history = await tx.read_stream(stream)
            return Decision(
                stream, len(history), raters.decide_register_discipline(bool(history), name)
            )

        return await self._run(("register_discipline", name), plan, actor, idempotency_key)

    async def enrol_rater(
        self,
        *,
        discipline: str,
        display_name: str | None = None,
        email: str | None = None,
        rater_id: str | None = None,
        actor: Actor,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        """Enrol a rater in one discipline; their name and email stay outside the chain."""
        command = ("enrol_rater", discipline, display_name, email, rater_id)
        display_name, email = raters.check_person(display_name, email)
        rater_id = rater_id or uuid.uuid4().hex[:16]

        async def plan(tx: SQLTransaction) -> Decision:
            registered = await self._discipline(tx, discipline)
            stream = raters.rater_stream_id(rater_id)
            history = await tx.read_stream(stream)
            enrolment = raters.fold_enrolment(self._decode(history))
            person_id = uuid.uuid4().hex
            decided = raters.decide_enrol(enrolment, rater_id, person_id, registered, discipline)
            await tx.connection.execute(
                insert(people).values(person_id=person_id, display_name=display_name, email=email)
            )
            return Decision(stream, len(history), decided)

        return await self._run(command, plan, actor, idempotency_key)

    async def enrolment(self, rater_id: str) -> raters.Enrolment:
        """A rater's enrolment, folded from their stream."""
        history = await self.store.read_stream(raters.rater_stream_id(rater_id))
        enrolment = raters.fold_enrolment(self._decode(history))
        if enrolment is None:
            raise NotFound("rater", rater_id)
        return enrolment

    # -- articles -------------------------------------------------------------------------

    async def register_article(
        self,
        *,
        citation: Mapping[str, Any],
        topics: list[str],
        article_id: str | None = None,
        actor: Actor,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        command = ("register_article", dict(citation), list(topics), article_id)
        article_id = article_id or uuid.uuid4().hex[:16]
        return await self._on_article(
            command,
            article_id,
            lambda state, known: articles.decide_register(
                state, article_id, citation, topics, known
            ),
            actor,
            idempotency_key,
            vocabulary_of=topics,
        )

    async def correct_article(
        self,
        article_id: str,
        changes: Mapping[str, Any],
        reason: str,
        *,
        topics: list[str] | None = None,
        actor: Actor,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> AppendResult:
        """Correct citation fields and, if given, replace the topics, in one append."""

        def decide(state: articles.Article | None, known: articles.Vocabulary) -> list[DomainEvent]:
            decided: list[DomainEvent] = []
            if changes or topics is None:
                decided += articles.decide_correct(state, article_id, changes, reason, known)
            if topics is not None:
                decided += articles.decide_change_topics(state, article_id, topics, known)
            return decided

        return await self._on_article(
            ("correct_article", article_id, dict(changes), reason, topics),
            article_id,
            decide,
            actor,
            idempotency_key,
            expected_version,
            vocabulary_of=topics or (),
        )

    async def change_topics(
        self,
        article_id: str,
        topics: list[str],
        *,
        actor: Actor,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> AppendResult:
        return await self._on_article(
            ("change_topics", article_id, list(topics)),
            article_id,
            lambda state, known: articles.decide_change_topics(state, article_id, topics, known),
            actor,
            idempotency_key,
            expected_version,
            vocabulary_of=topics,
        )

    async def retract_article(
        self,
        article_id: str,
        reason: str,
        *,
        actor: Actor,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> AppendResult:
        return await self._on_article(
            ("retract_article", article_id, reason),
            article_id,
            lambda state: articles.decide_retract(state, article_id, reason),
            actor,
            idempotency_key,
            expected_version,
        )

    async def register_study_type(
        self, name: str, *, actor: Actor, idempotency_key: str | None = None
    ) -> AppendResult:
        """Add a study type to the vocabulary articles are registered and corrected with."""

        async def plan(tx: SQLTransaction) -> Decision:
            history = await tx.read_stream(articles.STUDY_TYPES_STREAM)
            known = _study_types(self._decode(history))
            decided = articles.decide_register_study_type(known, name)
            return Decision(articles.STUDY_TYPES_STREAM, len(history), decided)

        return await self._run(("register_study_type", name), plan, actor, idempotency_key)

    async def study_types(self) -> tuple[str, ...]:
        """The study types articles may have: the reference list, then those editors added."""
        history = await self.store.read_stream(articles.STUDY_TYPES_STREAM)
        return _study_types(self._decode(history))

    # -- ratings --------------------------------------------------------------------------

    async def submit_rating(
        self,
        article_id: str,
        rater_id: str,
        relevance: int,
        newsworthiness: int,
        comment: str | None = None,
        *,
        actor: Actor,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        return await self._rate(
            "submit_rating",
            articles.decide_submit_rating,
            article_id,
            rater_id,
            (relevance, newsworthiness, comment),
            actor,
            idempotency_key,
        )

    async def revise_rating(
        self,
        article_id: str,
        rater_id: str,
        relevance: int,
        newsworthiness: int,
        comment: str | articles.Unchanged | None = articles.UNCHANGED,
        *,
        actor: Actor,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> AppendResult:
        """Revise the rater's active rating; the comment is kept unless given (None clears it)."""
        return await self._rate(
            "revise_rating",
            articles.decide_revise_rating,
            article_id,
            rater_id,
            (relevance, newsworthiness, comment),
            actor,
            idempotency_key,
            expected_version,
        )

    async def withdraw_rating(
        self,
        article_id: str,
        rater_id: str,
        *,
        actor: Actor,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> AppendResult:
        return await self._rate(
            "withdraw_rating",
            articles.decide_withdraw_rating,
            article_id,
            rater_id,
            (),
            actor,
            idempotency_key,
            expected_version,
        )

    # -- comments -------------------------------------------------------------------------

    async def post_comment(
        self,
        article_id: str,
        author_id: str,
        body: str,
        *,
        actor: Actor,
        idempotency_key: str | None = None,
    ) -> AppendResult:
        return await self._on_article(
            ("post_comment", article_id, author_id, body),
            article_id,
            lambda state: articles.decide_post_comment(state, article_id, author_id, body),
            actor,
            idempotency_key,
        )

    async def hide_comment(
        self,
        article_id: str,
        comment_id: str,
        reason: str,
        *,
        actor: Actor,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> AppendResult:
        return await self._on_article(
            ("hide_comment", article_id, comment_id, reason),
            article_id,
            lambda state: articles.decide_hide_comment(state, article_id, comment_id, reason),
            actor,
            idempotency_key,
            expected_version,
        )

    async def restore_comment(
        self,
        article_id: str,
        comment_id: str,
        reason: str,
        *,
        actor: Actor,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> AppendResult:
        return await self._on_article(
            ("restore_comment", article_id, comment_id, reason),
            article_id,
            lambda state: articles.decide_restore_comment(state, article_id, comment_id, reason),
            actor,
            idempotency_key,
            expected_version,
        )

    # -- the runner -----------------------------------------------------------------------

    async def _rate(
        self,
        name: str,
        decide: Callable[..., list[DomainEvent]],
        article_id: str,
        rater_id: str,
        scores: tuple[Any, ...],
        actor: Actor,
        idempotency_key: str | None,
        expected_version: int | None = None,
    ) -> AppendResult:
        async def plan(tx: SQLTransaction) -> Decision:
            # The discipline comes from the enrolment, never from the request.
            enrolment = raters.fold_enrolment(
                self._decode(await tx.read_stream(raters.rater_stream_id(rater_id)))
            )
            if enrolment is None:
                raise NotFound("rater", rater_id)
            rater = articles.Rater(rater_id, enrolment.discipline)
            stream = articles.stream_id(article_id)
            history = await tx.read_stream(stream)
            _check_expected(stream, expected_version, history)
            state = articles.fold(self._decode(history))
            return Decision(stream, len(history), decide(state, article_id, rater, *scores))

        command = (name, article_id, rater_id, *scores)
        return await self._run(command, plan, actor, idempotency_key)

    async def _on_article(
        self,
        command: tuple[Any, ...],
        article_id: str,
        decide: Callable[..., list[DomainEvent]],
        actor: Actor,
        idempotency_key: str | None,
        expected_version: int | None = None,
        *,
        vocabulary_of: object = None,
    ) -> AppendResult:
        """Decide on the article's state; given topics in ``vocabulary_of``, also on the
        vocabulary (the study types, and how the ledger spells those topics), read in the
        same transaction."""

        async def plan(tx: SQLTransaction) -> Decision:
            stream = articles.stream_id(article_id)
            history = await tx.read_stream(stream)
            _check_expected(stream, expected_version, history)
            state = articles.fold(self._decode(history))
            if vocabulary_of is None:
                return Decision(stream, len(history), decide(state))
            known = await self._vocabulary(tx, vocabulary_of)
            return Decision(stream, len(history), decide(state, known))

        return await self._run(command, plan, actor, idempotency_key)

    async def _vocabulary(self, tx: SQLTransaction, topics: object) -> articles.Vocabulary:
        history = await tx.read_stream(articles.STUDY_TYPES_STREAM)
        listed = topics if isinstance(topics, list | tuple) else []
        names = [t for t in listed if isinstance(t, str)]
        return articles.Vocabulary(
            study_types=_study_types(self._decode(history)),
            topics=await vocabulary.topic_spellings(tx.connection, names),
        )

    async def _run(
        self,
        command: tuple[Any, ...],
        plan: Plan,
        actor: Actor,
        idempotency_key: str | None,
    ) -> AppendResult:
        fingerprint = command_fingerprint(command, actor)
        if idempotency_key is not None:
            # A retry is answered before deciding: the state it would decide on has moved.
            found = await self.store.find_append(idempotency_key, fingerprint, actor=actor)
            if found is not None:
                return found
        for attempt in range(self.conflict_retries + 1):
            last = attempt == self.conflict_retries
            try:
                # The last attempt takes the head before deciding: it cannot lose a race.
                return await self._attempt(
                    plan, actor, idempotency_key, fingerprint, pessimistic=last
                )
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
                await catch_up(self.store, self.projector)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(
        self,
        plan: Plan,
        actor: Actor,
        idempotency_key: str | None,
        fingerprint: str,
        *,
        pessimistic: bool = False,
    ) -> AppendResult:
        async with self.store.transaction() as tx:
            if pessimistic:
                await lock_head(tx.connection)
            decision = await plan(tx)
            result = await tx.append(
                decision.stream_id,
                decision.version,
                [NewEvent.of(event) for event in decision.events],
                actor=actor,
                idempotency_key=idempotency_key,
                fingerprint=fingerprint,
            )
            if result.replayed:
                raise _Replayed(result)  # rolls back anything the plan wrote
            # The checkpoint guard first: never project over a gap in the views.
            await advance_checkpoints(
                tx.connection, result.last_position, after=result.first_position - 1
            )
            await self.projector.project(tx.connection, result.events)
        return result

    async def _discipline(self, tx: SQLTransaction, name: str) -> str | None:
        """The registered spelling of a discipline, or None when it is not registered."""
        history = await tx.read_stream(raters.discipline_stream_id(str(name)))
        for event in self._decode(history):
            return str(getattr(event, "name"))  # noqa: B009 - DisciplineRegistered
        return None

    def _decode(self, history: list[Any]) -> list[DomainEvent]:
        return [self.store.registry.decode(e.type, e.payload) for e in history]


def _study_types(history: list[DomainEvent]) -> tuple[str, ...]:
    added = tuple(e.name for e in history if isinstance(e, StudyTypeRegistered))
    return articles.DEFAULT_STUDY_TYPES + added


def _check_expected(stream: str, expected: int | None, history: list[Any]) -> None:
    """The client said which version it decided on; if the stream moved since, say so."""
    if expected is not None and expected != len(history):
        raise StaleExpectedVersion(stream, expected, len(history))


def command_fingerprint(command: tuple[Any, ...], actor: Actor) -> str:
    """What makes a retry "the same request": the use case, its arguments and the caller."""
    document = json.dumps([*command, actor.id, actor.role], sort_keys=True, default=repr)
    return hashlib.sha256(document.encode()).hexdigest()
