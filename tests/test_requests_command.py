"""`evidence-ledger requests expire`: the overdue requests expire (and others are asked only
while a discipline is short of ratings); run again with the same key, nothing more happens."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from graph.cli.main import app
from ledger.domain.commands import EnrolRater, RegisterArticle
from ledger.read.requests import article_requests
from ledger.store.db import create_engine
from ledger.store.sql_store import SQLEventStore
from ledger.use_cases.sample import LOADER, SAMPLE_ARTICLE_ID, load_sample
from ledger.use_cases.sql_views import sql_ledger


async def _sample_asked_long_ago(url: str) -> None:
    """The sample, its requests made 30 days ago, and one more physician who could be asked."""
    engine = create_engine(url)
    try:
        ledger = sql_ledger(SQLEventStore(engine), clock=lambda: datetime.now(UTC) - timedelta(30))
        await load_sample(ledger)
        await ledger.execute(EnrolRater(rater_id="zz-physician", discipline="Physician"),
                             actor=LOADER)  # fmt: skip
    finally:
        await engine.dispose()


async def _statuses(url: str) -> dict[str, str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            found = await article_requests(conn, SAMPLE_ARTICLE_ID)
        return {r.rater_id: r.status for r in found}
    finally:
        await engine.dispose()


def test_requests_expire_closes_the_overdue_request(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert CliRunner().invoke(app, ["migrate", "--database", url]).exit_code == 0
    asyncio.run(_sample_asked_long_ago(url))

    expire = ["requests", "expire", "--database", url, "--idempotency-key", "nightly-1"]
    first = CliRunner().invoke(app, expire)
    assert first.exit_code == 0, first.output
    assert "ok: 1 articles'" in first.output
    statuses = asyncio.run(_statuses(url))
    assert statuses["sample-physician-4"] == "expired"
    # Three physicians rated: the discipline has its minimum, so nobody else is asked.
    assert "zz-physician" not in statuses
    assert statuses["sample-physician-1"] == "answered"

    again = CliRunner().invoke(app, expire)
    assert again.exit_code == 0, again.output
    # The same sweep again: its first answer, nothing done twice.
    assert "ok: 1 articles' overdue requests expired (1 by an earlier run" in again.output
    assert asyncio.run(_statuses(url)) == statuses
    verified = CliRunner().invoke(app, ["verify", "--database", url])
    assert verified.exit_code == 0, verified.output


async def _nurses_asked_long_ago(url: str) -> None:
    """An article assigned Nurse 30 days ago, four of ten nurses asked then."""
    engine = create_engine(url)
    try:
        ledger = sql_ledger(SQLEventStore(engine), clock=lambda: datetime.now(UTC) - timedelta(30))
        await load_sample(ledger)
        for n in range(10):
            await ledger.execute(EnrolRater(rater_id=f"nurse-{n}", discipline="Nurse"),
                                 actor=LOADER)  # fmt: skip
        await ledger.execute(
            RegisterArticle(
                article_id="nurses-article",
                citation={
                    "title": "Falls",
                    "journal": "J",
                    "study_type": "Cohort",
                    "abstract": "A.",
                },
                topics=["Falls"],
                disciplines=["Nurse"],
            ),
            actor=LOADER,
        )
    finally:
        await engine.dispose()


async def _requests_of(url: str, article_id: str) -> list[tuple[str, str, str]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            found = await article_requests(conn, article_id)
        return sorted((r.rater_id, r.status, r.due) for r in found)
    finally:
        await engine.dispose()


def test_requests_expire_asks_others_by_the_deployments_policy(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert CliRunner().invoke(app, ["migrate", "--database", url]).exit_code == 0
    asyncio.run(_nurses_asked_long_ago(url))
    expire = ["requests", "expire", "--database", url, "--requests-per-discipline", "5",
              "--request-days", "3"]  # fmt: skip

    done = CliRunner().invoke(app, expire)

    assert done.exit_code == 0, done.output
    requests = asyncio.run(_requests_of(url, "nurses-article"))
    assert [r[:2] for r in requests if r[1] == "expired"] == [
        (f"nurse-{n}", "expired") for n in range(4)
    ]
    # Five nurses asked in their place (not four), due three days from now (not fourteen).
    asked = [r for r in requests if r[1] == "open"]
    assert [r[0] for r in asked] == [f"nurse-{n}" for n in range(4, 9)]
    in_three_days = datetime.now(UTC) + timedelta(days=3)
    for _, _, due in asked:
        moment = datetime.fromisoformat(due.replace("Z", "+00:00"))
        assert abs(moment - in_three_days) < timedelta(minutes=5)
    for wrong in (["--request-days", "0"], ["--requests-per-discipline", "3"]):
        refused = CliRunner().invoke(app, [*expire[:4], *wrong])
        assert refused.exit_code != 0, wrong
