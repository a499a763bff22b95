"""Reads and deletes by more keys than one IN list takes, on both databases: every row whose
key is named is found (once) or deleted, and no other row is touched."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.projections.tables import live_views
from ledger.store.in_lists import IN_LIST_KEYS, delete_in, select_in

PROFILES = live_views.alert_profiles
INTERESTS = live_views.alert_interests
NAMED = IN_LIST_KEYS + 3  # two lists of keys
KEPT = 2  # rows not named, which must stay
SET_AT = datetime(2026, 1, 1, tzinfo=UTC)


def _subscriber(number: int) -> str:
    return f"in-lists-{number:05d}"


def _profile(number: int) -> dict[str, object]:
    return {
        "subscriber_id": _subscriber(number),
        "disciplines": '["Nursing"]',
        "relevance_cutoff": 5,
        "newsworthiness_cutoff": 5,
        "topics": "[]",
        "study_types": "[]",
        "delivery": "immediate",
        "set_position": 1,
        "set_at": SET_AT,
    }


async def test_rows_named_by_more_keys_than_one_list_are_all_read_then_deleted(
    engine: AsyncEngine,
) -> None:
    everyone = range(NAMED + KEPT)
    async with engine.begin() as conn:
        await conn.execute(insert(PROFILES), [_profile(n) for n in everyone])
        await conn.execute(
            insert(INTERESTS),
            [{"discipline": d, "subscriber_id": _subscriber(n)} for n in everyone for d in "AB"],
        )
    named = [_subscriber(n) for n in range(NAMED)]

    async with engine.begin() as conn:
        found = await select_in(conn, PROFILES.c.subscriber_id, named)
        interests = await select_in(conn, INTERESTS.c.subscriber_id, named)
    assert sorted(row["subscriber_id"] for row in found) == named
    assert len(interests) == 2 * NAMED

    async with engine.begin() as conn:
        await delete_in(conn, PROFILES, named)  # by the primary key
        await delete_in(conn, INTERESTS, named, column=INTERESTS.c.subscriber_id)
    async with engine.connect() as conn:
        left = (await conn.execute(select(PROFILES.c.subscriber_id))).scalars().all()
        left_interests = (await conn.execute(select(INTERESTS.c.subscriber_id))).scalars().all()
    kept = [_subscriber(n) for n in range(NAMED, NAMED + KEPT)]
    assert sorted(left) == kept
    assert sorted(left_interests) == sorted(kept * 2)


async def test_a_composite_key_is_deleted_in_lists_of_whole_keys(engine: AsyncEngine) -> None:
    keys = [("Nursing", _subscriber(n)) for n in range(IN_LIST_KEYS)]  # two lists of pairs
    async with engine.begin() as conn:
        await conn.execute(
            insert(INTERESTS), [{"discipline": d, "subscriber_id": s} for d, s in keys]
        )
        await conn.execute(insert(INTERESTS), [{"discipline": "Medicine", "subscriber_id": "x"}])
    async with engine.begin() as conn:
        await delete_in(conn, INTERESTS, keys)
    async with engine.connect() as conn:
        left = (await conn.execute(select(INTERESTS))).all()
    assert [tuple(row) for row in left] == [("Medicine", "x")]
