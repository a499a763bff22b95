"""One run of an expensive read at a time: callers who come while it runs share its answer.

``verifyLedger`` replays the whole ledger; a burst of calls would otherwise start a replay
each and take every core. Whoever asks while one is running gets that run's result,
which covers the ledger as it stood when the run began (its head position says so).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

__all__ = ["SingleFlight"]

T = TypeVar("T")


class SingleFlight(Generic[T]):
    def __init__(self, work: Callable[[], Awaitable[T]]) -> None:
        self._work = work
        self._running: asyncio.Task[T] | None = None

    async def __call__(self) -> T:
        if self._running is None or self._running.done():
            self._running = asyncio.ensure_future(self._work())
            # Its failure is each waiting caller's; if none is left, it is not an orphan.
            self._running.add_done_callback(_retrieve)
        # A caller that goes away does not cancel the run the others wait for.
        return await asyncio.shield(self._running)


def _retrieve(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()
