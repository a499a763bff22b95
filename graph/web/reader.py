"""The reader's page: the article list at ``/`` and each article at ``/articles/{id}``.

One HTML page, a stylesheet and a small script, shipped with the package (no build step);
the script draws each page from one GraphQL query to ``/graphql``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from graph.web.assets import PageAssets

__all__ = ["READER_POLICY", "reader_routes"]

ASSETS = Path(__file__).parent / "reader"
STATIC_PATH = "/reader/static"
READER_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


@cache
def _page() -> str:
    return (ASSETS / "index.html").read_text(encoding="utf-8")


async def reader_page(request: Request) -> Response:
    # The same page for the list and every article: the script reads the path.
    return HTMLResponse(
        _page(),
        headers={
            "Content-Security-Policy": READER_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
        },
    )


def reader_routes() -> list[BaseRoute]:
    return [
        Route("/", reader_page, methods=["GET"]),
        Route("/articles/{article_id}", reader_page, methods=["GET"]),
        Mount(STATIC_PATH, app=PageAssets(directory=ASSETS), name="reader-static"),
    ]
