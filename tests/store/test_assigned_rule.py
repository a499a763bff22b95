"""The one rule of which disciplines an article is rated in (``rated_in``), in its two SQL
forms (``in_assigned`` as SQLAlchemy builds it, ``in_assigned_sql`` as the one-statement
pages write it), on each backend: the three keep the same rows."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.domain.scores import rated_in
from ledger.projections.tables import live_views
from ledger.read.scores import in_assigned, in_assigned_sql

DISCIPLINES = ("Physician", "Nurse", "Pharmacist")
# Article -> its assigned disciplines (None: never assigned any).
ASSIGNED: dict[str, tuple[str, ...] | None] = {
    "never": None,
    "physician": ("Physician",),
    "two": ("Nurse", "Pharmacist"),
}


async def test_the_rule_and_its_two_sql_forms_keep_the_same_rows(engine: AsyncEngine) -> None:
    scores = live_views.discipline_scores
    async with engine.begin() as conn:
        await conn.execute(
            live_views.assigned_disciplines.insert(),
            [
                {"article_id": article, "discipline": discipline}
                for article, assigned in ASSIGNED.items()
                for discipline in assigned or ()
            ],
        )
        await conn.execute(
            scores.insert(),
            [
                {
                    "article_id": article,
                    "discipline": discipline,
                    "relevance_sum": 15,
                    "newsworthiness_sum": 12,
                    "rating_count": 3,
                    "newsworthiness_count": 3,
                }
                for article in ASSIGNED
                for discipline in DISCIPLINES
            ],
        )
    every = {(article, discipline) for article in ASSIGNED for discipline in DISCIPLINES}
    expected = {(a, d) for a, d in every if rated_in(ASSIGNED[a], d)}

    async with engine.connect() as conn:
        built = {
            tuple(row)
            for row in await conn.execute(
                select(scores.c.article_id, scores.c.discipline).where(in_assigned(scores))
            )
        }
        written = {
            tuple(row)
            for row in await conn.execute(
                text(
                    f"SELECT s.article_id, s.discipline FROM {scores.name} s "
                    f"WHERE {in_assigned_sql('s')}"
                )
            )
        }

    assert expected == {
        ("never", "Physician"), ("never", "Nurse"), ("never", "Pharmacist"),
        ("physician", "Physician"), ("two", "Nurse"), ("two", "Pharmacist"),
    }  # fmt: skip
    assert built == written == expected
