"""A POST body's JSON, read with the limits this API keeps: refusals, never a parser's
error, for what is not JSON or holds a number no argument takes."""

from __future__ import annotations

import json
from typing import Any

from graph.http.limits import MAX_NUMBER_DIGITS
from graph.http.refusals import Refusal

__all__ = ["parse_request_json"]


class _NumberTooLong(Exception):
    pass


def _bounded_int(text: str) -> int:
    """A JSON integer, refused past the digits any argument takes before ``int`` reads it
    (Python refuses more than 4,300 digits with a ValueError that would read as bad JSON)."""
    digits = len(text.lstrip("-"))
    if digits > MAX_NUMBER_DIGITS:
        raise _NumberTooLong(
            f"The request holds an integer of {digits} digits; none this API takes has more "
            f"than {MAX_NUMBER_DIGITS}."
        )
    return int(text)


def parse_request_json(data: str | bytes) -> Any:
    try:
        return json.loads(data, parse_int=_bounded_int)
    except _NumberTooLong as error:
        raise Refusal(400, "BAD_USER_INPUT", str(error)) from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        # (RecursionError: JSON nested deeper than the parser goes.)
        raise Refusal(400, "INVALID_JSON", "The request body is not JSON in UTF-8.") from None
