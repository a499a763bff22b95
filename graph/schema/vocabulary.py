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
    article_count: int = strawberry.field(description="How many articles carry the topic.")

    @classmethod
    async def many(cls, info: Info[Context, None], names: Iterable[str]) -> list[Topic]:
        names = list(names)
        counts = await info.context.loaders.topic_counts.load_many(names)
        return [
            cls(name=name, article_count=count) for name, count in zip(names, counts, strict=True)
        ]
