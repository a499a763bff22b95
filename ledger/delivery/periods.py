"""Digest periods: which day or ISO week (Monday to Monday, UTC) a moment falls in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["CADENCES", "DIGESTS", "period_of"]

CADENCES = ("immediate", "daily", "weekly")
DIGESTS = ("daily", "weekly")


def period_of(cadence: str, moment: datetime) -> tuple[datetime, datetime]:
    """The digest period holding ``moment``: its start (included) and end (excluded), in
    UTC whatever zone ``moment`` is given in, so every process draws the same lines."""
    at = moment.astimezone(UTC)
    day = datetime(at.year, at.month, at.day, tzinfo=UTC)
    if cadence == "daily":
        return day, day + timedelta(days=1)
    if cadence == "weekly":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=7)
    raise ValueError(f"{cadence!r} has no digest period")
