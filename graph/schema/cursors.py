"""Opaque cursors: a prefix and its parts in URL-safe base64, and the one way back.

Every cursor the API gives out is written and read by a ``CursorFormat``, and anything else
sent back is refused the same way: ``BadInput`` naming the argument, before a number reaches
SQL. A cursor's bytes are its prefix and its parts joined by the separator, so one already
given out still decodes as long as its format is declared the same.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import Generic, TypeVar

from graph.schema.errors import BadInput

__all__ = ["CursorFormat"]

T = TypeVar("T")

# Longer than any cursor given out; decoding stops here rather than at the body limit.
_LONGEST = 100


class CursorFormat(Generic[T]):
    """One kind of cursor: ``<prefix><part><separator><part>...``.

    Each part is a pattern (no groups of its own); ``read`` turns the parts matched into the
    page's place, or None (or ``ValueError``) where they are out of range.
    """

    def __init__(
        self,
        prefix: str,
        *parts: str,
        read: Callable[[re.Match[str]], T | None],
        separator: str = ":",
        longest: int = _LONGEST,
        refused_as: str = "a cursor this API gave out",
    ) -> None:
        self._prefix = prefix
        self._separator = separator
        self._shape = re.compile(
            re.escape(prefix) + re.escape(separator).join(f"({part})" for part in parts)
        )
        self._read = read
        self._longest = longest
        self._refused_as = refused_as

    def encode(self, *parts: object) -> str:
        text = self._prefix + self._separator.join(str(part) for part in parts)
        return base64.urlsafe_b64encode(text.encode()).decode()

    def decode(self, cursor: str, argument: str = "after") -> T:
        refusal = BadInput(f"`{argument}` is not {self._refused_as}", argument)
        if len(cursor) > self._longest:
            raise refusal
        try:
            text = base64.urlsafe_b64decode(cursor.encode()).decode("ascii")
            match = self._shape.fullmatch(text)
            place = self._read(match) if match is not None else None
        except (ValueError, binascii.Error, UnicodeError):
            raise refusal from None
        if place is None:
            raise refusal
        return place
