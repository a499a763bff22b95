"""What every batch read shares: rows grouped by the article they belong to.

Each ``load_*`` of the read side answers for many articles in one statement, so an API page
of 5 or of 50 articles costs the same number of round trips.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["Row", "rows_by_article", "wanted"]

Row = Mapping[Any, Any]


def wanted(ids: Sequence[str]) -> list[str]:
    """The ids a batch asks for, each once and in a stable order (one statement text)."""
    return sorted(set(ids))


async def rows_by_article(
    conn: AsyncConnection, query: Any, ids: Sequence[str]
) -> dict[str, list[Row]]:
    """The rows ``query`` finds, by their ``article_id``; every id in ``ids`` has a list."""
    grouped: dict[str, list[Row]] = {article_id: [] for article_id in ids}
    for row in (await conn.execute(query)).mappings():
        grouped[row["article_id"]].append(row)
    return grouped
