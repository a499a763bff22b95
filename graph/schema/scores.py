"""The types of scoring: the rating form's scales, the score policy and a discipline's score."""

from __future__ import annotations

import strawberry

from graph.schema.vocabulary import Discipline
from ledger.domain import scores

__all__ = ["DisciplineScore", "RatingScale", "ScaleLabel", "ScorePolicy"]


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
    def of(cls, score: scores.DisciplineScore) -> DisciplineScore:
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
