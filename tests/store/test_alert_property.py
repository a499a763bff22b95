"""Random histories of ratings, revisions, withdrawals, retractions, topic and study type
changes and profile changes: the alerts the projection makes due equal those worked out
the plain way from the whole event list, each (article, subscriber, kind) at most once; in
memory, and in the SQL projection on SQLite and PostgreSQL (where a replay agrees too)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from sqlalchemy import select

from ledger.domain.errors import DomainError
from ledger.domain.scores import ScorePolicy
from ledger.projections.memory import MemoryViews
from ledger.projections.tables import live_views
from ledger.replay.rebuild import rebuild, verify_projections
from ledger.store.memory import MemoryEventStore
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases.service import EvidenceLedger
from ledger.use_cases.sql_views import sql_ledger
from tests.backends import Fill, NewDatabase
from tests.store.alert_histories import (
    ALERT_HISTORIES,
    expected_alerts,
    first_profiles,
    log_of,
    run_with_profiles,
)
from tests.store.commands import PREFIX, ledger_at, prepare, prepared_store

SLOW = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


async def _prepare(ledger: EvidenceLedger, prefix: str) -> None:
    await prepare(ledger, prefix, ALERT_HISTORIES)
    await first_profiles(ledger, prefix)


async def _prepared(database_url: str) -> None:
    async with ledger_at(database_url) as ledger:
        await _prepare(ledger, PREFIX)


async def _prepared_under_two_ratings(database_url: str) -> None:
    async with ledger_at(database_url, policy=TWO_RATINGS) as ledger:
        await _prepare(ledger, PREFIX)


async def _play(ledger: EvidenceLedger, prefix: str, history: list[tuple[Any, ...]]) -> None:
    """The history's commands, on a ledger ``_prepare`` prepared under ``prefix``."""
    for command in history:
        try:
            await run_with_profiles(ledger, prefix, command)
            event(f"{command[0]} accepted")
        except DomainError as refusal:
            event(f"{command[0]} refused: {type(refusal).__name__}")


@pytest.mark.long(20)
@settings(max_examples=200, deadline=None, suppress_health_check=SLOW)
@given(history=ALERT_HISTORIES.strategy)
async def test_the_alerts_in_memory_are_those_of_the_whole_event_list(
    history: list[tuple[Any, ...]],
) -> None:
    store = MemoryEventStore()
    views = MemoryViews(store)
    ledger = EvidenceLedger(store, views=views)
    await _prepare(ledger, "m")
    await _play(ledger, "m", history)

    found = [
        (a.subscriber_id, a.article_id, a.kind, a.discipline, a.position) for a in views.alerts
    ]
    expected = expected_alerts(await log_of(store, "m"))
    event(f"{len(expected)} alerts due")
    assert found == expected
    assert len({(s, a, kind) for s, a, kind, _, _ in found}) == len(found)
    assert len({a.alert_id for a in views.alerts}) == len(views.alerts)


@pytest.mark.long(22)
@settings(max_examples=25, deadline=None, suppress_health_check=SLOW)
@given(history=ALERT_HISTORIES.strategy)
async def test_the_alerts_projected_in_sql_are_those_of_the_whole_event_list(
    prepared_database: Callable[[Fill], NewDatabase], history: list[tuple[Any, ...]]
) -> None:
    async with prepared_store(prepared_database, _prepared) as store:
        await _alerts_projected_in_sql_are_those_of_the_event_list(store, history)


async def _alerts_projected_in_sql_are_those_of_the_event_list(
    store: SQLEventStore, history: list[tuple[Any, ...]]
) -> None:
    ledger = sql_ledger(store)
    await _play(ledger, PREFIX, history)

    due = live_views.due_alerts
    async with store.engine.connect() as conn:
        rows = (await conn.execute(select(due).order_by(due.c.position, due.c.subscriber_id))).all()
    found = [
        (r.subscriber_id, r.article_id, r.kind, r.discipline, r.position)
        for r in rows
        if r.subscriber_id.startswith(f"{PREFIX}-")
    ]
    expected = expected_alerts(await log_of(store, PREFIX))
    event(f"{len(expected)} alerts due")
    assert found == expected
    assert len({(s, a, kind) for s, a, kind, _, _ in found}) == len(found)
    report = await verify_projections(store)
    assert report.ok, report.mismatches[:3]


# A deployment whose threshold needs two ratings on each mean, not three.
TWO_RATINGS = ScorePolicy(min_ratings_for_threshold=2)


@pytest.mark.long(7)
@settings(max_examples=100, deadline=None, suppress_health_check=SLOW)
@given(history=ALERT_HISTORIES.strategy)
async def test_the_alerts_in_memory_follow_the_deployments_score_policy(
    history: list[tuple[Any, ...]],
) -> None:
    store = MemoryEventStore()
    views = MemoryViews(store, TWO_RATINGS)
    ledger = EvidenceLedger(store, views=views)
    await _prepare(ledger, "m")
    await _play(ledger, "m", history)

    found = [
        (a.subscriber_id, a.article_id, a.kind, a.discipline, a.position) for a in views.alerts
    ]
    expected = expected_alerts(await log_of(store, "m"), TWO_RATINGS)
    event(f"{len(expected)} alerts due")
    assert found == expected


@pytest.mark.long(10)
@settings(max_examples=10, deadline=None, suppress_health_check=SLOW)
@given(history=ALERT_HISTORIES.strategy)
async def test_the_alerts_projected_in_sql_follow_the_deployments_score_policy(
    prepared_database: Callable[[Fill], NewDatabase], history: list[tuple[Any, ...]]
) -> None:
    async with prepared_store(prepared_database, _prepared_under_two_ratings) as store:
        await _alerts_projected_in_sql_follow_the_policy(store, history)


async def _alerts_projected_in_sql_follow_the_policy(
    store: SQLEventStore, history: list[tuple[Any, ...]]
) -> None:
    ledger = sql_ledger(store, policy=TWO_RATINGS)
    await _play(ledger, PREFIX, history)

    found = await _due(store, PREFIX)
    expected = expected_alerts(await log_of(store, PREFIX), TWO_RATINGS)
    assert found == expected
    report = await verify_projections(store, policy=TWO_RATINGS)
    assert report.ok, report.mismatches[:3]
    await rebuild(store, policy=TWO_RATINGS)
    assert await _due(store, PREFIX) == expected


async def _due(store: SQLEventStore, prefix: str) -> list[tuple[Any, ...]]:
    due = live_views.due_alerts
    async with store.engine.connect() as conn:
        rows = (await conn.execute(select(due).order_by(due.c.position, due.c.subscriber_id))).all()
    return [
        (r.subscriber_id, r.article_id, r.kind, r.discipline, r.position)
        for r in rows
        if r.subscriber_id.startswith(f"{prefix}-")
    ]
