"""Cross-origin calls from browsers: Starlette's CORS middleware, set up from the settings.

Only the origins a deployment names may read answers (none by default). A preflight is
answered for them; the headers this API reads are allowed and those a client needs to see
are exposed. CSRF prevention in the GraphQL view still applies to every request: CORS only
decides which pages may read the answers.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from graph.settings import Settings

__all__ = ["ALLOWED_HEADERS", "EXPOSED_HEADERS", "cors_middleware", "parse_origin"]

ALLOWED_HEADERS = (
    "Authorization",
    "Content-Type",
    "GraphQL-Require-Preflight",
    "If-None-Match",
    "Ledger-Position",
)
EXPOSED_HEADERS = ("ETag", "Ledger-Position", "X-Request-ID")
# Browsers cache a preflight at most this long (Chromium caps it at two hours).
PREFLIGHT_MAX_AGE_SECONDS = 600


def parse_origin(url: str) -> str:
    """``scheme://host[:port]`` as a browser sends it in ``Origin``; ValueError otherwise.

    A trailing slash is dropped, since no browser sends one; a path, query or credentials
    would never match any ``Origin`` header, so they are refused rather than kept silently.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an origin: write it as https://host or http://host:port")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"{url!r} is not an origin: leave out the path, query and credentials")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def cors_middleware(settings: Settings) -> list[Middleware]:
    """The CORS middleware for the configured origins, or nothing when there are none."""
    if not settings.cors_origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=list(ALLOWED_HEADERS),
            expose_headers=list(EXPOSED_HEADERS),
            allow_credentials=True,
            max_age=PREFLIGHT_MAX_AGE_SECONDS,
        )
    ]
