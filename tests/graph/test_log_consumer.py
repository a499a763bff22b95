"""An incremental consumer of the global log over HTTP, while writers race: it sees every
position exactly once, in order, keeping only the last position it saw."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from ledger.domain.commands import (
    EnrolRater,
    PostComment,
    RegisterArticle,
    ReviseRating,
    SubmitRating,
)
from ledger.store.records import Actor
from ledger.use_cases.service import EvidenceLedger
from ledger.use_cases.sql_views import sql_ledger
from tests.graph.conftest import Api
from tests.store.writers import separate_stores

EDITOR = Actor("editor-1", "editor")
WRITERS = 4
COMMANDS = 60
RATERS_PER_WRITER = 3
DISCIPLINES = ["Physician", "Nurse", "Physiotherapist"]  # registered with the sample
# Three articles of the test's own: the sample is rated by request, its raters fixed.
ARTICLES = ["consumer-a0", "consumer-a1", "consumer-a2"]

LOG = """
query Log($after: Int!) {
  ledgerEvents(after: $after, first: 25) {
    __typename
    ... on LedgerEventsPage { lastPosition hasMore events { position type } }
  }
}"""


async def _prepare(ledger: EvidenceLedger) -> None:
    """Three articles, and raters of each writer's own in three disciplines."""
    for article_id in ARTICLES:
        await ledger.execute(
            RegisterArticle(
                article_id=article_id,
                citation={
                    "title": f"Article {article_id}",
                    "journal": "J",
                    "study_type": "Cohort",
                    "abstract": "Abstract.",
                    "published_on": "2024-01-01",
                },
                topics=["Back Pain"],
            ),
            actor=EDITOR,
        )
    for writer in range(WRITERS):
        for number in range(RATERS_PER_WRITER):
            await ledger.execute(
                EnrolRater(rater_id=f"w{writer}-r{number}", discipline=DISCIPLINES[number]),
                actor=EDITOR,
            )


async def _write(ledger: EvidenceLedger, writer: int) -> int:
    """Ratings (a first one, else a revision) and comments, on a few articles at random."""
    chance = random.Random(writer)
    active: dict[tuple[str, str], int] = {}  # (article, rater) -> relevance
    for n in range(COMMANDS):
        article_id = chance.choice(ARTICLES)
        if chance.random() < 0.3:
            reader = Actor(f"subscriber-w{writer}", "subscriber")
            await ledger.execute(
                PostComment(article_id, reader.id, f"w{writer} #{n}"), actor=reader
            )
            continue
        rater_id = f"w{writer}-r{chance.randrange(RATERS_PER_WRITER)}"
        as_rater = Actor(rater_id, "rater")
        relevance = active.get((article_id, rater_id))
        if relevance is None:
            await ledger.execute(SubmitRating(article_id, rater_id, 4, 4, f"n{n}"), actor=as_rater)
            active[(article_id, rater_id)] = 4
        else:
            # Never the same rating twice; 3-7, as newsworthiness is asked only above 2.
            relevance = 3 + (relevance - 2) % 5
            await ledger.execute(
                ReviseRating(article_id, rater_id, relevance, 4, f"n{n}"), actor=as_rater
            )
            active[(article_id, rater_id)] = relevance
        await asyncio.sleep(0)
    return COMMANDS


async def _page(api: Api, token: str, after: int) -> dict[str, Any]:
    data = await api.data(LOG, {"after": after}, token)
    page: dict[str, Any] = data["ledgerEvents"]
    assert page["__typename"] == "LedgerEventsPage", page
    return page


@pytest.mark.long(7)
async def test_a_log_consumer_sees_every_position_once_and_in_order_while_writers_race(
    api: Api, database_url: str
) -> None:
    await _prepare(api.services.ledger)
    token = await api.token("auditor")
    seen: list[int] = []
    pages_while_writing = 0

    async with separate_stores(database_url, WRITERS) as stores:
        ledgers = [sql_ledger(store, conflict_retries=50) for store in stores]
        writers = asyncio.gather(*(_write(ledger, w) for w, ledger in enumerate(ledgers)))
        after = 0
        try:
            while True:
                writers_done = writers.done()  # before asking: an empty page then is final
                page = await _page(api, token, after)
                positions = [event["position"] for event in page["events"]]
                seen += positions
                assert page["lastPosition"] == (positions[-1] if positions else after)
                if page["hasMore"]:
                    assert len(positions) == 25
                after = page["lastPosition"]
                if positions and not writers_done:
                    pages_while_writing += 1
                if not positions:
                    if writers_done:
                        break
                    await asyncio.sleep(0.005)
        finally:
            written = await writers  # a writer's failure fails the test here

    assert written == [COMMANDS] * WRITERS
    head = await api.services.store.head()
    assert seen == list(range(1, head.position + 1))
    assert head.position >= WRITERS * COMMANDS
    assert pages_while_writing > 1, "the consumer never read while the writers wrote"
