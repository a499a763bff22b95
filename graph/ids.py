"""Reading the ids and cursors clients send: global ids, plain ids, opaque cursors."""

from __future__ import annotations

import base64
import binascii
import re

from graphql import GraphQLError
from strawberry import relay

from ledger.errors import ValidationFailed
from ledger.search import RANK_LIMIT
from ledger.validation import check_identifier

__all__ = [
    "BadInput",
    "article_key",
    "decode_cursor",
    "decode_search_cursor",
    "encode_cursor",
    "encode_search_cursor",
]

_CURSOR_PREFIX = "articles:"
_SEARCH_CURSOR_PREFIX = "search:"
# A search cursor: "search:<rank key>:<position>", each a bounded run of ASCII digits.
_SEARCH_CURSOR = re.compile(r"search:([0-9]{1,19}):([0-9]{1,19})")
_POSITION_LIMIT = 2**63  # BIGINT: positions are below it


class BadInput(GraphQLError):
    """A query argument is malformed: a client error, never masked."""

    def __init__(self, message: str, argument: str) -> None:
        super().__init__(message, extensions={"code": "BAD_USER_INPUT", "argument": argument})


def article_key(value: str, field: str = "article_id") -> str:
    """An article's own id, from its global id ("QXJ0aWNsZTo...") or the plain id itself."""
    try:
        global_id = relay.GlobalID.from_id(value)
    except (ValueError, TypeError):
        return check_identifier(field, value)  # a plain id
    if global_id.type_name != "Article":
        raise ValidationFailed(field, f"is the id of a {global_id.type_name}, not of an Article")
    return check_identifier(field, global_id.node_id)


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{position}".encode()).decode()


def decode_cursor(cursor: str, argument: str = "after") -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        if not text.startswith(_CURSOR_PREFIX):
            raise ValueError(text)
        position = int(text.removeprefix(_CURSOR_PREFIX))
    except (ValueError, binascii.Error, UnicodeError):
        raise BadInput(f"`{argument}` is not a cursor this API gave out", argument) from None
    if position < 1:
        raise BadInput(f"`{argument}` is not a cursor this API gave out", argument)
    return position


def encode_search_cursor(rank: int, position: int) -> str:
    """A cursor into a ranked search: the hit's rank key and its registration position."""
    text = f"{_SEARCH_CURSOR_PREFIX}{rank}:{position}"
    return base64.urlsafe_b64encode(text.encode()).decode()


def decode_search_cursor(cursor: str, argument: str = "after") -> tuple[int, int]:
    """The (rank key, position) of a search cursor; anything else, or a number out of range,
    is a ``BadInput`` (a plain list's cursor too: it says nothing of a rank)."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode("ascii")
    except (ValueError, binascii.Error, UnicodeError):
        text = ""
    match = _SEARCH_CURSOR.fullmatch(text)
    if match is None:
        raise BadInput(f"`{argument}` is not a cursor of this search", argument)
    rank, position = int(match[1]), int(match[2])
    if not (0 <= rank < RANK_LIMIT and 1 <= position < _POSITION_LIMIT):
        raise BadInput(f"`{argument}` is not a cursor of this search", argument)
    return rank, position
