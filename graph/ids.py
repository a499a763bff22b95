"""Reading the ids and cursors clients send: global ids, plain ids, opaque cursors."""

from __future__ import annotations

import base64
import binascii

from graphql import GraphQLError
from strawberry import relay

from ledger.errors import ValidationFailed
from ledger.validation import check_identifier
from ledger.wording import with_article

__all__ = ["BadInput", "article_key", "decode_cursor", "encode_cursor"]

_CURSOR_PREFIX = "articles:"


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
        raise ValidationFailed(
            field, f"is the id of {with_article(global_id.type_name)}, not of an Article"
        )
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
