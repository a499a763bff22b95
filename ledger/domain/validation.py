"""Field checks shared by the pure domain modules (standard library only)."""

from __future__ import annotations

import re
from datetime import date

from ledger.domain.errors import ValidationFailed

__all__ = [
    "MAX_COMMENT",
    "check_comment",
    "check_date",
    "check_identifier",
    "check_optional_text",
    "check_score",
    "check_text",
    "check_texts",
    "unstorable",
]

MAX_COMMENT = 5000
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def check_identifier(field: str, value: object) -> str:
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        raise ValidationFailed(
            field, "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return value


def unstorable(text: str) -> str | None:
    """Why no backend can store ``text``, or None: PostgreSQL holds no NUL character, and a
    lone surrogate has no UTF-8 form (it could be neither hashed nor stored)."""
    if "\x00" in text:
        return "must not contain the NUL character (U+0000)"
    try:
        text.encode()
    except UnicodeEncodeError:
        return "must be text that UTF-8 can encode (no lone surrogate)"
    return None


def _non_empty(field: str, value: str) -> str:
    """``value`` trimmed, refused when empty or not storable."""
    trimmed = value.strip()
    if not trimmed:
        raise ValidationFailed(field, "must not be empty")
    reason = unstorable(trimmed)
    if reason is not None:
        raise ValidationFailed(field, reason)
    return trimmed


def check_text(field: str, value: object, *, limit: int) -> str:
    """Non-empty after trimming, at most ``limit`` characters; returned trimmed."""
    if not isinstance(value, str):
        raise ValidationFailed(field, "must be text")
    trimmed = _non_empty(field, value)
    if len(trimmed) > limit:
        raise ValidationFailed(field, f"must be at most {limit} characters")
    return trimmed


def check_optional_text(field: str, value: object, *, limit: int) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return check_text(field, value, limit=limit)


def check_texts(
    field: str, values: object, *, limit: int, most: int, distinct: bool = True
) -> tuple[str, ...]:
    """A list of non-empty texts, in the given order (distinct, ignoring case, if asked)."""
    if isinstance(values, str) or not isinstance(values, list | tuple):
        raise ValidationFailed(field, "must be a list of texts")
    if len(values) > most:
        raise ValidationFailed(field, f"must have at most {most} entries")
    checked = tuple(check_text(field, value, limit=limit) for value in values)
    if distinct and len({value.casefold() for value in checked}) != len(checked):
        raise ValidationFailed(field, "must not repeat an entry")
    return checked


def check_date(field: str, value: object) -> str | None:
    if value is None or value == "":
        return None
    # Strictly YYYY-MM-DD: fromisoformat alone also takes 20221020 and week dates.
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValidationFailed(field, "must be a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise ValidationFailed(field, "must be a real date as YYYY-MM-DD") from None


def check_score(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 7:
        raise ValidationFailed(field, "must be a whole number from 1 to 7")
    return value


def check_comment(field: str, value: object) -> str:
    """Comments are plain text kept as written; only the emptiness and length checks trim."""
    if not isinstance(value, str):
        raise ValidationFailed(field, "must be text")
    trimmed = _non_empty(field, value)
    if len(trimmed) > MAX_COMMENT:
        raise ValidationFailed(field, f"must be at most {MAX_COMMENT} characters")
    return value
