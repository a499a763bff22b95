"""The object types of the schema. Resolvers read through the request's loaders."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from graph.schema.errors import NotAllowed
from graph.schema.ids import BadInput
from graph.schema.permissions import Editors, only
from ledger.domain import scores
from ledger.domain.scores import DisciplineScore as Score
from ledger.domain.scores import counted
from ledger.read import moderation, queries

__all__ = [
    "Article",
    "Citation",
    "Discipline",
    "DisciplineScore",
    "HiddenComment",
    "HiddenComments",
    "Me",
    "MyRating",
    "Rater",
    "RaterComment",
    "RatingScale",
    "Retraction",
    "ScaleLabel",
    "ScorePolicy",
    "SubscriberComment",
    "Topic",
]

MAX_RELATED = 50


@strawberry.type
class Discipline:
    name: str


@strawberry.type
class Topic:
    name: str
    article_count: int = strawberry.field(description="How many articles carry the topic.")

    @classmethod
    async def many(cls, info: Info, names: Iterable[str]) -> list[Topic]:
        names = list(names)
        counts = await info.context.loaders.topic_counts.load_many(names)
        return [
            cls(name=name, article_count=count) for name, count in zip(names, counts, strict=True)
        ]


@strawberry.type(description="One point of a rating scale and its words on the rating form.")
class ScaleLabel:
    value: int
    label: str


@strawberry.type(description="A scale of the rating form, its labels from 7 down to 1.")
class RatingScale:
    name: str = strawberry.field(description="relevance or newsworthiness")
    question: str
    labels: list[ScaleLabel]

    @classmethod
    def of(cls, scale: scores.RatingScale) -> RatingScale:
        return cls(
            name=scale.name,
            question=scale.question,
            labels=[ScaleLabel(value=x.value, label=x.label) for x in scale.labels],
        )


@strawberry.type(description="When a discipline's score shows and when it meets the threshold.")
class ScorePolicy:
    min_ratings: int = strawberry.field(
        description="Active ratings a discipline needs before its score shows."
    )
    min_ratings_for_threshold: int
    relevance_threshold: float = strawberry.field(
        description="Mean relevance (at least) that meets the threshold."
    )
    newsworthiness_threshold: float = strawberry.field(
        description="Mean newsworthiness (at least) that meets the threshold."
    )
    out_of: int

    @classmethod
    def of(cls, policy: scores.ScorePolicy) -> ScorePolicy:
        return cls(
            min_ratings=policy.min_ratings_for_score,
            min_ratings_for_threshold=policy.min_ratings_for_threshold,
            relevance_threshold=float(policy.relevance_threshold),
            newsworthiness_threshold=float(policy.newsworthiness_threshold),
            out_of=scores.OUT_OF,
        )


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
    def of(cls, citation: queries.Citation) -> Citation:
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


@strawberry.type(description="A discipline's area score of an article, from active ratings.")
class DisciplineScore:
    discipline: Discipline
    score: int | None = strawberry.field(
        description="Mean relevance rounded half up; null until enough ratings."
    )
    out_of: int
    relevance: float = strawberry.field(description="Mean relevance, unrounded.")
    newsworthiness: float = strawberry.field(description="Mean newsworthiness, unrounded.")
    rating_count: int
    meets_threshold: bool
    missing_ratings: int = strawberry.field(
        description="Active ratings still needed before `score` shows; 0 once it does."
    )

    @classmethod
    def of(cls, score: Score) -> DisciplineScore:
        return cls(
            discipline=Discipline(name=score.discipline),
            score=score.score,
            out_of=score.out_of,
            relevance=float(score.relevance),
            newsworthiness=float(score.newsworthiness),
            rating_count=score.rating_count,
            meets_threshold=score.meets_threshold,
            missing_ratings=score.missing_ratings,
        )


@strawberry.type(description="A rater's comment, shown by discipline only.")
class RaterComment:
    discipline: Discipline
    body: str
    posted_at: datetime


@strawberry.type
class SubscriberComment:
    id: strawberry.ID
    author: str = strawberry.field(description="The subscriber's display name.")
    body: str = strawberry.field(description="Plain text, exactly as written; never HTML.")
    posted_at: datetime


@strawberry.type(description="A hidden subscriber comment, as editors moderate it.")
class HiddenComment:
    id: strawberry.ID
    article_id: strawberry.ID = strawberry.field(description="The article's short id.")
    author: str = strawberry.field(description="The subscriber's display name.")
    body: str
    posted_at: datetime
    hide_reason: str = strawberry.field(description="Why it was hidden (the latest hiding).")
    hidden_by: str = strawberry.field(description="The editor who hid it.")
    hidden_at: datetime

    @classmethod
    async def many(
        cls, info: Info, found: Iterable[moderation.HiddenComment]
    ) -> list[HiddenComment]:
        found = list(found)
        loader = info.context.loaders.display_names
        names = await loader.load_many([h.comment.author_id for h in found])
        return [
            cls(
                id=strawberry.ID(h.comment.comment_id),
                article_id=strawberry.ID(h.article_id),
                author=name or "Subscriber",
                body=h.comment.body,
                posted_at=h.comment.posted_at,
                hide_reason=h.hiding.reason,
                hidden_by=h.hiding.hidden_by,
                hidden_at=h.hiding.hidden_at,
            )
            for h, name in zip(found, names, strict=True)
        ]


@strawberry.type(description="An article's hidden comments, oldest first (editors).")
class HiddenComments:
    comments: list[HiddenComment]


HiddenCommentsResult = Annotated[
    HiddenComments | NotAllowed, strawberry.union("ArticleHiddenCommentsResult")
]


@strawberry.type(description="Why and when an article was retracted. It stays visible.")
class Retraction:
    reason: str
    retracted_at: datetime


@strawberry.type
class Rater:
    id: strawberry.ID
    discipline: Discipline


@strawberry.type
class RatingVersion:
    kind: str = strawberry.field(description="submitted, revised or withdrawn")
    relevance: int | None
    newsworthiness: int | None
    comment: str | None
    recorded_at: datetime
    position: int


@strawberry.type(description="One of the caller's ratings, with every version of it.")
class MyRating:
    id: strawberry.ID
    article: Article | None
    withdrawn: bool
    relevance: int | None
    newsworthiness: int | None
    comment: str | None
    history: list[RatingVersion]


@strawberry.type(description="The caller, as their token says.")
class Me:
    id: str
    role: str
    rater: Rater | None

    @strawberry.field(description="A rater's own ratings, newest first, withdrawn ones too.")
    async def ratings(self, info: Info) -> list[MyRating]:
        if self.rater is None:
            return []
        rater_id = str(self.rater.id)
        found = await info.context.reader.run(lambda conn: queries.rater_ratings(conn, rater_id))
        articles = await info.context.loaders.articles.load_many([r.article_id for r in found])
        return [
            MyRating(
                id=strawberry.ID(rating.rating_id),
                article=Article.of(summary) if summary is not None else None,
                withdrawn=rating.current.kind == "withdrawn",
                relevance=rating.current.relevance,
                newsworthiness=rating.current.newsworthiness,
                comment=rating.current.comment,
                history=[
                    RatingVersion(
                        kind=v.kind,
                        relevance=v.relevance,
                        newsworthiness=v.newsworthiness,
                        comment=v.comment,
                        recorded_at=v.recorded_at,
                        position=v.position,
                    )
                    for v in rating.versions
                ],
            )
            for rating, summary in zip(found, articles, strict=True)
        ]


@strawberry.type(description="A clinical research article registered for rating.")
class Article(relay.Node):
    article_id: relay.NodeID[str]
    summary: strawberry.Private[queries.ArticleSummary]
    # Set for an article read "as of" a time or version: its lists come from there.
    past: strawberry.Private[queries.ArticleView | None] = None

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
    async def retraction(self, info: Info) -> Retraction | None:
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
    async def topics(self, info: Info) -> list[Topic]:
        names = self.past.topics if self.past else await info.context.loaders.topics.load(self.id_)
        return await Topic.many(info, names)

    @strawberry.field
    async def discipline_scores(self, info: Info) -> list[DisciplineScore]:
        scores = (
            self.past.discipline_scores
            if self.past
            else await info.context.loaders.scores.load(self.id_)
        )
        retracted = self.summary.retracted
        return [DisciplineScore.of(counted(score, retracted=retracted)) for score in scores]

    @strawberry.field(description="When a score shows and when it meets the threshold.")
    def score_policy(self, info: Info) -> ScorePolicy:
        return ScorePolicy.of(info.context.services.settings.score_policy)

    @strawberry.field
    async def rater_comments(self, info: Info) -> list[RaterComment]:
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
    async def subscriber_comments(self, info: Info) -> list[SubscriberComment]:
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
    async def hidden_comments(self, info: Info) -> HiddenCommentsResult:
        found = await info.context.loaders.hidden_comments.load(self.id_)
        return HiddenComments(comments=await HiddenComment.many(info, found))

    @strawberry.field(
        description="Articles sharing topics, retracted ones left out: most shared first, "
        "then newest."
    )
    async def related_articles(self, info: Info, first: int = 5) -> list[Article]:
        if not 0 <= first <= MAX_RELATED:
            raise BadInput(f"`first` must be from 0 to {MAX_RELATED}", "first")
        ids = await info.context.loaders.related.load((self.id_, first))
        return await Article.load_many(info, ids)

    @property
    def id_(self) -> str:
        return self.article_id

    @classmethod
    def of(cls, summary: queries.ArticleSummary) -> Article:
        return cls(article_id=summary.article_id, summary=summary)

    @classmethod
    def of_past(cls, view: queries.ArticleView) -> Article:
        return cls(article_id=view.article_id, summary=view.summary, past=view)

    @classmethod
    async def load_many(cls, info: Info, ids: list[str]) -> list[Article]:
        summaries = await info.context.loaders.articles.load_many(ids)
        return [cls.of(summary) for summary in summaries if summary is not None]

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        summaries = await info.context.loaders.articles.load_many(list(node_ids))
        return [cls.of(summary) if summary is not None else None for summary in summaries]
