"""GraphiQL from the package: the page at ``/graphql`` and its scripts and styles.

Strawberry's own page loads React and GraphiQL from a CDN, so it never starts on a machine
without internet; this one loads them from ``/graphiql/static/`` and may fetch nothing but
this server, as its content security policy says.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount

from graph.http.view import EvidenceGraphQL
from graph.web.assets import PageAssets

__all__ = ["GRAPHIQL_POLICY", "GraphQLWithGraphiQL", "graphiql_routes"]

ASSETS = Path(__file__).parent / "graphiql"
STATIC_PATH = "/graphiql/static"
# GraphiQL's editors set inline styles and its stylesheet embeds fonts and icons as data URLs;
# scripts come only from this server, and the page talks only to it.
GRAPHIQL_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self' data:",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)


@cache
def _page() -> str:
    return (ASSETS / "graphiql.html").read_text(encoding="utf-8")


class GraphQLWithGraphiQL(EvidenceGraphQL):
    """The GraphQL view, answering a browser's visit with the packaged GraphiQL."""

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(
            _page(),
            headers={
                "Content-Security-Policy": GRAPHIQL_POLICY,
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
            },
        )


def graphiql_routes() -> list[BaseRoute]:
    return [Mount(STATIC_PATH, app=PageAssets(directory=ASSETS), name="graphiql-static")]
