"""The types of comments: raters' (by discipline only), subscribers', and hidden ones."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from graph.schema.context import Context
from graph.schema.errors import NotAllowed
from graph.schema.vocabulary import Discipline
from ledger.read import moderation

__all__ = [
    "HiddenComment",
    "HiddenComments",
    "HiddenCommentsResult",
    "RaterComment",
    "SubscriberComment",
]


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
        cls, info: Info[Context, None], found: Iterable[moderation.HiddenComment]
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
