"""The deliverer's one-statement question "anything to do?", on SQLite and PostgreSQL: yes
exactly when a pass would take alerts in or send a delivery; and a pass told no touches
nothing, while one told yes does what it did before."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.delivery.deliverer import Deliverer
from ledger.delivery.outbox import fill_outbox
from ledger.delivery.settings import DeliverySettings
from ledger.delivery.tables import deliveries
from ledger.delivery.waiting import WaitingWork
from ledger.store.db import statements_alone
from ledger.store.sql_store import SQLEventStore
from tests.delivery.histories import FixedClock, alerted, delivery_rows, raters_ledger, set_profile

HOOK = "http://127.0.0.1:9/hook"


async def _nowhere(claimed: object) -> None:
    raise AssertionError("nothing is due: nothing may be sent")


async def test_work_waits_exactly_while_alerts_wait_to_be_taken_in_or_deliveries_are_due(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    clock = FixedClock()
    webhooks = WaitingWork(engine, ["webhook"])
    emails = WaitingWork(engine, ["email"])
    nothing_sent = WaitingWork(engine, [])
    assert not await webhooks.any_by(clock())  # a new ledger

    ledger = await raters_ledger(store)
    await set_profile(ledger, "s1", webhook_url=HOOK)
    assert not await webhooks.any_by(clock())  # a profile, no alert due yet
    await alerted(ledger, "a1")
    # A due alert past the outbox's checkpoint: a pass takes it in, whatever it sends.
    assert await webhooks.any_by(clock())
    assert await nothing_sent.any_by(clock())

    assert await fill_outbox(engine, clock) == 1
    (row,) = await delivery_rows(engine)
    assert (row["channel"], row["state"]) == ("webhook", "pending")
    assert not await nothing_sent.any_by(clock())  # taken in; no channel to send it on
    assert not await emails.any_by(clock())  # due, but on another channel
    assert await webhooks.any_by(clock())  # due now

    # A retry set for later: nothing until its time comes.
    later = clock.advance(minutes=5)
    async with engine.begin() as conn:
        await conn.execute(update(deliveries).values(next_attempt_at=later))
    clock.advance(minutes=-5)
    assert not await webhooks.any_by(clock())
    clock.advance(minutes=5)
    assert await webhooks.any_by(clock())

    async with engine.begin() as conn:
        await conn.execute(update(deliveries).values(state="delivered"))
    assert not await webhooks.any_by(clock())


async def test_a_pass_told_nothing_waits_sends_one_statement_and_one_told_yes_delivers(
    store: SQLEventStore, engine: AsyncEngine
) -> None:
    clock = FixedClock()
    sent: list[str] = []

    async def send(claimed: Any) -> None:
        sent.append(claimed.delivery_id)

    idle = Deliverer(engine, DeliverySettings(), {"webhook": _nowhere}, clock=clock)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement.split()[0].upper())

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        report = await idle.run_once()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
    assert (report.taken_in, report.delivered, report.failed) == (0, 0, 0)
    assert statements == ["SELECT"]  # the question alone: no BEGIN, no outbox, no claim

    ledger = await raters_ledger(store)
    await set_profile(ledger, "s1", webhook_url=HOOK)
    await alerted(ledger, "a1")
    deliverer = Deliverer(engine, DeliverySettings(), {"webhook": send}, clock=clock)
    report = await deliverer.run_once()
    assert (report.taken_in, report.delivered) == (1, 1)
    assert len(sent) == 1
    assert (await idle.run_once()).delivered == 0  # all sent: nothing waits


async def test_statements_alone_run_without_begin_and_leave_the_pool_as_it_was(
    engine: AsyncEngine,
) -> None:
    sent: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement.split()[0].upper())

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        alone = statements_alone(engine)
        for _ in range(2):  # the second on the connection the first gave back
            async with alone.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
                driver: Any = (await conn.get_raw_connection()).driver_connection
                assert not _in_transaction(driver)
        assert sent == ["SELECT", "SELECT"]

        # The pool's connections still begin the ledger's transactions as before.
        sent.clear()
        async with engine.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")
            driver = (await conn.get_raw_connection()).driver_connection
            assert _in_transaction(driver)
            if engine.dialect.name == "sqlite":
                assert driver._conn.isolation_level is None  # BEGIN is the ledger's to emit
        assert sent[-1] == "SELECT"
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)


def _in_transaction(driver: Any) -> bool:
    if hasattr(driver, "is_in_transaction"):  # asyncpg
        return bool(driver.is_in_transaction())
    return bool(driver.in_transaction)  # aiosqlite
