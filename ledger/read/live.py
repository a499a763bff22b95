"""Live subscriptions' fan-out: one task per process follows the ledger and wakes the
subscriptions that a new append concerns.

The task learns new positions the way the process already does (``LearningChanges``: its own
commits at once, PostgreSQL's notifications from every process, SQLite's change counter),
asking every ``poll_seconds`` and at once after a commit of this process. A wake-up carries
only the position a subscription may now read up to: the subscription reads what it needs
itself, from the log or the views (catch-up), so nothing it must send is held here and a
wake-up it missed is never an event it missed.

A follower keeps only the newest position it was woken for, however many wake-ups came:
the subscription reads everything up to it when it comes back, so a wake-up it slept
through is never an event it missed, and its memory is the same whatever the writers do.
What marks a slow consumer is a message that cannot be sent: while a subscription waits on
one send (``sending``), wake-ups are counted, and past ``patience`` of them it is marked
behind, its ``on_behind`` is called (the API closes the connection) and it is woken no more.
Time spent reading, or sending to a client that reads, never counts: a client that reads
keeps its subscription whatever the writers do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from ledger.read.changes import Change, LearningChanges
from ledger.read.listened import next_try_seconds
from ledger.read.tasks import stop_task
from ledger.store.records import AppendResult
from ledger.store.unreachable import Outage

__all__ = ["FellBehind", "Follower", "LiveLedger", "LiveStats"]

log = logging.getLogger("evidence_ledger.live")

# Wake-ups one message may wait through, unsent, before its subscription counts as behind.
DEFAULT_PATIENCE = 64
DEFAULT_POLL_SECONDS = 0.05


class FellBehind(Exception):
    """The subscription could not keep up with its wake-ups (a client that does not read)."""


@dataclass(eq=False)
class Follower:
    """One subscription's place in the fan-out: the articles it follows (None: every
    append), the newest position it was woken for, and the wake-ups that came while its
    current message waited to be sent."""

    articles: frozenset[str] | None
    patience: int
    on_behind: Callable[[], None] | None = None
    behind: bool = False
    _position: int = -1
    _awake: asyncio.Event = field(default_factory=asyncio.Event)
    _sending: bool = False
    _waited: int = 0

    async def woken(self) -> int:
        """Wait for a wake-up; the newest position announced so far."""
        await self._awake.wait()
        self._awake.clear()
        if self.behind:
            raise FellBehind
        return self._position

    @contextlib.contextmanager
    def sending(self) -> Iterator[None]:
        """Around one message's send (a subscription's ``yield``): the wake-ups that come
        until it returns are what its patience counts."""
        self._sending, self._waited = True, 0
        try:
            yield
        finally:
            self._sending = False

    def _wake(self, position: int) -> None:
        if self.behind:
            return
        self._position = max(self._position, position)
        self._awake.set()
        if not self._sending:
            return
        self._waited += 1
        if self._waited > self.patience:
            self.behind = True
            if self.on_behind is not None:
                self.on_behind()

    def concerns(self, changes: Iterable[Change] | None) -> bool:
        if self.articles is None or changes is None:
            return True
        return any(c.article_id is None or c.article_id in self.articles for c in changes)


@dataclass
class LiveStats:
    """What ``/healthz`` shows of the fan-out."""

    subscriptions: int = 0
    closed_behind: int = 0
    wake_ups: int = 0


@dataclass(eq=False)
class LiveLedger:
    changes: LearningChanges
    patience: int = DEFAULT_PATIENCE
    poll_seconds: float = DEFAULT_POLL_SECONDS
    stats: LiveStats = field(default_factory=LiveStats)
    _followers: set[Follower] = field(default_factory=set)
    # Set at every new head, for whoever works after appends (the deliverer): no queue.
    _watchers: list[asyncio.Event] = field(default_factory=list)
    _moved: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None
    _position: int = -1
    _outage: Outage = field(default_factory=lambda: Outage(log, "following the ledger"))

    async def start(self) -> None:
        self._position = await self.changes.current()
        self._task = asyncio.create_task(self._follow_forever(), name="live ledger")

    async def close(self) -> None:
        await stop_task(self._task)
        self._task = None

    def committed(self, results: Iterable[AppendResult]) -> None:
        """A commit of this process (the store's listener): followed at once."""
        self._moved.set()

    def follow(
        self, articles: frozenset[str] | None, on_behind: Callable[[], None] | None = None
    ) -> Follower:
        follower = Follower(articles, self.patience, on_behind)
        self._followers.add(follower)
        self.stats.subscriptions = len(self._followers)
        return follower

    def on_move(self) -> asyncio.Event:
        """An event set each time the ledger's head moves (any process's append, learnt as
        the followers learn it); its waiter clears it before the work it wakes for."""
        moved = asyncio.Event()
        self._watchers.append(moved)
        return moved

    def leave(self, follower: Follower) -> None:
        self._followers.discard(follower)
        self.stats.subscriptions = len(self._followers)
        if follower.behind:
            self.stats.closed_behind += 1

    async def _follow_forever(self) -> None:
        while True:
            # Not ``wait_for``: on Python 3.11 it swallows a cancellation that comes as the
            # event is set, and ``close`` would then wait for this loop forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._moved.wait()
            self._moved.clear()
            if not self._followers and not self._watchers:
                continue  # nobody to wake: no need to learn anything (or ask the database)
            try:
                await self._wake_concerned()
            except Exception as error:  # the next round reads again: nothing is lost
                self._outage.failed(error)
                # Longer after each failure in a row (an away database is not asked 20 times
                # a second), but at once after a commit of this process: it answers again.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(
                        next_try_seconds(self.poll_seconds, self._outage.failures)
                    ):
                        await self._moved.wait()
            else:
                self._outage.succeeded()

    async def _wake_concerned(self) -> None:
        head = await self.changes.current()
        if head <= self._position:
            return
        changes = self.changes.changes_after(self._position)
        self._position = head
        for moved in self._watchers:
            moved.set()
        for follower in list(self._followers):
            if follower.concerns(changes):
                self.stats.wake_ups += 1
                follower._wake(head)
