"""Requests refused before GraphQL runs, answered as GraphQL error bodies with a code."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cross_web import HTTPException

__all__ = ["Refusal", "as_refusal", "error_body"]


class Refusal(HTTPException):
    """A request refused before GraphQL runs.

    ``status`` None: a document refused as a parse or validation error would be, whose
    status depends on the media type (400, or 200 for ``application/json``).
    """

    def __init__(
        self,
        status: int | None,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status or 400, message)
        self.status = status
        self.code = code
        self.headers = dict(headers or {})


def error_body(code: str, message: str, **extensions: Any) -> bytes:
    return json.dumps(
        {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}
    ).encode()


def as_refusal(error: HTTPException) -> Refusal:
    if isinstance(error, Refusal):
        return error
    codes = {405: "METHOD_NOT_ALLOWED", 404: "NOT_FOUND", 415: "UNSUPPORTED_MEDIA_TYPE"}
    code = codes.get(error.status_code, "BAD_REQUEST")
    headers = {"Allow": "GET, POST"} if error.status_code == 405 else None
    return Refusal(error.status_code, code, error.reason, headers)
