"""Conditional answers: the ETag, ``If-None-Match`` and ``Cache-Control`` of cacheable reads.

The ETag is strong (the answer's bytes and media type): equal answers share it, whichever
process or execution made them. ``no-cache`` lets anyone keep the answer but never serve it
without revalidating (a ``304`` is cheap: no execution when the kept answer still holds);
an authenticated caller's answer is ``private`` (no shared cache may keep it), an anonymous
one ``public``, and ``Vary: Accept, Authorization`` keeps a shared cache from answering one
caller or media type with another's answer. A query is a read whether it came by GET or
POST, so both are answered ``304`` when the tag matches.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

__all__ = ["answer_or_not_modified", "cache_headers", "conditional_answer", "tag_matches"]


def cache_headers(etag: str, private: bool) -> dict[str, str]:
    return {
        "ETag": etag,
        "Cache-Control": "private, no-cache" if private else "public, no-cache",
        "Vary": "Accept, Authorization",
    }


def tag_matches(if_none_match: str | None, etag: str) -> bool:
    """``If-None-Match`` against our tag, by the weak comparison RFC 9110 asks for it."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    ours = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == ours for tag in if_none_match.split(","))


def conditional_answer(
    request: Request, body: bytes, media_type: str, etag: str, private: bool
) -> Response:
    """The answer, or ``304`` without a body when the client holds it already."""
    return answer_or_not_modified(
        request.headers.get("if-none-match"), body, media_type, etag, private
    )


def answer_or_not_modified(
    if_none_match: str | None, body: bytes, media_type: str, etag: str, private: bool
) -> Response:
    """As ``conditional_answer``, given the request's ``If-None-Match``."""
    headers = cache_headers(etag, private)
    if tag_matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=f"{media_type}; charset=utf-8", headers=headers)
