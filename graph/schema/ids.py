"""Reading what clients send that crosses into Python's ``int``/``datetime`` or into SQL.

Global ids, plain ids, opaque cursors and times are decoded here, once, and range-checked
against the columns they are compared with: a value no column can hold is the client's
mistake (``BAD_USER_INPUT`` naming the argument), never an overflow in the driver, and both
backends refuse exactly the same values.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from strawberry import relay

from graph.schema.cursors import CursorFormat
from graph.schema.errors import BadInput
from ledger.domain.errors import ValidationFailed
from ledger.domain.validation import check_identifier
from ledger.domain.wording import with_article
from ledger.read.rank import RANK_LIMIT

__all__ = [
    "INT32_MAX",
    "INT64_MAX",
    "article_key",
    "checked_instant",
    "decode_cursor",
    "decode_history_cursor",
    "decode_search_cursor",
    "encode_cursor",
    "encode_history_cursor",
    "encode_search_cursor",
    "ledger_position",
    "whole_number",
]

# The largest value of the columns numbers are compared with (ledger/store/tables.py): stream
# versions are INTEGER (32 bits on PostgreSQL), positions BIGINT (64 bits on both backends).
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


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


def whole_number(text: str, maximum: int) -> int | None:
    """``text`` as a number from 1 to ``maximum``, or None.

    Only ASCII digits count ("²" and "٣" are digits to ``str.isdigit`` but not to ``int``),
    and the length is checked before ``int`` reads them (Python refuses over 4,300 digits).
    """
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(maximum)):
        return None
    number = int(text)
    return number if 1 <= number <= maximum else None


def ledger_position(node_id: str, argument: str = "id") -> int:
    """The position a ``LedgerEvent`` global id names."""
    position = whole_number(node_id, INT64_MAX)
    if position is None:
        raise BadInput(f"`{argument}` is not an id this API gave out", argument)
    return position


# An article's cursor: "articles:<position>"; an event's in a history: "history:<version>".
_ARTICLES = CursorFormat("articles:", "[0-9]+", read=lambda m: whole_number(m[1], INT64_MAX))
_HISTORY = CursorFormat("history:", "[0-9]+", read=lambda m: whole_number(m[1], INT32_MAX))


def encode_cursor(position: int) -> str:
    """The cursor of an article in the list: its registration's position."""
    return _ARTICLES.encode(position)


def decode_cursor(cursor: str, argument: str = "after") -> int:
    return _ARTICLES.decode(cursor, argument)


def encode_history_cursor(version: int) -> str:
    """The cursor of an event in an article's history: its stream version."""
    return _HISTORY.encode(version)


def decode_history_cursor(cursor: str, argument: str = "after") -> int:
    return _HISTORY.decode(cursor, argument)


# What every backend stores: Python's own range, once in UTC (PostgreSQL's is wider).
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


def checked_instant(value: datetime, argument: str) -> datetime:
    """A time with a zone that is still a time once in UTC.

    "0001-01-01T00:00:00+14:00" is a valid ISO time whose UTC is before year 1, which
    Python (and so the drivers) cannot represent.
    """
    if value.tzinfo is None:
        raise BadInput(f"`{argument}` needs a time zone, e.g. 2024-05-01T12:00:00Z", argument)
    try:
        instant = value.astimezone(UTC)
    except OverflowError:
        raise BadInput(
            f"`{argument}` must be from {_EARLIEST.isoformat()} to {_LATEST.isoformat()} "
            "once in UTC",
            argument,
        ) from None
    return instant


def _search_place(match: re.Match[str]) -> tuple[int, int] | None:
    rank, position = int(match[1]), int(match[2])
    return (rank, position) if 0 <= rank < RANK_LIMIT and 1 <= position <= INT64_MAX else None


# A search cursor: "search:<rank key>:<position>", each a bounded run of ASCII digits.
_SEARCH = CursorFormat(
    "search:",
    "[0-9]{1,19}",
    "[0-9]{1,19}",
    read=_search_place,
    refused_as="a cursor of this search",
)


def encode_search_cursor(rank: int, position: int) -> str:
    """A cursor into a ranked search: the hit's rank key and its registration position."""
    return _SEARCH.encode(rank, position)


def decode_search_cursor(cursor: str, argument: str = "after") -> tuple[int, int]:
    """The (rank key, position) of a search cursor; anything else, or a number out of range,
    is a ``BadInput`` (a plain list's cursor too: it says nothing of a rank)."""
    return _SEARCH.decode(cursor, argument)
