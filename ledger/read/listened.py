"""Learning of new positions on PostgreSQL from the append's notifications.

``ledger_append`` notifies ``ledger_appended`` with ``"<first> <last> <stream id>"`` of what it
appended; PostgreSQL delivers it when the transaction commits, in commit order. One dedicated
connection of each process LISTENs, so ``current`` answers from what was notified without a
statement while that connection is healthy.

A read of the log (the polled way) is still made when a notification cannot be trusted to
have come: before the first one after (re)connecting (whatever was committed before LISTEN is
known only from the log), after a gap in the positions notified, while the connection is down
(it is re-opened in the background, and every ``current`` reads meanwhile), and when a client
asks for a position not learnt yet (a notification reaches this process a moment after the
commit: ``at_least`` never waits for it). A connection lost without a word (a network cut)
is found by a liveness check every ``check_seconds``.

While the database cannot be reached, connecting is tried again after ``retry_seconds``,
twice as long after each failure in a row up to ``MAX_RETRY_SECONDS``: an outage is logged
once when it begins and once when the notifications come back, not at every attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable

import asyncpg  # type: ignore[import-untyped]  # (no stubs; used at its edges only)
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.read.changes import HISTORY, LearningChanges, appended_changes
from ledger.read.tasks import stop_task
from ledger.store.db import plain_url

__all__ = [
    "APPLICATION_NAME",
    "CHANNEL",
    "MAX_RETRY_SECONDS",
    "ListenedChanges",
    "asyncpg_dsn",
    "next_try_seconds",
]

CHANNEL = "ledger_appended"
APPLICATION_NAME = "evidence-ledger changes"
MAX_RETRY_SECONDS = 5.0
"""The longest wait between two attempts to listen again (the log is read meanwhile)."""

log = logging.getLogger("evidence_ledger.changes")

Connect = Callable[[], Awaitable[asyncpg.Connection]]


def asyncpg_dsn(engine: AsyncEngine) -> str:
    """The engine's database as a plain ``postgresql://`` DSN for asyncpg itself (whose DSN
    names the TLS mode ``sslmode``, as libpq's does, where its keyword says ``ssl``)."""
    return plain_url(engine.url).render_as_string(hide_password=False)


def next_try_seconds(retry_seconds: float, failures: int) -> float:
    """Seconds until the next attempt to listen after ``failures`` failed in a row: doubled
    at each, up to ``MAX_RETRY_SECONDS`` (never less than ``retry_seconds``)."""
    if failures <= 1:
        return retry_seconds
    return max(retry_seconds, min(retry_seconds * 2.0 ** (failures - 1), MAX_RETRY_SECONDS))


class ListenedChanges(LearningChanges):
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        history: int = HISTORY,
        check_seconds: float = 5.0,
        retry_seconds: float = 0.5,
    ) -> None:
        super().__init__(engine, history)
        dsn = asyncpg_dsn(engine)
        # Named, so an operator (or a test) can tell this process's listener among sessions.
        named = {"application_name": f"{APPLICATION_NAME} {os.getpid()}"}
        self._connect: Connect = lambda: asyncpg.connect(dsn, server_settings=named)
        self._check_seconds = check_seconds
        self._retry_seconds = retry_seconds
        # Each (re)connection is an epoch; the notifications of one are trusted only after a
        # read of the log begun while it was already listening.
        self._epoch = 0
        self._listening = False
        self._caught_up_epoch = -1
        self._lost = asyncio.Event()
        self._connected = asyncio.Event()
        self._failures = 0  # attempts to listen that failed in a row
        self._task: asyncio.Task[None] | None = None
        self.connection_pid: int | None = None  # the server process listening, for tests

    async def start(self) -> None:
        """Begin listening; returns once the first connection is up (or its attempt failed:
        ``current`` then reads the log until the background retries succeed)."""
        self._task = asyncio.create_task(self._listen_forever())
        await self._connected.wait()

    async def close(self) -> None:
        await stop_task(self._task)
        self._task = None

    @property
    def listening(self) -> bool:
        """Whether a connection is listening and its notifications are trusted now."""
        return self._listening and self._caught_up_epoch == self._epoch

    def _needs_read(self, at_least: int) -> bool:
        log_ = self._log
        return not self.listening or log_.has_gap or log_.position < max(at_least, 0)

    async def _read(self) -> None:
        # The notifications of this epoch are trusted once a read begun while listening ends.
        epoch = self._epoch if self._listening else None
        await super()._read()
        if epoch is not None and epoch == self._epoch and self._listening:
            self._caught_up_epoch = epoch

    def _notified(self, connection: object, pid: int, channel: str, payload: str) -> None:
        try:
            first, last, stream_id = payload.split(" ", 2)
            self._log.offer(appended_changes(int(first), int(last), stream_id))
        except ValueError:
            log.warning("unreadable notification %r: reading the log instead", payload)
            self._caught_up_epoch = -1

    def _terminated(self, connection: object) -> None:
        self._listening = False
        self.connection_pid = None
        self._lost.set()

    async def _listen_forever(self) -> None:
        while True:
            try:
                await self._listen_once()
            except Exception as error:  # whatever it was, reading the log stays right
                self._failures += 1
                if self._failures == 1:
                    log.warning("change notifications interrupted (%r): reading the log", error)
                else:
                    log.debug("listening again failed (%r), %d in a row", error, self._failures)
            finally:
                self._listening = False
                self._connected.set()
            await asyncio.sleep(next_try_seconds(self._retry_seconds, self._failures))

    @property
    def failed_attempts(self) -> int:
        """Attempts to listen that failed in a row since notifications last came."""
        return self._failures

    async def _listen_once(self) -> None:
        connection = await self._connect()
        try:
            self._lost.clear()
            connection.add_termination_listener(self._terminated)
            await connection.add_listener(CHANNEL, self._notified)
            self._epoch += 1
            self.connection_pid = connection.get_server_pid()
            self._listening = True
            self._connected.set()
            if self._failures:
                log.warning("change notifications back after %d failed attempts", self._failures)
                self._failures = 0
            while not self._lost.is_set():
                # ``asyncio.timeout``, not ``wait_for``: on Python 3.11 the latter swallows a
                # cancellation that comes as what it waits for ends, and ``close`` would then
                # wait for this loop forever.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._check_seconds):
                        await self._lost.wait()
                if not self._lost.is_set():
                    # A cut without a word is only found by asking.
                    async with asyncio.timeout(self._check_seconds):
                        await connection.fetchval("SELECT 1")
        finally:
            self._listening = False
            self.connection_pid = None
            connection.terminate()
