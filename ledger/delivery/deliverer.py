"""One deliverer pass: take the due alerts into the outbox, then send what is due, each
delivery by its channel, recording every attempt (``ledger.delivery.attempts``)."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.delivery.attempts import Claimed, Outcome, claim_due, record_outcomes
from ledger.delivery.backoff import Random
from ledger.delivery.outbox import fill_outbox
from ledger.delivery.settings import DeliverySettings
from ledger.delivery.waiting import WaitingWork
from ledger.delivery.webhooks import DeliveryFailed
from ledger.domain.scores import ScorePolicy
from ledger.store.unreachable import Outage

__all__ = ["Clock", "Deliverer", "PassReport", "Send", "utc_now"]

log = logging.getLogger("evidence_ledger.delivery")

Clock = Callable[[], datetime]
# Sends one claimed delivery, or raises ``DeliveryFailed``.
Send = Callable[[Claimed], Awaitable[None]]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class PassReport:
    taken_in: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0


@dataclass
class Deliverer:
    engine: AsyncEngine
    settings: DeliverySettings
    # By channel name ("webhook", "email"): a channel without one is left pending.
    senders: Mapping[str, Send]
    clock: Clock = utc_now
    random: Random = field(default=random.random)
    policy: ScorePolicy = field(default_factory=ScorePolicy)

    def __post_init__(self) -> None:
        self._channels = [c for c in self.settings.channels() if c in self.senders]
        self._waiting = WaitingWork(self.engine, self._channels)

    async def run_once(self) -> PassReport:
        """Take in every due alert, then send every delivery due now, batch by batch."""
        if not await self._waiting.any_by(self.clock()):
            return PassReport()  # most passes: asked in one statement, not four
        report = PassReport(taken_in=await fill_outbox(self.engine, self.clock, self.policy))
        lease = timedelta(seconds=self.settings.lease_seconds)
        while claimed := await claim_due(
            self.engine, self.clock(), self._channels, lease=lease, limit=self.settings.batch
        ):
            outcomes = await asyncio.gather(*(self._attempt(one) for one in claimed))
            backoff = self.settings.backoff
            await record_outcomes(self.engine, outcomes, self.clock(), backoff, self.random)
            report.delivered += sum(o.error is None for o in outcomes)
            report.failed += sum(o.error is not None for o in outcomes)
            report.dead += sum(o.dies(backoff) for o in outcomes)
        return report

    async def watch(self, stop: asyncio.Event, moved: asyncio.Event | None = None) -> None:
        """Passes until ``stop`` is set: one every ``interval_seconds`` (the retries' due
        times), and one soon after ``moved`` is set (an append, which may have made alerts
        due: delivered within ``pass_gap_seconds`` of the pass before, not an interval
        later). A pass that fails is logged and the next one tries again (the database
        away: logged as the outage begins and as it ends)."""
        outage = Outage(log, "a delivery pass")
        while not stop.is_set():
            began = time.monotonic()
            if moved is not None:
                moved.clear()  # an append during the pass sets it again: one more pass
            try:
                await self.run_once()
            except Exception as error:
                outage.failed(error)
            else:
                outage.succeeded()
            await _first_of(stop, moved, self.settings.interval_seconds)
            if moved is not None and moved.is_set():
                # Woken by an append: those close together are taken in by one pass.
                rest = self.settings.pass_gap_seconds - (time.monotonic() - began)
                if rest > 0:
                    await _first_of(stop, None, rest)

    async def _attempt(self, claimed: Claimed) -> Outcome:
        try:
            await self.senders[claimed.channel](claimed)
        except DeliveryFailed as failure:
            return Outcome(claimed, str(failure))
        return Outcome(claimed, None)


async def _first_of(stop: asyncio.Event, moved: asyncio.Event | None, seconds: float) -> None:
    """Wait until ``stop`` or ``moved`` is set, or ``seconds`` pass."""
    waits = [asyncio.ensure_future(e.wait()) for e in (stop, moved) if e is not None]
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()
        await asyncio.gather(*waits, return_exceptions=True)
