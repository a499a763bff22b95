"""Two `serve` processes on one PostgreSQL: each one's subscribers see what is written through
the other (the append's notification wakes the other process's fan-out, which reads the log),
over real WebSockets to real processes; and plain `serve` takes the WebSocket at all."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.use_cases.tokens import issue_token
from tests.e2e.test_processes import RATE, call, database, engine, rated_article, serve, started
from tests.e2e.test_serve import Server
from tests.graph.live.client import live_client

__all__ = ["database", "engine", "started"]  # the fixtures, shared with test_processes

ARTICLE_UPDATED = """
subscription($id: ID!) {
  articleUpdated(id: $id) { articleId disciplineScores { relevance ratingCount } }
}
"""
LEDGER_EVENTS = """
subscription($after: Int!) {
  ledgerEvents(after: $after) { ... on LedgerEvent { position type } }
}
"""
ROUNDS = 5


def websocket_url(server: Server) -> str:
    return server.base_url.replace("http://", "ws://") + "/graphql"


async def test_subscribers_of_each_process_see_what_is_written_through_the_other(
    database: str, engine: AsyncEngine, started: list[Server], tmp_path: Path
) -> None:
    one = serve(started, database, tmp_path / "one.log")
    two = serve(started, database, tmp_path / "two.log")
    auditor = (await issue_token(engine, "auditor")).token
    async with (
        httpx.AsyncClient(base_url=one.base_url, timeout=30) as through_one,
        httpx.AsyncClient(base_url=two.base_url, timeout=30) as through_two,
    ):
        article, rater = await rated_article(through_one, engine)
        head = int((await through_one.get("/healthz")).json()["position"])
        async with (
            live_client(websocket_url(one)) as on_one,
            live_client(websocket_url(two), auditor) as on_two,
        ):
            await on_one.subscribe("a", ARTICLE_UPDATED, {"id": article})
            await on_two.subscribe("l", LEDGER_EVENTS, {"after": head})
            started_at = (await on_one.next("a"))["articleUpdated"]  # as it stands
            assert started_at["disciplineScores"] == [{"relevance": 3.0, "ratingCount": 1}]
            relevances = []
            for n in range(ROUNDS):
                relevance = n % 5 + 3  # newsworthiness is asked above 2
                revision = {"articleId": article, "relevance": relevance, "newsworthiness": 4}
                writer = through_two if n % 2 == 0 else through_one
                await call(writer, RATE % ("Revise", "revise"), {"input": revision}, rater)
                update = (await on_one.next("a"))["articleUpdated"]
                relevances.append(update["disciplineScores"][0]["relevance"])
            positions = [
                (await on_two.next("l"))["ledgerEvents"]["position"] for _ in range(ROUNDS)
            ]

    assert relevances == [n % 5 + 3 for n in range(ROUNDS)]
    assert positions == list(range(head + 1, head + ROUNDS + 1))
