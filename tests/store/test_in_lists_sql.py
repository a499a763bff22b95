"""Reads and deletes by more keys than one IN list takes, on both databases: every row whose
key is named is found (once) or deleted, and no other row is touched."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, insert, select
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


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The first word of each statement ``engine`` sends meanwhile (BEGIN left out)."""
    sent: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.startswith("BEGIN"):
            sent.append(statement.split()[0].upper())

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)


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

    with statements(engine) as sent:
        async with engine.begin() as conn:
            found = await select_in(conn, PROFILES.c.subscriber_id, named)
            interests = await select_in(conn, INTERESTS.c.subscriber_id, named)
    assert sent == ["SELECT"] * 4  # two lists of keys each
    assert sorted(row["subscriber_id"] for row in found) == named
    assert len(interests) == 2 * NAMED

    with statements(engine) as sent:
        async with engine.begin() as conn:
            await delete_in(conn, PROFILES, named)  # by the primary key
            await delete_in(conn, INTERESTS, named, column=INTERESTS.c.subscriber_id)
    assert sent == ["DELETE"] * 4
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
    with statements(engine) as sent:
        async with engine.begin() as conn:
            await delete_in(conn, INTERESTS, keys)
    # A pair counts as two keys: two lists of 2,500 pairs, under the parameter limits.
    assert sent == ["DELETE"] * 2
    async with engine.connect() as conn:
        left = (await conn.execute(select(INTERESTS))).all()
    assert [tuple(row) for row in left] == [("Medicine", "x")]
