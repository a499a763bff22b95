"""Rating requests in the API: a rater's queue, an article's requests (editors), a rater's
profile, and the mutations that assign disciplines, set a profile, pause, resume and expire.

Resolvers are thin: each builds a command (``ledger.domain.commands``) or reads
``ledger.read.requests``, and answers a payload or a typed error.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from graph.schema.context import Context
from graph.schema.errors import Conflict, NotAllowed, NotFound, ValidationError, error_of
from graph.schema.position_header import answered_at
from graph.schema.vocabulary import Discipline
from ledger.domain.commands import (
    Command,
    PauseRatingRequests,
    ResumeRatingRequests,
    SetRaterProfile,
)
from ledger.domain.errors import LedgerError, ValidationFailed
from ledger.domain.requests import RaterProfile as Profile
from ledger.read.requests import RequestView, article_requests, rater_profile, rater_queue
from ledger.store.records import Actor

if TYPE_CHECKING:
    from graph.schema.types import Article

__all__ = [
    "ExpireRatingRequestsInput",
    "ExpireRatingRequestsResult",
    "RaterProfileInput",
    "RaterProfileResult",
    "RatingRequest",
    "RatingRequestsResult",
    "RequestStatus",
    "expire_requests",
    "my_requests",
    "requests_of_article",
    "set_rater_profile",
    "toggle_requests",
]

KEY = "Send the same key again to retry safely: the first answer is repeated."
_TYPES = strawberry.lazy("graph.schema.types")


@strawberry.enum(description="Where a rating request stands.")
class RequestStatus(enum.Enum):
    OPEN = "open"
    ANSWERED = "answered"  # rated, or answered "beyond my expertise"
    EXPIRED = "expired"  # not answered by its due time; another rater was asked
    # Its discipline was taken from the article, or its rater named among the authors.
    CANCELLED = "cancelled"


@strawberry.type(description="A request to a rater to rate an article in their discipline.")
class RatingRequest:
    id: strawberry.ID
    rater_id: strawberry.ID
    discipline: Discipline
    requested_at: datetime
    due: datetime
    status: RequestStatus
    article_id: strawberry.Private[str]

    @strawberry.field
    async def article(self, info: Info[Context, None]) -> Annotated[Article, _TYPES] | None:
        from graph.schema.types import Article

        summary = await info.context.loaders.articles.load(self.article_id)
        return Article.of(summary) if summary is not None else None

    @classmethod
    def of(cls, view: RequestView) -> RatingRequest:
        return cls(
            id=strawberry.ID(view.request_id),
            rater_id=strawberry.ID(view.rater_id),
            discipline=Discipline(name=view.discipline),
            requested_at=datetime.fromisoformat(view.requested_at),
            due=datetime.fromisoformat(view.due),
            status=RequestStatus(view.status),
            article_id=view.article_id,
        )


@strawberry.type(description="The requests made for an article, in the order they were made.")
class ArticleRatingRequests:
    requests: list[RatingRequest]


RatingRequestsResult = Annotated[
    ArticleRatingRequests | NotAllowed, strawberry.union("ArticleRatingRequestsResult")
]


@strawberry.type(description="A rater's profile: what rating requests they receive.")
class RaterProfile:
    rater_id: strawberry.ID
    discipline: Discipline
    populations: list[str]
    monthly_limit: int
    paused: bool

    @classmethod
    def of(cls, profile: Profile) -> RaterProfile:
        return cls(
            rater_id=strawberry.ID(profile.rater_id),
            discipline=Discipline(name=profile.discipline),
            populations=list(profile.populations),
            monthly_limit=profile.monthly_limit,
            paused=profile.paused,
        )


@strawberry.type
class RaterProfilePayload:
    profile: RaterProfile
    position: int
    replayed: bool


Errors = ValidationError | NotFound | NotAllowed | Conflict
RaterProfileResult = Annotated[RaterProfilePayload | Errors, strawberry.union("RaterProfileResult")]


@strawberry.input
class RaterProfileInput:
    rater_id: strawberry.ID | None = strawberry.field(
        default=None, description="Editors name the rater; a rater changes only their own."
    )
    populations: list[str] | None = strawberry.field(
        default=None, description="The patient populations they rate for; left out: kept."
    )
    monthly_limit: int | None = strawberry.field(
        default=None, description="Requests a month, 1 to 99 (4 until set); left out: kept."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.input
class ExpireRatingRequestsInput:
    idempotency_key: str | None = strawberry.field(default=None, description=KEY)


@strawberry.type(description="The articles whose overdue requests expired and were replaced.")
class ExpireRatingRequestsPayload:
    articles: list[Annotated[Article, _TYPES]]
    position: int = strawberry.field(description="The ledger position after the expiry.")


ExpireRatingRequestsResult = Annotated[
    ExpireRatingRequestsPayload | Errors, strawberry.union("ExpireRatingRequestsResult")
]


def _actor(info: Info[Context, None]) -> Actor:
    principal = info.context.principal
    assert principal is not None, "permissions admit only callers with a token"
    return Actor(principal.id, principal.role)


def _whose(info: Info[Context, None], named: strawberry.ID | None) -> str:
    """The rater a profile command is about: a rater's own (naming another is not allowed),
    or the one an editor names."""
    principal = info.context.principal
    assert principal is not None, "permissions admit only callers with a token"
    if principal.role == "rater":
        own = str(principal.rater_id)
        if named is not None and str(named) != own:
            raise PermissionError("a rater changes only their own profile")
        return own
    if named is None:
        raise ValidationFailed("rater_id", "name the rater whose profile to change")
    return str(named)


async def _on_profile(
    info: Info[Context, None], make: type[Command] | None, input: RaterProfileInput
) -> RaterProfileResult:
    try:
        rater_id = _whose(info, input.rater_id)
        command: Command = (
            SetRaterProfile(rater_id, input.populations, input.monthly_limit)
            if make is None
            else make(rater_id)  # type: ignore[call-arg]
        )
        result = await info.context.services.ledger.execute(
            command, actor=_actor(info), idempotency_key=input.idempotency_key
        )
    except PermissionError as refusal:
        return NotAllowed(message=str(refusal), code="NOT_ALLOWED")
    except LedgerError as refusal:
        return error_of(refusal)
    answered_at(info.context.response, result.last_position)
    await info.context.after_write()
    profile = await info.context.reader.run(lambda conn: rater_profile(conn, rater_id))
    assert profile is not None, "the profile moves in the append's transaction"
    return RaterProfilePayload(
        profile=RaterProfile.of(profile), position=result.last_position, replayed=result.replayed
    )


async def set_rater_profile(
    info: Info[Context, None], input: RaterProfileInput
) -> RaterProfileResult:
    return await _on_profile(info, None, input)


async def toggle_requests(
    info: Info[Context, None], input: RaterProfileInput, *, pause: bool
) -> RaterProfileResult:
    return await _on_profile(info, PauseRatingRequests if pause else ResumeRatingRequests, input)


async def expire_requests(
    info: Info[Context, None], input: ExpireRatingRequestsInput
) -> ExpireRatingRequestsResult:
    from graph.schema.types import Article

    ledger = info.context.services.ledger
    try:
        done = await ledger.expire_requests(
            actor=_actor(info), idempotency_key=input.idempotency_key
        )
    except LedgerError as refusal:
        return error_of(refusal)
    position = (await ledger.store.head()).position
    answered_at(info.context.response, position)
    await info.context.after_write()
    ids = [r.article_id for r in done if r.article_id is not None]
    return ExpireRatingRequestsPayload(
        articles=await Article.load_many(info, ids), position=position
    )


async def my_requests(info: Info[Context, None], rater_id: str) -> list[RatingRequest]:
    found = await info.context.reader.run(lambda conn: rater_queue(conn, rater_id))
    return [RatingRequest.of(view) for view in found]


async def requests_of_article(info: Info[Context, None], article_id: str) -> RatingRequestsResult:
    found = await info.context.reader.run(lambda conn: article_requests(conn, article_id))
    return ArticleRatingRequests(requests=[RatingRequest.of(view) for view in found])
