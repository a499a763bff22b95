"""Mutations: each translates its input to a use case and its outcome back to a result.

A result is a union of a payload and typed errors; permissions answer ``NotAllowed``
before the resolver runs. Every refusal leaves the ledger unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import strawberry
from strawberry.types import Info

from graph.schema.alerts import (
    AlertProfileResult,
    ClearAlertProfileInput,
    SetAlertProfileInput,
    clear_profile,
    set_profile,
)
from graph.schema.context import Context
from graph.schema.delivery import (
    RetryDeliveryInput,
    RetryDeliveryResult,
    RotateWebhookSecretInput,
    RotateWebhookSecretResult,
    retry_delivery,
    rotate_webhook_secret,
)
from graph.schema.errors import Conflict, NotAllowed, NotFound, ValidationError, error_of
from graph.schema.ids import article_key
from graph.schema.inputs import (
    AssignDisciplinesInput,
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
    command_of,
)
from graph.schema.permissions import Editors, Raters, RatersAndEditors, Subscribers, only
from graph.schema.position_header import answered_at
from graph.schema.requests import (
    ExpireRatingRequestsInput,
    ExpireRatingRequestsResult,
    RaterProfileInput,
    RaterProfileResult,
    expire_requests,
    set_rater_profile,
    toggle_requests,
)
from graph.schema.types import Article, Discipline, Rater
from ledger.domain.commands import (
    AssignDisciplines,
    Command,
    CorrectArticle,
    EnrolRater,
    HideComment,
    PostComment,
    RegisterArticle,
    RegisterDiscipline,
    RegisterStudyType,
    RestoreComment,
    RetractArticle,
    ReviseRating,
    SubmitRating,
    WithdrawRating,
)
from ledger.domain.errors import LedgerError
from ledger.store.records import Actor, AppendResult

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

# Builds the command; run inside the refusal handling, as reading an input's ids may refuse.
MakeCommand = Callable[[], Command]


def _actor(info: Info[Context, None]) -> Actor:
    principal = info.context.principal
    assert principal is not None, "permissions admit only callers with a token"
    return Actor(principal.id, principal.role)


def _rater_id(info: Info[Context, None]) -> str:
    principal = info.context.principal
    rater_id = principal.rater_id if principal is not None else None
    assert rater_id is not None, "rater tokens are bound to a rater"
    return str(rater_id)


async def _execute(
    info: Info[Context, None], make: MakeCommand, idempotency_key: str | None
) -> AppendResult | LedgerError:
    """Run the command; a refusal comes back as the error, having changed nothing."""
    try:
        result = await info.context.services.ledger.execute(
            make(), actor=_actor(info), idempotency_key=idempotency_key
        )
    except LedgerError as refusal:
        return refusal
    answered_at(info.context.response, result.last_position)
    await info.context.after_write()
    return result


async def _change_article(
    info: Info[Context, None], make: MakeCommand, idempotency_key: str | None
) -> ArticlePayload | Errors:
    result = await _execute(info, make, idempotency_key)
    if isinstance(result, LedgerError):
        return error_of(result)
    assert result.article_id is not None, "every article command appends to an article"
    summary = await info.context.loaders.articles.load(result.article_id)
    assert summary is not None, "the article view moves in the append's transaction"
    return ArticlePayload(
        article=Article.of(summary), position=result.last_position, replayed=result.replayed
    )


@strawberry.type
class Mutation:
    @strawberry.mutation(extensions=only(Editors))
    async def register_article(
        self, info: Info[Context, None], input: RegisterArticleInput
    ) -> ArticleResult:
        def make() -> Command:
            article_id = article_key(input.article_id) if input.article_id else None
            citation = citation_changes(input)
            # Tuples: left empty, they equal the command's defaults, so the fingerprint of a
            # registration without disciplines stays what it was before they existed.
            return command_of(
                RegisterArticle,
                input,
                citation=citation,
                article_id=article_id,
                disciplines=tuple(input.disciplines),
                populations=tuple(input.populations),
                author_raters=tuple(input.author_raters),
            )

        return await _change_article(info, make, input.idempotency_key)

    @strawberry.mutation(extensions=only(Editors))
    async def correct_article(
        self, info: Info[Context, None], input: CorrectArticleInput
    ) -> ArticleResult:
        def make() -> Command:
            return command_of(CorrectArticle, input, changes=citation_changes(input))

        return await _change_article(info, make, input.idempotency_key)

    @strawberry.mutation(extensions=only(Editors))
    async def retract_article(
        self, info: Info[Context, None], input: RetractArticleInput
    ) -> ArticleResult:
        return await _change_article(
            info, lambda: command_of(RetractArticle, input), input.idempotency_key
        )

    @strawberry.mutation(extensions=only(Editors))
    async def register_discipline(
        self, info: Info[Context, None], input: RegisterDisciplineInput
    ) -> DisciplineResult:
        result = await _execute(
            info, lambda: command_of(RegisterDiscipline, input), input.idempotency_key
        )
        if isinstance(result, LedgerError):
            return error_of(result)
        name = input.name.strip()
        return DisciplinePayload(
            discipline=Discipline(name=name),
            position=result.last_position,
            replayed=result.replayed,
        )

    @strawberry.mutation(extensions=only(Editors))
    async def register_study_type(
        self, info: Info[Context, None], input: RegisterStudyTypeInput
    ) -> StudyTypeResult:
        result = await _execute(
            info, lambda: command_of(RegisterStudyType, input), input.idempotency_key
        )
        if isinstance(result, LedgerError):
            return error_of(result)
        # A replayed answer carries no events; the name is then the one first registered.
        name = result.events[0].payload["name"] if result.events else input.name.strip()
        return StudyTypePayload(
            study_type=str(name),
            position=result.last_position,
            replayed=result.replayed,
        )

    @strawberry.mutation(extensions=only(Editors))
    async def enroll_rater(self, info: Info[Context, None], input: EnrollRaterInput) -> RaterResult:
        ledger = info.context.services.ledger
        try:
            result = await ledger.execute(
                command_of(EnrolRater, input),
                actor=_actor(info),
                idempotency_key=input.idempotency_key,
            )
            assert result.rater_id is not None, "an enrolment names its rater"
            enrolment = await ledger.enrolment(result.rater_id)
        except LedgerError as refusal:
            return error_of(refusal)
        answered_at(info.context.response, result.last_position)
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
    async def submit_rating(
        self, info: Info[Context, None], input: SubmitRatingInput
    ) -> ArticleResult:
        return await _change_article(
            info,
            lambda: command_of(SubmitRating, input, rater_id=_rater_id(info)),
            input.idempotency_key,
        )

    @strawberry.mutation(extensions=only(Raters))
    async def revise_rating(
        self, info: Info[Context, None], input: ReviseRatingInput
    ) -> ArticleResult:
        return await _change_article(
            info,
            lambda: command_of(ReviseRating, input, rater_id=_rater_id(info)),
            input.idempotency_key,
        )

    @strawberry.mutation(extensions=only(Raters))
    async def withdraw_rating(
        self, info: Info[Context, None], input: WithdrawRatingInput
    ) -> ArticleResult:
        return await _change_article(
            info,
            lambda: command_of(WithdrawRating, input, rater_id=_rater_id(info)),
            input.idempotency_key,
        )

    @strawberry.mutation(extensions=only(Subscribers))
    async def post_comment(
        self, info: Info[Context, None], input: PostCommentInput
    ) -> ArticleResult:
        return await _change_article(
            info,
            lambda: command_of(PostComment, input, author_id=_actor(info).id),
            input.idempotency_key,
        )

    @strawberry.mutation(extensions=only(Editors))
    async def hide_comment(
        self, info: Info[Context, None], input: HideCommentInput
    ) -> ArticleResult:
        return await _change_article(
            info, lambda: command_of(HideComment, input), input.idempotency_key
        )

    @strawberry.mutation(extensions=only(Editors))
    async def restore_comment(
        self, info: Info[Context, None], input: RestoreCommentInput
    ) -> ArticleResult:
        return await _change_article(
            info, lambda: command_of(RestoreComment, input), input.idempotency_key
        )

    @strawberry.mutation(
        extensions=only(Subscribers),
        description="Set or replace the caller's alert profile, whole (subscribers).",
    )
    async def set_alert_profile(
        self, info: Info[Context, None], input: SetAlertProfileInput
    ) -> AlertProfileResult:
        return await set_profile(info, input)

    @strawberry.mutation(
        extensions=only(Subscribers),
        description="Clear the caller's alert profile: no alert is due from then on.",
    )
    async def clear_alert_profile(
        self, info: Info[Context, None], input: ClearAlertProfileInput
    ) -> AlertProfileResult:
        return await clear_profile(info, input)

    @strawberry.mutation(
        extensions=only(Editors),
        description="Put a dead delivery back in the outbox, its attempts anew (editors).",
    )
    async def retry_delivery(
        self, info: Info[Context, None], input: RetryDeliveryInput
    ) -> RetryDeliveryResult:
        return await retry_delivery(info, input)

    @strawberry.mutation(
        extensions=only(Subscribers),
        description="A new secret for the caller's webhook signatures, shown this once.",
    )
    async def rotate_webhook_secret(
        self, info: Info[Context, None], input: RotateWebhookSecretInput
    ) -> RotateWebhookSecretResult:
        return await rotate_webhook_secret(info, input)

    @strawberry.mutation(
        extensions=only(Editors),
        description="Assign the disciplines an article is rated in, replacing the last "
        "assignment; rating requests go to raters of each, in the same change (editors).",
    )
    async def assign_disciplines(
        self, info: Info[Context, None], input: AssignDisciplinesInput
    ) -> ArticleResult:
        # A tuple: left empty, it equals the command's default, so the fingerprint of an
        # assignment without author raters stays what it was before they existed.
        def make() -> Command:
            authors = None if input.author_raters is None else tuple(input.author_raters)
            return command_of(AssignDisciplines, input, author_raters=authors)

        return await _change_article(info, make, input.idempotency_key)

    @strawberry.mutation(
        extensions=only(RatersAndEditors),
        description="A rater's populations and monthly request limit (the rater, or an editor).",
    )
    async def set_rater_profile(
        self, info: Info[Context, None], input: RaterProfileInput
    ) -> RaterProfileResult:
        return await set_rater_profile(info, input)

    @strawberry.mutation(
        extensions=only(RatersAndEditors),
        description="The rater receives no new requests until resumed (the rater, or an editor).",
    )
    async def pause_rating_requests(
        self, info: Info[Context, None], input: RaterProfileInput
    ) -> RaterProfileResult:
        return await toggle_requests(info, input, pause=True)

    @strawberry.mutation(extensions=only(RatersAndEditors))
    async def resume_rating_requests(
        self, info: Info[Context, None], input: RaterProfileInput
    ) -> RaterProfileResult:
        return await toggle_requests(info, input, pause=False)

    @strawberry.mutation(
        extensions=only(Editors),
        description="Expire every request past its due time and ask others in their place.",
    )
    async def expire_rating_requests(
        self, info: Info[Context, None], input: ExpireRatingRequestsInput
    ) -> ExpireRatingRequestsResult:
        return await expire_requests(info, input)
