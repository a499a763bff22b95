"""The article and the caller: the schema's object types around them (scores, comments and
the vocabulary have modules of their own). Resolvers read through the request's loaders."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from graph.schema.comments import (
    HiddenComment,
    HiddenComments,
    HiddenCommentsResult,
    RaterComment,
    SubscriberComment,
)
from graph.schema.context import Context
from graph.schema.errors import BadInput
from graph.schema.permissions import Editors, only
from graph.schema.requests import (
    RatingRequest,
    RatingRequestsResult,
    my_requests,
    requests_of_article,
)
from graph.schema.scores import DisciplineScore, ScorePolicy
from graph.schema.vocabulary import Discipline, Topic
from ledger.domain.scores import counted
from ledger.read.articles import ArticleSummary, ArticleView
from ledger.read.articles import Citation as CitationRecord
from ledger.read.raters import rater_ratings

if TYPE_CHECKING:
    from graph.schema.alerts import AlertConnection, AlertProfile

__all__ = [
    "MAX_RELATED",
    "Article",
    "Citation",
    "Discipline",  # the vocabulary's, named here too: an article's and a rater's
    "Me",
    "MyRating",
    "Rater",
    "RatingVersion",
    "Retraction",
]

MAX_RELATED = 50


@strawberry.type
class Citation:
    title: str
    authors: list[str] = strawberry.field(description="In citation order.")
    journal: str
    journal_abbreviation: str | None
    published_on: date | None
    volume: str | None
    issue: str | None
    pages: str | None
    doi: str | None
    pmid: str | None
    publication_note: str | None = strawberry.field(description='E.g. "eCollection 2022".')
    line: str = strawberry.field(description="The citation as one line, MEDLINE style.")

    @classmethod
    def of(cls, citation: CitationRecord) -> Citation:
        return cls(
            title=citation.title,
            authors=list(citation.authors),
            journal=citation.journal,
            journal_abbreviation=citation.journal_abbreviation,
            published_on=date.fromisoformat(citation.published_on)
            if citation.published_on
            else None,
            volume=citation.volume,
            issue=citation.issue,
            pages=citation.pages,
            doi=citation.doi,
            pmid=citation.pmid,
            publication_note=citation.publication_note,
            line=citation.line,
        )


@strawberry.type(description="Why and when an article was retracted. It stays visible.")
class Retraction:
    reason: str
    retracted_at: datetime


@strawberry.type
class Rater:
    id: strawberry.ID
    discipline: Discipline


@strawberry.enum(description="Why a rating has no newsworthiness.")
class NewsworthinessAbsence(enum.Enum):
    NOT_ASKED = "not_asked"  # relevance 1 or 2
    DONT_KNOW = "dont_know"  # "I don't know if this is newsworthy"
    BEYOND_EXPERTISE = "beyond_expertise"  # no relevance either


def _absence(reason: str | None) -> NewsworthinessAbsence | None:
    return None if reason is None else NewsworthinessAbsence(reason)


@strawberry.type
class RatingVersion:
    kind: str = strawberry.field(description="submitted, revised or withdrawn")
    relevance: int | None
    newsworthiness: int | None
    comment: str | None
    recorded_at: datetime
    position: int
    newsworthiness_absent: NewsworthinessAbsence | None = strawberry.field(
        default=None, description="Why newsworthiness is null (null: given, or withdrawn)."
    )

    @strawberry.field(description="The rater answered that it is beyond their expertise.")
    def beyond_expertise(self) -> bool:
        return self.newsworthiness_absent is NewsworthinessAbsence.BEYOND_EXPERTISE


@strawberry.type(description="One of the caller's ratings, with every version of it.")
class MyRating:
    id: strawberry.ID
    article: Article | None
    withdrawn: bool
    relevance: int | None
    newsworthiness: int | None
    comment: str | None
    history: list[RatingVersion]
    newsworthiness_absent: NewsworthinessAbsence | None = strawberry.field(
        default=None, description="Why newsworthiness is null (null: given, or withdrawn)."
    )

    @strawberry.field(description="The rater answered that it is beyond their expertise.")
    def beyond_expertise(self) -> bool:
        return self.newsworthiness_absent is NewsworthinessAbsence.BEYOND_EXPERTISE


_ALERTS = strawberry.lazy("graph.schema.alerts")


@strawberry.type(description="The caller, as their token says.")
class Me:
    id: str
    role: str
    rater: Rater | None

    @strawberry.field(description="A subscriber's own alert profile (none: no alerts).")
    async def alert_profile(
        self, info: Info[Context, None]
    ) -> Annotated[AlertProfile, _ALERTS] | None:
        from graph.schema.alerts import my_alert_profile

        return await my_alert_profile(info, self.id) if self.role == "subscriber" else None

    @strawberry.field(description="A subscriber's own due alerts, newest first.")
    async def alerts(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Annotated[AlertConnection, _ALERTS]:
        from graph.schema.alerts import my_alerts

        # Keyed on the caller alone: nobody can ask for another's alerts.
        subscriber_id = self.id if self.role == "subscriber" else ""
        return await my_alerts(info, subscriber_id, first, after)

    @strawberry.field(
        description="A rater's queue: their open rating requests, oldest first, each with "
        "its article and due date."
    )
    async def rating_requests(self, info: Info[Context, None]) -> list[RatingRequest]:
        return await my_requests(info, str(self.rater.id)) if self.rater is not None else []

    @strawberry.field(description="A rater's own ratings, newest first, withdrawn ones too.")
    async def ratings(self, info: Info[Context, None]) -> list[MyRating]:
        if self.rater is None:
            return []
        rater_id = str(self.rater.id)
        found = await info.context.reader.run(lambda conn: rater_ratings(conn, rater_id))
        articles = await info.context.loaders.articles.load_many([r.article_id for r in found])
        return [
            MyRating(
                id=strawberry.ID(rating.rating_id),
                article=Article.of(summary) if summary is not None else None,
                withdrawn=rating.current.kind == "withdrawn",
                relevance=rating.current.relevance,
                newsworthiness=rating.current.newsworthiness,
                comment=rating.current.comment,
                newsworthiness_absent=_absence(rating.current.newsworthiness_absent),
                history=[
                    RatingVersion(
                        kind=v.kind,
                        relevance=v.relevance,
                        newsworthiness=v.newsworthiness,
                        comment=v.comment,
                        recorded_at=v.recorded_at,
                        position=v.position,
                        newsworthiness_absent=_absence(v.newsworthiness_absent),
                    )
                    for v in rating.versions
                ],
            )
            for rating, summary in zip(found, articles, strict=True)
        ]


@strawberry.type(description="A clinical research article registered for rating.")
class Article(relay.Node):
    article_id: relay.NodeID[str]
    summary: strawberry.Private[ArticleSummary]
    # Set for an article read "as of" a time or version: its lists come from there.
    past: strawberry.Private[ArticleView | None] = None

    @strawberry.field(
        name="articleId", description="The short id, as used in URLs and in `article(id:)`."
    )
    def short_id(self) -> strawberry.ID:
        return strawberry.ID(self.article_id)

    @strawberry.field
    def citation(self) -> Citation:
        return Citation.of(self.summary.citation)

    @strawberry.field
    def study_type(self) -> str:
        return self.summary.study_type

    @strawberry.field(name="abstract")
    def abstract_text(self) -> str:
        return self.summary.abstract

    @strawberry.field
    def retracted(self) -> bool:
        return self.summary.retracted

    @strawberry.field(
        description="Why and when the article was retracted; null while it is not. A "
        "retracted article's ratings and comments can no longer change, and its scores meet "
        "no threshold."
    )
    async def retraction(self, info: Info[Context, None]) -> Retraction | None:
        if not self.summary.retracted:
            return None
        found = await info.context.loaders.retractions.load(self.id_)
        assert found is not None, "a retracted article's stream holds its retraction"
        return Retraction(reason=found.reason, retracted_at=found.retracted_at)

    @strawberry.field(description="The article stream's version this view reflects.")
    def version(self) -> int:
        return self.summary.version

    @strawberry.field
    def registered_at(self) -> datetime:
        return self.summary.registered_at

    @strawberry.field
    async def topics(self, info: Info[Context, None]) -> list[Topic]:
        names = self.past.topics if self.past else await info.context.loaders.topics.load(self.id_)
        return await Topic.many(info, names)

    @strawberry.field
    async def discipline_scores(self, info: Info[Context, None]) -> list[DisciplineScore]:
        scores = (
            self.past.discipline_scores
            if self.past
            else await info.context.loaders.scores.load(self.id_)
        )
        retracted = self.summary.retracted
        return [DisciplineScore.of(counted(score, retracted=retracted)) for score in scores]

    @strawberry.field(description="When a score shows and when it meets the threshold.")
    def score_policy(self, info: Info[Context, None]) -> ScorePolicy:
        return ScorePolicy.of(info.context.services.settings.score_policy)

    @strawberry.field
    async def rater_comments(self, info: Info[Context, None]) -> list[RaterComment]:
        comments = (
            self.past.rater_comments
            if self.past
            else await info.context.loaders.rater_comments.load(self.id_)
        )
        return [
            RaterComment(
                discipline=Discipline(name=c.discipline), body=c.body, posted_at=c.posted_at
            )
            for c in comments
        ]

    @strawberry.field(description="Visible comments; an empty list means nobody commented yet.")
    async def subscriber_comments(self, info: Info[Context, None]) -> list[SubscriberComment]:
        loaders = info.context.loaders
        comments = (
            self.past.subscriber_comments
            if self.past
            else await loaders.subscriber_comments.load(self.id_)
        )
        names = await loaders.display_names.load_many([c.author_id for c in comments])
        return [
            SubscriberComment(
                id=strawberry.ID(c.comment_id),
                author=name or "Subscriber",
                body=c.body,
                posted_at=c.posted_at,
            )
            for c, name in zip(comments, names, strict=True)
        ]

    @strawberry.field(
        description="Comments editors have hidden, with why, by whom and when, as they are "
        "now (editors only; the public never sees them).",
        extensions=only(Editors),
    )
    async def hidden_comments(self, info: Info[Context, None]) -> HiddenCommentsResult:
        found = await info.context.loaders.hidden_comments.load(self.id_)
        return HiddenComments(comments=await HiddenComment.many(info, found))

    @strawberry.field(
        description="Who was asked to rate the article, when, by when, and whether they "
        "answered (editors only).",
        extensions=only(Editors),
    )
    async def rating_requests(self, info: Info[Context, None]) -> RatingRequestsResult:
        return await requests_of_article(info, self.id_)

    @strawberry.field(
        description="Articles sharing topics, retracted ones left out: most shared first, "
        "then newest."
    )
    async def related_articles(self, info: Info[Context, None], first: int = 5) -> list[Article]:
        if not 0 <= first <= MAX_RELATED:
            raise BadInput(f"`first` must be from 0 to {MAX_RELATED}", "first")
        ids = await info.context.loaders.related.load((self.id_, first))
        return await Article.load_many(info, ids)

    @property
    def id_(self) -> str:
        return self.article_id

    @classmethod
    def of(cls, summary: ArticleSummary) -> Article:
        return cls(article_id=summary.article_id, summary=summary)

    @classmethod
    def of_past(cls, view: ArticleView) -> Article:
        return cls(article_id=view.article_id, summary=view.summary, past=view)

    @classmethod
    async def load_many(cls, info: Info[Context, None], ids: list[str]) -> list[Article]:
        summaries = await info.context.loaders.articles.load_many(ids)
        return [cls.of(summary) for summary in summaries if summary is not None]

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info[Context, None], node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        summaries = await info.context.loaders.articles.load_many(list(node_ids))
        return [cls.of(summary) if summary is not None else None for summary in summaries]
