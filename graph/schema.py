"""The schema, assembled: types, queries, mutations and the extensions that guard them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from functools import cache

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
    max_aliases,
    query_depth_limiter,
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


_LIMITS: list[type[ASTValidationRule]] = [
    query_depth_limiter.create_validator(MAX_DEPTH, None, None),
    max_aliases.create_validator(MAX_ALIASES),
]


def build_schema(*, production: bool = False) -> strawberry.Schema:
    return _schema(production)


@cache
def _schema(production: bool) -> strawberry.Schema:
    """One schema per process and flag: Strawberry's relay fields apply only once."""
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        CloseReader,
        # A document seen before is neither parsed nor validated again. The limit rules are
        # built once: the validation cache is keyed by the rules, and new rule classes per
        # request would never hit it.
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
        lambda: AddValidationRules(_LIMITS),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaskErrors(should_mask_error=_is_unexpected, error_message="Unexpected error."),
    ]
    if production:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(query=Query, mutation=Mutation, extensions=extensions)
