"""Mutations: each translates its input to a use case and its outcome back to a result.

A result is a union of a payload and typed errors; permissions answer ``NotAllowed``
before the resolver runs. Every refusal leaves the ledger unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry
from strawberry.types import Info

from graph.schema.errors import Conflict, NotAllowed, NotFound, ValidationError, error_of
from graph.schema.ids import article_key
from graph.schema.inputs import (
    CorrectArticleInput,
    EnrollRaterInput,
    HideCommentInput,
    PostCommentInput,
    RegisterArticleInput,
    RegisterDisciplineInput,
    RegisterStudyTypeInput,
    RestoreCommentInput,
    RetractArticleInput,
    ReviseRatingInput,
    SubmitRatingInput,
    WithdrawRatingInput,
    citation_changes,
)
from graph.schema.permissions import Editors, Raters, Subscribers, only
from graph.schema.types import Article, Discipline, Rater
from ledger.domain.articles import UNCHANGED
from ledger.domain.errors import LedgerError
from ledger.store.records import Actor, AppendResult
from ledger.use_cases.service import EvidenceLedger

__all__ = ["Mutation"]


@strawberry.type(description="The article as it is right after the change.")
class ArticlePayload:
    article: Article
    position: int = strawberry.field(description="The ledger position of the change.")
    replayed: bool = strawberry.field(description="True when this repeats an earlier answer.")


@strawberry.type
class RaterPayload:
    rater: Rater
    position: int
    replayed: bool


@strawberry.type
class DisciplinePayload:
    discipline: Discipline
    position: int
    replayed: bool


@strawberry.type
class StudyTypePayload:
    study_type: str
    position: int
    replayed: bool


Errors = ValidationError | NotFound | NotAllowed | Conflict
ArticleResult = Annotated[ArticlePayload | Errors, strawberry.union("ArticleResult")]
RaterResult = Annotated[RaterPayload | Errors, strawberry.union("RaterResult")]
DisciplineResult = Annotated[DisciplinePayload | Errors, strawberry.union("DisciplineResult")]
StudyTypeResult = Annotated[StudyTypePayload | Errors, strawberry.union("StudyTypeResult")]

Change = Callable[[EvidenceLedger, Actor], Awaitable[AppendResult]]


def _actor(info: Info) -> Actor:
    principal = info.context.principal
    assert principal is not None, "permissions admit only callers with a token"
    return Actor(principal.id, principal.role)


def _rater_id(info: Info) -> str:
    rater_id = info.context.principal.rater_id
    assert rater_id is not None, "rater tokens are bound to a rater"
    return str(rater_id)


async def _change_article(info: Info, change: Change) -> ArticlePayload | Errors:
    context = info.context
    try:
        result = await change(context.services.ledger, _actor(info))
    except LedgerError as refusal:
        return error_of(refusal)
    await context.after_write()
    summary = await context.loaders.articles.load(result.stream_id.partition(":")[2])
    assert summary is not None, "the article view moves in the append's transaction"
    return ArticlePayload(
        article=Article.of(summary), position=result.last_position, replayed=result.replayed
    )


@strawberry.type
class Mutation:
    @strawberry.mutation(extensions=only(Editors))
    async def register_article(self, info: Info, input: RegisterArticleInput) -> ArticleResult:
        try:
            article_id = article_key(input.article_id, "article_id") if input.article_id else None
        except LedgerError as refusal:
            return error_of(refusal)
        return await _change_article(
            info,
            lambda ledger, actor: ledger.register_article(
                article_id=article_id,
                citation=citation_changes(input),
                topics=input.topics,
                actor=actor,
                idempotency_key=input.idempotency_key,
            ),
        )

    @strawberry.mutation(extensions=only(Editors))
    async def correct_article(self, info: Info, input: CorrectArticleInput) -> ArticleResult:
        topics = None if input.topics in (None, strawberry.UNSET) else input.topics
        return await _change_article(
            info,
            lambda ledger, actor: ledger.correct_article(
                article_key(input.article_id),
                citation_changes(input),
                input.reason,
                topics=topics,
                actor=actor,
                idempotency_key=input.idempotency_key,
                expected_version=input.expected_version,
            ),
        )

    @strawberry.mutation(extensions=only(Editors))
    async def retract_article(self, info: Info, input: RetractArticleInput) -> ArticleResult:
        return await _change_article(
            info,
            lambda ledger, actor: ledger.retract_article(
                article_key(input.article_id),
                input.reason,
                actor=actor,
                idempotency_key=input.idempotency_key,
                expected_version=input.expected_version,
            ),
        )

    @strawberry.mutation(extensions=only(Editors))
    async def register_discipline(
        self, info: Info, input: RegisterDisciplineInput
    ) -> DisciplineResult:
        try:
            result = await info.context.services.ledger.register_discipline(
                input.name, actor=_actor(info), idempotency_key=input.idempotency_key
            )
        except LedgerError as refusal:
            return error_of(refusal)
        await info.context.after_write()
        name = input.name.strip()
        return DisciplinePayload(
            discipline=Discipline(name=name),
            position=result.last_position,
            replayed=result.replayed,
        )

    @strawberry.mutation(extensions=only(Editors))
    async def register_study_type(
        self, info: Info, input: RegisterStudyTypeInput
    ) -> StudyTypeResult:
        try:
            result = await info.context.services.ledger.register_study_type(
                input.name, actor=_actor(info), idempotency_key=input.idempotency_key
            )
        except LedgerError as refusal:
            return error_of(refusal)
        await info.context.after_write()
        # A replayed answer carries no events; the name is then the one first registered.
        name = result.events[0].payload["name"] if result.events else input.name.strip()
        return StudyTypePayload(
            study_type=str(name),
            position=result.last_position,
            replayed=result.replayed,
        )

    @strawberry.mutation(extensions=only(Editors))
    async def enroll_rater(self, info: Info, input: EnrollRaterInput) -> RaterResult:
        ledger = info.context.services.ledger
        try:
            result = await ledger.enrol_rater(
                discipline=input.discipline,
                display_name=input.display_name,
                email=input.email,
                rater_id=input.rater_id,
                actor=_actor(info),
                idempotency_key=input.idempotency_key,
            )
            enrolment = await ledger.enrolment(result.stream_id.partition(":")[2])
        except LedgerError as refusal:
            return error_of(refusal)
        await info.context.after_write()
        return RaterPayload(
            rater=Rater(
                id=strawberry.ID(enrolment.rater_id),
                discipline=Discipline(name=enrolment.discipline),
            ),
            position=result.last_position,
            replayed=result.replayed,
        )

    @strawberry.mutation(extensions=only(Raters))
    async def submit_rating(self, info: Info, input: SubmitRatingInput) -> ArticleResult:
        return await _change_article(
            info,
            lambda ledger, actor: ledger.submit_rating(
                article_key(input.article_id),
                _rater_id(info),
                input.relevance,
                input.newsworthiness,
                input.comment,
                actor=actor,
                idempotency_key=input.idempotency_key,
            ),
        )

    @strawberry.mutation(extensions=only(Raters))
    async def revise_rating(self, info: Info, input: ReviseRatingInput) -> ArticleResult:
        return await _change_article(
            info,
            lambda ledger, actor: ledger.revise_rating(
                article_key(input.article_id),
                _rater_id(info),
                input.relevance,
                input.newsworthiness,
                UNCHANGED if input.comment is strawberry.UNSET else input.comment,
                actor=actor,
                idempotency_key=input.idempotency_key,
                expected_version=input.expected_version,
            ),
        )

    @strawberry.mutation(extensions=only(Raters))
    async def withdraw_rating(self, info: Info, input: WithdrawRatingInput) -> ArticleResult:
        return await _change_article(
            info,
            lambda ledger, actor: ledger.withdraw_rating(
                article_key(input.article_id),
                _rater_id(info),
                actor=actor,
                idempotency_key=input.idempotency_key,
                expected_version=input.expected_version,
            ),
        )

    @strawberry.mutation(extensions=only(Subscribers))
    async def post_comment(self, info: Info, input: PostCommentInput) -> ArticleResult:
        return await _change_article(
            info,
            lambda ledger, actor: ledger.post_comment(
                article_key(input.article_id),
                actor.id,
                input.body,
                actor=actor,
                idempotency_key=input.idempotency_key,
            ),
        )

    @strawberry.mutation(extensions=only(Editors))
    async def hide_comment(self, info: Info, input: HideCommentInput) -> ArticleResult:
        return await _change_article(
            info,
            lambda ledger, actor: ledger.hide_comment(
                article_key(input.article_id),
                str(input.comment_id),
                input.reason,
                actor=actor,
                idempotency_key=input.idempotency_key,
                expected_version=input.expected_version,
            ),
        )

    @strawberry.mutation(extensions=only(Editors))
    async def restore_comment(self, info: Info, input: RestoreCommentInput) -> ArticleResult:
        return await _change_article(
            info,
            lambda ledger, actor: ledger.restore_comment(
                article_key(input.article_id),
                str(input.comment_id),
                input.reason,
                actor=actor,
                idempotency_key=input.idempotency_key,
                expected_version=input.expected_version,
            ),
        )
