"""The read side's background loops stop when asked, even when what they wait for happens at
that very moment: a commit as the live fan-out is closed, a lost connection as the listener
is. (``asyncio.wait_for`` on Python 3.11 swallows a cancellation that comes as what it waits
for ends; a loop built on it went on forever, and a shutdown waited for it.) And whoever
waits for a task to stop can itself be cancelled meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import pytest

from ledger.read.listened import ListenedChanges
from ledger.read.live import LiveLedger
from ledger.read.tasks import stop_task
from tests.graph.feed.conftest import Process, start_process

ROUNDS = 20
STOPPED_WITHIN = 5.0  # seconds: far more than a loop needs to end; only a hang reaches it


async def ends(closing: Awaitable[None]) -> bool:
    """Whether ``closing``, run as a task of its own, ends in time (a hang is left behind)."""
    task = asyncio.ensure_future(closing)
    done, _ = await asyncio.wait({task}, timeout=STOPPED_WITHIN)
    if done:
        task.result()  # its failure, if it failed
    return bool(done)


async def test_the_live_fan_out_stops_when_a_commit_comes_as_it_is_closed(
    this_process: Process,
) -> None:
    for _ in range(ROUNDS):
        live = LiveLedger(this_process.changes)
        await live.start()
        await asyncio.sleep(0.005)  # the loop waits for a move
        live.committed([])  # a commit of this process, ...
        await asyncio.sleep(0)  # ... whose wake-up is on its way as the close comes
        assert await ends(live.close())


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_the_listener_stops_when_its_connection_is_lost_as_it_is_closed(
    backend: str, database_url: str
) -> None:
    for _ in range(ROUNDS):
        process = await start_process(database_url)
        changes = process.changes
        assert isinstance(changes, ListenedChanges)
        try:
            assert changes.listening
            # What asyncpg calls when the connection ends (the termination listener): the
            # loop's wake-up is on its way as the close comes.
            changes._terminated(None)
            await asyncio.sleep(0)
            assert await ends(changes.close())
        finally:
            await process.store.engine.dispose()


async def test_whoever_waits_for_a_task_to_stop_can_be_cancelled_meanwhile() -> None:
    async def slow_to_stop() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            await asyncio.shield(asyncio.sleep(0.2))  # its own clean-up takes a moment

    task = asyncio.ensure_future(slow_to_stop())
    await asyncio.sleep(0)
    waiting = asyncio.ensure_future(stop_task(task))
    await asyncio.sleep(0.05)
    waiting.cancel()  # a timeout around a shutdown, say
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await asyncio.wait({task}, timeout=STOPPED_WITHIN)
    assert task.cancelled()
