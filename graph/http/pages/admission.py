"""Whether the general executor would admit a known document under this app's limits: the
fast path answers a document only where the executor would answer it (a deployment may set
limits that refuse it: depth, aliases, cost, tokens)."""

from __future__ import annotations

from graphql import OperationDefinitionNode, parse, specified_rules, validate

from graph.http.cost import operation_cost
from graph.http.guards import PAGE_BOUNDS
from graph.http.limits import count_tokens, validation_rules
from graph.http.schema import build_schema
from graph.settings import Settings

__all__ = ["admitted"]


def admitted(document: str, settings: Settings) -> bool:
    """Whether ``document`` (with no page-size variable) passes every limit of ``settings``."""
    limits = settings.limits
    if len(document) > limits.max_document_chars or count_tokens(document) > limits.max_tokens:
        return False
    schema = build_schema(production=settings.production, limits=limits)._schema
    parsed = parse(document)
    rules = (*specified_rules, *validation_rules(limits, production=settings.production))
    if validate(schema, parsed, rules):
        return False
    [operation] = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    cost = operation_cost(
        schema,
        operation,
        {},
        {},
        default_page=settings.default_page_size,
        max_page=settings.max_page_size,
        page_bounds=PAGE_BOUNDS,
    )
    return cost <= limits.max_cost
