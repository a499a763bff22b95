"""Rating requests through the use cases, on the in-memory store and views, with a clock the
test moves: assignment, the rater's queue after each step, expiry and reassignment."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from ledger.domain.commands import (
    AssignDisciplines,
    EnrolRater,
    PauseRatingRequests,
    RegisterArticle,
    RegisterDiscipline,
    ResumeRatingRequests,
    SetRaterProfile,
    SubmitRating,
)
from ledger.domain.errors import (
    NotFound,
    RatingNotRequested,
    ValidationFailed,
    WrongPauseState,
)
from ledger.domain.requests import RequestPolicy
from ledger.projections.memory import MemoryViews
from ledger.store.memory import MemoryEventStore
from ledger.store.records import Actor
from ledger.use_cases.service import EvidenceLedger
from tests.use_cases.conftest import CITATION, EDITOR

START = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
PHYSICIANS = [f"p{i}" for i in range(1, 8)]


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    ledger: EvidenceLedger
    views: MemoryViews
    clock: Clock = field(default_factory=Clock)

    def queue(self, rater_id: str) -> list[tuple[str, str]]:
        """The rater's open requests, oldest first: (article id, due)."""
        rows = [r for r in self.views.requests.requests.rows.values() if r is not None]
        mine = [r for r in rows if r["rater_id"] == rater_id and r["status"] == "open"]
        mine.sort(key=lambda r: (r["requested_at"], r["request_id"]))
        return [(r["article_id"], r["due"]) for r in mine]

    def open_raters(self, article_id: str) -> list[str]:
        rows = [r for r in self.views.requests.requests.rows.values() if r is not None]
        return sorted(
            r["rater_id"] for r in rows if r["article_id"] == article_id and r["status"] == "open"
        )


@pytest.fixture
async def world() -> World:
    store = MemoryEventStore()
    views = MemoryViews(store)
    clock = Clock()
    ledger = EvidenceLedger(store, views, requests=RequestPolicy(), clock=clock)
    await ledger.execute(RegisterDiscipline("Physician"), actor=EDITOR)
    for rater_id in PHYSICIANS:
        enrolment = EnrolRater(rater_id=rater_id, discipline="Physician")
        await ledger.execute(enrolment, actor=EDITOR)
    for article_id in ("a1", "a2"):
        command = RegisterArticle(article_id=article_id, citation=CITATION, topics=["Back Pain"])
        await ledger.execute(command, actor=EDITOR)
    return World(ledger, views, clock)


async def test_assigning_requests_four_raters_and_fills_their_queues(world: World) -> None:
    await world.ledger.execute(
        AssignDisciplines("a1", ["physician"]), actor=EDITOR, idempotency_key="k1"
    )
    assert world.open_raters("a1") == ["p1", "p2", "p3", "p4"]
    assert world.queue("p1") == [("a1", "2026-12-20T09:00:00Z")]
    assert world.queue("p5") == []
    # The retried command is answered once: no second set of requests.
    again = await world.ledger.execute(
        AssignDisciplines("a1", ["physician"]), actor=EDITOR, idempotency_key="k1"
    )
    assert again.replayed
    assert world.open_raters("a1") == ["p1", "p2", "p3", "p4"]


async def test_expiry_replaces_unanswered_requests_and_the_queues_follow(world: World) -> None:
    await world.ledger.execute(AssignDisciplines("a1", ["Physician"]), actor=EDITOR)
    world.clock.now = START + timedelta(days=1)
    await world.ledger.execute(AssignDisciplines("a2", ["Physician"]), actor=EDITOR)
    # p5..p7 had fewer requests this month, so a2 goes to them first, then to p1.
    assert world.open_raters("a2") == ["p1", "p5", "p6", "p7"]
    assert world.queue("p1") == [("a1", "2026-12-20T09:00:00Z"), ("a2", "2026-12-21T09:00:00Z")]

    await world.ledger.execute(
        SubmitRating("a1", "p1", 6, 5), actor=Actor("p1", "rater"), idempotency_key="r1"
    )
    assert world.queue("p1") == [("a2", "2026-12-21T09:00:00Z")]
    # a1 has one rating of the three it needs and three open requests: one more rater is
    # asked at once, the least asked this month of those never asked about a1.
    assert world.open_raters("a1") == ["p2", "p3", "p4", "p5"]
    assert world.queue("p5") == [("a1", "2026-12-21T09:00:00Z"), ("a2", "2026-12-21T09:00:00Z")]

    world.clock.now = START + timedelta(days=13)
    assert await world.ledger.expire_requests(actor=EDITOR, idempotency_key="x0") == []

    world.clock.now = START + timedelta(days=14)
    expired = await world.ledger.expire_requests(actor=EDITOR, idempotency_key="x1")
    assert [r.article_id for r in expired] == ["a1"]
    # p2..p4 expired (p5's is due a day later); p1 answered. The two physicians never asked
    # about a1 are asked, though they already hold a2's.
    assert world.open_raters("a1") == ["p5", "p6", "p7"]
    assert world.queue("p2") == []
    assert world.queue("p6") == [("a2", "2026-12-21T09:00:00Z"), ("a1", "2027-01-03T09:00:00Z")]
    # A retry, even a week later when a2 is overdue too, is that very sweep again: a1's
    # first answer, nothing more expired; a sweep under a new key takes what is overdue now
    # (a2's first requests, p5's of a1).
    world.clock.now = START + timedelta(days=21)
    retried = await world.ledger.expire_requests(actor=EDITOR, idempotency_key="x1")
    assert [(r.article_id, r.replayed) for r in retried] == [("a1", True)]
    assert [r.last_position for r in retried] == [r.last_position for r in expired]
    assert world.open_raters("a1") == ["p5", "p6", "p7"]
    assert "p1" in world.open_raters("a2")
    swept = await world.ledger.expire_requests(actor=EDITOR, idempotency_key="x2")
    assert [(r.article_id, r.replayed) for r in swept] == [("a1", False), ("a2", False)]


async def test_a_sweep_interrupted_part_way_is_finished_by_its_retry(world: World) -> None:
    """A sweep keeps its moment and articles before it touches any: one that stopped after
    keeping them (a process killed there) is finished by its retry as of that moment."""
    for article_id in ("a1", "a2"):
        await world.ledger.execute(AssignDisciplines(article_id, ["Physician"]), actor=EDITOR)
    async with world.ledger.store.transaction() as tx:
        await world.views.record_sweep(tx, EDITOR.id, "x1", "2026-12-20T09:00:00Z", ["a1", "a2"])
    world.clock.now = START + timedelta(days=30)

    finished = await world.ledger.expire_requests(actor=EDITOR, idempotency_key="x1")
    assert [(r.article_id, r.replayed) for r in finished] == [("a1", False), ("a2", False)]
    # What was due by the kept moment expired; the raters in their place are asked now, due
    # 14 days from now (not from the kept moment, which may be long past).
    assert (world.open_raters("a1"), world.open_raters("a2")) == (
        ["p5", "p6", "p7"],
        ["p2", "p3", "p4"],
    )
    assert world.queue("p2") == [("a2", "2027-01-19T09:00:00Z")]
    again = await world.ledger.expire_requests(actor=EDITOR, idempotency_key="x1")
    assert [(r.article_id, r.replayed) for r in again] == [("a1", True), ("a2", True)]


async def test_an_expired_rater_may_not_rate_and_an_unasked_one_neither(world: World) -> None:
    await world.ledger.execute(AssignDisciplines("a1", ["Physician"]), actor=EDITOR)
    with pytest.raises(RatingNotRequested):
        await world.ledger.execute(SubmitRating("a1", "p6", 5, 5), actor=Actor("p6", "rater"))
    world.clock.now = START + timedelta(days=15)
    await world.ledger.expire_requests(actor=EDITOR)
    with pytest.raises(RatingNotRequested):
        await world.ledger.execute(SubmitRating("a1", "p1", 5, 5), actor=Actor("p1", "rater"))
    # An article with no assigned disciplines is rated as before.
    await world.ledger.execute(SubmitRating("a2", "p6", 5, 5), actor=Actor("p6", "rater"))


async def test_paused_and_full_raters_are_passed_over(world: World) -> None:
    await world.ledger.execute(PauseRatingRequests("p1"), actor=Actor("p1", "rater"))
    with pytest.raises(WrongPauseState):
        await world.ledger.execute(PauseRatingRequests("p1"), actor=Actor("p1", "rater"))
    await world.ledger.execute(SetRaterProfile("p2", monthly_limit=1), actor=EDITOR)
    await world.ledger.execute(AssignDisciplines("a1", ["Physician"]), actor=EDITOR)
    assert world.open_raters("a1") == ["p2", "p3", "p4", "p5"]
    await world.ledger.execute(ResumeRatingRequests("p1"), actor=Actor("p1", "rater"))
    await world.ledger.execute(AssignDisciplines("a2", ["Physician"]), actor=EDITOR)
    # p2 is at their limit of 1 this month; p1 (resumed) and the least asked go first.
    assert world.open_raters("a2") == ["p1", "p3", "p6", "p7"]


async def test_refusals_are_typed_and_change_nothing(world: World) -> None:
    before = len(await world.ledger.store.read_all(0, 10_000))
    with pytest.raises(NotFound):
        await world.ledger.execute(AssignDisciplines("a1", ["Wizard"]), actor=EDITOR)
    with pytest.raises(NotFound):
        await world.ledger.execute(AssignDisciplines("zz", ["Physician"]), actor=EDITOR)
    with pytest.raises(ValidationFailed):
        await world.ledger.execute(SetRaterProfile("p1", monthly_limit=100), actor=EDITOR)
    with pytest.raises(NotFound):
        await world.ledger.execute(SetRaterProfile("nobody", monthly_limit=5), actor=EDITOR)
    assert len(await world.ledger.store.read_all(0, 10_000)) == before


async def test_registering_with_disciplines_requests_in_the_same_append(world: World) -> None:
    command = RegisterArticle(
        article_id="a3",
        citation=CITATION,
        topics=["Back Pain"],
        disciplines=["Physician"],
        populations=["Adults"],
    )
    result = await world.ledger.execute(command, actor=EDITOR)
    assert result.article_id == "a3"
    assert result.last_position - result.first_position == 5  # registered, assigned, 4 asked
    assert len(world.open_raters("a3")) == 4
