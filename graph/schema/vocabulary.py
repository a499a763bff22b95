"""The vocabulary's types: disciplines and topics."""

from __future__ import annotations

from collections.abc import Iterable

import strawberry
from strawberry.types import Info

from graph.schema.context import Context

__all__ = ["Discipline", "Topic"]


@strawberry.type
class Discipline:
    name: str


@strawberry.type
class Topic:
    name: str
    # Known when the topic was listed with its count; an article's topics load it only when
    # asked (a count over the catalogue is a read of the whole ledger, not of the article).
    count: strawberry.Private[int | None] = None

    @strawberry.field(description="How many articles carry the topic.")
    async def article_count(self, info: Info[Context, None]) -> int:
        if self.count is not None:
            return self.count
        count: int = await info.context.loaders.topic_counts.load(self.name)
        return count

    @classmethod
    async def many(cls, info: Info[Context, None], names: Iterable[str]) -> list[Topic]:
        return [cls(name=name) for name in names]
