"""The schema, assembled: types, queries, mutations and the extensions that guard them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from functools import cache

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from graph.mutations import Mutation
from graph.queries import Query

__all__ = ["build_schema"]

MAX_DEPTH = 8
MAX_ALIASES = 15
MAX_TOKENS = 1000


class CloseReader(SchemaExtension):
    """The request's reading connection is given back when the operation is done."""

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        if context is not None:
            await context.reader.close()


def _is_unexpected(error: GraphQLError) -> bool:
    """Mask everything but errors raised on purpose (GraphQL's own and ``BadInput``)."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def build_schema(*, production: bool = False) -> strawberry.Schema:
    return _schema(production)


@cache
def _schema(production: bool) -> strawberry.Schema:
    """One schema per process and flag: Strawberry's relay fields apply only once."""
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        CloseReader,
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaskErrors(should_mask_error=_is_unexpected, error_message="Unexpected error."),
    ]
    if production:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(query=Query, mutation=Mutation, extensions=extensions)
