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
_DEFAULT_PORTS = {"http": 80, "https": 443}


def parse_origin(url: str) -> str:
    """``scheme://host[:port]`` as a browser sends it in ``Origin``; ValueError otherwise.

    Written the way a browser writes it, since the middleware compares the text: host in
    lower case, the scheme's default port left out, no trailing slash. What could never be
    in an ``Origin`` header (a path, query, user name or password, a port that is not one)
    is refused rather than kept as an origin no page would ever match.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"{url!r} is not an origin: write it as https://host or http://host:port")
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError(f"{url!r} is not an origin: leave out the path, query and credentials")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise ValueError(f"{url!r} is not an origin: its port must be a number from 1 to 65535")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if port is None or port == _DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def cors_middleware(settings: Settings) -> list[Middleware]:
    """The CORS middleware for the configured origins, or nothing when there are none.

    Every origin is checked here, whoever built the settings: ``*`` or a malformed origin is
    a ValueError, not a middleware that answers any page (or none). Credentials are not
    allowed: callers authenticate with a bearer header, which CORS lets through without
    them, and allowing them would only hand other origins' pages any cookie or proxy
    authentication a deployment puts in front of the API.
    """
    if not settings.cors_origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=[parse_origin(origin) for origin in settings.cors_origins],
            allow_methods=["GET", "POST"],
            allow_headers=list(ALLOWED_HEADERS),
            expose_headers=list(EXPOSED_HEADERS),
            allow_credentials=False,
            max_age=PREFLIGHT_MAX_AGE_SECONDS,
        )
    ]
