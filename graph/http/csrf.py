"""CSRF prevention as Apollo Server does it: an operation must arrive in a request a browser
would preflight (a non-simple content type, or a non-empty preflight header)."""

from __future__ import annotations

from starlette.requests import Request

from graph.http.refusals import Refusal

__all__ = ["PREFLIGHT_HEADERS", "SIMPLE_CONTENT_TYPES", "refuse_forgery"]

# Content types a browser sends cross-origin without asking first (a "simple" request).
SIMPLE_CONTENT_TYPES = frozenset(
    {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"}
)
# Any of these, non-empty, forces a browser to preflight: the request is not forged.
PREFLIGHT_HEADERS = (
    "graphql-require-preflight",
    "apollo-require-preflight",
    "x-apollo-operation-name",
)


def refuse_forgery(request: Request) -> None:
    """Apollo Server's CSRF prevention: a forged request can only be a simple one."""
    content_type = request.headers.get("content-type")
    if content_type is not None:
        essence = content_type.split(";")[0].strip().lower()
        if essence not in SIMPLE_CONTENT_TYPES:
            return
    if any(request.headers.get(name, "").strip() for name in PREFLIGHT_HEADERS):
        return
    raise Refusal(
        400,
        "CSRF_REFUSED",
        "This operation was refused as a possible cross-site request forgery: send it as "
        "a JSON POST (content-type: application/json), or add the header "
        "`GraphQL-Require-Preflight: 1`.",
    )
