"""The browser side: the reader's page, GraphiQL from the package, CORS, the public feeds."""

from __future__ import annotations

from starlette.routing import BaseRoute

from graph.settings import Settings
from graph.web.cors import cors_middleware
from graph.web.graphiql import GraphQLWithGraphiQL, graphiql_routes
from graph.web.reader import reader_routes

__all__ = ["GraphQLWithGraphiQL", "cors_middleware", "web_routes"]


def web_routes(settings: Settings) -> list[BaseRoute]:
    """The reader's page always; GraphiQL's files only where the IDE is on (not production)."""
    routes = reader_routes()
    if not settings.production:
        routes += graphiql_routes()
    return routes
