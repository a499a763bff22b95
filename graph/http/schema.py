"""The schema, assembled: types, queries, mutations and the extensions that guard them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from functools import cache

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types.execution import ExecutionContext

from graph.http.guards import Admission, ErrorCodes, MaskUnexpected, code_errors, log_unexpected
from graph.http.limits import LimitsFirst, validation_rules
from graph.http.logging import OperationNameLogged
from graph.schema.facts import RecordFacts
from graph.schema.live_context import SubscriptionsOverWebSocket
from graph.schema.mutations import Mutation
from graph.schema.queries import Query
from graph.schema.subscriptions import Subscription
from graph.settings import Limits

__all__ = ["build_schema"]


class CloseReader(SchemaExtension):
    """The request's reading connection is given back when the operation is done."""

    async def on_operation(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        if context is None:
            yield
            return
        # Also when the operation is cancelled or fails: the shielded reads it began go on,
        # and only this ends their snapshot.
        async with context.reader.operation():
            yield


class EvidenceSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        code_errors(errors)
        # Refusals are the client's business; only what was not meant to happen is logged.
        log_unexpected(errors, execution_context)


def build_schema(*, production: bool = False, limits: Limits | None = None) -> strawberry.Schema:
    return _schema(production, limits or Limits())


@cache
def _schema(production: bool, limits: Limits) -> strawberry.Schema:
    """One schema per process and configuration: Strawberry's relay fields apply only once."""
    rules = validation_rules(limits, production=production)
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        CloseReader,
        # What the answer read, for the response cache.
        RecordFacts,
        OperationNameLogged,
        # A document seen before is neither parsed nor validated again. The limit rules are
        # built once: the validation cache is keyed by the rules, and new rule classes per
        # request would never hit it.
        lambda: ParserCache(maxsize=512),
        lambda: LimitsFirst(rules, limits.max_expanded_selections, maxsize=512),
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        ErrorCodes,
        Admission,
        MaskUnexpected,
        # After the admission's checks, whose refusal it raises for a subscription.
        SubscriptionsOverWebSocket,
    ]
    return EvidenceSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=True),
    )
