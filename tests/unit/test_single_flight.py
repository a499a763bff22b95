"""Concurrent callers of an expensive read share one run of it."""

from __future__ import annotations

import asyncio

import pytest

from graph.schema.single_flight import SingleFlight


async def test_callers_during_a_run_share_it_and_later_callers_start_another() -> None:
    runs = 0
    release = asyncio.Event()

    async def work() -> int:
        nonlocal runs
        runs += 1
        await release.wait()
        return runs

    flight = SingleFlight(work)
    waiting = [asyncio.create_task(flight()) for _ in range(5)]
    await asyncio.sleep(0)
    release.set()

    assert await asyncio.gather(*waiting) == [1] * 5
    assert await flight() == 2
    assert runs == 2


async def test_a_caller_that_goes_away_does_not_cancel_the_others_run() -> None:
    release = asyncio.Event()

    async def work() -> str:
        await release.wait()
        return "checked"

    flight = SingleFlight(work)
    impatient = asyncio.create_task(flight())
    patient = asyncio.create_task(flight())
    await asyncio.sleep(0)
    impatient.cancel()
    release.set()

    with pytest.raises(asyncio.CancelledError):
        await impatient
    assert await patient == "checked"


async def test_a_failed_run_fails_its_callers_and_the_next_call_tries_again() -> None:
    attempts = 0

    async def work() -> str:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise RuntimeError("the database went away")
        return "checked"

    flight = SingleFlight(work)

    with pytest.raises(RuntimeError):
        await flight()
    assert await flight() == "checked"
