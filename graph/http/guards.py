"""Schema extensions that refuse an operation before any resolver runs, and code every error.

Refusals made here are GraphQL errors with a stable ``extensions.code``: the document's cost
(it needs the variables, so it is checked when execution would start, not in validation) and
the mutation rate. Errors graphql-core raises without a code (syntax, validation, variable
coercion) are given one, so a client can always switch on ``extensions.code``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    StringValueNode,
    VariableDefinitionNode,
    Visitor,
    visit,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.types.execution import ExecutionContext
from strawberry.types.graphql import OperationType

from graph.http.cost import operation_cost
from graph.http.unavailable import DATABASE_UNAVAILABLE, log_unavailable
from graph.schema.audit import MAX_PAGE as MAX_AUDIT_PAGE
from graph.schema.types import MAX_RELATED
from ledger.domain.validation import unstorable
from ledger.store.event_store import CommitUnknown
from ledger.store.unreachable import unreachable

if TYPE_CHECKING:
    from graph.schema.context import Context

__all__ = [
    "OUTCOME_UNKNOWN",
    "Admission",
    "ErrorCodes",
    "MaskUnexpected",
    "code_errors",
    "is_unexpected",
    "log_unexpected",
]

log = logging.getLogger("evidence_ledger.errors")

OUTCOME_UNKNOWN = (
    "The connection to the database ended while this write was being committed: it may have "
    "been made or not. Send it again with the same idempotencyKey to get its answer either "
    "way (the first answer if it was made); without a key, look before sending it again."
)

# Paged fields whose largest page is not the article list's.
PAGE_BOUNDS = {
    "relatedArticles": MAX_RELATED,
    "articleHistory": MAX_AUDIT_PAGE,
    "ledgerEvents": MAX_AUDIT_PAGE,
}


def _code(errors: list[GraphQLError] | None, code: str, *, only_pathless: bool = False) -> None:
    for error in errors or ():
        if (error.extensions or {}).get("code"):
            continue
        if only_pathless and (error.path is not None or is_unexpected(error)):
            continue
        error.extensions = {**(error.extensions or {}), "code": code}


class ErrorCodes(SchemaExtension):
    """Validation errors get the code Apollo Server gives them (known only in this phase)."""

    def on_validate(self) -> Iterator[None]:
        yield
        _code(self.execution_context.pre_execution_errors, "GRAPHQL_VALIDATION_FAILED")


def code_errors(errors: list[GraphQLError]) -> None:
    """Codes for what graphql-core raises uncoded: syntax, and the variables' coercion.

    Called for every error before masking; an error that has a code keeps it.
    """
    for error in errors:
        syntax = isinstance(error, GraphQLSyntaxError) or isinstance(
            error.original_error, GraphQLSyntaxError
        )
        if syntax:
            too_long = "tokens" in error.message
            _code([error], "TOKEN_LIMIT_EXCEEDED" if too_long else "GRAPHQL_PARSE_FAILED")
    # What remains without a path, and was meant, is a variable that did not coerce.
    _code(errors, "BAD_USER_INPUT", only_pathless=True)
    for error in errors:
        _name_the_variable(error)


def _name_the_variable(error: GraphQLError) -> None:
    """A variable that did not coerce (``2**31`` for an ``Int``) is named as ``$name``."""
    extensions = error.extensions or {}
    if extensions.get("code") != "BAD_USER_INPUT" or "argument" in extensions:
        return
    definition = error.nodes[0] if error.nodes else None
    if isinstance(definition, VariableDefinitionNode):
        error.extensions = {**extensions, "argument": f"${definition.variable.name.value}"}


def _request_id(execution_context: ExecutionContext) -> str | None:
    context = execution_context.context
    request = getattr(context, "request", None)
    state = getattr(request, "state", None)
    request_id = getattr(state, "request_id", None)
    return request_id if isinstance(request_id, str) else None


def _refuse(execution_context: ExecutionContext, error: GraphQLError) -> None:
    """Execution will not start: graphql-core's result is set in its place."""
    execution_context.result = GraphQLExecutionResult(data=None, errors=[error])


def _nested_values(value: object) -> Iterator[tuple[object, int]]:
    """Every key and value inside ``value``, with how many lists and objects hold it.

    Walked with a stack of its own, not by recursion: a small body can nest deeper than
    Python's recursion limit.
    """
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        yield item, depth
        if isinstance(item, dict):
            stack.extend((k, depth + 1) for k in item)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


def _variables_refusal(execution_context: ExecutionContext, limit: int) -> GraphQLError | None:
    """Variables nested deeper than any input of the schema: refused before anything reads them."""
    variables = execution_context.variables or {}
    # The variables' own object is depth 0: in `{"input": {"a": [1]}}` the list is 2 deep.
    too_deep = (
        isinstance(item, dict | list) and depth > limit for item, depth in _nested_values(variables)
    )
    if not any(too_deep):
        return None
    return GraphQLError(
        f"The variables nest more than {limit} lists and objects deep.",
        extensions={"code": "VARIABLES_TOO_DEEP", "limit": limit},
    )


def _holds_unstorable(value: object) -> bool:
    return any(
        isinstance(item, str) and unstorable(item) is not None for item, _ in _nested_values(value)
    )


def _unstorable_refusal(execution_context: ExecutionContext) -> GraphQLError | None:
    """Text no backend can store (NUL, a lone surrogate): refused for every argument.

    Checked here once for every argument (filters included), in the variables and in the
    document's string literals (``\u0000``), rather than in each resolver.
    """
    query = execution_context.query or ""
    # Escapes in the document's literals make them; the raw text is checked first, cheaply.
    in_document = ("\x00" in query or "\\u" in query) and any(
        unstorable(node.value) is not None
        for node in _string_values(execution_context.graphql_document)
    )
    if not in_document and not _holds_unstorable(execution_context.variables):
        return None
    return GraphQLError(
        "Text must not contain the NUL character (U+0000) or a lone surrogate.",
        extensions={"code": "BAD_USER_INPUT"},
    )


def _string_values(document: DocumentNode | None) -> list[StringValueNode]:
    found: list[StringValueNode] = []

    class Strings(Visitor):
        def enter_string_value(self, node: StringValueNode, *_: object) -> None:
            found.append(node)

    if document is not None:
        visit(document, Strings())
    return found


class Admission(SchemaExtension):
    """The variables' nesting, NUL characters, the cost and the mutation rate: with the
    variables known, before any run."""

    def on_execute(self) -> Iterator[None]:
        execution_context = self.execution_context
        context: Context | None = execution_context.context
        if context is not None:
            limits = context.services.settings.limits
            refusal = (
                _variables_refusal(execution_context, limits.max_variables_depth)
                or _unstorable_refusal(execution_context)
                or self._cost_refusal(execution_context, context)
                or self._rate_refusal(execution_context, context)
            )
            if refusal is not None:
                _refuse(execution_context, refusal)
        yield

    def _cost_refusal(
        self, execution_context: ExecutionContext, context: Context
    ) -> GraphQLError | None:
        document = execution_context.graphql_document
        if document is None:
            return None
        settings = context.services.settings
        name = execution_context.operation_name
        fragments: dict[str, FragmentDefinitionNode] = {}
        operations: list[OperationDefinitionNode] = []
        for definition in document.definitions:
            if isinstance(definition, FragmentDefinitionNode):
                fragments[definition.name.value] = definition
            elif isinstance(definition, OperationDefinitionNode) and (
                name is None or (definition.name and definition.name.value == name)
            ):
                operations.append(definition)
        if len(operations) != 1:
            return None  # graphql-core refuses an ambiguous or unknown operation itself
        variables: dict[str, Any] = execution_context.variables or {}
        cost = operation_cost(
            execution_context.schema._schema,
            operations[0],
            fragments,
            variables,
            default_page=settings.default_page_size,
            max_page=settings.max_page_size,
            page_bounds=PAGE_BOUNDS,
        )
        limit = settings.limits.max_cost
        if cost <= limit:
            return None
        return GraphQLError(
            f"The operation could return up to {cost} objects, more than the limit of {limit}: "
            "ask for smaller pages or fewer nested lists.",
            operations[0],
            extensions={"code": "COST_LIMIT_EXCEEDED", "cost": cost, "limit": limit},
        )

    def _rate_refusal(
        self, execution_context: ExecutionContext, context: Context
    ) -> GraphQLError | None:
        if execution_context.operation_type is not OperationType.MUTATION:
            return None
        principal = context.principal
        client = context.request.client
        retry_after = context.services.mutation_rates.admit(
            principal.token_id if principal is not None else None,
            client.host if client is not None else None,
        )
        if retry_after == 0:
            return None
        context.response.status_code = 429
        context.response.headers["Retry-After"] = str(retry_after)
        return GraphQLError(
            f"Too many mutations: try again in {retry_after} s.",
            extensions={"code": "RATE_LIMITED", "retryAfter": retry_after},
        )


def is_unexpected(error: GraphQLError) -> bool:
    """Everything but errors raised on purpose (GraphQL's own and ``BadInput``)."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def log_unexpected(errors: list[GraphQLError], execution_context: ExecutionContext | None) -> None:
    """The trace of an unexpected error, with the request id its client was given; one line
    without a trace for the database's state (out of reach, or a commit's outcome unknown)."""
    request_id = _request_id(execution_context) if execution_context is not None else None
    for error in errors:
        if not is_unexpected(error):
            continue
        original = error.original_error
        assert original is not None
        if unreachable(original):  # the database's state, not a fault here: no trace
            log_unavailable(request_id, original)
            continue
        if isinstance(original, CommitUnknown):  # the same: a connection lost at the commit
            said = {"request_id": request_id, "commit_outcome_unknown": error.path}
            log.warning(json.dumps(said))
            continue
        log.error(
            json.dumps(
                {
                    "request_id": request_id,
                    "error": type(original).__name__,
                    "path": error.path,
                    "operation": execution_context.operation_name if execution_context else None,
                }
            ),
            exc_info=(type(original), original, original.__traceback__),
        )


class MaskUnexpected(MaskErrors):
    """ "Unexpected error." for the client, with the request id that finds its trace in the log."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message="Unexpected error.")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        code = "INTERNAL_SERVER_ERROR"
        original = error.original_error
        # Not faults to hide: the client must learn that its write may have been made, or
        # that the database cannot be reached and a retry may be answered.
        if isinstance(original, CommitUnknown):
            masked.message, code = OUTCOME_UNKNOWN, "COMMIT_OUTCOME_UNKNOWN"
        elif original is not None and unreachable(original):
            masked.message, code = DATABASE_UNAVAILABLE, "DATABASE_UNAVAILABLE"
        masked.extensions = {"code": code, "requestId": _request_id(self.execution_context)}
        return masked
